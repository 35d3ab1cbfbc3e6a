"""events/feed.py on its own: follow-ups built in memory, events read back by parsers."""

from __future__ import annotations

import os
import random
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar, vText
from icalendar.parser import Contentline

from events.describe import tie
from events.feed import (
    PRODID,
    Entry,
    FeedEntries,
    FeedSettings,
    Version,
    calendar_parts,
    description,
    event_block,
    feed,
    fold,
    shape_of,
    summary,
    version_of,
)
from events.model import FollowUp, Kind, Source, Status
from events.schedule import Schedule
from events.text import address, multi_line, single_line
from events.window import parse_window

CHANGED = datetime(2019, 2, 1, 9, 0, tzinfo=UTC)
SPAN = FeedSettings(domain="followup.example.org")
EDGES = FeedSettings(domain="followup.example.org", windows="edges")


def followup(followup_id: str = "ltp-report", *, when: str = "2019-H2",
             schedule: Schedule | None = None, **fields: Any) -> FollowUp:
    window = parse_window(when) if schedule is None else schedule.days()
    values: dict[str, Any] = {
        "title": "Publication of the summarized LTP report", "kind": Kind.REPORT,
        "status": Status.EXPECTED if schedule is None else Status.SCHEDULED,
        "parties": [], "tags": [], "margin_days": 0, "revision": 3,
        "created_at": CHANGED, "updated_at": CHANGED,
        "earliest": window.earliest, "latest": window.latest, "precision": window.precision,
    }
    if schedule is not None:
        values["start_date"], values["end_date"] = schedule.start, schedule.end
    values.update(fields)
    return FollowUp(id=followup_id, **values)


def temm(status: Status = Status.EXPECTED) -> FollowUp:
    return followup("temm-21", title="21st Tripartite Environment Ministers Meeting (TEMM 21)",
                    kind=Kind.MEETING, status=status)


def tied(anchor: FollowUp, margin: int = 7, **fields: Any) -> FollowUp:
    return followup(anchor=anchor, anchor_id=anchor.id, margin_days=margin, **fields)


def parsed(block: bytes, feed_settings: FeedSettings = SPAN) -> list[Any]:
    header, footer = calendar_parts(feed_settings, "all")
    return list(Calendar.from_ical(header + block + footer).walk("VEVENT"))


# -- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("margin", "words"), [(1, "within 1 day)"), (2, "within 2 days)"),
                                               (7, "within 7 days)")])
def test_a_margin_is_in_days_or_one_day(margin: int, words: str) -> None:
    text = description(tied(temm(), margin))
    assert f"Tied to: 21st Tripartite Environment Ministers Meeting (TEMM 21) (temm-21, {words}"\
        in text
    assert "1 days" not in text


def test_no_margin_says_none() -> None:
    assert "(temm-21), second half of 2019" in description(tied(temm(), 0))


def test_a_dependant_of_a_cancelled_anchor_says_so() -> None:
    dependant = tied(temm(Status.CANCELLED))
    assert summary(dependant) == ("Publication of the summarized LTP report (date TBC: second "
                                  "half of 2019; TEMM 21 cancelled)")
    assert ("Tied to: 21st Tripartite Environment Ministers Meeting (TEMM 21) (temm-21, within "
            "7 days), second half of 2019 (cancelled)") in description(dependant)
    assert tie(dependant) == "temm-21 ±7d (cancelled)"
    undated = tied(temm(Status.CANCELLED), when="undated")
    assert summary(undated).endswith("(no date yet; TEMM 21 cancelled)")


def test_a_live_anchor_or_a_settled_dependant_says_nothing_of_it() -> None:
    assert summary(tied(temm())) == ("Publication of the summarized LTP report (date TBC: second "
                                     "half of 2019)")
    assert "(cancelled)" not in description(tied(temm()))
    confirmed = tied(temm(Status.CANCELLED), schedule=Schedule(date(2019, 9, 2), date(2019, 9, 2)))
    assert summary(confirmed) == "Publication of the summarized LTP report"
    done = tied(temm(Status.CANCELLED), status=Status.DONE)
    assert "cancelled" not in summary(done)


def test_an_anchor_without_an_acronym_is_named_by_its_title() -> None:
    anchor = followup("jcec-24", title="24th Joint Committee", status=Status.CANCELLED)
    assert summary(tied(anchor)).endswith("; 24th Joint Committee cancelled)")


# -- windows as edges -------------------------------------------------------------------------


