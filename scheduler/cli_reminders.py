"""Commands for reminders: the daemon, the notice ledger, rehearsals and checks."""

from __future__ import annotations

import os
import sys
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from events.errors import FollowupError
from events.kinds import NoticeStatus
from events.window import Window
from scheduler.cli_common import WINDOW, current_app, emit_json, json_option, wide_option

if TYPE_CHECKING:
    from events.model import Notice
    from events.queue import Queue
    from scheduler.channels import Channel
    from scheduler.config import Config


@click.command()
def daemon() -> None:
    """Deliver reminders at their time, until stopped with SIGTERM or Ctrl-C."""
    from scheduler.stopping import Stop

    # First of all, so that a stop asked for during start-up is a clean stop too.
    stop = Stop()
    stop.install()
    try:
        from scheduler import logs
        from scheduler.daemon import Daemon

        app = current_app()
        logs.configure(app.config.log)
        code = Daemon(app, stop=stop).run()
    finally:
        stop.restore()
    sys.exit(code)


@click.command()
@click.option(
    "--status",
    type=click.Choice([s.value for s in NoticeStatus]),
    help="Only notices with this status.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
@wide_option
def notices(status: str | None, limit: int | None, as_json: bool, wide: bool) -> None:
    """The notice ledger: what is planned, sent, failed, dead, superseded or missed."""
    from events.queue import Queue
    from scheduler import views

    app = current_app()
    with app.register(write=False) as register:
        queue = Queue(register.session, register.now)
        rows = queue.listing(NoticeStatus(status) if status else None, limit)
        if as_json:
            emit_json([views.notice_json(n) for n in rows])
            return
        if not rows:
            click.echo("No notices match.")
            return
        out = views.console()
        out.print(views.notices_table(rows, app.zone, views.Layout.of(out, wide)))


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
@click.option("--seed", is_flag=True,
              help="Start from the bundled example release instead of the register.")
@json_option
@wide_option
def replay(start: Window, end: Window, outcomes: Path | None, seed: bool,
           as_json: bool, wide: bool) -> None:
    """Rehearse the notices of a period on a virtual clock, with a scratch copy of the data."""
    from scheduler import replay as rehearsal
    from scheduler import views

    first, last = start.earliest, end.latest or end.earliest
    if first is None:
        raise click.BadParameter("'undated' has no first day: give a date such as "
                                 "2019-01-24", param_hint="'--from'")
    if last is None:
        raise click.BadParameter("'undated' has no last day: give a date such as 2019-12-31",
                                 param_hint="'--to'")
    app = current_app()
    app.open()
    planned = rehearsal.read_outcomes(outcomes) if outcomes else []
    applied: list[rehearsal.Applied] = []
    fired = rehearsal.replay(app, first, last, planned, seed=seed, applied=applied)
    if as_json:
        emit_json(views.replay_json(fired, applied))
        return
    if not fired and not applied:
        click.echo("Nothing would be sent in that period.")
        return
    out = views.console()
    out.print(views.fired_table(fired, app.config.plan, views.Layout.of(out, wide), applied,
                                app.zone))


@click.command()
@click.option("--send-test", "audience_name", metavar="AUDIENCE",
              help="Also send a test notice through each of this audience's channels and "
                   "say how each went (exit 2 if any failed).")
def check(audience_name: str | None) -> None:
    """Check the configuration and the notice templates; exit 2 if anything is wrong."""
    from scheduler.channels import open_channels
    from scheduler.notices import Templates, ensure_valid

    app = current_app()
    configured = [a.name for a in app.config.plan.audiences]
    if audience_name is not None and audience_name not in configured:
        raise click.BadParameter(f"no audience {audience_name!r} is configured (configured: "
                                 f"{', '.join(configured)})", param_hint="'--send-test'")
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
    if audience_name is not None:
        _send_test(app.config, audience_name, channels, app.clock())


def _send_test(config: Config, audience_name: str, channels: dict[str, Channel],
               now: datetime) -> None:
    from scheduler.trial import SUBJECT_PREFIX, try_channels

    click.echo(f"sending a test notice ({SUBJECT_PREFIX}) to {audience_name} through each "
               "of its channels:")
    trials = try_channels(config, audience_name, channels, now)
    for trial in trials:
        outcome = f"failed: {trial.problem}" if trial.problem else "ok"
        click.echo(f"  {trial.described}: {outcome}")
    failed = [t.channel for t in trials if t.problem]
    if failed:
        raise FollowupError(f"the test notice to {audience_name} failed through "
                            f"{', '.join(failed)} ({len(failed)} of {len(trials)} channels): "
                            "see above")


@click.command()
@click.option("--status", "statuses", type=click.Choice(["dead", "failed"]), multiple=True,
              help="Notices with this status (default: dead); give it twice for both.")
@click.option("--since", type=WINDOW, metavar="DATE",
              help="Only those last tried on or after this day (in the register's zone).")
@click.option("--key", "keys", multiple=True, metavar="KEY",
              help="Only the notice with this key ('followup notices --json' shows keys); "
                   "may be given more than once.")
@json_option
def retry(statuses: tuple[str, ...], since: Window | None, keys: tuple[str, ...],
          as_json: bool) -> None:
    """Make dead or failed notices pending again, due now, with a fresh set of attempts.

    The daemon sends them at its next round. A notice about a follow-up that has changed
    since, so that its plan no longer has the notice, is superseded instead of sent.
    """
    from events.ledger import Ledger
    from events.queue import Queue
    from scheduler import views

    chosen = [NoticeStatus(status) for status in statuses] or [NoticeStatus.DEAD]
    app = current_app()
    since_at = None
    if since is not None:
        if since.earliest is None:
            raise click.BadParameter("'undated' has no first day: give a date such as "
                                     "2019-11-01", param_hint="'--since'")
        since_at = datetime.combine(since.earliest, time(0), app.zone)
    with app.register() as register:
        queue = Queue(register.session, register.now)
        found = queue.retryable(chosen, since=since_at, keys=keys)
        _check_keys(queue, keys, found, chosen)
        ledger = Ledger(register.session, app.config.plan, register.now)
        stale: list[Notice] = []
        for followup_id in sorted({n.followup_id for n in found if n.followup_id}):
            theirs = [n for n in found if n.followup_id == followup_id]
            wanted = {p.key for p in ledger.desired(register.get(followup_id),
                                                    start=min(n.due for n in theirs))}
            stale += [n for n in theirs if n.key not in wanted]
        fresh = [n for n in found if n not in stale]
        rows = {"retried": [views.notice_json(n) for n in fresh],
                "superseded": [views.notice_json(n) for n in stale]}
        queue.revive([n.id for n in fresh])
        queue.supersede([n.id for n in stale])
    if as_json:
        emit_json(rows)
        return
    if not found:
        click.echo(f"No {' or '.join(str(s) for s in chosen)} notices to retry.")
        return
    for title, listed in (
        (f"Pending again, sent at the daemon's next round ({len(fresh)}):", rows["retried"]),
        (f"Superseded, no longer planned for their follow-up ({len(stale)}):",
         rows["superseded"]),
    ):
        if listed:
            click.echo(title)
            for row in listed:
                click.echo(f"  {row['key']}")
                click.echo(f"    was {row['status']}: {row['last_error'] or 'no reason kept'}")


def _check_keys(queue: Queue, keys: tuple[str, ...], found: list[Notice],
                chosen: list[NoticeStatus]) -> None:
    """Every key asked for must name a notice that can be retried."""
    missing = sorted(set(keys) - {n.key for n in found})
    if not missing:
        return
    known = {n.key: n for n in queue.by_keys(missing)}
    key = missing[0]
    if key not in known:
        raise click.BadParameter(f"no notice has the key {key!r}: 'followup notices --json' "
                                 "shows the keys", param_hint="'--key'")
    wanted = " or ".join(str(s) for s in chosen)
    raise click.BadParameter(f"the notice {key!r} is {known[key].status}, not {wanted}: only "
                             "those are retried (see --status)", param_hint="'--key'")


COMMANDS = [daemon, notices, replay, check, retry]
