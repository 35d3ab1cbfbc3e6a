"""What a clause commits to: the events it names with a future, an agreed or a due action.

Releases say what will happen in many ways: "will hold", "shall be held", "is to be signed",
"is expected to be completed", "plans to visit", "agreed to launch", "are set to meet",
"must be received by", "scheduled for the second half", and plain present tense with a date
still to come ("the forum convenes on 18 February"). Each of these is a *cue*; the words
after it (or, for "a summit to be held", before it) name the *event*: what an action creates
("hold the fourth round of talks", "sign a memorandum"), a subject that happens ("the summit
will take place"), or the action itself ("the ministers will meet", "will visit Japan").

What is not an event is left alone: ongoing work ("will continue to strengthen"), wishes and
possibilities ("may consider", "hoped to"), the past. Names end where the clause gives a
date, a place or an occasion: the caller says where those are. Pure functions over a clause.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from events.model import Kind

__all__ = ["EVENT_NOUN", "Commitment", "clean", "event_kind", "find", "kind_of", "listed_event",
           "names_a_thing", "phrase_at", "subject_at", "words"]


@dataclass(frozen=True)
class Commitment:
    """An event a clause commits to, named in the clause's own words."""

    title: str
    kind: Kind
    #: The words it rests on: "will hold", "to be signed", "convenes".
    cue: str
    #: Where in the clause the event is named, and where what is said of it ends.
    start: int
    end: int
    #: A day by which something is due ("must be received by 3 May"), not a span to chase.
    deadline: bool = False
    #: Named only in passing ("the upcoming summit", "the forum convenes"): kept if dated.
    needs_date: bool = False
    #: One of several listed together: the date said of the list is its date too.
    shares_time: bool = False
    #: Its date must follow its name closely ("the Summit on 12 May").
    near: bool = False
    #: Where what is said of it begins, when that is before its name ("will meet next week
    #: for the sixth round"): a date there is its date.
    at: int = -1
    #: The event it comes before or after, in the clause's words ("the Summit is to be
    #: preceded by the Ministerial Meeting"): ("before", "the Summit").
    relative: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.at < 0:
            object.__setattr__(self, "at", self.start)


# -- words ------------------------------------------------------------------------------------

EVENT_NOUN = (
    r"meetings?|summits?|conferences?|congress(?:es)?|fora|forums?|talks|dialogues?|"
    r"consultations?|negotiations?|sessions?|plenar(?:y|ies)|workshops?|seminars?|"
    r"symposi(?:um|a|ums)|webinars?|roundtables?|round[- ]tables?|hearings?|briefings?|"
    r"rounds?|ministerials?|assembl(?:y|ies)|councils?|committees?|commissions?|"
    r"working groups?|expert groups?|task ?forces?|visits?|trips?|tours?|missions?|"
    r"exercises?|drills?|manoeuvres|maneuvers|games|expos?|exhibitions?|fairs?|festivals?|"
    r"ceremon(?:y|ies)|celebrations?|retreats?|gatherings?|elections?|referendums?|"
    r"inaugurations?|openings?|courses?|trainings?|training\s+programmes?|camps?|"
    r"competitions?|contests?|consultation period|comment period|press conferences?|"
    r"news conferences?|doorsteps?|launch\s+events?|meeting|COP\s?\d+|G-?(?:7|8|20)|"
    r"receptions?|dinners?|luncheons?|lunch(?:es)?|banquets?|breakfasts?|galas?|parades?|"
    r"tournaments?|concerts?|rallies|vigils?|hackathons?|town\s+halls?|open\s+days?|"
    r"open\s+houses?|(?:media|press)\s+availabilit(?:y|ies)|photo\s+op(?:portunit(?:y|ies))?s?|"
    r"stakeouts?|walkabouts?|caucus(?:es)?|conclaves?|marathons?|screenings?|"
    r"graduations?|hearings?|(?:in-person|virtual|online)\s+events?|lectures?|keynotes?|"
    r"speeches|speech|(?:media|press|photo)\s+opportunit(?:y|ies)|finals?|semi-?finals?|"
    r"quarter-?finals?|play-?offs?|matches|championships?|draws?|premieres?|debates?|"
    r"(?<=[A-Za-z][’']\s)Meet|(?<=s[’']\s)meet|(?<=[A-Z][a-z]{2}\s)Meet\b|conclaves?|"
    r"(?<=\w\s)events(?=\s|$)|performances?|proclamations?|"
    r"events?(?=\s+(?:on|in|at|"
    r"for|to)\b)")
DOCUMENT_NOUN = (
    r"reports?|assessments?|reviews?|studies|study|surveys?|papers?|white papers?|"
    r"guidelines?|roadmaps?|road maps?|strateg(?:y|ies)|action plans?|plans?|frameworks?|"
    r"findings|results|outcomes?|outlooks?|recommendations?|proposals?|drafts?|statements?|"
    r"declarations?|communiqu[ée]s?|conclusions|decisions?|resolutions?|rules?|"
    r"regulations?|standards?|indicators?|inventor(?:y|ies)|atlas|handbooks?|toolkits?|"
    r"evaluations?|analys[ie]s|database|maps?|lists?|work programmes?|programmes? of work|"
    r"agenda|budgets?|bills?|laws?|legislation|amendments?|treaty text|texts?|charters?|"
    r"policy|policies|code|codes|criteria|methodolog(?:y|ies)|report card|summar(?:y|ies)|"
    r"minutes|recordings?|videos?|records?|proceedings|outcome documents?|advice|opinions?|"
    r"guidance|manuals?|catalogues?|registers?|brochures?|leaflets?|booklets?|notes?|"
    r"briefs?|updates?|newsletters?|bulletins?|forecasts?|projections?|estimates?|"
    r"documents?|papers?")
AGREEMENT_NOUN = (
    r"agreements?|accords?|memorand(?:um|a)(?:\s+of\s+understanding)?|MoUs?|MOUs?|"
    r"treat(?:y|ies)|conventions?|protocols?|deals?|pacts?|charters?|arrangements?|"
    r"contracts?|letters? of intent|joint statements?|declarations?|FTAs?|EPAs?|CEPAs?|"
    r"programmes? of cooperation|action plans?|work plans?|workplans?")
LAUNCH_NOUN = (
    r"programmes?|programs?|projects?|initiatives?|systems?|platforms?|centres?|centers?|"
    r"networks?|portals?|funds?|facilit(?:y|ies)|mechanisms?|hotlines?|offices?|"
    r"schemes?|campaigns?|services?|routes?|flights?|lines?|links?|corridors?|pilots?|"
    r"phases?|operations?|construction|works|studies|study|research|exchanges?|"
    r"cooperation|partnerships?|fellowships?|scholarships?|calls? for \w+|registers?|"
    r"registr(?:y|ies)|databases?|labs?|laboratories|stations?|hubs?|councils?|"
    r"committees?|commissions?|groups?|bod(?:y|ies)|task ?forces?|secretariats?|"
    r"dialogues?|mechanisms?|surveys?|reviews?|assessments?|monitoring|inventor(?:y|ies)|"
    r"embass(?:y|ies)|consulates?(?:\s+generals?)?|compounds?|premises|buildings?|"
    r"headquarters|plants?|factor(?:y|ies)|bridges?|roads?|railways?|ports?|terminals?|"
    r"airports?|hospitals?|clinics?|schools?|museums?|parks?|branches|branch|"
    r"representations?|liaison\s+offices?|trade\s+offices?|missions?")

_EVENT = re.compile(rf"\b(?:{EVENT_NOUN})\b", re.I)
_EVENT_AT = re.compile(rf"(?:{EVENT_NOUN})\b", re.I)


def _alternatives(pattern: str) -> list[str]:
    """The alternatives of a pattern's top level."""
    parts, depth, current, escaped = [], 0, "", False
    for char in pattern:
        if escaped:
            current, escaped = current + char, False
            continue
        escaped = char == "\\"
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _prefix(alternative: str) -> str:
    """The letters every match of an alternative begins with ("meeting" of "meetings?")."""
    letters = re.match(r"[A-Za-z-]*", alternative)
    prefix = letters.group(0) if letters else ""
    if alternative[len(prefix):len(prefix) + 1] == "?":
        prefix = prefix[:-1]  # the letter before "?" may be absent
    return prefix.lower()


# The first letters of every event noun, for finding them without trying the whole pattern at
# every character; the nouns written with a group first have theirs by hand.
_EVENT_PREFIXES = tuple(sorted({p for p in map(_prefix, _alternatives(EVENT_NOUN))
                                if len(p) > 1}
                               | {"media", "press", "photo", "virtual", "online", "meet",
                                  "event"}))


