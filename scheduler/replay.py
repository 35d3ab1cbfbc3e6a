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

from events.errors import FollowupError, InvalidChange
from events.kinds import Kind
from events.ledger import Planner
from events.model import Change, FollowUp, Source
from events.register import Register, standard_bus
from events.schedule import Schedule, parse_clock
from events.seed import load_seed
from events.store import Store, new_sqlite_register
from events.window import parse_window
from scheduler.app import App
from scheduler.channels import Channel, Message, forms_of
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates, ensure_valid
from scheduler.round import Round

ACTIONS = ("confirm", "move", "cancel", "done", "reopen", "edit", "note", "snooze")

#: What each action takes, as its command's options; the first of each required list must
#: be given.
_FIELDS: dict[str, tuple[set[str], tuple[str, ...]]] = {
    "confirm": ({"dates", "at", "until", "tz", "location"}, ("dates",)),
    "move": ({"when", "phrase"}, ("when",)),
    "cancel": ({"reason"}, ()),
    "done": ({"dates", "location"}, ()),
    "reopen": (set(), ()),
    "edit": ({"title", "kind", "location", "next_step", "tags"}, ()),
    "note": ({"text"}, ("text",)),
    "snooze": ({"until", "note"}, ("until",)),
}
_EXAMPLES = {"dates": '"2019-11-23..2019-11-24"', "when": '"2020-H1"', "text": '"what is known"',
             "until": "2019-09-01"}


class OutcomesError(FollowupError):
    pass


@dataclass(frozen=True)
class Outcome:
    """A dated change to apply during the replay, as the CLI command would."""

    on: date
    action: str
    followup_id: str
    fields: dict[str, Any]
    #: Where it was written: the file and the line of its [[outcome]].
    where: str = ""

    def describe(self) -> str:
        extra = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in self.fields.items()
                         if k != "text")
        text = f" {self.fields['text']!r}" if "text" in self.fields else ""
        return f"followup {self.action} {self.followup_id}{text} {extra}".strip()


def read_outcomes(path: Path) -> list[Outcome]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutcomesError(f"{path}: no such file: give an outcomes file, or leave "
                            "--outcomes out") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise OutcomesError(f"{path}: not valid TOML: {error}") from None
    # tomllib keeps no positions: the n-th [[outcome]] header is the n-th outcome's line.
    lines = [number for number, line in enumerate(path.read_text(encoding="utf-8")
                                                 .splitlines(), start=1)
             if line.strip().startswith("[[outcome]]")]
    outcomes, problems = [], []
    for number, entry in enumerate(data.get("outcome", []), start=1):
        line = lines[number - 1] if number <= len(lines) else 0
        where = f"{path}:{line}" if line else f"{path}: outcome {number}"
        actions = [a for a in ACTIONS if a in entry]
        if len(actions) == 2 and "note" in actions:  # snooze's note is a field, as --note
            other = next(a for a in actions if a != "note")
            actions = [other] if "note" in _FIELDS[other][0] else actions
        if len(actions) != 1 or not isinstance(entry.get("on"), date):
            problems.append(f"{where}: give 'on = YYYY-MM-DD' and exactly one of "
                            + ", ".join(f"{a} = \"ID\"" for a in ACTIONS))
            continue
        action = actions[0]
        fields = {k: v for k, v in entry.items() if k not in ("on", action)}
        allowed, required = _FIELDS[action]
        if unknown := set(fields) - allowed:
            takes = ", ".join(sorted(allowed)) or "nothing more"
            problems.append(f"{where}: {action} takes {takes}, not "
                            f"{', '.join(sorted(unknown))}")
            continue
        if missing := [name for name in required if name not in fields]:
            problems.append(f"{where}: {action} needs {missing[0]} = "
                            f"{_EXAMPLES.get(missing[0], '...')}")
            continue
        outcomes.append(Outcome(entry["on"], action, str(entry[action]), fields, where))
    if problems:
        raise OutcomesError("; ".join(problems))
    return sorted(outcomes, key=lambda o: o.on)


def apply(outcome: Outcome, register: Register, timezone: str) -> None:
    """Apply ``outcome`` as its command would; one that cannot be applied is named with
    the file and line it was written at."""
    try:
        _apply(outcome, register, timezone)
    except FollowupError as error:
        raise OutcomesError(f"{outcome.where}: {outcome.describe()}: {error}") from None


