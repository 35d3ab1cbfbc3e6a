"""Dates in release prose, read as windows. Pure functions: the publication date is passed in.

Releases state time loosely and relative to themselves: "in February and on", "the second
half of the year 2019", "early next year", "on January 24". Each construct becomes a
:class:`Window` at its precision, with the exact phrase it came from. A month or day without
a year is placed by tense: after a future cue the next occurrence (with a few days' grace
before the release date, since a release dated 24 January says "will visit ... on January
24"), after a past cue the last one. Background in the past tense ("had begun in May 2017")
is marked as such, so it is not taken for a follow-up's date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from events.window import Precision, Window

GRACE = timedelta(days=7)
# How far back a cue is looked for: enough for a clause, and a long text stays linear.
# How far before a date its verb can be ("which had begun in May 2017").
_LOOKBACK = 90
_EARLIER = re.compile(r"\b(?:earlier|last|past|previous)\s*$", re.I)

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr)
                if name})
_MONTHS["sept"] = 9
MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
MONTH2 = MONTH.replace("?P<month>", "?P<month2>")
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
DAY2 = r"(?:the\s+)?(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?"
YEAR = r"(?P<year>(?:19|20)\d\d)"
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "a": 1, "an": 1}
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
            "4th": 4, "latter": 2, "former": 1}
# "of the year 2019", "of 2019", "of this year", "of next year", or nothing.
YEAR_REF = (r"(?:\s+of\s+(?:the\s+(?:year\s+)?)?(?:(?P<year>(?:19|20)\d\d)|(?P<rel>this|next|"
            r"last)\s+year|the\s+year))?")

_FUTURE = re.compile(
    r"\b(will|shall|would|to be|to take place|to hold|to come|scheduled|planned|plans? to|agreed "
    r"to|decided to|next|upcoming|expected to|intends? to|aim(?:s|ed)? to|going to)\b", re.I)
_PAST = re.compile(
    r"\b(had|was|were|took place|held|opened|launched|began|begun|started|established|"
    r"signed|met|visited|improved|since|ago|last(?=\s+(?:week|month|year|time|night|autumn|"
    r"spring|summer|winter|fall|\w+day)\b))\b", re.I)  # "the last date for comments": no
# ``_PAST`` finds nothing in a text without one of these.
_PAST_WORDS = ("had", "was", "were", "took place", "held", "opened", "launched", "began",
               "begun", "started", "established", "signed", "met", "visited", "improved",
               "since", "ago", "last")
_BACKGROUND = re.compile(
    r"\b(?:had\s+)?(?:been\s+)?(?<!be\s)(?<!to\s)(?:begun|began|opened|launched|started|established|founded|"
    r"created|set up|took place|was held|were held|signed|improved|adopted)"
    r"(?:\s+[\w,’'-]+){0,5}?(?:\s+(?:in|on|since|from))?\s*$|\bsince\s*$", re.I)


# ``_BACKGROUND`` finds nothing in a text without one of these.
_BACKGROUND_WORDS = ("begun", "began", "opened", "launched", "started", "established",
                     "founded", "created", "set up", "took place", "held", "signed",
                     "improved", "adopted", "since")


def background(before: str) -> bool:
    """Whether the words just before a date tell of the past: "which had begun in"."""
    lower = before.lower()
    return any(word in lower for word in _BACKGROUND_WORDS) and bool(_BACKGROUND.search(before))


@dataclass(frozen=True)
class TimeMention:
    window: Window
    phrase: str
    start: int
    end: int
    #: Said of something that already happened: background, not a date to chase.
    past: bool = False


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_day(year: int, month: int, day: int) -> date | None:
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


class _Context:
    def __init__(self, text: str, published: date) -> None:
        self.text = text
        self.published = published

    @cached_property
    def future(self) -> bool:
        return bool(_FUTURE.search(self.text))

    @cached_property
    def past(self) -> bool:
        lower = self.text.lower()
        if not any(word in lower for word in _PAST_WORDS):
            return False  # no word of the past tense: no need to look closer
        return bool(_PAST.search(self.text)) and not self.future

    def year_for(self, month: int, day: int | None, before: str) -> int:
        """The year a month (and day) without one falls in, by tense."""
        past = self.past or background(before)
        year = self.published.year
        probe = date(year, month, min(day or 1, calendar.monthrange(year, month)[1]))
        if past:
            return year if probe <= self.published + GRACE else year - 1
        end = probe if day else _month_end(year, month)
        return year if end >= self.published - GRACE else year + 1

    def relative_year(self, rel: str | None) -> int:
        if rel is None:
            return self.published.year
        return self.published.year + {"this": 0, "next": 1, "last": -1}[rel.lower()]


def _year(match: re.Match[str], ctx: _Context, month: int, day: int | None = None) -> int:
    if match.groupdict().get("year"):
        return int(match["year"])
    if match.groupdict().get("rel"):
        return ctx.relative_year(match["rel"])
    return ctx.year_for(month, day, ctx.text[max(0, match.start() - _LOOKBACK):match.start()])


def _days(ctx: _Context, match: re.Match[str]) -> Window | None:
    month = _MONTHS[match["month"].lower().rstrip(".")]
    day = int(match["day"])
    second = match.groupdict().get("day2")
    last_month = _MONTHS[match["month2"].lower().rstrip(".")] if match.groupdict().get(
        "month2") else month
    year = _year(match, ctx, month, day)
    first = _safe_day(year, month, day)
    if first is None:
        return None
    if second is None:
        return Window.day(first)
    other = _safe_day(year, last_month, int(second))
    if other is None:
        return None
    return Window.days(min(first, other), max(first, other))


def _month(ctx: _Context, match: re.Match[str]) -> Window:
    month = _MONTHS[match["month"].lower().rstrip(".")]
    return Window.month(_year(match, ctx, month), month)


def _named_month(ctx: _Context, match: re.Match[str]) -> Window | None:
    """"Its June session": a month named as an event's, capitalised as months are."""
    if not match["month"][:1].isupper():
        return None
    return _month(ctx, match)


