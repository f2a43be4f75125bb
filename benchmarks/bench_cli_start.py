"""How long a ``workbench`` command takes to start, as a user waits for it (process start included).

Times, as subprocesses: ``workbench --help``, ``workbench endpoints count --project P --json`` and
``workbench segment list --project P`` on a tiny project (the work itself is a few milliseconds there, so the
figure is the start: interpreter, argument parsing, and the imports the command needs), and the parsing of
the ``endpoints count`` command line alone, up to where its handler begins. The baseline is a bare
``python -c pass`` process, run alternately with them in the same script. Two reference processes: one that
imports DuckDB alone (what a command that reads the catalog cannot avoid; ``endpoints count`` is also printed
as a ratio to it), and one that imports Polars, DuckDB and PyArrow (what such a command would pay if it
imported the write side of the store too). ``endpoints count`` on the tiny project is the figure for "any
command's start". Targets (issue 10): ``--help`` under 0.15 s, every command's start under 0.25 s.

Usage: python benchmarks/bench_cli_start.py [--runs N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workbench import Project
from workbench.demo import generate_demo_files

#: A process that parses a command line as ``workbench`` does and stops where the handler would begin.
PARSE_ONLY = "import sys; from workbench.cli import build_parser; build_parser().parse_args(sys.argv[1:])"
#: What a command that reads the catalog cannot avoid importing.
FLOOR = "import duckdb"
#: What the store's write side (Parquet parts, the event log) and Polars frames add to it.
DATA_LIBRARIES = "import polars, duckdb, pyarrow"


def workbench_command() -> list[str]:
    """The ``workbench`` console script beside this interpreter, else ``python -m workbench.cli``."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]


def tiny_project(folder: Path) -> Path:
    """A project with 200 generated endpoints and one imported segment."""
    files = generate_demo_files(folder / "files", endpoints=200, events=False)
    project = Project.create(folder / "project")
    project.endpoints.import_files(files.endpoints_csv, segment="first-wave", progress=False)
    return project.path


def run(cmd: list[str]) -> float:
    """Seconds one subprocess takes; it must succeed."""
    start = time.perf_counter()
    subprocess.run(
        cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "WORKBENCH_NO_PROGRESS": "1"}
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (median; default 11)")
    parser.add_argument("--dir", type=Path, help="keep the tiny project in a new folder under DIR")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.dir:
            args.dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=args.dir)) if args.dir else Path(tmp)
        path = str(tiny_project(folder))
        wb = workbench_command()
        baseline = [sys.executable, "-c", "pass"]
        count = ["endpoints", "count", "--project", path, "--json"]
        commands = {
            "workbench --help": (wb + ["--help"], 0.15),
            "workbench endpoints count, parsing up to its handler": (
                [sys.executable, "-c", PARSE_ONLY, *count],
                0.25,
            ),
            "workbench endpoints count --json": (wb + count, 0.25),
            "workbench segment list": (wb + ["segment", "list", "--project", path], 0.25),
            "(reference) python -c 'import duckdb'": ([sys.executable, "-c", FLOOR], None),
            "(reference) python -c 'import polars, duckdb, pyarrow'": (
                [sys.executable, "-c", DATA_LIBRARIES],
                None,
            ),
        }
        for cmd, _ in commands.values():  # warm the file cache
            run(cmd)
        times: dict[str, list[float]] = {name: [] for name in [*commands, "baseline"]}
        # alternate the commands, so that slow spells of a shared machine hit every one of them alike
        for _ in range(args.runs):
            times["baseline"].append(run(baseline))
            for name, (cmd, _) in commands.items():
                times[name].append(run(cmd))

    base = statistics.median(times["baseline"])
    print(f"median of {args.runs} runs; baseline python -c pass: {base:.3f} s")
    for name, (_, target) in commands.items():
        seconds = statistics.median(times[name])
        verdict = ""
        if target is not None:
            verdict = f"  (target < {target:.2f} s: {'met' if seconds < target else 'MISSED'})"
        print(f"{name}: {seconds:.3f} s; python -c pass: {base:.3f} s; ratio {seconds / base:.2f}x{verdict}")
    count_s = statistics.median(times["workbench endpoints count --json"])
    duckdb_s = statistics.median(times["(reference) python -c 'import duckdb'"])
    print(
        f"workbench endpoints count --json: {count_s:.3f} s; python -c 'import duckdb': {duckdb_s:.3f} s; "
        f"ratio {count_s / duckdb_s:.2f}x"
    )


if __name__ == "__main__":
    main()
