"""The timeline model: spans, positions, bars clipped to the span, groups and connectors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.errors import WindowError
from events.kinds import Kind, Status
from events.timeline import (
    Choice,
    Connector,
    Grouping,
    Item,
    Span,
    add_months,
    build,
    position,
    span_between,
    ticks,
)
from events.window import Window, parse_window

TODAY = date(2019, 1, 24)
YEAR = Span(date(2019, 1, 1), date(2019, 12, 31))


def item(id_: str, when: str, *, kind: Kind = Kind.MEETING, status: Status = Status.EXPECTED,
         confirmed: str | None = None, tags: tuple[str, ...] = (),
         anchor: str | None = None) -> Item:
    return Item(id=id_, title=id_.upper(), kind=kind, status=status, window=parse_window(when),
                confirmed=parse_window(confirmed) if confirmed else None, tags=tags,
                anchor_id=anchor)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2019, 1, 24), -3, date(2018, 10, 24)),
    (date(2019, 1, 24), 12, date(2020, 1, 24)),
    (date(2019, 3, 31), -1, date(2019, 2, 28)),
    (date(2020, 5, 31), -3, date(2020, 2, 29)),
    (date(2019, 11, 30), 3, date(2020, 2, 29)),
    (date(1, 2, 1), -3, date.min),
    (date(9999, 11, 1), 3, date.max),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("start", "end", "expected"), [
    (None, None, (date(2018, 10, 24), date(2020, 1, 24))),
    ("2019", "2019", (date(2019, 1, 1), date(2019, 12, 31))),
    ("2019-07", "2019-H2", (date(2019, 7, 1), date(2019, 12, 31))),
    ("2019-03-05", None, (date(2019, 3, 5), date(2020, 6, 5))),
    (None, "2019-12", (date(2018, 9, 30), date(2019, 12, 31))),
    ("2019-Q2..2019-Q3", "2019-05..2019-06", (date(2019, 4, 1), date(2019, 6, 30))),
])
def test_span_between(start: str | None, end: str | None,
                      expected: tuple[date, date]) -> None:
    span = span_between(TODAY, parse_window(start) if start else None,
                        parse_window(end) if end else None)
    assert (span.start, span.end) == expected


@pytest.mark.parametrize(("start", "end", "problem"), [
    ("2020", "2019", "ends (2019-12-31) before it starts (2020-01-01)"),
    ("undated", None, "'from' needs a date"),
    (None, "2019-02..", "'to' needs an end, not 2019-02.."),
])
def test_span_between_refuses(start: str | None, end: str | None, problem: str) -> None:
    with pytest.raises(WindowError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        span_between(TODAY, parse_window(start) if start else None,
                     parse_window(end) if end else None)


@pytest.mark.parametrize(("day", "expected"), [
    (date(2018, 12, 31), 0.0),
    (date(2019, 1, 1), 0.0),
    (date(2019, 1, 2), 1 / 365),
    (date(2019, 7, 2), 182 / 365),
    (date(2019, 12, 31), 364 / 365),
    (date(2020, 1, 1), 1.0),
    (date(2031, 1, 1), 1.0),
])
def test_position(day: date, expected: float) -> None:
    assert position(day, YEAR) == pytest.approx(expected)


@pytest.mark.parametrize(("entry", "start", "end", "fuzzy", "open_end", "cut", "overdue"), [
    # A half-year window: hatched over its whole span.
    (item("temm", "2019-H2"), date(2019, 7, 1), date(2019, 12, 31), True, False,
     (False, False), False),
    # Confirmed days: solid, over the days themselves.
    (item("kma", "2019-01-24", status=Status.SCHEDULED, confirmed="2019-01-24"),
     date(2019, 1, 24), date(2019, 1, 24), False, False, (False, False), False),
    # An open end runs to the span's end.
    (item("working", "2019-02.."), date(2019, 2, 1), date(2019, 12, 31), True, True,
     (False, True), False),
    # Cut at both sides.
    (item("long", "2018..2020"), date(2019, 1, 1), date(2019, 12, 31), True, False,
     (True, True), False),
    # A month that passed while still expected is overdue.
    (item("late", "2018-12..2019-01", status=Status.EXPECTED), date(2019, 1, 1),
     date(2019, 1, 31), True, False, (True, False), False),
    (item("gone", "2018-06..2019-01-10"), date(2019, 1, 1), date(2019, 1, 10), True, False,
     (True, False), True),
    # Done is never overdue.
    (item("held", "2019-01-10", status=Status.DONE), date(2019, 1, 10), date(2019, 1, 10),
     True, False, (False, False), False),
])
def test_bars(entry: Item, start: date, end: date, fuzzy: bool, open_end: bool,
              cut: tuple[bool, bool], overdue: bool) -> None:
    timeline = build([entry], TODAY, YEAR)
    [bar] = timeline.bars
    assert (bar.start, bar.end, bar.fuzzy, bar.open_end) == (start, end, fuzzy, open_end)
    assert (bar.cut_start, bar.cut_end, bar.overdue) == (*cut, overdue)


def test_undated_and_outside_are_listed_apart() -> None:
    timeline = build([item("a", "2019-03"), item("b", "undated"), item("c", "2021-Q1"),
                      item("d", "2017..2018")], TODAY, YEAR)
    assert [b.id for b in timeline.bars] == ["a"]
    assert [i.id for i in timeline.undated] == ["b"]
    assert [i.id for i in timeline.outside] == ["d", "c"]
    assert timeline.fit == Span(date(2017, 1, 1), date(2021, 3, 31))


def test_connectors_join_anchor_and_dependants_drawn() -> None:
    entries = [item("temm", "2019-H2"), item("ltp", "2019-H2", anchor="temm"),
               item("ministers", "2019-H2", anchor="temm"),
               item("later", "2021", anchor="ltp"),
               item("report", "2019-Q4", kind=Kind.REPORT, anchor="temm")]
    timeline = build(entries, TODAY, YEAR)
    assert set(timeline.connectors) == {Connector("temm", "ltp"), Connector("temm", "ministers"),
                                        Connector("temm", "report")}
    # With the anchor filtered out, nothing is drawn to it.
    reports = build(entries, TODAY, YEAR, Choice(kind=Kind.REPORT))
    assert [b.id for b in reports.bars] == ["report"]
    assert reports.connectors == ()


@pytest.mark.parametrize(("choice", "expected"), [
    (Choice(), [("", ["a", "b", "c", "d"])]),
    (Choice(kind=Kind.REPORT), [("", ["b", "d"])]),
    (Choice(tag="air"), [("", ["a", "c"])]),
    (Choice(status=Status.SCHEDULED), [("", ["c"])]),
    (Choice(tag="nothing"), []),
    (Choice(group=Grouping.KIND), [("meeting", ["a", "c"]), ("report", ["b", "d"])]),
    (Choice(group=Grouping.STATUS), [("expected", ["a", "b", "d"]), ("scheduled", ["c"])]),
    # A row appears once, under its first tag; those without any come last.
    (Choice(group=Grouping.TAG), [("air", ["a", "c"]), ("temm", ["b"]), ("no tag", ["d"])]),
    (Choice(kind=Kind.MEETING, group=Grouping.TAG), [("air", ["a", "c"])]),
])
def test_choice_and_groups(choice: Choice, expected: list[tuple[str, list[str]]]) -> None:
    entries = [item("a", "2019-02", tags=("temm", "air")),
               item("b", "2019-03", kind=Kind.REPORT, tags=("temm",)),
               item("c", "2019-04", status=Status.SCHEDULED, confirmed="2019-04-02",
                    tags=("air",)),
               item("d", "2019-05", kind=Kind.REPORT)]
    timeline = build(entries, TODAY, YEAR, choice)
    assert [(g.label, [b.id for b in g.bars]) for g in timeline.groups] == expected


def test_rows_in_date_order_confirmed_days_first() -> None:
    entries = [item("z", "2019-H2"), item("y", "2019-07-01..2019-07-03"),
               item("x", "2019-H2", status=Status.SCHEDULED, confirmed="2019-07-01"),
               item("w", "2019-03")]
    assert [b.id for b in build(entries, TODAY, YEAR).bars] == ["w", "x", "y", "z"]


@pytest.mark.parametrize(("span", "expected"), [
    (Span(date(2019, 1, 15), date(2019, 4, 2)),
     [date(2019, 2, 1), date(2019, 3, 1), date(2019, 4, 1)]),
    (Span(date(2018, 10, 24), date(2020, 1, 24)),
     [add_months(date(2018, 11, 1), m) for m in range(15)]),
    (Span(date(2019, 1, 1), date(2022, 12, 31)),
     [add_months(date(2019, 1, 1), 3 * q) for q in range(16)]),
    (Span(date(2000, 3, 1), date(2019, 12, 31)),
     [date(y, 1, 1) for y in range(2001, 2020)]),
    (Span(date.min, date.max), [date(y, 1, 1) for y in range(500, 10000, 500)]),
])
def test_ticks(span: Span, expected: list[date]) -> None:
    assert ticks(span) == expected


# -- properties -----------------------------------------------------------------------------

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@st.composite
def spans(draw: st.DrawFn) -> Span:
    first = draw(days)
    return Span(first, first + timedelta(days=draw(st.integers(0, 5000))))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    first = draw(days)
    shape = draw(st.sampled_from(["day", "span", "open", "undated", "unit"]))
    if shape == "day":
        return Window.day(first)
    if shape == "span":
        return Window.days(first, first + timedelta(days=draw(st.integers(0, 800))))
    if shape == "open":
        return Window.open_from(first)
    if shape == "undated":
        return Window.undated()
    return Window.year(first.year)


@st.composite
def items(draw: st.DrawFn) -> list[Item]:
    count = draw(st.integers(0, 12))
    found = []
    for index in range(count):
        anchor = draw(st.one_of(st.none(), st.integers(0, max(0, count - 1))))
        found.append(Item(id=f"f-{index}", title="t", kind=draw(st.sampled_from(list(Kind))),
                          status=draw(st.sampled_from(list(Status))), window=draw(windows()),
                          tags=tuple(draw(st.lists(st.sampled_from(["a", "b", "c"]),
                                                   max_size=2, unique=True))),
                          anchor_id=None if anchor is None else f"f-{anchor}"))
    return found


@given(days, days, spans())
def test_position_keeps_order_within_bounds(first: date, second: date, span: Span) -> None:
    low, high = sorted([first, second])
    assert 0.0 <= position(low, span) <= position(high, span) <= 1.0
    assert position(span.start, span) == 0.0
    assert position(span.end + timedelta(days=1), span) == 1.0


@given(items(), spans(), days, st.sampled_from([None, *Grouping]))
def test_every_item_is_drawn_listed_undated_or_outside_once(
        entries: list[Item], span: Span, today: date, grouping: Grouping | None) -> None:
    timeline = build(entries, today, span, Choice(group=grouping))
    drawn = [b.id for b in timeline.bars]
    others = [i.id for i in (*timeline.undated, *timeline.outside)]
    assert sorted(drawn + others) == sorted(i.id for i in entries)
    for bar in timeline.bars:
        assert span.start <= bar.start <= bar.end <= span.end
        assert 0.0 <= bar.left(span) < bar.right(span) <= 1.0
        window = bar.item.window
        assert window.earliest is not None
        assert bar.cut_start == (window.earliest < span.start)
        assert bar.open_end == (window.latest is None)
    for connector in timeline.connectors:
        assert {connector.anchor, connector.dependant} <= set(drawn)
    assert all(not span.meets(i.window) for i in timeline.outside)


@given(spans())
def test_ticks_lie_in_the_span_and_are_few(span: Span) -> None:
    found = ticks(span)
    assert len(found) <= 24
    assert found == sorted(set(found))
    assert all(span.holds(day) and day.day == 1 for day in found)
