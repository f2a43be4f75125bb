"""README "Event filters and funnels": the parts of a funnel under the rules, as known answers.

- the path search itself (``_walk``): greedy steps forwards from every entry, the window, "at or after" for
  different event types and strictly after for the same type (same-instant events count as after each other),
  the furthest attempt and the earliest on a tie; hand cases plus random streams against a plain-Python walker;
- how the stream is cut into parts at actor boundaries (``_parts``, ``_actor_end``) and decoded from either
  layout (``_best_paths`` over the keyed words and over the general columns, one part and several);
- when the keyed fast path applies (``_keyed``: the key's 64 low bits, a breakdown), the step mask's type, the
  window in microseconds, the window in words (``window_words``) and in short (``_fmt_window``);
- whole funnels through both paths: a breakdown's every column (``(none)`` for an endpoint without the value),
  by user (a user's endpoints together; the breakdown value of the earliest entry, the smaller endpoint id on a
  tie), step conditions (on step 1 and later steps; same event type with different conditions is strict),
  medians to the millisecond, a window running days past the range, the notes and warnings of empty funnels,
  and the SQL a reader sees in ``result.sql``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from helpers import small_project, stream_event

from workbench.analytics import funnel
from workbench.analytics import funnels as fn
from workbench.analytics._common import Scope
from workbench.analytics.events import EventSpec, EventTypeWarning

F, T = False, True

# --- the path search over a sorted stream (_walk) ----------------------------------------------------------------

# case -> (actor, ts, mask, strict, window, expected rows per step: entry row per actor, then the step rows or -1)
WALKS = {
    "last-instant-in-window": ([1, 1], [0, 100], [1, 2], [F, F], 100, [[0], [1]]),
    "one-past-the-window": ([1, 1], [0, 101], [1, 2], [F, F], 100, [[0], [-1]]),
    "step-2-before-entry": ([1, 1], [0, 5], [2, 1], [F, F], 100, [[1], [-1]]),
    "other-type-same-instant-row-before": ([1, 1], [5, 5], [2, 1], [F, F], 100, [[1], [0]]),
    "other-type-same-instant-row-after": ([1, 1], [5, 5], [1, 2], [F, F], 100, [[0], [1]]),
    "same-type-same-instant": ([1, 1], [5, 5], [3, 3], [F, T], 100, [[0], [-1]]),
    "same-type-later": ([1, 1], [5, 6], [3, 3], [F, T], 100, [[0], [1]]),
    "same-type-three-at-once": ([1, 1, 1, 1], [5, 5, 5, 7], [3, 3, 3, 3], [F, T], 100, [[0], [3]]),
    "other-actor-step": ([1, 2], [0, 1], [1, 2], [F, F], 100, [[0], [-1]]),
    "other-actor-tie": ([1, 2], [3, 3], [1, 2], [F, F], 100, [[0], [-1]]),
    "no-entry": ([1, 1], [0, 1], [2, 4], [F, F, F], 100, [[], [], []]),
    # 0: b 10, c 40 (past 0 + 25): reaches 2; 20: b 30, c 40 (in 45): reaches 3 and counts
    "furthest-attempt": ([1] * 5, [0, 10, 20, 30, 40], [1, 2, 1, 2, 4], [F, F, F], 25, [[2], [3], [4]]),
    # 0 and 40 both reach b (50): the earliest counts
    "tie-earliest": ([1, 1, 1], [0, 40, 50], [1, 1, 2], [F, F], 60, [[0], [2]]),
    # the window counts from the entry, not from the previous step: c at 60 is past 0 + 50
    "window-from-entry": ([1, 1, 1], [0, 40, 60], [1, 2, 4], [F, F, F], 50, [[0], [1], [-1]]),
    "stops-at-first-miss": ([1, 1, 1], [0, 10, 20], [1, 4, 2], [F, F, F], 50, [[0], [2], [-1]]),
    "two-actors": ([1, 1, 2, 2, 2], [0, 9, 1, 2, 30], [1, 2, 1, 1, 2], [F, F], 28,
                   [[0, 3], [1, 4]]),  # actor 2: 1 -> 30 is past, 2 -> 30 in
    # one entry among many rows: the binary-search branch (fewer than size / 8 entries)
    "sparse-entries": ([7] * 12, list(range(12)), [1] + [2] * 11, [F, F], 100, [[0], [1]]),
    "sparse-same-instant": ([7] * 12, [0] * 12, [2] * 5 + [1] + [2] * 6, [F, F], 100, [[5], [0]]),
    "sparse-strict": ([7] * 12, [0] * 6 + [1] * 6, [3] * 12, [F, T], 100, [[0], [6]]),
    "sparse-past": ([7] * 12, [0] + list(range(50, 61)), [1] + [2] * 11, [F, F], 49, [[0], [-1]]),
    "sparse-other-actor": ([7] + [8] * 11, list(range(12)), [1] + [2] * 11, [F, F], 100, [[0], [-1]]),
    "twenty-steps": ([1] * 20, list(range(20)), [1 << k for k in range(20)], [F] * 20, 19,
                     [[0]] + [[k] for k in range(1, 20)]),
    "twenty-steps-last-past": ([1] * 20, list(range(20)), [1 << k for k in range(20)], [F] * 20, 18,
                               [[0]] + [[k] for k in range(1, 19)] + [[-1]]),
}  # fmt: skip

MASK_DTYPE = {8: np.uint8, 16: np.uint16, 32: np.uint32}


def _arrays(actor, ts, mask, n, actor_dtype=np.int64):
    bits = 8 if n <= 8 else 16 if n <= 16 else 32
    return (
        np.array(actor, dtype=actor_dtype),
        np.array(ts, dtype=np.int64),
        np.array(mask, dtype=MASK_DTYPE[bits]),
    )


@pytest.mark.parametrize("actor_dtype", [np.int64, np.uint64], ids=["general", "keyed"])
@pytest.mark.parametrize("case", list(WALKS))
def test_walk_known_answers(case, actor_dtype):
    actor, ts, mask, strict, win, expected = WALKS[case]
    rows = fn._walk(*_arrays(actor, ts, mask, len(strict), actor_dtype), strict, win)
    assert [r.tolist() for r in rows] == expected
    assert all(r.dtype == np.int64 for r in rows)


def reference_walk(actor, ts, mask, strict, win):
    """The rule in plain Python: from every entry, step k is the first step-k row of the actor at or after
    (strictly after for ``strict[k]``) the step k-1 event's time, no later than entry + window; per actor the
    entry reaching furthest, the first one on a tie."""
    n = len(strict)
    best: dict[int, tuple[int, list[int]]] = {}
    for i in range(len(ts)):
        if not mask[i] & 1:
            continue
        path = [i]
        for k in range(1, n):
            cur = path[-1]
            nxt = [
                j
                for j in range(len(ts))
                if actor[j] == actor[i]
                and mask[j] >> k & 1
                and (ts[j] > ts[cur] if strict[k] else ts[j] >= ts[cur])
            ]
            if not nxt or ts[nxt[0]] > ts[i] + win:
                break
            path.append(nxt[0])
        if actor[i] not in best or len(path) > len(best[actor[i]][1]):
            best[actor[i]] = (i, path)
    out = [[] for _ in range(n)]
    for _, (_, path) in sorted(best.items(), key=lambda kv: kv[1][0]):
        for k in range(n):
            out[k].append(path[k] if k < len(path) else -1)
    return out


def random_stream(seed: int):
    """Actors in order, each with events sorted by time (ties in any order), of types a..d; steps drawn from
    the types (repeats allowed, so some steps are strict); the step-1 bit dropped from some events (outside the
    range). Sparse seeds have few entries among many rows."""
    rnd = random.Random(seed)
    n = rnd.randint(2, 5)
    steps = [rnd.choice("abcd") for _ in range(n)]
    strict = [k > 0 and steps[k] == steps[k - 1] for k in range(n)]
    sparse = seed % 3 == 0
    actor, ts, mask = [], [], []
    for a in range(rnd.randint(1, 6)):
        times = sorted(rnd.randint(0, 30) for _ in range(rnd.randint(1, 12)))
        for t in times:
            kind = rnd.choice("abcd")
            bits = sum(1 << k for k in range(n) if steps[k] == kind)
            if bits & 1 and (rnd.random() < (0.8 if sparse else 0.2)):
                bits &= ~1
            actor.append(a * 3 + 1)
            ts.append(t)
            mask.append(bits)
    return actor, ts, mask, strict, rnd.choice([0, 3, 10, 40])


@pytest.mark.parametrize("seed", range(40))
def test_walk_agrees_with_the_rule_in_plain_python(seed):
    actor, ts, mask, strict, win = random_stream(seed)
    rows = fn._walk(*_arrays(actor, ts, mask, len(strict)), strict, win)
    assert [r.tolist() for r in rows] == reference_walk(actor, ts, mask, strict, win)


# --- parts of the stream, cut at actor boundaries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "row", "expected"),
    [
        ([0, 0, 1, 1, 1], 1, 2),  # inside the first actor: where the next one starts
        ([0, 0, 1, 1, 1], 2, 2),  # an actor starts here
        ([0, 0, 1, 1, 1], 3, 5),  # the last actor: the end
        ([0, 0, 0, 1], 1, 3),
        ([0, 0, 1, 1, 1], 0, 0),
        ([0, 0, 0, 0], 0, 0),
        ([0, 0, 0, 0], -3, 0),
        ([0, 0, 0, 0], 4, 4),
        ([0, 0, 0, 0], 9, 4),
        ([0] * 5000 + [1] * 10, 1, 5000),  # past the first 1,024 and the next 2,048 rows looked at
        ([0] * 5000 + [1] * 10, 4990, 5000),
        ([0] * 5000, 1, 5000),
    ],
    ids=lambda v: str(v) if not isinstance(v, list) else f"{len(v)}-rows",
)
def test_actor_end(actor, row, expected):
    assert fn._actor_end(np.array(actor, dtype=np.int64), row) == expected


def test_parts_cut_at_actor_boundaries():
    assert fn._PART_ROWS == 250_000
    assert fn._parts(np.zeros(0, dtype=np.int64)) == [(0, 0)]
    assert fn._parts(np.zeros(10, dtype=np.int64)) == [(0, 10)]
    assert fn._parts(np.zeros(250_000, dtype=np.int64)) == [(0, 250_000)]
    # 600,000 rows of 7 per actor: 3 parts, cut at the first actor starting at or after 200,000 and 400,000
    seven = np.arange(600_000, dtype=np.int64) // 7
    assert fn._parts(seven) == [(0, 200_004), (200_004, 400_001), (400_001, 600_000)]
    # 250,001 rows: 2 parts, cut at row 125,000 (an actor of 1,000 rows starts there)
    assert fn._parts(np.arange(250_001, dtype=np.int64) // 1000) == [(0, 125_000), (125_000, 250_001)]
    # one actor for every row: one part
    assert fn._parts(np.zeros(600_000, dtype=np.int64)) == [(0, 600_000)]


# --- decoding the stream and choosing the paths (_best_paths) ----------------------------------------------------

ORIGIN = 1_790_000_000_000_000  # epoch microseconds
MS = 1000  # microseconds (windows count whole milliseconds)


def _stream(layout, actor, ts, mask, n, client_id=None):
    actor, ts, mask = _arrays(actor, ts, mask, n, np.uint64 if layout == "keyed" else np.int64)
    if layout == "keyed":
        low = (ts.astype(np.uint64) << np.uint64(n)) + mask.astype(np.uint64)
        return fn._Stream(ORIGIN, n, words=np.stack([low, actor], axis=1))
    return fn._Stream(ORIGIN, columns=(actor, ts, mask), client_id=client_id)


def _specs(letters):
    return [EventSpec.parse(x) for x in letters]


@pytest.mark.parametrize("layout", ["keyed", "general"])
def test_best_paths_times_and_reach(layout):
    # actor 0: b 1 in the first row, a 1 ("ab" is not strict: b at the same instant counts, the row before too);
    # actor 1: a 0, b 10, c 20 (all three); actor 2: a 5, b 9 (c past the window); actor 3: b only (no entry);
    # actor 4: a 1, b 1
    actor = [0, 0, 1, 1, 1, 2, 2, 2, 3, 4, 4]
    ts = [x * MS for x in (1, 1, 0, 10, 20, 5, 9, 106, 7, 1, 1)]
    mask = [2, 1, 1, 2, 4, 1, 2, 4, 2, 1, 2]
    table = fn._best_paths(_stream(layout, actor, ts, mask, 3), _specs("abc"), timedelta(milliseconds=100))
    assert table.column_names == ["reached", "t1", "t2", "t3"]
    assert table.column("reached").to_pylist() == [2, 3, 2, 2]
    assert table.column("reached").type == pa.int32()
    assert table.column("t1").to_pylist() == [ORIGIN + MS, ORIGIN, ORIGIN + 5 * MS, ORIGIN + MS]
    assert table.column("t2").to_pylist() == [ORIGIN + MS, ORIGIN + 10 * MS, ORIGIN + 9 * MS, ORIGIN + MS]
    assert table.column("t3").to_pylist() == [None, ORIGIN + 20 * MS, None, None]


@pytest.mark.parametrize("layout", ["keyed", "general"])
def test_best_paths_strict_for_the_same_event_type(layout):
    # steps a, a, b: mask bits 1 and 2 on every a; actor 1: a 0, a 0, a 3, b 4 -> 0, 3, 4; actor 2: a 0 alone
    actor, ts, mask = [1, 1, 1, 1, 2], [0, 0, 3, 4, 0], [3, 3, 3, 4, 3]
    table = fn._best_paths(_stream(layout, actor, ts, mask, 3), _specs("aab"), timedelta(seconds=1))
    assert table.to_pydict() == {
        "reached": [3, 1],
        "t1": [ORIGIN, ORIGIN],
        "t2": [ORIGIN + 3, None],
        "t3": [ORIGIN + 4, None],
    }


def test_best_paths_empty_stream():
    stream = fn._Stream(ORIGIN, 2, words=np.zeros((0, 2), dtype=np.uint64))
    table = fn._best_paths(stream, _specs("ab"), timedelta(seconds=1))
    assert table.to_pydict() == {"reached": [], "t1": [], "t2": []}


def test_best_paths_breakdown_takes_the_entry_endpoint():
    # one user (actor 1) from two endpoints: the chosen entry's row gives the endpoint (x2's a at 5 reaches b)
    actor, ts, mask = [1, 1, 1, 2, 2], [0, 5 * MS, 8 * MS, 0, 1 * MS], [1, 1, 2, 1, 2]
    client = pa.chunked_array([["x1", "x2", "x3", "y1", "y2"]])
    stream = _stream("general", actor, ts, mask, 2, client_id=client)
    table = fn._best_paths(stream, _specs("ab"), timedelta(milliseconds=3))
    assert table.column("client_id").to_pylist() == ["x2", "y1"]
    assert table.column("reached").to_pylist() == [2, 2]


@pytest.mark.parametrize("layout", ["keyed", "general"])
def test_best_paths_over_several_parts(layout):
    # 200,000 actors of 3 rows (a, b, c 1 and 2 ms apart, times growing with the actor): 600,000 rows in three
    # parts; every 2nd actor's c is past the window (its c is 9 ms after the entry; the window is 5 ms)
    actors = 200_000
    actor = np.repeat(np.arange(actors, dtype=np.int64), 3)
    base = np.repeat(np.arange(actors, dtype=np.int64) * 10, 3)
    gap = np.tile(np.array([0, 1, 2], dtype=np.int64), actors)
    late = np.repeat(np.arange(actors) % 2 == 1, 3) & (gap == 2)
    ts = (base + gap + np.where(late, 7, 0)) * MS
    mask = np.tile(np.array([1, 2, 4], dtype=np.uint8), actors)
    stream = _stream(layout, actor, ts, mask, 3)
    if layout == "general":  # a breakdown: each actor's entry row (its a, row 3 i) gives the endpoint
        stream.client_id = pa.chunked_array([np.arange(3 * actors, dtype=np.int64)])
    table = fn._best_paths(stream, _specs("abc"), timedelta(milliseconds=5))
    if layout == "general":
        assert (table.column("client_id").to_numpy() == np.arange(actors) * 3).all()
    reached = table.column("reached").to_numpy()
    assert len(reached) == actors
    assert reached.tolist() == [3, 2] * (actors // 2)
    t1 = table.column("t1").to_numpy()
    assert (t1 == ORIGIN + np.arange(actors) * 10 * MS).all()
    t3 = table.column("t3").to_pylist()
    assert t3[:4] == [ORIGIN + 2 * MS, None, ORIGIN + 22 * MS, None]
    assert t3[-2:] == [ORIGIN + ((actors - 2) * 10 + 2) * MS, None]
    assert t3[100_000] == ORIGIN + 1_000_002 * MS  # in the second part


# --- the fast path's limits, the mask type, the window --------------------------------------------------------------

DAY_US = 86_400_000_000


@pytest.mark.parametrize(
    ("days", "window", "steps", "breakdown", "keyed"),
    [
        (1, timedelta(days=7), 4, None, True),
        (1, timedelta(days=7), 4, "Demographic.Platform", False),
        # 203 days + 52,986.044 s = 2**44 - 416 us: 44 bits + 20 steps = 64 fits
        (203, timedelta(seconds=52_986, milliseconds=44), 20, None, True),
        # one millisecond more: 2**44 + 584 us, 45 bits + 20 steps does not
        (203, timedelta(seconds=52_986, milliseconds=45), 20, None, False),
        (203, timedelta(seconds=52_986, milliseconds=44), 19, None, True),
        (203, timedelta(seconds=52_986, milliseconds=45), 19, None, True),
        (203, timedelta(seconds=52_986, milliseconds=44), 20, "Demographic.Platform", False),
    ],
    ids=["small", "breakdown", "64-bits", "65-bits", "19-steps", "19-steps-45-bits", "breakdown-64-bits"],
)
def test_when_the_keys_fit(days, window, steps, breakdown, keyed):
    if days == 203:  # the arithmetic of the comments above
        span = days * DAY_US + window // timedelta(microseconds=1)
        assert span - 2**44 == (-416 if window.microseconds == 44_000 else 584)
    start = date(2026, 1, 1)
    scope = Scope(start=start, end=start + timedelta(days=days - 1))
    specs = _specs(["a", "b"] * (steps // 2) + ["a"] * (steps % 2))
    assert fn._keyed(scope, specs, window, breakdown) is keyed


@pytest.mark.parametrize(
    ("n", "sql_type"), [(2, "UTINYINT"), (8, "UTINYINT"), (9, "USMALLINT"), (16, "USMALLINT"), (17, "UINTEGER"),
                        (20, "UINTEGER")]
)  # fmt: skip
def test_mask_type(n, sql_type):
    assert fn._mask_type(n) == sql_type


@pytest.mark.parametrize(
    ("window", "us"),
    [(timedelta(seconds=1), 1_000_000), (timedelta(hours=1), 3_600_000_000), (timedelta(microseconds=1500), 1000),
     (timedelta(milliseconds=7), 7000), (timedelta(days=7), 604_800_000_000)],
)  # fmt: skip
def test_window_in_microseconds_to_the_millisecond(window, us):
    assert fn._window_us(window) == us


@pytest.mark.parametrize(
    ("window", "words"),
    [("7d", "7 days"), ("1d", "1 day"), ("24h", "1 day"), ("1h", "1 hour"), ("36h", "36 hours"),
     ("90m", "90 minutes"), ("1m", "1 minute"), ("30s", "30 seconds"), ("1s", "1 second"), ("61s", "61 seconds"),
     ("2w", "14 days"), ("1000d", "1,000 days"), (timedelta(seconds=1, milliseconds=500), "1 second"),
     (3600, "1 hour")],
)  # fmt: skip
def test_window_words(window, words):
    assert fn.window_words(window) == words


@pytest.mark.parametrize(
    ("window", "short"),
    [(timedelta(days=7), "7d"), (timedelta(hours=24), "1d"), (timedelta(hours=2), "2h"), (timedelta(hours=25), "25h"),
     (timedelta(minutes=90), "90m"), (timedelta(minutes=1), "1m"), (timedelta(seconds=30), "30s"),
     (timedelta(seconds=90), "90s"), (timedelta(seconds=61), "61s")],
)  # fmt: skip
def test_fmt_window(window, short):
    assert fn._fmt_window(window) == short


# --- whole funnels through both paths -----------------------------------------------------------------------------

START, END = "2026-10-01", "2026-10-02"
ENDPOINTS = [
    ["e1", "EMAIL", "e1@example.com", "iOS", "u1"],
    ["e2", "EMAIL", "e2@example.com", "Android", "u1"],
    ["e3", "EMAIL", "e3@example.com", "iOS", ""],
    ["e4", "EMAIL", "e4@example.com", "", ""],
]
# (endpoint, event type, time on 2026-10-01 unless a date is given, attributes)
EVENTS = [
    # bd: e1 all three (cart 1.5 s after view), e2 view and cart, e3 view, e4 (no platform) all three (e2's view
    # is recorded before e1's: by user, e1's counts for the smaller id, not for the order in the log)
    ("e2", "bd.view", "10:00:00", None), ("e2", "bd.cart", "10:20:00", None),
    ("e1", "bd.view", "10:00:00", None), ("e1", "bd.cart", "10:00:01.500", None), ("e1", "bd.buy", "10:30:00", None),
    ("e3", "bd.view", "11:00:00", None),
    ("e4", "bd.view", "12:00:00", None), ("e4", "bd.cart", "12:05:00", None), ("e4", "bd.buy", "12:10:00", None),
    # cond: a condition on step 2 (e1's basic buy at 10:10 does not count, its pro buy at 10:20 does)
    ("e1", "cond.view", "10:00:00", None), ("e1", "cond.buy", "10:10:00", {"plan": "basic"}),
    ("e1", "cond.buy", "10:20:00", {"plan": "pro"}),
    ("e2", "cond.view", "10:00:00", None), ("e2", "cond.buy", "10:05:00", {"plan": "basic"}),
    # c1: a condition on step 1 (only e1's ad view enters)
    ("e1", "c1.view", "10:00:00", {"src": "mail"}), ("e1", "c1.view", "10:30:00", {"src": "ad"}),
    ("e1", "c1.buy", "10:40:00", None), ("e2", "c1.view", "10:00:00", {"src": "mail"}),
    ("e2", "c1.buy", "10:05:00", None),
    # pages: one event type, two conditions: still strictly after (the cart page at 10:00 is not after home)
    ("e1", "page", "10:00:00", {"name": "home"}), ("e1", "page", "10:00:00", {"name": "cart"}),
    ("e1", "page", "10:05:00", {"name": "cart"}),
    # past: entry at the range's last millisecond, step 2 two days later, inside a window of 1 day 0.5 s
    ("e3", "past.a", "2026-10-02T23:59:59.999", None), ("e3", "past.b", "2026-10-04T00:00:00.400", None),
    ("e4", "past.a", "2026-10-02T23:59:59.999", None), ("e4", "past.b", "2026-10-04T00:00:00.500", None),
    # late: only after the range
    ("e1", "late.a", "2026-10-05T10:00:00", None),
]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    header = ["Id", "ChannelType", "Address", "Demographic.Platform", "User.UserId"]
    records = []
    for i, (ep, event_type, when, attributes) in enumerate(EVENTS):
        stamp = when if "T" in when else f"2026-10-01T{when}"
        extra = {"attributes": attributes} if attributes else {}
        records.append(stream_event(i, ep, event_type, (stamp + ".000")[:23] + "Z", **extra))
    return small_project(tmp_path_factory.mktemp("funnel-paths"), header, ENDPOINTS, records)


COLUMNS = ["step", "event", "label", "count", "conversion", "conversion_from_previous", "drop_off", "drop_off_rate",
           "median_seconds_from_previous", "median_seconds_from_start"]  # fmt: skip


def rows(events, counts, conv, prev_conv, drop, drop_rate, med_prev, med_start, labels=None):
    labels = labels or events
    return [
        dict(zip(COLUMNS, values, strict=True))
        for values in zip(range(1, len(events) + 1), events, labels, counts, conv, prev_conv, drop, drop_rate,
                          med_prev, med_start, strict=True)
    ]  # fmt: skip


BD = ["bd.view", "bd.cart", "bd.buy"]
# e1 (iOS) 3 steps: 1.5 s, then 1,798.5 s (1,800 from start); e2 (Android) 2: 1,200 s; e3 (iOS) 1; e4 (none) 3: 300, 300
BD_ALL = rows(BD, [4, 3, 2], [1.0, 0.75, 0.5], [1.0, 0.75, 2 / 3], [0, 1, 1], [0.0, 0.25, 1 / 3],
              [None, 300.0, 1049.25], [None, 300.0, 1200.0])  # fmt: skip
BD_PARTS = {
    "Android": rows(BD, [1, 1, 0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0, 0, 1], [0.0, 0.0, 1.0],
                    [None, 1200.0, None], [None, 1200.0, None]),
    "iOS": rows(BD, [2, 1, 1], [1.0, 0.5, 0.5], [1.0, 0.5, 1.0], [0, 1, 0], [0.0, 0.5, 0.0],
                [None, 1.5, 1798.5], [None, 1.5, 1800.0]),
    "(none)": rows(BD, [1, 1, 1], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0, 0, 0], [0.0, 0.0, 0.0],
                   [None, 300.0, 300.0], [None, 300.0, 600.0]),
}  # fmt: skip
# by user: u1 (e1 and e2, both viewing at 10:00: e1's entry, the smaller id, reaches buy first: 1.5 s, 1,798.5 s),
# e3 and e4 their own users
BD_USERS = rows(BD, [3, 2, 2], [1.0, 2 / 3, 2 / 3], [1.0, 2 / 3, 1.0], [0, 1, 0], [0.0, 1 / 3, 0.0],
                [None, 150.75, 1049.25], [None, 150.75, 1200.0])  # fmt: skip
BD_USER_PARTS = {
    "iOS": rows(BD, [2, 1, 1], [1.0, 0.5, 0.5], [1.0, 0.5, 1.0], [0, 1, 0], [0.0, 0.5, 0.0],
                [None, 1.5, 1798.5], [None, 1.5, 1800.0]),
    "(none)": BD_PARTS["(none)"],
}  # fmt: skip


def approx_rows(expected):
    return [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in r.items()} for r in expected]


@pytest.mark.parametrize("path", ["keyed", "general"])
@pytest.mark.parametrize("by", ["endpoint", "user"])
def test_every_column_of_a_funnel(project, by, path):
    result = funnel(
        project, BD, START, END, window="1h", by=by, breakdown="platform" if path == "general" else None
    )
    assert result.overall.columns == COLUMNS
    assert result.overall.to_dicts() == approx_rows(BD_ALL if by == "endpoint" else BD_USERS)
    assert dict(result.overall.schema) == {
        "step": fn.pl.Int32, "event": fn.pl.String, "label": fn.pl.String, "count": fn.pl.Int64,
        "conversion": fn.pl.Float64, "conversion_from_previous": fn.pl.Float64, "drop_off": fn.pl.Int64,
        "drop_off_rate": fn.pl.Float64, "median_seconds_from_previous": fn.pl.Float64,
        "median_seconds_from_start": fn.pl.Float64,
    }  # fmt: skip
    assert result.by == by
    if path == "keyed":
        assert result.breakdown is None and result.table.columns == COLUMNS
        return
    assert result.breakdown == "Demographic.Platform"
    parts = BD_PARTS if by == "endpoint" else BD_USER_PARTS
    table = result.table
    assert sorted(table.get_column("breakdown").unique().to_list()) == sorted([*parts, "(all)"])
    for value, expected in parts.items():
        part = table.filter(fn.pl.col("breakdown") == value).drop("breakdown").sort("step")
        assert part.to_dicts() == approx_rows(expected), value
    values = result.to_dict()["breakdown"]["values"]
    assert sorted(v["value"] for v in values) == sorted(parts)


# case -> (steps, window, by, counts, median seconds from start)
FUNNELS = {
    "condition-on-step-2": (["cond.view", "cond.buy:plan=pro"], "1h", "endpoint", [2, 1], [None, 1200.0]),
    "no-condition": (["cond.view", "cond.buy"], "1h", "endpoint", [2, 2], [None, 450.0]),
    "condition-on-step-1": (["c1.view:src=ad", "c1.buy"], "1h", "endpoint", [1, 1], [None, 600.0]),
    "same-type-two-conditions": (["page:name=home", "page:name=cart"], "1h", "endpoint", [1, 1], [None, 300.0]),
    "window-days-past-the-range": (["past.a", "past.b"], timedelta(days=1, milliseconds=500), "endpoint", [2, 1],
                                   [None, 86400.401]),
    "window-days-by-user": (["past.a", "past.b"], timedelta(days=1, milliseconds=500), "user", [2, 1],
                            [None, 86400.401]),
    "by-user-strict": (["bd.view", "bd.view"], "1h", "user", [3, 0], [None, None]),
    "by-user-two-endpoints": (["bd.view", "bd.cart"], "1h", "user", [3, 2], [None, 150.75]),
}  # fmt: skip


@pytest.mark.parametrize("path", ["keyed", "general"])
@pytest.mark.parametrize("case", list(FUNNELS))
def test_funnel_known_answers(project, case, path):
    steps, window, by, counts, medians = FUNNELS[case]
    result = funnel(
        project, steps, START, END, window=window, by=by, breakdown="platform" if path == "general" else None
    )
    table = result.overall
    assert table.get_column("count").to_list() == counts
    assert table.get_column("median_seconds_from_start").to_list() == [
        m if m is None else pytest.approx(m) for m in medians
    ]
    assert table.get_column("label").to_list() == steps
    assert table.get_column("event").to_list() == [s.partition(":")[0] for s in steps]


ZERO = {"count": [0, 0], "conversion": [None, None], "conversion_from_previous": [None, None],
        "drop_off": [0, 0], "drop_off_rate": [0.0, None], "median_seconds_from_previous": [None, None],
        "median_seconds_from_start": [None, None]}  # fmt: skip


@pytest.mark.parametrize("path", ["keyed", "general"])
def test_nobody_entered(project, path):
    breakdown = "platform" if path == "general" else None
    result = funnel(project, ["late.a", "bd.cart"], START, END, window="1h", breakdown=breakdown)
    assert result.note == "Nobody entered the funnel: no 'late.a' events between 2026-10-01 and 2026-10-02."
    assert result.warnings == []
    assert {k: result.overall.get_column(k).to_list() for k in ZERO} == ZERO
    if breakdown:
        assert result.table.get_column("breakdown").to_list() == ["(all)", "(all)"]
        assert result.to_dict()["breakdown"]["values"] == []
    segment = funnel(
        project, ["late.a", "bd.cart"], START, END, window="1h", breakdown=breakdown, platform="ios"
    )
    assert segment.note == (
        "Nobody entered the funnel: no 'late.a' events between 2026-10-01 and 2026-10-02 in this segment."
    )
    assert segment.to_dict()["steps"][0]["label"] == "late.a"


def test_a_funnel_with_entries_has_no_note(project):
    result = funnel(project, ["bd.view", "late.a"], START, END, window="1h")
    assert result.note is None
    assert result.overall.get_column("count").to_list() == [4, 0]


def test_no_events_in_the_range(project):
    result = funnel(project, BD, "2027-01-01", "2027-01-02", window="1h")
    assert result.note == (
        "No events between 2027-01-01 and 2027-01-02: the event log runs from 2026-10-01 to 2026-10-05; "
        "leave out --start and --end for its last 30 days."
    )


@pytest.mark.parametrize("path", ["keyed", "general"])
def test_an_unknown_event_type_warns(project, path):
    breakdown = "platform" if path == "general" else None
    with pytest.warns(EventTypeWarning, match="nosuch.buy") as caught:
        result = funnel(project, ["bd.view", "nosuch.buy"], START, END, window="1h", breakdown=breakdown)
    assert len(result.warnings) == 1 and "'nosuch.buy'" in result.warnings[0]
    assert [str(w.message) for w in caught if w.category is EventTypeWarning] == result.warnings
    assert result.to_dict()["warnings"] == result.warnings
    assert result.overall.get_column("count").to_list() == [4, 0]


def test_a_segment_and_by_user_in_the_result(project):
    result = funnel(project, BD, START, END, {"where": "Id IN ('e1', 'e4')"}, window="1h", by="user")
    assert result.overall.get_column("count").to_list() == [2, 2, 2]
    out = result.to_dict()
    assert (out["by"], out["window_seconds"], out["start"], out["end"]) == ("user", 3600.0, START, END)
    html = result._repr_html_()
    assert html.startswith("<b>Funnel</b> (users, window 1h, entered 2026-10-01 to 2026-10-02)")


def test_the_sql_a_reader_sees(project):
    keyed = funnel(project, BD, START, END, window="1h").sql
    assert keyed.startswith("SELECT CAST((CAST(hash(e.client_id) >> 2 AS HUGEINT) << 64) + ")
    assert (
        ";\n-- sorted by key (Polars)\n-- each actor's best path (NumPy, _best_paths) registered as " in keyed
    )
    assert keyed.endswith("FROM best GROUP BY breakdown")
    assert (
        "WITH best AS (SELECT reached, make_timestamp(t1) AS t1, make_timestamp(t2) AS t2, make_timestamp(t3) AS t3, "
        "NULL AS breakdown FROM funnel_paths)\nSELECT breakdown, count(*) FILTER (WHERE reached >= 1) AS count_1, "
    ) in keyed
    general = funnel(project, BD, START, END, window="1h", breakdown="platform", by="user").sql
    assert general.startswith("SELECT hash(coalesce(e.user_id, ")
    assert (
        " ORDER BY actor, ts, e.client_id;\n-- each actor's best path (NumPy, _best_paths) registered as "
        "funnel_paths\nWITH best AS (SELECT reached, make_timestamp(t1) AS t1, "
    ) in general
    # one row per platform (each actor's entry endpoint's), then everyone's
    assert (
        "FROM best b LEFT JOIN labels l ON l.Id = b.client_id GROUP BY 1\nUNION ALL SELECT NULL, " in general
    )
    assert general.endswith("AS start_3 FROM best")
    assert (
        'labels AS (SELECT e.Id, CAST(e."Demographic.Platform" AS VARCHAR) AS label FROM endpoints e WHERE e.Id IN '
        "(SELECT client_id FROM best))"
    ) in general


@pytest.mark.parametrize("by", ["endpoint", "user"])
def test_a_long_range_takes_the_general_path_without_a_breakdown(project, by):
    # 20 steps over 275 days (2026-01-01 to 2026-10-02) do not fit the keys: the general path, no breakdown;
    # view -> cart, then nobody views again (bd: 4 endpoints view, 3 add to cart; by user: u1, e3, e4 and 2)
    steps = ["bd.view", "bd.cart"] * 10
    scope = Scope(start=date(2026, 1, 1), end=date(2026, 10, 2))
    assert not fn._keyed(scope, _specs(steps), timedelta(hours=1), None)
    result = funnel(project, steps, "2026-01-01", END, window="1h", by=by)
    assert result.overall.get_column("count").to_list() == ([4, 3] if by == "endpoint" else [3, 2]) + [0] * 18
    assert result.overall.get_column("median_seconds_from_start").to_list()[:3] == (
        [None, 300.0, None] if by == "endpoint" else [None, 150.75, None]
    )
    assert result.sql.startswith("SELECT hash(")
    assert " ORDER BY actor, ts;\n-- each actor's best path " in result.sql
    assert result.sql.endswith("FROM best GROUP BY breakdown")


def test_a_breakdown_by_an_endpoint_column(project):
    # User.UserId: u1 is e1 (3 steps) and e2 (2 steps); e3 (1 step) and e4 (3 steps) have none
    result = funnel(project, BD, START, END, window="1h", breakdown="User.UserId")
    assert result.breakdown == "User.UserId"
    assert [sp.event_type for sp in result.steps] == BD
    counts = {
        value: part.sort("step").get_column("count").to_list()
        for (value,), part in result.table.partition_by("breakdown", as_dict=True).items()
    }
    assert counts == {"(all)": [4, 3, 2], "u1": [2, 2, 1], "(none)": [2, 1, 1]}


@pytest.mark.parametrize("path", ["keyed", "general"])
def test_nobody_entered_and_an_unknown_step_warns(project, path):
    # the general path's summary has an all-zero "(all)" row (the () grouping set), the keyed one no row at all
    breakdown = "platform" if path == "general" else None
    with pytest.warns(EventTypeWarning, match="nosuch.b") as caught:
        result = funnel(project, ["late.a", "nosuch.b"], START, END, window="1h", breakdown=breakdown)
    assert result.overall.get_column("count").to_list() == [0, 0]
    assert len(result.warnings) == 1 and "'nosuch.b'" in result.warnings[0]
    assert [str(w.message) for w in caught if w.category is EventTypeWarning] == result.warnings


def _us(day: str) -> int:
    """Epoch microseconds of a day's midnight (UTC), in plain Python."""
    return int(datetime.fromisoformat(day + "T00:00:00+00:00").timestamp()) * 1_000_000


