"""Altair chart builders. Each takes an already aggregated Polars frame (a few hundred rows at most): raw event
rows never go into a chart, so a dashboard over millions of events stays a few hundred kilobytes.

Dates travel as ISO text and are read back as temporal fields, so the specs are plain JSON.
Altair takes about a second to import, so each builder imports it when it first draws: importing the dashboards
(their registry, the CLI's commands) costs nothing until a chart is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import altair as alt

WIDTH = 520
HEIGHT = 220
PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#7c3aed", "#0891b2", "#ca8a04", "#db2777"]


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and datetimes as ISO text (JSON-safe, no time-zone surprises in the browser)."""
    casts = [
        pl.col(c).cast(pl.String)
        for c, t in frame.schema.items()
        if t in (pl.Date,) or isinstance(t, pl.Datetime)
    ]
    return frame.with_columns(casts) if casts else frame


def _base(frame: pl.DataFrame, title: str, width: int = WIDTH, height: int = HEIGHT) -> alt.Chart:
    import altair as alt

    return alt.Chart(_plain(frame), title=alt.TitleParams(title, anchor="start", fontSize=14)).properties(
        width=width, height=height
    )


def time_series(
    frame: pl.DataFrame,
    columns: dict[str, str],
    title: str,
    *,
    x: str = "date",
    fmt: str = ",.0f",
    mark: str = "line",
) -> alt.Chart:
    """Lines (or bars) over days for one or more value ``columns`` ({column: label})."""
    import altair as alt

    long = frame.select(x, *columns).unpivot(index=x, variable_name="series", value_name="value")
    long = long.with_columns(pl.col("series").replace_strict(columns, return_dtype=pl.String))
    base = _base(long, title)
    enc = {
        "x": alt.X(f"{x}:T", title=None, axis=alt.Axis(format="%b %d")),
        "y": alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt)),
        "tooltip": [alt.Tooltip(f"{x}:T", title="date"), "series:N", alt.Tooltip("value:Q", format=fmt)],
    }
    if len(columns) > 1:
        enc["color"] = alt.Color(
            "series:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")
        )
    else:
        enc["color"] = alt.value(PALETTE[0])
    if mark == "bar":
        return base.mark_bar().encode(**enc)
    return base.mark_line(point=alt.OverlayMarkDef(size=18), interpolate="monotone").encode(**enc)


def bar(
    frame: pl.DataFrame, category: str, value: str, title: str, *, fmt: str = ",.0f", top: int = 15
) -> alt.Chart:
    """Horizontal bars, largest first (at most ``top`` categories)."""
    import altair as alt

    data = frame.select(pl.col(category).cast(pl.String).fill_null("(none)"), value).head(top)
    return (
        _base(data, title, height=max(60, 22 * data.height))
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt)),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", format=fmt)],
        )
    )


def heatmap(frame: pl.DataFrame, title: str = "Sessions by weekday and hour (UTC)") -> alt.Chart:
    """The session heat map: weekday rows, hour columns."""
    import altair as alt

    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return (
        _base(frame, title, height=180)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour of day"),
            y=alt.Y("weekday_name:N", sort=days, title=None),
            color=alt.Color("sessions:Q", scale=alt.Scale(scheme="blues"), title="sessions"),
            tooltip=["weekday_name:N", "hour:O", "sessions:Q"],
        )
    )


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
    enc = {
        "x": alt.X("step_label:N", title=None, sort=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
        "y": alt.Y(
            "conversion:Q",
            title="conversion from step 1",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        "tooltip": ["step_label:N", "count:Q", alt.Tooltip("conversion:Q", format=".1%"), "drop_off:Q"],
    }
    if breakdown:
        enc["xOffset"] = alt.XOffset("breakdown:N")
        enc["color"] = alt.Color(
            "breakdown:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="top")
        )
        enc["tooltip"] = ["breakdown:N", *enc["tooltip"]]
        return _base(data, title).mark_bar().encode(**enc)
    bars = _base(data, title).mark_bar(color=PALETTE[0]).encode(**enc)
    labels = bars.mark_text(dy=-6, fontSize=11).encode(
        text=alt.Text("count:Q", format=","), color=alt.value("#111")
    )
    return bars + labels


def cohort_heatmap(cohorts: pl.DataFrame, title: str = "Retention by cohort") -> alt.Chart:
    """Cohort rows, period columns, colour = share retained (blank while a period is not over)."""
    import altair as alt

    data = cohorts.filter(pl.col("rate").is_not_null())
    base = _base(data, title, height=max(120, 22 * data.get_column("cohort").n_unique()))
    rects = base.mark_rect().encode(
        x=alt.X("period:O", title="periods later"),
        y=alt.Y("cohort:O", title=None),
        color=alt.Color(
            "rate:Q",
            scale=alt.Scale(scheme="greens", domain=[0, 1]),
            title="retained",
            legend=alt.Legend(format="%"),
        ),
        tooltip=["cohort:O", "cohort_size:Q", "period:O", "retained:Q", alt.Tooltip("rate:Q", format=".1%")],
    )
    text = base.mark_text(fontSize=10).encode(
        x="period:O", y="cohort:O", text=alt.Text("rate:Q", format=".0%"), color=alt.value("#111")
    )
    return rects + text


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The Vega-Lite JSON of a chart (data inlined)."""
    return chart.to_dict()