def event_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names an event by its noun: what ``_EVENT.finditer`` finds, faster."""
    spans: list[tuple[int, int]] = []
    end = 0
    for start, word in words(text):
        if start < end or not (word.startswith(_EVENT_PREFIXES) or word == "g" or (
                word == "in" and text.startswith("-person", start + 2))) or (
                start and (text[start - 1].isalnum() or text[start - 1] == "_")):
            continue
        match = _EVENT_AT.match(text, start)
        if match is not None:
            spans.append(match.span())
            end = match.end()
    return spans
_EVENT_LAST = re.compile(rf"\b(?:{EVENT_NOUN})$", re.I)
_DOCUMENT = re.compile(rf"\b(?:{DOCUMENT_NOUN})\b", re.I)
_AGREEMENT = re.compile(rf"\b(?:{AGREEMENT_NOUN})\b", re.I)
_LAUNCHED = re.compile(rf"\b(?:{LAUNCH_NOUN})\b", re.I)
# An event named by its acronym and number: "TEMM 21", "COP29", "SCO 2025", "G20".
_NUMBERED = re.compile(r"\b[A-Z][A-Za-z-]*[A-Z]\s?-?\d{1,4}\b|\bG-?(?:7|8|20)\b|"
                       r"\b\d{1,3}(?:st|nd|rd|th)\s+[A-Z]{2,}[a-z]?\b|"
                       # "Trade Week", "World Day Against Child Labour": named days and weeks
                       r"\b[A-Z][\w’'-]+\s+(?:Week|Day|Days|Fortnight)\b")
_REPORTISH = re.compile(r"\b(?:reports?|outcomes?|assessments?|studies|study|outlooks?|reviews?|"
                        r"declarations?|communiqu[ée]s?|strateg(?:y|ies)|summar(?:y|ies)|"
                        r"overviews?|advice|recommendations?|conclusions|plans?|roadmaps?|"
                        r"road\s+maps?|guidelines?|white\s+papers?|"
                        r"findings|results|papers?|atlas|surveys?|evaluations?|analys[ie]s|"
                        r"publications?|report card|data|statistics|inventor(?:y|ies))\b", re.I)
_DUE_PHRASE = re.compile(r"\b(?:the|a|an|your|their|its)\s+((?:[\w-]+\s+){0,3}?(?:forms?|"
                         r"applications?|comments?|submissions?|nominations?|proposals?|"
                         r"entries|registrations?|documents?|abstracts?|papers))\b", re.I)
_DUE = re.compile(r"\b(?:comments?|applications?|submissions?|nominations?|entries|"
                  r"proposals?|requests?|registrations?|bids|tenders?|abstracts?|"
                  r"responses|notices? of intent|forms?|documents?|candidacies|"
                  r"expressions? of interest|pre-registrations?|claims?|appeals?|"
                  r"petitions?|objections?|inputs?|contributions?|questions?|"
                  r"accreditations?|letters?)\b", re.I)

_ADVERBS = (r"(?:(?:also|then|jointly|soon|now|again|first|both|each|formally|officially|"
            r"subsequently|later|further|shortly|together|personally|once\s+again|in\s+turn|"
            r"next|still|separately|respectively|thereafter|probably|likely|finally|"
            r"eventually|immediately|reportedly|initially|duly|ultimately|be\s+able\s+to|"
            r"all|also\s+jointly)\s+)*")

# Verbs by what they say of the event.
_VISIT = (r"visit|tour|travel\s+to|travel\s+on\s+to|go\s+on\s+to|go\s+to|head\s+to|fly\s+to|"
          r"arrive\s+in|be\s+in|stop\s+in|call\s+(?:at|on)|"
          r"pay\s+(?:an?\s+)?(?:\w+\s+){0,3}visits?\s+to|make\s+(?:an?\s+)?(?:\w+\s+){0,3}"
          r"(?:visits?|trips?|tours?|journeys?)\s+to|undertake\s+(?:an?\s+)?(?:\w+\s+){0,3}visits?\s+to|"
          r"embark\s+on\s+(?:an?\s+)?(?:\w+\s+){0,3}(?:visit|trip|tour)\s+to|"
          r"(?:lead|head|send|dispatch)\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,4}"
          r"(?:delegation|mission|team)(?:\s+of\s+(?:[\w’'-]+\s+){1,8}?)?\s*to")
_MEET = (r"brief\s+(?:reporters|journalists|the\s+press|the\s+media|media)|"
         r"pay\s+(?:a\s+|an\s+)?(?:courtesy\s+|separate\s+|official\s+)?calls?\s+on|"
         r"speak\s+(?:to|at|before)|deliver\s+(?:a\s+)?(?:speech|address|remarks)|"
         r"give\s+(?:a\s+)?(?:speech|address|lecture|talk|statement|presentation|remarks)|"
         r"address\s+(?:the\s+)?"
         r"(?:delegates|participants|audience|nation|parliament)|"
         r"meet|gather|sit\s+down|confer|get\s+together|come\s+together|assemble|reconvene|"
         r"convene|hold\s+talks|hold\s+consultations|hold\s+discussions|hold\s+bilateral\s+"
         r"(?:talks|meetings|consultations)|hold\s+a\s+(?:bilateral\s+)?(?:meeting|talks)\s+with")
_HOLD = (r"hold|host|convene|organi[sz]e|stage|co-host|co-organi[sz]e|arrange|attend|"
         r"participate\s+in|take\s+part\s+in|join|chair|co-chair|have|run|resume|call|"
         r"schedule|mark|celebrate|commemorate|observe|open|head|be\s+present\s+at|"
         r"coordinate|preside\s+over|moderate|lead|facilitate|give|watch|see|witness|"
         r"address|speak\s+at|deliver\s+(?:a\s+)?(?:keynote|speech|address)\s+at")
_SIGN = (r"sign|ink|conclude|seal|initial|ratify|finali[sz]e|agree\s+on|strike|"
         r"enter\s+into(?!\s+force)|pass(?=\s+(?:the|its|their|his|her)\s+(?:\w+\s+){0,3}"
         r"(?:presidency|chair))|transfer|renew|extend|exchange|hand\s+over|take\s+over|assume")
_PUBLISH = (r"publish|release|issue|present|submit|deliver|unveil|table|circulate|send|"
            r"report|announce|make\s+public|produce|prepare|draft|compile|develop|draw\s+up|"
            r"update|revise|complete|adopt|approve|endorse|designate|appoint|name|select|"
            r"elect|award|pick|choose|consider|decide|formulate|put\s+forward|come\s+up\s+with|"
            r"lay\s+out|outline|finali[sz]e|agree")
_LAUNCH = (r"launch|inaugurate|start|begin|commence|kick\s+off|initiate|establish|set\s+up|"
           r"create|form|found|introduce|roll\s+out|implement|deploy|conduct|carry\s+out|"
           r"undertake|finish|build|construct|broaden|expand|extend|restart|reopen|"
           r"pilot|trial|test|open|operate|put\s+in\s+place|put\s+into\s+operation")
# Participles that make their subject an event: "the summit will be held".
_PARTICIPLE = (r"held|convened|hosted|organi[sz]ed|staged|signed|concluded|inked|sealed|"
               r"initialled|initialed|ratified|published|released|issued|unveiled|launched|"
               r"opened|inaugurated|started|begun|commenced|established|set\s+up|created|"
               r"introduced|completed|finali[sz]ed|finished|adopted|approved|endorsed|"
               r"presented|submitted|delivered|tabled|circulated|announced|made\s+public|"
               r"prepared|drafted|produced|developed|updated|revised|reviewed|discussed|"
               r"considered|decided|designated|appointed|named|selected|elected|awarded|"
               r"conducted|carried\s+out|undertaken|implemented|rolled\s+out|reopened|"
               r"resumed|restarted|extended|expanded|built|constructed|reported|sent|"
               r"shared|handed\s+over|paid|made|attended|marked|celebrated|commemorated|"
               r"observed|scheduled|rescheduled|postponed|received|filed|lodged|registered|"
               r"provided|postmarked|accepted|evaluated|assessed|examined|chosen|picked|"
               r"formed|founded|convened|put\s+in\s+place|laid\s+out|outlined|"
               r"implemented|brought\s+into\s+force|translated|distributed|posted|"
               r"broadcast|streamed|webcast|opened\s+for\s+signature|renewed|briefed|arranged|"
               r"given|put\s+before|laid\s+before|brought\s+before|put\s+to|"
               r"welcomed|greeted|"
               r"put\s+to\s+a\s+vote|voted\s+on|passed\s+on|forwarded|put\s+online|"
               r"posted\s+online|made\s+available|played|contested")
# Happening verbs, their subject the event: "the forum takes place", "talks begin".
_HAPPEN = (r"take\s+place|begin|start|open|commence|kick\s+off|run|close|conclude|end|"
           r"convene|meet|resume|reconvene|come\s+into\s+force|enter\s+into\s+force|"
           r"take\s+effect|go\s+ahead|get\s+under\s*way|happen|be\s+on|be\s+in\s+session|"
           r"proceed|follow|be\s+(?:due|ready|available|out|published|completed)")

# Work that goes on, wishes and talk: not events, whatever tense they are in.
_ONGOING = re.compile(
    r"(?:continue|keep|maintain|strengthen|enhance|deepen|promote|support|work|cooperate|"
    r"collaborate|render|further|seek|strive|explore|stress|help|contribute|play|ensure|"
    r"focus|remain|step\s+up|encourage|provide|offer|pursue|"
    r"build\s+on|look\s+(?:at|into|for)|tackle|discuss|talk|raise|boost|increase|reduce|"
    r"improve|invest|fund|allocate|benefit|serve|need|want|stay|bring|assist|enable|"
    r"allow|protect|respect|uphold|advance|accelerate|monitor|reaffirm|reiterate|welcome|"
    r"note|recogni[sz]e|express|emphasi[sz]e|underline|highlight|commend|thank|congratulate|"
    r"appreciate|urge|invite|request|ask|hope|wish|believe|say|tell|add|affect|include|"
    r"involve|cover|feature|bring\s+together|be\s+(?:able|happy|glad|ready|willing|"
    r"committed|responsible|key|important|critical|essential|crucial|a\s+)|make\s+(?:efforts|"
    r"every|sure|progress)|take\s+(?:steps|measures|action|part\s+in\s+efforts)|"
    r"study\s+ways|examine|follow\s+up\s+on|review\s+progress|share\s+(?:information|views|"
    r"experience|best)|exchange\s+(?:views|information|experiences|ideas)|"
    r"consider\s+(?:how|ways|whether|the\s+possibility))\b", re.I)
# A possibility, a proposal, a wish or the past, just before a cue.
# "May" in the middle of a clause is the month ("On 2 May the minister will ..."); the
# modal begins a clause when it is capitalised.
_MAYBE = re.compile(
    r"\b(?:(?-i:may)|(?-i:MAY)(?!\s*\d)|(?<![\w,]\s)(?<![\w-])(?-i:May)|might|could|would|"
    r"possibly|possibility|proposed|proposes|propose|"
    r"suggested|suggests|suggest|considered|considering|consider|hoped|hopes|hope|"
    r"wish(?:es|ed)?|want(?:s|ed)?|called\s+(?:on|for)|urged?|invited\s+\w+\s+to|"
    r"whether|if|unless|was\s+due|were\s+due|had\s+been|had\s+planned|"
    r"was\s+expected|were\s+expected|was\s+scheduled|were\s+scheduled|was\s+to|were\s+to|"
    r"said\s+(?:it|they|he|she)\s+(?:would|could))\b", re.I)

# What a cue says of a wish, of a pledge only discussed, and what joins one action to the next
# ("hold A and sign B"): compiled once, as every cue is tried against them.
_WISHED = re.compile(r"\b(?:hopes?|hoped|hoping|wish(?:es|ed)?|wants?|wanted|seeks?|seeking)\b",
                     re.I)
_PLEDGE = re.compile(r"(?:offer|decision|agreement|plans?|commitment|intention|undertaking|"
                     r"pledge)\b", re.I)
_DISCUSSED = re.compile(r"\b(?:discuss\w*|consider\w*|propos\w*|review\w*|explor\w*|"
                        r"possible|potential|draft|no|any)\s+(?:\w+\s+){0,2}$", re.I)
_COMMA = re.compile(r"[,;]")
_MORE = re.compile(r"(?:,\s*|\s+)(?:and|as\s+well\s+as|then|before|after\s+which)\s+"
                   rf"(?:(?:will|shall|to|would)\s+)?{_ADVERBS}(?=\w)")
# ``_MAYBE`` finds nothing in a text without one of these.
_MAYBE_WORDS = ("may", "might", "could", "would", "possib", "propos", "suggest", "consider",
                "hope", "hoping", "wish", "want", "called", "urge", "invited", "whether", "if",
                "unless", "was", "were", "had", "said")


def maybe(text: str, start: int = 0, end: int | None = None) -> bool:
    """Whether ``text`` (from ``start`` to ``end``) says something may happen, is wished or
    was planned once."""
    end = len(text) if end is None else end
    lower = text[start:end].lower()
    return any(word in lower for word in _MAYBE_WORDS) and bool(_MAYBE.search(text, start, end))


_PURPOSE = re.compile(r"[^.;:]{0,80}?\bto\s+(?P<verb>attend|take\s+part\s+in|participate\s+in|"
                      r"join|address|speak\s+at|chair|co-chair)\s+(?:the|a|an|this|its)\s+",
                      re.I)
_LISTED_BEFORE = re.compile(r"(?:^|[\s,])(?:the|a|an)\s+(?P<name>[^,;]{2,80}?)\s*$", re.I)
_WHO_WISH = re.compile(r"\b(?:who|that)\s+(?:wish|wishes|want|wants|hope|hopes|plan|plans|"
                       r"intend|intends)\s+to\b", re.I)

_CUE = re.compile(
    r"(?P<agreed>\b(?:agreed|agree|decided|decides|decide|resolved|resolves|pledged|"
    r"committed|undertook|undertakes|promised|promises|vowed|vows|consented|"
    r"concurred|offered|offering|reached\s+(?:an\s+)?agreement|are\s+determined|"
    r"is\s+determined|approved\s+(?:a\s+)?(?:plans?|proposals?)|"
    r"(?:expressed|confirmed)\s+(?:their|its|his|her)?\s*(?:readiness|willingness|"
    r"intention|commitment))(?:\s+in\s+principle|\s+\w+ly|\s+(?:in|at)\s+[A-Z][\w-]*"
    r"(?:\s+[A-Z][\w-]*)?|\s+on\s+\w+day|\s+today|\s+yesterday)?\s+(?:to|on)\s+)"
    r"|(?P<tasked>\b(?:tasked|instructed|directed|mandated|asked|requested|commissioned|"
    r"charged|entrusted|committed)\s+(?:the\s+)?(?:[\w’'-]+\s+){1,8}?(?:to|with)\s+)"
    rf"|(?P<future>\b(?:will|shall|’ll|'ll)\s+{_ADVERBS})"
    rf"|(?P<reported>\bwould\s+{_ADVERBS})"
    rf"|(?P<duein>\b(?:is|are)\s+{_ADVERBS}due\s+(?:back\s+)?(?=(?:in|at)\s+[A-Z]))"
    rf"|(?P<progressive>\b(?:is|are)\s+{_ADVERBS}(?=(?:holding|hosting|organi[sz]ing|"
    r"convening|welcoming|launching|signing|publishing|releasing|visiting|opening|staging|"
    r"co-hosting|co-chairing|chairing|leading|heading|attending|travell?ing|flying|"
    r"receiving|unveiling|inaugurating)\b))"
    rf"|(?P<expected>(?:\b(?:is|are|was|were|be|been|remain|remains|being)\s+{_ADVERBS})?"
    r"\b(?:expected|scheduled|set|slated|planned|poised|likely|going|supposed|"
    r"tentatively\s+scheduled|tentatively\s+set|penciled\s+in|pencilled\s+in|confirmed|"
    r"targeted|timed|slotted|meant|intended|"
    r"required|requested|invited|asked|encouraged|due)\s+to\s+(?!(?:the|a|an|its|their|"
    r"this|that|these|those|bad|poor|lack|high|low|heavy|concerns?|covid)\b))"
    r"|(?P<plans>\b(?:plans?|planned|planning|intends?|intended|intending|aims?|aimed|"
    r"aiming|prepares?|preparing|is\s+preparing|are\s+preparing|seeks?|seeking|hopes?|"
    r"hoped|hoping|wants?|wanted|wishes|wished|looks?\s+forward|looking\s+forward|"
    r"looked\s+forward|(?:offer|decision|agreement|plans?|commitment|intention|"
    r"undertaking|pledge)(?:\s+of\s+(?:the\s+)?[\w’'-]+(?:\s+[\w’'-]+){0,3}?)?)"
    r"\s+to\s+)"
    r"|(?P<obliged>\b(?:must|should|needs?\s+to|have\s+to|has\s+to|"
    # "Those who wish to attend may register by 14 February": leave with a deadline
    r"may(?=\s+(?:register|apply|enrol|enroll|sign\s+up|submit|send|rsvp)\b))\s+)"
    r"|(?P<tobe>\b(?:is|are)\s+to\s+)"
    r"|(?P<passive>\bto\s+be\s+(?=(?:jointly\s+|formally\s+|officially\s+|also\s+)?"
    + _PARTICIPLE + r"\b))"
    r"|(?P<scheduled>\b(?:scheduled|set|slated|planned|due|earmarked|penciled|pencilled|"
    r"tentatively\s+set|tentatively\s+scheduled|fixed|timed)\s+(?:in\s+)?for\s+)"
    r"|(?P<upcoming>\b(?:upcoming|forthcoming|coming|next|ensuing|future|"
    r"subsequent|scheduled|(?<=the\s)planned|(?<=the\s)following)\s+(?=\S))"
    r"|(?P<tocome>\bto\s+come\b)",
    re.I)
# Cues that begin an action; the next one ends the words of the one before.
_ACTION_CUES = {"agreed", "future", "expected", "plans", "obliged", "tobe", "tasked",
                "progressive", "duein", "reported"}
# "X said that the results would go to the Committee": reported speech.
_REPORTING = re.compile(r"\b(?:said|says|announced|stated|told\s+[\w ]{1,30}?|added|noted|"
                        r"confirmed|explained|indicated|informed\s+[\w ]{1,30}?|reported|"
                        r"revealed|disclosed)\b(?!.*\b(?:if|unless|whether)\b)", re.I)

# Words in -ing that are names, not verbs, so they do not end a name ("a press briefing").
_ING_NOUNS = (r"meeting|meetings|briefing|signing|training|opening|gathering|hearing|building|"
              r"funding|planning|financing|processing|fishing|shipping|farming|mining|"
              r"engineering|housing|trading|banking|manufacturing|policing|peacekeeping|"
              r"monitoring|reporting|spring|king|ring|wing|morning|evening|ceiling|setting|"
              r"standing|understanding|wellbeing|being|bring|string|thing|something|nothing|"
              r"everything|anything|during|swearing|landing|offering|ruling|sitting|"
              r"screening|dumping|recycling|cooling|heating|warming|clearing|mapping|"
              r"rebuilding|marketing|networking|learning|teaching|nursing|sewing|catering|"
              r"bidding|rating|counting|testing|coaching|tracking|logging|crossing|"
              r"warning|warnings|lending|spending|pricing|licensing|booking|ticketing|"
              r"boarding|wedding|welding|boxing|cycling|rowing|sailing|skiing|skating|"
              r"timing|outing|programming|pudding|herring|sibling|earnings|savings|"
              r"proceedings|findings|holdings|surroundings|beginnings|belongings|"
              r"drawing|painting|writing|reading|listing|posting|rating|casting|"
              r"broadcasting|streaming|springing|following")

_BOUNDARY = re.compile(
    r"\s*(?:[,;:(]|\s[–—-]\s|[–—]|\bwhere\b|\bwhich\b|\bwho\b|\bwhose\b|\bwhen\b|\bwhile\b|"
    r"\b(?:scheduled|slated|planned|expected|set|due)\s+(?:to|for)\b|\bto\s+be\b|"
    r"\b(?:will|shall|would|is|are|was|were)\b|"
    r"\bthat\s+(?:will|would|is|are|was|were|aims?|seeks?)\b|\bso\s+(?:that|as)\b|"
    r"\bin\s+order\b|\bwith\s+a\s+view\b|\baimed\s+at\b|\baiming\b|\bas\s+part\s+of\b|"
    r"\bunder\s+the\b|\bto\s+(?:discuss|review|consider|examine|explore|exchange|assess|"
    r"evaluate|conclude|mark|celebrate|address|take|follow|prepare|agree|adopt|strengthen|"
    r"promote|deepen|advance|negotiate|coordinate|look|see|talk|share|present|help|"
    r"support|decide|develop|identify|seek|find|build|boost|explain|brief|hear|provide|"
    r"ensure|focus|work|continue|set|map|chart|plan|study|tackle|outline|showcase|"
    r"highlight|be\s|become|make|lay|pave|start|begin|create|establish|update|reflect|"
    r"consult|inform|gather|collect|enhance|improve|bring|launch|finali[sz]e|sign|"
    r"review|celebrate|launch|raise|mobilize|mobilise|accelerate|attract|secure|reach|"
    r"achieve|deliver|promote|protect|reduce|combat|fight|prevent|respond|commemorate|"
    r"honour|honor|welcome|receive|hold|meet|visit|attend|join|open|host|tour|inspect|"
    r"sign)\b|\bon\s+(?:the\s+)?(?:sidelines|margins?|occasion|"
    r"fringes?)\b|\bat\s+the\s+margins?\b|\bahead\s+of\b|\bin\s+the\s+(?:run|lead)-up\b|"
    r"\bin\s+preparation\s+for\b|\bfollowing\b|\bduring\b|\bin\s+conjunction\b|"
    r"\balongside\b|\bback-to-back\b|\bat\s+(?:the|its|their)\s+(?:next|upcoming|"
    r"forthcoming|\d+\w*|first|second|third|fourth|fifth)\b|\bbefore\b|\bafter\b|"
    r"\bfor\s+the\s+(?:first|second|third|purpose)\b|\bby\s+(?:the\s+)?(?:end|middle|"
    r"beginning|close)\b|\bno\s+later\s+than\b|\bnot\s+later\b|\band\s+(?:will|to|would|"
    r"shall|then|also)\b|\bthis\s+(?:week|month|year|weekend)\b|\bnext\s+(?:week|month|"
    r"year)\b|\blater\s+(?:this|in)\b|\btoday\b|\btomorrow\b|\bonce\b|\buntil\b|"
    r"\bwith\s+(?:the\s+)?(?:aim|goal|purpose|participation|theme|support)\b|"
    r"\bwith\s+(?:a\s+)?focus\b|\bat\s+an\s+early\s+date\b|\bat\s+the\s+earliest\b|"
    r"\bat\s+(?:a|the|an)\s+(?:mutually\s+)?(?:convenient|agreed|appropriate|suitable|later|"
    r"agreeable|opportune)\s+(?:time|date|moment)\b|\bat\s+a\s+(?:time|date)\s+to\s+be\b|"
    r"\bas\s+soon\s+as\b|\bin\s+due\s+course\b|\bsoon\b|\bfocus(?:ing|ed)\s+on\b|\bthrough\b|\bvia\b|\bat\s+which\b|"
    r"\bcovering\b|\bincluding\b|\binvolving\b|\bbringing\b|\bhosted\s+by\b|"
    r"\b(?:organi[sz]ed|staged|given|performed|presented|offered|arranged|convened|"
    r"put\s+on)\s+by\b|\bchaired\s+by\b|\bled\s+by\b|\bsponsored\s+by\b|"
    r"\bsupported\s+by\b|\bfunded\s+by\b|\bproposed\s+by\b|\bas\s+well\s+as\b|"
    r"\bat\s+\d{1,2}(?:[.:]\d\d)?\s*(?:a\.?m\b|p\.?m\b|h\b|hrs\b|o[’']clock)?|"
    r"\b(?:annually|every\s+(?:year|month|quarter|two\s+years|other\s+year)|each\s+year|"
    r"regularly|periodically|biannually|biennially|twice\s+a\s+year|once\s+a\s+year)\b|"
    r"\band\s+(?=(?:" + _LAUNCH + "|" + _HOLD + "|" + _SIGN + "|" + _PUBLISH + "|" + _VISIT
    + "|" + _MEET + r")\b))",
    re.I)
# A verb in -ing takes an object ("supporting Palestinian ...", "reviewing the round"); a
# noun in -ing does not ("air quality forecasting and ...").
_ING = re.compile(r"\s(?!(?:" + _ING_NOUNS + r")\b)[a-z]+ing(?=\s+(?:the|a|an|its|their|his|"
                  r"her|our|this|these|those|[A-Z]))")

# Where a name before a cue begins: after a determiner, a verb, a preposition (not "of",
# which is inside names: "the fourth round of talks") or punctuation.
_NAME_EDGE = re.compile(
    r"(?:^|[,;:(“\"”]|\s[–—-]\s|\b(?:the|a|an|its|their|this|these|those|his|her|our|"
    r"will|would|shall|is|are|was|were|be|been|has|have|had|and|or|but|with|that|which|"
    r"who|continue|continues|said|says|agreed|on|in|at|for|to|by|from|during|between|among|"
    r"occasion\s+of|sidelines\s+of|margins?\s+of|framework\s+of|part\s+of|ahead\s+of)\b)"
    r"\s*", re.I)

# What stands between a verb and its subject, to be taken off: an aside between commas
# (", who arrived on Monday,"), a reporting frame, an opening phrase, an earlier clause.
_ASIDE = re.compile(r",\s+(?:(?:the|a|an)\s+[\w-]+(?:\s+[\w-]+)?\s+)?(?:who|which|whose|where|"
                    r"when|that)\b[^,;]{0,120},")
_FRAME = re.compile(r"\b(?:said|says|announced|announces|told\s+[\w ]{1,40}?|reported|reports|"
                    r"added|noted|notes|stated|states|explained|confirmed|indicated|"
                    r"informed\s+[\w ]{1,40}?)\b[^.;]{0,60}?\bthat\s+|\b(?:said|says|added|noted|"
                    r"stated|explained)\s*,\s+|\b(?:said|says|announced|"
                    r"added|noted|stated|confirmed|explained|believes|expects)\s+(?=(?:the|a|an|"
                    r"its|their|this|these)\s)")
_CLAUSE_EDGE = re.compile(r";\s+|,\s+(?:and|but|while|whereas|so)\s+|\s+(?:but|when|where|"
                          r"while|whereas|which|who|that|as|so|because|since|once|after|"
                          r"before|if|although)\s+|\b(?:and|but)\s+(?=(?:the|a|an|its|their)"
                          r"\s)|^(?:and|but|or|so)\s+", re.I)
_OPENING = re.compile(r"^(?:(?:Following|After|Before|Ahead\s+of|At|During|On|In|By|Under|Within|"
                      r"According\s+to|As|Meanwhile|Moreover|Furthermore|In\s+addition|"
                      r"Additionally|Also|Then|Next|Separately|Finally|Subsequently|Later|"
                      r"Today|Tomorrow|This\s+week|Next\s+week|Earlier|Once|While|Besides|"
                      r"However|Thus|Therefore|Accordingly|Specifically|Together|Similarly|"
                      r"Likewise)\b[^,]{0,120},\s*|(?:Meanwhile|Moreover|Furthermore|"
                      r"Additionally|Also|Then|Separately|Finally|Subsequently|Later|However)"
                      r"\s+)", re.I)
# "WINNIPEG, March 12 — ", "New Delhi, Mar 15 (PTI) ", "REPORT.AZ/ ", "SUMMARY: ".
_DATELINE = re.compile(
    r"^\s*(?:[A-Z][\w.'’ -]{1,40},\s+(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8})"
    r"(?:[,/]\s*\d{4})?(?:/\w+/)?\s*(?:\([A-Za-z]+\)\s*)?(?:[—–-]+\s*)?|[A-Z][A-Z.]{2,20}/\s*|"
    r"[A-Z][A-Z ]{2,30}:\s+|\([A-Za-z]+\)\s*[—–-]?\s*|[A-Z][A-Z .'’-]{2,30}\s+[—–-]+\s+)")
# "South Africa to head ...", "Top Turkish diplomat to visit Pakistan": a subject of a few
# words, with no verb of its own, then "to" and the action planned.
_HEADLINE = re.compile(
    r"^[^\w“\"]*(?!(?:The|A|An|This|That|These|Those|Its|Their|His|Her|Our|It|They|We|"
    r"He|She|There|Plans?|Efforts?|Steps?|Moves?|Work|Aim|Goal|Purpose|Decision)\b)"
    r"(?:[A-Z][\w’'.-]*)(?:\s+(?!(?:is|are|was|were|has|have|had|will|would|"
    r"shall|can|could|may|might|must|should|do|does|did|in\s+order|order|how|what|why|"
    r"where|when|who|which|that|seeks?|plans?|wants?|aims?|hopes?|needs?|agreed|decided|"
    r"went|came|tried|failed|able|according|due|set|expected|likely)\b)[\w’'.-]+){0,6}?"
    r"\s+(?=to\s+[a-z])(?P<to>to\s+)")
_TO = re.compile(r"to\s+")
# Where an obligation says by when: "..., no later than 13.00 on 21 November".
_DEADLINE_AFTER = re.compile(r",?\s+(?:no\s+later\s+than|not\s+later\s+than|by|before|until)\s+"
                             r"(?=\S*\d|(?:the\s+)?(?:end|close|mon|tue|wed|thu|fri|sat|sun|jan|"
                             r"feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", re.I)
_RELATIVE_SUBJECT = re.compile(r"^\W*(?P<np>(?:The|A|An|This|Its|Their|Any|Each)\s+[^,;]{1,60}?)"
                               r"\s+(?:that|which|who)\s+[^,;]*$")
# What can be visited besides a place with a name: "a hydrogen electrolyser plant".
_SITE = re.compile(r"\b(?:plants?|sites?|factor(?:y|ies)|facilit(?:y|ies)|ports?|harbou?rs?|"
                   r"centres?|centers?|museums?|schools?|universit(?:y|ies)|hospitals?|projects?|"
                   r"farms?|mines?|refiner(?:y|ies)|exhibitions?|fairs?|headquarters|offices?|"
                   r"bases?|camps?|region|regions|provinces?|cit(?:y|ies)|towns?|villages?|"
                   r"islands?|parks?|reserves?|stations?|laborator(?:y|ies)|labs?|institutes?|"
                   r"embass(?:y|ies)|consulates?|parliament|capital|area|areas|border|"
                   r"countries|country|states?)\b", re.I)
_DATED_OPENING = re.compile(r"^(?:At\s+\d{1,2}(?:[:.]\d\d)?\s*(?:a\.m\.|p\.m\.|am|pm|h)\s+|"
                            r"(?:This|Next|Later\s+this|Early\s+next)\s+(?:year|month|week|"
                            r"spring|summer|autumn|fall|winter),?\s+|(?:Today|Tomorrow|Tonight),?\s+)"
                            r"|^(?:On|In|From|By)\s+(?:the\s+(?:morning|afternoon|evening|night)"
                            r"\s+of\s+)?(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?"
                            r"\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+|[A-Z][a-z]+\s+\d{1,2}"
                            r"(?:st|nd|rd|th)?)(?:,?\s+\d{4})?,?\s+")
_WELCOME = re.compile(r"(welcom(?:e|ing)|receiv(?:e|ing)|invit(?:e|ing)|host(?:ing)?)\s+"
                      r"[^,;.]{1,100}?\b(?:to|for)\s+(?:a|an|the|their|its)\s+", re.I)
# A verb of the clause's own: then "X to do" is not a headline ("The decision to hold the
# meeting was welcomed").
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|shall|did|does|do)\b")
# Verbs whose subject can only be an event.
_HELD = re.compile(r"(?:takes?\s+place|take\s+place|held|convened|staged|be\s+held|played|"
                   r"contested|(?:is|are)\s+(?:now\s+)?on|(?:is|are)\s+(?:now\s+)?(?:fixed|set)\s+"
                   r"for|(?:has|have)\s+(?:now\s+)?been\s+(?:moved|rescheduled|brought\s+forward|"
                   r"pushed\s+back|shifted|fixed|set|scheduled|extended)\s+(?:to|for)|follows?|"
                   r"gets?\s+under\s*way|kicks?\s+off|tips?\s+off)$", re.I)
# Who a scheduled thing cannot be: "the minister is on leave until May".
_PERSON = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|minister|president|secretary|director|chair(?:man|"
                     r"woman|person)?|ambassador|envoy|governor|mayor|premier|chancellor|king|"
                     r"queen|prince|princess|he|she|they|we|I|you|spokes(?:man|woman|person)|"
                     r"official|officials|delegation|team|side|sides|leader|leaders)\b", re.I)
_HAPPEN_ALONE = re.compile(r"begin|start|open|resume|restart|reopen|commence|kick\s+off|"
                           r"launch|convene|close|conclude|run|end|lift\s+off|blast\s+off",
                           re.I)
_TRAILING_ADVERB = re.compile(r"(?:\s+(?:further|also|then|jointly|now|again|both|each|"
                              r"together|separately|themselves|itself|too|soon|later))+$",
                              re.I)
_PRONOUN = re.compile(r"(?:it|they|he|she|we|both|both\s+sides|the\s+two|the\s+two\s+sides|"
                      r"the\s+sides|the\s+parties|the\s+two\s+countries|I|you)", re.I)
# Those a document can go to: "the heads of state", "the ministers", "Parliament".
_PEOPLE = re.compile(r"(?:heads?\s+of\s+(?:state|government)|leaders|ministers|members|"
                     r"parliaments?|governments?|presidents?|senate|congress)\b", re.I)
_PRESIDENCY = re.compile(r"^(?:(?:rotating|pro\s+tempore|\w+)\s+){0,3}(?:presidency|"
                         r"chair(?:manship|mans?hip)?)\b", re.I)
_BODY = re.compile(r"\b(?:committee|council|commission|panel|group|board|AP|forum|assembly|"
                   r"ministers|leaders|officials|negotiators|delegations?|experts|"
                   r"secretaries|envoys|representatives|heads|senior\s+officials|"
                   r"counterparts|governors|chiefs|members)\b", re.I)
# Events named by what is done: "the launch of new reports", "the signing of the deal".
_NOMINAL = re.compile(r"(launch|signing|signature|adoption|publication|release|opening|"
                      r"inauguration|presentation|entry\s+into\s+force|vote|ratification|"
                      r"handover|hand-over|unveiling|announcement|designation|appointment|"
                      r"election|award|completion|submission|start|launching|kick-off)"
                      r"\s+(?:of|on)\s+", re.I)


# What opens or starts a meeting is as often a part of it ("Opening of the symposium") as
# the start of something new: its name says which.
_PART_OF_EVENT = re.compile(r"opening|inauguration|start|kick-off|presentation|announcement|"
                            r"award", re.I)


def nominal_kind(word: str) -> Kind:
    word = word.lower()
    if word.startswith("launch") or word in ("opening", "inauguration", "start",
                                              "kick-off", "unveiling"):
        return Kind.LAUNCH
    if word in ("publication", "release", "presentation", "submission"):
        return Kind.REPORT
    return Kind.OTHER


_OPENING_WORD = re.compile(r"^(?:(?:Following|After|Before|During|At|In|On|Ahead|By|For|From|"
                           r"With|Under|As|When|While|Since|Until|Once|Then|Also|Both|"
                           r"Meanwhile)\s+(?:of\s+)?(?:the\s+)?)+")
_PROPER_EVENT = re.compile(
    r"(?P<name>(?:[A-Z][\w’'/&.-]*\s+(?:(?:of|and|on|for|the)\s+)*){0,8}?"
    r"(?:Meeting|Summit|Conference|Forum|Council|Assembly|Session|Dialogue|Congress|"
    r"Ministerial|Talks|Symposium|Workshop|Festival|Expo|Games|Round|Plenary|Convention|"
    r"Roundtable|Retreat|Lecture|Final|Finals|Cup|Championships?)s?(?:\s+of\s+\d{1,3})?"
    r"(?:\s+\([A-Z][\w\s-]{1,20}\))?"
    r"|\b[A-Z][A-Za-z-]*[A-Z]\s?-?\d{1,4}\b|\bCOP\s?\d+\b)")
_PROPER_HINT = re.compile(r"Meeting|Summit|Conference|Forum|Council|Assembly|Session|Dialogue|"
                          r"Congress|Ministerial|Talks|Symposium|Workshop|Festival|Expo|Games|"
                          r"Round|Plenary|Convention|Retreat|Lecture|Final|Cup|Championship|"
                          r"[A-Z]\s?-?\d")
# "the Mongolian President's visit to Russia", "Minister Kwak's official trip to Austria"
_DATED_VISIT = re.compile(
    r"(?P<name>(?:[A-Z][\w.’'-]*\s+){0,4}[A-Z][\w.-]*(?:’s|'s)\s+(?:(?:official|state|"
    r"working|first|planned|upcoming|forthcoming|next)\s+)*(?:visit|trip)\s+to\s+(?:the\s+)?"
    r"[A-Z][\w-]*(?:\s+(?:of\s+)?[A-Z][\w-]*){0,3})")
# ``_PROPER_HINT``'s words in lower case: one of them, or a digit, is in any text it finds.
_HINT_WORDS = tuple(w.lower() for w in _PROPER_HINT.pattern.split("|")[:-1])
_DIGIT = re.compile(r"\d")
_THING_PHRASE = re.compile(rf"\b(?:(?:the|a|an|its|their|these|those)\s+)?"
                           rf"(?:(?!and\b)[\w’'/-]+\s+){{0,4}}?"
                           rf"\b(?:{DOCUMENT_NOUN}|{AGREEMENT_NOUN})\b", re.I)
_EVENT_PHRASE = re.compile(rf"(?:\b(?:the|a|an|its|their)\s+|[\w-]+(?:’s|'s)\s+)"
                           rf"(?P<name>(?:(?!(?:the|a|an|to|of|for|and|or|was|were|is|are|"
                           rf"will|with|by)\b)[\w’'/-]+\s+){{0,6}}?"
                           rf"(?:{EVENT_NOUN})\b)", re.I)
_WORD = re.compile(r"\S+")
# The rest of a capitalised list inside a name: ", Freedom and Security Ministerial Meeting".
_TITLE_LIST = re.compile(r",\s+(?:[A-Z][\w-]*,?\s+)*?(?:and|&)\s+[A-Z][\w-]*\s+[A-Z]")
# A name's acronym in parentheses, and what the clause goes on to say of it.
_ACRONYM_THEN = re.compile(r"(\([A-Z][A-Za-z0-9-]{1,12}(?:\s?\d{1,4})?\))\s+(?:with|for|to|from|"
                           r"on|in|at|by|under|and|which|who|that)\b")
_WORD_START = re.compile(r"[A-Za-z’']+")


@lru_cache(maxsize=16)
def _scan(pattern: re.Pattern[str], text: str, triggers: frozenset[str],
          marks: str = "") -> tuple[re.Match[str], ...]:
    """``pattern.finditer(text)``, tried only where a word in ``triggers`` (or a character
    in ``marks``) starts: a long alternation tried at every character is the slow part of
    reading a release. A clause is scanned for its cues more than once: the last few scans
    are kept."""
    found: list[re.Match[str]] = []
    position = 0
    starts = [start for start, word in words(text) if word in triggers]
    if marks:
        starts = sorted({*starts, *(i for i, c in enumerate(text) if c in marks)})
    for start in starts:
        if start < position:
            continue
        match = pattern.match(text, start)
        if match is not None and match.end() > match.start():
            found.append(match)
            position = match.end()
    return tuple(found)


_MARKS = re.compile(r"[,;:(–—-]")
_OWN_ACRONYM = re.compile(r"\s*\([A-Z][\w\s.&-]{0,40}\)")
_CAPITALISED_END = re.compile(r"(?:^|\s)[A-Z][\w-]*$")


@lru_cache(maxsize=8)
def words(text: str) -> tuple[tuple[int, str], ...]:
    """Where each word of ``text`` starts, and the word in lower case: a clause is scanned
    for cues several times."""
    lower = text.lower()
    return tuple((w.start(), w.group(0)) for w in _WORD_START.finditer(lower))


@lru_cache(maxsize=16)
def word_set(text: str) -> frozenset[str]:
    """The words of ``text`` in lower case: a regular expression that needs one of a few
    words is not tried on a clause that has none of them."""
    return frozenset(word for _, word in words(text))


# The words the cues and the boundaries of names can begin with, for ``_scan``.
_CUE_WORDS = frozenset([
    "tasked", "instructed", "directed", "mandated", "commissioned", "charged", "entrusted",
    "agreed", "agree", "decided", "decides", "decide", "resolved", "resolves", "pledged",
    "committed", "undertook", "undertakes", "promised", "promises", "vowed", "vows", "consented",
    "concurred", "offered", "offering", "reached", "are", "is", "approved", "expressed",
    "confirmed", "will", "shall", "was", "were", "be", "been", "remain", "remains", "being",
    "expected", "scheduled", "set", "slated", "planned", "poised", "likely", "going", "supposed",
    "tentatively", "penciled", "pencilled", "required", "requested", "invited", "asked",
    "encouraged", "due", "plans", "plan", "planning", "intends", "intend", "intended",
    "intending", "aims", "aim", "aimed", "aiming", "prepares", "prepare", "prepared", "preparing",
    "seeks", "seek", "seeking", "hopes", "hope", "hoped", "hoping", "wants", "want", "wanted",
    "wishes", "wished", "looks", "look", "looking", "looked", "must", "may", "should", "needs",
    "need", "have", "has", "to", "upcoming", "forthcoming", "coming", "next", "ensuing", "future",
    "subsequent", "proposed", "following", "earmarked", "fixed", "timed", "also", "then",
    "jointly", "soon", "now", "again", "first", "both", "each", "formally", "officially",
    "subsequently", "later", "further", "shortly", "together", "personally", "still",
    "separately", "respectively", "thereafter", "probably", "finally", "eventually",
    "immediately", "reportedly", "initially", "duly", "ultimately", "all", "offer", "would",
    "decision", "agreement", "commitment", "intention", "undertaking", "pledge"
])
_BOUNDARY_WORDS = frozenset([
    "annually", "every", "each", "regularly", "periodically", "biannually", "biennially",
    "twice", "where", "which", "who", "whose", "when", "while", "scheduled", "slated", "planned",
    "expected", "set", "due", "to", "will", "shall", "would", "is", "are", "was", "were", "that",
    "so", "in", "with", "aimed", "aiming", "as", "under", "on", "at", "ahead", "following",
    "during", "alongside", "back", "before", "after", "for", "by", "no", "not", "and", "this",
    "next", "later", "today", "tomorrow", "once", "until", "through", "via", "covering",
    "including", "involving", "bringing", "hosted", "organised", "organized", "chaired", "led",
    "sponsored", "supported", "funded", "proposed", "focus", "focusing", "focused", "staged",
    "given", "performed", "presented", "offered", "arranged", "convened", "put"
])


_HANGING = re.compile(r"\s+(?:in|on|at|by|from|to|for|during|between|of|and|with|near|"
                      r"around|about|within)\s*$", re.I)

_LEAD = re.compile(
    r"^(?:(?:a|an|the|their|its|his|her|our|this|these|those|such|separate|further|"
    r"another|both|all|some|any|two|three|four|five|six|(?-i:new)|formal|official|first-ever)\s+)+",
    re.I)


def clean(name: str) -> str:
    """A name without the articles and fillers before it, nor the punctuation around it."""
    name = " ".join(name.split()).strip(" ,;:-–.\"“”'’")
    while (shorter := _LEAD.sub("", name)) != name:
        name = shorter
    if name.count("(") > name.count(")"):
        name = name[:name.rindex("(")].rstrip()
    name = _QUANTITY.sub("", name)
    name = _DURATION.sub("", name)
    return _TAIL_WORDS.sub("", name)


_QUANTITY = re.compile(r"^(?:a\s+)?(?:number|series|couple|range|host|handful)\s+of\s+", re.I)
_DURATION = re.compile(r"^(?:(?:one|two|three|four|five|six|seven|\d+)-day|day-long|week-long|"
                       r"two-week|half-day|full-day)\s+", re.I)
_TAIL_WORDS = re.compile(r"\s+(?:to\s+come|ahead|in\s+question|there|here|soon|again|together|"
                         r"as\s+well|too|also|continued|\(continued\))$")


@lru_cache(maxsize=512)
def kind_of(text: str) -> Kind:
    """What kind of follow-up an event's name says it is."""
    if _CONSULTATION.match(text):
        return Kind.LAUNCH
    nominal = _NOMINAL.match(text)
    if nominal is not None and not _PART_OF_EVENT.match(nominal.group(1)):
        return nominal_kind(nominal.group(1))  # "Launch of the outlook (press briefing)"
    if (_OCCASION_NOUN.search(_head(text)) or _ROUND_OF.match(text)) and not re.match(
            r"(?:meeting|session|conference|talks)\b", text, re.I):
        return Kind.OTHER  # a festival, a match, a lecture, a reception: not a meeting
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return Kind.OTHER


