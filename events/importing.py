"""Follow-ups in bulk: a CSV spreadsheet a desk keeps, or what ``followup list --json`` wrote.

Every row is read and checked before anything is stored, and every problem is reported with
the line it is on, so that one pass over the file fixes them all. Nothing here touches the
database: :meth:`Batch.ordered` is told which ids the register holds already, and hands back
the drafts in an order the register can add them in (anchors before what is tied to them).

A CSV file has a header naming at least ``id, title, kind, when, location, anchor, tags,
next_step`` (in any order, any case; "Next step" will do), and may add ``margin, phrase,
parties, sentence, paragraph``. ``when`` takes the window forms of ``followup add --when``;
an anchored row leaves it empty. Tags are separated by commas or semicolons, parties by
semicolons (a party's name may hold a comma).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NoReturn

from events.errors import FollowupError, RowsRefused
from events.kinds import Kind, Status
from events.register import Draft, id_problem
from events.schedule import Schedule
from events.window import Window, parse_window

__all__ = ["CSV_COLUMNS", "CSV_OPTIONAL", "Batch", "Cited", "Entry", "draft_from_csv",
           "draft_from_json", "read"]

CSV_COLUMNS = ("id", "title", "kind", "when", "location", "anchor", "tags", "next_step")
CSV_OPTIONAL = ("margin", "phrase", "parties", "sentence", "paragraph")

_KINDS = ", ".join(k.value for k in Kind)
_KIND_OF = {k.value: k for k in Kind}
_STATUSES = ", ".join(s.value for s in Status)
_STATUS_OF = {s.value: s for s in Status}
_SPACE = re.compile(r"[ \t\r\n]*")
_TAG_SEPARATOR = re.compile(r"[,;]")


#: A spreadsheet names the same few windows over and over (2019-H2, 2020-03...).
_window = lru_cache(maxsize=4096)(parse_window)


class _Bad(Exception):
    """One thing wrong with one row, in words that say how to fix it."""


@dataclass(frozen=True)
class Cited:
    """The release a follow-up was taken from, as a listing names it (without its text)."""

    title: str
    publisher: str
    url: str | None
    published: date | None
    sha256: str


@dataclass(frozen=True)
class Entry:
    """A row that reads as a follow-up, and the line it starts on."""

    line: int
    draft: Draft
    cited: Cited | None = None


@dataclass
class Batch:
    """The rows of one file: those that read as follow-ups, and what is wrong with the rest."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    #: The lines of rows that did not read, by the id they give (an anchor may name one).
    unread: dict[str, int] = field(default_factory=dict)

    def names(self) -> set[str]:
        """Every id the rows name, as their own or as their anchor: what to look up."""
        return {e.draft.id for e in self.entries} | {
            e.draft.anchor_id for e in self.entries if e.draft.anchor_id is not None}

    def cited(self) -> dict[str, Cited]:
        """The release each follow-up was taken from, by the follow-up's id, where known."""
        return {e.draft.id: e.cited for e in self.entries if e.cited is not None}

    def ordered(self, known: Collection[str]) -> list[Draft]:
        """The drafts, anchors first, once the rows are checked against each other and
        against ``known`` (the ids of :meth:`names` the register holds); RowsRefused with
        every problem, each row's own ones included, otherwise."""
        problems = list(self.problems)
        first_line: dict[str, int] = {}
        for entry in self.entries:
            draft = entry.draft
            if draft.id in first_line:
                problems.append((entry.line, f"the id {draft.id!r} is on line "
                                 f"{first_line[draft.id]} too: give each follow-up its own id"))
                continue
            first_line[draft.id] = entry.line
            if draft.id in known:
                problems.append((entry.line, f"the register holds {draft.id!r} already: "
                                 "choose another id, or leave the row out"))
        rows = {e.draft.id: e for e in self.entries}
        for entry in self.entries:
            anchor = entry.draft.anchor_id
            if anchor is None or anchor in rows or anchor in known:
                continue
            if anchor in self.unread:
                problems.append((entry.line, f"the anchor {anchor!r} is the row on line "
                                 f"{self.unread[anchor]}, which cannot be stored: fix that row"))
            else:
                problems.append((entry.line, f"the anchor {anchor!r} is neither in the "
                                 "register nor in this file: add it, or correct the anchor"))
        for line, cycle in _cycles(self.entries):
            problems.append((line, "anchoring makes a cycle " + " -> ".join(cycle)
                             + ": a follow-up cannot happen on the occasion of itself"))
        if problems:
            raise RowsRefused(self.source, problems)
        return _anchors_first([e.draft for e in self.entries])


