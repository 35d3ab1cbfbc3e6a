"""Peak memory of ``followup list --json`` and ``followup export`` on a large register,
beside plain writers.

    python bench/list_memory.py [--followups 100000] [--database sqlite|postgresql]

The register is built with ``followup import`` (bench/support.py). Both figures are fresh
processes writing to /dev/null, measured by their peak resident set size (the kernel's
``ru_maxrss`` for that child) and their time, start-up included. The peer runs the listing's
query through the bare driver and writes each row with ``json.dumps`` as it is read: what
streaming the same rows costs without followup's model, views and words. Peaks are read by
/usr/bin/time. Target:
``list --json`` at 100,000 follow-ups in 200 MB or less.

``followup export`` of the feed of all is measured twice, in the same way: first rendering
every event (and keeping them), then from the kept events, as a later export or server reads
them. (bench/plain_writer.py cannot be its peer here: it refuses the seed's anchored and
sourced follow-ups; bench/feed_render.py compares their speed on a register it can write.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.import_throughput import driver_url
from bench.support import FOLLOWUP, import_followups, scratch_database, write_config

PEER = r'''
import json, sys
url, backend = sys.argv[1], sys.argv[2]
query = ("SELECT * FROM followups ORDER BY earliest IS NULL, earliest, latest IS NULL, "
         "latest, id")
if backend == "sqlite":
    import sqlite3
    connection = sqlite3.connect(url)
    cursor = connection.execute(query)
else:
    import psycopg
    connection = psycopg.connect(url)
    cursor = connection.cursor(name="listing")  # server-side, as followup reads it
    cursor.execute(query)
names = [d[0] for d in cursor.description]
out = sys.stdout
first = True
while True:
    rows = cursor.fetchmany(500)
    if not rows:
        break
    for row in rows:
        item = {n: (v if v is None or isinstance(v, (str, int, float)) else str(v))
                for n, v in zip(names, row)}
        out.write(("[\n  " if first else ",\n  ")
                  + json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  "))
        first = False
out.write("\n]\n" if not first else "[]\n")
'''


def peak(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS in MB and seconds of one child process.

    Measured by /usr/bin/time, a small process of its own: a child forked from this one
    would report this process's size as its peak.
    """
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as report, \
            Path(os.devnull).open("wb") as sink:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command],
                       stdout=sink, env=env, check=True)
        kib = int(Path(report.name).read_text().split()[-1])
    return kib / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followups", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    arguments = parser.parse_args()
    count, backend = arguments.followups, arguments.database
    with tempfile.TemporaryDirectory(prefix="followup-list-") as folder, \
            scratch_database(backend) as url:
        config = write_config(Path(folder), url)
        import_followups(config, count)
        env = {**os.environ, "FOLLOWUP_CONFIG": str(config)}
        ours = peak([str(FOLLOWUP), "list", "--json"], env)
        peer = peak([sys.executable, "-c", PEER, driver_url(url), backend], env)
        rendering = peak([str(FOLLOWUP), "export"], env)
        exporting = peak([str(FOLLOWUP), "export"], env)
    print(f"{backend}: list --json of {count:,} follow-ups (+ the 11 of the seed)")
    print(f"  followup list --json           peak RSS {ours[0]:6.1f} MB  {ours[1]:6.2f} s")
    print(f"  peer: driver rows, json.dumps  peak RSS {peer[0]:6.1f} MB  {peer[1]:6.2f} s")
    print("target: followup list --json at 100,000 follow-ups in 200 MB or less")
    print(f"{backend}: export of the feed of all")
    print(f"  followup export, rendering all peak RSS {rendering[0]:6.1f} MB  "
          f"{rendering[1]:6.2f} s")
    print(f"  followup export, events kept   peak RSS {exporting[0]:6.1f} MB  "
          f"{exporting[1]:6.2f} s")



if __name__ == "__main__":
    main()
