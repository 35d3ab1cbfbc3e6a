"""Follow-ups proposed from a release: what it commits to, when, where, on what occasion.

Pure functions over a :class:`Release`. Each sentence is read clause by clause for the events
it commits to (``events/commitments.py``: "will hold", "is to be signed", "agreed to
launch", "must be received by", a present tense with a date still to come, ...); each event
takes the dates said of it (``events/temporal.py``), the place (``events/places.py``), and the
event it happens on the occasion of ("on the sidelines of", "ahead of", "at the next", ...).
One event mentioned in several sentences is one proposal. Each proposal says which cue and
phrase it rests on, and how sure it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise

from events import commitments
from events.commitments import Commitment, clean
from events.derive import derived_window
from events.model import Kind
from events.places import Place, countries_in, find_places, is_country, places_named
from events.programme import Listed, dated_line, listed
from events.reading import Release
from events.temporal import TimeMention, find_times
from events.window import Precision, Window

_CUE_WORD = re.compile(r"[a-z]+")


def _may_commit(sentence: str) -> bool:
    """A cheap first look at a sentence before its cues are read: the words a cue cannot
    do without, one by one or in pairs. Most sentences of a release have one; a menu or a
    caption has none."""
    words = _CUE_WORD.findall(sentence.lower())
    if not _CUE_SINGLES.isdisjoint(words):
        return True
    return not _CUE_PAIRS.isdisjoint(pairwise(words))


# Words that are a cue on their own, and pairs that are one together ("to be", "take place").
_CUE_SINGLES = frozenset({
    "will", "shall", "ll", "expected", "scheduled", "slated", "due", "planned", "plans",
    "planning", "intends", "intend", "agreed", "agree", "decided", "decides", "resolved",
    "pledged", "committed", "undertook", "promised", "must", "should", "required",
    "requested", "invited", "upcoming", "forthcoming", "next", "coming", "begin", "begins",
    "start", "starts", "open", "opens", "convene", "convenes", "run", "runs", "meet", "meets",
    "resume", "resumes", "close", "closes", "offered", "offering", "prepares", "preparing",
    "aim", "aims", "plan", "determined", "holding", "hosting", "organising", "organizing",
    "convening", "welcoming", "launching", "signing", "publishing", "releasing", "visiting",
    "opening", "staging", "chairing", "leading", "heading", "attending", "travelling",
    "traveling", "flying", "receiving", "unveiling", "inaugurating", "offer", "decision",
    "agreement", "commitment", "intention", "undertaking", "pledge", "moved", "rescheduled",
    "fixed", "follow", "follows", "underway", "played", "continues", "ends", "would",
    # the rest of the cue grammar's words: tasks given, vows, present tenses of a date
    "tasked", "instructed", "directed", "mandated", "commissioned", "entrusted", "charged",
    "asked", "encouraged", "vowed", "vows", "promises", "undertakes", "resolves", "decide",
    "consented", "concurred", "poised", "likely", "supposed", "targeted", "slotted", "timed",
    "earmarked", "penciled", "pencilled", "intended", "intending", "aimed", "aiming",
    "ensuing", "subsequent", "future", "passes", "falls", "concludes", "extended", "meant",
    "visits", "travels"})
_CUE_PAIRS = frozenset({
    ("to", "be"), ("is", "to"), ("are", "to"), ("set", "to"), ("set", "for"), ("need", "to"),
    ("needs", "to"), ("take", "place"), ("takes", "place"), ("kick", "off"), ("kicks", "off"),
    ("look", "forward"), ("looks", "forward"), ("looking", "forward"), ("under", "way"),
    ("tip", "off"), ("tips", "off"), ("is", "on"), ("are", "on"), ("is", "now"),
    ("are", "now"), ("have", "to"), ("has", "to"), ("going", "to"), ("comes", "into"),
    ("is", "held"), ("are", "held"), ("being", "held"),
    *(("may", verb) for verb in ("register", "apply", "enrol", "enroll", "sign", "submit",
                                 "send", "rsvp")),
    ("come", "into"), ("enters", "into"), ("takes", "effect"), ("take", "effect"),
    *(("to", verb) for verb in ("visit", "hold", "host", "head", "lead", "sign", "launch",
                               "meet", "attend", "open", "send", "publish", "release",
                               "begin", "start", "co", "chair", "convene", "establish",
                               "set", "travel", "tour", "address", "take",
                               "present", "submit", "adopt", "hand"))})


_ANCHOR = re.compile(
    r"\b(?P<cue>(?i:on the occasion of|on the sidelines of|on the margins? of|at the margins? "
    r"of|on the fringes? of|at the next|at its next|at their next|ahead of|in the run-up to|"
    r"in the lead-up to|in preparation for|to prepare(?: the (?:ground|way))? for|"
    r"preparing for|following|in conjunction with|alongside|"
    r"at the (?:end|close|conclusion) of|"
    r"back-to-back with|within the framework of|as part of|(?:at|during|for|before|after|once)"
    r"(?=\s+(?:the|its|their)\s)|during(?=\s+an?\s)))\s+"
    r"(?:the\s+|its\s+|their\s+|an?\s+)?(?P<name>[^,;:.]{0,160}?(?:\([A-Z][\w\s-]*\)|"
    r"\b(?i:" + commitments.EVENT_NOUN + r")\b|\b[A-Z][A-Za-z]*[A-Z]\s?-?\d{1,4}\b|"
    r"\bG-?(?:7|8|20)\b|(?<=of\s)[A-Z]{2,}\b(?!\s+[A-Z(\d])|(?<=following\s)(?i:signature|"
    r"signing|adoption|publication|launch|ratification)\b))")
# Cues that only sometimes name an occasion: "at the summit" does, "at the office" not.
_WEAK_ANCHOR = {"at", "for", "before", "after", "during", "as part of",
                "within the framework of"}
# Cues that date a follow-up by its occasion without tying it to it.
_BEFORE = ("ahead of", "before", "in the run-up to", "in the lead-up to", "in preparation for",
           "to prepare for", "to prepare the ground for", "to prepare the way for",
           "to prepare for", "preparing for")
_AFTER = ("following", "after", "once")
# On the last day of its occasion, and part of it.
_CLOSING = ("at the end of", "at the close of", "at the conclusion of")
# An occasion's name may run on to its acronym: "... Meeting among the ROK, China and Japan
# (TEMM 21)".
_RUNS_ON = re.compile(r"[^;.]{0,80}?\(([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?)\)")
_ACRONYM = re.compile(r"\(([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?)\)")
# "in Tokyo", "at UNEP headquarters in Nairobi", "to Japan", "hosted by India"
_PLACE_CUE = re.compile(r"\b(?:in|at|to|from|near|hosted\s+by|host(?:s|ed)?|venue|city\s+of)"
                        r"\s+(?:the\s+)?$", re.I)
_BY = re.compile(r"(?:by|until|before|no\s+later\s+than)\b", re.I)
_DEADLINE_CUE = re.compile(r"\b(?:by|no\s+later\s+than|not\s+later\s+than|before|until|"
                           r"on\s+or\s+before|ahead\s+of)\s*$", re.I)

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
    anchor_cue: str | None = None  # "on the occasion of", "ahead of", ...
    margin: int = 0
    paragraph: int | None = None
    sentence: str = ""
    reason: str = ""
    confidence: float = 0.5
    aliases: set[str] = field(default_factory=set)
    #: Reported as done ("was held on 5 November"): news about a follow-up, not a new one.
    done: bool = False


def _title(text: str) -> str:
    return text[:1].upper() + text[1:]


kind_of = commitments.kind_of


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=1024)
def tokens(text: str) -> frozenset[str]:
    """The words that name an event, singular, without articles, ordinals and fillers."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("’s", "").replace("'s", ""))
    return frozenset(_stem(w) for w in words
                     if w not in _STOP and not _ORDINAL_WORD.fullmatch(w))


