"""Where the register lives: a SQLite file by default, PostgreSQL for several daemons.

The schema is made and moved forward only by the Alembic migrations beside this module,
when a database is opened that is older than the code. Database failures a user can do
something about (a locked file, a file that is not SQLite, a server that is down) become a
:class:`StoreError` that says what to do.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    make_url,
    text,
)
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from events.cache import cache_file
from events.errors import StoreError, first_line

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"
SUPPORTED = "use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE"

#: The newest migration. A database already at it is opened without Alembic, whose import and
#: reading of the migration scripts would be most of a second of every command and daemon
#: start; tests/system/test_store.py checks that this is the scripts' head.
HEAD = "0011_editor_tokens"

#: The page cache of a bulk load on SQLite, in KiB: the pages 100,000 follow-ups and their
#: notices touch.
BULK_CACHE_KIB = 256 * 1024

# Any constant would do; it only has to be the same in every process migrating the database.
_MIGRATION_LOCK = 0x666F6C6C


def database_url(url: str, base_dir: Path | None = None) -> URL:
    """The URL to connect with, or a StoreError for one followup cannot use.

    A relative SQLite path is taken relative to ``base_dir`` (the config file's folder), so
    the database does not move when the daemon is started from another directory.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"{url!r} is not a database URL: {SUPPORTED}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite" and driver == "pysqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise StoreError(
                f"{url!r} names no database file: {SUPPORTED} (an in-memory database "
                "would lose everything when the command ends)"
            )
        if base_dir is not None and not Path(path).is_absolute():
            parsed = parsed.set(database=str(base_dir / path))
        return parsed
    if backend == "postgresql" and driver in ("psycopg", "psycopg2"):
        # psycopg 3 is what followup ships with; postgresql:// alone would mean psycopg2.
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreError(f"unsupported database URL {parsed.render_as_string()!r}: {SUPPORTED}")


@dataclass(frozen=True)
class Preparation:
    """What opening the database had to do."""

    created: bool
    upgraded_from: str | None
    revision: str


