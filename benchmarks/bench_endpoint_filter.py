"""Count endpoints matching five conditions over 10M stored endpoints, against a hand-written query on a flat table.

The stored layout (one column per attribute, lists for Attributes/UserAttributes) must not cost speed: the
baseline is the same filter over a plain table whose attributes are ordinary scalar columns, in its own DuckDB
file, opened and closed the same way. Usage: python benchmarks/bench_endpoint_filter.py [--endpoints N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, report

from workbench import Project
from workbench.ingest.upsert import ensure_attribute_columns
from workbench.store import endpoint_parts

GENERATE = """
SELECT
  'ep-' || i AS "Id",
  ['EMAIL','SMS','APNS','GCM'][1 + (hash(i) % 4)::INT] AS "ChannelType",
  'person' || i || '@example.com' AS "Address",
  CASE WHEN hash(i * 7) % 50 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END AS "EndpointStatus",
  CASE WHEN hash(i * 11) % 40 = 0 THEN 'ALL' ELSE 'NONE' END AS "OptOut",
  ['ios','android','web'][1 + (hash(i * 3) % 3)::INT] AS "Demographic.Platform",
  ['3.0.0','3.1.0','3.2.0','3.2.1'][1 + (hash(i * 5) % 4)::INT] AS "Demographic.AppVersion",
  ['US','DE','GB','FR','BR','IN','JP'][1 + (hash(i * 13) % 7)::INT] AS "Location.Country",
  'user-' || (i // 2) AS "User.UserId",
  ['free','pro','enterprise'][1 + (hash(i * 17) % 3)::INT] AS plan,
  ['organic','ads','referral'][1 + (hash(i * 19) % 3)::INT] AS source,
  (hash(i * 23) % 20)::DOUBLE AS purchases
FROM range({start}, {stop}) t(i)
"""

WHERE_STORED = (
    "list_contains(\"Attributes.plan\", 'pro') AND \"Demographic.Platform\" IN ('ios', 'android') "
    "AND \"Location.Country\" IN ('US', 'DE') AND \"Metrics.purchases\" >= 5 "
    "AND NOT list_contains(\"Attributes.source\", 'ads')"
)
WHERE_FLAT = (
    "plan = 'pro' AND platform IN ('ios', 'android') AND country IN ('US', 'DE') AND purchases >= 5 "
    "AND source <> 'ads'"
)


def build(root: Path, n: int) -> tuple[Project, Path]:
    project = Project.create(root / "project")
    with project.connect() as con:
        ensure_attribute_columns(
            con,
            project.path,
            ["Attributes.plan", "Attributes.source", "Metrics.purchases"],
            datetime.now(),
            "bench",
        )
        # through the same writer as an import, in parts of 2M endpoints
        for start in range(0, n, 2_000_000):
            endpoint_parts.append_query(
                con,
                project.path,
                'SELECT * EXCLUDE (plan, source, purchases), [plan] AS "Attributes.plan", '
                '[source] AS "Attributes.source", purchases AS "Metrics.purchases" FROM ('
                + GENERATE.format(start=start, stop=min(n, start + 2_000_000))
                + ")",
            )
    flat = root / "flat.duckdb"
    con = duckdb.connect(str(flat))
    con.execute(
        'CREATE TABLE flat AS SELECT "Id" AS id, "EndpointStatus" AS status, "Demographic.Platform" AS platform, '
        '"Location.Country" AS country, "User.UserId" AS user_id, plan, source, purchases FROM ('
        + GENERATE.format(start=0, stop=n)
        + ")"
    )
    con.close()
    return project, flat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wb-bench-filter-"))
    try:
        project, flat = build(root, args.endpoints)

        def ours():
            counts = project.endpoints.count(where=WHERE_STORED)
            return (counts.endpoints, counts.active, counts.users)

        def baseline():
            con = duckdb.connect(str(flat), read_only=True)
            try:
                return con.execute(
                    "SELECT count(*), count(*) FILTER (WHERE status = 'ACTIVE'), count(DISTINCT user_id) "
                    f"FROM flat WHERE {WHERE_FLAT}"
                ).fetchall()[0]
            finally:
                con.close()

        n_base = baseline()
        t_ours, t_base, n_ours = interleaved(ours, baseline, args.repeats)
        assert n_ours == n_base, (n_ours, n_base)
        print(
            f"{args.endpoints:,} endpoints; {n_ours[0]:,} match five conditions ({n_ours[1]:,} active, {n_ours[2]:,} users)"
        )
        report(
            "count over stored endpoints", t_ours, "hand-written query on a flat table", t_base, target=1.5
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
