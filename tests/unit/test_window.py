from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.errors import WindowError
from events.window import (
    Phase,
    Precision,
    Window,
    describe_window,
    format_window,
    parse_window,
)

D = date

PARSED = [
    ("2019-01-24", D(2019, 1, 24), D(2019, 1, 24), Precision.DAY),
    ("2019-01-22..2019-01-23", D(2019, 1, 22), D(2019, 1, 23), Precision.DAY),
    ("2019-02", D(2019, 2, 1), D(2019, 2, 28), Precision.MONTH),
    ("2020-02", D(2020, 2, 1), D(2020, 2, 29), Precision.MONTH),
    ("2019-02..", D(2019, 2, 1), None, Precision.OPEN),
    ("2019-02-10..", D(2019, 2, 10), None, Precision.OPEN),
    ("2019-Q3", D(2019, 7, 1), D(2019, 9, 30), Precision.QUARTER),
    ("2019-q4", D(2019, 10, 1), D(2019, 12, 31), Precision.QUARTER),
    ("2019-H2", D(2019, 7, 1), D(2019, 12, 31), Precision.HALF_YEAR),
    ("2019-H1", D(2019, 1, 1), D(2019, 6, 30), Precision.HALF_YEAR),
    ("2019", D(2019, 1, 1), D(2019, 12, 31), Precision.YEAR),
    ("2019-11..2020-02", D(2019, 11, 1), D(2020, 2, 29), Precision.MONTH),
    ("2019-Q3..2019-11", D(2019, 7, 1), D(2019, 11, 30), Precision.MONTH),
    ("2019-H2..2020-H1", D(2019, 7, 1), D(2020, 6, 30), Precision.HALF_YEAR),
    # the finer of the two ends, in calendar order rather than in alphabetical order
    ("2019-H2..2019-11", D(2019, 7, 1), D(2019, 11, 30), Precision.MONTH),
    ("2019-H1..2019-Q3", D(2019, 1, 1), D(2019, 9, 30), Precision.QUARTER),
    ("2019-01-24..2019-01-24", D(2019, 1, 24), D(2019, 1, 24), Precision.DAY),
    ("2019-02..2019-02-28", D(2019, 2, 1), D(2019, 2, 28), Precision.DAY),
    ("0001", D(1, 1, 1), D(1, 12, 31), Precision.YEAR),
    (" 2019-H2 ", D(2019, 7, 1), D(2019, 12, 31), Precision.HALF_YEAR),
    ("undated", None, None, Precision.OPEN),
]


@pytest.mark.parametrize(("text", "earliest", "latest", "precision"), PARSED)
def test_parse(text: str, earliest: date | None, latest: date | None, precision: Precision) -> None:
    assert parse_window(text) == Window(earliest, latest, precision)


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("2019-01-24", "2019-01-24"),
        ("2019-01-22..2019-01-23", "2019-01-22..2019-01-23"),
        ("2019-02", "2019-02"),
        ("2019-02..", "2019-02.."),
        ("2019-Q3", "2019-Q3"),
        ("2019-H2", "2019-H2"),
        ("2019", "2019"),
        ("2019-02..2019-02", "2019-02"),
        ("2019-q3", "2019-Q3"),
        ("UNDATED", "undated"),
    ],
)
def test_format(text: str, printed: str) -> None:
    assert format_window(parse_window(text)) == printed


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2019-01-24", "24 January 2019"),
        ("2019-01-22..2019-01-23", "22–23 January 2019"),
        ("2019-11-30..2019-12-01", "30 November – 1 December 2019"),
        ("2019-12-30..2020-01-02", "30 December 2019 – 2 January 2020"),
        ("2019-02", "February 2019"),
        ("2019-02..2019-04", "February – April 2019"),
        ("2019-11..2020-02", "November 2019 – February 2020"),
        ("2019-02..", "February 2019 onwards"),
        ("2019-02-10..", "10 February 2019 onwards"),
        ("2019-Q3", "third quarter of 2019"),
        ("2019-Q3..2019-Q4", "third quarter of 2019 to fourth quarter of 2019"),
        ("2019-H2", "second half of 2019"),
        ("2019-H1", "first half of 2019"),
        ("2019", "2019"),
        ("2019..2020", "2019 – 2020"),
        ("undated", "no date given"),
    ],
)
def test_words(text: str, words: str) -> None:
    assert describe_window(parse_window(text)) == words


