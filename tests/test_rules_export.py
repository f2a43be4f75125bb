"""README "Exporting": formula cells in a CSV export get a leading ``'``; numbers and every other cell stay.

Known answers are written out by hand: a cell starting with ``= + - @``, a tab or a CR is prefixed (and NUL, which
the code adds); nothing else is, wherever the character sits. ``--raw`` (``raw=True``) skips the prefix.
"""

from __future__ import annotations

import csv

import polars as pl
import pytest
from helpers import write_csv

from workbench.ingest.export import _neutralise, neutralise_cell

# (cell, exported) -- every prefix the README names, each first character that is NOT one, and the same
# characters later in the cell
CELLS = [
    ("=1+1", "'=1+1"),
    ("+12", "'+12"),
    ("-3", "'-3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("\0x", "'\0x"),
    ("=", "'="),
    ("-", "'-"),
    ("a=1", "a=1"),
    ("a+b", "a+b"),
    ("x-1", "x-1"),
    ("me@example.com", "me@example.com"),
    ("a\tb", "a\tb"),
    ("'quoted", "'quoted"),
    ("#hash", "#hash"),
    ("%pct", "%pct"),
    (" =spaced", " =spaced"),
    ("", ""),
    ("plain", "plain"),
]


@pytest.mark.parametrize(("cell", "exported"), CELLS)
def test_one_cell(cell, exported):
    assert neutralise_cell(cell) == exported


def test_the_column_rule_matches_the_table():
    """The export neutralises whole columns with a Polars expression: the same answers, nulls kept."""
    cells = [c for c, _ in CELLS] + [None]
    out = pl.select(_neutralise(pl.lit(pl.Series(cells, dtype=pl.String)))).to_series().to_list()
    assert out == [e for _, e in CELLS] + [None]


# values that survive an import (cells are trimmed, so no leading tab/CR) and how the CSV must show them
STORED = {
    "e1": ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
    "e2": ("+plus", "'+plus"),
    "e3": ("-minus", "'-minus"),
    "e4": ("@at", "'@at"),
    "e5": ("a=b", "a=b"),
    "e6": ("x-y", "x-y"),
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("export-rules")
    project = Project.create(root / "p")
    rows = [
        [eid, "EMAIL", f"{eid}@example.com", value, -2.5 if eid == "e3" else 4]
        for eid, (value, _) in STORED.items()
    ]
    header = ["Id", "ChannelType", "Address", "Attributes.note", "Metrics.delta"]
    result = project.endpoints.import_files(write_csv(root / "in.csv", header, rows), progress=False)
    assert result.rejected == 0

    def read(raw: bool) -> dict[str, dict[str, str]]:
        out = project.endpoints.export(root / f"out-{raw}.csv", raw=raw)
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return {r["Id"]: r for r in rows}

    return read(False), read(True)


@pytest.mark.parametrize("eid", sorted(STORED))
def test_export_prefixes_formula_cells_and_raw_does_not(exported, eid):
    safe, raw = exported
    stored, shown = STORED[eid]
    assert safe[eid]["Attributes.note"] == shown
    assert raw[eid]["Attributes.note"] == stored


def test_numbers_stay_numbers(exported):
    safe, raw = exported
    assert safe["e3"]["Metrics.delta"] == "-2.5" == raw["e3"]["Metrics.delta"]
    assert safe["e1"]["Metrics.delta"] == "4.0"


# --- the export call's own rules: the default is safe, dates keep Pinpoint's ISO form, filters combine ----------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("export-call")
    project = Project.create(root / "p")
    header = ["Id", "ChannelType", "Address", "Attributes.note", "EffectiveDate", "Location.Country"]
    rows = [
        ["x1", "EMAIL", "x1@example.com", "=1", "2026-10-01T12:00:00Z", "US"],
        ["x2", "EMAIL", "x2@example.com", "@2", "2026-10-02T00:00:00Z", "GB"],
        ["x3", "EMAIL", "x3@example.com", "+3", "", "US"],
    ]
    project.endpoints.import_files(
        write_csv(root / "in.csv", header, rows), segment="all-three", progress=False
    )
    return project, root


def _rows(path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {r["Id"]: r for r in csv.DictReader(fh)}


def test_the_default_is_neutralised(small):
    from workbench.ingest.export import export_endpoints

    project, root = small
    rows = _rows(export_endpoints(project, root / "deeper" / "still" / "default.csv"))  # folders are made
    assert rows["x1"]["Attributes.note"] == "'=1"


def test_dates_are_written_as_iso_instants(small):
    project, root = small
    rows = _rows(project.endpoints.export(root / "dates.csv"))
    assert rows["x1"]["EffectiveDate"] == "2026-10-01T12:00:00.000000Z"
    assert rows["x2"]["EffectiveDate"] == "2026-10-02T00:00:00.000000Z"
    assert rows["x3"]["EffectiveDate"].endswith("Z")  # an empty one was set to the import's time


def test_segment_and_where_combine(small):
    project, root = small
    rows = _rows(
        project.endpoints.export(root / "both.csv", segment="all-three", where="\"Location.Country\" = 'US'")
    )
    assert sorted(rows) == ["x1", "x3"]


def test_a_wrong_suffix_names_the_file(small):
    from workbench.errors import InputError

    project, root = small
    with pytest.raises(InputError) as err:
        project.endpoints.export(root / "out.xlsx")
    assert err.value.file == str(root / "out.xlsx")
    assert err.value.reason == "export to .csv or .parquet"
