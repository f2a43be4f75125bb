"""A 4-step funnel with a 7-day window over N events from M endpoints, against one full distinct-count scan.

Prints the funnel's time and its ratio to ``SELECT count(DISTINCT client_id) FROM events`` measured in the same
run (target: at most 3x). Default 10M events from 1M endpoints; ``--events``/``--endpoints`` to run smaller.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import interleaved
from _reporting_data import DAYS, END, build

from workbench.analytics import funnel

STEPS = ["product.view", "cart.add", "checkout.start", "_monetization.purchase"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--endpoints", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    args = ap.parse_args()
    project = build(args.data, args.endpoints, args.events)
    start = END.replace(day=END.day - DAYS + 1) if END.day >= DAYS else None
    with project.reading() as con:
        took, scan, result = interleaved(
            lambda: funnel(project, STEPS, start, END, window="7d"),
            lambda: con.sql("SELECT count(DISTINCT client_id) FROM events").fetchall(),
            args.runs,
        )
    counts = " -> ".join(f"{c:,}" for c in result.table["count"])
    print(f"funnel over {args.events:,} events / {args.endpoints:,} endpoints: {counts}")
    print(f"full scan count(distinct client_id): {scan:.3f} s")
    print(f"4-step funnel, 7-day window:         {took:.3f} s  ratio {took / scan:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
