"""The register on a real database: run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from events.bus import FollowUpEvent, Rederived
from events.errors import AnchorCycle, InvalidChange, StoreError, UnknownFollowUp
from events.extract import Proposal
from events.feed_store import register_version
from events.ingest import ingest
from events.model import Base, Change, FollowUp, Kind, Source, Status
from events.register import Draft, Register, standard_bus
from events.schedule import Schedule
from events.seed import load_seed, read_seed
from events.store import HEAD, Preparation, Store, _alembic_config, new_sqlite_register
from events.window import parse_window
from tests.conftest import NOW, SEED_IDS


@pytest.fixture
def store(any_database_url: str) -> Iterator[Store]:
    store = Store(any_database_url)
    store.prepare()
    yield store
    store.dispose()


class Unit:
    """Runs register commands each in its own transaction, like separate CLI calls."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.bus = standard_bus()
        self.now = NOW

    def __call__(self, action):  # type: ignore[no-untyped-def]
        with self.store.transaction(write=True) as session:
            register = Register(session, now=self.now, bus=self.bus)
            result = action(register)
            return result, list(register.changes), list(register.notes)


@pytest.fixture
def unit(store: Store) -> Unit:
    return Unit(store)


@pytest.fixture
def seeded(unit: Unit) -> Unit:
    unit(load_seed)
    return unit


def days(text_form: str) -> Schedule:
    window = parse_window(text_form)
    assert window.earliest is not None and window.latest is not None
    return Schedule(window.earliest, window.latest)


def get(unit: Unit, followup_id: str) -> FollowUp:
    followup, _, _ = unit(lambda r: r.get(followup_id))
    return followup


# -- schema ------------------------------------------------------------------------------


def test_migrations_make_exactly_the_schema_the_models_describe(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_head_known_without_alembic_is_the_migrations_head() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    assert script.get_current_head() == HEAD


def test_opening_again_changes_nothing(store: Store) -> None:
    preparation = store.prepare()
    assert not preparation.created
    assert preparation.upgraded_from is None


def test_a_database_from_a_newer_followup_is_refused(store: Store) -> None:
    with store.transaction(write=True) as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="written by a newer followup"):
        store.prepare()


# -- the seed ----------------------------------------------------------------------------


def test_seed_loads_every_follow_up_once_with_provenance(seeded: Unit) -> None:
    added, _, _ = seeded(load_seed)
    assert added == 0  # the second time changes nothing
    followups, _, _ = seeded(lambda r: r.find())
    assert {f.id for f in followups} >= set(SEED_IDS)
    seed = read_seed()
    for followup in followups:
        assert followup.source is not None
        assert followup.source.title.startswith("Outcome of 23rd Meeting")
        assert followup.sentence and followup.sentence in seed.text
        assert followup.phrase is None or followup.phrase in followup.sentence
        assert followup.paragraph is not None
        assert f"{followup.paragraph}. " in seed.text
        assert followup.revision == 1
    with seeded.store.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Source)) == 1


@pytest.mark.parametrize(
    ("followup_id", "window", "status", "anchor", "location"),
    [
        (
            "kma-visit",
            "2019-01-24",
            Status.SCHEDULED,
            None,
            "Korea Meteorological Administration, Seoul",
        ),
        ("working-level-meetings", "2019-02..", Status.EXPECTED, None, None),
        ("temm-21", "2019-H2", Status.EXPECTED, None, "Japan"),
        ("ministers-at-temm-21", "2019-H2", Status.EXPECTED, "temm-21", "Japan"),
        ("ltp-report", "2019-H2", Status.EXPECTED, "temm-21", "Japan"),
        ("jcec-24", "2019-H2", Status.EXPECTED, None, "China"),
        ("fine-dust-expert-group", "2019-H2", Status.EXPECTED, "jcec-24", "China"),
        ("forecast-exchange-launch", "undated", Status.EXPECTED, None, None),
    ],
)
def test_seed_follow_ups(
    seeded: Unit,
    followup_id: str,
    window: str,
    status: Status,
    anchor: str | None,
    location: str | None,
) -> None:
    followup = get(seeded, followup_id)
    assert followup.window == parse_window(window)
    assert followup.status is status
    assert followup.anchor_id == anchor
    assert followup.location == location


