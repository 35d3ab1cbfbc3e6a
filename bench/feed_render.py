"""Feeds of 1,000, 10,000 and 100,000 follow-ups, each figure beside a peer doing the same work.

    python bench/feed_render.py [--sizes 1000 10000 100000] [--full 10000] [--rounds 5]

At the size given by ``--full`` (10,000):

- cold, in a fresh process, process start-up included as a user pays it:
  ``followup export`` with every event kept in the database by an earlier process, the same
  with nothing kept (every event rendered, as after an upgrade), and ``followup serve``
  from its start to the last byte of its first response; beside the plain writer
  (bench/plain_writer.py) in a fresh process, producing the same bytes (checked) from the
  same rows read once, and beside icalendar building the whole calendar and serializing it
  once (the same bytes, checked), also in a fresh process;
- incremental, one follow-up changed through the register: the service re-publishing the
  feed (plain, and gzip), and the real server answering the next GET over HTTP; beside the
  plain writer kept running, which re-reads the revisions and writes only the changed event.

At every size, over HTTP to a running ``followup serve`` on one kept-alive connection: an
unchanged feed (plain, and gzip: the transfer grows with the feed), a conditional request
answered 304, and the service's own work for an unchanged feed; beside a bare
``http.server`` answering 304 and waitress (the server's HTTP stack) around an application
that does nothing, the floors of an HTTP round trip from Python.

Medians of ``--rounds``; the machine's other load shows in them, so run it twice.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text

from bench import plain_writer
from events.feed import calendar_parts, vevents
from events.model import FeedToken, FollowUp, Kind, Status
from events.register import Register, standard_bus
from events.window import Window
from scheduler.app import App
from scheduler.config import load_config
from scheduler.feeds import FeedService

FOLLOWUP = Path(sys.executable).with_name("followup")
MOVED = "fu-00007"


def fill(app: App, count: int) -> None:
    """``count`` follow-ups of five shapes, written in bulk as the register writes them."""
    now = datetime(2026, 11, 28, tzinfo=UTC)
    rows = []
    for index in range(count):
        shape = index % 5
        start = date(2019, 1, 1) + timedelta(days=index % 700)
        window = [Window.day(start), Window.month(start.year, start.month),
                  Window.half_year(2019 + index % 3, 1 + index % 2),
                  Window.open_from(start), Window.undated()][shape]
        rows.append({
            "id": f"fu-{index:05d}", "title": f"Follow-up {index}: joint seminar, 서울; “TBC”",
            "kind": list(Kind)[index % len(Kind)],
            "status": Status.SCHEDULED if shape == 0 else Status.EXPECTED,
            "parties": ["ROK", "China"], "location": "Seoul, Korea" if index % 2 else None,
            "earliest": window.earliest, "latest": window.latest, "precision": window.precision,
            "start_date": start if shape == 0 else None, "end_date": start if shape == 0 else None,
            "margin_days": 0, "paragraph": 1 + index % 7,
            "sentence": "The two sides agreed to hold a seminar in the second half of 2019.",
            "tags": ["bench"], "next_step": "Ask for the date.", "revision": 1,
            "created_at": now, "updated_at": now})
    with app.store.transaction(write=True) as session:
        for start_row in range(0, count, 5000):
            session.execute(insert(FollowUp), rows[start_row:start_row + 5000])


def move(app: App, month: int) -> None:
    """One follow-up moved to another month through the register, as the CLI would."""
    with app.store.transaction(write=True) as session:
        Register(session, now=datetime.now(UTC), bus=standard_bus()).move(
            MOVED, Window.month(2020, month), why="bench")


def median_ms(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def env(config: Path) -> dict[str, str]:
    return {**os.environ, "FOLLOWUP_CONFIG": str(config)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """``followup serve`` in a process of its own, and a kept-alive connection to it."""

    def __init__(self, config: Path, app: App) -> None:
        self.port = free_port()
        self.started = time.perf_counter()
        self.process = subprocess.Popen([FOLLOWUP, "serve", "--port", str(self.port)],
                                        env=env(config), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.app = app
        self.path = ""
        self.connection: http.client.HTTPConnection | None = None

    def first_body(self) -> bytes:
        """Waits for the server, then fetches the feed of all: the time a user waits."""
        while True:
            try:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port)
                self.connection.connect()
                break
            except ConnectionRefusedError:
                time.sleep(0.002)
        with self.app.store.transaction(write=False) as session:
            token = session.scalar(select(FeedToken.token).where(FeedToken.audience == "all"))
        self.path = f"/feeds/{token}/all.ics"
        return self.get()[1]

    def get(self, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
        assert self.connection is not None
        self.connection.request("GET", self.path, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.read(), response.headers.get("ETag", "")

    def stop(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=30)


def fresh(command: list[str], config: Path, out: Path | None = None) -> float:
    """A command in a fresh process, its whole wall time in ms; stdout to ``out``."""
    started = time.perf_counter()
    with (out or Path(os.devnull)).open("wb") as sink:
        subprocess.run(command, env=env(config), stdout=sink, check=True)
    return (time.perf_counter() - started) * 1000


def icalendar_peer(config_path: str, out: str) -> None:
    """The peer run in a fresh process: read every follow-up, build one icalendar Calendar
    with their events and serialize it once."""
    config = load_config(Path(config_path), env={})
    app = App(config)
    settings = config.feeds.settings
    header, footer = calendar_parts(settings, "all")
    from icalendar import Calendar

    calendar = Calendar.from_ical(header + footer)
    with app.store.transaction(write=False) as session:
        for followup in session.scalars(select(FollowUp).order_by(
                FollowUp.earliest.is_(None), FollowUp.earliest, FollowUp.id)).unique():
            for event in vevents(followup, settings):
                calendar.add_component(event)
    Path(out).write_bytes(calendar.to_ical())


# The floors run in a process of their own, as `followup serve` does in the figures beside
# them: a round trip between two processes pays for both being scheduled, which a server in
# the client's own process would not.
_BARE_304 = """
import http.server, sys
class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(304)
        self.send_header("ETag", '"x"')
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
print(server.server_address[1], flush=True)
server.serve_forever()
"""
_EMPTY_WAITRESS = """
from waitress.server import create_server
def nothing(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]
server = create_server(nothing, host="127.0.0.1", port=0, threads=4)
print(server.effective_port, flush=True)
server.run()
"""


def floor(program: str, rounds: int, headers: dict[str, str]) -> float:
    """The median round trip to ``program``, a server in a fresh process that prints its
    port."""
    process = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        connection = http.client.HTTPConnection("127.0.0.1", int(process.stdout.readline()))

        def ask() -> None:
            connection.request("GET", "/", headers=headers)
            connection.getresponse().read()

        ask()
        figure = median_ms(ask, rounds)
        connection.close()
        return figure
    finally:
        process.terminate()
        process.wait()


def floor_304(rounds: int) -> float:
    return floor(_BARE_304, rounds, {"If-None-Match": '"x"'})


def waitress_floor(rounds: int) -> float:
    """The same HTTP stack as the feed server (waitress, four threads) around an application
    that does nothing: what a round trip costs before any feed work."""
    return floor(_EMPTY_WAITRESS, rounds, {})


def full_comparison(folder: Path, config: Path, app: App, rounds: int) -> list[str]:
    out = folder / "export.ics"
    report = []
    export = [str(FOLLOWUP), "export", "--out", str(out)]
    with app.store.transaction(write=True) as session:
        session.execute(text("DELETE FROM feed_blocks"))
    nothing_kept = fresh(export, config)  # renders every event, and keeps them
    served = out.read_bytes()
    kept = statistics.median(fresh(export, config) for _ in range(rounds))
    assert out.read_bytes() == served

    serve_times = []
    for _ in range(rounds):
        server = Server(config, app)
        body = server.first_body()
        serve_times.append((time.perf_counter() - server.started) * 1000)
        server.stop()
        assert body == served
    serve = statistics.median(serve_times)

    database = str(app.store.url.database)
    writer_out = folder / "writer.ics"
    writer_command = [sys.executable, str(Path(plain_writer.__file__)), database, "all",
                      app.config.feeds.settings.domain]
    writer = statistics.median(fresh(writer_command, config, writer_out) for _ in range(rounds))
    assert writer_out.read_bytes() == served, "the plain writer must write the same bytes"
    peer_out = folder / "icalendar.ics"
    peer = fresh([sys.executable, __file__, "--icalendar-peer", str(config), str(peer_out)],
                 config)
    assert peer_out.read_bytes() == served, "icalendar must write the same bytes"

    startup = statistics.median(fresh([str(FOLLOWUP), "--help"], config) for _ in range(rounds))
    report += [
        f"  cold, fresh process (start-up included), {len(served) / 1e6:.1f} MB:",
        f"    start-up alone: followup --help            {startup:9.1f} ms",
        f"    followup export, every event kept          {kept:9.1f} ms",
        f"    followup serve, start to first response    {serve:9.1f} ms",
        f"    followup export, nothing kept (renders all){nothing_kept:9.1f} ms  (one run)",
        f"    peer: plain writer, same bytes             {writer:9.1f} ms",
        f"    peer: icalendar, whole calendar once       {peer:9.1f} ms  (one run)",
        f"    serve / plain writer: {serve / writer:.2f}x, export / plain writer: "
        f"{kept / writer:.2f}x (target: 2x or less)",
    ]

    # incremental: one follow-up changed, through the register
    service = FeedService(app.store, app.config)
    service.gzipped("all", service.render("all"))
    connection = plain_writer.sqlite3.connect(database)
    incremental = plain_writer.Incremental(connection, "all", app.config.feeds.settings.domain)
    incremental.write()
    render_times, gzip_times, writer_times = [], [], []
    for index in range(rounds):
        move(app, 1 + index % 12)
        started = time.perf_counter()
        rendered = service.render("all")
        render_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        service.gzipped("all", rendered)
        gzip_times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        written = incremental.write()
        writer_times.append((time.perf_counter() - started) * 1000)
        assert written == rendered.body, "the incremental writer must write the same bytes"
    connection.close()
    server = Server(config, app)
    server.first_body()
    http_times = []
    for index in range(rounds):
        move(app, 1 + (index + 6) % 12)
        started = time.perf_counter()
        status, _, _ = server.get()
        http_times.append((time.perf_counter() - started) * 1000)
        assert status == 200
    server.stop()
    render, gzipped, written_ms = (statistics.median(t) for t in (render_times, gzip_times,
                                                                  writer_times))
    report += [
        "  one follow-up changed, re-published:",
        f"    service: the new feed                      {render:9.1f} ms",
        f"    service: its gzip form                     {gzipped:9.1f} ms",
        f"    followup serve: the next GET over HTTP     {statistics.median(http_times):9.1f} ms",
        f"    peer: incremental plain writer             {written_ms:9.1f} ms",
        f"    service / incremental writer: {render / written_ms:.2f}x "
        "(target: 20 ms or less at 10,000)",
    ]
    return report


def unchanged(config: Path, app: App, rounds: int) -> list[str]:
    server = Server(config, app)
    server.first_body()
    _, _, etag = server.get()
    plain = median_ms(lambda: server.get(), rounds)
    zipped = median_ms(lambda: server.get({"Accept-Encoding": "gzip"}), rounds)
    status, _, _ = server.get({"If-None-Match": etag})
    assert status == 304
    not_modified = median_ms(lambda: server.get({"If-None-Match": etag}), rounds * 4)
    server.stop()
    service = FeedService(app.store, app.config)
    service.render("all")
    work = median_ms(lambda: service.render("all"), rounds * 4)
    return [
        "  unchanged, over HTTP to followup serve (one kept-alive connection):",
        f"    conditional request, 304                   {not_modified:9.2f} ms",
        f"    whole feed, plain                          {plain:9.2f} ms",
        f"    whole feed, gzip                           {zipped:9.2f} ms",
        f"    the service's own work for it              {work:9.2f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--full", type=int, default=10_000,
                        help="the size compared in full with its peers")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--icalendar-peer", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.icalendar_peer:
        icalendar_peer(*args.icalendar_peer)
        return
    print(f"floor: a bare http.server answering 304      {floor_304(args.rounds * 4):9.2f} ms")
    print(f"floor: waitress around an empty application  {waitress_floor(args.rounds * 4):9.2f} ms")
    for size in sorted(set(args.sizes) | {args.full}):
        with tempfile.TemporaryDirectory(prefix="followup-feeds-") as name:
            folder = Path(name)
            config = folder / "config.toml"
            config.write_text(f'[database]\nurl = "sqlite:///{folder}/bench.db"\nseed = false\n')
            app = App(load_config(config, env={}))
            app.open()
            fill(app, size)
            print(f"{size:,} follow-ups")
            if size == args.full:
                lines = full_comparison(folder, config, app, args.rounds)
            else:
                fresh([str(FOLLOWUP), "export", "--out", str(folder / "export.ics")], config)
                lines = []
            lines += unchanged(config, app, args.rounds)
            print("\n".join(lines), flush=True)
            app.store.dispose()


if __name__ == "__main__":
    main()
