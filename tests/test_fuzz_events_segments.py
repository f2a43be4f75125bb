"""Fuzz: mutated segment specs through ``segment create`` / ``count``, random records through ``events import``.

Whatever the input, the CLI answers with a result or an error (exit 0 or 1), never a traceback or a hang, and the
project still opens and counts afterwards. Each test runs 40 examples
(about 10 s each); ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs 2,000.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbench.cli import main

EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 40  # `make fuzz` runs the long one
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=EXAMPLES <= 40,  # the suite's run is the same every time; a long run explores
)
NOW = "2024-11-01T00:00:00Z"

VALID_SPECS: list[dict] = [
    {"Dimensions": {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro"]}}}},
    {"Dimensions": {"Metrics": {"score": {"ComparisonOperator": "GREATER_THAN", "Value": 2}}}},
    {"Dimensions": {"Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}}},
    {
        "Dimensions": {
            "Behavior": {
                "Events": [
                    {
                        "EventType": "buy",
                        "Times": {"ComparisonOperator": "AT_LEAST", "Value": 1},
                        "Within": {"Days": 30},
                        "Attributes": {"screen": {"AttributeType": "INCLUSIVE", "Values": ["home"]}},
                    }
                ],
                "Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"},
            }
        }
    },
    {
        "Dimensions": {
            "Behavior": {
                "Events": [
                    {
                        "EventType": "buy",
                        "FirstPerformed": {"ComparisonOperator": "BEFORE", "Value": "2024-10-02"},
                    }
                ]
            }
        }
    },
    {
        "SegmentGroups": {
            "Include": "ANY",
            "Groups": [
                {
                    "Type": "ALL",
                    "Dimensions": [
                        {
                            "Attributes": {
                                "plan": {"AttributeType": "BETWEEN", "Values": ["2020-01-01", "2030-01-01"]}
                            }
                        },
                        {
                            "Location": {
                                "GPSPoint": {
                                    "Coordinates": {"Latitude": 10, "Longitude": 20},
                                    "RangeInKilometers": 50,
                                }
                            }
                        },
                    ],
                },
                {"SourceSegments": [{"Id": "base"}], "SourceType": "ANY"},
            ],
        }
    },
    {
        "Dimensions": {
            "AnyOf": [
                {"RandomBucket": {"Percent": 50}},
                {"NoneOf": [{"Attributes": {"plan": {"AttributeType": "CONTAINS", "Values": ["r"]}}}]},
            ],
            "Behavior": {
                "Engagement": [{"Action": "OPENED", "Between": {"Start": "2024-01-01", "End": "2024-12-31"}}]
            },
        }
    },
]

NASTY_STRINGS = [
    "",
    "2024-10-01",
    "9999-12-31",
    "0001-01-01",
    "2024-13-45",
    "\x00",
    "'; DROP TABLE x; --",
    "é" * 300,
    "NaN",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 2**31, 2**63, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0]),
    st.text(max_size=20),
    st.sampled_from(NASTY_STRINGS),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(node: Any) -> list[tuple]:
    """Every path into ``node`` down to 15 levels (mutations nest deeper than the test should recurse)."""
    out: list[tuple] = []
    stack: list[tuple[Any, tuple]] = [(node, ())]
    while stack:
        current, path = stack.pop()
        out.append(path)
        if len(path) >= 15:
            continue
        if isinstance(current, dict):
            stack.extend((v, (*path, k)) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(current))
    return out


def _mutate(spec: dict, data: st.DataObject) -> dict:
    spec = copy.deepcopy(spec)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(spec)
        path = data.draw(st.sampled_from(paths), label="path")
        if not path:
            continue
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = data.draw(st.sampled_from(["replace", "delete", "wrap", "deepen", "add"]), label="action")
        if action == "replace":
            parent[key] = data.draw(json_values, label="value")
        elif action == "delete":
            del parent[key]
        elif action == "wrap":
            parent[key] = [parent[key]]
        elif action == "deepen":
            levels = data.draw(st.sampled_from([5, 31, 33, 120, 400]), label="levels")
            node = parent[key]
            for _ in range(levels):
                node = {"AllOf": [node]} if isinstance(node, dict) else [node]
            parent[key] = node
        elif isinstance(parent[key], dict):
            parent[key][data.draw(st.text(max_size=12), label="new key")] = data.draw(
                json_values, label="value"
            )
    return spec


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory):
    """A project with a few endpoints (plan, score, a location), events and a base segment."""
    from helpers import EMAIL_HEADER, email_rows, write_csv

    from workbench import Project
    from workbench.segments import attribute

    root = tmp_path_factory.mktemp("fuzz")
    project = Project.create(root / "project")
    project.endpoints.import_files(write_csv(root / "e.csv", EMAIL_HEADER, email_rows(30)), progress=False)
    project.events.record(
        [
            {
                "event_type": "buy",
                "event_timestamp": 1727740800000 + i * 3_600_000,
                "client_id": f"e{i % 30}",
                "attributes": {"screen": "home"},
            }
            for i in range(60)
        ]
    )
    project.segments.create("base", attribute("plan").any_of("pro"))
    return project


def _run(*argv: str) -> int:
    code = main(list(argv))
    assert code in (0, 1), f"exit {code} for {argv}"
    return code


@FUZZ
@given(data=st.data())
def test_mutated_segment_specs_never_crash_create_or_count(fuzz_project, tmp_path_factory, data):
    base = data.draw(st.sampled_from(VALID_SPECS), label="base")
    spec = _mutate(base, data)
    folder = tmp_path_factory.mktemp("spec")
    path = folder / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    project = str(fuzz_project.path)
    if _run("segment", "create", "fuzzed", "--spec", str(path), "--project", project, "--json") == 0:
        # what was saved counts
        assert _run("segment", "count", "fuzzed", "--project", project, "--now", NOW, "--json") == 0


@FUZZ
@given(
    records=st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "event_id": st.one_of(st.sampled_from(["a", "b", "c"]), scalars),
                    "event_type": st.one_of(st.sampled_from(["buy", "_session.start"]), scalars),
                    "event_timestamp": st.one_of(
                        st.integers(1_600_000_000_000, 1_730_000_000_000),
                        scalars,
                        st.sampled_from(NASTY_STRINGS),
                    ),
                    "arrival_timestamp": scalars,
                    "client": st.one_of(
                        st.fixed_dictionaries({"client_id": st.sampled_from(["e1", "e2"])}), json_values
                    ),
                    "client_id": scalars,
                    "attributes": st.one_of(
                        st.dictionaries(st.text(max_size=60), scalars, max_size=5), json_values
                    ),
                    "metrics": st.one_of(
                        st.dictionaries(st.text(max_size=8), scalars, max_size=5), json_values
                    ),
                    "session": json_values,
                    "application": json_values,
                    "device": json_values,
                },
            ),
        ),
        min_size=1,
        max_size=8,
    ),
    shape=st.sampled_from(["jsonl", "array", "csv"]),
)
# found by a long run: text DuckDB's JSON reader hands to Polars badly (the fast path must step aside)
@example(
    records=[{}, [None, None, {"00\r\r\r\x80\x80\x80": {"0\U00010000": None, '0"\r\x80': None}}]],
    shape="jsonl",
)
def test_random_event_records_never_crash_the_import(fuzz_project, tmp_path_factory, records, shape):
    folder = tmp_path_factory.mktemp("events")
    if shape == "csv":
        path = folder / "events.csv"
        lines = ["event_type,event_timestamp,client_id,event_id,attributes.screen"]
        for r in records:
            cells = [
                r.get(k, "") if isinstance(r, dict) else r
                for k in ("event_type", "event_timestamp", "client_id", "event_id", "attributes")
            ]
            lines.append(",".join(json.dumps(c) for c in cells))
        path.write_text("\n".join(lines), encoding="utf-8")
    elif shape == "array":
        path = folder / "events.json"
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path = folder / "events.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    _run("events", "import", str(path), "--project", str(fuzz_project.path), "--json")


def test_the_fuzzed_project_still_opens_and_counts(fuzz_project):
    """Runs after the fuzz tests in this module (same project): every saved segment counts, the log reads."""
    from workbench import Project
    from workbench.segments.segment import check_saved_segments

    project = Project.open(fuzz_project.path)
    assert check_saved_segments(project, now=NOW) == []
    assert project.query("SELECT count(*) AS n FROM events").item() >= 60
    assert project.endpoints.count().endpoints == 30
    assert main(["doctor", "--project", str(project.path)]) == 0
