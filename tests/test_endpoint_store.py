"""The Parquet endpoint store: parts, copy-on-write updates, layouts, merging, leftovers."""

from __future__ import annotations

import os
import random
import time

import polars as pl
import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench import InputError
from workbench.store import endpoint_parts as endpoint_store


def part_files(project):
    return sorted(p.name for p in (project.path / "endpoints").glob("part-*.parquet"))


def listed_parts(project):
    return sorted(project.query("SELECT name FROM endpoint_parts").get_column("name").to_list())


def test_an_import_adds_one_part_and_the_view_reads_it(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(50)))
    assert part_files(project) == listed_parts(project) and len(part_files(project)) == 1
    row = project.endpoints.frame(where="Id = 'e3'").row(0, named=True)
    assert row["Attributes.plan"] == ["pro"] and row["Metrics.score"] == 3.0
    assert row["EndpointStatus"] == "ACTIVE" and row["OptOut"] == "NONE"
    assert 0 <= row["CohortId"] <= 99 and row["CreationDate"] is not None


def test_single_values_are_stored_as_strings_and_several_as_lists(project, tmp_path):
    header = ["Id", "ChannelType", "Address", "Attributes.plan", "Attributes.tags", "Attributes.tags"]
    rows = [
        ["e1", "EMAIL", "a@example.com", "pro", "x", "y"],
        ["e2", "EMAIL", "b@example.com", "free", "z", ""],
    ]
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", header, rows))
    (name,) = part_files(project)
    stored = pl.read_parquet_schema(project.path / "endpoints" / name)
    assert stored["Attributes.plan"] == pl.String  # one value per row: a plain column
    assert stored["Attributes.tags"] == pl.List(pl.String)
    assert "Demographic.Platform" not in stored  # a column without any value is left out of the part
    seen = project.endpoints.frame(["Id", "Attributes.plan", "Attributes.tags", "Demographic.Platform"]).sort(
        "Id"
    )
    assert seen.rows() == [("e1", ["pro"], ["x", "y"], None), ("e2", ["free"], ["z"], None)]
    listed = project.query("SELECT list_columns FROM endpoint_parts").item()
    assert list(listed) == ["Attributes.tags"]


def test_an_update_replaces_the_part_it_touches_and_removes_the_old_file(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(20)))
    before = part_files(project)
    project.endpoints.import_files(
        write_csv(tmp_path / "b.csv", ["Id", "Attributes.plan"], [["e1", "enterprise"], ["e2", "team"]])
    )
    after = part_files(project)
    assert after == listed_parts(project)
    assert not set(before) & set(after)  # the touched part was rewritten, the old file is gone
    assert project.endpoints.count().endpoints == 20
    plans = dict(project.endpoints.frame(["Id", "Attributes.plan"]).rows())
    assert plans["e1"] == ["enterprise"] and plans["e2"] == ["team"] and plans["e3"] == ["pro"]
    # a stored multi-value list and a new single value live in different parts, and read alike
    assert project.query("SELECT count(*) FROM endpoints WHERE Id = 'e1'").item() == 1


def test_a_new_attribute_reads_as_null_for_older_endpoints(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(3)))
    project.endpoints.import_files(
        write_csv(
            tmp_path / "b.csv",
            ["Id", "ChannelType", "Address", "Attributes.colour"],
            [["n1", "EMAIL", "n@example.com", "red"]],
        )
    )
    got = dict(project.endpoints.frame(["Id", "Attributes.colour"]).rows())
    assert got == {"e0": None, "e1": None, "e2": None, "n1": ["red"]}
    assert project.endpoint_columns()[-1] == "Attributes.colour"


def test_small_parts_are_merged(project, tmp_path):
    for i in range(endpoint_store.MAX_SMALL_PARTS + 2):
        project.endpoints.import_files(
            write_csv(tmp_path / f"{i}.csv", EMAIL_HEADER, email_rows(10, start=10 * i))
        )
    assert len(part_files(project)) <= endpoint_store.MAX_SMALL_PARTS
    assert part_files(project) == listed_parts(project)
    assert project.endpoints.count().endpoints == 10 * (endpoint_store.MAX_SMALL_PARTS + 2)
    assert project.query("SELECT count(DISTINCT Id) FROM endpoints").item() == 60


def test_large_writes_are_split_into_parts(project, tmp_path, monkeypatch):
    monkeypatch.setattr(endpoint_store, "PART_ROWS", 40)
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(100)))
    assert sorted(project.query("SELECT rows FROM endpoint_parts").get_column("rows").to_list()) == [
        32,
        34,
        34,
    ]
    assert project.endpoints.count().endpoints == 100


