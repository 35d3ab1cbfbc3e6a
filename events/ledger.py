"""The notice ledger: which notices should exist, planned, folded and enqueued.

Planning runs in the transaction of the change that caused it (``Planner`` subscribes to the
register's events), so a moved follow-up and its new notices commit together. Moving notices
through delivery (claim, renew, record, hand back, retry) is ``events/queue.py``'s work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Result,
    Table,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from events.bus import FollowUpEvent
from events.model import Change, FollowUp, Kind, Notice, NoticeStatus, Status
from events.planning import Audience, Facts, NoticeKind, Planned, Policy, notice_key, plan

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


@dataclass
class Replanned:
    added: int = 0
    superseded: int = 0
    revived: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.superseded or self.revived)


class Ledger:
    """Operations on the notices table inside one transaction of ``session``."""

    def __init__(self, session: Session, settings: PlanSettings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.dialect = session.get_bind().dialect.name

    # -- planning ----------------------------------------------------------------------

    def desired(self, followup: FollowUp, *, start: datetime | None = None) -> list[Planned]:
        """The notices ``followup`` should get from ``start`` (default: now) on."""
        facts = facts_of(followup)
        policy = self.settings.policy_for(facts)
        horizon = self.now + self.settings.horizon
        found: list[Planned] = []
        for audience in self.settings.audiences:
            found.extend(plan(facts, policy, audience, start=start or self.now,
                              horizon=horizon, now=self.now))
        return found

    def replan(self, followup: FollowUp, *, changed: bool) -> Replanned:
        """Make the ledger hold exactly the notices ``followup`` should get from now on.

        Notices still waiting that the plan no longer wants are superseded. When the
        follow-up itself ``changed``, that includes ones already past due (they spoke of
        facts that no longer hold); otherwise those are left for catch-up to send late or
        report as missed. Sent notices are never touched.
        """
        wanted = {p.key: p for p in self.desired(followup)}
        result = Replanned()
        rows = self.session.execute(
            select(Notice.id, Notice.key, Notice.status, Notice.due)
            .where(Notice.followup_id == followup.id)
            # What still waits, and whatever the plan names (sent, or superseded to revive);
            # not the follow-up's whole past.
            .where(Notice.status.in_(WAITING) | Notice.key.in_(list(wanted)))
        ).all()
        existing = {row.key: row for row in rows}
        stale = [row.id for row in rows
                 if row.status in WAITING and row.key not in wanted
                 and (changed or row.due >= self.now)]
        for chunk in chunks(stale):
            self.session.execute(update(_NOTICES).where(_N.id.in_(chunk))
                                 .values(status=NoticeStatus.SUPERSEDED, lease_owner=None))
        result.superseded = len(stale)
        for key, planned in wanted.items():
            row = existing.get(key)
            if row is not None and row.status is NoticeStatus.SUPERSEDED:
                self.session.execute(
                    update(_NOTICES).where(Notice.id == row.id).values(
                        status=NoticeStatus.PENDING, due=planned.due,
                        next_attempt=planned.due, attempts=0, last_error=None))
                result.revived += 1
        new = [wanted[key] for key in wanted if key not in existing]
        result.added = self.insert(new, revision=followup.revision)
        if result.changed:
            self.notify()
        return result

    def replan_all(self) -> Replanned:
        """Re-plan every follow-up: extends the horizon and follows config changes.

        Each follow-up is locked while it is planned, so a change committed by another
        process meanwhile is planned from its new state, not overwritten with the old.
        """
        total = Replanned()
        ids = self.session.scalars(select(FollowUp.id).order_by(FollowUp.id)).all()
        for followup_id in ids:
            query = select(FollowUp).where(FollowUp.id == followup_id)
            if self.dialect == "postgresql":
                query = query.with_for_update(of=FollowUp)
            followup = self.session.scalars(query).unique().one()
            result = self.replan(followup, changed=False)
            total.added += result.added
            total.superseded += result.superseded
            total.revived += result.revived
        names = [a.name for a in self.settings.audiences]
        orphans = self.session.execute(
            update(_NOTICES).where(Notice.status.in_(WAITING), Notice.audience.not_in(names),
                                 Notice.due >= self.now)
            .values(status=NoticeStatus.SUPERSEDED)
        )
        total.superseded += _rowcount(orphans)
        return total

    def insert(self, planned: Sequence[Planned], *, revision: int | None = None,
               payload: Sequence[str] = ()) -> int:
        """Add planned notices; a key that exists already (another daemon) is skipped."""
        if not planned:
            return 0
        rows = [
            {"key": p.key, "followup_id": None if p.followup_id == "*" else p.followup_id,
             "kind": p.kind, "audience": p.audience, "channel": p.channel,
             "detail": p.detail, "due": p.due, "status": NoticeStatus.PENDING,
             "attempts": 0, "next_attempt": p.due, "late": False,
             "planned_revision": revision, "payload": list(payload), "created_at": self.now}
            for p in planned
        ]
        dialect_insert: Any = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        # RETURNING counts the rows that really went in, also for many rows at once.
        table = _NOTICES
        statement = (dialect_insert(table).on_conflict_do_nothing(index_elements=["key"])
                     .returning(table.c.id))
        return len(self.session.execute(statement, rows).all())

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
