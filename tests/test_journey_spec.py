"""Journey definitions: Pinpoint's WriteJourneyRequest read and written unchanged (botocore's model as the oracle),
JourneyResponse import, the value checks and the save-time checks of the whole journey (each naming the activity),
references to segments and templates, and versions in the catalog."""

from __future__ import annotations

import copy
import json

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_campaign_spec import _EVENT_DIMENSIONS, _JSON, _NAME, _TEXT, _from_shape, make_store, mangled

from workbench.delivery.timing import JOURNEY_UTC_OFFSETS
from workbench.errors import InputError, UnknownNameError
from workbench.journeys.spec import (
    ACTIVITY_TYPES,
    JOURNEY_STATES,
    Journey,
    cycle_without,
    list_journeys,
    load_journey,
    parse_duration,
    save_journey,
    set_journey_state,
    unreachable_activities,
    validate_journey,
)

MODEL = botocore.session.get_session().get_service_model("pinpoint")

OPENED = {
    "EventCondition": {
        "Dimensions": {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["_email.open"]}},
        "MessageActivity": "welcome",
    }
}
SAMPLE = {
    "Name": "welcome",
    "StartCondition": {"SegmentStartCondition": {"SegmentId": "newsletter"}},
    "StartActivity": "welcome",
    "Activities": {
        "welcome": {"EMAIL": {"TemplateName": "welcome", "TemplateVersion": "1", "NextActivity": "wait2d"}},
        "wait2d": {"Wait": {"WaitTime": {"WaitFor": "P2D"}, "NextActivity": "opened"}},
        "opened": {
            "ConditionalSplit": {
                "Condition": {"Operator": "ALL", "Conditions": [OPENED]},
                "EvaluationWaitTime": {"WaitFor": "PT1H"},
                "TrueActivity": "plan",
                "FalseActivity": "reminder",
            }
        },
        "reminder": {"SMS": {"TemplateName": "order-shipped", "NextActivity": "hold"}},
        "hold": {"Holdout": {"Percentage": 10, "NextActivity": "ab"}},
        "ab": {
            "RandomSplit": {"Branches": [{"Percentage": 50, "NextActivity": "offer"}, {"Percentage": 50}]}
        },
        "plan": {
            "MultiCondition": {
                "Branches": [
                    {"Condition": {"SegmentCondition": {"SegmentId": "newsletter"}}, "NextActivity": "offer"},
                    {"Condition": {"SegmentDimensions": {"Demographic": {"Platform": {"Values": ["ios"]}}}}},
                ],
                "DefaultActivity": "offer",
            }
        },
        "offer": {"PUSH": {"TemplateName": "offer"}, "Description": "the last step"},
    },
    "Limits": {
        "DailyCap": 2,
        "EndpointReentryCap": 1,
        "EndpointReentryInterval": "P7D",
        "MessagesPerSecond": 50,
        "TotalCap": 5,
        "TimeframeCap": {"Cap": 3, "Days": 7},
    },
    "QuietTime": {"Start": "22:00", "End": "07:00"},
    "Schedule": {
        "StartTime": "2026-03-01T00:00:00Z",
        "EndTime": "2026-06-01T00:00:00Z",
        "Timezone": "UTC+01",
    },
    "LocalTime": True,
    "RefreshFrequency": "PT1H",
}


def botocore_accepts(request: dict) -> bool:
    op = MODEL.operation_model("CreateJourney")
    report = ParamValidator().validate(
        {"ApplicationId": "app", "WriteJourneyRequest": request}, op.input_shape
    )
    return not report.has_errors()


def sample(**changes) -> dict:
    request = copy.deepcopy(SAMPLE)
    request.update(changes)
    return request


def with_activity(activity_id: str, activity: dict | None, request: dict | None = None) -> dict:
    """SAMPLE with one activity replaced (None: removed)."""
    request = copy.deepcopy(request or SAMPLE)
    if activity is None:
        del request["Activities"][activity_id]
    else:
        request["Activities"][activity_id] = activity
    return request


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "project")


def versions(store) -> int:
    with store.connect(read_only=True, views=False) as con:
        return con.execute("SELECT count(*) FROM journey_versions").fetchone()[0]


# --- reading and writing ------------------------------------------------------------------------------------------


def test_sample_round_trips_unchanged_and_is_valid():
    assert botocore_accepts(SAMPLE)
    journey = Journey.from_json(SAMPLE)
    assert (journey.name, journey.state) == ("welcome", "DRAFT")
    assert json.loads(journey.to_json()) == SAMPLE and list(journey.request) == list(SAMPLE)
    assert Journey.from_json(json.dumps(SAMPLE)) == journey
    validate_journey(journey)


