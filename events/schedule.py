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


def _local(day: date, clock: time, tz: ZoneInfo, option: str) -> datetime:
    """``clock`` on ``day`` in ``tz``; a ScheduleError when the clocks skip it that day.

    Python would take a time in a spring-forward gap (02:30 when clocks go from 02:00 to
    03:00) without a word and move it by the size of the gap, which can make an event end
    when it starts. A time the clocks pass twice (autumn) is taken at its first passing.
    """
    wall = datetime.combine(day, clock)
    moment = wall.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    before, after = _gap(moment, tz)

    if before.date() == after.date() == day:
        gap = f"from {before:%H:%M} straight to {after:%H:%M}"
        instead = f"give a time before {before:%H:%M}, or {after:%H:%M} or later"
    else:  # a zone that skipped a whole day (Pacific/Apia, 30 December 2011)
        gap = f"from {before:%Y-%m-%d %H:%M} straight to {after:%Y-%m-%d %H:%M}"
        instead = "give a time outside that gap"
    raise ScheduleError(
        f"{option} {clock:%H:%M} on {day.isoformat()} does not exist in {tz.key}: "
        f"the clocks go {gap}; {instead}"
    )


def _gap(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local wall times on either side of the gap that ``moment`` falls in."""
    # An aware time always has an offset; "or" only satisfies the type.
    offset_before = moment.utcoffset() or timedelta()
    offset_after = moment.replace(fold=1).utcoffset() or timedelta()
    # Read with the offset after the change, the wall time is an instant before the change;
    # read with the one before it, an instant after. The change is the first second between
    # them that the zone gives the later offset.
    early = int(moment.replace(fold=1).timestamp())
    late = int(moment.replace(fold=0).timestamp())
    while late - early > 1:
        middle = (early + late) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            late = middle
        else:
            early = middle
    change = datetime.fromtimestamp(late, UTC).replace(tzinfo=None)
    return change + offset_before, change + offset_after


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
        length: timedelta | None = None,
    ) -> Schedule:
        """The schedule for ``confirm --on DAYS [--at HH:MM [--until HH:MM]] --tz ZONE``; with
        no end, it lasts ``length`` (default an hour) from its start."""
        if days.precision is not Precision.DAY or days.earliest is None or days.latest is None:
            raise ScheduleError(
                f"{format_window(days)} is not a day or a span of days: confirm takes exact "
                "days such as 2019-11-23 or 2019-11-23..2019-11-24 (use 'move' for a window)"
            )
        if at is None:
            if until is not None:
                raise ScheduleError("--until needs --at: give the start time as well")
            return cls(days.earliest, days.latest)
        tz = zone(timezone)
        start = _local(days.earliest, at, tz, "--at")
        if until is None:
            # An hour as elapsed, not on the wall clock, which a change of offset would bend.
            last = _local(days.latest, at, tz, "--at")
            end = (last.astimezone(UTC) + (length or DEFAULT_DURATION)).astimezone(tz)
        else:
            end = _local(days.latest, until, tz, "--until")
            # Compared as instants: aware times in one zone compare by wall clock, which
            # around an autumn change is not the order they happen in.
            if end.astimezone(UTC) <= start.astimezone(UTC):
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
        if not (isinstance(self.start, datetime) and isinstance(self.end, datetime)):
            raise ValueError(f"{self.describe()} has days, not times: it has no UTC instants")
        return self.start.astimezone(UTC), self.end.astimezone(UTC)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
