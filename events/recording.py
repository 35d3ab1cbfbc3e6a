"""Recording what became of a delivery attempt: sent, failed (to be retried) or dead.

(What became of a promised meeting, reported in a release, is ``events/outcomes.py``.)

An outcome is one statement that is a transaction of its own, written only while the notice
is still the writer's: a lease another daemon took over is not written. It is the write
followup makes most often (one per notice tried), so it skips what a general write pays
for: the statements are compiled once per database, their values converted by the columns'
own types, and they run on a driver connection taken from the pool once per delivery round
rather than once per notice. On SQLite the single UPDATE, in autocommit, takes the write
lock as BEGIN IMMEDIATE would; on PostgreSQL it is one round trip. Through SQLAlchemy's
execution an outcome cost about twice as much (``bench/dispatch_throughput.py`` shows the
rate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Dialect, Table, bindparam, update
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import Update

from events.model import Notice, NoticeStatus
from events.store import Store

__all__ = ["Recorder"]

_NOTICES = cast(Table, Notice.__table__)
_N = _NOTICES.c

# The notice must still be this owner's, claimed and not yet recorded.
_HELD = (_N.id == bindparam("b_id"), _N.lease_owner == bindparam("b_owner"),
         _N.status == NoticeStatus.SENDING)
_TRIED = {"attempts": _N.attempts + 1, "attempted_at": bindparam("b_now"),
          "lease_owner": None, "lease_expires": None}
_SENT = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.SENT, sent_at=bindparam("b_now"), subject=bindparam("b_subject"),
    body_text=bindparam("b_text"), body_html=bindparam("b_html"), late=bindparam("b_late"),
    last_error=None, **_TRIED)
_RETRY = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.FAILED, next_attempt=bindparam("b_retry"),
    last_error=bindparam("b_error"), **_TRIED)
_DEAD = update(_NOTICES).where(*_HELD).values(
    status=NoticeStatus.DEAD, last_error=bindparam("b_error"), **_TRIED)


class _Compiled:
    """A statement as the driver takes it, and how to turn named values into its
    parameters: each value converted as its column converts it (aware times to naive UTC,
    and to text on SQLite; the status to its stored value)."""

    def __init__(self, statement: Update, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        # The values given on each call; the rest are the statement's constants.
        named = compiled.bind_names  # each parameter by the name the SQL gives it
        given = {name for bind, name in named.items() if bind.required}
        constants = compiled.construct_params(dict.fromkeys(given))
        self.converters: dict[str, Callable[[Any], Any] | None] = {}
        self.fixed: dict[str, Any] = {}
        for bind, name in named.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if name in given:
                self.converters[name] = process
            else:
                value = constants[name]
                self.fixed[name] = value if process is None else process(value)
        self.order = compiled.positiontup if compiled.positional else None

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        named = dict(self.fixed)
        for name, process in self.converters.items():
            value = values[name]
            named[name] = value if process is None else process(value)
        if self.order is None:
            return named
        return tuple(named[name] for name in self.order)


class Recorder:
    """Outcomes recorded through one driver connection, held from the first outcome until
    :meth:`release` (a delivery round's end).

    Every driver error is raised as a StoreError, and the connection is let go of, so the
    next outcome is written on a new one: a server that restarted is reached again.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        dialect = store.engine.dialect
        self._sent = _Compiled(_SENT, dialect)
        self._retry = _Compiled(_RETRY, dialect)
        self._dead = _Compiled(_DEAD, dialect)
        self._connection: PoolProxiedConnection | None = None
        self._cursor: Any = None  # the driver's cursor on it, used for every outcome

    def sent(self, notice_id: int, owner: str, *, now: datetime, subject: str, text: str,
             html: str | None, late: bool) -> bool:
        """Record a delivery; False when the notice is no longer ``owner``'s."""
        return self._run(self._sent, {
            "b_id": notice_id, "b_owner": owner, "b_now": now, "b_subject": subject,
            "b_text": text, "b_html": html, "b_late": late})

    def failed(self, notice_id: int, owner: str, error: str, *, now: datetime,
               retry_at: datetime | None) -> bool:
        """A failed attempt: retried at ``retry_at``, or dead (None) with the reason kept;
        False when the notice is no longer ``owner``'s."""
        values = {"b_id": notice_id, "b_owner": owner, "b_error": error, "b_now": now}
        if retry_at is None:
            return self._run(self._dead, values)
        return self._run(self._retry, {**values, "b_retry": retry_at})

    @contextmanager
    def together(self) -> Iterator[None]:
        """The outcomes recorded inside in one transaction (a rehearsal's batch, which no
        other process waits on): all of them or, on an error, none."""
        self._execute("BEGIN IMMEDIATE" if self.store.is_sqlite else "BEGIN")
        try:
            yield
        except BaseException:
            if self._connection is not None:  # still open: undo what was written
                self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def release(self) -> None:
        """Give the connection back to the pool."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            cursor, self._cursor = self._cursor, None
            cursor.close()
            connection.close()

    def _run(self, statement: _Compiled, values: Mapping[str, Any]) -> bool:
        return bool(self._execute(statement.sql, statement.parameters(values)))

    def _execute(self, sql: str, parameters: tuple[Any, ...] | dict[str, Any] = ()) -> int:
        try:
            if self._connection is None:
                self._connection = self.store.outcome_connection()
                self._cursor = self._connection.cursor()
            self._cursor.execute(sql, parameters)
            return int(self._cursor.rowcount)
        except Exception as error:
            translated = self.store.translated(error)
            if translated is None:
                raise
            if self._connection is not None:
                # Whatever state it is in (a broken socket, half a transaction), it is not
                # used again: the pool opens a new one.
                connection, self._connection, self._cursor = self._connection, None, None
                connection.invalidate()
            raise translated from error
