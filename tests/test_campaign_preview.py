"""Campaign previews: every treatment for one endpoint, or a sample per treatment; e-mail HTML sandboxed."""

from __future__ import annotations

import json

import pytest
from test_campaign_audience import NOW, build_project, email_campaign

from workbench.campaigns.audience import audience
from workbench.campaigns.preview import CampaignPreview, preview
from workbench.campaigns.spec import Campaign
from workbench.errors import UnknownNameError
from workbench.messages.templates import save_template


@pytest.fixture
def project(tmp_path):
    return build_project(tmp_path)


def mixed_campaign() -> Campaign:
    """E-mail and SMS, two treatments, a holdout."""
    return Campaign.from_json(
        {
            "Name": "mixed",
            "SegmentId": "everyone",
            "HoldoutPercent": 10,
            "TreatmentName": "Plain",
            "TemplateConfiguration": {
                "EmailTemplate": {"Name": "hello"},
                "SMSTemplate": {"Name": "sms-hello"},
            },
            "AdditionalTreatments": [
                {
                    "SizePercent": 40,
                    "TreatmentName": "Inline",
                    "MessageConfiguration": {
                        "EmailMessage": {
                            "Title": "Hi {{Id}}",
                            "HtmlBody": "<b>{{Attributes.plan}}</b><script>x()</script>",
                        },
                        "SMSMessage": {"Body": "Café ☕ for {{User.UserAttributes.FirstName}}"},
                    },
                }
            ],
        }
    )


def test_one_endpoint_gets_every_treatment_and_its_real_group(project):
    campaign = mixed_campaign()
    result = preview(project, campaign, endpoint_id="e003", now=NOW)
    assert isinstance(result, CampaignPreview)
    assert [m.treatment for m in result.messages] == ["Plain", "Inline"]
    plain, inline = result.messages
    assert plain.channel == "EMAIL" and plain.parts["Subject"] == "Hello Name3"
    assert inline.parts["Subject"] == "Hi e003"
    assert inline.parts["HtmlPart"] == "<b>pro</b><script>x()</script>"
    real = {r["Id"]: r["treatment_id"] for r in audience(project, campaign, now=NOW).iter_rows(named=True)}
    assert result.group == real["e003"] and result.member is True
    d = result.to_dict()
    json.dumps(d)
    assert d["endpoint_id"] == "e003" and len(d["messages"]) == 2


def test_email_html_is_shown_in_a_sandboxed_iframe(project):
    page = preview(project, mixed_campaign(), endpoint_id="e003", now=NOW)._repr_html_()
    assert "<iframe sandbox srcdoc=" in page
    assert "<script>" not in page  # only inside the escaped srcdoc
    assert "&lt;script&gt;" in page


def test_sms_endpoints_show_parts_and_missing_variables(project):
    result = preview(project, mixed_campaign(), endpoint_id="e000", now=NOW)  # SMS, no first name
    plain, inline = result.messages
    assert plain.channel == "SMS"
    assert plain.parts["Body"] == "Hi , sale today!"
    assert plain.missing == ["User.UserAttributes.FirstName"]
    assert plain.sms == {"encoding": "GSM-7", "characters": 16, "parts": 1, "non_gsm": []}
    assert inline.sms["encoding"] == "UCS-2" and inline.sms["non_gsm"] == ["☕"]
    assert "no value and no default" in result._repr_html_()
    assert "warning: no value and no default for User.UserAttributes.FirstName" in result.text()


def test_an_unknown_endpoint_names_close_ids(project):
    with pytest.raises(UnknownNameError) as err:
        preview(project, mixed_campaign(), endpoint_id="e0033", now=NOW)
    assert "e003" in str(err.value) and "did you mean" in str(err.value)


def test_an_endpoint_outside_the_segment_is_previewed_with_a_warning(project):
    campaign = Campaign.from_json({**mixed_campaign().request, "SegmentId": "nobody"})
    result = preview(project, campaign, endpoint_id="e003", now=NOW)
    assert result.member is False and "NOT in segment" in result.note
    assert result.messages[0].parts["Subject"] == "Hello Name3"


def test_a_sample_per_treatment_of_its_own_endpoints(project):
    campaign = mixed_campaign()
    result = preview(project, campaign, sample=3, now=NOW)
    groups = {r["Id"]: r["treatment_id"] for r in audience(project, campaign, now=NOW).iter_rows(named=True)}
    by_treatment: dict[str, list[str]] = {}
    for m in result.messages:
        by_treatment.setdefault(m.treatment_id, []).append(m.endpoint_id)
        assert groups[m.endpoint_id] == m.treatment_id
    assert {k: len(v) for k, v in by_treatment.items()} == {"0": 3, "1": 3}
    assert all(ids == sorted(ids) for ids in by_treatment.values())
    only = preview(project, campaign, treatment="Inline", sample=2, now=NOW)
    assert {m.treatment for m in only.messages} == {"Inline"} and len(only.messages) == 2


def test_an_unknown_treatment_lists_the_treatments(project):
    with pytest.raises(UnknownNameError, match="Inline"):
        preview(project, mixed_campaign(), treatment="Inlnie", now=NOW)


def test_an_empty_segment_previews_nothing_and_says_why(project):
    result = preview(project, email_campaign(SegmentId="nobody"), now=NOW)
    assert result.messages == [] and "empty segment" in result.note
    assert "No messages to show" in result._repr_html_()


def test_a_render_error_is_shown_for_that_endpoint(project):
    save_template(project, "broken", "EMAIL", {"Subject": "{{ 1 // 0 }}", "HtmlPart": "<p>x</p>"})
    campaign = email_campaign(TemplateConfiguration={"EmailTemplate": {"Name": "broken"}})
    result = preview(project, campaign, endpoint_id="e003", now=NOW)
    assert "ZeroDivisionError" in result.messages[0].error and result.messages[0].parts == {}
    assert result.messages[1].error is None
    assert "Render error" in result._repr_html_()
