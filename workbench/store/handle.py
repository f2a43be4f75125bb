"""Store: the handle every feature takes (the project folder, its settings, catalog connections, data files).

A project folder (one per audience, like a Pinpoint project) holds ``workbench.toml`` (settings),
``catalog.duckdb`` (segments, import records, the list of endpoint parts...), ``endpoints/`` (the endpoint
parts), ``events/`` (the event log), ``imports/`` (rejects files) and ``outbox/``. Features (ingest, segments,
analytics, later messages and campaigns) take a Store explicitly, the way httpx takes a transport: tests and a
later distributed engine can hand in another one. ``workbench.Project`` is a Store with the notebook front door
on top.
"""

from __future__ import annotations

import contextlib
import os
import threading
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import duckdb

from ..errors import ProjectError
from . import migrations
from .catalog import open_catalog, transaction
from .secrets import derived_key, master_key
from .views import create_endpoints_view, create_events_view

if TYPE_CHECKING:
    import polars as pl

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

[events]
max_future_skew = "1 day"      # events dated further ahead than this (or before 2000) are rejected

# Channels: every one writes files to outbox/ until you configure it (README "Channels": smtp, sms_http,
# push_fcm, webhook). Secrets never live here: *_env settings name the environment variables that hold them.
[channels.email]
adapter = "outbox"             # "smtp" sends for real; the outbox only writes files
from = "Workbench <no-reply@example.com>"
# reply_to = "support@example.com"

[channels.sms]
adapter = "outbox"
# from = "+12065550100"

[channels.push]
adapter = "outbox"

[channels.voice]
adapter = "outbox"

[sms.prices]                   # estimated price per SMS part, by ISO country (for cost estimates)
# US = 0.00581

[delivery]
# secret_env = "WORKBENCH_SECRET"   # the project's master key; else secret.key in this folder
max_attempts = 4               # then a retryable message becomes "failed"
messages_per_second = 0        # 0 = no limit
batch_size = 500               # a crash can leave up to two batches ambiguous
ambiguous = "hold"             # or "resend" (with the same Message-ID)
error_budget = 0.05            # pause a run when over 5% of the last 500 sends failed permanently

