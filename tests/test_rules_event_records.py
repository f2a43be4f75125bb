"""The event records module (``workbench/ingest/event_records.py``) beyond its limits: timestamp forms, record
shapes and their field fallbacks, what lands in ``extra``, the CSV and JSON-lines readers, the exact reject
reasons, and ``fill_event_ids``' canonical form.

The limits themselves (names 50, values 200, 40 attributes and metrics, 2000-01-01 .. now + skew) are pinned by
``tests/test_rules_events.py``. Every known answer here is written by hand, or computed in plain Python
(``datetime``, ``json``, ``hashlib``), never by the code under test.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from datetime import datetime, timedelta

import polars as pl
import pytest

from workbench.errors import InputError
from workbench.ingest.event_records import (
    TimeWindow,
    fill_event_ids,
    iter_csv_records,
    iter_json_records,
    parse_records,
    parse_timestamp,
    record_to_row,
    rows_to_frame,
)
from workbench.ingest.rejects import Reject
from workbench.store.event_log import POLARS_SCHEMA

NOW = datetime(2026, 10, 30, 12, 0, 0)
JAN1 = datetime(2026, 1, 1)  # 1767225600 seconds after the epoch
JAN1_S = 1767225600


def utc(seconds: float) -> datetime:
    """A Unix time in seconds as a naive UTC datetime (plain Python)."""
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)


# --- timestamps: Unix milliseconds, Unix seconds, ISO 8601 (Z, offsets, naive); naive UTC ----------------------

TIMESTAMPS = [
    pytest.param(JAN1_S * 1000, JAN1, id="ms-int"),
    pytest.param(JAN1_S * 1000 + 123, JAN1 + timedelta(milliseconds=123), id="ms-int-with-millis"),
    pytest.param(JAN1_S, JAN1, id="seconds-int"),
    pytest.param(JAN1_S + 0.5, JAN1 + timedelta(milliseconds=500), id="seconds-float"),
    pytest.param(str(JAN1_S * 1000), JAN1, id="ms-as-text"),
    pytest.param(f" {JAN1_S} ", JAN1, id="seconds-as-text-with-spaces"),
    pytest.param("-86400", datetime(1969, 12, 31), id="negative-seconds-as-text"),
    pytest.param(-86400, datetime(1969, 12, 31), id="negative-seconds"),
    # the switch from seconds to milliseconds: above 1e11 (year 5138 in seconds) the number is milliseconds
    pytest.param(100_000_000_000, utc(100_000_000_000), id="1e11-is-seconds"),
    pytest.param(100_000_000_001, utc(100_000_000.001), id="1e11+1-is-ms"),
    pytest.param(-100_000_000_001, utc(-100_000_000.001), id="minus-1e11-1-is-ms"),
    pytest.param("2026-01-01T00:00:00Z", JAN1, id="iso-Z"),
    pytest.param("2026-01-01T00:00:00.250Z", JAN1 + timedelta(milliseconds=250), id="iso-fraction-Z"),
    pytest.param("2026-01-01T02:00:00+02:00", JAN1, id="iso-plus-offset"),
    pytest.param("2025-12-31T19:00:00-05:00", JAN1, id="iso-minus-offset"),
    pytest.param("2026-01-01T00:00:00+00:00", JAN1, id="iso-utc-offset"),
    pytest.param("2026-01-01 00:00:00", JAN1, id="iso-naive-is-utc"),
    pytest.param(" 2026-01-01T00:00:00Z ", JAN1, id="iso-with-spaces"),
    pytest.param("2026-01-01", JAN1, id="date-only"),
]


@pytest.mark.parametrize(("value", "expected"), TIMESTAMPS)
def test_timestamp_forms(value, expected):
    ts = parse_timestamp(value)
    assert ts == expected
    assert ts.tzinfo is None


# (value, the message of the ValueError)
BAD_TIMESTAMPS = [
    pytest.param(None, "missing timestamp", id="none"),
    pytest.param("", "missing timestamp", id="empty"),
    pytest.param(True, "missing timestamp", id="bool"),
    pytest.param(math.nan, "not a timestamp: nan", id="nan"),
    pytest.param(math.inf, "not a timestamp: inf", id="inf"),
    pytest.param("soon", "Invalid isoformat string: 'soon'", id="word"),
    pytest.param(
        "2026-01-01T00:00:00z", "Invalid isoformat string: '2026-01-01T00:00:00z'", id="lowercase-z"
    ),
    pytest.param("X1", "Invalid isoformat string: 'X1'", id="only-a-minus-sign-may-lead-a-number"),
]


@pytest.mark.parametrize(("value", "message"), BAD_TIMESTAMPS)
def test_timestamps_refused(value, message):
    with pytest.raises(ValueError) as err:
        parse_timestamp(value)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JAN1_S * 1000, JAN1),
        (JAN1_S, JAN1),
        ("2026-01-01T02:00:00+02:00", JAN1),
        ("2026-01-01T00:00:00Z", JAN1),
        ("2026-01-01 00:00:00", JAN1),
    ],
    ids=["ms", "seconds", "offset", "Z", "naive"],
)
def test_timestamps_are_utc_whatever_the_machine_time_zone(monkeypatch, value, expected):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_timestamp(value) == expected
    finally:
        monkeypatch.undo()
        time.tzset()


# --- record shapes: a full Pinpoint event-stream record, PutEvents, the old Mobile Analytics export ---------

STREAM = {
    "event_type": "_session.start",
    "event_timestamp": JAN1_S * 1000 + 123,
    "arrival_timestamp": JAN1_S * 1000 + 60_000,
    "event_version": "3.1",
    "application": {
        "app_id": "app-1",
        "cognito_identity_pool_id": "pool-1",
        "sdk": {"name": "aws-amplify", "version": "5.0"},
        "package_name": "com.example",
        "title": "Example",
        "version_name": "1.2",
        "version_code": "12",
    },
    "client": {"client_id": "ep-1", "cognito_id": "cog-1", "user_id": "u-1"},
    "device": {
        "locale": {"code": "en_US", "country": "US", "language": "en"},
        "make": "Apple",
        "model": "iPhone15,2",
        "platform": {"name": "ios", "version": "17.1"},
    },
    "session": {
        "session_id": "s-1",
        "start_timestamp": JAN1_S * 1000,
        "stop_timestamp": JAN1_S * 1000 + 90_000,
    },
    "attributes": {
        "plan": "pro",
        "n": 3,
        "on": True,
        "off": False,
        "obj": {"a": 1},
        "list": [1, "x"],
        "none": None,
    },
    "metrics": {"price": 9.5, "qty": "2", "zero": 0},
    "awsAccountId": "123456789012",
}

STREAM_ROW = {
    "event_id": None,
    "event_type": "_session.start",
    "event_timestamp": JAN1 + timedelta(milliseconds=123),
    "arrival_timestamp": JAN1 + timedelta(minutes=1),
    "event_version": "3.1",
    "client_id": "ep-1",
    "user_id": "u-1",
    "session_id": "s-1",
    "session_start_timestamp": JAN1,
    "session_stop_timestamp": JAN1 + timedelta(seconds=90),
    "app_id": "app-1",
    "app_title": "Example",
    "app_version_name": "1.2",
    "app_version_code": "12",
    "app_package_name": "com.example",
    "sdk_name": "aws-amplify",
    "sdk_version": "5.0",
    "device_make": "Apple",
    "device_model": "iPhone15,2",
    "device_platform": "ios",
    "device_platform_version": "17.1",
    "device_locale": "en_US",
    "device_country": "US",
    "attributes": [
        {"key": "plan", "value": "pro"},
        {"key": "n", "value": "3"},
        {"key": "on", "value": "true"},
        {"key": "off", "value": "false"},
        {"key": "obj", "value": '{"a": 1}'},
        {"key": "list", "value": '[1, "x"]'},
        {"key": "none", "value": None},
    ],
    "metrics": [{"key": "price", "value": 9.5}, {"key": "qty", "value": 2.0}, {"key": "zero", "value": 0.0}],
    "extra": (
        '{"application":{"cognito_identity_pool_id":"pool-1"},"awsAccountId":"123456789012",'
        '"client":{"cognito_id":"cog-1"},"device":{"locale":{"language":"en"}}}'
    ),
}

PUT_EVENTS = {
    "EventType": "purchase",
    "Timestamp": "2026-01-01T02:00:00+02:00",
    "endpoint_id": "ep-2",
    "Session": {
        "Id": "s-2",
        "StartTimestamp": "2025-12-31T23:59:00Z",
        "StopTimestamp": "2026-01-01T00:30:00Z",
    },
    "Attributes": {"item": "book"},
    "Metrics": {"price": 12},
    "event_id": 77,
}

MOBILE_ANALYTICS = {"event_type": "legacy", "timestamp": JAN1_S, "unique_id": "ep-3", "platform": "android"}

EMPTY_COLUMNS = {c: None for c in STREAM_ROW if c not in ("attributes", "metrics")}


def test_a_pinpoint_stream_record_fills_every_column():
    assert record_to_row(STREAM, NOW) == STREAM_ROW


def test_a_put_events_record():
    expected = {
        **EMPTY_COLUMNS,
        "event_id": "77",
        "event_type": "purchase",
        "event_timestamp": JAN1,
        "arrival_timestamp": NOW,
        "client_id": "ep-2",
        "session_id": "s-2",
        "session_start_timestamp": datetime(2025, 12, 31, 23, 59),
        "session_stop_timestamp": JAN1 + timedelta(minutes=30),
        "attributes": [{"key": "item", "value": "book"}],
        "metrics": [{"key": "price", "value": 12.0}],
    }
    # "Session"'s fields fill their columns and are not kept again in `extra`, as with "session"
    assert record_to_row(PUT_EVENTS, NOW) == expected


def test_a_mobile_analytics_record():
    expected = {
        **EMPTY_COLUMNS,
        "event_type": "legacy",
        "event_timestamp": JAN1,
        "arrival_timestamp": NOW,
        "client_id": "ep-3",
        "device_platform": "android",
        "attributes": [],
        "metrics": [],
        "extra": '{"platform":"android"}',
    }
    assert record_to_row(MOBILE_ANALYTICS, NOW) == expected


def base(**fields) -> dict:
    """A minimal valid record with these fields added (None removes a field)."""
    record = {"event_type": "t", "event_timestamp": "2026-01-01T00:00:00Z", "client_id": "ep"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def bare(**fields) -> dict:
    """Only these fields (None values dropped)."""
    return {k: v for k, v in fields.items() if v is not None}


T = "2026-01-01T00:00:00Z"

# (record, column, expected value): which field wins when several are there, and each one alone
FALLBACKS = [
    # the event type: event_type, then EventType
    pytest.param(
        bare(event_type="a", EventType="b", event_timestamp=T, client_id="c"),
        "event_type",
        "a",
        id="type-event_type-first",
    ),
    pytest.param(
        bare(EventType="b", event_timestamp=T, client_id="c"), "event_type", "b", id="type-EventType"
    ),
    # the time: event_timestamp, then Timestamp, then timestamp
    pytest.param(
        bare(
            event_type="t", event_timestamp=T, Timestamp="2026-01-02", timestamp="2026-01-03", client_id="c"
        ),
        "event_timestamp",
        JAN1,
        id="time-event_timestamp-first",
    ),
    pytest.param(
        bare(event_type="t", Timestamp="2026-01-02", timestamp="2026-01-03", client_id="c"),
        "event_timestamp",
        datetime(2026, 1, 2),
        id="time-Timestamp-second",
    ),
    pytest.param(
        bare(event_type="t", timestamp="2026-01-03", client_id="c"),
        "event_timestamp",
        datetime(2026, 1, 3),
        id="time-timestamp-third",
    ),
    # the endpoint: client.client_id, client_id, endpoint_id, unique_id
    pytest.param(
        base(client={"client_id": "a"}, endpoint_id="x", unique_id="y"),
        "client_id",
        "a",
        id="endpoint-client.client_id-first",
    ),
    pytest.param(
        base(client={"client_id": ""}, client_id="b", endpoint_id="x"),
        "client_id",
        "b",
        id="endpoint-empty-client.client_id-skipped",
    ),
    pytest.param(
        base(client_id=None, endpoint_id="c", unique_id="y"),
        "client_id",
        "c",
        id="endpoint-endpoint_id-third",
    ),
    pytest.param(base(client_id=None, unique_id="d"), "client_id", "d", id="endpoint-unique_id-last"),
    pytest.param(
        base(client_id=None, client={"client_id": 42}), "client_id", "42", id="endpoint-number-as-text"
    ),
    pytest.param(base(client="ep-text"), "client_id", "ep", id="endpoint-client-not-an-object"),
    # the user: user_id, then client.user_id
    pytest.param(
        base(user_id="u1", client={"client_id": "c", "user_id": "u2"}),
        "user_id",
        "u1",
        id="user-user_id-first",
    ),
    pytest.param(base(client={"client_id": "c", "user_id": "u2"}), "user_id", "u2", id="user-client.user_id"),
    pytest.param(base(user_id=7), "user_id", "7", id="user-number-as-text"),
    pytest.param(base(), "user_id", None, id="user-none"),
    # the session: session, then Session; its id: session_id, Id, then the record's session_id
    pytest.param(
        base(session={"session_id": "a", "Id": "b"}, Session={"Id": "c"}, session_id="d"),
        "session_id",
        "a",
        id="session-session.session_id-first",
    ),
    pytest.param(base(session={"Id": "b"}, session_id="d"), "session_id", "b", id="session-session.Id"),
    pytest.param(
        base(session={}, Session={"Id": "c"}), "session_id", "c", id="session-empty-session-then-Session"
    ),
    pytest.param(
        base(session={"start_timestamp": T}, session_id="d"),
        "session_id",
        "d",
        id="session-record-session_id",
    ),
    pytest.param(
        base(session={"session_id": ""}, session_id="d"), "session_id", "d", id="session-empty-id-then-record"
    ),
    pytest.param(base(session={"session_id": 5}), "session_id", "5", id="session-number-as-text"),
    pytest.param(base(), "session_id", None, id="session-none"),
    # the session's start and stop: start_timestamp / StartTimestamp, stop_timestamp / StopTimestamp
    pytest.param(
        base(session={"start_timestamp": "2026-01-02", "StartTimestamp": "2026-01-03"}),
        "session_start_timestamp",
        datetime(2026, 1, 2),
        id="start-start_timestamp-first",
    ),
    pytest.param(
        base(session={"StartTimestamp": "2026-01-03"}),
        "session_start_timestamp",
        datetime(2026, 1, 3),
        id="start-StartTimestamp",
    ),
    pytest.param(
        base(session={"start_timestamp": 0}), "session_start_timestamp", None, id="start-zero-is-none"
    ),
    pytest.param(
        base(session={"start_timestamp": ""}), "session_start_timestamp", None, id="start-empty-is-none"
    ),
    pytest.param(
        base(session={"stop_timestamp": "2026-01-02", "StopTimestamp": "2026-01-03"}),
        "session_stop_timestamp",
        datetime(2026, 1, 2),
        id="stop-stop_timestamp-first",
    ),
    pytest.param(
        base(session={"StopTimestamp": "2026-01-03"}),
        "session_stop_timestamp",
        datetime(2026, 1, 3),
        id="stop-StopTimestamp",
    ),
    pytest.param(
        base(session={"start_timestamp": "2026-01-02"}), "session_stop_timestamp", None, id="stop-none"
    ),
    pytest.param(base(session={"stop_timestamp": 0}), "session_stop_timestamp", None, id="stop-zero-is-none"),
    # attributes / Attributes, metrics / Metrics
    pytest.param(
        base(attributes={"a": "1"}, Attributes={"b": "2"}),
        "attributes",
        [{"key": "a", "value": "1"}],
        id="attributes-first",
    ),
    pytest.param(
        base(Attributes={"b": "2"}), "attributes", [{"key": "b", "value": "2"}], id="attributes-Attributes"
    ),
    pytest.param(base(attributes={}, Attributes={"b": "2"}), "attributes", [], id="attributes-empty-wins"),
    pytest.param(base(attributes=[]), "attributes", [], id="attributes-empty-list-is-none"),
    pytest.param(
        base(metrics={"a": 1}, Metrics={"b": 2}), "metrics", [{"key": "a", "value": 1.0}], id="metrics-first"
    ),
    pytest.param(base(Metrics={"b": "2.5"}), "metrics", [{"key": "b", "value": 2.5}], id="metrics-Metrics"),
    pytest.param(
        base(metrics={"m": -1e300}), "metrics", [{"key": "m", "value": -1e300}], id="metrics-large-negative"
    ),
    # the arrival time: given, or now
    pytest.param(
        base(arrival_timestamp=JAN1_S + 60),
        "arrival_timestamp",
        JAN1 + timedelta(minutes=1),
        id="arrival-given",
    ),
    pytest.param(base(), "arrival_timestamp", NOW, id="arrival-missing-is-now"),
    pytest.param(base(arrival_timestamp=""), "arrival_timestamp", NOW, id="arrival-empty-is-now"),
    # the platform: device.platform.name, else a top-level "platform" text
    pytest.param(base(platform="android"), "device_platform", "android", id="platform-top-level"),
    pytest.param(
        base(platform="android", device={"platform": {"name": "ios"}}),
        "device_platform",
        "ios",
        id="platform-device-first",
    ),
    pytest.param(
        base(platform={"name": "ios"}), "device_platform", None, id="platform-top-level-object-ignored"
    ),
    pytest.param(
        base(device={"platform": "ios"}), "device_platform", None, id="platform-device-text-ignored"
    ),
    pytest.param(base(event_version=3), "event_version", "3", id="event_version-as-text"),
    # the event id: given (as text), or None until fill_event_ids
    pytest.param(base(event_id="e-1"), "event_id", "e-1", id="event_id-given"),
    pytest.param(base(event_id=12), "event_id", "12", id="event_id-number"),
    pytest.param(base(event_id=""), "event_id", None, id="event_id-empty"),
    pytest.param(base(event_id=0), "event_id", "0", id="event_id-zero-kept"),
    pytest.param(base(), "event_id", None, id="event_id-missing"),
]


@pytest.mark.parametrize(("record", "column", "expected"), FALLBACKS)
def test_field_fallbacks(record, column, expected):
    assert record_to_row(record, NOW)[column] == expected


# --- what lands in `extra`: everything the columns did not take, nested as it came -----------------------

EXTRAS = [
    pytest.param(base(), None, id="nothing-left"),
    pytest.param(base(custom=1), {"custom": 1}, id="a-top-level-field"),
    pytest.param(base(custom={}), {"custom": {}}, id="an-empty-object"),
    pytest.param(base(custom={"a": {"b": None}}), {"custom": {"a": {"b": None}}}, id="a-nested-object"),
    pytest.param(base(z=1, a=[1, 2]), {"a": [1, 2], "z": 1}, id="keys-sorted"),
    pytest.param(base(client={"client_id": "c"}), None, id="client-taken"),
    pytest.param(
        base(client={"client_id": "c", "cognito_id": "g"}), {"client": {"cognito_id": "g"}}, id="client-rest"
    ),
    pytest.param(base(application="app"), None, id="a-consumed-key-as-text-dropped"),
    pytest.param(
        base(application={"app_id": "a", "sdk": {"name": "n", "x": 1}}),
        {"application": {"sdk": {"x": 1}}},
        id="application-sdk-rest",
    ),
    pytest.param(base(application={"sdk": {}}), None, id="an-empty-consumed-object"),
    pytest.param(
        base(device={"platform": "ios"}), {"device": {"platform": "ios"}}, id="device-platform-as-text"
    ),
    pytest.param(
        base(device={"locale": {"code": "en", "language": "en"}}),
        {"device": {"locale": {"language": "en"}}},
        id="device-locale-rest",
    ),
    pytest.param(
        base(session={"session_id": "s", "Id": "i", "start_timestamp": T, "StopTimestamp": T, "length": 5}),
        {"session": {"length": 5}},
        id="session-rest",
    ),
    pytest.param(
        base(attributes={"a": "1"}, metrics={"m": 1}, Attributes={"b": "2"}, Metrics={"n": 2}),
        None,
        id="attributes-and-metrics-taken",
    ),
    pytest.param(
        base(
            attributes=None,
            event_id="e",
            user_id="u",
            session_id="s",
            arrival_timestamp=T,
            EventType="x",
            Timestamp=T,
            timestamp=T,
            endpoint_id="x",
            unique_id="x",
        ),
        None,
        id="top-level-fields-taken",
    ),
    pytest.param(base(event_version="3"), None, id="event_version-taken"),
    pytest.param(base(platform="ios"), {"platform": "ios"}, id="platform-kept"),
    pytest.param(
        base(nested={"session": {"session_id": "s"}}),
        {"nested": {"session": {"session_id": "s"}}},
        id="consumed-names-only-at-their-place",
    ),
    pytest.param(
        base(custom={"attributes": {"a": 1}}),
        {"custom": {"attributes": {"a": 1}}},
        id="attributes-only-at-the-top",
    ),
]


@pytest.mark.parametrize(("record", "extra"), EXTRAS)
def test_what_lands_in_extra(record, extra):
    text = record_to_row(record, NOW)["extra"]
    if extra is None:
        assert text is None
    else:
        assert text == json.dumps(extra, sort_keys=True, separators=(",", ":"))


# --- the exact reasons: str(ValueError) is "field: reason" --------------------------------------------------

LONG = "n" * 70
REASONS = [
    pytest.param(base(event_type=None), "event_type: missing event type", id="no-event-type"),
    pytest.param(base(event_type="  "), "event_type: missing event type", id="blank-event-type"),
    pytest.param(base(event_type=5), "event_type: missing event type", id="event-type-not-text"),
    pytest.param(
        base(event_timestamp=None), "event_timestamp: not a timestamp (None): missing timestamp", id="no-time"
    ),
    pytest.param(
        base(event_timestamp="soon"),
        "event_timestamp: not a timestamp ('soon'): Invalid isoformat string: 'soon'",
        id="time-a-word",
    ),
    pytest.param(
        base(event_timestamp=math.inf),
        "event_timestamp: not a timestamp (inf): not a timestamp: inf",
        id="time-inf",
    ),
    pytest.param(
        base(event_timestamp=10**15),
        "event_timestamp: not a timestamp (1000000000000000): year 33658 is out of range",
        id="time-out-of-range",
    ),
    pytest.param(
        base(event_timestamp="1999-12-31T23:59:59Z"),
        "event_timestamp: 1999-12-31 23:59:59 ('1999-12-31T23:59:59Z') is before 2000-01-01",
        id="time-before-2000",
    ),
    pytest.param(
        base(event_timestamp="2026-10-31T12:00:00.001Z"),
        "event_timestamp: 2026-10-31 12:00:00.001000 ('2026-10-31T12:00:00.001Z') is more than 1 day in the future (setting events.max_future_skew)",
        id="time-past-now-plus-a-day",
    ),
    pytest.param(
        base(arrival_timestamp="later"), "arrival_timestamp: not a timestamp ('later')", id="arrival"
    ),
    pytest.param(
        base(arrival_timestamp=math.nan), "arrival_timestamp: not a timestamp (nan)", id="arrival-nan"
    ),
    pytest.param(
        base(arrival_timestamp=10**15),
        "arrival_timestamp: not a timestamp (1000000000000000)",
        id="arrival-out-of-range",
    ),
    pytest.param(
        base(client_id=None),
        "client.client_id: missing endpoint id (client.client_id or client_id)",
        id="no-endpoint",
    ),
    pytest.param(
        base(client_id=""),
        "client.client_id: missing endpoint id (client.client_id or client_id)",
        id="empty-endpoint",
    ),
    pytest.param(base(session="s-1"), "session: must be an object", id="session-text"),
    pytest.param(base(Session=["s"]), "session: must be an object", id="Session-list"),
    pytest.param(
        base(attributes=["a"]), "attributes: must be an object of name -> string", id="attributes-list"
    ),
    pytest.param(
        base(Attributes="a=1"), "attributes: must be an object of name -> string", id="Attributes-text"
    ),
    pytest.param(base(metrics=[1]), "metrics: must be an object of name -> number", id="metrics-list"),
    pytest.param(base(Metrics="m=1"), "metrics: must be an object of name -> number", id="Metrics-text"),
    pytest.param(
        base(attributes={f"a{i}": "v" for i in range(21)}, metrics={f"m{i}": 1 for i in range(20)}),
        "attributes: 21 attributes and 20 metrics; Pinpoint allows at most 40 together",
        id="41-together",
    ),
    pytest.param(
        base(attributes={LONG: "v"}),
        f"attributes.{'n' * 60}: attribute name longer than 50 characters",
        id="attribute-name-cut-at-60",
    ),
    pytest.param(
        base(metrics={LONG: 1}),
        f"metrics.{'n' * 60}: metric name longer than 50 characters",
        id="metric-name-cut-at-60",
    ),
    pytest.param(
        base(attributes={"a": "x" * 201}),
        "attributes.a: value of 201 characters; Pinpoint allows at most 200 and drops the event",
        id="value-201",
    ),
    pytest.param(
        base(attributes={"a": ["x" * 100, "y" * 100]}),
        "attributes.a: value of 208 characters; Pinpoint allows at most 200 and drops the event",
        id="list-value-as-json-208",
    ),
    pytest.param(base(metrics={"m": "x"}), "metrics.m: not a number ('x')", id="metric-text"),
    pytest.param(base(metrics={"m": True}), "metrics.m: not a number (True)", id="metric-bool"),
    pytest.param(base(metrics={"m": None}), "metrics.m: not a number (None)", id="metric-null"),
    pytest.param(base(metrics={"m": [1]}), "metrics.m: not a number ([1])", id="metric-list"),
    pytest.param(base(metrics={"m": "inf"}), "metrics.m: not a number ('inf')", id="metric-inf"),
    pytest.param(base(metrics={"m": math.nan}), "metrics.m: not a number (nan)", id="metric-nan"),
    pytest.param(
        base(session={"start_timestamp": "x"}),
        "session.start_timestamp: not a timestamp ('x')",
        id="session-start",
    ),
    pytest.param(
        base(session={"StartTimestamp": "x"}),
        "session.start_timestamp: not a timestamp ('x')",
        id="session-StartTimestamp",
    ),
    pytest.param(
        base(session={"stop_timestamp": "x"}),
        "session.stop_timestamp: not a timestamp ('x')",
        id="session-stop",
    ),
    pytest.param(
        base(Session={"StopTimestamp": math.nan}),
        "session.stop_timestamp: not a timestamp (nan)",
        id="session-StopTimestamp",
    ),
    pytest.param(
        base(session={"start_timestamp": 10**15}),
        "session.start_timestamp: not a timestamp (1000000000000000)",
        id="session-out-of-range",
    ),
]


@pytest.mark.parametrize(("record", "reason"), REASONS)
def test_reject_reasons(record, reason):
    with pytest.raises(ValueError) as err:
        record_to_row(record, NOW)
    assert str(err.value) == reason


def test_an_attribute_value_of_200_characters_as_json_is_kept():
    value = ["x" * 96, "y" * 96]  # json.dumps: [ + "96" + , + space + "96" + ] = 1 + 98 + 2 + 98 + 1 = 200
    assert len(json.dumps(value)) == 200
    assert record_to_row(base(attributes={"a": value}), NOW)["attributes"] == [
        {"key": "a", "value": json.dumps(value)}
    ]


@pytest.mark.parametrize(
    "record",
    [
        base(attributes={f"a{i}": "v" for i in range(20)}, metrics={f"m{i}": 1 for i in range(20)}),
        base(attributes={"n" * 50: "v"}),
        base(metrics={"n" * 50: 1}),
        base(attributes={"a": "x" * 200}),
    ],
    ids=["40-together", "attribute-name-of-50", "metric-name-of-50", "value-of-200"],
)
def test_at_each_limit_the_event_is_kept(record):
    row = record_to_row(record, NOW)
    assert len(row["attributes"]) + len(row["metrics"]) == len(record.get("attributes", {})) + len(
        record.get("metrics", {})
    )


def test_the_window_given_replaces_the_default():
    """A window of its own (``[events] max_future_skew``): an hour ahead is refused by a window ending at now."""
    record = base(event_timestamp=(NOW + timedelta(hours=1)).isoformat())
    assert record_to_row(record, NOW)["event_timestamp"] == NOW + timedelta(hours=1)
    with pytest.raises(ValueError, match="is more than 0 seconds in the future"):
        record_to_row(record, NOW, TimeWindow(datetime(2000, 1, 1), NOW, "0 seconds"))
    assert record_to_row(base(event_timestamp="2000-01-01"), NOW)["event_timestamp"] == datetime(2000, 1, 1)
    record = base(event_timestamp=(NOW + timedelta(days=1)).isoformat())
    assert record_to_row(record, NOW)["event_timestamp"] == NOW + timedelta(days=1)


# --- fill_event_ids: sha1 of type, time (ms), endpoint, session and sorted key=value attributes ------------


def expected_id(event_type: str, ms: int, client: str, session: str | None, attributes: dict) -> str:
    """The id by hand: sha1 of type, epoch ms, endpoint, session ("" when none) and the sorted ``key=value``
    attribute texts (a null value as ""), joined by \\x1e, the five parts joined by \\x1f."""
    pairs = sorted(f"{k}={'' if v is None else v}" for k, v in attributes.items())
    canonical = "\x1f".join([event_type, str(ms), client, session or "", "\x1e".join(pairs)])
    return hashlib.sha1(canonical.encode()).hexdigest()


ID_CASES = [
    pytest.param(
        base(event_timestamp="2026-01-01T00:00:00.123456Z", attributes={"b": "2", "a": "1"}),
        expected_id("t", JAN1_S * 1000 + 123, "ep", None, {"a": "1", "b": "2"}),
        id="no-session-attributes-sorted-microseconds-cut",
    ),
    pytest.param(
        base(session={"session_id": "s-9"}, attributes={"a1": "x", "a": None}),
        expected_id("t", JAN1_S * 1000, "ep", "s-9", {"a1": "x", "a": None}),
        id="session-and-a-null-value-sorted-as-text",
    ),
    pytest.param(base(), expected_id("t", JAN1_S * 1000, "ep", None, {}), id="no-attributes"),
    pytest.param(
        base(metrics={"m": 1}, user_id="u", arrival_timestamp=T, custom=1),
        expected_id("t", JAN1_S * 1000, "ep", None, {}),
        id="metrics-user-arrival-extra-not-in-the-id",
    ),
    pytest.param(
        base(event_type="x.y", event_timestamp=(JAN1_S + 1) * 1000, client_id="ep-2"),
        expected_id("x.y", (JAN1_S + 1) * 1000, "ep-2", None, {}),
        id="type-time-endpoint",
    ),
]


@pytest.mark.parametrize(("record", "event_id"), ID_CASES)
def test_event_ids_for_records_without_one(record, event_id):
    frame = rows_to_frame([record_to_row(record, NOW)])
    assert frame.get_column("event_id").to_list() == [event_id]


def test_only_missing_event_ids_are_filled_in_place():
    rows = [
        record_to_row(r, NOW) for r in (base(event_id="given"), base(client_id="b"), base(event_id="also"))
    ]
    frame = rows_to_frame(rows)
    assert frame.get_column("event_id").to_list() == [
        "given",
        expected_id("t", JAN1_S * 1000, "b", None, {}),
        "also",
    ]
    assert frame.get_column("client_id").to_list() == ["ep", "b", "ep"]


def test_a_frame_with_every_id_is_returned_as_it_is():
    frame = rows_to_frame([record_to_row(base(event_id="a"), NOW), record_to_row(base(event_id="b"), NOW)])
    assert fill_event_ids(frame).get_column("event_id").to_list() == ["a", "b"]


def test_rows_become_a_frame_of_the_log_schema():
    # the log's columns, then the mark of the generated ids (the same columns when there are no rows)
    schema = {**POLARS_SCHEMA, "__id_generated": pl.Boolean}
    empty = rows_to_frame([])
    assert (empty.height, empty.schema) == (0, schema)
    frame = rows_to_frame([STREAM_ROW])
    assert frame.schema == schema
    assert frame.get_column("__id_generated").to_list() == [STREAM_ROW["event_id"] is None]
    row = frame.row(0, named=True)
    assert row["event_timestamp"] == JAN1 + timedelta(milliseconds=123)
    assert row["device_platform"] == "ios"
    assert row["metrics"] == STREAM_ROW["metrics"]
    assert row["event_id"] == expected_id(
        "_session.start",
        JAN1_S * 1000 + 123,
        "ep-1",
        "s-1",
        {
            "plan": "pro",
            "n": "3",
            "on": "true",
            "off": "false",
            "obj": '{"a": 1}',
            "list": '[1, "x"]',
            "none": None,
        },
    )


# --- the JSON reader: JSON lines or one JSON array --------------------------------------------------------


def json_error(text: str) -> str:
    """The reader's reason for invalid JSON: "not valid JSON: " and what the json module says."""
    try:
        json.loads(text)
    except ValueError as err:
        return f"not valid JSON: {err}"
    raise AssertionError("valid JSON")