def test_get_journey_output_loads_as_a_draft():
    response = {
        "Id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "ApplicationId": "app",
        "CreationDate": "2026-02-01T10:00:00.000Z",
        "LastModifiedDate": "2026-02-02T10:00:00.000Z",
        "State": "COMPLETED",
        "tags": {"team": "growth"},
        **copy.deepcopy(SAMPLE),
    }
    assert not ParamValidator().validate(response, MODEL.shape_for("JourneyResponse")).has_errors()
    for obj in (response, {"JourneyResponse": response}):
        journey = Journey.from_json(obj)
        assert journey.request == SAMPLE and journey.state == "DRAFT"
    assert Journey.from_json({"ApplicationId": "app", "WriteJourneyRequest": SAMPLE}).request == SAMPLE


def test_state_in_a_request():
    assert Journey.from_json(sample(State="ACTIVE")).state == "ACTIVE"
    assert Journey.from_json(sample(State="DRAFT")).state == "DRAFT"
    with pytest.raises(InputError) as err:
        Journey.from_json(sample(State="COMPLETED"))
    assert err.value.field == "State" and "DRAFT or ACTIVE" in err.value.reason


def test_the_name_fills_in_a_missing_name():
    request = {k: v for k, v in SAMPLE.items() if k != "Name"}
    journey = Journey.from_json(request, name="onboarding")
    assert journey.name == "onboarding" and journey.request["Name"] == "onboarding"
    assert botocore_accepts(journey.request)
    with pytest.raises(InputError) as err:
        Journey.from_json(request)
    assert err.value.field == "Name"


def test_activities_types_and_next_activities():
    journey = Journey.from_json(SAMPLE)
    assert list(journey.activities) == list(SAMPLE["Activities"]) and journey.start_activity == "welcome"
    types = {a: journey.activity_type(a) for a in journey.activities}
    assert types == {
        "welcome": "EMAIL",
        "wait2d": "Wait",
        "opened": "ConditionalSplit",
        "reminder": "SMS",
        "hold": "Holdout",
        "ab": "RandomSplit",
        "plan": "MultiCondition",
        "offer": "PUSH",
    }
    assert set(types.values()) <= set(ACTIVITY_TYPES)
    assert journey.next_activities("welcome") == [("", "wait2d")]
    assert journey.next_activities("opened") == [("True", "plan"), ("False", "reminder")]
    assert journey.next_activities("plan") == [("Branch_1", "offer"), ("Else", "offer")]
    assert journey.next_activities("ab") == [("Branch_1", "offer")]
    assert journey.next_activities("hold") == [("", "ab")]
    assert journey.next_activities("offer") == []
    with pytest.raises(UnknownNameError, match="did you mean offer"):
        journey.next_activities("ofer")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT1H", 3600),
        ("P1D", 86400),
        ("P2W", 14 * 86400),
        ("P1DT12H", 129600),
        ("PT90M", 5400),
        ("PT0.5S", 0.5),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text, field="f").total_seconds() == seconds


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "1H", "P1H", "PT1D", "P1DT", "P99999999999999Y", "PT-1H", 3600]
)
def test_bad_durations(text):
    with pytest.raises(InputError) as err:
        parse_duration(text, field="Limits.EndpointReentryInterval", file="j.json")
    assert err.value.field == "Limits.EndpointReentryInterval" and err.value.file == "j.json"


# --- value checks (Journey.from_json) ----------------------------------------------------------------------------

