"""Pages for people: the timeline of an audience's follow-ups and each follow-up's page.

A small first version, enough for acting from the page (``scheduler/editor.py``): the
timeline is server-drawn SVG, one row per dated follow-up, a bar per window from its first to
its last day, anchors as connectors, a line for today. ``GET /pages/<feed token>/<audience>/``
and ``/pages/<feed token>/<audience>/followups/<id>``; a wrong token is a plain 404.

The editor serves these same pages at its own address: it sets ``flask.g.editor`` and
:func:`render_page` then offers the forms and links within the editor's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, g, request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from events.model import Change, FollowUp
from scheduler.config import ALL_AUDIENCES
from scheduler.feeds import FeedService

__all__ = ["Bar", "pages_blueprint", "render_page", "timeline_bars"]

_ENV = Environment(
    loader=PackageLoader("followup_templates", "pages"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(default=True, default_for_string=True),
    auto_reload=False,
)

DAY_WIDTH = 2.0
ROW_HEIGHT = 22
LEFT = 10


@dataclass(frozen=True)
class Bar:
    id: str
    title: str
    status: str
    start: date
    #: The last day, or None for a window open at its end.
    end: date | None
    x: float
    width: float
    y: float
    anchor_id: str | None


def timeline_bars(followups: list[FollowUp], first: date, last: date) -> list[Bar]:
    """A bar for every dated follow-up, placed by its first and last day on a scale of
    ``DAY_WIDTH`` per day from ``first``; a window open at its end runs to ``last``."""
    bars = []
    for row, followup in enumerate(f for f in followups if f.earliest is not None):
        start = followup.earliest
        assert start is not None
        end = followup.latest
        reach = (end or last) + timedelta(days=1)
        x = LEFT + (start - first).days * DAY_WIDTH
        bars.append(Bar(followup.id, followup.title, followup.status.value, start, end, x,
                        (reach - start).days * DAY_WIDTH, 30 + row * ROW_HEIGHT,
                        followup.anchor_id))
    return bars


def render_page(template: str, editor: Any = None, **context: Any) -> Response:
    """A page from ``templates/pages``; with an editor (given, or set on ``g`` by the editor
    blueprint) it offers the forms, and its links stay within the editor's address."""
    if editor is None:
        editor = g.get("editor")
    args = request.view_args or {}
    base = editor.base if editor is not None else (
        f"/pages/{args.get('token')}/{args.get('audience')}")
    body = _ENV.get_template(template).render(editor=editor, base=base, **context)
    return Response(body, content_type="text/html; charset=utf-8")


def pages_blueprint(service: FeedService) -> Blueprint:
    pages = Blueprint("pages", __name__)

    def chosen(audience: str) -> list[FollowUp]:
        with service.store.transaction(write=False) as session:
            followups = list(session.scalars(select(FollowUp).order_by(
                FollowUp.earliest.is_(None), FollowUp.earliest, FollowUp.id)).unique())
            session.expunge_all()
        if audience == ALL_AUDIENCES:
            return followups
        reader = service.config.plan.audience(audience)
        return [f for f in followups if reader is not None and reader.chooses(f.kind, f.tags)]

    def check(token: str, audience: str) -> None:
        if not service.token_matches(audience, token):
            abort(404)

    @pages.get("/pages/page.css")
    def stylesheet() -> Response:
        css = _ENV.loader.get_source(_ENV, "page.css")[0]  # type: ignore[union-attr]
        return Response(css, content_type="text/css; charset=utf-8")

    @pages.get("/pages/<token>/<audience>/")
    def timeline(token: str, audience: str) -> Response:
        check(token, audience)
        today = service.clock().date()
        first, last = today - timedelta(days=91), today + timedelta(days=366)
        followups = chosen(audience)
        bars = timeline_bars(followups, first, last)
        rows = {bar.id: bar for bar in bars}
        return render_page(
            "timeline.html", audience=audience, bars=bars, rows=rows, first=first, last=last,
            today_x=LEFT + (today - first).days * DAY_WIDTH,
            width=LEFT * 2 + (last - first).days * DAY_WIDTH,
            height=40 + len(bars) * ROW_HEIGHT,
            undated=[f for f in followups if f.earliest is None])

    @pages.get("/pages/<token>/<audience>/followups/<followup_id>")
    def followup(token: str, audience: str, followup_id: str) -> Response:
        check(token, audience)
        found = next((f for f in chosen(audience) if f.id == followup_id), None)
        if found is None:
            abort(404)
        with service.store.transaction(write=False) as session:
            history = list(session.scalars(select(Change).where(
                Change.followup_id == followup_id).order_by(Change.id)))
            dependants = list(session.scalars(select(FollowUp.id).where(
                FollowUp.anchor_id == followup_id).order_by(FollowUp.id)))
            session.expunge_all()
        return render_page("followup.html", audience=audience, followup=found,
                           history=history, dependants=dependants)

    return pages
