"""``/metrics`` in the Prometheus text format, when ``[metrics] enabled = true``.

Served beside the feeds, by ``followup serve`` and by the daemon's feed server. What it says:

- ``followup_notices{status, channel}``: the ledger's notices, counted when scraped;
- ``followup_oldest_due_notice_age_seconds``: how long ago the oldest notice that has
  fallen due and is not yet sent (waiting, retrying or being sent) was due; 0 when none;
- ``followup_send_duration_seconds{channel, outcome}``: how long each send took, by what
  came of it (sent, failed and to be retried, dead, or the channel down);
- ``followup_notice_attempts{channel, status}``: the attempts a notice took to be sent, or
  to be given up (dead);
- ``followup_dispatch_rounds_total``: delivery rounds run by this process;
- ``followup_http_requests_total{route, status}``: feed and page requests by the route
  they matched (never the token in their path) and the status answered;
- ``followup_build_info{version}``.

The numbers of sends and rounds are this process's since it started (a daemon's are on the
daemon's server; ``followup serve`` sends nothing). Each app has its own registry, not
prometheus-client's global one, so two apps in one process never mix their numbers.
This module imports prometheus-client: it is loaded only when metrics are enabled.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterator
from datetime import datetime

from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from events.kinds import NoticeStatus
from events.queue import Queue
from events.store import Store

__all__ = ["Metrics"]

#: Sends take from milliseconds (a log line) to a timeout (a mail server that hangs).
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_ATTEMPTS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20)


def version() -> str:
    try:
        return importlib.metadata.version("followup")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Ledger(Collector):
    """Reads the notices table when scraped, in one short read transaction."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        with self.store.transaction(write=False) as session:
            counts, oldest = Queue(session, now).census()
        notices = GaugeMetricFamily("followup_notices", "Notices in the ledger",
                                    labels=["status", "channel"])
        # Every status of every channel in use, 0s included, so a rate or an alert on one
        # never sees its series vanish.
        channels = sorted({channel for _, channel in counts})
        for status in NoticeStatus:
            for channel in channels:
                notices.add_metric([status.value, channel], counts.get((status.value, channel), 0))
        yield notices
        age = 0.0 if oldest is None else max(0.0, (now - _aware(oldest, now)).total_seconds())
        yield GaugeMetricFamily(
            "followup_oldest_due_notice_age_seconds",
            "Seconds since the oldest notice that has fallen due and is not yet sent was due",
            value=age)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time only, never when registered


def _aware(instant: datetime, now: datetime) -> datetime:
    # SQLite gives back naive UTC.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=now.tzinfo)


class Metrics:
    """One app's metrics: what the dispatcher tells it, what its server answers, what the
    ledger holds."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.rounds = Counter("followup_dispatch_rounds", "Delivery rounds run",
                              registry=self.registry)
        self.send_seconds = Histogram(
            "followup_send_duration_seconds", "Seconds one send took, by its outcome",
            ["channel", "outcome"], buckets=_SECONDS, registry=self.registry)
        self.attempts = Histogram(
            "followup_notice_attempts", "Attempts a notice took to be sent or given up",
            ["channel", "status"], buckets=_ATTEMPTS, registry=self.registry)
        self.requests = Counter(
            "followup_http_requests", "Feed and page requests, by route and status",
            ["route", "status"], registry=self.registry)
        Info("followup_build", "The followup release", registry=self.registry).info(
            {"version": version()})
        self.registry.register(_Ledger(store, clock))

    # -- what the dispatcher tells (scheduler.dispatch.DeliveryObserver) ------------------

    def round(self) -> None:
        self.rounds.inc()

    def tried(self, channel: str, outcome: str, attempt: int,
              seconds: float | None) -> None:
        if seconds is not None:
            self.send_seconds.labels(channel, outcome).observe(seconds)
        if outcome in ("sent", "dead"):
            self.attempts.labels(channel, outcome).observe(attempt)

    # -- over HTTP --------------------------------------------------------------------------

    def serve(self, app: Flask) -> None:
        """Count ``app``'s requests and answer ``/metrics`` on it."""

        @app.after_request
        def count(response: Response) -> Response:
            rule = request.url_rule
            self.requests.labels(rule.rule if rule is not None else "other",
                                 str(response.status_code)).inc()
            return response

        @app.get("/metrics")
        def metrics() -> Response:
            return Response(generate_latest(self.registry), content_type=CONTENT_TYPE_LATEST)
