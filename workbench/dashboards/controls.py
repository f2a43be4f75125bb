"""ipywidgets controls for a dashboard: dates, segment, platform and channel; a change re-queries and redraws.

The controls ask the dashboard itself to rebuild (``board.rebuild(...)``, same builder and options), so this
module needs nothing from the dashboard modules: ``Dashboard.show()`` calls in here.
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


def dashboard_controls(board: Redrawable):
    """A VBox: a row of controls over an output area showing the dashboard; returns the widget."""
    import ipywidgets as w
    from IPython.display import HTML, display

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
            display(HTML(current._repr_html_()))

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
    return w.VBox([w.HBox([start, end]), w.HBox([segment, platform, channel, status]), out])
