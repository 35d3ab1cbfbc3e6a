"""The one exception family of followup.

Every error the user can cause or fix is a :class:`FollowupError`: the command line prints
its message on one line and exits with code 2. Anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


def first_line(error: BaseException) -> str:
    """What an error says, on one line (its kind when it says nothing)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class FollowupError(Exception):
    """Root of every error that is the user's to fix; the message says how."""


class WindowError(FollowupError, ValueError):
    """A date window that does not parse or cannot exist."""


class ScheduleError(FollowupError, ValueError):
    """Confirmed dates or times that do not parse or cannot exist."""


class UnknownFollowUp(FollowupError, LookupError):
    def __init__(self, followup_id: str) -> None:
        self.followup_id = followup_id
        super().__init__(f"no follow-up with the id {followup_id!r}: 'followup list' shows the ids")


class DuplicateFollowUp(FollowupError):
    def __init__(self, followup_id: str) -> None:
        self.followup_id = followup_id
        super().__init__(
            f"a follow-up with the id {followup_id!r} exists already: choose another id"
        )


class AnchorCycle(FollowupError):
    def __init__(self, path: Sequence[str]) -> None:
        self.path = tuple(path)
        super().__init__(
            "anchoring would make a cycle "
            + " -> ".join(self.path)
            + ": a follow-up cannot happen on the occasion of itself"
        )


class InvalidChange(FollowupError):
    """A change that the follow-up's current state does not allow."""


class ConfigError(FollowupError):
    """Every problem found in a configuration file, reported together."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


class StoreError(FollowupError):
    """The database cannot be opened or used as it is."""


class RowsRefused(FollowupError):
    """Rows to import that cannot be stored, every one of them with its line: one per line."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems, key=lambda problem: problem[0]))
        count = len(self.problems)
        head = (f"{source}: {count} {'problem' if count == 1 else 'problems'}, nothing "
                "imported; fix them and import again")
        super().__init__("\n".join([head, *(f"{source}:{line}: {message}"
                                            for line, message in self.problems)]))
