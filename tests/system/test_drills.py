"""Fault drills against ``followup daemon`` as a real process, as an operator meets faults.

Each drill counts what was delivered, what went out twice and what was lost: a notice that
cannot be written among good ones, a daemon paused past its lease beside another on
PostgreSQL, PostgreSQL connections cut, the database locked right after a send, a wrong
mail password, and a SIGTERM during start-up. (kill -9 during sending is in test_daemon.py.)
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from events.model import NoticeStatus
from events.planning import NoticeKind, notice_key
from events.store import database_url
from scheduler.notices import default_directory
from tests.system.daemons import (
    FOLLOWUP,
    SEED_DUE_AT_START,
    Daemon,
    chase,
    daemons,
    email_channel,
    insert,
    ledger_rows,
    log_lines,
    owner_of,
    postgres_ports,
    run_cli,
    wait_for,
    write_config,
)
from tests.system.smtp import Inbox, smtp_server

__all__ = ["daemons"]  # the fixture, used by name

SEED_OVERDUE = len(SEED_DUE_AT_START)  # due at the first start


def keys_received(inbox: Inbox) -> Counter[str]:
    return Counter(str(message["X-Followup-Key"]) for message in inbox.messages)


def test_a_notice_that_cannot_be_written_is_dead_and_the_rest_go_out(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    # A template that passes the check, whose sample has an anchor, but fails on a
    # follow-up without one.
    templates = tmp_path / "templates"
    shutil.copytree(default_directory(), templates,
                    ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    chase_txt = templates / "chase.txt"
    chase_txt.write_text(chase_txt.read_text().replace(
        "still no date", "still no date, tied to {{ followup.anchor.title }}", 1))
    config = write_config(tmp_path, extra='\n[templates]\npath = "templates"\n')
    run_cli(config, "init")
    assert "templates: " in run_cli(config, "check").stdout
    url = f"sqlite:///{tmp_path / 'register.db'}"
    now = datetime.now(UTC)
    poison = chase(0, now - timedelta(minutes=1), followup_id="temm-21")  # no anchor
    good = [chase(i, now, followup_id="ltp-report") for i in range(1, 301)]  # anchored
    insert(url, [poison, *good])

    daemon = daemons(config)
    log = tmp_path / "notices.jsonl"
    wait_for(lambda: len(log_lines(log)) >= len(good) + SEED_OVERDUE, what="the good notices",
             timeout=60)
    assert daemon.stop() == 0
    sent = Counter(str(line["key"]) for line in log_lines(log))
    assert all(sent[p.key] == 1 for p in good)
    assert poison.key not in sent
    [dead] = [n for n in ledger_rows(url) if n.key == poison.key]
    assert dead.status is NoticeStatus.DEAD
    assert dead.last_error is not None
    assert dead.last_error.startswith("the chase template fails on it: 'None' has no "
                                      "attribute 'title'")
    assert f"followup retry --key {poison.key}" in dead.last_error
    assert f"dead [{poison.key}]" in daemon.stderr
    assert "Traceback" not in daemon.stderr


def test_a_daemon_paused_past_its_lease_sends_nothing_another_has_taken_over(
        tmp_path: Path, daemons: Callable[..., Daemon], postgres_schema_url: str) -> None:
    inbox = Inbox(delay=0.01)
    with smtp_server(inbox) as port:
        configs = [write_config(tmp_path / name, database=postgres_schema_url,
                                channels='["email"]', extra=email_channel(port))
                   for name in ("a", "b")]
        for config in configs:
            config.write_text(config.read_text().replace("batch = 5", "batch = 20"))
        run_cli(configs[0], "init")
        a, b = daemons(configs[0], "a"), daemons(configs[1], "b")
        a.wait_started()
        b.wait_started()
        wait_for(lambda: len(inbox.messages) >= SEED_OVERDUE, what="the seed's notices")
        notices = [chase(i, datetime.now(UTC), channel="email") for i in range(80)]
        insert(postgres_schema_url, notices)
        owner_a = owner_of(a)
        engine = create_engine(database_url(postgres_schema_url))
        try:
            def held_by_a() -> int:
                with engine.connect() as connection:
                    return int(connection.execute(text(
                        "SELECT count(*) FROM notices WHERE status = 'sending' "
                        "AND lease_owner = :owner"), {"owner": owner_a}).scalar_one())

            # Pause "a" while it holds a claimed batch.
            for _ in range(200):
                a.process.send_signal(signal.SIGSTOP)
                held = held_by_a()
                if held:
                    break
                a.process.send_signal(signal.SIGCONT)
                time.sleep(0.01)
            assert held, "daemon a never held a batch"
            # Three leases: long enough for "b" to take the batch over and finish the rest.
            time.sleep(6)
            a.process.send_signal(signal.SIGCONT)
            wait_for(lambda: len(keys_received(inbox)) >= len(notices) + SEED_OVERDUE,
                     what="every notice", timeout=90)
            time.sleep(1)
        finally:
            a.process.send_signal(signal.SIGCONT)
            engine.dispose()
        assert a.stop() == 0
        assert b.stop() == 0
    received = keys_received(inbox)
    twice = sum(count - 1 for count in received.values())
    assert len(received) == len(notices) + SEED_OVERDUE  # nothing lost
    # At most the one notice in flight when "a" stopped; not the rest of its batch.
    assert twice <= 1, f"{twice} sent twice of the {held} held by the paused daemon"
    assert "had claimed are handed back" in b.stderr
    assert "taken over by another daemon" in a.stderr


def test_cut_postgresql_connections_are_made_again_within_seconds(
        tmp_path: Path, daemons: Callable[..., Daemon], postgres_schema_url: str) -> None:
    config = write_config(tmp_path, database=postgres_schema_url)
    # A slow safety poll: only the listener coming back can make the deadline below.
    config.write_text(config.read_text().replace("poll_seconds = 1", "poll_seconds = 60"))
    run_cli(config, "init")
    daemon = daemons(config)
    daemon.wait_started()
    log = tmp_path / "notices.jsonl"
    wait_for(lambda: len(log_lines(log)) >= SEED_OVERDUE, what="the start-up notices")
    ports = postgres_ports(daemon.process.pid)
    assert len(ports) >= 2  # the listener and the pool
    engine = create_engine(database_url(postgres_schema_url))
    with engine.begin() as connection:
        cut = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE client_port = ANY(:ports)"), {"ports": sorted(ports)}).scalar()
    engine.dispose()
    assert cut == len(ports)
    wait_for(lambda: "listening for changes again" in daemon.stderr, what="the listener back",
             timeout=10)

    due = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
    run_cli(config, "confirm", "jcec-24", "--on", f"{due:%Y-%m-%d}", "--at",
            f"{due:%H:%M:%S}", "--tz", "UTC")
    key = notice_key("jcec-24", NoticeKind.LEAD, due, "desk", "log")
    wait_for(lambda: any(line["key"] == key for line in log_lines(log)), what="the new notice")
    delivered = datetime.now(UTC)
    assert daemon.stop() == 0
    assert delivered - due < timedelta(seconds=1.5)
    err = daemon.stderr
    assert err.count("lost the connection that listens for changes") == 1
    assert "Traceback" not in err
    assert len(err.splitlines()) < 40  # a line per outage, not one per tenth of a second


def test_a_database_locked_right_after_a_send_sends_nothing_twice(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    database = tmp_path / "register.db"
    holder: list[sqlite3.Connection] = []

    def lock_once(_message: EmailMessage) -> None:
        # Before the server answers 250: the daemon's record of the send finds the
        # database locked by another writer for longer than its busy timeout.
        if holder:
            return
        connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        connection.execute("BEGIN IMMEDIATE")
        holder.append(connection)
        threading.Timer(3.0, lambda: connection.execute("ROLLBACK")).start()

    inbox = Inbox(on_message=lock_once)
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, channels='["email"]', extra=email_channel(port))
        config.write_text(config.read_text().replace("[database]\n",
                                                     "[database]\nbusy_timeout = 0.3\n"))
        run_cli(config, "init")
        url = f"sqlite:///{database}"
        notices = [chase(i, datetime.now(UTC), channel="email") for i in range(10)]
        insert(url, notices)
        daemon = daemons(config)
        expected = len(notices) + SEED_OVERDUE
        wait_for(lambda: len(keys_received(inbox)) >= expected, what="every notice",
                 timeout=30)
        wait_for(lambda: all(n.status is NoticeStatus.SENT for n in ledger_rows(url)
                             if n.channel == "email" and n.due <= datetime.now(UTC)),
                 what="every outcome recorded")
        assert daemon.stop() == 0
    holder[0].close()
    received = keys_received(inbox)
    assert len(received) == expected
    assert sum(received.values()) == expected  # none twice
    assert "cannot record the outcome of [" in daemon.stderr
    assert "Traceback" not in daemon.stderr


# A login over plain text is fine on loopback; aiosmtpd warns about it all the same.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_a_wrong_password_pauses_the_channel_and_retry_sends_what_had_died(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:
    inbox = Inbox(reply="554 5.7.1 Rejected for now")
    right = {"FOLLOWUP_SMTP_PASSWORD": "right"}
    with smtp_server(inbox, login=("followup", "right")) as port:
        config = write_config(tmp_path, channels='["email"]', extra=email_channel(
            port, 'username = "followup"\npassword_env = "FOLLOWUP_SMTP_PASSWORD"\n'))
        config.write_text(config.read_text().replace("backoff_cap_seconds = 1",
                                                     "backoff_cap_seconds = 2"))
        run_cli(config, "init")
        url = f"sqlite:///{tmp_path / 'register.db'}"

        # The seed's notices are refused for good: dead, each with the reply.
        first = daemons(config, "first", env=right)
        wait_for(lambda: len([n for n in ledger_rows(url)
                              if n.status is NoticeStatus.DEAD]) == SEED_OVERDUE,
                 what="the refused notices dead")
        assert first.stop() == 0

        # A wrong password: the channel pauses, logins are few, no notice dies.
        inbox.reply, inbox.logins = "250 OK", 0
        notices = [chase(i, datetime.now(UTC), channel="email") for i in range(20)]
        insert(url, notices)
        wrong = daemons(config, "wrong", env={"FOLLOWUP_SMTP_PASSWORD": "wrong"})
        wrong.wait_started()
        time.sleep(6)
        assert wrong.stop() == 0
        logins = inbox.logins
        rows = {n.key: n for n in ledger_rows(url)}
        waiting = [rows[p.key] for p in notices]
        assert all(n.status is NoticeStatus.PENDING and n.attempts == 0 for n in waiting)
        said = [n.last_error for n in waiting if n.last_error]
        assert said
        assert all("SMTP login refused for followup" in reason for reason in said)
        assert wrong.stderr.count("the email channel is unavailable: SMTP login refused") == 1

        # The right password, and the dead ones retried.
        retried = run_cli(config, "retry")
        assert f"Pending again, sent at the daemon's next round ({SEED_OVERDUE})" in (
            retried.stdout)
        last = daemons(config, "last", env=right)
        expected = len(notices) + SEED_OVERDUE
        wait_for(lambda: len(keys_received(inbox)) >= expected, what="every notice")
        assert last.stop() == 0
    received = keys_received(inbox)
    assert len(received) == sum(received.values()) == expected
    # One login per pause (doubling from 0.5 s to 2 s over 6 s), not one per notice;
    # smtplib tries each mechanism the server offers (PLAIN, LOGIN) before giving up.
    assert logins <= 2 * 8, f"{logins} login attempts in 6 s"


def test_sigterm_during_start_up_is_a_clean_stop(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    run_cli(config, "init")
    stderr_path = tmp_path / "daemon.err"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen([FOLLOWUP, "daemon"], stdout=subprocess.DEVNULL,
                                   stderr=stderr,
                                   env={**os.environ, "FOLLOWUP_CONFIG": str(config)})
    try:
        deadline = time.monotonic() + 30
        while "starting on" not in stderr_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.001)
        process.send_signal(signal.SIGTERM)  # while it catches up and plans
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    err = stderr_path.read_text()
    assert "stopped" in err
    assert "Traceback" not in err
