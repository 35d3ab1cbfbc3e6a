"""gzip bodies that are mostly what they were: only the runs of pieces that changed are
compressed again.

A body is a sequence of pieces (a feed's header, one piece per follow-up, its footer), each
with a key that names its bytes. Pieces are grouped into runs that end after a piece whose
key's checksum has its low five bits clear, so a run's end depends on its own pieces and not
on where it stands: a change, an insertion or a removal touches one or two runs, and the
others are taken as they were. Each run is deflated on its own and ends on a sync flush, so
the runs concatenate into one deflate stream; the result is one ordinary gzip member, read
by any client (a multi-member file would stop some after the first member).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

#: About 32 pieces a run: around 18 kB of a feed, within deflate's 32 kB window, so little
#: is lost by compressing each run apart.
_RUN_END = 0x1F

_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time: the same bytes each time


def _ends_run(key: bytes) -> bool:
    return zlib.crc32(key) & _RUN_END == 0


class Compressor:
    """Makes gzip bodies, keeping the deflated runs of the last body for the next."""

    def __init__(self, level: int = 6) -> None:
        self.level = level
        self._runs: dict[tuple[bytes, ...], bytes] = {}
        #: How many runs the last body had deflated anew (the rest were kept).
        self.deflated = 0

    def gzip(self, pieces: Sequence[tuple[bytes, bytes]], body: bytes) -> bytes:
        """One gzip member of ``body``, which is the pieces' bytes in order; ``pieces`` are
        (key, bytes)."""
        out = [_HEADER]
        runs: dict[tuple[bytes, ...], bytes] = {}
        keys: list[bytes] = []
        data: list[bytes] = []
        self.deflated = 0
        last = len(pieces) - 1
        for index, (key, piece) in enumerate(pieces):
            keys.append(key)
            data.append(piece)
            if _ends_run(key) or index == last:
                run = tuple(keys)
                deflated = self._runs.get(run)
                if deflated is None:
                    deflated = self._deflate(b"".join(data))
                    self.deflated += 1
                runs[run] = deflated
                out.append(deflated)
                keys, data = [], []
        out.append(b"\x03\x00")  # an empty final block: the end of the deflate stream
        out.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
        self._runs = runs  # only what this body used is kept: the rest is gone for good
        return b"".join(out)

    def _deflate(self, data: bytes) -> bytes:
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
