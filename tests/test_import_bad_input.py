"""Bad input: a clear error naming file, line and field, and nothing half-written."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench import InputError


def assert_untouched(project, endpoints: int = 0):
    assert project.endpoints.count().endpoints == endpoints
    assert project.query("SELECT count(*) FROM imports").item() == (1 if endpoints else 0)


def test_non_utf8_bytes_name_the_byte_offset(project, tmp_path):
    src = tmp_path / "latin1.csv"
    src.write_bytes(b"Id,ChannelType,Address\ne1,EMAIL,a@example.com\ne2,EMAIL,Jos\xe9@example.com\n")
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(src)
    offset = src.read_bytes().index(b"\xe9")
    assert f"byte offset {offset}" in str(err.value) and "0xe9" in str(err.value)
    assert err.value.line == 3 and err.value.file == str(src) and err.value.field == "Address"
    assert_untouched(project)


def test_empty_file_and_header_only(project, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        project.endpoints.import_files(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("Id,ChannelType,Address\n")
    with pytest.raises(InputError, match="only a header"):
        project.endpoints.import_files(header_only)
    assert_untouched(project)


def test_unknown_columns_are_listed_with_close_matches(project, tmp_path):
    src = write_csv(
        tmp_path / "a.csv",
        ["Id", "ChanelType", "Adress", "Demographic.Platfrom", "Color"],
        [["a", "EMAIL", "a@example.com", "ios", "red"]],
    )
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(src)
    message = str(err.value)
    assert "'ChanelType' (did you mean ChannelType" in message
    assert "'Adress' (did you mean Address" in message
    assert "'Demographic.Platfrom' (did you mean Demographic.Platform" in message
    assert "'Color'" in message and err.value.line == 1
    assert_untouched(project)


@pytest.mark.parametrize("delimiter,word", [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_delimiter(project, tmp_path, delimiter, word):
    src = tmp_path / "a.csv"
    src.write_text(
        delimiter.join(["Id", "ChannelType", "Address"])
        + "\n"
        + delimiter.join(["a", "EMAIL", "a@example.com"])
        + "\n"
    )
    with pytest.raises(InputError, match=f"{word}-separated"):
        project.endpoints.import_files(src)
    assert_untouched(project)


def test_truncated_gzip(project, tmp_path):
    body = "\n".join(
        json.dumps({"Id": f"e{i}", "ChannelType": "EMAIL", "Address": f"p{i}@example.com"})
        for i in range(2000)
    )
    data = gzip.compress(body.encode())
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated gzip") as err:
        project.endpoints.import_files(src)
    assert err.value.file == str(src)
    assert_untouched(project)


def test_gzip_bomb_is_refused_while_decompressing(project, tmp_path):
    src = tmp_path / "bomb.csv.gz"
    src.write_bytes(gzip.compress(b"Id,ChannelType,Address\n" + b"\0" * (300 << 20)))
    assert src.stat().st_size < 1 << 20
    with pytest.raises(InputError, match="decompression bomb"):
        project.endpoints.import_files(src)
    assert_untouched(project)


def test_deeply_nested_json_is_a_rejected_row(project, tmp_path):
    deep = '{"Attributes":' * 50_000 + "{}" + "}" * 50_000  # deeper than Python's recursion limit, < 1 MB
    src = tmp_path / "deep.jsonl"
    lines = [json.dumps({"Id": "ok", "ChannelType": "EMAIL", "Address": "ok@example.com"}), deep]
    src.write_text("\n".join(lines) + "\n")
    result = project.endpoints.import_files(src)
    assert result.imported == 1 and result.rejected == 1
    with open(result.rejects_file, newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["line"] == "2" and "nested" in row["reason"]


def test_a_100_mb_single_line(project, tmp_path):
    src = tmp_path / "huge.csv"
    with open(src, "w") as fh:
        fh.write("Id,ChannelType,Address,Attributes.note\n")
        fh.write("small,EMAIL,s@example.com,hello\n")
        fh.write("big,EMAIL,b@example.com," + "x" * (100 << 20) + "\n")
    result = project.endpoints.import_files(src)
    assert result.imported == 1 and result.rejected == 1
    with open(result.rejects_file, newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["line"] == "3" and row["field"] == "Attributes.note"
    jsonl = tmp_path / "huge.jsonl"
    with open(jsonl, "w") as fh:
        fh.write(json.dumps({"Id": "j", "ChannelType": "EMAIL", "Address": "j@example.com"}) + "\n")
        fh.write(
            json.dumps(
                {
                    "Id": "k",
                    "ChannelType": "EMAIL",
                    "Address": "k@example.com",
                    "Attributes": {"n": ["y" * (100 << 20)]},
                }
            )
            + "\n"
        )
    result = project.endpoints.import_files(jsonl)
    assert result.imported == 1 and result.rejected == 1


def test_missing_required_field_and_duplicate_ids(project, tmp_path):
    src = write_csv(
        tmp_path / "a.csv",
        EMAIL_HEADER,
        [
            ["e1", "EMAIL", "one@example.com", "u1", "free", 1],
            ["", "EMAIL", "", "u2", "free", 1],
            ["e1", "EMAIL", "again@example.com", "u1", "pro", 2],
        ],
    )
    result = project.endpoints.import_files(src)
    with open(result.rejects_file, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["file"], r["line"], r["field"]) for r in rows] == [
        (str(src), "3", "Address"),
        (str(src), "4", "Id"),
    ]
    assert "duplicate Id 'e1'" in rows[1]["reason"] and ":2" in rows[1]["reason"]
    assert project.endpoints.frame(where="Id = 'e1'").item(0, "Address") == "one@example.com"


def test_ragged_rows_are_rejected_not_shifted(project, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("Id,ChannelType,Address\na,EMAIL,a@example.com\nb,EMAIL,b@example.com,extra\n")
    result = project.endpoints.import_files(src)
    assert result.imported == 1 and result.rejected == 1


def test_cli_error_names_file_line_and_field(project, tmp_path):
    src = tmp_path / "bad.csv"
    src.write_bytes(b"Id,ChannelType,Address\ne1,EMAIL,\xff@example.com\n")
    proc = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "import", str(src), "--project", str(project.path), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"{src}:2: field Address:" in proc.stderr and "byte offset 32" in proc.stderr


KILL_SCRIPT = """
import sys
from workbench import Project
Project.open(sys.argv[1]).endpoints.import_files(sys.argv[2], progress=False)
print("done", flush=True)
"""


def test_an_import_killed_halfway_leaves_the_project_as_it_was(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "base.csv", EMAIL_HEADER, email_rows(1000)))
    rows = email_rows(1000) + email_rows(120_000, start=1000)
    rows = [[*r[:4], "enterprise", 9] for r in rows]  # updates 1000 endpoints and adds 120k
    big = write_csv(tmp_path / "big.csv", EMAIL_HEADER, rows)
    outcomes = []
    # (the import itself takes about half a second on a quiet machine: the first kills land inside it)
    for delay in (0.3, 0.5, 0.8, 1.4, 2.0, 2.6, 3.2):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(project.path), str(big)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        outcomes.append(proc.returncode)
        count = project.endpoints.count().endpoints
        plans = project.query(
            "SELECT DISTINCT \"Attributes.plan\"[1] AS p FROM endpoints WHERE Id = 'e1'"
        ).item()
        imported = project.query("SELECT count(*) FROM imports").item()
        if count == 1000:  # the old state, whole
            assert plans == "pro" and imported == 1
        else:  # the new state, whole
            assert count == 121_000 and plans == "enterprise" and imported == 2
            break
    assert -signal.SIGKILL in outcomes  # at least one run really died mid-way
    result = project.endpoints.import_files(big)  # and the import can simply be run again
    assert project.endpoints.count().endpoints == 121_000
    assert result.imported in (0, 120_000)
