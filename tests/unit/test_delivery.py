"""The pieces of delivery that need no database: claims held, channels paused, outages."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.errors import StoreError, first_line
from scheduler.breaker import Breaker, backoff
from scheduler.daemon import Outage, process_exists
from scheduler.holdings import Holdings

LEASE = timedelta(seconds=60)
NOW = datetime(2019, 11, 16, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_claim_is_certain_for_half_a_lease_then_must_be_renewed() -> None:
    ticks = Ticks()
    holdings = Holdings(LEASE, ticks)
    holdings.claimed([1, 2], asked_at=ticks.now)
    assert holdings.certain(1)
    assert not holdings.certain(3)  # never claimed
    ticks.now += 29.9
    assert holdings.certain(1)
    ticks.now += 0.1  # half the lease gone: another daemon could soon take it
    assert not holdings.certain(1)
    assert holdings.holds(1)
    lost = holdings.renewed([1, 2], {2}, asked_at=ticks.now)
    assert lost == {1}
    assert not holdings.holds(1)
    assert holdings.certain(2)
    assert holdings.ids() == [2]
    holdings.release([2])
    assert len(holdings) == 0


def test_a_pause_longer_than_the_lease_leaves_nothing_certain() -> None:
    ticks = Ticks()
    holdings = Holdings(LEASE, ticks)
    holdings.claimed(range(20), asked_at=ticks.now)
    ticks.now += 5 * 60  # SIGSTOP, a frozen VM
    assert not any(holdings.certain(i) for i in range(20))


def test_a_later_claim_does_not_stretch_an_earlier_one() -> None:
    ticks = Ticks()
    holdings = Holdings(LEASE, ticks)
    holdings.claimed([1], asked_at=ticks.now)
    ticks.now += 20
    holdings.claimed([2], asked_at=ticks.now)
    ticks.now += 10.5  # 30.5 s after the first claim
    assert not holdings.certain(1)
    assert not holdings.certain(2)  # one horizon for all: the earliest


@pytest.mark.parametrize(
    ("attempts", "jitter", "seconds"),
    [
        (1, 1.0, 60),  # the base
        (2, 1.0, 120),  # doubles
        (3, 1.0, 240),
        (7, 1.0, 3600),  # 3,840 capped
        (30, 1.0, 3600),
        (1, 0.0, 30),  # jitter takes up to half off
        (3, 0.5, 180),
    ],
)
def test_the_retry_delay_doubles_up_to_the_cap(attempts: int, jitter: float,
                                               seconds: float) -> None:
    assert backoff(attempts, 60, 3600, lambda: jitter) == timedelta(seconds=seconds)


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0, max_value=1))
def test_the_retry_delay_is_never_longer_than_the_cap_nor_shorter_than_half_the_base(
        attempts: int, jitter: float) -> None:
    delay = backoff(attempts, 60, 3600, lambda: jitter).total_seconds()
    assert 30 <= delay <= 3600


def test_a_channel_down_pauses_doubling_and_logs_once_per_outage(
        caplog: pytest.LogCaptureFixture) -> None:
    breaker = Breaker(60, 600, lambda: 1.0)
    caplog.set_level(logging.INFO, "followup.daemon")
    assert breaker.paused(NOW) == []
    until = breaker.trip("email", "cannot reach mail:587", NOW)
    assert until == NOW + timedelta(seconds=60)
    assert breaker.paused(NOW) == ["email"]
    assert breaker.paused(until) == []  # the pause is over: one try is allowed
    assert breaker.next_try(NOW) == until
    assert breaker.next_try(until) is None  # not a moment in the past: no busy loop
    assert breaker.reason("email") == "cannot reach mail:587"
    again = breaker.trip("email", "cannot reach mail:587", until)
    assert again == until + timedelta(seconds=120)
    later = breaker.trip("email", "login refused", again)
    assert later == again + timedelta(seconds=240)
    breaker.works("email", later)
    assert breaker.paused(later) == [] and breaker.reason("email") is None
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("the email channel is unavailable: cannot reach mail:587; "
                                  "its notices wait, next try at 2019-11-16 00:01:00 UTC")
    assert messages[1] == ("the email channel is still unavailable (try 2, down since 00:00:00 "
                           "UTC): cannot reach mail:587; next try at 2019-11-16 00:03:00 UTC")
    assert messages[2] == ("the email channel is still unavailable (try 3, down since 00:00:00 "
                           "UTC): login refused; next try at 2019-11-16 00:07:00 UTC")
    assert messages[3] == "the email channel works again after 7.0 minutes (3 tries)"
    # a new outage starts from the base again
    assert breaker.trip("email", "x", later) == later + timedelta(seconds=60)


def test_channels_are_paused_each_on_its_own() -> None:
    breaker = Breaker(60, 600, lambda: 1.0)
    breaker.trip("email", "down", NOW)
    breaker.trip("log", "disk full", NOW + timedelta(seconds=30))
    assert breaker.paused(NOW + timedelta(seconds=61)) == ["log"]
    assert breaker.next_try(NOW) == NOW + timedelta(seconds=60)


def test_an_outage_is_one_line_down_and_one_line_up(caplog: pytest.LogCaptureFixture) -> None:
    ticks = Ticks()
    outage = Outage("the heartbeat", ticks)
    caplog.set_level(logging.INFO, "followup.daemon")
    outage.works()  # nothing to say
    for _ in range(50):
        outage.failed(StoreError("register.db is locked by another process"))
        ticks.now += 0.5
    outage.works()
    assert [r.getMessage() for r in caplog.records] == [
        "the heartbeat failed: register.db is locked by another process",
        "the heartbeat works again after 25.0 s (50 failures)",
    ]


def test_a_bug_in_a_job_shows_its_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage("delivery")
    for _ in range(3):
        try:
            raise KeyError("surprise")
        except KeyError as error:
            outage.failed(error)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


def test_a_process_that_is_gone_or_a_zombie_does_not_exist() -> None:
    assert process_exists(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while datetime.now(UTC) < deadline:  # exited, not yet reaped: a zombie
        if stat.read_text().rpartition(")")[2].split()[0] == "Z":
            break
    assert not process_exists(child.pid)
    child.wait()
    assert not process_exists(child.pid)


def test_an_error_is_said_by_its_first_line_or_else_its_name() -> None:
    assert first_line(StoreError("register.db is locked\n(Background on this error at ...)")) == (
        "register.db is locked")
    assert first_line(StoreError("  \n")) == "StoreError"
    assert first_line(TimeoutError()) == "TimeoutError"
