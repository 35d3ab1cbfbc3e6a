"""What a feed reads and keeps in the database: the register's version, every follow-up's
place and version, and the serialized blocks kept by the ``feed_blocks`` table.

All the SQL of the feed is here. Reads ask only for the columns a feed needs, so a new
process assembles a feed from kept blocks without loading a follow-up; a follow-up whose
block is missing or made for another version or shape is loaded whole, to be rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Dialect, Table, bindparam, delete, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from events.feed import Placed, Version, feed_place
from events.model import FeedBlock, FollowUp, Kind

__all__ = ["FeedRow", "FeedStore", "register_version", "token_of"]

_FOLLOWUPS = cast(Table, FollowUp.__table__)

#: Ids asked for in one statement; well under every database's limit on parameters.
_BATCH = 500

# Read for every follow-up when a feed starts or has fallen far behind: plain SQL through
# the driver, since building SQLAlchemy's typed rows would cost more than the query.
_VERSIONS = ("SELECT f.id, f.revision, a.revision, f.earliest FROM followups f "
             "LEFT OUTER JOIN followups a ON a.id = f.anchor_id")
# The same for the follow-ups that changed and those tied to them, whose events show their
# anchor's dates and state.
_VERSIONS_OF = text(_VERSIONS + " WHERE f.id IN :ids OR f.anchor_id IN :ids").bindparams(
    bindparam("ids", expanding=True))
# Every follow-up with its block when one is kept for its version: read through the driver,
# each column converted once per distinct value (kinds, tag lists and the instants of a bulk
# load repeat), since SQLAlchemy's typed rows cost most of a new process's first feed.
_ROWS_SQL = ("SELECT f.id, f.revision, a.revision, f.kind, f.tags, f.updated_at, b.block "
             "FROM followups f LEFT OUTER JOIN followups a ON a.id = f.anchor_id "
             "LEFT OUTER JOIN feed_blocks b ON b.followup_id = f.id AND b.shape = :shape "
             "AND b.revision = f.revision AND b.anchor_revision = COALESCE(a.revision, 0)")
_ROWS = text(_ROWS_SQL)
_ROWS_OF = text(_ROWS_SQL + " WHERE f.id IN :ids").bindparams(
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
    tags: tuple[str, ...]
    changed: datetime
    #: The kept block for this version and shape, or None when it must be rendered.
    block: bytes | None


class _RowConverter:
    """A feed row's values as the mapped columns give them, converted by the columns' own
    types for this database, each distinct value once."""

    def __init__(self, dialect: Dialect) -> None:
        self._kinds: dict[Any, Kind] = {}
        self._tags: dict[Any, tuple[str, ...]] = {}
        self._instants: dict[Any, datetime] = {}
        self._from_tags = _result_processor(_FOLLOWUPS.c.tags.type, dialect)
        self._from_instant = _result_processor(_FOLLOWUPS.c.updated_at.type, dialect)

    def kind(self, value: str) -> Kind:
        try:
            return self._kinds[value]
        except KeyError:
            made = self._kinds[value] = Kind(value)
            return made

    def tags(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, str):  # already a list: the driver read the JSON
            return tuple(value or ())
        try:
            return self._tags[value]
        except KeyError:
            parsed = self._from_tags(value) if self._from_tags else value
            made = self._tags[value] = tuple(parsed or ())
            return made

    def changed(self, value: Any) -> datetime:
        try:
            return self._instants[value]
        except KeyError:
            made: datetime = self._from_instant(value) if self._from_instant else value
            self._instants[value] = made
            return made


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    return type_.dialect_impl(dialect).result_processor(dialect, None)


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
        connection = self.session.connection()
        convert = _RowConverter(connection.dialect)
        batches: Iterable[Any]  # a result for each batch of ids
        if ids is None:
            batches = [connection.execute(_ROWS, {"shape": self.shape})]
        else:
            batches = (connection.execute(_ROWS_OF, {"shape": self.shape,
                                                     "ids": ids[start:start + _BATCH]})
                       for start in range(0, len(ids), _BATCH))
        for result in batches:
            for followup_id, revision, anchored, kind, tags, changed, block in result.all():
                yield FeedRow(followup_id, (revision, anchored or 0), convert.kind(kind),
                              convert.tags(tags), convert.changed(changed), block)

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
