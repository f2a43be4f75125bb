"""Endpoint and event columns, the catalog's DuckDB DDL, and its migrations.

Endpoints read as one flat table (the view ``endpoints``, stored as Parquet parts: endpoint_store.py) whose
column names are Pinpoint's dotted paths (``Demographic.Platform``, ``Attributes.plan``, ``Metrics.purchases``,
``User.UserAttributes.FirstName``). Each custom attribute is its own column (``VARCHAR[]`` for
``Attributes``/``UserAttributes``, ``DOUBLE`` for ``Metrics``), registered in ``attribute_names`` when an
import first meets it. Pinpoint caps a project at 250 attribute names, so the table stays narrow enough, and a
filter on an attribute is a plain column scan: the stored layout costs nothing over a hand-made flat table
(see benchmarks/bench_endpoint_filter.py). The same names work in Polars:
``pl.col("Attributes.plan").list.contains("pro")``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import duckdb

SCHEMA_VERSION = 2

CHANNEL_TYPES: tuple[str, ...] = (
    "PUSH",
    "GCM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "ADM",
    "SMS",
    "VOICE",
    "EMAIL",
    "BAIDU",
    "CUSTOM",
    "IN_APP",
)
PHONE_CHANNELS = ("SMS", "VOICE")
PUSH_CHANNELS = ("PUSH", "GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM", "BAIDU")
OPT_OUT_VALUES = ("ALL", "NONE")
ENDPOINT_STATUSES = ("ACTIVE", "INACTIVE")

DEMOGRAPHIC_FIELDS = (
    "AppVersion",
    "Locale",
    "Make",
    "Model",
    "ModelVersion",
    "Platform",
    "PlatformVersion",
    "Timezone",
)
LOCATION_TEXT_FIELDS = ("City", "Country", "PostalCode", "Region")
LOCATION_NUMBER_FIELDS = ("Latitude", "Longitude")

#: The fixed endpoint columns, in table order, with their DuckDB types.
ENDPOINT_COLUMNS: dict[str, str] = {
    "Id": "VARCHAR NOT NULL",
    "ChannelType": "VARCHAR",
    "Address": "VARCHAR",
    "RawAddress": "VARCHAR",  # the address as the file gave it, before E.164 / e-mail normalisation
    "EndpointStatus": "VARCHAR",
    "OptOut": "VARCHAR",
    "EffectiveDate": "TIMESTAMP",
    "CreationDate": "TIMESTAMP",
    "RequestId": "VARCHAR",
    "CohortId": "SMALLINT",
    **{f"Demographic.{f}": "VARCHAR" for f in DEMOGRAPHIC_FIELDS},
    "Location.City": "VARCHAR",
    "Location.Country": "VARCHAR",
    "Location.Latitude": "DOUBLE",
    "Location.Longitude": "DOUBLE",
    "Location.PostalCode": "VARCHAR",
    "Location.Region": "VARCHAR",
    "User.UserId": "VARCHAR",
}

#: Columns a file may carry that describe an endpoint but are not set by an import (Pinpoint's response-only
#: fields). ``EndpointStatus``, ``CreationDate`` and ``CohortId`` are kept when a Pinpoint export provides them.
READ_ONLY_INPUT_COLUMNS = ("ApplicationId", "RawAddress")

#: Custom attribute families: prefix -> (kind, DuckDB type).
ATTRIBUTE_FAMILIES: dict[str, tuple[str, str]] = {
    "Attributes.": ("endpoint-custom-attributes", "VARCHAR[]"),
    "User.UserAttributes.": ("endpoint-user-attributes", "VARCHAR[]"),
    "Metrics.": ("endpoint-metric-attributes", "DOUBLE"),
}

MAX_ATTRIBUTE_NAMES = 250  # across Attributes, Metrics and UserAttributes, per project
MAX_ATTRIBUTE_NAME_LENGTH = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 100
MAX_VALUES_PER_ATTRIBUTE = 50
MAX_ENDPOINTS_PER_USER = 15
MAX_ENDPOINT_BYTES = 15 * 1024

#: Event log columns (Parquet), flattened from Pinpoint's event-stream record. Timestamps are UTC.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "event_timestamp": "TIMESTAMP",
    "arrival_timestamp": "TIMESTAMP",
    "event_version": "VARCHAR",
    "client_id": "VARCHAR",  # the endpoint Id (client.client_id)
    "user_id": "VARCHAR",  # when the sender knew it; otherwise resolved through endpoints
    "session_id": "VARCHAR",
    "session_start_timestamp": "TIMESTAMP",
    "session_stop_timestamp": "TIMESTAMP",
    "app_id": "VARCHAR",
    "app_title": "VARCHAR",
    "app_version_name": "VARCHAR",
    "app_version_code": "VARCHAR",
    "app_package_name": "VARCHAR",
    "sdk_name": "VARCHAR",
    "sdk_version": "VARCHAR",
    "device_make": "VARCHAR",
    "device_model": "VARCHAR",
    "device_platform": "VARCHAR",
    "device_platform_version": "VARCHAR",
    "device_locale": "VARCHAR",
    "device_country": "VARCHAR",
    "attributes": "MAP(VARCHAR, VARCHAR)",
    "metrics": "MAP(VARCHAR, DOUBLE)",
    "extra": "VARCHAR",  # the rest of the record as JSON (facets, client_context, ...): nothing is lost
}

MAX_EVENT_ATTRIBUTE_NAME_LENGTH = 50
MAX_EVENT_ATTRIBUTE_VALUE_LENGTH = 200
MAX_EVENT_ATTRIBUTES_AND_METRICS = 40

_SAFE_NAME = re.compile(r"^[^\x00-\x1f\"]+$")


def quote(name: str) -> str:
    """Quote a column name for DuckDB SQL (dotted names need quoting)."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: object) -> str:
    """A SQL string literal, quotes escaped."""
    return "'" + str(value).replace("'", "''") + "'"