# Events that are not meetings: what is watched, celebrated or handed over.
_OCCASION_NOUN = re.compile(
    r"\b(?:festivals?|games|match(?:es)?|finals?|finale|semi-?finals?|quarter-?finals?|"
    r"play-?offs?|draws?|cups?|championships?|tournaments?|concerts?|parades?|exhibitions?|"
    r"lectures?|speech(?:es)?|address|keynotes?|receptions?|luncheons?|lunch(?:es)?|"
    r"(?<!working\s)(?:dinners?|breakfasts?)|"
    r"banquets?|galas?|handover|hand-over|elections?|exercises?|drills?|manoeuvres|"
    r"maneuvers|awards?|premieres?|screenings?|performances?|marathons?|races?|rallies|"
    r"welcome)\b|\bRound\s+of\s+\d+", re.I)

# "Round of 16": a stage of a competition, not a round of talks.
_PUT_OUT = re.compile(r"(?:published|released|issued|posted|put\s+online|posted\s+online|"
                      r"made\s+(?:available|public))$", re.I)
# Taking a question up again is done at a meeting.
_TAKE_UP = re.compile(r"(?:take\s+up|return\s+to|revisit|come\s+back\s+to)\b", re.I)
_AGAIN = re.compile(r"\bagain\b", re.I)
_AUXILIARY_END = re.compile(r"\s+(?:is|are|was|were|be|been|now)(?:\s+(?:now|also|still|"
                            r"currently|tentatively|provisionally))?\s*$", re.I)
