"""``followup replay``: a rehearsal of what would be sent, on a virtual clock.

The register is copied into a scratch SQLite file, and the daemon's delivery round
(``scheduler/round.py``) runs there on a virtual clock, set to each moment the round names
(a notice or digest falling due, a plan running out) or an outcome from the outcomes file
takes effect, with every notice captured instead of sent. The outcomes are applied as the
command line would apply them, from outside the round. The real database is only read.
"""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, text

from events.errors import FollowupError
from events.ledger import Planner
from events.model import Change, FollowUp, Source
from events.register import Register, standard_bus
from events.schedule import Schedule, parse_clock
from events.store import Store
from events.window import parse_window
from scheduler.app import App
from scheduler.channels import Channel, Message
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates, ensure_valid
from scheduler.round import Round

ACTIONS = ("confirm", "move", "cancel", "done")


class OutcomesError(FollowupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """A dated change to apply during the replay, as the CLI command would."""

    on: date
    action: str
    followup_id: str
    fields: dict[str, Any]

    def describe(self) -> str:
        extra = " ".join(f"--{k} {v}" for k, v in self.fields.items())
        return f"followup {self.action} {self.followup_id} {extra}".strip()


def read_outcomes(path: Path) -> list[Outcome]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutcomesError(f"{path}: no such file: give an outcomes file, or leave "
                            "--outcomes out") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise OutcomesError(f"{path}: not valid TOML: {error}") from None
    outcomes, problems = [], []
    for number, entry in enumerate(data.get("outcome", []), start=1):
        where = f"outcome {number}"
        actions = [a for a in ACTIONS if a in entry]
        if len(actions) != 1 or not isinstance(entry.get("on"), date):
            problems.append(f"{where}: give 'on = YYYY-MM-DD' and exactly one of "
                            + ", ".join(f"{a} = \"ID\"" for a in ACTIONS))
            continue
        action = actions[0]
        fields = {k: v for k, v in entry.items() if k not in ("on", action)}
        allowed = {"confirm": {"dates", "at", "until", "tz"}, "move": {"when", "phrase"},
                   "cancel": {"reason"}, "done": {"dates"}}[action]
        if unknown := set(fields) - allowed:
            problems.append(f"{where}: {action} takes {', '.join(sorted(allowed))}, not "
                            f"{', '.join(sorted(unknown))}")
            continue
        if action == "confirm" and "dates" not in fields:
            problems.append(f"{where}: confirm needs dates = \"2019-11-23..2019-11-24\"")
            continue
        if action == "move" and "when" not in fields:
            problems.append(f"{where}: move needs when = \"2020-H1\"")
            continue
        outcomes.append(Outcome(entry["on"], action, str(entry[action]), fields))
    if problems:
        raise OutcomesError(f"{path}: " + "; ".join(problems))
    return sorted(outcomes, key=lambda o: o.on)


def apply(outcome: Outcome, register: Register, timezone: str) -> None:
    why = f"replayed: {outcome.describe()}"
    fields = outcome.fields
    if outcome.action == "confirm":
        schedule = Schedule.confirm(
            parse_window(fields["dates"]),
            at=parse_clock(fields["at"]) if "at" in fields else None,
            until=parse_clock(fields["until"]) if "until" in fields else None,
            timezone=fields.get("tz", timezone))
        register.confirm(outcome.followup_id, schedule, why=why)
    elif outcome.action == "move":
        register.move(outcome.followup_id, parse_window(fields["when"]),
                      phrase=fields.get("phrase"), why=why)
    elif outcome.action == "cancel":
        register.cancel(outcome.followup_id, reason=fields.get("reason"), why=why)
    else:
        days = fields.get("dates")
        held = Schedule.confirm(parse_window(days), timezone=timezone) if days else None
        register.complete(outcome.followup_id, schedule=held, why=why)


@dataclass(frozen=True)
class Fired:
    at: datetime
    message: Message
    channel: str


class Capture(Channel):
    """Stands in for a real channel: keeps what would have been sent, and when."""

    def __init__(self, name: str, sink: list[Fired], clock: Callable[[], datetime]) -> None:
        self.name = name  # type: ignore[misc]
        self.sink = sink
        self.clock = clock

    def send(self, message: Message) -> None:
        self.sink.append(Fired(self.clock(), message, self.name))


class VirtualClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def scratch_copy(app: App, into: Store | None = None) -> Iterator[Store]:
    """A scratch database holding a copy of the register, not of the ledger: a SQLite file
    of its own unless ``into`` is given (an empty database)."""
    with tempfile.TemporaryDirectory(prefix="followup-replay-") as folder:
        scratch = into or Store(f"sqlite:///{Path(folder) / 'replay.db'}")
        try:
            scratch.prepare()
            with app.store.transaction(write=False) as source, \
                    scratch.transaction(write=True) as target:
                for table in (Source, FollowUp, Change):
                    rows = [dict(row._mapping) for row in
                            source.execute(select(*table.__table__.columns))]
                    if table is FollowUp:
                        # Nothing of it is planned in the scratch ledger yet.
                        rows = [{**row, "planned_until": None, "planned_with": None}
                                for row in _anchors_first(rows)]
                    if rows:
                        target.execute(insert(table), rows)
                if not scratch.is_sqlite:
                    # The copied ids were given, not drawn: the next drawn must follow them.
                    for name in ("sources", "changes"):
                        target.execute(text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"coalesce(max(id), 0) + 1, false) FROM {name}"))
            yield scratch
        finally:
            if into is None:
                scratch.dispose()