def test_a_half_year_as_its_edges() -> None:
    opens, closes = parsed(event_block(followup(), EDGES), EDGES)
    assert str(opens["UID"]) == "ltp-report@followup.example.org"
    assert str(opens["SUMMARY"]) == ("Publication of the summarized LTP report opens (date TBC: "
                                     "second half of 2019)")
    assert (opens.decoded("DTSTART"), opens.decoded("DTEND")) == (date(2019, 7, 1),
                                                                  date(2019, 7, 2))
    assert str(closes["UID"]) == "ltp-report.closes@followup.example.org"
    assert str(closes["SUMMARY"]) == ("Publication of the summarized LTP report closes (date TBC: "
                                      "second half of 2019)")
    assert (closes.decoded("DTSTART"), closes.decoded("DTEND")) == (date(2019, 12, 31),
                                                                    date(2020, 1, 1))
    for event in (opens, closes):
        assert (str(event["STATUS"]), str(event["TRANSP"])) == ("TENTATIVE", "TRANSPARENT")
        assert int(event["SEQUENCE"]) == 3
        assert "second half of 2019, date not yet confirmed" in str(event["DESCRIPTION"])
    assert event_block(followup(), EDGES) == event_block(followup(), EDGES)


def test_edges_say_an_anchor_was_cancelled_too() -> None:
    opens, closes = parsed(event_block(tied(temm(Status.CANCELLED)), EDGES), EDGES)
    assert str(opens["SUMMARY"]).endswith(" opens (date TBC: second half of 2019; TEMM 21 "
                                          "cancelled)")
    assert str(closes["SUMMARY"]).endswith(" closes (date TBC: second half of 2019; TEMM 21 "
                                           "cancelled)")


@pytest.mark.parametrize(
    ("shape", "start", "end", "ends_with"),
    [
        ({"when": "2019-11-23"}, date(2019, 11, 23), date(2019, 11, 24), "(date TBC: 23 November "
                                                                         "2019)"),
        ({"when": "2019-02.."}, date(2019, 2, 1), date(2019, 2, 2), "onwards)"),
        ({"when": "undated", "source": Source(title="Release", publisher="MOFA",
                                              published=date(2019, 1, 24))},
         date(2019, 1, 24), date(2019, 1, 25), "(no date yet)"),
        ({"schedule": Schedule(date(2019, 11, 23), date(2019, 11, 24))},
         date(2019, 11, 23), date(2019, 11, 25), "report"),
        ({"status": Status.CANCELLED}, date(2019, 7, 1), date(2019, 7, 2), "(cancelled)"),
        ({"status": Status.DONE}, date(2019, 7, 1), date(2019, 7, 2), "(date TBC: second half "
                                                                      "of 2019)"),
    ],
)
def test_what_stays_one_entry_with_edges(shape: dict[str, Any], start: date, end: date,
                                         ends_with: str) -> None:
    (event,) = parsed(event_block(followup(**shape), EDGES), EDGES)
    assert str(event["UID"]) == "ltp-report@followup.example.org"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (start, end)
    assert str(event["SUMMARY"]).endswith(ends_with)


def test_a_span_is_still_the_default() -> None:
    (event,) = parsed(event_block(followup(), SPAN))
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (date(2019, 7, 1),
                                                                  date(2020, 1, 1))
    assert event_block(followup(), SPAN) != event_block(followup(), EDGES)


# -- text that is not clean -------------------------------------------------------------------

HOSTILE = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "\u2028\u2029"

texts = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(list(HOSTILE))),
                 min_size=1, max_size=30).map("".join)


def read_by_every_parser(body: bytes) -> list[list[str]]:
    """Each parser's list of (UID, SUMMARY) per event, in order."""
    text = body.decode()
    by_ical = [[e.uid or "", e.summary or ""]
               for e in IcsCalendarStream.calendar_from_ics(text).events]
    by_icalendar = [[str(e["UID"]), str(e["SUMMARY"])]
                    for e in Calendar.from_ical(body).walk("VEVENT")]
    by_vobject = [[e.uid.value, e.summary.value]
                  for e in vobject.readOne(text).vevent_list]
    assert by_ical == by_icalendar == by_vobject
    return by_icalendar


