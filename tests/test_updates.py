"""Updates patch stored endpoints in place: only the parts holding them are rewritten, rows keep their place,
and Pinpoint's upsert rules hold (given fields replace stored ones, the others stay)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench.store import endpoint_parts as endpoint_store
from workbench.store import views


def part_rows(project):
    """(name, rows) of every listed part, in the catalog's order."""
    return project.query("SELECT name, rows FROM endpoint_parts ORDER BY created_at, name").rows()


def stored(project, columns):
    return {r[0]: r[1:] for r in project.query(f"SELECT Id, {columns} FROM endpoints").rows()}


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of 40 rows that are never merged as small ones."""
    monkeypatch.setattr(endpoint_store, "PART_ROWS", 40)
    monkeypatch.setattr(endpoint_store, "SMALL_PART_ROWS", 10)


def test_an_update_rewrites_only_the_parts_holding_its_endpoints_and_keeps_their_rows_in_place(
    project, tmp_path, small_parts
):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(120)))
    before = part_rows(project)
    assert [rows for _, rows in before] == [40, 40, 40]
    with project.connect(read_only=True) as con:
        located = views.view_sql(con, project.path, located=True)
        (position,) = con.execute(f"SELECT __part FROM ({located}) WHERE Id = 'e1'").fetchone()
    holder = before[position][0]
    result = project.endpoints.import_files(
        write_csv(tmp_path / "b.csv", ["Id", "Attributes.plan"], [["e1", "team"], ["e2", "team"]])
    )
    assert (result.updated, result.imported) == (2, 0)
    after = part_rows(project)
    assert [rows for _, rows in after] == [40, 40, 40]  # no row moved to a part of its own
    untouched = {name for name, _ in before} - {holder}
    assert untouched <= {name for name, _ in after}  # the other parts' files were not rewritten
    assert holder not in {name for name, _ in after}
    plans = stored(project, '"Attributes.plan"')
    assert plans["e1"] == (["team"],) and plans["e2"] == (["team"],) and plans["e3"] == (["pro"],)
    assert project.endpoints.count().endpoints == 120


def test_given_fields_replace_stored_ones_and_the_others_stay(project, tmp_path):
    header = ["Id", "ChannelType", "Address", "Demographic.Platform", "Attributes.tags", "Attributes.tags"]
    rows = [
        ["e1", "EMAIL", "a@example.com", "iOS", "x", "y"],
        ["e2", "EMAIL", "b@example.com", "Web", "z", ""],
        ["s1", "SMS", "+1 (206) 555-0100", "Android", "", ""],
    ]
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", header, rows))
    first = stored(project, "CreationDate, CohortId, EffectiveDate")
    project.endpoints.import_files(
        write_csv(
            tmp_path / "b.csv",
            ["Id", "Attributes.tags", "Attributes.colour"],
            [["e1", "only", "red"], ["s1", "", "blue"]],
        )
    )
    seen = stored(
        project,
        '"Demographic.Platform", "Attributes.tags", "Attributes.colour", Address, RawAddress, EndpointStatus',
    )
    assert seen["e1"] == ("iOS", ["only"], ["red"], "a@example.com", "a@example.com", "ACTIVE")
    assert seen["e2"] == ("Web", ["z"], None, "b@example.com", "b@example.com", "ACTIVE")  # not in the file
    assert seen["s1"] == ("Android", None, ["blue"], "+12065550100", "+1 (206) 555-0100", "ACTIVE")
    now = stored(project, "CreationDate, CohortId, EffectiveDate")
    assert now["e1"][:2] == first["e1"][:2] and now["s1"][:2] == first["s1"][:2]  # created once, one cohort
    assert now["e1"][2] > first["e1"][2] and now["e2"] == first["e2"]
    # a new address replaces the raw one too; a list of several values replaces a single one
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(
        json.dumps(
            {"Id": "s1", "ChannelType": "SMS", "Address": "(206) 555-0199", "Location": {"Country": "US"}}
        )
        + "\n"
        + json.dumps({"Id": "e2", "Attributes": {"tags": ["p", "q"]}})
        + "\n",
        encoding="utf-8",
    )
    result = project.endpoints.import_files(jsonl)
    assert result.updated == 2 and result.rejected == 0
    seen = stored(project, 'Address, RawAddress, "Attributes.tags", "Demographic.Platform"')
    assert seen["s1"] == ("+12065550199", "(206) 555-0199", None, "Android")
    assert seen["e2"] == ("b@example.com", "b@example.com", ["p", "q"], "Web")
    assert seen["e1"][2] == ["only"]


def test_an_address_taken_over_deactivates_the_older_endpoint_in_its_own_part(project, tmp_path, small_parts):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(80)))
    before = part_rows(project)
    # e5 takes e70's address: e70 (in the other part) becomes INACTIVE, both parts keep 40 rows
    result = project.endpoints.import_files(
        write_csv(
            tmp_path / "b.csv", ["Id", "ChannelType", "Address"], [["e5", "EMAIL", "person70@example.com"]]
        )
    )
    assert (result.updated, result.deactivated) == (1, 1)
    assert [rows for _, rows in part_rows(project)] == [rows for _, rows in before]
    status = stored(project, "EndpointStatus, Address")
    assert status["e70"] == ("INACTIVE", "person70@example.com")
    assert status["e5"] == ("ACTIVE", "person70@example.com")
    assert sum(s == "INACTIVE" for s, _ in status.values()) == 1


def test_a_patch_keeps_the_stored_value_of_keep_columns(project):
    with project.connect() as con:
        endpoint_store.append_query(
            con,
            project.path,
            "SELECT 'a' AS Id, 'EMAIL' AS ChannelType, 'a@example.com' AS Address, "
            "CAST(7 AS SMALLINT) AS CohortId, NULL::TIMESTAMP AS CreationDate",
        )
        located = con.sql(
            f"SELECT Id, __part, __row FROM ({views.view_sql(con, project.path, located=True)})"
        ).pl()
        patch = located.with_columns(
            pl.lit(9, dtype=pl.Int16).alias("CohortId"),
            pl.lit("2026-01-02").str.to_datetime().alias("CreationDate"),
            pl.lit(None, dtype=pl.String).alias("Address"),
        )
        con.execute("BEGIN TRANSACTION")
        write = endpoint_store.write(con, project.path, patch=patch, keep=("CohortId", "CreationDate"))
        con.execute("COMMIT")
        write.committed()
    row = project.endpoints.frame(where="Id = 'a'").row(0, named=True)
    assert row["CohortId"] == 7  # kept: the stored value wins
    assert str(row["CreationDate"]) == "2026-01-02 00:00:00"  # the stored one was null
    assert row["Address"] == "a@example.com"  # a null in the patch keeps the stored value


def test_an_update_that_keeps_every_address_runs_no_takeover_query(project, tmp_path, monkeypatch):
    from workbench.ingest import upsert

    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(30)))
    queries = []
    real = upsert.query_apart
    monkeypatch.setattr(upsert, "query_apart", lambda sql, *a, **k: queries.append(sql) or real(sql, *a, **k))
    rows = [[*row[:4], "team", row[5]] for row in email_rows(30)]  # the same addresses, another plan
    result = project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, rows))
    assert (result.updated, result.deactivated) == (30, 0)
    assert len(queries) == 1 and "SEMI JOIN" not in queries[0]  # the lookup only
    assert all(plan == (["team"],) for plan in stored(project, '"Attributes.plan"').values())


def test_an_inactive_endpoint_sent_again_with_its_address_takes_it_back(project, tmp_path):
    """It holds the address already, but it becomes ACTIVE: the endpoint that took the address from it yields."""
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(3)))
    taker = [["x1", "EMAIL", "person1@example.com", "u9", "pro", 1]]
    assert project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, taker)).deactivated == 1
    assert stored(project, "EndpointStatus")["e1"] == ("INACTIVE",)
    again = project.endpoints.import_files(
        write_csv(tmp_path / "c.csv", EMAIL_HEADER, email_rows(1, start=1))
    )
    assert (again.updated, again.deactivated) == (1, 1)
    status = stored(project, "EndpointStatus")
    assert status["e1"] == ("ACTIVE",) and status["x1"] == ("INACTIVE",)
    assert status["e0"] == status["e2"] == ("ACTIVE",)


def test_a_patch_spread_over_parts_in_any_order_lands_on_its_rows(project, tmp_path, small_parts):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(120)))
    ids = [f"e{i}" for i in (117, 3, 64, 41, 0, 80, 119, 39)]  # every part, shuffled
    result = project.endpoints.import_files(
        write_csv(tmp_path / "b.csv", ["Id", "Metrics.score"], [[i, 100 + int(i[1:])] for i in ids])
    )
    assert result.updated == len(ids)
    scores = stored(project, '"Metrics.score"')
    assert all(scores[f"e{i}"] == ((100.0 + i) if f"e{i}" in ids else float(i % 7),) for i in range(120))
    assert [rows for _, rows in part_rows(project)] == [40, 40, 40]
