"""Usage: active endpoints and users, new ones, sessions, retention, sticky factor, session heat map, sign-ins.

Computed the way AWS told Pinpoint users to compute the old dashboard KPIs from the event stream
(reference: Mobile Analytics ``migrate-api``, "KPI Metrics Based on Event Data"):

- *active* on a day = had a ``_session.start`` that day (distinct ``client_id`` for endpoints; for users, the
  event's user id, else the endpoint's ``User.UserId``, else the endpoint itself);
- *monthly active* on day D = active on any day in the 30 days ending on D;
- *new* on day D = first ever ``_session.start`` on D (the whole log counts, not only the range);
- *sessions* = count of ``_session.start`` events;
- *day-N retention* of day D = of those active on D, the share active again on day D+N; *week-N* = again in
  days D+7(N-1)+1 .. D+7N; *seven-day retention rate* (the console's) = again on any of the next 7 days;
- *sticky factor* = daily active endpoints / monthly active endpoints.

A retention figure whose follow-up days run past the last day of data is ``null`` (not yet known), rather
than a falsely low number. Every function returns a Polars DataFrame with one row per day of the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import polars as pl

from ..errors import InputError
from ._common import SESSION_START, Scope, day_spine, scope_of, shared_answer, sql_date, sql_str, user_key

if TYPE_CHECKING:
    from ..store import Store

Who = Literal["endpoint", "user"]
MONTH_DAYS = 30
AUTH_EVENTS = {
    "sign_ins": "_userauth.sign_in",
    "sign_ups": "_userauth.sign_up",
    "auth_failures": "_userauth.auth_fail",
}


def _actor(who: Who) -> str:
    """The column of :func:`session_days` that names an active endpoint or user."""
    if who not in ("endpoint", "user"):
        raise InputError(f"count by 'endpoint' or 'user', not {who!r}", field="who")
    return "client_id" if who == "endpoint" else "user_key"


#: The retention windows of the usage figures: seven-day (the console's) and day 1, asked for together so that
#: a page showing both computes them in one pass.
USAGE_RETENTION = ((1, 7), (1, 1))

#: Days after the range that the usage views' slice of the log covers (retention looks up to 14 days ahead on
#: the dashboards); a view that looks further asks for a wider slice.
DAYS_AFTER = 31


def session_days(project: Store, scope: Scope, days_after: int = DAYS_AFTER) -> str:
    """The days each endpoint and user started a session, from 29 days before the range (monthly actives look
    back) to ``days_after`` days after it (retention looks ahead), for the scope's audience.

    A relation of ``date, client_id, user_key, sessions`` (``sessions``: the ``_session.start`` events of that
    endpoint and user on that day). The usage views read it, filtered by date; inside ``reading()`` (a
    dashboard) it is computed once (``Store.shared_table``).
    """
    lo = scope.start - timedelta(days=MONTH_DAYS - 1)
    hi = scope.end + timedelta(days=max(days_after, DAYS_AFTER))
    return project.shared_table(f"""
        SELECT e.date, e.client_id, {user_key()} AS user_key, count(*) AS sessions
        FROM {scope.events(event_types=[SESSION_START], start=lo, end=hi)} e
        LEFT JOIN endpoints ep ON ep.Id = e.client_id
        GROUP BY ALL""")


def active_days(project: Store, scope: Scope, who: Who, days_after: int = DAYS_AFTER) -> str:
    """The days each endpoint (or user) was active, in :func:`session_days`' slice: a relation of ``actor, date``,
    one row per actor and day."""
    return project.shared_table(
        f"SELECT DISTINCT {_actor(who)} AS actor, date FROM {session_days(project, scope, days_after)}"
    )


def activity_sql(project: Store, scope: Scope, who: Who, start, end) -> str:
    """SQL: the (actor, date) pairs with a ``_session.start`` between ``start`` (at least 29 days before the
    range) and ``end``, each once."""
    days_after = (end - scope.end).days
    return (
        f"SELECT actor, date FROM {active_days(project, scope, who, days_after)} "
        f"WHERE date BETWEEN {sql_date(start)} AND {sql_date(end)}"
    )


def first_days(project: Store, scope: Scope, who: Who) -> str:
    """Each endpoint's (or user's) first ever ``_session.start`` day up to the range's end (the whole log counts):
    a relation of ``actor, first_day``.

    Read from :func:`session_days`' slice, less the actors already active before the slice starts; the log
    before it is read for those actors' ids alone (nothing to read when the log starts inside the slice).
    """
    lo = scope.start - timedelta(days=MONTH_DAYS - 1)
    before = scope.events(
        event_types=[SESSION_START], start=scope.data_start or lo, end=lo - timedelta(days=1)
    )
    earlier = project.shared_table(
        f"SELECT DISTINCT e.client_id, {user_key()} AS user_key FROM {before} e "
        "LEFT JOIN endpoints ep ON ep.Id = e.client_id"
    )
    actor = _actor(who)
    return project.shared_table(f"""
        SELECT f.actor, f.first_day
        FROM (
            SELECT {actor} AS actor, min(date) AS first_day FROM {session_days(project, scope)}
            WHERE date <= {sql_date(scope.end)} GROUP BY 1
        ) f
        ANTI JOIN {earlier} x ON x.{actor} = f.actor""")


def daily_active(
    project: Store, start=None, end=None, segment=None, *, who: Who = "endpoint", **kw
) -> pl.DataFrame:
    """Daily active endpoints (or users): ``date, active``."""
    s = scope_of(project, start, end, segment, **kw)
    sql = f"""
        WITH act AS ({activity_sql(project, s, who, s.start, s.end)})
        SELECT d.date, count(act.actor) AS active
        FROM {day_spine(s.start, s.end)} d LEFT JOIN act ON act.date = d.date
        GROUP BY d.date ORDER BY d.date"""
    return project.query(sql)


def monthly_active(
    project: Store, start=None, end=None, segment=None, *, who: Who = "endpoint", **kw
) -> pl.DataFrame:
    """Monthly active endpoints (or users) on each day: active at least once in the 30 days ending that day.

    Computed in one pass: each active day of an actor covers the days up to 29 later or up to its next active
    day, whichever comes first; a running sum of +1/-1 at interval ends gives the count per day. Answered once
    per ``reading()`` block (the sticky factor asks for it again).
    """
    s = scope_of(project, start, end, segment, **kw)
    lo = s.start - timedelta(days=MONTH_DAYS - 1)
    sql = f"""
        WITH act AS ({activity_sql(project, s, who, lo, s.end)}),
        nxt AS (SELECT actor, date, lead(date) OVER (PARTITION BY actor ORDER BY date) AS next_date FROM act),
        deltas AS (
            SELECT date AS d, 1 AS delta FROM nxt
            UNION ALL
            SELECT least(date + {MONTH_DAYS}, coalesce(next_date, date + {MONTH_DAYS})) AS d, -1 AS delta FROM nxt
        ),
        per_day AS (SELECT d, sum(delta) AS delta FROM deltas GROUP BY d),
        running AS (
            SELECT sp.date, sum(coalesce(p.delta, 0)) OVER (ORDER BY sp.date) AS active
            FROM {day_spine(lo, s.end)} sp LEFT JOIN per_day p ON p.d = sp.date
        )
        SELECT date, CAST(active AS BIGINT) AS active FROM running
        WHERE date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)} ORDER BY date"""
    return shared_answer(project, sql)


def new_active(
    project: Store, start=None, end=None, segment=None, *, who: Who = "endpoint", **kw
) -> pl.DataFrame:
    """New endpoints (or users) per day: their first ever ``_session.start`` is on that day. ``date, new``."""
    s = scope_of(project, start, end, segment, **kw)
    sql = f"""
        SELECT d.date, count(f.actor) AS new
        FROM {day_spine(s.start, s.end)} d LEFT JOIN {first_days(project, s, who)} f ON f.first_day = d.date
        GROUP BY d.date ORDER BY d.date"""
    return project.query(sql)


def sessions(project: Store, start=None, end=None, segment=None, *, users: bool = True, **kw) -> pl.DataFrame:
    """Sessions per day, and sessions per active endpoint and per active user.

    Columns: ``date, sessions, active_endpoints, active_users, sessions_per_endpoint, sessions_per_user``
    (``users=False``: without the two user columns).
    """
    s = scope_of(project, start, end, segment, **kw)
    in_range = f"date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)}"

    def actives(who: Who) -> str:
        # the active days are one row per actor and day already: a count, not a distinct count
        return (
            f"SELECT date, count(*) AS n FROM {active_days(project, s, who)} WHERE {in_range} GROUP BY date"
        )

    no_users = "SELECT NULL::DATE AS date, NULL::BIGINT AS n WHERE false"
    sql = f"""
        WITH per_day AS (
            SELECT date, CAST(sum(sessions) AS BIGINT) AS sessions FROM {session_days(project, s)}
            WHERE {in_range} GROUP BY date
        ),
        ep AS ({actives("endpoint")}),
        us AS ({actives("user") if users else no_users})
        SELECT d.date, coalesce(p.sessions, 0) AS sessions,
               coalesce(ep.n, 0) AS active_endpoints, coalesce(us.n, 0) AS active_users,
               p.sessions / nullif(ep.n, 0) AS sessions_per_endpoint,
               p.sessions / nullif(us.n, 0) AS sessions_per_user
        FROM {day_spine(s.start, s.end)} d LEFT JOIN per_day p ON p.date = d.date
        LEFT JOIN ep ON ep.date = d.date LEFT JOIN us ON us.date = d.date ORDER BY d.date"""
    frame = project.query(sql)
    return frame if users else frame.drop("active_users", "sessions_per_user")


def retention_rate(
    project: Store,
    start=None,
    end=None,
    segment=None,
    *,
    first_day: int = 1,
    last_day: int = 7,
    who: Who = "endpoint",
    **kw,
) -> pl.DataFrame:
    """Of those active on each day D, how many were active again between D+first_day and D+last_day.

    Columns: ``date, active, retained, rate`` (``rate`` is null while the follow-up days are not all in the log).
    ``first_day=last_day=N`` is day-N retention; ``(7(N-1)+1, 7N)`` is week-N; ``(1, 7)`` the console's
    seven-day retention rate.
    """
    window = (first_day, last_day)
    return retention_rates(project, [window], start, end, segment, who=who, **kw)[window]


def retention_rates(
    project: Store,
    windows: Sequence[tuple[int, int]],
    start=None,
    end=None,
    segment=None,
    *,
    who: Who = "endpoint",
    **kw,
) -> dict[tuple[int, int], pl.DataFrame]:
    """:func:`retention_rate` for several ``(first_day, last_day)`` windows, each frame keyed by its window.

    One pass for them all: each active day is joined once with the actor's active days up to the furthest
    window's end, and each window is a flag on that join.
    """
    s = scope_of(project, start, end, segment, **kw)
    windows = list(dict.fromkeys(windows))
    for lo, hi in windows:
        if not 1 <= lo <= hi:
            raise InputError(f"a retention window runs from day 1 or later to a later day, not {lo}..{hi}")
    near, far = min(lo for lo, _ in windows), max(hi for _, hi in windows)
    last_data = s.data_end or s.end
    flags = ", ".join(
        f"bool_or(a.date BETWEEN b.date + {lo} AND b.date + {hi}) AS w{i}"
        for i, (lo, hi) in enumerate(windows)
    )
    retained = ", ".join(f"count(*) FILTER (WHERE w{i}) AS r{i}" for i in range(len(windows)))
    figures = ", ".join(
        f"coalesce(r.r{i}, 0) AS retained_{i}, CASE WHEN d.date + {hi} <= {sql_date(last_data)} "
        f"THEN coalesce(r.r{i}, 0) / nullif(a.active, 0) END AS rate_{i}"
        for i, (_, hi) in enumerate(windows)
    )
    sql = f"""
        WITH act AS ({activity_sql(project, s, who, s.start, s.end + timedelta(days=far))}),
        base AS (SELECT actor, date FROM act WHERE date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)}),
        hits AS (
            SELECT b.date, {flags} FROM base b
            JOIN act a ON a.actor = b.actor AND a.date BETWEEN b.date + {near} AND b.date + {far}
            GROUP BY b.date, b.actor
        ),
        back AS (SELECT date, {retained} FROM hits GROUP BY date),
        active AS (SELECT date, count(*) AS active FROM base GROUP BY date)
        SELECT d.date, coalesce(a.active, 0) AS active, {figures}
        FROM {day_spine(s.start, s.end)} d
        LEFT JOIN active a ON a.date = d.date LEFT JOIN back r ON r.date = d.date
        ORDER BY d.date"""
    frame = shared_answer(project, sql)
    return {
        window: frame.select(
            "date", "active", pl.col(f"retained_{i}").alias("retained"), pl.col(f"rate_{i}").alias("rate")
        )
        for i, window in enumerate(windows)
    }


def day_n_retention(project: Store, n: int, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Day-N retention (active on D and again on D+N) per day D."""
    return retention_rate(project, start, end, segment, first_day=n, last_day=n, **kw)


