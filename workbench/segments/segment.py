"""The Segment object: a spec bound to a project. Members, counts, breakdowns, and saving new versions.

A segment is dynamic (its conditions are evaluated on the current data each time) or imported (a stored list
of endpoint ids). Every save makes a new version; ``Segment.load(project, name, version=K)`` pins one.
"""

from __future__ import annotations

import html
import json
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import EventTypeWarning, InputError, UnknownNameError, suggest, unknown_event_type_message
from ..store import schema
from . import _tree as t
from ._polars import PolarsCompiler
from ._sql import filter_sql, member_query
from .sample_html import sample_table
from .spec import MAX_TREE_DEPTH, SegmentSpec
from .versions import read_catalog, save_dynamic_segment, save_imported_segment

if TYPE_CHECKING:
    from ..store import Store


def resolve_now(project: Store | None, now: datetime | str | None = None) -> datetime:
    """ "Now" for recency and relative windows: the argument, else the project setting ``segments.now``, else
    ``$WORKBENCH_NOW``, else the clock (naive UTC). Tests and the demo pin it so that results are deterministic."""
    value: Any = now
    if value is None and project is not None:
        value = project.setting("segments.now")
    if value is None:
        value = os.environ.get("WORKBENCH_NOW") or None
    if value is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    try:
        return t.parse_instant(str(value))
    except ValueError:
        raise InputError(f"{value!r} is not an ISO date or instant", field="now") from None


def evaluation_time(project: Store, at: datetime) -> datetime:
    """The clock a campaign run or a journey tick at ``at`` evaluates a segment with: the project's pinned
    ``[segments] now`` when it has one (the demo and tests pin their data's clock), else ``at`` (naive UTC)."""
    if project.setting("segments.now") is not None:
        return resolve_now(project)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


@dataclass(frozen=True)
class SegmentCount:
    """How many endpoints and distinct users a segment selects."""

    endpoints: int
    users: int

    def to_dict(self) -> dict[str, int]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {"endpoints": self.endpoints, "users": self.users}


@dataclass(frozen=True)
class _Stored:
    segment_id: str
    name: str
    segment_type: str
    version: int
    latest_version: int
    request: dict


class Catalog:
    """The project's segments and all their versions, read once (segment definitions are small)."""

    def __init__(self, project: Store, con: Any = None):
        if con is not None:
            self.frame = read_catalog(con)
        else:
            with project.connect(read_only=True) as own:
                self.frame = read_catalog(own)
        self.pending: dict[str, tuple[str, int, dict]] = {}  # name -> (id, version, request) being saved

    def names(self) -> list[str]:
        return sorted(set(self.frame.get_column("name").to_list()) | set(self.pending))

    def find(self, ref: str, version: int | None = None) -> _Stored | None:
        if ref in self.pending:
            sid, ver, request = self.pending[ref]
            if version is None or version == ver:
                return _Stored(sid, ref, "DIMENSIONAL", ver, ver, request)
        rows = self.frame.filter((pl.col("name") == ref) | (pl.col("segment_id") == ref))
        if rows.is_empty():
            return None
        for name, (sid, ver, request) in self.pending.items():
            if sid == rows.item(0, "segment_id") and (version is None or version == ver):
                return _Stored(sid, name, "DIMENSIONAL", ver, ver, request)
        latest = int(rows.item(0, "latest_version"))
        wanted = latest if version is None else version
        row = rows.filter(pl.col("version") == wanted)
        if row.is_empty():
            return None
        r = row.row(0, named=True)
        return _Stored(r["segment_id"], r["name"], r["segment_type"], wanted, latest, json.loads(r["spec"]))

    def get(self, ref: str, version: int | None = None) -> _Stored:
        found = self.find(ref, version)
        if found is None:
            if self.find(ref) is not None:
                versions = self.frame.filter((pl.col("name") == ref) | (pl.col("segment_id") == ref))
                have = ", ".join(str(v) for v in versions.get_column("version").to_list())
                raise UnknownNameError(f"segment {ref!r} has no version {version} (versions: {have})")
            raise UnknownNameError(f"no segment named {ref!r}{suggest(ref, self.names())}")
        return found

    def missing(self, ref: str, version: int | None) -> str:
        """Why a source segment reference finds nothing (call it when :meth:`find` gave None)."""
        if version is not None and self.find(ref) is not None:
            return f"segment {ref!r} has no version {version}"
        return f"unknown base segment {ref!r}{suggest(ref, self.names())}"

    def resolve(self, node: t.Node, stack: tuple[tuple[str, str], ...] = (), level: int = 0) -> t.Node:
        """Replace segment references by their conditions (dynamic) or member lists (imported); refuse cycles
        and trees that nest deeper than spec.MAX_TREE_DEPTH once the references are in."""
        if isinstance(node, t.GROUPS):
            if level >= MAX_TREE_DEPTH:
                names = " -> ".join(name for _, name in stack) or "the condition"
                raise InputError(
                    f"with the segments it refers to ({names}), the condition nests more than {MAX_TREE_DEPTH} "
                    "levels of AND / OR / NOT groups",
                    field="SourceSegments",
                )
            return type(node)(tuple(self.resolve(i, stack, level + 1) for i in node.items))
        if not isinstance(node, t.InSegment):
            return node
        found = self.find(node.ref, node.version)
        if found is None:
            raise InputError(self.missing(node.ref, node.version), field="SourceSegments")
        if any(sid == found.segment_id for sid, _ in stack):
            path = " -> ".join([name for _, name in stack] + [found.name])
            raise InputError(f"segments refer to each other in a cycle: {path}", field="SourceSegments")
        if found.segment_type == "IMPORT":
            return t.Members(found.segment_id, found.version, found.name)
        spec = SegmentSpec.from_json(found.request)
        assert spec.condition is not None
        return self.resolve(spec.condition, (*stack, (found.segment_id, found.name)), level)


