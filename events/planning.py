"""When to remind whom of what: the reminder policy, audiences, and the notice plan.

Everything here is pure. ``plan`` looks at one follow-up as it stands and lists every notice
its audience should get between ``start`` and ``horizon``; the ledger compares that list with
what it holds. Each planned notice has a key made of what it is (follow-up, kind, natural due
instant, audience, channel), so planning the same facts twice gives the same keys, and a
notice already sent is recognised and never planned again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from events.describe import days as in_days
from events.model import Kind, Status
from events.schedule import Schedule
from events.window import Window, describe_window


class NoticeKind:
    """The kinds of notice, as they appear in keys, templates and listings."""

    LEAD = "lead"  # before a confirmed start
    WINDOW_OPENS = "window-opens"  # an unconfirmed window opens
    CHASE = "chase"  # every N days while a window is open and nothing is confirmed
    CLOSING = "closing"  # N days before an unconfirmed window closes
    OVERDUE = "overdue"  # the window passed with nothing confirmed
    UNDATED = "undated-chase"  # periodic, for a follow-up with no date at all
    DIGEST = "digest"  # per audience, on its cron schedule
    MISSED = "missed"  # what fell due too long ago while no daemon ran
    CHANGE = "change"  # per audience, as soon as something it gets has changed

    PER_FOLLOWUP = (LEAD, WINDOW_OPENS, CHASE, CLOSING, OVERDUE, UNDATED)
    ALL = (*PER_FOLLOWUP, DIGEST, MISSED, CHANGE)


@dataclass(frozen=True)
class Policy:
    """Which reminders a follow-up gets; 0 or an empty list turns one off."""

    lead_days: tuple[int, ...] = (30, 7, 1)
    window_opens: bool = True
    chase_every_days: int = 14
    closing_days: int = 14
    overdue: bool = True
    undated_every_days: int = 30
    #: An open-ended window ("from February on") is chased after these many days, then
    #: these many more, the last repeating: quieter the longer it stays open.
    open_chase_days: tuple[int, ...] = (14, 30, 60)
    #: ... and is overdue once it has been open this long (0: never).
    open_overdue_days: int = 365
    #: A closing notice this close to the window's opening is said in the opening notice.
    together_days: int = 7


@dataclass(frozen=True)
class Audience:
    """Who is told: their zone and send time, where to, and which follow-ups they get.

    An audience with neither tags nor kinds gets every follow-up; otherwise those with any
    of its tags or of one of its kinds.
    """

    name: str
    timezone: str = "UTC"
    recipients: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("log",)
    tags: frozenset[str] = frozenset()
    kinds: frozenset[Kind] = frozenset()
    send_time: time = time(9, 0)
    digest: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def wants(self, facts: Facts) -> bool:
        return self.chooses(facts.kind, facts.tags)

    def chooses(self, kind: Kind, tags: Iterable[str]) -> bool:
        if not self.tags and not self.kinds:
            return True
        return bool(self.tags.intersection(tags)) or kind in self.kinds

    def at_send_time(self, day: date) -> datetime:
        """The instant of this audience's send time on ``day``, in UTC."""
        return _send_instant(day, self.send_time, self.timezone)


#: Planning asks for the same few hundred days' send times for every follow-up.
@lru_cache(maxsize=16384)
def _send_instant(day: date, send_time: time, timezone: str) -> datetime:
    return datetime.combine(day, send_time, ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Facts:
    """What planning needs to know of a follow-up, detached from the database."""

    id: str
    kind: Kind
    status: Status
    window: Window
    schedule: Schedule | None
    tags: tuple[str, ...]
    created: date
    revision: int = 1
    #: No chases before this day; a chase on the day itself says the pause is over.
    snoozed_until: date | None = None
    #: The follow-up its window is derived from, if any, and whether that one has its
    #: dates: until it has, what rides on it is chased through it, not on its own; once it
    #: has, the derived days get leads like confirmed ones.
    anchor_id: str | None = None
    anchor_dated: bool = False


@dataclass(frozen=True, order=True)
class Planned:
    due: datetime
    key: str
    followup_id: str = field(compare=False)
    kind: str = field(compare=False)
    audience: str = field(compare=False)
    channel: str = field(compare=False)
    #: The instant it would naturally fall due; ``due`` is later only for an overdue notice
    #: discovered after the fact, which goes out at once.
    natural_due: datetime = field(compare=False)
    detail: str = field(compare=False, default="")


def notice_key(followup_id: str, kind: str, due: datetime, audience: str, channel: str) -> str:
    return f"{followup_id}/{kind}/{_stamp(due)}/{audience}/{channel}"


#: Many follow-ups' notices fall on the same instants (a send time on a given day).
@lru_cache(maxsize=16384)
def _stamp(due: datetime) -> str:
    return f"{due.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def plan(
    facts: Facts,
    policy: Policy,
    audience: Audience,
    *,
    start: datetime,
    horizon: datetime,
    now: datetime,
) -> list[Planned]:
    """Every notice ``audience`` should get about ``facts`` due in [start, horizon).

    A snoozed follow-up's chases before the end of its snooze are left out, and one chase
    falls on the day the snooze ends, if it is still worth chasing then.

    An overdue notice whose natural instant is before ``start`` is still planned, due at
    ``now``: a window that passed unnoticed is worth saying once, late.
    """
    if not audience.wants(facts):
        return []
    found: list[Planned] = []
    for kind, natural, detail in _when(facts, policy, audience, horizon):
        due = natural
        if natural < start:
            if kind != NoticeKind.OVERDUE:
                continue
            due = max(now, start)
        if due >= horizon:
            continue
        for channel in audience.channels:
            key = notice_key(facts.id, kind, natural, audience.name, channel)
            found.append(Planned(due, key, facts.id, kind, audience.name, channel, natural,
                                 detail))
    return sorted(found, key=_order)


