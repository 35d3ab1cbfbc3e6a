"""Events a release lists rather than tells: a programme's lines and an advisory's particulars.

Media advisories and session announcements give their dates as lines, not sentences::

    5 June: Opening ceremony (11.00 a.m.)
    Assembly Press Conference: 24 September – 1300-1330

    Event: Media Availability
    Date: Wednesday, February 22, 2017

Each such line (``Paragraph.listing``) names an event on a day; a block of particulars names
one. What a line lists that is not an event ("Decision on the venue") is the agenda of the
meeting, not a follow-up. Pure functions over the release's paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from events.commitments import clean, listed_event
from events.reading import HOUR, Paragraph
from events.temporal import TimeMention, find_times
from events.window import Window

__all__ = ["Listed", "dated_line", "listed"]


@dataclass(frozen=True)
class Listed:
    """An event a programme line or a block of particulars gives a day."""

    name: str
    window: Window
    phrase: str
    #: The line that dates it, word for word: its provenance.
    line: str
    paragraph: int
    location: str | None = None
    #: Named by the programme's own heading ("Indicative programme - Transport Council of
    #: 15 and 16 June"): the event the other lines are parts of.
    heading: bool = False


_KEY = re.compile(r"^(?P<key>[A-Za-z]+)\s*:\s*(?P<value>.+)$")
_NAME_KEYS = {"event", "what", "title", "meeting", "activity", "occasion"}
_DATE_KEYS = {"date", "dates", "when", "day", "start", "starts", "begins"}
_PLACE_KEYS = {"where", "venue", "location", "place"}
_SEPARATOR = re.compile(r"\s*(?::\s|\s[–—-]\s)\s*")
# What is left of a side once its date is taken out: a weekday, a time of day, a dash.
_LEFTOVER = re.compile(r"^[\s,–—:-]*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day)?[\s,–—:-]*"
                       r"(?:(?:in\s+the\s+)?(?:morning|afternoon|evening|noon|night|all\s+day)"
                       r"[\s,–—:-]*)?"
                       r"(?:(?:from\s+)?\d{1,2}(?:[.:]\d\d)?\s*(?:a\.?m\.?|p\.?m\.?|h|hrs)?"
                       r"(?:\s*[-–]\s*\d{1,2}(?:[.:]\d\d)?\s*(?:a\.?m\.?|p\.?m\.?|h|hrs)?)?|"
                       r"\d{4}\s*[-–]\s*\d{4})?\s*(?:(?:GMT|UTC|[A-Z]{2,4}T|local\s+time)"
                       r"(?:\s*[+-]\s*\d{1,2})?)?\s*(?:\([^()]*\))?[\s.]*$", re.I)


def listed(paragraphs: Sequence[Paragraph], published: date,
           title: str | None = None) -> list[Listed]:
    """Every event a release's listing lines give a day still to come. A block of
    particulars without an event's name is the event of the release's ``title``."""
    found: list[Listed] = []
    block: list[Paragraph] = []
    prose = False
    day: TimeMention | None = None  # the day a heading gave the lines below it
    programme = False  # below a programme's heading, a day's line names a session
    for paragraph in paragraphs:
        if (event := _programme_heading(paragraph, published)) is not None:
            found.append(event)
            programme = True
            continue
        if paragraph.listing and (heading := _day_heading(paragraph.text, published)):
            if prose:  # above the text, a day is the page's date
                day = heading
            continue
        if not paragraph.listing and not prose:
            # The lead says what day the programme below it is on, if it names one day.
            day = next((t for t in find_times(paragraph.text, published) if not t.past
                        and t.window.earliest is not None
                        and t.window.earliest == t.window.latest
                        and t.window.earliest >= published), None)
        if paragraph.listing and day is not None and (timed := _hour(paragraph, day)):
            found.append(timed)
            continue
        if paragraph.listing and _KEY.match(paragraph.text) and _key(paragraph.text) in (
                _NAME_KEYS | _DATE_KEYS | _PLACE_KEYS | {"time", "end", "ends"}):
            block.append(paragraph)
            continue
        found.extend(_particulars(block, published, title))
        block = []
        if paragraph.listing:
            line = _line(paragraph, published, sessions=programme)
            # A dated heading above the text names the meeting the release reports.
            if line is not None and (prose or line.window.earliest != published):
                found.append(line)
        else:
            prose = True
    found.extend(_particulars(block, published, title))
    return found


def _key(text: str) -> str:
    match = _KEY.match(text)
    return match["key"].lower() if match else ""


def _particulars(block: list[Paragraph], published: date, title: str | None) -> list[Listed]:
    """"Event: X / Date: Y / Location: Z": one event."""
    values = {_key(p.text): (p, _KEY.match(p.text)["value"].strip())  # type: ignore[index]
              for p in reversed(block)}
    name = next((values[k][1] for k in _NAME_KEYS if k in values), None)
    if name is None and title:
        # "Arctic Council Ministerial meeting held in Reykjavik" / "Start: 20 May 2021"
        name = re.split(r"\s+(?:held|to\s+be\s+held|takes\s+place|will|opens|begins)\b",
                        title)[0]
    dated = next((values[k] for k in _DATE_KEYS if k in values), None)
    if name is None or dated is None or not listed_event(clean(name)):
        return []
    paragraph, value = dated
    time = _whole(value, published)
    if time is None:
        return []
    place = next((values[k][1] for k in _PLACE_KEYS if k in values), None)
    return [Listed(clean(name), time.window, time.phrase, paragraph.text, paragraph.number,
                   place)]


_PROGRAMME = re.compile(r"^(?:(?:indicative|provisional|draft|detailed|final|updated|"
                        r"tentative)\s+)?(?:programme|program|agenda|schedule)\s*(?:[-–—:]|"
                        r"\bof\b|\bfor\b)\s*", re.I)


def _programme_heading(paragraph: Paragraph, published: date) -> Listed | None:
    """"Indicative programme - Transport Council of 15 and 16 June 2017": the event a
    programme is of, on its days."""
    heading = _PROGRAMME.match(paragraph.text)
    if heading is None or len(paragraph.text) > 200:
        return None
    rest = paragraph.text[heading.end():].rstrip(" .")
    times = [t for t in find_times(rest, published) if not t.past]
    if not times or times[-1].window.earliest is None or times[-1].window.earliest < published:
        return None
    time = times[-1]
    if rest[time.end:].strip(" ,.)"):
        return None  # the date ends the heading, or it is not the programme's date
    name = clean(re.sub(r"(?:,|\s+(?:of|on|from|for|in))\s*$", "", rest[:time.start].rstrip()))
    if not name or not listed_event(name):
        return None
    return Listed(name, time.window, time.phrase, paragraph.text, paragraph.number,
                  heading=True)


def _day_heading(text: str, published: date) -> TimeMention | None:
    """"Wednesday", "Friday, Jan. 9": the day of the programme lines that follow."""
    if not re.fullmatch(r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?(?:\s+\S+){0,3}|"
                        r"day\s+\d+\b.{0,30})", text.strip().rstrip(":"), re.I):
        return None
    time = _whole(text.strip().rstrip(":"), published) or _whole(
        re.sub(r"^day\s+\d+\s*[-–:,]?\s*", "", text.strip(), flags=re.I), published)
    if time is None or time.window.earliest != time.window.latest:
        return None
    return time


def _hour(paragraph: Paragraph, day: TimeMention) -> Listed | None:
    """"9:30 a.m. -- STS-119 Mission Overview" under a day's heading: on that day."""
    hour = HOUR.match(paragraph.text)
    if hour is None:
        return None
    what = clean(re.sub(r"\s*\([^()]*\)\s*$", "", paragraph.text[hour.end():]))
    name, comma, place = what.partition(", ")
    if not name or _SENTENCE.search(name):
        return None
    return Listed(name, day.window, day.phrase, paragraph.text, paragraph.number,
                  place if comma and re.match(r"[A-Z]", place) else None)


