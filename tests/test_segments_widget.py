"""SegmentBuilder driven from Python: set the widgets' values, check the live counts against the engines."""

from __future__ import annotations

import time

import polars as pl

from workbench.segments import Segment, active, attribute, metric
from workbench.widgets import SegmentBuilder

NOW = "2026-10-30T00:00:00Z"


def count(project, condition):
    return Segment(project, condition, now=NOW).count()


def test_fields_come_from_the_data_with_value_suggestions(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    labels = [f.label for f in builder.fields]
    assert {
        "Attributes.plan",
        "Metrics.purchases",
        "User.UserAttributes.loyalty_tier",
        "Demographic.Platform",
    } <= set(labels)
    assert "Event: _session.start" in labels
    row = builder.add_condition("Attributes.plan")
    assert set(row.values.options) == {"free", "pro", "enterprise"}
    assert list(row.operator.options)[:3] == ["has any of", "has none of", "contains"]
    row.field.value = "Metrics.purchases"
    assert row.operator.value == ">" and row.values.options == ()


def test_live_count_follows_every_change(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    everyone = demo_project.endpoints.count()
    assert (builder.counts.endpoints, builder.counts.users) == (everyone.endpoints, everyone.users)

    plan = builder.add_condition("Attributes.plan", "has any of", "pro")
    assert builder.counts == count(demo_project, attribute("plan").any_of("pro"))
    buys = builder.add_condition("Metrics.purchases", "GREATER_THAN_OR_EQUAL", "2")
    both = attribute("plan").any_of("pro") & (metric("purchases") >= 2)
    assert builder.counts == count(demo_project, both)
    builder.combine.value = "ANY"
    assert builder.counts == count(demo_project, attribute("plan").any_of("pro") | (metric("purchases") >= 2))
    plan.values.value = "pro, enterprise"
    either = attribute("plan").any_of("pro", "enterprise") | (metric("purchases") >= 2)
    assert builder.counts == count(demo_project, either)
    buys.remove_button.click()
    assert builder.counts == count(demo_project, attribute("plan").any_of("pro", "enterprise"))
    builder.combine.value = "ALL"
    builder.add_condition("Behavior.Recency (app sessions)", "ACTIVE", "DAY_7")
    assert builder.counts == count(
        demo_project, attribute("plan").any_of("pro", "enterprise") & active("DAY_7")
    )
    assert builder.sample.height == min(10, builder.counts.endpoints)
    assert set(builder.sample["Id"]) <= set(
        Segment(demo_project, builder.condition(), now=NOW).members(["Id"])["Id"]
    )


def test_bad_value_shows_an_error_and_keeps_the_last_count(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    row = builder.add_condition("Metrics.purchases", ">", "1")
    before = builder.counts
    row.values.value = "lots"
    assert "'lots' is not a number" in builder.error and "lots" in builder.status.value
    assert builder.counts == before
    row.values.value = ""  # incomplete: left out, everyone counts again
    assert builder.error is None and builder.counts.endpoints == demo_project.endpoints.count().endpoints


def test_event_condition_and_save(demo_project_copy):
    builder = SegmentBuilder(demo_project_copy, now=NOW, debounce=0)
    builder.add_condition("Event: cart.add", "at least", "2, 30")
    expected = (
        demo_project_copy.events.frame()
        .filter((pl.col("event_type") == "cart.add") & (pl.col("event_timestamp") > pl.datetime(2026, 9, 30)))
        .group_by("client_id")
        .len()
        .filter(pl.col("len") >= 2)
        .height
    )
    assert builder.counts.endpoints == expected > 0
    builder.name.value = "cart-twice"
    builder.save_button.click()
    saved = Segment.load(demo_project_copy, "cart-twice", now=NOW)
    assert saved.version == 1 and saved.count() == builder.counts


def test_debounced_refresh_runs_once_after_the_pause(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0.2)
    calls = []
    original = builder.refresh
    builder.refresh = lambda: calls.append(1) or original()
    row = builder.add_condition("Attributes.plan", "has any of", "p")
    for text in ("pr", "pro"):
        row.values.value = text
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert len(calls) == 1
    assert builder.counts == count(demo_project, attribute("plan").any_of("pro"))