def test_a_large_write_is_written_as_parallel_parts(project, tmp_path, monkeypatch):
    monkeypatch.setattr(endpoint_store, "SMALL_PART_ROWS", 10)
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(101)))
    assert sorted(project.query("SELECT rows FROM endpoint_parts").get_column("rows").to_list()) == [50, 51]
    assert project.query("SELECT count(DISTINCT Id) FROM endpoints").item() == 101


def test_dictionary_pages_only_for_columns_with_few_values(tmp_path):
    import pyarrow.parquet as pq

    n = 20_000
    frame = pl.DataFrame(
        {
            "Id": [f"ep-{i}" for i in range(n)],
            "ChannelType": ["EMAIL", "SMS"] * (n // 2),
            "Attributes.tags": [["a", "b"], ["c"]] * (n // 2),
        }
    )
    assert endpoint_store.choose_encoding(frame).dictionary == ["ChannelType", "Attributes.tags.list.element"]
    (tmp_path / "endpoints").mkdir()
    name = endpoint_store._write_part(tmp_path, frame)
    meta = pq.ParquetFile(tmp_path / "endpoints" / name).metadata.row_group(0)
    dictionary = {meta.column(i).path_in_schema: meta.column(i).has_dictionary_page for i in range(3)}
    assert dictionary == {"Id": False, "ChannelType": True, "Attributes.tags.list.element": True}
    assert pl.read_parquet(tmp_path / "endpoints" / name).equals(frame)


def test_plain_columns_are_stored_uncompressed_and_dictionary_columns_lz4(tmp_path):
    import pyarrow.parquet as pq

    rng = random.Random(5)
    n = 20_000
    frame = pl.DataFrame(
        {
            "Id": [
                f"ep-{i:07d}" for i in range(n)
            ],  # would compress well: LZ4 costs more time than it is worth
            "Address": [f"{rng.getrandbits(96):024x}@{rng.getrandbits(32):08x}.io" for _ in range(n)],
            "Metrics.score": [rng.random() for _ in range(n)],
            "ChannelType": [rng.choice(["EMAIL", "SMS"]) for _ in range(n)],
        }
    )
    encoding = endpoint_store.choose_encoding(frame)
    assert encoding.dictionary == ["ChannelType"]
    assert encoding.compression == {
        "Id": "none",
        "Address": "none",
        "Metrics.score": "none",
        "ChannelType": "lz4",
    }
    (tmp_path / "endpoints").mkdir()
    name = endpoint_store._write_part(tmp_path, frame)
    meta = pq.ParquetFile(tmp_path / "endpoints" / name).metadata.row_group(0)
    assert [meta.column(i).compression for i in range(4)] == ["UNCOMPRESSED"] * 3 + ["LZ4"]
    assert pl.read_parquet(tmp_path / "endpoints" / name).equals(frame)


def test_a_rolled_back_import_leaves_no_files(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(5)))
    before = part_files(project)
    bad = email_rows(5, start=5) + [["x1", "EMAIL", "not-an-address", "u", "pro", 1]]
    with pytest.raises(InputError, match="strict"):
        project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, bad), strict=True)
    assert part_files(project) == before and project.endpoints.count().endpoints == 5


def test_leftovers_of_a_killed_write_are_removed_by_a_later_write(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(5)))
    directory = project.path / "endpoints"
    old = directory / "part-19990101T000000-deadbeef00.parquet"
    fresh = directory / "part-19990101T000000-deadbeef01.parquet"
    half = directory / ".part-19990101T000000-deadbeef02.parquet.tmp"
    for path in (old, fresh, half):
        path.write_bytes(b"PAR1 not really")
    stale = time.time() - endpoint_store.ORPHAN_GRACE_SECONDS - 60
    os.utime(old, (stale, stale))
    os.utime(half, (stale, stale))
    assert project.endpoints.count().endpoints == 5  # files no list names are never read
    project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, email_rows(5, start=5)))
    assert not old.exists() and not half.exists()
    assert fresh.exists()  # young: another connection may be about to commit it
    assert project.endpoints.count().endpoints == 10


def test_the_view_is_empty_but_typed_before_any_import(project):
    frame = project.endpoints.frame()
    assert frame.height == 0 and frame.schema["EffectiveDate"] == pl.Datetime("us")
    assert project.endpoints.count().endpoints == 0


