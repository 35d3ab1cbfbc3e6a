"""followup backup and restore on a real SQLite register, with another writer at work."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from events.queue import Queue
from events.store import Store
from tests.system.test_cli import Run, as_json, config_file, ok, refused, run

__all__ = ["config_file", "run"]  # fixtures used by name


def titles(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT id, title FROM followups"))


def test_a_backup_is_consistent_while_another_writer_holds_a_transaction(
        run: Run, tmp_path: Path) -> None:
    ok(run("edit", "temm-21", "--title", "TEMM 21 in Japan"))
    writer = sqlite3.connect(tmp_path / "register.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE followups SET title = 'half-written' WHERE id = 'jcec-24'")
    try:
        out = as_json(run("backup", str(tmp_path / "copy.db"), "--json"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert out["pages"] > 0
    copied = titles(tmp_path / "copy.db")
    assert copied["temm-21"] == "TEMM 21 in Japan", "what was committed, in the WAL too"
    assert copied["jcec-24"] != "half-written", "nothing uncommitted"
    assert not list(tmp_path.glob(".copy.db.partial"))


def test_restore_brings_a_backup_back_and_keeps_what_it_replaced(
        run: Run, tmp_path: Path) -> None:
    ok(run("backup", str(tmp_path / "monday.db")))
    ok(run("edit", "temm-21", "--title", "Changed after Monday"))
    out = as_json(run("restore", str(tmp_path / "monday.db"), "--json"))
    shown = as_json(run("show", "temm-21", "--json"))
    assert shown["title"] != "Changed after Monday"
    assert titles(Path(out["kept"]))["temm-21"] == "Changed after Monday"


def test_restore_is_refused_while_a_daemon_runs(run: Run, tmp_path: Path) -> None:
    from scheduler.daemon import this_host

    ok(run("backup", str(tmp_path / "monday.db")))
    store = Store(f"sqlite:///{tmp_path / 'register.db'}")
    try:
        with store.transaction(write=True) as session:
            Queue(session, datetime.now(UTC)).beat("desk-daemon", host=this_host(),
                                                  pid=os.getpid())
    finally:
        store.dispose()
    refused(run("restore", str(tmp_path / "monday.db")), "a daemon is running on")


def test_bad_backups_and_restores_are_one_line(run: Run, tmp_path: Path) -> None:
    ok(run("list"))
    (tmp_path / "taken.db").write_text("x")
    refused(run("backup", str(tmp_path / "taken.db")), "exists already")
    refused(run("backup", str(tmp_path / "no-folder" / "x.db")), "is not a folder")
    refused(run("restore", str(tmp_path / "missing.db")), "no such file")
    (tmp_path / "notes.txt").write_text("not a database at all, just words " * 40)
    refused(run("restore", str(tmp_path / "notes.txt")), "is not a SQLite database")
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    refused(run("restore", str(empty)), "not a followup register")


def test_a_postgresql_register_is_pointed_to_pg_dump(run: Run, tmp_path: Path,
                                                     postgres_schema_url: str) -> None:
    refused(run("backup", str(tmp_path / "x.db"),
                env={"FOLLOWUP_DATABASE_URL": postgres_schema_url}), "back it up with pg_dump")
