"""Journeys: Pinpoint's ``WriteJourneyRequest`` definitions, validation, an engine that advances participants
column-wise on each tick, and simulation over the event log with a virtual clock.

- ``spec``: ``Journey``, ``save_journey`` / ``load_journey`` / ``list_journeys`` / ``set_journey_state``,
  ``validate_journey`` (the save-time checks, each naming the activity);
- ``engine``: ``tick_journey(store, journey, now=...)`` and ``journey_metrics`` (Pinpoint's metric names);
- ``simulate``: ``simulate(store, journey, start=, end=)`` on a virtual clock, sending nothing;
- ``diagram``: ``journey_svg(journey, counts)``, an inline SVG for Jupyter and the offline HTML export.
"""

from .diagram import journey_svg
from .engine import TickResult, journey_metrics, participants, tick_journey
from .simulate import Simulation, simulate
from .spec import Journey, list_journeys, load_journey, save_journey, set_journey_state, validate_journey

__all__ = [
    "Journey",
    "Simulation",
    "TickResult",
    "journey_metrics",
    "journey_svg",
    "list_journeys",
    "load_journey",
    "participants",
    "save_journey",
    "set_journey_state",
    "simulate",
    "tick_journey",
    "validate_journey",
]
