"""Funnels on random data against a plain-Python reference of the documented rules (README, "Event filters and
funnels"), through every way ``workbench.analytics.funnels`` can compute them: the keyed fast path (the keys
sorted by Polars), the general path (DuckDB's ORDER BY, used for breakdowns and when the keys would not fit), and
the walk cut into many small parts.

The events sit on a 10-minute grid, so one actor often has several events at the same instant and many steps
fall exactly on a window's edge; some fall on the range's edges too.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from helpers import write_csv

from workbench import analytics as a
from workbench.analytics import funnels

START, END = date(2026, 10, 2), date(2026, 10, 3)
FIRST = datetime(2026, 10, 1)  # events run from here for four days: before, inside and after the range
CLIENTS = [f"c{i:02d}" for i in range(16)] + ["zz"]  # zz has no endpoint row: its own user, breakdown (none)
RANDOM = CLIENTS[:10] + ["zz"]  # random events
EDGES = CLIENTS[10:14]  # events on the range's edges only
TWINS = CLIENTS[14:16]  # one user's two endpoints, entering at the same instant
PLATFORMS = ["iOS", "Android", "Web"]


def user_of(client: str) -> str:
    """c00..c05 are three users with two endpoints each (u0: c00, c03; ...), c14 and c15 are u9; the others have
    no user id and count as their own user."""
    i = int(client[1:]) if client != "zz" else 99
    return f"u{i % 3}" if i < 6 else "u9" if client in TWINS else client


def platform_of(client: str) -> str:
    """A different platform for each endpoint of a user."""
    return "(none)" if client == "zz" else PLATFORMS[(int(client[1:]) + int(client[1:]) // 3) % 3]


@dataclass(frozen=True)
class Event:
    client: str
    type: str
    ts: datetime
    k: str | None = None  # attribute k (on b events)
    v: float | None = None  # metric v (on c events)


def random_events(seed: int) -> list[Event]:
    rng = random.Random(seed)
    out = []
    for _ in range(rng.randint(150, 350)):
        client = rng.choice(RANDOM[:4] if rng.random() < 0.5 else RANDOM)  # a few busy actors
        kind = rng.choice("aaabbc")
        ts = FIRST + timedelta(minutes=10 * rng.randrange(4 * 144))
        out.append(
            Event(
                client,
                kind,
                ts,
                k=rng.choice(["x", "y"]) if kind == "b" else None,
                v=float(rng.randint(1, 3)) if kind == "c" else None,
            )
        )
    # actors with one attempt each, entering on the range's first and last instants and just outside it, with
    # their next steps exactly one and two hours later (on the edge of a 1 h or 2 h window)
    first = datetime.combine(START, datetime.min.time())
    after = datetime.combine(END + timedelta(days=1), datetime.min.time())
    second = timedelta(seconds=1)
    for client, t0 in zip(EDGES, (first, after - second, after, first - second), strict=True):
        out.append(Event(client, "a", t0))
        out.append(Event(client, "b", t0 + timedelta(hours=1), k="x"))
        out.append(Event(client, "c", t0 + timedelta(hours=2), v=2.0))
    noon = datetime.combine(START, datetime.min.time()) + timedelta(hours=12)
    out += [Event(TWINS[1], "a", noon), Event(TWINS[0], "a", noon), Event(TWINS[1], "b", noon, k="y")]
    return out


def build(root, events: list[Event]):
    from workbench import Project

    project = Project.create(root / "project")
    rows = [
        [c, "EMAIL", f"{c}@example.com", "" if user_of(c) == c else user_of(c), platform_of(c)]
        for c in CLIENTS
    ]
    header = ["Id", "ChannelType", "Address", "User.UserId", "Demographic.Platform"]
    project.endpoints.import_files(write_csv(root / "endpoints.csv", header, rows[:-1]), progress=False)
    project.events.record(
        [
            {
                "event_type": e.type,
                "event_timestamp": e.ts.isoformat() + "Z",
                "arrival_timestamp": e.ts.isoformat() + "Z",
                "client": {"client_id": e.client},
                "session": {"session_id": f"s-{e.client}"},
                "attributes": {"k": e.k} if e.k else {},
                "metrics": {"v": e.v} if e.v is not None else {},
                "event_id": f"ev-{i}",
            }
            for i, e in enumerate(events)
        ]
    )
    return project


# --- the reference: the README's rules, one attempt and one candidate at a time ------------------------------

STEP_TESTS = {
    "a": lambda e: e.type == "a",
    "b": lambda e: e.type == "b",
    "c": lambda e: e.type == "c",
    "b:k=x": lambda e: e.type == "b" and e.k == "x",
    "c:v>=2": lambda e: e.type == "c" and e.v is not None and e.v >= 2,
}


def reference(events, steps, window, by, breakdown, start=START, end=END) -> dict:
    """{(breakdown value, step): (count, median seconds from the previous step, median seconds from step 1)}."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    types = [s.partition(":")[0] for s in steps]
    tests = [STEP_TESTS[s] for s in steps]
    per_actor = defaultdict(list)
    for e in events:
        per_actor[e.client if by == "endpoint" else user_of(e.client)].append(e)
    chosen = []  # (times, entry client) of each actor's best attempt
    for evs in per_actor.values():
        best = None
        for entry in evs:
            if not (tests[0](entry) and lo <= entry.ts < hi):
                continue
            times = [entry.ts]
            for k in range(1, len(steps)):
                after = [
                    e.ts
                    for e in evs
                    if tests[k](e) and (e.ts > times[-1] if types[k] == types[k - 1] else e.ts >= times[-1])
                ]
                if not after or min(after) > entry.ts + window:
                    break
                times.append(min(after))
            # furthest step first, then the earliest attempt; at one instant, the smaller endpoint id
            key = (-len(times), entry.ts, entry.client)
            if best is None or key < best[0]:
                best = (key, times, entry.client)
        if best:
            chosen.append((best[1], best[2]))
    groups = {"(all)": chosen}
    if breakdown:
        for times, client in chosen:
            groups.setdefault(platform_of(client), []).append((times, client))
    out = {}
    for value, paths in groups.items():
        for k in range(1, len(steps) + 1):
            got = [t for t, _ in paths if len(t) >= k]
            prev = [(t[k - 1] - t[k - 2]).total_seconds() for t in got] if k > 1 else []
            first = [(t[k - 1] - t[0]).total_seconds() for t in got] if k > 1 else []
            out[(value, k)] = (
                len(got),
                statistics.median(prev) if prev else None,
                statistics.median(first) if first else None,
            )
    return out


