"""notebooks/05_dashboards.ipynb run with papermill on the small demo project and saved with its outputs: small,
its charts Vega-Lite outputs that the notebook draws itself, no output carrying the Vega JavaScript."""

from __future__ import annotations

import json

import pytest
from helpers import run_notebook

from workbench.dashboards.export import BUNDLE_MARKER, VEGALITE_MIME

#: The issue's ceiling for the saved dashboards notebook (it was 6.6 MB: every dashboard inlined Vega).
LIMIT = 1_500_000


@pytest.mark.slow
def test_dashboards_notebook_saved_with_outputs_is_small(demo_project_path, tmp_path):
    out = tmp_path / "05_dashboards.out.ipynb"
    cells = run_notebook(
        "05_dashboards", out, project_path=str(demo_project_path)
    )  # it only reads the project
    size = out.stat().st_size
    assert size < LIMIT, f"05_dashboards saved with its outputs is {size:,} bytes"
    outputs = [o for c in cells for o in c.get("outputs", [])]
    charts = [o for o in outputs if VEGALITE_MIME in o.get("data", {})]
    assert len(charts) >= 20, f"{len(charts)} chart outputs"
    text = json.dumps(outputs)
    assert BUNDLE_MARKER not in text and "window.vegaEmbed=" not in text, "an output carries the Vega bundle"
