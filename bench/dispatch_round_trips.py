"""PostgreSQL round trips per notice delivered, counted by libpq's own trace.

    python bench/dispatch_round_trips.py [--notices 500]

A dispatcher delivers due notices to the log channel on a fresh PostgreSQL schema (set
FOLLOWUP_BENCH_DATABASE_URL or FOLLOWUP_TEST_DATABASE_URL); every connection its store opens
is traced, and each message that asks the server for an answer (a Sync, or a simple Query)
is a round trip. Beside it, the floor: one round trip per notice for its outcome, claims
aside. Nothing is timed, so the figure does not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event

from bench.support import init, insert_notices, scratch_database, write_config
from events.store import Store
from scheduler.channels import open_channels
from scheduler.config import load_config
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=500)
    args = parser.parse_args()
    with scratch_database("postgresql") as url, tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config_path = write_config(folder, url, log=str(folder / "notices.log"))
        init(config_path)
        insert_notices(url, args.notices, datetime.now(UTC) - timedelta(seconds=1))
        config = load_config(config_path, env={})
        store = Store(url)
        traces: list[Path] = []
        files: list[Any] = []  # open while libpq writes to them
        engines = [store.engine, *(e for e in [getattr(store, "_single", None)] if e)]
        for engine in engines:
            @event.listens_for(engine, "connect")
            def trace(dbapi: Any, _record: object) -> None:
                path = folder / f"trace-{len(traces)}"
                traces.append(path)
                files.append(path.open("w"))
                dbapi.pgconn.trace(files[-1].fileno())

        dispatcher = Dispatcher(store, config.plan, config.delivery,
                                open_channels(config, {}), Templates(), owner="bench",
                                clock=lambda: datetime.now(UTC))
        delivered = dispatcher.run()
        store.dispose()
        for file in files:
            file.close()
        trips = 0
        for path in traces:
            for line in path.read_text().splitlines():
                parts = line.split("\t")
                if len(parts) > 3 and parts[1] == "F" and parts[3].startswith(("Sync", "Query")):
                    trips += 1
    print(f"PostgreSQL round trips delivering {delivered:,} notices (the seed's and "
          f"{args.notices:,} more, claims included)")
    print(f"  followup {trips / delivered:5.2f} a notice   floor 1.00 a notice "
          "(one statement for each outcome)")


if __name__ == "__main__":
    main()