_ORDINAL_WORD = re.compile(r"\d+(?:st|nd|rd|th)")


_NUMBER_END = re.compile(r"\s*\d+$")
_ACRONYM_TITLE = re.compile(r"[A-Z]{2,}(?:\s+\d+)?")
_DIGIT = re.compile(r"\d")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SLUG_STOP = frozenset({"a", "an", "the", "of", "on", "in", "and", "to", "for", "at"})
_SEMICOLON = re.compile(r";\s+")


def aliases(title: str) -> set[str]:
    found = {" ".join(sorted(tokens(title)))}
    for acronym in _ACRONYM.findall(title):
        found.add(acronym.lower())
        found.add(_NUMBER_END.sub("", acronym).lower())
    if _ACRONYM_TITLE.fullmatch(title.strip()):
        found.add(title.strip().lower())
        found.add(_NUMBER_END.sub("", title.strip()).lower())
    return {a for a in found if a}


def slug(title: str) -> str:
    acronym = _ACRONYM.search(title)
    if acronym and _DIGIT.search(acronym[1]):
        base = acronym[1]
    else:
        words = [w for w in _ALNUM.findall(title) if w.lower() not in _SLUG_STOP]
        base = " ".join(words[:5])
    return _NOT_ALNUM.sub("-", base.lower()).strip("-")[:60] or "follow-up"


def same_event(a: Proposal, b: Proposal) -> bool:
    if a.aliases & b.aliases:
        return True
    if a.sentence == b.sentence and (a.title.lower().startswith(b.title.lower())
                                     or b.title.lower().startswith(a.title.lower())):
        # One sentence naming an event twice: "the session" and "its session in May", "the
        # next meeting" and "the next meeting of the signatories".
        return a.anchor not in (b.key, *b.aliases) and b.anchor not in (a.key, *a.aliases)
    if a.anchor in (b.key, *b.aliases) or b.anchor in (a.key, *a.aliases):
        return False  # one happens on the occasion of the other
    ta, tb = tokens(a.title), tokens(b.title)
    shared = ta & tb
    if _proper(a.title) - _proper(b.title) and _proper(b.title) - _proper(a.title):
        return False  # "the Texas AP" and "the Florida/Alabama AP" are two panels
    smaller, larger = sorted((a.title, b.title), key=lambda t: len(tokens(t)))
    if shared and shared == tokens(smaller) and len(shared) >= 2 and ", " not in larger and (
            _proper(smaller) or set(_ORDINALS.findall(smaller)) & set(
                _ORDINALS.findall(larger))):
        return True  # "Ministerial Council" is "the 21st meeting of the OSCE Ministerial ..."
    # Most of the shorter name, and much of the longer: "Meeting of the Texas AP" is not
    # "Public meetings of three panels, the Florida, Mississippi and Texas APs".
    return (len(shared) >= 3 and len(shared) / min(len(ta), len(tb)) >= 0.75
            and len(shared) / max(len(ta), len(tb)) >= 0.5)


_ORDINALS = re.compile(r"\b\d+(?:st|nd|rd|th)\b", re.I)


@lru_cache(maxsize=1024)
def _proper(title: str) -> frozenset[str]:
    """The capitalised words of a name after its first: its proper parts."""
    words = _NAME_WORD.findall(title)[1:]
    return frozenset(w.lower() for w in words if w[0].isupper() and w.lower() not in _STOP)


_NAME_WORD = re.compile(r"[A-Za-z][\w/-]*")


def _merge(into: Proposal, other: Proposal) -> None:
    if _KIND_RANK.index(other.kind) < _KIND_RANK.index(into.kind):
        # The more specific commitment names the event, and is where it comes from.
        into.kind, into.title = other.kind, other.title
        into.paragraph, into.sentence = other.paragraph, other.sentence
    elif len(other.title) > len(into.title) and other.kind is into.kind and not \
            _GENERIC.fullmatch(_POSSESSOR.sub("", other.title)):
        into.title = other.title
    if _dates_better(other.window, into.window) and not other.reason.startswith("named"):
        # The mention that dates the event best is where it is said to happen.
        into.paragraph, into.sentence = other.paragraph, other.sentence
    if into.reason.startswith("listed") and other.reason.startswith("listed") \
            and into.window.precision is other.window.precision is Precision.DAY \
            and into.window.earliest and other.window.latest \
            and 0 < (other.window.latest - into.window.earliest).days <= 14:
        # "11 July: Briefing" and "12 July: Briefing continued": one event, both days.
        into.window = Window.days(into.window.earliest, other.window.latest)
    elif (into.window.is_undated or other.reason.startswith("listed")) \
            and not other.window.is_undated:
        # A programme's line says its day outright: it outweighs a date read from prose.
        into.window, into.phrase = other.window, other.phrase
    elif not other.window.is_undated and into.window.overlaps(other.window):
        into.window = into.window.narrow(other.window)
    elif other.window.precision is Precision.DAY and into.window.precision is not Precision.DAY:
        # "in September" and "on 27-29 August": the days are the later, surer word.
        into.window, into.phrase = other.window, other.phrase
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


def _dates_better(one: Window, other: Window) -> bool:
    """Whether ``one`` says more precisely when than ``other``."""
    if one.is_undated or one.earliest is None:
        return False
    if other.is_undated or other.earliest is None:
        return True
    if one.latest is None or other.latest is None:
        return other.latest is None and one.latest is not None
    return (one.latest - one.earliest) < (other.latest - other.earliest)


_AGREED = re.compile(r"\b(?:agreed|decided|resolved|pledged|committed)\s+to\s+(?P<rest>.+)$",
                     re.I)


def _clauses(sentence: str) -> list[str]:
    """The clauses of a sentence that can each commit to something.

    "Agreed to A; B; and C" is three commitments, each with the agreement in front of it.
    """
    agreed = _AGREED.search(sentence)
    if agreed and (";" in agreed["rest"] or " -- " in agreed["rest"]):
        rest = agreed["rest"]
        head = sentence[: agreed.start("rest")]
        if " -- " in rest:  # "begin three new projects -- A; B; and C"
            lead, _, listed = rest.partition(" -- ")
            verb = lead.split()[0] if lead.split() else "begin"
            items = [f"{verb} {item}" for item in re.split(r";\s*(?:and\s+)?", listed)]
        else:
            items = re.split(r";\s*(?:and\s+)?", rest)
        return [f"{head}{item}" for item in items if item.strip()]
    if ";" not in sentence:
        return [sentence] if sentence.strip() else []
    return [p for p in _SEMICOLON.split(sentence) if p.strip()]


def propose(release: Release, published: date) -> list[Proposal]:
    """Every follow-up the release commits to, one per event, anchors resolved among them."""
    countries = _release_countries(release)
    proposals: list[Proposal] = []
    lines = {item.line: item for item in listed(release.paragraphs, published, release.title)}
    thing: str | None = None  # what the sentence before was about: what its "It" is
    for paragraph in release.paragraphs:
        if paragraph.listing:
            if paragraph.text in lines:
                proposals.append(_from_listing(lines[paragraph.text]))
            elif (line := dated_line(paragraph, published)) is not None:
                # Read as the sentence it is, on the day the line gives.
                time, rest = line
                for proposal in _from_clause(f"On {time.phrase}, {rest}", paragraph.text,
                                             paragraph.number, published, countries,
                                             proposals):
                    _refer(proposal, rest, proposals)
                    proposals.append(proposal)
            continue
        for sentence in paragraph.sentences:
            # With no cue, a sentence is read only for the events it names with their days.
            cued = _may_commit(sentence)
            said_of, thing = thing, _thing_named(sentence)
            if not cued and not commitments.names_dated(sentence):
                continue
            text = _it_named(sentence, said_of) if cued else sentence
            for clause in _clauses(text):
                for proposal in _from_clause(clause, sentence, paragraph.number, published,
                                             countries, proposals, cued=cued):
                    _refer(proposal, clause, proposals)
                    proposals.append(proposal)
    merged: list[Proposal] = []
    for proposal in proposals:
        twin = next((m for m in merged if same_event(m, proposal)), None)
        if twin is None:
            merged.append(proposal)
        else:
            _merge(twin, proposal)
    return _resolve(merged, published)


