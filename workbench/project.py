"""Project: the front door for a notebook or a script, one handle with namespaces.

A ``Project`` is the project folder's store handle (``workbench.store.Store``: settings, catalog connections,
``query()``) with the notebook front door on top, the way a Polars frame has ``.str`` and ``.list``:

- ``project.endpoints``: ``count``, ``frame``, ``filter``, ``export``, ``import_files``, ``columns``
- ``project.events``: ``import_files``, ``record``, ``frame``
- ``project.segments``: ``define``, ``create``, ``load``, ``count``, ``list``, ``names``, ``save_endpoints``,
  ``builder``
- ``project.templates``, ``project.suppression``, ``project.send_message(...)``
- ``project.campaigns``: ``create``, ``load``, ``list``, ``dry_run``, ``preview``, ``send``, ``pause``, ``resume``,
  ``status``, ``preview_widget``
- ``project.journeys``: ``create``, ``load``, ``list``, ``activate``, ``pause``, ``simulate``, ``status``
- ``project.tick(now=None)``: everything due (campaign runs, waves, triggers, journey steps)
- ``project.kpi(...)``, ``project.funnel(...)``, ``project.dashboard(name)``, ``project.report(...)``

Each does what the feature packages below it do (``workbench.ingest``, ``workbench.segments``,
``workbench.analytics``, ``workbench.dashboards``, ``workbench.reports``), which stay importable for scripts.
Features are imported when first used, so that ``import workbench`` and every CLI command start fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .store import Store
from .store.schema import quote

if TYPE_CHECKING:
    from datetime import datetime

    import polars as pl

    from .analytics import FunnelResult, KpiResult
    from .campaigns.dry_run import DryRun
    from .campaigns.preview import CampaignPreview
    from .campaigns.run import CampaignStatus
    from .campaigns.spec import Campaign
    from .dashboards import Dashboard
    from .delivery import SendOutcome, SuppressionImport, SuppressionList
    from .ingest import EventImportResult, ImportResult
    from .journeys.simulate import Simulation
    from .journeys.spec import Journey
    from .messages.templates import Template, TemplatePreview
    from .reports import ReportResult
    from .segments import Segment, SegmentCount
    from .store.event_log import EventAppendResult
    from .widgets import CampaignPreviewWidget, SegmentBuilder

__all__ = [
    "Campaigns",
    "EndpointCounts",
    "Endpoints",
    "Events",
    "Journeys",
    "Project",
    "Segments",
    "Suppression",
    "Templates",
]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class EndpointCounts:
    """How many endpoints a project (or a filter) holds."""

    endpoints: int
    active: int
    users: int

    def to_dict(self) -> dict[str, int]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {"endpoints": self.endpoints, "active": self.active, "users": self.users}

    def _repr_html_(self) -> str:
        return (
            "<table><tr><th>endpoints</th><th>active</th><th>users</th></tr>"
            f"<tr><td>{self.endpoints:,}</td><td>{self.active:,}</td><td>{self.users:,}</td></tr></table>"
        )


class Endpoints:
    """``project.endpoints``: the project's endpoints (Pinpoint's dotted column names), in and out."""

    def __init__(self, project: Project):
        self._project = project

    def count(self, where: str | None = None) -> EndpointCounts:
        """Endpoints, ACTIVE endpoints and distinct users (optionally under a SQL ``where`` over ``endpoints``)."""
        sql = (
            "SELECT count(*), count(*) FILTER (WHERE EndpointStatus = 'ACTIVE'), "
            'count(DISTINCT "User.UserId") FROM endpoints' + (f" WHERE {where}" if where else "")
        )
        with self._project.connect(read_only=True) as con:  # a tuple, not a frame: no Polars import
            n, active, users = con.execute(sql).fetchone()
        return EndpointCounts(int(n), int(active), int(users))

    def frame(self, columns: Sequence[str] | None = None, where: str | None = None) -> pl.DataFrame:
        """All endpoints (or ``columns`` of those matching a SQL ``where``) as a Polars DataFrame."""
        cols = ", ".join(quote(c) for c in columns) if columns else "*"
        return self._project.query(f"SELECT {cols} FROM endpoints" + (f" WHERE {where}" if where else ""))

    def filter(self, *predicates: pl.Expr | Segment) -> pl.DataFrame:
        """Endpoints matching every predicate: Polars expressions and/or segments (``segment.to_polars()``).

        >>> project.endpoints.filter(pl.col("Attributes.plan").list.contains("pro"))
        """
        from .segments import Segment

        exprs = [p.to_polars() if isinstance(p, Segment) else p for p in predicates]
        return self.frame().filter(*exprs) if exprs else self.frame()

    def columns(self) -> list[str]:
        """The endpoint columns: fixed ones first, then custom attributes and metrics."""
        return self._project.endpoint_columns()

    def attribute_names(self) -> pl.DataFrame:
        """The custom attribute, user attribute and metric names (Pinpoint allows 250 in all)."""
        return self._project.query(
            "SELECT kind, name, column_name, created_at FROM attribute_names ORDER BY kind, name"
        )

    def import_files(
        self,
        *files: PathLike,
        segment: str | None = None,
        strict: bool = False,
        progress: bool | None = None,
    ) -> ImportResult:
        """Import endpoint files (Pinpoint CSV, JSON lines, Pinpoint export ``.gz``) in one transaction.

        Rejected rows go to ``imports/<id>-rejects.csv`` (file, line, field, reason); the valid rows are
        imported. ``strict=True`` imports nothing when any row is rejected (ImportRejectedError). Re-importing
        a file already imported changes nothing. ``segment`` also saves the file's endpoints as an imported
        segment.
        """
        from .ingest import import_endpoint_files

        return import_endpoint_files(
            self._project, [Path(f) for f in files], segment=segment, strict=strict, progress=progress
        )

    def export(
        self, out: PathLike, *, segment: str | None = None, where: str | None = None, raw: bool = False
    ) -> Path:
        """Write endpoints to ``.csv`` (Pinpoint headers, formula cells escaped unless ``raw``) or ``.parquet``."""
        from .ingest import export_endpoints

        return export_endpoints(self._project, Path(out), segment=segment, where=where, raw=raw)

    def __repr__(self) -> str:
        return f"<endpoints of {self._project!r}>"

    def _repr_html_(self) -> str:
        return self.count()._repr_html_()


class Events:
    """``project.events``: the event log (Pinpoint event-stream names and fields), append-only."""

    def __init__(self, project: Project):
        self._project = project

    def import_files(self, *files: PathLike, progress: bool | None = None) -> EventImportResult:
        """Import Pinpoint event-stream files (Firehose JSON lines, ``.gz`` accepted) or CSV/JSONL events."""
        from .ingest import import_event_files

        return import_event_files(self._project, [Path(f) for f in files], progress=progress)

    def record(self, events: pl.DataFrame | Sequence[dict[str, Any]]) -> EventAppendResult:
        """Append events (Pinpoint event-stream or PutEvents records, or flat rows); duplicates are skipped."""
        from .ingest import record_events

        return record_events(self._project, events)

    def frame(self, start: str | None = None, end: str | None = None) -> pl.DataFrame:
        """Events (optionally from ``start`` to ``end``, inclusive dates) as a Polars DataFrame."""
        conds, params = [], []
        if start:
            conds.append("date >= CAST(? AS DATE)")
            params.append(start)
        if end:
            conds.append("date <= CAST(? AS DATE)")
            params.append(end)
        where = " WHERE " + " AND ".join(conds) if conds else ""
        return self._project.query("SELECT * FROM events" + where, params or None)

    def __repr__(self) -> str:
        return f"<events of {self._project!r}>"


class Segments:
    """``project.segments``: who gets a message. Every save makes a new version; counts can pin one."""

    def __init__(self, project: Project):
        self._project = project

    def define(self, spec: Any, *, name: str | None = None, now: datetime | str | None = None) -> Segment:
        """An unsaved segment from a builder condition (``attribute("plan").any_of("pro")``) or from Pinpoint
        JSON (a ``WriteSegmentRequest`` dict, JSON text or a path to a ``.json`` file)."""
        from .segments import Segment

        if isinstance(spec, Segment):
            return spec
        if isinstance(spec, (str, os.PathLike, dict, bytes)):
            file = str(spec) if isinstance(spec, os.PathLike) else None
            return Segment.from_json(self._project, spec, name=name, file=file, now=now)
        return Segment(self._project, spec, name=name, now=now)

    def create(self, name: str, spec: Any) -> Segment:
        """Save ``spec`` (a condition or Pinpoint JSON) as the dynamic segment ``name``; returns the saved one."""
        return self.define(spec, name=name).save(name)

    def load(self, name: str, version: int | None = None, *, now: datetime | str | None = None) -> Segment:
        """A saved segment by name or id (its latest version, or ``version``)."""
        from .segments import Segment

        return Segment.load(self._project, name, version, now=now)

    def count(
        self, name: str, version: int | None = None, *, now: datetime | str | None = None
    ) -> SegmentCount:
        """Endpoints and users in a saved segment."""
        return self.load(name, version, now=now).count()

    def list(self) -> pl.DataFrame:
        """Every saved segment: name, type, latest version, when it changed."""
        from .segments import list_segments

        return list_segments(self._project)

    def names(self) -> list[str]:
        """The saved segments' names."""
        return self.list().get_column("name").to_list()

    def save_endpoints(self, name: str, endpoints: pl.DataFrame) -> Segment:
        """Save exactly these endpoints (a frame with an ``Id`` column) as the imported segment ``name``."""
        from .segments import save_endpoints_as_segment

        return save_endpoints_as_segment(self._project, name, endpoints)

    def builder(self, **options: Any) -> SegmentBuilder:
        """The point-and-click SegmentBuilder widget (``now=``, ``debounce=``, ``sample_size=``)."""
        from .widgets import SegmentBuilder

        return SegmentBuilder(self._project, **options)

    def __repr__(self) -> str:
        return f"<segments of {self._project!r}>"


