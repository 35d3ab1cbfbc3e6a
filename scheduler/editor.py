"""Acting from the page: the viewer's pages at an audience's editor address, with forms.

``GET /edit/<editor token>/<audience>/...`` serves the page the viewer serves at
``/pages/<feed token>/<audience>/...``, with ``g.editor`` set so that the follow-up page
offers its forms and every link stays within the editor address. ``POST
/edit/<editor token>/<audience>/followups/<id>/<action>`` does one action
(``scheduler/actions.py``) through the register in one transaction, as the command does: the
bus re-derives what is tied to it and plans the notices, and the feeds' version rises, before
the answer. It then redirects (303) to the follow-up page, which says in one line what was
done. Bad input is shown on that page in the command's words, with status 400, and nothing
is changed.

A wrong editor token, an unknown audience or a follow-up the audience does not see is the
same plain 404 as any unknown address. A POST must carry the audience's form token: it is
only ever written into the page's forms, never into an address, so an address seen in a log
or a browser's history is not enough for another site to post a form blindly; without the
right one the POST is refused (403) before anything is read.

Every response of the server carries a strict Content-Security-Policy (no script at all, no
inline style, forms post only here, no framing), ``Referrer-Policy: no-referrer`` (an editor
address never leaves in a Referer), and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, redirect, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from events.errors import FollowupError, StoreError
from events.model import FeedToken, FollowUp
from scheduler.actions import ACTIONS, Acting, act
from scheduler.app import App
from scheduler.config import ALL_AUDIENCES
from scheduler.editors import Editor, EditorTokens
from scheduler.feeds import FeedService

__all__ = ["SECURITY_HEADERS", "editor_blueprint"]

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

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
        with service.store.transaction(write=False) as session:
            followup = session.get(FollowUp, followup_id)
            if followup is None:
                return False
            if audience == ALL_AUDIENCES:
                return True
            reader = service.config.plan.audience(audience)
            return reader is not None and reader.chooses(followup.kind, followup.tags)

    def viewer_page(editor: Editor, rest: str) -> Response:
        """The viewer's page at ``rest``, served with the forms."""
        audience = editor.audience
        with service.store.transaction(write=False) as session:
            held = session.get(FeedToken, audience)
        feed_token = held.token if held is not None else service.tokens()[audience]
        adapter = current_app.url_map.bind("localhost")
        try:
            endpoint, args = adapter.match(f"/pages/{feed_token}/{audience}/{rest}", "GET")
        except HTTPException:
            abort(404)
        if not endpoint.startswith("pages."):
            abort(404)
        g.editor = editor
        view: Any = current_app.view_functions[endpoint]
        return current_app.make_response(view(**args))

    @blueprint.get("/edit/<token>/<audience>/", defaults={"rest": ""})
    @blueprint.get("/edit/<token>/<audience>/<path:rest>")
    def page(token: str, audience: str, rest: str) -> Response:
        editor = opened(token, audience)
        said, signature = request.args.get("said"), request.args.get("sig", "")
        if said is not None and hmac.compare_digest(
                signature.encode(), _signed(said, editor.form_token).encode()):
            editor = replace(editor, said=said)
        response = viewer_page(editor, rest)
        response.headers["Cache-Control"] = "no-store"  # it holds the form token
        return response

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
            shown = replace(editor, problem=str(error), action=action, typed=fields)
            response = viewer_page(shown, f"followups/{followup_id}")
            # The database busy or unreachable is not the form's fault.
            response.status_code = 503 if isinstance(error, StoreError) else 400
            response.headers["Cache-Control"] = "no-store"
            return response
        query = urlencode({"said": line, "sig": _signed(line, editor.form_token)})
        return redirect(f"{editor.base}/followups/{followup_id}?{query}", code=303)

    @blueprint.after_app_request
    def secured(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return blueprint
