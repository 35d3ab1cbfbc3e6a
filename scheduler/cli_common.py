"""What every followup command shares: the configured app, the reason kept in history,
JSON output, and the date-window parameter type.

The command modules import this one and little else at the top, so that ``--help`` and a
mistyped argument answer at once: the ORM, Alembic, Rich and the configuration are imported
inside the commands that use them (``tests/system/test_cli_imports.py`` holds to that).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from events.errors import WindowError
from events.kinds import Kind, Status
from events.window import Window, parse_window

if TYPE_CHECKING:
    from events.register import Register
    from scheduler.app import App

F = TypeVar("F", bound=Callable[..., Any])


class Invocation:
    """The command line of the run in progress (one per process, reset by the root group)."""

    argv: list[str] = []  # noqa: RUF012 - replaced, never mutated, on every run
    debug = False


class LazyApp:
    """Config and database are opened only when a command needs them (not for --help)."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            from scheduler.app import App
            from scheduler.config import load_config

            config = load_config(self.config_path)
            for warning in config.warnings:
                click.echo(f"followup: warning: {warning}", err=True)
            self._app = App(config)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.store.dispose()


def current_app() -> App:
    lazy = click.get_current_context().find_object(LazyApp)
    assert lazy is not None, "commands run under the followup group"
    return lazy.app


def why() -> str:
    """The command as typed, kept in history as the reason for what it changed."""
    name = click.get_current_context().info_name
    argv = Invocation.argv
    start = argv.index(name) if name in argv else 0
    return "followup " + shlex.join(argv[start:])


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def emit_json_items(items: Iterable[Any], *, every: int = 500) -> None:
    """A JSON list written as its items come, byte for byte what :func:`emit_json` writes
    for the whole list: memory holds ``every`` items' text, not the list."""
    pending: list[str] = []
    written = False
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        pending.append(("[\n  " if not written and not pending else ",\n  ") + text)
        if len(pending) >= every:
            click.echo("".join(pending), nl=False)
            pending.clear()
            written = True
    if not written and not pending:
        click.echo("[]")
        return
    click.echo("".join(pending) + "\n]")


def json_option(function: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON for programs instead of a table."
    )(function)


def wide_option(function: F) -> F:
    return click.option(
        "--wide", is_flag=True,
        help="Every column and the full text, wrapped to the terminal's width (a narrow "
             "terminal or a pipe gets a compact table otherwise).",
    )(function)


class _WindowType(click.ParamType[Window, Any]):
    name = "WINDOW"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Window:
        if isinstance(value, Window):
            return value
        try:
            return parse_window(str(value))
        except WindowError as error:
            self.fail(str(error), param, ctx)


WINDOW = _WindowType()


def choice(values: type[Kind] | type[Status]) -> click.Choice[str]:
    return click.Choice([member.value for member in values], case_sensitive=False)


def report(register: Register, as_json: bool) -> None:
    """Print what a command changed, derived changes included, and any notes."""
    from scheduler import views

    if as_json:
        emit_json(
            {"changes": [views.change_json(c) for c in register.changes], "notes": register.notes}
        )
        return
    for note in register.notes:
        click.echo(f"note: {note}", err=True)
    if register.changes:
        out = views.console()
        out.print(views.changes_table(register.changes, views.Layout.of(out)))
    else:
        click.echo("Nothing changed.")
