"""README "Analytics", the definitions table (usage, retention, revenue) as known answers at every edge.

A hand-made log (below) puts an event at each edge: the first and last instant of a day, the first day inside
and the last day outside the 30-day monthly window, a return exactly on D+7 and on D+8, a day whose follow-up is
the last day of the log and one whose follow-up is not in the log yet, a purchase without a quantity and one
without a price. The expected figures are written by hand, day by day, in the tests.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from helpers import configure, write_csv

from workbench import analytics as a

START, END = date(2026, 10, 1), date(2026, 10, 14)
R = {"start": START, "end": END}

ENDPOINTS = [["a", "ua"], ["b", "ua"], ["c", ""], ["d", "ud"]]  # a and b: one user; c: none


def t(text: str) -> str:
    return datetime.fromisoformat("2026-" + text).isoformat(timespec="milliseconds") + "Z"


# (endpoint, event type, time, metrics, event user id)
EVENTS = [
    ("c", "_session.start", t("09-01 23:59:59.999"), {}, None),  # last instant outside 10-01's 30 days
    ("a", "_session.start", t("09-02 00:00:00"), {}, None),  # first instant inside 10-01's 30 days
    ("a", "_session.start", t("10-01 23:59:59.999"), {}, None),  # last instant of 10-01
    ("b", "_session.start", t("10-02 00:00:00"), {}, None),  # first instant of 10-02
    ("b", "_session.start", t("10-02 10:00"), {}, None),  # a second session the same day
    ("a", "_session.stop", t("10-03 10:00"), {}, None),  # not a start: not active
    ("a", "_session.start", t("10-08 12:00"), {}, None),  # 10-01 + 7: a return inside the 7 days
    ("d", "app.open", t("10-09 10:00"), {}, None),  # not a session: not active
    ("b", "_session.start", t("10-10 12:00"), {}, None),  # 10-02 + 8: outside the 7 days
    ("c", "_session.start", t("10-13 09:00"), {}, None),
    ("d", "_session.start", t("10-14 09:00"), {}, "uX"),  # the event's user id beats the endpoint's
    ("c", "_session.start", t("10-20 09:00"), {}, None),  # 10-13 + 7, the last day of the log
    # purchases: 10-01 2.5 x 2 = 5; 10-02 10 x (no quantity: 1) + 4 x 3 = 22; 10-03 no price (0), 2 units;
    # 10-05 under other metric names (p=3, q=4): 12 only with the [analytics] settings
    ("a", "_monetization.purchase", t("10-01 12:00"), {"_item_price": 2.5, "_quantity": 2}, None),
    ("b", "_monetization.purchase", t("10-02 12:00"), {"_item_price": 10.0}, None),
    ("c", "_monetization.purchase", t("10-02 13:00"), {"_item_price": 4.0, "_quantity": 3}, None),
    ("d", "_monetization.purchase", t("10-03 13:00"), {"_quantity": 2}, None),
    ("a", "_monetization.purchase", t("10-05 13:00"), {"p": 3.0, "q": 4}, None),
]


def build(root):
    from workbench import Project

    project = Project.create(root / "p")
    rows = [[e, "EMAIL", f"{e}@example.com", u] for e, u in ENDPOINTS]
    header = ["Id", "ChannelType", "Address", "User.UserId"]
    project.endpoints.import_files(write_csv(root / "e.csv", header, rows), progress=False)
    records = []
    for i, (ep, et, ts, metrics, user) in enumerate(EVENTS):
        record = {"event_type": et, "event_timestamp": ts, "client": {"client_id": ep}, "metrics": metrics,
                  "event_id": f"u{i}"}  # fmt: skip
        if user:
            record["user_id"] = user
        records.append(record)
    project.events.record(records)
    return project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build(tmp_path_factory.mktemp("usage-rules"))


def by_day(frame, column) -> dict[date, object]:
    return dict(zip(frame.get_column("date").to_list(), frame.get_column(column).to_list(), strict=True))


def d(day: int) -> date:
    return date(2026, 10, day)


def days(values: dict[int, object], default=0) -> dict[date, object]:
    """{day of October: value} -> one entry per day of the range, ``default`` elsewhere."""
    return {START + timedelta(days=i): values.get(i + 1, default) for i in range(14)}


# --- active, monthly active, new, sessions, sticky factor -----------------------------------------------------


def test_daily_active_endpoints(project):
    assert by_day(a.daily_active(project, **R), "active") == days({1: 1, 2: 1, 8: 1, 10: 1, 13: 1, 14: 1})


def test_daily_active_users(project):
    assert by_day(a.daily_active(project, **R, who="user"), "active") == days(
        {1: 1, 2: 1, 8: 1, 10: 1, 13: 1, 14: 1}
    )


def test_monthly_active_is_the_30_days_ending_on_the_day(project):
    # 10-01: a (09-02 is the window's first day); c's 09-01 session is one day too early
    # 10-02..10-12: a, b; 10-13: + c; 10-14: + d
    expected = days({1: 1, 13: 3, 14: 4}, default=2)
    assert by_day(a.monthly_active(project, **R), "active") == expected
    # users: a and b are one user; d's session is user uX's
    assert by_day(a.monthly_active(project, **R, who="user"), "active") == days({13: 2, 14: 3}, default=1)


def test_monthly_window_edge_moves_with_the_day(project):
    # on 10-02 the window starts 09-03, so a's 09-02 session no longer counts by itself (a is active 10-01)
    frame = a.monthly_active(project, "2026-09-30", "2026-10-01")
    # 09-30: a (09-02) and c (09-01 is inside 09-01..09-30); 10-01: a only
    assert by_day(frame, "active") == {date(2026, 9, 30): 2, d(1): 1}


def test_new_is_the_first_session_in_the_whole_log(project):
    # first sessions: c 09-01, a 09-02, b 10-02, d 10-14
    assert by_day(a.new_active(project, **R), "new") == days({2: 1, 14: 1})
    # users: ua first on 09-02 (b is not new), uX on 10-14
    assert by_day(a.new_active(project, **R, who="user"), "new") == days({14: 1})


def test_sessions_and_per_endpoint(project):
    s = a.sessions(project, **R)
    assert by_day(s, "sessions") == days({1: 1, 2: 2, 8: 1, 10: 1, 13: 1, 14: 1})
    assert by_day(s, "sessions_per_endpoint")[d(2)] == 2.0
    assert by_day(s, "sessions_per_endpoint")[d(3)] is None  # nobody active: no division by zero


def test_sticky_factor(project):
    sf = by_day(a.sticky_factor(project, **R), "sticky_factor")
    assert sf[d(1)] == 1.0 and sf[d(2)] == 0.5 and sf[d(3)] == 0.0 and sf[d(14)] == 0.25


# --- retention: D+first .. D+last, null until D+last is in the log (the log ends 10-20) -----------------------


def test_seven_day_retention(project):
    frame = a.retention_rate(project, **R)
    # 10-01: a back on 10-08 (D+7) -> 1; 10-02: b back on 10-10 (D+8) -> 0; 10-13: c back on 10-20 (D+7, the
    # log's last day) -> 1; 10-14: d active but D+7 = 10-21 is not in the log -> null; no one active -> null
    expected = days({1: 1.0, 2: 0.0, 8: 0.0, 10: 0.0, 13: 1.0}, default=None)
    assert by_day(frame, "rate") == expected
    assert by_day(frame, "active")[d(14)] == 1


def test_day_n_retention(project):
    day7 = by_day(a.day_n_retention(project, 7, **R), "rate")
    assert (day7[d(1)], day7[d(2)], day7[d(13)], day7[d(14)]) == (1.0, 0.0, 1.0, None)
    day8 = by_day(a.day_n_retention(project, 8, **R), "rate")
    assert (day8[d(1)], day8[d(2)], day8[d(12)], day8[d(13)]) == (0.0, 1.0, None, None)
    day1 = by_day(a.day_n_retention(project, 1, **R), "rate")
    assert day1[d(1)] == 0.0  # a is not back on 10-02 (b is another endpoint)...
    day1_users = by_day(a.day_n_retention(project, 1, **R, who="user"), "rate")
    assert day1_users[d(1)] == 1.0  # ...but its user is


def test_week_n_retention(project):
    week1 = by_day(a.week_n_retention(project, 1, **R), "rate")  # D+1 .. D+7
    week2 = by_day(a.week_n_retention(project, 2, **R), "rate")  # D+8 .. D+14
    assert (week1[d(1)], week1[d(2)]) == (1.0, 0.0)
    assert (week2[d(1)], week2[d(2)], week2[d(6)], week2[d(7)]) == (0.0, 1.0, None, None)


# --- revenue ----------------------------------------------------------------------------------------------------


def test_revenue_per_day(project):
    r = a.revenue(project, **R)
    assert by_day(r, "revenue") == days({1: 5.0, 2: 22.0}, default=0.0)
    assert by_day(r, "units_sold") == days({1: 2, 2: 4, 3: 2, 5: 1})  # 10-05's q is not _quantity: 1
    assert by_day(r, "purchases") == days({1: 1, 2: 2, 3: 1, 5: 1})
    assert by_day(r, "paying_users")[d(2)] == 2  # ua (b) and c
    assert by_day(r, "paying_endpoints")[d(2)] == 2
    assert by_day(r, "active_endpoints")[d(2)] == 1  # only b had a session on 10-02
    assert by_day(r, "revenue_per_endpoint")[d(2)] == 22.0
    assert by_day(r, "revenue_per_endpoint")[d(3)] is None  # no active endpoint that day
    assert by_day(r, "revenue_per_paying_user")[d(2)] == 11.0


def test_revenue_summary(project):
    s = a.revenue_summary(project, **R)
    assert (s["revenue"], s["purchases"], s["units_sold"]) == (27.0, 5, 9)
    assert (s["paying_users"], s["paying_endpoints"], s["active_endpoints"]) == (3, 4, 4)
    assert s["revenue_per_endpoint"] == 27.0 / 4 and s["revenue_per_paying_user"] == 9.0


def test_price_and_quantity_settings(project, tmp_path):
    from workbench import Project

    configured = build(tmp_path)
    configure(configured.path, '[analytics]\nprice_metric = "p"\nquantity_metric = "q"\n')
    configured = Project.open(configured.path)
    r = a.revenue(configured, **R)
    # only 10-05's purchase carries p: 3 x 4 = 12; the others have no p (revenue 0) and no q (1 unit each)
    assert by_day(r, "revenue") == days({5: 12.0}, default=0.0)
    assert by_day(r, "units_sold") == days({1: 1, 2: 2, 3: 1, 5: 4})
    assert a.revenue(project, **R).filter(a.revenue(project, **R)["date"] == d(5))["revenue"].item() == 0.0


@pytest.mark.parametrize("who", ["device", "Endpoint", ""])
def test_who_is_endpoint_or_user(project, who):
    from workbench.errors import InputError

    with pytest.raises(InputError) as err:
        a.daily_active(project, **R, who=who)
    assert err.value.field == "who"
    assert err.value.reason == f"count by 'endpoint' or 'user', not {who!r}"


def test_monthly_active_keeps_to_the_segment(project):
    # only user ua's endpoints (a, b): a alone on 10-01, both from 10-02
    frame = a.monthly_active(project, **R, segment={"where": "\"User.UserId\" = 'ua'"})
    assert by_day(frame, "active") == days({1: 1}, default=2)


def test_the_summary_reads_monthly_actives_on_the_range_s_last_day(project):
    # monthly active endpoints: 10-12 a, b; 10-13 + c; 10-14 + d. Users: ua (a, b); + c (no user: itself);
    # + uX (d's event names its user)
    summary = a.usage_summary(project, "2026-10-12", "2026-10-14")
    assert summary["monthly_active_endpoints"] == 4
    assert summary["monthly_active_users"] == 3


@pytest.mark.parametrize(("window", "shown"), [((0, 7), "0..7"), ((8, 7), "8..7"), ((-1, 1), "-1..1")])
def test_a_retention_window_before_day_one_or_backwards_is_refused_with_its_days(project, window, shown):
    from workbench.errors import InputError

    with pytest.raises(InputError) as err:
        a.retention_rates(project, [window])
    assert err.value.reason == f"a retention window runs from day 1 or later to a later day, not {shown}"


def test_the_sticky_factor_is_unknown_on_a_day_with_no_monthly_actives(project):
    # 08-31: nobody active in the 30 days ending then (the log starts 09-01): no factor (null, not 0/0)
    row = a.sticky_factor(project, "2026-08-31", "2026-08-31").row(0, named=True)
    assert (row["daily_active"], row["monthly_active"], row["sticky_factor"]) == (0, 0, None)


def test_the_summary_without_users_has_no_user_figures(project):
    summary = a.usage_summary(project, "2026-10-12", "2026-10-14", users=False)
    assert not {k for k in summary if "user" in k}, summary
    assert summary["active_endpoints"] == 2  # sessions in 10-12..10-14: c on 10-13, d on 10-14
