"""How soon systemd hears ``READY=1`` from ``followup daemon``, and how regular its pings are.

    python bench/daemon_ready.py [--runs 5]

On the seed register (made once by ``followup init``), the daemon is started as systemd starts
a ``Type=notify`` service (``$NOTIFY_SOCKET`` naming a datagram socket this script listens on,
``WATCHDOG_USEC`` of 1 s) and timed from the start of its process to ``READY=1``, then to
``STOPPING=1`` after a SIGTERM and to its exit. The peer is the least any Python program pays
before it can say anything: ``python -c pass`` started the same way. The watchdog pings are
listed by their gaps, which should stay under the 1 s timeout (0.5 s is the aim).
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Appended, not put first: with PYTHONPATH naming another tree, that tree is measured.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from bench.support import FOLLOWUP, write_config


def one_run(config: Path) -> tuple[float, float, float, list[float]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"followup-bench-{uuid.uuid4().hex}"
    sock.bind(b"\0" + name.encode())
    sock.settimeout(60)
    env = {**os.environ, "FOLLOWUP_CONFIG": str(config), "NOTIFY_SOCKET": "@" + name,
           "WATCHDOG_USEC": "1000000"}
    started = time.monotonic()
    process = subprocess.Popen([FOLLOWUP, "daemon"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    ready = stopping = 0.0
    pings: list[float] = []
    try:
        while not ready:
            if b"READY=1" in sock.recv(4096):
                ready = time.monotonic() - started
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if b"WATCHDOG=1" in sock.recv(4096):
                pings.append(time.monotonic())
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        while not stopping:
            if b"STOPPING=1" in sock.recv(4096):
                stopping = time.monotonic() - asked
        process.wait(timeout=60)
        exited = time.monotonic() - asked
    finally:
        if process.poll() is None:
            process.kill()
        sock.close()
    return ready, stopping, exited, [b - a for a, b in itertools.pairwise(pings)]


def peer() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder), f"sqlite:///{Path(folder) / 'register.db'}")
        subprocess.run([FOLLOWUP, "init"], env={**os.environ, "FOLLOWUP_CONFIG": str(config)},
                       check=True, capture_output=True)
        results = [one_run(config) for _ in range(runs)]
    ready = statistics.median(r[0] for r in results)
    stopping = statistics.median(r[1] for r in results)
    exited = statistics.median(r[2] for r in results)
    gaps = [gap for r in results for gap in r[3]]
    floor = statistics.median(peer() for _ in range(runs))
    print(f"start to READY=1        {ready * 1000:7.0f} ms (median of {runs})   "
          f"peer, python -c pass: {floor * 1000:.0f} ms")
    print(f"SIGTERM to STOPPING=1   {stopping * 1000:7.1f} ms")
    print(f"SIGTERM to exit 0       {exited * 1000:7.0f} ms")
    print(f"watchdog ping gaps      {min(gaps) * 1000:.0f} to {max(gaps) * 1000:.0f} ms "
          f"(median {statistics.median(gaps) * 1000:.0f} ms; aim 500, limit 1000)")


if __name__ == "__main__":
    main()
