"""Campaign definitions: Pinpoint's WriteCampaignRequest read and written unchanged (botocore's model as the oracle),
CampaignResponse import, every validation rule naming its key path, references to segments and templates, and
versions in the catalog."""

from __future__ import annotations

import copy
import json

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.campaigns.spec import (
    CAMPAIGN_STATES,
    FREQUENCIES,
    Campaign,
    check_references,
    list_campaigns,
    load_campaign,
    save_campaign,
    set_campaign_state,
)
from workbench.delivery.timing import PINPOINT_UTC_OFFSETS
from workbench.errors import InputError, UnknownNameError
from workbench.messages.templates import save_template
from workbench.segments.segment import Segment
from workbench.store import Store
from workbench.store.definitions import MAX_INTEGER, PINPOINT_SHAPES

MODEL = botocore.session.get_session().get_service_model("pinpoint")

SAMPLE = {
    "Name": "spring-sale",
    "Description": "Two subject lines against each other, 10% held out",
    "SegmentId": "newsletter",
    "SegmentVersion": 1,
    "HoldoutPercent": 10,
    "TreatmentName": "Short subject",
    "TemplateConfiguration": {"EmailTemplate": {"Name": "welcome", "Version": "1"}},
    "AdditionalTreatments": [
        {
            "SizePercent": 45,
            "TreatmentName": "Long subject",
            "TemplateConfiguration": {"EmailTemplate": {"Name": "welcome"}},
        }
    ],
    "Schedule": {
        "StartTime": "2026-03-08T09:00:00Z",
        "EndTime": "2026-03-09T09:00:00Z",
        "Frequency": "ONCE",
        "IsLocalTime": True,
        "Timezone": "UTC-08",
        "QuietTime": {"Start": "22:00", "End": "07:00"},
    },
    "Limits": {"Daily": 1, "Total": 3, "MessagesPerSecond": 100, "MaximumDuration": 3600},
}


def botocore_accepts(request: dict) -> bool:
    op = MODEL.operation_model("CreateCampaign")
    report = ParamValidator().validate(
        {"ApplicationId": "app", "WriteCampaignRequest": request}, op.input_shape
    )
    return not report.has_errors()


def sample(**changes) -> dict:
    request = copy.deepcopy(SAMPLE)
    request.update(changes)
    return request


def make_store(path) -> Store:
    """A project with a segment (two versions) and email / SMS / push templates."""
    store = Store.create(path)
    Segment.from_json(store, {"Dimensions": {"Demographic": {"Channel": {"Values": ["EMAIL"]}}}}).save(
        "newsletter"
    )
    Segment.from_json(store, {"Dimensions": {"Demographic": {"Channel": {"Values": ["SMS"]}}}}).save(
        "newsletter"
    )
    save_template(store, "welcome", "email", {"Subject": "Hi", "HtmlPart": "<p>Hi {{User.UserId}}</p>"})
    save_template(store, "welcome", "email", {"Subject": "Hello there", "HtmlPart": "<p>Hello</p>"})
    save_template(store, "order-shipped", "sms", {"Body": "Your order is on its way"})
    save_template(store, "offer", "push", {"Default": {"Title": "Offer", "Body": "10% off"}})
    return store


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "project")


def versions(store) -> int:
    with store.connect(read_only=True, views=False) as con:
        return con.execute("SELECT count(*) FROM campaign_versions").fetchone()[0]


# --- reading and writing ------------------------------------------------------------------------------------------


def test_sample_round_trips_unchanged():
    assert botocore_accepts(SAMPLE)
    campaign = Campaign.from_json(SAMPLE)
    assert campaign.name == "spring-sale" and campaign.state == "SCHEDULED"
    assert json.loads(campaign.to_json()) == SAMPLE
    assert list(json.loads(campaign.to_json())) == list(SAMPLE)  # key order kept
    assert Campaign.from_json(json.dumps(SAMPLE)) == campaign
    assert campaign.request is not SAMPLE  # a copy: changing the input later changes nothing


def test_a_file_and_its_name_in_errors(tmp_path):
    path = tmp_path / "spring.json"
    path.write_text(json.dumps(SAMPLE), encoding="utf-8")
    assert Campaign.from_json(path).request == SAMPLE
    assert Campaign.from_json(str(path), name="other").name == "other"
    path.write_text(json.dumps(sample(HoldoutPercent=101)), encoding="utf-8")
    with pytest.raises(InputError) as err:
        Campaign.from_json(path)
    assert err.value.file == str(path) and err.value.field == "HoldoutPercent"


