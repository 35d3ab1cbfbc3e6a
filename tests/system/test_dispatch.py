"""The dispatcher on a real SQLite file, with channels that misbehave on cue."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.ledger import Ledger, PlanSettings
from events.model import Notice, NoticeStatus
from events.planning import Audience, NoticeKind, Planned, notice_key
from events.queue import Queue
from events.store import Store
from scheduler.channels import Channel, ChannelDown, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates

NOW = datetime(2019, 10, 1, tzinfo=UTC)
SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul"),))
DELIVERY = DeliveryConfig(lease_seconds=2, heartbeat_seconds=0.5, backoff_seconds=60,
                          backoff_cap_seconds=600, max_attempts=3, batch=10)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Scripted(Channel):
    """Delivers, or does what ``script`` says for a notice (by its key's last part)."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.script: dict[str, Callable[[], None]] = {}
        self.idled = 0

    def send(self, message: Message) -> None:
        action = self.script.get(message.key.rpartition("#")[2])
        if action is not None:
            action()
        self.sent.append(message.key)

    def idle(self) -> None:
        self.idled += 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'register.db'}", busy_timeout=0.1)
    store.prepare()
    yield store
    store.dispose()


def planned(index: int, *, followup_id: str = "*", channel: str = "log",
            audience: str = "desk") -> Planned:
    # Digests need no follow-up: the register can stay empty.
    key = notice_key("*", NoticeKind.DIGEST, NOW, audience, channel) + f"#{index}"
    return Planned(NOW, key, followup_id, NoticeKind.DIGEST, audience, channel, NOW)


def add(store: Store, *notices: Planned) -> None:
    with store.transaction(write=True) as session:
        Ledger(session, SETTINGS, NOW).insert(list(notices))


def rows(store: Store) -> dict[str, Notice]:
    with store.transaction(write=False) as session:
        return {n.key.rpartition("#")[2]: n for n in Queue(session, NOW).listing()}


def dispatcher(store: Store, channel: Channel, *, owner: str = "a",
               settings: PlanSettings = SETTINGS, delivery: DeliveryConfig = DELIVERY,
               clock: Clock | None = None, ticks: Ticks | None = None,
               stop: threading.Event | None = None) -> Dispatcher:
    return Dispatcher(store, settings, delivery, {"log": channel}, Templates(), owner=owner,
                      clock=clock or Clock(), rng=lambda: 1.0, monotonic=ticks or Ticks(),
                      stop=stop)


def test_each_failure_is_its_notice_s_own(store: Store) -> None:
    add(store, *(planned(i) for i in range(5)))
    channel = Scripted()

    def refuse() -> None:
        raise GiveUp("550 no such user")

    def defer() -> None:
        raise TryAgain("451 busy")

    def bug() -> None:
        raise RuntimeError("a bug in a channel")

    channel.script = {"1": refuse, "2": defer, "3": bug}
    assert dispatcher(store, channel).run() == 5
    found = rows(store)
    assert (found["0"].status, found["4"].status) == (NoticeStatus.SENT, NoticeStatus.SENT)
    assert (found["1"].status, found["1"].last_error) == (NoticeStatus.DEAD, "550 no such user")
    assert (found["2"].status, found["2"].next_attempt) == (
        NoticeStatus.FAILED, NOW + timedelta(seconds=60))
    assert found["3"].status is NoticeStatus.FAILED
    assert found["3"].last_error == "unexpected failure: RuntimeError('a bug in a channel')"
    assert all(n.attempts == 1 and n.lease_owner is None for n in found.values())
    assert channel.idled == 1  # connections let go once the batch is done


def test_notices_for_a_removed_audience_or_channel_are_dead_with_the_reason(
        store: Store) -> None:
    add(store, planned(0, audience="gone"), planned(1, channel="pager"), planned(2))
    channel = Scripted()
    dispatcher(store, channel).run()
    found = rows(store)
    assert found["0"].last_error == "the audience 'gone' is no longer configured"
    assert found["1"].last_error == "the channel 'pager' is no longer configured"
    assert [found[k].status for k in "012"] == [NoticeStatus.DEAD, NoticeStatus.DEAD,
                                                NoticeStatus.SENT]


