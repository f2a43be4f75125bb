"""Synthetic project for the reporting benchmarks, built directly with DuckDB SQL (fast at 10M events).

Endpoints go into the project's ``endpoints`` table; events are written as Parquet in the event log layout
``events/date=YYYY-MM-DD/part-*.parquet`` with the column types of ``workbench.store.event_log.ARROW_SCHEMA``.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from workbench import Project
from workbench.store import endpoint_parts
from workbench.store.schema import EVENT_COLUMNS

END = date(2026, 10, 29)
DAYS = 30
# event mix: share of events per type (cumulative thresholds over 0..999)
MIX = [
    ("_session.start", 200),
    ("_session.stop", 350),
    ("product.view", 650),
    ("cart.add", 800),
    ("checkout.start", 880),
    ("_monetization.purchase", 920),
    ("search", 970),
    ("_userauth.sign_in", 1000),
]


def build(root: Path, endpoints: int, events: int) -> Project:
    """Create (or reuse, when already built at this size) a project under ``root``."""
    path = root / f"bench-{endpoints}-{events}"
    if (path / "ready").exists():
        return Project.open(path)
    t0 = time.perf_counter()
    project = Project.create(path, exist_ok=True)
    with project.connect() as con:
        endpoint_parts.append_query(
            con,
            project.path,
            f"""SELECT printf('ep-%08d', i) AS Id, 'EMAIL' AS ChannelType, printf('u%d@example.com', i) AS Address,
                       'ACTIVE' AS EndpointStatus, 'NONE' AS OptOut, CAST(i % 100 AS SMALLINT) AS CohortId,
                       ['iOS', 'Android', 'Web'][i % 3 + 1] AS "Demographic.Platform",
                       ['1.0', '1.1', '2.0'][i % 3 + 1] AS "Demographic.AppVersion",
                       ['US', 'GB', 'DE', 'FR', 'IN'][i % 5 + 1] AS "Location.Country",
                       printf('user-%08d', i) AS "User.UserId"
                FROM range({endpoints}) t(i)""",
        )
    case = " ".join(f"WHEN k < {hi} THEN '{name}'" for name, hi in MIX)
    start_ms = int((END - timedelta(days=DAYS - 1)).strftime("%s")) * 1000
    span = DAYS * 86_400_000
    cols = {
        "event_id": "printf('ev-%010d', i)",
        "event_type": f"CASE {case} END",
        "event_timestamp": "ts",
        "arrival_timestamp": "ts",
        "event_version": "'3.1'",
        "client_id": "printf('ep-%08d', c)",
        "user_id": "NULL",
        "session_id": "printf('s-%08d-%d', c, CAST(epoch(ts) / 86400 AS INTEGER))",
        "session_start_timestamp": "NULL",
        "session_stop_timestamp": "NULL",
        "attributes": "CASE WHEN k >= 880 AND k < 920 THEN MAP {'_product_id': printf('sku-%d', i % 50), "
        "'_currency': 'USD'} ELSE MAP {} END",
        "metrics": "CASE WHEN k >= 880 AND k < 920 THEN MAP {'_item_price': CAST(i % 97 AS DOUBLE) + 0.99, "
        "'_quantity': CAST(i % 3 + 1 AS DOUBLE)} ELSE MAP {} END",
        "extra": "NULL",
    }
    select = []
    for name, sqltype in EVENT_COLUMNS.items():
        expr = cols.get(name, "NULL")
        typ = "TIMESTAMP_MS" if sqltype == "TIMESTAMP" else sqltype
        select.append(f"CAST({expr} AS {typ}) AS {name}")
    con = duckdb.connect()
    out = str(project.events_dir).replace("'", "''")
    con.execute(
        f"""COPY (
              WITH raw AS (
                SELECT i, (hash(i) % 1000) AS k, (hash(i * 31 + 7) % {endpoints}) AS c,
                       make_timestamp_ms(CAST({start_ms} + hash(i * 17 + 3) % {span} AS BIGINT)) AS ts
                FROM range({events}) t(i)
              )
              SELECT {", ".join(select)}, CAST(ts AS DATE) AS date FROM raw
            ) TO '{out}' (FORMAT parquet, PARTITION_BY (date), FILENAME_PATTERN 'part-{{i}}',
                          COMPRESSION zstd, OVERWRITE_OR_IGNORE true)"""
    )
    con.close()
    (path / "ready").write_text("ok")
    print(
        f"built {endpoints:,} endpoints and {events:,} events in {time.perf_counter() - t0:.1f} s at {path}"
    )
    return project
