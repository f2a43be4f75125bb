"""Turning event records into event-log rows: Pinpoint event-stream JSON, PutEvents-style dicts, flat CSV/JSONL.

Pinpoint's ingest limits apply to every event (reference/pinpoint.md section 7): attribute names at most 50
characters, attribute values at most 200 (Pinpoint drops such an event; we reject it with a reason), at most 40
attributes and metrics together. A rejected event names its file, line and field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ..errors import InputError, suggest
from ..store import schema
from ..store.event_log import POLARS_SCHEMA
from .readers import check_separator, unclosed_quote
from .rejects import Reject
from .source import allow_csv_fields, json_depth

MAX_JSON_DEPTH = 16
MAX_LINE_BYTES = 1_000 * 1024  # Pinpoint's event size limit


_SCALAR_PATHS = {
    "event_version": ("event_version",),
    "app_id": ("application", "app_id"),
    "app_title": ("application", "title"),
    "app_version_name": ("application", "version_name"),
    "app_version_code": ("application", "version_code"),
    "app_package_name": ("application", "package_name"),
    "sdk_name": ("application", "sdk", "name"),
    "sdk_version": ("application", "sdk", "version"),
    "device_make": ("device", "make"),
    "device_model": ("device", "model"),
    "device_platform": ("device", "platform", "name"),
    "device_platform_version": ("device", "platform", "version"),
    "device_locale": ("device", "locale", "code"),
    "device_country": ("device", "locale", "country"),
}
_CONSUMED_TOP = {
    "event_id",
    "event_type",
    "event_timestamp",
    "arrival_timestamp",
    "event_version",
    "application",
    "client",
    "device",
    "session",
    "attributes",
    "metrics",
    "client_id",
    "endpoint_id",
    "user_id",
    "session_id",
    # PutEvents Event shape and the old Mobile Analytics export shape
    "EventType",
    "Timestamp",
    "Attributes",
    "Metrics",
    "Session",
    "timestamp",
    "unique_id",
}


def _get(record: dict, path: tuple[str, ...]) -> Any:
    node: Any = record
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def parse_timestamp(value: Any) -> datetime:
    """Unix milliseconds (Pinpoint's stream), Unix seconds, or ISO 8601 (PutEvents); naive UTC."""
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError("missing timestamp")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().lstrip("-").isdigit()):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"not a timestamp: {value!r}")
        seconds = number / 1000 if abs(number) > 1e11 else number
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    # (default=str: a Python object inside, such as a datetime, as its text, as it would be on its own)
    return json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)


#: events before this are refused (no Pinpoint event is older; a date like 0001-01-01 is a broken clock)
EARLIEST_EVENT = datetime(2000, 1, 1)


@dataclass(frozen=True)
class TimeWindow:
    """The event times an import accepts: from ``earliest`` to ``latest`` (now plus the allowed clock skew)."""

    earliest: datetime
    latest: datetime
    skew: str = "1 day"

    def check(self, ts: datetime, raw: Any) -> None:
        """Raise ValueError("event_timestamp: reason") for a time outside the window."""
        if ts < self.earliest:
            raise ValueError(
                f"event_timestamp: {ts.isoformat(sep=' ')} ({raw!r}) is before {self.earliest:%Y-%m-%d}"
            )
        if ts > self.latest:
            raise ValueError(
                f"event_timestamp: {ts.isoformat(sep=' ')} ({raw!r}) is more than {self.skew} in the future "
                "(setting events.max_future_skew)"
            )


def default_window(now: datetime) -> TimeWindow:
    """The window with the default skew of one day."""
    return TimeWindow(EARLIEST_EVENT, now + timedelta(days=1))


