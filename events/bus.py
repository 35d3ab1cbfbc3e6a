"""Domain events: what happened to a follow-up, for whoever needs to react.

Re-derivation of anchored follow-ups, the notice planner and the feed cache all listen
here. Subscribing is one line::

    bus.subscribe(Confirmed, plan_notices)      # or FollowUpEvent for every event

Handlers run synchronously, in the transaction of the change that caused them, so what
they write commits or rolls back with it. Changes made together (an import) are published
together with ``publish_many``: a handler subscribed with ``subscribe_many`` gets them in one
call, to do its work in a few statements instead of a few per follow-up. Events published
while handlers run are queued and delivered in order, so a chain A -> B -> C propagates
breadth-first without recursion.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from events.schedule import Schedule
from events.window import Window

if TYPE_CHECKING:
    from events.register import Register


@dataclass(frozen=True, kw_only=True, slots=True)
class FollowUpEvent:
    """Something happened to one follow-up. ``cause`` is the command that set it off."""

    followup_id: str
    at: datetime
    cause: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Added(FollowUpEvent):
    window: Window


@dataclass(frozen=True, kw_only=True, slots=True)
class Confirmed(FollowUpEvent):
    schedule: Schedule


@dataclass(frozen=True, kw_only=True, slots=True)
class Moved(FollowUpEvent):
    old: Window
    new: Window


@dataclass(frozen=True, kw_only=True, slots=True)
class Cancelled(FollowUpEvent):
    reason: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Completed(FollowUpEvent):
    schedule: Schedule | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Rederived(FollowUpEvent):
    """The follow-up changed because the one it is anchored to did."""

    anchor_id: str
    old: Window
    new: Window


@dataclass(frozen=True, kw_only=True, slots=True)
class Edited(FollowUpEvent):
    """Fields other than dates and status changed (title, place, anchor, tags...)."""

    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Reopened(FollowUpEvent):
    """A cancel or done made by mistake was undone: it is expected (or scheduled) again."""


E = TypeVar("E", bound=FollowUpEvent)
Handler = Callable[[Any, "Register"], None]


@dataclass(frozen=True, slots=True)
class _Subscription:
    kind: type[FollowUpEvent]
    handler: Handler
    #: Whether the handler takes a list of events rather than one.
    many: bool


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []
        self._queue: deque[tuple[FollowUpEvent, ...]] = deque()
        self._delivering = False
        self._finishers: list[Callable[[Register], None]] = []

    def subscribe(self, kind: type[E], handler: Callable[[E, Register], None]) -> None:
        """Call ``handler(event, register)`` for every event of ``kind`` or a subclass."""
        self._subscriptions.append(_Subscription(kind, handler, many=False))

    def subscribe_many(
        self, kind: type[E], handler: Callable[[Sequence[E], Register], None]
    ) -> None:
        """Call ``handler(events, register)`` with the events of ``kind`` (or a subclass)
        published together; a single published event comes as a list of one."""
        self._subscriptions.append(_Subscription(kind, handler, many=True))

    def on_finish(self, handler: Callable[[Register], None]) -> None:
        """Call ``handler(register)`` once a command has made all its changes, derived ones
        included, still inside its transaction."""
        self._finishers.append(handler)

    def finish(self, register: Register) -> None:
        for handler in self._finishers:
            handler(register)

    def publish(self, event: FollowUpEvent, register: Register) -> None:
        self.publish_many([event], register)

    def publish_many(self, events: Sequence[FollowUpEvent], register: Register) -> None:
        """Deliver events that happened together: each handler sees all of them before the
        next handler runs (a one-at-a-time handler once per event, in order). Events that
        handlers publish meanwhile are delivered afterwards, in the order published."""
        if not events:
            return
        self._queue.append(tuple(events))
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._queue:
                together = self._queue.popleft()
                for subscription in self._subscriptions:
                    matching = [e for e in together if isinstance(e, subscription.kind)]
                    if not matching:
                        continue
                    if subscription.many:
                        subscription.handler(matching, register)
                    else:
                        for event in matching:
                            subscription.handler(event, register)
        finally:
            self._delivering = False
            self._queue.clear()