class Segment:
    """A segment of a project's endpoints: ``members()``, ``count()``, ``breakdown(column)``, ``save(name)``.

    Build one from Pinpoint JSON (``Segment.from_json``), from the builder (``Segment(project, condition)``) or
    load a saved one (``Segment.load(project, name, version=None)``). ``now`` pins the clock for recency and
    relative event windows.
    """

    def __init__(
        self,
        project: Store,
        spec: SegmentSpec | t.Node | Any,
        *,
        name: str | None = None,
        segment_id: str | None = None,
        version: int | None = None,
        now: datetime | str | None = None,
    ):
        if not isinstance(spec, SegmentSpec):
            spec = SegmentSpec.from_condition(_as_node(spec), name)
        for kind, message in spec.notes:  # a value read otherwise than written ("usa" as "US") says so
            warnings.warn(message, kind, stacklevel=2)
        self.project = project
        self.spec = spec
        self.name = name or spec.name
        self.segment_id = segment_id
        self.version = version
        self.now = resolve_now(project, now)
        self._resolved: t.Node | None = None

    # --- construction ---------------------------------------------------------------------------------------------

    @classmethod
    def from_json(
        cls,
        project: Store,
        source: Any,
        *,
        name: str | None = None,
        file: str | None = None,
        now: datetime | str | None = None,
    ) -> Segment:
        """A segment from a ``WriteSegmentRequest`` (dict, JSON text or path), checked against the project's data."""
        spec = SegmentSpec.from_json(source, columns=project.endpoint_columns(), file=file)
        return cls(project, spec, name=name, now=now)

    @classmethod
    def load(
        cls, project: Store, name: str, version: int | None = None, *, now: datetime | str | None = None
    ) -> Segment:
        """A saved segment (its latest version, or ``version``)."""
        stored = Catalog(project).get(name, version)
        if stored.segment_type == "IMPORT":
            spec = SegmentSpec(stored.request, None)
        else:
            # a version saved before values were read as stored ("usa") counts as read now ("US"), quietly: the
            # warning was given when it was saved
            spec = replace(SegmentSpec.from_json(stored.request), notes=())
        return cls(
            project, spec, name=stored.name, segment_id=stored.segment_id, version=stored.version, now=now
        )

    # --- evaluation -----------------------------------------------------------------------------------------------

    @property
    def condition(self) -> t.Node:
        """The resolved condition tree (segment references replaced), checked against the project's columns."""
        if self._resolved is None:
            with self.project.connect(read_only=True) as con:
                self._resolve(con)
        assert self._resolved is not None
        return self._resolved

    def _resolve(self, con: Any) -> t.Node:
        # one connection for the checks and the query: opening the catalog costs ~30 ms each time
        if self._resolved is None:
            if self.spec.condition is None:
                if self.segment_id is None or self.version is None:
                    raise InputError("an imported segment has no conditions until it is saved")
                self._resolved = t.Members(self.segment_id, self.version, self.name or "")
            else:
                columns = [
                    r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE endpoints)").fetchall()
                ]
                self.spec.check(columns)
                tree = self.spec.condition
                if any(isinstance(n, t.InSegment) for n in t.walk(tree)):
                    stack = ((self.segment_id, self.name or ""),) if self.segment_id else ()
                    tree = Catalog(self.project, con).resolve(tree, stack)
                self._resolved = tree
        return self._resolved

    def _query(self, select: str) -> pl.DataFrame:
        with self.project.connect(read_only=True) as con:
            return con.sql(member_query(self._resolve(con), self.now, select)).pl()

    def sql(self, select: str = "endpoints.*") -> str:
        """The SELECT over the members that ``members()`` runs."""
        return member_query(self.condition, self.now, select)

    def sql_filter(self) -> str:
        """A SQL boolean expression over table ``endpoints`` selecting the members."""
        return filter_sql(self.condition, self.now)

    def members(self, columns: Iterable[str] | None = None) -> pl.DataFrame:
        """The member endpoints as a Polars DataFrame (DuckDB path)."""
        select = ", ".join(f"endpoints.{schema.quote(c)}" for c in columns) if columns else "endpoints.*"
        return self._query(select)

    def count(self) -> SegmentCount:
        """Endpoints and distinct users (``User.UserId``) in the segment."""
        frame = self._query('count(*) AS endpoints, count(DISTINCT endpoints."User.UserId") AS users')
        return SegmentCount(int(frame.item(0, "endpoints")), int(frame.item(0, "users")))

    def breakdown(self, column: str) -> pl.DataFrame:
        """Endpoints and users per value of ``column`` (each value of a multi-valued attribute counts)."""
        columns = self.project.endpoint_columns()
        if column not in columns:
            raise UnknownNameError(f"no endpoint column {column!r}{suggest(column, columns)}")
        kind = self.project.query(f"SELECT typeof({schema.quote(column)}) AS k FROM endpoints LIMIT 1")
        is_list = not kind.is_empty() and str(kind.item(0, "k")).endswith("[]")
        value = (
            f"unnest(endpoints.{schema.quote(column)})" if is_list else f"endpoints.{schema.quote(column)}"
        )
        inner = self.sql(f'{value} AS "value", endpoints."User.UserId" AS "user"')
        return self.project.query(
            f'SELECT "value" AS {schema.quote(column)}, count(*) AS endpoints, count(DISTINCT "user") AS users '
            f"FROM ({inner}) GROUP BY 1 ORDER BY endpoints DESC, 1"
        )

    def to_polars(self, events: pl.DataFrame | pl.LazyFrame | None = None) -> pl.Expr:
        """The same segment as one Polars expression: ``project.endpoints.filter(segment.to_polars())``."""

        def load_events() -> pl.LazyFrame:
            frame = events if events is not None else self.project.query("SELECT * FROM events")
            return frame.lazy()

        def members(segment_id: str, version: int) -> list[str]:
            return (
                self.project.query(
                    "SELECT endpoint_id FROM segment_members WHERE segment_id = ? AND version = ?",
                    [segment_id, version],
                )
                .get_column("endpoint_id")
                .to_list()
            )

        return PolarsCompiler(self.now, load_events, members).expr(self.condition)

    def members_polars(self, endpoints: pl.DataFrame | None = None) -> pl.DataFrame:
        """The member endpoints computed with Polars (the notebook path); same rows as ``members()``."""
        frame = endpoints if endpoints is not None else self.project.query("SELECT * FROM endpoints")
        return frame.filter(self.to_polars())

    # --- saving ---------------------------------------------------------------------------------------------------

    def save(self, name: str | None = None, *, source: str = "python") -> Segment:
        """Save as a named dynamic segment (a new version when the name exists); returns the saved segment."""
        name = name or self.name
        if not name:
            raise InputError("give the segment a name: segment.save('name')")
        if self.spec.condition is None:
            raise InputError("an imported segment is saved with save_endpoints_as_segment()")
        request = {**self.spec.request, "Name": name}
        spec = SegmentSpec(request, self.spec.condition)
        spec.check(self.project.endpoint_columns())
        warn_about_names(self.project, spec.condition)
        catalog = Catalog(self.project)
        existing = catalog.find(name)
        if existing is not None and existing.segment_type == "IMPORT":
            raise InputError(
                f"segment {name!r} exists and is an imported (static) segment; choose another name"
            )
        sid = existing.segment_id if existing else f"new:{name}"
        version = existing.latest_version + 1 if existing else 1
        catalog.pending[name] = (sid, version, request)
        for path, ref, wanted in spec.source_segments():  # (named with the line of the file that names them)
            if catalog.find(ref, wanted) is None:
                raise self.spec.error_at(path, catalog.missing(ref, wanted))
        catalog.resolve(
            spec.condition, ((sid, name),)
        )  # unknown bases and cycles fail before anything is written
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.project.transaction() as con:
            segment_id, version = save_dynamic_segment(con, name, request, now=now, source=source)
        return Segment(self.project, spec, name=name, segment_id=segment_id, version=version, now=self.now)

    # --- display ----------------------------------------------------------------------------------------------------

    def describe(self) -> str:
        """The conditions in words."""
        return self.spec.describe()

    def to_json(self, indent: int | None = 2) -> str:
        """The ``WriteSegmentRequest`` JSON."""
        return self.spec.to_json(indent)

    def __repr__(self) -> str:
        label = f"{self.name!r}" if self.name else "unsaved"
        version = f" v{self.version}" if self.version else ""
        return f"<Segment {label}{version}: {self.describe()}>"

    def _repr_html_(self) -> str:
        title = html.escape(self.name or "unsaved segment") + (
            f" <small>version {self.version}</small>" if self.version else ""
        )
        try:
            counts = self.count()
            sample = self.members(["Id", "ChannelType", "Address", "User.UserId"]).head(5)
            counts_html = f"<p><b>{counts.endpoints:,}</b> endpoints, <b>{counts.users:,}</b> users</p>"
            sample_html = sample_table(sample)  # long values (push tokens) shortened, whole on hover
        except Exception as err:  # the display must not raise: show what went wrong instead
            counts_html = f"<p style='color:#b00'>cannot evaluate: {html.escape(str(err))}</p>"
            sample_html = ""
        return f"<div><b>Segment</b> {title}<pre>{html.escape(self.describe())}</pre>{counts_html}{sample_html}</div>"


