"""Write a condition tree (``_tree``) as Pinpoint's ``WriteSegmentRequest`` JSON.

``WRITERS`` maps each node kind to the function that puts it into one ``SegmentDimensions`` object (as sqlglot's
generators map expression classes to functions). An entry returns False when its slot is already taken; the
node then goes into an ``AllOf`` list of its own dimension set. ``_json_read`` reads the result back to a tree
that means the same (tests hold the two together).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _tree as t


def to_request(node: t.Node, name: str | None = None) -> dict:
    """Render a condition tree as a ``WriteSegmentRequest``: ``Dimensions`` for an AND of conditions,
    ``SegmentGroups`` with Type ANY / NONE for an OR / NOR of dimension sets, extension keys otherwise."""
    out: dict[str, Any] = {"Name": name} if name else {}
    if isinstance(node, t.AnyOf | t.NoneOf) and node.items:
        kind = "ANY" if isinstance(node, t.AnyOf) else "NONE"
        out["SegmentGroups"] = {
            "Include": "ALL",
            "Groups": [{"Dimensions": [to_dimensions(i) for i in node.items], "Type": kind}],
        }
    else:
        out["Dimensions"] = to_dimensions(node)
    return out


def to_dimensions(node: t.Node) -> dict:
    """One ``SegmentDimensions`` object meaning ``node``."""
    items = node.items if isinstance(node, t.AllOf) else (node,)
    dims: dict[str, Any] = {}
    extra: list[dict] = []
    for item in items:
        if not _merge(dims, item):
            extra.append(to_dimensions(item) if isinstance(item, t.AllOf) else _alone(item))
    if extra:
        dims.setdefault("AllOf", []).extend(extra)
    return dims


def _merge(dims: dict, node: t.Node) -> bool:
    """Add one condition to a SegmentDimensions dict; False when its slot is taken (then it goes in AllOf)."""
    return t.handler(WRITERS, node, "Pinpoint JSON writer")(dims, node)


def _alone(node: t.Node) -> dict:
    """A dimension set holding only ``node`` (a node whose slot was taken in its parent's set)."""
    dims: dict[str, Any] = {}
    _merge(dims, node)  # an empty set has every slot free
    return dims


def _put(dims: dict, path: tuple[str, ...], value: Any) -> bool:
    """Set ``dims[path...] = value`` unless that slot is taken (then False)."""
    target = dims
    for key in path[:-1]:
        target = target.setdefault(key, {})
    if path[-1] in target:
        return False
    target[path[-1]] = value
    return True


# --- one function per node kind ---------------------------------------------------------------------------------


def _all_of(dims: dict, node: t.AllOf) -> bool:
    return False  # an AND nested in an AND: the caller writes it as its own set in "AllOf"


def _any_of(dims: dict, node: t.AnyOf) -> bool:
    return _put(dims, ("AnyOf",), [to_dimensions(i) for i in node.items])  # two ORs in one AND: AllOf


def _none_of(dims: dict, node: t.NoneOf) -> bool:
    if len(node.items) == 1 and _all_in_segments(node.items[0]) and "SegmentMembership" not in dims:
        refs = node.items[0].items if isinstance(node.items[0], t.AnyOf) else node.items
        dims["SegmentMembership"] = {"DimensionType": "EXCLUSIVE", "Segments": [_ref_json(r) for r in refs]}
        return True
    dims.setdefault("NoneOf", []).extend(to_dimensions(i) for i in node.items)
    return True


def _value_in(dims: dict, node: t.ValueIn) -> bool:
    group, key = node.dimension.split(".", 1)
    kind = "EXCLUSIVE" if node.exclusive else "INCLUSIVE"
    return _put(dims, (group, key), {"DimensionType": kind, "Values": list(node.values)})


def _attribute_match(dims: dict, node: t.AttributeMatch) -> bool:
    family, name = (
        ("UserAttributes", node.column[len("User.UserAttributes.") :])
        if node.column.startswith("User.UserAttributes.")
        else ("Attributes", node.column[len("Attributes.") :])
    )
    return _put(dims, (family, name), {"AttributeType": node.attribute_type, "Values": list(node.values)})


def _metric_compare(dims: dict, node: t.MetricCompare) -> bool:
    value = {"ComparisonOperator": node.operator, "Value": node.value}
    return _put(dims, ("Metrics", node.column[len("Metrics.") :]), value)


def _near(dims: dict, node: t.Near) -> bool:
    gps = {
        "Coordinates": {"Latitude": node.latitude, "Longitude": node.longitude},
        "RangeInKilometers": node.km,
    }
    return _put(dims, ("Location", "GPSPoint"), gps)


def _recency(dims: dict, node: t.Recency) -> bool:
    return _put(dims, ("Behavior", "Recency"), {"Duration": node.duration, "RecencyType": node.recency_type})


def _performed(dims: dict, node: t.Performed | t.PerformedWhen) -> bool:
    dims.setdefault("Behavior", {}).setdefault("Events", []).append(_event_json(node))
    return True


def _engaged(dims: dict, node: t.Engaged) -> bool:
    entry: dict[str, Any] = {"Action": node.action}
    if node.campaign_id:
        entry["CampaignId"] = node.campaign_id
    if node.journey_id:
        entry["JourneyId"] = node.journey_id
    entry.update(_window_json(node.window))
    dims.setdefault("Behavior", {}).setdefault("Engagement", []).append(entry)
    return True


def _random_bucket(dims: dict, node: t.RandomBucket) -> bool:
    bucket: dict[str, Any] = {"Start": node.start, "End": node.end}
    if node.key != "ENDPOINT":
        bucket["Key"] = node.key
    if node.salt:
        bucket["Salt"] = node.salt
    return _put(dims, ("RandomBucket",), bucket)


def _in_segment(dims: dict, node: t.InSegment) -> bool:
    membership = {"DimensionType": "INCLUSIVE", "Segments": [_ref_json(node)]}
    return _put(dims, ("SegmentMembership",), membership)


def _members(dims: dict, node: t.Members) -> bool:
    return _in_segment(dims, t.InSegment(node.segment_id, node.version))


Write = Callable[[dict, Any], bool]

#: Node kind -> the function adding it to a ``SegmentDimensions`` dict.
WRITERS: dict[type, Write] = {
    t.AllOf: _all_of,
    t.AnyOf: _any_of,
    t.NoneOf: _none_of,
    t.ValueIn: _value_in,
    t.AttributeMatch: _attribute_match,
    t.MetricCompare: _metric_compare,
    t.Near: _near,
    t.Recency: _recency,
    t.Performed: _performed,
    t.PerformedWhen: _performed,
    t.Engaged: _engaged,
    t.RandomBucket: _random_bucket,
    t.InSegment: _in_segment,
    t.Members: _members,
}


# --- parts ----------------------------------------------------------------------------------------------------------


def _all_in_segments(node: t.Node) -> bool:
    if isinstance(node, t.InSegment):
        return True
    return (
        isinstance(node, t.AnyOf) and bool(node.items) and all(isinstance(i, t.InSegment) for i in node.items)
    )


def _ref_json(ref: t.InSegment) -> dict:
    return {"Id": ref.ref, **({"Version": ref.version} if ref.version is not None else {})}


def _window_json(window: t.Window) -> dict:
    if window.days is not None:
        return {"Within": {"Days": window.days}}
    if window.start or window.end:
        return {"Between": {"Start": window.start, "End": window.end}}
    return {}


def _filters_json(filters: tuple[t.EventFilter, ...]) -> dict:
    out: dict[str, dict] = {}
    for f in filters:
        if f.kind == "attribute":
            out.setdefault("Attributes", {})[f.name] = {"AttributeType": f.operator, "Values": list(f.values)}
        else:
            out.setdefault("Metrics", {})[f.name] = {"ComparisonOperator": f.operator, "Value": f.values[0]}
    return out


def _event_json(node: t.Performed | t.PerformedWhen) -> dict:
    entry: dict[str, Any] = {
        "EventType": node.event_types[0] if len(node.event_types) == 1 else list(node.event_types)
    }
    entry.update(_filters_json(node.filters))
    if isinstance(node, t.PerformedWhen):
        key = "FirstPerformed" if node.which == "FIRST" else "LastPerformed"
        entry[key] = {"ComparisonOperator": node.operator, "Value": node.at}
        return entry
    if (node.times_operator, node.times) != ("AT_LEAST", 1):
        entry["Times"] = {"ComparisonOperator": node.times_operator, "Value": node.times}
    entry.update(_window_json(node.window))
    return entry
