"""followup notices, replay and check, through the command line on a temporary SQLite file."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update

from events.model import Notice, NoticeStatus
from events.queue import Queue
from events.recording import Recorder
from events.store import Store
from scheduler.cli import cli
from scheduler.notices import TemplateProblem, Templates, default_directory, ensure_valid
from tests.system.daemons import SEED_DUE_AT_START

OUTCOMES = Path(__file__).parents[2] / "events" / "data" / "outcomes-2019.toml"


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[database]\nurl = "sqlite:///register.db"\n'
                    '[audiences.desk]\ntimezone = "Asia/Seoul"\ndigest = "0 9 * * mon"\n')
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"FOLLOWUP_CONFIG": str(config_file)})


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result: Result, says: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.output


def test_notices_lists_the_ledger(config_file: Path) -> None:
    notices = as_json(run(config_file, "notices", "--json"))
    assert {"key", "due", "audience", "channel", "kind", "followup", "status", "attempts",
            "sent_at"} <= notices[0].keys()
    overdue = [n for n in notices if n["kind"] == "overdue"]
    assert {n["followup"] for n in overdue} == set(SEED_DUE_AT_START)
    pending = as_json(run(config_file, "notices", "--status", "pending", "--json"))
    assert len(pending) == len(notices)
    assert as_json(run(config_file, "notices", "--status", "sent", "--json")) == []
    table = run(config_file, "notices", "--limit", "3")
    assert table.exit_code == 0
    assert "overdue" in table.stdout


def replay(config_file: Path, *extra: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = as_json(run(
        config_file, "replay", "--from", "2019-01-24", "--to", "2020-01-31", "--json", *extra))
    return result


def test_replay_a_year_and_see_it_change_with_the_outcomes(config_file: Path) -> None:
    plain = replay(config_file)
    assert {"due", "audience", "channel", "kind", "followup", "subject"} <= plain[0].keys()
    assert [n["sent"] for n in plain] == sorted(n["sent"] for n in plain)
    kinds = {(n["followup"], n["kind"]) for n in plain}
    assert ("temm-21", "window-opens") in kinds
    assert ("temm-21", "overdue") in kinds
    assert ("jcec-24", "overdue") in kinds
    assert sum(n["kind"] == "digest" for n in plain) == 53  # every Monday of the period
    assert not any(n["kind"] == "lead" and n["followup"] == "temm-21" for n in plain)

    changed = replay(config_file, "--outcomes", str(OUTCOMES))
    leads = [(n["sent"], n["subject"]) for n in changed
             if n["followup"] == "temm-21" and n["kind"] == "lead"]
    assert leads == [
        ("2019-10-24T00:00:00+00:00", "21st Tripartite Environment Ministers Meeting (TEMM 21): "
                                      "in 30 days"),
        ("2019-11-16T00:00:00+00:00", "21st Tripartite Environment Ministers Meeting (TEMM 21): "
                                      "in 7 days"),
        ("2019-11-22T00:00:00+00:00", "21st Tripartite Environment Ministers Meeting (TEMM 21): "
                                      "tomorrow"),
    ]
    after = {(n["followup"], n["kind"]) for n in changed if n["sent"] > "2019-10-18"}
    assert ("temm-21", "chase") not in after
    assert ("temm-21", "overdue") not in after
    assert ("fine-dust-expert-group", "overdue") not in after  # cancelled on 1 December
    # the real ledger was not touched
    assert as_json(run(config_file, "notices", "--status", "sent", "--json")) == []
    assert as_json(run(config_file, "show", "temm-21", "--json"))["status"] == "expected"


def test_replay_table(config_file: Path) -> None:
    result = run(config_file, "replay", "--from", "2019-06-30", "--to", "2019-07-02")
    assert result.exit_code == 0, result.output
    assert "window-opens" in result.stdout


@pytest.mark.parametrize(
    ("outcomes", "says"),
    [
        ("[[outcome]]\non = 2019-10-18\nconfirm = \"temm-21\"\n", "confirm needs dates"),
        ("[[outcome]]\non = 2019-10-18\nmove = \"temm-21\"\ndone = \"x\"\n", "exactly one of"),
        ("[[outcome]]\nconfirm = \"temm-21\"\ndates = \"2019-11-23\"\n", "on = YYYY-MM-DD"),
        ("[[outcome]]\non = 2019-10-18\ncancel = \"temm-21\"\nwhen = \"2019\"\n",
         "cancel takes reason, not when"),
        ("[[outcome\n", "not valid TOML"),
        ("[[outcome]]\non = 2019-10-18\nconfirm = \"nope\"\ndates = \"2019-11-23\"\n",
         "no follow-up with the id 'nope'"),
    ],
)
def test_bad_outcomes(config_file: Path, tmp_path: Path, outcomes: str, says: str) -> None:
    path = tmp_path / "outcomes.toml"
    path.write_text(outcomes)
    refused(run(config_file, "replay", "--from", "2019-01-24", "--to", "2020-01-31",
                "--outcomes", str(path)), says)


def test_check_says_what_it_checked(config_file: Path) -> None:
    result = run(config_file, "check")
    assert result.exit_code == 0, result.output
    assert f"configuration: {config_file}: OK" in result.stdout
    assert "audience desk (Asia/Seoul, send time 09:00, digest '0 9 * * mon'): log" in \
        result.stdout
    assert "templates:" in result.stdout


@pytest.mark.parametrize(
    ("template", "change", "says"),
    [
        ("chase.txt", "{% if %}", "chase.txt:"),
        ("lead.html", "{{ followup.titel }}", "lead"),
        ("overdue.txt", "{{ deadline }}", "unknown variable 'deadline'"),
    ],
)
def test_template_errors_fail_check_and_daemon_start(config_file: Path, tmp_path: Path,
                                                     template: str, change: str,
                                                     says: str) -> None:
    folder = tmp_path / "my-templates"
    shutil.copytree(default_directory(), folder, ignore=shutil.ignore_patterns("*.py",
                                                                            "__pycache__"))
    (folder / template).write_text((folder / template).read_text() + change)
    config_file.write_text(config_file.read_text() + '[templates]\npath = "my-templates"\n')
    refused(run(config_file, "check"), says)
    refused(run(config_file, "daemon"), says)


def test_templates_that_passed_are_not_checked_again_until_they_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "my-templates"
    shutil.copytree(default_directory(), folder, ignore=shutil.ignore_patterns("*.py",
                                                                            "__pycache__"))
    checked: list[Path] = []

    class Counted(Templates):
        def check(self) -> list[str]:
            checked.append(self.directory)
            return super().check()

    ensure_valid(Counted(folder))
    ensure_valid(Counted(folder))
    assert len(checked) == 1  # the same files: their check stands
    (folder / "chase.txt").write_text((folder / "chase.txt").read_text() + "{% if %}")
    with pytest.raises(TemplateProblem, match=r"chase\.txt"):
        ensure_valid(Counted(folder))
    with pytest.raises(TemplateProblem, match=r"chase\.txt"):
        ensure_valid(Counted(folder))  # a failure is never remembered as a pass
    assert len(checked) == 3
    assert len(list((tmp_path / "cache" / "templates").glob("passed-*"))) == 1


def test_config_problems_stop_the_daemon_with_one_line(config_file: Path) -> None:
    config_file.write_text(config_file.read_text().replace(
        'digest = "0 9 * * mon"', 'digest = "mondays"\nchannels = ["pager"]'))
    result = run(config_file, "daemon")
    refused(result, "audiences.desk.digest: 'mondays' is not a cron expression")
    assert "audiences.desk.channels: no channel 'pager' is configured" in result.stderr


def test_a_missing_smtp_password_is_reported_before_start(config_file: Path) -> None:
    config_file.write_text(config_file.read_text() + '''
[channels.log]
[channels.email]
host = "127.0.0.1"
sender = "followup@example.org"
username = "followup"
password_env = "FOLLOWUP_TEST_NO_SUCH_PASSWORD"
''')
    refused(run(config_file, "check"), "FOLLOWUP_TEST_NO_SUCH_PASSWORD is not set")


def test_replay_needs_days_not_undated(config_file: Path) -> None:
    refused(run(config_file, "replay", "--from", "undated", "--to", "2019-12"),
            "'--from': 'undated' has no first day")
    refused(run(config_file, "replay", "--from", "2019-01", "--to", "undated"),
            "'--to': 'undated' has no last day")


# -- followup retry -------------------------------------------------------------------------

def give_up(config_file: Path, keys: list[str], *, error: str = "550 no such user",
            at: datetime | None = None, status: NoticeStatus = NoticeStatus.DEAD) -> None:
    """Make notices dead (or failed) as a daemon would have, at ``at``."""
    store = Store("sqlite:///register.db", base_dir=config_file.parent)
    at = at or datetime(2019, 10, 1, tzinfo=UTC)
    try:
        with store.transaction(write=True) as session:
            notices = Queue(session, at).by_keys(keys)
            session.execute(update(Notice).where(Notice.id.in_([n.id for n in notices]))
                            .values(status=NoticeStatus.SENDING, lease_owner="gone"))
        recorder = Recorder(store)
        for notice in notices:
            recorder.failed(notice.id, "gone", error, now=at,
                            retry_at=None if status is NoticeStatus.DEAD else at)
        recorder.release()
    finally:
        store.dispose()


def test_retry_makes_dead_notices_pending_again(config_file: Path) -> None:
    overdue = [n["key"] for n in as_json(run(config_file, "notices", "--json"))
               if n["kind"] == "overdue"]
    assert as_json(run(config_file, "retry", "--json")) == {"retried": [], "superseded": []}
    assert run(config_file, "retry").stdout == "No dead notices to retry.\n"
    give_up(config_file, overdue[:2], at=datetime(2019, 9, 1, tzinfo=UTC))
    give_up(config_file, overdue[2:], at=datetime(2019, 10, 1, tzinfo=UTC))

    # only those that died since a day, and only dead ones (not failed)
    only = as_json(run(config_file, "retry", "--since", "2019-09-15", "--json"))
    assert [n["key"] for n in only["retried"]] == overdue[2:]
    assert all(n["status"] == "dead" and n["last_error"] == "550 no such user"
               for n in only["retried"])
    listed = run(config_file, "retry")
    assert listed.exit_code == 0, listed.output
    assert "Pending again, sent at the daemon's next round (2):" in listed.stdout
    for key in overdue[:2]:
        assert f"  {key}\n    was dead: 550 no such user\n" in listed.stdout
    rows = {n["key"]: n for n in as_json(run(config_file, "notices", "--json"))}
    assert all(rows[key]["status"] == "pending" and rows[key]["attempts"] == 0
               and rows[key]["last_error"] is None for key in overdue)


def test_retry_by_key_and_status(config_file: Path) -> None:
    overdue = [n["key"] for n in as_json(run(config_file, "notices", "--json"))
               if n["kind"] == "overdue"]
    give_up(config_file, overdue[:1], status=NoticeStatus.FAILED, error="451 busy")
    refused(run(config_file, "retry", "--key", overdue[0]),
            f"the notice {overdue[0]!r} is failed, not dead: only those are retried")
    refused(run(config_file, "retry", "--key", "no/such/key"),
            "no notice has the key 'no/such/key': 'followup notices --json' shows the keys")
    done = as_json(run(config_file, "retry", "--status", "failed", "--key", overdue[0],
                       "--json"))
    assert [n["key"] for n in done["retried"]] == [overdue[0]]


def test_retry_supersedes_a_notice_its_follow_up_no_longer_plans(config_file: Path) -> None:
    [temm] = [n["key"] for n in as_json(run(config_file, "notices", "--json"))
              if n["kind"] == "overdue" and n["followup"] == "temm-21"]
    give_up(config_file, [temm])
    assert run(config_file, "done", "temm-21").exit_code == 0  # nothing left to remind of
    result = as_json(run(config_file, "retry", "--json"))
    assert result["retried"] == []
    assert [n["key"] for n in result["superseded"]] == [temm]
    [row] = [n for n in as_json(run(config_file, "notices", "--json")) if n["key"] == temm]
    assert row["status"] == "superseded"


REPORTED_2019 = Path(__file__).parents[1] / "replay" / "outcomes-2019.toml"


def test_a_year_as_it_happened_is_told_at_once_and_chased_quietly(config_file: Path) -> None:
    """The acceptance replay: 2019 with what really happened (tests/replay/)."""
    sent = as_json(run(config_file, "replay", "--from", "2019-01-24", "--to", "2019-12-31",
                       "--outcomes", str(REPORTED_2019), "--json"))
    # TEMM 21's dates are told the day they are known (15 October in Seoul), with what
    # moved with them, not nine days later in a 30-day lead
    told = [n for n in sent if n["kind"] == "change" and "TEMM 21) confirmed" in n["subject"]]
    assert [n["sent"][:10] for n in told] == ["2019-10-14"]  # 00:05 on the 15th in Seoul
    assert told[0]["subject"].endswith("2 follow-ups moved with it")
    # what rides on TEMM 21 waits on it, then gets leads on its derived days
    riders = {"ltp-report", "ministers-at-temm-21"}
    assert not [n for n in sent if n["followup"] in riders and n["kind"] != "lead"
                and n["sent"] < "2019-10-14"]
    assert {n["followup"] for n in sent if n["kind"] == "lead"} >= riders
    # chases are bounded, and no follow-up with no date is left unchased
    chases = Counter(n["followup"] for n in sent if n["kind"] in ("chase", "undated-chase"))
    assert chases["working-level-meetings"] <= 6  # open-ended: 14, 30, then 60 days apart
    assert max(chases.values()) <= 12
    for undated in ("forecast-exchange-launch", "clean-sky-expansion", "mining-soil-research",
                    "sustainable-policy-research"):
        assert chases[undated] >= 1, undated
    # nothing that contradicts what is known: no chase of a date already confirmed, nothing
    # about what is done but the news that it is
    assert not [n for n in sent if n["followup"] == "temm-21" and n["sent"] >= "2019-10-15"
                and n["kind"] in ("chase", "window-opens", "closing", "overdue")]
    assert not [n for n in sent if n["followup"] == "forecast-exchange-launch"
                and n["sent"] >= "2019-02-26"]


def test_replay_shows_the_outcomes_it_applies_in_its_stream(config_file: Path) -> None:
    rows = as_json(run(config_file, "replay", "--from", "2019-01-24", "--to", "2019-12-31",
                       "--outcomes", str(REPORTED_2019), "--json"))
    applied = [r for r in rows if r["kind"] == "outcome"]
    assert [(r["followup"], r["sent"][:10]) for r in applied] == [
        ("forecast-exchange-launch", "2019-02-25"), ("temm-21", "2019-10-14"),
        ("ltp-report", "2019-11-19"), ("temm-21", "2019-11-24"),
        ("ministers-at-temm-21", "2019-11-24")]  # midnight in Seoul
    assert applied[1]["subject"] == "followup confirm temm-21 --dates 2019-11-23..2019-11-24"
    assert applied[1]["where"].endswith("outcomes-2019.toml:13")
    # each before what it set off
    confirmed = rows.index(applied[1])
    assert rows[confirmed + 1]["kind"] == "change"
    table = run(config_file, "replay", "--from", "2019-10-01", "--to", "2019-10-31",
                "--outcomes", str(REPORTED_2019))
    assert table.exit_code == 0
    assert "outcome" in table.stdout and "KST" in table.stdout


def test_replay_outcomes_take_the_desk_commands(config_file: Path, tmp_path: Path) -> None:
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text('''
[[outcome]]
on = 2019-03-01
snooze = "jcec-24"
until = 2019-09-01
note = "China proposes dates after the summer"

[[outcome]]
on = 2019-03-02
note = "jcec-24"
text = "Beijing suggested November"

[[outcome]]
on = 2019-10-15
confirm = "temm-21"
dates = "2019-11-23..2019-11-24"
location = "Kitakyushu"

[[outcome]]
on = 2019-10-16
edit = "temm-21"
next_step = "Book the delegation's travel"
tags = "temm,ministers"
''')
    rows = as_json(run(config_file, "replay", "--from", "2019-01-24", "--to", "2019-12-31",
                       "--outcomes", str(outcomes), "--json"))
    jcec_chases = [r["sent"][:10] for r in rows
                   if r["followup"] == "jcec-24" and r["kind"] == "chase"]
    assert jcec_chases and min(jcec_chases) >= "2019-08-31"  # 09:00 in Seoul on 1 September
    told = [r["subject"] for r in rows if r["kind"] == "change"]
    assert any(s.endswith("confirmed: 23–24 November 2019, Kitakyushu; 2 follow-ups moved "
                          "with it") for s in told)


@pytest.mark.parametrize(
    ("outcome", "says"),
    [
        ('on = 2019-03-01\nconfirm = "nope"\ndates = "2019-03-05"',
         "outcomes.toml:3: followup confirm nope --dates 2019-03-05: "),
        ('on = 2019-03-01\nsnooze = "jcec-24"', "outcomes.toml:3: snooze needs until = "),
        ('on = 2019-03-01\nsnooze = "jcec-24"\nuntil = "soon"',
         "until = 'soon' is not a date"),
        ('on = 2019-03-01\nreopen = "jcec-24"', "is expected, not cancelled or done"),
        ('on = 2019-03-01\nnote = "jcec-24"\nwhen = "2019"', "note takes text, not when"),
    ],
)
def test_an_outcome_that_cannot_be_applied_is_named_by_its_line(
        config_file: Path, tmp_path: Path, outcome: str, says: str) -> None:
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text(f"# what happened\n\n[[outcome]]\n{outcome}\n")
    refused(run(config_file, "replay", "--from", "2019-01-24", "--to", "2019-12-31",
                "--outcomes", str(outcomes)), says)


def test_replay_can_start_from_the_bundled_release(config_file: Path) -> None:
    ok_ = run(config_file, "add", "my-own", "--title", "Something of our own", "--kind",
              "meeting", "--when", "2019-06")
    assert ok_.exit_code == 0, ok_.output
    mine = as_json(run(config_file, "replay", "--from", "2019-01-24", "--to", "2019-07-31",
                       "--json"))
    seeded = as_json(run(config_file, "replay", "--from", "2019-01-24", "--to",
                         "2019-07-31", "--seed", "--json"))
    assert "my-own" in {r["followup"] for r in mine}
    assert "my-own" not in {r["followup"] for r in seeded}
    assert {r["followup"] for r in seeded} >= {"temm-21", "jcec-24"}
