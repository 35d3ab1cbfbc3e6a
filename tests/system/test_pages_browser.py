"""The pages in a real browser: headless Chromium (Debian's chromium and chromium-driver)
driven by Selenium, against the real server on a free loopback port with the seed register.

The timeline is read as the browser lays it out: every bar's place and length are checked
against the follow-up's dates through one scale fitted over all of them. Confirming TEMM 21
is done by typing into the editor's form and pressing its button, and its effects are read
where people meet them: the bars, the calendar feed, the ledger of notices.

Screenshots of the timeline and of a follow-up page (before and after acting) are written to
``tests/screenshots/`` (ignored by git) for a person to look at; FOLLOWUP_SCREENSHOTS names
another folder.

One browser serves the whole module; each test has a server and register of its own.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from events.model import Change, FollowUp, Notice, NoticeStatus
from scheduler.app import App
from scheduler.config import load_config
from scheduler.editors import EditorTokens
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService
from tests.system.feed_setup import feed_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOW = datetime(2019, 1, 24, 9, 0, tzinfo=UTC)
SCREENSHOTS = Path(os.environ.get("FOLLOWUP_SCREENSHOTS")
                   or Path(__file__).parents[1] / "screenshots")

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = (f"{' and '.join(missing)} missing: install Debian's chromium and "
                  "chromium-driver (apt-get install chromium chromium-driver)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--lang=en"):
        options.add_argument(argument)
    # What the page's console says: a blocked stylesheet or image would show there.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        # Selenium Manager is never asked for anything: both paths are given, and offline
        # it could not download a browser or a driver even if it were.
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(
            options=options,
            service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


def console_problems(browser: WebDriver) -> list[str]:
    """What the page's console said at warning level or above since last asked (the
    browser's own guess at a /favicon.ico aside)."""
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] in ("WARNING", "SEVERE") and "/favicon.ico" not in entry["message"]]


@dataclass
class Served:
    base: str
    app: App
    service: FeedService

    def viewer(self, audience: str = "all") -> str:
        return f"{self.base}/pages/{self.service.tokens()[audience]}/{audience}"

    def editor(self, audience: str = "all") -> str:
        return f"{self.base}/edit/{EditorTokens(self.service).tokens()[audience]}/{audience}"

    def feed(self, audience: str = "all") -> bytes:
        url = f"{self.base}/feeds/{self.service.tokens()[audience]}/{audience}.ics"
        with urllib.request.urlopen(url, timeout=10) as response:
            body: bytes = response.read()
        return body

    def followups(self) -> dict[str, FollowUp]:
        with self.app.store.transaction(write=False) as session:
            found = {f.id: f for f in session.scalars(select(FollowUp)).unique()}
            session.expunge_all()
        return found

    def dependants(self, anchor_id: str) -> set[str]:
        return {f.id for f in self.followups().values() if f.anchor_id == anchor_id}

    def pending(self, followup_id: str, kind: str) -> set[tuple[str, date]]:
        """(audience, due day) of the notices of ``kind`` waiting for ``followup_id``."""
        with self.app.store.transaction(write=False) as session:
            rows = session.scalars(select(Notice).where(
                Notice.followup_id == followup_id, Notice.kind == kind,
                Notice.status == NoticeStatus.PENDING))
            return {(n.audience, n.due.astimezone(UTC).date()) for n in rows}

    def history(self, followup_id: str) -> list[tuple[str, str | None]]:
        with self.app.store.transaction(write=False) as session:
            return [(c.field, c.new) for c in session.scalars(select(Change).where(
                Change.followup_id == followup_id).order_by(Change.id))]


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    config = load_config(feed_config(tmp_path), env={})
    app = App(config, clock=lambda: NOW)
    app.open()
    service = FeedService(app.store, config, lambda: NOW)
    server = FeedServer(service, "127.0.0.1", 0)
    server.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}", app, service)
    finally:
        server.stop()
        app.store.dispose()


def screenshot(browser: WebDriver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The whole page, not only the window: the timeline may be taller than the screen.
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, max(1000, min(int(height) + 200, 5000)))
    target = SCREENSHOTS / f"{name}.png"
    assert browser.save_screenshot(str(target)), target
    browser.set_window_size(1400, 1000)
    print(f"screenshot: {target}")


