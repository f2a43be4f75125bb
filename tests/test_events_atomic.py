"""Event imports are all or nothing; an event_id names one event; event times must be plausible."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import helpers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import InputError
from workbench.cli import main

DAY_MS = 86_400_000
START_MS = 1727740800000  # 2024-10-01T00:00Z


def record(i: int, **extra) -> dict:
    """A Pinpoint stream record; ``i`` hours after 2024-10-01."""
    return {
        "event_id": f"e-{i}",
        "event_type": "_session.start",
        "event_timestamp": START_MS + i * 3_600_000,
        "arrival_timestamp": START_MS + i * 3_600_000 + 500,
        "client": {"client_id": f"ep-{i % 7}"},
        "attributes": {"screen": "home"},
        "metrics": {"n": 1.0},
        **extra,
    }


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def visible(project) -> int:
    return int(project.query("SELECT count(*) AS n FROM events").item())


# --- event_id reuse ---------------------------------------------------------------------------------------------


def test_reused_event_id_with_other_content_is_rejected_same_content_is_a_duplicate(project, tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", [record(i) for i in range(5)])
    assert project.events.import_files(first).events == 5
    again = [record(i) for i in range(5)]
    for r in again:
        r["arrival_timestamp"] += 60_000  # delivered again later: still the same event
    again[2]["attributes"] = {"screen": "cart"}  # the same id for another event
    again.append(record(9, event_id="e-1", event_type="_custom.other"))  # on another day, too
    result = project.events.import_files(write_jsonl(tmp_path / "b.jsonl", again))
    assert (result.events, result.duplicates, result.rejected) == (0, 4, 2)
    with open(result.rejects_file, encoding="utf-8") as fh:
        rows = fh.read().splitlines()[1:]
    assert [r.split(",")[1:3] for r in rows] == [["3", "event_id"], ["6", "event_id"]]
    assert all("already used by an event with other content" in r for r in rows)
    assert visible(project) == 5
    # inside one batch: the first wins, a repeat with other content is rejected
    batch = [record(20), record(20), record(20, event_type="_custom.x")]
    result = project.events.import_files(write_jsonl(tmp_path / "c.jsonl", batch))
    assert (result.events, result.duplicates, result.rejected) == (1, 1, 1)


def purchase(price: float, quantity: float = 1.0, **extra) -> dict:
    """A purchase without an event_id: the import makes one from its type, time, endpoint, session and
    attributes, which leave the metrics out."""
    fields = {
        "event_id": None,
        "event_type": "_monetization.purchase",
        "attributes": {"_product_id": "sku-1"},
        "metrics": {"_item_price": price, "_quantity": quantity},
    }
    return record(1, **{**fields, **extra})


def test_events_differing_only_in_their_metrics_are_all_kept_and_skipped_on_reimport(project, tmp_path):
    same_instant = [purchase(9.99), purchase(19.99), purchase(9.99, 2.0)]
    result = project.events.import_files(write_jsonl(tmp_path / "a.jsonl", same_instant))
    assert (result.events, result.duplicates, result.rejected) == (3, 0, 0)
    prices = project.query(
        "SELECT metrics['_item_price'] AS p, metrics['_quantity'] AS q FROM events ORDER BY p, q"
    ).rows()
    assert prices == [(9.99, 1.0), (9.99, 2.0), (19.99, 1.0)]
    ids = project.query("SELECT event_id FROM events").to_series().to_list()
    assert len(set(ids)) == 3
    # delivered again, in any order and together with a true repeat: nothing new, nothing rejected
    for order in ([2, 1, 0], [1, 0, 2, 1]):
        again = [same_instant[i] for i in order]
        result = project.events.import_files(write_jsonl(tmp_path / f"b{len(order)}.jsonl", again))
        assert (result.events, result.duplicates, result.rejected) == (0, len(order), 0)
    assert visible(project) == 3
    # one more purchase at that instant, imported first in its file: it is new, the others are skipped
    result = project.events.import_files(write_jsonl(tmp_path / "c.jsonl", [purchase(4.5), *same_instant]))
    assert (result.events, result.duplicates, result.rejected) == (1, 3, 0)
    assert visible(project) == 4


def test_record_events_keeps_events_differing_only_in_their_metrics(project):
    assert project.events.record([purchase(1.0), purchase(2.0)]).events == 2
    result = project.events.record([purchase(2.0), purchase(1.0), purchase(3.0)])
    assert (result.events, result.duplicates) == (1, 2)
    assert visible(project) == 3


def test_a_given_event_id_is_still_one_event(project, tmp_path):
    """Given ids are not re-keyed: a reuse with other content is rejected. A batch holding a re-delivery of a
    logged event after a conflicting one: the conflict is rejected, the re-delivery is a duplicate."""
    project.events.import_files(write_jsonl(tmp_path / "a.jsonl", [purchase(1.0, event_id="p-1")]))
    batch = [purchase(2.0, event_id="p-1"), purchase(1.0, event_id="p-1")]
    result = project.events.import_files(write_jsonl(tmp_path / "b.jsonl", batch))
    assert (result.events, result.duplicates, result.rejected) == (0, 1, 1)
    with open(result.rejects_file, encoding="utf-8") as fh:
        rows = fh.read().splitlines()[1:]
    assert len(rows) == 1 and rows[0].split(",")[1:3] == ["1", "event_id"]
    assert project.query("SELECT metrics['_item_price'] AS p FROM events").item() == 1.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(st.tuples(st.sampled_from([1.0, 2.5, 9.99]), st.sampled_from([1.0, 2.0])), max_size=6),
    second=st.lists(st.tuples(st.sampled_from([1.0, 2.5, 9.99]), st.sampled_from([1.0, 2.0])), max_size=6),
)
def test_generated_ids_keep_each_distinct_event_once_fuzz(tmp_path_factory, first, second):
    """Any two deliveries of same-instant purchases: the log ends holding each distinct one exactly once."""
    from workbench import Project

    project = Project.create(tmp_path_factory.mktemp("fuzz") / "p")
    for batch in (first, second, list(reversed(first + second))):
        if batch:
            project.events.record([purchase(price, quantity) for price, quantity in batch])
    stored = project.query("SELECT metrics['_item_price'] AS p, metrics['_quantity'] AS q FROM events").rows()
    assert sorted(stored) == sorted(set(first) | set(second))


def test_record_events_refuses_a_reused_event_id_and_records_nothing(project):
    project.events.record([record(1)])
    with pytest.raises(InputError) as err:
        project.events.record([record(2), record(1, event_type="_custom.changed")])
    assert "event 2" in str(err.value) and "e-1" in str(err.value) and err.value.field == "event_id"
    assert visible(project) == 1
    assert project.events.record([record(1)]).duplicates == 1


# --- the time window --------------------------------------------------------------------------------------------


def test_events_outside_the_time_window_are_rejected_with_the_reason(project, tmp_path):
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    records = [
        record(0),
        record(1, event_timestamp=now_ms + 2 * DAY_MS),  # two days ahead: more than the default day
        record(2, event_timestamp=now_ms + 3_600_000),  # an hour ahead: a skewed clock, accepted
        record(3, event_timestamp="9999-12-31T00:00:00Z"),
        record(4, event_timestamp="0001-01-01T00:00:00Z"),
        record(5, event_timestamp=946684799000),  # 1999-12-31T23:59:59Z
    ]
    result = project.events.import_files(write_jsonl(tmp_path / "t.jsonl", records))
    assert (result.events, result.rejected) == (2, 4)
    text = Path(result.rejects_file).read_text(encoding="utf-8")
    assert text.count("in the future") == 2 and text.count("before 2000-01-01") == 2
    assert "events.max_future_skew" in text
    with pytest.raises(InputError) as err:
        project.events.record([record(6, event_timestamp=now_ms + 2 * DAY_MS)])
    assert "in the future" in str(err.value)


def test_the_future_skew_is_a_setting(tmp_path):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    settings = project.path / "workbench.toml"
    helpers.configure(project.path, '[events]\nmax_future_skew = "3 days"\n')
    project = Project.open(project.path)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert project.events.record([record(1, event_timestamp=now_ms + 2 * DAY_MS)]).events == 1
    settings.write_text(settings.read_text().replace('"3 days"', '"soon"'))
    with pytest.raises(InputError) as err:
        Project.open(project.path).events.record([record(2)])
    assert err.value.field == "events.max_future_skew"


def test_an_import_with_nothing_valid_exits_1_naming_the_rejects_file(project, tmp_path, capsys):
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"event_type": "x"}, record(1, event_timestamp=0)])
    code = main(["events", "import", str(bad), "--project", str(project.path)])
    err = capsys.readouterr().err
    assert code == 1
    rejects = list(project.imports_dir.glob("events-*-rejects.csv"))
    assert len(rejects) == 1 and str(rejects[0]) in err and "no valid event" in err
    assert visible(project) == 0
    # a file of duplicates only is valid: exit 0
    good = write_jsonl(tmp_path / "good.jsonl", [record(1)])
    assert main(["events", "import", str(good), "--project", str(project.path)]) == 0
    assert main(["events", "import", str(good), "--project", str(project.path)]) == 0


# --- all or nothing ---------------------------------------------------------------------------------------------

IMPORT = "import sys; from workbench.cli import main; sys.exit(main(['events', 'import', sys.argv[1], '--project', sys.argv[2], '--json']))"
KILL_RUNS = 20 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 4  # `make fuzz` kills more often


@pytest.fixture(scope="module")
def many_days(tmp_path_factory) -> tuple[Path, int]:
    """An event file spanning 120 days, big enough that a kill lands while it is written."""
    rng = random.Random(3)
    n = 60_000
    path = tmp_path_factory.mktemp("events") / "many-days.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            ts = START_MS + (i * 120 * DAY_MS) // n
            fh.write(
                json.dumps(
                    {
                        "event_id": f"k-{i}",
                        "event_type": rng.choice(["_session.start", "_email.open", "buy"]),
                        "event_timestamp": ts,
                        "client": {"client_id": f"ep-{rng.randrange(5000)}"},
                        "attributes": {"screen": rng.choice(["a", "b"])},
                    }
                )
                + "\n"
            )
    return path, n


def _import_files(project) -> set[str]:
    """Names in the day folders the big file covers (the side appends land in 2025-11, outside them)."""
    return {p.name for p in project.events_dir.glob("date=2024-1*/*")}


def test_an_import_killed_at_random_points_leaves_nothing_half_and_the_rerun_imports_once(project, many_days):
    path, n = many_days
    env = {**os.environ, "WORKBENCH_NO_PROGRESS": "1"}
    rng = random.Random(11)
    extra = 0
    for run in range(KILL_RUNS):
        before = _import_files(project)
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORT, str(path), str(project.path)],
            env=env,
            cwd=project.path,  # not the repository: ``-c`` puts the working folder first on sys.path
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # even runs: a kill at a random time; odd runs: a kill just after the import starts writing files
        deadline = time.monotonic() + (rng.uniform(0.8, 2.6) if run % 2 == 0 else 60)
        while time.monotonic() < deadline and proc.poll() is None:
            if run % 2 and _import_files(project) - before:
                time.sleep(rng.uniform(0, 0.03))
                break
            # readers and small appends keep working while the import runs
            count = visible(project)
            assert count in (extra, extra + n), f"run {run}: {count} events visible"
            if run % 2 == 0:
                project.events.record([record(10_000 + extra, event_id=f"side-{run}-{extra}")])
                extra += 1
                time.sleep(0.05)
            else:
                time.sleep(0.002)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        count = visible(project)
        print(f"run {run}: killed={killed} visible={count - extra} at {time.monotonic() - started:.1f}s")
        assert count in (extra, extra + n), f"run {run}: {count} events visible after the kill"
        if count == extra + n:
            break  # the import finished before the kill: nothing left to test on this run
    result = main(["events", "import", str(path), "--project", str(project.path), "--json"])
    assert result == 0
    assert visible(project) == extra + n
    distinct = project.query("SELECT count(DISTINCT event_id) AS n FROM events").item()
    assert distinct == extra + n
    leftovers = [p.name for p in project.imports_dir.iterdir() if p.name.endswith(".partial")]
    leftovers += [p.name for p in project.events_dir.rglob("*.partial")]
    assert leftovers == []
    from workbench.store.views import scan_event_log

    assert scan_event_log(project.events_dir).incomplete == {}


def test_a_batch_is_invisible_until_its_last_file_lands(project, tmp_path):
    """What a kill between two renames leaves: the files of a batch that did not complete are not read."""
    project.events.record([record(i) for i in range(60)])  # three days: one batch of three files
    files = sorted(project.events_dir.rglob("*.parquet"))
    assert len(files) == 3 and all(f.name.endswith("-n3.parquet") for f in files)
    files[1].rename(files[1].with_name("." + files[1].name + ".x.partial"))
    assert visible(project) == 0
    from workbench.analytics._common import data_bounds

    assert data_bounds(project) == (None, None)  # nor do its days move any dashboard's default range
    # the writer is alive (this process): its leftovers stay until it is gone
    from workbench.store.event_log import event_log_leftovers

    assert event_log_leftovers(project.events_dir) == []


def test_leftovers_of_a_dead_writer_are_removed_by_the_next_import(project, tmp_path):
    from workbench.store import leftovers

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tag = leftovers.owner_tag().replace(f"p{os.getpid()}", f"p{dead.pid}")
    day = project.events_dir / "date=2024-10-01"
    day.mkdir(parents=True)
    orphan = day / f"part-abc-{tag}-n2.parquet"
    project.events.record([record(1)])
    orphan.write_bytes(next(day.glob("*.parquet")).read_bytes())
    temp = day / f".part-def-{tag}-n1.parquet.1234.partial"
    temp.write_bytes(b"half")
    copy = project.imports_dir / f".events-{tag}-xyz.jsonl.partial"
    copy.write_bytes(b"{}")
    assert visible(project) == 1
    project.events.import_files(write_jsonl(tmp_path / "x.jsonl", [record(2)]))
    assert not orphan.exists() and not temp.exists() and not copy.exists()
    assert visible(project) == 2


def test_days_written_long_ago_by_old_versions_still_read(project):
    """Files named ``part-<batch>.parquet`` (before batches were counted) are one-file batches."""
    project.events.record([record(1)])
    (f,) = project.events_dir.rglob("*.parquet")
    f.rename(f.with_name("part-0123456789ab.parquet"))
    assert visible(project) == 1
