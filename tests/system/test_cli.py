"""The followup command through Click's runner, on a temporary SQLite file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import cli
from tests.conftest import SEED_IDS, sqlite_path

JSON_KEYS = {
    "id",
    "title",
    "kind",
    "status",
    "earliest",
    "latest",
    "precision",
    "phrase",
    "start",
    "end",
    "location",
    "anchor",
    "sentence",
    "revision",
}

Run = Callable[..., Result]


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[database]\nurl = "sqlite:///register.db"\nbusy_timeout = 0.2\n'
        '[register]\ntimezone = "Asia/Seoul"\n'
    )
    return path


@pytest.fixture
def run(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), env={"FOLLOWUP_CONFIG": str(config_file), **(env or {})}
        )

    return invoke


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def refused(result: Result, says: str) -> None:
    """One line on stderr that says what is wrong, exit code 2, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.fixture
def dump(run: Run) -> Callable[[], str]:
    def everything() -> str:
        followups = as_json(run("list", "--json"))
        histories = [as_json(run("history", f["id"], "--json")) for f in followups]
        return json.dumps([followups, histories])

    return everything


def test_init_creates_the_database_and_loads_the_seed_once(run: Run, tmp_path: Path) -> None:
    result = ok(run("init"))
    assert "Created SQLite file" in result.stdout
    assert "Loaded 11 follow-ups" in result.stdout
    assert (tmp_path / "register.db").is_file()  # relative to the config file
    again = ok(run("init"))
    assert "is up to date" in again.stdout
    assert "nothing to add" in again.stdout
    assert len(as_json(run("list", "--json"))) == 11


def test_the_first_command_on_a_new_database_initialises_it(run: Run) -> None:
    followups = as_json(run("list", "--json"))
    assert [f["id"] for f in followups if f["id"] in SEED_IDS] == [
        "kma-visit",
        "working-level-meetings",
        "fine-dust-expert-group",
        "jcec-24",
        "ltp-report",
        "ministers-at-temm-21",
        "temm-21",
        "forecast-exchange-launch",
    ]


def test_list_shows_every_follow_up_with_window_and_sentence(run: Run) -> None:
    out = ok(run("list", env={"COLUMNS": "400"})).stdout  # wide enough that cells do not wrap
    flat = " ".join(out.replace("│", " ").split())
    for followup_id in SEED_IDS:
        assert followup_id in flat
    assert "second half of 2019, date not yet confirmed" in flat
    assert "February 2019 onwards" in flat
    assert "no date given yet" in flat
    assert "The two sides agreed to hold their next Joint Committee meeting in China" in flat
    assert "¶7" in flat


def test_list_json(run: Run) -> None:
    followups = {f["id"]: f for f in as_json(run("list", "--json"))}
    temm = followups["temm-21"]
    assert temm.keys() >= JSON_KEYS
    assert (temm["earliest"], temm["latest"], temm["precision"]) == (
        "2019-07-01",
        "2019-12-31",
        "half-year",
    )
    assert temm["phrase"] == "in the second half of the year 2019"
    assert temm["location"] == "Japan"
    assert followups["working-level-meetings"]["latest"] is None
    assert followups["ltp-report"]["anchor"] == "temm-21"
    assert followups["kma-visit"]["start"] == "2019-01-24"
    assert followups["kma-visit"]["status"] == "scheduled"
    assert followups["forecast-exchange-launch"]["earliest"] is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--kind", "visit"], ["kma-visit"]),
        (["--status", "scheduled"], ["kma-visit"]),
        (["--kind", "report", "--from", "2019-07-01", "--to", "2019-12-31"], ["ltp-report"]),
        (["--kind", "meeting", "--to", "2019-03"], ["working-level-meetings"]),
        (["--kind", "launch", "--from", "2030"], ["forecast-exchange-launch"]),
        (["--status", "done"], []),
    ],
)
def test_list_filters(run: Run, args: list[str], expected: list[str]) -> None:
    assert [f["id"] for f in as_json(run("list", "--json", *args))] == expected


def test_confirm_narrows_the_anchored_follow_ups_and_history_says_why(run: Run) -> None:
    result = ok(run("confirm", "temm-21", "--on", "2019-11-23..2019-11-24", env={"COLUMNS": "200"}))
    flat = " ".join(result.stdout.replace("│", " ").split())
    assert "ltp-report window 2019-H2 → 2019-11-16..2019-12-01 derived from temm-21" in flat
    assert "ministers-at-temm-21 window 2019-H2 → 2019-11-22..2019-11-25" in flat

    ltp = as_json(run("show", "ltp-report", "--json"))
    assert (ltp["earliest"], ltp["latest"], ltp["revision"]) == ("2019-11-16", "2019-12-01", 2)
    history = as_json(run("history", "ltp-report", "--json"))
    assert history[-1]["why"] == (
        "derived from temm-21 after: followup confirm temm-21 --on 2019-11-23..2019-11-24"
    )
    out = ok(run("history", "ltp-report", env={"COLUMNS": "200"})).stdout
    assert "derived from temm-21" in " ".join(out.replace("│", " ").split())

    temm = as_json(run("show", "temm-21", "--json"))
    assert (temm["status"], temm["start"], temm["end"]) == ("scheduled", "2019-11-23", "2019-11-24")


