"""Calendar feeds: rendering read back by real parsers, served over real HTTP, and read by a
real subscription client (vdirsyncer's http storage) and a real calendar (khal)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import recurring_ical_events
from click.testing import CliRunner, Result
from icalendar import Calendar

from scheduler.app import App
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.feeds import FeedServer, FeedService

BIN = Path(sys.executable).parent


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "sqlite:///register.db"\n'
                    '[audiences.desk]\ntimezone = "Asia/Seoul"\n'
                    '[audiences.temm-team]\ntags = ["temm"]\n'
                    '[feeds]\ndomain = "followup.example.org"\nport = 0\n')
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"FOLLOWUP_CONFIG": str(config_file)})


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
    assert str(hard["SUMMARY"]) == (title.replace("\r\n", "\n")
                                    + " (date TBC: fourth quarter of 2019)")
    assert str(hard["LOCATION"]) == "서울, Seoul; 北京"


# -- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def server(config_file: Path) -> Iterator[tuple[str, FeedService]]:
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


def feed_url(base: str, service: FeedService, audience: str = "all") -> str:
    return f"{base}/feeds/{service.tokens()[audience]}/{audience}.ics"


def test_serving_a_feed(server: tuple[str, FeedService], config_file: Path) -> None:
    base, service = server
    url = feed_url(base, service)
    status, headers, body = get(url)
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
            "webcal": new.replace(base, "webcal://127.0.0.1:0")} in listed


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
url = "{feed_url(base, service, 'temm-team')}"

[storage followup_local]
type = "filesystem"
path = "{folder}/"
fileext = ".ics"
''')
    env = {**os.environ, "HOME": str(tmp_path)}
    for command in (["discover"], ["sync"]):
        subprocess.run([BIN / "vdirsyncer", "-c", str(config), *command], check=True,
                       capture_output=True, env=env, timeout=60, input=b"y\n")
    assert len(list(folder.glob("*.ics"))) == 3
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
    assert ("2019-07-01 2019-12-31 21st Tripartite Environment Ministers Meeting (TEMM 21) "
            "(date TBC: second half of 2019)") in listing.stdout
    assert "Publication of the summarized LTP report (date TBC: second half of 2019)" in \
        listing.stdout


def test_export_to_a_folder_that_does_not_exist(config_file: Path, tmp_path: Path) -> None:
    result = run(config_file, "export", "--out", str(tmp_path / "no" / "such" / "feed.ics"))
    assert result.exit_code == 2
    assert result.stderr.startswith("followup: cannot write")
    assert not (tmp_path / "no").exists()
