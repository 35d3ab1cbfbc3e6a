"""Notices through Apprise: Slack, Microsoft Teams, Matrix, Telegram, a webhook, and the
other services Apprise knows, each named by a URL.

Each audience has its own URLs, read from the environment variable that
``[channels.apprise.urls_env]`` names for it (one or more, separated by spaces, commas or
new lines, as Apprise's own ``APPRISE_URLS``): the URLs carry the services' tokens, so they
never stand in config.toml, nor in a log line or a ledger entry (those name the service, and
a webhook's host or else the URL's place in its variable).

The title is the notice's subject, the body its short Markdown form (``templates/*.md``).

Apprise's ``notify`` says only whether it worked. What went wrong is read from what the
service's plugin logs while it sends, on this thread: the HTTP status (``error=503``) or the
exception (a read that timed out, a connection refused), and mapped to the outcomes of
``scheduler/channels.py``:

- a 5xx, 408 or 429 reply, no reply within the timeout, or an address that cannot be
  reached: :class:`TryAgain` (counts an attempt; dead after ``delivery.max_attempts``).
  One unreachable service does not pause the channel as a whole, as a mail server does:
  the channel carries many services, and one audience's broken URL must not hold up the
  others' notices;
- any other 4xx (or 3xx) reply: :class:`GiveUp`, with the reply kept;
- a failure that says neither: :class:`TryAgain`, with Apprise's words.

A notice goes to each of its audience's URLs in turn. When some took it and another failed,
the retry goes only to those that did not (remembered by this process: a daemon restarted
between two tries sends it again to all).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from scheduler.channels import CHAT_FORMS, Channel, ChannelDown, GiveUp, Message, TryAgain
from scheduler.config import AppriseChannelConfig

__all__ = ["AppriseChannel", "Failure", "judge", "split_urls"]

_URL_SEPARATORS = re.compile(r"[\s,]+")
#: How Apprise's plugins report an HTTP reply they did not like: "..., error=503."
_STATUS = re.compile(r"\berror=([1-5]\d\d)\b")
_ERROR_CODE = re.compile(r",?\s*error=\d+\.?\s*$")
_SOCKET = "Socket Exception:"
_READ_TIMEOUT = re.compile(r"read timed out|ReadTimeout", re.IGNORECASE)
#: Apprise's generic webhooks, whose host is no secret.
_WEBHOOKS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
#: Replies that say "later", not "never".
_TRANSIENT = frozenset({408, 425, 429})


def split_urls(value: str) -> list[str]:
    return [url for url in _URL_SEPARATORS.split(value) if url]


@dataclass(frozen=True)
class Failure:
    """What one URL's send came to: retry (``final`` False) or give up, and why."""

    final: bool
    reason: str


def judge(worked: bool, lines: Sequence[tuple[int, str]], timeout: float) -> Failure | None:
    """The outcome of one send, from Apprise's answer and the (level, message) lines its
    plugin logged meanwhile; None when it was delivered."""
    if worked:
        return None
    said = [message for level, message in lines if level >= logging.WARNING]
    words = _ERROR_CODE.sub("", said[-1]) if said else "the service did not take it"
    for _, message in reversed(lines):
        found = _STATUS.search(message)
        if found is not None:
            status = int(found.group(1))
            if status >= 500 or status in _TRANSIENT:
                return Failure(False, f"the service answered {status}: {words}")
            hint = "; check the URL and its token" if status in (401, 403, 404) else ""
            return Failure(True, f"the service refused it with {status}: {words}{hint}")
        if message.startswith(_SOCKET):
            if _READ_TIMEOUT.search(message):
                return Failure(False, f"no reply within {timeout:g} s (it may have arrived; "
                                      "sent again)")
            return Failure(False, f"cannot reach the service: {_exception(message)}")
    return Failure(False, words)


def _exception(message: str) -> str:
    """The telling end of a requests exception ("[Errno 111] Connection refused")."""
    text = message.removeprefix(_SOCKET).strip()
    errno = re.search(r"\[Errno [^\]]+\][^'\")]*", text)
    return errno.group(0).strip() if errno else text[-200:]


#: Held while a send lowers the Apprise logger's level to read its plugins' debug lines.
_CAPTURING = threading.Lock()


