"""Events: count, endpoints and events per session for any event type, filtered by event attributes and metrics.

An event filter is written in Python as ``attributes={"_product_id": "sku-1"}`` (a value or a list of values)
and ``metrics={"_quantity": (">=", 2)}`` (a number means ``==``), or as text in the CLI and in funnel steps::

    cart.add                                  every cart.add event
    cart.add:category=books                   attribute equals (several: category=books|toys)
    cart.add:category!=books,price>=10        attribute differs; metric compared with < <= > >= == !=
    _monetization.purchase:metrics._quantity=2   force a key to be read as a metric (or attributes.KEY)

``key=value`` compares an attribute unless the key is prefixed ``metrics.``; the comparison operators other than
``=``/``!=`` always read a metric.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import EventTypeWarning, InputError, unknown_event_type_message
from ._common import Scope, check_event_type, day_spine, known_event_types, scope_of, shared_answer, sql_str

if TYPE_CHECKING:
    from ..store import Store

_OPS = ("<=", ">=", "!=", "==", "<", ">", "=")
_CONDITION = re.compile(r"^\s*([^<>=!]+?)\s*(<=|>=|!=|==|<|>|=)\s*(.*?)\s*$")


@dataclass(frozen=True)
class EventSpec:
    """An event type with optional attribute and metric filters (one funnel step, one Events view)."""

    event_type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    @classmethod
    def parse(cls, text: str | EventSpec | Mapping[str, Any]) -> EventSpec:
        """Read ``EVENT[:cond,cond...]`` (see the module docstring), a dict with the same fields, or a spec."""
        if isinstance(text, EventSpec):
            return text
        if isinstance(text, Mapping):
            return cls(
                event_type=str(text["event_type"]),
                attributes=dict(text.get("attributes") or {}),
                metrics=dict(text.get("metrics") or {}),
                label=text.get("label"),
            )
        raw = str(text).strip()
        if not raw:
            raise InputError("an event step needs an event type", field="step")
        event_type, _, conds = raw.partition(":")
        attributes: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        for cond in filter(None, (c.strip() for c in conds.split(","))):
            m = _CONDITION.match(cond)
            if not m:
                raise InputError(
                    f"cannot read the condition {cond!r} in {raw!r}; write key=value or key>=number"
                )
            key, op, value = m.groups()
            if key.startswith("metrics.") or op not in ("=", "!="):
                key = key.removeprefix("metrics.")
                metrics[key] = (op if op != "=" else "==", _number(value, raw))
            else:
                key = key.removeprefix("attributes.")
                values = value.split("|")
                attributes[key] = ("!=", values) if op == "!=" else (values if len(values) > 1 else values[0])
        return cls(event_type.strip(), attributes, metrics, label=raw if conds else None)

    @property
    def name(self) -> str:
        return self.label or self.event_type

    def condition(self, alias: str = "") -> str:
        """SQL boolean matching this spec's events (``alias`` is the events table alias, e.g. ``e``)."""
        p = f"{alias}." if alias else ""
        conds = [f"{p}event_type = {sql_str(self.event_type)}"]
        for key, want in self.attributes.items():
            col = f"{p}attributes[{sql_str(key)}]"
            negate = isinstance(want, tuple) and len(want) == 2 and want[0] == "!="
            values = want[1] if negate else want
            values = list(values) if isinstance(values, list | tuple | set) else [values]
            inlist = ", ".join(sql_str(v) for v in values)
            conds.append(f"coalesce({col} NOT IN ({inlist}), true)" if negate else f"{col} IN ({inlist})")
        for key, want in self.metrics.items():
            op, value = want if isinstance(want, tuple) else ("==", want)
            if op not in _OPS:
                raise InputError(
                    f"unknown comparison {op!r} for metric {key!r}; use one of {', '.join(_OPS)}"
                )
            sql_op = "=" if op in ("==", "=") else op
            conds.append(f"{p}metrics[{sql_str(key)}] {sql_op} {float(_number(value, key))!r}")
        return "(" + " AND ".join(conds) + ")"


