"""Calendar feeds: rendering read back by real parsers, served over real HTTP, and read by a
real subscription client (vdirsyncer's http storage) and a real calendar (khal)."""

from __future__ import annotations

import gzip
import http.client
import itertools
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar
from sqlalchemy import create_engine, event
from sqlalchemy import text as sql

from scheduler.app import App
from scheduler.config import load_config
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService
from tests.system.feed_setup import feed_config, run

BIN = Path(sys.executable).parent


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    return feed_config(tmp_path)


def export(config_file: Path, audience: str = "all") -> bytes:
    result = run(config_file, "export", "--audience", audience)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def test_the_calendar_is_what_subscribed_clients_need(config_file: Path) -> None:
    body = export(config_file)
    calendar = Calendar.from_ical(body)
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "followup: all"
    assert "X-WR-CALDESC" in calendar
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body
    assert "METHOD" not in calendar
    assert b"\r\nUID" not in body.split(b"BEGIN:VEVENT")[0]  # no calendar-level UID
    assert b"VALARM" not in body
    assert body == export(config_file)  # unchanged data, identical bytes


def test_windows_statuses_and_dates(config_file: Path) -> None:
    found = events(export(config_file))
    temm = found["temm-21"]
    assert str(temm["UID"]) == "temm-21@followup.example.org"
    assert (temm.decoded("DTSTART"), temm.decoded("DTEND")) == (date(2019, 7, 1),
                                                               date(2020, 1, 1))
    assert str(temm["SUMMARY"]) == ("21st Tripartite Environment Ministers Meeting (TEMM 21) "
                                    "(date TBC: second half of 2019)")
    assert (str(temm["STATUS"]), str(temm["TRANSP"])) == ("TENTATIVE", "TRANSPARENT")
    assert temm["CATEGORIES"].cats == ["meeting"]
    assert str(temm["LOCATION"]) == "Japan"
    assert str(temm["URL"]).endswith("seq=320351")
    assert "second half of 2019, date not yet confirmed" in str(temm["DESCRIPTION"])
    assert "to be published on the occasion of" in str(temm["DESCRIPTION"])
    assert temm.decoded("DTSTAMP") == temm.decoded("LAST-MODIFIED")
    kma = found["kma-visit"]
    assert (kma.decoded("DTSTART"), kma.decoded("DTEND")) == (date(2019, 1, 24),
                                                             date(2019, 1, 25))
    assert (str(kma["STATUS"]), str(kma["TRANSP"])) == ("CONFIRMED", "OPAQUE")
    working = found["working-level-meetings"]
    assert working.decoded("DTSTART") == date(2019, 2, 1)
    assert "February 2019 onwards" in str(working["SUMMARY"])
    undated = found["forecast-exchange-launch"]
    assert undated.decoded("DTSTART") == date(2019, 1, 24)  # the day it was promised
    assert str(undated["SUMMARY"]).endswith("(no date yet)")
    assert "Tied to: 21st Tripartite" in str(found["ltp-report"]["DESCRIPTION"])

    in_november = recurring_ical_events.of(Calendar.from_ical(export(config_file))).between(
        (2019, 11, 1), (2019, 12, 1))
    titles = {str(e["UID"]).split("@")[0] for e in in_november}
    assert {"temm-21", "jcec-24", "ltp-report", "working-level-meetings"} - {
        "working-level-meetings"} <= titles