def week_n_retention(project: Store, n: int, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Week-N retention (active on D and again in days D+7(N-1)+1 .. D+7N) per day D."""
    return retention_rate(project, start, end, segment, first_day=7 * (n - 1) + 1, last_day=7 * n, **kw)


def sticky_factor(
    project: Store, start=None, end=None, segment=None, *, who: Who = "endpoint", **kw
) -> pl.DataFrame:
    """Daily active / monthly active per day: ``date, daily_active, monthly_active, sticky_factor``."""
    s = scope_of(project, start, end, segment, **kw)
    daily = daily_active(project, s, who=who).rename({"active": "daily_active"})
    monthly = monthly_active(project, s, who=who).rename({"active": "monthly_active"})
    return daily.join(monthly, on="date", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("monthly_active") > 0)
        .then(pl.col("daily_active") / pl.col("monthly_active"))
        .alias("sticky_factor")
    )


def session_heatmap(project: Store, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Sessions by weekday and hour (UTC): ``weekday`` (1 = Monday), ``weekday_name``, ``hour``, ``sessions``.

    All 7 x 24 cells are present (zero when no session started then).
    """
    s = scope_of(project, start, end, segment, **kw)
    sql = f"""
        WITH cells AS (
            SELECT w.weekday, h.hour FROM range(1, 8) w(weekday), range(0, 24) h(hour)
        ),
        counts AS (
            SELECT isodow(event_timestamp) AS weekday, hour(event_timestamp) AS hour, count(*) AS sessions
            FROM {s.events(event_types=[SESSION_START])} GROUP BY ALL
        )
        SELECT CAST(c.weekday AS INTEGER) AS weekday,
               ['Mon','Tue','Wed','Thu','Fri','Sat','Sun'][CAST(c.weekday AS INTEGER)] AS weekday_name,
               CAST(c.hour AS INTEGER) AS hour, coalesce(n.sessions, 0) AS sessions
        FROM cells c LEFT JOIN counts n ON n.weekday = c.weekday AND n.hour = c.hour
        ORDER BY c.weekday, c.hour"""
    return project.query(sql)


def authentication(project: Store, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Sign-ins, sign-ups and authentication failures per day (``_userauth.*`` events)."""
    s = scope_of(project, start, end, segment, **kw)
    cols = ", ".join(
        f"coalesce(count(*) FILTER (WHERE e.event_type = {sql_str(t)}), 0) AS {name}"
        for name, t in AUTH_EVENTS.items()
    )
    sql = f"""
        WITH a AS (SELECT date, event_type FROM {s.events(event_types=list(AUTH_EVENTS.values()))})
        SELECT d.date, {cols}
        FROM {day_spine(s.start, s.end)} d LEFT JOIN a e ON e.date = d.date
        GROUP BY d.date ORDER BY d.date"""
    return project.query(sql)


def usage_totals(
    project: Store, start=None, end=None, segment=None, *, users: bool = True, **kw
) -> dict[str, int]:
    """Sessions and distinct active endpoints and (unless ``users=False``) users over the whole range."""
    s = scope_of(project, start, end, segment, **kw)
    sql = f"""
        SELECT CAST(coalesce(sum(sessions), 0) AS BIGINT) AS sessions, count(DISTINCT client_id) AS active_endpoints
               {", count(DISTINCT user_key) AS active_users" if users else ""}
        FROM {session_days(project, s)} WHERE date BETWEEN {sql_date(s.start)} AND {sql_date(s.end)}"""
    return project.query(sql).row(0, named=True)


def usage_summary(
    project: Store, start=None, end=None, segment=None, *, users: bool = True, **kw
) -> dict[str, float | int | None]:
    """Range totals for KPI tiles: distinct active endpoints/users, new ones, sessions, retention, stickiness.

    ``users=False`` leaves out the user figures (``active_users``, ``new_users``, ``daily_active_users``,
    ``monthly_active_users``), for a page that shows endpoints only.
    """
    s = scope_of(project, start, end, segment, **kw)
    totals = usage_totals(project, s, users=users)
    ret = retention_rates(project, USAGE_RETENTION, s)[(1, 7)]
    known = ret.filter(pl.col("rate").is_not_null())
    sticky = sticky_factor(project, s)
    user_figures = {}
    if users:
        user_figures = {
            "new_users": int(new_active(project, s, who="user").get_column("new").sum()),
            "daily_active_users": _mean(daily_active(project, s, who="user").get_column("active")),
            "monthly_active_users": _last(monthly_active(project, s, who="user").get_column("active")),
        }
    return {
        **totals,
        **user_figures,
        "new_endpoints": int(new_active(project, s).get_column("new").sum()),
        "daily_active_endpoints": _mean(sticky.get_column("daily_active")),
        "monthly_active_endpoints": _last(sticky.get_column("monthly_active")),
        "sticky_factor": _mean(sticky.get_column("sticky_factor")),
        "seven_day_retention_rate": (
            known.get_column("retained").sum() / known.get_column("active").sum()
            if known.height and known.get_column("active").sum()
            else None
        ),
        "sessions_per_endpoint": totals["sessions"] / totals["active_endpoints"]
        if totals["active_endpoints"]
        else None,
    }


def _mean(series: pl.Series) -> float | None:
    value = series.drop_nulls().mean()
    return float(value) if value is not None else None


def _last(series: pl.Series) -> int | None:
    values = series.drop_nulls()
    return int(values[-1]) if values.len() else None