def test_a_channel_down_gives_its_batch_back_untried_and_waits(store: Store) -> None:
    add(store, *(planned(i) for i in range(4)))
    channel = Scripted()

    def down() -> None:
        raise ChannelDown("cannot reach mail:587")

    channel.script = {"1": down}
    clock = Clock()
    email = dispatcher(store, channel, clock=clock)
    assert email.run() == 1  # "0" went out; "1" found the channel down
    found = rows(store)
    assert found["0"].status is NoticeStatus.SENT
    for key in "123":
        assert (found[key].status, found[key].attempts) == (NoticeStatus.PENDING, 0)
        assert found[key].last_error == "waiting for the log channel: cannot reach mail:587"
    assert email.next_due() == NOW + timedelta(seconds=60)
    assert email.run() == 0  # still paused: nothing claimed
    channel.script = {}
    clock.now = NOW + timedelta(seconds=60)
    assert email.run() == 3
    assert all(n.status is NoticeStatus.SENT and n.attempts == 1 for n in rows(store).values())


def test_stopping_gives_the_rest_of_the_batch_back(store: Store) -> None:
    add(store, *(planned(i) for i in range(6)))
    stop = threading.Event()
    channel = Scripted()
    channel.script = {"2": stop.set}  # SIGTERM while "2" is in flight
    assert dispatcher(store, channel, stop=stop).run() == 3
    found = rows(store)
    assert [found[k].status for k in "012"] == [NoticeStatus.SENT] * 3
    assert all(found[k].status is NoticeStatus.PENDING and found[k].lease_owner is None
               and found[k].attempts == 0 for k in "345")


def test_finishing_hands_back_every_claim_but_an_unrecorded_send(store: Store) -> None:
    add(store, *(planned(i) for i in range(3)))
    first = dispatcher(store, Scripted())
    with store.transaction(write=True) as session:
        Queue(session, NOW).claim("a", 10, first.lease)
    assert first.finish() == 3
    assert all(n.status is NoticeStatus.PENDING for n in rows(store).values())


def test_a_claim_taken_over_during_a_pause_is_not_sent(store: Store) -> None:
    add(store, *(planned(i) for i in range(5)))
    clock, ticks = Clock(), Ticks()
    channel = Scripted()

    def paused_past_the_lease() -> None:
        # While "1" is in flight, this daemon stops for longer than its lease and another
        # takes the rest of its batch over.
        clock.now += timedelta(seconds=5)
        ticks.now += 5
        with store.transaction(write=True) as session:
            Queue(session, clock.now).claim("b", 10, timedelta(seconds=2))

    channel.script = {"1": paused_past_the_lease}
    assert dispatcher(store, channel, clock=clock, ticks=ticks).run() == 2
    assert [k.rpartition("#")[2] for k in channel.sent] == ["0", "1"]
    found = rows(store)
    assert found["1"].status is NoticeStatus.SENDING  # b's now: the one sent twice at most
    assert all(found[k].lease_owner == "b" for k in "1234")


def test_a_slow_send_renews_the_claim_before_the_next_one(store: Store) -> None:
    add(store, *(planned(i) for i in range(3)))
    clock, ticks = Clock(), Ticks()
    channel = Scripted()

    def slow() -> None:
        clock.now += timedelta(seconds=1.5)
        ticks.now += 1.5

    channel.script = {"0": slow}
    assert dispatcher(store, channel, clock=clock, ticks=ticks).run() == 3
    assert all(n.status is NoticeStatus.SENT for n in rows(store).values())


def test_an_outcome_that_cannot_be_recorded_is_kept_never_resent(
        store: Store, tmp_path: Path) -> None:
    add(store, *(planned(i) for i in range(3)))
    holder = sqlite3.connect(tmp_path / "register.db", isolation_level=None,
                             check_same_thread=False)
    channel = Scripted()
    release = threading.Event()

    def lock() -> None:
        holder.execute("BEGIN IMMEDIATE")  # longer than the busy timeout and half a lease

    channel.script = {"0": lock}
    slow = replace(DELIVERY, lease_seconds=0.6)
    first = dispatcher(store, channel, delivery=slow)
    assert first.run() == 1
    assert channel.sent == [channel.sent[0]]  # nothing more went out meanwhile
    assert first.run() == 0  # still locked: the outcome waits, nothing is claimed
    holder.execute("ROLLBACK")
    release.set()
    assert first.run() == 2
    assert len(channel.sent) == len(set(channel.sent)) == 3
    assert all(n.status is NoticeStatus.SENT and n.attempts == 1 for n in rows(store).values())
    holder.close()


def test_a_short_lock_is_waited_out_and_the_batch_goes_on(store: Store,
                                                         tmp_path: Path) -> None:
    add(store, *(planned(i) for i in range(3)))
    holder = sqlite3.connect(tmp_path / "register.db", isolation_level=None,
                             check_same_thread=False)
    channel = Scripted()

    def lock_briefly() -> None:
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(0.3, lambda: holder.execute("ROLLBACK")).start()

    channel.script = {"0": lock_briefly}
    assert dispatcher(store, channel).run() == 3
    assert all(n.status is NoticeStatus.SENT for n in rows(store).values())
    holder.close()
