"""Altair chart builders. Each takes an already aggregated Polars frame (a few hundred rows at most): raw event
rows never go into a chart, so a dashboard over millions of events stays a few hundred kilobytes.

Three rules every chart here keeps, each in one place:

- **Field names**: a column name goes to Vega-Lite through :func:`field_name`, which renames the characters
  Vega-Lite reads as paths (``Demographic.Platform`` would be read as the field ``Platform`` of an object
  ``Demographic``, drawn as ``undefined``). :func:`_vega_frame` renames the data the same way.
- **Formats**: a value column is a *kind* (:data:`KINDS`: count, money, rate, ratio) and its axis, tooltip and
  labels follow the kind: counts tick in whole numbers, rates as percentages, money with the currency symbol
  (the symbol comes from ``config.locale``, set by :func:`page_spec` / :func:`notebook_spec` /
  :func:`image_spec` from the project's ``[reporting] currency``).
- **Size**: charts are built at a fixed width (images need one); :func:`page_spec` makes a chart fill its card
  in a page (``width: "container"``, ``autosize: fit-x``), so nothing scrolls sideways inside a card. In a
  notebook (:func:`notebook_spec`) a chart keeps its fixed width: JupyterLab's renderer cannot fit a container.

Dates travel as ISO text and are read back as UTC days, so the specs are plain JSON and no reader's time zone
moves a day. Daily series are bars or straight lines: no smoothing that would draw values that are not there.
Altair takes about a second to import, so each builder imports it when it first draws: importing the dashboards
(their registry, the CLI's commands) costs nothing until a chart is made.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import altair as alt

WIDTH = 520
HEIGHT = 220
PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777"]

#: A value's kind -> (axis format, tooltip/label format), d3-format strings. ``$`` is the locale's currency.
KINDS: dict[str, tuple[str, str]] = {
    "count": (",d", ",d"),
    "money": ("$,.2~f", "$,.2f"),
    "rate": (".0%", ".1%"),
    "ratio": (",.2~f", ",.2f"),
}

# Characters Vega-Lite reads inside a field name: "." and "[...]" are paths, "\\" escapes.
_PATH_CHARS = re.compile(r"[.\[\]\\]")


def field_name(column: str) -> str:
    """The name a column travels under to Vega-Lite: path characters (``.``, ``[``, ``]``) become ``_``.

    The one place dotted Pinpoint names (``Demographic.Platform``) are made safe; :func:`_vega_frame` renames
    the data with it, so every encoding that names a column through it finds its field.
    """
    return _PATH_CHARS.sub("_", column)


def currency_affixes(code: str = "USD") -> tuple[str, str]:
    """The text before and after an amount in ``code`` ("USD" -> ("$", "")), as the tables and tiles write it
    (tables.format_value), so an axis and the table beside it show the same symbol."""
    from ..analytics.tables import format_value

    sample = format_value(1.0, "currency", currency=code)  # "$1.00", "SFr.1.00", "¥1"
    at = sample.index("1")
    return sample[:at], sample[at:].lstrip("0123456789.,")


def currency_locale(currency: str = "USD") -> dict[str, Any]:
    """Vega's number locale (``config.locale``) with ``currency``'s symbol, for d3-format's ``$``."""
    return {
        "number": {
            "decimal": ".",
            "thousands": ",",
            "grouping": [3],
            "currency": list(currency_affixes(currency)),
        }
    }


def value_kind(fmt: str | None, columns: Iterable[str] = ()) -> str:
    """The kind (count, money, rate, ratio) of values drawn with ``fmt``.

    ``fmt`` is a kind's name, or (as older callers pass) a d3-format string: ``%`` -> rate, decimals -> ratio;
    a column named like revenue is money whatever the format says.
    """
    if fmt in KINDS:
        return fmt
    if any("revenue" in c.lower() for c in columns):
        return "money"
    fmt = fmt or ""
    if "%" in fmt:
        return "rate"
    if "$" in fmt:
        return "money"
    if re.search(r"\.[1-9]", fmt):
        return "ratio"
    return "count"


