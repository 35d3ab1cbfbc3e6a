"""Daemon start to the first due notice, with registers of 1,000 to 100,000 follow-ups.

    python bench/daemon_startup.py [--sizes 1000,10000,100000]

Each register is built directly: its follow-ups written in bulk (month windows spread over
the next three years, a tenth undated, a tenth confirmed) and planned as the daemon would
plan them, with one notice due now. Then ``followup daemon`` is started and timed from the
start of its process to its first notice's line in the log. The peer starts a Python process
that opens the same SQLite file, reads the first due notice and writes its line: the floor
for any program that delivers from this ledger. Target: 2 s or less at 100,000.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Appended, not put first: with PYTHONPATH naming another tree, that tree is measured.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bench.support import FOLLOWUP, init, write_config
from events.ledger import Ledger
from events.model import FollowUp, Kind, Status
from events.planning import NoticeKind, Planned
from events.store import Store
from events.window import Window
from scheduler.config import load_config

PEER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
row = connection.execute(
    "SELECT key, detail FROM notices WHERE status = 'pending' "
    "ORDER BY next_attempt LIMIT 1").fetchone()
with open(sys.argv[2], "a") as log:
    log.write(f"[{row[0]}] {row[1]}\\n")
"""


def followup_rows(count: int, now: datetime) -> list[dict[str, object]]:
    today = now.date()
    rows: list[dict[str, object]] = []
    for index in range(count):
        month = today.replace(day=1) + timedelta(days=31 * (index % 36))
        window = Window.month(month.year, month.month)
        row: dict[str, object] = {
            "id": f"f-{index:06d}", "title": f"Follow-up {index}", "kind": Kind.MEETING,
            "status": Status.EXPECTED, "parties": ["A", "B"], "location": None,
            "earliest": window.earliest, "latest": window.latest,
            "precision": window.precision, "phrase": None, "start_date": None,
            "end_date": None, "start_at": None, "end_at": None, "timezone": None,
            "anchor_id": None, "margin_days": 0, "source_id": None, "paragraph": None,
            "sentence": None, "tags": [], "next_step": None, "revision": 1,
            "created_at": now, "updated_at": now,
        }
        if index % 10 == 1:
            undated = Window.undated()
            row.update(earliest=None, latest=None, precision=undated.precision)
        elif index % 10 == 2:
            day = month + timedelta(days=9)
            row.update(status=Status.SCHEDULED, start_date=day, end_date=day,
                       earliest=day, latest=day, precision=Window.day(day).precision)
        rows.append(row)
    return rows


def build(folder: Path, count: int) -> tuple[Path, Path, float]:
    """A register of ``count`` follow-ups, planned, with one notice due now; and the time
    planning took."""
    url = f"sqlite:///{folder / 'register.db'}"
    config = write_config(folder, url, log=str(folder / "notices.log"))
    config.write_text(config.read_text().replace("seed = true", "seed = false"))
    init(config)
    settings = load_config(config, env={}).plan
    store = Store(url)
    now = datetime.now(UTC)
    rows = followup_rows(count, now)
    with store.transaction(write=True) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(FollowUp), rows[start:start + 5000])
    started = time.perf_counter()
    with store.transaction(write=True) as session:
        Ledger(session, settings, now).replan_all()
    planning = time.perf_counter() - started
    due = now - timedelta(seconds=30)
    with store.transaction(write=True) as session:
        Ledger(session, settings, now).insert([Planned(
            due, "f-000000/chase/first/desk/log", "f-000000", NoticeKind.CHASE, "desk",
            "log", due, "every 14 days")])
    store.dispose()
    return config, folder / "notices.log", planning


def first_line(command: list[str], log: Path, env: dict[str, str]) -> float:
    """Seconds from starting ``command`` to the first line in ``log``."""
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
    try:
        while not (log.exists() and log.read_text().count("\n")):
            if process.poll() is not None and process.returncode:
                raise RuntimeError(f"{command[0]} failed with {process.returncode}")
            time.sleep(0.005)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    print("daemon start to the first due notice, SQLite (s; peer: read the first due "
          "notice and write it, a process of its own)")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="followup-bench-") as name:
            folder = Path(name)
            config, log, planning = build(folder, size)
            env = {**os.environ, "FOLLOWUP_CONFIG": str(config)}
            # The peer first: it only reads, and the daemon sends the notice it looks for.
            peer = first_line([sys.executable, "-c", PEER, str(folder / "register.db"),
                               str(log)], log, env)
            ours = first_line([str(FOLLOWUP), "daemon"], log, env)
            print(f"  {size:>7,} follow-ups   followup {ours:6.2f}   peer {peer:6.2f}   "
                  f"ratio {ours / peer:5.1f}   (planning them all in bulk: {planning:.1f} s)")
    print("  target: 2 s or less at 100,000")


if __name__ == "__main__":
    main()
