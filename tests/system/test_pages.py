"""The pages through the real HTTP server: the seed's timeline with every bar where its dates
say, TEMM 21's dependants connected, a follow-up's page, what changed, and refusals; and
``followup timeline`` in an 80-column terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from events.timeline import Span, position
from scheduler.app import App
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.feeds import FeedService
from tests.conftest import SEED_IDS
from tests.system.test_feeds import config_file, get, run, serving

__all__ = ["config_file"]  # the fixture, used by name

UNDATED = {"forecast-exchange-launch", "clean-sky-expansion", "mining-soil-research",
           "sustainable-policy-research"}
YEAR = Span(date(2019, 1, 1), date(2019, 12, 31))


class Elements(HTMLParser):
    """Every element's tag and attributes, in order, and which bar link each lies in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.inside: list[str] = []
        self.bars: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.found.append((tag, values))
        if tag == "a" and values.get("id", "").startswith("bar-"):
            self.inside.append(values["id"][4:])
        elif tag == "rect" and self.inside and "data-start" in values:
            self.bars[self.inside[-1]] = values

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.inside:
            self.inside.pop()

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [a for t, a in self.found if t == tag
                and all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in wanted.items())]

    def one(self, tag: str, **wanted: str) -> dict[str, str]:
        [found] = self.all(tag, **wanted)
        return found


def parse(body: bytes) -> Elements:
    elements = Elements()
    elements.feed(body.decode())
    return elements


@pytest.fixture
def site(config_file: Path) -> Iterator[tuple[str, FeedService]]:
    with serving(config_file) as (base, service):
        tokens = service.tokens()
        yield f"{base}/pages/{tokens['all']}/all/", service


def windows(config_file: Path) -> dict[str, tuple[date | None, date | None]]:
    app = App(load_config(config_file, env={}))
    with app.register(write=False) as register:
        found = {f.id: (f.earliest, f.latest) for f in register.find()}
    app.store.dispose()
    return found


def check_bar(svg: dict[str, str], bar: dict[str, str], first: date, last: date,
              span: Span) -> None:
    x0, width = float(svg["data-x0"]), float(svg["data-width"])
    assert (bar["data-start"], bar["data-end"]) == (first.isoformat(), last.isoformat())
    left = x0 + position(first, span) * width
    right = x0 + position(last + timedelta(days=1), span) * width
    assert float(bar["x"]) == pytest.approx(left, abs=0.01)
    assert float(bar["x"]) + float(bar["width"]) == pytest.approx(right, abs=0.02)


def test_the_seeds_year_shows_every_follow_up_where_its_dates_say(
        site: tuple[str, FeedService], config_file: Path) -> None:
    base, _ = site
    status, headers, body = get(base + "?from=2019&to=2019")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    page = parse(body)
    svg = page.one("svg", id="timeline")
    assert (svg["data-span-start"], svg["data-span-end"]) == ("2019-01-01", "2019-12-31")
    known = windows(config_file)
    assert set(known) == set(SEED_IDS) | UNDATED
    for followup_id, (earliest, latest) in known.items():
        if followup_id in UNDATED:
            assert followup_id not in page.bars
            page.one("li", id=f"undated-{followup_id}")
            continue
        assert earliest is not None
        check_bar(svg, page.bars[followup_id], earliest, latest or YEAR.end, YEAR)
        link = page.one("a", id=f"bar-{followup_id}")
        assert link["href"] == f"followups/{followup_id}"
    # A window is hatched, confirmed days solid, an open end fades out, overdue is marked.
    assert "fuzzy" in page.bars["temm-21"]["class"]
    assert page.bars["temm-21"]["fill"] == "url(#hatch)"
    assert "confirmed" in page.bars["kma-visit"]["class"]
    assert page.bars["working-level-meetings"]["mask"] == "url(#fade)"
    assert "overdue" in page.bars["temm-21"]["class"]  # 2019 is long past
    assert "overdue" not in page.bars["kma-visit"]["class"]
    # TEMM 21's dependants hang from it.
    connectors = {(c["data-from"], c["data-to"]) for c in page.all("path", class_="connector")}
    assert {("temm-21", "ltp-report"), ("temm-21", "ministers-at-temm-21")} <= connectors
    assert all(a in page.bars and d in page.bars for a, d in connectors)
    # 2019 is not today: no line for it, and the page says so.
    assert not page.all("line", id="today")
    assert b"is outside this span" in body