def test_confirming_cancelling_and_timed_events(config_file: Path) -> None:
    before = events(export(config_file))
    assert run(config_file, "confirm", "temm-21", "--on", "2019-11-23..2019-11-24").exit_code == 0
    assert run(config_file, "confirm", "jcec-24", "--on", "2019-12-10", "--at", "10:00",
               "--until", "17:00", "--tz", "Asia/Shanghai").exit_code == 0
    assert run(config_file, "cancel", "fine-dust-expert-group").exit_code == 0
    after = events(export(config_file))
    temm = after["temm-21"]
    assert (temm.decoded("DTSTART"), temm.decoded("DTEND")) == (date(2019, 11, 23),
                                                               date(2019, 11, 25))
    assert str(temm["SUMMARY"]) == "21st Tripartite Environment Ministers Meeting (TEMM 21)"
    assert int(temm["SEQUENCE"]) == int(before["temm-21"]["SEQUENCE"]) + 1
    assert str(temm["STATUS"]) == "CONFIRMED"
    ltp = after["ltp-report"]
    assert (ltp.decoded("DTSTART"), ltp.decoded("DTEND")) == (date(2019, 11, 16),
                                                             date(2019, 12, 2))
    jcec = after["jcec-24"]
    assert jcec.decoded("DTSTART") == datetime(2019, 12, 10, 2, 0, tzinfo=UTC)
    assert jcec.decoded("DTEND") == datetime(2019, 12, 10, 9, 0, tzinfo=UTC)
    assert b"DTSTART:20191210T020000Z" in export(config_file)
    cancelled = after["fine-dust-expert-group"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["SUMMARY"]).endswith("(cancelled)")
    # a follow-up that did not change keeps its exact bytes
    assert after["kma-visit"].to_ical() == before["kma-visit"].to_ical()


def test_audience_feeds_hold_what_the_audience_gets(config_file: Path) -> None:
    assert set(events(export(config_file, "temm-team"))) == {
        "temm-21", "ministers-at-temm-21", "ltp-report"}
    assert len(events(export(config_file, "desk"))) == 11
    result = run(config_file, "export", "--audience", "press")
    assert result.exit_code == 2
    assert result.stderr == ("followup: no audience 'press': use one of desk, temm-team, "
                             "all\n")


def test_hard_text_is_escaped_and_folded(config_file: Path, tmp_path: Path) -> None:
    title = ('Line one\r\nline two; "quoted", back\\slash <b>bold</b> & 한국 환경부 '
             "中华人民共和国生态环境部 日本の環境省 " * 3)
    assert run(config_file, "add", "hard-text", "--title", title, "--kind", "other", "--when",
               "2019-Q4", "--location", "서울, Seoul; 北京").exit_code == 0
    out = tmp_path / "all.ics"
    assert run(config_file, "export", "--out", str(out)).exit_code == 0
    body = out.read_bytes()
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no line ends inside a UTF-8 sequence
    hard = events(body)["hard-text"]
    # a title is one line: its line break is a space
    assert str(hard["SUMMARY"]) == (title.replace("\r\n", " ")
                                    + " (date TBC: fourth quarter of 2019)")
    assert str(hard["LOCATION"]) == "서울, Seoul; 北京"


# -- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def server(config_file: Path) -> Iterator[tuple[str, FeedService]]:
    with serving(config_file) as served:
        yield served


@contextmanager
def serving(config_file: Path) -> Iterator[tuple[str, FeedService]]:
    config = load_config(config_file, env={})
    app = App(config)
    app.open()
    service = FeedService(app.store, config)
    feed_server = FeedServer(service, "127.0.0.1", 0)
    feed_server.start()
    try:
        yield f"http://127.0.0.1:{feed_server.port}", service
    finally:
        feed_server.stop()
        app.store.dispose()