def nested(depth: int) -> str:
    """A JSON object nesting ``depth`` levels as the depth check counts them (the object is level 1, a value
    inside it level 2...): depth - 1 objects around a number."""
    return '{"a":' * (depth - 1) + "1" + "}" * (depth - 1)


MAX_LINE = 1_000 * 1024


def line_of(size: int) -> str:
    """A JSON object of exactly ``size`` bytes (ASCII)."""
    text = '{"a":"' + "x" * (size - 8) + '"}'
    assert len(text) == size
    return text


JSON_FILES = [
    pytest.param(
        b'{"a":1}\n\n  \n{"b":2}\n',
        [(1, {"a": 1}, None), (4, {"b": 2}, None)],
        id="blank-lines-skipped-numbers-kept",
    ),
    pytest.param(
        b'{"a":1}\r\n{"b":2}', [(1, {"a": 1}, None), (2, {"b": 2}, None)], id="crlf-no-last-newline"
    ),
    pytest.param(
        b'"text"\n[1]\n{"a":1}',
        [(1, None, "not a JSON object"), (2, None, "not a JSON object"), (3, {"a": 1}, None)],
        id="lines-not-objects",
    ),
    pytest.param(b'{bad\n{"a":1}\n', [(1, None, json_error("{bad")), (2, {"a": 1}, None)], id="bad-line"),
    pytest.param(nested(16).encode(), [(1, json.loads(nested(16)), None)], id="depth-16-kept"),
    pytest.param(
        nested(17).encode(), [(1, None, "JSON nested more than 16 levels deep")], id="depth-17-refused"
    ),
    pytest.param(
        ('{"a":' + "[" * 100_000 + "]" * 100_000 + '}\n{"b":1}').encode(),
        [(1, None, "JSON nested more than 16 levels deep"), (2, {"b": 1}, None)],
        id="too-deep-to-parse",
    ),
    pytest.param(
        b'[{"a":1}, 2, {"b":2}]',
        [(1, {"a": 1}, None), (2, None, "not a JSON object"), (3, {"b": 2}, None)],
        id="array-items-numbered-from-1",
    ),
    pytest.param(b' \n [\n{"a":1}\n]\n', [(1, {"a": 1}, None)], id="array-after-blank-space"),
    pytest.param(b"[]", [], id="empty-array"),
    pytest.param(
        f"[{nested(16)}, {nested(17)}]".encode(),
        [(1, json.loads(nested(16)), None), (2, None, "JSON nested more than 16 levels deep")],
        id="array-items-depth-16-kept-17-refused",
    ),
    pytest.param(b'[{"a":1}', [(1, None, json_error('[{"a":1}'))], id="array-bad-json"),
    pytest.param(
        (nested(20)).encode(), [(1, None, "JSON nested more than 16 levels deep")], id="depth-20-refused"
    ),
]