def _response(request: dict) -> dict:
    response = {
        "Id": "0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        "Arn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/app/campaigns/0f9a8b7c",
        "ApplicationId": "app",
        "CreationDate": "2026-02-01T10:00:00.000Z",
        "LastModifiedDate": "2026-02-02T10:00:00.000Z",
        "Version": 3,
        "State": {"CampaignStatus": "COMPLETED"},
        "DefaultState": {"CampaignStatus": "COMPLETED"},
        "tags": {"team": "growth"},
        **copy.deepcopy(request),
    }
    for i, treatment in enumerate(response.get("AdditionalTreatments", [])):
        treatment["Id"] = str(i + 1)
        treatment["State"] = {"CampaignStatus": "COMPLETED"}
    return response


def test_get_campaign_output_loads_without_its_response_fields():
    response = _response(SAMPLE)
    assert not ParamValidator().validate(response, MODEL.shape_for("CampaignResponse")).has_errors()
    for obj in (response, {"CampaignResponse": response}, json.dumps({"CampaignResponse": response})):
        campaign = Campaign.from_json(obj)
        assert campaign.request == SAMPLE
        assert botocore_accepts(campaign.request)


def test_cli_input_json_of_create_and_update():
    for obj in (
        {"ApplicationId": "app", "WriteCampaignRequest": SAMPLE},
        {"ApplicationId": "app", "CampaignId": "c1", "WriteCampaignRequest": SAMPLE},
    ):
        assert Campaign.from_json(obj).request == SAMPLE


def test_treatments_holdout_schedule_limits_segment_channels():
    campaign = Campaign.from_json(
        sample(
            AdditionalTreatments=[
                {"SizePercent": 30, "TemplateConfiguration": {"SMSTemplate": {"Name": "order-shipped"}}},
                {
                    "SizePercent": 20,
                    "TreatmentName": "Push",
                    "MessageConfiguration": {"DefaultMessage": {"Body": "hi"}},
                    "Schedule": {"StartTime": "IMMEDIATE"},
                },
            ]
        )
    )
    a, b, c = campaign.treatments
    assert (a.treatment_id, a.name, a.size_percent, a.schedule) == ("0", "Short subject", 40.0, None)
    assert a.template_configuration == {"EmailTemplate": {"Name": "welcome", "Version": "1"}}
    assert (b.treatment_id, b.name, b.size_percent, b.channels) == ("1", "Treatment B", 30.0, ["SMS"])
    assert (c.treatment_id, c.name, c.size_percent, c.schedule) == (
        "2",
        "Push",
        20.0,
        {"StartTime": "IMMEDIATE"},
    )
    assert campaign.holdout_percent == 10.0
    assert campaign.channels == ["EMAIL", "SMS", "PUSH"]
    assert campaign.segment == ("newsletter", 1)
    assert campaign.limits["Daily"] == 1 and campaign.schedule["Timezone"] == "UTC-08"
    bare = Campaign.from_json(
        {"SegmentId": "s", "MessageConfiguration": {"SMSMessage": {"Body": "x"}}}, name="b"
    )
    assert bare.schedule == {"StartTime": "IMMEDIATE"} and bare.limits == {} and bare.segment == ("s", None)
    assert [(t.name, t.size_percent) for t in bare.treatments] == [("Treatment A", 100.0)]
    custom = Campaign.from_json(
        {
            "SegmentId": "s",
            "CustomDeliveryConfiguration": {
                "DeliveryUri": "https://hooks.example.com/x",
                "EndpointTypes": ["EMAIL"],
            },
        },
        name="c",
    )
    assert custom.channels == ["CUSTOM"]


def test_is_paused_makes_it_paused():
    assert Campaign.from_json(sample(IsPaused=True)).state == "PAUSED"
    assert Campaign.from_json(sample(IsPaused=False)).state == "SCHEDULED"


# --- every validation rule names its key path ---------------------------------------------------------------------


def _schedule(**changes):
    return {**SAMPLE["Schedule"], **changes}


_EVENT_FILTER = {
    "FilterType": "ENDPOINT",
    "Dimensions": {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]}},
}

