"""A circuit breaker per channel: a channel that cannot be reached is paused as a whole.

A mail server that is down, or refuses the login, fails every notice alike. Trying each
notice on its own would log in once per notice and use up every notice's attempts, so an
outage longer than the retry budget would make them all dead. Instead the channel pauses:
its notices wait without an attempt counted, one try is made when the pause ends, and the
pause doubles (with jitter, up to the cap) while the channel stays down. One line is logged
when a channel goes down, one per further failed try, one when it works again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger("followup.daemon")


def backoff(attempts: int, base: float, cap: float, rng: Callable[[], float]) -> timedelta:
    """The wait after the ``attempts``-th failure: doubling from ``base`` up to ``cap``,
    with jitter so that retries of many notices spread out."""
    delay = min(cap, base * 2 ** (attempts - 1))
    return timedelta(seconds=delay * (0.5 + rng() / 2))


@dataclass
class _Down:
    since: datetime
    reason: str
    tries: int
    until: datetime


class Breaker:
    def __init__(self, base: float, cap: float, rng: Callable[[], float]) -> None:
        self.base = base
        self.cap = cap
        self.rng = rng
        self._down: dict[str, _Down] = {}

    def trip(self, channel: str, reason: str, now: datetime) -> datetime:
        """``channel`` failed as a whole at ``now``: pause it; returns when to try again."""
        down = self._down.get(channel)
        tries = 1 if down is None else down.tries + 1
        until = now + backoff(tries, self.base, self.cap, self.rng)
        when = f"{until:%Y-%m-%d %H:%M:%S} UTC"
        if down is None:
            log.error("the %s channel is unavailable: %s; its notices wait, next try at %s",
                      channel, reason, when)
            down = _Down(now, reason, tries, until)
        else:
            log.warning("the %s channel is still unavailable (try %d, down since %s): %s; "
                        "next try at %s", channel, tries, f"{down.since:%H:%M:%S} UTC",
                        reason, when)
        down.tries, down.reason, down.until = tries, reason, until
        self._down[channel] = down
        return until

    def works(self, channel: str, now: datetime) -> None:
        """A notice went through ``channel``: it is up (again)."""
        down = self._down.pop(channel, None)
        if down is not None:
            minutes = (now - down.since).total_seconds() / 60
            log.info("the %s channel works again after %.1f minutes (%d tries)", channel,
                     minutes, down.tries)

    def paused(self, now: datetime) -> list[str]:
        """The channels not to use at ``now``."""
        return sorted(name for name, down in self._down.items() if down.until > now)

    def reason(self, channel: str) -> str | None:
        down = self._down.get(channel)
        return None if down is None else down.reason

    def next_try(self, now: datetime) -> datetime | None:
        """When the first channel paused at ``now`` may be tried again."""
        return min((down.until for down in self._down.values() if down.until > now),
                   default=None)
