"""Delivering due notices: claim a batch under a lease, send each, record the outcome.

The claim is one short transaction; the claimed notices are written from the register in
a reading one; sending happens outside any transaction; each outcome is recorded in its
own, only while this dispatcher still owns the notice. What could go wrong, and what
happens then:

- a notice that cannot be written (a template that fails on it) is dead at once with the
  reason, so it never holds up the rest of the queue;
- a database that stops answering while a batch is written has it given back once it
  answers again, untried;
- before every send the claim must be certain (``scheduler/holdings.py``): a daemon paused
  past its lease renews first and does not send what another daemon has taken over;
- a channel that cannot be reached or refuses the login pauses as a whole
  (``scheduler/breaker.py``); its notices wait without an attempt counted;
- an outcome that cannot be recorded (the database locked or away) is retried, and kept
  until it is recorded; nothing more is sent meanwhile, and the sent notice is never sent
  again by this daemon;
- a crash between sending and recording leaves the notice claimed; its daemon's heartbeat
  stops, and the notice is handed back, so at most the notice in flight is sent twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any, Protocol

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from events.errors import StoreError, first_line
from events.ledger import PlanSettings, facts_of
from events.model import Change, FollowUp, Notice
from events.planning import Audience, NoticeKind
from events.queue import Queue
from events.recording import Recorder
from events.register import register_state
from events.store import Store
from scheduler.breaker import Breaker, backoff
from scheduler.channels import Channel, ChannelDown, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig
from scheduler.holdings import Holdings
from scheduler.notices import (
    Templates,
    change_sections,
    digest_sections,
    followup_context,
    in_audience_zone,
    is_late,
    missed_items,
    notice_context,
)

log = logging.getLogger("followup.daemon")

#: What a notice says of a follow-up beyond its row (what waits on it, its notes), read for
#: a batch in one query each rather than one per follow-up.
_CONTEXT = (selectinload(FollowUp.riders), selectinload(FollowUp.notes))

#: A first digest calls new what changed in the week before it.
DIGEST_LOOKBACK = timedelta(days=7)

#: What a database that is locked, restarting or unreachable raises.
DATABASE_ERRORS = (StoreError, DBAPIError)


class DeliveryObserver(Protocol):
    """Told what delivery does, for metrics (``scheduler/metrics.py``)."""

    def round(self) -> None:
        """A delivery round begins."""

    def tried(self, channel: str, outcome: str, attempt: int,
              seconds: float | None) -> None:
        """A notice's attempt came to ``outcome`` (sent, failed, dead, down); ``seconds``
        is how long the send took (None when nothing was sent)."""


class _Unobserved:
    def round(self) -> None:
        pass

    def tried(self, channel: str, outcome: str, attempt: int,
              seconds: float | None) -> None:
        pass


@dataclass(frozen=True)
class Prepared:
    """A claimed notice, written and ready to send (or with the reason it cannot be)."""

    notice_id: int
    key: str
    channel_name: str
    #: The number of this attempt: 1 for the first.
    attempt: int
    channel: Channel | None
    message: Message | None
    problem: str | None = None


@dataclass
class _Kept:
    """Follow-ups read for notices, by id, what is said of each, and each audience's for
    its digest: good while the register stands at ``state`` (:func:`register_state`)."""

    state: tuple[int, int] | None
    followups: dict[str, FollowUp] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)
    digests: dict[str, list[FollowUp]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Unrecorded:
    """An outcome that happened but is not yet in the database."""

    item: Prepared
    write: Callable[[Recorder], bool]


class Dispatcher:
    def __init__(
        self,
        store: Store,
        settings: PlanSettings,
        delivery: DeliveryConfig,
        channels: dict[str, Channel],
        templates: Templates,
        *,
        owner: str,
        clock: Callable[[], datetime],
        stop: threading.Event | None = None,
        rng: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
        observer: DeliveryObserver | None = None,
        rehearsal: bool = False,
    ) -> None:
        self.store = store
        self.settings = settings
        self.delivery = delivery
        self.channels = channels
        self.templates = templates
        self.owner = owner
        self.clock = clock
        self.stop = stop or threading.Event()
        self.rng = rng
        self.monotonic = monotonic
        #: Told as each notice is taken up: how the daemon's watchdog knows a round moves.
        self.progress: Callable[[], None] = lambda: None
        self.lease = timedelta(seconds=delivery.lease_seconds)
        self.holdings = Holdings(self.lease, monotonic)
        self.breaker = Breaker(delivery.backoff_seconds, delivery.backoff_cap_seconds, rng)
        self.observer: DeliveryObserver = observer or _Unobserved()
        self._unrecorded: list[_Unrecorded] = []
        #: A rehearsal (``followup replay``) sends to channels that capture, on a virtual
        #: clock that stands still while a round runs, into a scratch file no other
        #: process writes. What it does differently cannot change what is sent:
        #:
        #: - the outcomes of a batch are written in one transaction once the batch is
        #:   sent, not one by one as each is known (a daemon records each at once, so that
        #:   a crash sends at most the one in flight again);
        #: - a claim that took all that was due is not made again at the same instant;
        #: - the follow-ups read for notices and digests, and what was said of each, are
        #:   kept while the register stands as it stood then: a rehearsal writes a digest
        #:   a week and the notices of months over a register that mostly stands still,
        #:   where a daemon, a week apart, would only hold the memory.
        self.rehearsal = rehearsal
        self._outcomes: list[tuple[Prepared, Callable[[Recorder], bool],
                                   Callable[[bool], None]]] = []
        self.recorder = Recorder(store)
        self._known: _Kept | None = None
        #: Claims let go of while the database did not answer, to give back once it does.
        self._abandoned: list[int] = []

    def run(self) -> int:
        """Deliver everything due now, batch by batch; the number of notices tried."""
        self.observer.round()
        try:
            return self._run()
        finally:
            self.recorder.release()

    def _run(self) -> int:
        if not self._record_unrecorded() or not self._give_back_abandoned():
            return 0
        tried = 0
        while not self.stop.is_set():
            claimed_at = self.clock()
            batch = self._claim()
            if not batch:
                break
            tried += self._deliver(batch)
            if self._unrecorded:
                break  # the database is away: the next run records first
            if self.rehearsal and len(batch) < self.delivery.batch \
                    and self.clock() == claimed_at:
                # The claim took all that was due, and with the clock where it was nothing
                # more can be: a retry is due later, a paused channel's notices wait for it.
                break
        return tried

    def next_due(self, now: datetime | None = None) -> datetime | None:
        """When ``run`` next has something to do, from the ledger and the paused channels."""
        now = now or self.clock()
        with self.store.transaction(write=False) as session:
            due = Queue(session, now).next_due(skip_channels=self.breaker.paused(now))
        return min((t for t in (due, self.breaker.next_try(now)) if t is not None),
                   default=None)

    def renew(self) -> set[int]:
        """Renew the lease on everything held; returns what had been taken over."""
        asked = self.holdings.ids()
        if not asked:
            return set()
        asked_at = self.monotonic()
        with self.store.transaction(write=True) as session:
            kept = Queue(session, self.clock()).renew(self.owner, asked, self.lease)
        lost = self.holdings.renewed(asked, kept, asked_at=asked_at)
        if lost:
            log.warning("%d claimed notices were taken over by another daemon while this one "
                        "was held up; they are left to it", len(lost))
        return lost

    def finish(self) -> int:
        """On stop: record what was sent, give back what was claimed but not tried."""
        self._record_unrecorded()
        self.recorder.release()
        keep = {u.item.notice_id for u in self._unrecorded}
        for unrecorded in self._unrecorded:
            log.error("sent [%s] but could not record it: it may go out again",
                      unrecorded.item.key)
        with self.store.transaction(write=True) as session:
            released = Queue(session, self.clock()).release(self.owner, keep=keep)
        self.holdings.release(self.holdings.ids())
        return released

    # -- claiming ------------------------------------------------------------------------

    def _claim(self) -> list[Prepared]:
        now = self.clock()
        asked_at = self.monotonic()
        with self.store.transaction(write=True) as session:
            notices = Queue(session, now).claim(self.owner, self.delivery.batch, self.lease,
                                                skip_channels=self.breaker.paused(now))
        if not notices:
            return []
        ids = [notice.id for notice in notices]
        self.holdings.claimed(ids, asked_at=asked_at)
        # Written from the register in a reading transaction, after the claim's writing one
        # has ended: a batch (a digest of the whole register among it) takes a while to
        # write, and on SQLite no one else could write meanwhile.
        try:
            with self.store.transaction(write=False) as session:
                queue = Queue(session, now)
                followups, contexts = self._followups(
                    session, {n.followup_id for n in notices if n.followup_id})
                return [self._prepare(session, queue, notice, now, followups, contexts)
                        for notice in notices]
        except DATABASE_ERRORS:
            self._abandon_ids(ids)  # given back once the database answers
            raise

    def _prepare(self, session: Session, queue: Queue, notice: Notice, now: datetime,
                 followups: dict[str, FollowUp], contexts: dict[str, dict[str, Any]],
                 ) -> Prepared:
        """Write one notice; a failure to write it is that notice's alone."""
        def refuse(problem: str) -> Prepared:
            return Prepared(notice.id, notice.key, notice.channel, notice.attempts + 1, None,
                            None, problem)

        audience = self.settings.audience(notice.audience)
        if audience is None:
            return refuse(f"the audience {notice.audience!r} is no longer configured")
        channel = self.channels.get(notice.channel)
        if channel is None:
            return refuse(f"the channel {notice.channel!r} is no longer configured")
        try:
            message = self._write(session, queue, notice, audience, now, followups, contexts,
                                  channel.forms)
        except DATABASE_ERRORS:
            raise  # the batch is given back, and claimed again
        except TemplateError as error:
            return refuse(f"the {notice.kind} template fails on it: {error}; fix the "
                          f"template, then 'followup retry --key {notice.key}'")
        except Exception as error:
            log.exception("cannot write [%s]", notice.key)
            return refuse(f"cannot be written: {error!r}")
        if message is None:
            return refuse(f"the follow-up {notice.followup_id!r} no longer exists")
        return Prepared(notice.id, notice.key, notice.channel, notice.attempts + 1, channel,
                        message)

    def _write(self, session: Session, queue: Queue, notice: Notice, audience: Audience,
               now: datetime, followups: dict[str, FollowUp],
               contexts: dict[str, dict[str, Any]],
               forms: Collection[str]) -> Message | None:
        context = notice_context(notice, audience, now)
        if notice.kind == NoticeKind.DIGEST:
            since = queue.previous_digest(audience.name, notice.channel, notice.due) or (
                notice.due - DIGEST_LOOKBACK)
            recent = list(session.scalars(select(Change).where(
                Change.at > since, Change.at <= notice.due).order_by(Change.id)))
            wanted, described = self._wanted(session, audience)
            context.update(digest_sections(wanted, audience, now, recent, described))
        elif notice.kind == NoticeKind.MISSED:
            folded = queue.by_keys(notice.payload)
            ids = {n.followup_id for n in folded if n.followup_id}
            titles = dict(session.execute(select(FollowUp.id, FollowUp.title)
                                          .where(FollowUp.id.in_(ids))).all())
            context["missed"] = missed_items(folded, titles, audience)
        elif notice.kind == NoticeKind.CHANGE:
            changes = list(session.scalars(select(Change).where(
                Change.id.in_([int(i) for i in notice.payload]))))
            told = {c.followup_id for c in changes}
            named = {f.id: f for f in session.scalars(
                select(FollowUp).where(FollowUp.id.in_(told)).options(*_CONTEXT)).unique()}
            context.update(change_sections(changes, named))
        else:
            followup = followups.get(notice.followup_id or "")
            if followup is None:
                return None
            if followup.id not in contexts:
                contexts[followup.id] = followup_context(followup)
            context["followup"] = {**contexts[followup.id],
                                   "here": in_audience_zone(followup, audience)}
        rendered = self.templates.render(notice.kind, context, forms)
        return Message(
            key=notice.key, kind=notice.kind, audience=audience.name,
            followup_id=notice.followup_id, due=notice.due, recipients=audience.recipients,
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            late=is_late(notice.due, now), markdown=rendered.markdown,
        )

    def _followups(self, session: Session, ids: set[str]
                   ) -> tuple[dict[str, FollowUp], dict[str, dict[str, Any]]]:
        """The follow-ups named by ``ids`` (and maybe others) by id, and a place to keep
        what is said of each: a batch often speaks of the same follow-ups, each described
        once; a rehearsal keeps them while the register stands as it stood."""
        kept = self._kept(session)
        missing = ids - kept.followups.keys()
        if missing:
            kept.followups.update((f.id, f) for f in session.scalars(
                select(FollowUp).where(FollowUp.id.in_(missing)).options(*_CONTEXT)).unique())
        return kept.followups, kept.contexts

    def _wanted(self, session: Session, audience: Audience
                ) -> tuple[list[FollowUp], dict[str, dict[str, Any]]]:
        """The follow-ups ``audience`` gets, in digest order, and a place to keep what is
        said of each."""
        kept = self._kept(session)
        wanted = kept.digests.get(audience.name)
        if wanted is None:
            followups = list(session.scalars(select(FollowUp).options(*_CONTEXT)
                                             .order_by(FollowUp.earliest, FollowUp.id))
                             .unique())
            kept.followups.update((f.id, f) for f in followups)
            wanted = kept.digests[audience.name] = [
                f for f in followups if audience.wants(facts_of(f))]
        return wanted, kept.contexts

    def _kept(self, session: Session) -> _Kept:
        """What a rehearsal keeps of the register while it stands as it stood; for a
        daemon, a new place each time (it reads what it needs each time)."""
        if not self.rehearsal:
            return _Kept(None)
        state = register_state(session)
        if self._known is None or self._known.state != state:
            self._known = _Kept(state)
        return self._known

    # -- sending -------------------------------------------------------------------------

    def _deliver(self, batch: list[Prepared]) -> int:
        tried = 0
        used: set[str] = set()
        waiting: list[Prepared] = []  # their channel is paused
        try:
            for index, item in enumerate(batch):
                self.progress()
                if self.stop.is_set():
                    released = self._hand_back(batch[index:])
                    log.info("stopping: gave back %d claimed notices for the next daemon",
                             released)
                    break
                if item.channel_name in self.breaker.paused(self.clock()):
                    waiting.append(item)
                    continue
                mine = self._still_mine(item)
                if mine is None:
                    self._abandon(batch[index:])
                    break
                if not mine:
                    continue  # taken over by another daemon: it is theirs to send
                if item.channel is not None:
                    used.add(item.channel_name)
                tried += self._attempt(item)
                if self._unrecorded:
                    self._abandon(batch[index + 1:])
                    break
        finally:
            self._record_outcomes()
            for name in used:
                self.channels[name].idle()
            for name in sorted({item.channel_name for item in waiting}):
                reason = self.breaker.reason(name) or "unavailable"
                self._hand_back([i for i in waiting if i.channel_name == name],
                                reason=f"waiting for the {name} channel: {reason}")
        return tried

    def _still_mine(self, item: Prepared) -> bool | None:
        """Whether ``item`` is certainly still this daemon's to send; None when the
        database cannot say (then nothing more is sent until it can)."""
        if self.holdings.certain(item.notice_id):
            return True
        try:
            self.renew()
        except DATABASE_ERRORS as error:
            log.error("cannot renew the claim on [%s] (%s): sending nothing more until the "
                      "database answers", item.key, first_line(error))
            return None
        return self.holdings.holds(item.notice_id)

    def _attempt(self, item: Prepared) -> int:
        """Send one notice and record what happened; 1 if an attempt was made."""
        if item.channel is None or item.message is None:
            self._record_failure(item, item.problem or "cannot be delivered", final=True)
            self.observer.tried(item.channel_name, "dead", item.attempt, None)
            return 1
        last = item.attempt >= self.delivery.max_attempts
        # Real time, as the latency a person waits for, whatever clock the round runs on.
        started = perf_counter()
        try:
            item.channel.send(item.message)
        except ChannelDown as error:
            self._observe(item, "down", started)
            self.breaker.trip(item.channel_name, str(error), self.clock())
            self._hand_back([item], reason=f"waiting for the {item.channel_name} channel: "
                                           f"{error}")
            return 0
        except GiveUp as error:
            self._observe(item, "dead", started)
            self._record_failure(item, str(error), final=True)
        except TryAgain as error:
            self._observe(item, "dead" if last else "failed", started)
            self._record_failure(item, str(error), final=last)
        except Exception as error:
            self._observe(item, "dead" if last else "failed", started)
            # A fault in a channel is this notice's failure, not the daemon's end.
            log.exception("sending [%s] failed unexpectedly", item.key)
            self._record_failure(item, f"unexpected failure: {error!r}", final=last)
        else:
            self._observe(item, "sent", started)
            self.breaker.works(item.channel_name, self.clock())
            self._record_sent(item)
        return 1

    def _observe(self, item: Prepared, outcome: str, started: float) -> None:
        self.observer.tried(item.channel_name, outcome, item.attempt,
                            perf_counter() - started)

    # -- recording -----------------------------------------------------------------------

    def _record_sent(self, item: Prepared) -> None:
        message = item.message
        if message is None:
            return

        def write(recorder: Recorder) -> bool:
            return recorder.sent(item.notice_id, self.owner, now=self.clock(),
                                 subject=message.subject, text=message.text,
                                 html=message.html, late=message.late)

        def report(kept: bool) -> None:
            if kept:
                late = " (late)" if message.late else ""
                log.log(_sent_level(item), "sent%s [%s] %s", late, item.key, message.subject)
            else:
                log.warning("sent [%s], but another daemon had taken it over meanwhile: it "
                            "may go out twice", item.key)

        self._record(item, write, report)

    def _record_failure(self, item: Prepared, error: str, *, final: bool) -> None:
        now = self.clock()
        retry_at = None if final else now + backoff(
            item.attempt, self.delivery.backoff_seconds, self.delivery.backoff_cap_seconds,
            self.rng)
        if final and item.attempt >= self.delivery.max_attempts and item.problem is None:
            error = f"gave up after {item.attempt} attempts: {error}"

        def write(recorder: Recorder) -> bool:
            return recorder.failed(item.notice_id, self.owner, error, now=now,
                                   retry_at=retry_at)

        def report(_kept: bool) -> None:
            if retry_at is None:
                log.error("dead [%s]: %s", item.key, error)
            else:
                log.warning("failed [%s] (attempt %d of %d, next at %s): %s", item.key,
                            item.attempt, self.delivery.max_attempts,
                            f"{retry_at:%Y-%m-%dT%H:%M:%SZ}", error)

        self._record(item, write, report)

    def _record(self, item: Prepared, write: Callable[[Recorder], bool],
                report: Callable[[bool], None]) -> None:
        """Write an outcome, retrying while the database is locked or away, and
        ``report`` whether the notice was still this daemon's.

        When the database does not answer for half a lease, the outcome is kept and
        written before anything else is claimed. Sending again is never the remedy.
        """
        if self.rehearsal:
            self._outcomes.append((item, write, report))
            return
        kept = self._write_outcome(item, write)
        if kept is not None:
            report(kept)

    def _record_outcomes(self) -> None:
        """Write the outcomes a rehearsal kept, in one transaction."""
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes:
            return
        with self.recorder.together():
            kept = [write(self.recorder) for _, write, _ in outcomes]
        self.holdings.release([item.notice_id for item, _, _ in outcomes])
        for (_, _, report), was_kept in zip(outcomes, kept, strict=True):
            report(was_kept)

    def _write_outcome(self, item: Prepared, write: Callable[[Recorder], bool]
                       ) -> bool | None:
        """Whether the notice was still this daemon's; None when the outcome is kept to
        be written later."""
        # Real waiting, so the real clock: the injected one is for the claims' certainty.
        deadline = time.monotonic() + self.lease.total_seconds() / 2
        delay, failures = 0.05, 0
        while True:
            try:
                kept = write(self.recorder)
            except DATABASE_ERRORS as error:
                failures += 1
                if failures == 1:
                    log.warning("cannot record the outcome of [%s] yet (%s); trying again",
                                item.key, first_line(error))
                if time.monotonic() >= deadline:
                    self._unrecorded.append(_Unrecorded(item, write))
                    log.error("still cannot record the outcome of [%s]: kept, and written "
                              "before anything more is sent", item.key)
                    return None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            self.holdings.release([item.notice_id])
            if failures:
                log.info("recorded [%s] after %d tries", item.key, failures + 1)
            return kept

    def _record_unrecorded(self) -> bool:
        """Write outcomes kept from an earlier run; False while the database is away."""
        while self._unrecorded:
            unrecorded = self._unrecorded[0]
            try:
                unrecorded.write(self.recorder)
            except DATABASE_ERRORS:
                return False
            self._unrecorded.pop(0)
            self.holdings.release([unrecorded.item.notice_id])
            log.info("recorded [%s], which went out earlier", unrecorded.item.key)
        return True

    def _hand_back(self, items: Collection[Prepared], *, reason: str | None = None) -> int:
        """Give claimed notices back untried (with why they wait, if there is a reason)."""
        ids = [item.notice_id for item in items]
        if not ids:
            return 0
        try:
            with self.store.transaction(write=True) as session:
                released = Queue(session, self.clock()).release(self.owner, ids, error=reason)
        except DATABASE_ERRORS as error:
            log.error("cannot give back %d claimed notices yet (%s)", len(ids),
                      first_line(error))
            self._abandon(items)
            return 0
        self.holdings.release(ids)
        return released

    def _abandon(self, items: Collection[Prepared]) -> None:
        """Stop holding notices without touching the database (it is not answering): they
        are given back once it answers again, or taken up when their lease runs out."""
        self._abandon_ids([item.notice_id for item in items])

    def _abandon_ids(self, ids: list[int]) -> None:
        self.holdings.release(ids)
        self._abandoned += ids

    def _give_back_abandoned(self) -> bool:
        if not self._abandoned:
            return True
        try:
            with self.store.transaction(write=True) as session:
                Queue(session, self.clock()).release(self.owner, self._abandoned)
        except DATABASE_ERRORS:
            return False
        self._abandoned = []
        return True


def _sent_level(item: Prepared) -> int:
    """A notice is said once where it is read: one its channel showed where this log goes
    (the log channel on the terminal the log shares) is not told again but at debug level."""
    seen = item.channel is not None and item.channel.seen_in_log
    return logging.DEBUG if seen else logging.INFO
