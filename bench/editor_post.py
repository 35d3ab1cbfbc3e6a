"""Acting from the page: a form posted to the editor, beside the same action done in-process.

    python bench/editor_post.py [--rounds 40] [--database sqlite|postgresql]

On the seed register, TEMM 21 is confirmed and moved back in turn, each time re-deriving the
two follow-ups tied to it and planning their notices. Figures, medians of ``--rounds``:

- the POST to the running server (waitress, one kept-alive connection) until its 303: token
  and form token checked, the form read, the register's transaction with re-derivation and
  planning, the redirect;
- the redirect's page: the follow-up page with its forms and the confirmation line;
- the peer: the same action through :func:`scheduler.actions.act` in this process, one
  register transaction and nothing else: the floor of the work the form asks for.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import scratch_database, write_config
from scheduler.actions import Acting, act
from scheduler.app import App
from scheduler.config import load_config
from scheduler.editors import EditorTokens
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService

NOW = datetime(2019, 1, 24, 9, 0, tzinfo=UTC)
FORMS = [("confirm", {"on": "2019-11-23..2019-11-24"}), ("move", {"when": "2019-H2"})]


def median_ms(work: Callable[[int], object], rounds: int) -> float:
    times = []
    for turn in range(rounds):
        start = time.perf_counter()
        work(turn)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_database(
            options.database) as url:
        config = load_config(write_config(Path(folder), url), env={})
        app = App(config, clock=lambda: NOW)
        app.open()
        service = FeedService(app.store, config, lambda: NOW)
        server = FeedServer(service, "127.0.0.1", 0)
        server.start()
        base = f"/edit/{EditorTokens(service).tokens()['all']}/all/followups/temm-21"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)

        def get(path: str) -> str:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.read().decode()

        page = get(base)
        found = re.search(r'name="form_token" value="([^"]+)"', page)
        assert found is not None, "the page carries its form token"
        token = found.group(1)
        location = ""

        def post(turn: int) -> None:
            nonlocal location
            action, fields = FORMS[turn % 2]
            connection.request("POST", f"{base}/{action}",
                               body=urlencode({"form_token": token, **fields}),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            if response.status != 303:
                raise SystemExit(f"the {action} form was answered {response.status}")
            location = response.headers["Location"]

        def follow(_: int) -> None:
            get(location)

        def in_process(turn: int) -> None:
            action, fields = FORMS[turn % 2]
            with app.register() as register:
                act(register, Acting(config, NOW.date(), "all"), "temm-21", action, fields)

        posted = median_ms(post, options.rounds)
        followed = median_ms(follow, options.rounds)
        peer = median_ms(in_process, options.rounds)
        server.stop()
        app.store.dispose()
    print(f"{options.database}, median of {options.rounds}, TEMM 21 confirmed and moved back:")
    print(f"  POST to the editor until its 303   {posted:7.1f} ms")
    print(f"  the follow-up page it leads to     {followed:7.1f} ms")
    print(f"  peer: the same action in-process   {peer:7.1f} ms  ({posted / peer:.2f}x)")


if __name__ == "__main__":
    main()
