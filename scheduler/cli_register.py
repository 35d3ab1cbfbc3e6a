"""Commands that read and change the register: init, list, show, history, add, confirm,
move, cancel, done, anchor (snooze, note, edit and reopen are in cli_desk)."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

import click

from events.kinds import Kind, Status
from events.schedule import Schedule, parse_clock
from events.window import Window
from scheduler.cli_common import (
    WINDOW,
    choice,
    current_app,
    emit_json,
    emit_json_items,
    json_option,
    report,
    why,
    wide_option,
)


@click.command()
@json_option
def init(as_json: bool) -> None:
    """Create or migrate the database and load the bundled example release once."""
    app = current_app()
    opening = app.open(seed_existing=True)
    prep = opening.preparation
    if as_json:
        emit_json(
            {
                "database": app.store.describe(),
                "created": prep.created,
                "upgraded_from": prep.upgraded_from,
                "schema": prep.revision,
                "seeded": opening.seeded,
            }
        )
        return
    if prep.created:
        state = f"Created {app.store.describe()} (schema {prep.revision})."
    elif prep.upgraded_from is not None:
        state = (
            f"Migrated {app.store.describe()} from schema {prep.upgraded_from} to {prep.revision}."
        )
    else:
        state = f"{app.store.describe()} is up to date (schema {prep.revision})."
    click.echo(state)
    if opening.seeded:
        click.echo(
            f"Loaded {opening.seeded} follow-ups from the bundled release; "
            "'followup list' shows them."
        )
    elif app.config.database.seed:
        click.echo("The bundled release was loaded before: nothing to add.")


@click.command("list")
@click.option("--status", type=choice(Status), help="Only follow-ups with this status.")
@click.option("--kind", type=choice(Kind), help="Only follow-ups of this kind.")
@click.option(
    "--from",
    "start",
    type=WINDOW,
    metavar="DATE",
    help="Only those whose window reaches this date or later.",
)
@click.option(
    "--to",
    "end",
    type=WINDOW,
    metavar="DATE",
    help="Only those whose window starts by this date. Undated ones match any range.",
)
@json_option
@wide_option
def list_(
    status: str | None, kind: str | None, start: Window | None, end: Window | None,
    as_json: bool, wide: bool,
) -> None:
    """List follow-ups in date order, with their window and (with --wide, or given room) the
    sentence they came from."""
    from scheduler import views

    app = current_app()
    chosen = _Chosen(
        status=Status(status) if status else None,
        kind=Kind(kind) if kind else None,
        within=_range(start, end),
    )
    with app.register(write=False) as register:
        today = app.today()
        if as_json:
            # Written as read, a batch at a time: a register of any size lists in bounded
            # memory, and the output is the same as one json.dumps of the whole list.
            listed = register.each(**chosen._asdict())
            emit_json_items(views.followup_json(f, today) for f in listed)
            return
        followups = register.find(**chosen._asdict())
        if not followups:
            click.echo("No follow-ups match.")
            return
        out = views.console()
        out.print(views.followups_table(followups, today, views.Layout.of(out, wide)))


class _Chosen(NamedTuple):
    """Which follow-ups a listing shows."""

    status: Status | None
    kind: Kind | None
    within: Window | None


def _range(start: Window | None, end: Window | None) -> Window | None:
    if start is None and end is None:
        return None
    earliest = start.earliest if start is not None and start.earliest else date.min
    if end is None or end.latest is None:
        return Window.open_from(earliest)
    if end.latest < earliest:
        raise click.BadParameter(
            "--to is before --from: give a range that ends after it starts", param_hint="'--to'"
        )
    return Window.days(earliest, end.latest)


@click.command()
@click.argument("followup_id", metavar="ID")
@json_option
@wide_option
def show(followup_id: str, as_json: bool, wide: bool) -> None:
    """Everything about one follow-up: window, tie, source sentence and history."""
    from scheduler import views

    app = current_app()
    with app.register(write=False) as register:
        followup = register.get(followup_id)
        history = register.history(followup_id)
        if as_json:
            data = views.followup_json(followup, app.today())
            data["history"] = [views.change_json(c) for c in history]
            emit_json(data)
            return
        out = views.console()
        out.print(views.followup_panel(followup, history, app.today(), app.zone,
                                       views.Layout.of(out, wide)))


@click.command()
@click.argument("followup_id", metavar="ID")
@json_option
@wide_option
def history(followup_id: str, as_json: bool, wide: bool) -> None:
    """What changed in a follow-up, when, and why."""
    from scheduler import views

    app = current_app()
    with app.register(write=False) as register:
        changes = register.history(followup_id)
        if as_json:
            emit_json([views.change_json(c) for c in changes])
            return
        out = views.console()
        out.print(views.history_table(changes, app.zone, views.Layout.of(out, wide)))


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option("--title", required=True, help="What it is, in the release's own terms.")
@click.option("--kind", required=True, type=choice(Kind))
@click.option(
    "--when",
    "window",
    type=WINDOW,
    help="Its date window: 2019-11-23, 2019-02.., 2019-Q3, 2019-H2, undated...",
)
@click.option(
    "--anchor",
    "anchor_id",
    metavar="ID",
    help="The follow-up it happens on the occasion of; its window follows that one.",
)
@click.option(
    "--margin",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Days before or after the anchor it may fall on.",
)
@click.option("--phrase", help="The words the window was given in ('second half of 2019').")
@click.option("--location", help="Where it happens.")
@click.option("--party", "parties", multiple=True, help="A party to it (repeatable).")
@click.option("--tag", "tags", multiple=True, help="A tag audiences select by (repeatable).")
@click.option("--next-step", help="What whoever chases it should do next.")
@click.option("--sentence", help="The sentence it comes from.")
@click.option("--paragraph", type=click.IntRange(min=1), help="That sentence's paragraph.")
@json_option
def add(
    followup_id: str,
    title: str,
    kind: str,
    window: Window | None,
    anchor_id: str | None,
    margin: int,
    phrase: str | None,
    location: str | None,
    parties: tuple[str, ...],
    tags: tuple[str, ...],
    next_step: str | None,
    sentence: str | None,
    paragraph: int | None,
    as_json: bool,
) -> None:
    """Add a follow-up by hand. Give its window with --when, or tie it with --anchor."""
    from events.register import Draft

    if window is None and anchor_id is None:
        raise click.UsageError("give --when WINDOW (or --when undated), or --anchor ID")
    draft = Draft(
        id=followup_id,
        title=title,
        kind=Kind(kind),
        window=window or Window.undated(),
        phrase=phrase,
        parties=parties,
        location=location,
        anchor_id=anchor_id,
        margin_days=margin,
        paragraph=paragraph,
        sentence=sentence,
        tags=tags,
        next_step=next_step,
    )
    with current_app().register() as register:
        register.add(draft, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option(
    "--on",
    "days",
    required=True,
    type=WINDOW,
    metavar="DATE[..DATE]",
    help="The day, or first and last day, it happens on.",
)
@click.option("--at", "at", help="Start time HH:MM, for a timed event.")
@click.option("--until", help="End time HH:MM on the last day (default: an hour after --at).")
@click.option(
    "--tz",
    "timezone",
    metavar="ZONE",
    help="IANA time zone of --at and --until (default: register.timezone).",
)
@click.option("--location", help="Where it happens, now that it is known.")
@json_option
def confirm(
    followup_id: str,
    days: Window,
    at: str | None,
    until: str | None,
    timezone: str | None,
    location: str | None,
    as_json: bool,
) -> None:
    """Record the confirmed dates; follow-ups tied to it are re-derived at once."""
    app = current_app()
    schedule = Schedule.confirm(
        days,
        at=parse_clock(at) if at else None,
        until=parse_clock(until) if until else None,
        timezone=timezone or app.config.timezone,
        length=app.config.default_length,
    )
    with app.register() as register:
        assumed = bool(at and not until)
        register.confirm(followup_id, schedule, location=location, end_assumed=assumed,
                         why=why())
        if assumed and isinstance(schedule.end, datetime):
            minutes = int(app.config.default_length.total_seconds() // 60)
            register.notes.append(
                f"{followup_id}: no --until given, so it is taken to end at "
                f"{schedule.end:%H:%M} ({minutes} minutes; give --until, or set "
                "[register] default_length_minutes)")
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option(
    "--when",
    "window",
    required=True,
    type=WINDOW,
    help="The new window: 2020-03, 2020-H1, 2020-02-10..2020-02-12...",
)
@click.option("--phrase", help="The words the new window was given in.")
@click.option(
    "--detach", is_flag=True, help="Cut the tie to its anchor and set the window by hand."
)
@json_option
def move(followup_id: str, window: Window, phrase: str | None, detach: bool, as_json: bool) -> None:
    """Move a follow-up to a new window; its confirmed dates, if any, no longer hold."""
    with current_app().register() as register:
        register.move(followup_id, window, phrase=phrase, detach=detach, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option("--reason", help="Why it was cancelled, kept in its history.")
@json_option
def cancel(followup_id: str, reason: str | None, as_json: bool) -> None:
    """Record that a follow-up will not happen."""
    with current_app().register() as register:
        register.cancel(followup_id, reason=reason, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.option(
    "--on",
    "days",
    type=WINDOW,
    metavar="DATE[..DATE]",
    help="The days it was held on, if not those confirmed before.",
)
@click.option("--location", help="Where it was held, if not where it was expected.")
@json_option
def done(followup_id: str, days: Window | None, location: str | None, as_json: bool) -> None:
    """Record that a follow-up happened."""
    app = current_app()
    schedule = None if days is None else Schedule.confirm(days, timezone=app.config.timezone)
    with app.register() as register:
        register.complete(followup_id, schedule=schedule, location=location, why=why())
    report(register, as_json)


@click.command()
@click.argument("followup_id", metavar="ID")
@click.argument("anchor_id", metavar="ANCHOR", required=False)
@click.option(
    "--margin",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Days before or after the anchor it may fall on.",
)
@click.option("--clear", is_flag=True, help="Cut the tie instead.")
@json_option
def anchor(
    followup_id: str, anchor_id: str | None, margin: int, clear: bool, as_json: bool
) -> None:
    """Tie a follow-up to the one it happens on the occasion of (or --clear the tie)."""
    if clear == (anchor_id is not None):
        raise click.UsageError("give either ANCHOR or --clear")
    with current_app().register() as register:
        register.set_anchor(followup_id, anchor_id, margin_days=margin, why=why())
    report(register, as_json)


COMMANDS = [init, list_, show, history, add, confirm, move, cancel, done, anchor]
