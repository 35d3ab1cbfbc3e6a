"""Commands for reminders: the daemon, the notice ledger, rehearsals and checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from events.ledger import Ledger
from events.model import NoticeStatus
from events.window import Window
from scheduler import views
from scheduler.cli_common import WINDOW, current_app, emit_json, json_option


@click.command()
def daemon() -> None:
    """Deliver reminders at their time, until stopped with SIGTERM or Ctrl-C."""
    import logging

    from scheduler.daemon import Daemon

    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Re-arming the dispatch job while it runs is expected; APScheduler calls that a skip.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    sys.exit(Daemon(current_app()).run())


@click.command()
@click.option(
    "--status",
    type=click.Choice([s.value for s in NoticeStatus]),
    help="Only notices with this status.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
def notices(status: str | None, limit: int | None, as_json: bool) -> None:
    """The notice ledger: what is planned, sent, failed, dead, superseded or missed."""
    app = current_app()
    with app.register(write=False) as register:
        ledger = Ledger(register.session, app.config.plan, register.now)
        rows = ledger.listing(NoticeStatus(status) if status else None, limit)
        if as_json:
            emit_json([views.notice_json(n) for n in rows])
            return
        if not rows:
            click.echo("No notices match.")
            return
        views.console().print(views.notices_table(rows, app.zone))


@click.command()
@click.option(
    "--from",
    "start",
    required=True,
    type=WINDOW,
    metavar="DATE",
    help="First day of the rehearsal.",
)
@click.option(
    "--to", "end", required=True, type=WINDOW, metavar="DATE", help="Last day of the rehearsal."
)
@click.option(
    "--outcomes",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML file of dated changes to apply on the way (confirm, move, ...).",
)
@json_option
def replay(start: Window, end: Window, outcomes: Path | None, as_json: bool) -> None:
    """Rehearse the notices of a period on a virtual clock, with a scratch copy of the data."""
    from scheduler import replay as rehearsal

    app = current_app()
    app.open()
    planned = rehearsal.read_outcomes(outcomes) if outcomes else []
    assert start.earliest is not None
    last = end.latest or end.earliest
    assert last is not None
    fired = rehearsal.replay(app, start.earliest, last, planned)
    if as_json:
        emit_json([views.fired_json(f) for f in fired])
        return
    if not fired:
        click.echo("Nothing would be sent in that period.")
        return
    views.console().print(views.fired_table(fired, app.config.plan))


@click.command()
def check() -> None:
    """Check the configuration and the notice templates; exit 2 if anything is wrong."""
    from scheduler.channels import open_channels
    from scheduler.notices import Templates, ensure_valid

    app = current_app()
    templates = Templates(app.config.templates)
    ensure_valid(templates)
    channels = open_channels(app.config, os.environ)
    where = app.config.path or "built-in defaults"
    click.echo(f"configuration: {where}: OK")
    click.echo(f"database: {app.store.describe()}")
    for audience in app.config.plan.audiences:
        names = ", ".join(channels[c].describe() for c in audience.channels)
        digest = f", digest {audience.digest!r}" if audience.digest else ""
        click.echo(
            f"audience {audience.name} ({audience.timezone}, send time "
            f"{audience.send_time:%H:%M}{digest}): {names}"
        )
    click.echo(f"templates: {templates.directory}: OK")


COMMANDS = [daemon, notices, replay, check]
