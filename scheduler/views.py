"""How follow-ups and their history look: Rich tables for people, JSON for programs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from events.extract import Proposal
    from scheduler.replay import Applied, Fired

from events.describe import next_step, tie, when
from events.ledger import PlanSettings
from events.model import Change, FollowUp, Notice, Status
from events.window import Phase, describe_window, format_window

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


def standing(followup: FollowUp, today: date) -> Text:
    """Status, and whether it is overdue: an expected follow-up whose window has passed."""
    status = str(followup.status)
    phase = followup.window.phase(today)
    if followup.status is Status.EXPECTED and phase is Phase.PASSED:
        return Text(f"{status}\noverdue", style="bold red")
    styles = {Status.SCHEDULED: "green", Status.DONE: "dim", Status.CANCELLED: "dim strike"}
    return Text(status, style=styles.get(followup.status, "yellow"))


def said(followup: FollowUp) -> Text:
    if not followup.sentence:
        return Text("")
    text = Text(f"“{followup.sentence}”", style="italic")
    if followup.paragraph is not None:
        text.append(f" ¶{followup.paragraph}", style="dim")
    return text


# -- tables ----------------------------------------------------------------------------


def followups_table(followups: Sequence[FollowUp], today: date) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("Follow-up, and the sentence it comes from", ratio=4)
    table.add_column("When", ratio=2)
    table.add_column("Status", min_width=9)
    table.add_column("Where", ratio=2, overflow="fold")
    for followup in followups:
        what = Text(followup.id, style="bold cyan")
        what.append(f"  {followup.title}")
        sentence = said(followup)
        if sentence:
            what.append("\n")
            what.append_text(sentence)
        moment = Text(when(followup))
        if followup.anchor_id:
            moment.append(f"\ntied to {tie(followup)}", style="magenta")
        table.add_row(what, moment, standing(followup, today), followup.location or "")
    return table


def followup_panel(
    followup: FollowUp, history: Sequence[Change], today: date, zone: ZoneInfo
) -> Group:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    source = followup.source
    rows: list[tuple[str, str | Text]] = [
        ("Follow-up", Text(followup.id, style="bold cyan")),
        ("Title", followup.title),
        ("Kind", str(followup.kind)),
        ("Status", standing(followup, today)),
        ("When", when(followup)),
        ("Window", f"{format_window(followup.window)} ({followup.precision})"),
        ("Phrase", followup.phrase or ""),
        ("Where", followup.location or ""),
        ("Parties", ", ".join(followup.parties)),
        ("Tied to", tie(followup)),
        ("Tags", ", ".join(followup.tags)),
        ("Next step", next_step(followup)),
        ("Snoozed", "" if followup.snoozed_until is None
         else f"no chases until {followup.snoozed_until.isoformat()}"),
        ("Revision", str(followup.revision)),
    ]
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
        f"{c.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: {c.new}" for c in history
        if c.field == "note")))
    for label, value in rows:
        if value:
            facts.add_row(label, value)
    return Group(facts, Text(""), history_table(history, zone))


def _change(change: Change) -> str:
    if change.old is None:
        return change.new or ""
    return f"{change.old} → {change.new or '(none)'}"


def history_table(history: Sequence[Change], zone: ZoneInfo) -> Table:
    table = Table(title="History", title_justify="left", expand=True)
    table.add_column("At", no_wrap=True)
    table.add_column("Rev", justify="right")
    table.add_column("Field")
    table.add_column("Change", ratio=2, overflow="fold")
    table.add_column("Why", ratio=3)
    for change in history:
        table.add_row(
            f"{change.at.astimezone(zone):%Y-%m-%d %H:%M}",
            str(change.revision),
            change.field,
            _change(change),
            change.why,
        )
    return table


def changes_table(changes: Sequence[Change]) -> Table:
    """What one command changed; derived changes say what they were derived from."""
    table = Table(expand=True)
    table.add_column("Follow-up", style="bold cyan")
    table.add_column("Field")
    table.add_column("Change", ratio=2, overflow="fold")
    table.add_column("", ratio=1)
    for change in changes:
        derived = change.why.split(" after:")[0] if change.why.startswith("derived") else ""
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


def notices_table(notices: Sequence[Notice], zone: ZoneInfo) -> Table:
    table = Table(expand=True)
    table.add_column("Due", no_wrap=True)
    table.add_column("What", ratio=2)
    table.add_column("To", ratio=1)
    table.add_column("Status", no_wrap=True)
    table.add_column("Sent / last error", ratio=2)
    for notice in notices:
        what = Text(notice.kind)
        if notice.followup_id:
            what.append(f" {notice.followup_id}", style="cyan")
        outcome = (f"{notice.sent_at.astimezone(zone):%Y-%m-%d %H:%M}" if notice.sent_at
                   else notice.last_error or "")
        if notice.late:
            outcome += " (late)"
        tries = f" ×{notice.attempts}" if notice.attempts > 1 else ""
        table.add_row(f"{notice.due.astimezone(zone):%Y-%m-%d %H:%M}", what,
                      f"{notice.audience} by {notice.channel}", f"{notice.status}{tries}",
                      outcome)
    return table


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


def fired_table(fired: Sequence[Fired], plan: PlanSettings, applied: Sequence[Applied] = (),
                register_zone: ZoneInfo | None = None) -> Table:
    table = Table(expand=True)
    table.add_column("When", no_wrap=True)
    table.add_column("Audience")
    table.add_column("Kind")
    table.add_column("Follow-up", style="cyan")
    table.add_column("Subject", ratio=3)
    rows: list[tuple[datetime, int, tuple[str, ...]]] = []
    for change in applied:
        moment = change.at.astimezone(register_zone or ZoneInfo("UTC"))
        rows.append((change.at, 0, (f"{moment:%Y-%m-%d %H:%M %Z}", "", "outcome",
                                    change.outcome.followup_id, change.outcome.describe())))
    for item in fired:
        audience = plan.audience(item.message.audience)
        zone = audience.zone if audience else ZoneInfo("UTC")
        moment = item.at.astimezone(zone)
        rows.append((item.at, 1, (f"{moment:%Y-%m-%d %H:%M %Z}", item.message.audience,
                                  item.message.kind, item.message.followup_id or "",
                                  item.message.subject)))
    for _, _, cells in sorted(rows, key=lambda r: (r[0], r[1])):
        table.add_row(*cells)
    return table


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


def proposals_table(proposals: Sequence[Proposal]) -> Table:
    table = Table(show_lines=True, expand=True)
    table.add_column("Proposal", ratio=3)
    table.add_column("When", ratio=2)
    table.add_column("Tied to")
    table.add_column("Where", ratio=1)
    table.add_column("¶", justify="right")
    table.add_column("Why", ratio=2)
    for proposal in proposals:
        what = Text(proposal.key, style="bold cyan")
        what.append(f"\n{proposal.title} ({proposal.kind})")
        if proposal.done:
            what.append("\nreported done", style="green")
        table.add_row(what, describe_window(proposal.window), proposal.anchor or "",
                      proposal.location or "", str(proposal.paragraph or ""),
                      f"{proposal.reason} ({proposal.confidence:.2f})")
    return table
