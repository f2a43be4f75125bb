"""Readers: Pinpoint CSV (dotted headers, repeated header = several values) and newline-delimited JSON
(Pinpoint's nested endpoint shape, which is also what its export jobs wrote) into one staged Polars frame.

The staged frame holds one row per input record: ``__file``, ``__line``, scalar fields as strings,
``Attributes.*`` / ``User.UserAttributes.*`` either as strings (a CSV column with a single header: at most one
value, null for none) or as lists of strings (a repeated CSV header; JSON), ``Metrics.*`` as strings (checked
later).
Structural problems (encoding, header, delimiter) raise InputError for the whole file; problems with one
record become a reject with its line and field.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import InputError, suggest
from ..store import schema
from .sidework import Pieces, in_two_halves
from .source import InputText, column_at, json_depth

SCALAR_COLUMNS = [c for c in schema.ENDPOINT_COLUMNS if c not in ("RawAddress",)]
KNOWN_SCALARS = set(SCALAR_COLUMNS)
IGNORED_COLUMNS = set(schema.READ_ONLY_INPUT_COLUMNS)
MAX_JSON_DEPTH = 8
MAX_RECORD_BYTES = 1 << 20  # a line this long is refused before parsing (Pinpoint's endpoint limit is 15 KB)
USER_ID_ONLY_HEADER = "User.UserId"


@dataclass
class Staged:
    """Records read from one file, before validation."""

    file: str
    frame: pl.DataFrame
    rejects: list[tuple[str, int, str, str]] = field(default_factory=list)  # (file, line, field, reason)
    ignored_columns: list[str] = field(default_factory=list)
    user_ids: pl.DataFrame | None = None  # for user-ID-only files: __file, __line, user_id


def _known_column_names() -> list[str]:
    return [*SCALAR_COLUMNS, "Attributes.<name>", "Metrics.<name>", "User.UserAttributes.<name>"]


def classify_column(name: str, file: str, line: int | None) -> str:
    """'scalar' | 'list' | 'metric' | 'ignored'; raises InputError for unknown or unusable names."""
    if name in KNOWN_SCALARS:
        return "scalar"
    if name in IGNORED_COLUMNS:
        return "ignored"
    family = schema.attribute_family(name)
    if family is None:
        raise InputError(
            f"unknown column {name!r}{suggest(name, [*SCALAR_COLUMNS, *IGNORED_COLUMNS])}",
            file=file,
            line=line,
            field=name,
        )
    prefix = family[0]
    attr = name[len(prefix) :]
    if len(attr) > schema.MAX_ATTRIBUTE_NAME_LENGTH:
        raise InputError(
            f"attribute name {attr[:60]!r} has {len(attr)} characters; Pinpoint allows at most "
            f"{schema.MAX_ATTRIBUTE_NAME_LENGTH}",
            file=file,
            line=line,
            field=name,
        )
    if not schema.is_safe_attribute_name(attr):
        raise InputError(
            "attribute name holds control characters or quotes", file=file, line=line, field=name
        )
    return "metric" if prefix == "Metrics." else "list"


# --- CSV ---------------------------------------------------------------------------------------------------


def _check_header(header: list[str], file: str) -> None:
    if len(header) == 1 and header[0] != USER_ID_ONLY_HEADER:
        for delim, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delim in header[0]:
                raise InputError(
                    f"the header is one column holding {word}: the file looks {word}-separated, but Pinpoint "
                    "CSV files are comma-separated; re-save it with commas",
                    file=file,
                    line=1,
                )
    for i, name in enumerate(header, 1):
        if not name:
            raise InputError(f"column {i} of the header is empty", file=file, line=1)
    unknown = []
    for name in header:
        try:
            classify_column(name, file, 1)
        except InputError as err:
            if err.reason.startswith("unknown column"):
                unknown.append(name)
            else:
                raise
    if unknown:
        detail = "; ".join(f"{u!r}{suggest(u, [*SCALAR_COLUMNS, *IGNORED_COLUMNS])}" for u in unknown)
        raise InputError(
            f"unknown columns: {detail}. Known columns: {', '.join(_known_column_names())}",
            file=file,
            line=1,
            field=unknown[0],
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        kind = classify_column(name, file, 1)
        if name in seen and kind != "list":
            raise InputError(
                f"column {name!r} appears twice (columns {seen[name]} and {i}); only Attributes and "
                "UserAttributes may repeat a header to give several values",
                file=file,
                line=1,
                field=name,
            )
        seen.setdefault(name, i)


def read_csv(text: InputText) -> Staged:
    """Read a Pinpoint CSV into a staged frame (or a user-ID-only file into ``Staged.user_ids``).

    A byte that is not UTF-8 is reported before anything else, naming its offset (a mapped file is checked
    while it is parsed).
    """
    try:
        staged = _read_csv(text)
    except (UnicodeDecodeError, InputError, pl.exceptions.PolarsError):
        text.ensure_utf8()
        raise
    text.ensure_utf8()
    return staged


def _read_csv(text: InputText) -> Staged:
    file = str(text.path)
    data = text.data
    end = data.find(b"\n")
    first = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first]))]
    start = len(data) if end < 0 else end + 1  # the body is data[start:], read in place (files can be GBs)
    if header == [USER_ID_ONLY_HEADER]:
        return _read_user_ids(file, data[start:])
    _check_header(header, file)
    if _NON_SPACE.search(data, start) is None:
        raise InputError("the file holds only a header and no endpoints", file=file)
    names = [f"c{i}" for i in range(len(header))]
    frame = None
    scan = None
    # a carriage return sends the file to the exact reader; a CRLF file shows one in its first line already, and
    # the byte scan notices one further on (then the parse is dropped)
    if data.find(b"\r", start, start + (1 << 16)) < 0:
        # the byte scan (numpy) runs in a low-priority helper thread beside Polars' parse (both release the GIL);
        # what it has not done by the end of the parse is finished here
        finish_scan = start_scan(data, start)
        try:
            # the whole file, skipping the header line: no copy of the body (a mapped file is parsed from disk
            # by Polars, which is faster than from a buffer of ours)
            frame = _parse(text.path if text.mapped else data, names, number_columns(header))
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
            frame = None  # SchemaError: the first row has two or more fields too many
        finally:
            scan = finish_scan()
    # Polars' rows must be the file's lines one to one (no quoted line breaks), or the line numbers would be off
    if frame is not None and scan is not None and not scan.carriage_return and frame.height == scan.lines:
        frame = frame.with_row_index("__line", offset=2).with_columns(
            pl.col("__line").cast(pl.Int64), pl.Series(LINE_BYTES, scan.line_bytes, dtype=pl.Int64)
        )
    else:
        # quoted line breaks, stray quotes: the csv module gives exact line numbers
        frame, scan = _read_csv_slow(data[start:], names), None
    frame, trimmed = _clean_cells(frame, len(header), scan)
    rejects: list[tuple[str, int, str, str]] = []
    if frame.get_column("__extra").null_count() < frame.height:
        ragged = frame.filter(pl.col("__extra").is_not_null())
        for line in ragged.get_column("__line").to_list():
            rejects.append((file, line, "", f"has more fields than the header's {len(header)}"))
        frame = frame.filter(pl.col("__extra").is_null())
    frame = frame.drop("__extra")
    text.check_unchanged()  # (a mapped file was read by Polars and by us: both must have seen the same bytes)
    return Staged(
        file,
        _assemble(frame, header, file, trimmed),
        rejects,
        [h for h in header if h in IGNORED_COLUMNS],
    )


def number_columns(header: list[str]) -> set[int]:
    """The positions of the columns Pinpoint holds as numbers: ``Metrics.*``, ``Location.Latitude`` and
    ``Location.Longitude``."""
    located = {f"Location.{f}" for f in schema.LOCATION_NUMBER_FIELDS}
    return {
        i
        for i, name in enumerate(header)
        if name in located or ((family := schema.attribute_family(name)) and family[0] == "Metrics.")
    }


def _parse(source: Any, names: list[str], numbers: set[int]) -> pl.DataFrame:
    """Polars' parse of a CSV body into the columns ``names`` (and ``__extra`` for a ragged row's rest).

    The ``numbers`` columns are parsed as numbers straight away when every cell in them is one (text and a
    cast after cost 0.06 s more on the 1M demo file). A cell that is not a number (Polars refuses the file),
    or that is NaN or infinite, sends the whole file to the all-text parse, where validation names each such
    cell. Polars reads a number exactly as validation's cast of the trimmed text does, leading whitespace
    included; trailing whitespace is refused, so it takes the text parse too.
    """
    typed = [f"c{i}" for i in sorted(numbers)]
    if typed:
        try:
            frame = _polars_read_csv(source, names, typed)
        except pl.exceptions.ComputeError:
            frame = None  # a cell that is not a number
        if frame is not None and frame.select(pl.all_horizontal(pl.col(typed).is_finite().all())).item():
            return frame
    return _polars_read_csv(source, names, [])


def _polars_read_csv(source: Any, names: list[str], numbers: list[str]) -> pl.DataFrame:
    columns = [*names, "__extra"]
    return pl.read_csv(
        source,
        has_header=False,
        skip_rows=1,
        new_columns=columns,
        schema={name: pl.Float64 if name in numbers else pl.String for name in columns},
        truncate_ragged_lines=True,
        missing_columns="insert",
        quote_char='"',
    )


# --- one look at the raw bytes instead of several passes over every cell -----------------------------------

#: Rust's (and so Polars' ``str.strip_chars``) whitespace: the characters with Unicode's White_Space property
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_SCAN_STEP = 1 << 20
#: more cell edges than this to look at one by one: leave the checks to validation (every column, exact)
MAX_SCAN_HITS = 20_000


def _byte_table(values) -> Any:
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[sorted(values)] = True
    return table


@dataclass(frozen=True)
class BodyScan:
    """What one pass over a CSV body's bytes found. Valid for Polars' fast path only, whose cells hold no line
    break (the line count proves it) and whose file holds no carriage return.

    ``padded``: for each column that may hold a cell starting or ending with whitespace or a quoted empty cell
    (``""``, which Polars reads as an empty string), the rows (0-based, in the body) of those cells (a superset:
    the exact strip, and empty -> null, run on these cells only); ``apostrophe``: the columns
    that may hold a cell starting with ``'``. Either is None when there were too many places to look at one
    by one.
    """

    lines: int
    padded: dict[int, Any] | None
    apostrophe: frozenset[int] | None
    line_bytes: Any = None  # each line's length in bytes, without its line break (numpy)
    carriage_return: bool = False  # the body holds a "\r" (the fast path is not for such files)


def scan_body(data: bytes, start: int) -> BodyScan:
    """Count the body's lines and find the cells that start or end with whitespace, are a quoted empty string or
    start with ``'`` (:func:`start_scan`, waited for)."""
    return start_scan(data, start)()


