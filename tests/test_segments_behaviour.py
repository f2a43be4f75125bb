"""Known answers on small hand-made data: Pinpoint dimensions, behavioural and engagement conditions, buckets.

Each case is evaluated on both engines (DuckDB SQL and Polars) and must give exactly the expected endpoints.
"""

from __future__ import annotations

import pytest

from workbench.segments import (
    Segment,
    active,
    attribute,
    channel,
    country,
    demographic,
    engaged,
    first_performed,
    inactive,
    last_performed,
    metric,
    near,
    never_performed,
    performed,
    random_bucket,
    user_attribute,
)
from workbench.segments._polars import bucket_of

NOW = "2026-10-30T00:00:00Z"

ENDPOINTS_CSV = """\
Id,ChannelType,Address,User.UserId,Demographic.Platform,Demographic.Make,Location.Country,Location.Latitude,Location.Longitude,Attributes.plan,Attributes.plan,Attributes.signup,User.UserAttributes.tier,Metrics.purchases
a,EMAIL,a@example.com,u1,iOS,Apple,US,40.7128,-74.0060,pro,team,2026-10-01T10:00:00Z,gold,3
b,EMAIL,b@example.com,u1,Android,Samsung,US,34.0522,-118.2437,free,,2026-09-15,silver,0
c,SMS,+12065550100,u2,iOS,Apple,GB,51.5074,-0.1278,Pro,,2026-10-01,Gold,1
d,EMAIL,d@example.com,,,,DE,52.5200,13.4050,,,not-a-date,,
e,EMAIL,e@example.com,u3,Android,Google,US,40.7306,-73.9352,pro,,2025-12-31T23:59:59Z,gold,10
"""

EVENTS = [
    # a: sessions in the last day and a week ago, three purchases (one in EUR), opened campaign c1
    ("a", "_session.start", "2026-10-29T12:00:00Z", {}, {}),
    ("a", "_session.start", "2026-10-22T12:00:00Z", {}, {}),
    ("a", "_monetization.purchase", "2026-10-20T10:00:00Z", {"_currency": "USD"}, {"_item_price": 25}),
    ("a", "_monetization.purchase", "2026-10-25T10:00:00Z", {"_currency": "USD"}, {"_item_price": 5}),
    ("a", "_monetization.purchase", "2026-08-01T10:00:00Z", {"_currency": "EUR"}, {"_item_price": 50}),
    ("a", "_email.open", "2026-10-28T08:00:00Z", {"campaign_id": "c1"}, {}),
    # b: one session 20 days ago, clicked journey j1, hard bounce on c2
    ("b", "_session.start", "2026-10-10T09:00:00Z", {}, {}),
    ("b", "_email.click", "2026-10-11T09:00:00Z", {"journey_id": "j1", "campaign_id": "c2"}, {}),
    ("b", "_email.hardbounce", "2026-10-12T09:00:00Z", {"campaign_id": "c2"}, {}),
    # c: first session long ago, cart.add twice recently
    ("c", "_session.start", "2026-06-01T09:00:00Z", {}, {}),
    ("c", "cart.add", "2026-10-27T09:00:00Z", {}, {}),
    ("c", "cart.add", "2026-10-28T09:00:00Z", {}, {}),
    # e: unsubscribed, session 3 hours ago
    ("e", "_email.unsubscribe", "2026-10-05T09:00:00Z", {"campaign_id": "c1"}, {}),
    ("e", "_session.stop", "2026-10-29T21:00:00Z", {}, {}),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("small")
    project = Project.create(root / "project")
    csv = root / "endpoints.csv"
    csv.write_text(ENDPOINTS_CSV, encoding="utf-8")
    project.endpoints.import_files(csv, progress=False)
    project.events.record(
        [
            {
                "event_id": f"e{i}",
                "client_id": c,
                "event_type": et,
                "event_timestamp": ts,
                "attributes": at,
                "metrics": me,
            }
            for i, (c, et, ts, at, me) in enumerate(EVENTS)
        ]
    )
    return project


def both(project, condition) -> set[str]:
    segment = Segment(project, condition, now=NOW)
    by_sql = set(segment.members(["Id"]).get_column("Id").to_list())
    by_polars = set(segment.members_polars().get_column("Id").to_list())
    assert by_sql == by_polars
    return by_sql


CASES = [
    (demographic("Platform").any_of("iOS"), {"a", "c"}),
    (demographic("Platform").none_of("iOS"), {"b", "d", "e"}),  # no platform is "not iOS"
    (demographic("DeviceType").any_of("Android"), {"b", "e"}),
    (channel.any_of("SMS"), {"c"}),
    (country.any_of("US"), {"a", "b", "e"}),
    (attribute("plan").any_of("pro"), {"a", "e"}),  # case-sensitive: "Pro" does not match
    (attribute("plan").none_of("pro"), {"b", "c", "d"}),
    (attribute("plan").contains("ro"), {"a", "c", "e"}),
    (attribute("plan").contains("PRO"), set()),
    (attribute("signup").before("2026-10-01T00:00:00Z"), {"b", "e"}),
    (attribute("signup").after("2026-10-01T00:00:00Z"), {"a"}),  # "2026-10-01" is 00:00, not after
    (attribute("signup").on("2026-10-01"), {"a", "c"}),
    (attribute("signup").between("2026-09-15", "2026-10-01"), {"a", "b", "c"}),  # end date includes its day
    (user_attribute("tier").any_of("gold"), {"a", "e"}),
    (metric("purchases") > 1, {"a", "e"}),
    (metric("purchases") == 0, {"b"}),
    (metric("purchases") <= 1, {"b", "c"}),
    (near(40.7128, -74.0060, 10), {"a", "e"}),  # Manhattan to Brooklyn is about 6.5 km
    (near(40.7128, -74.0060, 5), {"a"}),
    (near(51.5, 0, 1000), {"c", "d"}),  # London to Berlin is about 930 km
    (active("HR_24"), {"a", "e"}),
    (active("DAY_7"), {"a", "e"}),
    (active("DAY_30"), {"a", "b", "e"}),
    (inactive("DAY_30"), {"c", "d"}),
    (performed("_monetization.purchase").at_least(2), {"a"}),
    (performed("_monetization.purchase").at_least(3), {"a"}),
    (performed("_monetization.purchase").at_least(2).within_days(30), {"a"}),
    (performed("_monetization.purchase").exactly(2).within_days(30), {"a"}),
    (
        performed("_monetization.purchase").where("_currency", "USD").where_metric("_item_price", ">", 10),
        {"a"},
    ),
    (performed("_monetization.purchase").between("2026-08-01", "2026-08-01"), {"a"}),
    (performed("_monetization.purchase").at_most(1), {"b", "c", "d", "e"}),
    (performed("cart.add").exactly(2).within_days(7), {"c"}),
    (never_performed("cart.add"), {"a", "b", "d", "e"}),
    (never_performed("_session.start").within_days(30), {"c", "d", "e"}),
    (first_performed("_session.start").before("2026-07-01"), {"c"}),
    (last_performed("_session.start").after("2026-10-25"), {"a"}),
    (engaged("OPENED", campaign="c1"), {"a"}),
    (engaged("OPENED", campaign="c2"), set()),
    (engaged("CLICKED"), {"b"}),
    (engaged("CLICKED", journey="j1"), {"b"}),
    (engaged("BOUNCED", campaign="c2", within_days=30), {"b"}),
    (engaged("UNSUBSCRIBED"), {"e"}),
    (engaged("UNSUBSCRIBED", within_days=7), set()),
    (attribute("plan").any_of("pro") & ~active("DAY_7"), set()),
    (attribute("plan").any_of("pro") | channel.any_of("SMS"), {"a", "c", "e"}),
    (~(country.any_of("US") & (metric("purchases") > 1)), {"b", "c", "d"}),
]


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=[c.describe()[:60] for c, _ in CASES])
def test_known_answer(small, condition, expected):
    assert both(small, condition) == expected


