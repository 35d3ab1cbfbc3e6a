"""Notices for follow-ups added together (an import), planned in a few statements.

The ledger's :class:`~events.ledger.Planner` plans one follow-up per event, a few statements
each: right for a change typed at the command line, 100,000 round trips for an import. This
handler hands the follow-ups of one :meth:`Register.add_many` to
:meth:`Ledger.plan_added`, which plans them a batch at a time with the ledger's own rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from events.bus import Added
from events.ledger import Ledger, PlanSettings

if TYPE_CHECKING:
    from events.register import Register


def plan_added(settings: PlanSettings) -> Callable[[Sequence[Added], Register], None]:
    """A handler for ``bus.subscribe_many(Added, ...)`` that plans what was added."""

    def plan(events: Sequence[Added], register: Register) -> None:
        Ledger(register.session, settings, register.now).plan_added(
            [event.followup_id for event in events])

    return plan
