"""Funnels: ordered steps, a conversion window from the first step, entry-date cohorting, breakdowns.

Semantics (chosen to avoid the traps PostHog users report, reference/peers.md):

- An *actor* (an endpoint, or a user with ``by="user"``) *enters* the funnel with a step-1 event whose time is
  inside the date range (``start`` 00:00 to the end of ``end``: the end day is whole).
- From an entry, step k is the earliest step-k event after the step k-1 event (strictly after when both steps
  are the same event type, so one event never fills two steps), no later than entry time + ``window``. The
  window may run past the end of the range: the range says who entered, not who finished (PostHog #44204).
- Every step-1 event in the range is tried as an entry; an actor counts once, with the entry that got furthest
  (the earliest such entry on a tie), and breakdowns use that entry's endpoint.
- Per step: ``count`` (actors reaching it), ``conversion`` (from step 1), ``conversion_from_previous``,
  ``drop_off`` (actors lost since the previous step), and the median seconds from the previous step and from
  step 1 for those who reached it.

In SQL each step is one hash join on the actor with a time-range condition and a ``min()`` per path (the next
matching event after the previous step, inside the window); measured faster here than DuckDB's ASOF join.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from ..errors import InputError
from ._common import (
    Scope,
    check_column,
    check_event_type,
    known_event_types,
    parse_duration,
    quote,
    run,
    scope_of,
    user_key,
)
from .events import EventSpec

if TYPE_CHECKING:
    from ..project import Project

DEFAULT_WINDOW = "7d"
MAX_STEPS = 20


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
    table = _long(run(project, sql), len(specs))
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
    """The SQL computing per-actor best paths and per-step counts (exposed for benchmarks and reading).

    Returns one row per breakdown value (``NULL`` = all) with ``count_k``, ``prev_k`` and ``start_k`` (median
    seconds from the previous step and from step 1) for every step k. Actors are keyed inside the query by a
    64-bit hash of their id, which makes the joins integer joins (a collision is about as likely as
    1 in 30 million for a million actors).
    """
    n = len(specs)
    win_ms = int(window.total_seconds() * 1000)
    last_day = scope.end + timedelta(days=int(window.total_seconds() // 86400) + 1)
    types = sorted({sp.event_type for sp in specs})
    src = scope.events(event_types=types, start=scope.start, end=last_day)
    actor = "e.client_id" if by == "endpoint" else user_key()
    join = " LEFT JOIN endpoints ep ON ep.Id = e.client_id" if by == "user" else ""
    flags = ", ".join(f"{sp.condition('e')} AS s{i + 1}" for i, sp in enumerate(specs))
    any_step = " OR ".join(sp.condition("e") for sp in specs)
    lo = f"TIMESTAMP '{scope.start.isoformat()} 00:00:00'"
    hi = f"TIMESTAMP '{(scope.end + timedelta(days=1)).isoformat()} 00:00:00'"
    carry = ", client_id" if breakdown else ""
    ctes = [
        f"ev AS MATERIALIZED (SELECT hash({actor}) AS actor{', e.client_id' if breakdown else ''}, "
        f"e.event_timestamp AS ts, {flags} FROM {src} e{join} WHERE {any_step})",
        f"j1 AS (SELECT actor{carry}, ts AS t1 FROM ev WHERE s1 AND ts >= {lo} AND ts < {hi})",
    ]
    for k in range(2, n + 1):
        same = specs[k - 1].event_type == specs[k - 2].event_type
        prev_cols = ", ".join(f"j.t{i}" for i in range(1, k))
        ctes.append(f"e{k} AS (SELECT actor, ts FROM ev WHERE s{k})")
        # the earliest step-k event after step k-1 and inside the window: a hash join on the actor with a range
        # condition, then min() per path (an actor has few events of each type, so the join stays small)
        ctes.append(
            f"j{k} AS (SELECT j.actor{', j.client_id' if breakdown else ''}, {prev_cols}, min(x.ts) AS t{k} "
            f"FROM j{k - 1} j LEFT JOIN e{k} x ON j.actor = x.actor AND x.ts {'>' if same else '>='} j.t{k - 1} "
            f"AND x.ts <= j.t1 + INTERVAL {win_ms} MILLISECOND GROUP BY ALL)"
        )
    reached = " + ".join(f"(t{k} IS NOT NULL)::INTEGER" for k in range(1, n + 1))
    fields = ", ".join(f"'t{k}': t{k}" for k in range(1, n + 1)) + (
        ", 'client_id': client_id" if breakdown else ""
    )
    ctes.append(
        f"paths AS (SELECT arg_max({{'reached': {reached}, {fields}}}, "
        f"({reached}) * 10000000000000 - epoch_ms(t1)) AS p FROM j{n} GROUP BY actor)"
    )
    if breakdown:
        label = f"coalesce(CAST(ep.{quote(breakdown)} AS VARCHAR), '(none)')"
        ctes.append(
            f"best AS (SELECT p.*, {label} AS breakdown FROM (SELECT unnest(p) FROM paths) p "
            "LEFT JOIN endpoints ep ON ep.Id = p.client_id)"
        )
        group = "GROUP BY GROUPING SETS ((breakdown), ())"
    else:
        ctes.append("best AS (SELECT unnest(p), NULL AS breakdown FROM paths)")
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
    return "WITH " + ",\n".join(ctes) + f"\nSELECT breakdown, {', '.join(aggs)} FROM best {group}"


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
