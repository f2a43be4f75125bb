"""The event log: append-only Parquet files under ``events/date=YYYY-MM-DD/``.

An append (an import, ``record_events``) is one batch: one file per day it covers, named
``part-<batch>-n<files>.parquet``. Every file is written to a temporary name in its day folder, fsynced and
renamed into place; the ``events`` view (store/views.py) reads a batch only once all its files are there, so the
last rename publishes the whole batch at once: a reader sees all of an import or none of it, and an import
killed part-way leaves nothing visible. Its leftovers (temporary files, the files of a batch that never
completed) carry the writer's owner tag (store/leftovers.py) and are removed by the next import or by
``workbench doctor --fix``. Temporary names do not end in ``.parquet``, so globs never pick them up.

An ``event_id`` names one event: the same id with the same content again is a duplicate (skipped, counted);
the same id with other content is a conflict, which the caller rejects (unless the import generated that id:
then the event is kept under the hash of its whole content; see :func:`plan_append`).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from . import leftovers, schema
from .views import event_files, scan_event_log

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
    """What an append did: events written, duplicates skipped, files created.

    ``conflicts`` holds the events not written because their ``event_id`` is already used (in the log or earlier
    in the batch) by an event with other content: the ``event_id`` column and any ``__``-prefixed columns the
    caller passed (such as ``__file`` and ``__line``).
    """

    events: int = 0
    duplicates: int = 0
    files: list[Path] = field(default_factory=list)
    conflicts: pl.DataFrame | None = None

    def to_dict(self) -> dict:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
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


def _fsync_dir(folder: Path) -> None:
    dirfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def write_atomic(table: pa.Table, dest: Path) -> None:
    """Write a Parquet file atomically: temp file in the same folder, fsync, rename, fsync the folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(dest)
    try:
        _write_fsynced(table, tmp)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def _temp_name(dest: Path) -> Path:
    return dest.parent / f".{dest.name}.{uuid.uuid4().hex[:8]}.partial"


