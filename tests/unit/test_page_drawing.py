"""How the pages and the terminal draw the timeline: the sentence marked in its paragraph,
bars laid out where their days are, block characters in the terminal's columns."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.kinds import Kind, Status
from events.timeline import Item, Span, build, position, ticks
from events.window import parse_window
from scheduler import drawing, terminal_timeline
from scheduler.pages import marked

YEAR = Span(date(2019, 1, 1), date(2019, 12, 31))
TODAY = date(2019, 1, 24)


def item(id_: str, when: str, *, confirmed: str | None = None, anchor: str | None = None,
         status: Status = Status.EXPECTED) -> Item:
    return Item(id=id_, title=f"<{id_}>", kind=Kind.MEETING, status=status,
                window=parse_window(when),
                confirmed=parse_window(confirmed) if confirmed else None, anchor_id=anchor)


@pytest.mark.parametrize(("paragraph", "sentence", "expected"), [
    ("One. Two is here. Three.", "Two is here.", "One. <mark>Two is here.</mark> Three."),
    # Spaces in the release need not be the sentence's: a line break, a no-break space.
    ("A b\nc\u00a0d. E.", "b c d.", "A <mark>b\nc\u00a0d.</mark> E."),
    ("<b>x</b> & y", "& y", "&lt;b&gt;x&lt;/b&gt; <mark>&amp; y</mark>"),
    ("Nothing here.", "Not found.", "Nothing here."),
    ("Empty <sentence>.", "", "Empty &lt;sentence&gt;."),
])
def test_the_sentence_is_marked_in_its_paragraph(paragraph: str, sentence: str,
                                                 expected: str) -> None:
    assert str(marked(paragraph, sentence)) == expected


def test_bars_lie_where_their_days_do() -> None:
    timeline = build([item("temm", "2019-H2"), item("ltp", "2019-H2", anchor="temm"),
                      item("kma", "2019-01-24", confirmed="2019-01-24",
                           status=Status.SCHEDULED)], TODAY, YEAR)
    drawn = drawing.draw(timeline, ticks(YEAR))
    assert drawn.x0 + drawn.width + drawing.MARGIN == drawing.WIDTH
    for row in drawn.bars:
        left = drawn.x0 + position(row.bar.start, YEAR) * drawn.width
        assert row.x == pytest.approx(left, abs=0.01)
        assert f'data-start="{row.bar.start.isoformat()}"' in row.rect
        assert f'x="{row.x}"' in row.rect
    kma = next(r for r in drawn.bars if r.id == "kma")
    assert 'fill="#2e6b3a"' in kma.rect and "confirmed" in kma.classes
    temm = next(r for r in drawn.bars if r.id == "temm")
    assert 'fill="url(#hatch)"' in temm.rect
    assert temm.tooltip.startswith("<temm> — 2019-07-01 to 2019-12-31 (window, expected")
    [line] = drawn.lines
    assert (line.anchor, line.dependant) == ("temm", "ltp")
    assert drawn.today_x == pytest.approx(drawn.x0 + 23 / 365 * drawn.width, abs=0.01)
    assert [t.label for t in drawn.ticks][:3] == ["Jan 2019", "Feb", "Mar"]


@pytest.mark.parametrize(("when", "confirmed", "width", "expected"), [
    ("2019-H2", None, 73, "░" * 37),
    ("2019", None, 10, "░" * 10),
    ("2019-01-24", "2019-01-24", 73, "█"),
    ("2019-12-31", None, 73, "░"),
    ("2019-07..", None, 20, "░" * 9 + "·→"),
])
def test_bars_in_the_terminal(when: str, confirmed: str | None, width: int,
                              expected: str) -> None:
    [bar] = build([item("x", when, confirmed=confirmed)], TODAY, YEAR).bars
    assert terminal_timeline.bar_line(bar, YEAR, width, None).plain.strip() == expected
    assert len(terminal_timeline.bar_line(bar, YEAR, width, None).plain) == width


@given(st.dates(min_value=date(2019, 1, 1), max_value=date(2019, 12, 31)),
       st.integers(0, 300), st.integers(10, 200))
def test_a_terminal_bar_covers_its_days_columns(first: date, days: int, width: int) -> None:
    last = min(date(2019, 12, 31), date.fromordinal(first.toordinal() + days))
    [bar] = build([item("x", f"{first.isoformat()}..{last.isoformat()}")], TODAY, YEAR).bars
    start, end = terminal_timeline.bar_cells(bar, YEAR, width)
    assert 0 <= start <= end < width
    assert start == min(width - 1, int(position(first, YEAR) * width))
