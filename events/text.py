"""Text fit to be kept and published: no control characters, line breaks of one kind.

Releases arrive with stray bytes (a BEL, a form feed, a C1 control from a mis-decoded page)
and line separators from every tradition (CRLF, CR, U+2028, U+2029, NEL, VT, FF). Some
calendar parsers refuse a whole feed for one control character in one property, and some
show U+2028 as a broken line. So everything the register stores and everything a feed writes
goes through one of these functions:

- :func:`single_line` for what is shown on one line: titles, places, phrases, next steps,
  parties and tags, a source's title and publisher, and also a release's sentence and the
  reasons kept in history. A sentence is one sentence: a break inside it comes from the page's
  wrapping, not from its author, and a reason is a note in a table row; both read better
  joined up, and neither is ever laid out as paragraphs.
- :func:`multi_line` for text whose lines mean something: a feed's description, which it
  builds from single-line parts joined by newlines.
- :func:`address` for URLs, which never hold whitespace of any kind.

Each is idempotent and leaves clean text as it is (the same object, cheaply), so applying it
again on the way out costs little and old rows read back clean.
"""

from __future__ import annotations

import re

__all__ = ["address", "multi_line", "single_line"]

# CRLF first, so that it counts as one break and not two.
_BREAK = "\r\n|[\n\r\v\f\x85\u2028\u2029]"
# C0 controls but tab and the line breaks above, DEL, C1 controls but NEL.
_CONTROL = "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]"
# A lone surrogate (undecodable bytes in a command line) cannot be written as UTF-8 at all.
_SURROGATE = "[\ud800-\udfff]"

_ANYTHING = re.compile(f"{_BREAK}|{_CONTROL}|{_SURROGATE}|\t")
_CONTROLS = re.compile(_CONTROL)
_SURROGATES = re.compile(_SURROGATE)
_BREAKS = re.compile(_BREAK)
_WHITESPACE = re.compile(r"\s+")


def _common(text: str) -> str:
    text = _CONTROLS.sub("", text)
    text = _SURROGATES.sub("\ufffd", text)
    return text.replace("\t", " ")


def single_line(text: str) -> str:
    """``text`` on one line.

    A run of line breaks, with the blanks beside it, becomes one space; at either end it goes,
    so a title ending in a line break keeps no space after it.
    """
    if _ANYTHING.search(text) is None:
        return text
    parts = _BREAKS.split(_common(text))
    last = len(parts) - 1
    kept = []
    for index, part in enumerate(parts):
        if index > 0:
            part = part.lstrip(" ")
        if index < last:
            part = part.rstrip(" ")
        if part:
            kept.append(part)
    return " ".join(kept)


def multi_line(text: str) -> str:
    """``text`` with every kind of line break written as ``\\n``, and no other control."""
    if _ANYTHING.search(text) is None:
        return text
    return _BREAKS.sub("\n", _common(text))


def address(text: str) -> str:
    """A URL with every control and every kind of whitespace taken out."""
    if _ANYTHING.search(text) is None and not _WHITESPACE.search(text):
        return text
    return _WHITESPACE.sub("", _common(text))
