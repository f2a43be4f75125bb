"""Simulating the README's journey (e-mail, Wait P1D, e-mail) hour by hour over 90 days, against counting its
entry segment.

Two runs: over an empty segment (nobody ever enters) and over every endpoint (all enter on the first step, move
on a day later, then nothing happens). A simulation runs only the steps where something can happen and reads a
segment whose members do not depend on the clock once, so both take a few steps' work, not 2,161 steps' (before
that: 0.1 s to 0.2 s per step, 7.5 minutes for the empty segment). The project: ``--endpoints`` generated e-mail
endpoints (bench_journey_tick.build), with segments "entry" (everyone) and "nobody".

The baseline is ``Segment.load(project, "entry").count()`` (what ``workbench segment count entry`` does).

Usage: python benchmarks/bench_journey_simulate.py [--endpoints N] [--days D] [--repeats R]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, report
from bench_journey_tick import build

from workbench.journeys.simulate import simulate
from workbench.journeys.spec import Journey
from workbench.segments import Segment

START = datetime(2026, 8, 1, tzinfo=UTC)


def readme_journey(segment: str) -> Journey:
    """The README's example journey, entering the members of ``segment``."""
    request = {
        "Name": f"readme-{segment}",
        "StartCondition": {"SegmentStartCondition": {"SegmentId": segment}},
        "StartActivity": "s1",
        "Activities": {
            "s1": {"EMAIL": {"TemplateName": "welcome", "NextActivity": "w"}},
            "w": {"Wait": {"WaitTime": {"WaitFor": "P1D"}, "NextActivity": "s2"}},
            "s2": {"EMAIL": {"TemplateName": "welcome"}},
        },
        "Schedule": {
            "StartTime": "2026-08-01T00:00:00Z",
            "EndTime": "2027-01-01T00:00:00Z",
            "Timezone": "UTC",
        },
    }
    return dataclasses.replace(Journey.from_json(request), journey_id=f"readme-{segment}", state="ACTIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-simulate-"))
    try:
        project = build(root, args.endpoints)
        nobody = {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["zzz"]}}}
        Segment.from_json(project, {"Dimensions": nobody}).save("nobody")
        end = START + timedelta(days=args.days)
        count = lambda: Segment.load(project, "entry").count()  # noqa: E731
        baseline, counted = best_of(count, args.repeats)
        assert counted.endpoints == args.endpoints
        steps = args.days * 24 + 1
        for segment, entered in (("nobody", 0), ("entry", args.endpoints)):
            journey = readme_journey(segment)
            run = lambda j=journey: simulate(project, j, start=START, end=end)  # noqa: E731
            seconds, sim = best_of(run, args.repeats)
            assert sim.metrics["ENDPOINT_ENTERED"] == entered, sim.metrics  # type: ignore[attr-defined]
            report(
                f"journey simulate, README journey over {segment!r} ({entered:,} enter), {steps:,} hourly steps",
                seconds,
                "segment count of the entry segment",
                baseline,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
