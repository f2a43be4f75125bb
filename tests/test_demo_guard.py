"""The demo never runs over a real project, and works at any size from the smallest."""

from __future__ import annotations

import json

import pytest

from workbench import InputError, Project
from workbench.cli import main
from workbench.demo import generate_demo_files, run_demo

SAMPLE = "data/sample/endpoints.csv"


def test_the_demo_refuses_a_project_holding_real_endpoints(tmp_path, capsys):
    project = Project.create(tmp_path / "real")
    project.endpoints.import_files(SAMPLE, progress=False)
    before = project.query("SELECT Id, Address FROM endpoints ORDER BY Id").rows()
    with pytest.raises(InputError, match="276 endpoints and 0 events that the demo did not make"):
        run_demo(tmp_path / "real", endpoints=20, progress=False, reports_dir=None)
    code = main(["demo", "--project", str(tmp_path / "real"), "--endpoints", "20", "--no-reports", "--json"])
    err = capsys.readouterr().err
    assert code == 1 and "would overwrite yours" in err and "Traceback" not in err
    assert (
        Project.open(tmp_path / "real").query("SELECT Id, Address FROM endpoints ORDER BY Id").rows()
        == before
    )
    assert not (tmp_path / "real" / "demo-data").exists()


def test_the_demo_runs_in_a_new_or_empty_project_and_again_in_its_own(tmp_path, capsys):
    Project.create(tmp_path / "empty")
    first = run_demo(tmp_path / "empty", endpoints=20, progress=False, reports_dir=None)
    again = run_demo(tmp_path / "empty", endpoints=20, progress=False, reports_dir=None)
    assert (first.endpoints, first.events) == (again.endpoints, again.events) == (20, first.events)


@pytest.mark.parametrize("endpoints", [0, -5, 1])
def test_too_few_endpoints_are_refused_clearly(tmp_path, capsys, endpoints):
    with pytest.raises(InputError, match=f"at least 2 endpoints .*not {endpoints}"):
        run_demo(tmp_path / "d", endpoints=endpoints, progress=False, reports_dir=None)
    assert (
        main(["demo", "--project", str(tmp_path / "d"), "--endpoints", str(endpoints), "--no-reports"]) == 1
    )
    err = capsys.readouterr().err
    assert "at least 2 endpoints" in err and "Traceback" not in err


@pytest.mark.parametrize("endpoints", [2, 3, 10])
def test_tiny_demos_put_an_endpoint_in_each_file_and_import(tmp_path, capsys, endpoints):
    files = generate_demo_files(tmp_path / "files", endpoints=endpoints, seed=0, events=False)
    assert files.counts["endpoints_csv"] >= 1 and files.counts["endpoints_jsonl"] >= 1
    code = main(
        ["demo", "--project", str(tmp_path / "p"), "--endpoints", str(endpoints), "--no-reports", "--json"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["endpoints"] == endpoints