def _open_month(ctx: _Context, match: re.Match[str]) -> Window:
    month = _MONTHS[match["month"].lower().rstrip(".")]
    return Window.open_from(date(_year(match, ctx, month), month, 1))


def _month_range(ctx: _Context, match: re.Match[str]) -> Window | None:
    first = _MONTHS[match["month"].lower().rstrip(".")]
    last = _MONTHS[match["month2"].lower().rstrip(".")]
    year = _year(match, ctx, first)
    last_year = year if last >= first else year + 1
    return Window(date(year, first, 1), _month_end(last_year, last), Precision.MONTH)


_PART = {"early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20),
         "middle": (11, 20), "late": (21, 31), "end": (21, 31)}


def _part_of_month(ctx: _Context, match: re.Match[str]) -> Window:
    month = _MONTHS[match["month"].lower().rstrip(".")]
    year = _year(match, ctx, month)
    low, high = _PART[match["part"].lower()]
    return Window.days(date(year, month, low), min(date(year, month, 1) + timedelta(
        days=high - 1), _month_end(year, month)))


_YEAR_PART = {"early": (1, 4), "beginning": (1, 3), "start": (1, 3), "first months": (1, 3),
              "mid": (5, 8), "middle": (5, 8), "late": (9, 12), "end": (10, 12)}


def _part_of_year(ctx: _Context, match: re.Match[str]) -> Window:
    year = int(match["year"]) if match.groupdict().get("year") else ctx.relative_year(
        match.groupdict().get("rel") or "this")
    first, last = _YEAR_PART[match["part"].lower()]
    return Window(date(year, first, 1), _month_end(year, last), Precision.MONTH)


def _half(ctx: _Context, match: re.Match[str]) -> Window:
    half = _ORDINAL[match["which"].lower()]
    return Window.half_year(_year(match, ctx, 6 * half), half)


def _half_short(ctx: _Context, match: re.Match[str]) -> Window:
    return Window.half_year(int(match["year"]), int(match["which"]))


def _quarter(ctx: _Context, match: re.Match[str]) -> Window:
    quarter = _ORDINAL[match["which"].lower()]
    return Window.quarter(_year(match, ctx, 3 * quarter), quarter)