def start_scan(data: bytes, start: int) -> Callable[[], BodyScan]:
    """Start :func:`scan_body` in a low-priority helper thread (``sidework``); the returned function finishes
    it and returns the scan.

    Only bytes <= 0x20, quotes and non-ASCII bytes are looked at closely (numpy, in cache-sized pieces). A
    cell's edge is a comma, a line break, a quote or the start or end of the body; a quote may also be an
    escaped quote inside a cell, so a cell may be looked at needlessly, never missed. About 0.18 s of CPU for
    200 MB (numpy releases the GIL: read_csv runs it beside Polars' parse), against several passes over every
    cell of every column in Polars.
    """
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8)
    offsets = range(start, len(view), _SCAN_STEP)
    pieces = Pieces(len(offsets), lambda i: _scan_piece(view, start, offsets[i]), name="csv-scan")

    def finish() -> BodyScan:
        found = pieces.results()
        newlines = np.concatenate([f[0] for f in found]) if found else np.zeros(0, dtype=np.intp)
        padded = [f[1] for f in found]
        quoted = [f[2] for f in found]
        size = len(view)
        lines = len(newlines) + (0 if data[-1:] == b"\n" else 1)
        last_end = [] if data[-1:] == b"\n" else [size]
        ends = np.concatenate(
            [np.array([start - 1], dtype=np.intp), newlines, np.array(last_end, dtype=np.intp)]
        )
        cells = _cells_at(data, start, padded, whitespace=True)
        rows = None
        if cells is not None:
            rows = {
                column: np.searchsorted(newlines, np.array(places, dtype=np.intp))
                for column, places in cells.items()
            }
        apostrophes = _cells_at(data, start, quoted)
        return BodyScan(
            lines,
            rows,
            None if apostrophes is None else frozenset(apostrophes),
            np.diff(ends) - 1,
            any(f[3] for f in found),
        )

    return finish