HOW_TO_WRITE = (
    "write a day 2019-01-24, a month 2019-02, a quarter 2019-Q3, a half-year 2019-H2, "
    "a year 2019, a span A..B, an open end A.. or 'undated'"
)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2019-02-30", "February 2019 has no day 30"),
        ("2019-02-29", "February 2019 has no day 29"),
        ("2019-04-00", "April 2019 has no day 00"),
        ("2019-13", "there is no month 13"),
        ("2019-00", "there is no month 00"),
        ("2019-H3", "there is no half-year H3, use H1 or H2"),
        ("2019-H0", "there is no half-year H0, use H1 or H2"),
        ("2019-Q5", "there is no quarter Q5, use Q1 to Q4"),
        ("2019-Q0", "there is no quarter Q0, use Q1 to Q4"),
        ("2019-01-24..2019-01-23", "it ends (2019-01-23) before it starts (2019-01-24)"),
        ("2019-H2..2019-Q1", "it ends (2019-03-31) before it starts (2019-07-01)"),
        ("next year", "unrecognised form"),
        ("", "unrecognised form"),
        ("19-01-24", "unrecognised form"),
        ("0000", "there is no year 0000"),
        ("..2019-02", "unrecognised form"),
        ("2019..2020..", "unrecognised form"),
    ],
)
def test_parse_errors_say_what_is_wrong_and_how_to_write_it(text: str, says: str) -> None:
    with pytest.raises(WindowError) as raised:
        parse_window(text)
    assert str(raised.value) == f"{text!r} is not a date window: {says}; {HOW_TO_WRITE}"


@pytest.mark.parametrize(
    ("earliest", "latest", "precision", "says"),
    [
        (D(2019, 2, 2), D(2019, 2, 28), Precision.MONTH,
         "2019-02-02..2019-02-28 does not start and end on whole month boundaries"),
        (D(2019, 7, 1), D(2019, 12, 30), Precision.HALF_YEAR,
         "2019-07-01..2019-12-30 does not start and end on whole half-year boundaries"),
        (D(2019, 7, 1), None, Precision.HALF_YEAR,
         "only a window without an end has open precision"),
        (D(2019, 7, 1), D(2019, 7, 1), Precision.OPEN,
         "only a window without an end has open precision"),
        (None, D(2019, 7, 1), Precision.DAY, "a window with an end needs a start"),
        (D(2019, 7, 2), D(2019, 7, 1), Precision.DAY,
         "the window ends (2019-07-01) before it starts (2019-07-02)"),
    ],
)
def test_impossible_windows_are_refused(
    earliest: date | None, latest: date | None, precision: Precision, says: str
) -> None:
    with pytest.raises(WindowError) as raised:
        Window(earliest, latest, precision)
    assert str(raised.value) == says


H2 = parse_window("2019-H2")


@pytest.mark.parametrize(
    ("window", "item", "expected"),
    [
        (H2, D(2019, 7, 1), True),
        (H2, D(2019, 12, 31), True),
        (H2, D(2019, 6, 30), False),
        (H2, D(2020, 1, 1), False),
        (H2, parse_window("2019-11"), True),
        (H2, parse_window("2019-06..2019-07"), False),
        (H2, parse_window("2019-11.."), False),
        (parse_window("2019-02.."), D(2030, 1, 1), True),
        (parse_window("2019-02.."), parse_window("2019-11.."), True),
        (parse_window("2019-02.."), D(2019, 1, 31), False),
        (Window.undated(), D(1990, 1, 1), True),
        (Window.undated(), Window.undated(), True),
        (H2, Window.undated(), False),
    ],
)
def test_contains(window: Window, item: date | Window, expected: bool) -> None:
    assert window.contains(item) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2019-H2", "2019-12", True),
        ("2019-H2", "2020", False),
        ("2019-H1", "2019-06-30..2019-07-01", True),
        ("2019-02..", "2019-01", False),
        ("2019-02..", "2025", True),
        ("2019-02..", "2030-01..", True),
        ("undated", "2019-01-24", True),
        ("2019-01-24", "2019-01-25", False),
    ],
)
def test_overlaps(a: str, b: str, expected: bool) -> None:
    assert parse_window(a).overlaps(parse_window(b)) is expected
    assert parse_window(b).overlaps(parse_window(a)) is expected


