"""Daemon memory with many pending notices, beside one APScheduler job per reminder.

    python bench/daemon_memory.py [--notices 1000000]

The daemon keeps notices in the database and only the next due instant in memory, so its
resident set should not grow with the ledger. The peer holds the same reminders as one
APScheduler 3.11 DateTrigger job each, in memory. Target: 100 MB RSS or less.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import (
    clear_ledger,
    init,
    insert_notices,
    rss_kib,
    scratch_database,
    start_daemon,
    wait_for_text,
    write_config,
)

PEER = """
import sys, time
from datetime import UTC, datetime, timedelta
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

def remind(index):
    print(index)

count = int(sys.argv[1])
scheduler = BackgroundScheduler(timezone=UTC)
scheduler.start()
start = datetime.now(UTC) + timedelta(days=30)
for index in range(count):
    scheduler.add_job(remind, DateTrigger(start + timedelta(seconds=index)), args=[index])
print("ready", flush=True)
time.sleep(3600)
"""


def daemon_rss(count: int) -> tuple[float, float]:
    with scratch_database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), url, log="/dev/null")
        init(config)
        clear_ledger(url)
        started = time.perf_counter()
        insert_notices(url, count, datetime.now(UTC) + timedelta(days=30),
                       spread_seconds=count, followup=None)
        filled = time.perf_counter() - started
        stderr = Path(folder) / "daemon.err"
        daemon = start_daemon(config, stderr)
        try:
            wait_for_text(stderr, "next due", timeout=600)
            time.sleep(3)  # a few watch and poll rounds
            rss = rss_kib(daemon.pid) / 1024
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
        return rss, filled


def peer_rss(count: int) -> tuple[float, float]:
    started = time.perf_counter()
    peer = subprocess.Popen([sys.executable, "-c", PEER, str(count)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert peer.stdout is not None
        while peer.stdout.readline().strip() != "ready":
            pass
        elapsed = time.perf_counter() - started
        return rss_kib(peer.pid) / 1024, elapsed
    finally:
        peer.kill()
        peer.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=1_000_000)
    args = parser.parse_args()
    rss, filled = daemon_rss(args.notices)
    peer, added = peer_rss(args.notices)
    print(f"daemon memory with {args.notices:,} pending notices")
    print(f"  followup daemon (SQLite ledger)                 {rss:>8.1f} MiB RSS "
          f"(ledger filled in {filled:.0f} s)")
    print(f"  peer: APScheduler 3.11, one job per reminder    {peer:>8.1f} MiB RSS "
          f"(jobs added in {added:.0f} s)")
    print("  target: 100 MB RSS or less")


if __name__ == "__main__":
    main()
