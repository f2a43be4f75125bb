"""Simulating journeys: the real engine on a virtual clock, over a generated event stream or the event log,
sending nothing, with assumed rates for the events of messages that were never sent."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import polars as pl
import pytest
from test_journey_engine import T0, journey, make_shop

from workbench.delivery import Ledger
from workbench.errors import InputError
from workbench.journeys.engine import journey_metrics, participants, tick_journey
from workbench.journeys.simulate import ASSUMPTION_NOTE, simulate

PURCHASE = {
    "EventStartCondition": {
        "EventFilter": {
            "FilterType": "ENDPOINT",
            "Dimensions": {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]}},
        }
    }
}
FOLLOW_UP = {
    "thanks": {"EMAIL": {"TemplateName": "hello", "NextActivity": "opened"}},
    "opened": {
        "ConditionalSplit": {
            "Condition": {
                "Conditions": [
                    {
                        "EventCondition": {
                            "Dimensions": {
                                "EventType": {"DimensionType": "INCLUSIVE", "Values": ["_email.open"]}
                            },
                            "MessageActivity": "thanks",
                        }
                    }
                ]
            },
            "EvaluationWaitTime": {"WaitFor": "P1D"},
            "TrueActivity": "done",
            "FalseActivity": "nudge",
        }
    },
    "nudge": {"SMS": {"TemplateName": "nudge"}},
    "done": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}}},
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("sim") / "shop")


def stream(n: int = 400) -> pl.DataFrame:
    """A generated stream: n purchases by the project's endpoints (and some unknown ones) over two days."""
    clients = ["e00", "e01", "e10", "e20", "e31", "e40", "x0", "x1", "s0", "ghost"]
    return pl.DataFrame(
        {
            "event_id": [f"g{i}" for i in range(n)],
            "event_type": ["purchase" if i % 4 else "view" for i in range(n)],
            "event_timestamp": [T0.replace(tzinfo=None) + timedelta(minutes=7 * i) for i in range(n)],
            "client_id": [clients[i % len(clients)] for i in range(n)],
        }
    )


def test_a_simulation_counts_what_would_happen_and_sends_nothing(shop):
    j = journey(FOLLOW_UP, start="thanks", StartCondition=PURCHASE, Limits={"EndpointReentryCap": 0})
    sim = simulate(shop, j, start=T0, end=T0 + timedelta(days=3), events=stream())
    m = sim.metrics
    # every purchase of a participant not already in the journey enters it (unlimited re-entry)
    assert m["ENDPOINT_ENTERED"] > 8 and m["ACTIVE_ENDPOINT_REJECTED"] > 0
    thanks = m["activities"]["thanks"]
    assert thanks["WOULD_SEND"] > 0 and "MESSAGES" not in thanks
    opened = m["activities"]["opened"]
    assert (
        opened["True"] + opened["False"]
        == m["activities"]["opened"]["ENDPOINT_ENTERED"] - opened["ENDPOINT_ACTIVE"]
    )
    assert m["ENDPOINT_ACTIVE"] + m["ENDPOINT_LEFT"] == m["ENDPOINT_ENTERED"]
    assert not list(shop.outbox_dir.rglob("*"))  # nothing sent
    assert not shop.delivery_path.exists() or not Ledger.for_store(shop).rows("journey:j1")
    assert not (shop.path / "journeys").exists()  # the real state is not touched
    again = simulate(shop, j, start=T0, end=T0 + timedelta(days=3), events=stream())
    assert again.to_dict() == sim.to_dict()  # deterministic


def test_assumed_rates_decide_the_splits_on_events_of_simulated_messages(shop):
    j = journey(FOLLOW_UP, start="thanks", StartCondition=PURCHASE)
    window = {"start": T0, "end": T0 + timedelta(days=3), "events": stream()}
    always = simulate(shop, j, rates={"_email.open": 1.0}, **window).counts["opened"]
    never = simulate(shop, j, rates={"_email.open": 0.0}, **window).counts["opened"]
    assert always["False"] == 0 and always["True"] > 0
    assert never["True"] == 0 and never["False"] == always["True"]
    default = simulate(shop, j, **window)
    assert default.rates["_email.open"] == 0.25


