"""The two segment compilers (``_sql`` for DuckDB, ``_polars`` for Polars) against known answers.

The README's segment rules ("Segments", semantics list) hold in both engines. These tests call the compilers
directly on tiny tables made here (one in-memory DuckDB database; the same rows read back as Polars frames), so
each rule is pinned at the compiler that implements it: event attribute filters (``value_sql`` / ``value_expr``:
EXCLUSIVE and CONTAINS with several values), attribute lists, GPSPoint's prefilter box (``bounding_box``) and its
haversine edge. Every expected answer is written by hand or computed here in plain Python (spherical
trigonometry), never by the code under test.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import duckdb
import pytest

from workbench.segments import _polars, _sql
from workbench.segments import _tree as t

NOW = datetime(2026, 10, 30, 12, 0, 0)
R_KM = 6371.0088  # the README's mean Earth radius
RAD = math.pi / 180


# --- plain-Python spherical trigonometry (the known answers) --------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) on a sphere of the README's radius."""
    p1, p2 = lat1 * RAD, lat2 * RAD
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((lon2 - lon1) * RAD / 2) ** 2
    return 2 * R_KM * math.asin(min(1.0, math.sqrt(h)))


def destination(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along the great circle leaving at ``bearing_deg`` (0 = north)."""
    p1, l1, b, d = lat * RAD, lon * RAD, bearing_deg * RAD, km / R_KM
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    lon2 = (l2 / RAD + 540) % 360 - 180
    return p2 / RAD, lon2


def widest_bearing(lat: float, km: float) -> float:
    """The bearing (east of north) to the circle's easternmost point, where it touches a meridian."""
    d, p = km / R_KM, lat * RAD
    lat_t = math.asin(math.sin(p) / math.cos(d))  # the tangent point's latitude
    dlon = math.asin(math.sin(d) / math.cos(p))  # and its longitude difference
    y = math.sin(dlon) * math.cos(lat_t)
    x = math.cos(p) * math.sin(lat_t) - math.sin(p) * math.cos(lat_t) * math.cos(dlon)
    return math.atan2(y, x) / RAD


def exact_box(lat: float, km: float) -> tuple[float, float]:
    """(latitude half-height, longitude half-width) in degrees of the smallest box holding the circle."""
    d = km / R_KM
    return d / RAD, math.asin(math.sin(d) / math.cos(lat * RAD)) / RAD


# --- both engines on the same tiny tables ---------------------------------------------------------------------

ENDPOINT_COLUMNS = (
    '"Id" VARCHAR, "User.UserId" VARCHAR, "Demographic.Platform" VARCHAR, "Location.Country" VARCHAR, '
    '"Location.Latitude" DOUBLE, "Location.Longitude" DOUBLE, "Attributes.tags" VARCHAR[], "Metrics.m" DOUBLE'
)
EVENT_COLUMNS = (
    "client_id VARCHAR, event_type VARCHAR, event_timestamp TIMESTAMP, attributes MAP(VARCHAR, VARCHAR), "
    "metrics MAP(VARCHAR, DOUBLE), date DATE"
)


def sql_list(values) -> str:
    return "NULL" if values is None else "[" + ", ".join(f"'{v}'" for v in values) + "]::VARCHAR[]"


def sql_map(values: dict, kind: str) -> str:
    keys = ", ".join(f"'{k}'" for k in values)
    return f"map([{keys}]::VARCHAR[], [{', '.join(repr(v) for v in values.values())}]::{kind}[])"


def database(endpoints: list[dict], events: list[tuple] = ()) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with table ``endpoints`` (dicts: Id, lat, lon, tags, user...), table ``events`` and
    table ``segment_members`` (imported segment "s1" version 2: a and c; "s3" version 1 has no members).

    ``events``: (client_id, event_type, time, {attribute: value}[, {metric: number}]).
    """
    con = duckdb.connect()
    con.execute(f"CREATE TABLE endpoints ({ENDPOINT_COLUMNS})")
    for e in endpoints:
        con.execute(
            "INSERT INTO endpoints VALUES (?, ?, ?, ?, ?, ?, " + sql_list(e.get("tags")) + ", ?)",
            [
                e["Id"],
                e.get("user"),
                e.get("platform"),
                e.get("country"),
                e.get("lat"),
                e.get("lon"),
                e.get("m"),
            ],
        )
    con.execute(f"CREATE TABLE events ({EVENT_COLUMNS})")
    for client, kind, when, attrs, *metrics in events:
        con.execute(
            f"INSERT INTO events VALUES (?, ?, ?, {sql_map(attrs, 'VARCHAR')}, "
            f"{sql_map(metrics[0] if metrics else {}, 'DOUBLE')}, ?)",
            [client, kind, when, when.date()],
        )
    con.execute("CREATE TABLE segment_members (segment_id VARCHAR, version INTEGER, endpoint_id VARCHAR)")
    con.execute(
        "INSERT INTO segment_members VALUES ('s1', 2, 'a'), ('s1', 2, 'c'), ('s1', 1, 'b'), ('s2', 2, 'd')"
    )
    return con


MEMBERS = {
    ("s1", 2): ["a", "c"],
    ("s1", 1): ["b"],
    ("s2", 2): ["d"],
    ("s3", 1): [],
}  # the same lists, for Polars


def both(tree: t.Node, con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The members' ids by each way a segment is evaluated: DuckDB's SELECT, DuckDB's WHERE, Polars."""
    selected = con.sql(_sql.member_query(tree, NOW, 'endpoints."Id"')).fetchall()
    filtered = con.sql(f'SELECT "Id" FROM endpoints WHERE {_sql.filter_sql(tree, NOW)}').fetchall()
    endpoints = con.sql("SELECT * FROM endpoints").pl()
    events = con.sql("SELECT * FROM events").pl()
    expr = _polars.PolarsCompiler(NOW, lambda: events.lazy(), lambda sid, v: MEMBERS[sid, v]).expr(tree)
    return {
        "duckdb": {r[0] for r in selected},
        "duckdb filter": {r[0] for r in filtered},
        "polars": set(endpoints.filter(expr).get_column("Id").to_list()),
    }


def assert_both(tree: t.Node, con: duckdb.DuckDBPyConnection, expected: set[str]) -> None:
    got = both(tree, con)
    assert got == dict.fromkeys(got, expected)


# --- GPSPoint: the prefilter box ------------------------------------------------------------------------------

#: (latitude, longitude, km, whether a longitude box holds the circle). A box cannot hold a circle around a pole
#: or one crossing the antimeridian (±180): the longitude bounds are then None and only latitude prefilters.
BOXES = {
    "equator-100km": (0.0, 0.0, 100.0, True),
    "60-degrees-north-100km": (60.0, 10.0, 100.0, True),
    "45-degrees-south-500km": (-45.0, -120.0, 500.0, True),
    "equator-7000km-more-than-60-degrees-of-arc": (0.0, 0.0, 7000.0, True),
    "near-the-antimeridian-not-across": (0.0, 179.0, 50.0, True),
    "north-pole-inside": (89.5, 0.0, 100.0, False),
    "south-pole-inside": (-89.5, 30.0, 100.0, False),
    "reaches-past-the-north-pole": (70.0, 0.0, 2500.0, False),
    "across-the-antimeridian-east": (0.0, 179.9, 50.0, False),
    "across-the-antimeridian-west": (0.0, -179.9, 50.0, False),
    "more-than-a-quarter-of-the-globe": (0.0, 0.0, 12000.0, False),
}

TIGHT = 1e-5  # degrees (about a metre): the box may be this much looser than the smallest one, never tighter


@pytest.mark.parametrize(("lat", "lon", "km", "holds"), BOXES.values(), ids=BOXES.keys())
def test_the_bounding_box_is_the_smallest_box_holding_the_circle(lat, lon, km, holds):
    half_lat = km / R_KM / RAD
    lat_lo, lat_hi, lon_lo, lon_hi = _sql.bounding_box(t.Near(lat, lon, km))
    assert lat - half_lat - TIGHT <= lat_lo < lat - half_lat
    assert lat + half_lat < lat_hi <= lat + half_lat + TIGHT
    if not holds:
        assert (lon_lo, lon_hi) == (None, None)
        return
    half_lon = exact_box(lat, km)[1]
    assert lon - half_lon - TIGHT <= lon_lo < lon - half_lon
    assert lon + half_lon < lon_hi <= lon + half_lon + TIGHT
    # every point of the circle is inside the box (the box is a prefilter: it must never drop a member)
    for bearing in range(0, 360, 5):
        plat, plon = destination(lat, lon, bearing, km)
        assert lat_lo <= plat <= lat_hi and lon_lo <= plon <= lon_hi


def test_the_bounding_box_known_values():
    # 100 km is 0.899320 degrees of arc (100 / 6371.0088 rad); at 60 degrees north the circle's widest point is
    # asin(sin(0.0156961) / cos(60 deg)) = 1.798862 degrees of longitude away; the box adds 1e-6 degrees each side
    lat_lo, lat_hi, lon_lo, lon_hi = _sql.bounding_box(t.Near(60.0, 10.0, 100.0))
    assert (lat_lo, lat_hi) == (pytest.approx(59.100679, abs=1e-6), pytest.approx(60.899321, abs=1e-6))
    assert (lon_lo, lon_hi) == (pytest.approx(8.201137, abs=1e-6), pytest.approx(11.798863, abs=1e-6))


# --- GPSPoint: each engine agrees with a plain haversine at the circle's edge ---------------------------------

EDGE = 1e-5  # km: endpoints 1 cm inside and 1 cm outside the range

#: centre (lat, lon), range in km, and extra endpoints (id, lat, lon) whose answer is written by hand
CIRCLES = {
    "equator": ((0.0, 0.0), 100.0, []),
    "60-degrees-north": ((60.0, 10.0), 100.0, []),
    "45-degrees-south": ((-45.0, -120.0), 500.0, []),
    # the pole is 0.5 degrees (55.6 km) away: the circle holds it and every longitude around it
    "near-the-north-pole": (
        (89.5, 0.0),
        100.0,
        [("in-across-the-pole", 89.9, 180.0), ("out-across-the-pole", 89.5, 180.0)],  # 66.7 km, 111.2 km
    ),
    "near-the-south-pole": (
        (-89.5, 30.0),
        100.0,
        [("in-across-the-pole", -89.9, -150.0), ("out-across-the-pole", -89.5, -150.0)],
    ),
    # 0.2 degrees of longitude on the equator is 22.2 km; 0.6 degrees 66.7 km
    "across-the-antimeridian-from-the-east": (
        (0.0, 179.9),
        50.0,
        [("in-over-180", 0.0, -179.9), ("out-over-180", 0.0, -179.5)],
    ),
    "across-the-antimeridian-from-the-west": (
        (0.0, -179.9),
        50.0,
        [("in-over-180", 0.0, 179.9), ("out-over-180", 0.0, 179.5)],
    ),
}


def edge_points(lat: float, lon: float, km: float) -> list[tuple[str, float, float]]:
    """Endpoints 1 cm inside and outside the range, north, south, east, west and at the widest longitude."""
    bearings = {"north": 0.0, "east": 90.0, "south": 180.0, "west": 270.0}
    if abs(lat) + km / R_KM / RAD < 90:
        widest = widest_bearing(lat, km)
        bearings |= {"widest-east": widest, "widest-west": -widest}
    points = []
    for name, bearing in bearings.items():
        for side, distance in (("in", km - EDGE), ("out", km + EDGE)):
            plat, plon = destination(lat, lon, bearing, distance)
            assert haversine_km(lat, lon, plat, plon) == pytest.approx(distance, abs=1e-8)
            points.append((f"{side}-{name}", plat, plon))
    return points


@pytest.mark.parametrize(("centre", "km", "extra"), CIRCLES.values(), ids=CIRCLES.keys())
def test_near_matches_a_plain_haversine_at_the_edge(centre, km, extra):
    lat, lon = centre
    points = edge_points(lat, lon, km) + extra
    for name, plat, plon in extra:  # the hand-written answers agree with a plain haversine
        assert (haversine_km(lat, lon, plat, plon) <= km) == name.startswith("in-")
    con = database(
        [{"Id": name, "lat": plat, "lon": plon} for name, plat, plon in points] + [{"Id": "nowhere"}]
    )
    inside = {name for name, _, _ in points if name.startswith("in-")}
    assert_both(t.Near(lat, lon, km), con, inside)


# --- event attribute filters (Behavior.Events with Attributes) and attribute lists ------------------------------

DAY = datetime(2026, 10, 20, 9, 0, 0)

#: one "buy" per endpoint (e has none, f has a "view" only): its "plan" attribute and "price" metric
BUYS = {
    "a": ("pro", 5.0),
    "b": ("free", 20.0),
    "c": (None, 10.0),
    "d": ("trial-basic", None),
    "g": ("Pro", 10.5),
}
EVENT_ENDPOINTS = [{"Id": i} for i in ("a", "b", "c", "d", "e", "f", "g")]
EVENT_LOG = [
    ("f", "view", DAY, {"plan": "pro"}, {"price": 50.0}),
    ("a", "_session.start", NOW - timedelta(days=7), {}),  # exactly 7 days before now: outside DAY_7
    ("b", "_session.stop", NOW - timedelta(days=7) + timedelta(seconds=1), {}),  # the first instant inside
    ("c", "_session.start", NOW + timedelta(seconds=1), {}),  # after now: outside
    ("d", "_session.pause", NOW, {}),  # now itself: the last instant inside
] + [
    (i, "buy", DAY, {} if plan is None else {"plan": plan}, {} if price is None else {"price": price})
    for i, (plan, price) in BUYS.items()
]


def bought(operator: str, *values: str) -> t.Performed:
    return t.Performed(("buy",), (t.EventFilter("attribute", "plan", operator, values),))


def bought_for(operator: str, price: float) -> t.Performed:
    return t.Performed(("buy",), (t.EventFilter("metric", "price", operator, (price,)),))


EVENT_FILTERS = {
    # INCLUSIVE: the event's value is one of Values (case-sensitive)
    "inclusive-two-values": (bought("INCLUSIVE", "pro", "free"), {"a", "b"}),
    # EXCLUSIVE: the value is none of Values, and an event without the attribute also matches
    "exclusive-one-value": (bought("EXCLUSIVE", "pro"), {"b", "c", "d", "g"}),
    "exclusive-two-values": (bought("EXCLUSIVE", "pro", "free"), {"c", "d", "g"}),
    "exclusive-is-case-sensitive": (bought("EXCLUSIVE", "pro", "free", "trial-basic"), {"c", "g"}),
    # CONTAINS: a case-sensitive substring test; several values: any of them
    "contains-one-value": (bought("CONTAINS", "pr"), {"a"}),
    "contains-two-values": (bought("CONTAINS", "pr", "basic"), {"a", "d"}),
    "contains-three-values": (bought("CONTAINS", "ee", "basic", "P"), {"b", "d", "g"}),
    "contains-no-attribute-never-matches": (bought("CONTAINS", ""), {"a", "b", "d", "g"}),
    "contains-is-not-a-pattern": (bought("CONTAINS", "p.o", "^free"), set()),
    # metric filters: an event without the metric never matches; f's "view" costs 50 but is not a "buy"
    "metric-greater-than": (bought_for("GREATER_THAN", 10.0), {"b", "g"}),
    "metric-equal": (bought_for("EQUAL", 10.0), {"c"}),
    "metric-less-than-or-equal": (bought_for("LESS_THAN_OR_EQUAL", 10.0), {"a", "c"}),
    "attribute-and-metric-both-hold": (
        t.Performed(
            ("buy",),
            (
                t.EventFilter("attribute", "plan", "EXCLUSIVE", ("free",)),
                t.EventFilter("metric", "price", "GREATER_THAN_OR_EQUAL", (10.0,)),
            ),
        ),
        {"c", "g"},
    ),
}


@pytest.fixture(scope="module")
def event_db():
    return database(EVENT_ENDPOINTS, EVENT_LOG)


@pytest.mark.parametrize(("tree", "expected"), EVENT_FILTERS.values(), ids=EVENT_FILTERS.keys())
def test_event_attribute_filters(event_db, tree, expected):
    assert_both(tree, event_db, expected)


def test_two_event_conditions_each_read_their_own_events(event_db):
    # one aggregate column per condition: "bought pro" and "never viewed" must not read each other's counts
    bought_pro = bought("INCLUSIVE", "pro")
    viewed = t.Performed(("view",))
    assert_both(t.AllOf((bought_pro, t.NoneOf((viewed,)))), event_db, {"a"})
    assert_both(t.AllOf((t.NoneOf((bought_pro,)), viewed)), event_db, {"f"})
    assert_both(t.AnyOf((bought("INCLUSIVE", "free"), viewed)), event_db, {"b", "f"})


#: endpoints' list attribute "tags" (e: no value at all, c: an empty list)
TAGS = {"a": ["pro", "x"], "b": ["free"], "c": [], "d": ["trial-basic", "y"], "e": None, "g": ["Pro"]}

LIST_FILTERS = {
    "inclusive-any-value": (("INCLUSIVE", "x", "free"), {"a", "b"}),
    "exclusive-none-of-the-values": (("EXCLUSIVE", "pro", "free"), {"c", "d", "e", "g"}),
    "exclusive-one-value": (("EXCLUSIVE", "y"), {"a", "b", "c", "e", "g"}),
    "contains-one-value": (("CONTAINS", "ree"), {"b"}),
    "contains-two-values": (("CONTAINS", "pr", "asic"), {"a", "d"}),
    "contains-is-case-sensitive": (("CONTAINS", "P", "y"), {"d", "g"}),
    "contains-is-not-a-pattern": (("CONTAINS", "p.o", "^free", "(x"), set()),
}


@pytest.mark.parametrize(("spec", "expected"), LIST_FILTERS.values(), ids=LIST_FILTERS.keys())
def test_attribute_lists(spec, expected):
    operator, *values = spec
    con = database([{"Id": i, "tags": tags} for i, tags in TAGS.items()])
    assert_both(t.AttributeMatch("Attributes.tags", operator, tuple(values)), con, expected)


# --- errors a user or a developer reads ------------------------------------------------------------------------


class Unknown:
    """A node kind no backend has an entry for."""


@pytest.mark.parametrize(
    ("compile_", "backend"),
    [
        (lambda node: _sql.SqlCompiler(NOW).predicate(node), "SQL compiler"),
        (lambda node: _polars.PolarsCompiler(NOW).expr(node), "Polars compiler"),
    ],
    ids=["duckdb", "polars"],
)
def test_a_node_kind_the_compiler_lacks_is_named(compile_, backend):
    with pytest.raises(TypeError) as err:
        compile_(t.AllOf((Unknown(),)))
    assert str(err.value).startswith(f"the {backend} has no entry for node kind 'Unknown': ")


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_a_number_that_is_not_finite_is_refused_by_name(value):
    with pytest.raises(ValueError) as err:
        _sql.num(value)
    assert str(err.value) == f"not a finite number: {value}"
    assert _sql.num(2) == "2.0" and _sql.num(-0.5) == "-0.5"


# --- groups (an empty AllOf selects everyone, an empty AnyOf nobody) and windows relative to now ------------

GROUPS = {
    "empty-all-of-selects-everyone": (t.AllOf(()), {"a", "b", "c", "d", "e", "f", "g"}),
    "empty-any-of-selects-nobody": (t.AnyOf(()), set()),
    "empty-none-of-selects-everyone": (t.NoneOf(()), {"a", "b", "c", "d", "e", "f", "g"}),
    "none-of-an-empty-any-of-selects-everyone": (
        t.NoneOf((t.AnyOf(()),)),
        {"a", "b", "c", "d", "e", "f", "g"},
    ),
    "any-of-an-empty-all-of-selects-everyone": (
        t.AnyOf((t.AllOf(()), t.AnyOf(()))),
        {"a", "b", "c", "d", "e", "f", "g"},
    ),
    "all-of-with-an-empty-any-of-selects-nobody": (t.AllOf((t.AllOf(()), t.AnyOf(()))), set()),
    # NOT on an event condition: endpoints without any event (NULL in SQL) are in the complement
    "none-of-an-event-condition": (
        t.NoneOf((bought("INCLUSIVE", "pro", "free"),)),
        {"c", "d", "e", "f", "g"},
    ),
    # README "Recency": from now - 7 d (exclusive) to now; INACTIVE is the complement
    "recency-active-day-7": (t.Recency("DAY_7", "ACTIVE"), {"b", "d"}),
    "recency-inactive-day-7": (t.Recency("DAY_7", "INACTIVE"), {"a", "c", "e", "f", "g"}),
    # the buys are 10 days and 3 hours before now
    "bought-within-10-days": (t.Performed(("buy",), window=t.Window(days=10)), set()),
    "bought-within-11-days": (t.Performed(("buy",), window=t.Window(days=11)), {"a", "b", "c", "d", "g"}),
}


@pytest.mark.parametrize(("tree", "expected"), GROUPS.values(), ids=GROUPS.keys())
def test_groups(event_db, tree, expected):
    assert_both(tree, event_db, expected)


@pytest.mark.parametrize(
    "tree",
    [t.AllOf(()), t.Near(0.0, 0.0, 1.0), bought("INCLUSIVE", "pro")],
    ids=["everyone", "near", "events"],
)
def test_member_query_selects_the_endpoint_rows_by_default(event_db, tree):
    # without ``select``: every column of the endpoints table and nothing of the events aggregate
    rows = event_db.sql(_sql.member_query(tree, NOW))
    assert rows.columns == event_db.sql("SELECT * FROM endpoints").columns


# --- imported segments, the farthest point, an empty audience ---------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (t.Members("s1", 2), {"a", "c"}),
        (t.Members("s1", 1), {"b"}),
        (t.NoneOf((t.Members("s1", 2),)), {"b", "d", "e", "f", "g"}),
        (t.Members("s3", 1), set()),
        (t.NoneOf((t.Members("s3", 1),)), {"a", "b", "c", "d", "e", "f", "g"}),
    ],
    ids=["version-2", "version-1", "not-in-version-2", "no-members", "not-in-no-members"],
)
def test_an_imported_segment_is_its_version_member_list(event_db, tree, expected):
    assert_both(tree, event_db, expected)


