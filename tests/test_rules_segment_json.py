"""Known answers for the Pinpoint JSON segment reader (``workbench/segments/_json_read.py``).

Each rule of the reader is pinned by a table: the tree a request reads into (Pinpoint's defaults: group Type
ALL, Include ALL, SourceType ANY, DimensionType / AttributeType INCLUSIVE, GPSPoint RangeInKilometers 100, Times
AT_LEAST 1, RandomBucket 0..100 by ENDPOINT), every accepted and refused enumeration value, each limit at N and
N + 1, and the exact refusal: the JSON path of the bad field and the message a user reads. The expected trees
and messages are written by hand.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from workbench.errors import InputError
from workbench.segments import _tree as t
from workbench.segments._json_read import check_dates, read_request

DEMO_KEYS = ("AppVersion", "Channel", "DeviceType", "Make", "Model", "Platform")
COLUMNS = (
    "Attributes.plan",
    "Attributes.city",
    "User.UserAttributes.tier",
    "Metrics.purchases",
    "Demographic.Platform",
)


def dims(**dimensions):
    return {"Dimensions": dimensions}


def reads(request, **kw):
    return read_request(request, **kw)


def refusal(request, **kw) -> tuple[str | None, str]:
    with pytest.raises(InputError) as err:
        read_request(request, **kw)
    return err.value.field, err.value.reason


def one(request, **kw):
    """The single node of a one-dimension request."""
    tree = read_request(request, **kw)
    assert isinstance(tree, t.AllOf) and len(tree.items) == 1, tree
    return tree.items[0]


def ev(**entry):
    return dims(Behavior={"Events": [{"EventType": "buy", **entry}]})


def eng(**entry):
    return dims(Behavior={"Engagement": [entry]})


def bucket(**entry):
    return dims(RandomBucket=entry)


def gps(**point):
    return dims(Location={"GPSPoint": point})


def at(lat=10, lon=20, **rest):
    return gps(Coordinates={"Latitude": lat, "Longitude": lon}, **rest)


def nest(key: str, levels: int, inner: dict | None = None) -> dict:
    """``levels`` nested ``key`` lists around ``inner`` (a dimension set)."""
    node = inner if inner is not None else {"Demographic": {"Platform": {"Values": ["iOS"]}}}
    for _ in range(levels):
        node = {key: [node]}
    return node


# --- the request ----------------------------------------------------------------------------------------------


REQUEST_REFUSALS = [
    pytest.param(
        [],
        None,
        "not a segment: expected a WriteSegmentRequest object, got a list",
        id="a-list-is-not-a-segment",
    ),
    pytest.param(
        "x", None, "not a segment: expected a WriteSegmentRequest object, got a string", id="a-string-is-not"
    ),
    pytest.param(
        None, None, "not a segment: expected a WriteSegmentRequest object, got null", id="null-is-not"
    ),
    pytest.param(
        True, None, "not a segment: expected a WriteSegmentRequest object, got a boolean", id="bool"
    ),
    pytest.param(3, None, "not a segment: expected a WriteSegmentRequest object, got a number", id="int"),
    pytest.param(2.5, None, "not a segment: expected a WriteSegmentRequest object, got a number", id="float"),
    pytest.param((1,), None, "not a segment: expected a WriteSegmentRequest object, got tuple", id="tuple"),
    pytest.param(
        {},
        None,
        "not a segment: a WriteSegmentRequest has Dimensions or SegmentGroups (found keys: none)",
        id="empty-object",
    ),
    pytest.param(
        {k: 1 for k in "abcdefghij"},
        None,
        "not a segment: a WriteSegmentRequest has Dimensions or SegmentGroups (found keys: a, b, c, d, e, f, g, h)",
        id="found-keys-lists-eight",
    ),
    pytest.param(
        {"Name": "x", "tags": {}},
        None,
        "not a segment: a WriteSegmentRequest has Dimensions or SegmentGroups (found keys: Name, tags)",
        id="no-dimensions",
    ),
    pytest.param(
        {"Dimensions": {}, "Nmae": "x"},
        "Nmae",
        "unknown key 'Nmae' (did you mean Name?)",
        id="unknown-key-hint",
    ),
    pytest.param(
        {"Dimensions": {}, "Zzz": 1},
        "Zzz",
        "unknown key 'Zzz' (expected one of Name, Dimensions, SegmentGroups, tags, SegmentType, ImportDefinition,"
        " Id, ApplicationId, Arn, CreationDate, LastModifiedDate, Version, SegmentId)",
        id="unknown-key-lists-all",
    ),
    pytest.param(
        {"Dimensions": {}, "SegmentGroups": {}},
        "SegmentGroups",
        "give Dimensions or SegmentGroups, not both",
        id="both",
    ),
    pytest.param({"Dimensions": {}, "Name": 5}, "Name", "Name must be a string", id="name-a-string"),
    pytest.param(
        {"Dimensions": {}, "SegmentType": "DYNAMIC"},
        "SegmentType",
        "'DYNAMIC' is not one of DIMENSIONAL, IMPORT",
        id="segment-type",
    ),
    pytest.param(
        {"Dimensions": {}, "SegmentType": "IMPORTS"},
        "SegmentType",
        "'IMPORTS' is not one of DIMENSIONAL, IMPORT (did you mean IMPORT?)",
        id="segment-type-hint",
    ),
    pytest.param(
        {"Dimensions": []}, "Dimensions", "expected an object, got a list", id="dimensions-an-object"
    ),
    pytest.param(
        {"SegmentGroups": []}, "SegmentGroups", "expected an object, got a list", id="groups-an-object"
    ),
]


@pytest.mark.parametrize(("request_", "field", "reason"), REQUEST_REFUSALS)
def test_request_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


def test_request_shapes():
    assert reads({"Dimensions": {}}) == t.AllOf(())
    assert reads({"Name": "n", "Dimensions": {}, "SegmentType": "DIMENSIONAL"}) == t.AllOf(())
    # an imported segment has no condition tree: IMPORT by default when ImportDefinition is given
    assert reads({"ImportDefinition": {"S3Url": "s3://x"}}) is None
    assert reads({"Dimensions": {"Demographic": 5}, "SegmentType": "IMPORT"}) is None
    assert reads({"SegmentGroups": {}}) == t.AllOf(())


def test_every_response_key_is_accepted():
    request = {
        "Name": "n",
        "Dimensions": {},
        "tags": {"a": "b"},
        "SegmentType": "DIMENSIONAL",
        "Id": "i",
        "ApplicationId": "a",
        "Arn": "arn",
        "CreationDate": "2026",
        "LastModifiedDate": "2026",
        "Version": 3,
        "SegmentId": "s",
    }
    assert reads(request) == t.AllOf(())


def deep_tags(levels: int) -> dict:
    tags: list = []
    for _ in range(levels - 1):
        tags = [tags]
    return {"Dimensions": {}, "tags": tags}


def test_json_depth_at_most_100():
    assert reads(deep_tags(99)) == t.AllOf(())  # the innermost list at depth 99 (the request object is 0)
    field, reason = refusal(deep_tags(100))
    assert reason == "the spec's JSON nests more than 100 levels deep"
    assert field == "tags" + "[0]" * 99
    field, reason = refusal(deep_tags(150))
    assert field == "tags" + "[0]" * 99


def test_json_depth_dict_levels():
    # tags -> tags -> ... : the object at depth 99 is fine, at depth 100 refused
    def tagged(levels):
        obj: dict = {"Dimensions": {}}
        node = obj
        for _ in range(levels):
            node["tags"] = {}
            node = node["tags"]
        return obj

    assert reads(tagged(99)) == t.AllOf(())
    assert refusal(tagged(100)) == (
        ".".join(["tags"] * 100),
        "the spec's JSON nests more than 100 levels deep",
    )
    # scalars at depth 100 are not containers
    obj = tagged(99)
    node = obj
    for _ in range(99):
        node = node["tags"]
    node["x"] = 5
    assert reads(obj) == t.AllOf(())


def test_depth_is_checked_before_anything_else():
    # a list is "not a segment", but a too-deep one is refused for its depth first
    value: list = []
    for _ in range(100):
        value = [value]
    assert refusal(value) == ("[0]" * 100, "the spec's JSON nests more than 100 levels deep")


# --- where an error points: field, file, line -------------------------------------------------------------------


def test_error_names_file_and_line():
    request = {
        "Name": "Values",
        "Dimensions": {"Demographic": {"Platform": {"Values": 5}}},
    }
    text = json.dumps(request, indent=2)
    # line 1 "{", 2 Name, 3 Dimensions, 4 Demographic, 5 Platform, 6 Values
    with pytest.raises(InputError) as err:
        read_request(request, file="seg.json", text=text)
    e = err.value
    assert (e.file, e.line, e.field) == ("seg.json", 6, "Dimensions.Demographic.Platform.Values")
    assert str(e) == (
        "seg.json:6: field Dimensions.Demographic.Platform.Values: Values must be a list of strings, got a number"
    )
    # without the text there is no line; without a file neither
    with pytest.raises(InputError) as err:
        read_request(request, file="seg.json")
    assert err.value.line is None and err.value.file == "seg.json"
    with pytest.raises(InputError) as err:
        read_request(request, text="")
    assert err.value.line is None and err.value.file is None


def test_line_follows_the_path_through_list_indexes():
    request = {
        "SegmentGroups": {
            "Groups": [
                {"Dimensions": [{"Demographic": {"Platform": {"Values": ["a"]}}}]},
                {"Dimensions": [{"Demographic": {"Make": {"Values": ["a"], "DimensionType": "X"}}}]},
            ]
        }
    }
    text = json.dumps(request, indent=1)
    lines = text.splitlines()
    expected = next(i for i, line in enumerate(lines, 1) if '"DimensionType"' in line)
    with pytest.raises(InputError) as err:
        read_request(request, text=text)
    assert err.value.field == "SegmentGroups.Groups[1].Dimensions[0].Demographic.Make.DimensionType"
    assert err.value.line == expected == 25


def test_line_of_a_missing_key_is_that_of_its_parent():
    request = {"Dimensions": {"Demographic": {"Platform": {}}}}
    text = json.dumps(request, indent=2)  # Platform on line 4
    with pytest.raises(InputError) as err:
        read_request(request, text=text)
    assert (err.value.field, err.value.line, err.value.reason) == (
        "Dimensions.Demographic.Platform.Values",
        4,
        "Values is required",
    )


def test_a_root_error_has_no_field_and_no_line():
    with pytest.raises(InputError) as err:
        read_request({"Name": "x"}, file="f.json", text='{\n "Name": "x"}')
    assert (err.value.field, err.value.line) == (None, None)
    assert str(err.value).startswith("f.json: not a segment")


def test_line_when_the_first_key_is_not_in_the_text():
    # text not matching the object: nothing found, no line
    with pytest.raises(InputError) as err:
        read_request({"Dimensions": {"Demographic": 5}}, text="{\n\n}")
    assert err.value.line is None
    # the first key found on line 1
    with pytest.raises(InputError) as err:
        read_request({"Dimensions": {"Demographic": 5}}, text='{"Dimensions": {"Demographic": 5}}')
    assert err.value.line == 1


# --- SegmentGroups ------------------------------------------------------------------------------------------------

P_IOS = {"Demographic": {"Platform": {"Values": ["iOS"]}}}
P_AND = {"Demographic": {"Platform": {"Values": ["Android"]}}}
V_IOS = t.AllOf((t.ValueIn("Demographic.Platform", ("iOS",)),))
V_AND = t.AllOf((t.ValueIn("Demographic.Platform", ("Android",)),))
COMBINERS = {"ALL": t.AllOf, "ANY": t.AnyOf, "NONE": t.NoneOf}


@pytest.mark.parametrize("include", [None, "ALL", "ANY", "NONE"])
def test_include_combines_groups_all_by_default(include):
    groups = {"Groups": [{"Dimensions": [P_IOS]}, {"Dimensions": [P_AND]}]}
    if include:
        groups["Include"] = include
    combine = COMBINERS[include or "ALL"]
    assert reads({"SegmentGroups": groups}) == combine(
        (t.AllOf((t.AllOf((V_IOS,)),)), t.AllOf((t.AllOf((V_AND,)),)))
    )


@pytest.mark.parametrize("kind", [None, "ALL", "ANY", "NONE"])
def test_group_type_combines_dimension_sets_all_by_default(kind):
    group = {"Dimensions": [P_IOS, P_AND]}
    if kind:
        group["Type"] = kind
    combine = COMBINERS[kind or "ALL"]
    assert reads({"SegmentGroups": {"Groups": [group]}}) == t.AllOf((t.AllOf((combine((V_IOS, V_AND)),)),))


@pytest.mark.parametrize("kind", [None, "ALL", "ANY", "NONE"])
def test_source_type_combines_source_segments_any_by_default(kind):
    group = {"SourceSegments": [{"Id": "a"}, {"Id": "b", "Version": 2}], "Dimensions": [P_IOS]}
    if kind:
        group["SourceType"] = kind
    combine = COMBINERS[kind or "ANY"]
    sources = combine((t.InSegment("a"), t.InSegment("b", 2)))
    assert reads({"SegmentGroups": {"Groups": [group]}}) == t.AllOf((t.AllOf((sources, t.AllOf((V_IOS,)))),))


def test_group_parts_may_be_missing_or_empty():
    assert reads({"SegmentGroups": {"Groups": [{}]}}) == t.AllOf((t.AllOf(()),))
    group = {"SourceSegments": None, "Dimensions": None, "Type": "BAD", "SourceType": "BAD"}
    # Type and SourceType are read only when there is something to combine
    assert reads({"SegmentGroups": {"Groups": [group]}}) == t.AllOf((t.AllOf(()),))
    group = {"SourceSegments": [], "Dimensions": [], "Type": "BAD", "SourceType": "BAD"}
    assert reads({"SegmentGroups": {"Groups": [group]}}) == t.AllOf((t.AllOf(()),))
    assert reads({"SegmentGroups": {"Include": "ANY"}}) == t.AnyOf(())
    assert reads({"SegmentGroups": {"Include": "NONE", "Groups": []}}) == t.NoneOf(())


def test_source_segments_by_name_or_id():
    group = {"SourceSegments": [{"Name": "vip"}, {"Id": "i1", "Name": "ignored"}, {"Id": "i2", "Version": 1}]}
    assert reads({"SegmentGroups": {"Groups": [group]}}) == t.AllOf(
        (t.AllOf((t.AnyOf((t.InSegment("vip"), t.InSegment("i1"), t.InSegment("i2", 1))),)),)
    )


G = "SegmentGroups"
G0 = "SegmentGroups.Groups[0]"


def grp(**group):
    return {"SegmentGroups": {"Groups": [group]}}


GROUP_REFUSALS = [
    pytest.param(
        {G: {"Include": "SOME"}}, f"{G}.Include", "'SOME' is not one of ALL, ANY, NONE", id="include"
    ),
    pytest.param(
        {G: {"Include": "ANYY"}},
        f"{G}.Include",
        "'ANYY' is not one of ALL, ANY, NONE (did you mean ANY?)",
        id="include-hint",
    ),
    pytest.param(
        {G: {"Include": None}},
        f"{G}.Include",
        "Include is required: one of ALL, ANY, NONE",
        id="include-null",
    ),
    pytest.param({G: {"Groups": {}}}, f"{G}.Groups", "Groups must be a list", id="groups-a-list"),
    pytest.param(
        {G: {"Group": []}},
        f"{G}.Group",
        "unknown key 'Group' (did you mean Groups?)",
        id="groups-unknown-key",
    ),
    pytest.param(
        {G: {"Zz": []}},
        f"{G}.Zz",
        "unknown key 'Zz' (expected one of Include, Groups)",
        id="groups-keys",
    ),
    pytest.param({G: {"Groups": [5]}}, G0, "expected an object, got a number", id="group-an-object"),
    pytest.param(
        grp(Zz=1),
        f"{G0}.Zz",
        "unknown key 'Zz' (expected one of SourceSegments, SourceType, Dimensions, Type)",
        id="group-keys",
    ),
    pytest.param(
        grp(SourceSegments={"Id": "a"}),
        f"{G0}.SourceSegments",
        "SourceSegments must be a list",
        id="sources-a-list",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a"}], SourceType="SOME"),
        f"{G0}.SourceType",
        "'SOME' is not one of ALL, ANY, NONE",
        id="source-type",
    ),
    pytest.param(
        grp(Dimensions={"Demographic": {}}),
        f"{G0}.Dimensions",
        "a group's Dimensions must be a list of dimension sets",
        id="group-dimensions-a-list",
    ),
    pytest.param(
        grp(Dimensions=[P_IOS], Type="EVERY"),
        f"{G0}.Type",
        "'EVERY' is not one of ALL, ANY, NONE",
        id="type",
    ),
    pytest.param(
        grp(Dimensions=[P_IOS, {"Demographic": {"Platform": {"Values": 1}}}]),
        f"{G0}.Dimensions[1].Demographic.Platform.Values",
        "Values must be a list of strings, got a number",
        id="path-into-a-set",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a"}, {"Version": 1}]),
        f"{G0}.SourceSegments[1].Id",
        "a source segment needs an Id (a segment id or name)",
        id="source-needs-an-id",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": ""}]),
        f"{G0}.SourceSegments[0].Id",
        "a source segment needs an Id (a segment id or name)",
        id="source-id-not-empty",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": 5}]),
        f"{G0}.SourceSegments[0].Id",
        "a source segment needs an Id (a segment id or name)",
        id="source-id-a-string",
    ),
    pytest.param(
        grp(SourceSegments=[{"Name": 5}]),
        f"{G0}.SourceSegments[0].Id",
        "a source segment needs an Id (a segment id or name)",
        id="source-name-a-string",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Version": 0}]),
        f"{G0}.SourceSegments[0].Version",
        "Version must be a positive integer, got 0",
        id="version-0",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Version": -1}]),
        f"{G0}.SourceSegments[0].Version",
        "Version must be a positive integer, got -1",
        id="version-negative",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Version": True}]),
        f"{G0}.SourceSegments[0].Version",
        "Version must be a positive integer, got True",
        id="version-bool",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Version": "2"}]),
        f"{G0}.SourceSegments[0].Version",
        "Version must be a positive integer, got '2'",
        id="version-string",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Version": 1.0}]),
        f"{G0}.SourceSegments[0].Version",
        "Version must be a positive integer, got 1.0",
        id="version-float",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Versoin": 1}]),
        f"{G0}.SourceSegments[0].Versoin",
        "unknown key 'Versoin' (did you mean Version?)",
        id="source-keys",
    ),
    pytest.param(
        grp(SourceSegments=[{"Id": "a", "Zz": 1}]),
        f"{G0}.SourceSegments[0].Zz",
        "unknown key 'Zz' (expected one of Id, Version, Name)",
        id="source-keys-listed",
    ),
]


@pytest.mark.parametrize(("request_", "field", "reason"), GROUP_REFUSALS)
def test_group_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


def test_version_one_is_accepted():
    assert reads(grp(SourceSegments=[{"Id": "a", "Version": 1}])) == t.AllOf(
        (t.AllOf((t.AnyOf((t.InSegment("a", 1),)),)),)
    )


# --- dimension sets -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", DEMO_KEYS)
@pytest.mark.parametrize("kind", [None, "INCLUSIVE", "EXCLUSIVE"])
def test_demographic_keys_and_dimension_type(key, kind):
    dim = {"Values": ["a", "b"]}
    if kind:
        dim["DimensionType"] = kind
    assert one(dims(Demographic={key: dim})) == t.ValueIn(
        f"Demographic.{key}", ("a", "b"), kind == "EXCLUSIVE"
    )


def test_several_demographic_keys_keep_their_order():
    request = dims(Demographic={"Make": {"Values": ["m"]}, "Channel": {"Values": ["EMAIL"]}})
    assert reads(request) == t.AllOf(
        (t.ValueIn("Demographic.Make", ("m",)), t.ValueIn("Demographic.Channel", ("EMAIL",)))
    )


def test_dimension_keys_keep_the_json_order():
    request = dims(
        Metrics={"purchases": {"ComparisonOperator": "EQUAL", "Value": 2}},
        Demographic={"Make": {"Values": ["m"]}},
    )
    assert reads(request) == t.AllOf(
        (t.MetricCompare("Metrics.purchases", "EQUAL", 2.0), t.ValueIn("Demographic.Make", ("m",)))
    )


@pytest.mark.parametrize("kind", [None, "INCLUSIVE", "EXCLUSIVE"])
def test_country(kind):
    dim = {"Values": ["US", "CA"]}
    if kind:
        dim["DimensionType"] = kind
    assert one(dims(Location={"Country": dim})) == t.ValueIn(
        "Location.Country", ("US", "CA"), kind == "EXCLUSIVE"
    )


def test_location_reads_country_then_gps_whatever_the_order():
    point = {"Coordinates": {"Latitude": 1, "Longitude": 2}, "RangeInKilometers": 5}
    request = dims(Location={"GPSPoint": point, "Country": {"Values": ["US"]}})
    assert reads(request) == t.AllOf((t.ValueIn("Location.Country", ("US",)), t.Near(1.0, 2.0, 5.0)))
    assert reads(dims(Location={})) == t.AllOf(())


def test_values_at_most_100():
    values = [f"v{i}" for i in range(100)]
    assert one(dims(Demographic={"Make": {"Values": values}})) == t.ValueIn("Demographic.Make", tuple(values))
    assert refusal(dims(Demographic={"Make": {"Values": [*values, "x"]}})) == (
        "Dimensions.Demographic.Make.Values",
        "101 values; at most 100 are allowed",
    )
    assert refusal(dims(Attributes={"plan": {"Values": [*values, "x"]}})) == (
        "Dimensions.Attributes.plan.Values",
        "101 values; at most 100 are allowed",
    )
    assert one(dims(Attributes={"plan": {"Values": values}})) == t.AttributeMatch(
        "Attributes.plan", "INCLUSIVE", tuple(values)
    )
    assert one(dims(Demographic={"Make": {"Values": ["one"]}})) == t.ValueIn("Demographic.Make", ("one",))


DM = "Dimensions.Demographic.Make"

SET_REFUSALS = [
    pytest.param(
        dims(Demographic={"Make": {"Values": ["a"], "DimensionType": "INCLUDE"}}),
        f"{DM}.DimensionType",
        "'INCLUDE' is not one of INCLUSIVE, EXCLUSIVE (did you mean INCLUSIVE?)",
        id="dimension-type-hint",
    ),
    pytest.param(
        dims(Demographic={"Make": {"Values": ["a"], "DimensionType": "X"}}),
        f"{DM}.DimensionType",
        "'X' is not one of INCLUSIVE, EXCLUSIVE",
        id="dimension-type",
    ),
    pytest.param(dims(Demographic={"Make": {}}), f"{DM}.Values", "Values is required", id="values-required"),
    pytest.param(
        dims(Demographic={"Make": {"Values": "a"}}),
        f"{DM}.Values",
        "Values must be a list of strings, got a string",
        id="values-a-list",
    ),
    pytest.param(
        dims(Demographic={"Make": {"Values": []}}),
        f"{DM}.Values",
        "Values is empty: give at least one value",
        id="values-not-empty",
    ),
    pytest.param(
        dims(Demographic={"Make": {"Values": ["a", 5]}}),
        f"{DM}.Values[1]",
        "values must be strings, got a number",
        id="values-strings",
    ),
    pytest.param(
        dims(Demographic={"Make": {"Values": [None]}}),
        f"{DM}.Values[0]",
        "values must be strings, got null",
        id="values-strings-null",
    ),
    pytest.param(
        dims(Demographic={"Make": {"Values": ["a"], "Zz": 1}}),
        f"{DM}.Zz",
        "unknown key 'Zz' (expected one of DimensionType, Values)",
        id="set-keys",
    ),
    pytest.param(
        dims(Demographic={"Make": ["a"]}),
        DM,
        "expected an object, got a list",
        id="set-an-object",
    ),
    pytest.param(
        dims(Demographic={"Modle": {"Values": ["a"]}}),
        "Dimensions.Demographic.Modle",
        "unknown key 'Modle' (did you mean Model?)",
        id="demographic-hint",
    ),
    pytest.param(
        dims(Demographic={"Zz": {"Values": ["a"]}}),
        "Dimensions.Demographic.Zz",
        "unknown key 'Zz' (expected one of AppVersion, Channel, DeviceType, Make, Model, Platform)",
        id="demographic-keys",
    ),
    pytest.param(
        dims(Location={"Country": {"Values": []}}),
        "Dimensions.Location.Country.Values",
        "Values is empty: give at least one value",
        id="country-values",
    ),
    pytest.param(
        dims(Location={"City": {}}),
        "Dimensions.Location.City",
        "unknown key 'City' (expected one of Country, GPSPoint)",
        id="location-keys",
    ),
    pytest.param(
        dims(Demographics={}),
        "Dimensions.Demographics",
        "unknown key 'Demographics' (did you mean Demographic?)",
        id="dimension-hint",
    ),
    pytest.param(
        dims(Qq={}),
        "Dimensions.Qq",
        "unknown key 'Qq' (expected one of Demographic, Location, Behavior, Attributes, UserAttributes, Metrics,"
        " RandomBucket, SegmentMembership, AllOf, AnyOf, NoneOf)",
        id="dimension-keys",
    ),
    pytest.param(
        dims(Behavior={"Recncy": {}}),
        "Dimensions.Behavior.Recncy",
        "unknown key 'Recncy' (did you mean Recency?)",
        id="behavior-hint",
    ),
    pytest.param(
        dims(Behavior={"Zz": {}}),
        "Dimensions.Behavior.Zz",
        "unknown key 'Zz' (expected one of Recency, Events, Engagement)",
        id="behavior-keys",
    ),
]


@pytest.mark.parametrize(("request_", "field", "reason"), SET_REFUSALS)
def test_set_dimension_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


# --- GPSPoint -----------------------------------------------------------------------------------------------------

GP = "Dimensions.Location.GPSPoint"


@pytest.mark.parametrize(
    ("point", "near"),
    [
        pytest.param(
            {"Coordinates": {"Latitude": 10, "Longitude": 20}}, (10.0, 20.0, 100.0), id="range-100-default"
        ),
        pytest.param(
            {"Coordinates": {"Latitude": -90, "Longitude": -180}, "RangeInKilometers": 0},
            (-90.0, -180.0, 0.0),
            id="lower-edges-and-zero-range",
        ),
        pytest.param(
            {"Coordinates": {"Latitude": 90, "Longitude": 180}, "RangeInKilometers": 2.5},
            (90.0, 180.0, 2.5),
            id="upper-edges",
        ),
        pytest.param(
            {"RangeInKilometers": 7, "Coordinates": {"Longitude": 1.25, "Latitude": -3.5}},
            (-3.5, 1.25, 7.0),
            id="any-key-order",
        ),
    ],
)
def test_gps_point(point, near):
    node = one(dims(Location={"GPSPoint": point}))
    assert node == t.Near(*near)
    assert all(type(x) is float for x in (node.latitude, node.longitude, node.km))


GPS_REFUSALS = [
    pytest.param(gps(), f"{GP}.Coordinates", "expected an object, got null", id="coordinates-required"),
    pytest.param(
        gps(Coordinates={"Latitude": 1}),
        f"{GP}.Coordinates.Longitude",
        "None is not a number",
        id="longitude-required",
    ),
    pytest.param(
        gps(Coordinates={"Longitude": 1}),
        f"{GP}.Coordinates.Latitude",
        "None is not a number",
        id="latitude-required",
    ),
    pytest.param(
        at(lat="1"),
        f"{GP}.Coordinates.Latitude",
        "'1' is not a number",
        id="latitude-a-number",
    ),
    pytest.param(at(lat=True), f"{GP}.Coordinates.Latitude", "True is not a number", id="latitude-not-bool"),
    pytest.param(
        at(lat=float("nan")),
        f"{GP}.Coordinates.Latitude",
        "nan is not a finite number",
        id="latitude-finite",
    ),
    pytest.param(
        at(lon=float("inf")),
        f"{GP}.Coordinates.Longitude",
        "inf is not a finite number",
        id="longitude-finite",
    ),
    pytest.param(
        at(lat=90.5), f"{GP}.Coordinates.Latitude", "latitude 90.5 is outside -90..90", id="latitude-above"
    ),
    pytest.param(
        at(lat=-90.5), f"{GP}.Coordinates.Latitude", "latitude -90.5 is outside -90..90", id="latitude-below"
    ),
    pytest.param(
        at(lon=180.5),
        f"{GP}.Coordinates.Longitude",
        "longitude 180.5 is outside -180..180",
        id="longitude-above",
    ),
    pytest.param(
        at(lon=-180.5),
        f"{GP}.Coordinates.Longitude",
        "longitude -180.5 is outside -180..180",
        id="longitude-below",
    ),
    pytest.param(
        at(RangeInKilometers=-0.5),
        f"{GP}.RangeInKilometers",
        "RangeInKilometers must not be negative",
        id="range-not-negative",
    ),
    pytest.param(
        at(RangeInKilometers="5"),
        f"{GP}.RangeInKilometers",
        "'5' is not a number",
        id="range-a-number",
    ),
    pytest.param(
        at(RangeInKilometers=None),
        f"{GP}.RangeInKilometers",
        "None is not a number",
        id="range-null",
    ),
    pytest.param(
        gps(Coordinates={"Latitude": 1, "Longitude": 2, "Alt": 3}),
        f"{GP}.Coordinates.Alt",
        "unknown key 'Alt' (expected one of Latitude, Longitude)",
        id="coordinates-keys",
    ),
    pytest.param(
        gps(Coordinates={"Latitude": 1, "Longitude": 2}, Range=3),
        f"{GP}.Range",
        "unknown key 'Range' (expected one of Coordinates, RangeInKilometers)",
        id="gps-keys",
    ),
    pytest.param(dims(Location={"GPSPoint": []}), GP, "expected an object, got a list", id="gps-an-object"),
]


@pytest.mark.parametrize(("request_", "field", "reason"), GPS_REFUSALS)
def test_gps_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


# --- Attributes, UserAttributes, Metrics --------------------------------------------------------------------------

ATTRIBUTE_CASES = [
    pytest.param({"Values": ["pro"]}, ("INCLUSIVE", ("pro",)), id="inclusive-by-default"),
    pytest.param(
        {"AttributeType": "INCLUSIVE", "Values": ["a", "b"]}, ("INCLUSIVE", ("a", "b")), id="inclusive"
    ),
    pytest.param({"AttributeType": "EXCLUSIVE", "Values": ["a"]}, ("EXCLUSIVE", ("a",)), id="exclusive"),
    pytest.param({"AttributeType": "CONTAINS", "Values": ["a"]}, ("CONTAINS", ("a",)), id="contains"),
    pytest.param(
        {"AttributeType": "BEFORE", "Values": ["2026-10-01"]}, ("BEFORE", ("2026-10-01",)), id="before"
    ),
    pytest.param(
        {"AttributeType": "AFTER", "Values": ["2026-10-01T12:00:00Z"]},
        ("AFTER", ("2026-10-01T12:00:00Z",)),
        id="after",
    ),
    pytest.param(
        {"AttributeType": "ON", "Values": ["2026-10-01", "2026-10-03"]},
        ("ON", ("2026-10-01", "2026-10-03")),
        id="on-takes-several",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01", "2026-10-02"]},
        ("BETWEEN", ("2026-10-01", "2026-10-02")),
        id="between",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01", "2026-10-01"]},
        ("BETWEEN", ("2026-10-01", "2026-10-01")),
        id="between-one-day",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01T23:00:00Z", "2026-10-01"]},
        ("BETWEEN", ("2026-10-01T23:00:00Z", "2026-10-01")),
        id="between-date-end-is-end-of-day",
    ),
    pytest.param(
        {"AttributeType": "INCLUSIVE", "Values": ["not a date"]},
        ("INCLUSIVE", ("not a date",)),
        id="inclusive-values-are-not-dates",
    ),
    pytest.param(
        {"AttributeType": "CONTAINS", "Values": ["x", "y", "z"]},
        ("CONTAINS", ("x", "y", "z")),
        id="contains-not-dates",
    ),
]


@pytest.mark.parametrize(("dim", "expected"), ATTRIBUTE_CASES)
@pytest.mark.parametrize(
    ("key", "name", "column"),
    [
        ("Attributes", "plan", "Attributes.plan"),
        ("UserAttributes", "tier", "User.UserAttributes.tier"),
    ],
)
@pytest.mark.parametrize("columns", [None, COLUMNS], ids=["no-columns", "columns"])
def test_attributes(dim, expected, key, name, column, columns):
    node = one({"Dimensions": {key: {name: dim}}}, columns=columns)
    assert node == t.AttributeMatch(column, *expected)


def test_several_attributes_keep_their_order():
    request = dims(Attributes={"b": {"Values": ["1"]}, "a": {"Values": ["2"]}})
    assert reads(request) == t.AllOf(
        (
            t.AttributeMatch("Attributes.b", "INCLUSIVE", ("1",)),
            t.AttributeMatch("Attributes.a", "INCLUSIVE", ("2",)),
        )
    )


ATTRIBUTE_REFUSALS = [
    pytest.param(
        {"AttributeType": "EQUALS", "Values": ["a"]},
        ".AttributeType",
        "'EQUALS' is not one of INCLUSIVE, EXCLUSIVE, CONTAINS, BEFORE, AFTER, ON, BETWEEN",
        id="attribute-type",
    ),
    pytest.param(
        {"AttributeType": "CONTAIN", "Values": ["a"]},
        ".AttributeType",
        "'CONTAIN' is not one of INCLUSIVE, EXCLUSIVE, CONTAINS, BEFORE, AFTER, ON, BETWEEN (did you mean CONTAINS?)",
        id="attribute-type-hint",
    ),
    pytest.param({"AttributeType": "INCLUSIVE"}, ".Values", "Values is required", id="values-required"),
    pytest.param(
        {"AttributeType": "INCLUSIVE", "Values": []},
        ".Values",
        "Values is empty: give at least one value",
        id="values-not-empty",
    ),
    pytest.param(
        {"Values": ["a"], "Zz": 1},
        ".Zz",
        "unknown key 'Zz' (expected one of AttributeType, Values)",
        id="attribute-keys",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01"]},
        ".Values",
        "BETWEEN takes exactly two dates (start, end), got 1",
        id="between-one",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01", "2026-10-02", "2026-10-03"]},
        ".Values",
        "BETWEEN takes exactly two dates (start, end), got 3",
        id="between-three",
    ),
    pytest.param(
        {"AttributeType": "BEFORE", "Values": ["2026-10-01", "2026-10-02"]},
        ".Values",
        "BEFORE takes exactly one date, got 2",
        id="before-two",
    ),
    pytest.param(
        {"AttributeType": "AFTER", "Values": ["2026-10-01", "2026-10-02"]},
        ".Values",
        "AFTER takes exactly one date, got 2",
        id="after-two",
    ),
    pytest.param(
        {"AttributeType": "ON", "Values": ["2026-10-01", "2026-13-45"]},
        ".Values[1]",
        "'2026-13-45' is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
        id="on-bad-date",
    ),
    pytest.param(
        {"AttributeType": "BEFORE", "Values": ["soon"]},
        ".Values[0]",
        "'soon' is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
        id="before-bad-date",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-02", "2026-10-01"]},
        ".Values",
        "BETWEEN start 2026-10-02 is after its end 2026-10-01",
        id="between-reversed",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-02T00:00:00Z", "2026-10-01"]},
        ".Values",
        "BETWEEN start 2026-10-02T00:00:00Z is after its end 2026-10-01",
        id="between-start-after-the-end-day",
    ),
    pytest.param(
        {"AttributeType": "BETWEEN", "Values": ["2026-10-01", "2026-10-99"]},
        ".Values[1]",
        "'2026-10-99' is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
        id="between-bad-end",
    ),
    pytest.param(["a"], "", "expected an object, got a list", id="attribute-an-object"),
]


@pytest.mark.parametrize(("dim", "suffix", "reason"), ATTRIBUTE_REFUSALS)
@pytest.mark.parametrize(
    ("key", "name"),
    [("Attributes", "plan"), ("UserAttributes", "tier")],
    ids=["attributes", "user-attributes"],
)
def test_attribute_refusals(dim, suffix, reason, key, name):
    assert refusal({"Dimensions": {key: {name: dim}}}) == (f"Dimensions.{key}.{name}{suffix}", reason)


def test_attributes_must_be_an_object():
    assert refusal(dims(Attributes=["plan"])) == (
        "Dimensions.Attributes",
        "expected an object of name -> condition, got a list",
    )
    assert refusal(dims(UserAttributes="x")) == (
        "Dimensions.UserAttributes",
        "expected an object of name -> condition, got a string",
    )
    assert refusal(dims(Metrics=None)) == (
        "Dimensions.Metrics",
        "expected an object of name -> condition, got null",
    )


@pytest.mark.parametrize(
    "op", ["GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL", "EQUAL"]
)
@pytest.mark.parametrize("value", [3, 2.5, -1, 0])
def test_metrics(op, value):
    node = one(dims(Metrics={"purchases": {"ComparisonOperator": op, "Value": value}}), columns=COLUMNS)
    assert node == t.MetricCompare("Metrics.purchases", op, float(value))
    assert type(node.value) is float


def test_several_metrics_keep_their_order():
    request = dims(
        Metrics={
            "b": {"ComparisonOperator": "EQUAL", "Value": 1},
            "a": {"ComparisonOperator": "LESS_THAN", "Value": 2},
        }
    )
    assert reads(request) == t.AllOf(
        (t.MetricCompare("Metrics.b", "EQUAL", 1.0), t.MetricCompare("Metrics.a", "LESS_THAN", 2.0))
    )


MP = "Dimensions.Metrics.purchases"
METRIC_REFUSALS = [
    pytest.param(
        {"Value": 1},
        f"{MP}.ComparisonOperator",
        "ComparisonOperator is required: one of GREATER_THAN, LESS_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN_OR_EQUAL, EQUAL",
        id="operator-required",
    ),
    pytest.param(
        {"ComparisonOperator": "EQUALS", "Value": 1},
        f"{MP}.ComparisonOperator",
        "'EQUALS' is not one of GREATER_THAN, LESS_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN_OR_EQUAL, EQUAL"
        " (did you mean EQUAL?)",
        id="operator-hint",
    ),
    pytest.param({"ComparisonOperator": "EQUAL"}, f"{MP}.Value", "Value is required", id="value-required"),
    pytest.param(
        {"ComparisonOperator": "EQUAL", "Value": "3"},
        f"{MP}.Value",
        "'3' is not a number",
        id="value-a-number",
    ),
    pytest.param(
        {"ComparisonOperator": "EQUAL", "Value": False},
        f"{MP}.Value",
        "False is not a number",
        id="value-not-bool",
    ),
    pytest.param(
        {"ComparisonOperator": "EQUAL", "Value": None}, f"{MP}.Value", "None is not a number", id="value-null"
    ),
    pytest.param(
        {"ComparisonOperator": "EQUAL", "Value": float("-inf")},
        f"{MP}.Value",
        "-inf is not a finite number",
        id="value-finite",
    ),
    pytest.param(
        {"ComparisonOperator": "EQUAL", "Value": 1, "Zz": 0},
        f"{MP}.Zz",
        "unknown key 'Zz' (expected one of ComparisonOperator, Value)",
        id="metric-keys",
    ),
    pytest.param(5, MP, "expected an object, got a number", id="metric-an-object"),
]


@pytest.mark.parametrize(("dim", "field", "reason"), METRIC_REFUSALS)
def test_metric_refusals(dim, field, reason):
    assert refusal(dims(Metrics={"purchases": dim})) == (field, reason)


# --- names checked against the project's columns ------------------------------------------------------------------


COLUMN_REFUSALS = [
    pytest.param(
        dims(Attributes={"plna": {"Values": ["a"]}}),
        COLUMNS,
        "Dimensions.Attributes.plna",
        "unknown attribute 'plna': no endpoint has it (did you mean plan?)",
        id="attribute-hint",
    ),
    pytest.param(
        dims(Attributes={"zzz": {"Values": ["a"]}}),
        COLUMNS,
        "Dimensions.Attributes.zzz",
        "unknown attribute 'zzz': no endpoint has it (the data has city, plan)",
        id="attribute-lists-the-data",
    ),
    pytest.param(
        dims(Attributes={"zzz": {"Values": ["a"]}}),
        [f"Attributes.a{i:02d}" for i in range(12)],
        "Dimensions.Attributes.zzz",
        "unknown attribute 'zzz': no endpoint has it (the data has a00, a01, a02, a03, a04, a05, a06, a07, a08, a09)",
        id="attribute-lists-ten",
    ),
    pytest.param(
        dims(Attributes={"zzz": {"Values": ["a"]}}),
        ["Metrics.x", "Demographic.Platform"],
        "Dimensions.Attributes.zzz",
        "unknown attribute 'zzz': no endpoint has it",
        id="no-attributes-at-all",
    ),
    pytest.param(
        dims(Attributes={"zzz": {"Values": ["a"]}}),
        [],
        "Dimensions.Attributes.zzz",
        "unknown attribute 'zzz': no endpoint has it",
        id="no-columns-at-all",
    ),
    pytest.param(
        dims(UserAttributes={"tire": {"Values": ["a"]}}),
        COLUMNS,
        "Dimensions.UserAttributes.tire",
        "unknown user attribute 'tire': no endpoint has it (did you mean tier?)",
        id="user-attribute-hint",
    ),
    pytest.param(
        dims(UserAttributes={"plan": {"Values": ["a"]}}),
        COLUMNS,
        "Dimensions.UserAttributes.plan",
        "unknown user attribute 'plan': no endpoint has it (the data has tier)",
        id="user-attribute-is-not-an-endpoint-attribute",
    ),
    pytest.param(
        dims(Metrics={"purchase": {"ComparisonOperator": "EQUAL", "Value": 1}}),
        COLUMNS,
        "Dimensions.Metrics.purchase",
        "unknown metric 'purchase': no endpoint has it (did you mean purchases?)",
        id="metric-hint",
    ),
    pytest.param(
        dims(Metrics={"zzz": {"ComparisonOperator": "EQUAL", "Value": 1}}),
        COLUMNS,
        "Dimensions.Metrics.zzz",
        "unknown metric 'zzz': no endpoint has it (the data has purchases)",
        id="metric-lists-the-data",
    ),
    pytest.param(
        dims(Metrics={"Plan": {"ComparisonOperator": "EQUAL", "Value": 1}}),
        ["Metrics.score", "Metrics.plan"],
        "Dimensions.Metrics.Plan",
        "unknown metric 'Plan': no endpoint has it (did you mean plan?)",
        id="metric-hint-any-case",
    ),
]


@pytest.mark.parametrize(("request_", "columns", "field", "reason"), COLUMN_REFUSALS)
def test_unknown_names_are_refused_with_suggestions(request_, columns, field, reason):
    assert refusal(request_, columns=columns) == (field, reason)


def test_column_names_are_checked_before_the_condition():
    # an unknown name with a bad condition: the name is reported
    request = dims(Metrics={"zzz": {"ComparisonOperator": "BAD"}})
    assert refusal(request, columns=COLUMNS)[0] == "Dimensions.Metrics.zzz"
    assert refusal(request)[0] == "Dimensions.Metrics.zzz.ComparisonOperator"


def test_without_columns_any_name_is_read():
    request = dims(
        Attributes={"anything": {"Values": ["a"]}},
        Metrics={"m": {"ComparisonOperator": "EQUAL", "Value": 1}},
        UserAttributes={"u": {"Values": ["b"]}},
    )
    assert reads(request) == t.AllOf(
        (
            t.AttributeMatch("Attributes.anything", "INCLUSIVE", ("a",)),
            t.MetricCompare("Metrics.m", "EQUAL", 1.0),
            t.AttributeMatch("User.UserAttributes.u", "INCLUSIVE", ("b",)),
        )
    )
    # an iterator of columns is read once into a set
    assert reads(dims(Attributes={"plan": {"Values": ["a"]}}), columns=iter(COLUMNS)) == t.AllOf(
        (t.AttributeMatch("Attributes.plan", "INCLUSIVE", ("a",)),)
    )


# --- check_dates (used by the builder) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "values", "field", "reason"),
    [
        pytest.param(
            "BEFORE",
            ("soon",),
            "f[0]",
            "'soon' is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
            id="bad",
        ),
        pytest.param(
            "ON", ("2026-10-01", 5), "f[1]", "a date must be a string, got a number", id="not-a-string"
        ),
        pytest.param("AFTER", (), "f", "AFTER takes exactly one date, got 0", id="after-none"),
        pytest.param(
            "BETWEEN",
            ("2026-10-01",),
            "f",
            "BETWEEN takes exactly two dates (start, end), got 1",
            id="between-one",
        ),
        pytest.param(
            "BETWEEN",
            ("2026-10-05", "2026-10-04"),
            "f",
            "BETWEEN start 2026-10-05 is after its end 2026-10-04",
            id="reversed",
        ),
    ],
)
def test_check_dates_refusals(kind, values, field, reason):
    with pytest.raises(InputError) as err:
        check_dates(kind, values, "f")
    assert (err.value.field, err.value.reason, err.value.file, err.value.line) == (field, reason, None, None)


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("BEFORE", ("2026-10-01",)),
        ("ON", ("2026-10-01", "2026-10-02", "2026-10-03")),
        ("BETWEEN", ("2026-10-01", "2026-10-01")),
        ("INCLUSIVE", ("x", "y")),
        ("CONTAINS", (5,)),
        ("EXCLUSIVE", ()),
    ],
)
def test_check_dates_accepts(kind, values):
    assert check_dates(kind, values, "f") is None


# --- Behavior: Recency ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", ["HR_24", "DAY_7", "DAY_14", "DAY_30"])
@pytest.mark.parametrize("kind", ["ACTIVE", "INACTIVE"])
def test_recency(duration, kind):
    request = dims(Behavior={"Recency": {"Duration": duration, "RecencyType": kind}})
    assert one(request) == t.Recency(duration, kind)


RC = "Dimensions.Behavior.Recency"
RECENCY_REFUSALS = [
    pytest.param(
        {"RecencyType": "ACTIVE"},
        f"{RC}.Duration",
        "Duration is required: one of HR_24, DAY_7, DAY_14, DAY_30",
        id="duration-required",
    ),
    pytest.param(
        {"Duration": "DAY_3", "RecencyType": "ACTIVE"},
        f"{RC}.Duration",
        "'DAY_3' is not one of HR_24, DAY_7, DAY_14, DAY_30 (did you mean DAY_30, DAY_7, DAY_14?)",
        id="duration-hint",
    ),
    pytest.param(
        {"Duration": "DAY_7"},
        f"{RC}.RecencyType",
        "RecencyType is required: one of ACTIVE, INACTIVE",
        id="recency-type-required",
    ),
    pytest.param(
        {"Duration": "DAY_7", "RecencyType": "ACTIV"},
        f"{RC}.RecencyType",
        "'ACTIV' is not one of ACTIVE, INACTIVE (did you mean ACTIVE, INACTIVE?)",
        id="recency-type-hint",
    ),
    pytest.param(
        {"Duration": "DAY_7", "RecencyType": "ACTIVE", "Zz": 1},
        f"{RC}.Zz",
        "unknown key 'Zz' (expected one of Duration, RecencyType)",
        id="recency-keys",
    ),
    pytest.param("DAY_7", RC, "expected an object, got a string", id="recency-an-object"),
]


@pytest.mark.parametrize(("rec", "field", "reason"), RECENCY_REFUSALS)
def test_recency_refusals(rec, field, reason):
    assert refusal(dims(Behavior={"Recency": rec})) == (field, reason)


def test_behavior_reads_recency_events_engagement_in_that_order():
    behavior = {
        "Engagement": [{"Action": "OPENED"}],
        "Events": [{"EventType": "buy"}],
        "Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"},
    }
    assert reads(dims(Behavior=behavior)) == t.AllOf(
        (t.Recency("DAY_7", "ACTIVE"), t.Performed(("buy",)), t.Engaged("OPENED"))
    )
    assert reads(dims(Behavior={})) == t.AllOf(())
    assert refusal(dims(Behavior=[])) == ("Dimensions.Behavior", "expected an object, got a list")


# --- Behavior: Events -----------------------------------------------------------------------------------------------

E0 = "Dimensions.Behavior.Events[0]"


def test_events_defaults_and_order():
    request = dims(Behavior={"Events": [{"EventType": "a"}, {"EventType": ["b", "c"]}]})
    assert reads(request) == t.AllOf(
        (
            t.Performed(("a",), (), "AT_LEAST", 1, t.Window()),
            t.Performed(("b", "c"), (), "AT_LEAST", 1, t.Window()),
        )
    )
    assert reads(dims(Behavior={"Events": []})) == t.AllOf(())


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        pytest.param({"Value": 3}, ("AT_LEAST", 3), id="at-least-by-default"),
        pytest.param({"ComparisonOperator": "AT_LEAST", "Value": 2}, ("AT_LEAST", 2), id="at-least"),
        pytest.param({"ComparisonOperator": "AT_MOST", "Value": 0}, ("AT_MOST", 0), id="at-most-zero"),
        pytest.param({"ComparisonOperator": "EXACTLY", "Value": 5}, ("EXACTLY", 5), id="exactly"),
        pytest.param({"Value": 1_000_000_000}, ("AT_LEAST", 1_000_000_000), id="at-most-a-billion"),
    ],
)
def test_times(times, expected):
    assert one(ev(Times=times)) == t.Performed(("buy",), (), *expected, t.Window())


TIMES_MSG = "Times.Value must be a whole number from 0 to 1,000,000,000, got "


@pytest.mark.parametrize(
    ("times", "field", "reason"),
    [
        pytest.param(
            {"Value": 1_000_000_001}, ".Times.Value", TIMES_MSG + "1000000001", id="above-a-billion"
        ),
        pytest.param({"Value": -1}, ".Times.Value", TIMES_MSG + "-1", id="negative"),
        pytest.param({"Value": 1.5}, ".Times.Value", TIMES_MSG + "1.5", id="fraction"),
        pytest.param({"Value": 2.0}, ".Times.Value", TIMES_MSG + "2.0", id="float"),
        pytest.param({"Value": True}, ".Times.Value", TIMES_MSG + "True", id="bool"),
        pytest.param({}, ".Times.Value", TIMES_MSG + "None", id="required"),
        pytest.param({"Value": "3"}, ".Times.Value", TIMES_MSG + "'3'", id="string"),
        pytest.param(
            {"ComparisonOperator": "MORE", "Value": 1},
            ".Times.ComparisonOperator",
            "'MORE' is not one of AT_LEAST, AT_MOST, EXACTLY",
            id="operator",
        ),
        pytest.param(
            {"ComparisonOperator": "EXACT", "Value": 1},
            ".Times.ComparisonOperator",
            "'EXACT' is not one of AT_LEAST, AT_MOST, EXACTLY (did you mean EXACTLY?)",
            id="operator-hint",
        ),
        pytest.param(
            {"Value": 1, "Zz": 1},
            ".Times.Zz",
            "unknown key 'Zz' (expected one of ComparisonOperator, Value)",
            id="times-keys",
        ),
        pytest.param(3, ".Times", "expected an object, got a number", id="times-an-object"),
    ],
)
def test_times_refusals(times, field, reason):
    assert refusal(ev(Times=times)) == (E0 + field, reason)


def test_event_filters():
    request = ev(
        Attributes={
            "color": {"Values": ["red"]},
            "size": {"AttributeType": "EXCLUSIVE", "Values": ["S", "M"]},
        },
        Metrics={"price": {"ComparisonOperator": "GREATER_THAN", "Value": 5}},
    )
    assert one(request, columns=COLUMNS) == t.Performed(
        ("buy",),
        (
            t.EventFilter("attribute", "color", "INCLUSIVE", ("red",)),
            t.EventFilter("attribute", "size", "EXCLUSIVE", ("S", "M")),
            t.EventFilter("metric", "price", "GREATER_THAN", (5.0,)),
        ),
    )
    # event attribute names are not endpoint columns: not checked against them
    assert one(
        ev(Attributes={"x": {"AttributeType": "ON", "Values": ["2026-10-01"]}}), columns=[]
    ) == t.Performed(("buy",), (t.EventFilter("attribute", "x", "ON", ("2026-10-01",)),))


EVENT_REFUSALS = [
    pytest.param(
        dims(Behavior={"Events": {"EventType": "a"}}),
        "Dimensions.Behavior.Events",
        "expected a list, got an object",
        id="events-a-list",
    ),
    pytest.param(
        dims(Behavior={"Events": [5]}),
        E0,
        "expected an object, got a number",
        id="event-an-object",
    ),
    pytest.param(
        dims(Behavior={"Events": [{"EventType": "a"}, {"EventType": ""}]}),
        "Dimensions.Behavior.Events[1].EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-type-not-empty",
    ),
    pytest.param(
        dims(Behavior={"Events": [{}]}),
        f"{E0}.EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-type-required",
    ),
    pytest.param(
        dims(Behavior={"Events": [{"EventType": []}]}),
        f"{E0}.EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-types-not-empty",
    ),
    pytest.param(
        dims(Behavior={"Events": [{"EventType": ["a", ""]}]}),
        f"{E0}.EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-type-names-not-empty",
    ),
    pytest.param(
        dims(Behavior={"Events": [{"EventType": ["a", 5]}]}),
        f"{E0}.EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-type-names-strings",
    ),
    pytest.param(
        dims(Behavior={"Events": [{"EventType": 5}]}),
        f"{E0}.EventType",
        'EventType must be an event name or a list of them, e.g. "_session.start"',
        id="event-type-a-string",
    ),
    pytest.param(
        ev(Zz=1),
        f"{E0}.Zz",
        "unknown key 'Zz' (expected one of EventType, Attributes, Metrics, Times, Within, Between,"
        " FirstPerformed, LastPerformed)",
        id="event-keys",
    ),
    pytest.param(
        ev(Attributes=[]),
        f"{E0}.Attributes",
        "expected an object of name -> condition, got a list",
        id="event-attributes-an-object",
    ),
    pytest.param(
        ev(Metrics="x"),
        f"{E0}.Metrics",
        "expected an object of name -> condition, got a string",
        id="event-metrics-an-object",
    ),
    pytest.param(
        ev(Attributes={"c": {"AttributeType": "LIKE", "Values": ["a"]}}),
        f"{E0}.Attributes.c.AttributeType",
        "'LIKE' is not one of INCLUSIVE, EXCLUSIVE, CONTAINS, BEFORE, AFTER, ON, BETWEEN",
        id="event-attribute-type",
    ),
    pytest.param(
        ev(Attributes={"c": {"AttributeType": "BEFORE", "Values": ["x"]}}),
        f"{E0}.Attributes.c.Values[0]",
        "'x' is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
        id="event-attribute-date",
    ),
    pytest.param(
        ev(Metrics={"p": {"ComparisonOperator": "EQUAL"}}),
        f"{E0}.Metrics.p.Value",
        "Value is required",
        id="event-metric-value",
    ),
    pytest.param(
        ev(Metrics={"p": {"ComparisonOperator": "EQ", "Value": 1}}),
        f"{E0}.Metrics.p.ComparisonOperator",
        "'EQ' is not one of GREATER_THAN, LESS_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN_OR_EQUAL, EQUAL",
        id="event-metric-operator",
    ),
]


@pytest.mark.parametrize(("request_", "field", "reason"), EVENT_REFUSALS)
def test_event_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


# --- FirstPerformed / LastPerformed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["FirstPerformed", "LastPerformed"])
@pytest.mark.parametrize("op", ["BEFORE", "AFTER"])
@pytest.mark.parametrize("value", ["2026-10-01", ["2026-10-01"]], ids=["a-date", "a-list-of-one"])
def test_first_last_performed(key, op, value):
    request = ev(Attributes={"c": {"Values": ["red"]}}, **{key: {"ComparisonOperator": op, "Value": value}})
    assert one(request) == t.PerformedWhen(
        ("buy",),
        "FIRST" if key == "FirstPerformed" else "LAST",
        op,
        "2026-10-01",
        (t.EventFilter("attribute", "c", "INCLUSIVE", ("red",)),),
    )


STAND_ALONE = "FirstPerformed/LastPerformed stand alone: put other conditions in their own Events entry"
WHEN = {"ComparisonOperator": "BEFORE", "Value": "2026-10-01"}
DATE_MSG = "is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z"

WHEN_REFUSALS = [
    pytest.param({"FirstPerformed": WHEN, "LastPerformed": WHEN}, ".LastPerformed", STAND_ALONE, id="both"),
    pytest.param(
        {"FirstPerformed": WHEN, "Times": {"Value": 1}}, ".FirstPerformed", STAND_ALONE, id="with-times"
    ),
    pytest.param(
        {"LastPerformed": WHEN, "Within": {"Days": 1}}, ".LastPerformed", STAND_ALONE, id="with-within"
    ),
    pytest.param(
        {"LastPerformed": WHEN, "Between": {"Start": "2026-10-01", "End": "2026-10-02"}},
        ".LastPerformed",
        STAND_ALONE,
        id="with-between",
    ),
    pytest.param(
        {"FirstPerformed": {"Value": "2026-10-01"}},
        ".FirstPerformed.ComparisonOperator",
        "ComparisonOperator is required: one of BEFORE, AFTER",
        id="operator-required",
    ),
    pytest.param(
        {"FirstPerformed": {"ComparisonOperator": "ON", "Value": "2026-10-01"}},
        ".FirstPerformed.ComparisonOperator",
        "'ON' is not one of BEFORE, AFTER",
        id="operator-before-or-after",
    ),
    pytest.param(
        {"LastPerformed": {"ComparisonOperator": "AFTR", "Value": "2026-10-01"}},
        ".LastPerformed.ComparisonOperator",
        "'AFTR' is not one of BEFORE, AFTER (did you mean AFTER?)",
        id="operator-hint",
    ),
    pytest.param(
        {"LastPerformed": {"ComparisonOperator": "AFTER"}},
        ".LastPerformed.Value",
        "Values must be a list of strings, got null",
        id="value-required",
    ),
    pytest.param(
        {"LastPerformed": {"ComparisonOperator": "AFTER", "Value": ["2026-10-01", "2026-10-02"]}},
        ".LastPerformed.Value",
        "AFTER takes exactly one date, got 2",
        id="value-one-date",
    ),
    pytest.param(
        {"LastPerformed": {"ComparisonOperator": "AFTER", "Value": []}},
        ".LastPerformed.Value",
        "Values is empty: give at least one value",
        id="value-not-empty",
    ),
    pytest.param(
        {"FirstPerformed": {"ComparisonOperator": "AFTER", "Value": "yesterday"}},
        ".FirstPerformed.Value[0]",
        "'yesterday' " + DATE_MSG,
        id="value-a-date",
    ),
    pytest.param(
        {"FirstPerformed": {"ComparisonOperator": "AFTER", "Value": ["yesterday"]}},
        ".FirstPerformed.Value[0]",
        "'yesterday' " + DATE_MSG,
        id="value-list-a-date",
    ),
    pytest.param(
        {"FirstPerformed": {"ComparisonOperator": "AFTER", "Value": "2026-10-01", "Zz": 1}},
        ".FirstPerformed.Zz",
        "unknown key 'Zz' (expected one of ComparisonOperator, Value)",
        id="keys",
    ),
    pytest.param(
        {"FirstPerformed": "2026-10-01"}, ".FirstPerformed", "expected an object, got a string", id="object"
    ),
]


@pytest.mark.parametrize(("entry", "field", "reason"), WHEN_REFUSALS)
def test_first_last_performed_refusals(entry, field, reason):
    assert refusal(ev(**entry)) == (E0 + field, reason)


# --- windows: Within / Between ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("within", "days"),
    [
        pytest.param({"Days": 7}, 7.0, id="days"),
        pytest.param({"Hours": 12}, 0.5, id="hours"),
        pytest.param({"Days": 1, "Hours": 6}, 1.25, id="days-and-hours"),
        pytest.param({"Days": 36_600}, 36_600.0, id="at-most-36600-days"),
        pytest.param({"Hours": 36_600 * 24}, 36_600.0, id="at-most-36600-days-in-hours"),
        pytest.param({"Days": 0, "Hours": 1}, 1 / 24, id="zero-days-and-an-hour"),
        pytest.param({"Days": 0.001}, 0.001, id="a-little-more-than-zero"),
        pytest.param({"Days": 2, "Hours": -24}, 1.0, id="negative-hours-subtract"),
    ],
)
def test_within(within, days):
    node = one(ev(Within=within))
    assert node == t.Performed(("buy",), (), "AT_LEAST", 1, t.Window(days=days))
    assert type(node.window.days) is float
    assert one(eng(Action="CLICKED", Within=within)) == t.Engaged("CLICKED", None, None, t.Window(days=days))


def test_between():
    window = t.Window(start="2026-10-01", end="2026-10-31T12:00:00Z")
    assert one(ev(Between={"Start": "2026-10-01", "End": "2026-10-31T12:00:00Z"})) == t.Performed(
        ("buy",), (), "AT_LEAST", 1, window
    )
    assert one(
        eng(Action="BOUNCED", Between={"End": "2026-10-31T12:00:00Z", "Start": "2026-10-01"})
    ) == t.Engaged("BOUNCED", None, None, window)
    assert one(ev(Between={"Start": "2026-10-01", "End": "2026-10-01"})).window == t.Window(
        start="2026-10-01", end="2026-10-01"
    )


WITHIN_MAX = "Within reaches back at most 36,600 days, got "
WINDOW_REFUSALS = [
    pytest.param(
        {"Within": {"Days": 1}, "Between": {"Start": "2026-10-01", "End": "2026-10-02"}},
        ".Between",
        "give Within or Between, not both",
        id="not-both",
    ),
    pytest.param({"Within": {}}, ".Within", "Within needs Days (or Hours) greater than 0", id="within-empty"),
    pytest.param(
        {"Within": {"Days": 0}}, ".Within", "Within needs Days (or Hours) greater than 0", id="zero-days"
    ),
    pytest.param(
        {"Within": {"Hours": 0}}, ".Within", "Within needs Days (or Hours) greater than 0", id="zero-hours"
    ),
    pytest.param(
        {"Within": {"Days": -1}}, ".Within", "Within needs Days (or Hours) greater than 0", id="negative-days"
    ),
    pytest.param(
        {"Within": {"Days": 1, "Hours": -24}},
        ".Within",
        "Within needs Days (or Hours) greater than 0",
        id="hours-cancel-days",
    ),
    pytest.param({"Within": {"Days": 36_600.5}}, ".Within.Days", WITHIN_MAX + "36600.5", id="days-above"),
    pytest.param({"Within": {"Days": 36_601}}, ".Within.Days", WITHIN_MAX + "36601", id="days-36601"),
    pytest.param(
        {"Within": {"Hours": 36_600 * 24 + 12}}, ".Within.Hours", WITHIN_MAX + "36600.5", id="hours-above"
    ),
    pytest.param(
        {"Within": {"Days": 36_600, "Hours": 12}},
        ".Within.Days",
        WITHIN_MAX + "36600.5",
        id="days-and-hours-above",
    ),
    pytest.param({"Within": {"Days": "7"}}, ".Within.Days", "'7' is not a number", id="days-a-number"),
    pytest.param({"Within": {"Hours": None}}, ".Within.Hours", "None is not a number", id="hours-a-number"),
    pytest.param(
        {"Within": {"Days": 1, "Minutes": 5}},
        ".Within.Minutes",
        "unknown key 'Minutes' (expected one of Days, Hours)",
        id="within-keys",
    ),
    pytest.param({"Within": 7}, ".Within", "expected an object, got a number", id="within-an-object"),
    pytest.param(
        {"Between": {"End": "2026-10-02"}}, ".Between.Start", "Between needs Start", id="needs-start"
    ),
    pytest.param({"Between": {"Start": "2026-10-02"}}, ".Between.End", "Between needs End", id="needs-end"),
    pytest.param({"Between": {}}, ".Between.Start", "Between needs Start", id="needs-start-first"),
    pytest.param(
        {"Between": {"Start": "2026-10-02", "End": "2026-10-01"}},
        ".Between",
        "BETWEEN start 2026-10-02 is after its end 2026-10-01",
        id="reversed",
    ),
    pytest.param(
        {"Between": {"Start": "2026-10-02", "End": "later"}},
        ".Between[1]",
        "'later' " + DATE_MSG,
        id="bad-end",
    ),
    pytest.param(
        {"Between": {"Start": 5, "End": "2026-10-01"}},
        ".Between[0]",
        "a date must be a string, got a number",
        id="start-a-string",
    ),
    pytest.param(
        {"Between": {"Start": "2026-10-01", "End": "2026-10-02", "Zz": 1}},
        ".Between.Zz",
        "unknown key 'Zz' (expected one of Start, End)",
        id="between-keys",
    ),
    pytest.param({"Between": []}, ".Between", "expected an object, got a list", id="between-an-object"),
]


@pytest.mark.parametrize(("window", "field", "reason"), WINDOW_REFUSALS)
def test_event_window_refusals(window, field, reason):
    assert refusal(ev(**window)) == (E0 + field, reason)


@pytest.mark.parametrize(("window", "field", "reason"), WINDOW_REFUSALS)
def test_engagement_window_refusals(window, field, reason):
    assert refusal(eng(Action="OPENED", **window)) == ("Dimensions.Behavior.Engagement[0]" + field, reason)


# --- Behavior: Engagement -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["OPENED", "CLICKED", "BOUNCED", "UNSUBSCRIBED"])
def test_engagement_actions(action):
    assert one(eng(Action=action)) == t.Engaged(action, None, None, t.Window())
    assert one(eng(Action=action, CampaignId="c1")) == t.Engaged(action, "c1", None, t.Window())
    assert one(eng(Action=action, JourneyId="j1")) == t.Engaged(action, None, "j1", t.Window())
    assert one(eng(Action=action, JourneyId="j1", CampaignId="c1", Within={"Days": 2})) == t.Engaged(
        action, "c1", "j1", t.Window(days=2.0)
    )


EN0 = "Dimensions.Behavior.Engagement[0]"
ENGAGEMENT_REFUSALS = [
    pytest.param(
        dims(Behavior={"Engagement": {"Action": "OPENED"}}),
        "Dimensions.Behavior.Engagement",
        "expected a list, got an object",
        id="engagement-a-list",
    ),
    pytest.param(
        dims(Behavior={"Engagement": ["OPENED"]}), EN0, "expected an object, got a string", id="an-object"
    ),
    pytest.param(
        eng(),
        f"{EN0}.Action",
        "Action is required: one of OPENED, CLICKED, BOUNCED, UNSUBSCRIBED",
        id="action-required",
    ),
    pytest.param(
        eng(Action="OPEN"),
        f"{EN0}.Action",
        "'OPEN' is not one of OPENED, CLICKED, BOUNCED, UNSUBSCRIBED (did you mean OPENED?)",
        id="action-hint",
    ),
    pytest.param(
        eng(Action="READ"),
        f"{EN0}.Action",
        "'READ' is not one of OPENED, CLICKED, BOUNCED, UNSUBSCRIBED",
        id="action",
    ),
    pytest.param(
        eng(Action="OPENED", CampaignId=""),
        f"{EN0}.CampaignId",
        "CampaignId must be a non-empty string",
        id="campaign-not-empty",
    ),
    pytest.param(
        eng(Action="OPENED", CampaignId=5),
        f"{EN0}.CampaignId",
        "CampaignId must be a non-empty string",
        id="campaign-a-string",
    ),
    pytest.param(
        eng(Action="OPENED", JourneyId=None),
        f"{EN0}.JourneyId",
        "JourneyId must be a non-empty string",
        id="journey-a-string",
    ),
    pytest.param(
        eng(Action="OPENED", CampaignId="c", JourneyId=""),
        f"{EN0}.JourneyId",
        "JourneyId must be a non-empty string",
        id="journey-not-empty",
    ),
    pytest.param(
        eng(Action="OPENED", Campaign="c"),
        f"{EN0}.Campaign",
        "unknown key 'Campaign' (did you mean CampaignId?)",
        id="engagement-hint",
    ),
    pytest.param(
        eng(Action="OPENED", Zz="c"),
        f"{EN0}.Zz",
        "unknown key 'Zz' (expected one of Action, CampaignId, JourneyId, Within, Between)",
        id="engagement-keys",
    ),
]


@pytest.mark.parametrize(("request_", "field", "reason"), ENGAGEMENT_REFUSALS)
def test_engagement_refusals(request_, field, reason):
    assert refusal(request_) == (field, reason)


def test_several_engagements_keep_their_order():
    request = dims(Behavior={"Engagement": [{"Action": "CLICKED"}, {"Action": "OPENED", "CampaignId": "c"}]})
    assert reads(request) == t.AllOf((t.Engaged("CLICKED"), t.Engaged("OPENED", "c")))


# --- RandomBucket -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param({}, (0, 100, "ENDPOINT", ""), id="every-bucket-by-default"),
        pytest.param({"Percent": 10}, (0, 10, "ENDPOINT", ""), id="percent"),
        pytest.param({"Percent": 0}, (0, 0, "ENDPOINT", ""), id="percent-0"),
        pytest.param({"Percent": 100}, (0, 100, "ENDPOINT", ""), id="percent-100"),
        pytest.param({"Percent": 25.0}, (0, 25, "ENDPOINT", ""), id="percent-whole-float"),
        pytest.param({"Percent": 10, "Start": 50, "End": 60}, (0, 10, "ENDPOINT", ""), id="percent-wins"),
        pytest.param({"Start": 20}, (20, 100, "ENDPOINT", ""), id="end-100-by-default"),
        pytest.param({"End": 30}, (0, 30, "ENDPOINT", ""), id="start-0-by-default"),
        pytest.param({"Start": 40, "End": 40}, (40, 40, "ENDPOINT", ""), id="start-equals-end"),
        pytest.param({"Start": 0, "End": 100}, (0, 100, "ENDPOINT", ""), id="edges"),
        pytest.param({"Start": 99, "End": 100, "Key": "USER"}, (99, 100, "USER", ""), id="user"),
        pytest.param({"Key": "ENDPOINT", "Salt": "exp-1"}, (0, 100, "ENDPOINT", "exp-1"), id="salt"),
    ],
)
def test_random_bucket(entry, expected):
    node = one(bucket(**entry))
    assert node == t.RandomBucket(*expected)
    assert type(node.start) is int and type(node.end) is int


RB = "Dimensions.RandomBucket"
BUCKET_MSG = "buckets are whole numbers with 0 <= Start <= End <= 100, got "
BUCKET_REFUSALS = [
    pytest.param({"Percent": 101}, RB, BUCKET_MSG + "0..101.0", id="percent-above-100"),
    pytest.param({"Percent": -1}, RB, BUCKET_MSG + "0..-1.0", id="percent-negative"),
    pytest.param({"Percent": 10.5}, RB, BUCKET_MSG + "0..10.5", id="percent-fraction"),
    pytest.param({"Start": 50, "End": 40}, RB, BUCKET_MSG + "50.0..40.0", id="start-after-end"),
    pytest.param({"Start": -1, "End": 40}, RB, BUCKET_MSG + "-1.0..40.0", id="start-negative"),
    pytest.param({"Start": 1, "End": 101}, RB, BUCKET_MSG + "1.0..101.0", id="end-above-100"),
    pytest.param({"Start": 101}, RB, BUCKET_MSG + "101.0..100.0", id="start-above-100"),
    pytest.param({"Start": 1.5, "End": 3}, RB, BUCKET_MSG + "1.5..3.0", id="start-fraction"),
    pytest.param({"Start": 1, "End": 3.5}, RB, BUCKET_MSG + "1.0..3.5", id="end-fraction"),
    pytest.param({"Percent": "10"}, f"{RB}.Percent", "'10' is not a number", id="percent-a-number"),
    pytest.param({"Start": "1"}, f"{RB}.Start", "'1' is not a number", id="start-a-number"),
    pytest.param({"End": None}, f"{RB}.End", "None is not a number", id="end-a-number"),
    pytest.param({"Key": "DEVICE"}, f"{RB}.Key", "'DEVICE' is not one of ENDPOINT, USER", id="key"),
    pytest.param(
        {"Key": "USERS"},
        f"{RB}.Key",
        "'USERS' is not one of ENDPOINT, USER (did you mean USER?)",
        id="key-hint",
    ),
    pytest.param({"Salt": 5}, f"{RB}.Salt", "Salt must be a string", id="salt-a-string"),
    pytest.param({"Salt": None}, f"{RB}.Salt", "Salt must be a string", id="salt-not-null"),
    pytest.param(
        {"Zz": 1},
        f"{RB}.Zz",
        "unknown key 'Zz' (expected one of Percent, Start, End, Key, Salt)",
        id="bucket-keys",
    ),
]


@pytest.mark.parametrize(("entry", "field", "reason"), BUCKET_REFUSALS)
def test_random_bucket_refusals(entry, field, reason):
    assert refusal(bucket(**entry)) == (field, reason)


def test_random_bucket_an_object():
    assert refusal(dims(RandomBucket=10)) == (RB, "expected an object, got a number")


# --- SegmentMembership ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, "INCLUSIVE", "EXCLUSIVE"])
def test_segment_membership(kind):
    def member(*segments):
        entry = {"Segments": list(segments)}
        if kind:
            entry["DimensionType"] = kind
        return one(dims(SegmentMembership=entry))

    def wrap(node):
        return t.NoneOf((node,)) if kind == "EXCLUSIVE" else node

    assert member({"Id": "vip"}) == wrap(t.InSegment("vip"))
    assert member({"Name": "vip", "Version": 2}) == wrap(t.InSegment("vip", 2))
    assert member({"Id": "a"}, {"Id": "b", "Version": 1}) == wrap(
        t.AnyOf((t.InSegment("a"), t.InSegment("b", 1)))
    )


SM = "Dimensions.SegmentMembership"
MEMBERSHIP_REFUSALS = [
    pytest.param(
        {}, f"{SM}.Segments", "Segments is empty: name at least one segment", id="segments-required"
    ),
    pytest.param(
        {"Segments": []},
        f"{SM}.Segments",
        "Segments is empty: name at least one segment",
        id="segments-not-empty",
    ),
    pytest.param(
        {"Segments": {"Id": "a"}}, f"{SM}.Segments", "expected a list, got an object", id="segments-a-list"
    ),
    pytest.param(
        {"Segments": [{"Id": "a"}], "DimensionType": "NONE"},
        f"{SM}.DimensionType",
        "'NONE' is not one of INCLUSIVE, EXCLUSIVE",
        id="dimension-type",
    ),
    pytest.param(
        {"Segments": [{"Id": "a"}, {"Version": 2}]},
        f"{SM}.Segments[1].Id",
        "a source segment needs an Id (a segment id or name)",
        id="segment-needs-an-id",
    ),
    pytest.param(
        {"Segments": [{"Id": "a", "Version": 0}]},
        f"{SM}.Segments[0].Version",
        "Version must be a positive integer, got 0",
        id="segment-version",
    ),
    pytest.param(
        {"Segments": [{"Id": "a"}], "Zz": 1},
        f"{SM}.Zz",
        "unknown key 'Zz' (expected one of DimensionType, Segments)",
        id="membership-keys",
    ),
    pytest.param([{"Id": "a"}], SM, "expected an object, got a list", id="membership-an-object"),
]


@pytest.mark.parametrize(("entry", "field", "reason"), MEMBERSHIP_REFUSALS)
def test_segment_membership_refusals(entry, field, reason):
    assert refusal(dims(SegmentMembership=entry)) == (field, reason)


# --- AllOf / AnyOf / NoneOf -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "node"), [("AllOf", t.AllOf), ("AnyOf", t.AnyOf), ("NoneOf", t.NoneOf)])
def test_nested_groups(key, node):
    assert one(dims(**{key: [P_IOS, P_AND]})) == node((V_IOS, V_AND))
    assert one(dims(**{key: []})) == node(())
    assert refusal(dims(**{key: P_IOS})) == (f"Dimensions.{key}", f"{key} must be a list of dimension sets")
    assert refusal(dims(**{key: [P_IOS, 5]})) == (f"Dimensions.{key}[1]", "expected an object, got a number")


NEST_MSG = "AllOf / AnyOf / NoneOf nest more than 32 levels deep; flatten the condition"


@pytest.mark.parametrize("key", ["AllOf", "AnyOf", "NoneOf"])
def test_groups_nest_at_most_32_levels(key):
    tree = reads({"Dimensions": nest(key, 32)})
    depth = 0
    while isinstance(tree, t.AllOf | t.AnyOf | t.NoneOf) and tree.items:
        tree = tree.items[0]
        depth += 1
    assert tree == t.ValueIn("Demographic.Platform", ("iOS",))
    assert depth == 32 * 2 + 1  # each level: the set's AllOf and the group; the request's own set
    field, reason = refusal({"Dimensions": nest(key, 33)})
    assert reason == NEST_MSG
    assert field == "Dimensions" + f".{key}[0]" * 32 + f".{key}"


def test_nesting_is_counted_per_branch():
    # two sibling branches each 32 deep: the count goes back down after each
    branch = nest("AnyOf", 31)
    request = {"Dimensions": {"AllOf": [branch, branch]}}
    tree = reads(request)
    assert isinstance(tree.items[0], t.AllOf) and len(tree.items[0].items) == 2
    # a branch refused after its sibling was read: the count is that of the branch alone
    request = {"Dimensions": {"AllOf": [branch, nest("AnyOf", 32)]}}
    assert refusal(request) == (
        "Dimensions.AllOf[1]" + ".AnyOf[0]" * 31 + ".AnyOf",
        NEST_MSG,
    )
    # a group's sets nest independently of the next group's
    group = {"Dimensions": [nest("NoneOf", 32)]}
    assert reads({"SegmentGroups": {"Groups": [group, group]}}) is not None


def test_mixed_nesting_counts_every_kind():
    node = {"Demographic": {"Make": {"Values": ["m"]}}}
    for i in range(33):
        node = {("AllOf", "AnyOf", "NoneOf")[i % 3]: [node]}
    assert refusal({"Dimensions": node})[1] == NEST_MSG


# --- more about lines and dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param('\n{"Dimensions":\n {"Demographic": 5}}', 3, id="a-leading-newline-counts"),
        pytest.param('"Dimensions"\n"Demographic"', 2, id="a-key-at-the-very-start"),
        pytest.param('{"Dimensions":\n"Other"\n"Demographic"}', 3, id="the-key-after-the-parent"),
        pytest.param(
            '{"Demographic"\n"Dimensions"\n"Demographic"}', 3, id="a-key-before-its-parent-is-skipped"
        ),
        pytest.param('{"Dimensions": 1,\n\n"Nothing"}', 1, id="a-key-not-found-keeps-the-parent-line"),
        pytest.param(
            '{"Dimensions":\n"Demographic"\n"Demographic"}', 2, id="the-first-match-after-the-parent"
        ),
    ],
)
def test_line_of_the_field(text, line):
    with pytest.raises(InputError) as err:
        read_request({"Dimensions": {"Demographic": 5}}, text=text)
    assert err.value.line == line


def test_a_key_not_found_stops_the_search():
    # Make and Values follow in the text, but Demographic is missing: the line is that of Dimensions
    text = '{"Dimensions":\n"Make"\n"Values"}'
    with pytest.raises(InputError) as err:
        read_request({"Dimensions": {"Demographic": {"Make": {}}}}, text=text)
    assert (err.value.field, err.value.line) == ("Dimensions.Demographic.Make.Values", 1)


@pytest.mark.parametrize(
    "value", ["0001-01-01", "9999-12-31T23:59:59Z", "2026-10-01T12:00:00+02:00", "2026-10-01 12:00"]
)
def test_dates_from_year_1_to_9999(value):
    node = one(dims(Attributes={"d": {"AttributeType": "ON", "Values": [value]}}))
    assert node == t.AttributeMatch("Attributes.d", "ON", (value,))


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2026-02-30", "10000-01-01", "26-10-01"],
)
def test_dates_out_of_range_are_refused(value):
    assert refusal(dims(Attributes={"d": {"AttributeType": "AFTER", "Values": [value]}})) == (
        "Dimensions.Attributes.d.Values[0]",
        f"{value!r} is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z",
    )


@pytest.mark.parametrize(
    ("request_", "field", "reason"),
    [
        pytest.param(
            grp(Dimensions=[{"AnyOf": {}}]),
            f"{G0}.Dimensions[0].AnyOf",
            "AnyOf must be a list of dimension sets",
            id="in-a-group",
        ),
        pytest.param(
            dims(AllOf=[{"NoneOf": 5}]),
            "Dimensions.AllOf[0].NoneOf",
            "NoneOf must be a list of dimension sets",
            id="nested",
        ),
    ],
)
def test_nested_group_names_itself_when_not_a_list(request_, field, reason):
    assert refusal(request_) == (field, reason)


def test_between_start_may_equal_the_end_of_the_end_day():
    request = dims(
        Attributes={
            "d": {"AttributeType": "BETWEEN", "Values": ["2026-10-01T23:59:59.999999Z", "2026-10-01"]}
        }
    )
    assert one(request) == t.AttributeMatch(
        "Attributes.d", "BETWEEN", ("2026-10-01T23:59:59.999999Z", "2026-10-01")
    )
    assert check_dates("BETWEEN", ("2026-10-01T12:00:00Z", "2026-10-01T12:00:00Z"), "f") is None


@pytest.mark.parametrize("kind", ["BEFORE", "ON", "BETWEEN"])
def test_the_last_date_reads_to_the_end_of_its_day(kind):
    # 9999-12-31 (the README's last date): a BETWEEN end reads as its day's last microsecond, which has no day
    # after it to step back from
    values = ["2026-01-01", "9999-12-31"] if kind == "BETWEEN" else ["9999-12-31"]
    assert reads(dims(Attributes={"d": {"AttributeType": kind, "Values": values}})) == t.AllOf(
        (t.AttributeMatch("Attributes.d", kind, tuple(values)),)
    )
    assert t.parse_instant("9999-12-31", end_of_day=True) == datetime(9999, 12, 31, 23, 59, 59, 999_999)


def test_an_import_definition_called_dimensional_is_refused_by_name():
    # (an ImportDefinition alone, but SegmentType DIMENSIONAL: there is nothing to read the members from)
    request = {"ImportDefinition": {"S3Url": "s3://b/k", "Format": "CSV"}, "SegmentType": "DIMENSIONAL"}
    assert refusal(request) == ("SegmentType", "a DIMENSIONAL segment needs Dimensions or SegmentGroups")
    assert (
        read_request({"ImportDefinition": {"S3Url": "s3://b/k", "Format": "CSV"}}) is None
    )  # IMPORT: no tree
