"""The house's floors: imports only go down (import-linter's layers contract, as `make lint` runs it) and no
module takes part in an import cycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def test_the_layers_contract_is_kept():
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is part of the dev dependencies"
    done = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "broken" not in done.stdout.split("Contracts:")[-1].replace("0 broken", "")


def test_no_import_cycles():
    graph = grimp.build_graph("workbench")
    cycles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.find_shortest_chain(importer=imported, imported=module):
                cycles.add(tuple(sorted((module, imported))))
    assert not cycles, "modules importing each other (directly or through others): " + ", ".join(
        " <-> ".join(pair) for pair in sorted(cycles)
    )


def test_the_ground_floor_imports_no_feature_and_no_face():
    graph = grimp.build_graph("workbench")
    above = (
        "workbench.ingest",
        "workbench.segments",
        "workbench.analytics",
        "workbench.project",
        "workbench.cli",
        "workbench.dashboards",
        "workbench.widgets",
        "workbench.reports",
        "workbench.demo",
    )
    for module in graph.find_descendants("workbench.store") | {"workbench.store"}:
        for imported in graph.find_modules_directly_imported_by(module):
            assert not imported.startswith(above), f"{module} imports {imported}"
