"""One definition per name, everywhere: every tile of every built dashboard is recomputed from the data its
charts draw (or, where no chart holds its figure, from ``kpi()``), and every row of the KPI table from ``kpi()``.
On the demo project."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import pytest

from workbench.analytics import kpi, retention_cohorts
from workbench.dashboards import dashboard, dashboard_names
from workbench.dashboards.views import MEAN_OF_THE_DAYS, empty_page_text, format_kpi_table, kpi_table

KPI_TABLE = [  # the "Every KPI in one table" cell of notebooks/05_dashboards.ipynb
    "daily-active-endpoints", "monthly-active-endpoints", "new-endpoints", "daily-active-users",
    "monthly-active-users", "new-users", "sessions", "sessions-per-endpoint", "seven-day-retention-rate",
    "sticky-factor", "sign-ins", "revenue", "paying-users", "revenue-per-paying-user", "units-sold", "purchases",
]  # fmt: skip


def chart_data(board, title: str, series: str | None = None) -> pl.DataFrame:
    """The rows a chart draws (its inline dataset), optionally one series of a time series."""
    item = next(c for c in board.charts if c.title == title)
    spec = item.spec()
    frame = pl.DataFrame(spec["datasets"][spec["data"]["name"]])
    if series is not None:
        frame = frame.filter(pl.col("series") == series)
        assert frame.height, f"{title!r} draws no series {series!r}"
    return frame


def values(board, title: str, series: str) -> pl.Series:
    return chart_data(board, title, series).get_column("value").drop_nulls()


def mean(board, title, series):
    return values(board, title, series).mean()


def last(board, title, series):
    return chart_data(board, title, series).sort("date").get_column("value").drop_nulls()[-1]


def total(board, title, series):
    return values(board, title, series).sum()


def funnel_last(board, column):
    return chart_data(board, "Funnel").sort("step").get_column(column)[-1]


def drawn_cohorts(board):
    return chart_data(board, "Cohorts")


#: (dashboard, tile label) -> the figure recomputed from the dashboard's chart data.
FROM_CHARTS: dict[tuple[str, str], Callable] = {
    ("overview", "Daily active endpoints (mean)"): lambda b: mean(b, "Active endpoints", "daily"),
    ("overview", "Monthly active endpoints"): lambda b: last(b, "Active endpoints", "monthly (30 days)"),
    ("overview", "New endpoints"): lambda b: total(b, "New endpoints", "new"),
    ("overview", "Sessions"): lambda b: total(b, "Sessions", "sessions"),
    ("overview", "Revenue"): lambda b: total(b, "Revenue", "revenue"),
    ("usage", "Daily active endpoints (mean)"): lambda b: mean(b, "Active endpoints", "daily"),
    ("usage", "Monthly active endpoints"): lambda b: last(b, "Active endpoints", "monthly"),
    ("usage", "New endpoints"): lambda b: total(b, "New endpoints and users", "endpoints"),
    ("usage", "Daily active users (mean)"): lambda b: mean(b, "Active users", "daily"),
    ("usage", "Monthly active users"): lambda b: last(b, "Active users", "monthly"),
    ("usage", "New users"): lambda b: total(b, "New endpoints and users", "users"),
    ("usage", "Sticky factor (mean)"): lambda b: mean(b, "Sticky factor", "sticky factor"),
    ("usage", "Sessions"): lambda b: total(b, "Sessions", "sessions"),
    ("usage", "Sign-ins"): lambda b: total(b, "Authentication", "sign-ins"),
    ("usage", "Sign-ups"): lambda b: total(b, "Authentication", "sign-ups"),
    ("usage", "Authentication failures"): lambda b: total(b, "Authentication", "failures"),
    ("revenue", "Revenue"): lambda b: total(b, "Revenue", "revenue"),
    ("revenue", "Purchases"): lambda b: total(b, "Paying users", "purchases"),
    ("events", "Event types"): lambda b: chart_data(b, "Events by type").height,
    ("funnels", "Entered (step 1)"): lambda b: chart_data(b, "Funnel").sort("step")["count"][0],
    ("funnels", "Converted (last step)"): lambda b: funnel_last(b, "count"),
    ("funnels", "Conversion"): lambda b: funnel_last(b, "conversion"),
    ("funnels", "Median time to convert"): lambda b: funnel_last(b, "median_seconds_from_start"),
    ("demographics", "Active endpoints"): lambda b: chart_data(b, "platform")["endpoints"].sum(),
    ("demographics", "Countries"): lambda b: (
        chart_data(b, "country").filter(~pl.col("value").is_in(["(none)", "(other)"])).height
    ),
    ("demographics", "Platforms"): lambda b: chart_data(b, "platform").filter(pl.col("value") != "(none)").height,
    ("retention", "Week 1 retention (cohorts)"): lambda b: (
        drawn_cohorts(b).filter(pl.col("period") == 1)["retained"].sum()
        / drawn_cohorts(b).filter(pl.col("period") == 1)["cohort_size"].sum()
    ),
    ("retention", "Cohorts"): lambda b: drawn_cohorts(b)["cohort"].n_unique(),
}  # fmt: skip


def kpi_figure(project, board, name: str):
    """The figure a tile shows for a KPI, from ``kpi()``: the mean of the days for daily actives, else the total."""
    result = kpi(project, name, board.scope.start, board.scope.end, board.scope.segment)
    if name in MEAN_OF_THE_DAYS:
        return result.rows.get_column("value").drop_nulls().mean()
    return result.total


@pytest.fixture(scope="module")
def boards(demo_project):
    return {name: dashboard(demo_project, name) for name in dashboard_names()}


@pytest.mark.parametrize(
    "name", ["overview", "usage", "revenue", "events", "funnels", "demographics", "retention"]
)
def test_every_tile_is_recomputed_from_its_charts_or_its_kpi(demo_project, boards, name):
    board = boards[name]
    assert board.tiles and board.empty is None
    for tile in board.tiles:
        key = (name, tile.label)
        assert key in FROM_CHARTS or tile.kpi, f"nothing recomputes the tile {key}"
        if key in FROM_CHARTS:
            assert tile.value == pytest.approx(FROM_CHARTS[key](board)), key
        if tile.kpi:
            assert tile.value == pytest.approx(kpi_figure(demo_project, board, tile.kpi)), key


def test_every_kpi_table_row_is_its_tiles_figure_from_kpi(demo_project, boards):
    table = kpi_table(demo_project, KPI_TABLE)
    assert table.height == len(KPI_TABLE) == 16
    board = boards["usage"]
    tiles = {t.kpi: t for b in boards.values() for t in b.tiles if t.kpi}
    for row in table.iter_rows(named=True):
        expected = kpi_figure(demo_project, board, row["kpi"])
        assert row["value"] == pytest.approx(expected), row["kpi"]
        if row["kpi"] in tiles:  # the table and the tile agree under one name
            assert row["value"] == pytest.approx(tiles[row["kpi"]].value), row["kpi"]
        if row["kpi"] in MEAN_OF_THE_DAYS:
            assert row["figure"] == "mean per day"
    page = format_kpi_table(table).as_raw_html()
    assert all(f">{n}<" in page for n in KPI_TABLE)  # all 16 rows shown, none cut
    assert "more rows" not in page
    units = table.filter(pl.col("kpi") == "units-sold")["value"].item()
    assert f">{round(units):,}<" in page and f"{units:.1f}<" not in page  # a count, not "278.0"


def test_retention_week_1_reads_the_same_in_tile_table_and_heat_map(boards):
    board = boards["retention"]
    tile = next(t for t in board.tiles if t.label == "Week 1 retention (cohorts)")
    table = board.tables[0].frame
    known = table.filter(pl.col("Week 1").is_not_null())
    weighted = (known["Week 1"] * known["cohort_size"]).sum() / known["cohort_size"].sum()
    assert tile.value == pytest.approx(weighted)
    # day-based tiles are named by their days, never "week"
    assert not [t.label for t in board.tiles if "week" in t.label.lower() and t.kpi]


def test_the_newest_cohort_shows_week_0_and_blanks_after(demo_project, boards):
    board = boards["retention"]
    cohorts = retention_cohorts(demo_project, board.scope, period="week", periods=6)
    newest = cohorts.filter(pl.col("cohort") == cohorts["cohort"].max()).sort("period")
    assert newest["rate"][0] is not None  # week 0 is known as soon as the cohort exists
    assert newest["rate"][1:].null_count() == newest.height - 1
    drawn = chart_data(board, "Cohorts")
    assert drawn["cohort"].n_unique() == cohorts["cohort"].n_unique()  # every cohort is a row of the heat map
    cohorts_tile = next(t for t in board.tiles if t.label == "Cohorts")
    assert cohorts_tile.value == board.tables[0].frame.height


def test_a_later_week_stays_blank_until_it_is_over(demo_project):
    last = date(2026, 10, 29)
    cohorts = retention_cohorts(demo_project, last - timedelta(days=27), last, period="week", periods=6)
    for row in cohorts.iter_rows(named=True):
        over = row["cohort"] + timedelta(days=7 * (row["period"] + 1) - 1) <= last
        assert (row["rate"] is not None) == (over or row["period"] == 0), row


def test_an_empty_page_names_every_filter_in_force(demo_project):
    board = dashboard(demo_project, "overview", "2026-10-01", "2026-10-29", platform="Windows", channel="sms")
    assert board.empty is not None
    for words in ("2026-10-01", "2026-10-29", "platform Windows", "channel SMS"):
        assert words in board.empty, board.empty
    from workbench.analytics import resolve_scope

    scope = resolve_scope(demo_project, "2020-01-01", "2020-01-31", {"where": "true"}, platform="iOS")
    text = empty_page_text(scope)
    assert "segment custom" in text and "platform iOS" in text and "2020-01-01" in text
    assert "for segment custom and platform iOS" in text
