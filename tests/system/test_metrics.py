"""/metrics scraped from the real server on a free loopback port, after real dispatches and
feed requests, and read with prometheus-client's own parser."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from events.kinds import NoticeStatus
from events.queue import Queue
from events.store import Store
from scheduler.config import Config, parse_config
from scheduler.dispatch import Dispatcher
from scheduler.feed_server import FeedServer
from scheduler.feeds import FeedService
from scheduler.metrics import Metrics, version
from scheduler.notices import Templates
from tests.system.daemons import (
    Daemon,
    daemons,  # noqa: F401 - the fixture
    followup_serve,
    ledger_rows,
    log_lines,
    run_cli,
    wait_for,
    write_config,
)
from tests.system.seeded import Clock, seeded_store
from tests.system.smtp import free_port
from tests.system.test_apprise import channel
from tests.system.webhook import Endpoint, webhook

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def scrape(base: str) -> Samples:
    """Every sample /metrics gives, by name and labels."""
    status, body, content_type = get(f"{base}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(body.decode())
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# -- the daemon and followup serve, as real processes ------------------------------------------


def test_the_daemon_s_server_and_followup_serve_give_the_ledger_s_numbers(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:  # noqa: F811
    port = free_port()
    config = write_config(tmp_path, extra=f"\n[feeds]\nserve = true\nport = {port}\n"
                                          "\n[metrics]\nenabled = true\n")
    run_cli(config, "init")
    feed = next(row["url"] for row in json.loads(run_cli(config, "feeds", "--json").stdout)
                if row["audience"] == "desk")
    daemon = daemons(config)
    daemon.wait_started()
    wait_for(lambda: "metrics served on" in daemon.stderr, what="the metrics line")
    url = f"sqlite:///{tmp_path / 'register.db'}"
    wait_for(lambda: len(log_lines(tmp_path / "notices.jsonl")) >= 3
             and not any(n.status is NoticeStatus.SENDING for n in ledger_rows(url)),
             what="the notices due at start")
    status, _, _ = get(feed)
    assert status == 200
    etag = urllib.request.urlopen(feed, timeout=10).headers["ETag"]
    assert get(feed, {"If-None-Match": etag})[0] == 304
    assert get(feed.replace("/desk.ics", "/nobody.ics"))[0] == 404
    base = f"http://127.0.0.1:{port}"
    samples = scrape(base)
    assert daemon.stop() == 0

    rows = ledger_rows(url)
    sent = [n for n in rows if n.status is NoticeStatus.SENT]
    assert sent and all(n.channel == "log" and n.attempts == 1 for n in sent)
    for status_ in NoticeStatus:
        assert value(samples, "followup_notices", status=status_.value, channel="log") == \
            sum(1 for n in rows if n.status is status_), status_
    assert value(samples, "followup_oldest_due_notice_age_seconds") == 0.0
    assert value(samples, "followup_dispatch_rounds_total") >= 1
    assert value(samples, "followup_send_duration_seconds_count", channel="log",
                 outcome="sent") == len(sent)
    assert value(samples, "followup_notice_attempts_count", channel="log",
                 status="sent") == len(sent)
    assert value(samples, "followup_notice_attempts_sum", channel="log",
                 status="sent") == len(sent)
    assert value(samples, "followup_notice_attempts_bucket", channel="log", status="sent",
                 le="1.0") == len(sent)
    route = "/feeds/<token>/<name>.ics"
    # the first GET, the one that read the ETag, the 304 and the 404
    assert value(samples, "followup_http_requests_total", route=route, status="200") == 2
    assert value(samples, "followup_http_requests_total", route=route, status="304") == 1
    assert value(samples, "followup_http_requests_total", route=route, status="404") == 1
    assert value(samples, "followup_build_info", version=version()) == 1

    # followup serve reads the same ledger, and has sent nothing itself
    other = free_port()
    with followup_serve(config, other, ready="metrics served on"):
        served = scrape(f"http://127.0.0.1:{other}")
    assert value(served, "followup_notices", status="sent", channel="log") == len(sent)
    assert value(served, "followup_dispatch_rounds_total") == 0
    assert value(served, "followup_send_duration_seconds_count", channel="log",
                 outcome="sent") == 0


def test_metrics_off_is_a_404(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path)
    run_cli(config, "init")
    with followup_serve(config, port):
        assert get(f"http://127.0.0.1:{port}/metrics")[0] == 404
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
    assert "metrics served on" not in (tmp_path / "serve.err").read_text()


# -- in one process, on a clock of the test's ---------------------------------------------------

CONFIG: dict[str, object] = {
    "audiences": {"desk": {"timezone": "Asia/Seoul", "channels": ["apprise"],
                           "tags": ["jcec", "temm"], "digest": ""}},
    "channels": {"apprise": {"timeout": 1, "urls_env": {"desk": "DESK_URLS"}}},
    "delivery": {"backoff_seconds": 30, "backoff_cap_seconds": 600, "max_attempts": 3,
                 "lease_seconds": 60},
    "metrics": {"enabled": True},
}


@pytest.fixture
def config() -> Config:
    return parse_config(CONFIG)


@pytest.fixture
def store(tmp_path: Path, config: Config) -> Iterator[Store]:
    store = seeded_store(tmp_path, config.plan)
    yield store
    store.dispose()


def test_retries_latency_and_the_oldest_due_notice(store: Store, config: Config) -> None:
    with store.transaction(write=False) as session:
        first_due = min(n.due for n in Queue(session, datetime.now(UTC)).listing())
    first_due = first_due.replace(tzinfo=UTC)
    clock = Clock(first_due + timedelta(minutes=2))
    metrics = Metrics(store, clock)
    server = FeedServer(FeedService(store, config, clock), "127.0.0.1", 0, metrics)
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        with webhook(Endpoint(status=503)) as endpoint:
            dispatcher = Dispatcher(store, config.plan, config.delivery,
                                    {"apprise": channel(endpoint.url())}, Templates(),
                                    owner="test", clock=clock, rng=lambda: 1.0,
                                    observer=metrics)
            assert dispatcher.run() == 2
            failing = scrape(base)
            endpoint.status = 200
            clock.now += timedelta(seconds=31)
            assert dispatcher.run() == 2
            assert dispatcher.run() == 0
            done = scrape(base)
        assert get(f"{base}/healthz")[0] == 200
        assert get(f"{base}/no/such/page")[0] == 404
        after = scrape(base)
    finally:
        server.stop()

    # while both notices wait for their retry, the oldest has been due for 2 minutes
    assert value(failing, "followup_notices", status="failed", channel="apprise") == 2
    assert value(failing, "followup_oldest_due_notice_age_seconds") == 120.0
    assert value(failing, "followup_dispatch_rounds_total") == 1
    assert value(failing, "followup_send_duration_seconds_count", channel="apprise",
                 outcome="failed") == 2
    assert value(failing, "followup_notice_attempts_count", channel="apprise",
                 status="sent") == 0

    assert value(done, "followup_notices", status="failed", channel="apprise") == 0
    assert value(done, "followup_notices", status="sent", channel="apprise") == 2
    assert value(done, "followup_oldest_due_notice_age_seconds") == 0.0
    assert value(done, "followup_dispatch_rounds_total") == 3
    assert value(done, "followup_send_duration_seconds_count", channel="apprise",
                 outcome="sent") == 2
    # each took two attempts: none in the bucket of one, both in that of two
    assert value(done, "followup_notice_attempts_bucket", channel="apprise", status="sent",
                 le="1.0") == 0
    assert value(done, "followup_notice_attempts_bucket", channel="apprise", status="sent",
                 le="2.0") == 2
    assert value(done, "followup_notice_attempts_sum", channel="apprise", status="sent") == 4
    # a send to a loopback endpoint takes a few milliseconds (seconds on a loaded machine)
    assert value(done, "followup_send_duration_seconds_bucket", channel="apprise",
                 outcome="sent", le="5.0") == 2
    assert 0 < value(done, "followup_send_duration_seconds_sum", channel="apprise",
                     outcome="sent") < 10

    # the scrapes before are counted too; a path no route has is "other"
    assert value(after, "followup_http_requests_total", route="/metrics", status="200") == 2
    assert value(after, "followup_http_requests_total", route="/healthz", status="200") == 1
    assert value(after, "followup_http_requests_total", route="other", status="404") == 1


def test_each_app_has_a_registry_of_its_own(store: Store) -> None:
    clock = Clock(datetime(2019, 11, 16, tzinfo=UTC))
    first, second = Metrics(store, clock), Metrics(store, clock)
    first.round()
    first.tried("log", "sent", 1, 0.01)
    assert first.registry.get_sample_value("followup_dispatch_rounds_total") == 1
    assert second.registry.get_sample_value("followup_dispatch_rounds_total") == 0
    assert second.registry.get_sample_value("followup_send_duration_seconds_count",
                                            {"channel": "log", "outcome": "sent"}) is None


def test_the_daemon_says_when_metrics_are_on_but_nothing_serves_them(
        tmp_path: Path, daemons: Callable[..., Daemon]) -> None:  # noqa: F811
    config = write_config(tmp_path, extra="\n[metrics]\nenabled = true\n")
    run_cli(config, "init")
    daemon = daemons(config)
    daemon.wait_started()
    wait_for(lambda: ("metrics are enabled but not served: the daemon serves /metrics on "
                      "its feed server; set feeds.serve = true (or run followup serve)")
             in daemon.stderr, what=f"the warning:\n{daemon.stderr}")
    assert daemon.stop() == 0