def _spec_source(spec: Any) -> Any:
    """A dict or JSON text as it is; other text and path-likes as a path (JSON text starts with "{")."""
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and not spec.lstrip().startswith("{")):
        return Path(spec)
    return spec


class Templates:
    """``project.templates``: email, SMS, push and voice templates in Pinpoint's JSON, a new version per save."""

    def __init__(self, project: Project):
        self._project = project

    def create(self, name: str, type: str, spec: Any) -> Template:
        """Check and save ``spec`` (Pinpoint's ``*TemplateRequest``: a dict, JSON text or a path) as a new version
        of template ``name`` of ``type`` (email, sms, push, voice); nothing is saved when it is refused."""
        from .messages.templates import save_template

        return save_template(self._project, name, type, _spec_source(spec))

    def load(self, name: str, *, type: str | None = None, version: int | None = None) -> Template:
        """A saved template: its active version (the latest save), or ``version``."""
        from .messages.templates import load_template

        return load_template(self._project, name, type=type, version=version)

    def preview(
        self, name: str, endpoint_id: str, *, type: str | None = None, version: int | None = None
    ) -> TemplatePreview:
        """The template rendered for one endpoint, with the variables that were missing listed as warnings."""
        return self.load(name, type=type, version=version).preview(endpoint_id)

    def activate(self, name: str, version: int, *, type: str | None = None) -> Template:
        """Make ``version`` the active one (Pinpoint's UpdateTemplateActiveVersion)."""
        from .messages.templates import activate_template_version

        return activate_template_version(self._project, name, version, type=type)

    def list(self) -> pl.DataFrame:
        """Every template: name, type, latest and active version, when it changed, its description."""
        import polars as pl

        from .messages.templates import list_templates

        schema = {
            "name": pl.String,
            "type": pl.String,
            "latest_version": pl.Int64,
            "active_version": pl.Int64,
            "updated_at": pl.Datetime("us"),
            "description": pl.String,
        }
        return pl.DataFrame(list_templates(self._project), schema=schema, orient="row")

    def names(self) -> list[str]:
        """The saved templates' names."""
        return sorted({row["name"] for row in self._list_rows()})

    def _list_rows(self) -> list[dict[str, Any]]:
        from .messages.templates import list_templates

        return list_templates(self._project)

    def __repr__(self) -> str:
        return f"<templates of {self._project!r}>"


