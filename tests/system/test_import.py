"""followup import and list --json through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import cli

Run = Callable[..., Result]

#: What a register keeps of its own and an import does not carry over.
OWN = ("revision", "updated_at")

HEADER = "id,title,kind,when,location,anchor,tags,next_step\n"

#: Next year: windows within the planning horizon, whenever the tests run.
Y = date.today().year + 1


def registers(tmp_path: Path, url: str) -> Callable[[str, bool], Run]:
    """A runner per register: ``name`` picks a database of its own beside the others."""

    def register(name: str, seed: bool) -> Run:
        config = tmp_path / f"{name}.toml"
        if url.startswith("sqlite"):
            database = f"sqlite:///{tmp_path / (name + '.db')}"
        else:  # a schema of its own: the search_path names it
            database = url.replace("search_path%3D", f"search_path%3D{name}_")
            database = database.replace("search_path=", f"search_path={name}_")
        config.write_text(f'[database]\nurl = "{database}"\nseed = {str(seed).lower()}\n'
                          '[audiences.desk]\ntimezone = "Asia/Seoul"\ndigest = ""\n')

        def invoke(*args: str, input: str | bytes | None = None) -> Result:
            return CliRunner().invoke(cli, list(args), input=input,
                                      env={"FOLLOWUP_CONFIG": str(config),
                                           "FOLLOWUP_DATABASE_URL": database})

        return invoke

    return register


@pytest.fixture
def register(tmp_path: Path, any_database_url: str) -> Iterator[Callable[[str, bool], Run]]:
    if any_database_url.startswith("sqlite"):
        yield registers(tmp_path, any_database_url)
        return
    with _schemas(any_database_url, ("a_", "b_")):
        yield registers(tmp_path, any_database_url)


@contextmanager
def _schemas(url: str, prefixes: tuple[str, ...]) -> Iterator[None]:
    """The PostgreSQL registers live in schemas named after the test's own."""
    from sqlalchemy import create_engine, make_url, text

    from events.store import database_url

    parsed = make_url(url)
    options = parsed.query["options"]
    schema = (options if isinstance(options, str) else options[0]).split("search_path=")[1]
    engine = create_engine(database_url(parsed.set(query={}).render_as_string(
        hide_password=False)))
    names = [f"{prefix}{schema}" for prefix in prefixes]
    with engine.begin() as connection:
        for name in names:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield
    finally:
        with engine.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def listing(run: Run) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k not in OWN}
            for f in json.loads(ok(run("list", "--json")).stdout)]


def pending(run: Run) -> set[tuple[str, str]]:
    """The follow-ups' own pending notices (change notices tell of the commands that made a
    register, not of the register itself, and an import is not news)."""
    notices = json.loads(ok(run("notices", "--status", "pending", "--json")).stdout)
    return {(n["key"], n["due"][:10]) for n in notices if n["kind"] != "change"}


def test_a_register_round_trips_through_list_json(register: Callable[[str, bool], Run],
                                                 tmp_path: Path) -> None:
    first = register("a", True)
    ok(first("confirm", "temm-21", "--on", "2019-11-23..2019-11-24"))
    ok(first("confirm", "jcec-24", "--on", "2019-12-10", "--at", "10:00",
             "--tz", "Asia/Shanghai"))
    ok(first("cancel", "fine-dust-expert-group", "--reason", "merged"))
    ok(first("done", "kma-visit"))
    ok(first("add", "seminar", "--title", "Joint seminar", "--kind", "meeting",
             "--anchor", "jcec-24", "--margin", "2", "--tag", "env", "--party", "ROK"))
    exported = tmp_path / "register.json"
    exported.write_text(ok(first("list", "--json")).stdout)

    second = register("b", False)
    result = ok(second("import", str(exported)))
    assert result.stdout == f"Imported 12 follow-ups from {exported}.\n"
    assert listing(second) == listing(first)
    # Notices planned as the changes planned them, in the first register.
    assert pending(second) == pending(first)
    again = register("b", False)("import", str(exported))
    assert again.exit_code == 2
    assert "the register holds 'forecast-exchange-launch' already" in again.stderr