# "The deal is expected to be signed in 2015": the thing a sentence is about, when its subject
# opens it.
_THING_SUBJECT = re.compile(r"^(?:The|This|That|Its|Their)\s+(?P<name>[^,;()]{1,60}?)\s+(?:is|are|"
                            r"was|were|will|would|has|have|had|shall|can|could|must|should)\b")
_IT = re.compile(r"It\s+(?=(?:is|will|would|shall|must|should|has)\b)")


def _thing_named(sentence: str) -> str | None:
    """The document, agreement or event a sentence is about, if its subject names one."""
    subject = _THING_SUBJECT.match(sentence)
    if subject is None:
        return None
    name = commitments.clean(subject["name"])
    return name if name and commitments.names_a_thing(name) else None


def _it_named(sentence: str, thing: str | None) -> str:
    """"It is set to take effect next year", said just after "The deal is expected to be
    signed": the deal is."""
    if thing is None or _IT.match(sentence) is None:
        return sentence
    return f"The {thing} {sentence[3:]}"


# "The meeting", "Friday's session", "the talks": an event named before, not a new one.
_GENERIC = re.compile(
    r"(?:(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow|this\s+week)(?:’s|'s)\s+|"
    r"two-day\s+|three-day\s+|one-day\s+)?(?:(?:ministerial|bilateral|annual|plenary|joint|"
    r"high-level|leaders[’']?|main|official|next|upcoming|forthcoming)\s+)?"
    r"(?:meeting|session|conference|summit|talks|"
    r"event|forum|council|gathering|dialogue|consultations|discussions|round|visit|trip|"
    r"ministerial|sessions|meetings|edition)", re.I)
# "hold bilateral meetings there", "during the visit", "while in Malaysia", "will also
# attend": at the event the release spoke of just before.
_ALONG = re.compile(
    r"\b(?:there|on\s+that\s+occasion|on\s+the\s+same\s+(?:day|occasion|trip)|"
    r"during\s+(?:the|that|this|his|her|their)\s+(?P<noun>session|meeting|conference|summit|"
    r"visit|event|trip|forum|stay|tour)|while\s+(?:in|there|at)\b(?:\s+(?P<place>[A-Z][\w-]+"
    r"(?:\s+[A-Z][\w-]+)?))?|(?:at|to|address|addresses)\s+(?:the|that|this)\s+(?:(?:ministerial|plenary|"
    r"annual|main)\s+)?(?P<noun2>meeting|session|conference|summit|event|forum|assembly|"
    r"symposium|games|festival|JCM|[A-Z]{2,6})\b(?!\s+(?:of|on|in|for)\b)|"
    r"over\s+the\s+course\s+of\s+the\s+(?P<noun3>visit|mission|trip|tour|stay))", re.I)
_ALSO = re.compile(r"\balso\b", re.I)
# "He will also watch A, and he will call on B": the "also" is said of both.
_ALSO_AND = re.compile(r"\b(?:will|shall)\s+also\b[^;]*,\s+and\s+(?:he|she|they|we|it)\s+"
                       r"(?:will|shall)\s+[^,;]*$", re.I)
# "On the opening day, ...": a day of the event just named.
_ON_DAY = re.compile(r"\b(?:on|during)\s+the\s+(?P<day>opening|first|second|third|last|final|"
                     r"closing)\s+day\b(?P<noun>)(?P<noun2>)(?P<noun3>)(?P<place>)", re.I)
# "Cavusoglu's visit", "the minister's trip": the visit named before, by whose it is.
_POSSESSOR = re.compile(r"^(?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w.-]*(?:’s|'s)\s+")


# An occasion named by what is done at it: "following signature".
_DONE = re.compile(r"(?:the\s+)?(sign(?:ature|ing)|adoption|publication|launch|opening|"
                   r"ratification|entry into force)", re.I)


def _from_listing(item: Listed) -> Proposal:
    kind = kind_of(item.name)
    return Proposal(key=slug(item.name), title=_title(item.name),
                    kind=kind if kind is not Kind.OTHER else commitments.event_kind(item.name),
                    window=item.window,
                    phrase=item.phrase, location=item.location, paragraph=item.paragraph,
                    sentence=item.line, confidence=0.8,
                    reason=(f"programme of '{item.phrase}'" if item.heading
                            else f"listed for '{item.phrase}'"),
                    aliases=aliases(item.name))


def _is_generic(name: str) -> bool:
    """"The meeting", "their meeting in Melbourne": an event named before, by what it is."""
    core = re.sub(r"^(?:the|their|its|this|that|our|his|her|each|every)\s+", "", name.strip(),
                  flags=re.I)
    core = re.split(r"\s+(?:in|at|on)\s+", core)[0]
    return bool(_GENERIC.fullmatch(core))


_DETERMINER = re.compile(r"\b(?:the|this|that|these|those|its|their)\s+$", re.I)
_POSSESSIVE = re.compile(r"\b[A-Za-z]+(?:’s|'s)\s+$")


def _determined(name: str, clause: str, *, possessive: bool = False) -> bool:
    """Whether the clause says "the/this/its <name>" (or "X's <name>"): an event it names
    again, not a new one."""
    lower, wanted = clause.lower(), name.lower()
    position = lower.find(wanted)
    while position >= 0:
        end = position + len(wanted)
        if (end == len(lower) or not lower[end].isalnum()) and (
                _DETERMINER.search(clause, 0, position)
                or (possessive and _POSSESSIVE.search(clause, 0, position))):
            return True
        position = lower.find(wanted, position + 1)
    return False


def _refer(proposal: Proposal, clause: str, earlier: list[Proposal]) -> None:
    """Merge a follow-up with the event the release spoke of just before, when it names that
    event only by what it is ("the meeting", "Cavusoglu's visit")."""
    core = _POSSESSOR.sub("", proposal.title)
    if not _GENERIC.fullmatch(core):
        return
    if core == proposal.title and not _determined(proposal.title, clause, possessive=True):
        return
    recent = _recent(earlier, core)
    noun = _stem(core.lower().split()[-1])
    if recent is not None and noun not in _ANY_EVENT and not (
            noun in tokens(recent.title) or (recent.kind is Kind.VISIT and noun in (
                "visit", "trip", "tour"))):
        # "The Summit" is the summit named before, not the ministerial meeting before it.
        recent = next((p for p in reversed(earlier[-12:]) if noun in tokens(p.title)), None)
    if recent is not None and not proposal.window.is_undated and not recent.window.is_undated \
            and not proposal.window.overlaps(recent.window):
        return  # "the summit in Paris in June" is not the meeting next year
    if recent is not None:
        proposal.aliases |= recent.aliases  # the same event: merged with it
        proposal.reason += f"; the event named before ({recent.title})"


# Nouns any meeting can be called by.
_ANY_EVENT = {"meeting", "session", "event", "gathering", "edition", "sessions", "meetings"}


