"""The catalog's DuckDB DDL as numbered migrations: add a new entry for every change, never edit an old one."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from ..errors import ProjectError
from .catalog import transaction
from .schema import ENDPOINT_COLUMNS, quote, sql_string

SCHEMA_VERSION = 4


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
    """Endpoints move from a DuckDB table to Parquet parts (see store/endpoint_parts.py)."""
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


def _v3_templates(con: duckdb.DuckDBPyConnection) -> None:
    """Message templates with versions, like segments (Pinpoint names are unique per template type)."""
    con.execute(
        """CREATE TABLE templates (
            template_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, template_type VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, latest_version INTEGER NOT NULL,
            active_version INTEGER NOT NULL, UNIQUE (name, template_type))"""
    )
    con.execute(
        """CREATE TABLE template_versions (
            template_id VARCHAR NOT NULL, version INTEGER NOT NULL, spec JSON NOT NULL,
            created_at TIMESTAMP NOT NULL, PRIMARY KEY (template_id, version))"""
    )


def _v4_campaigns_journeys(con: duckdb.DuckDBPyConnection) -> None:
    """Campaign and journey definitions with versions (store/definitions.py): Pinpoint's Write*Request JSON."""
    for kind in ("campaign", "journey"):
        con.execute(
            f"""CREATE TABLE {kind}s (
                {kind}_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, state VARCHAR NOT NULL,
                created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, latest_version INTEGER NOT NULL)"""
        )
        con.execute(
            f"""CREATE TABLE {kind}_versions (
                {kind}_id VARCHAR NOT NULL, version INTEGER NOT NULL, spec JSON NOT NULL,
                created_at TIMESTAMP NOT NULL, PRIMARY KEY ({kind}_id, version))"""
        )


#: version -> migration that brings a catalog from version-1 to version. Add new entries; never edit old ones.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _create_v1,
    2: _v2_endpoints_in_parquet,
    3: _v3_templates,
    4: _v4_campaigns_journeys,
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
        raise ProjectError(
            f"catalog schema version {found} is newer than this workbench ({SCHEMA_VERSION}); upgrade workbench"
        )
    if found == SCHEMA_VERSION:
        return found
    with transaction(con):
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](con)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    return found