@functools.cache
def _scan_tables() -> tuple[Any, Any, Any, Any]:
    """Byte classes: cell edges, separators, and the bytes a whitespace character starts and ends with
    (non-ASCII ones are checked exactly later)."""
    return (
        _byte_table(b',\n"'),
        _byte_table(b",\n"),
        _byte_table([9, 11, 12, 32, 0xC2, 0xE1, 0xE2, 0xE3]),
        _byte_table([9, 11, 12, 32, *range(0x80, 0x8B), 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]),
    )


def _scan_piece(view: Any, start: int, offset: int) -> tuple[Any, Any, Any, bool]:
    """One piece of the body from ``offset``: (line break positions, positions of padded or quoted-empty cell
    edges, positions of cells starting with ``'``, whether it holds a carriage return)."""
    import numpy as np

    edge, separator, lead, trail = _scan_tables()
    size = len(view)
    chunk = view[offset : offset + _SCAN_STEP]
    # bytes 0x00-0x20 and 0x80-0xFF in two operations: minus 33 (wrapping), they are the ones above 94
    moved = np.subtract(chunk, 33)
    mask = moved > 94
    # quotes (0x22) and apostrophes (0x27) in two operations: x & 0xFA == 0x22 also takes # and & (0x23, 0x26),
    # which the checks below pass over
    np.bitwise_and(chunk, 0xFA, out=moved)
    mask |= moved == 0x22
    pos = np.flatnonzero(mask)
    byte = chunk[pos]
    newline = byte == 10
    pos += offset
    breaks = pos[newline]
    keep = ~newline
    pos = pos[keep]
    byte = byte[keep]
    if not pos.size:
        return breaks, pos, pos, False
    before = view[np.maximum(pos - 1, 0)]
    first = edge[before] | (pos == start)
    last = edge[view[np.minimum(pos + 1, size - 1)]] | (pos == size - 1)
    # a quoted empty cell: "" between separators (or the body's start or end)
    pair = (byte == 34) & (view[np.minimum(pos + 1, size - 1)] == 34) & (pos + 1 < size)
    empty = pair & (separator[before] | (pos == start))
    empty &= separator[view[np.minimum(pos + 2, size - 1)]] | (pos + 2 >= size)
    padded = pos[(first & lead[byte]) | (last & trail[byte]) | empty]
    quoted = pos[first & (byte == 39)]
    return breaks, padded, quoted, bool((byte == 13).any())


