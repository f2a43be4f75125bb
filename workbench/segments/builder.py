"""A small Python builder for segment conditions; conditions combine with ``&``, ``|`` and ``~``.

>>> from workbench.segments import attribute, metric, demographic, country, near, active, performed
>>> pro_buyers = attribute("plan").any_of("pro", "team") & (metric("purchases") >= 2) & ~country.any_of("US")
>>> recent_cart = performed("cart.add").at_least(2).within_days(7) & active("DAY_7")
>>> Segment(project, pro_buyers | recent_cart).count()

Every condition is a node of the same tree the Pinpoint JSON reader produces, so a built segment saves as
``WriteSegmentRequest`` JSON (``condition.to_json()``) and runs on both DuckDB and Polars.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from typing import Any

from ..errors import InputError, suggest
from . import _tree as t
from ._json_read import check_dates
from ._json_write import to_request
from ._values import stored_form
from ._words import describe


class Condition:
    """One segment condition (or a combination). ``a & b``, ``a | b``, ``~a``."""

    __slots__ = ("node",)

    def __init__(self, node: t.Node):
        self.node = node

    def __and__(self, other: Condition) -> Condition:
        return Condition(t.AllOf((*_items(self.node, t.AllOf), *_items(_node(other), t.AllOf))))

    def __or__(self, other: Condition) -> Condition:
        return Condition(t.AnyOf((*_items(self.node, t.AnyOf), *_items(_node(other), t.AnyOf))))

    def __invert__(self) -> Condition:
        if isinstance(self.node, t.NoneOf) and len(self.node.items) == 1:
            return Condition(self.node.items[0])
        return Condition(t.NoneOf((self.node,)))

    def __bool__(self) -> bool:
        raise TypeError("combine conditions with &, | and ~ (not and / or / not)")

    def to_request(self, name: str | None = None) -> dict:
        """The condition as a Pinpoint ``WriteSegmentRequest`` dict."""
        return to_request(self.node, name)

    def to_json(self, name: str | None = None, indent: int | None = 2) -> str:
        """The condition as Pinpoint ``WriteSegmentRequest`` JSON text (what ``segment create --spec`` reads)."""
        return json.dumps(self.to_request(name), indent=indent)

    def describe(self) -> str:
        """The condition in words ("plan is one of pro; and performed purchase at least 2 times ...")."""
        return describe(self.node)

    def __repr__(self) -> str:
        return f"<Condition: {self.describe()}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and self.node == other.node

    def __hash__(self) -> int:
        return hash(self.node)


def _node(value: Any) -> t.Node:
    if isinstance(value, Condition):
        return value.node
    raise TypeError(
        f"cannot combine a segment condition with {type(value).__name__}: to mix in a Polars expression, use "
        "project.endpoints.filter(segment.to_polars() & expr)"
    )


def _items(node: t.Node, kind: type) -> tuple:
    return node.items if isinstance(node, kind) else (node,)


def _values(values: tuple) -> tuple[str, ...]:
    flat: list[str] = []
    for v in values:
        flat.extend(v if isinstance(v, list | tuple | set) else [v])
    if not flat:
        raise InputError("give at least one value")
    return tuple(str(v) for v in flat)


# --- set dimensions -----------------------------------------------------------------------------------------------


class SetField:
    """A Pinpoint set dimension: ``demographic("Platform")``, ``channel``, ``country``."""

    def __init__(self, dimension: str):
        self.dimension = dimension

    def any_of(self, *values: str) -> Condition:
        """The endpoint's value is one of ``values`` (INCLUSIVE). A country or channel written otherwise than the
        data holds it is used as the data holds it, with a warning: ``country.any_of("usa")`` means ``US``."""
        return Condition(t.ValueIn(self.dimension, self._stored(values)))

    def none_of(self, *values: str) -> Condition:
        """The endpoint's value is none of ``values`` (EXCLUSIVE; endpoints without a value match)."""
        return Condition(t.ValueIn(self.dimension, self._stored(values), exclusive=True))

    def _stored(self, values: tuple) -> tuple[str, ...]:
        out = []
        for value in _values(values):
            stored = stored_form(self.dimension, value)
            if stored is not None:
                warnings.warn(stored[2], stored[1], stacklevel=3)
            out.append(value if stored is None else stored[0])
        return tuple(out)

    is_in = any_of
    not_in = none_of


def demographic(name: str) -> SetField:
    """``AppVersion``, ``Channel``, ``DeviceType``, ``Make``, ``Model`` or ``Platform``."""
    if name not in t.DEMOGRAPHIC_COLUMNS:
        raise InputError(
            f"unknown demographic {name!r}{suggest(name, t.DEMOGRAPHIC_COLUMNS)}", field="Demographic"
        )
    return SetField(f"Demographic.{name}")


channel = SetField("Demographic.Channel")
country = SetField("Location.Country")
platform = SetField("Demographic.Platform")


# --- attributes and metrics -----------------------------------------------------------------------------------------


