"""Endpoint import: readers (CSV, JSON lines, Pinpoint exports, .gz) -> validation -> one atomic upsert."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import InputError
from ..progress import progress_bar
from ..store.endpoint_parts import harmonise
from .readers import Staged, read_csv, read_json
from .result import ImportResult
from .source import InputText, Limits, read_input
from .upsert import ensure_attribute_columns, write_endpoints
from .validate import validate

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["ImportRejectedError", "ImportResult", "import_endpoint_files"]


class ImportRejectedError(InputError):
    """``strict`` import with rejected rows: nothing was imported. ``result`` holds the counts and rejects file."""

    def __init__(self, reason: str, result: ImportResult, file: str | None = None):
        super().__init__(reason, file=file)
        self.result = result


def _import_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _already_imported(
    project: Store, texts: Sequence[InputText], segment: str | None, parsed: threading.Event
) -> dict[str, str]:
    """The files among ``texts`` imported before (with the same ``segment``): SHA-256 -> the file's name then.

    Waits until ``parsed`` is set: the parse has the cores until then, and the catalog is not held open (or
    locked) while a big file is parsed. The connection then opens (~15 ms) while the caller finishes the
    digests.
    """
    parsed.wait()
    with project.connect(read_only=True, views=False) as con:
        hashes = [t.sha256 for t in texts]
        return {
            r[0]: r[1]
            for r in con.execute(
                "SELECT sha256, file FROM imports WHERE kind = 'endpoints' AND sha256 IN (SELECT unnest(?)) "
                "AND segment IS NOT DISTINCT FROM ?",
                [hashes, segment],
            ).fetchall()
        }


def _check_rows(
    endpoint_frames: list[pl.DataFrame],
    read_rejects: list[tuple[str, int, str, str]],
    default_region: str | None,
    bar: Any,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate the staged rows of all files together: (valid rows, rejects, the readers' first)."""
    # an attribute may be one string per row in a CSV and a list in a JSON file: harmonise() makes lists
    frame = harmonise(endpoint_frames) if endpoint_frames else pl.DataFrame()
    if frame.height:
        bar.set_postfix_str(f"checking {frame.height:,} rows")
        frame = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("__order"))
        valid, rejects = validate(frame, default_region)
    else:
        valid = frame
        rejects = pl.DataFrame(
            schema={"__file": pl.String, "__line": pl.Int64, "field": pl.String, "reason": pl.String}
        )
    if read_rejects:
        rejects = pl.concat(
            [
                pl.DataFrame(
                    read_rejects,
                    schema={
                        "__file": pl.String,
                        "__line": pl.Int64,
                        "field": pl.String,
                        "reason": pl.String,
                    },
                    orient="row",
                ),
                rejects,
            ]
        )
    return valid, rejects


