"""Funnels: ordered steps, a conversion window from the first step, entry-date cohorting, breakdowns.

Semantics (chosen to avoid the traps PostHog users report, reference/peers.md):

- An *actor* (an endpoint, or a user with ``by="user"``) *enters* the funnel with a step-1 event whose time is
  inside the date range (``start`` 00:00 to the end of ``end``: the end day is whole).
- From an entry, step k is the earliest step-k event at or after the step k-1 event (strictly after when both
  steps are the same event type, so one event never fills two steps), no later than entry time + ``window``.
  The window may run past the end of the range: the range says who entered, not who finished (PostHog #44204).
- Which attempt counts when an actor enters several times: every step-1 event in the range is tried as an
  entry; the actor counts once, with **the attempt that reaches the furthest step; on a tie, the earliest of
  those attempts** (not the latest, as PostHog's "latest step-1 before step 2" gives). Its times give the
  medians and its endpoint the breakdown value.
- Per step: ``count`` (actors reaching it), ``conversion`` (from step 1), ``conversion_from_previous``,
  ``drop_off`` (actors lost since the previous step), and the median seconds from the previous step and from
  step 1 for those who reached it.

How: one DuckDB scan returns the step events (actor hash, time, a bitmask of the steps each matches) sorted
by actor and time, fetched as Arrow; :func:`_best_paths` then follows every entry's greedy path forwards over
those sorted rows with NumPy (one lookup per step, no join; an entry drops out once past the window), picks
each actor's attempt, and DuckDB summarises the chosen paths. Most of the time is the scan and its sort (a
NumPy or Polars sort of the fetched rows measured slower than DuckDB's); the former SQL (a hash join per step
carrying every step-1 event) was 1.1-1.6x slower in the same runs on 10M events (README, Performance).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import InputError
from ..schema import quote
from ._common import (
    _OPEN,
    Scope,
    check_column,
    check_event_type,
    known_event_types,
    parse_duration,
    scope_of,
    user_key,
)
from .events import EventSpec

if TYPE_CHECKING:
    from ..project import Project

DEFAULT_WINDOW = "7d"
MAX_STEPS = 20
_NONE = np.iinfo(np.int64).max  # no such step (compares after every time)


@dataclass
class FunnelResult:
    """A computed funnel: its definition and the per-step table (one block of rows per breakdown value)."""

    steps: list[EventSpec]
    window: timedelta
    scope: Scope
    table: pl.DataFrame
    by: str = "endpoint"
    breakdown: str | None = None
    sql: str = field(default="", repr=False)

    @property
    def overall(self) -> pl.DataFrame:
        """The per-step table over all breakdown values."""
        if self.breakdown is None:
            return self.table
        return self.table.filter(pl.col("breakdown") == "(all)").drop("breakdown")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``steps`` (event, count, conversion, ...), the window, the range, breakdown rows."""
        out: dict[str, Any] = {
            "steps": [_step_dict(r) for r in self.overall.iter_rows(named=True)],
            "window_seconds": self.window.total_seconds(),
            "by": self.by,
            **self.scope.describe(),
        }
        if self.breakdown is not None:
            rows = self.table.filter(pl.col("breakdown") != "(all)")
            out["breakdown"] = {
                "column": self.breakdown,
                "values": [
                    {"value": value, "steps": [_step_dict(r) for r in part.iter_rows(named=True)]}
                    for (value,), part in rows.partition_by(
                        "breakdown", as_dict=True, maintain_order=True
                    ).items()
                ],
            }
        return out

    def chart(self):
        """An Altair bar chart of the steps (see workbench.dashboards.charts.funnel_chart)."""
        from ..dashboards.charts import funnel_chart

        return funnel_chart(self.table, breakdown=self.breakdown is not None)

    def _repr_html_(self) -> str:
        head = (
            f"<b>Funnel</b> ({self.by}s, window {_fmt_window(self.window)}, entered "
            f"{self.scope.start} to {self.scope.end})"
        )
        return head + self.overall._repr_html_()


def _step_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "step": row["step"],
        "event": row["event"],
        "label": row["label"],
        "count": row["count"],
        "conversion": row["conversion"],
        "conversion_from_previous": row["conversion_from_previous"],
        "drop_off": row["drop_off"],
        "median_seconds_to_convert": row["median_seconds_from_previous"],
        "median_seconds_from_start": row["median_seconds_from_start"],
    }


