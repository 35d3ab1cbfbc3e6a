"""iCalendar feeds of follow-ups: the one module that speaks icalendar.

How each follow-up appears, so that every common client (Google, Outlook, Apple, Thunderbird)
shows something a person can live with:

- confirmed, all day: its days (``DTSTART;VALUE=DATE`` with the exclusive end the standard
  wants); timed: its start and end in UTC, so no client has to understand a time zone;
- an unconfirmed window: an all-day span over the whole window, free time
  (``TRANSP:TRANSPARENT``), ``STATUS:TENTATIVE`` and a summary that says the date is open:
  "TEMM 21 (date TBC: second half of 2019)";
- open-ended ("February 2019 onwards"): one all-day entry on the first day it could happen,
  the summary saying "onwards" (no client can show a span without an end);
- undated: one all-day entry on the day it was promised (the source's publication date, or
  the day it was recorded), the summary saying "no date yet", so it is seen, not lost;
- cancelled: ``STATUS:CANCELLED`` and "(cancelled)" in the summary, since some clients hide
  the status and others show it in different ways;
- still expected though its anchor was cancelled: the summary and the tie line say so
  ("LTP report (date TBC: second half of 2019; TEMM 21 cancelled)"), since its window is
  now only the anchor's old guess.

With ``windows = "edges"`` an unconfirmed window of several days is two one-day entries
instead of one long span, which agenda views list once a day for months: "TITLE opens" on
its first day, keeping the follow-up's UID (so the confirmed event that replaces it is the
same event to a client), and "TITLE closes" on its last day, with a UID of its own
(``ID.closes@domain``) that goes away once the dates are confirmed, or it is done or
cancelled; a done or cancelled follow-up without dates is then one entry on the first day.
One-day, open-ended and undated windows are one entry either way.

All text is passed through :mod:`events.text` on the way out, so rows written before it
existed (a stray control character in a title) cannot make a strict parser refuse the feed.

Every block depends only on the follow-up, so unchanged data gives identical bytes:
``DTSTAMP`` and ``LAST-MODIFIED`` are the follow-up's last change, ``SEQUENCE`` its revision.
A block is good for one version (the follow-up's revision and its anchor's) and one shape
(:func:`shape_of`); a feed is the calendar header, the blocks in feed order and the footer.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from events.describe import anchor_cancelled, short_title, tie_line, when
from events.model import FollowUp, Status
from events.text import address, multi_line, single_line
from events.window import describe_window

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//followup//Follow-ups of government meetings//EN"

WindowShape = Literal["span", "edges"]
#: How an unconfirmed window of several days is shown; the first is the default.
WINDOW_SHAPES: tuple[WindowShape, ...] = ("span", "edges")


@dataclass(frozen=True)
class FeedSettings:
    domain: str = "followup.invalid"
    name: str = "followup"
    description: str = "Follow-ups promised at government meetings, with their date windows"
    refresh: timedelta = timedelta(hours=1)
    alarms: bool = False
    windows: WindowShape = "span"


def _days(followup: FollowUp) -> tuple[date, date]:
    """First day and exclusive end of the all-day entry for an unconfirmed follow-up."""
    window = followup.window
    if window.earliest is None:
        source = followup.source
        day = source.published if source is not None and source.published else (
            followup.created_at.date())
        return day, day + timedelta(days=1)
    if window.latest is None:
        return window.earliest, window.earliest + timedelta(days=1)
    return window.earliest, window.latest + timedelta(days=1)


Edge = Literal["opens", "closes"]


def summary(followup: FollowUp, edge: Edge | None = None) -> str:
    """The event's title; ``edge`` names which end of a window an entry stands for."""
    title = single_line(followup.title)
    if followup.status is Status.CANCELLED:
        return f"{title} (cancelled)"
    if followup.schedule is not None:
        return title
    if edge is not None:
        title = f"{title} {edge}"
    if followup.window.is_undated:
        words = "no date yet"
    else:
        words = f"date TBC: {describe_window(followup.window)}"
    anchor = followup.anchor
    if anchor is not None and anchor_cancelled(followup):
        words += f"; {single_line(short_title(anchor))} cancelled"
    return f"{title} ({words})"


