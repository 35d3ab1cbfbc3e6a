"""Where notices go. A channel is one small class; adding one is adding a class here.

``send`` either returns (delivered) or raises one of three failures:

- :class:`TryAgain`: this notice failed in a way that may pass (a 4xx reply to it): it is
  retried with backoff and counts an attempt;
- :class:`GiveUp`: the receiving side refused this notice for good (a 5xx reply to it): it
  is dead, the reply kept;
- :class:`ChannelDown`: the channel itself cannot be used (the server cannot be reached, the
  login or TLS fails, the sender is refused): nothing is wrong with the notice, so it waits
  without an attempt counted, and the whole channel pauses (``scheduler/breaker.py``).

The dispatcher calls ``idle`` when a batch is done, so a channel holds a connection for one
batch at a time rather than leaving one open for a server to drop between batches.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import smtplib
import ssl
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import IO, ClassVar

from events.errors import ConfigError, FollowupError
from scheduler.config import (
    AppriseChannelConfig,
    ChannelConfig,
    Config,
    EmailChannelConfig,
    LogChannelConfig,
)


class DeliveryFailure(FollowupError):
    """A notice could not be delivered; the message says why, for the ledger and the log."""


class TryAgain(DeliveryFailure):
    """This notice failed in a way that may pass: busy, a 4xx reply to it."""


class GiveUp(DeliveryFailure):
    """The receiving side refused this notice for good (a 5xx reply to it)."""


class ChannelDown(DeliveryFailure):
    """The channel cannot be used at all for now; no notice is at fault."""


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    audience: str
    followup_id: str | None
    due: datetime
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    late: bool
    #: A short Markdown form, for chat services; empty when the templates have none.
    markdown: str = ""


#: The forms of a notice other than its subject and text (which every channel gets).
ALL_FORMS: frozenset[str] = frozenset({"html", "markdown"})
#: What each kind of channel sends besides the text.
LINE_FORMS: frozenset[str] = frozenset()
MAIL_FORMS: frozenset[str] = frozenset({"html"})
CHAT_FORMS: frozenset[str] = frozenset({"markdown"})


class Channel(ABC):
    name: ClassVar[str]
    #: The forms it sends besides the text: only those are rendered for it.
    forms: ClassVar[frozenset[str]] = ALL_FORMS
    #: Whether what it sends shows where the daemon's log is written (so the log need not
    #: repeat the notice).
    seen_in_log: bool = False

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver one message, or raise TryAgain or GiveUp."""

    def describe(self) -> str:
        return self.name

    def idle(self) -> None:  # noqa: B027 - most channels hold nothing open
        """A batch is done: let go of connections until the next one."""

    def close(self) -> None:
        """Let go of connections and files for good."""
        self.idle()


class LogChannel(Channel):
    """One line per notice, carrying its key, to standard output or a file."""

    name = "log"
    forms = LINE_FORMS

    def __init__(self, config: LogChannelConfig, base_dir: Path) -> None:
        self.config = config
        self.path = None if config.path == "-" else base_dir / config.path
        self._stream: IO[str] | None = None
        self._lock = threading.Lock()
        self.seen_in_log = self.path is None and _same_file(sys.stdout, sys.stderr)

    def describe(self) -> str:
        return f"log ({self.config.format}, {self.path or 'standard output'})"

    def _out(self) -> IO[str]:
        if self.path is None:
            return sys.stdout
        if self._stream is None:
            try:
                self._stream = self.path.open("a", encoding="utf-8")
            except OSError as error:
                raise ChannelDown(f"cannot open {self.path}: {error.strerror}") from None
        return self._stream

    def send(self, message: Message) -> None:
        if self.config.format == "json":
            line = json.dumps({
                "key": message.key, "kind": message.kind, "audience": message.audience,
                "followup": message.followup_id, "due": message.due.isoformat(),
                "late": message.late, "subject": message.subject, "text": message.text,
                "logged_at": datetime.now(UTC).isoformat(),
            }, ensure_ascii=False)
        else:
            late = " (late)" if message.late else ""
            line = f"{message.due:%Y-%m-%dT%H:%M:%SZ} [{message.key}]{late} {message.subject}"
        with self._lock:
            try:
                out = self._out()
                out.write(line + "\n")
                out.flush()
            except OSError as error:
                raise ChannelDown(f"cannot write the log: {error.strerror}") from None

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _same_file(one: IO[str], other: IO[str]) -> bool:
    """Whether two streams write to one file, terminal or journal connection."""
    try:
        a, b = os.fstat(one.fileno()), os.fstat(other.fileno())
    except (OSError, ValueError, AttributeError):
        return False  # not a real file (captured, closed): nothing is shared
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


