"""events/feed.py on its own: follow-ups built in memory, events read back by parsers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from events.describe import tie
from events.feed import FeedSettings, calendar_parts, description, event_block, feed, summary
from events.model import FollowUp, Kind, Source, Status
from events.schedule import Schedule
from events.text import address, single_line
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
