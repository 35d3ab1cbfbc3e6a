"""The next step a notice gives follows where the follow-up stands, unless one was written
for where it stands now."""

from __future__ import annotations

from datetime import date

import pytest

from events.describe import next_step
from events.model import FollowUp, Kind, Status
from events.window import Precision


def followup(status: Status, *, step: str | None = None, written_for: str | None = None,
             dated: bool = True, location: str | None = None) -> FollowUp:
    days = {"start_date": date(2019, 11, 23), "end_date": date(2019, 11, 24)} \
        if status is Status.SCHEDULED else {}
    window = {"earliest": date(2019, 7, 1), "latest": date(2019, 12, 31),
              "precision": Precision.HALF_YEAR} if dated else {
        "earliest": None, "latest": None, "precision": Precision.OPEN}
    return FollowUp(id="temm-21", title="TEMM 21", kind=Kind.MEETING, status=status,
                    parties=[], tags=[], margin_days=0, location=location, next_step=step,
                    next_step_for=written_for, **window, **days)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # written while it waited for its date (or before steps said so): it applies then
        (followup(Status.EXPECTED, step="Ask the Japanese hosts for the dates."),
         "Ask the Japanese hosts for the dates."),
        (followup(Status.EXPECTED, step="Ask the hosts.", written_for="expected"),
         "Ask the hosts."),
        # ... and no longer once the date is known
        (followup(Status.SCHEDULED, step="Ask the Japanese hosts for the dates.",
                  location="Kitakyushu"),
         "Prepare for it: 23–24 November 2019 in Kitakyushu."),
        # a step written once it was scheduled is that step
        (followup(Status.SCHEDULED, step="Book the travel.", written_for="scheduled"),
         "Book the travel."),
        (followup(Status.EXPECTED), "Find out the date."),
        (followup(Status.EXPECTED, dated=False), "Ask for a date or at least a window."),
        (followup(Status.DONE, step="Book the travel.", written_for="scheduled"),
         "Record what came of it in a note, and add what it leads to."),
        (followup(Status.CANCELLED), "Nothing more, unless it comes back (followup reopen)."),
    ],
)
def test_the_next_step_follows_the_state(case: FollowUp, expected: str) -> None:
    assert next_step(case) == expected
