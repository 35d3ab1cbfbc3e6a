"""The register: every command that changes a follow-up, with its history and its events.

A :class:`Register` works inside one database transaction. Each command checks what it is
asked, changes the follow-up, writes one history row per changed field, raises the revision
once, and publishes a domain event; the anchored follow-ups are re-derived by a subscriber
to those events before the transaction commits, so a change and everything it implies land
together or not at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Select, Table, and_, func, or_, select, true
from sqlalchemy.orm import Session

from events.bus import (
    Added,
    Cancelled,
    Completed,
    Confirmed,
    Edited,
    EventBus,
    FollowUpEvent,
    Moved,
    Rederived,
    Reopened,
)
from events.derive import anchor_cycle, derived_window
from events.describe import days as in_days
from events.errors import AnchorCycle, DuplicateFollowUp, InvalidChange, UnknownFollowUp
from events.model import Change, FollowUp, Kind, RegisterVersion, Source, Status
from events.schedule import Schedule
from events.store import insert_rows
from events.text import address, single_line
from events.timeline import Item
from events.window import Window, describe_window, format_window

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")

_FINAL = (Status.DONE, Status.CANCELLED)

_FOLLOWUPS = cast(Table, FollowUp.__table__)
_CHANGES = cast(Table, Change.__table__)

#: Rows looked up or added in one statement: well under what a statement may carry
#: (SQLite: 32,766 parameters).
_BATCH = 500
#: Rows handed to the driver at once: few calls, and their converted values held briefly.
_INSERT_BATCH = 5000


def id_problem(followup_id: str) -> str | None:
    """What is wrong with ``followup_id`` as an id, or None if it is usable."""
    if _ID.fullmatch(followup_id) is not None:
        return None
    return (
        f"{followup_id!r} is not a usable id: use lower-case letters, digits and "
        "hyphens, starting with a letter or digit, at most 64 characters (temm-21)"
    )


@dataclass(frozen=True)
class Draft:
    """A follow-up as it is first written down."""

    id: str
    title: str
    kind: Kind
    window: Window = field(default_factory=Window.undated)
    phrase: str | None = None
    schedule: Schedule | None = None
    parties: Sequence[str] = ()
    location: str | None = None
    anchor_id: str | None = None
    margin_days: int = 0
    source: Source | None = None
    paragraph: int | None = None
    sentence: str | None = None
    tags: Sequence[str] = ()
    next_step: str | None = None
    #: As it stands, for a follow-up carried over from another register; by default
    #: expected, or scheduled when it has a schedule.
    status: Status | None = None

    @property
    def initial_status(self) -> Status:
        if self.status is not None:
            return self.status
        return Status.EXPECTED if self.schedule is None else Status.SCHEDULED


def register_state(session: Session) -> tuple[int, int]:
    """Two numbers that move whenever anything a notice says of a follow-up changes: the
    register's version (raised by triggers on any change to a follow-up, in the same
    transaction) and the last entry of the history (notes are entries, never rewritten)."""
    version = session.scalar(select(RegisterVersion.version))
    last = session.scalar(select(func.max(Change.id)))
    return int(version or 0), int(last or 0)


def _line(text: str | None) -> str | None:
    return None if text is None else single_line(text)


def clean_draft(draft: Draft) -> Draft:
    """``draft`` with no control characters or stray line breaks in any of its texts."""
    return replace(
        draft,
        title=single_line(draft.title),
        phrase=_line(draft.phrase),
        parties=[single_line(p) for p in draft.parties],
        location=_line(draft.location),
        sentence=_line(draft.sentence),
        tags=[single_line(t) for t in draft.tags],
        next_step=_line(draft.next_step),
    )


@dataclass(frozen=True)
class _Field:
    show: Callable[[FollowUp], str | None]
    assign: Callable[[FollowUp, Any], None]


def _assign_window(followup: FollowUp, window: Window) -> None:
    followup.earliest, followup.latest, followup.precision = (
        window.earliest,
        window.latest,
        window.precision,
    )


def _assign_schedule(followup: FollowUp, schedule: Schedule | None) -> None:
    followup.start_date = followup.end_date = followup.start_at = followup.end_at = None
    followup.end_assumed = None  # until the command that set it says otherwise
    followup.timezone = None
    if schedule is None:
        return
    if schedule.is_timed:
        followup.start_at, followup.end_at = schedule.utc()
        followup.timezone = schedule.timezone
    else:
        followup.start_date, followup.end_date = schedule.start, schedule.end


def _assign_next_step(followup: FollowUp, step: str | None) -> None:
    # A step is written for where the follow-up stands when it is written.
    followup.next_step = step
    followup.next_step_for = followup.status.value


def _plain(name: str) -> _Field:
    def show(followup: FollowUp) -> str | None:
        value = getattr(followup, name)
        if value is None:
            return None
        if isinstance(value, list):
            return ", ".join(value)
        return str(value)

    return _Field(show, lambda followup, value: setattr(followup, name, value))


# The fields history speaks of, by the names it uses for them.
_FIELDS: dict[str, _Field] = {
    "title": _plain("title"),
    "kind": _plain("kind"),
    "status": _plain("status"),
    "location": _plain("location"),
    "parties": _plain("parties"),
    "tags": _plain("tags"),
    "phrase": _plain("phrase"),
    "next_step": _Field(lambda f: f.next_step, _assign_next_step),
    "snoozed_until": _Field(
        lambda f: None if f.snoozed_until is None else f.snoozed_until.isoformat(),
        lambda f, v: setattr(f, "snoozed_until", v),
    ),
    "margin": _Field(lambda f: str(f.margin_days), lambda f, v: setattr(f, "margin_days", v)),
    "window": _Field(lambda f: format_window(f.window), _assign_window),
    "schedule": _Field(
        lambda f: None if f.schedule is None else f.schedule.to_text(), _assign_schedule
    ),
    # Read through the relationship: the id column only follows it at the next flush.
    "anchor": _Field(
        lambda f: None if f.anchor is None else f.anchor.id, lambda f, v: setattr(f, "anchor", v)
    ),
}


def _listing(
    *, status: Status | None, kind: Kind | None, within: Window | None
) -> Select[Any]:
    query = select(FollowUp)
    if status is not None:
        query = query.where(FollowUp.status == status)
    if kind is not None:
        query = query.where(FollowUp.kind == kind)
    if within is not None and within.earliest is not None:
        ends_after = or_(FollowUp.latest.is_(None), FollowUp.latest >= within.earliest)
        starts_before = true() if within.latest is None else FollowUp.earliest <= within.latest
        query = query.where(or_(FollowUp.earliest.is_(None), and_(ends_after, starts_before)))
    return query.order_by(
        FollowUp.earliest.is_(None),
        FollowUp.earliest,
        FollowUp.latest.is_(None),
        FollowUp.latest,
        FollowUp.id,
    )


def snooze_too_soon(until: date, today: date) -> str | None:
    """Why ``until`` cannot end a snooze made ``today`` (it must come after it), or None:
    the command and the page say it in the same words."""
    if until > today:
        return None
    return (f"{until.isoformat()} is not after today ({today.isoformat()}): give a later "
            "day, or --clear to chase it as usual")


class Register:
    """Reads and changes follow-ups inside one transaction of ``session``."""

    def __init__(self, session: Session, *, now: datetime, bus: EventBus) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.session = session
        self.now = now
        self.bus = bus
        #: Every history row this unit of work wrote, derived ones included, in order.
        self.changes: list[Change] = []
        #: Things worth telling the person who asked, that are not errors.
        self.notes: list[str] = []
        #: Set for loading what is not news (the bundled example): no change notices.
        self.quiet = False

    def finish(self) -> None:
        """The command is complete: let the bus's finishers see all it changed (change
        notices are planned here). Call once, before the transaction commits."""
        if self.changes and not self.quiet:
            self.bus.finish(self)

    # -- reading -----------------------------------------------------------------------

    def get(self, followup_id: str) -> FollowUp:
        followup = self.session.get(FollowUp, followup_id)
        if followup is None:
            raise UnknownFollowUp(followup_id)
        return followup

    def find(
        self,
        *,
        status: Status | None = None,
        kind: Kind | None = None,
        within: Window | None = None,
    ) -> list[FollowUp]:
        """Follow-ups in date order; ``within`` keeps those whose window overlaps it.

        An undated follow-up could happen on any day, so it overlaps every range.
        """
        query = _listing(status=status, kind=kind, within=within)
        return list(self.session.scalars(query).unique())

    def each(
        self,
        *,
        status: Status | None = None,
        kind: Kind | None = None,
        within: Window | None = None,
        batch: int = _BATCH,
    ) -> Iterator[FollowUp]:
        """What :meth:`find` lists, read ``batch`` rows at a time (a server-side cursor on
        PostgreSQL), so that a listing of any length is written in bounded memory."""
        query = _listing(status=status, kind=kind, within=within)
        result = self.session.scalars(query.execution_options(yield_per=batch))
        # The session holds what it loaded weakly: a batch written out is let go.
        for followups in result.partitions():
            yield from followups

    def windows_of(self, ids: Iterable[str]) -> dict[str, Window]:
        """The windows of those of ``ids`` the register holds, a batch at a time."""
        found: dict[str, Window] = {}
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), _BATCH):
            query = select(FollowUp.id, FollowUp.earliest, FollowUp.latest, FollowUp.precision)
            rows = self.session.execute(
                query.where(FollowUp.id.in_(wanted[start:start + _BATCH])))
            for row in rows:
                found[row.id] = Window(row.earliest, row.latest, row.precision)
        return found

    def dependants(self, anchor_id: str) -> list[FollowUp]:
        query = select(FollowUp).where(FollowUp.anchor_id == anchor_id).order_by(FollowUp.id)
        return list(self.session.scalars(query).unique())

    def history(self, followup_id: str) -> list[Change]:
        self.get(followup_id)
        query = select(Change).where(Change.followup_id == followup_id).order_by(Change.id)
        return list(self.session.scalars(query))

    def timeline_items(self) -> list[Item]:
        """Every follow-up as the timeline needs it, read as plain columns: a page of
        thousands is drawn without loading the follow-ups themselves."""
        columns = (FollowUp.id, FollowUp.title, FollowUp.kind, FollowUp.status,
                   FollowUp.earliest, FollowUp.latest, FollowUp.precision, FollowUp.start_date,
                   FollowUp.end_date, FollowUp.start_at, FollowUp.end_at, FollowUp.timezone,
                   FollowUp.tags, FollowUp.anchor_id)
        items = []
        for (id_, title, kind, status, earliest, latest, precision, start_date, end_date,
             start_at, end_at, timezone, tags, anchor_id) in self.session.execute(
                select(*columns)):
            confirmed = None
            if start_date is not None and end_date is not None:
                confirmed = Window.days(start_date, end_date)
            elif start_at is not None and end_at is not None and timezone:
                confirmed = Schedule.timed(start_at, end_at, timezone).days()
            items.append(Item(id=id_, title=title, kind=kind, status=status,
                              window=Window(earliest, latest, precision), confirmed=confirmed,
                              tags=tuple(tags or ()), anchor_id=anchor_id))
        return items

    def changed_since(self, instant: datetime, *, limit: int = 1000) -> list[Change]:
        """What changed at or after ``instant``, newest first, at most ``limit`` rows."""
        query = (select(Change).where(Change.at >= instant)
                 .order_by(Change.at.desc(), Change.id.desc()).limit(limit))
        return list(self.session.scalars(query))

    # -- sources -----------------------------------------------------------------------

    def source_with_text(self, text: str) -> Source | None:
        digest = hashlib.sha256(text.encode()).hexdigest()
        return self.session.scalars(select(Source).where(Source.sha256 == digest)).first()

    def add_source(
        self,
        *,
        title: str,
        publisher: str,
        text: str,
        url: str | None = None,
        published: date | None = None,
        attribution: str | None = None,
    ) -> Source:
        """Keep a source document; the same text is kept only once."""
        existing = self.source_with_text(text)
        if existing is not None:
            return existing
        # The text itself is kept as published: it is the evidence, and its hash is how the
        # same release is recognised; it never reaches a feed or a table.
        source = Source(
            title=single_line(title),
            publisher=single_line(publisher),
            url=None if url is None else address(url),
            published=published,
            attribution=_line(attribution),
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            ingested_at=self.now,
        )
        self.session.add(source)
        self.session.flush()
        return source

    def cite_source(
        self,
        *,
        title: str,
        publisher: str,
        sha256: str,
        url: str | None = None,
        published: date | None = None,
    ) -> Source:
        """The source with this hash, kept by its details alone if the register lacks it.

        For follow-ups carried over from another register's listing, which names the
        release but does not hold its text: the text stays empty, and the release, if it
        is ever ingested here, is recognised by its hash as the one they came from.
        """
        existing = self.session.scalars(select(Source).where(Source.sha256 == sha256)).first()
        if existing is not None:
            return existing
        source = Source(
            title=single_line(title),
            publisher=single_line(publisher),
            url=None if url is None else address(url),
            published=published,
            text="",
            sha256=sha256,
            ingested_at=self.now,
        )
        self.session.add(source)
        self.session.flush()
        return source

    # -- commands ----------------------------------------------------------------------

    def add(self, draft: Draft, *, why: str) -> FollowUp:
        draft = clean_draft(draft)
        problem = id_problem(draft.id)
        if problem is not None:
            raise InvalidChange(problem)
        if self.session.get(FollowUp, draft.id) is not None:
            raise DuplicateFollowUp(draft.id)
        if draft.margin_days < 0:
            raise InvalidChange("a margin is a number of days on each side, 0 or more")
        anchor = None
        window = draft.window
        if draft.anchor_id is not None:
            if draft.anchor_id == draft.id:
                raise AnchorCycle([draft.id, draft.id])
            if not window.is_undated:
                raise InvalidChange(
                    "give a window or an anchor, not both: an anchored follow-up's window "
                    "is derived from its anchor"
                )
            anchor = self.get(draft.anchor_id)
            window = derived_window(anchor.window, draft.margin_days)
        status = draft.initial_status
        if draft.schedule is not None:
            window = draft.schedule.days()
        followup = FollowUp(
            id=draft.id,
            title=draft.title,
            kind=draft.kind,
            status=status,
            parties=list(draft.parties),
            location=draft.location,
            phrase=draft.phrase,
            anchor=anchor,
            margin_days=draft.margin_days,
            source=draft.source,
            paragraph=draft.paragraph,
            sentence=draft.sentence,
            tags=list(draft.tags),
            next_step=draft.next_step,
            next_step_for=None if draft.next_step is None else status.value,
            revision=1,
            created_at=self.now,
            updated_at=self.now,
        )
        _assign_window(followup, window)
        _assign_schedule(followup, draft.schedule)
        self.session.add(followup)
        self._log(followup, "created", None, f"{draft.kind} {format_window(window)}", why)
        self.session.flush()
        self.bus.publish(
            Added(followup_id=followup.id, at=self.now, cause=why, window=window), self
        )
        return followup

    def add_many(self, drafts: Sequence[Draft], *, why: str) -> int:
        """Add many follow-ups at once, as :meth:`add` adds one, in a few statements.

        An anchor must be in the register or earlier in ``drafts``; each anchored follow-up
        gets its window derived from its anchor's, as ``add`` gives it. Planning hears of
        them together (:meth:`EventBus.publish_many`). Their history rows are written but,
        unlike :meth:`add`'s, not kept in :attr:`changes`: an import of 100,000 rows reports
        a count. Returns how many were added.
        """
        drafts = [clean_draft(d) for d in drafts]
        seen: set[str] = set()
        for draft in drafts:
            problem = id_problem(draft.id)
            if problem is not None:
                raise InvalidChange(problem)
            if draft.id in seen:
                raise DuplicateFollowUp(draft.id)
            if draft.margin_days < 0:
                raise InvalidChange("a margin is a number of days on each side, 0 or more")
            seen.add(draft.id)
        windows = self.windows_of(seen | {d.anchor_id for d in drafts if d.anchor_id})
        taken = sorted(seen & windows.keys())
        if taken:
            raise DuplicateFollowUp(taken[0])
        followups: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        events: list[FollowUpEvent] = []
        why = single_line(why)
        for draft in drafts:
            window = self._first_window(draft, windows)
            windows[draft.id] = window
            followups.append(self._row(draft, window))
            changes.append({"followup_id": draft.id, "revision": 1, "field": "created",
                            "old": None, "new": f"{draft.kind} {format_window(window)}",
                            "at": self.now, "why": why})
            events.append(Added(followup_id=draft.id, at=self.now, cause=why, window=window))
        self.session.flush()
        for start in range(0, len(followups), _INSERT_BATCH):  # anchors first, in order
            insert_rows(self.session, _FOLLOWUPS, followups[start:start + _INSERT_BATCH])
            insert_rows(self.session, _CHANGES, changes[start:start + _INSERT_BATCH])
        self.bus.publish_many(events, self)
        return len(followups)

    def _first_window(self, draft: Draft, windows: dict[str, Window]) -> Window:
        if draft.schedule is not None:
            return draft.schedule.days()
        if draft.anchor_id is None:
            return draft.window
        if draft.anchor_id == draft.id:
            raise AnchorCycle([draft.id, draft.id])
        if draft.anchor_id not in windows:
            raise UnknownFollowUp(draft.anchor_id)
        if draft.initial_status is not Status.EXPECTED:
            return draft.window  # what happened, or will not, keeps its own dates
        return derived_window(windows[draft.anchor_id], draft.margin_days)

    def _row(self, draft: Draft, window: Window) -> dict[str, Any]:
        schedule = draft.schedule
        timed = schedule is not None and schedule.is_timed
        start_at, end_at = schedule.utc() if schedule is not None and timed else (None, None)
        return {
            "id": draft.id, "title": draft.title, "kind": draft.kind,
            "status": draft.initial_status, "parties": list(draft.parties),
            "location": draft.location, "earliest": window.earliest, "latest": window.latest,
            "precision": window.precision, "phrase": draft.phrase,
            "start_date": schedule.start if schedule is not None and not timed else None,
            "end_date": schedule.end if schedule is not None and not timed else None,
            "start_at": start_at, "end_at": end_at,
            "timezone": schedule.timezone if timed and schedule is not None else None,
            "anchor_id": draft.anchor_id, "margin_days": draft.margin_days,
            "source_id": None if draft.source is None else draft.source.id,
            "paragraph": draft.paragraph, "sentence": draft.sentence,
            "tags": list(draft.tags), "next_step": draft.next_step,
            "next_step_for": None if draft.next_step is None else draft.initial_status.value,
            "revision": 1,
            "created_at": self.now, "updated_at": self.now,
        }

    def confirm(self, followup_id: str, schedule: Schedule, *, why: str,
                location: str | None = None, end_assumed: bool = False) -> FollowUp:
        followup = self.get(followup_id)
        self._refuse_final(followup, "confirmed")
        days = schedule.days()
        if not followup.window.contains(days):
            self.notes.append(
                f"{followup.id}: {describe_window(days)} is outside its window "
                f"({describe_window(followup.window)}); the window now follows the dates"
            )
        updates: dict[str, Any] = {"status": Status.SCHEDULED, "schedule": schedule,
                                   "window": days}
        if location is not None:
            updates["location"] = _place(location)
        changed = self._update(followup, why, **updates)
        # Said in notices ("end assumed"), not history: it is how the dates were given.
        followup.end_assumed = (end_assumed and schedule.is_timed) or None
        if changed:
            self._publish(
                Confirmed(followup_id=followup.id, at=self.now, cause=why, schedule=schedule)
            )
        else:
            self.notes.append(f"{followup.id} was already confirmed for {schedule.describe()}")
        return followup

    def move(
        self,
        followup_id: str,
        window: Window,
        *,
        why: str,
        phrase: str | None = None,
        detach: bool = False,
    ) -> FollowUp:
        followup = self.get(followup_id)
        self._refuse_final(followup, "moved")
        if followup.anchor_id is not None and not detach:
            raise InvalidChange(
                f"{followup.id}'s window is derived from {followup.anchor_id} (margin "
                f"{in_days(followup.margin_days)}): move {followup.anchor_id} instead, or pass "
                "--detach to cut the tie and set the window by hand"
            )
        old = followup.window
        updates: dict[str, Any] = {"status": Status.EXPECTED, "schedule": None, "window": window}
        if detach:
            updates["anchor"] = None
        if phrase is not None:
            updates["phrase"] = single_line(phrase)
        if self._update(followup, why, **updates):
            self._publish(
                Moved(followup_id=followup.id, at=self.now, cause=why, old=old, new=window)
            )
        else:
            self.notes.append(f"{followup.id} is already expected in {format_window(window)}")
        return followup

    def cancel(self, followup_id: str, *, why: str, reason: str | None = None) -> FollowUp:
        followup = self.get(followup_id)
        self._refuse_final(followup, "cancelled")
        self._update(followup, why, status=Status.CANCELLED)
        self._publish(Cancelled(followup_id=followup.id, at=self.now, cause=why,
                                reason=_line(reason)))
        return followup

    def complete(self, followup_id: str, *, why: str, schedule: Schedule | None = None,
                 location: str | None = None) -> FollowUp:
        """Mark it done; ``schedule`` gives the days it was held on, when they are news."""
        followup = self.get(followup_id)
        self._refuse_final(followup, "marked done")
        updates: dict[str, Any] = {"status": Status.DONE}
        if schedule is not None:
            updates.update(schedule=schedule, window=schedule.days())
        if location is not None:
            updates["location"] = _place(location)
        self._update(followup, why, **updates)
        self._publish(
            Completed(followup_id=followup.id, at=self.now, cause=why, schedule=followup.schedule)
        )
        return followup

    def reopen(self, followup_id: str, *, why: str) -> FollowUp:
        """Undo a cancel or a done made by mistake: scheduled again if it has dates, else
        expected, and what is tied to it follows it again."""
        followup = self.get(followup_id)
        if followup.status not in _FINAL:
            raise InvalidChange(
                f"{followup.id} is {followup.status}, not cancelled or done: there is "
                "nothing to reopen"
            )
        status = Status.SCHEDULED if followup.schedule is not None else Status.EXPECTED
        self._update(followup, why, status=status)
        self._publish(Reopened(followup_id=followup.id, at=self.now, cause=why))
        return followup

    def edit(
        self,
        followup_id: str,
        *,
        why: str,
        title: str | None = None,
        kind: Kind | None = None,
        location: str | None = None,
        next_step: str | None = None,
        tags: Sequence[str] | None = None,
    ) -> FollowUp:
        """Change what was typed or read from a release. An empty location or next step
        clears it; None leaves a field as it is."""
        followup = self.get(followup_id)
        updates: dict[str, Any] = {}
        if title is not None:
            cleaned = single_line(title).strip()
            if not cleaned:
                raise InvalidChange("a title cannot be empty: say in a few words what it is")
            updates["title"] = cleaned
        if kind is not None:
            updates["kind"] = kind
        if location is not None:
            updates["location"] = _place(location)
        if next_step is not None:
            updates["next_step"] = single_line(next_step).strip() or None
        if tags is not None:
            updates["tags"] = list(dict.fromkeys(
                t for t in (single_line(tag).strip() for tag in tags) if t))
        changed = [name for name in updates if self._update(followup, why, **{name: updates[name]})]
        if changed:
            self._publish(Edited(followup_id=followup.id, at=self.now, cause=why,
                                 fields=tuple(changed)))
        else:
            self.notes.append(f"{followup.id} already reads so: nothing changed")
        return followup

    def snooze(self, followup_id: str, until: date | None, *, why: str,
               note: str | None = None) -> FollowUp:
        """No chases before ``until`` (None: chase again as usual); leads and the notices
        of a window opening, closing or passing still go out."""
        followup = self.get(followup_id)
        if until is not None:
            self._refuse_final(followup, "snoozed")
        if self._update(followup, why, snoozed_until=until):
            self._publish(Edited(followup_id=followup.id, at=self.now, cause=why,
                                 fields=("snoozed_until",)))
        else:
            self.notes.append(f"{followup.id} was already " + (
                f"snoozed until {until.isoformat()}" if until else "not snoozed"))
        if note is not None:
            self.add_note(followup.id, note, why=why)
        return followup

    def add_note(self, followup_id: str, text: str, *, why: str) -> Change:
        """A dated note: kept in the history, carried by ``show`` and the notices."""
        followup = self.get(followup_id)
        cleaned = single_line(text).strip()
        if not cleaned:
            raise InvalidChange("a note cannot be empty: write what there is to know")
        self._log(followup, "note", None, cleaned, why)
        self.session.flush()
        return self.changes[-1]

    def set_anchor(
        self, followup_id: str, anchor_id: str | None, *, why: str, margin_days: int = 0
    ) -> FollowUp:
        """Tie a follow-up to what it happens on the occasion of, or (None) cut the tie."""
        followup = self.get(followup_id)
        if margin_days < 0:
            raise InvalidChange("a margin is a number of days on each side, 0 or more")
        anchor = None
        if anchor_id is not None:
            anchor = self.get(anchor_id)
            cycle = anchor_cycle(followup.id, anchor.id, self._anchor_of)
            if cycle is not None:
                raise AnchorCycle(cycle)
        old = followup.window
        updates: dict[str, Any] = {"anchor": anchor, "margin": margin_days}
        if anchor is not None and followup.status is Status.EXPECTED:
            updates["window"] = derived_window(anchor.window, margin_days)
        changed = self._update(followup, why, **updates)
        if changed and followup.window != old and anchor is not None:
            self._publish(
                Rederived(
                    followup_id=followup.id,
                    at=self.now,
                    cause=why,
                    anchor_id=anchor.id,
                    old=old,
                    new=followup.window,
                )
            )
        elif changed:
            self._publish(
                Edited(followup_id=followup.id, at=self.now, cause=why, fields=("anchor", "margin"))
            )
        return followup

    # -- re-derivation -----------------------------------------------------------------

    def rederive_dependants(self, event: FollowUpEvent) -> None:
        """Bring every follow-up anchored to ``event``'s follow-up up to date with it."""
        anchor = self.get(event.followup_id)
        why = f"derived from {anchor.id} after: {event.cause}"
        for dependant in self.dependants(anchor.id):
            if dependant.status in _FINAL:
                continue  # what happened, or will not, is not re-planned
            old = dependant.window
            if isinstance(event, Cancelled):
                self._note(dependant, "anchor", anchor.id, f"{anchor.id} (cancelled)", why)
            elif isinstance(event, Reopened):
                self._note(dependant, "anchor", None, f"{anchor.id} (reopened)", why)
            elif dependant.status is Status.EXPECTED:
                self._update(
                    dependant, why, window=derived_window(anchor.window, dependant.margin_days)
                )
            if dependant.window != old or isinstance(event, Cancelled | Reopened):
                self._publish(
                    Rederived(
                        followup_id=dependant.id,
                        at=self.now,
                        cause=event.cause,
                        anchor_id=anchor.id,
                        old=old,
                        new=dependant.window,
                    )
                )

    # -- internals ---------------------------------------------------------------------

    def _anchor_of(self, followup_id: str) -> str | None:
        return self.get(followup_id).anchor_id

    def _refuse_final(self, followup: FollowUp, verb: str) -> None:
        if followup.status is Status.CANCELLED:
            raise InvalidChange(
                f"{followup.id} was cancelled and cannot be {verb}: add a new follow-up "
                "if it is back on"
            )
        if followup.status is Status.DONE:
            raise InvalidChange(f"{followup.id} is done already and cannot be {verb}")

    def _publish(self, event: FollowUpEvent) -> None:
        self.session.flush()
        self.bus.publish(event, self)

    def _update(self, followup: FollowUp, why: str, **values: Any) -> bool:
        """Set fields, logging each one that really changed; True if any did."""
        changed = False
        for name, value in values.items():
            spec = _FIELDS[name]
            old = spec.show(followup)
            spec.assign(followup, value)
            new = spec.show(followup)
            if old != new:
                self._note(followup, name, old, new, why, bump=not changed)
                changed = True
        return changed

    def _note(
        self,
        followup: FollowUp,
        name: str,
        old: str | None,
        new: str | None,
        why: str,
        *,
        bump: bool = True,
    ) -> None:
        if bump:
            followup.revision += 1
            followup.updated_at = self.now
        self._log(followup, name, old, new, why)

    def _log(
        self, followup: FollowUp, name: str, old: str | None, new: str | None, why: str
    ) -> None:
        change = Change(
            followup=followup,
            revision=followup.revision,
            field=name,
            old=_line(old),
            new=_line(new),
            at=self.now,
            why=single_line(why),
        )
        self.session.add(change)
        self.changes.append(change)


def _place(location: str) -> str | None:
    return single_line(location).strip() or None  # an empty place clears it


def rederive_dependants(event: FollowUpEvent, register: Register) -> None:
    register.rederive_dependants(event)


def standard_bus() -> EventBus:
    """A bus with the register's own subscribers: anchored follow-ups follow their anchor."""
    bus = EventBus()
    for kind in (Confirmed, Moved, Cancelled, Completed, Rederived, Reopened):
        bus.subscribe(kind, rederive_dependants)
    return bus