def _cells_at(
    data: bytes, start: int, found: list[Any], whitespace: bool = False
) -> dict[int, list[int]] | None:
    """The byte positions ``found``, by the index of the column whose cell holds them (None: too many).

    ``whitespace``: skip the non-ASCII bytes that do not begin or end a whitespace character.
    """
    if sum(len(part) for part in found) > MAX_SCAN_HITS:
        return None
    columns: dict[int, list[int]] = {}
    for part in found:
        for pos in part.tolist():
            if whitespace and data[pos] >= 0x80 and not _whitespace_at(data, start, pos):
                continue
            columns.setdefault(column_at(data, pos), []).append(pos)
    return columns


def _whitespace_at(data: bytes, start: int, pos: int) -> bool:
    """Whether the non-ASCII byte at ``pos`` begins or ends a whitespace character."""
    if data[pos] >= 0xC0:  # a first byte
        return data[pos : pos + 4].decode("utf-8", errors="replace")[:1] in WHITESPACE
    first = pos
    while first > start and pos - first < 3 and data[first] & 0xC0 == 0x80:
        first -= 1
    return data[first : pos + 1].decode("utf-8", errors="replace") in WHITESPACE


def _read_csv_slow(body: bytes, names: list[str]) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    columns: list[list[str | None]] = [[] for _ in range(len(names) + 1)]
    lines: list[int] = []
    start = 1
    for row in reader:
        line = start + 1  # +1 for the header line
        start = reader.line_num + 1
        if not row or all(not c.strip() for c in row):
            continue
        lines.append(line)
        for i in range(len(names)):
            columns[i].append(row[i] if i < len(row) else None)
        columns[-1].append("x" if len(row) > len(names) else None)
    data = {n: c for n, c in zip([*names, "__extra"], columns, strict=True)}
    data["__line"] = lines
    return pl.DataFrame(data, schema={**dict.fromkeys([*names, "__extra"], pl.String), "__line": pl.Int64})


