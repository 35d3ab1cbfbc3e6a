"""Commands a desk uses on a follow-up it is working on: snooze, note, edit, reopen.

They import the register only when they run, so that ``--help`` answers at once.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import click

from events.kinds import Kind
from scheduler.cli_common import choice, current_app, json_option, report, why


class _Until(click.ParamType[date | int, Any]):
    """A day (YYYY-MM-DD), or +N: N days from today, which only the register's zone knows."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date | int:
        if isinstance(value, date | int):
            return value
        text = str(value).strip()
        days = re.fullmatch(r"\+(\d{1,5})", text)
        if days:
            return int(days.group(1))
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text) is None:
            self.fail(f"{text!r} is not a day: give YYYY-MM-DD, or +N for N days from today",
                      param, ctx)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a day of the calendar", param, ctx)


_UNTIL = _Until()


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option("--until", "until", type=_UNTIL, metavar="DATE",
              help="The first day it may be chased again: YYYY-MM-DD, or +N for N days "
                   "from today.")
@click.option("--clear", is_flag=True, help="Chase it as usual again.")
@click.option("--note", help="Why, kept as a dated note that show and notices carry.")
@json_option
def snooze(followup_id: str, until: date | int | None, clear: bool, note: str | None,
           as_json: bool) -> None:
    """Stop chasing a follow-up until a day; leads and window notices still go out."""
    if clear == (until is not None):
        raise click.UsageError("give either --until DATE or --clear")
    from events.register import snooze_too_soon

    app = current_app()
    day = app.today() + timedelta(days=until) if isinstance(until, int) else until
    problem = None if day is None else snooze_too_soon(day, app.today())
    if problem is not None:
        raise click.BadParameter(problem, param_hint="'--until'")
    with app.register() as register:
        register.snooze(followup_id, day, note=note, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.argument("text")
@json_option
def note(followup_id: str, text: str, as_json: bool) -> None:
    """Add a dated note to a follow-up; show and the next notices carry it."""
    with current_app().register() as register:
        register.add_note(followup_id, text, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option("--title", help="What it is, in a few words.")
@click.option("--kind", type=choice(Kind), help="What kind of follow-up it is.")
@click.option("--location", help="Where it happens ('' clears it).")
@click.option("--next-step", help="What whoever chases it should do next ('' clears it).")
@click.option("--tags", help="Its tags, separated by commas, replacing the old ones "
                             "('' clears them).")
@json_option
def edit(followup_id: str, title: str | None, kind: str | None, location: str | None,
         next_step: str | None, tags: str | None, as_json: bool) -> None:
    """Change what was typed or read from a release; each change is kept in the history."""
    if all(value is None for value in (title, kind, location, next_step, tags)):
        raise click.UsageError(
            "say what to change: --title, --kind, --location, --next-step or --tags")
    with current_app().register() as register:
        register.edit(
            followup_id,
            title=title,
            kind=None if kind is None else Kind(kind.lower()),
            location=location,
            next_step=next_step,
            tags=None if tags is None else tags.split(","),
            why=why(),
        )
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@json_option
def reopen(followup_id: str, as_json: bool) -> None:
    """Undo a cancel or a done made by mistake; what is tied to it follows it again."""
    with current_app().register() as register:
        register.reopen(followup_id, why=why())
    report(register, as_json)


COMMANDS = [snooze, note, edit, reopen]