def _quarter_short(ctx: _Context, match: re.Match[str]) -> Window:
    return Window.quarter(int(match["year"]), int(match["which"]))


_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11),
            "winter": (12, 2)}


def _season(ctx: _Context, match: re.Match[str]) -> Window:
    first, last = _SEASONS[match["season"].lower()]
    if match.groupdict().get("year"):
        year = int(match["year"])
    elif match.groupdict().get("rel"):
        year = ctx.relative_year(match["rel"])
    else:
        # The next one not yet over: a winter in progress at the release is this winter.
        year = ctx.published.year - 1
        while _month_end(year if last > first else year + 1, last) < ctx.published - GRACE:
            year += 1
    last_year = year if last > first else year + 1
    return Window(date(year, first, 1), _month_end(last_year, last), Precision.MONTH)


_WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}
_WEEKDAYS.update({name.lower(): number for number, name in enumerate(calendar.day_abbr)})
_WEEKDAYS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})
WEEKDAY = (r"(?P<weekday>" + "|".join(sorted((d for d in _WEEKDAYS if len(d) > 5), key=len,
                                                reverse=True))
           + r"|(?:" + "|".join(d for d in _WEEKDAYS if len(d) <= 5) + r")(?:\.(?!\s*$))?"
           + r")(?:’s|'s)?")
WEEKDAY2 = WEEKDAY.replace("?P<weekday>", "?P<weekday2>")


def _weekday_on(ctx: _Context, name: str, before: str) -> date:
    """The day a weekday names: the next one after the release, or, said of the past,
    the last one up to it."""
    target = _WEEKDAYS[name.lower().rstrip(".").removesuffix("’s").removesuffix("'s")]
    published = ctx.published
    if ctx.past or background(before):
        return published - timedelta(days=(published.weekday() - target) % 7)
    # The release's own weekday is that day: news of the day says "on Tuesday" of it.
    return published + timedelta(days=(target - published.weekday()) % 7)


def _weekday(ctx: _Context, match: re.Match[str]) -> Window:
    before = ctx.text[max(0, match.start() - _LOOKBACK):match.start()]
    first = _weekday_on(ctx, match["weekday"], before)
    if match.groupdict().get("weekday2"):
        second = _weekday_on(ctx, match["weekday2"], before)
        if second < first:
            second += timedelta(days=7)
        return Window.days(first, second)
    return Window.day(first)


def _weekend(ctx: _Context, match: re.Match[str]) -> Window:
    published = ctx.published
    saturday = published + timedelta(days=(5 - published.weekday()) % 7)
    if published.weekday() == 6:  # a Sunday's "this weekend" is the one under way
        saturday = published - timedelta(days=1)
    if match["which"].lower() == "next":
        saturday += timedelta(days=7)
    return Window.days(saturday, saturday + timedelta(days=1))


def _week_of(ctx: _Context, match: re.Match[str]) -> Window | None:
    day = _days(ctx, match)
    if day is None or day.earliest is None:
        return None
    monday = day.earliest - timedelta(days=day.earliest.weekday())
    return Window.days(monday, monday + timedelta(days=6))


def _week_from(ctx: _Context, match: re.Match[str]) -> Window | None:
    day = _days(ctx, match)
    if day is None or day.earliest is None:
        return None
    if match["way"].lower() == "ending":
        return Window.days(day.earliest - timedelta(days=6), day.earliest)
    return Window.days(day.earliest, day.earliest + timedelta(days=6))


def _by_end_of_month(ctx: _Context, match: re.Match[str]) -> Window:
    """"By end-March", "by the end of June next year": from the release to that day."""
    month = _MONTHS[match["month"].lower().rstrip(".")]
    if match.groupdict().get("year") or match.groupdict().get("rel"):
        year = _year(match, ctx, month)
    else:
        year = ctx.published.year if _month_end(ctx.published.year, month) >= (
            ctx.published - GRACE) else ctx.published.year + 1
    return Window.spanning(ctx.published, max(_month_end(year, month), ctx.published))


_SEASON_PART = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2,
                "end": 2}


