"""Engagement Workbench: notebook-first successor to Amazon Pinpoint's engagement features.

The front door: ``Project`` (endpoints, imports, event log), errors, and the demo.
"""

from .errors import InputError, ProjectError, ProjectLockedError, UnknownNameError, WorkbenchError
from .project import EndpointCounts, Project

__all__ = [
    "EndpointCounts",
    "InputError",
    "Project",
    "ProjectError",
    "ProjectLockedError",
    "UnknownNameError",
    "WorkbenchError",
]
__version__ = "0.1.0"
