"""The delivery round on a real SQLite file: when it next has something to do, and what it
does then (catch-up, digests, planning ahead, sending)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from events.ledger import Ledger, PlanSettings, fingerprint
from events.model import FollowUp, Notice, NoticeStatus
from events.planning import Audience, NoticeKind, Planned, notice_key
from events.register import Register, standard_bus
from events.seed import load_seed
from events.store import Store
from scheduler.channels import Channel, Message
from scheduler.config import DeliveryConfig
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates
from scheduler.round import Round, last_fire_time
from tests.system.seeded import Clock

# Thursday 24 January 2019, 09:00 in Seoul: the seed release's day.
START = datetime(2019, 1, 24, 0, 0, tzinfo=UTC)
DESK = Audience("desk", timezone="Asia/Seoul", digest="0 9 * * mon")
SETTINGS = PlanSettings(audiences=(DESK,))
DELIVERY = DeliveryConfig(grace_hours=24, lease_seconds=60, backoff_seconds=60,
                          backoff_cap_seconds=600, batch=50)
MONDAY_9_SEOUL = datetime(2019, 1, 28, 0, 0, tzinfo=UTC)


class Kept(Channel):
    name = "log"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, Message]] = []

    def send(self, message: Message) -> None:
        self.sent.append((self.clock.now, message))


@pytest.fixture(scope="module")
def seeded_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, loaded and planned at START, made once and copied for each test."""
    path = tmp_path_factory.mktemp("seeded") / "register.db"
    store = Store(f"sqlite:///{path}")
    store.prepare()
    bus = standard_bus()
    from events.ledger import Planner

    Planner(SETTINGS).subscribe(bus)
    with store.transaction(write=True) as session:
        load_seed(Register(session, now=START, bus=bus))
    store.dispose()
    return path


@pytest.fixture
def store(tmp_path: Path, seeded_register: Path) -> Iterator[Store]:
    shutil.copyfile(seeded_register, tmp_path / "register.db")
    store = Store(f"sqlite:///{tmp_path / 'register.db'}")
    yield store
    store.dispose()


def delivery_round(store: Store, clock: Clock, *, plan: PlanSettings = SETTINGS,
                   delivery: DeliveryConfig = DELIVERY) -> tuple[Round, Kept]:
    channel = Kept(clock)
    dispatcher = Dispatcher(store, plan, delivery, {"log": channel}, Templates(),
                            owner="a", clock=clock, rng=lambda: 1.0)
    return Round(store, plan, delivery, dispatcher), channel


def run_until(rounds: Round, clock: Clock, end: datetime,
              wake: list[datetime] = ()) -> None:  # type: ignore[assignment]
    """As the daemon's timer would: at each next moment (and at ``wake``, as the poll)."""
    extra = sorted(wake)
    while True:
        moment = rounds.next_moment(clock.now)
        if extra and (moment is None or extra[0] < moment):
            moment = extra.pop(0)
        if moment is None or moment >= end:
            return
        clock.now = max(moment, clock.now)
        rounds.run(clock.now)
        clock.now += timedelta(seconds=1)


def followups_planned(store: Store) -> dict[str, datetime | None]:
    with store.transaction(write=False) as session:
        return dict(session.execute(select(FollowUp.id, FollowUp.planned_until)).all())


def add_notice(store: Store, due: datetime, index: int, *, kind: str = NoticeKind.CHASE,
               followup_id: str = "temm-21") -> str:
    key = notice_key(followup_id, kind, due, "desk", "log") + f"#{index}"
    with store.transaction(write=True) as session:
        Ledger(session, SETTINGS, due).insert([Planned(due, key, followup_id, kind, "desk",
                                                       "log", due, "every 14 days")])
    return key


def statuses(store: Store) -> dict[str, NoticeStatus]:
    with store.transaction(write=False) as session:
        return dict(session.execute(select(Notice.key, Notice.status)).all())


# -- when ------------------------------------------------------------------------------------


def test_before_the_first_round_the_moment_is_now(store: Store) -> None:
    rounds, _ = delivery_round(store, Clock(START))
    assert rounds.next_moment(START + timedelta(days=300)) == START + timedelta(days=300)