def import_endpoint_files(
    project: Store,
    paths: Sequence[Path],
    *,
    segment: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> ImportResult:
    """Import endpoint files into ``project`` as one transaction; see Store.import_endpoints."""
    from ..segments.versions import save_imported_segment
    from .events import write_rejects

    if not paths:
        raise InputError("no files given")
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
        texts = []
        for path in paths:
            bar.set_postfix_str(f"reading {path.name}")
            texts.append(read_input(path, limits, map_file=True))
        # a big file's SHA-256 is computed beside its parse; right after it, a thread asks the catalog which
        # files were imported before while this one finishes the digests, and those files are skipped
        all_parsed = threading.Event()
        with ThreadPoolExecutor(1, thread_name_prefix="import-check") as pool:
            checking = pool.submit(_already_imported, project, texts, segment, all_parsed)
            parsed = []
            try:
                for text in texts:
                    parsed.append(read_csv(text) if text.format == "csv" else read_json(text))
                    bar.update(text.path.stat().st_size)
            finally:
                all_parsed.set()
            for text in texts:
                _ = text.sha256  # finishes the digest here, at full priority, while the catalog opens
            done = checking.result()
        staged: list[Staged] = []
        for index, (text, one) in enumerate(zip(texts, parsed, strict=True)):
            if text.sha256 in done or any(t.sha256 == text.sha256 for t in texts[:index]):
                result.skipped_files.append(str(text.path))
                bar.update(text.path.stat().st_size * 2)
                continue
            staged.append(one)
        if not staged:
            result.seconds = time.perf_counter() - started
            return result

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
        for s in staged:
            result.ignored_columns.extend(c for c in s.ignored_columns if c not in result.ignored_columns)
        result.rows = sum(f.height for f in [*endpoint_frames, *user_id_frames]) + len(read_rejects)
        # the write connection opens (~15 ms, the project is locked from then on) in a thread while the rows
        # are checked
        with contextlib.ExitStack() as catalog:
            pool = ThreadPoolExecutor(1, thread_name_prefix="import-connect")
            opening = pool.submit(catalog.enter_context, project.connect())
            pool.shutdown(wait=False)
            try:
                valid, rejects = _check_rows(endpoint_frames, read_rejects, default_region, bar)
            finally:
                wait([opening])  # (the connection it opened is closed with `catalog`, on an error too)
            con = opening.result()
            bar.update(sum(t.path.stat().st_size for t in texts if t.sha256 not in done))
            bar.set_postfix_str("writing")
            result.timings["check"] = time.perf_counter() - started - result.timings["read"]
            store_write = None
            con.execute("BEGIN TRANSACTION")
            try:
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
                    users = pl.concat(user_id_frames)
                    con.register("__users", users.to_arrow())
                    found = con.sql(
                        "SELECT u.__file, u.__line, u.user_id, e.Id FROM __users u LEFT JOIN endpoints e "
                        'ON e."User.UserId" = u.user_id'
                    ).pl()
                    con.unregister("__users")
                    missing = found.filter(pl.col("Id").is_null())
                    rejects = pl.concat(
                        [
                            rejects,
                            missing.select(
                                "__file",
                                "__line",
                                pl.lit("User.UserId").alias("field"),
                                pl.format(
                                    "no endpoints for user '{}' (they must be imported first)", "user_id"
                                ).alias("reason"),
                            ),
                        ]
                    )
                    member_ids = pl.concat([member_ids, found.get_column("Id").drop_nulls()])
                if segment:
                    _, result.segment_version = save_imported_segment(
                        con, segment, member_ids, now=now, source=f"import {result.import_id}"
                    )
                    result.segment = segment
                result.rejected = rejects.height
                if result.rejected:
                    out = project.imports_dir / f"{result.import_id}-rejects.csv"
                    ordered = rejects.sort("__file", "__line")
                    write_rejects(out, ordered.select("__file", "__line", "field", "reason").rows())
                    result.rejects_file = str(out)
                if strict and result.rejected:
                    con.execute("ROLLBACK")
                    if store_write:
                        store_write.rolled_back()
                    result.committed = False
                    result.imported = result.updated = result.deactivated = 0
                    result.segment = result.segment_version = None
                    result.seconds = time.perf_counter() - started
                    first = rejects.sort("__file", "__line").row(0)
                    raise ImportRejectedError(
                        f"{result.rejected} row(s) rejected, so nothing was imported (strict); first: "
                        f"{first[0]}:{first[1]}: field {first[2]}: {first[3]}; all in {result.rejects_file}",
                        result,
                    )
                recorded: set[str] = set(done)
                for text in texts:
                    if text.sha256 in recorded:
                        continue
                    recorded.add(text.sha256)
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
                con.execute("COMMIT")
            except ImportRejectedError:
                raise
            except BaseException:
                con.execute("ROLLBACK")
                if store_write:
                    store_write.rolled_back()
                raise
        if store_write:
            store_write.committed()
        bar.update(total_bytes)
    result.seconds = time.perf_counter() - started
    result.timings["write"] = result.seconds - result.timings["read"] - result.timings["check"]
    return result
