"""Every listing read in an 80-column terminal and through a pipe, on the seed register.

Through the real command line: Click's runner with COLUMNS=80, and the installed command
started with its output piped (no terminal, no COLUMNS). Each listing must fit the width,
show every id whole, and say the zone of every time it shows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from sqlalchemy import select, update

from events.model import Notice, NoticeStatus
from events.store import Store
from scheduler.cli import cli

ROOT = Path(__file__).parents[2]
OUTCOMES = ROOT / "events" / "data" / "outcomes-2019.toml"
RELEASE = ROOT / "tests" / "corpus" / "05_ecns_cop15_two_parts.txt"

Run = Callable[..., str]

# A time of day: "09:00", "10:00–17:00", "2019-11-23T10:00:00"; what must follow it is a zone.
# (An offset such as the "+09:00" of "10:00:00+09:00" is not a time of its own.)
TIME = re.compile(r"(?<![\d:+-])\d{2}:\d{2}(?::\d{2})?(?:–\d{2}:\d{2})?(?![\d:])")
ZONE = re.compile(r"Z(?![A-Za-z])|[+-]\d{2}(?::?\d{2})?(?!\d)"
                  r"|\s+(?:[A-Z]{2,5}|[+-]\d{2,4}|[A-Za-z_]+/[A-Za-z_]+)(?![\w/])")
# The command a change was made with, as typed: its times are what the person wrote.
TYPED = re.compile(r"--(?:at|until)\s*$")


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed, TEMM 21 confirmed with its hours (so a timed schedule and derived changes
    show), a note, one notice sent and one failed."""
    folder = tmp_path_factory.mktemp("narrow")
    config = folder / "config.toml"
    config.write_text('[database]\nurl = "sqlite:///register.db"\n'
                      '[register]\ntimezone = "Asia/Seoul"\n'
                      '[audiences.desk]\ntimezone = "Asia/Seoul"\ndigest = "0 9 * * mon"\n')
    env = {"FOLLOWUP_CONFIG": str(config)}
    for args in (["init"],
                 ["confirm", "temm-21", "--on", "2019-11-23..2019-11-24", "--at", "10:00",
                  "--until", "17:00", "--location", "Kitakyushu, Japan"],
                 ["note", "jcec-24", "Beijing suggested early November by phone"]):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
    store = Store("sqlite:///register.db", base_dir=folder)
    try:
        with store.transaction(write=True) as session:
            ids = session.scalars(select(Notice.id).order_by(Notice.id).limit(2)).all()
            at = datetime(2019, 11, 20, 0, 30, tzinfo=UTC)
            session.execute(update(Notice).where(Notice.id == ids[0])
                            .values(status=NoticeStatus.SENT, sent_at=at))
            session.execute(update(Notice).where(Notice.id == ids[1])
                            .values(status=NoticeStatus.FAILED, attempts=2,
                                    last_error="smtp.example.org refused the connection"))
    finally:
        store.dispose()
    return config