NEXT_NOTICE = datetime(2019, 2, 1, 0, 0, tzinfo=UTC)  # Friday 09:00 in Seoul


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("nothing else", NEXT_NOTICE),
        ("a notice falls due", START + timedelta(hours=5)),
        ("a digest fires", MONDAY_9_SEOUL),
        ("a plan runs out", START + timedelta(hours=3) - timedelta(days=1)),
        ("a follow-up was never planned", START),
        ("a paused channel is tried again", START + timedelta(seconds=60)),
    ],
)
def test_the_next_moment_is_the_first_thing_to_do(store: Store, case: str,
                                                  expected: datetime) -> None:
    clock = Clock(START)
    # No digest, and every seeded notice but one out of the way: each case adds its own.
    plan = SETTINGS if case == "a digest fires" else PlanSettings(
        audiences=(Audience("desk", timezone="Asia/Seoul"),))
    rounds, _ = delivery_round(store, clock, plan=plan)
    with store.transaction(write=True) as session:
        session.execute(update(Notice).where(Notice.due < NEXT_NOTICE)
                        .values(status=NoticeStatus.SUPERSEDED))
        session.execute(update(Notice).where(Notice.due > NEXT_NOTICE)
                        .values(status=NoticeStatus.SUPERSEDED))
        session.execute(update(FollowUp).values(planned_with=fingerprint(plan)))
    rounds.run(START)  # the first round: catch-up, with nothing to do
    if case == "a notice falls due":
        add_notice(store, START + timedelta(hours=5), 0)
    elif case == "a plan runs out":
        with store.transaction(write=True) as session:
            session.execute(update(FollowUp).where(FollowUp.id == "jcec-24")
                            .values(planned_until=START + timedelta(hours=3)))
    elif case == "a follow-up was never planned":
        with store.transaction(write=True) as session:
            session.execute(update(FollowUp).where(FollowUp.id == "jcec-24")
                            .values(planned_until=None))
    elif case == "a paused channel is tried again":
        add_notice(store, START, 0)
        rounds.dispatcher.breaker.trip("log", "cannot reach it", START)
    assert rounds.next_moment(START) == expected


