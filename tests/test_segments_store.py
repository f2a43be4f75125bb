"""Saving, versions, imported segments, segment references and the Pinpoint JSON shapes on a demo project."""

from __future__ import annotations

import json

import polars as pl

from workbench.segments import (
    Segment,
    SegmentSpec,
    attribute,
    in_segment,
    list_segments,
    metric,
    save_endpoints_as_segment,
    segment_sql_filter,
)

NOW = "2026-10-30T00:00:00Z"

PINPOINT_DIMENSIONS = {
    "Name": "ios-pro-active",
    "Dimensions": {
        "Demographic": {
            "Platform": {"DimensionType": "INCLUSIVE", "Values": ["iOS"]},
            "Channel": {"DimensionType": "INCLUSIVE", "Values": ["APNS"]},
        },
        "Location": {"Country": {"DimensionType": "EXCLUSIVE", "Values": ["JP"]}},
        "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro", "enterprise"]}},
        "Metrics": {"sessions_30d": {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": 1}},
        "Behavior": {"Recency": {"Duration": "DAY_30", "RecencyType": "ACTIVE"}},
    },
    "tags": {"team": "growth"},
}


def ids(frame: pl.DataFrame) -> set[str]:
    return set(frame.get_column("Id").to_list())


def test_pinpoint_json_is_kept_unchanged(demo_project):
    text = json.dumps(PINPOINT_DIMENSIONS)
    segment = Segment.from_json(demo_project, text, now=NOW)
    assert json.loads(segment.to_json()) == PINPOINT_DIMENSIONS
    assert segment.count().endpoints == len(segment.members_polars())


def test_segment_groups_with_sources_and_types(demo_project_copy):
    project = demo_project_copy
    pro = project.segments.create("pro", attribute("plan").any_of("pro"))
    buyers = project.segments.create("buyers", metric("purchases") >= 1)
    request = {
        "Name": "pro-or-buyers-not-us",
        "SegmentGroups": {
            "Include": "ALL",
            "Groups": [
                {
                    "SourceSegments": [{"Id": pro.segment_id}, {"Id": "buyers", "Version": 1}],
                    "SourceType": "ANY",
                    "Dimensions": [
                        {"Location": {"Country": {"DimensionType": "INCLUSIVE", "Values": ["US"]}}}
                    ],
                    "Type": "NONE",
                }
            ],
        },
    }
    segment = Segment.from_json(project, request, now=NOW)
    endpoints = project.endpoints.frame()
    expected = endpoints.filter(
        (pl.col("Attributes.plan").list.contains("pro").fill_null(False) | (pl.col("Metrics.purchases") >= 1))
        & (pl.col("Location.Country").fill_null("") != "US")
    )
    assert ids(segment.members()) == ids(expected) == ids(segment.members_polars())
    assert buyers.version == 1


def test_every_save_makes_a_version_and_versions_can_be_pinned(demo_project_copy):
    project = demo_project_copy
    v1 = project.segments.create("plan", attribute("plan").any_of("pro"))
    v2 = project.segments.create("plan", attribute("plan").any_of("pro", "enterprise"))
    assert (v1.version, v2.version) == (1, 2)
    assert Segment.load(project, "plan").version == 2
    n1 = Segment.load(project, "plan", 1, now=NOW).count().endpoints
    n2 = Segment.load(project, "plan", now=NOW).count().endpoints
    assert 0 < n1 < n2
    filter_v1 = segment_sql_filter(project, "plan", 1)
    assert project.endpoints.count(filter_v1).endpoints == n1
    listed = list_segments(project)
    assert listed.filter(pl.col("name") == "plan").item(0, "latest_version") == 2


def test_polars_result_saved_as_imported_segment(demo_project_copy):
    project = demo_project_copy
    chosen = project.endpoints.frame().filter(pl.col("Attributes.plan").list.contains("pro")).head(25)
    imported = save_endpoints_as_segment(project, "hand-picked", chosen)
    assert imported.spec.segment_type == "IMPORT"
    assert ids(imported.members()) == ids(chosen) == ids(imported.members_polars())
    assert imported.count().endpoints == 25
    # a new list makes version 2; version 1 stays as it was
    save_endpoints_as_segment(project, "hand-picked", chosen.head(5))
    assert Segment.load(project, "hand-picked").count().endpoints == 5
    assert Segment.load(project, "hand-picked", 1).count().endpoints == 25
    # a dynamic segment based on the imported one
    based = Segment(project, in_segment("hand-picked", 1) & (metric("purchases") >= 1), now=NOW)
    expected = chosen.filter(pl.col("Metrics.purchases") >= 1)
    assert ids(based.members()) == ids(expected) == ids(based.members_polars())
    # the export path uses the same filter
    assert project.endpoints.count(segment_sql_filter(project, "hand-picked")).endpoints == 5


def test_membership_of_another_segment_and_exclusion(demo_project_copy):
    project = demo_project_copy
    project.segments.create("pro", attribute("plan").any_of("pro"))
    spec = {
        "Dimensions": {
            "SegmentMembership": {"DimensionType": "EXCLUSIVE", "Segments": [{"Id": "pro"}]},
            "Metrics": {"purchases": {"ComparisonOperator": "GREATER_THAN", "Value": 0}},
        }
    }
    segment = Segment.from_json(project, spec, now=NOW)
    expected = project.endpoints.frame().filter(
        ~pl.col("Attributes.plan").list.contains("pro").fill_null(False) & (pl.col("Metrics.purchases") > 0)
    )
    assert ids(segment.members()) == ids(expected)


def test_builder_json_round_trip_through_a_file(demo_project_copy, tmp_path):
    condition = (attribute("plan").any_of("pro") & ~(metric("purchases") > 2)) | attribute("plan").any_of(
        "enterprise"
    )
    saved = demo_project_copy.segments.create("mixed", condition)
    path = tmp_path / "mixed.json"
    path.write_text(saved.to_json(), encoding="utf-8")
    again = Segment(demo_project_copy, SegmentSpec.from_json(path), now=NOW)
    assert again.count() == Segment(demo_project_copy, condition, now=NOW).count()
