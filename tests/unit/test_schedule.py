from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from events.errors import ScheduleError
from events.schedule import Schedule, parse_clock, zone
from events.window import parse_window


def test_all_day() -> None:
    schedule = Schedule.confirm(parse_window("2019-11-23..2019-11-24"), timezone="Asia/Tokyo")
    assert schedule == Schedule(date(2019, 11, 23), date(2019, 11, 24))
    assert not schedule.is_timed
    assert schedule.to_text() == "2019-11-23..2019-11-24"
    assert schedule.describe() == "23–24 November 2019"


def test_timed_keeps_its_zone_and_defaults_to_an_hour() -> None:
    schedule = Schedule.confirm(parse_window("2019-11-23"), at=time(10, 0), timezone="Asia/Tokyo")
    assert schedule.is_timed
    assert schedule.utc() == (
        datetime(2019, 11, 23, 1, 0, tzinfo=UTC),
        datetime(2019, 11, 23, 2, 0, tzinfo=UTC),
    )
    assert schedule.describe() == "23 November 2019, 10:00–11:00 Asia/Tokyo"
    assert schedule.days() == parse_window("2019-11-23")


def test_timed_across_days_uses_until_on_the_last_day() -> None:
    schedule = Schedule.confirm(
        parse_window("2019-11-23..2019-11-24"),
        at=time(9, 30),
        until=time(12, 0),
        timezone="Europe/Paris",
    )
    start, end = schedule.utc()
    assert start == datetime(2019, 11, 23, 8, 30, tzinfo=UTC)
    assert end == datetime(2019, 11, 24, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "at", "until", "tz", "says"),
    [
        ("2019-11", None, None, "UTC", "not a day or a span of days"),
        ("2019-H2", time(9), None, "UTC", "use 'move' for a window"),
        ("2019-11-23", None, time(9), "UTC", "--until needs --at"),
        ("2019-11-23", time(10), time(9), "UTC", "is not after --at 10:00"),
        ("2019-11-23", time(10), None, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_refused(days: str, at: time | None, until: time | None, tz: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says.replace("(", r"\(")):
        Schedule.confirm(parse_window(days), at=at, until=until, timezone=tz)


@pytest.mark.parametrize("text", ["9", "24:00", "10:60", "ten", "10:5"])
def test_bad_clock(text: str) -> None:
    with pytest.raises(ScheduleError, match="HH:MM"):
        parse_clock(text)


@pytest.mark.parametrize("name", ["", "../etc/passwd", "Not/AZone"])
def test_bad_zone(name: str) -> None:
    with pytest.raises(ScheduleError, match="IANA"):
        zone(name)


@pytest.mark.parametrize(
    ("days", "at", "until", "tz", "says"),
    [
        # Europe/Berlin springs forward from 02:00 to 03:00 on 29 March 2026
        ("2026-03-29", time(2, 30), None, "Europe/Berlin",
         "--at 02:30 on 2026-03-29 does not exist in Europe/Berlin: the clocks go from 02:00 "
         "straight to 03:00; give a time before 02:00, or 03:00 or later"),
        ("2026-03-29", time(2, 0), None, "Europe/Berlin", "--at 02:00 on 2026-03-29"),
        ("2026-03-29", time(2, 59, 59), None, "Europe/Berlin", "--at 02:59 on 2026-03-29"),
        ("2026-03-29", time(1, 0), time(2, 30), "Europe/Berlin",
         "--until 02:30 on 2026-03-29 does not exist in Europe/Berlin"),
        # the last day of a span is checked too, and --at is also the last day's start
        ("2026-03-28..2026-03-29", time(2, 30), None, "Europe/Berlin",
         "--at 02:30 on 2026-03-29"),
        ("2026-03-08", time(2, 30), None, "America/New_York",
         "the clocks go from 02:00 straight to 03:00"),
        # half an hour on Lord Howe Island
        ("2026-10-04", time(2, 15), None, "Australia/Lord_Howe",
         "the clocks go from 02:00 straight to 02:30"),
        # a whole day skipped when Samoa crossed the date line
        ("2011-12-30", time(12, 0), None, "Pacific/Apia",
         "the clocks go from 2011-12-30 00:00 straight to 2011-12-31 00:00; give a time "
         "outside that gap"),
    ],
)
def test_a_time_the_clocks_skip_is_refused(
    days: str, at: time, until: time | None, tz: str, says: str
) -> None:
    with pytest.raises(ScheduleError) as refused:
        Schedule.confirm(parse_window(days), at=at, until=until, timezone=tz)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("days", "at", "until", "tz", "start", "end"),
    [
        # either side of the spring gap
        ("2026-03-29", time(1, 59), None, "Europe/Berlin",
         datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 59, tzinfo=UTC)),
        ("2026-03-29", time(3, 0), time(4, 0), "Europe/Berlin",
         datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC)),
        # an hour from 01:30 is 03:30 on the wall that night, not 02:30, which does not exist
        ("2026-03-29", time(1, 30), None, "Europe/Berlin",
         datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # autumn: 02:30 happens twice; the first is taken
        ("2026-10-25", time(2, 30), None, "Europe/Berlin",
         datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-10-25", time(2, 30), time(2, 45), "Europe/Berlin",
         datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 45, tzinfo=UTC)),
    ],
)
def test_times_around_a_change_of_offset(
    days: str, at: time, until: time | None, tz: str, start: datetime, end: datetime
) -> None:
    schedule = Schedule.confirm(parse_window(days), at=at, until=until, timezone=tz)
    assert schedule.utc() == (start, end)
    assert schedule.utc()[0] < schedule.utc()[1]
    # what was given is what is shown back
    assert isinstance(schedule.start, datetime)
    assert (schedule.start.hour, schedule.start.minute) == (at.hour, at.minute)
