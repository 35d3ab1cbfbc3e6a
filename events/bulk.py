"""Notices for follow-ups added together (an import), planned in a few statements.

The ledger's :class:`~events.ledger.Planner` plans one follow-up per event, two statements
each: right for a change typed at the command line, 100,000 round trips for an import. This
handler plans the follow-ups of one :meth:`Register.add_many` a batch at a time with the
ledger's own rules (:meth:`Ledger.desired`), reading each batch in one statement and adding
its notices in one. A new follow-up has no notices yet, so there is nothing to supersede,
and no key of its notices can be taken (each names the follow-up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select

from events.bus import Added
from events.ledger import Ledger, PlanSettings
from events.model import FollowUp, Notice, NoticeStatus
from events.planning import Planned
from events.store import insert_rows

if TYPE_CHECKING:
    from events.register import Register

#: Follow-ups read and planned together.
BATCH = 500

_NOTICES = cast(Table, Notice.__table__)


def plan_added(settings: PlanSettings) -> Callable[[Sequence[Added], Register], None]:
    """A handler for ``bus.subscribe_many(Added, ...)`` that plans what was added."""

    def plan(events: Sequence[Added], register: Register) -> None:
        ledger = Ledger(register.session, settings, register.now)
        ids = [event.followup_id for event in events]
        added = 0
        for start in range(0, len(ids), BATCH):
            # Anchors and sources come along: planning reads whether an anchor has dates
            # and when a release was published.
            query = select(FollowUp).where(FollowUp.id.in_(ids[start:start + BATCH]))
            rows = [_row(planned, followup.revision, register.now)
                    for followup in register.session.scalars(query)
                    for planned in ledger.desired(followup)]
            insert_rows(register.session, _NOTICES, rows)
            added += len(rows)
        if added:
            ledger.notify()

    return plan


def _row(planned: Planned, revision: int, now: datetime) -> dict[str, Any]:
    """A new notice, as :meth:`Ledger.insert` writes it."""
    return {"key": planned.key, "followup_id": planned.followup_id, "kind": planned.kind,
            "audience": planned.audience, "channel": planned.channel,
            "detail": planned.detail, "due": planned.due, "status": NoticeStatus.PENDING,
            "attempts": 0, "next_attempt": planned.due, "late": False,
            "planned_revision": revision, "payload": [], "created_at": now}
