"""What a follow-up and a notice can be, and be in: plain enums with no database behind them.

Kept apart from the tables (``model.py``) so that the command line can offer these values as
choices, and check them, without loading the ORM.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Kind", "NoticeStatus", "Status"]


class Kind(StrEnum):
    MEETING = "meeting"
    VISIT = "visit"
    REPORT = "report"
    LAUNCH = "launch"
    PROJECT = "project"
    DEADLINE = "deadline"
    OTHER = "other"


class Status(StrEnum):
    EXPECTED = "expected"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class NoticeStatus(StrEnum):
    PENDING = "pending"  # planned, waiting for its time
    SENDING = "sending"  # claimed by a daemon under a lease
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; it will be tried again
    DEAD = "dead"  # given up, the reason kept
    SUPERSEDED = "superseded"  # the plan changed before it was sent
    MISSED = "missed"  # fell due too long ago while no daemon ran; told in a "missed" notice
