"""Endpoint import: Pinpoint's shapes and rules (reference/pinpoint.md section 1)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from helpers import EMAIL_HEADER, email_rows, write_csv

from workbench import InputError
from workbench.ingest import ImportRejectedError
from workbench.store.schema import CHANNEL_TYPES


def read_rejects(result) -> list[dict]:
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_with_dotted_and_repeated_headers(project, tmp_path):
    src = write_csv(
        tmp_path / "a.csv",
        [
            "Id",
            "ChannelType",
            "Address",
            "Demographic.Platform",
            "Location.Country",
            "Location.Latitude",
            "Attributes.Interests",
            "Attributes.Interests",
            "User.UserId",
            "User.UserAttributes.FirstName",
            "Metrics.purchases",
            "EffectiveDate",
        ],
        [
            [
                "e1",
                "EMAIL",
                "ana@example.com",
                "ios",
                "US",
                "47.6",
                "Music",
                "Science",
                "u1",
                "Ana",
                "3",
                "2026-09-01T10:00:00Z",
            ],
            ["e2", "SMS", "(206) 555-0123", "android", "US", "", "Sports", "", "u1", "Ana", "1.5", ""],
        ],
    )
    result = project.endpoints.import_files(src)
    assert (result.rows, result.imported, result.updated, result.rejected) == (2, 2, 0, 0)
    frame = project.endpoints.frame().sort("Id")
    assert frame.get_column("Attributes.Interests").to_list() == [["Music", "Science"], ["Sports"]]
    assert frame.get_column("User.UserAttributes.FirstName").to_list() == [["Ana"], ["Ana"]]
    assert frame.get_column("Metrics.purchases").to_list() == [3.0, 1.5]
    assert frame.get_column("Location.Latitude").to_list() == [47.6, None]
    sms = frame.row(1, named=True)
    assert sms["Address"] == "+12065550123" and sms["RawAddress"] == "(206) 555-0123"  # E.164, raw kept
    assert frame.get_column("EndpointStatus").to_list() == ["ACTIVE", "ACTIVE"]
    assert str(frame.row(0, named=True)["EffectiveDate"]) == "2026-09-01 10:00:00"
    cohorts = frame.get_column("CohortId").to_list()
    assert all(0 <= c <= 99 for c in cohorts)
    assert project.endpoints.count().to_dict() == {"endpoints": 2, "active": 2, "users": 1}
    # the Polars names of the issue work as written
    assert project.endpoints.frame().filter(pl.col("Attributes.Interests").list.contains("Music")).height == 1


def test_every_channel_type_is_accepted_and_others_are_not(project, tmp_path):
    addresses = {"EMAIL": "x@example.com", "SMS": "+12065550100", "VOICE": "+12065550101"}
    rows = [[f"id-{c}", c, addresses.get(c, f"token-{c}")] for c in CHANNEL_TYPES] + [["bad", "FAX", "x"]]
    result = project.endpoints.import_files(
        write_csv(tmp_path / "c.csv", ["Id", "ChannelType", "Address"], rows)
    )
    assert result.imported == 13
    (reject,) = read_rejects(result)
    assert reject["field"] == "ChannelType" and "FAX" in reject["reason"] and reject["line"] == "15"


def test_json_lines_and_pinpoint_export_gz(project, tmp_path):
    records = [
        {
            "Id": "j1",
            "ChannelType": "EMAIL",
            "Address": "j1@example.com",
            "Attributes": {"plan": ["pro"]},
            "Metrics": {"score": 4},
            "User": {"UserId": "u9", "UserAttributes": {"tier": ["gold"]}},
            "Demographic": {"Platform": "web"},
            "Location": {"Country": "DE", "Latitude": 52.5},
        },
    ]
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    export = [
        {
            "Id": "x1",
            "ApplicationId": "abc",
            "ChannelType": "APNS",
            "Address": "a" * 64,
            "EndpointStatus": "INACTIVE",
            "OptOut": "ALL",
            "EffectiveDate": "2025-01-01T00:00:00.000Z",
            "CreationDate": "2024-06-01T00:00:00.000Z",
            "CohortId": "42",
            "Demographic": {"Platform": "ios"},
            "User": {"UserId": "u9"},
        },
    ]
    gz = tmp_path / "export.json.gz"
    gz.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in export).encode()))
    result = project.endpoints.import_files(jsonl, gz)
    assert (result.imported, result.rejected) == (2, 0)
    assert "ApplicationId" in result.ignored_columns
    rows = {r["Id"]: r for r in project.endpoints.frame().to_dicts()}
    assert rows["j1"]["Attributes.plan"] == ["pro"] and rows["j1"]["Metrics.score"] == 4.0
    assert rows["j1"]["User.UserAttributes.tier"] == ["gold"] and rows["j1"]["Location.Latitude"] == 52.5
    # an export keeps what Pinpoint knew: status, opt-out, creation date and cohort
    assert rows["x1"]["EndpointStatus"] == "INACTIVE" and rows["x1"]["OptOut"] == "ALL"
    assert rows["x1"]["CohortId"] == 42 and str(rows["x1"]["CreationDate"]).startswith("2024-06-01")


def test_a_csv_and_a_json_file_with_the_same_number_columns_import_together(project, tmp_path):
    # the CSV's number columns are parsed as numbers, the JSON file's come as text: one import holds both
    csv_file = write_csv(
        tmp_path / "a.csv",
        ["Id", "ChannelType", "Address", "Location.Latitude", "Metrics.score"],
        [["c1", "EMAIL", "c1@example.com", "47.25", "1.5"], ["c2", "EMAIL", "c2@example.com", "", "7"]],
    )
    jsonl = tmp_path / "b.jsonl"
    record = {"Id": "j1", "ChannelType": "EMAIL", "Address": "j1@example.com", "Metrics": {"score": 2}}
    jsonl.write_text(json.dumps({**record, "Location": {"Latitude": -33.5}}) + "\n")
    result = project.endpoints.import_files(csv_file, jsonl)
    assert (result.imported, result.rejected) == (3, 0)
    rows = project.query('SELECT Id, "Location.Latitude", "Metrics.score" FROM endpoints ORDER BY Id').rows()
    assert rows == [("c1", 47.25, 1.5), ("c2", None, 7.0), ("j1", -33.5, 2.0)]


def test_update_needs_only_the_id_and_keeps_other_fields(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(3)))
    update = write_csv(
        tmp_path / "b.csv", ["Id", "Attributes.plan", "Metrics.score"], [["e1", "enterprise", "9"]]
    )
    result = project.endpoints.import_files(update)
    assert (result.imported, result.updated) == (0, 1)
    row = project.endpoints.frame(where="Id = 'e1'").row(0, named=True)
    assert row["Attributes.plan"] == ["enterprise"] and row["Metrics.score"] == 9.0
    assert row["Address"] == "person1@example.com" and row["User.UserId"] == "u1"  # kept
    assert project.endpoints.count().endpoints == 3


def test_new_endpoint_needs_address_and_channel_type(project, tmp_path):
    src = write_csv(
        tmp_path / "a.csv",
        ["Id", "ChannelType", "Address"],
        [["", "EMAIL", ""], ["", "", "x@example.com"], ["new-id", "", ""], ["ok", "EMAIL", "ok@example.com"]],
    )
    result = project.endpoints.import_files(src)
    assert result.imported == 1
    rejects = read_rejects(result)
    assert [(r["line"], r["field"]) for r in rejects] == [
        ("2", "Address"),
        ("3", "ChannelType"),
        ("4", "Address"),
    ]
    assert "needs Address and ChannelType" in rejects[2]["reason"]


def test_rows_without_id_get_a_stable_id(project, tmp_path):
    src = write_csv(tmp_path / "a.csv", ["ChannelType", "Address"], [["EMAIL", "a@example.com"]])
    project.endpoints.import_files(src)
    again = write_csv(
        tmp_path / "b.csv", ["ChannelType", "Address", "Attributes.x"], [["EMAIL", "a@example.com", "1"]]
    )
    result = project.endpoints.import_files(again)
    assert (result.imported, result.updated) == (0, 1)
    assert project.endpoints.count().endpoints == 1


def test_emails_are_checked_and_phones_normalised(project, tmp_path):
    src = write_csv(
        tmp_path / "a.csv",
        ["Id", "ChannelType", "Address", "Location.Country"],
        [
            ["a", "EMAIL", "plain@example.com", ""],
            ["b", "EMAIL", "no-at-sign.example.com", ""],
            ["c", "EMAIL", "two@@example.com", ""],
            ["d", "EMAIL", "josé@exämple.de", ""],  # internationalised: valid
            ["e", "SMS", "+44 20 7946 0958", ""],
            ["f", "SMS", "020 7946 0958", "GB"],
            ["g", "SMS", "12345", "US"],
            ["h", "VOICE", "555-0100", ""],
        ],
    )
    result = project.endpoints.import_files(src)
    rows = {r["Id"]: r for r in project.endpoints.frame().to_dicts()}
    assert set(rows) == {"a", "d", "e", "f"}
    assert rows["e"]["Address"] == rows["f"]["Address"] == "+442079460958"
    assert rows["f"]["RawAddress"] == "020 7946 0958"
    reasons = {r["line"]: r for r in read_rejects(result)}
    assert "e-mail" in reasons["3"]["reason"] and reasons["3"]["field"] == "Address"
    assert "e-mail" in reasons["4"]["reason"]
    assert "phone" in reasons["8"]["reason"]
    assert "Location.Country" in reasons["9"]["reason"]  # national format with no region to read it by


def test_newer_endpoint_takes_the_address(project, tmp_path):
    project.endpoints.import_files(
        write_csv(
            tmp_path / "a.csv",
            ["Id", "ChannelType", "Address"],
            [["old", "SMS", "+12065550100"], ["voice", "VOICE", "+12065550100"]],
        )
    )
    result = project.endpoints.import_files(
        write_csv(tmp_path / "b.csv", ["Id", "ChannelType", "Address"], [["new", "SMS", "+1 (206) 555-0100"]])
    )
    assert result.deactivated == 1
    status = dict(project.query("SELECT Id, EndpointStatus FROM endpoints").rows())
    assert status == {
        "old": "INACTIVE",
        "voice": "ACTIVE",
        "new": "ACTIVE",
    }  # same address, other channel: kept
    # inside one file, the later row wins
    result = project.endpoints.import_files(
        write_csv(
            tmp_path / "c.csv",
            ["Id", "ChannelType", "Address"],
            [["p", "EMAIL", "z@example.com"], ["q", "EMAIL", "z@example.com"]],
        )
    )
    status = dict(project.query("SELECT Id, EndpointStatus FROM endpoints").rows())
    assert status["p"] == "INACTIVE" and status["q"] == "ACTIVE"


def test_at_most_15_endpoints_per_user(project, tmp_path):
    rows = [[f"e{i}", "EMAIL", f"p{i}@example.com", "u1", "free", 1] for i in range(14)]
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, rows))
    more = [[f"e{i}", "EMAIL", f"p{i}@example.com", "u1", "free", 1] for i in range(14, 17)]
    result = project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, more))
    assert result.imported == 1
    rejects = read_rejects(result)
    assert [r["line"] for r in rejects] == ["3", "4"]
    assert all(r["field"] == "User.UserId" and "at most 15" in r["reason"] for r in rejects)
    assert project.endpoints.count().endpoints == 15
    # updating an endpoint the user already holds is still fine
    again = project.endpoints.import_files(
        write_csv(tmp_path / "c.csv", EMAIL_HEADER, [["e3", "EMAIL", "p3@example.com", "u1", "pro", 2]])
    )
    assert again.updated == 1 and again.rejected == 0


def test_user_cap_in_one_file_and_a_bound_that_overestimates(project, tmp_path):
    # one file: the 16th endpoint of a user is rejected, other users' 15 are fine
    rows = [[f"a{i}", "EMAIL", f"a{i}@example.com", "ua", "free", 1] for i in range(16)]
    rows += [[f"b{i}", "EMAIL", f"b{i}@example.com", "ub", "free", 1] for i in range(15)]
    result = project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, rows))
    assert result.imported == 30 and [r["line"] for r in read_rejects(result)] == ["17"]
    # the quick bound adds the most any user holds (15) to the most rows any user has in the file (2):
    # over 15, so the exact count decides, and a new user's two endpoints are fine
    more = [
        ["c1", "EMAIL", "c1@example.com", "uc", "free", 1],
        ["c2", "EMAIL", "c2@example.com", "uc", "free", 1],
    ]
    again = project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, more))
    assert again.imported == 2 and again.rejected == 0


def test_the_batch_rules_see_addresses_as_normalised(project, tmp_path):
    # two spellings of one number, in one file: the same E.164 address, so the earlier row is left INACTIVE
    # (validation learns whether addresses repeat only once phone numbers are normalised)
    rows = [["p1", "SMS", "+1 (206) 555-0100"], ["p2", "SMS", "+12065550100"], ["p3", "SMS", "+12065550101"]]
    result = project.endpoints.import_files(
        write_csv(tmp_path / "a.csv", ["Id", "ChannelType", "Address"], rows)
    )
    assert result.imported == 3
    status = dict(project.query("SELECT Id, EndpointStatus FROM endpoints").rows())
    assert status == {"p1": "INACTIVE", "p2": "ACTIVE", "p3": "ACTIVE"}


def test_an_update_without_a_user_id_still_counts_for_its_user(project, tmp_path):
    # validation's bound counts User.UserId as the file gives it; an update that leaves it out keeps the
    # stored user, so with updates in the batch the upsert counts again
    rows = [[f"e{i}", "EMAIL", f"p{i}@example.com", "u1", "free", 1] for i in range(14)]
    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, rows))
    more = [["e0", "EMAIL", "p0@example.com", "", "pro", 2]]
    more += [[f"e{i}", "EMAIL", f"p{i}@example.com", "u1", "free", 1] for i in (14, 15)]
    result = project.endpoints.import_files(write_csv(tmp_path / "b.csv", EMAIL_HEADER, more))
    assert (result.updated, result.imported) == (1, 1)
    assert [(r["line"], r["field"]) for r in read_rejects(result)] == [("4", "User.UserId")]
    assert project.endpoints.count().endpoints == 15


def test_attribute_limits(project, tmp_path):
    long_name = "Attributes." + "n" * 51
    with pytest.raises(InputError) as err:
        project.endpoints.import_files(
            write_csv(
                tmp_path / "a.csv",
                ["Id", "ChannelType", "Address", long_name],
                [["a", "EMAIL", "a@example.com", "x"]],
            )
        )
    assert err.value.field == long_name and "at most 50" in str(err.value) and err.value.line == 1
    result = project.endpoints.import_files(
        write_csv(
            tmp_path / "b.csv",
            ["Id", "ChannelType", "Address", "Attributes.note"],
            [["a", "EMAIL", "a@example.com", "v" * 101], ["b", "EMAIL", "b@example.com", "v" * 100]],
        )
    )
    (reject,) = read_rejects(result)
    assert (
        reject["field"] == "Attributes.note" and "101 characters" in reject["reason"] and result.imported == 1
    )


def test_250_attribute_names_per_project(project, tmp_path):
    names = [f"Attributes.a{i}" for i in range(200)]
    project.endpoints.import_files(
        write_csv(
            tmp_path / "a.csv",
            ["Id", "ChannelType", "Address", *names],
            [["a", "EMAIL", "a@example.com", *["x"] * 200]],
        )
    )
    more = [f"Metrics.m{i}" for i in range(51)]
    with pytest.raises(InputError, match="250"):
        project.endpoints.import_files(write_csv(tmp_path / "b.csv", ["Id", *more], [["a", *["1"] * 51]]))
    assert len(project.endpoints.attribute_names()) == 200  # nothing was half-added
    ok = project.endpoints.import_files(
        write_csv(tmp_path / "c.csv", ["Id", *more[:50]], [["a", *["1"] * 50]])
    )
    assert ok.updated == 1 and len(project.endpoints.attribute_names()) == 250


def test_reimporting_the_same_file_changes_nothing(project, tmp_path):
    src = write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(5))
    first = project.endpoints.import_files(src)
    before = project.endpoints.frame().sort("Id")
    second = project.endpoints.import_files(src)
    assert (
        first.imported == 5 and second.imported == second.updated == 0 and second.skipped_files == [str(src)]
    )
    assert project.endpoints.frame().sort("Id").equals(before)


def test_strict_imports_nothing_when_a_row_is_rejected(project, tmp_path):
    rows = [*email_rows(3), ["bad", "EMAIL", "not-an-email", "u9", "free", 1]]
    src = write_csv(tmp_path / "a.csv", EMAIL_HEADER, rows)
    with pytest.raises(ImportRejectedError) as err:
        project.endpoints.import_files(src, strict=True)
    assert err.value.result.committed is False and err.value.result.rejected == 1
    assert "a.csv:5" in str(err.value)
    assert project.endpoints.count().endpoints == 0
    assert project.query("SELECT count(*) FROM imports").item() == 0
    # without --strict the valid rows go in, and the file can then be imported
    assert project.endpoints.import_files(src).imported == 3


def test_segment_from_import_and_user_id_only_file(project, tmp_path):
    result = project.endpoints.import_files(
        write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(6, user_every=2)), segment="first-wave"
    )
    assert result.segment == "first-wave" and result.segment_version == 1
    members = project.query(
        "SELECT endpoint_id FROM segment_members JOIN segments USING (segment_id) WHERE name = 'first-wave'"
    )
    assert sorted(members.get_column("endpoint_id").to_list()) == [f"e{i}" for i in range(6)]
    users = tmp_path / "users.csv"
    users.write_text("User.UserId\nu0 u2\nu404\n")
    result = project.endpoints.import_files(users, segment="vip")
    members = project.query(
        "SELECT endpoint_id FROM segment_members JOIN segments USING (segment_id) WHERE name = 'vip'"
    )
    assert sorted(members.get_column("endpoint_id").to_list()) == ["e0", "e1", "e4", "e5"]
    (reject,) = read_rejects(result)
    assert reject["line"] == "3" and "u404" in reject["reason"]
    with pytest.raises(InputError, match="--segment"):
        project.endpoints.import_files(users)  # a user-ID file makes a segment, so it needs a name


def test_demo_files_import_cleanly(project, demo_files):
    result = project.endpoints.import_files(demo_files.endpoints_csv, demo_files.endpoints_jsonl)
    assert result.rejected == 0, Path(result.rejects_file).read_text()[:2000] if result.rejects_file else ""
    counts = project.endpoints.count()
    assert counts.endpoints == result.imported > 0 and counts.users > 0


def test_import_segment_name_of_a_dynamic_segment_is_refused(project, tmp_path):
    from workbench.segments import Segment, attribute

    project.endpoints.import_files(write_csv(tmp_path / "a.csv", EMAIL_HEADER, email_rows(2)))
    Segment(project, attribute("plan").any_of("pro")).save("pros")
    with pytest.raises(InputError, match="'pros' exists and is a dynamic segment"):
        project.endpoints.import_files(
            write_csv(tmp_path / "b.csv", EMAIL_HEADER, email_rows(2, start=5)), segment="pros"
        )
    assert project.endpoints.count().endpoints == 2  # the whole import was rolled back


def test_an_endpoint_over_15_kb_is_rejected(project, tmp_path):
    names = [f"Attributes.a{i}" for i in range(4) for _ in range(40)]  # 4 attributes x 40 values of 100 chars
    big = ["big", "EMAIL", "big@example.com", *["v" * 100] * 160]
    small = ["small", "EMAIL", "small@example.com", *["v" * 100] * 2, *[""] * 158]
    result = project.endpoints.import_files(
        write_csv(tmp_path / "a.csv", ["Id", "ChannelType", "Address", *names], [big, small])
    )
    assert result.imported == 1
    (reject,) = read_rejects(result)
    assert (
        reject["line"] == "2"
        and "endpoint of 16023 bytes" in reject["reason"]
        and "15,360" in reject["reason"]
    )