A = "Activities"
VALUE_RULES = [
    (
        with_activity("welcome-email", {"EMAIL": {"TemplateName": "x"}}),
        f"{A}.welcome-email",
        "letters and digits",
    ),
    (
        with_activity("x", {"EMAIL": {"TemplateName": "x"}, "SMS": {"TemplateName": "y"}}),
        f"{A}.x",
        "EMAIL and SMS",
    ),
    (with_activity("x", {"Description": "nothing"}), f"{A}.x", "has none"),
    (with_activity("x", {"Wait": {"NextActivity": "offer"}}), f"{A}.x.Wait.WaitTime", "needs WaitTime"),
    (
        with_activity("x", {"Wait": {"WaitTime": {"WaitFor": "2 days"}}}),
        f"{A}.x.Wait.WaitTime.WaitFor",
        "ISO 8601",
    ),
    (
        with_activity("x", {"Wait": {"WaitTime": {"WaitFor": "P1D", "WaitUntil": "2026-03-01"}}}),
        f"{A}.x.Wait.WaitTime",
        "one of",
    ),
    (
        with_activity("x", {"Wait": {"WaitTime": {"WaitUntil": "next monday"}}}),
        f"{A}.x.Wait.WaitTime.WaitUntil",
        "ISO 8601",
    ),
    (with_activity("hold", {"Holdout": {"Percentage": 101}}), f"{A}.hold.Holdout.Percentage", "0 to 100"),
    (with_activity("hold", {"Holdout": {}}), f"{A}.hold.Holdout.Percentage", "required"),
    (
        with_activity("ab", {"RandomSplit": {"Branches": [{"Percentage": 150}]}}),
        f"{A}.ab.RandomSplit.Branches[0].Percentage",
        "0 to 100",
    ),
    (
        with_activity("welcome", {"EMAIL": {"TemplateName": "welcome", "TemplateVersion": "v1"}}),
        f"{A}.welcome.EMAIL.TemplateVersion",
        "not a template version",
    ),
    (
        with_activity(
            "opened",
            {
                "ConditionalSplit": {
                    "Condition": {"Conditions": [{**OPENED, "SegmentCondition": {"SegmentId": "s"}}]}
                }
            },
        ),
        f"{A}.opened.ConditionalSplit.Condition.Conditions[0]",
        "EventCondition and SegmentCondition",
    ),
    (
        with_activity(
            "opened",
            {
                "ConditionalSplit": {
                    "Condition": {
                        "Conditions": [{"EventCondition": {"Dimensions": {"EventType": {"Values": "open"}}}}]
                    }
                }
            },
        ),
        f"{A}.opened.ConditionalSplit.Condition.Conditions[0].EventCondition.Dimensions.EventType.Values",
        "list",
    ),
    (
        with_activity(
            "plan",
            {
                "MultiCondition": {
                    "Branches": [
                        {
                            "Condition": {
                                "SegmentDimensions": {"Demographic": {"Platfrom": {"Values": ["ios"]}}}
                            }
                        }
                    ]
                }
            },
        ),
        f"{A}.plan.MultiCondition.Branches[0].Condition.SegmentDimensions.Demographic.Platfrom",
        "did you mean Platform",
    ),
    (
        with_activity("opened", {"ConditionalSplit": {"EvaluationWaitTime": {"WaitFor": "1h"}}}),
        f"{A}.opened.ConditionalSplit.EvaluationWaitTime.WaitFor",
        "ISO 8601",
    ),
    (sample(Limits={"DailyCap": 101}), "Limits.DailyCap", "0 to 100"),
    (sample(Limits={"EndpointReentryCap": 101}), "Limits.EndpointReentryCap", "0 to 100"),
    (sample(Limits={"TotalCap": 101}), "Limits.TotalCap", "0 to 100"),
    (sample(Limits={"TimeframeCap": {"Cap": 101, "Days": 1}}), "Limits.TimeframeCap.Cap", "0 to 100"),
    (sample(Limits={"TimeframeCap": {"Cap": 1, "Days": 31}}), "Limits.TimeframeCap.Days", "0 to 30"),
    (sample(Limits={"MessagesPerSecond": 0}), "Limits.MessagesPerSecond", "1 to 20,000"),
    (sample(Limits={"EndpointReentryInterval": "weekly"}), "Limits.EndpointReentryInterval", "ISO 8601"),
    (sample(RefreshFrequency="hourly"), "RefreshFrequency", "ISO 8601"),
    (sample(QuietTime={"Start": "10pm", "End": "07:00"}), "QuietTime.Start", "HH:MM"),
    (sample(Schedule={"Timezone": "Europe/Paris"}), "Schedule.Timezone", "UTC offsets"),
    (
        sample(Schedule={"StartTime": "2026-03-01T00:00:00Z", "EndTime": "2026-02-01T00:00:00Z"}),
        "Schedule.EndTime",
        "before the start",
    ),
    (sample(Schedule={"StartTime": "first of march"}), "Schedule.StartTime", "ISO 8601"),
    (
        sample(OpenHours={"EMAIL": {"MONDAY": [{"StartTime": "9:00", "EndTime": "17:00"}]}}),
        "OpenHours.EMAIL.MONDAY[0].StartTime",
        "HH:MM",
    ),
    (
        sample(
            StartCondition={
                "EventStartCondition": {
                    "EventFilter": {"FilterType": "ENDPOINT", "Dimensions": {"Metric": {}}}
                }
            }
        ),
        "StartCondition.EventStartCondition.EventFilter.Dimensions.Metric",
        "Metrics",
    ),
    (sample(Name=""), "Name", "1-150"),
    (sample(Activitys={}), "Activitys", "did you mean Activities"),
    (sample(Limits={"DailyCap": "2"}), "Limits.DailyCap", "whole number"),
]


