"""README "Importing endpoints", the rules table: each limit at the limit and one past it, each enumeration's
accepted and refused values, each default with and without its setting.

One file holds a row per case; the expected outcome of each row (imported, or rejected naming a field) is
written by hand next to it. The rejects file is read back by line.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import configure, write_csv

from workbench.errors import InputError
from workbench.ingest import ImportRejectedError

WIDE = 51  # repeated `Attributes.v` columns: room for one value past the 50-value limit

HEADER = [
    "Id",
    "ChannelType",
    "Address",
    "OptOut",
    "Location.Country",
    "Location.Latitude",
    "Location.Longitude",
    "CohortId",
    "EffectiveDate",
    "Metrics.m",
    "User.UserId",
    "User.UserAttributes.u",
    *["Attributes.v"] * WIDE,
]
PUSH_TOKEN = "tok-0123456789abcdef"
ADDRESS = {"SMS": "+12065550100", "VOICE": "+12065550101", "EMAIL": "case@example.com"}


def row(eid: str, **cells) -> list[str]:
    """A valid EMAIL endpoint unless ``cells`` say otherwise (``values`` fills the repeated Attributes.v)."""
    values = cells.pop("values", ["x"])
    base = {"Id": eid, "ChannelType": "EMAIL", "Address": f"{eid}@example.com"}
    base.update(cells)
    fixed = [str(base.get(h, "")) for h in HEADER[: -WIDE or None]]
    return fixed + [*values, *[""] * (WIDE - len(values))]


# (row, expected): None = imported, else the field the reject names
CASES: list[tuple[list[str], str | None]] = [
    # attribute values at most 100 characters (endpoint attributes and user attributes), at most 50 values
    (row("v100", values=["a" * 100]), None),
    (row("v101", values=["a" * 101]), "Attributes.v"),
    (row("u100", **{"User.UserAttributes.u": "b" * 100}), None),
    (row("u101", **{"User.UserAttributes.u": "b" * 101}), "User.UserAttributes.u"),
    (row("n50", values=[f"v{i}" for i in range(50)]), None),
    (row("n51", values=[f"v{i}" for i in range(51)]), "Attributes.v"),
    # latitude / longitude in range, both ends
    (row("lat90", **{"Location.Latitude": "90"}), None),
    (row("latm90", **{"Location.Latitude": "-90"}), None),
    (row("lat90+", **{"Location.Latitude": "90.000001"}), "Location.Latitude"),
    (row("latm90-", **{"Location.Latitude": "-90.000001"}), "Location.Latitude"),
    (row("lon180", **{"Location.Longitude": "180"}), None),
    (row("lonm180", **{"Location.Longitude": "-180"}), None),
    (row("lon180+", **{"Location.Longitude": "180.000001"}), "Location.Longitude"),
    # CohortId 0-99
    (row("c0", CohortId="0"), None),
    (row("c99", CohortId="99"), None),
    (row("c100", CohortId="100"), "CohortId"),
    (row("cm1", CohortId="-1"), "CohortId"),
    # OptOut is ALL / NONE
    (row("oall", OptOut="ALL"), None),
    (row("onone", OptOut="NONE"), None),
    (row("osome", OptOut="SOME"), "OptOut"),
    # metrics are numbers, dates ISO 8601
    (row("m1e3", **{"Metrics.m": "1e3"}), None),
    (row("mbad", **{"Metrics.m": "ten"}), "Metrics.m"),
    (row("dok", EffectiveDate="2026-10-01T12:00:00Z"), None),
    (row("dbad", EffectiveDate="2026-13-01"), "EffectiveDate"),
    # a new endpoint needs Address and ChannelType
    (row("noaddr", Address=""), "Address"),
    (row("nochan", ChannelType=""), "ChannelType"),
    (row("", Address="anon@example.com"), None),
    (row("", ChannelType="", Address="anon2@example.com"), "ChannelType"),
    # ChannelType: the 13 values accepted, anything else refused (enumerations are read upper-cased)
    (row("chfax", ChannelType="FAX", Address="x"), "ChannelType"),
    (row("chlower", ChannelType="email"), None),
    # a phone number in national format is read with Location.Country
    (row("phus", ChannelType="SMS", Address="(206) 555-0102", **{"Location.Country": "US"}), None),
    # the same Id twice: the first row is kept
    (row("dup"), None),
    (row("dup", Address="other@example.com"), "Id"),
]
CHANNELS = [
    "PUSH", "GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM",
    "SMS", "VOICE", "EMAIL", "BAIDU", "CUSTOM", "IN_APP",
]  # fmt: skip
CASES += [(row(f"ch-{c}", ChannelType=c, Address=ADDRESS.get(c, PUSH_TOKEN + c)), None) for c in CHANNELS]
# at most 15 endpoints per user: user "full" holds exactly 15, user "over" gets a 16th (rejected)
CASES += [(row(f"full{i}", **{"User.UserId": "full"}), None) for i in range(15)]
CASES += [(row(f"over{i}", **{"User.UserId": "over"}), None) for i in range(15)]
CASES += [(row("over15", **{"User.UserId": "over"}), "User.UserId")]


def _rejects(result) -> dict[int, dict[str, str]]:
    if not result.rejects_file:
        return {}
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        return {int(r["line"]): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("import-rules")
    project = Project.create(root / "p")
    result = project.endpoints.import_files(
        write_csv(root / "cases.csv", HEADER, [r for r, _ in CASES]), progress=False
    )
    return project, result, _rejects(result)


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: CASES[i][0][0] or f"no-id-{i}")
def test_row_rule(imported, index):
    _, _, rejects = imported
    expected = CASES[index][1]
    line = index + 2  # the header is line 1
    got = rejects.get(line)
    if expected is None:
        assert got is None, got
    else:
        assert got is not None, f"line {line} was imported"
        assert got["field"] == expected, got


def test_counts_add_up(imported):
    _, result, rejects = imported
    assert result.rows == len(CASES)
    assert result.rejected == len(rejects) == sum(1 for _, e in CASES if e is not None)


def test_the_addresses_as_stored(imported):
    project, _, _ = imported
    frame = project.query(
        "SELECT Id, Address, RawAddress FROM endpoints WHERE Id IN ('phus', 'chlower', 'ch-SMS', 'dup')"
    )
    got = {r["Id"]: (r["Address"], r["RawAddress"]) for r in frame.iter_rows(named=True)}
    assert got["phus"] == ("+12065550102", "(206) 555-0102")
    assert got["dup"][0] == "dup@example.com"  # the first row won
    assert project.query("SELECT ChannelType FROM endpoints WHERE Id = 'chlower'").item() == "EMAIL"


# --- import.default_region: the fallback for national phone numbers without Location.Country ----------------


@pytest.mark.parametrize(("setting", "rejected"), [(None, 1), ("US", 0), ("GB", 1)])
def test_default_region(tmp_path, setting, rejected):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    if setting:
        configure(project.path, f'[import]\ndefault_region = "{setting}"\n')
        project = Project.open(project.path)
    file = write_csv(tmp_path / "n.csv", ["Id", "ChannelType", "Address"], [["p1", "SMS", "(206) 555-0103"]])
    if rejected:  # the file's only row: nothing imported, and the file is not recorded as imported
        with pytest.raises(ImportRejectedError, match="no valid endpoint: all 1 row"):
            project.endpoints.import_files(file, progress=False)
        assert project.query("SELECT count(*) FROM imports").item() == 0
    else:
        project.endpoints.import_files(file, progress=False)
        assert project.query("SELECT Address FROM endpoints").item() == "+12065550103"


# --- attribute names: at most 50 characters, at most 250 per project (file refused, nothing half-added) -----


def _one_row(path: Path, names: list[str]) -> Path:
    header = ["Id", "ChannelType", "Address", *names]
    values = ["1" if n.startswith("Metrics.") else "x" for n in names]
    return write_csv(path, header, [["a1", "EMAIL", "a1@example.com", *values]])


@pytest.mark.parametrize(("length", "refused"), [(50, False), (51, True)])
def test_attribute_name_length(tmp_path, length, refused):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    file = _one_row(tmp_path / "a.csv", ["Attributes." + "n" * length])
    if refused:
        with pytest.raises(InputError):
            project.endpoints.import_files(file, progress=False)
        assert project.endpoints.count().endpoints == 0
    else:
        assert project.endpoints.import_files(file, progress=False).imported == 1


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)])
def test_at_most_250_attribute_names(tmp_path, extra, refused):
    from workbench import Project

    project = Project.create(tmp_path / "p")
    names = [f"Attributes.a{i}" for i in range(100)] + [f"Metrics.m{i}" for i in range(100)]
    names += [f"User.UserAttributes.u{i}" for i in range(50 + extra)]
    file = _one_row(tmp_path / "a.csv", names)
    if refused:
        with pytest.raises(InputError, match="250"):
            project.endpoints.import_files(file, progress=False)
        assert project.endpoints.attribute_names().height == 0
    else:
        assert project.endpoints.import_files(file, progress=False).imported == 1
        assert project.endpoints.attribute_names().height == 250


# --- compressed input: import.max_uncompressed_bytes, counted while decompressing --------------------------


@pytest.mark.parametrize(("slack", "refused"), [(0, False), (-1, True)])
def test_max_uncompressed_bytes(tmp_path, slack, refused):
    import gzip

    from workbench import Project

    body = b"Id,ChannelType,Address\n" + b"".join(b"g%d,EMAIL,g%d@example.com\n" % (i, i) for i in range(20))
    project = Project.create(tmp_path / "p")
    configure(project.path, f"[import]\nmax_uncompressed_bytes = {len(body) + slack}\n")
    project = Project.open(project.path)
    file = tmp_path / "e.csv.gz"
    file.write_bytes(gzip.compress(body))
    if refused:
        with pytest.raises(InputError, match="max_uncompressed_bytes"):
            project.endpoints.import_files(file, progress=False)
    else:
        assert project.endpoints.import_files(file, progress=False).imported == 20
