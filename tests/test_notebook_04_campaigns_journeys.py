"""notebooks/04_campaigns.ipynb and 04b_journeys.ipynb run top to bottom on a copy of the demo project (papermill,
kernel "workbench"): an A/B campaign with a holdout is previewed, dry-run and sent through the outbox; a welcome
journey is refused when broken, saved, simulated, activated and ticked."""

from __future__ import annotations

import json

import pytest
from helpers import printed, run_notebook


def _run(name: str, project, tmp_path) -> tuple[dict, str]:
    out = tmp_path / f"{name}.out.ipynb"
    cells = run_notebook(name, out, project_path=str(project.path))
    html = "".join(
        "".join(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])
    )
    return json.loads(printed(cells, "stdout")[-1]), html


@pytest.mark.slow
def test_the_campaigns_notebook_previews_dry_runs_and_sends_an_ab_campaign(demo_project_copy, tmp_path):
    summary, html = _run("04_campaigns", demo_project_copy, tmp_path)
    treatments = summary["treatments"]
    assert set(treatments) == {"A: features", "B: discount"} and all(n > 0 for n in treatments.values())
    assert summary["holdout"] > 0 and summary["excluded"]["TREATMENT_HOLDOUT"] == summary["holdout"]
    assert (
        summary["excluded"].get("ENDPOINT_CHANNEL_MISMATCH", 0) > 0
    )  # SMS and push endpoints of the segment
    sent = sum(treatments.values())
    assert summary["state"] == "COMPLETED" and summary["accepted"] == summary["eml_files"] == sent
    assert summary["accepted_after_second_send"] == sent  # nothing sent twice
    assert "<iframe sandbox" in html  # the preview's e-mail HTML is sandboxed
    assert "TREATMENT_HOLDOUT" in html  # the dry-run's table


@pytest.mark.slow
def test_the_journeys_notebook_validates_simulates_and_runs_a_welcome_journey(demo_project_copy, tmp_path):
    summary, html = _run("04b_journeys", demo_project_copy, tmp_path)
    assert summary["refused"] and summary["state"] == "ACTIVE"
    assert summary["simulated_entered"] > 0 and summary["entered"] > 0
    assert summary["eml_files"] > 0
    assert summary["activities"] == ["bought", "control", "done", "nudge", "welcome"]
    assert html.count("<svg") >= 2  # the saved journey and the simulation draw the diagram
