"""A real SMTP server on loopback for the tests (aiosmtpd), and what it received."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """Collects what the server accepts; ``reply`` can make it refuse instead."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    reply: str = "250 OK"
    delay: float = 0.0
    #: Login attempts, right or wrong.
    logins: int = 0
    #: Called with each accepted message before the server answers 250.
    on_message: Callable[[EmailMessage], None] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
            if self.on_message is not None:
                self.on_message(message)  # type: ignore[arg-type]
        return self.reply

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class _Login:
    def __init__(self, inbox: Inbox, user: str, password: str) -> None:
        self.inbox = inbox
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 data: Any) -> AuthResult:
        self.inbox.logins += 1
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            self.user, self.password)
        return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(inbox: Inbox, port: int | None = None, *, starttls: ssl.SSLContext | None = None,
                implicit_tls: ssl.SSLContext | None = None,
                login: tuple[str, str] | None = None) -> Iterator[int]:
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    if implicit_tls is not None:
        kwargs.update(ssl_context=implicit_tls)
    if login is not None:
        kwargs.update(authenticator=_Login(inbox, *login), auth_required=True,
                      auth_require_tls=starttls is not None or implicit_tls is not None)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
