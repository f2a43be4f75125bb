"""Campaign runs: an occurrence planned into the delivery ledger, its waves sent when due, pause, resume, status,
and the campaign half of ``workbench tick``.

An *occurrence* is one scheduled time of a campaign (its StartTime for ``ONCE``; each hour, day, week or month
after it for the recurring frequencies; ``immediate`` for a ``ONCE`` campaign whose StartTime is ``IMMEDIATE``).
Planning an occurrence evaluates the segment, assigns treatments and the holdout, applies the exclusions,
renders each treatment and puts every message in the ledger, grouped in *waves* by the instant it may go
(local time and quiet time give each time zone its own): a wave is a ledger run (Pinpoint's campaign activity),
``campaign:<id>:<occurrence>:<due instant>``. A wave is sent when its instant has come, by ``send`` or by the
next ``workbench tick``.

Nothing is sent twice: a message's send key is (campaign, occurrence, endpoint, channel), so planning an
occurrence again (after a kill, or by two ticks racing) adds nothing; an occurrence is recorded once planned, so a
recurring campaign sends each occurrence once; the ledger's run lock keeps two processes from sending one wave.
A tick that comes late plans only the latest missed occurrence (three missed daily runs do not arrive at once).

The runtime tables (occurrences, waves, event cursors) live in the ledger's SQLite file beside its own tables:
many small writes from ticks and send loops, which DuckDB's one-writer catalog is not for.
"""

from __future__ import annotations

import html as _html
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ..delivery.compose import compose_message
from ..delivery.keys import send_key
from ..delivery.ledger import Ledger, LedgerError, PlannedMessage
from ..delivery.runs import send_run
from ..delivery.sender import DeliveryPolicy
from ..errors import InputError, WorkbenchError
from ..progress import progress_bar
from .spec import Campaign, load_campaign, set_campaign_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaign_occurrences (
    campaign_id TEXT NOT NULL,
    occurrence TEXT NOT NULL,                    -- ISO instant (UTC), a local wall time, or 'immediate'
    campaign_version INTEGER NOT NULL,
    planned_at REAL NOT NULL,
    summary TEXT NOT NULL,                       -- JSON: targeted, treatments, holdout, excluded, render errors
    PRIMARY KEY (campaign_id, occurrence)
);
CREATE TABLE IF NOT EXISTS campaign_waves (
    run TEXT PRIMARY KEY,                        -- the ledger run
    campaign_id TEXT NOT NULL,
    occurrence TEXT NOT NULL,
    due_at REAL NOT NULL,                        -- when its messages may go (epoch seconds)
    zone TEXT,                                   -- the time zone of a local-time or quiet-time wave
    endpoints INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS campaign_waves_due ON campaign_waves (campaign_id, due_at);
CREATE TABLE IF NOT EXISTS campaign_event_files (
    campaign_id TEXT NOT NULL,
    file TEXT NOT NULL,                          -- an event-log file already matched against the EventFilter
    PRIMARY KEY (campaign_id, file)
);
"""

#: Pinpoint's rule for event-triggered campaigns: a message not deliverable within 5 minutes is dropped.
EVENT_MAX_DELAY_SECONDS = 300
#: How far ahead of a local-time occurrence's nominal time its first wave can fall (UTC+14).
_LOCAL_LEAD = timedelta(hours=14)


def open_state(store: Any) -> Ledger:
    """The project's ledger, with the campaign tables in its file."""
    ledger = Ledger.for_store(store)
    with ledger.write() as con:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
    return ledger


def _utc(value: datetime | str | None) -> datetime:
    """``now`` as an aware UTC datetime (the clock when None; ISO 8601 text parsed, naive meaning UTC)."""
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, str):
        from ..delivery.timing import parse_instant

        return parse_instant(value, field="now")
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- status --------------------------------------------------------------------------------------------------


