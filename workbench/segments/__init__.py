"""Segments: Pinpoint-compatible specs, behavioural conditions, and two engines (DuckDB SQL and Polars).

The front door:

- ``Segment``: a spec bound to a project (``members()``, ``count()``, ``breakdown()``, ``save()``, shows itself in
  Jupyter). ``Segment.from_json(project, spec)`` reads Pinpoint's ``WriteSegmentRequest``;
  ``Segment.load(project, name, version=None)`` a saved one.
- the builder: ``attribute``, ``user_attribute``, ``metric``, ``demographic``, ``channel``, ``country``, ``near``,
  ``active``, ``inactive``, ``performed``, ``never_performed``, ``first_performed``, ``last_performed``,
  ``engaged``, ``random_bucket``, ``in_segment``: conditions that combine with ``&``, ``|`` and ``~``.
- ``save_endpoints_as_segment(project, name, frame)``: a Polars result saved as an imported segment.
- ``segment_sql_filter(project, name, version=None)``: a SQL filter over ``endpoints`` for the export path.
- ``CountryCodeWarning`` / ``SegmentValueWarning``: a country or channel read as the import stores it ("usa" as
  "US", "email" as "EMAIL"), or a value no endpoint holds as written ("ios" when the data has "iOS").
"""

from ._values import SegmentValueWarning
from .builder import (
    RECENCY_DURATIONS,
    AttributeField,
    Condition,
    EventCondition,
    MetricField,
    SetField,
    active,
    attribute,
    channel,
    country,
    demographic,
    engaged,
    everyone,
    first_performed,
    in_segment,
    inactive,
    last_performed,
    metric,
    near,
    never_performed,
    performed,
    platform,
    random_bucket,
    user_attribute,
)
from .countries import CountryCodeWarning
from .segment import (
    Segment,
    SegmentCount,
    evaluation_time,
    list_segments,
    resolve_now,
    save_endpoints_as_segment,
    segment_sql_filter,
)
from .spec import SegmentSpec

__all__ = [
    "RECENCY_DURATIONS",
    "AttributeField",
    "Condition",
    "CountryCodeWarning",
    "EventCondition",
    "MetricField",
    "Segment",
    "SegmentCount",
    "SegmentSpec",
    "SegmentValueWarning",
    "SetField",
    "active",
    "attribute",
    "channel",
    "country",
    "demographic",
    "engaged",
    "evaluation_time",
    "everyone",
    "first_performed",
    "in_segment",
    "inactive",
    "last_performed",
    "list_segments",
    "metric",
    "near",
    "never_performed",
    "performed",
    "platform",
    "random_bucket",
    "resolve_now",
    "save_endpoints_as_segment",
    "segment_sql_filter",
    "user_attribute",
]
