"""Analytics views against answers worked out by hand or in plain Python over the tiny project's events."""

from __future__ import annotations

from datetime import date

import analytics_tiny as tiny
import polars as pl
import pytest

from workbench import analytics as a
from workbench.analytics.events import EventTypeWarning
from workbench.errors import InputError, UnknownNameError


@pytest.fixture(scope="module")
def tp(tmp_path_factory):
    return tiny.build(tmp_path_factory.mktemp("tiny"))


R = {"start": tiny.START, "end": tiny.END}


def col(frame: pl.DataFrame, name: str) -> list:
    return frame.get_column(name).to_list()


# --- usage -------------------------------------------------------------------------------------------------


def test_daily_active_endpoints_and_users(tp):
    dae = a.daily_active(tp, **R)
    assert col(dae, "date") == tiny.days()
    assert col(dae, "active") == tiny.ref_daily_active() == [2, 2, 0, 0, 1, 0, 0, 1]
    # e1 and e2 are both user u1: on 10-02 two endpoints but one user
    assert (
        col(a.daily_active(tp, **R, who="user"), "active")
        == tiny.ref_daily_active("user")
        == [2, 1, 0, 0, 1, 0, 0, 1]
    )


def test_monthly_active_counts_the_30_days_ending_each_day(tp):
    assert col(a.monthly_active(tp, **R), "active") == tiny.ref_monthly_active() == [2, 3, 3, 3, 4, 4, 4, 4]
    assert col(a.monthly_active(tp, **R, who="user"), "active") == tiny.ref_monthly_active("user")


def test_new_endpoints_and_users_use_the_whole_log(tp):
    # e3 started a session on 09-20, so it is not new on 10-01
    assert col(a.new_active(tp, **R), "new") == [1, 1, 0, 0, 1, 0, 0, 0]
    # u1 is new on 10-01 (e1); e2 on 10-02 is the same user, so not a new user
    assert col(a.new_active(tp, **R, who="user"), "new") == [1, 0, 0, 0, 1, 0, 0, 0]


def test_sessions_and_sessions_per_endpoint(tp):
    s = a.sessions(tp, **R)
    assert col(s, "sessions") == [3, 2, 0, 0, 1, 0, 0, 1]
    assert col(s, "sessions_per_endpoint")[:2] == [1.5, 1.0]
    assert col(s, "sessions_per_user")[:2] == [1.5, 2.0]
    assert col(s, "sessions_per_endpoint")[2] is None


def test_retention_rates(tp):
    seven = a.retention_rate(tp, **R)
    assert col(seven, "rate") == tiny.ref_retention(1, 7) == [0.5, 0.5, None, None, 0.0, None, None, 0.0]
    assert col(a.day_n_retention(tp, 1, **R), "rate") == tiny.ref_retention(1, 1)
    assert col(a.week_n_retention(tp, 1, **R), "rate") == tiny.ref_retention(1, 7)


def test_retention_is_null_until_the_follow_up_days_are_in_the_log(tmp_path):
    # The log ends on 10-20. With active endpoints on both days (a range without any would be null by division
    # by zero whatever the rule): 10-13's follow-up (10-14..10-20) is in the log, 10-14's (to 10-21) is not.
    project = tiny.build(tmp_path)
    project.events.record(
        [
            {
                "event_type": "_session.start",
                "event_timestamp": ts,
                "client": {"client_id": ep},
                "event_id": eid,
            }
            for ep, ts, eid in [
                ("e1", "2026-10-13T09:00:00Z", "x1"),
                ("e2", "2026-10-14T09:00:00Z", "x2"),
                ("e1", "2026-10-20T09:00:00Z", "x3"),
            ]
        ]
    )
    frame = a.retention_rate(project, "2026-10-13", "2026-10-14")
    assert col(frame, "active") == [1, 1]
    assert col(frame, "rate") == [1.0, None]


def test_sticky_factor(tp):
    sf = a.sticky_factor(tp, **R)
    expected = [
        d / m if m else None for d, m in zip(tiny.ref_daily_active(), tiny.ref_monthly_active(), strict=True)
    ]
    assert col(sf, "sticky_factor") == pytest.approx(expected)


