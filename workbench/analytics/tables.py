"""Formatted figures and tables for dashboards, reports and notebooks (tables through ``great_tables``).

One place decides how a figure reads, so a tile and the table beside it agree:

- ``count``: a whole number with separators, no decimals ("617", "12,959");
- ``rate``: a share as a percentage ("20.4%");
- ``currency``: money in the project's currency, ``[reporting] currency`` in workbench.toml (default "USD"):
  "$18,000.00", "€18,000.00";
- ``duration``: seconds shown in ONE human unit chosen from the figure's size and named with it ("3.2 days",
  a table column "Median time from previous step (minutes)");
- ``number``: a plain figure with two decimals ("4.63"); ``text`` and ``date`` are shown as they are.

>>> format_table(frame, kinds={"revenue": "currency", "units_sold": "count"}, currency="EUR")  # a GT
>>> format_value(18000, "currency", currency="EUR")
'€18,000.00'

A ``GT`` shows itself in Jupyter; :func:`table_html` is the HTML block a dashboard page embeds.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    import great_tables as gt
    import polars as pl

    from ..store import Store

#: The figure kinds a tile or a table column can have.
KINDS = ("count", "rate", "currency", "duration", "number", "text", "date")
#: Older spellings still accepted (the dashboards' first tables used "%" and "$"; tiles used "ratio").
_ALIASES = {"%": "rate", "$": "currency", "ratio": "number", "money": "currency", "percent": "rate"}

DEFAULT_CURRENCY = "USD"
#: What a tile says when its events do not occur in the date range (instead of a misleading 0).
NO_DATA = "no data in this range"
#: What a table cell shows for a missing value.
MISSING = "–"

#: Human names for the analytics' column names; any other snake_case name reads as words ("units_sold" ->
#: "Units sold").
LABELS: dict[str, str] = {
    "event_type": "Event type",
    "events_per_session": "Events per session",
    "paying_users": "Paying users",
    "paying_endpoints": "Paying endpoints",
    "units_sold": "Units sold",
    "label": "Event",
    "conversion": "Conversion (of step 1)",
    "conversion_from_previous": "Conversion from previous step",
    "drop_off": "Dropped off",
    "median_seconds_from_previous": "Median time from previous step",
    "median_seconds_from_start": "Median time from step 1",
    "cohort_size": "Cohort size",
    "value": "Value",
    "endpoints": "Endpoints",
}

#: Duration units, largest first: a figure takes the largest unit in which it is at least 2 (so 90 seconds
#: stays "90 seconds" and 3 hours is "3.0 hours", not "0.1 days").
_UNITS = (("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0), ("seconds", 1.0))


def kind_of(kind: str | None) -> str | None:
    """The canonical kind for ``kind`` (aliases resolved); an InputError names the valid ones."""
    if kind is None:
        return None
    kind = _ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise InputError(f"{kind!r} is not a figure kind; use one of {', '.join(KINDS)}", field="kinds")
    return kind


# --- currency --------------------------------------------------------------------------------------------


def check_currency(code: Any, *, file: str | None = None) -> str:
    """The ISO 4217 code ``code`` in capitals ("eur" -> "EUR"); an InputError naming the setting otherwise."""
    text = str(code).strip().upper() if code is not None else ""
    if len(text) == 3 and text.isalpha():
        try:
            _currency_strings([0.0], text)
            return text
        except ValueError:
            pass
    raise InputError(
        f"{code!r} is not a currency code; write an ISO 4217 code such as USD, EUR, GBP or JPY",
        file=file,
        field="reporting.currency",
    )


def reporting_currency(store: Store | None) -> str:
    """The project's money currency: ``[reporting] currency`` in workbench.toml, default "USD"."""
    if store is None:
        return DEFAULT_CURRENCY
    value = store.setting("reporting.currency", DEFAULT_CURRENCY)
    if value == DEFAULT_CURRENCY:
        return value  # nothing to check (and no formatting library to load for a page without money)
    return check_currency(value, file=str(store.path / "workbench.toml"))


def _currency_strings(values: list[float], currency: str) -> list[str]:
    from great_tables import vals

    # vals returns HTML entities (&#8364;); tiles are plain text escaped by their template.
    return [html.unescape(s) for s in vals.fmt_currency(values, currency=currency)]


# --- single figures --------------------------------------------------------------------------------------


def duration_unit(seconds: float | None) -> tuple[str, float]:
    """The unit to show ``seconds`` in, and its size in seconds: ``(unit, divisor)``."""
    size = abs(seconds) if seconds is not None and not _missing(seconds) else 0.0
    for unit, divisor in _UNITS:
        if size >= 2 * divisor:
            return unit, divisor
    return "seconds", 1.0


