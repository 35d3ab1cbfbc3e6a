"""The timeline: where follow-ups' windows lie against each other and today.

One model for the page (SVG) and the terminal (``followup timeline``): a span of days, a
bar per follow-up clipped to it, the anchors as connectors from anchor to dependant, the
undated follow-ups in a list of their own. Positions are fractions of the span (0 at its
first day, 1 after its last), so each drawing scales them to its own width.

Pure: no clock is read (``today`` is passed in), no database, no drawing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from events.errors import WindowError
from events.kinds import Kind, Status
from events.window import Phase, Window, format_window

__all__ = [
    "Bar",
    "Choice",
    "Connector",
    "Group",
    "Grouping",
    "Item",
    "Span",
    "Timeline",
    "add_months",
    "build",
    "position",
    "span_between",
    "ticks",
]

_DAY = timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), the last of the month when it has fewer
    days; clamped to the calendar's ends."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if year < 1:
        return date.min
    if year > 9999:
        return date.max
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True, slots=True)
class Span:
    """The inclusive days a timeline shows."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise WindowError(f"the span ends ({self.end}) before it starts ({self.start}): "
                              "give a 'to' after 'from'")

    @classmethod
    def around(cls, today: date) -> Span:
        """The default: three months back to twelve months ahead of ``today``."""
        return cls(add_months(today, -3), add_months(today, 12))

    @classmethod
    def fitting(cls, items: Iterable[Item]) -> Span | None:
        """The span from the first dated day to the last, or None when nothing is dated."""
        starts = [i.window.earliest for i in items if i.window.earliest is not None]
        if not starts:
            return None
        ends = [i.window.latest or i.window.earliest for i in items
                if i.window.earliest is not None]
        return cls(min(starts), max(d for d in ends if d is not None))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def meets(self, window: Window) -> bool:
        """Whether a dated window has a day in the span."""
        if window.earliest is None:
            return False
        return window.earliest <= self.end and (window.latest is None
                                                or window.latest >= self.start)


def span_between(today: date, start: Window | None, end: Window | None) -> Span:
    """The span a reader asked for: from the first day of ``start`` to the last of ``end``,
    each defaulting to the default span's (see :meth:`Span.around`)."""
    default = Span.around(today)
    if start is not None and start.earliest is None:
        raise WindowError("'from' needs a date, not 'undated': write 2019, 2019-07 or 2019-07-01")
    if end is not None and end.latest is None:
        raise WindowError(f"'to' needs an end, not {format_window(end)}: "
                          "write 2019, 2019-12 or 2019-12-31")
    first = start.earliest if start is not None else None
    last = end.latest if end is not None else None
    if first is not None and last is None:
        # A start alone: the default's fifteen months from there.
        last = add_months(first, 15)
    if last is not None and first is None:
        first = add_months(last, -15)
    return Span(first or default.start, last or default.end)


def position(day: date, span: Span) -> float:
    """Where the start of ``day`` lies in ``span``: 0 at its first day, 1 after its last;
    days outside the span are held to its edges."""
    offset = (day - span.start).days
    return min(1.0, max(0.0, offset / span.days))


def _after(day: date) -> date:
    return day if day == date.max else day + _DAY


@dataclass(frozen=True, slots=True)
class Item:
    """What the timeline needs of a follow-up."""

    id: str
    title: str
    kind: Kind
    status: Status
    window: Window
    #: The days it was confirmed for, None while only its window is known.
    confirmed: Window | None = None
    tags: tuple[str, ...] = ()
    anchor_id: str | None = None

    def overdue(self, today: date) -> bool:
        """Still expected though its window has passed (as ``followup list`` marks it)."""
        return self.status is Status.EXPECTED and self.window.phase(today) is Phase.PASSED


@dataclass(frozen=True, slots=True)
class Bar:
    """A follow-up's days within the span."""

    item: Item
    #: The first and last day drawn, held to the span.
    start: date
    end: date
    #: Only a window is known (drawn hatched); else the dates are confirmed (solid).
    fuzzy: bool
    #: The window has no end: the bar runs to the span's end and fades out.
    open_end: bool
    #: The window reaches beyond the span at that side.
    cut_start: bool
    cut_end: bool
    overdue: bool

    @property
    def id(self) -> str:
        return self.item.id

    def left(self, span: Span) -> float:
        return position(self.start, span)

    def right(self, span: Span) -> float:
        return position(_after(self.end), span) if self.end < span.end else 1.0


def bar_of(item: Item, span: Span, today: date) -> Bar | None:
    """The bar of a dated follow-up with a day in the span; None otherwise."""
    days = item.confirmed or item.window
    if days.earliest is None or not span.meets(days):
        return None
    last = days.latest if days.latest is not None else span.end
    return Bar(item=item, start=max(days.earliest, span.start), end=min(last, span.end),
               fuzzy=item.confirmed is None, open_end=days.latest is None,
               cut_start=days.earliest < span.start,
               cut_end=days.latest is None or last > span.end,
               overdue=item.overdue(today))


