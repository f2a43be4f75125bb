"""A journey: Pinpoint's ``WriteJourneyRequest`` JSON, read and written back unchanged, checked, and saved in the
catalog with versions.

``Journey.from_json`` takes the request (a dict, JSON text or a file), the AWS CLI's ``--cli-input-json`` of
``create-journey`` / ``update-journey``, or what ``aws pinpoint get-journey`` prints (a ``JourneyResponse``, with or
without its wrapper: Id, ApplicationId, dates, tags and State are dropped, so an imported journey starts as a
draft). It checks the shape against Pinpoint's service model and each value on its own: activity ids, one type per
activity, waits, durations, percentages, limits, quiet time, time zones, event filters.

``validate_journey`` adds the checks of the whole journey that Pinpoint makes when a journey is saved, each naming
the activity: at most 40 activities, a start activity, next activities that exist, no unreachable activity, no
cycle without a Wait, message steps with a template (that exists, given a project), random-split percentages that
add up to 100, at most 4 branches (plus the else) in a multivariate split. ``save_journey`` runs both.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..delivery.timing import (
    JOURNEY_UTC_OFFSETS,
    QuietTime,
    SendingSchedule,
    check_end_after_start,
    parse_instant,
    parse_utc_offset,
)
from ..errors import InputError, UnknownNameError, suggest
from ..segments.event_filter import EventFilter, event_dimensions_from_json
from ..store.definitions import (
    STATES,
    check_name,
    check_range,
    check_shape,
    list_definitions,
    load_definition,
    read_json_source,
    request_from_json,
    save_definition,
    set_state,
)

if TYPE_CHECKING:
    from ..store import Store

JOURNEY_STATES = STATES["journey"]
ACTIVITY_TYPES = (
    "EMAIL",
    "SMS",
    "PUSH",
    "CUSTOM",
    "Wait",
    "ConditionalSplit",
    "MultiCondition",
    "RandomSplit",
    "Holdout",
    "ContactCenter",
)
#: activities that send a message (EventCondition.MessageActivity names one of them)
MESSAGE_TYPES = ("EMAIL", "SMS", "PUSH", "CUSTOM", "ContactCenter")
#: message activity type -> the type of template it sends (CUSTOM may use a template of any type)
TEMPLATE_TYPES = {"EMAIL": "EMAIL", "SMS": "SMS", "PUSH": "PUSH"}
#: the states a create or update request may ask for
REQUEST_STATES = ("DRAFT", "ACTIVE")

#: Pinpoint's quotas and limits (reference/pinpoint.md section 4)
MAX_ACTIVITIES = 40
MAX_MULTI_CONDITION_BRANCHES = 4
MAX_RANDOM_SPLIT_BRANCHES = 5
MAX_CONTACT_CENTER = 3
MAX_CAP = 100
MAX_TIMEFRAME_DAYS = 30
MESSAGES_PER_SECOND = (1, 20_000)
MAX_CUSTOM_DATA_BYTES = 5 * 1024
#: the longest duration read (a journey runs at most about 18 months; beyond this a timedelta overflows)
MAX_DURATION = timedelta(days=3660)

_ACTIVITY_ID = re.compile(r"[A-Za-z0-9]{1,100}")
_VERSION = re.compile(r"[1-9][0-9]{0,9}")
_DURATION = re.compile(
    r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?"
    r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:[.,][0-9]+)?)S)?)?"
)


def _fail(reason: str, path: str, file: str | None) -> InputError:
    return InputError(reason, file=file, field=path)


def parse_duration(text: Any, *, field: str, file: str | None = None) -> timedelta:
    """An ISO 8601 duration (``PT1H``, ``P7D``, ``P1DT12H``, ``P2W``) as a timedelta; a year counts 365 days and
    a month 30. InputError naming ``field`` otherwise."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) and text.isascii() else None
    if match is None or not any(match.groups()) or text.endswith("T"):
        raise InputError(
            f"{text!r} is not an ISO 8601 duration (e.g. PT1H, P1D, P7D, P1DT12H)"[:300],
            file=file,
            field=field,
        )
    years, months, weeks, days, hours, minutes, seconds = (g or "0" for g in match.groups())
    try:
        total_days = int(years) * 365 + int(months) * 30 + int(weeks) * 7 + int(days)
        seconds_total = int(hours) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
        if total_days > MAX_DURATION.days or seconds_total > MAX_DURATION.total_seconds():
            raise OverflowError
        duration = timedelta(days=total_days, seconds=seconds_total)
    except (OverflowError, ValueError):
        duration = MAX_DURATION * 2
    if duration > MAX_DURATION:
        raise InputError(f"{text} is longer than {MAX_DURATION.days} days", file=file, field=field)
    return duration