_NON_SPACE = re.compile(rb"\S")


#: staged column set by the CSV reader: True where it already trimmed every text cell and list value of the row
#: and turned empty ones into nulls (validation then skips that work); absent or null: validation does it
TRIMMED = "__trimmed"
#: staged column set by the CSV reader: the raw line's length in bytes. A row's cells (trimmed, unquoted) take
#: no more than that, so validation can bound the endpoint size without measuring every cell
LINE_BYTES = "__line_bytes"


def _clean_cells(frame: pl.DataFrame, width: int, scan: BodyScan | None) -> tuple[pl.DataFrame, bool]:
    """Undo our export's ``'`` prefix and, with a ``scan`` of the raw bytes, trim the cells it points at (and
    turn empty ones into nulls). Returns the frame and whether every cell is trimmed now (else validation
    trims). Runs on the parsed frame before any row is dropped, as the scan's rows are the body's."""
    import numpy as np

    types = frame.schema
    text = {i for i in range(width) if types[f"c{i}"] == pl.String}  # (not the parsed numbers)
    maybe_quoted = sorted(text if scan is None or scan.apostrophe is None else text & scan.apostrophe)
    trim = scan is not None and scan.padded is not None
    # One select for the whole-column facts, so Polars works on the columns in parallel:
    # our own export prefixes formula-like cells with ' ('+1206...); undo it so an exported file imports
    # unchanged. The regex is costly, so it runs only on columns that have such a cell at all.
    facts = [pl.col(f"c{i}").str.starts_with("'").any().alias(f"q{i}") for i in maybe_quoted]
    found = frame.select(facts).row(0, named=True) if facts else {}
    unquoted = [
        pl.col(f"c{i}").str.replace(r"^'([=+\-@\t\r])", "$1") for i in maybe_quoted if found.get(f"q{i}")
    ]
    if unquoted:
        frame = frame.with_columns(unquoted)
    if not trim:
        return frame, False
    fixed: list[pl.Series | pl.Expr] = []
    for i in maybe_quoted:
        if found.get(f"q{i}"):  # '\t... lost its quote and now starts with whitespace: trim it all
            stripped = pl.col(f"c{i}").str.strip_chars()
            fixed.append(pl.when(stripped.str.len_bytes() > 0).then(stripped).alias(f"c{i}"))
    for i, rows in sorted(scan.padded.items()):  # type: ignore[union-attr]
        if i not in text or found.get(f"q{i}"):
            continue  # (a field past the header's: its row is rejected as ragged; a number is parsed already)
        column = frame.get_column(f"c{i}")
        where = pl.Series(np.unique(rows), dtype=pl.UInt32)
        stripped = column.gather(where).str.strip_chars()
        stripped = pl.select(pl.when(stripped.str.len_bytes() > 0).then(stripped)).to_series()
        fixed.append(column.scatter(where, stripped))
    return (frame.with_columns(fixed) if fixed else frame), True


def _assemble(frame: pl.DataFrame, header: list[str], file: str, trimmed: bool = False) -> pl.DataFrame:
    """Turn positional string columns into named staged columns; repeated attribute headers become lists.

    ``trimmed``: every cell is trimmed already (an empty one is null), and the frame gets ``TRIMMED``.
    """
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(name, []).append(i)
    exprs: list[pl.Expr] = [pl.lit(file).alias("__file"), pl.col("__line")]
    lists: dict[str, list[pl.Expr]] = {}
    for name, idx in positions.items():
        kind = classify_column(name, file, 1)
        if kind == "ignored":
            continue
        if kind == "list" and len(idx) > 1:
            cells = [pl.col(f"c{i}") for i in idx]
            if not trimmed:  # validation trims the values; a blank cell of a repeated header is no value
                cells = [pl.when(c.str.strip_chars().str.len_bytes() > 0).then(c) for c in cells]
            lists[name] = cells
            exprs.append(pl.lit(None, dtype=pl.List(pl.String)).alias(name))  # holds the column's place
        else:
            # a single header (attributes too): one string per row, at most one value
            exprs.append(pl.col(f"c{idx[0]}").alias(name))
    if trimmed:
        exprs.append(pl.lit(True).alias(TRIMMED))
    if LINE_BYTES in frame.columns:
        exprs.append(pl.col(LINE_BYTES))
    out = frame.select(exprs)
    if lists:
        out = out.with_columns(_list_column(frame, name, cells) for name, cells in lists.items())
    return out


