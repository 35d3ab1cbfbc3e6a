"""Re-deriving follow-ups from what they are anchored to. Pure functions only."""

from __future__ import annotations

from collections.abc import Callable

from events.window import Precision, Window


def derived_window(anchor: Window, margin_days: int) -> Window:
    """The window of a follow-up held on the occasion of something in ``anchor``.

    The margin allows for it falling a few days before or after (a report launched the day
    before a ministers' meeting). Against a window that is not yet pinned to days (a month,
    a half-year) a margin of days is below what is known, so the anchor's window is taken as
    it is: "second half of 2019" reads better than "24 June 2019 - 7 January 2020" and
    promises nothing more.
    """
    if anchor.precision is Precision.DAY:
        return anchor.widen(margin_days)
    return anchor


def anchor_cycle(
    followup_id: str, new_anchor: str, anchor_of: Callable[[str], str | None]
) -> list[str] | None:
    """The cycle that anchoring ``followup_id`` to ``new_anchor`` would close, if any.

    Returned as the path from ``followup_id`` back to itself, ready for an error message.
    """
    path = [followup_id, new_anchor]
    seen = {followup_id}
    current: str | None = new_anchor
    while current is not None:
        if current == followup_id:
            return path
        if current in seen:  # an older cycle not through followup_id; not ours to report
            return None
        seen.add(current)
        current = anchor_of(current)
        if current is not None:
            path.append(current)
    return None