def test_confirm_json_lists_derived_changes(run: Run) -> None:
    changes = as_json(
        run(
            "confirm",
            "jcec-24",
            "--on",
            "2019-12-10",
            "--at",
            "10:00",
            "--tz",
            "Asia/Shanghai",
            "--json",
        )
    )["changes"]
    assert [(c["followup"], c["field"]) for c in changes] == [
        ("jcec-24", "status"),
        ("jcec-24", "schedule"),
        ("jcec-24", "window"),
        ("fine-dust-expert-group", "window"),
    ]
    jcec = as_json(run("show", "jcec-24", "--json"))
    assert jcec["start"] == "2019-12-10T10:00:00+08:00"
    assert jcec["end"] == "2019-12-10T11:00:00+08:00"
    assert jcec["timezone"] == "Asia/Shanghai"


def test_show(run: Run) -> None:
    out = ok(run("show", "jcec-24")).stdout
    assert "24th ROK-China Joint Committee" in out
    assert "Ask the Chinese side for the date" in out
    assert "second half of 2019" in out
    data = as_json(run("show", "jcec-24", "--json"))
    assert data["history"][0]["field"] == "created"
    assert data["source"]["url"].endswith("seq=320351")


def test_add_move_cancel_done(run: Run) -> None:
    ok(
        run(
            "add",
            "follow-on-seminar",
            "--title",
            "Follow-on seminar",
            "--kind",
            "meeting",
            "--when",
            "2019-Q4",
            "--location",
            "Beijing",
            "--party",
            "ROK",
            "--party",
            "China",
            "--tag",
            "seminar",
            "--phrase",
            "in the fourth quarter",
        )
    )
    ok(
        run(
            "add",
            "seminar-report",
            "--title",
            "Seminar report",
            "--kind",
            "report",
            "--anchor",
            "follow-on-seminar",
            "--margin",
            "14",
        )
    )
    moved = as_json(run("move", "follow-on-seminar", "--when", "2020-01-15", "--json"))
    assert [(c["followup"], c["new"]) for c in moved["changes"]] == [
        ("follow-on-seminar", "2020-01-15"),
        ("seminar-report", "2020-01-01..2020-01-29"),
    ]
    ok(run("done", "follow-on-seminar", "--on", "2020-01-16"))
    assert as_json(run("show", "seminar-report", "--json"))["earliest"] == "2020-01-02"
    ok(run("cancel", "seminar-report", "--reason", "merged into the annual report"))
    report = as_json(run("show", "seminar-report", "--json"))
    assert report["status"] == "cancelled"
    assert "merged into the annual report" in report["history"][-1]["why"]


def test_anchor_and_detach(run: Run) -> None:
    ok(run("anchor", "working-level-meetings", "jcec-24", "--margin", "30"))
    assert as_json(run("show", "working-level-meetings", "--json"))["precision"] == "half-year"
    ok(run("move", "working-level-meetings", "--when", "2019-03", "--detach"))
    data = as_json(run("show", "working-level-meetings", "--json"))
    assert (data["anchor"], data["earliest"]) == (None, "2019-03-01")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["show", "nope"], "no follow-up with the id 'nope'"),
        (["confirm", "nope", "--on", "2019-11-23"], "no follow-up with the id 'nope'"),
        (["confirm", "temm-21", "--on", "2019-02-30"], "February 2019 has no day 30"),
        (["confirm", "temm-21", "--on", "2019-11"], "not a day or a span of days"),
        (["confirm", "temm-21", "--on", "2019-11-24..2019-11-23"], "before it starts"),
        (["confirm", "temm-21", "--on", "2019-11-23", "--at", "25:00"], "not a time of day"),
        (
            ["confirm", "temm-21", "--on", "2019-11-23", "--at", "10:00", "--tz", "Mars/Base"],
            "unknown time zone 'Mars/Base'",
        ),
        (["move", "temm-21", "--when", "2019-H3"], "there is no half-year H3"),
        (["move", "ltp-report", "--when", "2019-12"], "derived from temm-21"),
        (["anchor", "temm-21", "ltp-report"], "cycle temm-21 -> ltp-report -> temm-21"),
        (["anchor", "jcec-24", "fine-dust-expert-group"], "cycle"),
        (["list", "--kind", "party"], "Invalid value for '--kind'"),
        (["list", "--from", "2019-12", "--to", "2019-01"], "--to is before --from"),
        (["add", "x", "--title", "X", "--kind", "other"], "give --when WINDOW"),
        (["add", "temm-21", "--title", "X", "--kind", "other", "--when", "2019"], "exists already"),
        (
            ["add", "Big Day", "--title", "X", "--kind", "other", "--when", "2019"],
            "not a usable id",
        ),
        (
            [
                "add",
                "x",
                "--title",
                "X",
                "--kind",
                "other",
                "--when",
                "2019",
                "--anchor",
                "temm-21",
            ],
            "not both",
        ),
        (["frobnicate"], "No such command"),
    ],
)
def test_bad_input_gets_one_line_exit_2_and_changes_nothing(
    run: Run, dump: Callable[[], str], args: list[str], says: str
) -> None:
    ok(run("init"))
    before = dump()
    refused(run(*args), says)
    assert dump() == before