@settings(max_examples=60, deadline=None)
@given(title=texts, location=texts, sentence=texts, url=texts, next_step=texts)
def test_any_text_makes_an_event_every_parser_reads(title: str, location: str, sentence: str,
                                                     url: str, next_step: str) -> None:
    source = Source(title=title, publisher=location, url=url, published=date(2019, 1, 24))
    item = followup(title=title, location=location, sentence=sentence, next_step=next_step,
                    source=source, anchor=temm(Status.CANCELLED), anchor_id="temm-21")
    block = event_block(item, EDGES)
    body = feed([block], EDGES, "all")
    ((_, opening), (_, closing)) = read_by_every_parser(body)
    assert opening.startswith(single_line(title) + " opens (date TBC")
    assert closing.startswith(single_line(title) + " closes (date TBC")
    (event, _) = Calendar.from_ical(body).walk("VEVENT")
    if single_line(location):
        assert str(event["LOCATION"]) == single_line(location)
    if address(url):
        assert str(event["URL"]) == address(url)
    assert all(line == single_line(line) for line in str(event["DESCRIPTION"]).split("\n"))


# -- folding ---------------------------------------------------------------------------------

SEVENTY_FOUR = b"D" * 74


@pytest.mark.parametrize(("line", "folded"), [
    (b"", b""),
    (SEVENTY_FOUR, SEVENTY_FOUR),  # the longest line left whole
    (SEVENTY_FOUR + b"E", SEVENTY_FOUR + b"\r\n E"),
    (SEVENTY_FOUR * 2 + b"E", SEVENTY_FOUR + b"\r\n " + SEVENTY_FOUR + b"\r\n E"),
    (SEVENTY_FOUR * 2, SEVENTY_FOUR + b"\r\n " + SEVENTY_FOUR),
    # a character of two, three or four octets is never cut: the part ends before it
    (b"D" * 73 + "é".encode() + b"E", b"D" * 73 + "\r\n éE".encode()),
    (b"D" * 72 + "서".encode() + b"E", b"D" * 72 + "\r\n 서E".encode()),
    (b"D" * 71 + "😀".encode() + b"E", b"D" * 71 + "\r\n 😀E".encode()),
    (b"D" * 72 + "é".encode() + b"E", b"D" * 72 + "é\r\n E".encode()),
    # a backslash or caret that would end a part begins the next
    (b"D" * 73 + b"\\nE", b"D" * 73 + b"\r\n \\nE"),
    (b"D" * 73 + b"^nE", b"D" * 73 + b"\r\n ^nE"),
    (b"D" * 73 + b"XE", b"D" * 73 + b"X\r\n E"),  # any other character stays
    (b"D" * 72 + b"\\nE", b"D" * 72 + b"\\n\r\n E"),
    (b"D" * 73 + b"\\" + SEVENTY_FOUR,
     b"D" * 73 + b"\r\n \\" + b"D" * 73 + b"\r\n D"),
])
def test_folding_at_74_octets_a_part(line: bytes, folded: bytes) -> None:
    assert fold(line) == folded


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from(
    "\\^é서😀"), max_size=400))
def test_any_text_folds_to_short_lines_that_unfold_to_it(text: str) -> None:
    folded = fold(text.encode())
    lines = folded.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert all(line.startswith(b" ") for line in lines[1:])
    # each line decodes on its own: no UTF-8 sequence is split
    assert lines[0].decode() + "".join(line[1:].decode() for line in lines[1:]) == text
    # where icalendar itself folds it, so a feed's bytes do not depend on who folded them
    assert folded == Contentline(text).to_ical()


# -- whole feeds, byte for byte ---------------------------------------------------------------
#
# The feeds under tests/ics/ were written by this module and read line by line against RFC
# 5545 and the rules at the top of events/feed.py. After a deliberate change to what a feed
# says, write them again with FOLLOWUP_WRITE_ICS=1 and read the diff before committing it.