class AttributeField:
    """A custom (user) attribute: ``attribute("plan")``, ``user_attribute("loyalty_tier")``."""

    def __init__(self, column: str):
        self.column = column

    def match(self, attribute_type: str, *values: str) -> Condition:
        """The condition by Pinpoint's AttributeType name (INCLUSIVE, EXCLUSIVE, CONTAINS, BEFORE, AFTER, ON,
        BETWEEN), as a point-and-click builder picks it."""
        vals = _values(values)
        check_dates(attribute_type, vals, self.column)
        return Condition(t.AttributeMatch(self.column, attribute_type, vals))

    def any_of(self, *values: str) -> Condition:
        """Any of the endpoint's values is one of ``values`` (INCLUSIVE)."""
        return self.match("INCLUSIVE", *values)

    def none_of(self, *values: str) -> Condition:
        """None of the endpoint's values is one of ``values`` (EXCLUSIVE)."""
        return self.match("EXCLUSIVE", *values)

    def contains(self, *substrings: str) -> Condition:
        """Any value contains any of ``substrings`` (case-sensitive, as in Pinpoint)."""
        return self.match("CONTAINS", *substrings)

    def before(self, when: str) -> Condition:
        """A date value before ``when`` (an ISO date or instant)."""
        return self.match("BEFORE", when)

    def after(self, when: str) -> Condition:
        """A date value after ``when`` (an ISO date or instant)."""
        return self.match("AFTER", when)

    def on(self, *days: str) -> Condition:
        """A date value on one of ``days`` (ISO dates)."""
        return self.match("ON", *days)

    def between(self, start: str, end: str) -> Condition:
        """A date value from ``start`` to ``end`` (ISO dates or instants, inclusive)."""
        return self.match("BETWEEN", start, end)

    is_in = any_of
    not_in = none_of


def attribute(name: str) -> AttributeField:
    """An endpoint custom attribute (``Attributes.<name>``)."""
    return AttributeField(name if name.startswith("Attributes.") else f"Attributes.{name}")


def user_attribute(name: str) -> AttributeField:
    """A user attribute (``User.UserAttributes.<name>``)."""
    return AttributeField(name if name.startswith("User.UserAttributes.") else f"User.UserAttributes.{name}")


