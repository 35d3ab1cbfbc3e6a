"""Places from the data packages: capitals and cities give their country, other spellings and
demonyms name countries, and a city several countries share is the release's own."""

from __future__ import annotations

import pytest

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