@pytest.mark.parametrize(("data", "expected"), JSON_FILES)
def test_json_reader(data, expected):
    assert list(iter_json_records(data, "f.jsonl")) == expected


def test_an_array_too_deep_to_parse_is_one_reject_on_line_1():
    ((line, record, error),) = iter_json_records(b"[" * 100_000 + b"]" * 100_000, "f.json")
    assert (line, record) == (1, None)
    assert error.startswith("not valid JSON: maximum recursion depth exceeded"), error


@pytest.mark.parametrize(
    ("size", "error"),
    [(MAX_LINE, None), (MAX_LINE + 1, "line of 1,024,001 bytes; an event may be at most 1,024,000")],
    ids=["1,024,000-bytes-kept", "1,024,001-bytes-refused"],
)
def test_json_line_size(size, error):
    data = line_of(size).encode() + b'\n{"next":1}\n'
    (first, second) = iter_json_records(data, "f.jsonl")
    assert second == (2, {"next": 1}, None)
    assert first[0] == 1
    assert first[2] == error
    assert (first[1] is None) == (error is not None)


# --- the CSV reader -------------------------------------------------------------------------------------

HEADER = "event_type,event_timestamp,client_id,session_id,user_id,event_id,arrival_timestamp,attributes.plan,metrics.price"