#: Up to this largest value, a count axis lists its whole-number ticks itself.
SMALL_COUNT = 10
DAY_MS = 86_400_000


def _axis(kind: str, largest: float | None = None, **extra: Any) -> alt.Axis:
    """A value axis formatted for ``kind``. Counts never tick 0, 0, 0, 1, 1, 1: Vega's "nice" ticks over a
    small domain fall between whole numbers (0, 0.5, 1 even with ``tickMinStep`` 1), so up to
    :data:`SMALL_COUNT` the ticks are listed; above it the minimum step of 1 keeps them whole."""
    import altair as alt

    if kind == "count":
        extra.setdefault("tickMinStep", 1)
        if largest is not None and largest <= SMALL_COUNT:
            extra.setdefault("values", list(range(0, max(1, math.ceil(largest)) + 1)))
    return alt.Axis(format=KINDS[kind][0], **extra)


def _largest(frame: pl.DataFrame, column: str) -> float | None:
    top = frame.get_column(column).max() if frame.height else None
    return float(top) if top is not None else None


def _vega_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as a chart's data: safe field names, dates as ISO text, missing categories as ``(none)``, blank
    ones as ``(blank)``."""
    renames = {c: field_name(c) for c in frame.columns if field_name(c) != c}
    casts = []
    for c, t in frame.schema.items():
        if t == pl.Date or isinstance(t, pl.Datetime):
            casts.append(pl.col(c).cast(pl.String))
        elif t in (pl.String, pl.Categorical, pl.Enum):
            text = pl.col(c).cast(pl.String)
            # A blank category would be an unlabelled bar: say what it is.
            casts.append(
                pl.when(text.str.strip_chars() == "")
                .then(pl.lit("(blank)"))
                .otherwise(text)
                .fill_null("(none)")
                .alias(c)
            )
    if casts:
        frame = frame.with_columns(casts)
    return frame.rename(renames) if renames else frame


def _base(frame: pl.DataFrame) -> alt.Chart:
    import altair as alt

    return alt.Chart(_vega_frame(frame))


def _finish(chart: Any, title: str, *, height: int = HEIGHT) -> Any:
    """Title and size on the top-level chart (a layer's parts inherit them), ``WIDTH`` wide until a page fits it."""
    import altair as alt

    return chart.properties(
        title=alt.TitleParams(title, anchor="start", fontSize=14), width=WIDTH, height=height
    )


def _note_chart(text: str, title: str) -> alt.Chart:
    """A chart-sized note in place of a chart with nothing to draw."""
    import altair as alt

    note = (
        alt.Chart(pl.DataFrame({"note": [text]}))
        .mark_text(fontSize=13, color="#6b7280")
        .encode(text="note:N")
    )
    return _finish(note, title, height=60)


#: Up to this many days, a time axis ticks every day (Vega's own ticks fall every 12 hours on a short range).
SHORT_RANGE_DAYS = 14


def _day_axis(field: str, days: int, *, bars: bool) -> alt.X:
    """The x of a daily series: UTC days, one tick a day at most, each bar centred on its day's label."""
    import altair as alt

    axis: dict[str, Any] = {"format": "%b %d", "labelOverlap": True, "tickMinStep": DAY_MS}
    if days <= SHORT_RANGE_DAYS:
        axis["tickCount"] = {"interval": "day", "step": 1}
    extra = {"bandPosition": 0} if bars else {}  # a bar spans its day; its label sits under its middle
    return alt.X(
        field=field,
        type="temporal",
        timeUnit="utcyearmonthdate",
        title=None,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(**axis),
        **extra,
    )


def time_series(
    frame: pl.DataFrame,
    columns: dict[str, str],
    title: str,
    *,
    x: str = "date",
    fmt: str = "count",
    mark: str = "line",
) -> alt.Chart:
    """Straight lines (or bars) over days for one or more value ``columns`` ({column: label}).

    ``fmt`` is the values' kind (see :func:`value_kind`). A column with no value on any day is left out (its
    legend entry would promise a line that is not there).
    """
    import altair as alt

    kind = value_kind(fmt, columns)
    drawn = {
        c: label
        for c, label in columns.items()
        if frame.height and frame.get_column(c).null_count() < frame.height
    }
    if not drawn:
        return _note_chart("No data on these days", title)
    long = frame.select(x, *drawn).unpivot(index=x, variable_name="series", value_name="value")
    long = long.with_columns(pl.col("series").replace_strict(drawn, return_dtype=pl.String))
    day = field_name(x)
    enc: dict[str, Any] = {
        "x": _day_axis(day, long.get_column(x).n_unique(), bars=mark == "bar"),
        "y": alt.Y(field="value", type="quantitative", title=None, axis=_axis(kind, _largest(long, "value"))),
        "tooltip": [
            alt.Tooltip(
                field=day, type="temporal", timeUnit="utcyearmonthdate", title="date", format="%a %b %d, %Y"
            ),
            alt.Tooltip(field="series", type="nominal", title="series"),
            alt.Tooltip(field="value", type="quantitative", title="value", format=KINDS[kind][1]),
        ],
    }
    if len(columns) > 1:  # several series asked for: name them, even when only one has values
        enc["color"] = alt.Color(
            field="series",
            type="nominal",
            title=None,
            sort=list(drawn.values()),
            scale=alt.Scale(range=PALETTE),
            legend=alt.Legend(orient="top"),
        )
        if mark == "bar":
            enc["xOffset"] = alt.XOffset(field="series", type="nominal", sort=list(drawn.values()))
    else:
        enc["color"] = alt.value(PALETTE[0])
    base = _base(long)
    if mark == "bar":
        chart = base.mark_bar().encode(**enc)
    else:
        # Straight segments between the days (no "monotone" curve inventing values between them); points
        # show the days themselves, so a single day is a dot, not a bell.
        chart = base.mark_line(interpolate="linear", point=alt.OverlayMarkDef(size=18)).encode(**enc)
    return _finish(chart, title)


def bar(
    frame: pl.DataFrame, category: str, value: str, title: str, *, fmt: str = "count", top: int = 15
) -> alt.Chart:
    """Horizontal bars, largest first (at most ``top`` categories); ``fmt`` is the values' kind."""
    import altair as alt

    kind = value_kind(fmt, [value])
    data = frame.select(pl.col(category).cast(pl.String).fill_null("(none)"), value).head(top)
    cat, val = field_name(category), field_name(value)
    label = category.rsplit(".", 1)[-1]
    chart = (
        _base(data)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y(field=cat, type="nominal", sort="-x", title=None, axis=alt.Axis(labelLimit=180)),
            x=alt.X(field=val, type="quantitative", title=None, axis=_axis(kind, _largest(data, value))),
            tooltip=[
                alt.Tooltip(field=cat, type="nominal", title=label),
                alt.Tooltip(field=val, type="quantitative", title=value, format=KINDS[kind][1]),
            ],
        )
    )
    return _finish(chart, title, height=max(60, 22 * data.height))


