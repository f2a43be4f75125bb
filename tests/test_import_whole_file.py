"""Whole-file outcomes of an endpoint import: a file whose every row is refused imports nothing, is not recorded
(so it can be imported again once fixed) and exits 1; the AWS CLI's JSON documents import as they are."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import Project
from workbench.cli import main
from workbench.ingest import ImportRejectedError


def endpoint(i: int, **extra) -> dict:
    """A Pinpoint endpoint as ``aws pinpoint get-endpoint`` prints it."""
    return {
        "Address": f"q{i}@example.com",
        "ApplicationId": "app-1",
        "Attributes": {"plan": ["pro"]},
        "ChannelType": "EMAIL",
        "CohortId": "42",
        "CreationDate": "2024-01-01T00:00:00.000Z",
        "EffectiveDate": "2024-01-02T00:00:00.000Z",
        "EndpointStatus": "ACTIVE",
        "Id": f"q{i}",
        "OptOut": "NONE",
        "RequestId": "req-1",
        "User": {"UserId": f"u{i}"},
        **extra,
    }


def test_a_file_whose_every_row_is_refused_imports_nothing_and_can_be_imported_again(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    sms = tmp_path / "sms.csv"
    sms.write_text("Id,ChannelType,Address\np1,SMS,(206) 555-0103\np2,SMS,(206) 555-0104\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError) as err:
        project.endpoints.import_files(sms, progress=False)
    message = str(err.value)
    assert message.startswith("no valid endpoint: all 2 row(s) rejected, nothing imported; first: ")
    assert f"{sms}:2: field Address:" in message and err.value.result.rejects_file in message
    assert not err.value.result.committed
    assert project.query("SELECT count(*) FROM imports").item() == 0
    # the CLI: the summary, then one error line, exit 1
    assert main(["import", str(sms), "--project", str(project.path)]) == 1
    out, err_text = capsys.readouterr()
    assert "no: every row was rejected; nothing was imported" in out
    assert err_text.startswith("error: no valid endpoint: all 2 row(s)") and "Traceback" not in err_text
    # the region the numbers need, set afterwards: the same file now imports (it was not recorded as done)
    settings_file = project.path / "workbench.toml"
    text = settings_file.read_text(encoding="utf-8")
    assert 'default_region = ""' in text
    settings_file.write_text(text.replace('default_region = ""', 'default_region = "US"'), encoding="utf-8")
    result = Project.open(project.path).endpoints.import_files(sms, progress=False)
    assert (result.imported, result.rejected, result.skipped_files) == (2, 0, [])


def test_an_events_file_given_to_the_endpoint_import_says_so(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    events = tmp_path / "events.jsonl.gz"
    record = {"event_type": "_session.start", "event_timestamp": 1727740800000, "client": {"client_id": "c"}}
    events.write_bytes(gzip.compress((json.dumps(record) + "\n").encode()))
    assert main(["import", str(events), "--project", str(project.path), "--json"]) == 1
    err_text = capsys.readouterr().err
    assert "import events with `workbench events import`" in err_text
    assert "field event_type: unknown field" in err_text


def test_a_file_with_some_valid_rows_still_imports_them(tmp_path):
    project = Project.create(tmp_path / "p")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("Id,ChannelType,Address\na,EMAIL,a@example.com\nb,FAX,1\n", encoding="utf-8")
    result = project.endpoints.import_files(mixed, progress=False)
    assert (result.imported, result.rejected, result.committed) == (1, 1, True)


@pytest.mark.parametrize(
    ("document", "ids"),
    [
        ({"EndpointResponse": endpoint(1)}, ["q1"]),
        ({"EndpointsResponse": {"Item": [endpoint(1), endpoint(2)]}}, ["q1", "q2"]),
        (endpoint(3), ["q3"]),
        ([endpoint(4), endpoint(5)], ["q4", "q5"]),
    ],
    ids=["get-endpoint", "get-user-endpoints", "one-endpoint-pretty-printed", "an-array"],
)
def test_the_aws_clis_json_documents_import_as_they_are(tmp_path, document, ids):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "endpoint.json"
    path.write_text(json.dumps(document, indent=4), encoding="utf-8")
    result = project.endpoints.import_files(path, progress=False)
    assert (result.imported, result.rejected) == (len(ids), 0)
    rows = project.query('SELECT Id, "User.UserId", CohortId FROM endpoints ORDER BY Id').rows()
    assert [r[0] for r in rows] == ids and all(r[2] == 42 for r in rows)


def test_an_empty_endpoints_response_is_refused_naming_the_file(tmp_path):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"EndpointsResponse": {"Items": []}}, indent=2), encoding="utf-8")
    with pytest.raises(Exception, match="EndpointsResponse holds no endpoints") as err:
        project.endpoints.import_files(path, progress=False)
    assert err.value.file == str(path)


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plans=st.lists(_TEXT, min_size=1, max_size=4),
    wrap=st.sampled_from(["lines", "array", "response", "pretty-one"]),
    indent=st.sampled_from([None, 2, 4]),
)
def test_a_json_document_imports_as_its_json_lines_would_fuzz(tmp_path_factory, plans, wrap, indent):
    """However the endpoints are written (JSON lines, an array, the AWS CLI's response, one pretty-printed
    endpoint), the import stores the same rows."""
    items = [endpoint(i, Attributes={"plan": [p]}) for i, p in enumerate(plans)]
    if wrap == "pretty-one":
        items = items[:1]
    root = tmp_path_factory.mktemp("doc")
    lines = root / "lines.jsonl"
    lines.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    document = {
        "lines": None,
        "array": items,
        "response": {"EndpointsResponse": {"Item": items}},
        "pretty-one": items[0],
    }[wrap]
    other = root / "other.json"
    other.write_text(
        lines.read_text() if document is None else json.dumps(document, indent=indent or 2), encoding="utf-8"
    )
    stored = []
    for path in (lines, other):
        project = Project.create(root / f"p-{path.stem}")
        try:
            project.endpoints.import_files(path, progress=False)
        except ImportRejectedError:
            pass
        stored.append(project.query('SELECT Id, "Attributes.plan" FROM endpoints ORDER BY Id').rows())
    assert stored[0] == stored[1]


def test_an_import_that_commits_nothing_lists_no_new_attribute_columns(tmp_path, capsys):
    project = Project.create(tmp_path / "p")
    path = tmp_path / "strict.csv"
    path.write_text(
        "Id,ChannelType,Address,Metrics.m\na,EMAIL,a@example.com,1\nb,FAX,1,2\n", encoding="utf-8"
    )
    assert main(["import", str(path), "--strict", "--project", str(project.path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["committed"] is False and out["new_attributes"] == []
    assert "Metrics.m" not in project.query("SELECT * FROM endpoints").columns