class Suppression:
    """``project.suppression``: addresses that must not get messages (kept as HMACs, never as addresses).

    Reasons: BOUNCE, COMPLAINT, SMS_STOP and MANUAL stop every message; UNSUBSCRIBE stops promotional ones. Hard
    bounces are added by the send path itself. Checked when each message is sent.
    """

    def __init__(self, project: Project):
        self._project = project

    def _list(self) -> SuppressionList:
        from .delivery import SuppressionList

        return SuppressionList.for_store(self._project)

    def add(self, address: str, *, channel: str = "email", reason: str = "MANUAL") -> bool:
        """Suppress ``address`` on ``channel`` for ``reason``; False when that entry was already there."""
        return self._list().add(address, channel=channel, reason=reason)

    def remove(self, address: str, *, channel: str = "email", reason: str | None = None) -> int:
        """Lift an address's suppression (every reason, or only ``reason``); returns the entries removed."""
        return self._list().remove(address, channel=channel, reason=reason)

    def contains(self, address: str, *, channel: str = "email", promotional: bool = True) -> bool:
        """Whether a message of that kind to ``address`` would be stopped."""
        return self._list().is_suppressed(address, channel=channel, promotional=promotional)

    def list(self, *, channel: str | None = None) -> pl.DataFrame:
        """Every entry: channel, address key (an HMAC), reason, source, when it was added."""
        import polars as pl

        schema = {"channel": pl.String, "address_key": pl.String, "reason": pl.String, "source": pl.String}
        frame = pl.DataFrame(self._list().list(channel=channel), schema={**schema, "created_at": pl.Float64})
        return frame.with_columns(pl.from_epoch("created_at", time_unit="s").dt.replace_time_zone("UTC"))

    def import_file(
        self, file: PathLike, *, channel: str | None = None, reason: str = "MANUAL"
    ) -> SuppressionImport:
        """Add every address of a text file (one per line) or a CSV with an ``address`` column (and optional
        ``reason`` and ``channel`` columns; without a channel, ``@`` means e-mail, else SMS). All or nothing."""
        return self._list().import_file(Path(file), channel=channel, reason=reason)

    def __repr__(self) -> str:
        return f"<suppression list of {self._project!r}>"


