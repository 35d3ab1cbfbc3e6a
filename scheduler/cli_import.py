"""The command that loads follow-ups in bulk: import."""

from __future__ import annotations

import gc
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from events.errors import FollowupError
from scheduler.cli_common import current_app, emit_json, json_option, why

if TYPE_CHECKING:
    from events.register import Draft


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row; store nothing.")
@json_option
def import_(file: Path, dry_run: bool, as_json: bool) -> None:
    """Add follow-ups in bulk from a CSV file or from what 'followup list --json' wrote.

    A CSV file starts with a header naming the columns id, title, kind, when, location,
    anchor, tags and next_step (margin, phrase, parties, sentence and paragraph may be
    added); 'when' takes the forms of 'followup add --when', and an anchored row leaves it
    empty. Every row is checked first: if any is wrong, each problem is listed with its
    line and nothing is stored. FILE may be - for standard input.
    """
    name = "standard input" if str(file) == "-" else str(file)
    try:
        data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as error:
        raise FollowupError(f"cannot read {name}: {error.strerror}") from None
    # Rows, drafts and notices by the hundred thousand, all kept until the end: the
    # collector's passes over them would cost a third of the import, and find nothing.
    gc.disable()
    try:
        drafts, added = _load(data, name, dry_run)
    finally:
        gc.enable()
    if as_json:
        emit_json({"file": name, "checked": len(drafts), "imported": added})
    elif dry_run:
        click.echo(f"{name}: all {len(drafts):,} follow-ups are good; nothing stored "
                   "(--dry-run).")
    else:
        click.echo(f"Imported {added:,} follow-ups from {name}.")


def _load(data: bytes, name: str, dry_run: bool) -> tuple[list[Draft], int]:
    """Check every row, then (unless ``dry_run``) store them all in one transaction."""
    from events import importing
    from events.bulk import plan_added
    from events.bus import Added
    from events.register import Register, standard_bus

    batch = importing.read(data, name)
    app = current_app()
    app.open()
    # The app's bus, with the follow-ups planned together instead of one event at a time.
    bus = standard_bus()
    bus.subscribe_many(Added, plan_added(app.config.plan))
    with app.store.transaction(write=not dry_run, bulk=True) as session:
        register = Register(session, now=app.clock(), bus=bus)
        drafts = batch.ordered(register.windows_of(batch.names()).keys())
        cited = batch.cited()
        if cited and not dry_run:
            sources = {c.sha256: register.cite_source(**asdict(c)) for c in cited.values()}
            drafts = [replace(d, source=sources[cited[d.id].sha256]) if d.id in cited else d
                      for d in drafts]
        added = 0 if dry_run else register.add_many(drafts, why=why())
    return drafts, added


COMMANDS = [import_]