def test_a_cancelled_follow_up_cannot_be_confirmed(run: Run, dump: Callable[[], str]) -> None:
    ok(run("cancel", "jcec-24"))
    before = dump()
    refused(run("confirm", "jcec-24", "--on", "2019-12-01"), "was cancelled")
    refused(run("done", "jcec-24"), "was cancelled")
    assert dump() == before


def test_config_problems_are_reported_together(run: Run, config_file: Path) -> None:
    config_file.write_text(
        '[database]\nurl = 5\nbusy_timeout = "soon"\n[register]\ntimezone = "Mars/Base"\n'
    )
    result = run("list")
    refused(result, "database.url: expected a string, got 5")
    assert "database.busy_timeout: expected a number" in result.stderr
    assert "register.timezone: unknown time zone 'Mars/Base'" in result.stderr


def test_a_missing_config_file(run: Run, tmp_path: Path) -> None:
    refused(
        run("list", env={"FOLLOWUP_CONFIG": str(tmp_path / "nope.toml")}),
        "no such file (named by FOLLOWUP_CONFIG)",
    )


def test_unknown_config_keys_are_warned_about(run: Run, config_file: Path) -> None:
    config_file.write_text(config_file.read_text() + "[database.pool]\nsize = 3\n")
    result = ok(run("list", "--json"))
    assert "unknown key 'database.pool' is ignored" in result.stderr


def test_help_needs_no_database(run: Run, tmp_path: Path) -> None:
    result = ok(run("confirm", "--help", env={"FOLLOWUP_CONFIG": str(tmp_path / "nope")}))
    assert "--on DATE[..DATE]" in result.stdout
    for command in [
        "init",
        "list",
        "show",
        "add",
        "confirm",
        "move",
        "cancel",
        "done",
        "history",
        "anchor",
    ]:
        assert ok(run(command, "--help")).stdout.startswith("Usage: followup " + command)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://root@localhost/followup", "unsupported database URL"),
        ("sqlite:///{tmp}/missing-folder/db.sqlite", "does not exist: create it"),
        ("sqlite:///{tmp}", "is a folder, not a database file"),
    ],
)
def test_unusable_database_urls(run: Run, tmp_path: Path, url: str, says: str) -> None:
    refused(run("list", env={"FOLLOWUP_DATABASE_URL": url.format(tmp=tmp_path)}), says)


def test_a_file_that_is_not_sqlite_is_left_alone(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(b"my notes, not a database\n" * 100)
    refused(
        run("list", env={"FOLLOWUP_DATABASE_URL": f"sqlite:///{target}"}),
        "is not a SQLite database",
    )
    assert target.read_bytes() == b"my notes, not a database\n" * 100


@pytest.fixture
def write_lock(tmp_path: Path, run: Run) -> Iterator[None]:
    ok(run("init"))
    holder = sqlite3.connect(
        sqlite_path(f"sqlite:///{tmp_path / 'register.db'}"), isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    yield
    holder.execute("ROLLBACK")
    holder.close()


def test_a_locked_database_is_a_clear_error_and_the_change_can_be_retried(
    run: Run, write_lock: None
) -> None:
    refused(
        run("confirm", "temm-21", "--on", "2019-11-23"),
        "is locked by another process (waited 0.2 s)",
    )
    # reading is not blocked by a writer (WAL)
    assert len(as_json(run("list", "--json"))) == 11


def test_internal_errors_are_one_line_unless_debug(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("events.register.Register.find", broken)
    result = run("list")
    assert result.exit_code == 1
    assert "internal error: RuntimeError('a bug'); run again with --debug" in result.stderr
    debug = run("--debug", "list")
    assert isinstance(debug.exception, RuntimeError)


def test_the_installed_command(tmp_path: Path) -> None:
    """The console script itself: help works, and a user error is one line, exit 2."""
    script = Path(sys.executable).with_name("followup")
    env = {
        "FOLLOWUP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "PATH": str(script.parent),
    }
    help_run = subprocess.run(
        [script, "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert help_run.returncode == 0
    assert "Keep the follow-ups" in help_run.stdout
    bad = subprocess.run(
        [script, "show", "nope"], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr == (
        "followup: no follow-up with the id 'nope': 'followup list' shows the ids\n"
    )


def test_postgresql_end_to_end(run: Run, postgres_schema_url: str) -> None:
    env = {"FOLLOWUP_DATABASE_URL": postgres_schema_url}
    assert "Loaded 11 follow-ups" in ok(run("init", env=env)).stdout
    ok(run("confirm", "temm-21", "--on", "2019-11-23..2019-11-24", env=env))
    ltp = json.loads(ok(run("show", "ltp-report", "--json", env=env)).stdout)
    assert (ltp["earliest"], ltp["latest"]) == ("2019-11-16", "2019-12-01")