def description(followup: FollowUp) -> str:
    lines = [when(followup) + ("" if followup.status is not Status.CANCELLED
                               else " (cancelled)")]
    if followup.location:
        lines.append(f"Where: {followup.location}")
    if followup.anchor is not None:
        lines.append(f"Tied to: {tie_line(followup)}")
    if followup.next_step:
        lines.append(f"Next step: {followup.next_step}")
    if followup.sentence:
        where = f" (paragraph {followup.paragraph})" if followup.paragraph else ""
        lines += ["", f"The release said{where}:", f"“{followup.sentence}”"]
    source = followup.source
    if source is not None:
        published = f", {source.published.isoformat()}" if source.published else ""
        lines += ["", f"{source.title}, {source.publisher}{published}"]
        if source.url:
            lines.append(address(source.url))
    lines += ["", f"followup id: {followup.id}"]
    # Each line is one line, whatever its parts held: old rows were stored before text was
    # cleaned on the way in.
    return "\n".join(single_line(line) for line in lines)


_STATUS = {Status.EXPECTED: "TENTATIVE", Status.SCHEDULED: "CONFIRMED",
           Status.DONE: "CONFIRMED", Status.CANCELLED: "CANCELLED"}


def _edges(followup: FollowUp, settings: FeedSettings) -> bool:
    """Whether the follow-up is shown as its window's edges rather than as a span."""
    window = followup.window
    return (settings.windows == "edges" and followup.schedule is None
            and window.earliest is not None and window.latest is not None
            and window.latest > window.earliest)


def event_block(followup: FollowUp, settings: FeedSettings) -> bytes:
    """The serialized VEVENTs for one follow-up (folded, CRLF-terminated lines).

    One event, or with ``windows = "edges"`` two for a window still open.
    """
    # icalendar folds a character at a time, most of the cost of an event: its lines are
    # folded here instead, at the same places.
    return b"".join(fold(line.encode()) + b"\r\n" for event in vevents(followup, settings)
                    for line in event.content_lines() if line)


def vevents(followup: FollowUp, settings: FeedSettings) -> list[Event]:
    """The VEVENTs for one follow-up, as icalendar components."""
    uid = f"{followup.id}@{settings.domain}"
    schedule = followup.schedule
    start: date | datetime
    end: date | datetime
    if schedule is not None and schedule.is_timed:
        start, end = schedule.utc()
    elif schedule is not None:
        start, end = schedule.start, schedule.end + timedelta(days=1)
    elif (first := followup.window.earliest) is not None and (
            last := followup.window.latest) is not None and _edges(followup, settings):
        if followup.status is not Status.EXPECTED:
            return [_event(followup, settings, uid, summary(followup), first,
                           first + timedelta(days=1))]
        return [_event(followup, settings, uid, summary(followup, "opens"), first,
                       first + timedelta(days=1)),
                _event(followup, settings, f"{followup.id}.closes@{settings.domain}",
                       summary(followup, "closes"), last, last + timedelta(days=1))]
    else:
        start, end = _days(followup)
    return [_event(followup, settings, uid, summary(followup), start, end)]


def _event(followup: FollowUp, settings: FeedSettings, uid: str, title: str,
           start: date | datetime, end: date | datetime) -> Event:
    # Imported here: a process that serves kept blocks never needs it.
    from icalendar import Alarm, Event

    event = Event()
    changed = followup.updated_at.astimezone(UTC)
    event.add("uid", uid)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("sequence", followup.revision)
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("status", _STATUS[followup.status])
    confirmed = followup.schedule is not None and followup.status is not Status.CANCELLED
    event.add("transp", "OPAQUE" if confirmed else "TRANSPARENT")
    event.add("categories", [single_line(str(followup.kind))])
    location = single_line(followup.location or "")
    if location:
        event.add("location", location)
    url = address(followup.source.url or "") if followup.source is not None else ""
    if url:
        event.add("url", url)
    event.add("description", description(followup))
    if settings.alarms and confirmed:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(days=-1))
        event.add_component(alarm)
    return event


