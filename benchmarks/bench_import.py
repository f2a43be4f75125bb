"""The import as a user waits for it: the whole ``workbench import FILE --project P --json`` command (a new
process, start-up included) of a 1M-endpoint Pinpoint CSV, against a process that runs ``polars.read_csv`` on
the same file (and, for orientation, one that also writes the frame as Parquet). Interleaved, the median of
``--repeats`` runs each; every import goes into a fresh, empty project made beforehand (creating one is not
part of an import).

Also prints the CPU time (user + sys, all threads) of both processes: on a 2-core machine the command can be
at most 3x the ``read_csv`` process only if it needs less than 2 x 3 = 6 times that process's wall time in CPU,
whatever overlaps what (docs/internals.md, "The endpoint import"). And, for orientation, the in-process figure
(``project.endpoints.import_files`` against ``pl.read_csv`` in this process) and the command's stage timings.

Usage: python benchmarks/bench_import.py [--endpoints N] [--repeats N] [--dir DIR] [--no-in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, report

TARGET = 3.0  # the whole command, in units of the read_csv process


def _command() -> list[str]:
    """The ``workbench`` command of this interpreter's environment (``python -m workbench.cli`` without one)."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]


def demo_csv(directory: Path, endpoints: int) -> Path:
    """The demo endpoints CSV of ``endpoints`` endpoints (generated once into ``directory``, then reused)."""
    from workbench.demo import generate_demo_files

    marker = directory / f"endpoints-{endpoints}.done"
    path = directory / "endpoints.csv"
    if not marker.exists():
        started = time.perf_counter()
        generate_demo_files(directory, endpoints=endpoints, seed=1, events=False)
        marker.write_text("")
        print(f"generated {path} in {time.perf_counter() - started:.1f} s")
    return path


def _children_cpu() -> float:
    """CPU seconds (user + sys) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], cpu: list[float] | None = None) -> tuple[float, str]:
    """Wall seconds and stdout of one process; its CPU seconds are appended to ``cpu``."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if cpu is not None:
        cpu.append(_children_cpu() - cpu_before)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated file here between runs")
    parser.add_argument("--no-in-process", action="store_true", help="only the whole-command figure")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wb-bench-import-"))
    try:
        csv = demo_csv(args.dir or root / "files", args.endpoints)
        rows = csv.read_bytes().count(b"\n") - 1
        print(f"{csv}: {rows:,} CSV rows, {csv.stat().st_size / 1e6:.0f} MB")

        from workbench import Project

        # every run imports into a fresh, empty project, made beforehand
        projects = [Project.create(root / f"p{i}").path for i in range(2 * args.repeats + 2)]
        command = _command()
        baseline_argv = [sys.executable, "-c", f"import polars; polars.read_csv({str(csv)!r})"]
        # for orientation: the least a tool that stores what it reads must do (parse, then write Parquet)
        stored = root / "read_csv.parquet"
        store_argv = [
            sys.executable,
            "-c",
            f"import polars; polars.read_csv({str(csv)!r}).write_parquet({str(stored)!r})",
        ]
        outputs: list[str] = []

        def whole_command() -> None:
            seconds, out = _timed(
                [*command, "import", str(csv), "--project", str(projects.pop()), "--json"], cpu_command
            )
            outputs.append(out)
            times_command.append(seconds)

        def read_csv_process() -> None:
            times_base.append(_timed(baseline_argv, cpu_base)[0])

        def read_and_store_process() -> None:
            times_store.append(_timed(store_argv)[0])

        times_command: list[float] = []
        times_base: list[float] = []
        times_store: list[float] = []
        cpu_command: list[float] = []
        cpu_base: list[float] = []
        # a warm-up run of each: the file and the interpreter in the page cache
        whole_command()
        read_csv_process()
        read_and_store_process()
        for measured in (times_command, times_base, times_store, cpu_command, cpu_base):
            measured.clear()
        for _ in range(args.repeats):
            whole_command()
            read_csv_process()
            read_and_store_process()
        start_argv = [*command, "--help"]
        t_start = statistics.median(_timed(start_argv)[0] for _ in range(3))
        last = json.loads(outputs[-1])
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in last.get("timings", {}).items())
        print(
            f"imported {last['imported']:,} endpoints, rejected {last['rejected']:,}; last run inside: "
            f"{last['seconds']:.2f} s ({stages}); `workbench --help` alone: {t_start:.2f} s"
        )
        print(f"  command runs: {', '.join(f'{t:.2f}' for t in times_command)}")
        print(f"  read_csv process runs: {', '.join(f'{t:.2f}' for t in times_base)}")
        print(
            f"  for orientation, a process that runs read_csv then write_parquet: "
            f"{', '.join(f'{t:.2f}' for t in times_store)}; the command is "
            f"{statistics.median(times_command) / statistics.median(times_store):.2f}x of it"
        )
        cores = os.cpu_count() or 1
        budget = cores * TARGET * statistics.median(times_base)
        print(
            f"  CPU time (user + sys): command {statistics.median(cpu_command):.2f} s, read_csv process "
            f"{statistics.median(cpu_base):.2f} s ({statistics.median(cpu_command) / statistics.median(cpu_base):.2f}x); "
            f"at the target the command has at most {cores} cores x {TARGET:g} x the read_csv process's wall time = "
            f"{budget:.2f} CPU-s (a bound only on a quiet machine: load stretches the wall time)"
        )
        report(
            "workbench import (whole command)",
            statistics.median(times_command),
            "polars.read_csv process",
            statistics.median(times_base),
            target=TARGET,
        )
        if args.no_in_process:
            return

        import polars as pl

        fresh = iter([Project.create(root / f"q{i}") for i in range(args.repeats + 1)])

        def ours():
            return next(fresh).endpoints.import_files(csv, progress=False)

        t_ours, t_base, result = interleaved(ours, lambda: pl.read_csv(csv).height, args.repeats)
        print("  in process, last run: " + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
        report("import in process", t_ours, "polars.read_csv in process", t_base)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