def test_the_default_span_runs_around_today(site: tuple[str, FeedService]) -> None:
    base, _ = site
    body = get(base)[2]
    page = parse(body)
    today = datetime.now(ZoneInfo("Asia/Seoul")).date()
    span = Span.around(today)
    svg = page.one("svg", id="timeline")
    assert (svg["data-span-start"], svg["data-span-end"]) == (span.start.isoformat(),
                                                              span.end.isoformat())
    line = page.one("line", id="today")
    assert line["data-date"] == today.isoformat()
    x0, width = float(svg["data-x0"]), float(svg["data-width"])
    assert float(line["x1"]) == pytest.approx(x0 + position(today, span) * width, abs=0.01)
    # The only follow-up still open then: the working-level meetings, from 2019 on.
    assert set(page.bars) == {"working-level-meetings"}
    bar = page.bars["working-level-meetings"]
    assert (bar["data-start"], bar["data-end"]) == (span.start.isoformat(), span.end.isoformat())
    assert page.one("a", id="fit")["href"].startswith("?from=2019-01-24&to=2019-12-31")
    # What lies before it is listed, what passed unconfirmed marked overdue.
    outside = body.split(b'<h2 id="outside">')[1].decode()
    listed = {m.group(1): m.group(0)
              for m in re.finditer(r'<li><a href="followups/([^"]+)">.*?</li>', outside)}
    assert "overdue" in listed["temm-21"]
    assert "overdue" not in listed["kma-visit"]


def test_the_terminal_lists_what_lies_outside_its_span(config_file: Path) -> None:
    out = timeline(config_file)  # today's span: the 2019 release lies before it
    outside = out.split("Outside this span")[1].splitlines()[1:]
    ids = {line.split()[0]: line for line in outside if line.strip()}
    assert ids["temm-21"].split()[1] == "!"  # passed unconfirmed
    assert ids["kma-visit"].split()[1] != "!"  # held as confirmed
    assert "2019-H2" in ids["jcec-24"]


def test_confirming_moves_the_bars_and_shows_on_the_pages(
        site: tuple[str, FeedService], config_file: Path) -> None:
    base, _ = site
    result = run(config_file, "confirm", "temm-21", "--on", "2019-11-23..2019-11-24")
    assert result.exit_code == 0, result.output
    page = parse(get(base + "?from=2019&to=2019")[2])
    svg = page.one("svg", id="timeline")
    check_bar(svg, page.bars["temm-21"], date(2019, 11, 23), date(2019, 11, 24), YEAR)
    assert "confirmed" in page.bars["temm-21"]["class"]
    assert page.bars["temm-21"]["fill"] != "url(#hatch)"
    # Its dependants moved with it: a day either side for the ministers.
    check_bar(svg, page.bars["ministers-at-temm-21"], date(2019, 11, 22), date(2019, 11, 25),
              YEAR)
    assert "fuzzy" in page.bars["ministers-at-temm-21"]["class"]

    status, _, body = get(base + "followups/temm-21")
    assert status == 200
    text = body.decode()
    assert "followup confirm temm-21 --on 2019-11-23..2019-11-24" in text  # the cause
    assert "2019-H2 → 2019-11-23..2019-11-24" in text
    assert "loaded from the bundled release" in text
    # Every time says its zone.
    for cell in re.findall(r'<td class="at"><time[^>]*>([^<]*)</time>', text):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d KST", cell), cell

    status, _, body = get(base + "changes?since=2019-01-01")
    assert status == 200
    rows = re.findall(r'<td class="id"><a href="followups/([a-z0-9-]+)">', body.decode())
    assert rows[0] in ("temm-21", "ministers-at-temm-21", "ltp-report")
    assert {"temm-21", "ministers-at-temm-21", "ltp-report"} <= set(rows[:6])
    assert set(rows) >= set(SEED_IDS)  # created too, at the start
    assert rows.index("temm-21") < rows.index("kma-visit")  # newest first
    # From the first day of the calendar, and from its last.
    assert get(base + "changes?since=0001-01-01")[0] == 200
    assert b"Nothing changed since 9999-12-31" in get(base + "changes?since=9999-12-31")[2]


