"""The dispatcher on a real SQLite file, with channels that misbehave on cue."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError
from sqlalchemy import Connection, event, update
from sqlalchemy.orm import Session

import scheduler.dispatch
from events.errors import StoreError
from events.ledger import Ledger, PlanSettings
from events.model import FollowUp, Kind, Notice, NoticeStatus, Status
from events.planning import Audience, NoticeKind, Planned, notice_key
from events.queue import Queue
from events.register import Register, standard_bus
from events.schedule import Schedule
from events.store import Store
from events.window import Window
from scheduler.channels import Channel, ChannelDown, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig
from scheduler.dispatch import Dispatcher
from scheduler.notices import Rendered, Templates

NOW = datetime(2019, 10, 1, tzinfo=UTC)
SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul"),))
DELIVERY = DeliveryConfig(lease_seconds=2, heartbeat_seconds=0.5, backoff_seconds=60,
                          backoff_cap_seconds=600, max_attempts=3, batch=10)


class Clock:
    """The time the dispatcher is given. No test asks it anywhere near a thousand times: a
    run that goes round for ever fails instead of hanging the tests."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now
        self.asked = 0

    def __call__(self) -> datetime:
        self.asked += 1
        if self.asked > 1000:
            raise AssertionError("the time was asked 1000 times: the run goes round for ever")
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
        self.messages: list[Message] = []
        self.script: dict[str, Callable[[], None]] = {}
        self.idled = 0

    def send(self, message: Message) -> None:
        action = self.script.get(message.key.rpartition("#")[2])
        if action is not None:
            action()
        self.sent.append(message.key)
        self.messages.append(message)

    def idle(self) -> None:
        self.idled += 1