def _day_of(window: Window, which: str) -> Window:
    """"The opening day", "the second day", "the last day" of an event's days; the whole
    window where the day cannot be told (an open end has no last day)."""
    first, last = window.earliest, window.latest
    if which in ("last", "final", "closing"):
        return window if last is None else Window.day(last)
    if first is None:
        return window
    day = first + timedelta(days={"second": 1, "third": 2}.get(which, 0))
    return Window.day(day if last is None else min(day, last))


# How far back "the meeting", "there" or "also" can reach for the event they speak of.
_NEAR = 12


def _recent(earlier: list[Proposal], noun: str = "", *, dated: bool = False,
            paragraph: int | None = None, reach: int = 3) -> Proposal | None:
    """The meeting or visit the release spoke of last: of the kind ``noun`` says, if any
    ("the visit" is the last visit), dated and at most ``reach`` paragraphs before
    ``paragraph`` when asked."""
    wanted = Kind.VISIT if re.search(r"visit|trip|tour|stay", noun, re.I) else (
        Kind.MEETING if noun else None)
    near = [p for p in reversed(earlier[-_NEAR:]) if p.kind in (Kind.MEETING, Kind.VISIT)
            and (not p.window.is_undated if dated
                 else not _GENERIC.fullmatch(_POSSESSOR.sub("", p.title)))
            and (paragraph is None or p.paragraph is None or paragraph - p.paragraph <= reach)]
    return next((p for p in near if wanted is None or p.kind is wanted), None) or next(
        iter(near), None)


def _along(clause: str, event: Commitment, own: list[TimeMention], earlier: list[Proposal],
           paragraph: int, published: date) -> Proposal | None:
    """The event a follow-up is part of when the clause says so only by "there", "during
    the visit", "while in Malaysia" or "will also ...": the meeting or visit just before,
    if it is dated (its days are then the follow-up's)."""
    along = _ALONG.search(clause)
    if along is None:
        along = _ON_DAY.search(clause)
    also = _ALSO.search(event.cue) or _ALSO.search(clause[max(0, event.start - 40):event.start]) \
        or _ALSO_AND.search(clause, 0, event.start)
    if along is None and (also is None or re.match(
            r"(?:agreed|agree|decided|resolved|pledged|committed|undertook|promised)",
            event.cue, re.I)):
        return None
    noun = (along["noun"] or along["noun2"] or along["noun3"] or "") if along else ""
    # "Also" reaches back a little; "during the visit" names what it reaches for.
    parent = _recent(earlier, noun, dated=True, paragraph=paragraph,
                     reach=10 if along is not None else 3)
    if along is not None and along["place"]:
        placed = [p for p in reversed(earlier[-_NEAR:]) if not p.window.is_undated and (
            along["place"] in (p.location or "") or along["place"] in p.title)]
        parent = placed[0] if placed else parent
    if parent is None or parent.window.earliest is None or parent.window.latest is None \
            or (parent.window.latest - parent.window.earliest).days > 14:
        return None  # a year's programme is not an occasion
    if own:
        if along is None:
            return None  # dated, and "also": another event beside it, not a part of it
        window = own[0].window
        if window.earliest is None or not window.overlaps(parent.window):
            return None
    return parent


def _release_countries(release: Release) -> frozenset[str]:
    """The countries a release names: a city several countries share is placed among them."""
    head = " ".join(p.text for p in release.paragraphs[:20])
    return frozenset(countries_in(head[:20_000]))


def _from_clause(clause: str, sentence: str, paragraph: int, published: date,
                 countries: frozenset[str], earlier: list[Proposal], *, cued: bool = True
                 ) -> list[Proposal]:
    cued = cued and commitments.might_commit(clause)
    if not cued and not commitments.names_dated(clause):
        return []  # most clauses: no need to read their dates and places
    mentions = find_times(clause, published)
    said_words = commitments.word_set(clause)
    if (not _DAY_WORDS.isdisjoint(said_words) and _SAME_DAY_WORDS.search(clause)) or (
            not mentions and _CLOCK.search(clause)):
        mentions = sorted([*mentions, *_same_day(clause, mentions, earlier, paragraph)],
                          key=lambda t: t.start)
    times = [t for t in mentions if not t.past
             and (t.window.latest is None or t.window.latest >= published - timedelta(days=1))
             and not _FRAMED.search(clause[max(0, t.start - 40):t.start])
             and not _is_dateline(clause, t)]
    called_off = not _CALLED_OFF_WORDS.isdisjoint(said_words) and bool(_CALLED_OFF.search(clause))
    gone = False
    # Every date said of something, the past ones too.
    said = [t for t in mentions if not _FRAMED.search(clause[max(0, t.start - 40):t.start])
            and not _is_dateline(clause, t)]
    anchors = _anchors(clause)
    places = places_named(clause, countries=countries) if _CAPITAL.search(clause) else []
    stops = _stops(clause, mentions, places, anchors)
    found = commitments.find(clause, stops) if cued else commitments.find_dated(clause, stops)
    # A date that opens the clause is said of all it commits to: "On 14 June, ...".
    opening = next((t for t in times if re.fullmatch(
        r"\W*(?:(?:On|In|From|By|During|Until|Later|Early|Then|And|But|So|Also|Next|This)\s+)*"
        r"(?:the\s+)?(?:(?:morning|afternoon|evening|night)\s+of\s+)?", clause[:t.start], re.I)
        and (re.match(r"\s*,", clause[t.end:]) or (t.start > 0 and re.match(
            r"\s+(?:the|a|an|it|they|we|[A-Z])", clause[t.end:])))), None)
    proposals: list[Proposal] = []
    for index, event in enumerate(found):
        # What is said after an event belongs to it up to the next event committed to (an
        # event named only in passing does not interrupt it).
        following = next((f.start for f in found[index + 1:]
                          if f.start >= event.end and not f.needs_date), len(clause))
        anchor = _anchor_for(event, anchors, following)
        anchored = anchor is not None
        cut = min(following if following > event.start else len(clause),
                  anchor.start() if anchor is not None and anchor.start() > event.start
                  else len(clause))
        if event.needs_date and called_off:
            continue  # "not to go ahead with next week's round": nothing to chase
        if _VAGUE.fullmatch(event.title):
            continue  # "a series of meetings", "more than 10 meetings": no one event
        own = _own(event, times, clause, cut, opening, len(found) == 1, anchor)
        if not own and (gone or _own(event, said, clause, cut, None, len(found) == 1, anchor)):
            # Its date is past ("will go to the Vatican on 6 May", a week ago), or that of
            # what it goes with ("... and meet the Pope").
            gone = True
            continue
        parent = None
        title = _TIMED.sub("", event.title) or event.title  # "Friday's meeting": a meeting
        # "The summit is to take place at the hotel": the summit named before, not a part
        # of anything.
        core = _POSSESSOR.sub("", title)
        generic = bool(_GENERIC.fullmatch(core)) and (core != title
                                                       or _determined(core, clause))
        if not event.near and not generic and (anchor is None or (
                _is_generic(_anchor_name(clause, anchor))
                and anchor["cue"].lower() not in (*_BEFORE, *_AFTER))):
            # (only the last few are looked at: no copy of a long release's every proposal)
            parent = _along(clause, event, own, [*earlier[-_NEAR:], *proposals], paragraph,
                            published)
            if parent is not None and event.needs_date and not own:
                parent = None  # "announce new dates": only a date makes it one to chase
            if parent is not None:
                anchor, anchored = None, True
        if parent is None and anchor is None and not own and _FOLLOWS.search(event.cue):
            # "A press conference will follow": just after the event named before, on its
            # day and part of it.
            parent = _recent([*earlier[-_NEAR:], *proposals], dated=True, paragraph=paragraph,
                             reach=1)
            if parent is not None and _span(parent.window) <= 14:
                anchored = True
            else:
                parent = None
        if (event.deadline or event.kind is Kind.DEADLINE) and not own and not anchored:
            continue  # a deadline with no day is nothing to keep
        if event.needs_date and not own and (not anchored or event.near or (
                anchor is not None and anchor["cue"].lower() == "for")):
            continue  # named in passing ("announce dates for the next round"), undated
        if own and own[0].window.precision is Precision.DAY and own[0].window.earliest \
                and own[0].window.earliest < published and not _BY.match(own[0].phrase):
            continue  # under way, or over: not something to chase
        proposal = Proposal(key=slug(title), title=_title(title), kind=event.kind,
                            paragraph=paragraph, sentence=sentence, confidence=0.6,
                            aliases=aliases(title))
        reason = [f"cue '{event.cue}'"]
        if own:
            time = own[0]
            proposal.window = _window_of(time, clause, event, published)
            proposal.phrase = time.phrase
            reason.append(f"time '{time.phrase}'")
            proposal.confidence += 0.2
        where = _place_of(event, clause, places, cut)
        if where is None and re.search(r"\bhost", event.cue, re.I):
            # "Korea will host", "the offer of Japan to host": the host is where.
            hosts = find_places(clause[:event.start], countries=countries)
            where = hosts[-1].name.removeprefix("the ") if hosts else None
        if where is not None:
            proposal.location = where
            reason.append(f"place '{where}'")
        occasion = None
        if anchor is not None:
            name = _anchor_name(clause, anchor)
            proposal.anchor_name = name
            proposal.anchor = slug(name)
            proposal.anchor_cue = anchor["cue"].lower()
            if proposal.anchor_cue == "before" and re.search(
                    r"\b(?:put|laid|brought|come|go|placed|tabled)\s+$",
                    clause[max(0, anchor.start() - 12):anchor.start()], re.I):
                proposal.anchor_cue = "at"  # "put before the Summit": at it, not ahead of it
            proposal.margin = _MARGIN.get(proposal.kind, 1)
            proposal.phrase = proposal.phrase or anchor.group(0)
            reason.append(f"anchor '{anchor['cue']} {name}'")
            proposal.confidence += 0.15
            if not _is_generic(name) or any(anchor.end() <= t.start <= anchor.end() + 4
                                            for t in times):
                occasion = _anchor_event(name, anchor, times, places, sentence, paragraph,
                                         clause, published)
        if parent is not None:
            proposal.anchor, proposal.anchor_name = parent.key, parent.title
            proposal.anchor_cue = "during"
            reason.append(f"part of {parent.title}")
            day = _ON_DAY.search(clause)
            if day is not None and not own:
                proposal.window = _day_of(parent.window, day["day"].lower())
        elif event.cue.endswith(" with") and event.relative is None and proposal.anchor is None \
                and proposals and proposals[-1].kind is Kind.MEETING:
            # "the Meeting, which opens on 28 May with a working dinner": a part of it.
            whole = proposals[-1]
            proposal.anchor, proposal.anchor_name = whole.key, whole.title
            proposal.anchor_cue = "during"
            reason.append(f"part of {whole.title}")
        elif event.relative is not None and proposal.anchor is None:
            # "The Summit is to be preceded by the Ministerial Meeting": dated by the summit.
            relation, name = event.relative
            proposal.anchor, proposal.anchor_name = slug(name), name
            proposal.anchor_cue = relation
            reason.append(f"{relation} {name}")
        proposal.reason = "; ".join(reason)
        proposal.confidence = round(min(proposal.confidence, 0.95), 2)
        proposals.append(proposal)
        if occasion is not None:
            proposals.append(occasion)
    if not cued:
        # Said in passing, with no cue: only a named event on days still to come, and not
        # one that was to be ("which was to take place from 29 June").
        if called_off or _UNREALISED.search(clause):
            return []
        return [p for p in proposals if p.window.precision is Precision.DAY
                and p.window.earliest is not None and p.window.earliest > published
                and not _FORMULA.fullmatch(p.title)]
    return proposals


