"""A segment spec is checked whole at create: what is saved always counts; nesting has a documented limit."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.errors import InputError
from workbench.segments import Segment, SegmentSpec, attribute, list_segments
from workbench.segments._json_read import MAX_GROUP_NESTING, MAX_JSON_DEPTH

NOW = "2026-10-30T00:00:00Z"


@pytest.fixture
def filled(project, tmp_path):
    """A project with 10 endpoints, half on plan "pro"."""
    from helpers import EMAIL_HEADER, email_rows, write_csv

    project.endpoints.import_files(
        write_csv(tmp_path / "e.csv", EMAIL_HEADER, email_rows(10)), progress=False
    )
    return project


def event_spec(**condition) -> dict:
    return {"Dimensions": {"Behavior": {"Events": [{"EventType": "buy", **condition}]}}}


BAD = [
    # (spec, field the error names)
    (event_spec(Within={"Days": 1e308}), "Dimensions.Behavior.Events[0].Within.Days"),
    (event_spec(Within={"Hours": 1e12}), "Dimensions.Behavior.Events[0].Within.Hours"),
    (event_spec(Times={"Value": 10**30}), "Dimensions.Behavior.Events[0].Times.Value"),
    (
        event_spec(Between={"Start": ["2026-01-01"], "End": "2026-02-01"}),
        "Dimensions.Behavior.Events[0].Between[0]",
    ),
    (
        event_spec(Between={"Start": 20260101, "End": "2026-02-01"}),
        "Dimensions.Behavior.Events[0].Between[0]",
    ),
    (
        event_spec(FirstPerformed={"ComparisonOperator": "BEFORE", "Value": [["2026-01-01"]]}),
        "Dimensions.Behavior.Events[0].FirstPerformed.Value[0]",
    ),
    (
        {
            "Dimensions": {
                "Attributes": {"plan": {"AttributeType": "BETWEEN", "Values": ["2026-01-01", "2026-02-30"]}}
            }
        },
        "Dimensions.Attributes.plan.Values[1]",
    ),
]


@pytest.mark.parametrize(("spec", "field"), BAD)
def test_wrong_types_and_absurd_numbers_are_refused_naming_the_path(filled, tmp_path, capsys, spec, field):
    project = filled
    with pytest.raises(InputError) as err:
        SegmentSpec.from_json(spec)
    assert err.value.field == field
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    assert main(["segment", "create", "s", "--spec", str(path), "--project", str(project.path)]) == 1
    assert field in capsys.readouterr().err
    assert list_segments(project).is_empty()


def test_a_list_of_one_date_reads_as_that_date(filled):
    project = filled
    spec = event_spec(LastPerformed={"ComparisonOperator": "AFTER", "Value": ["2026-01-01"]})
    with pytest.warns(UserWarning, match="no events of type 'buy'"):  # (the fixture's log is empty)
        saved = Segment.from_json(project, spec, now=NOW).save("s")
    assert saved.count().endpoints == 0
    assert project.segments.count("s", now=NOW).endpoints == 0


def nested_json(levels: int, inner: dict | None = None) -> dict:
    node: dict = inner or {"Attributes": {"plan": {"Values": ["pro"]}}}
    for _ in range(levels):
        node = {"AllOf": [node]}
    return {"Dimensions": node}


def test_nesting_up_to_the_limit_counts_and_deeper_is_a_clear_error(filled, tmp_path, capsys):
    project = filled
    deepest = Segment.from_json(project, nested_json(MAX_GROUP_NESTING), now=NOW).save("deep")
    assert deepest.count().endpoints == 5
    assert deepest.members_polars().height == 5
    with pytest.raises(InputError) as err:
        SegmentSpec.from_json(nested_json(MAX_GROUP_NESTING + 1))
    assert "nest more than 32 levels" in str(err.value)
    assert err.value.field == "Dimensions" + ".AllOf[0]" * MAX_GROUP_NESTING + ".AllOf"
    # JSON nested far past anything Python could recurse into: an error, never RecursionError
    for levels in (MAX_JSON_DEPTH + 1, 50_000):
        text = '{"Dimensions": {"tags": ' + "[" * levels + "]" * levels + "}}"
        path = tmp_path / "deep.json"
        path.write_text(text)
        assert main(["segment", "create", "x", "--spec", str(path), "--project", str(project.path)]) == 1
        assert "nests more than 100 levels" in capsys.readouterr().err
        obj = {"Dimensions": {}, "tags": []}
        inner = obj["tags"]
        for _ in range(levels):
            inner.append([])
            inner = inner[0]
        with pytest.raises(InputError):
            SegmentSpec.from_json(obj)
    assert list_segments(project).get_column("name").to_list() == ["deep"]


def test_builder_trees_and_references_cannot_nest_past_the_limit(filled):
    from workbench.segments import in_segment

    project = filled
    condition = attribute("plan").any_of("pro")
    for i in range(200):  # alternating AND / OR / NOT nests a level each time
        condition = ~(condition | attribute("plan").any_of(f"x{i}"))
    with pytest.raises(InputError) as err:
        project.segments.create("b", condition)
    assert "levels of AND / OR / NOT groups" in str(err.value)
    # a chain of segments each nesting to the limit: the whole is too deep, found at create
    Segment.from_json(project, nested_json(MAX_GROUP_NESTING), now=NOW).save("s0")
    spec = nested_json(MAX_GROUP_NESTING, {"SegmentMembership": {"Segments": [{"Id": "s0"}]}})
    with pytest.raises(InputError) as err:
        Segment.from_json(project, spec, now=NOW).save("s1")
    assert "s1" not in list_segments(project).get_column("name").to_list()
    assert "levels of AND / OR / NOT groups" in str(err.value)
    assert project.segments.count("s0", now=NOW).endpoints == 5
    assert in_segment  # the builder's reference works the same way (same resolver)


def test_count_of_a_missing_version_names_the_versions_that_exist(filled, capsys):
    project = filled
    project.segments.create("s", attribute("plan").any_of("pro"))
    project.segments.create("s", attribute("plan").any_of("free"))
    code = main(["segment", "count", "s", "--version", "7", "--project", str(project.path)])
    err = capsys.readouterr().err
    assert code == 1 and "no version 7" in err and "versions: 1, 2" in err