def test_session_heatmap_by_weekday_and_hour(tp):
    heat = a.session_heatmap(tp, **R)
    assert heat.height == 7 * 24
    expected: dict[tuple[int, int], int] = {}
    for _, etype, ts, _, _ in tiny.EVENTS:
        if etype == "_session.start" and tiny.START <= ts.date() <= tiny.END:
            key = (ts.isoweekday(), ts.hour)
            expected[key] = expected.get(key, 0) + 1
    got = {(r["weekday"], r["hour"]): r["sessions"] for r in heat.iter_rows(named=True) if r["sessions"]}
    assert got == expected
    assert heat.filter(pl.col("weekday") == 4).get_column("weekday_name").unique().to_list() == ["Thu"]


def test_authentication_counts(tp):
    auth = a.authentication(tp, **R)
    assert col(auth, "sign_ins")[:2] == [1, 0]
    assert col(auth, "auth_failures")[:2] == [0, 1]
    assert sum(col(auth, "sign_ups")) == 1 and col(auth, "sign_ups")[4] == 1


# --- retention cohorts -------------------------------------------------------------------------------------


def test_daily_first_seen_cohorts(tp):
    c = a.retention_cohorts(tp, **R, period="day", periods=2)
    # first seen (any event): e1 10-01, e2 10-02, e4 09-30 (a view), e3 09-20 -> cohorts 10-01 {e1}, 10-02 {e2}
    assert sorted(set(col(c, "cohort"))) == [date(2026, 10, 1), date(2026, 10, 2)]
    c1 = c.filter(pl.col("cohort") == date(2026, 10, 1))
    assert col(c1, "cohort_size") == [1, 1, 1]
    assert col(c1, "retained") == [1, 1, 1]  # e1 had events on 10-01, 10-02 and 10-03 (buy)
    c2 = c.filter(pl.col("cohort") == date(2026, 10, 2))
    assert col(c2, "retained") == [1, 0, 0]


def test_first_event_cohorts_returning_on_a_chosen_event(tp):
    c = a.retention_cohorts(
        tp, **R, period="week", cohort="first_event", start_event="view", return_event="cart", periods=1
    )
    # first view in the range's weeks: e1, e2, e3 (week of 09-28; e4's first view is 09-30, the same week)
    assert col(c, "cohort") == [date(2026, 9, 28), date(2026, 9, 28)]
    assert col(c, "cohort_size") == [4, 4]
    # cart in week 0 (09-28..10-04): e1, e2, e3 (10-01 07:00), e4 (10-01 01:00); week 1 (10-05..10-11): e4 (10-09)
    assert col(c, "retained") == [4, 1]


def test_cohort_bad_input(tp):
    with pytest.raises(InputError, match="period"):
        a.retention_cohorts(tp, period="year")
    with pytest.raises(InputError, match="start_event"):
        a.retention_cohorts(tp, cohort="first_event")
    with pytest.raises(UnknownNameError, match="known types"):
        a.retention_cohorts(tp, cohort="first_event", start_event="nope")


# --- revenue -----------------------------------------------------------------------------------------------


def test_revenue_by_day(tp):
    r = a.revenue(tp, **R)
    assert col(r, "revenue") == [5.0, 22.0, 0, 0, 1.0, 0, 0, 0]
    assert col(r, "units_sold")[:2] == [2.0, 4.0]  # a purchase without _quantity counts as one unit
    assert col(r, "purchases")[:2] == [1, 2]
    assert col(r, "paying_users")[:2] == [1, 1]  # e1 and e2 are both u1
    assert col(r, "paying_endpoints")[:2] == [1, 2]
    assert col(r, "revenue_per_endpoint")[:2] == [2.5, 11.0]  # 10-01: 5 / {e1, e3}; 10-02: 22 / {e1, e2}


def test_revenue_summary_and_grouping(tp):
    s = a.revenue_summary(tp, **R)
    assert s["revenue"] == 28.0 and s["purchases"] == 4 and s["units_sold"] == 7
    assert s["paying_users"] == 2 and s["paying_endpoints"] == 3 and s["active_endpoints"] == 4
    assert s["revenue_per_endpoint"] == 7.0 and s["revenue_per_paying_user"] == 14.0
    by_platform = {
        r["Demographic.Platform"]: r for r in a.revenue(tp, **R, by="platform").iter_rows(named=True)
    }
    assert by_platform["iOS"]["revenue"] == 15.0 and by_platform["Android"]["revenue"] == 13.0
    assert by_platform["iOS"]["revenue_per_endpoint"] == 7.5
    by_product = {r["product"]: r["revenue"] for r in a.revenue(tp, **R, by="product").iter_rows(named=True)}
    assert by_product == {"sku-a": 17.0, "sku-b": 11.0}


# --- events ------------------------------------------------------------------------------------------------