class MetricField:
    """An endpoint metric: ``metric("purchases") >= 2``."""

    def __init__(self, column: str):
        self.column = column

    def compare(self, op: str, value: float) -> Condition:
        """The condition by Pinpoint's ComparisonOperator name (GREATER_THAN, LESS_THAN, ..., EQUAL)."""
        if op not in t.METRIC_OPERATORS:
            raise InputError(
                f"unknown comparison {op!r}; one of {', '.join(t.METRIC_OPERATORS)}", field=self.column
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{value!r} is not a number", field=self.column)
        return Condition(t.MetricCompare(self.column, op, float(value)))

    def __gt__(self, value: float) -> Condition:  # type: ignore[override]
        return self.compare("GREATER_THAN", value)

    def __lt__(self, value: float) -> Condition:  # type: ignore[override]
        return self.compare("LESS_THAN", value)

    def __ge__(self, value: float) -> Condition:  # type: ignore[override]
        return self.compare("GREATER_THAN_OR_EQUAL", value)

    def __le__(self, value: float) -> Condition:  # type: ignore[override]
        return self.compare("LESS_THAN_OR_EQUAL", value)

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self.compare("EQUAL", value)  # type: ignore[arg-type]

    __hash__ = None  # type: ignore[assignment]


def metric(name: str) -> MetricField:
    """An endpoint metric (``Metrics.<name>``)."""
    return MetricField(name if name.startswith("Metrics.") else f"Metrics.{name}")


def near(latitude: float, longitude: float, km: float = 100) -> Condition:
    """Within ``km`` kilometres (great-circle) of a point: Pinpoint's ``Location.GPSPoint``."""
    return Condition(t.Near(float(latitude), float(longitude), float(km)))


# --- behaviour ------------------------------------------------------------------------------------------------------


#: Pinpoint's Recency durations, shortest first
RECENCY_DURATIONS: tuple[str, ...] = tuple(t.RECENCY_DURATIONS)


def active(duration: str = "DAY_30") -> Condition:
    """Had an app session in the last HR_24 / DAY_7 / DAY_14 / DAY_30 (Pinpoint's Recency ACTIVE)."""
    _duration(duration)
    return Condition(t.Recency(duration, "ACTIVE"))


def inactive(duration: str = "DAY_30") -> Condition:
    """No app session in the last HR_24 / DAY_7 / DAY_14 / DAY_30 (Pinpoint's Recency INACTIVE)."""
    _duration(duration)
    return Condition(t.Recency(duration, "INACTIVE"))


def _duration(duration: str) -> None:
    if duration not in t.RECENCY_DURATIONS:
        raise InputError(
            f"{duration!r} is not one of {', '.join(t.RECENCY_DURATIONS)}", field="Recency.Duration"
        )


class EventCondition(Condition):
    """``performed(event)`` with chained refinements; each method returns a new condition."""

    __slots__ = ()

    @property
    def performed(self) -> t.Performed:
        """The condition's node: the event types, how many times, the window and the filters."""
        assert isinstance(self.node, t.Performed)
        return self.node

    def _with(self, **changes: Any) -> EventCondition:
        return EventCondition(replace(self.performed, **changes))

    def where(self, name: str, *values: str, attribute_type: str = "INCLUSIVE") -> EventCondition:
        """Only events whose attribute ``name`` matches (INCLUSIVE by default)."""
        f = t.EventFilter("attribute", name, attribute_type, _values(values))
        return self._with(filters=(*self.performed.filters, f))

    def where_metric(self, name: str, operator: str, value: float) -> EventCondition:
        """Only events whose metric ``name`` compares (``">"``, ``">="``, ``"<"``, ``"<="``, ``"="`` or Pinpoint's names)."""
        ops = {
            ">": "GREATER_THAN",
            "<": "LESS_THAN",
            ">=": "GREATER_THAN_OR_EQUAL",
            "<=": "LESS_THAN_OR_EQUAL",
            "=": "EQUAL",
            "==": "EQUAL",
        }
        op = ops.get(operator, operator)
        if op not in t.METRIC_OPERATORS:
            raise InputError(f"unknown comparison {operator!r}", field=name)
        f = t.EventFilter("metric", name, op, (float(value),))
        return self._with(filters=(*self.performed.filters, f))

    def at_least(self, n: int) -> EventCondition:
        """Performed at least ``n`` times."""
        return self._with(times_operator="AT_LEAST", times=int(n))

    def at_most(self, n: int) -> EventCondition:
        """Performed at most ``n`` times (0 included)."""
        return self._with(times_operator="AT_MOST", times=int(n))

    def exactly(self, n: int) -> EventCondition:
        """Performed exactly ``n`` times."""
        return self._with(times_operator="EXACTLY", times=int(n))

    def within_days(self, days: float) -> EventCondition:
        """Count only events in the last ``days`` days (before "now")."""
        return self._with(window=t.Window(days=float(days)))

    def between(self, start: str, end: str) -> EventCondition:
        """Count only events from ``start`` to ``end`` (ISO dates or instants, inclusive)."""
        check_dates("BETWEEN", (start, end), "Between")
        return self._with(window=t.Window(start=start, end=end))


def performed(*event_types: str) -> EventCondition:
    """Performed one of ``event_types`` at least once (refine: ``.at_least(n).within_days(d).where(...)``)."""
    return EventCondition(t.Performed(_values(event_types)))


def never_performed(*event_types: str) -> EventCondition:
    """Never performed any of ``event_types`` (refine the window with ``.within_days(d)``)."""
    return EventCondition(t.Performed(_values(event_types), times_operator="EXACTLY", times=0))


class _When:
    def __init__(self, which: str, event_types: tuple[str, ...]):
        self.which, self.event_types = which, _values(event_types)

    def before(self, when: str) -> Condition:
        """The first (or last) time was before ``when`` (an ISO date or instant)."""
        return self._at("BEFORE", when)

    def after(self, when: str) -> Condition:
        """The first (or last) time was after ``when`` (an ISO date or instant)."""
        return self._at("AFTER", when)

    def _at(self, op: str, when: str) -> Condition:
        check_dates("BEFORE", (when,), self.which)
        return Condition(t.PerformedWhen(self.event_types, self.which, op, when))


def first_performed(*event_types: str) -> _When:
    """``first_performed("_session.start").before("2026-09-01")``."""
    return _When("FIRST", event_types)


def last_performed(*event_types: str) -> _When:
    """``last_performed("_monetization.purchase").after("2026-10-01")``."""
    return _When("LAST", event_types)


def engaged(
    action: str, *, campaign: str | None = None, journey: str | None = None, within_days: float | None = None
) -> Condition:
    """OPENED, CLICKED, BOUNCED or UNSUBSCRIBED from a campaign / journey id (or any), optionally recently."""
    action = action.upper()
    if action not in t.ENGAGEMENT_EVENTS:
        raise InputError(
            f"{action!r} is not one of {', '.join(t.ENGAGEMENT_EVENTS)}", field="Engagement.Action"
        )
    window = t.Window(days=float(within_days)) if within_days is not None else t.Window()
    return Condition(t.Engaged(action, campaign, journey, window))


def random_bucket(start: int, end: int | None = None, *, by: str = "ENDPOINT", salt: str = "") -> Condition:
    """``random_bucket(20)``: a stable 20% of endpoints; ``random_bucket(20, 40)``: the next 20%.

    ``by="USER"`` keeps all of a user's endpoints together.
    """
    lo, hi = (0, start) if end is None else (start, end)
    if not (0 <= lo <= hi <= 100):
        raise InputError(f"buckets are 0 <= start <= end <= 100, got {lo}..{hi}", field="RandomBucket")
    return Condition(t.RandomBucket(int(lo), int(hi), by.upper(), salt))


def in_segment(name: str, version: int | None = None) -> Condition:
    """Member of another saved segment (its latest version, or a pinned one)."""
    return Condition(t.InSegment(name, version))


def everyone() -> Condition:
    """Every endpoint."""
    return Condition(t.AllOf(()))
