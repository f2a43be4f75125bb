"""segments/event_filter.py: Pinpoint's EventFilter over the event log, in DuckDB SQL and in Polars.

A property test holds ``sql()`` and ``expr()`` equal on random event frames (nulls, missing keys, NaN metrics,
odd date strings), with the maps as DuckDB MAPs, as Polars maps (what ``store.query`` gives) and as lists of
key/value structs (``store.event_log.POLARS_SCHEMA``). Bad input is an InputError naming file and field, fuzzed.
"""

from __future__ import annotations

import copy
import json
import math
import os
from typing import Any

import botocore.session
import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.ingest.events import record_events
from workbench.segments import _tree as t
from workbench.segments.event_filter import (
    DIMENSION_KEYS,
    FILTER_TYPES,
    EventFilter,
    event_dimensions_from_json,
)

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 150

BUY = {
    "FilterType": "ENDPOINT",
    "Dimensions": {
        "EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase", "cart.add"]},
        "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro"]}},
        "Metrics": {"price": {"ComparisonOperator": "GREATER_THAN_OR_EQUAL", "Value": 10}},
    },
}


def _shape(name):
    return botocore.session.get_session().get_service_model("pinpoint").shape_for(name)


def test_keys_and_enums_match_the_botocore_model():
    assert set(_shape("EventFilter").members) == {"FilterType", "Dimensions"}
    assert set(_shape("EventFilter").members["FilterType"].enum) == set(FILTER_TYPES)
    assert set(_shape("EventDimensions").members) == set(DIMENSION_KEYS)
    assert set(_shape("SetDimension").members["DimensionType"].enum) == {"INCLUSIVE", "EXCLUSIVE"}
    assert set(_shape("AttributeDimension").members["AttributeType"].enum) == set(t.ATTRIBUTE_TYPES)


def test_from_json_keeps_pinpoints_json_and_lists_the_event_types():
    f = EventFilter.from_json(BUY)
    assert f.filter_type == "ENDPOINT" and f.to_json() == BUY
    assert f.event_types() == ["purchase", "cart.add"]
    exclusive = copy.deepcopy(BUY)
    exclusive["Dimensions"]["EventType"]["DimensionType"] = "EXCLUSIVE"
    assert EventFilter.from_json(exclusive).event_types() == []
    assert EventFilter.from_json({"FilterType": "SYSTEM", "Dimensions": {}}).event_types() == []


def test_the_filter_does_not_share_the_callers_dict():
    source = copy.deepcopy(BUY)
    f = EventFilter.from_json(source)
    source["Dimensions"]["EventType"]["Values"].append("refund")
    assert f.event_types() == ["purchase", "cart.add"]


