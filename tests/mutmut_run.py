"""``make mutate``: mutmut 3.3.1's mutants, run without ``fork``.

Why not ``mutmut run``: it runs the tests in its own process and then forks one child per mutant. Polars' and
DuckDB's thread pools do not survive a fork, so every child hangs until its timeout (measured: all of them). This
script keeps mutmut's parts (mutant generation with its trampolines, its stats file, its ``.meta`` result files,
so ``mutmut results`` and ``mutmut show NAME`` work afterwards) and replaces the run loop: a few long-lived worker
processes (started fresh, never forked) each run ``pytest.main`` once per mutant, with ``MUTANT_UNDER_TEST``
naming it, on only the tests that call the mutated function. Settings: the ``[mutmut]`` section of setup.cfg.

    python tests/mutmut_run.py [--jobs 2] [--timeout 120] [GLOB ...]   # e.g. 'workbench.ingest.export.*'
    python tests/mutmut_run.py --reuse-stats --tests tests/test_x.py::test_y NAME   # a new test against one mutant
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each mutated module's own rules files: with --own-tests a mutant runs these (whole files, stopping at the first
# failure) instead of every test the map says calls its function. 5-10 times faster (no survivor runs ~100 import
# tests), and what docs/quality.md's module passes measured.
OWN_TESTS = {
    "workbench.ingest.validate": ["tests/test_rules_validate.py", "tests/test_rules_import.py"],
    "workbench.ingest.upsert": ["tests/test_rules_upsert.py", "tests/test_rules_import.py"],
    "workbench.ingest.event_records": ["tests/test_rules_event_records.py", "tests/test_rules_events.py"],
    "workbench.ingest.export": ["tests/test_rules_export.py", "tests/test_export.py"],
    "workbench.segments._tree": ["tests/test_rules_segment_tree.py", "tests/test_rules_segments.py"],
    "workbench.segments._sql": ["tests/test_rules_segment_compilers.py", "tests/test_rules_segments.py"],
    "workbench.segments._polars": ["tests/test_rules_segment_compilers.py", "tests/test_rules_segments.py"],
    "workbench.segments._json_read": ["tests/test_rules_segment_json.py"],
    "workbench.analytics.usage": [
        "tests/test_rules_usage.py",
        "tests/test_rules_usage_filters.py",
        "tests/test_analytics_known_answers.py",
    ],
    "workbench.analytics.revenue": [
        "tests/test_rules_revenue.py",
        "tests/test_rules_usage.py",
        "tests/test_analytics_known_answers.py",
    ],
    "workbench.analytics.retention": ["tests/test_rules_retention.py", "tests/test_rules_usage.py"],
    "workbench.analytics.funnels": [
        "tests/test_rules_funnel_paths.py",
        "tests/test_rules_funnels.py",
        "tests/test_rules_funnel_output.py",
    ],
}

# A test slower than this is left out of the per-mutant runs: the slow ones start a subprocess (a CLI run, a
# killed import), where the mutant is not active anyway, or fuzz at length; each would cost every survivor that long.
SLOW_TEST_SECONDS = 5.0
EXIT = {0: "survived", 1: "killed", 33: "no tests", 36: "timeout", None: "not checked"}


class _Timeout(BaseException):
    """Raised by the alarm inside a test run that takes too long (a mutant that loops)."""


def _mutmut():
    import mutmut
    import mutmut.__main__ as mm

    mm.ensure_config_loaded()
    return mutmut, mm


def _pytest(args: list[str], plugins=()) -> int:
    import pytest

    return int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir=.", *args],
                           plugins=list(plugins)))  # fmt: skip


def _enter_mutants() -> None:
    """Import ``workbench`` from mutants/ (never the original) and run from there, as mutmut does."""
    here = str(ROOT / "mutants")
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT]
    sys.path.insert(0, here)
    os.chdir(here)


def stats() -> int:
    """Worker: run the selected tests once, recording which mutated functions each test calls."""
    mutmut, mm = _mutmut()
    _enter_mutants()
    os.environ["MUTANT_UNDER_TEST"] = "stats"

    class Collector:
        def pytest_runtest_teardown(self, item, nextitem):
            for function in mutmut._stats:
                mutmut.tests_by_mangled_function_name[function].add(item.nodeid)
            mutmut._stats.clear()

        def pytest_runtest_makereport(self, item, call):
            mutmut.duration_by_test[item.nodeid] = mutmut.duration_by_test.get(item.nodeid, 0) + call.duration

    start = time.monotonic()
    code = _pytest(list(mutmut.config.tests_dir), [Collector()])
    mutmut.stats_time = time.monotonic() - start
    os.chdir(ROOT)
    mm.save_stats()
    return code


def worker(jobs_file: str, out_file: str, timeout: int) -> int:
    """Worker: run each mutant of ``jobs_file`` (one JSON [name, tests] a line), appending [name, exit code]."""
    _mutmut()
    _enter_mutants()

    def alarm(signum, frame):
        raise _Timeout

    signal.signal(signal.SIGALRM, alarm)
    jobs = [json.loads(line) for line in Path(jobs_file).read_text().splitlines() if line]
    # Import (collect) the test modules once without a mutant: pytest keeps them imported between runs, and a
    # module imported under a mutant would keep what it computed then (parametrize ids, cases) for every run.
    os.environ["MUTANT_UNDER_TEST"] = ""
    files = sorted({test.split("::")[0] for _, tests in jobs for test in tests})
    if files and _pytest(["--collect-only", *files]) != 0:
        return 1
    with open(out_file, "a", encoding="utf-8") as out:
        for name, tests in jobs:
            os.environ["MUTANT_UNDER_TEST"] = name
            signal.alarm(timeout)
            try:
                code = _pytest(tests)
                if code == 4:  # a test id not found: the mutant changed parametrize ids; run whole functions
                    code = _pytest(sorted({test.split("[")[0] for test in tests}))
                code = 0 if code == 0 else 1 if code in (1, 3) else code  # 2, 4: reported as "other"
            except _Timeout:
                code = 36
            finally:
                signal.alarm(0)
            out.write(json.dumps([name, code]) + "\n")
            out.flush()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("globs", nargs="*", help="mutant names (fnmatch), e.g. 'workbench.ingest.export.*'")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per mutant")
    parser.add_argument("--max-minutes", type=float, default=0, help="stop after this long (0: run them all)")
    parser.add_argument("--worker", nargs=2, metavar=("JOBS", "OUT"))
    parser.add_argument("--stats", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", action="store_true", help="only print the results of the last run")
    parser.add_argument(
        "--reuse-stats", action="store_true", help="keep the test-to-function map of a last run"
    )
    parser.add_argument(
        "--only-unchecked",
        action="store_true",
        help="with GLOBs: skip the mutants an earlier run decided (as a run without GLOBs does)",
    )
    parser.add_argument(
        "--own-tests",
        action="store_true",
        help="run each mutant against its module's own rules files (OWN_TESTS) instead of the mapped tests",
    )
    parser.add_argument(
        "--tests",
        action="append",
        metavar="TEST",
        help="run these tests (ids or files) against each selected mutant instead of the mapped ones: checks a new "
        "test against named mutants without collecting the map again (repeat for more tests)",
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    if args.stats:
        return stats()
    if args.worker:
        return worker(*args.worker, args.timeout)

    mutmut, mm = _mutmut()
    if args.report:
        return report(mm.collect_source_file_mutation_data(mutant_names=args.globs)[1])
    os.environ["MUTANT_UNDER_TEST"] = "mutant_generation"
    Path("mutants").mkdir(exist_ok=True)
    earlier = _results_so_far()
    mm.copy_src_dir()
    mm.create_mutants(args.jobs)
    _keep_results(earlier)
    mm.copy_also_copy_files()
    me = [sys.executable, str(Path(__file__).resolve())]
    env = dict(os.environ, MUTANT_UNDER_TEST="")
    if not args.reuse_stats:
        Path("mutants/mutmut-stats.json").unlink(missing_ok=True)
    if not mm.load_stats():
        print("collecting which tests call which functions (one run of the selected tests)", flush=True)
        if subprocess.run([*me, "--stats"], env=env).returncode != 0:
            print("the tests fail without mutants: fix them first", file=sys.stderr)
            return 1
        mm.load_stats()

    mutants, by_path = mm.collect_source_file_mutation_data(mutant_names=args.globs)
    todo: list[tuple[str, list[str]]] = []
    for m, name, result in mutants:
        if result is not None and (not args.globs or args.only_unchecked):
            continue  # already decided in an earlier run (rm -rf mutants to start again)
        own = OWN_TESTS.get(name.rpartition(".")[0]) if args.own_tests else None
        tests = (
            args.tests
            or own
            or [
                test
                for test in mutmut.tests_by_mangled_function_name.get(
                    mm.mangled_name_from_mutant_name(name), []
                )
                if mutmut.duration_by_test.get(test, 0) <= SLOW_TEST_SECONDS
            ]
        )
        if tests:
            todo.append((name, sorted(tests, key=lambda t: mutmut.duration_by_test.get(t, 0))))
        else:
            m.exit_code_by_key[name] = 33
    work = (ROOT / "mutants" / "run").resolve()
    work.mkdir(exist_ok=True)
    procs = []
    for k in range(args.jobs):
        share = todo[k :: args.jobs]
        (work / f"jobs-{k}.jsonl").write_text("".join(json.dumps(j) + "\n" for j in share))
        (work / f"out-{k}.jsonl").write_text("")
        cmd = [
            *me,
            "--timeout",
            str(args.timeout),
            "--worker",
            str(work / f"jobs-{k}.jsonl"),
            str(work / f"out-{k}.jsonl"),
        ]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    print(f"{len(todo)} mutants to run on {args.jobs} workers", flush=True)
    start = time.monotonic()
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(10)
            done = sum(len((work / f"out-{k}.jsonl").read_text().splitlines()) for k in range(args.jobs))
            print(f"  {done}/{len(todo)} in {time.monotonic() - start:.0f} s", flush=True)
            if args.max_minutes and time.monotonic() - start > 60 * args.max_minutes:
                print(f"stopping after {args.max_minutes} minutes; the rest stays 'not checked'", flush=True)
                break
    except KeyboardInterrupt:
        print("interrupted: keeping the results so far", flush=True)
    for p in procs:
        if p.poll() is None:
            p.terminate()
            p.wait()

    owner = {name: m for m, name, _ in mutants}
    for k in range(args.jobs):
        for line in (work / f"out-{k}.jsonl").read_text().splitlines():
            name, code = json.loads(line)
            owner[name].exit_code_by_key[name] = code
    for m in by_path.values():
        m.save()
    SOURCES.write_text(json.dumps({str(p): _digest(p) for p in by_path}, indent=0))
    return report(by_path)


SOURCES = ROOT / "mutants" / "run" / "sources.json"  # each mutated file's SHA-256 when its results were saved


def _digest(path: str | Path) -> str:
    import hashlib

    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def _results_so_far() -> dict[str, dict[str, int | None]]:
    """The saved results of every mutated file whose source has not changed since they were saved."""
    try:
        digests = json.loads(SOURCES.read_text())
    except (OSError, ValueError):
        return {}
    kept = {}
    for path, digest in digests.items():
        meta = ROOT / "mutants" / (path + ".meta")
        if (ROOT / path).exists() and meta.exists() and _digest(path) == digest:
            kept[path] = json.loads(meta.read_text())["exit_code_by_key"]
    return kept


def _keep_results(earlier: dict[str, dict[str, int | None]]) -> None:
    """Give back the results that mutmut 3.3.1 forgets: it regenerates every file's mutants on each run (the
    same names for an unchanged file), so without this a run of one module would drop every other's results."""
    for path, codes in earlier.items():
        meta = ROOT / "mutants" / (path + ".meta")
        data = json.loads(meta.read_text())
        # (every result of a file mutmut just regenerated is None: the earlier one, where there is one)
        data["exit_code_by_key"] = {name: codes.get(name) for name in data["exit_code_by_key"]}
        meta.write_text(json.dumps(data))


