"""Compile a condition tree to one Polars expression over a frame of endpoints (the notebook path).

Same semantics as ``_sql`` (tests hold the two against each other on random data): NULL means "does not match",
AND / OR keep that, NOT fills NULL with false first. Event-log conditions are computed from an events frame into
a set of endpoint ids, so the result is still a plain expression: ``endpoints.filter(expr)``. ``EXPRESSIONS``
maps each node kind to the function compiling it (as sqlglot's generators map expression classes to functions).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import datetime
from functools import reduce
from typing import Any

import polars as pl

from . import _tree as t
from ._sql import DEG, EARTH_RADIUS_KM, bounding_box

POLARS_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S%.f")
_OPS = {
    "GREATER_THAN": lambda a, b: a > b,
    "LESS_THAN": lambda a, b: a < b,
    "GREATER_THAN_OR_EQUAL": lambda a, b: a >= b,
    "LESS_THAN_OR_EQUAL": lambda a, b: a <= b,
    "EQUAL": lambda a, b: a == b,
}
_TIMES = {"AT_LEAST": lambda a, b: a >= b, "AT_MOST": lambda a, b: a <= b, "EXACTLY": lambda a, b: a == b}


def bucket_of(value: str | None, salt: str = "") -> int | None:
    """The stable bucket 0..99 of an id: the same number DuckDB's ``md5_number(salt || id) % 100`` gives."""
    if value is None:
        return None
    return int.from_bytes(hashlib.md5((salt + value).encode()).digest(), "little") % 100


def _buckets(series: pl.Series, salt: str) -> pl.Series:
    return pl.Series(series.name, [bucket_of(v, salt) for v in series.to_list()], dtype=pl.Int64)


def date_expr(x: pl.Expr) -> pl.Expr:
    """The text ``x`` read as a date/instant; null when it is not one of the accepted shapes (as in SQL)."""
    normal = x.str.strip_suffix("Z").str.replace("T", " ", literal=True)
    parsed = pl.coalesce(
        [normal.str.strptime(pl.Datetime("us"), f, strict=False) for f in POLARS_DATE_FORMATS]
    )
    return pl.when(x.str.contains(t.DATE_VALUE_PATTERN)).then(parsed)


def value_expr(x: pl.Expr, attribute_type: str, values: tuple[str, ...]) -> pl.Expr:
    """One text value against an AttributeDimension (null or false when it does not match)."""
    if attribute_type == "INCLUSIVE":
        return x.is_in(list(values))
    if attribute_type == "EXCLUSIVE":
        return x.is_null() | ~x.is_in(list(values))
    if attribute_type == "CONTAINS":
        return reduce(lambda a, b: a | b, [x.str.contains(v, literal=True) for v in values])
    when = date_expr(x)
    if attribute_type == "BEFORE":
        return when < pl.lit(t.parse_instant(values[0]), dtype=pl.Datetime("us"))
    if attribute_type == "AFTER":
        return when > pl.lit(t.parse_instant(values[0]), dtype=pl.Datetime("us"))
    if attribute_type == "ON":
        return when.dt.date().is_in([t.parse_day(v) for v in values])
    lo, hi = t.parse_instant(values[0]), t.parse_instant(values[1], end_of_day=True)
    return when.is_between(pl.lit(lo, dtype=pl.Datetime("us")), pl.lit(hi, dtype=pl.Datetime("us")))


def metric_expr(x: pl.Expr, operator: str, value: float) -> pl.Expr:
    return _OPS[operator](x, value) & x.is_not_nan()


def distance_km_expr(lat: pl.Expr, lon: pl.Expr, lat0: float, lon0: float) -> pl.Expr:
    """Haversine distance in the same operation order as ``_sql.distance_km_sql``."""
    dlat = (lat - lat0) * DEG / 2
    dlon = (lon - lon0) * DEG / 2
    h = dlat.sin() * dlat.sin() + math.cos(lat0 * DEG) * (lat * DEG).cos() * dlon.sin() * dlon.sin()
    return 2 * EARTH_RADIUS_KM * pl.min_horizontal(pl.lit(1.0), h.sqrt()).arcsin()


