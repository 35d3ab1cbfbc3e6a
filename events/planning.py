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

    An overdue notice whose natural instant is before ``start`` is still planned, due at
    ``now``: a window that passed unnoticed is worth saying once, late.
    """
    if not audience.wants(facts):
        return []
    found: list[Planned] = []
    for kind, natural, detail in _moments(facts, policy, audience, horizon):
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
    closing_day = None
    if window.latest is not None and policy.closing_days > 0:
        closing_day = window.latest - timedelta(days=policy.closing_days)
        if closing_day > window.earliest:
            yield (NoticeKind.CLOSING, audience.at_send_time(closing_day),
                   f"{in_days(policy.closing_days)} before the window closes")
        else:
            closing_day = None
    yield from _every(NoticeKind.CHASE, window.earliest, policy.chase_every_days,
                      closing_day or window.latest, audience, horizon)
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
