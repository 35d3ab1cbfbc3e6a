"""Change notices from real daemons: a confirmed date is told at once, by one daemon of two
sharing a PostgreSQL register, to a real SMTP server."""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from tests.system.daemons import (
    Daemon,
    daemons,
    email_channel,
    run_cli,
    wait_for,
    write_config,
)
from tests.system.smtp import Inbox, smtp_server

__all__ = ["daemons"]  # the fixture, used by name


def changes_in(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if str(m["X-Followup-Key"]).startswith("*/change/")]


def test_a_confirmed_date_is_told_within_seconds_once_by_two_daemons(
        tmp_path: Path, daemons: Callable[..., Daemon], postgres_schema_url: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configs = [write_config(tmp_path / name, database=postgres_schema_url,
                                channels='["email"]', extra=email_channel(port))
                   for name in ("a", "b")]
        for config in configs:
            config.write_text(config.read_text().replace(
                "lead_days = [0]", "lead_days = [0]\nchange_quiet_minutes = 0"))
        run_cli(configs[0], "init")
        a, b = daemons(configs[0], "a"), daemons(configs[1], "b")
        a.wait_started()
        b.wait_started()
        wait_for(lambda: len(inbox.messages) >= 3, what="the start-up notices")
        run_cli(configs[0], "confirm", "temm-21", "--on", "2019-11-23..2019-11-24",
                "--location", "Kitakyushu")
        changed = time.monotonic()  # committed: the command has exited
        wait_for(lambda: bool(changes_in(inbox)), what="the change notice")
        took = time.monotonic() - changed
        time.sleep(1.5)  # time enough for a second copy to show itself
        assert a.stop() == 0
        assert b.stop() == 0
    [message] = changes_in(inbox)
    assert took < 3, f"{took:.1f} s from the change to the mail"
    subject = str(message["Subject"])
    assert subject.startswith("21st Tripartite Environment Ministers Meeting (TEMM 21) confirmed: ")
    assert "23" in subject and "24 November 2019, Kitakyushu" in subject
    assert subject.endswith("; 2 follow-ups moved with it")
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "status: expected -> scheduled" in text
    assert "Why:  followup confirm temm-21 --on 2019-11-23..2019-11-24" in text
    assert "Moved with it:" in text
    assert text.index("Moved with it:") < text.index("ltp-report")