class PolarsCompiler:
    """Turns one resolved tree into a Polars expression over an endpoints frame.

    ``events`` gives the event log as a LazyFrame (called only when the tree has event conditions);
    ``members`` gives an imported segment version's endpoint ids.
    """

    def __init__(
        self,
        now: datetime,
        events: Callable[[], pl.LazyFrame] | None = None,
        members: Callable[[str, int], list[str]] | None = None,
    ):
        self.now = now
        self._events_source = events
        self._events: pl.LazyFrame | None = None
        self._members = members

    def events(self) -> pl.LazyFrame:
        """The event log (loaded on first use)."""
        if self._events is None:
            if self._events_source is None:
                raise ValueError("this segment has event conditions: give the compiler an events frame")
            self._events = self._events_source()
        return self._events

    def expr(self, node: t.Node) -> pl.Expr:
        """The Polars boolean expression for ``node`` (event conditions are computed into sets of ids)."""
        return t.handler(EXPRESSIONS, node, "Polars compiler")(self, node)

    def members(self, segment_id: str, version: int) -> list[str]:
        """An imported segment version's endpoint ids."""
        if self._members is None:
            raise ValueError("this segment uses an imported segment: give the compiler its members")
        return self._members(segment_id, version)

    # --- events ------------------------------------------------------------------------------------------------------

    def matching(self, event_types: tuple[str, ...], filters: tuple[t.EventFilter, ...]) -> pl.LazyFrame:
        """The events of ``event_types`` that pass ``filters`` (and have a client id)."""
        cond = pl.col("event_type").is_in(list(event_types)) & pl.col("client_id").is_not_null()
        for f in filters:
            if f.kind == "attribute":
                cond = cond & value_expr(pl.col("attributes").map.get(f.name), f.operator, f.values)
            else:
                cond = cond & metric_expr(pl.col("metrics").map.get(f.name), f.operator, f.values[0])
        return self.events().filter(cond)

    def counts(self, node: t.Performed, lower, upper, inclusive: bool) -> pl.DataFrame:
        """Matching events per ``client_id`` (column ``n``) between ``lower`` and ``upper``."""
        events = self.matching(node.event_types, node.filters)
        when = pl.col("event_timestamp")
        if lower is not None:
            lo = pl.lit(lower, dtype=pl.Datetime("us"))
            events = events.filter(when >= lo if inclusive else when > lo)
        if upper is not None:
            events = events.filter(when <= pl.lit(upper, dtype=pl.Datetime("us")))
        return events.group_by("client_id").agg(pl.len().alias("n")).collect()


# --- one function per node kind ---------------------------------------------------------------------------------


def _all_of(c: PolarsCompiler, node: t.AllOf) -> pl.Expr:
    return reduce(lambda a, b: a & b, [c.expr(i) for i in node.items]) if node.items else pl.lit(True)


def _any_of(c: PolarsCompiler, node: t.AnyOf) -> pl.Expr:
    return reduce(lambda a, b: a | b, [c.expr(i) for i in node.items]) if node.items else pl.lit(False)


def _none_of(c: PolarsCompiler, node: t.NoneOf) -> pl.Expr:
    if not node.items:
        return pl.lit(True)
    return ~reduce(lambda a, b: a | b, [c.expr(i) for i in node.items]).fill_null(False)


def _value_in(c: PolarsCompiler, node: t.ValueIn) -> pl.Expr:
    column = pl.col(t.SET_DIMENSION_COLUMNS[node.dimension])
    return value_expr(column, "EXCLUSIVE" if node.exclusive else "INCLUSIVE", node.values)