def _fmt_window(w: timedelta) -> str:
    s = int(w.total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % n == 0:
            return f"{s // n}{unit}"
    return f"{s}s"


def funnel(
    project: Project,
    steps: Sequence[str | EventSpec | dict],
    start=None,
    end=None,
    segment=None,
    *,
    window: str | int | timedelta = DEFAULT_WINDOW,
    by: Literal["endpoint", "user"] = "endpoint",
    breakdown: str | None = None,
    **kw,
) -> FunnelResult:
    """Compute a funnel over ``steps`` (event types, ``"event:key=value"`` specs, :class:`EventSpec` or dicts).

    >>> funnel(project, ["product.view", "cart.add", "checkout.start", "_monetization.purchase"], window="7d")
    """
    specs = [EventSpec.parse(s) for s in steps]
    if len(specs) < 2:
        raise InputError(f"a funnel needs at least two steps, got {len(specs)}", field="step")
    if len(specs) > MAX_STEPS:
        raise InputError(f"a funnel has at most {MAX_STEPS} steps, got {len(specs)}", field="step")
    if by not in ("endpoint", "user"):
        raise InputError(f"count a funnel by 'endpoint' or 'user', not {by!r}", field="by")
    win = parse_duration(window)
    s = scope_of(project, start, end, segment, **kw)
    column = check_column(project, breakdown) if breakdown else None
    sql = funnel_sql(s, specs, win, by=by, breakdown=column)
    table = _long(_run_funnel(project, s, specs, win, by, column), len(specs))
    if table.filter(pl.col("count") == 0).height or table.is_empty():
        # a step nobody reached: say so when it is because the event type does not exist at all
        known = known_event_types(project)
        for spec in specs:
            check_event_type(project, spec.event_type, known)
    table = _finish(table, specs, column is not None)
    return FunnelResult(specs, win, s, table, by=by, breakdown=column, sql=sql)


def funnel_sql(
    scope: Scope, specs: list[EventSpec], window: timedelta, *, by: str, breakdown: str | None
) -> str:
    """The two SQL statements around the path search, for reading (see the module docstring).

    The first reads the step events (:func:`_steps_sql`); Polars then finds each actor's path
    (:func:`_best_paths`); the second summarises those paths, registered as ``funnel_paths``
    (:func:`_summary_sql`).
    """
    return (
        _steps_sql(scope, specs, window, by=by, breakdown=breakdown)
        + ";\n-- each actor's best path (Polars, _best_paths) registered as funnel_paths\n"
        + _summary_sql(len(specs), "funnel_paths", breakdown)
    )


def _steps_sql(
    scope: Scope, specs: list[EventSpec], window: timedelta, *, by: str, breakdown: str | None
) -> str:
    """One scan: a row per event matching any step, ``actor`` (a 64-bit hash of the endpoint or user id: a
    collision is about as likely as 1 in 30 million for a million actors), ``ts`` (epoch microseconds) and
    ``steps``, a bitmask with bit k-1 set when the event matches step k (step 1 only inside the date range:
    the entries), sorted by actor and time.
    """
    last_day = scope.end + timedelta(days=int(window.total_seconds() // 86400) + 1)
    types = sorted({sp.event_type for sp in specs})
    src = scope.events(event_types=types, start=scope.start, end=last_day)
    actor = "e.client_id" if by == "endpoint" else user_key()
    join = " LEFT JOIN endpoints ep ON ep.Id = e.client_id" if by == "user" else ""
    lo = f"TIMESTAMP '{scope.start.isoformat()} 00:00:00'"
    hi = f"TIMESTAMP '{(scope.end + timedelta(days=1)).isoformat()} 00:00:00'"
    conds = [f"({specs[0].condition('e')} AND e.event_timestamp >= {lo} AND e.event_timestamp < {hi})"]
    conds += [sp.condition("e") for sp in specs[1:]]
    bits = " + ".join(f"CASE WHEN {c} THEN {1 << i} ELSE 0 END" for i, c in enumerate(conds))
    return (
        f"SELECT hash({actor}) AS actor, epoch_us(e.event_timestamp) AS ts, "
        f"CAST({bits} AS {_mask_type(len(specs))}) AS steps"
        f"{', e.client_id' if breakdown else ''} FROM {src} e{join} WHERE {' OR '.join(conds)} "
        # a user entering from two endpoints at the same instant: the smaller client_id wins, every run
        + ("ORDER BY actor, ts, e.client_id" if by == "user" and breakdown else "ORDER BY actor, ts")
    )


def _mask_type(n: int) -> str:
    return "UTINYINT" if n <= 8 else "USMALLINT" if n <= 16 else "UINTEGER"


def _best_paths(events: pa.Table, specs: list[EventSpec], window: timedelta) -> pl.DataFrame:
    """Each actor's best path from the step events (sorted by actor, time): ``reached``, ``t1`` .. ``tn``.

    Every entry (step-1 event) follows its greedy path forwards, one step at a time, with no join and no
    further sort: step k is the first step-k event at or after the step k-1 event (strictly after when the two
    steps are the same event type), of the same actor. Rows are positions in the sorted stream, so "the first
    step-k event after" is a binary search among the step-k positions (a running count of the step-k rows when
    there are many entries to look up); events of one actor at the same instant count as after each other. An
    entry stops at the first step it misses or reaches after the window (the greedy times only grow, so no
    later step is inside the window either); ``t{k}`` is null past ``reached``.
    """
    n = len(specs)
    win_us = int(window.total_seconds() * 1000) * 1000
    actor = events.column("actor").to_numpy()
    ts = events.column("ts").to_numpy()
    mask = events.column("steps").to_numpy()
    rows = [np.flatnonzero((mask & (1 << k)) != 0) for k in range(n)]  # (nonzero is fastest on booleans)
    same = actor[1:] == actor[:-1]
    tied = same & (ts[1:] == ts[:-1])  # row i + 1 is at the same instant as row i, same actor
    ties = bool(tied.any())
    if ties:  # first and last row of each row's run of same-actor, same-instant rows
        index = np.arange(len(ts))
        tie_first = np.maximum.accumulate(np.where(np.append(True, ~tied), index, 0))
        tie_last = np.minimum.accumulate(np.where(np.append(~tied, True), index, len(ts))[::-1])[::-1]
    entries = rows[0]
    entry_actor = actor[entries]
    limit = ts[entries] + win_us
    reached = np.ones(len(entries), dtype=np.int64)
    live = None  # the entries still inside the window (None: all of them) and their row at the last step
    at = entries
    times = [ts[entries]]
    for k in range(1, n):
        tgt = rows[k]
        if not len(at) or not len(tgt):
            times += [np.full(len(entries), _NONE)] * (n - k)
            break
        strict = specs[k].event_type == specs[k - 1].event_type
        start = (tie_last if strict else tie_first)[at] if ties else at
        first = start + 1 if strict else start
        if len(first) * 8 > len(ts):  # many searches: one pass over the rows is cheaper
            before = np.zeros(len(ts) + 1, dtype=np.int32 if len(ts) < 2**31 else np.int64)
            np.cumsum((mask & (1 << k)) != 0, out=before[1:])  # step-k rows before each row
            nxt = before[first]
        else:
            nxt = np.searchsorted(tgt, first)
        ok = nxt < len(tgt)
        at = tgt[np.where(ok, nxt, 0)]
        ok &= actor[at] == (entry_actor if live is None else entry_actor[live])
        ok &= ts[at] <= (limit if live is None else limit[live])
        live = np.flatnonzero(ok) if live is None else live[ok]
        at = at[ok]
        reached[live] = k + 1
        step_times = np.full(len(entries), _NONE)
        step_times[live] = ts[at]
        times.append(step_times)
    # per actor, the first entry (in time) with the largest reach: the smallest (n - reached, entry number)
    chosen = np.zeros(0, dtype=np.int64)
    if len(entries):
        starts = np.flatnonzero(np.append(True, entry_actor[1:] != entry_actor[:-1]))
        code = (n - reached) * len(entries) + np.arange(len(entries))
        chosen = np.minimum.reduceat(code, starts) % len(entries)
    cols = {"reached": reached[chosen].astype(np.int32)} | {
        f"t{m}": t[chosen] for m, t in enumerate(times, start=1)
    }
    schema = {name: pl.Int32 if name == "reached" else pl.Int64 for name in cols}
    out = pl.DataFrame(cols, schema=schema).with_columns(
        pl.when(pl.col(f"t{m}") != _NONE).then(pl.col(f"t{m}")).name.keep() for m in range(2, n + 1)
    )
    if "client_id" in events.column_names:
        out = out.with_columns(client_id=pl.from_arrow(events.column("client_id").take(entries[chosen])))
    return out


def _summary_sql(n: int, paths: str, breakdown: str | None) -> str:
    """Per-step counts and medians over the best paths (``reached``, ``t1`` .. ``tn`` in epoch microseconds)."""
    times = ", ".join(f"make_timestamp(t{k}) AS t{k}" for k in range(1, n + 1))
    if breakdown:
        label = f"coalesce(CAST(ep.{quote(breakdown)} AS VARCHAR), '(none)')"
        best = (
            f"best AS (SELECT reached, {times}, {label} AS breakdown FROM {paths} p "
            "LEFT JOIN endpoints ep ON ep.Id = p.client_id)"
        )
        group = "GROUP BY GROUPING SETS ((breakdown), ())"
    else:
        best = f"best AS (SELECT reached, {times}, NULL AS breakdown FROM {paths})"
        group = "GROUP BY breakdown"
    aggs = []
    for k in range(1, n + 1):
        aggs.append(f"count(*) FILTER (WHERE reached >= {k}) AS count_{k}")
        if k > 1:
            aggs.append(
                f"median(date_diff('millisecond', t{k - 1}, t{k}) / 1000.0) FILTER (WHERE reached >= {k}) AS prev_{k}"
            )
            aggs.append(
                f"median(date_diff('millisecond', t1, t{k}) / 1000.0) FILTER (WHERE reached >= {k}) AS start_{k}"
            )
    return f"WITH {best}\nSELECT breakdown, {', '.join(aggs)} FROM best {group}"


def _run_funnel(
    project: Project, scope: Scope, specs: list[EventSpec], window: timedelta, by: str, breakdown: str | None
) -> pl.DataFrame:
    """Scan, find the paths, summarise: one connection (the shared one when there is one)."""
    with _connection(project) as con:
        events = con.sql(_steps_sql(scope, specs, window, by=by, breakdown=breakdown)).to_arrow_table()
        paths = _best_paths(events, specs, window)
        name = f"funnel_paths_{uuid.uuid4().hex}"
        con.register(name, paths.to_arrow())
        try:
            return con.sql(_summary_sql(len(specs), name, breakdown)).pl()
        finally:
            con.unregister(name)


@contextmanager
def _connection(project: Project):
    con = _OPEN.get(str(project.path))
    if con is not None:
        yield con
        return
    with project.connect(read_only=True) as con:
        yield con


def _long(wide: pl.DataFrame, n: int) -> pl.DataFrame:
    """One row per (breakdown, step) from the query's one row per breakdown."""
    rows = []
    for r in wide.iter_rows(named=True):
        for k in range(1, n + 1):
            rows.append(
                {
                    "breakdown": r["breakdown"],
                    "step": k,
                    "count": r[f"count_{k}"],
                    "median_seconds_from_previous": r.get(f"prev_{k}"),
                    "median_seconds_from_start": r.get(f"start_{k}"),
                }
            )
    schema = {
        "breakdown": pl.String,
        "step": pl.Int32,
        "count": pl.Int64,
        "median_seconds_from_previous": pl.Float64,
        "median_seconds_from_start": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def _finish(raw: pl.DataFrame, specs: list[EventSpec], has_breakdown: bool) -> pl.DataFrame:
    """Add event names, conversions and drop-offs; make sure every step row exists (zero when nobody entered)."""
    values = raw.get_column("breakdown").fill_null("(all)").unique(maintain_order=True).to_list() or ["(all)"]
    if "(all)" not in values:
        values.insert(0, "(all)")
    grid = pl.DataFrame(
        {
            "breakdown": [v for v in values for _ in specs],
            "step": [k + 1 for _ in values for k in range(len(specs))],
        },
        schema={"breakdown": pl.String, "step": pl.Int32},
    )
    raw = raw.with_columns(pl.col("breakdown").fill_null("(all)"), pl.col("step").cast(pl.Int32))
    names = pl.DataFrame(
        {
            "step": list(range(1, len(specs) + 1)),
            "event": [sp.event_type for sp in specs],
            "label": [sp.name for sp in specs],
        },
        schema={"step": pl.Int32, "event": pl.String, "label": pl.String},
    )
    table = (
        grid.join(raw, on=["breakdown", "step"], how="left", maintain_order="left")
        .join(names, on="step", how="left", maintain_order="left")
        .with_columns(pl.col("count").fill_null(0).cast(pl.Int64))
        .with_columns(
            first=pl.col("count").first().over("breakdown", order_by="step"),
            previous=pl.col("count").shift(1).over("breakdown", order_by="step"),
        )
        .with_columns(
            conversion=pl.when(pl.col("first") > 0).then(pl.col("count") / pl.col("first")),
            conversion_from_previous=pl.when(pl.col("step") == 1)
            .then(pl.when(pl.col("count") > 0).then(1.0))
            .when(pl.col("previous") > 0)
            .then(pl.col("count") / pl.col("previous")),
            drop_off=(pl.col("previous") - pl.col("count")).fill_null(0),
        )
        .with_columns(
            drop_off_rate=pl.when(pl.col("step") > 1)
            .then(1 - pl.col("conversion_from_previous"))
            .otherwise(0.0),
            median_seconds_from_previous=pl.when(pl.col("step") > 1).then(
                pl.col("median_seconds_from_previous")
            ),
            median_seconds_from_start=pl.when(pl.col("step") > 1).then(pl.col("median_seconds_from_start")),
        )
        .select(
            "breakdown",
            "step",
            "event",
            "label",
            "count",
            "conversion",
            "conversion_from_previous",
            "drop_off",
            "drop_off_rate",
            "median_seconds_from_previous",
            "median_seconds_from_start",
        )
    )
    return table if has_breakdown else table.drop("breakdown")
