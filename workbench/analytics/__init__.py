"""Analytics: usage, retention, revenue, events, funnels, demographics and KPIs, as DuckDB SQL over the catalog
and the event log, returning Polars DataFrames.

Every view takes ``start``/``end`` (inclusive dates; default the last 30 days of data present) and ``segment``
(a name or ``{"where": SQL}``), plus the quick filters ``platform=`` and ``channel=``.

>>> from workbench.analytics import kpi, funnel
>>> kpi(project, "daily-active-endpoints", "2026-10-01", "2026-10-29").rows
>>> funnel(project, ["product.view", "cart.add", "_monetization.purchase"], window="7d").table
"""

from ._common import DIMENSIONS, Scope, parse_duration, resolve_scope, segment_filter
from .demographics import distribution
from .events import EventSpec, daily_counts, event_counts, event_types, metric_summary
from .funnels import FunnelResult, funnel
from .kpis import KPIS, Kpi, KpiResult, kpi, kpi_names, register_kpi
from .retention import retention_cohorts
from .revenue import revenue, revenue_summary
from .usage import (
    authentication,
    daily_active,
    day_n_retention,
    monthly_active,
    new_active,
    retention_rate,
    retention_rates,
    session_heatmap,
    sessions,
    sticky_factor,
    usage_summary,
    week_n_retention,
)

__all__ = [
    "DIMENSIONS",
    "KPIS",
    "EventSpec",
    "FunnelResult",
    "Kpi",
    "KpiResult",
    "Scope",
    "authentication",
    "daily_active",
    "daily_counts",
    "day_n_retention",
    "distribution",
    "event_counts",
    "event_types",
    "funnel",
    "kpi",
    "kpi_names",
    "metric_summary",
    "monthly_active",
    "new_active",
    "parse_duration",
    "register_kpi",
    "resolve_scope",
    "retention_cohorts",
    "retention_rate",
    "retention_rates",
    "revenue",
    "revenue_summary",
    "segment_filter",
    "session_heatmap",
    "sessions",
    "sticky_factor",
    "usage_summary",
    "week_n_retention",
]
