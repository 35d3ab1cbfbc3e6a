"""The daemon under systemd, as systemd sees it: the real process, telling a real AF_UNIX
datagram socket the test makes (``$NOTIFY_SOCKET``) that it is ready, alive and stopping;
and its log as the journal, a terminal or a log shipper reads it."""

from __future__ import annotations

import itertools
import json
import os
import pty
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.system.daemons import (
    FOLLOWUP,
    SEED_DUE_AT_START,
    Daemon,
    daemons,
    log_lines,
    wait_for,
    write_config,
)

__all__ = ["daemons"]  # the fixture, used by name

UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) ")


@dataclass
class Received:
    at: float
    fields: dict[str, str]
    #: What the daemon had logged when the message arrived.
    log: str
    #: The tables in the register when the message arrived.
    tables: set[str]


@dataclass
class NotifySocket:
    """A datagram socket standing in for systemd's, collecting what arrives."""

    address: str
    sock: socket.socket
    database: Path
    log: Path | None = None
    received: list[Received] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def listen(self) -> None:
        while not self.closed.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            fields = dict(line.split("=", 1) for line in data.decode().splitlines())
            log = self.log.read_text() if self.log and self.log.exists() else ""
            tables: set[str] = set()
            if self.database.exists():
                with sqlite3.connect(self.database) as db:
                    tables = {r[0] for r in db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'")}
            with self._lock:
                self.received.append(Received(time.monotonic(), fields, log, tables))

    def messages(self, key: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if key in r.fields]

    def first(self, key: str) -> Received:
        wait_for(lambda: bool(self.messages(key)), what=f"{key} on the notify socket")
        return self.messages(key)[0]


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[Callable[[bool], NotifySocket]]:
    made: list[NotifySocket] = []

    def make(abstract: bool) -> NotifySocket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"followup-test-{uuid.uuid4().hex}"
            sock.bind(b"\0" + name.encode())
            address = "@" + name
        else:
            # A socket path must fit in 108 bytes; pytest's folders can be longer.
            folder = Path(tempfile.mkdtemp(prefix="notify-", dir="/tmp"))
            sock.bind(str(folder / "notify"))
            address = str(folder / "notify")
        sock.settimeout(0.1)
        listener = NotifySocket(address, sock, tmp_path / "register.db")
        threading.Thread(target=listener.listen, daemon=True).start()
        made.append(listener)
        return listener

    yield make
    for listener in made:
        listener.closed.set()
        time.sleep(0.2)
        listener.sock.close()
        if listener.address.startswith("/"):
            Path(listener.address).unlink(missing_ok=True)
            Path(listener.address).parent.rmdir()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_after_the_database_opens_then_watchdog_pings_then_stopping(
        tmp_path: Path, daemons: Callable[..., Daemon],
        notify_socket: Callable[[bool], NotifySocket], abstract: bool) -> None:
    config = write_config(tmp_path)
    listener = notify_socket(abstract)
    daemon = daemons(config, env={"NOTIFY_SOCKET": listener.address,
                                  "WATCHDOG_USEC": "2000000"})
    listener.log = daemon.stderr_path

    ready = listener.first("READY")
    assert ready.fields["READY"] == "1"
    assert ready.fields["STATUS"].startswith("delivering from SQLite file")
    # The database was opened (made and migrated, here) and the ledger read before it.
    assert {"followups", "notices", "alembic_version"} <= ready.tables
    assert "next due" in ready.log
    assert not listener.messages("STOPPING")

    # WATCHDOG_USEC of 2 s: a ping every second.
    wait_for(lambda: len([m for m in listener.messages("WATCHDOG") if m.at > ready.at]) >= 4,
             what="four watchdog pings", timeout=15)
    pings = [m.at for m in listener.messages("WATCHDOG")]
    assert all(m.fields["WATCHDOG"] == "1" for m in listener.messages("WATCHDOG"))
    gaps = [b - a for a, b in itertools.pairwise(pings)]
    assert 0.8 < statistics.median(gaps) < 1.2, gaps  # at half the timeout
    assert max(gaps) < 2.0, gaps  # within systemd's timeout every time
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= len(SEED_DUE_AT_START),
             what="the notices due at start")

    daemon.process.send_signal(signal.SIGTERM)
    stopping = listener.first("STOPPING")
    assert daemon.process.wait(timeout=30) == 0
    assert stopping.fields["STOPPING"] == "1"
    assert " INFO stopped" not in stopping.log  # said as the stop began, not after it
    assert "SIGTERM received" in daemon.stderr
    assert daemon.stderr.rstrip().endswith("INFO stopped")
    assert "Traceback" not in daemon.stderr


