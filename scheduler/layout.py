"""How much room a table has, and the few choices that follow from it.

Tables are read in an 80-column terminal and through pipes (where Rich assumes 80 columns)
as often as on a wide screen. Below :data:`FULL_FROM` columns a listing is compact: fewer
columns, short dates, the release's sentence left out, so that an item takes a line or two.
``--wide`` asks for the full text whatever the width; it is wrapped to the width, never cut,
and a table that cannot keep its columns in that width lists its rows as entries instead.
Ids are never cut or wrapped: people type them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

__all__ = ["FULL_FROM", "Entry", "Layout", "add_id_column", "add_text_column", "id_width",
           "listing", "stamp", "stamp_lines", "word_width"]

FULL_FROM = 120
"""The width from which the full layout reads well without --wide."""


@dataclass(frozen=True)
class Layout:
    """The room a table has: the console's width, and whether --wide was asked for."""

    width: int
    wide: bool = False

    @classmethod
    def of(cls, console: Console, wide: bool = False) -> Layout:
        return cls(console.width, wide)

    @property
    def narrow(self) -> bool:
        """Too narrow for a table whose every row is a line: rows become listing entries."""
        return self.width < FULL_FROM

    @property
    def compact(self) -> bool:
        """Narrow, and the full text not asked for: long text is shortened or left out."""
        return self.narrow and not self.wide

    def table(self, *, lines: bool = False, **options: Any) -> Table:
        """A table in this layout's frame: boxed when full, with no frame or column rules
        when compact; its rows set apart by a line when they may span several."""
        if self.compact:
            return Table(box=box.SIMPLE_HEAD, show_lines=lines, show_edge=False, expand=True,
                         **options)
        return Table(show_lines=lines, expand=True, **options)


def id_width(ids: Iterable[str]) -> int:
    """The width an id column needs so that the longest id fits whole."""
    return max((len(i) for i in ids), default=0)


def word_width(texts: Iterable[str], most: int = 26) -> int:
    """The width that keeps the longest word of these texts whole, up to ``most``: a
    confirmed schedule's instant with its offset, "2019-11-23T10:00:00+09:00", is 25."""
    return min(max((len(word) for text in texts for word in text.split()), default=0), most)


def add_id_column(table: Table, header: str, ids: Iterable[str], **options: Any) -> None:
    """A column of ids: as wide as the longest, never wrapped, folded or cut."""
    table.add_column(header, no_wrap=True, min_width=max(id_width(ids), len(header)),
                     overflow="ignore", **options)


def add_text_column(table: Table, header: str, *, floor: int = 0, **options: Any) -> None:
    """A column of words that wraps; a word longer than the column (an address) is folded
    onto the next line rather than cut. ``floor`` is the least width it may have, for the
    id it holds: Rich keeps a column that shares out the room by ``ratio`` no narrower than
    its ``width``, and ignores its ``min_width``."""
    if floor:
        options["width" if options.get("ratio") else "min_width"] = floor
    table.add_column(header, overflow="fold", **options)


@dataclass(frozen=True)
class Entry:
    """One item of a compact listing: short fields on a line, long text under them."""

    fields: tuple[str | Text, ...]
    text: str | Text = ""


def listing(headers: Sequence[str], entries: Sequence[Entry]) -> Group:
    """A table's compact form, where a row would wrap into a tall column: each item's short
    fields (an id first) on one line in aligned columns, the last of them wrapping in what
    room is left, and its long text under them, indented, across the whole width.

    Every column but the last is as wide as its widest cell, so an id in one is never cut.
    """
    count = len(headers)
    widths = [
        max([len(headers[i])] + [_widest(e.fields[i]) for e in entries])
        for i in range(count - 1)
    ]

    def line(cells: Sequence[str | Text]) -> Table:
        grid = Table.grid(padding=(0, 2), expand=True)
        for width in widths:
            grid.add_column(width=width, no_wrap=True, overflow="ignore")
        grid.add_column(ratio=1, overflow="fold")
        grid.add_row(*cells)
        return grid

    parts: list[Table | Padding | Rule] = [
        line([Text(h, style="bold") for h in headers]), Rule(style="dim")]
    for entry in entries:
        parts.append(line(entry.fields))
        if entry.text:
            parts.append(Padding(entry.text, (0, 0, 0, 2)))
    return Group(*parts)


def _widest(cell: str | Text) -> int:
    text = cell if isinstance(cell, Text) else Text(cell)
    return max((line.cell_len for line in text.split("\n")), default=0)


def stamp(moment: datetime, zone: ZoneInfo) -> str:
    """A time as a table shows it, always with its zone: "2019-11-23 10:00 KST"."""
    local = moment.astimezone(zone)
    name = local.strftime("%Z") or local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {name}"


def stamp_lines(moment: datetime, zone: ZoneInfo) -> str:
    """The same on two lines, day then time and zone, for a narrow column."""
    return stamp(moment, zone).replace(" ", "\n", 1)
