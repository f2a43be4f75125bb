"""A 4-step funnel with a 7-day window over N events from M endpoints, against one full distinct-count scan.

Prints the funnel's time and its ratio to ``SELECT count(DISTINCT client_id) FROM events`` measured in the same
run (target: at most 3x). Default 10M events from 1M endpoints; ``--events``/``--endpoints`` to run smaller.
``--ab`` also times the funnel with each of its speed paths switched off (``workbench.analytics.funnels``: the
keys sorted by Polars, :func:`_keyed_stream`, and the walk in parts, :func:`_parts`), all interleaved, and
prints what each path gains.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved
from _reporting_data import DAYS, END, build

from workbench.analytics import funnel, funnels

STEPS = ["product.view", "cart.add", "checkout.start", "_monetization.purchase"]

# each speed path switched off: the module attribute and its stand-in
WITHOUT = {
    "keys sorted by Polars": ("_keyed", lambda *args, **kw: False),  # DuckDB sorts instead
    "walk in parts": ("_PART_ROWS", 2**62),  # one part
}


@contextmanager
def without(name: str | None):
    """The funnel with the speed path ``name`` switched off (None: as shipped)."""
    if name is None:
        yield
        return
    attr, stand_in = WITHOUT[name]
    saved = getattr(funnels, attr)
    setattr(funnels, attr, stand_in)
    try:
        yield
    finally:
        setattr(funnels, attr, saved)


def ab(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, taken in turn (the order reversed every other round) after one warm-up."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():
        fn()
    for i in range(repeats):
        for name in list(runs) if i % 2 == 0 else list(runs)[::-1]:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--endpoints", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    ap.add_argument("--ab", action="store_true", help="also time the funnel without each speed path")
    args = ap.parse_args()
    project = build(args.data, args.endpoints, args.events)
    start = END.replace(day=END.day - DAYS + 1) if END.day >= DAYS else None

    def run(off: str | None = None):
        with without(off):
            return funnel(project, STEPS, start, END, window="7d")

    with project.reading() as con:

        def scan():
            return con.sql("SELECT count(DISTINCT client_id) FROM events").fetchall()

        if args.ab:
            result = run()
            timed = ab({"scan": scan, "funnel": run} | {n: (lambda n=n: run(n)) for n in WITHOUT}, args.runs)
            took, scan_s = timed["funnel"], timed["scan"]
        else:
            took, scan_s, result = interleaved(run, scan, args.runs)
    counts = " -> ".join(f"{c:,}" for c in result.table["count"])
    print(f"funnel over {args.events:,} events / {args.endpoints:,} endpoints: {counts}")
    print(f"full scan count(distinct client_id): {scan_s:.3f} s")
    print(f"4-step funnel, 7-day window:         {took:.3f} s  ratio {took / scan_s:.2f}x (target <= 3x)")
    if args.ab:
        for name in WITHOUT:
            t = timed[name]
            print(
                f"  without the {name + ':':23s} {t:.3f} s  ratio {t / scan_s:.2f}x "
                f"(the path saves {1 - took / t:.0%} of it)"
            )


if __name__ == "__main__":
    main()