def record_to_row(record: dict[str, Any], now: datetime, window: TimeWindow | None = None) -> dict[str, Any]:
    """Flatten one record into event-log columns; raises ValueError("field: reason") when it is invalid.

    ``window`` bounds the event time (default: 2000-01-01 to one day after ``now``).
    """
    event_type = record.get("event_type", record.get("EventType"))
    if not isinstance(event_type, str) or not event_type.strip():
        raise ValueError("event_type: missing event type")
    raw_ts = record.get("event_timestamp", record.get("Timestamp", record.get("timestamp")))
    try:
        event_ts = parse_timestamp(raw_ts)
    except (ValueError, OverflowError, OSError) as err:
        raise ValueError(f"event_timestamp: not a timestamp ({raw_ts!r}): {err}") from None
    (window or default_window(now)).check(event_ts, raw_ts)
    arrival = record.get("arrival_timestamp")
    try:
        arrival_ts = parse_timestamp(arrival) if arrival not in (None, "") else now
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"arrival_timestamp: not a timestamp ({arrival!r})") from None
    client_id = _get(record, ("client", "client_id")) or record.get("client_id") or record.get("endpoint_id")
    client_id = client_id or record.get("unique_id")
    if not client_id:
        raise ValueError("client.client_id: missing endpoint id (client.client_id or client_id)")
    session = record.get("session") or record.get("Session") or {}
    if not isinstance(session, dict):
        raise ValueError("session: must be an object")
    attributes = record.get("attributes", record.get("Attributes")) or {}
    metrics = record.get("metrics", record.get("Metrics")) or {}
    if not isinstance(attributes, dict):
        raise ValueError("attributes: must be an object of name -> string")
    if not isinstance(metrics, dict):
        raise ValueError("metrics: must be an object of name -> number")
    if len(attributes) + len(metrics) > schema.MAX_EVENT_ATTRIBUTES_AND_METRICS:
        raise ValueError(
            f"attributes: {len(attributes)} attributes and {len(metrics)} metrics; Pinpoint allows at most "
            f"{schema.MAX_EVENT_ATTRIBUTES_AND_METRICS} together"
        )
    attr_items = []
    for name, value in attributes.items():
        if len(name) > schema.MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            raise ValueError(
                f"attributes.{name[:60]}: attribute name longer than {schema.MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
            )
        text = _text(value)
        if text is not None and len(text) > schema.MAX_EVENT_ATTRIBUTE_VALUE_LENGTH:
            raise ValueError(
                f"attributes.{name}: value of {len(text)} characters; Pinpoint allows at most "
                f"{schema.MAX_EVENT_ATTRIBUTE_VALUE_LENGTH} and drops the event"
            )
        attr_items.append({"key": name, "value": text})
    metric_items = []
    for name, value in metrics.items():
        if len(name) > schema.MAX_EVENT_ATTRIBUTE_NAME_LENGTH:
            raise ValueError(
                f"metrics.{name[:60]}: metric name longer than {schema.MAX_EVENT_ATTRIBUTE_NAME_LENGTH} characters"
            )
        try:
            number = float(value) if not isinstance(value, bool) and value is not None else math.nan
        except (TypeError, ValueError, OverflowError):  # (OverflowError: an integer past float's range)
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"metrics.{name}: not a number ({value!r})")
        metric_items.append({"key": name, "value": number})
    session_id = session.get("session_id", session.get("Id")) or record.get("session_id")
    row: dict[str, Any] = {
        "event_type": event_type,
        "event_timestamp": event_ts,
        "arrival_timestamp": arrival_ts,
        "client_id": str(client_id),
        "user_id": _text(record.get("user_id") or _get(record, ("client", "user_id"))),
        "session_id": _text(session_id),
        "attributes": attr_items,
        "metrics": metric_items,
    }
    for key, ts_key in (
        ("session_start_timestamp", "start_timestamp"),
        ("session_stop_timestamp", "stop_timestamp"),
    ):
        value = session.get(
            ts_key, session.get("StartTimestamp" if ts_key == "start_timestamp" else "StopTimestamp")
        )
        try:
            row[key] = parse_timestamp(value) if value not in (None, "", 0) else None
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"session.{ts_key}: not a timestamp ({value!r})") from None
    for column, path in _SCALAR_PATHS.items():
        row[column] = _text(_get(record, path))
    if row["device_platform"] is None and isinstance(record.get("platform"), str):
        row["device_platform"] = record["platform"]
    extra = _leftover(record, ())
    row["extra"] = json.dumps(extra, sort_keys=True, separators=(",", ":")) if extra else None
    event_id = record.get("event_id")
    row["event_id"] = str(event_id) if event_id not in (None, "") else None  # filled by fill_event_ids
    return row


_CONSUMED_PATHS = {
    *_SCALAR_PATHS.values(),
    ("client", "client_id"),
    ("client", "user_id"),
    *(
        (session, k)
        for session in ("session", "Session")
        for k in ("session_id", "start_timestamp", "stop_timestamp", "Id", "StartTimestamp", "StopTimestamp")
    ),
}


