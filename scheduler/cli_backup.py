"""Commands that copy the register: backup and restore (SQLite; PostgreSQL has pg_dump)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from scheduler.cli_common import current_app, emit_json, json_option

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.command()
@click.argument("file", type=_FILE)
@json_option
def backup(file: Path, as_json: bool) -> None:
    """Copy the register into FILE, consistently, even while daemons are running."""
    from scheduler import backup as copying

    app = current_app()
    app.open()
    pages = copying.backup(app.store, file)
    if as_json:
        emit_json({"backup": str(file), "pages": pages})
        return
    click.echo(f"Backed up {app.store.describe()} to {file} ({pages} pages).")


@click.command()
@click.argument("file", type=_FILE)
@json_option
def restore(file: Path, as_json: bool) -> None:
    """Replace the register with FILE, a backup; refused while a daemon runs on it."""
    from scheduler import backup as copying

    app = current_app()
    heartbeat = timedelta(seconds=app.config.delivery.dead_after)
    kept = copying.restore(app.store, file, app.clock(), heartbeat)
    app.open()  # a backup from an older version is brought up to date
    if as_json:
        emit_json({"restored": str(file), "kept": str(kept)})
        return
    click.echo(f"Restored {app.store.describe()} from {file}; what it replaced is kept in "
               f"{kept}.")


COMMANDS = [backup, restore]
