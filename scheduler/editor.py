"""Acting from the page: the viewer's pages at an audience's editor address, with forms.

``GET /edit/<editor token>/<audience>/`` (and ``followups/<id>``, ``changes``) serves what
the viewer serves at ``/pages/<feed token>/<audience>/...``, through the same
:class:`~scheduler.pages.Pages` views given an :class:`~scheduler.editors.Editor`: the
follow-up page then offers its forms, and the pages' relative links keep the reader within
the editor address. ``POST /edit/<editor token>/<audience>/followups/<id>/<action>`` does one
action (``scheduler/actions.py``) through the register in one transaction, as the command
does: the bus re-derives what is tied to it and plans the notices, and the feeds' version
rises, before the answer. It then redirects (303) to the follow-up page, which says in one
line what was done. Bad input is shown on that page in the command's words, with status 400,
and nothing is changed.

A wrong editor token, an unknown audience or a follow-up the audience does not see is the
same plain 404 as any unknown address. A POST must carry the audience's form token: it is
only ever written into the page's forms, never into an address, so an address seen in a log
or a browser's history is not enough for another site to post a form blindly; without the
right one the POST is refused (403) before anything is read. The token is kept in the
database (``editor_tokens``) rather than derived from a secret of the process, so that every
server of the register and a restarted one accept the forms the others gave out, and it is
replaced with the editor address.

Every response of the server, pages, feeds and errors alike, carries the pages' strict
Content-Security-Policy (no script at all, no inline style, forms post only here, no
framing), ``Referrer-Policy: no-referrer`` (an address never leaves in a Referer) and
``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from events.errors import FollowupError, StoreError
from events.model import FollowUp
from scheduler.actions import ACTIONS, Acting, StaleForm, act
from scheduler.app import App
from scheduler.editors import Editor, EditorTokens
from scheduler.feeds import FeedService
from scheduler.pages import HEADERS, Pages

__all__ = ["SECURITY_HEADERS", "editor_blueprint"]

#: The pages' own headers, on every response; caching is left to each route (a feed is
#: revalidated, a page is never stored).
SECURITY_HEADERS = {name: value for name, value in HEADERS.items() if name != "Cache-Control"}

REFUSED = ("refused: the form carries no valid form token; open the follow-up's page at the "
           "editor address again and send the form from there\n")


def _signed(line: str, key: str) -> str:
    return hmac.new(key.encode(), line.encode(), hashlib.sha256).hexdigest()[:32]


def editor_blueprint(service: FeedService) -> Blueprint:
    blueprint = Blueprint("editor", __name__)
    addresses = EditorTokens(service)
    # The register as the commands use it, on the feed server's store and clock.
    app = App(service.config, clock=service.clock, store=service.store)

    def opened(token: str, audience: str) -> Editor:
        found = addresses.editor(audience, token)
        if found is None:
            abort(404)
        return found

    def sees(audience: str, followup_id: str) -> bool:
        """Whether the audience's pages show ``followup_id``: only those can be acted on."""
        viewer = pages().viewer(audience)
        with service.store.transaction(write=False) as session:
            followup = session.get(FollowUp, followup_id)
            return followup is not None and viewer.chooses(followup.kind, followup.tags)

    def pages() -> Pages:
        found: Pages = current_app.extensions["followup.pages"]
        return found

    def said(editor: Editor) -> Editor:
        """``editor`` with the confirmation line of the address, if the server signed it."""
        line, signature = request.args.get("said"), request.args.get("sig", "")
        if line is not None and hmac.compare_digest(
                signature.encode(), _signed(line, editor.form_token).encode()):
            return replace(editor, said=line)
        return editor

    @blueprint.get("/edit/<token>/<audience>/")
    def timeline(token: str, audience: str) -> Response:
        return pages().timeline(audience, request.args, opened(token, audience))

    @blueprint.get("/edit/<token>/<audience>/followups/<followup_id>")
    def followup(token: str, audience: str, followup_id: str) -> Response:
        return pages().followup(audience, followup_id, said(opened(token, audience)))

    @blueprint.get("/edit/<token>/<audience>/changes")
    def changes(token: str, audience: str) -> Response:
        return pages().changes(audience, request.args, opened(token, audience))

    @blueprint.post("/edit/<token>/<audience>/followups/<followup_id>/<action>")
    def acting(token: str, audience: str, followup_id: str, action: str) -> BaseResponse:
        editor = opened(token, audience)
        if action not in ACTIONS:
            abort(404)
        sent = request.form.get("form_token", "")
        if not hmac.compare_digest(sent.encode(), editor.form_token.encode()):
            return Response(REFUSED, status=403, content_type="text/plain; charset=utf-8")
        if not sees(audience, followup_id):
            abort(404)
        fields = {name: value for name, value in request.form.items() if name != "form_token"}
        who = Acting(config=service.config, today=app.today(), audience=audience)
        try:
            with app.register() as register:
                line = act(register, who, followup_id, action, fields)
        except FollowupError as error:
            shown = replace(editor, action=action, typed=fields)
            response = pages().followup(audience, followup_id, shown, problem=str(error))
            # The database busy or unreachable is not the form's fault; a form shown before
            # the follow-up changed conflicts with it.
            response.status_code = (503 if isinstance(error, StoreError)
                                    else 409 if isinstance(error, StaleForm) else 400)
            return response
        query = urlencode({"said": line, "sig": _signed(line, editor.form_token)})
        return redirect(f"{editor.base}/followups/{followup_id}?{query}", code=303)

    @blueprint.after_app_request
    def secured(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return blueprint
