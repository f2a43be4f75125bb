"""The journey engine: each participant's position, advanced on ``tick(now)``, column-wise with Polars.

A tick of an ACTIVE journey (``tick_journey(store, journey, now=...)``):

1. **Entry.** ``SegmentStartCondition``: the segment's members (evaluated with ``now`` as the segment clock, or the project's pinned ``[segments] now``) on
   every tick when the journey has no ``RefreshFrequency`` (new members enter as they appear; nobody re-enters),
   else once per ``RefreshFrequency`` (members who left may re-enter, within the limits). ``EventStartCondition``:
   the events matching its ``EventFilter`` whose ``event_timestamp`` falls in (previous tick, now] -- a cursor
   kept with the participants, so an event enters once; on the first tick the window starts at
   ``Schedule.StartTime``, or ``[journeys] first_tick_lookback_hours`` (24) before now -- optionally only for
   members of ``SegmentId``. An event from a participant already in the journey counts
   ``ACTIVE_ENDPOINT_REJECTED``.
   A participant is a user (all its endpoints move together) when the endpoint has a ``User.UserId``, else the
   endpoint itself (pinpoint.md section 4, "Entry"). ``Limits.EndpointReentryCap`` is the most entries a
   participant may make (absent: 1, no re-entry; 0: unlimited); a refused re-entry counts
   ``REENTRY_CAP_EXCEEDED``. ``EndpointReentryInterval`` is the least time between two entries.
2. **Advance.** Participants whose ``due_at`` has come move on, one activity type at a time over all of them
   (never a Python loop per participant), until none is due (at most one pass per activity, so a cycle through
   a Wait that is already over cannot spin). Waits and splits with ``EvaluationWaitTime`` set ``due_at`` on
   arrival. Message steps check quiet time (``QuietTime``, in each participant's ``Demographic.Timezone``;
   ``WaitForQuietTime`` holds the participant until it ends, else the message is skipped and counted
   ``QUIET_TIME``), open hours and closed days (``SendingSchedule``), the caps (``DailyCap``, ``TotalCap``,
   ``TimeframeCap``: a capped participant moves on without the message), then render the template for the
   participants' endpoints of the channel, compose and plan the messages in the ledger.
3. **Commit**, in this order: the tick's counts (``log/g<N>.parquet``), the messages (``Ledger.plan``: INSERT OR
   IGNORE on deterministic send keys), the participants file (atomic rename). Then the journey's ledger run is
   sent (``delivery.send_run``, ``Limits.MessagesPerSecond`` as the rate). A kill -9 anywhere is harmless: before
   the participants file is renamed the next tick redoes the same moves from the old file (same send keys, the
   log file of that generation overwritten); after it, only sending is left, which the send loop resumes.

Send keys: ``send_key("journey", journey_id, "<entry>:<activity>", endpoint_id, channel)``; messages carry
``journey_id``, ``journey_run_id`` (the participant's entry number) and ``journey_activity_id``, which the
``_email.*`` / ``_SMS.*`` / ``_journey.send`` events copy, so ``EventCondition`` splits on an earlier message's
opens or clicks find them.

States: DRAFT and PAUSED ticks do nothing; CANCELLED removes the participants (``CANCELLED``); after
``Schedule.EndTime`` the participants leave and the journey is COMPLETED.
"""

from __future__ import annotations

import html as _html
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ..errors import InputError, WorkbenchError
from . import _state as st
from .spec import parse_duration

MESSAGE_TYPES = ("EMAIL", "SMS", "PUSH", "CUSTOM")
SPLIT_TYPES = ("ConditionalSplit", "MultiCondition", "RandomSplit", "Holdout")
ACTIVITY_KEYS = ("EMAIL", "SMS", "PUSH", "CUSTOM", "Wait", "ConditionalSplit", "MultiCondition", "RandomSplit",
                 "Holdout", "ContactCenter")  # fmt: skip
#: Pinpoint's metrics ``ActivityType`` for each activity key.
METRIC_TYPES = {
    "EMAIL": "MESSAGE",
    "SMS": "MESSAGE",
    "PUSH": "MESSAGE",
    "CUSTOM": "MESSAGE",
    "Wait": "WAIT",
    "ConditionalSplit": "CONDITIONAL_SPLIT",
    "MultiCondition": "MULTI_CONDITIONAL_SPLIT",
    "RandomSplit": "RANDOM_SPLIT",
    "Holdout": "HOLDOUT",
    "ContactCenter": "CONTACT_CENTER",
}
#: Journey-level metrics (GetJourneyExecutionMetrics).
JOURNEY_METRICS = (
    "ENDPOINT_ENTERED",
    "ENDPOINT_ACTIVE",
    "ENDPOINT_LEFT",
    "REENTRY_CAP_EXCEEDED",
    "ACTIVE_ENDPOINT_REJECTED",
    "CANCELLED",
)
#: ChannelType values each message step reaches.
CHANNEL_TYPES = {
    "EMAIL": ("EMAIL",),
    "SMS": ("SMS",),
    "PUSH": ("APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "GCM", "ADM", "BAIDU"),
}
#: Assumed event rates per message for simulated EventCondition splits (nothing was really sent).
DEFAULT_RATES = {
    "_email.send": 1.0,
    "_email.delivered": 0.97,
    "_email.open": 0.25,
    "_email.click": 0.04,
    "_email.unsubscribe": 0.005,
    "_email.hardbounce": 0.01,
    "_email.softbounce": 0.01,
    "_email.complaint": 0.001,
    "_email.rejected": 0.0,
    "_SMS.SUCCESS": 0.97,
    "_SMS.FAILURE": 0.03,
    "_SMS.OPTOUT": 0.005,
    "_journey.send": 1.0,
    "_push.send": 1.0,
    "_journey.opened_notification": 0.05,
}


def ledger_run(journey_id: str) -> str:
    """The delivery-ledger run that holds all of a journey's messages."""
    return f"journey:{journey_id}"


@dataclass
class TickResult:
    """What one tick did for one journey: entered, advanced (moves), sent (messages planned), left, per-activity
    counts, and the journey's state after it (COMPLETED after Schedule.EndTime)."""

    journey_id: str
    now: datetime
    state: str
    entered: int = 0
    advanced: int = 0
    sent: int = 0
    left: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    journey: dict[str, int] = field(default_factory=dict)
    skipped: str | None = None
    delivery: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "journey_id": self.journey_id,
            "now": self.now.isoformat(),
            "state": self.state,
            "entered": self.entered,
            "advanced": self.advanced,
            "sent": self.sent,
            "left": self.left,
            "skipped": self.skipped,
            "journey": dict(self.journey),
            "activities": {a: dict(m) for a, m in self.counts.items()},
            "delivery": list(self.delivery),
        }

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{_html.escape(a)}</td><td>{_html.escape(', '.join(f'{k}: {v:,}' for k, v in m.items()))}"
            "</td></tr>"
            for a, m in self.counts.items()
        )
        return (
            f"<div><b>journey {_html.escape(self.journey_id)}</b> at {self.now:%Y-%m-%d %H:%M} ({self.state}): "
            f"entered {self.entered:,}, moves {self.advanced:,}, messages {self.sent:,}, left {self.left:,}"
            f"<table>{rows}</table></div>"
        )


