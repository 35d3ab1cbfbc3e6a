"""Storing what a release proposes: new follow-ups, or news about ones already kept.

A proposal that names an event the register holds (same acronym or name, compatible window)
is linked to it and may narrow its window or confirm its days; an event the release reports
as done ("was held on 5 November") marks the follow-up it names done on those days. A match
that is not certain is never applied silently: the person decides with ``--link KEY=ID`` or
``--new KEY`` (for a report of something done, ``--new`` leaves the register as it is). The
same release ingested twice (matched by the hash of its text) changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from events.errors import FollowupError
from events.extract import Proposal, aliases, tokens
from events.model import FollowUp, Source, Status
from events.register import Draft, Register
from events.schedule import Schedule
from events.window import Precision, Window, format_window


class NeedsDecision(FollowupError):
    def __init__(self, pending: list[Match]) -> None:
        self.pending = pending
        first = pending[0]
        more = f" (and {len(pending) - 1} more)" if len(pending) > 1 else ""
        super().__init__(
            f"proposal {first.key!r} may be the existing follow-up {first.followup_id!r} "
            f"(score {first.score:.2f}){more}: rerun with --link {first.key}="
            f"{first.followup_id} or --new {first.key}")


@dataclass(frozen=True)
class Match:
    key: str
    followup_id: str
    score: float
    certain: bool


@dataclass
class Outcome:
    source: Source | None
    created: list[str] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)
    completed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    already: bool = False


def match(proposal: Proposal, followups: list[FollowUp]) -> Match | None:
    """The follow-up already kept that ``proposal`` most likely speaks of, if any."""
    best: Match | None = None
    for followup in followups:
        if _ordinals(proposal.title) and _ordinals(followup.title) \
                and _ordinals(proposal.title).isdisjoint(_ordinals(followup.title)):
            continue  # the 23rd meeting is not the 24th
        names = aliases(followup.title) | {followup.id}
        score = 0.0
        if proposal.aliases & names or proposal.key == followup.id:
            score = 1.0
        else:
            mine, theirs = tokens(proposal.title), tokens(followup.title)
            shared = mine & theirs
            if len(shared) >= 2:
                score = 0.85 * len(shared) / min(len(mine), len(theirs))
            elif shared and _ordinals(proposal.title) and _ordinals(followup.title):
                score = 0.75  # "the 24th Joint Committee": the same number, a word in common
        if score == 0:
            continue
        if proposal.kind is followup.kind:
            score = min(1.0, score + 0.05)
        dated = not proposal.window.is_undated and not followup.window.is_undated
        if dated and not proposal.window.overlaps(followup.window):
            score -= 0.4
        if best is None or score > best.score:
            best = Match(proposal.key, followup.id, round(score, 2),
                         certain=score >= 0.9)
    if best is None or best.score < 0.5:
        return None
    return best


_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b|\b([A-Z]{2,}\s?-?\d{1,4})\b", re.I)


def _ordinals(title: str) -> set[str]:
    """"24th", "TEMM 21": the number that tells one meeting of a series from another."""
    return {re.sub(r"\D", "", a or b) for a, b in _ORDINAL.findall(title)}


def ingest(
    register: Register,
    *,
    text: str,
    proposals: list[Proposal],
    title: str,
    publisher: str,
    published: date,
    url: str | None,
    links: dict[str, str],
    new: set[str],
    done: Sequence[Proposal] = (),
) -> Outcome:
    existing_source = register.source_with_text(text)
    if existing_source is not None:
        return Outcome(source=existing_source, already=True)
    followups = register.find()
    matches: dict[str, Match] = {}
    pending: list[Match] = []
    finished: dict[str, Match] = {}
    unmatched: list[Proposal] = []
    open_ones = [f for f in followups if f.status in (Status.EXPECTED, Status.SCHEDULED)]
    for report in done:
        if report.key in new:
            continue
        if report.key in links:
            register.get(links[report.key])
            finished[report.key] = Match(report.key, links[report.key], 1.0, True)
            continue
        found = match(report, open_ones)
        if found is not None and found.certain:
            finished[report.key] = found
        elif found is not None:
            pending.append(found)
        else:
            unmatched.append(report)
    for proposal in proposals:
        if proposal.key in new:
            continue
        if proposal.key in links:
            register.get(links[proposal.key])  # an unknown id is the user's to fix
            matches[proposal.key] = Match(proposal.key, links[proposal.key], 1.0, True)
            continue
        found = match(proposal, followups)
        if found is None:
            continue
        if found.certain:
            matches[proposal.key] = found
        else:
            pending.append(found)
    if pending:
        raise NeedsDecision(pending)
    source = register.add_source(title=title, publisher=publisher, text=text, url=url,
                                 published=published)
    why = f"ingested from {title!r} ({published.isoformat()})"
    outcome = Outcome(source=source)
    ids: dict[str, str] = {key: m.followup_id for key, m in matches.items()}
    taken = {f.id for f in followups}
    for proposal in proposals:  # ids for the new ones first, so anchors can name them
        if proposal.key not in ids:
            candidate, number = proposal.key, 2
            while candidate in taken:
                candidate, number = f"{proposal.key}-{number}", number + 1
            ids[proposal.key] = candidate
            taken.add(candidate)
    pending_new = [p for p in proposals if p.key not in matches]
    while pending_new:  # anchors before what depends on them
        ready = [p for p in pending_new if p.anchor is None or p.anchor not in
                 {q.key for q in pending_new}]
        for proposal in ready or pending_new:
            _create(register, proposal, ids, source, why)
            outcome.created.append(ids[proposal.key])
            pending_new.remove(proposal)
    for key, found in matches.items():
        proposal = next(p for p in proposals if p.key == key)
        outcome.linked[key] = found.followup_id
        note = _update(register, proposal, found.followup_id, why)
        if note:
            outcome.notes.append(note)
    for report in unmatched:
        outcome.notes.append(f"the release reports {report.title!r} done "
                             f"({format_window(report.window)}); no follow-up kept matches it")
    for key, found in finished.items():
        report = next(r for r in done if r.key == key)
        note = _complete(register, report, found.followup_id, why)
        if note:
            outcome.notes.append(note)
        else:
            outcome.completed[key] = found.followup_id
    return outcome


def _complete(register: Register, report: Proposal, followup_id: str, why: str) -> str | None:
    """Mark a follow-up done on the days a release reports it held, signed or published."""
    followup = register.get(followup_id)
    if followup.status in (Status.DONE, Status.CANCELLED):
        return f"{followup_id} is already {followup.status}; left as it is"
    window = report.window
    schedule = None
    if window.precision is Precision.DAY and window.earliest and window.latest:
        schedule = Schedule(window.earliest, window.latest)
    register.complete(followup_id, why=why, schedule=schedule)
    return None


def _create(register: Register, proposal: Proposal, ids: dict[str, str], source: Source,
            why: str) -> None:
    anchor = ids.get(proposal.anchor or "") or (
        proposal.anchor if proposal.anchor and _exists(register, proposal.anchor) else None)
    followup = register.add(Draft(
        id=ids[proposal.key], title=proposal.title, kind=proposal.kind,
        window=proposal.window if anchor is None else Window.undated(),
        phrase=proposal.phrase, location=proposal.location, anchor_id=anchor,
        margin_days=proposal.margin if anchor else 0, source=source,
        paragraph=proposal.paragraph, sentence=proposal.sentence,
    ), why=why)
    window = proposal.window
    if anchor is not None and window.precision is Precision.DAY and window.earliest \
            and window.latest and re.search(r"\d", proposal.phrase or "") \
            and window != followup.window and followup.window.contains(window):
        # A part of its occasion on days the release gives ("5 June: Opening ceremony"):
        # tied to it, and on those days.
        register.confirm(followup.id, Schedule(window.earliest, window.latest), why=why)


def _exists(register: Register, followup_id: str) -> bool:
    return register.session.get(FollowUp, followup_id) is not None


def _update(register: Register, proposal: Proposal, followup_id: str, why: str) -> str | None:
    """Let a later release narrow, or confirm, what the register holds."""
    followup = register.get(followup_id)
    window = proposal.window
    if window.is_undated or followup.status is not Status.EXPECTED:
        return None
    if followup.anchor_id is not None:
        return (f"{followup_id}: the release gives {format_window(window)}, but its window "
                f"follows {followup.anchor_id}; left as it is")
    if not followup.window.overlaps(window):
        return (f"{followup_id}: the release says {format_window(window)}, the register "
                f"{format_window(followup.window)}; use 'followup move' if it moved")
    narrowed = followup.window.narrow(window)
    if narrowed == followup.window:
        return None
    if narrowed.precision is Precision.DAY and narrowed.latest is not None \
            and narrowed.earliest is not None:
        register.confirm(followup_id, Schedule(narrowed.earliest, narrowed.latest), why=why)
    else:
        register.move(followup_id, narrowed, phrase=proposal.phrase, why=why)
    return None
