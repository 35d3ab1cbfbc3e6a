"""Calendar feeds and pages over HTTP: Flask under waitress, in a thread of its own.

``GET`` or ``HEAD /feeds/<token>/<audience>.ics``. A wrong token or audience, or any other
path, is a plain 404 that says nothing more. A wrong token and an unknown audience cost the
same work (one token read, one constant-time comparison), so timing does not tell which
audiences exist. The body is :class:`scheduler.feeds.FeedService`'s; a 304 needs no body.

Conditional requests are answered in the order RFC 9110 gives: ``If-Match`` (else
``If-Unmodified-Since``) fails with an empty 412, then ``If-None-Match`` (else
``If-Modified-Since``) gives a 304. ``Last-Modified`` never goes back and moves forward with
every new body (see :meth:`FeedService.render`), and a 304 keeps the connection open.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, abort, request
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask
from werkzeug.wrappers import Response as BaseResponse

from events.errors import FollowupError
from scheduler.feeds import FeedService

if TYPE_CHECKING:
    from scheduler.metrics import Metrics

log = logging.getLogger("followup.feeds")


def create_app(service: FeedService, metrics: Metrics | None = None) -> Flask:
    from scheduler.editor import editor_blueprint
    from scheduler.pages import pages_blueprint

    app = Flask("followup")
    if metrics is not None:
        metrics.serve(app)  # /metrics and a count of every request; else /metrics is a 404
    app.register_blueprint(pages_blueprint(service))
    app.register_blueprint(editor_blueprint(service))

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", content_type="text/plain; charset=utf-8")

    @app.get("/feeds/<token>/<name>.ics")
    def calendar(token: str, name: str) -> BaseResponse:
        if not service.token_matches(name, token):
            abort(404)
        rendered = service.render(name)
        now = service.clock()
        compressed = request.accept_encodings.quality("gzip") > 0
        # A strong ETag names exact bytes, so the two encodings have different ones.
        etag = rendered.etag + ("-gzip" if compressed else "")
        modified = service.modified_for(name, rendered, now)
        status = precondition(request, etag, modified)
        response = Response(b"" if status else
                            service.gzipped(name, rendered) if compressed else rendered.body,
                            status=status or 200)
        if status:
            response.headers.remove("Content-Type")  # there is no content to have a type
        else:
            response.content_type = "text/calendar; charset=utf-8"
            if compressed:
                response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = "no-cache"
        response.set_etag(etag)
        # Date comes from the same clock reading as the choice of Last-Modified, so the one is
        # never later than the other.
        response.date = now
        if modified is not None:
            response.last_modified = modified
        return response

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(_error: Any) -> Response:
        return Response("not found\n", status=404, content_type="text/plain; charset=utf-8")

    return app


def precondition(req: Request, etag: str, modified: datetime | None) -> int | None:
    """412 or 304 for a conditional request, or None for the whole feed (RFC 9110 13.2.2).

    Werkzeug's ``make_conditional`` is not used: it answers a failed If-Match with the whole
    body and treats ``If-Match: *`` as a failure.
    """
    since = req.if_unmodified_since
    if "If-Match" in req.headers:
        # Strong comparison: a weak tag never matches for If-Match.
        if not (req.if_match.star_tag or req.if_match.is_strong(etag)):
            return 412
    elif since is not None and modified is not None and modified > since:
        return 412
    since = req.if_modified_since
    if "If-None-Match" in req.headers:
        if req.if_none_match.star_tag or req.if_none_match.contains_weak(etag):
            return 304
    elif since is not None and modified is not None and modified <= since:
        return 304
    return None


class _KeepAliveTask(WSGITask):  # type: ignore[misc]
    """waitress's task, except that a response without a body keeps the connection open.

    waitress (3.0) closes an HTTP/1.1 connection after any response that has no
    Content-Length, and it drops Content-Length from a 304 (which must not carry one), so
    every 304 closes the connection and the client's next conditional request pays for a new
    one. A 304, 204 or 1xx is complete at the end of its headers; only the close that the
    missing length causes is left out, never one the client asked for.
    """

    _keep_open = False

    def build_response_header(self) -> bytes:
        self._keep_open = (
            self.version == "1.1" and not self.has_body and not self.close_on_finish
            and self.request.headers.get("CONNECTION", "").lower() != "close")
        try:
            return bytes(super().build_response_header())
        finally:
            self._keep_open = False

    def set_close_on_finish(self) -> None:
        if not self._keep_open:
            super().set_close_on_finish()


class _KeepAliveChannel(HTTPChannel):  # type: ignore[misc]
    task_class = _KeepAliveTask


class FeedServer:
    """The feed app under waitress, in a thread of its own."""

    def __init__(self, service: FeedService, host: str, port: int,
                 metrics: Metrics | None = None) -> None:
        try:
            self.server: Any = create_server(create_app(service, metrics), host=host, port=port,
                                             threads=4, ident="followup")
            self.server.channel_class = _KeepAliveChannel
        except OSError as error:
            raise FollowupError(f"cannot serve feeds on {host}:{port}: {error.strerror}; "
                                "choose another port with --port or feeds.port") from None
        self.host = host
        self.metrics = metrics
        self._stopping = threading.Event()
        # Held while the loop closes its channels (the wake-up trigger among them), so that
        # stop() never writes to the trigger once it is closed: its file descriptor number
        # may belong to another file by then.
        self._closing = threading.Lock()
        self._closed = False
        self.thread = threading.Thread(target=self._run, name="feeds", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def start(self) -> None:
        self.thread.start()
        log.info("feeds served on http://%s:%d/feeds/TOKEN/AUDIENCE.ics, pages on "
                 "/pages/TOKEN/AUDIENCE/ ('followup feeds' lists them)", self.host, self.port)
        if self.metrics is not None:
            log.info("metrics served on http://%s:%d/metrics", self.host, self.port)

    def _run(self) -> None:
        # waitress's own run() loops until the process ends; this loop also ends when asked,
        # and closes the server in its own thread, so no socket is closed under select().
        server = self.server
        try:
            while not self._stopping.is_set():
                server.asyncore.loop(timeout=0.5, map=server._map, count=1,
                                     use_poll=server.adj.asyncore_use_poll)
        finally:
            server.task_dispatcher.shutdown()
            with self._closing:
                self._closed = True
                for channel in list(server._map.values()):
                    channel.close()

    def stop(self) -> None:
        self._stopping.set()
        with self._closing:
            if not self._closed:
                self.server.pull_trigger()
        self.thread.join(timeout=10)
