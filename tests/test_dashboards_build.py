"""Dashboards: built from aggregated data, saved offline as HTML/PNG/SVG, clear about bad input."""

from __future__ import annotations

import json
import re

import pytest

from workbench.dashboards import DASHBOARDS, dashboard, dashboard_names, enable_offline_charts
from workbench.errors import InputError, UnknownNameError

EXPECTED = ["overview", "usage", "revenue", "events", "funnels", "demographics", "retention"]


def test_the_seven_dashboards_are_registered():
    assert dashboard_names() == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_dashboard_builds_small_aggregated_charts(demo_project, name):
    board = dashboard(demo_project, name)
    assert board.empty is None
    assert board.charts and board.tiles
    for item in board.charts:
        spec = json.dumps(item.spec())
        # aggregated: a chart carries at most a few hundred data rows, never event rows
        rows = sum(len(d) for d in item.spec().get("datasets", {}).values())
        assert 0 < rows <= 400, f"{item.title}: {rows} rows"
        assert "event_id" not in spec and "client_id" not in spec
    html = board.to_html()
    assert html.count("data-workbench-vega-bundle") == 1
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html)
    assert board.title in html and str(board.scope.start) in html


def test_overview_tiles_match_the_kpis(demo_project):
    from workbench.analytics import kpi

    board = dashboard(demo_project, "overview")
    tiles = {t.kpi: t.value for t in board.tiles}
    for name in ("new-endpoints", "sessions", "monthly-active-endpoints"):
        assert tiles[name] == kpi(demo_project, name).total
    assert tiles["revenue"] == pytest.approx(kpi(demo_project, "revenue").total)


def test_save_html_png_svg(demo_project, tmp_path):
    board = dashboard(demo_project, "overview", segment=None, platform="iOS")
    assert board.filters["platform"] == "iOS"
    html = board.save(tmp_path / "o.html")
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert "platform: <b>iOS</b>" in html.read_text()
    png = board.save(tmp_path / "o.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = board.save(tmp_path / "o.svg")
    assert svg.read_text().lstrip().startswith("<svg")
    files = board.save_charts(tmp_path / "charts", "png")
    assert len(files) == len(board.charts) and all(f.stat().st_size > 1000 for f in files)


def test_empty_date_range_says_so_instead_of_drawing_empty_axes(demo_project, tmp_path):
    board = dashboard(demo_project, "usage", "2020-01-01", "2020-01-31")
    assert board.charts == [] and board.tiles == []
    assert "No events between 2020-01-01 and 2020-01-31" in board.empty
    assert "2026-" in board.empty  # says where the data is
    html = board.save(tmp_path / "empty.html").read_text()
    assert 'data-empty="true"' in html and "No events between" in html
    assert board.save(tmp_path / "empty.png").stat().st_size > 0


def test_unknown_dashboard_lists_the_valid_ones(demo_project):
    with pytest.raises(UnknownNameError) as err:
        dashboard(demo_project, "overveiw")
    assert "did you mean overview" in str(err.value)
    assert all(n in str(err.value) for n in DASHBOARDS)


def test_wrong_parameter_types(demo_project):
    with pytest.raises(InputError, match="not a date"):
        dashboard(demo_project, "overview", start=12345)
    with pytest.raises(InputError, match="not a date"):
        dashboard(demo_project, "overview", end="last tuesday")


def test_unwritable_output(demo_project, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        dashboard(demo_project, "retention").save(blocker / "sub" / "x.html")
    with pytest.raises(InputError, match=r"\.html, \.png or \.svg"):
        dashboard(demo_project, "retention").save(tmp_path / "x.pdf")


def test_repr_html_and_controls(demo_project):
    board = dashboard(demo_project, "revenue")
    assert "wb-dash" in board._repr_html_() and "<!DOCTYPE" not in board._repr_html_()
    ui = board.show()
    start, end = ui.children[0].children
    segment, platform, _channel, status = ui.children[1].children
    assert "(everyone)" in segment.options and "iOS" in platform.options
    platform.value = "iOS"  # re-queries
    assert "s</small>" in status.value, status.value
    start.value = end.value  # one day
    assert "s</small>" in status.value


def test_offline_altair_renderer():
    import altair as alt

    enable_offline_charts()
    chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    bundle = alt.renderers.get()(chart.to_dict())
    assert "data-workbench-vega-bundle" in bundle["text/html"]
    alt.renderers.enable("default")


def test_segment_filters_the_dashboard(project, tmp_path):
    import analytics_tiny as tiny

    tp = tiny.build(tmp_path)
    everyone = {t.kpi: t.value for t in dashboard(tp, "overview", tiny.START, tiny.END).tiles}
    ios = {t.kpi: t.value for t in dashboard(tp, "overview", tiny.START, tiny.END, "ios").tiles}
    assert everyone["sessions"] == 7 and ios["sessions"] == 5  # e1: 3, e3: 2
    assert everyone["revenue"] == 28.0 and ios["revenue"] == 15.0
