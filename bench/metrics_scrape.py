"""What one scrape of /metrics costs with many notices in the ledger.

    python bench/metrics_scrape.py [--notices 10000] [--database sqlite|postgresql]

The ledger gets the seed's notices and ``--notices`` more (half fallen due, half ahead);
the real server (waitress, on a free loopback port) is scraped over HTTP 30 times after a
warm-up. Printed: the median and the slowest scrape, the time of the ledger's part alone
(one read transaction: counts by status and channel, the oldest due notice), and the size
of the answer. PostgreSQL from FOLLOWUP_BENCH_DATABASE_URL or FOLLOWUP_TEST_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.support import init, insert_notices, scratch_database, write_config
from events.queue import Queue
from events.store import Store
from scheduler.config import load_config
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService
from scheduler.metrics import Metrics

SCRAPES = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with scratch_database(args.database) as url, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config_path = write_config(folder, url, extra="\n[metrics]\nenabled = true\n")
        init(config_path)
        now = datetime.now(UTC)
        insert_notices(url, args.notices, now - timedelta(days=30),
                       spread_seconds=86_400 * 60)
        config = load_config(config_path, env={})
        store = Store(url)
        metrics = Metrics(store, lambda: datetime.now(UTC))
        server = FeedServer(FeedService(store, config), "127.0.0.1", 0, metrics)
        server.start()
        try:
            address = f"http://127.0.0.1:{server.port}/metrics"
            body = b""
            for _ in range(3):
                body = urllib.request.urlopen(address, timeout=30).read()
            scrapes = []
            for _ in range(SCRAPES):
                started = time.perf_counter()
                urllib.request.urlopen(address, timeout=30).read()
                scrapes.append(time.perf_counter() - started)
            census = []
            for _ in range(SCRAPES):
                started = time.perf_counter()
                with store.transaction(write=False) as session:
                    counts, _ = Queue(session, datetime.now(UTC)).census()
                census.append(time.perf_counter() - started)
        finally:
            server.stop()
            store.dispose()
    total = sum(counts.values())
    print(f"{args.database}, {total:,} notices in the ledger, {SCRAPES} scrapes over HTTP:")
    print(f"  scrape   median {statistics.median(scrapes) * 1000:6.1f} ms, "
          f"slowest {max(scrapes) * 1000:6.1f} ms, {len(body):,} bytes")
    print(f"  ledger   median {statistics.median(census) * 1000:6.1f} ms "
          "(counts by status and channel, oldest due notice)")


if __name__ == "__main__":
    main()
