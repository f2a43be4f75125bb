"""``Dashboard``: the data of one dashboard (tiles, charts, tables) plus ways to show, save and rebuild it.

A builder (``fn(project, scope, **options) -> Dashboard``, see views.py) fills one in; :func:`build` runs a
builder over the resolved dates and audience and remembers it, so the dashboard can rebuild itself for other
dates (``rebuild()``, the controls of ``show()``).

>>> d = dashboard(project, "overview", start="2026-10-01", end="2026-10-29", segment="vip-users")
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

from ..analytics import Scope, resolve_scope
from ..errors import InputError
from . import export
from .controls import dashboard_controls

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
    builder: Builder | None = field(default=None, repr=False)  # set by build(); rebuild() runs it again
    options: dict[str, Any] = field(default_factory=dict)  # the builder's options (e.g. a funnel's steps)
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
        return self._page(fragment=False)

    def _repr_html_(self) -> str:
        return self._page(fragment=True)

    def _page(self, *, fragment: bool) -> str:
        """The page (or, with ``fragment``, a block to show inside a notebook)."""
        return export.render(
            "dashboard.html.j2",
            d=self,
            tiles=self.tiles,
            charts=export.chart_blocks([(c.title, c.spec()) for c in self.charts]),
            tables=[(t.title, export.table_html(t.frame, t.formats)) for t in self.tables],
            params=self.parameter_rows(),
            bundle=export.vega_bundle(),
            marker=export.BUNDLE_MARKER,
            fragment=fragment,
        )

    def __repr__(self) -> str:
        return f"Dashboard({self.name!r}, {self.scope.start}..{self.scope.end}, {len(self.charts)} charts)"

    def show(self):
        """In Jupyter: the dashboard under controls (dates, segment, platform, channel) that re-query and redraw."""
        return dashboard_controls(self)

    def rebuild(
        self, start=None, end=None, segment=None, *, platform: str | None = None, channel: str | None = None
    ) -> Dashboard:
        """The same dashboard (same builder, same options) for other dates or another audience; queries again."""
        if self.builder is None:
            raise InputError(
                f"the dashboard {self.name!r} was not made by build(), so it cannot rebuild itself"
            )
        return build(
            self.project,
            self.builder,
            start,
            end,
            segment,
            platform=platform,
            channel=channel,
            **self.options,
        )

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


def build(
    project: Store,
    builder: Builder,
    start=None,
    end=None,
    segment=None,
    *,
    platform: str | None = None,
    channel: str | None = None,
    **options: Any,
) -> Dashboard:
    """Run ``builder(project, scope, **options)`` over the resolved dates and audience, on one shared connection.

    Runs the dashboard's queries (all aggregated in DuckDB) once; the result renders and saves without querying.
    """
    scope = resolve_scope(project, start, end, segment, platform=platform, channel=channel)
    started = time.perf_counter()
    with project.reading():
        board = builder(project, scope, **options)
    board.query_seconds = time.perf_counter() - started
    board.filters = {"platform": platform, "channel": channel}
    board.builder = builder
    board.options = options
    return board
