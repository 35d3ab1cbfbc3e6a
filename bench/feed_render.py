"""Feed rendering with 10,000 follow-ups: cold, warm and conditional, beside two peers.

    python bench/feed_render.py [--followups 10000] [--rounds 5]

- cold: a new server process's first request (every event serialized, then cached);
- warm: a request after one follow-up changed (only its event serialized again);
- unchanged: a request when nothing changed (the cached body);
- conditional: an HTTP request with If-None-Match to the running server (a 304);
- peer (a): building the whole feed with icalendar on every request;
- peer (b): a minimal string writer producing the same bytes (checked), the practical limit.
Every figure includes reading what it needs from the database. Target: warm within 2x of (b).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from icalendar import Calendar
from sqlalchemy import select

from events.feed import FeedSettings, calendar_parts, description, event_block, summary
from events.model import FollowUp, Kind, Status
from events.register import Draft, Register, standard_bus
from events.schedule import Schedule
from events.window import Window
from scheduler.app import App
from scheduler.config import load_config
from scheduler.feeds import FeedServer, FeedService


def fill(app: App, count: int) -> None:
    bus = standard_bus()  # no notice planning: only the register is measured here
    now = datetime(2026, 11, 28, tzinfo=UTC)
    with app.store.transaction(write=True) as session:
        register = Register(session, now=now, bus=bus)
        for index in range(count):
            shape = index % 5
            start = date(2019, 1, 1) + timedelta(days=index % 700)
            window = [Window.day(start), Window.unit(Window.month(2019, 1).precision, start),
                      Window.half_year(2019 + index % 3, 1 + index % 2),
                      Window.open_from(start), Window.undated()][shape]
            register.add(Draft(
                id=f"fu-{index:05d}", title=f"Follow-up {index}: joint seminar, 서울; “TBC”",
                kind=list(Kind)[index % len(Kind)], window=window,
                schedule=Schedule(start, start) if shape == 0 else None,
                location="Seoul, Korea" if index % 2 else None, parties=["ROK", "China"],
                sentence="The two sides agreed to hold a seminar in the second half of 2019.",
                paragraph=1 + index % 7, tags=["bench"],
                next_step="Ask for the date."), why="bench")


def fetch(app: App) -> list[FollowUp]:
    with app.store.transaction(write=False) as session:
        return list(session.scalars(select(FollowUp).order_by(
            FollowUp.earliest.is_(None), FollowUp.earliest, FollowUp.id)).unique())


# -- peer (a): icalendar on every request -----------------------------------------------------


def icalendar_whole(app: App, settings: FeedSettings) -> bytes:
    header, footer = calendar_parts(settings, "all")
    calendar = Calendar.from_ical(header + footer)
    for followup in fetch(app):
        calendar.add_component(Calendar.from_ical(event_block(followup, settings)))
    return bytes(calendar.to_ical())


# -- peer (b): a minimal string writer --------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,")
            .replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n"))


def _fold(line: str) -> str:
    if len(line) < 75 and line.isascii():
        return line
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if current and size + width >= 75:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, size = [carried], len(carried.encode())
            else:
                parts.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


_STATUS = {Status.EXPECTED: "TENTATIVE", Status.SCHEDULED: "CONFIRMED",
           Status.DONE: "CONFIRMED", Status.CANCELLED: "CANCELLED"}


def _when(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return f":{value:%Y%m%dT%H%M%SZ}"
    return f";VALUE=DATE:{value:%Y%m%d}"


def minimal_writer(app: App, settings: FeedSettings) -> bytes:
    header, footer = calendar_parts(settings, "all")
    out = [header.decode()]
    for f in fetch(app):
        schedule = f.schedule
        if schedule is not None and schedule.is_timed:
            start, end = schedule.utc()
        elif schedule is not None:
            start, end = schedule.start, schedule.end + timedelta(days=1)
        else:
            window = f.window
            if window.earliest is None:
                first = f.created_at.date()
                start, end = first, first + timedelta(days=1)
            else:
                start = window.earliest
                end = (window.latest or window.earliest) + timedelta(days=1)
        stamp = f"{f.updated_at:%Y%m%dT%H%M%SZ}"
        confirmed = schedule is not None and f.status is not Status.CANCELLED
        lines = ["BEGIN:VEVENT", f"SUMMARY:{_escape(summary(f))}", f"DTSTART{_when(start)}",
                 f"DTEND{_when(end)}", f"DTSTAMP:{stamp}", f"UID:{f.id}@{settings.domain}",
                 f"SEQUENCE:{f.revision}", f"CATEGORIES:{_escape(str(f.kind))}",
                 f"DESCRIPTION:{_escape(description(f))}", f"LAST-MODIFIED:{stamp}"]
        if f.location:
            lines.append(f"LOCATION:{_escape(f.location)}")
        lines += [f"STATUS:{_STATUS[f.status]}",
                  f"TRANSP:{'OPAQUE' if confirmed else 'TRANSPARENT'}", "END:VEVENT"]
        out.append("".join(_fold(line) + "\r\n" for line in lines))
    out.append(footer.decode())
    return "".join(out).encode()


def timed(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--followups", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(f'[database]\nurl = "sqlite:///{folder}/bench.db"\nseed = false\n'
                               '[feeds]\nport = 0\n')
        config = load_config(config_path, env={})
        app = App(config)
        app.open()
        fill(app, args.followups)
        settings = config.feeds.settings

        started = time.perf_counter()
        service = FeedService(app.store, config)
        body = service.render("all").body
        cold = time.perf_counter() - started

        def change_one() -> None:
            with app.store.transaction(write=True) as session:
                followup = session.get(FollowUp, "fu-00007")
                assert followup is not None
                followup.revision += 1

        warm_times = []
        for _ in range(args.rounds):
            change_one()
            started = time.perf_counter()
            service.render("all")
            warm_times.append(time.perf_counter() - started)
        warm = statistics.median(warm_times)
        unchanged = timed(lambda: service.render("all"), args.rounds)

        body = service.render("all").body
        written = minimal_writer(app, settings)
        assert written == body, "the minimal writer must produce the same bytes"
        writer = timed(lambda: minimal_writer(app, settings), args.rounds)
        whole = timed(lambda: icalendar_whole(app, settings), max(1, args.rounds // 2))

        server = FeedServer(service, "127.0.0.1", 0)
        server.start()
        url = f"http://127.0.0.1:{server.port}/feeds/{service.tokens()['all']}/all.ics"
        with urllib.request.urlopen(url) as response:
            etag = response.headers["ETag"]

        def conditional() -> None:
            request = urllib.request.Request(url, headers={"If-None-Match": etag})
            try:
                status = urllib.request.urlopen(request).status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != 304:
                raise RuntimeError(f"expected 304 Not Modified, got {status}")

        conditional_time = timed(conditional, args.rounds * 4)
        server.stop()
        app.store.dispose()

    print(f"feed of {args.followups:,} follow-ups ({len(body) / 1e6:.1f} MB), "
          f"median of {args.rounds} rounds")
    rows = [
        ("cold render (first request)", cold),
        ("warm render (one follow-up changed)", warm),
        ("unchanged (cached body)", unchanged),
        ("conditional request over HTTP (304)", conditional_time),
        ("peer (a): icalendar builds the whole feed", whole),
        ("peer (b): minimal string writer, same bytes", writer),
    ]
    for label, seconds in rows:
        print(f"  {label:<48} {seconds * 1000:>9.1f} ms")
    print(f"  warm / minimal writer: {warm / writer:.2f}x (target: 2x or less)")


if __name__ == "__main__":
    main()
