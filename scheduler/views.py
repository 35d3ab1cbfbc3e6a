"""How follow-ups and their history look: Rich tables for people, JSON for programs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from events.extract import Proposal
    from scheduler.replay import Applied, Fired

from events.describe import facts, tie, when
from events.ledger import PlanSettings
from events.model import Change, FollowUp, Notice, Status
from events.window import Phase, describe_window, format_window
from scheduler.layout import (
    Entry,
    add_id_column,
    add_text_column,
    id_width,
    listing,
    stamp,
    stamp_lines,
    word_width,
)
from scheduler.layout import Layout as Layout  # the commands choose theirs through views

# -- JSON ------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def followup_json(followup: FollowUp, today: date) -> dict[str, Any]:
    schedule = followup.schedule
    source = followup.source
    return {
        "id": followup.id,
        "title": followup.title,
        "kind": str(followup.kind),
        "status": str(followup.status),
        "earliest": _iso(followup.earliest),
        "latest": _iso(followup.latest),
        "precision": str(followup.precision),
        "window": format_window(followup.window),
        "when": when(followup),
        "phase": str(followup.window.phase(today)),
        "phrase": followup.phrase,
        "start": _iso(schedule.start) if schedule else None,
        "end": _iso(schedule.end) if schedule else None,
        "timezone": schedule.timezone if schedule else None,
        "location": followup.location,
        "parties": list(followup.parties),
        "anchor": followup.anchor_id,
        "margin_days": followup.margin_days,
        "source": None
        if source is None
        else {
            "title": source.title,
            "publisher": source.publisher,
            "url": source.url,
            "published": _iso(source.published),
            "sha256": source.sha256,
        },
        "paragraph": followup.paragraph,
        "sentence": followup.sentence,
        "tags": list(followup.tags),
        "next_step": followup.next_step,
        "snoozed_until": _iso(followup.snoozed_until),
        "revision": followup.revision,
        "updated_at": _iso(followup.updated_at),
    }


def change_json(change: Change) -> dict[str, Any]:
    return {
        "followup": change.followup_id,
        "revision": change.revision,
        "field": change.field,
        "old": change.old,
        "new": change.new,
        "at": _iso(change.at),
        "why": change.why,
    }


# -- words -----------------------------------------------------------------------------


def standing(followup: FollowUp, today: date, *, compact: bool = False) -> Text:
    """Status, and whether it is overdue: an expected follow-up whose window has passed.
    The compact layout says only "overdue" then: only an expected one can be."""
    status = str(followup.status)
    phase = followup.window.phase(today)
    if followup.status is Status.EXPECTED and phase is Phase.PASSED:
        words = "overdue" if compact else f"{status}\noverdue"
        return Text(words, style="bold red")
    styles = {Status.SCHEDULED: "green", Status.DONE: "dim", Status.CANCELLED: "dim strike"}
    return Text(status, style=styles.get(followup.status, "yellow"))


def said(followup: FollowUp) -> Text:
    if not followup.sentence:
        return Text("")
    text = Text(f"“{followup.sentence}”", style="italic")
    if followup.paragraph is not None:
        text.append(f" ¶{followup.paragraph}", style="dim")
    return text


def hours(followup: FollowUp) -> str:
    """A confirmed meeting's hours with their zone, "10:00–17:00 KST"; else nothing."""
    schedule = followup.schedule
    if schedule is None or not isinstance(schedule.start, datetime) \
            or not isinstance(schedule.end, datetime):
        return ""
    zone = schedule.start.strftime("%Z") or schedule.timezone
    return f"{schedule.start:%H:%M}–{schedule.end:%H:%M} {zone}"


def when_long(followup: FollowUp) -> str:
    """When it happens in words, a meeting's hours and zone on a line of their own so that
    the zone is never wrapped away from them."""
    if hours(followup) and followup.schedule is not None:
        return f"{describe_window(followup.schedule.days())}\n{hours(followup)}"
    return when(followup)


def when_short(followup: FollowUp) -> str:
    """When it happens in the form --when takes ("2019-H2", "2019-02.."), and a meeting's
    hours with their zone on a line of their own."""
    schedule = followup.schedule
    if schedule is None:
        return format_window(followup.window)
    days = format_window(schedule.days())
    return f"{days}\n{hours(followup)}" if hours(followup) else days


# -- tables ----------------------------------------------------------------------------


