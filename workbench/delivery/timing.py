"""Time zones, local time, quiet time, and open hours / closed days: shared by campaigns and journeys.

Pinpoint's rules, as its API reference states them (reference/pinpoint.md sections 3 and 4):

- A schedule's ``Timezone`` is one of a fixed list of UTC offsets (``PINPOINT_UTC_OFFSETS``, exactly the strings
  of the botocore model's ``Schedule.Timezone``; journeys accept a longer list, ``JOURNEY_UTC_OFFSETS``).
- An endpoint's own time zone is ``Demographic.Timezone``, an IANA name such as ``America/New_York``.
- Quiet time ``{Start, End}`` (``HH:MM``) applies only when the endpoint's ``Demographic.Timezone`` is valid and
  its local time is >= Start and <= End; a Start after End wraps past midnight. We hold such a message until the
  quiet time's End in that zone (Pinpoint drops it; journeys with ``WaitForQuietTime`` wait, as we do).
- With local time (``IsLocalTime`` / ``LocalTime``) each endpoint gets the message at the scheduled wall-clock
  time in its zone; endpoints without a valid zone use the schedule's ``Timezone`` offset.

Daylight saving (``zoneinfo``): a wall time that falls in a spring-forward gap moves forward by the gap (02:30
on a day that skips 02:00-03:00 becomes 03:30); an ambiguous wall time (autumn, the hour that repeats) is its
first occurrence. A quiet time's End is found the same way.

Everything per endpoint is computed once per distinct zone (a project has a few hundred) and joined back onto
the endpoint column, so a million endpoints cost one ``unique`` and one join.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import polars as pl

from ..errors import InputError, suggest

#: The offsets a campaign ``Schedule.Timezone`` accepts: exactly the list of the botocore Pinpoint model's
#: documentation of ``Schedule.Timezone`` (tests check it against the model), spelled as Pinpoint spells them.
PINPOINT_UTC_OFFSETS: tuple[str, ...] = (
    "UTC",
    "UTC+01",
    "UTC+02",
    "UTC+03",
    "UTC+03:30",
    "UTC+04",
    "UTC+04:30",
    "UTC+05",
    "UTC+05:30",
    "UTC+05:45",
    "UTC+06",
    "UTC+06:30",
    "UTC+07",
    "UTC+08",
    "UTC+09",
    "UTC+09:30",
    "UTC+10",
    "UTC+10:30",
    "UTC+11",
    "UTC+12",
    "UTC+13",
    "UTC-02",
    "UTC-03",
    "UTC-04",
    "UTC-05",
    "UTC-06",
    "UTC-07",
    "UTC-08",
    "UTC-09",
    "UTC-10",
    "UTC-11",
)
#: The offsets a journey ``Schedule.Timezone`` accepts (the model's ``JourneySchedule.Timezone`` list: the
#: campaign list plus a few quarter- and half-hour offsets).
JOURNEY_UTC_OFFSETS: tuple[str, ...] = (
    *PINPOINT_UTC_OFFSETS[:14],
    "UTC+08:45",
    *PINPOINT_UTC_OFFSETS[14:20],
    "UTC+12:45",
    "UTC+13",
    "UTC+13:45",
    "UTC-02",
    "UTC-02:30",
    "UTC-03",
    "UTC-03:30",
    *PINPOINT_UTC_OFFSETS[23:29],
    "UTC-09:30",
    "UTC-10",
    "UTC-11",
)
FREQUENCIES = ("ONCE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "EVENT")
#: The channels of journeys' OpenHours / ClosedDays.
SCHEDULE_CHANNELS = ("EMAIL", "SMS", "PUSH", "VOICE", "CUSTOM")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
#: Endpoint channel types that a journey's PUSH open hours / closed days govern.
_PUSH_TYPES = ("GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM", "BAIDU")
#: Files in the tz database that are not zones
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_UTC_OFFSET = re.compile(r"UTC(?:([+-])([0-9]{2})(?::([0-9]{2}))?)?")
#: how many days ``next_open`` looks ahead before saying a schedule never opens
_LOOKAHEAD_DAYS = 800


# --- parsing ------------------------------------------------------------------------------------------------------


def parse_utc_offset(
    text: Any,
    *,
    field: str = "Timezone",
    file: str | None = None,
    offsets: tuple[str, ...] = PINPOINT_UTC_OFFSETS,
) -> timezone:
    """A Pinpoint UTC offset (``"UTC"``, ``"UTC+05:30"``, ``"UTC-08"``...) as a ``datetime.timezone`` named so.

    Only the strings of ``offsets`` are accepted (the campaign list by default; pass ``JOURNEY_UTC_OFFSETS`` for
    a journey), case as Pinpoint writes them; anything else is an InputError naming ``file`` and ``field``.
    """
    if not isinstance(text, str) or text not in offsets:
        hint = suggest(str(text), offsets) if isinstance(text, str) else ""
        raise InputError(
            f"{text!r} is not one of Pinpoint's UTC offsets{hint} (valid: {', '.join(offsets)})",
            file=file,
            field=field,
        )
    match = _UTC_OFFSET.fullmatch(text)
    assert match is not None  # every listed offset has this shape
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta, text)


def parse_clock(text: Any, *, field: str, file: str | None = None) -> time:
    """A time of day written ``HH:MM`` (24-hour, leading zero: ``00:00`` to ``23:59``); InputError otherwise."""
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            f"{text!r} is not a time of day: write HH:MM from 00:00 to 23:59 (e.g. 07:00, 22:30)",
            file=file,
            field=field,
        )
    return time(int(match.group(1)), int(match.group(2)))


def parse_instant(text: Any, *, field: str, file: str | None = None) -> datetime:
    """An ISO 8601 date-time (``2026-03-08T09:00:00Z``, ``...+05:30``; no offset means UTC; a date alone is its
    midnight UTC) as an aware UTC datetime. ``IMMEDIATE`` is the caller's to handle; it is an InputError here."""
    parsed = _iso(text, field=field, file=file)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_wall_time(text: Any, *, field: str, file: str | None = None) -> datetime:
    """An ISO 8601 date-time read as a wall-clock time (naive): the date and time as written, any offset
    dropped. For local-time schedules, where ``09:00`` means nine in the morning in each endpoint's zone."""
    return _iso(text, field=field, file=file).replace(tzinfo=None)