BAD = [
    # treatments and holdout
    (sample(HoldoutPercent=60), "AdditionalTreatments[0].SizePercent", "add up to 105%"),
    (
        sample(AdditionalTreatments=[{"SizePercent": 50, "MessageConfiguration": {"SMSMessage": {}}}] * 2),
        "AdditionalTreatments[1].SizePercent",
        "over 100%",
    ),
    (sample(HoldoutPercent=101), "HoldoutPercent", "outside Pinpoint's range"),
    (sample(HoldoutPercent=-1), "HoldoutPercent", "outside"),
    (
        sample(AdditionalTreatments=[{"SizePercent": 1, "MessageConfiguration": {"SMSMessage": {}}}] * 6),
        "AdditionalTreatments",
        "at most 5",
    ),
    (
        sample(AdditionalTreatments=[{"SizePrecent": 5}]),
        "AdditionalTreatments[0].SizePrecent",
        "did you mean SizePercent",
    ),
    (
        sample(AdditionalTreatments=[{"TreatmentName": "x"}]),
        "AdditionalTreatments[0].SizePercent",
        "required",
    ),
    (
        sample(
            AdditionalTreatments=[
                {"SizePercent": 5, "MessageConfiguration": {"SMSMessage": {}}},
                {"SizePercent": "5"},
            ]
        ),
        "AdditionalTreatments[1].SizePercent",
        "whole number",
    ),
    # schedules
    (sample(Schedule=_schedule(Timezone="America/New_York")), "Schedule.Timezone", "UTC offsets"),
    (sample(Schedule=_schedule(Timezone="UTC+5")), "Schedule.Timezone", "did you mean UTC+05"),
    (
        sample(Schedule=_schedule(QuietTime={"Start": "7:00", "End": "09:00"})),
        "Schedule.QuietTime.Start",
        "HH:MM",
    ),
    (
        sample(Schedule=_schedule(QuietTime={"Start": "22:00", "End": "24:00"})),
        "Schedule.QuietTime.End",
        "HH:MM",
    ),
    (sample(Schedule=_schedule(QuietTime={"Start": "22:00"})), "Schedule.QuietTime.End", "needs End"),
    (sample(Schedule=_schedule(EndTime="2026-03-01T09:00:00Z")), "Schedule.EndTime", "not after StartTime"),
    (sample(Schedule=_schedule(EndTime="2026-03-08T09:00:00Z")), "Schedule.EndTime", "not after StartTime"),
    (sample(Schedule=_schedule(StartTime="tomorrow")), "Schedule.StartTime", "ISO 8601"),
    (sample(Schedule=_schedule(Frequency="EVENT")), "Schedule.EventFilter", "needs an EventFilter"),
    (sample(Schedule=_schedule(EventFilter=_EVENT_FILTER)), "Schedule.Frequency", "needs Frequency EVENT"),
    (sample(Schedule=_schedule(Frequency="IN_APP_EVENT")), "Schedule.Frequency", "in-app"),
    (sample(Schedule=_schedule(Frequency="WEEKLY ")), "Schedule.Frequency", "did you mean WEEKLY"),
    (
        sample(
            Schedule=_schedule(
                Frequency="EVENT", EventFilter={"FilterType": "SYSTEM", "Dimensions": {"EventTyp": {}}}
            )
        ),
        "Schedule.EventFilter.Dimensions.EventTyp",
        "EventType",
    ),
    (
        sample(
            AdditionalTreatments=[
                {
                    "SizePercent": 5,
                    "SMSMessage": {},
                    "Schedule": {"StartTime": "IMMEDIATE", "Timezone": "GMT"},
                }
            ]
        ),
        "AdditionalTreatments[0].SMSMessage",
        "unknown key",
    ),
    (
        sample(
            AdditionalTreatments=[
                {
                    "SizePercent": 5,
                    "MessageConfiguration": {"SMSMessage": {}},
                    "Schedule": {"StartTime": "IMMEDIATE", "Timezone": "GMT"},
                }
            ]
        ),
        "AdditionalTreatments[0].Schedule.Timezone",
        "UTC offsets",
    ),
    # limits
    (sample(Limits={"MessagesPerSecond": 0}), "Limits.MessagesPerSecond", "1 to 20,000"),
    (sample(Limits={"MessagesPerSecond": 20_001}), "Limits.MessagesPerSecond", "1 to 20,000"),
    (sample(Limits={"Daily": 101}), "Limits.Daily", "0 to 100"),
    (sample(Limits={"Total": 101}), "Limits.Total", "0 to 100"),
    (sample(Limits={"MaximumDuration": 59}), "Limits.MaximumDuration", "at least 60"),
    (sample(Limits={"Daily": 10**30}), "Limits.Daily", "too large"),
    # channels and templates
    (sample(TemplateConfiguration={}), "MessageConfiguration", "no channel"),
    (
        sample(AdditionalTreatments=[{"SizePercent": 5, "MessageConfiguration": {}}]),
        "AdditionalTreatments[0]",
        "no channel",
    ),
    (
        sample(MessageConfiguration={"InAppMessage": {"Body": "x"}}),
        "MessageConfiguration.InAppMessage",
        "in-app",
    ),
    (
        sample(TemplateConfiguration={"VoiceTemplate": {"Name": "x"}}),
        "TemplateConfiguration.VoiceTemplate",
        "voice",
    ),
    (
        sample(TemplateConfiguration={"EmailTemplate": {"Name": "welcome", "Version": "latest"}}),
        "TemplateConfiguration.EmailTemplate.Version",
        "not a template version",
    ),
    (
        sample(TemplateConfiguration={"EmailTemplate": {"Version": "1"}}),
        "TemplateConfiguration.EmailTemplate.Name",
        "Name",
    ),
    (
        sample(MessageConfiguration={"CustomMessage": {"Data": "x"}}),
        "CustomDeliveryConfiguration",
        "DeliveryUri",
    ),
    (
        sample(
            MessageConfiguration={"CustomMessage": {"Data": "x" * 5121}},
            CustomDeliveryConfiguration={"DeliveryUri": "https://example.com"},
        ),
        "MessageConfiguration.CustomMessage.Data",
        "5,120",
    ),
    (
        sample(MessageConfiguration={"EmailMessage": {"Title": 3}}),
        "MessageConfiguration.EmailMessage.Title",
        "string",
    ),
    # segment and name
    ({k: v for k, v in SAMPLE.items() if k != "SegmentId"}, "SegmentId", "needs a SegmentId"),
    (sample(SegmentId=" "), "SegmentId", "empty"),
    (sample(SegmentVersion=0), "SegmentVersion", "at least 1"),
    ({k: v for k, v in SAMPLE.items() if k != "Name"}, "Name", "needs a name"),
    (sample(Name="a\nb"), "Name", "control characters"),
    (sample(Name="x" * 151), "Name", "1-150"),
]


