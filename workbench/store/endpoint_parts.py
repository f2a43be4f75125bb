"""Where endpoints live: Parquet part files under ``endpoints/``, listed in the catalog, read through a view.

Every connection gets a temporary view ``endpoints`` (like ``events``) with one column per Pinpoint field and
custom attribute, so SQL, segments and Polars see one flat table. Underneath:

- ``endpoints/part-*.parquet`` hold the rows. A part is immutable: a write adds parts and replaces the parts
  it changes (copy-on-write), all recorded in the catalog table ``endpoint_parts`` inside the caller's
  transaction. A kill at any point leaves either the old list of parts or the new one; files no list names
  are removed by a later write.
- An update patches rows where they are: the lookup that finds the stored endpoints also gives each one's
  part and row number (``views.view_sql(located=True)``), and only the parts holding one are rewritten, one part
  per writer thread at a time, each row in its place. Parts are small (PART_ROWS) so that rewriting one
  holds little memory; an update of 1M of 4M endpoints rewrites them all, since its Ids fall in every part.
- A part stores an attribute column (``Attributes.*``, ``User.UserAttributes.*``) as a plain string column when
  no row in that part has more than one value, and as a list otherwise; the view always shows a list. Single
  values are by far the common case, and a string column filters as fast as a hand-made flat table (a list
  column costs up to 1.6x; benchmarks/bench_endpoint_filter.py). Columns a part has no value for are left out
  of it and read as NULL.
- Why Parquet and not a DuckDB table: writing 1M endpoints into DuckDB's own storage takes 1.3-2.3 s (its
  compression); Arrow's writer, two files at once, writes them as Parquet in about 0.4 s, and DuckDB scans
  them as fast (dictionary pages only for columns with few distinct values: see choose_encoding).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from .catalog import transaction
from .views import PART_DIR, columns, create_endpoints_view, parts

#: a part holds at most this many rows: an update rewrites whole parts, holding WRITER_THREADS of them in memory
#: at once (2M-row parts cost an update of 1M of 4M endpoints 0.5 GB more; the filter benchmark reads 250k-row
#: parts within 10% of 2M-row ones)
PART_ROWS = 250_000
#: parts under this many rows are "small"; more than MAX_SMALL_PARTS of them are merged on the next write
SMALL_PART_ROWS = 100_000
MAX_SMALL_PARTS = 4
#: part files written at once (Arrow's Parquet writer uses one core per file)
WRITER_THREADS = 2
ROW_GROUP_ROWS = 122_880  # DuckDB's row-group size: its scans parallelise per row group
COMPRESSION = "lz4"
#: unreferenced part files younger than this are left alone (another connection of this process may be
#: between writing them and committing); older ones are leftovers of a killed write and are removed
ORPHAN_GRACE_SECONDS = 600

_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "VARCHAR NOT NULL": pl.String(),
    "TIMESTAMP": pl.Datetime("us"),
    "DOUBLE": pl.Float64(),
    "SMALLINT": pl.Int16(),
    "VARCHAR[]": pl.List(pl.String),
}


def polars_type(sqltype: str) -> pl.DataType:
    """The Polars dtype a part stores for a column of the given SQL type (lists may be stored as strings)."""
    return _POLARS_TYPES[sqltype]


def _layout(frame: pl.DataFrame, cols: dict[str, str]) -> pl.DataFrame:
    """Cast to the stored types, drop all-null columns, store single-valued attribute lists as strings."""
    out = []
    for name in frame.columns:
        series = frame.get_column(name)
        if name not in cols:
            raise ValueError(f"not an endpoint column: {name!r}")
        if name == "RawAddress" and "Address" in frame.columns:  # the view reads a missing one as Address
            series = pl.select(
                pl.when(series != frame.get_column("Address")).then(series).otherwise(None)
            ).to_series()
        if series.null_count() == len(series) and name != "Id":
            continue
        if cols[name] == "VARCHAR[]":
            if series.dtype == pl.String:
                out.append(series)
                continue
            series = series.cast(pl.List(pl.String))
            lengths = series.list.len()
            if (lengths.max() or 0) <= 1:
                series = series.list.first()
            out.append(series.alias(name))
        else:
            want = polars_type(cols[name])
            out.append(series if series.dtype == want else series.cast(want))
    return pl.DataFrame(out)


@dataclass
class Write:
    """Files one write added and superseded; ``committed()`` / ``rolled_back()`` tidy up after the caller."""

    root: Path
    added: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)

    def committed(self) -> None:
        _unlink(self.root, self.superseded)

    def rolled_back(self) -> None:
        _unlink(self.root, self.added)


def _unlink(root: Path, names: Iterable[str]) -> None:
    for name in names:
        try:
            (root / PART_DIR / name).unlink()
        except OSError:
            pass  # a leftover is removed by a later write


@dataclass(frozen=True)
class Encoding:
    """How a part's columns are written: which are dictionary-encoded, and each one's compression."""

    dictionary: list[str]  # Parquet column paths (a list's values: ``name.list.element``)
    compression: dict[str, str]


def choose_encoding(frame: pl.DataFrame) -> Encoding:
    """Dictionary pages (LZ4-compressed) for columns with few distinct values in a sample; plain, uncompressed
    pages for the others.

    A dictionary page for a near-unique column (Id, Address, User.UserId) makes DuckDB's scans up to 1.6x
    slower than plain pages, and Polars' writer picks dictionaries by itself, so parts are written with
    Arrow's writer and this choice (benchmarks/bench_endpoint_filter.py). LZ4 on a plain column costs about
    as much as writing it (Ids, user ids, e-mail addresses, timestamps: 40-50% of the column's write time) and
    makes a 1M-endpoint import ~0.02 s slower, for parts a fifth smaller; dictionary indices compress for
    almost nothing. The sample is taken inside one select, column by column: ``DataFrame.gather_every`` would
    first align the columns' chunks, which copies every string.
    """
    step = max(1, frame.height // 8192)
    sample = frame.select(pl.all().gather_every(step))  # (in one select, each column is gathered on its own)
    lists = {c for c, t in sample.schema.items() if t == pl.List(pl.String)}
    values = {c: pl.col(c).explode() if c in lists else pl.col(c) for c in sample.columns}
    counts = sample.select(
        *(v.drop_nulls().n_unique().alias(f"distinct {c}") for c, v in values.items()),
        *(v.drop_nulls().len().alias(f"values {c}") for c, v in values.items()),
    ).row(0, named=True)
    dictionary: list[str] = []
    compression: dict[str, str] = {}
    for name in frame.columns:
        few = counts[f"distinct {name}"] <= max(16, counts[f"values {name}"] // 10)
        if few:
            dictionary.append(f"{name}.list.element" if name in lists else name)
        compression[name] = COMPRESSION if few else "none"
    return Encoding(dictionary, compression)


def arrow_table(frame: pl.DataFrame) -> Any:
    """``frame`` as a pyarrow Table without copying: each column keeps its own chunks.

    ``DataFrame.to_arrow`` first aligns the columns' chunks (a CSV parse yields dozens per column, a computed
    column one), which copies every string of a million-row frame; Arrow's C stream hands each column over
    as it is, and the Parquet writer takes columns chunked differently. A column without a null is declared
    non-nullable, so Parquet stores it as required, without definition levels (5% of the write).
    """
    import pyarrow as pa

    columns = [pa.chunked_array(frame.get_column(name)) for name in frame.columns]
    fields = [
        pa.field(n, c.type, nullable=c.null_count > 0) for n, c in zip(frame.columns, columns, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _write_part(root: Path, frame: pl.DataFrame) -> str:
    """Write ``frame`` as a new part file (atomically: a temporary name, then a rename); return its name."""
    import pyarrow.parquet as pq

    directory = root / PART_DIR
    name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:10]}.parquet"
    tmp = directory / f".{name}.tmp"
    encoding = choose_encoding(frame)
    pq.write_table(
        arrow_table(frame),
        tmp,
        compression=encoding.compression,
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=encoding.dictionary,
        # min/max statistics let DuckDB skip row groups where values cluster (ids, dates, numbers); for other
        # text they seldom help and cost 18% of the write
        write_statistics=[c for c, t in frame.schema.items() if c == "Id" or t not in (pl.String, pl.List)],
    )
    os.replace(tmp, directory / name)
    return name


@dataclass(frozen=True)
class _Written:
    """A part just written: what its catalog row records."""

    name: str
    rows: int
    columns: list[str]
    list_columns: list[str]


def _store(root: Path, frame: pl.DataFrame, cols: dict[str, str]) -> _Written:
    """Lay ``frame`` out for storage (:func:`_layout`) and write it as a part."""
    stored = _layout(frame, cols)
    lists = [c for c, t in stored.schema.items() if t == pl.List(pl.String)]
    return _Written(_write_part(root, stored), stored.height, stored.columns, lists)


def _write_parts(root: Path, jobs: list[Callable[[], pl.DataFrame]], cols: dict[str, str]) -> list[_Written]:
    """Write the frame each job returns as a part, WRITER_THREADS jobs at once (the Parquet writer and Polars
    release the GIL): two at once make an update of 1M of 4M endpoints 20% faster (benchmarks/bench_update.py).
    A job reads its frame when it starts, so at most WRITER_THREADS rewritten parts are held at a time."""
    (root / PART_DIR).mkdir(exist_ok=True)
    if len(jobs) <= 1:
        return [_store(root, job(), cols) for job in jobs]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        return list(pool.map(lambda job: _store(root, job(), cols), jobs))


def _chunks(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Slices of at most PART_ROWS rows; a large frame is cut in at least WRITER_THREADS pieces."""
    pieces = -(-frame.height // PART_ROWS)
    if frame.height >= WRITER_THREADS * SMALL_PART_ROWS:
        pieces = max(pieces, WRITER_THREADS)
    size = -(-frame.height // max(pieces, 1))
    return [frame.slice(offset, size) for offset in range(0, frame.height, size)]


def as_list(column: str) -> pl.Expr:
    """An attribute column stored one string per row, as the view shows it: one-element lists (null stays null)."""
    return pl.when(pl.col(column).is_not_null()).then(pl.concat_list(pl.col(column))).alias(column)


def harmonise(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate endpoint frames whose attribute columns may be strings in one and lists in another."""
    if len(frames) == 1:
        return frames[0]
    listed = {c for f in frames for c, t in f.schema.items() if t == pl.List(pl.String)}
    fixed = [
        f.with_columns(as_list(c) for c in listed if c in f.columns and f.schema[c] == pl.String)
        for f in frames
    ]
    return pl.concat(fixed, how="diagonal_relaxed")


def spread(frame: pl.DataFrame, positions: pl.Series, length: int) -> pl.DataFrame:
    """``frame``'s rows moved to ``positions`` (row numbers) of a ``length``-row frame whose other rows are
    null: lines looked-up rows up with the rows they belong to without joining a million strings again
    (0.3-0.4 s of a 1M-row update; benchmarks/bench_update.py)."""
    import numpy as np

    index = np.full(length, -1, dtype=np.int64)
    index[positions.to_numpy()] = np.arange(len(positions))
    taken = pl.Series(index)
    return frame.select(pl.all().gather(pl.select(pl.when(taken >= 0).then(taken)).to_series()))


def _lists(series: pl.Series) -> pl.Series:
    return series.to_frame().select(as_list(series.name)).to_series() if series.dtype == pl.String else series


def contiguous(patch: pl.DataFrame) -> pl.DataFrame:
    """``patch`` in one chunk per column: a parsed file comes in dozens, and gathering each part's rows from
    them costs four times as much (0.45 s of CPU, 7-8% of an update of 1M of 4M endpoints, for 90 MB more at
    its peak; benchmarks/bench_update.py)."""
    return patch.rechunk()


def _patched(path: Path, patch: pl.DataFrame, index: pl.Series, keep: Collection[str]) -> pl.DataFrame:
    """The rows of the part at ``path`` with the rows of ``patch`` it holds (at ``index``) applied; see
    :func:`write`.

    New values are scattered into the stored columns at their row numbers: merging only the patched rows
    halves the patch's cost against lining them up with every row first (an update of 1M of 4M endpoints
    rewrites its parts 17% faster; benchmarks/bench_update.py).
    """
    stored = pl.read_parquet(path)
    patch = patch.select(pl.all().gather(index))  # here: one part's rows at a time
    rows = patch.get_column("__row")
    if "RawAddress" in patch.columns and "Address" in stored.columns:  # as the view shows it
        held = [pl.col("RawAddress")] if "RawAddress" in stored.columns else []
        stored = stored.with_columns(pl.coalesce(*held, pl.col("Address")).alias("RawAddress"))
    values = []
    for column, dtype in patch.schema.items():
        if column in ("Id", "__part", "__row"):
            continue
        new = patch.get_column(column)
        if column in stored.columns:
            old = stored.get_column(column)
        else:
            old = pl.repeat(None, stored.height, dtype=dtype, eager=True).alias(column)
        if dtype != old.dtype and pl.List(pl.String) in (dtype, old.dtype):
            new, old = _lists(new), _lists(old)  # one string per row on one side, lists on the other
        if new.null_count() or column in keep:  # a null keeps the stored value; in ``keep`` it wins
            before = old.gather(rows)
            first, second = (before, new) if column in keep else (new, before)
            new = pl.select(pl.coalesce(pl.lit(first), pl.lit(second))).to_series()
        new = new.cast(old.dtype)
        if old.dtype == pl.List(pl.String):  # (Polars cannot scatter into a list column)
            spread_out = spread(new.to_frame(), rows, stored.height).to_series()
            values.append(pl.select(pl.coalesce(pl.lit(spread_out), pl.lit(old))).to_series().alias(column))
        else:
            values.append(old.clone().scatter(rows, new).alias(column))
    return stored.with_columns(values)


def write(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    *,
    add: Sequence[pl.DataFrame] = (),
    patch: pl.DataFrame | None = None,
    keep: Collection[str] = (),
) -> Write:
    """Add endpoint rows and change stored ones, inside the caller's open transaction.

    ``add`` frames hold new endpoints (any subset of the endpoint columns; ``Id`` required and new to the
    store). ``patch`` holds Ids of stored endpoints, where each is stored (``__part`` and ``__row``, as
    ``views.view_sql(located=True)`` shows them) and values for some columns: a value replaces the stored one, a null
    keeps it; in the ``keep`` columns the stored value wins unless it is null. Only the parts
    holding a patched Id are rewritten, one at a time per writer thread, rows in place. Afterwards the
    connection's ``endpoints`` view shows the new state; call ``committed()`` or ``rolled_back()`` on the
    result once the caller's transaction has ended.
    """
    cols = columns(con)
    result = Write(root)
    _remove_orphans(con, root)
    current = parts(con)
    jobs: list[tuple[int, Callable[[], pl.DataFrame]]] = []
    if patch is not None and patch.height:
        patch = contiguous(patch)
        # each part's rows of the patch, found in one pass (a filter per part would scan the whole patch)
        by_part = (
            patch.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("i"), "__part")
            .group_by("__part", maintain_order=True)
            .agg("i")
        )
        for position, index in zip(by_part.get_column("__part"), by_part.get_column("i"), strict=True):
            part = current[position]
            jobs.append((part.rows, partial(_patched, root / PART_DIR / part.name, patch, index, keep)))
            result.superseded.append(part.name)
    for frame in (f for f in add if f.height):
        jobs.extend((chunk.height, partial(lambda f: f, chunk)) for chunk in _chunks(frame) if chunk.height)

    # merge small parts (including the ones written now) so the view stays a handful of scans
    small = [p for p in current if p.rows < SMALL_PART_ROWS and p.name not in result.superseded]
    small_jobs = [job for job in jobs if job[0] < SMALL_PART_ROWS]
    if len(small) + len(small_jobs) > MAX_SMALL_PARTS:
        sources = [job for _, job in small_jobs]
        sources += [partial(pl.read_parquet, root / PART_DIR / p.name) for p in small]
        merged = (
            sum(p.rows for p in small) + sum(n for n, _ in small_jobs),
            lambda: harmonise([f() for f in sources]),
        )
        jobs = [job for job in jobs if job[0] >= SMALL_PART_ROWS] + [merged]
        result.superseded.extend(p.name for p in small)

    for written in _write_parts(root, [job for _, job in jobs], cols):
        result.added.append(written.name)
        con.execute(
            "INSERT INTO endpoint_parts VALUES (?, ?, ?, ?, ?)",
            [written.name, written.rows, written.columns, written.list_columns, datetime.now()],
        )
    if result.superseded:
        con.execute("DELETE FROM endpoint_parts WHERE name IN (SELECT unnest(?))", [result.superseded])
    create_endpoints_view(con, root)
    return result


def _remove_orphans(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Delete part files no list names (a killed write's leftovers), past a grace period."""
    directory = root / PART_DIR
    if not directory.is_dir():
        return
    known = {r[0] for r in con.execute("SELECT name FROM endpoint_parts").fetchall()}
    now = time.time()
    for path in directory.iterdir():
        name = path.name.lstrip(".").removesuffix(".tmp")
        if name in known or not name.startswith("part-"):
            continue
        try:
            if now - path.stat().st_mtime > ORPHAN_GRACE_SECONDS:
                path.unlink()
        except OSError:
            pass


def append_query(con: duckdb.DuckDBPyConnection, root: Path, sql: str) -> int:
    """Add the rows a SQL query returns (columns named like endpoint columns) as new endpoints; commits.

    For generated data (benchmarks, demos): no checks, no upsert rules. Returns the number of rows added.
    """
    frame = con.sql(sql).pl()
    with transaction(con):
        result = write(con, root, add=[frame])
    result.committed()
    return frame.height