def test_csv_rows_become_what_add_makes_of_them(register: Callable[[str, bool], Run],
                                                tmp_path: Path) -> None:
    rows = [
        f"temm-21,TEMM 21,meeting,{Y}-H2,Japan,,environment,Ask Japan",
        "ltp,LTP report,report,,,temm-21,\"env, air\",",
        "side,Side event,meeting,,,ltp,,",
        f"visit,Visit,visit,{Y}-03-10..{Y}-03-12,Seoul,,,",
        f"open,Open talks,other,{Y}-02..,,,,",
        "undated,Some day,project,undated,,,,",
    ]
    (tmp_path / "rows.csv").write_text(HEADER + "\n".join(rows) + "\n")
    imported = register("a", False)
    ok(imported("import", str(tmp_path / "rows.csv")))
    added = register("b", False)
    for args in (
        ("temm-21", "--title", "TEMM 21", "--kind", "meeting", "--when", f"{Y}-H2",
         "--location", "Japan", "--tag", "environment", "--next-step", "Ask Japan"),
        ("ltp", "--title", "LTP report", "--kind", "report", "--anchor", "temm-21",
         "--tag", "env", "--tag", "air"),
        ("side", "--title", "Side event", "--kind", "meeting", "--anchor", "ltp"),
        ("visit", "--title", "Visit", "--kind", "visit", "--when", f"{Y}-03-10..{Y}-03-12",
         "--location", "Seoul"),
        ("open", "--title", "Open talks", "--kind", "other", "--when", f"{Y}-02.."),
        ("undated", "--title", "Some day", "--kind", "project", "--when", "undated"),
    ):
        ok(added("add", *args))
    assert listing(imported) == listing(added)
    assert pending(imported) == pending(added)
    assert len(pending(imported)) > 20
    history = json.loads(ok(imported("history", "ltp", "--json")).stdout)
    assert [(h["field"], h["new"], h["why"]) for h in history] == [
        ("created", f"report {Y}-H2",
         f"followup import {tmp_path / 'rows.csv'}")]


def test_bad_rows_are_all_reported_and_nothing_is_stored(
        register: Callable[[str, bool], Run], tmp_path: Path) -> None:
    rows = [
        "a,A,meeting,2030,,,,",
        "b,B,seminar,2030,,,,",
        "a,A again,meeting,2030,,,,",
        "c,C,meeting,,,nowhere,,",
        "d,D,meeting,2030-13,,,,",
        "temm-21,TEMM,meeting,2030,,,,",
    ]
    (tmp_path / "rows.csv").write_text(HEADER + "\n".join(rows) + "\n")
    run = register("a", True)
    before = listing(run)
    result = run("import", str(tmp_path / "rows.csv"))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == (f"followup: {tmp_path / 'rows.csv'}: 5 problems, nothing imported; "
                        "fix them and import again")
    assert [line.split(": ", 1)[0] for line in lines[1:]] == [
        f"{tmp_path / 'rows.csv'}:{n}" for n in (3, 4, 5, 6, 7)]
    assert "Traceback" not in result.output
    assert listing(run) == before


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (b"id,title\n", "the header lacks the columns 'kind', 'when'"),
        (HEADER.encode() + b"x,Caf\xe9,meeting,2030,,,,\n", ":2: not UTF-8 text"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused(register: Callable[[str, bool], Run],
                                               tmp_path: Path, content: bytes,
                                               says: str) -> None:
    (tmp_path / "rows.csv").write_bytes(content)
    run = register("a", False)
    result = run("import", str(tmp_path / "rows.csv"))
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert listing(run) == []


def test_a_missing_file_is_one_line(register: Callable[[str, bool], Run],
                                    tmp_path: Path) -> None:
    result = register("a", False)("import", str(tmp_path / "none.csv"))
    assert result.exit_code == 2
    assert result.stderr == f"followup: cannot read {tmp_path / 'none.csv'}: " \
                            "No such file or directory\n"


def test_import_reads_standard_input_and_dry_run_stores_nothing(
        register: Callable[[str, bool], Run]) -> None:
    run = register("a", False)
    rows = HEADER + "x,X,meeting,2030,,,,\n"
    checked = ok(run("import", "-", "--dry-run", input=rows))
    assert "all 1 follow-ups are good" in checked.stdout
    assert listing(run) == []
    assert json.loads(ok(run("import", "-", "--json", input=rows)).stdout) == {
        "file": "standard input", "checked": 1, "imported": 1}
    assert [f["id"] for f in listing(run)] == ["x"]


def test_list_json_is_written_as_one_json_dump_would_write_it(
        register: Callable[[str, bool], Run]) -> None:
    run = register("a", True)
    out = ok(run("list", "--json")).stdout
    assert out == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"
    assert len(json.loads(out)) == 11
    assert ok(run("list", "--json", "--kind", "deadline")).stdout == "[]\n"