def test_a_follow_up_page_shows_what_show_shows(site: tuple[str, FeedService],
                                                config_file: Path) -> None:
    base, _ = site
    status, headers, body = get(base + "followups/temm-21")
    assert status == 200
    text = body.decode()
    assert ("<mark>Close consultations between the ROK and China as well as among the two "
            "countries and Japan will continue for") in text
    assert "second half of the year 2019.</mark>" in text
    assert "On the multilateral level" in text  # the rest of the paragraph, unmarked
    page = parse(body)
    riders = {a["href"] for a in page.all("a") if a.get("href") in (
        "ltp-report", "ministers-at-temm-21")}
    assert riders == {"ltp-report", "ministers-at-temm-21"}
    for words in ("second half of 2019, date not yet confirmed", "Ask the Japanese hosts",
                  "ROK, China, Japan", "Japan", "temm"):
        assert words in text
    # A timed meeting's hours, also in the reader's zone.
    assert run(config_file, "confirm", "jcec-24", "--on", "2019-12-10", "--at", "10:00",
               "--until", "17:00", "--tz", "Asia/Shanghai").exit_code == 0
    text = get(base + "followups/jcec-24")[2].decode()
    assert "10 December 2019, 10:00–17:00 Asia/Shanghai" in text
    assert "<dt>In Asia/Seoul</dt><dd>2019-12-10 11:00 KST – 2019-12-10 18:00 KST</dd>" in text
    # And a dependant links back to its anchor.
    assert 'href="temm-21"' in get(base + "followups/ltp-report")[2].decode()
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["", "followups/temm-21", "changes"])
def test_pages_carry_no_script_and_no_inline_style(site: tuple[str, FeedService],
                                                   path: str) -> None:
    base, _ = site
    status, _, body = get(base + path)
    assert status == 200
    text = body.decode().lower()
    assert "<script" not in text
    assert " style=" not in text
    assert 'href="/pages/static/pages.css"' in text
    css = get(base.split("/pages/")[0] + "/pages/static/pages.css")
    assert css[0] == 200 and css[1]["Content-Type"].startswith("text/css")


@pytest.mark.parametrize("path", [
    "/pages/{wrong}/all/", "/pages/{wrong}/all/followups/temm-21", "/pages/{wrong}/all/changes",
    "/pages/{token}/nobody/", "/pages/{token}/all/followups/no-such-thing",
    "/pages/{desk}/all/", "/pages/{temm}/temm-team/followups/kma-visit",
])
def test_a_wrong_address_is_the_feeds_plain_404(config_file: Path, path: str) -> None:
    with serving(config_file) as (base, service):
        tokens = service.tokens()
        url = base + path.format(wrong="x" * 32, token=tokens["all"], desk=tokens["desk"],
                                 temm=tokens["temm-team"])
        assert get(url)[::2] == (404, b"not found\n")


def test_an_audience_sees_only_its_follow_ups(config_file: Path) -> None:
    with serving(config_file) as (base, service):
        page = parse(get(f"{base}/pages/{service.tokens()['temm-team']}/temm-team/"
                         "?from=2019&to=2019")[2])
    assert set(page.bars) == {"temm-21", "ministers-at-temm-21", "ltp-report"}


@pytest.mark.parametrize(("query", "problem"), [
    ("?from=someday", "from: &#39;someday&#39; is not a date window"),
    ("?to=2019-02..", "&#39;to&#39; needs an end"),
    ("?from=2020&to=2019", "the span ends (2019-12-31) before it starts (2020-01-01)"),
    ("?kind=party", "kind=&#39;party&#39; is not known: use one of meeting, visit"),
    ("?group=colour", "group=&#39;colour&#39; is not known: use one of kind, tag, status"),
    ("changes?since=yesterday", "since=&#39;yesterday&#39; is not a date: write it as "
                                "YYYY-MM-DD"),
])
def test_a_bad_query_says_what_is_wrong(site: tuple[str, FeedService], query: str,
                                        problem: str) -> None:
    base, _ = site
    status, _, body = get(base + query)
    assert status == 400
    assert problem in body.decode()


@pytest.mark.parametrize(("query", "expected", "headings"), [
    ("&kind=report", {"ltp-report"}, []),
    ("&tag=temm", {"temm-21", "ministers-at-temm-21", "ltp-report"}, []),
    ("&status=scheduled", {"kma-visit"}, []),
    ("&group=status", None, ["expected", "scheduled"]),
])
def test_filters_and_groups(site: tuple[str, FeedService], query: str,
                            expected: set[str] | None, headings: list[str]) -> None:
    base, _ = site
    body = get(base + "?from=2019&to=2019" + query)[2]
    page = parse(body)
    if expected is not None:
        assert set(page.bars) == expected
    found = re.findall(r'<text class="group"[^>]*>([^<]*)</text>', body.decode())
    assert found == headings


