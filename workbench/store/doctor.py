"""``workbench doctor``'s checks of a project folder's files: each a small function returning what it found.

A problem says which check found it, where, and what is wrong; ``fixable`` ones are leftovers (temporary files,
files nothing lists) that ``--fix`` removes. Files that may belong to a command still running (an untagged temp
file younger than store.leftovers.GRACE_SECONDS, or one whose owner process runs) are not problems.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..errors import WorkbenchError
from . import leftovers
from .event_log import event_log_leftovers
from .handle import Store
from .views import PART_DIR, parts, scan_event_log


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a project: the check that found it, the file (if any), and what is wrong."""

    check: str
    problem: str
    path: str | None = None
    fixable: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "path": self.path, "problem": self.problem, "fixable": self.fixable}

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"[{self.check}] {where}{self.problem}" + (" (--fix removes it)" if self.fixable else "")


def open_store(path: str | os.PathLike[str]) -> tuple[Store | None, list[Problem]]:
    """Open the project (the catalog opens and migrates), or say why it cannot be opened."""
    try:
        return Store(path), []
    except (WorkbenchError, duckdb.Error, OSError) as err:
        return None, [Problem("catalog", f"the project does not open: {err}", str(path))]


def check_endpoint_parts(store: Store) -> list[Problem]:
    """Every part the catalog lists exists and reads with the row count the catalog holds."""
    import pyarrow.parquet as pq

    problems = []
    with store.connect(read_only=True, views=False) as con:
        listed = parts(con)
    for part in listed:
        path = store.path / PART_DIR / part.name
        if not path.is_file():
            problems.append(Problem("endpoints", "listed in the catalog but missing", str(path)))
            continue
        try:
            rows = pq.read_metadata(path).num_rows
        except Exception as err:  # any reader error is the finding: pyarrow raises several kinds
            problems.append(Problem("endpoints", f"does not read: {err}", str(path)))
            continue
        if rows != part.rows:
            problems.append(
                Problem("endpoints", f"holds {rows} rows, the catalog says {part.rows}", str(path))
            )
    return problems


def check_endpoint_leftovers(store: Store) -> list[Problem]:
    """Files in ``endpoints/`` no list names (a killed write's parts, temporary files), past their grace."""
    folder = store.path / PART_DIR
    if not folder.is_dir():
        return []
    with store.connect(read_only=True, views=False) as con:
        known = {p.name for p in parts(con)}
    return [
        Problem("endpoints", "not listed in the catalog: left by a killed write", str(path), fixable=True)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name not in known and leftovers.is_leftover(path)
    ]


def check_event_log(store: Store) -> list[Problem]:
    """The log's files read, the ``events`` view reads, and no killed writer's files remain in ``events/``."""
    import pyarrow.parquet as pq

    problems = [
        Problem("events", "left by a killed import (temporary or never published)", str(p), fixable=True)
        for p in event_log_leftovers(store.events_dir)
    ]
    unreadable = False
    for path in scan_event_log(store.events_dir).complete:
        try:
            pq.read_metadata(path)
        except Exception as err:  # any reader error is the finding
            unreadable = True
            problems.append(Problem("events", f"does not read: {err}", str(path)))
    if not unreadable:
        try:
            with store.connect(read_only=True) as con:
                con.execute("SELECT count(*) FROM events").fetchall()
        except duckdb.Error as err:
            problems.append(Problem("events", f"the event log does not read: {err}", str(store.events_dir)))
    return problems


def check_import_leftovers(store: Store) -> list[Problem]:
    """Temporary files in ``imports/`` (copies an import reads from, rejects files being written) nobody owns."""
    folder = store.imports_dir
    if not folder.is_dir():
        return []
    return [
        Problem("imports", "temporary file left by a killed import", str(path), fixable=True)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name.endswith((".partial", ".tmp")) and leftovers.is_leftover(path)
    ]


#: the file checks, in the order doctor runs them
STORE_CHECKS: tuple[Callable[[Store], list[Problem]], ...] = (
    check_endpoint_parts,
    check_endpoint_leftovers,
    check_event_log,
    check_import_leftovers,
)


def check_store(store: Store) -> list[Problem]:
    """Every file check on an opened project."""
    problems: list[Problem] = []
    for check in STORE_CHECKS:
        try:
            problems += check(store)
        except (WorkbenchError, duckdb.Error, OSError) as err:
            problems.append(Problem(check.__name__.removeprefix("check_"), f"the check failed: {err}"))
    return problems


def fix(problems: list[Problem]) -> list[str]:
    """Remove the files of the fixable problems; returns the paths removed."""
    paths = [Path(p.path) for p in problems if p.fixable and p.path]
    return [str(p) for p in leftovers.remove(paths)]
