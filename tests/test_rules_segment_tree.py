"""README "Spec limits" and "Segments": the condition tree's own rules as known answers.

The nesting limit of a condition built in Python (72 levels of AND / OR / NOT groups) counted by hand; dates and
instants read as UTC whatever the machine's time zone, with a lowercase ``z`` too; text that is not a date
refused with a message naming it; a node kind a backend does not know refused naming both.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from workbench.errors import InputError
from workbench.segments import _tree as t
from workbench.segments.spec import SegmentSpec

LEAF = t.ValueIn("Demographic.Platform", ("iOS",))


def nested(levels: int, kind=t.AllOf):
    node = LEAF
    for _ in range(levels):
        node = kind((node,))
    return node


@pytest.mark.parametrize(
    ("node", "levels"),
    [
        (LEAF, 0),
        (t.AllOf(()), 1),
        (t.AnyOf((LEAF,)), 1),
        (t.NoneOf((LEAF, LEAF)), 1),
        (t.AllOf((LEAF, t.AnyOf((LEAF,)))), 2),
        (t.AllOf((t.AnyOf((LEAF,)), t.NoneOf((t.AllOf((LEAF,)),)), LEAF)), 3),  # the deepest branch counts
        (t.AnyOf((t.NoneOf((t.AllOf(()),)), LEAF)), 3),
        (nested(5), 5),
        (nested(72, t.NoneOf), 72),
    ],
)
def test_depth_counts_group_levels(node, levels):
    assert t.depth(node) == levels


def test_a_built_condition_nests_at_most_72_levels():
    assert SegmentSpec.from_condition(nested(72)).condition == nested(72)
    with pytest.raises(InputError) as err:
        SegmentSpec.from_condition(nested(73))
    assert (
        err.value.reason == "the condition nests 73 levels of AND / OR / NOT groups; at most 72 are allowed"
    )


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        ("2026-10-01", False, datetime(2026, 10, 1)),
        ("2026-10-01", True, datetime(2026, 10, 1, 23, 59, 59, 999999)),
        ("2026-10-01T10:00:00Z", False, datetime(2026, 10, 1, 10)),
        ("2026-10-01T10:00:00z", False, datetime(2026, 10, 1, 10)),  # a lowercase z is UTC too
        ("2026-10-01T10:00:00z", True, datetime(2026, 10, 1, 10)),  # not a date-only value: as given
        (" 2026-10-01T10:00:00+02:00 ", False, datetime(2026, 10, 1, 8)),
        ("2026-10-01T00:30:00-01:00", False, datetime(2026, 10, 1, 1, 30)),
    ],
)
def test_instants_are_naive_utc(text, end_of_day, expected):
    assert t.parse_instant(text, end_of_day=end_of_day) == expected


def test_instants_are_utc_whatever_the_machine_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert t.parse_instant("2026-10-01T10:00:00+02:00") == datetime(2026, 10, 1, 8)
        assert t.parse_day("2026-10-01T23:30:00-02:00") == datetime(2026, 10, 2).date()
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("text", ["", "   ", "x2026-10-01", "T10:00", "-2026-10-01"])
def test_text_not_starting_with_a_digit_is_not_a_date(text):
    with pytest.raises(ValueError) as err:
        t.parse_instant(text)
    assert str(err.value) == f"{text.strip()!r} is not an ISO date or instant"


def test_a_node_kind_a_backend_lacks_is_named():
    class Unknown:
        pass

    assert t.handler({t.ValueIn: len}, LEAF, "SQL compiler") is len
    with pytest.raises(TypeError) as err:
        t.handler({t.ValueIn: len}, Unknown(), "SQL compiler")
    assert str(err.value) == (
        "the SQL compiler has no entry for node kind 'Unknown': every kind in workbench.segments._tree needs one "
        "entry in each backend's dispatch table"
    )


# --- simplify: the canonical form two equal-meaning trees share (JSON round trips are compared through it) ------

# repr order: A < B < C, and AllOf < AnyOf < NoneOf
A, B, C = (t.ValueIn("Demographic.Platform", (v,)) for v in "ABC")


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (A, A),
        (t.AllOf(()), t.AllOf(())),
        (t.AnyOf(()), t.AnyOf(())),
        (t.AllOf((A,)), A),  # one item: unwrapped
        (t.AnyOf((B, B)), B),  # the same item twice: once
        (t.AllOf((C, t.AllOf((B, A)))), t.AllOf((A, B, C))),  # nested AND flattened, sorted
        (t.AnyOf((t.AnyOf((C,)), t.AnyOf((B, A)))), t.AnyOf((A, B, C))),
        (t.AllOf((t.AnyOf((B, A)), C)), t.AllOf((t.AnyOf((A, B)), C))),  # OR inside AND stays
        (t.AllOf((t.NoneOf((B,)), t.NoneOf((A,)))), t.NoneOf((A, B))),  # NOT b AND NOT a = NOT (a OR b)
        (t.AllOf((C, t.NoneOf((B,)), t.NoneOf((A,)))), t.AllOf((t.NoneOf((A, B)), C))),
        (t.AllOf((C, t.NoneOf((B,)))), t.AllOf((t.NoneOf((B,)), C))),  # one NOT: kept as it is
        (
            t.AnyOf((t.NoneOf((B,)), t.NoneOf((A,)))),
            t.AnyOf((t.NoneOf((A,)), t.NoneOf((B,)))),
        ),  # only AND merges
        (t.NoneOf((t.AnyOf((C, A)), B, B)), t.NoneOf((A, B, C))),  # NOT (a OR c OR b)
        (t.NoneOf((t.AllOf((B, A)),)), t.NoneOf((t.AllOf((A, B)),))),  # NOT (a AND b) stays
        (t.NoneOf(()), t.AllOf(())),  # nothing excluded: everyone
        (t.NoneOf((t.AnyOf(()),)), t.AllOf(())),
    ],
)
def test_simplify(node, expected):
    assert t.simplify(node) == expected