@pytest.mark.parametrize(("request_", "field", "words"), BAD)
def test_each_rule_names_the_file_and_key_path(request_, field, words):
    with pytest.raises(InputError) as err:
        Campaign.from_json(request_, file="spring.json")
    assert (err.value.field, err.value.file) == (field, "spring.json")
    assert words in err.value.reason
    assert str(err.value).startswith(f"spring.json: field {field}: ")


def test_limits_at_the_edges_are_accepted():
    for limits in (
        {"Daily": 100, "Total": 100, "MessagesPerSecond": 20_000, "MaximumDuration": 60},
        {"Daily": 0, "Total": 0, "MessagesPerSecond": 1},
    ):
        assert Campaign.from_json(sample(Limits=limits)).limits == limits
    full = sample(HoldoutPercent=55)  # 55 + 45 = 100: the default treatment gets nothing, allowed
    assert Campaign.from_json(full).treatments[0].size_percent == 0.0


def test_event_campaign_with_its_filter():
    request = sample(
        Schedule={"StartTime": "2026-03-08T09:00:00Z", "Frequency": "EVENT", "EventFilter": _EVENT_FILTER}
    )
    assert Campaign.from_json(request).schedule["EventFilter"] == _EVENT_FILTER


@pytest.mark.parametrize("value", ["[]", '"x"', "3", "null", "{"])
def test_top_level_must_be_an_object(value):
    with pytest.raises(InputError):
        Campaign.from_json(value, name="x")


# --- references ---------------------------------------------------------------------------------------------------


