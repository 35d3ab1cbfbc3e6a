"""Follow-ups proposed from a release: what it commits to, when, where, on what occasion.

Pure functions over a :class:`Release`. A sentence is read clause by clause for commitments
about the future ("agreed to hold", "will visit", "to be published", "scheduled to take
place", "at the next ..."); each commitment names an event in the release's own words, takes
the dates and places said of it, and is tied to the event it happens on the occasion of. One
event mentioned in several sentences is one proposal. Each proposal says which cue and
phrase it rests on, and how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from events.derive import derived_window
from events.model import Kind
from events.reading import Release, sentences
from events.temporal import TimeMention, find_times
from events.window import Window

_FUTURE = re.compile(r"\b(will|shall|agreed to|decided to|to be|scheduled to|plans? to|"
                     r"to come|next|upcoming|intend(?:s|ed)? to|expected to)\b", re.I)
_ONGOING = re.compile(r"^\s*(?:continue|keep|maintain|render|support|work|stress|share|"
                      r"explore|step up|strengthen|remain)\b", re.I)

_EVENT_NOUN = (r"(?:meetings?|Meetings?|session|summit|conference|forum|talks|dialogue|"
               r"consultations?|workshop|seminar|committee|Committee)")
_NAME = r"[\w’'()\-]+(?:\s+[\w’'()\-]+){0,12}?"

_ANCHOR = re.compile(
    r"\b(?P<cue>(?i:on the occasion of|on the sidelines of|at the next|ahead of|following|"
    r"in conjunction with|alongside))\s+(?:the\s+)?(?P<name>[^,;:.]{0,160}?(?:\([A-Z][\w\s-]*\)|"
    r"\b(?i:meetings?|session|summit|conference|forum|talks|dialogue|consultations?|"
    r"workshop|seminar|committee)\b|\b[A-Z]{2,}(?:\s+\d+)?\b))")
# An occasion's name may run on to its acronym: "... Meeting among the ROK, China and Japan
# (TEMM 21)".
_RUNS_ON = re.compile(r"[^;.]{0,80}?\(([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?)\)")
_PLACE_NAMES = (
    "China|Japan|Korea|the Republic of Korea|the ROK|Mongolia|Russia|the United States|"
    "Viet Nam|Vietnam|Seoul|Beijing|Tokyo|Busan|Shanghai|Osaka|Kyoto|Incheon|Jeju|"
    "Guangzhou|Shenzhen|Tianjin|Chengdu|Nagoya|Fukuoka|Kitakyushu|Toyama|Ulaanbaatar|"
    "Geneva|New York|Paris|Bangkok|Singapore")
_PLACE = re.compile(rf"\bin\s+(?P<place>{_PLACE_NAMES})\b")
_VISIT = re.compile(rf"\bvisit\s+(?:the\s+)?(?P<org>[A-Z][\w’'-]*"
                    rf"(?:\s+(?:(?:of|and|for|on|the)\s+)*[A-Z][\w’'-]*)*)"
                    rf"(?:\s+in\s+(?P<city>{_PLACE_NAMES}))?")
_HOLD = re.compile(rf"\bhold\s+(?:their|its|a|an|the)\s+(?P<name>{_NAME}\s*{_EVENT_NOUN})\b")
_AT_EVENT = re.compile(rf"\b(?:discussed|reported|presented|considered|reviewed|addressed|"
                       rf"raised|announced|adopted)\s+at\s+(?:the\s+)?(?P<name>{_NAME}\s*"
                       rf"{_EVENT_NOUN})(?:\s+to come)?\b")
_SCHEDULED = re.compile(r"\b(?P<name>[A-Z][\w’'-]*(?:\s+[\w’'-]+){0,6}?)\s+(?:is\s+|are\s+)?"
                        r"(?:scheduled|set|planned|expected)\s+to\s+(?:take place|be held|"
                        r"convene|open)")
_PUBLISHED = re.compile(r"[“\"](?P<quoted>[^”\"]{5,200})[”\"]\s+(?:will be|to be)\s+"
                        r"(?P<verb>published|released|issued|launched|presented)|"
                        r"(?P<name>(?i:a|the)\s+[\w\s-]{0,60}?report[\w\s()-]{0,60}?)\s+"
                        r"(?:will be|to be)\s+(?P<verb2>published|released|issued)")
_AGREED = re.compile(r"\b(?:agreed|decided|resolved|pledged|committed)\s+to\s+(?P<rest>.+)$",
                     re.I)
_ITEM = re.compile(r"^\s*(?:and\s+)?(?P<verb>form|launch|begin|broaden|expand|establish|set "
                   r"up|create|hold|develop|conduct|publish|sign|open|start|build|organi[sz]e"
                   r"|convene|adopt|draw up|prepare)\s+(?P<obj>.+?)\s*$", re.I)
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?)\)")
_LEAD_WORDS = re.compile(r"^(?:a|an|the|their|its|our|his|her|separate|new|three new|two new|"
                         r"bilateral)\s+", re.I)

_KIND_WORDS = [
    (Kind.VISIT, r"\bvisit"),
    (Kind.REPORT, r"\b(report|publication|white paper|study results)\b"),
    (Kind.MEETING, r"\b(meetings?|session|summit|conference|forum|talks|dialogue|"
                   r"consultations?|workshop|seminar|committee|TEMM)\b"),
    (Kind.LAUNCH, r"\b(launch|program(me)?|system|platform|centre|center)\b"),
    (Kind.PROJECT, r"\b(project|research|study|exchanges?|cooperation|scope)\b"),
    (Kind.DEADLINE, r"\b(deadline|due|submit)\b"),
]
# When two mentions of one event disagree, the more specific commitment wins.
_KIND_RANK = [Kind.VISIT, Kind.REPORT, Kind.MEETING, Kind.LAUNCH, Kind.DEADLINE, Kind.PROJECT,
              Kind.OTHER]
_MARGIN = {Kind.MEETING: 1, Kind.VISIT: 1, Kind.REPORT: 7, Kind.LAUNCH: 7}
_STOP = {"a", "an", "the", "of", "on", "in", "and", "to", "for", "at", "their", "its", "next",
         "bilateral", "separate", "new", "among", "between", "with", "by", "meeting",
         "meetings", "session", "s", "two", "countries", "joint"}


@dataclass
class Proposal:
    key: str
    title: str
    kind: Kind
    window: Window = field(default_factory=Window.undated)
    phrase: str | None = None
    location: str | None = None
    anchor: str | None = None  # another proposal's key, or an existing follow-up's id
    anchor_name: str | None = None
    margin: int = 0
    paragraph: int | None = None
    sentence: str = ""
    reason: str = ""
    confidence: float = 0.5
    aliases: set[str] = field(default_factory=set)


def _clean(name: str) -> str:
    name = " ".join(name.split()).strip(" ,;:-–.")
    while (shorter := _LEAD_WORDS.sub("", name)) != name:
        name = shorter
    return name


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


def kind_of(text: str) -> Kind:
    for kind, pattern in _KIND_WORDS:
        if re.search(pattern, text, re.I):
            return kind
    return Kind.OTHER


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def tokens(text: str) -> set[str]:
    """The words that name an event, singular, without articles, ordinals and fillers."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("’s", "").replace("'s", ""))
    return {_stem(w) for w in words
            if w not in _STOP and not re.fullmatch(r"\d+(st|nd|rd|th)", w)}