CSV_FILES = [
    pytest.param(
        f"{HEADER}\na,1767225600,ep,s,u,e,1767225660,pro,9.5\n",
        [
            (
                2,
                {
                    "attributes": {"plan": "pro"},
                    "metrics": {"price": "9.5"},
                    "event_type": "a",
                    "event_timestamp": "1767225600",
                    "client_id": "ep",
                    "session_id": "s",
                    "user_id": "u",
                    "event_id": "e",
                    "arrival_timestamp": "1767225660",
                },
                None,
            )
        ],
        id="every-column",
    ),
    pytest.param(
        f"{HEADER}\na,1,ep,,,,,,\n",
        [
            (
                2,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "a",
                    "event_timestamp": "1",
                    "client_id": "ep",
                },
                None,
            )
        ],
        id="empty-cells-left-out",
    ),
    pytest.param(
        f"{HEADER}\na,1,ep,,u,,,pro,\n",
        [
            (
                2,
                {
                    "attributes": {"plan": "pro"},
                    "metrics": {},
                    "event_type": "a",
                    "event_timestamp": "1",
                    "client_id": "ep",
                    "user_id": "u",
                },
                None,
            )
        ],
        id="cells-after-an-empty-one-read",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id\ra,1,ep\rb,2,ep\r",
        [
            (
                2,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "a",
                    "event_timestamp": "1",
                    "client_id": "ep",
                },
                None,
            ),
            (
                3,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "b",
                    "event_timestamp": "2",
                    "client_id": "ep",
                },
                None,
            ),
        ],
        id="cr-line-ends",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id\n\na,1,ep\n,,\nb,2,ep\n",
        [
            (
                3,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "a",
                    "event_timestamp": "1",
                    "client_id": "ep",
                },
                None,
            ),
            (
                5,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "b",
                    "event_timestamp": "2",
                    "client_id": "ep",
                },
                None,
            ),
        ],
        id="blank-rows-skipped-lines-counted",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id\na,1\nb,2,ep,x\nc,3,ep\n",
        [
            (2, None, "has 2 fields, the header has 3"),
            (3, None, "has 4 fields, the header has 3"),
            (
                4,
                {
                    "attributes": {},
                    "metrics": {},
                    "event_type": "c",
                    "event_timestamp": "3",
                    "client_id": "ep",
                },
                None,
            ),
        ],
        id="ragged-rows",
    ),
    pytest.param(
        'client_id,event_timestamp,event_type,attributes.note\r\nep,1,a,"x\r\ny"\r\nep,2,b,z\r\n',
        [
            (
                2,  # the line the record starts on: its quoted cell runs on to line 3
                {
                    "attributes": {"note": "x\r\ny"},
                    "metrics": {},
                    "client_id": "ep",
                    "event_timestamp": "1",
                    "event_type": "a",
                },
                None,
            ),
            (
                4,
                {
                    "attributes": {"note": "z"},
                    "metrics": {},
                    "client_id": "ep",
                    "event_timestamp": "2",
                    "event_type": "b",
                },
                None,
            ),
        ],
        id="crlf-and-a-quoted-line-break-kept",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id,attributes.ville,metrics.n\nà,1,ep,Zürich,0\n",
        [
            (
                2,
                {
                    "attributes": {"ville": "Zürich"},
                    "metrics": {"n": "0"},
                    "event_type": "à",
                    "event_timestamp": "1",
                    "client_id": "ep",
                },
                None,
            )
        ],
        id="utf-8",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id,attributes.\na,1,ep,v\n",
        [
            (
                2,
                {
                    "attributes": {"": "v"},
                    "metrics": {},
                    "event_type": "a",
                    "event_timestamp": "1",
                    "client_id": "ep",
                },
                None,
            )
        ],
        id="attribute-with-no-name",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CSV_FILES)