@dataclass(frozen=True)
class Journey:
    """A journey: Pinpoint's ``WriteJourneyRequest`` (``request``) with its name, and once saved its id, version
    and state. Build one with ``Journey.from_json(...)``, check it with ``validate_journey``, or load a saved one
    with ``load_journey``."""

    name: str
    request: dict = field(hash=False)
    journey_id: str | None = None
    version: int | None = None
    state: str = "DRAFT"

    @classmethod
    def from_json(cls, source: Any, *, name: str | None = None, file: str | None = None) -> Journey:
        """Read and check a journey from a dict, JSON text or a file: a ``WriteJourneyRequest``, the AWS CLI's
        ``--cli-input-json``, or a ``JourneyResponse`` (response-only fields dropped). ``name`` defaults to the
        request's ``Name`` (and fills it in when the request has none). The state is ACTIVE when the request says
        ``State: ACTIVE``, else DRAFT. Raises InputError naming the file and the key path of the first problem."""
        obj, file = read_json_source(source, file)
        request, _response = request_from_json(obj, "journey", file=file)
        if "Name" not in request and isinstance(name, str):
            request = {"Name": name, **request}
        check_shape(request, "WriteJourneyRequest", file=file)
        name = check_name(name if name is not None else request["Name"], "journey", file)
        check_journey_values(request, file=file)
        return cls(name, request, state="ACTIVE" if request.get("State") == "ACTIVE" else "DRAFT")

    def to_json(self, indent: int | None = 2) -> str:
        """The ``WriteJourneyRequest`` as JSON text (what ``aws pinpoint create-journey`` takes)."""
        return json.dumps(self.request, indent=indent, ensure_ascii=False)

    def _repr_html_(self) -> str:
        import html

        from .diagram import journey_svg

        version = f" version {self.version}" if self.version else ""
        return (
            f"<div><b>Journey {html.escape(self.name)}</b>{version}: {html.escape(self.state)}, "
            f"{len(self.activities)} activities</div>" + journey_svg(self)
        )

    @property
    def activities(self) -> dict[str, dict]:
        """Activity id -> the Activity object (``{"EMAIL": {...}, "Description": ...}``), in the request's order."""
        return self.request.get("Activities") or {}

    @property
    def start_activity(self) -> str:
        """``StartActivity``: the id of the first activity ('' when the request has none)."""
        return self.request.get("StartActivity", "")

    def activity_type(self, activity_id: str) -> str:
        """The activity's type: one of ``ACTIVITY_TYPES`` (EMAIL, Wait, ConditionalSplit...)."""
        return _activity_type(self._activity(activity_id)) or ""

    def next_activities(self, activity_id: str) -> list[tuple[str, str]]:
        """[(branch label, next activity id)]: ``[("", "b")]`` for a step, ``[("True", x), ("False", y)]`` for a
        yes/no split, ``[("Branch_1", ..), ..., ("Else", ..)]`` for a multivariate split, ``[("Branch_1", ..),
        ...]`` for a random split. A branch without a next activity (the journey ends there) is left out."""
        return _next(self._activity(activity_id))

    def _activity(self, activity_id: str) -> dict:
        activities = self.activities
        if activity_id not in activities:
            raise UnknownNameError(
                f"journey {self.name!r} has no activity {activity_id!r}{suggest(str(activity_id), activities)}"
            )
        return activities[activity_id]

    def __repr__(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        return f"<Journey {self.name!r}{version} {self.state}, {len(self.activities)} activities>"


def _activity_type(activity: dict) -> str | None:
    return next((key for key in activity if key in ACTIVITY_TYPES), None)


def _next(activity: dict) -> list[tuple[str, str]]:
    kind = _activity_type(activity)
    if kind is None:
        return []
    body = activity[kind]
    if kind == "ConditionalSplit":
        pairs = [("True", body.get("TrueActivity")), ("False", body.get("FalseActivity"))]
    elif kind == "MultiCondition":
        pairs = [(f"Branch_{i}", b.get("NextActivity")) for i, b in enumerate(body.get("Branches") or [], 1)]
        pairs.append(("Else", body.get("DefaultActivity")))
    elif kind == "RandomSplit":
        pairs = [(f"Branch_{i}", b.get("NextActivity")) for i, b in enumerate(body.get("Branches") or [], 1)]
    else:
        pairs = [("", body.get("NextActivity"))]
    return [(label, target) for label, target in pairs if target]


def _next_fields(activity_id: str, activity: dict) -> list[tuple[str, str]]:
    """[(key path, next activity id)] of an activity, for errors that name the key."""
    kind = _activity_type(activity)
    if kind is None:
        return []
    base = f"Activities.{activity_id}.{kind}"
    body = activity[kind]
    if kind == "ConditionalSplit":
        keys = [(f"{base}.{k}", body.get(k)) for k in ("TrueActivity", "FalseActivity")]
    elif kind == "MultiCondition":
        keys = [
            (f"{base}.Branches[{i}].NextActivity", b.get("NextActivity"))
            for i, b in enumerate(body.get("Branches") or [])
        ]
        keys.append((f"{base}.DefaultActivity", body.get("DefaultActivity")))
    elif kind == "RandomSplit":
        keys = [
            (f"{base}.Branches[{i}].NextActivity", b.get("NextActivity"))
            for i, b in enumerate(body.get("Branches") or [])
        ]
    else:
        keys = [(f"{base}.NextActivity", body.get("NextActivity"))]
    return [(path, target) for path, target in keys if target]


# --- checks of single values (Journey.from_json) ---------------------------------------------------------------


def check_journey_values(request: dict, *, file: str | None = None) -> None:
    """Check each value of a ``WriteJourneyRequest`` (its shape already checked): the name, State, Schedule,
    Limits, QuietTime, durations, OpenHours/ClosedDays, the start event filter and every activity on its own."""
    check_name(request["Name"], "journey", file)
    if "State" in request and request["State"] not in REQUEST_STATES:
        raise _fail(
            f"a journey is saved as DRAFT or ACTIVE, not {request['State']} (change a saved journey's state with "
            "set_journey_state)",
            "State",
            file,
        )
    schedule = request.get("Schedule") or {}
    start = (
        parse_instant(schedule["StartTime"], field="Schedule.StartTime", file=file)
        if "StartTime" in schedule
        else None
    )
    if "EndTime" in schedule:
        end = parse_instant(schedule["EndTime"], field="Schedule.EndTime", file=file)
        check_end_after_start(start, end, field="Schedule.EndTime", file=file)
    if "Timezone" in schedule:
        parse_utc_offset(
            schedule["Timezone"], field="Schedule.Timezone", file=file, offsets=JOURNEY_UTC_OFFSETS
        )
    if "QuietTime" in request:
        QuietTime.from_json(request["QuietTime"], field="QuietTime", file=file)
    limits = request.get("Limits") or {}
    for key in ("DailyCap", "EndpointReentryCap", "TotalCap"):
        check_range(limits, key, "Limits.", 0, MAX_CAP, file)
    check_range(limits, "MessagesPerSecond", "Limits.", *MESSAGES_PER_SECOND, file)
    timeframe = limits.get("TimeframeCap") or {}
    check_range(timeframe, "Cap", "Limits.TimeframeCap.", 0, MAX_CAP, file)
    check_range(timeframe, "Days", "Limits.TimeframeCap.", 0, MAX_TIMEFRAME_DAYS, file)
    if "EndpointReentryInterval" in limits:
        parse_duration(limits["EndpointReentryInterval"], field="Limits.EndpointReentryInterval", file=file)
    if "RefreshFrequency" in request:
        parse_duration(request["RefreshFrequency"], field="RefreshFrequency", file=file)
    if "OpenHours" in request or "ClosedDays" in request:
        SendingSchedule.from_json(request.get("OpenHours"), request.get("ClosedDays"), file=file)
    condition = request.get("StartCondition") or {}
    event_start = condition.get("EventStartCondition") or {}
    if "EventFilter" in event_start:
        EventFilter.from_json(
            event_start["EventFilter"], field="StartCondition.EventStartCondition.EventFilter", file=file
        )
    for activity_id, activity in (request.get("Activities") or {}).items():
        _check_activity(activity_id, activity, file)


def _check_activity(activity_id: str, activity: dict, file: str | None) -> None:
    path = f"Activities.{activity_id}"
    if not _ACTIVITY_ID.fullmatch(activity_id):
        raise _fail(
            f"activity id {activity_id!r} must be 1-100 letters and digits (Pinpoint's rule)"[:300],
            path,
            file,
        )
    kinds = [key for key in activity if key in ACTIVITY_TYPES]
    if len(kinds) != 1:
        found = f"has {' and '.join(kinds)}" if kinds else "has none"
        raise _fail(
            f"an activity is exactly one of {', '.join(ACTIVITY_TYPES)}; this one {found}", path, file
        )
    kind = kinds[0]
    body = activity[kind]
    base = f"{path}.{kind}"
    if "TemplateVersion" in body and not _VERSION.fullmatch(body["TemplateVersion"]):
        raise _fail(
            f"{body['TemplateVersion']!r} is not a template version (a number; leave it out for the active one)"[
                :300
            ],
            f"{base}.TemplateVersion",
            file,
        )
    if kind == "CUSTOM":
        data = (body.get("MessageConfig") or {}).get("Data")
        if data is not None and len(data.encode("utf-8")) > MAX_CUSTOM_DATA_BYTES:
            raise _fail(
                f"is {len(data.encode('utf-8')):,} bytes; Pinpoint's limit is {MAX_CUSTOM_DATA_BYTES:,}",
                f"{base}.MessageConfig.Data",
                file,
            )
    elif kind == "Wait":
        if "WaitTime" not in body:
            raise _fail(
                "a Wait needs WaitTime: WaitFor (a duration) or WaitUntil (a date-time)",
                f"{base}.WaitTime",
                file,
            )
        _check_wait_time(body["WaitTime"], f"{base}.WaitTime", file, required=True)
    elif kind == "Holdout":
        check_range(body, "Percentage", f"{base}.", 0, 100, file)
    elif kind == "RandomSplit":
        for i, branch in enumerate(body.get("Branches") or []):
            check_range(branch, "Percentage", f"{base}.Branches[{i}].", 0, 100, file)
    elif kind == "ConditionalSplit":
        if "EvaluationWaitTime" in body:
            _check_wait_time(body["EvaluationWaitTime"], f"{base}.EvaluationWaitTime", file, required=False)
        for i, simple in enumerate((body.get("Condition") or {}).get("Conditions") or []):
            _check_simple_condition(simple, f"{base}.Condition.Conditions[{i}]", file)
    elif kind == "MultiCondition":
        if "EvaluationWaitTime" in body:
            _check_wait_time(body["EvaluationWaitTime"], f"{base}.EvaluationWaitTime", file, required=False)
        for i, branch in enumerate(body.get("Branches") or []):
            if "Condition" in branch:
                _check_simple_condition(branch["Condition"], f"{base}.Branches[{i}].Condition", file)


def _check_wait_time(wait: dict, path: str, file: str | None, *, required: bool) -> None:
    given = [key for key in ("WaitFor", "WaitUntil") if key in wait]
    if len(given) > 1 or (required and not given):
        raise _fail("give one of WaitFor (a duration, e.g. P1D) or WaitUntil (a date-time)", path, file)
    if "WaitFor" in wait:
        parse_duration(wait["WaitFor"], field=f"{path}.WaitFor", file=file)
    if "WaitUntil" in wait:
        parse_instant(wait["WaitUntil"], field=f"{path}.WaitUntil", file=file)


def _check_simple_condition(simple: dict, path: str, file: str | None) -> None:
    given = [key for key in ("EventCondition", "SegmentCondition", "SegmentDimensions") if key in simple]
    if len(given) != 1:
        raise _fail(
            "a condition is exactly one of EventCondition, SegmentCondition or SegmentDimensions"
            + (f" (this one has {' and '.join(given)})" if given else ""),
            path,
            file,
        )
    if "EventCondition" in simple:
        event = simple["EventCondition"]
        if "Dimensions" in event:
            event_dimensions_from_json(
                event["Dimensions"], field=f"{path}.EventCondition.Dimensions", file=file
            )
    elif "SegmentCondition" in simple:
        if not simple["SegmentCondition"]["SegmentId"].strip():
            raise _fail("is empty: give a segment's name or id", f"{path}.SegmentCondition.SegmentId", file)
    else:
        from ..segments.spec import SegmentSpec

        try:
            SegmentSpec.from_json({"Dimensions": simple["SegmentDimensions"]}, file=file)
        except InputError as err:
            inner = (err.field or "Dimensions").removeprefix("Dimensions")
            raise InputError(
                err.reason, file=file, line=err.line, field=f"{path}.SegmentDimensions{inner}"
            ) from None


# --- checks of the whole journey (validate_journey) ------------------------------------------------------------


def validate_journey(journey: Journey, *, store: Store | None = None, file: str | None = None) -> None:
    """The checks Pinpoint makes when a journey is saved, each an InputError naming the activity: its values (as
    ``from_json``), at most 40 activities, a start activity that exists, next activities that exist, message steps
    with a TemplateName, random-split percentages adding up to 100, at most 4 multivariate branches and 3
    contact-center steps, no unreachable activity, no cycle without a Wait for a duration. With ``store``, the
    segments and templates it names must exist (UnknownNameError with close names)."""
    request = journey.request
    check_journey_values(request, file=file)
    activities = journey.activities
    if not activities:
        raise _fail("a journey needs activities (and a StartActivity)", "Activities", file)
    if len(activities) > MAX_ACTIVITIES:
        raise _fail(
            f"has {len(activities)} activities; Pinpoint allows at most {MAX_ACTIVITIES}", "Activities", file
        )
    _check_start_condition(request.get("StartCondition"), file)
    start = journey.start_activity
    if not start:
        raise _fail("a journey needs a StartActivity (the id of its first activity)", "StartActivity", file)
    if start not in activities:
        raise _fail(f"names no activity {start!r}{suggest(start, activities)}", "StartActivity", file)
    contact_center = [a for a, act in activities.items() if _activity_type(act) == "ContactCenter"]
    if len(contact_center) > MAX_CONTACT_CENTER:
        raise _fail(
            f"{len(contact_center)} ContactCenter activities; Pinpoint allows at most {MAX_CONTACT_CENTER} per journey",
            f"Activities.{contact_center[MAX_CONTACT_CENTER]}",
            file,
        )
    for activity_id, activity in activities.items():
        _check_whole_activity(activity_id, activity, activities, file)
    _check_graph(journey, file)
    if store is not None:
        check_journey_references(store, journey)


def _check_start_condition(condition: dict | None, file: str | None) -> None:
    condition = condition or {}
    given = [key for key in ("SegmentStartCondition", "EventStartCondition") if key in condition]
    if len(given) != 1:
        raise _fail(
            "a journey starts from a segment (SegmentStartCondition) or an event (EventStartCondition): give one"
            + (", not both" if given else ""),
            "StartCondition",
            file,
        )
    event = condition.get("EventStartCondition")
    if event is not None and "EventFilter" not in event:
        raise _fail(
            "an event start needs an EventFilter", "StartCondition.EventStartCondition.EventFilter", file
        )


def _check_whole_activity(activity_id: str, activity: dict, activities: dict, file: str | None) -> None:
    kind = _activity_type(activity)
    body = activity[kind]
    base = f"Activities.{activity_id}.{kind}"
    for path, target in _next_fields(activity_id, activity):
        if target not in activities:
            raise _fail(
                f"activity {activity_id!r} goes to {target!r}, which is not an activity{suggest(target, activities)}",
                path,
                file,
            )
    if kind in TEMPLATE_TYPES and not body.get("TemplateName", "").strip():
        raise _fail(
            f"the {kind} activity {activity_id!r} needs a TemplateName (the template it sends)",
            f"{base}.TemplateName",
            file,
        )
    if kind == "CUSTOM" and not body.get("DeliveryUri", "").strip():
        raise _fail(
            f"the CUSTOM activity {activity_id!r} needs a DeliveryUri (a Lambda function or an https:// URL)",
            f"{base}.DeliveryUri",
            file,
        )
    if kind == "RandomSplit":
        branches = body.get("Branches") or []
        if not branches or len(branches) > MAX_RANDOM_SPLIT_BRANCHES:
            raise _fail(
                f"the random split {activity_id!r} has {len(branches)} branches; give 1 to {MAX_RANDOM_SPLIT_BRANCHES}",
                f"{base}.Branches",
                file,
            )
        total = sum(b.get("Percentage", 0) for b in branches)
        if total != 100:
            raise _fail(
                f"the random split {activity_id!r}'s branch percentages add up to {total}, not 100",
                f"{base}.Branches",
                file,
            )
    if kind == "MultiCondition":
        branches = body.get("Branches") or []
        if not branches or len(branches) > MAX_MULTI_CONDITION_BRANCHES:
            raise _fail(
                f"the multivariate split {activity_id!r} has {len(branches)} branches; give 1 to "
                f"{MAX_MULTI_CONDITION_BRANCHES} (plus the DefaultActivity, the else branch)",
                f"{base}.Branches",
                file,
            )
        for i, branch in enumerate(branches):
            if "Condition" not in branch:
                raise _fail(
                    f"branch {i + 1} of {activity_id!r} needs a Condition",
                    f"{base}.Branches[{i}].Condition",
                    file,
                )
    if kind == "ConditionalSplit" and not (body.get("Condition") or {}).get("Conditions"):
        raise _fail(
            f"the yes/no split {activity_id!r} needs at least one condition",
            f"{base}.Condition.Conditions",
            file,
        )
    for path, simple in _simple_conditions(activity_id, activity):
        message = (simple.get("EventCondition") or {}).get("MessageActivity")
        if message is not None and (
            message not in activities or _activity_type(activities[message]) not in MESSAGE_TYPES
        ):
            raise _fail(
                f"the split {activity_id!r} tests the events of {message!r}, which is not a message activity"
                f"{suggest(message, activities)}",
                f"{path}.EventCondition.MessageActivity",
                file,
            )


def _simple_conditions(activity_id: str, activity: dict) -> list[tuple[str, dict]]:
    """[(key path, SimpleCondition)] of a split activity."""
    kind = _activity_type(activity)
    body = activity[kind]
    base = f"Activities.{activity_id}.{kind}"
    if kind == "ConditionalSplit":
        conditions = (body.get("Condition") or {}).get("Conditions") or []
        return [(f"{base}.Condition.Conditions[{i}]", c) for i, c in enumerate(conditions)]
    if kind == "MultiCondition":
        return [
            (f"{base}.Branches[{i}].Condition", b["Condition"])
            for i, b in enumerate(body.get("Branches") or [])
            if "Condition" in b
        ]
    return []


def _waits(activity: dict) -> bool:
    """Does a participant wait here before going on? (a Wait for a duration: a Wait until a date waits once)"""
    wait = activity.get("Wait")
    return (
        wait is not None
        and "WaitFor" in (wait.get("WaitTime") or {})
        and parse_duration(wait["WaitTime"]["WaitFor"], field="WaitFor") > timedelta(0)
    )


def _check_graph(journey: Journey, file: str | None) -> None:
    """Unreachable activities and cycles without a wait, in time linear in activities plus branches."""
    activities = journey.activities
    edges = {a: [target for _label, target in _next(act)] for a, act in activities.items()}
    unreachable = unreachable_activities(journey.start_activity, edges)
    if unreachable:
        listed = ", ".join(repr(a) for a in unreachable[:10]) + (", ..." if len(unreachable) > 10 else "")
        raise _fail(
            f"activity {unreachable[0]!r} is unreachable: no path from the StartActivity "
            f"{journey.start_activity!r} leads to it (unreachable: {listed})",
            f"Activities.{unreachable[0]}",
            file,
        )
    waits = {a for a, act in activities.items() if _waits(act)}
    cycle = cycle_without(edges, waits)
    if cycle:
        path = " -> ".join([*cycle, cycle[0]])
        raise _fail(
            f"activity {cycle[0]!r} is on a cycle without a Wait ({path}): a participant would go round it without "
            "waiting; put a Wait with a WaitFor duration on the cycle",
            f"Activities.{cycle[0]}",
            file,
        )


def unreachable_activities(start: str, edges: dict[str, list[str]]) -> list[str]:
    """The activities no path from ``start`` reaches, in ``edges``' order (a breadth-first walk)."""
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return [a for a in edges if a not in seen]


def cycle_without(edges: dict[str, list[str]], waits: set[str]) -> list[str]:
    """One cycle (its activities in order) that passes through none of ``waits``, or [] when there is none.

    An iterative depth-first walk over the graph without the waiting activities: each activity and branch is
    visited once, so the time is linear (and no recursion limit applies)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for root in edges:
        if root in waits or root in state:
            continue
        path = [root]
        state[root] = 1
        iters = [iter(edges.get(root, ()))]
        while iters:
            target = next(iters[-1], None)
            if target is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if target in waits or target not in edges:
                continue
            mark = state.get(target)
            if mark == 1:
                return path[path.index(target) :]
            if mark is None:
                state[target] = 1
                path.append(target)
                iters.append(iter(edges.get(target, ())))
    return []


# --- references to the project's segments and templates -----------------------------------------------------


def check_journey_references(store: Store, journey: Journey) -> None:
    """The segments (start segment, SegmentCondition segments) and templates (with TemplateVersion) the journey
    names exist in the project; UnknownNameError naming the activity and close names."""
    from ..messages.templates import load_template
    from ..segments.segment import Catalog

    with store.connect(read_only=True, views=False) as con:
        catalog = Catalog(store, con)
    condition = journey.request.get("StartCondition") or {}
    refs = []
    if "SegmentStartCondition" in condition:
        refs.append(
            (
                "StartCondition.SegmentStartCondition.SegmentId",
                condition["SegmentStartCondition"]["SegmentId"],
            )
        )
    if "SegmentId" in (condition.get("EventStartCondition") or {}):
        refs.append(
            ("StartCondition.EventStartCondition.SegmentId", condition["EventStartCondition"]["SegmentId"])
        )
    for activity_id, activity in journey.activities.items():
        for path, simple in _simple_conditions(activity_id, activity):
            if "SegmentCondition" in simple:
                refs.append((f"{path}.SegmentCondition.SegmentId", simple["SegmentCondition"]["SegmentId"]))
    for path, segment in refs:
        try:
            catalog.get(segment)
        except UnknownNameError as err:
            raise UnknownNameError(f"journey {journey.name!r}, {path}: {err}") from None
    for activity_id, activity in journey.activities.items():
        kind = _activity_type(activity)
        body = activity[kind]
        if kind not in MESSAGE_TYPES or not body.get("TemplateName"):
            continue
        version = int(body["TemplateVersion"]) if "TemplateVersion" in body else None
        try:
            load_template(store, body["TemplateName"], type=TEMPLATE_TYPES.get(kind), version=version)
        except UnknownNameError as err:
            where = f"Activities.{activity_id}.{kind}.TemplateName"
            raise UnknownNameError(
                f"journey {journey.name!r}, activity {activity_id!r} ({where}): {err}"
            ) from None
        except InputError:  # a CUSTOM step's name that templates of two types share: it exists
            pass


# --- storage --------------------------------------------------------------------------------------------------


def save_journey(store: Store, name: str, source: Any, *, file: str | None = None) -> Journey:
    """Check a journey (``Journey.from_json`` and ``validate_journey`` with the project) and save it as a new
    version: DRAFT, or ACTIVE when the request says ``State: ACTIVE``. Nothing is saved when it is refused."""
    journey = Journey.from_json(source, name=name, file=file)
    validate_journey(journey, store=store, file=file)
    journey_id, version = save_definition(
        store, "journey", journey.name, journey.request, state=journey.state
    )
    return replace(journey, journey_id=journey_id, version=version)


def load_journey(store: Store, ref: str, *, version: int | None = None) -> Journey:
    """A saved journey by name or id (the latest version, or ``version``), with its state from the catalog."""
    found = load_definition(store, "journey", ref, version)
    return Journey(found.name, found.request, found.id, found.version, found.state)


def list_journeys(store: Store) -> list[dict[str, Any]]:
    """Every journey: id, name, state, version (the latest), activities (how many), start (segment or event),
    updated_at."""
    out = []
    for row in list_definitions(store, "journey"):
        condition = row["request"].get("StartCondition") or {}
        if "SegmentStartCondition" in condition:
            start = f"segment {condition['SegmentStartCondition'].get('SegmentId')}"
        elif "EventStartCondition" in condition:
            start = "event"
        else:
            start = None
        out.append(
            {
                "id": row["id"],
                "name": row["name"],
                "state": row["state"],
                "version": row["latest_version"],
                "activities": len(row["request"].get("Activities") or {}),
                "start": start,
                "updated_at": row["updated_at"],
            }
        )
    return out


def set_journey_state(store: Store, ref: str, state: str) -> None:
    """Set a saved journey's state (one of ``JOURNEY_STATES``) without a new version."""
    set_state(store, "journey", ref, state)
