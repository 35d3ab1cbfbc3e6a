"""A follow-up in words, the same in tables, notices and feeds."""

from __future__ import annotations

from events.model import FollowUp, Status
from events.window import describe_window


def when(followup: FollowUp) -> str:
    """When it happens, saying plainly whether the date is confirmed."""
    schedule = followup.schedule
    if schedule is not None:
        return schedule.describe()
    if followup.window.is_undated:
        return "no date given yet" if followup.status is Status.EXPECTED else "no date given"
    words = describe_window(followup.window)
    if followup.status is Status.EXPECTED:
        return f"{words}, date not yet confirmed"
    return words


def tie(followup: FollowUp) -> str:
    """What it is anchored to, with the margin: "temm-21 ±7d"."""
    if followup.anchor_id is None:
        return ""
    if followup.margin_days:
        return f"{followup.anchor_id} ±{followup.margin_days}d"
    return followup.anchor_id
