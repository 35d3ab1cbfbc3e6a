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
from zoneinfo import ZoneInfo

from events.describe import days as in_days
from events.model import Kind, Status
from events.schedule import Schedule
from events.window import Window


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

    PER_FOLLOWUP = (LEAD, WINDOW_OPENS, CHASE, CLOSING, OVERDUE, UNDATED)
    ALL = (*PER_FOLLOWUP, DIGEST, MISSED)


@dataclass(frozen=True)
class Policy:
    """Which reminders a follow-up gets; 0 or an empty list turns one off."""

    lead_days: tuple[int, ...] = (30, 7, 1)
    window_opens: bool = True
    chase_every_days: int = 14
    closing_days: int = 14
    overdue: bool = True
    undated_every_days: int = 30


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
        return datetime.combine(day, self.send_time, self.zone).astimezone(UTC)


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
    return f"{followup_id}/{kind}/{due.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}/{audience}/{channel}"


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
    for kind, natural, detail in _unsnoozed(facts, policy, audience, horizon):
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
    return sorted(found)


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
    if not _chased_on(facts, policy, day):
        yield from ((kind, natural, detail) for kind, natural, detail in moments
                    if kind not in _CHASES or natural > wakes)
        return
    # Chasing starts again on the day the snooze ends, at its usual pace from then.
    yield from ((kind, natural, detail) for kind, natural, detail in moments
                if kind not in _CHASES)
    if facts.window.earliest is None:
        kind, every, end = NoticeKind.UNDATED, policy.undated_every_days, None
    else:
        kind, every, end = NoticeKind.CHASE, policy.chase_every_days, _chases_end(
            facts.window, policy)
    if wakes < horizon:
        yield kind, wakes, f"snoozed until {day.isoformat()}"
    yield from _every(kind, day, every, end, audience, horizon)


def _chased_on(facts: Facts, policy: Policy, day: date) -> bool:
    """Whether ``facts`` is still being chased on ``day``."""
    if facts.status is not Status.EXPECTED or facts.schedule is not None:
        return False
    window = facts.window
    if window.earliest is None:
        return policy.undated_every_days > 0
    end = _chases_end(window, policy)
    return policy.chase_every_days > 0 and window.earliest < day and (end is None or day < end)


def _chases_end(window: Window, policy: Policy) -> date | None:
    """The day chasing an unconfirmed window stops: its closing notice, else its end."""
    closing = _closing_day(window, policy)
    return closing or window.latest


def _closing_day(window: Window, policy: Policy) -> date | None:
    if window.latest is None or window.earliest is None or policy.closing_days <= 0:
        return None
    day = window.latest - timedelta(days=policy.closing_days)
    return day if day > window.earliest else None


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
    window = facts.window
    if window.earliest is None:
        yield from _every(NoticeKind.UNDATED, facts.created, policy.undated_every_days,
                          None, audience, horizon)
        return
    if policy.window_opens:
        yield NoticeKind.WINDOW_OPENS, audience.at_send_time(window.earliest), ""
    closing_day = _closing_day(window, policy)
    if closing_day is not None:
        yield (NoticeKind.CLOSING, audience.at_send_time(closing_day),
               f"{in_days(policy.closing_days)} before the window closes")
    yield from _every(NoticeKind.CHASE, window.earliest, policy.chase_every_days,
                      _chases_end(window, policy), audience, horizon)
    if window.latest is not None and policy.overdue:
        yield NoticeKind.OVERDUE, audience.at_send_time(window.latest + timedelta(days=1)), ""


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