def test_the_whole_sql_of_a_funnel_with_a_condition(project):
    # keyed path: the key (actor hash, time since 10-01, the step bits), the step-2 condition, step 1 only before
    # 10-03 00:00 (the range's end), any step before 10-03 01:00 (+ the window); dates up to 10-03 for the scan
    origin, entry_end, last = _us("2026-10-01"), _us("2026-10-03"), _us("2026-10-03") + 3_600_000_000
    mask = (
        "CASE e.event_type WHEN 'cond.buy' THEN CASE WHEN (e.event_type = 'cond.buy' AND e.attributes['plan'] IN "
        f"('pro')) THEN 2 ELSE 0 END WHEN 'cond.view' THEN CASE WHEN e.event_timestamp < make_timestamp({entry_end}) "
        "THEN 1 ELSE 0 END ELSE 0 END"
    )
    expected = (
        f"SELECT CAST((CAST(hash(e.client_id) >> 2 AS HUGEINT) << 64) + (CAST(epoch_us(e.event_timestamp) - {origin} "
        f"AS HUGEINT) << 2) + {mask} AS DECIMAL(38, 0)) AS key FROM (SELECT * FROM events WHERE date BETWEEN "
        "DATE '2026-10-01' AND DATE '2026-10-03' AND event_type IN ('cond.buy', 'cond.view')) e WHERE "
        f"e.event_timestamp >= make_timestamp({origin}) AND e.event_timestamp < make_timestamp({last}) AND ({mask}) "
        "<> 0;\n-- sorted by key (Polars)\n-- each actor's best path (NumPy, _best_paths) registered as funnel_paths\n"
        "WITH best AS (SELECT reached, make_timestamp(t1) AS t1, make_timestamp(t2) AS t2, NULL AS breakdown FROM "
        "funnel_paths)\nSELECT breakdown, count(*) FILTER (WHERE reached >= 1) AS count_1, count(*) FILTER (WHERE "
        "reached >= 2) AS count_2, median(date_diff('millisecond', t1, t2) / 1000.0) FILTER (WHERE reached >= 2) AS "
        "prev_2, median(date_diff('millisecond', t1, t2) / 1000.0) FILTER (WHERE reached >= 2) AS start_2 FROM best "
        "GROUP BY breakdown"
    )
    assert funnel(project, ["cond.view", "cond.buy:plan=pro"], START, END, window="1h").sql == expected