_UNREALISED = re.compile(r"\b(?:was|were)\s+(?:to|due|scheduled|expected|planned|set)\b", re.I)
# "CO2", "PM2": a chemical, not the second meeting of something
_FORMULA = re.compile(r"[A-Z][A-Za-z]*\d")

_FOLLOWS = re.compile(r"\bfollows?$", re.I)
# "That day", "later the same evening", "the following day": the day of the event the
# release dated just before, or the one after it.
_SAME_DAY_WORDS = re.compile(r"\b(?:that|same|following|next)\s+(?:day|morning|afternoon|"
                             r"evening|night)\b", re.I)
_DAY_WORDS = frozenset(["day", "morning", "afternoon", "evening", "night"])
_CLOCK = re.compile(r"\bat\s+(?:around\s+|about\s+)?\d{1,2}(?:[:.]\d\d)?\s*(?:a\.m\.|p\.m\.|"
                    r"am\b|pm\b|hours\b|hrs\b|h\b)", re.I)
_SAME_DAY = re.compile(r"\b(?:(?:later\s+)?(?:on\s+|in\s+)?(?:that|the\s+same)|(?:on\s+|in\s+)?"
                       r"the\s+(?P<next>following|next))\s+(?:day|morning|afternoon|evening|"
                       r"night)\b", re.I)


def _same_day(clause: str, mentions: list[TimeMention], earlier: list[Proposal],
              paragraph: int) -> list[TimeMention]:
    day = next((p.window.earliest for p in reversed(earlier[-4:])
                if p.window.precision is Precision.DAY and p.window.earliest is not None
                and p.window.earliest == p.window.latest
                and (p.paragraph is None or paragraph - p.paragraph <= 3)), None)
    if day is None:
        return []
    found = []
    clock = _CLOCK.search(clause) if not mentions else None
    if clock is not None:
        # "At 10 a.m. the governor will ...": an hour of the day the release is speaking of
        found.append(TimeMention(Window.day(day), clock.group(0), clock.start(), clock.end()))
    for match in _SAME_DAY.finditer(clause):
        if any(t.start < match.end() and match.start() < t.end for t in mentions):
            continue
        on = day + timedelta(days=1) if match["next"] else day
        found.append(TimeMention(Window.day(on), match.group(0), match.start(), match.end()))
    return found


# The words an occasion's cue begins with ("on the sidelines of", "ahead of", "at the next").
_ANCHOR_FIRST = frozenset({
    "on", "at", "ahead", "in", "to", "preparing", "following", "alongside", "back", "within",
    "as", "during", "for", "before", "after", "once"
})


def _anchors(clause: str) -> list[re.Match[str]]:
    """What ``_ANCHOR.finditer`` finds, tried only where a cue's first word stands."""
    found: list[re.Match[str]] = []
    end = 0
    for start, word in commitments.words(clause):
        if start < end or word not in _ANCHOR_FIRST:
            continue
        match = _ANCHOR.match(clause, start)
        if match is not None:
            found.append(match)
            end = match.end()
    return found