def get(url: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, Message, bytes]:
    """Status, headers (looked up without regard to case) and body."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def get_dated(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """A response with Last-Modified: a server dates its first body a second after it
    started, and sends no Last-Modified until the clock has reached it."""
    deadline = time.monotonic() + 3
    while True:
        response = get(url, headers)
        if "Last-Modified" in response[1] or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def feed_url(base: str, service: FeedService, audience: str = "all") -> str:
    return f"{base}/feeds/{service.tokens()[audience]}/{audience}.ics"


def test_serving_a_feed(server: tuple[str, FeedService], config_file: Path) -> None:
    base, service = server
    url = feed_url(base, service)
    status, headers, body = get_dated(url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert body == export(config_file)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert get(url)[2] == body  # byte-identical again
    assert get(url, {"If-None-Match": etag})[0] == 304
    assert get(url, {"If-Modified-Since": modified})[0] == 304
    head = get(url, method="HEAD")
    assert (head[0], head[2], head[1]["ETag"]) == (200, b"", etag)
    zipped = get(url, {"Accept-Encoding": "gzip"})
    assert zipped[1]["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped[2]) == body
    assert get(f"{base}/healthz")[:1] == (200,)


@pytest.mark.parametrize("path", ["/feeds/wrong-token/all.ics", "/feeds/{token}/press.ics",
                                  "/feeds/{token}/desk.ics", "/", "/feeds/", "/etc/passwd",
                                  "/feeds/{token}/all.ics/x"])
def test_anything_but_a_right_address_is_a_plain_404(server: tuple[str, FeedService],
                                                      path: str) -> None:
    base, service = server
    status, _, body = get(base + path.format(token=service.tokens()["all"]))
    assert (status, body) == (404, b"not found\n")


def test_rotating_a_token_retires_the_old_address(server: tuple[str, FeedService],
                                                  config_file: Path) -> None:
    base, service = server
    old = feed_url(base, service, "desk")
    assert get(old)[0] == 200
    result = run(config_file, "feeds", "rotate", "desk")
    assert result.exit_code == 0, result.output
    assert get(old)[0] == 404
    new = feed_url(base, service, "desk")
    assert new != old
    assert get(new)[0] == 200
    listed = json.loads(run(config_file, "feeds", "--json").stdout)
    assert {"audience": "desk", "url": new.replace(base, "http://127.0.0.1:0"),
            "webcal": new.replace(base, "webcal://127.0.0.1:0"),
            "page": new.replace(base, "http://127.0.0.1:0").replace("/feeds/", "/pages/")
            .replace("desk.ics", "desk/")} in listed


def test_a_change_from_the_cli_shows_in_the_next_response(server: tuple[str, FeedService],
                                                         config_file: Path) -> None:
    base, service = server
    url = feed_url(base, service)
    _, headers, before = get(url)
    subprocess.run([BIN / "followup", "confirm", "temm-21", "--on", "2019-11-23..2019-11-24"],
                   check=True, capture_output=True,
                   env={**os.environ, "FOLLOWUP_CONFIG": str(config_file)})
    status, _, after = get(url, {"If-None-Match": headers["ETag"]})
    assert status == 200
    assert after != before
    old, new = events(before)["temm-21"], events(after)["temm-21"]
    assert int(new["SEQUENCE"]) == int(old["SEQUENCE"]) + 1
    assert new.decoded("DTSTART") == date(2019, 11, 23)
    # what did not change was not rendered again
    assert events(after)["kma-visit"].to_ical() == events(before)["kma-visit"].to_ical()


def test_a_real_subscription_client_and_calendar(server: tuple[str, FeedService],
                                                 tmp_path: Path) -> None:
    base, service = server
    folder, listing = subscribe_and_list(feed_url(base, service, "temm-team"), tmp_path)
    assert len(list(folder.glob("*.ics"))) == 3
    assert ("2019-07-01 2019-12-31 21st Tripartite Environment Ministers Meeting (TEMM 21) "
            "(date TBC: second half of 2019)") in listing
    assert "Publication of the summarized LTP report (date TBC: second half of 2019)" in listing


def subscribe_and_list(url: str, tmp_path: Path) -> tuple[Path, str]:
    """Sync the feed at ``url`` with vdirsyncer and list the second half of 2019 with khal."""
    folder = tmp_path / "subscribed"
    folder.mkdir()
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(f'''
[general]
status_path = "{tmp_path / 'status'}/"

[pair followup]
a = "followup_feed"
b = "followup_local"
collections = null
conflict_resolution = "a wins"

[storage followup_feed]
type = "http"
url = "{url}"

[storage followup_local]
type = "filesystem"
path = "{folder}/"
fileext = ".ics"
''')
    env = {**os.environ, "HOME": str(tmp_path)}
    for command in (["discover"], ["sync"]):
        subprocess.run([BIN / "vdirsyncer", "-c", str(config), *command], check=True,
                       capture_output=True, env=env, timeout=60, input=b"y\n")
    khal = tmp_path / "khal.conf"
    khal.write_text(f'''
[calendars]
[[followup]]
path = {folder}/
readonly = True
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = UTC
default_timezone = UTC
''')
    listing = subprocess.run([BIN / "khal", "-c", str(khal), "list", "--format",
                              "{start-date} {end-date} {title}", "2019-07-01", "2019-12-31"],
                             check=True, capture_output=True, text=True, env=env, timeout=60)
    return folder, listing.stdout


def test_export_to_a_folder_that_does_not_exist(config_file: Path, tmp_path: Path) -> None:
    result = run(config_file, "export", "--out", str(tmp_path / "no" / "such" / "feed.ics"))
    assert result.exit_code == 2
    assert result.stderr.startswith("followup: cannot write")
    assert not (tmp_path / "no").exists()


# -- text no parser can take ------------------------------------------------------------------

#: Every C0 and C1 control, DEL, and the line and paragraph separators.
HOSTILE = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]) + "\u2028\u2029"


def test_every_parser_reads_every_event_whatever_the_texts_held(config_file: Path,
                                                                tmp_path: Path) -> None:
    # stored through the register, which cleans what it is given ...
    result = run(config_file, "add", "hostile", "--title", f"Bell{HOSTILE}rings", "--kind",
                 "other", "--when", "2019-Q4", "--location", f"Seoul{HOSTILE}",
                 "--sentence", f"They{HOSTILE}agreed.", "--next-step", f"Ask{HOSTILE}",
                 "--phrase", f"late{HOSTILE}2019", "--party", f"ROK{HOSTILE}", "--tag",
                 f"x{HOSTILE}")
    assert result.exit_code == 0, result.output
    shown = json.loads(run(config_file, "show", "hostile", "--json").stdout)
    assert shown["title"] == "Bell rings"
    assert (shown["location"], shown["sentence"]) == ("Seoul", "They agreed.")
    assert all(HOSTILE[1] not in str(change) for change in shown["history"])
    # ... and rows written before it did, which the feed cleans on the way out
    engine = create_engine(f"sqlite:///{tmp_path / 'register.db'}")
    with engine.begin() as connection:
        connection.execute(sql(
            "UPDATE followups SET title = title || :hostile, location = :hostile || 'Japan', "
            "sentence = sentence || :hostile, next_step = :hostile, revision = revision + 1 "
            "WHERE id IN ('temm-21', 'ltp-report')"), {"hostile": HOSTILE})
        connection.execute(sql("UPDATE sources SET title = title || :hostile, "
                               "url = url || :hostile"), {"hostile": HOSTILE})
        ids = {row[0] for row in connection.execute(sql("SELECT id FROM followups"))}
    engine.dispose()
    body = export(config_file)
    text = body.decode()
    assert not any(c in text for c in HOSTILE if c not in "\r\n")

    by_ical = {e.uid for e in IcsCalendarStream.calendar_from_ics(text).events}
    by_icalendar = {str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT")}
    by_recurring = {str(e["UID"]) for e in recurring_ical_events.of(
        Calendar.from_ical(body)).between((2018, 1, 1), (2021, 1, 1))}
    by_vobject = {e.uid.value for e in vobject.readOne(text).vevent_list}
    expected = {f"{i}@followup.example.org" for i in ids}
    assert len(ids) == 12
    assert by_ical == by_icalendar == by_recurring == by_vobject == expected
    temm = next(e for e in IcsCalendarStream.calendar_from_ics(text).events
                if e.uid == "temm-21@followup.example.org")
    assert temm.summary == ("21st Tripartite Environment Ministers Meeting (TEMM 21) (date "
                            "TBC: second half of 2019)")
    assert temm.location == "Japan"


# -- Last-Modified ----------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def bump(config_file: Path, followup_id: str, assignments: str = "") -> None:
    """A change written straight to the database, dated whenever it was dated before: as a
    machine whose clock is behind would write it."""
    engine = create_engine(f"sqlite:///{config_file.parent / 'register.db'}")
    with engine.begin() as connection:
        connection.execute(sql(f"UPDATE followups SET {assignments} revision = revision + 1 "
                               "WHERE id = :id"), {"id": followup_id})
    engine.dispose()


def test_last_modified_never_goes_back_and_moves_with_every_new_body(config_file: Path) -> None:
    config = load_config(config_file, env={})
    app = App(config)
    app.open()
    started = datetime(2030, 5, 1, 12, 0, 0, 400000, tzinfo=UTC)
    clock = Clock(started)
    service = FeedService(app.store, config, clock)
    try:
        # A new process cannot know what an earlier one sent: its first body is dated a second
        # after it started, and not sent as Last-Modified before the clock gets there.
        first = service.render("temm-team")
        assert first.last_modified == datetime(2030, 5, 1, 12, 0, 1, tzinfo=UTC)
        assert service.modified_for("temm-team", first, clock()) is None
        clock.advance(0.6)
        assert service.modified_for("temm-team", first, clock()) == first.last_modified
        # Nothing changed: the same date.
        assert service.render("temm-team").last_modified == first.last_modified

        # A change dated long ago (a slow clock elsewhere) still moves the date forward.
        bump(config_file, "ltp-report")
        second = service.render("temm-team")
        assert second.body != first.body
        assert second.last_modified == first.last_modified + timedelta(seconds=1)
        # not sent yet: it would be later than the response's Date
        assert service.modified_for("temm-team", second, clock()) is None
        clock.advance(1)
        assert service.modified_for("temm-team", second, clock()) == second.last_modified

        # The selection shrinks, and the newest follow-up in it goes: still forward.
        bump(config_file, "temm-21", "tags = '[]',")
        third = service.render("temm-team")
        assert b"UID:temm-21@" not in third.body
        assert third.last_modified == second.last_modified + timedelta(seconds=1)

        # A change dated ahead of this clock counts as now: never more than a second ahead.
        bump(config_file, "ltp-report", "updated_at = '2031-01-01 00:00:00',")
        clock.advance(5)
        fourth = service.render("temm-team")
        assert fourth.last_modified == datetime(2030, 5, 1, 12, 0, 7, tzinfo=UTC)
        # A body replaced by a newer one is not dated any more.
        assert service.modified_for("temm-team", third, clock()) is None
        assert service.modified_for("temm-team", fourth, clock()) == fourth.last_modified

        # Changes faster than one a second: each body is dated a second after the last date
        # sent, and none runs further ahead of the clock than that.
        for _ in range(4):
            bump(config_file, "ltp-report")
            clock.advance(0.2)
            rendered = service.render("temm-team")
            assert rendered.last_modified == fourth.last_modified + timedelta(seconds=1)
            assert service.modified_for("temm-team", rendered, clock()) is None
        clock.advance(0.2)
        assert service.modified_for("temm-team", rendered, clock()) == rendered.last_modified
        fourth = rendered

        # A new process, even with every earlier one's dates lost, dates after all of them.
        clock.advance(1)
        later = FeedService(app.store, config, clock).render("temm-team")
        assert later.body == fourth.body
        assert later.last_modified > fourth.last_modified
    finally:
        app.store.dispose()


def test_last_modified_is_never_later_than_date(server: tuple[str, FeedService],
                                                config_file: Path) -> None:
    base, service = server
    url = feed_url(base, service)
    seen: list[tuple[str, datetime | None]] = []
    for _ in range(8):
        bump(config_file, "jcec-24")
        status, headers, _ = get(url)
        assert status == 200
        date_header = parsedate_to_datetime(headers["Date"])
        modified = headers["Last-Modified"]
        if modified is not None:
            assert parsedate_to_datetime(modified) <= date_header
            # one second later, the same bytes are not "modified since" it
            assert get(url, {"If-Modified-Since": modified})[0] == 304
        seen.append((headers["ETag"], None if modified is None
                     else parsedate_to_datetime(modified)))
        time.sleep(0.3)
    dated = [(etag, when) for etag, when in seen if when is not None]
    assert len({etag for etag, _ in seen}) == 8
    assert len(dated) >= 2
    assert all(a[1] < b[1] for a, b in itertools.pairwise(dated))


# -- HTTP ------------------------------------------------------------------------------------


def test_a_304_keeps_the_connection_open(server: tuple[str, FeedService]) -> None:
    base, service = server
    path = feed_url(base, service).removeprefix(base)
    etag = get(base + path)[1]["ETag"]
    connection = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]),
                                            timeout=10)
    try:
        sockets = []
        for _ in range(2):
            connection.request("GET", path, headers={"If-None-Match": etag})
            response = connection.getresponse()
            assert response.status == 304
            assert response.read() == b""
            assert response.getheader("Connection") is None
            assert not response.will_close
            assert connection.sock is not None
            sockets.append(connection.sock)
        assert sockets[0] is sockets[1]
        # and a full response after them, on the same connection still
        connection.request("GET", path)
        response = connection.getresponse()
        assert (response.status, response.getheader("ETag")) == (200, etag)
        response.read()
        assert connection.sock is sockets[0]
        # a client that asks for the connection to be closed gets that
        connection.request("GET", path, headers={"If-None-Match": etag, "Connection": "close"})
        response = connection.getresponse()
        assert response.status == 304
        assert response.will_close
    finally:
        connection.close()


def test_a_wrong_token_and_an_unknown_audience_are_the_same_404(
        server: tuple[str, FeedService]) -> None:
    base, service = server
    token = service.tokens()["desk"]
    wrong = "x" * len(token)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    answers = []
    event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        for path in (f"/feeds/{wrong}/desk.ics", f"/feeds/{wrong}/press.ics",
                     f"/feeds/{token}/press.ics"):
            statements.clear()
            status, headers, body = get(base + path)
            answers.append((status, body, sorted((k, v) for k, v in headers.items()
                                                 if k != "Date"), list(statements)))
    finally:
        event.remove(service.store.engine, "before_cursor_execute", record)
    assert answers[0][0] == 404
    assert answers[0][1] == b"not found\n"
    assert answers[0][3]  # the token was looked up ...
    assert answers[0] == answers[1] == answers[2]  # ... for an audience that is not, too


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-Match": '"not-this-one"'}, 412),
        ({"If-Match": "W/{etag}"}, 412),  # If-Match compares strongly: a weak tag never matches
        ({"If-Match": '"other", {etag}'}, 200),
        ({"If-Match": "{etag}"}, 200),
        ({"If-Match": "*"}, 200),
        ({"If-Match": "{etag}", "Accept-Encoding": "gzip"}, 412),  # another representation
        ({"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 412),
        ({"If-Unmodified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}, 200),
        # If-Match decides; If-Unmodified-Since is not looked at beside it
        ({"If-Match": "{etag}", "If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
        ({"If-Match": '"not-this-one"', "If-None-Match": "{etag}"}, 412),
        ({"If-Match": "{etag}", "If-None-Match": "{etag}"}, 304),
        ({"If-None-Match": "*"}, 304),
        # If-None-Match decides; If-Modified-Since is not looked at beside it
        ({"If-None-Match": '"other"', "If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"},
         200),
    ],
)
def test_preconditions(server: tuple[str, FeedService], headers: dict[str, str],
                       status: int) -> None:
    base, service = server
    url = feed_url(base, service)
    _, first, body = get_dated(url)
    asked = {k: v.format(etag=first["ETag"]) for k, v in headers.items()}
    answer = get(url, asked)
    assert answer[0] == status
    if status == 200:
        content = answer[2]
        if answer[1]["Content-Encoding"] == "gzip":
            content = gzip.decompress(content)
        assert content == body
    else:
        assert answer[2] == b""
        assert answer[1]["Content-Type"] is None
    if status == 412:
        assert answer[1]["Content-Length"] == "0"


# -- anchors cancelled ------------------------------------------------------------------------


def test_cancelling_an_anchor_shows_on_what_is_tied_to_it(server: tuple[str, FeedService],
                                                          config_file: Path) -> None:
    base, service = server
    url = feed_url(base, service, "temm-team")
    _, headers, before = get(url)
    assert str(events(before)["ltp-report"]["SUMMARY"]) == (
        "Publication of the summarized LTP report (date TBC: second half of 2019)")
    assert run(config_file, "cancel", "temm-21").exit_code == 0
    status, _, after = get(url, {"If-None-Match": headers["ETag"]})
    assert status == 200
    ltp = events(after)["ltp-report"]
    assert str(ltp["SUMMARY"]) == ("Publication of the summarized LTP report (date TBC: second "
                                   "half of 2019; TEMM 21 cancelled)")
    assert ("Tied to: 21st Tripartite Environment Ministers Meeting (TEMM 21) (temm-21, "
            "within 7 days), second half of 2019 (cancelled)") in str(ltp["DESCRIPTION"])
    ministers = events(after)["ministers-at-temm-21"]
    assert "within 1 day)" in str(ministers["DESCRIPTION"])
    assert str(ministers["SUMMARY"]).endswith("; TEMM 21 cancelled)")


# -- windows as their edges -------------------------------------------------------------------


@pytest.fixture
def edges_config(config_file: Path) -> Path:
    with config_file.open("a") as file:
        file.write('windows = "edges"\n')
    return config_file


def test_windows_as_edges(edges_config: Path) -> None:
    found = events(export(edges_config))
    opens, closes = found["temm-21"], found["temm-21.closes"]
    title = "21st Tripartite Environment Ministers Meeting (TEMM 21)"
    assert str(opens["SUMMARY"]) == f"{title} opens (date TBC: second half of 2019)"
    assert str(closes["SUMMARY"]) == f"{title} closes (date TBC: second half of 2019)"
    assert (opens.decoded("DTSTART"), opens.decoded("DTEND")) == (date(2019, 7, 1),
                                                                  date(2019, 7, 2))
    assert (closes.decoded("DTSTART"), closes.decoded("DTEND")) == (date(2019, 12, 31),
                                                                    date(2020, 1, 1))
    assert "working-level-meetings.closes" not in found  # open-ended: one entry
    assert "kma-visit.closes" not in found  # confirmed: one entry
    assert export(edges_config) == export(edges_config)

    assert run(edges_config, "confirm", "temm-21", "--on",
               "2019-11-23..2019-11-24").exit_code == 0
    after = events(export(edges_config))
    assert "temm-21.closes" not in after
    assert str(after["temm-21"]["SUMMARY"]) == title
    assert after["temm-21"].decoded("DTSTART") == date(2019, 11, 23)
    # what is tied to it now has a window of its own, still unconfirmed: its new edges
    assert after["ltp-report"].decoded("DTSTART") == date(2019, 11, 16)
    assert after["ltp-report.closes"].decoded("DTSTART") == date(2019, 12, 1)
    assert str(after["ltp-report.closes"]["SUMMARY"]) == (
        "Publication of the summarized LTP report closes (date TBC: 16 November – 1 December "
        "2019)")
    assert int(after["ltp-report.closes"]["SEQUENCE"]) == int(after["ltp-report"]["SEQUENCE"])


def test_the_window_setting_changes_the_served_feed(config_file: Path) -> None:
    with serving(config_file) as (base, service):
        span = get(feed_url(base, service))[1]["ETag"]
    with config_file.open("a") as file:
        file.write('windows = "edges"\n')
    with serving(config_file) as (base, service):
        status, headers, body = get(feed_url(base, service))
    assert status == 200
    assert headers["ETag"] != span
    assert b"UID:temm-21.closes@followup.example.org" in body


def test_edges_in_a_real_calendar(edges_config: Path, tmp_path: Path) -> None:
    with serving(edges_config) as (base, service):
        folder, listing = subscribe_and_list(feed_url(base, service, "temm-team"), tmp_path)
    assert len(list(folder.glob("*.ics"))) == 6
    title = "21st Tripartite Environment Ministers Meeting (TEMM 21)"
    lines = listing.splitlines()
    assert f"2019-07-01 2019-07-01 {title} opens (date TBC: second half of 2019)" in lines
    assert f"2019-12-31 2019-12-31 {title} closes (date TBC: second half of 2019)" in lines
    # the three follow-ups of the half-year, each on two days, and nothing in between
    assert len([line for line in lines if "(date TBC" in line]) == 6