def _iso(text: Any, *, field: str, file: str | None) -> datetime:
    if text == "IMMEDIATE":
        raise InputError(
            "IMMEDIATE is not an instant here: give an ISO 8601 date-time", file=file, field=field
        )
    ok = isinstance(text, str) and text.isascii() and re.match(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}", text)
    try:
        if ok:
            return datetime.fromisoformat(text)
    except ValueError:
        pass
    raise InputError(
        f"{text!r} is not an ISO 8601 date-time (e.g. 2026-03-08T09:00:00Z or 2026-03-08T09:00:00+01:00)",
        file=file,
        field=field,
    )


def check_end_after_start(
    start: datetime | None, end: datetime | None, *, field: str = "EndTime", file: str | None = None
) -> None:
    """InputError naming ``field`` when ``end`` is before ``start`` (either None: nothing to check)."""
    if start is not None and end is not None and end < start:
        raise InputError(
            f"{end.isoformat()} is before the start {start.isoformat()}: the end must not come first",
            file=file,
            field=field,
        )


def valid_zone(name: Any) -> ZoneInfo | None:
    """The ``ZoneInfo`` of an IANA time zone name (``Demographic.Timezone``), or None when it is not one."""
    return _zone(name) if isinstance(name, str) else None


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo | None:
    if name in _NOT_ZONES or name not in _zone_names():
        return None
    return ZoneInfo(name)


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def localize(wall: datetime, zone: ZoneInfo | timezone, *, not_before: datetime | None = None) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``: a time in a spring-forward gap moves forward by the gap,
    an ambiguous one is its first occurrence (its second when the first is before ``not_before``)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if not_before is not None and first < not_before:
        second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if second >= not_before:
            return second
    return first