def test_event_counts_with_filters(tp):
    views = a.event_counts(tp, "view", **R)
    assert col(views, "events")[:2] == [2, 2]  # 10-01: e1, e3; 10-02: e1, e2
    assert col(views, "endpoints")[:2] == [2, 2]
    assert sum(col(a.event_counts(tp, "view:sku=b", **R), "events")) == 3
    assert sum(col(a.event_counts(tp, "view", **R, attributes={"sku": ["a", "b"]}), "events")) == 5
    assert sum(col(a.event_counts(tp, "buy:price>=7", **R), "events")) == 2  # e2 (9) and e3 (7)
    assert sum(col(a.event_counts(tp, "buy", **R, metrics={"price": ("<", 7)}), "events")) == 2  # e1 3, e4 5
    assert sum(col(a.event_counts(tp, "view:sku!=b", **R), "events")) == 2


def test_events_per_session(tp):
    # on 10-01 every event of e1 is in session s-e1-1001 (sign-in, purchase, view, cart, start)
    allev = a.event_counts(tp, None, **R)
    day1 = [e for e in tiny.EVENTS if e[2].date() == tiny.START]
    sessions = {f"{c}-{ts:%m%d}" for c, _, ts, _, _ in day1}
    assert col(allev, "events")[0] == len(day1)
    assert col(allev, "events_per_session")[0] == pytest.approx(len(day1) / len(sessions))


def test_metric_summary(tp):
    m = a.metric_summary(tp, "buy", "price", **R)
    assert m.get_column("sum").sum() == 3 + 9 + 7 + 5
    assert m.get_column("max").max() == 9


# --- funnels -----------------------------------------------------------------------------------------------


def counts(result) -> list[int]:
    return col(result.overall, "count")


def test_funnel_with_a_one_day_window(tp):
    f = a.funnel(tp, ["view", "cart", "buy"], **R, window="1d")
    # entries in range: e1 (10-01), e2, e3, e4 (10-08 23:59); e4's 09-30 view is outside the range
    # cart within 1 day after the view: e1, e2, e4 (10-09 00:29, past the range but inside the window)
    # buy: e2 only (e1's is 48 h after entering, e3 had no cart after its view)
    assert counts(f) == [4, 3, 1]
    assert col(f.table, "conversion") == [1.0, 0.75, 0.25]
    assert col(f.table, "conversion_from_previous") == pytest.approx([1.0, 0.75, 1 / 3])
    assert col(f.table, "drop_off") == [0, 1, 2]
    assert col(f.table, "median_seconds_from_previous")[1:] == [600.0, 3000.0]  # median(300, 600, 1800)
    assert col(f.table, "median_seconds_from_start")[2] == 3600.0


def test_funnel_window_longer(tp):
    assert counts(a.funnel(tp, ["view", "cart", "buy"], **R, window="7d")) == [4, 3, 2]


def test_funnel_end_day_is_inclusive_and_range_means_entry(tp):
    assert counts(a.funnel(tp, ["view", "cart"], "2026-10-08", "2026-10-08", window="1d")) == [1, 1]
    assert counts(a.funnel(tp, ["view", "cart"], "2026-10-01", "2026-10-07", window="1d")) == [3, 2]


def test_funnel_by_user(tp):
    # u1 = e1 + e2: one actor that reached buy through e2
    f = a.funnel(tp, ["view", "cart", "buy"], **R, window="1d", by="user")
    assert counts(f) == [3, 2, 1]


def test_funnel_breakdown(tp):
    f = a.funnel(tp, ["view", "cart", "buy"], **R, window="1d", breakdown="platform")
    rows = {
        (r["breakdown"], r["step"]): r["count"]
        for r in f.table.iter_rows(named=True)
        if r["breakdown"] != "(all)"
    }
    assert [rows[("iOS", k)] for k in (1, 2, 3)] == [2, 1, 0]
    assert [rows[("Android", k)] for k in (1, 2, 3)] == [2, 2, 1]
    assert counts(f) == [4, 3, 1]
    d = f.to_dict()
    assert d["breakdown"]["column"] == "Demographic.Platform"
    assert {v["value"] for v in d["breakdown"]["values"]} == {"iOS", "Android"}


def test_funnel_step_filters_and_same_event_steps(tp):
    # entries on a view of sku b: e1 (10-02, no cart after), e2, e4 (10-08)
    assert counts(a.funnel(tp, ["view:sku=b", "cart"], **R, window="1d")) == [3, 2]
    # view then another view: only e1 viewed twice (one event never fills two steps)
    assert counts(a.funnel(tp, ["view", "view"], **R, window="7d")) == [4, 1]
    assert counts(a.funnel(tp, ["view", "buy:price>=8"], **R, window="7d")) == [4, 1]