@pytest.fixture
def run(register: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A command at 80 columns, its standard output."""
    monkeypatch.delenv("FOLLOWUP_DATABASE_URL", raising=False)

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args),
                                    env={"FOLLOWUP_CONFIG": str(register), "COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


def piped(register: Path, *args: str) -> str:
    """The command as a shell pipeline runs it: stdout a pipe, no COLUMNS."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "FOLLOWUP_DATABASE_URL")}
    env["FOLLOWUP_CONFIG"] = str(register)
    done = subprocess.run([sys.executable, "-c", "from scheduler.cli import main; main()",
                           *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def as_json(run: Run, *args: str) -> Any:
    return json.loads(run(*args, "--json"))


def readable(out: str, ids: Iterable[str], width: int = 80) -> None:
    """Fits the width, every id whole, every time with its zone."""
    lines = out.splitlines()
    assert lines, "nothing printed"
    too_long = [line for line in lines if cell_len(line) > width]
    assert not too_long, "\n".join(too_long)
    for followup_id in set(ids) - {""}:
        whole = re.compile(rf"(?<![\w-]){re.escape(followup_id)}(?![\w-])")
        assert whole.search(out), f"{followup_id!r} is not shown whole:\n{out}"
    for before, line in zip(["", *lines], lines, strict=False):
        for time in TIME.finditer(line):
            # A command wrapped after "--at" leaves its time at the start of the next line.
            if TYPED.search(f"{before.rstrip()} {line[: time.start()].strip()}"):
                continue
            assert ZONE.match(line, time.end()), f"a time with no zone: {line!r}"


def seed_ids(run: Run) -> list[str]:
    return [f["id"] for f in as_json(run, "list")]


# -- list ----------------------------------------------------------------------------------


def test_list_is_compact_at_80_columns(run: Run) -> None:
    out = run("list")
    ids = seed_ids(run)
    readable(out, ids)
    lines = out.splitlines()
    assert len(lines) <= 2 + 3 * len(ids), out  # a header, then at most 3 lines each
    starts = [i for i, line in enumerate(lines) if line.split(" ", 1)[0] in ids]
    assert len(starts) == len(ids)
    for first, after in zip(starts, [*starts[1:], len(lines)], strict=True):
        assert after - first <= 3, "\n".join(lines[first:after])
    # Each line names its follow-up and says its window and status; the title is under it.
    temm = next(line for line in lines if line.startswith("temm-21 "))
    assert "2019-11-23..2019-11-24" in temm and "scheduled" in temm
    assert "10:00–17:00 KST" in out
    assert "21st Tripartite Environment Ministers Meeting (TEMM 21)" in out
    assert "tied to temm-21 ±7d" in out
    # The sentence is what --wide is for.
    assert "The two sides agreed" not in out


def test_list_wide_shows_every_sentence_whole(run: Run) -> None:
    out = run("list", "--wide")
    readable(out, seed_ids(run))
    # The first column's text, read down the table.
    flat = " ".join(" ".join(line.split("│")[1].split()) for line in out.splitlines()
                    if line.startswith("│"))
    sentences = [f["sentence"] for f in as_json(run, "list") if f["sentence"]]
    assert sentences
    for sentence in sentences:
        assert " ".join(sentence.split()) in flat


def test_list_piped_is_the_compact_one(register: Path, run: Run) -> None:
    out = piped(register, "list")
    readable(out, seed_ids(run))
    assert len(out.splitlines()) <= 2 + 3 * len(seed_ids(run))
    assert "─┼─" not in out and "│" not in out


# -- show, history, changes ----------------------------------------------------------------


@pytest.mark.parametrize("wide", [(), ("--wide",)])
def test_show_and_history(run: Run, wide: tuple[str, ...]) -> None:
    for followup_id in ("temm-21", "jcec-24", "ministers-at-temm-21"):
        shown = run("show", followup_id, *wide)
        readable(shown, [followup_id])
        readable(run("history", followup_id, *wide), [])
    shown = run("show", "jcec-24", *wide)
    assert "Beijing suggested early November by phone" in shown
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} KST: Beijing", shown)
    history = run("history", "temm-21", *wide)
    assert re.search(r"\d{2}:\d{2} KST", history)  # when each change was made, with the zone


def test_a_command_says_what_it_changed_in_80_columns(register: Path, tmp_path: Path) -> None:
    copy = tmp_path / "config.toml"
    copy.write_text(register.read_text().replace(
        "sqlite:///register.db", f"sqlite:///{register.parent / 'register.db'}"))
    backup = (register.parent / "register.db").read_bytes()
    try:
        result = CliRunner().invoke(cli, ["confirm", "jcec-24", "--on", "2019-12-10", "--at",
                                          "10:00", "--tz", "Asia/Shanghai"],
                                    env={"FOLLOWUP_CONFIG": str(copy), "COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        readable(result.stdout, ["jcec-24", "fine-dust-expert-group"])
        assert "derived from jcec-24" in result.stdout
    finally:
        (register.parent / "register.db").write_bytes(backup)


# -- notices and replay --------------------------------------------------------------------


def test_notices(register: Path, run: Run) -> None:
    notices = as_json(run, "notices")
    ids = [n["followup"] for n in notices if n["followup"]]
    assert ids
    out = run("notices")
    readable(out, ids)
    assert "smtp.example.org refused the connection" in out
    assert "failed ×2" in out
    assert "sent 2019-11-20 09:30 KST" in out
    wide = run("notices", "--wide")
    readable(wide, ids + [n["key"] for n in notices])  # the keys 'retry --key' takes
    readable(piped(register, "notices"), ids)


@pytest.mark.parametrize("wide", [(), ("--wide",)])
def test_replay_keeps_its_subjects_readable(run: Run, wide: tuple[str, ...]) -> None:
    args = ("replay", "--from", "2019-01-20", "--to", "2019-12-31", "--seed",
            "--outcomes", str(OUTCOMES))
    rows = as_json(run, *args)
    ids = [r["followup"] for r in rows if r["followup"]]
    out = run(*args, *wide)
    readable(out, ids)
    # Each subject on a line of its own, as wide as the terminal less an indent.
    flat = " ".join(out.split())
    for row in rows:
        assert " ".join(row["subject"].split()) in flat, row["subject"]
    subject_lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert max(len(line.strip()) for line in subject_lines) >= 60


def test_replay_piped(register: Path, run: Run) -> None:
    args = ("replay", "--from", "2019-11-01", "--to", "2019-12-31", "--seed")
    ids = [r["followup"] for r in as_json(run, *args) if r["followup"]]
    readable(piped(register, *args), ids)


def test_replay_at_a_width_for_its_columns(register: Path) -> None:
    """From 120 columns a row is a line, the subject in a column of at least 20."""
    result = CliRunner().invoke(cli, ["replay", "--from", "2019-01-20", "--to", "2019-03-01",
                                      "--seed"],
                                env={"FOLLOWUP_CONFIG": str(register), "COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "Subject" in line)
    start = header.index("Subject")
    end = header.index("┃", start)
    assert end - start >= 20, header
    readable(result.stdout, ["kma-visit", "working-level-meetings"], width=120)


# -- ingest, feeds -------------------------------------------------------------------------


@pytest.mark.parametrize("wide", [(), ("--wide",)])
def test_ingest_dry_run(run: Run, wide: tuple[str, ...]) -> None:
    args = ("ingest", str(RELEASE), "--published", "2021-10-01", "--dry-run")
    proposals = as_json(run, *args)
    keys = [p["key"] for p in proposals] + [p["anchor"] for p in proposals if p["anchor"]]
    assert max(len(k) for k in keys) > 30  # long keys, as some releases give
    out = run(*args, *wide)
    readable(out, keys)
    flat = " ".join(out.split())
    sentence = " ".join(proposals[0]["sentence"].split())
    assert (sentence in flat) == bool(wide)


def test_feeds(register: Path, run: Run) -> None:
    rows = as_json(run, "feeds")
    readable(run("feeds"), [r["url"] for r in rows] + [r["page"] for r in rows])
    editors = as_json(run, "feeds", "--editors")
    readable(run("feeds", "--editors"), [r["editor"] for r in editors])
