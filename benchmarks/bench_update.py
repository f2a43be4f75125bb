"""Re-import (update) 1M existing e-mail endpoints into a 4M-endpoint project, against importing the same file
into an empty project, both as the user runs them: ``workbench import FILE --project P --json``.

Two files: (1) every row's ``Attributes.plan`` changed, (2) the plan and the ``Address`` changed. Each import
runs in its own process; the figures are its wall-clock time and peak RSS (``ru_maxrss`` from ``wait4``), the
medians over ``--repeats`` runs, each update on a fresh copy of the 4M project. Targets: the update at most
2.5x the fresh import's time and at most 1.5x its peak memory.

The project and the files are made in a process of their own (:func:`prepare`): Linux carries a process's peak
RSS over into the children it starts (fork or vfork, then exec), so a benchmark that had built 4M endpoints
itself would report its own peak (about 1 GB) as every import's.

Usage: python benchmarks/bench_update.py [--endpoints N] [--update M] [--repeats R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report

from workbench import Project
from workbench.ingest.upsert import ensure_attribute_columns
from workbench.store import endpoint_parts
from workbench.store.schema import sql_string

CHUNK = 2_000_000

#: four in five endpoints are e-mail ones; two endpoints per user
ENDPOINTS = """
SELECT
  'ep-' || i AS "Id",
  CASE WHEN i % 5 = 4 THEN 'SMS' ELSE 'EMAIL' END AS "ChannelType",
  CASE WHEN i % 5 = 4 THEN printf('+1206%07d', i) ELSE 'person' || i || '@example.com' END AS "Address",
  'ACTIVE' AS "EndpointStatus", 'NONE' AS "OptOut",
  TIMESTAMP '2026-01-01' + INTERVAL 1 MINUTE * (i % 100000) AS "EffectiveDate",
  TIMESTAMP '2025-01-01' + INTERVAL 1 MINUTE * (i % 100000) AS "CreationDate",
  CAST(hash(i) % 100 AS SMALLINT) AS "CohortId",
  ['iOS','Android','Web'][1 + (hash(i * 3) % 3)::INT] AS "Demographic.Platform",
  ['US','DE','GB','FR','BR','IN','JP'][1 + (hash(i * 13) % 7)::INT] AS "Location.Country",
  'user-' || (i // 2) AS "User.UserId",
  ['free', 'pro', 'team'][1 + (hash(i * 17) % 3)::INT] AS "Attributes.plan",
  (hash(i * 23) % 20)::DOUBLE AS "Metrics.purchases"
FROM range({start}, {stop}) t(i)
"""

#: ``update`` e-mail endpoints in a random order, with another plan (and, for the second file, another address)
UPDATE_FILE = """
COPY (
  SELECT Id, ChannelType, {address} AS Address, "Demographic.Platform", "Location.Country", "User.UserId",
         CASE "Attributes.plan"[1] WHEN 'free' THEN 'pro' WHEN 'pro' THEN 'team' ELSE 'free' END
           AS "Attributes.plan",
         "Metrics.purchases"
  FROM endpoints WHERE ChannelType = 'EMAIL' ORDER BY hash(Id) LIMIT {update}
) TO {out} (HEADER, DELIMITER ',')
"""


def build(path: Path, endpoints: int) -> Project:
    """A project of ``endpoints`` generated endpoints, written by the same part writer as an import."""
    project = Project.create(path)
    with project.connect() as con:
        ensure_attribute_columns(
            con, project.path, ["Attributes.plan", "Metrics.purchases"], datetime.now(), "bench"
        )
        for start in range(0, endpoints, CHUNK):
            endpoint_parts.append_query(
                con, project.path, ENDPOINTS.format(start=start, stop=min(start + CHUNK, endpoints))
            )
    return project


def prepare(root: Path, endpoints: int, update: int) -> dict[str, Path]:
    """Build the project (unless ``root`` holds it already) and the two update files; return case -> file."""
    base = root / f"project-{endpoints}"
    if not (base / "ready").exists():
        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        build(base, endpoints)
        (base / "ready").write_text("ok")
        print(f"generated {endpoints:,} endpoints in {time.perf_counter() - started:.1f} s", flush=True)
    project = Project.open(base)
    files = {}
    for case, address in (("plan changed", "Address"), ("plan and address changed", "'new.' || Address")):
        files[case] = root / f"update-{endpoints}-{update}-{len(files)}.csv"
        if not files[case].exists():
            project.query(UPDATE_FILE.format(address=address, update=update, out=sql_string(files[case])))
    return files


def run_import(csv: Path, project: Path) -> tuple[float, float, dict]:
    """``workbench import csv --project project --json`` in a new process: (seconds, peak RSS in MB, its JSON)."""
    command = [str(Path(sys.executable).parent / "workbench"), "import", str(csv), "--project", str(project)]
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*command, "--json"], stdout=subprocess.PIPE, stderr=err)
        out = proc.stdout.read()  # type: ignore[union-attr]
        _, status, usage = os.wait4(
            proc.pid, 0
        )  # this child's own peak RSS (getrusage would give the max of all)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(
                f"{' '.join(command)} failed ({proc.returncode}):\n{err.read().decode()[-3000:]}"
            )
    return seconds, usage.ru_maxrss / 1024, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=4_000_000, help="endpoints in the project")
    parser.add_argument("--update", type=int, default=1_000_000, help="e-mail endpoints in the update file")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the project and files here and keep them")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-update-"))
    root.mkdir(parents=True, exist_ok=True)
    base = root / f"project-{args.endpoints}"
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as apart:
            files = apart.submit(prepare, root, args.endpoints, args.update).result()
        for case, csv in files.items():
            with csv.open("rb") as lines:
                rows = sum(1 for _ in lines) - 1
            times: dict[str, list[float]] = {"update": [], "fresh": []}
            peaks: dict[str, list[float]] = {"update": [], "fresh": []}
            for _ in range(args.repeats):
                target = root / "run-update"
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(base, target)
                seconds, peak, done = run_import(csv, target)
                assert done["updated"] == rows and done["imported"] == 0 and done["rejected"] == 0, done
                times["update"].append(seconds)
                peaks["update"].append(peak)
                fresh = root / "run-fresh"
                shutil.rmtree(fresh, ignore_errors=True)
                Project.create(fresh)
                seconds, peak, done = run_import(csv, fresh)
                assert done["imported"] == rows and done["rejected"] == 0, done
                times["fresh"].append(seconds)
                peaks["fresh"].append(peak)
                shutil.rmtree(target, ignore_errors=True)
                shutil.rmtree(fresh, ignore_errors=True)
            t_update, t_fresh = statistics.median(times["update"]), statistics.median(times["fresh"])
            m_update, m_fresh = statistics.median(peaks["update"]), statistics.median(peaks["fresh"])
            label = f"{rows:,} rows ({case}) into {args.endpoints:,} endpoints"
            report(f"update import, {label}", t_update, "the same file into an empty project", t_fresh, 2.5)
            ratio = m_update / m_fresh
            print(
                f"peak memory, {label}: {m_update:.0f} MB; the same file into an empty project: {m_fresh:.0f} MB; "
                f"ratio {ratio:.2f}x  (target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})",
                flush=True,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
