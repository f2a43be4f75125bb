"""The analytics' default range (the last 30 days of data) ends at the last event imported or recorded: the
outcome events the workbench writes about its own sends do not move it to today."""

from __future__ import annotations

import json

from workbench import Project
from workbench.cli import main
from workbench.store.views import event_files, is_outcome_file

SAMPLE = "data/sample"


def kpi_range(project: Project, capsys) -> tuple[str, str, int]:
    assert main(["kpi", "sessions", "--project", str(project.path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out["start"], out["end"], out["total"]


def test_a_send_today_leaves_the_default_range_on_the_data(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files(f"{SAMPLE}/endpoints.csv", progress=False)
    project.events.import_files(f"{SAMPLE}/events.jsonl.gz", progress=False)
    before = kpi_range(project, capsys)
    assert before == ("2026-09-30", "2026-10-29", 290)
    project.templates.create("welcome", "email", f"{SAMPLE}/templates/welcome_email.json")
    assert main(["send", "--channel", "email", "--endpoint", "ep-0000001", "--template", "welcome",
                 "--project", str(project.path), "--json"]) == 0  # fmt: skip
    capsys.readouterr()
    # the send's outcome is in the log, in a batch marked as outcomes, and counts where it is asked for
    sent = project.query("SELECT count(*) FROM events WHERE event_type = '_email.send'").item()
    assert sent == 1
    marked = [f for f in event_files(project.events_dir) if is_outcome_file(f)]
    assert len(marked) == 1 and "-outcomes-n1.parquet" in marked[0].name
    assert kpi_range(project, capsys) == before
    # the same for the dashboards' and funnels' scope
    assert project.funnel(["product.view", "cart.add"]).to_dict()["end"] == "2026-10-29"


def test_events_the_user_records_still_move_the_range(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    project.endpoints.import_files(f"{SAMPLE}/endpoints.csv", progress=False)
    project.events.import_files(f"{SAMPLE}/events.jsonl.gz", progress=False)
    event = {
        "event_type": "_session.start",
        "event_timestamp": "2026-11-20T10:00:00Z",
        "client": {"client_id": "ep-0000001"},
        "session": {"session_id": "s-new"},
    }
    project.events.record([event])
    assert not any(is_outcome_file(f) for f in event_files(project.events_dir))
    start, end, _ = kpi_range(project, capsys)
    assert (start, end) == ("2026-10-22", "2026-11-20")
