"""Say a condition tree (``_tree``) in words: one condition a line, nested conditions indented.

``WORDS`` maps each node kind to the function that says it (as sqlglot's generators map expression classes to
functions); an entry gets the node and its depth and returns its text without the first line's indent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import _tree as t


def describe(node: t.Node, depth: int = 0) -> str:
    """Say a condition tree in words, one condition a line, nested conditions indented."""
    return "  " * depth + _say(node, depth)


def _say(node: t.Node, depth: int) -> str:
    return t.handler(WORDS, node, "description in words")(node, depth)


# --- one function per node kind ---------------------------------------------------------------------------------


def _group(head: str, empty: str) -> Callable[[Any, int], str]:
    """The words for AllOf / AnyOf / NoneOf: ``head`` over the items indented, ``empty`` when there are none."""

    def say(node: t.AllOf | t.AnyOf | t.NoneOf, depth: int) -> str:
        if not node.items:
            return empty
        if len(node.items) == 1 and not isinstance(node, t.NoneOf):
            return _say(node.items[0], depth)
        return head + "".join("\n" + describe(i, depth + 1) for i in node.items)

    return say


def _value_in(node: t.ValueIn, depth: int) -> str:
    return f"{node.dimension} is {'not ' if node.exclusive else ''}one of {_values(node.values)}"


_ATTRIBUTE_WORDS = {
    "INCLUSIVE": "has any of",
    "EXCLUSIVE": "has none of",
    "CONTAINS": "has a value containing",
    "BEFORE": "has a date before",
    "AFTER": "has a date after",
    "ON": "has a date on",
    "BETWEEN": "has a date between",
}


def _attribute_match(node: t.AttributeMatch, depth: int) -> str:
    joiner = " and " if node.attribute_type == "BETWEEN" else ", "
    values = joiner.join(repr(v) for v in node.values)
    return f"{node.column} {_ATTRIBUTE_WORDS[node.attribute_type]} {values}"


def _metric_compare(node: t.MetricCompare, depth: int) -> str:
    return f"{node.column} {t.METRIC_OPERATORS[node.operator]} {node.value:g}"


def _near(node: t.Near, depth: int) -> str:
    return f"within {node.km:g} km of ({node.latitude:g}, {node.longitude:g})"


_SPANS = {"HR_24": "24 hours", "DAY_7": "7 days", "DAY_14": "14 days", "DAY_30": "30 days"}


def _recency(node: t.Recency, depth: int) -> str:
    active = "active" if node.recency_type == "ACTIVE" else "not active"
    return f"{active} (app sessions) in the last {_SPANS[node.duration]}"


_TIMES_WORDS = {"AT_LEAST": "at least", "AT_MOST": "at most", "EXACTLY": "exactly"}


def _performed(node: t.Performed, depth: int) -> str:
    events = " or ".join(node.event_types)
    if node.times == 0 and node.times_operator in ("EXACTLY", "AT_MOST"):
        return f"never performed {events}{_filter_words(node.filters)}{_window_words(node.window)}"
    how = _TIMES_WORDS[node.times_operator]
    return f"performed {events}{_filter_words(node.filters)} {how} {node.times} time(s){_window_words(node.window)}"


def _performed_when(node: t.PerformedWhen, depth: int) -> str:
    return (
        f"{node.which.lower()} performed {' or '.join(node.event_types)}{_filter_words(node.filters)} "
        f"{node.operator.lower()} {node.at}"
    )


def _engaged(node: t.Engaged, depth: int) -> str:
    target = (
        f"campaign {node.campaign_id}"
        if node.campaign_id
        else f"journey {node.journey_id}"
        if node.journey_id
        else "any campaign or journey"
    )
    return f"{node.action.lower()} from {target}{_window_words(node.window)}"


def _random_bucket(node: t.RandomBucket, depth: int) -> str:
    of = "user" if node.key == "USER" else "endpoint"
    return f"random {of} bucket {node.start}..{node.end - 1} of 0..99 ({node.end - node.start}%)"


def _in_segment(node: t.InSegment, depth: int) -> str:
    return f"in segment {node.ref!r}" + (f" version {node.version}" if node.version else "")


def _members(node: t.Members, depth: int) -> str:
    return f"in imported segment {node.name or node.segment_id!r} version {node.version}"


Say = Callable[[Any, int], str]

#: Node kind -> the function saying it in words.
WORDS: dict[type, Say] = {
    t.AllOf: _group("all of:", "every endpoint"),
    t.AnyOf: _group("any of:", "nobody"),
    t.NoneOf: _group("none of:", "every endpoint"),
    t.ValueIn: _value_in,
    t.AttributeMatch: _attribute_match,
    t.MetricCompare: _metric_compare,
    t.Near: _near,
    t.Recency: _recency,
    t.Performed: _performed,
    t.PerformedWhen: _performed_when,
    t.Engaged: _engaged,
    t.RandomBucket: _random_bucket,
    t.InSegment: _in_segment,
    t.Members: _members,
}


# --- parts ----------------------------------------------------------------------------------------------------------


def _values(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else f"{v:g}" for v in values)


def _window_words(window: t.Window) -> str:
    if window.days is not None:
        return f" in the last {window.days:g} days"
    if window.start or window.end:
        return f" between {window.start} and {window.end}"
    return " ever"


def _filter_words(filters: tuple[t.EventFilter, ...]) -> str:
    if not filters:
        return ""
    parts = [
        f"{f.name} {f.operator.lower()} {_values(f.values)}"
        if f.kind == "attribute"
        else f"{f.name} {t.METRIC_OPERATORS[f.operator]} {f.values[0]:g}"
        for f in filters
    ]
    return " with " + " and ".join(parts)
