"""A real HTTP endpoint on loopback for the tests: takes Apprise's ``json://`` posts, keeps
them, and answers as told (a status, after a delay)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Post:
    path: str
    body: dict[str, Any]
    status: int
    #: Answered only after a delay the client may not have waited for.
    delayed: bool


@dataclass
class Endpoint:
    """What the endpoint answers (``status`` after ``delay`` seconds) and what it got."""

    status: int = 200
    delay: float = 0.0
    posts: list[Post] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Post]:
        """The posts answered with a 2xx at once: deliveries the client saw succeed."""
        return [p for p in self.posts if p.status < 300 and not p.delayed]

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        endpoint = self.server.endpoint
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        status, delay = endpoint.status, endpoint.delay
        with endpoint._lock:
            endpoint.posts.append(Post(self.path, body, status, delayed=bool(delay)))
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the client gave up waiting

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: Endpoint


@contextmanager
def webhook(endpoint: Endpoint | None = None) -> Iterator[Endpoint]:
    endpoint = endpoint or Endpoint()
    server = _Server(("127.0.0.1", endpoint.port), _Handler)
    server.endpoint = endpoint
    endpoint.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    try:
        yield endpoint
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