def aliases(title: str) -> set[str]:
    found = {" ".join(sorted(tokens(title)))}
    for acronym in _ACRONYM.findall(title):
        found.add(acronym.lower())
        found.add(re.sub(r"\s*\d+$", "", acronym).lower())
    if re.fullmatch(r"[A-Z]{2,}(?:\s+\d+)?", title.strip()):
        found.add(title.strip().lower())
        found.add(re.sub(r"\s*\d+$", "", title.strip()).lower())
    return {a for a in found if a}


def slug(title: str) -> str:
    acronym = _ACRONYM.search(title)
    if acronym and re.search(r"\d", acronym[1]):
        base = acronym[1]
    else:
        words = [w for w in re.findall(r"[A-Za-z0-9]+", title) if w.lower() not in
                 {"a", "an", "the", "of", "on", "in", "and", "to", "for", "at"}]
        base = " ".join(words[:5])
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:60] or "follow-up"


def same_event(a: Proposal, b: Proposal) -> bool:
    if a.aliases & b.aliases:
        return True
    if a.anchor in (b.key, *b.aliases) or b.anchor in (a.key, *a.aliases):
        return False  # one happens on the occasion of the other
    ta, tb = tokens(a.title), tokens(b.title)
    shared = ta & tb
    return len(shared) >= 3 and len(shared) / min(len(ta), len(tb)) >= 0.75


