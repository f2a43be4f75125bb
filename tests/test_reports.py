"""Report runs: parameters checked against the notebook, failing cells named, unwritable folders refused."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbench.cli import main
from workbench.errors import InputError, UnknownNameError
from workbench.reports import ReportError, parse_params, reports, run_report, run_reports


def write_notebook(path, cells, params="x = 1\nlabel = 'a'"):
    nb = new_notebook(
        metadata={"workbench": {"report": True}, "kernelspec": {"name": "python3", "display_name": "py"}}
    )
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# test"), p, *[new_code_cell(c) for c in cells]]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def nbdir(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder / "01_ok.ipynb", ["print(x * 2, label)"])
    write_notebook(
        folder / "02_broken.ipynb", ["y = 1", "raise ValueError('the data is odd')", "print('never')"]
    )
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(folder))
    return folder


def test_shipped_notebooks_are_reports():
    found = reports()
    assert {"dashboards", "funnel-deep-dive"} <= set(found)
    for path in found.values():
        nb = nbformat.read(str(path), as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "project_path" in tagged[0].source and "start" in tagged[0].source


def test_report_runs_with_typed_parameters(nbdir, tmp_path):
    result = run_report("ok", {"x": "21", "label": "b"}, tmp_path / "out")
    html = result.html.read_text()
    assert "42 b" in html and "print(" not in html  # output kept, code hidden
    executed = nbformat.read(str(result.notebook), as_version=4)
    assert any("x = 21" in c.source for c in executed.cells)


def test_failing_cell_is_named(nbdir, tmp_path, capsys):
    with pytest.raises(ReportError) as err:
        run_report("broken", {}, tmp_path / "out")
    message = str(err.value)
    assert "report 'broken'" in message and "02_broken.ipynb" in message
    assert "ValueError: the data is odd" in message and "cell" in message
    code = main(["report", "broken", "--out", str(tmp_path / "out2")])
    assert code == 1
    assert "ValueError: the data is odd" in capsys.readouterr().err


def test_all_stops_at_the_failure(nbdir, tmp_path):
    with pytest.raises(ReportError, match="broken"):
        run_reports(None, {}, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "ok.html").exists()


def test_bad_parameters(nbdir, tmp_path):
    with pytest.raises(InputError, match="'abc' is not a valid int for parameter 'x'"):
        run_report("ok", {"x": "abc"}, tmp_path)
    with pytest.raises(InputError, match="no parameter 'y'"):
        run_report("ok", {"y": "1"}, tmp_path)
    with pytest.raises(InputError, match="key=value"):
        parse_params(["novalue"])
    with pytest.raises(UnknownNameError, match="valid reports: ok, broken"):
        run_report("okay", {}, tmp_path)


def test_date_parameters_are_checked(tmp_path):
    with pytest.raises(InputError, match="not a date"):
        run_reports(["dashboards"], {"start": "first of may"}, tmp_path, progress=False)


def test_unwritable_output_folder(nbdir, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write reports here"):
        run_report("ok", {}, blocker / "reports")
    assert main(["report", "--all", "--out", str(blocker / "r")]) == 1
    assert "cannot write reports here" in capsys.readouterr().err


def test_cli_report_with_params(demo_project, tmp_path, capsys):
    code = main(["report", "funnel-deep-dive", "--project", str(demo_project.path), "--param", "window=3d",
                 "--param", "breakdown=country", "--out", str(tmp_path), "--json"])  # fmt: skip
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    html = (tmp_path / "funnel-deep-dive.html").read_text()
    assert payload["reports"][0]["bytes"] == len(html.encode())
    # headings and titles come from the parameters
    assert "3 days to finish" in html and ">By country<" in html and "by country" in html
    assert (
        "{breakdown}" not in html and "By platform" not in html and "Funnel: conversion by step" not in html
    )