def heatmap(frame: pl.DataFrame, title: str = "Sessions by weekday and hour (UTC)") -> alt.Chart:
    """The session heat map: weekday rows, hour columns."""
    import altair as alt

    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    chart = (
        _base(frame)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour of day (UTC)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weekday_name:N", sort=days, title=None),
            color=alt.Color(
                "sessions:Q",
                scale=alt.Scale(scheme="blues"),
                title="sessions",
                legend=alt.Legend(format=",d"),
            ),
            tooltip=[
                alt.Tooltip("weekday_name:N", title="weekday"),
                alt.Tooltip("hour:O", title="hour"),
                alt.Tooltip("sessions:Q", format=",d"),
            ],
        )
    )
    return _finish(chart, title, height=180)


def funnel_chart(
    table: pl.DataFrame, *, breakdown: bool = False, title: str = "Funnel: conversion by step"
) -> alt.Chart:
    """Bars per step with conversion from step 1 (grouped by breakdown value when there is one)."""
    import altair as alt

    data = table.with_columns(
        (pl.col("step").cast(pl.String) + ". " + pl.col("label")).alias("step_label"),
        pl.col("conversion").fill_null(0.0),
    )
    if breakdown:
        data = data.filter(pl.col("breakdown") != "(all)")
    if not (data.height and data.get_column("count").max()):  # nobody entered: bars of 0 would say nothing
        return _note_chart("Nobody entered the funnel on these days", title)
    enc: dict[str, Any] = {
        "x": alt.X("step_label:N", title=None, sort=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
        "y": alt.Y(
            "conversion:Q",
            title="conversion from step 1",
            axis=_axis("rate"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        "tooltip": [
            alt.Tooltip("step_label:N", title="step"),
            alt.Tooltip("count:Q", format=",d", title="endpoints"),
            alt.Tooltip("conversion:Q", format=".1%"),
            alt.Tooltip("drop_off:Q", format=",d", title="dropped off"),
        ],
    }
    if breakdown:
        enc["xOffset"] = alt.XOffset("breakdown:N")
        enc["color"] = alt.Color(
            "breakdown:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")
        )
        enc["tooltip"] = [alt.Tooltip("breakdown:N"), *enc["tooltip"]]
        return _finish(_base(data).mark_bar().encode(**enc), title)
    bars = _base(data).mark_bar(color=PALETTE[0]).encode(**enc)
    count = alt.Text("count:Q", format=",d")
    # The count sits inside a tall bar (white) and above a short one, so no label leaves the plot at 100%.
    inside = (
        bars.mark_text(baseline="top", dy=5, fontSize=11)
        .encode(text=count, color=alt.value("#ffffff"))
        .transform_filter(alt.datum.conversion >= TALL_BAR)
    )
    above = (
        bars.mark_text(baseline="bottom", dy=-4, fontSize=11)
        .encode(text=count, color=alt.value("#111827"))
        .transform_filter(alt.datum.conversion < TALL_BAR)
    )
    return _finish(bars + inside + above, title)


#: A funnel bar at least this tall (share of step 1) carries its count inside.
TALL_BAR = 0.15


#: Cells whose share is at least this are dark green: their text is white (the "greens" scheme over 0..1).
DARK_CELL = 0.5


def cohort_heatmap(cohorts: pl.DataFrame, title: str = "Retention by cohort") -> alt.Chart:
    """Cohort rows, period columns, colour = share retained (blank while a period is not over).

    The text on a cell is white on dark cells and near-black on light ones (:data:`DARK_CELL`).
    """
    import altair as alt

    data = cohorts.filter(pl.col("rate").is_not_null())
    base = _base(data)
    rects = base.mark_rect().encode(
        x=alt.X("period:O", title="periods later", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title=None),
        color=alt.Color(
            "rate:Q",
            scale=alt.Scale(scheme="greens", domain=[0, 1]),
            title="retained",
            legend=alt.Legend(format="%"),
        ),
        tooltip=[
            alt.Tooltip("cohort:O"),
            alt.Tooltip("cohort_size:Q", format=",d", title="cohort size"),
            alt.Tooltip("period:O"),
            alt.Tooltip("retained:Q", format=",d"),
            alt.Tooltip("rate:Q", format=".1%", title="share retained"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        x="period:O",
        y="cohort:O",
        text=alt.Text("rate:Q", format=".0%"),
        color=alt.condition(alt.datum.rate >= DARK_CELL, alt.value("#ffffff"), alt.value("#111827")),
    )
    return _finish(rects + text, title, height=max(120, 22 * data.get_column("cohort").n_unique()))


def tiles_chart(
    tiles: list[tuple[str, str]], *, width: int = 2 * WIDTH + 60, columns: int = 4
) -> alt.LayerChart:
    """KPI tiles (label, value text) drawn as a chart: a grid of boxes, for images of a dashboard."""
    import altair as alt

    rows = [
        {"label": label, "value": value, "col": i % columns, "row": i // columns}
        for i, (label, value) in enumerate(tiles)
    ]
    cell = width / columns
    base = alt.Chart(pl.DataFrame(rows)).encode(
        x=alt.X("col:O", axis=None, scale=alt.Scale(paddingInner=0.06, paddingOuter=0)),
        y=alt.Y("row:O", axis=None, scale=alt.Scale(paddingInner=0.12, paddingOuter=0)),
    )
    boxes = base.mark_rect(fill="#f9fafb", stroke="#e5e7eb", cornerRadius=6)
    left = -cell / 2 + 10
    labels = base.mark_text(align="left", dx=left, dy=-12, fontSize=11, color="#6b7280").encode(
        text="label:N"
    )
    values = base.mark_text(
        align="left", dx=left, dy=10, fontSize=19, fontWeight="bold", color="#111827"
    ).encode(text="value:N")
    height = 62 * (len(rows) // columns + (1 if len(rows) % columns else 0))
    # No frame around the grid: the boxes are the frame.
    return (boxes + labels + values).properties(width=width, height=max(height, 62), view={"stroke": None})


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite JSON of a chart (data inlined)."""
    return chart.to_dict()


def _with_locale(spec: Mapping[str, Any], currency: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    out.setdefault("config", {})["locale"] = currency_locale(currency)
    return out


def page_spec(spec: Mapping[str, Any], *, currency: str = "USD") -> dict[str, Any]:
    """A chart's spec for a page: as wide as its card (``width: "container"``), money in ``currency``.

    Concatenated charts keep their widths (Vega-Lite sizes only single and layered views to a container).
    """
    return card_width(_with_locale(spec, currency))


def card_width(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` as wide as its card (``width: "container"``); concatenated charts keep their widths."""
    out = dict(spec)
    if not any(k in out for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        out["width"] = "container"
        out["autosize"] = {"type": "fit-x", "contains": "padding", "resize": True}
    return out


def notebook_spec(spec: Mapping[str, Any], *, currency: str | None = None) -> dict[str, Any]:
    """A chart's spec for a notebook output, drawn by the notebook's own Vega-Lite renderer: the width it was
    built at, money in ``currency`` (None, for any Altair chart shown in a notebook: the chart's own locale,
    else d3's default, US dollars), no ``$schema``.

    JupyterLab 4 draws with its own Vega-Lite 5: a ``width: "container"`` spec makes its renderer resize and
    redraw without end (the tab freezes), and a Vega-Lite 6 ``$schema`` makes it warn on every draw. The charts
    here use nothing Vega-Lite 5 lacks, so without the schema both versions draw them the same.
    """
    out = copy.deepcopy(dict(spec)) if currency is None else _with_locale(spec, currency)
    out.pop("$schema", None)
    return out


def image_spec(
    spec: Mapping[str, Any], *, currency: str = "USD", caption: list[str] | None = None
) -> dict[str, Any]:
    """A chart's spec for a PNG/SVG: fixed width, money in ``currency``, ``caption`` lines under its title."""
    out = _with_locale(spec, currency)
    if caption:
        title = out.get("title") or {"text": ""}
        if isinstance(title, str | list):
            title = {"text": title}
        title.setdefault("anchor", "start")
        title["subtitle"] = caption
        title.setdefault("subtitleColor", "#4b5563")
        out["title"] = title
    return out