def _leftover(node: dict[str, Any], prefix: tuple[str, ...]) -> dict[str, Any]:
    """What the flat columns did not take from a record, so that ``extra`` keeps the rest (nothing is lost)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = (*prefix, key)
        if (not prefix and key in _CONSUMED_TOP and not isinstance(value, dict)) or path in _CONSUMED_PATHS:
            continue
        if not prefix and key in ("attributes", "metrics", "Attributes", "Metrics"):
            continue
        if isinstance(value, dict) and any(p[: len(path)] == path for p in _CONSUMED_PATHS):
            rest = _leftover(value, path)
            if rest:
                out[key] = rest
        else:
            out[key] = value
    return out


def rows_to_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build an event frame with the log's schema from flattened rows, ids filled (and ``__id_generated``)."""
    columns = {name: [r.get(name) for r in rows] for name in POLARS_SCHEMA}
    return fill_event_ids(pl.DataFrame(columns, schema=POLARS_SCHEMA))


def fill_event_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Give events without an ``event_id`` a stable one: a hash of type, time (ms), endpoint, session and
    attributes, so that the same record delivered twice (Pinpoint's stream can) is recognised as one event.

    ``__id_generated`` marks the events whose id this made: one that differs from another event with the same
    id elsewhere (its metrics) is kept under the hash of its whole content (``store.event_log.plan_append``).
    """
    missing = frame.get_column("event_id").is_null()
    frame = frame.with_columns(missing.alias("__id_generated"))
    if not missing.any():
        return frame
    canonical = (
        frame.filter(missing)
        .select(
            pl.concat_str(
                pl.col("event_type"),
                pl.col("event_timestamp").dt.epoch("ms").cast(pl.String),
                pl.col("client_id"),
                pl.col("session_id").fill_null(""),
                pl.col("attributes")
                .list.eval(
                    pl.concat_str(
                        pl.element().struct.field("key"),
                        pl.lit("="),
                        pl.element().struct.field("value").fill_null(""),
                    )
                )
                .list.sort()
                .list.join("\x1e"),
                separator="\x1f",
            )
        )
        .to_series()
    )
    ids = pl.Series([hashlib.sha1(c.encode()).hexdigest() for c in canonical.to_list()], dtype=pl.String)
    return _set_ids(frame, missing, ids)


def _set_ids(frame: pl.DataFrame, missing: pl.Series, ids: pl.Series) -> pl.DataFrame:
    column = frame.get_column("event_id").scatter(missing.arg_true(), ids)
    return frame.with_columns(column)


def iter_json_records(data: bytes, file: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line, record, error) for newline-delimited JSON (or one JSON array of records)."""
    stripped = data.lstrip()
    if stripped.startswith(b"["):
        try:
            items = json.loads(data)
        except (ValueError, RecursionError) as err:
            yield 1, None, f"not valid JSON: {err}"
            return
        for i, item in enumerate(items, 1):  # (an array's "line" is its item's number)
            yield _checked_record(i, item)
        return
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            yield number, None, f"line of {len(line):,} bytes; an event may be at most {MAX_LINE_BYTES:,}"
            continue
        try:
            record = json.loads(line)
        except RecursionError:
            yield number, None, f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
            continue
        except ValueError as err:
            yield number, None, f"not valid JSON: {err}"
            continue
        yield _checked_record(number, record)


def _checked_record(line: int, record: Any) -> tuple[int, dict[str, Any] | None, str | None]:
    """``(line, record, None)`` for a JSON object within the depth cap, else ``(line, None, reason)``."""
    if not isinstance(record, dict):
        return line, None, "not a JSON object"
    if json_depth(record, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        return line, None, f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
    return line, record, None


#: the columns an events CSV may have besides ``attributes.<name>`` and ``metrics.<name>``
_CSV_COLUMNS = (
    "event_type",
    "event_timestamp",
    "client_id",
    "session_id",
    "user_id",
    "event_id",
    "arrival_timestamp",
)


def iter_csv_records(data: bytes, file: str) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line, record, error) for a CSV of custom events.

    Columns: ``event_type, event_timestamp, client_id`` (required), optional ``session_id, user_id,
    event_id, arrival_timestamp``, and ``attributes.<name>`` / ``metrics.<name>`` for each attribute and metric.

    A record's line is the line it starts on (a quoted cell may hold line breaks). The csv module reads in
    strict mode, as the endpoint reader does: a row whose quoting is broken (text after a closing quote) is an
    error for that row, and a quote still open at the end of the file is an InputError for the whole file,
    since where the cell was meant to end cannot be known (otherwise the rest of the file would silently
    become one cell).
    """
    text = data.decode("utf-8")
    # a cell may be as long as the file (the csv module stops at 128 KiB): too long a value is then rejected
    # by its field's limit, with its line
    allow_csv_fields(len(text))
    source = io.StringIO(text, newline="")  # newline="": CRLF, LF and CR all end a line
    reader = csv.reader(source, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty", file=file) from None
    except csv.Error as err:
        raise InputError(
            f"the header's quoting is broken ({err}): a quoted column name ends at its closing quote",
            file=file,
            line=1,
        ) from None
    _check_csv_header(header, file)
    rows = 0
    start = reader.line_num + 1  # the line the next record starts on
    while True:  # (once more after each badly quoted record: the reader goes on with the next line)
        try:
            for row in reader:
                line, start = start, reader.line_num + 1
                if not row or all(not c for c in row):
                    continue
                rows += 1
                if len(row) != len(header):
                    yield line, None, f"has {len(row)} fields, the header has {len(header)}"
                    continue
                record: dict[str, Any] = {"attributes": {}, "metrics": {}}
                for name, value in zip(header, row, strict=True):
                    if value == "":
                        continue
                    if name.startswith("attributes."):
                        record["attributes"][name[len("attributes.") :]] = value
                    elif name.startswith("metrics."):
                        record["metrics"][name[len("metrics.") :]] = value
                    else:
                        record[name] = value
                yield line, record, None
            break
        except csv.Error as err:
            line, start = start, reader.line_num + 1
            if source.tell() == len(text) and "end of data" in str(err):
                rest = text[_line_start(text, line) :]
                raise unclosed_quote(rest, header, file, line) from None
            rows += 1
            span = f" (the record runs from line {line} to line {start - 1})" if start - 1 > line else ""
            yield (
                line,
                None,
                f"badly quoted cell ({err}){span}: a quoted cell ends at its closing quote, and a quote inside "
                'it is written twice ("")',
            )
    if rows == 0:
        raise InputError("the file holds only a header and no events", file=file)


_LINE_END = re.compile(r"\r\n|\r|\n")  # the line ends the csv module reads (with newline="")


def _line_start(text: str, line: int) -> int:
    """Where line ``line`` (from 1) of ``text`` begins."""
    offset = 0
    for _ in range(line - 1):
        found = _LINE_END.search(text, offset)
        if found is None:
            break
        offset = found.end()
    return offset


def _check_csv_header(header: list[str], file: str) -> None:
    """Refuse an events CSV header with unknown columns or without a required one (InputError, line 1)."""
    check_separator(header, file, 1, "event CSV files")
    known = set(_CSV_COLUMNS)
    unknown = [h for h in header if h not in known and not h.startswith(("attributes.", "metrics."))]
    if unknown:
        detail = "; ".join(f"{u!r}{suggest(u, sorted(known))}" for u in unknown)
        raise InputError(
            f"unknown columns: {detail}; expected {', '.join(sorted(known))}, attributes.<name>, metrics.<name>",
            file=file,
            line=1,
        )
    for missing in ("event_type", "event_timestamp", "client_id"):
        if missing not in header:
            raise InputError(f"missing required column {missing}", file=file, line=1, field=missing)


def parse_records(
    records: Iterable[tuple[int | None, dict[str, Any] | None, str | None]],
    file: str,
    now: datetime,
    window: TimeWindow | None = None,
    *,
    with_lines: bool = False,
) -> tuple[pl.DataFrame, list[Reject]]:
    """The valid records as an event frame, and a reject (file, line, field, reason) for each other one.

    ``with_lines`` adds ``__line``, each event's line in its file (for rejects found later, such as a reused
    ``event_id``).
    """
    rows: list[dict[str, Any]] = []
    lines: list[int | None] = []
    rejects: list[Reject] = []
    for line, record, error in records:
        if error is not None or record is None:
            rejects.append(Reject(file, line, "", error or "not a record"))
            continue
        try:
            rows.append(record_to_row(record, now, window))
            lines.append(line)
        except (ValueError, OverflowError) as err:
            field, _, reason = str(err).partition(": ")
            rejects.append(Reject(file, line, field, reason or str(err)))
    frame = rows_to_frame(rows)
    if with_lines:
        frame = frame.with_columns(pl.Series("__line", lines, dtype=pl.Int64))
    return frame, rejects