def test_random_bucket_is_stable_and_partitions(small):
    ids = {"a", "b", "c", "d", "e"}
    low, high = both(small, random_bucket(0, 50)), both(small, random_bucket(50, 100))
    assert low | high == ids and not low & high
    assert low == {i for i in ids if bucket_of(i) < 50}
    assert both(small, random_bucket(0, 0)) == set()
    # by user: both of u1's endpoints always land together
    for start in range(0, 100, 10):
        members = both(small, random_bucket(start, start + 10, by="USER"))
        assert ({"a", "b"} <= members) or not ({"a", "b"} & members)


def test_counts_users_and_breakdown(small):
    segment = Segment(small, country.any_of("US"), now=NOW)
    counts = segment.count()
    assert (counts.endpoints, counts.users) == (3, 2)  # a and b share user u1
    by_plan = segment.breakdown("Attributes.plan")
    assert dict(zip(by_plan["Attributes.plan"], by_plan["endpoints"], strict=True)) == {
        "pro": 2,
        "team": 1,
        "free": 1,
    }
    by_platform = segment.breakdown("Demographic.Platform")
    assert dict(zip(by_platform["Demographic.Platform"], by_platform["endpoints"], strict=True)) == {
        "Android": 2,
        "iOS": 1,
    }


def test_now_comes_from_the_project_setting_or_the_argument(small, monkeypatch):
    monkeypatch.setenv("WORKBENCH_NOW", "2026-10-12T00:00:00Z")
    assert both_now(small, active("DAY_7"), None) == {"b"}
    assert both_now(small, active("DAY_7"), NOW) == {"a", "e"}


def both_now(project, condition, now):
    segment = Segment(project, condition, now=now)
    return set(segment.members(["Id"]).get_column("Id").to_list())


def test_repr_html_shows_words_count_and_sample(small):
    page = Segment(small, attribute("plan").any_of("pro"), now=NOW)._repr_html_()
    assert "Attributes.plan has any of &#x27;pro&#x27;" in page
    assert "<b>2</b> endpoints" in page
    assert "a@example.com" in page
