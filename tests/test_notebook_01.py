"""notebooks/01_import_endpoints.ipynb runs top to bottom on a demo project (through papermill)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_notebook
from jupyter_client.kernelspec import KernelSpecManager

ROOT = Path(__file__).resolve().parents[1]


def require_kernel() -> None:
    if "workbench" not in KernelSpecManager().find_kernel_specs():
        pytest.fail("the 'workbench' Jupyter kernel is not registered; run `make test` (it registers it)")


def test_import_notebook_runs_on_the_demo_project(demo_project_copy, tmp_path):
    require_kernel()
    out = tmp_path / "01.ipynb"
    before = demo_project_copy.endpoints.count().endpoints
    events_before = demo_project_copy.query("SELECT count(*) FROM events").item()
    run_notebook(
        "01_import_endpoints",
        out,
        project_path=str(demo_project_copy.path),
        sample_dir=str(ROOT / "data" / "sample"),
    )
    # papermill raises on any failing cell; here we check that the samples really went in
    assert demo_project_copy.endpoints.count().endpoints > before
    assert demo_project_copy.query("SELECT count(*) FROM events").item() > events_before
    assert "no rows were rejected" in out.read_text() or "rejects" in out.read_text()
    # tables show as formatted great_tables, not raw Polars frames (a dtype row, quoted strings)
    import json

    html = "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in json.loads(out.read_text())["cells"]
        for o in c.get("outputs", [])
    )
    assert "shape: (" not in html and "<td>str</td>" not in html
    assert html.count("gt_table") >= 4
