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
