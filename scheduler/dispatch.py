"""Delivering due notices: claim a batch under a lease, send each, record the outcome.

The claim is one short transaction; sending happens outside any transaction; each outcome
is recorded in its own, only while this dispatcher still holds the lease. A crash between
sending and recording leaves the notice claimed; once the lease runs out another dispatcher
takes it over, so at most the notice in flight is sent twice.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.ledger import Ledger, PlanSettings, facts_of, record_failure, record_sent
from events.model import FollowUp, Notice
from events.planning import Audience, NoticeKind
from events.store import Store
from scheduler.channels import Channel, GiveUp, Message, TryAgain
from scheduler.config import DeliveryConfig
from scheduler.notices import (
    Templates,
    digest_sections,
    followup_context,
    is_late,
    missed_items,
    notice_context,
)

log = logging.getLogger("followup.daemon")


@dataclass(frozen=True)
class _Claimed:
    notice_id: int
    key: str
    attempts: int
    channel: Channel | None
    message: Message | None
    problem: str | None = None


def backoff(attempts: int, delivery: DeliveryConfig, rng: Callable[[], float]) -> timedelta:
    """Exponential, capped, with jitter so that retries of many notices spread out."""
    delay = min(delivery.backoff_cap_seconds, delivery.backoff_seconds * 2 ** (attempts - 1))
    return timedelta(seconds=delay * (0.5 + rng() / 2))


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
        self.lease = timedelta(seconds=delivery.lease_seconds)

    def run(self) -> int:
        """Deliver everything due now, batch by batch; the number of notices handled."""
        handled = 0
        while not self.stop.is_set():
            batch = self._claim()
            if not batch:
                break
            handled += self._deliver(batch)
        return handled

    # -- claiming ----------------------------------------------------------------------

    def _claim(self) -> list[_Claimed]:
        now = self.clock()
        with self.store.transaction(write=True) as session:
            ledger = Ledger(session, self.settings, now)
            notices = ledger.claim(self.owner, self.delivery.batch, self.lease)
            # A batch often speaks of the same follow-ups: load and describe each once.
            ids = {n.followup_id for n in notices if n.followup_id}
            followups = {f.id: followup_context(f) for f in session.scalars(
                select(FollowUp).where(FollowUp.id.in_(ids))).unique()}
            return [self._prepare(session, ledger, notice, now, followups)
                    for notice in notices]

    def _prepare(self, session: Session, ledger: Ledger, notice: Notice, now: datetime,
                 followups: dict[str, dict[str, Any]]) -> _Claimed:
        def refuse(problem: str) -> _Claimed:
            return _Claimed(notice.id, notice.key, notice.attempts, None, None, problem)

        audience = self.settings.audience(notice.audience)
        if audience is None:
            return refuse(f"the audience {notice.audience!r} is no longer configured")
        channel = self.channels.get(notice.channel)
        if channel is None:
            return refuse(f"the channel {notice.channel!r} is no longer configured")
        context = notice_context(notice, audience, now)
        if notice.kind == NoticeKind.DIGEST:
            context.update(digest_sections(self._wanted(session, audience), audience, now))
        elif notice.kind == NoticeKind.MISSED:
            folded = ledger.by_keys(notice.payload)
            ids = {n.followup_id for n in folded if n.followup_id}
            titles = dict(session.execute(select(FollowUp.id, FollowUp.title)
                                          .where(FollowUp.id.in_(ids))).tuples().all())
            context["missed"] = missed_items(folded, titles, audience)
        else:
            followup = followups.get(notice.followup_id or "")
            if followup is None:
                return refuse(f"the follow-up {notice.followup_id!r} no longer exists")
            context["followup"] = followup
        rendered = self.templates.render(notice.kind, context)
        message = Message(
            key=notice.key, kind=notice.kind, audience=audience.name,
            followup_id=notice.followup_id, due=notice.due, recipients=audience.recipients,
            subject=rendered.subject, text=rendered.text, html=rendered.html,
            late=is_late(notice.due, now),
        )
        return _Claimed(notice.id, notice.key, notice.attempts, channel, message)

    def _wanted(self, session: Session, audience: Audience) -> list[FollowUp]:
        followups = session.scalars(select(FollowUp).order_by(FollowUp.earliest, FollowUp.id))
        return [f for f in followups.unique() if audience.wants(facts_of(f))]

    # -- sending -----------------------------------------------------------------------

    def _deliver(self, batch: list[_Claimed]) -> int:
        handled = 0
        renew_at = self.clock() + self.lease / 2
        for index, item in enumerate(batch):
            if self.stop.is_set():
                self._release(batch[index:])
                break
            if self.clock() >= renew_at:
                # A slow channel must not let the lease on the rest of the batch run out,
                # or another daemon would take them over and send them too.
                renew_at = self.clock() + self.lease / 2
                with self.store.transaction(write=True) as session:
                    Ledger(session, self.settings, self.clock()).extend(
                        self.owner, [i.notice_id for i in batch[index:]], self.lease)
            self._deliver_one(item)
            handled += 1
        return handled

    def _deliver_one(self, item: _Claimed) -> None:
        if item.channel is None or item.message is None:
            self._record_failure(item, item.problem or "cannot be delivered", final=True)
            return
        try:
            item.channel.send(item.message)
        except GiveUp as error:
            self._record_failure(item, str(error), final=True)
        except TryAgain as error:
            self._record_failure(item, str(error),
                                 final=item.attempts >= self.delivery.max_attempts)
        else:
            message = item.message
            with self.store.connection(write=True) as connection:
                kept = record_sent(connection, item.notice_id, self.owner, now=self.clock(),
                                   subject=message.subject, text=message.text,
                                   html=message.html, late=message.late)
            if kept:
                late = " (late)" if message.late else ""
                log.info("sent%s [%s] %s", late, item.key, message.subject)
            else:
                log.warning("sent [%s], but its lease had been taken over by another daemon: "
                            "it may go out twice", item.key)

    def _record_failure(self, item: _Claimed, error: str, *, final: bool) -> None:
        now = self.clock()
        retry_at = None if final else now + backoff(item.attempts, self.delivery, self.rng)
        if final and item.attempts >= self.delivery.max_attempts:
            error = f"gave up after {item.attempts} attempts: {error}"
        with self.store.connection(write=True) as connection:
            record_failure(connection, item.notice_id, self.owner, error, retry_at=retry_at)
        if retry_at is None:
            log.error("dead [%s]: %s", item.key, error)
        else:
            log.warning("failed [%s] (attempt %d of %d, next at %s): %s", item.key,
                        item.attempts, self.delivery.max_attempts,
                        f"{retry_at:%Y-%m-%dT%H:%M:%SZ}", error)

    def _release(self, items: list[_Claimed]) -> None:
        with self.store.transaction(write=True) as session:
            released = Ledger(session, self.settings, self.clock()).release(
                self.owner, [item.notice_id for item in items])
        log.info("stopping: gave back %d claimed notices for the next daemon", released)