def followups_table(followups: Sequence[FollowUp], today: date,
                    layout: Layout) -> Table | Group:
    if layout.compact:
        return _followups_compact(followups, today)
    # The id heads its cell, on a line of its own; the column is at least as wide as the
    # longest id, and the When column as the longest id tied to or a meeting's hours with
    # their zone, so none of them is ever cut or wrapped.
    table = layout.table(lines=True)
    add_text_column(table, "Follow-up, and the sentence it comes from", ratio=4,
                    floor=id_width(f.id for f in followups))
    add_text_column(table, "When", ratio=2, floor=id_width(
        [*(f.anchor_id for f in followups if f.anchor_id), *(hours(f) for f in followups)]))
    table.add_column("Status", min_width=9)
    add_text_column(table, "Where", ratio=2)
    for followup in followups:
        what = Text.assemble((followup.id, "bold cyan"), f"\n{followup.title}")
        sentence = said(followup)
        if sentence:
            what.append("\n")
            what.append_text(sentence)
        moment = Text(when_long(followup))
        if followup.anchor_id:
            moment.append(f"\ntied to {tie(followup)}", style="magenta")
        table.add_row(what, moment, standing(followup, today), followup.location or "")
    return table


def _followups_compact(followups: Sequence[FollowUp], today: date) -> Group:
    """A line of id, window and status each; the title, place and tie under it."""
    entries = []
    for followup in followups:
        what = Text(followup.title)
        if followup.location:
            what.append(f" · {followup.location}", style="dim")
        if followup.anchor_id:
            what.append(f" · tied to {tie(followup)}", style="magenta")
        fields = (Text(followup.id, style="bold cyan"), when_short(followup),
                  standing(followup, today, compact=True))
        entries.append(Entry(fields, what))
    return listing(("Follow-up", "When", "Status"), entries)


def followup_panel(
    followup: FollowUp, history: Sequence[Change], today: date, zone: ZoneInfo, layout: Layout
) -> Group:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    source = followup.source
    rows: list[tuple[str, str | Text]] = [("Follow-up", Text(followup.id, style="bold cyan"))]
    rows += [(label, standing(followup, today) if label == "Status" else value)
             for label, value in facts(followup)]
    if source is not None:
        where = f"¶{followup.paragraph} of " if followup.paragraph is not None else ""
        rows.append(
            (
                "Source",
                f"{where}“{source.title}”, {source.publisher}, "
                f"{source.published or 'undated'}" + (f"\n{source.url}" if source.url else ""),
            )
        )
    rows.append(("Sentence", said(followup)))
    rows.append(("Notes", "\n".join(
        f"{stamp(c.at, zone)}: {c.new}" for c in history if c.field == "note")))
    for label, value in rows:
        if value:
            grid.add_row(label, value)
    return Group(grid, Text(""), history_table(history, zone, layout))


def _change(change: Change) -> str:
    if change.old is None:
        return _breakable(change.new or "")
    return f"{_breakable(change.old)} → {_breakable(change.new or '(none)')}"


_INSTANTS = re.compile(r"(\d)\.\.(\d{4}-\d{2}-\d{2}T)")


def _breakable(value: str) -> str:
    """A confirmed schedule's two instants as two words, so a narrow column wraps between
    them rather than through a time and its offset."""
    return _INSTANTS.sub(r"\1.. \2", value)


def history_table(history: Sequence[Change], zone: ZoneInfo, layout: Layout) -> Table:
    table = layout.table(title="History", title_justify="left", lines=layout.narrow)
    if layout.narrow:
        # The command that made a change goes under it: it is long and read less often.
        # Compact, a command that made several changes is said once, under the first.
        table.add_column("At", no_wrap=True)
        table.add_column("Field", no_wrap=True)
        add_text_column(table, "Change, and why", ratio=1)
        said_before = ""
        for change in history:
            text = Text(_change(change))
            if change.why and (change.why != said_before or not layout.compact):
                text.append(f"\n{change.why}", style="dim")
            said_before = change.why
            field = change.field if layout.compact else f"{change.field}\nrev {change.revision}"
            table.add_row(stamp_lines(change.at, zone), field, text)
        return table
    table.add_column("At", no_wrap=True)
    table.add_column("Rev", justify="right")
    table.add_column("Field")
    add_text_column(table, "Change", ratio=2, floor=word_width(_change(c) for c in history))
    add_text_column(table, "Why", ratio=3)
    for change in history:
        table.add_row(stamp(change.at, zone), str(change.revision), change.field,
                      _change(change), change.why)
    return table


