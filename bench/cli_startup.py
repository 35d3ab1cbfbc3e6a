"""How long ``followup --help`` takes, process start-up included, beside a minimal click program.

    python bench/cli_startup.py [--runs 15]

Both are run as fresh processes of the same interpreter, alternately, and timed from spawn to
exit; the figure is the median of the runs. The peer is a click group with one command that
prints its help: what any click program pays. Target: ``followup --help`` <= 250 ms and <= 5x
the peer measured in the same run. ``followup CMD --help`` for a few commands is shown too.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FOLLOWUP = Path(sys.executable).with_name("followup")

MINIMAL = '''
import click

@click.group()
def cli():
    """A minimal click program."""

@cli.command()
def hello():
    """Say hello."""
    click.echo("hello")

cli()
'''


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        minimal = Path(folder) / "minimal.py"
        minimal.write_text(MINIMAL)
        commands = {
            "minimal click --help": [sys.executable, str(minimal), "--help"],
            "followup --help": [str(FOLLOWUP), "--help"],
            "followup --version": [str(FOLLOWUP), "--version"],
            "followup list --help": [str(FOLLOWUP), "list", "--help"],
            "followup import --help": [str(FOLLOWUP), "import", "--help"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():
            timed(command)  # warm the file cache once, unmeasured
        for _ in range(runs):
            for name, command in commands.items():  # alternating, so load hits all alike
                times[name].append(timed(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    peer = medians["minimal click --help"]
    print(f"median of {runs} runs, process start-up included")
    for name, value in medians.items():
        ratio = "" if value is peer else f"  {value / peer:4.1f}x the minimal click program"
        print(f"  {name:24} {value * 1000:7.1f} ms{ratio}")
    print("target: followup --help <= 250 ms and <= 5x the minimal click program")


if __name__ == "__main__":
    main()