@dataclass(frozen=True)
class Drawn:
    """A bar as the browser lays it out, with the dates it says it shows."""

    start: date
    end: date | None
    left: float
    right: float


def bars(browser: WebDriver) -> dict[str, Drawn]:
    drawn = {}
    for link in browser.find_elements(By.CSS_SELECTOR, "a[id^='bar-']"):
        rect = link.find_element(By.CSS_SELECTOR, "rect[data-start]")
        end = rect.get_attribute("data-end")
        box = rect.rect
        drawn[str(link.get_attribute("id")).removeprefix("bar-")] = Drawn(
            date.fromisoformat(str(rect.get_attribute("data-start"))),
            date.fromisoformat(end) if end else None, box["x"], box["x"] + box["width"])
    return drawn


def scale(drawn: dict[str, Drawn]) -> tuple[float, float]:
    """The (offset, pixels per day) that puts each bar's first day at its left edge, fitted
    by least squares over every bar; each bar is then checked against it."""
    points = [(bar.start.toordinal(), bar.left) for bar in drawn.values()]
    points += [((bar.end + timedelta(days=1)).toordinal(), bar.right)
               for bar in drawn.values() if bar.end is not None]
    count = len(points)
    mean_day = sum(d for d, _ in points) / count
    mean_x = sum(x for _, x in points) / count
    slope = (sum((d - mean_day) * (x - mean_x) for d, x in points)
             / sum((d - mean_day) ** 2 for d, _ in points))
    return mean_x - slope * mean_day, slope


def check_places(drawn: dict[str, Drawn], fitted: tuple[float, float]) -> None:
    offset, per_day = fitted
    assert per_day > 0.5, "a day must be wide enough to see"
    for name, bar in drawn.items():
        assert bar.left == pytest.approx(offset + per_day * bar.start.toordinal(), abs=1), name
        if bar.end is not None:
            right = offset + per_day * (bar.end + timedelta(days=1)).toordinal()
            assert bar.right == pytest.approx(right, abs=1), name


def wait_for(browser: WebDriver, selector: str) -> WebElement:
    return WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, selector))


def test_the_timeline_shows_every_followup_where_its_dates_say(
        browser: WebDriver, served: Served) -> None:
    browser.get(served.viewer() + "/")
    wait_for(browser, "svg")
    followups = served.followups()
    drawn = bars(browser)
    dated = {i for i, f in followups.items() if f.earliest is not None}
    assert set(drawn) == dated
    # The timeline's span: a window open at its end, or reaching past the span, is drawn
    # to the span's end.
    svg = browser.find_element(By.ID, "timeline")
    last = date.fromisoformat(str(svg.get_attribute("data-span-end")))
    assert drawn["working-level-meetings"].end == last
    assert followups["working-level-meetings"].latest is None
    for name, bar in drawn.items():
        expected = (followups[name].earliest, min(followups[name].latest or last, last))
        assert (bar.start, bar.end) == expected, name
    check_places(drawn, scale(drawn))
    # The strict policy lets the stylesheet through and blocks nothing the page needs.
    header = browser.find_element(By.TAG_NAME, "header")
    assert header.value_of_css_property("background-color") == "rgba(29, 63, 110, 1)"
    assert console_problems(browser) == []
    # A month-long window is drawn about thirty times as long as a day.
    assert drawn["jcec-24"].right - drawn["jcec-24"].left > 10 * (
        drawn["kma-visit"].right - drawn["kma-visit"].left)
    undated = {i for i, f in followups.items() if f.earliest is None}
    page = browser.find_element(By.TAG_NAME, "body").text
    for name in undated:
        assert followups[name].title in page
    assert not browser.find_elements(By.CSS_SELECTOR, "form[method=post]")  # only to look at

    connected = {str(path.get_attribute("data-to")) for path in browser.find_elements(
        By.CSS_SELECTOR, "path.connector[data-from='temm-21']")}
    assert connected == served.dependants("temm-21") == {"ltp-report", "ministers-at-temm-21"}
    screenshot(browser, "timeline")

    browser.find_element(By.CSS_SELECTOR, "#bar-temm-21 rect").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/followups/temm-21"))
    assert browser.find_element(By.TAG_NAME, "h1").text == f"temm-21 {followups['temm-21'].title}"
    assert browser.current_url.startswith(served.viewer())
    assert console_problems(browser) == []
    screenshot(browser, "followup")


