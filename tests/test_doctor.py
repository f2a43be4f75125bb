"""``workbench doctor``: finds what is wrong with a project, and ``--fix`` removes the leftovers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench.cli import main


@pytest.fixture
def filled(project, tmp_path):
    """A project with endpoints, events and a saved segment."""
    from workbench.segments import attribute

    project.endpoints.import_files(
        write_csv(tmp_path / "e.csv", EMAIL_HEADER, email_rows(20)), progress=False
    )
    project.events.record(
        [
            {"event_type": "buy", "event_timestamp": 1727740800000 + i * 3_600_000, "client_id": f"e{i}"}
            for i in range(30)
        ]
    )
    project.segments.create("pro", attribute("plan").any_of("pro"))
    return project


def doctor(project, capsys, *extra: str) -> tuple[int, dict]:
    code = main(["doctor", "--project", str(project.path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def dead_tag() -> str:
    from workbench.store import leftovers

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return leftovers.owner_tag().replace(f"p{os.getpid()}", f"p{proc.pid}")


def test_a_healthy_project_has_no_problems(filled, capsys):
    code, report = doctor(filled, capsys)
    assert code == 0 and report == {"ok": True, "problems": [], "fixed": []}
    assert main(["doctor", "--project", str(filled.path)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_leftovers_are_found_and_fix_removes_them(filled, capsys):
    old = time.time() - 3600
    orphan = filled.path / "endpoints" / "part-20240101T000000-deadbeef00.parquet"
    orphan.write_bytes(b"PAR1")
    os.utime(orphan, (old, old))
    young = filled.path / "endpoints" / "part-20990101T000000-0000000000.parquet"
    young.write_bytes(b"PAR1")  # may be a write in progress: not a problem yet
    tag = dead_tag()
    copy = filled.imports_dir / f".events-{tag}-abc.jsonl.partial"
    copy.write_bytes(b"{}" * 1000)
    temp = filled.events_dir / "date=2024-10-01" / f".part-x-{tag}-n1.parquet.9.partial"
    temp.write_bytes(b"half")
    code, report = doctor(filled, capsys)
    assert code == 1 and report["ok"] is False and report["fixed"] == []
    found = {p["path"]: p for p in report["problems"]}
    assert set(found) == {str(orphan), str(copy), str(temp)}
    assert all(p["fixable"] for p in found.values())
    assert found[str(orphan)]["check"] == "endpoints" and found[str(copy)]["check"] == "imports"
    code, report = doctor(filled, capsys, "--fix")
    assert code == 0 and report["ok"] is True and sorted(report["fixed"]) == sorted(found)
    assert not orphan.exists() and not copy.exists() and not temp.exists() and young.exists()
    assert doctor(filled, capsys)[0] == 0
    assert filled.segments.count("pro").endpoints == 10


def test_a_missing_or_broken_part_is_a_problem_fix_cannot_remove(filled, capsys):
    part = next((filled.path / "endpoints").glob("part-*.parquet"))
    part.write_bytes(b"not parquet")
    (event_file,) = list(filled.events_dir.rglob("*.parquet"))[:1]
    event_file.write_bytes(b"garbage")
    code, report = doctor(filled, capsys, "--fix")
    assert code == 1 and report["fixed"] == []
    checks = {(p["check"], p["path"]) for p in report["problems"]}
    assert ("endpoints", str(part)) in checks and ("events", str(event_file)) in checks
    part.unlink()
    code, report = doctor(filled, capsys)
    assert any("missing" in p["problem"] and p["path"] == str(part) for p in report["problems"])


def test_a_saved_segment_that_does_not_count_is_named(filled, capsys):
    with filled.transaction() as con:
        con.execute(
            "UPDATE segment_versions SET spec = ? WHERE segment_id = (SELECT segment_id FROM segments WHERE name = 'pro')",
            [
                json.dumps(
                    {"Dimensions": {"Behavior": {"Events": [{"EventType": "x", "Within": {"Days": 1e308}}]}}}
                )
            ],
        )
    code, report = doctor(filled, capsys)
    assert code == 1
    (problem,) = report["problems"]
    assert problem["check"] == "segments" and problem["path"] == "pro" and "Within" in problem["problem"]


def test_a_catalog_that_does_not_open_is_reported_not_a_traceback(filled, capsys):
    filled.catalog_path.write_bytes(b"this is not a database" * 100)
    for wal in filled.path.glob("catalog.duckdb.wal"):
        wal.unlink()
    code, report = doctor(filled, capsys)
    assert code == 1 and report["problems"][0]["check"] == "catalog"
