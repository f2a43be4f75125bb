"""Many small event files in one import (Pinpoint's Firehose wrote one per hour): read together in one DuckDB
pass, with the same events, lines and rejects as reading them one at a time."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl

T0 = 1_790_000_000_000  # 2026-09-21, in milliseconds


def _record(i: int, **over) -> dict:
    return {
        "event_type": "app.open" if i % 3 else "_session.start",
        "event_timestamp": T0 + i * 60_000,
        "arrival_timestamp": T0 + i * 60_000 + 500,
        "client": {"client_id": f"ep{i % 7}"},
        "session": {"session_id": f"s{i // 5}"},
        "attributes": {"screen": f"s{i % 4}"},
        "metrics": {"n": float(i)},
        **over,
    }


def _write(folder: Path, hour: int, records: list[dict]) -> Path:
    path = folder / f"2026/09/21/{hour:02d}/stream-1-2026-09-21-{hour:02d}-00-00-{hour:05d}.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    return path


def _log(project) -> pl.DataFrame:
    return project.query(
        "SELECT event_id, event_type, event_timestamp, client_id FROM events ORDER BY event_id"
    )


def test_many_files_in_one_import_give_what_one_file_per_import_gives(tmp_path):
    from workbench import Project

    files = [_write(tmp_path / "in", h, [_record(h * 10 + i) for i in range(10)]) for h in range(12)]
    together = Project.create(tmp_path / "together")
    done = together.events.import_files(*files, progress=False)
    assert (done.events, done.rejected, len(done.files)) == (120, 0, 12)
    apart = Project.create(tmp_path / "apart")
    for f in files:
        apart.events.import_files(f, progress=False)
    assert _log(together).equals(_log(apart))


def test_one_bad_file_among_many_is_read_exactly_and_its_bad_record_named_by_line(tmp_path):
    from workbench import Project

    good = [_write(tmp_path / "in", h, [_record(h * 10 + i) for i in range(5)]) for h in range(4)]
    bad_records = [_record(100), _record(101, event_type=""), _record(102)]
    bad = _write(tmp_path / "in", 9, bad_records)
    project = Project.create(tmp_path / "p")
    done = project.events.import_files(*good, bad, progress=False)
    assert (done.events, done.rejected) == (22, 1)
    rejects = pl.read_csv(done.rejects_file)
    (row,) = rejects.rows(named=True)
    assert row["file"] == str(bad) and row["line"] == 2 and row["field"] == "event_type"