def _stops(clause: str, times: list[TimeMention], places: list[Place],
           anchors: list[re.Match[str]]) -> list[int]:
    """Where an event's name ends: at a date, a place or an occasion said of it."""
    stops = []
    for time in times:
        if time.phrase.isdigit() and re.match(r"\s+[A-Z]", clause[time.end:]):
            continue  # "its 2025 Annual Meetings": a year inside the name
        lead = re.search(r"(?:\b(?:in|on|at|by|from|to|during|between|around|about|until|"
                         r"before|after|within|for|of|near)\s+(?:the\s+)?|,\s*)$",
                         clause[max(0, time.start - 12):time.start], re.I)
        stops.append(time.start - len(lead.group(0)) if lead else time.start)
    for place in places:  # "in Tokyo", not the "Korea" of "the Korea Meteorological ..."
        lead = re.search(r"\b(?:(?:in|at|near|from|to)\s+(?:the\s+)?(?:[A-Z][\w-]+\s+)?(?:city|"
                         r"town|port|municipality|village|province|state|region|island)\s+of|"
                         r"(?:in|at|near|from|to))\s+(?:the\s+)?$",
                         clause[max(0, place.start - 40):place.start], re.I)
        if lead:
            stops.append(place.start - len(lead.group(0)))
    stops += [a.start() for a in anchors if a["cue"].lower() not in _WEAK_ANCHOR
              or not _name_goes_on(a)]
    return stops


def _anchor_for(event: Commitment, anchors: list[re.Match[str]],
                following: int) -> re.Match[str] | None:
    """The occasion an event happens at: named after it, before the next event is."""
    for anchor in anchors:
        # "Following the talks, ...", "Media are advised that, at the end of their
        # meetings, the ministers will ...": an opening phrase ties the whole clause.
        opening = anchor.end() <= event.start and (anchor.start() <= 2 or bool(
            re.search(r"(?:[,;:]|\bthat)\s*$", anchor.string[:anchor.start()]))) and bool(
            re.match(r"[^,;]{0,60},", anchor.string[anchor.end():]))
        if (anchor.start() < event.start and not opening) or (
                following > event.start and anchor.start() >= following):
            continue
        weak = anchor["cue"].lower() in _WEAK_ANCHOR
        # An opening "after" or "before" orders the clause's events by the occasion it
        # names: only a name it shares makes it the event's own ("After the meeting, the
        # ministers will sign ...").
        own = bool(tokens(anchor["name"]) & tokens(event.title)) \
            if opening and anchor["cue"].lower() in (*_BEFORE, *_AFTER) \
            else _is_own_name(event, anchor)
        if weak and (own or _name_goes_on(anchor)) and not (
                anchor["cue"].lower() == "before" and _PUT_BEFORE.search(event.cue)):
            continue  # but "put before the 41st Summit of the GCC Leaders": at it
        if aliases(anchor["name"]) & aliases(event.title):
            continue  # its own name, not an occasion
        return anchor
    return None


# What is laid before a body is dealt with at its meeting.
_PUT_BEFORE = re.compile(r"\b(?:put|laid|brought|placed|tabled|come|go)\s+before$", re.I)
_ANCHOR_CUE = re.compile(r"\b(?:occasion|sidelines|margins?|fringes?|next|ahead|run-up|lead-up|"
                         r"preparation|before|following|after|conjunction|alongside|"
                         r"back-to-back|during|at|for|to|framework|part)\b", re.I)
_CAPITAL = re.compile(r"\b[A-Z]")


def _name_goes_on(anchor: re.Match[str]) -> bool:
    """Whether the word that made a name an event is not its last: "at the ministerial
    level" names a level, not a ministerial."""
    following = re.match(r"\s+([a-z][\w-]*)", anchor.string[anchor.end():])
    return following is not None and following.group(1) not in _NAME_ENDS \
        and not commitments.names_event(following.group(1))  # "a ministerial meeting"


_NAME_ENDS = {"in", "on", "at", "to", "for", "of", "with", "by", "from", "during", "and", "or",
              "which", "that", "where", "when", "will", "would", "shall", "is", "are", "was",
              "were", "scheduled", "set", "slated", "planned", "due", "expected", "as",
              "before", "after", "next", "this", "later", "early", "late", "between", "until",
              "under", "held", "hosted", "organised", "organized", "taking", "starting",
              "beginning", "opening", "around", "about", "near", "via", "through",
              "so", "but", "while", "whose", "who"}


def _is_own_name(event: Commitment, anchor: re.Match[str]) -> bool:
    """Whether a weak anchor ("at", "for") only names the event itself or its venue."""
    return anchor.start() < event.end or bool(tokens(anchor["name"]) & tokens(event.title))


# "said Tuesday", "told reporters on Monday", "in a statement issued Wednesday": when it was
# said, not when it happens.
_FRAMED = re.compile(r"(?:(?<!\bbe\s)(?<!\bbeen\s)\b(?:said|says|told\s+[\w ]{1,30}|announced|"
                     r"reported|added|stated|confirmed|wrote|tweeted)|\b(?:statement|release|communiqu[ée]|notice|"
                     r"announcement)\s+(?:was\s+)?(?:issued|released|published|posted))\s+"
                     # "it was announced in Buenos Aires on Friday": where it was said
                     r"(?:(?:in|at|from)\s+(?-i:[A-Z])[\w.’' -]{1,40}?\s+)?"
                     r"(?:on\s+|late\s+|early\s+|earlier\s+|last\s+)?$", re.I)


_TIMED = re.compile(r"^(?:(?:next|this|last|coming)\s+(?:week|month|year|weekend)|today|"
                    r"tomorrow|(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?:’s|'s)\s+", re.I)


# What will not happen: "agreed not to go ahead with", "will not be held", "postponed".
_CALLED_OFF = re.compile(
    r"\b(?:not\s+(?:to\s+)?(?:go\s+ahead|be\s+held|take\s+place|hold|proceed)|(?:won[’']t|"
    r"cannot|can[’']t)\s+(?:go\s+ahead|be\s+held|take\s+place)|cancel(?:l?ed|s|l?ing)?|"
    r"call(?:ed|s|ing)?\s+off|postpone[ds]?|postponing|suspend(?:ed|s)?|scrapped|"
    r"shelved|no\s+longer)\b", re.I)


# A clause ``_CALLED_OFF`` finds anything in has one of these words.
_CALLED_OFF_WORDS = frozenset([
    "not", "won’t", "won't", "cannot", "can’t", "can't", "cancel", "cancelled", "canceled",
    "cancels", "cancelling", "canceling", "call", "called", "calls", "calling", "postpone",
    "postponed", "postpones", "postponing", "suspend", "suspended", "suspends", "scrapped",
    "shelved", "no"])
_VAGUE = re.compile(r"(?:(?:more\s+than|over|some|several|numerous|many|various|a\s+few|"
                    r"\d+|dozens\s+of|a\s+number\s+of)\s+)?(?:(?:other|further|more|bilateral|"
                    r"business|high-level)\s+)?(?:meetings|events|sessions|activities|"
                    r"engagements|appointments)", re.I)


def _own(event: Commitment, times: list[TimeMention], clause: str, cut: int,
         opening: TimeMention | None, alone: bool, anchor: re.Match[str] | None
         ) -> list[TimeMention]:
    """The dates said of an event: after its name (or, for "in May the summit will ...",
    before it when nothing else in the clause has a date); never the words of its name."""
    own = [t for t in times if event.at <= t.start < event.start] or [
        t for t in times if event.end - 1 <= t.start < cut
        and (not event.near or t.start - event.end <= 40)]
    if not own:
        own = [t for t in times if event.start <= t.start < event.end
               and (t.phrase.endswith(("’s", "'s"))
                    or re.match(r"(?:’s|'s)\b", clause[t.end:t.end + 2]))]
    if not own and event.shares_time:
        own = [t for t in times if t.end <= event.start][-1:]
    if not own and opening is not None and opening.end <= event.start and not event.near \
            and not re.fullmatch(r"(?:at|for|during|in)(?:\s+\w+)?", event.cue):
        own = [opening]  # "On October 10, the committee will be briefed ..."
    if not own and alone and not event.near:
        # The date said last before it: "17 October - On Wednesday, 24 October, EMA is
        # holding a workshop" is on the 24th.
        own = [t for t in times if t.end <= event.start and not (
            anchor is not None and anchor.start() <= t.start < anchor.end() + 30
            and anchor.start() < event.start)][-1:]
    return own


