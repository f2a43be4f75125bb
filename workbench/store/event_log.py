"""The event log: append-only Parquet files under ``events/date=YYYY-MM-DD/``.

Every file is written to a temporary name in its partition folder, fsynced and renamed into place, so a reader
(DuckDB or Polars, in this process or another) sees a whole file or none, and a crash leaves no half file.
Temporary names do not end in ``.parquet``, so globs never pick them up.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import schema
from .views import event_files

ARROW_SCHEMA = pa.schema(
    [
        (name, pa.timestamp("ms"))
        if sqltype == "TIMESTAMP"
        else (name, pa.map_(pa.string(), pa.string()))
        if name == "attributes"
        else (name, pa.map_(pa.string(), pa.float64()))
        if name == "metrics"
        else (name, pa.string())
        for name, sqltype in schema.EVENT_COLUMNS.items()
    ]
)

#: Polars schema of an event frame before it is written (maps as lists of key/value structs).
POLARS_SCHEMA: dict[str, pl.DataType] = {
    name: pl.Datetime("ms")
    if sqltype == "TIMESTAMP"
    else pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
    if name == "attributes"
    else pl.List(pl.Struct({"key": pl.String, "value": pl.Float64}))
    if name == "metrics"
    else pl.String
    for name, sqltype in schema.EVENT_COLUMNS.items()
}


@dataclass
class EventAppendResult:
    """What an append did: events written, duplicates skipped, files created."""

    events: int = 0
    duplicates: int = 0
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"events": self.events, "duplicates": self.duplicates, "files": [str(f) for f in self.files]}


def _to_arrow(frame: pl.DataFrame) -> pa.Table:
    """Convert an event frame (maps as list-of-struct) to Arrow with real MAP columns."""
    table = frame.select(list(schema.EVENT_COLUMNS)).to_arrow()
    arrays = []
    for name in ARROW_SCHEMA.names:
        col = table.column(name).combine_chunks()
        target = ARROW_SCHEMA.field(name).type
        if pa.types.is_map(target):
            col = col.cast(pa.list_(pa.struct([("key", pa.string()), ("value", target.item_type)])))
            flat = col.flatten()
            col = pa.MapArray.from_arrays(
                col.offsets, flat.field("key"), flat.field("value"), mask=col.is_null()
            )
        else:
            col = col.cast(target)
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def write_atomic(table: pa.Table, dest: Path) -> None:
    """Write a Parquet file atomically: temp file in the same folder, fsync, rename, fsync the folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex}.partial"
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        dirfd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
    finally:
        if tmp.exists():
            tmp.unlink()


def existing_event_ids(events_dir: Path, dates: list[date]) -> pl.Series:
    files = event_files(events_dir, dates)
    if not files:
        return pl.Series("event_id", [], dtype=pl.String)
    return pl.scan_parquet(files, hive_partitioning=False).select("event_id").collect().to_series()


def append_events(events_dir: Path, frame: pl.DataFrame) -> EventAppendResult:
    """Append a validated event frame (POLARS_SCHEMA columns) to the log, one new file per day.

    Events whose ``event_id`` is already in the batch or in the log for that day are skipped (Pinpoint's stream
    can deliver duplicates). Appends from several processes are safe; two processes appending the same event
    at the same instant may both keep it, and readers can de-duplicate on ``event_id``.
    """
    result = EventAppendResult()
    if frame.is_empty():
        return result
    frame = frame.with_columns(pl.col("event_timestamp").dt.date().alias("__date"))
    before = frame.height
    frame = frame.unique(subset=["event_id"], keep="first", maintain_order=True)
    result.duplicates += before - frame.height
    dates = sorted(frame.get_column("__date").unique().to_list())
    seen = existing_event_ids(events_dir, dates)
    if seen.len():
        before = frame.height
        frame = frame.filter(~pl.col("event_id").is_in(seen.implode()))
        result.duplicates += before - frame.height
    batch = uuid.uuid4().hex[:12]
    for (day,), part in frame.sort("event_timestamp").partition_by("__date", as_dict=True).items():
        dest = events_dir / f"date={day.isoformat()}" / f"part-{batch}.parquet"
        write_atomic(_to_arrow(part.drop("__date")), dest)
        result.files.append(dest)
        result.events += part.height
    return result
