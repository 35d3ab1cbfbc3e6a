"""systemd's watchdog, fed only while deliveries move.

With ``WatchdogSec=`` in the unit, the daemon pings systemd at half that interval from its
timer's thread, so a daemon whose timer has died goes quiet and is restarted. A ping also
says the delivery round is not stuck: the round reports each notice it takes up, and while a
round has gone a whole lease (``delivery.lease_seconds``, longer than any channel's timeout,
and after which its claims are another daemon's anyway) without taking up the next one, the
pings stop. A round that fails (the database away) is not stuck: it ends, and the daemon
says so in its log while it waits for the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from scheduler.systemd import Notifier

__all__ = ["Watchdog"]

log = logging.getLogger("followup.daemon")


class Watchdog:
    def __init__(self, notifier: Notifier, *, stuck_after: float,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.notifier = notifier
        self.stuck_after = stuck_after
        self.monotonic = monotonic
        #: When the round in progress last took a step; None between rounds.
        self._last_step: float | None = None
        self._withheld = False
        self._lock = threading.Lock()

    @property
    def interval(self) -> float | None:
        """Seconds between pings: half of systemd's timeout, None when it set none."""
        timeout = self.notifier.watchdog
        return None if timeout is None else timeout / 2

    def round_started(self) -> None:
        with self._lock:
            self._last_step = self.monotonic()

    def step(self) -> None:
        """The round took up its next notice."""
        with self._lock:
            if self._last_step is not None:
                self._last_step = self.monotonic()

    def round_ended(self) -> None:
        with self._lock:
            self._last_step = None

    def stuck_for(self) -> float | None:
        """Seconds the round in progress has not moved, when that is past the limit."""
        with self._lock:
            last = self._last_step
        if last is None:
            return None
        still = self.monotonic() - last
        return still if still > self.stuck_after else None

    def check(self) -> bool:
        """Ping systemd if deliveries move; whether it was pinged."""
        stuck = self.stuck_for()
        if stuck is not None:
            if not self._withheld:
                log.error("the delivery round has not moved for %.0f s, longer than a lease "
                          "(delivery.lease_seconds = %g): systemd's watchdog is no longer "
                          "told all is well, and restarts the daemon", stuck, self.stuck_after)
            self._withheld = True
            return False
        if self._withheld:
            log.info("the delivery round moves again: systemd's watchdog is told so")
            self._withheld = False
        return self.notifier.ping()