@dataclass
class CampaignStatus:
    """Where a campaign stands: Pinpoint's state, its runs (waves) with their message counts, the next run."""

    campaign: str
    campaign_id: str
    version: int | None
    state: str
    next_run: str | None
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``workbench campaign status --json`` object."""
        totals: dict[str, int] = {}
        for run in self.runs:
            for state, n in run["messages"].items():
                totals[state] = totals.get(state, 0) + n
        out = {
            "campaign": self.campaign,
            "id": self.campaign_id,
            "version": self.version,
            "state": self.state,
            "next_run": self.next_run,
            "messages": totals,
            "occurrences": self.occurrences,
            "runs": self.runs,
        }
        if self.sent:
            out["sent"] = self.sent
        if self.note:
            out["note"] = self.note
        return out

    def _repr_html_(self) -> str:
        from .dry_run import html_table

        esc = _html.escape
        rows = [
            [
                r["occurrence"],
                r["due_at"],
                r["zone"] or "",
                r["state"],
                f"{r['endpoints']:,}",
                f"{r['messages'].get('accepted', 0):,}",
                f"{r['owed']:,}",
                f"{sum(v for k, v in r['messages'].items() if k in ('permanent', 'failed', 'ambiguous')):,}",
                f"{r['messages'].get('suppressed', 0):,}",
            ]
            for r in self.runs
        ]
        head = [
            "Occurrence",
            "Due (UTC)",
            "Zone",
            "State",
            "Endpoints",
            "Accepted",
            "Owed",
            "Failed",
            "Suppressed",
        ]
        next_run = f"; next run {esc(self.next_run)}" if self.next_run else ""
        note = f"<div><i>{esc(self.note)}</i></div>" if self.note else ""
        table = html_table(head, rows, "Runs (waves)") if rows else "<div>No runs yet.</div>"
        return (
            f"<div style='font-family:sans-serif'><h4 style='margin:0.2em 0'>Campaign {esc(self.campaign)} "
            f"<small>v{self.version}</small>: {esc(self.state)}</h4>{note}<div>{len(self.occurrences)} "
            f"occurrence(s) planned{next_run}.</div>{table}</div>"
        )


def _run_state(counts: Any, due_at: float, now: float) -> str:
    """Pinpoint's activity state of a wave from its ledger counts."""
    if counts.paused:
        return "PAUSED"
    if due_at > now and not counts.states.get("accepted"):
        return "PENDING"
    if counts.owed or counts.states.get("sending"):
        return "RUNNING"
    return "COMPLETED"


def campaign_status(store: Any, ref: str, *, now: datetime | str | None = None) -> CampaignStatus:
    """The campaign's state, runs and next run (see :class:`CampaignStatus`)."""
    campaign = load_campaign(store, ref)
    moment = _utc(now)
    with open_state(store) as ledger:
        return _status(store, campaign, ledger, moment)


def _status(store: Any, campaign: Campaign, ledger: Ledger, now: datetime) -> CampaignStatus:
    cid = str(campaign.campaign_id)
    occurrences = [
        {
            "occurrence": occ,
            "version": version,
            "planned_at": _iso(datetime.fromtimestamp(at, UTC)),
            **_stored_summary(s),
        }
        for occ, version, at, s in ledger.con.execute(
            "SELECT occurrence, campaign_version, planned_at, summary FROM campaign_occurrences "
            "WHERE campaign_id = ? ORDER BY planned_at",
            (cid,),
        ).fetchall()
    ]
    runs = []
    stamp = now.timestamp()
    for run, occ, due_at, zone, endpoints in ledger.con.execute(
        "SELECT run, occurrence, due_at, zone, endpoints FROM campaign_waves WHERE campaign_id = ? "
        "ORDER BY due_at, run",
        (cid,),
    ).fetchall():
        try:
            counts = ledger.counts(run)
        except LedgerError:  # planned with nothing to send
            continue
        runs.append(
            {
                "run": run,
                "occurrence": occ,
                "due_at": _iso(datetime.fromtimestamp(due_at, UTC)),
                "zone": zone,
                "endpoints": endpoints,
                "state": _run_state(counts, due_at, stamp),
                "messages": {k: v for k, v in counts.states.items() if v},
                "owed": counts.owed,
                "paused_reason": counts.paused_reason,
            }
        )
    next_run = _next_occurrence(campaign, ledger, now)
    if campaign.state in ("PAUSED", "DELETED"):
        state = campaign.state
    elif any(r["state"] in ("RUNNING", "PENDING") for r in runs):
        state = "EXECUTING"
    elif next_run is not None and occurrences:
        state = "PENDING_NEXT_RUN"
    elif occurrences and next_run is None:
        state = "COMPLETED"
    else:
        state = "SCHEDULED"
    return CampaignStatus(campaign.name, cid, campaign.version, state, next_run, occurrences, runs)


