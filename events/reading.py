"""Reading a release: the text without the website around it, its paragraphs and sentences.

Pure functions over bytes and strings. A release page carries menus, share links and
footers; what is kept is the title, the paragraphs (with the release's own numbering when it
has one, bullets belonging to the numbered paragraph above them) and the publication date
when the text states it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from html.parser import HTMLParser

from events.errors import FollowupError
from events.temporal import _MONTHS

_MONTH_NAME = r"(?i:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")"

BINARY_SAMPLE = 8192


class UnreadableRelease(FollowupError):
    pass


@dataclass(frozen=True)
class Paragraph:
    number: int
    text: str
    #: A line of a programme or of a media advisory's particulars ("5 June: Opening
    #: ceremony", "Date: Wednesday, February 22"), not prose.
    listing: bool = False

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """Its sentences, split once for all who read them."""
        return tuple(sentences(self.text))


@dataclass(frozen=True)
class Release:
    text: str
    title: str | None
    published: date | None
    paragraphs: list[Paragraph]
    warnings: list[str] = field(default_factory=list)


# Bytes that no text has many of: a file full of them is binary.
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def decode(data: bytes, name: str) -> tuple[str, list[str]]:
    """Text from bytes: UTF-8, or replacement characters with a warning; binary is refused."""
    if not data.strip():
        raise UnreadableRelease(f"{name} is empty: give the release's text or HTML")
    sample = data[:BINARY_SAMPLE]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if b"\x00" in sample or controls > len(sample) // 20:
        raise UnreadableRelease(f"{name} looks like a binary file, not a release: give the "
                                "text (.txt) or the web page (.html)")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        return data.decode("utf-8", errors="replace"), [
            f"{name} is not valid UTF-8 (first bad byte at offset {error.start}): read with "
            "replacement characters; save it as UTF-8 for an exact copy"]


_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "svg",
         "button", "select", "template", "iframe"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
          "table", "section", "article", "blockquote", "dd", "dt", "pre", "title"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    head = text[:2048].lower()
    return "<html" in head or "<!doctype html" in head or "<body" in head or "<p>" in head


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


_NUMBERED = re.compile(r"^\s*(\d{1,3})[.)]\s+(\S.*)$")
_BULLET = re.compile(r"^\s*[°•·▪◦‣*\-–—▷▶►▸➢➤※■□◆◇○●◎✓✔☐☑⦁⁃]\s*(\S.*)$")


_PROSE_END = re.compile(r"[.!?;][\"”’)]?\s*$")


def _prose(text: str) -> bool:
    """A line that reads as prose, not a menu entry or a heading: a sentence's end (or a
    resolution's semicolon), or long enough that a missing full stop is a slip."""
    words = len(text.split())
    ended = bool(_PROSE_END.search(text))
    return ((words >= 5 and ended) or words >= 25
            or (words >= (4 if ended else 6) and bool(_COMMITS.search(text))))


# A line that commits to something is prose even without its full stop.
_COMMITS = re.compile(r"\b(?:will|shall|agreed\s+to|decided\s+to|to\s+be\s+held|is\s+to|are\s+to|"
                      r"(?:is|are)\s+due|must|scheduled|expected)\b", re.I)


# "Date: Wednesday, February 22, 2017", "WHAT: ...", "Venue: ..."
_PARTICULAR = re.compile(r"^(?:event|what|title|meeting|activity|occasion|date|dates|when|day|"
                         r"time|where|venue|location|place)\s*:\s*\S", re.I)
# "5 June: Opening ceremony", "Assembly Press Conference: 24 September – 1300-1330",
# "Monday 25 September - Official closing".
_DAY_LINE = re.compile(r"\b(?:\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH_NAME + r"|" + _MONTH_NAME
                       + r"\.?\s+\d{1,2}\b|\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)\d\d)")
_SEPARATOR = re.compile(r":\s|\s[–—-]\s")


def _listing(line: str) -> bool:
    """A programme line or an advisory's particular, worth reading though not prose."""
    if _PARTICULAR.match(line) or HOUR.match(line) or _DAY_HEADING.match(line):
        return True
    return len(line.split()) <= 20 and bool(_SEPARATOR.search(line)) \
        and bool(_DAY_LINE.search(line))


