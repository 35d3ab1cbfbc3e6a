"""The configuration the feed, page and editor tests serve: two audiences, one of them chosen
by a tag, and the feed server on any free port; and the command line run against it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from scheduler.cli import cli

FEED_CONFIG = ('[database]\nurl = "sqlite:///register.db"\n'
               '[audiences.desk]\ntimezone = "Asia/Seoul"\n'
               '[audiences.temm-team]\ntags = ["temm"]\n'
               '[feeds]\ndomain = "followup.example.org"\nport = 0\n')


def feed_config(folder: Path, extra: str = "") -> Path:
    """``config.toml`` in ``folder``: :data:`FEED_CONFIG` and then ``extra``."""
    path = folder / "config.toml"
    path.write_text(FEED_CONFIG + extra)
    return path


def run(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"FOLLOWUP_CONFIG": str(config_file)})
