"""README "The event log": Pinpoint's limits and the accepted event times, each at the limit and one past it.

Limits: attribute (and metric) names at most 50 characters, attribute values at most 200, at most 40 attributes
and metrics together; times on or after 2000-01-01 and at most ``[events] max_future_skew`` (default "1 day")
after now. Each case is checked on one record (``record_to_row``) and through an import file (the fast path),
whose rejects file must name the same lines.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from helpers import configure

from workbench.errors import InputError
from workbench.ingest.event_records import EARLIEST_EVENT, TimeWindow, default_window, record_to_row
from workbench.ingest.events import event_window, parse_skew

NOW = datetime(2026, 10, 30, 12, 0, 0)


def event(i: int, attributes=None, metrics=None, ts="2026-10-01T00:00:00Z") -> dict:
    return {
        "event_type": "app.case",
        "event_timestamp": ts,
        "event_id": f"case-{i}",
        "client": {"client_id": "ep-1"},
        "attributes": attributes or {},
        "metrics": metrics or {},
    }


def many(n: int, prefix: str) -> dict:
    return {f"{prefix}{i}": ("v" if prefix == "a" else 1) for i in range(n)}


# (attributes, metrics, timestamp, the field a rejection names (its start) or None)
CASES = [
    ({"a": "x" * 200}, None, None, None),
    ({"a": "x" * 201}, None, None, "attributes.a"),
    ({"n" * 50: "x"}, None, None, None),
    ({"n" * 51: "x"}, None, None, "attributes.nnn"),
    (None, {"m" * 50: 1}, None, None),
    (None, {"m" * 51: 1}, None, "metrics.mmm"),
    (many(20, "a"), many(20, "m"), None, None),
    (many(20, "a"), many(21, "m"), None, "attributes"),
    (many(40, "a"), None, None, None),
    (many(41, "a"), None, None, "attributes"),
    (None, many(41, "m"), None, "attributes"),
    (None, None, "2000-01-01T00:00:00Z", None),
    (None, None, "1999-12-31T23:59:59.999Z", "event_timestamp"),
]


def _record(i: int) -> dict:
    attributes, metrics, ts, _ = CASES[i]
    return event(i, attributes, metrics, ts or "2026-10-01T00:00:00Z")


@pytest.mark.parametrize("i", range(len(CASES)))
def test_one_record(i):
    expected = CASES[i][3]
    if expected is None:
        row = record_to_row(_record(i), NOW)
        assert row["event_type"] == "app.case"
    else:
        with pytest.raises(ValueError) as err:
            record_to_row(_record(i), NOW)
        assert str(err.value).startswith(expected), err.value


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("event-rules")
    project = Project.create(root / "p")
    file = root / "cases.jsonl"
    file.write_text("".join(json.dumps(_record(i)) + "\n" for i in range(len(CASES))), encoding="utf-8")
    result = project.events.import_files(file, progress=False)
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        rejects = {int(r["line"]): r for r in csv.DictReader(fh)}
    return project, result, rejects


@pytest.mark.parametrize("i", range(len(CASES)))
def test_through_an_import(imported, i):
    _, _, rejects = imported
    expected = CASES[i][3]
    if expected is None:
        assert i + 1 not in rejects, rejects.get(i + 1)
    else:
        assert i + 1 in rejects
        assert rejects[i + 1]["field"].startswith(expected.split(".")[0]), rejects[i + 1]


def test_import_counts(imported):
    project, result, _ = imported
    bad = sum(1 for c in CASES if c[3])
    assert (result.events, result.rejected) == (len(CASES) - bad, bad)
    assert project.query("SELECT count(*) FROM events").item() == len(CASES) - bad


# --- the time window: first and last accepted instants and the first refused one -------------------------


def test_earliest_event_is_2000_01_01():
    assert datetime(2000, 1, 1) == EARLIEST_EVENT


@pytest.mark.parametrize(
    ("ts", "ok"),
    [
        (datetime(2000, 1, 1), True),
        (datetime(2000, 1, 1) - timedelta(microseconds=1), False),
        (NOW + timedelta(days=1), True),
        (NOW + timedelta(days=1, microseconds=1), False),
        (NOW, True),
    ],
)
def test_default_window(ts, ok):
    window = default_window(NOW)
    if ok:
        window.check(ts, "raw")
    else:
        with pytest.raises(ValueError, match="event_timestamp"):
            window.check(ts, "raw")


@pytest.mark.parametrize(
    ("setting", "skew"),
    [(None, timedelta(days=1)), ('"2 hours"', timedelta(hours=2)), ("90", timedelta(seconds=90))],
)
def test_max_future_skew_setting(tmp_path, setting, skew):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    if setting:
        configure(project.path, f"[events]\nmax_future_skew = {setting}\n")
    else:  # a new project's workbench.toml spells the default out: without it, the code's default applies
        configure(project.path, "", replace=("events.max_future_skew",))
        assert "max_future_skew" not in (project.path / "workbench.toml").read_text()
    project = Project.open(project.path)
    window = event_window(project, NOW)
    assert (window.earliest, window.latest) == (datetime(2000, 1, 1), NOW + skew)
    window.check(NOW + skew, "last accepted")
    with pytest.raises(ValueError, match="max_future_skew"):
        window.check(NOW + skew + timedelta(microseconds=1), "first refused")


def test_a_bad_skew_setting_names_the_setting(tmp_path):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    configure(project.path, '[events]\nmax_future_skew = "soon"\n')
    with pytest.raises(InputError) as err:
        event_window(Project.open(project.path), NOW)
    assert err.value.field == "events.max_future_skew"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1 day", 86400), ("12h", 43200), ("90 minutes", 5400), ("30", 30), (30, 30), ("2d", 172800), (0, 0)],
)
def test_parse_skew(value, seconds):
    assert parse_skew(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["soon", True, -1, 3650 * 86400 + 1])
def test_parse_skew_refuses(value):
    with pytest.raises(ValueError):
        parse_skew(value)


def test_recording_now_is_accepted_and_far_future_refused(project):
    """Through ``project.events.record`` with the real clock: 23 hours ahead is inside the default day, 25 hours
    ahead is refused."""
    now = datetime.now(UTC).replace(tzinfo=None)
    iso = lambda t: t.isoformat() + "Z"  # noqa: E731
    project.events.record([event(1, ts=iso(now + timedelta(hours=23)))])
    with pytest.raises(InputError, match="future"):
        project.events.record([event(2, ts=iso(now + timedelta(hours=25)))])


def test_window_type():
    assert TimeWindow(EARLIEST_EVENT, NOW).skew == "1 day"