def test_references_to_segments_and_templates(store):
    campaign = Campaign.from_json(SAMPLE)
    check_references(store, campaign)
    segment_id = store.query("SELECT segment_id FROM segments").item()
    check_references(store, Campaign.from_json(sample(SegmentId=segment_id, SegmentVersion=2)))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"SegmentId": "newsleter"},
            ["SegmentId", "no segment named 'newsleter'", "did you mean newsletter"],
        ),
        ({"SegmentVersion": 7}, ["SegmentId", "has no version 7", "versions: 1, 2"]),
        (
            {"TemplateConfiguration": {"EmailTemplate": {"Name": "welcom"}}},
            ["TemplateConfiguration.EmailTemplate", "did you mean welcome"],
        ),
        (
            {"TemplateConfiguration": {"EmailTemplate": {"Name": "welcome", "Version": "9"}}},
            ["TemplateConfiguration.EmailTemplate", "has no version 9", "versions: 1, 2"],
        ),
        (
            {"TemplateConfiguration": {"EmailTemplate": {"Name": "order-shipped"}}},
            ["no EMAIL template named 'order-shipped'", "SMS template of that name"],
        ),
        (
            {
                "AdditionalTreatments": [
                    {"SizePercent": 5, "TemplateConfiguration": {"PushTemplate": {"Name": "ofer"}}}
                ]
            },
            ["AdditionalTreatments[0].TemplateConfiguration.PushTemplate", "did you mean offer"],
        ),
    ],
)
def test_unknown_references_name_close_ones_and_nothing_is_saved(store, changes, words):
    with pytest.raises(UnknownNameError) as err:
        save_campaign(store, "spring-sale", sample(**changes))
    for word in words:
        assert word in str(err.value)
    assert str(err.value).startswith("campaign 'spring-sale', ")
    assert versions(store) == 0


# --- storage ------------------------------------------------------------------------------------------------------


def test_save_load_list_and_state(store):
    one = save_campaign(store, "spring-sale", SAMPLE)
    assert (one.version, one.state) == (1, "SCHEDULED") and one.campaign_id
    two = save_campaign(store, "spring-sale", sample(IsPaused=True))
    assert (two.version, two.state, two.campaign_id) == (2, "PAUSED", one.campaign_id)
    loaded = load_campaign(store, "spring-sale")
    assert (loaded.version, loaded.state, loaded.request) == (2, "PAUSED", sample(IsPaused=True))
    assert load_campaign(store, one.campaign_id, version=1).request == SAMPLE
    set_campaign_state(store, "spring-sale", "EXECUTING")
    assert load_campaign(store, "spring-sale").state == "EXECUTING"
    with pytest.raises(InputError, match="not a campaign state"):
        set_campaign_state(store, "spring-sale", "RUNNING")
    with pytest.raises(UnknownNameError, match="did you mean spring-sale"):
        load_campaign(store, "spring-sal")
    (row,) = list_campaigns(store)
    assert {
        k: row[k]
        for k in ("name", "state", "version", "segment", "segment_version", "channels", "treatments")
    } == {
        "name": "spring-sale",
        "state": "EXECUTING",
        "version": 2,
        "segment": "newsletter",
        "segment_version": 1,
        "channels": ["EMAIL"],
        "treatments": 2,
    }
    assert row["holdout_percent"] == 10.0 and row["frequency"] == "ONCE"
    assert set(CAMPAIGN_STATES) >= {"SCHEDULED", "PAUSED", "DELETED"}


def test_nothing_is_saved_when_refused(store):
    save_campaign(store, "spring-sale", SAMPLE)
    for bad in (sample(HoldoutPercent=90), sample(Limits={"Daily": 500}), "{not json"):
        with pytest.raises(InputError):
            save_campaign(store, "spring-sale", bad)
    assert versions(store) == 1
    assert load_campaign(store, "spring-sale").version == 1


# --- botocore's model as the oracle: what it accepts (within the rules) we accept and write back unchanged -------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_NAME = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20).filter(
    lambda s: s.strip()
)
_CLOCK = st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59))
_EVENT_DIMENSIONS = st.fixed_dictionaries(
    {},
    optional={
        "EventType": st.fixed_dictionaries(
            {"Values": st.lists(_NAME, min_size=1, max_size=3)},
            optional={"DimensionType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE"])},
        ),
        "Attributes": st.dictionaries(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            st.fixed_dictionaries(
                {"Values": st.lists(_NAME, min_size=1, max_size=2)},
                optional={"AttributeType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE", "CONTAINS"])},
            ),
            max_size=2,
        ),
        "Metrics": st.dictionaries(
            st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            st.fixed_dictionaries(
                {
                    "ComparisonOperator": st.sampled_from(["GREATER_THAN", "LESS_THAN", "EQUAL"]),
                    "Value": st.floats(-1e6, 1e6),
                }
            ),
            max_size=2,
        ),
    },
)
_EVENT_FILTER_ST = st.fixed_dictionaries(
    {"FilterType": st.sampled_from(["SYSTEM", "ENDPOINT"]), "Dimensions": _EVENT_DIMENSIONS}
)


