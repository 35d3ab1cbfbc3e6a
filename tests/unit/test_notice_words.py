"""Words a notice adds for its reader: the hours in the reader's zone, and why they get it."""

from __future__ import annotations

from datetime import date, time

import pytest

from events.model import FollowUp, Kind, Status
from events.planning import Audience
from events.schedule import Schedule
from events.window import Window
from scheduler.notices import in_audience_zone, selection


def timed(zone: str, start: str, end: str) -> FollowUp:
    schedule = Schedule.confirm(Window.day(date(2019, 12, 10)), at=time.fromisoformat(start),
                                until=time.fromisoformat(end), timezone=zone)
    followup = FollowUp(id="jcec-24", title="JCEC 24", kind=Kind.MEETING,
                        status=Status.SCHEDULED, parties=[], tags=[], margin_days=0,
                        earliest=date(2019, 12, 10), latest=date(2019, 12, 10))
    followup.start_at, followup.end_at = schedule.utc()
    followup.timezone = zone
    return followup


@pytest.mark.parametrize(
    ("host", "start", "end", "reader", "expected"),
    [
        ("Asia/Shanghai", "10:00", "17:00", "Asia/Seoul", "11:00–18:00 KST in Asia/Seoul"),
        ("Asia/Seoul", "10:00", "17:00", "Asia/Seoul", ""),  # the same zone: nothing to add
        ("Asia/Seoul", "07:00", "09:00", "Europe/Brussels",
         "9 December, 23:00–01:00 CET in Europe/Brussels"),  # the day before, there
    ],
)
def test_a_timed_meeting_in_the_reader_s_zone(host: str, start: str, end: str, reader: str,
                                               expected: str) -> None:
    assert in_audience_zone(timed(host, start, end), Audience("desk", timezone=reader)) == \
        expected


def test_an_all_day_meeting_needs_no_hours() -> None:
    followup = timed("Asia/Shanghai", "10:00", "17:00")
    followup.start_at = followup.end_at = followup.timezone = None
    followup.start_date = followup.end_date = date(2019, 12, 10)
    assert in_audience_zone(followup, Audience("desk", timezone="Europe/Paris")) == ""


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience("desk"), "every follow-up"),
        (Audience("env", tags=frozenset({"temm", "jcec"})), "the follow-ups tagged jcec, temm"),
        (Audience("env", tags=frozenset({"temm"}), kinds=frozenset({Kind.REPORT})),
         "the follow-ups tagged temm or of kind report"),
    ],
)
def test_why_a_reader_gets_a_notice(audience: Audience, expected: str) -> None:
    assert selection(audience) == expected
