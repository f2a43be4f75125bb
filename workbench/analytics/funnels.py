"""Funnels: ordered steps, a conversion window from the first step, entry-date cohorting, breakdowns.

Semantics (chosen to avoid the traps PostHog users report, reference/peers.md):

- An *actor* (an endpoint, or a user with ``by="user"``) *enters* the funnel with a step-1 event whose time is
  inside the date range (``start`` 00:00 to the end of ``end``: the end day is whole).
- From an entry, step k is the earliest step-k event at or after the step k-1 event (strictly after when both
  steps are the same event type, so one event never fills two steps), no later than entry time + ``window``.
  The window may run past the end of the range: the range says who entered, not who finished (PostHog #44204).
- Which attempt counts when an actor enters several times: every step-1 event in the range is tried as an
  entry; the actor counts once, with **the attempt that reaches the furthest step; on a tie, the earliest of
  those attempts** (not the latest, as PostHog's "latest step-1 before step 2" gives). Its times give the
  medians and its endpoint the breakdown value.
- Per step: ``count`` (actors reaching it), ``conversion`` (from step 1), ``conversion_from_previous``,
  ``drop_off`` (actors lost since the previous step), and the median seconds from the previous step and from
  step 1 for those who reached it.

How: one DuckDB scan (the steps' event types and the times that can be on a path pushed into the Parquet
scan, no sort) returns a 128-bit key per step event: the actor's hash, then the time since the start of the
range and a bitmask of the steps the event matches (:func:`_keys_sql`). Polars sorts the keys as numbers, which
sorts the events by actor and time about four times faster than DuckDB's ORDER BY on two columns and leaves
nothing to gather; NumPy reads them back as 64-bit words. :func:`_walk` follows every entry's greedy path
forwards over the sorted rows (one lookup per step, no join; an entry drops out once past the window) and picks
each actor's attempt, a part of the stream (cut at actor boundaries) at a time; DuckDB summarises the chosen
paths. A breakdown (its rows need their endpoint id) and keys that would not fit (many steps over a long range)
take the general path: the same scan as columns, sorted by DuckDB (:func:`_steps_sql`). On 10M events the
funnel took 1.7-2.3x one full scan (bench_funnel.py --ab), against 2.4-3.6x with DuckDB's sort in the same
spells on a shared 2-core machine; the SQL before that (a hash join per step carrying every step-1 event) was
1.1-1.6x slower again (README, Performance).
"""

from __future__ import annotations

import html
import itertools
import re
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import InputError
from ..store import schema
from ..store.schema import quote
from ._common import (
    Scope,
    check_column,
    parse_duration,
    scope_of,
    sql_str,
    user_key,
)
from .events import EventSpec, EventTypeWarning, no_data_note, unknown_event_types
from .tables import table_html

if TYPE_CHECKING:
    from ..store import Store

DEFAULT_WINDOW = "7d"
MAX_STEPS = 20
_EPOCH = date(1970, 1, 1)
_MISSED = np.iinfo(np.int64).min  # a step not reached (no time is this early)


#: The steps table as a reader sees it (this result in a notebook, the Funnels dashboard): each column and how its
#: figures read (analytics/tables.py kinds).
STEP_TABLE = {
    "step": "count",
    "label": "text",
    "count": "count",
    "conversion": "rate",
    "conversion_from_previous": "rate",
    "drop_off": "count",
    "median_seconds_from_previous": "duration",
}


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
    #: what a reader should know about an empty result ("No events between ..."), else None
    note: str | None = None
    #: steps naming event types the log does not have (with the close names it does have)
    warnings: list[str] = field(default_factory=list)

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
            "note": self.note,
            "warnings": list(self.warnings),
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

    def _repr_html_(self) -> str:
        head = (
            f"<b>Funnel</b> ({self.by}s, window {_fmt_window(self.window)}, entered "
            f"{self.scope.start} to {self.scope.end})"
        )
        notes = "".join(f"<p>{html.escape(t)}</p>" for t in [self.note, *self.warnings] if t)
        steps = self.overall.select(list(STEP_TABLE))
        return head + notes + table_html(steps, STEP_TABLE, max_rows=max(steps.height, 1))


