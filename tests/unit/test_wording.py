"""Numbers of days in words, wherever a 1 can occur: "1 day", "every day", never "1 days"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from events.describe import days
from events.errors import WindowError
from events.model import Kind, Status
from events.planning import Audience, Facts, NoticeKind, Policy, plan
from events.window import Window, parse_window


@pytest.mark.parametrize(("count", "words"), [(0, "0 days"), (1, "1 day"), (2, "2 days"),
                                              (14, "14 days")])
def test_days(count: int, words: str) -> None:
    assert days(count) == words


@pytest.mark.parametrize(("every", "closing", "chase", "closes"), [
    (1, 1, "every day", "1 day before the window closes"),
    (14, 14, "every 14 days", "14 days before the window closes"),
])
def test_notice_details(every: int, closing: int, chase: str, closes: str) -> None:
    facts = Facts(id="temm-21", kind=Kind.MEETING, status=Status.EXPECTED,
                  window=parse_window("2019-H2"), schedule=None, tags=(),
                  created=date(2019, 1, 24))
    planned = plan(facts, Policy(chase_every_days=every, closing_days=closing),
                   Audience("desk"), start=datetime(2019, 1, 24, tzinfo=UTC),
                   horizon=datetime(2020, 3, 1, tzinfo=UTC), now=datetime(2019, 1, 24, tzinfo=UTC))
    details = {(p.kind, p.detail) for p in planned}
    assert (NoticeKind.CHASE, chase) in details
    assert (NoticeKind.CLOSING, closes) in details


def test_widening_by_one_day_off_the_calendar() -> None:
    with pytest.raises(WindowError, match="by 1 day leaves the calendar"):
        Window.day(date(9999, 12, 31)).widen(1)