def test_polars_says_what_the_compiler_needs():
    compiler = _polars.PolarsCompiler(NOW)
    with pytest.raises(ValueError) as err:
        compiler.expr(bought("INCLUSIVE", "pro"))
    assert str(err.value) == "this segment has event conditions: give the compiler an events frame"
    with pytest.raises(ValueError) as err:
        compiler.expr(t.Members("s1", 2))
    assert str(err.value) == "this segment uses an imported segment: give the compiler its members"


def test_the_farthest_point_is_half_the_circumference_away():
    # the antipode of (2.5, 0) is (-2.5, 180), pi x 6371.0088 = 20015.09 km away: the largest distance there is
    # (haversine's h rounds to 1.0000000000000002 there; the distance must still be half the circumference)
    antipode = math.pi * R_KM
    assert haversine_km(2.5, 0.0, -2.5, 180.0) == pytest.approx(antipode)
    con = database([{"Id": "antipode", "lat": -2.5, "lon": 180.0}, {"Id": "centre", "lat": 2.5, "lon": 0.0}])
    assert_both(t.Near(2.5, 0.0, 20016.0), con, {"antipode", "centre"})
    assert_both(t.Near(2.5, 0.0, 20015.0), con, {"centre"})


def test_an_endpoint_exactly_at_the_range_is_in_it():
    # one degree due north of (0, 0): the haversine distance is 2 R asin(sin(0.5 degrees)), computed here; a
    # range of exactly that holds the endpoint ("at most"), the next smaller float does not
    km = 2 * R_KM * math.asin(math.sin(1.0 * RAD / 2))
    assert km == pytest.approx(R_KM * RAD)  # one degree of arc: 111.195 km
    con = database([{"Id": "north", "lat": 1.0, "lon": 0.0}])
    assert_both(t.Near(0.0, 0.0, km), con, {"north"})
    assert_both(t.Near(0.0, 0.0, math.nextafter(km, 0)), con, set())


@pytest.mark.parametrize(
    "tree",
    [t.RandomBucket(0, 100), t.RandomBucket(0, 50, "USER"), t.Near(0.0, 0.0, 100.0), t.AllOf(())],
    ids=["bucket", "user-bucket", "near", "everyone"],
)
def test_an_empty_audience_selects_nobody(tree):
    assert_both(tree, database([]), set())


@pytest.mark.parametrize(
    ("compile_", "engine"),
    [
        (lambda node: _sql.SqlCompiler(NOW).predicate(node), "SQL"),
        (lambda node: _polars.PolarsCompiler(NOW).expr(node), "Polars"),
    ],
    ids=["duckdb", "polars"],
)
def test_a_segment_reference_must_be_resolved_first(compile_, engine):
    with pytest.raises(TypeError) as err:
        compile_(t.AllOf((t.InSegment("vip", 2),)))
    assert str(err.value) == (
        f"cannot compile InSegment(ref='vip', version=2) to {engine}: resolve segment references first "
        "(Catalog.resolve)"
    )
