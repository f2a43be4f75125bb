"""Events CSV edge cases: broken quoting, cells over the csv module's default size, other separators.

The event reader reads as the endpoint reader does (strict csv module): a quote left open to the end of the
file refuses the whole file, a badly quoted row is a reject with its line, and legal CSV (quoted line breaks,
quotes written twice) still reads, each record numbered by the line it starts on.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import InputError
from workbench.ingest.event_records import iter_csv_records, parse_records
from workbench.ingest.rejects import Reject

NOW = datetime(2026, 11, 1)
HEADER = "event_type,event_timestamp,client_id,attributes.a"
UNCLOSED = (
    "unclosed quote starting at line 4: the quoted cell runs to the end of the file; close it, or write a "
    'quote inside a cell as two quotes ("")'
)


def hundred_events(bad_row: str | None = None, at: int = 3) -> str:
    """A header and 100 good events (lines 2-101); ``bad_row`` replaces the one on line ``at + 1``."""
    rows = [HEADER] + [f"e{i},2026-10-01T00:00:{i % 60:02d}Z,c1,ok" for i in range(1, 101)]
    if bad_row is not None:
        rows[at] = bad_row
    return "\n".join(rows) + "\n"


def test_a_quote_left_open_to_the_end_of_the_file_refuses_the_file():
    data = hundred_events('e3,2026-10-01T00:00:03Z,c1,"oops').encode()
    with pytest.raises(InputError) as err:
        list(iter_csv_records(data, "unc100.csv"))
    assert err.value.to_dict() == {
        "file": "unc100.csv",
        "line": 4,
        "field": "attributes.a",
        "reason": UNCLOSED,
    }


def test_an_unclosed_quote_records_nothing(project, tmp_path):
    src = tmp_path / "unc100.csv"
    src.write_text(hundred_events('e3,2026-10-01T00:00:03Z,c1,"oops'))
    with pytest.raises(InputError, match="unclosed quote starting at line 4"):
        project.events.import_files(src)
    assert project.events.frame().height == 0


def test_a_badly_quoted_row_is_a_reject_and_the_rows_after_it_are_read():
    # text after a closing quote: that row only is rejected, with its line
    data = hundred_events('e3,2026-10-01T00:00:03Z,c1,"oo"ps').encode()
    out = list(iter_csv_records(data, "f.csv"))
    assert len(out) == 100
    line, record, error = out[2]
    assert (line, record) == (4, None)
    assert error.startswith("badly quoted cell (',' expected after '\"'): a quoted cell ends at its")
    assert [o[0] for o in out] == list(range(2, 102))
    assert all(r is not None for _, r, _ in out[3:])


def test_a_badly_quoted_record_over_several_lines_names_them():
    text = f'{HEADER}\ne1,1,c1,ok\ne2,1,c1,"opens\ne3,1,c1,closes"here\ne4,1,c1,ok\n'
    out = list(iter_csv_records(text.encode(), "f.csv"))
    assert [(line, r is None) for line, r, _ in out] == [(2, False), (3, True), (5, False)]
    assert "(the record runs from line 3 to line 4)" in out[1][2]


def test_a_stray_quote_inside_an_unquoted_cell_is_part_of_it():
    text = f'{HEADER}\ne1,1,c1,o"k\ne2,1,c1,ok\n'
    out = list(iter_csv_records(text.encode(), "f.csv"))
    assert [(line, r["attributes"]) for line, r, _ in out] == [(2, {"a": 'o"k'}), (3, {"a": "ok"})]


def test_quoted_line_breaks_still_read_with_the_records_first_line():
    text = f'{HEADER}\ne1,1,c1,"two\nlines"\r\ne2,1,c1,"say ""hi"""\ne3,1,c1,"a\rb"\ne4,1,c1,x\n'
    out = list(iter_csv_records(text.encode(), "f.csv"))
    assert [(line, r["attributes"]["a"]) for line, r, _ in out] == [
        (2, "two\nlines"),
        (4, 'say "hi"'),
        (5, "a\rb"),
        (7, "x"),
    ]


def test_a_cell_over_the_csv_modules_default_limit_is_a_reject_naming_its_field():
    data = f"{HEADER}\ne1,2026-10-01T00:00:00Z,c1,{'y' * 140_000}\ne2,2026-10-01T00:00:00Z,c1,ok\n".encode()
    frame, rejects = parse_records(iter_csv_records(data, "bigcell.csv"), "bigcell.csv", NOW)
    assert rejects == [
        Reject(
            "bigcell.csv",
            2,
            "attributes.a",
            "value of 140000 characters; Pinpoint allows at most 200 and drops the event",
        )
    ]
    assert frame.get_column("event_type").to_list() == ["e2"]


