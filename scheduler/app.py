"""Wiring: the configured store, the event bus and the clock, for one process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from events.ledger import Planner
from events.register import Register, standard_bus
from events.seed import load_seed
from events.store import Preparation, Store
from scheduler.config import Config


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Opening:
    """What opening the database did: created or migrated it, loaded the seed."""

    preparation: Preparation
    seeded: int


class App:
    def __init__(self, config: Config, *, clock: Callable[[], datetime] = utc_now,
                 store: Store | None = None) -> None:
        self.config = config
        self.clock = clock
        # A server that has a store already (the feed server's) shares it.
        self.store = store or Store(
            config.database.url, base_dir=config.base_dir,
            busy_timeout=config.database.busy_timeout,
            durable_outcomes=config.delivery.durable_outcomes,
        )
        self.bus = standard_bus()
        # Every change plans its notices in its own transaction, whichever process makes it.
        Planner(config.plan).subscribe(self.bus)
        self._opening: Opening | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    def open(self, *, seed_existing: bool = False) -> Opening:
        """Bring the schema up to date; a new database gets the seed when config allows.

        ``seed_existing`` also loads it into a database that exists already (``init``);
        the seed is recognised by its text, so it is never loaded twice.
        """
        if self._opening is not None and not seed_existing:
            return self._opening
        preparation = self.store.prepare()
        seeded = 0
        if self.config.database.seed and (preparation.created or seed_existing):
            with self._register() as register:
                register.quiet = True  # the example is not news to anyone
                seeded = load_seed(register)
        self._opening = Opening(preparation, seeded)
        return self._opening

    @contextmanager
    def register(self, *, write: bool = True) -> Iterator[Register]:
        """A register in one transaction, on a database opened for this version."""
        self.open()
        with self._register(write=write) as register:
            yield register

    @contextmanager
    def _register(self, *, write: bool = True) -> Iterator[Register]:
        with self.store.transaction(write=write) as session:
            register = Register(session, now=self.clock(), bus=self.bus)
            yield register
            if write:
                register.finish()