def _anchors_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered: list[dict[str, Any]] = []
    placed: set[str | None] = {None}
    pending = list(rows)
    while pending:
        ready = [r for r in pending if r["anchor_id"] in placed]
        if not ready:  # cannot happen: cycles are refused when anchors are set
            ready = pending
        for row in ready:
            ordered.append(row)
            placed.add(row["id"])
            pending.remove(row)
    return ordered


def replay(app: App, start: date, end: date, outcomes: list[Outcome], *,
           scratch: Store | None = None) -> list[Fired]:
    """What the daemon would send from ``start`` to ``end``, in order, with ``outcomes``
    applied on their days; on a copy of the register (in ``scratch``, an empty database,
    when given)."""
    config = app.config
    zone = ZoneInfo(config.timezone)
    first = datetime.combine(start, time(0), zone).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(UTC)
    if last <= first:
        raise OutcomesError("--to is before --from: give a range that ends after it starts")
    templates = Templates(config.templates)
    ensure_valid(templates)
    clock = VirtualClock(first)
    fired: list[Fired] = []
    channels: dict[str, Channel] = {name: Capture(name, fired, clock)
                                    for name in config.channels}
    bus = standard_bus()
    Planner(config.plan).subscribe(bus)
    pending = [o for o in outcomes if start <= o.on <= end]
    with scratch_copy(app, scratch) as store:
        dispatcher = Dispatcher(store, config.plan, config.delivery, channels, templates,
                                owner="replay", clock=clock)
        rounds = Round(store, config.plan, config.delivery, dispatcher)
        for moment in moments(rounds, clock, last, [
                datetime.combine(o.on, time(0), zone).astimezone(UTC) for o in pending]):
            while pending and datetime.combine(pending[0].on, time(0), zone) <= moment:
                with store.transaction(write=True) as session:
                    register = Register(session, now=moment, bus=bus)
                    apply(pending.pop(0), register, config.timezone)
                    register.finish()
            due = rounds.next_moment(moment)
            if due is not None and due <= moment:
                rounds.run(moment)
    return fired


def moments(rounds: Round, clock: VirtualClock, end: datetime,
            changes: list[datetime]) -> Iterator[datetime]:
    """The virtual clock's moments before ``end``: each the round's next moment or a change
    from outside, whichever comes first, as the daemon's timer and its watch would wake it.

    The clock never goes back, and after a round it moves on by at least a second, so a
    round that leaves something due at once cannot hold it for ever.
    """
    floor = clock.now
    while True:
        candidates = [m for m in (rounds.next_moment(clock.now), *changes) if m is not None]
        if not candidates or min(candidates) >= end:
            return
        clock.now = max(min(candidates), floor)
        changes = [c for c in changes if c > clock.now]
        yield clock.now
        floor = clock.now + timedelta(seconds=1)