def _attribute_match(c: PolarsCompiler, node: t.AttributeMatch) -> pl.Expr:
    column = pl.col(node.column)
    if node.attribute_type == "EXCLUSIVE":
        return ~column.list.eval(pl.element().is_in(list(node.values))).list.any().fill_null(False)
    return column.list.eval(value_expr(pl.element(), node.attribute_type, node.values)).list.any()


def _metric_compare(c: PolarsCompiler, node: t.MetricCompare) -> pl.Expr:
    return metric_expr(pl.col(node.column), node.operator, node.value)


def _near(c: PolarsCompiler, node: t.Near) -> pl.Expr:
    lat, lon = pl.col("Location.Latitude"), pl.col("Location.Longitude")
    lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(node)
    box = lat.is_between(lat_lo, lat_hi)
    if lon_lo is not None and lon_hi is not None:
        box = box & lon.is_between(lon_lo, lon_hi)
    return box & (distance_km_expr(lat, lon, node.latitude, node.longitude) <= node.km)


def _recency(c: PolarsCompiler, node: t.Recency) -> pl.Expr:
    lower = c.now - t.RECENCY_DURATIONS[node.duration]
    performed = t.Performed(t.SESSION_EVENTS, (), "AT_LEAST", 1, t.Window())
    counts = c.counts(performed, lower, c.now, False)
    active = pl.col("Id").is_in(counts.get_column("client_id").implode())
    return active if node.recency_type == "ACTIVE" else ~active


def _performed(c: PolarsCompiler, node: t.Performed) -> pl.Expr:
    lower, upper, inclusive = node.window.bounds(c.now)
    counts = c.counts(node, lower, upper, inclusive)
    test = _TIMES[node.times_operator]
    if test(0, node.times):
        # endpoints without any matching event qualify: exclude those whose count fails the test
        failing = counts.filter(~test(pl.col("n"), node.times)).get_column("client_id")
        return ~pl.col("Id").is_in(failing.implode())
    passing = counts.filter(test(pl.col("n"), node.times)).get_column("client_id")
    return pl.col("Id").is_in(passing.implode())


def _performed_when(c: PolarsCompiler, node: t.PerformedWhen) -> pl.Expr:
    events = c.matching(node.event_types, node.filters)
    when = pl.col("event_timestamp")
    agg = when.min() if node.which == "FIRST" else when.max()
    at = pl.lit(t.parse_instant(node.at), dtype=pl.Datetime("us"))
    hit = (
        events.group_by("client_id")
        .agg(agg.alias("at"))
        .filter(pl.col("at") < at if node.operator == "BEFORE" else pl.col("at") > at)
    )
    return pl.col("Id").is_in(hit.collect().get_column("client_id").implode())


def _engaged(c: PolarsCompiler, node: t.Engaged) -> pl.Expr:
    return _performed(c, node.as_performed())


def _random_bucket(c: PolarsCompiler, node: t.RandomBucket) -> pl.Expr:
    if node.start >= node.end:
        return pl.lit(False)
    ident = pl.coalesce("User.UserId", "Id") if node.key == "USER" else pl.col("Id")
    bucket = ident.map_batches(lambda s, salt=node.salt: _buckets(s, salt), return_dtype=pl.Int64)
    return bucket.is_between(node.start, node.end - 1)


def _in_segment(c: PolarsCompiler, node: t.InSegment) -> pl.Expr:
    raise TypeError(f"cannot compile {node!r} to Polars: resolve segment references first (Catalog.resolve)")


def _members(c: PolarsCompiler, node: t.Members) -> pl.Expr:
    ids = pl.Series(c.members(node.segment_id, node.version), dtype=pl.String)
    return pl.col("Id").is_in(ids.implode())


Compile = Callable[[PolarsCompiler, Any], pl.Expr]

#: Node kind -> the function compiling it to a Polars boolean expression.
EXPRESSIONS: dict[type, Compile] = {
    t.AllOf: _all_of,
    t.AnyOf: _any_of,
    t.NoneOf: _none_of,
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
