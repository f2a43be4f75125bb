"""Demographics: how endpoints split by platform, app version, make, model, country, city, locale, time zone,
channel, or any custom attribute or metric.

By default only endpoints *active in the date range* (any event) are counted, as Pinpoint's Demographics
dashboard does; ``active_only=False`` counts every endpoint in the catalog (the date range is then ignored).
A multi-valued attribute counts an endpoint once per value, so its shares can add up to more than 100%.
A metric is shown as a histogram of ``bins`` equal-width bins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..store.schema import quote
from ._common import Scope, check_column, scope_of

if TYPE_CHECKING:
    from ..store import Store


def active_endpoints(project: Store, scope: Scope) -> str:
    """The scope's endpoints with an event in its date range, every column: a relation, computed once inside
    ``reading()`` (a dashboard splits it by a dozen columns; ``Store.shared_table``)."""
    return project.shared_table(
        f"SELECT * FROM {scope.endpoints()} x WHERE Id IN (SELECT DISTINCT client_id FROM {scope.events()})"
    )


def distribution(
    project: Store,
    column: str,
    start=None,
    end=None,
    segment=None,
    *,
    active_only: bool = True,
    top: int | None = None,
    bins: int = 10,
    **kw,
) -> pl.DataFrame:
    """Endpoints per value of ``column``: ``value, endpoints, share`` (largest first; nulls as ``(none)``).

    ``column`` is a friendly name (``platform``, ``country``..., see ``DIMENSIONS``) or any endpoint column.

    ``top`` keeps the largest values and folds the rest into ``(other)``.
    """
    s = scope_of(project, start, end, segment, **kw)
    col = check_column(project, column)
    dtype = project.query(f"SELECT typeof({quote(col)}) AS t FROM endpoints LIMIT 1")
    sqltype = dtype.item() if dtype.height else "VARCHAR"
    base = active_endpoints(project, s) if active_only else s.endpoints()
    if sqltype.endswith("[]"):
        values = f"SELECT unnest(coalesce(nullif({quote(col)}, []), [NULL])) AS value FROM {base}"
        sql = f"SELECT coalesce(CAST(value AS VARCHAR), '(none)') AS value, count(*) AS endpoints FROM ({values}) GROUP BY 1"
    elif sqltype in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "DECIMAL"):
        sql = f"""
            WITH v AS (SELECT CAST({quote(col)} AS DOUBLE) AS x FROM {base}),
            r AS (SELECT min(x) AS lo, max(x) AS hi FROM v),
            b AS (
                SELECT CASE WHEN x IS NULL THEN NULL
                            ELSE least(floor((x - r.lo) / nullif((r.hi - r.lo) / {bins}, 0)), {bins - 1}) END AS bin,
                       r.lo, r.hi
                FROM v, r
            )
            SELECT CASE WHEN bin IS NULL AND any_value(lo) IS NOT NULL AND any_value(lo) = any_value(hi)
                             THEN CAST(any_value(lo) AS VARCHAR)
                        WHEN bin IS NULL THEN '(none)'
                        ELSE printf('%.6g – %.6g', any_value(lo) + bin * (any_value(hi) - any_value(lo)) / {bins},
                                    any_value(lo) + (bin + 1) * (any_value(hi) - any_value(lo)) / {bins}) END AS value,
                   count(*) AS endpoints
            FROM b GROUP BY bin"""
    else:
        sql = f"SELECT coalesce(CAST({quote(col)} AS VARCHAR), '(none)') AS value, count(*) AS endpoints FROM {base} GROUP BY 1"
    total = f"(SELECT count(*) FROM {base})"
    frame = project.query(
        f"SELECT value, endpoints, endpoints / {total} AS share FROM ({sql}) ORDER BY endpoints DESC, value",
    )
    if top is not None and frame.height > top:
        head, rest = frame.head(top), frame.slice(top)
        other = pl.DataFrame(
            {"value": ["(other)"], "endpoints": [rest["endpoints"].sum()], "share": [rest["share"].sum()]},
            schema=frame.schema,
        )
        frame = pl.concat([head, other])
    return frame.with_columns(pl.lit(col).alias("column")).select("column", "value", "endpoints", "share")
