"""Engagement Workbench: notebook-first successor to Amazon Pinpoint's engagement features.

The front door:

- ``Project`` (endpoints, imports, the event log), ``EndpointCounts``, and the errors;
- ``Segment`` and the segment builder functions live in ``workbench.segments``; ``SegmentBuilder`` (widget) in
  ``workbench.widgets``;
- ``kpi``, ``funnel`` and the other analytics in ``workbench.analytics``; ``Dashboard`` / ``dashboard`` in
  ``workbench.dashboards``; ``run_report`` in ``workbench.reports``; ``generate_demo_files`` / ``run_demo`` in
  ``workbench.demo``.

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
