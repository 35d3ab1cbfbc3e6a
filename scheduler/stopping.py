"""SIGTERM and SIGINT ask the daemon to stop.

The handlers are installed before anything else the daemon does, so a signal during
start-up ends it as cleanly as one later. A handler only records the signal and sets a flag:
logging from a handler could deadlock on a lock the interrupted code holds. The daemon's main
loop says what was received.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def set(self) -> None:
        self.event.set()

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)

    def describe(self) -> str | None:
        """The signal received, by name ("SIGTERM"), if one was."""
        return None if self.received is None else signal.Signals(self.received).name
