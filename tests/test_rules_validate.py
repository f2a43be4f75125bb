"""README "Importing endpoints", the row rules of `workbench/ingest/validate.py`: the reject a user reads (file,
line, field and reason) for each rule, the normalised values a valid row is stored with, and the pure functions
that hold a rule (the e-mail syntax check, ISO dates, the stable generated Id).

`tests/test_rules_import.py` pins which rows each limit imports; this file pins the reason texts and the
typed, trimmed output. Known answers are written by hand (or, for the generated Id, computed with hashlib in
the test); the wording of email-validator and phonenumbers is the library's, passed through as it stands.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from workbench.ingest import readers, source
from workbench.ingest.validate import (
    _all_distinct,
    email_syntax_ok,
    generated_id,
    parse_datetime_series,
    validate,
)

CHANNEL_LIST = "PUSH, GCM, APNS, APNS_SANDBOX, APNS_VOIP, APNS_VOIP_SANDBOX, ADM, SMS, VOICE, EMAIL, BAIDU, CUSTOM, IN_APP"
NEEDS = "a new endpoint needs Address and ChannelType (an update of an existing endpoint needs its Id)"
EMAIL_BAD = "not a valid e-mail address: "
NO_REGION = (
    "not a phone number: not in international format (+...) and no Location.Country or import.default_region "
    "to read it with"
)
LIMIT = 15 * 1024  # an endpoint at most 15 KB


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def check(tmp_path: Path, header: list[str], rows: list[list[str]], region: str | None = None, name="in.csv"):
    """Read a CSV as the import does and validate it: (valid rows, rejects as (line, field, reason))."""
    path = tmp_path / name
    path.write_text(csv_text(header, rows), encoding="utf-8")
    frame = readers.read_csv(source.read_input(path)).frame
    valid, rejects = validate(
        frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order")), region
    )
    return valid, sorted(rejects.select("__line", "field", "reason").rows())


def check_frame(columns: dict, region: str | None = None, **dtypes):
    """Validate a frame built by hand (as a JSON file gives it: numbers, lists): (valid, rejects)."""
    n = len(next(iter(columns.values())))
    frame = pl.DataFrame(
        {"__file": ["f.json"] * n, "__line": list(range(1, n + 1)), **columns}, schema_overrides=dtypes
    )
    valid, rejects = validate(frame, region)
    return valid, sorted(rejects.select("__line", "field", "reason").rows())


# --- the rules table through an import: the rejects file names file, line, field and reason ----------------

HEADER = [
    "Id",
    "ChannelType",
    "Address",
    "OptOut",
    "EndpointStatus",
    "EffectiveDate",
    "CreationDate",
    "Location.Country",
    "Location.Latitude",
    "Location.Longitude",
    "CohortId",
    "Metrics.m",
    "User.UserAttributes.u",
    "Attributes.v",
    "Attributes.v",
]
LONG_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"  # 254 characters
assert len(LONG_EMAIL) == 254


def row(eid: str, **cells: str) -> list[str]:
    """A valid EMAIL endpoint unless ``cells`` say otherwise (``v1``, ``v2``: the repeated Attributes.v)."""
    base = {"Id": eid, "ChannelType": "EMAIL", "Address": f"{eid}@example.com", **cells}
    fixed = [base.get(h, "") for h in HEADER[:-2]]
    return [*fixed, base.get("v1", ""), base.get("v2", "")]


# (row, expected): None = imported, else (field, reason)
CASES: list[tuple[list[str], tuple[str, str] | None]] = [
    # ChannelType: one of the 13, read upper-cased; the reason names the value and the list
    (row("fax", ChannelType="fax", Address="x"), ("ChannelType", f"unknown channel type 'FAX'; one of {CHANNEL_LIST}")),
    (row("lower", ChannelType=" email "), None),
    # OptOut ALL / NONE and EndpointStatus ACTIVE / INACTIVE, upper-cased
    (row("optsome", OptOut="some"), ("OptOut", "'SOME' is not ALL or NONE")),
    (row("optall", OptOut="all"), None),
    (row("stgone", EndpointStatus="gone"), ("EndpointStatus", "'GONE' is not ACTIVE or INACTIVE")),
    (row("stinactive", EndpointStatus="inactive"), None),
    # a new endpoint needs Address and ChannelType: the field named is the one missing (ChannelType first)
    (row("", Address=""), ("Address", NEEDS)),
    (row("", ChannelType="", Address="nochan@example.com"), ("ChannelType", NEEDS)),
    (row("", ChannelType="", Address="", OptOut="NONE"), ("ChannelType", NEEDS)),
    # an Id needs neither here (the upsert then looks the Id up)
    (row("upd", ChannelType="", Address=""), ("Address", "no endpoint with Id 'upd' exists, and a new endpoint needs Address and ChannelType")),
    # e-mail addresses: the fast check, then email-validator's wording
    (row("twodots", Address="a..b@example.com"), ("Address", EMAIL_BAD + "An email address cannot have two periods in a row.")),
    (row("noat", Address="noat"), ("Address", EMAIL_BAD + "An email address must have an @-sign.")),
    (row("nodot", Address="a@example"), ("Address", EMAIL_BAD + "The part after the @-sign is not valid. It should have a period.")),
    (row("dotat", Address="a.@example.com"), ("Address", EMAIL_BAD + "An email address cannot have a period immediately before the @-sign.")),
    (row("long254", Address=LONG_EMAIL), None),
    (row("long255", Address=LONG_EMAIL.replace("d" * 57, "d" * 58)), ("Address", EMAIL_BAD + "The email address is too long (1 character too many).")),
    (row("intl", Address="josé@example.com"), None),  # not ASCII: the fast check says no, email-validator yes
    # phone numbers: E.164, national formats read with Location.Country
    (row("phint", ChannelType="SMS", Address="+1 206 555 0100"), None),
    (row("phgb", ChannelType="VOICE", Address="020 7946 0018", **{"Location.Country": "GB"}), None),
    (row("phnat", ChannelType="SMS", Address="(206) 555-0102"), ("Address", NO_REGION)),
    (row("phshort", ChannelType="SMS", Address="+1 555 0100"), ("Address", "not a valid phone number (not an assigned number range)")),
    # push tokens: no spaces
    (row("pushsp", ChannelType="GCM", Address="tok en"), ("Address", "a push token cannot contain spaces")),
    (row("pushok", ChannelType="APNS", Address="token-1"), None),
    # dates ISO 8601, both date columns
    (row("effbad", EffectiveDate="2026-13-01"), ("EffectiveDate", "'2026-13-01' is not an ISO 8601 date")),
    (row("crebad", CreationDate="yesterday"), ("CreationDate", "'yesterday' is not an ISO 8601 date")),
    (row("dates", EffectiveDate="2026-10-01T14:00:00+02:00", CreationDate="2025-01-31"), None),
    # numbers: the cell shown (its first 40 characters)
    (row("latabc", **{"Location.Latitude": "north"}), ("Location.Latitude", "'north' is not a number")),
    (row("metbad", **{"Metrics.m": "x" * 50}), ("Metrics.m", "'" + "x" * 40 + "' is not a number")),
    (row("metinf", **{"Metrics.m": "inf"}), ("Metrics.m", "'inf' is not a number")),
    (row("metnan", **{"Metrics.m": "nan"}), ("Metrics.m", "'nan' is not a number")),
    # latitude / longitude in range: the value and the range in the reason
    (row("lat91", **{"Location.Latitude": "90.5"}), ("Location.Latitude", "90.5 is outside -90.0..90.0")),
    (row("latm91", **{"Location.Latitude": "-90.5"}), ("Location.Latitude", "-90.5 is outside -90.0..90.0")),
    (row("lon181", **{"Location.Longitude": "-180.5"}), ("Location.Longitude", "-180.5 is outside -180.0..180.0")),
    (row("lonok", **{"Location.Longitude": "-179.5", "Location.Latitude": "89.5"}), None),
    # CohortId: a whole number 0-99
    (row("c1.5", CohortId="1.5"), ("CohortId", "CohortId must be a whole number 0-99")),
    (row("cabc", CohortId="abc"), ("CohortId", "CohortId must be a whole number 0-99")),
    (row("c100", CohortId="100"), ("CohortId", "CohortId must be a whole number 0-99")),
    (row("cm1", CohortId="-1"), ("CohortId", "CohortId must be a whole number 0-99")),
    (row("c42", CohortId="42"), None),
    # attribute values at most 100 characters: the length in the reason
    (row("u101", **{"User.UserAttributes.u": "é" * 101}), ("User.UserAttributes.u", "a value has 101 characters; Pinpoint allows at most 100")),
    (row("u100", **{"User.UserAttributes.u": "é" * 100}), None),
    (row("v101", v1="ok", v2="ß" * 101), ("Attributes.v", "a value has 101 characters; Pinpoint allows at most 100")),
    (row("v100", v1="ß" * 100, v2="ok"), None),
    # a row's first failure is its reason, in the order of the checks: channel, then OptOut, then dates...
    (row("first", ChannelType="FAX", OptOut="X", EffectiveDate="x"), ("ChannelType", f"unknown channel type 'FAX'; one of {CHANNEL_LIST}")),
    (row("second", OptOut="X", EffectiveDate="x", CohortId="500"), ("OptOut", "'X' is not ALL or NONE")),
    (row("third", EffectiveDate="x", CohortId="500"), ("EffectiveDate", "'x' is not an ISO 8601 date")),
    # the same Id twice: the first row kept, the others name its line
    (row("dup"), None),
    (row("dup", Address="dup2@example.com"), ("Id", "duplicate Id 'dup' (first on {file}:{first})")),
    (row("dup", Address="dup3@example.com"), ("Id", "duplicate Id 'dup' (first on {file}:{first})")),
    # no Id: a stable one from channel and address, so the same address twice is a duplicate too
    (row("", Address="same@example.com"), None),
    (row("", Address=" same@example.com "), ("Id", "duplicate Id '{gen}' (first on {file}:{genfirst})")),
]  # fmt: skip
GEN = "ep-" + hashlib.sha256(b"EMAIL:same@example.com").hexdigest()[:24]


def _line_of(eid: str, address: str | None = None) -> int:
    for i, (r, _) in enumerate(CASES):
        if r[0] == eid and (address is None or r[2] == address):
            return i + 2
    raise LookupError(eid)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("validate-rules")
    project = Project.create(root / "p")
    path = root / "cases.csv"
    path.write_text(csv_text(HEADER, [r for r, _ in CASES]), encoding="utf-8")
    result = project.endpoints.import_files(path, progress=False)
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        rejects = {int(r["line"]): r for r in csv.DictReader(fh)}
    return project, result, rejects, str(path)


def _case_id(i: int) -> str:
    r, expected = CASES[i]
    return f"{r[0] or 'no-id'}-{i}-" + ("imported" if expected is None else expected[0])


@pytest.mark.parametrize("index", range(len(CASES)), ids=_case_id)
def test_reject_names_file_line_field_and_reason(imported, index):
    _, _, rejects, file = imported
    expected = CASES[index][1]
    got = rejects.get(index + 2)  # the header is line 1
    if expected is None:
        assert got is None, got
        return
    field, reason = expected
    reason = reason.format(
        file=file, first=_line_of("dup"), gen=GEN, genfirst=_line_of("", "same@example.com")
    )
    if field == "Id":
        reason += "; the first row was kept"
    assert got == {"file": file, "line": str(index + 2), "field": field, "reason": reason}


def test_counts(imported):
    _, result, rejects, _ = imported
    assert result.rows == len(CASES)
    assert result.rejected == len(rejects) == sum(1 for _, e in CASES if e is not None)


def test_the_valid_rows_as_stored(imported):
    project, _, _, _ = imported
    got = {
        r["Id"]: r
        for r in project.query(
            "SELECT Id, ChannelType, Address, RawAddress, OptOut, EndpointStatus, EffectiveDate, CreationDate, "
            '"Location.Latitude" AS lat, "Location.Longitude" AS lon, CohortId FROM endpoints'
        ).iter_rows(named=True)
    }
    assert got["lower"]["ChannelType"] == "EMAIL"
    assert got["optall"]["OptOut"] == "ALL"
    assert got["stinactive"]["EndpointStatus"] == "INACTIVE"
    assert (got["phint"]["Address"], got["phint"]["RawAddress"]) == ("+12065550100", "+1 206 555 0100")
    assert (got["phgb"]["Address"], got["phgb"]["RawAddress"]) == ("+442079460018", "020 7946 0018")
    assert got["dates"]["EffectiveDate"] == datetime(2026, 10, 1, 12, 0)  # +02:00 read as UTC
    assert got["dates"]["CreationDate"] == datetime(2025, 1, 31)
    assert (got["lonok"]["lat"], got["lonok"]["lon"]) == (89.5, -179.5)
    assert got["c42"]["CohortId"] == 42
    assert got["dup"]["Address"] == "dup@example.com"
    assert got[GEN]["Address"] == "same@example.com"
    assert got["intl"]["Address"] == "josé@example.com"


# --- normalisation: trimmed cells, empty -> null, enumerations upper-cased, typed columns --------------------


def test_cells_are_trimmed_and_empty_ones_null(tmp_path):
    header = ["Id", "ChannelType", "Address", "OptOut", "Demographic.Model", "Attributes.s", "User.UserId"]
    rows = [
        [" a ", "\temail", " a@example.com\u00a0", " none ", "\u3000", " x ", " u1 "],
        ["b", "EMAIL", "b@example.com", "", "  Pixel 8 ", "", ""],
    ]
    valid, rejects = check(tmp_path, header, rows)
    assert rejects == []
    assert valid.select(header).rows() == [
        ("a", "EMAIL", "a@example.com", "NONE", None, "x", "u1"),
        ("b", "EMAIL", "b@example.com", None, "Pixel 8", None, None),
    ]
    assert valid.get_column("RawAddress").to_list() == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize(
    ("channels", "stored"),
    [
        (["EMAIL", "EMAIL"], ["EMAIL", "EMAIL"]),  # every value valid as it stands
        (["EMAIL", "email"], ["EMAIL", "EMAIL"]),  # one lower-case value: the column upper-cased
        (["email", "Email"], ["EMAIL", "EMAIL"]),
    ],
    ids=["all-valid", "one-lower", "all-lower"],
)
def test_channel_types_are_upper_cased(tmp_path, channels, stored):
    rows = [[f"e{i}", c, f"e{i}@example.com"] for i, c in enumerate(channels)]
    valid, rejects = check(tmp_path, ["Id", "ChannelType", "Address"], rows)
    assert rejects == [] and valid.get_column("ChannelType").to_list() == stored


@pytest.mark.parametrize(
    ("column", "values", "stored", "rejects"),
    [
        ("OptOut", ["ALL", "none"], ["ALL", "NONE"], []),
        ("OptOut", ["ALL", "Maybe"], ["ALL"], [(3, "OptOut", "'MAYBE' is not ALL or NONE")]),
        ("EndpointStatus", ["ACTIVE", "inactive"], ["ACTIVE", "INACTIVE"], []),
        ("EndpointStatus", ["ACTIVE", "paused"], ["ACTIVE"], [(3, "EndpointStatus", "'PAUSED' is not ACTIVE or INACTIVE")]),
        ("ChannelType", ["EMAIL", "fax"], ["EMAIL"], [(3, "ChannelType", f"unknown channel type 'FAX'; one of {CHANNEL_LIST}")]),
    ],
    ids=["optout-lower", "optout-refused", "status-lower", "status-refused", "channel-refused"],
)  # fmt: skip
def test_enumerations_in_a_file_of_their_own(tmp_path, column, values, stored, rejects):
    header = ["Id", "ChannelType", "Address"] + ([column] if column != "ChannelType" else [])
    rows = []
    for i, value in enumerate(values):
        cells = [f"e{i}", "EMAIL", f"e{i}@example.com"]
        if column == "ChannelType":
            cells[1] = value
        else:
            cells.append(value)
        rows.append(cells)
    valid, got = check(tmp_path, header, rows)
    assert got == rejects
    assert valid.get_column(column).to_list() == stored


@pytest.mark.parametrize(
    ("opt_out", "status", "rejects"),
    [
        (
            ["ALL", "NONE"],
            ["ACTIVE", "paused"],
            [(3, "EndpointStatus", "'PAUSED' is not ACTIVE or INACTIVE")],
        ),
        (["ALL", "maybe"], ["ACTIVE", "INACTIVE"], [(3, "OptOut", "'MAYBE' is not ALL or NONE")]),
    ],
    ids=["optout-valid-status-refused", "optout-refused-status-valid"],
)
def test_each_enumeration_checked_when_the_other_is_valid(tmp_path, opt_out, status, rejects):
    header = ["Id", "ChannelType", "Address", "OptOut", "EndpointStatus"]
    rows = [
        [f"e{i}", "EMAIL", f"e{i}@example.com", o, s]
        for i, (o, s) in enumerate(zip(opt_out, status, strict=True))
    ]
    valid, got = check(tmp_path, header, rows)
    assert got == rejects and valid.get_column("Id").to_list() == ["e0"]


def test_typed_columns(tmp_path):
    header = [
        "Id", "ChannelType", "Address", "EffectiveDate", "CreationDate", "Location.Latitude",
        "Location.Longitude", "Metrics.score", "CohortId",
    ]  # fmt: skip
    rows = [
        ["a", "EMAIL", "a@example.com", "2026-01-02T03:04:05Z", "2025-01-01", "-90", "180", "1e3", "0"],
        ["b", "EMAIL", "b@example.com", "2026-01-02 05:04:05+02:00", "", "", "", "-2.5", "99"],
    ]
    valid, rejects = check(tmp_path, header, rows)
    assert rejects == []
    assert valid.select(header[3:]).rows() == [
        (datetime(2026, 1, 2, 3, 4, 5), datetime(2025, 1, 1), -90.0, 180.0, 1000.0, 0),
        (datetime(2026, 1, 2, 3, 4, 5), None, None, None, -2.5, 99),
    ]
    schema = valid.schema
    assert schema["EffectiveDate"] == pl.Datetime("us") and schema["CreationDate"] == pl.Datetime("us")
    assert schema["Location.Latitude"] == pl.Float64 and schema["Metrics.score"] == pl.Float64
    assert schema["CohortId"] == pl.Int16
    assert [c for c in valid.columns if c.startswith("__")] == ["__file", "__line", "__order"]


def test_numbers_outside_the_range_name_value_and_range(tmp_path):
    header = ["Id", "ChannelType", "Address", "Location.Latitude", "Location.Longitude"]
    rows = [
        ["a", "EMAIL", "a@example.com", "90.000001", ""],
        ["b", "EMAIL", "b@example.com", "-90", "-180"],
        ["c", "EMAIL", "c@example.com", "", "180.25"],
        ["d", "EMAIL", "d@example.com", "nan", ""],
    ]
    valid, rejects = check(tmp_path, header, rows)
    assert valid.get_column("Id").to_list() == ["b"]
    assert rejects == [
        (2, "Location.Latitude", "90.000001 is outside -90.0..90.0"),
        (4, "Location.Longitude", "180.25 is outside -180.0..180.0"),
        (5, "Location.Latitude", "'nan' is not a number"),
    ]


def test_number_columns_of_a_json_file():
    """A JSON file gives numbers as numbers: NaN and infinity are refused, shown as text."""
    valid, rejects = check_frame(
        {
            "Id": ["a", "b", "c", "d", "e"],
            "ChannelType": ["EMAIL"] * 5,
            "Address": [f"{c}@example.com" for c in "abcde"],
            "Metrics.m": [1.5, float("nan"), float("-inf"), 3.0, None],
            "Location.Latitude": [10, 20, None, 95, None],
        }
    )
    assert valid.select("Id", "Metrics.m", "Location.Latitude").rows() == [
        ("a", 1.5, 10.0),
        ("e", None, None),
    ]
    assert rejects == [
        (2, "Metrics.m", "'NaN' is not a number"),
        (3, "Metrics.m", "'-inf' is not a number"),
        (4, "Location.Latitude", "95.0 is outside -90.0..90.0"),
    ]


def test_list_values_of_a_json_file_are_trimmed_and_blank_ones_dropped(tmp_path):
    """The JSON reader trims list values and leaves blank ones out (validation does not look at them again)."""
    records = [
        {"Id": "a", "Attributes": {"l": [" p ", " ", "q"], "s": " x "}},
        {"Id": "b", "Attributes": {"l": ["", "\u3000"], "s": ""}},
        {"Id": "c"},
        {"Id": "d", "Attributes": {"l": ["r"], "s": "y"}},
    ]
    path = tmp_path / "in.jsonl"
    lines = [{"ChannelType": "EMAIL", "Address": f"{r['Id']}@example.com", **r} for r in records]
    path.write_text("\n".join(json.dumps(r) for r in lines), encoding="utf-8")
    frame = readers.read_json(source.read_input(path)).frame
    valid, rejects = validate(frame)
    assert rejects.is_empty()
    assert valid.select("Id", "Attributes.l", "Attributes.s").rows() == [
        ("a", ["p", "q"], ["x"]),
        ("b", None, None),  # every value blank: no value
        ("c", None, None),
        ("d", ["r"], ["y"]),
    ]


def test_repeated_csv_headers_give_trimmed_lists_without_blank_values(tmp_path):
    valid, rejects = check(
        tmp_path,
        ["Id", "ChannelType", "Address", "Attributes.l", "Attributes.l", "Attributes.l"],
        [["a", "EMAIL", "a@example.com", " p ", " ", "q"], ["b", "EMAIL", "b@example.com", "", "\u3000", ""]],
    )
    assert rejects == []
    assert valid.select("Id", "Attributes.l").rows() == [("a", ["p", "q"]), ("b", None)]


def test_list_values_already_trimmed_are_kept_as_they_are():
    valid, _ = check_frame(
        {"Id": ["a"], "ChannelType": ["EMAIL"], "Address": ["a@example.com"], "Attributes.l": [["p", "q"]]},
        **{"Attributes.l": pl.List(pl.String)},
    )
    assert valid.get_column("Attributes.l").to_list() == [["p", "q"]]


def test_list_attribute_limits_at_the_limit_and_one_past():
    """Each limit at the limit and one past it, in one column (so the exact per-row check runs)."""
    valid, rejects = check_frame(
        {
            "Id": ["n50", "n51", "c100", "c101"],
            "ChannelType": ["EMAIL"] * 4,
            "Address": ["n50@example.com", "n51@example.com", "c100@example.com", "c101@example.com"],
            "Attributes.l": [
                [f"v{i}" for i in range(50)],
                [f"v{i}" for i in range(51)],
                ["é" * 100, "b"],
                ["b", "é" * 101],
            ],
        },
        **{"Attributes.l": pl.List(pl.String)},
    )
    assert valid.get_column("Id").to_list() == ["n50", "c100"]
    assert rejects == [
        (2, "Attributes.l", "51 values; Pinpoint allows at most 50"),
        (4, "Attributes.l", "a value has 101 characters; Pinpoint allows at most 100"),
    ]


# --- columns a file may leave out ---------------------------------------------------------------------------


def test_a_file_without_an_id_column_gets_generated_ids(tmp_path):
    rows = [["EMAIL", "a@example.com"], ["SMS", "+12065550100"], ["EMAIL", "a@example.com"]]
    valid, rejects = check(tmp_path, ["ChannelType", "Address"], rows)
    ids = ["ep-" + hashlib.sha256(t).hexdigest()[:24] for t in (b"EMAIL:a@example.com", b"SMS:+12065550100")]
    assert valid.get_column("Id").to_list() == ids
    path = str(tmp_path / "in.csv")
    assert rejects == [(4, "Id", f"duplicate Id '{ids[0]}' (first on {path}:2); the first row was kept")]


def test_a_file_without_a_channel_type_column(tmp_path):
    valid, rejects = check(tmp_path, ["Id", "Address"], [["", "a@example.com"], ["b", "b@example.com"]])
    assert rejects == [(2, "ChannelType", NEEDS)]
    assert valid.get_column("Id").to_list() == ["b"]


def test_a_file_without_an_address_column(tmp_path):
    valid, rejects = check(tmp_path, ["Id", "ChannelType"], [["", "EMAIL"], ["b", "SMS"], ["", "SMS"]])
    assert rejects == [(2, "Address", NEEDS), (4, "Address", NEEDS)]
    assert valid.select("Id", "Address").rows() == [("b", None)]
    assert valid.schema["Address"] == pl.String  # an empty text column, as if the file had one


def test_an_update_file_without_addresses_adds_no_address(tmp_path):
    """Id and OptOut only (no phone rows): nothing to check about addresses, and no Address column appears (an
    update keeps the stored address)."""
    valid, rejects = check(
        tmp_path, ["Id", "ChannelType", "OptOut"], [["a", "EMAIL", "all"], ["b", "", "NONE"]]
    )
    assert rejects == []
    assert valid.columns == ["__file", "__line", "Id", "ChannelType", "OptOut", "__order", "RawAddress"]
    assert valid.select("Id", "ChannelType", "OptOut", "RawAddress").rows() == [
        ("a", "EMAIL", "ALL", None),
        ("b", None, "NONE", None),
    ]


def test_a_file_with_only_addresses(tmp_path):
    valid, rejects = check(tmp_path, ["Address"], [["a@example.com"]])
    assert valid.height == 0 and rejects == [(2, "ChannelType", NEEDS)]


# --- phone numbers: E.164, with Location.Country or import.default_region ----------------------------------


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        (None, None, ("reject", NO_REGION)),  # no Location.Country column, no default
        (None, "US", ("+12065550103", None)),
        ("", "US", ("+12065550103", None)),  # the column there, empty on this row: the default
        ("US", None, ("+12065550103", None)),
        ("GB", "US", ("reject", "not a valid phone number (not an assigned number range)")),  # the row wins
    ],
    ids=[
        "no-country-no-default",
        "default-US",
        "empty-country-default-US",
        "country-US",
        "country-GB-over-US",
    ],
)
def test_national_numbers_read_with_country_or_default_region(tmp_path, country, region, expected):
    header = ["Id", "ChannelType", "Address"] + (["Location.Country"] if country is not None else [])
    rows = [["p", "SMS", "(206) 555-0103"] + ([country] if country is not None else [])]
    rows.append(["e", "EMAIL", "e@example.com"] + (["US"] if country is not None else []))
    valid, rejects = check(tmp_path, header, rows, region)
    address, reason = expected
    if address == "reject":
        assert rejects == [(2, "Address", reason)]
        assert valid.get_column("Id").to_list() == ["e"]
    else:
        assert rejects == []
        assert valid.select("Id", "Address", "RawAddress").rows() == [
            ("p", address, "(206) 555-0103"),
            ("e", "e@example.com", "e@example.com"),
        ]


def test_phone_numbers_beside_other_channels_keep_their_rows(tmp_path):
    rows = [
        ["a", "EMAIL", "a@example.com"],
        ["b", "VOICE", "+44 20 7946 0018"],
        ["c", "GCM", "tok-1"],
        ["d", "SMS", "+1 (206) 555-0100"],
    ]
    valid, rejects = check(tmp_path, ["Id", "ChannelType", "Address"], rows)
    assert rejects == []
    assert valid.select("Id", "Address", "RawAddress").rows() == [
        ("a", "a@example.com", "a@example.com"),
        ("b", "+442079460018", "+44 20 7946 0018"),
        ("c", "tok-1", "tok-1"),
        ("d", "+12065550100", "+1 (206) 555-0100"),
    ]


def test_push_tokens(tmp_path):
    rows = [
        ["a", "APNS", "tok en"],
        ["b", "BAIDU", "tok\u00a0en"],  # Unicode whitespace
        ["c", "ADM", "tökén"],  # not ASCII, no whitespace
        ["d", "EMAIL", "d@example.com"],
        ["e", "CUSTOM", "any thing"],  # not a push channel
    ]
    valid, rejects = check(tmp_path, ["Id", "ChannelType", "Address"], rows)
    assert valid.get_column("Id").to_list() == ["c", "d", "e"]
    assert rejects == [
        (2, "Address", "a push token cannot contain spaces"),
        (3, "Address", "a push token cannot contain spaces"),
    ]


@pytest.mark.parametrize("space", ["\u00a0", "\u3000", "\u2003"], ids=["nbsp", "ideographic", "em-space"])
def test_a_push_token_with_only_unicode_whitespace(tmp_path, space):
    """No ASCII white space in the file's tokens: the Unicode check alone finds it."""
    rows = [["a", "APNS", "tökén"], ["b", "GCM", f"tok{space}en"], ["c", "EMAIL", "c@example.com"]]
    valid, rejects = check(tmp_path, ["Id", "ChannelType", "Address"], rows)
    assert valid.get_column("Id").to_list() == ["a", "c"]
    assert rejects == [(3, "Address", "a push token cannot contain spaces")]


