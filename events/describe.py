"""A follow-up in words, the same in tables, notices and feeds."""

from __future__ import annotations

import re

from events.model import FollowUp, Status
from events.window import describe_window, format_window

# "21st Tripartite Environment Ministers Meeting (TEMM 21)": the name people use is the one
# in brackets at the end.
_SHORT_NAME = re.compile(r"\(([^()]{1,24})\)\s*$")


def days(count: int) -> str:
    """A number of days in words: "1 day", "7 days"."""
    return f"{count} day" if count == 1 else f"{count} days"


def short_title(followup: FollowUp) -> str:
    """The name it goes by: the bracketed acronym closing its title, else the title."""
    match = _SHORT_NAME.search(followup.title)
    return match[1].strip() if match else followup.title


def anchor_cancelled(followup: FollowUp) -> bool:
    """Still expected, though what it was to happen on the occasion of will not happen."""
    anchor = followup.anchor
    return (followup.status is Status.EXPECTED and anchor is not None
            and anchor.status is Status.CANCELLED)


def anchor_when(anchor: FollowUp) -> str:
    """When an anchor happens, as said beside what is tied to it: cancelled if it is."""
    words = when(anchor)
    return f"{words} (cancelled)" if anchor.status is Status.CANCELLED else words


def tie_line(followup: FollowUp) -> str:
    """What it is tied to, in a sentence: "TEMM 21 (temm-21, within 7 days), ..."."""
    anchor = followup.anchor
    if anchor is None:
        return ""
    margin = f", within {days(followup.margin_days)}" if followup.margin_days else ""
    return f"{anchor.title} ({anchor.id}{margin}), {anchor_when(anchor)}"


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
    words = followup.anchor_id
    if followup.margin_days:
        words += f" ±{followup.margin_days}d"
    anchor = followup.anchor
    if anchor is not None and anchor.status is Status.CANCELLED:
        words += " (cancelled)"
    return words


def next_step(followup: FollowUp) -> str:
    """What whoever follows it up should do now: the step recorded for it while it still
    stands where it stood when the step was written, else the one that fits where it is."""
    written_for = followup.next_step_for or Status.EXPECTED.value
    if followup.next_step and written_for == followup.status.value:
        return followup.next_step
    if followup.status is Status.SCHEDULED:
        place = f" in {followup.location}" if followup.location else ""
        return f"Prepare for it: {when(followup)}{place}."
    if followup.status is Status.DONE:
        return "Record what came of it in a note, and add what it leads to."
    if followup.status is Status.CANCELLED:
        return "Nothing more, unless it comes back (followup reopen)."
    if followup.window.earliest is None:
        return "Ask for a date or at least a window."
    return "Find out the date."


def facts(followup: FollowUp) -> list[tuple[str, str]]:
    """What ``followup show`` and a follow-up's page list of it, label and value in order,
    empty values included for the caller to leave out: one list, so the two agree."""
    snoozed = followup.snoozed_until
    return [
        ("Title", followup.title),
        ("Kind", str(followup.kind)),
        ("Status", str(followup.status)),
        ("When", when(followup)),
        ("Window", f"{format_window(followup.window)} ({followup.precision})"),
        ("Phrase", followup.phrase or ""),
        ("Where", followup.location or ""),
        ("Parties", ", ".join(followup.parties)),
        ("Tied to", tie(followup)),
        ("Tags", ", ".join(followup.tags)),
        ("Next step", next_step(followup)),
        ("Snoozed", "" if snoozed is None else f"no chases until {snoozed.isoformat()}"),
        ("Revision", str(followup.revision)),
    ]
