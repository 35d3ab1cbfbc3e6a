"""The ``followup`` command: parses, delegates to the register, prints.

User errors (every :class:`FollowupError`, and bad usage) print one line on stderr and exit
with 2, having changed nothing: each command runs in one transaction. Anything else is a bug:
one line and exit 1, or the traceback with ``--debug``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from events.errors import FollowupError, WindowError
from events.ledger import Ledger
from events.model import Kind, NoticeStatus, Status
from events.register import Draft, Register
from events.schedule import Schedule, parse_clock
from events.window import Window, parse_window
from scheduler import views
from scheduler.app import App
from scheduler.config import load_config

if TYPE_CHECKING:
    from scheduler.feeds import FeedService

F = TypeVar("F", bound=Callable[..., Any])


class _Commands(click.Group):
    """The root group: turns every error into one line and an exit code."""

    debug = False
    argv: list[str] = []  # noqa: RUF012 - reset on every run, read by _why()

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        _Commands.argv = list(sys.argv[1:] if args is None else args)
        _Commands.debug = False
        try:
            result = super().main(
                _Commands.argv,
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
            if _Commands.debug:
                raise
            _fail(str(error), 2)
        except Exception as error:
            if _Commands.debug:
                raise
            _fail(f"internal error: {error!r}; run again with --debug to see where", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, code: int) -> None:
    click.echo(f"followup: {message}", err=True)
    sys.exit(code)


class _Lazy:
    """Config and database are opened only when a command needs them (not for --help)."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            config = load_config(self.config_path)
            for warning in config.warnings:
                click.echo(f"followup: warning: {warning}", err=True)
            self._app = App(config)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.store.dispose()


def _app() -> App:
    lazy: _Lazy = click.get_current_context().find_object(_Lazy)  # type: ignore[assignment]
    return lazy.app


