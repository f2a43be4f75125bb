"""Charts that are right: every encoded field is in the chart's data (read the way Vega-Lite reads field names),
not all null, no category drawn as undefined/null; counts tick in whole numbers, rates as percentages, money in
the project's currency, daily series as bars or straight lines; images keep the tiles, a caption and one legend
per chart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.dashboards import DASHBOARDS, Tile, dashboard
from workbench.dashboards import charts as ch

CHANNELS_WITH_DATA = ("x", "y", "xOffset", "yOffset", "color", "text", "tooltip", "size", "shape", "detail")
CATEGORY_TYPES = ("nominal", "ordinal")
BAD_CATEGORIES = {None, "undefined", "null", "None", "NaN", ""}


def split_field(name: str) -> list[str]:
    """A field name as Vega-Lite's accessor reads it: unescaped ``.`` and ``[...]`` are paths, ``\\`` escapes."""
    parts, current, i = [], "", 0
    while i < len(name):
        c = name[i]
        if c == "\\" and i + 1 < len(name):
            current += name[i + 1]
            i += 2
            continue
        if c in ".[]":
            if current:
                parts.append(current)
            current = ""
        else:
            current += c
        i += 1
    if current:
        parts.append(current)
    return parts


MISSING = object()


def lookup(row: dict[str, Any], name: str) -> Any:
    node: Any = row
    for part in split_field(name):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def unit_fields(spec: dict[str, Any], datasets=None, rows=None) -> Iterator[tuple[str, dict, list[dict]]]:
    """(channel, field definition, the rows it reads) for every encoded field of every view in ``spec``."""
    datasets = datasets if datasets is not None else spec.get("datasets", {})
    data = spec.get("data")
    if data is not None:
        rows = datasets[data["name"]] if "name" in data else data.get("values", [])
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            yield from unit_fields(child, datasets, rows)
    for channel, definition in (spec.get("encoding") or {}).items():
        if channel not in CHANNELS_WITH_DATA:
            continue
        for d in definition if isinstance(definition, list) else [definition]:
            for candidate in (d, d.get("condition") if isinstance(d, dict) else None):
                if isinstance(candidate, dict) and isinstance(candidate.get("field"), str):
                    yield channel, candidate, rows or []


def problems(spec: dict[str, Any]) -> list[str]:
    """What is wrong with a chart's fields: missing from the data, all null, categories drawn as undefined."""
    found = []
    for channel, d, rows in unit_fields(spec):
        name = d["field"]
        values = [lookup(r, name) for r in rows]
        if not rows or all(v is MISSING for v in values):
            found.append(f"{channel}: field {name!r} is not in the data")
        elif all(v is None or v is MISSING for v in values):
            found.append(f"{channel}: field {name!r} is null on every row")
        elif d.get("type") in CATEGORY_TYPES and "timeUnit" not in d:
            bad = {v if v is not MISSING else None for v in values} & BAD_CATEGORIES
            if bad:
                found.append(f"{channel}: category {name!r} would be drawn as {bad}")
    return found


def every_dashboard_chart(project):
    for name in DASHBOARDS:
        board = dashboard(project, name)
        for item in board.charts:
            yield board, item


# --- right ------------------------------------------------------------------------------------------------


def test_the_checker_catches_a_dotted_field_sent_unescaped():
    import altair as alt

    frame = pl.DataFrame({"Demographic.Platform": ["iOS", "Android"], "revenue": [1.0, 2.0]})
    wrong = alt.Chart(frame).mark_bar().encode(y="Demographic\\.Platform:N", x="revenue:Q").to_dict()
    assert problems(wrong) == []  # escaped: found
    unescaped = wrong.copy()
    unescaped["encoding"] = {**wrong["encoding"], "y": {"field": "Demographic.Platform", "type": "nominal"}}
    assert problems(unescaped) == ["y: field 'Demographic.Platform' is not in the data"]
    nulls = alt.Chart(pl.DataFrame({"c": [None, None], "v": [1, 2]})).mark_bar().encode(y="c:N", x="v:Q")
    assert problems(nulls.to_dict()) == ["y: field 'c' is null on every row"]


def test_every_chart_of_every_dashboard_reads_fields_that_are_in_its_data(demo_project):
    seen = 0
    for board, item in every_dashboard_chart(demo_project):
        for spec in (item.spec(), ch.page_spec(item.spec(), currency=board.currency)):
            assert problems(spec) == [], f"{board.name} / {item.title}"
        seen += 1
    assert seen >= 25


