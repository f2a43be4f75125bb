"""Shared helpers for benchmarks: timing with repeats, and a fixed output format."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int = 5) -> tuple[float, object]:
    """Run ``fn`` ``repeats`` times; return (median seconds, last result). Machines here are shared and noisy."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def report(
    name: str, seconds: float, baseline_name: str, baseline: float, target: float | None = None
) -> None:
    ratio = seconds / baseline if baseline else float("inf")
    verdict = (
        ""
        if target is None
        else ("  (target <= {:.1f}x: {})".format(target, "met" if ratio <= target else "MISSED"))
    )
    print(
        f"{name}: {seconds:.3f} s; {baseline_name}: {baseline:.3f} s; ratio {ratio:.2f}x{verdict}", flush=True
    )


def interleaved(ours: Callable[[], object], baseline: Callable[[], object], repeats: int = 7):
    """Median seconds of ``ours`` and of ``baseline`` run alternately (after one warm-up each), so that slow
    spells of a shared machine hit both sides alike. Returns (ours s, baseline s, last result of ours)."""
    result = ours()
    baseline()
    times_ours, times_base = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = ours()
        times_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        baseline()
        times_base.append(time.perf_counter() - start)
    return statistics.median(times_ours), statistics.median(times_base), result