def test_sql_and_expr_on_a_real_event_log(project):
    def event(i, event_type, attributes=None, metrics=None):
        return {
            "event_id": f"ev-{i}",
            "event_type": event_type,
            "event_timestamp": "2026-10-01T10:00:00Z",
            "client": {"client_id": f"ep-{i}"},
            "attributes": attributes or {},
            "metrics": metrics or {},
        }

    record_events(
        project,
        [
            event(1, "purchase", {"plan": "pro"}, {"price": 10}),  # matches
            event(2, "purchase", {"plan": "free"}, {"price": 50}),  # wrong plan
            event(3, "cart.add", {"plan": "pro"}, {"price": 9.5}),  # too cheap
            event(4, "cart.add", {"plan": "pro"}, {"price": 12}),  # matches
            event(5, "refund", {"plan": "pro"}, {"price": 99}),  # other type
            event(6, "purchase", {"plan": "pro"}),  # no price
        ],
    )
    f = EventFilter.from_json(BUY)
    by_sql = project.query(f"SELECT client_id FROM events WHERE {f.sql()} ORDER BY 1")["client_id"].to_list()
    frame = project.query("SELECT * FROM events")
    by_polars = sorted(frame.filter(f.expr())["client_id"].to_list())
    assert by_sql == by_polars == ["ep-1", "ep-4"]


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda o: o.pop("FilterType"), "Schedule.EventFilter.FilterType", "required"),
        (lambda o: o.pop("Dimensions"), "Schedule.EventFilter.Dimensions", "required"),
        (lambda o: o.update(FilterType="USER"), "Schedule.EventFilter.FilterType", "not one of"),
        (lambda o: o.update(Extra=1), "Schedule.EventFilter.Extra", "unknown key"),
        (
            lambda o: o["Dimensions"]["EventType"].update(DimensionType="INCLUDE"),
            "Schedule.EventFilter.Dimensions.EventType.DimensionType",
            "did you mean INCLUSIVE",
        ),
        (
            lambda o: o["Dimensions"]["EventType"].update(Values="purchase"),
            "Schedule.EventFilter.Dimensions.EventType.Values",
            "list",
        ),
        (
            lambda o: o["Dimensions"].update(EventTypes={}),
            "Schedule.EventFilter.Dimensions.EventTypes",
            "unknown key",
        ),
        (
            lambda o: o["Dimensions"]["Attributes"]["plan"].update(AttributeType="LIKE"),
            "Schedule.EventFilter.Dimensions.Attributes.plan.AttributeType",
            "not one of",
        ),
        (
            lambda o: o["Dimensions"]["Attributes"]["plan"].update(AttributeType="BEFORE", Values=["soon"]),
            "Schedule.EventFilter.Dimensions.Attributes.plan.Values[0]",
            "not a date",
        ),
        (
            lambda o: o["Dimensions"]["Metrics"]["price"].update(Value="10"),
            "Schedule.EventFilter.Dimensions.Metrics.price.Value",
            "not a number",
        ),
        (
            lambda o: o["Dimensions"]["Metrics"]["price"].update(Value=True),
            "Schedule.EventFilter.Dimensions.Metrics.price.Value",
            "not a number",
        ),
        (
            lambda o: o["Dimensions"]["Metrics"]["price"].update(ComparisonOperator="GT"),
            "Schedule.EventFilter.Dimensions.Metrics.price.ComparisonOperator",
            "not one of",
        ),
        (
            lambda o: o["Dimensions"]["Metrics"]["price"].update(Unit="EUR"),
            "Schedule.EventFilter.Dimensions.Metrics.price.Unit",
            "unknown key",
        ),
        (
            lambda o: o["Dimensions"].update(Metrics=[]),
            "Schedule.EventFilter.Dimensions.Metrics",
            "expected an object",
        ),
    ],
)
def test_bad_input_names_file_and_field(mutate, field, words):
    obj = copy.deepcopy(BUY)
    mutate(obj)
    with pytest.raises(InputError) as err:
        EventFilter.from_json(obj, field="Schedule.EventFilter", file="campaign.json")
    assert err.value.file == "campaign.json" and err.value.field == field
    assert words in err.value.reason


def test_event_dimensions_from_json_validates_alone():
    dims = {"EventType": {"Values": ["_email.open"]}}
    assert event_dimensions_from_json(dims, field="Condition.EventCondition.Dimensions") == dims
    with pytest.raises(InputError) as err:
        event_dimensions_from_json({"EventType": {}}, field="Activities.a.Dimensions", file="j.json")
    assert err.value.field == "Activities.a.Dimensions.EventType.Values"


# --- sql() == expr() on random event frames ------------------------------------------------------------------------

EVENT_TYPES = ["purchase", "cart.add", "_email.open", "Purchase", ""]
WORDS = ["pro", "free", "p", "", "o'brien", "2026-10-01", "2026-10-01T12:30:00Z", "2026-02-30", "not a date"]
KEYS = ["plan", "when", "o'k"]
NUMBERS = [0.0, 1.0, 9.5, 10.0, -3.0, 1e300, math.nan]

event_rows = st.lists(
    st.fixed_dictionaries(
        {
            "event_type": st.one_of(st.none(), st.sampled_from(EVENT_TYPES)),
            "attributes": st.one_of(
                st.none(),
                st.dictionaries(st.sampled_from(KEYS), st.one_of(st.none(), st.sampled_from(WORDS))),
            ),
            "metrics": st.one_of(
                st.none(),
                st.dictionaries(st.sampled_from(KEYS), st.one_of(st.none(), st.sampled_from(NUMBERS))),
            ),
        }
    ),
    max_size=25,
)
set_dims = st.fixed_dictionaries(
    {"Values": st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=3)},
    optional={"DimensionType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE"])},
)
attribute_dims = st.one_of(
    st.fixed_dictionaries(
        {"Values": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)},
        optional={"AttributeType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE", "CONTAINS"])},
    ),
    st.builds(
        lambda kind, v: {"AttributeType": kind, "Values": [v]},
        st.sampled_from(["BEFORE", "AFTER", "ON"]),
        st.sampled_from(["2026-10-01", "2026-10-01T12:00:00Z", "2026-02-28"]),
    ),
    st.just({"AttributeType": "BETWEEN", "Values": ["2026-09-30", "2026-10-01T12:30:00Z"]}),
)
metric_dims = st.fixed_dictionaries(
    {
        "ComparisonOperator": st.sampled_from(list(t.METRIC_OPERATORS)),
        "Value": st.sampled_from([0, 1, 9.5, 10, -3, 1e300]),
    }
)
dimensions = st.fixed_dictionaries(
    {},
    optional={
        "EventType": set_dims,
        "Attributes": st.dictionaries(st.sampled_from([*KEYS, "missing"]), attribute_dims, max_size=2),
        "Metrics": st.dictionaries(st.sampled_from([*KEYS, "missing"]), metric_dims, max_size=2),
    },
)