def test_csv_reader(text, expected):
    assert list(iter_csv_records(text.encode("utf-8"), "f.csv")) == expected


EXPECTED_COLUMNS = "arrival_timestamp, client_id, event_id, event_timestamp, event_type, session_id, user_id"

# (file text, reason, line, field)
CSV_REFUSED = [
    pytest.param("", "the file is empty", None, None, id="empty"),
    pytest.param(
        "event_type,event_timestamp,client_id\n",
        "the file holds only a header and no events",
        None,
        None,
        id="header-only",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id\n\n,,\n",
        "the file holds only a header and no events",
        None,
        None,
        id="header-and-blank-rows",
    ),
    pytest.param(
        "event_typ,event_timestamp,client_id,colour\na,1,ep,red\n",
        f"unknown columns: 'event_typ' (did you mean event_type, event_id, event_timestamp?); 'colour'; expected {EXPECTED_COLUMNS}, attributes.<name>, metrics.<name>",
        1,
        None,
        id="unknown-columns-with-suggestions",
    ),
    pytest.param(
        "event_type,event_timestamp,client_id,Attributes.a\na,1,ep,x\n",
        f"unknown columns: 'Attributes.a'; expected {EXPECTED_COLUMNS}, attributes.<name>, metrics.<name>",
        1,
        None,
        id="prefixes-are-lowercase",
    ),
    pytest.param(
        "event_timestamp,client_id\n1,ep\n",
        "missing required column event_type",
        1,
        "event_type",
        id="no-event_type",
    ),
    pytest.param(
        "event_type,client_id\na,ep\n",
        "missing required column event_timestamp",
        1,
        "event_timestamp",
        id="no-event_timestamp",
    ),
    pytest.param(
        "event_type,event_timestamp\na,1\n",
        "missing required column client_id",
        1,
        "client_id",
        id="no-client_id",
    ),
]