def format_duration(seconds: float) -> str:
    """``seconds`` in one human unit, named: "45 seconds", "3.7 minutes", "3.2 days"."""
    unit, divisor = duration_unit(seconds)
    if unit == "seconds":
        return f"{seconds:,.0f} seconds"
    return f"{seconds / divisor:,.1f} {unit}"


def format_value(value: Any, kind: str = "count", *, currency: str = DEFAULT_CURRENCY) -> str:
    """One figure as text, the way tiles show it; a missing figure reads "no data in this range"."""
    kind = kind_of(kind) or "count"
    if _missing(value):
        return NO_DATA
    if kind == "rate":
        return f"{float(value):.1%}"
    if kind == "currency":
        return _currency_strings([float(value)], currency)[0]
    if kind == "duration":
        return format_duration(float(value))
    if kind == "number":
        return f"{float(value):,.2f}"
    if kind == "count":
        return f"{round(float(value)):,}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- tables ----------------------------------------------------------------------------------------------


def human_label(column: str) -> str:
    """A column's heading: from :data:`LABELS`, else its snake_case name as words ("paying_users" -> "Paying users")."""
    if column in LABELS:
        return LABELS[column]
    if "_" in column or column.islower():
        words = column.replace("_", " ").strip()
        return words[:1].upper() + words[1:] if words else column
    return column


def _default_kind(dtype: pl.DataType) -> str:
    import polars as pl

    if dtype.is_integer():
        return "count"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
        return "date"
    return "text"


def format_table(
    frame: pl.DataFrame,
    *,
    kinds: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    currency: str = DEFAULT_CURRENCY,
    title: str | None = None,
    max_rows: int = 50,
) -> gt.GT:
    """A ``great_tables.GT`` of ``frame``: formatted numbers, human column labels, no dtype row.

    ``kinds`` maps columns to count / rate / currency / duration / number / text / date (integers default to
    count, floats to number); ``labels`` overrides headings (default: :func:`human_label`). A duration column
    (seconds) is shown in one unit chosen from its median and named in its heading. At most ``max_rows`` rows;
    a note says how many more there are. Missing values show as "–".
    """
    import great_tables as gt
    import polars as pl

    kinds = {c: kind_of(k) for c, k in (kinds or {}).items()}
    unknown = sorted(set(kinds) - set(frame.columns))
    if unknown:
        raise InputError(
            f"no column {unknown[0]!r} in the table; its columns: {', '.join(frame.columns)}", field="kinds"
        )
    labels = dict(labels or {})
    shown = frame.head(max_rows)
    # great_tables selects columns by name; a column named like a number ("0", a cohort period) stays text.
    renamed = {c: f"c{i}" for i, c in enumerate(shown.columns)}
    shown = shown.rename(renamed)
    table = gt.GT(shown)
    heading: dict[str, str] = {}
    for column, key in renamed.items():
        kind = kinds.get(column) or _default_kind(frame.schema[column])
        label = labels.get(column) or human_label(column)
        if kind == "count":
            table = table.fmt_integer(key)
        elif kind == "rate":
            table = table.fmt_percent(key, decimals=1)
        elif kind == "currency":
            table = table.fmt_currency(key, currency=currency)
        elif kind == "number":
            table = table.fmt_number(key, decimals=2)
        elif kind == "duration":
            values = frame.get_column(column).cast(pl.Float64).drop_nulls().drop_nans()
            unit, divisor = duration_unit(float(values.abs().median()) if values.len() else None)
            table = table.fmt_number(key, decimals=0 if unit == "seconds" else 1, scale_by=1 / divisor)
            label = f"{label} ({unit})"
        elif kind == "date":
            table = table.fmt(lambda v: v.isoformat()[:10] if hasattr(v, "isoformat") else str(v), key)
        heading[key] = label
        # numbers line up on the right, names and dates read from the left
        numeric = kind in ("count", "rate", "currency", "number", "duration")
        table = table.cols_align("right" if numeric else "left", key)
    table = table.cols_label(**heading).sub_missing(missing_text=MISSING)
    if title:
        table = table.tab_header(title=title)
    if frame.height > max_rows:
        table = table.tab_source_note(f"{frame.height - max_rows:,} more rows not shown")
    return table.tab_options(
        table_font_size="13px",
        data_row_padding="4px",
        column_labels_font_weight="600",
        table_margin_left="0",
        table_margin_right="0",
        container_padding_y="0px",
    )


def table_html(
    frame: pl.DataFrame,
    formats: dict[str, str] | None = None,
    max_rows: int = 50,
    *,
    currency: str = DEFAULT_CURRENCY,
    labels: dict[str, str] | None = None,
) -> str:
    """The HTML block of :func:`format_table` for a page (``formats`` maps columns to kinds)."""
    return format_table(
        frame, kinds=formats, labels=labels, currency=currency, max_rows=max_rows
    ).as_raw_html()
