"""Files in: endpoint imports (CSV, JSON lines, Pinpoint exports, ``.gz``) and event imports (Pinpoint's event
stream, PutEvents records, CSV), each read -> checked -> written in one step; endpoint export back to files.

Every function takes the project's store handle (``workbench.store.Store``; a ``Project`` is one).
"""

from .endpoints import ImportRejectedError, import_endpoint_files
from .events import EventImportResult, import_event_files, record_events
from .export import export_endpoints
from .result import ImportResult

__all__ = [
    "EventImportResult",
    "ImportRejectedError",
    "ImportResult",
    "export_endpoints",
    "import_endpoint_files",
    "import_event_files",
    "record_events",
]
