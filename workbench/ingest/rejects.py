"""Rejected records, the same for endpoint and event imports: one ``Reject`` per record (file, line, field,
reason), and one writer of ``imports/<id>-rejects.csv``.

Column-wise checks hold their rejects as a Polars frame of ``FRAME_SCHEMA`` (``__file`` and ``__line`` are the
staged rows' own columns); :func:`write_rejects` takes either shape.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import polars as pl

#: the columns of a rejects CSV, as the README documents them
HEADER = ("file", "line", "field", "reason")
#: a frame of rejects, as validation and the upsert produce it
FRAME_SCHEMA = {"__file": pl.String, "__line": pl.Int64, "field": pl.String, "reason": pl.String}


class Reject(NamedTuple):
    """One rejected record: where it is (``line`` counts from 1, the header included; None when unknown), the
    field at fault ("" for the whole record) and why."""

    file: str
    line: int | None
    field: str
    reason: str


def rejects_frame(rejects: Sequence[Reject] = ()) -> pl.DataFrame:
    """``rejects`` as a frame of ``FRAME_SCHEMA`` (empty by default)."""
    return pl.DataFrame(list(rejects), schema=FRAME_SCHEMA, orient="row")


def rejects_of(rows: pl.DataFrame, field: str, reason: pl.Expr | str) -> pl.DataFrame:
    """A reject for each of ``rows`` (staged rows, with ``__file`` and ``__line``): the same ``field`` for all,
    and ``reason`` as text or as an expression over the rows."""
    because = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
    return rows.select("__file", "__line", pl.lit(field).alias("field"), because.alias("reason"))


def reason_text(template: str, *values: pl.Expr | str) -> pl.Expr:
    """A reject reason per row: ``template`` with each ``{}`` replaced by the next of ``values`` (expressions,
    or column names), null where a value is null; what ``pl.format`` does.

    Built on ``pl.concat_str``: ``pl.format`` panics on some chunk layouts of a parsed file (a cell of a few
    hundred kilobytes puts rows in chunks of their own; polars issues 25339 and 25525).
    """
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1:
        raise ValueError(f"{template!r} has {len(pieces) - 1} placeholders for {len(values)} values")
    parts: list[pl.Expr] = []
    for piece, value in zip(pieces, [*values, None], strict=True):
        if piece:
            parts.append(pl.lit(piece))
        if value is not None:
            parts.append((pl.col(value) if isinstance(value, str) else value).cast(pl.String))
    return pl.concat_str(parts)


def first_reject(rejects: pl.DataFrame) -> Reject:
    """The first reject of a frame in file and line order."""
    return Reject(*rejects.sort("__file", "__line").row(0))


def write_rejects(out: Path, rejects: pl.DataFrame | Sequence[Reject]) -> Path:
    """Write ``rejects`` (a frame is sorted by file and line first) to ``out`` as CSV with the header
    file,line,field,reason, atomically: a temporary file renamed into place. Returns ``out``."""
    if isinstance(rejects, pl.DataFrame):
        rows = rejects.sort("__file", "__line").select(list(FRAME_SCHEMA)).rows()
    else:
        rows = list(rejects)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    partial.replace(out)
    return out