def changes_table(changes: Sequence[Change], layout: Layout) -> Table:
    """What one command changed; derived changes say what they were derived from (under the
    change when narrow, beside it when there is room)."""
    table = layout.table()
    add_id_column(table, "Follow-up", (c.followup_id for c in changes), style="bold cyan")
    table.add_column("Field", no_wrap=True)
    add_text_column(table, "Change", ratio=2, floor=word_width(_change(c) for c in changes))
    if not layout.narrow:
        add_text_column(table, "", ratio=1)
    for change in changes:
        derived = change.why.split(" after:")[0] if change.why.startswith("derived") else ""
        if layout.narrow:
            text = Text(_change(change))
            if derived:
                text.append(f"\n{derived}", style="dim")
            table.add_row(change.followup_id, change.field, text)
        else:
            table.add_row(change.followup_id, change.field, _change(change), derived)
    return table


def console() -> Console:
    # Made per command, so it writes to whatever stdout is at that moment (tests swap it).
    return Console(highlight=False, soft_wrap=False)


# -- notices -------------------------------------------------------------------------------


def notice_json(notice: Notice) -> dict[str, Any]:
    return {
        "key": notice.key,
        "due": _iso(notice.due),
        "audience": notice.audience,
        "channel": notice.channel,
        "kind": notice.kind,
        "followup": notice.followup_id,
        "detail": notice.detail,
        "status": str(notice.status),
        "attempts": notice.attempts,
        "next_attempt": _iso(notice.next_attempt),
        "late": notice.late,
        "last_error": notice.last_error,
        "subject": notice.subject,
        "sent_at": _iso(notice.sent_at),
    }


def notices_table(notices: Sequence[Notice], zone: ZoneInfo, layout: Layout) -> Table | Group:
    if layout.narrow:
        return _notices_listed(notices, zone, layout)
    table = layout.table()
    table.add_column("Due", no_wrap=True)
    add_id_column(table, "Follow-up", (n.followup_id or "" for n in notices),
                  style="bold cyan")
    table.add_column("What", no_wrap=True)
    add_text_column(table, "To", ratio=1)
    table.add_column("Status", no_wrap=True)
    add_text_column(table, "Sent / last error", ratio=2)
    for notice in notices:
        table.add_row(stamp(notice.due, zone), notice.followup_id or "", notice.kind,
                      f"{notice.audience} by {notice.channel}", _tried(notice),
                      _outcome(notice, zone))
    return table


def _notices_listed(notices: Sequence[Notice], zone: ZoneInfo, layout: Layout) -> Group:
    """A line of due time, follow-up, kind and status each; to whom, what came of it and,
    with --wide, the key 'followup retry --key' takes, under it."""
    entries = []
    for notice in notices:
        text = Text(f"to {notice.audience} by {notice.channel}", style="dim")
        outcome = _outcome(notice, zone)
        if outcome:
            text.append(f" · {'sent ' if notice.sent_at else ''}{outcome}")
        if not layout.compact:
            text.append(f"\nkey {notice.key}", style="dim")
        fields = (stamp(notice.due, zone), Text(notice.followup_id or "", style="bold cyan"),
                  notice.kind, _tried(notice))
        entries.append(Entry(fields, text))
    return listing(("Due", "Follow-up", "What", "Status"), entries)


def _tried(notice: Notice) -> str:
    return f"{notice.status} ×{notice.attempts}" if notice.attempts > 1 else str(notice.status)


def _outcome(notice: Notice, zone: ZoneInfo) -> str:
    outcome = stamp(notice.sent_at, zone) if notice.sent_at else notice.last_error or ""
    return outcome + " (late)" if notice.late else outcome


def fired_json(fired: Fired) -> dict[str, Any]:
    message = fired.message
    return {"due": _iso(message.due), "sent": _iso(fired.at), "audience": message.audience,
            "channel": fired.channel, "kind": message.kind, "followup": message.followup_id,
            "subject": message.subject, "key": message.key}


def outcome_json(applied: Applied) -> dict[str, Any]:
    outcome = applied.outcome
    return {"due": _iso(applied.at), "sent": _iso(applied.at), "audience": None,
            "channel": None, "kind": "outcome", "followup": outcome.followup_id,
            "subject": outcome.describe(), "key": None, "where": outcome.where}


def replay_json(fired: Sequence[Fired], applied: Sequence[Applied] = ()) -> list[Any]:
    """What a rehearsal sent and the outcomes it applied, in time order (an outcome before
    what it set off)."""
    rows = [(a.at, 0, outcome_json(a)) for a in applied]
    rows += [(f.at, 1, fired_json(f)) for f in fired]
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