def _is_dateline(clause: str, time: TimeMention) -> bool:
    """"Ottawa, Ontario – February 21, 2017 – This week, ...": when it was written."""
    return time.start <= 40 and bool(re.match(r"\s*(?:\(\w+\)\s*)?[-–—]\s", clause[time.end:])) \
        and not re.search(r"\b(?:on|in|by|from|until|at|for)\s*$", clause[:time.start], re.I)


def _window_of(time: TimeMention, clause: str, event: Commitment, published: date) -> Window:
    """The window a time mention gives an event: a deadline's day, "by" from today, and a
    period already under way from the publication date."""
    window = time.window
    before = clause[max(0, time.start - 30):time.start]
    if window.latest is not None and (_DEADLINE_CUE.search(before) or _BY.match(time.phrase)):
        if event.deadline or event.kind is Kind.DEADLINE:
            return Window.day(window.latest)
        return Window.spanning(published, max(window.latest, published))
    if event.deadline and window.latest is not None and window.precision is Precision.DAY:
        return Window.day(window.latest)
    if (window.earliest is not None and window.latest is not None
            and window.earliest < published <= window.latest
            and window.precision is not Precision.DAY):
        return Window.spanning(published, window.latest)
    return window


def _place_of(event: Commitment, clause: str, places: list[Place], cut: int) -> str | None:
    """Where the event happens: the place named after it ("in Tokyo"), or before it when
    the clause opens with it ("In Berlin, ...")."""
    if event.kind is Kind.VISIT and event.title.startswith("Visit to "):
        target = event.title.removeprefix("Visit to ")
        target = re.sub(r"^the\s+", "", target)
        inside = [p for p in places if event.start <= p.start < cut
                  and _PLACE_CUE.search(clause[max(0, p.start - 12):p.start])
                  and p.name not in target]
        if inside:
            return f"{target}, {inside[0].name}"
        return target
    mine = [p for p in places if event.start <= p.start < cut
            and _PLACE_CUE.search(clause[max(0, p.start - 14):p.start])
            and not _SAID_IN.search(clause[max(0, p.start - 40):p.start])]
    # "will be held in Puerto Iguazú": a town too small to be known is still where.
    held = _HELD_IN.search(clause, event.start, max(cut, event.end))
    if held is not None and (not mine or held.start("place") < mine[0].start) \
            and not _NOT_PLACE.fullmatch(held["place"].split()[0]):
        return held["place"]
    if not mine:
        mine = [p for p in places if p.start < event.start
                and re.search(r"(?:^|,\s*)In\s+(?:the\s+)?$", clause[max(0, p.start - 8):p.start])]
    if not mine:
        return None
    place = mine[0]
    venue = re.search(r"\bat\s+(?:the\s+)?(?P<venue>[A-Z][\w’'&.-]*(?:\s+(?:[A-Z][\w’'&.-]*|of|"
                      r"the|and|for|de|du|&)){0,5}?)\s+in\s+$",
                      clause[max(0, place.start - 80):place.start])
    name = place.name.removeprefix("the ")
    after = re.match(r",\s+(?P<country>[A-Z][\w ]+?)(?=[,.;]|\s+(?:on|in|from|at|for)\b|$)",
                     clause[place.end:])
    if not place.is_country and after and is_country(after["country"]):
        name = f"{name}, {after['country']}"
    if venue:
        return f"{venue['venue']}, {name}"
    return name


# "it was announced in Buenos Aires": where it was said, not where it happens.
_SAID_IN = re.compile(r"\b(?:announced|said|stated|told\s+[\w ]{1,30}|reported|confirmed|"
                      r"explained)\s+(?:\w+\s+){0,2}?(?:in|at|from)\s+(?:the\s+)?$", re.I)
_HELD_IN = re.compile(r"\b(?:held|take\s+place|takes\s+place|convened?|convenes|meets?|hosted|"
                      r"gather|be)\s+in\s+(?P<place>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})")
_NOT_PLACE = re.compile(r"(?:January|February|March|April|May|June|July|August|September|"
                        r"October|November|December|Spring|Summer|Autumn|Fall|Winter|"
                        r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
                        r"The|This|That|Early|Late|Mid|Person|Parliament|Session|Public|"
                        r"Private|Plenary|Camera|Person)")


def _acronym_after(clause: str, position: int) -> str:
    """" (TEMM 22)" when the name at ``position`` is followed by its acronym, else ""."""
    follows = re.match(r"\s*\([A-Z][A-Za-z]*[A-Z](?:\s*\d+)?\)", clause[position:])
    return follows.group(0) if follows else ""


def _anchor_name(clause: str, anchor: re.Match[str]) -> str:
    name = anchor["name"]
    runs_on = _RUNS_ON.match(clause, anchor.end())
    if runs_on and _VERB_BETWEEN.search(clause, anchor.end(), runs_on.start(1)):
        runs_on = None  # "After the meeting, the ministers will sign an MOU (MOU)": not its
    if runs_on and not re.search(r"\([A-Z]", name):
        name += clause[anchor.end():runs_on.end()]
    else:
        # "the G-8 Ministerial", "the Joint Committee meeting": the name goes on while its
        # words do.
        more = _NAME_TAIL.match(clause, anchor.end())
        if more:
            name += more.group(0)
    return clean(name)


_VERB_BETWEEN = re.compile(r"\b(?:will|shall|would|is|are|was|were|to)\s")
_NAME_TAIL = re.compile(r"(?:\s+(?:[A-Z][\w’'-]*|(?i:" + commitments.EVENT_NOUN + r")\b))+")


def _anchor_event(name: str, anchor: re.Match[str], times: list[TimeMention],
                  places: list[Place], sentence: str, paragraph: int, clause: str,
                  published: date) -> Proposal:
    """The event named as an occasion, with what the clause says of it after its name."""
    # Its own date follows its name closely ("the summit on 20 May"); a date further on is
    # the follow-up's ("Following the G-8 Ministerial, she will go to Seoul on June 28").
    end = anchor.start("name") + len(name)
    after = [t for t in times if anchor.start() <= t.start <= max(anchor.end(), end) + 16]
    occasion = Commitment(name, kind_of(name), anchor["cue"], anchor.start("name"),
                          len(clause))
    event = Proposal(key=slug(name), title=_title(name), kind=commitments.event_kind(name),
                     paragraph=paragraph, sentence=sentence,
                     location=_place_of(occasion, clause, places, len(clause)),
                     confidence=0.6, reason=f"named as the occasion ('{anchor['cue']}')",
                     aliases=aliases(name))
    if after:
        event.window = _window_of(after[0], clause, occasion, published)
        event.phrase = after[0].phrase
        event.confidence = 0.75
    return event


