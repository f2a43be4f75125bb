"""Endpoint import: readers (CSV, JSON lines, Pinpoint exports, .gz) -> validation -> one atomic upsert."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError
from ..progress import progress_bar
from ..segments.versions import save_imported_segment
from ..store.endpoint_parts import harmonise
from .readers import Staged, read_csv, read_json
from .rejects import Reject, first_reject, reason_text, rejects_frame, rejects_of, write_rejects
from .result import ImportResult
from .source import InputText, Limits, escape_controls, read_input
from .upsert import ensure_attribute_columns, write_endpoints
from .validate import validate

if TYPE_CHECKING:
    import duckdb

    from ..store import Store

__all__ = ["ImportRejectedError", "ImportResult", "import_endpoint_files"]


class ImportRejectedError(InputError):
    """``strict`` import with rejected rows: nothing was imported. ``result`` holds the counts and rejects file."""

    def __init__(self, reason: str, result: ImportResult, file: str | None = None):
        super().__init__(reason, file=file)
        self.result = result


def _import_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _already_imported(project: Store, texts: Sequence[InputText], segment: str | None) -> set[str]:
    """The SHA-256 digests among ``texts`` of files imported before (with the same ``segment``)."""
    with project.connect(read_only=True, views=False) as con:
        return {
            r[0]
            for r in con.execute(
                "SELECT sha256 FROM imports WHERE kind = 'endpoints' AND sha256 IN (SELECT unnest(?)) "
                "AND segment IS NOT DISTINCT FROM ?",
                [[t.sha256 for t in texts], segment],
            ).fetchall()
        }


def _check_rows(
    endpoint_frames: list[pl.DataFrame], read_rejects: list[Reject], default_region: str | None, bar: Any
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate the staged rows of all files together: (valid rows, rejects, the readers' first)."""
    # an attribute may be one string per row in a CSV and a list in a JSON file: harmonise() makes lists
    frame = harmonise(endpoint_frames) if endpoint_frames else pl.DataFrame()
    if not frame.height:
        return frame, rejects_frame(read_rejects)
    bar.set_postfix_str(f"checking {frame.height:,} rows")
    frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order"))
    valid, rejects = validate(frame, default_region)
    return valid, pl.concat([rejects_frame(read_rejects), rejects]) if read_rejects else rejects


def _user_segment_members(
    con: duckdb.DuckDBPyConnection, user_id_frames: list[pl.DataFrame]
) -> tuple[pl.Series, pl.DataFrame]:
    """The endpoints of the users a user-ID-only file names, and a reject for each user without one."""
    con.register("__users", pl.concat(user_id_frames).to_arrow())
    found = con.sql(
        'SELECT u.__file, u.__line, u.user_id, e.Id FROM __users u LEFT JOIN endpoints e ON e."User.UserId" = '
        "u.user_id"
    ).pl()
    con.unregister("__users")
    missing = rejects_of(
        found.filter(pl.col("Id").is_null()),
        "User.UserId",
        reason_text("no endpoints for user '{}' (they must be imported first)", "user_id"),
    )
    return found.get_column("Id").drop_nulls(), missing


#: fields of Pinpoint's event records: an endpoint file whose rows are refused for these holds events
_EVENT_FIELDS = {"event_type", "event_timestamp", "arrival_timestamp", "client", "session", "application"}


def _first_text(rejects: pl.DataFrame) -> str:
    """The first reject as ``file:line: field F: reason`` (control characters escaped, the reason cut short)."""
    first = first_reject(rejects)
    return f"{first.file}:{first.line}: field {escape_controls(first.field)}: {escape_controls(first.reason[:300])}"


def _events_hint(rejects: pl.DataFrame) -> str:
    """A hint when the rows were refused for holding event fields: the file is an events file."""
    unknown = rejects.filter(pl.col("reason").str.starts_with("unknown field")).get_column("field")
    if unknown.is_in(list(_EVENT_FIELDS)).any():
        return (
            " (the rows hold event fields such as event_type: import events with `workbench events import`)"
        )
    return ""