# -- confirming and re-deriving ----------------------------------------------------------


def test_confirming_temm_21_narrows_what_is_anchored_to_it(seeded: Unit) -> None:
    seeded.now = NOW + timedelta(days=300)
    _, changes, _ = seeded(
        lambda r: r.confirm(
            "temm-21", days("2019-11-23..2019-11-24"), why="followup confirm temm-21"
        )
    )
    assert get(seeded, "ministers-at-temm-21").window == parse_window("2019-11-22..2019-11-25")
    assert get(seeded, "ltp-report").window == parse_window("2019-11-16..2019-12-01")
    temm = get(seeded, "temm-21")
    assert temm.status is Status.SCHEDULED
    assert temm.schedule == days("2019-11-23..2019-11-24")
    assert temm.revision == 2
    assert [(c.followup_id, c.field) for c in changes] == [
        ("temm-21", "status"),
        ("temm-21", "schedule"),
        ("temm-21", "window"),
        ("ltp-report", "window"),
        ("ministers-at-temm-21", "window"),
    ]
    history, _, _ = seeded(lambda r: r.history("ltp-report"))
    assert [(c.field, c.old, c.new, c.revision) for c in history] == [
        ("created", None, "report 2019-H2", 1),
        ("window", "2019-H2", "2019-11-16..2019-12-01", 2),
    ]
    assert history[-1].why == "derived from temm-21 after: followup confirm temm-21"
    assert history[-1].at == seeded.now
    # the rest is untouched
    assert get(seeded, "jcec-24").revision == 1


def test_chains_propagate_and_stop_where_nothing_changes(seeded: Unit) -> None:
    seeded(
        lambda r: r.add(
            Draft(
                id="press-briefing",
                title="Briefing on the LTP report",
                kind=Kind.OTHER,
                anchor_id="ltp-report",
                margin_days=1,
            ),
            why="add",
        )
    )
    seen: list[str] = []
    seeded.bus.subscribe(
        FollowUpEvent,
        lambda event, register: seen.append(f"{type(event).__name__} {event.followup_id}"),
    )
    _, changes, _ = seeded(lambda r: r.confirm("temm-21", days("2019-11-23"), why="confirm"))
    assert get(seeded, "press-briefing").window == parse_window("2019-11-15..2019-12-01")
    assert seen == [
        "Confirmed temm-21",
        "Rederived ltp-report",
        "Rederived ministers-at-temm-21",
        "Rederived press-briefing",
    ]
    briefing = [c for c in changes if c.followup_id == "press-briefing"]
    assert briefing[0].why == "derived from ltp-report after: confirm"

    seen.clear()
    _, changes, _ = seeded(lambda r: r.confirm("temm-21", days("2019-11-23"), why="again"))
    assert changes == []  # nothing new, so nothing derived and no revision raised
    assert seen == []
    assert get(seeded, "temm-21").revision == 2


def test_confirmed_dependants_keep_their_own_dates(seeded: Unit) -> None:
    seeded(lambda r: r.confirm("ministers-at-temm-21", days("2019-11-22"), why="confirm"))
    seeded(lambda r: r.confirm("temm-21", days("2019-11-23..2019-11-24"), why="confirm"))
    assert get(seeded, "ministers-at-temm-21").window == parse_window("2019-11-22")
    assert get(seeded, "ltp-report").window == parse_window("2019-11-16..2019-12-01")


def test_moving_the_anchor_moves_the_dependants_back_to_a_window(seeded: Unit) -> None:
    seeded(lambda r: r.confirm("temm-21", days("2019-11-23..2019-11-24"), why="confirm"))
    seeded(
        lambda r: r.move("temm-21", parse_window("2020-Q1"), why="move", phrase="early next year")
    )
    temm = get(seeded, "temm-21")
    assert temm.status is Status.EXPECTED
    assert temm.schedule is None
    assert temm.phrase == "early next year"
    assert get(seeded, "ltp-report").window == parse_window("2020-Q1")


