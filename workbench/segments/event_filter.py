"""Pinpoint's ``EventFilter`` / ``EventDimensions`` over the event log: which events trigger a campaign or a journey.

``EventFilter {FilterType: SYSTEM | ENDPOINT, Dimensions: EventDimensions {EventType: SetDimension, Attributes:
map<AttributeDimension>, Metrics: map<MetricDimension>}}``. An event matches when every given part holds:

- ``EventType``: INCLUSIVE, the event's type is one of ``Values``; EXCLUSIVE, it is none of them.
- ``Attributes.<name>``: the event attribute against an ``AttributeDimension`` (INCLUSIVE, EXCLUSIVE, CONTAINS,
  BEFORE, AFTER, ON, BETWEEN), with the meanings segments give them (an event without the attribute matches only
  EXCLUSIVE).
- ``Metrics.<name>``: the event metric compared with ``Value`` (an event without the metric, or NaN, never
  matches).

The JSON is read by the segment reader (``_json_read.Reader``: the same checks and error messages as a segment's
``Behavior.Events`` conditions) and compiled with the segment compilers' value functions (``_sql.value_sql`` /
``_polars.value_expr``), so an event condition means the same in a segment, a campaign and a journey.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..store.schema import sql_string
from . import _tree as t
from ._json_read import Reader
from ._polars import metric_expr, value_expr
from ._sql import metric_sql, value_sql

FILTER_TYPES = ("SYSTEM", "ENDPOINT")
DIMENSION_KEYS = ("EventType", "Attributes", "Metrics")


@dataclass(frozen=True)
class EventFilter:
    """A validated Pinpoint ``EventFilter``; ``sql()`` and ``expr()`` test events against it."""

    filter_type: str  # SYSTEM | ENDPOINT
    dimensions: dict  # EventDimensions {EventType: SetDimension, Attributes, Metrics}

    @classmethod
    def from_json(cls, obj: Any, *, field: str = "EventFilter", file: str | None = None) -> EventFilter:
        """Read ``{"FilterType": ..., "Dimensions": {...}}``; InputError naming ``file`` and the field (e.g.
        ``Schedule.EventFilter.Dimensions.Metrics.price.Value``) for unknown keys and wrong values."""
        reader = Reader(file, None, None)
        path = [field]
        value = reader.obj(obj, path, ("FilterType", "Dimensions"))
        for key in ("FilterType", "Dimensions"):
            if key not in value:
                raise reader.fail([*path, key], f"{key} is required")
        kind = reader.choice(value["FilterType"], [*path, "FilterType"], FILTER_TYPES)
        dims = event_dimensions_from_json(value["Dimensions"], field=f"{field}.Dimensions", file=file)
        return cls(kind, dims)

    def to_json(self) -> dict:
        """The Pinpoint JSON ``{"FilterType", "Dimensions"}``."""
        return {"FilterType": self.filter_type, "Dimensions": copy.deepcopy(self.dimensions)}

    def sql(self) -> str:
        """A DuckDB boolean (never NULL) over the ``events`` view's columns: ``SELECT * FROM events WHERE ...``."""
        event_type, filters = _conditions(self.dimensions)
        parts = []
        if event_type is not None:
            parts.append(value_sql("event_type", _set_kind(event_type), event_type.values))
        for f in filters:
            if f.kind == "attribute":
                parts.append(value_sql(f"attributes[{sql_string(f.name)}]", f.operator, f.values))
            else:
                parts.append(metric_sql(f"metrics[{sql_string(f.name)}]", f.operator, f.values[0]))
        return f"coalesce({' AND '.join(parts)}, false)" if parts else "true"

    def expr(self) -> pl.Expr:
        """The same test as a Polars expression over a frame of the event log (never null). ``attributes`` and
        ``metrics`` may be Polars maps (what ``store.query("SELECT * FROM events")`` gives) or lists of
        key/value structs (``store.event_log.POLARS_SCHEMA``)."""
        event_type, filters = _conditions(self.dimensions)
        cond = pl.lit(True)
        if event_type is not None:
            cond = cond & value_expr(pl.col("event_type"), _set_kind(event_type), event_type.values)
        attributes = pl.col("attributes").cast(pl.Map(pl.String, pl.String))
        metrics = pl.col("metrics").cast(pl.Map(pl.String, pl.Float64))
        for f in filters:
            if f.kind == "attribute":
                cond = cond & value_expr(attributes.map.get(f.name), f.operator, f.values)
            else:
                cond = cond & metric_expr(metrics.map.get(f.name), f.operator, f.values[0])
        return cond.fill_null(False)

    def event_types(self) -> list[str]:
        """The event types that can match, when the filter lists them (INCLUSIVE EventType); [] when any type can
        (no EventType, or an EXCLUSIVE one)."""
        event_type, _ = _conditions(self.dimensions)
        if event_type is None or event_type.exclusive:
            return []
        return list(dict.fromkeys(event_type.values))


def event_dimensions_from_json(obj: Any, *, field: str, file: str | None = None) -> dict:
    """A validated copy of Pinpoint's ``EventDimensions`` JSON (``{}`` matches every event); InputError naming
    ``file`` and the field for unknown keys, an unknown DimensionType / AttributeType / ComparisonOperator, a
    metric Value that is not a number, or dates that do not parse."""
    _read(obj, Reader(file, None, None), [field])
    return copy.deepcopy(obj)


def _read(obj: Any, reader: Reader, path: list[Any]) -> tuple[t.ValueIn | None, tuple[t.EventFilter, ...]]:
    value = reader.obj(obj, path, DIMENSION_KEYS)
    event_type = None
    if "EventType" in value:
        event_type = reader.set_dimension("EventType", value["EventType"], [*path, "EventType"])
    filters: list[t.EventFilter] = []
    for name, dim in reader.map(value.get("Attributes", {}), [*path, "Attributes"]).items():
        match = reader.attribute("", dim, [*path, "Attributes", name])
        filters.append(t.EventFilter("attribute", name, match.attribute_type, match.values))
    for name, dim in reader.map(value.get("Metrics", {}), [*path, "Metrics"]).items():
        op, number = reader.metric(dim, [*path, "Metrics", name])
        filters.append(t.EventFilter("metric", name, op, (number,)))
    return event_type, tuple(filters)


def _conditions(dimensions: dict) -> tuple[t.ValueIn | None, tuple[t.EventFilter, ...]]:
    return _read(dimensions, Reader(None, None, None), ["Dimensions"])


def _set_kind(node: t.ValueIn) -> str:
    return "EXCLUSIVE" if node.exclusive else "INCLUSIVE"


__all__ = ["DIMENSION_KEYS", "FILTER_TYPES", "EventFilter", "event_dimensions_from_json"]
