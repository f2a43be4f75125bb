"""A journey simulation skips the steps where nothing can happen and evaluates each segment once when its
members do not depend on the clock, and still gives exactly what stepping every tick gave (recorded below from
the code before the change, as a digest of ``Simulation.to_dict()`` and the participant table)."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from test_journey_engine import T0, journey, make_shop
from test_journey_simulate import FOLLOW_UP, PURCHASE, stream

from workbench.errors import InputError
from workbench.journeys import _state as st
from workbench.journeys.engine import Engine, FrameEvents, JourneyView
from workbench.journeys.simulate import simulate

QUIET_WELCOME = {
    "mail": {"EMAIL": {"TemplateName": "hello", "NextActivity": "pause"}},
    "pause": {"Wait": {"WaitTime": {"WaitFor": "P1D"}, "NextActivity": "sms"}},
    "sms": {"SMS": {"TemplateName": "nudge"}},
}
REFRESHED = {
    "mail": {"EMAIL": {"TemplateName": "hello", "NextActivity": "pause"}},
    "pause": {"Wait": {"WaitTime": {"WaitFor": "PT5H"}, "NextActivity": "split"}},
    "split": {
        "RandomSplit": {
            "Branches": [{"Percentage": 50, "NextActivity": "pro"}, {"Percentage": 50}],
        }
    },
    "pro": {
        "ConditionalSplit": {
            "Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "pro"}}]},
            "EvaluationWaitTime": {"WaitFor": "PT2H"},
            "TrueActivity": "sms",
        }
    },
    "sms": {"SMS": {"TemplateName": "nudge"}},
}


def cases() -> dict[str, tuple]:
    """name -> (journey, simulate keyword arguments): entry by segment (once, with quiet time held and a
    schedule), by segment refreshed with re-entry, and by events with assumed rates."""
    return {
        "welcome": (
            journey(
                QUIET_WELCOME,
                start="mail",
                journey_id="sp1",
                QuietTime={"Start": "20:00", "End": "23:30"},
                WaitForQuietTime=True,
                Schedule={
                    "StartTime": T0.isoformat(),
                    "EndTime": (T0 + timedelta(days=2, hours=5)).isoformat(),
                },
            ),
            {"start": T0 - timedelta(hours=3), "end": T0 + timedelta(days=3)},
        ),
        "refreshed": (
            journey(
                REFRESHED,
                start="mail",
                journey_id="sp2",
                RefreshFrequency="PT6H",
                Limits={"EndpointReentryCap": 0, "EndpointReentryInterval": "PT10H"},
            ),
            {"start": T0, "end": T0 + timedelta(days=2), "step": timedelta(minutes=90)},
        ),
        "events": (
            journey(
                FOLLOW_UP,
                start="thanks",
                journey_id="sp3",
                StartCondition=PURCHASE,
                Limits={"EndpointReentryCap": 0},
            ),
            {"start": T0, "end": T0 + timedelta(days=3), "events": stream(150)},
        ),
    }


#: sha256 of each case's result (to_dict and participant table) computed by stepping every tick, before the change.
RECORDED = {
    "welcome": "4a3191f4e81071a3972e8949c29f1d4eadbd27523ab02e5febc7cde925227a4d",
    "refreshed": "d799dfb72ef52ccc9ce7889d1a8b00356c6c51f6538391720081eca76a96fd1f",
    "events": "635894b89ed7b444f177a8bb029bc461f352dd860727f9488906c4d26b54796a",
}


def digest(sim) -> str:
    """A stable digest of everything a simulation returns."""
    people = sim.participants.sort("participant").with_columns(
        pl.col(pl.Datetime).dt.to_string(), pl.col(pl.UInt64).cast(pl.String)
    )
    body = json.dumps(
        {"result": sim.to_dict(), "participants": people.to_dicts()}, sort_keys=True, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("speed") / "shop")


@pytest.mark.parametrize("name", ["welcome", "refreshed", "events"])
def test_a_simulation_gives_what_stepping_every_tick_gave(shop, name):
    j, kwargs = cases()[name]
    assert digest(simulate(shop, j, **kwargs)) == RECORDED[name]


def stepped(project, j, *, start, end, step=timedelta(hours=1), events=None) -> list[dict]:
    """The timeline of ticking the engine at every step (what simulate did before it skipped steps)."""
    if events is None:
        events = project.query("SELECT * FROM events")
    backend = st.MemoryStore()
    backend.state.event_cursor = start - timedelta(microseconds=1)
    engine = Engine(project, JourneyView(j, state="ACTIVE"), backend, FrameEvents(events), simulate=True)
    out, now = [], start
    while now <= end:
        result = engine.tick(now, send=False)
        if result.entered or result.advanced or result.left or result.journey:
            out.append({"now": now.isoformat(), "entered": result.entered, "left": result.left})
        now += step
    return out


@pytest.fixture
def counted(monkeypatch):
    """Counts of the engine's ticks, the catalog connections opened and segment loads during a test."""
    from workbench.segments import Segment
    from workbench.store import handle

    seen = {"ticks": 0, "connections": 0, "segments": 0}
    tick, connect, load = Engine.tick, handle.open_catalog, Segment.load.__func__

    def counting_load(cls, *args, **kwargs):
        seen["segments"] += 1
        return load(cls, *args, **kwargs)

    def counting_tick(self, *args, **kwargs):
        seen["ticks"] += 1
        return tick(self, *args, **kwargs)

    def counting_connect(*args, **kwargs):
        seen["connections"] += 1
        return connect(*args, **kwargs)

    monkeypatch.setattr(Engine, "tick", counting_tick)
    monkeypatch.setattr(handle, "open_catalog", counting_connect)
    monkeypatch.setattr(Segment, "load", classmethod(counting_load))
    return seen


