"""Calendar feeds over HTTP: secret per-audience addresses, cached bodies, conditional GETs.

``GET`` or ``HEAD /feeds/<token>/<audience>.ics`` (Flask under waitress). A wrong token or
audience, or any other path, is a plain 404 that says nothing more. Tokens are compared in
constant time. Each request asks the database only for the follow-ups' revisions: when none
changed, the cached body (or a 304) is the answer; when some did, only their events are
rendered again.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, request
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from waitress.server import create_server
from werkzeug.wrappers import Response as BaseResponse

from events.errors import FollowupError
from events.feed import BlockCache, FeedSettings, Version, feed
from events.model import FeedToken, FollowUp
from events.store import Store
from scheduler.config import ALL_AUDIENCES, Config

log = logging.getLogger("followup.feeds")


class UnknownAudience(FollowupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no audience {name!r}: use one of {', '.join(known)}")


@dataclass(frozen=True)
class FeedBody:
    #: How many follow-ups there were and the sum of their revisions: revisions only grow,
    #: so any change anywhere in the register changes this pair.
    stamp: tuple[int, int]
    etag: str
    body: bytes
    gzipped: bytes
    last_modified: datetime | None


class FeedService:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self.settings: FeedSettings = config.feeds.settings
        self.blocks = BlockCache(self.settings)
        self._bodies: dict[str, FeedBody] = {}
        self._lock = threading.Lock()

    def audiences(self) -> list[str]:
        return [a.name for a in self.config.plan.audiences] + [ALL_AUDIENCES]

    def check_audience(self, name: str) -> None:
        if name not in self.audiences():
            raise UnknownAudience(name, self.audiences())

    def render(self, name: str) -> FeedBody:
        """The feed for an audience (or "all"), rendering only what changed since last time."""
        self.check_audience(name)
        audience = self.config.plan.audience(name)
        anchor = aliased(FollowUp)
        with self.store.transaction(write=False) as session:
            count, total = session.execute(
                select(func.count(), func.coalesce(func.sum(FollowUp.revision), 0))).one()
            stamp = (int(count), int(total))
            with self._lock:
                cached = self._bodies.get(name)
            if cached is not None and cached.stamp == stamp:
                return cached  # nothing changed anywhere: no need to look closer
            rows = session.execute(
                select(FollowUp.id, FollowUp.revision, FollowUp.updated_at, FollowUp.kind,
                       FollowUp.tags, anchor.revision)
                .outerjoin(anchor, FollowUp.anchor_id == anchor.id)
                .order_by(FollowUp.earliest.is_(None), FollowUp.earliest, FollowUp.id)
            ).all()
            chosen = [r for r in rows if audience is None or audience.chooses(r[3], r[4])]
            versions = [(r[0], (r[1], r[5] or 0)) for r in chosen]
            etag = self._etag(name, versions)
            if cached is not None and cached.etag == etag:
                cached = FeedBody(stamp, cached.etag, cached.body, cached.gzipped,
                                  cached.last_modified)
                with self._lock:
                    self._bodies[name] = cached
                return cached
            missing = [fid for fid, version in versions if self.blocks.get(fid, version) is None]
            for start in range(0, len(missing), 500):
                for followup in session.scalars(select(FollowUp).where(
                        FollowUp.id.in_(missing[start:start + 500]))).unique():
                    self.blocks.put(followup)
        blocks = [self.blocks.get(fid, version) for fid, version in versions]
        body = feed([b for b in blocks if b is not None], self.settings, name)
        last_modified = max((r[2] for r in chosen), default=None)
        rendered = FeedBody(stamp, etag, body, gzip.compress(body, mtime=0), last_modified)
        with self._lock:
            self._bodies[name] = rendered
        return rendered

    def _etag(self, name: str, versions: list[tuple[str, Version]]) -> str:
        digest = hashlib.sha256(repr((self.settings, name)).encode())
        for followup_id, version in versions:
            digest.update(f"{followup_id}:{version};".encode())
        return digest.hexdigest()[:32]

    # -- tokens ------------------------------------------------------------------------

    def tokens(self) -> dict[str, str]:
        """Each audience's token, made on first use."""
        now = datetime.now(UTC)
        with self.store.transaction(write=True) as session:
            held = {t.audience: t.token for t in session.scalars(select(FeedToken))}
            for name in self.audiences():
                if name not in held:
                    held[name] = secrets.token_urlsafe(24)
                    session.add(FeedToken(audience=name, token=held[name], created_at=now))
        return {name: held[name] for name in self.audiences()}

    def rotate(self, name: str) -> str:
        self.check_audience(name)
        token = secrets.token_urlsafe(24)
        with self.store.transaction(write=True) as session:
            session.merge(FeedToken(audience=name, token=token, created_at=datetime.now(UTC)))
        return token

    def token_matches(self, name: str, token: str) -> bool:
        with self.store.transaction(write=False) as session:
            held = session.get(FeedToken, name)
        # Compared in constant time, so timing says nothing about how much was right.
        return held is not None and hmac.compare_digest(held.token.encode(), token.encode())

    def url(self, name: str, token: str) -> str:
        return f"{self.config.feeds.url}/feeds/{token}/{name}.ics"


def create_app(service: FeedService) -> Flask:
    app = Flask("followup")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", content_type="text/plain; charset=utf-8")

    @app.get("/feeds/<token>/<name>.ics")
    def calendar(token: str, name: str) -> BaseResponse:
        if name not in service.audiences() or not service.token_matches(name, token):
            abort(404)
        rendered = service.render(name)
        compressed = request.accept_encodings.quality("gzip") > 0
        response = Response(rendered.gzipped if compressed else rendered.body,
                            content_type="text/calendar; charset=utf-8")
        if compressed:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = "no-cache"
        # A strong ETag names exact bytes, so the two encodings have different ones.
        response.set_etag(rendered.etag + ("-gzip" if compressed else ""))
        if rendered.last_modified is not None:
            response.last_modified = rendered.last_modified
        return response.make_conditional(request)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(_error: Any) -> Response:
        return Response("not found\n", status=404, content_type="text/plain; charset=utf-8")

    return app


class FeedServer:
    """The feed app under waitress, in a thread of its own."""

    def __init__(self, service: FeedService, host: str, port: int) -> None:
        try:
            self.server: Any = create_server(create_app(service), host=host, port=port,
                                             threads=4, ident="followup")
        except OSError as error:
            raise FollowupError(f"cannot serve feeds on {host}:{port}: {error.strerror}; "
                                "choose another port with --port or feeds.port") from None
        self.host = host
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="feeds", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def start(self) -> None:
        self.thread.start()
        log.info("feeds served on http://%s:%d/feeds/TOKEN/AUDIENCE.ics "
                 "('followup feeds' lists them)", self.host, self.port)

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
            for channel in list(server._map.values()):
                channel.close()

    def stop(self) -> None:
        self._stopping.set()
        self.server.pull_trigger()
        self.thread.join(timeout=10)
