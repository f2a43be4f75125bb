"""Saving and loading segments and their versions in the catalog (every change makes a new version)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import duckdb
import polars as pl

from ..errors import InputError

_TYPE_WORDS = {"IMPORT": "an imported (static)", "DIMENSIONAL": "a dynamic"}


def _new_version(
    con: duckdb.DuckDBPyConnection,
    name: str,
    segment_type: str,
    spec: dict[str, Any],
    *,
    now: datetime,
    source: str,
) -> tuple[str, int]:
    """Create the segment or add a version to it (same type only); store the spec. Returns (id, version)."""
    if not name or not name.strip():
        raise InputError("a segment needs a name")
    rows = con.execute(
        "SELECT segment_id, segment_type, latest_version FROM segments WHERE name = ?", [name]
    ).fetchall()
    if rows and rows[0][1] != segment_type:
        raise InputError(
            f"segment {name!r} exists and is {_TYPE_WORDS.get(rows[0][1], rows[0][1])} segment; choose another "
            f"name for {_TYPE_WORDS[segment_type]} one"
        )
    if rows:
        segment_id, version = rows[0][0], int(rows[0][2]) + 1
        con.execute(
            "UPDATE segments SET latest_version = ?, updated_at = ? WHERE segment_id = ?",
            [version, now, segment_id],
        )
    else:
        segment_id, version = uuid.uuid4().hex, 1
        con.execute(
            "INSERT INTO segments VALUES (?, ?, ?, ?, ?, 1)", [segment_id, name, segment_type, now, now]
        )
    con.execute(
        "INSERT INTO segment_versions VALUES (?, ?, ?, ?, ?)",
        [segment_id, version, json.dumps(spec), source, now],
    )
    return segment_id, version


def save_imported_segment(
    con: duckdb.DuckDBPyConnection,
    name: str,
    endpoint_ids: pl.Series,
    *,
    now: datetime,
    source: str,
    spec_extra: dict[str, Any] | None = None,
) -> tuple[str, int]:
    """Save a static (IMPORT) segment holding exactly ``endpoint_ids``; a new version if it exists. Returns (id, version).

    Runs in the caller's transaction.
    """
    ids = endpoint_ids.unique(maintain_order=True)
    spec = {
        "Name": name,
        "SegmentType": "IMPORT",
        "ImportDefinition": {"Format": "CSV", "Size": ids.len(), **(spec_extra or {})},
    }
    segment_id, version = _new_version(con, name, "IMPORT", spec, now=now, source=source)
    members = pl.DataFrame({"endpoint_id": ids}).with_columns(
        pl.lit(segment_id).alias("segment_id"), pl.lit(version, dtype=pl.Int32).alias("version")
    )
    con.register("__members", members.to_arrow())
    con.execute(
        "INSERT INTO segment_members (segment_id, version, endpoint_id) SELECT segment_id, version, endpoint_id FROM __members"
    )
    con.unregister("__members")
    return segment_id, version


def save_dynamic_segment(
    con: duckdb.DuckDBPyConnection, name: str, spec: dict[str, Any], *, now: datetime, source: str
) -> tuple[str, int]:
    """Save a dynamic (DIMENSIONAL) segment's spec; a new version if the name exists. Returns (id, version).

    Runs in the caller's transaction.
    """
    return _new_version(con, name, "DIMENSIONAL", spec, now=now, source=source)


def read_catalog(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every segment version: segment_id, name, segment_type, latest_version, version, spec (JSON text), created_at."""
    return con.sql(
        "SELECT s.segment_id, s.name, s.segment_type, s.latest_version, v.version, CAST(v.spec AS VARCHAR) AS spec, "
        "v.source, v.created_at, s.updated_at FROM segments s JOIN segment_versions v USING (segment_id) "
        "ORDER BY s.name, v.version"
    ).pl()