class Store:
    def __init__(self, url: str, *, base_dir: Path | None = None, busy_timeout: float = 5.0,
                 durable: bool = True, durable_outcomes: bool = True):
        self.url = database_url(url, base_dir)
        self.busy_timeout = busy_timeout
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self._check_sqlite_path()
            self.engine = create_engine(
                self.url, connect_args={"timeout": busy_timeout, "check_same_thread": False}
            )
            _configure_sqlite(self.engine, durable=durable)
        else:
            # Named, so that pg_stat_activity tells followup's connections from others.
            self.engine = create_engine(self.url, pool_pre_ping=True,
                                        connect_args={"application_name": "followup"})
            # One statement, one round trip: no ping when a connection is taken from the
            # pool (a dropped one fails its statement, which is retried on a new one), no
            # BEGIN or COMMIT around it, no ROLLBACK when it goes back.
            # Outcomes may be let commit before they reach the disk ([delivery]
            # durable_outcomes = false): a crash of the server, not of a daemon, then loses
            # the last of them, and those notices are sent again.
            single_args = {"application_name": "followup"}
            if not durable_outcomes:
                given = self.url.query.get("options", "")  # kept: these replace the URL's
                single_args["options"] = " ".join(
                    [*([given] if isinstance(given, str) else given),
                     "-c synchronous_commit=off"]).strip()
            self._single = create_engine(self.url, isolation_level="AUTOCOMMIT",
                                         pool_reset_on_return=None, pool_size=2,
                                         connect_args=single_args)
        self._reader = self.engine
        self._writer = self.engine.execution_options(followup_write=True)
        self._sessions = sessionmaker(expire_on_commit=False)

    def describe(self) -> str:
        if self.is_sqlite:
            return f"SQLite file {self.url.database}"
        return f"PostgreSQL {self.url.render_as_string(hide_password=True)}"

    def dispose(self) -> None:
        self.engine.dispose()
        if not self.is_sqlite:
            self._single.dispose()

    @contextmanager
    def transaction(self, *, write: bool, bulk: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite a writing transaction starts with BEGIN IMMEDIATE, so it waits for the
        write lock up front instead of failing half-way when it first writes. A ``bulk``
        one (an import) gets a page cache that holds what it writes: with the default one,
        the pages of the notices' indexes go to the log over and over as they are
        spilled and changed again before the commit.
        """
        with self._translated_errors():
            session = self._sessions(bind=self._writer if write else self._reader)
            try:
                with session.begin():
                    if not (bulk and self.is_sqlite):
                        yield session
                        return
                    session.execute(text(f"PRAGMA cache_size=-{BULK_CACHE_KIB}"))
                    try:
                        yield session
                    finally:  # the connection goes back to the pool as it came
                        with suppress(DBAPIError, sqlite3.Error):
                            session.execute(text("PRAGMA cache_size=-2000"))  # the default
            finally:
                session.close()

    @contextmanager
    def connection(self, *, write: bool) -> Iterator[Connection]:
        """A bare connection in one transaction, for hot paths that need no ORM session."""
        with self._translated_errors(), (self._writer if write else self._reader).begin() as c:
            yield c

    def outcome_connection(self) -> PoolProxiedConnection:
        """A driver connection on which each statement is a transaction of its own, for
        recording delivery outcomes (``events/recording.py``); ``close()`` gives it back.

        On PostgreSQL it is the connection that may commit before the disk has the outcome
        ([delivery] durable_outcomes = false), and takes no ping from the pool: a dropped
        one fails its statement, which is retried on a new one.
        """
        engine = self.engine if self.is_sqlite else self._single
        try:
            return engine.raw_connection()
        except (DBAPIError, sqlite3.Error) as error:
            raise self.translated(error) or StoreError(
                f"cannot use {self.describe()}: {error}") from error

    # -- schema ------------------------------------------------------------------------

    def prepare(self) -> Preparation:
        """Create the schema or move it forward to this version of followup."""
        with self._translated_errors(), self.engine.connect() as connection:
            if _stamped(connection) == HEAD:
                return Preparation(created=False, upgraded_from=None, revision=HEAD)
        from alembic import command
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(_alembic_config())
        head = script.get_current_head()
        assert head is not None
        with self._translated_errors(), self.engine.connect() as connection:
            current = self._current_revision(connection, script)
        if current == head:
            return Preparation(created=False, upgraded_from=None, revision=head)
        with self.transaction(write=True) as session:
            connection = session.connection()
            if not self.is_sqlite:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            current = self._current_revision(connection, script)  # another process may have
            if current != head:
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        return Preparation(created=current is None, upgraded_from=current, revision=head)

    def _current_revision(self, connection: Connection, script: ScriptDirectory) -> str | None:
        from alembic.runtime.migration import MigrationContext

        current = MigrationContext.configure(connection).get_current_revision()
        if current is None:
            if inspect(connection).get_table_names():
                raise StoreError(
                    f"{self.describe()} holds tables that are not followup's: point "
                    "database.url at a new file or an empty database"
                )
            return None
        if current not in {rev.revision for rev in script.walk_revisions()}:
            raise StoreError(
                f"{self.describe()} was written by a newer followup (schema {current}): "
                "upgrade followup to use it"
            )
        return current

    # -- errors ------------------------------------------------------------------------

    def _check_sqlite_path(self) -> None:
        path = Path(str(self.url.database))
        if path.is_dir():
            raise StoreError(
                f"{path} is a folder, not a database file: point database.url at a file inside it"
            )
        if not path.parent.is_dir():
            raise StoreError(
                f"the folder {path.parent} does not exist: create it, or point "
                "database.url somewhere else"
            )

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except (DBAPIError, sqlite3.Error) as error:
            explained = self._explain(error)
            if explained is None:
                raise
            raise explained from error

    def translated(self, error: BaseException) -> StoreError | None:
        """The StoreError a database error is to the user (None when it is no database
        error): explained where the cause is known, in the driver's words otherwise."""
        original: Any = getattr(error, "orig", error)
        if not isinstance(original, sqlite3.Error) and not type(original).__module__.startswith(
                "psycopg"):
            return None
        return self._explain(error) or StoreError(
            f"cannot use {self.describe()}: {first_line(original)}")

    def _explain(self, error: BaseException) -> StoreError | None:
        original: Any = getattr(error, "orig", error)
        message = str(original).strip().splitlines()[0] if str(original).strip() else ""
        where = self.describe()
        if self.is_sqlite:
            if "file is not a database" in message:
                return StoreError(
                    f"{self.url.database} is not a SQLite database: point "
                    "database.url at a followup database or at a new file"
                )
            if "database is locked" in message:
                return StoreError(
                    f"{self.url.database} is locked by another process (waited "
                    f"{self.busy_timeout:g} s): try again when it has finished"
                )
            if "unable to open database file" in message or "readonly" in message:
                return StoreError(
                    f"cannot open {self.url.database} for reading and writing: "
                    "check the file's and its folder's permissions"
                )
            return None
        if type(original).__module__.startswith("psycopg") and type(original).__name__ in (
            "OperationalError",
            "InterfaceError",
        ):
            return StoreError(
                f"cannot use {where}: {message}; check that the server is "
                "running and that database.url is right"
            )
        return None


def new_sqlite_register(path: Path) -> None:
    """Make ``path`` (a file that does not exist yet) a new, empty SQLite register at HEAD.

    It is a copy of one kept in the cache folder, which the migrations make once for each
    version of them: running them imports Alembic and builds every table and trigger again,
    most of a second of each rehearsal, which starts from a scratch register. Without a
    cache folder, or when it cannot be written, the file is made here by the migrations.
    """
    kept = _empty_register_file()
    if kept is not None and kept.is_file():
        shutil.copyfile(kept, path)
        return
    made = Store(f"sqlite:///{path}")
    try:
        made.prepare()
    finally:
        made.dispose()
    if kept is not None:
        # A read-only home: made by the migrations next time too.
        with suppress(OSError, sqlite3.Error):
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_suffix(f".{os.getpid()}.part")
            partial.unlink(missing_ok=True)
            source = sqlite3.connect(path)
            try:  # a whole copy, whatever the write-ahead log still holds
                source.execute("VACUUM INTO ?", (str(partial),))
            finally:
                source.close()
            partial.replace(kept)  # whole or not at all, whoever else makes it meanwhile


def _empty_register_file() -> Path | None:
    parts = [f"{HEAD} {sqlite3.sqlite_version}".encode()]
    for script in sorted((MIGRATIONS / "versions").glob("*.py")):
        parts += [script.name.encode() + b"\0", script.read_bytes()]
    return cache_file("registers", b"".join(parts), prefix="empty", suffix=".db")


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add ``rows`` (all with the same keys) to ``table`` in one executemany of the driver.

    Each value goes through its column's type as SQLAlchemy would convert it (aware times
    to naive UTC, lists to JSON, ...), but the statement is compiled once and the rows
    are not turned into SQLAlchemy parameters one by one, which costs ten times what the
    driver does: the way to add 100,000 follow-ups and their notices in seconds.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    # Column by column: a value is converted once however many rows share it (the rows of
    # an import share most of their instants, planned at the same send times, and lists).
    # The rows are taken apart by C code (itemgetter, zip), not a loop per value.
    taken = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    columns = {name: _converted(values,
                                table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
               for name, values in zip(names, zip(*map(taken, rows), strict=True),
                                       strict=True)}
    if compiled.positional:
        parameters: list[Any] = list(zip(*(columns[key] for key in compiled.positiontup or ()),
                                         strict=True))
    else:
        parameters = [dict(zip(names, values, strict=True))
                      for values in zip(*(columns[name] for name in names), strict=True)]
    connection.exec_driver_sql(compiled.string, parameters)


def _converted(values: Sequence[Any], process: Callable[[Any], Any] | None) -> Sequence[Any]:
    if process is None:
        return values
    try:  # a cache in C: most columns hold a few values many times over
        return list(map(lru_cache(maxsize=None, typed=True)(process), values))
    except TypeError:  # a list (a JSON column) cannot be a key: keyed by its items instead
        pass
    done: dict[Any, Any] = {}
    converted = []
    for value in values:
        key = ("list", *value) if isinstance(value, list) else value
        try:
            converted.append(done[key])
        except KeyError:
            done[key] = process(value)
            converted.append(done[key])
        except TypeError:  # not hashable: converted every time
            converted.append(process(value))
    return converted


def _stamped(connection: Connection) -> str | None:
    """The migration a database was last moved to, read without Alembic; None when it has
    no such record (a new database, or not followup's)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _configure_sqlite(engine: Engine, *, durable: bool = True) -> None:
    # Take transaction control away from the sqlite3 module, which would otherwise start
    # transactions late and never for SELECT; SQLAlchemy's "begin" then emits BEGIN itself.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            # A scratch file (a rehearsal's) is thrown away if the machine stops: it need
            # not wait for the disk.
            cursor.execute("PRAGMA synchronous=NORMAL" if durable else "PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("followup_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