@st.composite
def _schedules(draw):
    frequency = draw(st.sampled_from(FREQUENCIES))
    start = draw(st.sampled_from(["IMMEDIATE", "2026-03-08T09:00:00Z", "2026-01-01T00:00:00+05:30"]))
    schedule = {"StartTime": start}
    if draw(st.booleans()):
        schedule["Frequency"] = frequency
    else:
        frequency = "ONCE"
    if frequency == "EVENT":
        schedule["EventFilter"] = draw(_EVENT_FILTER_ST)
    if draw(st.booleans()):
        schedule["EndTime"] = "2027-01-01T00:00:00Z"
    if draw(st.booleans()):
        schedule["IsLocalTime"] = draw(st.booleans())
    if draw(st.booleans()):
        schedule["Timezone"] = draw(st.sampled_from(PINPOINT_UTC_OFFSETS))
    if draw(st.booleans()):
        schedule["QuietTime"] = draw(
            st.sampled_from([{}]) | st.fixed_dictionaries({"Start": _CLOCK, "End": _CLOCK})
        )
    keys = list(schedule)
    order = draw(st.permutations(keys))
    return {k: schedule[k] for k in order}


def _from_shape(name: str, depth: int = 0):
    """Values of a model shape, for the parts without rules of their own (texts, flags, push messages...)."""
    spec = PINPOINT_SHAPES[name]
    kind = spec[0]
    if kind == "structure":
        members = spec[1]
        return st.fixed_dictionaries(
            {k: _from_shape(members[k], depth + 1) for k in spec[2]},
            optional={}
            if depth > 4
            else {k: _from_shape(v, depth + 1) for k, v in members.items() if k not in spec[2]},
        )
    if kind == "list":
        return st.lists(_from_shape(spec[1], depth + 1), max_size=2)
    if kind == "map":
        return st.dictionaries(_from_shape(spec[1], depth + 1), _from_shape(spec[2], depth + 1), max_size=2)
    if kind == "string":
        return st.sampled_from(spec[1]) if len(spec) > 1 else _TEXT
    if kind == "integer":
        return st.integers(-MAX_INTEGER, MAX_INTEGER)
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(kind)


_PUSH = _from_shape("Message")
_MESSAGES = st.fixed_dictionaries(
    {},
    optional={
        "EmailMessage": _from_shape("CampaignEmailMessage"),
        "SMSMessage": _from_shape("CampaignSmsMessage"),
        "DefaultMessage": _PUSH,
        "APNSMessage": _PUSH,
        "GCMMessage": _PUSH,
        "ADMMessage": _PUSH,
        "BaiduMessage": _PUSH,
    },
)
_TEMPLATE = st.fixed_dictionaries({"Name": _NAME}, optional={"Version": st.integers(1, 10**9).map(str)})
_TEMPLATES = st.fixed_dictionaries(
    {}, optional={"EmailTemplate": _TEMPLATE, "SMSTemplate": _TEMPLATE, "PushTemplate": _TEMPLATE}
)
_CUSTOM = st.fixed_dictionaries(
    {
        "DeliveryUri": st.sampled_from(
            ["https://hooks.example.com/a", "arn:aws:lambda:us-east-1:1:function:f"]
        )
    },
    optional={"EndpointTypes": st.lists(st.sampled_from(["EMAIL", "SMS", "GCM", "APNS"]), max_size=3)},
)


@st.composite
def _message_parts(draw):
    """(MessageConfiguration, TemplateConfiguration, CustomDeliveryConfiguration or None) that send on a channel."""
    messages = draw(_MESSAGES)
    templates = draw(_TEMPLATES)
    custom = draw(st.none() | _CUSTOM)
    if custom is not None and draw(st.booleans()):
        messages["CustomMessage"] = {"Data": draw(_TEXT)}
    if not messages and not templates and custom is None:
        messages["SMSMessage"] = draw(_from_shape("CampaignSmsMessage"))
    return messages, templates, custom


