"""The event log: append, read, de-duplicate, and import of Pinpoint event-stream records."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError
from ..progress import progress_bar
from ..store import leftovers
from ..store.event_log import (
    EventAppendResult,
    append_events,
    plan_append,
    remove_event_log_leftovers,
    write_batch,
)
from .endpoints import ImportRejectedError
from .event_fast import read_events_fast, read_many_events_fast
from .event_records import (
    EARLIEST_EVENT,
    TimeWindow,
    fill_event_ids,
    iter_csv_records,
    iter_json_records,
    parse_records,
    rows_to_frame,
)
from .rejects import Reject, write_rejects
from .source import Limits, read_input

if TYPE_CHECKING:
    from ..store import Store

__all__ = [
    "EventAppendResult",
    "EventImportResult",
    "ImportRejectedError",
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

    def summary(self) -> str:
        """One line for people: what was recorded, skipped and rejected (and where the rejects are)."""
        text = f"{self.events:,} events recorded, {self.duplicates:,} duplicates skipped, {self.rejected:,} rejected"
        return text + (f" (see {self.rejects_file})" if self.rejects_file else "")

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
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


_DURATION = re.compile(
    r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$", re.I
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_skew(value: Any) -> timedelta:
    """A duration setting: seconds as a number, or text such as ``"1 day"``, ``"12h"``, ``"90 minutes"``."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f'not a duration: {value!r} (use e.g. "1 day", "12h" or seconds)')
        unit = (match.group(2) or "s")[0].lower()
        seconds = float(match.group(1)) * _UNIT_SECONDS["m" if unit == "m" else unit]
    if not 0 <= seconds <= 3650 * 86400:
        raise ValueError(f"duration {value!r} is outside 0 .. 3650 days")
    return timedelta(seconds=seconds)


def event_window(project: Store, now: datetime) -> TimeWindow:
    """The event times the project accepts: 2000-01-01 up to now plus ``[events] max_future_skew`` (1 day)."""
    raw = project.setting("events.max_future_skew", "1 day")
    try:
        skew = parse_skew(raw)
    except ValueError as err:
        raise InputError(
            str(err), file=str(project.path / "workbench.toml"), field="events.max_future_skew"
        ) from None
    return TimeWindow(EARLIEST_EVENT, now + skew, str(raw) if isinstance(raw, str) else f"{skew}")


def _conflict_reason(event_id: str) -> str:
    return (
        f"event_id {event_id!r} is already used by an event with other content (an event_id names one event)"
    )


def record_events(project: Store, events: pl.DataFrame | Sequence[dict[str, Any]]) -> EventAppendResult:
    """Validate and append events given as record dicts (Pinpoint stream or PutEvents shape) or a DataFrame.

    Raises InputError naming the first invalid event (by position) and its field; nothing is written then. An
    event reusing an ``event_id`` (of the log or of the batch) with other content is invalid; with the same
    content it is a duplicate, skipped and counted.
    """
    records = events.to_dicts() if isinstance(events, pl.DataFrame) else list(events)
    now = _now()
    frame, rejects = parse_records(
        ((i, r, None) for i, r in enumerate(records, 1)),
        "<events>",
        now,
        event_window(project, now),
        with_lines=True,
    )
    if not rejects:
        new, duplicates, conflicts = plan_append(project.events_dir, frame)
        rejects = [
            Reject("<events>", line, "event_id", _conflict_reason(event_id))
            for event_id, line in conflicts.select("event_id", "__line").rows()
        ]
    if rejects:
        first = min(rejects, key=lambda r: r.line or 0)
        raise InputError(
            f"event {first.line}: {first.reason} ({len(rejects)} invalid of {len(records)}; nothing recorded)",
            field=first.field or None,
        )
    result = EventAppendResult(duplicates=duplicates, conflicts=conflicts)
    result.files = write_batch(project.events_dir, new)
    result.events = new.height
    return result


#: how many event files one DuckDB read takes (Firehose wrote one file per hour: 2,160 for 90 days)
FILES_PER_READ = 240


def _with_origin(frame: pl.DataFrame, texts: Sequence[Any]) -> pl.DataFrame:
    """A fast-path frame (rows file by file, ``__source`` indexing ``texts``) with each row's ``__file`` and
    ``__line`` (null for a file whose records and lines do not pair up one to one)."""
    lines: list[int | None] = []
    sizes = frame.get_column("__source").value_counts(sort=False)
    count = dict(zip(sizes["__source"].to_list(), sizes["count"].to_list(), strict=True))
    for i, text in enumerate(texts):
        found = _record_lines(text.data)
        lines += found if len(found) == count.get(i, 0) else [None] * count.get(i, 0)
    files = pl.Series([str(t.path) for t in texts], dtype=pl.String)
    return frame.with_columns(
        pl.Series("__line", lines, dtype=pl.Int64),
        files.gather(frame.get_column("__source")).alias("__file"),
    ).drop("__source")


