"""Shared set-up for the benchmarks: scratch databases, notices in bulk, a daemon process."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from events.ledger import Ledger, PlanSettings
from events.planning import NoticeKind, Planned
from events.store import Store, database_url

FOLLOWUP = Path(sys.executable).with_name("followup")


def postgres_base() -> str | None:
    return os.environ.get("FOLLOWUP_BENCH_DATABASE_URL") or os.environ.get(
        "FOLLOWUP_TEST_DATABASE_URL")


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """A new, empty database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="followup-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    base = postgres_base()
    if base is None:
        raise SystemExit("set FOLLOWUP_BENCH_DATABASE_URL (or FOLLOWUP_TEST_DATABASE_URL) "
                         "to a PostgreSQL database for the PostgreSQL figures")
    url = database_url(base)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def write_config(folder: Path, url: str, *, log: str = "notices.log", fmt: str = "text",
                 batch: int = 500, extra: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(f'''
[database]
url = "{url}"
seed = true

[audiences.desk]
timezone = "Asia/Seoul"
channels = ["log"]
digest = ""

[channels.log]
path = "{log}"
format = "{fmt}"

[delivery]
batch = {batch}
poll_seconds = 5
{extra}
''')
    return path


KINDS = ("meeting", "visit", "report", "launch", "project", "deadline", "other")


def followup_rows(count: int, *, first_year: int | None = None) -> list[dict[str, str]]:
    """``count`` follow-ups as a desk's spreadsheet has them: windows of every precision
    over the next two years, one in ten undated, one in eight tied to an earlier row."""
    year = first_year or datetime.now(UTC).year
    rows = []
    for index in range(count):
        month = index % 12 + 1
        shape = index % 10
        if shape == 0:
            when = "undated"
        elif shape in (1, 2):
            when = f"{year + index % 2}-{month:02d}-{index % 28 + 1:02d}"
        elif shape in (3, 4, 5):
            when = f"{year + index % 2}-{month:02d}"
        elif shape in (6, 7):
            when = f"{year + index % 2}-Q{index % 4 + 1}"
        else:
            when = f"{year + 1}-H{index % 2 + 1}"
        anchor = f"f-{index - 3:06d}" if index % 8 == 7 else ""
        rows.append({
            "id": f"f-{index:06d}", "title": f"Follow-up number {index} of the bench register",
            "kind": KINDS[index % len(KINDS)], "when": "" if anchor else when,
            "location": ("Seoul", "Beijing", "Tokyo", "")[index % 4], "anchor": anchor,
            "tags": ("environment", "trade; energy", "")[index % 3],
            "next_step": "Ask the secretariat for the date." if index % 2 else "",
        })
    return rows


def write_followups_csv(path: Path, count: int) -> Path:
    import csv

    rows = followup_rows(count)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_followups(config: Path, count: int) -> float:
    """Fill the register of ``config`` with ``count`` follow-ups through ``followup import``;
    the seconds the command took."""
    with tempfile.TemporaryDirectory(prefix="followup-rows-") as folder:
        rows = write_followups_csv(Path(folder) / "followups.csv", count)
        started = time.perf_counter()
        subprocess.run([FOLLOWUP, "import", str(rows)], check=True, capture_output=True,
                       env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
        return time.perf_counter() - started


def init(config: Path) -> None:
    subprocess.run([FOLLOWUP, "init"], check=True, capture_output=True,
                   env={**os.environ, "FOLLOWUP_CONFIG": str(config)})


def clear_ledger(url: str) -> None:
    store = Store(url)
    with store.transaction(write=True) as session:
        session.execute(text("DELETE FROM notices"))
    store.dispose()


def insert_notices(url: str, count: int, due: datetime, *, spread_seconds: float = 0.0,
                   chunk: int = 20_000, followup: str | None = "temm-21") -> None:
    """``count`` chase notices for temm-21, due at ``due`` (spread over some seconds).

    With ``followup=None`` they belong to no follow-up, so a daemon's re-planning at
    start-up (which supersedes notices its plan does not want) leaves them alone.
    """
    from datetime import timedelta

    store = Store(url)
    try:
        for start in range(0, count, chunk):
            planned = []
            for index in range(start, min(count, start + chunk)):
                at = due + timedelta(seconds=spread_seconds * index / max(count, 1))
                planned.append(Planned(at, f"bench/{index}", followup or "*",
                                       NoticeKind.CHASE if followup else NoticeKind.DIGEST,
                                       "desk", "log", at, "every 14 days"))
            with store.transaction(write=True) as session:
                Ledger(session, PlanSettings(), datetime.now(UTC)).insert(planned)
    finally:
        store.dispose()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start_daemon(config: Path, stderr: Path) -> subprocess.Popen[bytes]:
    with stderr.open("w") as err:
        return subprocess.Popen([FOLLOWUP, "daemon"], stdout=subprocess.DEVNULL, stderr=err,
                                env={**os.environ, "FOLLOWUP_CONFIG": str(config)})


def wait_for_text(path: Path, text_: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text_ in path.read_text():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {text_!r} in {path}")