def _part_of_season(ctx: _Context, match: re.Match[str]) -> Window:
    first = _season(ctx, match).earliest or ctx.published  # a season always has its days
    offset = _SEASON_PART[match["part"].lower()]
    month_start = date(first.year + (first.month + offset - 1) // 12,
                       (first.month + offset - 1) % 12 + 1, 1)
    return Window.month(month_start.year, month_start.month)


def _today(ctx: _Context, match: re.Match[str]) -> Window:
    word = match["word"].lower()
    offset = {"today": 0, "tonight": 0, "tomorrow": 1, "day after tomorrow": 2,
              "yesterday": -1}[re.sub(r"^the\s+", "", word)]
    return Window.day(ctx.published + timedelta(days=offset))


def _by_end(ctx: _Context, match: re.Match[str]) -> Window:
    unit = match["unit"].lower()
    rel = (match.groupdict().get("rel") or "this").lower()
    if unit == "month":
        month_start = date(ctx.published.year, ctx.published.month, 1)
        if rel == "next":
            month_start = (month_start + timedelta(days=32)).replace(day=1)
        last = _month_end(month_start.year, month_start.month)
    else:
        year = int(match["year"]) if match.groupdict().get("year") else ctx.relative_year(rel)
        last = date(year, 12, 31)
    return Window.spanning(ctx.published, max(last, ctx.published))


def _later_this(ctx: _Context, match: re.Match[str]) -> Window:
    if match["unit"].lower() == "month":
        last = _month_end(ctx.published.year, ctx.published.month)
    else:
        last = date(ctx.published.year, 12, 31)
    return Window.spanning(ctx.published, max(last, ctx.published))


def _next_unit(ctx: _Context, match: re.Match[str]) -> Window:
    unit = match["unit"].lower()
    if unit == "year":
        return Window.year(ctx.published.year + 1)
    if unit == "month":
        following = (date(ctx.published.year, ctx.published.month, 1) + timedelta(days=32))
        return Window.month(following.year, following.month)
    monday = ctx.published + timedelta(days=7 - ctx.published.weekday())
    return Window.days(monday, monday + timedelta(days=6))


def _within(ctx: _Context, match: re.Match[str]) -> Window:
    count = " ".join(match["count"].lower().split())
    # "a few", "several" weeks: up to six of them
    number = int(count) if count.isdigit() else _NUMBERS.get(count, 6 if count in (
        "a few", "several") else 2 if count == "a couple of" else 1)
    unit = match["unit"].lower().rstrip("s")
    span = {"day": timedelta(days=number), "week": timedelta(weeks=number),
            "month": timedelta(days=round(30.44 * number)),
            "year": timedelta(days=round(365.25 * number))}[unit]
    return Window.spanning(ctx.published, ctx.published + span)


def _coming(ctx: _Context, match: re.Match[str]) -> Window:
    unit = match["unit"].lower()
    span = timedelta(weeks=4) if unit == "weeks" else timedelta(days=91)
    return Window.spanning(ctx.published, ctx.published + span)


def _this_unit(ctx: _Context, match: re.Match[str]) -> Window:
    if match["unit"].lower() == "week":  # the rest of the week, to its Sunday
        return Window.days(ctx.published, ctx.published + timedelta(
            days=6 - ctx.published.weekday()))
    if match["unit"].lower() == "month":
        return Window.month(ctx.published.year, ctx.published.month)
    return Window.year(ctx.published.year)


def _year_only(ctx: _Context, match: re.Match[str]) -> Window:
    return Window.year(int(match["year"]))


def _dotted(ctx: _Context, match: re.Match[str]) -> Window | None:
    """"16. 3. 2020", "16.03.2020": day, month, year, as Europe writes them."""
    day = _safe_day(int(match["year"]), int(match["m"]), int(match["d"]))
    return Window.day(day) if day is not None else None


_NAMED_EVENT = (r"(?:Games|Summit|Conference|Expo|Cup|Forum|Olympics|Paralympics|"
                r"Championships?|Festival|Congress|Assembly|Week|Fair|Show|Biennale|Olympiad|"
                r"Meetings|Ministerial|Dialogue|Marathon|Tour|Exhibition)")


