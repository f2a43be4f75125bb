"""Report runs: parameters checked against the notebook, failing cells named, unwritable folders refused."""

from __future__ import annotations

import argparse
import json
import re

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


@pytest.fixture
def stuck_nbdir(tmp_path, monkeypatch):
    """Reports that never finish by themselves: one sleeps, one kills its own kernel."""
    folder = tmp_path / "stuck-notebooks"
    folder.mkdir()
    write_notebook(folder / "01_slow.ipynb", ["import time", "time.sleep(120)", "print('never')"])
    write_notebook(folder / "02_dies.ipynb", ["import os", "os._exit(3)", "print('never')"])
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(folder))
    return folder


def test_a_cell_past_the_timeout_stops_the_report(stuck_nbdir, tmp_path, capsys):
    with pytest.raises(ReportError) as err:
        run_report("slow", {}, tmp_path / "out", cell_timeout=1)
    message = str(err.value)
    # cells: 0 the heading, 1 the parameters, 2 the import, 3 the sleep
    assert "report 'slow'" in message and "01_slow.ipynb" in message
    assert "cell 3 (execution count 3: 'time.sleep(120)') ran longer than 1 s (--cell-timeout)" in message
    assert str(tmp_path / "out" / "slow.ipynb") in message
    executed = nbformat.read(str(tmp_path / "out" / "slow.ipynb"), as_version=4)
    assert "never" not in json.dumps([c.get("outputs", []) for c in executed.cells])

    code = main(["report", "slow", "--cell-timeout", "1", "--out", str(tmp_path / "out2"), "--json"])
    err_text = capsys.readouterr().err
    # one line, said once (papermill's own log records of the timeout are not printed as well)
    assert code == 1 and err_text.startswith("error: report 'slow'") and err_text.count("\n") == 1
    assert "ran longer than 1 s" in err_text


def test_a_dead_kernel_stops_the_report_naming_the_cell(stuck_nbdir, tmp_path, capsys):
    with pytest.raises(ReportError, match=r"kernel died in cell 3 \((execution count 3: )?'os._exit\(3\)'\)"):
        run_report("dies", {}, tmp_path / "out")
    assert main(["report", "dies", "--out", str(tmp_path / "out1"), "--json"]) == 1
    err_text = capsys.readouterr().err
    assert err_text.startswith("error: report 'dies'") and err_text.count("\n") == 1
    code = main(["report", "--all", "--cell-timeout", "2", "--out", str(tmp_path / "out2")])
    err_text = capsys.readouterr().err
    # --all runs them in order: the slow one first, stopped at 2 s, is the one named
    assert code == 1 and "report 'slow'" in err_text and "Traceback" not in err_text


@pytest.fixture
def broken_kernels(tmp_path, monkeypatch):
    """The workbench's kernel replaced (through JUPYTER_PATH, searched first) by one that never answers."""
    spec = tmp_path / "jupyter" / "kernels" / "workbench"
    spec.mkdir(parents=True)

    def install(argv):
        (spec / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "broken", "language": "python"})
        )

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setattr("workbench.reports.KERNEL_START_SECONDS", 2.0)
    return install


def test_a_kernel_that_does_not_answer_stops_the_report(nbdir, broken_kernels, tmp_path, capsys):
    broken_kernels(["/bin/sh", "-c", "sleep 30", "{connection_file}"])
    with pytest.raises(ReportError) as err:
        run_report("ok", {}, tmp_path / "out")
    message = str(err.value)
    assert "report 'ok'" in message and "did not start" in message
    assert "kernel ('workbench') did not answer within 2 s of starting" in message
    assert main(["report", "ok", "--out", str(tmp_path / "out2"), "--json"]) == 1
    err_text = capsys.readouterr().err
    assert err_text.startswith("error: report 'ok'") and err_text.count("\n") == 1
    assert "Traceback" not in err_text