# "8 a.m. -- Mission Overview", "9-9:20 a.m.: opening", "1130GMT - News conference": the
# hour, up to what happens at it.
HOUR = re.compile(r"^\d{1,2}(?:[:.]\d\d)?(?:\s*[-–]\s*\d{1,2}(?:[:.]\d\d)?)?\s*(?:a\.m\.|p\.m\.|am|"
                  r"pm|h|hrs|GMT|UTC)?\s*(?:[-–—]{1,2}|:)\s+(?=\S)|^\d{4}\s*(?:GMT|UTC|hrs)\s+"
                  r"[-–—]?\s*(?=\S)", re.I)
# "Wednesday", "Friday, Jan. 9", "Day 2 - 5 May": the day the lines below it are on
_DAY_HEADING = re.compile(r"^(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?(?:\s+\S+){0,3}|"
                          r"Day\s+\d+\b.{0,30})$", re.I)
# "Plenary meeting of the Panel on Plant Health (PLH), 30-31 January 2013;"
_DATED_ITEM = re.compile(r"^[A-Z][^:;]{3,200},\s+(?:from\s+)?\d{1,2}(?:\s*[-–]\s*\d{1,2})?\s+"
                         + _MONTH_NAME + r"(?:\s+(?:19|20)\d\d)?\s*[;.]?$")


# A verb of its own: a sentence, not an item of a list.
_VERBED = re.compile(r"\b(?:is|are|was|were|will|shall|has|have|had|be|been|follows?|opens?|"
                     r"begins?|starts?|ends?|closes?)\b")


def _labelled(line: str) -> bool:
    """"Deadline for submission of applications: 16. 3. 2020 (12:00 p.m.)": a label and a
    date, whatever punctuation ends it."""
    if HOUR.match(line) or (_DATED_ITEM.match(line) and not _VERBED.search(
            line.rpartition(",")[0])):
        return True
    label, colon, value = line.partition(": ")
    return bool(colon) and len(line.split()) <= 20 and (
        _PARTICULAR.match(line) is not None
        or (len(value.split()) <= 6 and bool(_DAY_LINE.search(value)))
        or (len(label.split()) <= 6 and bool(_DAY_LINE.search(label))))


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines: a paragraph ends at a blank line or where another starts."""
    joined: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        starts = bool(_NUMBERED.match(line) or _BULLET.match(line)) or _listing(line)
        # Only a long line runs on: menus, headings and programme lines are lines of their
        # own.
        if not line or starts or (current and (_ENDED.search(current[-1])
                                               or len(current[-1]) < 50
                                               or _listing(current[-1]))):
            if current:
                joined.append(" ".join(current))
            current = []
        if line:
            current.append(line)
    return joined


_ENDED = re.compile(r"[.!?:\]][\"”’)]?$")


def paragraphs(text: str) -> tuple[str | None, list[Paragraph]]:
    """The title and the paragraphs of a release, numbered as the release numbers them."""
    lines = _unwrap([line.strip() for line in text.splitlines()])
    numbered = [m for m in (_NUMBERED.match(line) for line in lines)
                if m and _prose(m[2])]
    use_numbers = len(numbered) >= 2
    found: list[Paragraph] = []
    title: str | None = None
    current: list[str] = []
    number = 0

    def close() -> None:
        if current:
            found.append(Paragraph(number, " ".join(current)))
            current.clear()

    for line in lines:
        match = _NUMBERED.match(line)
        if match and _prose(match[2]) and use_numbers:
            close()
            number = int(match[1])
            current.append(match[2])
            continue
        bullet = _BULLET.match(line)
        body = bullet[1] if bullet else line
        if not _prose(body) or _labelled(body):
            if _listing(body) or _labelled(body):
                if not use_numbers:
                    number += 1
                found.append(Paragraph(number, body, listing=True))
            elif all(p.listing for p in found) and not current and len(body.split()) >= 3 \
                    and not body.endswith("."):
                title = body  # the last heading-like line before the text starts
            continue
        if use_numbers:
            if number == 0:
                # The lead before the numbered paragraphs: paragraph 0.
                found.append(Paragraph(0, body))
                continue
            if bullet:
                close()
                found.append(Paragraph(number, body))
            else:
                current.append(body)
        else:
            number += 1
            found.append(Paragraph(number, body))
    close()
    return title, found


_ABBREVIATIONS = ("a.m", "p.m", "Dr", "Mr", "Mrs", "Ms", "Prof", "No", "Nos", "St", "vs", "etc",
                  "Gen", "Amb", "Hon", "Lt", "Col", "Capt", "Sept", "approx", "Govt", "Dept",
                  "Sen", "Rep", "Gov", "Jr", "Sr", "Co", "Inc", "Ltd", "Art", "Vol",
                  "Fig", "e.g", "i.e", "U.S", "U.K", "U.N", "E.U", *(m.capitalize()
                  for m in _MONTHS if len(m) <= 4 and m not in ("may", "june", "july")))
_PROTECT = re.compile(r"\b(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")\.|"
                      r"\b([A-Z])\.(?=\s*[A-Z])|"
                      # "16. 1. 2020": a date, not three sentences
                      r"\b\d{1,2}\.\s?\d{1,2}\.(?=\s?(?:19|20)\d\d)")
_END = re.compile(r"(?<=[.!?])([\"”’)]*)\s+(?=[\"“(]?[A-Z0-9])")
_MARK = "\x00"


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph; "Dr.", "No.", "U.S." and initials do not end one, a " | "
    (between a caption and its credit, or menu entries) does."""
    protected = _PROTECT.sub(lambda m: m.group(0).replace(".", _MARK), text)
    pieces = _END.split(protected)
    found: list[str] = []
    for index in range(0, len(pieces), 2):
        closing = pieces[index + 1] if index + 1 < len(pieces) else ""
        sentence = (pieces[index] + closing).replace(_MARK, ".")
        found.extend(part.strip() for part in sentence.split(" | ") if part.strip())
    return found