@pytest.mark.parametrize(("request_", "field", "words"), VALUE_RULES)
def test_value_rules_name_the_file_and_key_path(request_, field, words):
    with pytest.raises(InputError) as err:
        Journey.from_json(request_, file="welcome.json")
    assert (err.value.field, err.value.file) == (field, "welcome.json")
    assert words in err.value.reason


def test_journey_offsets_are_the_journey_list():
    assert (
        Journey.from_json(sample(Schedule={"Timezone": "UTC+08:45"})).request["Schedule"]["Timezone"]
        == "UTC+08:45"
    )
    assert "UTC+08:45" in JOURNEY_UTC_OFFSETS


# --- save-time checks (validate_journey), each naming the activity -------------------------------------------------


def _chain(n: int, kind: str = "EMAIL") -> dict:
    activities = {}
    for i in range(n):
        body = {"TemplateName": "welcome"} if kind == "EMAIL" else {}
        if i + 1 < n:
            body["NextActivity"] = f"a{i + 1}"
        activities[f"a{i}"] = {kind: body}
    return sample(StartActivity="a0", Activities=activities)


GRAPH_RULES = [
    (
        with_activity("orphan", {"SMS": {"TemplateName": "order-shipped"}}),
        f"{A}.orphan",
        ["'orphan' is unreachable", "'welcome'"],
    ),
    (
        with_activity("offer", {"PUSH": {"TemplateName": "offer", "NextActivity": "opened"}}),
        f"{A}.opened",
        ["cycle without a Wait", "opened -> plan -> offer -> opened"],
    ),
    (
        with_activity("offer", {"PUSH": {"TemplateName": "offer", "NextActivity": "offer"}}),
        f"{A}.offer",
        ["offer -> offer"],
    ),
    (
        with_activity(
            "wait2d",
            {"Wait": {"WaitTime": {"WaitUntil": "2026-04-01T00:00:00Z"}, "NextActivity": "opened"}},
            with_activity("offer", {"PUSH": {"TemplateName": "offer", "NextActivity": "wait2d"}}),
        ),
        f"{A}.wait2d",
        ["cycle without a Wait", "WaitFor"],
    ),
    (
        with_activity("welcome", {"EMAIL": {"TemplateName": "welcome", "NextActivity": "wait2"}}),
        f"{A}.welcome.EMAIL.NextActivity",
        ["'welcome' goes to 'wait2'", "did you mean wait2d"],
    ),
    (
        with_activity(
            "opened",
            {
                "ConditionalSplit": {
                    "Condition": {"Conditions": [OPENED]},
                    "TrueActivity": "plan",
                    "FalseActivity": "nowhere",
                }
            },
        ),
        f"{A}.opened.ConditionalSplit.FalseActivity",
        ["'nowhere', which is not an activity"],
    ),
    (
        with_activity("welcome", {"EMAIL": {"NextActivity": "wait2d"}}),
        f"{A}.welcome.EMAIL.TemplateName",
        ["'welcome' needs a TemplateName"],
    ),
    (
        with_activity("welcome", {"EMAIL": {"TemplateName": "  ", "NextActivity": "wait2d"}}),
        f"{A}.welcome.EMAIL.TemplateName",
        ["needs a TemplateName"],
    ),
    (
        with_activity("offer", {"CUSTOM": {"MessageConfig": {"Data": "{}"}}}),
        f"{A}.offer.CUSTOM.DeliveryUri",
        ["'offer' needs a DeliveryUri"],
    ),
    (
        with_activity(
            "ab",
            {"RandomSplit": {"Branches": [{"Percentage": 50, "NextActivity": "offer"}, {"Percentage": 40}]}},
        ),
        f"{A}.ab.RandomSplit.Branches",
        ["'ab'", "add up to 90, not 100"],
    ),
    (
        with_activity("ab", {"RandomSplit": {"Branches": [{"Percentage": 20}] * 6}}),
        f"{A}.ab.RandomSplit.Branches",
        ["6 branches"],
    ),
    (
        with_activity(
            "plan",
            {
                "MultiCondition": {
                    "Branches": [
                        {"Condition": {"SegmentCondition": {"SegmentId": "s"}}, "NextActivity": "offer"}
                    ]
                    * 5
                }
            },
        ),
        f"{A}.plan.MultiCondition.Branches",
        ["'plan' has 5 branches", "1 to 4"],
    ),
    (
        with_activity("plan", {"MultiCondition": {"Branches": [{"NextActivity": "offer"}]}}),
        f"{A}.plan.MultiCondition.Branches[0].Condition",
        ["needs a Condition"],
    ),
    (
        with_activity(
            "opened", {"ConditionalSplit": {"Condition": {"Conditions": []}, "TrueActivity": "plan"}}
        ),
        f"{A}.opened.ConditionalSplit.Condition.Conditions",
        ["at least one condition"],
    ),
    (
        with_activity(
            "opened",
            {
                "ConditionalSplit": {
                    "Condition": {"Conditions": [{"EventCondition": {"MessageActivity": "wait2d"}}]},
                    "TrueActivity": "plan",
                    "FalseActivity": "reminder",
                }
            },
        ),
        f"{A}.opened.ConditionalSplit.Condition.Conditions[0].EventCondition.MessageActivity",
        ["'wait2d', which is not a message activity"],
    ),
    (_chain(41), "Activities", ["41 activities", "at most 40"]),
    (sample(Activities={}), "Activities", ["needs activities"]),
    (sample(StartActivity="welcom"), "StartActivity", ["did you mean welcome"]),
    ({k: v for k, v in SAMPLE.items() if k != "StartActivity"}, "StartActivity", ["needs a StartActivity"]),
    ({k: v for k, v in SAMPLE.items() if k != "StartCondition"}, "StartCondition", ["give one"]),
    (
        sample(
            StartCondition={
                "SegmentStartCondition": {"SegmentId": "newsletter"},
                "EventStartCondition": {"SegmentId": "newsletter"},
            }
        ),
        "StartCondition",
        ["not both"],
    ),
    (
        sample(StartCondition={"EventStartCondition": {"SegmentId": "newsletter"}}),
        "StartCondition.EventStartCondition.EventFilter",
        ["needs an EventFilter"],
    ),
    (
        sample(
            StartActivity="c0",
            Activities={
                f"c{i}": {"ContactCenter": {"NextActivity": f"c{i + 1}"} if i < 3 else {}} for i in range(4)
            },
        ),
        f"{A}.c3",
        ["4 ContactCenter activities", "at most 3"],
    ),
]


