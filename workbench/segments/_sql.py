"""Compile a condition tree to DuckDB SQL over table ``endpoints`` and view ``events``.

Plain column conditions become plain predicates (so DuckDB pushes them into the scan). Every event-log
condition becomes one ``count(*) FILTER (...)`` / ``min`` / ``max`` column of a single aggregate over the events
(grouped by ``client_id``), joined to the endpoints once. NULL means "does not match" everywhere: AND and OR
keep that reading by themselves, so only NOT needs a ``coalesce``. ``PREDICATES`` maps each node kind to the
function compiling it (as sqlglot's generators map expression classes to functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..store.schema import quote, sql_string
from . import _tree as t

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
DEG = math.pi / 180  # written out (not radians()) so that SQL and Polars round the same way

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


def ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def num(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return repr(float(value))


def _in_list(values) -> str:
    return ", ".join(sql_string(v) for v in values)


def date_sql(x: str) -> str:
    """The value ``x`` read as a date/instant (NULL when it is not one of the accepted shapes)."""
    return (
        f"CASE WHEN regexp_full_match({x}, {sql_string(t.DATE_VALUE_PATTERN)}) THEN try_strptime("
        f"replace(rtrim({x}, 'Z'), 'T', ' '), [{_in_list(DATE_FORMATS)}]) END"
    )


def value_sql(x: str, attribute_type: str, values: tuple[str, ...]) -> str:
    """One text value ``x`` against an AttributeDimension (NULL or false when it does not match)."""
    if attribute_type == "INCLUSIVE":
        return f"({x} IN ({_in_list(values)}))"
    if attribute_type == "EXCLUSIVE":
        return f"({x} IS NULL OR {x} NOT IN ({_in_list(values)}))"
    if attribute_type == "CONTAINS":
        return "(" + " OR ".join(f"contains({x}, {sql_string(v)})" for v in values) + ")"
    when = date_sql(x)
    if attribute_type == "BEFORE":
        return f"({when} < {ts(t.parse_instant(values[0]))})"
    if attribute_type == "AFTER":
        return f"({when} > {ts(t.parse_instant(values[0]))})"
    if attribute_type == "ON":
        days = ", ".join(f"DATE '{t.parse_day(v).isoformat()}'" for v in values)
        return f"(CAST({when} AS DATE) IN ({days}))"
    lo, hi = t.parse_instant(values[0]), t.parse_instant(values[1], end_of_day=True)
    return f"({when} BETWEEN {ts(lo)} AND {ts(hi)})"


def metric_sql(x: str, operator: str, value: float) -> str:
    return f"({x} {t.METRIC_OPERATORS[operator]} {num(value)} AND NOT isnan({x}))"


def distance_km_sql(lat: str, lon: str, lat0: float, lon0: float) -> str:
    """Haversine great-circle distance, in the same operation order as the Polars compiler."""
    dlat = f"(({lat} - {num(lat0)}) * {num(DEG)} / 2)"
    dlon = f"(({lon} - {num(lon0)}) * {num(DEG)} / 2)"
    h = f"(sin({dlat}) * sin({dlat}) + {num(math.cos(lat0 * DEG))} * cos({lat} * {num(DEG)}) * sin({dlon}) * sin({dlon}))"
    return f"(2 * {num(EARTH_RADIUS_KM)} * asin(least(1.0, sqrt({h}))))"


def bounding_box(node: t.Near) -> tuple[float, float, float | None, float | None]:
    """A latitude / longitude box that holds every point within range (a cheap prefilter before haversine).

    The longitude bounds are None near the poles or across the antimeridian, where a box would not hold.
    """
    margin = 1e-6
    dlat = node.km / EARTH_RADIUS_KM / DEG + margin
    lat_lo, lat_hi = node.latitude - dlat, node.latitude + dlat
    if lat_lo <= -90 or lat_hi >= 90 or node.km / EARTH_RADIUS_KM >= math.pi / 2:
        return lat_lo, lat_hi, None, None
    ratio = math.sin(node.km / EARTH_RADIUS_KM) / math.cos(node.latitude * DEG)
    if ratio >= 1:
        return lat_lo, lat_hi, None, None
    dlon = math.asin(ratio) / DEG + margin
    lon_lo, lon_hi = node.longitude - dlon, node.longitude + dlon
    if lon_lo < -180 or lon_hi > 180:
        return lat_lo, lat_hi, None, None
    return lat_lo, lat_hi, lon_lo, lon_hi


def bucket_sql(id_sql: str, salt: str) -> str:
    """Stable bucket 0..99: md5 of salt + id read as a little-endian 128-bit number, mod 100."""
    return f"CAST(md5_number({sql_string(salt)} || {id_sql}) % 100 AS INTEGER)"


class SqlCompiler:
    """Turns one resolved tree into a predicate over ``endpoints`` joined to one events aggregate ``__ev``."""

    def __init__(self, now: datetime):
        self.now = now
        self.aggregates: list[str] = []
        self.event_types: set[str] = set()
        self.lower_bounds: list[datetime | None] = []

    # --- the predicate -------------------------------------------------------------------------------------------

    def predicate(self, node: t.Node) -> str:
        """The SQL boolean expression for ``node`` (event conditions add columns to the events aggregate)."""
        return t.handler(PREDICATES, node, "SQL compiler")(self, node)

    # --- events -----------------------------------------------------------------------------------------------------

    def event_where(self, event_types: tuple[str, ...], filters: tuple[t.EventFilter, ...]) -> str:
        """The WHERE for events of ``event_types`` that pass ``filters``."""
        parts = [f"event_type IN ({_in_list(event_types)})"]
        for f in filters:
            if f.kind == "attribute":
                parts.append(value_sql(f"attributes[{sql_string(f.name)}]", f.operator, f.values))
            else:
                parts.append(metric_sql(f"metrics[{sql_string(f.name)}]", f.operator, f.values[0]))
        return " AND ".join(parts)

    @staticmethod
    def window_sql(lower: datetime | None, upper: datetime | None, inclusive: bool) -> str:
        """The WHERE for events between ``lower`` and ``upper`` (either may be None: unbounded)."""
        parts = []
        if lower is not None:
            parts.append(f"event_timestamp {'>=' if inclusive else '>'} {ts(lower)}")
        if upper is not None:
            parts.append(f"event_timestamp <= {ts(upper)}")
        return " AND ".join(parts)

    def aggregate(self, agg: str, where: str, event_types: tuple[str, ...], lower: datetime | None) -> str:
        """Add ``agg FILTER (WHERE where)`` to the events aggregate; returns its column's name."""
        alias = f"__ev{len(self.aggregates)}"
        self.aggregates.append(f"{agg} FILTER (WHERE {where}) AS {alias}")
        self.event_types.update(event_types)
        self.lower_bounds.append(lower)
        return alias

    def events_aggregate(self) -> str | None:
        """``SELECT client_id, <one column per event condition> FROM events ... GROUP BY client_id``, or None."""
        if not self.aggregates:
            return None
        where = ["client_id IS NOT NULL", f"event_type IN ({_in_list(sorted(self.event_types))})"]
        if all(b is not None for b in self.lower_bounds):
            lowest = min(b for b in self.lower_bounds if b is not None)
            # the partition column lets DuckDB skip whole days of files
            where.append(f"date >= DATE '{lowest.date().isoformat()}'")
        return f"SELECT client_id, {', '.join(self.aggregates)} FROM events WHERE {' AND '.join(where)} GROUP BY client_id"


