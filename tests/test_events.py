"""Event log: Pinpoint stream records in, append-only Parquet partitions out, de-duplicated, readable while written."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
import textwrap

import duckdb
import polars as pl
import pytest

from workbench import InputError


def stream_record(i: int, event_type: str = "_session.start", **extra) -> dict:
    """A record in the shape Kinesis Firehose wrote Pinpoint events to S3."""
    return {
        "event_type": event_type,
        "event_timestamp": 1727740800000 + i * 3_600_000,  # 2024-10-01T00:00Z + i hours
        "arrival_timestamp": 1727740800500 + i * 3_600_000,
        "event_version": "3.1",
        "application": {
            "app_id": "app",
            "title": "Shop",
            "version_name": "3.2.1",
            "sdk": {"name": "aws-amplify", "version": "6"},
        },
        "client": {"client_id": f"ep-{i % 3}", "cognito_id": "c"},
        "device": {
            "locale": {"code": "en_US", "country": "US", "language": "en"},
            "make": "Apple",
            "model": "iPhone",
            "platform": {"name": "ios", "version": "17"},
        },
        "session": {"session_id": f"s-{i}", "start_timestamp": 1727740800000 + i * 3_600_000},
        "attributes": {"screen": "home"},
        "metrics": {"duration": 1.5},
        "awsAccountId": "123456789012",
        **extra,
    }


def test_record_events_writes_daily_partitions(project):
    result = project.events.record([stream_record(i) for i in range(30)])  # 30 hours: two days
    assert result.events == 30 and result.duplicates == 0
    days = sorted(p.name for p in project.events_dir.iterdir())
    assert days == ["date=2024-10-01", "date=2024-10-02"]
    assert not list(project.events_dir.rglob("*.partial"))
    frame = project.events.frame()
    assert frame.height == 30
    row = frame.sort("event_timestamp").row(0, named=True)
    assert row["client_id"] == "ep-0" and row["session_id"] == "s-0" and row["device_platform"] == "ios"
    assert row["app_version_name"] == "3.2.1" and str(row["event_timestamp"]) == "2024-10-01 00:00:00"
    assert json.loads(row["extra"]) == {
        "awsAccountId": "123456789012",
        "client": {"cognito_id": "c"},
        "device": {"locale": {"language": "en"}},
    }
    # maps are real maps for DuckDB and lists of key/value structs for Polars
    assert project.query(
        "SELECT attributes['screen'] AS s, metrics['duration'] AS d FROM events LIMIT 1"
    ).row(0) in (
        ("home", 1.5),
        (["home"], [1.5]),
    )
    direct = pl.scan_parquet(str(project.events_dir / "*/*.parquet"), hive_partitioning=True).collect()
    assert direct.height == 30 and "date" in direct.columns


def test_duplicates_are_skipped_in_a_batch_and_across_appends(project):
    records = [stream_record(i, event_id=f"id-{i}") for i in range(5)]
    first = project.events.record(records + records[:2])
    assert (first.events, first.duplicates) == (5, 2)
    second = project.events.record(records)
    assert (second.events, second.duplicates) == (0, 5)
    no_ids = [stream_record(i) for i in range(3)]
    project.events.record(no_ids)
    assert project.events.record(no_ids).events == 0  # the content hash identifies identical records
    assert project.query("SELECT count(*) FROM events").item() == 8


def test_pinpoint_limits(project):
    ok = stream_record(0)
    long_value = stream_record(1, attributes={"x": "v" * 201})
    long_name = stream_record(2, attributes={"n" * 51: "v"})
    too_many = stream_record(
        3, attributes={f"a{i}": "v" for i in range(30)}, metrics={f"m{i}": i for i in range(11)}
    )
    for bad, needle in ((long_value, "at most 200"), (long_name, "longer than 50"), (too_many, "at most 40")):
        with pytest.raises(InputError, match=needle):
            project.events.record([ok, bad])
    assert project.query("SELECT count(*) FROM events").item() == 0  # nothing half-recorded
    assert (
        project.events.record(
            [
                stream_record(
                    4, attributes={f"a{i}": "v" for i in range(20)}, metrics={f"m{i}": i for i in range(20)}
                )
            ]
        ).events
        == 1
    )


def test_import_firehose_gz_and_rejects(project, tmp_path):
    lines = [json.dumps(stream_record(i)) for i in range(10)]
    lines.insert(3, "{not json")
    lines.insert(6, json.dumps(stream_record(99, attributes={"big": "x" * 300})))
    lines.insert(
        8,
        json.dumps(
            {"event_type": "_session.start", "event_timestamp": "yesterday", "client": {"client_id": "a"}}
        ),
    )
    src = tmp_path / "firehose-2024-10-01.gz"
    src.write_bytes(gzip.compress("\n".join(lines).encode()))
    result = project.events.import_files(src)
    assert (result.events, result.rejected) == (10, 3)
    with open(result.rejects_file, newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["line"], r["field"]) for r in rejects] == [
        ("4", ""),
        ("7", "attributes.big"),
        ("9", "event_timestamp"),
    ]
    assert "at most 200" in rejects[1]["reason"] and rejects[0]["file"] == str(src)
    assert project.events.import_files(src).events == 0  # importing it again adds nothing


def test_import_custom_events_csv_and_putevents_jsonl(project, tmp_path):
    src = tmp_path / "custom.csv"
    src.write_text(
        "event_type,event_timestamp,client_id,session_id,attributes.plan,metrics.amount\n"
        "signup,2024-10-01T10:00:00Z,ep-1,s1,pro,12.5\n"
        "signup,2024-10-01T11:00:00+02:00,ep-2,,free,\n"
        "signup,2024-10-01T12:00:00Z,ep-3,,free,lots\n"
    )
    put = tmp_path / "put.jsonl"
    put.write_text(
        json.dumps(
            {
                "EventType": "level.complete",
                "Timestamp": "2024-10-02T08:00:00Z",
                "client_id": "ep-1",
                "Attributes": {"level": "3"},
                "Metrics": {"score": 10},
            }
        )
        + "\n"
    )
    result = project.events.import_files(src, put)
    assert (result.events, result.rejected) == (3, 1)
    frame = project.query(
        "SELECT event_type, client_id, event_timestamp, metrics['amount'] AS m FROM events ORDER BY event_timestamp"
    )
    assert frame.get_column("client_id").to_list() == ["ep-2", "ep-1", "ep-1"]
    assert str(frame.item(0, "event_timestamp")) == "2024-10-01 09:00:00"  # +02:00 converted to UTC


def test_csv_with_unknown_columns_is_refused(project, tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("event_typ,event_timestamp,client_id\nx,2024-10-01,a\n")
    with pytest.raises(InputError, match="did you mean event_type"):
        project.events.import_files(src)


READER = textwrap.dedent(
    """
    import sys, duckdb, polars as pl, time
    glob = sys.argv[1]
    seen = []
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0]
            m = pl.scan_parquet(glob).select(pl.len()).collect().item()
        except Exception as err:  # an empty glob before the first file lands
            if "No files found" in str(err) or "expanded to 0 files" in str(err) or "no such file" in str(err).lower():
                continue
            print("ERROR", err, flush=True)
            sys.exit(1)
        seen.append(n)
        if n >= int(sys.argv[2]):
            break
    print(max(seen) if seen else 0, flush=True)
    """
)


def test_readable_from_duckdb_and_polars_while_another_process_appends(project):
    glob = str(project.events_dir / "*" / "*.parquet")
    reader = subprocess.Popen([sys.executable, "-c", READER, glob, "2000"], stdout=subprocess.PIPE, text=True)
    for batch in range(20):
        project.events.record([stream_record(batch * 100 + i, event_id=f"{batch}-{i}") for i in range(100)])
    out, _ = reader.communicate(timeout=60)
    assert reader.returncode == 0, out
    assert int(out.strip()) == 2000
    assert duckdb.sql(f"SELECT count(DISTINCT event_id) FROM read_parquet('{glob}')").fetchall()[0][0] == 2000


def _strip_empty(node):
    if isinstance(node, dict):
        cleaned = {k: _strip_empty(v) for k, v in node.items()}
        return {k: v for k, v in cleaned.items() if v not in ({}, None)}
    return node


def test_fast_and_exact_paths_agree(tmp_path):
    """The DuckDB fast path and the Python path turn the same records into the same rows."""
    from datetime import datetime

    from workbench.ingest.event_fast import read_events_fast
    from workbench.ingest.event_records import iter_json_records, parse_records

    records = [stream_record(i) for i in range(50)]
    records[3]["attributes"] = {"a": "1", "b": "two"}
    records[4]["metrics"] = {"x": 2, "y": 0.5}
    records[5]["facets"] = {"email_channel": {"mail_event": {"mail": {"message_id": "m1"}}}}
    records[6]["session"]["stop_timestamp"] = records[6]["event_timestamp"] + 5000
    del records[7]["session"]
    for r in records[:10]:
        r.pop("awsAccountId")
    data = "\n".join(json.dumps(r) for r in records).encode()
    now = datetime(2026, 1, 1)
    fast = read_events_fast(data, tmp_path, now)
    assert fast is not None
    from workbench.ingest.event_records import fill_event_ids

    fast = fill_event_ids(fast)
    exact, rejects = parse_records(iter_json_records(data, "x"), "x", now)
    assert rejects == []
    columns = [c for c in exact.columns if c not in ("extra", "attributes", "metrics")]
    assert fast.select(columns).equals(exact.select(columns))
    for a, b in zip(fast.to_dicts(), exact.to_dicts(), strict=True):
        assert sorted(map(tuple, (d.values() for d in a["attributes"]))) == sorted(
            map(tuple, (d.values() for d in b["attributes"]))
        )
        assert sorted(map(tuple, (d.values() for d in a["metrics"]))) == sorted(
            map(tuple, (d.values() for d in b["metrics"]))
        )
        assert _strip_empty(json.loads(a["extra"] or "{}")) == _strip_empty(json.loads(b["extra"] or "{}"))


def test_fast_path_steps_aside_for_unknown_keys_and_bad_records(tmp_path):
    from datetime import datetime

    from workbench.ingest.event_fast import read_events_fast

    now = datetime(2026, 1, 1)
    unknown = stream_record(1)
    unknown["device"]["timezone"] = "Europe/Berlin"
    assert read_events_fast(json.dumps(unknown).encode(), tmp_path, now) is None
    iso = stream_record(2, event_timestamp="2024-10-01T00:00:00Z")
    assert read_events_fast(json.dumps(iso).encode(), tmp_path, now) is None
    too_long = stream_record(3, attributes={"x": "v" * 201})
    assert read_events_fast(json.dumps(too_long).encode(), tmp_path, now) is None
    assert not list(tmp_path.iterdir())  # its scratch file is gone
