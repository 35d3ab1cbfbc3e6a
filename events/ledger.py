"""The notice ledger: which notices should exist, planned, folded and enqueued.

Planning runs in the transaction of the change that caused it (``Planner`` subscribes to the
register's events), so a moved follow-up and its new notices commit together. Moving notices
through delivery (claim, renew, record, hand back, retry) is ``events/queue.py``'s work.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Result,
    Table,
    bindparam,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased

from events.bus import FollowUpEvent
from events.model import Change, FollowUp, Kind, Notice, NoticeStatus, Source, Status
from events.planning import Audience, Facts, NoticeKind, Planned, Policy, notice_key, plan
from events.schedule import Schedule
from events.window import Window

if TYPE_CHECKING:
    from events.bus import EventBus
    from events.register import Register

#: The channel PostgreSQL daemons LISTEN on; a change to the ledger NOTIFYs it.
NOTIFY_CHANNEL = "followup_notices"

#: Notices a daemon will pick up once their next attempt is due.
WAITING = (NoticeStatus.PENDING, NoticeStatus.FAILED)

# Updates go to the table, not the mapped class: the ORM would also look for each row among
# the objects it holds, which is a third of the cost of recording a delivery.
_NOTICES = cast(Table, Notice.__table__)
_N = _NOTICES.c
_FOLLOWUPS = cast(Table, FollowUp.__table__)

#: A superseded notice the plan wants again waits again, due when the plan says.
_REVIVE = update(_NOTICES).where(_N.id == bindparam("b_id")).values(
    status=NoticeStatus.PENDING, due=bindparam("b_due"), next_attempt=bindparam("b_due"),
    attempts=0, last_error=None)

#: A follow-up is planned this long before its horizon runs out, so that the follow-ups
#: planned on one day are extended together, not one round each.
EXTEND_AHEAD = timedelta(days=1)

#: Keys looked up in one statement, and rows added in one (SQLite takes 32,766
#: parameters a statement; PostgreSQL 65,535).
KEY_BATCH = 2000
INSERT_BATCH = 2000


@dataclass(frozen=True)
class PlanSettings:
    """The reminder policy with its overrides, and who is told."""

    audiences: tuple[Audience, ...] = ()
    default: Policy = field(default_factory=Policy)
    #: Overrides name only the fields they change: a follow-up's over its kind's over the
    #: default.
    by_kind: Mapping[Kind, Mapping[str, Any]] = field(default_factory=dict)
    by_followup: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    horizon: timedelta = timedelta(days=400)
    #: Changes this close together go out as one change notice.
    change_quiet: timedelta = timedelta(minutes=5)

    def policy_for(self, facts: Facts) -> Policy:
        kind = self.by_kind.get(facts.kind, {})
        own = self.by_followup.get(facts.id, {})
        if not kind and not own:
            return self.default
        return replace(self.default, **{**kind, **own})

    def audience(self, name: str) -> Audience | None:
        return next((a for a in self.audiences if a.name == name), None)


def facts_of(followup: FollowUp) -> Facts:
    anchor = followup.anchor
    # A cancelled anchor, or one done with no dates, no longer speaks for what rides on it.
    if anchor is not None and (anchor.status is Status.CANCELLED or (
            anchor.status is Status.DONE and anchor.schedule is None)):
        anchor = None
    source = followup.source
    return Facts(
        id=followup.id, kind=followup.kind, status=followup.status, window=followup.window,
        schedule=followup.schedule, tags=tuple(followup.tags),
        # Undated follow-ups are chased from when they were promised, not from when they
        # were typed in, so a rehearsal of the past chases them as the daemon would have.
        created=source.published if source is not None and source.published is not None
        else followup.created_at.date(),
        revision=followup.revision,
        snoozed_until=followup.snoozed_until,
        anchor_id=None if anchor is None else anchor.id,
        anchor_dated=anchor is not None and anchor.schedule is not None,
    )


#: What planning reads of a follow-up: read as plain rows, a register of 100,000 is planned
#: without building an ORM object (and its anchor and source) for each.
_ANCHOR = aliased(FollowUp)
_FACT_COLUMNS = (FollowUp.id, FollowUp.kind, FollowUp.status, FollowUp.earliest,
                 FollowUp.latest, FollowUp.precision, FollowUp.start_date, FollowUp.end_date,
                 FollowUp.start_at, FollowUp.end_at, FollowUp.timezone, FollowUp.tags,
                 FollowUp.created_at, FollowUp.revision, FollowUp.snoozed_until,
                 FollowUp.anchor_id,
                 # What planning needs of the anchor and the source, as subqueries: a join
                 # could not be locked FOR UPDATE with its follow-up on PostgreSQL.
                 select(_ANCHOR.status).where(_ANCHOR.id == FollowUp.anchor_id)
                 .scalar_subquery().label("anchor_status"),
                 select(or_(_ANCHOR.start_date.is_not(None), _ANCHOR.start_at.is_not(None)))
                 .where(_ANCHOR.id == FollowUp.anchor_id).scalar_subquery().label("anchor_dated"),
                 select(Source.published).where(Source.id == FollowUp.source_id)
                 .scalar_subquery().label("published"))


def _facts_of_row(row: Any) -> Facts:
    schedule = None
    if row.start_date is not None and row.end_date is not None:
        schedule = Schedule(row.start_date, row.end_date)
    elif row.start_at is not None and row.end_at is not None and row.timezone:
        schedule = Schedule.timed(row.start_at, row.end_at, row.timezone)
    anchor_id = row.anchor_id
    dated = bool(row.anchor_dated)
    # As facts_of: a cancelled anchor, or one done with no dates, speaks for nothing.
    if anchor_id is not None and (row.anchor_status is Status.CANCELLED or (
            row.anchor_status is Status.DONE and not dated)):
        anchor_id, dated = None, False
    return Facts(id=row.id, kind=row.kind, status=row.status,
                 window=Window(row.earliest, row.latest, row.precision), schedule=schedule,
                 tags=tuple(row.tags),
                 created=row.published or row.created_at.date(), revision=row.revision,
                 snoozed_until=row.snoozed_until, anchor_id=anchor_id, anchor_dated=dated)


def fingerprint(settings: PlanSettings) -> str:
    """A short digest of everything planning reads from the settings: a follow-up planned
    under another one is planned again."""
    def policy(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(values.items())}

    described = {
        "audiences": [
            [a.name, a.timezone, list(a.channels), sorted(a.tags), sorted(map(str, a.kinds)),
             a.send_time.isoformat()] for a in settings.audiences],
        "default": policy(asdict(settings.default)),
        "by_kind": {str(k): policy(v) for k, v in sorted(settings.by_kind.items())},
        "by_followup": {k: policy(v) for k, v in sorted(settings.by_followup.items())},
        "horizon": settings.horizon.total_seconds(),
    }
    text_ = json.dumps(described, sort_keys=True, default=str)
    return hashlib.sha256(text_.encode()).hexdigest()[:16]


@dataclass
class Replanned:
    added: int = 0
    superseded: int = 0
    revived: int = 0
    #: Follow-ups planned.
    followups: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.superseded or self.revived)

    def __iadd__(self, other: Replanned) -> Replanned:
        self.added += other.added
        self.superseded += other.superseded
        self.revived += other.revived
        self.followups += other.followups
        return self


#: Follow-ups planned together: one statement reads them, one reads their waiting notices,
#: one adds what is new.
PLAN_BATCH = 500


class Ledger:
    """Which notices should exist: planning and its bookkeeping, inside one transaction of
    ``session``. Moving notices through delivery is :class:`events.queue.Queue`'s work."""

    def __init__(self, session: Session, settings: PlanSettings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.dialect = session.get_bind().dialect.name
        self.fingerprint = fingerprint(settings)

    # -- planning ----------------------------------------------------------------------

    @property
    def horizon(self) -> datetime:
        """How far ahead a follow-up planned now is planned."""
        return self.now + self.settings.horizon

    def desired(self, followup: FollowUp, *, start: datetime | None = None) -> list[Planned]:
        """The notices ``followup`` should get from ``start`` (default: now) on."""
        return self._desired(facts_of(followup), start or self.now)

    def _desired(self, facts: Facts, start: datetime) -> list[Planned]:
        policy = self.settings.policy_for(facts)
        found: list[Planned] = []
        for audience in self.settings.audiences:
            found.extend(plan(facts, policy, audience, start=start, horizon=self.horizon,
                              now=self.now))
        return found

    def replan(self, followup: FollowUp, *, changed: bool) -> Replanned:
        """Make the ledger hold exactly the notices ``followup`` should get from now on.

        Notices still waiting that the plan no longer wants are superseded. When the
        follow-up itself ``changed``, that includes ones already past due (they spoke of
        facts that no longer hold); otherwise those are left for catch-up to send late or
        report as missed. Sent notices are never touched.
        """
        result = self._replan([facts_of(followup)], changed=changed)
        # The object, not a statement: the session may still hold changes to it.
        followup.planned_until, followup.planned_with = self.horizon, self.fingerprint
        if result.changed:
            self.notify()
        return result

    def replan_all(self) -> Replanned:
        """Re-plan every follow-up: extends every horizon and follows config changes."""
        total = self._replan_where(true())
        total.superseded += self.supersede_orphans()
        if total.changed:
            self.notify()
        return total

    def extend_due(self, *, settings_changed: bool = False) -> Replanned:
        """Plan the follow-ups whose plan has run out (or was never made): those whose
        horizon is within ``EXTEND_AHEAD`` of now, and with ``settings_changed``, those
        planned under other settings (whose audiences' notices are then superseded)."""
        due = or_(FollowUp.planned_until.is_(None),
                  FollowUp.planned_until <= self.now + EXTEND_AHEAD)
        if settings_changed:
            due = or_(due, FollowUp.planned_with.is_(None),
                      FollowUp.planned_with != self.fingerprint)
        total = self._replan_where(due)
        if settings_changed:
            total.superseded += self.supersede_orphans()
        if total.changed:
            self.notify()
        return total

    def next_extension(self) -> datetime | None:
        """When a follow-up's plan next needs extending: now for one never planned."""
        if self.session.scalar(select(FollowUp.id).where(FollowUp.planned_until.is_(None))
                               .limit(1)) is not None:
            return self.now
        until = self.session.scalar(select(func.min(FollowUp.planned_until)))
        return None if until is None else until - EXTEND_AHEAD

    def planned_under_other_settings(self) -> bool:
        """Whether any follow-up was planned under other settings than these (or never)."""
        return self.session.scalar(
            select(FollowUp.id).where(or_(FollowUp.planned_with.is_(None),
                                          FollowUp.planned_with != self.fingerprint))
            .limit(1)) is not None

    def supersede_orphans(self) -> int:
        """Supersede what still waits for an audience no longer configured."""
        names = [a.name for a in self.settings.audiences]
        return _rowcount(self.session.execute(
            update(_NOTICES).where(_N.status.in_(WAITING), _N.audience.not_in(names),
                                   _N.due >= self.now)
            .values(status=NoticeStatus.SUPERSEDED)))

    def _replan_where(self, condition: Any) -> Replanned:
        """Re-plan the follow-ups matching ``condition``, a batch at a time.

        Each batch is locked while it is planned (PostgreSQL), so a change committed by
        another process meanwhile is planned from its new state, not overwritten with the
        old; one another daemon is planning already is skipped (it is that daemon's).
        """
        total = Replanned()
        after = ""
        while True:
            query = (select(*_FACT_COLUMNS).where(condition, FollowUp.id > after)
                     .order_by(FollowUp.id).limit(PLAN_BATCH))
            if self.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            batch = [_facts_of_row(row) for row in self.session.execute(query)]
            if not batch:
                return total
            total += self._replan(batch, changed=False)
            ids = [facts.id for facts in batch]
            self.session.execute(update(_FOLLOWUPS).where(_FOLLOWUPS.c.id.in_(ids)).values(
                planned_until=self.horizon, planned_with=self.fingerprint))
            after = ids[-1]

    def _replan(self, batch: Sequence[Facts], *, changed: bool) -> Replanned:
        """Bring the notices of a batch of follow-ups in line with their plans, in a few
        statements for the whole batch."""
        wanted = {p.key: (p, facts.revision) for facts in batch
                  for p in self._desired(facts, self.now)}
        ids = [facts.id for facts in batch]
        existing: dict[str, Any] = {}
        # What still waits, and whatever the plan names (sent, or superseded to revive);
        # not the follow-ups' whole past.
        waiting: Any = _N.status.in_(WAITING)
        if self.dialect == "sqlite":
            # The status wrapped in a function: on the column itself, SQLite walks every
            # waiting notice in the status index instead of the follow-ups' own.
            waiting = func.coalesce(_N.status, "").in_([s.value for s in WAITING])
        for chunk in chunks(ids):
            for row in self.session.execute(
                    select(_N.id, _N.key, _N.status, _N.due)
                    .where(_N.followup_id.in_(chunk), waiting)):
                existing[row.key] = row
        for chunk in chunks([k for k in wanted if k not in existing], KEY_BATCH):
            for row in self.session.execute(
                    select(_N.id, _N.key, _N.status, _N.due).where(_N.key.in_(chunk))):
                existing[row.key] = row
        result = Replanned(followups=len(batch))
        stale = [row.id for row in existing.values()
                 if row.status in WAITING and row.key not in wanted
                 and (changed or row.due >= self.now)]
        for chunk in chunks(stale):
            self.session.execute(update(_NOTICES).where(_N.id.in_(chunk))
                                 .values(status=NoticeStatus.SUPERSEDED, lease_owner=None))
        result.superseded = len(stale)
        revive = [{"b_id": row.id, "b_due": wanted[key][0].due}
                  for key, row in existing.items()
                  if key in wanted and row.status is NoticeStatus.SUPERSEDED]
        if revive:
            self.session.execute(_REVIVE, revive)
        result.revived = len(revive)
        result.added = self._insert_rows([
            self._row(planned, revision) for key, (planned, revision) in wanted.items()
            if key not in existing])
        return result

    def insert(self, planned: Sequence[Planned], *, revision: int | None = None,
               payload: Sequence[str] = ()) -> int:
        """Add planned notices; a key that exists already (another daemon) is skipped."""
        return self._insert_rows([self._row(p, revision, payload) for p in planned])

    def _row(self, planned: Planned, revision: int | None,
             payload: Sequence[str] = ()) -> dict[str, Any]:
        return {"key": planned.key,
                "followup_id": None if planned.followup_id == "*" else planned.followup_id,
                "kind": planned.kind, "audience": planned.audience, "channel": planned.channel,
                "detail": planned.detail, "due": planned.due, "status": NoticeStatus.PENDING,
                "attempts": 0, "next_attempt": planned.due, "late": False,
                "planned_revision": revision, "payload": list(payload),
                "created_at": self.now}

    def _insert_rows(self, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        # Only the database in use: the PostgreSQL dialect alone costs a fifth of a second
        # to import, which a daemon on SQLite need not pay at start.
        dialect_insert: Any
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        # RETURNING counts the rows that really went in, also for many rows at once.
        statement = (dialect_insert(_NOTICES).on_conflict_do_nothing(index_elements=["key"])
                     .returning(_N.id))
        return sum(len(self.session.execute(statement, chunk).all())
                   for chunk in chunks(rows, INSERT_BATCH))

    def notify(self) -> None:
        notify(self.session)

    # -- change notices ------------------------------------------------------------------

    def plan_changes(self, changes: Sequence[Change]) -> int:
        """One change notice per audience and channel for what ``changes`` did to the
        follow-ups it gets. A change notice still waiting out its quiet period takes these
        in as well, so a burst of changes is one notice. Notes and snoozes are the desk's
        own business and tell no one."""
        told = [c for c in changes if c.field not in QUIET_FIELDS]
        if not told:
            return 0
        self.session.flush()  # the changes' ids
        followups = {f.id: f for f in self.session.scalars(
            select(FollowUp).where(FollowUp.id.in_({c.followup_id for c in told}))).unique()}
        facts = {followup_id: facts_of(f) for followup_id, f in followups.items()}
        added = 0
        for audience in self.settings.audiences:
            ids = [str(c.id) for c in told
                   if c.followup_id in facts and audience.wants(facts[c.followup_id])]
            if not ids:
                continue
            for channel in audience.channels:
                added += self._gather(audience.name, channel, ids)
        self.notify()
        return added

    def _gather(self, audience: str, channel: str, change_ids: list[str]) -> int:
        query = (select(Notice).where(Notice.kind == NoticeKind.CHANGE,
                                      Notice.audience == audience, Notice.channel == channel,
                                      Notice.status == NoticeStatus.PENDING,
                                      Notice.attempts == 0, Notice.due > self.now)
                 .order_by(Notice.due).limit(1))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        waiting = self.session.scalars(query).first()
        if waiting is not None:
            waiting.payload = [*waiting.payload, *change_ids]
            waiting.detail = _changes_detail(len(waiting.payload))
            return 0
        due = self.now + self.settings.change_quiet
        # Keyed by its first change: two bursts can share an instant, never a change.
        key = f"*/{NoticeKind.CHANGE}/c{change_ids[0]}/{audience}/{channel}"
        planned = Planned(due, key, "*", NoticeKind.CHANGE, audience, channel, due,
                          _changes_detail(len(change_ids)))
        return self.insert([planned], payload=change_ids)

    # -- digests and catch-up ------------------------------------------------------------

    def enqueue_digest(self, audience: Audience, fire_time: datetime) -> int:
        planned = [
            Planned(fire_time, notice_key("*", NoticeKind.DIGEST, fire_time, audience.name,
                                          channel), "*", NoticeKind.DIGEST, audience.name,
                    channel, fire_time)
            for channel in audience.channels
        ]
        added = self.insert(planned)
        if added:
            self.notify()
        return added

    def planning_began(self) -> datetime | None:
        """When the first notice was planned: before it, nothing can have been missed."""
        return cast(datetime | None, self.session.scalar(select(func.min(_N.created_at))))

    def digest_since(self, audience: str, instant: datetime) -> bool:
        """Whether ``audience`` has a digest due at or after ``instant``."""
        return self.session.scalar(
            select(_N.id).where(_N.kind == NoticeKind.DIGEST, _N.audience == audience,
                                _N.due >= instant).limit(1)) is not None

    def fold_missed(self, grace: timedelta) -> list[Notice]:
        """Report notices that fell due longer than ``grace`` ago in one notice per audience.

        Only never-tried notices are folded: they fell due while no daemon ran. Each becomes
        "missed" and is named in the new notice, so nothing is dropped silently.
        """
        query = (select(Notice).where(Notice.status == NoticeStatus.PENDING,
                                      Notice.attempts == 0,
                                      Notice.next_attempt < self.now - grace,
                                      Notice.kind != NoticeKind.MISSED)
                 .order_by(Notice.due))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        old = list(self.session.scalars(query))
        groups: dict[tuple[str, str], list[Notice]] = defaultdict(list)
        for notice in old:
            notice.status = NoticeStatus.MISSED
            groups[(notice.audience, notice.channel)].append(notice)
        folded: list[Notice] = []
        for (audience, channel), notices in sorted(groups.items()):
            key = notice_key("*", NoticeKind.MISSED, self.now, audience, channel)
            planned = Planned(self.now, key, "*", NoticeKind.MISSED, audience, channel,
                              self.now, f"{len(notices)} notices")
            self.insert([planned], payload=[n.key for n in notices])
            folded.extend(notices)
        self.session.flush()
        return folded


#: Changes kept in the history that are not news to an audience.
QUIET_FIELDS = frozenset({"note", "snoozed_until"})


def _changes_detail(count: int) -> str:
    return "1 change" if count == 1 else f"{count} changes"


class Planner:
    """Keeps the ledger in step with the register: subscribe it, and every change re-plans
    and, once the command is complete, is told to the audiences it concerns."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(FollowUpEvent, self.on_change)
        bus.on_finish(self.on_finish)

    def on_finish(self, register: Register) -> None:
        Ledger(register.session, self.settings, register.now).plan_changes(register.changes)

    def on_change(self, event: FollowUpEvent, register: Register) -> None:
        followup = register.get(event.followup_id)
        Ledger(register.session, self.settings, register.now).replan(followup, changed=True)


def notify(session: Session) -> None:
    """Wake PostgreSQL daemons when this transaction commits (SQLite needs nothing: they
    watch ``PRAGMA data_version``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


T = TypeVar("T")


def chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """Long lists in pieces: a statement takes only so many parameters (SQLite: 32,766)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or INSERT touched (every result of one is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)