def list_campaigns_with_state(store: Any, *, now: datetime | str | None = None) -> list[dict[str, Any]]:
    """Every campaign (``spec.list_campaigns``' rows) with ``state`` as :func:`campaign_status` gives it
    (``COMPLETED``, ``EXECUTING``... from its runs), not only the state stored when it was saved or paused."""
    from .spec import list_campaigns

    rows = list_campaigns(store)
    if not rows:
        return rows
    moment = _utc(now)
    with open_state(store) as ledger:
        for row in rows:
            row["state"] = _status(store, load_campaign(store, row["id"]), ledger, moment).state
    return rows


# --- schedule ------------------------------------------------------------------------------------------------


def _planned(ledger: Ledger, cid: str) -> set[str]:
    return {
        r[0]
        for r in ledger.con.execute(
            "SELECT occurrence FROM campaign_occurrences WHERE campaign_id = ?", (cid,)
        ).fetchall()
    }


@dataclass(frozen=True)
class _Occurrence:
    key: str  # how it is recorded
    instant: datetime  # the scheduled instant (UTC); for local time, the wall time read as UTC
    local: bool


def _schedule_bounds(campaign: Campaign) -> tuple[datetime | None, datetime | None, str]:
    from ..delivery.timing import parse_instant

    schedule = campaign.schedule
    start_text = str(schedule.get("StartTime") or "IMMEDIATE")
    start = (
        None if start_text.upper() == "IMMEDIATE" else parse_instant(start_text, field="Schedule.StartTime")
    )
    end = parse_instant(schedule["EndTime"], field="Schedule.EndTime") if schedule.get("EndTime") else None
    return start, end, str(schedule.get("Frequency") or "ONCE").upper()


def _occurrences_until(campaign: Campaign, until: datetime, after: datetime | None) -> list[_Occurrence]:
    """The campaign's occurrences whose first wave can be due by ``until``."""
    from ..delivery.timing import occurrences

    start, end, frequency = _schedule_bounds(campaign)
    if start is None or frequency == "EVENT":
        return []
    local = bool(campaign.schedule.get("IsLocalTime"))
    horizon = until
    if (
        local
    ):  # the wall time is StartTime's as written: its first wave is due 14 h before that wall time in UTC
        written = datetime.fromisoformat(
            str(campaign.schedule["StartTime"]).replace("Z", "+00:00")
        ).utcoffset()
        horizon = until + _LOCAL_LEAD - (written or timedelta(0))
    found = occurrences(start, frequency, end=end, after=after, until=horizon)
    return [_Occurrence(_iso(o).rstrip("Z") + (" local" if local else "Z"), o, local) for o in found]


