"""The daemon and ``followup replay`` run one delivery round: a year through both sends the
same notices at the same instants, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from events.store import Store, database_url
from scheduler.app import App
from scheduler.channels import forms_of
from scheduler.config import Config, load_config
from scheduler.daemon import Daemon
from scheduler.replay import (
    Capture,
    Fired,
    Outcome,
    VirtualClock,
    apply,
    read_outcomes,
    replay,
)
from scheduler.stopping import Stop
from tests.conftest import postgres_url

OUTCOMES = Path(__file__).parents[2] / "events" / "data" / "outcomes-2019.toml"
START, END = date(2019, 1, 24), date(2020, 1, 31)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases on one backend: the register, and replay's scratch copy."""
    if request.param == "sqlite":
        yield (f"sqlite:///{tmp_path / 'register.db'}", f"sqlite:///{tmp_path / 'scratch.db'}")
        return
    base = database_url(postgres_url())
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = create_engine(base)
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        urls = [base.update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False) for schema in schemas]
        yield urls[0], urls[1]
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def config_for(folder: Path, url: str) -> Config:
    path = folder / "config.toml"
    path.write_text(f'''
[database]
url = "{url}"

[audiences.desk]
timezone = "Asia/Seoul"
digest = "0 9 * * mon"

[audiences.team]
timezone = "Europe/Paris"
send_time = "08:30"
kinds = ["meeting"]
digest = "30 8 1 * *"
''')
    return load_config(path, env={})


def instant(day: date, config: Config) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(config.timezone)).astimezone(UTC)


def through_the_daemon(config: Config, outcomes: list[Outcome]) -> list[Fired]:
    """The daemon's own round job, woken as its timer and its watch would wake it: at the
    round's next moment, and when a change (an outcome, as the CLI applies it) is made."""
    clock = VirtualClock(instant(START, config))
    app = App(config, clock=clock)
    sent: list[Fired] = []
    daemon = Daemon(app, clock=clock, stop=Stop(),
                    channels={name: Capture(name, sent, clock, forms_of(channel))
                              for name, channel in config.channels.items()})
    daemon.open()
    end = instant(END + timedelta(days=1), config)
    changes = [(instant(o.on, config), o) for o in outcomes]
    while True:
        moment = daemon.round.next_moment(clock.now)
        if changes and (moment is None or changes[0][0] <= moment):
            clock.now = max(changes[0][0], clock.now)
            with app.register() as register:
                apply(changes.pop(0)[1], register, config.timezone)
            continue  # the watch sees the change and asks the round again
        if moment is None or moment >= end:
            break
        clock.now = max(moment, clock.now)
        daemon.deliver()
        clock.now += timedelta(seconds=1)
    if daemon.watcher is not None:
        daemon.watcher.close()
    app.store.dispose()
    return sent


def test_a_year_through_the_daemon_and_through_replay_sends_the_same(
        tmp_path: Path, two_databases: tuple[str, str]) -> None:
    register_url, scratch_url = two_databases
    config = config_for(tmp_path, register_url)
    outcomes = read_outcomes(OUTCOMES)
    # A new register: the seed is loaded, and planned, at the start of the year.
    app = App(config, clock=VirtualClock(instant(START, config)))
    app.open()
    scratch = Store(scratch_url)
    try:
        rehearsed = replay(app, START, END, outcomes, scratch=scratch)
    finally:
        scratch.dispose()
        app.store.dispose()
    daemon_sent = through_the_daemon(config, outcomes)

    def seen(fired: list[Fired]) -> list[tuple[object, ...]]:
        # Notices due at one instant go out in the order they were planned in, which
        # differs (seed by seed, or in one batch): the same notices, at the same instants.
        return sorted(((f.at, f.message.key, f.channel, f.message) for f in fired),
                      key=lambda seen: seen[:2])  # type: ignore[arg-type]

    assert seen(rehearsed) == seen(daemon_sent)
    assert [f.at for f in daemon_sent] == sorted(f.at for f in daemon_sent)
    kinds = [(f.message.audience, f.message.kind) for f in rehearsed]
    assert kinds.count(("desk", "digest")) == 53  # every Monday of the period
    assert kinds.count(("team", "digest")) == 12  # the first of each month after 24 January
    temm_leads = [f.at for f in rehearsed
                  if f.message.followup_id == "temm-21" and f.message.kind == "lead"
                  and f.message.audience == "desk"]
    assert temm_leads == [datetime(2019, 10, 24, tzinfo=UTC), datetime(2019, 11, 16, tzinfo=UTC),
                          datetime(2019, 11, 22, tzinfo=UTC)]
    assert not any(f.message.late for f in rehearsed)
    assert [f.at for f in rehearsed] == sorted(f.at for f in rehearsed)
