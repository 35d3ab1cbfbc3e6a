"""``followup timeline``: where the windows lie against each other and today, in the terminal."""

from __future__ import annotations

import click

from events.kinds import Kind, Status
from events.window import Window
from scheduler.cli_common import WINDOW, choice, current_app

GROUPS = ("kind", "tag", "status")


@click.command()
@click.option("--from", "start", type=WINDOW, metavar="DATE",
              help="First day shown: 2019, 2019-07 or 2019-07-01 (default: three months ago).")
@click.option("--to", "end", type=WINDOW, metavar="DATE",
              help="Last day shown: 2019, 2019-12 or 2019-12-31 (default: a year ahead).")
@click.option("--kind", type=choice(Kind), help="Only follow-ups of this kind.")
@click.option("--tag", help="Only follow-ups with this tag.")
@click.option("--status", type=choice(Status), help="Only follow-ups with this status.")
@click.option("--group", type=click.Choice(GROUPS, case_sensitive=False),
              help="Rows grouped by kind, tag or status.")
def timeline(start: Window | None, end: Window | None, kind: str | None, tag: str | None,
             status: str | None, group: str | None) -> None:
    """Draw the follow-ups' windows against each other and today, in the terminal's width."""
    from events.timeline import Choice, Grouping, build, span_between
    from scheduler import terminal_timeline, views

    app = current_app()
    today = app.today()
    span = span_between(today, start, end)
    chosen = Choice(kind=Kind(kind) if kind else None, tag=tag or None,
                    status=Status(status) if status else None,
                    group=Grouping(group.lower()) if group else None)
    with app.register(write=False) as register:
        items = register.timeline_items()
    console = views.console()
    console.print(terminal_timeline.draw(build(items, today, span, chosen), console.width,
                                         app.config.timezone))


COMMANDS = [timeline]
