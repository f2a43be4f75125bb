"""CampaignPreviewWidget: flips through sample endpoints and treatments, showing each one's rendered message."""

from __future__ import annotations

from test_campaign_run import _campaign, _project


def test_the_preview_widget_flips_through_endpoints_and_treatments(tmp_path):
    project = _project(tmp_path, n=60)
    project.campaigns.create("spring", _campaign())
    widget = project.campaigns.preview_widget("spring", sample=3)
    ids = list(widget.endpoint.options)
    assert 3 <= len(ids) <= 6 and ids == sorted(ids)
    first = widget.current
    assert first.endpoint_id == ids[0] and len(first.messages) == 1
    assert first.messages[0].treatment_id == "0" and first.messages[0].parts["Subject"].startswith("Hello ")
    assert "<iframe sandbox" in widget.view.value

    widget.treatment.value = "1"
    assert widget.current.messages[0].parts["Subject"].startswith("Hi there ")
    assert widget.current.endpoint_id == ids[0]

    widget.next()
    assert widget.current.endpoint_id == ids[1]
    widget.previous()
    widget.previous()
    assert widget.endpoint.value == ids[-1]  # wraps around

    # the plan attribute is personalised per endpoint
    plan = project.query('SELECT "Attributes.plan"[1] AS p FROM endpoints WHERE Id = ?', [ids[-1]]).item()
    assert widget.current.messages[0].parts["Subject"] == f"Hi there {plan} member"


def test_the_preview_widget_takes_a_typed_endpoint_and_names_an_unknown_one(tmp_path):
    project = _project(tmp_path, n=20)
    project.campaigns.create("spring", _campaign())
    widget = project.campaigns.preview_widget("spring", sample=1)
    widget.typed.value = "e0007"  # what pressing Enter in the box does
    assert widget.current.endpoint_id == "e0007"
    widget.typed.value = "e9999"
    assert "e9999" in widget.view.value and "e00" in widget.view.value  # close ids are named
