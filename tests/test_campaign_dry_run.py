"""Campaign dry runs: counts that add up, render errors with their endpoints, SMS parts and cost, waves."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers import configure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_campaign_audience import NOW, build_project, email_campaign, endpoint_rows

from workbench.campaigns.audience import EXCLUSION_ORDER
from workbench.campaigns.dry_run import DryRun, dry_run, sms_summary
from workbench.campaigns.spec import Campaign, save_campaign
from workbench.errors import InputError, UnknownNameError
from workbench.messages.templates import save_template

CLI_KEYS = {"targeted", "treatments", "holdout", "excluded", "render_errors"}


@pytest.fixture
def project(tmp_path):
    return build_project(tmp_path)


def check_sums(result: DryRun) -> None:
    d = result.to_dict()
    assert d["targeted"] == sum(t["endpoints"] for t in d["treatments"]) + sum(d["excluded"].values())
    assert d["holdout"] == d["excluded"]["TREATMENT_HOLDOUT"]
    for t in d["treatments"]:
        errors = {e["endpoint_id"] for e in d["render_errors"] if e["treatment_id"] == t["treatment_id"]}
        assert t["messages"] == t["endpoints"] - len(errors)


def test_dry_run_counts_add_up_and_print_the_cli_contract(project):
    result = dry_run(project, email_campaign(), now=NOW)
    d = result.to_dict()
    assert set(d) >= CLI_KEYS
    assert list(d["excluded"]) == list(EXCLUSION_ORDER)
    assert d["targeted"] == 122
    assert d["excluded"]["ENDPOINT_INACTIVE"] == 1
    assert d["excluded"]["ENDPOINT_OPT_OUT"] == 1
    assert d["excluded"]["ENDPOINT_CHANNEL_MISMATCH"] == 31  # 30 SMS endpoints and a push one
    assert d["excluded"]["DUPLICATE_ENDPOINT"] == 1
    assert d["holdout"] > 0
    assert [t["treatment_id"] for t in d["treatments"]] == ["0", "1"]
    assert d["treatments"][0]["size_percent"] == 45 and d["treatments"][1]["size_percent"] == 45
    assert d["treatments"][0]["sources"] == {"EMAIL": "template hello v1"}
    assert d["render_errors"] == [] and d["render_errors_total"] == 0
    check_sums(result)
    json.dumps(d)  # JSON-ready
    assert not project.delivery_path.exists()  # sends nothing, writes nothing


def test_missing_variables_are_counted_per_treatment(project):
    request = {**email_campaign().request, "TemplateConfiguration": {"EmailTemplate": {"Name": "hello-b"}}}
    request["AdditionalTreatments"] = [
        {"SizePercent": 45, "TemplateConfiguration": {"EmailTemplate": {"Name": "hello"}}}
    ]
    d = dry_run(project, Campaign.from_json(request), now=NOW).to_dict()
    assert d["treatments"][0]["missing_variables"] == {}  # hello-b uses the plan, which every endpoint has
    assert d["treatments"][1]["missing_variables"] == {}  # hello has a default for the first name


def test_a_template_that_fails_for_some_endpoints_lists_them_and_counts_the_rest(project):
    # Name0, Name10... have no first name ("" for every 5th): the filter fails on a missing value
    save_template(
        project,
        "fragile",
        "EMAIL",
        {"Subject": "{{ 10 // (User.UserAttributes.FirstName | length) }}!", "HtmlPart": "<p>x</p>"},
    )
    campaign = email_campaign(HoldoutPercent=0, TemplateConfiguration={"EmailTemplate": {"Name": "fragile"}})
    result = dry_run(project, campaign, now=NOW)
    d = result.to_dict()
    failed = {e["endpoint_id"] for e in d["render_errors"]}
    assert failed and d["render_errors_total"] == len(d["render_errors"])
    frame = result.audience
    no_name = set(
        frame.filter(
            frame["excluded"].is_null()
            & (frame["treatment_id"] == "0")
            & frame["User.UserAttributes.FirstName"].is_null()
        )["Id"]
    )
    assert failed == no_name
    assert all(e["treatment_id"] == "0" and e["part"] == "Subject" for e in d["render_errors"])
    assert d["treatments"][0]["messages"] == d["treatments"][0]["endpoints"] - len(failed) > 0
    check_sums(result)
    page = result._repr_html_()
    assert "Render errors" in page and sorted(failed)[0] in page


def test_the_notebook_view_lists_twenty_errors_and_the_total(tmp_path):
    rows = endpoint_rows(200)
    project = build_project(tmp_path, rows)
    save_template(project, "broken", "EMAIL", {"Subject": "{{ 1 // 0 }}", "HtmlPart": "<p>x</p>"})
    campaign = email_campaign(HoldoutPercent=0, TemplateConfiguration={"EmailTemplate": {"Name": "broken"}})
    result = dry_run(project, campaign, now=NOW)
    assert result.render_errors_total > 20
    page = result._repr_html_()
    assert f"{result.render_errors_total:,}" in page
    assert f"and {result.render_errors_total - 20:,} more" in page
    shown = [e["endpoint_id"] for e in result.render_errors]
    assert f">{shown[19]}</td>" in page
    assert f">{shown[20]}</td>" not in page
    assert page.count("ZeroDivisionError") == 20
    for word in ("Targeted", "Holdout", "Excluded", "ENDPOINT_OPT_OUT"):
        assert word.lower() in page.lower()


def test_an_empty_segment_is_a_dry_run_of_nothing(project):
    result = dry_run(project, email_campaign(SegmentId="nobody"), now=NOW)
    d = result.to_dict()
    assert d["targeted"] == 0 and d["holdout"] == 0 and d["waves"] == []
    assert all(t["endpoints"] == 0 and t["messages"] == 0 for t in d["treatments"])
    assert set(d["excluded"].values()) == {0}
    assert "0</b> endpoints targeted" in result._repr_html_()
    assert "targeted: 0" in result.text()


def test_sms_parts_and_cost_use_the_price_settings(project):
    configure(project.path, "[sms]\ndefault_price = 0.01\n[sms.prices]\nUS = 0.005\n")
    from workbench import Project

    project = Project.open(project.path)
    campaign = Campaign.from_json(
        {
            "Name": "sms",
            "SegmentId": "everyone",
            "TemplateConfiguration": {"SMSTemplate": {"Name": "sms-hello"}},
            "MessageConfiguration": {},
        }
    )
    d = dry_run(project, campaign, now=NOW).to_dict()
    treatment = d["treatments"][0]
    sms = treatment["sms"]
    assert sms["messages"] == treatment["messages"] == 30  # the SMS endpoints (+1 206: US numbers)
    assert sms["parts"] == 30 and sms["encodings"] == {"GSM-7": 30}
    assert sms["estimated_cost"] == pytest.approx(30 * 0.005)
    assert sms["unpriced"] == 0


def test_sms_summary_counts_parts_of_long_and_unicode_bodies():
    import polars as pl

    bodies = pl.Series(["a" * 161, "é" * 10, "héllo ☃"])
    numbers = pl.Series(["+12065550100", "+33612345678", "+447700900123"])
    summary = sms_summary(bodies, numbers, {"US": 0.01}, None)
    assert summary["parts"] == 2 + 1 + 1
    assert summary["encodings"] == {"GSM-7": 2, "UCS-2": 1}
    assert summary["estimated_cost"] == pytest.approx(0.02)
    assert summary["unpriced"] == 2


def test_local_time_campaigns_show_waves_by_time_zone(project):
    campaign = email_campaign(
        HoldoutPercent=0,
        Schedule={
            "StartTime": "2026-11-03T09:00:00Z",
            "IsLocalTime": True,
            "Timezone": "UTC-05",
            "Frequency": "ONCE",
        },
    )
    result = dry_run(project, campaign, now=NOW)
    waves = {w["zone"]: w["due_at"] for w in result.to_dict()["waves"]}
    # every 4th endpoint (the New York ones) is an SMS endpoint: not in this e-mail campaign
    assert waves == {
        "Asia/Tokyo": "2026-11-03T00:00:00Z",
        "Europe/Paris": "2026-11-03T08:00:00Z",
        "UTC-05": "2026-11-03T14:00:00Z",  # no zone: the campaign's Timezone
    }
    assert sum(w["endpoints"] for w in result.waves) == sum(t["endpoints"] for t in result.treatments)
    assert "Send waves by local time" in result._repr_html_()


def test_a_saved_campaign_runs_by_name(project):
    save_campaign(project, "spring", email_campaign().request)
    result = dry_run(project, "spring", now=NOW)
    assert result.campaign == "spring" and result.version == 1 and result.targeted == 122


def test_unknown_template_and_refused_inline_parts_fail_with_names(project):
    campaign = email_campaign(TemplateConfiguration={"EmailTemplate": {"Name": "helo"}})
    with pytest.raises(UnknownNameError, match="hello"):
        dry_run(project, campaign, now=NOW)
    inline = Campaign(
        "inline",
        {
            "SegmentId": "everyone",
            "MessageConfiguration": {"EmailMessage": {"Title": "ok", "HtmlBody": "{{ x.__class__ }}"}},
        },
    )
    with pytest.raises(InputError) as err:
        dry_run(project, inline, now=NOW)
    assert err.value.field == "MessageConfiguration.EmailMessage.HtmlBody"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(
        st.sampled_from([*"{}#/ab .|%-'\"\\xé", "{{", "}}", "Id", "User.UserId", "{{#if", "{{/if}}"]),
        max_size=30,
    ).map("".join)
)
def test_any_inline_sms_body_gives_a_dry_run_or_an_input_error(project, body):
    campaign = Campaign(
        "fuzz",
        {
            "SegmentId": "everyone",
            "HoldoutPercent": 10,
            "MessageConfiguration": {"SMSMessage": {"Body": body}},
        },
        campaign_id="fuzz",
    )
    try:
        result = dry_run(project, campaign, now=NOW)
    except InputError as err:
        assert err.field and err.field.startswith("MessageConfiguration.SMSMessage.Body")
        return
    check_sums(result)
    json.dumps(result.to_dict())


def test_now_defaults_to_the_clock(project):
    result = dry_run(project, email_campaign())
    assert abs((result.now - datetime.now(UTC)).total_seconds()) < 120


def test_now_can_be_an_iso_text_or_the_pinned_clock(project, monkeypatch):
    assert dry_run(project, email_campaign(), now="2026-11-02T12:00:00Z").now == NOW
    monkeypatch.setenv("WORKBENCH_NOW", "2026-11-02T12:00:00")
    assert dry_run(project, email_campaign()).now == NOW