def import_endpoint_files(
    project: Store,
    paths: Sequence[Path],
    *,
    segment: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> ImportResult:
    """Import endpoint files into ``project`` as one transaction; see Project.endpoints.import_files."""
    if not paths:
        raise InputError("no files given")
    if segment is not None and not segment.strip():
        # (an empty name used to import and silently make no segment)
        raise InputError("the segment name is empty: give a name (--segment NAME), or leave the option out")
    started = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    result = ImportResult(import_id=_import_id(now), files=[str(p) for p in paths])
    limits = Limits(
        max_uncompressed_bytes=int(project.setting("import.max_uncompressed_bytes", 4 << 30)),
        max_compression_ratio=float(project.setting("import.max_compression_ratio", 100)),
    )
    default_region = project.setting("import.default_region", "") or None
    total_bytes = sum(p.stat().st_size for p in paths if p.exists())
    # the bar counts input bytes three times: read and parsed, checked, written to the catalog
    with progress_bar(total=total_bytes * 3 or None, desc="import", unit="B", enabled=progress) as bar:
        texts: list[InputText] = []
        for path in paths:
            bar.set_postfix_str(f"reading {path.name}")
            texts.append(read_input(path, limits))
        # files imported before, and a second copy of a file in this import, are skipped unread
        done = _already_imported(project, texts, segment)
        new: list[InputText] = []
        for text in texts:
            if text.sha256 in done or any(t.sha256 == text.sha256 for t in new):
                result.skipped_files.append(str(text.path))
                bar.update(text.path.stat().st_size * 3)
            else:
                new.append(text)
        staged: list[Staged] = []
        for text in new:
            staged.append(read_csv(text) if text.format == "csv" else read_json(text))
            bar.update(text.path.stat().st_size)
        if not staged:
            result.seconds = time.perf_counter() - started
            return result
        # the files are parsed: keep only what the import record needs, so that the text (a whole file each)
        # is not held through the checks and the write
        new = [replace(t, data=b"") for t in new]
        del texts, text  # (``text``: the last file of the loops above)

        result.timings["read"] = time.perf_counter() - started
        endpoint_frames = [s.frame for s in staged if s.user_ids is None and s.frame.width]
        user_id_frames = [s.user_ids for s in staged if s.user_ids is not None]
        if user_id_frames and not segment:
            raise InputError(
                "a user-ID-only file (single header User.UserId) makes an imported segment of those users' "
                "endpoints; give a segment name (--segment NAME)",
                file=next(s.file for s in staged if s.user_ids is not None),
            )
        read_rejects = [r for s in staged for r in s.rejects]
        result.blank_lines = sum(s.blank_lines for s in staged)
        for s in staged:
            result.ignored_columns.extend(c for c in s.ignored_columns if c not in result.ignored_columns)
        result.rows = sum(f.height for f in [*endpoint_frames, *user_id_frames]) + len(read_rejects)
        valid, rejects = _check_rows(endpoint_frames, read_rejects, default_region, bar)
        del staged, endpoint_frames  # the rows before the checks are not held through the write
        bar.update(sum(t.path.stat().st_size for t in new))
        bar.set_postfix_str("writing")
        result.timings["check"] = time.perf_counter() - started - result.timings["read"]
        store_write = None
        try:
            with project.transaction() as con:
                if valid.height:
                    attr_cols = [c for c in valid.columns if not c.startswith("__")]
                    result.new_attributes = ensure_attribute_columns(
                        con, project.path, attr_cols, now, str(paths[0])
                    )
                outcome = write_endpoints(con, project.path, valid, now)
                store_write = outcome.store_write
                rejects = pl.concat([rejects, outcome.rejects])
                result.imported, result.updated, result.deactivated = (
                    outcome.imported,
                    outcome.updated,
                    outcome.deactivated,
                )
                member_ids = outcome.endpoint_ids
                if user_id_frames:
                    members, missing = _user_segment_members(con, user_id_frames)
                    member_ids = pl.concat([member_ids, members])
                    rejects = pl.concat([rejects, missing])
                if segment:
                    _, result.segment_version = save_imported_segment(
                        con, segment, member_ids, now=now, source=f"import {result.import_id}"
                    )
                    result.segment = segment
                result.rejected = rejects.height
                if result.rejected:
                    out = project.imports_dir / f"{result.import_id}-rejects.csv"
                    result.rejects_file = str(write_rejects(out, rejects))
                if strict and result.rejected:
                    raise ImportRejectedError(
                        f"{result.rejected} row(s) rejected, so nothing was imported (strict); first: "
                        f"{_first_text(rejects)}; all in {result.rejects_file}",
                        result,
                    )
                if result.rejected == result.rows and not (result.imported or result.updated):
                    raise ImportRejectedError(
                        f"no valid endpoint: all {result.rejected:,} row(s) rejected, nothing imported"
                        f"{_events_hint(rejects)}; first: {_first_text(rejects)}; all in {result.rejects_file}",
                        result,
                    )
                for text in new:
                    con.execute(
                        "INSERT INTO imports VALUES (?, 'endpoints', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            result.import_id,
                            str(text.path),
                            text.sha256,
                            text.format,
                            now,
                            datetime.now(UTC).replace(tzinfo=None),
                            result.rows,
                            result.imported,
                            result.updated,
                            result.rejected,
                            result.rejects_file,
                            segment,
                        ],
                    )
        except BaseException as err:
            if store_write:
                store_write.rolled_back()
            if isinstance(err, ImportRejectedError):
                result.committed = False
                result.imported = result.updated = result.deactivated = 0
                result.new_attributes = []  # rolled back with the rest
                result.segment = result.segment_version = None
                result.seconds = time.perf_counter() - started
            raise
        if store_write:
            store_write.committed()
        bar.update(total_bytes)
    result.seconds = time.perf_counter() - started
    result.timings["write"] = result.seconds - result.timings["read"] - result.timings["check"]
    return result