class _Capture(logging.Filter):
    """Keeps what Apprise logs on the sending thread, and keeps it out of the process's
    log (the outcome is logged once, by the dispatcher); other threads' lines pass as they
    would have."""

    def __init__(self, passing: int) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.passing = passing
        self.lines: list[tuple[int, str]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread == self.thread:
            self.lines.append((record.levelno, record.getMessage()))
            return False
        return record.levelno >= self.passing


@contextmanager
def _captured() -> Iterator[_Capture]:
    logger = logging.getLogger("apprise")
    with _CAPTURING:
        level = logger.level
        capture = _Capture(logger.getEffectiveLevel())
        logger.addFilter(capture)
        logger.setLevel(logging.DEBUG)
        try:
            yield capture
        finally:
            logger.setLevel(level)
            logger.removeFilter(capture)


@dataclass(frozen=True)
class _Target:
    #: What logs and the ledger may show: the service and its host, never the token.
    name: str
    plugin: Any


class AppriseChannel(Channel):
    name = "apprise"
    forms = CHAT_FORMS

    def __init__(self, config: AppriseChannelConfig,
                 targets: Mapping[str, Sequence[_Target]]) -> None:
        self.config = config
        self.targets = targets
        #: Per notice key, the targets that took it while another failed.
        self._delivered: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, config: AppriseChannelConfig, env: Mapping[str, str],
             problems: list[str]) -> AppriseChannel:
        """The channel with each audience's URLs loaded; what is wrong goes to ``problems``
        (a variable not set or empty, a URL Apprise does not know), never a URL itself."""
        import apprise

        asset = apprise.AppriseAsset()
        targets: dict[str, list[_Target]] = {}
        for audience, variable in config.urls_env.items():
            key = f"channels.apprise.urls_env.{audience}"
            if variable not in env:
                problems.append(f"{key}: the environment variable {variable} is not set; set "
                                "it to the audience's Apprise URLs")
                continue
            urls = split_urls(env[variable])
            if not urls:
                problems.append(f"{key}: the environment variable {variable} holds no URL")
            for number, url in enumerate(urls, 1):
                plugin = apprise.Apprise.instantiate(url, asset=asset)
                if plugin is None:
                    scheme = url.partition("://")[0] if "://" in url else "(none)"
                    problems.append(f"{key}: URL {number} in {variable} is not one Apprise "
                                    f"can use (scheme {scheme!r}); see 'apprise --details'")
                    continue
                # Our own retries and backoff decide; Apprise's would hide failures.
                plugin.retry = 0
                plugin.socket_connect_timeout = config.timeout
                plugin.socket_read_timeout = config.timeout
                # A webhook's host says which one it is; elsewhere the "host" is often part
                # of the token (Slack's workspace), so the URL's place in the list does.
                host = getattr(plugin, "host", None)
                scheme = url.partition("://")[0].lower()
                name = (f"{plugin.service_name} ({host})" if host and scheme in _WEBHOOKS
                        else f"{plugin.service_name} (URL {number} in {variable})")
                targets.setdefault(audience, []).append(_Target(name, plugin))
        return cls(config, targets)

    def describe(self) -> str:
        audiences = "; ".join(f"{audience}: {', '.join(t.name for t in targets)}"
                              for audience, targets in self.targets.items())
        return f"apprise ({audiences or 'no URLs'}, timeout {self.config.timeout:g} s)"

    def send(self, message: Message) -> None:
        targets = self.targets.get(message.audience)
        if not targets:
            raise ChannelDown(f"no Apprise URLs for audience {message.audience}: set "
                              f"channels.apprise.urls_env.{message.audience}")
        import apprise

        body, body_format = ((message.markdown, apprise.NotifyFormat.MARKDOWN)
                             if message.markdown else
                             (message.text, apprise.NotifyFormat.TEXT))
        with self._lock:
            done = self._delivered.setdefault(message.key, set())
            failures: list[tuple[_Target, Failure]] = []
            for index, target in enumerate(targets):
                if index in done:
                    continue
                with _captured() as capture:
                    worked = bool(target.plugin.notify(body=body, title=message.subject,
                                                       body_format=body_format))
                failure = judge(worked, capture.lines, self.config.timeout)
                if failure is None:
                    done.add(index)
                else:
                    failures.append((target, failure))
            if not failures or not done:
                del self._delivered[message.key]
            if not failures:
                return
            reasons = "; ".join(f"{target.name}: {failure.reason}"
                                for target, failure in failures)
            took = f" ({len(done)} of {len(targets)} took it)" if done else ""
            if all(failure.final for _, failure in failures):
                self._delivered.pop(message.key, None)
                raise GiveUp(reasons + took)
            raise TryAgain(reasons + took)