def _merge(into: Proposal, other: Proposal) -> None:
    if _KIND_RANK.index(other.kind) < _KIND_RANK.index(into.kind):
        # The more specific commitment names the event, and is where it comes from.
        into.kind, into.title = other.kind, other.title
        into.paragraph, into.sentence = other.paragraph, other.sentence
    elif len(other.title) > len(into.title) and other.kind is into.kind:
        into.title = other.title
    if into.window.is_undated and not other.window.is_undated:
        into.window, into.phrase = other.window, other.phrase
    elif not other.window.is_undated and into.window.overlaps(other.window):
        into.window = into.window.narrow(other.window)
    if into.reason.startswith("named as the occasion") and (
            not other.reason.startswith("named") or into.window.is_undated):
        # The sentence that commits to the event is its provenance, not a passing mention.
        into.paragraph, into.sentence = other.paragraph, other.sentence
        into.phrase = other.phrase or into.phrase
    into.location = into.location or other.location
    if into.anchor is None and other.anchor is not None:
        into.anchor, into.anchor_name = other.anchor, other.anchor_name
        into.margin = other.margin
    into.aliases |= other.aliases
    into.confidence = max(into.confidence, other.confidence)
    into.reason = into.reason if other.reason in into.reason else (
        f"{into.reason}; also {other.reason}")


@dataclass
class _Found:
    title: str
    kind: Kind
    cue: str
    start: int  # where in the clause the event is named
    location: str | None = None


def _clauses(sentence: str) -> list[str]:
    agreed = _AGREED.search(sentence)
    head = sentence
    pieces: list[str] = []
    if agreed:
        rest = agreed["rest"]
        head = sentence[: agreed.start("rest")]
        if " -- " in rest:  # "begin three new projects -- A; B; and C"
            lead, _, listed = rest.partition(" -- ")
            verb = lead.split()[0] if lead.split() else "begin"
            items = [f"{verb} {item}" for item in re.split(r";\s*(?:and\s+)?", listed)]
        else:
            items = re.split(r";\s*(?:and\s+)?", rest)
        pieces = [f"{head}{item}" for item in items if item.strip()]
    else:
        pieces = [p for p in re.split(r";\s+|,\s+and\s+(?=the\s+\w+\s+(?:of|will))", sentence)
                  if p.strip()]
    return pieces


