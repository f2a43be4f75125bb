"""README "Segments", the semantics list and the added keys, as known answers on hand-made endpoints and events.

Every case is a Pinpoint ``Dimensions`` object and the endpoint ids it must select, written by hand (distances,
hash buckets and windows computed here in plain Python, never by the code under test). Each case runs through
both engines: DuckDB (``members``) and Polars (``members_polars``), so a slip shared by both still fails.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

import pytest
from helpers import configure, write_csv

from workbench.errors import InputError

NOW = datetime(2026, 10, 30, 12, 0, 0)
KM_PER_DEGREE = (
    6371.0088 * math.pi / 180
)  # along a meridian or the equator, haversine with the README's radius

HEADER = [
    "Id", "ChannelType", "Address", "Demographic.Platform", "Location.Country", "Location.Latitude",
    "Location.Longitude", "User.UserId", "Attributes.plan", "Attributes.plan", "Attributes.d", "Metrics.m",
]  # fmt: skip
# lat/lon: a at the origin, b 99.9 km north, c 100.1 km north (the default range is 100 km), d/e/f without
ENDPOINTS = [
    ["a", "EMAIL", "a@example.com", "iOS", "US", 0, 0, "u1", "pro", "", "2026-10-01", 5],
    ["b", "EMAIL", "b@example.com", "Android", "GB", 99.9 / KM_PER_DEGREE, 0, "u1", "free", "pro",
     "2026-10-01T12:00:00Z", 4.999],
    ["c", "EMAIL", "c@example.com", "ios", "US", 100.1 / KM_PER_DEGREE, 0, "", "", "", "not a date", ""],
    ["d", "EMAIL", "d@example.com", "", "", "", "", "u2", "Pro", "", "2026-10-02T01:00:00+02:00", 5.001],
    ["e", "EMAIL", "e@example.com", "Android", "", "", "", "u2", "", "", "2026-10-01 23:59:59", ""],
    ["f", "EMAIL", "f@example.com", "", "", "", "", "", "", "", "", ""],
]  # fmt: skip
ALL = {"a", "b", "c", "d", "e", "f"}


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


# (endpoint, event type, time, attributes)
EVENTS = [
    ("a", "_session.start", ago(days=7), {}),  # exactly 7 days before now: outside DAY_7 (exclusive)
    ("b", "_session.stop", ago(days=7) + timedelta(seconds=1), {}),  # first instant inside DAY_7
    ("c", "_session.pause", NOW, {}),  # the last instant inside (now itself)
    ("d", "app.open", ago(hours=1), {}),  # not a session event: never "active"
    ("e", "_session.resume", ago(hours=24), {}),  # exactly 24 h: outside HR_24, inside DAY_7
    ("e", "_session.start", ago(days=30) + timedelta(seconds=1), {}),
    ("f", "_session.start", ago(days=30), {}),  # exactly 30 days: outside DAY_30
    # Behavior.Events: buy twice for a, once for b; a's two are 1 and 3 days back
    ("a", "buy", ago(days=1), {"_currency": "USD", "campaign_id": "c1"}),
    ("a", "buy", ago(days=3), {"_currency": "EUR"}),
    ("b", "buy", ago(days=2), {"_currency": "USD"}),
    # Between: inclusive start instant, end date covers its whole day
    ("c", "view", datetime(2026, 10, 1, 0, 0, 0), {}),
    ("d", "view", datetime(2026, 10, 15, 23, 59, 59), {}),
    ("e", "view", datetime(2026, 10, 16, 0, 0, 0), {}),
    ("f", "view", datetime(2026, 9, 30, 23, 59, 59), {}),
    # engagement
    ("a", "_email.click", ago(days=2), {"campaign_id": "c1"}),
    ("b", "_inapp.message_clicked", ago(days=2), {"campaign_id": "c2"}),
    ("c", "_email.open", ago(days=40), {"journey_id": "j1"}),
    ("d", "_SMS.OPTOUT", ago(days=1), {}),
    ("e", "_email.softbounce", ago(days=1), {}),
]


def bucket(text: str) -> int:
    """md5(text) read as a little-endian 128-bit number, mod 100 (the README's rule, in plain Python)."""
    return int.from_bytes(hashlib.md5(text.encode()).digest(), "little") % 100


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("segment-rules")
    project = Project.create(root / "p")
    result = project.endpoints.import_files(write_csv(root / "e.csv", HEADER, ENDPOINTS), progress=False)
    assert result.rejected == 0
    project.events.record(
        [
            {
                "event_type": et,
                "event_timestamp": ts.isoformat() + "Z",
                "client": {"client_id": ep},
                "attributes": attrs,
                "event_id": f"ev{i}",
            }
            for i, (ep, et, ts, attrs) in enumerate(EVENTS)
        ]
    )
    return project


def attr(name, kind, *values):
    return {"Attributes": {name: {"AttributeType": kind, "Values": list(values)}}}


def metric(op, value):
    return {"Metrics": {"m": {"ComparisonOperator": op, "Value": value}}}


def demo(key, kind, *values):
    return {"Demographic": {key: {"DimensionType": kind, "Values": list(values)}}}


def events(*entries):
    return {"Behavior": {"Events": list(entries)}}


def recency(duration, kind="ACTIVE"):
    return {"Behavior": {"Recency": {"Duration": duration, "RecencyType": kind}}}


def gps(km=None):
    point = {"Coordinates": {"Latitude": 0, "Longitude": 0}}
    if km is not None:
        point["RangeInKilometers"] = km
    return {"Location": {"GPSPoint": point}}


def rb(**kw):
    return {"RandomBucket": kw}


def pick(salt: str, lo: int, hi: int, key: str = "id") -> set[str]:
    users = {r[0]: r[7] or r[0] for r in ENDPOINTS}
    return {e for e in ALL if lo <= bucket(salt + (users[e] if key == "user" else e)) < hi}


BUCKET_A = bucket("s1a")

CASES: dict[str, tuple[dict, set[str]]] = {
    # set dimensions: case-sensitive; EXCLUSIVE also matches endpoints without the value; DeviceType = Platform
    "platform-inclusive": (demo("Platform", "INCLUSIVE", "iOS"), {"a"}),
    "platform-exclusive": (demo("Platform", "EXCLUSIVE", "iOS"), ALL - {"a"}),
    "devicetype-is-platform": (demo("DeviceType", "INCLUSIVE", "Android"), {"b", "e"}),
    "channel": (demo("Channel", "INCLUSIVE", "EMAIL"), ALL),
    "country-inclusive": (
        {"Location": {"Country": {"DimensionType": "INCLUSIVE", "Values": ["US"]}}},
        {"a", "c"},
    ),
    "country-exclusive": (
        {"Location": {"Country": {"DimensionType": "EXCLUSIVE", "Values": ["US"]}}},
        {"b", "d", "e", "f"},
    ),
    # attributes hold lists
    "attr-inclusive": (attr("plan", "INCLUSIVE", "pro"), {"a", "b"}),
    "attr-exclusive": (attr("plan", "EXCLUSIVE", "pro"), {"c", "d", "e", "f"}),
    "attr-contains": (attr("plan", "CONTAINS", "ro"), {"a", "b", "d"}),
    "attr-contains-case": (attr("plan", "CONTAINS", "Pr"), {"d"}),
    # dates: a 10-01 00:00, b 10-01 12:00, e 10-01 23:59:59; c and d are not in a date shape (an offset is not
    # one), so they never match a date operator
    "before-strict": (attr("d", "BEFORE", "2026-10-01T12:00:00Z"), {"a"}),
    "before-any-date": (attr("d", "BEFORE", "9999-01-01"), {"a", "b", "e"}),
    "after-strict": (attr("d", "AFTER", "2026-10-01"), {"b", "e"}),
    "after-offset-in-values": (attr("d", "AFTER", "2026-10-02T01:00:00+02:00"), {"e"}),
    "on-ignores-time": (attr("d", "ON", "2026-10-01"), {"a", "b", "e"}),
    "on-several": (attr("d", "ON", "2026-09-30", "2026-10-02"), set()),
    "between-inclusive": (attr("d", "BETWEEN", "2026-10-01T12:00:00Z", "2026-10-01"), {"b", "e"}),
    "between-end-instant": (attr("d", "BETWEEN", "2026-09-01", "2026-10-01T12:00:00Z"), {"a", "b"}),
    "between-end-day": (attr("d", "BETWEEN", "2026-09-01", "2026-09-30"), set()),
    # metrics: an endpoint without the metric never matches
    "gt": (metric("GREATER_THAN", 5), {"d"}),
    "ge": (metric("GREATER_THAN_OR_EQUAL", 5), {"a", "d"}),
    "lt": (metric("LESS_THAN", 5), {"b"}),
    "le": (metric("LESS_THAN_OR_EQUAL", 5), {"a", "b"}),
    "eq": (metric("EQUAL", 5), {"a"}),
    # GPSPoint: RangeInKilometers defaults to 100; endpoints without coordinates never match
    "gps-default-100": (gps(), {"a", "b"}),
    "gps-range-100.2": (gps(100.2), {"a", "b", "c"}),
    "gps-range-99.8": (gps(99.8), {"a"}),
    # recency: (now - duration, now], session events only; INACTIVE is the complement
    "active-day7": (recency("DAY_7"), {"b", "c", "e"}),
    "inactive-day7": (recency("DAY_7", "INACTIVE"), {"a", "d", "f"}),
    "active-hr24": (recency("HR_24"), {"c"}),
    "active-day14": (recency("DAY_14"), {"a", "b", "c", "e"}),
    "active-day30": (recency("DAY_30"), {"a", "b", "c", "e"}),
    # Behavior.Events: Times defaults to AT_LEAST 1; EXACTLY 0 is "never"; Within is (now - days, now]
    "performed": (events({"EventType": "buy"}), {"a", "b"}),
    "at-least-2": (
        events({"EventType": "buy", "Times": {"ComparisonOperator": "AT_LEAST", "Value": 2}}),
        {"a"},
    ),
    "at-most-1": (
        events({"EventType": "buy", "Times": {"ComparisonOperator": "AT_MOST", "Value": 1}}),
        ALL - {"a"},
    ),
    "exactly-1": (
        events({"EventType": "buy", "Times": {"ComparisonOperator": "EXACTLY", "Value": 1}}),
        {"b"},
    ),
    "exactly-0": (
        events({"EventType": "buy", "Times": {"ComparisonOperator": "EXACTLY", "Value": 0}}),
        {"c", "d", "e", "f"},
    ),
    "within-2-days": (
        events({"EventType": "buy", "Within": {"Days": 2}}),
        {"a"},
    ),  # b's is exactly 2 days back
    "within-49-hours": (events({"EventType": "buy", "Within": {"Hours": 49}}), {"a", "b"}),
    "event-attribute": (
        events(
            {
                "EventType": "buy",
                "Attributes": {"_currency": {"AttributeType": "INCLUSIVE", "Values": ["EUR"]}},
            }
        ),
        {"a"},
    ),
    "between-days": (
        events({"EventType": "view", "Between": {"Start": "2026-10-01", "End": "2026-10-15"}}),
        {"c", "d"},
    ),
    "first-before": (
        events(
            {
                "EventType": "buy",
                "FirstPerformed": {
                    "ComparisonOperator": "BEFORE",
                    "Value": (NOW - timedelta(days=2)).isoformat(),
                },
            }
        ),
        {"a"},
    ),  # b's first is exactly then: not before
    "last-after": (
        events(
            {
                "EventType": "buy",
                "LastPerformed": {
                    "ComparisonOperator": "AFTER",
                    "Value": (NOW - timedelta(days=2)).isoformat(),
                },
            }
        ),
        {"a"},
    ),
    # engagement: each action's event types; campaign / journey filters
    "clicked": ({"Behavior": {"Engagement": [{"Action": "CLICKED"}]}}, {"a", "b"}),
    "clicked-c1": ({"Behavior": {"Engagement": [{"Action": "CLICKED", "CampaignId": "c1"}]}}, {"a"}),
    "opened-j1": ({"Behavior": {"Engagement": [{"Action": "OPENED", "JourneyId": "j1"}]}}, {"c"}),
    "opened-within": ({"Behavior": {"Engagement": [{"Action": "OPENED", "Within": {"Days": 30}}]}}, set()),
    "unsubscribed": ({"Behavior": {"Engagement": [{"Action": "UNSUBSCRIBED"}]}}, {"d"}),
    "bounced": ({"Behavior": {"Engagement": [{"Action": "BOUNCED"}]}}, {"e"}),
    # RandomBucket: Start <= bucket < End; Percent is 0..Percent; USER hashes User.UserId (else Id)
    "bucket-start-inclusive": (
        rb(Start=BUCKET_A, End=BUCKET_A + 1, Salt="s1"),
        pick("s1", BUCKET_A, BUCKET_A + 1),
    ),
    "bucket-end-exclusive": (rb(Start=0, End=BUCKET_A, Salt="s1"), pick("s1", 0, BUCKET_A)),
    "bucket-percent": (rb(Percent=50, Salt="s2"), pick("s2", 0, 50)),
    # (salt "e195" puts endpoint a in bucket 99, the last one: found by plain Python over md5)
    "bucket-default-end": (rb(Start=50, Salt="e195"), pick("e195", 50, 100)),
    "bucket-user": (rb(Start=0, End=50, Key="USER", Salt="s3"), pick("s3", 0, 50, "user")),
}
assert "a" in CASES["bucket-start-inclusive"][1] and "a" not in CASES["bucket-end-exclusive"][1]
assert bucket("e195a") == 99 and "a" in CASES["bucket-default-end"][1]


@pytest.mark.parametrize("case", sorted(CASES))
def test_dimension(project, case):
    dims, expected = CASES[case]
    segment = project.segments.define({"Dimensions": dims}, now=NOW)
    assert set(segment.members().get_column("Id").to_list()) == expected, "DuckDB"
    assert set(segment.members_polars().get_column("Id").to_list()) == expected, "Polars"


# --- groups: SourceType defaults to ANY, Type to ALL; Include combines the groups ----------------------------


GROUP_CASES = {
    "type-default-all": (
        {"SegmentGroups": {"Groups": [{"Dimensions": [demo("Platform", "INCLUSIVE", "iOS", "Android"),
                                                      attr("plan", "INCLUSIVE", "pro")]}]}},
        {"a", "b"},
    ),
    "type-any": (
        {"SegmentGroups": {"Groups": [{"Type": "ANY", "Dimensions": [demo("Platform", "INCLUSIVE", "iOS"),
                                                                     attr("plan", "INCLUSIVE", "pro")]}]}},
        {"a", "b"},
    ),
    "type-none": (
        {"SegmentGroups": {"Groups": [{"Type": "NONE", "Dimensions": [demo("Platform", "INCLUSIVE", "iOS"),
                                                                      attr("plan", "INCLUSIVE", "pro")]}]}},
        {"c", "d", "e", "f"},
    ),
    "include-any": (
        {"SegmentGroups": {"Include": "ANY", "Groups": [{"Dimensions": [demo("Platform", "INCLUSIVE", "iOS")]},
                                                        {"Dimensions": [metric("GREATER_THAN", 5)]}]}},
        {"a", "d"},
    ),
    "include-none": (
        {"SegmentGroups": {"Include": "NONE", "Groups": [{"Dimensions": [demo("Platform", "INCLUSIVE", "iOS")]},
                                                         {"Dimensions": [metric("GREATER_THAN", 5)]}]}},
        {"b", "c", "e", "f"},
    ),
    "include-default-all": (
        {"SegmentGroups": {"Groups": [{"Dimensions": [demo("Platform", "INCLUSIVE", "iOS", "Android")]},
                                      {"Dimensions": [metric("LESS_THAN", 5)]}]}},
        {"b"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(GROUP_CASES))
def test_groups(project, case):
    spec, expected = GROUP_CASES[case]
    segment = project.segments.define(spec, now=NOW)
    assert set(segment.members().get_column("Id").to_list()) == expected, "DuckDB"
    assert set(segment.members_polars().get_column("Id").to_list()) == expected, "Polars"


def test_source_type_defaults_to_any(project):
    project.segments.create("ios-only", {"Dimensions": demo("Platform", "INCLUSIVE", "iOS")})
    project.segments.create("gb-only", {"Dimensions": {"Location": {"Country": {"Values": ["GB"]}}}})
    sources = [{"Id": "ios-only"}, {"Id": "gb-only"}]
    for spec, expected in [
        ({"SegmentGroups": {"Groups": [{"SourceSegments": sources}]}}, {"a", "b"}),
        ({"SegmentGroups": {"Groups": [{"SourceSegments": sources, "SourceType": "ALL"}]}}, set()),
    ]:
        segment = project.segments.define(spec, now=NOW)
        assert set(segment.members().get_column("Id").to_list()) == expected
        assert set(segment.members_polars().get_column("Id").to_list()) == expected


# --- enumerations and limits ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dims",
    [
        attr("plan", "SOMETIMES", "pro"),
        metric("ABOUT", 5),
        recency("DAY_8"),
        recency("DAY_7", "SLEEPING"),
        {"Behavior": {"Engagement": [{"Action": "LIKED"}]}},
        events({"EventType": "buy", "Times": {"ComparisonOperator": "AROUND", "Value": 1}}),
        rb(Start=0, End=101),
        rb(Start=-1, End=10),
    ],
)
def test_refused_values(project, dims):
    with pytest.raises(InputError):
        project.segments.define({"Dimensions": dims}, now=NOW).count()


@pytest.mark.parametrize(("n", "ok"), [(100, True), (101, False)])
def test_at_most_100_values_per_dimension(project, n, ok):
    spec = {"Dimensions": attr("plan", "INCLUSIVE", *[f"v{i}" for i in range(n - 1)], "pro")}
    if ok:
        assert set(project.segments.define(spec, now=NOW).members().get_column("Id")) == {"a", "b"}
    else:
        with pytest.raises(InputError, match="100"):
            project.segments.define(spec, now=NOW).count()


@pytest.mark.parametrize(("n", "ok"), [(100, True), (101, False)])
def test_at_most_100_dimensions(project, n, ok):
    dims = [attr("plan", "EXCLUSIVE", f"x{i}") for i in range(n)]
    spec = {"SegmentGroups": {"Groups": [{"Dimensions": dims}]}}
    if ok:
        project.segments.create(f"dims-{n}", spec)
    else:
        with pytest.raises(InputError, match="at most 100"):
            project.segments.create(f"dims-{n}", spec)


@pytest.mark.parametrize(("days", "ok"), [(36600, True), (36601, False)])
def test_within_at_most_36600_days(project, days, ok):
    spec = {"Dimensions": events({"EventType": "buy", "Within": {"Days": days}})}
    if ok:
        assert set(project.segments.define(spec, now=NOW).members().get_column("Id")) == {"a", "b"}
    else:
        with pytest.raises(InputError, match="36,600"):
            project.segments.define(spec, now=NOW).count()


# --- now: the argument, else [segments] now, else $WORKBENCH_NOW, else the clock -------------------------------


def test_now_falls_back_to_the_setting_then_the_environment(tmp_path, project, monkeypatch):
    from workbench import Project
    from workbench.segments.segment import resolve_now

    monkeypatch.setenv("WORKBENCH_NOW", "2026-10-29T00:00:00Z")
    assert resolve_now(project, "2026-10-30T12:00:00Z") == NOW  # the argument first
    assert resolve_now(project) == datetime(2026, 10, 29)  # no setting: the environment
    other = Project.create(tmp_path / "o")
    configure(other.path, '[segments]\nnow = "2026-10-28T06:00:00Z"\n')
    assert resolve_now(Project.open(other.path)) == datetime(
        2026, 10, 28, 6
    )  # the setting beats the environment
    monkeypatch.delenv("WORKBENCH_NOW")
    before = datetime.utcnow()
    assert before - timedelta(seconds=5) <= resolve_now(project) <= datetime.utcnow() + timedelta(seconds=5)


def test_recency_uses_the_setting_when_no_now_is_given(project, monkeypatch):
    monkeypatch.setenv("WORKBENCH_NOW", NOW.isoformat() + "Z")
    segment = project.segments.define({"Dimensions": recency("DAY_7")})
    assert set(segment.members().get_column("Id").to_list()) == {"b", "c", "e"}
