"""What the delivery tests share: a clock the test sets, and a register holding the seed with
its notices planned for the audiences under test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from events.ledger import Planner, PlanSettings
from events.register import Register, standard_bus
from events.seed import load_seed
from events.store import Store

#: The seed release's date: the register as it stood the day the release came out.
RELEASED = datetime(2019, 1, 24, tzinfo=UTC)


class Clock:
    """The time a dispatcher or feed is given; the test moves it by setting ``now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seeded_store(folder: Path, settings: PlanSettings) -> Store:
    """A SQLite register in ``folder`` holding the seed, its notices planned for
    ``settings``' audiences. The caller disposes of it."""
    store = Store(f"sqlite:///{folder / 'register.db'}")
    store.prepare()
    bus = standard_bus()
    Planner(settings).subscribe(bus)
    with store.transaction(write=True) as session:
        load_seed(Register(session, now=RELEASED, bus=bus))
    return store
