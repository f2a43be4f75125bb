"""``dashboard(project, name)``: build one of the registered dashboards by name.

>>> d = dashboard(project, "overview", start="2026-10-01", end="2026-10-29", segment="vip-users")
>>> d.save("overview.html"); d.save("overview.png")

The names and their builders are the table ``DASHBOARDS`` in views.py; the ``Dashboard`` itself is in board.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UnknownNameError, suggest
from .board import Dashboard, build
from .views import DASHBOARDS, dashboard_names

if TYPE_CHECKING:
    from ..store import Store


def dashboard(
    project: Store,
    name: str,
    start=None,
    end=None,
    segment=None,
    *,
    platform: str | None = None,
    channel: str | None = None,
    **options: Any,
) -> Dashboard:
    """Build the dashboard ``name`` (overview, usage, revenue, events, funnels, demographics, retention).

    Runs the dashboard's queries (all aggregated in DuckDB) once; the result renders and saves without querying.
    ``options`` go to the dashboard's builder (e.g. ``steps=`` and ``window=`` for funnels).
    """
    if name not in DASHBOARDS:
        names = dashboard_names()
        raise UnknownNameError(
            f"no dashboard named {name!r}{suggest(name, names)}; valid dashboards: {', '.join(names)}"
        )
    _, builder = DASHBOARDS[name]
    return build(project, builder, start, end, segment, platform=platform, channel=channel, **options)
