"""README "Analytics", common arguments: every usage view keeps to ``segment=``, ``platform=`` and ``channel=``.

The definitions themselves are pinned in test_rules_usage.py; this file pins that each view applies the audience
filters (and the seven-day rate's default first day, D+1). Four endpoints, each filter picking a different pair:

    endpoint  platform  channel  user
    i1        iOS       EMAIL    u1
    i2        iOS       SMS      u1
    a1        Android   EMAIL    u2
    a2        Android   SMS      (none: its own user)

segment ``User.UserId = 'u1'`` -> i1, i2; ``platform="android"`` (any case) -> a1, a2; ``channel="sms"`` -> i2, a2.
Every expected figure is worked out by hand from the log below (range 10-01 .. 10-07, the log ends 10-15).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import small_project, stream_event, write_csv

from workbench import analytics as a
from workbench.analytics.usage import usage_totals

START, END = date(2026, 10, 1), date(2026, 10, 7)
R = {"start": START, "end": END}
U1 = {"where": "\"User.UserId\" = 'u1'"}
HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Demographic.Platform"]
ENDPOINTS = [
    ["i1", "EMAIL", "i1@example.com", "u1", "iOS"],
    ["i2", "SMS", "+14155550102", "u1", "iOS"],
    ["a1", "EMAIL", "a1@example.com", "u2", "Android"],
    ["a2", "SMS", "+14155550104", "", "Android"],
]
S = "_session.start"
# (endpoint, event type, October day, hour:minute); 10-01 is a Thursday (ISO weekday 4)
EVENTS = [
    ("i1", S, 1, "09:00"),
    ("i2", S, 1, "10:00"),
    ("a1", S, 1, "11:00"),
    ("a1", "_userauth.sign_up", 1, "11:05"),
    ("a1", "_userauth.sign_in", 1, "11:06"),
    ("i1", S, 2, "09:00"),  # i1 back on D+1
    ("i1", "_userauth.auth_fail", 2, "09:01"),
    ("i1", "_userauth.sign_in", 2, "09:02"),
    ("a2", S, 2, "13:00"),  # a2's first session
    ("i1", S, 2, "15:00"),  # a second session the same day
    ("a2", S, 3, "13:00"),  # a2 back on D+1
    ("i2", S, 8, "10:00"),  # i2 back on 10-01 + 7
    ("a1", S, 9, "11:00"),  # a1 back on 10-01 + 8 (week 2)
    ("a1", S, 15, "11:00"),  # the log's last day (10-01 + 14)
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    events = [
        stream_event(i, ep, et, f"2026-10-{day:02d}T{hm}:00.000Z")
        for i, (ep, et, day, hm) in enumerate(EVENTS)
    ]
    return small_project(tmp_path_factory.mktemp("usage-filters"), HEADER, ENDPOINTS, events)


def days(values: dict[int, object], default=0) -> dict[date, object]:
    """{day of October: value} -> one entry per day of the range, ``default`` elsewhere."""
    return {START + timedelta(days=i): values.get(i + 1, default) for i in range(7)}


def by_day(frame, column) -> dict[date, object]:
    return dict(zip(frame.get_column("date").to_list(), frame.get_column(column).to_list(), strict=True))


def approx_days(values: dict[int, float | None]) -> dict[date, object]:
    """Rates: null on the days not listed; floats compared approximately."""
    return {k: (None if v is None else pytest.approx(v)) for k, v in days(values, default=None).items()}


# (filters, expected) per view: everyone, the segment, the platform and the channel
ALL, SEG, ANDROID, SMS = {}, {"segment": U1}, {"platform": "ANDROID"}, {"channel": "sms"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ALL, {1: 3, 2: 2, 3: 1}),
        (SEG, {1: 2, 2: 1}),
        (ANDROID, {1: 1, 2: 1, 3: 1}),
        (SMS, {1: 1, 2: 1, 3: 1}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_daily_active(project, filters, expected):
    assert by_day(a.daily_active(project, **R, **filters), "active") == days(expected)


@pytest.mark.parametrize(
    ("filters", "expected"),
    # nothing before 10-01: the month so far
    [(ALL, days({1: 3}, 4)), (SEG, days({}, 2)), (ANDROID, days({1: 1}, 2)), (SMS, days({1: 1}, 2))],
    ids=["all", "segment", "platform", "channel"],
)
def test_monthly_active(project, filters, expected):
    assert by_day(a.monthly_active(project, **R, **filters), "active") == expected


@pytest.mark.parametrize(
    ("filters", "endpoints", "users"),
    # first sessions: i1, i2, a1 on 10-01, a2 on 10-02; users u1 and u2 on 10-01, a2 on 10-02
    [
        (ALL, {1: 3, 2: 1}, {1: 2, 2: 1}),
        (SEG, {1: 2}, {1: 1}),
        (ANDROID, {1: 1, 2: 1}, {1: 1, 2: 1}),
        (SMS, {1: 1, 2: 1}, {1: 1, 2: 1}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_new_active(project, filters, endpoints, users):
    assert by_day(a.new_active(project, **R, **filters), "new") == days(endpoints)
    assert by_day(a.new_active(project, **R, **filters, who="user"), "new") == days(users)


@pytest.mark.parametrize(
    ("filters", "sessions", "endpoints", "users"),
    [
        (ALL, {1: 3, 2: 3, 3: 1}, {1: 3, 2: 2, 3: 1}, {1: 2, 2: 2, 3: 1}),  # users: u1, u2 | u1, a2 | a2
        (SEG, {1: 2, 2: 2}, {1: 2, 2: 1}, {1: 1, 2: 1}),
        (ANDROID, {1: 1, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 1}),
        (SMS, {1: 1, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 1}, {1: 1, 2: 1, 3: 1}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_sessions(project, filters, sessions, endpoints, users):
    frame = a.sessions(project, **R, **filters)
    assert by_day(frame, "sessions") == days(sessions)
    assert by_day(frame, "active_endpoints") == days(endpoints)
    assert by_day(frame, "active_users") == days(users)
    per_endpoint = {k: sessions[k] / endpoints[k] for k in sessions}
    assert by_day(frame, "sessions_per_endpoint") == approx_days(per_endpoint)


@pytest.mark.parametrize(
    ("filters", "expected"),
    # 10-01: i1 back 10-02, i2 back 10-08, a1 not before 10-09; 10-02: i1 not back, a2 back 10-03; 10-03: a2 not
    [
        (ALL, {1: 2 / 3, 2: 1 / 2, 3: 0.0}),
        (SEG, {1: 1.0, 2: 0.0}),
        (ANDROID, {1: 0.0, 2: 1.0, 3: 0.0}),
        (SMS, {1: 1.0, 2: 1.0, 3: 0.0}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_seven_day_retention(project, filters, expected):
    # the default first day is D+1: i1's and a2's returns on D+1 count
    assert by_day(a.retention_rate(project, **R, **filters), "rate") == approx_days(expected)


@pytest.mark.parametrize(
    ("filters", "day1", "day7"),
    [
        (ALL, {1: 1 / 3, 2: 1 / 2, 3: 0.0}, {1: 1 / 3, 2: 0.0, 3: 0.0}),
        (SEG, {1: 1 / 2, 2: 0.0}, {1: 1 / 2, 2: 0.0}),
        (ANDROID, {1: 0.0, 2: 1.0, 3: 0.0}, {1: 0.0, 2: 0.0, 3: 0.0}),
        (SMS, {1: 0.0, 2: 1.0, 3: 0.0}, {1: 1.0, 2: 0.0, 3: 0.0}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_day_n_retention(project, filters, day1, day7):
    assert by_day(a.day_n_retention(project, 1, **R, **filters), "rate") == approx_days(day1)
    assert by_day(a.day_n_retention(project, 7, **R, **filters), "rate") == approx_days(day7)


@pytest.mark.parametrize(
    ("filters", "week2"),
    # D+8 .. D+14 is in the log (ends 10-15) only for 10-01: a1 back on 10-09 and 10-15; i2's 10-08 is week 1
    [(ALL, 1 / 3), (SEG, 0.0), (ANDROID, 1.0), (SMS, 0.0)],
    ids=["all", "segment", "platform", "channel"],
)
def test_week_n_retention(project, filters, week2):
    assert by_day(a.week_n_retention(project, 2, **R, **filters), "rate") == approx_days({1: week2})


@pytest.mark.parametrize(
    ("filters", "expected"),
    # daily / monthly: ALL 3/3, 2/4, 1/4; SEG 2/2, 1/2; ANDROID 1/1, 1/2, 1/2; SMS 1/1, 1/2, 1/2
    [
        (ALL, {1: 1.0, 2: 0.5, 3: 0.25}),
        (SEG, {1: 1.0, 2: 0.5}),
        (ANDROID, {1: 1.0, 2: 0.5, 3: 0.5}),
        (SMS, {1: 1.0, 2: 0.5, 3: 0.5}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_sticky_factor(project, filters, expected):
    assert by_day(a.sticky_factor(project, **R, **filters), "sticky_factor") == days(expected, 0.0)


def test_sticky_factor_by_user(project):
    # users: u1 (i1, i2), u2 (a1), a2. daily 2, 2, 1; monthly 2, 3, 3, ...
    frame = a.sticky_factor(project, **R, who="user")
    assert by_day(frame, "daily_active") == days({1: 2, 2: 2, 3: 1})
    assert by_day(frame, "monthly_active") == days({1: 2}, 3)
    assert by_day(frame, "sticky_factor") == {
        k: pytest.approx(v) for k, v in days({1: 1.0, 2: 2 / 3, 3: 1 / 3}, 0.0).items()
    }
    # the segment's endpoints i1 and i2 are one user, u1: active on 10-01 and 10-02
    assert by_day(a.sticky_factor(project, **R, **SEG, who="user"), "sticky_factor") == days(
        {1: 1.0, 2: 1.0}, 0.0
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    # (ISO weekday, hour): sessions; 10-01 Thursday (4), 10-02 Friday (5), 10-03 Saturday (6)
    [
        (ALL, {(4, 9): 1, (4, 10): 1, (4, 11): 1, (5, 9): 1, (5, 13): 1, (5, 15): 1, (6, 13): 1}),
        (SEG, {(4, 9): 1, (4, 10): 1, (5, 9): 1, (5, 15): 1}),
        (ANDROID, {(4, 11): 1, (5, 13): 1, (6, 13): 1}),
        (SMS, {(4, 10): 1, (5, 13): 1, (6, 13): 1}),
    ],
    ids=["all", "segment", "platform", "channel"],
)
def test_session_heatmap(project, filters, expected):
    frame = a.session_heatmap(project, **R, **filters)
    assert frame.height == 7 * 24
    cells = {(r["weekday"], r["hour"]): r["sessions"] for r in frame.iter_rows(named=True) if r["sessions"]}
    assert cells == expected
    names = dict(zip(frame["weekday"].to_list(), frame["weekday_name"].to_list(), strict=True))
    assert names == {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


@pytest.mark.parametrize(
    ("filters", "expected"),
    # (sign_ins, sign_ups, auth_failures) per day: a1 signs up and in on 10-01; i1 fails then signs in on 10-02
    [(ALL, {1: (1, 1, 0), 2: (1, 0, 1)}), (SEG, {2: (1, 0, 1)}), (ANDROID, {1: (1, 1, 0)}), (SMS, {})],
    ids=["all", "segment", "platform", "channel"],
)
def test_authentication(project, filters, expected):
    frame = a.authentication(project, **R, **filters)
    rows = {
        r["date"]: (r["sign_ins"], r["sign_ups"], r["auth_failures"]) for r in frame.iter_rows(named=True)
    }
    assert rows == days(expected, (0, 0, 0))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [(ALL, (7, 4, 3)), (SEG, (4, 2, 1)), (ANDROID, (3, 2, 2)), (SMS, (3, 2, 2))],
    ids=["all", "segment", "platform", "channel"],
)
def test_usage_totals(project, filters, expected):
    totals = usage_totals(project, **R, **filters)
    assert (totals["sessions"], totals["active_endpoints"], totals["active_users"]) == expected


def test_usage_summary(project):
    # everyone: daily 3, 2, 1, 0, 0, 0, 0; monthly 3, 4, 4, ...; daily users 2, 2, 1, 0...; monthly users 2, 3, ...
    # sticky 1, .5, .25, 0 x 4; seven-day: retained 2 + 1 + 0 of active 3 + 2 + 1
    assert a.usage_summary(project, **R) == {
        "sessions": 7,
        "active_endpoints": 4,
        "active_users": 3,
        "new_endpoints": 4,
        "new_users": 3,
        "daily_active_endpoints": pytest.approx(6 / 7),
        "monthly_active_endpoints": 4,
        "daily_active_users": pytest.approx(5 / 7),
        "monthly_active_users": 3,
        "sticky_factor": pytest.approx(1.75 / 7),
        "seven_day_retention_rate": pytest.approx(3 / 6),
        "sessions_per_endpoint": pytest.approx(7 / 4),
    }


def test_usage_summary_keeps_to_the_segment(project):
    # i1, i2 (user u1): daily 2, 1, 0...; monthly 2; sticky 1, .5, 0...; seven-day: retained 2 + 0 of 2 + 1
    assert a.usage_summary(project, **R, **SEG) == {
        "sessions": 4,
        "active_endpoints": 2,
        "active_users": 1,
        "new_endpoints": 2,
        "new_users": 1,
        "daily_active_endpoints": pytest.approx(3 / 7),
        "monthly_active_endpoints": 2,
        "daily_active_users": pytest.approx(2 / 7),
        "monthly_active_users": 1,
        "sticky_factor": pytest.approx(1.5 / 7),
        "seven_day_retention_rate": pytest.approx(2 / 3),
        "sessions_per_endpoint": pytest.approx(2.0),
    }


def test_usage_summary_with_no_activity(project):
    # 10-10 .. 10-12: no session, but all four endpoints active in the 30 days: sticky 0, no rate, no per-endpoint
    summary = a.usage_summary(project, "2026-10-10", "2026-10-12")
    assert (summary["sessions"], summary["active_endpoints"], summary["sticky_factor"]) == (0, 0, 0.0)
    assert (summary["seven_day_retention_rate"], summary["sessions_per_endpoint"]) == (None, None)
    assert (summary["daily_active_endpoints"], summary["monthly_active_endpoints"]) == (0.0, 4)


def test_usage_summary_keeps_to_the_platform(project):
    # a1, a2 (users u2 and a2): sessions a1 10-01, a2 10-02 and 10-03; sticky 1/1, 1/2, 1/2, 0 x 4; seven-day:
    # a1 not back by 10-08 (0 of 1), a2 back on 10-03 (1 of 1), a2 not back after 10-03 (0 of 1)
    assert a.usage_summary(project, **R, **ANDROID) == {
        "sessions": 3,
        "active_endpoints": 2,
        "active_users": 2,
        "new_endpoints": 2,
        "new_users": 2,
        "daily_active_endpoints": pytest.approx(3 / 7),
        "monthly_active_endpoints": 2,
        "daily_active_users": pytest.approx(3 / 7),
        "monthly_active_users": 2,
        "sticky_factor": pytest.approx(2 / 7),
        "seven_day_retention_rate": pytest.approx(1 / 3),
        "sessions_per_endpoint": pytest.approx(3 / 2),
    }


def test_new_counts_sessions_only_and_retention_reaches_past_a_month(tmp_path):
    from workbench import Project

    # z1: sessions 09-01 and 10-06 (09-01 + 35, the log's last day); z2: an app.open on 08-01 (weeks before the
    # month the views read first), its first session on 09-01: still new then (only sessions count)
    project = Project.create(tmp_path / "p")
    rows = [["z1", "EMAIL", "z1@example.com"], ["z2", "EMAIL", "z2@example.com"]]
    project.endpoints.import_files(
        write_csv(tmp_path / "e.csv", ["Id", "ChannelType", "Address"], rows), progress=False
    )
    events = [("z2", "app.open", "08-01"), ("z1", S, "09-01"), ("z2", S, "09-01"), ("z1", S, "10-06")]
    project.events.record(
        [
            {
                "event_type": et,
                "event_timestamp": f"2026-{day}T12:00:00.000Z",
                "client": {"client_id": ep},
                "event_id": f"z{i}",
            }
            for i, (ep, et, day) in enumerate(events)
        ]
    )
    assert a.new_active(project, "2026-09-01", "2026-09-01").get_column("new").to_list() == [2]
    # week 5 = D+29 .. D+35: z1 back on D+35, z2 never: 1 of 2
    assert a.week_n_retention(project, 5, "2026-09-01", "2026-09-01").get_column("rate").to_list() == [0.5]


def test_sessions_without_user_figures(project):
    frame = a.sessions(project, **R, users=False)
    assert frame.columns == ["date", "sessions", "active_endpoints", "sessions_per_endpoint"]
    assert by_day(frame, "sessions") == days({1: 3, 2: 3, 3: 1})
    assert by_day(frame, "active_endpoints") == days({1: 3, 2: 2, 3: 1})
