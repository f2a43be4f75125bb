"""A tiny project with hand-made endpoints and events whose analytics answers are known (see the comments).

Endpoints (all EMAIL): e1 iOS user u1, e2 Android user u1, e3 iOS no user, e4 Android user u2.
Range used by the tests: 2026-10-01 .. 2026-10-08. The log runs 2026-09-20 .. 2026-10-20.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from helpers import write_csv

START, END = date(2026, 10, 1), date(2026, 10, 8)

ENDPOINTS = [
    # Id, ChannelType, Address, Demographic.Platform, User.UserId, Location.Country
    ["e1", "EMAIL", "one@example.com", "iOS", "u1", "US"],
    ["e2", "EMAIL", "two@example.com", "Android", "u1", "US"],
    ["e3", "EMAIL", "three@example.com", "iOS", "", "GB"],
    ["e4", "EMAIL", "four@example.com", "Android", "u2", "US"],
]
ENDPOINT_HEADER = ["Id", "ChannelType", "Address", "Demographic.Platform", "User.UserId", "Location.Country"]


def at(text: str) -> datetime:
    """'10-01 09:00' -> 2026-10-01 09:00 (the year is always 2026)."""
    return datetime.fromisoformat(f"2026-{text}")


# (client, event_type, time, attributes, metrics)
EVENTS: list[tuple[str, str, datetime, dict, dict]] = [
    # sessions
    ("e3", "_session.start", at("09-20 12:00"), {}, {}),  # e3 was seen before the range: not new on 10-01
    ("e1", "_session.start", at("10-01 09:00"), {}, {}),
    ("e1", "_session.start", at("10-02 10:00"), {}, {}),
    ("e1", "_session.start", at("10-08 11:00"), {}, {}),
    ("e2", "_session.start", at("10-02 12:00"), {}, {}),
    ("e3", "_session.start", at("10-01 23:00"), {}, {}),
    ("e3", "_session.start", at("10-01 23:30"), {}, {}),
    ("e4", "_session.start", at("10-05 08:00"), {}, {}),
    ("e4", "search", at("10-20 10:00"), {}, {}),  # makes the log run to 10-20 (retention follow-ups known)
    # authentication
    ("e1", "_userauth.sign_in", at("10-01 09:01"), {}, {}),
    ("e2", "_userauth.auth_fail", at("10-02 12:01"), {}, {}),
    ("e4", "_userauth.sign_up", at("10-05 08:01"), {}, {}),
    # purchases: revenue 10-01: 2.5*2 = 5; 10-02: 10*1 (no quantity) + 4*3 = 22; 10-05: 1*1 = 1
    (
        "e1",
        "_monetization.purchase",
        at("10-01 09:30"),
        {"_product_id": "sku-a", "_currency": "USD"},
        {"_item_price": 2.5, "_quantity": 2},
    ),
    (
        "e1",
        "_monetization.purchase",
        at("10-02 10:30"),
        {"_product_id": "sku-b", "_currency": "USD"},
        {"_item_price": 10.0},
    ),
    (
        "e2",
        "_monetization.purchase",
        at("10-02 12:30"),
        {"_product_id": "sku-a", "_currency": "USD"},
        {"_item_price": 4.0, "_quantity": 3},
    ),
    (
        "e4",
        "_monetization.purchase",
        at("10-05 08:30"),
        {"_product_id": "sku-b", "_currency": "USD"},
        {"_item_price": 1.0, "_quantity": 1},
    ),
    # funnel view -> cart -> buy
    ("e1", "view", at("10-01 10:00"), {"sku": "a"}, {}),
    ("e1", "cart", at("10-01 10:05"), {}, {}),
    ("e1", "view", at("10-02 09:00"), {"sku": "b"}, {}),
    ("e1", "buy", at("10-03 10:00"), {}, {"price": 3.0}),  # 48 h after entry: outside a 1-day window
    ("e2", "view", at("10-02 08:00"), {"sku": "b"}, {}),
    ("e2", "cart", at("10-02 08:10"), {}, {}),
    ("e2", "buy", at("10-02 09:00"), {}, {"price": 9.0}),
    ("e3", "cart", at("10-01 07:00"), {}, {}),  # before the view: does not count
    ("e3", "view", at("10-01 08:00"), {"sku": "a"}, {}),
    ("e3", "buy", at("10-01 09:00"), {}, {"price": 7.0}),
    ("e4", "view", at("09-30 23:00"), {"sku": "a"}, {}),  # entered before the range: not counted
    ("e4", "cart", at("10-01 01:00"), {}, {}),
    ("e4", "buy", at("10-01 02:00"), {}, {"price": 5.0}),
    ("e4", "view", at("10-08 23:59"), {"sku": "b"}, {}),  # last minute of the range (end day is whole)
    ("e4", "cart", at("10-09 00:29"), {}, {}),  # after the range, inside the window: counts
]


def records() -> list[dict]:
    out = []
    for i, (client, etype, ts, attrs, metrics) in enumerate(EVENTS):
        session = f"s-{client}-{ts:%m%d}"
        out.append(
            {
                "event_type": etype,
                "event_timestamp": int(ts.timestamp() * 1000) if ts.tzinfo else ts.isoformat() + "Z",
                "arrival_timestamp": ts.isoformat() + "Z",
                "client": {"client_id": client},
                "session": {"session_id": session},
                "attributes": attrs,
                "metrics": metrics,
                "event_id": f"ev-{i}",
            }
        )
    return out


def build(root: Path):
    """Create the tiny project under ``root`` and return it."""
    from workbench import Project

    project = Project.create(root / "tiny")
    csv_path = write_csv(root / "tiny-endpoints.csv", ENDPOINT_HEADER, ENDPOINTS)
    project.endpoints.import_files(csv_path, progress=False)
    ios = write_csv(root / "tiny-ios.csv", ENDPOINT_HEADER, [r for r in ENDPOINTS if r[3] == "iOS"])
    project.endpoints.import_files(ios, segment="ios", progress=False)
    project.events.record(records())
    return project


# --- independent reference computations (plain Python over EVENTS) ----------------------------------------


def days(start: date = START, end: date = END) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def user_of(client: str) -> str:
    row = next(r for r in ENDPOINTS if r[0] == client)
    return row[4] or client


def session_days(who: str = "endpoint") -> dict[str, set[date]]:
    out: dict[str, set[date]] = {}
    for client, etype, ts, _, _ in EVENTS:
        if etype == "_session.start":
            key = client if who == "endpoint" else user_of(client)
            out.setdefault(key, set()).add(ts.date())
    return out


def ref_daily_active(who: str = "endpoint") -> list[int]:
    act = session_days(who)
    return [sum(1 for ds in act.values() if d in ds) for d in days()]


def ref_monthly_active(who: str = "endpoint") -> list[int]:
    act = session_days(who)
    return [
        sum(1 for ds in act.values() if any(d - timedelta(days=29) <= x <= d for x in ds)) for d in days()
    ]


def ref_retention(first: int, last: int) -> list[float | None]:
    act = session_days()
    out = []
    for d in days():
        base = [k for k, ds in act.items() if d in ds]
        back = [
            k for k in base if any(d + timedelta(days=first) <= x <= d + timedelta(days=last) for x in act[k])
        ]
        out.append(len(back) / len(base) if base else None)
    return out
