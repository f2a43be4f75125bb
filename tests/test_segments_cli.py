"""``workbench segment ...`` through a real subprocess, as a user runs it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import polars as pl

SPEC = {
    "Name": "ios-pro",
    "Dimensions": {
        "Demographic": {"Platform": {"DimensionType": "INCLUSIVE", "Values": ["iOS"]}},
        "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro", "enterprise"]}},
        "Behavior": {"Recency": {"Duration": "DAY_30", "RecencyType": "ACTIVE"}},
    },
}


def run(project, *args, env=None):
    full_env = {**os.environ, "WORKBENCH_NOW": "2026-10-30T00:00:00Z", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args, "--project", str(project.path)],
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
    )


def run_json(project, *args):
    done = run(project, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_create_count_list_show_export(demo_project_copy, tmp_path):
    project = demo_project_copy
    spec = tmp_path / "ios-pro.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    assert run_json(project, "segment", "create", "ios-pro", "--spec", str(spec))["version"] == 1
    second = run_json(project, "segment", "create", "ios-pro", "--spec", str(spec))
    assert {k: second[k] for k in ("segment", "version")} == {"segment": "ios-pro", "version": 2}

    counted = run_json(project, "segment", "count", "ios-pro")
    assert set(counted) >= {"segment", "version", "endpoints", "users"} and counted["version"] == 2
    from workbench.segments import Segment

    expected = Segment.load(project, "ios-pro", now="2026-10-30T00:00:00Z").count()
    assert (counted["endpoints"], counted["users"]) == (
        expected.endpoints,
        expected.users,
    ) and expected.endpoints > 0
    assert run_json(project, "segment", "count", "ios-pro", "--version", "1")["version"] == 1

    listed = run_json(project, "segment", "list")
    assert [s["segment"] for s in listed["segments"]] == ["ios-pro"]
    shown = run_json(project, "segment", "show", "ios-pro")
    assert shown["spec"] == SPEC and "Attributes.plan" in shown["conditions"]

    out = tmp_path / "members.csv"
    run_json(project, "segment", "export", "ios-pro", "--out", str(out))
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) - 1 == expected.endpoints
    parquet = tmp_path / "members.parquet"
    run_json(project, "segment", "export", "ios-pro", "--out", str(parquet))
    assert pl.read_parquet(parquet).height == expected.endpoints
    # the foundation's endpoints export reaches the same members through segment_sql_filter
    assert (
        run(
            project, "endpoints", "export", "--segment", "ios-pro", "--out", str(tmp_path / "e.csv")
        ).returncode
        == 0
    )


def test_export_escapes_formula_cells(demo_project_copy, tmp_path):
    project = demo_project_copy
    evil = tmp_path / "evil.csv"
    evil.write_text(
        'Id,ChannelType,Address,Attributes.plan\nx1,EMAIL,x1@example.com,=HYPERLINK("http://e")\n'
    )
    project.endpoints.import_files(evil, progress=False)
    spec = tmp_path / "evil.json"
    spec.write_text(
        json.dumps(
            {"Dimensions": {"Attributes": {"plan": {"AttributeType": "CONTAINS", "Values": ["HYPER"]}}}}
        )
    )
    run_json(project, "segment", "create", "evil", "--spec", str(spec))
    out = tmp_path / "evil-out.csv"
    run_json(project, "segment", "export", "evil", "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_errors_name_file_line_field_and_save_nothing(demo_project_copy, tmp_path):
    project = demo_project_copy
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Dimensions": {"Attributes": {"plna": {"Values": ["pro"]}}}}, indent=2))
    done = run(project, "segment", "create", "bad", "--spec", str(bad), "--json")
    assert done.returncode != 0 and done.stdout == ""
    assert f"{bad}:4: field Dimensions.Attributes.plna: unknown attribute 'plna'" in done.stderr
    assert "did you mean plan" in done.stderr
    notseg = tmp_path / "campaign.json"
    notseg.write_text(json.dumps({"MessageConfiguration": {}}))
    done = run(project, "segment", "create", "c", "--spec", str(notseg))
    assert done.returncode != 0 and "not a segment" in done.stderr and str(notseg) in done.stderr
    done = run(project, "segment", "count", "ios-pr")
    assert done.returncode != 0 and "no segment named 'ios-pr'" in done.stderr
    assert run_json(project, "segment", "list")["segments"] == []


def test_project_from_environment(demo_project_copy):
    env = {**os.environ, "WORKBENCH_PROJECT": str(demo_project_copy.path)}
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "segment", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0 and json.loads(done.stdout) == {"segments": []}
