"""The ``workbench`` command starts fast because it imports only what a command needs, when it needs it.

What a fresh process imports is the deterministic proxy tested here; the timed figures are
``benchmarks/bench_cli_start.py``'s.
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


def test_import_workbench_is_light_and_its_names_load_on_first_use():
    assert heavy_imports("import workbench") == []
    assert "polars" in heavy_imports("from workbench import Project")


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
