"""Where endpoints live: Parquet part files under ``endpoints/``, listed in the catalog, read through a view.

Every connection gets a temporary view ``endpoints`` (like ``events``) with one column per Pinpoint field and
custom attribute, so SQL, segments and Polars see one flat table. Underneath:

- ``endpoints/part-*.parquet`` hold the rows. A part is immutable: a write adds parts and replaces the parts
  it changes (copy-on-write), all recorded in the catalog table ``endpoint_parts`` inside the caller's
  transaction. A kill at any point leaves either the old list of parts or the new one; files no list names
  are removed by a later write.
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from . import schema
from .catalog import transaction
from .schema import quote, sql_string

PART_DIR = "endpoints"
#: a part holds at most this many rows; rewriting one part for an update then costs a bounded time
PART_ROWS = 2_000_000
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


def columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every endpoint column in view order (fixed fields, then attributes in the order first met) -> SQL type."""
    out = {c: t.replace(" NOT NULL", "") for c, t in schema.ENDPOINT_COLUMNS.items()}
    for (column,) in con.execute(
        "SELECT column_name FROM attribute_names ORDER BY position, created_at, column_name"
    ).fetchall():
        out[column] = schema.attribute_family(column)[2]  # type: ignore[index]
    return out


@dataclass(frozen=True)
class Part:
    """One Parquet file of endpoints: its name, row count, the columns it holds and which hold lists."""

    name: str
    rows: int
    columns: tuple[str, ...]
    list_columns: tuple[str, ...]


def parts(con: duckdb.DuckDBPyConnection) -> list[Part]:
    """The parts that make up the endpoints now (as this connection's transaction sees them)."""
    return [
        Part(name, int(rows), tuple(cols), tuple(lists))
        for name, rows, cols, lists in con.execute(
            "SELECT name, rows, columns, list_columns FROM endpoint_parts ORDER BY created_at, name"
        ).fetchall()
    ]


def _part_select(group: list[Part], cols: dict[str, str], root: Path) -> str:
    first = group[0]
    held, lists = set(first.columns), set(first.list_columns)
    exprs = []
    for column, sqltype in cols.items():
        q = quote(column)
        if column == "RawAddress" and "Address" in held:  # stored only where it differs from Address
            exprs.append(f'coalesce({q}, "Address") AS {q}' if column in held else f'"Address" AS {q}')
        elif column not in held:
            exprs.append(f"CAST(NULL AS {sqltype}) AS {q}")
        elif sqltype == "VARCHAR[]" and column not in lists:
            exprs.append(f"CASE WHEN {q} IS NULL THEN NULL ELSE [{q}] END AS {q}")
        else:
            exprs.append(q)
    files = ", ".join(sql_string(root / PART_DIR / p.name) for p in group)
    return f"SELECT {', '.join(exprs)} FROM read_parquet([{files}])"


def create_view(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """(Re)create this connection's temporary ``endpoints`` view over the current parts."""
    cols = columns(con)
    groups: dict[tuple, list[Part]] = {}
    for part in parts(con):  # parts with the same layout are read by one scan
        groups.setdefault((part.columns, part.list_columns), []).append(part)
    if groups:
        body = "\nUNION ALL\n".join(_part_select(g, cols, root.resolve()) for g in groups.values())
    else:
        body = (
            "SELECT "
            + ", ".join(f"CAST(NULL AS {t}) AS {quote(c)}" for c, t in cols.items())
            + " WHERE false"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW endpoints AS {body}")


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


def _write_parts(
    root: Path, frames: list[pl.DataFrame], cols: dict[str, str]
) -> list[tuple[str, pl.DataFrame]]:
    """Lay each frame out for storage (:func:`_layout`) and write it as a part, WRITER_THREADS at once (the
    writer releases the GIL); returns each part's name and stored frame."""
    (root / PART_DIR).mkdir(exist_ok=True)

    def one(frame: pl.DataFrame) -> tuple[str, pl.DataFrame]:
        stored = _layout(frame, cols)
        return _write_part(root, stored), stored

    if len(frames) <= 1:
        return [one(f) for f in frames]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        return list(pool.map(one, frames))


def _chunks(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """Slices of at most PART_ROWS rows; a large frame is cut in at least WRITER_THREADS pieces."""
    pieces = -(-frame.height // PART_ROWS)
    if frame.height >= WRITER_THREADS * SMALL_PART_ROWS:
        pieces = max(pieces, WRITER_THREADS)
    size = -(-frame.height // max(pieces, 1))
    return [frame.slice(offset, size) for offset in range(0, frame.height, size)]


def _record(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, cols: dict[str, str]) -> None:
    lists = [c for c in frame.columns if frame.schema[c] == pl.List(pl.String)]
    con.execute(
        "INSERT INTO endpoint_parts VALUES (?, ?, ?, ?, ?)",
        [name, frame.height, list(frame.columns), lists, datetime.now()],
    )


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


def write(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    *,
    add: Sequence[pl.DataFrame] = (),
    remove_ids: pl.Series | None = None,
) -> Write:
    """Add endpoint rows and remove rows by Id, inside the caller's open transaction.

    ``add`` frames hold endpoint columns (any subset; ``Id`` required, unique across the store after
    ``remove_ids`` is applied). Parts holding a removed Id are rewritten without it. Afterwards the
    connection's ``endpoints`` view shows the new state; call ``committed()`` or ``rolled_back()`` on the
    result once the caller's transaction has ended.
    """
    cols = columns(con)
    result = Write(root)
    _remove_orphans(con, root)
    current = parts(con)
    replaced: dict[str, pl.DataFrame] = {}
    if remove_ids is not None and len(remove_ids) and current:
        con.register("__removed", pl.DataFrame({"Id": remove_ids}).to_arrow())
        files = ", ".join(sql_string(root / PART_DIR / p.name) for p in current)
        hit = {
            Path(r[0]).name
            for r in con.execute(
                f"SELECT DISTINCT filename FROM read_parquet([{files}], filename=true) "
                "WHERE Id IN (SELECT Id FROM __removed)"
            ).fetchall()
        }
        con.unregister("__removed")
        removed = remove_ids.implode()
        for part in current:
            if part.name in hit:
                kept = pl.read_parquet(root / PART_DIR / part.name).filter(~pl.col("Id").is_in(removed))
                replaced[part.name] = kept
    survivors = [p for p in current if p.name not in replaced]
    new_frames = [f for f in replaced.values() if f.height]
    new_frames += [f for f in add if f.height]

    # merge small parts (including the ones written now) so the view stays a handful of scans
    small = [p for p in survivors if p.rows < SMALL_PART_ROWS]
    small_new = [f for f in new_frames if f.height < SMALL_PART_ROWS]
    if len(small) + len(small_new) > MAX_SMALL_PARTS:
        merged = [pl.read_parquet(root / PART_DIR / p.name) for p in small] + small_new
        new_frames = [f for f in new_frames if f.height >= SMALL_PART_ROWS] + [harmonise(merged)]
        survivors = [p for p in survivors if p not in small]
        replaced.update({p.name: pl.DataFrame() for p in small})

    for name, chunk in _write_parts(root, [chunk for frame in new_frames for chunk in _chunks(frame)], cols):
        result.added.append(name)
        _record(con, name, chunk, cols)
    if replaced:
        con.execute("DELETE FROM endpoint_parts WHERE name IN (SELECT unnest(?))", [list(replaced)])
        result.superseded.extend(replaced)
    create_view(con, root)
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
