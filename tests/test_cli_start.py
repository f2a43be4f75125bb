"""The ``workbench`` command starts fast because it imports only what a command needs, when it needs it.

What a fresh process imports is the deterministic proxy tested here; the timed figures are
``benchmarks/bench_cli_start.py``'s. A command that only reads the catalog needs DuckDB, not Polars or PyArrow
(their imports take longer than the rest of such a command).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import workbench

#: Libraries that cost tens of milliseconds each to import.
HEAVY = ("polars", "duckdb", "pyarrow", "numpy", "altair")


def heavy_imports(code: str) -> list[str]:
    """The HEAVY libraries a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_the_cli_and_its_help_import_no_data_library():
    assert heavy_imports("import workbench.cli\nworkbench.cli.build_parser().format_help()") == []


def test_parsing_a_command_line_imports_no_data_library(tmp_path):
    code = (
        "from workbench.cli import build_parser\n"
        f"build_parser().parse_args(['endpoints', 'count', '--project', {str(tmp_path)!r}, '--json'])"
    )
    assert heavy_imports(code) == []


def run_command(argv: list[str]) -> tuple[str, list[str]]:
    """Run ``workbench.cli.main(argv)`` in a fresh interpreter: its stdout, and the HEAVY libraries it imported."""
    code = f"from workbench.cli import main\nassert main({argv!r}) == 0"
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *out, modules = done.stdout.splitlines()
    return "\n".join(out), json.loads(modules)


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    """A project with a few generated endpoints and one imported segment."""
    from workbench import Project
    from workbench.demo import generate_demo_files

    folder = tmp_path_factory.mktemp("tiny")
    files = generate_demo_files(folder / "files", endpoints=60, events=False)
    project = Project.create(folder / "project")
    project.endpoints.import_files(files.endpoints_csv, segment="first-wave", progress=False)
    return project


def test_counting_endpoints_imports_duckdb_only_and_prints_the_counts(tiny_project):
    out, modules = run_command(["endpoints", "count", "--project", str(tiny_project.path), "--json"])
    assert modules == ["duckdb"]
    sql = (
        "SELECT count(*) AS endpoints, count(*) FILTER (WHERE EndpointStatus = 'ACTIVE') AS active, "
        'count(DISTINCT "User.UserId") AS users FROM endpoints'
    )
    expected = tiny_project.query(sql).row(0, named=True)
    assert json.loads(out) == expected and expected["endpoints"] > 0


def test_listing_segments_imports_duckdb_only_and_prints_every_segment(tiny_project):
    from workbench.segments import list_segments

    out, modules = run_command(["segment", "list", "--project", str(tiny_project.path), "--json"])
    assert modules == ["duckdb"]
    expected = [
        {
            "segment": r["name"],
            "type": r["segment_type"],
            "version": r["latest_version"],
            "updated_at": str(r["updated_at"]),
        }
        for r in list_segments(tiny_project).iter_rows(named=True)
    ]
    assert out == json.dumps({"segments": expected}) and expected[0]["segment"] == "first-wave"


def test_import_workbench_is_light_and_its_names_load_on_first_use():
    assert heavy_imports("import workbench") == []
    assert heavy_imports("from workbench import Project") == ["duckdb"]


def test_the_front_door_names_are_the_packages_own():
    from workbench.analytics import funnel, kpi
    from workbench.dashboards import Dashboard, dashboard
    from workbench.project import EndpointCounts, Project
    from workbench.segments import Segment
    from workbench.widgets import SegmentBuilder

    expected = {
        "Project": Project,
        "EndpointCounts": EndpointCounts,
        "Segment": Segment,
        "SegmentBuilder": SegmentBuilder,
        "Dashboard": Dashboard,
        "dashboard": dashboard,
        "kpi": kpi,
        "funnel": funnel,
    }
    for name, value in expected.items():
        assert getattr(workbench, name) is value, name
    assert set(workbench.__all__) <= set(dir(workbench))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        workbench.no_such_name  # noqa: B018