class Campaigns:
    """``project.campaigns``: Pinpoint campaigns (``WriteCampaignRequest`` JSON) with treatments, a holdout,
    schedules, local and quiet time; dry-run and preview before anything is sent."""

    def __init__(self, project: Project):
        self._project = project

    def create(self, name: str, spec: Any) -> Campaign:
        """Check and save ``spec`` (a dict, JSON text or a path; an ``aws pinpoint get-campaign`` response is
        read too) as a new version of campaign ``name``; nothing is saved when it is refused."""
        from .campaigns.spec import save_campaign

        return save_campaign(self._project, name, _spec_source(spec))

    def load(self, name: str, *, version: int | None = None) -> Campaign:
        """A saved campaign (by name or id): its latest version, or ``version``."""
        from .campaigns.spec import load_campaign

        return load_campaign(self._project, name, version=version)

    def list(self) -> pl.DataFrame:
        """Every campaign: id, name, state (from its runs, as ``status`` gives it), version, segment, channels,
        treatments, holdout, frequency, when it changed."""
        import polars as pl

        from .campaigns.run import list_campaigns_with_state

        return pl.DataFrame(list_campaigns_with_state(self._project))

    def dry_run(self, name: str, *, now: datetime | str | None = None) -> DryRun:
        """Who would get what, sending nothing: targeted, per treatment, holdout, exclusions by reason, render
        errors, SMS parts and cost, local-time waves."""
        from .campaigns.dry_run import dry_run

        return dry_run(self._project, self.load(name), now=now)

    def preview(
        self, name: str, *, endpoint_id: str | None = None, treatment: str | None = None, sample: int = 5
    ) -> CampaignPreview:
        """The rendered message of each treatment for one endpoint (or a sample), with missing variables."""
        from .campaigns.preview import preview

        return preview(
            self._project, self.load(name), endpoint_id=endpoint_id, treatment=treatment, sample=sample
        )

    def preview_widget(self, name: str, *, sample: int = 20) -> CampaignPreviewWidget:
        """A widget that flips through endpoints and treatments of a campaign's rendered messages."""
        from .widgets import CampaignPreviewWidget

        return CampaignPreviewWidget(self._project, self.load(name), sample=sample)

    def send(self, name: str, *, now: datetime | str | None = None) -> CampaignStatus:
        """Send what is due now (an IMMEDIATE campaign, or the scheduled run that has come); later local-time
        waves and runs go with ``project.tick()``. Resumable: sending again never re-sends a message."""
        from .campaigns.run import send_campaign

        return send_campaign(self._project, name, now=now)

    def pause(self, name: str) -> CampaignStatus:
        """Pause the campaign, also while another process sends it."""
        from .campaigns.run import pause_campaign

        return pause_campaign(self._project, name)

    def resume(self, name: str, *, now: datetime | str | None = None) -> CampaignStatus:
        """Resume a paused campaign: its paused waves continue and a scheduled occurrence that has come is sent,
        as a tick would; an IMMEDIATE campaign is sent only by send()."""
        from .campaigns.run import resume_campaign

        return resume_campaign(self._project, name, now=now)

    def status(self, name: str, *, now: datetime | str | None = None) -> CampaignStatus:
        """Pinpoint's state, the runs (waves) with their message counts, the next run."""
        from .campaigns.run import campaign_status

        return campaign_status(self._project, name, now=now)

    def __repr__(self) -> str:
        return f"<campaigns of {self._project!r}>"