class Grouping(StrEnum):
    KIND = "kind"
    TAG = "tag"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class Choice:
    """Which follow-ups are shown, and how the rows are grouped."""

    kind: Kind | None = None
    tag: str | None = None
    status: Status | None = None
    group: Grouping | None = None

    def takes(self, item: Item) -> bool:
        return ((self.kind is None or item.kind is self.kind)
                and (self.tag is None or self.tag in item.tags)
                and (self.status is None or item.status is self.status))


@dataclass(frozen=True, slots=True)
class Group:
    #: Empty when the rows are not grouped.
    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Connector:
    """From an anchor's bar to the bar of what happens on its occasion."""

    anchor: str
    dependant: str


@dataclass(frozen=True)
class Timeline:
    span: Span
    today: date
    groups: tuple[Group, ...]
    connectors: tuple[Connector, ...]
    #: Chosen follow-ups with no date at all.
    undated: tuple[Item, ...]
    #: Chosen dated follow-ups with no day in the span.
    outside: tuple[Item, ...]
    #: The span that would show every chosen dated follow-up.
    fit: Span | None = field(default=None)

    @property
    def bars(self) -> list[Bar]:
        return [bar for group in self.groups for bar in group.bars]

    @property
    def today_position(self) -> float | None:
        return position(self.today, self.span) if self.span.holds(self.today) else None


def _order(item: Item) -> tuple[bool, date, bool, date, str]:
    # As ``followup list`` orders them: by window, then id.
    window = item.confirmed or item.window
    return (window.earliest is None, window.earliest or date.min, window.latest is None,
            window.latest or date.max, item.id)


_NO_TAG = "no tag"


def _label(item: Item, grouping: Grouping) -> str:
    if grouping is Grouping.KIND:
        return item.kind.value
    if grouping is Grouping.STATUS:
        return item.status.value
    # A row appears once: under its first tag in alphabetical order.
    return min(item.tags) if item.tags else _NO_TAG


def _group_order(grouping: Grouping, label: str) -> tuple[int, str]:
    if grouping is Grouping.KIND:
        return list(Kind).index(Kind(label)), label
    if grouping is Grouping.STATUS:
        return list(Status).index(Status(label)), label
    return (1 if label == _NO_TAG else 0), label


def build(items: Sequence[Item], today: date, span: Span | None = None,
          choice: Choice = Choice()) -> Timeline:
    """The timeline of ``items`` over ``span`` (default :meth:`Span.around` today)."""
    span = span or Span.around(today)
    chosen = sorted((i for i in items if choice.takes(i)), key=_order)
    bars: list[Bar] = []
    undated: list[Item] = []
    outside: list[Item] = []
    for item in chosen:
        bar = bar_of(item, span, today)
        if bar is not None:
            bars.append(bar)
        elif (item.confirmed or item.window).earliest is None:
            undated.append(item)
        else:
            outside.append(item)
    if choice.group is None:
        groups: tuple[Group, ...] = (Group("", tuple(bars)),) if bars else ()
    else:
        grouping = choice.group
        by_label: dict[str, list[Bar]] = {}
        for bar in bars:
            by_label.setdefault(_label(bar.item, grouping), []).append(bar)
        groups = tuple(Group(label, tuple(by_label[label]))
                       for label in sorted(by_label, key=lambda g: _group_order(grouping, g)))
    drawn = {bar.id for bar in bars}
    connectors = tuple(Connector(bar.item.anchor_id, bar.id) for group in groups
                       for bar in group.bars
                       if bar.item.anchor_id is not None and bar.item.anchor_id in drawn)
    return Timeline(span=span, today=today, groups=groups, connectors=connectors,
                    undated=tuple(undated), outside=tuple(outside),
                    fit=Span.fitting(chosen))


def ticks(span: Span, most: int = 24) -> list[date]:
    """First days of months, quarters or years in the span, at most ``most`` of them, at the
    finest of those steps that keeps to that."""
    months = (span.end.year - span.start.year) * 12 + span.end.month - span.start.month + 1
    step = next((s for s in (1, 3, 6, 12) if months / s <= most), None)
    if step is None:
        years = -(-months // (12 * most))
        step = 12 * next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000)
                         if s >= years)
    if step > 12:
        # Years divisible by the step: 2000, 2010, 2020...
        years = step // 12
        first_year = max(years, -(-span.start.year // years) * years)
        return [date(year, 1, 1) for year in range(first_year, span.end.year + 1, years)]
    found = []
    day = date(span.start.year, 1, 1)
    while day <= span.end:
        if day >= span.start:
            found.append(day)
        if day.year == 9999 and day.month + step > 12:
            break
        day = add_months(day, step)
    return found
