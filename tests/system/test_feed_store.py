"""Feeds on a real database, once on SQLite and once on PostgreSQL: the register's version,
the blocks kept for the next process, and a feed service that reads no more than it must."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from events.feed import FeedSettings, Version, event_block, feed, shape_of
from events.feed_store import FeedStore
from events.model import FeedBlock, FollowUp
from events.register import Register, standard_bus
from events.schedule import Schedule
from events.seed import load_seed
from events.store import Store
from events.window import parse_window
from scheduler.config import load_config
from scheduler.feeds import FeedService
from tests.conftest import NOW

SHAPE = shape_of(FeedSettings())


@pytest.fixture
def store(any_database_url: str) -> Iterator[Store]:
    store = Store(any_database_url)
    store.prepare()
    with store.transaction(write=True) as session:
        load_seed(Register(session, now=NOW, bus=standard_bus()))
    yield store
    store.dispose()


def versions(session: Session) -> dict[str, Version]:
    return {followup_id: (revision, anchored or 0)
            for followup_id, revision, anchored, _ in FeedStore(session, SHAPE).versions()}


def version(store: Store) -> int:
    with store.transaction(write=False) as session:
        return FeedStore(session, SHAPE).version()


def change(store: Store, action: str, followup_id: str = "temm-21") -> None:
    """One command of the register, in its own transaction."""
    with store.transaction(write=True) as session:
        register = Register(session, now=NOW + timedelta(days=1), bus=standard_bus())
        if action == "confirm":
            register.confirm(followup_id, Schedule(date(2019, 11, 23), date(2019, 11, 24)),
                             why="dates announced")
        else:
            register.move(followup_id, parse_window("2019-12"), why="put off", detach=True)


def sql(store: Store, statement: str) -> None:
    with store.transaction(write=True) as session:
        session.execute(text(statement))


def test_the_register_version_moves_with_every_change_to_a_follow_up(store: Store) -> None:
    before = version(store)
    change(store, "confirm")
    assert version(store) > before
    # whoever writes: an update, an insert and a delete by hand count as well
    for statement in (
            "UPDATE followups SET revision = revision + 1 WHERE id = 'jcec-24'",
            "INSERT INTO followups (id, title, kind, status, parties, earliest, latest, "
            "precision, margin_days, tags, revision, created_at, updated_at) VALUES ('by-hand', "
            "'By hand', 'other', 'expected', '[]', NULL, NULL, 'open', 0, '[]', 1, "
            "'2019-01-24 09:00:00', '2019-01-24 09:00:00')",
            "DELETE FROM followups WHERE id = 'by-hand'"):
        before = version(store)
        sql(store, statement)
        assert version(store) > before, statement


def changed_after(store: Store, seen: int) -> list[str] | None:
    with store.transaction(write=False) as session:
        changed = FeedStore(session, SHAPE).changed_after(seen)
    return None if changed is None else sorted(changed)


def test_the_log_names_what_each_change_touched(store: Store) -> None:
    start = version(store)
    assert changed_after(store, start) == []
    change(store, "confirm")  # TEMM 21, and what rides on it re-derived in the same command
    with store.transaction(write=False) as session:
        riders = sorted(session.scalars(select(FollowUp.id).where(
            FollowUp.anchor_id == "temm-21", FollowUp.earliest.is_not(None))))
    confirmed = changed_after(store, start)
    assert confirmed is not None and "temm-21" in confirmed
    assert set(riders) <= set(confirmed)
    middle = version(store)
    sql(store, "UPDATE followups SET revision = revision + 1 WHERE id = 'jcec-24'")
    sql(store, "INSERT INTO followups (id, title, kind, status, parties, earliest, latest, "
               "precision, margin_days, tags, revision, created_at, updated_at) VALUES "
               "('by-hand', 'By hand', 'other', 'expected', '[]', NULL, NULL, 'open', 0, "
               "'[]', 1, '2019-01-24 09:00:00', '2019-01-24 09:00:00')")
    assert changed_after(store, middle) == ["by-hand", "jcec-24"]
    deleted = version(store)
    sql(store, "DELETE FROM followups WHERE id = 'by-hand'")
    assert changed_after(store, deleted) == ["by-hand"]
    # rows before a reader's version pruned away: it is told to read everything
    sql(store, f"DELETE FROM feed_changes WHERE version <= {middle + 1}")
    assert changed_after(store, middle) is None
    assert changed_after(store, middle + 1) == ["by-hand"]


def test_the_log_keeps_the_latest_versions_only(service: FeedService) -> None:
    """Pruned as the versions pass each thousand: a feed left further behind than the log
    reaches reads every follow-up again, and still serves what is there."""
    service.render("all")
    seen = version(service.store)
    sql(service.store, "UPDATE register_version SET version = 39999")
    sql(service.store, "UPDATE followups SET revision = revision + 1 WHERE id = 'jcec-24'")
    assert version(service.store) == 40000
    with service.store.transaction(write=False) as session:
        logged = session.execute(text("SELECT version, followup_id FROM feed_changes")).all()
    assert [tuple(row) for row in logged] == [(40000, "jcec-24")]
    assert changed_after(service.store, seen) is None
    assert service.render("all").body == rendered_afresh(service)


def test_the_version_stands_while_no_follow_up_changes(store: Store) -> None:
    before = version(store)
    with store.transaction(write=True) as session:
        FeedStore(session, SHAPE).keep([("temm-21", (1, 0), b"BLOCK")])
        session.execute(text("UPDATE sources SET attribution = 'kept'"))
    assert version(store) == before

    def change_then_fail() -> None:
        with store.transaction(write=True) as session:
            session.execute(text("UPDATE followups SET revision = revision + 1"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert version(store) == before


def test_a_writer_does_not_wait_for_another_to_raise_the_version(store: Store) -> None:
    """On PostgreSQL (SQLite has one writer at a time anyway), two transactions changing
    different follow-ups go on side by side: the version is raised as each commits."""
    if store.is_sqlite:
        pytest.skip("SQLite lets one transaction write at a time")
    before = version(store)
    with store.engine.connect() as first, store.engine.connect() as second:
        first.execute(text("UPDATE followups SET revision = revision + 1 WHERE id = 'temm-21'"))
        second.execute(text("SET lock_timeout = '5s'"))  # fails rather than hang
        second.execute(text("UPDATE followups SET revision = revision + 1 "
                            "WHERE id = 'jcec-24'"))
        second.commit()
        assert version(store) == before + 1
        first.commit()
    assert version(store) == before + 2


def test_versions_come_in_feed_order(store: Store) -> None:
    with store.transaction(write=False) as session:
        order = FeedStore(session, SHAPE).versions()
        by_id = versions(session)
        rows = session.execute(select(FollowUp.id, FollowUp.earliest, FollowUp.revision,
                                      FollowUp.anchor_id)).all()
    revisions = {followup_id: revision for followup_id, _, revision, _ in rows}
    anchors = {followup_id: anchor for followup_id, _, _, anchor in rows}
    expected = [r[0] for r in sorted(rows, key=lambda r: (r[1] is None, r[1] or NOW.date(),
                                                          r[0]))]
    assert [followup_id for followup_id, _, _, _ in order] == expected
    assert by_id == {followup_id: (revisions[followup_id],
                                         revisions[anchors[followup_id]]
                                         if anchors[followup_id] else 0)
                           for followup_id in revisions}
    assert any(anchor for anchor in anchors.values())  # the seed ties some to TEMM 21


def kept(store: Store, shape: str = SHAPE) -> dict[str, bytes | None]:
    with store.transaction(write=False) as session:
        return {row.id: row.block for row in FeedStore(session, shape).rows()}


def test_a_kept_block_is_good_for_its_version_and_shape_only(store: Store) -> None:
    with store.transaction(write=False) as session:
        held = versions(session)
    with store.transaction(write=True) as session:
        FeedStore(session, SHAPE).keep([(followup_id, version, f"<{followup_id}>".encode())
                                        for followup_id, version in held.items()])
    assert kept(store) == {followup_id: f"<{followup_id}>".encode() for followup_id in held}
    assert set(kept(store, "another shape").values()) == {None}
    with store.transaction(write=True) as session:  # kept again: replaced, not added
        FeedStore(session, SHAPE).keep([("jcec-24", held["jcec-24"], b"<again>")])
    assert kept(store)["jcec-24"] == b"<again>"
    with store.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(FeedBlock)) == len(held)
    change(store, "confirm")  # TEMM 21 and what is tied to it change
    now = kept(store)
    assert now["temm-21"] is None
    assert now["ltp-report"] is None  # tied to it: its anchor's revision moved
    assert now["jcec-24"] == b"<again>"  # not tied: still good
    with store.transaction(write=False) as session:
        row = next(FeedStore(session, SHAPE).rows(["jcec-24"]))
        followup = session.get(FollowUp, "jcec-24")
        assert followup is not None
        assert (row.kind, row.tags, row.changed) == (followup.kind, tuple(followup.tags),
                                                     followup.updated_at)
        assert list(FeedStore(session, SHAPE).rows([])) == []


# -- the service ------------------------------------------------------------------------------


@pytest.fixture
def service(store: Store, any_database_url: str, tmp_path: Path) -> FeedService:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{any_database_url}"\nseed = false\n'
                    '[audiences.temm-team]\ntags = ["temm"]\n'
                    '[feeds]\ndomain = "followup.example.org"\n')
    return FeedService(store, load_config(path, env={}))


def rendered_afresh(service: FeedService, audience: str = "all") -> bytes:
    """The feed as every event rendered from its follow-up, in feed order, would be."""
    with service.store.transaction(write=False) as session:
        followups = list(session.scalars(select(FollowUp).order_by(
            FollowUp.earliest.is_(None), FollowUp.earliest, FollowUp.id)).unique())
        blocks = [event_block(f, service.settings) for f in followups
                  if audience == "all" or "temm" in f.tags]
    return feed(blocks, service.settings, audience)


def keep_fake(service: FeedService, followup_id: str) -> bytes:
    """A block kept for the follow-up's present version that no rendering would make."""
    with service.store.transaction(write=True) as session:
        reads = FeedStore(session, service.shape)
        fake = f"X-KEPT:{followup_id}\r\n".encode()
        reads.keep([(followup_id, versions(session)[followup_id], fake)])
    return fake


