"""The campaign, journey and tick commands: the CLI contract's JSON keys, and bad input that names the file and
field, exits non-zero without a traceback, and saves nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_campaign_run import _campaign, _project

WORKBENCH = [sys.executable, "-m", "workbench.cli"]


def _cli(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WORKBENCH, *args, "--project", str(project.path)], capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def small(tmp_path):
    return _project(tmp_path, n=30)


def test_campaign_commands_print_the_contract_keys(small, tmp_path):
    spec = tmp_path / "spring.json"
    spec.write_text(json.dumps(_campaign()))
    made = json.loads(_cli(small, "campaign", "create", "spring", "--spec", str(spec), "--json").stdout)
    assert made == {"campaign": "spring", "id": made["id"], "version": 1, "state": "SCHEDULED"}
    dry = json.loads(_cli(small, "campaign", "dry-run", "spring", "--json").stdout)
    assert {"targeted", "treatments", "holdout", "excluded", "render_errors"} <= set(dry)
    assert dry["targeted"] == 30 and dry["holdout"] + sum(t["messages"] for t in dry["treatments"]) == 30
    sent = json.loads(_cli(small, "campaign", "send", "spring", "--json").stdout)
    assert sent["state"] == "COMPLETED" and sent["messages"] == {"accepted": 30 - dry["holdout"]}
    status = json.loads(_cli(small, "campaign", "status", "spring", "--json").stdout)
    assert {"campaign", "id", "version", "state", "next_run", "messages", "occurrences", "runs"} <= set(
        status
    )
    ticked = json.loads(_cli(small, "tick", "--json").stdout)
    assert set(ticked) == {"now", "campaigns", "journeys", "seconds"} and ticked["campaigns"] == []
    shown = json.loads(_cli(small, "campaign", "show", "spring", "--json").stdout)
    assert shown["spec"] == _campaign()  # written back unchanged
    listed = json.loads(_cli(small, "campaign", "list", "--json").stdout)
    assert [c["name"] for c in listed["campaigns"]] == ["spring"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"HoldoutPercent": 60}, ["spring.json", "field", "100"]),  # 45 + 60 > 100
        ({"SegmentId": "emials"}, ["emials", "emails"]),  # close names
        (
            {"Schedule": {"StartTime": "2026-12-10T09:00:00Z", "Timezone": "UTC+25"}},
            ["spring.json", "Timezone"],
        ),
        (
            {"Schedule": {"StartTime": "IMMEDIATE", "QuietTime": {"Start": "7:00", "End": "09:00"}}},
            ["QuietTime"],
        ),
        (
            {"Schedule": {"StartTime": "2026-12-10T09:00:00Z", "EndTime": "2026-12-09T09:00:00Z"}},
            ["spring.json", "EndTime"],
        ),
        ({"Limits": {"MessagesPerSecond": 20001}}, ["spring.json", "MessagesPerSecond"]),
        ({"Limits": {"Daily": 101}}, ["spring.json", "Daily"]),
        ({"TemplateConfiguration": {"EmailTemplate": {"Name": "offer_c"}}}, ["offer_c", "offer_a"]),
        ({"TemplateConfiguration": {"EmailTemplate": {"Name": "offer_a", "Version": "7"}}}, ["offer_a", "7"]),
    ],
)
def test_a_bad_campaign_is_refused_naming_what_is_wrong_and_nothing_is_saved(small, tmp_path, change, words):
    spec = tmp_path / "spring.json"
    spec.write_text(json.dumps({**_campaign(), **change}))
    done = _cli(small, "campaign", "create", "spring", "--spec", str(spec))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert all(w in done.stderr for w in words), done.stderr
    assert json.loads(_cli(small, "campaign", "list", "--json").stdout) == {"campaigns": []}


def test_a_campaign_file_with_a_json_syntax_error_names_its_line(small, tmp_path):
    spec = tmp_path / "spring.json"
    spec.write_text('{\n  "Name": "spring",\n  "SegmentId": "emails",,\n}\n')
    done = _cli(small, "campaign", "create", "spring", "--spec", str(spec))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "spring.json:3" in done.stderr, done.stderr


def test_a_journey_with_a_cycle_or_an_unreachable_step_is_refused_naming_the_activity(small, tmp_path):
    activities = {
        "hello": {"EMAIL": {"TemplateName": "offer_a", "NextActivity": "again"}},
        "again": {"EMAIL": {"TemplateName": "offer_b", "NextActivity": "hello"}},
        "orphan": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
    }
    start = {"SegmentStartCondition": {"SegmentId": "emails"}}
    spec = tmp_path / "loop.json"
    spec.write_text(
        json.dumps(
            {"Name": "loop", "StartCondition": start, "StartActivity": "hello", "Activities": activities}
        )
    )
    done = _cli(small, "journey", "create", "loop", "--spec", str(spec))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "loop.json" in done.stderr and ("orphan" in done.stderr or "hello" in done.stderr), done.stderr
    del activities["orphan"]
    spec.write_text(
        json.dumps(
            {"Name": "loop", "StartCondition": start, "StartActivity": "hello", "Activities": activities}
        )
    )
    cycle = _cli(small, "journey", "create", "loop", "--spec", str(spec))
    assert cycle.returncode == 1 and "cycle" in cycle.stderr and "Wait" in cycle.stderr
    assert json.loads(_cli(small, "journey", "list", "--json").stdout) == {"journeys": []}


def test_journey_commands_create_activate_tick_and_report(small, tmp_path):
    spec = tmp_path / "welcome.json"
    spec.write_text(
        json.dumps(
            {
                "Name": "welcome",
                "StartCondition": {"SegmentStartCondition": {"SegmentId": "emails"}},
                "StartActivity": "hello",
                "Activities": {"hello": {"EMAIL": {"TemplateName": "offer_a"}}},
            }
        )
    )
    made = json.loads(_cli(small, "journey", "create", "welcome", "--spec", str(spec), "--json").stdout)
    assert made["state"] == "DRAFT"
    assert json.loads(_cli(small, "tick", "--json").stdout)["journeys"] == []  # a draft does not run
    assert json.loads(_cli(small, "journey", "activate", "welcome", "--json").stdout)["state"] == "ACTIVE"
    ticked = json.loads(_cli(small, "tick", "--json").stdout)
    (entry,) = ticked["journeys"]
    assert entry["journey"] == "welcome" and entry["entered"] == 30 and entry["sent"] == 30
    status = json.loads(_cli(small, "journey", "status", "welcome", "--json").stdout)
    assert status["metrics"]["ENDPOINT_ENTERED"] == 30
    assert len(list(small.outbox_dir.glob("journey*/*.eml"))) == 30