[tracking]
base_url = "http://127.0.0.1:8080"   # where the open pixel, click and unsubscribe links point
opens = false                  # add an open pixel to e-mails (opens are unreliable: Apple MPP, scanners)
clicks = false                 # rewrite http(s) links to signed click links
"""


class Store:
    """A project folder opened for work: settings, short-lived catalog connections, endpoint and event files."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).resolve()
        if not (self.path / SETTINGS).is_file() or not (self.path / CATALOG).exists():
            raise ProjectError(
                f"{self.path} is not a workbench project (no {SETTINGS} / {CATALOG}); "
                f"create one with `workbench init {path}`"
            )
        self.settings = self._read_settings()
        self._shared = threading.local()  # reading()'s connection, for the thread that opened it only
        # read-only first: a current catalog needs no writing, so a project on a read-only disk still reads
        with self.connect(read_only=True, views=False) as con:
            current = migrations.current_version(con) == migrations.SCHEMA_VERSION
        if not current:
            with self.connect(views=False) as con:
                migrations.migrate(con)

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, exist_ok: bool = False) -> Self:
        """Create the folder layout, default settings and an empty catalog; return the opened project."""
        root = Path(path)
        if (root / SETTINGS).exists():
            if not exist_ok:
                raise ProjectError(f"{root} already holds a workbench project; open it with Project.open()")
            return cls(root)
        if root.exists() and not root.is_dir():
            raise ProjectError(f"{root} is a file, not a folder: give a new folder for the project")
        try:
            root.mkdir(parents=True, exist_ok=True)
            for sub in SUBDIRS:
                (root / sub).mkdir(exist_ok=True)
        except OSError as err:
            raise ProjectError(f"cannot create the project folder {root}: {err.strerror or err}") from err
        con = duckdb.connect(str(root / CATALOG))
        try:
            migrations.migrate(con)
        finally:
            con.close()
        (root / SETTINGS).write_text(DEFAULT_SETTINGS.format(name=root.resolve().name), encoding="utf-8")
        return cls(root)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Self:
        """Open an existing project folder (migrating its catalog to this version when needed)."""
        return cls(path)

    # --- settings and paths -------------------------------------------------------------------------------

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
        """The project's name (``[project] name``, else the folder's name)."""
        return str(self.setting("project.name", self.path.name))

    @property
    def catalog_path(self) -> Path:
        """``catalog.duckdb``: segments, import records, the list of endpoint parts."""
        return self.path / CATALOG

    @property
    def events_dir(self) -> Path:
        """``events/``: the event log, one folder per day."""
        return self.path / "events"

    @property
    def imports_dir(self) -> Path:
        """``imports/``: one rejects CSV per import that rejected rows."""
        return self.path / "imports"

    @property
    def outbox_dir(self) -> Path:
        """``outbox/``: what the outbox channel wrote."""
        return self.path / "outbox"

    @property
    def delivery_path(self) -> Path:
        """``delivery.sqlite``: the delivery ledger and the suppression list (written by the send path)."""
        return self.path / "delivery.sqlite"

    def secret(self, purpose: str) -> bytes:
        """The project's key for one purpose ("suppression", "tracking"), derived from its master key.

        The master key comes from the environment variable named by ``[delivery] secret_env``, else from
        ``secret.key`` in the project folder (created on first use, mode 0600). It never lives in workbench.toml.
        """
        return derived_key(master_key(self.path, self.setting("delivery.secret_env")), purpose)

    # --- connections --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False, views: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived catalog connection with the views ``endpoints`` and ``events``, closed after the block.

        Retries with backoff while another process holds the catalog (``[catalog] lock_timeout_seconds``,
        default 10), then raises ProjectLockedError. Inside ``reading()``, read-only connections are that one.
        """
        shared = getattr(self._shared, "connection", None)
        if read_only and views and shared is not None:
            yield shared
            return
        con = open_catalog(
            self.catalog_path,
            read_only=read_only,
            timeout=float(self.setting("catalog.lock_timeout_seconds", 10)),
            project=self.path,
        )
        try:
            if views:
                create_events_view(con, self.events_dir)
                create_endpoints_view(con, self.path)
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection inside one transaction: committed when the block ends, rolled back if it raises."""
        with self.connect() as con, transaction(con):
            yield con

    @contextlib.contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Share one read-only connection among every read in the block (a dashboard runs a dozen queries).

        The block reads the project as it was when it began (the views list the files present then), and the
        tables made by :meth:`shared_table` live as long as the block.

        Only reads in this thread share it (a DuckDB connection serves one thread at a time); other threads, such
        as a widget's timer, open their own.
        """
        shared = getattr(self._shared, "connection", None)
        if shared is not None:
            yield shared
            return
        with self.connect(read_only=True) as con:
            self._shared.connection = con
            self._shared.tables = {}
            try:
                yield con
            finally:
                self._shared.connection = None
                self._shared.tables = {}

    def shared_table(self, sql: str) -> str:
        """A relation to read ``sql`` from: inside ``reading()``, a temporary table computed by the first caller and
        read by the rest of the block (dropped with its connection); outside, ``sql`` itself as a subquery.

        Speed: ``benchmarks/bench_dashboards.py``. A dashboard's views ask for the same slices of the event log
        (the days each endpoint started a session, the purchases, the active endpoints) a dozen times; each
        slice is now one scan per dashboard instead of one per view. Filter it by date outside: on a subquery,
        DuckDB pushes a filter on a grouped column down to the event log's day folders.
        """
        tables = getattr(self._shared, "tables", None)
        con = getattr(self._shared, "connection", None)
        if con is None or tables is None:
            return f"({sql})"
        if sql not in tables:
            name = f"shared_{len(tables) + 1}"
            con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
            tables[sql] = name
        return tables[sql]

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run read-only SQL on the catalog (view ``endpoints``, ``events``, tables ``segments``...) as Polars.

        (DuckDB imports Polars when this is first called: commands that only read the catalog use
        ``connect()`` and ``fetchall()`` and never import it.)
        """
        with self.connect(read_only=True) as con:
            return con.sql(sql, params=params).pl()

    def endpoint_columns(self) -> list[str]:
        """The endpoint view's columns, fixed ones first, then custom attributes and metrics."""
        with self.connect(read_only=True) as con:
            return [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE endpoints)").fetchall()]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"