class _Sent(NamedTuple):
    """A row of a rehearsal: a notice it sent, or an outcome it applied."""

    at: str
    audience: str
    kind: str
    followup_id: str
    subject: str
    how: str


def fired_table(fired: Sequence[Fired], plan: PlanSettings, layout: Layout,
                applied: Sequence[Applied] = (), register_zone: ZoneInfo | None = None
                ) -> Table | Group:
    """What a rehearsal sent, each at its time in its audience's zone, and the outcomes it
    applied on the way (an outcome before what it set off)."""
    rows: list[tuple[datetime, int, _Sent]] = []
    for change in applied:
        moment = stamp(change.at, register_zone or ZoneInfo("UTC"))
        rows.append((change.at, 0, _Sent(moment, "", "outcome", change.outcome.followup_id,
                                         change.outcome.describe(), "")))
    for item in fired:
        message = item.message
        audience = plan.audience(message.audience)
        moment = stamp(item.at, audience.zone if audience else ZoneInfo("UTC"))
        how = f"by {item.channel}" + (f" to {', '.join(message.recipients)}"
                                      if message.recipients else "")
        rows.append((item.at, 1, _Sent(moment, message.audience, message.kind,
                                       message.followup_id or "", message.subject, how)))
    sent = [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]
    if layout.narrow:
        return _fired_listed(sent, layout)
    table = layout.table()
    table.add_column("When", no_wrap=True)
    table.add_column("Audience", no_wrap=True)
    table.add_column("Kind", no_wrap=True)
    add_id_column(table, "Follow-up", (s.followup_id for s in sent), style="bold cyan")
    add_text_column(table, "Subject", ratio=2, floor=20)
    if layout.wide:
        add_text_column(table, "Sent", ratio=1)
    for row in sent:
        sent_by = [row.how] if layout.wide else []
        table.add_row(row.at, row.audience, row.kind, row.followup_id, row.subject, *sent_by)
    return table


def _fired_listed(sent: Sequence[_Sent], layout: Layout) -> Group:
    """A line of time, follow-up, kind and audience each, the subject under it; --wide adds
    the channel and the recipients."""
    entries = []
    for row in sent:
        text = Text(row.subject)
        if not layout.compact and row.how:
            text.append(f"\n{row.how}", style="dim")
        fields = (row.at, Text(row.followup_id, style="bold cyan"), row.kind, row.audience)
        entries.append(Entry(fields, text))
    return listing(("When", "Follow-up", "Kind", "Audience"), entries)


# -- proposals -----------------------------------------------------------------------------


def proposal_json(proposal: Proposal) -> dict[str, Any]:
    window = proposal.window
    return {
        "key": proposal.key,
        "title": proposal.title,
        "kind": str(proposal.kind),
        "earliest": _iso(window.earliest),
        "latest": _iso(window.latest),
        "precision": str(window.precision),
        "window": format_window(window),
        "phrase": proposal.phrase,
        "location": proposal.location,
        "anchor": proposal.anchor,
        "margin_days": proposal.margin,
        "paragraph": proposal.paragraph,
        "sentence": proposal.sentence,
        "reason": proposal.reason,
        "confidence": proposal.confidence,
        "done": proposal.done,
    }


def proposals_table(proposals: Sequence[Proposal], layout: Layout) -> Group:
    """What a release proposes, one line each with the key (what --link and --new name, so
    it is never cut) and the window, then what it is; --wide adds why it was proposed, the
    paragraph and the sentence."""
    entries = []
    for proposal in proposals:
        what = Text(f"{proposal.title} ({proposal.kind})")
        if proposal.location:
            what.append(f" · {proposal.location}", style="dim")
        if proposal.anchor:
            margin = f" ±{proposal.margin}d" if proposal.margin else ""
            what.append(f" · tied to {proposal.anchor}{margin}", style="magenta")
        if proposal.done:
            what.append(" · reported done", style="green")
        if not layout.compact:
            what.append(f"\n{describe_window(proposal.window)}")
            if proposal.phrase:
                what.append(f" (“{proposal.phrase}”)")
            where = f", ¶{proposal.paragraph}" if proposal.paragraph else ""
            what.append(f"\nwhy: {proposal.reason} ({proposal.confidence:.2f}){where}",
                        style="dim")
            if proposal.sentence:
                what.append(f"\n“{proposal.sentence}”", style="italic")
        entries.append(Entry((Text(proposal.key, style="bold cyan"),
                              format_window(proposal.window)), what))
    return listing(("Proposal", "When"), entries)
