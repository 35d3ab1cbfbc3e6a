"""Latency from due time to delivery, and from a CLI change to the re-planned delivery.

    python bench/latency.py [--notices 300] [--changes 10]

A real daemon process delivers to the log channel as JSON lines, each stamped when written.
Notices fall due one after another over a few seconds; each delay is written minus due. Then
the CLI moves a follow-up into a window that has passed, which plans an overdue notice due
at once; each delay is written minus the instant the change was recorded. Peer: the
same reminders as APScheduler 3.11 jobs, run minus scheduled. Target: p99 under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from bench.support import (
    FOLLOWUP,
    clear_ledger,
    init,
    insert_notices,
    scratch_database,
    start_daemon,
    wait_for_text,
    write_config,
)
from events.model import Change
from events.store import Store


def percentiles(delays: list[float]) -> str:
    ordered = sorted(delays)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms"


def lines(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def followup_latency(notices: int, changes: int) -> tuple[list[float], list[float]]:
    with scratch_database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "notices.jsonl"
        config = write_config(Path(folder), url, log=str(log), fmt="json")
        init(config)
        clear_ledger(url)
        stderr = Path(folder) / "daemon.err"
        daemon = start_daemon(config, stderr)
        try:
            wait_for_text(stderr, "next due")
            start = datetime.now(UTC) + timedelta(seconds=2)
            insert_notices(url, notices, start, spread_seconds=5)
            deadline = time.monotonic() + 60
            while len(lines(log)) < notices and time.monotonic() < deadline:
                time.sleep(0.1)
            due_delays = [
                (datetime.fromisoformat(line["logged_at"])
                 - datetime.fromisoformat(line["due"])).total_seconds()
                for line in lines(log)]
            change_delays = []
            env = {**os.environ, "FOLLOWUP_CONFIG": str(config)}
            for index in range(changes):
                before = len(lines(log))
                window = f"{2000 + index}-01"
                subprocess.run([FOLLOWUP, "move", "working-level-meetings", "--when", window],
                               check=True, capture_output=True, env=env)
                while len(lines(log)) == before:
                    time.sleep(0.01)
                written = datetime.fromisoformat(lines(log)[-1]["logged_at"])
                store = Store(url)
                with store.transaction(write=False) as session:
                    recorded = session.scalars(select(Change.at).order_by(Change.id.desc())
                                               .limit(1)).one()
                store.dispose()
                change_delays.append((written - recorded).total_seconds())
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        return due_delays, change_delays


def apscheduler_latency(count: int) -> list[float]:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    delays: list[float] = []
    done = threading.Event()

    def remind(due: datetime) -> None:
        delays.append((datetime.now(UTC) - due).total_seconds())
        if len(delays) == count:
            done.set()

    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start()
    start = datetime.now(UTC) + timedelta(seconds=2)
    for index in range(count):
        due = start + timedelta(seconds=5 * index / count)
        scheduler.add_job(remind, DateTrigger(due), args=[due], misfire_grace_time=None)
    done.wait(60)
    scheduler.shutdown()
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=300)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    due, change = followup_latency(args.notices, args.changes)
    peer = apscheduler_latency(args.notices)
    print(f"latency, SQLite, {args.notices} notices due over 5 s, {args.changes} CLI changes")
    print(f"  due -> delivered              {percentiles(due)}")
    print(f"  CLI change -> delivered       {percentiles(change)}")
    print(f"  peer: APScheduler 3.11 job    {percentiles(peer)}")
    print("  target: p99 under 1 s")


if __name__ == "__main__":
    main()
