"""Email delivery against a real SMTP server on loopback."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from events.ledger import Ledger, Planner, PlanSettings
from events.model import NoticeStatus
from events.planning import Audience, Policy
from events.register import Register, standard_bus
from events.seed import load_seed
from events.store import Store
from scheduler.channels import EmailChannel, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig, EmailChannelConfig
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates
from tests.system.smtp import Inbox, free_port, smtp_server

DUE = datetime(2019, 11, 16, 0, 0, tzinfo=UTC)


def message(key: str = "temm-21/lead/2019-11-16T00:00:00Z/desk/email") -> Message:
    return Message(key=key, kind="lead", audience="desk", followup_id="temm-21", due=DUE,
                   recipients=("desk@example.org", "chief@example.org"),
                   subject="TEMM 21: in 7 days", text="Plain words.\n",
                   html="<p>Plain <b>words</b>.</p>", late=False)


def channel(port: int, **overrides: object) -> EmailChannel:
    config = EmailChannelConfig(**{"host": "127.0.0.1", "port": port, "security": "none",
                                   "sender": "followup@mofa.example", "timeout": 5,
                                   **overrides})  # type: ignore[arg-type]
    return EmailChannel(config, {"SMTP_PASSWORD": "right"})


def test_a_mail_has_both_parts_the_headers_and_a_message_id_from_its_key() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        email = channel(port)
        email.send(message())
        email.close()
    [mail] = inbox.messages
    assert mail["Subject"] == "TEMM 21: in 7 days"
    assert mail["From"] == "followup@mofa.example"
    assert mail["To"] == "desk@example.org, chief@example.org"
    assert mail["X-Followup-Key"] == "temm-21/lead/2019-11-16T00:00:00Z/desk/email"
    assert mail["Message-ID"] == email.message_id(message().key)
    assert mail["Message-ID"].endswith("@mofa.example>")
    assert mail.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content().replace("\r\n", "\n")
             for part in mail.iter_parts()}
    assert parts == {"text/plain": "Plain words.\n", "text/html": "<p>Plain <b>words</b>.</p>\n"}
    assert inbox.envelopes[0].rcpt_tos == ["desk@example.org", "chief@example.org"]
    # the same notice always gets the same Message-ID; another notice another one
    assert email.message_id(message().key) == mail["Message-ID"]
    assert email.message_id("other") != mail["Message-ID"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_starttls_with_login(ca: trustme.CA, ca_file: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox, starttls=server_context(ca), login=("followup", "right")) as port:
        email = channel(port, security="starttls", username="followup",
                        password_env="SMTP_PASSWORD", ca_file=ca_file)
        email.send(message())
        email.close()
    assert len(inbox.messages) == 1


def test_implicit_tls(ca: trustme.CA, ca_file: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox, implicit_tls=server_context(ca)) as port:
        email = channel(port, security="tls", ca_file=ca_file)
        email.send(message())
        email.close()
    assert len(inbox.messages) == 1


def test_a_wrong_password_is_retried_not_given_up(ca: trustme.CA, ca_file: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox, starttls=server_context(ca), login=("followup", "other")) as port:
        email = channel(port, security="starttls", username="followup",
                        password_env="SMTP_PASSWORD", ca_file=ca_file)
        with pytest.raises(TryAgain, match="SMTP login refused for followup: 535"):
            email.send(message())
    assert inbox.messages == []


def test_a_permanent_refusal_gives_up_with_the_reply() -> None:
    inbox = Inbox(reply="554 5.7.1 Message rejected as spam")
    with smtp_server(inbox) as port, pytest.raises(GiveUp, match=r"554 5\.7\.1 Message rejected"):
        channel(port).send(message())


def test_a_temporary_refusal_is_retried() -> None:
    inbox = Inbox(reply="451 4.3.0 Try again later")
    with smtp_server(inbox) as port, pytest.raises(TryAgain, match=r"451 4\.3\.0"):
        channel(port).send(message())


def test_a_server_that_is_down_is_retried() -> None:
    with pytest.raises(TryAgain, match=r"cannot reach 127\.0\.0\.1"):
        channel(free_port()).send(message())


# -- through the dispatcher and the ledger ---------------------------------------------------

SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul",
                                            channels=("email",),
                                            recipients=("desk@example.org",),
                                            tags=frozenset({"jcec"})),),
                        default=Policy())
DELIVERY = DeliveryConfig(backoff_seconds=30, backoff_cap_seconds=600, max_attempts=3,
                          lease_seconds=60)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'register.db'}")
    store.prepare()
    bus = standard_bus()
    Planner(SETTINGS).subscribe(bus)
    with store.transaction(write=True) as session:
        load_seed(Register(session, now=datetime(2019, 1, 24, tzinfo=UTC), bus=bus))
    yield store
    store.dispose()


def deliver(store: Store, port: int, clock: Clock) -> int:
    """Run a dispatcher once, as the daemon's dispatch job does; the notices it handled."""
    email = channel(port)
    dispatcher = Dispatcher(store, SETTINGS, DELIVERY, {"email": email}, Templates(),
                            owner="test", clock=clock, rng=lambda: 1.0)
    try:
        return dispatcher.run()
    finally:
        email.close()


def ledger(store: Store, clock: Clock):  # type: ignore[no-untyped-def]
    with store.transaction(write=False) as session:
        return Ledger(session, SETTINGS, clock()).listing()


def test_smtp_down_then_up_is_delivered_after_backoff(store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    port = free_port()
    assert deliver(store, port, clock) == 2  # the two jcec notices due then: both fail
    failed = [n for n in ledger(store, clock) if n.status is NoticeStatus.FAILED]
    assert len(failed) == 2
    assert all(n.next_attempt == first_due + timedelta(seconds=30) for n in failed)
    assert "cannot reach 127.0.0.1" in (failed[0].last_error or "")

    inbox = Inbox()
    with smtp_server(inbox, port):
        clock.now = first_due + timedelta(seconds=10)  # still backing off
        assert deliver(store, port, clock) == 0
        clock.now = first_due + timedelta(seconds=31)
        assert deliver(store, port, clock) == 2
    sent = [n for n in ledger(store, clock) if n.status is NoticeStatus.SENT]
    assert {n.key for n in sent} == {n.key for n in failed}
    assert all(n.attempts == 2 and n.subject and n.body_text and n.body_html for n in sent)
    assert sorted(inbox.message_ids()) == sorted(
        channel(port).message_id(n.key) for n in sent)
    assert "Ask the Chinese side for the date of the 24th Joint Committee." in str(
        inbox.messages[0])


def test_a_permanent_refusal_makes_the_notice_dead_with_the_reply(store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    inbox = Inbox(reply="550 5.1.1 desk@example.org: no such user")
    with smtp_server(inbox) as port:
        deliver(store, port, clock)
    dead = [n for n in ledger(store, clock) if n.status is NoticeStatus.DEAD]
    assert len(dead) == 2
    assert dead[0].last_error == (
        "the server refused it: 550 5.1.1 desk@example.org: no such user")


def test_retries_stop_after_the_last_attempt(store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    port = free_port()
    for _ in range(DELIVERY.max_attempts):
        deliver(store, port, clock)
        clock.now += timedelta(seconds=DELIVERY.backoff_cap_seconds + 1)
    dead = [n for n in ledger(store, clock) if n.status is NoticeStatus.DEAD]
    assert len(dead) == 2
    assert (dead[0].last_error or "").startswith("gave up after 3 attempts: cannot reach")