def test_a_title_is_escaped(site: tuple[str, FeedService], config_file: Path) -> None:
    base, _ = site
    result = run(config_file, "add", "evil", "--title", "<script>alert('x')</script> & co",
                 "--kind", "meeting", "--when", "2019-05", "--sentence", "<b>bold</b>")
    assert result.exit_code == 0, result.output
    for path in ("?from=2019&to=2019", "followups/evil", "changes?since=2019-01-01"):
        text = get(base + path)[2].decode()
        assert "<script" not in text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in text
    assert "<b>bold</b>" not in get(base + "followups/evil")[2].decode()


def test_feeds_lists_each_page(config_file: Path) -> None:
    listed = json.loads(run(config_file, "feeds", "--json").stdout)
    for row in listed:
        token = row["url"].split("/feeds/")[1].split("/")[0]
        assert row["page"] == f"http://127.0.0.1:0/pages/{token}/{row['audience']}/"
    text = run(config_file, "feeds").stdout
    assert f"  page: {listed[0]['page']}\n" in text


# -- the terminal ----------------------------------------------------------------------------


def timeline(config_file: Path, *args: str, columns: int = 80) -> str:
    result = CliRunner().invoke(cli, ["timeline", *args],
                                env={"FOLLOWUP_CONFIG": str(config_file),
                                     "COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_timeline_in_80_columns(config_file: Path) -> None:
    out = timeline(config_file, "--from", "2019", "--to", "2019")
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    chart_lines = lines[:next(i for i, line in enumerate(lines) if line.startswith("░ window"))]
    rows = {line.split()[0]: line for line in chart_lines
            if line and line.split()[0] in SEED_IDS}
    assert set(rows) == set(SEED_IDS) - {"forecast-exchange-launch"}
    assert "█" in rows["kma-visit"] and "░" not in rows["kma-visit"]
    assert "░" in rows["temm-21"] and "█" not in rows["temm-21"]
    assert rows["temm-21"].startswith("temm-21 !")  # overdue
    assert rows["working-level-meetings"].rstrip().endswith("→")  # an open end
    # The bars start where their windows do: temm-21 at July, kma-visit in January.
    chart = 80 - max(len(i) + 2 for i in rows) - 1
    assert rows["temm-21"].index("░") - (80 - chart) == pytest.approx(
        position(date(2019, 7, 1), YEAR) * chart, abs=1)
    assert "temm-21 → ltp-report, ministers-at-temm-21" in out
    assert "forecast-exchange-launch" in out.split("Undated:")[1]
    assert "today is" in lines[0] and "(Asia/Seoul)" in lines[0]


def test_the_timeline_when_narrow_keeps_ids_whole(config_file: Path) -> None:
    out = timeline(config_file, "--from", "2019-06", "--to", "2019", "--kind", "meeting",
                   columns=30)
    lines = out.splitlines()
    assert "ministers-at-temm-21 !" in lines
    assert "kma-visit" not in out  # a visit
    assert all(len(line) <= 30 for line in lines)


def test_the_timeline_marks_today(config_file: Path) -> None:
    out = timeline(config_file, "--tag", "fine-dust")
    assert "▼ today" in out
    assert "┃" in out
    assert "working-level-meetings" in out


def test_the_timeline_refuses_a_backwards_span(config_file: Path) -> None:
    result = CliRunner().invoke(cli, ["timeline", "--from", "2020", "--to", "2019"],
                                env={"FOLLOWUP_CONFIG": str(config_file)})
    assert result.exit_code == 2
    assert "ends (2019-12-31) before it starts (2020-01-01)" in result.stderr
    assert "Traceback" not in result.output


def test_the_pages_on_every_database(any_database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{any_database_url}"\n[feeds]\nport = 0\n')
    with serving(path) as (base, service):
        site = f"{base}/pages/{service.tokens()['all']}/all/"
        page = parse(get(site + "?from=2019&to=2019")[2])
        svg = page.one("svg", id="timeline")
        check_bar(svg, page.bars["temm-21"], date(2019, 7, 1), date(2019, 12, 31), YEAR)
        assert len(page.bars) == len(SEED_IDS) - 1
        assert get(site + "followups/temm-21")[0] == 200
        changes = get(site + "changes?since=2019-01-01")[2].decode()
        assert changes.count('<td class="id">') == len(SEED_IDS) + len(UNDATED) - 1
