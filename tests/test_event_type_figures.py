"""Per-type figures of the Events view against answers counted in plain Python: events, distinct endpoints and
distinct sessions per event type, and the totals over every type (each endpoint and session once).

The view gathers each session's and each endpoint's types as bits, 64 types to a mask; these cases cross mask
boundaries (70 types), hold events without a session, and sessions and endpoints with several types.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import analytics as a


def record(client: str, etype: str, minute: int, session: str | None) -> dict:
    ts = f"2026-10-01T10:{minute:02d}:00Z"
    rec = {
        "event_type": etype,
        "event_timestamp": ts,
        "arrival_timestamp": ts,
        "client": {"client_id": client},
        "event_id": f"{client}-{etype}-{minute}-{session}",
    }
    if session is not None:
        rec["session"] = {"session_id": session}
    return rec


def expected(records: list[dict]) -> tuple[dict, dict]:
    """Per type and overall figures, counted by hand-written Python over the records."""
    events, clients, sessions = defaultdict(int), defaultdict(set), defaultdict(set)
    for r in records:
        t = r["event_type"]
        events[t] += 1
        clients[t].add(r["client"]["client_id"])
        if "session" in r:
            sessions[t].add(r["session"]["session_id"])
    per_type = {t: (events[t], len(clients[t]), len(sessions[t])) for t in events}
    all_sessions = {r["session"]["session_id"] for r in records if "session" in r}
    totals = {
        "events": len(records),
        "endpoints": len({r["client"]["client_id"] for r in records}),
        "sessions": len(all_sessions),
        "events_per_session": len(records) / len(all_sessions) if all_sessions else None,
    }
    return per_type, totals


CASES = {
    "few types": [
        record("a", "view", 0, "s1"),
        record("a", "view", 1, "s1"),
        record("a", "cart", 2, "s1"),
        record("a", "view", 3, "s2"),
        record("b", "view", 4, "s3"),
        record("b", "buy", 5, None),  # no session: an event and an endpoint, no session
        record("c", "buy", 6, "s4"),
        record("c", "cart", 7, "s4"),
    ],
    # 70 types: type i in session s{i % 5}, client c{i % 7}; the types past 63 sit in the second mask
    "70 types": [record(f"c{i % 7}", f"type.{i:02d}", i % 60, f"s{i % 5}") for i in range(70)]
    + [
        record("c0", "type.69", 59, "s9"),
        record("c1", "type.64", 58, None),
        record("c2", "type.63", 57, "s0"),
    ],
}


@pytest.mark.parametrize("name", CASES)
def test_figures_per_type_and_in_total(project, name):
    records = CASES[name]
    project.events.record(records)
    per_type, totals = expected(records)
    table = a.event_types(project, "2026-10-01", "2026-10-01")
    got = {r["event_type"]: (r["events"], r["endpoints"], r["sessions"]) for r in table.iter_rows(named=True)}
    assert got == per_type
    for row in table.iter_rows(named=True):
        sessions = per_type[row["event_type"]][2]
        assert row["events_per_session"] == (row["events"] / sessions if sessions else None)
    assert a.events.event_totals(project, "2026-10-01", "2026-10-01") == pytest.approx(totals)
    # the KPI totals are these figures too, inside a dashboard's reading block and outside it
    for reading in (False, True):
        if reading:
            with project.reading():
                kpi = a.kpi(project, "events-per-session", "2026-10-01", "2026-10-01").total
        else:
            kpi = a.kpi(project, "events-per-session", "2026-10-01", "2026-10-01").total
        assert kpi == pytest.approx(totals["events_per_session"])
    assert a.kpi(project, "event-endpoints", "2026-10-01", "2026-10-01").total == totals["endpoints"]


def test_an_empty_range_has_no_types_and_zero_totals(project):
    project.events.record(CASES["few types"])
    assert a.event_types(project, "2026-09-01", "2026-09-02").height == 0
    totals = a.events.event_totals(project, "2026-09-01", "2026-09-02")
    assert totals == {"events": 0, "endpoints": 0, "sessions": 0, "events_per_session": None}


@st.composite
def logs(draw):
    n_types = draw(st.integers(1, 70))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 5),  # client
                st.integers(0, n_types - 1),  # type
                st.one_of(st.none(), st.integers(0, 8)),  # session (None: no session)
            ),
            min_size=1,
            max_size=60,
        )
    )
    return [
        record(f"c{c}", f"t.{t}", i % 60, None if s is None else f"s{s}") for i, (c, t, s) in enumerate(rows)
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=logs())
def test_figures_agree_with_plain_python_on_any_log(tmp_path_factory, records):
    from workbench import Project

    project = Project.create(tmp_path_factory.mktemp("types"))
    project.events.record(records)
    per_type, totals = expected(records)
    table = a.event_types(project, "2026-10-01", "2026-10-01")
    assert {
        r["event_type"]: (r["events"], r["endpoints"], r["sessions"]) for r in table.iter_rows(named=True)
    } == (per_type)
    got = a.events.event_totals(project, "2026-10-01", "2026-10-01")
    ratio, want = got.pop("events_per_session"), totals.pop("events_per_session")
    assert got == totals
    assert ratio == (pytest.approx(want) if want is not None else None)
