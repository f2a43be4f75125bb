"""Property test: the DuckDB SQL and the Polars compilers select exactly the same endpoints.

Hypothesis draws random endpoint tables (nulls, empty and multi-valued attributes, odd date strings, NaN
metrics), random event logs, and random condition trees over every kind of condition; both engines run on the
same data and must return the same Id set.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from workbench.segments import _tree as t
from workbench.segments._json_write import to_request
from workbench.segments._polars import PolarsCompiler, bucket_of
from workbench.segments._sql import member_query
from workbench.segments.spec import SegmentSpec

NOW = datetime(2026, 10, 30, 0, 0, 0)
WORDS = ["a", "b", "ab", "Ab", "pro", "free", ""]
DATES = [
    "2026-10-01",
    "2026-10-01T12:30:00Z",
    "2026-10-01 12:30",
    "2026-10-01T23:59:59.999999",
    "2026-09-15T00:00:00.5Z",
    "2026-02-30",
    "2026-10-01T24:00:00",
    "not a date",
    "2025-12-31",
    "2026-10-02",
]
PLATFORMS = ["iOS", "Android", "Web"]
COUNTRIES = ["US", "GB", "DE", "us"]
EVENT_TYPES = [
    "_session.start",
    "_session.stop",
    "cart.add",
    "_email.open",
    "_email.click",
    "_email.hardbounce",
]

maybe = st.one_of  # readability below


def text_list(pool):
    return st.one_of(st.none(), st.lists(st.one_of(st.none(), st.sampled_from(pool)), max_size=3))


endpoint_rows = st.lists(
    st.fixed_dictionaries(
        {
            "ChannelType": st.sampled_from(["EMAIL", "SMS", "APNS", "GCM", None]),
            "User.UserId": st.one_of(st.none(), st.sampled_from(["u1", "u2", "u3", "u4"])),
            "Demographic.Platform": st.one_of(st.none(), st.sampled_from(PLATFORMS)),
            "Demographic.Make": st.one_of(st.none(), st.sampled_from(["Apple", "Samsung"])),
            "Demographic.AppVersion": st.one_of(st.none(), st.sampled_from(["1.0", "2.0"])),
            "Demographic.Model": st.one_of(st.none(), st.sampled_from(["X", "Y"])),
            "Location.Country": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
            "Location.Latitude": st.one_of(st.none(), st.floats(-89.9, 89.9)),
            "Location.Longitude": st.one_of(st.none(), st.floats(-180, 180)),
            "Attributes.plan": text_list(WORDS),
            "Attributes.signup": text_list(DATES),
            "User.UserAttributes.tier": text_list(WORDS),
            "Metrics.purchases": st.one_of(
                st.none(), st.sampled_from([0.0, 1.0, 2.5, 3.0, -1.0, float("nan")])
            ),
        }
    ),
    min_size=1,
    max_size=25,
)

event_rows = st.lists(
    st.fixed_dictionaries(
        {
            "client": st.integers(0, 26),  # indexes past the endpoints give unknown / NULL client ids
            "event_type": st.sampled_from(EVENT_TYPES),
            "minutes_ago": st.integers(-60, 45 * 24 * 60),
            "campaign_id": st.one_of(st.none(), st.sampled_from(["c1", "c2"])),
            "when": st.one_of(st.none(), st.sampled_from(DATES)),
            "price": st.one_of(st.none(), st.sampled_from([1.0, 5.0, 10.0])),
        }
    ),
    max_size=40,
)

values = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple)
date_value = st.sampled_from(["2026-10-01", "2026-10-01T12:30:00Z", "2026-09-30T23:00:00", "2026-01-01"])
metric_op = st.sampled_from(list(t.METRIC_OPERATORS))
window = st.one_of(
    st.just(t.Window()),
    st.sampled_from([1.0, 7.0, 30.0, 0.5]).map(lambda d: t.Window(days=d)),
    st.sampled_from([("2026-10-01", "2026-10-20"), ("2026-09-01T00:00:00Z", "2026-10-29")]).map(
        lambda p: t.Window(start=p[0], end=p[1])
    ),
)


@st.composite
def attribute_match(draw, column):
    kind = draw(st.sampled_from(t.ATTRIBUTE_TYPES))
    if kind in ("INCLUSIVE", "EXCLUSIVE", "CONTAINS"):
        return t.AttributeMatch(column, kind, draw(values))
    if kind == "BETWEEN":
        a, b = sorted([draw(date_value), draw(date_value)], key=lambda v: t.parse_instant(v))
        return t.AttributeMatch(column, kind, (a, b))
    if kind == "ON":
        return t.AttributeMatch(column, kind, tuple(draw(st.lists(date_value, min_size=1, max_size=2))))
    return t.AttributeMatch(column, kind, (draw(date_value),))


@st.composite
def event_filters(draw):
    out = []
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["INCLUSIVE", "EXCLUSIVE"]))
        out.append(
            t.EventFilter(
                "attribute",
                "campaign_id",
                kind,
                tuple(draw(st.lists(st.sampled_from(["c1", "c2"]), min_size=1))),
            )
        )
    if draw(st.booleans()):
        a = draw(attribute_match(""))
        out.append(t.EventFilter("attribute", "when", a.attribute_type, a.values))
    if draw(st.booleans()):
        out.append(
            t.EventFilter("metric", "price", draw(metric_op), (draw(st.sampled_from([1.0, 5.0, 7.5])),))
        )
    return tuple(out)


event_types = st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=2, unique=True).map(tuple)

leaf = st.one_of(
    st.builds(
        t.ValueIn,
        st.sampled_from(
            [
                "Demographic.Platform",
                "Demographic.DeviceType",
                "Demographic.Make",
                "Demographic.AppVersion",
                "Demographic.Model",
                "Demographic.Channel",
                "Location.Country",
            ]
        ),
        st.lists(
            st.sampled_from(PLATFORMS + COUNTRIES + ["Apple", "1.0", "X", "EMAIL", "SMS"]),
            min_size=1,
            max_size=3,
        ).map(tuple),
        st.booleans(),
    ),
    attribute_match("Attributes.plan"),
    attribute_match("Attributes.signup"),
    attribute_match("User.UserAttributes.tier"),
    st.builds(
        t.MetricCompare, st.just("Metrics.purchases"), metric_op, st.sampled_from([0.0, 1.0, 2.5, -1.0])
    ),
    st.builds(
        t.Near, st.floats(-80, 80), st.floats(-179, 179), st.sampled_from([0.0, 10.0, 500.0, 3000.0, 20000.0])
    ),
    st.builds(t.Recency, st.sampled_from(list(t.RECENCY_DURATIONS)), st.sampled_from(["ACTIVE", "INACTIVE"])),
    st.builds(
        t.Performed,
        event_types,
        event_filters(),
        st.sampled_from(list(t.TIMES_OPERATORS)),
        st.integers(0, 3),
        window,
    ),
    st.builds(
        t.PerformedWhen,
        event_types,
        st.sampled_from(["FIRST", "LAST"]),
        st.sampled_from(["BEFORE", "AFTER"]),
        date_value,
        event_filters(),
    ),
    st.builds(
        t.Engaged,
        st.sampled_from(list(t.ENGAGEMENT_EVENTS)),
        st.one_of(st.none(), st.just("c1")),
        st.none(),
        window,
    ),
    st.builds(
        lambda a, b, key, salt: t.RandomBucket(min(a, b), max(a, b), key, salt),
        st.integers(0, 100),
        st.integers(0, 100),
        st.sampled_from(["ENDPOINT", "USER"]),
        st.sampled_from(["", "s1"]),
    ),
)


def trees(leaves):
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda xs: t.AllOf(tuple(xs))),
            st.lists(children, max_size=3).map(lambda xs: t.AnyOf(tuple(xs))),
            st.lists(children, max_size=2).map(lambda xs: t.NoneOf(tuple(xs))),
        ),
        max_leaves=6,
    )


def build_frames(endpoints: list[dict], events: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    ep = pl.DataFrame(
        [{"Id": f"ep-{i}", **row} for i, row in enumerate(endpoints)],
        schema={
            "Id": pl.String,
            "ChannelType": pl.String,
            "User.UserId": pl.String,
            "Demographic.Platform": pl.String,
            "Demographic.Make": pl.String,
            "Demographic.AppVersion": pl.String,
            "Demographic.Model": pl.String,
            "Location.Country": pl.String,
            "Location.Latitude": pl.Float64,
            "Location.Longitude": pl.Float64,
            "Attributes.plan": pl.List(pl.String),
            "Attributes.signup": pl.List(pl.String),
            "User.UserAttributes.tier": pl.List(pl.String),
            "Metrics.purchases": pl.Float64,
        },
    )
    rows = []
    for i, e in enumerate(events):
        client = f"ep-{e['client']}" if e["client"] < 26 else None
        attrs = {k: v for k, v in (("campaign_id", e["campaign_id"]), ("when", e["when"])) if v is not None}
        rows.append(
            {
                "event_id": f"e{i}",
                "event_type": e["event_type"],
                "event_timestamp": NOW - timedelta(minutes=e["minutes_ago"]),
                "client_id": client,
                "attributes": [{"key": k, "value": v} for k, v in attrs.items()],
                "metrics": [{"key": "price", "value": e["price"]}] if e["price"] is not None else [],
            }
        )
    ev = pl.DataFrame(
        rows,
        schema={
            "event_id": pl.String,
            "event_type": pl.String,
            "event_timestamp": pl.Datetime("us"),
            "client_id": pl.String,
            "attributes": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
            "metrics": pl.List(pl.Struct({"key": pl.String, "value": pl.Float64})),
        },
    )
    return ep, ev


def duckdb_for(ep: pl.DataFrame, ev: pl.DataFrame, members: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("__ep", ep.to_arrow())
    con.execute("CREATE TABLE endpoints AS SELECT * FROM __ep")
    con.register("__ev", ev.to_arrow())
    con.execute(
        "CREATE TABLE events AS SELECT event_id, event_type, event_timestamp, client_id, "
        "map_from_entries(attributes) AS attributes, map_from_entries(metrics) AS metrics, "
        "CAST(event_timestamp AS DATE) AS date FROM __ev"
    )
    con.execute("CREATE TABLE segment_members (segment_id VARCHAR, version INTEGER, endpoint_id VARCHAR)")
    if members:
        con.executemany("INSERT INTO segment_members VALUES ('imp', 1, ?)", [[m] for m in members])
    return con


def sql_ids(con, tree) -> set[str]:
    return {r[0] for r in con.execute(member_query(tree, NOW, 'endpoints."Id"')).fetchall()}


def polars_ids(con, ep, tree, members) -> set[str]:
    events = con.sql("SELECT * FROM events").pl()
    compiler = PolarsCompiler(NOW, lambda: events.lazy(), lambda sid, ver: members)
    return set(ep.filter(compiler.expr(tree)).get_column("Id").to_list())


members_strategy = st.lists(st.integers(0, 30).map(lambda i: f"ep-{i}"), max_size=10, unique=True)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    endpoints=endpoint_rows,
    events=event_rows,
    tree=trees(st.one_of(leaf, st.just(t.Members("imp", 1, "imported")))),
    members=members_strategy,
)
def test_sql_and_polars_select_the_same_endpoints(endpoints, events, tree, members):
    ep, ev = build_frames(endpoints, events)
    con = duckdb_for(ep, ev, members)
    try:
        assert sql_ids(con, tree) == polars_ids(con, ep, tree, members), tree
    finally:
        con.close()


def _country_values(node) -> list[str]:
    """The Location.Country values a condition tree names."""
    items = getattr(node, "items", None)
    if items is not None:
        return [v for item in items for v in _country_values(item)]
    if getattr(node, "dimension", None) == "Location.Country":
        return list(node.values)
    return []


@settings(max_examples=200, deadline=None)
@given(tree=trees(leaf))
def test_tree_to_pinpoint_json_and_back_means_the_same(tree):
    # a country written otherwise than stored ("us") is read from JSON as the stored value ("US") by design
    # (README, segments); the round trip holds for trees in the stored form
    assume(all(v == v.upper() for v in _country_values(tree)))
    request = to_request(tree, "s")
    again = SegmentSpec.from_json(request).condition
    assert t.simplify(again) == t.simplify(tree)
    # and writing the parsed spec gives the same JSON
    assert SegmentSpec.from_json(request).request == request


@given(st.text(min_size=1, max_size=12))
def test_bucket_matches_duckdb_md5_number(value):
    got = duckdb.sql("SELECT CAST(md5_number(? || ?) % 100 AS INTEGER)", params=["s", value]).fetchall()[0][0]
    assert bucket_of(value, "s") == got