@pytest.fixture(scope="module")
def empty_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register with its schema and nothing else, made once and copied for each test:
    running the migrations takes longer than most of these tests."""
    path = tmp_path_factory.mktemp("empty") / "register.db"
    store = Store(f"sqlite:///{path}")
    store.prepare()
    store.dispose()  # the last connection closed: everything is in the file itself
    return path


@pytest.fixture
def store(tmp_path: Path, empty_register: Path) -> Iterator[Store]:
    shutil.copyfile(empty_register, tmp_path / "register.db")
    store = Store(f"sqlite:///{tmp_path / 'register.db'}", busy_timeout=0.1)
    assert store.prepare().created is False
    yield store
    store.dispose()


def planned(index: int | str, *, followup_id: str = "*", channel: str = "log",
            audience: str = "desk", kind: str = NoticeKind.DIGEST, due: datetime = NOW,
            detail: str = "") -> Planned:
    # Digests need no follow-up: the register can stay empty.
    key = notice_key(followup_id, kind, due, audience, channel) + f"#{index}"
    return Planned(due, key, followup_id, kind, audience, channel, due, detail)


def add(store: Store, *notices: Planned) -> None:
    with store.transaction(write=True) as session:
        Ledger(session, SETTINGS, NOW).insert(list(notices))


def rows(store: Store) -> dict[str, Notice]:
    with store.transaction(write=False) as session:
        return {n.key.rpartition("#")[2]: n for n in Queue(session, NOW).listing()}


def fails(error: Exception) -> Callable[[], None]:
    def action() -> None:
        raise error
    return action


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
    sending = dispatcher(store, channel, clock=clock, ticks=ticks)
    renewals: list[list[int]] = []
    renew = sending.renew

    def counted() -> set[int]:
        renewals.append(sending.holdings.ids())
        return renew()

    sending.renew = counted  # type: ignore[method-assign]
    assert sending.run() == 3
    assert all(n.status is NoticeStatus.SENT for n in rows(store).values())
    # Once, before "1": "0" was claimed less than half a lease before it went, and "2" goes
    # on the renewal.
    assert len(renewals) == 1 and len(renewals[0]) == 2


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


# -- what is written, sent and kept ------------------------------------------------------------

DESK = Audience("desk", timezone="Asia/Seoul", recipients=("desk@example.org",),
                tags=frozenset({"jcec"}))
CHIEF = Audience("chief", recipients=("chief@example.org", "deputy@example.org"))
TEAMS = PlanSettings(audiences=(DESK, CHIEF))


def expected(followup_id: str, title: str, month: int, *tags: str) -> FollowUp:
    """Expected some time in ``month`` of 2019, no date confirmed."""
    window = Window.month(2019, month)
    return FollowUp(id=followup_id, title=title, kind=Kind.MEETING, status=Status.EXPECTED,
                    parties=[], tags=list(tags), margin_days=0, earliest=window.earliest,
                    latest=window.latest, precision=window.precision, created_at=NOW,
                    updated_at=NOW)


def register(store: Store, *followups: FollowUp) -> None:
    with store.transaction(write=True) as session:
        session.add_all(followups)


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "followup.daemon" and r.levelno >= level]


def test_each_notice_goes_out_as_written_and_is_kept_as_sent(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    register(store, expected("temm-21", "TEMM 21", 11, "temm"))
    late = NOW - timedelta(minutes=6)
    add(store, planned("desk", followup_id="temm-21", kind=NoticeKind.CHASE, due=late),
        planned("chief", followup_id="temm-21", kind=NoticeKind.CHASE, audience="chief"))
    channel = Scripted()
    clock = Clock()
    sending = dispatcher(store, channel, settings=TEAMS, clock=clock)
    assert sending.run() == 2
    desk, chief = channel.messages
    assert (desk.kind, desk.audience, desk.followup_id, desk.due, desk.recipients,
            desk.late) == ("chase", "desk", "temm-21", late, ("desk@example.org",), True)
    assert (chief.audience, chief.due, chief.recipients, chief.late) == (
        "chief", NOW, ("chief@example.org", "deputy@example.org"), False)
    # Both written about the same follow-up, from one reading of it.
    for message in (desk, chief):
        assert message.subject == "TEMM 21: still no date (November 2019)"
        assert message.text.startswith("TEMM 21 is expected November 2019 and its date is "
                                       "still not confirmed.\n\nWhat:    TEMM 21 (meeting, "
                                       "temm-21)\n")
        assert message.html.startswith("<p>TEMM 21 is expected November 2019 and its date is "
                                       "still not confirmed.</p>")
    assert "This notice was due Tue 01 Oct 2019 08:54 KST and is sent late" in desk.text
    # each mail ends with the command that records what its reader learns, and why they get it
    assert desk.text.rstrip().splitlines()[-4:] == [
        "When you learn the date, record it: followup confirm temm-21 --on DATE", "",
        "--",
        "You get this as audience desk (the follow-ups tagged jcec); [audiences.desk] in "
        "config.toml changes that."]
    assert "sent late" not in chief.text
    found = rows(store)
    for name, message in (("desk", desk), ("chief", chief)):
        assert (found[name].subject, found[name].body_text, found[name].body_html,
                found[name].late) == (message.subject, message.text, message.html,
                                      message.late)
        assert found[name].sent_at == found[name].attempted_at == NOW
    assert lines(caplog) == [
        f"sent (late) [{desk.key}] TEMM 21: still no date (November 2019)",
        f"sent [{chief.key}] TEMM 21: still no date (November 2019)"]


def test_a_digest_lists_what_its_audience_follows_in_the_order_of_their_windows(
        store: Store) -> None:
    # Added out of order: the digest sorts by window, then by name.
    register(store, expected("ltp-report", "LTP report", 11, "jcec"),
             expected("temm-21", "TEMM 21", 10, "jcec", "temm"),
             expected("kma-visit", "Visit of the KMA", 10, "kma"),
             expected("jcec-24", "JCEC 24", 11, "jcec"))
    add(store, planned(0))
    channel = Scripted()
    dispatcher(store, channel, settings=TEAMS).run()
    [digest] = channel.messages
    assert digest.subject == "followup digest for desk: nothing new; 3 unconfirmed, 0 overdue"
    listed = [line for line in digest.text.splitlines() if line.startswith("  - ")]
    assert listed == ["  - October 2019: TEMM 21 (temm-21)",
                      "  - November 2019: JCEC 24 (jcec-24)",
                      "  - November 2019: LTP report (ltp-report)"]


def test_a_digest_puts_what_changed_since_the_last_one_first_and_says_so(
        store: Store) -> None:
    register(store, expected("temm-21", "TEMM 21", 10, "jcec", "temm"),
             expected("jcec-24", "JCEC 24", 11, "jcec"))
    # a digest a week ago, sent; then TEMM 21's dates were confirmed, and JCEC 24's window
    # was narrowed to end within the week
    add(store, planned("before", due=NOW - timedelta(days=7)))
    with store.transaction(write=True) as session:
        session.execute(update(Notice).values(status=NoticeStatus.SENT))
    with store.transaction(write=True) as session:
        register_ = Register(session, now=NOW - timedelta(days=2), bus=standard_bus())
        register_.confirm("temm-21", Schedule(date(2019, 10, 20), date(2019, 10, 21)),
                          why="followup confirm temm-21 --on 2019-10-20..2019-10-21")
        register_.move("jcec-24", Window.days(date(2019, 10, 1), date(2019, 10, 5)),
                       why="followup move jcec-24 --when 2019-10-01..2019-10-05")
    add(store, planned(0))
    channel = Scripted()
    dispatcher(store, channel, settings=TEAMS).run()
    [digest] = channel.messages
    assert digest.subject == "followup digest for desk: 2 changed, 1 closing this week"
    text = digest.text
    assert text.index("Changed since the last digest:") < text.index("Coming up")
    assert "  - TEMM 21 (temm-21) confirmed: 20–21 October 2019" in text
    assert "  - JCEC 24 (jcec-24) moved: 1–5 October 2019" in text


def test_a_missed_notice_lists_the_notices_it_stands_for(store: Store) -> None:
    register(store, expected("temm-21", "TEMM 21", 11))
    folded = [planned("chase", followup_id="temm-21", kind=NoticeKind.CHASE,
                      due=datetime(2019, 9, 2, tzinfo=UTC), detail="every 14 days"),
              planned("digest", due=datetime(2019, 9, 3, tzinfo=UTC))]
    add(store, *folded)
    with store.transaction(write=True) as session:
        session.execute(update(Notice).values(status=NoticeStatus.MISSED))
        Ledger(session, SETTINGS, NOW).insert([planned("missed", kind=NoticeKind.MISSED)],
                                              payload=[p.key for p in folded])
    channel = Scripted()
    assert dispatcher(store, channel).run() == 1
    [missed] = channel.messages
    assert missed.subject == "followup: 2 notices missed while no daemon was running"
    listed = [line for line in missed.text.splitlines() if line.startswith("  - ")]
    assert listed == ["  - Mon 02 Sep 2019 09:00 KST: chase (every 14 days), TEMM 21 (temm-21)",
                      "  - Tue 03 Sep 2019 09:00 KST: digest, digest"]
    assert rows(store)["missed"].status is NoticeStatus.SENT


class Failing(Templates):
    """The shipped templates, but one notice's fails as a broken template would, and
    another's as a bug would."""

    def render(self, kind: str, context: dict[str, Any],
               forms: Collection[str] = ("html", "markdown")) -> Rendered:
        name = context["notice"]["key"].rpartition("#")[2]
        if name == "broken":
            raise UndefinedError("'dict object' has no attribute 'room'")
        if name == "bug":
            raise RuntimeError("a bug in a filter")
        return super().render(kind, context, forms)


