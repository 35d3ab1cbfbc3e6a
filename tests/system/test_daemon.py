"""The daemon as a real process: start-up, catch-up, live re-planning, crashes, and sharing."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from events.model import Notice, NoticeStatus
from events.planning import NoticeKind, notice_key
from events.store import Store
from tests.system.daemons import (
    SEED_DUE_AT_START,
    Daemon,
    chase,
    daemons,
    email_channel,
    followup_serve,
    insert,
    ledger_rows,
    log_lines,
    run_cli,
    wait_for,
    write_config,
)
from tests.system.smtp import Inbox, smtp_server

__all__ = ["daemons"]  # the fixture, used by name


def test_start_up_summary_and_a_clean_stop(tmp_path: Path,
                                           daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path)
    run_cli(config, "init")
    daemon = daemons(config)
    daemon.wait_started()
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= len(SEED_DUE_AT_START),
             what="overdue notices")
    assert daemon.stop() == 0
    err = daemon.stderr
    assert f"starting on SQLite file {tmp_path / 'register.db'}" in err
    assert "audience desk (Asia/Seoul, send time 09:00): log (json," in err
    assert "ledger:" in err
    assert "stopped" in err
    assert "Traceback" not in err
    # the first start on the 2019 seed today: the overdue follow-ups, once each
    sent = log_lines(tmp_path / "notices.jsonl")
    assert sorted(line["followup"] for line in sent) == sorted(  # type: ignore[type-var]
        SEED_DUE_AT_START)
    assert all(line["kind"] == "overdue" for line in sent)


def test_catch_up_sends_recent_notices_late_and_reports_older_ones(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    config = write_config(tmp_path)
    run_cli(config, "init")
    url = f"sqlite:///{tmp_path / 'register.db'}"
    for notice in ledger_rows(url):  # start from a quiet ledger
        assert notice.status is NoticeStatus.PENDING
    store = Store(url)
    with store.transaction(write=True) as session:
        session.execute(Notice.__table__.delete())
    store.dispose()
    now = datetime.now(UTC)
    recent = [chase(i, now - timedelta(hours=2)) for i in range(2)]
    old = [chase(10 + i, now - timedelta(days=3)) for i in range(3)]
    insert(url, recent + old)

    daemon = daemons(config)
    daemon.wait_started()
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= 3, what="catch-up")
    time.sleep(0.5)
    assert daemon.stop() == 0
    sent = {line["key"]: line for line in log_lines(tmp_path / "notices.jsonl")}
    for planned in recent:
        assert sent[planned.key]["late"] is True
    [missed] = [line for line in sent.values() if line["kind"] == NoticeKind.MISSED]
    for planned in old:
        assert planned.key not in sent
    assert "3 notices missed while no daemon was running" in str(missed["subject"])
    assert str(missed["text"]).count("chase (every 14 days)") == 3
    rows = {n.key: n for n in ledger_rows(url)}
    assert all(rows[p.key].status is NoticeStatus.MISSED for p in old)
    assert all(rows[p.key].status is NoticeStatus.SENT and rows[p.key].late for p in recent)
    assert "catch-up: 3 notices fell due more than 24 hours ago" in daemon.stderr


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_change_from_the_cli_is_replanned_while_the_daemon_runs(
        tmp_path: Path, daemons: Callable[..., Daemon], backend: str,
        request: pytest.FixtureRequest) -> None:
    # SQLite is watched with PRAGMA data_version, PostgreSQL with LISTEN/NOTIFY.
    url = (f"sqlite:///{tmp_path / 'register.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_schema_url"))
    config = write_config(tmp_path, database=url)
    # A slow safety poll: only noticing the change itself can make the deadline below.
    config.write_text(config.read_text().replace("poll_seconds = 1", "poll_seconds = 60"))
    run_cli(config, "init")
    daemon = daemons(config)
    daemon.wait_started()
    log = tmp_path / "notices.jsonl"
    wait_for(lambda: len(log_lines(log)) >= len(SEED_DUE_AT_START),
             what="the start-up notices")

    first = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
    run_cli(config, "confirm", "jcec-24", "--on", f"{first:%Y-%m-%d}", "--at",
            f"{first:%H:%M:%S}", "--tz", "UTC")
    second = first + timedelta(seconds=3)
    run_cli(config, "confirm", "jcec-24", "--on", f"{second:%Y-%m-%d}", "--at",
            f"{second:%H:%M:%S}", "--tz", "UTC")
    old_key = notice_key("jcec-24", NoticeKind.LEAD, first, "desk", "log")
    new_key = notice_key("jcec-24", NoticeKind.LEAD, second, "desk", "log")
    wait_for(lambda: any(line["key"] == new_key for line in log_lines(log)),
             what="the re-planned notice")
    delivered = datetime.now(UTC)
    assert daemon.stop() == 0
    assert delivered - second < timedelta(seconds=1.5)
    keys = [line["key"] for line in log_lines(log)]
    assert old_key not in keys
    assert keys.count(new_key) == 1
    rows = {n.key: n for n in ledger_rows(url)}
    assert rows[old_key].status is NoticeStatus.SUPERSEDED
    assert rows[new_key].status is NoticeStatus.SENT


def test_killed_mid_run_and_restarted_nothing_is_lost(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    inbox = Inbox(delay=0.05)
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, channels='["email"]', extra=email_channel(port))
        # A long lease: the claims of the killed daemon must come back because it is seen
        # to be gone, not because its lease ran out.
        config.write_text(config.read_text().replace("lease_seconds = 2", "lease_seconds = 60"))
        run_cli(config, "init")
        url = f"sqlite:///{tmp_path / 'register.db'}"
        now = datetime.now(UTC)
        batch = [chase(i, now, channel="email") for i in range(60)]
        insert(url, batch)
        expected = 60 + len(SEED_DUE_AT_START)  # and the seed's overdue notices

        first = daemons(config, "first")
        wait_for(lambda: len(inbox.messages) >= 15, what="the first deliveries")
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        at_kill = len(inbox.messages)
        assert at_kill < expected

        restarted = time.monotonic()
        second = daemons(config, "second")
        wait_for(lambda: len(set(inbox.message_ids())) >= expected, what="every notice",
                 timeout=30)
        took = time.monotonic() - restarted
        time.sleep(0.5)
        assert second.stop() == 0
    ids = inbox.message_ids()
    assert len(set(ids)) == expected
    assert len(ids) - expected <= 1  # at most the notice in flight went twice
    assert took < 20, f"{took:.1f} s to finish after the restart"
    assert "has stopped; " in second.stderr and "had claimed are handed back" in second.stderr
    due_then = [n for n in ledger_rows(url) if n.due <= now + timedelta(seconds=5)]
    assert len(due_then) == expected
    assert all(n.status is NoticeStatus.SENT for n in due_then)
    # The claims taken back cost no attempt: every notice went out at its first.
    assert all(n.attempts == 1 for n in due_then)


def test_two_daemons_on_postgresql_share_the_work_and_send_each_notice_once(
        tmp_path: Path, daemons: Callable[..., Daemon], postgres_schema_url: str) -> None:
    inbox = Inbox(delay=0.005)  # slow enough that neither daemon can take it all alone
    with smtp_server(inbox) as port:
        email = f'''
[channels.email]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "followup@mofa.example"
timeout = 1
'''
        configs = [write_config(tmp_path / name, database=postgres_schema_url,
                                channels='["email"]', extra=email) for name in ("a", "b")]
        run_cli(configs[0], "init")
        a, b = daemons(configs[0], "a"), daemons(configs[1], "b")
        a.wait_started()
        b.wait_started()
        insert(postgres_schema_url, [chase(i, datetime.now(UTC), channel="email")
                                     for i in range(400)])
        expected = 400 + len(SEED_DUE_AT_START)
        wait_for(lambda: len(inbox.messages) >= expected, what="every notice", timeout=90)
        time.sleep(0.5)
        assert a.stop() == 0
        assert b.stop() == 0
    keys = [str(message["X-Followup-Key"]) for message in inbox.messages]
    assert len(keys) == len(set(keys)) == expected
    assert "sent [" in a.stderr and "sent [" in b.stderr  # both took a share



def test_feeds_are_served_by_followup_serve_and_by_the_daemon(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    import urllib.request

    from tests.system.smtp import free_port

    port = free_port()
    config = write_config(tmp_path, extra=f"\n[feeds]\nserve = true\nport = {port}\n")
    run_cli(config, "init")
    listed = json.loads(run_cli(config, "feeds", "--json").stdout)
    url = next(row["url"] for row in listed if row["audience"] == "desk")

    def fetch(address: str) -> bytes:
        with urllib.request.urlopen(address, timeout=10) as response:
            return bytes(response.read())

    daemon = daemons(config)
    daemon.wait_started()
    wait_for(lambda: "feeds served on" in daemon.stderr, what="the feed server")
    assert fetch(url).startswith(b"BEGIN:VCALENDAR")
    assert daemon.stop() == 0

    other = free_port()
    with followup_serve(config, other):
        assert fetch(f"http://127.0.0.1:{other}/healthz") == b"ok\n"
        assert fetch(url.replace(str(port), str(other))) == fetch(
            url.replace(str(port), str(other)))


def test_sigterm_finishes_the_notice_in_flight_and_releases_the_rest(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    inbox = Inbox(delay=0.2)
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, channels='["email"]', extra=f'''
lease_seconds = 60

[channels.email]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "followup@mofa.example"
timeout = 1
''')
        config.write_text(config.read_text().replace("lease_seconds = 2\n", ""))
        run_cli(config, "init")
        url = f"sqlite:///{tmp_path / 'register.db'}"
        insert(url, [chase(i, datetime.now(UTC), channel="email") for i in range(20)])
        daemon = daemons(config)
        wait_for(lambda: len(inbox.messages) >= 3, what="the first deliveries")
        assert daemon.stop(signal.SIGTERM) == 0
        delivered = len(inbox.messages)
    rows = ledger_rows(url)
    assert not [n for n in rows if n.status is NoticeStatus.SENDING]  # nothing left claimed
    sent = [n for n in rows if n.status is NoticeStatus.SENT]
    assert len(sent) == delivered
    assert [n for n in rows if n.status is NoticeStatus.PENDING and n.channel == "email"
            and n.due <= datetime.now(UTC)]  # the rest wait for the next daemon
    assert "stopping: gave back" in daemon.stderr


def test_a_database_locked_for_a_while_loses_nothing(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    import sqlite3

    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[database]\n",
                                                 "[database]\nbusy_timeout = 0.3\n"))
    run_cli(config, "init")
    daemon = daemons(config)
    daemon.wait_started()
    log = tmp_path / "notices.jsonl"
    wait_for(lambda: len(log_lines(log)) >= len(SEED_DUE_AT_START),
             what="the start-up notices")
    url = f"sqlite:///{tmp_path / 'register.db'}"
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    insert(url, [chase(i, due) for i in range(10)])
    holder = sqlite3.connect(tmp_path / "register.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for longer than the timeout
    time.sleep(3)
    holder.execute("ROLLBACK")
    holder.close()
    expected = 10 + len(SEED_DUE_AT_START)
    wait_for(lambda: len(log_lines(log)) >= expected, what="the notices after the lock")
    assert daemon.stop() == 0
    assert "is locked by another process" in daemon.stderr
    assert "Traceback" not in daemon.stderr
    keys = [line["key"] for line in log_lines(log)]
    assert len(keys) == len(set(keys)) == expected
