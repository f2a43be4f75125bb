"""Segment specs in Pinpoint's ``WriteSegmentRequest`` JSON: read, validate, write, and say in words.

A spec holds the request exactly as given (so a definition exported from Pinpoint is written back unchanged)
and its condition tree (``_tree``), which the compilers turn into SQL or Polars. Keys beyond Pinpoint sit inside
the same JSON and never change what Pinpoint's keys mean (the README's Segments section lists them):

- ``Behavior.Events``: performed-event conditions (count in a window, never performed, first/last performed).
- ``Behavior.Engagement``: opened / clicked / bounced / unsubscribed from a campaign or journey (or any).
- ``RandomBucket``: a stable hash of the endpoint or user id into 100 buckets.
- ``SegmentMembership``: membership of other segments (by name or id, optionally a pinned version).
- ``AllOf`` / ``AnyOf`` / ``NoneOf``: nested lists of dimension sets, for conditions Pinpoint's two-level
  groups cannot say (the Python builder writes these only when it must).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, suggest
from . import _tree as t

MAX_DIMENSIONS = 100  # Pinpoint's quota per segment
MAX_VALUES = 100  # console limit on values in total, per dimension here

#: Pinpoint ``Demographic`` keys -> endpoint column. Pinpoint's endpoint record has no device type field, so
#: ``DeviceType`` is matched against the device platform (iOS, Android, ...): documented in the README's Segments section.
DEMOGRAPHIC_COLUMNS = {
    "AppVersion": "Demographic.AppVersion",
    "Channel": "ChannelType",
    "DeviceType": "Demographic.Platform",
    "Make": "Demographic.Make",
    "Model": "Demographic.Model",
    "Platform": "Demographic.Platform",
}
SET_DIMENSION_COLUMNS = {
    **{f"Demographic.{k}": v for k, v in DEMOGRAPHIC_COLUMNS.items()},
    "Location.Country": "Location.Country",
}

DIMENSION_KEYS = (
    "Demographic",
    "Location",
    "Behavior",
    "Attributes",
    "UserAttributes",
    "Metrics",
    "RandomBucket",
    "SegmentMembership",
    "AllOf",
    "AnyOf",
    "NoneOf",
)
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


class _Reader:
    """Walks one request, keeping the path for error messages (field and, with the file text, the line)."""

    def __init__(self, file: str | None, text: str | None, columns: Iterable[str] | None):
        self.file = file
        self.text = text
        self.columns = set(columns) if columns is not None else None
        self.dimensions = 0

    def fail(self, path: list[Any], reason: str) -> InputError:
        return InputError(reason, file=self.file, line=self._line(path), field=_dotted(path) or None)

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

    def count(self) -> None:
        self.dimensions += 1

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
        if "Dimensions" in obj:
            node = self.dimensions_set(obj["Dimensions"], ["Dimensions"])
        else:
            node = self.groups(obj["SegmentGroups"], ["SegmentGroups"])
        if self.dimensions > MAX_DIMENSIONS:
            raise self.fail([], f"{self.dimensions} dimensions; a segment can have at most {MAX_DIMENSIONS}")
        return node

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
        self.count()
        return t.InSegment(ref, version)

    def dimensions_set(self, value: Any, path: list[Any]) -> t.Node:
        value = self.obj(value, path, DIMENSION_KEYS)
        items: list[t.Node] = []
        for key, sub in value.items():
            p = [*path, key]
            if key == "Demographic":
                sub = self.obj(sub, p, DEMOGRAPHIC_COLUMNS)
                items += [self.set_dimension(f"Demographic.{k}", v, [*p, k]) for k, v in sub.items()]
            elif key == "Location":
                sub = self.obj(sub, p, ("Country", "GPSPoint"))
                if "Country" in sub:
                    items.append(self.set_dimension("Location.Country", sub["Country"], [*p, "Country"]))
                if "GPSPoint" in sub:
                    items.append(self.gps(sub["GPSPoint"], [*p, "GPSPoint"]))
            elif key == "Behavior":
                items += self.behavior(sub, p)
            elif key in ("Attributes", "UserAttributes"):
                prefix = "Attributes." if key == "Attributes" else "User.UserAttributes."
                family = "attribute" if key == "Attributes" else "user attribute"
                for name, dim in self.map(sub, p).items():
                    column = self.column(prefix + name, [*p, name], family)
                    items.append(self.attribute(column, dim, [*p, name]))
            elif key == "Metrics":
                for name, dim in self.map(sub, p).items():
                    column = self.column("Metrics." + name, [*p, name], "metric")
                    op, val = self.metric(dim, [*p, name])
                    items.append(t.MetricCompare(column, op, val))
            elif key == "RandomBucket":
                items.append(self.bucket(sub, p))
            elif key == "SegmentMembership":
                items.append(self.membership(sub, p))
            else:  # AllOf / AnyOf / NoneOf
                if not isinstance(sub, list):
                    raise self.fail(p, f"{key} must be a list of dimension sets")
                nodes = tuple(self.dimensions_set(d, [*p, i]) for i, d in enumerate(sub))
                items.append({"AllOf": t.AllOf, "AnyOf": t.AnyOf, "NoneOf": t.NoneOf}[key](nodes))
        return t.AllOf(tuple(items))

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
        self.count()
        return t.ValueIn(dimension, self.strings(value["Values"], [*path, "Values"]), kind == "EXCLUSIVE")

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
        self.count()
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
        self.count()
        return t.AttributeMatch(column, kind, values)

    def date_values(self, kind: str, values: tuple[str, ...], path: list[Any]) -> None:
        if kind not in t.DATE_TYPES:
            return
        if kind == "BETWEEN" and len(values) != 2:
            raise self.fail(path, f"BETWEEN takes exactly two dates (start, end), got {len(values)}")
        if kind in ("BEFORE", "AFTER") and len(values) != 1:
            raise self.fail(path, f"{kind} takes exactly one date, got {len(values)}")
        for i, v in enumerate(values):
            try:
                t.parse_instant(v)
            except ValueError:
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
        self.count()
        return op, self.number(value["Value"], [*path, "Value"])

    def behavior(self, value: Any, path: list[Any]) -> list[t.Node]:
        value = self.obj(value, path, ("Recency", "Events", "Engagement"))
        items: list[t.Node] = []
        if "Recency" in value:
            p = [*path, "Recency"]
            rec = self.obj(value["Recency"], p, ("Duration", "RecencyType"))
            duration = self.choice(rec.get("Duration"), [*p, "Duration"], t.RECENCY_DURATIONS)
            kind = self.choice(rec.get("RecencyType"), [*p, "RecencyType"], ("ACTIVE", "INACTIVE"))
            self.count()
            items.append(t.Recency(duration, kind))
        for i, ev in enumerate(self.list(value.get("Events", []), [*path, "Events"])):
            items.append(self.event(ev, [*path, "Events", i]))
        for i, en in enumerate(self.list(value.get("Engagement", []), [*path, "Engagement"])):
            items.append(self.engagement(en, [*path, "Engagement", i]))
        return items

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
            self.dimensions -= 1
        for name, dim in self.map(value.get("Metrics", {}), [*path, "Metrics"]).items():
            op, val = self.metric(dim, [*path, "Metrics", name])
            filters.append(t.EventFilter("metric", name, op, (val,)))
            self.dimensions -= 1
        self.count()
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
            self.date_values(
                "BEFORE", (at,) if isinstance(at, str) else self.strings(at, [*p, "Value"]), [*p, "Value"]
            )
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
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise self.fail([*p, "Value"], f"Times.Value must be a whole number >= 0, got {n!r}")
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
        self.count()
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
        self.count()
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


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _dotted(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


# --- the spec object ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSpec:
    """A segment definition: the ``WriteSegmentRequest`` JSON as given, and its condition tree.

    ``condition`` is None for an imported (static) segment, whose members are a stored list.
    """

    request: dict
    condition: t.Node | None

    @property
    def name(self) -> str | None:
        return self.request.get("Name")

    @property
    def segment_type(self) -> str:
        return "IMPORT" if self.condition is None else "DIMENSIONAL"

    @classmethod
    def from_json(
        cls,
        source: str | bytes | dict | Path,
        *,
        columns: Iterable[str] | None = None,
        file: str | None = None,
    ) -> SegmentSpec:
        """Read a ``WriteSegmentRequest`` (a dict, JSON text, or a path to a .json file) and validate it.

        ``columns`` (the project's endpoint columns) turns on name checks: an unknown attribute or metric is an
        error that names it and suggests close names from the data.
        """
        text = None
        if isinstance(source, Path):
            file = file or str(source)
            try:
                text = source.read_text(encoding="utf-8")
            except OSError as err:
                raise InputError(f"cannot read the spec: {err.strerror}", file=file) from None
        elif isinstance(source, str | bytes):
            text = source.decode() if isinstance(source, bytes) else source
        if text is not None:
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                raise InputError(
                    f"not valid JSON: {err.msg} (column {err.colno})", file=file, line=err.lineno
                ) from None
        else:
            obj = source
        reader = _Reader(file, text, columns)
        node = reader.request(obj)
        return cls(copy.deepcopy(obj), node)

    @classmethod
    def from_condition(cls, condition: t.Node, name: str | None = None) -> SegmentSpec:
        """The spec for a condition tree (what the builder saves), in Pinpoint's shape where it can be."""
        return cls(to_request(condition, name), condition)

    def check(self, columns: Iterable[str]) -> None:
        """Validate names against the project's endpoint columns (raises InputError naming the field)."""
        if self.condition is not None:
            self.from_json(self.request, columns=columns)
        _check_tree_columns(self.condition, set(columns))

    def to_json(self, indent: int | None = 2) -> str:
        """The ``WriteSegmentRequest`` JSON (what ``aws pinpoint create-segment`` would take)."""
        return json.dumps(self.request, indent=indent)

    def describe(self) -> str:
        """The conditions in words."""
        if self.condition is None:
            size = self.request.get("ImportDefinition", {}).get("Size")
            return "imported list of endpoints" + (f" ({size:,})" if isinstance(size, int) else "")
        return describe(self.condition)


def _check_tree_columns(node: t.Node | None, columns: set[str]) -> None:
    if node is None:
        return
    for leaf in t.leaves(node):
        column = (
            SET_DIMENSION_COLUMNS[leaf.dimension]
            if isinstance(leaf, t.ValueIn)
            else getattr(leaf, "column", None)
        )
        if column and column not in columns:
            prefix = column.rsplit(".", 1)[0] + "." if "." in column else ""
            names = sorted(c for c in columns if c.startswith(prefix))
            raise InputError(
                f"unknown column {column!r}: no endpoint has it{suggest(column, names)}", field=column
            )


# --- writing a tree as Pinpoint JSON ---------------------------------------------------------------------------


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
            extra.append(to_dimensions(item) if isinstance(item, t.AllOf) else _wrapped(item))
    if extra:
        dims.setdefault("AllOf", []).extend(extra)
    return dims


def _wrapped(node: t.Node) -> dict:
    d: dict[str, Any] = {}
    if not _merge(d, node):  # only AllOf can fail to merge into an empty dict
        d = to_dimensions(node)
    return d


def _merge(dims: dict, node: t.Node) -> bool:
    """Add one condition to a SegmentDimensions dict; False when its slot is taken (then it goes in AllOf)."""

    def put(path: tuple[str, ...], value: Any) -> bool:
        target = dims
        for key in path[:-1]:
            target = target.setdefault(key, {})
        if path[-1] in target:
            return False
        target[path[-1]] = value
        return True

    if isinstance(node, t.ValueIn):
        group, key = node.dimension.split(".", 1)
        kind = "EXCLUSIVE" if node.exclusive else "INCLUSIVE"
        return put((group, key), {"DimensionType": kind, "Values": list(node.values)})
    if isinstance(node, t.AttributeMatch):
        family, name = (
            ("UserAttributes", node.column[len("User.UserAttributes.") :])
            if node.column.startswith("User.UserAttributes.")
            else ("Attributes", node.column[len("Attributes.") :])
        )
        return put((family, name), {"AttributeType": node.attribute_type, "Values": list(node.values)})
    if isinstance(node, t.MetricCompare):
        return put(
            ("Metrics", node.column[len("Metrics.") :]),
            {"ComparisonOperator": node.operator, "Value": node.value},
        )
    if isinstance(node, t.Near):
        gps = {
            "Coordinates": {"Latitude": node.latitude, "Longitude": node.longitude},
            "RangeInKilometers": node.km,
        }
        return put(("Location", "GPSPoint"), gps)
    if isinstance(node, t.Recency):
        return put(("Behavior", "Recency"), {"Duration": node.duration, "RecencyType": node.recency_type})
    if isinstance(node, t.Performed | t.PerformedWhen):
        dims.setdefault("Behavior", {}).setdefault("Events", []).append(_event_json(node))
        return True
    if isinstance(node, t.Engaged):
        entry: dict[str, Any] = {"Action": node.action}
        if node.campaign_id:
            entry["CampaignId"] = node.campaign_id
        if node.journey_id:
            entry["JourneyId"] = node.journey_id
        entry.update(_window_json(node.window))
        dims.setdefault("Behavior", {}).setdefault("Engagement", []).append(entry)
        return True
    if isinstance(node, t.RandomBucket):
        bucket: dict[str, Any] = {"Start": node.start, "End": node.end}
        if node.key != "ENDPOINT":
            bucket["Key"] = node.key
        if node.salt:
            bucket["Salt"] = node.salt
        return put(("RandomBucket",), bucket)
    if isinstance(node, t.InSegment):
        return put(("SegmentMembership",), {"DimensionType": "INCLUSIVE", "Segments": [_ref_json(node)]})
    if isinstance(node, t.Members):
        ref = t.InSegment(node.segment_id, node.version)
        return put(("SegmentMembership",), {"DimensionType": "INCLUSIVE", "Segments": [_ref_json(ref)]})
    if isinstance(node, t.AnyOf):  # two ORs in one AND cannot share the slot
        return put(("AnyOf",), [to_dimensions(i) for i in node.items])
    if isinstance(node, t.NoneOf):
        if len(node.items) == 1 and _all_in_segments(node.items[0]) and "SegmentMembership" not in dims:
            refs = node.items[0].items if isinstance(node.items[0], t.AnyOf) else node.items
            dims["SegmentMembership"] = {
                "DimensionType": "EXCLUSIVE",
                "Segments": [_ref_json(r) for r in refs],
            }
            return True
        dims.setdefault("NoneOf", []).extend(to_dimensions(i) for i in node.items)
        return True
    return False  # AllOf nested in AllOf: the caller flattens it into "AllOf"


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


def simplify(node: t.Node) -> t.Node:
    """A canonical form: nested ALL/ANY flattened, single-item ALL/ANY unwrapped, items in a fixed order.

    Two trees with the same simplified form select the same endpoints (used to test JSON round trips).
    """
    if isinstance(node, t.AllOf | t.AnyOf):
        kind = type(node)
        flat: list[t.Node] = []
        for item in (simplify(i) for i in node.items):
            flat.extend(item.items if isinstance(item, kind) else (item,))
        if kind is t.AllOf:  # NOT a AND NOT b == NOT (a OR b): one NoneOf per AND
            nots = [i for i in flat if isinstance(i, t.NoneOf)]
            if len(nots) > 1:
                flat = [i for i in flat if not isinstance(i, t.NoneOf)]
                flat.append(simplify(t.NoneOf(tuple(x for n in nots for x in n.items))))
        unique = sorted(set(flat), key=repr)
        return unique[0] if len(unique) == 1 else kind(tuple(unique))
    if isinstance(node, t.NoneOf):
        items = [simplify(i) for i in node.items]
        flat = []
        for item in items:
            flat.extend(item.items if isinstance(item, t.AnyOf) else (item,))
        return t.NoneOf(tuple(sorted(set(flat), key=repr))) if flat else t.AllOf(())
    return node


# --- words ----------------------------------------------------------------------------------------------------------


def describe(node: t.Node, depth: int = 0) -> str:
    """Say a condition tree in words, one condition a line, nested conditions indented."""
    pad = "  " * depth
    if isinstance(node, t.AllOf | t.AnyOf | t.NoneOf):
        if not node.items:
            return pad + (
                "every endpoint"
                if isinstance(node, t.AllOf)
                else "nobody"
                if isinstance(node, t.AnyOf)
                else "every endpoint"
            )
        if len(node.items) == 1 and not isinstance(node, t.NoneOf):
            return describe(node.items[0], depth)
        head = {t.AllOf: "all of:", t.AnyOf: "any of:", t.NoneOf: "none of:"}[type(node)]
        return pad + head + "".join("\n" + describe(i, depth + 1) for i in node.items)
    return pad + _leaf_words(node)


def _values(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else f"{v:g}" for v in values)


_METRIC_WORDS = {
    "GREATER_THAN": ">",
    "LESS_THAN": "<",
    "GREATER_THAN_OR_EQUAL": ">=",
    "LESS_THAN_OR_EQUAL": "<=",
    "EQUAL": "=",
}


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
        else f"{f.name} {_METRIC_WORDS[f.operator]} {f.values[0]:g}"
        for f in filters
    ]
    return " with " + " and ".join(parts)