def test_one_import_of_a_csv_and_a_json_file_with_the_same_attribute(project, tmp_path):
    """The CSV reader keeps a single-header attribute as strings, JSON gives lists: one import takes both."""
    csv_file = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(2))
    json_file = tmp_path / "b.jsonl"
    json_file.write_text(
        '{"Id": "j1", "ChannelType": "EMAIL", "Address": "j@example.com", "Attributes": {"plan": ["pro", "team"]}}\n',
        encoding="utf-8",
    )
    result = project.endpoints.import_files(csv_file, json_file)
    assert result.imported == 3 and result.rejected == 0
    plans = dict(project.endpoints.frame(["Id", "Attributes.plan"]).rows())
    assert plans == {"e0": ["free"], "e1": ["pro"], "j1": ["pro", "team"]}


def test_raw_address_is_stored_only_where_it_differs(project, tmp_path):
    header = ["Id", "ChannelType", "Address"]
    rows = [["s1", "SMS", "+1 (206) 555-0100"], ["m1", "EMAIL", "a@example.com"]]
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", header, rows))
    seen = dict(project.query("SELECT Id, RawAddress FROM endpoints").rows())
    assert seen == {"s1": "+1 (206) 555-0100", "m1": "a@example.com"}
    (name,) = part_files(project)
    stored = pl.read_parquet(project.path / "endpoints" / name).sort("Id")
    assert stored.get_column("RawAddress").to_list() == [None, "+1 (206) 555-0100"]
    assert stored.get_column("Address").to_list() == ["a@example.com", "+12065550100"]


KILL_AT = """
import os, signal, sys
import pyarrow.parquet as pq
from workbench import Project
from workbench.store import endpoint_parts as endpoint_store

point = sys.argv[3]
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if point == "writing-a-part":  # half a file on disk, under its temporary name
    real = pq.write_table
    def write_table(table, where, **kw):
        real(table.slice(0, 10), where, **kw)
        die()
    pq.write_table = write_table
elif point == "parts-written":  # every new part renamed into place, the catalog not yet committed
    real = endpoint_store._write_parts
    endpoint_store._write_parts = lambda *args: (real(*args), die())[0]
elif point == "committed":  # committed, the superseded part not yet deleted
    endpoint_store.Write.committed = die
Project.open(sys.argv[1]).endpoints.import_files(sys.argv[2], progress=False)
"""


@pytest.mark.parametrize("point", ["writing-a-part", "parts-written", "committed"])
def test_a_kill_at_each_step_of_a_write_leaves_one_whole_state(project, tmp_path, monkeypatch, point):
    import signal
    import subprocess
    import sys

    project.endpoints.import_files(write_csv(tmp_path / "base.csv", EMAIL_HEADER, email_rows(300)))
    rows = [[*r[:4], "enterprise", 9] for r in email_rows(400)]  # updates 300 endpoints and adds 100
    big = write_csv(tmp_path / "big.csv", EMAIL_HEADER, rows)
    proc = subprocess.run([sys.executable, "-c", KILL_AT, str(project.path), str(big), point], check=False)
    assert proc.returncode == -signal.SIGKILL
    count = project.endpoints.count().endpoints
    plans = set(project.query('SELECT DISTINCT "Attributes.plan"[1] FROM endpoints').to_series().to_list())
    if point == "committed":
        assert count == 400 and plans == {"enterprise"}  # the new state, whole
    else:
        assert count == 300 and plans == {"free", "pro"}  # the old state, whole
    leftovers = set((project.path / "endpoints").iterdir()) - {
        project.path / "endpoints" / n for n in listed_parts(project)
    }
    assert leftovers  # a half file, unlisted parts or a superseded part stay behind ...
    monkeypatch.setattr(endpoint_store, "ORPHAN_GRACE_SECONDS", 0)
    project.endpoints.import_files(big)  # run again: finishes the import, or skips it when it was committed
    assert project.endpoints.count().endpoints == 400
    project.endpoints.import_files(write_csv(tmp_path / "more.csv", EMAIL_HEADER, email_rows(5, start=400)))
    assert project.endpoints.count().endpoints == 405  # ... and a later write removes the leftovers
    assert part_files(project) == listed_parts(project)
    assert not list((project.path / "endpoints").glob(".*"))


def test_columns_without_nulls_are_stored_as_required(tmp_path):
    import pyarrow.parquet as pq

    frame = pl.DataFrame(
        {"Id": ["a", "b", "c"], "Address": ["x@y.io", None, "z@y.io"], "Metrics.m": [1.0, 2.0, 3.0]}
    )
    (tmp_path / "endpoints").mkdir()
    name = endpoint_store._write_part(tmp_path, frame)
    schema = pq.ParquetFile(tmp_path / "endpoints" / name).schema
    assert [schema.column(i).max_definition_level for i in range(3)] == [0, 1, 0]  # 0: required, no levels
    assert pl.read_parquet(tmp_path / "endpoints" / name).equals(frame)
