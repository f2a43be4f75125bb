"""Every dashboard as a user waits for it: the whole ``workbench dashboard NAME --out FILE --json`` command (a new
process, start-up included) on 1M endpoints and 10M events, against one process that scans the whole event log
once (count, distinct endpoints, distinct event types, first and last time).

Target: every dashboard within 5x that one-scan process. Interleaved (each dashboard, then the one-scan
process), the median of ``--repeats`` runs each, so that slow spells of a shared machine hit both sides alike.

Usage: python benchmarks/bench_dashboards.py [--endpoints N] [--events N] [--repeats N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import report
from _reporting_data import build

TARGET = 5.0  # each dashboard command, in units of the one-scan process

ONE_SCAN = """
import sys, duckdb
files = sys.argv[1] + "/events/**/*.parquet"
print(duckdb.sql(
    "SELECT count(*), count(DISTINCT client_id), count(DISTINCT event_type), min(event_timestamp), "
    "max(event_timestamp) FROM read_parquet(?)", params=[files]).fetchall())
"""


def _command() -> list[str]:
    """The ``workbench`` command of this interpreter's environment (``python -m workbench.cli`` without one)."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]


def _timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    from workbench.dashboards import dashboard_names

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="these dashboards only")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    args = parser.parse_args()
    project = build(args.data, args.endpoints, args.events)
    names = args.only or dashboard_names()
    out = Path(tempfile.mkdtemp(prefix="wb-bench-dash-"))
    one_scan = [sys.executable, "-c", ONE_SCAN, str(project.path)]
    print(f"{args.endpoints:,} endpoints / {args.events:,} events; {len(names)} dashboards")
    ratios = {}
    for name in names:
        argv = [
            *_command(),
            "dashboard",
            name,
            "--project",
            str(project.path),
            "--out",
            str(out / f"{name}.html"),
            "--json",
        ]
        _timed(argv), _timed(one_scan)  # a warm-up of each: files and interpreter in the page cache
        ours, base = [], []
        for _ in range(args.repeats):
            ours.append(_timed(argv))
            base.append(_timed(one_scan))
        seconds, baseline = statistics.median(ours), statistics.median(base)
        ratios[name] = seconds / baseline
        report(f"dashboard {name} (whole command)", seconds, "one-scan process", baseline, target=TARGET)
    worst = max(ratios, key=ratios.get)
    print(
        f"worst: {worst} {ratios[worst]:.2f}x (target <= {TARGET:.0f}x: {'met' if ratios[worst] <= TARGET else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
