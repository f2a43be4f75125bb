"""The segment condition tree: the node kinds every backend handles.

Pinpoint JSON (``_json_read``) and the Python builder (``builder``) produce these nodes; ``_json_write`` writes
them back as Pinpoint JSON, ``_words`` says them in words, ``_sql`` and ``_polars`` compile them. Each of those
backends has one dispatch table ``{node kind: function}`` (as sqlglot's generators do), so a new condition kind
is a class here plus one entry per table; ``tests/test_segments_backends.py`` fails until every table has it.
Nodes are frozen dataclasses so two trees compare equal when they mean the same conditions in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, get_args

# --- boolean structure ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllOf:
    """Every item holds (an empty AllOf selects every endpoint)."""

    items: tuple = ()


@dataclass(frozen=True)
class AnyOf:
    """At least one item holds (an empty AnyOf selects nobody)."""

    items: tuple = ()


@dataclass(frozen=True)
class NoneOf:
    """No item holds (Pinpoint's NONE; ``~condition`` in the builder)."""

    items: tuple = ()


# --- endpoint columns -------------------------------------------------------------------------------------------

#: Pinpoint ``Demographic`` keys -> endpoint column. Pinpoint's endpoint record has no device type field, so
#: ``DeviceType`` is matched against the device platform (iOS, Android, ...): documented in the README's Segments section.
DEMOGRAPHIC_COLUMNS = {
    "AppVersion": "Demographic.AppVersion",
    "Channel": "ChannelType",
    "DeviceType": "Demographic.Platform",
    "Make": "Demographic.Make",
    "Model": "Demographic.Model",
    "Platform": "Demographic.Platform",
}
#: ``ValueIn.dimension`` -> the endpoint column it reads.
SET_DIMENSION_COLUMNS = {
    **{f"Demographic.{k}": v for k, v in DEMOGRAPHIC_COLUMNS.items()},
    "Location.Country": "Location.Country",
}


@dataclass(frozen=True)
class ValueIn:
    """A Pinpoint set dimension (``Demographic.Channel``, ``Location.Country``...) is / is not one of values."""

    dimension: str
    values: tuple[str, ...]
    exclusive: bool = False


#: Attribute operators of Pinpoint's ``AttributeDimension``.
ATTRIBUTE_TYPES = ("INCLUSIVE", "EXCLUSIVE", "CONTAINS", "BEFORE", "AFTER", "ON", "BETWEEN")
DATE_TYPES = ("BEFORE", "AFTER", "ON", "BETWEEN")


@dataclass(frozen=True)
class AttributeMatch:
    """A multi-valued attribute column (``Attributes.x``, ``User.UserAttributes.x``) against values.

    An endpoint matches INCLUSIVE when any of its values is in ``values``; EXCLUSIVE when none is; CONTAINS when
    any of its values contains any of ``values`` (case-sensitive); the date operators when any of its values,
    read as an ISO date/instant, is before / after / on the date of / between the given instants.
    """

    column: str
    attribute_type: str
    values: tuple[str, ...]


METRIC_OPERATORS = {
    "GREATER_THAN": ">",
    "LESS_THAN": "<",
    "GREATER_THAN_OR_EQUAL": ">=",
    "LESS_THAN_OR_EQUAL": "<=",
    "EQUAL": "=",
}


@dataclass(frozen=True)
class MetricCompare:
    """A numeric column compared to a value (an endpoint without the metric never matches)."""

    column: str
    operator: str
    value: float


@dataclass(frozen=True)
class Near:
    """Great-circle distance from (latitude, longitude) at most ``km`` (haversine, mean Earth radius)."""

    latitude: float
    longitude: float
    km: float


# --- event log --------------------------------------------------------------------------------------------------

RECENCY_DURATIONS = {
    "HR_24": timedelta(hours=24),
    "DAY_7": timedelta(days=7),
    "DAY_14": timedelta(days=14),
    "DAY_30": timedelta(days=30),
}
#: Pinpoint's Recency is about app sessions: an endpoint is active when it had any session event in the window.
SESSION_EVENTS = ("_session.start", "_session.stop", "_session.pause", "_session.resume")


@dataclass(frozen=True)
class Recency:
    """Pinpoint's ``Behavior.Recency``: a session event (ACTIVE) or none (INACTIVE) in the last duration."""

    duration: str
    recency_type: str


@dataclass(frozen=True)
class EventFilter:
    """A condition on one event attribute (``AttributeDimension``) or metric (``MetricDimension``)."""

    kind: str  # "attribute" | "metric"
    name: str
    operator: str  # attribute type or metric comparison operator
    values: tuple = ()


@dataclass(frozen=True)
class Window:
    """Which events count: the last ``days`` days before now, or ``start`` <= time <= ``end`` (UTC), or all."""

    days: float | None = None
    start: str | None = None
    end: str | None = None

    def bounds(self, now: datetime) -> tuple[datetime | None, datetime | None, bool]:
        """(lower, upper, lower_inclusive): a relative window is (now - days, now]; dates are inclusive."""
        if self.days is not None:
            return now - timedelta(days=self.days), now, False
        lo = parse_instant(self.start) if self.start else None
        hi = parse_instant(self.end, end_of_day=True) if self.end else None
        return lo, hi, True


TIMES_OPERATORS = {"AT_LEAST": ">=", "AT_MOST": "<=", "EXACTLY": "="}


@dataclass(frozen=True)
class Performed:
    """The endpoint performed one of ``event_types`` (with ``filters``) N times in the window (times op count)."""

    event_types: tuple[str, ...]
    filters: tuple[EventFilter, ...] = ()
    times_operator: str = "AT_LEAST"
    times: int = 1
    window: Window = field(default_factory=Window)


@dataclass(frozen=True)
class PerformedWhen:
    """The endpoint's FIRST / LAST matching event happened BEFORE / AFTER an instant (never performed: no match)."""

    event_types: tuple[str, ...]
    which: str  # FIRST | LAST
    operator: str  # BEFORE | AFTER
    at: str
    filters: tuple[EventFilter, ...] = ()


#: Engagement actions and the Pinpoint event types that record them.
ENGAGEMENT_EVENTS = {
    "OPENED": ("_email.open", "_campaign.opened_notification", "_journey.opened_notification"),
    "CLICKED": ("_email.click", "_inapp.message_clicked"),
    "BOUNCED": ("_email.hardbounce", "_email.softbounce"),
    "UNSUBSCRIBED": ("_email.unsubscribe", "_SMS.OPTOUT"),
}


@dataclass(frozen=True)
class Engaged:
    """The endpoint opened / clicked / bounced / unsubscribed from a campaign or journey (or any) in the window."""

    action: str
    campaign_id: str | None = None
    journey_id: str | None = None
    window: Window = field(default_factory=Window)

    def as_performed(self) -> Performed:
        filters: list[EventFilter] = []
        if self.campaign_id:
            filters.append(EventFilter("attribute", "campaign_id", "INCLUSIVE", (self.campaign_id,)))
        if self.journey_id:
            filters.append(EventFilter("attribute", "journey_id", "INCLUSIVE", (self.journey_id,)))
        return Performed(ENGAGEMENT_EVENTS[self.action], tuple(filters), "AT_LEAST", 1, self.window)


# --- other ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomBucket:
    """Endpoints whose stable bucket (md5 of salt + id, little-endian, mod 100) is in [start, end)."""

    start: int
    end: int
    key: str = "ENDPOINT"  # ENDPOINT (Id) | USER (User.UserId, or Id when the endpoint has no user)
    salt: str = ""


@dataclass(frozen=True)
class InSegment:
    """Membership of another segment, by name or id (optionally a pinned version); resolved before compiling."""

    ref: str
    version: int | None = None


@dataclass(frozen=True)
class Members:
    """The static member list of an imported segment version (what ``InSegment`` resolves to for IMPORT)."""

    segment_id: str
    version: int
    name: str = ""


Node = (
    AllOf
    | AnyOf
    | NoneOf
    | ValueIn
    | AttributeMatch
    | MetricCompare
    | Near
    | Recency
    | Performed
    | PerformedWhen
    | Engaged
    | RandomBucket
    | InSegment
    | Members
)
#: Every node kind: each backend's dispatch table has exactly these keys.
NODE_KINDS: tuple[type, ...] = get_args(Node)
GROUPS = (AllOf, AnyOf, NoneOf)


def handler(table: Mapping[type, Callable[..., Any]], node: object, backend: str) -> Callable[..., Any]:
    """The entry of a backend's dispatch table for ``node``'s kind; a TypeError naming both when there is none."""
    try:
        return table[type(node)]
    except KeyError:
        raise TypeError(
            f"the {backend} has no entry for node kind {type(node).__name__!r}: every kind in "
            "workbench.segments._tree needs one entry in each backend's dispatch table"
        ) from None


def walk(node: Node):
    """Yield every node of the tree, depth first."""
    yield node
    if isinstance(node, GROUPS):
        for item in node.items:
            yield from walk(item)


def depth(node: Node) -> int:
    """How many levels of AllOf / AnyOf / NoneOf the tree has at its deepest (counted without recursion)."""
    deepest = 0
    stack = [(node, 0)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, GROUPS):
            level += 1
            deepest = max(deepest, level)
            stack.extend((item, level) for item in current.items)
    return deepest


def leaves(node: Node) -> list[Node]:
    return [n for n in walk(node) if not isinstance(n, GROUPS)]


def simplify(node: Node) -> Node:
    """A canonical form: nested ALL/ANY flattened, single-item ALL/ANY unwrapped, items in a fixed order.

    Two trees with the same simplified form select the same endpoints (used to test JSON round trips).
    """
    if isinstance(node, AllOf | AnyOf):
        kind = type(node)
        flat: list[Node] = []
        for item in (simplify(i) for i in node.items):
            flat.extend(item.items if isinstance(item, kind) else (item,))
        if kind is AllOf:  # NOT a AND NOT b == NOT (a OR b): one NoneOf per AND
            nots = [i for i in flat if isinstance(i, NoneOf)]
            if len(nots) > 1:
                flat = [i for i in flat if not isinstance(i, NoneOf)]
                flat.append(simplify(NoneOf(tuple(x for n in nots for x in n.items))))
        unique = sorted(set(flat), key=repr)
        return unique[0] if len(unique) == 1 else kind(tuple(unique))
    if isinstance(node, NoneOf):
        items = [simplify(i) for i in node.items]
        flat = []
        for item in items:
            flat.extend(item.items if isinstance(item, AnyOf) else (item,))
        return NoneOf(tuple(sorted(set(flat), key=repr))) if flat else AllOf(())
    return node


# --- dates --------------------------------------------------------------------------------------------------------

#: The attribute value shapes read as dates, in both engines: a date, or a date and time (seconds optional,
#: fraction up to microseconds) with an optional trailing Z. Anything else is "not a date" and never matches.
DATE_VALUE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?Z?$"


def parse_instant(text: str, *, end_of_day: bool = False) -> datetime:
    """Read an ISO date or instant as naive UTC (Pinpoint reads values as ISO_INSTANT; dates are 00:00 UTC).

    ``end_of_day`` makes a date-only value mean the last microsecond of that day (for inclusive upper bounds).
    Raises ValueError for anything else.
    """
    text = str(text).strip()
    if not text or not text[0].isdigit():
        raise ValueError(f"{text!r} is not an ISO date or instant")
    parsed = datetime.fromisoformat(text.replace("z", "Z"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if end_of_day and len(text) == 10:  # (no day after to step back from: 9999-12-31 is the last date)
        parsed = parsed.replace(hour=23, minute=59, second=59, microsecond=999_999)
    return parsed


def parse_day(text: str) -> date:
    return parse_instant(text).date()
