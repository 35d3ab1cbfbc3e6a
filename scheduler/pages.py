"""Pages to look at: the timeline, a follow-up, and what changed, at an audience's address.

Served by the feed app (``followup serve`` and the daemon's server) under the audience's
feed token, so whoever holds the feed can see the page::

    GET /pages/<token>/<audience>/                     the timeline
    GET /pages/<token>/<audience>/followups/<id>       one follow-up
    GET /pages/<token>/<audience>/changes?since=DATE   what changed since DATE, newest first

The timeline takes ``from``, ``to`` (window forms: 2019, 2019-07, 2019-07-01), ``kind``,
``tag``, ``status`` and ``group`` (kind, tag or status). A wrong token, an unknown audience or
a follow-up the audience does not get is the same plain 404 as the feeds answer; a bad query
is a 400 page with the one line the command line would print.

Every page is rendered by :func:`render_page`. Its ``editor`` is None for a viewer; the
editor's routes call the same :class:`Pages` methods (kept in
``app.extensions["followup.pages"]``) with an object that carries the editor's base URL and
CSRF token, and the follow-up page then includes ``pages/_actions.html``. Links within the
pages are relative, so they stay under whichever address the reader came in by.

Pages carry no script and no inline style: the stylesheet is ``/pages/static/pages.css``, and
the SVG uses presentation attributes, so a strict Content-Security-Policy holds.

What a test (or a script) can rely on in the timeline: ``svg#timeline`` carries
``data-span-start``, ``data-span-end`` and the chart's left edge and width (``data-x0``,
``data-width``: a day's ``x`` is ``x0 + position(day, span) * width``); each drawn
follow-up is ``a#bar-ID`` (a link to its page) holding a ``rect`` with ``data-start``,
``data-end``, ``x`` and ``width``; each tie is ``path.connector`` with ``data-from`` (the
anchor) and ``data-to`` (the dependant); today is ``line#today`` with ``data-date``; an
undated follow-up is ``li#undated-ID``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, render_template, request
from flask import Response as FlaskResponse
from markupsafe import Markup, escape

from events.describe import facts
from events.errors import FollowupError, UnknownFollowUp, WindowError
from events.kinds import Kind, Status
from events.model import Change, FollowUp
from events.planning import Audience
from events.queue import Queue
from events.register import Register, standard_bus
from events.timeline import Choice, Grouping, Item, build, span_between, ticks
from events.window import format_window, parse_window
from scheduler.config import ALL_AUDIENCES
from scheduler.drawing import draw

if TYPE_CHECKING:
    from scheduler.feeds import FeedService

TEMPLATES = Path(str(files("followup_templates")))

#: Sent with every page: the token is in the address, so it must not leave in a Referer.
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

#: The changes page lists at most this many.
CHANGES_SHOWN = 500
#: Without ``since``, the changes page goes back this far.
CHANGES_BACK = timedelta(days=30)


class BadQuery(FollowupError):
    """A query string the page cannot use; the message says how to write it."""


def render_page(template: str, editor: Any = None, *, status: int = 200,
                **context: Any) -> FlaskResponse:
    """A page from ``templates/pages/``: ``editor`` is None for viewers."""
    body = render_template(f"pages/{template}", editor=editor, **context)
    response = FlaskResponse(body, status=status, content_type="text/html; charset=utf-8")
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def marked(paragraph: str, sentence: str) -> Markup:
    """``paragraph`` escaped, with ``sentence`` in it marked; spaces may differ between the
    two (a release's line breaks and no-break spaces are not the sentence's)."""
    words = sentence.split()
    if not words:
        return escape(paragraph)
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    found = pattern.search(paragraph)
    if found is None:
        return escape(paragraph)
    return (escape(paragraph[:found.start()]) + Markup("<mark>") + escape(found[0])
            + Markup("</mark>") + escape(paragraph[found.end():]))


def release_paragraph(followup: FollowUp) -> str | None:
    """The text of the release's paragraph the follow-up comes from, bullets included."""
    # The release reader and its date grammar, imported when a follow-up page is shown:
    # a server starting up need not compile them.
    from events.reading import paragraphs

    source = followup.source
    if source is None or followup.paragraph is None:
        return None
    _, found = paragraphs(source.text)
    parts = [p.text for p in found if p.number == followup.paragraph]
    return " ".join(parts) or None


