from __future__ import annotations

import time as clock
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.ledger import PlanSettings
from events.model import Kind, Status
from events.planning import Audience, Facts, NoticeKind, Planned, Policy, plan
from events.schedule import Schedule
from events.window import Window, parse_window

from .test_window import windows

SEOUL = Audience("desk", timezone="Asia/Seoul", send_time=time(9, 0))
NOW = datetime(2019, 1, 24, 0, 0, tzinfo=UTC)
FAR = datetime(2021, 1, 1, tzinfo=UTC)


def facts(window: str = "2019-H2", *, status: Status = Status.EXPECTED,
          schedule: Schedule | None = None, kind: Kind = Kind.MEETING,
          tags: tuple[str, ...] = ()) -> Facts:
    return Facts(id="temm-21", kind=kind, status=status, window=parse_window(window),
                 schedule=schedule, tags=tags, created=date(2019, 1, 24))


def kst(day: str, hour: int = 9) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour),
                            SEOUL.zone).astimezone(UTC)


def summary(planned: list[Planned]) -> list[tuple[str, datetime]]:
    return [(p.kind, p.due) for p in planned]


def test_an_unconfirmed_half_year() -> None:
    planned = plan(facts(), Policy(chase_every_days=30, closing_days=14), SEOUL, start=NOW,
                   horizon=FAR, now=NOW)
    assert summary(planned) == [
        (NoticeKind.WINDOW_OPENS, kst("2019-07-01")),
        (NoticeKind.CHASE, kst("2019-07-31")),
        (NoticeKind.CHASE, kst("2019-08-30")),
        (NoticeKind.CHASE, kst("2019-09-29")),
        (NoticeKind.CHASE, kst("2019-10-29")),
        (NoticeKind.CHASE, kst("2019-11-28")),
        (NoticeKind.CLOSING, kst("2019-12-17")),
        (NoticeKind.OVERDUE, kst("2020-01-01")),
    ]
    assert planned[0].key == "temm-21/window-opens/2019-07-01T00:00:00Z/desk/log"