def test_a_feed_is_its_follow_ups_events_in_feed_order(service: FeedService) -> None:
    for audience in ("all", "temm-team"):
        assert service.render(audience).body == rendered_afresh(service, audience)
    assert service.render("temm-team").body != service.render("all").body


def test_a_new_process_serves_the_blocks_kept_by_an_earlier_one(service: FeedService) -> None:
    first = service.render("all")
    with service.store.transaction(write=False) as session:
        followups = list(session.scalars(select(FollowUp)).unique())
        assert kept(service.store, service.shape) == {f.id: event_block(f, service.settings)
                                       for f in followups}
    fake = keep_fake(service, "jcec-24")
    again = FeedService(service.store, service.config).render("all")
    assert fake in again.body  # taken as kept, not rendered
    assert again.etag == first.etag  # the same versions: the same tag in every process
    # its follow-up changes: rendered again, and kept for the next process
    sql(service.store, "UPDATE followups SET revision = revision + 1 WHERE id = 'jcec-24'")
    changed = FeedService(service.store, service.config).render("all")
    assert fake not in changed.body
    assert changed.body == rendered_afresh(service)
    assert changed.etag != first.etag
    assert FeedService(service.store, service.config).render("all").body == changed.body


def test_a_change_to_an_anchor_renders_what_is_tied_to_it_again(service: FeedService) -> None:
    service.render("all")
    fake = keep_fake(service, "ltp-report")
    assert fake in FeedService(service.store, service.config).render("all").body
    change(service.store, "confirm")  # TEMM 21, which the LTP report is tied to
    for serving in (service, FeedService(service.store, service.config)):
        body = serving.render("all").body
        assert fake not in body
        assert body == rendered_afresh(service)


