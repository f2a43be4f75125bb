"""Project: one folder per audience (like a Pinpoint project), holding settings, catalog and event log.

Connections to ``catalog.duckdb`` are short-lived: open, do the work in one transaction, close. A notebook and
a CLI command can then use the same project in turn. While another process holds the file, opening retries
with backoff for ``[catalog] lock_timeout_seconds`` (default 10) and then fails with a message that names the
project and what to do.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from . import schema
from .errors import ProjectError, ProjectLockedError

if TYPE_CHECKING:
    from .events.log import EventAppendResult
    from .importing.result import ImportResult

CATALOG = "catalog.duckdb"
SETTINGS = "workbench.toml"
SUBDIRS = ("endpoints", "events", "outbox", "imports")

DEFAULT_SETTINGS = """\
# Workbench project settings. Secrets never live here: name the environment variables that hold them.

[project]
name = "{name}"

[catalog]
lock_timeout_seconds = 10      # how long to wait for another process that holds the catalog

[import]
default_region = ""            # ISO country used for national-format phone numbers without Location.Country
max_uncompressed_bytes = 4294967296   # cap for .gz input (4 GiB)
max_compression_ratio = 100    # a .gz expanding more than this is refused (gzip bomb)

[channels.email]
adapter = "outbox"             # "smtp" sends for real; the outbox only writes files

[channels.sms]
adapter = "outbox"