def local(instant: datetime, zone: ZoneInfo) -> str:
    moment = instant.astimezone(zone)
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def change_words(change: Change) -> str:
    if change.old is None:
        return change.new or ""
    return f"{change.old} → {change.new or '(none)'}"


@dataclass(frozen=True)
class Viewer:
    """Who a page is for: the audience, its zone, and which follow-ups it gets."""

    audience: str
    zone: ZoneInfo
    #: The configured audience; None for "all", which gets every follow-up.
    chosen: Audience | None

    def chooses(self, kind: Kind, tags: tuple[str, ...] | list[str]) -> bool:
        return self.chosen is None or self.chosen.chooses(kind, tags)


def _enum_arg(args: Mapping[str, str], name: str, values: type[Kind] | type[Status]
              | type[Grouping]) -> Any:
    text = args.get(name, "").strip()
    if not text:
        return None
    try:
        return values(text.lower())
    except ValueError:
        raise BadQuery(f"{name}={text!r} is not known: use one of "
                       f"{', '.join(v.value for v in values)}") from None


def _window_arg(args: Mapping[str, str], name: str) -> Any:
    text = args.get(name, "").strip()
    try:
        return parse_window(text) if text else None
    except WindowError as error:
        raise BadQuery(f"{name}: {error}") from None


class Pages:
    """The pages' views, shared by the viewer's routes and the editor's."""

    def __init__(self, service: FeedService) -> None:
        self.service = service

    def viewer(self, audience: str) -> Viewer:
        self.service.check_audience(audience)
        chosen = (None if audience == ALL_AUDIENCES
                  else self.service.config.plan.audience(audience))
        zone = chosen.zone if chosen is not None else ZoneInfo(self.service.config.timezone)
        return Viewer(audience, zone, chosen)

    @contextmanager
    def _register(self) -> Iterator[Register]:
        """A register in a read-only transaction, for one page."""
        with self.service.store.transaction(write=False) as session:
            yield Register(session, now=self.service.clock(), bus=standard_bus())

    def today(self, viewer: Viewer) -> date:
        return self.service.clock().astimezone(viewer.zone).date()

    # -- the timeline ----------------------------------------------------------------

    def timeline(self, audience: str, args: Mapping[str, str],
                 editor: Any = None) -> FlaskResponse:
        viewer = self.viewer(audience)
        today = self.today(viewer)
        try:
            span = span_between(today, _window_arg(args, "from"), _window_arg(args, "to"))
            choice = Choice(kind=_enum_arg(args, "kind", Kind),
                            tag=args.get("tag", "").strip() or None,
                            status=_enum_arg(args, "status", Status),
                            group=_enum_arg(args, "group", Grouping))
        except FollowupError as error:
            return self.problem(viewer, error, editor)
        with self._register() as register:
            every = [i for i in register.timeline_items() if viewer.chooses(i.kind, i.tags)]
        timeline = build(every, today, span, choice)
        drawing = draw(timeline, ticks(span))
        kinds = sorted({i.kind for i in every}, key=list(Kind).index)
        tags = sorted({t for i in every for t in i.tags})
        statuses = sorted({i.status for i in every}, key=list(Status).index)
        return render_page(
            "timeline.html", editor, viewer=viewer, today=today, drawing=drawing,
            timeline=timeline, span=span, choice=choice, args=args, kinds=kinds, tags=tags,
            statuses=statuses, groupings=list(Grouping), format_window=format_window,
            query=_query(args), total=len(every))

    # -- one follow-up ---------------------------------------------------------------

    def followup(self, audience: str, followup_id: str, editor: Any = None,
                 problem: str | None = None) -> FlaskResponse:
        viewer = self.viewer(audience)
        today = self.today(viewer)
        with self._register() as register:
            try:
                followup = register.get(followup_id)
            except UnknownFollowUp:
                abort(404)
            if not viewer.chooses(followup.kind, followup.tags):
                abort(404)
            history = register.history(followup_id)
            riders = list(followup.riders)
            notices = Queue(register.session, register.now).of_followup(
                followup_id, None if audience == ALL_AUDIENCES else audience)
            paragraph = release_paragraph(followup)
            facts = _facts(followup, viewer.zone)
            item = Item(id=followup.id, title=followup.title, kind=followup.kind,
                        status=followup.status, window=followup.window)
            return render_page(
                "followup.html", editor, viewer=viewer, today=today, followup=followup,
                facts=facts, history=history, riders=riders, notices=notices,
                overdue=item.overdue(today),
                paragraph=None if paragraph is None else marked(paragraph,
                                                                followup.sentence or ""),
                local=lambda instant: local(instant, viewer.zone), change_words=change_words,
                problem=problem)

    # -- what changed ----------------------------------------------------------------

    def changes(self, audience: str, args: Mapping[str, str],
                editor: Any = None) -> FlaskResponse:
        viewer = self.viewer(audience)
        today = self.today(viewer)
        text = args.get("since", "").strip()
        try:
            since = date.fromisoformat(text) if text else today - CHANGES_BACK
        except ValueError:
            return self.problem(viewer, BadQuery(
                f"since={text!r} is not a date: write it as YYYY-MM-DD, such as 2019-01-24"),
                editor)
        # The calendar's first day, in a zone ahead of UTC, began before UTC's calendar did.
        instant = datetime.combine(max(since, date(1, 1, 2)), time(), viewer.zone)
        with self._register() as register:
            items = {i.id: i for i in register.timeline_items()}
            found = [c for c in register.changed_since(instant, limit=CHANGES_SHOWN * 4)
                     if c.followup_id in items
                     and viewer.chooses(items[c.followup_id].kind, items[c.followup_id].tags)]
        return render_page(
            "changes.html", editor, viewer=viewer, today=today, since=since,
            changes=found[:CHANGES_SHOWN], more=len(found) > CHANGES_SHOWN, items=items,
            local=lambda instant: local(instant, viewer.zone), change_words=change_words)

    def problem(self, viewer: Viewer, error: Exception, editor: Any = None) -> FlaskResponse:
        """A 400 page with the one line that says what is wrong with the query."""
        return render_page("problem.html", editor, viewer=viewer, today=self.today(viewer),
                           message=str(error), status=400)


