"""What a release reports as done: a meeting held, an agreement signed, a report published.

A later release closes what an earlier one promised: "The 24th Joint Committee was held in
Beijing on 5 November", "the memorandum was signed on Monday", "the two sides held the fifth
round of talks in Tokyo on 12 May". Each such report, with the days it gives, is a
:class:`Proposal` marked ``done``: ingesting it marks the follow-up it names done on those
days, when the register holds one. What is only planned ("is to be held"), hoped for or
expected is not a report. Pure functions over a :class:`Release`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from events import commitments
from events.extract import Proposal, aliases, slug
from events.model import Kind
from events.places import places_named
from events.reading import Release
from events.temporal import TimeMention, find_times
from events.window import Precision

__all__ = ["reported_done"]

# "was held", "were signed", "has been published", "took place", "concluded".
_PASSIVE = re.compile(
    r"\b(?:was|were|has\s+been|have\s+been|had\s+been)\s+(?:\w+ly\s+)?(?P<verb>held|convened|"
    r"staged|hosted|organi[sz]ed|signed|concluded|initial(?:l)?ed|ratified|published|released|"
    r"issued|launched|opened|inaugurated|adopted|endorsed|completed|finali[sz]ed|unveiled|"
    r"presented|submitted)\b|\b(?P<happened>took\s+place|concluded|closed|ended|opened|"
    r"convened|kicked\s+off|got\s+under\s*way)\b", re.I)
# "The two sides held the fifth round", "Japan hosted the summit", "they signed a memorandum".
_ACTIVE = re.compile(r"\b(?P<verb>held|hosted|convened|signed|concluded|published|released|"
                     r"issued|launched|opened|inaugurated|adopted|unveiled)\s+"
                     r"(?=(?:the|a|an|its|their)\s)", re.I)
# Not a report of what happened: a plan, a hope, a condition.
_NOT_YET = re.compile(r"\b(?:will|shall|would|could|may|might|must|should|expected|scheduled|"
                      r"planned|due|set|supposed|hoped|if|unless|whether|to\s+be|not|never|"
                      r"yet\s+to)\b", re.I)
# The words a report of something done cannot do without: most sentences have none.
_DONE_WORDS = frozenset({
    "held", "convened", "staged", "hosted", "organised", "organized", "signed", "concluded",
    "initialled", "initialed", "ratified", "published", "released", "issued", "launched",
    "opened", "inaugurated", "adopted", "endorsed", "completed", "finalised", "finalized",
    "unveiled", "presented", "submitted", "took", "closed", "ended", "kicked", "got"
})
_WORD = re.compile(r"[a-z]+")
_VERB_KIND = {"signed": Kind.OTHER, "concluded": Kind.OTHER, "initialled": Kind.OTHER,
              "initialed": Kind.OTHER, "ratified": Kind.OTHER, "published": Kind.REPORT,
              "released": Kind.REPORT, "issued": Kind.REPORT, "launched": Kind.LAUNCH,
              "opened": Kind.LAUNCH, "inaugurated": Kind.LAUNCH, "unveiled": Kind.LAUNCH}


def reported_done(release: Release, published: date) -> list[Proposal]:
    """Every event, signing or publication the release reports as done, with its days."""
    found: list[Proposal] = []
    for paragraph in release.paragraphs:
        if paragraph.listing:
            continue
        for sentence in paragraph.sentences:
            if _DONE_WORDS.isdisjoint(_WORD.findall(sentence.lower())) or not (
                    _PASSIVE.search(sentence) or _ACTIVE.search(sentence)):
                continue
            for clause in re.split(r";\s+", sentence):
                done = _from_clause(clause, sentence, paragraph.number, published)
                if done is not None and not any(d.aliases & done.aliases for d in found):
                    found.append(done)
    return found


def _from_clause(clause: str, sentence: str, paragraph: int,
                 published: date) -> Proposal | None:
    said = _PASSIVE.search(clause)
    if said is not None:
        if _NOT_YET.search(clause, max(0, said.start() - 30), said.start() + 1):
            return None
        name = commitments.subject_at(clause, said.start())
        verb = (said["verb"] or said["happened"]).lower()
        start, after = max(0, clause.find(name)), said.end()
    else:
        said = _ACTIVE.search(clause)
        if said is None or _NOT_YET.search(clause, max(0, said.start() - 30), said.start()):
            return None
        verb = said["verb"].lower()
        name, after = commitments.phrase_at(clause, said.end(), _stops(clause, published))
        start = said.end()
    if not name or len(name.split()) > 16 or not commitments.names_a_thing(name):
        return None
    when = _when(clause, start, after, published)
    if when is None:
        return None  # "was held" with no day said: nothing to mark it done with
    kind = _VERB_KIND.get(verb) or commitments.kind_of(name)
    if kind is Kind.OTHER and commitments.names_a_thing(name) and not re.search(
            r"agreement|memorand|treaty|accord|deal|protocol|declaration", name, re.I):
        kind = commitments.event_kind(name)
    place = next((p.name for p in places_named(clause) if p.start >= start), None)
    title = name[:1].upper() + name[1:]
    return Proposal(key=slug(title), title=title, kind=kind, window=when.window,
                    phrase=when.phrase, location=place, paragraph=paragraph,
                    sentence=sentence, reason=f"reported done ('{said.group(0).strip()}')",
                    confidence=0.8, aliases=aliases(title), done=True)


def _stops(clause: str, published: date) -> list[int]:
    """Where a name ends: at a date or a place said of it ("in Hanoi on 10 March")."""
    stops = [t.start for t in find_times(clause, published)]
    for place in places_named(clause):
        lead = re.search(r"\b(?:in|at|near|to)\s+(?:the\s+)?$", clause[:place.start])
        stops.append(lead.start() if lead else place.start)
    return stops


def _when(clause: str, start: int, after: int, published: date) -> TimeMention | None:
    """The days it happened on: a date said after the verb, or opening the clause, on or
    before the release's day and not long before it."""
    mentions = [t for t in find_times(clause, published)
                if t.window.earliest is not None and t.window.latest is not None
                and t.window.latest <= published + timedelta(days=1)
                and t.window.earliest >= published - timedelta(days=366)
                and t.window.precision in (Precision.DAY, Precision.MONTH)]
    later = [t for t in mentions if t.start >= after]
    if later:
        return later[0]
    before = [t for t in mentions if t.end <= start]
    return before[-1] if before else None
