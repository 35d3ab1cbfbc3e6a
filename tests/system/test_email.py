"""Email delivery against a real SMTP server on loopback."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from events.ledger import PlanSettings
from events.model import NoticeStatus
from events.planning import Audience, Policy
from events.queue import Queue
from events.store import Store
from scheduler.channels import ChannelDown, EmailChannel, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig, EmailChannelConfig
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates
from tests.system.seeded import Clock, seeded_store
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


@pytest.mark.parametrize("subject", [
    "21st Tripartite Environment Ministers Meeting (TEMM 21) confirmed: 23–24 November 2019, "
    "Kitakyushu; 2 follow-ups moved with it",
    "ROK–China Environment Ministers’ Meeting, reporting the working-level results: in 7 days,"
    " on temm-21’s dates",
    "Launch of the air-quality forecasting information and technology exchange programme: "
    "window closes 31 December 2019, no date yet",
])
def test_a_long_subject_arrives_as_it_was_written(subject: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        email = channel(port)
        email.send(replace(message(), subject=subject))
        email.close()
    [mail] = inbox.messages
    assert str(mail["Subject"]) == subject  # no space doubled, none in front


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


def test_a_wrong_password_is_the_channel_s_fault_not_the_notice_s(
        ca: trustme.CA, ca_file: str) -> None:
    inbox = Inbox()
    with smtp_server(inbox, starttls=server_context(ca), login=("followup", "other")) as port:
        email = channel(port, security="starttls", username="followup",
                        password_env="SMTP_PASSWORD", ca_file=ca_file)
        with pytest.raises(ChannelDown, match=(
                rf"SMTP login refused for followup at 127\.0\.0\.1:{port}: 535 .*check "
                r"channels\.email\.username and the password in SMTP_PASSWORD")):
            email.send(message())
    assert inbox.messages == []


def test_a_server_that_offers_no_login_says_so(ca: trustme.CA, ca_file: str) -> None:
    # The server offers AUTH only after STARTTLS; without it, a login cannot even start.
    with smtp_server(Inbox(), starttls=server_context(ca), login=("followup", "right")) as port:
        email = channel(port, security="none", username="followup",
                        password_env="SMTP_PASSWORD")
        with pytest.raises(ChannelDown, match=r"does not offer a login \(AUTH\)"):
            email.send(message())


def test_a_permanent_refusal_gives_up_with_the_reply() -> None:
    inbox = Inbox(reply="554 5.7.1 Message rejected as spam")
    with smtp_server(inbox) as port, pytest.raises(GiveUp, match=r"554 5\.7\.1 Message rejected"):
        channel(port).send(message())


def test_a_temporary_refusal_is_retried() -> None:
    inbox = Inbox(reply="451 4.3.0 Try again later")
    with smtp_server(inbox) as port, pytest.raises(TryAgain, match=r"451 4\.3\.0"):
        channel(port).send(message())


def test_a_server_that_is_down_is_the_channel_s_fault() -> None:
    with pytest.raises(ChannelDown, match=r"cannot reach 127\.0\.0\.1"):
        channel(free_port()).send(message())


def test_a_connection_is_held_for_a_batch_and_reopened_once_if_dropped() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        email = channel(port)
        email.send(message("a"))
        email.send(message("b"))  # the same connection
        assert email._smtp is not None
        email._smtp.sock.close()  # as a server closing an idle connection would
        email.send(message("c"))  # opened again, not a failure of "c"
        email.idle()
        assert email._smtp is None
    assert [m["X-Followup-Key"] for m in inbox.messages] == ["a", "b", "c"]


# -- through the dispatcher and the ledger ---------------------------------------------------

SETTINGS = PlanSettings(audiences=(Audience("desk", timezone="Asia/Seoul",
                                            channels=("email",),
                                            recipients=("desk@example.org",),
                                            tags=frozenset({"jcec", "temm"})),),
                        default=Policy())
DELIVERY = DeliveryConfig(backoff_seconds=30, backoff_cap_seconds=600, max_attempts=3,
                          lease_seconds=60)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = seeded_store(tmp_path, SETTINGS)
    yield store
    store.dispose()


def dispatcher(store: Store, port: int, clock: Clock) -> Dispatcher:
    """A dispatcher as the daemon keeps one: ``run`` is what its round job sends with."""
    return Dispatcher(store, SETTINGS, DELIVERY, {"email": channel(port)}, Templates(),
                      owner="test", clock=clock, rng=lambda: 1.0)


def deliver(store: Store, port: int, clock: Clock) -> int:
    """Run a fresh dispatcher once; the notices it tried."""
    return dispatcher(store, port, clock).run()


def ledger(store: Store, clock: Clock):  # type: ignore[no-untyped-def]
    with store.transaction(write=False) as session:
        return Queue(session, clock()).listing()


def test_smtp_down_pauses_the_channel_then_delivers_without_using_attempts(
        store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    port = free_port()
    email = dispatcher(store, port, clock)
    assert email.run() == 0  # the server cannot be reached: nothing was tried
    waiting = [n for n in ledger(store, clock) if n.due <= first_due]
    assert len(waiting) == 2  # the windows of TEMM 21 and the Joint Committee open then
    assert all(n.status is NoticeStatus.PENDING and n.attempts == 0 for n in waiting)
    assert all((n.last_error or "").startswith(
        "waiting for the email channel: cannot reach 127.0.0.1") for n in waiting)
    # paused for the first backoff (30 s with this jitter): not a busy loop
    assert email.next_due() == first_due + timedelta(seconds=30)

    inbox = Inbox()
    with smtp_server(inbox, port):
        clock.now = first_due + timedelta(seconds=10)  # still paused
        assert email.run() == 0
        assert inbox.messages == []
        clock.now = first_due + timedelta(seconds=31)
        assert email.run() == 2
    sent = [n for n in ledger(store, clock) if n.status is NoticeStatus.SENT]
    assert {n.key for n in sent} == {n.key for n in waiting}
    assert all(n.attempts == 1 and n.subject and n.body_text and n.body_html for n in sent)
    assert all(n.last_error is None for n in sent)
    assert sorted(inbox.message_ids()) == sorted(
        channel(port).message_id(n.key) for n in sent)
    assert any("Ask the Chinese side for the date of the 24th Joint Committee." in str(m)
               for m in inbox.messages)


def test_an_outage_longer_than_the_retry_budget_kills_no_notice(store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    email = dispatcher(store, free_port(), clock)
    pauses = []
    for _ in range(3 * DELIVERY.max_attempts):
        email.run()
        resume = email.next_due()
        assert resume is not None
        pauses.append(resume - clock.now)
        clock.now = resume
    rows = ledger(store, clock)
    assert not [n for n in rows if n.status is NoticeStatus.DEAD]
    assert all(n.attempts == 0 for n in rows)
    # the pause doubles up to the cap
    assert pauses[:3] == [timedelta(seconds=30), timedelta(seconds=60),
                          timedelta(seconds=120)]
    assert max(pauses) == timedelta(seconds=DELIVERY.backoff_cap_seconds)


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


def test_retries_of_a_deferred_notice_stop_after_the_last_attempt(store: Store) -> None:
    first_due = min(n.due for n in ledger(store, Clock(DUE)))
    clock = Clock(first_due)
    delays = []
    with smtp_server(Inbox(reply="451 4.3.0 Try again later")) as port:
        for attempt in range(1, DELIVERY.max_attempts + 1):
            assert deliver(store, port, clock) == 2
            failed = [n for n in ledger(store, clock) if n.attempts == attempt]
            assert len(failed) == 2
            delays.append(failed[0].next_attempt - clock.now)
            clock.now += timedelta(seconds=DELIVERY.backoff_cap_seconds + 1)
    dead = [n for n in ledger(store, clock) if n.status is NoticeStatus.DEAD]
    assert len(dead) == 2
    assert dead[0].last_error == (
        "gave up after 3 attempts: the server deferred it: 451 4.3.0 Try again later")
    # each wait doubles (the last attempt has none: it is the end)
    assert delays[:2] == [timedelta(seconds=30), timedelta(seconds=60)]