def attribute_family(column: str) -> tuple[str, str, str] | None:
    """Return (prefix, kind, duckdb type) when ``column`` is a custom attribute column, else None."""
    # User.UserAttributes. must be tested before Attributes. would never match it, but order is explicit anyway
    for prefix in ("User.UserAttributes.", "Attributes.", "Metrics."):
        if column.startswith(prefix) and len(column) > len(prefix):
            kind, sqltype = ATTRIBUTE_FAMILIES[prefix]
            return prefix, kind, sqltype
    return None


def is_safe_attribute_name(name: str) -> bool:
    return bool(_SAFE_NAME.match(name))


# --- DDL and migrations -------------------------------------------------------------------------------------


def _create_v1(con: duckdb.DuckDBPyConnection) -> None:
    cols = ",\n  ".join(f"{quote(c)} {t}" for c, t in ENDPOINT_COLUMNS.items())
    con.execute(f"CREATE TABLE endpoints (\n  {cols}\n)")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        """CREATE TABLE attribute_names (
            kind VARCHAR NOT NULL, name VARCHAR NOT NULL, column_name VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, PRIMARY KEY (kind, name))"""
    )
    con.execute(
        """CREATE TABLE imports (
            import_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, file VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL, format VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
            rows BIGINT, imported BIGINT, updated BIGINT, rejected BIGINT, rejects_file VARCHAR,
            segment VARCHAR, PRIMARY KEY (import_id, file))"""
    )
    con.execute(
        """CREATE TABLE segments (
            segment_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, segment_type VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, latest_version INTEGER NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE segment_versions (
            segment_id VARCHAR NOT NULL, version INTEGER NOT NULL, spec JSON, source VARCHAR,
            created_at TIMESTAMP NOT NULL, PRIMARY KEY (segment_id, version))"""
    )
    con.execute(
        "CREATE TABLE segment_members (segment_id VARCHAR NOT NULL, version INTEGER NOT NULL, "
        "endpoint_id VARCHAR NOT NULL)"
    )


def _v2_endpoints_in_parquet(con: duckdb.DuckDBPyConnection) -> None:
    """Endpoints move from a DuckDB table to Parquet parts (see workbench/endpoint_store.py)."""
    import uuid
    from pathlib import Path

    con.execute(
        """CREATE TABLE endpoint_parts (
            name VARCHAR PRIMARY KEY, rows BIGINT NOT NULL, columns VARCHAR[] NOT NULL,
            list_columns VARCHAR[] NOT NULL, created_at TIMESTAMP NOT NULL)"""
    )
    con.execute("ALTER TABLE attribute_names ADD COLUMN position INTEGER")
    described = con.execute("SELECT column_name, column_type FROM (DESCRIBE endpoints)").fetchall()
    order = {name: i for i, (name, _) in enumerate(described)}
    for (column,) in con.execute("SELECT column_name FROM attribute_names").fetchall():
        con.execute(
            "UPDATE attribute_names SET position = ? WHERE column_name = ?", [order.get(column), column]
        )
    rows = con.execute("SELECT count(*) FROM endpoints").fetchall()[0][0]
    if rows:
        (path,) = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()[0]
        directory = Path(path).parent / "endpoints"
        directory.mkdir(exist_ok=True)
        name = f"part-migrated-{uuid.uuid4().hex[:10]}.parquet"
        con.execute(f"COPY endpoints TO {sql_string(directory / name)} (FORMAT parquet, COMPRESSION lz4)")
        con.execute(
            "INSERT INTO endpoint_parts VALUES (?, ?, ?, ?, current_timestamp::TIMESTAMP)",
            [name, rows, [c for c, _ in described], [c for c, t in described if t == "VARCHAR[]"]],
        )
    con.execute("DROP TABLE endpoints")


#: version -> migration that brings a catalog from version-1 to version. Add new entries; never edit old ones.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _create_v1,
    2: _v2_endpoints_in_parquet,
}


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'"
    ).fetchall()[0][0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(row[0][0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the catalog to SCHEMA_VERSION in one transaction; return the version found before."""
    found = current_version(con)
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"catalog schema version {found} is newer than this workbench ({SCHEMA_VERSION}); upgrade workbench"
        )
    if found == SCHEMA_VERSION:
        return found
    con.execute("BEGIN TRANSACTION")
    try:
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](con)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return found
