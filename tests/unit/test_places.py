"""Places from the data packages: capitals and cities give their country, other spellings and
demonyms name countries, and a city several countries share is the release's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events import places
from events.places import countries_in, find_places, is_country, places_named


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The ministers met in Seoul and Tokyo.",
         [("Seoul", "South Korea"), ("Tokyo", "Japan")]),
        ("Viet Nam and the Republic of Korea signed it.",
         [("Viet Nam", "Vietnam"), ("the Republic of Korea", "South Korea")]),
        ("Talks in Nairobi, Kenya, ended.", [("Nairobi", "Kenya"), ("Kenya", "Kenya")]),
        ("The forum moves to Rio de Janeiro.", [("Rio de Janeiro", "Brazil")]),
        ("The Minister of Foreign Affairs spoke.", []),
    ],
)
def test_places_and_their_countries(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(p.name, p.country) for p in find_places(text)] == expected


@pytest.mark.parametrize(
    ("countries", "country"),
    [({"Spain"}, "Spain"), ({"Venezuela"}, "Venezuela"), (set(), "Venezuela")],
)
def test_a_shared_city_name_is_in_the_release_s_country(countries: set[str],
                                                        country: str) -> None:
    [place] = places_named("The summit will be held in Valencia in May.",
                           countries=countries)
    assert (place.name, place.country) == ("Valencia", country)


def test_a_town_named_as_one_is_a_place_if_unknown() -> None:
    [place] = places_named("The meeting will take place in the city of Tumbes on 5 May.")
    assert (place.name, place.country, place.is_country) == ("Tumbes", "", False)


def test_only_places_after_in_at_to_are_where_something_happens() -> None:
    assert [p.name for p in places_named("Japan said the talks will be held in Geneva.")] == [
        "Geneva"]


def test_demonyms_and_codes_name_countries() -> None:
    assert countries_in("The Japanese side and the ROK delegation met the Chinese minister.") \
        == {"Japan", "South Korea", "China"}
    assert is_country("Korea") and is_country("Türkiye") and not is_country("Seoul")


@pytest.fixture
def fresh_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The names loaded again, with their cache in ``tmp_path``."""
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(tmp_path))
    places._gazetteer.cache_clear()
    yield tmp_path
    places._gazetteer.cache_clear()


def test_the_names_are_kept_and_read_back_the_same(fresh_names: Path) -> None:
    built = places._gazetteer()
    [kept] = fresh_names.glob("places-*.json")
    places._gazetteer.cache_clear()
    assert places._gazetteer() == built
    assert places_named("They meet in Valencia.", countries=["Venezuela"])[0].country == \
        "Venezuela"
    assert not list(fresh_names.glob(".places-*")), "no half-written file left"
    assert kept.stat().st_size > 100_000


def test_a_damaged_cache_is_built_again_and_replaced(fresh_names: Path) -> None:
    path = places._cache_path()
    assert path is not None and path.parent == fresh_names
    path.write_text('{"countries": {"Atlantis": "Atlantis"}, "cit', encoding="utf-8")
    assert is_country("Japan") and not is_country("Atlantis")
    places._gazetteer.cache_clear()
    assert is_country("Japan"), "the rewritten cache is whole"


def test_an_unwritable_cache_folder_only_costs_time(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(blocker / "cache"))
    places._gazetteer.cache_clear()
    try:
        assert places_named("The talks end in Nairobi.")[0].country == "Kenya"
    finally:
        places._gazetteer.cache_clear()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"FOLLOWUP_CACHE_DIR": "/srv/cache", "XDG_CACHE_HOME": "/x"}, "/srv/cache"),
        ({"XDG_CACHE_HOME": "/x"}, "/x/followup"),
        ({"HOME": "/home/desk"}, "/home/desk/.cache/followup"),
    ],
)
def test_where_the_cache_is_kept(monkeypatch: pytest.MonkeyPatch,
                                 environment: dict[str, str], expected: str) -> None:
    for name in ("FOLLOWUP_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    path = places._cache_path()
    assert path is not None and str(path.parent) == expected
    assert path.name.startswith("places-") and path.suffix == ".json"
