"""Import a 1M-endpoint Pinpoint CSV with all checks, against polars.read_csv of the same file in the same run.

Usage: python benchmarks/bench_import.py [--endpoints N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, report

from workbench import Project
from workbench.demo import generate_demo_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wb-bench-import-"))
    try:
        started = time.perf_counter()
        files = generate_demo_files(root / "files", endpoints=args.endpoints, seed=1, events=False)
        csv = files.endpoints_csv
        rows = csv.read_bytes().count(b"\n") - 1
        print(
            f"generated {rows:,} CSV rows ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )

        def baseline():
            return pl.read_csv(csv).height

        # each run imports into a fresh, empty project, made beforehand: creating one (~0.05 s: the folder,
        # the catalog, its migrations) is not part of an import
        projects = iter([Project.create(root / f"p{i}") for i in range(args.repeats + 1)])

        def ours():
            return next(projects).endpoints.import_files(csv, progress=False)

        t_ours, t_base, result = interleaved(ours, baseline, args.repeats)
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        print(f"imported {result.imported:,} endpoints, rejected {result.rejected:,}; last run: {stages}")
        report("import with all checks", t_ours, "polars.read_csv", t_base, target=3.0)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
