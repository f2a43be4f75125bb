"""The built-in dashboards, one builder each, and the registry :data:`DASHBOARDS` that lists them (at the end),
in the order of Pinpoint's analytics console. Other packages add theirs with :func:`register_dashboard`.

A builder is ``fn(project, scope, **options) -> Dashboard``: it runs its aggregated queries and fills in tiles,
charts and tables (``workbench.dashboards.board.build`` resolves the scope and times it).

Figures read the same everywhere (tables.py): money in the project's ``[reporting] currency``, counts without
decimals, rates as percentages, durations in one named unit; a tile whose events do not occur in the date range
says "no data in this range" rather than 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import analytics as a
from ..analytics import Scope
from ..analytics._common import PURCHASE, SESSION_START
from ..analytics.funnels import STEP_TABLE
from ..analytics.tables import DEFAULT_CURRENCY, NO_DATA, format_table, format_value, reporting_currency
from ..analytics.usage import AUTH_EVENTS, USAGE_RETENTION
from . import charts as ch
from .board import Builder, ChartItem, Dashboard, TableItem, Tile

if TYPE_CHECKING:
    from ..store import Store

#: The demo's shopping funnel: the Funnels dashboard's default when these events exist.
DEFAULT_FUNNEL = ["product.view", "cart.add", "checkout.start", "_monetization.purchase"]


@dataclass(frozen=True)
class FigureTile(Tile):
    """A tile that reads like the tables beside it (see tables.py): money in ``currency``, durations (``fmt``
    "duration", in seconds) in one named unit, and "no data in this range" when its events are not in the range.
    """

    currency: str = DEFAULT_CURRENCY
    no_data: bool = False

    def display(self, currency: str | None = None) -> str:
        """The tile's text, money in ``currency`` (default: the project's, read when the tile was made)."""
        if self.no_data:
            return NO_DATA
        return format_value(self.value, self.fmt, currency=currency or self.currency)

    @property
    def text(self) -> str:
        return self.display()

    @property
    def missing(self) -> bool:
        return self.no_data or super().missing


@dataclass
class Figures:
    """Makes a board's tiles: knows the project's currency and which event types occur in the range."""

    currency: str = DEFAULT_CURRENCY
    present: set[str] = field(default_factory=set)

    def tile(
        self,
        label: str,
        value: Any,
        fmt: str = "count",
        kpi: str | None = None,
        *,
        needs: str | tuple[str, ...] = (),
        empty: bool = False,
    ) -> FigureTile:
        """A tile; ``needs`` names the event types behind it (none in the range -> "no data in this range"),
        ``empty`` says so outright (e.g. a funnel nobody entered)."""
        needs = (needs,) if isinstance(needs, str) else needs
        missing = empty or (bool(needs) and not any(t in self.present for t in needs))
        return FigureTile(label, value, fmt, kpi, currency=self.currency, no_data=missing)


def _new(project: Store, scope: Scope, name: str, title: str, description: str) -> tuple[Dashboard, Figures]:
    board = Dashboard(name=name, title=title, description=description, project=project, scope=scope)
    counts = project.query(f"SELECT event_type, count(*) AS n FROM {scope.events()} GROUP BY 1")
    figures = Figures(reporting_currency(project), set(counts.get_column("event_type").to_list()))
    if not counts.height:
        held = (
            f"The event log holds data from {scope.data_start} to {scope.data_end}."
            if scope.data_start
            else "The event log is empty: import events first (workbench events import FILE)."
        )
        board.empty = empty_page_text(scope, held)
    return board, figures


def empty_page_text(scope: Scope, held: str = "") -> str:
    """What an empty page says: the dates and every filter in force (segment, platform, channel, where)."""
    filters = scope.filters_in_words()
    if not filters:
        who = ""
    elif len(filters) == 1:
        who = f" for {filters[0]}"
    else:
        who = f" for {', '.join(filters[:-1])} and {filters[-1]}"
    hint = " Widen the dates or clear a filter to see data." if filters else ""
    return (
        f"No events between {scope.start} and {scope.end}{who}, so there is nothing to chart.{hint} {held}"
    ).strip()


def _chart(board: Dashboard, title: str, chart) -> None:
    board.charts.append(ChartItem(title, chart))


def overview(project: Store, scope: Scope) -> Dashboard:
    board, f = _new(
        project,
        scope,
        "overview",
        "Overview",
        "Active endpoints, new endpoints, retention, sessions, revenue",
    )
    if board.empty:
        return board
    usage = a.usage_summary(project, scope, users=False)  # this page shows endpoints only
    money = a.revenue_summary(project, scope)
    ses, buy = SESSION_START, PURCHASE
    board.tiles = [
        f.tile(
            "Daily active endpoints (mean)",
            usage["daily_active_endpoints"],
            "number",
            kpi="daily-active-endpoints",
            needs=ses,
        ),
        f.tile(
            "Monthly active endpoints",
            usage["monthly_active_endpoints"],
            kpi="monthly-active-endpoints",
            needs=ses,
        ),
        f.tile("New endpoints", usage["new_endpoints"], kpi="new-endpoints", needs=ses),
        f.tile(
            "7-day retention rate",
            usage["seven_day_retention_rate"],
            "rate",
            kpi="seven-day-retention-rate",
            needs=ses,
        ),
        f.tile("Sessions", usage["sessions"], kpi="sessions", needs=ses),
        f.tile("Revenue", money["revenue"], "currency", kpi="revenue", needs=buy),
    ]
    sticky = a.sticky_factor(project, scope)
    _chart(
        board,
        "Active endpoints",
        ch.time_series(
            sticky, {"daily_active": "daily", "monthly_active": "monthly (30 days)"}, "Active endpoints"
        ),
    )
    _chart(
        board,
        "New endpoints",
        ch.time_series(a.new_active(project, scope), {"new": "new"}, "New endpoints", mark="bar"),
    )
    _chart(
        board,
        "Sessions",
        ch.time_series(a.sessions(project, scope, users=False), {"sessions": "sessions"}, "Sessions"),
    )
    _chart(
        board,
        "Revenue",
        ch.time_series(a.revenue(project, scope), {"revenue": "revenue"}, "Revenue", fmt="money"),
    )
    return board


def usage(project: Store, scope: Scope) -> Dashboard:
    board, f = _new(
        project, scope, "usage", "Usage", "Users, sessions and authentication, from session and auth events"
    )
    if board.empty:
        return board
    u = a.usage_summary(project, scope)
    auth = a.authentication(project, scope)
    ses, auth_types = SESSION_START, AUTH_EVENTS
    board.tiles = [
        f.tile(
            "Daily active endpoints (mean)",
            u["daily_active_endpoints"],
            "number",
            kpi="daily-active-endpoints",
            needs=ses,
        ),
        f.tile(
            "Monthly active endpoints",
            u["monthly_active_endpoints"],
            kpi="monthly-active-endpoints",
            needs=ses,
        ),
        f.tile("New endpoints", u["new_endpoints"], kpi="new-endpoints", needs=ses),
        f.tile(
            "Daily active users (mean)",
            u["daily_active_users"],
            "number",
            kpi="daily-active-users",
            needs=ses,
        ),
        f.tile("Monthly active users", u["monthly_active_users"], kpi="monthly-active-users", needs=ses),
        f.tile("New users", u["new_users"], kpi="new-users", needs=ses),
        f.tile(
            "7-day retention rate",
            u["seven_day_retention_rate"],
            "rate",
            kpi="seven-day-retention-rate",
            needs=ses,
        ),
        f.tile("Sticky factor (mean)", u["sticky_factor"], "number", kpi="sticky-factor", needs=ses),
        f.tile("Sessions", u["sessions"], kpi="sessions", needs=ses),
        f.tile(
            "Sessions per endpoint",
            u["sessions_per_endpoint"],
            "number",
            kpi="sessions-per-endpoint",
            needs=ses,
        ),
        f.tile("Sign-ins", int(auth["sign_ins"].sum()), kpi="sign-ins", needs=auth_types["sign_ins"]),
        f.tile("Sign-ups", int(auth["sign_ups"].sum()), kpi="sign-ups", needs=auth_types["sign_ups"]),
        f.tile(
            "Authentication failures",
            int(auth["auth_failures"].sum()),
            kpi="authentication-failures",
            needs=auth_types["auth_failures"],
        ),
    ]
    sticky = a.sticky_factor(project, scope)
    users = (
        a.daily_active(project, scope, who="user")
        .rename({"active": "daily"})
        .join(
            a.monthly_active(project, scope, who="user").rename({"active": "monthly"}),
            on="date",
            maintain_order="left",
        )
    )
    new = (
        a.new_active(project, scope)
        .rename({"new": "endpoints"})
        .join(
            a.new_active(project, scope, who="user").rename({"new": "users"}),
            on="date",
            maintain_order="left",
        )
    )
    sessions = a.sessions(project, scope)
    rates = a.retention_rates(project, USAGE_RETENTION, scope)  # the windows of the tiles: one pass for both
    seven = rates[(1, 7)].rename({"rate": "seven_day"})
    day1 = rates[(1, 1)].select("date", pl.col("rate").alias("day_1"))
    retention = seven.join(day1, on="date", maintain_order="left")
    _chart(
        board,
        "Active endpoints",
        ch.time_series(sticky, {"daily_active": "daily", "monthly_active": "monthly"}, "Active endpoints"),
    )
    _chart(
        board, "Active users", ch.time_series(users, {"daily": "daily", "monthly": "monthly"}, "Active users")
    )
    _chart(
        board,
        "New endpoints and users",
        ch.time_series(new, {"endpoints": "endpoints", "users": "users"}, "New endpoints and users"),
    )
    _chart(board, "Sessions", ch.time_series(sessions, {"sessions": "sessions"}, "Sessions", mark="bar"))
    _chart(
        board,
        "Sessions per endpoint and user",
        ch.time_series(
            sessions,
            {"sessions_per_endpoint": "per endpoint", "sessions_per_user": "per user"},
            "Sessions per endpoint and user",
            fmt="ratio",
        ),
    )
    _chart(
        board,
        "Retention",
        ch.time_series(retention, {"day_1": "day 1", "seven_day": "7-day"}, "Retention rate", fmt="rate"),
    )
    _chart(
        board,
        "Sticky factor",
        ch.time_series(
            sticky, {"sticky_factor": "sticky factor"}, "Sticky factor (daily / monthly active)", fmt="ratio"
        ),
    )
    _chart(board, "Session heat map", ch.heatmap(a.session_heatmap(project, scope)))
    _chart(
        board,
        "Authentication",
        ch.time_series(
            auth,
            {"sign_ins": "sign-ins", "sign_ups": "sign-ups", "auth_failures": "failures"},
            "Authentication",
        ),
    )
    board.notes.append("Retention for a day is blank until all of its follow-up days are in the event log.")
    return board


def revenue(project: Store, scope: Scope) -> Dashboard:
    board, f = _new(
        project, scope, "revenue", "Revenue", "From _monetization.purchase events (_item_price x _quantity)"
    )
    if board.empty:
        return board
    s = a.revenue_summary(project, scope)
    buy = PURCHASE
    board.tiles = [
        f.tile("Revenue", s["revenue"], "currency", kpi="revenue", needs=buy),
        f.tile(
            "Revenue per endpoint",
            s["revenue_per_endpoint"],
            "currency",
            kpi="revenue-per-endpoint",
            needs=buy,
        ),
        f.tile("Paying users", s["paying_users"], kpi="paying-users", needs=buy),
        f.tile(
            "Revenue per paying user",
            s["revenue_per_paying_user"],
            "currency",
            kpi="revenue-per-paying-user",
            needs=buy,
        ),
        f.tile("Units sold", s["units_sold"], kpi="units-sold", needs=buy),
        f.tile(
            "Units sold per endpoint",
            s["units_sold_per_endpoint"],
            "number",
            kpi="units-sold-per-endpoint",
            needs=buy,
        ),
        f.tile("Purchases", s["purchases"], kpi="purchases", needs=buy),
        f.tile(
            "Purchases per endpoint",
            s["purchases_per_endpoint"],
            "number",
            kpi="purchases-per-endpoint",
            needs=buy,
        ),
    ]
    daily = a.revenue(project, scope)
    by_product = a.revenue(project, scope, by="product")
    by_platform = a.revenue(project, scope, by="platform")
    _chart(
        board,
        "Revenue",
        ch.time_series(daily, {"revenue": "revenue"}, "Revenue per day", fmt="money", mark="bar"),
    )
    _chart(
        board,
        "Paying users",
        ch.time_series(
            daily, {"paying_users": "paying users", "purchases": "purchases"}, "Paying users and purchases"
        ),
    )
    _chart(
        board,
        "Revenue by product",
        ch.bar(by_product, "product", "revenue", "Revenue by product (top 15)", fmt="money"),
    )
    _chart(
        board,
        "Revenue by platform",
        ch.bar(by_platform, "Demographic.Platform", "revenue", "Revenue by platform", fmt="money"),
    )
    board.tables.append(
        TableItem(
            "Revenue by product",
            by_product.select("product", "revenue", "purchases", "units_sold", "paying_users").head(20),
            {"revenue": "currency", "purchases": "count", "units_sold": "count", "paying_users": "count"},
        )
    )
    return board


def events(project: Store, scope: Scope, event_type: str | None = None) -> Dashboard:
    board, f = _new(
        project,
        scope,
        "events",
        "Events",
        "Counts of every event type; filter with event_type='name:key=value'",
    )
    if board.empty:
        return board
    types = a.event_types(project, scope)
    total = (
        a.event_counts(project, event_type, scope)["events"].sum() if event_type else types["events"].sum()
    )
    board.tiles = [
        f.tile("Events" + (f" ({event_type})" if event_type else ""), int(total), kpi="events"),
        f.tile("Event types", types.height),
        f.tile(
            "Events per session",
            # the KPI's own range figure (events / distinct sessions, read from the event log, not from per-day
            # rows): a ratio of daily sums would count a session that crosses midnight twice
            a.KPIS["events-per-session"].total(project, scope, pl.DataFrame(), event_type=event_type),
            "number",
            kpi="events-per-session",
        ),
    ]
    top = types.get_column("event_type").head(6).to_list()
    wide = a.daily_counts(project, top, scope)
    _chart(board, "Events per day", ch.time_series(wide, {t: t for t in top}, "Events per day (top 6 types)"))
    _chart(board, "Events by type", ch.bar(types, "event_type", "events", "Events by type"))
    _chart(
        board,
        "Endpoints by event type",
        ch.bar(types, "event_type", "endpoints", "Endpoints with each event type"),
    )
    _chart(
        board,
        "Events per session",
        ch.bar(
            types.filter(pl.col("events_per_session").is_not_null()),
            "event_type",
            "events_per_session",
            "Events per session",
            fmt="ratio",
        ),
    )
    board.tables.append(
        TableItem(
            "Event types",
            types,
            {"events": "count", "endpoints": "count", "sessions": "count", "events_per_session": "number"},
        )
    )
    return board


def funnels(
    project: Store,
    scope: Scope,
    steps: list[Any] | None = None,
    window: str = "7d",
    breakdown: str | None = "platform",
) -> Dashboard:
    board, f = _new(
        project, scope, "funnels", "Funnels", f"Ordered steps, {window} window from the first step"
    )
    if board.empty:
        return board
    if steps is None:
        known = set(
            project.query(f"SELECT DISTINCT event_type FROM {scope.events()}").get_column("event_type")
        )
        steps = [s for s in DEFAULT_FUNNEL if s in known]
        if len(steps) < 2:
            board.empty = (
                "Give the funnel's steps: dashboard(project, 'funnels', steps=['event1', 'event2', ...])."
            )
            return board
    result = a.funnel(project, steps, scope, window=window, breakdown=breakdown)
    overall = result.overall
    last = overall.row(-1, named=True)
    entered = overall.row(0, named=True)["count"]
    nobody = not entered  # no step-1 event in the range: every figure below would be a misleading 0
    board.tiles = [
        f.tile("Entered (step 1)", entered, empty=nobody),
        f.tile("Converted (last step)", last["count"], empty=nobody),
        f.tile("Conversion", last["conversion"], "rate", empty=nobody),
        f.tile("Median time to convert", last["median_seconds_from_start"], "duration", empty=nobody),
    ]
    _chart(board, "Funnel", ch.funnel_chart(overall))
    if breakdown:
        _chart(
            board,
            "Funnel by breakdown",
            ch.funnel_chart(
                result.table,
                breakdown=True,
                title=f"Conversion by {breakdown if isinstance(breakdown, str) else result.breakdown}",
            ),
        )
    board.tables.append(TableItem("Steps", overall.select(list(STEP_TABLE)), STEP_TABLE))
    board.notes.append(
        "An endpoint enters with a step-1 event inside the date range; the window may run past the range's end."
    )
    return board


def demographics(project: Store, scope: Scope, attributes: list[str] | None = None) -> Dashboard:
    board, f = _new(
        project,
        scope,
        "demographics",
        "Demographics",
        "Endpoints active in the date range, by their attributes",
    )
    if board.empty:
        return board
    dims = ["platform", "app-version", "make", "model", "country", "city", "locale", "time-zone", "channel"]
    frames = {d: a.distribution(project, d, scope, top=12) for d in dims}
    if attributes is None:
        attributes = [c for c in project.endpoint_columns() if c.startswith("Attributes.")][:3]
    for attr in attributes:
        frames[attr] = a.distribution(project, attr, scope, top=12)
    active = int(frames["platform"]["endpoints"].sum())
    board.tiles = [
        f.tile("Active endpoints", active),
        f.tile("Countries", frames["country"].filter(~pl.col("value").is_in(["(none)", "(other)"])).height),
        f.tile("Platforms", frames["platform"].filter(pl.col("value") != "(none)").height),
    ]
    for dim, frame in frames.items():
        label = dim.replace("-", " ").replace("Attributes.", "attribute ")
        _chart(board, label, ch.bar(frame, "value", "endpoints", f"Endpoints by {label}"))
    return board


def retention(
    project: Store, scope: Scope, period: str = "week", return_event: str | None = None
) -> Dashboard:
    board, f = _new(
        project, scope, "retention", "Retention", f"First-seen cohorts by {period}, returning on any event"
    )
    if board.empty:
        return board
    cohorts = a.retention_cohorts(project, scope, period=period, return_event=return_event, periods=6)
    # Two definitions, two names: the day-based KPIs (active on a day D, again N days later) are named by their
    # days; "week 1" is the cohort table's and heat map's: the calendar period after the cohort's first one.
    tiles = (
        ("Day 1 retention", "day-1-retention-rate", (1, 1)),
        ("Day 7 retention", "day-7-retention-rate", (7, 7)),
        ("7-day retention rate", "seven-day-retention-rate", (1, 7)),
        ("Days 8-14 retention", "week-2-retention-rate", (8, 14)),
    )
    per_day = a.retention_rates(project, [days for _, _, days in tiles], scope)
    rates = {}
    for label, kpi, days in tiles:
        frame = per_day[days].filter(pl.col("rate").is_not_null())
        rates[label] = (kpi, _ratio(frame["retained"].sum(), frame["active"].sum()))
    board.tiles = [f.tile(label, v, "rate", kpi=kpi) for label, (kpi, v) in rates.items()]
    board.tiles.append(
        f.tile(f"{period.capitalize()} 1 retention (cohorts)", cohort_period_rate(cohorts, 1), "rate")
    )
    # the rows the heat map draws: a cohort shows as soon as its period 0 is known
    board.tiles.append(f.tile("Cohorts", cohorts.filter(pl.col("rate").is_not_null())["cohort"].n_unique()))
    daily = (
        per_day[(1, 1)]
        .select("date", pl.col("rate").alias("day_1"))
        .join(per_day[(7, 7)].select("date", pl.col("rate").alias("day_7")), on="date", maintain_order="left")
    )
    if cohorts.height:
        _chart(board, "Cohorts", ch.cohort_heatmap(cohorts, f"Retention by {period} cohort (first seen)"))
    _chart(
        board,
        "Day-N retention",
        ch.time_series(daily, {"day_1": "day 1", "day_7": "day 7"}, "Day-1 and day-7 retention", fmt="rate"),
    )
    if cohorts.height:
        wide = cohorts.pivot(on="period", index=["cohort", "cohort_size"], values="rate")
        # periods no cohort has reached yet would be columns of dashes only (the heat map leaves them out too)
        wide = wide.select(
            wide.columns[:3] + [c for c in wide.columns[3:] if wide[c].null_count() < wide.height]
        )
        # The pivot names period columns by number ("0", "1", ...): head them "Week 0", "Week 1".
        wide = wide.rename({c: f"{period.capitalize()} {c}" for c in wide.columns[2:]})
        formats = {"cohort_size": "count", **{c: "rate" for c in wide.columns[2:]}}
        board.tables.append(TableItem("Cohort table (share retained per period)", wide, formats))
    board.notes.append(
        f"{period.capitalize()} N (heat map, cohort table, the cohorts tile): of the endpoints first seen in a "
        f"{period}, the share active again in the {period} N {period}s later; blank until that {period} is over. "
        "Day-N retention: of the endpoints active on a day, the share active again N days later; 7-day: on "
        "any of the next 7 days."
    )
    return board


def cohort_period_rate(cohorts: pl.DataFrame, period: int) -> float | None:
    """The share of cohort members retained in ``period``, over the cohorts whose ``period`` is known (the
    heat map's column, weighted by cohort size); None when no cohort has reached it yet."""
    known = cohorts.filter((pl.col("period") == period) & pl.col("rate").is_not_null())
    return _ratio(known["retained"].sum(), known["cohort_size"].sum())


#: KPIs whose tiles show the mean of the days rather than the KPI's ``total`` (which, for daily actives, is the
#: distinct count over the range: the monthly figure for a 30-day range, not a daily one).
MEAN_OF_THE_DAYS = frozenset({"daily-active-endpoints", "daily-active-users"})


def tile_figure(result: a.KpiResult) -> tuple[Any, str]:
    """The figure a dashboard tile shows for a KPI, and what it is in words: the mean per day for daily
    actives, the KPI's ``total`` otherwise."""
    if result.kpi in MEAN_OF_THE_DAYS:
        values = result.rows.get_column("value").drop_nulls()
        return (float(values.mean()) if values.len() else None), "mean per day"
    return result.total, a.KPIS[result.kpi].total_is


def kpi_table(
    project: Store, names: list[str], start=None, end=None, segment=None, **filters: Any
) -> pl.DataFrame:
    """One row per KPI: ``kpi``, ``value`` (the figure its dashboard tile shows), ``figure`` (what that value is:
    "sum of the days", "mean per day", "distinct over the range", ...), ``unit`` and ``description``.

    Every row comes from ``kpi()``: a table and the tile beside it never disagree under one name.
    """
    rows = []
    for name in names:
        value, figure = tile_figure(a.kpi(project, name, start, end, segment, **filters))
        spec = a.KPIS[name]
        rows.append(
            {
                "kpi": name,
                "value": value,
                "figure": figure,
                "unit": spec.unit,
                "description": re.sub(
                    r"\s*\(total: [^)]*\)", "", spec.description
                ),  # the Which figure column says it
            }
        )
    schema = {
        "kpi": pl.String,
        "value": pl.Float64,
        "figure": pl.String,
        "unit": pl.String,
        "description": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def format_kpi_table(frame: pl.DataFrame, *, currency: str = DEFAULT_CURRENCY):
    """:func:`kpi_table` as a great_tables table, every row shown: each value formatted by its KPI's unit (counts
    as whole numbers, rates as percentages, money in ``currency``), beside what the figure is."""
    shown = frame.select(
        "kpi",
        pl.Series(
            "value",
            [
                # a mean of counts keeps its decimals, as on its tile ("80.63", not "81")
                format_value(v, "number" if figure == "mean per day" else unit, currency=currency)
                for v, unit, figure in zip(frame["value"], frame["unit"], frame["figure"], strict=True)
            ],
            dtype=pl.String,
        ),
        "figure",
        "description",
    )
    return format_table(
        shown,
        labels={
            "kpi": "KPI (workbench kpi NAME)",
            "value": "Figure",
            "figure": "Which figure",
            "description": "What it counts",
        },
        max_rows=max(shown.height, 1),
    ).cols_align("right", "c1")


def _ratio(num, den) -> float | None:
    return float(num) / float(den) if den else None


# --- the registry -----------------------------------------------------------------------------------------

#: Every dashboard by name: its description and its builder. The built-ins, in the console's order; other
#: packages add theirs with :func:`register_dashboard`.
DASHBOARDS: dict[str, tuple[str, Builder]] = {
    "overview": ("Active endpoints, new endpoints, 7-day retention, sessions and revenue", overview),
    "usage": (
        "Daily/monthly active endpoints and users, sessions, retention, sticky factor, sign-ins",
        usage,
    ),
    "revenue": ("Revenue, paying users, units sold and purchases from _monetization.purchase", revenue),
    "events": ("Event count, endpoints and events per session for every event type", events),
    "funnels": ("Conversion through ordered steps (default: the shopping funnel)", funnels),
    "demographics": (
        "Platform, app version, make, model, country, city, locale, time zone, channel",
        demographics,
    ),
    "retention": ("Weekly cohorts, day-N and week-N retention", retention),
}


def register_dashboard(name: str, description: str) -> Callable[[Builder], Builder]:
    """Decorator adding (or replacing) a builder ``fn(project, scope, **options) -> Dashboard`` in the registry."""

    def wrap(fn: Builder) -> Builder:
        DASHBOARDS[name] = (description, fn)
        return fn

    return wrap


def dashboard_names() -> list[str]:
    """The registered dashboards' names, built-ins first."""
    return list(DASHBOARDS)