@pytest.mark.parametrize(("text", "reason", "line", "field"), CSV_REFUSED)
def test_csv_files_refused(text, reason, line, field):
    with pytest.raises(InputError) as err:
        list(iter_csv_records(text.encode("utf-8"), "events.csv"))
    assert err.value.to_dict() == {"file": "events.csv", "line": line, "field": field, "reason": reason}


# --- parse_records: valid rows as a frame, a Reject (file, line, field, reason) for each other one ----------


def test_parse_records_names_file_line_field_and_reason():
    records = [
        (1, base(event_id="ok-1"), None),
        (2, None, "not a JSON object"),
        (3, None, None),
        (4, base(metrics={"m": "x"}), None),
        (5, base(event_id="ok-5"), None),
        (6, base(event_timestamp="soon"), None),
        (7, base(metrics={"m": 10**400}), None),
    ]
    frame, rejects = parse_records(records, "in.jsonl", NOW, with_lines=True)
    assert rejects[:4] == [
        Reject("in.jsonl", 2, "", "not a JSON object"),
        Reject("in.jsonl", 3, "", "not a record"),
        Reject("in.jsonl", 4, "metrics.m", "not a number ('x')"),
        Reject(
            "in.jsonl", 6, "event_timestamp", "not a timestamp ('soon'): Invalid isoformat string: 'soon'"
        ),
    ]
    # a metric too large for a float is not a number, named by its field
    assert (rejects[4].file, rejects[4].line, rejects[4].field) == ("in.jsonl", 7, "metrics.m")
    assert rejects[4].reason == f"not a number ({10**400!r})"
    assert len(rejects) == 5
    assert frame.get_column("event_id").to_list() == ["ok-1", "ok-5"]
    assert frame.get_column("__line").to_list() == [1, 5]
    assert frame.schema["__line"].is_integer()


