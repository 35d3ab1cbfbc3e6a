"""Reading follow-ups in bulk: CSV rows and ``list --json`` items, and what is refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from events.errors import RowsRefused
from events.importing import read
from events.kinds import Kind, Status
from events.schedule import Schedule
from events.window import Window

HEADER = "id,title,kind,when,location,anchor,tags,next_step\n"


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode()


def refusals(data: bytes, known: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    with pytest.raises(RowsRefused) as refused:
        read(data, "rows.csv").ordered(set(known))
    return list(refused.value.problems)


# -- CSV rows that read ------------------------------------------------------------------

READ_CSV = [
    ("temm-21,TEMM 21,meeting,2019-H2,Japan,,,", "window", Window.half_year(2019, 2)),
    ("temm-21,TEMM 21,Meeting,2019-H2,,,,", "kind", Kind.MEETING),
    ("x,X,report,2019-11-23..2019-11-24,,,,", "window",
     Window.days(date(2019, 11, 23), date(2019, 11, 24))),
    ("x,X,report,2019-02..,,,,", "window", Window.open_from(date(2019, 2, 1))),
    ("x,X,report,undated,,,,", "window", Window.undated()),
    ("x,X,report, 2019-Q3 ,,,,", "window", Window.quarter(2019, 3)),
    ('x,X,report,2019,,,"air, dust; sky",', "tags", ["air", "dust", "sky"]),
    ("x,X,report,2019,,,,", "tags", []),
    ("x,X,report,2019,Busan,,,", "location", "Busan"),
    ("x,X,report,2019,,,,", "location", None),
    ("x,X,report,2019,,,,Call them", "next_step", "Call them"),
    ("x,X,visit,,,temm-21,,", "anchor_id", "temm-21"),
    ("x,X,visit,,,temm-21,,", "window", Window.undated()),
    ("x,X,visit,2019,,,,", "status", None),
]


@pytest.mark.parametrize(("row", "attribute", "expected"), READ_CSV)
def test_a_csv_row_reads_as_a_draft(row: str, attribute: str, expected: object) -> None:
    batch = read(csv_of("temm-21,TEMM 21,meeting,2019-H2,,,,", row)
                 if not row.startswith("temm-21") else csv_of(row), "rows.csv")
    draft = batch.entries[-1].draft
    assert getattr(draft, attribute) == expected


def test_optional_columns_and_a_header_as_people_write_it() -> None:
    header = "ID,Title,Kind,When,Location,Anchor,Tags,Next step,Margin,Phrase,Parties\n"
    batch = read(csv_of("temm-21,TEMM 21,meeting,2019-H2,,,,,,,",
                        'ltp,LTP report,report,,,temm-21,,,7,on the occasion,"ROK; China"',
                        header=header), "rows.csv")
    draft = batch.entries[1].draft
    assert (draft.margin_days, draft.phrase, list(draft.parties)) == (
        7, "on the occasion", ["ROK", "China"])


def test_line_numbers_count_quoted_line_breaks_and_blank_lines() -> None:
    data = csv_of('a,"A title\nover two lines",meeting,2019,,,,', "", "b,,meeting,2019,,,,")
    assert refusals(data) == [(5, "the title is empty: say what the follow-up is")]


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    batch = read(b"\xef\xbb\xbf" + csv_of("x,X,report,2019,,,,"), "rows.csv")
    assert batch.entries[0].draft.id == "x"


# -- CSV rows that are refused, each with its line ------------------------------------------

BAD_ROWS = [
    ("x,X,seminar,2019,,,,", "unknown kind 'seminar': use one of meeting, visit"),
    ("x,X,meeting,2019-13,,,,", "'2019-13' is not a date window: there is no month 13"),
    ("x,X,meeting,soon,,,,", "'soon' is not a date window"),
    ("x,X,meeting,,,,,", "'when' is empty: give a window such as 2019-H2"),
    ("x,X,meeting,2019,,temm-21,,", "give 'when' or 'anchor', not both"),
    ("X Y,X,meeting,2019,,,,", "'X Y' is not a usable id"),
    (",X,meeting,2019,,,,", "the id is empty"),
    ("x,,meeting,2019,,,,", "the title is empty"),
    ("x,X,meeting,2019,,,,,extra", "9 values, but the header names 8 columns"),
]


@pytest.mark.parametrize(("row", "says"), BAD_ROWS)
def test_a_bad_csv_row_is_refused_with_its_line(row: str, says: str) -> None:
    problems = refusals(csv_of("temm-21,TEMM 21,meeting,2019-H2,,,,", row))
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 3
    assert says in message


def test_every_problem_of_one_row_is_said_on_its_one_line() -> None:
    [(line, message)] = refusals(csv_of("X Y,,seminar,soon,,,,"))
    assert line == 2
    for says in ("not a usable id", "title is empty", "unknown kind", "not a date window"):
        assert says in message


def test_every_bad_row_of_a_file_is_reported_not_only_the_first() -> None:
    data = csv_of("a,A,meeting,2019,,,,", "b,B,seminar,2019,,,,", "c,C,meeting,2019,,,,",
                  "a,A again,meeting,2019,,,,", "d,D,meeting,,,nowhere,,",
                  "e,E,meeting,,,f,,", "f,F,meeting,,,e,,", "g,G,meeting,2019,,,,")
    problems = refusals(data, known=("g",))
    assert [line for line, _ in problems] == [3, 5, 6, 7, 8, 9]
    said = dict(problems)
    assert "unknown kind" in said[3]
    assert "the id 'a' is on line 2 too" in said[5]
    assert "the anchor 'nowhere' is neither in the register nor in this file" in said[6]
    assert "cycle e -> f -> e" in said[7]
    assert "cycle f -> e -> f" in said[8]
    assert "the register holds 'g' already" in said[9]


def test_an_anchor_on_a_bad_row_is_named_as_such() -> None:
    problems = refusals(csv_of("a,A,seminar,2019,,,,", "b,B,meeting,,,a,,"))
    assert problems == [
        (2, "unknown kind 'seminar': use one of meeting, visit, report, launch, project, "
            "deadline, other"),
        (3, "the anchor 'a' is the row on line 2, which cannot be stored: fix that row"),
    ]


def test_a_row_anchored_to_itself_is_a_cycle() -> None:
    [(line, message)] = refusals(csv_of("x,X,meeting,,,x,,"))
    assert (line, "cycle x -> x" in message) == (2, True)


def test_an_anchor_in_the_register_is_good() -> None:
    drafts = read(csv_of("x,X,meeting,,,temm-21,,"), "rows.csv").ordered({"temm-21"})
    assert [d.id for d in drafts] == ["x"]


def test_anchors_come_before_what_is_tied_to_them() -> None:
    data = csv_of("c,C,meeting,,,b,,", "b,B,meeting,,,a,,", "d,D,meeting,2019,,,,",
                  "a,A,meeting,2019,,,,")
    drafts = read(data, "rows.csv").ordered(set())
    assert [d.id for d in drafts] == ["a", "b", "c", "d"]


# -- the file as a whole ------------------------------------------------------------------

FILE_PROBLEMS = [
    (b"", 1, "the file is empty"),
    (b"  \n\n", 1, "the file is empty"),
    (HEADER.encode(), 1, "no follow-ups in the file"),
    (b"[]", 1, "no follow-ups in the file"),
    (b"id,title,kind\nx,X,meeting\n", 1,
     "the header lacks the columns 'when', 'location', 'anchor', 'tags', 'next_step'"),
    (HEADER.replace("tags", "tag").encode(), 1, "the header lacks the column 'tags'"),
    (b"id,title,kind,when,location,anchor,tags,next_step,colour\n", 1,
     "the header has the unknown column 'colour'"),
    (HEADER.encode() + b"x,Caf\xe9,meeting,2019,,,,\n", 2, "not UTF-8 text (byte 0xe9)"),
    (b'[\n  {"id": "x",}\n]', 2, "not valid JSON"),
    (b'[\n  {"id": "x"}\n', 3, "not valid JSON (expected ',' or ']' between items)"),
    (b'[{"id": "x", "title": "X", "kind": "meeting", "window": "2019"}] extra', 1,
     "text after the closing ']'"),
]


@pytest.mark.parametrize(("data", "line", "says"), FILE_PROBLEMS)
def test_a_file_that_cannot_be_read_says_why_and_where(data: bytes, line: int,
                                                       says: str) -> None:
    with pytest.raises(RowsRefused) as refused:
        read(data, "rows.csv")
    assert refused.value.problems[0][0] == line
    assert says in refused.value.problems[0][1]
    assert str(refused.value).startswith("rows.csv: ")
    assert "nothing imported" in str(refused.value).splitlines()[0]


# -- list --json items --------------------------------------------------------------------

ITEM = {"id": "jcec-24", "title": "JCEC 24", "kind": "meeting", "status": "expected",
        "window": "2019-H2", "start": None, "end": None, "timezone": None,
        "location": "China", "parties": ["ROK", "China"], "anchor": None, "margin_days": 0,
        "phrase": "second half", "paragraph": 3, "sentence": "They agreed.", "tags": ["env"],
        "next_step": "Ask.", "revision": 4, "when": "second half of 2019", "phase": "open"}

READ_JSON = [
    ({}, "window", Window.half_year(2019, 2)),
    ({}, "parties", ["ROK", "China"]),
    ({}, "paragraph", 3),
    ({"status": "scheduled", "window": "2019-11-23", "start": "2019-11-23",
      "end": "2019-11-24"}, "schedule", Schedule(date(2019, 11, 23), date(2019, 11, 24))),
    ({"status": "scheduled", "window": "2019-12-10", "start": "2019-12-10T02:00:00+00:00",
      "end": "2019-12-10T03:00:00+00:00", "timezone": "Asia/Shanghai"}, "schedule",
     Schedule.timed(datetime(2019, 12, 10, 2, tzinfo=UTC), datetime(2019, 12, 10, 3, tzinfo=UTC),
                    "Asia/Shanghai")),
    ({"status": "done"}, "status", Status.DONE),
    ({"status": "cancelled"}, "status", Status.CANCELLED),
    ({"anchor": "temm-21", "margin_days": 2}, "margin_days", 2),
]


@pytest.mark.parametrize(("changes", "attribute", "expected"), READ_JSON)
def test_an_item_of_list_json_reads_as_a_draft(changes: dict[str, object], attribute: str,
                                               expected: object) -> None:
    batch = read(json.dumps([{**ITEM, **changes}], indent=2).encode(), "rows.json")
    assert getattr(batch.entries[0].draft, attribute) == expected


BAD_ITEMS = [
    ({"kind": "seminar"}, "unknown kind 'seminar'"),
    ({"status": "postponed"}, "unknown status 'postponed'"),
    ({"window": "soon"}, "'soon' is not a date window"),
    ({"window": None}, "'window' is missing"),
    ({"status": "scheduled"}, "a scheduled follow-up needs its confirmed 'start' and 'end'"),
    ({"start": "2019-11-23", "end": "2019-11-23"}, "an expected follow-up has no confirmed"),
    ({"status": "done", "start": "23/11/2019", "end": "2019-11-23"}, "should be days"),
    ({"status": "done", "start": "2019-11-23T01:00", "end": "2019-11-23T02:00",
      "timezone": "Asia/Seoul"}, "need their UTC offset"),
    ({"status": "done", "start": "2019-11-23T01:00+00:00", "end": "2019-11-23T02:00+00:00",
      "timezone": "Mars/Olympus"}, "Mars/Olympus"),
    ({"tags": "env"}, "'tags' should be a list of texts"),
    ({"margin_days": -1}, "'margin_days' should be a whole number of 0 or more"),
    ({"paragraph": "3"}, "'paragraph' should be a whole number of 1 or more"),
    ({"title": 7}, "'title' should be a text"),
    ({"id": ""}, "the id is empty"),
]


@pytest.mark.parametrize(("changes", "says"), BAD_ITEMS)
def test_a_bad_item_is_refused_with_the_line_it_starts_on(changes: dict[str, object],
                                                          says: str) -> None:
    good = {**ITEM, "id": "good"}
    data = json.dumps([good, {**ITEM, **changes}], indent=2).encode()
    with pytest.raises(RowsRefused) as refused:
        read(data, "rows.json").ordered(set())
    [(line, message)] = refused.value.problems
    assert line == 2 + json.dumps(good, indent=2).count("\n") + 1
    assert says in message


def test_an_item_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(RowsRefused) as refused:
        read(b'[\n  "jcec-24"\n]', "rows.json").ordered(set())
    assert refused.value.problems == ((2, "each item should be an object, as 'followup "
                                           "list --json' writes"),)
