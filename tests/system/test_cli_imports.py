"""Help, the version and argument errors answer without loading what the commands use.

Each case runs the real ``followup`` entry point in a fresh interpreter and lists the heavy
modules it left in ``sys.modules``: the ORM, Alembic, Rich, icalendar, Jinja2 and the
place names. A command imports those itself, when it runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from scheduler.cli import cli

HEAVY = ("sqlalchemy", "alembic", "rich", "icalendar", "jinja2", "pygments", "apscheduler",
         "apprise", "prometheus_client", "flask", "waitress", "werkzeug")
HEAVY_OWN = ("events.places", "events.model", "events.store", "scheduler.app",
             "scheduler.config", "scheduler.views")

_PROBE = """
import json, sys
sys.argv = ["followup", *json.loads(sys.argv[1])]
from scheduler.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in {heavy} or m in {own})
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def probe(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    """Run ``followup ARGS`` in a new interpreter: its exit code and the heavy modules."""
    script = _PROBE.format(heavy=repr(set(HEAVY)), own=repr(set(HEAVY_OWN)))
    result = subprocess.run([sys.executable, "-c", script, json.dumps(args)],
                            capture_output=True, text=True, timeout=120,
                            env=env or {"PATH": "/usr/bin:/bin",
                                        "FOLLOWUP_CONFIG": "/nonexistent"})
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], report["heavy"]


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, as the words that name it."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


def test_every_command_is_probed() -> None:
    """The list below is made from the command tree, so a new command is probed too."""
    names = {path[0] for path in command_paths()}
    assert {"add", "list", "import", "daemon", "feeds", "ingest", "export"} <= names
    assert ("feeds", "rotate") in command_paths()


@pytest.mark.parametrize("args", [("--help",), ("-h",), ("--version",)])
def test_top_level_loads_nothing_heavy(args: tuple[str, ...]) -> None:
    assert probe(*args) == (0, [])


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_each_command_help_loads_nothing_heavy(path: tuple[str, ...]) -> None:
    assert probe(*path, "--help") == (0, [])


@pytest.mark.parametrize(
    "args",
    [
        ("no-such-command",),
        ("--no-such-option",),
        ("list", "--kind", "seminar"),
        ("list", "--from", "2019-13"),
        ("add", "x", "--title", "T", "--kind", "meeting", "--when", "soon"),
        ("add", "x", "--kind", "meeting"),
        ("show",),
        ("confirm", "temm-21"),
        ("notices", "--status", "lost"),
        ("import",),
        ("retry", "--status", "sent"),
    ],
    ids=" ".join,
)
def test_argument_errors_load_nothing_heavy(args: tuple[str, ...]) -> None:
    assert probe(*args) == (2, [])


def test_a_command_that_runs_does_load_the_store() -> None:
    """The probe sees imports at all: a command that opens the register loads the ORM."""
    _, heavy = probe("check")
    assert "sqlalchemy" in heavy
    assert "events.store" in heavy


def test_commands_load_what_they_use_only(tmp_path: Path) -> None:
    """Writing a feed to a file needs no HTTP server, and a digest's schedule found good
    once is not read by APScheduler again: every command that reads the config paid for it."""
    config = tmp_path / "config.toml"
    shutil.copyfile(Path(__file__).parents[2] / "config.toml", config)
    env = {"PATH": "/usr/bin:/bin", "FOLLOWUP_CONFIG": str(config),
           "FOLLOWUP_CACHE_DIR": str(tmp_path / "cache")}
    code, first = probe("init", env=env)
    assert code == 0 and "apscheduler" in first  # the digest of config.toml, checked
    code, heavy = probe("export", "--out", str(tmp_path / "all.ics"), env=env)
    assert code == 0
    assert {"sqlalchemy", "icalendar"} <= set(heavy)
    assert not {"flask", "waitress", "werkzeug", "apscheduler"} & set(heavy)
    code, heavy = probe("list", env=env)
    assert code == 0 and "apscheduler" not in heavy