def test_funnel_segment_and_to_dict(tp):
    f = a.funnel(tp, ["view", "cart"], **R, window="1d", segment="ios")
    assert counts(f) == [2, 1]
    d = f.to_dict()
    assert [s["event"] for s in d["steps"]] == ["view", "cart"]
    assert d["steps"][1]["conversion"] == 0.5 and d["window_seconds"] == 86400


def event(client: str, etype: str, hhmm: str, n: int = 0) -> dict:
    """A stream record on 2026-10-01 at HH:MM (``n`` tells apart two events at the same instant)."""
    ts = f"2026-10-01T{hhmm}:00Z"
    return {
        "event_type": etype,
        "event_timestamp": ts,
        "arrival_timestamp": ts,
        "client": {"client_id": client},
        "session": {"session_id": f"s-{client}"},
        "event_id": f"{client}-{etype}-{hhmm}-{n}",
    }


def test_funnel_counts_the_attempt_that_gets_furthest_and_the_earliest_on_a_tie(project):
    # x enters at 10:00 (cart 10:30, buy 11:30: 90 min after entering) and again at 11:00 (cart 11:20, buy 11:30)
    # y enters at 10:00 and 10:15, one cart at 10:25, no buy
    project.events.record(
        [
            event("x", "view", "10:00"),
            event("x", "cart", "10:30"),
            event("x", "view", "11:00"),
            event("x", "cart", "11:20"),
            event("x", "buy", "11:30"),
            event("y", "view", "10:00"),
            event("y", "view", "10:15"),
            event("y", "cart", "10:25"),
        ]
    )
    steps = ["view", "cart", "buy"]
    # 1 h window: x's first attempt stops at cart, its second reaches buy: the second counts (cart after 1200 s);
    # y's two attempts both reach cart: the earlier counts (1500 s, not 600 s)
    f = a.funnel(project, steps, "2026-10-01", "2026-10-01", window="1h")
    assert counts(f) == [2, 2, 1]
    # median(1200, 1500); then 11:30 - 11:20
    assert col(f.table, "median_seconds_from_previous")[1:] == [1350.0, 600.0]
    assert col(f.table, "median_seconds_from_start")[2] == 1800.0
    # 2 h window: both of x's attempts reach buy: the earlier counts (cart after 1800 s, buy 3600 s later)
    f = a.funnel(project, steps, "2026-10-01", "2026-10-01", window="2h")
    assert counts(f) == [2, 2, 1]
    assert col(f.table, "median_seconds_from_previous")[1:] == [1650.0, 3600.0]  # median(1800, 1500)
    assert col(f.table, "median_seconds_from_start")[2] == 5400.0


def test_funnel_events_at_the_same_instant(project):
    # z views, adds to cart and buys at 10:00 sharp;
    # w views twice at 10:00, adds to cart at 10:05 and views again at 10:30
    project.events.record(
        [
            event("z", "view", "10:00"),
            event("z", "cart", "10:00"),
            event("z", "buy", "10:00"),
            event("w", "view", "10:00"),
            event("w", "view", "10:00", 1),
            event("w", "cart", "10:05"),
            event("w", "view", "10:30"),
        ]
    )
    day = {"start": "2026-10-01", "end": "2026-10-01", "window": "1h"}
    # different steps at the same instant follow each other: z reaches buy in 0 s; w's cart is 300 s after
    f = a.funnel(project, ["view", "cart", "buy"], **day)
    assert counts(f) == [2, 2, 1]
    assert col(f.table, "median_seconds_from_previous")[1:] == [150.0, 0.0]
    f = a.funnel(project, ["cart", "view"], **day)  # z's view at its cart's instant counts; w's 10:30 view
    assert counts(f) == [2, 2]
    assert col(f.table, "median_seconds_from_previous")[1] == 750.0
    # the same event type twice needs a later event: w's two 10:00 views are one instant; 10:30 is the next
    f = a.funnel(project, ["view", "view"], **day)
    assert counts(f) == [2, 1]
    assert col(f.table, "median_seconds_from_previous")[1] == 1800.0
    assert counts(a.funnel(project, ["view", "view", "view"], **day)) == [2, 1, 0]