def _named_year(ctx: _Context, match: re.Match[str]) -> Window | None:
    """"the Pacific Games 2023", "the 2027 Pacific Games": a year in an event's name."""
    before, after = match.string[:match.start()], match.string[match.end():]
    if re.search(_NAMED_EVENT + r"\s*$", before) or (
            re.search(r"\b(?:the|its|their|of)\s+$", before, re.I)
            and re.match(r"\s+(?:[A-Z][\w’'-]*\s+){0,4}" + _NAMED_EVENT + r"\b", after)):
        return Window.year(int(match["year"]))
    return None


def _iso(ctx: _Context, match: re.Match[str]) -> Window | None:
    try:
        return Window.day(date.fromisoformat(match["iso"]))
    except ValueError:
        return None


def _re_gate(words: str) -> frozenset[str]:
    return frozenset(words.split("|"))


def _also(words: str) -> frozenset[str]:
    """Words of which a rule needs one besides its gate: "week" for "the week of 3 May"."""
    return frozenset(words.split("|"))


_MONTH_GATE = frozenset(_MONTHS)
_WEEKDAY_GATE = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday",
                           "saturday", "sunday", "mon", "tue", "tues", "wed", "thu", "thur",
                           "thurs", "fri", "sat", "sun", "weds", "mondays", "tuesdays",
                           "wednesdays", "thursdays", "fridays", "saturdays", "sundays"])
_SEASON_GATE = frozenset(["spring", "summer", "autumn", "fall", "winter"])
_DIGIT_GATE = frozenset(["0"])  # stands for "any digit"
_YEAR_GATE = frozenset(["0", "year"])
_TOKEN = re.compile(r"[A-Za-z]+|\d+")
# How many words a rule's pattern may start before the word it needs ("in the early part
# of March": five before the month).
_REACH = 7


# Each rule with a gate: a word (or a digit) it cannot match without, looked for first, so
# that a sentence is not tried against every rule.
_Rule = tuple[re.Pattern[str], object, frozenset[str] | None, frozenset[str] | None, int]
# What a month can name the session of: "its June session".
_SESSION = ("session|sessions|meeting|meetings|summit|round|plenary|conference|council|edition|"
            "ministerial|workshop|forum")


def _rule(pattern: str, build: object, gate: frozenset[str] | None,
          also: frozenset[str] | None = None, *, reach: int = _REACH) -> _Rule:
    """A rule: its pattern, what builds its window, its gate, if any words of which it
    needs one as well, and how many words before its gate's it can begin (none when the
    gate's word is its first)."""
    return re.compile(pattern, re.I), build, gate, also, reach