def _occurrence_instant(key: str) -> datetime:
    return datetime.strptime(key[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def _next_occurrence(campaign: Campaign, ledger: Ledger, now: datetime) -> str | None:
    from ..delivery.timing import occurrences

    if campaign.state == "DELETED":
        return None
    start, end, frequency = _schedule_bounds(campaign)
    if start is None or frequency == "EVENT":
        if frequency == "EVENT" and (end is None or end > now):
            return "on each matching event"
        return None
    planned = [
        _occurrence_instant(k) for k in _planned(ledger, str(campaign.campaign_id)) if k != "immediate"
    ]
    after = max([*planned, now - timedelta(seconds=1)]) if planned else now - timedelta(seconds=1)
    horizon = now + timedelta(days=400)
    found = occurrences(start, frequency, end=end, after=after, until=horizon)
    return _iso(found[0]) if found else None


# --- planning ------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    waves: dict[str, list[PlannedMessage]]
    wave_info: dict[str, tuple[float, str | None]]
    summary: dict[str, Any]
    wave_zones: dict[str, dict[str, None]] = field(default_factory=dict)


def _family_of(channel_type: str) -> str:
    from ..delivery.keys import channel_family

    return channel_family(channel_type).upper()


def plan_occurrence(
    store: Any,
    campaign: Campaign,
    occurrence: _Occurrence | None,
    *,
    now: datetime,
    ledger: Ledger,
    only_endpoints: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Plan one occurrence into the ledger (see the module docstring); None when it was planned before.

    ``only_endpoints`` (event-triggered campaigns): endpoint id -> the event id that triggered it; only those
    endpoints are planned, each message keyed by its event.
    """
    from .audience import audience, render_treatment

    cid = str(campaign.campaign_id)
    key = occurrence.key if occurrence is not None else f"events:{_iso(now)}"
    if only_endpoints is None and key in _planned(ledger, cid):
        return None
    instant = occurrence.instant if occurrence is not None else now
    frame = audience(store, campaign, now=now, occurrence=instant, ledger=ledger)
    if only_endpoints is not None:
        frame = frame.filter(pl.col("Id").is_in(list(only_endpoints)))
    promotional = True
    sendable = frame.filter(pl.col("excluded").is_null())
    plan = _Plan({}, {}, _summary(frame))
    errors: list[dict[str, Any]] = []
    end = _schedule_bounds(campaign)[1]
    local = bool(campaign.schedule.get("IsLocalTime"))
    with progress_bar(sendable.height, f"planning {campaign.name}", unit="msg") as bar:
        for treatment in campaign.treatments:
            group = sendable.filter(pl.col("treatment_id") == treatment.treatment_id)
            if group.is_empty():
                continue
            rendered = render_treatment(store, campaign, treatment, group)
            for endpoint_id, part, reason in rendered.errors:
                errors.append(
                    {
                        "endpoint_id": endpoint_id,
                        "treatment_id": treatment.treatment_id,
                        "part": part,
                        "reason": reason,
                    }
                )
            joined = group.join(rendered.frame, on="Id", how="inner", suffix="__rendered")
            part_names = [c for c in rendered.frame.columns if c != "Id"]
            for row in joined.iter_rows(named=True):
                family = row.get("channel") or _family_of(str(row["ChannelType"]))
                due = row["due_at"]
                due = due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due
                due = due or now
                if end is not None and due > end:
                    continue
                run = f"campaign:{cid}:{key}:{_iso(due)}"
                trigger = (only_endpoints or {}).get(row["Id"])
                msg_key = send_key("campaign", cid, f"event:{trigger}" if trigger else key, row["Id"], family)
                parts = {
                    name: row[name + "__rendered"] if name + "__rendered" in row else row[name]
                    for name in part_names
                }
                try:
                    message = compose_message(
                        store,
                        family,
                        msg_key,
                        row,
                        parts,
                        promotional=promotional,
                        attributes={
                            "campaign_id": cid,
                            "campaign_activity_id": run,
                            "treatment_id": treatment.treatment_id,
                        },
                    )
                except WorkbenchError as err:
                    errors.append(
                        {
                            "endpoint_id": row["Id"],
                            "treatment_id": treatment.treatment_id,
                            "part": "Body",
                            "reason": str(err),
                        }
                    )
                    continue
                plan.waves.setdefault(run, []).append(message)
                zones = plan.wave_zones.setdefault(run, {})
                if local or row.get("held"):
                    zones[str(row.get("zone"))] = None
                plan.wave_info[run] = (due.timestamp(), _zone_label(zones))
                bar.update(1)
    plan.summary["render_errors"] = errors[:20]
    plan.summary["render_errors_total"] = len(errors)
    stamp = now.timestamp()
    for run, messages in plan.waves.items():
        ledger.plan(run, "campaign", cid, messages, now=stamp)
        due_at, zone = plan.wave_info[run]
        with ledger.write() as con:
            con.execute(
                "INSERT OR IGNORE INTO campaign_waves (run, campaign_id, occurrence, due_at, zone, endpoints, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run, cid, key, due_at, zone, len(messages), stamp),
            )
    with ledger.write() as con:
        con.execute(
            "INSERT OR IGNORE INTO campaign_occurrences (campaign_id, occurrence, campaign_version, planned_at, "
            "summary) VALUES (?, ?, ?, ?, ?)",
            (cid, key, campaign.version or 0, stamp, json.dumps(plan.summary)),
        )
    return {
        "occurrence": key,
        "waves": len(plan.waves),
        "messages": sum(map(len, plan.waves.values())),
        **plan.summary,
    }


def _zone_label(zones: Mapping[str, None]) -> str | None:
    """The time zones of a wave, as its status shows them (a few names, then how many more)."""
    names = list(zones)
    if not names:
        return None
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _summary(frame: pl.DataFrame) -> dict[str, Any]:
    """An occurrence's counts: ``targeted``, ``treatments`` (endpoints each would send to), ``holdout`` and
    ``excluded``. ``holdout`` is ``excluded["TREATMENT_HOLDOUT"]``, as in a dry run: the endpoints held out
    among those that would otherwise have been sent to (an opted-out endpoint hashed into the holdout counts
    as opted out, not as held out), so ``targeted`` = treatments + every exclusion."""
    excluded = frame.filter(pl.col("excluded").is_not_null()).group_by("excluded").len()
    groups = frame.filter(pl.col("excluded").is_null()).group_by("treatment_id").len()
    reasons = {str(r): int(n) for r, n in excluded.sort("excluded").iter_rows()}
    return {
        "targeted": frame.height,
        "holdout": reasons.get("TREATMENT_HOLDOUT", 0),
        "treatments": {str(t): int(n) for t, n in groups.iter_rows()},
        "excluded": reasons,
    }


def _stored_summary(text: str) -> dict[str, Any]:
    """An occurrence's summary as recorded, with ``holdout`` read from its ``excluded`` counts: occurrences
    planned before ``holdout`` meant ``excluded["TREATMENT_HOLDOUT"]`` recorded every endpoint hashed into the
    holdout, the excluded ones too."""
    summary = json.loads(text)
    if isinstance(summary.get("excluded"), dict) and "holdout" in summary:
        summary["holdout"] = int(summary["excluded"].get("TREATMENT_HOLDOUT", 0))
    return summary


# --- sending -------------------------------------------------------------------------------------------------


def _policy(store: Any, campaign: Campaign) -> DeliveryPolicy:
    rate = campaign.limits.get("MessagesPerSecond")
    return DeliveryPolicy.from_store(store, **({"messages_per_second": float(rate)} if rate else {}))


def send_due(
    store: Any, campaign: Campaign, *, now: datetime, ledger: Ledger, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Send every wave of the campaign whose instant has come and that still owes messages."""
    cid = str(campaign.campaign_id)
    if load_campaign(store, cid).state in ("PAUSED", "DELETED"):  # paused by another process while planning
        return []
    stamp = now.timestamp()
    maximum = campaign.limits.get("MaximumDuration")
    sent = []
    for run, due_at in ledger.con.execute(
        "SELECT run, due_at FROM campaign_waves WHERE campaign_id = ? AND due_at <= ? ORDER BY due_at, run",
        (cid, stamp),
    ).fetchall():
        try:
            counts = ledger.counts(run)
        except LedgerError:
            continue
        if counts.paused or not (counts.owed or counts.states.get("sending")):
            continue
        if maximum and stamp > due_at + float(maximum):
            dropped = ledger.cancel_owed(
                run, f"not sent within the campaign's MaximumDuration ({int(maximum)} s)", now=stamp
            )
            sent.append({"run": run, "cancelled": dropped})
            continue
        deadline = due_at + float(maximum) if maximum else None
        try:
            reports = send_run(
                store,
                run,
                ledger=ledger,
                policy=_policy(store, campaign),
                environ=environ,
                deadline=deadline,
                wait=False,
            )
        except LedgerError as err:  # another process is sending this wave: it is its to finish
            sent.append({"run": run, "busy": str(err)})
            continue
        sent.extend({"run": run, **r.to_dict()} for r in reports)
    return sent


def send_campaign(
    store: Any, ref: str, *, now: datetime | str | None = None, environ: Mapping[str, str] | None = None
) -> CampaignStatus:
    """Run what is due of a campaign now: plan its current occurrence (``IMMEDIATE``, or the latest scheduled
    one that has come) and send every wave whose instant has come. Later local-time or quiet-time waves, and
    later occurrences, are sent by ``workbench tick``. A paused or deleted campaign sends nothing."""
    campaign = load_campaign(store, ref)
    moment = _utc(now)
    if campaign.state in ("PAUSED", "DELETED"):
        raise InputError(
            f"campaign {campaign.name!r} is {campaign.state}"
            + ("; resume it first (workbench campaign resume)" if campaign.state == "PAUSED" else ""),
            field="State",
        )
    with open_state(store) as ledger:
        note = _plan_due(store, campaign, moment, ledger, immediate=True)
        sent = send_due(store, campaign, now=moment, ledger=ledger, environ=environ)
        # read again: another process may have paused it while this one sent
        status = _status(store, load_campaign(store, ref), ledger, moment)
    status.sent = sent
    status.note = note
    return status


def _plan_due(
    store: Any, campaign: Campaign, now: datetime, ledger: Ledger, *, immediate: bool
) -> str | None:
    """Plan the occurrence that is due (the latest one not planned yet); returns a note when nothing is."""
    start, end, frequency = _schedule_bounds(campaign)
    if frequency == "EVENT":
        if immediate:
            return "an event-triggered campaign sends when matching events arrive (workbench tick)"
        return None
    if start is None:
        if not immediate:
            return None  # IMMEDIATE campaigns go out by `campaign send`, never by a tick
        plan_occurrence(store, campaign, _Occurrence("immediate", now, False), now=now, ledger=ledger)
        return None
    if end is not None and now > end and not _planned(ledger, str(campaign.campaign_id)):
        return f"the campaign ended at {_iso(end)} before it was sent"
    planned = [
        _occurrence_instant(k) for k in _planned(ledger, str(campaign.campaign_id)) if k != "immediate"
    ]
    due = _occurrences_until(campaign, now, max(planned) if planned else None)
    if not due:
        return None if planned else f"scheduled for {_iso(start)}: workbench tick sends it then"
    plan_occurrence(store, campaign, due[-1], now=now, ledger=ledger)
    return None


def _wave_runs(ledger: Ledger, campaign_id: str) -> list[str]:
    """The ledger runs of a campaign's waves (each planned wave is one)."""
    rows = ledger.con.execute(
        "SELECT run FROM campaign_waves WHERE campaign_id = ?", (campaign_id,)
    ).fetchall()
    return [r[0] for r in rows]


def pause_campaign(store: Any, ref: str, *, now: datetime | str | None = None) -> CampaignStatus:
    """Pause a campaign, also while another process is sending it: its sender stops after the batch in flight,
    and ticks skip it until :func:`resume_campaign`."""
    campaign = load_campaign(store, ref)
    set_campaign_state(store, str(campaign.campaign_id), "PAUSED")
    moment = _utc(now)
    with open_state(store) as ledger:
        for run in _wave_runs(ledger, str(campaign.campaign_id)):
            ledger.pause(run, "campaign paused", now=moment.timestamp())
        return _status(store, load_campaign(store, ref), ledger, moment)


def resume_campaign(
    store: Any, ref: str, *, now: datetime | str | None = None, environ: Mapping[str, str] | None = None
) -> CampaignStatus:
    """Resume a paused campaign: it is enabled again, its paused waves continue (those whose time has come are
    sent now) and a scheduled occurrence that has come is planned and sent, as the next tick would do. Nothing
    new is planned for an ``IMMEDIATE`` campaign: it is sent only by :func:`send_campaign`."""
    campaign = load_campaign(store, ref)
    if campaign.state == "DELETED":
        raise InputError(f"campaign {campaign.name!r} is DELETED", field="State")
    cid = str(campaign.campaign_id)
    set_campaign_state(store, cid, "SCHEDULED")
    moment = _utc(now)
    with open_state(store) as ledger:
        for run in _wave_runs(ledger, cid):
            if ledger.run_state(run)[0] == "paused":
                ledger.unpause(run, now=moment.timestamp())
        # what a tick would do for this campaign: never an IMMEDIATE send, never an event match (tick's job)
        note = _plan_due(store, campaign, moment, ledger, immediate=False)
        start, _end, frequency = _schedule_bounds(campaign)
        if start is None and frequency != "EVENT" and not _planned(ledger, cid):
            note = "resumed; an IMMEDIATE campaign is sent by workbench campaign send"
        sent = send_due(store, campaign, now=moment, ledger=ledger, environ=environ)
        status = _status(store, load_campaign(store, ref), ledger, moment)
    status.sent = sent
    status.note = note
    return status


# --- event-triggered campaigns -------------------------------------------------------------------------------


def plan_event_triggers(
    store: Any, campaign: Campaign, *, now: datetime, ledger: Ledger
) -> dict[str, Any] | None:
    """Match the event log's new files against the campaign's EventFilter and plan one message per triggered
    endpoint (keyed by the event, so an event triggers once). Events older than 5 minutes at the tick are
    dropped, as Pinpoint drops them ([campaigns] event_max_delay_seconds)."""
    from ..segments.event_filter import EventFilter
    from ..store.schema import sql_string
    from ..store.views import scan_event_log

    cid = str(campaign.campaign_id)
    start, end, _ = _schedule_bounds(campaign)
    files = scan_event_log(store.events_dir).complete
    seen = {
        r[0]
        for r in ledger.con.execute("SELECT file FROM campaign_event_files WHERE campaign_id = ?", (cid,))
    }
    root = store.events_dir
    new = [f for f in files if str(f.relative_to(root)) not in seen]
    if not new:
        return None
    event_filter = EventFilter.from_json(campaign.schedule.get("EventFilter"), field="Schedule.EventFilter")
    delay = float(store.setting("campaigns.event_max_delay_seconds", EVENT_MAX_DELAY_SECONDS))
    lower = now - timedelta(seconds=delay)
    if start is not None:
        lower = max(lower, start)
    upper = min(now, end) if end is not None else now
    listed = ", ".join(sql_string(f) for f in new)
    with store.connect(read_only=True, views=False) as con:
        con.execute(
            f"CREATE TEMP VIEW events AS SELECT * FROM read_parquet([{listed}], union_by_name = true)"
        )
        triggers = con.execute(
            f"SELECT client_id, min_by(event_id, event_timestamp) FROM events WHERE ({event_filter.sql()}) "
            "AND client_id IS NOT NULL AND event_timestamp >= ? AND event_timestamp <= ? GROUP BY client_id",
            [lower.replace(tzinfo=None), upper.replace(tzinfo=None)],
        ).fetchall()
    result = None
    if triggers:
        result = plan_occurrence(
            store, campaign, None, now=now, ledger=ledger, only_endpoints={c: e for c, e in triggers}
        )
    with ledger.write() as con:
        con.executemany(
            "INSERT OR IGNORE INTO campaign_event_files (campaign_id, file) VALUES (?, ?)",
            [(cid, str(f.relative_to(root))) for f in new],
        )
    return result


# --- the tick ------------------------------------------------------------------------------------------------


def tick_campaigns(
    store: Any, *, now: datetime, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The campaign half of ``workbench tick``: for every campaign that is not paused or deleted, plan the
    occurrence that has come (or the events that triggered it) and send the waves that are due."""
    from .spec import list_campaigns

    done = []
    with open_state(store) as ledger:
        for entry in list_campaigns(store):
            if entry.get("state") in ("PAUSED", "DELETED"):
                continue
            campaign = load_campaign(store, entry["id"])
            started = time.perf_counter()
            if str(campaign.schedule.get("Frequency") or "ONCE").upper() == "EVENT":
                planned = plan_event_triggers(store, campaign, now=now, ledger=ledger)
            else:
                before = _planned(ledger, str(campaign.campaign_id))
                _plan_due(store, campaign, now, ledger, immediate=False)
                planned = sorted(_planned(ledger, str(campaign.campaign_id)) - before) or None
            sent = send_due(store, campaign, now=now, ledger=ledger, environ=environ)
            if planned or sent:
                done.append(
                    {
                        "campaign": campaign.name,
                        "id": campaign.campaign_id,
                        "planned": planned,
                        "sent": sent,
                        "seconds": round(time.perf_counter() - started, 3),
                    }
                )
    return done