def observed(result) -> dict:
    rows = result.table.iter_rows(named=True)
    return {
        (r.get("breakdown", "(all)"), r["step"]): (
            r["count"],
            r["median_seconds_from_previous"],
            r["median_seconds_from_start"],
        )
        for r in rows
    }


def same(got: dict, want: dict) -> bool:
    """Equal tables: every reference row present; rows the reference lacks are empty breakdown values."""
    for key, row in got.items():
        if key not in want:
            if row[0] != 0:
                return False
            continue
        count, prev, first = want[key]
        if row[0] != count or (prev is None) != (row[1] is None) or (first is None) != (row[2] is None):
            return False
        if prev is not None and (row[1] != pytest.approx(prev) or row[2] != pytest.approx(first)):
            return False
    return set(want) <= set(got)


CASES = [
    (["a", "b", "c"], "1h"),
    (["a", "b", "c"], "2h"),
    (["a", "b", "c"], "1d"),
    (["a", "a", "b"], "3h"),  # one event never fills two steps; same-instant events are not "after"
    (["a", "b", "a"], "2h"),  # the same type, not consecutive: the same instant counts
    (["b", "a"], "30m"),
    (["a", "b:k=x", "c:v>=2"], "1d"),
    (["a", "b", "a", "b", "a", "b", "a", "b", "a"], "1d"),  # 9 steps: a 16-bit mask, 9 bits of key
]
MODES = ["default", "ordered", "parts"]


@pytest.fixture(params=[1, 2, 3, 4, 5, 6], scope="module")
def random_project(request, tmp_path_factory):
    events = random_events(request.param)
    return build(tmp_path_factory.mktemp(f"funnel-{request.param}"), events), events


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    if request.param == "ordered":  # DuckDB sorts, as for a breakdown or keys that would not fit
        monkeypatch.setattr(funnels, "_keyed", lambda *args, **kw: False)
    elif request.param == "parts":  # the walk in parts of a few rows
        monkeypatch.setattr(funnels, "_PART_ROWS", 7)
    return request.param


@pytest.mark.parametrize("by", ["endpoint", "user"])
@pytest.mark.parametrize("breakdown", [None, "platform"])
def test_funnels_match_the_reference(random_project, mode, by, breakdown):
    project, events = random_project
    with project.reading():
        for steps, window in CASES:
            result = a.funnel(project, steps, START, END, window=window, by=by, breakdown=breakdown)
            want = reference(events, steps, a.parse_duration(window), by, breakdown)
            assert same(observed(result), want), (steps, window, observed(result), want)


def test_a_range_without_entries_gives_zeros(random_project, mode):
    project, _ = random_project
    result = a.funnel(project, ["a", "b"], "2026-12-01", "2026-12-02", window="1d")
    assert result.table.get_column("count").to_list() == [0, 0]


def test_the_keys_leave_room_for_the_time_and_the_steps():
    scope = a.Scope(START, END)
    spec = [a.EventSpec("a")]
    assert funnels._keyed(scope, spec * 4, timedelta(days=7), None)
    assert not funnels._keyed(scope, spec * 4, timedelta(days=7), "platform")  # rows need their endpoint
    year = scope.with_range(date(2025, 1, 1), date(2025, 12, 31))
    assert funnels._keyed(year, spec * 8, timedelta(days=7), None)
    assert not funnels._keyed(year, spec * 20, timedelta(days=7), None)  # 20 step bits + 45 bits of time
