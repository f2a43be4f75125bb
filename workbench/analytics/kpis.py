"""One KPI function for every figure, under stable kebab-case names in Pinpoint's style.

``kpi(project, "daily-active-endpoints", start, end, segment=...)`` returns a :class:`KpiResult`: ``rows``
(one per day: ``date, value``) and ``total`` (the figure over the whole range: a sum for counts, a distinct
count or a ratio of sums where that is what the words mean, the last day for monthly actives).
``workbench kpi NAME --json`` prints ``{"kpi", "rows", "total", "start", "end", "segment"}``, and
:meth:`KpiResult.to_pinpoint` gives the ``KpiResult.Rows`` shape of Pinpoint's ``GetApplicationDateRangeKpi``.

The registry :data:`KPIS` is one table built at the bottom of this module from the built-in KPIs; other modules
add theirs with :func:`register_kpi` (campaign and journey KPIs such as ``email-open-rate`` accept ``campaign=`` /
``journey=``). The names are also listed in the README's Reporting section.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError, UnknownNameError, suggest
from . import events as _events
from . import revenue as _revenue
from . import usage as _usage
from ._common import Scope, resolve_scope
from .tables import DEFAULT_CURRENCY, format_value, reporting_currency, table_html

if TYPE_CHECKING:
    from ..store import Store

RowsFn = Callable[..., pl.DataFrame]
TotalFn = Callable[..., Any]


@dataclass(frozen=True)
class Kpi:
    """A named figure: how to compute its daily rows and its range total."""

    name: str
    description: str
    rows: RowsFn  # (project, scope, **options) -> DataFrame(date, value)
    total: TotalFn  # (project, scope, rows, **options) -> number | None
    unit: str = "count"  # count | rate | ratio | currency
    family: str = "usage"
    accepts: tuple[str, ...] = ()  # extra keywords it takes, e.g. ("campaign", "journey", "event_type")
    total_is: str = "over the range"  # what ``total`` is, in words, for tables that show it beside a tile


@dataclass
class KpiResult:
    """A KPI's value per day and over the range."""

    kpi: str
    rows: pl.DataFrame
    total: Any
    scope: Scope
    unit: str = "count"
    #: the project's ``[reporting] currency``, for money in the notebook display
    currency: str = DEFAULT_CURRENCY

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        rows = [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
            for r in self.rows.iter_rows(named=True)
        ]
        return {
            "kpi": self.kpi,
            "rows": rows,
            "total": self.total,
            "unit": self.unit,
            **self.scope.describe(),
        }

    def to_pinpoint(self) -> dict[str, Any]:
        """The ``KpiResult`` shape of Pinpoint's date-range KPI API (``Rows[].GroupedBys/Values``)."""
        return {
            "KpiResult": {
                "Rows": [
                    {
                        "GroupedBys": [{"Key": "Date", "Type": "String", "Value": str(r["date"])}],
                        "Values": [{"Key": self.kpi, "Type": "Double", "Value": str(r["value"])}],
                    }
                    for r in self.rows.iter_rows(named=True)
                ]
            }
        }

    def _repr_html_(self) -> str:
        """The KPI over the range, then its value per day, formatted as the dashboards format it (great_tables:
        labelled columns, counts without decimals, rates as percentages, money in the project's currency)."""
        total = format_value(self.total, self.unit, currency=self.currency)
        head = (
            f"<p><b>{html.escape(self.kpi)}</b>: {html.escape(total)} "
            f"({self.scope.start} to {self.scope.end})</p>"
        )
        per_day = table_html(
            self.rows, {"value": self.unit}, max_rows=max(self.rows.height, 1), currency=self.currency
        )
        return head + per_day


# --- helpers building the built-in KPIs --------------------------------------------------------------------


def _rows(fn: RowsFn, column: str, **fixed: Any) -> RowsFn:
    def rows(project: Store, scope: Scope, **options: Any) -> pl.DataFrame:
        frame = fn(project, scope, **fixed, **options)
        return frame.select("date", pl.col(column).alias("value"))

    return rows


