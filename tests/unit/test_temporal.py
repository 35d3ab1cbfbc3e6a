"""The temporal grammar, on sentences written for it: each phrase, its window, its precision."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.temporal import find_times
from events.window import Precision, format_window

PUBLISHED = date(2019, 1, 24)

# sentence, the phrase found, its window in text form, its precision
PHRASES = [
    # days and spans of days
    ("The delegations will visit the agency on January 24.", "January 24", "2019-01-24",
     "day"),
    ("The ministers will meet on 28-29 April.", "28-29 April", "2019-04-28..2019-04-29",
     "day"),
    ("Talks will run from November 23rd to the 24th.", "from November 23rd to the 24th",
     "2019-11-23..2019-11-24", "day"),
    ("The forum is scheduled on May 13 and 14, 2019.", "May 13 and 14, 2019",
     "2019-05-13..2019-05-14", "day"),
    ("The summit will take place on 3 March 2020.", "3 March 2020", "2020-03-03", "day"),
    ("A review will be held on March 3, 2020.", "March 3, 2020", "2020-03-03", "day"),
    ("The seminar will be held on 2019-06-12 in Busan.", "2019-06-12", "2019-06-12", "day"),
    ("Experts will meet on June 5-7.", "June 5-7", "2019-06-05..2019-06-07", "day"),
    ("The workshop will be held from 30 September to 2 October.",
     "from 30 September to 2 October", "2019-09-30..2019-10-02", "day"),
    ("Officials will travel on Jan. 30.", "Jan. 30", "2019-01-30", "day"),
    ("The visit will take place on January 21, three days before the release.",
     "January 21", "2019-01-21", "day"),  # within the grace before the release: this year
    ("The audit will be on January 10.", "January 10", "2020-01-10", "day"),  # next one
    ("The delegation visited the plant on November 5.", "November 5", "2018-11-05", "day"),
    ("The forum will be held on March 1.", "March 1", "2019-03-01", "day"),
    # the edges of the grace: a week before the release with a future cue, a week after it
    # with a past one
    ("The team will visit the agency on January 17.", "January 17", "2019-01-17", "day"),
    ("The team will visit the agency on January 16.", "January 16", "2020-01-16", "day"),
    ("The delegation visited the plant on January 31.", "January 31", "2019-01-31", "day"),
    ("The delegation visited the plant on February 1.", "February 1", "2018-02-01", "day"),
    # months
    ("The report will be published in March.", "in March", "2019-03", "month"),
    ("The next round is planned for December.", "for December", "2019-12", "month"),
    ("Consultations will resume in January.", "in January", "2019-01", "month"),
    ("A meeting will be held in January 2020.", "in January 2020", "2020-01", "month"),
    ("Exchanges will begin in October.", "in October", "2019-10", "month"),
    ("The centre is expected to open around November 2019.", "around November 2019",
     "2019-11", "month"),
    ("Work will start in Sept.", "in Sept", "2019-09", "month"),
    ("The delegation visited the plant in January.", "in January", "2019-01", "month"),
    ("The delegation visited the plant in March.", "in March", "2018-03", "month"),
    ("The plan will be reviewed between March and May.", "between March and May",
     "2019-03..2019-05", "month"),
    ("Visits will alternate from November to February.", "from November to February",
     "2019-11..2020-02", "month"),
    ("The chair will rotate from June to June.", "from June to June", "2019-06", "month"),
    # open-ended
    ("Working-level meetings will be held in February and on.", "in February and on",
     "2019-02..", "open"),
    ("Monthly calls will take place from March onwards.", "from March onwards", "2019-03..",
     "open"),
    ("Joint patrols will continue from April 2019 on.", "from April 2019 on", "2019-04..",
     "open"),
    ("Data will be shared from June and beyond.", "from June and beyond", "2019-06..",
     "open"),
    # parts of months
    ("The team will report in early March.", "in early March", "2019-03-01..2019-03-10",
     "day"),
    ("A decision is expected mid-March.", "mid-March", "2019-03-11..2019-03-20", "day"),
    ("The survey will close in late April.", "in late April", "2019-04-21..2019-04-30",
     "day"),
    ("Results will come at the end of June.", "the end of June", "2019-06-21..2019-06-30",
     "day"),
    ("The pilot will start at the beginning of May.", "the beginning of May",
     "2019-05-01..2019-05-10", "day"),
    # halves
    ("The committee will meet in the second half of the year 2019.",
     "in the second half of the year 2019", "2019-H2", "half-year"),
    ("The summit will be held in the first half of 2020.", "in the first half of 2020",
     "2020-H1", "half-year"),
    ("A review is due in the latter half of 2019.", "in the latter half of 2019", "2019-H2",
     "half-year"),
    ("The plan will be adopted in H2 2019.", "H2 2019", "2019-H2", "half-year"),
    ("The fund will open in 2020 H1.", "2020 H1", "2020-H1", "half-year"),
    ("The two sides will meet again in the second half of the year.",
     "in the second half of the year", "2019-H2", "half-year"),
    ("The roadmap will be final in the first half of next year.",
     "in the first half of next year", "2020-H1", "half-year"),
    ("Emissions fell in the second half of last year.", "in the second half of last year",
     "2018-H2", "half-year"),
    # quarters
    ("The report is due in the third quarter.", "in the third quarter", "2019-Q3", "quarter"),
    ("The report is due in the fourth quarter.", "in the fourth quarter", "2019-Q4",
     "quarter"),
    ("Funding will be released in the first quarter of this year.",
     "in the first quarter of this year", "2019-Q1", "quarter"),
    ("A pilot will launch in the fourth quarter of 2020.", "in the fourth quarter of 2020",
     "2020-Q4", "quarter"),
    ("The audit will end in Q2 2019.", "Q2 2019", "2019-Q2", "quarter"),
    ("Targets will be set in 2020 Q1.", "2020 Q1", "2020-Q1", "quarter"),
    # parts of years and relative spans
    ("A joint study will start early next year.", "early next year", "2020-01..2020-04",
     "month"),
    ("The network will be in place by late 2019.", "late 2019", "2019-09..2019-12", "month"),
    ("The review will be finished by mid-2020.", "mid-2020", "2020-05..2020-08", "month"),
    ("A framework will be agreed at the beginning of next year.",
     "the beginning of next year", "2020-01..2020-03", "month"),
    ("The forum will convene later this year.", "later this year", "2019-01-24..2019-12-31",
     "day"),
    ("The forum will convene later this month.", "later this month",
     "2019-01-24..2019-01-31", "day"),
    ("The forum will convene later in the month.", "later in the month",
     "2019-01-24..2019-01-31", "day"),
    ("The text will be signed by the end of this year.", "by the end of this year",
     "2019-01-24..2019-12-31", "day"),
    ("Nominations are due by the end of the month.", "by the end of the month",
     "2019-01-24..2019-01-31", "day"),
    ("Comments will be collected by the end of 2019.", "by the end of 2019",
     "2019-01-24..2019-12-31", "day"),
    ("Comments will be collected by the end of 2020.", "by the end of 2020",
     "2019-01-24..2020-12-31", "day"),
    ("The text will be signed by the end of the year.", "by the end of the year",
     "2019-01-24..2019-12-31", "day"),
    ("The treaty will be ratified by the end of next year.", "by the end of next year",
     "2019-01-24..2020-12-31", "day"),
    ("Nominations are due by the end of next month.", "by the end of next month",
     "2019-01-24..2019-02-28", "day"),
    ("A draft will be circulated within three months.", "within three months",
     "2019-01-24..2019-04-25", "day"),
    ("The list will be shared within two weeks.", "within two weeks",
     "2019-01-24..2019-02-07", "day"),
    ("A reply will follow within 30 days.", "within 30 days", "2019-01-24..2019-02-23",
     "day"),
    ("A reply will follow within a year.", "within a year", "2019-01-24..2020-01-24", "day"),
    ("They will meet again in a few weeks' time.", "in a few weeks' time",
     "2019-01-24..2019-03-07", "day"),
    ("The report is due in two weeks’ time.", "in two weeks’ time", "2019-01-24..2019-02-07",
     "day"),
    ("A reply will follow within two years.", "within two years", "2019-01-24..2021-01-23",
     "day"),
    # the release is dated Thursday 24 January: next week is Monday to Sunday after it
    ("The experts will meet next week.", "next week", "2019-01-28..2019-02-03", "day"),
    ("Experts will meet next month.", "next month", "2019-02", "month"),
    ("The ministers will meet next year.", "next year", "2020", "year"),
    ("Contacts will follow in the coming months.", "in the coming months",
     "2019-01-24..2019-04-25", "day"),
    ("Details will follow in the coming weeks.", "in the coming weeks",
     "2019-01-24..2019-02-21", "day"),
    ("The plan will be ready this year.", "this year", "2019", "year"),
    ("Nominations will close this month.", "this month", "2019-01", "month"),
    # seasons
    ("A follow-up visit is planned for spring of 2020.", "spring of 2020",
     "2020-03..2020-05", "month"),
    ("The centre will open in the summer.", "in the summer", "2019-06..2019-08", "month"),
    ("Training will be held in autumn 2019.", "in autumn 2019", "2019-09..2019-11", "month"),
    ("Training will be held in autumn.", "in autumn", "2019-09..2019-11", "month"),
    ("The centre will open in the fall.", "in the fall", "2019-09..2019-11", "month"),
    ("The next round will be in the winter of 2019.", "in the winter of 2019",
     "2019-12..2020-02", "month"),
    ("Planting will start in the spring next year.", "in the spring next year",
     "2020-03..2020-05", "month"),
    # years
    ("The law will take effect in 2021.", "in 2021", "2021", "year"),
    ("The project will run during 2020.", "during 2020", "2020", "year"),
    # weekdays and weekends, from the release's Thursday; its own weekday is that day
    ("The ministers will meet on Monday.", "on Monday", "2019-01-28", "day"),
    ("Talks resume on Thursday.", "on Thursday", "2019-01-24", "day"),
    ("The ministers will meet on Tuesday and Wednesday.", "on Tuesday and Wednesday",
     "2019-01-29..2019-01-30", "day"),
    ("The forum will be held on Friday, 1 February.", "Friday, 1 February", "2019-02-01",
     "day"),
    ("The leaders will meet this weekend.", "this weekend", "2019-01-26..2019-01-27", "day"),
    ("The experts will meet this week.", "this week", "2019-01-24..2019-01-27", "day"),
    ("The panel will meet the week of 11 February.", "the week of 11 February",
     "2019-02-11..2019-02-17", "day"),
    ("The audit team will visit in the week commencing 4 March.",
     "in the week commencing 4 March", "2019-03-04..2019-03-10", "day"),
    ("Field trials start the week beginning Wednesday, May 15.",
     "the week beginning Wednesday, May 15", "2019-05-15..2019-05-21", "day"),
    ("Entries will be judged in the week ending 9 June.", "in the week ending 9 June",
     "2019-06-03..2019-06-09", "day"),
    # deadlines at the end of a month: from the release to that day
    ("Applications are due by end-March.", "by end-March", "2019-01-24..2019-03-31", "day"),
    ("Comments are due by the end of March.", "by the end of March",
     "2019-01-24..2019-03-31", "day"),
    # parts of seasons, months named as an event's, starts, European dates
    ("The survey will start in early autumn.", "in early autumn", "2019-09", "month"),
    ("The count will end in late spring.", "in late spring", "2019-05", "month"),
    ("The Council will take it up at its June session.", "June", "2019-06", "month"),
    ("The project will start from March 2019.", "from March 2019", "2019-03", "month"),
    ("Registration closes on 16. 3. 2019.", "16. 3. 2019", "2019-03-16", "day"),
]


@pytest.mark.parametrize(("sentence", "phrase", "window", "precision"), PHRASES)
def test_phrase(sentence: str, phrase: str, window: str, precision: str) -> None:
    found = [m for m in find_times(sentence, PUBLISHED) if not m.past]
    assert [(m.phrase, format_window(m.window), str(m.window.precision)) for m in found] == [
        (phrase, window, precision)]


def test_the_table_is_long_enough() -> None:
    assert len(PHRASES) >= 60
    assert {p for *_, p in PHRASES} >= {x.value for x in Precision}


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("The Clean Sky Project, which had begun in May 2017, will grow.", "in May 2017"),
        ("The centre, opened in Beijing, China, in June 2018, will lead.", "in June 2018"),
        ("NEACAP, launched in October 2018, will continue.", "in October 2018"),
        ("Air quality improved by 40% since 2013.", "since 2013"),
        ("The meetings took place on January 23 and 22, respectively.", "January 23 and 22"),
        ("They met in Seoul earlier this week.", "this week"),
    ],
)
def test_background_in_the_past_tense_is_marked(sentence: str, phrase: str) -> None:
    [mention] = find_times(sentence, PUBLISHED)
    assert (mention.phrase, mention.past) == (phrase, True)


@pytest.mark.parametrize(
    ("sentence", "phrase", "window"),
    [
        ("The Clean Sky Project, which had begun in May, will grow.", "in May", "2018-05"),
        ("Opened in May, the centre will grow.", "in May", "2018-05"),
    ],
)
def test_background_without_a_year_is_placed_before_the_release(
        sentence: str, phrase: str, window: str) -> None:
    # The sentence as a whole speaks of the future; only the clause before the month is past.
    [mention] = find_times(sentence, PUBLISHED)
    assert (mention.phrase, format_window(mention.window), mention.past) == (
        phrase, window, True)


# sentence, publication date, the phrase found, its window in text form
PLACED = [
    # a month's first day within the grace after the release, in the past tense: this year
    ("The delegation visited Seoul in February.", date(2019, 1, 25), "in February", "2019-02"),
    ("The delegation visited Seoul in February.", date(2019, 1, 24), "in February", "2018-02"),
    # a season is this year's until a week after it ends
    ("The centre will open in the summer.", date(2019, 9, 7), "in the summer",
     "2019-06..2019-08"),
    ("The centre will open in the summer.", date(2019, 9, 8), "in the summer",
     "2020-06..2020-08"),
    ("The centre will open in the spring.", date(2019, 7, 1), "in the spring",
     "2020-03..2020-05"),
    # winter runs from December into the next year
    ("The two sides will meet again in the winter.", date(2019, 3, 10), "in the winter",
     "2019-12..2020-02"),
    ("The two sides will meet again in the winter.", date(2019, 10, 1), "in the winter",
     "2019-12..2020-02"),
    ("Nominations are due by the end of next month.", date(2019, 12, 10),
     "by the end of next month", "2019-12-10..2020-01-31"),
    ("Experts will meet next month.", date(2019, 12, 10), "next month", "2020-01"),
    ("The forum will convene later this month.", date(2019, 2, 10), "later this month",
     "2019-02-10..2019-02-28"),
    ("Nominations will close this month.", date(2020, 2, 10), "this month", "2020-02"),
    # published on a Monday or a Sunday, next week is the Monday after
    ("The experts will meet next week.", date(2019, 1, 28), "next week",
     "2019-02-04..2019-02-10"),
    ("The experts will meet next week.", date(2019, 1, 27), "next week",
     "2019-01-28..2019-02-03"),
]


@pytest.mark.parametrize(("sentence", "published", "phrase", "window"), PLACED)
def test_the_publication_date_places_the_phrase(
        sentence: str, published: date, phrase: str, window: str) -> None:
    assert [(m.phrase, format_window(m.window)) for m in find_times(sentence, published)] == [
        (phrase, window)]


def test_the_winter_in_progress_at_the_release_is_this_winter() -> None:
    [mention] = find_times("The two sides will meet again in the winter.", PUBLISHED)
    assert format_window(mention.window) == "2018-12..2019-02"


def test_late_in_a_month() -> None:
    [mention] = find_times("The survey will close late in March.", PUBLISHED)
    assert (mention.phrase, format_window(mention.window)) == (
        "late in March", "2019-03-21..2019-03-31")


# sentence, then each mention: phrase, start, end, window in text form
SEVERAL = [
    # found by different rules, returned in the order of the text
    ("The report will be published in March and the review on 3 April.",
     [("in March", 29, 37, "2019-03"), ("3 April", 56, 63, "2019-04-03")]),
    # a rule whose first match overlaps a mention taken earlier goes on to its next match
    ("Comments are due by March 3, 2020 and the report in April.",
     [("March 3, 2020", 20, 33, "2020-03-03"), ("in April", 49, 57, "2019-04")]),
    # so does a rule whose first match is no date
    ("February 30 is no day, but March 3 is.", [("March 3", 27, 34, "2019-03-03")]),
    # mentions that touch do not overlap
    ("Visits in Jan.2019-06-12", [("in Jan.", 7, 14, "2019-01"),
                                 ("2019-06-12", 14, 24, "2019-06-12")]),
    ("Visits 5 Jan.in March", [("5 Jan.", 7, 13, "2020-01-05"), ("in March", 13, 21, "2019-03")]),
]


@pytest.mark.parametrize(("sentence", "mentions"), SEVERAL)
def test_several_mentions_in_one_sentence(
        sentence: str, mentions: list[tuple[str, int, int, str]]) -> None:
    found = find_times(sentence, PUBLISHED)
    assert [(m.phrase, m.start, m.end, format_window(m.window)) for m in found] == mentions


def test_a_span_beyond_the_calendar_is_no_window() -> None:
    assert find_times("The debt will be repaid within 9000 years.", PUBLISHED) == []


@pytest.mark.parametrize("text", ["The 23rd meeting and the 21st session were held.",
                                  "More than 40% in major regions.", "Room 1024 on floor 3.",
                                  "February 30 will not be a day.", ""])
def test_things_that_are_not_dates(text: str) -> None:
    assert [m for m in find_times(text, PUBLISHED) if not m.past] == []


# Text that is mostly dates: the phrases of the table, glue words and cues, in any order.
date_prose = st.lists(
    st.sampled_from([p[1] for p in PHRASES] + ["and", "will", "had begun", "the", ",", "to"]),
    max_size=12,
).map(" ".join)


@given(st.one_of(st.text(max_size=300), date_prose),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_any_text_gives_well_formed_mentions(text: str, published: date) -> None:
    found = find_times(text, published)
    for mention in found:
        assert text[mention.start:mention.end].strip() == mention.phrase
    spans = [(m.start, m.end) for m in found]
    assert spans == sorted(spans)
    assert all(end <= start for (_, end), (start, _) in pairwise(spans))

