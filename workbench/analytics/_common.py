"""What every analytics view shares: the date range, the audience filter (segment, platform, channel), SQL helpers.

Every view takes the same arguments, resolved here once:

- ``start`` / ``end``: dates (``date``, ``datetime`` or ISO ``YYYY-MM-DD`` text), both inclusive (the whole end day).
  Both left out, the range is the last 30 days *of data present in the event log* (not the wall clock), so an old
  or demo project still shows its data; when the log holds fewer than 30 days, the range is its whole span (7
  days of data give a 7-day range, not 23 days of zeros). One of them given, the other is 30 days away from it.
- ``segment``: a segment name, ``{"where": "<SQL over endpoints>"}``, or ``None``. One function,
  :func:`segment_filter`, turns it into a SQL boolean over the ``endpoints`` table.
- ``platform`` / ``channel``: the dashboards' quick filters (``Demographic.Platform``, ``ChannelType``).

Queries inline their literals through :func:`sql_str` (which escapes quotes): the views compose several CTEs and
inlined, validated literals keep that readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError, UnknownNameError, suggest
from ..segments import segment_sql_filter
from ..store.schema import sql_string as sql_str  # the short name reads better inside SQL f-strings
from ..store.views import event_files, is_outcome_file

if TYPE_CHECKING:
    from ..store import Store

#: Days shown when no range is given (Pinpoint's console defaults to about a month too).
DEFAULT_DAYS = 30

SESSION_START = "_session.start"
PURCHASE = "_monetization.purchase"

DateLike = date | datetime | str | None

#: Friendly names for the standard endpoint dimensions (the Pinpoint column behind each), accepted wherever a
#: view takes an endpoint column (demographics, funnel breakdowns).
DIMENSIONS: dict[str, str] = {
    "platform": "Demographic.Platform",
    "platform-version": "Demographic.PlatformVersion",
    "app-version": "Demographic.AppVersion",
    "make": "Demographic.Make",
    "model": "Demographic.Model",
    "country": "Location.Country",
    "region": "Location.Region",
    "city": "Location.City",
    "locale": "Demographic.Locale",
    "time-zone": "Demographic.Timezone",
    "channel": "ChannelType",
    "status": "EndpointStatus",
    "opt-out": "OptOut",
}


def sql_date(value: date) -> str:
    return f"DATE '{value.isoformat()}'"


def parse_date(value: DateLike, what: str = "date") -> date | None:
    """A ``date`` from ``date``/``datetime``/ISO text; ``None`` stays ``None``; anything else is an InputError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise InputError(f"{value!r} is not a date; write it as YYYY-MM-DD", field=what)


@dataclass(frozen=True)
class Scope:
    """A resolved view scope: an inclusive date range and an endpoint filter (SQL over ``endpoints``, or None).

    ``data_start`` / ``data_end`` are the first and last days present in the event log (None when it is empty).
    ``platform``, ``channel`` and ``where`` are the quick filters as given (they are also in ``endpoint_filter``),
    so a page can name every filter in force.
    """

    start: date
    end: date
    endpoint_filter: str | None = None
    segment: str | None = None
    data_start: date | None = None
    data_end: date | None = None
    platform: str | None = None
    channel: str | None = None
    where: str | None = None

    def filters_in_words(self) -> list[str]:
        """Every audience filter in force, in words: ``["segment vip", "platform iOS", "channel EMAIL"]``."""
        words = [f"segment {self.segment}"] if self.segment else []
        words += [f"platform {self.platform}"] if self.platform else []
        words += [f"channel {self.channel.upper()}"] if self.channel else []
        words += [f"endpoints where {self.where}"] if self.where else []
        return words

    @property
    def days(self) -> int:
        """How many days the range covers (both ends included)."""
        return (self.end - self.start).days + 1

    def with_range(self, start: date, end: date) -> Scope:
        """The same scope over another range of days."""
        return replace(self, start=start, end=end)

    def describe(self) -> dict[str, Any]:
        """The scope for ``--json`` output: start, end and segment."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "segment": self.segment}

    def events(
        self,
        *,
        event_types: list[str] | tuple[str, ...] | None = None,
        start: date | None = None,
        end: date | None = None,
        extra: str | None = None,
    ) -> str:
        """SQL for the scope's events (all columns of the ``events`` view) as a parenthesised subquery.

        ``start``/``end`` override the scope's range (e.g. to look back 29 days for monthly actives).
        """
        lo, hi = start or self.start, end or self.end
        conds = [f"date BETWEEN {sql_date(lo)} AND {sql_date(hi)}"]
        if event_types:
            conds.append("event_type IN (" + ", ".join(sql_str(t) for t in event_types) + ")")
        if self.endpoint_filter:
            conds.append(f"client_id IN (SELECT Id FROM endpoints WHERE {self.endpoint_filter})")
        if extra:
            conds.append(f"({extra})")
        return "(SELECT * FROM events WHERE " + " AND ".join(conds) + ")"

    def endpoints(self) -> str:
        """SQL for the scope's endpoints as a parenthesised subquery."""
        where = f" WHERE {self.endpoint_filter}" if self.endpoint_filter else ""
        return f"(SELECT * FROM endpoints{where})"