def test_the_whole_sql_of_a_funnel_by_user_with_a_breakdown(project):
    # general path: the user key, the step bits as UTINYINT, the endpoint id, sorted by DuckDB (the endpoint id last)
    origin, entry_end, last = _us("2026-10-01"), _us("2026-10-03"), _us("2026-10-03") + 3_600_000_000
    aggregates = (
        "count(*) FILTER (WHERE reached >= 1) AS count_1, count(*) FILTER (WHERE reached >= 2) AS count_2, "
        "median(date_diff('millisecond', t1, t2) / 1000.0) FILTER (WHERE reached >= 2) AS prev_2, "
        "median(date_diff('millisecond', t1, t2) / 1000.0) FILTER (WHERE reached >= 2) AS start_2, "
        "count(*) FILTER (WHERE reached >= 3) AS count_3, median(date_diff('millisecond', t2, t3) / 1000.0) FILTER "
        "(WHERE reached >= 3) AS prev_3, median(date_diff('millisecond', t1, t3) / 1000.0) FILTER "
        "(WHERE reached >= 3) AS start_3"
    )
    expected = (
        f'SELECT hash(coalesce(e.user_id, ep."User.UserId", e.client_id)) AS actor, epoch_us(e.event_timestamp) - '
        f"{origin} AS ts, CAST(CASE e.event_type WHEN 'bd.buy' THEN 4 WHEN 'bd.cart' THEN 2 WHEN 'bd.view' THEN CASE "
        f"WHEN e.event_timestamp < make_timestamp({entry_end}) THEN 1 ELSE 0 END ELSE 0 END AS UTINYINT) AS steps, "
        "e.client_id FROM (SELECT * FROM events WHERE date BETWEEN DATE '2026-10-01' AND DATE '2026-10-03' AND "
        "event_type IN ('bd.buy', 'bd.cart', 'bd.view')) e LEFT JOIN endpoints ep ON ep.Id = e.client_id WHERE "
        f"e.event_timestamp >= make_timestamp({origin}) AND e.event_timestamp < make_timestamp({last}) ORDER BY actor, "
        "ts, e.client_id;\n-- each actor's best path (NumPy, _best_paths) registered as funnel_paths\n"
        "WITH best AS (SELECT reached, make_timestamp(t1) AS t1, make_timestamp(t2) AS t2, make_timestamp(t3) AS t3, "
        'client_id FROM funnel_paths),\nlabels AS (SELECT e.Id, CAST(e."Demographic.Platform" AS VARCHAR) AS label '
        "FROM endpoints e WHERE e.Id IN (SELECT client_id FROM best))\nSELECT coalesce(l.label, '(none)') AS "
        f"breakdown, {aggregates} FROM best b LEFT JOIN labels l ON l.Id = b.client_id GROUP BY 1\n"
        f"UNION ALL SELECT NULL, {aggregates} FROM best"
    )
    assert funnel(project, BD, START, END, window="1h", by="user", breakdown="platform").sql == expected
