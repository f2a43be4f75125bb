"""The event log: append, read, de-duplicate, and import of Pinpoint event-stream records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError
from ..progress import progress_bar
from ..store.event_log import EventAppendResult, append_events
from .event_fast import read_events_fast
from .event_records import fill_event_ids, iter_csv_records, iter_json_records, parse_records, rows_to_frame
from .rejects import Reject, write_rejects
from .source import Limits, read_input

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "EventAppendResult",
    "EventImportResult",
    "append_events",
    "import_event_files",
    "record_events",
]


@dataclass
class EventImportResult:
    """What an event import did."""

    events: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejects_file: str | None = None
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rejects_file": self.rejects_file,
            "files": self.files,
        }

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in self.to_dict().items() if k != "files"
        )
        return f"<table>{cells}</table>"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_events(project: Store, events: pl.DataFrame | Sequence[dict[str, Any]]) -> EventAppendResult:
    """Validate and append events given as record dicts (Pinpoint stream or PutEvents shape) or a DataFrame.

    Raises InputError naming the first invalid event (by position) and its field; nothing is written then.
    """
    records = events.to_dicts() if isinstance(events, pl.DataFrame) else list(events)
    frame, rejects = parse_records(((i, r, None) for i, r in enumerate(records, 1)), "<events>", _now())
    if rejects:
        first = rejects[0]
        raise InputError(
            f"event {first.line}: {first.reason} ({len(rejects)} invalid of {len(records)}; nothing recorded)",
            field=first.field or None,
        )
    return append_events(project.events_dir, frame)


def import_event_files(
    project: Store, files: Sequence[Path], progress: bool | None = None
) -> EventImportResult:
    """Import event files; invalid events go to ``imports/<id>-rejects.csv``, the valid ones to the log."""
    if not files:
        raise InputError("no files given")
    limits = Limits(
        max_uncompressed_bytes=int(project.setting("import.max_uncompressed_bytes", 4 << 30)),
        max_compression_ratio=float(project.setting("import.max_compression_ratio", 100)),
    )
    result = EventImportResult()
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    now = _now()
    with progress_bar(total=len(files), unit="file", desc="events", enabled=progress) as bar:
        for path in files:
            text = read_input(path, limits)
            frame = read_events_fast(text.data, project.imports_dir, now) if text.format == "json" else None
            if frame is not None:
                frame, file_rejects = fill_event_ids(frame), []
            else:  # the exact path: every bad record is named by line and field
                iterator = iter_json_records if text.format == "json" else iter_csv_records
                frame, file_rejects = parse_records(iterator(text.data, str(path)), str(path), now)
            frames.append(frame)
            rejects.extend(file_rejects)
            result.files.append(str(path))
            bar.update(1)
    frame = pl.concat(frames) if frames else rows_to_frame([])
    appended = append_events(project.events_dir, frame)
    result.events = appended.events
    result.duplicates = appended.duplicates
    result.rejected = len(rejects)
    if rejects:
        out = project.imports_dir / f"events-{uuid.uuid4().hex[:12]}-rejects.csv"
        result.rejects_file = str(write_rejects(out, rejects))
    return result