# "Deadline for registration: 10 October", "Extended deadline: 15 October"
_NAMED_DEADLINE = re.compile(r"\b(?P<new>(?:extended|new|revised)\s+)?(?:deadline|closing\s+date)"
                             r"(?:\s+for\s+(?P<what>[a-z][\w -]{1,40}?))?\s*:\s*(?=\S*\d)", re.I)
_LAUNCHED_PARTICIPLE = re.compile(r"(?:launched|unveiled|rolled\s+out)$", re.I)
# "A public consultation on the strategy", "the consultation on storage": a process opened
# for comments, not a meeting ("consultations" between two sides are).
_CONSULTATION = re.compile(r"(?:(?:public|online|written|formal|open|\S+-(?:week|month|day))\s+)*"
                           r"consultation\b(?!s)", re.I)
_ROUND_OF = re.compile(r"(?:the\s+)?round\s+of\s+\d+\b", re.I)

_KIND_WORDS = [(kind, re.compile(pattern, re.I)) for kind, pattern in [
    (Kind.DEADLINE, r"\b(?:deadline|due\s+date|closing\s+date|cut-off|last\s+date|last\s+day)\b"),
    (Kind.VISIT, r"\b(?:visits?|trips?|tours?|courtesy\s+calls?)\b"),
    (Kind.MEETING, rf"\b(?:{EVENT_NOUN})\b|\b[A-Z]{{2,}}\s?-?\d{{1,4}}\b"),
    (Kind.REPORT, r"\b(?:reports?|publications?|white\s+papers?|assessments?|outlooks?|"
                  r"findings|study\s+results|atlas|evaluation|guidelines|handbook|"
                  r"inventory|report card|statements?|communiqu[ée]s?|advisor(?:y|ies))\b"),
    (Kind.LAUNCH, r"\b(?:launch(?:es|ed)?|programmes?|programs?|systems?|platforms?|"
                  r"centres?|centers?|networks?|portals?|funds?|facilit(?:y|ies)|"
                  r"mechanisms?|hotlines?|offices?|schemes?|campaigns?|services?|routes?|"
                  r"flights?|initiatives?|openings?)\b"),
    (Kind.PROJECT, r"\b(?:projects?|research|study|studies|exchanges?|cooperation|pilots?|"
                   r"surveys?|construction|works|phases?)\b"),
]]


def is_event(name: str) -> bool:
    """Whether a name is an event: a meeting, a visit, a session, "TEMM 21"."""
    return bool(_EVENT.search(name) or _NUMBERED.search(name))


def _base_form(phrase: str) -> str:
    """"developing the plan" as "develop the plan": an action named by its gerund."""
    word = re.match(r"([a-z]+)ing\b", phrase)
    if word is None:
        return phrase
    stem = word.group(1)
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        stem = stem[:-1]  # submitting, planning
    for base in (stem, stem + "e"):
        if _VERB.match(base + phrase[word.end():]):
            return base + phrase[word.end():]
    return phrase


def _head(name: str) -> str:
    """What a name is before what it is of: "results of those meetings" are results, but
    "the fourth round of talks" is a round."""
    return re.split(r"\s+(?:of|from|by|on|for|about|with|between|among|in|at|to|under|over|"
                    r"regarding|concerning|against|towards?)\s+", name, maxsplit=1)[0]


def _is_event_head(name: str) -> bool:
    """Whether a name is an event by what it is ("the second part of COP15" is a part of
    an event, so an event; "the results of those meetings" are results)."""
    head = _head(name)
    if is_event(head):
        return True
    return bool(re.search(r"\b(?:part|parts|phase|segment|leg|stage|day|days|half|edition)$",
                          head, re.I)) and is_event(name)


def names_event(name: str) -> bool:
    """Whether a name's last word is an event ("the G-8 Ministerial", "the June session",
    "TEMM 21"), not just a word that can be one ("at ministerial level")."""
    core = re.sub(r"\s*\([^()]*\)\s*$", "", _head(name)).strip()
    if _NUMBERED.search(core):
        return True
    return bool(_EVENT_LAST.search(core))


