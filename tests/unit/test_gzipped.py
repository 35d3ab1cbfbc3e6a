"""scheduler/gzipped.py: gzip bodies that compress again only the runs that changed."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.gzipped import Compressor


def pieces(count: int, changed: dict[int, bytes] | None = None) -> list[tuple[bytes, bytes]]:
    made = [(f"fu-{i}:(1, 0);".encode(), f"BEGIN:VEVENT\r\nUID:fu-{i}\r\nEND:VEVENT\r\n".encode())
            for i in range(count)]
    for index, block in (changed or {}).items():
        made[index] = (f"fu-{index}:(2, 0);".encode(), block)
    return made


def body_of(parts: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(piece for _, piece in parts)


def read_as_one_member(zipped: bytes) -> bytes:
    """What a client that reads a single gzip member (curl, browsers) gets."""
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = reader.decompress(zipped)
    assert reader.eof and reader.unused_data == b""
    return data


def test_a_body_is_one_gzip_member_of_its_pieces() -> None:
    parts = pieces(1000)
    zipped = Compressor().gzip(parts, body_of(parts))
    assert read_as_one_member(zipped) == gzip.decompress(zipped) == body_of(parts)
    assert zipped[:4] == b"\x1f\x8b\x08\x00"
    assert zipped[4:8] == b"\x00\x00\x00\x00"  # no time: the same body, the same bytes
    assert len(zipped) < len(body_of(parts)) / 5


def test_only_the_run_of_a_changed_piece_is_compressed_again() -> None:
    compressor = Compressor()
    assert compressor.deflated == 0  # nothing made yet
    parts = pieces(1000)
    compressor.gzip(parts, body_of(parts))
    assert compressor.deflated > 20  # about one run in 32 pieces
    changed = pieces(1000, {500: b"BEGIN:VEVENT\r\nUID:fu-500\r\nSUMMARY:moved\r\nEND:VEVENT\r\n"})
    zipped = compressor.gzip(changed, body_of(changed))
    assert compressor.deflated == 1
    assert gzip.decompress(zipped) == body_of(changed)
    assert zipped == Compressor().gzip(changed, body_of(changed))  # as if made afresh
    compressor.gzip(changed, body_of(changed))
    assert compressor.deflated == 0  # the same body again: nothing to compress


def test_an_empty_body() -> None:
    assert read_as_one_member(Compressor().gzip([], b"")) == b""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=200),
       st.lists(st.tuples(st.integers(0, 199), st.binary(max_size=200)), max_size=5))
def test_any_edit_gives_the_bytes_a_fresh_compressor_gives(
        blocks: list[bytes], edits: list[tuple[int, bytes]]) -> None:
    # a key names its bytes: here the bytes themselves
    parts = [(block, block) for block in blocks]
    compressor = Compressor(level=1)
    assert gzip.decompress(compressor.gzip(parts, body_of(parts))) == body_of(parts)
    for index, piece in edits:
        if index < len(parts):
            parts[index] = (piece, piece)
        else:
            parts.insert(0, (piece, piece))
    zipped = compressor.gzip(parts, body_of(parts))
    assert read_as_one_member(zipped) == body_of(parts)
    assert zipped == Compressor(level=1).gzip(parts, body_of(parts))