def _sum(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> Any:
    value = rows.get_column("value").sum()
    return float(value) if isinstance(value, float) else int(value or 0)


def _last(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> Any:
    values = rows.get_column("value").drop_nulls()
    return values[-1] if values.len() else None


def _ratio_of_sums(fn: RowsFn, num: str, den: str, **fixed: Any) -> TotalFn:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, **options: Any) -> float | None:
        frame = fn(project, scope, **fixed, **options)
        if "rate" in frame.columns:  # retention: only days whose follow-up is complete
            frame = frame.filter(pl.col("rate").is_not_null())
        d = frame.get_column(den).sum()
        return float(frame.get_column(num).sum() / d) if d else None

    return total


def _summary(fn: Callable[..., dict], key: str) -> TotalFn:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> Any:
        return fn(project, scope)[key]

    return total


def _distinct_active(who: str) -> TotalFn:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> int:
        key = "active_endpoints" if who == "endpoint" else "active_users"
        return int(_usage.usage_totals(project, scope)[key])

    return total


def _mean(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> float | None:
    value = rows.get_column("value").drop_nulls().mean()
    return float(value) if value is not None else None


def _sticky(project: Store, scope: Scope, **_: Any) -> pl.DataFrame:
    return _usage.sticky_factor(project, scope).select("date", pl.col("sticky_factor").alias("value"))


def _events_rows(column: str) -> RowsFn:
    def rows(project: Store, scope: Scope, event_type: str | None = None, **_: Any) -> pl.DataFrame:
        return _events.event_counts(project, event_type, scope).select("date", pl.col(column).alias("value"))

    return rows


def _summary_ratio(num: str, den: str) -> TotalFn:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> float | None:
        s = _usage.usage_totals(project, scope)
        return s[num] / s[den] if s[den] else None

    return total


def _rev_total(key: str) -> TotalFn:
    return _summary(_revenue.revenue_summary, key)


def _event_total(column: str) -> TotalFn:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, event_type: str | None = None, **_: Any):
        if not event_type:
            return _events.event_totals(project, scope)[column]
        where = _events.EventSpec.parse(event_type).condition("e")
        figure = {
            "events": "count(*)",
            "endpoints": "count(DISTINCT client_id)",
            "events_per_session": "count(*) / nullif(count(DISTINCT session_id), 0)",
        }[column]  # only the figure asked for: each distinct count is a pass over the range's events
        return project.query(f"SELECT {figure} AS value FROM {scope.events()} e WHERE {where}").item()

    return total


def _builtin_kpis() -> list[Kpi]:
    """Every built-in KPI, family by family."""
    u, r = _usage, _revenue
    kpis: list[Kpi] = []
    for who, word in (("endpoint", "endpoints"), ("user", "users")):
        kpis.append(
            Kpi(
                f"daily-active-{word}",
                f"{word.capitalize()} with a _session.start that day (total: distinct over the range)",
                _rows(u.daily_active, "active", who=who),
                _distinct_active(who),
                total_is="distinct over the range",
            )
        )
        kpis.append(
            Kpi(
                f"monthly-active-{word}",
                f"{word.capitalize()} with a _session.start in the 30 days ending that day (total: the last day)",
                _rows(u.monthly_active, "active", who=who),
                _last,
                total_is="on the last day",
            )
        )
        kpis.append(
            Kpi(
                f"new-{word}",
                f"{word.capitalize()} whose first ever _session.start is that day",
                _rows(u.new_active, "new", who=who),
                _sum,
                total_is="sum of the days",
            )
        )
    kpis.append(
        Kpi(
            "sessions",
            "Sessions (_session.start events)",
            _rows(u.sessions, "sessions"),
            _sum,
            total_is="sum of the days",
        )
    )
    for who in ("endpoint", "user"):
        kpis.append(
            Kpi(
                f"sessions-per-{who}",
                f"Sessions / active {who}s that day (total: sessions / distinct active {who}s in the range)",
                _rows(u.sessions, f"sessions_per_{who}"),
                _summary_ratio("sessions", f"active_{who}s"),
                unit="ratio",
                total_is=f"sessions / distinct active {who}s",
            )
        )
    kpis.append(
        Kpi(
            "seven-day-retention-rate",
            "Of endpoints active that day, the share active again in the next 7 days (null until known)",
            _rows(u.retention_rate, "rate", first_day=1, last_day=7),
            _ratio_of_sums(u.retention_rate, "retained", "active", first_day=1, last_day=7),
            unit="rate",
            family="retention",
            total_is="over the days whose follow-up is known",
        )
    )
    for n in (1, 3, 5, 7):
        kpis.append(
            Kpi(
                f"day-{n}-retention-rate",
                f"Of endpoints active that day, the share active again exactly {n} day(s) later",
                _rows(u.retention_rate, "rate", first_day=n, last_day=n),
                _ratio_of_sums(u.retention_rate, "retained", "active", first_day=n, last_day=n),
                unit="rate",
                family="retention",
                total_is="over the days whose follow-up is known",
            )
        )
    for n in (1, 2, 3):
        lo, hi = 7 * (n - 1) + 1, 7 * n
        kpis.append(
            Kpi(
                f"week-{n}-retention-rate",
                f"Of endpoints active that day, the share active again {lo} to {hi} days later",
                _rows(u.retention_rate, "rate", first_day=lo, last_day=hi),
                _ratio_of_sums(u.retention_rate, "retained", "active", first_day=lo, last_day=hi),
                unit="rate",
                family="retention",
                total_is="over the days whose follow-up is known",
            )
        )
    kpis.append(
        Kpi(
            "sticky-factor",
            "Daily active endpoints / monthly active endpoints (total: the mean over the range)",
            _sticky,
            _mean,
            unit="ratio",
            total_is="mean of the days",
        )
    )
    for name, column, text in (
        ("sign-ins", "sign_ins", "_userauth.sign_in events"),
        ("sign-ups", "sign_ups", "_userauth.sign_up events"),
        ("authentication-failures", "auth_failures", "_userauth.auth_fail events"),
    ):
        kpis.append(
            Kpi(
                name,
                text.capitalize(),
                _rows(u.authentication, column),
                _sum,
                family="authentication",
                total_is="sum of the days",
            )
        )
    rev_totals = {
        "revenue": "sum of the days",
        "purchases": "sum of the days",
        "units-sold": "sum of the days",
        "paying-users": "distinct over the range",
        "paying-endpoints": "distinct over the range",
    }
    rev: list[tuple[str, str, str, TotalFn, str]] = [
        ("revenue", "revenue", "Sum of _item_price x _quantity of purchases", _sum, "currency"),
        ("purchases", "purchases", "_monetization.purchase events", _sum, "count"),
        ("units-sold", "units_sold", "Sum of _quantity of purchases", _sum, "count"),
        (
            "paying-users",
            "paying_users",
            "Users with a purchase (total: distinct)",
            _rev_total("paying_users"),
            "count",
        ),
        (
            "paying-endpoints",
            "paying_endpoints",
            "Endpoints with a purchase (total: distinct)",
            _rev_total("paying_endpoints"),
            "count",
        ),
        (
            "revenue-per-endpoint",
            "revenue_per_endpoint",
            "Revenue / active endpoints",
            _rev_total("revenue_per_endpoint"),
            "currency",
        ),
        (
            "revenue-per-paying-user",
            "revenue_per_paying_user",
            "Revenue / paying users",
            _rev_total("revenue_per_paying_user"),
            "currency",
        ),
        (
            "units-sold-per-endpoint",
            "units_sold_per_endpoint",
            "Units sold / active endpoints",
            _rev_total("units_sold_per_endpoint"),
            "ratio",
        ),
        (
            "purchases-per-endpoint",
            "purchases_per_endpoint",
            "Purchases / active endpoints",
            _rev_total("purchases_per_endpoint"),
            "ratio",
        ),
    ]
    for name, column, text, total, unit in rev:
        kpis.append(
            Kpi(
                name,
                text,
                _rows(r.revenue, column),
                total,
                unit=unit,
                family="revenue",
                total_is=rev_totals.get(name, "over the range"),
            )
        )
    kpis.append(
        Kpi(
            "events",
            "Events (of --event TYPE, or of every type)",
            _events_rows("events"),
            _sum,
            family="events",
            total_is="sum of the days",
            accepts=("event_type",),
        )
    )
    kpis.append(
        Kpi(
            "event-endpoints",
            "Endpoints with an event (of --event TYPE, or any) that day",
            _events_rows("endpoints"),
            _event_total("endpoints"),
            family="events",
            total_is="distinct over the range",
            accepts=("event_type",),
        )
    )
    kpis.append(
        Kpi(
            "events-per-session",
            "Events (of --event TYPE, or any) / sessions with one",
            _events_rows("events_per_session"),
            _event_total("events_per_session"),
            unit="ratio",
            family="events",
            accepts=("event_type",),
        )
    )
    return kpis


# --- the registry -----------------------------------------------------------------------------------------

#: Every KPI by name: the built-ins above, plus those added with :func:`register_kpi`.
KPIS: dict[str, Kpi] = {k.name: k for k in _builtin_kpis()}


def register_kpi(kpi: Kpi) -> Kpi:
    """Add (or replace) a KPI in the registry; returns it."""
    KPIS[kpi.name] = kpi
    return kpi


def kpi_names() -> list[str]:
    """The names ``kpi()`` accepts, sorted (``workbench kpi --list`` shows them with their descriptions)."""
    return sorted(KPIS)


def kpi(
    project: Store,
    name: str,
    start=None,
    end=None,
    segment=None,
    *,
    campaign: str | None = None,
    journey: str | None = None,
    **options: Any,
) -> KpiResult:
    """Compute the KPI ``name`` for a date range and segment. Unknown names list the valid ones."""
    if name not in KPIS:
        raise UnknownNameError(
            f"no KPI named {name!r}{suggest(name, KPIS)}; valid KPIs: {', '.join(kpi_names())}"
        )
    spec = KPIS[name]
    for key, value in (("campaign", campaign), ("journey", journey)):
        if value is not None:
            if key not in spec.accepts:
                raise InputError(f"the KPI {name!r} is a project KPI and takes no --{key}", field=key)
            options[key] = value
    for key in options:
        if key not in spec.accepts and key not in ("platform", "channel", "where"):
            raise InputError(f"the KPI {name!r} takes no option {key!r}", field=key)
    filters = {k: options.pop(k) for k in ("platform", "channel", "where") if k in options}
    scope = resolve_scope(project, start, end, segment, **filters)
    rows = spec.rows(project, scope, **options)
    total = spec.total(project, scope, rows, **options)
    return KpiResult(name, rows, total, scope, spec.unit, currency=reporting_currency(project))


# --- Pinpoint's transactional e-mail and SMS KPIs (txn-emails-*, txn-sms-*), from the send events --------------

from . import messaging as _messaging  # noqa: E402 -- it adds to the registry above

for _definition in _messaging.kpi_definitions():
    register_kpi(Kpi(**_definition))