def test_confirming_through_the_editor_form_moves_the_bars_the_feed_and_the_notices(
        browser: WebDriver, served: Served) -> None:
    browser.get(served.editor() + "/")
    wait_for(browser, "svg")
    before = bars(browser)
    fitted = scale(before)
    sequence = _sequence(served.feed(), "temm-21")
    assert served.pending("temm-21", "lead") == set()  # no dates, so nothing to lead up to

    # The timeline's links stay within the editor address, and there the page has forms.
    browser.find_element(By.CSS_SELECTOR, "#bar-temm-21 rect").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/followups/temm-21"))
    assert browser.current_url.startswith(served.editor())
    on = browser.find_element(By.ID, "confirm-on")
    assert browser.find_element(By.CSS_SELECTOR, "label[for='confirm-on']").text.startswith("On")
    on.send_keys("2019-11-23..2019-11-24")
    browser.find_element(By.ID, "confirm-submit").click()
    said = wait_for(browser, "#said")
    assert said.text == ("temm-21 confirmed for 23–24 November 2019; 2 tied to it followed "
                         "(ltp-report, ministers-at-temm-21).")
    assert browser.current_url.split("?")[0] == served.editor() + "/followups/temm-21"
    screenshot(browser, "followup-confirmed")

    browser.get(served.editor() + "/")
    wait_for(browser, "svg")
    after = bars(browser)
    check_places(after, fitted)  # the same scale: only the bars that moved moved
    assert (after["temm-21"].start, after["temm-21"].end) == (date(2019, 11, 23),
                                                            date(2019, 11, 24))
    assert after["temm-21"].right - after["temm-21"].left < (
        before["temm-21"].right - before["temm-21"].left) / 50
    for dependant in ("ltp-report", "ministers-at-temm-21"):
        assert after[dependant].left > before[dependant].left, dependant
        assert after[dependant].start == served.followups()[dependant].earliest
    assert after["kma-visit"] == before["kma-visit"]
    screenshot(browser, "timeline-confirmed")

    feed = served.feed()
    assert _sequence(feed, "temm-21") == sequence + 1
    temm = next(e for e in Calendar.from_ical(feed).walk("VEVENT")
                if str(e["UID"]).startswith("temm-21@"))
    assert temm.decoded("DTSTART") == date(2019, 11, 23)
    # The notices leading up to the dates are planned by the time the page answers.
    leads = served.pending("temm-21", "lead")
    assert ("desk", date(2019, 11, 22)) in leads
    assert {audience for audience, _ in leads} == {"desk", "temm-team"}
    assert all(due < date(2019, 11, 23) for _, due in leads)


def _sequence(feed: bytes, followup_id: str) -> int:
    event = next(e for e in Calendar.from_ical(feed).walk("VEVENT")
                 if str(e["UID"]).startswith(f"{followup_id}@"))
    return int(event["SEQUENCE"])


def test_a_wrong_token_or_a_form_without_its_token_is_refused(
        browser: WebDriver, served: Served) -> None:
    browser.get(served.base + "/edit/not-the-token/all/followups/temm-21")
    assert browser.find_element(By.TAG_NAME, "body").text == "not found"
    history = served.history("temm-21")

    browser.get(served.editor() + "/followups/temm-21")
    browser.find_element(By.ID, "confirm-on").send_keys("2019-11-23")
    # As a page of another site would post it: the same fields, without the form token.
    browser.execute_script(
        "document.querySelector('#form-confirm input[name=form_token]').remove()")
    browser.find_element(By.ID, "confirm-submit").click()
    WebDriverWait(browser, 10).until(lambda b: "refused" in b.page_source)
    assert browser.find_element(By.TAG_NAME, "body").text.startswith(
        "refused: the form carries no valid form token")
    assert served.history("temm-21") == history

    # A date that does not parse: the command's words on the page, and nothing changed.
    # Sent from the keyboard alone, as a person without a mouse would.
    browser.get(served.editor() + "/followups/temm-21")
    browser.find_element(By.ID, "confirm-on").send_keys("2019-11-31", Keys.ENTER)
    problem = wait_for(browser, "p.problem")
    assert problem.text.startswith("--on: '2019-11-31' is not a date window")
    assert browser.find_element(By.ID, "confirm-on").get_attribute("value") == "2019-11-31"
    assert served.history("temm-21") == history
