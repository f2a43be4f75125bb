"""Dashboards: built from aggregated data, saved offline as HTML/PNG/SVG, clear about bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from workbench.dashboards import (
    DASHBOARDS,
    Dashboard,
    Tile,
    dashboard,
    dashboard_names,
    enable_offline_charts,
    register_dashboard,
)
from workbench.dashboards import board as board_module
from workbench.errors import InputError, UnknownNameError

EXPECTED = ["overview", "usage", "revenue", "events", "funnels", "demographics", "retention"]


def test_the_seven_dashboards_are_registered():
    assert dashboard_names() == EXPECTED


def test_the_registry_is_complete_on_import_without_loading_altair():
    code = "import sys; from workbench.dashboards import DASHBOARDS; print(','.join(DASHBOARDS), 'altair' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [",".join(EXPECTED), "False"]


def test_a_dashboard_registered_by_another_package_builds_by_name(demo_project):
    @register_dashboard("one-tile", "A single tile")
    def one_tile(project, scope, label="Days"):
        board = Dashboard("one-tile", "One tile", "A single tile", project, scope)
        board.tiles = [Tile(label, scope.days)]
        return board

    try:
        assert dashboard_names() == [*EXPECTED, "one-tile"]
        built = dashboard(demo_project, "one-tile", "2026-10-01", "2026-10-07", label="Week")
        assert built.tiles == [Tile("Week", 7)] and "Week" in built.to_html()
    finally:
        del DASHBOARDS["one-tile"]


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
    assert len(files) == len(board.charts) + 1 and all(f.stat().st_size > 1000 for f in files)  # + the tiles


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


STEPS = ["product.view", "_monetization.purchase"]


def test_rebuild_keeps_the_builder_and_its_options(demo_project):
    board = dashboard(demo_project, "funnels", steps=STEPS, window="1d", breakdown=None)
    start = board.scope.end - timedelta(days=6)
    again = board.rebuild(start, board.scope.end, platform="iOS")
    assert again.name == "funnels" and again.options == {"steps": STEPS, "window": "1d", "breakdown": None}
    assert (again.scope.start, again.filters["platform"]) == (start, "iOS")
    assert again.tables[0].frame.get_column("label").to_list() == STEPS  # not the default four steps


def test_controls_redraw_with_the_dashboards_options(demo_project, monkeypatch):
    built = dashboard(demo_project, "funnels", steps=STEPS, breakdown=None)
    calls = []
    real = board_module.build
    monkeypatch.setattr(board_module, "build", lambda *args, **kw: calls.append(kw) or real(*args, **kw))
    ui = built.show()
    _segment, platform, _channel, status = ui.children[1].children
    platform.value = "iOS"
    assert "s</small>" in status.value, status.value
    assert calls[-1]["steps"] == STEPS and calls[-1]["platform"] == "iOS"


def test_offline_altair_renderer():
    import altair as alt

    enable_offline_charts()
    chart = alt.Chart(alt.Data(values=[{"x": 1}])).mark_point().encode(x="x:Q")
    bundle = alt.renderers.get()(chart.to_dict())
    # drawn by JupyterLab's own Vega-Lite renderer: no JavaScript in the output, nothing fetched from a CDN
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "text/plain", "image/png"}
    assert bundle["application/vnd.vegalite.v5+json"]["mark"]["type"] == "point"
    alt.renderers.enable("default")


def test_segment_filters_the_dashboard(project, tmp_path):
    import analytics_tiny as tiny

    tp = tiny.build(tmp_path)
    everyone = {t.kpi: t.value for t in dashboard(tp, "overview", tiny.START, tiny.END).tiles}
    ios = {t.kpi: t.value for t in dashboard(tp, "overview", tiny.START, tiny.END, "ios").tiles}
    assert everyone["sessions"] == 7 and ios["sessions"] == 5  # e1: 3, e3: 2
    assert everyone["revenue"] == 28.0 and ios["revenue"] == 15.0
