"""The notice ledger on a real database: run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from events.ledger import Ledger, Planner, PlanSettings
from events.model import Change, Kind, Notice, NoticeStatus
from events.planning import Audience, NoticeKind, Planned, Policy, notice_key
from events.queue import Queue
from events.recording import Recorder
from events.register import Register, standard_bus
from events.schedule import Schedule
from events.seed import load_seed
from events.store import Store
from events.window import parse_window

SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul"),),
                        default=Policy())
START = datetime(2019, 1, 24, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def seeded_store(url: str) -> Store:
    store = Store(url)
    store.prepare()
    bus = standard_bus()
    Planner(SETTINGS).subscribe(bus)
    with store.transaction(write=True) as session:
        load_seed(Register(session, now=START, bus=bus))
    store.bus = bus  # type: ignore[attr-defined]
    return store


@pytest.fixture
def store(any_database_url: str) -> Iterator[Store]:
    store = seeded_store(any_database_url)
    yield store
    store.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = seeded_store(f"sqlite:///{tmp_path / 'register.db'}")
    yield store
    store.dispose()


@pytest.fixture
def postgres_store(postgres_schema_url: str) -> Iterator[Store]:
    """Only PostgreSQL: SQLite has one writer at a time, so claims never overlap there."""
    store = seeded_store(postgres_schema_url)
    yield store
    store.dispose()


def notices(store: Store, **where: object) -> list[Notice]:
    with store.transaction(write=False) as session:
        query = select(Notice).order_by(Notice.due, Notice.key)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        return list(session.scalars(query))


def change(store: Store, now: datetime, action):  # type: ignore[no-untyped-def]
    with store.transaction(write=True) as session:
        return action(Register(session, now=now, bus=store.bus))  # type: ignore[attr-defined]


def ledger_do(store: Store, now: datetime, action):  # type: ignore[no-untyped-def]
    with store.transaction(write=True) as session:
        return action(Ledger(session, SETTINGS, now))


def queue_do(store: Store, now: datetime, action):  # type: ignore[no-untyped-def]
    with store.transaction(write=True) as session:
        return action(Queue(session, now))


def mark_sent(store: Store, now: datetime, notice_id: int, owner: str) -> bool:
    recorder = Recorder(store)
    try:
        return recorder.sent(notice_id, owner, now=now, subject="s", text="t", html=None,
                             late=False)
    finally:
        recorder.release()


def mark_failed(store: Store, now: datetime, notice_id: int, owner: str, error: str,
                retry_at: datetime | None) -> bool:
    recorder = Recorder(store)
    try:
        return recorder.failed(notice_id, owner, error, now=now, retry_at=retry_at)
    finally:
        recorder.release()


def test_the_seed_is_planned_when_it_is_loaded(store: Store) -> None:
    temm = notices(store, followup_id="temm-21")
    assert [n.kind for n in temm][:2] == [NoticeKind.WINDOW_OPENS, NoticeKind.CHASE]
    assert temm[-1].kind == NoticeKind.OVERDUE
    assert all(n.status is NoticeStatus.PENDING for n in temm)
    assert notices(store, followup_id="kma-visit") == []  # its day is today: leads are past


def test_confirming_supersedes_the_chases_and_plans_leads(store: Store) -> None:
    now = datetime(2019, 10, 18, tzinfo=UTC)
    change(store, now, lambda r: r.confirm(
        "temm-21", Schedule(*[parse_window("2019-11-23").earliest] * 2), why="confirm"))
    temm = notices(store, followup_id="temm-21")
    pending = [n for n in temm if n.status is NoticeStatus.PENDING]
    assert [(n.kind, n.detail) for n in pending] == [
        (NoticeKind.LEAD, "in 30 days"), (NoticeKind.LEAD, "in 7 days"),
        (NoticeKind.LEAD, "tomorrow")]
    superseded = [n for n in temm if n.status is NoticeStatus.SUPERSEDED]
    assert {n.kind for n in superseded} >= {NoticeKind.CHASE, NoticeKind.OVERDUE}
    # the anchored follow-ups were re-derived, so they were re-planned too: now that TEMM
    # 21 has dates, the report's derived days get leads (30 days before is already past)
    ltp = [(n.kind, n.due, n.detail) for n in notices(store, followup_id="ltp-report")
           if n.status is NoticeStatus.PENDING]
    assert ltp[:3] == [
        (NoticeKind.LEAD, datetime(2019, 11, 9, 0, 0, tzinfo=UTC), "in 7 days, on temm-21's dates"),
        (NoticeKind.LEAD, datetime(2019, 11, 15, 0, 0, tzinfo=UTC), "tomorrow, on temm-21's dates"),
        (NoticeKind.WINDOW_OPENS, datetime(2019, 11, 16, 0, 0, tzinfo=UTC),  # 09:00 Seoul
         "closes 30 November 2019"),  # too soon for a closing notice of its own
    ]


def test_a_sent_notice_is_never_rewritten(store: Store) -> None:
    first = notices(store, followup_id="jcec-24")[0]
    claimed = queue_do(store, first.due, lambda queue: queue.claim("a", 100, LEASE))
    assert first.id in {n.id for n in claimed}
    mark_sent(store, first.due, first.id, "a")
    change(store, first.due, lambda r: r.move("jcec-24", parse_window("2020-H1"), why="move"))
    sent = notices(store, status=NoticeStatus.SENT)
    assert [(n.key, n.subject, n.body_text, n.attempts, n.attempted_at)
            for n in sent] == [(first.key, "s", "t", 1, first.due)]
    # planning further ahead adds; planning the same facts again then adds nothing
    ledger_do(store, first.due, lambda ledger: ledger.replan_all())
    again = ledger_do(store, first.due, lambda ledger: ledger.replan_all())
    assert not again.changed
    assert [n.key for n in notices(store, status=NoticeStatus.SENT)] == [first.key]


def test_moving_back_revives_superseded_notices(store: Store) -> None:
    now = START + timedelta(days=1)
    before = {n.key for n in notices(store, followup_id="jcec-24")}
    change(store, now, lambda r: r.move("jcec-24", parse_window("2020-H1"), why="move"))
    change(store, now, lambda r: r.move("jcec-24", parse_window("2019-H2"), why="back"))
    pending = {n.key for n in notices(store, followup_id="jcec-24",
                                      status=NoticeStatus.PENDING)}
    assert pending == before


def test_claims_are_leased_and_a_lost_lease_is_not_marked_sent(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[0].due
    mine = queue_do(store, due, lambda queue: queue.claim("a", 1, LEASE))
    assert queue_do(store, due, lambda queue: queue.claim("b", 1, LEASE)) == []
    later = due + LEASE + timedelta(seconds=1)
    taken = queue_do(store, later, lambda queue: queue.claim("b", 1, LEASE))
    assert [n.id for n in taken] == [mine[0].id]
    # a takeover is not an attempt: "a" may have died before trying it
    assert taken[0].attempts == 0
    assert queue_do(store, later, lambda queue: queue.renew("a", [mine[0].id], LEASE)) == set()
    assert not mark_sent(store, later, mine[0].id, "a")
    assert mark_sent(store, later, mine[0].id, "b")
    [sent] = notices(store, status=NoticeStatus.SENT)
    assert (sent.attempts, sent.lease_owner, sent.lease_expires) == (1, None, None)


def test_renewing_keeps_a_claim_from_being_taken_over(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[0].due
    [mine] = queue_do(store, due, lambda queue: queue.claim("a", 1, LEASE))
    halfway = due + LEASE / 2
    assert queue_do(store, halfway, lambda queue: queue.renew("a", [mine.id], LEASE)) == {
        mine.id}
    # past the first lease, within the renewed one: still "a"'s
    later = due + LEASE + timedelta(seconds=1)
    assert queue_do(store, later, lambda queue: queue.claim("b", 1, LEASE)) == []
    assert queue_do(store, later, lambda queue: queue.next_due()) == halfway + LEASE


def test_release_gives_claimed_notices_back(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[1].due
    claimed = queue_do(store, due, lambda queue: queue.claim("a", 5, LEASE))
    assert len(claimed) == 2
    assert queue_do(store, due, lambda queue: queue.release("b")) == 0  # not b's
    assert queue_do(store, due, lambda queue: queue.release(
        "a", keep=[claimed[0].id], error="waiting for the email channel")) == 1
    assert queue_do(store, due, lambda queue: queue.release("a")) == 1
    again = {n.id: n for n in notices(store, status=NoticeStatus.PENDING)}
    assert {n.id for n in claimed} <= set(again)
    assert all(again[n.id].attempts == 0 and again[n.id].lease_owner is None for n in claimed)
    assert again[claimed[1].id].last_error == "waiting for the email channel"


def test_a_failed_notice_given_back_stays_failed(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[0].due
    [claimed] = queue_do(store, due, lambda queue: queue.claim("a", 1, LEASE))
    mark_failed(store, due, claimed.id, "a", "451 busy", due)
    queue_do(store, due, lambda queue: queue.claim("a", 1, LEASE))
    assert queue_do(store, due, lambda queue: queue.release("a")) == 1
    [failed] = notices(store, status=NoticeStatus.FAILED)
    assert (failed.id, failed.attempts) == (claimed.id, 1)


def test_failures_are_retried_then_dead_with_the_reason(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[0].due
    claimed = queue_do(store, due, lambda queue: queue.claim("a", 1, LEASE))[0]
    retry = due + timedelta(minutes=1)
    mark_failed(store, due, claimed.id, "a", "451 busy", retry)
    failed = notices(store, status=NoticeStatus.FAILED)
    assert [(n.id, n.next_attempt, n.last_error, n.attempts) for n in failed] == [
        (claimed.id, retry, "451 busy", 1)]
    assert queue_do(store, due, lambda queue: queue.next_due()) == retry
    again = queue_do(store, retry, lambda queue: queue.claim("a", 10, LEASE))
    assert claimed.id in {n.id for n in again}
    mark_failed(store, retry, claimed.id, "a", "550 no such user", None)
    dead = notices(store, status=NoticeStatus.DEAD)
    assert [(n.id, n.last_error, n.attempts, n.attempted_at) for n in dead] == [
        (claimed.id, "550 no such user", 2, retry)]


def test_a_paused_channel_is_neither_claimed_nor_waited_for(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[0].due
    assert queue_do(store, due, lambda queue: queue.claim(
        "a", 10, LEASE, skip_channels=["log"])) == []
    assert queue_do(store, due, lambda queue: queue.next_due(skip_channels=["log"])) is None
    assert queue_do(store, due, lambda queue: queue.next_due()) == due


def test_the_claims_of_a_gone_daemon_are_handed_back(store: Store) -> None:
    due = notices(store, status=NoticeStatus.PENDING)[1].due
    queue_do(store, due, lambda queue: queue.beat("a", host="h1", pid=11))
    queue_do(store, due, lambda queue: queue.beat("b", host="h2", pid=22))
    queue_do(store, due, lambda queue: queue.beat("c", host="h1", pid=33))
    claimed = queue_do(store, due, lambda queue: queue.claim("a", 5, LEASE))
    soon = due + timedelta(seconds=5)
    queue_do(store, soon, lambda queue: queue.beat("b", host="h2", pid=22))
    queue_do(store, soon, lambda queue: queue.beat("c", host="h1", pid=33))
    alive = {33}.__contains__  # on h1, process 11 ("a") is gone, 33 runs

    def hand_back(queue: Queue) -> dict[str, int]:
        return queue.hand_back_dead("c", host="h1", dead_after=timedelta(seconds=30),
                                    alive=alive)

    assert queue_do(store, soon, hand_back) == {"a": len(claimed)}
    assert notices(store, status=NoticeStatus.SENDING) == []
    assert [d.owner for d in queue_do(store, soon, lambda queue: queue.daemons())] == [
        "b", "c"]
    # "b" on another host is judged by its heartbeat alone
    assert queue_do(store, soon + timedelta(seconds=30), hand_back) == {}
    assert queue_do(store, soon + timedelta(seconds=31), hand_back) == {"b": 0}


def test_what_fell_due_long_ago_is_folded_into_one_missed_notice(store: Store) -> None:
    later = datetime(2019, 9, 1, tzinfo=UTC)
    old = [n for n in notices(store, status=NoticeStatus.PENDING) if n.due < later
           - timedelta(hours=24)]
    folded = ledger_do(store, later, lambda ledger: ledger.fold_missed(timedelta(hours=24)))
    assert {n.id for n in folded} == {n.id for n in old}
    missed = notices(store, kind=NoticeKind.MISSED)
    assert len(missed) == 1
    assert missed[0].payload == [n.key for n in sorted(old, key=lambda n: (n.due, n.id))] \
        or set(missed[0].payload) == {n.key for n in old}
    assert missed[0].due == later
    assert len(notices(store, status=NoticeStatus.MISSED)) == len(old)
    # nothing older than the grace is left to send one by one
    assert ledger_do(store, later, lambda ledger: ledger.fold_missed(timedelta(hours=24))) == []


def test_digests_are_enqueued_once(store: Store) -> None:
    fire = datetime(2019, 1, 28, 0, 0, tzinfo=UTC)
    audience = SETTINGS.audiences[0]
    assert ledger_do(store, fire, lambda ledger: ledger.enqueue_digest(audience, fire)) == 1
    assert ledger_do(store, fire, lambda ledger: ledger.enqueue_digest(audience, fire)) == 0
    [digest] = notices(store, kind=NoticeKind.DIGEST)
    assert digest.key == notice_key("*", "digest", fire, "desk", "log")
    assert digest.followup_id is None


def test_a_new_audience_is_planned_and_a_removed_one_superseded(store: Store) -> None:
    now = START + timedelta(days=1)
    both = PlanSettings(audiences=(*SETTINGS.audiences,
                                   Audience("temm-team", tags=frozenset({"temm"}))))
    with store.transaction(write=True) as session:
        added = Ledger(session, both, now).replan_all()
    assert added.added > 0
    team = notices(store, audience="temm-team")
    # what rides on TEMM 21 is told through it until it has dates
    assert {n.followup_id for n in team} == {"temm-21"}
    only_team = PlanSettings(audiences=(both.audiences[1],))
    with store.transaction(write=True) as session:
        Ledger(session, only_team, now).replan_all()
    assert notices(store, audience="desk", status=NoticeStatus.PENDING) == []


def test_concurrent_claims_never_share_a_notice(postgres_store: Store) -> None:
    store = postgres_store
    now = datetime(2030, 1, 1, tzinfo=UTC)
    extra = [Planned(START, f"bulk/{i}", "*", NoticeKind.DIGEST, "desk", "log", START)
             for i in range(300)]
    ledger_do(store, START, lambda ledger: ledger.insert(extra))
    results: dict[str, list[int]] = {}
    barrier = threading.Barrier(3)

    def worker(owner: str) -> None:
        taken: list[int] = []
        barrier.wait()
        while True:
            batch = queue_do(store, now, lambda queue: queue.claim(owner, 20, LEASE))
            if not batch:
                break
            taken += [n.id for n in batch]
        results[owner] = taken

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for taken in results.values() for i in taken]
    assert len(everything) == len(set(everything))
    assert len(everything) == len(notices(store, status=NoticeStatus.SENDING))
    assert all(results.values())  # each worker got a share


def test_replanning_supersedes_more_notices_than_a_statement_takes_parameters(
        sqlite_store: Store) -> None:
    # SQLite's limit (32,766) is the lower; statements are cut at the same size for both.
    store = sqlite_store
    now = START + timedelta(days=1)
    unwanted = [Planned(now + timedelta(days=1), f"old-plan/{i}", "temm-21", NoticeKind.CHASE,
                        "desk", "log", now) for i in range(33_000)]
    for start in range(0, len(unwanted), 5_000):
        ledger_do(store, now, lambda ledger, s=start: ledger.insert(unwanted[s:s + 5_000]))
    with store.transaction(write=True) as session:
        followup = Register(session, now=now, bus=standard_bus()).get("temm-21")
        result = Ledger(session, SETTINGS, now).replan(followup, changed=True)
    assert result.superseded == 33_000


def change_notices(store: Store) -> list[Notice]:
    return notices(store, kind=NoticeKind.CHANGE)


def confirm_temm(register: Register) -> None:
    register.confirm("temm-21", Schedule.confirm(parse_window("2019-11-23..2019-11-24"),
                                                 timezone="Asia/Seoul"),
                     location="Kitakyushu", why="followup confirm temm-21 --on ...")
    register.finish()


def test_a_change_plans_one_change_notice_with_what_moved_with_it(store: Store) -> None:
    assert change_notices(store) == [], "loading the bundled release is not news"
    at = START + timedelta(days=30)
    change(store, at, confirm_temm)
    [notice] = change_notices(store)
    assert (notice.audience, notice.channel, notice.status) == ("desk", "log",
                                                                NoticeStatus.PENDING)
    assert notice.due == at + SETTINGS.change_quiet
    with store.transaction(write=False) as session:
        changed = {c.followup_id for c in session.scalars(
            select(Change).where(Change.id.in_([int(i) for i in notice.payload])))}
    assert changed == {"temm-21", "ltp-report", "ministers-at-temm-21"}


def test_changes_within_the_quiet_period_go_out_together(store: Store) -> None:
    at = START + timedelta(days=30)
    change(store, at, confirm_temm)
    [first] = change_notices(store)

    def cancel(register: Register) -> None:
        register.cancel("fine-dust-expert-group", why="followup cancel fine-dust-expert-group")
        register.finish()

    change(store, at + timedelta(minutes=2), cancel)
    [together] = change_notices(store)
    assert together.key == first.key and len(together.payload) > len(first.payload)
    assert together.detail == f"{len(together.payload)} changes"
    # once the quiet period is over, the next change starts a notice of its own
    change(store, at + SETTINGS.change_quiet + timedelta(seconds=1),
           lambda r: (r.complete("kma-visit", why="followup done kma-visit"), r.finish()))
    assert len(change_notices(store)) == 2


def test_notes_and_snoozes_tell_no_one(store: Store) -> None:
    def desk_work(register: Register) -> None:
        register.add_note("jcec-24", "Beijing suggested November", why="followup note ...")
        register.snooze("jcec-24", (START + timedelta(days=60)).date(), why="followup snooze")
        register.finish()

    change(store, START + timedelta(days=1), desk_work)
    assert change_notices(store) == []


def test_an_audience_hears_only_of_what_it_gets(any_database_url: str) -> None:
    settings = PlanSettings(audiences=(
        Audience("desk", timezone="Asia/Seoul"),
        Audience("reports", tags=frozenset({"nothing-tagged-so"}), kinds=frozenset(
            {Kind.REPORT}))), default=Policy(), change_quiet=timedelta(0))
    store = Store(any_database_url)
    store.prepare()
    bus = standard_bus()
    Planner(settings).subscribe(bus)
    try:
        with store.transaction(write=True) as session:
            register = Register(session, now=START, bus=bus)
            register.quiet = True
            load_seed(register)
            register.finish()
        with store.transaction(write=True) as session:
            confirm_temm(Register(session, now=START + timedelta(days=1), bus=bus))
        told = {n.audience: n for n in notices(store, kind=NoticeKind.CHANGE)}
        assert set(told) == {"desk", "reports"}
        assert told["reports"].due == START + timedelta(days=1), "no quiet period: at once"
        with store.transaction(write=False) as session:
            heard = {c.followup_id for c in session.scalars(select(Change).where(
                Change.id.in_([int(i) for i in told["reports"].payload])))}
        assert heard == {"ltp-report"}  # the one report that moved with TEMM 21
    finally:
        store.dispose()


def test_overdue_is_said_once_per_window_end_whatever_is_edited_after(store: Store) -> None:
    [overdue] = [n for n in notices(store, followup_id="temm-21")
                 if n.kind == NoticeKind.OVERDUE]
    queue_do(store, overdue.due, lambda queue: queue.claim("a", 100, LEASE))
    assert mark_sent(store, overdue.due, overdue.id, "a")
    later = overdue.due + timedelta(days=3)
    change(store, later, lambda r: (r.edit("temm-21", title="TEMM 21 (Japan)", why="edit"),
                                    r.add_note("temm-21", "asked Tokyo", why="note"),
                                    r.finish()))
    again = [n for n in notices(store, followup_id="temm-21") if n.kind == NoticeKind.OVERDUE]
    assert [(n.id, n.status) for n in again] == [(overdue.id, NoticeStatus.SENT)]
    # a new window end is a new overdue
    change(store, later, lambda r: r.move("temm-21", parse_window("2020-01"), why="move"))
    ends = {n.due.date() for n in notices(store, followup_id="temm-21")
            if n.kind == NoticeKind.OVERDUE}
    assert len(ends) == 2


#: Follow-ups of every shape planning tells apart: windows of each precision, open-ended,
#: undated, tied to an anchor with and without dates, confirmed days and hours, done and
#: cancelled; with tags and kinds that two of the three audiences choose by.
BULK_CSV = """id,title,kind,when,location,anchor,tags,next_step,margin
day,A day,meeting,2019-03-12,,,trade,,
days,Some days,visit,2019-04-02..2019-04-05,,,,,
month,A month,report,2019-05,,,energy,,
quarter,A quarter,meeting,2019-Q3,,,trade;energy,,
half,A half-year,launch,2019-H2,,,,,
year,A year,project,2020,,,,,
open,From February on,deadline,2019-02..,,,,,
undated,No date at all,other,undated,,,,,
tied,Tied to the month,meeting,,,month,,,3
tied-2,Tied to what is tied,report,,,tied,trade,,
rides,Rides on the confirmed,visit,,,confirmed,,,1
"""
BULK_JSON = """[
 {"id": "confirmed", "title": "Confirmed days", "kind": "meeting", "status": "scheduled",
  "window": "2019-06-10..2019-06-11", "start": "2019-06-10", "end": "2019-06-11"},
 {"id": "timed", "title": "Confirmed hours", "kind": "meeting", "status": "scheduled",
  "window": "2019-09-03", "start": "2019-09-03T01:00:00+00:00",
  "end": "2019-09-03T08:00:00+00:00", "timezone": "Asia/Tokyo", "tags": ["energy"]},
 {"id": "done", "title": "Held", "kind": "meeting", "status": "done", "window": "2019-01",
  "start": "2019-01-10", "end": "2019-01-10"},
 {"id": "off", "title": "Called off", "kind": "visit", "status": "cancelled",
  "window": "2019-H1"}
]"""


def test_followups_added_together_get_the_notices_planned_one_by_one(
        any_database_url: str) -> None:
    """An import plans its follow-ups in bulk (Ledger.plan_added); planning each of them
    again one at a time, as a change does, finds exactly the notices it wants."""
    from events.bulk import plan_added
    from events.bus import Added
    from events.importing import read

    settings = PlanSettings(audiences=(
        Audience("desk", timezone="Asia/Seoul"),
        Audience("trade", timezone="Europe/Paris", tags=frozenset({"trade"}),
                 channels=("log", "email")),
        Audience("meetings", timezone="America/New_York", kinds=frozenset({Kind.MEETING}))))
    store = Store(any_database_url)
    store.prepare()
    bus = standard_bus()
    bus.subscribe_many(Added, plan_added(settings))
    first = read(BULK_JSON.encode(), "a.json").ordered(set())
    drafts = [*first, *read(BULK_CSV.encode(), "b.csv").ordered({d.id for d in first})]
    with store.transaction(write=True) as session:
        assert Register(session, now=START, bus=bus).add_many(drafts, why="import") == 15

    def ledger() -> list[tuple[object, ...]]:
        return [(n.key, n.followup_id, n.kind, n.audience, n.channel, n.detail, n.due,
                 n.status, n.next_attempt, n.planned_revision, n.payload)
                for n in notices(store)]

    planned = ledger()
    kinds = {row[2] for row in planned}
    assert kinds == set(NoticeKind.PER_FOLLOWUP), kinds
    assert {row[3] for row in planned} == {"desk", "trade", "meetings"}
    with store.transaction(write=True) as session:
        register = Register(session, now=START, bus=standard_bus())
        one_by_one = Ledger(session, settings, START)
        followups = [register.get(d.id) for d in drafts]
        # Marked planned as a change marks its follow-up, so the daemon does not plan
        # them all again on its start.
        assert {(f.planned_until, f.planned_with) for f in followups} == {
            (one_by_one.horizon, one_by_one.fingerprint)}
        for followup in followups:
            again = one_by_one.replan(followup, changed=True)
            assert not again.changed, (followup.id, again)
    assert ledger() == planned
    store.dispose()
