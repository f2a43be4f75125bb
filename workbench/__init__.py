"""Engagement Workbench: notebook-first successor to Amazon Pinpoint's engagement features.

The front door:

- ``Project``: one handle with namespaces (``project.endpoints``, ``project.events``, ``project.segments``,
  ``project.kpi()``, ``project.funnel()``, ``project.dashboard()``, ``project.report()``), ``EndpointCounts``,
  and the errors;
- the feature packages stay importable for scripts: ``workbench.ingest``, ``workbench.segments`` (``Segment``
  and the condition builder), ``workbench.analytics``, ``workbench.dashboards``, ``workbench.widgets``,
  ``workbench.reports``, ``workbench.demo``.

Every name here but the errors is imported on first use (``from workbench import Project`` works as usual), so
that ``import workbench``, and with it every ``workbench`` command, does not pay for Polars and DuckDB before
it needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InputError, ProjectError, ProjectLockedError, UnknownNameError, WorkbenchError

if TYPE_CHECKING:
    from .analytics import funnel, kpi
    from .dashboards import Dashboard, dashboard
    from .project import EndpointCounts, Project
    from .segments import Segment
    from .widgets import SegmentBuilder

#: name -> (module, attribute) of the names imported on first use
_LAZY = {
    "EndpointCounts": ("workbench.project", "EndpointCounts"),
    "Project": ("workbench.project", "Project"),
    "Segment": ("workbench.segments", "Segment"),
    "SegmentBuilder": ("workbench.widgets", "SegmentBuilder"),
    "Dashboard": ("workbench.dashboards", "Dashboard"),
    "dashboard": ("workbench.dashboards", "dashboard"),
    "kpi": ("workbench.analytics", "kpi"),
    "funnel": ("workbench.analytics", "funnel"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Dashboard",
    "EndpointCounts",
    "InputError",
    "Project",
    "ProjectError",
    "ProjectLockedError",
    "Segment",
    "SegmentBuilder",
    "UnknownNameError",
    "WorkbenchError",
    "dashboard",
    "funnel",
    "kpi",
]
__version__ = "0.1.0"
