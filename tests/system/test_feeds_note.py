"""`followup feeds` as a real process: a note on standard error when its addresses reach
only this machine, never in what --json prints."""

from __future__ import annotations

import json
from pathlib import Path

from tests.system.daemons import run_cli, write_config


def test_local_addresses_are_said_to_be_local_on_stderr(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for args in (("feeds",), ("feeds", "--json")):
        result = run_cli(config, *args)
        assert result.stderr == (
            "note: these addresses reach only this machine (feeds.host 127.0.0.1, no "
            "base_url); Google Calendar and Outlook cannot fetch them: serve the feeds where "
            "they can and set [feeds] base_url to that address in config.toml\n")
    listed = json.loads(result.stdout)
    assert {row["audience"] for row in listed} == {"desk", "all"}
    assert all(row["url"].startswith("http://127.0.0.1:8470/feeds/") for row in listed)


def test_with_a_public_base_url_nothing_is_said(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra='[feeds]\nbase_url = "https://feeds.example.org"\n')
    result = run_cli(config, "feeds")
    assert result.stderr == ""
    assert "https://feeds.example.org/feeds/" in result.stdout
    assert "webcal://feeds.example.org/feeds/" in result.stdout
