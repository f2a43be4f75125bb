"""Engagement Workbench: notebook-first successor to Amazon Pinpoint's engagement features.

The front door:

- ``Project``: one handle with namespaces (``project.endpoints``, ``project.events``, ``project.segments``,
  ``project.kpi()``, ``project.funnel()``, ``project.dashboard()``, ``project.report()``), ``EndpointCounts``,
  and the errors;
- the feature packages stay importable for scripts: ``workbench.ingest``, ``workbench.segments`` (``Segment``
  and the condition builder), ``workbench.analytics``, ``workbench.dashboards``, ``workbench.widgets``,
  ``workbench.reports``, ``workbench.demo``.

The most used of those are also reachable here (imported on first use, so ``import workbench`` stays light).
"""

from .errors import InputError, ProjectError, ProjectLockedError, UnknownNameError, WorkbenchError
from .project import EndpointCounts, Project

_LAZY = {
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
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


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