# --- quiet time ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietTime:
    """Pinpoint's ``QuietTime {Start, End}``: the local times of day when no message goes out."""

    start: time
    end: time

    @classmethod
    def from_json(cls, obj: Any, *, field: str = "QuietTime", file: str | None = None) -> QuietTime | None:
        """Read ``{"Start": "HH:MM", "End": "HH:MM"}``; ``{}`` or None means no quiet time (None)."""
        if obj is None or obj == {}:
            return None
        if not isinstance(obj, Mapping):
            raise InputError("QuietTime must be an object {Start, End}", file=file, field=field)
        for key in obj:
            if key not in ("Start", "End"):
                raise InputError(
                    f"unknown key {key!r}{suggest(str(key), ('Start', 'End'))} (QuietTime has Start and End)",
                    file=file,
                    field=f"{field}.{key}",
                )
        for key in ("Start", "End"):
            if key not in obj:
                raise InputError(f"QuietTime needs {key} (HH:MM)", file=file, field=f"{field}.{key}")
        return cls(
            parse_clock(obj["Start"], field=f"{field}.Start", file=file),
            parse_clock(obj["End"], field=f"{field}.End", file=file),
        )

    def to_json(self) -> dict:
        """The Pinpoint JSON ``{"Start": "HH:MM", "End": "HH:MM"}``."""
        return {"Start": self.start.strftime("%H:%M"), "End": self.end.strftime("%H:%M")}

    def contains(self, local: time) -> bool:
        """Pinpoint's rule: quiet when Start <= local <= End; when Start is after End the quiet time wraps past
        midnight (quiet when local >= Start or local <= End). Seconds count: with End 07:00, 07:00:30 is not
        quiet."""
        local = local.replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= local <= self.end
        return local >= self.start or local <= self.end

    def release(self, local: datetime) -> datetime:
        """The wall-clock End that frees a message held at wall time ``local`` (the first End at or after it)."""
        end = datetime.combine(local.date(), self.end)
        return end if end >= local.replace(tzinfo=None) else end + timedelta(days=1)


# --- schedules ----------------------------------------------------------------------------------------------------


def occurrences(
    start: datetime,
    frequency: str,
    *,
    end: datetime | None = None,
    after: datetime | None = None,
    until: datetime,
) -> list[datetime]:
    """The instants a schedule fires in the window (``after``, ``until``], none after ``end`` (inclusive).

    ONCE fires at ``start``; HOURLY / DAILY / WEEKLY every hour / day / 7 days from ``start``; MONTHLY on
    ``start``'s day of the month at its time, and on the month's last day in a shorter month (day 31 fires on
    30 April and 28 or 29 February, then on 31 March again); EVENT has no occurrences (events trigger it).
    Arithmetic is on ``start``'s clock: give a naive ``start`` (with naive bounds) to step wall-clock times for
    local-time schedules, an aware one (with aware bounds) for instants.
    """
    if frequency not in FREQUENCIES:
        raise ValueError(f"unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCIES)}")
    if frequency == "EVENT":
        return []

    def inside(moment: datetime) -> bool:
        return (after is None or moment > after) and (end is None or moment <= end)

    stop = until if end is None else min(until, end)
    if frequency == "ONCE":
        return [start] if inside(start) and start <= stop else []
    out: list[datetime] = []
    if frequency == "MONTHLY":
        k = 0
        if after is not None and after > start:
            k = max(0, (after.year - start.year) * 12 + after.month - start.month - 1)
        while (moment := _add_months(start, k)) <= stop:
            if inside(moment):
                out.append(moment)
            k += 1
        return out
    step = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(days=7)}[frequency]
    k = 0 if after is None or after < start else (after - start) // step
    while (moment := start + k * step) <= stop:
        if inside(moment):
            out.append(moment)
        k += 1
    return out


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


# --- due times per endpoint ---------------------------------------------------------------------------------------

_NO_ZONE = "\x00"  # the join key of a missing zone (never an IANA name)


