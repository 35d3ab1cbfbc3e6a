"""One delivery round: what is due at a moment, done; and when the next moment is.

The daemon (``scheduler/daemon.py``) runs it from its timer on the wall clock; ``followup
replay`` (``scheduler/replay.py``) runs it in a loop on a virtual clock, with channels that
capture instead of send. Both ask :meth:`Round.next_moment` when there is next something to
do and call :meth:`Round.run` then, so a rehearsal does what the daemon would do.

A round, at ``now``:

- the first time, catches up: notices that fell due more than ``delivery.grace_hours`` ago
  while no daemon ran are folded into one "missed" notice per audience, a digest missed
  within the grace period is put in the ledger (one missed longer ago is only logged), and
  follow-ups planned under other reminder settings are planned again;
- puts in the ledger each digest whose time has come (several missed fires make one);
- plans further ahead the follow-ups whose planned horizon runs out (or that were never
  planned: the copy a rehearsal starts from);
- claims, sends and records the due notices (``scheduler/dispatch.py``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from events.ledger import Ledger, PlanSettings
from events.planning import Audience
from events.queue import Queue
from events.store import Store
from scheduler.config import DeliveryConfig
from scheduler.dispatch import Dispatcher

__all__ = ["Round", "last_fire_time"]

log = logging.getLogger("followup.daemon")

#: How far back the first round looks for a digest that fell due while no daemon ran.
DIGEST_LOOKBACK = timedelta(days=32)


def last_fire_time(trigger: CronTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now``, looking back ``within``."""
    moment: datetime | None = trigger.get_next_fire_time(None, now - within)
    last = None
    while moment is not None and moment <= now:
        last = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return last


class Round:
    def __init__(self, store: Store, settings: PlanSettings, delivery: DeliveryConfig,
                 dispatcher: Dispatcher) -> None:
        self.store = store
        self.settings = settings
        self.delivery = delivery
        self.dispatcher = dispatcher
        self.grace = timedelta(hours=delivery.grace_hours)
        self.digests = {a.name: (a, CronTrigger.from_crontab(a.digest, timezone=a.zone))
                        for a in settings.audiences if a.digest}
        #: Per audience with a digest: the instant up to which its fires are in the ledger.
        self._digested: dict[str, datetime] = {}
        self.caught_up = False

    def next_moment(self, now: datetime) -> datetime | None:
        """When a round next has something to do: ``now`` (or earlier) when it has now."""
        if not self.caught_up:
            return now
        with self.store.transaction(write=False) as session:
            extension = Ledger(session, self.settings, now).next_extension()
        moments = [self.dispatcher.next_due(now), extension]
        moments += [trigger.get_next_fire_time(None, self._digested[name]
                                               + timedelta(seconds=1))
                    for name, (_, trigger) in self.digests.items()]
        return min((m.astimezone(UTC) for m in moments if m is not None), default=None)

    def run(self, now: datetime) -> int:
        """Do what is due at ``now``; the number of notices tried."""
        if not self.caught_up:
            self._catch_up(now)
            self.caught_up = True
        else:
            self._enqueue_digests(now)
            self._extend(now, settings_changed=False)
        return self.dispatcher.run()

    # -- digests ---------------------------------------------------------------------------

    def _enqueue_digests(self, now: datetime) -> None:
        for name, (audience, trigger) in self.digests.items():
            done = self._digested[name]
            fire = last_fire_time(trigger, now, now - done)
            if fire is not None and fire > done:
                with self.store.transaction(write=True) as session:
                    Ledger(session, self.settings, now).enqueue_digest(audience,
                                                                       fire.astimezone(UTC))
            self._digested[name] = max(done, now)

    # -- planning ahead --------------------------------------------------------------------

    def _extend(self, now: datetime, *, settings_changed: bool) -> None:
        if not settings_changed:
            with self.store.transaction(write=False) as session:
                extension = Ledger(session, self.settings, now).next_extension()
            if extension is None or extension > now:
                return
        with self.store.transaction(write=True) as session:
            result = Ledger(session, self.settings, now).extend_due(
                settings_changed=settings_changed)
        if result.followups:
            log.info("planned %d follow-ups ahead: %d notices added, %d superseded, "
                     "%d revived", result.followups, result.added, result.superseded,
                     result.revived)

    # -- catch-up --------------------------------------------------------------------------

    def _catch_up(self, now: datetime) -> None:
        with self.store.transaction(write=True) as session:
            ledger = Ledger(session, self.settings, now)
            folded = ledger.fold_missed(self.grace)
            late = Queue(session, now).count_due()
            for audience, trigger in self.digests.values():
                self._catch_up_digest(ledger, audience, trigger, now)
            settings_changed = ledger.planned_under_other_settings()
        if folded:
            audiences = sorted({n.audience for n in folded})
            log.info("catch-up: %d notices fell due more than %g hours ago while no daemon "
                     "ran; listed in one 'missed' notice for %s", len(folded),
                     self.delivery.grace_hours, ", ".join(audiences))
        if late:
            log.info("catch-up: %d notices are due now and go out (late where they are)",
                     late)
        self._extend(now, settings_changed=settings_changed)

    def _catch_up_digest(self, ledger: Ledger, audience: Audience, trigger: CronTrigger,
                         now: datetime) -> None:
        self._digested[audience.name] = now
        last = last_fire_time(trigger, now, DIGEST_LOOKBACK)
        if last is None:
            return
        planning_began = ledger.planning_began()
        if planning_began is None or last < planning_began:
            return  # the register did not exist yet: nothing was missed
        if now - last <= self.grace:
            ledger.enqueue_digest(audience, last.astimezone(UTC))
        elif not ledger.digest_since(audience.name, last.astimezone(UTC)):
            log.info("catch-up: the digest for %s due %s was missed while no daemon ran; "
                     "the next one is on schedule", audience.name, f"{last:%Y-%m-%d %H:%M %Z}")
