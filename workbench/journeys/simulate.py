"""Simulating a journey (which Pinpoint never had): the real engine on a virtual clock, sending nothing.

``simulate(store, journey, start=..., end=..., step=timedelta(hours=1))`` ticks the journey's engine at start,
start + step, ... up to end, with its state in memory (the journey's real participants and the ledger are not
touched). It runs only the steps where something can happen (a participant due, a possible entry, the
schedule's start or end: ``Engine.next_change``) and reads a segment whose members do not depend on the clock
once: the result is what ticking at every step gives, in a few steps' time. Entry uses the project's segments
(evaluated with the virtual clock as their "now") or the events of the window: a past window of the project's
event log, or a frame you pass (``events=``, a generated stream with the event log's columns: event_id,
event_type, event_timestamp, client_id, attributes...).

What a simulation cannot know, it assumes, and says so: message steps send nothing and count ``WOULD_SEND``
(messages to the participants' reachable endpoints, after quiet time and caps), and since no message was really
sent, an ``EventCondition`` on an earlier message activity (opened, clicked...) is drawn from an assumed rate per
event type (``rates``, defaults in ``engine.DEFAULT_RATES``: 25% opens, 4% clicks...), deterministically from a
stable hash of (journey, participant, activity), so two runs give the same counts. Conditions on other events
use the real (or generated) events.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from ..errors import InputError
from . import _state as st
from .engine import DEFAULT_RATES, Engine, FrameEvents, JourneyView, counts_to_metrics

ASSUMPTION_NOTE = (
    "Simulated: nothing was sent. Message steps count the messages they would send; conditions on the events "
    "of a simulated message (opens, clicks...) use assumed rates, drawn per participant by a stable hash."
)


@dataclass
class Simulation:
    """What a simulation found: counts per activity and branch, the journey's totals, a timeline per step."""

    journey: Any
    start: datetime
    end: datetime
    step: timedelta
    metrics: dict[str, Any]
    timeline: list[dict[str, Any]] = field(default_factory=list)
    rates: dict[str, float] = field(default_factory=dict)  # the assumed rates the simulation used
    participants: pl.DataFrame | None = None

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Activity id -> {metric or branch label: n} (the numbers the diagram shows)."""
        return {
            a: {k: v for k, v in m.items() if isinstance(v, int)}
            for a, m in self.metrics["activities"].items()
        }

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "journey": getattr(self.journey, "name", None),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "step_seconds": self.step.total_seconds(),
            "simulated": True,
            "note": ASSUMPTION_NOTE,
            "rates": dict(self.rates),
            "metrics": self.metrics,
            "timeline": self.timeline,
        }

    def _repr_html_(self) -> str:
        from .diagram import journey_svg

        m = self.metrics
        head = ", ".join(
            f"{k}: {m.get(k, 0):,}" for k in ("ENDPOINT_ENTERED", "ENDPOINT_ACTIVE", "ENDPOINT_LEFT")
        )
        used = ", ".join(f"{k} {v:.0%}" for k, v in sorted(self.rates.items())) or "none needed"
        return (
            "<div>"
            f"<p><b>Simulation of {_html.escape(str(getattr(self.journey, 'name', '')))}</b> from "
            f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} UTC, every {self.step}: {head}</p>"
            f"<p><i>{_html.escape(ASSUMPTION_NOTE)}</i> Assumed rates: {_html.escape(used)}.</p>"
            f"{journey_svg(self.journey, self.counts)}</div>"
        )


def simulate(
    store: Any,
    journey: Any,
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(hours=1),
    events: pl.DataFrame | None = None,
    rates: Mapping[str, float] | None = None,
) -> Simulation:
    """Run ``journey`` on a virtual clock from ``start`` to ``end`` every ``step`` (see the module docstring).

    The journey is simulated as if ACTIVE, whatever its state. ``events``: a frame of events to use instead of
    the project's event log; ``rates``: assumed event rates per message (event type -> 0..1) over the defaults.
    """
    start, end = st.as_utc(start), st.as_utc(end)
    if end < start:
        raise InputError("the simulation ends before it starts", field="end")
    if step <= timedelta(0):
        raise InputError("the step must be positive", field="step")
    for name, rate in (rates or {}).items():
        if not 0.0 <= float(rate) <= 1.0:
            raise InputError(f"a rate is between 0 and 1, not {rate!r}", field=f"rates.{name}")
    # one read-only catalog connection for every read (a simulation writes nothing to the project): opening one
    # with its views costs more than most steps take (benchmarks/bench_journey_simulate.py)
    with store.reading():
        return _run(store, journey, start, end, step, events, rates)


def _run(
    store: Any,
    journey: Any,
    start: datetime,
    end: datetime,
    step: timedelta,
    events: pl.DataFrame | None,
    rates: Mapping[str, float] | None,
) -> Simulation:
    """The simulation's clock loop (see :func:`simulate`)."""
    if events is None:
        events = store.query("SELECT * FROM events WHERE event_timestamp <= ?", [end.replace(tzinfo=None)])
    view = JourneyView(journey, state="ACTIVE")
    backend = st.MemoryStore()
    backend.state.event_cursor = start - timedelta(microseconds=1)
    engine = Engine(store, view, backend, FrameEvents(events), simulate=True, rates=rates)
    timeline = []
    now = start
    while now <= end:
        result = engine.tick(now, send=False)
        if result.entered or result.advanced or result.left or result.journey:
            timeline.append(
                {
                    "now": now.isoformat(),
                    "entered": result.entered,
                    "moves": result.advanced,
                    "left": result.left,
                    "would_send": sum(m.get("WOULD_SEND", 0) for m in result.counts.values()),
                }
            )
        now = _next_step(start, step, now, engine.next_change(now))
    state = backend.load()
    metrics = counts_to_metrics(view, backend.counts(), state.participants)
    every = {**DEFAULT_RATES, **dict(rates or {})}
    used = {t: float(every.get(t, 0.0)) for t in sorted(engine.assumed | set(rates or {}))}
    return Simulation(journey, start, end, step, metrics, timeline, used, state.participants)


def _next_step(start: datetime, step: timedelta, now: datetime, due: datetime | None) -> datetime:
    """The step after ``now`` that a simulation runs: the first of start + k * step at or after ``due``, the
    earliest instant at which anything can happen (``Engine.next_change``; None: never, so past any end). The
    steps skipped would have done nothing: stepping every step gives the same result, slower (benchmarks/
    bench_journey_simulate.py: a 90-day simulation hour by hour went from minutes to seconds)."""
    if due is None:
        return datetime.max.replace(tzinfo=now.tzinfo)
    if due <= now + step:
        return now + step
    return start + step * -((start - due) // step)  # ceil((due - start) / step) steps from the start
