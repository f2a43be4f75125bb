"""Formatted figures: money in the project's currency, counts without decimals, rates as percentages, durations
in one named unit, and tables through great_tables (labelled columns, no dtype row)."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import Project
from workbench.analytics import tables as t
from workbench.dashboards import dashboard
from workbench.errors import InputError

# --- single figures, known answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "currency", "text"),
    [
        (18000, "currency", "USD", "$18,000.00"),
        (18000, "currency", "EUR", "€18,000.00"),
        (1200, "currency", "JPY", "¥1,200"),
        (617.0, "count", "USD", "617"),
        (12959, "count", "USD", "12,959"),
        (0.195387, "rate", "USD", "19.5%"),
        (4.629867, "number", "USD", "4.63"),
        (45, "duration", "USD", "45 seconds"),
        (221.7, "duration", "USD", "3.7 minutes"),
        (3 * 3600, "duration", "USD", "3.0 hours"),
        (75.9 * 3600, "duration", "USD", "3.2 days"),
        (None, "rate", "USD", t.NO_DATA),
        (float("nan"), "count", "USD", t.NO_DATA),
        (0.5, "%", "USD", "50.0%"),  # the older spellings still work
        (2.5, "$", "GBP", "£2.50"),
    ],
)
def test_figures_read_as_people_write_them(value, kind, currency, text):
    assert t.format_value(value, kind, currency=currency) == text


def test_an_unknown_kind_names_the_valid_ones():
    with pytest.raises(InputError, match="count, rate, currency, duration"):
        t.format_value(1, "dollars")


def test_the_currency_code_is_checked():
    assert t.check_currency(" eur ") == "EUR"
    with pytest.raises(InputError) as err:
        t.check_currency("XYZ", file="workbench.toml")
    assert "reporting.currency" in str(err.value) and "workbench.toml" in str(err.value)
    assert "ISO 4217" in str(err.value)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=8), st.integers(), st.none(), st.floats(allow_nan=True)))
def test_any_currency_setting_is_accepted_as_a_code_or_refused_clearly(code):
    try:
        checked = t.check_currency(code)
    except InputError as err:
        assert "reporting.currency" in str(err)
    else:
        assert re.fullmatch("[A-Z]{3}", checked)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(st.none(), st.integers(-(10**12), 10**12), st.floats(allow_infinity=False)),
    st.sampled_from(["count", "rate", "currency", "duration", "number"]),
)
def test_any_figure_formats_to_text(value, kind):
    assert isinstance(t.format_value(value, kind, currency="EUR"), str)


# --- tiles with the project's currency -----------------------------------------------------------------------


def _with_settings(project, text: str):
    with open(project.path / "workbench.toml", "a", encoding="utf-8") as fh:
        fh.write("\n" + text + "\n")
    return Project.open(project.path)


@pytest.fixture
def tiny(tmp_path):
    import analytics_tiny as tiny

    return tiny.build(tmp_path)


def _tiles(project, name):
    import analytics_tiny as tiny

    board = dashboard(project, name, tiny.START, tiny.END)
    return {tile.kpi or tile.label: board_text(board, tile) for tile in board.tiles}


def board_text(board, tile) -> str:
    """The tile's text as the dashboard page shows it."""
    return tile.display(t.reporting_currency(board.project)) if hasattr(tile, "display") else tile.text


def test_money_tiles_use_dollars_by_default(tiny):
    tiles = _tiles(tiny, "revenue")
    # in the range: 2.5 x 2 + 10 x 1 + 4 x 3 + 1 x 1 = 28, bought by u1 (e1, e2) and u2 (e4)
    assert tiles["revenue"] == "$28.00"
    assert tiles["revenue-per-paying-user"] == "$14.00"
    assert tiles["units-sold"] == "7" and tiles["purchases"] == "4"  # counts: no decimals
    assert tiles["paying-users"] == "2"


def test_money_tiles_follow_the_currency_setting(tiny):
    euro = _with_settings(tiny, '[reporting]\ncurrency = "EUR"')
    tiles = _tiles(euro, "revenue")
    assert tiles["revenue"] == "€28.00" and tiles["revenue-per-paying-user"] == "€14.00"
    assert _tiles(euro, "overview")["revenue"] == "€28.00"
    assert "€28.00" in dashboard(euro, "overview").to_html()


def test_a_wrong_currency_setting_is_refused_naming_it(tiny):
    wrong = _with_settings(tiny, '[reporting]\ncurrency = "dollars"')
    with pytest.raises(InputError) as err:
        dashboard(wrong, "revenue")
    assert "reporting.currency" in str(err.value) and "workbench.toml" in str(err.value)


def test_rates_are_percentages_and_durations_name_their_unit(tiny):
    import analytics_tiny as tiny_data

    board = dashboard(tiny, "funnels", tiny_data.START, tiny_data.END, steps=["view", "cart", "buy"])
    tiles = {tile.label: board_text(board, tile) for tile in board.tiles}
    assert re.fullmatch(r"\d+\.\d%", tiles["Conversion"])
    assert re.fullmatch(r"[\d.,]+ (seconds|minutes|hours|days)", tiles["Median time to convert"])


def test_every_tile_of_a_funnel_nobody_entered_says_no_data_alike(tiny):
    """Counts of a funnel nobody entered are missing figures, not zeros: all four tiles read "no data in this
    range" in the same quiet style on the page."""
    import analytics_tiny as tiny_data

    with pytest.warns(UserWarning, match="never.happens"):
        board = dashboard(tiny, "funnels", tiny_data.START, tiny_data.END, steps=["never.happens", "view"])
    assert [board_text(board, tile) for tile in board.tiles] == [t.NO_DATA] * 4
    assert all(tile.missing for tile in board.tiles)
    page = board.to_html()
    assert page.count('<div class="value none">') == 4 and '<div class="value">' not in page


