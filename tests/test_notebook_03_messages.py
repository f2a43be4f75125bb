"""notebooks/03_messages.ipynb runs top to bottom on a copy of the demo project (papermill, kernel "workbench"):
a template is saved, previewed for three endpoints, an SMS is counted, and a message goes through the outbox."""

from __future__ import annotations

import email
import email.policy
import json

import pytest
from helpers import printed, run_notebook


@pytest.mark.slow
def test_messages_notebook_runs_and_sends_through_the_outbox(demo_project_copy, tmp_path):
    out = tmp_path / "03_messages.out.ipynb"
    cells = run_notebook("03_messages", out, project_path=str(demo_project_copy.path))
    summary = json.loads(printed(cells, "stdout")[-1])
    assert summary["template_version"] == 1 and summary["previews"] == 3
    assert summary["sms_parts"] == {"plain": 1, "curly apostrophe": 2}
    assert summary["status"] == ["SUCCESSFUL"] and summary["eml_files"] == 1
    # the previews are shown in sandboxed frames, and the notebook's outputs carry no script of ours
    html = "".join(
        "".join(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", [])
    )
    assert html.count("<iframe sandbox") >= 4  # the template and its three previews
    # what the outbox wrote is the message the notebook printed, with the endpoint's first name
    (eml,) = demo_project_copy.outbox_dir.glob("*/*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert str(message["Subject"]) == summary["subject"] and summary["subject"].startswith("Welcome, ")
    assert summary["subject"] != "Welcome, "  # personalised
    sent = demo_project_copy.query("SELECT count(*) FROM events WHERE event_type = '_email.send'").item()
    assert sent >= 1
