"""README "Analytics", revenue: every figure, grouping and filter as a known answer, and the note on unpriced logs.

The revenue definitions (a missing quantity counts as 1, the price/quantity settings) are pinned in
test_rules_usage.py; this file pins the per-endpoint and per-paying-user figures, the groupings (date, currency,
product, an endpoint column), the audience filters and :func:`revenue_note`. Four endpoints:

    endpoint  platform  user
    i1        iOS       u1
    i2        iOS       u1
    a1        Android   u2
    a2        Android   (none: its own user)

Every expected figure is worked out by hand from the log below.
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import configure, small_project, stream_event

from workbench import analytics as a
from workbench.analytics.revenue import revenue_note

R = {"start": date(2026, 10, 1), "end": date(2026, 10, 3)}
U1 = {"segment": {"where": "\"User.UserId\" = 'u1'"}}
ANDROID = {"platform": "android"}
HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Demographic.Platform"]
ENDPOINTS = [
    ["i1", "EMAIL", "i1@example.com", "u1", "iOS"],
    ["i2", "EMAIL", "i2@example.com", "u1", "iOS"],
    ["a1", "EMAIL", "a1@example.com", "u2", "Android"],
    ["a2", "EMAIL", "a2@example.com", "", "Android"],
]
P = "_monetization.purchase"
# (endpoint, event type, October day, hour, metrics, attributes)
EVENTS = [
    ("i1", "_session.start", 1, 9, {}, {}),
    ("a1", "_session.start", 1, 9, {}, {}),
    ("a1", "_session.start", 2, 9, {}, {}),
    ("a2", "_session.start", 2, 9, {}, {}),
    ("i2", "_session.start", 3, 9, {}, {}),
    ("i1", P, 1, 10, {"_item_price": 2.5, "_quantity": 2}, {"_currency": "USD", "_product_id": "p1"}),  # 5
    ("i2", P, 1, 12, {"_item_price": 10.0}, {"_currency": "EUR", "_product_id": "p2"}),  # 10 x 1
    ("a1", P, 2, 9, {"_item_price": 4.0, "_quantity": 3}, {"_currency": "USD", "_product_id": "p1"}),  # 12
    ("a2", P, 2, 10, {"_quantity": 1}, {"_currency": "USD", "_product_id": "p2"}),  # no price: 0
    # outside R: purchases whose metrics have other names (the note's cases)
    ("a2", P, 5, 10, {"amount": 3.0, "units": 2}, {"store": "web"}),
    ("i1", P, 6, 10, {"cost": 1.0}, {}),
    ("a1", P, 6, 11, {"Quantity": 1}, {"store": "app"}),
    ("i1", P, 7, 10, {"Unit_Price": 2.0, "Qty": 3}, {}),
    ("a2", P, 8, 10, {}, {}),
]
COLUMNS = ["revenue", "purchases", "units_sold", "paying_users", "paying_endpoints", "active_endpoints",
           "revenue_per_endpoint", "revenue_per_paying_user", "units_sold_per_endpoint", "purchases_per_endpoint"]  # fmt: skip


def build(root):
    events = [
        stream_event(
            i, ep, et, f"2026-10-{day:02d}T{hour:02d}:00:00.000Z", metrics=metrics, attributes=attributes
        )
        for i, (ep, et, day, hour, metrics, attributes) in enumerate(EVENTS)
    ]
    return small_project(root, HEADER, ENDPOINTS, events)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return build(tmp_path_factory.mktemp("revenue-rules"))


def rows(frame, key) -> dict:
    """{group: (the COLUMNS in order)}, floats compared approximately, in the frame's order."""
    out = {}
    for r in frame.iter_rows(named=True):
        out[r[key]] = tuple(pytest.approx(r[c]) if isinstance(r[c], float) else r[c] for c in COLUMNS)
    return out


