"""The notice ledger: what is planned, claimed, sent, retried, given up or folded.

Planning runs in the transaction of the change that caused it (``Planner`` subscribes to the
register's events), so a moved follow-up and its new notices commit together. Delivery
claims due notices in a short transaction under a lease, sends outside it, and marks a notice
sent only while it still holds the lease; a dead daemon's expired lease is taken over.

PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so several daemons share the work; SQLite
has one writer at a time, and the store starts writing transactions with BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Result,
    Table,
    bindparam,
    case,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from events.bus import FollowUpEvent
from events.model import FollowUp, Kind, Notice, NoticeStatus
from events.planning import Audience, Facts, NoticeKind, Planned, Policy, notice_key, plan

if TYPE_CHECKING:
    from events.bus import EventBus
    from events.register import Register

#: The channel PostgreSQL daemons LISTEN on; a change to the ledger NOTIFYs it.
NOTIFY_CHANNEL = "followup_notices"

_WAITING = (NoticeStatus.PENDING, NoticeStatus.FAILED)

# Updates go to the table, not the mapped class: the ORM would also look for each row among
# the objects it holds, which is a third of the cost of recording a delivery.
_NOTICES = cast(Table, Notice.__table__)
_N = _NOTICES.c

# Recording an outcome happens once per notice: the statements are built once, too.
_HELD = (_N.id == bindparam("b_id"), _N.lease_owner == bindparam("b_owner"),
         _N.status == NoticeStatus.SENDING)
_MARK_SENT = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.SENT, sent_at=bindparam("b_now"), subject=bindparam("b_subject"),
    body_text=bindparam("b_text"), body_html=bindparam("b_html"), late=bindparam("b_late"),
    lease_owner=None, lease_expires=None, last_error=None)
_MARK_RETRY = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.FAILED, next_attempt=bindparam("b_retry"),
    last_error=bindparam("b_error"), lease_owner=None, lease_expires=None)
_MARK_DEAD = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.DEAD, last_error=bindparam("b_error"), lease_owner=None,
    lease_expires=None)


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

    def policy_for(self, facts: Facts) -> Policy:
        kind = self.by_kind.get(facts.kind, {})
        own = self.by_followup.get(facts.id, {})
        if not kind and not own:
            return self.default
        return replace(self.default, **{**kind, **own})

    def audience(self, name: str) -> Audience | None:
        return next((a for a in self.audiences if a.name == name), None)


def facts_of(followup: FollowUp) -> Facts:
    return Facts(
        id=followup.id, kind=followup.kind, status=followup.status, window=followup.window,
        schedule=followup.schedule, tags=tuple(followup.tags),
        created=followup.created_at.date(), revision=followup.revision,
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

    def desired(self, followup: FollowUp) -> list[Planned]:
        facts = facts_of(followup)
        policy = self.settings.policy_for(facts)
        horizon = self.now + self.settings.horizon
        found: list[Planned] = []
        for audience in self.settings.audiences:
            found.extend(plan(facts, policy, audience, start=self.now, horizon=horizon,
                              now=self.now))
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
            .where(Notice.status.in_(_WAITING) | Notice.key.in_(list(wanted)))
        ).all()
        existing = {row.key: row for row in rows}
        stale = [row.id for row in rows
                 if row.status in _WAITING and row.key not in wanted
                 and (changed or row.due >= self.now)]
        for chunk in _chunks(stale):
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
            update(_NOTICES).where(Notice.status.in_(_WAITING), Notice.audience.not_in(names),
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
        """Wake PostgreSQL daemons when this transaction commits (SQLite needs nothing)."""
        if self.dialect == "postgresql":
            self.session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))

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

    # -- delivery ----------------------------------------------------------------------

    def claim(self, owner: str, limit: int, lease: timedelta) -> list[Notice]:
        """Take up to ``limit`` due notices, oldest first, under a lease for ``owner``."""
        ids: list[int] = []
        for status in _WAITING:
            ids += self._due_ids(select(Notice.id).where(
                Notice.status == status, Notice.next_attempt <= self.now)
                .order_by(Notice.next_attempt), limit - len(ids))
        ids += self._due_ids(select(Notice.id).where(
            Notice.status == NoticeStatus.SENDING, Notice.lease_expires < self.now)
            .order_by(Notice.next_attempt), limit - len(ids))
        if not ids:
            return []
        self.session.execute(
            update(_NOTICES).where(Notice.id.in_(ids)).values(
                status=NoticeStatus.SENDING, lease_owner=owner,
                lease_expires=self.now + lease, attempts=Notice.attempts + 1)
        )
        claimed = self.session.scalars(
            select(Notice).where(Notice.id.in_(ids)).order_by(Notice.next_attempt, Notice.id)
            .execution_options(populate_existing=True))
        return list(claimed)

    def _due_ids(self, query: Any, limit: int) -> list[int]:
        if limit <= 0:
            return []
        query = query.limit(limit)
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))

    def mark_sent(self, notice_id: int, owner: str, *, subject: str, text: str,
                  html: str | None, late: bool) -> bool:
        """Record a delivery; False when the lease was lost (another daemon took over)."""
        return record_sent(self.session.connection(), notice_id, owner, now=self.now,
                           subject=subject, text=text, html=html, late=late)

    def mark_failed(self, notice_id: int, owner: str, error: str, *, retry_at: datetime | None,
                    ) -> bool:
        """A failed attempt: retried at ``retry_at``, or dead (None) with the reason kept."""
        return record_failure(self.session.connection(), notice_id, owner, error,
                              retry_at=retry_at)

    def extend(self, owner: str, ids: Iterable[int], lease: timedelta) -> int:
        """Renew the lease on notices still being worked through (a slow channel)."""
        result = self.session.execute(
            update(_NOTICES).where(Notice.id.in_(list(ids)), Notice.lease_owner == owner,
                                 Notice.status == NoticeStatus.SENDING)
            .values(lease_expires=self.now + lease))
        return _rowcount(result)

    def release(self, owner: str, ids: Iterable[int] | None = None) -> int:
        """Give back claimed notices not yet sent, as if they had not been claimed."""
        query = update(_NOTICES).where(Notice.lease_owner == owner,
                                     Notice.status == NoticeStatus.SENDING)
        if ids is not None:
            query = query.where(Notice.id.in_(list(ids)))
        result = self.session.execute(query.values(
            status=case((Notice.attempts > 1, NoticeStatus.FAILED.value),
                        else_=NoticeStatus.PENDING.value),
            attempts=Notice.attempts - 1, lease_owner=None, lease_expires=None))
        return _rowcount(result)

    def next_due(self) -> datetime | None:
        """When something next needs doing: a notice falls due or a lease runs out."""
        candidates = [
            self.session.scalar(select(func.min(Notice.next_attempt))
                                .where(Notice.status == status))
            for status in _WAITING
        ]
        candidates.append(self.session.scalar(
            select(func.min(Notice.lease_expires)).where(Notice.status == NoticeStatus.SENDING)))
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Notice.status, func.count()).group_by(Notice.status))
        return {str(status): count for status, count in rows}

    def listing(self, status: NoticeStatus | None = None, limit: int | None = None
                ) -> list[Notice]:
        query = select(Notice).order_by(Notice.due, Notice.id)
        if status is not None:
            query = query.where(Notice.status == status)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query))

    def by_keys(self, keys: Sequence[str]) -> list[Notice]:
        found: list[Notice] = []
        for chunk in _chunks(list(keys)):
            found += self.session.scalars(select(Notice).where(Notice.key.in_(chunk)))
        return sorted(found, key=lambda n: (n.due, n.id))


def record_sent(connection: Connection, notice_id: int, owner: str, *, now: datetime,
                subject: str, text: str, html: str | None, late: bool) -> bool:
    """Record a delivery; False when the lease was lost (another daemon took over)."""
    result = connection.execute(_MARK_SENT, {
        "b_id": notice_id, "b_owner": owner, "b_now": now, "b_subject": subject,
        "b_text": text, "b_html": html, "b_late": late})
    return bool(result.rowcount)


def record_failure(connection: Connection, notice_id: int, owner: str, error: str, *,
                   retry_at: datetime | None) -> bool:
    """A failed attempt: retried at ``retry_at``, or dead (None) with the reason kept."""
    params = {"b_id": notice_id, "b_owner": owner, "b_error": error}
    if retry_at is None:
        result = connection.execute(_MARK_DEAD, params)
    else:
        result = connection.execute(_MARK_RETRY, {**params, "b_retry": retry_at})
    return bool(result.rowcount)


class Planner:
    """Keeps the ledger in step with the register: subscribe it, and every change re-plans."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(FollowUpEvent, self.on_change)

    def on_change(self, event: FollowUpEvent, register: Register) -> None:
        followup = register.get(event.followup_id)
        Ledger(register.session, self.settings, register.now).replan(followup, changed=True)


T = TypeVar("T")


def _chunks(items: list[T], size: int = 500) -> Iterator[list[T]]:
    """Long lists in pieces: a statement takes only so many parameters (SQLite: 32,766)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or INSERT touched (every result of one is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)