def struct_frame(rows: list[dict]) -> pl.DataFrame:
    """Events in store.event_log.POLARS_SCHEMA's shape: maps as lists of key/value structs."""
    return pl.DataFrame(
        [
            {
                "event_id": f"e{i}",
                "event_type": r["event_type"],
                "attributes": None
                if r["attributes"] is None
                else [{"key": k, "value": v} for k, v in r["attributes"].items()],
                "metrics": None
                if r["metrics"] is None
                else [{"key": k, "value": v} for k, v in r["metrics"].items()],
            }
            for i, r in enumerate(rows)
        ],
        schema={
            "event_id": pl.String,
            "event_type": pl.String,
            "attributes": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
            "metrics": pl.List(pl.Struct({"key": pl.String, "value": pl.Float64})),
        },
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_rows, dims=dimensions, kind=st.sampled_from(FILTER_TYPES))
def test_property_sql_and_expr_select_the_same_events(rows, dims, kind):
    f = EventFilter.from_json({"FilterType": kind, "Dimensions": dims})
    frame = struct_frame(rows)
    con = duckdb.connect()
    try:
        con.register("__ev", frame.to_arrow())
        con.execute(
            "CREATE TABLE events AS SELECT event_id, event_type, map_from_entries(attributes) AS attributes, "
            "map_from_entries(metrics) AS metrics FROM __ev"
        )
        by_sql = {r[0] for r in con.execute(f"SELECT event_id FROM events WHERE {f.sql()}").fetchall()}
        as_maps = con.sql("SELECT * FROM events").pl()  # the shape store.query gives
        nulls = con.execute(f"SELECT count(*) FROM events WHERE ({f.sql()}) IS NULL").fetchone()[0]
    finally:
        con.close()
    assert nulls == 0
    assert set(as_maps.filter(f.expr())["event_id"].to_list()) == by_sql, dims
    assert set(frame.filter(f.expr())["event_id"].to_list()) == by_sql, dims
    assert frame.select(f.expr().is_null().sum()).item() == 0


# --- fuzz: whatever the JSON, a filter or an InputError ------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        ["INCLUSIVE", "EXCLUSIVE", "BETWEEN", "EQUAL", "2026-10-01", "'; DROP TABLE events; --", "\x00"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["Values", "DimensionType", "AttributeType", "Value", "x"]), inner, max_size=3
        ),
    ),
    max_leaves=8,
)


def mutations(obj: Any) -> st.SearchStrategy:
    """Replace one value anywhere in ``obj`` (or add a key) with random JSON."""
    paths: list[list[Any]] = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*path, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*path, i])

    walk(obj, [])

    def apply(path, value, add_key):
        out = copy.deepcopy(obj)
        if not path:
            return value
        node = out
        for part in path[:-1]:
            node = node[part]
        if add_key and isinstance(node, dict):
            node[add_key] = value
        else:
            node[path[-1]] = value
        return out

    return st.builds(
        apply, st.sampled_from(paths), json_values, st.sampled_from([None, None, "Extra", "EventType"])
    )


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 150)
@given(obj=st.one_of(mutations(BUY), json_values))
def test_fuzz_event_filter_json_gives_a_filter_or_an_input_error(obj):
    try:
        f = EventFilter.from_json(obj, field="Schedule.EventFilter", file="campaign.json")
    except InputError as err:
        assert err.file == "campaign.json" and err.field and err.field.startswith("Schedule.EventFilter")
        json.dumps(err.to_dict())
        return
    # a filter that was accepted compiles and runs in both engines
    frame = struct_frame(
        [{"event_type": "purchase", "attributes": {"plan": "pro"}, "metrics": {"price": 10.0}}]
    )
    frame.filter(f.expr())
    con = duckdb.connect()
    try:
        con.register("__ev", frame.to_arrow())
        con.execute(
            "CREATE TABLE events AS SELECT event_type, map_from_entries(attributes) AS attributes, "
            "map_from_entries(metrics) AS metrics FROM __ev"
        )
        con.execute(f"SELECT count(*) FROM events WHERE {f.sql()}").fetchall()
    finally:
        con.close()