def test_a_feed_reads_the_follow_ups_only_when_something_changed(service: FeedService) -> None:
    statements: list[tuple[str, str]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object,
               *_args: object) -> None:
        statements.append((statement, repr(parameters)))

    first = service.render("all")
    team = service.render("temm-team")
    event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        assert service.render("all") is first
        assert service.render("temm-team") is team
        assert not any("followups" in statement for statement, _ in statements)
        sql(service.store, "UPDATE followups SET revision = revision + 1 WHERE id = 'jcec-24'")
        statements.clear()
        changed = service.render("all")
        reading = [(s, v) for s, v in statements if "FROM followups" in s]
        # what changed, from the log; the versions of that one and of those tied to it,
        # asked by its id alone; then, for the one that changed and the one tied to it,
        # their kept blocks (none for these versions) and the follow-ups whole
        assert any("FROM feed_changes" in statement for statement, _ in statements)
        assert len(reading) == 3
        assert "feed_blocks" not in reading[0][0] and "anchor_id IN" in reading[0][0]
        assert "'jcec-24'" in reading[0][1] and "fine-dust" not in reading[0][1]
        for _, parameters in reading[1:]:
            assert "'jcec-24'" in parameters and "'fine-dust-expert-group'" in parameters
            assert not any(f"'{other}'" in parameters for other in ("temm-21", "ltp-report"))
    finally:
        event.remove(service.store.engine, "before_cursor_execute", record)
    assert changed.body == rendered_afresh(service)
    assert changed.stamp > first.stamp
    # a feed that does not hold it keeps its bytes and its tag
    unchanged = service.render("temm-team")
    assert (unchanged.body, unchanged.etag) == (team.body, team.etag)
    assert unchanged.stamp == changed.stamp