def test_funnel_bad_input(tp):
    with pytest.raises(InputError, match="at least two steps"):
        a.funnel(tp, ["view"])
    # an event type the log lacks warns (close names first) and counts zero: the events may come later
    with pytest.warns(EventTypeWarning, match=r"no events of type 'viw'.*did you mean view"):
        assert a.funnel(tp, ["viw", "cart"]).table["count"].to_list() == [0, 0]
    with pytest.raises(InputError, match="duration"):
        a.funnel(tp, ["view", "cart"], window="a week")
    with pytest.raises(UnknownNameError, match="no endpoint column"):
        a.funnel(tp, ["view", "cart"], breakdown="shoe-size")


# --- demographics ------------------------------------------------------------------------------------------


def test_distribution(tp):
    d = a.distribution(tp, "platform", active_only=False)
    assert dict(zip(col(d, "value"), col(d, "endpoints"), strict=True)) == {"iOS": 2, "Android": 2}
    assert col(d, "share") == [0.5, 0.5]
    only = a.distribution(tp, "platform", "2026-10-05", "2026-10-05")  # e4 only (plus nothing else that day)
    assert dict(zip(col(only, "value"), col(only, "endpoints"), strict=True)) == {"Android": 1}
    country = a.distribution(tp, "country", active_only=False)
    assert dict(zip(col(country, "value"), col(country, "endpoints"), strict=True)) == {"US": 3, "GB": 1}


# --- the KPI registry --------------------------------------------------------------------------------------


def test_a_kpi_registered_by_another_package_computes_like_a_built_in(tp):
    def rows(project, scope, **_):
        return a.sessions(project, scope).select("date", (pl.col("sessions") * 2).alias("value"))

    a.register_kpi(a.Kpi("double-sessions", "Sessions x 2", rows, lambda p, s, r, **_: int(r["value"].sum())))
    try:
        assert "double-sessions" in a.kpi_names()
        assert a.kpi(tp, "double-sessions", **R).total == 2 * a.kpi(tp, "sessions", **R).total == 14
    finally:
        del a.KPIS["double-sessions"]
    with pytest.raises(UnknownNameError, match="no KPI named 'double-sessions'"):
        a.kpi(tp, "double-sessions", **R)


# --- segments, ranges --------------------------------------------------------------------------------------


def test_segment_by_name_and_by_where(tp):
    assert col(a.daily_active(tp, **R, segment="ios"), "active")[:2] == [2, 1]
    where = {"where": "\"Demographic.Platform\" = 'Android'"}
    assert col(a.daily_active(tp, **R, segment=where), "active")[:2] == [0, 1]
    assert col(a.daily_active(tp, **R, platform="android"), "active")[:2] == [0, 1]
    with pytest.raises(UnknownNameError, match="no segment named 'iso'"):
        a.daily_active(tp, **R, segment="iso")


def test_default_range_is_the_last_30_days_of_data(tp):
    s = a.resolve_scope(tp)
    assert (s.start, s.end) == (date(2026, 9, 21), date(2026, 10, 20))


def test_bad_dates(tp):
    with pytest.raises(InputError, match="not a date"):
        a.daily_active(tp, "yesterday")
    with pytest.raises(InputError, match="after the end"):
        a.daily_active(tp, "2026-10-09", "2026-10-01")


def test_by_user_breakdown_is_stable_when_two_endpoints_enter_at_once(project, tmp_path):
    src = tmp_path / "e.csv"
    src.write_text(
        "Id,ChannelType,Address,User.UserId,Demographic.Platform\n"
        "b2,APNS,tok2,u1,iOS\na1,APNS,tok1,u1,Android\n"
    )
    project.endpoints.import_files(src)
    ts = "2026-10-01T10:00:00Z"
    project.events.record(
        [
            {"event_type": "view", "event_timestamp": ts, "client": {"client_id": "b2"}, "event_id": "a"},
            {"event_type": "view", "event_timestamp": ts, "client": {"client_id": "a1"}, "event_id": "b"},
            {
                "event_type": "cart",
                "event_timestamp": "2026-10-01T10:05:00Z",
                "client": {"client_id": "b2"},
                "event_id": "c",
            },
        ]
    )
    # both entries reach cart at the same instant: the tie goes to the smaller endpoint id, a1 (Android)
    for _ in range(5):
        f = a.funnel(
            project,
            ["view", "cart"],
            "2026-10-01",
            "2026-10-01",
            window="1h",
            by="user",
            breakdown="Demographic.Platform",
        )
        table = f.table.filter((pl.col("step") == 2) & (pl.col("breakdown") != "(all)"))
        assert col(table, "breakdown") == ["Android"] and col(table, "count") == [1]
