"""``followup check --send-test AUDIENCE`` as a real process: a test notice through each of
the audience's channels (a real SMTP server on loopback, up and down, and the log channel),
one line per channel, exit 2 if any failed, and nothing in the ledger."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from events.model import Notice
from events.store import Store
from tests.system.daemons import email_channel, run_cli, write_config
from tests.system.smtp import Inbox, free_port, smtp_server
from tests.system.webhook import Endpoint, webhook


def _notices(url: str) -> list[tuple[str, str]]:
    store = Store(url)
    try:
        with store.transaction(write=False) as session:
            return [(n.key, str(n.status)) for n in session.scalars(
                select(Notice).order_by(Notice.id))]
    finally:
        store.dispose()


def _setup(tmp_path: Path, port: int) -> tuple[Path, str]:
    config = write_config(tmp_path, channels='["email", "log"]', extra=email_channel(port))
    run_cli(config, "init")
    return config, f"sqlite:///{tmp_path / 'register.db'}"


def test_a_test_notice_through_every_channel(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config, url = _setup(tmp_path, port)
        before = _notices(url)
        result = run_cli(config, "check", "--send-test", "desk", check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    at = lines.index("sending a test notice ([followup test]) to desk through each of its "
                     "channels:")
    assert lines[at + 1:] == [
        f"  email (none, 127.0.0.1:{port}): ok",
        f"  log (json, {tmp_path / 'notices.jsonl'}): ok",
    ]
    [mail] = inbox.messages
    assert str(mail["Subject"]).startswith("[followup test] ")
    assert str(mail["To"]) == "desk@example.org"
    assert "followup check --send-test desk" in mail.get_body(("plain",)).get_content()
    [logged] = [json.loads(line) for line in (tmp_path / "notices.jsonl").read_text()
                .splitlines()]
    assert logged["subject"].startswith("[followup test] ")
    assert logged["kind"] == "test"
    assert _notices(url) == before  # no ledger row written, none changed


def test_a_server_that_is_down_fails_in_one_line_and_the_others_are_tried(
        tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    config, url = _setup(tmp_path, port)
    before = _notices(url)
    result = run_cli(config, "check", "--send-test", "desk", check=False)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    [email] = [line for line in lines if line.startswith("  email ")]
    assert email.startswith(f"  email (none, 127.0.0.1:{port}): failed: cannot reach "
                            f"127.0.0.1:{port}: ")
    assert "Connection refused" in email
    assert f"  log (json, {tmp_path / 'notices.jsonl'}): ok" in lines
    assert result.stderr == ("followup: the test notice to desk failed through email (1 of 2 "
                             "channels): see above\n")
    assert (tmp_path / "notices.jsonl").read_text().count("[followup test]") == 1
    assert _notices(url) == before
    assert "Traceback" not in result.stdout + result.stderr


def test_a_refusal_is_the_servers_reply_in_one_line(tmp_path: Path) -> None:
    inbox = Inbox(reply="554 5.7.1 Message rejected by policy")
    with smtp_server(inbox) as port:
        config, _ = _setup(tmp_path, port)
        result = run_cli(config, "check", "--send-test", "desk", check=False)
    assert result.returncode == 2
    [email] = [line for line in result.stdout.splitlines() if line.startswith("  email ")]
    assert email.startswith(f"  email (none, 127.0.0.1:{port}): failed: the server refused "
                            "it: 554 5.7.1 Message rejected")
    assert not inbox.messages


def test_an_unknown_audience_is_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = run_cli(config, "check", "--send-test", "press", check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("followup: Invalid value for '--send-test': no audience 'press' "
                             "is configured (configured: desk) (see 'followup check --help')\n")
    assert not (tmp_path / "notices.jsonl").exists()


def test_without_send_test_nothing_is_sent(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config, _ = _setup(tmp_path, port)
        result = run_cli(config, "check", check=False)
    assert result.returncode == 0
    assert not inbox.messages
    assert "[followup test]" not in result.stdout


def test_through_apprise_to_a_real_endpoint_up_and_refusing(tmp_path: Path) -> None:
    apprise = '[channels.apprise]\ntimeout = 1.5\n[channels.apprise.urls_env]\ndesk = "DESK_URLS"\n'
    config = write_config(tmp_path, channels='["apprise"]', extra=apprise)
    with webhook() as endpoint:
        result = run_cli(config, "check", "--send-test", "desk",
                         env={"DESK_URLS": endpoint.url()}, check=False)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("  apprise")]
    assert line.endswith(": ok")
    [post] = endpoint.posts
    assert post.body["title"].startswith("[followup test] ")
    assert "followup check --send-test desk" in post.body["message"]

    with webhook(Endpoint(status=403)) as endpoint:
        result = run_cli(config, "check", "--send-test", "desk",
                         env={"DESK_URLS": endpoint.url()}, check=False)
    assert result.returncode == 2
    [line] = [line for line in result.stdout.splitlines() if line.startswith("  apprise")]
    assert ": failed: " in line and "403" in line, line
    assert endpoint.url() not in result.stdout + result.stderr  # a URL may carry a token
