"""The shipped report notebooks as a reader gets them: headings from the parameters, formatted tables, run from
any folder on the project named the CLI's way, quietly (no kernel transport warning), without changing it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import InputError
from workbench.reports import kernel_config, report_project_path, resolve_project_path

WORKBENCH = Path(sys.executable).with_name("workbench")


def test_report_list_names_parameters_and_defaults(capsys):
    assert main(["report", "--list", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: {p["name"]: p for p in r["parameters"]} for r in payload["reports"]}
    assert set(by_name) >= {"dashboards", "funnel-deep-dive"}
    funnel = by_name["funnel-deep-dive"]
    assert funnel["window"]["default"] == "7d" and funnel["breakdown"]["default"] == "platform"
    assert funnel["steps"]["default"].startswith("product.view,")
    assert "unit" in funnel["window"]["help"]  # the comment after the default is its help
    for params in by_name.values():
        assert params["project_path"]["default"] == ""  # never a path relative to some working directory
        assert {"start", "end", "segment"} <= set(params)
    assert main(["report", "--list"]) == 0
    text = capsys.readouterr().out
    assert "funnel-deep-dive" in text and 'window         "7d"' in text


def test_project_path_is_resolved_like_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_PROJECT", raising=False)
    assert resolve_project_path("") is None
    with pytest.raises(InputError, match=r"project_path parameter.*WORKBENCH_PROJECT"):
        report_project_path("")
    assert report_project_path("p") == tmp_path / "p"
    monkeypatch.setenv("WORKBENCH_PROJECT", "env-project")
    assert report_project_path("") == tmp_path / "env-project"
    assert report_project_path("given") == tmp_path / "given"  # the parameter wins, as --project does


def test_kernels_do_not_run_over_plain_tcp():
    assert kernel_config("workbench")["KernelManager"]["transport_encryption"] == "auto"  # CurveZMQ keys
    other = kernel_config("no-such-kernel")["KernelManager"]
    assert other["transport"] == "ipc" and "workbench-kernel-" in other["ip"]


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


@pytest.mark.slow
def test_reports_read_well_run_from_any_folder_and_leave_the_project_alone(demo_project_copy, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = _tree_digest(demo_project_copy.path)
    env = {**os.environ, "WORKBENCH_PROJECT": os.path.relpath(demo_project_copy.path, elsewhere)}
    done = subprocess.run(
        [str(WORKBENCH), "report", "--all", "--out", "out", "--json"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr and "IPKernelApp" not in done.stderr
    assert _tree_digest(demo_project_copy.path) == before  # reports only read the project
    names = {r["name"] for r in json.loads(done.stdout)["reports"]}
    assert names >= {"dashboards", "funnel-deep-dive"}

    funnel = (elsewhere / "out" / "funnel-deep-dive.html").read_text(encoding="utf-8")
    text = _visible_text(funnel)
    assert ">By platform<" in funnel and "Share reaching each step, by platform" in funnel
    assert "{breakdown}" not in text and "Funnel: conversion by step" not in funnel
    assert "with 7 days to finish" in text and "Project project" in text
    assert funnel.count('class="gt_table"') >= 4  # every table through great_tables
    for raw in (" i64 ", " f64 ", " str ", " null ", '"product.view"', "shape:"):
        assert raw not in text, f"raw Polars output in the funnel report: {raw!r}"
    assert not re.findall(r"\b0\.\d{4,}\b", text), "a rate shown as a long fraction, not a percentage"
    assert re.search(r"\b\d{1,3}\.\d%", text)  # rates as percentages

    board = (elsewhere / "out" / "dashboards.html").read_text(encoding="utf-8")
    text = _visible_text(board)
    assert 'class="gt_table"' in board and "sticky-factor" in text
    assert " i64 " not in text and " f64 " not in text and "shape:" not in text
