"""The notices table as a work queue: claim under a lease, renew, record, hand back, retry.

The ledger (``events/ledger.py``) decides which notices should exist; this module moves them
through delivery. A daemon claims due notices in a short transaction under a lease, sends
outside it, and records each outcome only while it still owns the notice. Attempts are
counted when an outcome is recorded, not when a notice is claimed, so a notice taken over
from a daemon that died before trying it has lost nothing.

Daemons heartbeat into the ``daemons`` table. One whose heartbeat stopped, or whose process
is gone from this host, has its claims handed back at once rather than when its leases run
out. PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so several daemons share the work;
SQLite has one writer at a time (writing transactions start with BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Result,
    Table,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

from events.ledger import WAITING, chunks, notify
from events.model import Daemon, Notice, NoticeStatus
from events.planning import NoticeKind

__all__ = ["Queue"]

# Updates go to the table, not the mapped class: the ORM would also look for each row among
# the objects it holds, which is a third of the cost of recording a delivery.
_NOTICES = cast(Table, Notice.__table__)
_N = _NOTICES.c

# Handing a notice back undoes the claim: it waits as it did before (failed if it had been
# tried, pending if not), with no attempt counted.
_UNCLAIMED = {
    "status": case((_N.attempts > 0, NoticeStatus.FAILED.value),
                   else_=NoticeStatus.PENDING.value),
    "lease_owner": None, "lease_expires": None,
}


#: Where digests' keys start and end in the order of keys ("0" follows "/").
_DIGEST_KEYS = f"*/{NoticeKind.DIGEST}/"
_DIGEST_KEYS_END = f"*/{NoticeKind.DIGEST}0"


class Queue:
    """Delivery operations on the notices table inside one transaction of ``session``."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.dialect = session.get_bind().dialect.name

    # -- claiming ------------------------------------------------------------------------

    def claim(self, owner: str, limit: int, lease: timedelta, *,
              skip_channels: Collection[str] = ()) -> list[Notice]:
        """Take up to ``limit`` due notices, oldest first, under a lease for ``owner``.

        Notices of ``skip_channels`` (paused after a connection or login failure) stay
        where they are, for another daemon or for later.
        """
        ids: list[int] = []
        for status in WAITING:
            ids += self._due_ids(select(Notice.id).where(
                Notice.status == status, Notice.next_attempt <= self.now)
                .order_by(Notice.next_attempt), limit - len(ids), skip_channels)
        ids += self._due_ids(select(Notice.id).where(
            Notice.status == NoticeStatus.SENDING, Notice.lease_expires < self.now)
            .order_by(Notice.next_attempt), limit - len(ids), skip_channels)
        if not ids:
            return []
        self.session.execute(
            update(_NOTICES).where(_N.id.in_(ids)).values(
                status=NoticeStatus.SENDING, lease_owner=owner,
                lease_expires=self.now + lease))
        claimed = self.session.scalars(
            select(Notice).where(Notice.id.in_(ids)).order_by(Notice.next_attempt, Notice.id)
            .execution_options(populate_existing=True))
        return list(claimed)

    def _due_ids(self, query: Any, limit: int, skip_channels: Collection[str]) -> list[int]:
        if limit <= 0:
            return []
        if skip_channels:
            query = query.where(Notice.channel.not_in(list(skip_channels)))
        query = query.limit(limit)
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))

    def renew(self, owner: str, ids: Iterable[int], lease: timedelta) -> set[int]:
        """Extend the lease on ``ids``; the ones still this owner's (the rest were taken)."""
        kept: set[int] = set()
        for chunk in chunks(list(ids)):
            kept.update(self.session.scalars(
                update(_NOTICES).where(_N.id.in_(chunk), _N.lease_owner == owner,
                                       _N.status == NoticeStatus.SENDING)
                .values(lease_expires=self.now + lease).returning(_N.id)))
        return kept

    def release(self, owner: str | Collection[str], ids: Iterable[int] | None = None, *,
                error: str | None = None, keep: Collection[int] = ()) -> int:
        """Give back claimed notices not yet tried, as if they had not been claimed.

        ``error`` says why they wait (a channel that cannot be reached), for listings;
        ``keep`` are claims to hold on to (sent, with the outcome not yet recorded).
        """
        owners = [owner] if isinstance(owner, str) else list(owner)
        values: dict[str, Any] = dict(_UNCLAIMED)
        if error is not None:
            values["last_error"] = error
        base = update(_NOTICES).where(_N.lease_owner.in_(owners),
                                      _N.status == NoticeStatus.SENDING).values(**values)
        if keep:
            base = base.where(_N.id.not_in(list(keep)))
        if ids is None:
            return _rowcount(self.session.execute(base))
        return sum(_rowcount(self.session.execute(base.where(_N.id.in_(chunk))))
                   for chunk in chunks(list(ids)))

    def count_due(self) -> int:
        """Notices waiting for their first try whose time has come."""
        return int(self.session.scalar(select(func.count()).select_from(_NOTICES).where(
            _N.status == NoticeStatus.PENDING, _N.next_attempt <= self.now)) or 0)

    def next_due(self, *, skip_channels: Collection[str] = ()) -> datetime | None:
        """When something next needs doing: a notice falls due or a lease runs out."""
        def earliest(column: Any, *where: Any) -> datetime | None:
            query = select(func.min(column)).where(*where)
            if skip_channels:
                query = query.where(Notice.channel.not_in(list(skip_channels)))
            return cast(datetime | None, self.session.scalar(query))

        candidates = [earliest(Notice.next_attempt, Notice.status == status)
                      for status in WAITING]
        candidates.append(earliest(Notice.lease_expires, Notice.status == NoticeStatus.SENDING))
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    # -- daemons -------------------------------------------------------------------------

    def beat(self, owner: str, *, host: str, pid: int) -> None:
        """Say that ``owner`` is alive now (and register it on its first beat)."""
        beat = update(Daemon).where(Daemon.owner == owner).values(heartbeat_at=self.now)
        if not _rowcount(self.session.execute(beat)):
            self.session.add(Daemon(owner=owner, host=host, pid=pid, started_at=self.now,
                                    heartbeat_at=self.now))
            self.session.flush()

    def leave(self, owner: str) -> None:
        self.session.execute(delete(Daemon).where(Daemon.owner == owner))

    def hand_back_dead(self, me: str, *, host: str, dead_after: timedelta,
                       alive: Callable[[int], bool]) -> dict[str, int]:
        """Give back the claims of daemons that are gone: each one's owner and count.

        A daemon is gone when its heartbeat is older than ``dead_after``, or when it ran on
        this host (and process namespace) and ``alive`` says its process no longer exists,
        as after ``kill -9``; its claims wait for the next claim instead of a whole lease.
        """
        daemons = self.session.scalars(select(Daemon).where(Daemon.owner != me)).all()
        gone = [d.owner for d in daemons
                if self.now - d.heartbeat_at > dead_after
                or (d.host == host and not alive(d.pid))]
        if not gone:
            return {}
        counts = dict(self.session.execute(
            select(Notice.lease_owner, func.count()).where(
                Notice.lease_owner.in_(gone), Notice.status == NoticeStatus.SENDING)
            .group_by(Notice.lease_owner)).all())
        self.release(gone)
        self.session.execute(delete(Daemon).where(Daemon.owner.in_(gone)))
        return {owner: int(counts.get(owner, 0)) for owner in gone}

    def daemons(self) -> list[Daemon]:
        return list(self.session.scalars(select(Daemon).order_by(Daemon.started_at)))

    # -- retrying ------------------------------------------------------------------------

    def retryable(self, statuses: Collection[NoticeStatus], *, since: datetime | None = None,
                  keys: Sequence[str] = ()) -> list[Notice]:
        """Notices in ``statuses`` (last tried since ``since``, or with one of ``keys``)."""
        query = select(Notice).where(Notice.status.in_(list(statuses)))
        if since is not None:
            query = query.where(func.coalesce(Notice.attempted_at, Notice.due) >= since)
        if keys:
            query = query.where(Notice.key.in_(list(keys)))
        return list(self.session.scalars(query.order_by(Notice.due, Notice.id)))

    def revive(self, ids: Iterable[int]) -> int:
        """Make notices pending again, due now, with a fresh budget of attempts."""
        revived = sum(_rowcount(self.session.execute(
            update(_NOTICES).where(_N.id.in_(chunk)).values(
                status=NoticeStatus.PENDING, next_attempt=self.now, attempts=0,
                last_error=None, lease_owner=None, lease_expires=None)))
            for chunk in chunks(list(ids)))
        if revived:
            notify(self.session)
        return revived

    def supersede(self, ids: Iterable[int]) -> int:
        return sum(_rowcount(self.session.execute(
            update(_NOTICES).where(_N.id.in_(chunk)).values(
                status=NoticeStatus.SUPERSEDED, lease_owner=None, lease_expires=None)))
            for chunk in chunks(list(ids)))

    # -- reading -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Notice.status, func.count()).group_by(Notice.status))
        return {str(status): count for status, count in rows}

    def census(self) -> tuple[dict[tuple[str, str], int], datetime | None]:
        """What a metrics scrape reads: the notices per (status, channel), and when the
        oldest notice that has fallen due and is not yet sent (waiting, retrying or being
        sent) was due; None when there is none.

        A pending notice is due at its next attempt (``followup retry`` makes that now), so
        the oldest is one step into the (status, next_attempt) index rather than a look at
        every pending notice, most of them planned months ahead; the ones being retried or
        sent are few, and their own due time is read.
        """
        counts = {(str(status), channel): int(count) for status, channel, count in
                  self.session.execute(select(_N.status, _N.channel, func.count())
                                       .group_by(_N.status, _N.channel))}
        pending = self.session.scalar(select(func.min(_N.next_attempt)).where(
            _N.status == NoticeStatus.PENDING, _N.next_attempt <= self.now))
        tried = self.session.scalar(select(func.min(_N.due)).where(
            _N.status.in_([NoticeStatus.FAILED, NoticeStatus.SENDING]), _N.due <= self.now))
        return counts, min((t for t in (pending, tried) if t is not None), default=None)

    def listing(self, status: NoticeStatus | None = None, limit: int | None = None
                ) -> list[Notice]:
        query = select(Notice).order_by(Notice.due, Notice.id)
        if status is not None:
            query = query.where(Notice.status == status)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query))

    def of_followup(self, followup_id: str, audience: str | None = None) -> list[Notice]:
        """The notices planned and sent about one follow-up (to one audience), by due time;
        those the plan replaced before they went are left out."""
        query = (select(Notice).where(Notice.followup_id == followup_id,
                                      Notice.status != NoticeStatus.SUPERSEDED)
                 .order_by(Notice.due, Notice.id))
        if audience is not None:
            query = query.where(Notice.audience == audience)
        return list(self.session.scalars(query))

    def previous_digest(self, audience: str, channel: str, before: datetime) -> datetime | None:
        """When the last digest sent to ``audience`` by ``channel`` before ``before`` fell
        due: what a digest calls new is what changed since."""
        query = select(func.max(Notice.due)).where(
            Notice.kind == NoticeKind.DIGEST, Notice.audience == audience,
            Notice.channel == channel, Notice.status == NoticeStatus.SENT,
            Notice.due < before)
        if self.dialect == "sqlite":
            # Digests' keys all start "*/digest/" (notice_key of "*"): the range keeps
            # SQLite's look to them in the key's index, where the status would walk every
            # notice ever sent. (SQLite compares text byte by byte; under a PostgreSQL
            # collation that ignores punctuation the range could leave digests out.)
            query = query.where(Notice.key >= _DIGEST_KEYS, Notice.key < _DIGEST_KEYS_END)
        return self.session.scalar(query)

    def by_keys(self, keys: Sequence[str]) -> list[Notice]:
        found: list[Notice] = []
        for chunk in chunks(list(keys)):
            found += self.session.scalars(select(Notice).where(Notice.key.in_(chunk)))
        return sorted(found, key=lambda n: (n.due, n.id))

    def next_waiting(self) -> Notice | None:
        # One look per status: each is a step into the (status, next_attempt) index, where
        # both at once would sort every waiting notice.
        found = [self.session.scalars(
            select(Notice).where(Notice.status == status)
            .order_by(Notice.next_attempt).limit(1)).first() for status in WAITING]
        return min((n for n in found if n is not None), key=lambda n: n.next_attempt,
                   default=None)


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or INSERT touched (every result of one is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)