def _record_lines(data: bytes) -> list[int]:
    """The line number of each record of a newline-delimited file (blank lines hold none)."""
    return [n for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]


def remove_import_leftovers(project: Store) -> list[Path]:
    """Remove what killed imports left: temporary copies in ``imports/`` and event-log files never published."""
    removed = remove_event_log_leftovers(project.events_dir)
    if project.imports_dir.is_dir():
        stale = [p for p in project.imports_dir.glob(".events-*.partial") if leftovers.is_leftover(p)]
        removed += leftovers.remove(stale)
    return removed


def import_event_files(
    project: Store, files: Sequence[Path], progress: bool | None = None
) -> EventImportResult:
    """Import event files; invalid events go to ``imports/<id>-rejects.csv``, the valid ones to the log.

    All or nothing: the import's events become visible at once when it ends, and an import killed part-way
    leaves none (its leftovers are removed by the next import). An event is rejected, with the reason, when it is
    invalid, dated before 2000 or more than ``[events] max_future_skew`` (default 1 day) in the future, or reuses
    an ``event_id`` with other content. When no event is valid, ImportRejectedError (nothing recorded; the
    rejects file is named).
    """
    if not files:
        raise InputError("no files given")
    remove_import_leftovers(project)
    limits = Limits(
        max_uncompressed_bytes=int(project.setting("import.max_uncompressed_bytes", 4 << 30)),
        max_compression_ratio=float(project.setting("import.max_compression_ratio", 100)),
    )
    result = EventImportResult()
    frames: list[pl.DataFrame] = []
    rejects: list[Reject] = []
    now = _now()
    window = event_window(project, now)
    with progress_bar(total=len(files), unit="file", desc="events", enabled=progress) as bar:
        for start in range(0, len(files), FILES_PER_READ):
            texts = [read_input(path, limits) for path in files[start : start + FILES_PER_READ]]
            plain = (
                read_many_events_fast([t.data for t in texts], project.imports_dir, now, window)
                if len(texts) > 1 and all(t.format == "json" for t in texts)
                else None
            )
            if plain is not None:  # one frame for the group: ids, lines and files set column-wise
                frames.append(_with_origin(fill_event_ids(plain), texts))
                result.files += [str(t.path) for t in texts]
                bar.update(len(texts))
                continue
            for text in texts:
                frame = (
                    read_events_fast(text.data, project.imports_dir, now, window)
                    if text.format == "json"
                    else None
                )
                if frame is not None:
                    frame, file_rejects = (
                        _with_origin(fill_event_ids(frame.with_columns(__source=0)), [text]),
                        [],
                    )
                else:  # the exact path: every bad record is named by line and field
                    iterator = iter_json_records if text.format == "json" else iter_csv_records
                    frame, file_rejects = parse_records(
                        iterator(text.data, str(text.path)), str(text.path), now, window, with_lines=True
                    )
                    frame = frame.with_columns(pl.lit(str(text.path)).alias("__file"))
                frames.append(frame)
                rejects.extend(file_rejects)
                result.files.append(str(text.path))
                bar.update(1)
    frame = pl.concat(frames) if frames else rows_to_frame([])
    new, duplicates, conflicts = plan_append(project.events_dir, frame)
    rejects += [
        Reject(file, line, "event_id", _conflict_reason(event_id))
        for event_id, file, line in conflicts.select("event_id", "__file", "__line").rows()
    ]
    result.duplicates = duplicates
    result.rejected = len(rejects)
    if rejects:
        out = project.imports_dir / f"events-{uuid.uuid4().hex[:12]}-rejects.csv"
        result.rejects_file = str(write_rejects(out, sorted(rejects, key=lambda r: (r.file, r.line or 0))))
    if new.is_empty() and duplicates == 0 and rejects:
        first = min(rejects, key=lambda r: (r.file, r.line or 0))
        raise ImportRejectedError(
            f"no valid event: all {len(rejects)} rejected, nothing recorded; first: {first.file}:{first.line}: "
            f"field {first.field or '-'}: {first.reason}; all in {result.rejects_file}",
            result,  # type: ignore[arg-type]
        )
    write_batch(project.events_dir, new)
    result.events = new.height
    return result