def test_parse_records_uses_the_window_and_now_given():
    records = [(1, base(event_timestamp=(NOW + timedelta(hours=1)).isoformat()), None), (2, base(), None)]
    window = TimeWindow(datetime(2000, 1, 1), NOW, "0 seconds")
    frame, rejects = parse_records(records, "f", NOW, window)
    assert [(r.line, r.field) for r in rejects] == [(1, "event_timestamp")]
    assert "__line" not in frame.columns
    assert frame.get_column("arrival_timestamp").to_list() == [NOW]
    frame, rejects = parse_records(records, "f", NOW)
    assert (frame.height, rejects) == (2, [])


def test_parse_records_with_no_valid_record():
    frame, rejects = parse_records([(1, None, "bad")], "f", NOW, with_lines=True)
    assert (frame.height, frame.get_column("__line").to_list()) == (0, [])
    assert frame.schema["__line"] == pl.Int64
    assert rejects == [Reject("f", 1, "", "bad")]


def test_csv_through_parse_records():
    data = b"event_type,event_timestamp,client_id,attributes.plan,metrics.price\na,1767225600000,ep,pro,9.5\nb,x,ep,,\n"
    frame, rejects = parse_records(iter_csv_records(data, "e.csv"), "e.csv", NOW, with_lines=True)
    assert rejects == [
        Reject("e.csv", 3, "event_timestamp", "not a timestamp ('x'): Invalid isoformat string: 'x'")
    ]
    row = frame.row(0, named=True)
    assert (row["event_type"], row["event_timestamp"], row["__line"]) == ("a", JAN1, 2)
    assert (row["attributes"], row["metrics"]) == (
        [{"key": "plan", "value": "pro"}],
        [{"key": "price", "value": 9.5}],
    )


def test_a_python_object_inside_an_attribute_is_kept_as_its_text():
    # (from the Python API: a datetime inside an attribute's object reads as it does on its own)
    row = record_to_row(
        base(attributes={"a": {"when": datetime(2026, 1, 1)}, "b": datetime(2026, 1, 2)}), NOW
    )
    assert row["attributes"] == [
        {"key": "a", "value": '{"when": "2026-01-01 00:00:00"}'},
        {"key": "b", "value": "2026-01-02 00:00:00"},
    ]