def test_a_round_tells_systemctl_status_what_it_did(
        tmp_path: Path, daemons: Callable[..., Daemon],
        notify_socket: Callable[[bool], NotifySocket]) -> None:
    config = write_config(tmp_path)
    listener = notify_socket(True)
    daemon = daemons(config, env={"NOTIFY_SOCKET": listener.address})
    wait_for(lambda: any("the last round tried 3 notices at" in m.fields["STATUS"]
                         for m in listener.messages("STATUS")), what="a round's status")
    assert daemon.stop() == 0
    assert not listener.messages("WATCHDOG")  # no WatchdogSec, no pings


def test_no_pings_for_a_watchdog_meant_for_another_process(
        tmp_path: Path, daemons: Callable[..., Daemon],
        notify_socket: Callable[[bool], NotifySocket]) -> None:
    config = write_config(tmp_path)
    listener = notify_socket(True)
    daemon = daemons(config, env={"NOTIFY_SOCKET": listener.address,
                                  "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
    listener.first("READY")
    time.sleep(1.0)
    assert daemon.stop() == 0
    assert not listener.messages("WATCHDOG")
    assert listener.messages("STOPPING")


def test_a_socket_that_is_gone_costs_one_warning_and_nothing_else(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path)
    daemon = daemons(config, env={"NOTIFY_SOCKET": str(tmp_path / "nobody-listens"),
                                  "WATCHDOG_USEC": "200000"})
    daemon.wait_started()
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= len(SEED_DUE_AT_START),
             what="the notices due at start")
    time.sleep(0.5)
    assert daemon.stop() == 0
    assert daemon.stderr.count("cannot tell systemd") == 1
    assert "Traceback" not in daemon.stderr


# -- the log ---------------------------------------------------------------------------------


def _daemon_log(tmp_path: Path, daemons: Callable[..., Daemon], *, journal: bool,
                extra: str = "") -> list[str]:
    config = write_config(tmp_path, extra=extra)
    err = tmp_path / "daemon.err"
    err.touch()
    status = err.stat()
    env = {"JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"} if journal else {
        "JOURNAL_STREAM": "1:1"}  # another stream's: not ours, so not the journal
    daemon = daemons(config, env=env)
    daemon.wait_started()
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= len(SEED_DUE_AT_START),
             what="the notices due at start")
    assert daemon.stop() == 0
    return daemon.stderr.splitlines()