def _apply(outcome: Outcome, register: Register, timezone: str) -> None:
    why = f"replayed: {outcome.describe()}"
    fields = outcome.fields
    target = outcome.followup_id
    if outcome.action == "confirm":
        schedule = Schedule.confirm(
            parse_window(fields["dates"]),
            at=parse_clock(fields["at"]) if "at" in fields else None,
            until=parse_clock(fields["until"]) if "until" in fields else None,
            timezone=fields.get("tz", timezone))
        register.confirm(target, schedule, location=fields.get("location"), why=why)
    elif outcome.action == "move":
        register.move(target, parse_window(fields["when"]), phrase=fields.get("phrase"),
                      why=why)
    elif outcome.action == "cancel":
        register.cancel(target, reason=fields.get("reason"), why=why)
    elif outcome.action == "done":
        days = fields.get("dates")
        held = Schedule.confirm(parse_window(days), timezone=timezone) if days else None
        register.complete(target, schedule=held, location=fields.get("location"), why=why)
    elif outcome.action == "reopen":
        register.reopen(target, why=why)
    elif outcome.action == "edit":
        tags = fields.get("tags")
        register.edit(target, title=fields.get("title"),
                      kind=Kind(str(fields["kind"]).lower()) if "kind" in fields else None,
                      location=fields.get("location"), next_step=fields.get("next_step"),
                      tags=tags.split(",") if isinstance(tags, str) else tags, why=why)
    elif outcome.action == "note":
        register.add_note(target, str(fields["text"]), why=why)
    else:
        until = fields["until"]
        if not isinstance(until, date):
            raise InvalidChange(f"until = {until!r} is not a date: write it as 2019-09-01")
        register.snooze(target, until, note=fields.get("note"), why=why)


@dataclass(frozen=True)
class Applied:
    """An outcome as the rehearsal applied it."""

    at: datetime
    outcome: Outcome


@dataclass(frozen=True)
class Fired:
    at: datetime
    message: Message
    channel: str


class Capture(Channel):
    """Stands in for a real channel: keeps what would have been sent, and when. It is
    given the forms the channel renders, so what would fail to render fails here too."""

    def __init__(self, name: str, sink: list[Fired], clock: Callable[[], datetime],
                 forms: frozenset[str]) -> None:
        self.name = name  # type: ignore[misc]
        self.forms = forms  # type: ignore[misc]
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
def scratch_copy(app: App, into: Store | None = None, *, seed: bool = False,
                 now: datetime | None = None) -> Iterator[Store]:
    """A scratch database holding a copy of the register, not of the ledger (or, with
    ``seed``, the bundled example alone): a SQLite file of its own unless ``into`` is given
    (an empty database)."""
    with tempfile.TemporaryDirectory(prefix="followup-replay-") as folder:
        if into is None:
            new_sqlite_register(Path(folder) / "replay.db")
        scratch = into or Store(f"sqlite:///{Path(folder) / 'replay.db'}", durable=False)
        try:
            scratch.prepare()
            if seed:
                with scratch.transaction(write=True) as session:
                    register = Register(session, now=now or app.clock(),
                                        bus=standard_bus())
                    register.quiet = True
                    load_seed(register)
                yield scratch
                return
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
           scratch: Store | None = None, seed: bool = False,
           applied: list[Applied] | None = None) -> list[Fired]:
    """What the daemon would send from ``start`` to ``end``, in order, with ``outcomes``
    applied on their days (each also added to ``applied``); on a copy of the register (in
    ``scratch``, an empty database, when given), or with ``seed`` on the bundled example
    alone."""
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
    channels: dict[str, Channel] = {
        name: Capture(name, fired, clock, forms_of(channel_config))
        for name, channel_config in config.channels.items()}
    bus = standard_bus()
    Planner(config.plan).subscribe(bus)
    pending = [o for o in outcomes if start <= o.on <= end]
    with scratch_copy(app, scratch, seed=seed, now=first) as store:
        dispatcher = Dispatcher(store, config.plan, config.delivery, channels, templates,
                                owner="replay", clock=clock, rehearsal=True)
        rounds = Round(store, config.plan, config.delivery, dispatcher)
        for moment, due in moments(rounds, clock, last, [
                datetime.combine(o.on, time(0), zone).astimezone(UTC) for o in pending]):
            changed = False
            while pending and datetime.combine(pending[0].on, time(0), zone) <= moment:
                with store.transaction(write=True) as session:
                    register = Register(session, now=moment, bus=bus)
                    outcome = pending.pop(0)
                    apply(outcome, register, config.timezone)
                    register.finish()
                changed = True
                if applied is not None:
                    applied.append(Applied(moment, outcome))
            if changed:  # what the outcome set off may be due now
                due = rounds.next_moment(moment)
            if due is not None and due <= moment:
                rounds.run(moment)
    return fired


def moments(rounds: Round, clock: VirtualClock, end: datetime,
            changes: list[datetime]) -> Iterator[tuple[datetime, datetime | None]]:
    """The virtual clock's moments before ``end``, each with the round's next moment as
    the clock was set to it: each moment is the round's next moment or a change from
    outside, whichever comes first, as the daemon's timer and its watch would wake it.

    The clock never goes back, and after a round it moves on by at least a second, so a
    round that leaves something due at once cannot hold it for ever.
    """
    floor = clock.now
    while True:
        due = rounds.next_moment(clock.now)
        candidates = [m for m in (due, *changes) if m is not None]
        if not candidates or min(candidates) >= end:
            return
        clock.now = max(min(candidates), floor)
        changes = [c for c in changes if c > clock.now]
        yield clock.now, due
        floor = clock.now + timedelta(seconds=1)
