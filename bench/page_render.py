"""The timeline page of 1,000 follow-ups, rendered on the server, beside a bare Jinja peer.

    python bench/page_render.py [--followups 1000] [--rounds 15] [--database sqlite|postgresql]

The register is built with ``followup import`` (bench/support.py): windows of every
precision over this year and the next, one in ten undated, one in eight tied to an earlier
row, so the default span (three months back, twelve ahead) draws most of them.

Figures, medians of ``--rounds`` (wall time; for the page and the peer also processor
time, which other work on the machine does not inflate):

- the page through the real app (Flask's test client, no network): token check, the rows
  read, the timeline built and laid out, the page rendered;
- the same page over HTTP from a running server (waitress), one kept-alive connection;
- its parts: reading the rows, building and laying out the timeline, rendering the template;
- the peer: the same rows read with the bare driver, each drawn as one ``<rect>`` by a
  minimal Jinja template with no layout, no groups, no connectors and no lists: the floor
  of turning these rows into SVG with Jinja.

Target: the page of 1,000 follow-ups in 200 ms or less on the server.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jinja2 import Environment
from sqlalchemy import text

from bench.support import import_followups, init, scratch_database, write_config
from events.timeline import Span, build, position, ticks
from scheduler.app import App
from scheduler.config import load_config
from scheduler.drawing import draw
from scheduler.feed_server import FeedServer, create_app
from scheduler.feeds import FeedService

PEER_TEMPLATE = """\
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1200 {{ rows|length * 22 }}">
{%- for row in rows %}
<a id="bar-{{ row.id }}" href="followups/{{ row.id }}"><title>{{ row.title }}</title>
<text x="4" y="{{ loop.index0 * 22 + 15 }}">{{ row.id }}</text>
<rect data-start="{{ row.start }}" data-end="{{ row.end }}" x="{{ row.x }}"
 y="{{ loop.index0 * 22 + 5 }}" width="{{ row.width }}" height="12"/></a>
{%- endfor %}
</svg>"""


def median_ms(work: Callable[[], object], rounds: int) -> float:
    """The median wall time of ``work``, in ms."""
    return medians(work, rounds)[0]


def medians(work: Callable[[], object], rounds: int) -> tuple[float, float]:
    """The median wall time and the median processor time of ``work``, in ms: on a machine
    shared with other work the second says what the work itself costs."""
    work()  # warm: templates compiled, connections opened
    wall, cpu = [], []
    for _ in range(rounds):
        started, used = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def peer(app: App, today: date) -> Callable[[], str]:
    """The bare floor: rows read with the driver, one rect each by a minimal template."""
    template = Environment(autoescape=True).from_string(PEER_TEMPLATE)
    span = Span.around(today)

    def render() -> str:
        with app.store.engine.connect() as connection:
            found = connection.execute(text(
                "SELECT id, title, earliest, latest FROM followups "
                "WHERE earliest IS NOT NULL ORDER BY earliest, latest, id")).all()
        rows = []
        for row in found:
            first = row.earliest if isinstance(row.earliest, date) else date.fromisoformat(
                row.earliest)
            last = row.latest or span.end
            last = last if isinstance(last, date) else date.fromisoformat(last)
            if first > span.end or last < span.start:
                continue
            left = 140 + position(first, span) * 1044
            right = 140 + position(last, span) * 1044
            rows.append({"id": row.id, "title": row.title, "start": max(first, span.start),
                         "end": min(last, span.end), "x": round(left, 2),
                         "width": round(right - left, 2)})
        return template.render(rows=rows)

    return render


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followups", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    options = parser.parse_args()

    with scratch_database(options.database) as url, \
            tempfile.TemporaryDirectory(prefix="followup-page-") as folder:
        config_path = write_config(Path(folder), url)
        init(config_path)
        import_followups(config_path, options.followups)
        config = load_config(config_path, env={})
        app = App(config)
        app.open()
        service = FeedService(app.store, config)
        token = service.tokens()["all"]
        path = f"/pages/{token}/all/"
        client = create_app(service).test_client()
        today = app.today()

        first = client.get(path)
        if first.status_code != 200:
            raise SystemExit(f"the page answered {first.status_code}")
        drawn = first.text.count('<a id="bar-')
        page, page_cpu = medians(lambda: client.get(path).data, options.rounds)

        server = FeedServer(service, "127.0.0.1", 0)
        server.start()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

        def over_http() -> bytes:
            connection.request("GET", path)
            return connection.getresponse().read()

        try:
            served = median_ms(over_http, options.rounds)
        finally:
            connection.close()
            server.stop()

        def read() -> list[object]:
            with app.register(write=False) as register:
                return list(register.timeline_items())

        items = read()
        reading = median_ms(read, options.rounds)
        laying = median_ms(lambda: draw(build(items, today), ticks(Span.around(today))),
                           options.rounds)
        pages = create_app(service).extensions["followup.pages"]
        with create_app(service).test_request_context(path):
            rendering = median_ms(lambda: pages.timeline("all", {}).data, options.rounds)
        bare, bare_cpu = medians(peer(app, today), options.rounds)
        app.store.dispose()

    size = len(first.data)
    print(f"timeline page, {options.followups:,} follow-ups ({drawn:,} bars drawn, "
          f"{size / 1024:,.0f} KiB), {options.database}, medians of {options.rounds}:")
    print(f"  the page, through the app          {page:8.1f} ms   (target <= 200 ms; "
          f"processor {page_cpu:.1f} ms)")
    print(f"  the page, over HTTP (waitress)     {served:8.1f} ms")
    print(f"    reading the rows                 {reading:8.1f} ms")
    print(f"    building and laying out          {laying:8.1f} ms")
    print(f"    the view, rows to page           {rendering:8.1f} ms")
    print(f"  peer: bare driver + minimal Jinja  {bare:8.1f} ms   (processor {bare_cpu:.1f} ms; "
          "one rect per row, no layout)")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