def test_in_the_journal_each_line_has_its_priority_and_no_time_of_ours(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    lines = _daemon_log(tmp_path, daemons, journal=True)
    assert lines
    assert all(re.match(r"^<[2-7]>", line) for line in lines), lines
    assert not any(re.search(r"\d\d:\d\d:\d\d[.,]\d{3}", line) for line in lines)
    assert any(line.startswith("<6>followup daemon ") for line in lines)
    assert any(line.startswith("<6>sent [") for line in lines)


def test_elsewhere_each_line_starts_with_its_time_in_utc(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    lines = _daemon_log(tmp_path, daemons, journal=False)
    assert all(UTC_STAMP.match(line) for line in lines), lines


@pytest.mark.parametrize("journal", [False, True])
def test_json_lines_when_configured(tmp_path: Path, daemons: Callable[..., Daemon],
                                    journal: bool) -> None:
    lines = _daemon_log(tmp_path, daemons, journal=journal,
                        extra='[log]\nformat = "json"\n')
    records = []
    for line in lines:
        if journal:
            assert line.startswith(("<6>", "<4>", "<3>")), line
            line = line[3:]
        records.append(json.loads(line))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"])
               for r in records)
    assert {r["logger"] for r in records} == {"followup.daemon"}
    assert any(r["message"].startswith("followup daemon ") and r["level"] == "info"
               for r in records)


# -- each notice once in a terminal ----------------------------------------------------------


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_notice_on_the_terminal_the_log_shares_is_shown_once(tmp_path: Path,
                                                               log_format: str) -> None:
    config = write_config(tmp_path, log_name="-", extra=f'[log]\nformat = "{log_format}"\n')
    shared = tmp_path / "terminal"
    with shared.open("w") as out:
        process = subprocess.Popen([FOLLOWUP, "daemon"], stdout=out, stderr=out,
                                   env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
        try:
            wait_for(lambda: shared.read_text().count('"kind": "overdue"')
                     >= len(SEED_DUE_AT_START), what="the notices due at start")
            time.sleep(0.3)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
    text = shared.read_text()
    notices = [json.loads(line) for line in text.splitlines()
               if line.startswith('{"key"')]
    assert len(notices) == len(SEED_DUE_AT_START)
    if log_format == "text":
        for notice in notices:
            assert text.count(str(notice["subject"])) == 1, text  # in the notice, not again
        assert "sent [" not in text
    else:  # JSON lines are for programs: every sent record stays
        assert text.count('"message": "sent [') == len(SEED_DUE_AT_START)
    assert "stopped" in text


def test_in_a_real_terminal_each_notice_shows_once(tmp_path: Path) -> None:
    # As the README's first command runs it: the log channel's text lines and the daemon's
    # log on one terminal (a pseudo-terminal here).
    config = write_config(tmp_path, log_name="-")
    config.write_text(config.read_text().replace('format = "json"', 'format = "text"'))
    master, slave = pty.openpty()
    process = subprocess.Popen([FOLLOWUP, "daemon"], stdin=subprocess.DEVNULL, stdout=slave,
                               stderr=slave, env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
    os.close(slave)
    shown: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal's other end closed
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(lambda: b"".join(shown).count(b"overdue") >= len(SEED_DUE_AT_START),
                 what="the notices due at start")
        time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    reader.join(timeout=10)
    os.close(master)
    lines = b"".join(shown).decode().replace("\r\n", "\n").splitlines()
    notices = [line for line in lines if re.match(r"^\S+Z \[", line)]
    assert len(notices) == len(SEED_DUE_AT_START), lines
    assert sorted(line.split("[", 1)[1].split("/", 1)[0] for line in notices) == sorted(
        SEED_DUE_AT_START)
    for notice in notices:
        subject = notice.split("] ", 1)[1]
        assert sum(subject in line for line in lines) == 1, lines  # the notice, not again
    assert not any(" sent [" in line for line in lines)
    assert all(UTC_STAMP.match(line) or line in notices for line in lines), lines


def test_the_sent_line_stays_when_the_notices_go_elsewhere(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    lines = _daemon_log(tmp_path, daemons, journal=False)
    sent = [line for line in lines if " sent [" in line]
    assert len(sent) == len(SEED_DUE_AT_START)


# -- the unit file ---------------------------------------------------------------------------

UNIT = Path(__file__).parents[2] / "contrib" / "followup.service"


def _unit_settings() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if line.strip() and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_the_unit_file_asks_for_what_the_daemon_does() -> None:
    settings = _unit_settings()
    assert settings["Type"] == ["notify"]
    assert settings["ExecStart"] == ["/opt/followup/.venv/bin/followup daemon"]
    assert settings["WorkingDirectory"] == ["/opt/followup"]
    assert settings["EnvironmentFile"] == ["-/etc/followup/secrets.env"]
    assert int(settings["WatchdogSec"][0]) >= 30
    assert settings["Restart"] == ["on-failure"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_file(tmp_path: Path) -> None:
    # Where this checkout and its venv are, as the README says to adjust it.
    unit = tmp_path / "followup.service"
    unit.write_text(UNIT.read_text()
                    .replace("/opt/followup/.venv/bin/followup", str(FOLLOWUP))
                    .replace("/opt/followup", str(UNIT.parents[1])))
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def test_a_stuck_round_stops_the_pings_until_it_moves_again(
        tmp_path: Path, daemons: Callable[..., Daemon],
        notify_socket: Callable[[bool], NotifySocket]) -> None:
    # A log channel writing to a pipe nobody reads: opening it blocks the round for good,
    # a real hang, until a reader comes.
    os.mkfifo(tmp_path / "pipe")
    config = write_config(tmp_path, log_name="pipe")
    listener = notify_socket(True)
    daemon = daemons(config, env={"NOTIFY_SOCKET": listener.address,
                                  "WATCHDOG_USEC": "400000"})
    listener.first("READY")
    wait_for(lambda: "has not moved for" in daemon.stderr, what="the stuck round to be seen",
             timeout=30)
    stuck_at = time.monotonic()
    time.sleep(1.0)
    quiet = [m for m in listener.messages("WATCHDOG") if m.at > stuck_at]
    assert quiet == []  # systemd would restart it now

    received: list[bytes] = []

    def read() -> None:
        with (tmp_path / "pipe").open("rb") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_for(lambda: "moves again" in daemon.stderr, what="the round to move again")
    moved_at = time.monotonic()
    wait_for(lambda: any(m.at > moved_at for m in listener.messages("WATCHDOG")),
             what="the pings to come back")
    assert daemon.stop() == 0
    reader.join(timeout=10)
    assert b'"kind": "overdue"' in received[0]
    assert daemon.stderr.count("has not moved for") == 1
