"""Shared fixtures: fresh projects, and a small demo project built once per test worker."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("WORKBENCH_NO_PROGRESS", "1")

DEMO_ENDPOINTS = 3000


@pytest.fixture
def project(tmp_path):
    """A new, empty project."""
    from workbench import Project

    return Project.create(tmp_path / "project")


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """Demo input files (endpoints CSV/JSONL, events .gz, users file) for a small audience."""
    from workbench.demo import generate_demo_files

    return generate_demo_files(tmp_path_factory.mktemp("demo-files"), endpoints=DEMO_ENDPOINTS, seed=7)


@pytest.fixture(scope="session")
def demo_project_path(tmp_path_factory, demo_files) -> Path:
    """A small demo project (endpoints and events imported), built once per worker. Treat it as read-only."""
    from workbench import Project

    path = tmp_path_factory.mktemp("demo") / "project"
    project = Project.create(path)
    project.endpoints.import_files(demo_files.endpoints_csv, demo_files.endpoints_jsonl, progress=False)
    project.events.import_files(*demo_files.event_files, progress=False)
    return path


@pytest.fixture(scope="session")
def demo_project(demo_project_path):
    """The shared small demo project (read-only use; copy it with ``demo_project_copy`` to change it)."""
    from workbench import Project

    return Project.open(demo_project_path)


@pytest.fixture
def demo_project_copy(demo_project_path, tmp_path):
    """A private, writable copy of the small demo project."""
    from workbench import Project

    dest = tmp_path / "demo-copy"
    shutil.copytree(demo_project_path, dest)
    return Project.open(dest)