def listed_event(name: str) -> bool:
    """Whether a programme line's words name an event ("Opening ceremony", "Launch of the
    report", "World Day Against Child Labour"), not an item of its agenda ("Decision on the
    venue") nor a moment of the meeting itself ("Committee's work begins")."""
    core = re.sub(r"\s*\([^()]*\)\s*$", "", name.strip(" “”\"'")).strip()
    if re.search(r"\b(?:begins?|starts?|ends?|opens?|closes?|continues?|resumes?)$", core,
                 re.I):
        return False
    if re.match(r"(?:deadline|closing\s+date|last\s+day|cut-off)\b", core, re.I):
        return True  # "Deadline for submission of applications: 16. 3. 2020"
    head = _head(core)
    proper = all(w[:1].isupper() or w in ("of", "and", "for", "on", "the", "in", "to")
                 for w in core.split())
    return bool(is_event(head) or _NOMINAL.match(core + " ")
                or (proper and _EVENT_LAST.search(core))
                or re.search(r"\b(?:opening|closing|launch)\b", head, re.I))


def event_kind(name: str) -> Kind:
    found = kind_of(name)
    if found is Kind.LAUNCH and _CONSULTATION.match(name):
        return found  # opened for comments: launched, not met at
    if found is Kind.OTHER and (_OCCASION_NOUN.search(_head(name)) or _ROUND_OF.match(name)):
        return Kind.OTHER  # a festival, a match, a reception
    return found if found in (Kind.MEETING, Kind.VISIT, Kind.DEADLINE) else Kind.MEETING


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def might_commit(clause: str) -> bool:
    """A cheap first look: whether ``clause`` has any cue at all (most do not)."""
    return bool(_scan(_CUE, clause, _CUE_WORDS) or _scan(_PRESENT, clause, _PRESENT_WORDS)
                or _HEADLINE.match(clause))


def names_dated(text: str) -> bool:
    """Whether ``text`` may name an event by its proper name, or a visit, with a date: read
    for that even without a cue ("The meeting comes ahead of the Leaders' Meeting on 12
    November")."""
    return bool(_DIGIT.search(text)) and bool(_PROPER_HINT.search(text) or (
        ("visit" in text or "trip" in text) and _DATED_VISIT.search(text)) or (
        "eadline" in text and _NAMED_DEADLINE.search(text)))


def subject_at(clause: str, position: int) -> str:
    """The subject of the verb at ``position``, in the clause's words: what is left of the
    words before it once frames, openings and asides are taken off."""
    return clean(_Clause(clause, ()).subject(position))


def phrase_at(clause: str, position: int, stops: Sequence[int] = ()) -> tuple[str, int]:
    """The noun phrase from ``position``, up to where a name ends, and where it ends."""
    phrase, end = _Clause(clause, stops).phrase_after(position)
    return clean(phrase), end


def names_a_thing(name: str) -> bool:
    """Whether a name is one a follow-up can be about: an event, a document, an agreement."""
    return bool(_is_event_head(name) or names_event(name) or _DOCUMENT.search(_head(name))
                or _AGREEMENT.search(name))


def find(clause: str, stops: Sequence[int] = ()) -> list[Commitment]:
    """Every event ``clause`` commits to, in the order they are named.

    ``stops`` are where names must end: where the clause gives a date, a place or an
    occasion, so that "hold the summit in Tokyo in May" names "the summit".
    """
    return _Clause(clause, stops).commitments()


def find_dated(clause: str, stops: Sequence[int] = ()) -> list[Commitment]:
    """In a clause with no cue, only the events it names with a date of their own."""
    read = _Clause(clause, stops)
    return _distinct([*read.dated(), *read.deadlines()])


