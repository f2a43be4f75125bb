"""README "Event filters and funnels": entry in the range, the window's last included instant and the first
excluded one, strict order for repeated event types, and which attempt counts (furthest step, then earliest).

Each case has its own event types (``<case>.a``, ``<case>.b``, ``<case>.c``), so one small project holds them all;
the expected counts and medians are worked out by hand in the comments. Each runs through both of the funnel's
paths: the keyed fast path (no breakdown) and the general one (``breakdown="platform"``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from helpers import write_csv

from workbench.analytics import funnel
from workbench.analytics.funnels import DEFAULT_WINDOW, MAX_STEPS, parse_window
from workbench.errors import InputError

# a case whose later step never happens warns that its event type is not in the log: expected here
pytestmark = pytest.mark.filterwarnings("ignore:no events of type")

START, END = "2026-10-01", "2026-10-02"  # the end day is whole: entries up to 10-02 23:59:59.999999


def t(text: str) -> datetime:
    return datetime.fromisoformat("2026-" + text)


# case -> (window, steps (letters), [(endpoint, letter, time)], expected counts, expected medians from start)
CASES = {
    # the window: step k no later than entry + window (inclusive), one millisecond later is out
    "win-last-in": ("1h", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 11:00"))], [1, 1], [None, 3600]),
    "win-first-out": ("1h", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 11:00:00.001"))], [1, 0], None),
    "win-day": ("1d", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-02 10:00"))], [1, 1], None),
    "win-day-out": ("1d", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-02 10:00:00.001"))], [1, 0], None),
    # entry inside the range: first instant in, the instant before out; last instant in, next day out
    "entry-first-instant": ("1h", "ab", [("e1", "a", t("10-01 00:00"))], [1, 0], None),
    "entry-before-range": ("1h", "ab", [("e1", "a", t("09-30 23:59:59.999"))], [0, 0], None),
    "entry-last-instant": ("1h", "ab", [("e1", "a", t("10-02 23:59:59.999")), ("e1", "b", t("10-03 00:30"))],
                           [1, 1], None),  # the window runs past the end of the range
    "entry-after-range": ("1h", "ab", [("e1", "a", t("10-03 00:00"))], [0, 0], None),
    # order: a later step before an earlier one does not count
    "order": ("1h", "abc", [("e1", "b", t("10-01 09:59")), ("e1", "a", t("10-01 10:00")),
                            ("e1", "c", t("10-01 10:10")), ("e1", "b", t("10-01 10:20"))], [1, 1, 0], None),
    # different event types at the same instant: "after" is not strict
    "same-instant": ("1h", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 10:00"))], [1, 1], [None, 0]),
    # the same event type twice: strictly after
    "repeat-once": ("1h", "aa", [("e1", "a", t("10-01 10:00"))], [1, 0], None),
    "repeat-same-instant": ("1h", "aa", [("e1", "a", t("10-01 10:00")), ("e1", "a", t("10-01 10:00"))], [1, 0], None),
    "repeat-later": ("1h", "aa", [("e1", "a", t("10-01 10:00")), ("e1", "a", t("10-01 10:00:01"))], [1, 1], [None, 1]),
    # the README's example: window 1 h counts the 11:00 attempt (10:00's is past its window at the buy)
    "readme-1h": ("1h", "abc", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 10:30")),
                                ("e1", "a", t("10-01 11:00")), ("e1", "b", t("10-01 11:20")),
                                ("e1", "c", t("10-01 11:30"))], [1, 1, 1], [None, 1200, 1800]),
    # ... and with 2 h both attempts reach the buy: the earliest (10:00) counts
    "readme-2h": ("2h", "abc", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 10:30")),
                                ("e1", "a", t("10-01 11:00")), ("e1", "b", t("10-01 11:20")),
                                ("e1", "c", t("10-01 11:30"))], [1, 1, 1], [None, 1800, 5400]),
    # a tie on the furthest step: the earliest attempt's times (3000 s), not the later one's (600 s)
    "tie-earliest": ("1h", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "a", t("10-01 10:40")),
                                  ("e1", "b", t("10-01 10:50"))], [1, 1], [None, 3000]),
    # every actor counts once; medians over actors (two endpoints: 600 s and 1800 s -> 1200)
    "two-actors": ("1h", "ab", [("e1", "a", t("10-01 10:00")), ("e1", "b", t("10-01 10:10")),
                                ("e2", "a", t("10-02 10:00")), ("e2", "b", t("10-02 10:30")),
                                ("e2", "a", t("10-02 10:05"))], [2, 2], [None, 1200]),
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("funnel-rules")
    project = Project.create(root / "p")
    rows = [[e, "EMAIL", f"{e}@example.com", "iOS", "u1"] for e in ("e1", "e2")]
    header = ["Id", "ChannelType", "Address", "Demographic.Platform", "User.UserId"]
    project.endpoints.import_files(write_csv(root / "e.csv", header, rows), progress=False)
    records = []
    for case, (_, _, events, _, _) in CASES.items():
        for i, (ep, letter, ts) in enumerate(events):
            records.append(
                {"event_type": f"{case}.{letter}", "event_timestamp": ts.isoformat(timespec="milliseconds") + "Z",
                 "client": {"client_id": ep}, "event_id": f"{case}-{i}"}
            )  # fmt: skip
    project.events.record(records)
    return project


@pytest.mark.parametrize("path", ["keyed", "general"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_funnel_case(project, case, path):
    window, letters, _, counts, medians = CASES[case]
    steps = [f"{case}.{letter}" for letter in letters]
    result = funnel(
        project, steps, START, END, window=window, breakdown="platform" if path == "general" else None
    )
    table = result.overall.sort("step")
    assert table.get_column("count").to_list() == counts
    if medians is not None:
        assert table.get_column("median_seconds_from_start").to_list()[1:] == medians[1:]


def test_by_user_counts_a_user_once(project):
    # e1 and e2 are both user u1: by endpoint two actors, by user one (its earliest attempt: e1's, 600 s)
    steps = ["two-actors.a", "two-actors.b"]
    table = funnel(project, steps, START, END, window="1h", by="user").overall.sort("step")
    assert table.get_column("count").to_list() == [1, 1]
    assert table.get_column("median_seconds_from_start").to_list()[1] == 600


# --- the window's units, the default and the step limits --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
     ("2w", timedelta(weeks=2)), ("30s", timedelta(seconds=30)), (90, timedelta(seconds=90))],
)  # fmt: skip
def test_window_units(text, delta):
    assert parse_window(text) == delta


@pytest.mark.parametrize("text", ["3", " 7 ", "7x", "-1d"])
def test_window_needs_a_unit(text):
    with pytest.raises(InputError):
        parse_window(text)


def test_default_window_is_seven_days(project):
    assert DEFAULT_WINDOW == "7d"
    # 10-01 10:00 -> 10-08 10:00 exactly (in) with the default; 10-08 10:00:00.001 would be out
    result = funnel(project, ["win-day.a", "win-day.b"], START, END)
    assert result.window == timedelta(days=7)


@pytest.mark.parametrize(("n", "ok"), [(2, True), (MAX_STEPS, True), (1, False), (MAX_STEPS + 1, False)])
def test_step_count_limits(project, n, ok):
    steps = ["order.a", "order.b"] * (n // 2) + ["order.a"] * (n % 2)
    assert MAX_STEPS == 20
    if ok:
        assert funnel(project, steps, START, END, window="1h").overall.height == n
    else:
        with pytest.raises(InputError, match="step"):
            funnel(project, steps, START, END, window="1h")


def test_by_is_endpoint_or_user(project):
    with pytest.raises(InputError, match="by"):
        funnel(project, ["order.a", "order.b"], START, END, by="device")