def test_an_address_not_checked_as_email_for_other_channels(tmp_path):
    rows = [["a", "CUSTOM", "not an email"], ["b", "EMAIL", "b@example.com"], ["c", "IN_APP", "x..y"]]
    valid, rejects = check(tmp_path, ["Id", "ChannelType", "Address"], rows)
    assert rejects == [] and valid.height == 3


# --- the endpoint's size: at most 15 KB (15,360 bytes, counted in UTF-8 once trimmed) ------------------------

ATTRS = [f"Attributes.a{i}" for i in range(153)]  # 153 x 100 = 15,300 bytes


@pytest.mark.parametrize(
    ("tail", "reject"),
    [
        ("t" * 39, None),  # 21 + 15,300 + 39 = 15,360
        ("t" * 40, (2, "", "endpoint of 15361 bytes; Pinpoint allows at most 15,360")),
        (
            "é" * 20,
            (2, "", "endpoint of 15361 bytes; Pinpoint allows at most 15,360"),
        ),  # 40 bytes, 20 characters
        (" " + "t" * 39 + " ", None),  # trimmed first
    ],
    ids=["at-limit", "one-byte-over", "multibyte-over", "trimmed-at-limit"],
)
def test_endpoint_size_with_string_attributes(tmp_path, tail, reject):
    # empty cells count nothing: Demographic.Model and Attributes.e are empty on the big row
    header = ["Id", "ChannelType", "Address", "Demographic.Model", *ATTRS, "Attributes.t", "Attributes.e"]
    big = ["s1", "EMAIL", "s1@example.com", "", *["v" * 100] * 153, tail, ""]  # 2 + 5 + 14 = 21 bytes
    small = ["s2", "EMAIL", "s2@example.com", "Pixel", *[""] * 153, "x", "y"]
    valid, rejects = check(tmp_path, header, [big, small])
    assert rejects == ([] if reject is None else [reject])
    assert valid.get_column("Id").to_list() == (["s1", "s2"] if reject is None else ["s2"])