def fold(line: bytes) -> bytes:
    """A content line folded as RFC 5545 wants, and where icalendar folds it.

    Each part holds at most 74 octets, so with the space that continues it every line is at
    most 75; no UTF-8 sequence is split, and a backslash or caret that would end a part
    starts the next one (a client might read it as the start of an escape at the fold).
    """
    if len(line) <= _PART:
        return line
    parts = []
    start = 0
    while len(line) - start > _PART:
        end = start + _PART
        while line[end] & 0xC0 == 0x80:  # inside a UTF-8 sequence: cut before it
            end -= 1
        if line[end - 1] in b"\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return b"\r\n ".join(parts)


_PART = 74


@lru_cache(maxsize=64)
def calendar_parts(settings: FeedSettings, title: str) -> tuple[bytes, bytes]:
    """The calendar's header and footer, for the event blocks to go between.

    Written line by line as icalendar writes them (a test holds the two together), so that a
    process serving kept blocks never imports icalendar.
    """
    name = single_line(f"{settings.name}: {title}")
    about = _text(multi_line(settings.description))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{_text(PRODID)}",
             f"DESCRIPTION:{about}", f"X-WR-CALDESC:{about}",
             # icalendar writes NAME as it is given, unescaped, and a feed's bytes stay
             # what they have been; X-WR-CALNAME is escaped text.
             f"NAME:{name}", f"X-WR-CALNAME:{_text(name)}",
             # RFC 7986 wants VALUE=DURATION spelt out; icalendar would leave it off.
             f"REFRESH-INTERVAL;VALUE=DURATION:{_interval(settings.refresh)}",
             f"X-PUBLISHED-TTL:{_duration(settings.refresh)}"]
    return b"".join(fold(line.encode()) + b"\r\n" for line in lines), b"END:VCALENDAR\r\n"


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 says, and as icalendar escapes it (``\\N`` too).

    What it is given has been through :func:`single_line` or :func:`multi_line`, so every
    line break is a ``\\n``.
    """
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;")
            .replace(",", "\\,").replace("\n", "\\n"))


def _interval(span: timedelta) -> str:
    """A DURATION value, as icalendar writes one: days, then hours, minutes and seconds."""
    sign = "-" if span.days < 0 else ""
    span = abs(span)
    hours, rest = divmod(span.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    time = ""
    if span.seconds:
        time = ("T" + (f"{hours}H" if hours else "")
                + (f"{minutes}M" if minutes or (hours and seconds) else "")
                + (f"{seconds}S" if seconds else ""))
    days = f"{span.days}D" if span.days or not time else ""
    return f"{sign}P{days}{time}"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours
                                                      else "")


Version = tuple[int, int]


def version_of(followup: FollowUp) -> Version:
    """What an event's bytes depend on: its revision, and its anchor's (whose dates it shows)."""
    return followup.revision, followup.anchor.revision if followup.anchor is not None else 0


#: Raised whenever :func:`event_block` writes other bytes for the same follow-up, so that
#: blocks kept in the database by an earlier version of followup are not served again.
BLOCK_FORMAT = 1


def shape_of(settings: FeedSettings) -> str:
    """What a kept block's bytes depend on besides the follow-up: the settings that shape an
    event, and the format this version of followup writes."""
    shaping = (BLOCK_FORMAT, settings.domain, settings.alarms, settings.windows)
    return hashlib.sha256(repr(shaping).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Entry:
    """One follow-up as a feed holds it: its events' bytes and what they were made from."""

    id: str
    version: Version
    block: bytes
    #: When it last changed: a feed's Last-Modified is the latest of its entries'.
    changed: datetime
    #: The audiences whose feeds hold it (the feed of all holds every entry).
    audiences: frozenset[str]
    #: Names these bytes: the same key, the same block.
    key: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.id}:{self.version};".encode())


