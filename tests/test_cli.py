"""The CLI contract of ARCHITECTURE.md: commands, --project / WORKBENCH_PROJECT, one JSON object with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import EMAIL_HEADER, email_rows, write_csv


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, env=full_env
    )


def as_json(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # exactly one JSON object


def test_init_import_count_export_events(tmp_path):
    project = tmp_path / "p"
    assert run("init", str(project)).returncode == 0
    assert (project / "workbench.toml").exists()
    src = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(4) + [["x", "FAX", "y", "u", "free", 1]])
    out = as_json(run("import", str(src), "--project", str(project), "--json", "--segment", "wave"))
    assert {"rows", "imported", "updated", "rejected", "rejects_file"} <= set(out)
    assert (out["rows"], out["imported"], out["updated"], out["rejected"]) == (5, 4, 0, 1)
    assert Path(out["rejects_file"]).exists()
    counts = as_json(run("endpoints", "count", "--json", env={"WORKBENCH_PROJECT": str(project)}))
    assert counts == {"endpoints": 4, "active": 4, "users": 4}
    csv_out = tmp_path / "e.csv"
    assert (
        run(
            "endpoints", "export", "--out", str(csv_out), "--project", str(project), "--segment", "wave"
        ).returncode
        == 0
    )
    assert csv_out.read_text().count("\n") == 5
    events = tmp_path / "ev.csv"
    events.write_text(
        "event_type,event_timestamp,client_id\nsignup,2026-10-01T10:00:00Z,e1\nsignup,not-a-date,e2\n"
    )
    got = as_json(run("events", "import", str(events), "--project", str(project), "--json"))
    assert got["events"] == 1 and got["rejected"] == 1


def test_human_output_and_errors(tmp_path):
    project = tmp_path / "p"
    run("init", str(project))
    src = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(2))
    human = run("import", str(src), "--project", str(project))
    assert human.returncode == 0 and "new endpoints" in human.stdout
    missing = run("import", str(tmp_path / "nope.csv"), "--project", str(project), "--json")
    assert missing.returncode == 1 and "nope.csv: file not found" in missing.stderr and missing.stdout == ""
    no_project = run("endpoints", "count", env={"WORKBENCH_PROJECT": ""})
    assert no_project.returncode == 1 and "--project" in no_project.stderr
    not_a_project = run("endpoints", "count", "--project", str(tmp_path))
    assert not_a_project.returncode == 1 and "not a workbench project" in not_a_project.stderr
    strict = write_csv(tmp_path / "s.csv", EMAIL_HEADER, [["z", "EMAIL", "broken", "u", "free", 1]])
    proc = run("import", str(strict), "--strict", "--project", str(project), "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout)["committed"] is False and "strict" in proc.stderr


def test_demo_command(tmp_path):
    out = as_json(
        run("demo", "--project", str(tmp_path / "demo"), "--endpoints", "400", "--no-reports", "--json")
    )
    assert out["endpoints"] > 300 and out["events"] > 1000 and out["rejected"] == 0
    again = as_json(
        run("demo", "--project", str(tmp_path / "demo"), "--endpoints", "400", "--no-reports", "--json")
    )
    assert (again["endpoints"], again["events"]) == (out["endpoints"], out["events"])  # idempotent


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run a command whose stdout is a pipe that nobody reads any more (the reader left before it started)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "workbench.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)


def test_output_into_a_pipe_whose_reader_left_ends_quietly(tmp_path):
    project = tmp_path / "p"
    run("init", str(project))
    for args in (
        ["kpi", "--list", "--json"],
        ["kpi", "--list"],
        ["endpoints", "count", "--project", str(project), "--json"],
        ["segment", "list", "--project", str(project)],
    ):
        proc = run_into_closed_pipe(*args)
        assert (proc.returncode, proc.stderr) == (141, ""), (
            args
        )  # 141: like a shell command killed by SIGPIPE
    helped = run_into_closed_pipe("--help")
    assert (helped.returncode, helped.stderr) == (0, "")


def test_json_piped_into_head_ends_quietly(demo_project_path):
    """``workbench kpi NAME --json | head -c 10``: 400 KB of JSON, of which head reads 10 bytes and leaves."""
    cmd = [sys.executable, "-m", "workbench.cli", "kpi", "daily-active-endpoints", "--json"]
    cmd += ["--project", str(demo_project_path), "--start", "1990-01-01"]
    wb = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    head = subprocess.Popen(["head", "-c", "10"], stdin=wb.stdout, stdout=subprocess.PIPE, text=True)
    wb.stdout.close()  # head is now the only reader
    assert head.communicate(timeout=120)[0] == '{"kpi": "d'
    _, err = wb.communicate(timeout=120)
    assert (wb.returncode, err) == (141, "")
