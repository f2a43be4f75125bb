"""``Dashboard``: the data of one dashboard (tiles, charts, tables) plus ways to show and save it.

>>> d = dashboard(project, "overview", start="2026-10-01", end="2026-10-29", segment="ios-users")
>>> d                      # in Jupyter: shows itself (offline charts)
>>> d.show()               # with date, segment, platform and channel controls that re-query and redraw
>>> d.save("overview.html"); d.save("overview.png")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..analytics._common import Scope
from ..errors import InputError, UnknownNameError, suggest
from . import export

if TYPE_CHECKING:
    import altair as alt

    from ..store import Store


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a label, a value and how to show it (``fmt``: count, rate, ratio, currency)."""

    label: str
    value: Any
    fmt: str = "count"
    kpi: str | None = None  # the KPI name behind it (workbench kpi NAME)

    @property
    def text(self) -> str:
        v = self.value
        if v is None:
            return "–"
        if self.fmt == "rate":
            return f"{v:.1%}"
        if self.fmt == "currency":
            return f"{v:,.2f}"
        if self.fmt == "ratio":
            return f"{v:,.2f}"
        return f"{v:,.0f}" if isinstance(v, float) else f"{v:,}"


@dataclass(frozen=True)
class ChartItem:
    title: str
    chart: alt.TopLevelMixin

    def spec(self) -> dict[str, Any]:
        return self.chart.to_dict()


@dataclass(frozen=True)
class TableItem:
    title: str
    frame: pl.DataFrame
    formats: dict[str, str] = field(default_factory=dict)


@dataclass
class Dashboard:
    """A built dashboard. Build one with :func:`dashboard`; it holds only aggregated figures."""

    name: str
    title: str
    description: str
    project: Store
    scope: Scope
    filters: dict[str, Any] = field(default_factory=dict)
    tiles: list[Tile] = field(default_factory=list)
    charts: list[ChartItem] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: str | None = None
    query_seconds: float = 0.0
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def project_name(self) -> str:
        return self.project.name

    def parameter_rows(self) -> list[tuple[str, str]]:
        rows = [
            ("project", self.project_name),
            ("dates", f"{self.scope.start} to {self.scope.end} (inclusive)"),
            ("segment", self.scope.segment or "everyone"),
        ]
        rows += [(k, str(v)) for k, v in self.filters.items() if v]
        if self.scope.data_start:
            rows.append(("data in the log", f"{self.scope.data_start} to {self.scope.data_end}"))
        return rows

    # --- showing ------------------------------------------------------------------------------------------

    def to_html(self) -> str:
        """The standalone, offline HTML page."""
        return export.render_page(self)

    def _repr_html_(self) -> str:
        return export.render_page(self, fragment=True)

    def __repr__(self) -> str:
        return f"Dashboard({self.name!r}, {self.scope.start}..{self.scope.end}, {len(self.charts)} charts)"

    def show(self):
        """In Jupyter: the dashboard under controls (dates, segment, platform, channel) that re-query and redraw."""
        from .controls import dashboard_controls

        return dashboard_controls(self)

    # --- saving -------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """``.html``: one standalone offline page. ``.png``/``.svg``: the charts stacked in one image (vl-convert)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".html":
            export.write_atomic(path, self.to_html())
        elif suffix in (".png", ".svg"):
            export.save_image(self.combined_chart().to_dict(), path)
        else:
            raise InputError("save a dashboard as .html, .png or .svg", file=str(path))
        return path

    def save_charts(self, folder: str | Path, fmt: str = "png") -> list[Path]:
        """Each chart as its own PNG or SVG file (for e-mail), named after the dashboard and the chart."""
        folder = Path(folder)
        out = []
        for i, item in enumerate(self.charts, 1):
            slug = "".join(ch if ch.isalnum() else "-" for ch in item.title.lower()).strip("-")[:40]
            out.append(export.save_image(item.spec(), folder / f"{self.name}-{i:02d}-{slug}.{fmt}"))
        return out

    def combined_chart(self):
        """All charts in one Altair chart (two per row), or a text note when there is nothing to draw."""
        import altair as alt

        if not self.charts:
            text = self.empty or "No charts"
            return (
                alt.Chart(pl.DataFrame({"t": [text]}))
                .mark_text(size=14)
                .encode(text="t:N")
                .properties(width=500, height=60, title=self.title)
            )
        rows = [self.charts[i : i + 2] for i in range(0, len(self.charts), 2)]
        return alt.vconcat(*[alt.hconcat(*[c.chart for c in row]) for row in rows], title=self.title)


Builder = Callable[..., Dashboard]
DASHBOARDS: dict[str, tuple[str, Builder]] = {}


def register_dashboard(name: str, description: str) -> Callable[[Builder], Builder]:
    """Decorator adding a builder ``fn(project, scope, **options) -> Dashboard`` to the registry."""

    def wrap(fn: Builder) -> Builder:
        DASHBOARDS[name] = (description, fn)
        return fn

    return wrap


def dashboard_names() -> list[str]:
    from . import views  # noqa: F401  (registers the built-in dashboards)

    return list(DASHBOARDS)


def dashboard(
    project: Store,
    name: str,
    start=None,
    end=None,
    segment=None,
    *,
    platform: str | None = None,
    channel: str | None = None,
    **options: Any,
) -> Dashboard:
    """Build the dashboard ``name`` (overview, usage, revenue, events, funnels, demographics, retention).

    Runs the dashboard's queries (all aggregated in DuckDB) once; the result renders and saves without querying.
    """
    from ..analytics._common import resolve_scope

    names = dashboard_names()
    if name not in DASHBOARDS:
        raise UnknownNameError(
            f"no dashboard named {name!r}{suggest(name, names)}; valid dashboards: {', '.join(names)}"
        )
    scope = resolve_scope(project, start, end, segment, platform=platform, channel=channel)
    _, builder = DASHBOARDS[name]
    started = time.perf_counter()
    with project.reading():
        board = builder(project, scope, **options)
    board.query_seconds = time.perf_counter() - started
    board.filters = {"platform": platform, "channel": channel}
    return board
