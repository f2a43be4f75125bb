"""The read and check stages of an endpoint import, each timed against polars.read_csv of the same file.

The import of a 1M-endpoint Pinpoint CSV may take at most 3x ``polars.read_csv``; the write side (Parquet)
takes about 1x, which leaves reading and every check together at most 2x. This times those stages, with the
write side left out:

    read_input  read the file, its SHA-256, UTF-8 check, format sniff                      (source.py)
    read_csv    Polars' parse of the file (every cell as text), the staged columns          (readers.py)
    validate    trimming, enumerations, addresses (e-mail, phones -> E.164), dates, numbers,
                attribute limits, duplicate Ids                                            (validate.py)

and a few sub-steps for orientation. Medians of a few repeats, all in one process (the machine is shared:
compare the ratios, not the seconds, and rerun when they jump). The phone library's cache is cleared before
every repeat, so repeats cost what a first import costs.

Usage: python benchmarks/bench_import_stages.py [--endpoints N] [--repeats N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of, report

from workbench.demo import generate_demo_files
from workbench.ingest import phones, readers, source
from workbench.ingest.validate import validate

TARGET = 2.0  # read + checks, in units of polars.read_csv (the import as a whole: 3x)


def demo_csv(directory: Path, endpoints: int) -> Path:
    """The demo endpoints CSV (generated once, then reused)."""
    path = directory / "endpoints.csv"
    if not path.exists():
        started = time.perf_counter()
        generate_demo_files(directory, endpoints=endpoints, seed=1, events=False)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "wbstage" / "files")
    parser.add_argument(
        "--no-substeps", action="store_true", help="only the three stages (e.g. on older code)"
    )
    args = parser.parse_args()
    path = demo_csv(args.dir, args.endpoints)
    print(f"{path}: {path.stat().st_size / 1e6:.0f} MB; {pl.thread_pool_size()} Polars threads")

    def baseline() -> int:
        return pl.read_csv(path).height

    def fresh_validate(frame: pl.DataFrame):
        phones.normalise_one.cache_clear()
        return validate(frame, None)

    baseline()  # warm the file cache
    text = source.read_input(path)
    staged = readers.read_csv(text)
    # as import_endpoint_files hands it over: an __order column added
    frame = staged.frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order"))
    valid, rejects = fresh_validate(frame)
    print(
        f"{frame.height:,} rows staged ({frame.width} columns), {valid.height:,} valid, {rejects.height:,} "
        f"rejected; attribute columns: "
        + ", ".join(
            f"{c} {frame.schema[c]}" for c in frame.columns if c.startswith(("Attributes.", "User.UserA"))
        )
    )

    # The stages interleaved with the baseline, repeat by repeat, so that a burst of load elsewhere on the
    # machine hits both sides of a ratio alike.
    times: dict[str, list[float]] = {"baseline": [], "read_input": [], "read_csv": [], "validate": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}  # CPU seconds of all threads
    opened: list[source.InputText] = []

    def open_input() -> None:
        opened.append(source.read_input(path))

    def parse() -> None:
        readers.read_csv(opened[-1])

    for _ in range(args.repeats):
        for name, fn in (
            ("baseline", baseline),
            ("read_input", open_input),
            ("read_csv", parse),
            ("validate", lambda: fresh_validate(frame)),
        ):
            started = time.process_time()
            seconds, _ = best_of(fn, 1)
            cpu[name].append(time.process_time() - started)
            times[name].append(seconds)
    base = statistics.median(times["baseline"])
    totals = [sum(times[s][i] for s in ("read_input", "read_csv", "validate")) for i in range(args.repeats)]
    ratios = [t / b for t, b in zip(totals, times["baseline"], strict=True)]
    print(f"polars.read_csv: {base:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times['baseline'])})")
    for name in ("read_input", "read_csv", "validate"):
        median = statistics.median(times[name])
        print(
            f"  {name:<10} {median:.3f} s  {median / base:.2f}x   (runs: {', '.join(f'{t:.3f}' for t in times[name])})"
        )
    print(f"  ratio per repeat: {', '.join(f'{r:.2f}' for r in ratios)}")
    cpu_total = statistics.median(
        sum(cpu[s][i] for s in ("read_input", "read_csv", "validate")) for i in range(args.repeats)
    )
    cpu_base = statistics.median(cpu["baseline"])
    print(
        f"  CPU time (all threads): {cpu_total:.3f} s against {cpu_base:.3f} s, {cpu_total / cpu_base:.2f}x"
    )
    report(
        "read + checks (read_input + read_csv + validate)",
        statistics.median(totals),
        "polars.read_csv",
        base,
        TARGET,
    )

    if args.no_substeps:
        return
    # sub-steps, for orientation (each on its own: the stages overlap some of them in threads)
    data = text.data
    names = [f"c{i}" for i in range(data[: data.find(b"\n")].count(b",") + 1)]
    steps = {
        "SHA-256 of the file": lambda: hashlib.sha256(data).hexdigest(),
        "read_input: UTF-8 check": lambda: source.utf8_valid(data),
        "read_csv: Polars parse": lambda: readers._parse(data, names),
        "validate: phone numbers": lambda: (
            phones.normalise_one.cache_clear(),
            phones.normalise_phones(
                frame.get_column("Address").filter(frame.get_column("ChannelType").is_in(["SMS", "VOICE"])),
                frame.get_column("Location.Country").filter(
                    frame.get_column("ChannelType").is_in(["SMS", "VOICE"])
                ),
            ),
        ),
    }
    print("sub-steps:")
    for name, fn in steps.items():
        seconds, _ = best_of(fn, args.repeats)
        print(f"  {name:<30} {seconds:.3f} s  {seconds / base:.2f}x")


if __name__ == "__main__":
    main()