#: a list column of more rows than this is built in two halves at once (NumPy and Polars release the GIL)
SPLIT_LIST_ROWS = 200_000


def _list_column(frame: pl.DataFrame, name: str, cells: list[pl.Expr]) -> pl.Series:
    """The non-null cells of each row, in column order, as one list (null where there are none).

    Built from Arrow offsets and values (the cells gathered row by row): ``concat_list`` + ``drop_nulls`` or a
    join-and-split of the cells costs several times as much on a million rows.
    """
    if frame.height <= SPLIT_LIST_ROWS:
        return _list_piece(frame, name, cells)
    halves = in_two_halves(
        frame.height, lambda a, b: _list_piece(frame.slice(a, b - a), name, cells), name="list-column"
    )
    return pl.concat(halves)


def _list_piece(frame: pl.DataFrame, name: str, cells: list[pl.Expr]) -> pl.Series:
    import numpy as np
    import pyarrow as pa

    columns = frame.select(c.alias(str(i)) for i, c in enumerate(cells)).get_columns()
    rows, width = frame.height, len(columns)
    nonnull = [c.is_not_null().to_numpy() for c in columns]
    counts = sum((n.astype(np.int64) for n in nonnull), np.zeros(rows, dtype=np.int64))
    present = np.stack(nonnull, axis=1)  # rows x cells
    flat = np.flatnonzero(present.ravel())  # row by row, cell by cell
    # (one chunk each first: a gather across dozens of chunks a column is several times slower)
    values = pl.concat([c.rechunk() for c in columns]).gather((flat % width) * rows + flat // width)
    offsets = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    # string views stay string views: the default export would copy every value into a plain string array
    strings = values.to_arrow(compat_level=pl.CompatLevel.newest())
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), strings, mask=pa.array(counts == 0))
    return pl.Series(name, lists, dtype=pl.List(pl.String))


def _read_user_ids(file: str, body: bytes) -> Staged:
    lines: list[int] = []
    ids: list[str] = []
    for number, raw in enumerate(body.decode("utf-8").split("\n"), 2):
        for uid in raw.replace("\r", "").replace('"', "").split():
            lines.append(number)
            ids.append(uid)
    if not ids:
        raise InputError("the user-ID file holds only its header and no user ids", file=file)
    user_ids = pl.DataFrame({"__file": [file] * len(ids), "__line": lines, "user_id": ids})
    return Staged(file, pl.DataFrame(), user_ids=user_ids)


# --- JSON --------------------------------------------------------------------------------------------------

_NESTED = {
    "Demographic": schema.DEMOGRAPHIC_FIELDS,
    "Location": (*schema.LOCATION_TEXT_FIELDS, *schema.LOCATION_NUMBER_FIELDS),
}
_TOP_SCALARS = {c for c in SCALAR_COLUMNS if "." not in c}


def _scalar_text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a string, got {json.dumps(value)}")
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    raise ValueError(f"{where}: expected a string, got {type(value).__name__}")


def _values_list(value: Any, where: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of strings, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, (dict | list, bool)) or item is None:
            raise ValueError(f"{where}: expected a list of strings, found {json.dumps(item)[:40]}")
        text = str(item).strip()
        if text:
            out.append(text)
    return out or None


def _attribute_map(value: Any, prefix: str, where: str, row: dict[str, Any], metric: bool) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object of name -> values")
    for name, item in value.items():
        column = prefix + name
        if len(name) > schema.MAX_ATTRIBUTE_NAME_LENGTH:
            raise ValueError(
                f"{column[:70]}: attribute name has {len(name)} characters; Pinpoint allows at most "
                f"{schema.MAX_ATTRIBUTE_NAME_LENGTH}"
            )
        if not name or not schema.is_safe_attribute_name(name):
            raise ValueError(f"{column}: attribute name is empty or holds control characters or quotes")
        if metric:
            if isinstance(item, (bool, dict | list)):
                raise ValueError(f"{column}: not a number ({json.dumps(item)[:40]})")
            row[column] = None if item is None else str(item)
        else:
            row[column] = _values_list(item, column)