class Journeys:
    """``project.journeys``: Pinpoint journeys (``WriteJourneyRequest`` JSON), validated when saved, simulated
    over the event log, advanced by ``project.tick()``."""

    def __init__(self, project: Project):
        self._project = project

    def create(self, name: str, spec: Any) -> Journey:
        """Validate and save ``spec`` (a dict, JSON text or a path) as a new version of journey ``name``."""
        from .journeys.spec import save_journey

        return save_journey(self._project, name, _spec_source(spec))

    def load(self, name: str, *, version: int | None = None) -> Journey:
        """A saved journey (by name or id)."""
        from .journeys.spec import load_journey

        return load_journey(self._project, name, version=version)

    def list(self) -> pl.DataFrame:
        """Every journey: name, id, state, latest version."""
        import polars as pl

        from .journeys.spec import list_journeys

        return pl.DataFrame(list_journeys(self._project))

    def activate(self, name: str) -> Journey:
        """Make the journey ACTIVE: each tick then enters and advances participants."""
        return self._set(name, "ACTIVE")

    def pause(self, name: str) -> Journey:
        """Stop advancing participants until :meth:`activate` again."""
        return self._set(name, "PAUSED")

    def cancel(self, name: str) -> Journey:
        """Stop the journey for good."""
        return self._set(name, "CANCELLED")

    def _set(self, name: str, state: str) -> Journey:
        from .journeys.spec import set_journey_state

        set_journey_state(self._project, name, state)
        return self.load(name)

    def simulate(self, name: str, start: Any, end: Any, **options: Any) -> Simulation:
        """Run the journey over a past window of the event log (or ``events=`` a generated frame) with a virtual
        clock, sending nothing; shows the diagram with how many participants reach each activity and branch."""
        from .journeys.simulate import simulate

        return simulate(self._project, self.load(name), start=start, end=end, **options)

    def status(self, name: str) -> dict[str, Any]:
        """State and Pinpoint's metrics per activity (ENDPOINT_ENTERED, ENDPOINT_ACTIVE, ENDPOINT_LEFT...)."""
        from .journeys.engine import journey_metrics

        journey = self.load(name)
        return {
            "journey": journey.name,
            "state": journey.state,
            "metrics": journey_metrics(self._project, journey),
        }

    def __repr__(self) -> str:
        return f"<journeys of {self._project!r}>"


