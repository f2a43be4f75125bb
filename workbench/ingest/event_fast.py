"""Fast path for large Pinpoint event-stream files: DuckDB's JSON reader instead of a Python loop.

A million Firehose records take minutes through ``json.loads`` + Python flattening, and about ten seconds
here. The fast path only answers when the file is plain: every key is one the event-log columns (or ``extra``)
hold, every record is valid, timestamps are Unix milliseconds. Anything else returns None and the caller
uses the exact Python path, which names the line and field of each bad record.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from pathlib import Path

import duckdb
import polars as pl

from ..store import schema
from ..store.event_log import POLARS_SCHEMA
from ..store.leftovers import owner_tag
from .event_records import TimeWindow, default_window

# what each object of a Pinpoint stream record may hold (anything else -> the exact path keeps it in `extra`)
KNOWN_KEYS: dict[str, set[str]] = {
    "$": {
        "event_id",
        "event_type",
        "event_timestamp",
        "arrival_timestamp",
        "event_version",
        "application",
        "client",
        "device",
        "session",
        "attributes",
        "metrics",
        "awsAccountId",
        "facets",
        "client_context",
    },
    "$.application": {
        "app_id",
        "title",
        "version_name",
        "version_code",
        "package_name",
        "sdk",
        "cognito_identity_pool_id",
    },
    "$.application.sdk": {"name", "version"},
    "$.client": {"client_id", "cognito_id", "user_id"},
    "$.device": {"locale", "make", "model", "platform"},
    "$.device.locale": {"code", "country", "language"},
    "$.device.platform": {"name", "version"},
    "$.session": {"session_id", "start_timestamp", "stop_timestamp"},
}

COLUMNS = (
    "{event_id:'VARCHAR', event_type:'VARCHAR', event_timestamp:'BIGINT', arrival_timestamp:'BIGINT', "
    "event_version:'VARCHAR', "
    "application:'STRUCT(app_id VARCHAR, title VARCHAR, version_name VARCHAR, version_code VARCHAR, "
    "package_name VARCHAR, cognito_identity_pool_id VARCHAR, sdk STRUCT(name VARCHAR, version VARCHAR))', "
    "client:'STRUCT(client_id VARCHAR, cognito_id VARCHAR, user_id VARCHAR)', "
    "device:'STRUCT(locale STRUCT(code VARCHAR, country VARCHAR, language VARCHAR), make VARCHAR, model VARCHAR, "
    "platform STRUCT(name VARCHAR, version VARCHAR))', "
    "session:'STRUCT(session_id VARCHAR, start_timestamp BIGINT, stop_timestamp BIGINT)', "
    "attributes:'MAP(VARCHAR, VARCHAR)', metrics:'MAP(VARCHAR, DOUBLE)', awsAccountId:'VARCHAR', "
    "facets:'JSON', client_context:'JSON'}"
)

SELECT = f"""
SELECT
  event_id,
  event_type,
  make_timestamp_ms(event_timestamp) AS event_timestamp,
  coalesce(make_timestamp_ms(arrival_timestamp), $now) AS arrival_timestamp,
  event_version,
  client.client_id AS client_id,
  client.user_id AS user_id,
  session.session_id AS session_id,
  make_timestamp_ms(nullif(session.start_timestamp, 0)) AS session_start_timestamp,
  make_timestamp_ms(nullif(session.stop_timestamp, 0)) AS session_stop_timestamp,
  application.app_id AS app_id, application.title AS app_title, application.version_name AS app_version_name,
  application.version_code AS app_version_code, application.package_name AS app_package_name,
  application.sdk.name AS sdk_name, application.sdk.version AS sdk_version,
  device.make AS device_make, device.model AS device_model, device.platform.name AS device_platform,
  device.platform.version AS device_platform_version, device.locale.code AS device_locale,
  device.locale.country AS device_country,
  attributes, metrics,
  nullif(json_merge_patch('{{}}', json_object(
    'awsAccountId', awsAccountId, 'facets', facets, 'client_context', client_context,
    'client', json_object('cognito_id', client.cognito_id),
    'application', json_object('cognito_identity_pool_id', application.cognito_identity_pool_id),
    'device', json_object('locale', json_object('language', device.locale.language))
  ))::VARCHAR, '{{}}') AS extra,
  __path,
  -- validity, checked column-wise; any failure sends the whole file to the exact path
  (event_type IS NULL OR event_type = '' OR event_timestamp IS NULL OR client.client_id IS NULL
   OR cardinality(attributes) + cardinality(metrics) > {schema.MAX_EVENT_ATTRIBUTES_AND_METRICS}
   OR list_max(list_transform(map_keys(attributes) || map_keys(metrics), lambda k: length(k))) > {schema.MAX_EVENT_ATTRIBUTE_NAME_LENGTH}
   OR list_max(list_transform(map_values(attributes), lambda v: length(v))) > {schema.MAX_EVENT_ATTRIBUTE_VALUE_LENGTH}
   OR list_bool_or(list_transform(map_values(metrics), lambda v: v IS NULL OR isnan(v) OR isinf(v)))
   OR event_timestamp < $earliest OR event_timestamp > $latest
  ) AS invalid