def _write_fsynced(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


# --- content of an event: what must match for a repeated event_id to be a duplicate --------------------------

#: every column but ``arrival_timestamp`` (a re-delivery arrives later; it is still the same event)
CONTENT_COLUMNS = tuple(c for c in schema.EVENT_COLUMNS if c not in ("event_id", "arrival_timestamp"))


def _canonical_extra(text: str | None) -> str:
    """``extra`` JSON with empty objects dropped and keys sorted (the fast and exact import paths differ there)."""
    if not text:
        return ""

    def strip(node):
        if isinstance(node, dict):
            cleaned = {k: strip(v) for k, v in node.items()}
            return {k: v for k, v in cleaned.items() if v not in ({}, None)}
        return node

    try:
        value = strip(json.loads(text))
    except ValueError:
        return text
    return json.dumps(value, sort_keys=True, separators=(",", ":")) if value else ""


def _map_text(column: str) -> pl.Expr:
    pairs = pl.col(column).list.eval(
        pl.concat_str(
            pl.element().struct.field("key"),
            pl.lit("="),
            pl.element().struct.field("value").cast(pl.String).fill_null("\x00"),
        )
    )
    return pairs.list.sort().list.join("\x1e").fill_null("")


def content_key(frame: pl.DataFrame) -> pl.Series:
    """One text per event that is equal for two events exactly when their content (CONTENT_COLUMNS) is."""
    parts = []
    for name in CONTENT_COLUMNS:
        if name in ("attributes", "metrics"):
            parts.append(_map_text(name))
        elif name == "extra":
            parts.append(
                pl.col("extra").map_elements(_canonical_extra, return_dtype=pl.String, skip_nulls=False)
            )
        elif frame.schema[name] == pl.String:
            parts.append(pl.col(name).fill_null("\x00"))
        else:
            parts.append(
                pl.col(name).cast(pl.Datetime("ms")).dt.epoch("ms").cast(pl.String).fill_null("\x00")
            )
    return frame.select(pl.concat_str(parts, separator="\x1f").alias("__content")).to_series()


def _stored_events(events_dir: Path, ids: pl.Series) -> pl.DataFrame:
    """The logged events whose ``event_id`` is one of ``ids`` (one per id), maps as lists of key/value structs."""
    files = event_files(events_dir)
    if not files or ids.is_empty():
        return pl.DataFrame(schema=POLARS_SCHEMA)
    columns = ", ".join(
        f"map_entries({name}) AS {name}" if name in ("attributes", "metrics") else name
        for name in schema.EVENT_COLUMNS
    )
    listed = ", ".join(schema.sql_string(f) for f in files)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("__ids", pl.DataFrame({"event_id": ids.unique()}).to_arrow())
        return con.sql(
            f"SELECT {columns} FROM read_parquet([{listed}], union_by_name = true) "
            "WHERE event_id IN (SELECT event_id FROM __ids) QUALIFY row_number() OVER (PARTITION BY event_id) = 1"
        ).pl()
    finally:
        con.close()


def plan_append(events_dir: Path, frame: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Split a validated event frame into (new events, duplicates, conflicts) against itself and the log.

    An event whose id the log holds is a duplicate when its content is the same, else a conflict. Among the
    others, the first event of an id in the batch is new, a repeat with the same content a duplicate, with
    other content a conflict. The whole log is searched, so an id reused on another day is found too.

    An id the import generated (``__id_generated``; see ``ingest.event_records.fill_event_ids``) leaves some of
    an event's content out of its hash, metrics for one: a conflicting event with a generated id is not
    rejected but gets the SHA-1 of its whole content as its id and is planned again, so that two purchases
    differing only in their price are both kept, and a re-import in any order skips both.
    """
    new, duplicates, conflicts = _plan_once(events_dir, frame)
    if "__id_generated" in conflicts.columns and conflicts.get_column("__id_generated").any():
        generated = conflicts.filter("__id_generated")
        rekeyed = generated.with_columns(_whole_content_ids(generated), pl.lit(False).alias("__id_generated"))
        more_new, more_duplicates, more_conflicts = _plan_once(events_dir, rekeyed)
        # (an id given in the batch that happens to be one of these hashes keeps it)
        taken = more_new.get_column("event_id").is_in(new.get_column("event_id").implode())
        new = pl.concat([new, more_new.filter(~taken)])
        duplicates += more_duplicates
        conflicts = pl.concat(
            [conflicts.filter(~pl.col("__id_generated")), more_conflicts, more_new.filter(taken)]
        )
    return new, duplicates, conflicts.select(["event_id", *(c for c in frame.columns if c.startswith("__"))])


def _whole_content_ids(frame: pl.DataFrame) -> pl.Series:
    """The SHA-1 of each event's whole content (:func:`content_key`): the id of an event whose generated id
    another event holds."""
    keys = content_key(frame).to_list()
    return pl.Series("event_id", [hashlib.sha1(k.encode()).hexdigest() for k in keys], dtype=pl.String)


def _plan_once(events_dir: Path, frame: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """:func:`plan_append` without the second id for generated ones; conflicts keep all their columns."""
    if frame.is_empty():
        return frame, 0, frame
    indexed = frame.with_columns(content_key(frame)).with_row_index("__pos")
    stored = _stored_events(events_dir, indexed.get_column("event_id"))
    if stored.is_empty():
        indexed = indexed.with_columns(pl.lit(None, dtype=pl.String).alias("__stored"))
    else:
        stored = stored.select("event_id", content_key(stored).alias("__stored"))
        indexed = indexed.join(stored, on="event_id", how="left", maintain_order="left")
    # ids the log holds: the same content is a duplicate (a re-delivery), other content a conflict
    in_log = pl.col("__stored").is_not_null()
    logged = indexed.filter(in_log)
    same_as_log = logged.get_column("__stored") == logged.get_column("__content")
    duplicates = int(same_as_log.sum())
    conflicts = [logged.filter(~same_as_log)]
    # the rest: the first of an id wins; a repeat with the same content is a duplicate, other content a conflict
    rest = indexed.filter(~in_log)
    first = rest.unique(subset=["event_id"], keep="first", maintain_order=True)
    repeats = rest.filter(~pl.col("__pos").is_in(first.get_column("__pos").implode())).join(
        first.select("event_id", pl.col("__content").alias("__first")), on="event_id", maintain_order="left"
    )
    same_as_first = repeats.get_column("__content") == repeats.get_column("__first")
    duplicates += int(same_as_first.sum())
    conflicts.append(repeats.filter(~same_as_first).drop("__first"))
    helpers = ["__content", "__pos", "__stored"]
    return first.drop(helpers), duplicates, pl.concat(conflicts).sort("__pos").drop(helpers)


def write_batch(events_dir: Path, frame: pl.DataFrame, *, origin: str = "") -> list[Path]:
    """Write a batch of new events as one file per day; all of them become visible with the last rename.

    ``origin`` marks the batch's name (``views.OUTCOME_MARK``: the workbench's own send outcomes)."""
    if frame.is_empty():
        return []
    frame = frame.with_columns(pl.col("event_timestamp").dt.date().alias("__date"))
    days = frame.sort("event_timestamp").partition_by("__date", as_dict=True)
    batch = f"{uuid.uuid4().hex[:10]}-{leftovers.owner_tag()}" + (f"-{origin}" if origin else "")
    staged: list[tuple[Path, Path]] = []
    try:
        for (day,), part in days.items():
            dest = events_dir / f"date={day.isoformat()}" / f"part-{batch}-n{len(days)}.parquet"
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = _temp_name(dest)
            staged.append((tmp, dest))
            _write_fsynced(_to_arrow(part.drop([c for c in part.columns if c.startswith("__")])), tmp)
        for tmp, dest in staged:  # the batch is invisible until the last of these renames
            os.replace(tmp, dest)
        for folder in {dest.parent for _, dest in staged}:
            _fsync_dir(folder)
    except BaseException:
        for tmp, dest in staged:  # an error (not a kill): take back what was written
            for path in (tmp, dest):
                if path.exists():
                    path.unlink()
        raise
    return [dest for _, dest in staged]


def append_events(events_dir: Path, frame: pl.DataFrame, *, origin: str = "") -> EventAppendResult:
    """Append a validated event frame (POLARS_SCHEMA columns) to the log as one batch, one new file per day.

    Events whose ``event_id`` is already in the batch or the log with the same content are skipped as
    duplicates (Pinpoint's stream can deliver duplicates); with other content they are not written and come
    back in ``result.conflicts``. Appends from several processes are safe; two processes appending the same
    event at the same instant may both keep it, and readers can de-duplicate on ``event_id``.
    """
    new, duplicates, conflicts = plan_append(events_dir, frame)
    result = EventAppendResult(duplicates=duplicates, conflicts=conflicts)
    result.files = write_batch(events_dir, new, origin=origin)
    result.events = new.height
    return result


def existing_event_ids(events_dir: Path, dates: list[date]) -> pl.Series:
    """The ``event_id`` of every logged event on the given days."""
    files = event_files(events_dir, dates)
    if not files:
        return pl.Series("event_id", [], dtype=pl.String)
    return pl.scan_parquet(files, hive_partitioning=False).select("event_id").collect().to_series()


def event_log_leftovers(events_dir: Path) -> list[Path]:
    """Temporary files and files of never-completed batches in ``events/`` whose writer is gone."""
    found: list[Path] = []
    if not events_dir.is_dir():
        return found
    for day in events_dir.glob("date=*"):
        for path in day.glob(".*.partial"):
            if leftovers.is_leftover(path):
                found.append(path)
    for batch, files in scan_event_log(events_dir).incomplete.items():
        if leftovers.owner_alive(batch) is False:
            found.extend(files)
    return sorted(found)


def remove_event_log_leftovers(events_dir: Path) -> list[Path]:
    """Remove what :func:`event_log_leftovers` finds; returns the removed paths."""
    return leftovers.remove(event_log_leftovers(events_dir))
