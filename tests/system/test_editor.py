"""Acting from the page over real HTTP: editor addresses from the CLI, every action through
the register, the form token, one-line errors with nothing changed, the security headers."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from events.model import Change, FollowUp
from scheduler.app import App
from scheduler.config import load_config
from scheduler.editor import SECURITY_HEADERS
from scheduler.editors import EditorTokens
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService
from tests.system.feed_setup import feed_config, run

NOW = datetime(2019, 1, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    return feed_config(tmp_path, 'base_url = "https://followup.example.org/"\n')


class Server:
    def __init__(self, config_file: Path) -> None:
        config = load_config(config_file, env={})
        self.app = App(config, clock=lambda: NOW)
        self.app.open()
        self.service = FeedService(self.app.store, config, lambda: NOW)
        self.server = FeedServer(self.service, "127.0.0.1", 0)
        self.server.start()

    def editor(self, audience: str = "all") -> str:
        return f"/edit/{EditorTokens(self.service).tokens()[audience]}/{audience}"

    def viewer(self, audience: str = "all") -> str:
        return f"/pages/{self.service.tokens()[audience]}/{audience}"

    def request(self, method: str, path: str, fields: dict[str, str] | None = None
                ) -> tuple[int, http.client.HTTPMessage, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            body = None if fields is None else urlencode(fields)
            headers = {} if fields is None else {
                "Content-Type": "application/x-www-form-urlencoded"}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode()
        finally:
            connection.close()

    def form_token(self, audience: str = "all", followup_id: str = "temm-21") -> str:
        page = self.request("GET", f"{self.editor(audience)}/followups/{followup_id}")[2]
        found = re.search(r'name="form_token" value="([^"]+)"', page)
        assert found is not None, page
        return found.group(1)

    def post(self, followup_id: str, action: str, fields: dict[str, str],
             audience: str = "all", token: str | None = None
             ) -> tuple[int, http.client.HTTPMessage, str]:
        sent = {"form_token": token or self.form_token(audience), **fields}
        return self.request("POST", f"{self.editor(audience)}/followups/{followup_id}/{action}",
                            sent)

    def history(self, followup_id: str) -> list[tuple[str, str | None, str]]:
        with self.app.store.transaction(write=False) as session:
            return [(c.field, c.new, c.why) for c in session.scalars(
                select(Change).where(Change.followup_id == followup_id).order_by(Change.id))]

    def followup(self, followup_id: str) -> FollowUp:
        with self.app.store.transaction(write=False) as session:
            found = session.get(FollowUp, followup_id)
            assert found is not None
            session.expunge_all()
            return found


@pytest.fixture
def server(config_file: Path) -> Iterator[Server]:
    served = Server(config_file)
    try:
        yield served
    finally:
        served.server.stop()
        served.app.store.dispose()


def test_editor_addresses_are_listed_apart_and_rotated_alone(config_file: Path) -> None:
    listed = run(config_file, "feeds", "--editors", "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [row["audience"] for row in rows] == ["desk", "temm-team", "all"]
    feeds = {row["audience"]: row["url"] for row in json.loads(
        run(config_file, "feeds", "--json").stdout)}
    for row in rows:
        assert re.fullmatch(rf"https://followup\.example\.org/edit/[\w-]{{32}}/{row['audience']}/",
                            row["editor"]), row
        # a separate secret: the feed address does not give the editor's away
        assert row["editor"].split("/")[4] not in feeds[row["audience"]]
    assert json.loads(run(config_file, "feeds", "--editors", "--json").stdout) == rows

    text = run(config_file, "feeds", "--editors")
    assert text.stdout.splitlines()[:2] == ["desk", f"  {rows[0]['editor']}"]
    assert "keep it to the desk" in text.stderr
    assert "/edit/" not in run(config_file, "feeds").stdout

    rotated = run(config_file, "feeds", "rotate", "desk", "--editor")
    assert rotated.exit_code == 0, rotated.output
    after = json.loads(run(config_file, "feeds", "--editors", "--json").stdout)
    assert after[0]["editor"] != rows[0]["editor"]
    assert rotated.stdout == f"desk: new editor address {after[0]['editor']}\n"
    assert after[1:] == rows[1:]
    assert {row["audience"]: row["url"] for row in json.loads(
        run(config_file, "feeds", "--json").stdout)} == feeds  # the feeds keep theirs
    wrong = run(config_file, "feeds", "rotate", "press", "--editor")
    assert (wrong.exit_code, wrong.stderr) == (
        2, "followup: no audience 'press': use one of desk, temm-team, all\n")


def test_a_rotated_editor_address_and_its_forms_stop_working(server: Server,
                                                           config_file: Path) -> None:
    old, token = server.editor("desk"), server.form_token("desk")
    assert server.request("GET", old + "/")[0] == 200
    EditorTokens(server.service).rotate("desk")
    assert server.request("GET", old + "/")[0] == 404
    assert server.request("POST", f"{old}/followups/temm-21/note",
                          {"form_token": token, "text": "late"})[0] == 404
    # the new address with the old form's token is refused too
    assert server.post("temm-21", "note", {"text": "late"}, "desk", token=token)[0] == 403
    assert server.post("temm-21", "note", {"text": "on time"}, "desk")[0] == 303


#: For each action: fields posted, and the history rows it leaves (field, new value).
ACTED = [
    ("confirm", "temm-21", {"on": "2019-11-23", "at": "10:00", "tz": "Asia/Tokyo",
                            "location": "Kitakyushu"},
     [("status", "scheduled"),
      ("schedule", "2019-11-23T10:00:00+09:00..2019-11-23T11:00:00+09:00 Asia/Tokyo"),
      ("window", "2019-11-23"), ("location", "Kitakyushu")],
     "temm-21 confirmed for 23 November 2019, 10:00–11:00 Asia/Tokyo; 2 tied to it followed "
     "(ltp-report, ministers-at-temm-21); no end given, so it is taken to end at 11:00."),
    ("move", "jcec-24", {"when": "2020-Q1", "phrase": "early 2020"},
     [("window", "2020-Q1"), ("phrase", "early 2020")],
     "jcec-24 moved to first quarter of 2020; 1 tied to it followed (fine-dust-expert-group)."),
    ("snooze", "jcec-24", {"until": "2019-03-01", "note": "after the holidays"},
     [("snoozed_until", "2019-03-01"), ("note", "after the holidays")],
     "jcec-24 snoozed until 2019-03-01."),
    ("note", "temm-21", {"text": "Japan to host; <b>dates</b> & venue soon"},
     [("note", "Japan to host; <b>dates</b> & venue soon")], "temm-21 noted."),
    ("done", "kma-visit", {"location": "Seoul"},
     [("status", "done"), ("location", "Seoul")], "kma-visit marked done."),
    ("cancel", "fine-dust-expert-group", {"reason": "merged into JCEC"},
     [("status", "cancelled")], "fine-dust-expert-group cancelled."),
]


@pytest.mark.parametrize(("action", "followup_id", "fields", "rows", "said"), ACTED,
                         ids=[a[0] for a in ACTED])
def test_each_action_goes_through_the_register(
        server: Server, action: str, followup_id: str, fields: dict[str, str],
        rows: list[tuple[str, str]], said: str) -> None:
    before = server.history(followup_id)
    status, headers, _ = server.post(followup_id, action, fields)
    assert status == 303
    location = headers["Location"]
    assert urlsplit(location).path == f"{server.editor()}/followups/{followup_id}"
    added = server.history(followup_id)[len(before):]
    assert [(name, new) for name, new, _ in added] == rows
    command = added[0][2]
    assert command.startswith(f"followup {action} {followup_id}")
    assert command.endswith("(from the all editor page)")
    status, _, page = server.request("GET", location)
    assert status == 200
    shown = re.search(r'id="said"[^>]*>([^<]*)<', page)
    assert shown is not None
    assert shown.group(1) == said.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;")
    # what was typed is escaped wherever the page shows it
    assert "<b>dates</b>" not in page


@pytest.mark.parametrize(("action", "followup_id", "fields", "problem"), [
    ("confirm", "temm-21", {"on": "2019-11-31"}, "--on: '2019-11-31' is not a date window: "),
    ("confirm", "temm-21", {"on": "2019-11"}, "2019-11 is not a day or a span of days: "),
    ("confirm", "temm-21", {"on": "2019-11-23", "at": "25:00"},
     "'25:00' is not a time of day: write HH:MM, such as 09:30"),
    ("confirm", "temm-21", {"on": "2019-11-23", "until": "11:00"},
     "--until needs --at: give the start time as well"),
    ("confirm", "temm-21", {"at": "10:00"}, "--on is missing: give a date such as 2019-11-23"),
    ("move", "ltp-report", {"when": "2020-03"}, "ltp-report's window is derived from temm-21"),
    ("snooze", "jcec-24", {"until": "2019-01-24"}, "--until 2019-01-24 is not after today "
                                                   "(2019-01-24): give a later day"),
    ("note", "temm-21", {"text": "   "}, "a note cannot be empty: write what there is to know"),
    ("reopen", "temm-21", {}, "temm-21 is expected, not cancelled or done: there is nothing"),
])
def test_bad_input_is_one_line_on_the_page_and_changes_nothing(
        server: Server, action: str, followup_id: str, fields: dict[str, str],
        problem: str) -> None:
    before = server.history(followup_id)
    status, headers, page = server.post(followup_id, action, fields)
    assert status == 400
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    shown = re.search(r'class="problem"[^>]*>([^<]*)<', page)
    assert shown is not None
    line = shown.group(1).replace("&#39;", "'")
    assert line.startswith(problem)
    assert "\n" not in line
    assert server.history(followup_id) == before


def test_refused_and_unknown(server: Server) -> None:
    editor = server.editor()
    path = f"{editor}/followups/temm-21/confirm"
    refused = ("refused: the form carries no valid form token; open the follow-up's page at "
               "the editor address again and send the form from there\n")
    assert server.request("POST", path, {"on": "2019-11-23"})[::2] == (403, refused)
    assert server.request("POST", path, {"on": "2019-11-23", "form_token": "x" * 32}
                          )[::2] == (403, refused)
    assert server.request("GET", path)[0] == 404  # POST only
    assert server.request("POST", f"{server.viewer()}/followups/temm-21/confirm",
                          {"on": "2019-11-23"})[0] == 404
    for wrong in ("/edit/not-the-token/all/", f"/edit/{editor.split('/')[2]}/press/",
                  f"{editor}/followups/no-such-thing", f"{editor}/nowhere"):
        assert server.request("GET", wrong)[::2] == (404, "not found\n"), wrong
    # a follow-up the audience does not see cannot be acted on at its address
    assert server.post("kma-visit", "done", {}, "temm-team")[0] == 404
    assert server.post("temm-21", "explode", {})[0] == 404
    assert server.followup("temm-21").status.value == "expected"
    # a confirmation line is shown only as the server signed it
    forged = urlencode({"said": "all follow-ups deleted", "sig": "0" * 32})
    page = server.request("GET", f"{editor}/followups/temm-21?{forged}")[2]
    assert "deleted" not in page


def test_every_response_carries_the_security_headers(server: Server) -> None:
    editor, viewer = server.editor(), server.viewer()
    feed = f"/feeds/{server.service.tokens()['all']}/all.ics"
    for path in (f"{viewer}/", f"{viewer}/followups/temm-21", f"{editor}/",
                 f"{editor}/followups/temm-21", f"{editor}/changes?since=2019-01-01",
                 "/pages/static/pages.css", "/nowhere", "/healthz", feed):
        status, headers, _ = server.request("GET", path)
        assert status == (404 if path == "/nowhere" else 200), path
        for name, value in SECURITY_HEADERS.items():
            assert headers[name] == value, (path, name)
    assert SECURITY_HEADERS["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    status, headers, _ = server.post("temm-21", "note", {"text": "seen"})
    assert (status, headers["Referrer-Policy"]) == (303, "no-referrer")
    assert server.request("GET", f"{editor}/followups/temm-21")[1]["Cache-Control"] == (
        "no-store")


def test_acting_on_postgresql(tmp_path: Path, postgres_schema_url: str,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The same action, its dependants and its notices on the other database."""
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{postgres_schema_url}"\n'
                    '[audiences.desk]\ntimezone = "Asia/Seoul"\n'
                    '[feeds]\ndomain = "followup.example.org"\nport = 0\n')
    served = Server(path)
    try:
        status, _, _ = served.post("temm-21", "confirm", {"on": "2019-11-23..2019-11-24"})
        assert status == 303
        assert served.followup("temm-21").status.value == "scheduled"
        assert str(served.followup("ltp-report").earliest) == "2019-11-16"
        assert [name for name, _, _ in served.history("ltp-report")][-1] == "window"
        leads = served.request("GET", f"{served.editor()}/followups/temm-21")[2]
        assert "2019-11-22 09:00 KST" in leads  # the lead the day before, planned already
    finally:
        served.server.stop()
        served.app.store.dispose()


