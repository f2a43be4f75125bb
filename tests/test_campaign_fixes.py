"""Campaign fixes: one ``holdout`` in every report (dry-run, send, status), spec reference errors that name the
file and every unknown name at once, and ``resume`` that re-enables without sending an IMMEDIATE campaign."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import helpers
import pytest

from workbench.cli import main
from workbench.errors import UnknownNameError

HEADER = ["Id", "ChannelType", "Address", "User.UserId", "OptOut", "Attributes.plan"]


def _endpoints(n: int) -> list[list[object]]:
    """Half e-mail, half SMS (left out of an e-mail campaign); every fifth e-mail endpoint opted out."""
    rows: list[list[object]] = []
    for i in range(n):
        if i % 2:
            rows.append([f"s{i:04d}", "SMS", f"+1555{i:07d}", f"u{i:04d}", "NONE", "free"])
        else:
            opt_out = "ALL" if i % 5 == 0 else "NONE"
            rows.append([f"e{i:04d}", "EMAIL", f"person{i}@example.com", f"u{i:04d}", opt_out, "pro"])
    return rows


def _project(tmp_path: Path, n: int = 120):
    from workbench import Project

    project = Project.create(tmp_path / "project")
    csv = helpers.write_csv(tmp_path / "endpoints.csv", HEADER, _endpoints(n))
    project.endpoints.import_files(csv, progress=False)
    project.segments.create("all", {"Name": "all", "Dimensions": {}})
    project.templates.create(
        "welcome", "email", {"Subject": "Hello", "HtmlPart": "<p>Hello {{Attributes.plan}}</p>"}
    )
    return project


def _spec(schedule: dict | None = None, **extra) -> dict:
    return {
        "SegmentId": "all",
        "TemplateConfiguration": {"EmailTemplate": {"Name": "welcome"}},
        "AdditionalTreatments": [
            {"SizePercent": 30, "TemplateConfiguration": {"EmailTemplate": {"Name": "welcome"}}}
        ],
        "HoldoutPercent": 30,
        "Schedule": schedule or {"StartTime": "IMMEDIATE"},
        **extra,
    }


def _eml(project) -> list[Path]:
    return sorted(project.outbox_dir.glob("*/*.eml"))


# --- 1. one holdout -------------------------------------------------------------------------------------------


def test_send_and_status_count_the_holdout_as_the_dry_run_does(tmp_path):
    from workbench.campaigns.run import open_state

    project = _project(tmp_path)
    project.campaigns.create("spring", _spec())
    dry_run = project.campaigns.dry_run("spring")
    dry = dry_run.to_dict()
    hashed = dry_run.audience.filter(dry_run.audience["treatment_id"] == "HOLDOUT").height
    # the case that matters: opted-out and SMS endpoints hashed into the holdout are excluded for that reason
    assert hashed > dry["holdout"] == dry["excluded"]["TREATMENT_HOLDOUT"] > 0

    sent = project.campaigns.send("spring").to_dict()
    status = project.campaigns.status("spring").to_dict()
    for report in (sent, status):
        (occurrence,) = report["occurrences"]
        assert occurrence["holdout"] == occurrence["excluded"]["TREATMENT_HOLDOUT"] == dry["holdout"]
        assert occurrence["targeted"] == sum(occurrence["treatments"].values()) + sum(
            occurrence["excluded"].values()
        )
    assert len(_eml(project)) == sum(t["messages"] for t in dry["treatments"])
    with open_state(project) as ledger:  # and so does the summary recorded in the ledger
        (text,) = ledger.con.execute("SELECT summary FROM campaign_occurrences").fetchone()
    assert json.loads(text)["holdout"] == dry["holdout"]


def test_status_reads_an_occurrence_recorded_with_the_old_holdout_count_as_the_new_one(tmp_path):
    from workbench.campaigns.run import open_state

    project = _project(tmp_path)
    project.campaigns.create("spring", _spec())
    dry_run = project.campaigns.dry_run("spring")
    hashed = dry_run.audience.filter(dry_run.audience["treatment_id"] == "HOLDOUT").height
    project.campaigns.send("spring")
    # an occurrence planned before the fix recorded every endpoint hashed into the holdout
    with open_state(project) as ledger, ledger.write() as con:
        (text,) = con.execute("SELECT summary FROM campaign_occurrences").fetchone()
        old = {**json.loads(text), "holdout": hashed}
        con.execute("UPDATE campaign_occurrences SET summary = ?", (json.dumps(old),))
    (occurrence,) = project.campaigns.status("spring").to_dict()["occurrences"]
    assert occurrence["holdout"] == dry_run.holdout < hashed


def test_the_cli_send_and_status_print_the_dry_runs_holdout(tmp_path, capsys):
    project = _project(tmp_path)
    project.campaigns.create("spring", _spec())

    def run(*args: str) -> dict:
        assert main([*args, "--json", "--project", str(project.path)]) == 0
        return json.loads(capsys.readouterr().out)

    dry = run("campaign", "dry-run", "spring")
    sent = run("campaign", "send", "spring")
    status = run("campaign", "status", "spring")
    assert sent["occurrences"][0]["holdout"] == status["occurrences"][0]["holdout"] == dry["holdout"]


# --- 2. reference errors name the file and every unknown name ---------------------------------------------------


def test_unknown_segment_and_template_are_reported_together_naming_the_file(tmp_path, capsys):
    project = _project(tmp_path, n=10)
    spec = tmp_path / "c.json"
    spec.write_text(
        json.dumps(
            {
                "SegmentId": "al",
                "TemplateConfiguration": {"EmailTemplate": {"Name": "welcom"}},
                "Schedule": {"StartTime": "IMMEDIATE"},
            }
        )
    )
    code = main(["campaign", "create", "x", "--spec", str(spec), "--project", str(project.path)])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err
    segment_line, template_line = err.strip().splitlines()
    assert segment_line == f"error: {spec}: field SegmentId: no segment named 'al' (did you mean all?)"
    assert template_line.startswith(f"{spec}: field TemplateConfiguration.EmailTemplate: ")
    assert "'welcom'" in template_line and "did you mean welcome" in template_line
    assert project.campaigns.list().is_empty()
    # a path given to the API names itself too; a dict names the campaign
    with pytest.raises(UnknownNameError, match=f"^{spec}: field SegmentId: "):
        project.campaigns.create("x", spec)
    with pytest.raises(UnknownNameError) as raised:
        project.campaigns.create("x", json.loads(spec.read_text()))
    lines = str(raised.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "campaign 'x', field SegmentId",
        "campaign 'x', field TemplateConfiguration.EmailTemplate",
    ]


def test_unknown_templates_of_several_treatments_are_all_reported(tmp_path):
    project = _project(tmp_path, n=10)
    spec = _spec(TemplateConfiguration={"EmailTemplate": {"Name": "welcom"}})
    spec["AdditionalTreatments"][0]["TemplateConfiguration"] = {"EmailTemplate": {"Name": "wellcome"}}
    with pytest.raises(UnknownNameError) as raised:
        project.campaigns.create("x", spec)
    text = str(raised.value)
    assert "field TemplateConfiguration.EmailTemplate: " in text
    assert "field AdditionalTreatments[0].TemplateConfiguration.EmailTemplate: " in text


# --- 3. resume re-enables; it does not send an IMMEDIATE campaign ----------------------------------------------


def test_resuming_an_immediate_campaign_never_sent_sends_nothing(tmp_path):
    project = _project(tmp_path, n=20)
    project.campaigns.create("spring2", _spec())
    project.campaigns.pause("spring2")
    resumed = project.campaigns.resume("spring2").to_dict()
    assert resumed["state"] == "SCHEDULED" and resumed["occurrences"] == [] and resumed["messages"] == {}
    assert "campaign send" in resumed["note"]
    assert _eml(project) == []
    project.tick()  # nor does a tick: an IMMEDIATE campaign goes only by send
    assert _eml(project) == []
    sent = project.campaigns.send("spring2").to_dict()
    assert sent["state"] == "COMPLETED" and len(_eml(project)) == sent["messages"]["accepted"] > 0


def test_resume_continues_the_paused_waves_of_an_immediate_campaign(tmp_path):
    from workbench.campaigns.run import _Occurrence, open_state, plan_occurrence

    project = _project(tmp_path, n=20)
    project.campaigns.create("spring3", _spec())
    now = datetime.now(UTC)
    with open_state(project) as ledger:  # planned by a send that was paused before it sent anything
        plan_occurrence(
            project,
            project.campaigns.load("spring3"),
            _Occurrence("immediate", now, False),
            now=now,
            ledger=ledger,
        )
    paused = project.campaigns.pause("spring3").to_dict()
    owed = sum(r["owed"] for r in paused["runs"])
    assert paused["state"] == "PAUSED" and owed > 0 and _eml(project) == []
    resumed = project.campaigns.resume("spring3").to_dict()
    assert resumed["state"] == "COMPLETED" and resumed["messages"] == {"accepted": owed}
    assert len(_eml(project)) == owed


def test_resume_after_a_scheduled_time_sends_that_occurrence_as_a_tick_would(tmp_path):
    project = _project(tmp_path, n=20)
    start = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    project.campaigns.create("later", _spec({"StartTime": start.isoformat(), "Frequency": "ONCE"}))
    project.campaigns.pause("later")
    early = project.campaigns.resume("later", now=start - timedelta(hours=1)).to_dict()
    assert early["state"] == "SCHEDULED" and _eml(project) == [] and "tick" in early["note"]
    project.campaigns.pause("later")
    project.tick(now=start + timedelta(minutes=1))  # paused: not sent
    assert _eml(project) == []
    resumed = project.campaigns.resume("later", now=start + timedelta(minutes=2)).to_dict()
    assert resumed["state"] == "COMPLETED" and len(_eml(project)) == resumed["messages"]["accepted"] > 0