def _query(args: Mapping[str, str]) -> Callable[..., str]:
    """A query string like the current one with some keys changed (None drops a key)."""

    def with_(**changes: str | None) -> str:
        kept = {k: v for k, v in args.items() if v and k not in changes}
        kept.update({k: v for k, v in changes.items() if v})
        return "?" + urlencode(kept) if kept else "./"

    return with_


def _facts(followup: FollowUp, zone: ZoneInfo) -> list[tuple[str, str]]:
    """What ``followup show`` lists, label and value, leaving out what is empty; a timed
    meeting's hours also in the reader's zone."""
    source = followup.source
    schedule = followup.schedule
    here = ""
    if schedule is not None and isinstance(schedule.start, datetime) \
            and isinstance(schedule.end, datetime) and schedule.timezone != zone.key:
        here = f"{local(schedule.start, zone)} – {local(schedule.end, zone)}"
    rows = []
    for label, value in facts(followup):
        rows.append((label, value))
        if label == "When":
            rows.append((f"In {zone.key}", here))
    if source is not None:
        rows.append(("Source", f"“{source.title}”, {source.publisher}, "
                               f"{source.published or 'undated'}"))
    return [(label, value) for label, value in rows if value]


def pages_blueprint(service: FeedService) -> Blueprint:
    pages = Pages(service)
    blueprint = Blueprint("pages", __name__, template_folder=str(TEMPLATES),
                          static_folder=str(TEMPLATES / "pages" / "static"),
                          static_url_path="/pages/static")

    def opened(token: str, audience: str) -> None:
        # The same check, and the same cost, as the feeds' (FeedService.token_matches).
        if not service.token_matches(audience, token):
            abort(404)

    @blueprint.get("/pages/<token>/<audience>/")
    def timeline(token: str, audience: str) -> FlaskResponse:
        opened(token, audience)
        return pages.timeline(audience, request.args)

    @blueprint.get("/pages/<token>/<audience>/followups/<followup_id>")
    def followup(token: str, audience: str, followup_id: str) -> FlaskResponse:
        opened(token, audience)
        return pages.followup(audience, followup_id)

    @blueprint.get("/pages/<token>/<audience>/changes")
    def changes(token: str, audience: str) -> FlaskResponse:
        opened(token, audience)
        return pages.changes(audience, request.args)

    @blueprint.record_once
    def keep(state: Any) -> None:
        app: Flask = state.app
        app.extensions["followup.pages"] = pages

    return blueprint


def page_url(service: FeedService, audience: str, token: str) -> str:
    """The timeline's address for an audience, beside its feed's."""
    return f"{service.config.feeds.url}/pages/{token}/{audience}/"