def test_revenue_by_platform_draws_each_platform(demo_project):
    board = dashboard(demo_project, "revenue")
    spec = next(i.spec() for i in board.charts if i.title == "Revenue by platform")
    (rows,) = spec["datasets"].values()
    y = spec["encoding"]["y"]["field"]
    assert {r[y] for r in rows} >= {"iOS", "Android"}
    svg = _svg(spec)
    assert "undefined" not in svg and ">iOS<" in svg and ">Android<" in svg


def test_field_name_is_the_one_place_dotted_names_are_made_safe():
    assert ch.field_name("Demographic.Platform") == "Demographic_Platform"
    assert ch.field_name("Attributes.a[0]\\x") == "Attributes_a_0__x"
    assert ch.field_name("revenue") == "revenue"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    column=st.text(min_size=1, max_size=20).filter(lambda s: s.strip()),
    values=st.lists(
        st.one_of(
            st.none(),
            # "null"/"undefined" typed by a user are their values; the checker reads them as a missing field
            st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8).filter(
                lambda v: v not in BAD_CATEGORIES
            ),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_any_column_name_and_values_reach_the_chart(column, values):
    """Attribute names and values are the user's: whatever they are, the bar chart finds its field."""
    value = "n" if column != "n" else "m"
    frame = pl.DataFrame(
        {column: values, value: list(range(len(values)))}, schema={column: pl.String, value: pl.Int64}
    )
    spec = ch.bar(frame, column, value, "t").to_dict()
    assert problems(spec) == []
    drawn = {r[spec["encoding"]["y"]["field"]] for r in next(iter(spec["datasets"].values()))}
    assert drawn == {"(none)" if v is None else "(blank)" if not v.strip() else v for v in values}


# --- fitted and formatted ---------------------------------------------------------------------------------


def _axes(spec: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    for key in ("layer", "hconcat", "vconcat"):
        for child in spec.get(key, []):
            yield from _axes(child)
    for channel in ("x", "y"):
        d = (spec.get("encoding") or {}).get(channel)
        if isinstance(d, dict) and d.get("type") == "quantitative":
            yield d["field"], d.get("axis") or {}


def test_page_charts_fill_their_card_and_images_keep_a_width(demo_project):
    for _board, item in every_dashboard_chart(demo_project):
        page = ch.page_spec(item.spec())
        assert page["width"] == "container" and page["autosize"]["type"] == "fit-x", item.title
        assert isinstance(item.spec()["width"], int)


def test_count_axes_tick_in_whole_numbers_and_rates_as_percentages():
    days = pl.date_range(pl.date(2026, 10, 1), pl.date(2026, 10, 3), eager=True)
    counts = ch.time_series(pl.DataFrame({"date": days, "n": [0, 1, 1]}), {"n": "n"}, "t").to_dict()
    ((_, axis),) = list(_axes(counts))
    assert axis["tickMinStep"] == 1 and axis["format"].endswith("d")
    ticks = re.findall(r">(\d[^<]*)<", _svg(counts).split('class="mark-text role-axis-label"')[-1])
    assert ticks and len(ticks) == len(set(ticks)), ticks  # no 0, 0, 0, 1, 1, 1
    rates = ch.time_series(pl.DataFrame({"date": days, "r": [0.1, 0.2, None]}), {"r": "r"}, "t", fmt="%")
    ((_, axis),) = list(_axes(rates.to_dict()))
    assert axis["format"].endswith("%")


def test_daily_lines_are_straight():
    days = pl.date_range(pl.date(2026, 10, 1), pl.date(2026, 10, 5), eager=True)
    spec = ch.time_series(pl.DataFrame({"date": days, "n": [0, 0, 3, 0, 0]}), {"n": "n"}, "t").to_dict()
    assert spec["mark"].get("interpolate", "linear") == "linear"


def test_a_series_with_no_value_is_left_out_and_nothing_at_all_says_so():
    days = pl.date_range(pl.date(2026, 10, 1), pl.date(2026, 10, 2), eager=True)
    frame = pl.DataFrame({"date": days, "a": [1, 2], "b": [None, None]}, schema_overrides={"b": pl.Float64})
    spec = ch.time_series(frame, {"a": "a", "b": "b"}, "t").to_dict()
    assert {r["series"] for r in next(iter(spec["datasets"].values()))} == {"a"}
    empty = ch.time_series(frame, {"b": "b"}, "t").to_dict()
    assert "No data on these days" in str(empty)


def test_money_is_drawn_in_the_projects_currency(demo_project_copy, tmp_path):
    settings_file = demo_project_copy.path / "workbench.toml"
    settings_file.write_text(settings_file.read_text() + '\n[reporting]\ncurrency = "EUR"\n')
    from workbench import Project

    project = Project.open(demo_project_copy.path)
    board = dashboard(project, "revenue")
    assert board.currency == "EUR"
    money_axes = [axis for item in board.charts for field, axis in _axes(item.spec()) if "revenue" in field]
    assert money_axes and all(
        a["format"].startswith("$") for a in money_axes
    )  # d3's "$": the locale's symbol
    svg = board.save(tmp_path / "r.svg").read_text()
    assert "€1,000" in svg or "€2,000" in svg, "axis labels in euros"
    assert "$" not in re.sub(r"<[^>]+>", "", svg)
    html = board.to_html()
    assert '"currency":["\\u20ac",""]' in html and "€" in html  # the locale in every chart; the tiles


def test_currency_texts():
    assert ch.currency_affixes("EUR") == ("€", "") and ch.currency_affixes("USD") == ("$", "")
    assert ch.currency_locale("GBP")["number"]["currency"] == ["£", ""]
    assert Tile("Revenue", 18000.0, "currency").display("GBP") == "£18,000.00"
    assert Tile("Revenue", None, "currency").display() == "no data"
    assert Tile("Median time", 3 * 86400 + 7200, "duration").text == "3.1 days"
    assert Tile("Units", 617.0).text == "617"


def test_heat_map_text_is_light_on_dark_cells():
    cohorts = pl.DataFrame(
        {
            "cohort": ["2026-10-05"] * 3,
            "cohort_size": [10] * 3,
            "period": [0, 1, 2],
            "retained": [10, 2, 7],
            "rate": [1.0, 0.2, 0.7],
        }
    )
    svg = _svg(ch.cohort_heatmap(cohorts).to_dict())
    cells = svg.split('class="mark-text role-mark')[1].split("</g>")[0]  # the cells' text, not the legend's
    fills = {text: fill for fill, text in re.findall(r'<text[^>]*fill="([^"]+)"[^>]*>(\d+%)</text>', cells)}
    assert fills["100%"] == fills["70%"] == "#ffffff" and fills["20%"] == "#111827", fills


# --- exports ----------------------------------------------------------------------------------------------


def test_image_keeps_tiles_caption_and_a_legend_per_chart(demo_project, tmp_path):
    board = dashboard(demo_project, "usage", platform="iOS")
    svg = board.save(tmp_path / "u.svg").read_text()
    text = re.sub(r"<[^>]+>", " ", svg).replace("&amp;", "&")
    for tile in board.tiles:
        assert tile.label in text and board.tile_text(tile) in text, tile.label
    for piece in (
        board.project_name,
        str(board.scope.start),
        str(board.scope.end),
        "segment everyone",
        "iOS",
    ):
        assert piece in text, piece
    with_legend = sum(1 for item in board.charts if any(c == "color" for c, _, _ in unit_fields(item.spec())))
    assert svg.count("role-legend") >= with_legend >= 5, "one legend per chart, not one merged row"


def test_save_charts_writes_the_tiles_first_and_captions_every_image(demo_project, tmp_path):
    board = dashboard(demo_project, "revenue", segment=None)
    files = board.save_charts(tmp_path, "svg")
    assert files[0].name == "revenue-00-kpis.svg" and len(files) == len(board.charts) + 1
    assert "Revenue per paying user" in files[0].read_text()
    for f in files:
        assert f"project {board.project_name}" in f.read_text() and str(board.scope.start) in f.read_text()


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec)


@pytest.fixture(autouse=True, scope="module")
def _altair_ready():
    pytest.importorskip("altair")


def test_a_funnel_by_breakdown_that_nobody_entered_says_so():
    """(all) rows only, every count 0: a sentence in the chart's place, not an empty box."""
    table = pl.DataFrame(
        {
            "breakdown": ["(all)", "(all)"],
            "step": [1, 2],
            "label": ["view", "buy"],
            "count": [0, 0],
            "conversion": [None, None],
            "drop_off": [0, 0],
        },
        schema_overrides={"conversion": pl.Float64},
    )
    spec = ch.funnel_chart(table, breakdown=True, title="Conversion by platform").to_dict()
    assert "Nobody entered the funnel on these days" in str(spec)
    assert "Conversion by platform" in str(spec)
    overall = ch.funnel_chart(table.drop("breakdown")).to_dict()  # the funnel itself: bars of 0 say nothing
    assert "Nobody entered the funnel on these days" in str(overall) and overall["mark"]["type"] == "text"
