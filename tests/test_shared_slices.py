"""Views share slices of the event log inside ``reading()`` (Store.shared_table): computed once, same answers.

A dashboard runs its views inside one ``reading()`` block, where each slice (session days, purchases, active
endpoints) is a temporary table made by the first view that asks; a script or ``workbench kpi`` runs the same view
outside, where the slice is a subquery. Both must give the same figures, whatever the range and filters.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench import analytics as a


def test_a_shared_table_is_made_once_per_reading_block_and_dropped_after(demo_project):
    sql = "SELECT count(*) AS n FROM events"
    assert demo_project.shared_table(sql) == f"({sql})"  # outside: the subquery itself
    with demo_project.reading() as con:
        name = demo_project.shared_table(sql)
        assert name != f"({sql})"
        assert demo_project.shared_table(sql) == name  # the second caller reads the first one's table
        assert demo_project.shared_table(sql + " WHERE false") != name
        made = con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name])
        assert made.fetchone()[0] == 1
        inside = con.execute(f"SELECT n FROM {name}").fetchone()[0]
    with demo_project.reading() as con:
        # a new block starts with no tables: nothing stale from the last one
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
        assert demo_project.shared_table(sql) == name.rsplit("_", 1)[0] + "_1"
    assert inside == demo_project.query(sql).item()


def _views(project, **scope):
    """Every view that reads a shared slice, as frames (dicts turned into one-row frames)."""
    s = a.resolve_scope(project, **scope)
    frames = {
        "daily": a.daily_active(project, s),
        "daily_users": a.daily_active(project, s, who="user"),
        "monthly": a.monthly_active(project, s),
        "monthly_users": a.monthly_active(project, s, who="user"),
        "new": a.new_active(project, s),
        "new_users": a.new_active(project, s, who="user"),
        "sessions": a.sessions(project, s),
        "seven_day": a.retention_rate(project, s),
        "week_5": a.week_n_retention(project, 5, s),  # looks 35 days ahead: past the shared slice's 31
        "revenue": a.revenue(project, s),
        "revenue_platform": a.revenue(project, s, by="platform"),
        "revenue_product": a.revenue(project, s, by="product"),
        "platforms": a.distribution(project, "platform", s),
        "countries": a.distribution(project, "country", s, top=5),
    }
    for name, fn in (("usage", a.usage_summary), ("money", a.revenue_summary)):
        frames[name] = pl.DataFrame([fn(project, s)])
    return frames


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"platform": "iOS"},
        {"start": "2026-10-01", "end": "2026-10-12"},
        {"channel": "EMAIL", "start": "2026-09-20"},
    ],
    ids=["default", "platform", "short-range", "channel"],
)
def test_views_give_the_same_figures_inside_and_outside_a_reading_block(demo_project, scope):
    outside = _views(demo_project, **scope)
    with demo_project.reading():
        inside = _views(demo_project, **scope)
    for name, frame in outside.items():
        assert_frame_equal(inside[name], frame, check_exact=False, rel_tol=1e-9), name
    # the figures are not all empty: the comparison can fail
    assert outside["sessions"]["sessions"].sum() > 0
    assert outside["revenue"]["revenue"].sum() > 0


def test_retention_looking_past_the_shared_slice_counts_the_later_days(demo_project):
    """Week-5 retention looks 29-35 days after each day: a slice cut at 31 days would lose those returns."""
    s = a.resolve_scope(demo_project)
    start = s.data_start
    scope = a.resolve_scope(demo_project, start, start + timedelta(days=3))
    with demo_project.reading():
        week_5 = a.week_n_retention(demo_project, 5, scope)
    direct = demo_project.query(
        f"""
        WITH act AS (SELECT DISTINCT client_id, date FROM events WHERE event_type = '_session.start')
        SELECT b.date, count(*) AS retained FROM act b
        WHERE b.date BETWEEN DATE '{scope.start}' AND DATE '{scope.end}'
          AND EXISTS (SELECT 1 FROM act x WHERE x.client_id = b.client_id
                      AND x.date BETWEEN b.date + 29 AND b.date + 35)
        GROUP BY 1 ORDER BY 1"""
    )
    got = week_5.filter(pl.col("retained") > 0).select("date", "retained")
    assert got.height and got["retained"].sum() > 0
    assert_frame_equal(got, direct, check_dtypes=False)
    assert isinstance(scope.start, date)


def test_several_retention_windows_in_one_pass_equal_each_window_alone(demo_project):
    windows = [(1, 1), (7, 7), (1, 7), (8, 14), (29, 35)]
    together = a.retention_rates(demo_project, windows)
    for lo, hi in windows:
        alone = a.retention_rate(demo_project, first_day=lo, last_day=hi)
        assert_frame_equal(together[(lo, hi)], alone)
    assert sum(together[(1, 7)]["retained"]) > 0


@pytest.mark.parametrize("window", [(0, 7), (8, 7), (-1, 1)])
def test_a_retention_window_runs_forward_from_day_one(demo_project, window):
    from workbench.errors import InputError

    with pytest.raises(InputError, match="retention window"):
        a.retention_rates(demo_project, [window])