ICS = Path(__file__).parent.parent / "ics"
SEOUL = ZoneInfo("Asia/Seoul")
#: The last change of every follow-up below, given in Seoul time: the feed says it in UTC.
EDITED = datetime(2019, 11, 1, 10, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def fresh_header() -> None:
    """Each test writes the calendar's header itself, rather than read one an earlier test
    (or the process this one was forked from) left in the cache."""
    calendar_parts.cache_clear()


@pytest.fixture
def local_zone_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone set to New York, to show it plays no part."""
    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


def golden(name: str, body: bytes) -> bytes:
    path = ICS / name
    if os.environ.get("FOLLOWUP_WRITE_ICS"):
        path.write_bytes(body)
    return path.read_bytes()


def release(*, published: date | None = date(2019, 1, 24),
            url: str | None = "https://www.mofa.go.kr/eng/brd/m_5676/view.do?seq=320330"
            ) -> Source:
    return Source(title="Outcome of the 23rd Joint Committee", publisher="MOFA", url=url,
                  published=published)


def jcec(status: Status = Status.CANCELLED) -> FollowUp:
    """Confirmed for two whole days, then called off."""
    return followup("jcec-24", title="24th Joint Committee on Environmental Cooperation "
                    "(JCEC 24)", kind=Kind.MEETING, status=status,
                    schedule=Schedule(date(2019, 12, 2), date(2019, 12, 3)), revision=4,
                    updated_at=EDITED, source=release())


def temm_confirmed() -> FollowUp:
    """Confirmed for two hours on a day in Seoul, with everything a follow-up can carry."""
    start = datetime(2019, 11, 23, 10, 0, tzinfo=SEOUL)
    schedule = Schedule.timed(start, start + timedelta(hours=2), "Asia/Seoul")
    return followup("temm-21", title="21st Tripartite Environment Ministers Meeting (TEMM 21)",
                    kind=Kind.MEETING, schedule=schedule, start_date=None, end_date=None,
                    start_at=schedule.start, end_at=schedule.end, timezone="Asia/Seoul",
                    location="Kitakyushu, Japan", source=release(), paragraph=4,
                    sentence="The 21st TEMM will be held in Japan in November 2019.",
                    next_step="Send the delegation list.", revision=5, updated_at=EDITED)


def the_register() -> list[FollowUp]:
    """A follow-up of every shape, each with what sets its event apart from the others."""
    return [
        temm_confirmed(),
        # Still expected though the meeting it was to come with is off; its sentence has no
        # paragraph number.
        tied(jcec(), 7, title="Publication of the summarized LTP report", updated_at=EDITED,
             sentence="The report will be published in the second half of 2019.",
             source=release()),
        jcec(),
        # No date and no source: on the day it was recorded.
        followup("working-level-meetings", title="Working-level meetings", kind=Kind.OTHER,
                 when="undated", created_at=datetime(2019, 1, 25, 8, 0, tzinfo=UTC),
                 updated_at=EDITED),
        # No date, and a source that gives none either: still the day it was recorded.
        followup("kma-visit", title="Visit of the KMA", kind=Kind.VISIT, when="undated",
                 created_at=datetime(2019, 1, 26, 8, 0, tzinfo=UTC), updated_at=EDITED,
                 source=release(published=None, url=None)),
        followup("forecast-exchange-launch", title="Launch of the forecast exchange",
                 kind=Kind.LAUNCH, when="2019-02..", updated_at=EDITED),
    ]


SPAN_FEED = FeedSettings(domain="followup.example.org", name="MOFA desk",
                         description="Follow-ups of the desk\nwith their date windows",
                         refresh=timedelta(minutes=90), alarms=True)
EDGES_FEED = FeedSettings(domain="followup.example.org", name="MOFA desk",
                          refresh=timedelta(minutes=30), windows="edges")


@pytest.mark.usefixtures("local_zone_new_york")
def test_a_feed_of_every_shape_as_spans_with_alarms() -> None:
    body = feed((event_block(f, SPAN_FEED) for f in the_register()), SPAN_FEED, "jcec")
    assert body == golden("spans.ics", body)
    events = Calendar.from_ical(body).walk("VEVENT")
    # An alarm is for what is confirmed and still on: one, the day before TEMM 21.
    [alarm] = Calendar.from_ical(body).walk("VALARM")
    assert (str(alarm["ACTION"]), alarm.decoded("TRIGGER")) == ("DISPLAY", -timedelta(days=1))
    assert [str(e["TRANSP"]) for e in events] == ["OPAQUE"] + ["TRANSPARENT"] * 5


@pytest.mark.usefixtures("local_zone_new_york")
def test_a_feed_of_every_shape_as_edges() -> None:
    # Done without dates ever confirmed: one entry, on the first day of its window.
    register = [*the_register(), followup("ltp-outline", title="Outline of the LTP report",
                                          status=Status.DONE, updated_at=EDITED)]
    body = feed((event_block(f, EDGES_FEED) for f in register), EDGES_FEED, "all")
    assert body == golden("edges.ics", body)
    assert b"BEGIN:VALARM" not in body  # alarms are off unless asked for


@pytest.mark.parametrize(("minutes", "ttl", "interval"), [
    (1, "PT1M", "PT1M"), (30, "PT30M", "PT30M"), (60, "PT1H", "PT1H"),
    (61, "PT1H1M", "PT1H1M"), (90, "PT1H30M", "PT1H30M"),
    (24 * 60, "PT24H", "P1D"),  # icalendar's own spelling, as valid
])
def test_how_often_to_refresh_is_said_in_hours_and_minutes(minutes: int, ttl: str,
                                                           interval: str) -> None:
    header, footer = calendar_parts(FeedSettings(refresh=timedelta(minutes=minutes)), "all")
    assert f"\r\nX-PUBLISHED-TTL:{ttl}\r\n".encode() in header
    assert f"\r\nREFRESH-INTERVAL;VALUE=DURATION:{interval}\r\n".encode() in header
    assert footer == b"END:VCALENDAR\r\n"


def icalendar_header(settings: FeedSettings, title: str) -> bytes:
    """The calendar's header as icalendar writes it, for calendar_parts to match."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    name = single_line(f"{settings.name}: {title}")
    calendar.add("name", name)
    calendar.add("x-wr-calname", vText(name))
    about = multi_line(settings.description)
    calendar.add("description", about)
    calendar.add("x-wr-caldesc", vText(about))
    calendar.add("refresh-interval", settings.refresh, parameters={"VALUE": "DURATION"})
    # the TTL as calendar_parts spells it (icalendar would spell a str as given): its
    # spelling is the table's above to check
    calendar.add("x-published-ttl", calendar_parts(settings, title)[0].split(
        b"X-PUBLISHED-TTL:")[1].split(b"\r\n")[0].decode())
    return bytes(calendar.to_ical())


@pytest.mark.parametrize("span", [
    timedelta(0), timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1),
    timedelta(hours=1, seconds=1), timedelta(hours=2, minutes=3, seconds=4),
    timedelta(days=1), timedelta(days=2, minutes=5), timedelta(minutes=-5),
    timedelta(days=-1, hours=2),
])
def test_the_header_is_what_icalendar_writes(span: timedelta) -> None:
    settings = FeedSettings(name="Desk; news, \\N and all", refresh=span,
                            description="Line one\r\nline two, \\ and; three\rfour " * 3)
    header, footer = calendar_parts(settings, "desk")
    assert header + footer == icalendar_header(settings, "desk")