@pytest.mark.parametrize(
    ("value", "model", "reject"),
    [
        ("v" * 100, "m" * 339, None),  # 21 + 150 x 100 + 339 = 15,360
        ("v" * 100, "m" * 340, "endpoint of 15361 bytes; Pinpoint allows at most 15,360"),
        ("v" * 99, "m" * 489, None),  # 21 + 150 x 99 + 489 = 15,360 (the widest value of the column is 100)
        ("v" * 99, "m" * 490, "endpoint of 15361 bytes; Pinpoint allows at most 15,360"),
    ],
    ids=["lists-at-limit", "lists-one-over", "shorter-values-at-limit", "shorter-values-one-over"],
)
def test_endpoint_size_with_list_attributes(tmp_path, value, model, reject):
    # empty cells count nothing: OptOut and the list Attributes.e are empty on l1
    header = ["Id", "ChannelType", "Address", "Demographic.Model", "OptOut"]
    header += ["Attributes.j"] * 50 + ["Attributes.k"] * 50 + ["Attributes.l"] * 50 + ["Attributes.e"] * 2
    rows = [
        ["l1", "EMAIL", "l1@example.com", model, "", *[value] * 150, "", ""],
        ["l2", "EMAIL", "l2@example.com", "", "ALL", "v" * 100, *[""] * 149, "x", "y"],
    ]
    valid, rejects = check(tmp_path, header, rows)
    assert rejects == ([] if reject is None else [(2, "", reject)])
    assert valid.get_column("Id").to_list() == (["l1", "l2"] if reject is None else ["l2"])


