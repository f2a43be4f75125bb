"""The read side of the project's files: the temporary views ``endpoints`` and ``events`` every connection gets.

Reading needs only DuckDB: the views are SQL over the Parquet files (endpoint parts listed in the catalog, the
event log's day folders). Writing them (store/endpoint_parts.py, store/event_log.py) needs Polars and PyArrow,
which a command that only reads the catalog (``workbench endpoints count``) then never imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from . import schema
from .schema import quote, sql_string

#: the endpoint parts' folder in a project
PART_DIR = "endpoints"
#: the event log's files under ``events/``: one folder per day (``date=YYYY-MM-DD``)
EVENT_GLOB = "*/*.parquet"


# --- endpoints ----------------------------------------------------------------------------------------------


def columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every endpoint column in view order (fixed fields, then attributes in the order first met) -> SQL type."""
    out = {c: t.replace(" NOT NULL", "") for c, t in schema.ENDPOINT_COLUMNS.items()}
    for (column,) in con.execute(
        "SELECT column_name FROM attribute_names ORDER BY position, created_at, column_name"
    ).fetchall():
        out[column] = schema.attribute_family(column)[2]  # type: ignore[index]
    return out


@dataclass(frozen=True)
class Part:
    """One Parquet file of endpoints: its name, row count, the columns it holds and which hold lists."""

    name: str
    rows: int
    columns: tuple[str, ...]
    list_columns: tuple[str, ...]


def parts(con: duckdb.DuckDBPyConnection) -> list[Part]:
    """The parts that make up the endpoints now (as this connection's transaction sees them)."""
    return [
        Part(name, int(rows), tuple(cols), tuple(lists))
        for name, rows, cols, lists in con.execute(
            "SELECT name, rows, columns, list_columns FROM endpoint_parts ORDER BY created_at, name"
        ).fetchall()
    ]


def _part_select(group: list[Part], cols: dict[str, str], root: Path, position: int | None = None) -> str:
    first = group[0]
    held, lists = set(first.columns), set(first.list_columns)
    exprs = []
    for column, sqltype in cols.items():
        q = quote(column)
        if column == "RawAddress" and "Address" in held:  # stored only where it differs from Address
            exprs.append(f'coalesce({q}, "Address") AS {q}' if column in held else f'"Address" AS {q}')
        elif column not in held:
            exprs.append(f"CAST(NULL AS {sqltype}) AS {q}")
        elif sqltype == "VARCHAR[]" and column not in lists:
            exprs.append(f"CASE WHEN {q} IS NULL THEN NULL ELSE [{q}] END AS {q}")
        else:
            exprs.append(q)
    files = ", ".join(sql_string(root / PART_DIR / p.name) for p in group)
    if position is None:
        return f"SELECT {', '.join(exprs)} FROM read_parquet([{files}])"
    exprs.append(f"{position} AS __part, file_row_number AS __row")
    return f"SELECT {', '.join(exprs)} FROM read_parquet([{files}], file_row_number=true)"


def view_sql(con: duckdb.DuckDBPyConnection, root: Path, *, located: bool = False) -> str:
    """The query behind the ``endpoints`` view. ``located`` adds where each row is stored, what
    ``endpoint_parts.write`` needs to patch it: ``__part``, the part's position in :func:`parts`, and
    ``__row``, the row's number in it.
    """
    cols = columns(con)
    current = parts(con)
    if located:
        selects = [_part_select([part], cols, root.resolve(), i) for i, part in enumerate(current)]
    else:
        groups: dict[tuple, list[Part]] = {}
        for part in current:  # parts with the same layout are read by one scan
            groups.setdefault((part.columns, part.list_columns), []).append(part)
        selects = [_part_select(g, cols, root.resolve()) for g in groups.values()]
    if selects:
        return "\nUNION ALL\n".join(selects)
    typed = [f"CAST(NULL AS {t}) AS {quote(c)}" for c, t in cols.items()]
    if located:
        typed += ["CAST(NULL AS INTEGER) AS __part", "CAST(NULL AS BIGINT) AS __row"]
    return f"SELECT {', '.join(typed)} WHERE false"


def create_endpoints_view(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """(Re)create this connection's temporary ``endpoints`` view over the current parts."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW endpoints AS {view_sql(con, root)}")


# --- events -------------------------------------------------------------------------------------------------

#: a file of a batch written as several day files: ``part-<batch>-n<files in the batch>.parquet``. The batch is
#: visible only once all its files are in place (the last rename is the single step that publishes it), so a
#: reader never sees part of an import and a killed import leaves nothing visible. Other names
#: (``part-<batch>.parquet``, written before batches were counted) are one-file batches.
_BATCH_FILE = re.compile(r"^part-(?P<batch>.+)-n(?P<files>[0-9]+)\.parquet$")
#: the end of the batch name of events the workbench wrote about its own sends (``event_log.write_batch``)
OUTCOME_MARK = "outcomes"


def is_outcome_file(path: Path) -> bool:
    """Whether an event-log file holds the workbench's own send outcomes (``_email.send``, ...), not events
    imported or recorded by the user."""
    match = _BATCH_FILE.match(path.name)
    return match is not None and match.group("batch").endswith(f"-{OUTCOME_MARK}")


@dataclass
class EventLogFiles:
    """The event log's Parquet files: those of complete batches, and those of batches still missing files."""

    complete: list[Path]
    incomplete: dict[str, list[Path]]


def scan_event_log(events_dir: Path) -> EventLogFiles:
    """List the log's day folders once and sort the files into complete and incomplete batches."""
    single: list[Path] = []
    batches: dict[str, list[Path]] = {}
    expected: dict[str, int] = {}
    if events_dir.is_dir():
        for day in sorted(events_dir.glob("date=*")):
            if not day.is_dir():
                continue
            for entry in sorted(day.glob("*.parquet")):
                if entry.name.startswith("."):
                    continue
                match = _BATCH_FILE.match(entry.name)
                if match is None:
                    single.append(entry)
                    continue
                batches.setdefault(match["batch"], []).append(entry)
                expected[match["batch"]] = int(match["files"])
    complete = list(single)
    incomplete: dict[str, list[Path]] = {}
    for batch, files in batches.items():
        if len(files) >= expected[batch]:
            complete.extend(files)
        else:
            incomplete[batch] = files
    return EventLogFiles(sorted(complete), incomplete)


def event_files(events_dir: Path, dates: list[date] | None = None) -> list[Path]:
    """The event log's Parquet files (of complete batches only), all or only those of the given dates."""
    files = scan_event_log(events_dir).complete
    if dates is None:
        return files
    folders = {f"date={d.isoformat()}" for d in dates}
    return [f for f in files if f.parent.name in folders]


def create_events_view(con: duckdb.DuckDBPyConnection, events_dir: Path) -> None:
    """Create the temp view ``events`` over the log's complete batches (typed and empty when there are none).

    The view lists the files it reads (not a glob): a batch that lands after the view was made, or is still
    landing, is not half-read.
    """
    files = event_files(events_dir)
    if files:
        listed = ", ".join(sql_string(f) for f in files)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM read_parquet("
            f"[{listed}], hive_partitioning = true, hive_types = {{'date': DATE}}, union_by_name = true)"
        )
    else:
        cols = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in schema.EVENT_COLUMNS.items())
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW events AS SELECT {cols}, CAST(NULL AS DATE) AS date WHERE false"
        )