class _Clause:
    def __init__(self, text: str, stops: Sequence[int]) -> None:
        self.text = text
        self.stops = sorted(stops)
        #: Events found beside the one a reading returns ("A and B will take place").
        self.beside: list[Commitment] = []
        self._candidates: list[int] | None = None
        self._boundaries: dict[int, re.Match[str] | None] = {}

    # -- names ---------------------------------------------------------------------------

    def phrase_after(self, start: int, limit: int = 20) -> tuple[str, int]:
        """The noun phrase from ``start``, up to a boundary, a date, a place or an occasion.

        A name's own parenthesis ("(TEMM 21)") is kept; a purpose ("to discuss ...") ends it.
        """
        # A name is a few words: looking further than this for where it ends is waste.
        rest = self.text[start:start + 240]
        cut = len(rest)
        for boundary in self.boundaries(start):
            at = boundary.start() - start
            if at >= len(rest):
                break
            said = boundary.group(0).strip()
            if at == 0 and said[:1] not in "(,;:":
                continue
            if said.startswith("(") and _OWN_ACRONYM.match(rest, at):
                continue  # an acronym in parentheses belongs to the name
            if said == "," and _CAPITALISED_END.search(rest, 0, at) \
                    and _TITLE_LIST.match(rest, at):
                continue  # "the Justice, Freedom and Security Ministerial Meeting"
            cut = at
            break
        verb = _ING.search(rest, 1, cut)
        if verb is not None:
            cut = verb.start()  # "a conference supporting ...": the name ends at the verb
        lead = len(rest) - len(rest.lstrip())
        stop = next((s - start for s in self.stops if s >= start + lead), None)
        if stop is not None:
            cut = min(cut, stop)
        words = list(_WORD.finditer(rest[:cut]))
        if len(words) > limit:
            cut = words[limit - 1].end()
        acronym = _ACRONYM_THEN.search(rest, 0, cut)
        if acronym is not None:
            cut = acronym.end(1)  # "the Common Market Council (CMC) with his counterparts"
        # A preposition left hanging before a date or a place is not part of the name.
        phrase = _HANGING.sub("", rest[:cut])
        phrase = phrase.rstrip(" .,;:")
        return phrase, start + len(phrase)

    @cached_property
    def habit(self) -> bool:
        """Whether the clause tells what is done every year, not what is planned."""
        return not _HABIT_WORDS.isdisjoint(word_set(self.text)) \
            and bool(_HABIT.search(self.text))

    def boundaries(self, start: int) -> Iterator[re.Match[str]]:
        """The places from ``start`` on where a name can end, in order: each looked for once
        for all the names of the clause, and only as far as a name is read."""
        if self._candidates is None:
            self._candidates = sorted({
                *(at for at, word in words(self.text) if word in _BOUNDARY_WORDS),
                *(m.start() for m in _MARKS.finditer(self.text))})
        for at in self._candidates[bisect_left(self._candidates, start):]:
            if at not in self._boundaries:
                self._boundaries[at] = _BOUNDARY.match(self.text, at)
            match = self._boundaries[at]
            if match is not None and match.end() > match.start():
                yield match

    def noun_before(self, end: int) -> tuple[str, int] | None:
        """The name just before ``end``: "a summit (to be held)", "“a report” (to be
        published)", "the talks, (scheduled for March)", "... of TEMM (scheduled)"."""
        before = self.text[:end].rstrip(" ,")
        quoted = re.search(r"[“\"]([^”\"]{3,200})[”\"]\s*$", before)
        if quoted:
            return quoted.group(1), quoted.start(1)
        # A name's own parenthesis ("... Meeting (TEMM 22)") stays with it.
        own = re.search(r"\s*\([^()]{1,40}\)\s*$", before)
        base = before[:own.start()] if own else before
        edges = list(_NAME_EDGE.finditer(base))
        start = edges[-1].end() if edges else 0
        name = before[start:].strip()
        if not name or len(name.split()) > 15:
            return None
        return name, end - len(self.text[start:end].lstrip())

    def event_before(self, end: int) -> tuple[str, int] | None:
        """The last event named before ``end``, with what follows it up to ``end``: "a
        meeting on energy between members and partners(, to be held ...)"."""
        matches = list(_EVENT_PHRASE.finditer(self.text, max(0, end - 200), end))
        if not matches:
            return None
        index = len(matches) - 1
        while index > 0 and re.fullmatch(r"\s+of\s+", self.text[
                matches[index - 1].end():matches[index].start()]):
            index -= 1  # "the 41st Summit of the Supreme Council": the summit
        found = matches[index]
        name, stop = self.phrase_after(found.start("name"))
        if stop > end:
            name = self.text[found.start("name"):end].rstrip(" ,")
        return name, found.start("name")

    def thing_before(self, end: int) -> tuple[str, int] | None:
        """The documents or agreements named last before ``end``, joined by "and": what a
        later "they" or "it" stands for ("decisions and recommendations were taken, and
        they will be put before the Summit")."""
        matches = list(_THING_PHRASE.finditer(self.text, 0, end))
        if not matches:
            return None
        first = len(matches) - 1
        while first > 0 and re.fullmatch(r"\s+and\s+", self.text[
                matches[first - 1].end():matches[first].start()]):
            first -= 1
        name = clean(self.text[matches[first].start():matches[-1].end()])
        return (name, matches[first].start()) if name else None

    def subject(self, end: int) -> str:
        """The subject of the verb at ``end``: what is left of the words before it once
        reporting frames ("X said on Tuesday that"), opening phrases ("Following the
        talks,") and earlier clauses are taken off. A list stays whole ("Negotiators from
        China, South Korea and Japan")."""
        head = _ASIDE.sub(" ", self.text[:end])
        head = _DATELINE.sub("", head)
        head = head.lstrip("▷▶►▸➢➤※■□◆◇○●◎✓✔☐☑⦁⁃°•·▪◦‣*-–— \"“‘'")
        head = re.sub(r"^To\s+(?:that|this)\s+end,?\s*|^To\s+[a-z]+\b[^,]{0,80},\s*", "", head)
        head = _DATED_OPENING.sub("", head)  # "On 29 May the meeting continues"
        head = re.sub(r"^(?:that|and\s+that)\s+", "", head)  # "..., and that the III Meeting"
        head = _FRAME.split(head)[-1]
        relative = _RELATIVE_SUBJECT.match(head)
        if relative is not None and not _FINITE.search(relative["np"]):
            return relative["np"]  # "An agreement that gives Land Rover a basis (will be)"
        parts = _CLAUSE_EDGE.split(head)
        if len(parts) > 1 and re.search(r"\s(?:that|this)\s*$", head[:len(head) - len(parts[-1])]) \
                and len(parts[-1].split()) <= 2:
            # "the results of that meeting": "that" as a determiner, not a clause's start
            head = head[:len(head) - len(parts[-1])].rsplit(None, 1)[0].split(";")[-1]
            head = _CLAUSE_EDGE.split(head)[-1] + " that " + parts[-1]
        else:
            head = parts[-1]
        while (shorter := _OPENING.sub("", head.strip())) != head.strip():
            head = shorter
        # "..., and that the council will meet": the second thing said, "that" not its own
        head = re.sub(r"^that\s+(?=(?:the|a|an|its|their)\s)", "", head.strip(), flags=re.I)
        head = _TRAILING_ADVERB.sub("", head.strip())
        apposition = re.fullmatch(r"(.{3,}?),\s+([^,]{3,80}),?", head)
        if apposition:
            # "the Council, the body's governing forum,"; but "a longer-term approach, the
            # Native Fish Strategy," is the Strategy.
            indefinite = re.match(r"(?:a|an|one|another)\s", apposition.group(1), re.I)
            head = apposition.group(2 if indefinite else 1)
        if re.search(r"\b(?:will|shall|would|is|are|was|were|has|have|had)\b", head):
            return ""  # not one noun phrase: the subject is not where it was looked for
        return head

    # -- reading -------------------------------------------------------------------------

    def commitments(self) -> list[Commitment]:
        found: list[Commitment] = []
        cues = _scan(_CUE, self.text, _CUE_WORDS)
        for index, cue in enumerate(cues):
            kind = cue.lastgroup or ""
            if kind == "reported" and not _REPORTING.search(self.text, 0, cue.start()):
                continue  # "would" is a future only in what someone said would happen
            if kind in _ACTION_CUES and self.hedged(cue):
                continue
            stop = next((c.start() for c in cues[index + 1:] if c.lastgroup in _ACTION_CUES),
                        len(self.text))
            if kind in ("upcoming", "tocome"):
                found.extend(self.upcoming(cue))
            elif kind == "passive":
                found.extend(self.passive(cue))
            elif kind == "scheduled":
                found.extend(self.scheduled(cue))
            elif kind == "duein":
                found.extend(self.due_in(cue))
            elif kind == "progressive":
                # "EMA is holding a workshop on 24 October": what is under way now, unless
                # the clause gives it a date still to come.
                found.extend(replace(c, needs_date=True) for c in self.actions(cue, stop, kind))
            else:
                found.extend(self.actions(cue, stop, kind))
        headline = _HEADLINE.match(self.text)
        main = re.split(r",?\s+(?:which|who|that|where|while|as)\s|;", self.text)[0]
        if headline and not any(c.start() < headline.end() for c in cues) \
                and not _FINITE.search(main, headline.end()):
            # "South Africa to head a trade mission to Kenya by May": a plan, in the words
            # of a headline or of a list of outcomes.
            to = _TO.match(self.text, headline.start("to"))
            if to is not None:  # a "to" that opens no plan reads as nothing
                found.extend(self.actions(to, next(
                    (c.start() for c in cues if c.lastgroup in _ACTION_CUES), len(self.text)),
                    "tobe"))
        found.extend(self.present(cues))
        found.extend(self.hosting())
        found.extend(self.occasions(cues))
        if any(c.lastgroup in _ACTION_CUES or c.lastgroup == "scheduled" for c in cues):
            found.extend(self.enumerated())
        found.extend(self.dated())
        found.extend(self.deadlines())
        found.extend(self.beside)
        return _distinct(found)

    def ordered(self, order: re.Match[str], position: int, cue: re.Match[str]
                ) -> Commitment | None:
        """"The Summit is to be preceded by the Ministerial Meeting": the meeting, before
        the summit; "the minister's visit will be preceded by that of the secretary"."""
        name, end = self.phrase_after(position + order.end(), limit=14)
        name = clean(name)
        subject = clean(self.subject(cue.start()))
        if not subject:
            return None
        that = re.match(r"th(?:at|ose)\s+of\s+", name, re.I)
        if that:
            name = f"{_head(subject).split()[-1]} of {name[that.end():]}"
        if not (names_event(name) or _is_event_head(name)):
            return None
        relation = "before" if order["rel"] == "preceded" else "after"
        return Commitment(_capital(name), event_kind(name),
                          f"{cue.group(0).strip()} {order.group(0).strip()}",
                          position + order.end(), end, relative=(relation, subject))

    def due_in(self, cue: re.Match[str]) -> list[Commitment]:
        """"The minister is due in New Caledonia next week": a visit."""
        where = re.match(r"(?:in|at)\s+", self.text[cue.end():])
        if where is None:
            return []
        target, end = self.phrase_after(cue.end() + where.end(), limit=6)
        target = clean(target)
        if not target:
            return []
        return [Commitment(f"Visit to {target}", Kind.VISIT, f"{cue.group(0).strip()} in",
                           cue.start(), end)]

    def hedged(self, cue: re.Match[str]) -> bool:
        """Whether a cue is a possibility, a wish, a proposal or the past."""
        said = cue.group(0)
        if _WISHED.search(said):
            return True
        near = self.text[max(0, cue.start() - 60):cue.start()]
        if _PLEDGE.match(said) and _DISCUSSED.search(near):
            return True  # "discussed a plan to hold a summit"
        # "Reporters who wish to attend must register": the wish is the subject's, who.
        near = _WHO_WISH.sub(" ", _COMMA.split(near)[-1])
        return maybe(near)

    def actions(self, cue: re.Match[str], stop: int, kind: str) -> list[Commitment]:
        """What the actions after a cue make: several when joined ("hold A and sign B")."""
        found: list[Commitment] = []
        position = cue.end()
        for _ in range(4):
            if not self.text[position:stop].strip():
                break
            made = self.action(position, stop, cue, kind, found)
            if made is not None:
                found.append(made)
            more = _MORE.search(self.text[position:stop])
            if more is None or maybe(self.text, position, position + more.end()):
                break  # "... so that recommendations could then be put before the Board"
            position += more.end()
        return found

    def action(self, position: int, stop: int, cue: re.Match[str], kind: str,
               earlier: list[Commitment]) -> Commitment | None:
        phrase = self.text[position:stop]
        listed = self.listed(position, stop, cue)
        if listed is not None:
            return listed
        if kind == "obliged" and not _VERB.match(phrase):
            who = clean(self.subject(cue.start()))
            if who and _DUE.search(_head(who)):  # "applications have to reach X by ..."
                return Commitment(f"Deadline for {who}", Kind.DEADLINE,
                                  f"{cue.group(0).strip()} {phrase.split()[0]}",
                                  max(0, cue.start() - len(who)), position, deadline=True)
        named = re.match(r"be\s+(?:the|a|an)\s+", phrase)
        if named is not None and _NOMINAL.match(phrase, named.end()):
            # "The high point will be the election of a new president"
            name, end = self.phrase_after(position + named.end(), limit=14)
            nominal = _NOMINAL.match(name)
            if nominal is not None:
                return Commitment(_capital(clean(name)), nominal_kind(nominal.group(1)),
                                  f"{cue.group(0).strip()} be", position + named.end(), end)
        order = re.match(r"be\s+(?:\w+ly\s+)?(?P<rel>preceded|followed)\s+by\s+", phrase)
        if order is not None:
            return self.ordered(order, position, cue)
        welcome = _WELCOME.match(phrase)
        if welcome is not None:
            # "welcome her counterparts to a two-day working meeting"
            name, end = self.phrase_after(position + welcome.end(), limit=14)
            if names_event(clean(name)):
                return Commitment(_capital(clean(name)), event_kind(clean(name)),
                                  f"{cue.group(0).strip()} {welcome.group(1)}",
                                  position + welcome.end(), end)
        if _ONGOING.match(phrase):
            return None
        if (taken := _TAKE_UP.match(phrase)) and _AGAIN.search(phrase) \
                and kind in ("future", "expected", "plans", "agreed", "tobe"):
            who = clean(self.subject(cue.start()))
            if who and _BODY.search(who) and not _PRONOUN.fullmatch(who):
                # "The prime ministers will take up the question again in Vilnius in late
                # March": they meet then, if the clause gives the day
                return Commitment(f"Meeting of the {who}", Kind.MEETING,
                                  f"{cue.group(0).strip()} {taken.group(0)}", position,
                                  position + taken.end(), needs_date=True)
        verb, shift = _VERB.match(phrase), 0
        if verb is None:
            base = _base_form(phrase)  # "committed to hosting": "host"
            verb, shift = _VERB.match(base), len(phrase) - len(base)
        if verb is None:
            return self.deadline_to(phrase, position, cue) if kind == "obliged" else None
        said = f"{cue.group(0).strip()} {verb.group(0).strip()}"
        after = position + verb.end() + shift
        obliged = kind == "obliged"
        happen = verb.group("happen") or ""
        if verb.group("participle") or happen or verb.group("beon"):
            if kind == "expected" and not re.match(r"(?:is|are|was|were|be|been|remains?|"
                                                   r"being)\b", cue.group(0), re.I):
                # "TEMM scheduled to take place in Japan": the name right before.
                before = self.noun_before(cue.start())
                if before is not None and (_is_event_head(clean(before[0])) or re.fullmatch(
                        r"[A-Z][A-Za-z]*[A-Z](?:\s?-?\d{1,4})?", clean(before[0]))):
                    name = clean(before[0])
                    return Commitment(_capital(name), event_kind(name), said, before[1],
                                      after)
                return None
            made = self.subject_event(cue.start(), said, after,
                                      participle=verb.group("participle") or "",
                                      deadline=obliged, happen=happen)
            if made is None and obliged:
                who = clean(self.subject(cue.start()))
                if who and _DUE.search(who):  # "applications have to reach X by ..."
                    made = Commitment(f"Deadline for {who}", Kind.DEADLINE, said,
                                      max(0, cue.start() - len(who)), after, deadline=True)
            return made
        word = " ".join(verb.group(0).lower().split())
        if verb.group("visit"):
            target, end = self.phrase_after(after)
            determined = re.match(r"\s*(?:a|an|the)\s", self.text[after:])
            target = clean(target)
            if word.startswith("go to") and _PEOPLE.match(target) and (
                    who := clean(self.subject(cue.start()))) and _DOCUMENT.search(_head(who)):
                # "The documents will go to the heads of state for consideration at the
                # Summit": laid before them, at the occasion the clause names
                return Commitment(f"Submission of the {who} to the {target}", Kind.REPORT,
                                  said, position, end)
            if not target or not (re.match(r"[A-Z]", target) or (
                    determined and _SITE.search(_head(target)))):
                return None  # "visit the presentation room of each City": not a trip
            who = clean(self.subject(cue.start()))
            if word.startswith("go to") and who and _DOCUMENT.search(_head(who)) and (
                    _BODY.search(target) or names_event(target)):
                # "the results would go to the Executive Committee next July": a report to
                # it, at its meeting.
                body = re.sub(r"^(?:the\s+)?", "", target)
                self.beside.append(Commitment(_capital(body), Kind.MEETING, said, after, end,
                                              needs_date=True))
                return Commitment(_capital(who), Kind.REPORT, said, position, after,
                                  relative=("during", body))
            sent = re.search(r"(?:lead|head|send|dispatch)\s+(?P<what>.+?)\s+to$", word)
            if sent:  # "head a trade and investment mission to Kenya"
                what = _capital(clean(sent["what"]))
                return Commitment(f"{what} to {target}", Kind.VISIT, said, position, end)
            visit = Commitment(f"Visit to {target}", Kind.VISIT, said, position, end)
            purpose = _PURPOSE.match(self.text, end)
            if purpose is not None:
                # "will travel to Lima next week to attend the regional summit": the summit,
                # on the trip
                name, name_end = self.phrase_after(purpose.end(), limit=14)
                if names_event(clean(name)):
                    self.beside.append(Commitment(
                        _capital(clean(name)), event_kind(clean(name)),
                        f"{said} ... {purpose['verb']}", purpose.end(), name_end,
                        relative=("during", visit.title)))
            return visit
        if verb.group("meet"):
            return self.meeting(cue, position, after, word, said)
        obj, end = self.phrase_after(after)
        name = clean(obj)
        prepositional = re.match(r"(?:on|to|in|at|for|with|by|from|into|onto|upon|over|about|"
                                 r"back|out|up)\b(?!-)", name, re.I)  # not "in-person"
        if (not name or prepositional) and _HAPPEN_ALONE.fullmatch(word):
            # "talks will resume next week": nothing is resumed, the talks resume.
            return self.subject_event(cue.start(), said, after, participle="",
                                      deadline=obliged, happen=word)
        if prepositional:
            return None  # "send on to the Assembly the draft resolutions": not a name
        if re.fullmatch(r"(?:it|them|this|that|these|those)", name, re.I):
            # "agreed to hold it in June": the event named just before; "fill in the form
            # and submit it by": the thing.
            if obliged and (thing := _DUE_PHRASE.findall(self.text[:cue.end() + 80])):
                return Commitment(f"Deadline for {clean(thing[-1])}", Kind.DEADLINE, said,
                                  after, end, deadline=True)
            event = self.event_before(cue.start())
            name = clean(event[0]) if event else ""
        if not name:
            return None
        if re.fullmatch(r"(?:first\s+|inaugural\s+|next\s+)?(?:meeting|session)s?", name,
                        re.I) and earlier and re.match(r"\s*its\s", self.text[after:]):
            # "form an expert group and hold its meeting": the group's meeting.
            group = earlier.pop()
            return Commitment(group.title, Kind.MEETING, group.cue, group.start, end)
        if verb.group("sign"):
            if re.match(r"(?:hand|take)\s+over|assume|pass|transfer", word) and re.search(
                    r"\b(?:chair(?:manship|mans?hip)?|presidency|leadership|command|"
                    r"secretariat|rotating|chair\w*)\b", name, re.I):
                return Commitment(f"Handover of the {name}", Kind.OTHER, said, after, end)
            if not (_AGREEMENT.search(name) or _DOCUMENT.search(name)):
                return None
            if word in ("renew", "extend", "exchange") and not _AGREEMENT.search(name):
                return None
            return Commitment(_capital(name), Kind.OTHER, said, after, end)
        if verb.group("hold") and re.fullmatch(r"address|speak\s+at", word) and names_event(name):
            who = clean(self.subject(cue.start())) or "the speaker"
            return Commitment(f"Address by {who} to the {name}", Kind.MEETING, said, after, end)
        if verb.group("hold") and word == "hold" and _PRESIDENCY.search(name):
            # "Paraguay will hold that presidency from 21 December": it takes it over then
            held = re.sub(r"^(?:that|this|the|its|their)\s+", "", name, flags=re.I)
            return Commitment(f"Handover of the {held}", Kind.OTHER, said, after, end)
        if verb.group("hold"):
            purpose = re.search(r"\bfor\s+(?:the|a|an|its|their)\s+(?P<event>.+)$", name)
            if purpose and names_event(purpose["event"]) and not names_event(
                    name[:purpose.start()]):
                name = clean(purpose["event"])
            joined = re.match(r"\s*for\s+(?:the|a|an|its|their)\s+", self.text[end:])
            if not names_event(name) and joined is not None:
                # "join her counterparts for the Trilateral Strategic Dialogue"
                occasion, occasion_end = self.phrase_after(end + joined.end(), limit=14)
                if names_event(clean(occasion)):
                    return Commitment(_capital(clean(occasion)), event_kind(clean(occasion)),
                                      said, end + joined.end(), occasion_end)
            if not names_event(name):
                if re.fullmatch(r"open|run|head", word):
                    return self.launch(name, word, said, after, end)  # "open the consulate"
                # "must call the newsroom no later than 6 January": what is to be done by then
                return self.deadline_to(phrase, position, cue) if obliged else None
            return Commitment(_capital(name), event_kind(name), said, after, end)
        if verb.group("publish"):
            return self.document(name, word, said, after, end, obliged,
                                 who=clean(self.subject(cue.start())))
        if verb.group("launch"):
            return self.launch(name, word, said, after, end)
        return None

    def deadline_to(self, phrase: str, position: int, cue: re.Match[str]) -> Commitment | None:
        """"Journalists must register in advance, no later than 13.00 on 21 November": a
        deadline to do what the obligation says."""
        due = _DEADLINE_AFTER.search(phrase)
        if due is None:
            return None
        what = clean(phrase[:due.start()])
        if not what or len(what.split()) > 12 or not re.match(r"[a-z]", what):
            return None
        return Commitment(f"Deadline to {what}", Kind.DEADLINE,
                          f"{cue.group(0).strip()} {what.split()[0]}", position,
                          position + due.start(), deadline=True)

    def meeting(self, cue: re.Match[str], position: int, after: int, word: str,
                said: str) -> Commitment:
        """What "will meet" or "will hold talks" names: the event it is for ("for the sixth
        round of talks"), the body that meets, or whom it is with."""
        rest = self.text[after:after + 200]
        named, named_end = self.phrase_after(after, limit=16)
        if re.match(r"speak|deliver|give|address", word):
            who = clean(self.subject(cue.start())) or "the speaker"
            where = f" to the {clean(named)}" if names_event(clean(named)) else ""
            return Commitment(f"Address by {who}{where}", Kind.MEETING, said, position,
                              max(named_end, after))
        if names_event(clean(named)) and not re.match(r"\s*(?:with|in|on|at|again)\b", rest):
            return Commitment(_capital(clean(named)), event_kind(clean(named)), said, after,
                              named_end)
        purpose = re.search(r"\bfor\s+(?:the\s+|a\s+|an\s+|their\s+|its\s+)?", rest)
        if purpose is not None and purpose.start() < 60:
            name, end = self.phrase_after(after + purpose.end(), limit=14)
            if is_event(clean(name)):
                return Commitment(_capital(clean(name)), event_kind(clean(name)), said,
                                  after + purpose.end(), end, at=after)
        _, end = self.phrase_after(after)
        end = max(end, after)
        if word.startswith("brief "):
            return Commitment("Press briefing", Kind.MEETING, said, position, end)
        if word.startswith("pay "):  # "pay calls on the prime minister and president"
            whom, end = self.phrase_after(after, limit=10)
            return Commitment(f"Calls on {clean(whom)}", Kind.MEETING, said, position,
                              max(end, after))
        noun = re.search(r"talks|consultations|discussions", word)
        if noun is not None:
            topic = re.match(r"\s+(?:on|about|over)\s+", rest)
            if topic:
                subject, end = self.phrase_after(after + topic.end(), limit=10)
                return Commitment(f"{_capital(noun.group(0))} on {clean(subject)}",
                                  Kind.MEETING, said, position, end)
            with_whom = re.match(r"\s+with\s+(?:(?:his|her|their|its)\s+[\w-]+\s+"
                                 r"(?:counterparts?|colleagues?)\s+)?", rest)
            if with_whom:  # "hold talks with his counterpart Shah Mahmood Qureshi"
                other, end = self.phrase_after(after + with_whom.end(), limit=8)
                if clean(other):
                    return Commitment(f"{_capital(noun.group(0))} with {clean(other)}",
                                      Kind.MEETING, said, position, max(end, after))
            return Commitment(_capital(noun.group(0)), Kind.MEETING, said, position, end)
        who = clean(self.subject(cue.start()))
        with_whom = re.match(r"\s+(?:again\s+)?with\s+", rest)
        if (not who or _PRONOUN.fullmatch(who)) and with_whom:
            other, end = self.phrase_after(after + with_whom.end(), limit=8)
            return Commitment(f"Meeting with {clean(other)}", Kind.MEETING, said, position,
                              max(end, after))
        return Commitment(f"Meeting of {who or 'the parties'}", Kind.MEETING, said, position,
                          end)

    def listed(self, position: int, stop: int, cue: re.Match[str]) -> Commitment | None:
        """"Is set to include the launch of new reports", "will see a separate meeting of
        ...": an event named as what something includes or brings."""
        verb = re.match(r"(?:include|includes|see|feature|features|involve|comprise|bring|"
                        r"offer|host)\s+", self.text[position:stop], re.I)
        if verb is None:
            return None
        name, end = self.phrase_after(position + verb.end(), limit=16)
        name = clean(name)
        # "The Annual Meetings will feature knowledge events": a part of the meetings.
        whole = clean(self.subject(cue.start()))
        relative = ("during", whole) if whole and names_event(whole) else None
        nominal = _NOMINAL.match(name)
        if nominal:
            return Commitment(_capital(name), nominal_kind(nominal.group(1)),
                              f"{cue.group(0).strip()} {verb.group(0).strip()}",
                              position + verb.end(), end, relative=relative)
        if names_event(name) or _is_event_head(name):
            return Commitment(_capital(name), event_kind(name),
                              f"{cue.group(0).strip()} {verb.group(0).strip()}",
                              position + verb.end(), end, relative=relative)
        return None

    def enumerated(self) -> list[Commitment]:
        """"Several events scheduled for the autumn, including a workshop in Tromsø and a
        roundtable in Reykjavik": each event listed after "including" or "such as"."""
        found: list[Commitment] = []
        for lead in re.finditer(r"\b(?:including|such\s+as|namely|notably)\s+", self.text,
                                re.I):
            rest = self.text[lead.end():lead.end() + 300]
            position = lead.end()
            for item in re.split(r",\s+(?:and\s+)?|\s+and\s+", rest):
                start = self.text.find(item, position)
                name, end = self.phrase_after(start, limit=10)
                if end > start + len(item.rstrip()):
                    # a name ends with its item: "a workshop in Tromsø and a roundtable"
                    name = self.text[start:start + len(item.rstrip())]
                    name, end = _HANGING.sub("", re.sub(r"\s+in\s+[A-Z][^,;]*$", "", name)), \
                        start + len(item.rstrip())
                name = clean(name)
                if name and (names_event(name) or _NOMINAL.match(name)):
                    found.append(Commitment(_capital(name), event_kind(name), lead.group(0)
                                            .strip(), start, end, needs_date=True,
                                            shares_time=True))
                elif found:
                    break
                position = start + len(item)
        return found

    def document(self, name: str, word: str, said: str, start: int, end: int,
                 obliged: bool, who: str = "") -> Commitment | None:
        if obliged and re.match(r"submit|send|deliver|report", word):
            return Commitment(f"Submission of {name}", Kind.DEADLINE, said, start, end,
                              deadline=True)
        if word in ("designate", "appoint", "name", "select", "elect", "award", "pick",
                    "choose"):
            # What a meeting elects is its agenda ("the Assembly will elect its President"),
            # unless it is dated.
            return Commitment(f"{_capital(word)} {name}", Kind.OTHER, said, start, end,
                              needs_date=bool(who and names_event(who)))
        if word == "announce":
            return Commitment(f"Announcement of {name}", Kind.OTHER, said, start, end,
                              needs_date=True)
        if re.match(r"(?:how|what|whether|why|when|where|which|who|on\s+how)\b", name,
                    re.I) or not (_DOCUMENT.search(name) or _AGREEMENT.search(name)):
            return None
        if word in ("consider", "decide", "agree") and not _REPORTISH.search(name):
            return None
        # What is drafted or settled without a date is work going on, not an event.
        settled = word in ("adopt", "approve", "endorse", "issue", "agree", "consider",
                           "decide", "draw up", "prepare", "develop", "draft", "compile",
                           "update", "revise", "formulate", "put forward", "come up with",
                           "lay out", "outline", "present", "produce")
        if settled and re.search(r"\b(?:statements?|communiqu[ée]s?|declarations?|"
                                 r"conclusions|resolutions?|decisions?|minutes|"
                                 r"agenda)\b", name, re.I):
            return None  # what a meeting itself produces: its agenda, not a follow-up
        report = bool(_REPORTISH.search(name))
        if report and word in ("publish", "release", "issue", "submit", "deliver", "unveil",
                               "make public", "report"):
            title = f"Publication of {name}" if word in ("publish", "release", "issue") \
                else _capital(name)
            return Commitment(title, Kind.REPORT, said, start, end)
        return Commitment(_capital(name), Kind.REPORT if report else Kind.OTHER, said,
                          start, end, needs_date=settled)

    def launch(self, name: str, word: str, said: str, start: int, end: int
               ) -> Commitment | None:
        if word in ("broaden", "expand", "extend"):
            if not _LAUNCHED.search(name):
                return None
            name = re.sub(r"^(?:the\s+)?(?:scope|range|reach|coverage)\s+of\s+(?:the\s+)?", "",
                          name, flags=re.I)
            return Commitment(f"Broader scope of {name}", Kind.PROJECT, said, start, end)
        if word in ("start", "begin", "commence", "kick off", "open", "conduct", "launch",
                    "resume", "restart") and re.search(
                        r"\b(?:talks|negotiations?|consultations?|dialogue|rounds?|meetings?|"
                        r"sessions?|conferences?|summits?)\b", name, re.I):
            return Commitment(_capital(name), event_kind(name), said, start, end)
        if not (_LAUNCHED.search(name) or _DOCUMENT.search(name) or is_event(name)):
            return None
        if word in ("launch", "inaugurate", "establish", "set up", "create", "introduce",
                    "roll out", "form", "found", "open", "put in place",
                    "put into operation", "operate"):
            if is_event(name) and (not _LAUNCHED.search(name) or re.search(
                    r"\b(?:sessions?|meetings?|talks|dialogue)\b", name, re.I)):
                return Commitment(_capital(name), event_kind(name), said, start, end)
            return Commitment(f"Launch of {name}", Kind.LAUNCH, said, start, end)
        found = kind_of(name)
        if found in (Kind.OTHER, Kind.DEADLINE):
            found = Kind.PROJECT
        return Commitment(_capital(name), found, said, start, end)

    def subject_event(self, cue_start: int, said: str, after: int, *, participle: str,
                      deadline: bool, happen: str = "") -> Commitment | None:
        """The subject as the event: "the summit will be held", "comments must be
        received", "the agreement is to be signed", "the second part will take place"."""
        if re.match(r"(?:broadcast|streamed|webcast|televised|recorded|shown)$", participle,
                    re.I):
            return None  # how an event is seen, not an event
        subject = self.subject(cue_start)
        relative = re.search(r",?\s+(?:which|that|who)\s+$", self.text[:cue_start])
        if relative and not subject:
            # "the conference, which takes place in Katowice": the name before "which".
            named = self.noun_before(relative.start())
            if named and (is_event(named[0]) or _DOCUMENT.search(named[0])
                          or _AGREEMENT.search(named[0])):
                subject = named[0]
            elif (event := self.event_before(relative.start())) is not None:
                subject = event[0]
        name = clean(subject)
        found_at = self.text.rfind(subject, 0, cue_start) if subject else -1
        start = found_at if found_at >= 0 else max(0, cue_start - len(subject))
        if not name or len(name.split()) > 25 or _PRONOUN.fullmatch(name):
            if (event := self.event_before(cue_start)) is not None and _HELD.match(
                    happen or participle):
                name, start = clean(event[0]), event[1]  # "X they are working on is to be held"
            elif participle and name.lower() in ("it", "they") \
                    and (thing := self.thing_before(cue_start)) is not None:
                name, start = thing  # "recommendations were made, and they will be put ..."
            else:
                return None
        if re.fullmatch(r"launch|lift\s+off|take\s+off|blast\s+off", happen, re.I) \
                and not _is_event_head(name):
            # "Space shuttle Discovery is targeted to launch on 12 February"
            return Commitment(f"Launch of {name}", Kind.LAUNCH, said, start, after)
        if re.match(r"(?:takes?|comes?|enters?|entered|came|took)\s+(?:effect|into\s+force)",
                    happen, re.I):
            return Commitment(f"Entry into force of {name}", Kind.OTHER, said, start, after)
        if re.match(r"(?:close|closes|end|ends|expire|expires)$", happen, re.I) \
                and _DUE.search(name):
            # "Written submissions now close at 11.59pm on Sunday, 5 February"
            return Commitment(f"Deadline for {name}", Kind.DEADLINE, said, start, after,
                              deadline=True)
        if re.fullmatch(r"(?:further\s+|more\s+)?(?:details|information|updates?|instructions|"
                        r"guidance|news|announcements?|more)", name, re.I):
            return None  # "Further details will follow"
        if re.match(r"pass(?:es)?$", happen, re.I) and re.search(
                r"\b(?:chair\w*|presidency|leadership)\b", name, re.I):
            # "The chairmanship of the Committee passes today from Andorra to Armenia"
            return Commitment(f"Handover of the {name}", Kind.OTHER, said, start, after)
        if re.match(r"(?:follows?|given)$", happen or participle, re.I):
            # "The semi-finals follow on Wednesday", "the keynote address will be given by":
            # only of what is an event by its name.
            if not names_event(name):
                return None
            return Commitment(_capital(name), event_kind(name), said, start, after,
                              needs_date=True)
        if _HELD.match(happen or participle) and not (
                _PERSON.search(name) and not _is_event_head(name)):
            # Only an event takes place or is held: whatever the subject is, it is one;
            # "the Presidential Meeting and the 13th Binational Cabinet" are two.
            other = re.search(r"(?:^|[\s,])(?:the|a|an)\s+(?P<name>[^,;]{2,80}?)\s+and\s*$",
                              self.text[:start], re.I)
            listed: list[re.Match[str]] = []
            while other and _is_event_head(clean(other["name"])) and not _FINITE.search(
                    other["name"]):
                listed.insert(0, other)
                # "A, B and C will be held": each before the last, back to the first
                head = self.text[:other.start() + 1].rstrip()
                other = _LISTED_BEFORE.search(head, 0, len(head) - 1) \
                    if head.endswith(",") else None
            for other in listed:
                self.beside.append(Commitment(_capital(clean(other["name"])),
                                              event_kind(clean(other["name"])), said,
                                              other.start("name"), after))
            return Commitment(_capital(name), event_kind(name), said, start, after)
        if participle.lower() == "briefed":  # "the Committee will be briefed on the Summit"
            return Commitment(f"Briefing of {name}", Kind.MEETING, said, start, after)
        if re.match(r"(?:welcomed|greeted|received)$", participle, re.I) and not _DUE.search(
                name):  # "the delegations will be welcomed by the President"
            return Commitment(f"Welcome of {name}", Kind.MEETING, said, start, after)
        people = re.match(r"(?:designated|appointed|named|elected|selected|chosen|picked|"
                          r"awarded|announced|put\s+to\s+a\s+vote|voted\s+on|"
                          r"handed\s+over)$", participle, re.I)
        if people:
            word = participle.lower().split()[0]
            title = {"announced": "Announcement of", "put": "Vote on", "voted": "Vote on",
                     "awarded": "Award of", "handed": "Handover of"}.get(word, "Designation of")
            return Commitment(f"{title} {name}", Kind.OTHER, said, start, after,
                              needs_date=word == "announced")
        if (deadline or re.match(r"(?:received|submitted|filed|sent|lodged|registered|"
                                 r"made|provided|postmarked|passed\s+on|forwarded)$",
                                 participle, re.I)) \
                and _DUE.search(name):
            return Commitment(f"Deadline for {name}", Kind.DEADLINE, said, start, after,
                              deadline=True)
        if _is_event_head(name):
            if _LAUNCHED_PARTICIPLE.match(participle):
                # "The festival is to be officially launched on 16 August": its launch, a
                # day of its own before the festival
                return Commitment(f"Launch of {name}", Kind.LAUNCH, said, start, after)
            return Commitment(_capital(name), event_kind(name), said, start, after)
        if _DOCUMENT.search(_head(name)) or _AGREEMENT.search(name):
            report = bool(_REPORTISH.search(_head(name)))
            if re.match(r"(?:discussed|considered|reviewed|examined)$", participle, re.I):
                return None  # a topic, not a deliverable
            if re.match(r"(?:published|released|issued)$", participle, re.I) and report:
                return Commitment(f"Publication of {name}", Kind.REPORT, said, start, after)
            if not participle and not report:
                return None
            settled = bool(re.match(r"(?:adopted|approved|endorsed|decided|agreed|"
                                    r"prepared|drafted|developed|updated|revised)$",
                                    participle, re.I))
            # what is put online or made public is published: a report to watch for
            shown = bool(_PUT_OUT.match(participle))
            return Commitment(_capital(name), Kind.REPORT if report or shown else Kind.OTHER,
                              said, start, after, needs_date=settled)
        if re.match(r"(?:built|constructed|completed|finished)$", participle, re.I) \
                and not _PERSON.search(name):
            # "The new bridge is expected to be built by 2027": a work, done by a date
            return Commitment(f"Completion of {name}", Kind.PROJECT, said, start, after,
                              needs_date=True)
        if _LAUNCHED.search(name) and re.match(
                r"(?:launched|opened|inaugurated|started|begun|commenced|established|set\s+up|"
                r"created|introduced|rolled\s+out|completed|finished|resumed|implemented|"
                r"formed|founded|put\s+in\s+place)$", participle, re.I):
            launched = re.match(r"(?:launch|open|inaugur|establ|set|creat|introduc|roll|"
                                r"form|found|put)", participle, re.I)
            found = Kind.LAUNCH if launched else kind_of(name)
            return Commitment(_capital(name), found if found is not Kind.OTHER
                              else Kind.PROJECT, said, start, after)
        if re.match(r"(?:signed|inked|initial(?:l)?ed|ratified)$", participle, re.I) \
                and not _PERSON.search(name):
            # "the setting-up of a business observatory will be signed by April": whatever
            # is signed is an instrument
            return Commitment(_capital(name), Kind.OTHER, said, start, after)
        return None

    def passive(self, cue: re.Match[str]) -> list[Commitment]:
        """"A summit to be held in May", "“a report” to be published": the name before."""
        participle = re.match(r"(?:jointly\s+|formally\s+|officially\s+|also\s+)?"
                              r"(\w+(?:\s+(?:up|out|public|over|in\s+place))?)",
                              self.text[cue.end():])
        word = participle.group(1) if participle else ""
        said = f"{cue.group(0).strip()} {word}".strip()
        after = cue.end() + (participle.end() if participle else 0)
        before = self.noun_before(cue.start())
        if before is not None and re.search(r"\bby\s+(?:the\s+)?$",
                                            self.text[max(0, before[1] - 8):before[1]]):
            before = None  # the agent ("arranged by the Secretariat"), not the thing done
        if before is not None:
            name, start = clean(before[0]), before[1]
            if name and (_is_event_head(name) or _DOCUMENT.search(name)
                         or _AGREEMENT.search(name) or _LAUNCHED.search(name)):
                report = bool(_REPORTISH.search(_head(name)))
                if _is_event_head(name):
                    return [Commitment(_capital(name), event_kind(name), said, start, after)]
                if report and re.match(r"(?:published|released|issued)$", word):
                    return [Commitment(f"Publication of {name}", Kind.REPORT, said, start,
                                       after)]
                if _LAUNCHED.search(name) and not report and not _AGREEMENT.search(name):
                    kind = Kind.LAUNCH if re.match(r"(?:launch|open|inaugur|establ|set|"
                                                   r"creat)", word) else Kind.PROJECT
                    return [Commitment(_capital(name), kind, said, start, after)]
                return [Commitment(_capital(name), Kind.REPORT if report else Kind.OTHER,
                                   said, start, after)]
        made = self.subject_event(cue.start(), said, after, participle=word, deadline=False)
        if made is None and (event := self.event_before(cue.start())) is not None:
            name = clean(event[0])
            made = Commitment(_capital(name), event_kind(name), said, event[1], after)
        return [made] if made is not None else []

    def scheduled(self, cue: re.Match[str]) -> list[Commitment]:
        """"The talks, scheduled for March": the name before the cue."""
        before = self.noun_before(cue.start())
        if before is not None and is_event(clean(before[0])):
            name = clean(before[0])
            return [Commitment(_capital(name), event_kind(name), cue.group(0).strip(),
                               before[1], cue.end())]
        made = self.subject_event(cue.start(), cue.group(0).strip(), cue.end(),
                                  participle="", deadline=False)
        if made is None and (event := self.event_before(cue.start())) is not None:
            name = clean(event[0])
            made = Commitment(_capital(name), event_kind(name), cue.group(0).strip(),
                              event[1], cue.end())
        if made is None:
            # "the first payments are planned for the autumn": whatever is scheduled for a
            # time is something to chase, if the time is said.
            aux = _AUXILIARY_END.search(self.text, 0, cue.start())
            name = clean(self.subject(aux.start() if aux else cue.start()))
            if name and not _PRONOUN.fullmatch(name) and len(name.split()) <= 12:
                made = Commitment(_capital(name), kind_of(name), cue.group(0).strip(),
                                  max(0, cue.start() - len(name)), cue.end(), needs_date=True)
        return [made] if made is not None else []

    def upcoming(self, cue: re.Match[str]) -> list[Commitment]:
        """"The upcoming G20 summit", "the meeting to come", "next month's conference":
        kept only if dated."""
        timed = re.match(r"(?:week|month|year|weekend|spring|summer|autumn|winter)(?:’s|'s)\s+",
                         self.text[cue.end():], re.I)
        if timed:
            name, end = self.phrase_after(cue.end() + timed.end(), limit=12)
            name = clean(name)
            if name and names_event(name):
                return [Commitment(_capital(name), event_kind(name), cue.group(0).strip(),
                                   cue.end() + timed.end(), end, needs_date=True,
                                   at=cue.start())]
            return []
        if cue.lastgroup == "tocome":
            before = self.noun_before(cue.start())
            if before is None or not is_event(clean(before[0])):
                return []
            name = clean(before[0])
            return [Commitment(_capital(name), event_kind(name), "to come", before[1],
                               cue.end(), needs_date=True)]
        if re.match(r"(?:week|month|year|day|time|weekend|spring|summer|autumn|fall|winter|"
                    r"quarter|half|decade|up\b|on\b|few|several|steps?|stages?|phase)",
                    self.text[cue.end():], re.I):
            return []  # "next week", "following up": a time or a verb, not an event
        name, end = self.phrase_after(cue.end(), limit=12)
        name = clean(name)
        if not name or not names_event(name):
            return []
        said = cue.group(0).strip()
        title = f"{said} {name}" if said.lower() in ("next", "first") else name
        return [Commitment(_capital(clean(title)), event_kind(name), said, cue.start(), end,
                           needs_date=True)]

    def present(self, cues: Sequence[re.Match[str]]) -> list[Commitment]:
        """The present tense with a date still to come: "the forum convenes on 18 May"."""
        found: list[Commitment] = []
        if self.habit:
            return found  # "every year we begin on 1 October": a habit, not a plan
        for verb in _scan(_PRESENT, self.text, _PRESENT_WORDS):
            if any(c.start() <= verb.start() <= c.end() + 30 for c in cues
                   if c.lastgroup in _ACTION_CUES or c.lastgroup == "passive"):
                continue  # already read with its cue
            opened = re.match(r"[^,;.]{0,60}?\s+with\s+(?:the|a|an)\s+", self.text[verb.end():])
            if opened and re.match(r"(?:gets?\s+under\s*way|kicks?\s+off|opens|begins|starts|"
                                   r"continues|ends|closes|concludes)", verb.group(0), re.I):
                # "The competition gets under way with the Round of 64 on 26 April", "the
                # meeting opens in Kyiv on 28 May with a working dinner": a part of it.
                name, end = self.phrase_after(verb.end() + opened.end(), limit=12)
                whole = self.subject_event(verb.start(), verb.group(0), verb.end(),
                                           participle="", deadline=False, happen="takes place")
                relative = ("during", whole.title) if whole is not None and is_event(
                    whole.title) else None
                if _PRONOUN.fullmatch(clean(self.subject(verb.start()))):
                    # "... and it ends with a press conference": what the part before was of
                    relative = next((c.relative for c in reversed(found) if c.relative), None)
                    whole = None
                if clean(name):
                    found.append(Commitment(
                        _capital(clean(name)), event_kind(clean(name)), f"{verb.group(0)} with",
                        verb.end() + opened.end(), end, needs_date=True, at=verb.start(),
                        relative=relative))
                    if whole is not None and not opened.group(0).strip().startswith("with"):
                        found.append(replace(whole, needs_date=True))
                    continue
            if re.search(r"\b(?:was|were|had|has|have|did|yesterday|last(?=\s+(?:week|month|"
                         r"year|time|night|autumn|spring|summer|winter|fall|\w+day)\b))\b",
                         self.text[max(0, verb.start() - 40):verb.start()], re.I):
                # the past ("was moved", "met last week"); "the last date for comments" not
                continue
            if verb.group("visits"):
                target, end = self.phrase_after(verb.end(), limit=6)
                target = clean(target)
                if target[:1].isupper():
                    found.append(Commitment(f"Visit to {target}", Kind.VISIT, verb.group(0),
                                            verb.start(), end, needs_date=True))
                continue
            made = self.subject_event(verb.start(), verb.group(0), verb.end(), participle="",
                                      deadline=bool(re.search(r"\bdue\b", verb.group(0))),
                                      happen=verb.group(0))
            if made is None and re.match(r"(?:meets?|convenes|reconvenes|gathers)\b",
                                         verb.group(0)):
                who = clean(self.subject(verb.start()))
                if who and _BODY.search(who):
                    made = Commitment(f"Meeting of {who}", Kind.MEETING, verb.group(0),
                                      verb.start(), verb.end())
            if made is None:
                before = self.noun_before(verb.start())
                if before is None or not is_event(clean(before[0])):
                    continue
                name = clean(before[0])
                made = Commitment(_capital(name), event_kind(name), verb.group(0),
                                  before[1], verb.end())
            found.append(Commitment(made.title, made.kind, made.cue, made.start, made.end,
                                    made.deadline, needs_date=True))
        return found

    def hosting(self) -> list[Commitment]:
        """"When Westminster College holds its two-day Symposium next week": the present
        tense of holding, with a date still to come."""
        found: list[Commitment] = []
        if self.habit:
            return found
        for verb in _HOLDS.finditer(self.text):
            if re.search(r"\b(?:was|were|had|has|have|did|yesterday|last|every|each|usually|"
                         r"traditionally|annually)\b",
                         self.text[max(0, verb.start() - 40):verb.start()], re.I):
                continue
            name, end = self.phrase_after(verb.end(), limit=12)
            if names_event(clean(name)):
                found.append(Commitment(_capital(clean(name)), event_kind(clean(name)),
                                        verb.group(0).strip(), verb.end(), end,
                                        needs_date=True, at=verb.start()))
        return found

    def dated(self) -> list[Commitment]:
        """"... ahead of the APEC Economic Leaders' Meeting on 12 November", "went over the
        President's visit to Russia on 6 and 7 September": an event named by its proper name
        (or a visit by whose it is and where to) with its own date is one to chase, whatever
        the sentence says of it; kept only when the date follows the name closely and is
        still to come."""
        found: list[Commitment] = []
        if _PROPER_HINT.search(self.text):  # a capitalised event word, or "TEMM 21"
            for named in _PROPER_EVENT.finditer(self.text):
                name = clean(_OPENING_WORD.sub("", named.group("name")))
                found.append(Commitment(_capital(name), event_kind(name), "named with a date",
                                        named.start("name"), named.end("name"),
                                        needs_date=True, near=True))
        if ("visit" in self.text or "trip" in self.text) and _DIGIT.search(self.text):
            for named in _DATED_VISIT.finditer(self.text):
                name = clean(named.group("name"))
                found.append(Commitment(_capital(name), Kind.VISIT, "named with a date",
                                        named.start("name"), named.end("name"),
                                        needs_date=True, near=True))
        return found

    def deadlines(self) -> list[Commitment]:
        """"(Deadline for registration: 10 October - Extended deadline: 15 October)": a
        deadline said as a label and its day; an extended one replaces the first."""
        if "eadline" not in self.text and "closing date" not in self.text.lower():
            return []
        named = list(_NAMED_DEADLINE.finditer(self.text))
        extended = [m for m in named if m["new"]]
        what = next((clean(m["what"]) for m in named if m["what"]), "")
        return [Commitment(f"Deadline for {what}" if what else "Deadline", Kind.DEADLINE,
                           "deadline:", m.start(), m.end(), deadline=True, needs_date=True,
                           near=True) for m in (extended or named)]

    def occasions(self, cues: Sequence[re.Match[str]]) -> list[Commitment]:
        """"Will be discussed at working-level meetings in February": in a clause that
        commits to something, an event things are done at is an event to chase."""
        if not any(c.lastgroup in _ACTION_CUES and not self.hedged(c) for c in cues):
            return []
        found: list[Commitment] = []
        # Where the clause names events at all: an occasion must have one soon after it.
        named = [end for _, end in event_spans(self.text)] + [
            m.end() for m in _NUMBERED.finditer(self.text)]
        if not named:
            return found
        for at in _OCCASION.finditer(self.text):
            if not any(at.end() < end <= at.end() + 120 for end in named):
                continue
            if at.group(0).lower().startswith("in ") and not _IN_OCCASION.match(
                    self.text, at.end()):
                continue
            name, end = self.phrase_after(at.end(), limit=12)
            name = clean(re.sub(r"^(?:this|next|last)\s+(?:year|month|week)(?:’s|'s)\s+", "",
                                name, flags=re.I))
            if not name or not names_event(name) or not re.search(
                    r"(?i)\b(?:meetings?|sessions?|summits?|conferences?|forums?|dialogues?|"
                    r"talks|consultations?|ministerials?|assembl(?:y|ies)|council|committee|"
                    r"congress|COP\s?\d+|rounds?)\b|\b[A-Z][A-Za-z-]*[A-Z]\s?-?\d{1,4}\b",
                    name):
                continue
            found.append(Commitment(_capital(name), event_kind(name), at.group(0).strip(),
                                    at.end(), end, needs_date=True))
        return found


