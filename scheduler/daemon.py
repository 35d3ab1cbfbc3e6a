"""``followup daemon``: delivers the ledger's notices at their time.

APScheduler (in UTC) is only the timer. One dispatch job is armed for the next due notice
and re-armed after every run; a safety poll re-checks every few seconds; a watch job
notices another process's changes (SQLite ``PRAGMA data_version``, PostgreSQL LISTEN) within
a second; one cron job per audience with a digest puts the digest in the ledger. The
notices themselves live in the database, never one APScheduler job each.

SIGTERM or SIGINT: the notice in flight is finished, claimed ones are released, exit 0.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from events.errors import FollowupError
from events.ledger import NOTIFY_CHANNEL, Ledger
from events.model import Notice, NoticeStatus
from events.planning import Audience
from events.store import Store
from scheduler.app import App
from scheduler.channels import Channel, open_channels
from scheduler.dispatch import Dispatcher
from scheduler.notices import Templates, ensure_valid

log = logging.getLogger("followup.daemon")

# Often enough that a change from the CLI goes out within a fraction of a second; a
# PRAGMA or a look at pending notifications costs next to nothing.
WATCH_SECONDS = 0.1


class ChangeWatcher:
    """Says whether another process committed since the last look, cheaply."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._version: int | None = None
        if store.is_sqlite:
            self._sqlite = sqlite3.connect(str(store.url.database), check_same_thread=False)
            self._version = self._data_version()
        else:
            import psycopg

            url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = psycopg.connect(url, autocommit=True)
            self._pg.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def _data_version(self) -> int:
        assert self._sqlite is not None
        return int(self._sqlite.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        if self._sqlite is not None:
            version = self._data_version()
            changed, self._version = version != self._version, version
            return changed
        return any(True for _ in self._pg.notifies(timeout=0))

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()


def last_fire_time(trigger: CronTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now``, looking back ``within``."""
    moment: datetime | None = trigger.get_next_fire_time(None, now - within)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last


def _report(what: str, error: Exception) -> None:
    """A failure the daemon lives through: one line for a known cause, a traceback for a bug."""
    if isinstance(error, FollowupError):
        log.error("%s: %s", what, error)
    else:
        log.exception(what)


class Daemon:
    def __init__(self, app: App, *, env: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.app = app
        self.config = app.config
        self.clock = clock or app.clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.stop = threading.Event()
        # Fail at start-up, not at send time.
        self.templates = Templates(self.config.templates)
        ensure_valid(self.templates)
        self.channels: dict[str, Channel] = open_channels(self.config,
                                                          os.environ if env is None else env)
        self.dispatcher = Dispatcher(
            app.store, self.config.plan, self.config.delivery, self.channels, self.templates,
            owner=self.owner, clock=self.clock, stop=self.stop,
        )
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.watcher: ChangeWatcher | None = None
        self.feed_server: Any = None
        self._arm_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def run(self) -> int:
        opening = self.app.open()
        self.watcher = ChangeWatcher(self.app.store)
        self._summarise_config(opening.preparation.revision)
        self._catch_up()
        self._summarise_ledger()
        delivery = self.config.delivery
        self.scheduler.add_job(self._poll, IntervalTrigger(seconds=delivery.poll_seconds),
                               id="poll")
        self.scheduler.add_job(self._watch, IntervalTrigger(seconds=WATCH_SECONDS), id="watch")
        for audience in self.config.plan.audiences:
            if audience.digest:
                trigger = CronTrigger.from_crontab(audience.digest, timezone=audience.zone)
                self.scheduler.add_job(self._digest, trigger, args=[audience],
                                       id=f"digest:{audience.name}")
        self._previous = {sig: signal.signal(sig, self._on_signal)
                          for sig in (signal.SIGTERM, signal.SIGINT)}
        if self.config.feeds.serve:
            from scheduler.feeds import FeedServer, FeedService

            service = FeedService(self.app.store, self.config)
            service.tokens()
            self.feed_server = FeedServer(service, self.config.feeds.host,
                                          self.config.feeds.port)
            self.feed_server.start()
        self.scheduler.start()
        self.arm()
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            self._shut_down()
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: finishing the notice in flight", signal.Signals(signum).name)
        self.stop.set()

    def _shut_down(self) -> None:
        # APScheduler's shutdown holds its job store lock while it waits for running jobs;
        # a job re-arming the dispatch then would wait for that lock for ever. Once any arm()
        # under way has finished, every later one sees the stop and touches nothing.
        self.stop.set()
        with self._arm_lock:
            pass
        self.scheduler.shutdown(wait=True)  # lets a running dispatch finish its notice
        if self.feed_server is not None:
            self.feed_server.stop()
        with self.app.store.transaction(write=True) as session:
            released = Ledger(session, self.config.plan, self.clock()).release(self.owner)
        for channel in self.channels.values():
            channel.close()
        if self.watcher is not None:
            self.watcher.close()
        self.app.store.dispose()
        for sig, handler in getattr(self, "_previous", {}).items():
            signal.signal(sig, handler)
        log.info("stopped%s", f"; released {released} claimed notices" if released else "")

    # -- jobs --------------------------------------------------------------------------

    def dispatch(self) -> None:
        try:
            self.dispatcher.run()
        except Exception as error:
            # One bad run must not stop the daemon. Re-arming now would retry at once, in a
            # loop, against a database that is locked or gone: the safety poll retries.
            _report("dispatch failed; trying again at the next poll", error)
            return
        if not self.stop.is_set():
            self.arm()

    def arm(self) -> None:
        """Set the one dispatch job for the next due notice (or lease expiry)."""
        with self._arm_lock:
            if self.stop.is_set():
                return
            now = self.clock()
            with self.app.store.transaction(write=False) as session:
                due = Ledger(session, self.config.plan, now).next_due()
            if due is None:
                if self.scheduler.get_job("dispatch") is not None:
                    self.scheduler.remove_job("dispatch")
                return
            self.scheduler.add_job(self.dispatch, DateTrigger(run_date=max(due, now)),
                                   id="dispatch", replace_existing=True)

    def _poll(self) -> None:
        try:
            self._extend_plan()
            self.arm()
        except Exception as error:
            _report("safety poll failed; trying again at the next one", error)

    def _watch(self) -> None:
        try:
            if self.watcher is not None and self.watcher.changed():
                self.arm()
        except Exception as error:
            _report("change check failed; the safety poll covers it", error)

    def _digest(self, audience: Audience) -> None:
        fire = self.clock().replace(second=0, microsecond=0)
        try:
            with self.app.store.transaction(write=True) as session:
                Ledger(session, self.config.plan, fire).enqueue_digest(audience, fire)
            self.arm()
        except Exception as error:
            _report(f"the digest for {audience.name} could not be planned", error)

    _last_extension: datetime | None = None

    def _extend_plan(self) -> None:
        """Once a day, plan further ahead and follow any change of audiences or policy."""
        now = self.clock()
        if self._last_extension is not None and now - self._last_extension < timedelta(days=1):
            return
        with self.app.store.transaction(write=True) as session:
            result = Ledger(session, self.config.plan, now).replan_all()
        self._last_extension = now
        if result.changed:
            log.info("planned ahead: %d added, %d superseded, %d revived", result.added,
                     result.superseded, result.revived)

    # -- start-up ----------------------------------------------------------------------

    def _catch_up(self) -> None:
        now = self.clock()
        grace = timedelta(hours=self.config.delivery.grace_hours)
        with self.app.store.transaction(write=True) as session:
            ledger = Ledger(session, self.config.plan, now)
            folded = ledger.fold_missed(grace)
            late = session.query(Notice).filter(Notice.status == NoticeStatus.PENDING,
                                                Notice.next_attempt <= now).count()
            for audience in self.config.plan.audiences:
                self._catch_up_digest(ledger, audience, now, grace)
        if folded:
            audiences = sorted({n.audience for n in folded})
            log.info("catch-up: %d notices fell due more than %g hours ago while no daemon "
                     "ran; listed in one 'missed' notice for %s", len(folded),
                     self.config.delivery.grace_hours, ", ".join(audiences))
        if late:
            log.info("catch-up: %d notices are due now and go out (late where they are)",
                     late)
        self._extend_plan()

    def _catch_up_digest(self, ledger: Ledger, audience: Audience, now: datetime,
                         grace: timedelta) -> None:
        if not audience.digest:
            return
        trigger = CronTrigger.from_crontab(audience.digest, timezone=audience.zone)
        last = last_fire_time(trigger, now, timedelta(days=32))
        if last is None or now - last < timedelta(minutes=1):
            return
        planning_began = ledger.session.scalar(select(func.min(Notice.created_at)))
        if planning_began is None or last < planning_began:
            return  # the register did not exist yet: nothing was missed
        if now - last <= grace:
            ledger.enqueue_digest(audience, last.astimezone(UTC))
        elif not ledger.session.scalar(select(Notice.id).where(
                Notice.kind == "digest", Notice.audience == audience.name,
                Notice.due >= last.astimezone(UTC))):
            log.info("catch-up: the digest for %s due %s was missed while no daemon ran; "
                     "the next one is on schedule", audience.name, f"{last:%Y-%m-%d %H:%M %Z}")

    def _summarise_config(self, revision: str) -> None:
        log.info("followup daemon %s starting on %s (schema %s)", self.owner,
                 self.app.store.describe(), revision)
        for audience in self.config.plan.audiences:
            channels = ", ".join(self.channels[c].describe() for c in audience.channels)
            digest = f", digest {audience.digest!r}" if audience.digest else ""
            log.info("audience %s (%s, send time %s%s): %s", audience.name, audience.timezone,
                     f"{audience.send_time:%H:%M}", digest, channels)

    def _summarise_ledger(self) -> None:
        now = self.clock()
        with self.app.store.transaction(write=False) as session:
            ledger = Ledger(session, self.config.plan, now)
            counts = ledger.counts()
            upcoming = session.scalars(
                select(Notice).where(Notice.status.in_([NoticeStatus.PENDING,
                                                        NoticeStatus.FAILED]))
                .order_by(Notice.next_attempt).limit(1)).first()
        summary = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        log.info("ledger: %s", summary or "empty")
        if upcoming is not None:
            log.info("next due: %s [%s]", f"{upcoming.next_attempt:%Y-%m-%dT%H:%M:%SZ}",
                     upcoming.key)
        else:
            log.info("next due: nothing planned")
