"""Retention cohorts: who came back, by the day, week or month they were first seen (or first did an event).

Like PostHog's first-time retention: an actor belongs to the cohort of the period (day/week/month) in which
they *first* appear in the whole event log (``cohort="first_seen"``: any event) or first perform
``start_event`` (``cohort="first_event"``); only cohorts that start inside the date range are shown. Period
k counts the cohort members who perform ``return_event`` (default: any event) in the k-th period after the
cohort's period; period 0 is the cohort period itself (by definition 100% when returning on any event).
Period 0 is always shown, even while the cohort's period is still running (its members are known as soon as they
appear); a later period that is not over by the last day of data is ``null`` rather than a falsely low rate, so
the newest cohort shows period 0 and blanks after it.

This is *cohort* retention ("week 1" = the calendar week after the cohort's first week). The day-based KPIs
``day-N-retention-rate`` / ``week-N-retention-rate`` (usage.py: active on a day D and again N days, or 7(N-1)+1
to 7N days, later) are another definition under other names.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import polars as pl

from ..errors import InputError
from ._common import check_event_type, scope_of, sql_date, sql_str, user_key

if TYPE_CHECKING:
    from ..store import Store

Period = Literal["day", "week", "month"]
_PERIOD_DAYS = {"day": 1, "week": 7, "month": 31}


def retention_cohorts(
    project: Store,
    start=None,
    end=None,
    segment=None,
    *,
    period: Period = "week",
    cohort: Literal["first_seen", "first_event"] = "first_seen",
    start_event: str | None = None,
    return_event: str | None = None,
    periods: int = 8,
    who: Literal["endpoint", "user"] = "endpoint",
    **kw,
) -> pl.DataFrame:
    """Cohort table: ``cohort`` (period start date), ``cohort_size``, ``period`` (k), ``retained``, ``rate``."""
    if period not in _PERIOD_DAYS:
        raise InputError(f"period is day, week or month, not {period!r}", field="period")
    if cohort not in ("first_seen", "first_event"):
        raise InputError(f"cohort is first_seen or first_event, not {cohort!r}", field="cohort")
    if cohort == "first_event" and not start_event:
        raise InputError(
            "a first_event cohort needs start_event (the event that defines it)", field="start_event"
        )
    for event in (start_event, return_event):
        if event:
            check_event_type(project, event)
    if periods < 1:
        raise InputError("periods must be at least 1", field="periods")
    s = scope_of(project, start, end, segment, **kw)
    actor = "e.client_id" if who == "endpoint" else user_key()
    join = " LEFT JOIN endpoints ep ON ep.Id = e.client_id" if who == "user" else ""
    horizon = s.end + timedelta(days=_PERIOD_DAYS[period] * (periods + 1))
    all_events = s.events(start=s.data_start or s.start, end=horizon)
    entry_cond = f"e.event_type = {sql_str(start_event)}" if cohort == "first_event" else "true"
    return_cond = f"e.event_type = {sql_str(return_event)}" if return_event else "true"
    unit = period
    last = s.data_end or s.end
    # One pass over the events: each actor's periods, and whether the actor entered or returned in each (the
    # first entered period is the cohort: the period of the first entry day).
    sql = f"""
        WITH periods AS (
            SELECT {actor} AS actor, date_trunc('{unit}', e.date) AS p,
                   bool_or({entry_cond}) AS entered, bool_or({return_cond}) AS returned
            FROM {all_events} e{join} GROUP BY 1, 2
        ),
        firsts AS (SELECT actor, min(p) AS cohort FROM periods WHERE entered GROUP BY actor),
        members AS (
            SELECT * FROM firsts
            WHERE cohort BETWEEN date_trunc('{unit}', {sql_date(s.start)}) AND {sql_date(s.end)}
        ),
        returns AS (SELECT actor, p FROM periods WHERE returned),
        steps AS (SELECT range AS k FROM range(0, {periods + 1})),
        sizes AS (SELECT cohort, count(*) AS cohort_size FROM members GROUP BY cohort),
        hits AS (
            SELECT m.cohort, datediff('{unit}', m.cohort, r.p) AS k, count(*) AS retained
            FROM members m JOIN returns r ON r.actor = m.actor AND r.p >= m.cohort
            GROUP BY ALL
        )
        SELECT CAST(z.cohort AS DATE) AS cohort, z.cohort_size, CAST(st.k AS INTEGER) AS period,
               coalesce(h.retained, 0) AS retained,
               CASE WHEN st.k = 0 OR z.cohort + to_{unit}s(CAST(st.k + 1 AS INTEGER)) - INTERVAL 1 DAY <= {sql_date(last)}
                    THEN coalesce(h.retained, 0) / z.cohort_size END AS rate
        FROM sizes z CROSS JOIN steps st
        LEFT JOIN hits h ON h.cohort = z.cohort AND h.k = st.k
        ORDER BY cohort, period"""
    return project.query(sql)
