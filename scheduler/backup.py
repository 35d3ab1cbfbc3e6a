"""Backing up and restoring a SQLite register while daemons may be running.

Copying ``followup.db`` with ``cp`` while a daemon writes gives a stale or torn copy: the
latest changes sit in the write-ahead log beside it. SQLite's online backup API copies a
consistent snapshot page by page through a connection instead, so a backup may be taken
at any moment. A restore replaces the register, so it is refused while a daemon is
running on it, and what it replaces is kept beside it first.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

from events.errors import FollowupError
from events.queue import Queue
from events.store import Store
from scheduler.daemon import process_exists, this_host


class BackupError(FollowupError):
    pass


def _sqlite_file(store: Store, doing: str) -> Path:
    if not store.is_sqlite:
        raise BackupError(
            f"the register is on PostgreSQL: {doing} with pg_dump and pg_restore "
            "(see the README's Backups section)")
    return Path(str(store.url.database))


def backup(store: Store, target: Path) -> int:
    """Copy the register into ``target``, a new file; the pages copied."""
    source = _sqlite_file(store, "back it up")
    if not source.exists():
        raise BackupError(f"{source} does not exist yet: there is nothing to back up")
    if target.exists():
        raise BackupError(f"{target} exists already: give a new file name, or remove it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder: create it, or give another path")
    partial = target.with_name(f".{target.name}.partial")
    try:
        with closing(_connect(source)) as live, closing(_connect(partial)) as copy:
            live.backup(copy)
            pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        partial.replace(target)  # whole or not at all
    finally:
        partial.unlink(missing_ok=True)
    return pages


def running_daemons(store: Store, now: datetime, heartbeat_after: timedelta) -> list[str]:
    """The daemons that look alive on ``store``: a recent heartbeat, and on this host a
    process that still exists."""
    host = this_host()
    with store.transaction(write=False) as session:
        return [f"{d.owner} (pid {d.pid})" for d in Queue(session, now).daemons()
                if now - d.heartbeat_at <= heartbeat_after
                and (d.host != host or process_exists(d.pid))]


def restore(store: Store, source: Path, now: datetime, heartbeat_after: timedelta) -> Path:
    """Replace the register with the backup ``source``; the register it replaces is kept
    beside it, and that file's path returned."""
    target = _sqlite_file(store, "restore it")
    if not source.is_file():
        raise BackupError(f"{source}: no such file: give a file 'followup backup' wrote")
    _check_register(source)
    if target.exists():
        alive = running_daemons(store, now, heartbeat_after)
        if alive:
            raise BackupError(f"a daemon is running on {target}: {', '.join(alive)}; stop it "
                              "first, then restore")
    kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
    if target.exists():
        backup(store, kept)
    store.dispose()
    with closing(_connect(source)) as backup_copy, closing(_connect(target)) as live:
        backup_copy.backup(live)
    return kept


def _check_register(path: Path) -> None:
    try:
        with closing(_connect(path)) as connection:
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not a SQLite database: give a file 'followup backup' "
                          "wrote") from None
    if not {"followups", "alembic_version"} <= tables:
        raise BackupError(f"{path} is a SQLite database but not a followup register: give a "
                          "file 'followup backup' wrote")


def _connect(path: Path) -> sqlite3.Connection:
    # Waits for a writer to finish a step rather than failing at once.
    return sqlite3.connect(path, timeout=30)