def test_a_simulation_over_the_event_log_matches_the_real_ticks(tmp_path):
    """Without message events to assume, simulating and ticking are the same engine: the same counts."""
    from workbench.ingest.events import record_events

    project = make_shop(tmp_path / "shop")
    past = T0 - timedelta(days=10)
    record_events(
        project,
        [
            {
                "event_type": "purchase",
                "event_timestamp": int((past + timedelta(hours=3 * i)).timestamp() * 1000),
                "client": {"client_id": c},
            }
            for i, c in enumerate(["e00", "x0", "e21", "x1", "e00", "e31"])
        ],
    )
    acts = {
        "split": {
            "RandomSplit": {
                "Branches": [
                    {"Percentage": 30, "NextActivity": "pro"},
                    {"Percentage": 70, "NextActivity": "wait"},
                ]
            }
        },
        "pro": {
            "ConditionalSplit": {
                "Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "pro"}}]},
                "TrueActivity": "wait",
            }
        },
        "wait": {"Wait": {"WaitTime": {"WaitFor": "PT5H"}}},
    }
    j = journey(acts, start="split", StartCondition=PURCHASE, Limits={"EndpointReentryCap": 0})
    start, end = past, past + timedelta(days=1)
    sim = simulate(project, j, start=start, end=end, step=timedelta(hours=1))
    real = dataclasses.replace(j, journey_id="j1")
    now = start
    while now <= end:
        tick_journey(project, real, now=now)
        now += timedelta(hours=1)
    got = journey_metrics(project, real)
    assert {k: v for k, v in got.items() if k != "activities"} == {
        k: v for k, v in sim.metrics.items() if k != "activities"
    }
    assert sim.counts == {
        a: {k: v for k, v in m.items() if isinstance(v, int)} for a, m in got["activities"].items()
    }
    assert sim.metrics["ENDPOINT_ENTERED"] == 6
    assert participants(project, real).height == sim.participants.height == 5


def test_the_simulation_shows_itself_with_the_diagram_and_its_assumptions(shop):
    j = journey(FOLLOW_UP, start="thanks", StartCondition=PURCHASE)
    sim = simulate(shop, j, start=T0, end=T0 + timedelta(days=2), events=stream(100))
    data = sim.to_dict()
    assert data["simulated"] is True and data["note"] == ASSUMPTION_NOTE
    assert set(data["metrics"]["activities"]) == set(FOLLOW_UP)
    html = sim._repr_html_()
    assert "<svg" in html and "assumed rates" in html.lower() and "nothing was sent" in html
    for activity in FOLLOW_UP:
        assert activity in html


def test_bad_simulation_windows_and_rates_are_refused(shop):
    j = journey(FOLLOW_UP, start="thanks", StartCondition=PURCHASE)
    with pytest.raises(InputError, match="ends before it starts"):
        simulate(shop, j, start=T0, end=T0 - timedelta(days=1))
    with pytest.raises(InputError) as err:
        simulate(shop, j, start=T0, end=T0 + timedelta(days=1), rates={"_email.open": 1.5})
    assert err.value.field == "rates._email.open"
    with pytest.raises(InputError, match="positive"):
        simulate(shop, j, start=T0, end=T0 + timedelta(days=1), step=timedelta(0))


def test_a_simulation_accepts_a_stream_with_attribute_maps(shop):
    """A generated stream may carry attributes (the event log's map); a condition on another event uses them."""
    frame = stream(50).with_columns(
        pl.Series("attributes", [{"source": "ad"} for _ in range(50)], dtype=pl.Map(pl.String, pl.String))
    )
    j = journey({"w": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}}}}, start="w", StartCondition=PURCHASE)
    sim = simulate(shop, j, start=T0, end=T0 + timedelta(hours=6), events=frame)
    assert sim.metrics["ENDPOINT_ENTERED"] > 0