def test_a_timed_confirmation_keeps_its_zone(seeded: Unit) -> None:
    schedule = Schedule.confirm(
        parse_window("2019-11-23"), at=time(10), until=time(12), timezone="Asia/Tokyo"
    )
    seeded(lambda r: r.confirm("temm-21", schedule, why="confirm"))
    temm = get(seeded, "temm-21")
    assert temm.start_at == datetime(2019, 11, 23, 1, tzinfo=UTC)
    assert temm.schedule == schedule
    assert temm.schedule is not None
    assert temm.schedule.describe() == "23 November 2019, 10:00–12:00 Asia/Tokyo"
    assert get(seeded, "ministers-at-temm-21").window == parse_window("2019-11-22..2019-11-24")


def test_cancelling_the_anchor_is_noted_on_its_dependants(seeded: Unit) -> None:
    seen: list[FollowUpEvent] = []
    seeded.bus.subscribe(Rederived, lambda event, register: seen.append(event))
    _, changes, _ = seeded(lambda r: r.cancel("jcec-24", reason="postponed sine die", why="cancel"))
    expert = get(seeded, "fine-dust-expert-group")
    assert expert.status is Status.EXPECTED
    assert expert.revision == 2
    assert [(c.followup_id, c.field, c.new) for c in changes] == [
        ("jcec-24", "status", "cancelled"),
        ("fine-dust-expert-group", "anchor", "jcec-24 (cancelled)"),
    ]
    assert [e.followup_id for e in seen] == ["fine-dust-expert-group"]


def test_done_with_the_days_it_was_held(seeded: Unit) -> None:
    seeded(lambda r: r.complete("jcec-24", schedule=days("2019-12-10..2019-12-11"), why="done"))
    jcec = get(seeded, "jcec-24")
    assert jcec.status is Status.DONE
    assert get(seeded, "fine-dust-expert-group").window == parse_window("2019-12-09..2019-12-12")


# -- refusals change nothing ---------------------------------------------------------------


def _snapshot(store: Store) -> list[tuple[object, ...]]:
    with store.transaction(write=False) as session:
        rows = session.execute(
            select(
                FollowUp.id,
                FollowUp.revision,
                FollowUp.earliest,
                FollowUp.latest,
                FollowUp.status,
                FollowUp.anchor_id,
            ).order_by(FollowUp.id)
        )
        count = session.scalar(select(func.count()).select_from(Change))
        return [tuple(row) for row in rows] + [("changes", count)]


@pytest.mark.parametrize(
    ("action", "error", "says"),
    [
        (
            lambda r: r.set_anchor("temm-21", "ltp-report", why="x"),
            AnchorCycle,
            "temm-21 -> ltp-report -> temm-21",
        ),
        (
            lambda r: r.set_anchor("jcec-24", "fine-dust-expert-group", why="x"),
            AnchorCycle,
            "cycle",
        ),
        (lambda r: r.confirm("nope", days("2019-11-23"), why="x"), UnknownFollowUp, "nope"),
        (
            lambda r: r.move("ltp-report", parse_window("2019-12"), why="x"),
            InvalidChange,
            "derived from temm-21",
        ),
        (
            lambda r: r.add(Draft(id="Bad Id", title="x", kind=Kind.OTHER), why="x"),
            InvalidChange,
            "not a usable id",
        ),
        (
            lambda r: r.add(Draft(id="temm-21", title="x", kind=Kind.OTHER), why="x"),
            InvalidChange.__mro__[1],
            "exists already",
        ),
        (
            lambda r: r.add(Draft(id="x", title="x", kind=Kind.OTHER, anchor_id="x"), why="x"),
            AnchorCycle,
            "x -> x",
        ),
    ],
)
def test_refused_commands_change_nothing(seeded: Unit, action, error, says) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(seeded.store)
    with pytest.raises(error, match=says):
        seeded(action)
    assert _snapshot(seeded.store) == before


def test_a_cancelled_follow_up_cannot_be_confirmed(seeded: Unit) -> None:
    seeded(lambda r: r.cancel("jcec-24", why="cancel"))
    before = _snapshot(seeded.store)
    with pytest.raises(InvalidChange, match="was cancelled and cannot be confirmed"):
        seeded(lambda r: r.confirm("jcec-24", days("2019-11-23"), why="x"))
    with pytest.raises(InvalidChange, match="cannot be cancelled"):
        seeded(lambda r: r.cancel("jcec-24", why="x"))
    assert _snapshot(seeded.store) == before


