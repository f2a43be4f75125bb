"""CSV edge cases of issue 11: every line ending reads the same way, blank lines are skipped and counted, cells
of any length are read and then judged by the endpoint limits, an unclosed quote is named, error messages
show control characters escaped, and an empty segment name is refused."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import pytest

from workbench import InputError
from workbench.cli import main

HEADER = "Id,ChannelType,Address,Attributes.note"
ROWS = ["a,EMAIL,a@example.com,one", "b,EMAIL,not-an-address,two", "c,EMAIL,c@example.com,three"]
ENDINGS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


def rejects_of(result) -> list[dict[str, str]]:
    if not result.rejects_file:
        return []
    with open(result.rejects_file, newline="") as fh:
        return list(csv.DictReader(fh))


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def outcome(project, src):
    result = project.endpoints.import_files(src, progress=False)
    stored = sorted(project.query('SELECT Id, Address, "Attributes.note"[1] FROM endpoints').rows())
    return (
        (result.rows, result.imported, result.rejected, result.blank_lines),
        [(r["line"], r["field"]) for r in rejects_of(result)],
        stored,
    )


@pytest.mark.parametrize("ending", ["CRLF", "CR", "mixed"])
def test_every_line_ending_reads_like_lf(tmp_path, ending):
    from workbench import Project

    lines = [HEADER, ROWS[0], "", ROWS[1], "   ", ROWS[2]]
    lf = tmp_path / "lf.csv"
    lf.write_bytes("\n".join(lines).encode() + b"\n")
    if ending == "mixed":  # (LF then CR is two line ends; CR then LF is one)
        ends = ["\r\n", "\n", "\r", "\r\n", "\r", "\n"]
        body = "".join(line + end for line, end in zip(lines, ends, strict=True))
    else:
        body = ENDINGS[ending].join(lines) + ENDINGS[ending]
    other = tmp_path / "other.csv"
    other.write_bytes(body.encode())
    expected = outcome(Project.create(tmp_path / "p1"), lf)
    assert expected[0] == (3, 2, 1, 2) and expected[1] == [("4", "Address")]
    assert outcome(Project.create(tmp_path / "p2"), other) == expected


@pytest.mark.parametrize("ending", ["LF", "CRLF", "CR"])
def test_blank_lines_are_skipped_and_counted_even_with_strict(project, tmp_path, ending):
    end = ENDINGS[ending]
    src = tmp_path / "blank.csv"
    # an empty line, one of spaces, a spreadsheet's empty row (commas only), and blank lines at the end
    src.write_bytes(end.join([HEADER, ROWS[0], "", " \t ", ",,,", ROWS[2], "", ""]).encode())
    code, out, err = cli("import", str(src), "--project", str(project.path), "--json", "--strict")
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["rows"], result["imported"], result["rejected"]) == (2, 2, 0)
    assert result["blank_lines"] == 4
    lines = [HEADER, ROWS[0], ROWS[1]]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(end.join([lines[0], "", lines[1], "", lines[2]]).encode())
    result = project.endpoints.import_files(bad)
    assert [(r["line"], r["field"]) for r in rejects_of(result)] == [
        ("5", "Address")
    ]  # lines count the blanks
    assert result.blank_lines == 2 and "blank lines skipped" in result.summary()


def test_blank_lines_before_the_header_and_in_json_lines(project, tmp_path):
    src = tmp_path / "lead.csv"
    src.write_bytes(("\n \n" + HEADER + "\n" + ROWS[0] + "\n" + ROWS[1] + "\n").encode())
    result = project.endpoints.import_files(src)
    assert (result.imported, result.blank_lines) == (1, 2)
    assert [(r["line"], r["field"]) for r in rejects_of(result)] == [("5", "Address")]
    jsonl = tmp_path / "a.jsonl"
    record = {"Id": "j", "ChannelType": "EMAIL", "Address": "j@example.com"}
    jsonl.write_bytes(b"\r\n" + json.dumps(record).encode() + b"\r\r\n")
    result = project.endpoints.import_files(jsonl)
    assert (result.imported, result.rejected, result.blank_lines) == (1, 0, 2)


def test_a_file_of_blank_lines_after_its_header_is_header_only(project, tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes((HEADER + "\r\n,,,\r\n\r\n").encode())
    with pytest.raises(InputError, match="only a header"):
        project.endpoints.import_files(src)


@pytest.mark.parametrize("shape", ["CRLF", "CR", "quoted line break"])
def test_a_cell_longer_than_the_csv_module_limit_is_a_rejected_row(project, tmp_path, shape):
    big = "y" * 200_000  # the csv module's default limit is 131,072 characters
    end = "\n" if shape == "quoted line break" else ENDINGS[shape]
    first = 'a,EMAIL,a@example.com,"two\nlines"' if shape == "quoted line break" else ROWS[0]
    src = tmp_path / "big.csv"
    src.write_bytes(
        end.join(
            [HEADER, first, f"b,EMAIL,b@example.com,{big}", f'c,EMAIL,c@example.com,"{big}"', ""]
        ).encode()
    )
    result = project.endpoints.import_files(src)
    assert (result.imported, result.rejected) == (1, 2)
    first_line = 2
    assert [(r["line"], r["field"]) for r in rejects_of(result)] == [
        (str(first_line + 1 + (shape == "quoted line break")), "Attributes.note"),
        (str(first_line + 2 + (shape == "quoted line break")), "Attributes.note"),
    ]


@pytest.mark.parametrize("ending", ["LF", "CRLF", "CR"])
def test_a_cell_over_15_kb_is_rejected_naming_its_field(project, tmp_path, ending):
    end = ENDINGS[ending]
    src = tmp_path / "wide.csv"
    rows = [
        "Id,ChannelType,Address,Demographic.Model",
        "a,EMAIL,a@example.com,m",
        f"b,EMAIL,b@example.com,{'m' * 300_000}",
    ]
    src.write_bytes((end.join(rows) + end).encode())
    result = project.endpoints.import_files(src)
    (reject,) = rejects_of(result)
    assert (reject["line"], reject["field"]) == ("3", "Demographic.Model")
    assert reject["reason"] == "endpoint of 300019 bytes; Pinpoint allows at most 15,360"


def test_not_utf8_after_a_long_quoted_cell_names_line_and_field(project, tmp_path):
    src = tmp_path / "latin1.csv"
    src.write_bytes(f'{HEADER}\r\na,EMAIL,a@example.com,"{"y" * 200_000}\xe9"\r\n'.encode("latin-1"))
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(src)
    assert (err.value.line, err.value.field) == (2, "Attributes.note") and "0xe9" in err.value.reason
    cr = tmp_path / "cr.csv"
    cr.write_bytes(f"{HEADER}\r{ROWS[0]}\rb,EMAIL,b\xe9@example.com,x\r".encode("latin-1"))
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(cr)
    assert (err.value.line, err.value.field) == (3, "Address")


def test_an_unclosed_quote_is_named_with_its_line(project, tmp_path):
    src = tmp_path / "open.csv"
    src.write_bytes(f'{HEADER}\n{ROWS[0]}\nb,EMAIL,"b@example.com,x\n{ROWS[2]}\n'.encode())
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(src)
    assert "unclosed quote starting at line 3" in str(err.value)
    assert (err.value.line, err.value.field) == (3, "Address")
    assert project.endpoints.count().endpoints == 0
    code, _, stderr = cli("import", str(src), "--project", str(project.path), "--json")
    assert code == 1 and "unclosed quote starting at line 3" in stderr


def test_a_misplaced_quote_is_a_rejected_row(project, tmp_path):
    src = tmp_path / "quote.csv"
    # (a quoted line break sends the file to the csv module, which reads the misplaced quote)
    src.write_bytes(
        f'{HEADER}\na,EMAIL,a@example.com,"two\nlines"\nb,EMAIL,"b@example.com"x,y\n{ROWS[2]}\n'.encode()
    )
    result = project.endpoints.import_files(src)
    assert (result.rows, result.imported, result.rejected) == (3, 2, 1)
    (reject,) = rejects_of(result)
    assert reject["line"] == "4" and "quote" in reject["reason"]


def test_control_characters_in_messages_are_escaped(project, tmp_path):
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(f"{HEADER}\n{ROWS[0]}\n".encode("utf-16-le"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(f"{HEADER}\n{ROWS[0]}\n".encode("utf-16"))
    escape = tmp_path / "esc.csv"
    escape.write_bytes(
        b"Id,ChannelType,Address,Color\x1b[2J\x07\n" + ROWS[0].rsplit(",", 1)[0].encode() + b",x\n"
    )
    for src, words in ((utf16, "UTF-16"), (bom, "UTF-16"), (escape, "unknown column")):
        code, _, stderr = cli("import", str(src), "--project", str(project.path))
        assert code == 1 and words in stderr
        assert all(ch == "\n" or ch >= " " for ch in stderr), repr(stderr)
    assert "Color\\x1b[2J\\x07" in stderr


def test_strict_message_escapes_the_rejected_value(project, tmp_path):
    src = tmp_path / "a.csv"
    src.write_bytes(b"Id,ChannelType,Address\na,EMAIL\x1b[2J,a@example.com\n")
    code, _, stderr = cli("import", str(src), "--project", str(project.path), "--strict")
    assert code == 1 and "\\x1b[2J" in stderr and "\x1b" not in stderr


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_segment_name_is_refused(project, tmp_path, name):
    src = tmp_path / "a.csv"
    src.write_text(f"{HEADER}\n{ROWS[0]}\n")
    code, out, stderr = cli("import", str(src), "--project", str(project.path), f"--segment={name}", "--json")
    assert code == 1 and out == "" and "segment name is empty" in stderr
    with pytest.raises(InputError, match="segment name is empty"):
        project.endpoints.import_files(src, segment=name)
    assert project.endpoints.count().endpoints == 0


def test_a_user_id_file_with_cr_line_ends(project, tmp_path):
    src = tmp_path / "a.csv"
    src.write_text("Id,ChannelType,Address,User.UserId\na,EMAIL,a@example.com,u1\nb,EMAIL,b@example.com,u2\n")
    project.endpoints.import_files(src)
    users = tmp_path / "users.csv"
    users.write_bytes(b"User.UserId\ru1\r\ru2\r")
    result = project.endpoints.import_files(users, segment="both")
    assert result.rejected == 0 and result.blank_lines == 1
    members = project.query(
        "SELECT endpoint_id FROM segment_members JOIN segments USING (segment_id) WHERE name = 'both'"
    )
    assert sorted(members.get_column("endpoint_id").to_list()) == ["a", "b"]