def read(data: bytes, source: str) -> Batch:
    """Read a file of follow-ups: a JSON list as ``followup list --json`` writes, or CSV.

    A problem that leaves no rows to read (not UTF-8, empty, not JSON, a header without
    the columns needed) raises RowsRefused at once; problems of single rows are collected
    in the batch, to be reported with the others.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise RowsRefused(source, [(line, "not UTF-8 text (byte "
                                    f"0x{data[error.start]:02x}): save the file as UTF-8")]
                          ) from None
    if not text.strip():
        raise RowsRefused(source, [(1, "the file is empty: give a CSV file with a header "
                                    "line, or the JSON 'followup list --json' writes")])
    batch = Batch(source)
    if text.lstrip().startswith("["):
        _read_json(text, batch)
    else:
        _read_csv(text, batch)
    if not batch.entries and not batch.problems:
        raise RowsRefused(source, [(1, "no follow-ups in the file: it holds a header or an "
                                    "empty list only")])
    return batch


# -- CSV ---------------------------------------------------------------------------------


def _column(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _read_csv(text: str, batch: Batch) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_column(name) for name in next(reader)]
    except csv.Error as error:
        raise RowsRefused(batch.source, [(1, f"not a CSV header: {error}")]) from None
    missing = [name for name in CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*CSV_COLUMNS, *CSV_OPTIONAL)]
    problems = []
    if missing:
        problems.append((1, f"the header lacks the {_columns(missing)}: it needs "
                         + ", ".join(CSV_COLUMNS)))
    if unknown:
        problems.append((1, f"the header has the unknown {_columns(unknown)}: the columns "
                         "are " + ", ".join((*CSV_COLUMNS, *CSV_OPTIONAL))))
    if problems:
        raise RowsRefused(batch.source, problems)
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RowsRefused(batch.source, [(line, f"not CSV: {error}")]) from None
        start, line = line, reader.line_num + 1
        if not any(value.strip() for value in values):
            continue  # a blank line between rows
        if len(values) > len(header):
            batch.problems.append((start, f"{len(values)} values, but the header names "
                                   f"{len(header)} columns: quote a value that holds a comma"))
            continue
        fields = dict(zip(header, values, strict=False))
        _add(batch, start, draft_from_csv, fields)


def _columns(names: Sequence[str]) -> str:
    quoted = ", ".join(repr(n) for n in names)
    return f"column {quoted}" if len(names) == 1 else f"columns {quoted}"


def draft_from_csv(fields: Mapping[str, str]) -> Draft:
    """One CSV row as a draft; _Bad with every problem of the row otherwise."""
    text = {name: (fields.get(name) or "").strip() for name in (*CSV_COLUMNS, *CSV_OPTIONAL)}
    problems: list[str] = []
    anchor = text["anchor"] or None
    window = Window.undated()
    if text["when"] and anchor:
        problems.append("give 'when' or 'anchor', not both: an anchored follow-up's window "
                        "is derived from its anchor")
    elif text["when"]:
        window = _checked(problems, lambda: _window(text["when"]))
    elif anchor is None:
        problems.append("'when' is empty: give a window such as 2019-H2 ('undated' if none "
                        "is known), or an anchor")
    margin = _number(problems, "margin", text["margin"], minimum=0) or 0
    if margin and anchor is None:
        problems.append("a margin needs an anchor: it is counted from the anchor's days")
    return _draft(problems, id_=text["id"], title=text["title"], kind=text["kind"],
                  window=window, anchor=anchor, margin=margin,
                  location=text["location"] or None, phrase=text["phrase"] or None,
                  parties=_split(text["parties"], ";"), tags=_split(text["tags"], ",;"),
                  next_step=text["next_step"] or None, sentence=text["sentence"] or None,
                  paragraph=_number(problems, "paragraph", text["paragraph"], minimum=1))


def _split(text: str, separators: str) -> list[str]:
    parts = _TAG_SEPARATOR.split(text) if separators == ",;" else text.split(separators)
    return [part.strip() for part in parts if part.strip()]


def _number(problems: list[str], name: str, text: str, *, minimum: int) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"\d+", text) or int(text) < minimum:
        problems.append(f"{name} {text!r} is not a whole number of {minimum} or more")
        return None
    return int(text)


# -- JSON --------------------------------------------------------------------------------


def _read_json(text: str, batch: Batch) -> None:
    """The items of a JSON list, each with the line it starts on."""
    decoder = json.JSONDecoder()
    position = _SPACE.match(text, 0).end() + 1  # type: ignore[union-attr]  # always matches
    line, counted = 1, 0
    first = True
    while True:
        position = _SPACE.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith("]", position):
            break
        if not first:
            if not text.startswith(",", position):
                _not_json(batch, text, position, "expected ',' or ']' between items")
            position = _SPACE.match(text, position + 1).end()  # type: ignore[union-attr]
        first = False
        line += text.count("\n", counted, position)
        counted = position
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            _not_json(batch, text, error.pos, error.msg)
        if not isinstance(value, dict):
            batch.problems.append((line, "each item should be an object, as "
                                   "'followup list --json' writes"))
            continue
        _add(batch, line, draft_from_json, value)
    if text[position + 1:].strip():
        _not_json(batch, text, position + 1, "text after the closing ']'")


def _not_json(batch: Batch, text: str, position: int, what: str) -> NoReturn:
    line = text.count("\n", 0, position) + 1
    raise RowsRefused(batch.source, [(line, f"not valid JSON ({what}): give the list "
                                      "'followup list --json' writes, or a CSV file")])


def draft_from_json(item: Mapping[str, Any]) -> Draft:
    """One item of ``followup list --json`` as a draft; _Bad with every problem otherwise.

    What is derived (the window's words, its phase) or the register's own (revision,
    update time) is not read; the source is read apart (:class:`Cited`).
    """
    problems: list[str] = []

    def text(name: str, *, required: bool = False) -> str | None:
        value = item.get(name)
        if value is None or (isinstance(value, str) and not value.strip() and not required):
            return None
        if not isinstance(value, str):
            problems.append(f"{name!r} should be a text, not {json.dumps(value)[:40]}")
            return None
        return value

    def texts(name: str) -> list[str]:
        value = item.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"{name!r} should be a list of texts")
            return []
        return value

    def number(name: str, minimum: int) -> int | None:
        value = item.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            problems.append(f"{name!r} should be a whole number of {minimum} or more")
            return None
        return value

    anchor = text("anchor")
    status_text = text("status") or Status.EXPECTED.value
    status = None
    if status_text not in _STATUS_OF:
        problems.append(f"unknown status {status_text!r}: use one of {_STATUSES}")
    else:
        status = _STATUS_OF[status_text]
    window_text = text("window")
    window = Window.undated()
    if window_text is not None:
        window = _checked(problems, lambda: _window(window_text))
    elif anchor is None:
        problems.append("'window' is missing: give one such as \"2019-H2\" (\"undated\" if "
                        "none is known), or an anchor")
    schedule = _schedule(problems, item, status)
    return _draft(problems, id_=text("id", required=True) or "",
                  title=text("title", required=True) or "",
                  kind=text("kind", required=True) or "", window=window, anchor=anchor,
                  margin=number("margin_days", 0) or 0, location=text("location"),
                  phrase=text("phrase"), parties=texts("parties"), tags=texts("tags"),
                  next_step=text("next_step"), sentence=text("sentence"),
                  paragraph=number("paragraph", 1), schedule=schedule, status=status)


def _schedule(problems: list[str], item: Mapping[str, Any], status: Status | None
              ) -> Schedule | None:
    start, end, zone = item.get("start"), item.get("end"), item.get("timezone")
    if start is None and end is None:
        if status is Status.SCHEDULED:
            problems.append("a scheduled follow-up needs its confirmed 'start' and 'end'")
        return None
    if status is Status.EXPECTED:
        problems.append("an expected follow-up has no confirmed dates: drop 'start' and "
                        "'end', or make its status scheduled")
        return None
    if not isinstance(start, str) or not isinstance(end, str):
        problems.append("'start' and 'end' should both be given, as ISO 8601 texts")
        return None

    def parse() -> Schedule:
        try:
            if zone is None:
                return Schedule(date.fromisoformat(start), date.fromisoformat(end))
            if not isinstance(zone, str):
                raise _Bad("'timezone' should be a text such as \"Asia/Seoul\"")
            first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
        except ValueError:
            raise _Bad(f"'start' {start!r} and 'end' {end!r} should be days (2019-11-23) "
                       "or, with a timezone, instants (2019-11-23T01:00:00+00:00)") from None
        if first.tzinfo is None or last.tzinfo is None:
            raise _Bad("timed 'start' and 'end' need their UTC offset (+00:00)")
        return Schedule.timed(first, last, zone)

    schedule: Schedule | None = _checked(problems, parse)
    return schedule


# -- both --------------------------------------------------------------------------------


def _draft(problems: list[str], *, id_: str, title: str, kind: str, window: Window | None,
           anchor: str | None, margin: int, location: str | None, phrase: str | None,
           parties: list[str], tags: list[str], next_step: str | None, sentence: str | None,
           paragraph: int | None, schedule: Schedule | None = None,
           status: Status | None = None) -> Draft:
    """The draft, once every field is known good; _Bad naming every problem of the row."""
    if not id_.strip():
        problems.insert(0, "the id is empty: give each follow-up an id such as temm-21")
    else:
        problem = id_problem(id_.strip())
        if problem is not None:
            problems.insert(0, problem)
    if not title.strip():
        problems.append("the title is empty: say what the follow-up is")
    kind_of = _KIND_OF.get(kind.strip().lower())
    if kind_of is None:
        problems.append(f"unknown kind {kind!r}: use one of {_KINDS}")
    if problems or window is None or kind_of is None:
        # (a window that did not parse left a problem above)
        raise _Bad("; ".join(problems) or "the row cannot be read")
    return Draft(id=id_.strip(), title=title.strip(), kind=kind_of,
                 window=window, anchor_id=anchor.strip() if anchor else None,
                 margin_days=margin, location=location, phrase=phrase, parties=parties,
                 tags=tags, next_step=next_step, sentence=sentence, paragraph=paragraph,
                 schedule=schedule, status=status)


def _checked(problems: list[str], make: Callable[[], Any]) -> Any:
    """What ``make`` returns, or None with its complaint kept in ``problems``."""
    try:
        return make()
    except (_Bad, FollowupError) as problem:
        problems.append(str(problem))
        return None


def _add(batch: Batch, line: int, make: Callable[[Any], Draft], fields: Any) -> None:
    try:
        draft = make(fields)
        cited = _cited(fields.get("source")) if make is draft_from_json else None
        batch.entries.append(Entry(line, draft, cited))
    except _Bad as problem:
        batch.problems.append((line, str(problem)))
        given = fields.get("id")
        if isinstance(given, str) and given.strip():
            batch.unread.setdefault(given.strip(), line)


def _cited(source: Any) -> Cited | None:
    if source is None:
        return None
    hint = ("'source' should be what 'followup list --json' writes: title, publisher, "
            "url, published (YYYY-MM-DD) and the sha256 of the release")
    if not isinstance(source, dict):
        raise _Bad(hint)
    title, publisher, url = source.get("title"), source.get("publisher"), source.get("url")
    published, sha256 = source.get("published"), source.get("sha256")
    if not (isinstance(title, str) and isinstance(publisher, str)
            and (url is None or isinstance(url, str))
            and (published is None or isinstance(published, str))
            and isinstance(sha256, str) and re.fullmatch(r"[0-9a-f]{64}", sha256)):
        raise _Bad(hint)
    try:
        day = None if published is None else date.fromisoformat(published)
    except ValueError:
        raise _Bad(hint) from None
    return Cited(title, publisher, url, day, sha256)


def _cycles(entries: Sequence[Entry]) -> list[tuple[int, list[str]]]:
    """Each row whose anchors, followed through the file, come back to it."""
    anchor_of = {e.draft.id: e.draft.anchor_id for e in entries}
    found = []
    for entry in entries:
        path, current = [entry.draft.id], entry.draft.anchor_id
        while current is not None and current in anchor_of and len(path) <= len(anchor_of):
            path.append(current)
            if current == entry.draft.id:
                found.append((entry.line, path))
                break
            current = anchor_of[current]
    return found


def _anchors_first(drafts: list[Draft]) -> list[Draft]:
    """The drafts with every anchor in the file before what is tied to it, otherwise in
    file order. Only called once there is no cycle."""
    by_id = {d.id: d for d in drafts}
    placed: set[str] = set()
    ordered: list[Draft] = []
    for draft in drafts:
        chain = []
        current: Draft | None = draft
        while current is not None and current.id not in placed:
            chain.append(current)
            placed.add(current.id)
            current = by_id.get(current.anchor_id) if current.anchor_id else None
        ordered.extend(reversed(chain))
    return ordered
