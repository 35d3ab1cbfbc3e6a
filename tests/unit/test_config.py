from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest

from events.errors import ConfigError
from events.model import Kind
from scheduler.config import (
    Config,
    DatabaseConfig,
    EmailChannelConfig,
    LogChannelConfig,
    load_config,
    parse_config,
)


def test_defaults() -> None:
    config = parse_config({})
    assert config.database == DatabaseConfig()
    assert config.timezone == "Asia/Seoul"
    assert config.warnings == ()


def test_values_are_read() -> None:
    config = parse_config(
        {
            "database": {
                "url": "postgresql://postgres@127.0.0.1/test",
                "busy_timeout": 2,
                "seed": False,
            },
            "register": {"timezone": "Europe/Paris"},
        }
    )
    assert config.database == DatabaseConfig("postgresql://postgres@127.0.0.1/test", 2.0, False)
    assert config.timezone == "Europe/Paris"


def test_every_problem_is_reported_together_with_its_key() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {
                "database": {"url": 5, "busy_timeout": "soon", "seed": "yes"},
                "register": {"timezone": "Mars/Olympus"},
            }
        )
    problems = raised.value.problems
    assert problems == (
        "database.url: expected a string, got 5",
        "database.busy_timeout: expected a number, got 'soon'",
        "database.seed: expected true or false, got 'yes'",
        "register.timezone: unknown time zone 'Mars/Olympus': use an IANA name such as "
        "Asia/Seoul or Europe/Paris",
    )
    assert str(raised.value).count("\n") == 0  # one line, however many problems


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"database": {"url": "mysql://root@localhost/x"}}, "unsupported database URL"),
        ({"database": {"url": "not a url"}}, "is not a database URL"),
        ({"database": {"url": "sqlite://"}}, "names no database file"),
        ({"database": {"busy_timeout": 0}}, "database.busy_timeout: must be more than 0"),
        ({"database": {"busy_timeout": True}}, "expected a number, got True"),
        ({"database": "sqlite:///x.db"}, "database: expected a table"),
        ({"delivery": {"backoff_seconds": 60, "backoff_cap_seconds": 30}},
         r"delivery.backoff_cap_seconds: 30 is below backoff_seconds \(60\); the cap is the "
         "longest wait"),
        ({"delivery": {"lease_seconds": 20, "heartbeat_seconds": 10}},
         r"delivery.lease_seconds: 20 is less than three heartbeats \(10 s each\)"),
        ({"delivery": {"lease_seconds": 10},
          "channels": {"email": {"host": "h", "sender": "s@h", "timeout": 10}}},
         r"delivery.lease_seconds: 10 is not longer than channels.email.timeout \(10\): .*"
         "make the lease at least 20"),
        ({"delivery": {"heartbeat_seconds": 0}}, "delivery.heartbeat_seconds: must be more "
         "than 0"),
    ],
)
def test_bad_values(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_config(data)


def test_unknown_keys_are_warned_about_not_fatal() -> None:
    config = parse_config(
        {"database": {"ulr": "x"}, "reminders": {"a": 1}}, path=Path("/etc/followup.toml")
    )
    assert config.warnings == (
        "/etc/followup.toml: unknown key 'database.ulr' is ignored",
        "/etc/followup.toml: unknown key 'reminders.a' is ignored",
    )


def test_environment_overrides_the_database_url() -> None:
    config = parse_config(
        {"database": {"url": "sqlite:///a.db"}}, env={"FOLLOWUP_DATABASE_URL": "sqlite:///b.db"}
    )
    assert config.database.url == "sqlite:///b.db"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_environment_variable_is_a_mistake_not_a_default(
        empty: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FOLLOWUP_DATABASE_URL is set but empty: unset it"):
        parse_config({"database": {"url": "sqlite:///a.db"}},
                     env={"FOLLOWUP_DATABASE_URL": empty})
    with pytest.raises(ConfigError, match="FOLLOWUP_CONFIG: set but empty: unset it"):
        load_config(env={"FOLLOWUP_CONFIG": empty})


def test_file_named_by_environment(tmp_path: Path) -> None:
    path = tmp_path / "office.toml"
    path.write_text('[register]\ntimezone = "Europe/Paris"\n')
    config = load_config(env={"FOLLOWUP_CONFIG": str(path)})
    assert config.path == path
    assert config.timezone == "Europe/Paris"
    assert config.base_dir == tmp_path


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file \\(named by FOLLOWUP_CONFIG\\)"):
        load_config(env={"FOLLOWUP_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(ConfigError, match="no such file \\(named by --config\\)"):
        load_config(tmp_path / "missing.toml", env={})


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[database\nurl = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, env={})


def test_without_any_file_the_defaults_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(env={}) == Config()


def test_the_shipped_config_is_valid_and_complete() -> None:
    shipped = Path(__file__).parents[2] / "config.toml"
    config = load_config(shipped, env={})
    assert config.warnings == ()
    assert config.database.url == "sqlite:///followup.db"


def test_reminder_policy_audiences_and_channels() -> None:
    config = parse_config({
        "reminders": {"lead_days": [7, 30, 1, 7], "chase_every_days": 0,
                      "open_chase_days": [20, 10, 40], "open_overdue_days": 0,
                      "together_days": 3, "change_quiet_minutes": 0.5,
                      "kind": {"report": {"lead_days": [14]}},
                      "followup": {"temm-21": {"closing_days": 30}}},
        "audiences": {
            "desk": {"timezone": "Europe/Paris", "send_time": "08:30", "channels": ["log"],
                     "digest": "0 9 * * mon"},
            "env-team": {"channels": ["email"], "recipients": ["a@example.org"],
                         "tags": ["fine-dust"], "kinds": ["report"]},
        },
        "channels": {"log": {"format": "json", "path": "notices.log"},
                     "email": {"host": "smtp.example.org", "sender": "f@example.org",
                               "security": "tls", "username": "f",
                               "password_env": "SMTP_PASSWORD"}},
        "delivery": {"grace_hours": 6, "max_attempts": 3},
    })
    assert config.plan.default.lead_days == (30, 7, 1)
    assert config.plan.default.chase_every_days == 0
    assert (config.plan.default.open_chase_days, config.plan.default.open_overdue_days,
            config.plan.default.together_days) == ((20, 10, 40), 0, 3)
    assert config.plan.change_quiet == timedelta(seconds=30)
    assert dict(config.plan.by_kind) == {Kind.REPORT: {"lead_days": (14,)}}
    assert dict(config.plan.by_followup) == {"temm-21": {"closing_days": 30}}
    desk, team = config.plan.audiences
    assert (desk.name, desk.timezone, desk.send_time, desk.digest) == (
        "desk", "Europe/Paris", time(8, 30), "0 9 * * mon")
    assert (team.timezone, team.tags, team.kinds) == ("Asia/Seoul", frozenset({"fine-dust"}),
                                                      frozenset({Kind.REPORT}))
    assert config.channels["email"] == EmailChannelConfig(
        host="smtp.example.org", sender="f@example.org", port=465, security="tls",
        username="f", password_env="SMTP_PASSWORD")
    assert config.channels["log"] == LogChannelConfig(path="notices.log", format="json")
    assert (config.delivery.grace_hours, config.delivery.max_attempts) == (6.0, 3)


def test_reminder_problems_are_reported_together() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({
            "reminders": {"lead_days": [7, -1], "kind": {"party": {"lead_days": [1]}},
                          "open_chase_days": [14, 0], "together_days": -2},
            "audiences": {
                "desk": {"channels": ["log", "sms"], "send_time": "9am",
                         "digest": "every monday", "kinds": ["party"]},
                "mail": {"channels": ["email"]},
            },
            "channels": {"email": {"host": "", "password": "hunter2", "sender": "x@y"},
                         "log": {"format": "xml"}},
        })
    problems = "\n".join(raised.value.problems)
    for expected in [
        "reminders.lead_days: days before the start are 0 or more",
        "reminders.open_chase_days: days between chases are 1 or more",
        "reminders.together_days: must be 0 (off) or more",
        "reminders.kind.party: unknown kind",
        "audiences.desk.channels: no channel 'sms' is configured",
        "audiences.desk.send_time: '9am' is not a time of day",
        "audiences.desk.digest: 'every monday' is not a cron expression",
        "audiences.desk.kinds: unknown kind 'party'",
        "audiences.mail.recipients: the email channel needs at least one recipient",
        "channels.email.host: required for email",
        "channels.email.password: a password does not belong in config.toml",
        'channels.log.format: use "text" or "json", not \'xml\'',
    ]:
        assert expected in problems


def test_feed_windows_are_a_span_unless_edges_are_chosen() -> None:
    assert parse_config({}).feeds.settings.windows == "span"
    edges = parse_config({"feeds": {"windows": "edges"}})
    assert edges.feeds.settings.windows == "edges"
    assert edges.warnings == ()


@pytest.mark.parametrize("value", ["weeks", "Edges", ""])
def test_other_feed_windows_are_refused_with_the_choices(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"feeds": {"windows": value}})
    assert raised.value.problems == (
        f"feeds.windows: {value!r} is not a choice: use \"span\" (one entry over the whole "
        "window) or \"edges\" (an entry on its first day and one on its last)",)


def test_the_shipped_config_documents_the_feed_windows() -> None:
    shipped = (Path(__file__).parents[2] / "config.toml").read_text()
    assert 'windows = "span"' in shipped
    assert load_config(Path(__file__).parents[2] / "config.toml",
                       env={}).feeds.settings.windows == "span"


def test_a_log_file_in_a_missing_folder_is_refused_before_start(tmp_path: Path) -> None:
    from scheduler.channels import open_channels

    path = tmp_path / "config.toml"
    path.write_text('[channels.log]\npath = "no-such-folder/notices.log"\n')
    with pytest.raises(ConfigError, match=(
            f"channels.log.path: the folder {tmp_path / 'no-such-folder'} does not exist: "
            "create it")):
        open_channels(load_config(path, env={}), {})
    (tmp_path / "no-such-folder").mkdir()
    assert set(open_channels(load_config(path, env={}), {})) == {"log"}


def test_a_good_digest_schedule_is_checked_once_a_bad_one_every_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(tmp_path))

    def digest(expression: str) -> dict[str, Any]:
        return {"audiences": {"desk": {"channels": ["log"], "digest": expression}}}

    parse_config(digest("0 9 * * mon"))
    remembered = list((tmp_path / "cron").iterdir())
    assert len(remembered) == 1
    parse_config(digest("0 9 * * mon"))  # found good before: not checked again
    assert list((tmp_path / "cron").iterdir()) == remembered
    for _ in range(2):
        with pytest.raises(ConfigError, match="'0 9 \\* \\* funday' is not a cron expression"):
            parse_config(digest("0 9 * * funday"))
    assert list((tmp_path / "cron").iterdir()) == remembered
    parse_config(digest("30 8 * * *"))
    assert len(list((tmp_path / "cron").iterdir())) == 2


def test_a_read_only_cache_still_checks_every_schedule(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("FOLLOWUP_CACHE_DIR", str(blocked))
    config = parse_config({"audiences": {"desk": {"channels": ["log"],
                                                  "digest": "0 9 * * mon"}}})
    assert config.plan.audiences[0].digest == "0 9 * * mon"
    with pytest.raises(ConfigError, match="is not a cron expression"):
        parse_config({"audiences": {"desk": {"channels": ["log"], "digest": "every day"}}})
