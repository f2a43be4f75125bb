"""Simulating the README's journey (e-mail, Wait P1D, e-mail) hour by hour over 90 days, against counting its
entry segment.

Three runs: over an empty segment (nobody ever enters) and over every endpoint (all enter on the first step, move
on a day later, then nothing happens). A simulation runs only the steps where something can happen and reads a
segment whose members do not depend on the clock once, so both take a few steps' work, not 2,161 steps' (before
that: 0.1 s to 0.2 s per step, 7.5 minutes for the empty segment). The third is a welcome journey started by a
sign-up event (e-mail, a 50/50 random split, a second e-mail for one branch, a one-hour wait) with one sign-up
for every tenth endpoint, spread over the 90 days: it has work at about as many steps as there are sign-up
hours. The project: ``--endpoints`` generated e-mail endpoints (bench_journey_tick.build), with segments
"entry" (everyone) and "nobody", and the sign-up events.

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


def welcome_journey() -> Journey:
    """A welcome journey entered by each ``_userauth.sign_up`` event (the browser test's journey)."""
    request = {
        "Name": "welcome",
        "StartCondition": {
            "EventStartCondition": {
                "EventFilter": {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {
                        "EventType": {"DimensionType": "INCLUSIVE", "Values": ["_userauth.sign_up"]}
                    },
                }
            }
        },
        "StartActivity": "welcome",
        "Activities": {
            "welcome": {"EMAIL": {"TemplateName": "welcome", "NextActivity": "split"}},
            "split": {
                "RandomSplit": {
                    "Branches": [
                        {"Percentage": 50, "NextActivity": "nudge"},
                        {"Percentage": 50, "NextActivity": "end"},
                    ]
                }
            },
            "nudge": {"EMAIL": {"TemplateName": "welcome", "NextActivity": "end"}},
            "end": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}}},
        },
    }
    return dataclasses.replace(Journey.from_json(request), journey_id="welcome", state="ACTIVE")


def sign_ups(endpoints: int, days: int) -> list[dict]:
    """One sign-up event for every tenth endpoint, at hours spread over ``days`` (a fixed pseudo-random order)."""
    hours = days * 24
    return [
        {
            "event_type": "_userauth.sign_up",
            "event_timestamp": (
                START + timedelta(hours=(i // 10 * 7919) % hours, minutes=i % 60)
            ).isoformat(),
            "client": {"client_id": f"ep-{i}"},
            "event_id": f"signup-{i}",
        }
        for i in range(0, endpoints, 10)
    ]


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
        events = sign_ups(args.endpoints, args.days)
        project.events.record(events)
        run = lambda: simulate(project, welcome_journey(), start=START, end=end)  # noqa: E731
        seconds, sim = best_of(run, args.repeats)
        assert sim.metrics["ENDPOINT_ENTERED"] == len(events), sim.metrics  # type: ignore[attr-defined]
        hours = len({e["event_timestamp"][:13] for e in events})
        report(
            f"journey simulate, welcome journey on sign-up ({len(events):,} enter in {hours:,} hours), "
            f"{steps:,} hourly steps",
            seconds,
            "segment count of the entry segment",
            baseline,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