def test_a_notice_that_cannot_be_written_is_dead_at_once_with_the_reason(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(store, planned("broken"), planned("bug"), planned("gone", kind=NoticeKind.LEAD),
        planned("fine"), planned("last"))
    with store.transaction(write=True) as session:  # "last" has used all but one attempt
        session.execute(update(Notice).where(Notice.key.endswith("#last")).values(
            status=NoticeStatus.FAILED, attempts=DELIVERY.max_attempts - 1))
    channel = Scripted()
    channel.script = {"last": fails(TryAgain("451 busy"))}
    sending = Dispatcher(store, SETTINGS, DELIVERY, {"log": channel}, Failing(), owner="a",
                         clock=Clock(), rng=lambda: 1.0, monotonic=Ticks())
    assert sending.run() == 5  # each one tried once, the unwritable ones too
    found = rows(store)
    broken_key = found["broken"].key
    assert found["broken"].last_error == (
        "the digest template fails on it: 'dict object' has no attribute 'room'; fix the "
        f"template, then 'followup retry --key {broken_key}'")
    assert found["bug"].last_error == "cannot be written: RuntimeError('a bug in a filter')"
    assert found["gone"].last_error == "the follow-up None no longer exists"
    assert [found[k].status for k in ("broken", "bug", "gone", "fine", "last")] == [
        NoticeStatus.DEAD] * 3 + [NoticeStatus.SENT, NoticeStatus.DEAD]
    assert all(found[k].attempts == 1 for k in ("broken", "bug", "gone", "fine"))
    # Used up by the channel, not by the template: said so.
    assert (found["last"].attempts, found["last"].last_error) == (
        DELIVERY.max_attempts, "gave up after 3 attempts: 451 busy")
    [trace] = [r for r in caplog.records if r.exc_info is not None]
    assert trace.getMessage() == f"cannot write [{found['bug'].key}]"
    assert f"dead [{broken_key}]: {found['broken'].last_error}" in lines(caplog)
    assert f"dead [{found['last'].key}]: gave up after 3 attempts: 451 busy" in lines(caplog)


def test_the_last_attempt_gives_up_and_says_after_how_many(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(store, *(planned(name) for name in ("deferred", "bug", "refused", "second")))
    with store.transaction(write=True) as session:
        session.execute(update(Notice).values(status=NoticeStatus.FAILED,
                                              attempts=DELIVERY.max_attempts - 1))
        session.execute(update(Notice).where(Notice.key.endswith("#second")).values(
            attempts=1))
    channel = Scripted()
    channel.script = {"deferred": fails(TryAgain("451 busy")),
                      "bug": fails(RuntimeError("a bug in a channel")),
                      "refused": fails(GiveUp("550 no such user")),
                      "second": fails(TryAgain("451 busy"))}
    assert dispatcher(store, channel).run() == 4
    found = rows(store)
    assert {k: (n.status, n.attempts, n.last_error) for k, n in found.items()} == {
        "deferred": (NoticeStatus.DEAD, 3, "gave up after 3 attempts: 451 busy"),
        "bug": (NoticeStatus.DEAD, 3, "gave up after 3 attempts: unexpected failure: "
                                      "RuntimeError('a bug in a channel')"),
        "refused": (NoticeStatus.DEAD, 3, "gave up after 3 attempts: 550 no such user"),
        "second": (NoticeStatus.FAILED, 2, "451 busy"),
    }
    # The second failure waits twice the first's backoff.
    assert found["second"].next_attempt == NOW + timedelta(seconds=120)
    assert all(n.attempted_at == NOW for n in found.values())
    said = lines(caplog, logging.WARNING)
    assert f"dead [{found['deferred'].key}]: gave up after 3 attempts: 451 busy" in said
    assert (f"failed [{found['second'].key}] (attempt 2 of 3, next at 2019-10-01T00:02:00Z): "
            "451 busy") in said
    assert f"sending [{found['bug'].key}] failed unexpectedly" in said


def test_a_run_goes_on_batch_after_batch(store: Store) -> None:
    add(store, *(planned(i) for i in range(5)))
    channel = Scripted()
    assert dispatcher(store, channel, delivery=replace(DELIVERY, batch=2)).run() == 5
    assert len(channel.sent) == 5


def test_when_there_is_next_something_to_do(store: Store) -> None:
    clock = Clock()
    sending = dispatcher(store, Scripted(), clock=clock)
    assert sending.next_due() is None  # nothing at all
    add(store, planned(0, due=NOW + timedelta(hours=2)),
        planned(1, due=NOW + timedelta(hours=1), channel="pager"))
    assert sending.next_due() == NOW + timedelta(hours=1)
    sending.breaker.trip("pager", "cannot reach the pager", NOW)
    assert sending.next_due() == NOW + timedelta(seconds=60)  # when the pager is tried again
    clock.now = NOW + timedelta(seconds=60)
    assert sending.next_due() == NOW + timedelta(hours=1)


def test_one_channel_down_leaves_the_others_notices_to_go_out(store: Store) -> None:
    add(store, planned(0), planned(1), planned(2, channel="pager"), planned(3),
        planned(4, audience="gone"))
    channel, pager = Scripted(), Scripted()
    channel.script = {"1": fails(ChannelDown("cannot reach mail:587"))}
    sending = Dispatcher(store, SETTINGS, DELIVERY, {"log": channel, "pager": pager},
                         Templates(), owner="a", clock=Clock(), rng=lambda: 1.0,
                         monotonic=Ticks())
    assert sending.run() == 2
    found = rows(store)
    assert [found[k].status for k in "0123"] == [
        NoticeStatus.SENT, NoticeStatus.PENDING, NoticeStatus.SENT, NoticeStatus.PENDING]
    assert found["3"].last_error == "waiting for the log channel: cannot reach mail:587"
    # Nothing of a paused channel's is tried, not even what will fail whatever happens.
    assert (found["4"].status, found["4"].attempts) == (NoticeStatus.PENDING, 0)
    assert pager.idled == 1 and channel.idled == 1


def test_a_channel_that_works_again_is_paused_from_the_start_next_time(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(store, planned(0), planned(1, due=NOW + timedelta(minutes=10)))
    channel = Scripted()
    channel.script = {"0": fails(ChannelDown("cannot reach mail:587"))}
    clock = Clock()
    sending = dispatcher(store, channel, clock=clock)
    sending.run()
    channel.script = {"1": fails(ChannelDown("cannot reach mail:587"))}
    clock.now = NOW + timedelta(minutes=1)
    assert sending.run() == 1
    assert "the log channel works again after 1.0 minutes (1 tries)" in lines(caplog)
    clock.now = NOW + timedelta(minutes=10)
    sending.run()
    assert sending.next_due() == clock.now + timedelta(seconds=60)  # not 120: a new outage


def test_a_notice_taken_over_is_left_and_the_rest_still_go(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(store, *(planned(i, due=NOW - timedelta(seconds=10 - i)) for i in range(4)))
    clock, ticks = Clock(), Ticks()
    channel = Scripted()

    def paused_past_the_lease() -> None:
        # Another daemon takes the two oldest: "0", in flight, and "1".
        clock.now += timedelta(seconds=5)
        ticks.now += 5
        with store.transaction(write=True) as session:
            Queue(session, clock.now).claim("b", 2, timedelta(seconds=2))

    channel.script = {"0": paused_past_the_lease}
    assert dispatcher(store, channel, clock=clock, ticks=ticks).run() == 3
    assert [k.rpartition("#")[2] for k in channel.sent] == ["0", "2", "3"]
    found = rows(store)
    assert [(found[k].status, found[k].lease_owner) for k in "0123"] == [
        (NoticeStatus.SENDING, "b"), (NoticeStatus.SENDING, "b"), (NoticeStatus.SENT, None),
        (NoticeStatus.SENT, None)]
    assert lines(caplog, logging.WARNING) == [
        f"sent [{found['0'].key}], but another daemon had taken it over meanwhile: it may go "
        "out twice",
        "1 claimed notices were taken over by another daemon while this one was held up; "
        "they are left to it",
    ]


@pytest.fixture
def write_locks(tmp_path: Path) -> Iterator[Callable[[Store], list[tuple[bool, bool]]]]:
    """For each transaction a store begins from then on, whether it was begun to write and
    whether it held the write lock from its start: another connection tries to take the
    lock at that moment."""
    other = sqlite3.connect(tmp_path / "register.db", timeout=0, isolation_level=None)

    def watch(store: Store) -> list[tuple[bool, bool]]:
        held: list[tuple[bool, bool]] = []

        def probe(connection: Connection) -> None:
            writing = bool(connection.get_execution_options().get("followup_write"))
            try:
                other.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                held.append((writing, True))
            else:
                other.execute("ROLLBACK")
                held.append((writing, False))

        event.listen(store.engine, "begin", probe)
        return held

    yield watch
    other.close()


def test_what_writes_holds_the_write_lock_from_its_start(
        store: Store, write_locks: Callable[[Store], list[tuple[bool, bool]]]) -> None:
    # A claim reads, then writes: begun without the lock, it could find at its first write
    # that another daemon wrote meanwhile, and fail instead of waiting its turn.
    add(store, *(planned(i) for i in range(4)))
    ticks = Ticks()
    channel = Scripted()

    def slow() -> None:
        ticks.now += 1.5  # "1" goes on a renewed claim

    channel.script = {"0": slow, "1": fails(TryAgain("451 busy")),
                      "2": fails(ChannelDown("cannot reach mail:587"))}
    sending = dispatcher(store, channel, ticks=ticks)
    held = write_locks(store)
    sending.run()  # claims, a renewal, hand-backs (outcomes are single statements)
    sending.finish()
    writes = [lock for writing, lock in held if writing]
    assert len(writes) >= 4 and all(writes)
    # Each batch is written from the register after its claim, without the lock: a long
    # one (a digest of the whole register) keeps no one else from writing.
    reads = [lock for writing, lock in held if not writing]
    assert reads and not any(reads)


def test_an_outcome_waits_for_the_write_lock_instead_of_failing(
        store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # An outcome is one UPDATE in autocommit: SQLite takes the write lock at its start and
    # waits for it (the store's busy timeout, 0.1 s here) as a writing transaction does.
    add(store, planned(0))
    sending = dispatcher(store, Scripted())
    holder = sqlite3.connect(tmp_path / "register.db", isolation_level=None,
                             check_same_thread=False)
    original = sending.recorder.sent

    def sent_while_locked(*args: Any, **kwargs: Any) -> bool:
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(0.05, holder.execute, ["COMMIT"]).start()
        return original(*args, **kwargs)

    sending.recorder.sent = sent_while_locked  # type: ignore[method-assign]
    try:
        assert sending.run() == 1
    finally:
        holder.close()
    assert rows(store)["0"].status is NoticeStatus.SENT
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_reading_when_to_run_next_never_waits_for_a_writer(store: Store,
                                                           tmp_path: Path) -> None:
    add(store, planned(0, due=NOW + timedelta(hours=1)))
    holder = sqlite3.connect(tmp_path / "register.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert dispatcher(store, Scripted()).next_due() == NOW + timedelta(hours=1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- a database that stops answering -----------------------------------------------------------


class Flaky(Store):
    """A store whose database stops answering on cue, as when another process holds it
    locked: for sessions (claims, renewals, hand-backs), for reading ones alone, or for the
    bare connections outcomes are recorded on."""

    def __init__(self, url: str) -> None:
        super().__init__(url, busy_timeout=0.1)
        self.sessions_away = False
        self.reads_away = False
        self.connections_away = False

    def locked(self) -> StoreError:
        return StoreError(f"{self.url.database} is locked by another process (waited 0.1 s): "
                          "try again when it has finished")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Session]:
        if self.sessions_away or (self.reads_away and not write):
            raise self.locked()
        with super().transaction(write=write) as session:
            yield session

    def outcome_connection(self) -> Any:
        return _Answering(super().outcome_connection(), self)


class _Answering:
    """A driver connection whose statements fail as SQLite's do when another process
    holds the write lock past the busy timeout, while its store's connections are away."""

    def __init__(self, connection: Any, store: Flaky) -> None:
        self.connection = connection
        self.store = store

    def cursor(self) -> Any:
        return _AnsweringCursor(self.connection.cursor(), self.store)

    def close(self) -> None:
        self.connection.close()

    def invalidate(self) -> None:
        self.connection.invalidate()


class _AnsweringCursor:
    def __init__(self, cursor: Any, store: Flaky) -> None:
        self.cursor = cursor
        self.store = store

    @property
    def rowcount(self) -> int:
        return int(self.cursor.rowcount)

    def execute(self, sql: str, parameters: Any = ()) -> None:
        if self.store.connections_away:
            raise sqlite3.OperationalError("database is locked")
        self.cursor.execute(sql, parameters)

    def close(self) -> None:
        self.cursor.close()


@pytest.fixture
def flaky(tmp_path: Path, empty_register: Path) -> Iterator[Flaky]:
    shutil.copyfile(empty_register, tmp_path / "register.db")
    store = Flaky(f"sqlite:///{tmp_path / 'register.db'}")
    store.prepare()
    yield store
    store.dispose()


class Waiting:
    """The time an outcome is retried on: sleeping moves it on at once. The database
    answers again once ``back_at`` seconds have gone by, if ever."""

    def __init__(self, store: Flaky, back_at: float | None = None) -> None:
        self.store = store
        self.back_at = back_at
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if len(self.slept) >= 100:  # waits that shrink would never reach the deadline
            raise AssertionError("still waiting after 100 tries")
        self.slept.append(seconds)
        self.now += seconds
        if self.back_at is not None and self.now >= self.back_at:
            self.store.connections_away = False


def waiting(monkeypatch: pytest.MonkeyPatch, store: Flaky,
            back_at: float | None = None) -> Waiting:
    time = Waiting(store, back_at)
    monkeypatch.setattr(scheduler.dispatch, "time", time)
    return time


@pytest.mark.parametrize(("back_at", "slept"), [
    (0.05, [0.05]),
    (1.0, [0.05, 0.1, 0.2, 0.4, 0.8]),  # within half the lease of 2 s
])
def test_an_outcome_is_retried_waiting_twice_as_long_each_time(
        flaky: Flaky, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        back_at: float, slept: list[float]) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(flaky, *(planned(i) for i in range(3)))
    time = waiting(monkeypatch, flaky, back_at=back_at)
    channel = Scripted()

    def away() -> None:
        flaky.connections_away = True

    channel.script = {"0": away}
    assert dispatcher(flaky, channel).run() == 3
    assert time.slept == slept
    assert all(n.status is NoticeStatus.SENT for n in rows(flaky).values())
    key = channel.sent[0]
    said = lines(caplog)
    assert said[:3] == [
        f"cannot record the outcome of [{key}] yet ({flaky.locked()}); trying again",
        f"recorded [{key}] after {len(slept) + 1} tries",
        f"sent [{key}] followup digest for desk: nothing new; 0 unconfirmed, 0 overdue",
    ]


@pytest.mark.parametrize(("lease", "slept"), [
    # Half a lease gone exactly at the fifth failure: that is the last.
    (2 * (0.05 + 0.1 + 0.2 + 0.4), [0.05, 0.1, 0.2, 0.4]),
    (10, [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]),  # a second at most between tries
])
def test_an_outcome_is_kept_after_half_a_lease_and_nothing_more_goes_out(
        flaky: Flaky, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        write_locks: Callable[[Store], list[tuple[bool, bool]]], lease: float,
        slept: list[float]) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(flaky, *(planned(i) for i in range(3)))
    time = waiting(monkeypatch, flaky)
    channel = Scripted()

    def away() -> None:
        flaky.connections_away = True

    channel.script = {"0": away}
    sending = dispatcher(flaky, channel, delivery=replace(DELIVERY, lease_seconds=lease))
    assert sending.run() == 1
    assert time.slept == slept
    [key] = channel.sent
    assert lines(caplog, logging.ERROR) == [
        f"still cannot record the outcome of [{key}]: kept, and written before anything "
        "more is sent"]
    assert sending.run() == 0  # still away: nothing claimed, nothing sent
    assert channel.sent == [key]
    flaky.connections_away = False
    caplog.clear()
    held = write_locks(flaky)
    assert sending.run() == 2
    assert lines(caplog)[0] == f"recorded [{key}], which went out earlier"
    assert all(lock for writing, lock in held if writing)
    assert sorted(channel.sent) == sorted(n.key for n in rows(flaky).values())
    assert all(n.status is NoticeStatus.SENT and n.attempts == 1
               for n in rows(flaky).values())


def test_stopping_keeps_the_claim_on_a_send_it_could_not_record(
        flaky: Flaky, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    add(flaky, *(planned(i) for i in range(3)))
    waiting(monkeypatch, flaky)
    channel = Scripted()

    def away() -> None:
        flaky.connections_away = True

    channel.script = {"0": away}
    sending = dispatcher(flaky, channel)
    assert sending.run() == 1
    assert sending.finish() == 2  # "1" and "2", never tried
    found = rows(flaky)
    # "0" stays claimed: handed back, it would go out again at once.
    assert (found["0"].status, found["0"].lease_owner) == (NoticeStatus.SENDING, "a")
    assert all(found[k].status is NoticeStatus.PENDING and found[k].lease_owner is None
               for k in "12")
    assert lines(caplog, logging.ERROR)[-1] == (
        f"sent [{found['0'].key}] but could not record it: it may go out again")


def test_stopping_while_the_database_is_away_gives_back_once_it_answers(
        flaky: Flaky, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(flaky, *(planned(i) for i in range(3)))
    stop = threading.Event()
    channel = Scripted()

    def stopped_and_away() -> None:
        stop.set()
        flaky.sessions_away = True  # outcomes are still recorded

    channel.script = {"0": stopped_and_away}
    sending = dispatcher(flaky, channel, stop=stop)
    assert sending.run() == 1
    assert lines(caplog)[-2:] == [
        f"cannot give back 2 claimed notices yet ({flaky.locked()})",
        "stopping: gave back 0 claimed notices for the next daemon",
    ]
    assert sending.run() == 0  # still away: nothing given back, nothing claimed
    flaky.sessions_away = False
    assert sending.run() == 0  # given back, and nothing more: it is stopping
    found = rows(flaky)
    assert found["0"].status is NoticeStatus.SENT
    assert all(found[k].status is NoticeStatus.PENDING and found[k].lease_owner is None
               and found[k].attempts == 0 for k in "12")


def test_claims_let_go_of_while_the_database_is_away_are_all_given_back(
        flaky: Flaky, caplog: pytest.LogCaptureFixture,
        write_locks: Callable[[Store], list[tuple[bool, bool]]]) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(flaky, planned(0), planned(1), planned(2, channel="pager"), planned(3, channel="pager"))
    ticks = Ticks()
    stop = threading.Event()
    channel, pager = Scripted(), Scripted()

    def down_and_away() -> None:
        ticks.now += 1.5  # the next send must renew first
        flaky.sessions_away = True
        raise ChannelDown("cannot reach mail:587")

    channel.script = {"0": down_and_away}
    sending = Dispatcher(flaky, SETTINGS, DELIVERY, {"log": channel, "pager": pager},
                         Templates(), owner="a", clock=Clock(), rng=lambda: 1.0,
                         monotonic=ticks, stop=stop)
    # "0" cannot be given back; "1" waits for its channel and cannot be given back either;
    # "2" cannot be renewed, so neither it nor "3" is sent; then the next claim fails, and
    # the run with it (the daemon logs it and waits for its next poll).
    with pytest.raises(StoreError):
        sending.run()
    assert pager.sent == []
    assert sending.run() == 0  # still away: nothing given back, so nothing claimed
    assert lines(caplog, logging.ERROR)[1:] == [
        f"cannot give back 1 claimed notices yet ({flaky.locked()})",
        f"cannot renew the claim on [{planned(2, channel='pager').key}] ({flaky.locked()}): "
        "sending nothing more until the database answers",
        f"cannot give back 1 claimed notices yet ({flaky.locked()})",
    ]
    flaky.sessions_away = False
    assert all(n.status is NoticeStatus.SENDING for n in rows(flaky).values())
    stop.set()
    held = write_locks(flaky)
    assert sending.run() == 0
    assert held == [(True, True)]  # one writing transaction gives all back
    assert all(n.status is NoticeStatus.PENDING and n.lease_owner is None
               for n in rows(flaky).values())
    # And again later: the pager's notices go, then the database goes away once more.
    stop.clear()

    def away_again() -> None:
        ticks.now += 1.5
        flaky.sessions_away = True

    pager.script = {"2": away_again}
    with pytest.raises(StoreError):
        sending.run()
    assert [k.rpartition("#")[2] for k in pager.sent] == ["2"]
    flaky.sessions_away = False
    stop.set()
    sending.run()
    found = rows(flaky)
    assert (found["2"].status, found["3"].status, found["3"].lease_owner) == (
        NoticeStatus.SENT, NoticeStatus.PENDING, None)


def test_a_notice_passed_over_for_a_paused_channel_says_so_though_it_came_back(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    add(store, planned(0), planned(1), planned(2, channel="pager"), planned(3))
    clock = Clock()
    stop = threading.Event()
    channel, pager = Scripted(), Scripted()

    def a_minute_later() -> None:
        clock.now += timedelta(seconds=61)

    channel.script = {"0": fails(ChannelDown("cannot reach mail:587")), "3": stop.set}
    pager.script = {"2": a_minute_later}
    sending = Dispatcher(store, SETTINGS, DELIVERY, {"log": channel, "pager": pager},
                         Templates(), owner="a", clock=clock, rng=lambda: 1.0,
                         monotonic=Ticks(), stop=stop)
    # "1" is passed over while the channel is paused; "3" finds it working again.
    assert sending.run() == 2
    found = rows(store)
    assert [found[k].status for k in "0123"] == [
        NoticeStatus.PENDING, NoticeStatus.PENDING, NoticeStatus.SENT, NoticeStatus.SENT]
    assert found["1"].last_error == "waiting for the log channel: unavailable"
    assert "the log channel works again after 1.0 minutes (1 tries)" in lines(caplog)


def test_a_batch_that_cannot_be_written_is_given_back_untried(flaky: Flaky) -> None:
    add(flaky, planned(0), planned(1))
    channel = Scripted()
    sending = dispatcher(flaky, channel)
    flaky.reads_away = True  # claimed, then the register cannot be read to write them
    with pytest.raises(StoreError):
        sending.run()
    flaky.reads_away = False
    assert {n.status for n in rows(flaky).values()} == {NoticeStatus.SENDING}
    assert sending.run() == 2
    assert sorted(channel.sent) == sorted(n.key for n in rows(flaky).values())
    assert all(n.status is NoticeStatus.SENT and n.attempts == 1
               for n in rows(flaky).values())
