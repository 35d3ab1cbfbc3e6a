"""The timeline in a terminal: one line per follow-up, bars of block characters.

The same model as the page (:mod:`events.timeline`), drawn in the console's width. Glyphs,
not only colours, tell the bars apart, so the picture reads the same when piped: ``░`` a
window whose dates are not confirmed, ``█`` confirmed dates, ``·`` trailing off to ``→`` a
window with no end, ``┃`` today, ``!`` overdue. Ids are never cut: when the longest id leaves
too little room beside it, each id gets a line of its own above its bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from rich.console import Group as Lines
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from events.timeline import Bar, Span, Timeline, position, ticks
from events.window import format_window

FUZZY = "░"
CONFIRMED = "█"
FADING = "·"
OPEN = "→"
TODAY = "┃"
#: A bar narrower than this many cells leaves the id on a line of its own.
NARROWEST = 24


def columns(day_fraction: float, width: int) -> int:
    return min(width - 1, max(0, math.floor(day_fraction * width)))


def bar_cells(bar: Bar, span: Span, width: int) -> tuple[int, int]:
    """The first and last column a bar fills (at least one)."""
    first = columns(bar.left(span), width)
    last = max(first, math.ceil(bar.right(span) * width) - 1)
    return first, min(last, width - 1)


def bar_line(bar: Bar, span: Span, width: int, today: int | None) -> Text:
    first, last = bar_cells(bar, span, width)
    cells = [" "] * width
    glyph = FUZZY if bar.fuzzy else CONFIRMED
    for column in range(first, last + 1):
        cells[column] = glyph
    if bar.open_end:
        # The last quarter of an open window fades, and its end points on.
        fade = max(1, (last - first + 1) // 4)
        for column in range(last - fade + 1, last + 1):
            cells[column] = FADING
        cells[last] = OPEN
    style = "red" if bar.overdue else "green" if not bar.fuzzy else "blue"
    text = Text()
    for column, cell in enumerate(cells):
        if column == today and cell == " ":
            text.append(TODAY, style="bold red")
        else:
            text.append(cell, style=style if cell != " " else "")
    return text


def axis(span: Span, width: int, offset: int) -> Text:
    """Tick labels where they fit, over the bars' columns."""
    line = [" "] * width
    for day in ticks(span, most=max(2, width // 6)):
        label = f"{day:%Y}" if day.month == 1 else f"{day:%b}"
        at = columns(position(day, span), width)
        if at + len(label) <= width and all(c == " " for c in line[max(0, at - 1):at + len(label)]):
            line[at:at + len(label)] = list(label)
    return Text(" " * offset + "".join(line).rstrip(), style="dim")


def draw(timeline: Timeline, width: int, zone: str) -> RenderableType:
    """The picture for a console ``width`` columns wide; ``zone`` names today's zone."""
    span = timeline.span
    bars = timeline.bars
    label = max((len(b.id) + (2 if b.overdue else 0) for b in bars), default=0)
    stacked = width - label - 1 < NARROWEST
    chart = max(10, width if stacked else width - label - 1)
    offset = 0 if stacked else label + 1
    today_position = timeline.today_position
    today = None if today_position is None else columns(today_position, chart)
    lines: list[RenderableType] = [
        Text(f"{span.start.isoformat()} to {span.end.isoformat()}; today is "
             f"{timeline.today.isoformat()} ({zone})"
             + ("" if today is not None else ", outside this span"), style="bold"),
        axis(span, chart, offset),
    ]
    if today is not None:
        lines.append(Text(" " * (offset + today) + "▼ today", style="red"))
    for group in timeline.groups:
        if group.label:
            lines.append(Text(group.label, style="bold underline"))
        for bar in group.bars:
            name = Text(bar.id, style="bold cyan")
            if bar.overdue:
                name.append(" !", style="bold red")
            drawn = bar_line(bar, span, chart, today)
            if stacked:
                lines.extend([name, drawn])
            else:
                lines.append(Text.assemble(name, " " * (label - len(name.plain) + 1), drawn))
    if not bars:
        lines.append(Text("No follow-up has a day in this span."))
    lines.append(Text(f"{FUZZY} window, not confirmed   {CONFIRMED} confirmed   "
                      f"{FADING}{OPEN} no end given   {TODAY} today   ! overdue", style="dim"))
    if timeline.connectors:
        riders: dict[str, list[str]] = {}
        for connector in timeline.connectors:
            riders.setdefault(connector.anchor, []).append(connector.dependant)
        lines.append(Text("Tied:", style="bold"))
        for anchor, dependants in riders.items():
            lines.append(Text(f"  {anchor} → {', '.join(dependants)}"))
    if timeline.undated:
        lines.append(Text("Undated:", style="bold"))
        lines.append(_listed((Text(item.id, style="bold cyan"), Text(item.title))
                             for item in timeline.undated))
    if timeline.outside:
        shows = (f" (--from {timeline.fit.start.isoformat()} --to "
                 f"{timeline.fit.end.isoformat()} shows every date)" if timeline.fit else "")
        lines.append(Text(f"Outside this span{shows}:", style="bold"))
        rows = []
        for item in timeline.outside:
            # Overdue ones most of all: a window that passed unconfirmed is what to chase.
            name = Text(item.id, style="bold cyan")
            if item.overdue(timeline.today):
                name.append(" !", style="bold red")
            rows.append((name, Text(f"{format_window(item.confirmed or item.window)}  "
                                    f"{item.title}")))
        lines.append(_listed(rows))
    return Lines(*lines)


def _listed(rows: Iterable[tuple[Text, Text]]) -> Table:
    """Follow-ups listed under the picture, indented: ids whole, text wrapping beside them."""
    listing = Table.grid(padding=(0, 2, 0, 0))
    listing.add_column(width=0)  # the indent, with the padding
    listing.add_column(no_wrap=True)
    listing.add_column()
    for name, words in rows:
        listing.add_row("", name, words)
    return listing
