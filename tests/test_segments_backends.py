"""Every segment backend has one dispatch table by node kind, with an entry for every kind in ``_tree``.

The backends: the Pinpoint JSON writer (``_json_write.WRITERS``), the description in words (``_words.WORDS``),
the SQL compiler (``_sql.PREDICATES``) and the Polars compiler (``_polars.EXPRESSIONS``), keyed by node class;
the JSON reader (``_json_read``) dispatches on the JSON keys it reads, so it is held to every node kind by
reading back what the writer writes for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
import pytest

from workbench.errors import InputError
from workbench.segments import _json_read, _json_write, _polars, _sql, _words
from workbench.segments import _tree as t
from workbench.segments.spec import SegmentSpec

NOW = datetime(2026, 10, 30)
TABLES = {
    "Pinpoint JSON writer": _json_write.WRITERS,
    "description in words": _words.WORDS,
    "SQL compiler": _sql.PREDICATES,
    "Polars compiler": _polars.EXPRESSIONS,
}

#: One node of every kind (a new kind needs a sample here, or test_every_kind_has_a_sample fails).
SAMPLES: dict[type, t.Node] = {
    t.AllOf: t.AllOf(
        (t.MetricCompare("Metrics.n", "GREATER_THAN", 1.0), t.MetricCompare("Metrics.n", "LESS_THAN", 5.0))
    ),
    t.AnyOf: t.AnyOf((t.ValueIn("Location.Country", ("US",)), t.Recency("DAY_7", "ACTIVE"))),
    t.NoneOf: t.NoneOf((t.AttributeMatch("Attributes.plan", "INCLUSIVE", ("free",)),)),
    t.ValueIn: t.ValueIn("Demographic.Platform", ("iOS", "Android"), exclusive=True),
    t.AttributeMatch: t.AttributeMatch("User.UserAttributes.signup", "BETWEEN", ("2026-01-01", "2026-02-01")),
    t.MetricCompare: t.MetricCompare("Metrics.purchases", "GREATER_THAN_OR_EQUAL", 2.0),
    t.Near: t.Near(47.6, -122.3, 25.0),
    t.Recency: t.Recency("HR_24", "INACTIVE"),
    t.Performed: t.Performed(
        ("cart.add",),
        (t.EventFilter("metric", "price", "GREATER_THAN", (5.0,)),),
        "AT_LEAST",
        2,
        t.Window(days=7.0),
    ),
    t.PerformedWhen: t.PerformedWhen(("_session.start",), "FIRST", "BEFORE", "2026-09-01"),
    t.Engaged: t.Engaged("OPENED", campaign_id="c1", window=t.Window(start="2026-10-01", end="2026-10-31")),
    t.RandomBucket: t.RandomBucket(10, 30, "USER", "s1"),
    t.InSegment: t.InSegment("vip", 2),
    t.Members: t.Members("seg-1", 3, "imported"),
}


@dataclass(frozen=True)
class Fake:
    """A node kind no backend knows."""

    label: str = "x"


def missing_entries(kinds: tuple[type, ...]) -> dict[str, list[str]]:
    """Backend -> the node kinds its table lacks (or has beyond ``kinds``)."""
    out = {}
    for backend, table in TABLES.items():
        diff = set(kinds) ^ set(table)
        if diff:
            out[backend] = sorted(k.__name__ for k in diff)
    return out


def test_every_backend_table_has_exactly_the_node_kinds():
    assert len(t.NODE_KINDS) == 14
    assert missing_entries(t.NODE_KINDS) == {}


def test_a_kind_added_to_the_tree_without_entries_is_reported(monkeypatch):
    monkeypatch.setattr(t, "NODE_KINDS", (*t.NODE_KINDS, Fake))
    assert missing_entries(t.NODE_KINDS) == {backend: ["Fake"] for backend in TABLES}


def test_every_kind_has_a_sample():
    assert set(SAMPLES) == set(t.NODE_KINDS)
    assert all(type(node) is kind for kind, node in SAMPLES.items())


@pytest.mark.parametrize("kind", list(SAMPLES), ids=lambda k: k.__name__)
def test_the_json_reader_reads_back_every_kind_the_writer_writes(kind):
    node = SAMPLES[kind]
    back = SegmentSpec.from_json(_json_write.to_request(node, "s")).condition
    # an imported segment's member list is written as a (pinned) reference to that segment
    expected = t.InSegment(node.segment_id, node.version) if isinstance(node, t.Members) else node
    assert t.simplify(back) == t.simplify(expected)


def test_every_reader_key_is_written_for_some_kind():
    every = _json_write.to_request(t.AllOf(tuple(SAMPLES.values())))["Dimensions"]
    keys: set[str] = set()
    behavior: set[str] = set()

    def visit(dims: dict) -> None:
        keys.update(dims)
        behavior.update(dims.get("Behavior", {}))
        for key in ("AllOf", "AnyOf", "NoneOf"):
            for inner in dims.get(key, []):
                visit(inner)

    visit(every)
    assert keys == set(_json_read.DIMENSION_READERS)
    assert behavior == set(_json_read.BEHAVIOR_READERS)


def _run_every_backend(node) -> dict[str, object]:
    """What each backend makes of ``node`` (an exception is returned, not raised)."""
    events = pl.LazyFrame(
        schema={"client_id": pl.String, "event_type": pl.String, "event_timestamp": pl.Datetime("us")}
    )
    runs = {
        "Pinpoint JSON writer": lambda: _json_write.to_request(node),
        "description in words": lambda: _words.describe(node),
        "SQL compiler": lambda: _sql.member_query(node, NOW),
        "Polars compiler": lambda: _polars.PolarsCompiler(NOW, lambda: events).expr(node),
    }
    out: dict[str, object] = {}
    for backend, run in runs.items():
        try:
            out[backend] = run()
        except Exception as err:
            out[backend] = err
    return out


@pytest.mark.parametrize("node", [Fake(), t.AllOf((t.Recency("DAY_7", "ACTIVE"), t.NoneOf((Fake(),))))])
def test_an_unknown_node_kind_fails_loudly_in_every_backend(node):
    for backend, result in _run_every_backend(node).items():
        assert isinstance(result, TypeError), (backend, result)
        assert str(result) == (
            f"the {backend} has no entry for node kind 'Fake': every kind in workbench.segments._tree needs "
            "one entry in each backend's dispatch table"
        )


def _write_fake(dims: dict, node: Fake) -> bool:
    dims["Fake"] = node.label
    return True


def test_a_new_kind_is_one_entry_per_backend(monkeypatch):
    monkeypatch.setitem(_json_write.WRITERS, Fake, _write_fake)
    monkeypatch.setitem(_words.WORDS, Fake, lambda node, depth: f"fake {node.label}")
    monkeypatch.setitem(_sql.PREDICATES, Fake, lambda c, node: "(\"Id\" = 'x')")
    monkeypatch.setitem(_polars.EXPRESSIONS, Fake, lambda c, node: pl.col("Id") == "x")
    results = _run_every_backend(t.AnyOf((t.Recency("DAY_7", "ACTIVE"), t.NoneOf((Fake(),)))))
    assert results["Pinpoint JSON writer"]["SegmentGroups"]["Groups"][0]["Dimensions"] == [
        {"Behavior": {"Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"}}},
        {"NoneOf": [{"Fake": "x"}]},
    ]
    assert results["description in words"] == (
        "any of:\n  active (app sessions) in the last 7 days\n  none of:\n    fake x"
    )
    assert "(NOT coalesce((\"Id\" = 'x'), false))" in results["SQL compiler"]
    frame = pl.DataFrame({"Id": ["x", "y"]})
    assert frame.filter(results["Polars compiler"]).get_column("Id").to_list() == ["y"]


def test_the_json_reader_names_an_unknown_dimension_key():
    with pytest.raises(
        InputError, match=r"field Dimensions\.Fake: unknown key 'Fake' \(expected one of Demographic"
    ):
        SegmentSpec.from_json({"Dimensions": {"Fake": {}}})


@pytest.mark.parametrize(
    "compile_", [lambda n: _sql.member_query(n, NOW), lambda n: _polars.PolarsCompiler(NOW).expr(n)]
)
def test_the_compilers_refuse_an_unresolved_segment_reference(compile_):
    with pytest.raises(TypeError, match="resolve segment references first"):
        compile_(t.AllOf((t.InSegment("vip"),)))