def test_a_failure_after_writes_rolls_everything_back(seeded: Unit) -> None:
    before = _snapshot(seeded.store)

    def confirm_then_fail(register: Register) -> None:
        register.confirm("temm-21", days("2019-11-23"), why="x")
        register.get("no-such-thing")

    with pytest.raises(UnknownFollowUp):
        seeded(confirm_then_fail)
    assert _snapshot(seeded.store) == before


def test_find_filters(seeded: Unit) -> None:
    def ids(**kwargs: object) -> list[str]:
        found, _, _ = seeded(lambda r: r.find(**kwargs))
        return [f.id for f in found]

    assert ids(kind=Kind.VISIT) == ["kma-visit"]
    assert ids(status=Status.SCHEDULED) == ["kma-visit"]
    in_march = ids(within=parse_window("2019-03"))
    assert "working-level-meetings" in in_march and "forecast-exchange-launch" in in_march
    assert "temm-21" not in in_march and "kma-visit" not in in_march
    everything = ids()
    assert everything[0] == "kma-visit"
    assert everything.index("temm-21") < everything.index("forecast-exchange-launch")


def test_add_with_source_and_dates(seeded: Unit) -> None:
    source, _, _ = seeded(lambda r: r.add_source(title="Note", publisher="Desk", text="Hello."))
    again, _, _ = seeded(lambda r: r.add_source(title="Other", publisher="Desk", text="Hello."))
    assert again.id == source.id

    def add(register: Register) -> FollowUp:
        return register.add(
            Draft(
                id="seminar",
                title="Joint seminar",
                kind=Kind.MEETING,
                window=parse_window("2019-Q2"),
                phrase="in the second quarter",
                parties=["ROK", "China"],
                location="Busan",
                source=register.session.get(Source, source.id),
                paragraph=1,
                sentence="Hello.",
                tags=["seminar"],
            ),
            why="add",
        )

    seeded(add)
    seminar = get(seeded, "seminar")
    assert (seminar.window, seminar.location, seminar.parties, seminar.tags) == (
        parse_window("2019-Q2"),
        "Busan",
        ["ROK", "China"],
        ["seminar"],
    )
    assert seminar.source is not None and seminar.source.title == "Note"
    assert seminar.created_at == NOW
    assert seminar.window.contains(date(2019, 5, 1))


# -- text ------------------------------------------------------------------------------------

#: Every C0 and C1 control, DEL, and the line and paragraph separators.
HOSTILE = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "\u2028\u2029"


def _unclean(text: str | None) -> bool:
    return text is not None and any(c in HOSTILE for c in text)


def test_texts_are_stored_without_control_characters(seeded: Unit) -> None:
    def add(register: Register) -> FollowUp:
        source = register.add_source(
            title=f"Press{HOSTILE}release", publisher=f"MOFA{HOSTILE}", text="Kept as is.\r\n",
            url=f"http://example.org/{HOSTILE}release", attribution=f"Unofficial{HOSTILE}")
        return register.add(Draft(
            id="hostile", title=f"Joint{HOSTILE}seminar", kind=Kind.MEETING,
            window=parse_window("2019-Q2"), phrase=f"in the{HOSTILE}spring",
            parties=[f"ROK{HOSTILE}"], location=f"Busan{HOSTILE}", source=source,
            sentence=f"They agreed{HOSTILE}to meet.", tags=[f"{HOSTILE}seminar"],
            next_step=f"Ask{HOSTILE}"), why=f"add{HOSTILE}")

    seeded(add)
    seeded(lambda r: r.move("hostile", parse_window("2019-Q3"), phrase=f"later{HOSTILE}",
                            why=f"move{HOSTILE}"))
    seeded(lambda r: r.cancel("hostile", reason=f"no{HOSTILE}budget", why=f"cancel{HOSTILE}"))
    stored = get(seeded, "hostile")
    assert (stored.title, stored.location, stored.sentence, stored.next_step) == (
        "Joint seminar", "Busan", "They agreed to meet.", "Ask")
    assert (stored.phrase, stored.parties, stored.tags) == ("later", ["ROK"], ["seminar"])
    assert stored.source is not None
    assert (stored.source.title, stored.source.publisher, stored.source.url,
            stored.source.attribution) == ("Press release", "MOFA",
                                           "http://example.org/release", "Unofficial")
    assert stored.source.text == "Kept as is.\r\n"  # the evidence, as published
    history, _, _ = seeded(lambda r: r.history("hostile"))
    assert [c.field for c in history] == ["created", "window", "phrase", "status"]
    assert not any(_unclean(c.why) or _unclean(c.old) or _unclean(c.new) for c in history)
    assert history[0].why == "add"