def test_nothing_to_do_at_all_is_no_moment(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    store.prepare()
    rounds, _ = delivery_round(store, Clock(START),
                               plan=PlanSettings(audiences=(Audience("desk"),)))
    rounds.run(START)
    assert rounds.next_moment(START) is None
    store.dispose()


@pytest.mark.parametrize(
    ("now", "within", "expected"),
    [
        (MONDAY_9_SEOUL, timedelta(days=7), MONDAY_9_SEOUL),  # at the fire itself
        (MONDAY_9_SEOUL - timedelta(seconds=1), timedelta(days=7),
         MONDAY_9_SEOUL - timedelta(days=7)),
        (MONDAY_9_SEOUL - timedelta(seconds=1), timedelta(days=6), None),
        (MONDAY_9_SEOUL + timedelta(days=15), timedelta(days=32),
         MONDAY_9_SEOUL + timedelta(days=14)),
    ],
)
def test_the_last_fire_of_a_digest(now: datetime, within: timedelta,
                                   expected: datetime | None) -> None:
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab("0 9 * * mon", timezone=DESK.zone)
    assert last_fire_time(trigger, now, within) == expected


# -- what ------------------------------------------------------------------------------------


def test_digests_go_out_at_their_fire_and_missed_fires_make_one(store: Store) -> None:
    clock = Clock(START)
    rounds, channel = delivery_round(store, clock)
    run_until(rounds, clock, MONDAY_9_SEOUL + timedelta(days=8))
    digests = [(at, m.due) for at, m in channel.sent if m.kind == NoticeKind.DIGEST]
    assert digests == [(MONDAY_9_SEOUL, MONDAY_9_SEOUL),
                       (MONDAY_9_SEOUL + timedelta(days=7), MONDAY_9_SEOUL + timedelta(days=7))]
    # Held up for three weeks (a suspended machine): one digest, for the latest fire, late.
    clock.now = MONDAY_9_SEOUL + timedelta(days=29)
    rounds.run(clock.now)
    late = [m for _, m in channel.sent[len(channel.sent) - 10:] if m.kind == NoticeKind.DIGEST]
    assert [(m.due, m.late) for m in late][-1:] == [(MONDAY_9_SEOUL + timedelta(days=28), True)]
    assert sum(m.kind == NoticeKind.DIGEST for _, m in channel.sent) == 3


def test_start_up_plans_nothing_that_is_planned_already(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    before = followups_planned(store)
    assert all(until == START + SETTINGS.horizon for until in before.values())
    clock = Clock(START + timedelta(days=3))
    rounds, _ = delivery_round(store, clock)
    rounds.run(clock.now)
    assert followups_planned(store) == before
    assert not any("planned" in r.getMessage() for r in caplog.records)


def test_a_plan_is_extended_when_its_horizon_runs_out_and_only_then(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    clock = Clock(START)
    rounds, _ = delivery_round(store, clock)
    rounds.run(START)
    horizon = START + SETTINGS.horizon
    # An undated follow-up is chased every 30 days for ever: say its plan ends sooner.
    with store.transaction(write=True) as session:
        session.execute(update(FollowUp).where(FollowUp.id == "forecast-exchange-launch")
                        .values(planned_until=START + timedelta(days=100)))
    with store.transaction(write=False) as session:
        moment = Ledger(session, SETTINGS, START).next_extension()
    assert moment == START + timedelta(days=99)  # a day ahead, with any others due then
    chases_before = {k for k in statuses(store) if k.startswith("forecast-exchange-launch/")}
    for now in (moment - timedelta(seconds=1), moment):
        clock.now = now
        rounds.run(now)
    planned = followups_planned(store)
    assert planned.pop("forecast-exchange-launch") == moment + SETTINGS.horizon
    assert set(planned.values()) == {horizon}  # the others are left as they were
    chases = {k for k in statuses(store) if k.startswith("forecast-exchange-launch/")}
    assert len(chases - chases_before) == 3  # 30-day chases of the further 99 days
    assert [r.getMessage() for r in caplog.records if "ahead" in r.getMessage()] == [
        "planned 1 follow-ups ahead: 3 notices added, 0 superseded, 0 revived"]
    assert rounds.next_moment(moment) is not None


def test_a_follow_up_never_planned_is_planned_at_the_next_round(store: Store) -> None:
    clock = Clock(START)
    rounds, _ = delivery_round(store, clock)
    rounds.run(START)
    with store.transaction(write=True) as session:
        session.execute(update(Notice).where(Notice.followup_id == "jcec-24")
                        .values(status=NoticeStatus.SUPERSEDED))
        session.execute(update(FollowUp).where(FollowUp.id == "jcec-24")
                        .values(planned_until=None, planned_with=None))
    clock.now = START + timedelta(hours=1)
    rounds.run(clock.now)
    revived = {k: s for k, s in statuses(store).items() if k.startswith("jcec-24/")}
    assert revived and all(s is NoticeStatus.PENDING for s in revived.values())
    assert followups_planned(store)["jcec-24"] == clock.now + SETTINGS.horizon


def test_new_settings_replan_every_follow_up_and_retire_a_removed_audience(
        store: Store) -> None:
    team = PlanSettings(audiences=(Audience("team", timezone="Europe/Paris",
                                            send_time=time(8, 30)),))
    clock = Clock(START + timedelta(hours=1))
    rounds, _ = delivery_round(store, clock, plan=team)
    rounds.run(clock.now)
    found = statuses(store)
    assert {s for k, s in found.items() if k.endswith("/desk/log") and "/overdue/" not in k
            and "/digest/" not in k} == {NoticeStatus.SUPERSEDED}
    assert any(k.endswith("/team/log") and s is NoticeStatus.PENDING for k, s in found.items())
    with store.transaction(write=False) as session:
        assert set(session.scalars(select(FollowUp.planned_with))) == {fingerprint(team)}


@pytest.mark.parametrize(
    ("age", "outcome"),
    [
        (timedelta(hours=2), "late"),
        (timedelta(hours=23, minutes=59), "late"),
        (timedelta(hours=24), "late"),
        (timedelta(hours=24, minutes=1), "missed"),
        (timedelta(days=20), "missed"),
        (timedelta(minutes=4), "on time"),
    ],
)
def test_catch_up_sends_recent_notices_late_and_folds_older_ones(
        store: Store, caplog: pytest.LogCaptureFixture, age: timedelta, outcome: str) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    now = START + timedelta(days=30)
    key = add_notice(store, now - age, 0)
    clock = Clock(now)
    rounds, channel = delivery_round(store, clock)
    rounds.run(now)
    sent = {m.key: m for _, m in channel.sent}
    told = [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("catch-up: ") and " notices " in r.getMessage()]
    # The seed's own notices of the 30 days count too: one line for what is folded, one for
    # what goes out now (with the "missed" notice itself).
    folded = sum(s is NoticeStatus.MISSED for s in statuses(store).values())
    went_out = len(channel.sent)
    expected = [f"catch-up: {folded} notices fell due more than 24 hours ago while no "
                "daemon ran; listed in one 'missed' notice for desk"] if folded else []
    assert told == [*expected, f"catch-up: {went_out} notices are due now and go out (late "
                               "where they are)"]
    if outcome == "missed":
        assert key not in sent
        assert statuses(store)[key] is NoticeStatus.MISSED
        [missed] = [m for m in sent.values() if m.kind == NoticeKind.MISSED]
        assert "chase (every 14 days)" in missed.text
    else:
        assert sent[key].late is (outcome == "late")
        assert statuses(store)[key] is NoticeStatus.SENT


@pytest.mark.parametrize(("hours", "sent"), [(1, True), (23, True), (24, True), (25, False),
                                             (24 * 6, False)])
def test_a_digest_missed_at_start_is_sent_within_the_grace_and_told_of_after_it(
        store: Store, caplog: pytest.LogCaptureFixture, hours: int, sent: bool) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    fire = MONDAY_9_SEOUL + timedelta(days=7)
    clock = Clock(fire + timedelta(hours=hours))
    rounds, channel = delivery_round(store, clock)
    rounds.run(clock.now)
    digests = [(m.due, m.late) for _, m in channel.sent if m.kind == NoticeKind.DIGEST]
    assert digests == ([(fire, True)] if sent else [])
    told = [r.getMessage() for r in caplog.records if "was missed" in r.getMessage()]
    assert told == ([] if sent else [
        "catch-up: the digest for desk due 2019-02-04 09:00 KST was missed while no daemon "
        "ran; the next one is on schedule"])


def test_a_digest_before_the_register_existed_was_not_missed(store: Store) -> None:
    clock = Clock(START + timedelta(hours=1))  # the Monday before was before the seed
    rounds, channel = delivery_round(store, clock)
    rounds.run(clock.now)
    assert not [m for _, m in channel.sent if m.kind == NoticeKind.DIGEST]
    assert rounds.next_moment(clock.now) == MONDAY_9_SEOUL


# -- the same, however often it is woken -----------------------------------------------------


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=60 * 24 * 40), max_size=8))
def test_waking_the_round_more_often_sends_the_same(store: Store, minutes: list[int]) -> None:
    """The safety poll and the watch wake the daemon at any time: what goes out, and when,
    does not depend on it."""
    end = START + timedelta(days=40)
    results = []
    for wake in ([], [START + timedelta(minutes=m) for m in minutes]):
        path = Path(str(store.url.database))
        copy = path.with_name(f"wake-{len(wake)}-{len(results)}.db")
        shutil.copyfile(path, copy)
        other = Store(f"sqlite:///{copy}")
        clock = Clock(START)
        rounds, channel = delivery_round(other, clock)
        run_until(rounds, clock, end, wake)
        other.dispose()
        copy.unlink()
        results.append(sorted((m.key, m.due, m.late) for _, m in channel.sent))
    assert results[0] == results[1]
    assert len(results[0]) > 8