def _events_in(clause: str) -> list[_Found]:
    found: list[_Found] = []
    visit = _VISIT.search(clause)
    if visit and re.search(r"\bwill\s+visit|\bto\s+visit", clause):
        org = visit["org"]
        place = f"{org}, {visit['city']}" if visit["city"] else org
        found.append(_Found(f"Visit to the {org}", Kind.VISIT, "will visit", visit.start(),
                            place))
    for match in _PUBLISHED.finditer(clause):
        name = match["quoted"] or match["name"]
        verb = match["verb"] or match["verb2"]
        found.append(_Found(f"{verb.capitalize().rstrip('d')}ing of {_clean(name)}"
                            if verb != "published" else f"Publication of {_clean(name)}",
                            Kind.REPORT, f"to be {verb}", match.start()))
    agreed = _AGREED.search(clause)
    if agreed:
        item = _ITEM.match(agreed["rest"])
        if item and not _ONGOING.match(agreed["rest"]):
            verb, obj = item["verb"].lower(), item["obj"]
            obj = re.split(r"(?:\s+(?:and\s+hold|on the occasion of|on the sidelines of|"
                           r"ahead of|in\s+(?:" + _PLACE_NAMES + r")\b|in the (?:first|second) "
                           r"half|proposed by|to identify|to become)|,)", obj)[0]
            if verb in ("broaden", "expand"):
                obj = re.sub(r"^(?:the\s+)?(?:scope|range|reach)\s+of\s+", "", obj)
            said_when = find_times(obj, date(2000, 1, 1))  # only where, not what, matters
            if said_when:
                obj = obj[: said_when[0].start]
            name = _clean(obj)
            title = {"launch": f"Launch of {name}", "broaden": f"Broader scope of {name}",
                     "expand": f"Expansion of {name}",
                     "establish": f"Establishment of {name}"}.get(verb, name)
            kind = Kind.LAUNCH if verb == "launch" else kind_of(f"{verb} {obj}")
            if verb in ("sign", "adopt", "draw up") and kind is not Kind.MEETING:
                kind = Kind.OTHER
            if verb in ("broaden", "expand", "begin") and kind is Kind.OTHER:
                kind = Kind.PROJECT
            found.append(_Found(title, kind, f"agreed to {verb}", agreed.start()))
            return found + _rest_events(clause, skip=agreed.start())
    return found + _rest_events(clause, skip=None)


def _rest_events(clause: str, skip: int | None) -> list[_Found]:
    found: list[_Found] = []
    for pattern, cue in ((_HOLD, "to hold"), (_AT_EVENT, "at")):
        for match in pattern.finditer(clause):
            if skip is not None and pattern is _HOLD:
                continue
            name = _clean(match["name"] + _acronym_after(clause, match.end("name")))
            if re.search(r"\b(?:the results|those|these)\b", name, re.I):
                continue
            found.append(_Found(name, Kind.MEETING, cue, match.start()))
    for match in _SCHEDULED.finditer(clause):
        name = _clean(match["name"])
        if not re.search(r"\breport\b", name, re.I):
            found.append(_Found(name, kind_of(name) if kind_of(name) is not Kind.OTHER
                                else Kind.MEETING, "scheduled to take place", match.start()))
    if not found and re.search(r"\bwill\s+(?:be\s+)?(?:held|convened|organi[sz]ed)\b", clause):
        subject = re.match(rf"\s*(?:the\s+)?(?P<name>{_NAME})\s+will\s+be", clause)
        if subject:
            name = _clean(subject["name"])
            found.append(_Found(name, kind_of(name), "will be held", 0))
    return found


def propose(release: Release, published: date) -> list[Proposal]:
    """Every follow-up the release commits to, one per event, anchors resolved among them."""
    proposals: list[Proposal] = []
    for paragraph in release.paragraphs:
        for sentence in sentences(paragraph.text):
            if not _FUTURE.search(sentence):
                continue
            for clause in _clauses(sentence):
                proposals.extend(_from_clause(clause, sentence, paragraph.number, published))
    merged: list[Proposal] = []
    for proposal in proposals:
        twin = next((m for m in merged if same_event(m, proposal)), None)
        if twin is None:
            merged.append(proposal)
        else:
            _merge(twin, proposal)
    return _resolve(merged)