def due_times(
    zones: pl.Series,
    *,
    wall: datetime | None,
    instant: datetime,
    quiet: QuietTime | None,
    fallback: timezone,
) -> pl.DataFrame:
    """When each endpoint's message is due: one row per row of ``zones`` (``Demographic.Timezone`` values).

    Columns: ``due_at`` (Datetime UTC: the instant to send), ``held`` (quiet time delayed it), ``zone`` (the zone
    used: the endpoint's IANA zone, or the name of ``fallback`` when that is missing or invalid).

    - ``wall`` None: send at ``instant`` (aware); only quiet time moves it, so ``due_at >= instant``.
    - ``wall`` a naive wall-clock time (IsLocalTime): that time in each endpoint's zone, or in ``fallback`` for
      endpoints without a valid zone (``instant`` is not used). A time in a DST gap moves forward by the gap; an
      ambiguous one is its first occurrence.
    - ``quiet``: where the endpoint's zone is valid and its local time at the due instant is in quiet time, the
      message is held until the quiet time's End in that zone (the first End at or after that local time) and
      ``held`` is true. Endpoints without a valid zone are never held (Pinpoint's rule).

    Computed once per distinct zone value, then joined back onto ``zones``.
    """
    if wall is None and (instant.tzinfo is None or instant.utcoffset() is None):
        raise ValueError("instant must be an aware datetime")
    if wall is not None and wall.tzinfo is not None:
        raise ValueError("wall must be a naive wall-clock datetime")
    keys = zones.cast(pl.String).fill_null(_NO_ZONE)
    distinct = keys.unique()
    fallback_name = fallback.tzname(None) or "UTC"
    due_at, held, used = [], [], []
    for key in distinct.to_list():
        zone = valid_zone(key)
        base = instant if wall is None else localize(wall, zone or fallback)
        late = False
        if quiet is not None and zone is not None:
            local = base.astimezone(zone)
            if quiet.contains(local.time()):
                release = localize(quiet.release(local.replace(tzinfo=None)), zone, not_before=base)
                late, base = True, max(base, release)
        due_at.append(base.astimezone(UTC))
        held.append(late)
        used.append(key if zone is not None else fallback_name)
    table = pl.DataFrame(
        {"__key": distinct, "due_at": due_at, "held": held, "zone": used},
        schema={
            "__key": pl.String,
            "due_at": pl.Datetime("us", "UTC"),
            "held": pl.Boolean,
            "zone": pl.String,
        },
    )
    return (
        keys.to_frame("__key")
        .join(table, on="__key", how="left", maintain_order="left")
        .select("due_at", "held", "zone")
    )


# --- journeys: open hours and closed days -------------------------------------------------------------------------


