from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.errors import FollowupError
from events.extract import propose
from events.reading import (
    UnreadableRelease,
    decode,
    find_published,
    html_to_text,
    paragraphs,
    read_release,
    sentences,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Kim met Mr. Lee. They agreed.", ["Dr. Kim met Mr. Lee.", "They agreed."]),
        ("The U.S. and the U.K. will meet. Then Japan.", ["The U.S. and the U.K. will meet.",
                                                         "Then Japan."]),
        ("See No. 5 on Jan. 30. J. Smith will attend.", ["See No. 5 on Jan. 30.",
                                                        "J. Smith will attend."]),
        ("It rose by 40%. “We will meet,” he said. (Later.)",
         ["It rose by 40%.", "“We will meet,” he said.", "(Later.)"]),
        ("One sentence without an end", ["One sentence without an end"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_numbered_paragraphs_and_their_bullets_survive_the_website() -> None:
    text = """Skip to menu
  1. Ministry facebook
  2. Ministry twitter
Press Releases
Outcome of the Third Meeting on Something Important
1. The first meeting took place in Seoul on a cold day in January this year.
° A bullet that belongs to the first paragraph and reads as a sentence.
[Heading]
2. The two sides agreed to hold the next meeting in China later this year.
* unofficial translation"""
    title, found = paragraphs(text)
    assert title == "Outcome of the Third Meeting on Something Important"
    assert [(p.number, p.text[:12]) for p in found] == [
        (1, "The first me"), (1, "A bullet tha"), (2, "The two side")]


def test_html_without_scripts_styles_and_menus() -> None:
    html = ("<html><head><style>p {color: red}</style><script>var when = 'will be held on "
            "January 30';</script></head><body><nav><a>Home</a></nav><h1>A title</h1>"
            "<p>The ministers will meet in Tokyo in March.</p><footer>Share</footer>"
            "</body></html>")
    assert html_to_text(html) == "A title\nThe ministers will meet in Tokyo in March."


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("Press release\nDate: 2019-01-24\nText", date(2019, 1, 24)),
        ("Seoul, January 24, 2019 - The ministry said", date(2019, 1, 24)),
        ("Released 24 January 2019.", date(2019, 1, 24)),
        ("2019.01.24 Press releases", date(2019, 1, 24)),
        ("No date at all here.", None),
    ],
)
def test_publication_date(text: str, published: date | None) -> None:
    assert find_published(text) == published


@pytest.mark.parametrize(
    ("data", "says"),
    [(b"", "is empty"), (b"   \n\n", "is empty"),
     (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "looks like a binary file")],
)
def test_unreadable(data: bytes, says: str) -> None:
    with pytest.raises(UnreadableRelease, match=says):
        decode(data, "release.txt")


def test_not_utf8_is_read_with_replacement_and_a_warning() -> None:
    text, warnings = decode("Caf\u00e9 will open.".encode("latin-1"), "release.txt")
    assert text == "Caf\ufffd will open."
    assert warnings == ["release.txt is not valid UTF-8 (first bad byte at offset 3): read "
                        "with replacement characters; save it as UTF-8 for an exact copy"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_arbitrary_input_raises_nothing_but_our_own_errors(data: bytes) -> None:
    try:
        release = read_release(data, "fuzz")
    except FollowupError:
        return
    propose(release, date(2019, 1, 24))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The two sides agreed to hold the next dialogue in Tokyo in the first half of 2020.",
         [("next-dialogue", "meeting", "2020-H1", "Tokyo", None)]),
        ("A joint report will be published by the end of this year.",
         [("publication-joint-report", "report", "2019-01-24..2019-12-31", None, None)]),
        ("The ministers will visit the Ministry of Ecology and Environment in Beijing on "
         "March 5.",
         [("visit-ministry-ecology-environment", "visit", "2019-03-05",
           "Ministry of Ecology and Environment, Beijing", None)]),
        ("The third Trilateral Policy Dialogue on Air Pollution will be held in Seoul in May "
         "2019.", [("third-trilateral-policy-dialogue-air", "meeting", "2019-05", "Seoul",
                    None)]),
        ("The two sides agreed to launch a joint monitoring network early next year.",
         [("launch-joint-monitoring-network", "launch", "2020-01..2020-04", None, None)]),
        ("A workshop on marine litter will be held on the sidelines of the next Joint "
         "Committee meeting.",
         [("workshop-marine-litter", "meeting", "undated", None,
           "next-joint-committee-meeting"),
          ("next-joint-committee-meeting", "meeting", "undated", None, None)]),
        ("The results will be presented at the 22nd Tripartite Environment Ministers Meeting "
         "(TEMM 22) scheduled to take place in Korea in 2020.",
         [("results", "report", "2020", "Korea", "temm-22"),
          ("temm-22", "meeting", "2020", "Korea", None)]),
        ("The two sides agreed to sign a memorandum of understanding on climate cooperation "
         "within three months.",
         [("memorandum-understanding-climate-cooperation", "other", "2019-01-24..2019-04-25",
           None, None)]),
        ("The ministers discussed many things and shared views.", []),
        ("The two sides will continue working together on air quality.", []),
        ("The centre, which opened in June 2018, will render strong support.", []),
    ],
)
def test_proposals_from_one_sentence(sentence: str,
                                     expected: list[tuple[str, str, str, str | None,
                                                          str | None]]) -> None:
    from events.reading import Paragraph, Release
    from events.window import format_window

    release = Release(text=sentence, title=None, published=None,
                      paragraphs=[Paragraph(1, sentence)])
    found = propose(release, date(2019, 1, 24))
    assert [(p.key, str(p.kind), format_window(p.window), p.location, p.anchor)
            for p in found] == expected
    assert all(p.sentence == sentence and p.paragraph == 1 and 0 < p.confidence < 1
               for p in found)


@pytest.mark.parametrize(
    "head",
    ['<meta property="article:published_time" content="2019-01-24T09:00:00+09:00">',
     '<meta itemprop="datePublished" content="2019-01-24">',
     '<p>Posted <time class="d" datetime="2019-01-24">yesterday</time></p>'],
)
def test_a_page_that_dates_itself_only_in_markup(head: str) -> None:
    page = (f"<html><head>{head}</head><body><p>The ministers will meet in Tokyo in March "
            "to review the programme and its results.</p></body></html>")
    assert read_release(page.encode(), "page.html").published == date(2019, 1, 24)