def test_a_confirmed_all_day_meeting_gets_its_leads_at_the_send_time() -> None:
    schedule = Schedule(date(2019, 11, 23), date(2019, 11, 24))
    planned = plan(facts("2019-11-23..2019-11-24", status=Status.SCHEDULED, schedule=schedule),
                   Policy(), SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert [(p.kind, p.due, p.detail) for p in planned] == [
        (NoticeKind.LEAD, kst("2019-10-24"), "in 30 days"),
        (NoticeKind.LEAD, kst("2019-11-16"), "in 7 days"),
        (NoticeKind.LEAD, kst("2019-11-22"), "tomorrow"),
    ]


def test_every_notice_names_its_follow_up_audience_channel_and_detail() -> None:
    planned = plan(facts(), Policy(chase_every_days=60, closing_days=14), SEOUL, start=NOW,
                   horizon=FAR, now=NOW)
    assert [(p.followup_id, p.kind, p.audience, p.channel, p.natural_due, p.detail)
            for p in planned] == [
        ("temm-21", NoticeKind.WINDOW_OPENS, "desk", "log", kst("2019-07-01"), ""),
        ("temm-21", NoticeKind.CHASE, "desk", "log", kst("2019-08-30"), "every 60 days"),
        ("temm-21", NoticeKind.CHASE, "desk", "log", kst("2019-10-29"), "every 60 days"),
        ("temm-21", NoticeKind.CLOSING, "desk", "log", kst("2019-12-17"),
         "14 days before the window closes"),
        ("temm-21", NoticeKind.OVERDUE, "desk", "log", kst("2020-01-01"), ""),
    ]


def test_a_lead_of_zero_days_is_today_at_the_send_time() -> None:
    schedule = Schedule(date(2019, 11, 23), date(2019, 11, 24))
    planned = plan(facts("2019-11-23..2019-11-24", status=Status.SCHEDULED, schedule=schedule),
                   Policy(lead_days=(0, 2)), SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert [(p.kind, p.due, p.detail) for p in planned] == [
        (NoticeKind.LEAD, kst("2019-11-21"), "in 2 days"),
        (NoticeKind.LEAD, kst("2019-11-23"), "today"),
    ]


def test_a_timed_meeting_is_reminded_at_its_own_hour() -> None:
    start = datetime(2019, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    schedule = Schedule.timed(start, start + timedelta(hours=7), "Asia/Shanghai")
    planned = plan(facts("2019-12-10", status=Status.SCHEDULED, schedule=schedule),
                   Policy(lead_days=(1, 0)), SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert summary(planned) == [(NoticeKind.LEAD, start - timedelta(days=1)),
                                (NoticeKind.LEAD, start)]


def test_open_ended_windows_are_chased_less_often_and_overdue_after_a_year() -> None:
    planned = plan(facts("2019-02.."), Policy(open_chase_days=(14, 30, 60)), SEOUL,
                   start=NOW, horizon=FAR, now=NOW)
    assert [(p.kind, p.due, p.detail) for p in planned] == [
        (NoticeKind.WINDOW_OPENS, kst("2019-02-01"), ""),
        (NoticeKind.CHASE, kst("2019-02-15"), "after 14 days, then less often"),
        (NoticeKind.CHASE, kst("2019-03-17"), "after 30 days, then less often"),
        (NoticeKind.CHASE, kst("2019-05-16"), "after 60 days"),
        (NoticeKind.CHASE, kst("2019-07-15"), "after 60 days"),
        (NoticeKind.CHASE, kst("2019-09-13"), "after 60 days"),
        (NoticeKind.CHASE, kst("2019-11-12"), "after 60 days"),
        (NoticeKind.CHASE, kst("2020-01-11"), "after 60 days"),
        (NoticeKind.OVERDUE, kst("2020-02-01"), "open 365 days"),
    ]


@pytest.mark.parametrize(
    ("policy", "chases", "overdue"),
    [
        (Policy(open_chase_days=(14,), open_overdue_days=60), 4, "2019-04-02"),
        (Policy(open_chase_days=(), open_overdue_days=60), 0, "2019-04-02"),
        (Policy(open_chase_days=(10, 0)), 1, "2020-02-01"),
        (Policy(open_chase_days=(30,), open_overdue_days=0), 23, None),
    ],
)
def test_the_pace_and_end_of_an_open_window_are_settings(
        policy: Policy, chases: int, overdue: str | None) -> None:
    planned = plan(facts("2019-02.."), policy, SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert sum(p.kind == NoticeKind.CHASE for p in planned) == chases
    assert [p.due for p in planned if p.kind == NoticeKind.OVERDUE] == (
        [kst(overdue)] if overdue else [])


def test_undated_follow_ups_are_chased_from_when_they_were_recorded() -> None:
    planned = plan(facts("undated"), Policy(undated_every_days=30), SEOUL, start=NOW,
                   horizon=kst("2019-04-01"), now=NOW)
    assert summary(planned) == [(NoticeKind.UNDATED, kst("2019-02-23")),
                                (NoticeKind.UNDATED, kst("2019-03-25"))]


def test_the_horizon_is_exclusive_and_the_start_inclusive() -> None:
    opens = kst("2019-07-01")
    second = timedelta(seconds=1)
    policy = Policy(chase_every_days=0, closing_days=0, overdue=False)

    def dues(start: datetime, horizon: datetime) -> list[datetime]:
        return [p.due for p in plan(facts(), policy, SEOUL, start=start, horizon=horizon,
                                    now=start)]

    assert dues(NOW, opens) == []
    assert dues(NOW, opens + second) == [opens]
    assert dues(opens, FAR) == [opens]
    assert dues(opens + second, FAR) == []


def test_a_chase_due_at_the_horizon_is_left_for_the_next_round() -> None:
    planned = plan(facts("2019-02.."), Policy(chase_every_days=14), SEOUL, start=NOW,
                   horizon=kst("2019-02-15"), now=NOW)
    assert summary(planned) == [(NoticeKind.WINDOW_OPENS, kst("2019-02-01"))]


def test_a_closing_notice_beyond_the_horizon_keeps_the_chases_before_it() -> None:
    planned = plan(facts(), Policy(chase_every_days=30, closing_days=14), SEOUL, start=NOW,
                   horizon=kst("2019-10-01"), now=NOW)
    assert summary(planned) == [
        (NoticeKind.WINDOW_OPENS, kst("2019-07-01")),
        (NoticeKind.CHASE, kst("2019-07-31")),
        (NoticeKind.CHASE, kst("2019-08-30")),
        (NoticeKind.CHASE, kst("2019-09-29")),
    ]


# window, policy, what is planned (kind, day at the send time in Seoul)
SHORT_WINDOWS = [
    # shorter than closing_days: no closing notice, chased until it closes
    ("2019-03-01..2019-03-10", Policy(chase_every_days=3, closing_days=14),
     [("window-opens", "2019-03-01"), ("chase", "2019-03-04"), ("chase", "2019-03-07"),
      ("overdue", "2019-03-11")]),
    # closing_days would put the closing notice on the day it opens: none
    ("2019-03-01..2019-03-15", Policy(chase_every_days=0, closing_days=14),
     [("window-opens", "2019-03-01"), ("overdue", "2019-03-16")]),
    # a closing notice days after the opening one is said by it instead
    ("2019-03-01..2019-03-16", Policy(chase_every_days=0, closing_days=14),
     [("window-opens", "2019-03-01"), ("overdue", "2019-03-17")]),
    ("2019-03-01..2019-03-22", Policy(chase_every_days=0, closing_days=14),
     [("window-opens", "2019-03-01"), ("closing", "2019-03-08"), ("overdue", "2019-03-23")]),
    ("2019-03-01..2019-03-22", Policy(chase_every_days=0, closing_days=14, together_days=8),
     [("window-opens", "2019-03-01"), ("overdue", "2019-03-23")]),
    ("2019-03", Policy(chase_every_days=0, closing_days=1),
     [("window-opens", "2019-03-01"), ("closing", "2019-03-30"), ("overdue", "2019-04-01")]),
    # no chase on the day of the closing notice, nor on the window's last day
    ("2019-03", Policy(chase_every_days=8, closing_days=14),
     [("window-opens", "2019-03-01"), ("chase", "2019-03-09"), ("closing", "2019-03-17"),
      ("overdue", "2019-04-01")]),
    ("2019-03-01..2019-03-05", Policy(chase_every_days=1, closing_days=0),
     [("window-opens", "2019-03-01"), ("chase", "2019-03-02"), ("chase", "2019-03-03"),
      ("chase", "2019-03-04"), ("overdue", "2019-03-06")]),
    # a one-day window opens and is overdue the next day
    ("2019-03-05", Policy(),
     [("window-opens", "2019-03-05"), ("overdue", "2019-03-06")]),
]


@pytest.mark.parametrize(("window", "policy", "expected"), SHORT_WINDOWS)
def test_short_windows(window: str, policy: Policy, expected: list[tuple[str, str]]) -> None:
    planned = plan(facts(window), policy, SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert summary(planned) == [(kind, kst(day)) for kind, day in expected]


@pytest.mark.parametrize(
    ("every", "closing", "chase", "closes"),
    [
        (1, 1, "every day", "1 day before the window closes"),
        (2, 2, "every 2 days", "2 days before the window closes"),
    ],
)
def test_details_say_the_days_in_words(every: int, closing: int, chase: str, closes: str) -> None:
    planned = plan(facts("2019-03"), Policy(chase_every_days=every, closing_days=closing),
                   SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert {(p.kind, p.detail) for p in planned} == {
        (NoticeKind.WINDOW_OPENS, ""), (NoticeKind.CHASE, chase), (NoticeKind.CLOSING, closes),
        (NoticeKind.OVERDUE, "")}


@pytest.fixture
def local_zone_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone set to New York, to show it plays no part."""
    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


@pytest.mark.usefixtures("local_zone_new_york")
def test_instants_and_keys_are_utc_whatever_the_machine_zone() -> None:
    start = datetime(2019, 12, 10, 2, 0, tzinfo=UTC)
    timed = Schedule.timed(start, start + timedelta(hours=7), "Asia/Shanghai")
    planned = [
        *plan(facts(), Policy(chase_every_days=0, closing_days=0, overdue=False), SEOUL,
              start=NOW, horizon=FAR, now=NOW),
        *plan(facts("2019-12-10", status=Status.SCHEDULED, schedule=timed),
              Policy(lead_days=(1,)), SEOUL, start=NOW, horizon=FAR, now=NOW),
    ]
    assert [(p.key, p.due.utcoffset(), p.natural_due.utcoffset()) for p in planned] == [
        ("temm-21/window-opens/2019-07-01T00:00:00Z/desk/log", timedelta(0), timedelta(0)),
        ("temm-21/lead/2019-12-09T02:00:00Z/desk/log", timedelta(0), timedelta(0)),
    ]


@pytest.mark.parametrize("status", [Status.DONE, Status.CANCELLED])
def test_finished_follow_ups_get_nothing(status: Status) -> None:
    assert plan(facts(status=status), Policy(), SEOUL, start=NOW, horizon=FAR, now=NOW) == []


def test_what_fell_due_before_the_start_is_not_planned_but_overdue_is_said_once_now() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    planned = plan(facts(), Policy(), SEOUL, start=now, horizon=now + timedelta(days=400),
                   now=now)
    assert len(planned) == 1
    overdue = planned[0]
    assert (overdue.kind, overdue.due, overdue.natural_due) == (
        NoticeKind.OVERDUE, now, kst("2020-01-01"))
    assert overdue.key == "temm-21/overdue/2020-01-01T00:00:00Z/desk/log"


@pytest.mark.parametrize(
    ("policy", "kinds"),
    [
        (Policy(window_opens=False, chase_every_days=0, closing_days=0, overdue=False), []),
        (Policy(window_opens=False, chase_every_days=0, closing_days=0), ["overdue"]),
        (Policy(window_opens=False, chase_every_days=0, overdue=False, closing_days=200),
         []),  # a closing notice before the window opens would make no sense
    ],
)
def test_policy_switches(policy: Policy, kinds: list[str]) -> None:
    planned = plan(facts(), policy, SEOUL, start=NOW, horizon=FAR, now=NOW)
    assert [p.kind for p in planned] == kinds


@pytest.mark.parametrize(
    ("audience", "wanted"),
    [
        (Audience("all"), True),
        (Audience("temm", tags=frozenset({"temm"})), True),
        (Audience("jcec", tags=frozenset({"jcec"})), False),
        (Audience("meetings", kinds=frozenset({Kind.MEETING})), True),
        (Audience("reports", kinds=frozenset({Kind.REPORT})), False),
        (Audience("either", tags=frozenset({"jcec"}), kinds=frozenset({Kind.MEETING})), True),
    ],
)
def test_audiences_choose_by_tag_or_kind(audience: Audience, wanted: bool) -> None:
    assert bool(plan(facts(tags=("temm",)), Policy(), audience, start=NOW, horizon=FAR,
                     now=NOW)) is wanted


def test_one_notice_per_channel() -> None:
    both = Audience("desk", channels=("log", "email"))
    planned = plan(facts(), Policy(), both, start=NOW, horizon=FAR, now=NOW)
    assert {p.channel for p in planned} == {"log", "email"}
    assert len({p.key for p in planned}) == len(planned)


def test_overrides_name_only_what_differs() -> None:
    settings = PlanSettings(default=Policy(lead_days=(30, 7, 1), chase_every_days=14),
                            by_kind={Kind.REPORT: {"lead_days": (14,)}},
                            by_followup={"temm-21": {"chase_every_days": 7}})
    assert settings.policy_for(facts(kind=Kind.REPORT)) == Policy(lead_days=(14,),
                                                                  chase_every_days=7)
    other = Facts(id="x", kind=Kind.REPORT, status=Status.EXPECTED, window=Window.undated(),
                  schedule=None, tags=(), created=date(2019, 1, 1))
    assert settings.policy_for(other) == Policy(lead_days=(14,), chase_every_days=14)


# A daily chase over 400 days plans hundreds of notices: slow on a busy machine, not wrong.
@settings(deadline=None)
@given(windows(), st.integers(0, 30), st.integers(0, 30),
       st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)))
def test_plans_stay_within_their_bounds_and_keys_are_unique(
        window: Window, chase: int, closing: int, start: datetime) -> None:
    horizon = start + timedelta(days=400)
    f = Facts(id="x", kind=Kind.OTHER, status=Status.EXPECTED, window=window, schedule=None,
              tags=(), created=date(2019, 1, 1))
    policy = Policy(chase_every_days=chase, closing_days=closing)
    planned = plan(f, policy, SEOUL, start=start, horizon=horizon, now=start)
    assert all(start <= p.due < horizon for p in planned)
    assert len({p.key for p in planned}) == len(planned)
    assert planned == sorted(planned)
    assert plan(f, policy, SEOUL, start=start, horizon=horizon, now=start) == planned


@settings(deadline=None)
@given(windows(), st.integers(0, 30), st.integers(0, 30), st.integers(0, 800))
def test_a_nearer_horizon_only_cuts_the_plan(
        window: Window, chase: int, closing: int, hours: int) -> None:
    f = Facts(id="x", kind=Kind.OTHER, status=Status.EXPECTED, window=window, schedule=None,
              tags=(), created=date(2019, 1, 1))
    policy = Policy(chase_every_days=chase, closing_days=closing)
    start = datetime(2019, 1, 24, tzinfo=UTC)
    horizon = start + timedelta(hours=hours * 12)
    far = plan(f, policy, SEOUL, start=start, horizon=start + timedelta(days=401), now=start)
    assert plan(f, policy, SEOUL, start=start, horizon=horizon, now=start) == [
        p for p in far if p.due < horizon]


def snoozed(window: str, until: str, **changes: object) -> Facts:
    return replace(facts(window), snoozed_until=date.fromisoformat(until), **changes)


# window, snoozed until, policy, what is planned (kind, day at the send time in Seoul, detail)
SNOOZES = [
    # an open window: no chase until the day it ends, then every 14 days from that day
    ("2019-02..", "2019-03-20", Policy(open_chase_days=(14, 30)),
     [("window-opens", "2019-02-01", ""), ("chase", "2019-03-20", "snoozed until 2019-03-20"),
      ("chase", "2019-04-19", "every 30 days")]),
    # closing and overdue are not chases: they still go; chasing resumes until the closing
    ("2019-03", "2019-03-10", Policy(chase_every_days=3, closing_days=14),
     [("window-opens", "2019-03-01", ""), ("chase", "2019-03-10", "snoozed until 2019-03-10"),
      ("chase", "2019-03-13", "every 3 days"), ("chase", "2019-03-16", "every 3 days"),
      ("closing", "2019-03-17", "14 days before the window closes"),
      ("overdue", "2019-04-01", "")]),
    # snoozed past the chasing: nothing on the day it ends
    ("2019-03", "2019-03-25", Policy(chase_every_days=3, closing_days=14),
     [("window-opens", "2019-03-01", ""),
      ("closing", "2019-03-17", "14 days before the window closes"),
      ("overdue", "2019-04-01", "")]),
    # a snooze that ends before the window opens changes nothing
    ("2019-05", "2019-03-01", Policy(chase_every_days=10, closing_days=0),
     [("window-opens", "2019-05-01", ""), ("chase", "2019-05-11", "every 10 days"),
      ("chase", "2019-05-21", "every 10 days"), ("overdue", "2019-06-01", "")]),
    # undated: chased again from the day it ends
    ("undated", "2019-06-01", Policy(undated_every_days=60),
     [("undated-chase", "2019-06-01", "snoozed until 2019-06-01"),
      ("undated-chase", "2019-07-31", "every 60 days"),
      ("undated-chase", "2019-09-29", "every 60 days")]),
]


@pytest.mark.parametrize(("window", "until", "policy", "expected"), SNOOZES)
def test_a_snooze_stops_chases_until_its_day(window: str, until: str, policy: Policy,
                                             expected: list[tuple[str, str, str]]) -> None:
    horizon = kst("2019-05-10" if window.endswith("..") else "2019-10-01")
    planned = plan(snoozed(window, until), policy, SEOUL, start=NOW, horizon=horizon, now=NOW)
    assert [(p.kind, p.due, p.detail) for p in planned] == [
        (kind, kst(day), detail) for kind, day, detail in expected]


def test_a_snoozed_meeting_with_dates_keeps_its_leads() -> None:
    schedule = Schedule(date(2019, 11, 23), date(2019, 11, 24))
    confirmed = replace(facts("2019-11-23..2019-11-24", status=Status.SCHEDULED,
                              schedule=schedule), snoozed_until=date(2019, 12, 1))
    assert plan(confirmed, Policy(), SEOUL, start=NOW, horizon=FAR, now=NOW) == plan(
        replace(confirmed, snoozed_until=None), Policy(), SEOUL, start=NOW, horizon=FAR,
        now=NOW)


@settings(max_examples=150, deadline=None)
@given(window=windows(), until=st.dates(date(2018, 6, 1), date(2021, 6, 1)),
       every=st.sampled_from([0, 3, 7, 14, 30, 45]), closing=st.integers(0, 30))
def test_no_chase_falls_inside_a_snooze_and_nothing_else_moves(
        window: Window, until: date, every: int, closing: int) -> None:
    policy = Policy(chase_every_days=every, undated_every_days=every, closing_days=closing)
    plain = Facts(id="x", kind=Kind.MEETING, status=Status.EXPECTED, window=window,
                  schedule=None, tags=(), created=date(2019, 1, 24))
    quiet = replace(plain, snoozed_until=until)
    wakes = SEOUL.at_send_time(until)
    before = plan(plain, policy, SEOUL, start=NOW, horizon=FAR, now=NOW)
    after = plan(quiet, policy, SEOUL, start=NOW, horizon=FAR, now=NOW)
    chases = {NoticeKind.CHASE, NoticeKind.UNDATED}
    assert all(p.due >= wakes for p in after if p.kind in chases)
    assert [p for p in after if p.kind not in chases] == [
        p for p in before if p.kind not in chases]
    # a chase comes back the day the snooze ends only where chasing was still going on
    woken = [p for p in after if p.kind in chases and p.due == wakes]
    assert len(woken) <= 1
    if woken:  # (looked at far enough ahead to see the chase after the snooze)
        later = plan(plain, policy, SEOUL, start=NOW, horizon=wakes + timedelta(days=400),
                     now=NOW)
        assert any(p.kind in chases and p.due >= wakes for p in later)


def test_what_rides_on_an_anchor_without_dates_is_not_chased_on_its_own() -> None:
    riding = replace(facts("2019-H2"), anchor_id="temm-21-host")
    assert plan(riding, Policy(), SEOUL, start=NOW, horizon=FAR, now=NOW) == []
    undated = replace(facts("undated"), anchor_id="temm-21-host")
    assert plan(undated, Policy(), SEOUL, start=NOW, horizon=FAR, now=NOW) == []


def test_once_the_anchor_has_dates_the_derived_days_get_leads() -> None:
    derived = replace(facts("2019-11-22..2019-11-25"), anchor_id="temm-21",
                      anchor_dated=True)
    planned = plan(derived, Policy(lead_days=(30, 7, 1)), SEOUL, start=NOW, horizon=FAR,
                   now=NOW)
    assert [(p.kind, p.due, p.detail) for p in planned] == [
        (NoticeKind.LEAD, kst("2019-10-23"), "in 30 days, on temm-21's dates"),
        (NoticeKind.LEAD, kst("2019-11-15"), "in 7 days, on temm-21's dates"),
        (NoticeKind.LEAD, kst("2019-11-21"), "tomorrow, on temm-21's dates"),
        (NoticeKind.WINDOW_OPENS, kst("2019-11-22"), "closes 25 November 2019"),
        (NoticeKind.OVERDUE, kst("2019-11-26"), ""),
    ]


def test_undated_follow_ups_are_chased_from_the_day_given_as_created() -> None:
    # the ledger gives the release's publication date, so a rehearsal chases as the
    # daemon would have
    published = replace(facts("undated"), created=date(2019, 1, 24))
    planned = plan(published, Policy(undated_every_days=30), SEOUL, start=NOW,
                   horizon=kst("2019-03-01"), now=NOW)
    assert summary(planned) == [(NoticeKind.UNDATED, kst("2019-02-23"))]


def test_follow_ups_standing_alike_share_their_moments_but_not_their_names() -> None:
    """Planning works out the moments once for follow-ups that stand the same way; each
    still gets keys with its own id and details naming its own anchor."""
    def tied(id_: str, anchor: str) -> Facts:
        return replace(facts("2019-11-16..2019-12-01"), id=id_, anchor_id=anchor,
                       anchor_dated=True)

    first = plan(tied("ltp-report", "temm-21"), Policy(), SEOUL, start=NOW, horizon=FAR,
                 now=NOW)
    second = plan(tied("ministers", "temm-21"), Policy(), SEOUL, start=NOW, horizon=FAR,
                  now=NOW)
    other = plan(tied("side-event", "cop-25"), Policy(), SEOUL, start=NOW, horizon=FAR,
                 now=NOW)
    assert summary(first) == summary(second) == summary(other)
    assert all(p.key.startswith("ltp-report/") and p.followup_id == "ltp-report"
               for p in first)
    assert all(p.key.startswith("ministers/") for p in second)
    assert [p.detail for p in first] == [p.detail for p in second]
    leads = [p.detail for p in other if p.kind == NoticeKind.LEAD]
    assert leads and all(d.endswith("on cop-25's dates") for d in leads), leads
