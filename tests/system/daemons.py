"""Running ``followup daemon`` as a real process for the tests, and reading what it did."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from events.ledger import Ledger, PlanSettings
from events.model import Notice
from events.planning import NoticeKind, Planned, notice_key
from events.store import Store

FOLLOWUP = Path(sys.executable).with_name("followup")

#: What the 2019 seed has due when a daemon first starts today: the overdue notices of
#: TEMM 21, the 24th Joint Committee and the working-level meetings (open-ended, overdue a
#: year on). What rides on TEMM 21 or the Joint Committee is told through them.
SEED_DUE_AT_START = ("jcec-24", "temm-21", "working-level-meetings")


def write_config(folder: Path, *, database: str | None = None, channels: str = '["log"]',
                 extra: str = "", log_name: str = "notices.jsonl") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "config.toml"
    database = database or f"sqlite:///{folder / 'register.db'}"
    path.write_text(f'''
[database]
url = "{database}"

[reminders]
lead_days = [0]

[audiences.desk]
timezone = "Asia/Seoul"
channels = {channels}
recipients = ["desk@example.org"]
digest = ""

[channels.log]
path = "{log_name}"
format = "json"

[delivery]
grace_hours = 24
lease_seconds = 2
heartbeat_seconds = 0.5
poll_seconds = 1
backoff_seconds = 0.5
backoff_cap_seconds = 1
batch = 5
{extra}
''')
    return path


def run_cli(config: Path, *args: str, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FOLLOWUP, *args], capture_output=True, text=True, check=check,
                          env={**os.environ, "FOLLOWUP_CONFIG": str(config), **(env or {})},
                          timeout=60)


class Daemon:
    def __init__(self, config: Path, name: str = "daemon",
                 env: dict[str, str] | None = None) -> None:
        self.stderr_path = config.parent / f"{name}.err"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [FOLLOWUP, "daemon"], stdout=subprocess.DEVNULL, stderr=stderr,
                env={**os.environ, "FOLLOWUP_CONFIG": str(config), **(env or {})})

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def wait_started(self) -> None:
        wait_for(lambda: "next due" in self.stderr, what=f"start-up:\n{self.stderr}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@pytest.fixture
def daemons() -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(config: Path, name: str = "daemon", env: dict[str, str] | None = None) -> Daemon:
        daemon = Daemon(config, name, env)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def followup_serve(config: Path, port: int, *, ready: str = "feeds served on") -> Iterator[None]:
    """``followup serve`` on ``port`` in a process of its own, once its log says ``ready``;
    stopped with SIGTERM at the end, which it must answer with exit code 0."""
    said = config.parent / "serve.err"
    with said.open("w") as err:
        serve = subprocess.Popen([FOLLOWUP, "serve", "--port", str(port)],
                                 stdout=subprocess.DEVNULL, stderr=err,
                                 env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
    try:
        wait_for(lambda: ready in said.read_text(), what="followup serve")
        yield
    finally:
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 0


def log_lines(path: Path) -> list[dict[str, object]]:
    """The JSON lines a log channel wrote so far (a line still being written is left out)."""
    if not path.exists():
        return []
    complete = path.read_text().rpartition("\n")[0]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


def ledger_rows(url: str) -> list[Notice]:
    store = Store(url)
    try:
        with store.transaction(write=False) as session:
            return list(session.scalars(select(Notice).order_by(Notice.due, Notice.id)))
    finally:
        store.dispose()


def insert(url: str, planned: list[Planned]) -> None:
    store = Store(url)
    try:
        with store.transaction(write=True) as session:
            Ledger(session, PlanSettings(), datetime.now(UTC)).insert(planned)
    finally:
        store.dispose()


def chase(index: int, due: datetime, channel: str = "log",
          followup_id: str = "temm-21") -> Planned:
    key = notice_key(followup_id, NoticeKind.CHASE, due, "desk", channel) + f"#{index}"
    return Planned(due, key, followup_id, NoticeKind.CHASE, "desk", channel, due,
                   "every 14 days")


def email_channel(port: int, extra: str = "") -> str:
    """The [channels.email] table for an SMTP server on loopback."""
    return f'''
[channels.email]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "followup@mofa.example"
timeout = 1
{extra}'''


def owner_of(daemon: Daemon) -> str:
    """The owner name a daemon claims notices under, from its start-up line."""
    wait_for(lambda: "followup daemon " in daemon.stderr, what="the start-up line")
    return daemon.stderr.split("followup daemon ", 1)[1].split()[0]


def postgres_ports(pid: int) -> set[int]:
    """The local ports of process ``pid``'s connections to PostgreSQL (port 5432)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rpartition(":")[2], 16) == 5432:
                ports.add(int(local.rpartition(":")[2], 16))
    return ports