# --- one function per node kind ---------------------------------------------------------------------------------


def _all_of(c: SqlCompiler, node: t.AllOf) -> str:
    return "(" + " AND ".join(c.predicate(i) for i in node.items) + ")" if node.items else "true"


def _any_of(c: SqlCompiler, node: t.AnyOf) -> str:
    return "(" + " OR ".join(c.predicate(i) for i in node.items) + ")" if node.items else "false"


def _none_of(c: SqlCompiler, node: t.NoneOf) -> str:
    if not node.items:
        return "true"
    return "(NOT coalesce(" + " OR ".join(c.predicate(i) for i in node.items) + ", false))"


def _value_in(c: SqlCompiler, node: t.ValueIn) -> str:
    column = quote(t.SET_DIMENSION_COLUMNS[node.dimension])
    if node.exclusive:
        return f"({column} IS NULL OR {column} NOT IN ({_in_list(node.values)}))"
    return f"({column} IN ({_in_list(node.values)}))"


def _attribute_match(c: SqlCompiler, node: t.AttributeMatch) -> str:
    column = quote(node.column)
    if node.attribute_type == "INCLUSIVE":
        return f"list_has_any({column}, [{_in_list(node.values)}])"
    if node.attribute_type == "EXCLUSIVE":
        return f"(NOT coalesce(list_has_any({column}, [{_in_list(node.values)}]), false))"
    return f"(len(list_filter({column}, lambda x: {value_sql('x', node.attribute_type, node.values)})) > 0)"