@pytest.mark.parametrize(
    ("size", "field"),
    [(LIMIT + 1, "Demographic.Model"), (LIMIT, "")],
    ids=["cell-over-the-limit-named", "cell-at-the-limit-the-endpoint"],
)
def test_a_single_cell_over_15_kb_is_named(tmp_path, size, field):
    header = ["Id", "ChannelType", "Address", "Demographic.Model"]
    rows = [["m", "EMAIL", "m@example.com", "x" * size], ["n", "EMAIL", "n@example.com", "ok"]]
    valid, rejects = check(tmp_path, header, rows)
    # m, EMAIL, m@example.com: 19 bytes beside the cell
    assert rejects == [(2, field, f"endpoint of {size + 19} bytes; Pinpoint allows at most 15,360")]
    assert valid.get_column("Id").to_list() == ["n"]


def test_a_phone_number_counts_in_its_e164_form(tmp_path):
    """`2065550100` (10 bytes) is stored as `+12065550100` (12): the size counts the stored form."""
    header = ["Id", "ChannelType", "Address", "Location.Country", *ATTRS, "Attributes.t"]
    # 1 + 3 + 12 + 2 + 15,300 + 43 = 15,361 once normalised (15,359 as read)
    rows = [["p", "SMS", "2065550100", "US", *["v" * 100] * 153, "t" * 43]]
    valid, rejects = check(tmp_path, header, rows)
    assert rejects == [(2, "", "endpoint of 15361 bytes; Pinpoint allows at most 15,360")]
    assert valid.height == 0