_VERB = re.compile(
    rf"(?P<meet>{_MEET})\b|(?P<visit>{_VISIT})\b|(?P<sign>{_SIGN})\b|"
    rf"(?P<hold>{_HOLD})\b|(?P<launch>{_LAUNCH})\b|(?P<publish>{_PUBLISH})\b|"
    rf"be\s+{_ADVERBS}(?P<participle>{_PARTICIPLE})\b|"
    r"(?P<happen>" + _HAPPEN + r")\b|"
    r"(?P<beon>be)\s+(?=on\b|in\s+(?:session|place)|at\s+(?:\d|noon|midday))",
    re.I)

# The present tense with a date still to come: "the forum convenes on 18 February".
_PRESENT = re.compile(
    r"(?<!\bto\s)(?<!\bwill\s)(?<!\bshall\s)(?<!\bwould\s)(?<!\bcan\s)(?<!\bmay\s)"
    r"(?<!\bcould\s)(?<!\bshould\s)(?<!\bmust\s)(?<!\bdid\s)(?<!\bdo\s)"
    r"\b(?:meet\s+in\s+person|meet(?=\s+(?:in|on|at|for|today|tomorrow|this|next)\b)|"
    r"takes\s+place|begins|starts|opens|convenes|runs|kicks\s+off|meets|resumes|"
    r"is\s+held|are\s+held|is\s+scheduled|are\s+scheduled|is\s+planned|are\s+planned|"
    r"is\s+slated|are\s+slated|closes|concludes|ends|comes\s+into\s+force|"
    r"enters\s+into\s+force|takes\s+effect|is\s+due|are\s+due|falls|is\s+on|are\s+on|"
    r"gets\s+under\s*way|continues|is\s+taking\s+place|are\s+taking\s+place|is\s+being\s+"
    r"held|are\s+being\s+held|(?:is|are)\s+(?:now\s+)?(?:fixed|set)\s+for|"
    r"(?:has|have)\s+(?:now\s+)?been\s+(?:moved|rescheduled|brought\s+forward|pushed\s+back|"
    r"shifted|fixed|set|scheduled|extended)\s+(?:to|for)|follows?(?=\s+(?:on|in)\b)|tips?\s+off|"
    r"close(?=\s+(?:at|on|by)\b)|passes(?=\s+(?:today|tomorrow|on|from|to)\b)|"
    # "when the Emir visits Malaysia from 5 to 7 December": a visit, if its days are to come
    r"(?P<visits>visits|travels\s+to)(?=\s+(?:the\s+)?(?-i:[A-Z])))\b", re.I)


