"""Compile a condition tree to one Polars expression over a frame of endpoints (the notebook path).

Same semantics as ``_sql`` (tests hold the two against each other on random data): NULL means "does not match",
AND / OR keep that, NOT fills NULL with false first. Event-log conditions are computed from an events frame into
a set of endpoint ids, so the result is still a plain expression: ``endpoints.filter(expr)``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import datetime
from functools import reduce

import polars as pl

from . import _tree as t
from ._sql import DEG, EARTH_RADIUS_KM, bounding_box
from .spec import SET_DIMENSION_COLUMNS

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
        if self._events is None:
            if self._events_source is None:
                raise ValueError("this segment has event conditions: give the compiler an events frame")
            self._events = self._events_source()
        return self._events

    def expr(self, node: t.Node) -> pl.Expr:
        if isinstance(node, t.AllOf):
            return (
                reduce(lambda a, b: a & b, [self.expr(i) for i in node.items]) if node.items else pl.lit(True)
            )
        if isinstance(node, t.AnyOf):
            return (
                reduce(lambda a, b: a | b, [self.expr(i) for i in node.items])
                if node.items
                else pl.lit(False)
            )
        if isinstance(node, t.NoneOf):
            if not node.items:
                return pl.lit(True)
            return ~reduce(lambda a, b: a | b, [self.expr(i) for i in node.items]).fill_null(False)
        if isinstance(node, t.ValueIn):
            return value_expr(
                pl.col(SET_DIMENSION_COLUMNS[node.dimension]),
                "EXCLUSIVE" if node.exclusive else "INCLUSIVE",
                node.values,
            )
        if isinstance(node, t.AttributeMatch):
            column = pl.col(node.column)
            if node.attribute_type == "EXCLUSIVE":
                return ~column.list.eval(pl.element().is_in(list(node.values))).list.any().fill_null(False)
            return column.list.eval(value_expr(pl.element(), node.attribute_type, node.values)).list.any()
        if isinstance(node, t.MetricCompare):
            return metric_expr(pl.col(node.column), node.operator, node.value)
        if isinstance(node, t.Near):
            return self._near(node)
        if isinstance(node, t.Recency):
            lower = self.now - t.RECENCY_DURATIONS[node.duration]
            performed = t.Performed(t.SESSION_EVENTS, (), "AT_LEAST", 1, t.Window())
            counts = self._counts(performed, lower, self.now, False)
            active = pl.col("Id").is_in(counts.get_column("client_id").implode())
            return active if node.recency_type == "ACTIVE" else ~active
        if isinstance(node, t.Engaged):
            return self.expr(node.as_performed())
        if isinstance(node, t.Performed):
            return self._performed(node)
        if isinstance(node, t.PerformedWhen):
            events = self._matching(node.event_types, node.filters)
            agg = (
                pl.col("event_timestamp").min() if node.which == "FIRST" else pl.col("event_timestamp").max()
            )
            at = pl.lit(t.parse_instant(node.at), dtype=pl.Datetime("us"))
            hit = (
                events.group_by("client_id")
                .agg(agg.alias("at"))
                .filter(pl.col("at") < at if node.operator == "BEFORE" else pl.col("at") > at)
            )
            return pl.col("Id").is_in(hit.collect().get_column("client_id").implode())
        if isinstance(node, t.RandomBucket):
            if node.start >= node.end:
                return pl.lit(False)
            ident = pl.coalesce("User.UserId", "Id") if node.key == "USER" else pl.col("Id")
            bucket = ident.map_batches(lambda s, salt=node.salt: _buckets(s, salt), return_dtype=pl.Int64)
            return bucket.is_between(node.start, node.end - 1)
        if isinstance(node, t.Members):
            if self._members is None:
                raise ValueError("this segment uses an imported segment: give the compiler its members")
            return pl.col("Id").is_in(
                pl.Series(self._members(node.segment_id, node.version), dtype=pl.String).implode()
            )
        raise TypeError(f"cannot compile {node!r} to Polars (unresolved segment reference?)")

    def _near(self, node: t.Near) -> pl.Expr:
        lat, lon = pl.col("Location.Latitude"), pl.col("Location.Longitude")
        lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(node)
        box = lat.is_between(lat_lo, lat_hi)
        if lon_lo is not None and lon_hi is not None:
            box = box & lon.is_between(lon_lo, lon_hi)
        return box & (distance_km_expr(lat, lon, node.latitude, node.longitude) <= node.km)

    # --- events ------------------------------------------------------------------------------------------------------

    def _matching(self, event_types: tuple[str, ...], filters: tuple[t.EventFilter, ...]) -> pl.LazyFrame:
        cond = pl.col("event_type").is_in(list(event_types)) & pl.col("client_id").is_not_null()
        for f in filters:
            if f.kind == "attribute":
                cond = cond & value_expr(pl.col("attributes").map.get(f.name), f.operator, f.values)
            else:
                cond = cond & metric_expr(pl.col("metrics").map.get(f.name), f.operator, f.values[0])
        return self.events().filter(cond)

    def _counts(self, node: t.Performed, lower, upper, inclusive: bool) -> pl.DataFrame:
        events = self._matching(node.event_types, node.filters)
        when = pl.col("event_timestamp")
        if lower is not None:
            lo = pl.lit(lower, dtype=pl.Datetime("us"))
            events = events.filter(when >= lo if inclusive else when > lo)
        if upper is not None:
            events = events.filter(when <= pl.lit(upper, dtype=pl.Datetime("us")))
        return events.group_by("client_id").agg(pl.len().alias("n")).collect()

    def _performed(self, node: t.Performed) -> pl.Expr:
        lower, upper, inclusive = node.window.bounds(self.now)
        counts = self._counts(node, lower, upper, inclusive)
        test = _TIMES[node.times_operator]
        if test(0, node.times):
            # endpoints without any matching event qualify: exclude those whose count fails the test
            failing = counts.filter(~test(pl.col("n"), node.times)).get_column("client_id")
            return ~pl.col("Id").is_in(failing.implode())
        passing = counts.filter(test(pl.col("n"), node.times)).get_column("client_id")
        return pl.col("Id").is_in(passing.implode())
