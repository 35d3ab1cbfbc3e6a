"""The command that reads a new release: ingest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from events.errors import FollowupError
from events.window import Window
from scheduler.cli_common import WINDOW, current_app, emit_json, json_option, wide_option

if TYPE_CHECKING:
    from events.extract import Proposal


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key or not target:
            raise click.BadParameter(
                f"{value!r}: write PROPOSAL=ID, such as temm-21=temm-21", param_hint="'--link'"
            )
        pairs[key] = target
    return pairs


@click.command()
@click.argument("release", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--published",
    type=WINDOW,
    metavar="DATE",
    help="The release's date, when the text does not give it.",
)
@click.option("--title", help="The release's title (default: found in the text).")
@click.option("--publisher", default="(publisher not given)", help="Who published it.")
@click.option("--url", help="Where it was published.")
@click.option(
    "--html/--text",
    "as_html",
    default=None,
    help="Read as HTML or plain text (default: decided from the content).",
)
@click.option("--dry-run", is_flag=True, help="Show the proposals; store nothing.")
@click.option(
    "--link",
    "links",
    multiple=True,
    metavar="PROPOSAL=ID",
    help="Treat a proposal as news about an existing follow-up (repeatable).",
)
@click.option(
    "--new",
    "new",
    multiple=True,
    metavar="PROPOSAL",
    help="Store a proposal as a new follow-up, even if it resembles one.",
)
@json_option
@wide_option
def ingest(
    release: Path,
    published: Window | None,
    title: str | None,
    publisher: str,
    url: str | None,
    as_html: bool | None,
    dry_run: bool,
    links: tuple[str, ...],
    new: tuple[str, ...],
    as_json: bool,
    wide: bool,
) -> None:
    """Propose the follow-ups a release commits to, and store them (FILE, or - for stdin)."""
    from events.extract import propose
    from events.ingest import ingest as store_release
    from events.outcomes import reported_done
    from events.reading import read_release
    from scheduler import views

    name = "standard input" if str(release) == "-" else str(release)
    try:
        data = sys.stdin.buffer.read() if str(release) == "-" else release.read_bytes()
    except OSError as error:
        raise FollowupError(f"cannot read {name}: {error.strerror}") from None
    document = read_release(data, name, html=as_html)
    for warning in document.warnings:
        click.echo(f"followup: warning: {warning}", err=True)
    day = published.earliest if published is not None else document.published
    if day is None:
        raise click.UsageError(
            f"no publication date found in {name}: give it with --published YYYY-MM-DD"
        )
    proposals = propose(document, day)
    done = _distinct_keys(reported_done(document, day), proposals)
    if dry_run and _ingested_before(document.text):
        click.echo(f"note: {name} was ingested before: storing it again would change "
                   "nothing.", err=True)
    if dry_run or not (proposals or done):
        if as_json:
            emit_json([views.proposal_json(p) for p in (*proposals, *done)])
        elif not (proposals or done):
            click.echo(f"No follow-ups found in {name}: nothing to store.")
        else:
            out = views.console()
            out.print(views.proposals_table([*proposals, *done], views.Layout.of(out, wide)))
        return
    app = current_app()
    with app.register() as register:
        outcome = store_release(
            register,
            text=document.text,
            proposals=proposals,
            title=title or document.title or release.name,
            publisher=publisher,
            published=day,
            url=url,
            links=_pairs(links),
            new=set(new),
            done=done,
        )
    if as_json:
        emit_json(
            {
                "already_ingested": outcome.already,
                "created": outcome.created,
                "linked": outcome.linked,
                "completed": outcome.completed,
                "notes": outcome.notes,
                "changes": [views.change_json(c) for c in register.changes],
            }
        )
        return
    if outcome.already:
        click.echo(f"{name} was ingested before: nothing changed.")
        return
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"Stored {len(outcome.created)} new follow-ups"
        + (f" and linked {len(outcome.linked)} to ones already kept" if outcome.linked else "")
        + (f"; marked {len(outcome.completed)} done as the release reports"
           if outcome.completed else "")
        + "."
    )
    out = views.console()
    out.print(views.changes_table(register.changes, views.Layout.of(out, wide)))


def _distinct_keys(done: list[Proposal], proposals: list[Proposal]) -> list[Proposal]:
    """Reports of what was done, keyed apart from the proposals: "--link KEY=ID" names one."""
    taken = {p.key for p in proposals}
    for report in done:
        if report.key in taken:
            report.key = f"{report.key}-done"
        taken.add(report.key)
    return done


def _ingested_before(text: str) -> bool:
    """Whether the register already holds this release.

    A dry run writes nothing: a database that does not exist yet is not created to ask.
    """
    from sqlalchemy.exc import DBAPIError

    from events.register import Register

    app = current_app()
    store = app.store
    if store.is_sqlite and not Path(str(store.url.database)).exists():
        return False
    try:
        with store.transaction(write=False) as session:
            register = Register(session, now=app.clock(), bus=app.bus)
            return register.source_with_text(text) is not None
    except (FollowupError, DBAPIError):
        return False  # not a register this version can read yet: nothing to compare with


COMMANDS = [ingest]