@pytest.mark.parametrize(
    ("separator", "word"), [(";", "semicolons"), ("\t", "tabs"), ("|", "pipes")], ids=["semi", "tab", "pipe"]
)
def test_a_file_with_another_separator_is_told_to_use_commas(separator, word):
    text = separator.join(["event_type", "event_timestamp", "client_id"]) + "\n"
    text += separator.join(["e1", "2026-10-01T00:00:00Z", "c1"]) + "\n"
    with pytest.raises(InputError) as err:
        list(iter_csv_records(text.encode(), "semi.csv"))
    assert err.value.to_dict() == {
        "file": "semi.csv",
        "line": 1,
        "field": None,
        "reason": f"the header is one column holding {word}: the file looks {word}-separated, but event CSV "
        "files are comma-separated; re-save it with commas",
    }


def test_a_header_with_a_quote_left_open_is_refused_at_line_1():
    with pytest.raises(InputError) as err:
        list(iter_csv_records(b'event_type,"event_timestamp,client_id\ne1,1,c1\n', "h.csv"))
    assert (err.value.line, err.value.reason.split(" (")[0]) == (1, "the header's quoting is broken")


# --- fuzz: CSV written with random quoting reads back cell for cell, at the right lines --------------------

COLUMNS = ["event_type", "event_timestamp", "client_id", "attributes.a", "metrics.m"]
CELL = st.text(alphabet="\",;\n\r ab'é", max_size=8)
ROWS = st.lists(st.lists(CELL, min_size=len(COLUMNS), max_size=len(COLUMNS)), min_size=1, max_size=8)
QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
LINE_END = st.sampled_from(["\r\n", "\n"])


def write_csv(rows: list[list[str]], quoting: int, line_end: str) -> list[str]:
    """Each record's text as the csv module writes it (the header first)."""
    out = []
    for row in [COLUMNS, *rows]:
        buffer = io.StringIO()
        csv.writer(buffer, quoting=quoting, lineterminator=line_end).writerow(row)
        out.append(buffer.getvalue())
    return out


def expected_record(row: list[str]) -> dict:
    record: dict = {"attributes": {}, "metrics": {}}
    for name, value in zip(COLUMNS, row, strict=True):
        if value:
            family, _, key = name.partition(".")
            if key:
                record[family][key] = value
            else:
                record[name] = value
    return record


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, quoting=QUOTING, line_end=LINE_END)
def test_fuzz_csv_written_with_random_quoting_reads_back(rows, quoting, line_end):
    if line_end == "\n" and quoting == csv.QUOTE_MINIMAL:
        # (the csv module quotes a cell holding a line end's characters only: a lone CR would go unquoted)
        rows = [[c.replace("\r", "") for c in row] for row in rows]
    records = write_csv(rows, quoting, line_end)
    text = "".join(records)
    kept = [(i, row) for i, row in enumerate(rows) if any(row)]
    if not kept:
        with pytest.raises(InputError, match="only a header"):
            list(iter_csv_records(text.encode(), "f.csv"))
        return
    # a record starts on the line after all the line ends (LF, CRLF, lone CR) of the records before it
    starts = [1]
    for record in records:
        starts.append(starts[-1] + len(re.findall(r"\r\n|\r|\n", record)))
    expected = [(starts[i + 1], expected_record(row), None) for i, row in kept]
    assert list(iter_csv_records(text.encode(), "f.csv")) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, quoting=QUOTING, where=st.floats(0, 1), quote=st.sampled_from(['"', '"x', 'x"']))
def test_fuzz_a_stray_quote_is_an_input_error_or_rejects_never_a_crash(rows, quoting, where, quote):
    text = "".join(write_csv(rows, quoting, "\n"))
    header_end = text.index("\n") + 1
    at = header_end + int(where * (len(text) - header_end))
    text = text[:at] + quote + text[at:]
    lines = len(re.findall(r"\r\n|\r|\n", text)) + 1
    try:
        out = list(iter_csv_records(text.encode(), "f.csv"))
    except InputError as err:
        assert err.file == "f.csv"
        if err.reason.startswith("unclosed quote"):
            assert 2 <= err.line <= lines
            assert err.reason.startswith(f"unclosed quote starting at line {err.line}:")
        else:
            assert "only a header" in err.reason
        return
    numbers = [line for line, _, _ in out]
    assert numbers == sorted(set(numbers)) and all(2 <= n <= lines for n in numbers)
    for _line, record, error in out:
        assert (record is None) != (error is None)


PLAIN_CELL = st.text(alphabet="ab é;'", max_size=6)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(PLAIN_CELL, min_size=5, max_size=5), min_size=1, max_size=8),
    row_at=st.floats(0, 1),
    column=st.integers(0, len(COLUMNS) - 1),
    blank_lines=st.integers(0, 2),
)
def test_fuzz_a_quote_opened_and_never_closed_names_its_line_and_field(rows, row_at, column, blank_lines):
    row = int(row_at * (len(rows) - 1))
    rows[row][column] = '"' + rows[row][column]
    lines = [",".join(COLUMNS), *(",".join(r) for r in rows)]
    lines += [""] * blank_lines  # blank lines after it are swallowed too
    with pytest.raises(InputError) as err:
        list(iter_csv_records(("\n".join(lines) + "\n").encode(), "f.csv"))
    assert (err.value.line, err.value.field) == (row + 2, COLUMNS[column])
    assert err.value.reason.startswith(f"unclosed quote starting at line {row + 2}: ")
