"""snooze, note, edit and reopen, and the place given with confirm and done, through Click's
runner on a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from events.model import FollowUp, Kind, Status
from events.window import Precision
from scheduler.notices import Templates
from tests.system.test_cli import Run, as_json, config_file, dump, ok, refused, run

__all__ = ["config_file", "dump", "run"]  # fixtures used by name


def chases(run: Run, followup_id: str) -> list[tuple[str, str, str]]:
    return [(n["due"][:10], n["status"], n["detail"])
            for n in as_json(run("notices", "--json", "--limit", "1000"))
            if n["followup"] == followup_id and n["kind"] == "chase"]


def test_snooze_stops_chases_until_the_day_and_says_so(run: Run) -> None:
    ok(run("init"))
    # an open-ended window from this month on, chased from now (the CLI runs on today)
    ok(run("add", "working-level-meetings-2", "--title", "Working-level meetings",
           "--kind", "meeting", "--when", f"{date.today():%Y-%m}.."))
    pending = [c for c in chases(run, "working-level-meetings-2") if c[1] == "pending"]
    assert pending, "an open-ended window is chased"
    until = (date.today() + timedelta(days=40)).isoformat()  # the CLI runs on today's clock
    out = as_json(run("snooze", "working-level-meetings-2", "--until", until,
                      "--note", "Waiting for the ministry's reply", "--json"))
    assert [(c["field"], c["new"]) for c in out["changes"]] == [
        ("snoozed_until", until), ("note", "Waiting for the ministry's reply")]
    now_pending = [c for c in chases(run, "working-level-meetings-2") if c[1] == "pending"]
    assert now_pending[0] == (until, "pending", f"snoozed until {until}")
    assert all(day >= until for day, _, _ in now_pending)
    assert len(now_pending) < len(pending)
    shown = as_json(run("show", "working-level-meetings-2", "--json"))
    assert shown["snoozed_until"] == until
    assert shown["history"][-1]["field"] == "note"
    text = ok(run("show", "working-level-meetings-2")).stdout
    assert f"no chases until {until}" in text
    assert "Waiting for the ministry's reply" in text
    assert "KST" in text, "a note's time says its zone"

    # +N counts days from today in the register's zone
    ok(run("snooze", "working-level-meetings-2", "--until", "+45"))
    in_seoul = datetime.now(ZoneInfo("Asia/Seoul")).date()
    assert as_json(run("show", "working-level-meetings-2", "--json"))["snoozed_until"] == (
        in_seoul + timedelta(days=45)).isoformat()
    until = (in_seoul + timedelta(days=45)).isoformat()
    cleared = as_json(run("snooze", "working-level-meetings-2", "--clear", "--json"))
    assert [(c["field"], c["old"], c["new"]) for c in cleared["changes"]] == [
        ("snoozed_until", until, None)]
    assert [c for c in chases(run, "working-level-meetings-2") if c[1] == "pending"] == pending


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["snooze", "jcec-24"], "give either --until DATE or --clear"),
        (["snooze", "jcec-24", "--until", "2099-01-01", "--clear"], "either --until"),
        (["snooze", "jcec-24", "--until", "2019-01-01"], "is not after today"),
        (["snooze", "jcec-24", "--until", "next week"], "'next week' is not a day: give "
         "YYYY-MM-DD, or +N for N days from today"),
        (["snooze", "jcec-24", "--until", "2099-02-30"], "'2099-02-30' is not a day of the "
         "calendar"),
        (["snooze", "jcec-24", "--until", "+0"], "is not after today"),
        (["snooze", "nope", "--until", "2099-01-01"], "nope"),
        (["note", "jcec-24", "   "], "a note cannot be empty"),
        (["note", "nope", "hello"], "nope"),
        (["edit", "jcec-24"], "say what to change"),
        (["edit", "jcec-24", "--title", " "], "a title cannot be empty"),
        (["edit", "jcec-24", "--kind", "party"], "Invalid value for '--kind'"),
        (["reopen", "jcec-24"], "nothing to reopen"),
    ],
)
def test_bad_desk_input_gets_one_line_exit_2_and_changes_nothing(
    run: Run, dump: Callable[[], str], args: list[str], says: str
) -> None:
    ok(run("init"))
    before = dump()
    refused(run(*args), says)
    assert dump() == before


def test_a_cancelled_follow_up_cannot_be_snoozed_but_can_be_reopened(
        run: Run, dump: Callable[[], str]) -> None:
    ok(run("confirm", "temm-21", "--on", "2019-11-23..2019-11-24"))
    ok(run("cancel", "temm-21", "--reason", "postponed"))
    before = dump()
    refused(run("snooze", "temm-21", "--until", "2099-01-01"), "was cancelled")
    assert dump() == before
    out = as_json(run("reopen", "temm-21", "--json"))
    assert ("temm-21", "status", "cancelled", "scheduled") in [
        (c["followup"], c["field"], c["old"], c["new"]) for c in out["changes"]]
    # what rides on it hears of it
    assert {(c["followup"], c["new"]) for c in out["changes"] if c["field"] == "anchor"} == {
        ("ltp-report", "temm-21 (reopened)"), ("ministers-at-temm-21", "temm-21 (reopened)")}
    assert as_json(run("show", "temm-21", "--json"))["status"] == "scheduled"
    ok(run("done", "jcec-24"))
    ok(run("reopen", "jcec-24"))
    assert as_json(run("show", "jcec-24", "--json"))["status"] == "expected"


def test_edit_changes_what_was_typed_with_history(run: Run) -> None:
    ok(run("init"))
    out = as_json(run("edit", "temm-21", "--title", "TEMM 21 (Kitakyushu)", "--location",
                      "Kitakyushu", "--next-step", "Book the hotel.", "--tags",
                      "temm, ministers,temm", "--kind", "meeting", "--json"))
    assert [(c["field"], c["new"]) for c in out["changes"]] == [
        ("title", "TEMM 21 (Kitakyushu)"), ("location", "Kitakyushu"),
        ("next_step", "Book the hotel."), ("tags", "temm, ministers")]
    shown = as_json(run("show", "temm-21", "--json"))
    assert (shown["title"], shown["location"], shown["tags"]) == (
        "TEMM 21 (Kitakyushu)", "Kitakyushu", ["temm", "ministers"])
    assert shown["history"][-1]["why"].startswith("followup edit temm-21 --title")
    cleared = as_json(run("edit", "temm-21", "--location", "", "--tags", "", "--json"))
    assert [(c["field"], c["new"]) for c in cleared["changes"]] == [
        ("location", None), ("tags", "")]
    again = as_json(run("edit", "temm-21", "--location", "", "--json"))
    assert again["changes"] == [] and "nothing changed" in again["notes"][0]


def test_confirm_and_done_take_the_place(run: Run) -> None:
    ok(run("confirm", "temm-21", "--on", "2019-11-23..2019-11-24", "--location",
           "Kitakyushu"))
    assert as_json(run("show", "temm-21", "--json"))["location"] == "Kitakyushu"
    ok(run("done", "jcec-24", "--on", "2019-11-05", "--location", "Beijing"))
    shown = as_json(run("show", "jcec-24", "--json"))
    assert (shown["status"], shown["location"], shown["start"]) == (
        "done", "Beijing", "2019-11-05")


def test_notes_and_the_snooze_reach_the_notices() -> None:
    templates = Templates()
    for kind in ("chase", "undated-chase"):
        context = templates_context(kind)
        context["followup"]["notes"] = [{"on": "2019-09-20", "text": "Japan expects dates."}]
        context["followup"]["snoozed_until"] = "2019-10-15"
        rendered = templates.render(kind, context)
        for body in (rendered.text, rendered.html):
            assert "2019-09-20: Japan expects dates." in body
            assert "Chases paused until 2019-10-15." in body


def templates_context(kind: str) -> dict[str, object]:
    from scheduler.notices import sample_contexts

    return sample_contexts()[kind]


@pytest.mark.parametrize("command", ["snooze", "note", "edit", "reopen"])
def test_desk_commands_have_help(run: Run, command: str) -> None:
    assert ok(run(command, "--help")).stdout.startswith("Usage: followup " + command)


def test_a_start_without_an_end_says_the_end_it_assumed(run: Run, config_file: Path) -> None:
    config_file.write_text(config_file.read_text().replace(
        '[register]\n', '[register]\ndefault_length_minutes = 90\n'))
    out = as_json(run("confirm", "jcec-24", "--on", "2019-12-10", "--at", "10:00", "--tz",
                      "Asia/Shanghai", "--json"))
    assert out["notes"] == ["jcec-24: no --until given, so it is taken to end at 11:30 (90 "
                            "minutes; give --until, or set [register] default_length_minutes)"]
    assert as_json(run("show", "jcec-24", "--json"))["end"].startswith("2019-12-10T11:30")


def test_notices_say_when_an_end_was_assumed() -> None:
    from scheduler.notices import followup_context

    followup = FollowUp(id="jcec-24", title="JCEC 24", kind=Kind.MEETING,
                        status=Status.SCHEDULED, parties=[], tags=[], margin_days=0,
                        start_at=datetime(2019, 12, 10, 2, tzinfo=UTC),
                        end_at=datetime(2019, 12, 10, 3, tzinfo=UTC), timezone="Asia/Shanghai",
                        end_assumed=True, earliest=date(2019, 12, 10),
                        latest=date(2019, 12, 10), precision=Precision.DAY)
    assert followup_context(followup)["when"].endswith("10:00–11:00 Asia/Shanghai (end assumed)")
    followup.end_assumed = None
    assert followup_context(followup)["when"].endswith("10:00–11:00 Asia/Shanghai")
