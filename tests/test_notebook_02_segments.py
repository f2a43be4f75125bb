"""notebooks/02_segments.ipynb runs top to bottom on a small demo project (papermill, kernel "workbench")."""

from __future__ import annotations

import json

import pytest
from helpers import printed, run_notebook


@pytest.mark.slow
def test_segments_notebook_runs(demo_project_copy, tmp_path):
    out = tmp_path / "02_segments.out.ipynb"
    cells = run_notebook(
        "02_segments", out, project_path=str(demo_project_copy.path), now="2026-10-30T00:00:00Z"
    )
    summary = json.loads(printed(cells)[-1])
    assert summary["widget"] == summary["python"] > 0
    assert summary["pinpoint_json"] > 0 and summary["imported"] > 0
    assert summary["versions"] == {"latest": 2, "pinned": 1}
    html = "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )
    assert "<b>Segment</b>" in html and "Attributes.plan has any of" in html  # the segment shows itself
    from workbench.segments import list_segments

    names = set(list_segments(demo_project_copy).get_column("name").to_list())
    assert {"pro-active", "big-spenders"} <= names