@st.composite
def _campaigns(draw):
    holdout = draw(st.integers(0, 40))
    request: dict = {"SegmentId": draw(_NAME)}
    if draw(st.booleans()):
        request["Name"] = draw(_NAME)
    if draw(st.booleans()):
        request["SegmentVersion"] = draw(st.integers(1, 50))
    if holdout or draw(st.booleans()):
        request["HoldoutPercent"] = holdout
    messages, templates, custom = draw(_message_parts())
    if messages or draw(st.booleans()):
        request["MessageConfiguration"] = messages
    if templates or draw(st.booleans()):
        request["TemplateConfiguration"] = templates
    if custom is not None:
        request["CustomDeliveryConfiguration"] = custom
    treatments = []
    for _ in range(draw(st.integers(0, 5))):
        messages, templates, custom = draw(_message_parts())
        treatment = {"SizePercent": draw(st.integers(0, 12))}
        for key, value in (("MessageConfiguration", messages), ("TemplateConfiguration", templates)):
            if value:
                treatment[key] = value
        if custom is not None:
            treatment["CustomDeliveryConfiguration"] = custom
        if draw(st.booleans()):
            treatment["Schedule"] = draw(_schedules())
        for key in ("TreatmentName", "TreatmentDescription"):
            if draw(st.booleans()):
                treatment[key] = draw(_TEXT)
        treatments.append(treatment)
    if treatments or draw(st.booleans()):
        request["AdditionalTreatments"] = treatments
    if draw(st.booleans()):
        request["Schedule"] = draw(_schedules())
    if draw(st.booleans()):
        request["Limits"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "Daily": st.integers(0, 100),
                    "Total": st.integers(0, 100),
                    "MessagesPerSecond": st.integers(1, 20_000),
                    "MaximumDuration": st.integers(60, MAX_INTEGER),
                    "Session": st.integers(0, 1000),
                },
            )
        )
    extra = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "Description": _TEXT,
                "TreatmentName": _TEXT,
                "TreatmentDescription": _TEXT,
                "IsPaused": st.booleans(),
                "Priority": st.integers(1, 5),
                "Hook": _from_shape("CampaignHook"),
                "tags": _from_shape("MapOf__string"),
            },
        )
    )
    request.update(extra)
    order = draw(st.permutations(list(request)))
    return {k: request[k] for k in order}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_campaigns())
def test_every_request_botocore_accepts_round_trips_unchanged(request_):
    assert botocore_accepts(request_)
    campaign = Campaign.from_json(request_, name="fuzz")
    assert campaign.request == request_
    assert list(campaign.request) == list(request_)
    assert json.loads(campaign.to_json()) == request_
    assert botocore_accepts(json.loads(campaign.to_json()))
    assert Campaign.from_json(_response(request_), name="fuzz").request == {
        k: v for k, v in request_.items() if k != "tags"
    }
    sizes = sum(t.size_percent for t in campaign.treatments)
    assert sizes + campaign.holdout_percent == pytest.approx(100.0)


# --- fuzz: mangled requests raise InputError / UnknownNameError only, and nothing is saved then ------------------

_JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(-(10**40), 10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)  # lone surrogates included
    | st.sampled_from(["", "IMMEDIATE", "EVENT", "UTC+05:30", "25:61", "2026-13-45T99:00:00Z", "P1D", "\x00"])
)
_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*path, i))


@st.composite
def mangled(draw, base):
    request = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(request))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            if action == "replace":
                request = draw(_JSON)
            continue
        parent = request
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = draw(_JSON)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(_JSON)
        else:
            parent.append(draw(_JSON))
    return request


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(mangled(st.just(SAMPLE) | _campaigns()))
def test_mangled_requests_are_refused_cleanly(tmp_path_factory, request_):
    store = _fuzz_store(tmp_path_factory)
    before = versions(store)
    try:
        saved = save_campaign(store, "fuzz", request_)
    except (InputError, UnknownNameError):
        assert versions(store) == before
    else:
        assert versions(store) == before + 1
        assert load_campaign(store, "fuzz").request == saved.request


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | st.binary(max_size=200) | _JSON)
def test_random_input_raises_input_error_only(source):
    try:
        Campaign.from_json(source, name="fuzz")
    except InputError:
        pass


_STORES: dict = {}


def _fuzz_store(factory) -> Store:
    """One project for all fuzz examples (a fresh one per example would take most of the test's time)."""
    if "store" not in _STORES:
        _STORES["store"] = make_store(factory.mktemp("fuzz") / "project")
    return _STORES["store"]
