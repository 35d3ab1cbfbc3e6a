"""Dispatch throughput to the log channel, in notices per second, beside a plain peer.

    python bench/dispatch_throughput.py [--notices 20000] [--skip-postgresql]

Figures: SQLite with one daemon; PostgreSQL with one and with two daemons (set
FOLLOWUP_BENCH_DATABASE_URL or FOLLOWUP_TEST_DATABASE_URL). Each daemon is a process of its
own with the dispatcher built and the database connected before the clock starts (a daemon
runs for days: its start-up is not part of its rate), and so is each peer.

The peer does the same work with the database driver alone and nothing else: it claims the
due notices under a lease in batches (one statement a batch), writes each one's log line,
and records each outcome with one statement that checks the lease is still its own, in a
transaction of its own (autocommit): one round trip per notice, the floor for "recorded
only while holding the lease". It stores the same subject and body followup stored (read
back from followup's run), so both write the same bytes; it renders nothing.

Targets: 2,000 notices/s or more for one PostgreSQL daemon, and more with two. No design
that records each outcome before the next send (so that a crash sends at most the notice
in flight twice) can pass the peer: where the peer itself is under 2,000, so is the disk's
commit rate.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Barrier
from typing import Any

# Appended, not put first: with PYTHONPATH naming another tree, that tree is measured.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from sqlalchemy import make_url, text

from bench.support import clear_ledger, init, insert_notices, scratch_database, write_config
from events.store import Store
from scheduler.app import App
from scheduler.channels import open_channels
from scheduler.config import load_config
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates


def daemon(config_path: str, owner: str, ready: Barrier, go: Barrier) -> int:
    config = load_config(Path(config_path), env={})
    app = App(config)
    dispatcher = Dispatcher(app.store, config.plan, config.delivery,
                            open_channels(config, {}), Templates(), owner=owner,
                            clock=lambda: datetime.now(UTC))
    dispatcher.next_due()  # connected, as a running daemon is
    ready.wait()
    go.wait()
    handled = dispatcher.run()
    app.store.dispose()
    return handled


# The peer's statements, written for each driver's parameter style below.
_CLAIM = """
UPDATE notices SET status = 'sending', lease_owner = {p}, lease_expires = {p}
WHERE id IN (SELECT id FROM notices WHERE status = 'pending' AND next_attempt <= {p}
             ORDER BY next_attempt LIMIT {batch}{lock})
RETURNING id, key, due, kind, detail"""
_RECORD = """
UPDATE notices SET status = 'sent', sent_at = {p}, subject = {p}, body_text = {p},
       attempts = attempts + 1, attempted_at = {p}, lease_owner = NULL, lease_expires = NULL
WHERE id = {p} AND lease_owner = {p} AND status = 'sending'"""


def peer(url: str, log_path: str, owner: str, batch: int, ready: Barrier, go: Barrier,
         durable: bool, written: tuple[str, str]) -> int:
    """The same ledger work with the driver alone: claim, write, record under the lease."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection: Any = sqlite3.connect(str(parsed.database), isolation_level=None)
        connection.execute("PRAGMA synchronous=NORMAL")  # as followup's own connections
        p, lock = "?", ""
    else:
        import psycopg

        given = parsed.query.get("options")
        # With durable_outcomes = false followup's outcomes commit before they reach the
        # disk, and so do the peer's (its few claims too, which changes nothing measurable).
        options = " ".join([given if isinstance(given, str) else "",
                            "" if durable else "-c synchronous_commit=off"]).strip()
        connection = psycopg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database,
            password=parsed.password, autocommit=True, **({"options": options} if options else {}))
        p, lock = "%s", " FOR UPDATE SKIP LOCKED"
    claim = _CLAIM.format(p=p, batch=batch, lock=lock)
    record = _RECORD.format(p=p)
    subject, body = written
    done = 0
    with Path(log_path).open("a", encoding="utf-8") as log:
        ready.wait()
        go.wait()
        while True:
            now = datetime.now(UTC).replace(tzinfo=None)
            rows = connection.execute(claim, (owner, now + timedelta(minutes=2), now)).fetchall()
            if not rows:
                break
            for notice_id, key, due, _kind, _detail in rows:
                log.write(f"{due} [{key}] {subject}\n")
                log.flush()
                sent_at = datetime.now(UTC).replace(tzinfo=None)
                connection.execute(record, (sent_at, subject, body, sent_at, notice_id,
                                            owner))
                done += 1
    connection.close()
    return done


def measure(kind: str, processes: int, count: int, *, plain: bool, durable: bool = True,
            written: tuple[str, str] = ("", "")) -> tuple[float, tuple[str, str]]:
    """Notices a second, and a subject and body as stored (for the peer to store)."""
    with scratch_database(kind) as url, tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "notices.log"
        config = write_config(Path(folder), url, log=str(log),
                              extra="" if durable else "durable_outcomes = false")
        init(config)
        clear_ledger(url)
        insert_notices(url, count, datetime.now(UTC) - timedelta(seconds=1))
        batch = load_config(config, env={}).delivery.batch
        context = multiprocessing.get_context("spawn")
        with context.Manager() as manager, context.Pool(processes) as pool:
            ready, go = manager.Barrier(processes + 1), manager.Barrier(processes + 1)
            if plain:
                work = pool.starmap_async(peer, [(url, str(log), f"peer-{i}", batch, ready, go,
                                                  durable, written)
                                                 for i in range(processes)])
            else:
                work = pool.starmap_async(daemon, [(str(config), f"bench-{i}", ready, go)
                                                   for i in range(processes)])
            ready.wait()
            started = time.perf_counter()
            go.wait()
            handled = sum(work.get(timeout=900))
            elapsed = time.perf_counter() - started
        lines = log.read_text().count("\n")
        assert handled == count == lines, (handled, count, lines)
        return count / elapsed, stored(url)


def stored(url: str) -> tuple[str, str]:
    store = Store(url)
    try:
        with store.transaction(write=False) as session:
            row = session.execute(text("SELECT subject, body_text FROM notices "
                                       "WHERE status = 'sent' LIMIT 1")).one()
    finally:
        store.dispose()
    return str(row[0]), str(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    cases = [("SQLite", "sqlite", 1, True)]
    if not args.skip_postgresql:
        cases += [("PostgreSQL", "postgresql", 1, True), ("PostgreSQL", "postgresql", 2, True),
                  ("PostgreSQL, in memory", "postgresql", 1, False),
                  ("PostgreSQL, in memory", "postgresql", 2, False)]
    print(f"dispatch to the log channel, {args.notices:,} notices due at once "
          "(notices/s; peer: the driver alone, one round trip per notice; \"in memory\": "
          "[delivery] durable_outcomes = false, and the peer's commits alike)")
    for label, kind, processes, durable in cases:
        ours, written = measure(kind, processes, args.notices, plain=False, durable=durable)
        floor, _ = measure(kind, processes, args.notices, plain=True, durable=durable,
                           written=written)
        who = "one daemon" if processes == 1 else f"{processes} daemons"
        print(f"  {label + ', ' + who:<34} followup {ours:>7,.0f}   peer {floor:>7,.0f}   "
              f"ratio {ours / floor:4.2f}")
    print("  target: 2,000 notices/s or more for one PostgreSQL daemon, more with two")


if __name__ == "__main__":
    main()