@settings(max_examples=100, deadline=None)
@given(name=texts, description=texts, title=texts, seconds=st.integers(-10**6, 10**7))
def test_any_header_is_what_icalendar_writes(name: str, description: str, title: str,
                                              seconds: int) -> None:
    calendar_parts.cache_clear()
    chosen = FeedSettings(name=name, description=description, refresh=timedelta(
        seconds=seconds))
    header, footer = calendar_parts(chosen, title)
    assert header + footer == icalendar_header(chosen, title)


def test_the_calendar_is_named_for_its_audience_on_one_line() -> None:
    body = feed([], FeedSettings(name="followup", description="Line one\r\nline two"),
                "desk\nchief")
    calendar = Calendar.from_ical(body)
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "followup: desk chief"
    assert str(calendar["DESCRIPTION"]) == "Line one\nline two"
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")


def test_the_day_of_a_follow_up_without_a_date_is_when_it_was_promised_or_recorded() -> None:
    recorded = datetime(2019, 1, 26, 23, 30, tzinfo=UTC)
    for source, day in [(None, date(2019, 1, 26)),
                        (release(published=None), date(2019, 1, 26)),
                        (release(), date(2019, 1, 24))]:
        item = followup(when="undated", source=source, created_at=recorded)
        (event,) = parsed(event_block(item, SPAN))
        assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (day,
                                                                      day + timedelta(days=1))


# -- entries and their shape ------------------------------------------------------------------


def test_a_version_is_the_revision_and_the_anchor_s() -> None:
    assert version_of(followup(revision=3)) == (3, 0)
    assert version_of(tied(temm(), revision=3)) == (3, 3)
    assert version_of(tied(followup("temm-21", revision=8), revision=2)) == (2, 8)


@pytest.mark.parametrize(("one", "other"), [
    (SPAN, FeedSettings(domain="followup.example.com")),
    (SPAN, EDGES),
    (SPAN, FeedSettings(domain="followup.example.org", alarms=True)),
])
def test_a_setting_that_shapes_events_makes_another_shape(one: FeedSettings,
                                                          other: FeedSettings) -> None:
    assert shape_of(one) != shape_of(other)
    assert len(shape_of(one)) == 32  # as long as the column that keeps it


