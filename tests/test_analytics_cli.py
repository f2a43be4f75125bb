"""`workbench kpi`, `funnel` and `dashboard`: the JSON contract, known answers, and clear errors."""

from __future__ import annotations

import json

import analytics_tiny as tiny
import pytest

from workbench.cli import main


@pytest.fixture(scope="module")
def tp(tmp_path_factory):
    return tiny.build(tmp_path_factory.mktemp("tiny-cli"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kpi_json(tp, capsys):
    code, out, _ = run(capsys, "kpi", "daily-active-endpoints", "--start", "2026-10-01", "--end", "2026-10-08",
                       "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["kpi"] == "daily-active-endpoints"
    assert [r["value"] for r in payload["rows"]] == [2, 2, 0, 0, 1, 0, 0, 1]
    assert payload["rows"][0]["date"] == "2026-10-01"
    assert payload["total"] == 4


@pytest.mark.parametrize(
    ("name", "total"),
    [("revenue", 28.0), ("paying-users", 2), ("units-sold", 7), ("purchases", 4), ("revenue-per-paying-user", 14.0),
     ("sessions", 7), ("new-endpoints", 3), ("sign-ins", 1), ("seven-day-retention-rate", 2 / 6)],
)  # fmt: skip
def test_kpi_totals(tp, capsys, monkeypatch, name, total):
    monkeypatch.setenv("WORKBENCH_PROJECT", str(tp.path))
    code, out, _ = run(capsys, "kpi", name, "--start", "2026-10-01", "--end", "2026-10-08", "--json")
    assert code == 0
    assert json.loads(out)["total"] == pytest.approx(total)


def test_kpi_segment_and_event(tp, capsys):
    code, out, _ = run(capsys, "kpi", "sessions", "--start", "2026-10-01", "--end", "2026-10-08", "--segment", "ios",
                       "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["total"] == 5 and json.loads(out)["segment"] == "ios"
    _, out, _ = run(capsys, "kpi", "events", "--event", "view:sku=b", "--start", "2026-10-01", "--end", "2026-10-08",
                       "--project", str(tp.path), "--json")  # fmt: skip
    assert json.loads(out)["total"] == 3


def test_kpi_errors(tp, capsys):
    code, out, err = run(capsys, "kpi", "daily-active-endpoint", "--project", str(tp.path), "--json")
    assert code == 1 and out == ""
    assert "no KPI named 'daily-active-endpoint'" in err and "did you mean daily-active-endpoints" in err
    assert "sticky-factor" in err and "revenue-per-paying-user" in err  # lists the valid names
    code, _, err = run(capsys, "kpi", "revenue", "--campaign", "c1", "--project", str(tp.path))
    assert code == 1 and "takes no --campaign" in err
    code, _, err = run(capsys, "kpi", "revenue", "--start", "2026-13-01", "--project", str(tp.path))
    assert code == 1 and "not a date" in err
    code, out, _ = run(capsys, "kpi", "--list", "--json", "--project", str(tp.path))
    assert {"sticky-factor", "monthly-active-users", "paying-users"} <= {
        k["kpi"] for k in json.loads(out)["kpis"]
    }


def test_funnel_json(tp, capsys):
    code, out, _ = run(capsys, "funnel", "--step", "view", "--step", "cart", "--step", "buy", "--window", "1d",
                       "--start", "2026-10-01", "--end", "2026-10-08", "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0
    steps = json.loads(out)["steps"]
    assert [(s["event"], s["count"], s["conversion"]) for s in steps] == [
        ("view", 4, 1.0), ("cart", 3, 0.75), ("buy", 1, 0.25)
    ]  # fmt: skip


def test_funnel_errors(tp, capsys):
    code, _, err = run(capsys, "funnel", "--step", "view", "--project", str(tp.path), "--json")
    assert code == 1 and "at least two steps" in err
    code, _, err = run(capsys, "funnel", "--step", "view", "--step", "checkout", "--project", str(tp.path))
    assert code == 0 and "warning: no events of type 'checkout'" in err and "the log has: " in err


def test_dashboard_command(tp, capsys, tmp_path):
    out_file = tmp_path / "o.html"
    code, out, _ = run(capsys, "dashboard", "overview", "--out", str(out_file), "--start", "2026-10-01",
                       "--end", "2026-10-08", "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert payload["files"][0]["bytes"] == out_file.stat().st_size > 100_000
    code, _, err = run(capsys, "dashboard", "nope", "--out", str(out_file), "--project", str(tp.path))
    assert code == 1 and "valid dashboards: overview, usage" in err
    code, out, _ = run(capsys, "dashboard", "usage", "--out", str(tmp_path / "e.html"), "--start", "2025-01-01",
                       "--end", "2025-01-02", "--project", str(tp.path))  # fmt: skip
    assert code == 0 and "No events between 2025-01-01 and 2025-01-02" in out
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(
        capsys, "dashboard", "usage", "--out", str(blocker / "x.html"), "--project", str(tp.path)
    )
    assert code == 1 and "cannot write" in err and str(blocker) in err