[tracking]
base_url = "http://127.0.0.1:8080"
"""

_LOCK_MESSAGE = re.compile(r"lock|Conflicting", re.IGNORECASE)


@dataclass(frozen=True)
class EndpointCounts:
    """How many endpoints a project (or a filter) holds."""

    endpoints: int
    active: int
    users: int

    def to_dict(self) -> dict[str, int]:
        return {"endpoints": self.endpoints, "active": self.active, "users": self.users}

    def _repr_html_(self) -> str:
        return (
            "<table><tr><th>endpoints</th><th>active</th><th>users</th></tr>"
            f"<tr><td>{self.endpoints:,}</td><td>{self.active:,}</td><td>{self.users:,}</td></tr></table>"
        )


class Project:
    """A workbench project folder: ``workbench.toml``, ``catalog.duckdb``, ``events/``, ``imports/``, ``outbox/``.

    >>> project = Project.create("acme")          # or Project.open("acme")
    >>> project.import_endpoints("endpoints.csv")
    >>> project.endpoints().filter(pl.col("Attributes.plan").list.contains("pro"))
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).resolve()
        if not (self.path / SETTINGS).is_file() or not (self.path / CATALOG).exists():
            raise ProjectError(
                f"{self.path} is not a workbench project (no {SETTINGS} / {CATALOG}); "
                f"create one with `workbench init {path}`"
            )
        self.settings = self._read_settings()
        with self.connect(views=False) as con:
            schema.migrate(con)  # a no-op (one small query) when the catalog is current

    # --- creation -------------------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, exist_ok: bool = False) -> Project:
        """Create the project folder layout, default settings and an empty catalog; return the project."""
        root = Path(path)
        if (root / SETTINGS).exists():
            if not exist_ok:
                raise ProjectError(f"{root} already holds a workbench project; open it with Project.open()")
            return cls(root)
        root.mkdir(parents=True, exist_ok=True)
        for sub in SUBDIRS:
            (root / sub).mkdir(exist_ok=True)
        con = duckdb.connect(str(root / CATALOG))
        try:
            schema.migrate(con)
        finally:
            con.close()
        (root / SETTINGS).write_text(DEFAULT_SETTINGS.format(name=root.resolve().name), encoding="utf-8")
        return cls(root)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Project:
        """Open an existing project folder (migrating its catalog to this version when needed)."""
        return cls(path)

    def _read_settings(self) -> dict[str, Any]:
        file = self.path / SETTINGS
        try:
            return tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ProjectError(f"{file}: {err}") from err

    def setting(self, dotted: str, default: Any = None) -> Any:
        """Read a setting by dotted path, e.g. ``project.setting("import.default_region")``."""
        node: Any = self.settings
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def name(self) -> str:
        return str(self.setting("project.name", self.path.name))

    @property
    def catalog_path(self) -> Path:
        return self.path / CATALOG

    @property
    def events_dir(self) -> Path:
        return self.path / "events"

    @property
    def imports_dir(self) -> Path:
        return self.path / "imports"

    # --- connections ----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False, views: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open a short-lived catalog connection with the views ``endpoints`` and ``events``; close it after.

        Retries with backoff while another process holds the catalog, then raises ProjectLockedError.
        """
        timeout = float(self.setting("catalog.lock_timeout_seconds", 10))
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.catalog_path), read_only=read_only)
                break
            except duckdb.IOException as err:
                if not _LOCK_MESSAGE.search(str(err)):
                    raise ProjectError(f"cannot open {self.catalog_path}: {err}") from err
                if time.monotonic() >= deadline:
                    holder = _lock_holder(str(err))
                    raise ProjectLockedError(
                        f"project {self.path} is in use by another process{holder} and stayed locked for "
                        f"{timeout:g} s; finish or close that process (a notebook kernel or a workbench "
                        "command), then try again"
                    ) from err
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            con.execute("SET TimeZone = 'UTC'")
            from .events.log import create_events_view

            if views:
                from .endpoint_store import create_view

                create_events_view(con, self.events_dir)
                create_view(con, self.path)
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run read-only SQL on the catalog (tables ``endpoints``, ``segments``...; view ``events``)."""
        with self.connect(read_only=True) as con:
            return con.sql(sql, params=params).pl()

    # --- endpoints ------------------------------------------------------------------------------------------

    def endpoint_columns(self) -> list[str]:
        """The endpoint table's columns, fixed ones first, then custom attributes and metrics."""
        with self.connect(read_only=True) as con:
            return [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE endpoints)").fetchall()]

    def attribute_names(self) -> pl.DataFrame:
        """The project's custom attribute, user attribute and metric names (Pinpoint allows 250 in all)."""
        return self.query(
            "SELECT kind, name, column_name, created_at FROM attribute_names ORDER BY kind, name"
        )

    def endpoints(self, columns: Sequence[str] | None = None, where: str | None = None) -> pl.DataFrame:
        """All endpoints (or those matching a SQL ``where``) as a Polars DataFrame with Pinpoint column names."""
        cols = ", ".join(schema.quote(c) for c in columns) if columns else "*"
        sql = f"SELECT {cols} FROM endpoints" + (f" WHERE {where}" if where else "")
        return self.query(sql)

    def count_endpoints(self, where: str | None = None) -> EndpointCounts:
        """Count endpoints, ACTIVE endpoints and distinct users, optionally under a SQL ``where`` filter."""
        sql = (
            "SELECT count(*), count(*) FILTER (WHERE EndpointStatus = 'ACTIVE'), "
            'count(DISTINCT "User.UserId") FROM endpoints' + (f" WHERE {where}" if where else "")
        )
        with self.connect(read_only=True) as con:
            n, active, users = con.execute(sql).fetchall()[0]
        return EndpointCounts(int(n), int(active), int(users))

    def import_endpoints(
        self,
        *files: str | os.PathLike[str],
        segment: str | None = None,
        strict: bool = False,
        progress: bool | None = None,
    ) -> ImportResult:
        """Import endpoint files (Pinpoint CSV, newline-delimited JSON, Pinpoint export ``.gz``) in one transaction.

        Rejected rows go to ``imports/<id>-rejects.csv`` with file, line, field and reason; the valid rows are
        imported. With ``strict=True`` nothing is imported when any row is rejected. Re-importing a file that
        was already imported changes nothing. ``segment`` also saves the file's endpoints as an imported segment.
        """
        from .importing import import_endpoint_files

        return import_endpoint_files(
            self, [Path(f) for f in files], segment=segment, strict=strict, progress=progress
        )

    def export_endpoints(
        self,
        out: str | os.PathLike[str],
        *,
        segment: str | None = None,
        where: str | None = None,
        raw: bool = False,
    ) -> Path:
        """Write endpoints to ``.csv`` (Pinpoint dotted headers, formula cells escaped) or ``.parquet`` (as stored)."""
        from .importing.export import export_endpoints

        return export_endpoints(self, Path(out), segment=segment, where=where, raw=raw)

    # --- events ---------------------------------------------------------------------------------------------

    def record_events(self, events: pl.DataFrame | Sequence[dict[str, Any]]) -> EventAppendResult:
        """Append events (Pinpoint event-stream records or flat rows) to the event log; duplicates are skipped."""
        from .events import record_events

        return record_events(self, events)

    def import_events(self, *files: str | os.PathLike[str], progress: bool | None = None):
        """Import Pinpoint event-stream files (Firehose JSON lines, ``.gz`` accepted) or CSV/JSONL custom events."""
        from .events import import_event_files

        return import_event_files(self, [Path(f) for f in files], progress=progress)

    def events(self, start: str | None = None, end: str | None = None) -> pl.DataFrame:
        """Events from the log (optionally ``start``/``end`` dates, inclusive) as a Polars DataFrame."""
        conds = []
        params: list[Any] = []
        if start:
            conds.append("date >= CAST(? AS DATE)")
            params.append(start)
        if end:
            conds.append("date <= CAST(? AS DATE)")
            params.append(end)
        sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(conds) if conds else "")
        return self.query(sql, params or None)

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r})"

    def _repr_html_(self) -> str:
        counts = self.count_endpoints()
        return (
            f"<b>Workbench project</b> <code>{self.path}</code><br>"
            f"{counts.endpoints:,} endpoints ({counts.active:,} active), {counts.users:,} users"
        )


def _lock_holder(message: str) -> str:
    m = re.search(r"PID (\d+)", message)
    return f" (PID {m.group(1)})" if m else ""
