"""What a daemon holds: the notices it claimed and has not yet recorded, and until when
that is certain.

A lease is only as good as the last time the database confirmed it. A daemon that was
paused (SIGSTOP, a frozen VM, a swap storm) may wake to find that another daemon took its
claims over; it must not send them. So before every send the dispatcher asks whether the
claim is still certain: it was confirmed by a claim or a renewal less than half a lease ago,
counted on the monotonic clock, which keeps running while the process is stopped. If not,
the dispatcher renews first, and what the renewal no longer returns is not sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta


class Holdings:
    def __init__(self, lease: timedelta,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.lease = lease.total_seconds()
        self.monotonic = monotonic
        self._ids: set[int] = set()
        self._certain_until = 0.0
        self._lock = threading.Lock()

    def claimed(self, ids: Iterable[int], *, asked_at: float) -> None:
        """A claim asked at ``asked_at`` (monotonic) took ``ids`` for a lease."""
        with self._lock:
            until = asked_at + self.lease
            self._certain_until = until if not self._ids else min(self._certain_until, until)
            self._ids.update(ids)

    def renewed(self, asked: Iterable[int], kept: set[int], *, asked_at: float) -> set[int]:
        """A renewal of everything held (``asked``) kept ``kept``: returns what was lost.

        Whatever was claimed since ``asked`` was read is certain for longer than the
        renewed ones, so the renewal's time bounds them all.
        """
        lost = set(asked) - kept
        with self._lock:
            self._ids -= lost
            self._certain_until = asked_at + self.lease
        return lost

    def release(self, ids: Iterable[int]) -> None:
        """Recorded or handed back: no longer held."""
        with self._lock:
            self._ids.difference_update(ids)

    def ids(self) -> list[int]:
        with self._lock:
            return sorted(self._ids)

    def holds(self, notice_id: int) -> bool:
        with self._lock:
            return notice_id in self._ids

    def certain(self, notice_id: int) -> bool:
        """Held, and confirmed recently enough that no other daemon can have taken it."""
        with self._lock:
            return (notice_id in self._ids
                    and self.monotonic() < self._certain_until - self.lease / 2)

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)