def _step_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "step": row["step"],
        "event": row["event"],
        "label": row["label"],
        "count": row["count"],
        "conversion": row["conversion"],
        "conversion_from_previous": row["conversion_from_previous"],
        "drop_off": row["drop_off"],
        "drop_off_rate": row["drop_off_rate"],
        "median_seconds_to_convert": row["median_seconds_from_previous"],
        "median_seconds_from_start": row["median_seconds_from_start"],
    }


def _fmt_window(w: timedelta) -> str:
    s = int(w.total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % n == 0:
            return f"{s // n}{unit}"
    return f"{s}s"


_BARE_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def parse_window(value: str | int | float | timedelta) -> timedelta:
    """A funnel's conversion window: text needs a unit (``"7d"``, ``"24h"``, ``"90m"``, ``"2w"``, ``"30s"``), so
    that ``"3"`` is not read as three seconds; a number (Python only) is seconds, a timedelta is itself."""
    if isinstance(value, str) and _BARE_NUMBER.match(value):
        n = value.strip()
        raise InputError(
            f"{value!r} is not a duration: give it a unit, e.g. {n}d (days), {n}h (hours), {n}m (minutes), "
            f"{n}w (weeks) or {n}s (seconds)",
            field="window",
        )
    return parse_duration(value, "window")


def window_words(window: str | int | float | timedelta) -> str:
    """A window in words, in the largest unit that divides it: "7 days", "24 hours" -> "1 day", "90 minutes"."""
    seconds = int(parse_window(window).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n:,} {unit}{'' if n == 1 else 's'}"
    return f"{seconds:,} seconds"


def funnel(
    project: Store,
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
    win = parse_window(window)
    s = scope_of(project, start, end, segment, **kw)
    column = check_column(project, breakdown) if breakdown else None
    sql = funnel_sql(s, specs, win, by=by, breakdown=column)
    table = _long(_run_funnel(project, s, specs, win, by, column), len(specs))
    problems: list[str] = []
    if table.filter(pl.col("count") == 0).height or table.is_empty():
        # a step nobody reached: say so when it is because the event type does not occur at all. A warning, not
        # an error: a funnel defined before its events arrive (a new app release) is a fair thing to ask for.
        problems = unknown_event_types(project, [sp.event_type for sp in specs])
        for message in problems:
            warnings.warn(message, EventTypeWarning, stacklevel=2)
    table = _finish(table, specs, column is not None)
    note = no_data_note(s)
    if note is None and table.get_column("count").max() in (0, None):
        note = f"Nobody entered the funnel: no {specs[0].name!r} events between {s.start} and {s.end}" + (
            " in this segment." if s.endpoint_filter else "."
        )
    return FunnelResult(specs, win, s, table, by=by, breakdown=column, sql=sql, note=note, warnings=problems)


def funnel_sql(
    scope: Scope, specs: list[EventSpec], window: timedelta, *, by: str, breakdown: str | None
) -> str:
    """The two SQL statements around the path search, for reading (see the module docstring).

    The first reads the step events: :func:`_keys_sql` (sorted by Polars) when :func:`_keyed` says the keys fit,
    else :func:`_steps_sql` (sorted by DuckDB); NumPy then finds each actor's path (:func:`_best_paths`); the
    second summarises those paths, registered as ``funnel_paths`` (:func:`_summary_sql`).
    """
    if _keyed(scope, specs, window, breakdown):
        first = _keys_sql(scope, specs, window, by=by) + ";\n-- sorted by key (Polars)"
    else:
        first = _steps_sql(scope, specs, window, by=by, breakdown=breakdown) + ";"
    return (
        first
        + "\n-- each actor's best path (NumPy, _best_paths) registered as funnel_paths\n"
        + _summary_sql(len(specs), "funnel_paths", breakdown)
    )


@dataclass(frozen=True)
class _Bounds:
    """The times that matter, in epoch microseconds: entries in [``origin``, ``entry_end``), any step before
    ``last`` (an entry just before ``entry_end`` plus the window)."""

    origin: int
    entry_end: int
    window: int

    @classmethod
    def of(cls, scope: Scope, window: timedelta) -> _Bounds:
        def epoch_us(day) -> int:
            return (day - _EPOCH).days * 86_400_000_000

        return cls(epoch_us(scope.start), epoch_us(scope.end + timedelta(days=1)), _window_us(window))

    @property
    def last(self) -> int:
        return self.entry_end + self.window


def _window_us(window: timedelta) -> int:
    """The window in microseconds, to the millisecond."""
    return int(window.total_seconds() * 1000) * 1000


def _keyed(scope: Scope, specs: list[EventSpec], window: timedelta, breakdown: str | None) -> bool:
    """Whether the fast path applies: no breakdown (its rows need their endpoint id) and the microseconds since
    the start of the range fit beside the step bits in the key's low 64 bits (4 steps: 36,000 years of range
    plus window; 20 steps: 203 days)."""
    b = _Bounds.of(scope, window)
    return breakdown is None and (b.last - b.origin).bit_length() + len(specs) <= 64


def _sources(scope: Scope, specs: list[EventSpec], window: timedelta, by: str) -> tuple[str, str, str, str]:
    """What both step queries share: the actor expression, the FROM clause, the WHERE clause (events of the
    steps' types at a time that can be on a path, pushed into the Parquet scan; when a step has conditions,
    only events matching some step) and the step bitmask (bit k-1 set when the event matches step k; step 1
    only inside the date range)."""
    b = _Bounds.of(scope, window)
    last_day = scope.end + timedelta(days=int(window.total_seconds() // 86400) + 1)
    types = sorted({sp.event_type for sp in specs})
    src = scope.events(event_types=types, start=scope.start, end=last_day)
    actor = "e.client_id" if by == "endpoint" else user_key()
    join = " LEFT JOIN endpoints ep ON ep.Id = e.client_id" if by == "user" else ""
    by_type = []
    for event_type in types:
        bits = []
        for i, sp in enumerate(specs):
            if sp.event_type != event_type:
                continue
            conds = [sp.condition("e")] if sp.attributes or sp.metrics else []
            if i == 0:
                conds.append(f"e.event_timestamp < make_timestamp({b.entry_end})")
            bits.append(f"CASE WHEN {' AND '.join(conds)} THEN {1 << i} ELSE 0 END" if conds else str(1 << i))
        by_type.append(f"WHEN {sql_str(event_type)} THEN {' + '.join(bits)}")
    mask = f"CASE e.event_type {' '.join(by_type)} ELSE 0 END"
    where = (
        f"e.event_timestamp >= make_timestamp({b.origin}) AND e.event_timestamp < make_timestamp({b.last})"
    )
    if any(sp.attributes or sp.metrics for sp in specs):
        where += f" AND ({mask}) <> 0"
    return actor, f"{src} e{join}", where, mask


def _keys_sql(scope: Scope, specs: list[EventSpec], window: timedelta, *, by: str) -> str:
    """One scan, unsorted: a DECIMAL(38, 0) ``key`` per event matching any step, whose high 64 bits are the
    actor (a 62-bit hash of the endpoint or user id, so that every key is a valid DECIMAL(38, 0): a collision
    is about as likely as 1 in 9 million for a million actors) and whose low 64 bits are the microseconds since
    the start of the range, shifted left by the number of steps, plus the step bitmask (bit k-1 set when the
    event matches step k; step 1 only inside the date range). Sorting the keys as numbers sorts the events by
    actor and time."""
    actor, src, where, bits = _sources(scope, specs, window, by)
    origin = _Bounds.of(scope, window).origin
    return (
        f"SELECT CAST((CAST(hash({actor}) >> 2 AS HUGEINT) << 64) + "
        f"(CAST(epoch_us(e.event_timestamp) - {origin} AS HUGEINT) << {len(specs)}) + {bits} "
        f"AS DECIMAL(38, 0)) AS key FROM {src} WHERE {where}"
    )


def _steps_sql(
    scope: Scope, specs: list[EventSpec], window: timedelta, *, by: str, breakdown: str | None
) -> str:
    """The general path's scan: a row per event matching any step, ``actor`` (a 64-bit hash of the endpoint or
    user id: a collision is about as likely as 1 in 30 million for a million actors), ``ts`` (microseconds
    since the start of the range) and ``steps`` (the bitmask of :func:`_keys_sql`), sorted by actor and time
    (and endpoint id, for a breakdown by user).
    """
    actor, src, where, bits = _sources(scope, specs, window, by)
    origin = _Bounds.of(scope, window).origin
    return (
        f"SELECT hash({actor}) AS actor, epoch_us(e.event_timestamp) - {origin} AS ts, "
        f"CAST({bits} AS {_mask_type(len(specs))}) AS steps"
        f"{', e.client_id' if breakdown else ''} FROM {src} WHERE {where} "
        # a user entering from two endpoints at the same instant: the smaller client_id wins, every run
        + ("ORDER BY actor, ts, e.client_id" if by == "user" and breakdown else "ORDER BY actor, ts")
    )


def _mask_type(n: int) -> str:
    return "UTINYINT" if n <= 8 else "USMALLINT" if n <= 16 else "UINTEGER"


_MASK_DTYPES = {"UTINYINT": np.uint8, "USMALLINT": np.uint16, "UINTEGER": np.uint32}


@dataclass
class _Stream:
    """The step events sorted by actor and time, in one of two layouts: ``words``, the (low, high) 64-bit words
    of the sorted keys of :func:`_keys_sql` (high: the actor; low: the time shifted left by ``shift``, plus the
    step bits), decoded a part at a time; or the columns ``actor``, ``ts`` and ``steps`` of
    :func:`_steps_sql`. Times count microseconds from ``origin`` (epoch microseconds); ``client_id`` is each
    event's endpoint id, for a breakdown."""

    origin: int
    shift: int = 0
    words: np.ndarray | None = None
    columns: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    client_id: pa.ChunkedArray | None = None

    def __len__(self) -> int:
        return len(self.words) if self.words is not None else len(self.columns[1])

    @property
    def actor(self) -> np.ndarray:
        return self.words[:, 1] if self.words is not None else self.columns[0]

    def rows(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``actor``, ``ts`` and ``steps`` of rows ``lo`` to ``hi``."""
        if self.words is None:
            return tuple(c[lo:hi] for c in self.columns)
        low = self.words[lo:hi, 0]
        steps = np.empty(len(low), dtype=_MASK_DTYPES[_mask_type(self.shift)])
        np.bitwise_and(low, np.uint64((1 << self.shift) - 1), out=steps, casting="unsafe")
        return self.words[lo:hi, 1], (low >> np.uint64(self.shift)).view(np.int64), steps

    def times(self, rows: np.ndarray) -> np.ndarray:
        """Epoch microseconds of the given rows."""
        if self.words is None:
            return self.columns[1][rows] + self.origin
        return (self.words[rows, 0] >> np.uint64(self.shift)).view(np.int64) + self.origin


def _keyed_stream(con, scope: Scope, specs: list[EventSpec], window: timedelta, by: str) -> _Stream:
    """The fast path: the unsorted keys of :func:`_keys_sql`, sorted as 128-bit numbers by Polars (no gather
    afterwards), read back as (low, high) words. Saves 18-49% of benchmarks/bench_funnel.py --ab (10M events)."""
    keys = con.sql(_keys_sql(scope, specs, window, by=by)).to_arrow_table().column("key")
    stream = _Stream(_Bounds.of(scope, window).origin, len(specs), words=np.zeros((0, 2), dtype=np.uint64))
    if len(keys):
        ordered = pl.from_arrow(keys, rechunk=False).sort().to_arrow()  # one chunk of 128-bit integers
        stream.words = np.frombuffer(
            ordered.buffers()[1], dtype=np.uint64, count=2 * len(ordered), offset=16 * ordered.offset
        ).reshape(-1, 2)
    return stream


def _ordered_stream(
    con, scope: Scope, specs: list[EventSpec], window: timedelta, by: str, breakdown: str | None
) -> _Stream:
    """The general path: :func:`_steps_sql`, sorted by DuckDB."""
    events = con.sql(_steps_sql(scope, specs, window, by=by, breakdown=breakdown)).to_arrow_table()
    return _Stream(
        _Bounds.of(scope, window).origin,
        columns=tuple(events.column(c).to_numpy() for c in ("actor", "ts", "steps")),
        client_id=events.column("client_id") if breakdown else None,
    )


def _best_paths(stream: _Stream, specs: list[EventSpec], window: timedelta) -> pa.Table:
    """Each actor's best path from the sorted step events: ``reached``, ``t1`` .. ``tn`` (epoch microseconds,
    null past ``reached``) and, for a breakdown, the entry's ``client_id``.

    Actors are independent, so :func:`_walk` follows the stream one part at a time (:func:`_parts`), in one
    thread: walking the parts in two threads saved only about 8% of bench_funnel.py on a shared 2-core machine.
    """
    n = len(specs)
    win_us = _window_us(window)
    strict = [k > 0 and specs[k].event_type == specs[k - 1].event_type for k in range(n)]
    found = []
    for lo, hi in _parts(stream.actor):
        rows = _walk(*stream.rows(lo, hi), strict, win_us)
        times = [stream.times(np.maximum(r, 0) + lo) for r in rows]
        for r, t in zip(rows[1:], times[1:], strict=True):
            t[r < 0] = _MISSED
        found.append([rows[0] + lo, *times])
    entry_rows, *times = (np.concatenate(column) for column in zip(*found, strict=True))
    missed = [t == _MISSED for t in times]
    cols = {"reached": pa.array(n - np.sum(missed, axis=0, dtype=np.int32))}
    cols |= {
        f"t{k}": pa.array(t, mask=m) for k, (t, m) in enumerate(zip(times, missed, strict=True), start=1)
    }
    if stream.client_id is not None:
        cols["client_id"] = stream.client_id.take(entry_rows)
    return pa.table(cols)


_PART_ROWS = 250_000


def _parts(actor: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges of about ``_PART_ROWS`` rows, cut at actor boundaries: the walk's temporaries stay small.
    Saves 23-50% of benchmarks/bench_funnel.py --ab (10M events) against walking the stream as one part."""
    size = len(actor)
    count = -(-size // _PART_ROWS) or 1
    cuts = [0] + [_actor_end(actor, size * i // count) for i in range(1, count)] + [size]
    return [(lo, hi) for lo, hi in itertools.pairwise(cuts) if hi > lo] or [(0, 0)]


def _actor_end(actor: np.ndarray, row: int) -> int:
    """The first row at or after ``row`` that starts an actor (the rows are sorted by actor)."""
    if row <= 0 or row >= len(actor):
        return min(max(row, 0), len(actor))
    width = 1024
    while row < len(actor):
        other = np.flatnonzero(actor[row : row + width] != actor[row - 1])
        if len(other):
            return row + int(other[0])
        row, width = row + width, width * 2
    return len(actor)


def _walk(
    actor: np.ndarray, ts: np.ndarray, mask: np.ndarray, strict: list[bool], win_us: int
) -> list[np.ndarray]:
    """Each actor's best path in one part of the sorted stream: per step, the row of the chosen entry's step
    event (-1 past the step it reached), one row per actor that has an entry.

    Every entry (step-1 event) follows its greedy path forwards, one step at a time, with no join and no
    further sort: step k is the first step-k event at or after the step k-1 event (strictly after when the two
    steps are the same event type, ``strict``), of the same actor. Rows are positions in the sorted stream, so
    "the first step-k event after" is a binary search among the step-k positions (a running count of the
    step-k rows when there are many entries to look up); events of one actor at the same instant count as
    after each other. An entry stops at the first step it misses or reaches after the window (the greedy times
    only grow, so no later step is inside the window either). Each actor keeps the entry that reaches
    furthest, the first one in time on a tie.
    """
    n, size = len(strict), len(ts)
    pos = np.int32 if size < 2**31 - 1 else np.int64
    tied = ts[1:] == ts[:-1]  # row i + 1 is at the same instant as row i (same actor: checked only when any)
    ties = bool(tied.any())
    if ties:
        tied &= actor[1:] == actor[:-1]
        ties = bool(tied.any())
    if ties:  # first and last row of each row's run of same-actor, same-instant rows
        index = np.arange(size, dtype=pos)
        tie_first = np.maximum.accumulate(np.where(np.append(True, ~tied), index, 0))
        tie_last = np.minimum.accumulate(np.where(np.append(~tied, True), index, size)[::-1])[::-1]
    del tied
    is_k = np.empty(size, dtype=bool)
    np.not_equal(mask & 1, 0, out=is_k)
    entries = np.flatnonzero(is_k)
    entry_actor = actor[entries]
    limit = ts[entries] + win_us
    reached = np.ones(len(entries), dtype=np.int8)
    live, at = None, entries  # the entries still inside the window (None: all) and their row at the last step
    walked: list[tuple[np.ndarray, np.ndarray]] = []
    before = None
    for k in range(1, n):
        if not len(at):
            break
        np.not_equal(mask & (1 << k), 0, out=is_k)
        tgt = np.flatnonzero(is_k)
        if not len(tgt):
            break
        start = (tie_last if strict[k] else tie_first)[at] if ties else at
        first = start + 1 if strict[k] else start
        if len(first) * 8 > size:  # many searches: one pass over the rows is cheaper
            if before is None:
                before = np.zeros(size + 1, dtype=pos)
            np.cumsum(is_k, out=before[1:])  # step-k rows before each row
            nxt = before[first]
        else:
            nxt = np.searchsorted(tgt, first)
        ok = nxt < len(tgt)
        nxt[~ok] = 0
        at = tgt[nxt]
        ok &= actor[at] == (entry_actor if live is None else entry_actor[live])
        ok &= ts[at] <= (limit if live is None else limit[live])
        live = np.flatnonzero(ok) if live is None else live[ok]
        at = at[ok]
        reached[live] = k + 1
        walked.append((live, at))
    del before, is_k
    # per actor, the first entry (in time) with the largest reach: the smallest (n - reached, entry number)
    chosen = np.zeros(0, dtype=np.int64)
    if len(entries):
        starts = np.flatnonzero(np.append(True, entry_actor[1:] != entry_actor[:-1]))
        code = np.arange(len(entries), dtype=np.int64)
        code += (n - reached.astype(np.int64)) * len(entries)
        chosen = np.minimum.reduceat(code, starts) % len(entries)
    got = reached[chosen]
    rows = [entries[chosen].astype(np.int64)]
    for k in range(2, n + 1):
        step_rows = np.full(len(chosen), -1, dtype=np.int64)
        if k - 2 < len(walked):  # the chosen entries that reached step k are among the live ones
            live, at = walked[k - 2]
            hit = got >= k
            step_rows[hit] = at[np.searchsorted(live, chosen[hit])]
        rows.append(step_rows)
    return rows


def _summary_sql(n: int, paths: str, breakdown: str | None) -> str:
    """Per-step counts and medians over the best paths (``reached``, ``t1`` .. ``tn`` in epoch microseconds): one
    row for everyone (``breakdown`` NULL) and, with a breakdown, one row per value of that endpoint column.

    An attribute holds a list of values: a path counts under each of its endpoint's values (as a segment's
    breakdown counts it), and under ``(none)`` when there is none."""
    times = ", ".join(f"make_timestamp(t{k}) AS t{k}" for k in range(1, n + 1))
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
    columns = ", ".join(aggs)
    if not breakdown:
        return f"WITH best AS (SELECT reached, {times}, NULL AS breakdown FROM {paths})\n" + (
            f"SELECT breakdown, {columns} FROM best GROUP BY breakdown"
        )
    column = f"e.{quote(breakdown)}"
    family = schema.attribute_family(breakdown)
    if family is not None and family[0] != "Metrics.":  # a list in the endpoints view
        value = f"unnest(CASE WHEN len({column}) > 0 THEN list_distinct({column}) ELSE [NULL] END)"
    else:
        value = f"CAST({column} AS VARCHAR)"
    return (
        f"WITH best AS (SELECT reached, {times}, client_id FROM {paths}),\n"
        f"labels AS (SELECT e.Id, {value} AS label FROM endpoints e WHERE e.Id IN (SELECT client_id FROM best))\n"
        f"SELECT coalesce(l.label, '(none)') AS breakdown, {columns} FROM best b "
        "LEFT JOIN labels l ON l.Id = b.client_id GROUP BY 1\n"
        f"UNION ALL SELECT NULL, {columns} FROM best"
    )


def _run_funnel(
    project: Store, scope: Scope, specs: list[EventSpec], window: timedelta, by: str, breakdown: str | None
) -> pl.DataFrame:
    """Scan and sort (the fast path when :func:`_keyed`, else the general one), find the paths, summarise: one
    connection (the shared one when there is one)."""
    with project.connect(read_only=True) as con:
        if _keyed(scope, specs, window, breakdown):
            stream = _keyed_stream(con, scope, specs, window, by)
        else:
            stream = _ordered_stream(con, scope, specs, window, by, breakdown)
        paths = _best_paths(stream, specs, window)
        del stream
        name = f"funnel_paths_{uuid.uuid4().hex}"
        con.register(name, paths)
        try:
            return con.sql(_summary_sql(len(specs), name, breakdown)).pl()
        finally:
            con.unregister(name)


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
    # everyone first, then each breakdown value in order (SQL returns the grouping sets' rows in no set order)
    values = ["(all)", *raw.get_column("breakdown").drop_nulls().unique().sort().to_list()]
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
