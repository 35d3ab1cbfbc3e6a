"""``followup import`` of a spreadsheet of follow-ups, beside a plain executemany of its rows.

    python bench/import_throughput.py [--followups 100000] [--database sqlite|postgresql]

The file is what bench/support.py writes: windows of every precision over the next two years,
one row in eight anchored to an earlier one, with the default reminders for one audience
(so about six notices each). The figure is ``followup import FILE`` as a fresh process,
start-up included, into a new register. The peer, also a fresh process, adds the very rows
the import stored (follow-ups, their history and their notices, read back from the import's
database) to another new register with one plain driver executemany per table in one
transaction: storage alone, with no reading, checking or planning. Target: 100,000 rows in
30 s or less.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import FOLLOWUP, scratch_database, write_config, write_followups_csv

TABLES = ("followups", "changes", "notices")

PEER = r'''
import sys, time
started = time.perf_counter()
source, target, backend = sys.argv[1], sys.argv[2], sys.argv[3]
TABLES = ("followups", "changes", "notices")
if backend == "sqlite":
    import sqlite3
    read = sqlite3.connect(source)
    write = sqlite3.connect(target, isolation_level=None)
    write.execute("PRAGMA foreign_keys=ON")
    write.execute("BEGIN IMMEDIATE")
    mark = "?"
else:
    import psycopg
    from psycopg.types.json import Json
    read = psycopg.connect(source)
    write = psycopg.connect(target)
    mark = "%s"
count = 0
for table in TABLES:
    cursor = read.execute(f"SELECT * FROM {table} WHERE "
                          + ("1=1" if table == "followups" else "followup_id IS NOT NULL"))
    names = [d[0] for d in cursor.description]
    if table == "followups":  # anchors before what is tied to them, as the import adds them
        rows = cursor.fetchall()
        by_id = {r[0]: r for r in rows}
        anchor = names.index("anchor_id")
        def depth(row):
            return 0 if row[anchor] is None else 1 + depth(by_id[row[anchor]])
        rows.sort(key=depth)
    else:
        rows = cursor.fetchall()
    keep = [i for i, n in enumerate(names) if n != "id" or table == "followups"]
    columns = ", ".join(names[i] for i in keep)
    marks = ", ".join(mark for _ in keep)
    statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    if backend == "sqlite":
        write.executemany(statement, [tuple(row[i] for i in keep) for row in rows])
    else:  # the driver reads JSON columns as lists, and must be told to write them as JSON
        values = [tuple(Json(row[i]) if isinstance(row[i], list) else row[i] for i in keep)
                  for row in rows]
        with write.cursor() as cursor_:
            cursor_.executemany(statement, values)
    count += len(rows)
if backend == "sqlite":
    write.execute("COMMIT")
else:
    write.commit()
print(count)
'''


def children_cpu() -> float:
    """CPU seconds (user and system) of the processes this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(config: Path, rows: Path) -> tuple[float, float]:
    """Seconds ``followup import`` took, and the CPU seconds it used."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run([FOLLOWUP, "import", str(rows)], check=True, capture_output=True,
                   env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
    return time.perf_counter() - started, children_cpu() - cpu


def driver_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return url.replace("postgresql+psycopg://", "postgresql://")


def count_rows(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from events.store import Store

    store = Store(url)
    try:
        with store.transaction(write=False) as session:
            return {table: int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
                    for table in TABLES}
    finally:
        store.dispose()


def measure(backend: str, count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="followup-import-") as folder, \
            scratch_database(backend) as first, scratch_database(backend) as second:
        rows = write_followups_csv(Path(folder) / "followups.csv", count)
        config = write_config(Path(folder), first)
        config.write_text(config.read_text().replace("seed = true", "seed = false"))
        subprocess.run([FOLLOWUP, "init"], check=True, capture_output=True,
                       env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
        seconds, cpu = run_import(config, rows)
        stored = count_rows(first)
        (Path(folder) / "peer").mkdir()
        peer_config = write_config(Path(folder) / "peer", second)
        peer_config.write_text(peer_config.read_text().replace("seed = true", "seed = false"))
        subprocess.run([FOLLOWUP, "init"], check=True, capture_output=True,
                       env={**os.environ, "FOLLOWUP_CONFIG": str(peer_config)})
        peer_cpu, started = children_cpu(), time.perf_counter()
        peer = subprocess.run([sys.executable, "-c", PEER, driver_url(first),
                               driver_url(second), backend], capture_output=True, text=True)
        if peer.returncode != 0:
            raise SystemExit(f"the peer failed:\n{peer.stderr}")
        peer_seconds = time.perf_counter() - started
        peer_cpu = children_cpu() - peer_cpu
        assert int(peer.stdout) == sum(stored.values()), (peer.stdout, stored)
        assert count_rows(second) == stored
    described = ", ".join(f"{n:,} {table}" for table, n in stored.items())
    print(f"{backend}: {count:,} follow-ups ({described})")
    print(f"  followup import FILE         {seconds:7.2f} s  ({count / seconds:,.0f} rows/s; "
          f"CPU {cpu:.2f} s)")
    print(f"  peer: executemany, same rows {peer_seconds:7.2f} s  "
          f"(import = {seconds / peer_seconds:.1f}x the peer; CPU {peer_cpu:.2f} s, "
          f"{cpu / peer_cpu:.1f}x)")
    print(f"  load average {' '.join(f'{n:.1f}' for n in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs: seconds stretch when the machine is busy, CPU less so")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    measure(arguments.database, arguments.followups)
    print("target: 100,000 rows in 30 s or less")


if __name__ == "__main__":
    main()
