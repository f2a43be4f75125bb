"""Endpoint export: Pinpoint-shaped CSV with formula cells neutralised, Parquet as stored, round trips."""

from __future__ import annotations

import csv

import polars as pl
import pytest
from helpers import write_csv
from hypothesis import given
from hypothesis import strategies as st

from workbench import InputError, UnknownNameError
from workbench.ingest.export import neutralise_cell


@pytest.fixture
def filled(project, tmp_path):
    project.endpoints.import_files(
        write_csv(
            tmp_path / "a.csv",
            [
                "Id",
                "ChannelType",
                "Address",
                "Location.Country",
                "Attributes.note",
                "Attributes.tags",
                "Attributes.tags",
                "Metrics.delta",
                "User.UserId",
            ],
            [
                ["e1", "EMAIL", "a@example.com", "US", '=HYPERLINK("http://x")', "a", "b", "-2", "u1"],
                ["e2", "SMS", "+12065550100", "US", "@SUM(A1)", "c", "", "3", "u2"],
                ["e3", "EMAIL", "c@example.com", "US", "+plain", "", "", "", ""],
            ],
        ),
        segment="two",
    )
    return project


def test_csv_export_neutralises_formulas(filled, tmp_path):
    out = filled.endpoints.export(tmp_path / "out.csv")
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:]}
    assert (
        header.count("Attributes.tags") == 2
    )  # a multi-valued attribute repeats its header, as Pinpoint reads
    assert body["e1"]["Attributes.note"] == '\'=HYPERLINK("http://x")'
    assert body["e2"]["Attributes.note"] == "'@SUM(A1)"
    assert body["e2"]["Address"] == "'+12065550100"
    assert body["e1"]["Metrics.delta"] == "-2.0"  # numbers stay numbers
    raw = filled.endpoints.export(tmp_path / "raw.csv", raw=True)
    assert "=HYPERLINK" in raw.read_text().splitlines()[1]


def test_exported_csv_imports_back_unchanged(filled, tmp_path):
    from workbench import Project

    out = filled.endpoints.export(tmp_path / "out.csv")
    other = Project.create(tmp_path / "other")
    result = other.endpoints.import_files(out)
    assert result.rejected == 0 and result.imported == 3
    cols = [
        "Id",
        "ChannelType",
        "Address",
        "Attributes.note",
        "Attributes.tags",
        "Metrics.delta",
        "User.UserId",
        "CohortId",
        "CreationDate",
    ]
    assert other.endpoints.frame(cols).sort("Id").equals(filled.endpoints.frame(cols).sort("Id"))


def test_parquet_keeps_the_data_as_it_is(filled, tmp_path):
    out = filled.endpoints.export(tmp_path / "out.parquet")
    frame = pl.read_parquet(out)
    assert frame.sort("Id").equals(filled.endpoints.frame().sort("Id"))
    assert frame.filter(pl.col("Id") == "e1").get_column("Attributes.note").to_list() == [
        ['=HYPERLINK("http://x")']
    ]


def test_export_a_segment_and_bad_names(filled, tmp_path):
    out = filled.endpoints.export(tmp_path / "seg.parquet", segment="two")
    assert pl.read_parquet(out).height == 3
    with pytest.raises(UnknownNameError, match="did you mean two"):
        filled.endpoints.export(tmp_path / "x.csv", segment="tow")
    with pytest.raises(InputError, match=r"\.csv or \.parquet"):
        filled.endpoints.export(tmp_path / "x.xlsx")


@given(st.text(max_size=20))
def test_neutralise_cell_property(value):
    out = neutralise_cell(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\0"):
        assert out == "'" + value
    else:
        assert out == value