def report(by_path) -> int:
    """Per module: killed, survived, timeout, no tests, and the score; then every surviving mutant."""
    print(
        f"\n{'module':45} {'mutants':>7} {'killed':>7} {'timeout':>7} {'survived':>8} {'no tests':>8} "
        f"{'unchecked':>9} {'score':>6}"
    )
    survivors = []
    for path, m in sorted(by_path.items()):
        counts = defaultdict(int)
        for name, code in m.exit_code_by_key.items():
            counts[EXIT.get(code, "other")] += 1
            if code == 0:
                survivors.append(name)
        tested = counts["killed"] + counts["timeout"] + counts["survived"]
        score = f"{(counts['killed'] + counts['timeout']) / tested:.0%}" if tested else "-"
        print(f"{path:45} {len(m.exit_code_by_key):7} {counts['killed']:7} {counts['timeout']:7} "
              f"{counts['survived']:8} {counts['no tests']:8} {counts['not checked']:9} {score:>6}")  # fmt: skip
    print("\nsurviving mutants (the changed lines; `mutmut show NAME` prints the whole diff):")
    bodies: dict[str, dict[str, list[str]]] = {}
    for name in survivors:
        print("  " + name)
        module, _, function = name.rpartition(".")
        path = ROOT / "mutants" / (module.replace(".", "/") + ".py")
        if str(path) not in bodies:
            bodies[str(path)] = _function_bodies(path)
        functions = bodies[str(path)]
        original = functions.get(function.split("__mutmut_")[0] + "__mutmut_orig")
        if original is None or function not in functions:
            print("      (no diff: a method or a file changed since; `mutmut show NAME`)")
            continue
        for line in difflib.unified_diff(original, functions[function], lineterm="", n=0):
            if line[:1] in "-+" and line[:3] not in ("---", "+++"):
                print("      " + line.strip()[:150])
    return 0


def _function_bodies(path: Path) -> dict[str, list[str]]:
    """The body lines of each top-level function of a mutated file, parsed once (mutmut's own diff re-parses the
    whole file per mutant: minutes for a module with a thousand mutants)."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError):
        return {}
    lines = text.splitlines()
    return {n.name: lines[n.lineno : n.end_lineno] for n in tree.body if isinstance(n, ast.FunctionDef)}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
