"""Revenue from ``_monetization.purchase`` events, the way Pinpoint's Revenue dashboard shows it.

A purchase event carries the attributes ``_currency`` and ``_product_id`` and the metrics ``_quantity`` and
``_item_price`` (the price of one unit). Here:

- *revenue* = sum of ``_item_price * _quantity`` (a missing quantity counts as 1);
- *units sold* = sum of ``_quantity``; *purchases* = number of purchase events;
- *paying users* / *paying endpoints* = distinct users / endpoints with a purchase;
- *per endpoint* figures divide by the endpoints active (with a ``_session.start``) in the same group, as the
  console does; *revenue per paying user* divides by paying users.

Amounts are summed as they are: a project selling in several currencies should group by ``currency``.

An app whose purchase events name their price and quantity differently says so in ``workbench.toml``::

    [analytics]
    price_metric = "price"        # default "_item_price"
    quantity_metric = "units"     # default "_quantity"

:func:`revenue_note` tells a reader when the purchases in a range carry no price metric, listing the attributes
and metrics they do carry and the settings to write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..store.schema import quote
from ._common import PURCHASE, Scope, check_column, day_spine, scope_of, sql_date, sql_str, user_key
from .usage import session_days

if TYPE_CHECKING:
    from ..store import Store

PRICE_METRIC = "_item_price"
QUANTITY_METRIC = "_quantity"


def purchase_metrics(project: Store) -> tuple[str, str]:
    """The metrics holding a purchase's unit price and quantity: ``[analytics] price_metric`` and
    ``quantity_metric`` (defaults: Pinpoint's ``_item_price`` and ``_quantity``)."""
    price = str(project.setting("analytics.price_metric", PRICE_METRIC) or PRICE_METRIC)
    quantity = str(project.setting("analytics.quantity_metric", QUANTITY_METRIC) or QUANTITY_METRIC)
    return price, quantity


def _price_and_quantity(project: Store) -> str:
    """SQL for a purchase's ``qty`` (a missing quantity counts as 1) and ``price``, per the settings."""
    price, quantity = purchase_metrics(project)
    return f"coalesce(e.metrics[{sql_str(quantity)}], 1) AS qty, e.metrics[{sql_str(price)}] AS price"


def revenue_note(project: Store, start=None, end=None, segment=None, **kw) -> str | None:
    """When the range has purchases but none carries the price metric (so revenue reads 0): which attributes and
    metrics those purchases do carry, and the ``[analytics]`` settings that map them. None otherwise."""
    s = scope_of(project, start, end, segment, **kw)
    price, quantity = purchase_metrics(project)
    sql = f"""
        SELECT count(*) AS purchases, count(e.metrics[{sql_str(price)}]) AS priced,
               list_sort(list_distinct(flatten(list(map_keys(e.attributes))))) AS attributes,
               list_sort(list_distinct(flatten(list(map_keys(e.metrics))))) AS metrics
        FROM {s.events(event_types=[PURCHASE])} e"""
    row = project.query(sql).row(0, named=True)
    if not row["purchases"] or row["priced"]:
        return None
    attributes = ", ".join(a for a in row["attributes"] or [] if a) or "none"
    metrics = [m for m in row["metrics"] or [] if m]
    guess_price = next((m for m in metrics if "price" in m.lower() or "amount" in m.lower()), "PRICE")
    guess_qty = next(
        (m for m in metrics if "quant" in m.lower() or m.lower() in ("qty", "units")), "QUANTITY"
    )
    return (
        f"Revenue is 0: the {row['purchases']:,} {PURCHASE} events between {s.start} and {s.end} carry no "
        f"{price!r} metric. They carry the attributes {attributes} and the metrics "
        f"{', '.join(metrics) or 'none'}. Name the metrics to use in workbench.toml: "
        f'[analytics] price_metric = "{guess_price}" and quantity_metric = "{guess_qty}" '
        f"(now {quantity!r}; a missing quantity counts as 1)."
    )


#: Groupings that come from the purchase event itself rather than from the endpoint.
EVENT_GROUPS = {"product": "e.attributes['_product_id']", "currency": "e.attributes['_currency']"}


def purchases(project: Store, scope: Scope) -> str:
    """The scope's purchases in its date range, one row per ``_monetization.purchase`` event: a relation of
    ``date, client_id, user_key, qty, price`` and the event groupings (``product``, ``currency``).

    Every revenue view reads it; inside ``reading()`` (a dashboard) it is computed once (``Store.shared_table``).
    """
    groups = ", ".join(f"{sql} AS {name}" for name, sql in EVENT_GROUPS.items())
    return project.shared_table(f"""
        SELECT e.date, e.client_id, {user_key()} AS user_key, {_price_and_quantity(project)}, {groups}
        FROM {scope.events(event_types=[PURCHASE])} e
        LEFT JOIN endpoints ep ON ep.Id = e.client_id""")


def revenue(project: Store, start=None, end=None, segment=None, *, by: str = "date", **kw) -> pl.DataFrame:
    """Revenue figures grouped ``by`` ``"date"`` (one row per day), ``"product"``, ``"currency"`` or any endpoint
    column (``"platform"``, ``"country"``, ``"Attributes.plan"``...).

    Columns: the group, ``revenue, purchases, units_sold, paying_users, paying_endpoints, active_endpoints,
    revenue_per_endpoint, revenue_per_paying_user, units_sold_per_endpoint, purchases_per_endpoint``.
    """
    s = scope_of(project, start, end, segment, **kw)
    if by == "date":
        group, name, join_ep = "e.date", "date", False
    elif by in EVENT_GROUPS:
        group, name, join_ep = f"e.{by}", by, False
    else:
        column = check_column(project, by)
        group, name, join_ep = f"ep.{quote(column)}", column, True
    active_group = "NULL" if by in EVENT_GROUPS else group
    endpoint = "LEFT JOIN endpoints ep ON ep.Id = e.client_id" if join_ep else ""
    in_range = f"e.date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)}"
    sql = f"""
        WITH p AS (
            SELECT {group} AS grp, e.client_id, e.user_key, e.qty, e.price
            FROM {purchases(project, s)} e {endpoint} WHERE {in_range}
        ),
        agg AS (
            -- rounded: no float noise such as 1165.6000000000001 in KPI rows
            SELECT grp, round(sum(price * qty), 4) AS revenue, count(*) AS purchases, sum(qty) AS units_sold,
                   count(DISTINCT user_key) AS paying_users, count(DISTINCT client_id) AS paying_endpoints
            FROM p GROUP BY grp
        ),
        act AS (
            SELECT {active_group} AS grp, count(DISTINCT e.client_id) AS active_endpoints
            FROM {session_days(project, s)} e {endpoint} WHERE {in_range}
            GROUP BY 1
        ),
        groups AS ({f"SELECT date AS grp FROM {day_spine(s.start, s.end)}" if by == "date" else "SELECT grp FROM agg"})
        SELECT g.grp AS {quote(name)}, coalesce(a.revenue, 0) AS revenue, coalesce(a.purchases, 0) AS purchases,
               coalesce(a.units_sold, 0) AS units_sold, coalesce(a.paying_users, 0) AS paying_users,
               coalesce(a.paying_endpoints, 0) AS paying_endpoints, coalesce(x.active_endpoints, 0) AS active_endpoints,
               coalesce(a.revenue, 0) / nullif(x.active_endpoints, 0) AS revenue_per_endpoint,
               a.revenue / nullif(a.paying_users, 0) AS revenue_per_paying_user,
               coalesce(a.units_sold, 0) / nullif(x.active_endpoints, 0) AS units_sold_per_endpoint,
               coalesce(a.purchases, 0) / nullif(x.active_endpoints, 0) AS purchases_per_endpoint
        FROM groups g LEFT JOIN agg a ON a.grp IS NOT DISTINCT FROM g.grp
        LEFT JOIN act x ON x.grp IS NOT DISTINCT FROM {"NULL" if by in EVENT_GROUPS else "g.grp"}
        ORDER BY {"g.grp" if by == "date" else "revenue DESC, g.grp"}"""
    return project.query(sql)


def revenue_summary(
    project: Store, start=None, end=None, segment=None, **kw
) -> dict[str, float | int | None]:
    """Range totals for KPI tiles (distinct counts over the whole range, not sums of daily ones)."""
    s = scope_of(project, start, end, segment, **kw)
    in_range = f"date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)}"
    sql = f"""
        WITH p AS (SELECT client_id, user_key, qty, price FROM {purchases(project, s)} WHERE {in_range}),
        a AS (SELECT count(DISTINCT client_id) AS active_endpoints FROM {session_days(project, s)} WHERE {in_range})
        SELECT agg.*, a.active_endpoints FROM (
            SELECT coalesce(round(sum(price * qty), 4), 0) AS revenue, count(*) AS purchases,
                   coalesce(sum(qty), 0) AS units_sold, count(DISTINCT user_key) AS paying_users,
                   count(DISTINCT client_id) AS paying_endpoints
            FROM p
        ) agg, a"""
    row = project.query(sql).row(0, named=True)
    active = row["active_endpoints"] or 0
    row["active_endpoints"] = active
    row["revenue_per_endpoint"] = row["revenue"] / active if active else None
    row["revenue_per_paying_user"] = row["revenue"] / row["paying_users"] if row["paying_users"] else None
    row["units_sold_per_endpoint"] = row["units_sold"] / active if active else None
    row["purchases_per_endpoint"] = row["purchases"] / active if active else None
    return row