class Project(Store):
    """A workbench project folder: ``workbench.toml``, ``catalog.duckdb``, ``endpoints/``, ``events/``...

    >>> project = Project.create("acme")          # or Project.open("acme")
    >>> project.endpoints.import_files("endpoints.csv")
    >>> project.endpoints.filter(pl.col("Attributes.plan").list.contains("pro"))
    >>> project.segments.create("pro", attribute("plan").any_of("pro")).count()
    >>> project.kpi("sticky-factor", "2026-10-01", "2026-10-29")
    """

    @cached_property
    def endpoints(self) -> Endpoints:
        """Count, read, filter, export and import endpoints."""
        return Endpoints(self)

    @cached_property
    def events(self) -> Events:
        """Import, record and read events."""
        return Events(self)

    @cached_property
    def segments(self) -> Segments:
        """Define, save, load, count and list segments; the builder widget."""
        return Segments(self)

    @cached_property
    def templates(self) -> Templates:
        """Create, load, preview and list message templates."""
        return Templates(self)

    @cached_property
    def suppression(self) -> Suppression:
        """The suppression list: add, remove, contains, list, import_file."""
        return Suppression(self)

    @cached_property
    def campaigns(self) -> Campaigns:
        """Create, dry-run, preview, send, pause, resume and follow campaigns."""
        return Campaigns(self)

    @cached_property
    def journeys(self) -> Journeys:
        """Create, validate, simulate, run and follow journeys."""
        return Journeys(self)

    def tick(self, now: datetime | str | None = None) -> dict[str, Any]:
        """Run everything due at ``now`` (default: the clock): campaign runs, local-time waves, event-triggered
        sends, journey steps; idempotent (what ``workbench tick`` does from cron)."""
        from .scheduler import tick

        return tick(self, now=now)

    def send_message(
        self,
        *,
        channel: str,
        template: str | None = None,
        parts: dict[str, str] | None = None,
        to: str | Sequence[str] | None = None,
        endpoint_id: str | Sequence[str] | None = None,
        user_id: str | None = None,
        substitutions: dict[str, Any] | None = None,
        message_type: str | None = None,
        request_id: str | None = None,
    ) -> SendOutcome:
        """Send one message now (Pinpoint's SendMessages / SendUsersMessages) to an address (``to``), an endpoint
        or every active endpoint of a user, through the channel's adapter (the outbox until configured).

        Renders ``template`` (a saved template's name) or ``parts`` for each recipient; returns one Pinpoint-like
        result per recipient (``DeliveryStatus`` SUCCESSFUL, TEMPORARY_FAILURE, PERMANENT_FAILURE, OPT_OUT...).
        The same ``request_id`` never sends an accepted message twice.
        """
        from .delivery import send_message

        return send_message(
            self,
            channel=channel,
            template=template,
            parts=parts,
            to=to,
            endpoint_id=endpoint_id,
            user_id=user_id,
            substitutions=substitutions,
            message_type=message_type,
            request_id=request_id,
        )

    def kpi(
        self, name: str, start: Any = None, end: Any = None, segment: Any = None, **options: Any
    ) -> KpiResult:
        """One KPI per day and over the range (Pinpoint's names: ``email-open-rate``, ``sticky-factor``...)."""
        from .analytics import kpi

        return kpi(self, name, start, end, segment, **options)

    def funnel(
        self, steps: Sequence[Any], start: Any = None, end: Any = None, segment: Any = None, **options: Any
    ) -> FunnelResult:
        """Conversion through ordered event steps (``window=``, ``by=``, ``breakdown=``)."""
        from .analytics import funnel

        return funnel(self, steps, start, end, segment, **options)

    def dashboard(
        self, name: str, start: Any = None, end: Any = None, segment: Any = None, **options: Any
    ) -> Dashboard:
        """A built dashboard (overview, usage, revenue, events, funnels, demographics, retention)."""
        from .dashboards import dashboard

        return dashboard(self, name, start, end, segment, **options)

    def report(
        self,
        name: str | None = None,
        params: dict[str, Any] | None = None,
        out_dir: PathLike = "reports",
        *,
        progress: bool = False,
        cell_timeout: float | None = 1800.0,
    ) -> list[ReportResult]:
        """Run a report notebook (``None``: all of them) on this project and export it to ``out_dir`` as HTML.

        A cell running longer than ``cell_timeout`` seconds (None: no limit) stops the run with a ReportError."""
        from .reports import run_reports

        values = {"project_path": str(self.path), **(params or {})}
        return run_reports(
            None if name is None else [name],
            values,
            Path(out_dir),
            progress=progress,
            cell_timeout=cell_timeout,
        )

    def _repr_html_(self) -> str:
        counts = self.endpoints.count()
        return (
            f"<b>Workbench project</b> <code>{self.path}</code><br>"
            f"{counts.endpoints:,} endpoints ({counts.active:,} active), {counts.users:,} users"
        )
