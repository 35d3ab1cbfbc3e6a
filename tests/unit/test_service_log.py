"""The daemon's log forms, its watchdog rule and the sd_notify details, without a daemon."""

from __future__ import annotations

import io
import json
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.errors import ConfigError
from scheduler.config import LogConfig, parse_config
from scheduler.logs import configure, in_journal, priority, utc_time
from scheduler.systemd import Notifier, watchdog_seconds
from scheduler.watchdog import Watchdog


@pytest.mark.parametrize(("level", "expected"), [
    (logging.DEBUG, 7), (logging.INFO, 6), (25, 6), (logging.WARNING, 4), (logging.ERROR, 3),
    (logging.CRITICAL, 2), (1, 7),
])
def test_syslog_priorities(level: int, expected: int) -> None:
    assert priority(level) == expected


@pytest.mark.parametrize(("created", "expected"), [
    (0.0, "1970-01-01T00:00:00.000Z"),
    (1574467200.5, "2019-11-23T00:00:00.500Z"),
    (1574467200.9999, "2019-11-23T00:00:00.999Z"),
])
def test_log_times_are_utc_and_say_so(created: float, expected: str) -> None:
    assert utc_time(created) == expected


@pytest.mark.parametrize(("env", "pid", "expected"), [
    ({}, 42, None),
    ({"WATCHDOG_USEC": "30000000"}, 42, 30.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}, 42, 30.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"}, 42, None),
    ({"WATCHDOG_USEC": "0"}, 42, None),
    ({"WATCHDOG_USEC": "-5"}, 42, None),
    ({"WATCHDOG_USEC": "soon"}, 42, None),
])
def test_the_watchdog_timeout_is_ours_only_when_meant_for_us(
        env: dict[str, str], pid: int, expected: float | None) -> None:
    assert watchdog_seconds(env, pid) == expected


@pytest.fixture
def receiver() -> Iterator[tuple[str, socket.socket]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = f"followup-unit-{uuid.uuid4().hex}"
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2)
    yield "@" + name, sock
    sock.close()


def test_notices_to_an_abstract_socket(receiver: tuple[str, socket.socket]) -> None:
    address, sock = receiver
    notifier = Notifier({"NOTIFY_SOCKET": address})
    assert notifier.ready("delivering\nfrom here")
    assert sock.recv(4096) == b"READY=1\nSTATUS=delivering from here"
    assert notifier.stopping("stopping")
    assert sock.recv(4096) == b"STOPPING=1\nSTATUS=stopping"
    notifier.close()


def test_without_a_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.active
    assert not notifier.ping()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_round_that_stops_moving_stops_the_pings(
        receiver: tuple[str, socket.socket], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "followup.daemon")
    address, sock = receiver
    clock = Clock()
    notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "10000000"})
    watchdog = Watchdog(notifier, stuck_after=120, monotonic=clock)
    assert watchdog.interval == 5.0
    assert watchdog.check()  # between rounds
    watchdog.round_started()
    clock.now += 100
    watchdog.step()
    clock.now += 119
    assert watchdog.check()  # a notice taken up 119 s ago: a slow send, not stuck
    clock.now += 2
    assert not watchdog.check()
    assert not watchdog.check()
    watchdog.step()
    assert watchdog.check()
    watchdog.round_ended()
    clock.now += 1000
    assert watchdog.check()  # an idle daemon waits as long as it likes
    messages = [r.getMessage() for r in caplog.records]
    assert sum("has not moved for 121 s" in m for m in messages) == 1
    assert sum("moves again" in m for m in messages) == 1
    assert [sock.recv(64) for _ in range(4)] == [b"WATCHDOG=1"] * 4
    notifier.close()


def _record(level: int, message: str) -> logging.LogRecord:
    record = logging.LogRecord("followup.daemon", level, __file__, 1, message, (), None)
    record.created = 1574467200.25
    return record


def _formatted(config: LogConfig, *records: logging.LogRecord, journal: bool,
               tmp_path: Path) -> str:
    out = (tmp_path / "err").open("w+")
    env = {}
    if journal:
        status = Path(out.name).stat()
        env["JOURNAL_STREAM"] = f"{status.st_dev}:{status.st_ino}"
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure(config, stream=out, env=env)
        ours = root.handlers[0]
        for record in records:
            ours.handle(record)
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    out.seek(0)
    text = out.read()
    out.close()
    return text


def test_text_in_a_terminal_and_in_the_journal(tmp_path: Path) -> None:
    records = (_record(logging.INFO, "sent [k] TEMM 21"),
               _record(logging.WARNING, "first\nsecond"))
    assert _formatted(LogConfig(), *records, journal=False, tmp_path=tmp_path) == (
        "2019-11-23T00:00:00.250Z INFO sent [k] TEMM 21\n"
        "2019-11-23T00:00:00.250Z WARNING first\nsecond\n")
    assert _formatted(LogConfig(), *records, journal=True, tmp_path=tmp_path) == (
        "<6>sent [k] TEMM 21\n<4>first\n<4>second\n")


def test_json_lines(tmp_path: Path) -> None:
    text = _formatted(LogConfig(format="json"), _record(logging.ERROR, "dead [k]: 550"),
                      journal=False, tmp_path=tmp_path)
    assert json.loads(text) == {"time": "2019-11-23T00:00:00.250Z", "level": "error",
                                "logger": "followup.daemon", "message": "dead [k]: 550"}
    text = _formatted(LogConfig(format="json"), _record(logging.ERROR, "dead [k]: 550"),
                      journal=True, tmp_path=tmp_path)
    assert text.startswith('<3>{"time": ')


def test_a_stream_that_is_not_a_file_is_not_the_journal() -> None:
    assert not in_journal(io.StringIO(), {"JOURNAL_STREAM": "1:2"})


def test_the_log_settings_are_read_and_checked() -> None:
    assert parse_config({}).log == LogConfig("text", "info")
    assert parse_config({"log": {"format": "json", "level": "debug"}}).log == LogConfig(
        "json", "debug")
    with pytest.raises(ConfigError) as raised:
        parse_config({"log": {"format": "xml", "level": "loud"}})
    assert raised.value.problems == (
        "log.format: use one of 'text', 'json', not 'xml'",
        "log.level: use one of 'debug', 'info', 'warning', 'error', not 'loud'")
