"""Telling systemd how the daemon is doing: the sd_notify protocol, in a few lines.

Under ``Type=notify`` systemd passes ``$NOTIFY_SOCKET``, a datagram socket (a path, or a
name in the abstract namespace written with a leading ``@``), and waits for ``READY=1``
before it counts the service as started. With ``WatchdogSec=`` it also passes
``WATCHDOG_USEC`` (and ``WATCHDOG_PID``, the process meant) and restarts the service when
no ``WATCHDOG=1`` arrives within that time. ``STOPPING=1`` says a stop has begun, and
``STATUS=`` is the line ``systemctl status`` shows.

Without ``$NOTIFY_SOCKET`` (a terminal, a test) every call does nothing. A message that cannot
be sent is logged once and never stops the daemon: systemd is told, not obeyed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

__all__ = ["Notifier", "watchdog_seconds"]

log = logging.getLogger("followup.daemon")


def _address(value: str) -> str | bytes | None:
    if value.startswith("@"):
        return b"\0" + value[1:].encode()  # the abstract namespace
    if value.startswith("/"):
        return value
    return None  # vsock and other forms are not used for a daemon like this one


def watchdog_seconds(env: Mapping[str, str], pid: int) -> float | None:
    """The watchdog timeout systemd set for this process, in seconds; None when unset,
    meant for another process, or not a positive number."""
    usec = env.get("WATCHDOG_USEC", "")
    meant_for = env.get("WATCHDOG_PID", "")
    if meant_for and meant_for != str(pid):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


class Notifier:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.target = env.get("NOTIFY_SOCKET", "")
        self.address = _address(self.target) if self.target else None
        self.watchdog = watchdog_seconds(env, os.getpid())
        self._socket: socket.socket | None = None
        self._failing = False
        if self.target and self.address is None:
            log.warning("NOTIFY_SOCKET=%s is not a path or an abstract name: systemd is not "
                        "told of readiness", self.target)

    @property
    def active(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> bool:
        """Send ``fields`` ("READY=1", "STATUS=...") as one datagram; whether it went."""
        if self.address is None:
            return False
        payload = "\n".join(field.replace("\n", " ") for field in fields).encode()
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.sendto(payload, self.address)
        except OSError as error:
            if not self._failing:
                log.warning("cannot tell systemd %s through %s: %s", fields[0], self.target,
                            error.strerror or error)
            self._failing = True
            return False
        if self._failing:
            log.info("systemd is told again through %s", self.target)
            self._failing = False
        return True

    def ready(self, status: str) -> bool:
        return self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> bool:
        return self.notify(f"STATUS={status}")

    def ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self, status: str) -> bool:
        return self.notify("STOPPING=1", f"STATUS={status}")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