def _from_clause(clause: str, sentence: str, paragraph: int,
                 published: date) -> list[Proposal]:
    if not _FUTURE.search(clause):
        return []
    events = _events_in(clause)
    if not events:
        return []
    times = [t for t in find_times(clause, published) if not t.past]
    anchor = _ANCHOR.search(clause)
    places = list(_PLACE.finditer(clause))
    found: list[Proposal] = []
    for event in events:
        proposal = Proposal(key=slug(event.title), title=_title(event.title), kind=event.kind,
                            paragraph=paragraph, sentence=sentence,
                            location=event.location, confidence=0.6,
                            aliases=aliases(event.title))
        # An occasion named after the event is what it happens at; what is said after that
        # name (its dates, its place) belongs to the occasion.
        anchored = anchor is not None and anchor.start() > event.start
        cut = anchor.start() if anchor is not None and anchored else len(clause)
        own_times = [t for t in times if event.start <= t.start < cut] or (
            [t for t in times if t.start < cut] if len(events) == 1 else [])
        reason = [f"cue '{event.cue}'"]
        if own_times:
            proposal.window, proposal.phrase = own_times[0].window, own_times[0].phrase
            reason.append(f"time '{own_times[0].phrase}'")
            proposal.confidence += 0.2
        if proposal.location is None:
            mine = [p for p in places if event.start <= p.start() < cut]
            if mine:
                proposal.location = mine[0]["place"]
                reason.append(f"place 'in {proposal.location}'")
        occasion = None
        if anchor is not None and anchored:
            name = _anchor_name(clause, anchor)
            proposal.anchor_name = name
            proposal.anchor = slug(name)
            proposal.margin = _MARGIN.get(proposal.kind, 1)
            proposal.phrase = proposal.phrase or anchor.group(0)
            reason.append(f"anchor '{anchor['cue']} {name}'")
            proposal.confidence += 0.15
            occasion = _anchor_event(name, anchor, times, places, sentence, paragraph)
        proposal.reason = "; ".join(reason)
        proposal.confidence = round(min(proposal.confidence, 0.95), 2)
        found.append(proposal)
        if occasion is not None:
            found.append(occasion)
    return found


def _acronym_after(clause: str, position: int) -> str:
    """" (TEMM 22)" when the name at ``position`` is followed by its acronym, else ""."""
    follows = re.match(r"\s*\([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?\)", clause[position:])
    return follows.group(0) if follows else ""


def _anchor_name(clause: str, anchor: re.Match[str]) -> str:
    name = anchor["name"]
    runs_on = _RUNS_ON.match(clause, anchor.end())
    if runs_on and not re.search(r"\([A-Z]", name):
        name += clause[anchor.end():runs_on.end()]
    return _clean(name)


def _anchor_event(name: str, anchor: re.Match[str], times: list[TimeMention],
                  places: list[re.Match[str]], sentence: str, paragraph: int) -> Proposal:
    """The event named as an occasion, with what the clause says of it after its name."""
    after = [t for t in times if t.start >= anchor.start()]
    where = [p["place"] for p in places if p.start() >= anchor.start()]
    kind = kind_of(name)
    event = Proposal(key=slug(name), title=_title(name), kind=kind if kind is not Kind.OTHER
                     else Kind.MEETING, paragraph=paragraph, sentence=sentence,
                     location=where[0] if where else None, confidence=0.6,
                     reason=f"named as the occasion ('{anchor['cue']}')",
                     aliases=aliases(name))
    if after:
        event.window, event.phrase = after[0].window, after[0].phrase
        event.confidence = 0.75
    return event


def _resolve(proposals: list[Proposal]) -> list[Proposal]:
    """Point anchors at the proposals they name; derive windows and places from them."""
    targets: dict[int, Proposal] = {}
    for proposal in proposals:
        if proposal.anchor is None:
            continue
        names = aliases(proposal.anchor_name or proposal.anchor)
        target = next((p for p in proposals if p is not proposal and (
            p.key == proposal.anchor or p.aliases & names)), None)
        if target is not None:
            targets[id(proposal)] = target
    keys: set[str] = set()
    for proposal in proposals:  # keys from the final titles, unique within the release
        base = slug(proposal.title)
        proposal.key, number = base, 2
        while proposal.key in keys:
            proposal.key, number = f"{base}-{number}", number + 1
        keys.add(proposal.key)
    for proposal in proposals:
        target = targets.get(id(proposal))
        if target is not None:
            proposal.anchor = target.key
    for _ in range(len(proposals)):  # chains settle from their roots
        for proposal in proposals:
            target = targets.get(id(proposal))
            if target is not None:
                proposal.window = derived_window(target.window, proposal.margin)
                proposal.location = proposal.location or target.location
    return proposals

