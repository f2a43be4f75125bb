"""``Dashboard``: the data of one dashboard (tiles, charts, tables) plus ways to show, save and rebuild it.

A builder (``fn(project, scope, **options) -> Dashboard``, see views.py) fills one in; :func:`build` runs a
builder over the resolved dates and audience and remembers it, so the dashboard can rebuild itself for other
dates (``rebuild()``, the controls of ``show()``).

>>> d = dashboard(project, "overview", start="2026-10-01", end="2026-10-29", segment="vip-users")
>>> d                      # in Jupyter: shows itself (charts drawn by JupyterLab's own Vega-Lite renderer)
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

from ..analytics import Scope, resolve_scope, tables
from ..errors import InputError
from . import charts, export
from .controls import dashboard_controls

if TYPE_CHECKING:
    import altair as alt

    from ..store import Store


@dataclass(frozen=True)
class Tile:
    """One KPI tile: a label, a value and how to show it (``fmt``: count, rate, ratio, currency, duration).

    A value of None means there was no data to compute it from: the tile says "no data", never 0.
    ``duration`` values are seconds, shown in one named unit ("18 minutes", "3.1 days").
    """

    label: str
    value: Any
    fmt: str = "count"
    kpi: str | None = None  # the KPI name behind it (workbench kpi NAME)

    @property
    def text(self) -> str:
        """The value as shown (money in US dollars; a dashboard shows it in its project's currency)."""
        return self.display()

    @property
    def missing(self) -> bool:
        """Whether the tile says "no data" (shown in the quieter style of a missing figure)."""
        return self.value is None

    def display(self, currency: str = "USD") -> str:
        """The value as shown on the tile, money in ``currency`` (an ISO 4217 code).

        Formatted by ``tables.format_value``, the one place that decides how a figure reads, so a tile and the
        table beside it agree.
        """
        if self.value is None:
            return NO_DATA
        v = self.value
        if self.fmt == "count" and isinstance(v, float) and abs(v) < 10 and not v.is_integer():
            return f"{v:,.1f}"  # a mean of 0.4 a day is not "0"
        return tables.format_value(self.value, self.fmt, currency=currency)


#: What a tile without data says.
NO_DATA = "no data"


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
        """The project's name, as the page's header shows it."""
        return self.project.name

    @property
    def currency(self) -> str:
        """The currency of money figures: the project's ``[reporting] currency`` (ISO 4217), default USD."""
        return tables.reporting_currency(self.project)

    def tile_text(self, tile: Tile) -> str:
        """A tile's value as shown on this dashboard (money in the project's currency)."""
        return tile.display(self.currency)

    def parameter_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows of what the page shows: project, dates, segment and the filters given."""
        rows = [
            ("project", self.project_name),
            ("dates", f"{self.scope.start} to {self.scope.end} (inclusive)"),
            ("segment", self.scope.segment or "everyone"),
        ]
        rows += [(k, str(v)) for k, v in self.filters.items() if v]
        if self.scope.data_start:
            rows.append(("data in the log", f"{self.scope.data_start} to {self.scope.data_end}"))
        return rows

    def caption(self) -> list[str]:
        """The lines under an image's title: project, dates, segment, filters, when it was made."""
        shown = [f"{k} {v}" for k, v in self.parameter_rows() if k != "data in the log"]
        return [" · ".join(shown), f"Generated {self.generated_at} by workbench"]

    # --- showing ------------------------------------------------------------------------------------------

    def to_html(self) -> str:
        """The standalone, offline HTML page (Vega inlined once)."""
        return self._page(fragment=False)

    def _ipython_display_(self) -> None:
        """In Jupyter: :meth:`notebook_outputs`, one display each."""
        from IPython.display import display

        for output in self.notebook_outputs():
            display(output, raw=True)

    def notebook_outputs(self) -> list[dict[str, Any]]:
        """The dashboard as notebook outputs (MIME bundles): its title, filters and tiles as HTML, each chart as a
        Vega-Lite output drawn by the notebook's own renderer (JupyterLab's), then its tables and notes.

        No output carries JavaScript: a notebook saved with its outputs stays small, and the page never loads
        a second copy of Vega. ``workbench report`` exports the charts with Vega inlined once per page.
        """
        currency = self.currency
        text = repr(self)
        outputs = [{"text/html": self._page(fragment=True, part="top", bundle=False), "text/plain": text}]
        if not self.empty:
            outputs += [
                export.chart_mimebundle(charts.notebook_spec(c.spec(), currency=currency), c.title)
                for c in self.charts
            ]
        outputs.append(
            {"text/html": self._page(fragment=True, part="bottom", bundle=False), "text/plain": ""}
        )
        return outputs

    def _repr_html_(self) -> str:
        """The whole dashboard as one HTML block without the Vega script, for a front end that shows HTML but not
        :meth:`notebook_outputs` (the controls' fallback). Jupyter shows :meth:`notebook_outputs`; a file of its
        own is :meth:`to_html`."""
        return self._page(fragment=True, bundle=False)

    def _page(self, *, fragment: bool, part: str = "all", bundle: bool = True) -> str:
        """The page (or, with ``fragment``, a block to show inside a notebook); ``part`` is "all", or "top" /
        "bottom" for the HTML around a notebook's chart outputs; ``bundle`` inlines Vega."""
        if part not in ("all", "top", "bottom"):
            raise ValueError(f"part is 'all', 'top' or 'bottom', not {part!r}")
        currency = self.currency
        return export.render(
            "dashboard.html.j2",
            d=self,
            tiles=[(t, t.display(currency)) for t in self.tiles],
            charts=export.chart_blocks(
                [(c.title, charts.page_spec(c.spec(), currency=currency)) for c in self.charts]
            )
            if part == "all"
            else [],
            # great_tables (tables.py): labelled columns, money in the project's currency, no dtype row
            tables=[(t.title, tables.table_html(t.frame, t.formats, currency=currency)) for t in self.tables]
            if part != "top"
            else [],
            params=self.parameter_rows(),
            bundle=export.vega_bundle() if bundle and part == "all" else "",
            marker=export.BUNDLE_MARKER,
            fragment=fragment,
            part=part,
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
        """``.html``: one standalone offline page. ``.png``/``.svg``: one image of the dashboard (vl-convert):
        title and caption (project, dates, segment, filters), the KPI tiles, then the charts two per row."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".html":
            export.write_atomic(path, self.to_html())
        elif suffix in (".png", ".svg"):
            spec = charts.image_spec(self.combined_chart().to_dict(), currency=self.currency)
            export.save_image(spec, path)
        else:
            raise InputError("save a dashboard as .html, .png or .svg", file=str(path))
        return path

    def save_charts(self, folder: str | Path, fmt: str = "png") -> list[Path]:
        """Each chart as its own PNG or SVG file (for e-mail), named after the dashboard and the chart.

        Every image carries the caption (project, dates, segment, filters); the KPI tiles, when there are any,
        come first as ``NAME-00-kpis.FMT``. Returns the files written, in that order.
        """
        folder = Path(folder)
        caption = self.caption()
        currency = self.currency
        out = []
        if self.tiles:
            tiles = self.tiles_chart().properties(title=alt_title(f"{self.title}: key figures"))
            spec = charts.image_spec(tiles.to_dict(), currency=currency, caption=caption)
            out.append(export.save_image(spec, folder / f"{self.name}-00-kpis.{fmt}"))
        for i, item in enumerate(self.charts, 1):
            slug = "".join(ch if ch.isalnum() else "-" for ch in item.title.lower()).strip("-")[:40]
            spec = charts.image_spec(item.spec(), currency=currency, caption=caption)
            out.append(export.save_image(spec, folder / f"{self.name}-{i:02d}-{slug}.{fmt}"))
        return out

    def tiles_chart(self):
        """The KPI tiles as an Altair chart (a grid of boxes with label and value), for images."""
        return charts.tiles_chart([(t.label, self.tile_text(t)) for t in self.tiles])

    def combined_chart(self):
        """The whole dashboard as one Altair chart: title and caption, tiles, then the charts two per row.

        Each chart keeps its own colour scale and legend (concatenated charts would otherwise share one).
        """
        import altair as alt

        title = alt.TitleParams(
            self.title, subtitle=self.caption(), anchor="start", fontSize=18, subtitleColor="#4b5563"
        )
        if not self.charts:
            text = self.empty or "No charts"
            note = (
                alt.Chart(pl.DataFrame({"t": [text]}))
                .mark_text(size=14, align="left", x=0)
                .encode(text="t:N")
                .properties(width=2 * charts.WIDTH, height=60)
            )
            parts = [self.tiles_chart(), note] if self.tiles else [note]
            return alt.vconcat(*parts, title=title)
        rows = [self.charts[i : i + 2] for i in range(0, len(self.charts), 2)]
        parts = [self.tiles_chart()] if self.tiles else []
        parts += [_independent(alt.hconcat(*[c.chart for c in row], spacing=30)) for row in rows]
        return _independent(alt.vconcat(*parts, title=title, spacing=24))


def alt_title(text: str):
    """A chart title as the dashboards write them (left-aligned)."""
    import altair as alt

    return alt.TitleParams(text, anchor="start", fontSize=16)


def _independent(chart):
    """Concatenated charts with a colour scale and a legend each (never one merged legend row)."""
    return chart.resolve_scale(color="independent").resolve_legend(color="independent")


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