@dataclass(frozen=True)
class SendingSchedule:
    """A journey's advanced quiet time: ``OpenHours`` and ``ClosedDays`` per channel (Pinpoint's JSON).

    ``OpenHours {EMAIL|SMS|PUSH|VOICE|CUSTOM: {MONDAY..SUNDAY: [{StartTime, EndTime}]}}``: a channel with open
    hours sends only inside them (StartTime inclusive, EndTime exclusive, ``HH:MM`` local time); a weekday
    missing from a channel that has open hours is closed all day; a channel without open hours is always open.
    ``ClosedDays {channel: [{Name, StartDateTime, EndDateTime}]}``: no sending from StartDateTime up to
    EndDateTime; a date-time without an offset is the endpoint's local wall-clock time, one with an offset (or Z)
    an instant; a date alone means its midnight (as an end: the next midnight, so the whole day is closed).
    """

    open_hours: dict
    closed_days: dict

    @classmethod
    def from_json(
        cls, open_hours: Any, closed_days: Any, *, file: str | None = None, field: str = ""
    ) -> SendingSchedule:
        """Validate Pinpoint's ``OpenHours`` and ``ClosedDays`` objects (either may be None); InputError naming
        the field, e.g. ``OpenHours.EMAIL.MONDAY[0].StartTime``."""
        prefix = f"{field}." if field else ""
        open_hours = {} if open_hours is None else open_hours
        closed_days = {} if closed_days is None else closed_days
        _channels(open_hours, f"{prefix}OpenHours", file)
        _channels(closed_days, f"{prefix}ClosedDays", file)
        for channel, days in open_hours.items():
            where = f"{prefix}OpenHours.{channel}"
            if not isinstance(days, Mapping):
                raise InputError(
                    "expected an object of weekday -> [{StartTime, EndTime}]", file=file, field=where
                )
            for day, rules in days.items():
                if day not in WEEKDAYS:
                    raise InputError(
                        f"{day!r} is not a weekday{suggest(str(day), WEEKDAYS)} (MONDAY..SUNDAY)",
                        file=file,
                        field=f"{where}.{day}",
                    )
                _open_rules(rules, f"{where}.{day}", file)
        for channel, rules in closed_days.items():
            _closed_rules(rules, f"{prefix}ClosedDays.{channel}", file)
        return cls(dict(open_hours), dict(closed_days))

    def to_json(self) -> dict:
        """``{"OpenHours": ..., "ClosedDays": ...}`` as Pinpoint writes them (empty parts left out)."""
        out = {}
        if self.open_hours:
            out["OpenHours"] = self.open_hours
        if self.closed_days:
            out["ClosedDays"] = self.closed_days
        return out

    def next_open(
        self, channel: str, zones: pl.Series, at: datetime, *, fallback: timezone | ZoneInfo = UTC
    ) -> pl.Series:
        """For each endpoint (its ``Demographic.Timezone`` in ``zones``), the earliest instant at or after ``at``
        that is inside the channel's open hours of that local day and not in a closed day (Datetime UTC; null
        when the schedule never opens within two years). Endpoints without a valid zone use ``fallback``.

        ``channel`` is a family (EMAIL, SMS, PUSH, VOICE, CUSTOM) or an endpoint ChannelType (APNS, GCM... mean
        PUSH). Computed once per distinct zone and joined back."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be an aware datetime")
        family = "PUSH" if channel in _PUSH_TYPES else channel
        if family not in SCHEDULE_CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(SCHEDULE_CHANNELS)}")
        hours = _compiled_open_hours(self.open_hours.get(family))
        closed = [
            (_closed_bound(r["StartDateTime"], end=False), _closed_bound(r["EndDateTime"], end=True))
            for r in self.closed_days.get(family) or []
        ]
        keys = zones.cast(pl.String).fill_null(_NO_ZONE)
        distinct = keys.unique()
        opens = [_next_open_in(valid_zone(k) or fallback, hours, closed, at) for k in distinct.to_list()]
        table = pl.DataFrame(
            {"__key": distinct, "next_open": opens},
            schema={"__key": pl.String, "next_open": pl.Datetime("us", "UTC")},
        )
        return keys.to_frame("__key").join(table, on="__key", how="left", maintain_order="left")["next_open"]


def _channels(obj: Any, where: str, file: str | None) -> None:
    if not isinstance(obj, Mapping):
        raise InputError(
            f"expected an object of channel -> rules ({', '.join(SCHEDULE_CHANNELS)})", file=file, field=where
        )
    for channel in obj:
        if channel not in SCHEDULE_CHANNELS:
            raise InputError(
                f"unknown channel {channel!r}{suggest(str(channel), SCHEDULE_CHANNELS)} "
                f"(expected one of {', '.join(SCHEDULE_CHANNELS)})",
                file=file,
                field=f"{where}.{channel}",
            )


def _rule_list(rules: Any, where: str, file: str | None, keys: tuple[str, ...]) -> list[Mapping]:
    if not isinstance(rules, list):
        raise InputError(f"expected a list of {{{', '.join(keys)}}}", file=file, field=where)
    for i, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            raise InputError(f"expected an object {{{', '.join(keys)}}}", file=file, field=f"{where}[{i}]")
        for key in rule:
            if key not in keys:
                raise InputError(
                    f"unknown key {key!r}{suggest(str(key), keys)} (expected {', '.join(keys)})",
                    file=file,
                    field=f"{where}[{i}].{key}",
                )
    return rules


def _open_rules(rules: Any, where: str, file: str | None) -> None:
    for i, rule in enumerate(_rule_list(rules, where, file, ("StartTime", "EndTime"))):
        for key in ("StartTime", "EndTime"):
            if key not in rule:
                raise InputError(
                    f"an open-hours rule needs {key} (HH:MM)", file=file, field=f"{where}[{i}].{key}"
                )
        start = parse_clock(rule["StartTime"], field=f"{where}[{i}].StartTime", file=file)
        end = parse_clock(rule["EndTime"], field=f"{where}[{i}].EndTime", file=file)
        if end <= start:
            raise InputError(
                f"EndTime {rule['EndTime']} is not after StartTime {rule['StartTime']}",
                file=file,
                field=f"{where}[{i}].EndTime",
            )


def _closed_rules(rules: Any, where: str, file: str | None) -> None:
    for i, rule in enumerate(_rule_list(rules, where, file, ("Name", "StartDateTime", "EndDateTime"))):
        if "Name" in rule and not isinstance(rule["Name"], str):
            raise InputError("Name must be a string", file=file, field=f"{where}[{i}].Name")
        bounds = []
        for key in ("StartDateTime", "EndDateTime"):
            if key not in rule:
                raise InputError(f"a closed-days rule needs {key}", file=file, field=f"{where}[{i}].{key}")
            _iso(rule[key], field=f"{where}[{i}].{key}", file=file)
            bounds.append(_closed_bound(rule[key], end=key == "EndDateTime"))
        start, end = bounds
        if (start.tzinfo is None) != (end.tzinfo is None):
            raise InputError(
                "give both StartDateTime and EndDateTime with an offset, or both without",
                file=file,
                field=f"{where}[{i}].EndDateTime",
            )
        check_end_after_start(start, end, field=f"{where}[{i}].EndDateTime", file=file)


def _closed_bound(text: str, *, end: bool) -> datetime:
    moment = datetime.fromisoformat(text)
    if end and len(text) == 10:  # a date alone as an end: the whole day is closed
        moment += timedelta(days=1)
    return moment


def _compiled_open_hours(days: Mapping | None) -> list[list[tuple[time, time]]] | None:
    """Per weekday (Monday first), the sorted open windows; None when the channel has no open hours."""
    if not days:
        return None
    return [
        sorted(
            (parse_clock(r["StartTime"], field="StartTime"), parse_clock(r["EndTime"], field="EndTime"))
            for r in days.get(day) or []
        )
        for day in WEEKDAYS
    ]


def _next_open_in(
    zone: ZoneInfo | timezone,
    hours: list[list[tuple[time, time]]] | None,
    closed: list[tuple[datetime, datetime]],
    at: datetime,
) -> datetime | None:
    """The earliest allowed instant at or after ``at`` in ``zone``, worked out on the local wall clock."""
    start = at.astimezone(zone).replace(tzinfo=None)
    walls = [
        tuple(b.astimezone(zone).replace(tzinfo=None) if b.tzinfo is not None else b for b in pair)
        for pair in closed
    ]
    wall = start
    limit = start + timedelta(days=_LOOKAHEAD_DAYS)
    while wall <= limit:
        moved = False
        for lo, hi in walls:
            if lo <= wall < hi:
                wall, moved = hi, True
        if hours is not None:
            now = wall.time()
            window = next(((s, e) for s, e in hours[wall.weekday()] if now < e), None)
            if window is None:
                wall, moved = datetime.combine(wall.date() + timedelta(days=1), time(0)), True
            elif now < window[0]:
                wall, moved = datetime.combine(wall.date(), window[0]), True
        if not moved:
            return at.astimezone(UTC) if wall == start else max(localize(wall, zone, not_before=at), at)
    return None


__all__ = [
    "FREQUENCIES",
    "JOURNEY_UTC_OFFSETS",
    "PINPOINT_UTC_OFFSETS",
    "SCHEDULE_CHANNELS",
    "WEEKDAYS",
    "QuietTime",
    "SendingSchedule",
    "check_end_after_start",
    "due_times",
    "localize",
    "occurrences",
    "parse_clock",
    "parse_instant",
    "parse_utc_offset",
    "parse_wall_time",
    "valid_zone",
]
