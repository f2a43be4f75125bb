"""Read Pinpoint's ``WriteSegmentRequest`` JSON into a condition tree (``_tree``), checking every field.

The reader dispatches on the JSON it reads: ``DIMENSION_READERS`` maps each key of a dimension set to the method
that reads it (as sqlglot's parser maps tokens to builders), ``BEHAVIOR_READERS`` the keys of ``Behavior``. A new
condition kind is one entry there. Keys beyond Pinpoint sit inside the same JSON and never change what Pinpoint's
keys mean (the README's Segments section lists them):

- ``Behavior.Events``: performed-event conditions (count in a window, never performed, first/last performed).
- ``Behavior.Engagement``: opened / clicked / bounced / unsubscribed from a campaign or journey (or any).
- ``RandomBucket``: a stable hash of the endpoint or user id into 100 buckets.
- ``SegmentMembership``: membership of other segments (by name or id, optionally a pinned version).
- ``AllOf`` / ``AnyOf`` / ``NoneOf``: nested lists of dimension sets, for conditions Pinpoint's two-level
  groups cannot say (the Python builder writes these only when it must).

Errors name the field (and, given the file text, the line). The per-segment dimension quota is checked on the
tree by ``spec.SegmentSpec``; the per-field values limit is checked here, where the field is known.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import InputError, suggest
from . import _tree as t
from ._values import stored_form

MAX_VALUES = 100  # console limit on values in total, per dimension here
#: how deeply AllOf / AnyOf / NoneOf may nest inside one another (the README's Segments section says so): deep
#: enough for any hand-written condition, shallow enough that no reader or compiler recursion comes near Python's
#: limit
MAX_GROUP_NESTING = 32
#: how deeply a spec's JSON may nest (objects and lists); checked before anything walks it
MAX_JSON_DEPTH = 100
#: ``Within`` reaches back at most this many days (a hundred years)
MAX_WITHIN_DAYS = 36_600
#: ``Times.Value`` at most
MAX_TIMES = 1_000_000_000

REQUEST_KEYS = (
    "Name",
    "Dimensions",
    "SegmentGroups",
    "tags",
    "SegmentType",
    "ImportDefinition",
    "Id",
    "ApplicationId",
    "Arn",
    "CreationDate",
    "LastModifiedDate",
    "Version",
    "SegmentId",
)
COMBINE = {"ALL": t.AllOf, "ANY": t.AnyOf, "NONE": t.NoneOf}


def read_request(
    obj: Any, *, file: str | None = None, text: str | None = None, columns: Iterable[str] | None = None
) -> t.Node | None:
    """The condition tree of a parsed request (None for an imported segment); InputError naming the field.

    ``text`` (the file's JSON text) lets errors name the line; ``columns`` turns on checks of attribute and
    metric names against the project's endpoint columns.
    """
    return Reader(file, text, columns).request(obj)


def check_dates(kind: str, values: tuple[str, ...], field: str) -> None:
    """Check date operands (BEFORE / AFTER / ON / BETWEEN) the way the reader does; InputError naming ``field``."""
    Reader(None, None, None).date_values(kind, values, [field])


class Reader:
    """Walks one request, keeping the path for error messages (field and, with the file text, the line).

    Each method reads one shape and returns nodes; ``DIMENSION_READERS`` and ``BEHAVIOR_READERS`` (below) say
    which method reads which key of a dimension set.
    """

    def __init__(self, file: str | None, text: str | None, columns: Iterable[str] | None):
        self.file = file
        self.text = text
        self.columns = set(columns) if columns is not None else None
        self.nesting = 0  # AllOf / AnyOf / NoneOf around the set being read
        #: values read as the import stores them: (path of the value, value used, warning class, message)
        self.rewrites: list[tuple[list[Any], str, type[Warning], str]] = []

    def fail(self, path: list[Any], reason: str) -> InputError:
        return InputError(reason, file=self.file, line=self._line(path), field=dotted(path) or None)

    def _line(self, path: list[Any]) -> int | None:
        """Best effort: follow the path's keys through the file text, in order."""
        if not self.text:
            return None
        pos = 0
        found = None
        for part in path:
            if isinstance(part, int):
                continue
            at = self.text.find(json.dumps(str(part)), pos)
            if at < 0:
                break
            pos = found = at
        return self.text.count("\n", 0, found) + 1 if found is not None else None

    # --- shapes ------------------------------------------------------------------------------------------------

    def obj(self, value: Any, path: list[Any], allowed: Iterable[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                hint = suggest(key, allowed) or " (expected one of " + ", ".join(allowed) + ")"
                raise self.fail([*path, key], f"unknown key {key!r}{hint}")
        return value

    def choice(self, value: Any, path: list[Any], options: Iterable[str]) -> str:
        options = tuple(options)
        if value is None:  # (missing, or null: no guess at what was meant)
            raise self.fail(path, f"{path[-1]} is required: one of {', '.join(options)}")
        if value not in options:
            raise self.fail(
                path, f"{value!r} is not one of {', '.join(options)}{suggest(str(value), options)}"
            )
        return value

    def strings(self, value: Any, path: list[Any]) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"Values must be a list of strings, got {_kind(value)}")
        if not value:
            raise self.fail(path, "Values is empty: give at least one value")
        if len(value) > MAX_VALUES:
            raise self.fail(path, f"{len(value)} values; at most {MAX_VALUES} are allowed")
        for i, v in enumerate(value):
            if not isinstance(v, str):
                raise self.fail([*path, i], f"values must be strings, got {_kind(v)}")
        return tuple(value)

    def number(self, value: Any, path: list[Any]) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(path, f"{value!r} is not a number")
        if not math.isfinite(value):
            raise self.fail(path, f"{value!r} is not a finite number")
        return float(value)

    def column(self, column: str, path: list[Any], family: str) -> str:
        if self.columns is not None and column not in self.columns:
            prefix = column[: len(column) - len(path[-1])]
            names = sorted(c[len(prefix) :] for c in self.columns if c.startswith(prefix))
            hint = suggest(str(path[-1]), names) or (
                f" (the data has {', '.join(names[:10])})" if names else ""
            )
            raise self.fail(path, f"unknown {family} {path[-1]!r}: no endpoint has it{hint}")
        return column

    # --- the request -------------------------------------------------------------------------------------------

    def request(self, obj: Any) -> t.Node | None:
        too_deep = deeper_than(obj, MAX_JSON_DEPTH)
        if too_deep is not None:
            raise self.fail(too_deep, f"the spec's JSON nests more than {MAX_JSON_DEPTH} levels deep")
        if not isinstance(obj, dict):
            raise self.fail([], f"not a segment: expected a WriteSegmentRequest object, got {_kind(obj)}")
        if not any(k in obj for k in ("Dimensions", "SegmentGroups", "ImportDefinition")):
            raise self.fail(
                [],
                "not a segment: a WriteSegmentRequest has Dimensions or SegmentGroups "
                f"(found keys: {', '.join(list(obj)[:8]) or 'none'})",
            )
        self.obj(obj, [], REQUEST_KEYS)
        if "Dimensions" in obj and "SegmentGroups" in obj:
            raise self.fail(["SegmentGroups"], "give Dimensions or SegmentGroups, not both")
        if "Name" in obj and not isinstance(obj["Name"], str):
            raise self.fail(["Name"], "Name must be a string")
        kind = obj.get("SegmentType", "IMPORT" if "ImportDefinition" in obj else "DIMENSIONAL")
        self.choice(kind, ["SegmentType"], ("DIMENSIONAL", "IMPORT"))
        if kind == "IMPORT":
            return None
        if "Dimensions" not in obj and "SegmentGroups" not in obj:  # (an ImportDefinition alone)
            raise self.fail(["SegmentType"], "a DIMENSIONAL segment needs Dimensions or SegmentGroups")
        if "Dimensions" in obj:
            return self.dimensions_set(obj["Dimensions"], ["Dimensions"])
        return self.groups(obj["SegmentGroups"], ["SegmentGroups"])

    def groups(self, value: Any, path: list[Any]) -> t.Node:
        value = self.obj(value, path, ("Include", "Groups"))
        include = self.choice(value.get("Include", "ALL"), [*path, "Include"], COMBINE)
        groups = value.get("Groups", [])
        if not isinstance(groups, list):
            raise self.fail([*path, "Groups"], "Groups must be a list")
        nodes = [self.group(g, [*path, "Groups", i]) for i, g in enumerate(groups)]
        return COMBINE[include](tuple(nodes))

    def group(self, value: Any, path: list[Any]) -> t.Node:
        value = self.obj(value, path, ("SourceSegments", "SourceType", "Dimensions", "Type"))
        parts: list[t.Node] = []
        sources = value.get("SourceSegments") or []
        if not isinstance(sources, list):
            raise self.fail([*path, "SourceSegments"], "SourceSegments must be a list")
        if sources:
            source_type = self.choice(value.get("SourceType", "ANY"), [*path, "SourceType"], COMBINE)
            refs = tuple(self.segment_ref(s, [*path, "SourceSegments", i]) for i, s in enumerate(sources))
            parts.append(COMBINE[source_type](refs))
        dims = value.get("Dimensions") or []
        if not isinstance(dims, list):
            raise self.fail([*path, "Dimensions"], "a group's Dimensions must be a list of dimension sets")
        if dims:
            kind = self.choice(value.get("Type", "ALL"), [*path, "Type"], COMBINE)
            sets = tuple(self.dimensions_set(d, [*path, "Dimensions", i]) for i, d in enumerate(dims))
            parts.append(COMBINE[kind](sets))
        return t.AllOf(tuple(parts))

    def segment_ref(self, value: Any, path: list[Any]) -> t.InSegment:
        value = self.obj(value, path, ("Id", "Version", "Name"))
        ref = value.get("Id", value.get("Name"))
        if not isinstance(ref, str) or not ref:
            raise self.fail([*path, "Id"], "a source segment needs an Id (a segment id or name)")
        version = value.get("Version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise self.fail([*path, "Version"], f"Version must be a positive integer, got {version!r}")
        return t.InSegment(ref, version)

    def dimensions_set(self, value: Any, path: list[Any]) -> t.Node:
        value = self.obj(value, path, DIMENSION_READERS)
        items: list[t.Node] = []
        for key, sub in value.items():
            items += DIMENSION_READERS[key](self, sub, [*path, key])
        return t.AllOf(tuple(items))

    # --- the keys of a dimension set (each returns the nodes it reads) ---------------------------------------

    def demographic(self, value: Any, path: list[Any]) -> list[t.Node]:
        value = self.obj(value, path, t.DEMOGRAPHIC_COLUMNS)
        return [self.set_dimension(f"Demographic.{k}", v, [*path, k]) for k, v in value.items()]

    def location(self, value: Any, path: list[Any]) -> list[t.Node]:
        value = self.obj(value, path, ("Country", "GPSPoint"))
        items: list[t.Node] = []
        if "Country" in value:
            items.append(self.set_dimension("Location.Country", value["Country"], [*path, "Country"]))
        if "GPSPoint" in value:
            items.append(self.gps(value["GPSPoint"], [*path, "GPSPoint"]))
        return items

    def attributes(self, value: Any, path: list[Any]) -> list[t.Node]:
        return self._attributes(value, path, "Attributes.", "attribute")

    def user_attributes(self, value: Any, path: list[Any]) -> list[t.Node]:
        return self._attributes(value, path, "User.UserAttributes.", "user attribute")

    def _attributes(self, value: Any, path: list[Any], prefix: str, family: str) -> list[t.Node]:
        return [
            self.attribute(self.column(prefix + name, [*path, name], family), dim, [*path, name])
            for name, dim in self.map(value, path).items()
        ]

    def metrics(self, value: Any, path: list[Any]) -> list[t.Node]:
        items: list[t.Node] = []
        for name, dim in self.map(value, path).items():
            column = self.column("Metrics." + name, [*path, name], "metric")
            op, val = self.metric(dim, [*path, name])
            items.append(t.MetricCompare(column, op, val))
        return items

    def random_bucket(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [self.bucket(value, path)]

    def segment_membership(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [self.membership(value, path)]

    def all_of(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [t.AllOf(self.dimension_sets(value, path))]

    def any_of(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [t.AnyOf(self.dimension_sets(value, path))]

    def none_of(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [t.NoneOf(self.dimension_sets(value, path))]

    def dimension_sets(self, value: Any, path: list[Any]) -> tuple[t.Node, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"{path[-1]} must be a list of dimension sets")
        if self.nesting >= MAX_GROUP_NESTING:
            raise self.fail(
                path,
                f"AllOf / AnyOf / NoneOf nest more than {MAX_GROUP_NESTING} levels deep; flatten the condition",
            )
        self.nesting += 1
        try:
            return tuple(self.dimensions_set(d, [*path, i]) for i, d in enumerate(value))
        finally:
            self.nesting -= 1

    # --- the parts ---------------------------------------------------------------------------------------------

    def map(self, value: Any, path: list[Any]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object of name -> condition, got {_kind(value)}")
        return value

    def set_dimension(self, dimension: str, value: Any, path: list[Any]) -> t.ValueIn:
        value = self.obj(value, path, ("DimensionType", "Values"))
        kind = self.choice(
            value.get("DimensionType", "INCLUSIVE"), [*path, "DimensionType"], ("INCLUSIVE", "EXCLUSIVE")
        )
        if "Values" not in value:
            raise self.fail([*path, "Values"], "Values is required")
        values = list(self.strings(value["Values"], [*path, "Values"]))
        for i, v in enumerate(values):
            stored = stored_form(
                dimension, v
            )  # "usa" -> "US", "email" -> "EMAIL" (as the import stores them)
            if stored is not None:
                values[i] = stored[0]
                message = f"{stored[2]}, and the spec says {stored[0]!r} in its place"
                self.rewrites.append(([*path, "Values", i], stored[0], stored[1], message))
        return t.ValueIn(dimension, tuple(values), kind == "EXCLUSIVE")

    def gps(self, value: Any, path: list[Any]) -> t.Near:
        value = self.obj(value, path, ("Coordinates", "RangeInKilometers"))
        coords = self.obj(value.get("Coordinates"), [*path, "Coordinates"], ("Latitude", "Longitude"))
        lat = self.number(coords.get("Latitude"), [*path, "Coordinates", "Latitude"])
        lon = self.number(coords.get("Longitude"), [*path, "Coordinates", "Longitude"])
        if not -90 <= lat <= 90:
            raise self.fail([*path, "Coordinates", "Latitude"], f"latitude {lat} is outside -90..90")
        if not -180 <= lon <= 180:
            raise self.fail([*path, "Coordinates", "Longitude"], f"longitude {lon} is outside -180..180")
        km = self.number(value.get("RangeInKilometers", 100), [*path, "RangeInKilometers"])
        if km < 0:
            raise self.fail([*path, "RangeInKilometers"], "RangeInKilometers must not be negative")
        return t.Near(lat, lon, km)

    def attribute(self, column: str, value: Any, path: list[Any]) -> t.AttributeMatch:
        value = self.obj(value, path, ("AttributeType", "Values"))
        kind = self.choice(
            value.get("AttributeType", "INCLUSIVE"), [*path, "AttributeType"], t.ATTRIBUTE_TYPES
        )
        if "Values" not in value:
            raise self.fail([*path, "Values"], "Values is required")
        values = self.strings(value["Values"], [*path, "Values"])
        self.date_values(kind, values, [*path, "Values"])
        return t.AttributeMatch(column, kind, values)

    def date_values(self, kind: str, values: tuple[str, ...], path: list[Any]) -> None:
        if kind not in t.DATE_TYPES:
            return
        if kind == "BETWEEN" and len(values) != 2:
            raise self.fail(path, f"BETWEEN takes exactly two dates (start, end), got {len(values)}")
        if kind in ("BEFORE", "AFTER") and len(values) != 1:
            raise self.fail(path, f"{kind} takes exactly one date, got {len(values)}")
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise self.fail([*path, i], f"a date must be a string, got {_kind(v)}")
            try:
                t.parse_instant(v)
            except (ValueError, OverflowError):
                raise self.fail(
                    [*path, i], f"{v!r} is not a date: use ISO 8601, e.g. 2026-10-01 or 2026-10-01T12:00:00Z"
                ) from None
        if kind == "BETWEEN" and t.parse_instant(values[0]) > t.parse_instant(values[1], end_of_day=True):
            raise self.fail(path, f"BETWEEN start {values[0]} is after its end {values[1]}")

    def metric(self, value: Any, path: list[Any]) -> tuple[str, float]:
        value = self.obj(value, path, ("ComparisonOperator", "Value"))
        op = self.choice(value.get("ComparisonOperator"), [*path, "ComparisonOperator"], t.METRIC_OPERATORS)
        if "Value" not in value:
            raise self.fail([*path, "Value"], "Value is required")
        return op, self.number(value["Value"], [*path, "Value"])

    def behavior(self, value: Any, path: list[Any]) -> list[t.Node]:
        value = self.obj(value, path, BEHAVIOR_READERS)
        items: list[t.Node] = []
        for key, read in BEHAVIOR_READERS.items():  # in the table's order, whatever the JSON's order
            if key in value:
                items += read(self, value[key], [*path, key])
        return items

    def recency(self, value: Any, path: list[Any]) -> list[t.Node]:
        rec = self.obj(value, path, ("Duration", "RecencyType"))
        duration = self.choice(rec.get("Duration"), [*path, "Duration"], t.RECENCY_DURATIONS)
        kind = self.choice(rec.get("RecencyType"), [*path, "RecencyType"], ("ACTIVE", "INACTIVE"))
        return [t.Recency(duration, kind)]

    def events(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [self.event(ev, [*path, i]) for i, ev in enumerate(self.list(value, path))]

    def engagements(self, value: Any, path: list[Any]) -> list[t.Node]:
        return [self.engagement(en, [*path, i]) for i, en in enumerate(self.list(value, path))]

    def list(self, value: Any, path: list[Any]) -> list:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value

    def event_types(self, value: Any, path: list[Any]) -> tuple[str, ...]:
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        raise self.fail(path, 'EventType must be an event name or a list of them, e.g. "_session.start"')

    def event(self, value: Any, path: list[Any]) -> t.Node:
        keys = (
            "EventType",
            "Attributes",
            "Metrics",
            "Times",
            "Within",
            "Between",
            "FirstPerformed",
            "LastPerformed",
        )
        value = self.obj(value, path, keys)
        types = self.event_types(value.get("EventType"), [*path, "EventType"])
        filters: list[t.EventFilter] = []
        for name, dim in self.map(value.get("Attributes", {}), [*path, "Attributes"]).items():
            a = self.attribute("", dim, [*path, "Attributes", name])
            filters.append(t.EventFilter("attribute", name, a.attribute_type, a.values))
        for name, dim in self.map(value.get("Metrics", {}), [*path, "Metrics"]).items():
            op, val = self.metric(dim, [*path, "Metrics", name])
            filters.append(t.EventFilter("metric", name, op, (val,)))
        when = [k for k in ("FirstPerformed", "LastPerformed") if k in value]
        if when:
            if len(when) > 1 or any(k in value for k in ("Times", "Within", "Between")):
                raise self.fail(
                    [*path, when[-1]],
                    "FirstPerformed/LastPerformed stand alone: put other conditions "
                    "in their own Events entry",
                )
            p = [*path, when[0]]
            spec = self.obj(value[when[0]], p, ("ComparisonOperator", "Value"))
            op = self.choice(spec.get("ComparisonOperator"), [*p, "ComparisonOperator"], ("BEFORE", "AFTER"))
            at = spec.get("Value")
            values = (at,) if isinstance(at, str) else self.strings(at, [*p, "Value"])
            self.date_values(op, values, [*p, "Value"])
            at = values[0]  # a list of one date reads as that date
            which = "FIRST" if when[0] == "FirstPerformed" else "LAST"
            return t.PerformedWhen(types, which, op, at, tuple(filters))
        times_op, times = "AT_LEAST", 1
        if "Times" in value:
            p = [*path, "Times"]
            spec = self.obj(value["Times"], p, ("ComparisonOperator", "Value"))
            times_op = self.choice(
                spec.get("ComparisonOperator", "AT_LEAST"), [*p, "ComparisonOperator"], t.TIMES_OPERATORS
            )
            n = spec.get("Value")
            if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_TIMES:
                raise self.fail(
                    [*p, "Value"], f"Times.Value must be a whole number from 0 to {MAX_TIMES:,}, got {n!r}"
                )
            times = n
        return t.Performed(types, tuple(filters), times_op, times, self.window(value, path))

    def window(self, value: dict, path: list[Any]) -> t.Window:
        if "Within" in value and "Between" in value:
            raise self.fail([*path, "Between"], "give Within or Between, not both")
        if "Within" in value:
            spec = self.obj(value["Within"], [*path, "Within"], ("Days", "Hours"))
            days = self.number(spec["Days"], [*path, "Within", "Days"]) if "Days" in spec else 0.0
            if "Hours" in spec:
                days += self.number(spec["Hours"], [*path, "Within", "Hours"]) / 24
            if days <= 0:
                raise self.fail([*path, "Within"], "Within needs Days (or Hours) greater than 0")
            if days > MAX_WITHIN_DAYS:
                raise self.fail(
                    [*path, "Within", "Days" if "Days" in spec else "Hours"],
                    f"Within reaches back at most {MAX_WITHIN_DAYS:,} days, got {days:g}",
                )
            return t.Window(days=days)
        if "Between" in value:
            p = [*path, "Between"]
            spec = self.obj(value["Between"], p, ("Start", "End"))
            for k in ("Start", "End"):
                if k not in spec:
                    raise self.fail([*p, k], f"Between needs {k}")
            self.date_values("BETWEEN", (spec["Start"], spec["End"]), p)
            return t.Window(start=spec["Start"], end=spec["End"])
        return t.Window()

    def engagement(self, value: Any, path: list[Any]) -> t.Engaged:
        value = self.obj(value, path, ("Action", "CampaignId", "JourneyId", "Within", "Between"))
        action = self.choice(value.get("Action"), [*path, "Action"], t.ENGAGEMENT_EVENTS)
        ids = {}
        for k in ("CampaignId", "JourneyId"):
            if k in value:
                if not isinstance(value[k], str) or not value[k]:
                    raise self.fail([*path, k], f"{k} must be a non-empty string")
                ids[k] = value[k]
        return t.Engaged(action, ids.get("CampaignId"), ids.get("JourneyId"), self.window(value, path))

    def bucket(self, value: Any, path: list[Any]) -> t.RandomBucket:
        value = self.obj(value, path, ("Percent", "Start", "End", "Key", "Salt"))
        if "Percent" in value:
            start, end = 0, self.number(value["Percent"], [*path, "Percent"])
        else:
            start = self.number(value.get("Start", 0), [*path, "Start"])
            end = self.number(value.get("End", 100), [*path, "End"])
        if not (0 <= start <= end <= 100) or start != int(start) or end != int(end):
            raise self.fail(
                path, f"buckets are whole numbers with 0 <= Start <= End <= 100, got {start}..{end}"
            )
        key = self.choice(value.get("Key", "ENDPOINT"), [*path, "Key"], ("ENDPOINT", "USER"))
        salt = value.get("Salt", "")
        if not isinstance(salt, str):
            raise self.fail([*path, "Salt"], "Salt must be a string")
        return t.RandomBucket(int(start), int(end), key, salt)

    def membership(self, value: Any, path: list[Any]) -> t.Node:
        value = self.obj(value, path, ("DimensionType", "Segments"))
        kind = self.choice(
            value.get("DimensionType", "INCLUSIVE"), [*path, "DimensionType"], ("INCLUSIVE", "EXCLUSIVE")
        )
        segments = self.list(value.get("Segments", []), [*path, "Segments"])
        if not segments:
            raise self.fail([*path, "Segments"], "Segments is empty: name at least one segment")
        refs = tuple(self.segment_ref(s, [*path, "Segments", i]) for i, s in enumerate(segments))
        node: t.Node = refs[0] if len(refs) == 1 else t.AnyOf(refs)
        return t.NoneOf((node,)) if kind == "EXCLUSIVE" else node


def deeper_than(obj: Any, limit: int) -> list[Any] | None:
    """The path of the first object or list nested more than ``limit`` deep in ``obj``, or None (no recursion)."""
    stack: list[tuple[Any, list[Any]]] = [(obj, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict | list) and len(path) >= limit:
            return path
        if isinstance(node, dict):
            stack.extend((v, [*path, k]) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, [*path, i]) for i, v in enumerate(node))
    return None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def dotted(path: list[Any]) -> str:
    """A path of keys and list indexes as a field name: ``Dimensions.AllOf[0].Attributes``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


Read = Callable[[Reader, Any, list[Any]], list[t.Node]]

#: Each key of a ``SegmentDimensions`` object -> the method reading it (the order is the one error hints list).
DIMENSION_READERS: dict[str, Read] = {
    "Demographic": Reader.demographic,
    "Location": Reader.location,
    "Behavior": Reader.behavior,
    "Attributes": Reader.attributes,
    "UserAttributes": Reader.user_attributes,
    "Metrics": Reader.metrics,
    "RandomBucket": Reader.random_bucket,
    "SegmentMembership": Reader.segment_membership,
    "AllOf": Reader.all_of,
    "AnyOf": Reader.any_of,
    "NoneOf": Reader.none_of,
}
#: Each key of ``Behavior`` -> the method reading it; the nodes come in this order.
BEHAVIOR_READERS: dict[str, Read] = {
    "Recency": Reader.recency,
    "Events": Reader.events,
    "Engagement": Reader.engagements,
}