# --- reading a WriteJourneyRequest ----------------------------------------------------------------------------


class JourneyView:
    """What the engine reads from a journey's request: activity types, next activities and their labels."""

    def __init__(self, journey: Any, *, state: str | None = None):
        self.journey = journey
        self.request: dict = dict(journey.request)
        self.journey_id = str(journey.journey_id or journey.name)
        self.state = str(state or getattr(journey, "state", "DRAFT") or "DRAFT").upper()
        self.activities: dict[str, dict] = dict(self.request.get("Activities") or {})
        self.start = self.request.get("StartActivity") or next(iter(self.activities), None)
        self.limits: dict = dict(self.request.get("Limits") or {})

    def kind(self, activity_id: str) -> str:
        """The activity's key (EMAIL, Wait, ConditionalSplit...)."""
        body = self.activities.get(activity_id) or {}
        for key in ACTIVITY_KEYS:
            if key in body:
                return key
        raise InputError(f"activity {activity_id!r} has no type", field=f"Activities.{activity_id}")

    def settings(self, activity_id: str) -> dict:
        return dict(self.activities[activity_id][self.kind(activity_id)] or {})

    def next(self, activity_id: str) -> list[tuple[str, str | None]]:
        """[(branch label, next activity id or None)] as journeys.spec.Journey.next_activities labels them."""
        kind, s = self.kind(activity_id), self.settings(activity_id)
        if kind == "ConditionalSplit":
            return [("True", s.get("TrueActivity")), ("False", s.get("FalseActivity"))]
        if kind == "MultiCondition":
            out: list[tuple[str, str | None]] = [
                (f"Branch_{i}", b.get("NextActivity")) for i, b in enumerate(s.get("Branches") or [], 1)
            ]
            return [*out, ("Else", s.get("DefaultActivity"))]
        if kind == "RandomSplit":
            return [(f"Branch_{i}", b.get("NextActivity")) for i, b in enumerate(s.get("Branches") or [], 1)]
        return [("", s.get("NextActivity"))]

    def arrival_delay(self, activity_id: str, now: datetime) -> datetime:
        """When a participant arriving at ``activity_id`` at ``now`` may leave it (Wait, EvaluationWaitTime)."""
        kind, s = self.kind(activity_id), self.settings(activity_id)
        wait = s.get("WaitTime") if kind == "Wait" else s.get("EvaluationWaitTime")
        where = f"Activities.{activity_id}.{kind}.{'WaitTime' if kind == 'Wait' else 'EvaluationWaitTime'}"
        if not wait:
            return now
        if wait.get("WaitFor"):
            return now + parse_duration(wait["WaitFor"], field=f"{where}.WaitFor")
        if wait.get("WaitUntil"):
            return max(now, st.parse_time(wait["WaitUntil"], field=f"{where}.WaitUntil"))
        return now

    def schedule_time(self, key: str) -> datetime | None:
        value = (self.request.get("Schedule") or {}).get(key)
        return st.parse_time(value, field=f"Schedule.{key}") if value else None


# --- events: the event log (ticks) or a frame (simulation) ----------------------------------------------------


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _event_filter(obj: Mapping[str, Any], *, field: str) -> Any:
    from ..segments.event_filter import EventFilter

    return EventFilter.from_json(dict(obj), field=field)


_EVENT_COLUMNS = {
    "event_id": pl.String,
    "event_type": pl.String,
    "event_timestamp": pl.Datetime("us"),
    "client_id": pl.String,
    "user_id": pl.String,
    "journey_id": pl.String,
    "journey_run_id": pl.String,
    "journey_activity_id": pl.String,
}


class StoreEvents:
    """Events read from the project's event log with the filter's SQL."""

    def __init__(self, store: Any):
        self.store = store

    def select(self, flt: Any, start: datetime | None, end: datetime) -> pl.DataFrame:
        """Events matching ``flt`` with start < event_timestamp <= end (naive UTC bounds)."""
        where = ["event_timestamp <= ?"]
        params: list[Any] = [_naive(end)]
        if start is not None:
            where.append("event_timestamp > ?")
            params.append(_naive(start))
        if flt is not None:
            where.append(f"({flt.sql()})")
        sql = (
            "SELECT event_id, event_type, event_timestamp, client_id, user_id, "
            "attributes['journey_id'] AS journey_id, attributes['journey_run_id'] AS journey_run_id, "
            "attributes['journey_activity_id'] AS journey_activity_id FROM events WHERE "
            + " AND ".join(where)
        )
        return self.store.query(sql, params).cast(_EVENT_COLUMNS)  # type: ignore[arg-type]


class FrameEvents:
    """Events from a Polars frame with the event log's columns (a window of the log, or a generated stream)."""

    def __init__(self, frame: pl.DataFrame):
        cols = frame.columns
        extra = []
        for name in ("journey_id", "journey_run_id", "journey_activity_id"):
            if name not in cols:
                extra.append(
                    _attribute(name).alias(name)
                    if "attributes" in cols
                    else pl.lit(None, pl.String).alias(name)
                )
        for name in ("event_id", "user_id"):
            if name not in cols:
                extra.append(pl.lit(None, pl.String).alias(name))
        self.frame = frame.with_columns(extra) if extra else frame
        self.frame = self.frame.with_columns(pl.col("event_timestamp").cast(pl.Datetime("us")))

    def select(self, flt: Any, start: datetime | None, end: datetime) -> pl.DataFrame:
        cond = pl.col("event_timestamp") <= _naive(end)
        if start is not None:
            cond = cond & (pl.col("event_timestamp") > _naive(start))
        frame = self.frame.filter(cond)
        if flt is not None:
            frame = frame.filter(flt.expr())
        return frame.select(list(_EVENT_COLUMNS)).cast(_EVENT_COLUMNS)  # type: ignore[arg-type]