@pytest.mark.parametrize(("request_", "field", "words"), GRAPH_RULES)
def test_save_time_checks_name_the_activity(request_, field, words):
    journey = Journey.from_json(request_, file="welcome.json")
    with pytest.raises(InputError) as err:
        validate_journey(journey, file="welcome.json")
    assert (err.value.field, err.value.file) == (field, "welcome.json")
    for word in words:
        assert word in err.value.reason


def test_a_cycle_through_a_wait_is_fine():
    request = with_activity("offer", {"PUSH": {"TemplateName": "offer", "NextActivity": "wait2d"}})
    validate_journey(Journey.from_json(request))
    validate_journey(Journey.from_json(_chain(40)))  # 40 activities: Pinpoint's limit, accepted


def test_forty_activities_with_exponentially_many_paths_validate():
    """Each activity is a yes/no split to the next two: 2^39 paths, which a walk per path would never finish."""
    activities = {}
    for i in range(40):
        targets = [f"s{j}" for j in (i + 1, i + 2) if j < 40]
        body = {"Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "newsletter"}}]}}
        body.update(zip(("TrueActivity", "FalseActivity"), targets, strict=False))
        activities[f"s{i}"] = {"ConditionalSplit": body}
    journey = Journey.from_json(sample(StartActivity="s0", Activities=activities))
    validate_journey(journey)
    assert len(journey.activities) == 40


def test_graph_checks_are_linear_and_not_recursive():
    """50,000 activities in one chain (a recursive walk would hit Python's recursion limit) and a wide fan."""
    n = 50_000
    edges = {f"a{i}": [f"a{i + 1}"] if i + 1 < n else [] for i in range(n)}
    assert unreachable_activities("a0", edges) == []
    assert cycle_without(edges, set()) == []
    edges[f"a{n - 1}"] = ["a0"]
    assert len(cycle_without(edges, set())) == n
    assert cycle_without(edges, {"a5"}) == []
    assert unreachable_activities("a1", {"a0": ["a1"], "a1": [], "a2": ["a2"]}) == ["a0", "a2"]
    fan = {"root": [f"b{i}" for i in range(n)], **{f"b{i}": ["end"] for i in range(n)}, "end": []}
    assert cycle_without(fan, set()) == [] and unreachable_activities("root", fan) == []


# --- references (with a project) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (
            sample(StartCondition={"SegmentStartCondition": {"SegmentId": "newsleter"}}),
            ["StartCondition.SegmentStartCondition.SegmentId", "did you mean newsletter"],
        ),
        (
            sample(
                StartCondition={
                    "EventStartCondition": {
                        "EventFilter": {"FilterType": "ENDPOINT", "Dimensions": {}},
                        "SegmentId": "nope",
                    }
                }
            ),
            ["StartCondition.EventStartCondition.SegmentId", "no segment named 'nope'"],
        ),
        (
            with_activity(
                "plan",
                {
                    "MultiCondition": {
                        "Branches": [{"Condition": {"SegmentCondition": {"SegmentId": "newsleters"}}}]
                    }
                },
            ),
            [
                "Activities.plan.MultiCondition.Branches[0].Condition.SegmentCondition.SegmentId",
                "did you mean newsletter",
            ],
        ),
        (
            with_activity("welcome", {"EMAIL": {"TemplateName": "welcom", "NextActivity": "wait2d"}}),
            ["activity 'welcome'", "Activities.welcome.EMAIL.TemplateName", "did you mean welcome"],
        ),
        (
            with_activity(
                "welcome",
                {"EMAIL": {"TemplateName": "welcome", "TemplateVersion": "3", "NextActivity": "wait2d"}},
            ),
            ["activity 'welcome'", "has no version 3", "versions: 1, 2"],
        ),
        (
            with_activity("reminder", {"SMS": {"TemplateName": "welcome", "NextActivity": "hold"}}),
            ["activity 'reminder'", "no SMS template named 'welcome'"],
        ),
    ],
)
def test_unknown_references_name_the_activity_and_nothing_is_saved(store, request_, words):
    with pytest.raises(UnknownNameError) as err:
        save_journey(store, "welcome", request_)
    for word in words:
        assert word in str(err.value)
    assert str(err.value).startswith("journey 'welcome', ")
    assert versions(store) == 0