def test_a_kernel_that_exits_at_once_stops_the_report(nbdir, broken_kernels, tmp_path):
    broken_kernels(["/bin/sh", "-c", "exit 3", "{connection_file}"])
    with pytest.raises(ReportError, match=r"kernel \('workbench'\) exited as it started"):
        run_report("ok", {}, tmp_path / "out")


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "10"])
def test_cell_timeout_must_be_positive_seconds(nbdir, tmp_path, bad):
    with pytest.raises(InputError, match="the cell timeout must be a positive number of seconds"):
        run_report("ok", {}, tmp_path, cell_timeout=bad)
    with pytest.raises(InputError, match="the cell timeout must be a positive number of seconds"):
        run_reports(["ok"], {}, tmp_path, progress=False, cell_timeout=bad)
    assert not (tmp_path / "ok.html").exists()


@pytest.mark.parametrize("text", ["abc", "-5", "nan", "inf", ""])
def test_cli_cell_timeout_is_checked(nbdir, tmp_path, capsys, text):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "ok", "--cell-timeout", text, "--out", str(tmp_path)])
    assert exit_.value.code == 2
    err_text = capsys.readouterr().err
    assert "argument --cell-timeout" in err_text and "Traceback" not in err_text


def test_cli_cell_timeout_zero_is_no_limit(nbdir, tmp_path, capsys):
    assert main(["report", "ok", "--cell-timeout", "0", "--out", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reports"][0]["name"] == "ok"


@given(st.text(max_size=12))
@settings(max_examples=200, deadline=None)
def test_cell_timeout_text_fuzz(text):
    from workbench.cli.reporting import _seconds

    try:
        value = _seconds(text)
    except argparse.ArgumentTypeError as err:
        assert repr(text) in str(err)
    else:
        assert 0 <= value < float("inf")


def test_a_report_runs_from_inside_a_notebook(nbdir, tmp_path):
    """``project.report()`` in a notebook: the kernel's own event loop is running there, and nbclient drives the
    report's kernel from a second thread; the report must still finish."""
    import papermill

    from workbench.reports import _kernel, kernel_config

    out = tmp_path / "inner"
    outer = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "py"}})
    outer.cells = [
        new_code_cell(
            "from pathlib import Path\nfrom workbench.reports import run_report\n"
            f"result = run_report('ok', {{'x': 4}}, Path({str(out)!r}))\nprint(result.html.name)"
        )
    ]
    nbformat.write(outer, str(tmp_path / "outer.ipynb"))
    kernel = _kernel()
    papermill.execute_notebook(
        str(tmp_path / "outer.ipynb"),
        str(tmp_path / "outer.out.ipynb"),
        kernel_name=kernel,
        config=kernel_config(kernel),
        progress_bar=False,
        execution_timeout=300,
    )
    executed = nbformat.read(str(tmp_path / "outer.out.ipynb"), as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "ok.html"
    assert "8 a" in (out / "ok.html").read_text()


def test_a_dashboards_charts_are_laid_out_in_cards_in_the_exported_page():
    """Two or more chart outputs in a row (a dashboard shown in a report) become one grid of cards, each chart as
    wide as its card, as on the dashboard's own page; a lone chart stays a plain block."""
    from workbench.reports import _charts_as_blocks

    def chart(title):
        spec = {"mark": "line", "title": title, "width": 400, "data": {"values": []}}
        return nbformat.v4.new_output("display_data", data={"application/vnd.vegalite.v5+json": spec})

    top = nbformat.v4.new_output("display_data", data={"text/html": "<p>tiles</p>"})
    nb = new_notebook()
    nb.cells = [new_code_cell("board"), new_code_cell("alone")]
    nb.cells[0].outputs = [top, chart("a"), chart("b"), chart("c")]
    nb.cells[1].outputs = [chart("only")]
    _charts_as_blocks(nb)
    grid = nb.cells[0].outputs
    assert len(grid) == 2 and grid[0]["data"]["text/html"] == "<p>tiles</p>"
    html = grid[1]["data"]["text/html"]
    assert (
        html.startswith('<div class="wb-dash"><div class="charts">')
        and html.count('<div class="chart">') == 3
    )
    assert len(re.findall(r'"width":\s*"container"', html)) == 3
    alone = nb.cells[1].outputs[0]["data"]["text/html"]
    assert 'class="charts"' not in alone and "wb-chart" in alone and "container" not in alone