def _leaf_words(node: t.Node) -> str:
    if isinstance(node, t.ValueIn):
        return f"{node.dimension} is {'not ' if node.exclusive else ''}one of {_values(node.values)}"
    if isinstance(node, t.AttributeMatch):
        words = {
            "INCLUSIVE": "has any of",
            "EXCLUSIVE": "has none of",
            "CONTAINS": "has a value containing",
            "BEFORE": "has a date before",
            "AFTER": "has a date after",
            "ON": "has a date on",
            "BETWEEN": "has a date between",
        }[node.attribute_type]
        joiner = " and " if node.attribute_type == "BETWEEN" else ", "
        return f"{node.column} {words} {joiner.join(repr(v) for v in node.values)}"
    if isinstance(node, t.MetricCompare):
        return f"{node.column} {_METRIC_WORDS[node.operator]} {node.value:g}"
    if isinstance(node, t.Near):
        return f"within {node.km:g} km of ({node.latitude:g}, {node.longitude:g})"
    if isinstance(node, t.Recency):
        span = {"HR_24": "24 hours", "DAY_7": "7 days", "DAY_14": "14 days", "DAY_30": "30 days"}[
            node.duration
        ]
        return (
            f"{'active' if node.recency_type == 'ACTIVE' else 'not active'} (app sessions) in the last {span}"
        )
    if isinstance(node, t.Performed):
        events = " or ".join(node.event_types)
        if node.times == 0 and node.times_operator in ("EXACTLY", "AT_MOST"):
            return f"never performed {events}{_filter_words(node.filters)}{_window_words(node.window)}"
        how = {"AT_LEAST": "at least", "AT_MOST": "at most", "EXACTLY": "exactly"}[node.times_operator]
        return f"performed {events}{_filter_words(node.filters)} {how} {node.times} time(s){_window_words(node.window)}"
    if isinstance(node, t.PerformedWhen):
        return (
            f"{node.which.lower()} performed {' or '.join(node.event_types)}{_filter_words(node.filters)} "
            f"{node.operator.lower()} {node.at}"
        )
    if isinstance(node, t.Engaged):
        target = (
            f"campaign {node.campaign_id}"
            if node.campaign_id
            else f"journey {node.journey_id}"
            if node.journey_id
            else "any campaign or journey"
        )
        return f"{node.action.lower()} from {target}{_window_words(node.window)}"
    if isinstance(node, t.RandomBucket):
        of = "user" if node.key == "USER" else "endpoint"
        return f"random {of} bucket {node.start}..{node.end - 1} of 0..99 ({node.end - node.start}%)"
    if isinstance(node, t.InSegment):
        return f"in segment {node.ref!r}" + (f" version {node.version}" if node.version else "")
    if isinstance(node, t.Members):
        return f"in imported segment {node.name or node.segment_id!r} version {node.version}"
    return repr(node)
