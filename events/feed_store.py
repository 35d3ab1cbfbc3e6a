"""What a feed reads and keeps in the database: the register's version, every follow-up's
place and version, and the serialized blocks kept by the ``feed_blocks`` table.

All the SQL of the feed is here. Reads ask only for the columns a feed needs, so a new
process assembles a feed from kept blocks without loading a follow-up; a follow-up whose
block is missing or made for another version or shape is loaded whole, to be rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from events.feed import Placed, Version, feed_place
from events.model import FeedBlock, FollowUp, Kind

__all__ = ["FeedRow", "FeedStore", "register_version", "token_of"]

#: Ids asked for in one statement; well under every database's limit on parameters.
_BATCH = 500

_ANCHOR = aliased(FollowUp)
# Read for every follow-up when a feed starts or has fallen far behind: plain SQL through
# the driver, since building SQLAlchemy's typed rows would cost more than the query.
_VERSIONS = ("SELECT f.id, f.revision, a.revision, f.earliest FROM followups f "
             "LEFT OUTER JOIN followups a ON a.id = f.anchor_id")
# The same for the follow-ups that changed and those tied to them, whose events show their
# anchor's dates and state.
_VERSIONS_OF = text(_VERSIONS + " WHERE f.id IN :ids OR f.anchor_id IN :ids").bindparams(
    bindparam("ids", expanding=True))
_VERSION = text("SELECT version FROM register_version")
_TOKEN = text("SELECT token FROM feed_tokens WHERE audience = :audience")
_LOGGED_FROM = text("SELECT MIN(version) FROM feed_changes")
_CHANGED_AFTER = text("SELECT DISTINCT followup_id FROM feed_changes WHERE version > :seen")


def register_version(connection: Connection) -> int:
    """The register's version, read on a bare connection: every request asks for it, and an
    ORM session would cost more than the read."""
    return int(connection.execute(_VERSION).scalar_one())


def token_of(connection: Connection, audience: str) -> str | None:
    """The secret in an audience's feed address, if it has been given one."""
    return connection.execute(_TOKEN, {"audience": audience}).scalar()


class FeedRow(NamedTuple):
    """What a feed needs of a follow-up whose block is kept: no follow-up is loaded for it.
    A tuple, as a new process makes one for every follow-up."""

    id: str
    version: Version
    kind: Kind
    tags: list[str]
    changed: datetime
    #: The kept block for this version and shape, or None when it must be rendered.
    block: bytes | None


class FeedStore:
    """The feed's reads and writes inside one transaction of ``session``."""

    def __init__(self, session: Session, shape: str) -> None:
        self.session = session
        self.shape = shape

    def version(self) -> int:
        """The register's version: it moves whenever any follow-up is added, changed or
        removed, in the same transaction."""
        return register_version(self.session.connection())

    def versions(self) -> list[Placed]:
        """Every follow-up's id, revision, anchor's revision (None without one) and earliest
        day, in feed order."""
        rows = self.session.connection().exec_driver_sql(_VERSIONS).all()
        return sorted((tuple(row) for row in rows), key=lambda row: feed_place(row[0], row[3]))

    def changed_after(self, seen: int) -> list[str] | None:
        """The ids of the follow-ups added, changed or removed after register version
        ``seen``, or None when the log of changes no longer reaches back that far."""
        logged_from = self.session.execute(_LOGGED_FROM).scalar()
        if logged_from is None or logged_from > seen + 1:
            return None
        return list(self.session.execute(_CHANGED_AFTER, {"seen": seen}).scalars())

    def versions_of(self, ids: Sequence[str]) -> Iterator[Placed]:
        """As :meth:`versions`, in no order, for the follow-ups named by ``ids`` and those
        anchored to them."""
        for start in range(0, len(ids), _BATCH):
            for row in self.session.execute(_VERSIONS_OF, {"ids": ids[start:start + _BATCH]}):
                yield tuple(row)

    def rows(self, ids: Sequence[str] | None = None) -> Iterator[FeedRow]:
        """The follow-ups named by ``ids`` (None: every one), with their kept blocks."""
        kept = and_(FeedBlock.followup_id == FollowUp.id, FeedBlock.shape == self.shape,
                    FeedBlock.revision == FollowUp.revision,
                    FeedBlock.anchor_revision == func.coalesce(_ANCHOR.revision, 0))
        query = (select(FollowUp.id, FollowUp.revision, _ANCHOR.revision, FollowUp.kind,
                        FollowUp.tags, FollowUp.updated_at, FeedBlock.block)
                 .outerjoin(_ANCHOR, FollowUp.anchor_id == _ANCHOR.id)
                 .outerjoin(FeedBlock, kept))
        batches = [None] if ids is None else [ids[i:i + _BATCH]
                                              for i in range(0, len(ids), _BATCH)]
        for batch in batches:
            chosen = query if batch is None else query.where(FollowUp.id.in_(batch))
            for followup_id, revision, anchored, kind, tags, changed, block in (
                    self.session.connection().execute(chosen)):
                yield FeedRow(followup_id, (revision, anchored or 0), kind, tags, changed,
                              block)

    def followups(self, ids: Sequence[str]) -> Iterator[FollowUp]:
        """The follow-ups named by ``ids``, whole, with their anchors and sources."""
        for start in range(0, len(ids), _BATCH):
            yield from self.session.scalars(
                select(FollowUp).where(FollowUp.id.in_(ids[start:start + _BATCH]))).unique()

    def keep(self, blocks: Sequence[tuple[str, Version, bytes]]) -> None:
        """Keep each follow-up's block for its version, in place of any kept before."""
        for start in range(0, len(blocks), _BATCH):
            batch = blocks[start:start + _BATCH]
            self.session.execute(delete(FeedBlock).where(
                FeedBlock.shape == self.shape,
                FeedBlock.followup_id.in_([followup_id for followup_id, _, _ in batch])))
            self.session.execute(insert(FeedBlock), [
                {"followup_id": followup_id, "shape": self.shape, "revision": version[0],
                 "anchor_revision": version[1], "block": block}
                for followup_id, version, block in batch])