def user_key(event_alias: str = "e", endpoint_alias: str = "ep") -> str:
    """SQL for the user an event belongs to: the event's user id, else its endpoint's ``User.UserId``.

    An endpoint without a user id counts as its own (anonymous) user, so user figures never fall below endpoint
    figures for lack of sign-in data.
    """
    return f'coalesce({event_alias}.user_id, {endpoint_alias}."User.UserId", {event_alias}.client_id)'


def segment_filter(project: Store, segment: Any) -> str | None:
    """Resolve a segment to a SQL boolean over ``endpoints`` (None for everyone).

    Accepts a segment name (dynamic or imported, through ``workbench.segments.segment_sql_filter``),
    ``{"where": SQL}``, or an object with a ``sql_filter()`` method.
    """
    if segment is None or segment == "":
        return None
    if isinstance(segment, dict) and "where" in segment:
        return str(segment["where"])
    if hasattr(segment, "sql_filter"):
        return str(segment.sql_filter())
    if isinstance(segment, str):
        return segment_sql_filter(project, segment)
    raise InputError(
        f"a segment is a name or {{'where': SQL}}, not {type(segment).__name__}", field="segment"
    )


def data_bounds(project: Store) -> tuple[date | None, date | None]:
    """The first and last day in the event log, from the folders of its complete batches (no file is opened):
    a day that holds only a killed import's files does not count."""
    return _day_bounds(event_files(project.events_dir))


def _day_bounds(files: list[Path]) -> tuple[date | None, date | None]:
    """The first and last day of the event-log ``files`` (from their day folders)."""
    days = set()
    for file in files:
        try:
            days.add(date.fromisoformat(file.parent.name.removeprefix("date=")))
        except ValueError:
            continue
    if not days:
        return None, None
    return min(days), max(days)


def resolve_scope(
    project: Store,
    start: DateLike = None,
    end: DateLike = None,
    segment: Any = None,
    *,
    platform: str | None = None,
    channel: str | None = None,
    where: str | None = None,
    default_days: int = DEFAULT_DAYS,
) -> Scope:
    """Turn user arguments into a :class:`Scope` (validating dates and names).

    Without ``start`` and ``end``: the last ``default_days`` days of data, or the whole span of the event log when
    it is shorter. An explicit date is kept as given.
    """
    lo, hi = parse_date(start, "start"), parse_date(end, "end")
    files = event_files(project.events_dir)
    first, last = _day_bounds(files)
    given = lo is not None or hi is not None
    if hi is None:
        # the last day of the events imported or recorded: a send today (whose outcome events the workbench
        # writes) must not move a project of older data to a month of nothing
        hi = _day_bounds([f for f in files if not is_outcome_file(f)])[1] or last or date.today()
        if lo is not None and lo > hi:
            hi = lo + timedelta(days=default_days - 1)
    if lo is None:
        lo = hi - timedelta(days=default_days - 1)
        if not given and first is not None and first > lo:
            # A young project: its whole span, not a month that opens on weeks of zeros.
            lo = first
    if lo > hi:
        raise InputError(f"the start {lo} is after the end {hi}", field="start")
    filters = []
    seg = segment_filter(project, segment)
    if seg:
        filters.append(f"({seg})")
    if where:
        filters.append(f"({where})")
    if platform:
        filters.append(f'lower("Demographic.Platform") = lower({sql_str(platform)})')
    if channel:
        filters.append(f"ChannelType = {sql_str(channel.upper())}")
    name = segment if isinstance(segment, str) else ("custom" if segment else None)
    return Scope(
        start=lo,
        end=hi,
        endpoint_filter=" AND ".join(filters) or None,
        segment=name,
        data_start=first,
        data_end=last,
        platform=platform or None,
        channel=channel or None,
        where=where or None,
    )


