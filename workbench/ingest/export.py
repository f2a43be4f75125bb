"""Endpoint export: CSV in Pinpoint's dotted-header shape (safe to open in a spreadsheet) or Parquet as stored."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..errors import InputError
from ..segments import segment_sql_filter
from ..store import schema

if TYPE_CHECKING:
    from ..store import Store

#: A cell starting with one of these is a formula to a spreadsheet (OWASP ASVS 5.0 V1.2.10, plus CR).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise_cell(value: str) -> str:
    """Prefix ``'`` to a text cell a spreadsheet would read as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _neutralise(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.contains(r"^[=+\-@\t\r\x00]")).then(pl.lit("'") + expr).otherwise(expr)


def export_endpoints(
    project: Store, out: Path, *, segment: str | None = None, where: str | None = None, raw: bool = False
) -> Path:
    """Write endpoints to ``out`` (``.csv`` or ``.parquet``), atomically. ``raw`` skips CSV formula escaping."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError("export to .csv or .parquet", file=str(out))
    filters = [f for f in (where, segment_sql_filter(project, segment) if segment else None) if f]
    where = " WHERE " + " AND ".join(f"({f})" for f in filters) if filters else ""
    frame = project.query("SELECT * FROM endpoints" + where)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        if suffix == ".parquet":
            frame.write_parquet(tmp)
        else:
            _write_pinpoint_csv(frame, tmp, raw=raw)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def _write_pinpoint_csv(frame: pl.DataFrame, path: Path, *, raw: bool) -> None:
    """Dotted headers; a multi-valued attribute becomes repeated headers (one value per column), as Pinpoint reads."""
    columns: list[pl.Expr] = []
    header: list[str] = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            width = int(frame.get_column(name).list.len().max() or 0)
            for i in range(max(width, 1)):
                columns.append(pl.col(name).list.get(i, null_on_oob=True).alias(f"{name}#{i}"))
                header.append(name)
        elif dtype == pl.String:
            columns.append(pl.col(name))
            header.append(name)
        elif dtype in (pl.Datetime, pl.Datetime("us")) or isinstance(dtype, pl.Datetime):
            columns.append(pl.col(name).dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
            header.append(name)
        else:
            columns.append(pl.col(name))
            header.append(name)
    body = frame.select(columns)
    if not raw:
        body = body.with_columns(
            [_neutralise(pl.col(c)).alias(c) for c, t in body.schema.items() if t == pl.String]
        )
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerow([neutralise_cell(h) if not raw else h for h in header])
    with open(path, "ab") as fh:
        body.write_csv(fh, include_header=False)


__all__ = ["FORMULA_PREFIXES", "export_endpoints", "neutralise_cell", "schema"]