def test_numbers_of_a_json_file_count_as_text_in_the_size():
    columns = {
        "Id": ["a"],
        "ChannelType": ["EMAIL"],
        "Address": ["a@example.com"],  # 1 + 5 + 13 = 19
        "Metrics.m": [12.5],  # "12.5": 4
        **{a: ["v" * 100] for a in ATTRS},  # 15,300
    }
    _, at = check_frame({**columns, "Attributes.t": ["t" * 37]})  # 15,360
    _, over = check_frame({**columns, "Attributes.t": ["t" * 38]})
    assert at == []
    assert over == [(1, "", "endpoint of 15361 bytes; Pinpoint allows at most 15,360")]


# --- pure functions that hold a rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-14T08:15:00Z", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T08:15:00z", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T08:15:00.5Z", datetime(2026, 9, 14, 8, 15, 0, 500000)),
        ("2026-09-14T08:15:00.123456Z", datetime(2026, 9, 14, 8, 15, 0, 123456)),
        ("2026-09-14T10:15:00+02:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T03:15:00-05:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14 08:15:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14 10:15:00+02:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T08:15", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T10:15+02:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14T08:15:00", datetime(2026, 9, 14, 8, 15)),
        ("2026-09-14", datetime(2026, 9, 14)),
        ("  2026-09-14T08:15:00Z\t", datetime(2026, 9, 14, 8, 15)),
        (" 2026-09-14 ", datetime(2026, 9, 14)),
        ("2026-13-01", None),
        ("2026/09/14 08:15:00", None),  # not ISO 8601: slashes, day first, no dashes
        ("2026/09/14", None),
        ("14/09/2026", None),
        ("14-09-2026", None),
        ("Sep 14 2026", None),
        ("2026-15-09/14/26T08:15:00Z", None),  # shapes of other strftime formats
        ("26-09-14tSep:09:1789373700z", None),
        ("2026-02-30T00:00:00Z", None),
        ("yesterday", None),
        (None, None),
    ],
    ids=lambda v: repr(v),
)
def test_iso_dates_read_as_naive_utc(text, expected):
    for values in ([text], [text, "2026-01-01T00:00:00Z"], ["nope", text]):
        got = parse_datetime_series(pl.Series("d", values, dtype=pl.String))
        assert got.dtype == pl.Datetime("us") and got.name == "d"
        assert got.to_list()[values.index(text)] == expected
    assert parse_datetime_series(pl.Series("d", ["x", "2026-01-01T00:00:00Z", "y"])).to_list() == [
        None,
        datetime(2026, 1, 1),
        None,
    ]