def test_ingested_proposals_are_stored_without_control_characters(seeded: Unit) -> None:
    proposal = Proposal(key="dialogue", title=f"Policy{HOSTILE}dialogue", kind=Kind.MEETING,
                        window=parse_window("2019-H2"), phrase=f"second{HOSTILE}half",
                        location=f"Tokyo{HOSTILE}", sentence=f"A dialogue{HOSTILE}is due.")
    outcome, _, _ = seeded(lambda r: ingest(
        r, text="A dialogue is due.", proposals=[proposal], title=f"Release{HOSTILE}",
        publisher="MOE", published=date(2019, 3, 1), url=None, links={}, new=set()))
    assert outcome.created == ["dialogue"]
    stored = get(seeded, "dialogue")
    assert (stored.title, stored.phrase, stored.location, stored.sentence) == (
        "Policy dialogue", "second half", "Tokyo", "A dialogue is due.")
    assert stored.source is not None and stored.source.title == "Release"


def test_moving_what_follows_an_anchor_names_its_margin_in_days(seeded: Unit) -> None:
    with pytest.raises(InvalidChange, match=r"derived from temm-21 \(margin 1 day\)"):
        seeded(lambda r: r.move("ministers-at-temm-21", parse_window("2019-12"), why="move"))


@pytest.mark.parametrize("durable", [True, False])
def test_outcomes_wait_for_the_disk_unless_told_not_to(postgres_schema_url: str,
                                                       durable: bool) -> None:
    """[delivery] durable_outcomes reaches the connection that records outcomes, and only
    that one; the URL's own options (here, the test's schema) still hold."""
    store = Store(postgres_schema_url, durable_outcomes=durable)
    try:
        store.prepare()
        connection = store.outcome_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SHOW synchronous_commit")
            setting = cursor.fetchone()[0]
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
        finally:
            connection.close()
        with store.transaction(write=True) as session:
            elsewhere = session.execute(text("SHOW synchronous_commit")).scalar()
            expected_schema = session.execute(text("SELECT current_schema()")).scalar()
    finally:
        store.dispose()
    assert setting == ("on" if durable else "off")
    assert elsewhere == "on"
    assert schema == expected_schema and str(schema).startswith("t_")


def test_a_new_register_is_copied_from_one_the_migrations_made_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(tmp_path / "cache"))
    made = []
    for name in ("first.db", "second.db"):
        new_sqlite_register(tmp_path / name)
        made.append(list((tmp_path / "cache" / "registers").iterdir()))
    assert len(made[0]) == 1 and made[1] == made[0]
    store = Store(f"sqlite:///{tmp_path / 'second.db'}")
    try:
        assert store.prepare() == Preparation(created=False, upgraded_from=None, revision=HEAD)
        with store.connection(write=False) as connection:
            before = register_version(connection)
        with store.transaction(write=True) as session:
            load_seed(Register(session, now=NOW, bus=standard_bus()))
        with store.connection(write=False) as connection:  # the triggers came with it
            assert register_version(connection) > before
    finally:
        store.dispose()


def test_a_new_register_is_made_without_a_cache_to_keep_it_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(blocked))
    new_sqlite_register(tmp_path / "register.db")
    store = Store(f"sqlite:///{tmp_path / 'register.db'}")
    try:
        assert store.prepare().revision == HEAD
    finally:
        store.dispose()
