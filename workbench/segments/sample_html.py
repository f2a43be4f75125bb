"""A sample of a segment's members as an HTML table that fits a notebook's width.

One function for every place that shows endpoints in a notebook: a ``Segment``'s own display and the
SegmentBuilder's live sample. Push tokens run to about 150 characters and would make a plain table as wide as
the longest one, pushing the other columns off-screen; here a long value is shortened with "…" and its whole
text is the cell's ``title``, shown on hover.
"""

from __future__ import annotations

import html
from typing import Any

#: Characters of a sample value shown, "…" included, before it is shortened (the whole value shows on hover).
SAMPLE_CHARS = 32

_CELL = (
    "white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:16em;padding:2px 8px;text-align:left"
)


def shorten(text: str, limit: int = SAMPLE_CHARS) -> str:
    """``text`` itself when it has at most ``limit`` characters, else its first ``limit - 1`` and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sample_table(frame: Any, limit: int = SAMPLE_CHARS) -> str:
    """A Polars frame (a sample of members) as an HTML table that fits the notebook's width.

    Each value longer than ``limit`` characters is shortened with "…" (see ``shorten``) and its cell's ``title``
    holds the whole value. Cells never wrap, and the table scrolls inside the output area rather than widen it.
    Every name and value is HTML-escaped.
    """
    head = "".join(f"<th style='{_CELL}'>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows():
        cells = []
        for value in row:
            text = "" if value is None else str(value)
            title = f" title='{html.escape(text, quote=True)}'" if len(text) > limit else ""
            cells.append(f"<td style='{_CELL}'{title}>{html.escape(shorten(text, limit))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        "<div style='max-width:100%;overflow-x:auto'>"
        f"<table style='border-collapse:collapse;font-size:12px;max-width:100%'><tr>{head}</tr>{''.join(rows)}"
        "</table></div>"
    )
