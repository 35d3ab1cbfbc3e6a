"""Dispatch throughput to the log channel, in notices per second.

    python bench/dispatch_throughput.py [--notices 20000]

Figures: SQLite with one daemon; PostgreSQL with one and with two daemons (set
FOLLOWUP_BENCH_DATABASE_URL or FOLLOWUP_TEST_DATABASE_URL). Beside them, the peer: the
same log lines written by APScheduler 3.11 running one job per reminder. Target: 2,000 per
second or more on SQLite.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import clear_ledger, init, insert_notices, scratch_database, write_config
from scheduler.app import App
from scheduler.channels import open_channels
from scheduler.config import load_config
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates


def dispatch_all(config_path: str, owner: str) -> int:
    config = load_config(Path(config_path), env={})
    app = App(config)
    dispatcher = Dispatcher(app.store, config.plan, config.delivery,
                            open_channels(config, {}), Templates(), owner=owner,
                            clock=lambda: datetime.now(UTC))
    handled = dispatcher.run()
    app.store.dispose()
    return handled


def measure(kind: str, daemons: int, count: int) -> float:
    with scratch_database(kind) as url, tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), url, log="notices.log")
        init(config)
        clear_ledger(url)
        insert_notices(url, count, datetime.now(UTC))
        started = time.perf_counter()
        if daemons == 1:
            handled = dispatch_all(str(config), "bench-1")
        else:
            with multiprocessing.get_context("spawn").Pool(daemons) as pool:
                handled = sum(pool.starmap(dispatch_all, [(str(config), f"bench-{i}")
                                                          for i in range(daemons)]))
        elapsed = time.perf_counter() - started
        lines = (Path(folder) / "notices.log").read_text().count("\n")
        assert handled == count == lines, (handled, count, lines)
        return count / elapsed


def apscheduler_peer(count: int) -> float:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    done = threading.Event()
    written = 0
    with tempfile.NamedTemporaryFile("w") as log:
        def job(index: int) -> None:
            nonlocal written
            log.write(f"reminder {index}\n")
            written += 1
            if written == count:
                done.set()

        scheduler = BackgroundScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for index in range(count):
            scheduler.add_job(job, DateTrigger(now), args=[index], misfire_grace_time=None)
        started = time.perf_counter()
        scheduler.start()
        done.wait(600)
        elapsed = time.perf_counter() - started
        scheduler.shutdown(wait=False)
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=20_000)
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    rows = [("SQLite, one daemon", measure("sqlite", 1, args.notices))]
    if not args.skip_postgresql:
        rows.append(("PostgreSQL, one daemon", measure("postgresql", 1, args.notices)))
        rows.append(("PostgreSQL, two daemons", measure("postgresql", 2, args.notices)))
    rows.append(("peer: APScheduler 3.11, one job per reminder (in memory, no ledger)",
                 apscheduler_peer(args.notices)))
    print(f"dispatch to the log channel, {args.notices:,} notices due at once")
    for label, rate in rows:
        print(f"  {label:<72} {rate:>9,.0f} notices/s")
    print("  target: 2,000 notices/s or more on SQLite")


if __name__ == "__main__":
    main()
