"""The read and check stages on their own (no project, no write side): single-header attribute columns as
strings, and each fast path held to the exact answer it stands in for."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import InputError
from workbench.ingest import readers, source
from workbench.ingest.readers import read_csv
from workbench.ingest.validate import (
    _EMAIL,
    _all_distinct,
    _normalise_text,
    email_syntax_ok,
    validate,
)

REJECT_COLUMNS = ["__file", "__line", "field", "reason"]
#: Rust's (and so Polars' ``str.strip_chars``) whitespace: the characters with Unicode's White_Space property
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def stage(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> readers.Staged:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return read_csv(source.read_input(path))


def check(staged: readers.Staged) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = staged.frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order"))
    return validate(frame, None)


def csv_text(header: list[str], rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# --- attribute columns as strings (a single header) --------------------------------------------------------


def test_single_header_attributes_are_strings_and_repeated_ones_lists(tmp_path):
    staged = stage(
        tmp_path,
        csv_text(
            [
                "Id",
                "ChannelType",
                "Address",
                "Attributes.plan",
                "Attributes.tag",
                "Attributes.tag",
                "User.UserAttributes.n",
            ],
            [
                ["a", "EMAIL", "a@example.com", "  pro  ", " x ", "", "Ana"],
                ["b", "EMAIL", "b@example.com", " \t ", "", "", ""],
                ["c", "EMAIL", "c@example.com", "free", "y", "z", "\u3000Kim\u00a0"],
            ],
        ),
    )
    frame = staged.frame
    assert frame.schema["Attributes.plan"] == pl.String
    assert frame.schema["User.UserAttributes.n"] == pl.String
    assert frame.schema["Attributes.tag"] == pl.List(pl.String)
    valid, rejects = check(staged)
    assert rejects.height == 0
    assert valid.get_column("Attributes.plan").to_list() == ["pro", None, "free"]  # trimmed; blank -> null
    assert valid.get_column("Attributes.tag").to_list() == [["x"], None, ["y", "z"]]
    assert valid.get_column("User.UserAttributes.n").to_list() == ["Ana", None, "Kim"]  # Unicode whitespace
    assert valid.schema["Attributes.plan"] == pl.String


def test_string_attribute_value_length_counts_characters(tmp_path):
    staged = stage(
        tmp_path,
        csv_text(
            ["Id", "ChannelType", "Address", "Attributes.note", "Attributes.other"],
            [
                ["a", "EMAIL", "a@example.com", "v" * 101, "ok"],
                ["b", "EMAIL", "b@example.com", "ü" * 100, "ok"],  # 200 bytes, 100 characters: allowed
                ["c", "EMAIL", "c@example.com", "é" * 101, "ok"],
                ["d", "EMAIL", "d@example.com", " " + "v" * 100 + " ", "ok"],  # 100 once trimmed
                ["e", "EMAIL", "e@example.com", "ok", "w" * 150],
            ],
        ),
    )
    valid, rejects = check(staged)
    assert valid.get_column("Id").to_list() == ["b", "d"]
    assert rejects.select(REJECT_COLUMNS[1:]).rows() == [
        (2, "Attributes.note", "a value has 101 characters; Pinpoint allows at most 100"),
        (4, "Attributes.note", "a value has 101 characters; Pinpoint allows at most 100"),
        (6, "Attributes.other", "a value has 150 characters; Pinpoint allows at most 100"),
    ]


def test_first_failing_attribute_column_in_frame_order_is_the_reason(tmp_path):
    # a list column (repeated header) before a string column: both break the length limit
    header = ["Id", "ChannelType", "Address", "Attributes.l", "Attributes.l", "Attributes.s"]
    staged = stage(tmp_path, csv_text(header, [["a", "EMAIL", "a@example.com", "x" * 120, "y", "z" * 130]]))
    _, rejects = check(staged)
    assert rejects.select("field", "reason").rows() == [
        ("Attributes.l", "a value has 120 characters; Pinpoint allows at most 100")
    ]


def test_more_than_50_values_only_for_lists(tmp_path):
    header = ["Id", "ChannelType", "Address", *["Attributes.many"] * 51]
    rows = [
        ["a", "EMAIL", "a@example.com", *[f"v{i}" for i in range(51)]],
        ["b", "EMAIL", "b@example.com", *[f"v{i}" for i in range(50)], ""],
    ]
    valid, rejects = check(stage(tmp_path, csv_text(header, rows)))
    assert valid.get_column("Id").to_list() == ["b"]
    assert rejects.select("__line", "field", "reason").rows() == [
        (2, "Attributes.many", "51 values; Pinpoint allows at most 50")
    ]


def test_endpoint_size_counts_string_attributes(tmp_path):
    header = ["Id", "ChannelType", "Address", *[f"Attributes.a{i}" for i in range(160)]]
    big = ["big", "EMAIL", "big@example.com", *["v" * 100] * 160]
    small = ["small", "EMAIL", "small@example.com", *["v" * 100] * 2, *[""] * 158]
    valid, rejects = check(stage(tmp_path, csv_text(header, [big, small])))
    assert valid.get_column("Id").to_list() == ["small"]
    assert rejects.select("__line", "field", "reason").rows() == [
        (2, "", "endpoint of 16023 bytes; Pinpoint allows at most 15,360")
    ]


def test_string_and_list_attributes_checked_alike_from_a_plain_frame():
    """validate on a frame built by hand (or from JSON): it trims strings (list values come trimmed from the
    readers), and applies every limit to both kinds."""
    frame = pl.DataFrame(
        {
            "__file": ["f"] * 4,
            "__line": [1, 2, 3, 4],
            "Id": ["a", "b", " c ", "d"],
            "ChannelType": ["email", "EMAIL", "EMAIL", "EMAIL"],
            "Address": [" a@example.com", "b@example.com", "c@example.com", "d@example.com"],
            "Attributes.s": [" x ", "", "\u2003", "y" * 101],
            "Attributes.l": [["p"], ["q"], None, ["r"] * 51],
        },
        schema_overrides={"Attributes.l": pl.List(pl.String)},
    ).with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order"))
    valid, rejects = validate(frame)
    assert valid.select("Id", "ChannelType", "Address", "Attributes.s", "Attributes.l").rows() == [
        ("a", "EMAIL", "a@example.com", "x", ["p"]),
        ("b", "EMAIL", "b@example.com", None, ["q"]),
        ("c", "EMAIL", "c@example.com", None, None),
    ]
    assert rejects.select("__line", "field", "reason").rows() == [
        (4, "Attributes.s", "a value has 101 characters; Pinpoint allows at most 100")
    ]


def test_validated_frame_contract(tmp_path):
    header = [
        "Id",
        "ChannelType",
        "Address",
        "EffectiveDate",
        "CreationDate",
        "Location.Latitude",
        "Location.Longitude",
        "Location.Country",
        "Metrics.score",
        "CohortId",
        "Attributes.one",
        "Attributes.two",
        "Attributes.two",
    ]
    rows = [
        [
            "a",
            "SMS",
            "(206) 555-0100",
            "2026-01-02T03:04:05Z",
            "2025-01-01",
            "47.6",
            "-122.3",
            "US",
            "3",
            "7",
            "x",
            "p",
            "q",
        ]
    ]
    valid, rejects = check(stage(tmp_path, csv_text(header, rows)))
    assert rejects.height == 0 and rejects.columns == REJECT_COLUMNS
    schema = valid.schema
    assert valid.columns[:2] == ["__file", "__line"] and "__order" in valid.columns
    assert schema["EffectiveDate"] == pl.Datetime("us") and schema["CreationDate"] == pl.Datetime("us")
    assert schema["Location.Latitude"] == pl.Float64 and schema["Metrics.score"] == pl.Float64
    assert schema["CohortId"] == pl.Int16
    assert schema["Attributes.one"] == pl.String and schema["Attributes.two"] == pl.List(pl.String)
    assert valid.row(0, named=True)["Address"] == "+12065550100"
    assert valid.row(0, named=True)["RawAddress"] == "(206) 555-0100"
    assert not [c for c in valid.columns if c.startswith("__") and c not in ("__file", "__line", "__order")]


# --- the CSV reader and validation's trim: cells, the ' prefix, line numbers ------------------------------------

CELLS = st.one_of(
    st.sampled_from(
        ["", "x", "a b", "pro", "'=1+2", "'+1206", "O'Brien", "é", "Zoë", "日本", "a,b", 'say "hi"', '""']
    ),
    st.text(alphabet="ab ,'\"\t\u00a0\u3000\u2003\u0085é\u00b7\u2019", max_size=6),
)
PAD = st.sampled_from(["", "", "", " ", "\t", "\u00a0", "\u3000", "\u2028", "\x0b", "  "])


def reference_cells(text: str) -> list[list[str | None]]:
    """The csv module's cells, trimmed (Rust's whitespace) and '' -> None, with the export's ' prefix undone."""
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    out = []
    for row in rows:
        cleaned = []
        for cell in row:
            if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                cell = cell[1:]
            cell = cell.strip("".join(WHITESPACE))
            cleaned.append(cell or None)
        out.append(cleaned)
    return out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(PAD, CELLS, PAD), min_size=3, max_size=3),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),  # QUOTE_ALL writes "" for an empty cell
)
def test_staged_cells_match_the_csv_module_trimmed(tmp_path_factory, rows, final_newline, quoting):
    """The reader (Polars' parse, the ' prefix undone) and validation's trim against the csv module with every
    cell trimmed and empty ones null; the rows keep their line numbers."""
    header = ["Id", "Demographic.Model", "Attributes.x"]
    text = csv_text(header, [["".join(cell) for cell in row] for row in rows], quoting)
    if not final_newline:
        text = text.rstrip("\n")
    if not text.split("\n", 1)[1].strip():
        return  # header only
    # a row without a value (every cell blank) is a blank line: skipped, and counted
    expected = [(n, row) for n, row in enumerate(reference_cells(text), 2) if any(c is not None for c in row)]
    if not expected:
        with pytest.raises(InputError, match="only a header"):
            stage(tmp_path_factory.mktemp("scan"), text)
        return
    staged = stage(tmp_path_factory.mktemp("scan"), text)
    trimmed, _ = _normalise_text(staged.frame, header)
    assert [list(r) for r in trimmed.select(header).rows()] == [row for _, row in expected]
    assert staged.frame.get_column("__line").to_list() == [n for n, _ in expected]
    assert staged.blank_lines == len(reference_cells(text)) - len(expected)


def test_a_row_blank_once_the_export_quote_is_undone_is_a_blank_line(tmp_path):
    """Our export writes a cell holding a tab as "'<tab>": once the prefix is undone the row is blank, and is
    skipped and counted like any blank line (found by the property test above)."""
    with pytest.raises(InputError, match="only a header"):
        stage(tmp_path, "Id,Demographic.Model,Attributes.x\n,,'\t\n", "only.csv")
    staged = stage(tmp_path, "Id,Demographic.Model,Attributes.x\na,,\n,'\t,\nb,,\n", "some.csv")
    assert staged.frame.get_column("__line").to_list() == [2, 4]
    assert staged.blank_lines == 1


def test_quoted_line_breaks_and_crlf_take_the_exact_reader(tmp_path):
    text = 'Id,ChannelType,Address,Attributes.note\na,EMAIL,a@example.com,"two\nlines"\nb,EMAIL, b@example.com ,x\n'
    staged = stage(tmp_path, text)
    assert staged.frame.get_column("__line").to_list() == [2, 4]
    valid, _ = check(staged)
    assert valid.get_column("Address").to_list() == ["a@example.com", "b@example.com"]
    crlf = stage(tmp_path, text.replace("\n", "\r\n").replace("two\r\nlines", "two\nlines"), "crlf.csv")
    assert crlf.frame.get_column("__line").to_list() == [2, 4]


def test_a_first_row_with_two_extra_fields_is_a_rejected_row(tmp_path):
    staged = stage(tmp_path, "Id,ChannelType,Address\na,EMAIL,a@example.com,x,y\nb,EMAIL,b@example.com\n")
    assert staged.rejects == [(str(tmp_path / "in.csv"), 2, "", "has more fields than the header's 3")]
    assert staged.frame.get_column("Id").to_list() == ["b"]


def test_list_column_from_repeated_headers_keeps_cell_order(tmp_path):
    rng = random.Random(3)
    rows = [
        [f"e{i}", "EMAIL", f"e{i}@example.com", *[rng.choice(["", "a", "b", " c "]) for _ in range(4)]]
        for i in range(500)
    ]
    staged = stage(tmp_path, csv_text(["Id", "ChannelType", "Address", *["Attributes.t"] * 4], rows))
    expected = [[v.strip() for v in r[3:] if v.strip()] or None for r in rows]
    assert staged.frame.get_column("Attributes.t").to_list() == expected


# --- read_input: UTF-8 check, hashing, empty files ----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=6),
            st.sampled_from(
                [
                    b"\xed\xa0\x80",
                    b"\xc0\x80",
                    b"\xf4\x90\x80\x80",
                    b"\xf0\x9f\x98\x80",
                    b"\xe2\x82",
                    b"\xef\xbb\xbf",
                    b"\xc3\xa9",
                    b"\xf5",
                ]
            ),
            st.text(max_size=4).map(str.encode),
        ),
        max_size=12,
    )
)
def test_the_fast_utf8_check_agrees_with_python(parts):
    data = b"".join(parts)
    try:
        data.decode("utf-8")
        python = True
    except UnicodeDecodeError:
        python = False
    assert source.utf8_valid(data) is python


def test_not_utf8_still_names_offset_line_and_field(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Id,ChannelType,Address\ne1,EMAIL,ok@example.com\ne2,EMAIL,Jos\xe9@example.com,\xff\n")
    with pytest.raises(InputError) as err:
        source.read_input(path)
    assert "0xe9 at byte offset 59" in str(err.value) and err.value.line == 3 and err.value.field == "Address"


def test_the_digest_is_of_the_raw_bytes(tmp_path):
    plain = tmp_path / "f.csv"
    plain.write_text(
        "Id,ChannelType,Address\n" + "".join(f"e{i},EMAIL,e{i}@example.com\n" for i in range(99))
    )
    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        text = source.read_input(path)
        assert text.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert text.data == plain.read_bytes() and text.compressed is (path == packed)


def test_empty_and_whitespace_only_files(tmp_path):
    for content in (b"", b" \n\t\n", b"\xef\xbb\xbf\n"):
        path = tmp_path / "e.csv"
        path.write_bytes(content)
        with pytest.raises(InputError, match="empty"):
            source.read_input(path)


# --- validation's whole-column tests --------------------------------------------------------------------------


SOME_CHARACTERS = st.one_of(
    st.sampled_from(sorted(WHITESPACE)),
    st.sampled_from("a!é\u0084\u0086\u3001\x1f"),
    st.characters(codec="utf-8"),
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=SOME_CHARACTERS, max_size=5))
def test_polars_strip_is_the_whitespace_set(value):
    """The readers trim list values with Python's str.strip and validation strips cells with Polars: the same
    set of whitespace characters, so a value is trimmed alike whichever way it came."""
    assert pl.Series([value], dtype=pl.String).str.strip_chars().item() == value.strip("".join(WHITESPACE))


LOCAL = st.one_of(
    st.sampled_from(["a", "a.b", ".a", "a.", "a..b", "a_b+c", "é", "o'k", "-", ""]),
    st.text(alphabet="ab.-_+!é'", max_size=6),
)
DOMAIN = st.one_of(
    st.sampled_from(
        ["example.com", "a.b", "-a.com", "a-.com", "a..com", "a.com.", "x" * 64 + ".com", "ex.co-uk"]
    ),
    st.lists(st.text(alphabet="ab-1.", max_size=5), min_size=1, max_size=3).map(".".join),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(LOCAL, st.sampled_from(["@", "@@", ""]), DOMAIN).map("".join), min_size=1, max_size=40)
)
def test_email_syntax_check_is_the_original_three_part_check(addresses):
    a = pl.col("a")
    original = a.str.contains(_EMAIL) & (a.str.len_chars() <= 254) & ~a.str.contains(r"\.\.|^\.|\.@")
    out = pl.DataFrame({"a": addresses}).select(original.alias("o"), email_syntax_ok(a).alias("n"))
    assert out.get_column("o").to_list() == out.get_column("n").to_list()


def test_all_distinct_fast_path_and_fallback():
    assert _all_distinct(pl.Series(["a", "b", "c"]))
    assert _all_distinct(pl.Series(["c", "a", "b"]))
    assert not _all_distinct(pl.Series(["a", "b", "b"]))
    assert not _all_distinct(pl.Series(["b", "a", "b"]))
    assert _all_distinct(pl.Series(["a"]))


def test_duplicate_ids_rejected_in_sorted_and_unsorted_files(tmp_path):
    for ids in (["a", "b", "b", "c"], ["c", "b", "a", "b"]):
        rows = [[i, "EMAIL", f"{n}@example.com"] for n, i in enumerate(ids)]
        valid, rejects = check(stage(tmp_path, csv_text(["Id", "ChannelType", "Address"], rows)))
        assert valid.height == 3 and rejects.select("field").to_series().to_list() == ["Id"]


def test_enumerations_upper_cased_only_where_needed(tmp_path):
    rows = [["a", "email", "a@example.com", "all"], ["b", " SMS ", "+12065550100", "NONE"]]
    valid, rejects = check(stage(tmp_path, csv_text(["Id", "ChannelType", "Address", "OptOut"], rows)))
    assert rejects.height == 0
    assert valid.select("ChannelType", "OptOut").rows() == [("EMAIL", "ALL"), ("SMS", "NONE")]


def test_push_tokens_with_any_whitespace_are_rejected(tmp_path):
    rows = [
        ["a", "APNS", "tok en"],
        ["b", "GCM", "tok\u00a0en"],  # not ASCII: the Unicode check
        ["c", "APNS", "tökén"],  # not ASCII, no whitespace
        ["d", "GCM", "token\u3000x"],
        ["e", "APNS", "plain"],
    ]
    valid, rejects = check(stage(tmp_path, csv_text(["Id", "ChannelType", "Address"], rows)))
    assert valid.get_column("Id").to_list() == ["c", "e"]
    assert rejects.select("__line", "field", "reason").rows() == [
        (2, "Address", "a push token cannot contain spaces"),
        (3, "Address", "a push token cannot contain spaces"),
        (5, "Address", "a push token cannot contain spaces"),
    ]


def test_phone_rows_without_an_address_column_get_an_empty_one(tmp_path):
    valid, rejects = check(stage(tmp_path, csv_text(["Id", "ChannelType"], [["a", "SMS"], ["b", "EMAIL"]])))
    assert rejects.height == 0
    assert valid.select("Id", "Address", "RawAddress").rows() == [("a", None, None), ("b", None, None)]


def test_a_carriage_return_past_the_first_line_takes_the_exact_reader(tmp_path):
    text = "Id,ChannelType,Address\n" + "".join(f"e{i},EMAIL,e{i}@example.com\n" for i in range(3000))
    staged = stage(tmp_path, text + "last,EMAIL,last@example.com\r\n")
    assert staged.frame.height == 3001 and staged.frame.get_column("__line").to_list()[-1] == 3002
    assert staged.frame.get_column("Address").to_list()[-1] == "last@example.com"


def test_a_push_token_with_only_unicode_whitespace_is_rejected(tmp_path):
    rows = [["b", "GCM", "tok\u00a0en"], ["c", "APNS", "tökén"]]
    valid, rejects = check(stage(tmp_path, csv_text(["Id", "ChannelType", "Address"], rows)))
    assert valid.get_column("Id").to_list() == ["c"]
    assert rejects.select("__line", "reason").rows() == [(2, "a push token cannot contain spaces")]


def test_hash_bounds_for_the_upsert_rules():
    from workbench.ingest.upsert import most_rows_per_value, surely_distinct

    users = pl.Series(["u1", "u2", None, "u1", None, "u3", "u1"])
    assert most_rows_per_value(users) == 3  # nulls are nobody's
    assert most_rows_per_value(pl.Series([None, None], dtype=pl.String)) == 0
    assert most_rows_per_value(pl.Series([f"u{i}" for i in range(10_000)])) == 1
    assert surely_distinct(pl.Series(["a@x.io", None, "b@x.io", None]))
    assert not surely_distinct(pl.Series(["a@x.io", "b@x.io", "a@x.io"]))


# --- number columns: read as text, typed by validation (and each bad cell named) -----------------------------

NUMBER_HEADER = ["Id", "ChannelType", "Address", "Location.Latitude", "Metrics.score"]


def numbers_rows(score: str) -> list[list[str]]:
    return [["a", "EMAIL", "a@example.com", " 47.5", "1e3"], ["b", "EMAIL", "b@example.com", "", score]]


def test_number_columns_are_typed_by_validation(tmp_path):
    staged = stage(tmp_path, csv_text(NUMBER_HEADER, numbers_rows("-.5")))
    valid, rejects = check(staged)
    assert valid.select("Location.Latitude", "Metrics.score").rows() == [(47.5, 1000.0), (None, -0.5)]
    assert rejects.is_empty()


@pytest.mark.parametrize(
    ("score", "reason"),
    [
        ("abc", "'abc' is not a number"),
        ("Infinity", "'Infinity' is not a number"),
        ("NaN", "'NaN' is not a number"),
        ("2.5 ", None),  # trailing whitespace: trimmed by validation
    ],
)
def test_a_cell_that_is_not_a_plain_number_is_named(tmp_path, score, reason):
    staged = stage(tmp_path, csv_text(NUMBER_HEADER, numbers_rows(score)))
    valid, rejects = check(staged)
    if reason is None:
        assert valid.get_column("Metrics.score").to_list() == [1000.0, 2.5] and rejects.is_empty()
    else:
        assert valid.get_column("Id").to_list() == ["a"]
        assert rejects.select("__line", "field", "reason").rows() == [(3, "Metrics.score", reason)]


def test_numbers_count_towards_the_endpoint_size_as_text(tmp_path):
    header = [*NUMBER_HEADER, *[f"Attributes.a{i}" for i in range(154)]]
    rows = [
        ["big", "EMAIL", "big@example.com", "47.5", "12345.5", *["v" * 100] * 154],
        ["small", "EMAIL", "small@example.com", "", "1", *["v" * 100] * 2, *[""] * 152],
    ]
    valid, rejects = check(stage(tmp_path, csv_text(header, rows)))
    assert valid.get_column("Id").to_list() == ["small"]
    # 154 x 100 + big, EMAIL, big@example.com and the numbers as text: "47.5", "12345.5"
    assert rejects.select("__line", "field", "reason").rows() == [
        (2, "", "endpoint of 15434 bytes; Pinpoint allows at most 15,360")
    ]
