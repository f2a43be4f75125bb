"""One rejects model for endpoint and event imports: ``Reject(file, line, field, reason)`` and one writer of
``imports/<id>-rejects.csv`` (header file,line,field,reason; written atomically)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from workbench.ingest import ImportRejectedError
from workbench.ingest.rejects import FRAME_SCHEMA, Reject, rejects_frame, write_rejects


def read_rows(path: str | Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_endpoint_and_event_rejects_have_one_shape(project, tmp_path):
    endpoints = tmp_path / "endpoints.csv"
    endpoints.write_text("Id,ChannelType,Address\na,EMAIL,not-an-address\nb,FAX,123\n", encoding="utf-8")
    events = tmp_path / "events.jsonl"
    good = {
        "event_type": "_session.start",
        "event_timestamp": 1_767_225_600_000,
        "client": {"client_id": "c"},
    }
    events.write_text(json.dumps(good) + "\n" + json.dumps({"event_timestamp": 1}) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError) as rejected:  # every row is bad: nothing imported
        project.endpoints.import_files(endpoints, progress=False)
    endpoint_rows = read_rows(rejected.value.result.rejects_file)
    event_rows = read_rows(project.events.import_files(events, progress=False).rejects_file)
    assert endpoint_rows[0] == event_rows[0] == ["file", "line", "field", "reason"]
    assert [r[:3] for r in endpoint_rows[1:]] == [
        [str(endpoints), "2", "Address"],
        [str(endpoints), "3", "ChannelType"],
    ]
    assert [r[:2] for r in event_rows[1:]] == [[str(events), "2"]] and len(event_rows[1]) == 4


def test_a_frame_of_rejects_is_written_in_file_and_line_order(tmp_path):
    frame = pl.DataFrame(
        [("b.csv", 2, "Id", "x"), ("a.csv", 9, "", "y"), ("a.csv", 3, "Address", "z")],
        schema=FRAME_SCHEMA,
        orient="row",
    )
    out = write_rejects(tmp_path / "imports" / "r-rejects.csv", frame)
    assert read_rows(out) == [
        ["file", "line", "field", "reason"],
        ["a.csv", "3", "Address", "z"],
        ["a.csv", "9", "", "y"],
        ["b.csv", "2", "Id", "x"],
    ]


def test_rejects_replace_a_file_whole_and_leave_no_partial_file(tmp_path):
    out = tmp_path / "r-rejects.csv"
    out.write_text("old content that is longer than the new one\n" * 100)
    write_rejects(out, [Reject("f.csv", 2, "", "not a JSON object")])
    assert read_rows(out) == [["file", "line", "field", "reason"], ["f.csv", "2", "", "not a JSON object"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-rejects.csv"]


def test_a_reject_is_a_row_of_the_frame():
    rejects = [Reject("f.csv", 4, "Address", "bad"), Reject("f.csv", None, "", "whole file")]
    assert rejects[0] == ("f.csv", 4, "Address", "bad") and rejects[0].field == "Address"
    assert rejects_frame(rejects).rows() == [tuple(rejects[0]), tuple(rejects[1])]
    assert rejects_frame().schema == pl.Schema(FRAME_SCHEMA)
