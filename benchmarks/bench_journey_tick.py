"""A journey tick advancing 1M participants one step, against counting the journey's entry segment.

The journey: segment entry (RefreshFrequency P1D, so the measured tick does not re-read the segment), a Wait of
one hour, then a 50/50 RandomSplit into two Waits of a day. A first tick (not timed) enters every participant
into the Wait; the timed tick, one hour later, moves all of them out of the Wait, through the RandomSplit and into
a branch: the whole ``tick_journey`` call (read the participants file, advance column-wise, write the tick's
counts and the participants file atomically). The participants file is put back before each repeat. A message
step is not measured here: its cost is the send loop's (bench_send.py).

The baseline is ``Segment.load(project, "entry").count()`` on the same project (what ``workbench segment count
entry`` does). Target: at most 5x.

Usage: python benchmarks/bench_journey_tick.py [--participants N] [--repeats R]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, report

from workbench import Project
from workbench.ingest.upsert import ensure_attribute_columns
from workbench.journeys.engine import tick_journey
from workbench.journeys.spec import Journey
from workbench.segments import Segment
from workbench.store import endpoint_parts

T0 = datetime(2026, 11, 2, 12, tzinfo=UTC)
CHUNK = 2_000_000

ENDPOINTS = """
SELECT
  'ep-' || i AS "Id",
  'EMAIL' AS "ChannelType",
  'person' || i || '@example.com' AS "Address",
  'ACTIVE' AS "EndpointStatus", 'NONE' AS "OptOut",
  'user-' || i AS "User.UserId",
  CASE i % 3 WHEN 0 THEN ['pro'] WHEN 1 THEN ['free'] ELSE ['team'] END AS "Attributes.plan"
FROM range({start}, {stop}) t(i)
"""

ENTRY = {
    "Dimensions": {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro", "free", "team"]}}}
}

JOURNEY = {
    "Name": "bench",
    "StartCondition": {"SegmentStartCondition": {"SegmentId": "entry"}},
    "RefreshFrequency": "P1D",
    "StartActivity": "hold",
    "Activities": {
        "hold": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}, "NextActivity": "split"}},
        "split": {
            "RandomSplit": {
                "Branches": [
                    {"Percentage": 50, "NextActivity": "left"},
                    {"Percentage": 50, "NextActivity": "right"},
                ]
            }
        },
        "left": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
        "right": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
    },
}


def build(root: Path, n: int) -> Project:
    """A project with ``n`` e-mail endpoints (one user each), generated in SQL, and the entry segment."""
    project = Project.create(root / "project")
    with project.connect() as con:
        ensure_attribute_columns(con, project.path, ["Attributes.plan"], datetime.now(), "bench")
        for start in range(0, n, CHUNK):
            endpoint_parts.append_query(
                con, project.path, ENDPOINTS.format(start=start, stop=min(start + CHUNK, n))
            )
    Segment.from_json(project, ENTRY).save("entry")
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-journey-"))
    try:
        started = time.perf_counter()
        project = build(root, args.participants)
        journey = dataclasses.replace(Journey.from_json(JOURNEY), journey_id="bench", state="ACTIVE")
        first = tick_journey(project, journey, now=T0)
        assert first.entered == args.participants, first.to_dict()
        print(
            f"generated {args.participants:,} endpoints and entered them in {time.perf_counter() - started:.1f} s"
        )
        state = project.path / "journeys" / "bench"
        saved = root / "saved"
        shutil.copytree(state, saved)

        def restore() -> None:
            shutil.rmtree(state)
            shutil.copytree(saved, state)

        results = []

        def advance():
            result = tick_journey(project, journey, now=T0 + timedelta(hours=1))
            results.append(result)
            return result

        def timed_advance():
            restore()
            return advance()

        # restoring the files is not the tick's work: time the tick alone, restoring between repeats
        times = []
        for _ in range(args.repeats):
            restore()
            start = time.perf_counter()
            result = advance()
            times.append(time.perf_counter() - start)
            assert result.advanced == 2 * args.participants, result.to_dict()
        times.sort()
        seconds = times[len(times) // 2]
        branches = results[-1].counts["split"]
        count = lambda: Segment.load(project, "entry").count()  # noqa: E731
        count()
        baseline, counted = best_of(count, args.repeats)
        assert counted.endpoints == args.participants
        print(f"split: Branch_1 {branches['Branch_1']:,}, Branch_2 {branches['Branch_2']:,}")
        report(
            f"journey tick, {args.participants:,} participants Wait -> RandomSplit -> Wait",
            seconds,
            "segment count of the entry segment",
            baseline,
            target=5.0,
        )
        del timed_advance
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