def _line(paragraph: Paragraph, published: date, *, sessions: bool = False) -> Listed | None:
    """"5 June: Opening ceremony", "Assembly Press Conference: 24 September – 1300"; in a
    programme (``sessions``), "Thursday, 15 June - Employment issues" too: that day's
    session."""
    item = re.match(r"^(?P<what>.+),\s+(?P<when>[^,]+?)\s*[;.]?$", paragraph.text)
    if item and (time := _whole(item["when"], published)) is not None \
            and listed_event(clean(item["what"])):
        # "Plenary meeting of the Panel on Plant Health (PLH), 30-31 January 2013;"
        return Listed(clean(item["what"]), time.window, time.phrase, paragraph.text,
                      paragraph.number)
    parts = _SEPARATOR.split(paragraph.text, maxsplit=1)
    if len(parts) != 2:
        return None
    for when, what in (parts, parts[::-1]):
        time = _whole(when, published)
        if time is None:
            continue
        name = clean(re.sub(r"\s*\([^()]*\)\s*$", "", what))
        place = None
        head, comma, rest = name.partition(", ")
        if comma and listed_event(head) and not _SENTENCE.search(name):
            name, place = head, rest  # "IOC Extraordinary Session, SwissTech Convention Centre"
        if not name or _SENTENCE.search(name) or not (
                listed_event(name) or (sessions and time.window.earliest == time.window.latest
                                       and when is parts[0])):
            return None
        return Listed(name, time.window, time.phrase, paragraph.text, paragraph.number, place)
    return None


def dated_line(paragraph: Paragraph, published: date) -> tuple[TimeMention, str] | None:
    """"10 July, afternoon: The delegations will be welcomed by the President": a line that
    gives a day, then says what happens on it in a sentence of its own."""
    when, colon, rest = paragraph.text.partition(": ")
    if not colon or not _SENTENCE.search(rest):
        return None
    time = _whole(when, published)
    return (time, rest) if time is not None else None


# A verb of its own: a sentence, not a name.
_SENTENCE = re.compile(r"\b(?:will|shall|is|are|was|were|has|have|be)\b")


def _whole(text: str, published: date) -> TimeMention | None:
    """The date a side of a line is, if that is all it is (with a weekday or an hour)."""
    times = find_times(text, published)
    if not times or times[0].past or times[0].window.earliest is None:
        return None
    time = times[0]
    if time.window.latest is not None and time.window.latest < published:
        return None
    rest = text[:time.start] + " " + text[time.end:]
    return time if _LEFTOVER.match(rest) else None
