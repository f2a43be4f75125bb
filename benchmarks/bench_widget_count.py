"""The SegmentBuilder's live count on 1M endpoints: seconds per change (target: under 0.3 s).

Drives the widget from Python (debounce 0, so each change counts synchronously) through a typical editing
session: add a condition, change its values, add a metric, switch ALL/ANY, add recency, remove one. Each
change's figure is the whole refresh (count, users and a 10-row sample). The baseline is a hand-written
count of the final condition through ``project.query``, in the same process.

Usage: python benchmarks/bench_widget_count.py [--endpoints N] [--events M]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, report
from bench_segment_count import NOW, build

from workbench import Project
from workbench.widgets import SegmentBuilder

HAND_WRITTEN = """
SELECT count(*), count(DISTINCT "User.UserId") FROM endpoints
WHERE list_has_any("Attributes.plan", ['pro', 'enterprise']) AND "Metrics.purchases" >= 5
  AND "Id" IN (SELECT client_id FROM events
               WHERE event_type IN ('_session.start', '_session.stop', '_session.pause', '_session.resume')
                 AND event_timestamp > TIMESTAMP '{now}' - INTERVAL 7 DAY AND event_timestamp <= TIMESTAMP '{now}'
                 AND date >= DATE '{now}' - INTERVAL 7 DAY)
"""


def session(builder: SegmentBuilder) -> list[tuple[str, float]]:
    """One editing session; returns (what changed, seconds) per change."""
    timings: list[tuple[str, float]] = []

    def step(label: str, action) -> None:
        start = time.perf_counter()
        action()
        timings.append((label, time.perf_counter() - start))

    rows: dict[str, object] = {}
    step(
        "add plan = pro",
        lambda: rows.setdefault("plan", builder.add_condition("Attributes.plan", "has any of", "pro")),
    )
    step("plan = pro, enterprise", lambda: setattr(rows["plan"].values, "value", "pro, enterprise"))
    step(
        "add purchases >= 5",
        lambda: rows.setdefault("buys", builder.add_condition("Metrics.purchases", ">=", "5")),
    )
    step("switch to ANY", lambda: setattr(builder.combine, "value", "ANY"))
    step("switch to ALL", lambda: setattr(builder.combine, "value", "ALL"))
    step(
        "add active DAY_7",
        lambda: builder.add_condition("Behavior.Recency (app sessions)", "ACTIVE", "DAY_7"),
    )
    step(
        "add country US",
        lambda: rows.setdefault("country", builder.add_condition("Location.Country", "is one of", "US")),
    )
    step("remove country", lambda: rows["country"].remove_button.click())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--keep", type=Path, help="build the data here and keep it (reused when it exists)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-widget-"))
    try:
        if (root / "project" / "workbench.toml").exists():
            project = Project.open(root / "project")
        else:
            project = build(root, args.endpoints, args.events)
        start = time.perf_counter()
        builder = SegmentBuilder(project, now=NOW, debounce=0)
        print(f"widget opened (fields, first count) in {time.perf_counter() - start:.3f} s", flush=True)
        timings = session(builder)
        for label, seconds in timings:
            print(f"  {label:<24} {seconds:.3f} s  -> {builder.counts.endpoints:,} endpoints" if label == timings[-1][0]
                  else f"  {label:<24} {seconds:.3f} s", flush=True)  # fmt: skip
        per_change = statistics.median(s for _, s in timings)
        worst = max(s for _, s in timings)
        baseline, expected = best_of(lambda: project.query(HAND_WRITTEN.format(now=NOW)), 5)
        assert builder.counts.endpoints == expected.item(0, 0), (builder.counts, expected)
        print(f"worst change: {worst:.3f} s", flush=True)
        report(
            f"widget live count per change (median), {args.endpoints:,} endpoints",
            per_change,
            "hand-written count of the final condition",
            baseline,
        )
        print(f"target: under 0.3 s per change: {'met' if worst < 0.3 else 'MISSED'} (worst {worst:.3f} s)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
