"""README "Event filters and funnels": what a funnel reports (``to_dict``, the JSON of ``workbench funnel --json``)
and the refusal of a window without a unit, as known answers.

Three endpoints on 2026-10-01, steps view -> cart -> buy within 1 hour:

    e1 (iOS)      view 10:00, cart 10:10, buy 10:30   (600 s to cart, 1,200 s more to buy, 1,800 s from start)
    e2 (Android)  view 10:00, cart 10:20              (1,200 s to cart)
    e3 (iOS)      view 11:00

Counts 3, 2, 1; conversion from the first step 1, 2/3, 1/3; from the previous step 1, 2/3, 1/2; drop-off 0, 1, 1;
median seconds from the previous step -, 900 (600 and 1,200), 1,200; from the first step -, 900, 1,800.
"""

from __future__ import annotations

import pytest
from helpers import small_project, stream_event

from workbench.analytics import funnel
from workbench.analytics.funnels import parse_window
from workbench.errors import InputError

KEYS = ["step", "event", "label", "count", "conversion", "conversion_from_previous", "drop_off", "drop_off_rate",
        "median_seconds_to_convert", "median_seconds_from_start"]  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    # plan: one value each; interest: a list (a repeated header), e1 two values, e2 one, e3 none
    rows = [["e1", "EMAIL", "e1@example.com", "iOS", "pro", "books", "music"],
            ["e2", "EMAIL", "e2@example.com", "Android", "free", "music", ""],
            ["e3", "EMAIL", "e3@example.com", "iOS", "pro", "", ""]]  # fmt: skip
    header = ["Id", "ChannelType", "Address", "Demographic.Platform", "Attributes.plan", "Attributes.interest",
              "Attributes.interest"]  # fmt: skip
    events = [("e1", "view", "10:00"), ("e1", "cart", "10:10"), ("e1", "buy", "10:30"), ("e2", "view", "10:00"),
              ("e2", "cart", "10:20"), ("e3", "view", "11:00")]  # fmt: skip
    records = [stream_event(i, ep, et, f"2026-10-01T{hm}:00.000Z") for i, (ep, et, hm) in enumerate(events)]
    return small_project(tmp_path_factory.mktemp("funnel-output"), header, rows, records)


def steps(*rows) -> list[dict]:
    return [dict(zip(KEYS, (i + 1, *row), strict=True)) for i, row in enumerate(rows)]


ALL = steps(
    ("view", "view", 3, 1.0, 1.0, 0, 0.0, None, None),
    ("cart", "cart", 2, pytest.approx(2 / 3), pytest.approx(2 / 3), 1, pytest.approx(1 / 3), 900.0, 900.0),
    ("buy", "buy", 1, pytest.approx(1 / 3), 0.5, 1, 0.5, 1200.0, 1800.0),
)


def test_to_dict(project):
    out = funnel(project, ["view", "cart", "buy"], "2026-10-01", "2026-10-01", window="1h").to_dict()
    assert out == {
        "steps": ALL,
        "window_seconds": 3600.0,
        "by": "endpoint",
        "start": "2026-10-01",
        "end": "2026-10-01",
        "segment": None,
        "note": None,
        "warnings": [],
    }


def test_to_dict_with_a_breakdown(project):
    result = funnel(
        project, ["view", "cart", "buy"], "2026-10-01", "2026-10-01", window="1h", breakdown="platform"
    )
    out = result.to_dict()
    assert out["steps"] == ALL
    assert out["breakdown"] == {
        "column": "Demographic.Platform",
        "values": [
            {
                "value": "Android",  # e2: view, cart 1,200 s later, no buy
                "steps": steps(
                    ("view", "view", 1, 1.0, 1.0, 0, 0.0, None, None),
                    ("cart", "cart", 1, 1.0, 1.0, 0, 0.0, 1200.0, 1200.0),
                    ("buy", "buy", 0, 0.0, 0.0, 1, 1.0, None, None),
                ),
            },
            {
                "value": "iOS",  # e1 all three, e3 view only
                "steps": steps(
                    ("view", "view", 2, 1.0, 1.0, 0, 0.0, None, None),
                    ("cart", "cart", 1, 0.5, 0.5, 1, 0.5, 600.0, 600.0),
                    ("buy", "buy", 1, 0.5, 1.0, 0, 0.0, 1200.0, 1800.0),
                ),
            },
        ],
    }


@pytest.mark.parametrize(
    ("text", "n"), [("3", "3"), (" 7 ", "7"), ("1.5", "1.5")], ids=["3", "spaces", "fraction"]
)
def test_a_window_without_a_unit_says_which_units(text, n):
    with pytest.raises(InputError) as err:
        parse_window(text)
    assert err.value.field == "window"
    assert err.value.reason == (
        f"{text!r} is not a duration: give it a unit, e.g. {n}d (days), {n}h (hours), {n}m (minutes), "
        f"{n}w (weeks) or {n}s (seconds)"
    )


def test_a_funnel_keeps_to_the_platform(project):
    # iOS: e1 (all three steps) and e3 (view only)
    result = funnel(project, ["view", "cart", "buy"], "2026-10-01", "2026-10-01", window="1h", platform="ios")
    assert [s["count"] for s in result.to_dict()["steps"]] == [2, 1, 1]


@pytest.mark.parametrize(
    ("steps", "kwargs", "field", "reason"),
    [
        (["view"], {}, "step", "a funnel needs at least two steps, got 1"),
        (["view", "cart"] * 10 + ["buy"], {}, "step", "a funnel has at most 20 steps, got 21"),
        (["view", "cart"], {"by": "device"}, "by", "count a funnel by 'endpoint' or 'user', not 'device'"),
    ],
    ids=["one-step", "21-steps", "by"],
)
def test_refused_funnels_name_the_field(project, steps, kwargs, field, reason):
    with pytest.raises(InputError) as err:
        funnel(project, steps, "2026-10-01", "2026-10-01", **kwargs)
    assert (err.value.field, err.value.reason) == (field, reason)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("7x", "'7x' is not a duration; write e.g. 7d, 24h, 30m or 2w"),
        ("0d", "'0d': a duration must be positive"),
    ],
)
def test_a_bad_window_names_the_window(text, reason):
    with pytest.raises(InputError) as err:
        parse_window(text)
    assert (err.value.field, err.value.reason) == ("window", reason)


def _values(result) -> dict:
    return {v["value"]: [s["count"] for s in v["steps"]] for v in result.to_dict()["breakdown"]["values"]}


def test_a_breakdown_by_a_single_valued_attribute(project):
    result = funnel(
        project, ["view", "cart", "buy"], "2026-10-01", "2026-10-01", window="1h", breakdown="plan"
    )
    assert result.breakdown == "Attributes.plan"
    assert _values(result) == {"free": [1, 1, 0], "pro": [2, 1, 1]}
    assert result.to_dict()["steps"] == ALL


def test_a_breakdown_by_a_list_attribute_counts_each_value(project):
    result = funnel(
        project, ["view", "cart", "buy"], "2026-10-01", "2026-10-01", window="1h", breakdown="interest"
    )
    # e1 (books, music) all three steps; e2 (music) view and cart; e3 (no interest) view only
    assert _values(result) == {"(none)": [1, 0, 0], "books": [1, 1, 1], "music": [2, 2, 1]}
    assert result.to_dict()["steps"] == ALL  # everyone counted once