def _resolve(proposals: list[Proposal], published: date) -> list[Proposal]:
    """Point anchors at the proposals they name; derive windows and places from them."""
    targets: dict[int, Proposal] = {}
    for index, proposal in enumerate(proposals):
        if proposal.anchor is None:
            continue
        names = aliases(proposal.anchor_name or proposal.anchor)
        target = next((p for p in proposals if p is not proposal and (
            p.key == proposal.anchor or p.aliases & names)), None)
        name = proposal.anchor_name or ""
        if target is None and _is_generic(name):
            # "following the meeting": the meeting the release spoke of last (not a part of
            # one).
            before = [p for p in reversed(proposals[:index]) if p.kind in (Kind.MEETING,
                                                                           Kind.VISIT)]
            target = next((p for p in before if p.anchor is None), None) or next(
                iter(before), None)
        if target is None and (done := _DONE.fullmatch(name.strip())):
            # "following signature": what the release said would be signed.
            target = next((p for p in reversed(proposals[:index])
                           if done.group(1)[:4].lower() in p.reason.lower()), None)
        if target is not None:
            targets[id(proposal)] = target
        elif names & proposal.aliases:
            # Merged with its own occasion ("the session" was the session itself).
            proposal.anchor = proposal.anchor_name = proposal.anchor_cue = None
    for proposal in proposals:
        # "On 29 May the meeting continues with ...": a part on a later day lengthens it.
        target = targets.get(id(proposal))
        if target is not None and proposal.anchor_cue == "during" \
                and proposal.window.precision is Precision.DAY \
                and target.window.precision is Precision.DAY \
                and target.window.latest is not None and proposal.window.latest is not None \
                and target.window.earliest is not None \
                and 0 < (proposal.window.latest - target.window.latest).days <= 7:
            target.window = Window.days(target.window.earliest, proposal.window.latest)
    for proposal in proposals:  # each tied to the other: the longer is the occasion
        target = targets.get(id(proposal))
        if target is not None and targets.get(id(target)) is proposal \
                and _span(proposal.window) >= _span(target.window):
            del targets[id(proposal)]
            proposal.anchor = proposal.anchor_name = proposal.anchor_cue = None
    # An occasion met only in passing ("during the Asia-Europe Meeting"), with no date said
    # of it anywhere, is not a follow-up of its own: nor is it one to tie others to.
    passing = {id(p) for p in proposals if p.window.is_undated
               and re.fullmatch(r"named as the occasion \('(?:at|for|during|before|after|"
                                r"alongside)'\)", p.reason)}
    for proposal in proposals:
        if id(targets.get(id(proposal))) in passing:
            del targets[id(proposal)]
            proposal.anchor = proposal.anchor_name = None
            proposal.margin = 0
    proposals = [p for p in proposals if id(p) not in passing]
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
                proposal.window = _tied_window(proposal, target, published)
                if proposal.anchor_cue not in (*_BEFORE, *_AFTER):
                    proposal.location = proposal.location or target.location
    _within_parents(proposals)
    for proposal in proposals:
        closing, untied = proposal.anchor_cue in _CLOSING, id(proposal) not in targets
        if (proposal.anchor_cue in _AFTER or closing) and untied and proposal.window.is_undated \
                and _is_generic(proposal.anchor_name or ""):
            # "Following the talks" that the release reports, held the day it was issued.
            proposal.window = Window.spanning(published, published + timedelta(days=7))
        if proposal.anchor_cue in (*_BEFORE, *_AFTER) or (closing and untied):
            # Dated by the occasion, not held at it.
            proposal.anchor = proposal.anchor_name = None
            proposal.margin = 0
    return proposals


def _within_parents(proposals: list[Proposal]) -> None:
    """A follow-up on a day of a meeting or visit the release gives days to (the opening
    ceremony of a session, a press conference during a summit, a bilateral meeting on a
    visit, the lines of a day's programme) is part of it."""
    parents = [p for p in proposals if p.kind in (Kind.MEETING, Kind.VISIT)
               and p.window.earliest is not None and p.window.latest is not None
               and 0 <= (p.window.latest - p.window.earliest).days <= 21]
    for proposal in proposals:
        window = proposal.window
        if proposal.anchor is not None \
                or window.precision is not Precision.DAY or window.earliest is None \
                or window.latest is None or proposal.kind is Kind.DEADLINE:
            continue
        listed_line = proposal.reason.startswith("listed")
        part = bool(_PART.search(proposal.title))
        # On a visit's days, what the visitor does is part of the visit (the talks, the
        # calls, the signing); beside a meeting, only its parts by name are.
        visiting = any(p.kind is Kind.VISIT for p in parents)
        if not (part or listed_line or visiting):
            continue  # another event on the same days, not a part of it
        length = (window.latest - window.earliest).days
        parent = next((p for p in parents if p is not proposal and p.anchor != proposal.key
                       and (p.kind is Kind.VISIT or part or listed_line)
                       and not (listed_line and p.reason.startswith("listed"))
                       and p.window.earliest <= window.earliest  # type: ignore[operator]
                       and window.latest <= p.window.latest  # type: ignore[operator]
                       and _contains(p, length, part or (
                           p.kind is Kind.VISIT and bool(_TALKS.match(proposal.title))),
                           listed_line)), None)
        if parent is not None:
            proposal.anchor, proposal.anchor_name = parent.key, parent.title
            proposal.anchor_cue = "during"
            proposal.reason += f"; on a day of {parent.title}"


# What a visitor has with the hosts: talks, meetings, consultations (not a forum with a name
# of its own, which the visit may be for).
_TALKS = re.compile(r"(?:bilateral\s+|official\s+|formal\s+)?(?:talks|meetings?|consultations|"
                    r"discussions)\b", re.I)


def _contains(parent: Proposal, length: int, part: bool, listed_line: bool) -> bool:
    """Whether ``parent``'s days hold a follow-up ``length`` days long as a part: it is
    shorter, or both fill the same one day and only the follow-up is a part by name or a
    programme's line (a press briefing on the day of a session; the lines under "Friday,
    Jan. 9")."""
    said = parent.window.precision is Precision.DAY and bool(re.search(r"\d", parent.phrase or ""))
    if not (said or listed_line):
        return False  # "next week", "today": only a programme's lines are dated within it
    span = _span(parent.window)
    if length < span:
        return True
    if parent.kind is Kind.VISIT and part and length == span:
        return True  # "talks with the Emir when he visits from 5 to 7 December"
    return length == span == 0 and (listed_line or (part and not _PART.search(parent.title))) \
        and not parent.reason.startswith("listed")


def _span(window: Window) -> int:
    if window.earliest is None or window.latest is None:
        return 100_000
    return (window.latest - window.earliest).days


# What a meeting has parts of its own called: an opening ceremony, a press conference.
_PART = re.compile(r"\b(?:ceremon(?:y|ies)|opening|closing|press\s+conferences?|news\s+"
                   r"conferences?|briefings?|(?:media|press)\s+availabilit(?:y|ies)|"
                   r"(?:media|photo|press)\s+opportunit(?:y|ies)|receptions?|dinners?|"
                   r"luncheons?|lunch(?:es)?|breakfasts?|banquets?|plenar(?:y|ies)|segments?|"
                   r"side\s+events?|bilateral|address|speech|keynote|family\s+photo|"
                   r"session\s+\d+|(?:opening|closing|final|plenary|high-level)\s+sessions?|"
                   r"announcement|awards?|prizes?|hand-?overs?)\b",
                   re.I)


def _tied_window(proposal: Proposal, target: Proposal, published: date) -> Window:
    """A tied follow-up's window from its occasion's: before it ("ahead of"), just after
    it ("following"), or on its days, widened by the margin."""
    occasion = target.window
    cue = proposal.anchor_cue or ""
    if cue in _BEFORE and occasion.earliest is not None:
        if not proposal.window.is_undated and proposal.window.latest is not None \
                and proposal.window.latest <= occasion.earliest:
            return proposal.window  # it has days of its own
        last = max(occasion.earliest, published)
        return Window.spanning(published, last)
    if cue in _CLOSING and occasion.latest is not None:
        return proposal.window if not proposal.window.is_undated \
            else Window.day(occasion.latest)
    if cue in _AFTER and occasion.latest is not None:
        if not proposal.window.is_undated:
            return proposal.window
        return Window.spanning(occasion.latest, occasion.latest + timedelta(days=7))
    if not proposal.window.is_undated and (
            occasion.is_undated or proposal.window.precision is Precision.DAY):
        return proposal.window  # its own days say more than the occasion's
    return derived_window(occasion, proposal.margin)

