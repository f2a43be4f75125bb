"""Bad segment input: each error says what was wrong and where, and nothing is saved."""

from __future__ import annotations

import json

import pytest

from workbench.errors import InputError, UnknownNameError
from workbench.segments import Segment, SegmentSpec, attribute, in_segment, list_segments

NOW = "2026-10-30T00:00:00Z"


def dims(**dimensions):
    return {"Name": "x", "Dimensions": dimensions}


def read(project, request):
    return SegmentSpec.from_json(request, columns=project.endpoint_columns())


def test_unknown_dimension_is_named_with_suggestions(demo_project):
    with pytest.raises(InputError) as err:
        read(demo_project, {"Dimensions": {"Demographics": {}}})
    assert "Demographics" in str(err.value) and "did you mean Demographic" in str(err.value)
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Demographic={"Plattform": {"Values": ["iOS"]}}))
    assert err.value.field == "Dimensions.Demographic.Plattform" and "Platform" in str(err.value)


def test_unknown_attribute_suggests_close_names_from_the_data(demo_project):
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Attributes={"plna": {"AttributeType": "INCLUSIVE", "Values": ["pro"]}}))
    message = str(err.value)
    assert "unknown attribute 'plna'" in message and "did you mean plan" in message
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Metrics={"purchase": {"ComparisonOperator": "EQUAL", "Value": 1}}))
    assert "purchases" in str(err.value)
    with pytest.raises(InputError) as err:
        Segment(demo_project, attribute("plna").any_of("pro")).count()
    assert "plna" in str(err.value) and "did you mean plan" in str(err.value)


def test_metric_value_must_be_a_number(demo_project):
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Metrics={"purchases": {"ComparisonOperator": "GREATER_THAN", "Value": "3"}}))
    assert err.value.field == "Dimensions.Metrics.purchases.Value" and "not a number" in str(err.value)


def test_empty_values(demo_project):
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Attributes={"plan": {"AttributeType": "INCLUSIVE", "Values": []}}))
    assert err.value.field == "Dimensions.Attributes.plan.Values" and "empty" in str(err.value)
    with pytest.raises(InputError):
        read(demo_project, dims(Location={"Country": {"DimensionType": "INCLUSIVE", "Values": []}}))


def test_malformed_date(demo_project):
    request = dims(Attributes={"plan": {"AttributeType": "BEFORE", "Values": ["2026-13-45"]}})
    with pytest.raises(InputError) as err:
        read(demo_project, request)
    assert (
        "'2026-13-45' is not a date" in str(err.value)
        and err.value.field == "Dimensions.Attributes.plan.Values[0]"
    )
    with pytest.raises(InputError):
        attribute("plan").after("yesterday")


def test_between_needs_two_values(demo_project):
    with pytest.raises(InputError) as err:
        read(demo_project, dims(Attributes={"plan": {"AttributeType": "BETWEEN", "Values": ["2026-01-01"]}}))
    assert "BETWEEN takes exactly two dates" in str(err.value)


def test_unknown_base_segment(demo_project):
    request = {"SegmentGroups": {"Groups": [{"SourceSegments": [{"Id": "nope"}]}]}}
    with pytest.raises(InputError) as err:
        Segment.from_json(demo_project, request, now=NOW).count()
    assert "unknown base segment 'nope'" in str(err.value)
    with pytest.raises(UnknownNameError):
        Segment.load(demo_project, "nope")


def test_an_unknown_source_segment_in_a_file_names_its_line_and_path(demo_project_copy, tmp_path, capsys):
    from workbench.cli import main

    project = demo_project_copy
    project.segments.create("vip-users", attribute("plan").any_of("pro"))
    project.segments.create("cart-abandoners", attribute("plan").any_of("free"))
    spec = tmp_path / "combined.json"
    request = {
        "Name": "combined",
        "SegmentGroups": {
            "Groups": [
                {"SourceSegments": [{"Id": "vip-users"}], "Type": "ALL"},
                {"SourceSegments": [{"Name": "cart-abandoner"}, {"Id": "nope", "Version": 2}], "Type": "ALL"},
            ]
        },
    }
    spec.write_text(json.dumps(request, indent=2))
    line = next(
        n for n, text in enumerate(spec.read_text().splitlines(), 1) if '"Name": "cart-abandoner"' in text
    )
    before = list_segments(project).height
    with pytest.raises(InputError) as err:
        project.segments.create("combined", spec)
    assert (err.value.file, err.value.line) == (str(spec), line)
    assert err.value.field == "SegmentGroups.Groups[1].SourceSegments[0].Name"
    assert (
        "unknown base segment 'cart-abandoner'" in err.value.reason and "cart-abandoners" in err.value.reason
    )
    assert main(["segment", "create", "combined", "--spec", str(spec), "--project", str(project.path)]) == 1
    assert capsys.readouterr().err.startswith(
        f"error: {spec}:{line}: field SegmentGroups.Groups[1].SourceSegments[0].Name: unknown base segment"
    )
    assert list_segments(project).height == before  # nothing saved


def test_cycles_are_refused_and_nothing_is_saved(demo_project_copy):
    project = demo_project_copy
    project.segments.create("a", attribute("plan").any_of("pro"))
    project.segments.create("b", in_segment("a") & attribute("plan").any_of("pro"))
    with pytest.raises(InputError) as err:
        project.segments.create("a", in_segment("b"))
    assert "cycle: a -> b -> a" in str(err.value)
    with pytest.raises(InputError, match="cycle"):
        project.segments.create("c", in_segment("c"))
    listed = list_segments(project)
    assert sorted(listed.get_column("name").to_list()) == ["a", "b"]
    assert listed.filter(listed["name"] == "a").item(0, "latest_version") == 1


def test_more_than_100_dimensions(demo_project):
    many = {
        "AnyOf": [
            {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": [f"v{i}"]}}} for i in range(101)
        ]
    }
    with pytest.raises(InputError, match="101 dimensions; a segment can have at most 100"):
        read(demo_project, {"Dimensions": many})
    read(demo_project, {"Dimensions": {"AnyOf": many["AnyOf"][:100]}})  # exactly 100 is fine


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        '"just text"',
        {"Name": "campaign", "MessageConfiguration": {}, "Schedule": {}},
        {"Dimensions": {}, "SegmentGroups": {}},
    ],
)
def test_json_that_is_not_a_segment(payload):
    with pytest.raises(InputError) as err:
        SegmentSpec.from_json(payload)
    assert "not a segment" in str(err.value) or "not both" in str(err.value)


def test_invalid_json_text_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "Dimensions": {\n    "Attributes": {,\n  }\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        SegmentSpec.from_json(path)
    assert err.value.file == str(path) and err.value.line == 3


def test_error_in_a_file_names_file_line_and_field(demo_project, tmp_path):
    path = tmp_path / "seg.json"
    path.write_text(
        json.dumps(dims(Metrics={"purchases": {"ComparisonOperator": "MORE", "Value": 1}}), indent=2)
    )
    with pytest.raises(InputError) as err:
        SegmentSpec.from_json(path, columns=demo_project.endpoint_columns())
    assert err.value.file == str(path)
    assert err.value.field == "Dimensions.Metrics.purchases.ComparisonOperator"
    assert err.value.line == 6
    assert "'MORE' is not one of GREATER_THAN" in str(err.value)