#: Headers folded only past the 998 octets RFC 5322 allows, not at 78: the standard library's
#: folding of a long subject with an encoded word in it doubles a space or puts one in
#: front ("confirmed:  23–24 November"), which mail clients then show.
_MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


class EmailChannel(Channel):
    """SMTP with STARTTLS, implicit TLS or none; multipart text and HTML."""

    name = "email"
    forms = MAIL_FORMS

    def __init__(self, config: EmailChannelConfig, env: Mapping[str, str]) -> None:
        self.config = config
        self.password = env.get(config.password_env) if config.password_env else None
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"email ({self.config.security}, {self.config.host}:{self.config.port})"

    def message_id(self, key: str) -> str:
        # The same notice always has the same Message-ID, so a duplicate can be recognised.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        domain = self.config.sender.rpartition("@")[2] or "followup.invalid"
        return f"<{digest}@{domain}>"

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage(policy=_MAIL_POLICY)
        mail["Subject"] = message.subject
        mail["From"] = self.config.sender
        mail["To"] = ", ".join(message.recipients)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = self.message_id(message.key)
        mail["X-Followup-Key"] = message.key
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: Message) -> None:
        mail = self.compose(message)
        with self._lock:
            reused = self._smtp is not None
            try:
                self._transmit(mail)
            except ChannelDown:
                if not reused:
                    raise
                # Servers close connections they think idle or have used enough: a dropped
                # connection that had already carried mail is opened once more.
                self._transmit(mail)

    def _transmit(self, mail: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        where = f"{self.config.host}:{self.config.port}"
        try:
            refused = self._smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            replies = "; ".join(f"{rcpt}: {code} {text.decode(errors='replace')}"
                                for rcpt, (code, text) in error.recipients.items())
            if all(code >= 500 for code, _ in error.recipients.values()):
                raise GiveUp(f"every recipient refused: {replies}") from None
            raise TryAgain(f"recipients refused: {replies}") from None
        except smtplib.SMTPSenderRefused as error:
            self._drop()
            raise ChannelDown(f"{where} refused the sender {self.config.sender}: "
                              f"{_reply(error)}; check channels.email.sender") from None
        except smtplib.SMTPDataError as error:
            self._drop()
            if error.smtp_code >= 500:
                raise GiveUp(f"the server refused it: {_reply(error)}") from None
            raise TryAgain(f"the server deferred it: {_reply(error)}") from None
        except smtplib.SMTPNotSupportedError as error:
            self._drop()
            raise GiveUp(f"the server cannot take it: {error}") from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise ChannelDown(f"{where} answered {_reply(error)}") from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise ChannelDown(f"lost the connection to {where}: {_describe(error)}") from None
        if refused:
            # Some recipients took it; the rest are reported, not retried (that would
            # send it again to those who have it).
            raise GiveUp(f"some recipients refused: {refused}")

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        where = f"{config.host}:{config.port}"
        smtp: smtplib.SMTP | None = None
        try:
            context = ssl.create_default_context(cafile=config.ca_file)
            if config.security == "tls":
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                        context=context)
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
                if config.security == "starttls":
                    smtp.starttls(context=context)
            if config.username:
                self._login(smtp)
            return smtp
        except ChannelDown:
            _close(smtp)
            raise
        except smtplib.SMTPNotSupportedError as error:
            _close(smtp)
            raise ChannelDown(f"{where} does not offer {_missing(error)}") from None
        except ssl.SSLError as error:
            _close(smtp)
            raise ChannelDown(f"TLS with {where} failed: {_describe(error)}; check "
                              "channels.email.security and ca_file") from None
        except smtplib.SMTPResponseException as error:
            _close(smtp)
            raise ChannelDown(f"{where} answered {_reply(error)}") from None
        except (smtplib.SMTPException, OSError) as error:
            _close(smtp)
            raise ChannelDown(f"cannot reach {where}: {_describe(error)}") from None

    def _login(self, smtp: smtplib.SMTP) -> None:
        config = self.config
        if self.password is None:
            raise ChannelDown(f"no SMTP password: set the environment variable "
                              f"{config.password_env or '(password_env is not set)'}")
        try:
            smtp.login(config.username or "", self.password)
        except smtplib.SMTPAuthenticationError as error:
            # A wrong password is the operator's to fix; no notice is at fault.
            raise ChannelDown(
                f"SMTP login refused for {config.username} at {config.host}:{config.port}: "
                f"{_reply(error)}; check channels.email.username and the password in "
                f"{config.password_env}") from None

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        _close(smtp)

    def idle(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._drop()


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


def _missing(error: smtplib.SMTPNotSupportedError) -> str:
    text = str(error)
    if "STARTTLS" in text.upper():
        return 'STARTTLS: set channels.email.security to "tls" or "none"'
    if "AUTH" in text.upper():
        return ("a login (AUTH): remove channels.email.username, or use security = "
                '"starttls" where the server offers a login only after STARTTLS')
    return f"what it needs: {text}"


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) \
        else str(error.smtp_error)
    return f"{error.smtp_code} {text}"