_RULES: list[_Rule] = [
    _rule(r"\b(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)\b", _iso, _DIGIT_GATE, reach=0),
    _rule(r"(?<![\d.])(?P<d>[0-3]?\d)\.\s?(?P<m>[01]?\d)\.\s?(?P<year>(?:19|20)\d\d)\b", _dotted,
          _DIGIT_GATE, reach=0),
    # the week of a day
    _rule(rf"\b(?:during\s+|in\s+)?the\s+week\s+of\s+{MONTH}\s+{DAY}(?:,?\s+{YEAR})?\b",
          _week_of, _MONTH_GATE,
          _also("week")),
    _rule(rf"\b(?:during\s+|in\s+)?the\s+week\s+of\s+{DAY}\s+{MONTH}(?:,?\s+{YEAR})?\b",
          _week_of, _MONTH_GATE,
          _also("week")),
    # "the week commencing 30 August", "the week ending 4 May": seven days from or to it
    _rule(rf"\b(?:during\s+|in\s+)?the\s+week\s+(?P<way>commencing|beginning|starting|"
          rf"ending)\s+(?:on\s+)?(?:{WEEKDAY},?\s+)?{MONTH}\s+{DAY}(?:,?\s+{YEAR})?\b",
          _week_from, _MONTH_GATE, _also("week")),
    _rule(rf"\b(?:during\s+|in\s+)?the\s+week\s+(?P<way>commencing|beginning|starting|"
          rf"ending)\s+(?:on\s+)?(?:{WEEKDAY},?\s+)?{DAY}\s+{MONTH}(?:,?\s+{YEAR})?\b",
          _week_from, _MONTH_GATE, _also("week")),
    # a weekday with its date: the date says it all
    _rule(rf"\b{WEEKDAY},?\s+(?:the\s+)?{MONTH}\s+{DAY}(?:,?\s+{YEAR})?\b", _days, _WEEKDAY_GATE,
          _also("0"), reach=0),
    _rule(rf"\b{WEEKDAY},?\s+(?:the\s+)?{DAY}\s+{MONTH}(?:,?\s+{YEAR})?\b", _days, _WEEKDAY_GATE,
          _also("0"), reach=0),
    # by the end of a month: a deadline from the release to that day
    _rule(rf"\b(?:by|before|until)\s+(?:the\s+)?end(?:\s+of\s+|-|\s+){MONTH}"
          rf"(?:,?\s+(?:{YEAR}|(?P<rel>this|next)\s+year))?\b", _by_end_of_month, _MONTH_GATE,
          _also("end")),
    # days and spans of days
    _rule(rf"\b(?:from\s+)?{MONTH}\s+{DAY}\s+(?:to|until|through|-|–)\s+{DAY2}(?:,?\s+{YEAR})?\b",
          _days, _MONTH_GATE,
          _also("0")),
    _rule(rf"\b(?:from\s+)?{DAY}\s+{MONTH}\s+(?:to|until|-|–)\s+{DAY2}\s+{MONTH2}(?:,?\s+{YEAR})?\b",
          _days, _MONTH_GATE,
          _also("0")),
    _rule(rf"\b{DAY}\s*(?:-|–|to|and)\s*{DAY2}\s+{MONTH}(?:,?\s+{YEAR})?\b", _days, _MONTH_GATE,
          _also("0")),
    _rule(rf"\b{MONTH}\s+{DAY}\s*(?:-|–|and)\s*{DAY2}(?:,?\s+{YEAR})?\b", _days, _MONTH_GATE,
          _also("0"), reach=0),
    _rule(rf"\b{MONTH}\s+{DAY}(?:,?\s+{YEAR})?(?![\d:])\b", _days, _MONTH_GATE,
          _also("0"), reach=0),
    _rule(rf"\b{DAY}\s+{MONTH}(?:,?\s+{YEAR})?\b", _days, _MONTH_GATE,
          _also("0")),
    # parts of a month
    _rule(rf"\b(?:in\s+)?(?:the\s+)?(?P<part>early|mid|late|beginning|middle|end)"
          rf"(?:-|\s+(?:of|in)\s+|\s+){MONTH}(?:,?\s+{YEAR})?\b", _part_of_month, _MONTH_GATE),
    # open-ended months
    _rule(rf"\b(?:from|since|starting(?:\s+in)?|beginning(?:\s+in)?)\s+{MONTH}(?:\s+{YEAR})?\s+"
          r"(?:on(?:wards?)?|and\s+on(?:wards?)?|and\s+beyond)\b", _open_month, _MONTH_GATE,
          _also("on|onward|onwards|beyond")),
    _rule(rf"\b(?:in\s+)?{MONTH}(?:\s+{YEAR})?\s+(?:and\s+on(?:wards?)?|onwards?|and\s+beyond|"
          r"and\s+after)\b", _open_month, _MONTH_GATE,
          _also("on|onward|onwards|beyond|after")),
    _rule(rf"\bfrom\s+{MONTH}(?:\s+{YEAR})?\s+onwards?\b", _open_month, _MONTH_GATE,
          _also("onward|onwards")),
    # "launch the project from March 2019": it starts that month
    _rule(rf"\b(?:from|starting(?:\s+in)?|beginning(?:\s+in)?|as\s+of|effective)\s+{MONTH}"
          rf"(?:,?\s+{YEAR})?\b(?!\s+(?:to|until|through|and|-|–)\b)", _month, _MONTH_GATE,
          _also("from|starting|beginning|as|effective")),
    # spans of months
    _rule(rf"\b(?:from|between)\s+{MONTH}\s+(?:to|and|until|through)\s+{MONTH2}(?:,?\s+{YEAR})?\b",
          _month_range, _MONTH_GATE,
          _also("from|between")),
    # halves and quarters
    _rule(rf"\b(?:in\s+)?(?:the\s+)?(?P<which>first|second|latter|former|1st|2nd)\s+half{YEAR_REF}",
          _half, _re_gate("half")),
    _rule(r"\bH(?P<which>[12])\s+(?P<year>(?:19|20)\d\d)\b", _half_short, _DIGIT_GATE,
          _also("h"), reach=1),
    _rule(r"\b(?P<year>(?:19|20)\d\d)\s*H(?P<which>[12])\b", _half_short, _DIGIT_GATE,
          _also("h"), reach=0),
    _rule(rf"\b(?:in\s+)?(?:the\s+)?(?P<which>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter"
          rf"{YEAR_REF}", _quarter, _re_gate("quarter")),
    _rule(r"\bQ(?P<which>[1-4])\s+(?P<year>(?:19|20)\d\d)\b", _quarter_short, _DIGIT_GATE,
          _also("q"), reach=1),
    _rule(r"\b(?P<year>(?:19|20)\d\d)\s*Q(?P<which>[1-4])\b", _quarter_short, _DIGIT_GATE,
          _also("q"), reach=0),
    # vague spans
    _rule(r"\bby\s+the\s+end\s+of\s+(?:(?P<rel>this|next)\s+|the\s+)?(?P<unit>year|month)\b",
          _by_end, _re_gate("end")),
    _rule(r"\bby\s+the\s+end\s+of\s+(?P<unit>)(?P<year>(?:19|20)\d\d)\b", _by_end, _re_gate("end")),
    _rule(r"\blater\s+(?:this|in\s+the)\s+(?P<unit>year|month)\b", _later_this, _re_gate("later")),
    _rule(r"\b(?:in\s+)?(?:the\s+)?(?P<part>early|mid|late|beginning|start|middle|end)"
          r"(?:-|\s+|\s+of\s+)(?:(?P<rel>this|next)\s+year|(?P<year>(?:19|20)\d\d))\b",
          _part_of_year, _YEAR_GATE),
    _rule(r"\bwithin\s+(?:the\s+next\s+)?(?P<count>\d+|one|two|three|four|five|six|seven|eight|"
          r"nine|ten|twelve|a|an)\s+(?P<unit>days?|weeks?|months?|years?)\b",
          _within, _re_gate("within")),
    # "in a few weeks' time", "in two months' time": from the release to then
    _rule(r"\bin\s+(?P<count>\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a|an|"
          r"a\s+few|a\s+couple\s+of|several)\s+(?P<unit>days?|weeks?|months?|years?)"
          r"(?:[’']s?)?\s+time\b", _within, _re_gate("time")),
    _rule(r"\b(?:in\s+)?the\s+coming\s+(?P<unit>months|weeks)\b", _coming, _re_gate("coming")),
    _rule(r"\b(?:in\s+)?(?:the\s+)?(?P<part>early|mid|late|beginning|middle|end)(?:-|\s+of\s+"
          r"(?:the\s+)?|\s+)(?P<season>spring|summer|autumn|fall|winter)(?:\s+of)?"
          r"(?:\s+(?:(?P<year>(?:19|20)\d\d)|(?P<rel>this|next)\s+year))?\b",
          _part_of_season, _SEASON_GATE),
    _rule(r"\b(?:in\s+)?(?:the\s+)?(?P<season>spring|summer|autumn|fall|winter)"
          r"(?:\s+of)?(?:\s+(?:(?P<year>(?:19|20)\d\d)|(?P<rel>this|next)\s+year))?\b",
          _season, _SEASON_GATE),
    _rule(r"\bnext\s+(?P<unit>week|month|year)\b", _next_unit, _re_gate("next")),
    _rule(rf"\b(?:next|this\s+coming|coming)\s+{MONTH}(?:\s+{YEAR})?\b", _month, _MONTH_GATE,
          _also("next|coming")),
    _rule(r"\b(?P<word>today|tonight|tomorrow|the\s+day\s+after\s+tomorrow|yesterday)\b",
          _today, _re_gate("today|tonight|tomorrow|yesterday")),
    # weekdays and weekends, after the release (or before it, said of the past)
    _rule(r"\b(?P<which>this|next|the\s+coming|coming)\s+weekend\b", _weekend,
          _re_gate("weekend")),
    _rule(rf"\b(?:on\s+|this\s+|next\s+|coming\s+)?{WEEKDAY}\s+(?:and|to|through|-|–)\s+"
          rf"{WEEKDAY2}\b", _weekday, _WEEKDAY_GATE),
    _rule(rf"\b(?:on\s+|this\s+|next\s+|coming\s+|from\s+)?{WEEKDAY}(?![\w-])", _weekday,
          _WEEKDAY_GATE),
    _rule(r"\b(?:around|about|circa)\s+" + MONTH + r"(?:\s+" + YEAR + r")?\b", _month,
          _MONTH_GATE, _also("around|about|circa")),
    _rule(rf"\b(?:in|during|by|around|until|for|of|since)\s+{MONTH}(?:,?\s+{YEAR})?\b",
          _month, _MONTH_GATE, _also("in|during|by|around|until|for|of|since")),
    _rule(rf"(?:(?<=\bthe\s)|(?<=\bits\s)|(?<=\btheir\s)|(?<=\bthis\s)|(?<=\bnext\s)){MONTH}"
          rf"(?:\s+{YEAR})?(?=\s+(?:{_SESSION})\b)", _named_month, _MONTH_GATE,
          _also(_SESSION), reach=0),
    _rule(r"\b(?:later\s+)?this\s+(?:coming\s+)?(?P<unit>year|month|week)\b(?!\s*end)",
          _this_unit, _re_gate("this")),
    _rule(r"\b(?:in|during|by|within|until|since|of)\s+(?:the\s+year\s+)?"
          r"(?P<year>(?:19|20)\d\d)\b", _year_only, _DIGIT_GATE,
          _also("in|during|by|within|until|since|of")),
    _rule(r"(?<![\w./-])(?P<year>(?:19|20)\d\d)(?![\w/-])", _named_year, _DIGIT_GATE, reach=0),
]