def _why() -> str:
    """The command as typed, kept in history as the reason for what it changed."""
    name = click.get_current_context().info_name
    argv = _Commands.argv
    start = argv.index(name) if name in argv else 0
    return "followup " + shlex.join(argv[start:])


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _json_option(function: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON for programs instead of a table."
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


def _choice(values: type[Kind] | type[Status]) -> click.Choice[str]:
    return click.Choice([member.value for member in values], case_sensitive=False)


@click.group("followup", cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Configuration file (default: $FOLLOWUP_CONFIG, else ./config.toml).",
)
@click.option("--debug", is_flag=True, help="Show a traceback when something goes wrong.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Keep the follow-ups that meetings promise: when, where, tied to what, said where."""
    _Commands.debug = debug
    ctx.obj = _Lazy(config_path)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@_json_option
def init(as_json: bool) -> None:
    """Create or migrate the database and load the bundled example release once."""
    app = _app()
    opening = app.open(seed_existing=True)
    prep = opening.preparation
    if as_json:
        _emit_json(
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


@cli.command("list")
@click.option("--status", type=_choice(Status), help="Only follow-ups with this status.")
@click.option("--kind", type=_choice(Kind), help="Only follow-ups of this kind.")
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
@_json_option
def list_(
    status: str | None, kind: str | None, start: Window | None, end: Window | None, as_json: bool
) -> None:
    """List follow-ups in date order, with their window and the sentence they came from."""
    app = _app()
    within = _range(start, end)
    with app.register(write=False) as register:
        followups = register.find(
            status=Status(status) if status else None,
            kind=Kind(kind) if kind else None,
            within=within,
        )
        today = app.today()
        if as_json:
            _emit_json([views.followup_json(f, today) for f in followups])
            return
        if not followups:
            click.echo("No follow-ups match.")
            return
        views.console().print(views.followups_table(followups, today))


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


@cli.command()
@click.argument("followup_id", metavar="ID")
@_json_option
def show(followup_id: str, as_json: bool) -> None:
    """Everything about one follow-up: window, tie, source sentence and history."""
    app = _app()
    with app.register(write=False) as register:
        followup = register.get(followup_id)
        history = register.history(followup_id)
        if as_json:
            data = views.followup_json(followup, app.today())
            data["history"] = [views.change_json(c) for c in history]
            _emit_json(data)
            return
        views.console().print(views.followup_panel(followup, history, app.today(), app.zone))


@cli.command()
@click.argument("followup_id", metavar="ID")
@_json_option
def history(followup_id: str, as_json: bool) -> None:
    """What changed in a follow-up, when, and why."""
    app = _app()
    with app.register(write=False) as register:
        changes = register.history(followup_id)
        if as_json:
            _emit_json([views.change_json(c) for c in changes])
            return
        views.console().print(views.history_table(changes, app.zone))


def _report(register: Register, as_json: bool) -> None:
    """Print what a command changed, derived changes included, and any notes."""
    if as_json:
        _emit_json(
            {"changes": [views.change_json(c) for c in register.changes], "notes": register.notes}
        )
        return
    for note in register.notes:
        click.echo(f"note: {note}", err=True)
    if register.changes:
        views.console().print(views.changes_table(register.changes))
    else:
        click.echo("Nothing changed.")


@cli.command()
@click.argument("followup_id", metavar="ID")
@click.option("--title", required=True, help="What it is, in the release's own terms.")
@click.option("--kind", required=True, type=_choice(Kind))
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
@_json_option
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
    with _app().register() as register:
        register.add(draft, why=_why())
    _report(register, as_json)


@cli.command()
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
@_json_option
def confirm(
    followup_id: str,
    days: Window,
    at: str | None,
    until: str | None,
    timezone: str | None,
    as_json: bool,
) -> None:
    """Record the confirmed dates; follow-ups tied to it are re-derived at once."""
    app = _app()
    schedule = Schedule.confirm(
        days,
        at=parse_clock(at) if at else None,
        until=parse_clock(until) if until else None,
        timezone=timezone or app.config.timezone,
    )
    with app.register() as register:
        register.confirm(followup_id, schedule, why=_why())
    _report(register, as_json)


@cli.command()
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
@_json_option
def move(followup_id: str, window: Window, phrase: str | None, detach: bool, as_json: bool) -> None:
    """Move a follow-up to a new window; its confirmed dates, if any, no longer hold."""
    with _app().register() as register:
        register.move(followup_id, window, phrase=phrase, detach=detach, why=_why())
    _report(register, as_json)


@cli.command()
@click.argument("followup_id", metavar="ID")
@click.option("--reason", help="Why it was cancelled, kept in its history.")
@_json_option
def cancel(followup_id: str, reason: str | None, as_json: bool) -> None:
    """Record that a follow-up will not happen."""
    with _app().register() as register:
        register.cancel(followup_id, reason=reason, why=_why())
    _report(register, as_json)


@cli.command()
@click.argument("followup_id", metavar="ID")
@click.option(
    "--on",
    "days",
    type=WINDOW,
    metavar="DATE[..DATE]",
    help="The days it was held on, if not those confirmed before.",
)
@_json_option
def done(followup_id: str, days: Window | None, as_json: bool) -> None:
    """Record that a follow-up happened."""
    app = _app()
    schedule = None if days is None else Schedule.confirm(days, timezone=app.config.timezone)
    with app.register() as register:
        register.complete(followup_id, schedule=schedule, why=_why())
    _report(register, as_json)


@cli.command()
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
@_json_option
def anchor(
    followup_id: str, anchor_id: str | None, margin: int, clear: bool, as_json: bool
) -> None:
    """Tie a follow-up to the one it happens on the occasion of (or --clear the tie)."""
    if clear == (anchor_id is not None):
        raise click.UsageError("give either ANCHOR or --clear")
    with _app().register() as register:
        register.set_anchor(followup_id, anchor_id, margin_days=margin, why=_why())
    _report(register, as_json)


def main() -> None:
    cli.main()


@cli.command()
def daemon() -> None:
    """Deliver reminders at their time, until stopped with SIGTERM or Ctrl-C."""
    import logging

    from scheduler.daemon import Daemon

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Re-arming the dispatch job while it runs is expected; APScheduler calls that a skip.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    sys.exit(Daemon(_app()).run())


@cli.command()
@click.option("--status", type=click.Choice([s.value for s in NoticeStatus]),
              help="Only notices with this status.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@_json_option
def notices(status: str | None, limit: int | None, as_json: bool) -> None:
    """The notice ledger: what is planned, sent, failed, dead, superseded or missed."""
    app = _app()
    with app.register(write=False) as register:
        ledger = Ledger(register.session, app.config.plan, register.now)
        rows = ledger.listing(NoticeStatus(status) if status else None, limit)
        if as_json:
            _emit_json([views.notice_json(n) for n in rows])
            return
        if not rows:
            click.echo("No notices match.")
            return
        views.console().print(views.notices_table(rows, app.zone))


@cli.command()
@click.option("--from", "start", required=True, type=WINDOW, metavar="DATE",
              help="First day of the rehearsal.")
@click.option("--to", "end", required=True, type=WINDOW, metavar="DATE",
              help="Last day of the rehearsal.")
@click.option("--outcomes", type=click.Path(path_type=Path, dir_okay=False),
              help="TOML file of dated changes to apply on the way (confirm, move, ...).")
@_json_option
def replay(start: Window, end: Window, outcomes: Path | None, as_json: bool) -> None:
    """Rehearse the notices of a period on a virtual clock, with a scratch copy of the data."""
    from scheduler import replay as rehearsal

    app = _app()
    app.open()
    planned = rehearsal.read_outcomes(outcomes) if outcomes else []
    assert start.earliest is not None
    last = end.latest or end.earliest
    assert last is not None
    fired = rehearsal.replay(app, start.earliest, last, planned)
    if as_json:
        _emit_json([views.fired_json(f) for f in fired])
        return
    if not fired:
        click.echo("Nothing would be sent in that period.")
        return
    views.console().print(views.fired_table(fired, app.config.plan))


@cli.command()
def check() -> None:
    """Check the configuration and the notice templates; exit 2 if anything is wrong."""
    from scheduler.channels import open_channels
    from scheduler.notices import Templates, ensure_valid

    app = _app()
    templates = Templates(app.config.templates)
    ensure_valid(templates)
    channels = open_channels(app.config, os.environ)
    where = app.config.path or "built-in defaults"
    click.echo(f"configuration: {where}: OK")
    click.echo(f"database: {app.store.describe()}")
    for audience in app.config.plan.audiences:
        names = ", ".join(channels[c].describe() for c in audience.channels)
        digest = f", digest {audience.digest!r}" if audience.digest else ""
        click.echo(f"audience {audience.name} ({audience.timezone}, send time "
                   f"{audience.send_time:%H:%M}{digest}): {names}")
    click.echo(f"templates: {templates.directory}: OK")


def _feed_service() -> FeedService:
    from scheduler.feeds import FeedService

    app = _app()
    app.open()
    return FeedService(app.store, app.config)


@cli.command()
@click.option("--audience", default="all", show_default=True,
              help="Whose feed: an audience's name, or all for every follow-up.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of standard output.")
def export(audience: str, out: Path | None) -> None:
    """Write a calendar feed (.ics), the same bytes the feed server serves."""
    body = _feed_service().render(audience).body
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
        return
    # Written beside the target and renamed over it: a reader never sees half a file.
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_bytes(body)
        partial.replace(out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise FollowupError(f"cannot write {out}: {error.strerror}") from None
    click.echo(f"Wrote {out} ({len(body):,} bytes).", err=True)


@cli.command()
@click.option("--host", help="Address to listen on (default: feeds.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: feeds.port).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the calendar feeds over HTTP until stopped."""
    import logging
    import signal
    import threading

    from scheduler.feeds import FeedServer

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    service = _feed_service()
    config = _app().config.feeds
    service.tokens()
    server = FeedServer(service, host or config.host, port or config.port)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    while not stop.wait(1.0):
        pass
    server.stop()


@cli.group(invoke_without_command=True)
@_json_option
@click.pass_context
def feeds(ctx: click.Context, as_json: bool) -> None:
    """The feed addresses to subscribe to, one per audience and one for all."""
    if ctx.invoked_subcommand is not None:
        return
    service = _feed_service()
    rows = []
    for name, token in service.tokens().items():
        url = service.url(name, token)
        rows.append({"audience": name, "url": url,
                     "webcal": "webcal://" + url.split("://", 1)[1]})
    if as_json:
        _emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['audience']}\n  {row['url']}\n  {row['webcal']}")


@feeds.command()
@click.argument("audience")
def rotate(audience: str) -> None:
    """Give an audience's feed a new secret address; the old one stops working."""
    service = _feed_service()
    token = service.rotate(audience)
    click.echo(f"{audience}: new address {service.url(audience, token)}")
    click.echo("The old address no longer works: give subscribers the new one.", err=True)


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key or not target:
            raise click.BadParameter(f"{value!r}: write PROPOSAL=ID, such as temm-21=temm-21",
                                     param_hint="'--link'")
        pairs[key] = target
    return pairs


@cli.command()
@click.argument("release", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--published", type=WINDOW, metavar="DATE",
              help="The release's date, when the text does not give it.")
@click.option("--title", help="The release's title (default: found in the text).")
@click.option("--publisher", default="(publisher not given)", help="Who published it.")
@click.option("--url", help="Where it was published.")
@click.option("--html/--text", "as_html", default=None,
              help="Read as HTML or plain text (default: decided from the content).")
@click.option("--dry-run", is_flag=True, help="Show the proposals; store nothing.")
@click.option("--link", "links", multiple=True, metavar="PROPOSAL=ID",
              help="Treat a proposal as news about an existing follow-up (repeatable).")
@click.option("--new", "new", multiple=True, metavar="PROPOSAL",
              help="Store a proposal as a new follow-up, even if it resembles one.")
@_json_option
def ingest(release: Path, published: Window | None, title: str | None, publisher: str,
           url: str | None, as_html: bool | None, dry_run: bool, links: tuple[str, ...],
           new: tuple[str, ...], as_json: bool) -> None:
    """Propose the follow-ups a release commits to, and store them (FILE, or - for stdin)."""
    from events.extract import propose
    from events.ingest import ingest as store_release
    from events.reading import read_release

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
        raise click.UsageError(f"no publication date found in {name}: give it with "
                               "--published YYYY-MM-DD")
    proposals = propose(document, day)
    if dry_run or not proposals:
        if as_json:
            _emit_json([views.proposal_json(p) for p in proposals])
        elif not proposals:
            click.echo(f"No follow-ups found in {name}: nothing to store.")
        else:
            views.console().print(views.proposals_table(proposals))
        return
    app = _app()
    with app.register() as register:
        outcome = store_release(
            register, text=document.text, proposals=proposals,
            title=title or document.title or release.name, publisher=publisher,
            published=day, url=url, links=_pairs(links), new=set(new))
    if as_json:
        _emit_json({"already_ingested": outcome.already, "created": outcome.created,
                    "linked": outcome.linked, "notes": outcome.notes,
                    "changes": [views.change_json(c) for c in register.changes]})
        return
    if outcome.already:
        click.echo(f"{name} was ingested before: nothing changed.")
        return
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"Stored {len(outcome.created)} new follow-ups"
               + (f" and linked {len(outcome.linked)} to ones already kept"
                  if outcome.linked else "") + ".")
    views.console().print(views.changes_table(register.changes))
