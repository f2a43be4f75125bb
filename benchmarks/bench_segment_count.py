"""Count a six-dimension segment over 10M endpoints and 50M events, against a hand-written DuckDB query.

The segment (Pinpoint JSON): Attributes.plan, Demographic.Platform, Location.Country, Metrics.purchases,
Location.GPSPoint (500 km of New York) and Behavior.Recency (ACTIVE, DAY_7). The figure is the whole
``Segment.load(...).count()`` call (catalog read, spec check, compile, query); the baseline is the same filter written
by hand, on the same project, run through ``project.query`` in the same process. Target: at most 1.5x.

The data is generated with DuckDB SQL straight into the project's ``endpoints`` table and into Parquet files
under ``events/date=YYYY-MM-DD/`` (the event log's layout), so generation takes a minute, not an hour.

Usage: python benchmarks/bench_segment_count.py [--endpoints N] [--events M] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, report

from workbench import Project
from workbench.ingest.upsert import ensure_attribute_columns
from workbench.segments import Segment
from workbench.store import endpoint_parts, schema

NOW = "2026-10-30T00:00:00"
DAYS = 60
CHUNK = 1_000_000

ENDPOINTS = """
SELECT
  'ep-' || i AS "Id",
  ['EMAIL','SMS','APNS','GCM'][1 + (hash(i) % 4)::INT] AS "ChannelType",
  'person' || i || '@example.com' AS "Address",
  'ACTIVE' AS "EndpointStatus", 'NONE' AS "OptOut",
  ['iOS','Android','Web'][1 + (hash(i * 3) % 3)::INT] AS "Demographic.Platform",
  ['Apple','Samsung','Google'][1 + (hash(i * 29) % 3)::INT] AS "Demographic.Make",
  ['US','DE','GB','FR','BR','IN','JP'][1 + (hash(i * 13) % 7)::INT] AS "Location.Country",
  -60 + (hash(i * 31) % 12000000) / 100000.0 AS "Location.Latitude",
  -170 + (hash(i * 37) % 34000000) / 100000.0 AS "Location.Longitude",
  'user-' || (i // 2) AS "User.UserId",
  CASE hash(i * 17) % 4 WHEN 0 THEN ['pro'] WHEN 1 THEN ['free'] WHEN 2 THEN ['enterprise', 'pro'] ELSE [] END
    AS "Attributes.plan",
  (hash(i * 23) % 20)::DOUBLE AS "Metrics.purchases"
FROM range({start}, {stop}) t(i)
"""

EVENTS = """
COPY (
  SELECT
    'ev-' || i AS event_id,
    ['_session.start','_session.stop','product.view','cart.add','_monetization.purchase'][1 + (hash(i * 7) % 5)::INT]
      AS event_type,
    TIMESTAMP '{now}' - INTERVAL 1 SECOND * (hash(i * 11) % ({days} * 86400)) AS event_timestamp,
    'ep-' || (hash(i * 3) % {n}) AS client_id,
    {nulls},
    CAST(event_timestamp AS DATE) AS date
  FROM range({start}, {stop}) t(i)
) TO '{out}' (FORMAT PARQUET, PARTITION_BY (date), COMPRESSION zstd, APPEND true, FILENAME_PATTERN 'part-{{uuid}}')
"""

SPEC = {
    "Name": "six-dimensions",
    "Dimensions": {
        "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro", "enterprise"]}},
        "Demographic": {"Platform": {"DimensionType": "INCLUSIVE", "Values": ["iOS", "Android"]}},
        "Location": {
            "Country": {"DimensionType": "INCLUSIVE", "Values": ["US", "DE", "GB"]},
            "GPSPoint": {
                "Coordinates": {"Latitude": 40.7128, "Longitude": -74.006},
                "RangeInKilometers": 3000,
            },
        },
        "Metrics": {"purchases": {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": 5}},
        "Behavior": {"Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"}},
    },
}

#: The same filter as a person would write it against the stored tables.
HAND_WRITTEN = """
SELECT count(*) AS endpoints, count(DISTINCT "User.UserId") AS users FROM endpoints
WHERE list_has_any("Attributes.plan", ['pro', 'enterprise'])
  AND "Demographic.Platform" IN ('iOS', 'Android')
  AND "Location.Country" IN ('US', 'DE', 'GB')
  AND "Metrics.purchases" >= 5
  AND "Location.Latitude" BETWEEN 40.7128 - 27 AND 40.7128 + 27
  AND 2 * 6371.0088 * asin(sqrt(sin(radians("Location.Latitude" - 40.7128) / 2) ^ 2
      + cos(radians(40.7128)) * cos(radians("Location.Latitude")) * sin(radians("Location.Longitude" + 74.006) / 2) ^ 2))
      <= 3000
  AND "Id" IN (SELECT client_id FROM events
               WHERE event_type IN ('_session.start', '_session.stop', '_session.pause', '_session.resume')
                 AND event_timestamp > TIMESTAMP '{now}' - INTERVAL 7 DAY AND event_timestamp <= TIMESTAMP '{now}'
                 AND date >= DATE '{now}' - INTERVAL 7 DAY)
"""


def build(root: Path, endpoints: int, events: int) -> Project:
    """A project with ``endpoints`` endpoints and ``events`` events, generated in SQL."""
    project = Project.create(root / "project")
    with project.connect() as con:
        ensure_attribute_columns(
            con, project.path, ["Attributes.plan", "Metrics.purchases"], datetime.now(), "bench"
        )
        # in chunks of 2M (one stored part each), through the same writer as an import
        for start in range(0, endpoints, 2 * CHUNK):
            endpoint_parts.append_query(
                con, project.path, ENDPOINTS.format(start=start, stop=min(start + 2 * CHUNK, endpoints))
            )
    nulls = ", ".join(
        f"CAST(NULL AS {t}) AS {name}"
        for name, t in schema.EVENT_COLUMNS.items()
        if name not in ("event_id", "event_type", "event_timestamp", "client_id")
    )
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET memory_limit = '4GB'")
        for start in range(0, events, 5 * CHUNK):
            stop = min(start + 5 * CHUNK, events)
            con.execute(
                EVENTS.format(
                    now=NOW,
                    days=DAYS,
                    n=endpoints,
                    start=start,
                    stop=stop,
                    nulls=nulls,
                    out=project.events_dir,
                )
            )
    finally:
        con.close()
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000_000)
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the data here and keep it (reused when it exists)")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-segment-"))
    try:
        if (root / "project" / "workbench.toml").exists():
            project = Project.open(root / "project")
        else:
            start = time.perf_counter()
            project = build(root, args.endpoints, args.events)
            print(f"generated {args.endpoints:,} endpoints and {args.events:,} events in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        Segment.from_json(project, SPEC, now=NOW).save("six-dimensions")
        hand = HAND_WRITTEN.format(now=NOW)
        # what `workbench segment count six-dimensions` does: load the saved spec, check, compile, count
        count = lambda: Segment.load(project, "six-dimensions", now=NOW).count()  # noqa: E731
        project.query(hand)  # warm the file cache for both
        count()
        baseline, expected = best_of(lambda: project.query(hand), args.repeats)
        seconds, counts = best_of(count, args.repeats)
        assert counts.endpoints == expected.item(0, "endpoints"), (counts, expected)
        assert counts.users == expected.item(0, "users"), (counts, expected)
        print(f"segment: {counts.endpoints:,} endpoints, {counts.users:,} users", flush=True)
        report(
            f"segment count, 6 dimensions, {args.endpoints:,} endpoints / {args.events:,} events",
            seconds,
            "hand-written DuckDB query",
            baseline,
            target=1.5,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
