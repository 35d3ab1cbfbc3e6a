from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.bus import Added, Confirmed, EventBus, FollowUpEvent, Moved, Rederived
from events.derive import anchor_cycle, derived_window
from events.schedule import Schedule
from events.window import Window, parse_window

from .test_window import windows


@pytest.mark.parametrize(
    ("anchor", "margin", "derived"),
    [
        ("2019-11-23..2019-11-24", 0, "2019-11-23..2019-11-24"),
        ("2019-11-23..2019-11-24", 1, "2019-11-22..2019-11-25"),
        ("2019-11-23..2019-11-24", 7, "2019-11-16..2019-12-01"),
        ("2019-12-31", 1, "2019-12-30..2020-01-01"),
        ("2019-H2", 7, "2019-H2"),  # a margin of days is below a half-year's resolution
        ("2019-11", 3, "2019-11"),
        ("2019-02..", 5, "2019-02.."),
        ("undated", 5, "undated"),
    ],
)
def test_derived_window(anchor: str, margin: int, derived: str) -> None:
    assert derived_window(parse_window(anchor), margin) == parse_window(derived)


@given(windows(), st.integers(min_value=0, max_value=30))
def test_a_derived_window_never_excludes_a_day_of_its_anchor(anchor: Window, margin: int) -> None:
    assert derived_window(anchor, margin).contains(anchor)


@pytest.mark.parametrize(
    ("anchors", "followup", "new_anchor", "cycle"),
    [
        ({}, "a", "a", ["a", "a"]),
        ({"b": None}, "a", "b", None),
        ({"b": "a", "a": None}, "a", "b", ["a", "b", "a"]),
        ({"c": "b", "b": "a", "a": None}, "a", "c", ["a", "c", "b", "a"]),
        ({"c": "b", "b": None}, "a", "c", None),
        ({"x": "y", "y": "x"}, "a", "x", None),  # an old cycle elsewhere is not this one
    ],
)
def test_anchor_cycle(
    anchors: dict[str, str | None], followup: str, new_anchor: str, cycle: list[str] | None
) -> None:
    assert anchor_cycle(followup, new_anchor, anchors.get) == cycle


AT = datetime(2019, 10, 18, tzinfo=UTC)


def test_bus_delivers_by_kind_in_order_and_queues_events_raised_by_handlers() -> None:
    bus = EventBus()
    seen: list[tuple[str, str]] = []

    def on_any(event: FollowUpEvent, register: object) -> None:
        seen.append(("any", event.followup_id))
        if event.followup_id == "a":
            bus.publish(
                Rederived(
                    followup_id="b",
                    at=AT,
                    cause="x",
                    anchor_id="a",
                    old=Window.undated(),
                    new=Window.undated(),
                ),
                register,
            )  # type: ignore[arg-type]

    def on_confirmed(event: Confirmed, register: object) -> None:
        seen.append(("confirmed", event.followup_id))

    bus.subscribe(FollowUpEvent, on_any)
    bus.subscribe(Confirmed, on_confirmed)
    schedule = Schedule(parse_window("2019-11-23").earliest, parse_window("2019-11-24").latest)  # type: ignore[arg-type]
    bus.publish(Confirmed(followup_id="a", at=AT, cause="x", schedule=schedule), None)  # type: ignore[arg-type]
    bus.publish(
        Moved(followup_id="c", at=AT, cause="x", old=Window.undated(), new=Window.undated()), None
    )  # type: ignore[arg-type]
    # b's event waits until every handler has seen a's: breadth first, no recursion.
    assert seen == [("any", "a"), ("confirmed", "a"), ("any", "b"), ("any", "c")]


def test_events_published_together_reach_a_batch_handler_in_one_call() -> None:
    bus = EventBus()
    seen: list[tuple[str, tuple[str, ...]]] = []

    def on_each(event: FollowUpEvent, register: object) -> None:
        seen.append(("each", (event.followup_id,)))
        if event.followup_id == "a":
            bus.publish(Added(followup_id="d", at=AT, cause="x", window=Window.undated()),
                        register)  # type: ignore[arg-type]

    def on_many(events: Sequence[Added], register: object) -> None:
        seen.append(("many", tuple(e.followup_id for e in events)))

    bus.subscribe(FollowUpEvent, on_each)
    bus.subscribe_many(Added, on_many)
    added = [Added(followup_id=i, at=AT, cause="x", window=Window.undated()) for i in "abc"]
    moved = Moved(followup_id="m", at=AT, cause="x", old=Window.undated(),
                  new=Window.undated())
    bus.publish_many([*added, moved], None)  # type: ignore[arg-type]
    # Each handler sees the whole batch before the next runs; what a handler publishes
    # meanwhile follows, and a single event reaches the batch handler as a list of one.
    assert seen == [("each", ("a",)), ("each", ("b",)), ("each", ("c",)), ("each", ("m",)),
                    ("many", ("a", "b", "c")), ("each", ("d",)), ("many", ("d",))]


def test_events_are_frozen() -> None:
    event = Moved(followup_id="a", at=AT, cause="x", old=Window.undated(), new=Window.undated())
    with pytest.raises(AttributeError):
        event.followup_id = "b"  # type: ignore[misc]
