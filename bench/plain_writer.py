"""A plain feed writer: the same bytes as ``followup export`` from the same rows, read once.

    python bench/plain_writer.py DATABASE_FILE AUDIENCE_TITLE DOMAIN > feed.ics

The practical limit the feed is measured against: one SQLite query, string formatting, and a
fold on UTF-8 bytes; no ORM, no icalendar, nothing imported but the standard library and the
window wording (``events.window``, ``events.text``), so its start-up is a bare Python's. It
knows only the follow-ups the benchmark's register holds (confirmed on days, or expected in
a window or undated; no anchors, sources or times) and refuses any other row, so it cannot
pass for a general writer; the benchmark checks its bytes against the served feed.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events.text import multi_line, single_line
from events.window import Precision, Window, describe_window

QUERY = ("SELECT id, title, kind, status, location, earliest, latest, precision, start_date, "
         "end_date, paragraph, sentence, next_step, revision, created_at, updated_at, "
         "anchor_id, source_id, start_at FROM followups")
ORDER = " ORDER BY earliest IS NULL, earliest, id"


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: bytes) -> bytes:
    if len(line) <= 74:
        return line
    parts = []
    start = 0
    while len(line) - start > 74:
        end = start + 74
        while line[end] & 0xC0 == 0x80:
            end -= 1
        if line[end - 1] in b"\\^":
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def lines_bytes(lines: list[str]) -> bytes:
    return b"".join(fold(line.encode()) + b"\r\n" for line in lines)


def stamp(text: str) -> str:
    """'2026-11-28 00:00:00.000000' (naive UTC, as stored) as 20261128T000000Z."""
    return f"{text[0:4]}{text[5:7]}{text[8:10]}T{text[11:13]}{text[14:16]}{text[17:19]}Z"


def header(title: str) -> bytes:
    name = escape(single_line(f"followup: {title}"))
    about = escape(multi_line(
        "Follow-ups promised at government meetings, with their date windows"))
    return lines_bytes([
        "BEGIN:VCALENDAR", "VERSION:2.0",
        "PRODID:-//followup//Follow-ups of government meetings//EN",
        f"DESCRIPTION:{about}", f"X-WR-CALDESC:{about}", f"NAME:{name}",
        f"X-WR-CALNAME:{name}", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H"])


def event(row: tuple, domain: str) -> bytes:  # type: ignore[type-arg]
    (followup_id, title, kind, status, location, earliest, latest, precision, start_date,
     end_date, paragraph, sentence, next_step, revision, created_at, updated_at, anchor_id,
     source_id, start_at) = row
    if anchor_id is not None or source_id is not None or start_at is not None or status in (
            "done", "cancelled"):
        raise SystemExit(f"{followup_id}: the plain writer knows no anchors, sources, times, "
                         "done or cancelled follow-ups")
    title = single_line(title)
    if start_date is not None:
        start, last = date.fromisoformat(start_date), date.fromisoformat(end_date)
        words = describe_window(Window(start, last, Precision.DAY))
        summary, when = title, words
    else:
        window = Window(earliest and date.fromisoformat(earliest),
                        latest and date.fromisoformat(latest), Precision(precision))
        if window.earliest is None:
            start = last = date.fromisoformat(created_at[:10])
            summary, when = f"{title} (no date yet)", "no date given yet"
        else:
            words = describe_window(window)
            start, last = window.earliest, window.latest or window.earliest
            summary, when = f"{title} (date TBC: {words})", f"{words}, date not yet confirmed"
    described = [when]
    if location:
        described.append(f"Where: {location}")
    if next_step:
        described.append(f"Next step: {next_step}")
    if sentence:
        said = f" (paragraph {paragraph})" if paragraph else ""
        described += ["", f"The release said{said}:", f"“{sentence}”"]
    described += ["", f"followup id: {followup_id}"]
    changed = stamp(updated_at)
    end = last + timedelta(days=1)
    lines = ["BEGIN:VEVENT", f"SUMMARY:{escape(summary)}",
             f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}",
             f"DTSTAMP:{changed}", f"UID:{followup_id}@{domain}", f"SEQUENCE:{revision}",
             f"CATEGORIES:{escape(kind)}",
             "DESCRIPTION:" + escape("\n".join(single_line(line) for line in described)),
             f"LAST-MODIFIED:{changed}"]
    if location:
        lines.append(f"LOCATION:{escape(single_line(location))}")
    confirmed = start_date is not None
    lines += [f"STATUS:{'CONFIRMED' if confirmed else 'TENTATIVE'}",
              f"TRANSP:{'OPAQUE' if confirmed else 'TRANSPARENT'}", "END:VEVENT"]
    return lines_bytes(lines)


def events(connection: sqlite3.Connection, domain: str, ids: list[str] | None = None
           ) -> dict[str, bytes]:
    """Each follow-up's event bytes, by id (those named by ``ids``, or every one)."""
    if ids is None:
        rows = connection.execute(QUERY)
    else:
        marks = ",".join("?" * len(ids))
        rows = connection.execute(f"{QUERY} WHERE id IN ({marks})", ids)
    return {row[0]: event(row, domain) for row in rows}


def write(connection: sqlite3.Connection, title: str, domain: str) -> bytes:
    rows = connection.execute(QUERY + ORDER).fetchall()
    return b"".join([header(title), *(event(row, domain) for row in rows),
                     b"END:VCALENDAR\r\n"])


class Incremental:
    """The plain writer that keeps each event's bytes and writes again only what changed:
    it reads every follow-up's revision, and the rows of those whose revision moved."""

    def __init__(self, connection: sqlite3.Connection, title: str, domain: str) -> None:
        self.connection, self.title, self.domain = connection, title, domain
        self.revisions: dict[str, int] = {}
        self.events: dict[str, bytes] = {}

    def write(self) -> bytes:
        order = self.connection.execute("SELECT id, revision FROM followups" + ORDER).fetchall()
        changed = [i for i, revision in order if self.revisions.get(i) != revision]
        self.events.update(events(self.connection, self.domain, changed) if len(changed) < len(
            order) else events(self.connection, self.domain))
        self.revisions = dict(order)
        return b"".join([header(self.title), *(self.events[i] for i, _ in order),
                         b"END:VCALENDAR\r\n"])


def main() -> None:
    database, title, domain = sys.argv[1:4]
    connection = sqlite3.connect(database)
    sys.stdout.buffer.write(write(connection, title, domain))


if __name__ == "__main__":
    main()