def test_a_form_shown_before_the_followup_changed_does_nothing(server: Server) -> None:
    page = server.request("GET", f"{server.editor()}/followups/temm-21")[2]
    shown = re.search(r'name="revision" value="(\d+)"', page)
    assert shown is not None
    revision = shown.group(1)
    # someone else confirms it meanwhile
    assert server.post("temm-21", "confirm", {"on": "2019-11-23", "revision": revision})[0] == 303
    before = server.history("temm-21")
    status, _, page = server.post("temm-21", "cancel", {"reason": "off", "revision": revision})
    assert status == 409
    problem = re.search(r'class="problem"[^>]*>([^<]*)<', page)
    assert problem is not None
    assert problem.group(1) == (
        f"temm-21 changed after this page was shown (revision {revision}, now "
        f"{int(revision) + 1}): nothing was done; read it as it is now and send the form again")
    assert server.history("temm-21") == before
    # the page it answers with carries the revision it shows, and its form goes through
    fresh = re.search(r'name="revision" value="(\d+)"', page)
    assert fresh is not None and fresh.group(1) == str(int(revision) + 1)
    assert server.post("temm-21", "cancel", {"revision": fresh.group(1)})[0] == 303
    assert server.followup("temm-21").status.value == "cancelled"


def test_reopening_detaching_and_clearing_a_snooze(server: Server) -> None:
    assert server.post("fine-dust-expert-group", "cancel", {})[0] == 303
    page = server.request("GET", f"{server.editor()}/followups/fine-dust-expert-group")[2]
    assert 'id="form-reopen"' in page and 'id="form-confirm"' not in page
    assert server.post("fine-dust-expert-group", "reopen", {})[0] == 303
    assert server.followup("fine-dust-expert-group").status.value == "expected"

    assert server.post("ltp-report", "move", {"when": "2020-03", "detach": "1"})[0] == 303
    moved = server.followup("ltp-report")
    assert (moved.anchor_id, str(moved.earliest)) == (None, "2020-03-01")
    assert server.history("ltp-report")[-1][2] == (
        "followup move ltp-report --when 2020-03 --detach (from the all editor page)")

    assert server.post("jcec-24", "snooze", {"until": "2019-03-01"})[0] == 303
    assert server.post("jcec-24", "snooze", {"clear": "1"})[0] == 303
    assert server.followup("jcec-24").snoozed_until is None
    status, _, page = server.post("jcec-24", "snooze", {"clear": "1", "until": "2019-04-01"})
    assert status == 400
    assert "give either a day to snooze --until, or --clear" in page
