"""delivery/timing.py: Pinpoint's UTC offsets, HH:MM clocks, quiet time, schedules, local-time due times, open hours.

The DST cases are worked out by hand from the tz database's change dates (2024) of five zones: New York, London,
Sydney, Santiago and Auckland; the expected UTC instants are written out, not computed by the code under test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import botocore.session
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.delivery import timing
from workbench.delivery.timing import (
    JOURNEY_UTC_OFFSETS,
    PINPOINT_UTC_OFFSETS,
    QuietTime,
    SendingSchedule,
    check_end_after_start,
    due_times,
    occurrences,
    parse_clock,
    parse_instant,
    parse_utc_offset,
    parse_wall_time,
    valid_zone,
)
from workbench.errors import InputError

UTC0 = UTC
NIGHT = QuietTime(time(22, 0), time(7, 0))
ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "America/Santiago",
    "Pacific/Auckland",
    "Asia/Tehran",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
]


def u(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def one(zone: str | None, **kw) -> dict:
    kw.setdefault("fallback", parse_utc_offset("UTC"))
    kw.setdefault("quiet", None)
    kw.setdefault("wall", None)
    kw.setdefault("instant", u(2024, 1, 1))
    return due_times(pl.Series([zone], dtype=pl.String), **kw).row(0, named=True)


def _model():
    return botocore.session.get_session().get_service_model("pinpoint")


# --- UTC offsets ---------------------------------------------------------------------------------------------------


def _documented_offsets(shape: str) -> list[str]:
    doc = _model().shape_for(shape).members["Timezone"].documentation.split("Valid values are:")[1]
    return re.findall(r"UTC(?:[+-][0-9]{2}(?::[0-9]{2})?)?", doc)


def test_the_offsets_are_exactly_the_botocore_models_lists():
    assert list(PINPOINT_UTC_OFFSETS) == _documented_offsets("Schedule")
    assert len(PINPOINT_UTC_OFFSETS) == 31
    assert list(JOURNEY_UTC_OFFSETS) == _documented_offsets("JourneySchedule")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("UTC", 0), ("UTC+01", 60), ("UTC+05:45", 345), ("UTC+13", 780), ("UTC-02", -120), ("UTC-11", -660)],
)
def test_an_offset_reads_as_a_named_fixed_timezone(text, minutes):
    zone = parse_utc_offset(text)
    assert zone.utcoffset(None) == timedelta(minutes=minutes)
    assert zone.tzname(None) == text


@pytest.mark.parametrize(
    "text",
    ["utc+01", "UTC+1", "UTC+14", "UTC-01", "UTC-12", "UTC+08:45", "Europe/London", "", None, 5, "UTC+01 "],
)
def test_an_offset_outside_pinpoints_list_names_file_and_field(text):
    with pytest.raises(InputError) as err:
        parse_utc_offset(text, field="Schedule.Timezone", file="c.json")
    assert err.value.file == "c.json" and err.value.field == "Schedule.Timezone"


def test_journeys_accept_their_longer_list():
    assert parse_utc_offset("UTC+08:45", offsets=JOURNEY_UTC_OFFSETS).utcoffset(None) == timedelta(hours=8.75)
    assert parse_utc_offset("UTC-09:30", offsets=JOURNEY_UTC_OFFSETS).utcoffset(None) == -timedelta(hours=9.5)


# --- clocks, quiet time, instants ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"), [("00:00", time(0)), ("23:59", time(23, 59)), ("07:05", time(7, 5))]
)
def test_parse_clock_reads_hh_mm(text, want):
    assert parse_clock(text, field="QuietTime.Start") == want


@pytest.mark.parametrize(
    "text",
    ["7:00", "24:00", "12:60", "12:00:00", " 12:00", "12:00 ", "1200", "\uff11\uff12:00", "", None, 700],
)
def test_parse_clock_refuses_anything_else_naming_file_and_field(text):
    with pytest.raises(InputError) as err:
        parse_clock(text, field="Schedule.QuietTime.End", file="c.json")
    assert err.value.field == "Schedule.QuietTime.End" and err.value.file == "c.json"
    assert "HH:MM" in err.value.reason


def test_quiet_time_from_json():
    assert QuietTime.from_json(None) is None and QuietTime.from_json({}) is None
    q = QuietTime.from_json({"Start": "22:00", "End": "07:00"})
    assert q == NIGHT and q.to_json() == {"Start": "22:00", "End": "07:00"}


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"Start": "22:00"}, "Schedule.QuietTime.End"),
        ({"Start": "22:00", "End": "7:00"}, "Schedule.QuietTime.End"),
        ({"Start": "24:00", "End": "07:00"}, "Schedule.QuietTime.Start"),
        ({"Start": "22:00", "End": "07:00", "Zone": "x"}, "Schedule.QuietTime.Zone"),
        ("22:00-07:00", "Schedule.QuietTime"),
    ],
)
def test_quiet_time_bad_input_names_the_field(obj, field):
    with pytest.raises(InputError) as err:
        QuietTime.from_json(obj, field="Schedule.QuietTime", file="c.json")
    assert err.value.field == field and err.value.file == "c.json"


def test_quiet_time_contains_is_inclusive_and_wraps_past_midnight():
    day = QuietTime(time(9), time(17))
    assert day.contains(time(9)) and day.contains(time(17)) and day.contains(time(12))
    assert not day.contains(time(8, 59, 59)) and not day.contains(time(17, 0, 1))
    assert NIGHT.contains(time(22)) and NIGHT.contains(time(23, 59)) and NIGHT.contains(time(0))
    assert NIGHT.contains(time(7)) and not NIGHT.contains(time(7, 0, 30)) and not NIGHT.contains(time(12))
    assert not NIGHT.contains(time(21, 59, 59))
    same = QuietTime(time(3), time(3))
    assert same.contains(time(3)) and not same.contains(time(3, 1))


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2026-03-08T09:00:00Z", u(2026, 3, 8, 9)),
        ("2026-03-08T09:00:00.123Z", u(2026, 3, 8, 9, 0, 0, 123000)),
        ("2026-03-08T09:00:00+05:30", u(2026, 3, 8, 3, 30)),
        ("2026-03-08T09:00:00-08:00", u(2026, 3, 8, 17)),
        ("2026-03-08T09:00:00", u(2026, 3, 8, 9)),
        ("2026-03-08", u(2026, 3, 8)),
    ],
)
def test_parse_instant_gives_aware_utc(text, want):
    got = parse_instant(text, field="Schedule.StartTime")
    assert got == want and got.tzinfo == UTC


@pytest.mark.parametrize(
    "text", ["IMMEDIATE", "tomorrow", "2026-13-01T00:00:00Z", "", None, 1700000000, "８"]
)
def test_parse_instant_refuses_non_instants(text):
    with pytest.raises(InputError) as err:
        parse_instant(text, field="Schedule.StartTime", file="c.json")
    assert err.value.field == "Schedule.StartTime" and err.value.file == "c.json"


def test_parse_wall_time_keeps_the_clock_as_written():
    assert parse_wall_time("2026-03-08T09:00:00+05:30", field="StartTime") == datetime(2026, 3, 8, 9)


def test_end_before_start_is_an_input_error():
    check_end_after_start(u(2026, 1, 1), u(2026, 1, 1))
    check_end_after_start(u(2026, 1, 1), None)
    with pytest.raises(InputError) as err:
        check_end_after_start(u(2026, 1, 2), u(2026, 1, 1), field="Schedule.EndTime", file="c.json")
    assert err.value.field == "Schedule.EndTime" and err.value.file == "c.json"


def test_valid_zone():
    assert valid_zone("America/New_York") == ZoneInfo("America/New_York")
    for bad in ("america/new_york", "Mars/Olympus", "", None, "../etc/passwd", "localtime", 3, "UTC+01"):
        assert valid_zone(bad) is None


# --- occurrences ---------------------------------------------------------------------------------------------------


def test_once_fires_once_inside_the_window():
    start = u(2026, 5, 1, 9)
    assert occurrences(start, "ONCE", until=u(2026, 6, 1)) == [start]
    assert occurrences(start, "ONCE", after=start, until=u(2026, 6, 1)) == []
    assert occurrences(start, "ONCE", until=u(2026, 4, 1)) == []
    assert occurrences(start, "ONCE", end=u(2026, 4, 1), until=u(2026, 6, 1)) == []


def test_hourly_daily_weekly_step_from_start_within_after_until_end():
    start = u(2026, 5, 1, 9)
    assert occurrences(start, "HOURLY", after=u(2026, 5, 1, 10), until=u(2026, 5, 1, 13)) == [
        u(2026, 5, 1, 11),
        u(2026, 5, 1, 12),
        u(2026, 5, 1, 13),
    ]
    assert occurrences(start, "DAILY", after=u(2026, 5, 3, 9), until=u(2026, 5, 6), end=u(2026, 5, 5, 9)) == [
        u(2026, 5, 4, 9),
        u(2026, 5, 5, 9),
    ]
    assert occurrences(start, "WEEKLY", until=u(2026, 5, 22, 9)) == [
        u(2026, 5, 1, 9),
        u(2026, 5, 8, 9),
        u(2026, 5, 15, 9),
        u(2026, 5, 22, 9),
    ]
    assert occurrences(start, "DAILY", after=u(2020, 1, 1), until=u(2026, 5, 2, 9)) == [
        start,
        u(2026, 5, 2, 9),
    ]


def test_monthly_on_day_31_uses_the_months_last_day():
    start = u(2024, 1, 31, 8)
    assert occurrences(start, "MONTHLY", until=u(2024, 7, 1)) == [
        u(2024, 1, 31, 8),
        u(2024, 2, 29, 8),
        u(2024, 3, 31, 8),
        u(2024, 4, 30, 8),
        u(2024, 5, 31, 8),
        u(2024, 6, 30, 8),
    ]
    assert occurrences(start, "MONTHLY", after=u(2025, 1, 31, 8), until=u(2025, 3, 1)) == [u(2025, 2, 28, 8)]


def test_event_has_no_occurrences_and_unknown_frequencies_fail():
    assert occurrences(u(2026, 1, 1), "EVENT", until=u(2027, 1, 1)) == []
    with pytest.raises(ValueError):
        occurrences(u(2026, 1, 1), "YEARLY", until=u(2027, 1, 1))


def test_naive_starts_step_wall_clock_times_across_dst():
    walls = occurrences(datetime(2024, 3, 9, 9), "DAILY", until=datetime(2024, 3, 11, 9))
    assert walls == [datetime(2024, 3, 9, 9), datetime(2024, 3, 10, 9), datetime(2024, 3, 11, 9)]


# --- due times -----------------------------------------------------------------------------------------------------


def test_without_local_time_messages_are_due_at_the_instant():
    frame = due_times(
        pl.Series(["America/New_York", None, "bogus"]),
        wall=None,
        instant=u(2026, 6, 1, 12),
        quiet=None,
        fallback=parse_utc_offset("UTC+02"),
    )
    assert frame.columns == ["due_at", "held", "zone"]
    assert frame.schema["due_at"] == pl.Datetime("us", "UTC")
    assert frame["due_at"].to_list() == [u(2026, 6, 1, 12)] * 3
    assert frame["held"].to_list() == [False] * 3
    assert frame["zone"].to_list() == ["America/New_York", "UTC+02", "UTC+02"]


def test_quiet_time_holds_until_its_end_only_for_valid_zones():
    # 03:00 UTC: 22:00 in New York (quiet), 03:00 in London (quiet), 08:30 in Kolkata (not quiet)
    frame = due_times(
        pl.Series(["America/New_York", "Europe/London", "Asia/Kolkata", None, "Nowhere/Land"]),
        wall=None,
        instant=u(2026, 1, 15, 3),
        quiet=NIGHT,
        fallback=parse_utc_offset("UTC"),
    )
    assert frame["due_at"].to_list() == [
        u(2026, 1, 15, 12),  # 07:00 EST
        u(2026, 1, 15, 7),  # 07:00 GMT
        u(2026, 1, 15, 3),
        u(2026, 1, 15, 3),  # no valid zone: never held (Pinpoint's rule), although 03:00 UTC is quiet
        u(2026, 1, 15, 3),
    ]
    assert frame["held"].to_list() == [True, True, False, False, False]


# Spring-forward gaps and autumn repeats of 2024, local wall time -> the UTC instant, worked out by hand.
DST_SENDS = [
    # zone, wall time, UTC instant, why
    ("America/New_York", datetime(2024, 3, 10, 2, 30), u(2024, 3, 10, 7, 30), "gap 02:00-03:00: 03:30 EDT"),
    ("America/New_York", datetime(2024, 11, 3, 1, 30), u(2024, 11, 3, 5, 30), "repeat: first, EDT"),
    ("Europe/London", datetime(2024, 3, 31, 1, 30), u(2024, 3, 31, 1, 30), "gap 01:00-02:00: 02:30 BST"),
    ("Europe/London", datetime(2024, 10, 27, 1, 30), u(2024, 10, 27, 0, 30), "repeat: first, BST"),
    ("Australia/Sydney", datetime(2024, 10, 6, 2, 30), u(2024, 10, 5, 16, 30), "gap: 03:30 AEDT"),
    ("Australia/Sydney", datetime(2024, 4, 7, 2, 30), u(2024, 4, 6, 15, 30), "repeat: first, AEDT"),
    ("America/Santiago", datetime(2024, 9, 8, 0, 30), u(2024, 9, 8, 4, 30), "gap 00:00-01:00: 01:30 -03"),
    (
        "America/Santiago",
        datetime(2024, 4, 6, 23, 30),
        u(2024, 4, 7, 2, 30),
        "repeat 23:00-24:00: first, -03",
    ),
    ("Pacific/Auckland", datetime(2024, 9, 29, 2, 30), u(2024, 9, 28, 14, 30), "gap: 03:30 NZDT"),
    ("Pacific/Auckland", datetime(2024, 4, 7, 2, 30), u(2024, 4, 6, 13, 30), "repeat: first, NZDT"),
]


@pytest.mark.parametrize(
    ("zone", "wall", "want", "why"), DST_SENDS, ids=[f"{z}-{w:%m-%d}" for z, w, *_ in DST_SENDS]
)
def test_local_time_sends_on_dst_change_days(zone, wall, want, why):
    row = one(zone, wall=wall, instant=u(2024, 1, 1))
    assert row["due_at"] == want, why
    assert row["zone"] == zone and row["held"] is False


def test_local_time_uses_the_fallback_offset_for_missing_or_invalid_zones():
    frame = due_times(
        pl.Series([None, "Mars/Base", "Asia/Kathmandu"]),
        wall=datetime(2026, 6, 1, 9),
        instant=u(2026, 1, 1),
        quiet=None,
        fallback=parse_utc_offset("UTC+05:30"),
    )
    assert frame["due_at"].to_list() == [u(2026, 6, 1, 3, 30), u(2026, 6, 1, 3, 30), u(2026, 6, 1, 3, 15)]
    assert frame["zone"].to_list() == ["UTC+05:30", "UTC+05:30", "Asia/Kathmandu"]


def test_a_local_time_inside_quiet_time_is_held_to_the_end():
    row = one("Europe/Berlin", wall=datetime(2026, 6, 1, 23, 0), quiet=NIGHT)
    assert row["held"] is True and row["due_at"] == u(2026, 6, 2, 5)  # 07:00 CEST


# Quiet time 22:00-07:00 over the night of a DST change: the hold ends at 07:00 local in the new offset.
QUIET_ACROSS_DST = [
    ("America/New_York", u(2024, 3, 10, 3), u(2024, 3, 10, 11)),  # 22:00 EST -> 07:00 EDT (8 h of clock, 8 h)
    ("America/New_York", u(2024, 11, 3, 3), u(2024, 11, 3, 12)),  # 23:00 EDT -> 07:00 EST
    ("Europe/London", u(2024, 3, 30, 23), u(2024, 3, 31, 6)),  # 23:00 GMT -> 07:00 BST
    ("Europe/London", u(2024, 10, 26, 22), u(2024, 10, 27, 7)),  # 23:00 BST -> 07:00 GMT
    ("Australia/Sydney", u(2024, 10, 5, 12), u(2024, 10, 5, 20)),  # 22:00 AEST -> 07:00 AEDT
    ("Australia/Sydney", u(2024, 4, 6, 12), u(2024, 4, 6, 21)),  # 23:00 AEDT -> 07:00 AEST
    ("America/Santiago", u(2024, 9, 8, 2), u(2024, 9, 8, 10)),  # 22:00 -04 -> 07:00 -03
    ("America/Santiago", u(2024, 4, 7, 2), u(2024, 4, 7, 11)),  # 23:00 -03 -> 07:00 -04
    ("Pacific/Auckland", u(2024, 9, 28, 10), u(2024, 9, 28, 18)),  # 22:00 NZST -> 07:00 NZDT
    ("Pacific/Auckland", u(2024, 4, 6, 10), u(2024, 4, 6, 19)),  # 23:00 NZDT -> 07:00 NZST
]


@pytest.mark.parametrize(("zone", "instant", "want"), QUIET_ACROSS_DST)
def test_quiet_time_ending_across_a_dst_change(zone, instant, want):
    row = one(zone, instant=instant, quiet=NIGHT)
    assert row["held"] is True and row["due_at"] == want
    assert row["due_at"].astimezone(ZoneInfo(zone)).time() == time(7)


def test_a_quiet_end_inside_a_gap_moves_forward_by_the_gap():
    # End 02:30 on 10 March 2024 in New York does not exist: the message goes at 03:30 EDT
    row = one("America/New_York", instant=u(2024, 3, 10, 4), quiet=QuietTime(time(23), time(2, 30)))
    assert row["held"] is True and row["due_at"] == u(2024, 3, 10, 7, 30)


def test_a_quiet_end_in_the_repeated_hour_is_never_before_the_message():
    quiet = QuietTime(time(0), time(1, 30))
    # 05:10 UTC is 01:10 EDT (first pass): held to 01:30 EDT
    assert one("America/New_York", instant=u(2024, 11, 3, 5, 10), quiet=quiet)["due_at"] == u(
        2024, 11, 3, 5, 30
    )
    # 06:10 UTC is 01:10 EST (second pass): 01:30 EDT is already past, so 01:30 EST
    assert one("America/New_York", instant=u(2024, 11, 3, 6, 10), quiet=quiet)["due_at"] == u(
        2024, 11, 3, 6, 30
    )


def test_due_times_wants_an_aware_instant_and_a_naive_wall():
    with pytest.raises(ValueError):
        one("UTC", instant=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        one("UTC", wall=u(2026, 1, 1))


def test_due_times_keeps_row_order_and_length_with_categoricals():
    zones = pl.Series(["Asia/Tehran", None, "Europe/London", "Asia/Tehran"] * 3, dtype=pl.Categorical)
    frame = due_times(zones, wall=datetime(2026, 2, 1, 9), instant=u(2026, 1, 1), quiet=None, fallback=UTC0)
    assert frame.height == 12
    assert frame["zone"].to_list()[:4] == ["Asia/Tehran", "UTC", "Europe/London", "Asia/Tehran"]
    assert frame["due_at"].to_list()[:4] == [u(2026, 2, 1, 5, 30), u(2026, 2, 1, 9), u(2026, 2, 1, 9)] + [
        u(2026, 2, 1, 5, 30)
    ]


# --- properties ----------------------------------------------------------------------------------------------------

zones_st = st.one_of(st.none(), st.sampled_from([*ZONES, "bogus", ""]))
instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
clocks = st.builds(time, st.integers(0, 23), st.integers(0, 59))
quiets = st.one_of(st.none(), st.builds(QuietTime, clocks, clocks))
walls = st.one_of(st.none(), st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31)))


@settings(max_examples=300, deadline=None)
@given(zone=zones_st, instant=instants, quiet=quiets)
def test_property_not_local_time_is_never_early(zone, instant, quiet):
    row = one(zone, instant=instant, quiet=quiet)
    assert row["due_at"] >= instant
    if not row["held"]:
        assert row["due_at"] == instant
    if quiet is None or valid_zone(zone) is None:
        assert row["due_at"] == instant and row["held"] is False


@settings(max_examples=300, deadline=None)
@given(zone=st.sampled_from(ZONES), instant=instants, wall=walls, quiet=st.builds(QuietTime, clocks, clocks))
def test_property_a_held_message_is_due_at_the_quiet_end_local_time(zone, instant, wall, quiet):
    row = one(zone, instant=instant, wall=wall, quiet=quiet)
    if not row["held"]:
        return
    tz = ZoneInfo(zone)
    local = row["due_at"].astimezone(tz)
    end_wall = datetime.combine(local.date(), quiet.end)
    if end_wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == end_wall:
        assert local.time() == quiet.end
    else:  # the End does not exist that day (a spring-forward gap): moved forward by the gap
        assert (
            quiet.end
            < local.time()
            <= (datetime.combine(local.date(), quiet.end) + timedelta(hours=3)).time()
        )


@settings(max_examples=100, deadline=None)
@given(
    zones=st.lists(zones_st, max_size=30),
    instant=instants,
    wall=walls,
    quiet=quiets,
    offset=st.sampled_from(PINPOINT_UTC_OFFSETS),
)
def test_property_a_series_equals_the_per_row_computation(zones, instant, wall, quiet, offset):
    fallback = parse_utc_offset(offset)
    frame = due_times(
        pl.Series(zones, dtype=pl.String), wall=wall, instant=instant, quiet=quiet, fallback=fallback
    )
    assert frame.height == len(zones)
    rows = [one(z, wall=wall, instant=instant, quiet=quiet, fallback=fallback) for z in zones]
    assert frame.rows(named=True) == rows


# --- open hours and closed days --------------------------------------------------------------------------------------

WEEKDAY_HOURS = {d: [{"StartTime": "09:00", "EndTime": "17:00"}] for d in timing.WEEKDAYS[:5]}


def schedule(open_hours=None, closed_days=None) -> SendingSchedule:
    return SendingSchedule.from_json(open_hours, closed_days, file="journey.json")


def next_open(sched, at, zones=("Europe/London",), channel="EMAIL"):
    return sched.next_open(channel, pl.Series(list(zones), dtype=pl.String), at).to_list()


def test_next_open_inside_open_hours_is_at_itself():
    sched = schedule({"EMAIL": WEEKDAY_HOURS})
    assert next_open(sched, u(2026, 6, 3, 10)) == [u(2026, 6, 3, 10)]  # Wednesday 11:00 BST


def test_next_open_moves_to_the_next_open_window_in_each_zone():
    sched = schedule({"EMAIL": WEEKDAY_HOURS})
    # Friday 5 June 2026 18:00 UTC: London 19:00 (closed; next Monday 09:00 BST), New York 14:00 (open),
    # Tokyo Saturday 03:00 (Monday 09:00 JST)
    got = next_open(sched, u(2026, 6, 5, 18), zones=("Europe/London", "America/New_York", "Asia/Tokyo", None))
    assert got == [u(2026, 6, 8, 8), u(2026, 6, 5, 18), u(2026, 6, 8, 0), u(2026, 6, 8, 9)]


def test_next_open_before_the_window_waits_for_its_start_and_a_channel_without_rules_is_open():
    sched = schedule(
        {
            "SMS": {
                "MONDAY": [
                    {"StartTime": "08:00", "EndTime": "10:00"},
                    {"StartTime": "14:00", "EndTime": "16:00"},
                ]
            }
        }
    )
    monday = u(2026, 6, 8, 11)  # 12:00 BST, between the windows
    assert next_open(sched, monday, channel="SMS") == [u(2026, 6, 8, 13)]
    assert next_open(sched, monday, channel="EMAIL") == [monday]
    assert next_open(schedule(), monday, channel="GCM") == [monday]


def test_closed_days_are_skipped_in_local_time_or_as_instants():
    sched = schedule(
        {"PUSH": WEEKDAY_HOURS},
        {
            "PUSH": [
                {"Name": "Holiday", "StartDateTime": "2026-12-24", "EndDateTime": "2026-12-25"},
                {
                    "Name": "Outage",
                    "StartDateTime": "2026-12-28T09:00:00Z",
                    "EndDateTime": "2026-12-28T12:00:00Z",
                },
            ]
        },
    )
    # Wednesday 23 Dec 2026 18:00 UTC: London is closed until Thursday 24 (holiday) and Friday 25 (holiday):
    # Monday 28 09:00 GMT, but the outage lasts until 12:00 UTC
    assert next_open(sched, u(2026, 12, 23, 18), channel="APNS") == [u(2026, 12, 28, 12)]


def test_open_hours_over_a_dst_change():
    sched = schedule({"EMAIL": {"SUNDAY": [{"StartTime": "09:00", "EndTime": "10:00"}]}})
    # Saturday 9 March 2024 20:00 UTC = 15:00 EST; Sunday 10 March 09:00 is EDT (13:00 UTC)
    assert next_open(sched, u(2024, 3, 9, 20), zones=("America/New_York",)) == [u(2024, 3, 10, 13)]


def test_a_schedule_that_never_opens_gives_null():
    sched = schedule(
        {"EMAIL": {"MONDAY": [{"StartTime": "09:00", "EndTime": "10:00"}]}},
        {"EMAIL": [{"Name": "forever", "StartDateTime": "2026-01-01", "EndDateTime": "2030-01-01"}]},
    )
    assert next_open(sched, u(2026, 6, 1)) == [None]


@pytest.mark.parametrize(
    ("open_hours", "closed_days", "field"),
    [
        ({"MAIL": {}}, None, "OpenHours.MAIL"),
        ({"EMAIL": {"MONDAYS": []}}, None, "OpenHours.EMAIL.MONDAYS"),
        (
            {"EMAIL": {"MONDAY": [{"StartTime": "7:00", "EndTime": "09:00"}]}},
            None,
            "OpenHours.EMAIL.MONDAY[0].StartTime",
        ),
        (
            {"EMAIL": {"MONDAY": [{"StartTime": "09:00", "EndTime": "24:00"}]}},
            None,
            "OpenHours.EMAIL.MONDAY[0].EndTime",
        ),
        (
            {"EMAIL": {"MONDAY": [{"StartTime": "09:00", "EndTime": "08:00"}]}},
            None,
            "OpenHours.EMAIL.MONDAY[0].EndTime",
        ),
        ({"EMAIL": {"MONDAY": [{"StartTime": "09:00"}]}}, None, "OpenHours.EMAIL.MONDAY[0].EndTime"),
        (
            {"EMAIL": {"MONDAY": [{"StartTime": "09:00", "EndTime": "10:00", "X": 1}]}},
            None,
            "OpenHours.EMAIL.MONDAY[0].X",
        ),
        ({"EMAIL": {"MONDAY": "09:00-17:00"}}, None, "OpenHours.EMAIL.MONDAY"),
        (
            None,
            {"SMS": [{"StartDateTime": "2026-01-02", "EndDateTime": "2025-12-31"}]},
            "ClosedDays.SMS[0].EndDateTime",
        ),
        (
            None,
            {"SMS": [{"StartDateTime": "soon", "EndDateTime": "2026-01-01"}]},
            "ClosedDays.SMS[0].StartDateTime",
        ),
        (None, {"SMS": [{"StartDateTime": "2026-01-01"}]}, "ClosedDays.SMS[0].EndDateTime"),
        (
            None,
            {"SMS": [{"StartDateTime": "2026-01-01", "EndDateTime": "2026-01-02Z"}]},
            "ClosedDays.SMS[0].EndDateTime",
        ),
        (None, {"SMS": {"Name": "x"}}, "ClosedDays.SMS"),
    ],
)
def test_sending_schedule_bad_input_names_file_and_field(open_hours, closed_days, field):
    with pytest.raises(InputError) as err:
        SendingSchedule.from_json(open_hours, closed_days, file="journey.json")
    assert err.value.field == field and err.value.file == "journey.json"