def _as_node(value: Any) -> t.Node:
    node = getattr(value, "node", value)
    if not isinstance(node, t.NODE_KINDS):
        if isinstance(value, pl.Expr):
            raise InputError(
                "a Polars expression is not a segment spec: filter project.endpoints with it and save the result "
                "with save_endpoints_as_segment(project, name, frame)"
            )
        raise InputError(f"not a segment condition: {value!r}")
    return node


# --- module-level helpers -------------------------------------------------------------------------------------------


def warn_about_names(project: Store, condition: t.Node) -> None:
    """Warn (and save anyway) about names a user likely mistyped: an event type that never occurs in the log
    (the events may come later); a ``Location.Country`` value that is no country and a channel that is no
    channel type; a value of a free-text demographic (``Platform``, ``Make``...) that no endpoint has as
    written but some have in another case (``ios`` when the data has ``iOS``). Such values match no endpoint.
    (Values with one certain stored form, ``usa`` or ``email``, were read as ``US`` and ``EMAIL`` already.)"""
    from ..store.schema import CHANNEL_TYPES
    from ._values import SegmentValueWarning, stored_form
    from .countries import CountryCodeWarning, code_meant, country_code

    nodes = t.leaves(condition)
    event_types = [e for n in nodes if isinstance(n, t.Performed | t.PerformedWhen) for e in n.event_types]
    if event_types:
        with project.connect(read_only=True) as con:
            known = [
                r[0] for r in con.execute("SELECT DISTINCT event_type FROM events ORDER BY 1").fetchall()
            ]
        for event_type in dict.fromkeys(event_types):
            message = unknown_event_type_message(event_type, known)
            if message:
                warnings.warn(message + " (saved anyway)", EventTypeWarning, stacklevel=3)
    free_text: list[tuple[str, str]] = []  # (dimension, value) to look up in the data
    for node in nodes:
        if not isinstance(node, t.ValueIn):
            continue
        for value in dict.fromkeys(node.values):
            stored = stored_form(node.dimension, value)
            if (
                stored is not None
            ):  # (a condition built from tree nodes directly, not read or built as stored)
                warnings.warn(
                    f"{value!r} matches no endpoint: {node.dimension} holds {stored[0]!r} (saved anyway)",
                    stored[1],
                    stacklevel=3,
                )
            elif node.dimension == "Location.Country" and code_meant(value) is None:
                try:
                    country_code(value, field="Location.Country")  # (no country: raises, naming close ones)
                except InputError as err:
                    warnings.warn(f"{err.reason} (saved anyway)", CountryCodeWarning, stacklevel=3)
            elif node.dimension == "Demographic.Channel" and value not in CHANNEL_TYPES:
                warnings.warn(
                    f"{value!r} is not a channel type{suggest(value, CHANNEL_TYPES)}: ChannelType holds one of "
                    f"{', '.join(CHANNEL_TYPES)}; it matches no endpoint (saved anyway)",
                    SegmentValueWarning,
                    stacklevel=3,
                )
            elif node.dimension.startswith("Demographic.") and node.dimension != "Demographic.Channel":
                free_text.append((node.dimension, value))
    for dimension, value, have in _other_case(project, free_text):
        warnings.warn(
            f"{value!r} matches no endpoint's {dimension.split('.', 1)[1]} as written (values are compared "
            f"exactly, as in Pinpoint); the data has {', '.join(repr(h) for h in have)} (saved anyway)",
            SegmentValueWarning,
            stacklevel=3,
        )


