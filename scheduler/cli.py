"""The ``followup`` command: parses, delegates to the register, prints.

User errors (every :class:`FollowupError`, and bad usage) print one line on stderr and exit
with 2, having changed nothing: each command runs in one transaction. Anything else is a bug:
one line and exit 1, or the traceback with ``--debug``. The commands themselves live in the
``cli_*`` modules beside this one, by what they are about.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from events.errors import FollowupError
from scheduler import (
    cli_backup,
    cli_desk,
    cli_feeds,
    cli_import,
    cli_ingest,
    cli_register,
    cli_reminders,
    cli_timeline,
)
from scheduler.cli_common import Invocation, LazyApp


class _Commands(click.Group):
    """The root group: turns every error into one line and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        Invocation.argv = list(sys.argv[1:] if args is None else args)
        Invocation.debug = False
        try:
            result = super().main(
                Invocation.argv,
                prog_name or "followup",
                complete_var,
                standalone_mode=False,
                **extra,
            )
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx is not None else "followup"
            _fail(f"{error.format_message()} (see '{where} --help')", 2)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except FollowupError as error:
            if Invocation.debug:
                raise
            _fail(str(error), 2)
        except Exception as error:
            if Invocation.debug:
                raise
            _fail(f"internal error: {error!r}; run again with --debug to see where", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"followup: {message}", err=True)
    sys.exit(code)


@click.group("followup", cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file (default: $FOLLOWUP_CONFIG, else ./config.toml).",
)
@click.option("--debug", is_flag=True, help="Show a traceback when something goes wrong.")
@click.version_option(package_name="followup", prog_name="followup")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Keep the follow-ups that meetings promise: when, where, tied to what, said where."""
    Invocation.debug = debug
    ctx.obj = LazyApp(config_path)
    ctx.call_on_close(ctx.obj.close)


for module in (cli_register, cli_desk, cli_import, cli_reminders, cli_feeds, cli_ingest,
               cli_backup, cli_timeline):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli.main()