def test_custom_steps_may_use_a_template_of_any_type(store):
    request = with_activity(
        "offer", {"CUSTOM": {"DeliveryUri": "https://hooks.example.com/x", "TemplateName": "offer"}}
    )
    save_journey(store, "welcome", request)
    with pytest.raises(UnknownNameError):
        save_journey(
            store, "welcome", with_activity("offer", {"CUSTOM": {"DeliveryUri": "x", "TemplateName": "ofer"}})
        )


# --- storage ------------------------------------------------------------------------------------------------------


def test_save_load_list_and_state(store):
    one = save_journey(store, "welcome", SAMPLE)
    assert (one.version, one.state) == (1, "DRAFT") and one.journey_id
    two = save_journey(store, "welcome", sample(State="ACTIVE"))
    assert (two.version, two.state, two.journey_id) == (2, "ACTIVE", one.journey_id)
    assert load_journey(store, "welcome").state == "ACTIVE"
    set_journey_state(store, one.journey_id, "PAUSED")
    loaded = load_journey(store, "welcome")
    assert (loaded.state, loaded.version, loaded.request) == ("PAUSED", 2, sample(State="ACTIVE"))
    assert load_journey(store, "welcome", version=1).request == SAMPLE
    three = save_journey(store, "welcome", SAMPLE)  # saved without State ACTIVE: a draft again
    assert (three.version, load_journey(store, "welcome").state) == (3, "DRAFT")
    with pytest.raises(InputError, match="did you mean CANCELLED"):
        set_journey_state(store, "welcome", "CANCELED")
    with pytest.raises(UnknownNameError, match="has no version 4"):
        load_journey(store, "welcome", version=4)
    (row,) = list_journeys(store)
    assert {k: row[k] for k in ("name", "state", "version", "activities", "start")} == {
        "name": "welcome",
        "state": "DRAFT",
        "version": 3,
        "activities": 8,
        "start": "segment newsletter",
    }
    assert "COMPLETED" in JOURNEY_STATES


def test_nothing_is_saved_when_refused(store):
    save_journey(store, "welcome", SAMPLE)
    for bad in (
        with_activity("orphan", {"SMS": {"TemplateName": "order-shipped"}}),
        sample(Limits={"DailyCap": 500}),
        '{"Name": ',
    ):
        with pytest.raises(InputError):
            save_journey(store, "welcome", bad)
    assert versions(store) == 1


# --- botocore's model as the oracle -------------------------------------------------------------------------------

_DURATION = st.sampled_from(["PT1H", "P1D", "P7D", "PT30M", "P1DT12H", "P2W"])
_INSTANT = st.sampled_from(["2026-03-01T00:00:00Z", "2026-04-01T12:30:00+02:00", "2026-05-01"])
_CLOCK = st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59))
_WAIT_TIME = st.fixed_dictionaries({"WaitFor": _DURATION}) | st.fixed_dictionaries({"WaitUntil": _INSTANT})


