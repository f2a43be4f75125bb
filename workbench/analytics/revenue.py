"""Revenue from ``_monetization.purchase`` events, the way Pinpoint's Revenue dashboard shows it.

A purchase event carries the attributes ``_currency`` and ``_product_id`` and the metrics ``_quantity`` and
``_item_price`` (the price of one unit). Here:

- *revenue* = sum of ``_item_price * _quantity`` (a missing quantity counts as 1);
- *units sold* = sum of ``_quantity``; *purchases* = number of purchase events;
- *paying users* / *paying endpoints* = distinct users / endpoints with a purchase;
- *per endpoint* figures divide by the endpoints active (with a ``_session.start``) in the same group, as the
  console does; *revenue per paying user* divides by paying users.

Amounts are summed as they are: a project selling in several currencies should group by ``currency``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..store.schema import quote
from ._common import PURCHASE, SESSION_START, check_column, day_spine, scope_of, user_key

if TYPE_CHECKING:
    from ..store import Store

#: Groupings that come from the purchase event itself rather than from the endpoint.
EVENT_GROUPS = {"product": "e.attributes['_product_id']", "currency": "e.attributes['_currency']"}


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
        group, name, join_ep = EVENT_GROUPS[by], by, False
    else:
        column = check_column(project, by)
        group, name, join_ep = f"ep.{quote(column)}", column, True
    active_group = "NULL" if by in EVENT_GROUPS else group
    sql = f"""
        WITH p AS (
            SELECT {group} AS grp, e.client_id, {user_key()} AS user_key,
                   coalesce(e.metrics['_quantity'], 1) AS qty, e.metrics['_item_price'] AS price
            FROM {s.events(event_types=[PURCHASE])} e LEFT JOIN endpoints ep ON ep.Id = e.client_id
        ),
        agg AS (
            -- rounded: no float noise such as 1165.6000000000001 in KPI rows
            SELECT grp, round(sum(price * qty), 4) AS revenue, count(*) AS purchases, sum(qty) AS units_sold,
                   count(DISTINCT user_key) AS paying_users, count(DISTINCT client_id) AS paying_endpoints
            FROM p GROUP BY grp
        ),
        act AS (
            SELECT {active_group} AS grp, count(DISTINCT e.client_id) AS active_endpoints
            FROM {s.events(event_types=[SESSION_START])} e {"LEFT JOIN endpoints ep ON ep.Id = e.client_id" if join_ep else ""}
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
    sql = f"""
        WITH p AS (
            SELECT e.client_id, {user_key()} AS user_key, coalesce(e.metrics['_quantity'], 1) AS qty,
                   e.metrics['_item_price'] AS price
            FROM {s.events(event_types=[PURCHASE])} e LEFT JOIN endpoints ep ON ep.Id = e.client_id
        ),
        a AS (SELECT count(DISTINCT client_id) AS active_endpoints FROM {s.events(event_types=[SESSION_START])})
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
