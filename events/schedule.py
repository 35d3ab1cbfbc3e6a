"""Confirmed dates: whole days, or instants in the IANA zone they were given in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from events.errors import ScheduleError
from events.window import Precision, Window, describe_window, format_window

# A timed confirmation without an end time lasts this long: long enough to show as a block
# in a calendar, short enough not to claim the whole day.
DEFAULT_DURATION = timedelta(hours=1)

_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?")


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, or a ScheduleError saying what to write instead."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {name!r}: use an IANA name such as Asia/Seoul or Europe/Paris"
        ) from None


def parse_clock(text: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if (match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59
            or int(match["second"] or 0) > 59):
        raise ScheduleError(f"{text!r} is not a time of day: write HH:MM, such as 09:30")
    return time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Confirmed dates. All-day: ``start`` and ``end`` are the first and last day.

    Timed: ``start`` and ``end`` are aware datetimes and ``timezone`` the zone they were
    given in, kept so they can be shown the way they were said.
    """

    start: date
    end: date
    timezone: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ScheduleError(f"it ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def timed(cls, start: datetime, end: datetime, timezone: str) -> Schedule:
        tz = zone(timezone)
        return cls(start.astimezone(tz), end.astimezone(tz), timezone)

    @classmethod
    def confirm(
        cls,
        days: Window,
        *,
        at: time | None = None,
        until: time | None = None,
        timezone: str,
    ) -> Schedule:
        """The schedule for ``confirm --on DAYS [--at HH:MM [--until HH:MM]] --tz ZONE``."""
        if days.precision is not Precision.DAY:
            raise ScheduleError(
                f"{format_window(days)} is not a day or a span of days: confirm takes exact "
                "days such as 2019-11-23 or 2019-11-23..2019-11-24 (use 'move' for a window)"
            )
        assert days.earliest is not None and days.latest is not None
        if at is None:
            if until is not None:
                raise ScheduleError("--until needs --at: give the start time as well")
            return cls(days.earliest, days.latest)
        tz = zone(timezone)
        start = datetime.combine(days.earliest, at, tz)
        if until is None:
            end = datetime.combine(days.latest, at, tz) + DEFAULT_DURATION
        else:
            end = datetime.combine(days.latest, until, tz)
            if end <= start:
                raise ScheduleError(
                    f"--until {until:%H:%M} is not after --at {at:%H:%M}: "
                    "give an end after the start"
                )
        return cls(start, end, timezone)

    @property
    def is_timed(self) -> bool:
        return isinstance(self.start, datetime)

    def days(self) -> Window:
        """The local days it takes up."""
        return Window.days(_day(self.start), _day(self.end))

    def to_text(self) -> str:
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            return f"{self.start.isoformat()}..{self.end.isoformat()} {self.timezone}"
        return format_window(self.days())

    def describe(self) -> str:
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            days = describe_window(self.days())
            return f"{days}, {self.start:%H:%M}–{self.end:%H:%M} {self.timezone}"
        return describe_window(self.days())

    def utc(self) -> tuple[datetime, datetime]:
        """Start and end as UTC instants; only for a timed schedule."""
        assert isinstance(self.start, datetime) and isinstance(self.end, datetime)
        return self.start.astimezone(UTC), self.end.astimezone(UTC)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
