"""Catalog connections: short-lived, retried with backoff while another process holds the file, one transaction.

DuckDB admits one writing process per file, and while one process holds it no other process can open it at all
(not even read-only), so every connection is opened for one piece of work and closed right after.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from ..errors import ProjectError, ProjectLockedError

_LOCK_MESSAGE = re.compile(r"lock|Conflicting", re.IGNORECASE)


def open_catalog(path: Path, *, read_only: bool, timeout: float, project: Path) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying with backoff for ``timeout`` seconds while another process holds it.

    Raises ProjectLockedError naming the project (and the holder's PID when DuckDB says it) after the timeout.
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as err:
            if not _LOCK_MESSAGE.search(str(err)):
                raise ProjectError(f"cannot open {path}: {err}") from err
            if time.monotonic() >= deadline:
                raise ProjectLockedError(
                    f"project {project} is in use by another process{_lock_holder(str(err))} and stayed locked "
                    f"for {timeout:g} s; finish or close that process (a notebook kernel or a workbench "
                    "command), then try again"
                ) from err
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        else:
            con.execute("SET TimeZone = 'UTC'")
            return con


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: COMMIT when it ends, ROLLBACK when it raises (anything, even Ctrl-C)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _lock_holder(message: str) -> str:
    m = re.search(r"PID (\d+)", message)
    return f" (PID {m.group(1)})" if m else ""
