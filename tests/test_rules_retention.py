"""README "Analytics", retention cohorts (``retention_cohorts``) as known answers at every edge.

A cohort is the period (day, week, month) in which an actor is first seen in the whole log (or first performs
``start_event``); only cohorts whose period starts inside the range (or holds its first day) are shown. Period k
counts the members active (or performing ``return_event``) in the k-th period after; period 0 is always known, a
later period is null until its last day is in the log. Five endpoints:

    endpoint  platform  user
    i1        iOS       u1
    i2        iOS       u1
    a1        Android   u2
    a2        Android   (none: its own user)
    c1        iOS       u3

The log runs 09-28 .. 10-20 (10-05, 10-12 and 10-19 are Mondays); every expected row is worked out by hand.
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import small_project, stream_event

from workbench import analytics as a
from workbench.errors import InputError, UnknownNameError

HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Demographic.Platform"]
ENDPOINTS = [
    ["i1", "EMAIL", "i1@example.com", "u1", "iOS"],
    ["i2", "EMAIL", "i2@example.com", "u1", "iOS"],
    ["a1", "EMAIL", "a1@example.com", "u2", "Android"],
    ["a2", "EMAIL", "a2@example.com", "", "Android"],
    ["c1", "EMAIL", "c1@example.com", "u3", "iOS"],
]
# (endpoint, event type, day as MM-DD)
EVENTS = [
    ("a2", "view", "09-28"),  # first seen before every range below
    ("i1", "view", "10-05"),
    ("i2", "buy", "10-05"),
    ("i1", "buy", "10-06"),
    ("a1", "view", "10-06"),
    ("a2", "view", "10-06"),
    ("i2", "view", "10-07"),
    ("i1", "view", "10-12"),
    ("c1", "view", "10-18"),  # a Sunday: week of 10-12
    ("a1", "view", "10-20"),
    ("c1", "view", "10-20"),  # the log's last day
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    events = [stream_event(i, ep, et, f"2026-{day}T12:00:00.000Z") for i, (ep, et, day) in enumerate(EVENTS)]
    return small_project(tmp_path_factory.mktemp("retention-rules"), HEADER, ENDPOINTS, events)


def d(text: str) -> date:
    return date.fromisoformat("2026-" + text)


def table(frame) -> list[tuple]:
    """(cohort, cohort_size, period, retained, rate) rows, rates compared approximately."""
    assert frame.columns == ["cohort", "cohort_size", "period", "retained", "rate"]
    return [
        (r["cohort"], r["cohort_size"], r["period"], r["retained"], None if r["rate"] is None else pytest.approx(r["rate"]))
        for r in frame.iter_rows(named=True)
    ]  # fmt: skip


def test_daily_cohorts_first_seen(project):
    # first seen: i1, i2 10-05; a1 10-06; a2 09-28 (before the range: in no cohort). Active: i1 10-05, 10-06;
    # i2 10-05, 10-07; a1 10-06 (10-20 is past period 2)
    frame = a.retention_cohorts(project, "2026-10-05", "2026-10-07", period="day", periods=2)
    assert table(frame) == [
        (d("10-05"), 2, 0, 2, 1.0),
        (d("10-05"), 2, 1, 1, 0.5),
        (d("10-05"), 2, 2, 1, 0.5),
        (d("10-06"), 1, 0, 1, 1.0),
        (d("10-06"), 1, 1, 0, 0.0),
        (d("10-06"), 1, 2, 0, 0.0),
    ]


def test_a_period_is_known_on_its_last_day_and_null_after(project):
    # c1 first seen 10-18, back 10-20 (the log's last day): period 2 ends on 10-20 (known), period 3 on 10-21
    frame = a.retention_cohorts(project, "2026-10-18", "2026-10-18", period="day", periods=3)
    assert table(frame) == [
        (d("10-18"), 1, 0, 1, 1.0),
        (d("10-18"), 1, 1, 0, 0.0),
        (d("10-18"), 1, 2, 1, 1.0),
        (d("10-18"), 1, 3, 0, None),
    ]


def test_weekly_cohorts_and_the_running_week(project):
    # week of 10-05: i1, i2, a1; back in week 10-12: i1; in week 10-19: a1 (10-20), but that week ends 10-25,
    # after the log's last day: null, with the count still shown. Week of 10-12: c1 (10-18), back 10-20.
    frame = a.retention_cohorts(project, "2026-10-05", "2026-10-18", period="week", periods=2)
    assert table(frame) == [
        (d("10-05"), 3, 0, 3, 1.0),
        (d("10-05"), 3, 1, 1, 1 / 3),
        (d("10-05"), 3, 2, 1, None),
        (d("10-12"), 1, 0, 1, 1.0),  # period 0 is known while its week still runs
        (d("10-12"), 1, 1, 1, None),
        (d("10-12"), 1, 2, 0, None),
    ]


def test_the_period_holding_the_first_day_counts(project):
    # a range from Wednesday 10-07 still shows the cohort of the week of 10-05; weeks from 10-19 are not shown
    frame = a.retention_cohorts(project, "2026-10-07", "2026-10-11", period="week", periods=1)
    assert table(frame) == [(d("10-05"), 3, 0, 3, 1.0), (d("10-05"), 3, 1, 1, 1 / 3)]
    # by month: October holds i1, i2, a1, c1 (a2 is September's); November is not over: null
    frame = a.retention_cohorts(project, "2026-10-15", "2026-10-31", period="month", periods=1)
    assert table(frame) == [(d("10-01"), 4, 0, 4, 1.0), (d("10-01"), 4, 1, 0, None)]


def test_first_event_cohorts_and_return_event(project):
    # first buy: i2 10-05, i1 10-06; returning with a view: i2 on 10-07 (period 2), i1 not until 10-12
    frame = a.retention_cohorts(
        project, "2026-10-05", "2026-10-07", period="day", periods=2, cohort="first_event", start_event="buy",
        return_event="view",
    )  # fmt: skip
    assert table(frame) == [
        (d("10-05"), 1, 0, 0, 0.0),
        (d("10-05"), 1, 1, 0, 0.0),
        (d("10-05"), 1, 2, 1, 1.0),
        (d("10-06"), 1, 0, 0, 0.0),
        (d("10-06"), 1, 1, 0, 0.0),
        (d("10-06"), 1, 2, 0, 0.0),
    ]
    # without a return event: any event (period 0 is then 100%)
    frame = a.retention_cohorts(
        project, "2026-10-05", "2026-10-07", period="day", periods=1, cohort="first_event", start_event="buy"
    )
    assert table(frame) == [
        (d("10-05"), 1, 0, 1, 1.0),
        (d("10-05"), 1, 1, 0, 0.0),
        (d("10-06"), 1, 0, 1, 1.0),
        (d("10-06"), 1, 1, 0, 0.0),
    ]


def test_first_seen_with_a_return_event(project):
    # first seen 10-05: i1 (view that day), i2 (buy that day: not a view); a view on 10-06: nobody of them
    frame = a.retention_cohorts(
        project, "2026-10-05", "2026-10-05", period="day", periods=1, return_event="view"
    )
    assert table(frame) == [(d("10-05"), 2, 0, 1, 0.5), (d("10-05"), 2, 1, 0, 0.0)]


def test_cohorts_by_user(project):
    # u1 (i1, i2) first seen 10-05, back 10-06 (i1); u2 (a1) 10-06, not back 10-07
    frame = a.retention_cohorts(project, "2026-10-05", "2026-10-07", period="day", periods=1, who="user")
    assert table(frame) == [
        (d("10-05"), 1, 0, 1, 1.0),
        (d("10-05"), 1, 1, 1, 1.0),
        (d("10-06"), 1, 0, 1, 1.0),
        (d("10-06"), 1, 1, 0, 0.0),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"platform": "android"}, [(d("10-06"), 1, 0, 1, 1.0), (d("10-06"), 1, 1, 0, 0.0)]),  # a1 (a2: 09-28)
        (
            {"segment": {"where": "\"User.UserId\" = 'u1'"}},
            [(d("10-05"), 2, 0, 2, 1.0), (d("10-05"), 2, 1, 1, 0.5)],
        ),
    ],
    ids=["platform", "segment"],
)
def test_cohorts_keep_to_the_audience(project, filters, expected):
    frame = a.retention_cohorts(project, "2026-10-05", "2026-10-07", period="day", periods=1, **filters)
    assert table(frame) == expected


def test_one_period_is_the_least(project):
    assert a.retention_cohorts(project, "2026-10-18", "2026-10-18", period="day", periods=1).height == 2
    with pytest.raises(InputError) as err:
        a.retention_cohorts(project, period="day", periods=0)
    assert (err.value.field, err.value.reason) == ("periods", "periods must be at least 1")


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"period": "year"}, "period", "period is day, week or month, not 'year'"),
        ({"period": "Week"}, "period", "period is day, week or month, not 'Week'"),
        ({"cohort": "last_seen"}, "cohort", "cohort is first_seen or first_event, not 'last_seen'"),
        (
            {"cohort": "first_event"},
            "start_event",
            "a first_event cohort needs start_event (the event that defines it)",
        ),
    ],
    ids=["period", "period-case", "cohort", "start_event"],
)
def test_refused_arguments(project, kwargs, field, reason):
    with pytest.raises(InputError) as err:
        a.retention_cohorts(project, **kwargs)
    assert (err.value.field, err.value.reason) == (field, reason)


@pytest.mark.parametrize(
    "kwargs", [{"cohort": "first_event", "start_event": "nope"}, {"return_event": "nope"}]
)
def test_unknown_event_types(project, kwargs):
    with pytest.raises(UnknownNameError, match="nope"):
        a.retention_cohorts(project, **kwargs)


def test_defaults_are_weeks_and_eight_periods(project):
    # the week of 10-05 (i1, i2, a1): back in week 1 (i1); week 2 ends 10-25, after the log: null from there on
    frame = a.retention_cohorts(project, "2026-10-05", "2026-10-11")
    expected = [(d("10-05"), 3, 0, 3, 1.0), (d("10-05"), 3, 1, 1, 1 / 3), (d("10-05"), 3, 2, 1, None)]
    assert table(frame) == expected + [(d("10-05"), 3, k, 0, None) for k in range(3, 9)]
