"""Small and new projects: the default range covers the data there is, and a tile without data says so.

The week project below holds 7 days of events (2026-11-01 .. 2026-11-07) from 6 endpoints; before the fix its
default range was the 30 days ending 2026-11-07, 23 of them empty.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from helpers import write_csv

from workbench.analytics import resolve_scope
from workbench.analytics.tables import NO_DATA
from workbench.dashboards import dashboard

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 7)
HEADER = ["Id", "ChannelType", "Address", "Demographic.Platform", "User.UserId", "Location.Country"]
ENDPOINTS = [
    [f"w{i}", "EMAIL", f"week{i}@example.com", ("iOS", "Android")[i % 2], f"u{i}", ("US", "DE")[i % 2]]
    for i in range(6)
]
FUNNEL = ["product.view", "cart.add", "checkout.start", "_monetization.purchase"]


def _event(i: int, client: str, event_type: str, when: datetime, attributes=None, metrics=None) -> dict:
    return {
        "event_type": event_type,
        "event_timestamp": when.isoformat() + "Z",
        "arrival_timestamp": when.isoformat() + "Z",
        "client": {"client_id": client},
        "session": {"session_id": f"s-{client}-{when:%m%d}"},
        "attributes": attributes or {},
        "metrics": metrics or {},
        "event_id": f"wk-{i}",
    }


def week_records(*, purchases: bool = True) -> list[dict]:
    """Sessions every day (endpoint wi on the days d with (d + i) % 2 == 0), shoppers w0..w3 on day 2, and
    (with ``purchases``) w0 and w1 buying: w0 2 x 12.50 on day 2, w1 1 x 30.00 on day 4."""
    out: list[dict] = []
    for d in range(7):
        day = datetime.combine(FIRST + timedelta(days=d), datetime.min.time())
        for i, row in enumerate(ENDPOINTS):
            if (d + i) % 2 == 0:
                out.append(_event(len(out), row[0], "_session.start", day + timedelta(hours=9 + i)))
    shop_day = datetime.combine(FIRST + timedelta(days=1), datetime.min.time())
    for i, steps in enumerate((4, 3, 2, 1)):
        for k, step in enumerate(FUNNEL[: min(steps, 3)]):
            out.append(_event(len(out), f"w{i}", step, shop_day + timedelta(hours=10 + i, minutes=5 * k)))
    if purchases:
        buys = [("w0", 1, 12.5, 2), ("w1", 3, 30.0, 1)]
        for client, d, price, qty in buys:
            when = datetime.combine(FIRST + timedelta(days=d), datetime.min.time()) + timedelta(hours=12)
            out.append(
                _event(
                    len(out),
                    client,
                    "_monetization.purchase",
                    when,
                    {"_product_id": "sku-week", "_currency": "USD"},
                    {"_item_price": price, "_quantity": qty},
                )
            )
    return out


def build_week_project(root: Path, *, purchases: bool = True, settings: str = ""):
    """A project with 7 days of events; ``settings`` is appended to its workbench.toml."""
    from workbench import Project

    project = Project.create(root / "week")
    if settings:
        with open(project.path / "workbench.toml", "a", encoding="utf-8") as fh:
            fh.write("\n" + settings + "\n")
        project = Project.open(project.path)
    project.endpoints.import_files(write_csv(root / "week.csv", HEADER, ENDPOINTS), progress=False)
    project.events.record(week_records(purchases=purchases))
    return project


@pytest.fixture
def week(tmp_path):
    return build_week_project(tmp_path)


def test_seven_days_of_data_give_a_seven_day_default_range(week):
    scope = resolve_scope(week)
    assert (scope.start, scope.end, scope.days) == (FIRST, LAST, 7)
    board = dashboard(week, "overview")
    assert (board.scope.start, board.scope.end) == (FIRST, LAST)
    # every daily series starts on the first day of data: no leading weeks of zeros
    sessions = board.charts[2].spec()
    rows = next(iter(sessions["datasets"].values()))
    assert min(str(r["date"])[:10] for r in rows) == "2026-11-01"


def test_explicit_dates_are_kept_as_given(week):
    scope = resolve_scope(week, "2026-10-01", "2026-11-07")
    assert (scope.start, scope.end) == (date(2026, 10, 1), LAST)
    only_end = resolve_scope(week, end="2026-11-07")
    assert (only_end.start, only_end.days) == (LAST - timedelta(days=29), 30)
    only_start = resolve_scope(week, "2026-10-20")
    assert (only_start.start, only_start.end) == (date(2026, 10, 20), LAST)


def test_a_log_longer_than_30_days_keeps_the_last_30_days(tmp_path):
    import analytics_tiny as tiny

    tp = tiny.build(tmp_path)  # the log runs 2026-09-20 .. 2026-10-20: 31 days
    scope = resolve_scope(tp)
    assert (scope.start, scope.end, scope.days) == (date(2026, 9, 21), date(2026, 10, 20), 30)


def test_an_empty_project_still_gets_a_30_day_range(project):
    scope = resolve_scope(project)
    assert scope.days == 30 and scope.end == date.today()


def test_a_tile_without_data_says_so_instead_of_zero(tmp_path):
    week = build_week_project(tmp_path, purchases=False)
    overview = {t.kpi: t for t in dashboard(week, "overview").tiles}
    assert overview["revenue"].value == 0
    assert overview["revenue"].text == NO_DATA
    assert overview["sessions"].text == "21"  # sessions exist: a real figure
    usage = {t.kpi: t for t in dashboard(week, "usage").tiles}
    assert usage["sign-ins"].text == NO_DATA and usage["sign-ups"].text == NO_DATA
    # a week of data has no day whose 7 follow-up days are all in the log: not 0%
    assert usage["seven-day-retention-rate"].text == NO_DATA
    html = dashboard(week, "revenue").to_html()
    assert "No events between" not in html and html.count(NO_DATA) == 8  # the eight revenue tiles


def test_tiles_with_data_show_figures(week):
    revenue = {t.kpi: t.text for t in dashboard(week, "revenue").tiles}
    assert revenue["revenue"] == "$55.00"  # 2 x 12.50 + 1 x 30.00
    assert revenue["units-sold"] == "3" and revenue["purchases"] == "2" and revenue["paying-users"] == "2"
    funnel = {t.label: t.text for t in dashboard(week, "funnels", steps=FUNNEL[:3], breakdown=None).tiles}
    assert funnel["Entered (step 1)"] == "4" and funnel["Converted (last step)"] == "2"
    assert funnel["Conversion"] == "50.0%"
    assert funnel["Median time to convert"] == "10.0 minutes"  # view at :00, checkout at :10


def test_a_funnel_nobody_entered_says_so(week):
    # sessions every day, but the shopping steps only on 2026-11-02
    board = dashboard(week, "funnels", "2026-11-03", "2026-11-07", steps=FUNNEL[:3], breakdown=None)
    assert board.empty is None
    assert [t.text for t in board.tiles] == [NO_DATA] * 4