@pytest.mark.parametrize(
    ("a", "b", "narrowed"),
    [
        ("2019-H2", "2019-11", "2019-11"),
        ("2019", "2019-Q3", "2019-Q3"),
        ("2019-H2", "2019-02..", "2019-H2"),
        ("2019-02..", "2019-11-23..2019-11-24", "2019-11-23..2019-11-24"),
        ("2019-02..", "2019-06..", "2019-06.."),
        ("2019-H2", "2019-Q3..2020-Q1", "2019-H2"),
        ("2019-H2", "2019-09-15..2020-03-01", "2019-09-15..2019-12-31"),
        ("undated", "2019-H2", "2019-H2"),
        ("2019-H2", "undated", "2019-H2"),
    ],
)
def test_narrow(a: str, b: str, narrowed: str) -> None:
    assert parse_window(a).narrow(parse_window(b)) == parse_window(narrowed)


def test_narrowing_disjoint_windows_is_an_error() -> None:
    with pytest.raises(WindowError, match="share no day"):
        parse_window("2019-H1").narrow(parse_window("2019-H2"))


@pytest.mark.parametrize(
    ("window", "today", "phase"),
    [
        ("2019-H2", D(2019, 1, 24), Phase.UPCOMING),
        ("2019-H2", D(2019, 7, 1), Phase.OPEN),
        ("2019-H2", D(2020, 1, 1), Phase.PASSED),
        ("2019-02..", D(2026, 11, 28), Phase.OPEN),
        ("undated", D(2019, 1, 24), Phase.UNDATED),
    ],
)
def test_phase(window: str, today: date, phase: Phase) -> None:
    assert parse_window(window).phase(today) is phase


def test_widen() -> None:
    assert parse_window("2019-11-23..2019-11-24").widen(7) == parse_window("2019-11-16..2019-12-01")
    assert parse_window("2019-02..").widen(1) == parse_window("2019-01-31..")
    assert Window.undated().widen(3) == Window.undated()


@pytest.mark.parametrize(
    ("window", "days", "says"),
    [
        (Window.day(D(9999, 12, 31)), 3, "widening 9999-12-31 by 3 days leaves the calendar"),
        (Window.day(D(9999, 12, 31)), 1, "widening 9999-12-31 by 1 day leaves the calendar"),
        (Window.open_from(D(1, 1, 1)), 2, "widening 0001-01.. by 2 days leaves the calendar"),
    ],
)
def test_widening_past_the_ends_of_the_calendar_says_so(
    window: Window, days: int, says: str
) -> None:
    with pytest.raises(WindowError) as raised:
        window.widen(days)
    assert str(raised.value) == says


# -- properties ----------------------------------------------------------------------------

days = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    kind = draw(st.sampled_from(["unit", "span", "range", "open", "undated"]))
    first = draw(days)
    if kind == "undated":
        return Window.undated()
    if kind == "open":
        return Window.open_from(first)
    precision = draw(
        st.sampled_from(
            [Precision.DAY, Precision.MONTH, Precision.QUARTER, Precision.HALF_YEAR, Precision.YEAR]
        )
    )
    if kind == "unit":
        return Window.unit(precision, first)
    second = draw(days)
    low, high = sorted((first, second))
    if kind == "span":
        return Window.days(low, high)
    return Window(
        Window.unit(precision, low).earliest, Window.unit(precision, high).latest, precision
    )


@given(windows())
def test_any_printed_window_parses_back_to_itself(window: Window) -> None:
    assert parse_window(format_window(window)) == window


@given(windows())
def test_every_window_has_words(window: Window) -> None:
    assert describe_window(window)


@given(windows(), windows())
def test_narrowing_gives_a_window_inside_both(a: Window, b: Window) -> None:
    if not a.overlaps(b):
        with pytest.raises(WindowError):
            a.narrow(b)
        return
    narrowed = a.narrow(b)
    assert a.contains(narrowed)
    assert b.contains(narrowed)
    assert narrowed == b.narrow(a)


@given(windows(), days)
def test_a_day_in_the_window_is_in_its_open_phase(window: Window, day: date) -> None:
    if window.is_undated:
        assert window.phase(day) is Phase.UNDATED
    else:
        assert (window.phase(day) is Phase.OPEN) == window.contains(day)


@given(windows(), st.integers(min_value=0, max_value=60))
def test_widening_keeps_every_day(window: Window, margin: int) -> None:
    widened = window.widen(margin)
    assert widened.contains(window)
    if window.earliest is not None and margin:
        assert widened.earliest == window.earliest - timedelta(days=margin)


@given(st.text(max_size=40))
def test_any_text_parses_or_says_why(text: str) -> None:
    try:
        window = parse_window(text)
    except WindowError as error:
        message = str(error)
        assert message.startswith(repr(text))
        return
    assert parse_window(format_window(window)) == window
