"""Journeys: Pinpoint's ``WriteJourneyRequest`` definitions, validation, an engine that advances participants
column-wise on each tick, and simulation over the event log with a virtual clock."""