_DATES = [
    re.compile(r"\b(?P<y>(?:19|20)\d\d)[-./](?P<m>[01]?\d)[-./](?P<d>[0-3]?\d)\b"),
    re.compile(r"\b(?P<mon>[A-Z][a-z]+)\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,\s+"
               r"(?P<y>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<d>[0-3]?\d)\s+(?P<mon>[A-Z][a-z]+)\.?\s+(?P<y>(?:19|20)\d\d)\b"),
]


def find_published(text: str, *, head: int = 3000) -> date | None:
    """The first full date near the top of the page, taken as its publication date."""
    top = text[:head]
    best: tuple[int, date] | None = None
    for pattern in _DATES:
        for match in pattern.finditer(top):
            month = int(match["m"]) if "m" in match.groupdict() and match.groupdict()["m"] \
                else _MONTHS.get((match.groupdict().get("mon") or "").lower())
            if not month:
                continue
            try:
                found = date(int(match["y"]), month, int(match["d"]))
            except ValueError:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), found)
    return best[1] if best else None


# Pages often state their date only in markup: <meta property="article:published_time"
# content="2019-01-24T..."> or <time datetime="2019-01-24">.
_MARKUP_DATE = re.compile(
    r"""(?:(?:published_time|datePublished|pubdate|dc\.date(?:\.issued)?)["']\s+content=|"""
    r"""<time[^>]*\sdatetime=)["'](?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)""", re.I)


def read_release(data: bytes, name: str, *, html: bool | None = None) -> Release:
    text, warnings = decode(data, name)
    as_html = html if html is not None else looks_like_html(text)
    body = html_to_text(text) if as_html else text
    title, found = paragraphs(body)
    published = find_published(body)
    if published is None and as_html and (marked := _MARKUP_DATE.search(text)):
        try:
            published = date.fromisoformat(marked["iso"])
        except ValueError:
            published = None
    return Release(text=text, title=title, published=published, paragraphs=found,
                   warnings=warnings)