_HABIT = re.compile(r"\b(?:every|each)\s+(?:year|month|week|time|spring|summer|autumn|fall|"
                    r"winter)\b|\b(?:usually|typically|traditionally|always|normally|generally|"
                    r"customarily|regularly)\b", re.I)
_HABIT_WORDS = frozenset(["every", "each", "usually", "typically", "traditionally", "always",
                          "normally", "generally", "customarily", "regularly"])
_HOLDS = re.compile(r"\b(?:holds|hosts|co-hosts|stages|organi[sz]es|convenes)\s+", re.I)

_PRESENT_WORDS = frozenset(["meet",
    "takes", "begins", "starts", "opens", "convenes", "runs", "kicks", "meets", "resumes", "is",
    "are", "closes", "concludes", "ends", "comes", "enters", "falls", "gets", "continues",
    "has", "have", "follow", "follows", "tip", "tips", "close", "passes", "visits", "travels"
])
_OCCASION = re.compile(r"\b(?:at|for|during|in)\s+(?:the\s+|its\s+|their\s+|a\s+|an\s+)?")
_IN_OCCASION = re.compile(r"(?:next|upcoming|forthcoming|\d+\w*\s)", re.I)


def _distinct(found: list[Commitment]) -> list[Commitment]:
    """One commitment per event within a clause: the same name, or a name inside another's
    words (found again by a weaker reading), counts once."""
    kept: list[Commitment] = []
    for commitment in sorted(found, key=lambda c: (c.needs_date, c.start)):
        key = clean(commitment.title).lower()
        if any(clean(k.title).lower() == key for k in kept):
            continue
        if commitment.needs_date and any(k.start <= commitment.start < k.end
                                         or commitment.start <= k.start < commitment.end
                                         for k in kept):
            continue
        kept.append(commitment)
    return sorted(kept, key=lambda c: c.start)