def _attribute(name: str) -> pl.Expr:
    """One attribute's value from the event log's ``attributes`` map."""
    return pl.col("attributes").cast(pl.Map(pl.String, pl.String)).map.get(name)


# --- the engine -----------------------------------------------------------------------------------------------


class Engine:
    """One journey's engine over a state backend (files for ticks, memory for simulations)."""

    def __init__(
        self,
        store: Any,
        view: JourneyView,
        backend: Any,
        events: Any,
        *,
        simulate: bool = False,
        rates: Mapping[str, float] | None = None,
    ):
        self.store = store
        self.view = view
        self.backend = backend
        self.events = events
        self.simulate = simulate
        self.rates = {**DEFAULT_RATES, **dict(rates or {})}
        self._segments: dict[Any, pl.DataFrame] = {}  # members per segment, for one tick
        self._loaded: dict[Any, Any] = {}  # Segment objects, loaded once per engine
        self._by_sql: dict[str, pl.DataFrame] = {}  # members per member query (simulations)
        self._owners: pl.DataFrame | None = None
        self.assumed: set[str] = set()  # event types whose rates a simulation assumed

    # --- one tick -------------------------------------------------------------------------------------------

    def tick(self, now: datetime, *, send: bool = True) -> TickResult:
        now = st.as_utc(now)
        view = self.view
        self._segments = {}
        result = TickResult(view.journey_id, now, view.state)
        if view.state in ("DRAFT", "PAUSED"):
            result.skipped = f"the journey is {view.state}"
            return result
        state = self.backend.load()
        before = (state.event_cursor, state.last_refresh)
        counter: Counter[tuple[str, str]] = Counter()
        planned: list[Any] = []
        people = state.participants
        active = pl.col("status") == "ACTIVE"
        end = view.schedule_time("EndTime")
        if view.state == "CANCELLED" or (end is not None and now >= end):
            stop = "CANCELLED" if view.state == "CANCELLED" else "LEFT"
            n = people.filter(active).height
            if n:
                people = people.with_columns(
                    pl.when(active).then(pl.lit(stop)).otherwise("status").alias("status"),
                    pl.when(active).then(None).otherwise("activity").alias("activity"),
                    pl.when(active).then(pl.lit(now)).otherwise("left_at").alias("left_at"),
                )
                counter[("", "CANCELLED" if stop == "CANCELLED" else "ENDPOINT_LEFT")] += n
            result.state = "CANCELLED" if view.state == "CANCELLED" else "COMPLETED"
            if view.state != "CANCELLED":
                result.skipped = "past Schedule.EndTime"
        else:
            start = view.schedule_time("StartTime")
            if start is not None and now < start:
                result.skipped = "before Schedule.StartTime"
                return result
            people = self._enter(people, state, now, counter)
            people = self._advance(people, now, counter, planned, send)
        changed = bool(counter) or (state.event_cursor, state.last_refresh) != before
        if changed:
            state.generation += 1
            state.participants = people
            self.backend.write_log(state.generation, _counts_frame(counter))
            if planned:
                from ..delivery import Ledger

                with Ledger.for_store(self.store) as ledger:
                    ledger.plan(ledger_run(view.journey_id), "journey", view.journey_id, planned)
            self.backend.save(state)
        _fill_result(result, counter, len(planned))
        if send and not self.simulate:
            result.delivery = self._send()
        if result.state == "COMPLETED" and view.state != "COMPLETED" and not self.simulate:
            self._mark_completed()
        return result

    def next_change(self, now: datetime) -> datetime | None:
        """After the tick at ``now``: the earliest instant at which a tick could change anything (a participant
        due, the next entry, ``Schedule.StartTime`` or ``EndTime``), or None when no later tick can; at most
        ``now`` when that cannot be known (the next tick then runs as usual). A simulation skips the steps in
        between, which would do nothing (benchmarks/bench_journey_simulate.py)."""
        now = st.as_utc(now)
        view = self.view
        if view.state in ("DRAFT", "PAUSED"):
            return None
        state = self.backend.load()
        active = state.participants.filter(pl.col("status") == "ACTIVE")
        end = view.schedule_time("EndTime")
        if view.state == "CANCELLED" or (end is not None and now >= end):
            return now if active.height else None
        times = [end] if end is not None else []
        start = view.schedule_time("StartTime")
        if start is not None and now < start:
            return min([start, *times])  # ticks before the start do nothing
        due = active["due_at"].min()
        if due is not None:
            times.append(st.as_utc(due))  # type: ignore[arg-type]
        entry = self._next_entry(state, now)
        if entry is not None:
            times.append(entry)
        return min(times) if times else None

    def _next_entry(self, state: st.JourneyState, now: datetime) -> datetime | None:
        """After the tick at ``now`` (within the schedule): when a participant could next enter, or None."""
        view = self.view
        condition = view.request.get("StartCondition") or {}
        if view.start is None:
            return None
        if condition.get("SegmentStartCondition"):
            refresh = view.request.get("RefreshFrequency")
            if refresh:
                every = parse_duration(refresh, field="RefreshFrequency")
                return now if state.last_refresh is None else state.last_refresh + every
            # every member entered at this tick and nobody re-enters: only a clock-dependent segment adds more
            ref = condition["SegmentStartCondition"].get("SegmentId")
            return None if self._clock_free(ref, now) else now
        if condition.get("EventStartCondition"):
            if state.event_cursor is None:
                return now
            flt = _event_filter(
                condition["EventStartCondition"].get("EventFilter") or {},
                field="StartCondition.EventStartCondition.EventFilter",
            )
            found = self.events.select(flt, state.event_cursor, datetime.max.replace(tzinfo=UTC))
            if found.is_empty():
                return None
            return st.as_utc(found["event_timestamp"].min())  # type: ignore[arg-type]
        return None

    def _send(self) -> list[dict[str, Any]]:
        from ..delivery import DeliveryPolicy, Ledger, LedgerError, send_run

        run = ledger_run(self.view.journey_id)
        with Ledger.for_store(self.store) as ledger:
            try:
                ledger.run_state(run)
            except LedgerError:
                return []
            if not ledger.owed_channels(run):
                return []
        rate = self.view.limits.get("MessagesPerSecond")
        policy = DeliveryPolicy.from_store(
            self.store, **({"messages_per_second": float(rate)} if rate else {})
        )
        return [r.to_dict() for r in send_run(self.store, run, policy=policy, wait=False)]

    def _mark_completed(self) -> None:
        journey = self.view.journey
        if getattr(journey, "journey_id", None) and getattr(journey, "version", None) is not None:
            from .spec import set_journey_state

            set_journey_state(self.store, journey.journey_id, "COMPLETED")

    # --- entry ----------------------------------------------------------------------------------------------

    def _enter(
        self, people: pl.DataFrame, state: st.JourneyState, now: datetime, counter: Counter
    ) -> pl.DataFrame:
        view = self.view
        condition = view.request.get("StartCondition") or {}
        if condition.get("SegmentStartCondition"):
            refresh = view.request.get("RefreshFrequency")
            if refresh:
                every = parse_duration(refresh, field="RefreshFrequency")
                if state.last_refresh is not None and now < state.last_refresh + every:
                    return people
                state.last_refresh = now
            ref = condition["SegmentStartCondition"].get("SegmentId")
            members = self._segment(ref, now)
            candidates = _participants_of(members["Id"], members["User.UserId"]).unique("participant")
            return self._admit(people, candidates, now, counter, reentry=bool(refresh), events=False)
        if condition.get("EventStartCondition"):
            spec = condition["EventStartCondition"]
            flt = _event_filter(
                spec.get("EventFilter") or {}, field="StartCondition.EventStartCondition.EventFilter"
            )
            since = state.event_cursor
            if since is None:
                since = view.schedule_time("StartTime") or now - timedelta(
                    hours=float(self.store.setting("journeys.first_tick_lookback_hours", 24))
                )
            if since >= now:
                return people
            found = self.events.select(flt, since, now)
            state.event_cursor = now
            if found.is_empty():
                return people
            owners = self._owner_frame()
            found = found.join(owners, left_on="client_id", right_on="Id", how="left")
            if spec.get("SegmentId"):
                members = self._segment(spec["SegmentId"], now)
                found = found.filter(pl.col("client_id").is_in(members["Id"].implode()))
            candidates = _participants_of(
                found["client_id"], found["User.UserId"].fill_null(found["user_id"])
            ).with_columns(found["event_timestamp"].alias("at"))
            candidates = candidates.sort("at")
            extra = candidates.height - candidates["participant"].n_unique()
            if extra:  # several events of one participant in the window: one enters, the others are rejected
                counter[("", "ACTIVE_ENDPOINT_REJECTED")] += extra
            candidates = candidates.unique("participant", keep="first", maintain_order=True).drop("at")
            return self._admit(people, candidates, now, counter, reentry=True, events=True)
        return people

    def _admit(
        self,
        people: pl.DataFrame,
        candidates: pl.DataFrame,
        now: datetime,
        counter: Counter,
        *,
        reentry: bool,
        events: bool,
    ) -> pl.DataFrame:
        """Enter the candidates (participant, user_id) who may: new ones, and returning ones within the limits."""
        view = self.view
        if candidates.is_empty() or view.start is None:
            return people
        known = candidates.join(people, on="participant", how="inner", suffix="_c")
        new = candidates.join(people.select("participant"), on="participant", how="anti")
        if events:
            rejected = known.filter(pl.col("status") == "ACTIVE").height
            if rejected:
                counter[("", "ACTIVE_ENDPOINT_REJECTED")] += rejected
        back = known.filter(pl.col("status") != "ACTIVE") if reentry else known.clear()
        if not back.is_empty():
            cap = view.limits.get("EndpointReentryCap")
            cap = 1 if cap is None else int(cap)
            if cap > 0:
                over = pl.col("entries") >= cap
                counter[("", "REENTRY_CAP_EXCEEDED")] += back.filter(over).height
                back = back.filter(~over)
            interval = view.limits.get("EndpointReentryInterval")
            if interval:
                gap = parse_duration(interval, field="Limits.EndpointReentryInterval")
                back = back.filter(pl.col("entered_at") + gap <= now)
        arrive_due = view.arrival_delay(view.start, now)
        fresh = pl.DataFrame(
            {
                "participant": new["participant"],
                "user_id": new["user_id"],
                "seed": st.seeds(view.journey_id, new["participant"])
                if new.height
                else pl.Series([], dtype=pl.UInt64),
                "entries": pl.Series([1] * new.height, dtype=pl.Int32),
            }
        ).with_columns(sends_total=pl.lit(0, pl.Int32), send_times=pl.lit([], pl.List(st.TS)))
        again = back.select(
            "participant",
            "user_id",
            "seed",
            (pl.col("entries") + 1).cast(pl.Int32),
            "sends_total",
            "send_times",
        )
        entering = pl.concat([fresh, again], how="vertical_relaxed").with_columns(
            status=pl.lit("ACTIVE"),
            activity=pl.lit(view.start),
            step=pl.lit(0, pl.Int32),
            arrived_at=pl.lit(now, st.TS),
            due_at=pl.lit(arrive_due, st.TS),
            entered_at=pl.lit(now, st.TS),
            left_at=pl.lit(None, st.TS),
        )
        if entering.is_empty():
            return people
        counter[("", "ENDPOINT_ENTERED")] += entering.height
        counter[(view.start, "ENDPOINT_ENTERED")] += entering.height
        kept = people.join(entering.select("participant"), on="participant", how="anti")
        return pl.concat([kept, entering.select(list(st.PARTICIPANT_SCHEMA))], how="vertical_relaxed").cast(
            st.PARTICIPANT_SCHEMA  # type: ignore[arg-type]
        )

    # --- advancing ------------------------------------------------------------------------------------------

    def _advance(
        self, people: pl.DataFrame, now: datetime, counter: Counter, planned: list, send: bool
    ) -> pl.DataFrame:
        view = self.view
        limit = len(view.activities) + 1
        people = people.with_columns(moves=pl.lit(0, pl.Int32))
        arrival = {a: view.arrival_delay(a, now) for a in view.activities}
        for _ in range(limit):
            due_mask = (pl.col("status") == "ACTIVE") & (pl.col("due_at") <= now) & (pl.col("moves") < limit)
            due = people.filter(due_mask)
            if due.is_empty():
                break
            rest = people.filter(~due_mask)
            done = []
            groups = _by_activity(due)
            for (activity,), group in groups.items():
                decided = self._activity(str(activity), group, now, counter, planned, send)
                done.append(self._move(str(activity), decided, now, arrival, counter))
            people = pl.concat([rest, *done], how="vertical_relaxed")
        return people.drop("moves")

    def _move(
        self,
        activity: str,
        frame: pl.DataFrame,
        now: datetime,
        arrival: Mapping[str, datetime],
        counter: Counter,
    ) -> pl.DataFrame:
        """Apply the decisions of one activity's participants: ``_branch`` (an index into the activity's
        options: :meth:`options`) and ``hold_until`` (stay until then)."""
        options = self.options(activity)
        held = pl.col("hold_until").is_not_null()
        for index, n in frame.filter(~held).group_by("_branch").len().iter_rows():
            label, target = options[index]
            if label:
                counter[(activity, label)] += n
            if target is None:
                counter[("", "ENDPOINT_LEFT")] += n
                counter[(activity, "ENDPOINT_LEFT")] += n
            else:
                counter[(target, "ENDPOINT_ENTERED")] += n
                counter[("", "MOVES")] += n
        targets = {i: t for i, (_, t) in enumerate(options)}
        nxt = pl.col("_branch").replace_strict(targets, default=None, return_dtype=pl.String)
        due_next = pl.col("_branch").replace_strict(
            {i: arrival[t] for i, t in targets.items() if t is not None}, default=None, return_dtype=st.TS
        )
        frame = frame.with_columns(nxt.alias("_next"))
        leaving = ~held & pl.col("_next").is_null()
        moving = ~held & pl.col("_next").is_not_null()
        return frame.with_columns(
            status=pl.when(leaving).then(pl.lit("LEFT")).otherwise("status"),
            activity=pl.when(held).then("activity").otherwise("_next"),
            step=pl.when(moving).then(pl.col("step") + 1).otherwise("step").cast(pl.Int32),
            arrived_at=pl.when(moving).then(pl.lit(now, st.TS)).otherwise("arrived_at"),
            due_at=pl.when(held).then("hold_until").when(moving).then(due_next).otherwise("due_at"),
            left_at=pl.when(leaving).then(pl.lit(now, st.TS)).otherwise("left_at"),
            moves=pl.col("moves") + 1,
        ).drop("_next", "_branch", "hold_until")

    def options(self, activity: str) -> list[tuple[str, str | None]]:
        """Where a participant may go from ``activity``: [(label, next activity or None to leave)]; the
        ``_branch`` index of a decision points into this list (Holdout adds ("HOLDOUT", None))."""
        options = self.view.next(activity)
        if self.view.kind(activity) == "Holdout":
            options = [*options, ("HOLDOUT", None)]
        return options

    def _activity(
        self, activity: str, group: pl.DataFrame, now: datetime, counter: Counter, planned: list, send: bool
    ) -> pl.DataFrame:
        """The group of participants due at ``activity`` with ``_branch`` and ``hold_until`` added."""
        view = self.view
        kind = view.kind(activity)
        s = view.settings(activity)
        branches = view.next(activity)
        nothing = pl.lit(None, st.TS).alias("hold_until")
        first = pl.lit(0, pl.Int16).alias("_branch")
        if kind in ("Wait", "ContactCenter"):
            if kind == "ContactCenter":  # Amazon Connect is not here: recorded, and the participant continues
                counter[(activity, "UNSUPPORTED")] += group.height
            return group.with_columns(first, nothing)
        if kind in MESSAGE_TYPES:
            return self._message(activity, kind, s, group, now, counter, planned, send)
        salt = st.activity_salt(view.journey_id, activity)
        if kind == "Holdout":
            held = st.bucket_expr(salt) < round(float(s.get("Percentage") or 0) * 100)
            return group.with_columns(
                pl.when(held).then(pl.lit(1, pl.Int16)).otherwise(pl.lit(0, pl.Int16)).alias("_branch"),
                nothing,
            )
        if kind == "RandomSplit":
            # cumulative percentages over the stable bucket (0..9999); a bucket past them (percentages under
            # 100) takes the last branch
            bucket = st.bucket_expr(salt)
            picked: Any = pl.lit(max(len(branches) - 1, 0), pl.Int16)
            edge = 0.0
            edges = []
            for branch in (s.get("Branches") or [])[: len(branches)]:
                edge += float(branch.get("Percentage") or 0) * 100
                edges.append(round(edge))
            for index in reversed(range(len(edges))):
                picked = pl.when(bucket < edges[index]).then(pl.lit(index, pl.Int16)).otherwise(picked)
            return group.with_columns(picked.cast(pl.Int16).alias("_branch"), nothing)
        if kind == "ConditionalSplit":
            cond = s.get("Condition") or {}
            parts = [
                self._condition(c, group, now, activity, f"Activities.{activity}.ConditionalSplit.Condition")
                for c in cond.get("Conditions") or []
            ]
            any_op = str(cond.get("Operator") or "ALL").upper() == "ANY"
            hit = pl.Series([not any_op] * group.height, dtype=pl.Boolean)
            for part in parts:
                hit = (hit | part) if any_op else (hit & part)
            if not parts:
                hit = pl.Series([False] * group.height, dtype=pl.Boolean)
            return group.with_columns(
                pl.when(hit).then(pl.lit(0, pl.Int16)).otherwise(pl.lit(1, pl.Int16)).alias("_branch"),
                nothing,
            )
        if kind == "MultiCondition":
            # Pinpoint: a participant meeting several conditions takes the first branch in alphabetical order of
            # branch (Branch_1 < Branch_2 < ...), else the default (Else) path
            count = len(s.get("Branches") or [])
            pick = pl.Series([count] * group.height, dtype=pl.Int16)
            for i in reversed(range(count)):
                hit = self._condition(
                    (s["Branches"][i] or {}).get("Condition") or {}, group, now, activity,
                    f"Activities.{activity}.MultiCondition.Branches[{i}].Condition",
                )  # fmt: skip
                pick = pl.select(pl.when(hit).then(pl.lit(i, pl.Int16)).otherwise(pick)).to_series()
            return group.with_columns(pick.alias("_branch"), nothing)
        raise InputError(f"activity {activity!r}: unknown type {kind!r}", field=f"Activities.{activity}")

    # --- conditions -----------------------------------------------------------------------------------------

    def _condition(
        self, simple: Mapping[str, Any], group: pl.DataFrame, now: datetime, activity: str, where: str
    ) -> pl.Series:
        """One SimpleCondition as a boolean per participant of ``group``."""
        from ..segments import Segment, evaluation_time
        from ..segments.spec import SegmentSpec

        if simple.get("SegmentCondition"):
            members = self._segment(simple["SegmentCondition"].get("SegmentId"), now)
            return _is_member(group, members)
        if simple.get("SegmentDimensions"):
            key = ("dims", repr(simple["SegmentDimensions"]))
            if key not in self._segments:
                if key not in self._loaded:
                    spec = SegmentSpec.from_json(
                        {"Dimensions": simple["SegmentDimensions"]}, columns=self.store.endpoint_columns()
                    )
                    self._loaded[key] = Segment(self.store, spec, now=evaluation_time(self.store, now))
                self._segments[key] = self._members(self._loaded[key], now)
            return _is_member(group, self._segments[key])
        if simple.get("EventCondition"):
            ev = simple["EventCondition"]
            message = ev.get("MessageActivity")
            flt = _event_filter(
                {"FilterType": "ENDPOINT", "Dimensions": ev.get("Dimensions") or {}},
                field=f"{where}.EventCondition.Dimensions",
            )
            if self.simulate and message:
                return self._assumed(group, flt, activity, message)
            found = self.events.select(flt, None, now)
            if message:
                found = found.filter(
                    (pl.col("journey_id") == self.view.journey_id)
                    & (pl.col("journey_activity_id") == message)
                )
            owners = self._owner_frame()
            found = found.join(owners, left_on="client_id", right_on="Id", how="left")
            found = _participants_of(found["client_id"], found["User.UserId"]).with_columns(
                found["event_timestamp"].alias("at"), found["journey_run_id"].alias("run")
            )
            probe = group.select(
                "participant", pl.col("entries").cast(pl.String).alias("run"), "entered_at"
            ).with_row_index("_i")
            if message:  # events of the message this entry sent
                hits = probe.join(found.select("participant", "run"), on=["participant", "run"], how="inner")
            else:  # events since the participant entered the journey
                hits = probe.join(found.select("participant", "at"), on="participant", how="inner").filter(
                    pl.col("at").dt.replace_time_zone("UTC") >= pl.col("entered_at")
                )
            mask = probe["_i"].is_in(hits["_i"].unique().implode())
            return mask
        return pl.Series([False] * group.height, dtype=pl.Boolean)

    def _assumed(self, group: pl.DataFrame, flt: Any, activity: str, message: str) -> pl.Series:
        """Simulation: whether the participant would have had the event after the message, drawn from the
        assumed rate of its event type (deterministic: a stable hash per participant, activity and type)."""
        types = list(flt.event_types() or [])
        self.assumed.update(types)
        rate = max((float(self.rates.get(t, 0.0)) for t in types), default=0.0)
        salt = st.activity_salt(self.view.journey_id, activity, f"{message}\x1f{','.join(sorted(types))}")
        return group.select(st.bucket_expr(salt, entry=True) < round(rate * 10_000)).to_series()

    def _segment(self, ref: Any, now: datetime) -> pl.DataFrame:
        """A saved segment's members (Id, User.UserId) with ``now`` as its clock (cached for the tick; the
        segment itself is loaded once per engine)."""
        from ..segments import Segment

        key = ("segment", str(ref))
        if key not in self._segments:
            if not ref:
                raise InputError("a segment condition needs a SegmentId", field="SegmentId")
            if key not in self._loaded:
                self._loaded[key] = Segment.load(self.store, str(ref))
            self._segments[key] = self._members(self._loaded[key], now)
        return self._segments[key]

    def _members(self, segment: Any, now: datetime) -> pl.DataFrame:
        """The members (Id, User.UserId) of ``segment`` with ``now`` as its clock. A simulation keeps them per
        member query: the project does not change while it runs, so a segment whose query does not depend on
        the clock (no recency or relative window, or a pinned ``[segments] now``) is evaluated once, not on
        every step. Speed: benchmarks/bench_journey_simulate.py (one query per step was 0.1 s of each step)."""
        from ..segments import evaluation_time
        from ..store import schema

        segment.now = evaluation_time(self.store, now)
        columns = ["Id", "User.UserId"]
        if not self.simulate:
            return segment.members(columns)
        sql = segment.sql(", ".join(f"endpoints.{schema.quote(c)}" for c in columns))
        if sql not in self._by_sql:
            self._by_sql[sql] = self.store.query(sql)
        return self._by_sql[sql]

    def _clock_free(self, ref: Any, now: datetime) -> bool:
        """Whether a saved segment's members are the same whatever the clock: its member query is the same
        text at ``now`` and a century later (the query is all of the evaluation, and the data do not change
        during a simulation)."""
        from ..segments import Segment, evaluation_time

        key = ("segment", str(ref))
        if key not in self._loaded:
            self._loaded[key] = Segment.load(self.store, str(ref))
        segment = self._loaded[key]
        texts = set()
        for moment in (now, now + timedelta(days=36525)):
            segment.now = evaluation_time(self.store, moment)
            texts.add(segment.sql("endpoints.Id"))
        return len(texts) == 1

    def _owner_frame(self) -> pl.DataFrame:
        """Every endpoint's Id and User.UserId (who an event's client belongs to)."""
        if self._owners is None:
            self._owners = self.store.query('SELECT Id, "User.UserId" FROM endpoints')
        return self._owners

    # --- message steps --------------------------------------------------------------------------------------

    def _message(
        self,
        activity: str,
        kind: str,
        s: Mapping[str, Any],
        group: pl.DataFrame,
        now: datetime,
        counter: Counter,
        planned: list,
        send: bool,
    ) -> pl.DataFrame:
        view = self.view
        endpoints = self._reachable(group, kind, s, counter, activity)
        has = group["participant"].is_in(endpoints["participant"].unique().implode())
        if int((~has).sum()):
            counter[(activity, "NO_ENDPOINT")] += int((~has).sum())
        # each participant's time zone: its first endpoint's (Demographic.Timezone)
        zones = group.select("participant").join(
            endpoints.sort("Id")
            .unique("participant", keep="first")
            .select("participant", pl.col("Demographic.Timezone").cast(pl.String).alias("zone")),
            on="participant",
            how="left",
            maintain_order="left",
        )["zone"]
        hold = self._hold_until(kind, zones, now)
        waiting = bool(view.request.get("WaitForQuietTime"))
        out = group.with_columns(
            pl.lit(0, pl.Int16).alias("_branch"),
            has.alias("_has"),
            (hold if hold is not None else pl.Series([None] * group.height, dtype=st.TS)).alias("_hold"),
        ).with_columns(pl.when(pl.col("_hold") > now).then("_hold").otherwise(None).alias("_hold"))
        quiet = pl.col("_hold").is_not_null() & pl.col("_has")
        n_quiet = out.filter(quiet).height
        if n_quiet and not waiting:
            counter[(activity, "QUIET_TIME")] += n_quiet
        if waiting:
            out = out.with_columns(
                pl.when(quiet).then("_hold").otherwise(None).cast(st.TS).alias("hold_until")
            )
        else:
            out = out.with_columns(pl.lit(None, st.TS).alias("hold_until"))
        recent = (
            pl.col("send_times").list.eval(pl.element() > pl.lit(now - timedelta(days=1), st.TS)).list.sum()
        )
        daily, total = int(view.limits.get("DailyCap") or 0), int(view.limits.get("TotalCap") or 0)
        frame = view.limits.get("TimeframeCap") or {}
        reasons = []
        if daily > 0:
            reasons.append(("DAILY_CAP", recent >= daily))
        if total > 0:
            reasons.append(("TOTAL_CAP", pl.col("sends_total") >= total))
        if frame.get("Cap") and frame.get("Days"):
            since = pl.lit(now - timedelta(days=int(frame["Days"])), st.TS)
            in_frame = pl.col("send_times").list.eval(pl.element() > since).list.sum()
            reasons.append(("TIMEFRAME_CAP", in_frame >= int(frame["Cap"])))
        out = out.with_columns((pl.col("_has") & ~quiet).alias("_ok"))
        for name, expr in reasons:
            n = out.filter(pl.col("_ok") & expr).height
            if n:
                counter[(activity, name)] += n
            out = out.with_columns((pl.col("_ok") & ~expr).alias("_ok"))
        senders = out.filter(pl.col("_ok"))
        if senders.height:
            targets = endpoints.join(senders.select("participant", "entries"), on="participant", how="inner")
            if self.simulate:
                counter[(activity, "WOULD_SEND")] += targets.height
            else:
                made = self._compose(activity, kind, s, targets, counter)
                planned.extend(made)
                counter[(activity, "MESSAGES")] += len(made)
            counter[(activity, "SENT_PARTICIPANTS")] += senders.height
            keep = pl.lit(now - timedelta(days=max(1, int(frame.get("Days") or 1))), st.TS)
            out = out.with_columns(
                pl.when("_ok").then(pl.col("sends_total") + 1).otherwise("sends_total").cast(pl.Int32),
                pl.when("_ok")
                .then(pl.concat_list(pl.col("send_times"), pl.lit(now, st.TS)))
                .otherwise("send_times")
                .list.eval(pl.element().filter(pl.element() > keep))
                .alias("send_times"),
            )
        return out.drop("_hold", "_ok", "_has")

    def _hold_until(self, kind: str, zones: pl.Series, now: datetime) -> pl.Series | None:
        """The instant each participant's message may go (quiet time, open hours, closed days), or None."""
        from ..delivery.timing import QuietTime, SendingSchedule, due_times, parse_utc_offset

        view = self.view
        quiet = QuietTime.from_json(view.request.get("QuietTime"))
        schedule = None
        if view.request.get("SendingSchedule") and (
            view.request.get("OpenHours") or view.request.get("ClosedDays")
        ):
            schedule = SendingSchedule.from_json(
                view.request.get("OpenHours"), view.request.get("ClosedDays")
            )
        if quiet is None and schedule is None:
            return None
        fallback = parse_utc_offset((view.request.get("Schedule") or {}).get("Timezone") or "UTC")
        out = pl.Series([now] * len(zones), dtype=st.TS)
        if quiet is not None:
            out = due_times(zones, wall=None, instant=now, quiet=quiet, fallback=fallback)["due_at"]
        if schedule is not None:
            opens = schedule.next_open(kind, zones, now, fallback=fallback).fill_null(
                now + timedelta(days=3650)
            )
            out = pl.select(pl.max_horizontal(out, opens)).to_series()
        return out

    def _reachable(
        self, group: pl.DataFrame, kind: str, s: Mapping[str, Any], counter: Counter, activity: str
    ) -> pl.DataFrame:
        """The endpoints of the group's participants that this step can message (every column, + participant)."""
        from ..store import schema

        types = CHANNEL_TYPES.get(kind) or tuple(s.get("EndpointTypes") or ())
        wanted = group.select("participant", "user_id")
        users = wanted.filter(pl.col("user_id").is_not_null()).select("participant")
        ids = wanted.filter(pl.col("user_id").is_null()).select("participant")
        channel = (
            "e.ChannelType IN (" + ", ".join(schema.sql_string(t) for t in types) + ")" if types else "TRUE"
        )
        with self.store.connect(read_only=True) as con:
            con.register("wanted_users", users)
            con.register("wanted_ids", ids)
            frame = con.sql(
                f'SELECT e.*, w.participant FROM endpoints e JOIN wanted_users w ON e."User.UserId" = w.participant '
                f"WHERE {channel} UNION ALL BY NAME "
                f"SELECT e.*, w.participant FROM endpoints e JOIN wanted_ids w ON e.Id = w.participant WHERE {channel}"
            ).pl()
        if frame.is_empty():
            return frame
        usable = (pl.col("EndpointStatus").fill_null("ACTIVE").str.to_uppercase() == "ACTIVE") & (
            pl.col("Address").fill_null("").str.strip_chars() != ""
        )
        opted = pl.col("OptOut").fill_null("NONE").str.to_uppercase() == "ALL"
        n_opted = frame.filter(usable & opted).height
        if n_opted:
            counter[(activity, "OPT_OUT")] += n_opted
        return frame.filter(usable & ~opted)

    def _compose(
        self, activity: str, kind: str, s: Mapping[str, Any], targets: pl.DataFrame, counter: Counter
    ) -> list[Any]:
        """Render the step's template for each target endpoint and compose the planned messages."""
        from ..delivery import send_key
        from ..delivery.compose import compose_message, email_sender
        from ..messages.render import TemplatePart, render_frame

        view = self.view
        if kind == "EMAIL":
            email_sender(
                self.store
            )  # a missing sender is the whole step's error, raised before any state moves
        if s.get("TemplateName"):
            from ..messages.templates import load_template

            version = s.get("TemplateVersion")
            template = load_template(
                self.store,
                s["TemplateName"],
                type=kind if kind != "CUSTOM" else None,
                version=int(version) if version not in (None, "") else None,
            )
            parts, defaults = template.parts(), template.default_substitutions
        else:
            data = str((s.get("MessageConfig") or {}).get("Data") or "")
            parts, defaults = {"Data": TemplatePart(data, False)}, {}
        rendered = render_frame(parts, targets.drop("participant", "entries"), defaults)
        if rendered.errors:
            counter[(activity, "RENDER_ERROR")] += len(rendered.errors)
        names = list(parts)
        joined = targets.join(rendered.frame.rename({n: f"__part_{n}" for n in names}), on="Id", how="inner")
        family = kind if kind != "CUSTOM" else "CUSTOM"
        out = []
        for row in joined.iter_rows(named=True):  # one per message: composing MIME is per message anyway
            entry = int(row["entries"])
            key = send_key("journey", view.journey_id, f"{entry}:{activity}", row["Id"], family)
            try:
                out.append(
                    compose_message(
                        self.store,
                        family,
                        key,
                        row,
                        {n: row[f"__part_{n}"] for n in names},
                        promotional=True,
                        attributes={
                            "journey_id": view.journey_id,
                            "journey_run_id": str(entry),
                            "journey_activity_id": activity,
                            "journey_activity_type": kind,
                        },
                    )
                )
            except WorkbenchError:
                counter[(activity, "INVALID_ADDRESS")] += 1
        return out