def flatten_endpoint(record: dict[str, Any], ignored: set[str] | None = None) -> dict[str, Any]:
    """Pinpoint's nested endpoint JSON -> dotted columns; raises ValueError('FIELD: reason')."""
    row: dict[str, Any] = {}
    for key, value in record.items():
        if key in _TOP_SCALARS:
            row[key] = _scalar_text(value, key)
        elif key in _NESTED:
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ValueError(f"{key}: expected an object")
            for sub, item in value.items():
                if sub not in _NESTED[key]:
                    raise ValueError(f"{key}.{sub}: unknown field{suggest(sub, _NESTED[key])}")
                row[f"{key}.{sub}"] = _scalar_text(item, f"{key}.{sub}")
        elif key == "User":
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ValueError("User: expected an object with UserId and UserAttributes")
            for sub, item in value.items():
                if sub == "UserId":
                    row["User.UserId"] = _scalar_text(item, "User.UserId")
                elif sub == "UserAttributes":
                    _attribute_map(item, "User.UserAttributes.", "User.UserAttributes", row, metric=False)
                else:
                    raise ValueError(f"User.{sub}: unknown field{suggest(sub, ['UserId', 'UserAttributes'])}")
        elif key == "Attributes":
            _attribute_map(value, "Attributes.", "Attributes", row, metric=False)
        elif key == "Metrics":
            _attribute_map(value, "Metrics.", "Metrics", row, metric=True)
        elif key in IGNORED_COLUMNS:
            if ignored is not None:
                ignored.add(key)
        else:
            choices = [*_TOP_SCALARS, *_NESTED, "User", "Attributes", "Metrics", *IGNORED_COLUMNS]
            raise ValueError(f"{key}: unknown field{suggest(key, choices)}")
    return row


def read_json(text: InputText) -> Staged:
    """Read newline-delimited JSON endpoints (or one JSON array of them) into a staged frame."""
    file = str(text.path)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    rejects: list[tuple[str, int, str, str]] = []
    ignored: set[str] = set()

    def add(number: int, record: Any) -> None:
        if not isinstance(record, dict):
            rejects.append((file, number, "", "not a JSON object"))
            return
        if json_depth(record, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            rejects.append((file, number, "", f"JSON nested more than {MAX_JSON_DEPTH} levels deep"))
            return
        try:
            rows.append(flatten_endpoint(record, ignored))
            lines.append(number)
        except ValueError as err:
            where, _, reason = str(err).partition(": ")
            rejects.append((file, number, where, reason))

    data = text.data
    if data.lstrip().startswith(b"["):
        try:
            items = json.loads(data)
        except RecursionError:
            raise InputError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", file=file) from None
        except ValueError as err:
            raise InputError(f"not valid JSON: {err}", file=file, line=getattr(err, "lineno", None)) from None
        for i, item in enumerate(items, 1):
            add(i, item)
    else:
        for number, line in enumerate(data.split(b"\n"), 1):
            if not line.strip():
                continue
            if len(line) > MAX_RECORD_BYTES:
                rejects.append(
                    (
                        file,
                        number,
                        "",
                        f"line of {len(line):,} bytes; an endpoint may be at most "
                        f"{schema.MAX_ENDPOINT_BYTES:,} bytes (Pinpoint's limit)",
                    )
                )
                continue
            try:
                record = json.loads(line)
            except RecursionError:
                rejects.append((file, number, "", f"JSON nested more than {MAX_JSON_DEPTH} levels deep"))
                continue
            except ValueError as err:
                rejects.append((file, number, "", f"not valid JSON: {err}"))
                continue
            add(number, record)
    return Staged(file, _rows_to_frame(rows, lines, file), rejects, sorted(ignored))


def _rows_to_frame(rows: list[dict[str, Any]], lines: list[int], file: str) -> pl.DataFrame:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    dtypes: dict[str, pl.DataType] = {}
    for name in columns:
        family = schema.attribute_family(name)
        dtypes[name] = pl.List(pl.String) if family and family[0] != "Metrics." else pl.String
    data: dict[str, list[Any]] = {name: [row.get(name) for row in rows] for name in columns}
    frame = pl.DataFrame(data, schema=dtypes)
    return frame.with_columns(
        pl.lit(file).alias("__file"), pl.Series("__line", lines, dtype=pl.Int64)
    ).select("__file", "__line", *columns)
