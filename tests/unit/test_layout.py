"""The narrow/wide choice, times with their zone, and the compact listing's arrangement."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from rich.text import Text

from scheduler.layout import Entry, Layout, id_width, listing, stamp, stamp_lines, word_width


@pytest.mark.parametrize(
    ("width", "wide", "narrow", "compact"),
    [
        (80, False, True, True),
        (80, True, True, False),
        (119, False, True, True),
        (120, False, False, False),
        (200, True, False, False),
    ],
)
def test_the_layout_follows_the_width_and_wide(width: int, wide: bool, narrow: bool,
                                               compact: bool) -> None:
    layout = Layout(width, wide)
    assert (layout.narrow, layout.compact) == (narrow, compact)


AT = datetime(2019, 11, 23, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Seoul", "2019-11-23 10:00 KST"),
        ("UTC", "2019-11-23 01:00 UTC"),
        ("Europe/Paris", "2019-11-23 02:00 CET"),
        ("America/Sao_Paulo", "2019-11-22 22:00 -03"),  # a zone with no abbreviation
        ("Asia/Kolkata", "2019-11-23 06:30 IST"),
    ],
)
def test_a_time_says_its_zone(zone: str, shown: str) -> None:
    assert stamp(AT, ZoneInfo(zone)) == shown
    assert stamp_lines(AT, ZoneInfo(zone)) == shown.replace(" ", "\n", 1)


@pytest.mark.parametrize(
    ("ids", "width"),
    [([], 0), (["a"], 1), (["temm-21", "sustainable-policy-research", "jcec-24"], 27)],
)
def test_an_id_column_is_as_wide_as_the_longest_id(ids: list[str], width: int) -> None:
    assert id_width(ids) == width


@pytest.mark.parametrize(
    ("texts", "width"),
    [
        ([], 0),
        (["expected → scheduled"], 9),
        (["2019-11-23T10:00:00+09:00.. 2019-11-24T17:00:00+09:00 Asia/Seoul"], 26),
        (["a" * 60], 26),  # an address longer than that is folded, not given the table
    ],
)
def test_word_width(texts: list[str], width: int) -> None:
    assert word_width(texts) == width


def test_a_listing_keeps_its_ids_whole_and_wraps_the_text_under_them() -> None:
    console = Console(width=40, record=True, color_system=None)
    long_id = "broad-depth-negotiations-toward"  # 31 of the 40 columns
    entries = [
        Entry((Text(long_id), "2021-Q4"), "A title long enough to wrap in forty columns, twice "
                                          "over at least"),
        Entry(("cop15", "undated"), ""),
    ]
    console.print(listing(("Proposal", "When"), entries))
    lines = console.export_text().splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].split() == ["Proposal", "When"]
    assert lines[2].startswith(long_id + "  ")  # whole, and the window beside it
    wrapped = [line for line in lines[3:] if line.startswith("  ")]
    assert len(wrapped) >= 2  # the text under the id, indented, over several lines
    assert " ".join(" ".join(wrapped).split()).startswith("A title long enough")
    assert lines[-1].split() == ["cop15", "undated"]
    # Columns line up: the window starts at the same place on every line.
    assert lines[2].index("2021-Q4") == lines[-1].index("undated") == lines[0].index("When")