def _by_activity(due: pl.DataFrame) -> dict[tuple[Any, ...], pl.DataFrame]:
    """The due participants by activity; when they are all at one activity, the frame itself, without
    partition_by's copy of every column. A speed trick that pays: benchmarks/bench_journey_tick.py (1M
    participants, each pass at one activity) goes from about 3.2x to 2.5x of the segment count with it."""
    names = due["activity"].unique().to_list()
    if len(names) == 1:
        return {(names[0],): due}
    return due.partition_by("activity", as_dict=True)


def _participants_of(ids: pl.Series, users: pl.Series) -> pl.DataFrame:
    """(participant, user_id): the user when the endpoint has one, else the endpoint."""
    users = users.cast(pl.String)
    return pl.DataFrame(
        {
            "participant": pl.select(pl.coalesce(users, ids.cast(pl.String))).to_series(),
            "user_id": users,
        }
    )


def _is_member(group: pl.DataFrame, members: pl.DataFrame) -> pl.Series:
    """Whether each participant has an endpoint among ``members`` (a user: any of its endpoints)."""
    user_ids = members["User.UserId"].drop_nulls().cast(pl.String).unique().implode()
    ids = members["Id"].cast(pl.String).unique().implode()
    return group.select(
        pl.when(pl.col("user_id").is_not_null())
        .then(pl.col("participant").is_in(user_ids))
        .otherwise(pl.col("participant").is_in(ids))
    ).to_series()