def _order(planned: Planned) -> tuple[datetime, str]:
    return planned.due, planned.key  # as Planned orders itself, without its __lt__ per pair


def _when(facts: Facts, policy: Policy, audience: Audience, horizon: datetime
          ) -> tuple[tuple[str, datetime, str], ...]:
    """The moments of a follow-up's notices: the same for every follow-up that stands
    where it stands (the same window, status, dates, anchor and snooze), whatever its id,
    kind or tags, so worked out once for all of them."""
    key = (facts.status, facts.window, facts.schedule, facts.created, facts.snoozed_until,
           facts.anchor_id, facts.anchor_dated, policy, audience, horizon)
    found = _MOMENTS.get(key)
    if found is None:
        if len(_MOMENTS) >= 4096:
            _MOMENTS.clear()
        found = _MOMENTS[key] = tuple(_unsnoozed(facts, policy, audience, horizon))
    return found


_MOMENTS: dict[tuple[object, ...], tuple[tuple[str, datetime, str], ...]] = {}


_CHASES = (NoticeKind.CHASE, NoticeKind.UNDATED)


def _unsnoozed(
    facts: Facts, policy: Policy, audience: Audience, horizon: datetime
) -> Iterator[tuple[str, datetime, str]]:
    moments = _moments(facts, policy, audience, horizon)
    day = facts.snoozed_until
    if day is None:
        yield from moments
        return
    wakes = audience.at_send_time(day)
    # Chasing starts again on the day the snooze ends, if it had begun by then and would
    # have gone on after it; an open window then keeps to its slowest pace.
    opens = facts.window.earliest
    resumes = (opens is None or opens < day) and any(
        kind in _CHASES and natural >= wakes for kind, natural, _ in _moments(
            facts, policy, audience, wakes + timedelta(days=400)))
    yield from ((kind, natural, detail) for kind, natural, detail in moments
                if kind not in _CHASES or (natural > wakes and not resumes))
    if not resumes:
        return
    undated = facts.window.earliest is None
    if wakes < horizon:
        yield (NoticeKind.UNDATED if undated else NoticeKind.CHASE, wakes,
               f"snoozed until {day.isoformat()}")
    if undated:
        yield from _every(NoticeKind.UNDATED, day, policy.undated_every_days, None, audience,
                          horizon)
    else:
        yield from _paced(facts.window, policy, audience, horizon, since=day, slowest=True)


def _rides(facts: Facts) -> bool:
    """Waiting on an anchor that has no dates yet: the anchor's notices speak for it."""
    return facts.anchor_id is not None and not facts.anchor_dated


def _end(window: Window, policy: Policy) -> date | None:
    """The window's last day, or for an open-ended one the last day it is chased as open."""
    if window.latest is not None or window.earliest is None:
        return window.latest
    if policy.open_overdue_days <= 0:
        return None
    return window.earliest + timedelta(days=policy.open_overdue_days - 1)


def _cadence(window: Window, policy: Policy) -> tuple[int, ...]:
    if window.latest is None:
        return tuple(policy.open_chase_days) or (0,)
    return (policy.chase_every_days,)


def _chases_end(window: Window, policy: Policy) -> date | None:
    """The day chasing an unconfirmed window stops: its closing notice, else its end."""
    return _closing_day(window, policy) or _end(window, policy)