# Every rule needs one of these words (or a digit) to match at all.
# Every rule needs one of these words (or a digit, "0").
_ANY_TIME = frozenset().union(*(gate for _, _, gate, _, _ in _RULES if gate is not None))


def find_times(text: str, published: date) -> list[TimeMention]:
    """Every time expression in ``text``, left to right, longest first where they overlap."""
    # Each rule is tried only at the words just before one it cannot match without (a month
    # name, a digit, "half", ...): a long pattern tried at every character is the slow part.
    tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text.lower())]
    keys = ["0" if word[0].isdigit() else word for _, word in tokens]
    words = set(keys)
    if words.isdisjoint(_ANY_TIME):
        return []  # most sentences of a release: no need to try every rule
    starts = [start for start, _ in tokens]
    ctx = _Context(text, published)
    taken: list[tuple[int, int]] = []
    found: list[TimeMention] = []
    places: dict[tuple[int, int], list[int]] = {}  # where to try the rules of one gate
    for pattern, build, gate, also, reach in _RULES:
        if (gate is not None and words.isdisjoint(gate)) or (
                also is not None and words.isdisjoint(also)):
            continue
        tried = places.get((id(gate), reach))
        if tried is None:
            hits = [i for i, key in enumerate(keys) if gate is None or key in gate]
            tried = sorted({starts[j] for i in hits for j in range(max(0, i - reach), i + 1)})
            places[(id(gate), reach)] = tried
        position = 0
        for at in tried:
            if at < position:
                continue
            match = pattern.match(text, at)
            if match is None:
                continue
            start, end = match.span()
            position = end
            if any(start < b and a < end for a, b in taken):
                continue
            try:
                window = build(ctx, match)  # type: ignore[operator]
            except (ValueError, OverflowError, KeyError):
                window = None
            if window is None:
                continue
            phrase = text[start:end].strip()
            before = text[max(0, start - _LOOKBACK):start]
            past = background(before) or phrase.lower().startswith("since") \
                or bool(_EARLIER.search(before))
            taken.append((start, end))
            found.append(TimeMention(window, phrase, start, end, past))
    return sorted(found, key=lambda m: m.start)