@st.composite
def _simple_condition(draw, messages):
    kind = draw(st.sampled_from(["EventCondition", "SegmentCondition", "SegmentDimensions"]))
    if kind == "SegmentCondition":
        return {"SegmentCondition": {"SegmentId": draw(_NAME)}}
    if kind == "SegmentDimensions":
        return {
            "SegmentDimensions": {
                "Demographic": {"Platform": {"Values": draw(st.lists(_NAME, min_size=1, max_size=2))}}
            }
        }
    event = draw(st.fixed_dictionaries({}, optional={"Dimensions": _EVENT_DIMENSIONS}))
    if messages and draw(st.booleans()):
        event["MessageActivity"] = draw(st.sampled_from(messages))
    return {"EventCondition": event}


@st.composite
def _activity(draw, first, later, messages, contact_centers):
    """One activity whose first branch goes to ``first`` (so that every activity is reachable) and whose other
    branches go to ``later`` ones or nowhere (edges only go forward: no cycles)."""
    kinds = [k for k in ACTIVITY_TYPES if k != "ContactCenter" or contact_centers < 3]
    kind = draw(st.sampled_from(kinds))

    def other():
        return draw(st.none() | st.sampled_from(later)) if later else None

    body: dict = {}
    if kind in ("EMAIL", "SMS", "PUSH"):
        body["TemplateName"] = draw(_NAME)
        if draw(st.booleans()):
            body["TemplateVersion"] = str(draw(st.integers(1, 99)))
        config = {"EMAIL": "JourneyEmailMessage", "SMS": "JourneySMSMessage", "PUSH": "JourneyPushMessage"}[
            kind
        ]
        if draw(st.booleans()):
            body["MessageConfig"] = draw(_from_shape(config))
    elif kind == "CUSTOM":
        body["DeliveryUri"] = "https://hooks.example.com/journey"
        body.update(
            draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "TemplateName": _NAME,
                        "MessageConfig": st.fixed_dictionaries({"Data": _TEXT}),
                        "EndpointTypes": st.lists(st.sampled_from(["EMAIL", "SMS"]), max_size=2),
                    },
                )
            )
        )
    elif kind == "Wait":
        body["WaitTime"] = draw(_WAIT_TIME)
    elif kind == "Holdout":
        body["Percentage"] = draw(st.integers(0, 100))
    elif kind == "RandomSplit":
        cuts = sorted(draw(st.lists(st.integers(0, 100), max_size=4)))
        shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        body["Branches"] = [{"Percentage": p} for p in shares]
    elif kind == "ConditionalSplit":
        body["Condition"] = {
            "Conditions": draw(st.lists(_simple_condition(messages), min_size=1, max_size=2))
        }
        if draw(st.booleans()):
            body["Condition"]["Operator"] = draw(st.sampled_from(["ALL", "ANY"]))
        if draw(st.booleans()):
            body["EvaluationWaitTime"] = draw(_WAIT_TIME)
    elif kind == "MultiCondition":
        body["Branches"] = [
            {"Condition": draw(_simple_condition(messages))} for _ in range(draw(st.integers(1, 4)))
        ]
        if draw(st.booleans()):
            body["EvaluationWaitTime"] = draw(_WAIT_TIME)
    # the next activities: the first branch to ``first``, the others anywhere later or nowhere
    if first is not None:
        if kind == "ConditionalSplit":
            body["TrueActivity"] = first
            if (target := other()) is not None:
                body["FalseActivity"] = target
        elif kind in ("MultiCondition", "RandomSplit"):
            body["Branches"][0]["NextActivity"] = first
            for branch in body["Branches"][1:]:
                if (target := other()) is not None:
                    branch["NextActivity"] = target
            if kind == "MultiCondition" and (target := other()) is not None:
                body["DefaultActivity"] = target
        else:
            body["NextActivity"] = first
    activity = {kind: body}
    if draw(st.booleans()):
        activity["Description"] = draw(_TEXT)
    return kind, activity


