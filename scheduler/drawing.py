"""The timeline laid out as an SVG picture: coordinates for every bar, row, tick and connector.

The page template only writes out what is computed here, so positions are decided in one
place and can be checked against the dates (``position`` of :mod:`events.timeline` times
the chart's width, from its left edge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from events.timeline import Bar, Timeline, position
from events.window import format_window

#: The picture's width in its own units; the browser scales it to the page.
WIDTH = 1200
#: Room for the tick labels above the first row.
AXIS = 34
ROW = 22
GROUP = 26
BAR = 12
#: A label's width per character of an id (a monospace font at 12 units).
CHAR = 7.4
#: The tick label at the right edge needs this much room.
MARGIN = 16
# A window is hatched (the pattern's id in the page), confirmed days solid; red edges say
# overdue.
HATCH = "url(#hatch)"
HATCH_EDGE = "#4a78b0"
SOLID = "#2e6b3a"
SOLID_EDGE = "#1c4424"
OVERDUE = "#b00020"


@dataclass(frozen=True, slots=True)
class DrawnBar:
    bar: Bar
    x: float
    width: float
    y: float
    #: The middle of its row, where labels and connectors meet it.
    middle: float
    classes: str
    # Written as the page writes them, once here rather than looked up row by row there.
    id: str
    when: str
    status: str
    anchor: str
    #: What the bar's tooltip says (text: the page escapes it).
    tooltip: str
    #: The bar's attributes: numbers, dates and fixed words only, so nothing to escape.
    rect: Markup


@dataclass(frozen=True, slots=True)
class Heading:
    label: str
    y: float


@dataclass(frozen=True, slots=True)
class Tick:
    day: date
    x: float
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    anchor: str
    dependant: str
    path: str


@dataclass(frozen=True)
class Drawing:
    timeline: Timeline
    x0: float
    width: float
    height: float
    bars: list[DrawnBar]
    headings: list[Heading]
    ticks: list[Tick]
    lines: list[Line]
    today_x: float | None

    @property
    def total_width(self) -> int:
        return WIDTH


def _x(x0: float, width: float, fraction: float) -> float:
    return round(x0 + fraction * width, 2)


def tick_label(day: date, span_days: int) -> str:
    if span_days > 3 * 366:
        return f"{day:%Y}" if day.month == 1 else f"{day:%b}"
    return f"{day:%b %Y}" if day.month == 1 or span_days <= 200 else f"{day:%b}"


def _classes(bar: Bar) -> str:
    names = ["bar", "fuzzy" if bar.fuzzy else "confirmed", f"status-{bar.item.status}"]
    if bar.open_end:
        names.append("open")
    if bar.overdue:
        names.append("overdue")
    return " ".join(names)


def _drawn(bar: Bar, x: float, width: float, y: float, middle: float) -> DrawnBar:
    item = bar.item
    classes = _classes(bar)
    start, end = bar.start.isoformat(), bar.end.isoformat()
    fill = HATCH if bar.fuzzy else SOLID
    stroke = OVERDUE if bar.overdue else HATCH_EDGE if bar.fuzzy else SOLID_EDGE
    rect = Markup(
        f'class="{classes}" data-start="{start}" data-end="{end}" x="{x}" y="{y}" '
        f'width="{width}" height="{BAR}" rx="2" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{2 if bar.overdue else 1}"'
        + (' mask="url(#fade)"' if bar.open_end else ""))
    tooltip = (f"{item.title} — {start} to {end}{' and on' if bar.open_end else ''} "
               f"({'window' if bar.fuzzy else 'confirmed'}, {item.status.value}"
               f"{', overdue' if bar.overdue else ''})")
    return DrawnBar(
        bar=bar, x=x, width=width, y=y, middle=middle, classes=classes, id=item.id,
        when=format_window(item.confirmed or item.window), status=item.status.value,
        anchor=item.anchor_id or "", tooltip=tooltip, rect=rect)


def draw(timeline: Timeline, ticks: list[date]) -> Drawing:
    """Coordinates for ``timeline``; labels take as much room as the longest id needs."""
    longest = max((len(b.id) + (9 if b.overdue else 0) for b in timeline.bars), default=10)
    x0 = round(max(140.0, longest * CHAR + 20), 2)
    width = round(WIDTH - x0 - MARGIN, 2)
    span = timeline.span
    drawn: list[DrawnBar] = []
    headings: list[Heading] = []
    y = float(AXIS)
    for group in timeline.groups:
        if group.label:
            headings.append(Heading(group.label, y + GROUP - 8))
            y += GROUP
        for bar in group.bars:
            left = _x(x0, width, bar.left(span))
            right = _x(x0, width, bar.right(span))
            top = y + (ROW - BAR) / 2
            drawn.append(_drawn(bar, left, round(right - left, 2), top, y + ROW / 2))
            y += ROW
    where = {d.bar.id: d for d in drawn}
    lines = []
    taken: dict[str, int] = {}
    for connector in timeline.connectors:
        anchor, dependant = where[connector.anchor], where[connector.dependant]
        # Out to the left of both bars, along to the dependant's row, and in to its start:
        # each of an anchor's connectors a little further out, so none hides another.
        rank = taken[connector.anchor] = taken.get(connector.anchor, -1) + 1
        gutter = max(x0 - 6, min(anchor.x, dependant.x) - 6 - 3 * (rank % 4))
        path = (f"M{anchor.x:.2f},{anchor.middle:.2f} H{gutter:.2f} "
                f"V{dependant.middle:.2f} H{dependant.x:.2f}")
        lines.append(Line(connector.anchor, connector.dependant, path))
    today = timeline.today_position
    return Drawing(
        timeline=timeline, x0=x0, width=width, height=y + 8, bars=drawn, headings=headings,
        ticks=[Tick(day, _x(x0, width, position(day, span)), tick_label(day, span.days))
               for day in ticks],
        lines=lines, today_x=None if today is None else _x(x0, width, today))