def test_a_feed_kept_up_change_by_change_is_the_feed_made_afresh(
        service: FeedService) -> None:
    """Whatever moves (a date reordering the feed, a follow-up added or removed, an anchor
    gained or lost), a service that read only the changes serves what a new one would."""
    steps = [
        "UPDATE followups SET earliest = '2018-01-01', revision = revision + 1 "
        "WHERE id = 'jcec-24'",  # to the front
        "UPDATE followups SET earliest = NULL, latest = NULL, precision = 'open', "
        "revision = revision + 1 WHERE id = 'temm-21'",  # to the undated at the end
        "INSERT INTO followups (id, title, kind, status, parties, earliest, latest, "
        "precision, margin_days, tags, revision, created_at, updated_at) VALUES ('by-hand', "
        "'By hand', 'other', 'expected', '[]', '2019-06-01', '2019-06-30', 'month', 0, "
        "'[\"temm\"]', 1, '2019-01-24 09:00:00', '2019-01-24 09:00:00')",
        "UPDATE followups SET anchor_id = 'by-hand', revision = revision + 1 "
        "WHERE id = 'jcec-24'",
        "UPDATE followups SET revision = revision + 1 WHERE id = 'by-hand'",  # its rider too
        "UPDATE followups SET anchor_id = NULL, revision = revision + 1 WHERE id = 'jcec-24'",
        "DELETE FROM followups WHERE id = 'by-hand'",
        "UPDATE followups SET earliest = '2019-03-01', latest = '2019-03-31', "
        "precision = 'month', revision = revision + 1 WHERE id = 'temm-21'",
    ]
    service.render("all")
    service.render("temm-team")
    for step in steps:
        sql(service.store, step)
        for audience in ("all", "temm-team"):
            kept_up = service.render(audience)
            fresh = FeedService(service.store, service.config).render(audience)
            assert kept_up.body == fresh.body == rendered_afresh(service, audience), step
            assert kept_up.etag == fresh.etag, step


def test_a_streamed_feed_is_the_rendered_one_and_keeps_what_it_renders(
        service: FeedService) -> None:
    """What `followup export` writes a batch at a time is the feed the server sends, kept
    events or not; what it had to render is kept for the next process."""
    assert set(kept(service.store, service.shape).values()) == {None}  # nothing kept yet
    for audience in ("all", "temm-team"):
        streamed = b"".join(FeedService(service.store, service.config).stream(audience))
        assert streamed == rendered_afresh(service, audience)
        assert streamed == service.render(audience).body
    assert None not in kept(service.store, service.shape).values()
    fake = keep_fake(service, "jcec-24")
    assert fake in b"".join(FeedService(service.store, service.config).stream("all"))


def test_a_feed_is_served_when_its_events_cannot_be_kept(
        service: FeedService, any_database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    if not service.store.is_sqlite:
        pytest.skip("a SQLite file held by another writer is the case of a busy database")
    waiting = Store(any_database_url, busy_timeout=0.1)
    holder = sqlite3.connect(str(waiting.url.database), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait
        body = FeedService(waiting, service.config).render("all").body
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiting.dispose()
    assert body == rendered_afresh(service)
    assert "rendered events not kept for the next start" in caplog.text
    assert set(kept(service.store, service.shape).values()) == {None}