def _closing_day(window: Window, policy: Policy) -> date | None:
    """The day of a window's own closing notice; none for an open-ended window, and none
    where it would come within ``together_days`` of the opening (which then says it)."""
    if window.latest is None or window.earliest is None or policy.closing_days <= 0:
        return None
    day = window.latest - timedelta(days=policy.closing_days)
    return day if (day - window.earliest).days >= max(1, policy.together_days) else None


def _moments(
    facts: Facts, policy: Policy, audience: Audience, horizon: datetime
) -> Iterator[tuple[str, datetime, str]]:
    if facts.status in (Status.DONE, Status.CANCELLED):
        return
    schedule = facts.schedule
    if schedule is not None:
        for days in sorted(set(policy.lead_days), reverse=True):
            yield NoticeKind.LEAD, _before(schedule, days, audience), _lead_detail(days)
        return
    if _rides(facts):
        return
    window = facts.window
    if window.earliest is None:
        yield from _every(NoticeKind.UNDATED, facts.created, policy.undated_every_days,
                          None, audience, horizon)
        return
    if facts.anchor_id is not None:
        # Derived from an anchor with dates: as near to certain as a window gets.
        for days in sorted(set(policy.lead_days), reverse=True):
            yield (NoticeKind.LEAD, audience.at_send_time(window.earliest - timedelta(
                days=days)), _lead_detail(days) + f", on {facts.anchor_id}'s dates")
    closing_day = _closing_day(window, policy)
    end = _end(window, policy)
    if policy.window_opens:
        short = window.latest is not None and closing_day is None and policy.closing_days > 0
        yield (NoticeKind.WINDOW_OPENS, audience.at_send_time(window.earliest),
               "closes " + describe_window(Window.day(window.latest)) if short
               and window.latest is not None and window.latest > window.earliest else "")
    if closing_day is not None:
        yield (NoticeKind.CLOSING, audience.at_send_time(closing_day),
               f"{in_days(policy.closing_days)} before the window closes")
    yield from _paced(window, policy, audience, horizon)
    if end is not None and policy.overdue:
        detail = "" if window.latest is not None else f"open {in_days(policy.open_overdue_days)}"
        yield NoticeKind.OVERDUE, audience.at_send_time(end + timedelta(days=1)), detail


def _paced(window: Window, policy: Policy, audience: Audience, horizon: datetime,
           since: date | None = None, *,
           slowest: bool = False) -> Iterator[tuple[str, datetime, str]]:
    """Chases of an unconfirmed window at its pace (or its ``slowest`` step), counted from
    ``since`` (default: when it opens), until its chasing ends."""
    first = since or window.earliest
    if first is None:
        return
    pace = _cadence(window, policy)[-1:] if slowest else _cadence(window, policy)
    if len(pace) == 1:
        yield from _every(NoticeKind.CHASE, first, pace[0], _chases_end(window, policy),
                          audience, horizon)
        return
    until = _chases_end(window, policy)
    day = first
    for step, every in enumerate(_steps(pace)):
        if every <= 0:
            return
        day += timedelta(days=every)
        instant = audience.at_send_time(day)
        if (until is not None and day >= until) or instant >= horizon:
            return
        yield NoticeKind.CHASE, instant, _pace_detail(pace, step)


def _steps(pace: tuple[int, ...]) -> Iterator[int]:
    yield from pace
    while True:
        yield pace[-1]


def _pace_detail(pace: tuple[int, ...], step: int) -> str:
    every = pace[min(step, len(pace) - 1)]
    then = "" if step >= len(pace) - 1 else ", then less often"
    return f"after {in_days(every)}{then}"


def _every(
    kind: str, first: date, every: int, until: date | None, audience: Audience,
    horizon: datetime,
) -> Iterator[tuple[str, datetime, str]]:
    """Every ``every`` days after ``first``, before ``until``, up to the horizon."""
    if every <= 0:
        return
    day = first + timedelta(days=every)
    while until is None or day < until:
        instant = audience.at_send_time(day)
        if instant >= horizon:
            return
        yield kind, instant, "every day" if every == 1 else f"every {every} days"
        day += timedelta(days=every)


def _before(schedule: Schedule, days: int, audience: Audience) -> datetime:
    # A timed meeting is reminded at its own hour; an all-day one at the send time.
    if isinstance(schedule.start, datetime):
        return schedule.start.astimezone(UTC) - timedelta(days=days)
    return audience.at_send_time(schedule.start - timedelta(days=days))


def _lead_detail(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"
