"""Date windows: when a follow-up is expected, as precisely as anyone knows it.

A window is an inclusive span of days with a precision ("second half of 2019" is the span
2019-07-01..2019-12-31 at half-year precision). Its latest day may be open ("February 2019
and on"), and an undated follow-up has no days at all. Collapsing a loose phrase to a single
day is the mistake this module exists to avoid.

Text form, as typed on the command line and printed back::

    2019-01-24              a day
    2019-01-22..2019-01-23  a span of days (any two forms below joined by '..')
    2019-02                 a month
    2019-Q3                 a quarter
    2019-H2                 a half-year
    2019                    a year
    2019-02..               from February 2019 on, no end given
    undated                 no date given at all

Everything here is pure: no clock is read, ``today`` is passed in.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from events.errors import WindowError


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half-year"
    YEAR = "year"
    OPEN = "open"


class Phase(StrEnum):
    """Where a window stands relative to a given day."""

    UPCOMING = "upcoming"
    OPEN = "open"
    PASSED = "passed"
    UNDATED = "undated"


# Finest first: a bound aligned to a coarser unit is aligned to every finer one.
_BOUNDED = (Precision.DAY, Precision.MONTH, Precision.QUARTER, Precision.HALF_YEAR, Precision.YEAR)
_MONTHS_PER_UNIT = {
    Precision.MONTH: 1,
    Precision.QUARTER: 3,
    Precision.HALF_YEAR: 6,
    Precision.YEAR: 12,
}

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}

_POINT = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?:(?P<month>\d{2})(?:-(?P<day>\d{2}))?|[Qq](?P<quarter>\d+)|[Hh](?P<half>\d+)))?"
)

_SYNTAX_HINT = (
    "write a day 2019-01-24, a month 2019-02, a quarter 2019-Q3, a half-year 2019-H2, "
    "a year 2019, a span A..B, an open end A.. or 'undated'"
)


def unit_start(precision: Precision, day: date) -> date:
    """The first day of the unit of ``precision`` that holds ``day``."""
    if precision is Precision.DAY:
        return day
    months = _MONTHS_PER_UNIT[precision]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def unit_end(precision: Precision, day: date) -> date:
    """The last day of the unit of ``precision`` that holds ``day``."""
    if precision is Precision.DAY:
        return day
    months = _MONTHS_PER_UNIT[precision]
    last_month = (day.month - 1) // months * months + months
    return date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def _aligned(precision: Precision, earliest: date, latest: date) -> bool:
    return unit_start(precision, earliest) == earliest and unit_end(precision, latest) == latest


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive span of days at a precision; ``latest`` None means open-ended."""

    earliest: date | None
    latest: date | None
    precision: Precision

    def __post_init__(self) -> None:
        if self.earliest is None and self.latest is not None:
            raise WindowError("a window with an end needs a start")
        if (self.latest is None) != (self.precision is Precision.OPEN):
            raise WindowError("only a window without an end has open precision")
        if self.earliest is not None and self.latest is not None:
            if self.latest < self.earliest:
                raise WindowError(
                    f"the window ends ({self.latest}) before it starts ({self.earliest})"
                )
            if not _aligned(self.precision, self.earliest, self.latest):
                raise WindowError(
                    f"{self.earliest}..{self.latest} does not start and end on whole "
                    f"{self.precision} boundaries"
                )

    # -- construction ------------------------------------------------------------------

    @classmethod
    def day(cls, day: date) -> Window:
        return cls(day, day, Precision.DAY)

    @classmethod
    def days(cls, earliest: date, latest: date) -> Window:
        return cls(earliest, latest, Precision.DAY)

    @classmethod
    def month(cls, year: int, month: int) -> Window:
        return cls.unit(Precision.MONTH, date(year, month, 1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Window:
        return cls.unit(Precision.QUARTER, date(year, 3 * quarter - 2, 1))

    @classmethod
    def half_year(cls, year: int, half: int) -> Window:
        return cls.unit(Precision.HALF_YEAR, date(year, 6 * half - 5, 1))

    @classmethod
    def year(cls, year: int) -> Window:
        return cls.unit(Precision.YEAR, date(year, 1, 1))

    @classmethod
    def unit(cls, precision: Precision, day: date) -> Window:
        """The whole unit of ``precision`` (a month, a quarter, ...) that holds ``day``."""
        return cls(unit_start(precision, day), unit_end(precision, day), precision)

    @classmethod
    def open_from(cls, earliest: date) -> Window:
        return cls(earliest, None, Precision.OPEN)

    @classmethod
    def undated(cls) -> Window:
        return cls(None, None, Precision.OPEN)

    @classmethod
    def spanning(cls, earliest: date, latest: date) -> Window:
        """The span at the coarsest precision its bounds align to (07-01..12-31 is a half)."""
        for precision in reversed(_BOUNDED):
            if _aligned(precision, earliest, latest):
                return cls(earliest, latest, precision)
        raise AssertionError("every span is aligned to days")  # pragma: no cover

    # -- questions ---------------------------------------------------------------------

    @property
    def is_undated(self) -> bool:
        return self.earliest is None

    @property
    def is_open_ended(self) -> bool:
        return self.earliest is not None and self.latest is None

    def contains(self, item: date | Window) -> bool:
        """Whether a day, or every day of another window, falls inside this one."""
        if isinstance(item, Window):
            if item.earliest is None:  # undated
                return self.is_undated
            return self.contains(item.earliest) and (
                self.latest is None if item.latest is None else self.contains(item.latest)
            )
        if self.earliest is None:
            return True
        return self.earliest <= item and (self.latest is None or item <= self.latest)

    def overlaps(self, other: Window) -> bool:
        """Whether some day could be in both; an undated window could be any day."""
        if self.earliest is None or other.earliest is None:
            return True
        return (self.latest is None or other.earliest <= self.latest) and (
            other.latest is None or self.earliest <= other.latest
        )

    def narrow(self, other: Window) -> Window:
        """The days both windows allow: what is known once both facts hold."""
        if self.earliest is None:
            return other
        if other.earliest is None:
            return self
        if not self.overlaps(other):
            raise WindowError(f"{format_window(self)} and {format_window(other)} share no day")
        earliest = max(self.earliest, other.earliest)
        bounds = [b for b in (self.latest, other.latest) if b is not None]
        if not bounds:
            return Window.open_from(earliest)
        return Window.spanning(earliest, min(bounds))

    def widen(self, days: int) -> Window:
        """The window with ``days`` more on each side, at day precision."""
        if days == 0 or self.earliest is None:
            return self
        try:
            earliest = self.earliest - timedelta(days=days)
            if self.latest is None:
                return Window.open_from(earliest)
            return Window.days(earliest, self.latest + timedelta(days=days))
        except OverflowError:
            raise WindowError(
                f"widening {format_window(self)} by {days} day{'' if days == 1 else 's'} "
                "leaves the calendar"
            ) from None

    def phase(self, today: date) -> Phase:
        if self.earliest is None:
            return Phase.UNDATED
        if today < self.earliest:
            return Phase.UPCOMING
        if self.latest is not None and today > self.latest:
            return Phase.PASSED
        return Phase.OPEN


# -- text form ---------------------------------------------------------------------------


def parse_window(text: str) -> Window:
    """Parse the text form (see the module docstring); raise WindowError saying how to fix it."""
    cleaned = text.strip()
    if cleaned.lower() == "undated":
        return Window.undated()
    try:
        if ".." not in cleaned:
            return _parse_point(cleaned)
        head, _, tail = cleaned.partition("..")
        first = _parse_point(head.strip())
        start, _ = _days(first)
        if not tail.strip():
            return Window.open_from(start)
        last = _parse_point(tail.strip())
        _, end = _days(last)
        if end < start:
            raise WindowError(f"it ends ({end}) before it starts ({start})")
        finest = min(first.precision, last.precision, key=_BOUNDED.index)
        return Window(start, end, finest)
    except WindowError as problem:
        raise WindowError(f"{text!r} is not a date window: {problem}; {_SYNTAX_HINT}") from None


def _days(point: Window) -> tuple[date, date]:
    """The first and last day of one end of a span A..B: a day, month, quarter, half-year or
    year, never undated or open."""
    if point.earliest is None or point.latest is None:
        raise WindowError("each end of a span must be a date, such as 2019-03 or 2019-Q4")
    return point.earliest, point.latest


def _parse_point(text: str) -> Window:
    match = _POINT.fullmatch(text)
    if match is None:
        raise WindowError("unrecognised form")
    year = int(match["year"])
    if year < 1:
        raise WindowError("there is no year 0000")
    if match["quarter"] is not None:
        quarter = int(match["quarter"])
        if not 1 <= quarter <= 4:
            raise WindowError(f"there is no quarter Q{match['quarter']}, use Q1 to Q4")
        return Window.quarter(year, quarter)
    if match["half"] is not None:
        half = int(match["half"])
        if half not in (1, 2):
            raise WindowError(f"there is no half-year H{match['half']}, use H1 or H2")
        return Window.half_year(year, half)
    if match["month"] is None:
        return Window.year(year)
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise WindowError(f"there is no month {match['month']}")
    if match["day"] is None:
        return Window.month(year, month)
    day = int(match["day"])
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise WindowError(f"{calendar.month_name[month]} {year} has no day {match['day']}")
    return Window.day(date(year, month, day))


def _label(precision: Precision, day: date) -> str:
    match precision:
        case Precision.DAY:
            return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
        case Precision.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        case Precision.QUARTER:
            return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
        case Precision.HALF_YEAR:
            return f"{day.year:04d}-H{(day.month - 1) // 6 + 1}"
        case _:
            return f"{day.year:04d}"


def _start_precision(day: date) -> Precision:
    return Precision.MONTH if day.day == 1 else Precision.DAY


def format_window(window: Window) -> str:
    """The text form; ``parse_window(format_window(w)) == w`` for every window."""
    if window.earliest is None:
        return "undated"
    if window.latest is None:
        return _label(_start_precision(window.earliest), window.earliest) + ".."
    first = _label(window.precision, window.earliest)
    last = _label(window.precision, window.latest)
    return first if first == last else f"{first}..{last}"


# -- words -------------------------------------------------------------------------------


def _words(precision: Precision, day: date) -> str:
    match precision:
        case Precision.DAY:
            return f"{day.day} {calendar.month_name[day.month]} {day.year}"
        case Precision.MONTH:
            return f"{calendar.month_name[day.month]} {day.year}"
        case Precision.QUARTER:
            return f"{_ORDINALS[(day.month - 1) // 3 + 1]} quarter of {day.year}"
        case Precision.HALF_YEAR:
            return f"{_ORDINALS[(day.month - 1) // 6 + 1]} half of {day.year}"
        case _:
            return str(day.year)


def describe_window(window: Window) -> str:
    """The window in words, as a person would say it: "second half of 2019"."""
    return _described(window.earliest, window.latest, window.precision)


#: Said of the same few windows over and over (every notice and digest line names one).
@lru_cache(maxsize=8192, typed=True)
def _described(earliest: date | None, latest: date | None, precision: Precision) -> str:
    if earliest is None:
        return "no date given"
    if latest is None:
        return f"{_words(_start_precision(earliest), earliest)} onwards"
    first, last = _words(precision, earliest), _words(precision, latest)
    if first == last:
        return first
    if precision is Precision.DAY and earliest.year == latest.year:
        if earliest.month == latest.month:
            return f"{earliest.day}–{last}"
        return f"{earliest.day} {calendar.month_name[earliest.month]} – {last}"
    if precision is Precision.MONTH and earliest.year == latest.year:
        return f"{calendar.month_name[earliest.month]} – {last}"
    if precision in (Precision.DAY, Precision.MONTH, Precision.YEAR):
        return f"{first} – {last}"
    return f"{first} to {last}"