def no_data_note(scope: Scope) -> str | None:
    """What to tell a reader when the scope's date range holds no events at all (None when it may hold some):
    the range, and the days the log does cover."""
    first, last = scope.data_start, scope.data_end
    if first is None or last is None:
        return f"No events between {scope.start} and {scope.end}: the event log is empty."
    if scope.end < first or scope.start > last:
        return (
            f"No events between {scope.start} and {scope.end}: the event log runs from {first} to {last}; "
            "leave out --start and --end for its last 30 days."
        )
    return None


def unknown_event_types(project: Store, event_types: list[str]) -> list[str]:
    """One warning text per event type in ``event_types`` that never occurs in the log (see
    :func:`unknown_event_type_message`)."""
    known = known_event_types(project)
    return [m for t in dict.fromkeys(event_types) if (m := unknown_event_type_message(t, known))]


def _number(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number (in {where!r})") from None


def event_counts(
    project: Store,
    event_type: str | EventSpec | None = None,
    start=None,
    end=None,
    segment=None,
    *,
    attributes: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    **kw,
) -> pl.DataFrame:
    """Per day: ``events``, ``endpoints`` (distinct), ``sessions`` (distinct) and ``events_per_session``.

    ``event_type`` None counts every event; a text spec (``"cart.add:category=books"``) or an
    :class:`EventSpec` may carry filters, and ``attributes``/``metrics`` add more.
    """
    s = scope_of(project, start, end, segment, **kw)
    cond = "true"
    if event_type is not None:
        spec = EventSpec.parse(event_type)
        spec = EventSpec(
            spec.event_type,
            {**spec.attributes, **(attributes or {})},
            {**spec.metrics, **(metrics or {})},
            spec.label,
        )
        check_event_type(project, spec.event_type)
        cond = spec.condition("e")
    sql = f"""
        WITH ev AS (SELECT e.date, e.client_id, e.session_id FROM {s.events()} e WHERE {cond}),
        per_day AS (
            SELECT date, count(*) AS events, count(DISTINCT client_id) AS endpoints,
                   count(DISTINCT session_id) AS sessions
            FROM ev GROUP BY date
        )
        SELECT d.date, coalesce(p.events, 0) AS events, coalesce(p.endpoints, 0) AS endpoints,
               coalesce(p.sessions, 0) AS sessions, p.events / nullif(p.sessions, 0) AS events_per_session
        FROM {day_spine(s.start, s.end)} d LEFT JOIN per_day p ON p.date = d.date ORDER BY d.date"""
    return project.query(sql)


def daily_counts(project: Store, types: list[str], start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Events per day of each event type in ``types``, counts only: ``date`` and one column per type (0 on a day
    without one). Cheaper than :func:`event_counts` per type, which also counts distinct endpoints and sessions."""
    s = scope_of(project, start, end, segment, **kw)
    counts = project.query(
        f"SELECT date, event_type, count(*) AS events FROM {s.events(event_types=types)} GROUP BY ALL"
    )
    spine = project.query(f"SELECT date FROM {day_spine(s.start, s.end)} ORDER BY date")
    wide = spine.with_columns(pl.lit(0, dtype=pl.Int64).alias(t) for t in types)
    if counts.height:
        pivot = counts.pivot(on="event_type", index="date", values="events")
        present = [t for t in types if t in pivot.columns]
        wide = wide.drop(present).join(
            pivot.select("date", *present), on="date", how="left", maintain_order="left"
        )
        wide = wide.select("date", *(pl.col(t).fill_null(0).cast(pl.Int64) for t in types))
    return wide


def event_types(project: Store, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """One row per event type in the range: ``event_type, events, endpoints, sessions, events_per_session``
    (``endpoints`` and ``sessions`` distinct: those with at least one event of the type)."""
    s = scope_of(project, start, end, segment, **kw)
    return _figures_by_type(project, s)[0]


def event_totals(project: Store, start=None, end=None, segment=None, **kw) -> dict[str, Any]:
    """The range's ``events``, distinct ``endpoints`` and ``sessions``, and ``events_per_session``, over every
    event type (the totals of :func:`event_types`' table, each endpoint and session counted once)."""
    s = scope_of(project, start, end, segment, **kw)
    return _figures_by_type(project, s)[1]


#: Event types one bit mask holds (a UBIGINT); more types take more masks.
_TYPES_PER_MASK = 64


def _figures_by_type(project: Store, s: Scope) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Events, distinct endpoints and distinct sessions per event type, and the same over all types.

    Speed: ``benchmarks/bench_dashboards.py`` (the Events dashboard; this pass takes half the time of one
    ``count(DISTINCT ...)`` per figure and type, at 10M events). Each session's and each endpoint's event types
    are gathered as bits (``bit_or`` of one bit per type), in one grouping by session and one by endpoint; a
    type's sessions are then the sessions with its bit set, and the totals are the groups themselves.
    """
    counts = project.query(
        f"SELECT event_type, count(*) AS events FROM {s.events()} GROUP BY 1 ORDER BY events DESC, event_type"
    )
    types = counts.get_column("event_type").to_list()
    if not types:
        empty = counts.with_columns(
            pl.lit(0, pl.Int64).alias("endpoints"),
            pl.lit(0, pl.Int64).alias("sessions"),
            pl.lit(None, pl.Float64).alias("events_per_session"),
        )
        return empty, {"events": 0, "endpoints": 0, "sessions": 0, "events_per_session": None}
    position = f"(list_position([{', '.join(sql_str(t) for t in types)}], event_type) - 1)"
    masks = ", ".join(
        f"bit_or(CASE WHEN {position} // {_TYPES_PER_MASK} = {j} "
        f"THEN CAST(1 AS UBIGINT) << ({position} % {_TYPES_PER_MASK}) END) AS m{j}"
        for j in range((len(types) - 1) // _TYPES_PER_MASK + 1)
    )
    per_type = ", ".join(
        f"count(*) FILTER (WHERE (m{i // _TYPES_PER_MASK} >> {i % _TYPES_PER_MASK}) & 1 = 1) AS t{i}"
        for i in range(len(types))
    )

    def grouped(key: str, where: str = "true") -> list[int]:
        # one row; shared in a reading() block, where the table and its totals are asked for apart
        sql = (
            f"SELECT count(*) AS total, {per_type} FROM "
            f"(SELECT {key}, {masks} FROM {s.events()} WHERE {where} GROUP BY {key})"
        )
        return [int(v) for v in shared_answer(project, sql).row(0)]

    endpoints = grouped("client_id")
    sessions = grouped("session_id", "session_id IS NOT NULL")
    table = counts.with_columns(
        pl.Series("endpoints", endpoints[1:], dtype=pl.Int64),
        pl.Series("sessions", sessions[1:], dtype=pl.Int64),
    ).with_columns(
        pl.when(pl.col("sessions") > 0)
        .then(pl.col("events") / pl.col("sessions"))
        .alias("events_per_session")
    )
    events = int(counts.get_column("events").sum())
    totals = {
        "events": events,
        "endpoints": endpoints[0],
        "sessions": sessions[0],
        "events_per_session": events / sessions[0] if sessions[0] else None,
    }
    return table, totals


def metric_summary(
    project: Store, event_type: str | EventSpec, metric: str, start=None, end=None, segment=None, **kw
) -> pl.DataFrame:
    """Per day, ``min``, ``max``, ``sum``, ``mean`` and ``events`` of one metric of one event type."""
    s = scope_of(project, start, end, segment, **kw)
    spec = EventSpec.parse(event_type)
    check_event_type(project, spec.event_type)
    m = f"e.metrics[{sql_str(metric)}]"
    sql = f"""
        SELECT date, min({m}) AS min, max({m}) AS max, sum({m}) AS sum, avg({m}) AS mean, count({m}) AS events
        FROM {s.events()} e WHERE {spec.condition("e")} GROUP BY date ORDER BY date"""
    return project.query(sql)


__all__ = [
    "EventSpec",
    "EventTypeWarning",
    "daily_counts",
    "event_counts",
    "event_totals",
    "event_types",
    "known_event_types",
    "metric_summary",
    "no_data_note",
    "unknown_event_type_message",
    "unknown_event_types",
]