FROM read_json(?, format = 'newline_delimited', columns = {COLUMNS}, filename = '__path')
"""


def _keys_are_known(con: duckdb.DuckDBPyConnection, paths: list[str]) -> bool:
    """True when every key of every record (top level and the standard objects) has a place to go."""
    known = list(KNOWN_KEYS)
    rows = con.execute(
        "SELECT DISTINCT p, unnest(k) FROM (SELECT unnest(?) AS p, unnest(json_keys(json, ?)) AS k "
        "FROM read_json_objects(?, format = 'newline_delimited'))",
        [known, known, paths],
    ).fetchall()
    return all(key in KNOWN_KEYS[p] for p, key in rows)


def read_events_fast(
    data: bytes, work_dir: Path, now, window: TimeWindow | None = None
) -> pl.DataFrame | None:
    """An event frame (POLARS_SCHEMA) for plain newline-delimited Pinpoint records, or None to use the exact path.

    Events outside ``window`` (default: 2000-01-01 to a day after ``now``) send the file to the exact path,
    which rejects them by line.
    """
    frame = read_many_events_fast([data], work_dir, now, window)
    return None if frame is None else frame.drop("__source")


def read_many_events_fast(
    datas: list[bytes], work_dir: Path, now, window: TimeWindow | None = None
) -> pl.DataFrame | None:
    """:func:`read_events_fast` for several files in ONE DuckDB read: one frame of them all, file by file in
    order, with ``__source`` (the index of each row's file in ``datas``); None when any of them needs the exact
    path (the caller then reads them one by one).

    Pays where an import is many small files, as Pinpoint's Firehose stream wrote them (one per hour): a read per
    file cost about 40 ms of connection, key check and reader set-up, which made the demo's hourly event files
    take minutes (benchmarks/bench_demo.py).
    """
    if not datas or not all(d.lstrip().startswith(b"{") for d in datas):
        return None
    window = window or default_window(now)
    bounds = [int(window.earliest.replace(tzinfo=UTC).timestamp() * 1000)]
    bounds.append(int(window.latest.replace(tzinfo=UTC).timestamp() * 1000))
    names: list[str] = []
    try:
        # the copies DuckDB reads carry this process's tag, so a kill's leftovers are removed by the next import
        for data in datas:
            fd, name = tempfile.mkstemp(
                dir=work_dir, prefix=f".events-{owner_tag()}-", suffix=".jsonl.partial"
            )
            names.append(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            if not _keys_are_known(con, names):
                return None
            sql = SELECT.replace("$now", "CAST($now AS TIMESTAMP)").replace("?", "$paths")
            frame = con.sql(
                sql, params={"now": now, "paths": names, "earliest": bounds[0], "latest": bounds[1]}
            ).pl()
        except (duckdb.Error, UnicodeError, ValueError, pl.exceptions.PolarsError):
            # a type the fast path does not read (ISO timestamps, numbers as text...), or text DuckDB hands
            # over badly (lone surrogates, control bytes in keys): the exact path reads it and names the line
            return None
        finally:
            con.close()
    finally:
        for name in names:
            os.unlink(name)
    if frame.get_column("invalid").any():
        return None
    frame = frame.drop("invalid").with_columns(
        pl.col(c).cast(POLARS_SCHEMA[c]) for c in POLARS_SCHEMA if c in frame.columns
    )
    index = pl.DataFrame({"__path": names, "__source": list(range(len(names)))})
    frame = frame.join(index, on="__path", how="left", maintain_order="left")
    if frame.get_column("__source").n_unique() != len(
        names
    ):  # a file without records: the exact path says so
        return None
    return frame.sort("__source", maintain_order=True).select([*POLARS_SCHEMA, "__source"])
