"""Readers: Pinpoint CSV (dotted headers, repeated header = several values) and newline-delimited JSON
(Pinpoint's nested endpoint shape, which is also what its export jobs wrote) into one staged Polars frame.

The staged frame holds one row per input record: ``__file``, ``__line``, scalar fields as strings,
``Attributes.*`` / ``User.UserAttributes.*`` either as strings (a CSV column with a single header: at most one
value, null for none) or as lists of strings (a repeated CSV header; JSON), ``Metrics.*`` as strings (checked
later). A list holds its values trimmed, blank ones left out, and is null when none is left: the readers build
lists value by value anyway, so validation does not test them again.
Structural problems (encoding, header, delimiter) raise InputError for the whole file; problems with one
record become a reject with its line and field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import InputError, suggest
from ..store import schema
from .rejects import Reject
from .source import InputText, allow_csv_fields, escape_controls, json_depth, line_end

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
    rejects: list[Reject] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    user_ids: pl.DataFrame | None = None  # for user-ID-only files: __file, __line, user_id
    blank_lines: int = 0  # lines skipped because they hold no value


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
            field=escape_controls(name),
        )
    prefix = family[0]
    attr = name[len(prefix) :]
    if len(attr) > schema.MAX_ATTRIBUTE_NAME_LENGTH:
        raise InputError(
            f"attribute name {attr[:60]!r} has {len(attr)} characters; Pinpoint allows at most "
            f"{schema.MAX_ATTRIBUTE_NAME_LENGTH}",
            file=file,
            line=line,
            field=escape_controls(name[:80]),
        )
    if not schema.is_safe_attribute_name(attr):
        raise InputError(
            "attribute name holds control characters or quotes",
            file=file,
            line=line,
            field=escape_controls(name),
        )
    return "metric" if prefix == "Metrics." else "list"


# --- CSV ---------------------------------------------------------------------------------------------------


def check_separator(header: list[str], file: str, line: int, files: str) -> None:
    """Refuse a header that is one column holding semicolons, tabs or pipes: the file was saved with another
    separator (``files``: what the message calls the files that must use commas)."""
    if len(header) != 1:
        return
    for delim, word in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
        if delim in header[0]:
            raise InputError(
                f"the header is one column holding {word}: the file looks {word}-separated, but {files} are "
                "comma-separated; re-save it with commas",
                file=file,
                line=line,
            )


def _check_header(header: list[str], file: str, line: int = 1) -> None:
    """Refuse a header Pinpoint would not read (``line``: the header's line, after any blank lines)."""
    if any("\x00" in name for name in header):
        raise InputError(
            "the header holds NUL characters: the file looks UTF-16 (or binary); save it as UTF-8 CSV",
            file=file,
            line=line,
        )
    if header != [USER_ID_ONLY_HEADER]:
        check_separator(header, file, line, "Pinpoint CSV files")
    for i, name in enumerate(header, 1):
        if not name:
            raise InputError(f"column {i} of the header is empty", file=file, line=line)
    unknown = []
    for name in header:
        try:
            classify_column(name, file, line)
        except InputError as err:
            if err.reason.startswith("unknown column"):
                unknown.append(name)
            else:
                raise
    if unknown:
        detail = "; ".join(
            f"{u[:60]!r}{suggest(u, [*SCALAR_COLUMNS, *IGNORED_COLUMNS])}" for u in unknown[:20]
        )
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        raise InputError(
            f"unknown columns: {detail}{more}. Known columns: {', '.join(_known_column_names())}",
            file=file,
            line=line,
            field=escape_controls(unknown[0][:60]),
        )
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        kind = classify_column(name, file, line)
        if name in seen and kind != "list":
            raise InputError(
                f"column {name!r} appears twice (columns {seen[name]} and {i}); only Attributes and "
                "UserAttributes may repeat a header to give several values",
                file=file,
                line=line,
                field=name,
            )
        seen.setdefault(name, i)


def read_csv(text: InputText) -> Staged:
    """Read a Pinpoint CSV into a staged frame (or a user-ID-only file into ``Staged.user_ids``).

    Lines may end in LF, CRLF or a lone CR, mixed too; blank lines (no value: empty, spaces, or only commas, as
    spreadsheets save an empty row) are skipped wherever they are and counted in ``Staged.blank_lines``.
    Polars parses the body when its rows are the file's lines one to one (LF or CRLF line ends, no quoted line
    break); otherwise the csv module reads it, which gives exact line numbers.
    """
    file = str(text.path)
    data = text.data
    allow_csv_fields(len(data))
    # blank lines before the header are skipped too
    blank_before, start = 0, 0
    while True:
        end, after = line_end(data, start)
        if not _BLANK_LINE.fullmatch(data, start, end) or after == end:
            break
        blank_before, start = blank_before + 1, after
    header_line = blank_before + 1
    first = data[start:end].decode("utf-8")
    start = after
    try:
        header = [h.strip() for h in next(csv.reader([first], strict=True), [])]
    except csv.Error as err:
        raise InputError(
            f"the header's quoting is broken ({err}): a quoted column name closes on its own line",
            file=file,
            line=header_line,
        ) from None
    # spreadsheets save empty columns after the last one as empty header cells: they name no column
    while len(header) > 1 and not header[-1]:
        header.pop()
    if header == [USER_ID_ONLY_HEADER]:
        return _read_user_ids(file, data[start:], header_line, blank_before)
    _check_header(header, file, header_line)
    if _NON_SPACE.search(data, start) is None:
        raise InputError("the file holds only a header and no endpoints", file=file)
    names = [f"c{i}" for i in range(len(header))]
    frame = None
    rejects: list[Reject] = []
    if _polars_lines(data, end):
        try:
            frame = _parse(data, names, header_line)
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
            # a quote Polars cannot read; SchemaError: the first row has two or more fields too many
            frame = None
    lines = data.count(b"\n", start) + (0 if data.endswith(b"\n") else 1)
    if frame is not None and frame.height == lines:
        frame = frame.with_row_index("__line", offset=header_line + 1).with_columns(
            pl.col("__line").cast(pl.Int64)
        )
    else:
        frame, rejects = _read_csv_slow(data[start:], names, header, file, header_line + 1)
    # the export's ' prefix is undone first: a row holding only "'<tab>" is blank, as its exporter saw it
    frame = _undo_export_quote(frame, len(header))
    frame, blank_lines = _drop_blank_rows(frame, names)
    if not frame.height and not rejects:
        raise InputError(
            "the file holds only a header and no endpoints (its other lines are blank)", file=file
        )
    if frame.get_column("__extra").null_count() < frame.height:
        ragged = frame.filter(pl.col("__extra").is_not_null())
        for line in ragged.get_column("__line").to_list():
            rejects.append(Reject(file, line, "", f"has more fields than the header's {len(header)}"))
        frame = frame.filter(pl.col("__extra").is_null())
    frame = frame.drop("__extra")
    return Staged(
        file,
        _assemble(frame, header, file),
        rejects,
        [h for h in header if h in IGNORED_COLUMNS],
        blank_lines=blank_before + blank_lines,
    )


def _polars_lines(data: bytes, header_end: int) -> bool:
    """Whether Polars sees the file's lines as the csv module does: every line ends in LF or CRLF (Polars
    takes a lone CR for part of a cell). A file without a CR at all is the common case, found at once."""
    if data.find(b"\r") < 0:
        return True
    return data[header_end : header_end + 2] == b"\r\n" and data.count(b"\r") == data.count(b"\r\n")


def _parse(data: bytes, names: list[str], header_line: int = 1) -> pl.DataFrame:
    """Polars' parse of a CSV file's body (after line ``header_line``), every cell as text, into the columns
    ``names`` (and ``__extra`` for a ragged row's first extra field; later ones are dropped)."""
    columns = [*names, "__extra"]
    return pl.read_csv(
        data,
        has_header=False,
        skip_lines=header_line,
        new_columns=columns,
        schema=dict.fromkeys(columns, pl.String),
        truncate_ragged_lines=True,
        missing_columns="insert",
        quote_char='"',
    )


def _read_csv_slow(
    body: bytes, names: list[str], header: list[str], file: str, first_line: int
) -> tuple[pl.DataFrame, list[Reject]]:
    """The csv module's reading of a body Polars cannot read line for line (quoted line breaks, lone CRs, a
    badly quoted cell): the same columns as :func:`_parse`, ``__line`` the line each row starts on, and a
    reject for each row whose quoting is broken. A quote still open at the end of the file is an error for
    the whole file: where the cell was meant to end cannot be known."""
    text = body.decode("utf-8")
    source = io.StringIO(text, newline="")  # newline="": CRLF, LF and CR all end a line
    reader = csv.reader(source, strict=True)  # strict: a quote left open or misplaced is an error, not data
    columns: list[list[str | None]] = [[] for _ in range(len(names) + 1)]
    lines: list[int] = []
    rejects: list[Reject] = []
    while True:
        line = first_line + reader.line_num
        offset = source.tell()
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            if source.tell() == len(text) and "end of data" in str(err):
                raise unclosed_quote(text[offset:], header, file, line) from None
            rejects.append(
                Reject(
                    file,
                    line,
                    "",
                    f"badly quoted cell ({err}): a quoted cell ends at its closing quote, and a quote inside "
                    'it is written twice ("")',
                )
            )
            continue
        lines.append(line)
        for i in range(len(names)):
            columns[i].append(row[i] or None if i < len(row) else None)  # '' -> null, as Polars reads it
        # like Polars' __extra: the extra fields' text, null when there is none (or it is empty)
        columns[-1].append("".join(row[len(names) :]) or None)
    data = {n: c for n, c in zip([*names, "__extra"], columns, strict=True)}
    data["__line"] = lines
    schema_ = {**dict.fromkeys([*names, "__extra"], pl.String), "__line": pl.Int64}
    return pl.DataFrame(data, schema=schema_), rejects


def unclosed_quote(rest: str, header: list[str], file: str, line: int) -> InputError:
    """The error for a quote opened on ``line`` and never closed (``rest``: the text from that row on)."""
    cells = next(csv.reader(io.StringIO(rest, newline="")), [])  # (not strict: it reads to the end)
    column = len(cells) - 1
    return InputError(
        f"unclosed quote starting at line {line}: the quoted cell runs to the end of the file; close it, or "
        'write a quote inside a cell as two quotes ("")',
        file=file,
        line=line,
        field=escape_controls(header[column]) if 0 <= column < len(header) else None,
    )


def _drop_blank_rows(frame: pl.DataFrame, names: list[str]) -> tuple[pl.DataFrame, int]:
    """``frame`` without its blank rows (no cell holds more than whitespace), and how many there were.

    A blank row has no value in its first cell: only the rows whose first cell is null or starts with
    whitespace (every whitespace character is below "!" or from U+0085 on) are looked at whole.
    """
    first = pl.col(names[0])
    maybe = frame.select(pl.arg_where(first.is_null() | (first < "!") | (first >= "\u0085"))).to_series()
    if not maybe.len():
        return frame, 0
    blank = pl.all_horizontal(
        pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in [*names, "__extra"]
    )
    found = maybe.filter(frame[maybe].select(blank).to_series())
    if not found.len():
        return frame, 0
    mask = pl.repeat(False, frame.height, eager=True).scatter(found, True)
    return frame.filter(~mask), found.len()


_NON_SPACE = re.compile(rb"\S")
#: a line with no value: empty, white space, or only commas (a spreadsheet's empty row)
_BLANK_LINE = re.compile(rb"[\s,]*")


def _undo_export_quote(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Undo our export's ``'`` prefix of formula-like cells (``'+1206...``), so that an exported file imports
    unchanged. The regex runs only on the columns that have a cell starting with ``'`` at all."""
    names = [f"c{i}" for i in range(width)]
    found = frame.select(pl.col(c).str.starts_with("'").any() for c in names).row(0, named=True)
    unquoted = [pl.col(c).str.replace(r"^'([=+\-@\t\r])", "$1") for c in names if found[c]]
    return frame.with_columns(unquoted) if unquoted else frame


def _assemble(frame: pl.DataFrame, header: list[str], file: str) -> pl.DataFrame:
    """Turn positional string columns into named staged columns; repeated attribute headers become lists."""
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
            # trimmed values; a blank cell of a repeated header is no value
            lists[name] = [pl.col(f"c{i}").str.strip_chars().replace("", None) for i in idx]
            exprs.append(pl.lit(None, dtype=pl.List(pl.String)).alias(name))  # holds the column's place
        else:
            # a single header (attributes too): one string per row, at most one value
            exprs.append(pl.col(f"c{idx[0]}").alias(name))
    out = frame.select(exprs)
    if lists:
        out = out.with_columns(_list_column(frame, name, cells) for name, cells in lists.items())
    return out


def _list_column(frame: pl.DataFrame, name: str, cells: list[pl.Expr]) -> pl.Series:
    """The non-null cells of each row, in column order, as one list (null where there are none).

    Speed (benchmarks/bench_import.py): built from Arrow offsets and values, 0.1 s for the 1M demo file's
    three ``Attributes.Interests`` columns, where ``concat_list`` + ``list.drop_nulls`` takes 1.0 s.
    """
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


def _read_user_ids(file: str, body: bytes, header_line: int, blank_before: int) -> Staged:
    """A user-ID-only file: one or more user ids a line (quotes and spaces around them dropped)."""
    lines: list[int] = []
    ids: list[str] = []
    blank = blank_before
    # bytes.splitlines() breaks at LF, CRLF and a lone CR only (str.splitlines would also break at \x1c-\x1e)
    for number, raw in enumerate(body.splitlines(), header_line + 1):
        found = raw.decode("utf-8").replace('"', "").split()
        blank += not found
        for uid in found:
            lines.append(number)
            ids.append(uid)
    if not ids:
        raise InputError("the user-ID file holds only its header and no user ids", file=file)
    user_ids = pl.DataFrame({"__file": [file] * len(ids), "__line": lines, "user_id": ids})
    return Staged(file, pl.DataFrame(), user_ids=user_ids, blank_lines=blank)


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
    blank = 0
    items = _json_document(data, file)
    if items is not None:
        for i, item in enumerate(items, 1):
            add(i, item)
    else:
        # bytes.splitlines() breaks at LF, CRLF and a lone CR (a JSON text holds none of them unescaped)
        for number, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                blank += 1
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
    return Staged(file, _rows_to_frame(rows, lines, file), rejects, sorted(ignored), blank_lines=blank)


#: what the AWS CLI prints: ``aws pinpoint get-endpoint`` and ``get-user-endpoints``
_AWS_RESPONSES = {
    "EndpointResponse": lambda value: [value],
    "EndpointsResponse": lambda value: value.get("Item"),
}


def _json_document(data: bytes, file: str) -> list[Any] | None:
    """The endpoints of a file that is one JSON document rather than JSON lines: an array of endpoints, one
    endpoint written over several lines, or the AWS CLI's ``{"EndpointResponse": {...}}`` /
    ``{"EndpointsResponse": {"Item": [...]}}``. None for JSON lines (the first line is a whole object), and for
    a text that is neither: it is then read line by line, each bad line a reject."""
    head = data.lstrip()
    if head.startswith(b"["):
        try:
            items = json.loads(data)
        except RecursionError:
            raise InputError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", file=file) from None
        except ValueError as err:
            raise InputError(f"not valid JSON: {err}", file=file, line=getattr(err, "lineno", None)) from None
        return items if isinstance(items, list) else [items]
    first_line = head.split(b"\n", 1)[0]
    if not head.startswith(b"{") or len(first_line) > MAX_RECORD_BYTES or _is_json(first_line):
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _AWS_RESPONSES:
        name, inner = next(iter(value.items()))
        items = _AWS_RESPONSES[name](inner) if isinstance(inner, dict) else None
        if not isinstance(items, list):
            raise InputError(f"{name} holds no endpoints (expected the AWS CLI's response shape)", file=file)
        return items
    return [value]


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


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