def test_dates_already_trimmed():
    got = parse_datetime_series(pl.Series("d", ["2026-09-14T08:15:00Z", "2026-09-14"]), trimmed=True)
    assert got.to_list() == [datetime(2026, 9, 14, 8, 15), datetime(2026, 9, 14)]


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("a@example.com", True),
        ("first.last+tag@mail.example.co.uk", True),
        ("o'k_%!#$&*=?^`{|}~-@ex-ample.com", True),
        (LONG_EMAIL, True),  # 254 characters
        (LONG_EMAIL.replace("d" * 57, "d" * 58), False),  # 255
        ("a..b@example.com", False),
        (".a@example.com", False),
        ("a.@example.com", False),
        ("a@example", False),  # no dot in the domain
        ("a@-example.com", False),
        ("a@example-.com", False),
        ("a@" + "b" * 63 + ".com", True),
        ("a@" + "b" * 64 + ".com", False),
        ("josé@example.com", False),  # not ASCII: a second look by email-validator
        ("a@b@example.com", False),
        ("@example.com", False),
    ],
    ids=lambda v: v if isinstance(v, bool) else (v[:20] + f"..({len(v)})" if len(v) > 30 else v),
)
def test_email_syntax_check(address, ok):
    got = pl.DataFrame({"a": [address]}).select(email_syntax_ok(pl.col("a"))).item()
    assert got is ok


def test_generated_id_is_stable_and_from_channel_and_address():
    assert (
        generated_id("EMAIL", "a@example.com")
        == "ep-" + hashlib.sha256(b"EMAIL:a@example.com").hexdigest()[:24]
    )
    assert len(generated_id("SMS", "+12065550100")) == 27
    assert generated_id("SMS", "x") != generated_id("VOICE", "x")


@pytest.mark.parametrize(
    ("ids", "distinct"),
    [
        (["a", "b", "c"], True),
        (["c", "a", "b"], True),
        (["a", "b", "b"], False),
        (["a", "a"], False),
        (["b", "a", "b"], False),
        (["a"], True),
    ],
)
def test_all_distinct(ids, distinct):
    assert _all_distinct(pl.Series(ids)) is distinct