#: A follow-up as the feed orders it: (id, revision, anchor's revision or None, earliest day or
#: None). The day is whatever the database driver gives (a date, or ISO text on SQLite).
Placed = tuple[str, int, int | None, Any]
_Place = tuple[bool, Any, str]
_ID = itemgetter(2)


def feed_place(followup_id: str, earliest: Any) -> _Place:
    """Where a follow-up stands in a feed: dated ones by their first possible day, then the
    undated, each by id. Sorted here rather than by the database, whose collation of ids
    may differ from one server to another: every process orders the same bytes alike."""
    return (earliest is None, "" if earliest is None else earliest, followup_id)


class FeedEntries:
    """Every follow-up's entry in feed order, each replaced only when its version moves on."""

    def __init__(self) -> None:
        #: The register version these entries were last brought up to.
        self.version: int | None = None
        self._places: dict[str, _Place] = {}
        self._order: list[_Place] = []
        self._entries: dict[str, Entry] = {}

    def stale(self, rows: Iterable[Placed]) -> list[str]:
        """Take every follow-up of the register as it now is: the entries of those gone are
        dropped, and the ids whose entry is missing or made for another version are
        returned, to be :meth:`put` again."""
        self._places = {}
        stale = self._take(rows)
        for gone in self._entries.keys() - self._places.keys():
            del self._entries[gone]
        self._order = sorted(self._places.values())
        return stale

    def restale(self, rows: Iterable[Placed], asked: Iterable[str]) -> list[str]:
        """Take the follow-ups that changed as they now are: ``rows`` are those of ``asked``
        that still exist, and any others whose entries may have changed with them; those of
        ``asked`` missing from ``rows`` are gone. Returns the ids to :meth:`put` again."""
        rows = list(rows)
        gone = set(asked) - {row[0] for row in rows}
        order = self._order
        for followup_id in gone:
            place = self._places.pop(followup_id, None)
            if place is not None:
                del order[bisect.bisect_left(order, place)]
            self._entries.pop(followup_id, None)
        before = {row[0]: self._places.get(row[0]) for row in rows}
        stale = self._take(rows)
        for followup_id, place in before.items():
            now = self._places[followup_id]
            if place != now:
                if place is not None:
                    del order[bisect.bisect_left(order, place)]
                bisect.insort(order, now)
        return stale

    def _take(self, rows: Iterable[Placed]) -> list[str]:
        stale = []
        entries, places = self._entries, self._places
        for followup_id, revision, anchored, earliest in rows:
            places[followup_id] = feed_place(followup_id, earliest)
            entry = entries.get(followup_id)
            if entry is None or entry.version != (revision, anchored or 0):
                stale.append(followup_id)
        return stale

    def put(self, entry: Entry) -> None:
        self._entries[entry.id] = entry

    def chosen(self, audience: str | None = None) -> list[Entry]:
        """The entries of one audience's feed (None: every entry), in feed order."""
        ids = map(_ID, self._order)
        try:
            # map keeps 10,000 entries out of Python frames
            held = list(map(self._entries.__getitem__, ids))
        except KeyError:  # one not put: gone from the register between two reads
            held = [e for e in map(self._entries.get, map(_ID, self._order)) if e is not None]
        if audience is None:
            return held
        return [entry for entry in held if audience in entry.audiences]

    def __len__(self) -> int:
        return len(self._entries)


def feed(blocks: Iterable[bytes], settings: FeedSettings, title: str) -> bytes:
    header, footer = calendar_parts(settings, title)
    return b"".join([header, *blocks, footer])