def d(day: int) -> date:
    return date(2026, 10, day)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # 10-01: 5 + 10, 2 purchases, 2 + 1 units, one paying user (u1), two paying endpoints, active i1 and a1
        # 10-02: 12 + 0 (no price), 3 + 1 units, paying u2 and a2, active a1 and a2; 10-03: only i2 active
        (
            {},
            {
                d(1): (15.0, 2, 3, 1, 2, 2, 7.5, 15.0, 1.5, 1.0),
                d(2): (12.0, 2, 4, 2, 2, 2, 6.0, 6.0, 2.0, 1.0),
                d(3): (0.0, 0, 0, 0, 0, 1, 0.0, None, 0.0, 0.0),
            },
        ),
        # u1 (i1, i2): active i1 on 10-01, nobody on 10-02 (no per-endpoint figure), i2 on 10-03
        (
            U1,
            {
                d(1): (15.0, 2, 3, 1, 2, 1, 15.0, 15.0, 3.0, 2.0),
                d(2): (0.0, 0, 0, 0, 0, 0, None, None, None, None),
                d(3): (0.0, 0, 0, 0, 0, 1, 0.0, None, 0.0, 0.0),
            },
        ),
        (
            ANDROID,
            {
                d(1): (0.0, 0, 0, 0, 0, 1, 0.0, None, 0.0, 0.0),
                d(2): (12.0, 2, 4, 2, 2, 2, 6.0, 6.0, 2.0, 1.0),
                d(3): (0.0, 0, 0, 0, 0, 0, None, None, None, None),
            },
        ),
    ],
    ids=["all", "segment", "platform"],
)
def test_revenue_per_day(project, filters, expected):
    frame = a.revenue(project, **R, **filters)
    assert list(frame.columns) == ["date", *COLUMNS]
    assert rows(frame, "date") == expected
    assert list(rows(frame, "date")) == [d(1), d(2), d(3)]


def test_revenue_by_currency(project):
    # per endpoint: divided by every endpoint active in the range (i1, a1, a2, i2), whatever the currency
    frame = a.revenue(project, **R, by="currency")
    assert frame.columns[0] == "currency"
    assert rows(frame, "currency") == {
        "USD": (17.0, 3, 6, 3, 3, 4, 17 / 4, 17 / 3, 6 / 4, 3 / 4),
        "EUR": (10.0, 1, 1, 1, 1, 4, 10 / 4, 10.0, 1 / 4, 1 / 4),
    }
    assert list(rows(frame, "currency")) == ["USD", "EUR"]  # the most revenue first


def test_revenue_by_product_keeps_to_the_segment(project):
    assert rows(a.revenue(project, **R, by="product"), "product") == {
        "p1": (17.0, 2, 5, 2, 2, 4, 17 / 4, 17 / 2, 5 / 4, 2 / 4),
        "p2": (10.0, 2, 2, 2, 2, 4, 10 / 4, 10 / 2, 2 / 4, 2 / 4),
    }
    assert rows(a.revenue(project, **R, **U1, by="product"), "product") == {
        "p2": (10.0, 1, 1, 1, 1, 2, 10 / 2, 10.0, 1 / 2, 1 / 2),
        "p1": (5.0, 1, 2, 1, 1, 2, 5 / 2, 5.0, 2 / 2, 1 / 2),
    }


def test_revenue_by_endpoint_column(project):
    # per endpoint: divided by the endpoints of the same platform active in the range (iOS: i1, i2; Android: a1, a2)
    frame = a.revenue(project, **R, by="platform")
    assert frame.columns[0] == "Demographic.Platform"
    assert rows(frame, "Demographic.Platform") == {
        "iOS": (15.0, 2, 3, 1, 2, 2, 7.5, 15.0, 1.5, 1.0),
        "Android": (12.0, 2, 4, 2, 2, 2, 6.0, 6.0, 2.0, 1.0),
    }
    assert list(rows(frame, "Demographic.Platform")) == ["iOS", "Android"]
    # the column's own name (not a friendly alias) reads the project's endpoint columns
    assert rows(a.revenue(project, **R, by="Demographic.Platform"), "Demographic.Platform") == {
        "iOS": (15.0, 2, 3, 1, 2, 2, 7.5, 15.0, 1.5, 1.0),
        "Android": (12.0, 2, 4, 2, 2, 2, 6.0, 6.0, 2.0, 1.0),
    }
    assert list(rows(a.revenue(project, **R, **ANDROID, by="platform"), "Demographic.Platform")) == [
        "Android"
    ]


@pytest.mark.parametrize(
    ("span", "filters", "expected"),
    [
        (R, {}, (27.0, 4, 7, 3, 4, 4, 27 / 4, 9.0, 7 / 4, 1.0)),
        (R, U1, (15.0, 2, 3, 1, 2, 2, 7.5, 15.0, 1.5, 1.0)),
        (R, ANDROID, (12.0, 2, 4, 2, 2, 2, 6.0, 6.0, 2.0, 1.0)),
        # 10-05: one purchase without the price metric (revenue 0, one unit), nobody active: no per-endpoint figure
        ({"start": d(5), "end": d(5)}, {}, (0.0, 1, 1, 1, 1, 0, None, 0.0, None, None)),
        ({"start": d(4), "end": d(4)}, {}, (0.0, 0, 0, 0, 0, 0, None, None, None, None)),
    ],
    ids=["all", "segment", "platform", "unpriced", "nothing"],
)
def test_revenue_summary(project, span, filters, expected):
    summary = a.revenue_summary(project, **span, **filters)
    assert sorted(summary) == sorted(COLUMNS)
    got = tuple(summary[c] for c in COLUMNS)
    assert got == tuple(pytest.approx(v) if isinstance(v, float) else v for v in expected)


