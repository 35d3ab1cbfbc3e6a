"""``followup daemon``: delivers the ledger's notices at their time.

What happens at each moment is the delivery round (``scheduler/round.py``), the same one
``followup replay`` runs on a virtual clock. APScheduler (in UTC) is only the timer: one
round job is armed for the round's next moment (a notice or digest falling due, a plan
running out, a paused channel's next try) and re-armed after every run; a safety poll
re-arms it every few seconds; a watch job notices another process's changes (SQLite
``PRAGMA data_version``, PostgreSQL LISTEN) within a second and re-arms it; a heartbeat tells
other daemons this one is alive, renews its claims and hands back the claims of daemons that
are gone. The notices themselves live in the database, never one APScheduler job each.

Under systemd (``Type=notify``, ``scheduler/systemd.py``) it says ``READY=1`` once the
database is open and the timer armed, feeds the watchdog while deliveries move
(``scheduler/watchdog.py``) and says ``STOPPING=1`` when a stop begins.

Each job that fails logs one line when it starts failing and one when it works again, not
one per try. SIGTERM or SIGINT, at any moment from the start: the notice in flight is
finished, claimed ones are given back, exit 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from events.errors import FollowupError, first_line
from events.ledger import NOTIFY_CHANNEL
from events.queue import Queue
from events.store import Store
from scheduler.app import App
from scheduler.channels import Channel, open_channels
from scheduler.dispatch import DATABASE_ERRORS, Dispatcher
from scheduler.notices import Templates, ensure_valid
from scheduler.round import Round
from scheduler.stopping import Stop
from scheduler.systemd import Notifier
from scheduler.watchdog import Watchdog

if TYPE_CHECKING:
    from scheduler.metrics import Metrics

log = logging.getLogger("followup.daemon")

# Often enough that a change from the CLI goes out within a fraction of a second; a
# PRAGMA or a look at pending notifications costs next to nothing.
WATCH_SECONDS = 0.1

#: Waits before making a dropped LISTEN connection again: doubling up to the cap.
RECONNECT_SECONDS = (0.5, 30.0)


class ChangeWatcher:
    """Says whether another process committed since the last look, cheaply.

    On PostgreSQL the LISTEN connection is made again when it drops, waiting longer after
    each failed try (up to half a minute), with one log line when it is lost and one when it
    is back; meanwhile the safety poll covers changes. Notifications sent while it was away
    are lost, so coming back counts as a change.
    """

    def __init__(self, store: Store, *, application_name: str = "followup daemon",
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.application_name = application_name
        self.monotonic = monotonic
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None
        self._version: int | None = None
        self._lost_at: float | None = None
        self._retry_at = 0.0
        self._wait = RECONNECT_SECONDS[0]
        if store.is_sqlite:
            self._sqlite = sqlite3.connect(str(store.url.database), check_same_thread=False)
            self._version = self._data_version(self._sqlite)
        else:
            self._reconnect()

    @staticmethod
    def _data_version(connection: sqlite3.Connection) -> int:
        return int(connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        if self._sqlite is not None:
            version = self._data_version(self._sqlite)
            changed, self._version = version != self._version, version
            return changed
        if self._pg is None:
            return self._reconnect()
        try:
            return any(True for _ in self._pg.notifies(timeout=0))
        except Exception as error:
            self._lose(error)
            return False

    def _reconnect(self) -> bool:
        """Try to LISTEN again when the wait is over; True once listening again."""
        if self.monotonic() < self._retry_at:
            return False
        import psycopg

        url = self.store.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            self._pg = psycopg.connect(url, autocommit=True, connect_timeout=5,
                                       application_name=self.application_name)
            self._pg.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except Exception as error:
            self._lose(error)
            return False
        if self._lost_at is not None:
            log.info("listening for changes again after %.1f s", self.monotonic() - self._lost_at)
        self._lost_at, self._wait = None, RECONNECT_SECONDS[0]
        return True

    def _lose(self, error: Exception) -> None:
        self.close()
        if self._lost_at is None:
            self._lost_at = self.monotonic()
            log.warning("lost the connection that listens for changes (%s); reconnecting, "
                        "and the safety poll covers changes meanwhile", first_line(error))
        self._retry_at = self.monotonic() + self._wait
        self._wait = min(self._wait * 2, RECONNECT_SECONDS[1])

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.close()
            self._pg = None


class Outage:
    """One log line when a job starts failing, one when it works again; not one per try."""

    def __init__(self, what: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.monotonic = monotonic
        self.since: float | None = None
        self.failures = 0

    def failed(self, error: Exception) -> None:
        self.failures += 1
        if self.since is not None:
            log.debug("%s failed again: %s", self.what, error)
            return
        self.since = self.monotonic()
        if isinstance(error, FollowupError):
            log.error("%s failed: %s", self.what, error)
        else:
            log.exception("%s failed", self.what)  # a bug: its traceback, once

    def works(self) -> None:
        if self.since is not None:
            log.info("%s works again after %.1f s (%d failures)", self.what,
                     self.monotonic() - self.since, self.failures)
            self.since, self.failures = None, 0


def this_host() -> str:
    """The host name and process namespace: what makes a process id mean one process."""
    try:
        namespace = str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        namespace = ""
    return f"{socket.gethostname()} {namespace}".strip()


def process_exists(pid: int) -> bool:
    """Whether a process ``pid`` is running on this host (a zombie is not)."""
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state follows the command name in parentheses, which may itself hold any.
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Daemon:
    def __init__(self, app: App, *, env: Mapping[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None, stop: Stop | None = None,
                 channels: Mapping[str, Channel] | None = None) -> None:
        self.app = app
        self.config = app.config
        self.clock = clock or app.clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.host = this_host()
        self.stop = stop or Stop()
        self.notifier = Notifier(env)
        self.watchdog = Watchdog(self.notifier, stuck_after=self.config.delivery.lease_seconds)
        # Fail at start-up, not at send time.
        self.templates = Templates(self.config.templates)
        ensure_valid(self.templates)
        self.channels: dict[str, Channel] = (
            dict(channels) if channels is not None
            else open_channels(self.config, os.environ if env is None else env))
        self.metrics: Metrics | None = None
        if self.config.metrics.enabled:
            from scheduler.metrics import Metrics

            self.metrics = Metrics(app.store, self.clock)
        self.dispatcher = Dispatcher(
            app.store, self.config.plan, self.config.delivery, self.channels, self.templates,
            owner=self.owner, clock=self.clock, stop=self.stop.event, observer=self.metrics,
        )
        self.dispatcher.progress = self.watchdog.step
        self.round = Round(app.store, self.config.plan, self.config.delivery, self.dispatcher)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.watcher: ChangeWatcher | None = None
        self.feed_server: Any = None
        self._arm_lock = threading.Lock()
        self._outages = {name: Outage(name) for name in (
            "delivery", "the safety poll", "the heartbeat")}

    # -- lifecycle -----------------------------------------------------------------------

    def run(self) -> int:
        """Start, deliver until asked to stop, stop cleanly; 0 whenever the stop was asked."""
        try:
            for step in (self.open, self._heartbeat, self._summarise_ledger,
                         self._start_timer):
                if self.stop.is_set():
                    break
                step()
            else:
                self.notifier.ready(f"delivering from {self.app.store.describe()}")
            while not self.stop.wait(1.0):
                pass
            self.notifier.stopping("stopping: finishing the notice in flight")
            if self.stop.describe():
                log.info("%s received: finishing the notice in flight", self.stop.describe())
        finally:
            self._shut_down()
            self.notifier.close()
        return 0

    def open(self) -> None:
        opening = self.app.open()
        self.watcher = ChangeWatcher(self.app.store)
        self._summarise_config(opening.preparation.revision)

    def _start_timer(self) -> None:
        delivery = self.config.delivery
        self.scheduler.add_job(self._poll, IntervalTrigger(seconds=delivery.poll_seconds),
                               id="poll")
        self.scheduler.add_job(self._watch, IntervalTrigger(seconds=WATCH_SECONDS), id="watch")
        self.scheduler.add_job(self._heartbeat_job,
                               IntervalTrigger(seconds=delivery.heartbeat_seconds),
                               id="heartbeat")
        if self.watchdog.interval is not None:
            # On the timer's own threads: a daemon whose timer died goes quiet.
            self.scheduler.add_job(self.watchdog.check,
                                   IntervalTrigger(seconds=self.watchdog.interval),
                                   id="watchdog")
        if self.config.feeds.serve:
            from scheduler.feed_server import FeedServer
            from scheduler.feeds import FeedService

            service = FeedService(self.app.store, self.config)
            service.tokens()
            self.feed_server = FeedServer(service, self.config.feeds.host,
                                          self.config.feeds.port, self.metrics)
            self.feed_server.start()
        elif self.metrics is not None:
            log.warning("metrics are enabled but not served: the daemon serves /metrics "
                        "on its feed server; set feeds.serve = true (or run followup serve)")
        self.scheduler.start()
        self.arm()

    def _shut_down(self) -> None:
        # APScheduler's shutdown holds its job store lock while it waits for running jobs;
        # a job re-arming the dispatch then would wait for that lock for ever. Once any arm()
        # under way has finished, every later one sees the stop and touches nothing.
        self.stop.set()
        with self._arm_lock:
            pass
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # lets a running dispatch finish its notice
        if self.feed_server is not None:
            self.feed_server.stop()
        released = 0
        try:
            released = self.dispatcher.finish()
            with self.app.store.transaction(write=True) as session:
                Queue(session, self.clock()).leave(self.owner)
        except DATABASE_ERRORS as error:
            log.error("could not give back claimed notices (%s): they are taken up again "
                      "when this daemon's heartbeat is seen to have stopped", error)
        for channel in self.channels.values():
            channel.close()
        if self.watcher is not None:
            self.watcher.close()
        self.app.store.dispose()
        self.stop.restore()
        log.info("stopped%s", f"; released {released} claimed notices" if released else "")

    # -- jobs ----------------------------------------------------------------------------

    def _job(self, name: str, work: Callable[[], object]) -> bool:
        """Run one job's work; a failure is logged (once per outage), never fatal."""
        try:
            work()
        except Exception as error:
            self._outages[name].failed(error)
            return False
        self._outages[name].works()
        return True

    def deliver(self) -> None:
        """The round job: run the round, then arm the timer for its next moment."""
        # One bad run must not stop the daemon. Re-arming after a failure would retry at
        # once, in a loop, against a database that is locked or gone: the safety poll does.
        tried: list[int] = []
        self.watchdog.round_started()
        try:
            worked = self._job("delivery", lambda: tried.append(self.round.run(self.clock())))
        finally:
            self.watchdog.round_ended()
        if tried and tried[0]:
            self.notifier.status(f"delivering; the last round tried {tried[0]} notices at "
                                 f"{self.clock():%Y-%m-%dT%H:%M:%SZ}")
        if worked and not self.stop.is_set():
            self._job("delivery", self.arm)

    def arm(self) -> None:
        """Set the one round job for the round's next moment."""
        with self._arm_lock:
            if self.stop.is_set() or not self.scheduler.running:
                return
            now = self.clock()
            moment = self.round.next_moment(now)
            if moment is None:
                if self.scheduler.get_job("round") is not None:
                    self.scheduler.remove_job("round")
                return
            self.scheduler.add_job(self.deliver, DateTrigger(run_date=max(moment, now)),
                                   id="round", replace_existing=True)

    def _poll(self) -> None:
        self._job("the safety poll", self.arm)

    def _watch(self) -> None:
        # The watcher deals with its own connection; a failure here is the arm's.
        if self.watcher is not None and self.watcher.changed():
            self._job("delivery", self.arm)

    def _heartbeat_job(self) -> None:
        self._job("the heartbeat", self._heartbeat)

    def _heartbeat(self) -> None:
        """Say this daemon is alive, hand back gone daemons' claims, renew this one's."""
        delivery = self.config.delivery
        with self.app.store.transaction(write=True) as session:
            queue = Queue(session, self.clock())
            queue.beat(self.owner, host=self.host, pid=os.getpid())
            gone = queue.hand_back_dead(self.owner, host=self.host,
                                        dead_after=timedelta(seconds=delivery.dead_after),
                                        alive=process_exists)
        for owner, count in sorted(gone.items()):
            log.info("daemon %s has stopped; %d notices it had claimed are handed back",
                     owner, count)
        self.dispatcher.renew()
        if any(gone.values()) and self.scheduler.running:
            self.arm()

    # -- start-up ------------------------------------------------------------------------

    def _summarise_config(self, revision: str) -> None:
        log.info("followup daemon %s starting on %s (schema %s)", self.owner,
                 self.app.store.describe(), revision)
        for audience in self.config.plan.audiences:
            channels = ", ".join(self.channels[c].describe() for c in audience.channels)
            digest = f", digest {audience.digest!r}" if audience.digest else ""
            log.info("audience %s (%s, send time %s%s): %s", audience.name, audience.timezone,
                     f"{audience.send_time:%H:%M}", digest, channels)

    def _summarise_ledger(self) -> None:
        # What is due and when next: not a count of the whole ledger, which grows with the
        # register and would be read before the first notice goes out.
        with self.app.store.transaction(write=False) as session:
            queue = Queue(session, self.clock())
            due = queue.count_due()
            upcoming = queue.next_waiting()
        log.info("ledger: %d notices due now", due)
        if upcoming is not None:
            log.info("next due: %s [%s]", f"{upcoming.next_attempt:%Y-%m-%dT%H:%M:%SZ}",
                     upcoming.key)
        else:
            log.info("next due: nothing planned")

