"""ipywidgets controls for a dashboard: dates, segment, platform and channel; a change re-queries and redraws.

The controls ask the dashboard itself to rebuild (``board.rebuild(...)``, same builder and options), so this
module needs nothing from the dashboard modules: ``Dashboard.show()`` calls in here.

Where widgets cannot run (a notebook exported to HTML, a viewer without a kernel), the controls show the
dashboard as it was drawn first, with a line saying the controls need Jupyter, instead of a widget's text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..analytics import Scope
    from ..store import Store

EVERYONE = "(everyone)"
ALL = "(all)"


class Redrawable(Protocol):
    """What the controls use of a dashboard (``workbench.dashboards.Dashboard`` is one)."""

    project: Store
    scope: Scope
    filters: dict[str, Any]
    query_seconds: float

    def rebuild(
        self, start=None, end=None, segment=None, *, platform: str | None = None, channel: str | None = None
    ) -> Redrawable: ...

    def _repr_html_(self) -> str: ...


def _choices(project: Store) -> dict[str, list[str]]:
    segments = project.query("SELECT name FROM segments ORDER BY name").get_column("name")
    platforms = project.query(
        'SELECT DISTINCT "Demographic.Platform" AS p FROM endpoints WHERE p IS NOT NULL ORDER BY p'
    ).get_column("p")
    channels = project.query(
        "SELECT DISTINCT ChannelType AS c FROM endpoints WHERE c IS NOT NULL ORDER BY c"
    ).get_column("c")
    return {
        "segment": [EVERYONE, *segments.to_list()],
        "platform": [ALL, *platforms.to_list()],
        "channel": [ALL, *channels.to_list()],
    }


STATIC_NOTE = (
    "<p style='color:#6b7280;font-size:12px'>In Jupyter, this dashboard has controls above it (dates, segment, "
    "platform, channel) that re-query and redraw it.</p>"
)


def _static_html(board: Redrawable) -> str:
    """The dashboard as one HTML block, for where widgets cannot run (an exported report loads Vega once for it).

    Not IPython's formatters: a dashboard displays itself as several outputs (``_ipython_display_``), which
    would land in the cell beside the controls and show the dashboard twice.
    """
    return board._repr_html_()


def dashboard_controls(board: Redrawable):
    """A VBox: a row of controls over an output area showing the dashboard; returns the widget.

    Its display also carries the dashboard's HTML, which a notebook exported to HTML shows in its place.
    """
    import ipywidgets as w
    from IPython.display import display

    class DashboardControls(w.VBox):
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            if isinstance(bundle, dict) and "text/html" not in bundle:
                bundle["text/html"] = STATIC_NOTE + _static_html(board)
            return bundle

    choices = _choices(board.project)
    start = w.DatePicker(description="From", value=board.scope.start)
    end = w.DatePicker(description="To", value=board.scope.end)
    segment = w.Dropdown(
        description="Segment", options=choices["segment"], value=board.scope.segment or EVERYONE
    )
    platform = w.Dropdown(
        description="Platform", options=choices["platform"], value=board.filters.get("platform") or ALL
    )
    channel = w.Dropdown(
        description="Channel", options=choices["channel"], value=board.filters.get("channel") or ALL
    )
    status = w.HTML()
    out = w.Output()

    def draw(current: Redrawable) -> None:
        out.clear_output(wait=True)
        with out:
            display(current)  # the dashboard's own display: its charts render as they do anywhere else

    def redraw(_change=None) -> None:
        status.value = "<i>querying…</i>"
        try:
            current = board.rebuild(
                start.value,
                end.value,
                None if segment.value == EVERYONE else segment.value,
                platform=None if platform.value == ALL else platform.value,
                channel=None if channel.value == ALL else channel.value,
            )
        except Exception as err:  # shown next to the controls, not as a traceback
            status.value = f"<span style='color:#b91c1c'>{type(err).__name__}: {err}</span>"
            return
        status.value = f"<small>{current.query_seconds:.2f} s</small>"
        draw(current)

    for control in (start, end, segment, platform, channel):
        control.observe(redraw, names="value")
    draw(board)
    return DashboardControls([w.HBox([start, end]), w.HBox([segment, platform, channel, status]), out])