def test_revenue_note_names_the_metrics_the_purchases_carry(project):
    assert revenue_note(project, d(5), d(5)) == (
        "Revenue is 0: the 1 _monetization.purchase events between 2026-10-05 and 2026-10-05 carry no "
        "'_item_price' metric. They carry the attributes store and the metrics amount, units. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "amount" and quantity_metric = "units" '
        "(now '_quantity'; a missing quantity counts as 1)."
    )


def test_revenue_note_guesses_or_writes_placeholders(project):
    # 10-06: "cost" names no price and "Quantity" is a quantity (any case); i1's purchase has no attribute
    assert revenue_note(project, d(6), d(6)) == (
        "Revenue is 0: the 2 _monetization.purchase events between 2026-10-06 and 2026-10-06 carry no "
        "'_item_price' metric. They carry the attributes store and the metrics Quantity, cost. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "PRICE" and quantity_metric = "Quantity" '
        "(now '_quantity'; a missing quantity counts as 1)."
    )
    # i1's purchase alone: no attribute, no quantity-like metric
    assert revenue_note(project, d(6), d(6), platform="ios") == (
        "Revenue is 0: the 1 _monetization.purchase events between 2026-10-06 and 2026-10-06 carry no "
        "'_item_price' metric. They carry the attributes none and the metrics cost. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "PRICE" and quantity_metric = "QUANTITY" '
        "(now '_quantity'; a missing quantity counts as 1)."
    )


def test_revenue_note_guesses_price_and_qty_in_any_case(project):
    # 10-07: "Unit_Price" holds "price" and "Qty" is "qty", each in another case; 10-08: no metric, no attribute
    assert revenue_note(project, d(7), d(7)) == (
        "Revenue is 0: the 1 _monetization.purchase events between 2026-10-07 and 2026-10-07 carry no "
        "'_item_price' metric. They carry the attributes none and the metrics Qty, Unit_Price. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "Unit_Price" and quantity_metric = "Qty" '
        "(now '_quantity'; a missing quantity counts as 1)."
    )
    assert revenue_note(project, d(8), d(8)) == (
        "Revenue is 0: the 1 _monetization.purchase events between 2026-10-08 and 2026-10-08 carry no "
        "'_item_price' metric. They carry the attributes none and the metrics none. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "PRICE" and quantity_metric = "QUANTITY" '
        "(now '_quantity'; a missing quantity counts as 1)."
    )


def test_revenue_note_is_none_when_a_purchase_is_priced_or_there_is_none(project):
    assert revenue_note(project, **R) is None  # a2's unpriced purchase is not alone
    assert revenue_note(project, d(4), d(4)) is None  # no purchase at all
    assert revenue_note(project, d(3), d(3)) is None  # only a session: other event types are not purchases
    assert revenue_note(project, d(2), d(2), platform="android") is None  # a1's is priced
    # a2's purchase alone is not priced; its session the same day is not a purchase
    note = revenue_note(project, d(2), d(2), segment={"where": "Id = 'a2'"})
    assert note.startswith(
        "Revenue is 0: the 1 _monetization.purchase events between 2026-10-02 and 2026-10-02 "
    )
    assert "the attributes _currency, _product_id and the metrics _quantity." in note


def test_revenue_note_follows_the_settings(tmp_path):
    from workbench import Project

    configured = build(tmp_path)
    configure(configured.path, '[analytics]\nprice_metric = "amount"\nquantity_metric = "units"\n')
    configured = Project.open(configured.path)
    assert revenue_note(configured, d(5), d(5)) is None  # 10-05's purchase carries "amount"
    assert a.revenue_summary(configured, d(5), d(5))["revenue"] == 6.0  # 3 x 2 units
    assert revenue_note(configured, d(6), d(6)) == (
        "Revenue is 0: the 2 _monetization.purchase events between 2026-10-06 and 2026-10-06 carry no "
        "'amount' metric. They carry the attributes store and the metrics Quantity, cost. Name the metrics "
        'to use in workbench.toml: [analytics] price_metric = "PRICE" and quantity_metric = "Quantity" '
        "(now 'units'; a missing quantity counts as 1)."
    )