def _counts_frame(counter: Counter) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "activity": [a for a, _ in counter],
            "metric": [m for _, m in counter],
            "n": list(counter.values()),
        },
        schema=st.LOG_SCHEMA,
    )


def _fill_result(result: TickResult, counter: Counter, planned: int) -> None:
    for (activity, metric), n in sorted(counter.items()):
        if activity:
            result.counts.setdefault(activity, {})[metric] = n
        else:
            result.journey[metric] = n
    result.entered = counter[("", "ENDPOINT_ENTERED")]
    result.left = counter[("", "ENDPOINT_LEFT")]
    result.advanced = counter[("", "MOVES")]
    result.sent = planned


# --- the public functions -------------------------------------------------------------------------------------


def tick_journey(store: Any, journey: Any, *, now: datetime, send: bool = True) -> TickResult:
    """Advance one journey to ``now`` (see the module docstring); ``send=False`` plans the messages in the ledger
    without running the send loop (``delivery.send_run(store, ledger_run(journey_id))`` sends them later)."""
    view = JourneyView(journey)
    backend = st.FileStore.for_journey(store, view.journey_id)
    return Engine(store, view, backend, StoreEvents(store)).tick(now, send=send)


def participants(store: Any, journey: Any) -> pl.DataFrame:
    """The journey's participant table (one row per participant ever entered)."""
    view = JourneyView(journey)
    return st.FileStore.for_journey(store, view.journey_id).load().participants