def forms_of(channel_config: ChannelConfig) -> frozenset[str]:
    """The forms a channel configured by ``channel_config`` renders besides the text, known
    without opening it (a rehearsal stands in for channels it never opens)."""
    if isinstance(channel_config, AppriseChannelConfig):
        return CHAT_FORMS
    if isinstance(channel_config, LogChannelConfig):
        return LINE_FORMS
    return MAIL_FORMS


def open_channels(config: Config, env: Mapping[str, str]) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    problems: list[str] = []
    for name, channel_config in config.channels.items():
        channels[name] = _open(channel_config, config, env, problems)
    if problems:
        raise ConfigError(str(config.path or "configuration"), problems)
    return channels


def _open(channel_config: ChannelConfig, config: Config, env: Mapping[str, str],
          problems: list[str]) -> Channel:
    if isinstance(channel_config, AppriseChannelConfig):
        from scheduler.apprise_channel import AppriseChannel

        return AppriseChannel.open(channel_config, env, problems)
    if isinstance(channel_config, LogChannelConfig):
        channel = LogChannel(channel_config, config.base_dir)
        # JSON lines are read by programs, which want every sent record, repeated or not.
        channel.seen_in_log = channel.seen_in_log and config.log.format == "text"
        if channel.path is not None and not channel.path.parent.is_dir():
            problems.append(f"channels.log.path: the folder {channel.path.parent} does not "
                            "exist: create it, or choose a path in a folder that does")
        return channel
    if channel_config.ca_file is not None:
        ca_file = config.base_dir / channel_config.ca_file
        if not ca_file.is_file():
            problems.append(f"channels.email.ca_file: no such file {ca_file}")
        channel_config = replace(channel_config, ca_file=str(ca_file))
    if channel_config.username and channel_config.password_env and \
            channel_config.password_env not in env:
        problems.append(f"channels.email.password_env: the environment variable "
                        f"{channel_config.password_env} is not set")
    return EmailChannel(channel_config, env)


__all__ = ["Channel", "ChannelDown", "DeliveryFailure", "EmailChannel", "GiveUp", "LogChannel",
           "Message", "TryAgain", "forms_of", "open_channels"]