# --- tables through great_tables ------------------------------------------------------------------------------


FRAME = pl.DataFrame(
    {
        "product": ["sku-a", "<b>sku-b</b>", None],
        "revenue": [18000.0, 1.5, None],
        "units_sold": [617.0, 3.0, None],
        "conversion": [0.195387, 0.5, None],
        "median_seconds_from_previous": [221.7, 90.0, None],
        "cohort": [date(2026, 9, 28), date(2026, 10, 5), None],
    }
)
KINDS = {
    "revenue": "currency",
    "units_sold": "count",
    "conversion": "rate",
    "median_seconds_from_previous": "duration",
}


def _cells(html: str) -> list[str]:
    return re.findall(r"<td\b[^>]*>(.*?)</td>", html, flags=re.S)


def _headings(html: str) -> list[str]:
    return re.findall(r"<th\b[^>]*>(.*?)</th>", html, flags=re.S)


def test_a_table_has_labels_formats_and_no_dtype_row():
    gt_table = t.format_table(FRAME, kinds=KINDS, currency="EUR")
    html = gt_table.as_raw_html()
    assert "gt_table" in html
    assert _headings(html) == [
        "Product",
        "Revenue",
        "Units sold",
        "Conversion (of step 1)",
        "Median time from previous step (minutes)",  # one unit for the column, named
        "Cohort",
    ]
    cells = _cells(html)
    assert cells[:6] == ["sku-a", "&#8364;18,000.00", "617", "19.5%", "3.7", "2026-09-28"]
    assert cells[6:12] == ["&lt;b&gt;sku-b&lt;/b&gt;", "&#8364;1.50", "3", "50.0%", "1.5", "2026-10-05"]
    assert cells[12:] == ["–"] * 6  # missing values, not "null"/"None"
    for dtype in ("str", "f64", "i64", "date", "---"):
        assert f">{dtype}<" not in html
    assert hasattr(gt_table, "_repr_html_")  # shows itself in Jupyter


def test_a_long_table_says_how_many_rows_are_left_out():
    frame = pl.DataFrame({"n": list(range(60))})
    html = t.table_html(frame, max_rows=50)
    assert html.count('class="gt_row') == 50 and "10 more rows not shown" in html


def test_a_kind_for_a_missing_column_is_refused():
    with pytest.raises(InputError, match="no column 'revenu'"):
        t.format_table(FRAME, kinds={"revenu": "currency"})


def test_dashboard_tables_are_great_tables_with_labels(tiny):
    import analytics_tiny as tiny_data

    euro = _with_settings(tiny, '[reporting]\ncurrency = "EUR"')
    board = dashboard(euro, "revenue", tiny_data.START, tiny_data.END)
    [item] = board.tables
    html = t.table_html(item.frame, item.formats, currency=t.reporting_currency(euro))
    assert _headings(html) == ["Product", "Revenue", "Purchases", "Units sold", "Paying users"]
    # sku-a: 2.5 x 2 + 4 x 3 = 17 (5 units, 2 purchases by e1 and e2, both user u1); sku-b: 10 + 1 = 11
    assert _cells(html)[:10] == [
        "sku-a",
        "&#8364;17.00",
        "2",
        "5",
        "1",
        "sku-b",
        "&#8364;11.00",
        "2",
        "2",
        "2",
    ]
    steps = dashboard(euro, "funnels", tiny_data.START, tiny_data.END, steps=["view", "cart", "buy"])
    html = t.table_html(steps.tables[0].frame, steps.tables[0].formats)
    assert "Median time from previous step (" in html and "median_seconds" not in html
    assert re.search(r">\d+\.\d%<", html)


def test_the_dashboard_page_shows_its_tables_through_great_tables(tiny):
    import analytics_tiny as tiny_data

    page = dashboard(tiny, "revenue", tiny_data.START, tiny_data.END).to_html()
    assert "gt_table" in page and ">Units sold<" in page and "$17.00" in page


def test_the_cohort_table_has_no_column_of_dashes_only(demo_project):
    """Periods no cohort has reached are left out of the table, as the heat map leaves them out: over the last
    two weeks of data, only weeks 0 and 1 can be known."""
    from datetime import timedelta

    from workbench.analytics import resolve_scope

    last = resolve_scope(demo_project).data_end
    board = dashboard(demo_project, "retention", last - timedelta(days=13), last)
    table = next(t for t in board.tables if t.title.startswith("Cohort table"))
    periods = [c for c in table.frame.columns if c.startswith("Week ")]
    assert periods and periods[0] == "Week 0" and len(periods) <= 2
    assert all(table.frame[c].null_count() < table.frame.height for c in periods)
    # the newest cohort's row is week 0 then blanks: its later weeks are not over
    assert table.frame.sort("cohort")[-1, "Week 0"] == 1.0


def test_a_kpi_and_a_funnel_show_formatted_tables_in_a_notebook(demo_project):
    """``project.kpi(...)`` and ``project.funnel(...)`` shown in Jupyter: great_tables, not a raw Polars frame
    (no dtype row, no ``shape:``), money in the project's currency, rates as percentages."""
    revenue = demo_project.kpi("revenue")
    page = revenue._repr_html_()
    assert "shape:" not in page and "<th>f64</th>" not in page and "str</th>" not in page
    assert "$" in page and f"{revenue.total:,.2f}" in page  # the total as money
    funnel = demo_project.funnel(["product.view", "cart.add"])
    page = funnel._repr_html_()
    assert "shape:" not in page and "Conversion (of step 1)" in page and "%" in page
