"""Where a journey's runtime state lives, and the small pieces of arithmetic the engine needs.

State of one journey, under ``<project>/journeys/<journey_id>/``:

- ``participants.parquet``: one row per participant ever entered (current position, counters), written
  atomically (temporary file, fsync, rename). Its Parquet metadata holds the tick ``generation``, the event
  cursor and the time of the last segment refresh, so position, cursor and generation change together.
- ``log/g<generation>.parquet``: what tick number ``generation`` did, as counts (activity, metric, n). It is
  written BEFORE the participants file of the same generation; a tick killed in between is redone from the old
  participants file and overwrites its log file, and a reader only counts log files whose generation is at most
  the participants file's. Metrics are therefore derived idempotently: the sum of the committed log files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from ..errors import InputError

TS = pl.Datetime("us", "UTC")

#: The participant table's columns.
PARTICIPANT_SCHEMA: dict[str, pl.DataType] = {
    "participant": pl.String,  # the user id (user-level journeys) or the endpoint id
    "user_id": pl.String,  # set when the participant is a user: all its endpoints move together
    "seed": pl.UInt64,  # stable per (journey, participant): md5 prefix, the base of split buckets
    "entries": pl.Int32,  # times entered (the current entry's number while active)
    "status": pl.String,  # ACTIVE | LEFT | CANCELLED
    "activity": pl.String,  # current activity (null when not active)
    "step": pl.Int32,  # moves made in the current entry
    "arrived_at": TS,
    "due_at": TS,  # when it may leave the current activity
    "entered_at": TS,
    "left_at": TS,
    "sends_total": pl.Int32,  # messages steps that sent to it, all entries (TotalCap)
    "send_times": pl.List(TS),  # recent send instants (DailyCap, TimeframeCap)
}

META_KEY = "workbench.journey"

LOG_SCHEMA: dict[str, pl.DataType] = {"activity": pl.String, "metric": pl.String, "n": pl.Int64}


def parse_time(text: Any, *, field: str) -> datetime:
    """An ISO 8601 date-time as an aware UTC datetime (no offset: UTC)."""
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO 8601 date-time", field=field) from None
    return as_utc(value)


def as_utc(value: datetime | str) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC; ISO 8601 text is parsed)."""
    if isinstance(value, str):
        from ..delivery.timing import parse_instant

        return parse_instant(value, field="time")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def activity_salt(journey_id: str, activity_id: str, extra: str = "") -> int:
    """A 64-bit constant for one (journey, activity[, extra]): mixed into each participant's seed."""
    digest = hashlib.md5(f"{journey_id}\x1f{activity_id}\x1f{extra}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _splitmix(e: pl.Expr) -> pl.Expr:
    # splitmix64's finaliser; Polars UInt64 multiplication wraps, and // 2**k is the right shift
    e = e.xor(e // (2**30)) * pl.lit(0xBF58476D1CE4E5B9, dtype=pl.UInt64)
    e = e.xor(e // (2**27)) * pl.lit(0x94D049BB133111EB, dtype=pl.UInt64)
    return e.xor(e // (2**31))


def bucket_expr(salt: int, buckets: int = 10_000, *, entry: bool = False) -> pl.Expr:
    """The participant's bucket (0..buckets-1) at one activity: splitmix64(seed XOR salt) mod buckets (with
    ``entry``, the entry number mixed in too, so each entry draws anew).

    Stable across runs, processes and library versions (the seed is an md5 prefix, the mix plain integer
    arithmetic), so re-running or simulating a journey sends each participant down the same branch.
    """
    base = pl.col("seed").xor(pl.lit(salt, dtype=pl.UInt64))
    if entry:
        base = _splitmix(base).xor(pl.col("entries").cast(pl.UInt64))
    return (_splitmix(base) % buckets).cast(pl.Int64)


def seeds(journey_id: str, participants: pl.Series) -> pl.Series:
    """The stable seed of each participant: the first 8 bytes of md5(journey id ':' participant), via DuckDB's
    md5_number_upper (computed once, when a participant first enters)."""
    import duckdb

    frame = participants.rename("p").to_frame()  # noqa: F841 (read by DuckDB below)
    prefix = "'" + f"{journey_id}:".replace("'", "''") + "'"
    # a cursor of DuckDB's in-memory default database: a new database (duckdb.connect()) costs 25 ms, more than
    # most steps of a simulation (benchmarks/bench_journey_simulate.py)
    with duckdb.default_connection().cursor() as con:
        out = con.sql(f"SELECT md5_number_upper({prefix} || p) AS seed FROM frame").pl()
    return out["seed"].cast(pl.UInt64)


def empty_participants() -> pl.DataFrame:
    """A participant table with no rows."""
    return pl.DataFrame(schema=PARTICIPANT_SCHEMA)


@dataclass
class JourneyState:
    """What the engine reads at the start of a tick and writes at its end."""

    participants: pl.DataFrame = field(default_factory=empty_participants)
    generation: int = 0
    event_cursor: datetime | None = None
    last_refresh: datetime | None = None
    kind: str | None = None  # "user" | "endpoint", fixed at the first entry

    def meta(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "event_cursor": self.event_cursor.isoformat() if self.event_cursor else None,
            "last_refresh": self.last_refresh.isoformat() if self.last_refresh else None,
            "kind": self.kind,
        }


class MemoryStore:
    """State kept in memory (simulation): same interface as :class:`FileStore`."""

    def __init__(self) -> None:
        self.state = JourneyState()
        self.logs: list[pl.DataFrame] = []

    def load(self) -> JourneyState:
        return JourneyState(**{**self.state.__dict__})

    def write_log(self, generation: int, counts: pl.DataFrame) -> None:
        del self.logs[generation - 1 :]
        self.logs.append(counts)

    def save(self, state: JourneyState) -> None:
        self.state = state

    def counts(self) -> pl.DataFrame:
        return _sum_counts(self.logs[: self.state.generation])


class FileStore:
    """State in ``<project>/journeys/<journey_id>/`` (see the module docstring)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "participants.parquet"

    @classmethod
    def for_journey(cls, store: Any, journey_id: str) -> FileStore:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(journey_id))
        return cls(Path(store.path) / "journeys" / safe)

    def load(self) -> JourneyState:
        if not self.path.exists():
            return JourneyState()
        raw = (pq.read_metadata(self.path).metadata or {}).get(META_KEY.encode(), b"{}")
        meta = json.loads(raw)
        frame = pl.read_parquet(self.path).cast(PARTICIPANT_SCHEMA)  # type: ignore[arg-type]

        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(meta[key]) if meta.get(key) else None

        return JourneyState(
            frame,
            int(meta.get("generation", 0)),
            when("event_cursor"),
            when("last_refresh"),
            meta.get("kind"),
        )

    def write_log(self, generation: int, counts: pl.DataFrame) -> None:
        _write_atomic(counts, self.folder / "log" / f"g{generation:09d}.parquet")

    def save(self, state: JourneyState) -> None:
        frame = state.participants.select(list(PARTICIPANT_SCHEMA))
        _write_atomic(frame, self.path, {META_KEY: json.dumps(state.meta())})

    def counts(self) -> pl.DataFrame:
        generation = self.load().generation if self.path.exists() else 0
        frames = []
        for path in sorted((self.folder / "log").glob("g*.parquet")):
            if int(path.stem[1:]) <= generation:
                frames.append(pl.read_parquet(path))
        return _sum_counts(frames)


def _sum_counts(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=LOG_SCHEMA)
    return pl.concat(frames).group_by("activity", "metric").agg(pl.col("n").sum())


def _write_atomic(frame: pl.DataFrame, dest: Path, metadata: dict[str, str] | None = None) -> None:
    """Write Parquet atomically: a temporary file in the same folder, fsync, rename over ``dest``, fsync the
    folder (as store/event_log.write_atomic, but with Polars' own writer and reader, about twice as fast as
    pyarrow's on the participant table: benchmarks/bench_journey_tick.py went from 3.97x to 2.5x with them)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        frame.write_parquet(tmp, compression="zstd", metadata=metadata)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
        folder = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_state(folder: Path) -> None:
    """Delete a journey's runtime state (tests and ``reset``)."""
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        os.rmdir(folder)