def scope_of(
    project: Store, start: DateLike = None, end: DateLike = None, segment: Any = None, **kw
) -> Scope:
    """A Scope from arguments, or the Scope itself when one is passed as ``start`` (views call each other)."""
    if isinstance(start, Scope):
        return start
    return resolve_scope(project, start, end, segment, **kw)


def known_event_types(project: Store) -> list[str]:
    """Every event type in the log, most frequent first."""
    frame = project.query("SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC, 1")
    return frame.get_column("event_type").to_list()


def check_event_type(project: Store, event_type: str, known: list[str] | None = None) -> None:
    """UnknownNameError when ``event_type`` never occurs in the log (listing the ones that do)."""
    known = known if known is not None else known_event_types(project)
    if event_type not in known:
        listed = ", ".join(known[:30]) or "none: the event log is empty"
        raise UnknownNameError(
            f"no events of type {event_type!r} in the event log{suggest(event_type, known)}; known types: {listed}"
        )


def check_column(project: Store, column: str) -> str:
    """Resolve an endpoint column (exact, or a friendly alias such as ``platform``); UnknownNameError otherwise."""
    if column in DIMENSIONS:
        return DIMENSIONS[column]
    columns = project.endpoint_columns()
    if column in columns:
        return column
    for prefix in ("Attributes.", "Metrics.", "User.UserAttributes.", "Demographic.", "Location."):
        if prefix + column in columns:
            return prefix + column
    raise UnknownNameError(
        f"no endpoint column {column!r}{suggest(column, list(DIMENSIONS) + columns)}; "
        f"use one of {', '.join(DIMENSIONS)} or an endpoint column ({', '.join(columns[:12])}, ...)"
    )


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float | timedelta, what: str = "window") -> timedelta:
    """``"7d"``, ``"24h"``, ``"90m"``, ``"2w"``, seconds as a number, or a timedelta."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise InputError(f"{value!r} is not a duration; write e.g. 7d, 24h, 30m or 2w", field=what)
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if seconds <= 0:
        raise InputError(f"{value!r}: a duration must be positive", field=what)
    return timedelta(seconds=seconds)


def shared_answer(project: Store, sql: str) -> pl.DataFrame:
    """The answer to ``sql``, computed once per ``reading()`` block (``Store.shared_table``) and read by every
    view that asks again (a dashboard's tiles and charts ask for some figures twice); outside a block, the query.

    Speed: ``benchmarks/bench_dashboards.py`` (the Usage and Retention dashboards).
    """
    return project.query(f"SELECT * FROM {project.shared_table(sql)}")


# --- SQL pieces ------------------------------------------------------------------------------------------


def day_spine(start: date, end: date) -> str:
    """SQL for one row per day (column ``date``) from ``start`` to ``end`` inclusive."""
    return (
        f"(SELECT CAST(d AS DATE) AS date FROM generate_series(CAST({sql_date(start)} AS TIMESTAMP), "
        f"CAST({sql_date(end)} AS TIMESTAMP), INTERVAL 1 DAY) t(d))"
    )
