"""Commands for calendar feeds: export, serve, and the feed addresses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from events.errors import FollowupError
from scheduler.cli_common import current_app, emit_json, json_option

if TYPE_CHECKING:
    from scheduler.feeds import FeedService


def _feed_service() -> FeedService:
    from scheduler.feeds import FeedService

    app = current_app()
    app.open()
    return FeedService(app.store, app.config)


@click.command()
@click.option(
    "--audience",
    default="all",
    show_default=True,
    help="Whose feed: an audience's name, or all for every follow-up.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def export(audience: str, out: Path | None) -> None:
    """Write a calendar feed (.ics), the same bytes the feed server serves."""
    service = _feed_service()
    service.check_audience(audience)
    pieces = service.stream(audience)  # a batch of events at a time
    if out is None:
        sys.stdout.buffer.writelines(pieces)
        sys.stdout.buffer.flush()
        return
    # Written beside the target and renamed over it: a reader never sees half a file.
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as written:
            written.writelines(pieces)
            size = written.tell()
        partial.replace(out)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise FollowupError(f"cannot write {out}: {error.strerror}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(f"Wrote {out} ({size:,} bytes).", err=True)


@click.command()
@click.option("--host", help="Address to listen on (default: feeds.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: feeds.port).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the calendar feeds over HTTP until stopped."""
    import signal
    import threading

    from scheduler import logs
    from scheduler.feed_server import FeedServer

    logs.configure(current_app().config.log)
    service = _feed_service()
    app = current_app()
    config = app.config.feeds
    service.tokens()
    metrics = None
    if app.config.metrics.enabled:
        from scheduler.metrics import Metrics

        metrics = Metrics(app.store, app.clock)
    server = FeedServer(service, host or config.host, port or config.port, metrics)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    while not stop.wait(1.0):
        pass
    server.stop()


@click.group(invoke_without_command=True)
@click.option("--editors", is_flag=True,
              help="The editor addresses instead: whoever holds one can change follow-ups.")
@json_option
@click.pass_context
def feeds(ctx: click.Context, editors: bool, as_json: bool) -> None:
    """The feed addresses to subscribe to, one per audience and one for all, each with the
    address of its page (the timeline)."""
    if ctx.invoked_subcommand is not None:
        return
    from scheduler.feed_reach import say_who_can_reach
    from scheduler.pages import page_url

    service = _feed_service()
    if editors:
        _list_editors(service, as_json)
        return
    rows = []
    for name, token in service.tokens().items():
        url = service.url(name, token)
        rows.append({"audience": name, "url": url, "webcal": "webcal://" + url.split("://", 1)[1],
                     "page": page_url(service, name, token)})
    say_who_can_reach(current_app().config.feeds)
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['audience']}\n  {row['url']}\n  {row['webcal']}\n"
                   f"  page: {row['page']}")


def _list_editors(service: FeedService, as_json: bool) -> None:
    from scheduler.editors import EditorTokens

    addresses = EditorTokens(service)
    rows = [{"audience": name, "editor": addresses.url(name, token)}
            for name, token in addresses.tokens().items()]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['audience']}\n  {row['editor']}")
    click.echo("Whoever holds an editor address can change that audience's follow-ups:\n"
               "keep it to the desk ('followup feeds rotate AUDIENCE --editor' replaces one).",
               err=True)


@feeds.command()
@click.argument("audience")
@click.option("--editor", is_flag=True,
              help="Replace the editor address instead of the feed address.")
def rotate(audience: str, editor: bool) -> None:
    """Give an audience's feed a new secret address; the old one stops working."""
    service = _feed_service()
    if editor:
        from scheduler.editors import EditorTokens

        addresses = EditorTokens(service)
        token = addresses.rotate(audience)
        click.echo(f"{audience}: new editor address {addresses.url(audience, token)}")
        click.echo("The old editor address and the forms it gave out no longer work.",
                   err=True)
        return
    token = service.rotate(audience)
    click.echo(f"{audience}: new address {service.url(audience, token)}")
    click.echo("The old address no longer works: give subscribers the new one.", err=True)


COMMANDS = [export, serve, feeds]
