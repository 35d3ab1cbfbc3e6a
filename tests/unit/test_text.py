"""Text hygiene: what goes into the register and out into feeds has no control characters."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from events.text import address, multi_line, single_line

BREAKS = ["\r\n", "\r", "\n", "\v", "\f", "\x85", "\u2028", "\u2029"]
#: Every C0 and C1 control, DEL and the Unicode line and paragraph separators.
HOSTILE = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "\u2028\u2029"

# Text of every kind, with the troublesome characters much more likely than chance gives.
texts = st.lists(
    st.one_of(st.characters(), st.sampled_from(list(HOSTILE)),
              st.sampled_from([" ", "\t", "\r\n", "\ud800", "\udfff"])),
    max_size=60,
).map("".join)


def unwanted(text: str, *, newline_allowed: bool) -> list[str]:
    return [c for c in text
            if (unicodedata.category(c) == "Cc" and not (newline_allowed and c == "\n"))
            or c in "\u2028\u2029" or unicodedata.category(c) == "Cs"]


@given(texts)
@example(HOSTILE)
@example("\ud800 lone surrogate")
def test_single_line_leaves_no_control_and_no_break(text: str) -> None:
    clean = single_line(text)
    assert unwanted(clean, newline_allowed=False) == []
    assert single_line(clean) == clean
    clean.encode("utf-8")


@given(texts)
@example(HOSTILE)
def test_multi_line_keeps_only_newlines(text: str) -> None:
    clean = multi_line(text)
    assert unwanted(clean, newline_allowed=True) == []
    assert multi_line(clean) == clean
    # as many lines as the text had breaks, once the controls that are not breaks are gone
    assert clean.count("\n") <= len(text)


@given(texts)
def test_an_address_has_no_whitespace_at_all(text: str) -> None:
    clean = address(text)
    assert unwanted(clean, newline_allowed=False) == []
    assert not any(c.isspace() for c in clean)
    assert address(clean) == clean


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl",
                                                                         "Zp"])))
def test_clean_text_is_left_as_it_is(text: str) -> None:
    assert single_line(text) is text
    assert multi_line(text) is text


@pytest.mark.parametrize("brk", BREAKS)
def test_every_kind_of_line_break(brk: str) -> None:
    assert single_line(f"one{brk}two") == "one two"
    assert multi_line(f"one{brk}two") == "one\ntwo"
    assert multi_line(f"one{brk}{brk}two") == "one\n\ntwo"


@pytest.mark.parametrize(
    ("text", "line", "lines"),
    [
        ("Bell\x07 rings", "Bell rings", "Bell rings"),
        ("tab\tstop", "tab stop", "tab stop"),
        ("C1\x9b and DEL\x7f", "C1 and DEL", "C1 and DEL"),
        ("end of line \r\n next", "end of line next", "end of line \n next"),
        ("\r\nTitle\r\n", "Title", "\nTitle\n"),
        ("  indented", "  indented", "  indented"),
        ("a\n\n\nb", "a b", "a\n\n\nb"),
        ("one\r\x07\ntwo", "one two", "one\ntwo"),  # one break, once the BEL is gone
        ("\x1c\x1d\x1e", "", ""),  # information separators are not line breaks
    ],
)
def test_examples(text: str, line: str, lines: str) -> None:
    assert (single_line(text), multi_line(text)) == (line, lines)