def _metric_compare(c: SqlCompiler, node: t.MetricCompare) -> str:
    return metric_sql(quote(node.column), node.operator, node.value)


def _near(c: SqlCompiler, node: t.Near) -> str:
    lat, lon = quote("Location.Latitude"), quote("Location.Longitude")
    lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(node)
    parts = [f"{lat} BETWEEN {num(lat_lo)} AND {num(lat_hi)}"]
    if lon_lo is not None and lon_hi is not None:
        parts.append(f"{lon} BETWEEN {num(lon_lo)} AND {num(lon_hi)}")
    parts.append(f"{distance_km_sql(lat, lon, node.latitude, node.longitude)} <= {num(node.km)}")
    return "(" + " AND ".join(parts) + ")"


def _recency(c: SqlCompiler, node: t.Recency) -> str:
    lower = c.now - t.RECENCY_DURATIONS[node.duration]
    where = f"event_type IN ({_in_list(t.SESSION_EVENTS)}) AND {c.window_sql(lower, c.now, False)}"
    column = c.aggregate("count(*)", where, t.SESSION_EVENTS, lower)
    return f"(coalesce({column}, 0) {'>' if node.recency_type == 'ACTIVE' else '='} 0)"


def _performed(c: SqlCompiler, node: t.Performed) -> str:
    lower, upper, inclusive = node.window.bounds(c.now)
    where = c.event_where(node.event_types, node.filters)
    window = c.window_sql(lower, upper, inclusive)
    if window:
        where += f" AND {window}"
    column = c.aggregate("count(*)", where, node.event_types, lower)
    return f"(coalesce({column}, 0) {t.TIMES_OPERATORS[node.times_operator]} {int(node.times)})"


def _performed_when(c: SqlCompiler, node: t.PerformedWhen) -> str:
    agg = "min(event_timestamp)" if node.which == "FIRST" else "max(event_timestamp)"
    column = c.aggregate(agg, c.event_where(node.event_types, node.filters), node.event_types, None)
    return f"({column} {'<' if node.operator == 'BEFORE' else '>'} {ts(t.parse_instant(node.at))})"


def _engaged(c: SqlCompiler, node: t.Engaged) -> str:
    return _performed(c, node.as_performed())


def _random_bucket(c: SqlCompiler, node: t.RandomBucket) -> str:
    if node.start >= node.end:
        return "false"
    ident = 'coalesce("User.UserId", "Id")' if node.key == "USER" else '"Id"'
    return f"({bucket_sql(ident, node.salt)} BETWEEN {node.start} AND {node.end - 1})"


def _in_segment(c: SqlCompiler, node: t.InSegment) -> str:
    raise TypeError(f"cannot compile {node!r} to SQL: resolve segment references first (Catalog.resolve)")


def _members(c: SqlCompiler, node: t.Members) -> str:
    return (
        f'("Id" IN (SELECT endpoint_id FROM segment_members WHERE segment_id = {sql_string(node.segment_id)} '
        f"AND version = {int(node.version)}))"
    )


Compile = Callable[[SqlCompiler, Any], str]

#: Node kind -> the function compiling it to a SQL boolean expression.
PREDICATES: dict[type, Compile] = {
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


_ID = 'endpoints."Id"'


def member_query(tree: t.Node, now: datetime, select: str = "endpoints.*") -> str:
    """A full SELECT over the segment's members (``select`` picks what to return)."""
    compiler = SqlCompiler(now)
    predicate = compiler.predicate(tree)
    events = compiler.events_aggregate()
    if events is None:
        return f"SELECT {select} FROM endpoints WHERE {predicate}"
    return (
        f'SELECT {select} FROM endpoints LEFT JOIN ({events}) AS __ev ON __ev.client_id = endpoints."Id" '
        f"WHERE {predicate}"
    )


def filter_sql(tree: t.Node, now: datetime) -> str:
    """A boolean SQL expression over table ``endpoints`` selecting the members (usable in any WHERE)."""
    compiler = SqlCompiler(now)
    predicate = compiler.predicate(tree)
    if compiler.events_aggregate() is None:
        return predicate
    return f'("Id" IN ({member_query(tree, now, select=_ID)}))'