@st.composite
def _journeys(draw):
    ids = draw(
        st.lists(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True), min_size=1, max_size=10, unique=True)
    )
    activities: dict = {}
    messages: list[str] = []
    contact_centers = 0
    for i, activity_id in enumerate(ids):
        first = ids[i + 1] if i + 1 < len(ids) else None
        kind, activity = draw(_activity(first, ids[i + 1 :], list(messages), contact_centers))
        activities[activity_id] = activity
        if kind in ("EMAIL", "SMS", "PUSH", "CUSTOM", "ContactCenter"):
            messages.append(activity_id)
        contact_centers += kind == "ContactCenter"
    start = draw(
        st.fixed_dictionaries({"SegmentStartCondition": st.fixed_dictionaries({"SegmentId": _NAME})})
        | st.fixed_dictionaries(
            {
                "EventStartCondition": st.fixed_dictionaries(
                    {
                        "EventFilter": st.fixed_dictionaries(
                            {
                                "FilterType": st.sampled_from(["SYSTEM", "ENDPOINT"]),
                                "Dimensions": _EVENT_DIMENSIONS,
                            }
                        )
                    },
                    optional={"SegmentId": _NAME},
                )
            }
        )
    )
    if draw(st.booleans()):
        start["Description"] = draw(_TEXT)
    request = {
        "Name": draw(_NAME),
        "StartActivity": ids[0],
        "StartCondition": start,
        "Activities": activities,
    }
    open_hours = st.dictionaries(
        st.sampled_from(["EMAIL", "SMS", "PUSH", "VOICE", "CUSTOM"]),
        st.dictionaries(
            st.sampled_from(["MONDAY", "TUESDAY", "SUNDAY"]),
            st.just([{"StartTime": "09:00", "EndTime": "17:30"}]),
            max_size=2,
        ),
        max_size=2,
    )
    closed_days = st.dictionaries(
        st.sampled_from(["EMAIL", "SMS"]),
        st.just(
            [
                {
                    "Name": "Holiday",
                    "StartDateTime": "2026-12-25T00:00:00",
                    "EndDateTime": "2026-12-26T00:00:00",
                }
            ]
        ),
        max_size=2,
    )
    request.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "Limits": st.fixed_dictionaries(
                        {},
                        optional={
                            "DailyCap": st.integers(0, 100),
                            "EndpointReentryCap": st.integers(0, 100),
                            "EndpointReentryInterval": _DURATION,
                            "MessagesPerSecond": st.integers(1, 20_000),
                            "TotalCap": st.integers(0, 100),
                            "TimeframeCap": st.fixed_dictionaries(
                                {}, optional={"Cap": st.integers(0, 100), "Days": st.integers(0, 30)}
                            ),
                        },
                    ),
                    "QuietTime": st.just({}) | st.fixed_dictionaries({"Start": _CLOCK, "End": _CLOCK}),
                    "Schedule": st.fixed_dictionaries(
                        {},
                        optional={
                            "StartTime": st.just("2026-03-01T00:00:00Z"),
                            "EndTime": st.just("2026-09-01T00:00:00+02:00"),
                            "Timezone": st.sampled_from(JOURNEY_UTC_OFFSETS),
                        },
                    ),
                    "LocalTime": st.booleans(),
                    "WaitForQuietTime": st.booleans(),
                    "RefreshOnSegmentUpdate": st.booleans(),
                    "RefreshFrequency": _DURATION,
                    "SendingSchedule": st.booleans(),
                    "OpenHours": open_hours,
                    "ClosedDays": closed_days,
                    "JourneyChannelSettings": _from_shape("JourneyChannelSettings"),
                    "TimezoneEstimationMethods": st.lists(
                        st.sampled_from(["PHONE_NUMBER", "POSTAL_CODE"]), max_size=2
                    ),
                    "State": st.sampled_from(["DRAFT", "ACTIVE"]),
                    "CreationDate": _TEXT,
                    "LastModifiedDate": _TEXT,
                },
            )
        )
    )
    order = draw(st.permutations(list(request)))
    return {k: request[k] for k in order}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_journeys())
def test_every_request_botocore_accepts_round_trips_and_validates(request_):
    assert botocore_accepts(request_)
    journey = Journey.from_json(request_, name="fuzz")
    assert journey.request == request_ and list(journey.request) == list(request_)
    assert json.loads(journey.to_json()) == request_
    validate_journey(journey)
    assert journey.state == request_.get("State", "DRAFT")
    for activity_id in journey.activities:
        for _label, target in journey.next_activities(activity_id):
            assert target in journey.activities


# --- fuzz ---------------------------------------------------------------------------------------------------------

_STORES: dict = {}


def _fuzz_store(factory):
    if "store" not in _STORES:
        _STORES["store"] = make_store(factory.mktemp("fuzz") / "project")
    return _STORES["store"]


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
@given(mangled(st.just(SAMPLE) | _journeys()))
def test_mangled_journeys_are_refused_cleanly(tmp_path_factory, request_):
    store = _fuzz_store(tmp_path_factory)
    before = versions(store)
    try:
        saved = save_journey(store, "fuzz", request_)
    except (InputError, UnknownNameError):
        assert versions(store) == before
    else:
        assert versions(store) == before + 1
        assert load_journey(store, "fuzz").request == saved.request


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled(st.just(SAMPLE) | _journeys()) | _JSON | st.text(max_size=100))
def test_mangled_journeys_validate_with_input_errors_only(request_):
    try:
        validate_journey(Journey.from_json(request_, name="fuzz"))
    except InputError:
        pass