def test_steps_where_nothing_can_happen_are_skipped(shop, counted):
    # the README's example: an empty segment, 90 days hour by hour; then the same over everyone
    from workbench.segments import Segment

    nobody = {"AttributeType": "INCLUSIVE", "Values": ["zzz"]}
    Segment.from_json(shop, {"Dimensions": {"Attributes": {"plan": nobody}}}).save("nobody")
    window = {"start": T0, "end": T0 + timedelta(days=90)}
    empty = journey(QUIET_WELCOME, start="mail", journey_id="sp4",
                    StartCondition={"SegmentStartCondition": {"SegmentId": "nobody"}})  # fmt: skip
    sim = simulate(shop, empty, **window)
    assert sim.metrics["ENDPOINT_ENTERED"] == 0 and sim.timeline == []
    assert counted["ticks"] == 1  # nobody entered, the segment does not depend on the clock: nothing more
    counted["ticks"] = 0
    sim = simulate(shop, journey(QUIET_WELCOME, start="mail", journey_id="sp5"), **window)
    assert [t["now"] for t in sim.timeline] == [T0.isoformat(), (T0 + timedelta(days=1)).isoformat()]
    assert sim.metrics["ENDPOINT_LEFT"] == 7 and counted["ticks"] == 2  # the entry, the end of the Wait


def test_a_segment_is_read_once_per_simulation_when_the_clock_does_not_change_it(shop, counted):
    j, kwargs = cases()["refreshed"]
    simulate(shop, j, **kwargs)
    # 8 refreshes of the entry segment and a split on another: each segment loaded once, not at each step
    assert counted["ticks"] >= 8 and counted["segments"] == 2
    # and every step's reads share one catalog connection (a simulation writes nothing to the project)
    assert counted["connections"] == 1


@pytest.fixture(scope="module")
def lively(tmp_path_factory):
    """A project whose endpoints start sessions at T0 + 10 h (e00), + 30 h (x0) and + 50 h (e21)."""
    from workbench.ingest.events import record_events
    from workbench.segments import Segment

    project = make_shop(tmp_path_factory.mktemp("lively") / "shop")
    record_events(
        project,
        [
            {
                "event_type": "_session.start",
                "event_timestamp": int((T0 + timedelta(hours=h)).timestamp() * 1000),
                "client": {"client_id": client},
            }
            for client, h in (("e00", 10), ("x0", 30), ("e21", 50))
        ],
    )
    recent = {"Behavior": {"Recency": {"Duration": "HR_24", "RecencyType": "ACTIVE"}}}
    Segment.from_json(project, {"Dimensions": recent}).save("recent")
    return project


def test_a_segment_that_depends_on_the_clock_is_read_at_every_step(lively, counted):
    j = journey({"mail": {"EMAIL": {"TemplateName": "hello"}}}, start="mail", journey_id="sp6",
                StartCondition={"SegmentStartCondition": {"SegmentId": "recent"}})  # fmt: skip
    window = {"start": T0, "end": T0 + timedelta(days=3)}
    sim = simulate(lively, j, **window)
    entered = [(t["now"], t["entered"]) for t in sim.timeline]
    assert entered == [((T0 + timedelta(hours=h)).isoformat(), 1) for h in (10, 30, 50)]
    assert counted["ticks"] == 73
    assert [{k: t[k] for k in ("now", "entered", "left")} for t in sim.timeline] == stepped(
        lively, j, **window
    )


def test_the_cli_simulates_with_a_step(shop, capsys):
    from workbench.cli import main

    j, _ = cases()["welcome"]
    from workbench.journeys.spec import save_journey

    spec = shop.path.parent / "welcome.json"
    spec.write_text(json.dumps(j.request), encoding="utf-8")
    save_journey(shop, "welcome", spec)
    args = ["journey", "simulate", "welcome", "--project", str(shop.path), "--json"]
    window = ["--start", T0.isoformat(), "--end", (T0 + timedelta(days=3)).isoformat()]
    assert main([*args, *window, "--step", "6h"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["step_seconds"] == 6 * 3600 and out["metrics"]["ENDPOINT_LEFT"] == 7
    moments = [datetime.fromisoformat(t["now"]) - T0 for t in out["timeline"]]
    assert len(moments) >= 2 and all(m % timedelta(hours=6) == timedelta(0) for m in moments)
    assert main([*args, *window]) == 0
    assert json.loads(capsys.readouterr().out)["step_seconds"] == 3600
    for bad in ("6", "6x", "0h"):
        assert main([*args, *window, "--step", bad]) != 0
        assert "--step" in capsys.readouterr().err
    with pytest.raises(InputError, match="unit"):
        from workbench.cli.journeys import parse_step

        parse_step("6")


if __name__ == "__main__":  # record the digests: python tests/test_journey_simulate_speed.py DIR
    sys.path.insert(0, str(Path(__file__).parent))
    project = make_shop(Path(sys.argv[1]) / "shop")
    for key, (j, kwargs) in cases().items():
        print(f'    "{key}": "{digest(simulate(project, j, **kwargs))}",')