def journey_metrics(store: Any, journey: Any) -> dict[str, Any]:
    """Pinpoint's journey metrics: ENDPOINT_ENTERED, ENDPOINT_ACTIVE, ENDPOINT_LEFT, REENTRY_CAP_EXCEEDED,
    ACTIVE_ENDPOINT_REJECTED, CANCELLED, and per activity ``{"type", "ActivityType", "ENDPOINT_ENTERED",
    "ENDPOINT_ACTIVE", <branch labels>: n, ...}`` plus, for message steps, ``delivery`` (ledger states of its
    messages). Derived from the committed tick logs, so re-reading never double counts."""
    view = JourneyView(journey)
    backend = st.FileStore.for_journey(store, view.journey_id)
    counts = backend.counts()
    people = backend.load().participants
    out = counts_to_metrics(view, counts, people)
    delivery = _delivery_by_activity(store, view.journey_id)
    for activity, states in delivery.items():
        if activity in out["activities"]:
            out["activities"][activity]["delivery"] = states
    return out


def counts_to_metrics(view: JourneyView, counts: pl.DataFrame, people: pl.DataFrame) -> dict[str, Any]:
    """Metrics from summed counts (activity, metric, n) and the participant table."""
    totals = {(a, m): int(n) for a, m, n in counts.iter_rows()}
    active = people.filter(pl.col("status") == "ACTIVE")
    here = dict(active.group_by("activity").len().iter_rows()) if active.height else {}
    out: dict[str, Any] = {m: totals.get(("", m), 0) for m in JOURNEY_METRICS}
    out["ENDPOINT_ACTIVE"] = active.height
    activities: dict[str, dict[str, Any]] = {}
    for activity in view.activities:
        kind = view.kind(activity)
        entry: dict[str, Any] = {"type": kind, "ActivityType": METRIC_TYPES[kind]}
        entry["ENDPOINT_ENTERED"] = totals.get((activity, "ENDPOINT_ENTERED"), 0)
        entry["ENDPOINT_ACTIVE"] = int(here.get(activity, 0))
        for label, _ in view.next(activity):
            if label:
                entry[label] = totals.get((activity, label), 0)
        for (a, m), n in totals.items():
            if a == activity and m not in entry:
                entry[m] = n
        activities[activity] = entry
    out["activities"] = activities
    return out


def _delivery_by_activity(store: Any, journey_id: str) -> dict[str, dict[str, int]]:
    import sqlite3

    path = store.delivery_path
    if not path.exists():
        return {}
    con = sqlite3.connect(path, timeout=30)
    try:
        rows = con.execute(
            "SELECT json_extract(attributes, '$.journey_activity_id'), state, count(*) FROM messages "
            "WHERE source = 'journey' AND source_id = ? GROUP BY 1, 2",
            (journey_id,),
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()
    out: dict[str, dict[str, int]] = {}
    for activity, state, n in rows:
        out.setdefault(str(activity), {})[state] = int(n)
    return out