def _other_case(project: Store, wanted: list[tuple[str, str]]) -> list[tuple[str, str, list[str]]]:
    """For each (dimension, value) no endpoint holds as written: the values the data holds in another case."""
    from .spec import SET_DIMENSION_COLUMNS

    found = []
    if not wanted:
        return found
    with project.connect(read_only=True) as con:
        for dimension, value in dict.fromkeys(wanted):
            column = schema.quote(SET_DIMENSION_COLUMNS[dimension])
            have = [
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT {column} FROM endpoints WHERE lower({column}::VARCHAR) = lower(?) "
                    "ORDER BY 1 LIMIT 5",
                    [value],
                ).fetchall()
            ]
            if have and value not in have:
                found.append((dimension, value, have))
    return found


def save_endpoints_as_segment(
    project: Store,
    name: str,
    endpoints: pl.DataFrame | pl.Series | Iterable[str],
    *,
    source: str = "python",
) -> Segment:
    """Save a fixed list of endpoints (a frame with ``Id``, a Series or ids) as an imported segment (a new version)."""
    if isinstance(endpoints, pl.DataFrame):
        if "Id" not in endpoints.columns:
            raise InputError("the frame needs an Id column (the endpoint ids)")
        ids = endpoints.get_column("Id")
    elif isinstance(endpoints, pl.Series):
        ids = endpoints
    else:
        ids = pl.Series("Id", list(endpoints), dtype=pl.String)
    ids = ids.cast(pl.String).drop_nulls()
    with project.connect(read_only=True) as con:
        con.register("__ids", pl.DataFrame({"Id": ids}).to_arrow())
        unknown = con.execute(
            'SELECT "Id" FROM __ids WHERE "Id" NOT IN (SELECT "Id" FROM endpoints) LIMIT 3'
        ).fetchall()
    if unknown:
        raise InputError(f"not endpoints of this project: {', '.join(r[0] for r in unknown)}", field="Id")
    now = datetime.now(UTC).replace(tzinfo=None)
    with project.transaction() as con:
        _, version = save_imported_segment(con, name, ids, now=now, source=source)
    return Segment.load(project, name, version)


def list_segments(project: Store) -> pl.DataFrame:
    """One row per segment: name, type, latest version, when it was created and last changed."""
    return project.query(
        "SELECT name, segment_type, latest_version, created_at, updated_at, segment_id FROM segments ORDER BY name"
    )


def segment_sql_filter(project: Store, name: str, version: int | None = None) -> str:
    """A SQL boolean expression over table ``endpoints`` selecting the members of segment ``name``."""
    return Segment.load(project, name, version).sql_filter()


def check_saved_segments(project: Store, now: datetime | str | None = None) -> list[tuple[str, int, str]]:
    """Count the latest version of every saved segment; (name, version, what went wrong) for each that fails.

    What ``workbench doctor`` runs: a saved segment must always count.
    """
    failures = []
    with project.connect(read_only=True, views=False) as con:
        saved = con.execute("SELECT name, latest_version FROM segments ORDER BY name").fetchall()
    for name, version in saved:
        try:
            Segment.load(project, name, int(version), now=now).count()
        except Exception as err:  # whatever a count raises is the finding: report it, go on with the next
            failures.append((name, int(version), f"{type(err).__name__}: {err}"))
    return failures