def test_settings_of_the_calendar_alone_keep_the_shape() -> None:
    calendar_only = FeedSettings(domain="followup.example.org", name="desk", description="d",
                                 refresh=timedelta(minutes=5))
    assert shape_of(calendar_only) == shape_of(SPAN)


def entry(followup_id: str, version: Version = (1, 0), audiences: frozenset[str] = frozenset(),
          changed: datetime = CHANGED) -> Entry:
    return Entry(followup_id, version, f"<{followup_id} {version}>".encode(), changed,
                 audiences)


def test_an_entry_s_key_names_its_follow_up_and_version() -> None:
    assert entry("temm-21", (3, 0)).key == b"temm-21:(3, 0);"
    assert entry("ltp-report", (2, 8)).key == b"ltp-report:(2, 8);"


D1, D2 = date(2019, 3, 1), date(2019, 6, 1)


def test_entries_follow_the_register_s_order_and_versions() -> None:
    entries = FeedEntries()
    assert entries.chosen() == []
    # nothing held yet
    assert entries.stale([("a", 1, None, D1), ("b", 1, None, D2)]) == ["a", "b"]
    assert entries.chosen() == []  # nothing put: nothing shown
    for item in (entry("a"), entry("b", audiences=frozenset({"desk"}))):
        entries.put(item)
    assert [e.id for e in entries.chosen()] == ["a", "b"]
    assert [e.id for e in entries.chosen("desk")] == ["b"]
    assert entries.chosen("team") == []
    # b moves ahead of a, a's anchor changes, c is new
    assert entries.stale([("b", 1, None, D1), ("c", 1, None, D2),
                          ("a", 1, 2, None)]) == ["c", "a"]
    assert [e.id for e in entries.chosen()] == ["b", "a"]  # c not put yet
    entries.put(entry("c"))
    entries.put(entry("a", (1, 2)))
    assert [(e.id, e.version) for e in entries.chosen()] == [("b", (1, 0)), ("c", (1, 0)),
                                                             ("a", (1, 2))]
    assert len(entries) == 3
    # b is gone: its entry too
    assert entries.stale([("c", 1, None, D2), ("a", 1, 2, None)]) == []
    assert [e.id for e in entries.chosen()] == ["c", "a"]
    assert len(entries) == 2
    assert entries.stale([("a", 2, 2, None)]) == ["a"]  # its own revision moved
    assert entries.stale([("a", 2, 3, None)]) == ["a"]  # its anchor's
    entries.put(entry("a", (2, 3)))
    assert entries.stale([("a", 2, 3, None)]) == []
    assert entries.version is None  # the register version is the caller's to set


_IDS = st.sampled_from(["a", "b", "c", "d", "e"])
_ROWS = st.dictionaries(_IDS, st.tuples(st.integers(1, 3), st.none() | st.integers(1, 3),
                                        st.none() | st.sampled_from([D1, D2])))


@given(st.lists(_ROWS, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_entries_told_only_what_changed_match_entries_told_everything(
        registers: list[dict[str, tuple[int, int | None, date | None]]],
        rng: random.Random) -> None:
    """Brought up change by change (the ids that changed, plus some that did not, as the
    follow-ups tied to them are), the entries stand as if told the whole register."""
    kept_up = FeedEntries()
    previous: dict[str, tuple[int, int | None, date | None]] = {}
    for register in registers:
        rows = [(i, *row) for i, row in register.items()]
        rng.shuffle(rows)
        changed = [i for i in register.keys() | previous.keys()
                   if register.get(i) != previous.get(i)]
        riders = [i for i in register if rng.random() < 0.3]
        asked = [row for row in rows if row[0] in changed or row[0] in riders]
        whole = FeedEntries()
        for entries in (whole, kept_up):
            first = entries is whole or not previous
            stale = entries.stale(rows) if first else entries.restale(asked, changed)
            for followup_id in stale:
                revision, anchored, _ = register[followup_id]
                entries.put(entry(followup_id, (revision, anchored or 0)))
        assert [(e.id, e.version) for e in kept_up.chosen()] == [
            (e.id, e.version) for e in whole.chosen()]
        assert [e.id for e in whole.chosen()] == [r[0] for r in sorted(
            rows, key=lambda r: (r[3] is None, r[3] or date.min, r[0]))]
        previous = register
