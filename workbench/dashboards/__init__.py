"""Dashboards: Altair charts over aggregated analytics, ``Dashboard`` objects, offline HTML/PNG/SVG export.

>>> from workbench.dashboards import dashboard
>>> d = dashboard(project, "overview")          # last 30 days of data
>>> d.save("reports/overview.html")             # one offline file
"""

from __future__ import annotations

from .board import Dashboard, Tile
from .dashboard import dashboard
from .export import chart_mimebundle, vega_bundle
from .views import DASHBOARDS, dashboard_names, register_dashboard


def _offline_renderer(spec: dict, **_metadata) -> dict:
    from .charts import notebook_spec

    return chart_mimebundle(notebook_spec(spec))


def enable_offline_charts() -> None:
    """Make Altair charts in this notebook draw without the internet: as Vega-Lite outputs that JupyterLab draws
    with its own renderer (Altair 6's default fetches Vega from a CDN; its "mimetype" renderer writes a Vega-Lite 6
    type JupyterLab 4 does not draw). ``workbench report`` exports them with Vega inlined once per page."""
    import altair as alt

    if "workbench" not in alt.renderers.names():
        alt.renderers.register("workbench", _offline_renderer)
    alt.renderers.enable("workbench")


__all__ = [
    "DASHBOARDS",
    "Dashboard",
    "Tile",
    "dashboard",
    "dashboard_names",
    "enable_offline_charts",
    "register_dashboard",
    "vega_bundle",
]
