"""The delivery ledger: one row per message, persisted before any network call, in ``delivery.sqlite``.

Why SQLite and not the DuckDB catalog (ARCHITECTURE.md, Delivery ledger): the send loop makes many small
commits for hours while a notebook or ``workbench tick`` uses the same project. DuckDB admits one writing
process and costs ~30 ms an open; SQLite in WAL mode (stdlib ``sqlite3``) has many readers and one writer at a
time with row-level commits of a fraction of a millisecond, and ``busy_timeout`` makes a second writing
process wait its turn instead of failing.

Durability: ``PRAGMA synchronous`` is ``FULL`` by default (``[delivery] synchronous``). In WAL mode ``NORMAL``
already survives a killed process (kill -9: the WAL is in the OS's page cache), but a power cut or OS crash
could roll back the last commits, and the commit that matters most is the claim (``sending``) made just before
the network call: lost, the message would look never-sent and be sent again without being flagged ambiguous.
``FULL`` costs one fsync per commit, and the loop commits per batch, not per message (bench_send.py measures
it inside the 20,000-send figure).

States::

    queued -> sending -> accepted                      the provider took it; never sent again
                      -> retryable -> sending ...      backoff, at most [delivery] max_attempts attempts
                      -> failed                        retryable on the last attempt
                      -> permanent                     will never succeed (hard bounce, rejected content)
                      -> ambiguous                     may or may not have gone: held for reconciliation
           -> suppressed                               the suppression list or OptOut stopped it at send time

A message is claimed (``sending``, committed) before its batch goes to the adapter. After a crash, rows still
``sending`` belong to no live sender (a run is held by an flock that the kernel releases when its process dies,
so a resume need not wait for a lease to expire): they become ``ambiguous`` under the default policy
``[delivery] ambiguous = "hold"``, or are queued to be sent again with the same Message-ID under ``"resend"``.

The ledger keeps the normalised address and the rendered message of each row because a resume must send the
very message that was planned (same Message-ID, same body) without re-rendering against endpoints that may have
changed since. The suppression list in the same file keeps no addresses at all (suppression.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import WorkbenchError

SCHEMA_VERSION = 1

STATES = ("queued", "sending", "accepted", "retryable", "permanent", "ambiguous", "suppressed", "failed")
#: States a run still owes a send for.
OWED = ("queued", "retryable")
#: States nothing more happens to (until a person resolves an ambiguous one).
FINAL = ("accepted", "permanent", "ambiguous", "suppressed", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',          -- open | paused | done
    paused_reason TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    send_key TEXT PRIMARY KEY,
    run TEXT NOT NULL,
    source TEXT NOT NULL,                        -- transactional | campaign | journey
    source_id TEXT NOT NULL,
    channel TEXT NOT NULL,                       -- EMAIL | SMS | PUSH | VOICE | CUSTOM
    endpoint_id TEXT,
    user_id TEXT,
    address TEXT NOT NULL,                       -- normalised (keys.normalise_address): needed to send
    promotional INTEGER NOT NULL DEFAULT 1,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_at REAL,
    first_sent_at REAL,
    finished_at REAL,
    provider_message_id TEXT,
    message_id TEXT,                             -- ours (the e-mail Message-ID), else the provider's
    last_code TEXT,
    last_error TEXT,
    was_ambiguous INTEGER NOT NULL DEFAULT 0,
    address_problem INTEGER NOT NULL DEFAULT 0,  -- a permanent failure was about the address (hard bounce)
    parts TEXT NOT NULL DEFAULT '{}',            -- rendered parts, JSON
    mime BLOB,                                   -- the whole e-mail message
    attributes TEXT NOT NULL DEFAULT '{}',       -- campaign_id, treatment_id, journey_id... JSON
    events_done INTEGER NOT NULL DEFAULT 0,      -- 1 once the outcome's events are in the event log
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (run, state, next_attempt_at);
CREATE INDEX IF NOT EXISTS messages_events ON messages (run) WHERE events_done = 0;
CREATE TABLE IF NOT EXISTS suppression (
    family TEXT NOT NULL,                        -- email | sms | voice | push | custom
    address_key TEXT NOT NULL,                   -- HMAC-SHA256(project secret, family + address), hex
    reason TEXT NOT NULL,                        -- BOUNCE | COMPLAINT | UNSUBSCRIBE | SMS_STOP | MANUAL
    source TEXT NOT NULL,                        -- import | manual | provider | send
    created_at REAL NOT NULL,
    PRIMARY KEY (family, address_key, reason)
);
"""


class LedgerError(WorkbenchError):
    """The ledger cannot be used as asked (a run held by another process, an unknown run...)."""


@dataclass(frozen=True)
class PlannedMessage:
    """One message to put in the ledger: rendered, addressed, keyed."""

    send_key: str
    channel: str
    address: str
    parts: Mapping[str, Any] = field(default_factory=dict)
    mime: bytes | None = None
    endpoint_id: str | None = None
    user_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    promotional: bool = True
    message_id: str | None = None


class LedgerRow(NamedTuple):
    """A message as the ledger holds it (a named tuple: the send loop makes one per message per attempt)."""

    send_key: str
    run: str
    source: str
    source_id: str
    channel: str
    endpoint_id: str | None
    user_id: str | None
    address: str
    promotional: bool
    state: str
    attempts: int
    next_attempt_at: float
    claimed_at: float | None
    first_sent_at: float | None
    finished_at: float | None
    provider_message_id: str | None
    message_id: str | None
    last_code: str | None
    last_error: str | None
    was_ambiguous: bool
    address_problem: bool
    parts: dict[str, Any]
    mime: bytes | None
    attributes: dict[str, str]

    def to_dict(self, *, address: bool = True) -> dict[str, Any]:
        """The row as JSON-ready values (without the message body)."""
        out = {
            k: getattr(self, k)
            for k in (
                "send_key",
                "run",
                "source",
                "source_id",
                "channel",
                "endpoint_id",
                "user_id",
                "state",
                "attempts",
                "provider_message_id",
                "message_id",
                "last_code",
                "last_error",
            )
        }
        if address:
            out["address"] = self.address
        return out


_COLUMNS = (
    "send_key, run, source, source_id, channel, endpoint_id, user_id, address, promotional, state, attempts, "
    "next_attempt_at, claimed_at, first_sent_at, finished_at, provider_message_id, message_id, last_code, "
    "last_error, was_ambiguous, address_problem, parts, mime, attributes"
)


_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^\r\n>]*>)", re.IGNORECASE | re.MULTILINE)


def _mime_message_id(mime: bytes | None) -> str | None:
    """The Message-ID header of an e-mail (what the receiving server sees, and what reconciliation matches)."""
    if not mime:
        return None
    end = mime.find(b"\r\n\r\n")
    found = _MESSAGE_ID.search(mime[: end if end >= 0 else 65536])
    return found.group(1).decode("ascii", "replace") if found else None


_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))


_JSON_AT = (_NAMES.index("parts"), _NAMES.index("attributes"))
_BOOL_AT = (_NAMES.index("promotional"), _NAMES.index("was_ambiguous"), _NAMES.index("address_problem"))
_MIME_AT = _NAMES.index("mime")


def _row(values: Sequence[Any]) -> LedgerRow:
    v = list(values)
    for i in _BOOL_AT:
        v[i] = bool(v[i])
    for i in _JSON_AT:
        v[i] = json.loads(v[i]) if v[i] and v[i] != "{}" else {}
    if v[_MIME_AT] is not None:
        v[_MIME_AT] = bytes(v[_MIME_AT])
    return LedgerRow._make(v)


@dataclass
class RunCounts:
    """How many messages of a run are in each state, and whether the run is paused."""

    run: str
    states: dict[str, int]
    paused: bool = False
    paused_reason: str | None = None

    @property
    def owed(self) -> int:
        """Messages still to send (queued or waiting for a retry)."""
        return sum(self.states.get(s, 0) for s in OWED)

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "run": self.run,
            "states": {s: self.states.get(s, 0) for s in STATES},
            "owed": self.owed,
            "paused": self.paused,
            "paused_reason": self.paused_reason,
        }


class Ledger:
    """The ledger file: messages by send key, runs, and the suppression list. One connection per instance.

    Use as a context manager, or call ``close()``. Safe to open from several processes at once (WAL, busy
    timeout ``[delivery] busy_timeout_seconds``); not to share one instance between threads.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, synchronous: str = "FULL", busy_timeout: float = 30.0
    ):
        self.path = Path(path)
        sync = str(synchronous).upper()
        if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise LedgerError(f"[delivery] synchronous = {synchronous!r}: use NORMAL or FULL")
        self.con = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
        self.con.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        self.con.execute("PRAGMA journal_mode = WAL")
        self.con.execute(f"PRAGMA synchronous = {sync}")
        with self.write() as con:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._locks: dict[str, int] = {}

    @classmethod
    def for_store(cls, store: Any) -> Ledger:
        """The ledger of a project (``store.delivery_path``), with its ``[delivery]`` settings."""
        return cls(
            store.delivery_path,
            synchronous=str(store.setting("delivery.synchronous", "FULL")),
            busy_timeout=float(store.setting("delivery.busy_timeout_seconds", 30)),
        )

    # --- plumbing -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: takes the write lock up front, waiting up to busy_timeout)."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def close(self) -> None:
        """Release run locks and close the connection."""
        for run in list(self._locks):
            self.release(run)
        self.con.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- runs ---------------------------------------------------------------------------------------------

    def hold(self, run: str) -> None:
        """Take the run for this process (an exclusive flock beside the ledger, released when the process
        dies, even by kill -9). Raises LedgerError when another process is sending it."""
        if run in self._locks:
            return
        digest = hashlib.sha256(run.encode("utf-8")).hexdigest()[:24]
        lock_dir = self.path.parent / "delivery.locks"
        lock_dir.mkdir(exist_ok=True)
        fd = os.open(lock_dir / f"{digest}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LedgerError(
                f"run {run!r} is being sent by another process; wait for it, or stop it and resume"
            ) from None
        self._locks[run] = fd

    def release(self, run: str) -> None:
        """Give the run back (see :meth:`hold`)."""
        fd = self._locks.pop(run, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def plan(
        self,
        run: str,
        source: str,
        source_id: str,
        messages: Iterable[PlannedMessage],
        *,
        now: float | None = None,
    ) -> int:
        """Insert the run's messages as ``queued`` in ONE transaction; returns how many were new.

        A message whose send key is already in the ledger is left as it is (re-planning never duplicates).
        """
        now = time.time() if now is None else now
        rows = [
            (
                m.send_key,
                run,
                source,
                source_id,
                m.channel,
                m.endpoint_id,
                m.user_id,
                m.address,
                int(m.promotional),
                json.dumps(dict(m.parts), ensure_ascii=False, default=str),
                m.mime,
                json.dumps(dict(m.attributes), ensure_ascii=False),
                m.message_id or _mime_message_id(m.mime),
                now,
                now,
            )
            for m in messages
        ]
        with self.write() as con:
            con.execute(
                "INSERT INTO runs (run, source, source_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (run) DO UPDATE SET state = CASE WHEN state = 'done' THEN 'open' ELSE state END, "
                "updated_at = excluded.updated_at",
                (run, source, source_id, now, now),
            )
            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO messages (send_key, run, source, source_id, channel, endpoint_id, user_id, "
                "address, promotional, parts, mime, attributes, message_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return con.total_changes - before

    def run_state(self, run: str) -> tuple[str, str | None]:
        """(state, paused_reason) of a run; raises LedgerError for an unknown run."""
        found = self.con.execute("SELECT state, paused_reason FROM runs WHERE run = ?", (run,)).fetchone()
        if found is None:
            known = [r[0] for r in self.con.execute("SELECT run FROM runs ORDER BY updated_at DESC LIMIT 5")]
            raise LedgerError(
                f"no run {run!r} in the ledger" + (f"; recent runs: {', '.join(known)}" if known else "")
            )
        return found[0], found[1]

    def pause(self, run: str, reason: str, *, now: float | None = None) -> None:
        """Mark a run paused: its sender stops after the batch in flight and sends nothing until resumed."""
        now = time.time() if now is None else now
        with self.write() as con:
            con.execute(
                "UPDATE runs SET state = 'paused', paused_reason = ?, updated_at = ? WHERE run = ?",
                (reason, now, run),
            )

    def unpause(self, run: str, *, now: float | None = None) -> None:
        """Clear a pause (the error budget's, or a person's)."""
        now = time.time() if now is None else now
        self.run_state(run)
        with self.write() as con:
            con.execute(
                "UPDATE runs SET state = 'open', paused_reason = NULL, updated_at = ? WHERE run = ?",
                (now, run),
            )

    def finish(self, run: str, *, now: float | None = None) -> None:
        """Mark a run done when it owes nothing."""
        now = time.time() if now is None else now
        with self.write() as con:
            con.execute(
                "UPDATE runs SET state = 'done', updated_at = ? WHERE run = ? AND state = 'open' AND NOT EXISTS "
                "(SELECT 1 FROM messages WHERE run = ? AND state IN ('queued', 'retryable', 'sending'))",
                (now, run, run),
            )

    def cancel_owed(self, run: str, reason: str, *, now: float | None = None) -> int:
        """Stop a run for good: every message it still owes becomes ``failed`` with ``reason``; returns how many.

        A campaign whose ``Limits.MaximumDuration`` has passed uses it: what could not go in time never goes.
        """
        now = time.time() if now is None else now
        with self.write() as con:
            cur = con.execute(
                "UPDATE messages SET state = 'failed', last_error = ?, finished_at = ?, updated_at = ? "
                "WHERE run = ? AND state IN ('queued', 'retryable')",
                (reason, now, now, run),
            )
            return cur.rowcount

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most recent runs with their source, state and pause reason."""
        found = self.con.execute(
            "SELECT run, source, source_id, state, paused_reason, created_at, updated_at FROM runs "
            "ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = ("run", "source", "source_id", "state", "paused_reason", "created_at", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in found]

    # --- the send loop's steps ----------------------------------------------------------------------------

    def recover(self, run: str, *, resend: bool, now: float | None = None) -> int:
        """Settle rows left ``sending`` by a sender that died; returns how many.

        Call only while holding the run (:meth:`hold`): then no live process is sending them. They become
        ``ambiguous`` (the message may have gone), or with ``resend`` go back to ``retryable`` to be sent
        again with the same Message-ID (flagged ``was_ambiguous``).
        """
        now = time.time() if now is None else now
        with self.write() as con:
            if resend:
                cur = con.execute(
                    "UPDATE messages SET state = 'retryable', was_ambiguous = 1, next_attempt_at = ?, "
                    "last_error = 'interrupted while sending: sent again', updated_at = ? "
                    "WHERE run = ? AND state = 'sending'",
                    (now, now, run),
                )
            else:
                cur = con.execute(
                    "UPDATE messages SET state = 'ambiguous', was_ambiguous = 1, finished_at = ?, "
                    "last_error = 'interrupted while sending: it may or may not have gone', updated_at = ? "
                    "WHERE run = ? AND state = 'sending'",
                    (now, now, run),
                )
            return cur.rowcount

    def claim(
        self, run: str, limit: int, *, now: float | None = None, channel: str | None = None
    ) -> list[LedgerRow]:
        """Take up to ``limit`` due messages (``retryable`` ones whose time has come, then ``queued`` ones in
        planning order; of one channel when given) and mark them ``sending`` with one more attempt, committed
        before the caller sends them."""
        now = time.time() if now is None else now
        only = " AND channel = ?" if channel else ""
        picked: list[Any] = []
        with self.write() as con:
            # one state at a time: the index (run, state, next_attempt_at) then yields the rows in order, where
            # "state IN (...) ORDER BY" would sort every owed row of the run on every claim
            for state in ("retryable", "queued"):
                if len(picked) >= limit:
                    break
                params = (
                    now,
                    now,
                    now,
                    run,
                    state,
                    now,
                    *((channel,) if channel else ()),
                    limit - len(picked),
                )
                picked += con.execute(
                    f"UPDATE messages SET state = 'sending', attempts = attempts + 1, claimed_at = ?, "
                    f"first_sent_at = COALESCE(first_sent_at, ?), updated_at = ? "
                    f"WHERE send_key IN (SELECT send_key FROM messages WHERE run = ? AND state = ? "
                    f"AND next_attempt_at <= ?{only} ORDER BY next_attempt_at, rowid LIMIT ?) RETURNING {_COLUMNS}",
                    params,
                ).fetchall()
        return [_row(r) for r in picked]

    def next_due(self, run: str, *, channel: str | None = None) -> float | None:
        """When the earliest owed message of the run (of one channel) may be sent (None: nothing is owed)."""
        only = " AND channel = ?" if channel else ""
        found = self.con.execute(
            "SELECT MIN(next_attempt_at) FROM messages WHERE run = ? AND state IN ('queued', 'retryable')"
            + only,
            (run, *((channel,) if channel else ())),
        ).fetchone()
        return found[0] if found else None

    def owed_channels(self, run: str) -> list[str]:
        """The channels of the run with work left: owed or interrupted messages, or outcomes whose events are
        not in the event log yet."""
        found = self.con.execute(
            "SELECT DISTINCT channel FROM messages WHERE run = ? AND (state IN ('queued', 'retryable', 'sending') "
            "OR events_done = 0)",
            (run,),
        ).fetchall()
        return sorted(r[0] for r in found)

    def settle(self, updates: Sequence[Mapping[str, Any]], *, suppress: Sequence[tuple] = ()) -> None:
        """Record outcomes (each a dict of the columns to set, with ``send_key``) and any suppression rows
        (family, address_key, reason, source, created_at) in ONE transaction."""
        if not updates and not suppress:
            return
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for u in updates:
            cols = tuple(k for k in u if k != "send_key")
            groups.setdefault(cols, []).append([*(u[c] for c in cols), u["send_key"]])
        with self.write() as con:
            for cols, rows in groups.items():
                con.executemany(
                    f"UPDATE messages SET {', '.join(f'{c} = ?' for c in cols)} WHERE send_key = ?", rows
                )
            if suppress:
                con.executemany("INSERT OR IGNORE INTO suppression VALUES (?, ?, ?, ?, ?)", suppress)

    def events_pending(self, run: str, limit: int = 10_000) -> list[LedgerRow]:
        """Rows in a final state whose events are not yet in the event log."""
        light = _COLUMNS.replace(" mime,", " NULL AS mime,")  # the events need no body
        found = self.con.execute(
            f"SELECT {light} FROM messages WHERE run = ? AND events_done = 0 "
            f"AND state IN ('accepted', 'permanent', 'ambiguous', 'suppressed', 'failed') LIMIT ?",
            (run, limit),
        ).fetchall()
        return [_row(r) for r in found]

    def events_pending_count(self, run: str) -> int:
        """How many rows of the run wait for their events (cheap: a partial index holds only those rows)."""
        return self.con.execute(
            "SELECT COUNT(*) FROM messages WHERE run = ? AND events_done = 0 "
            "AND state IN ('accepted', 'permanent', 'ambiguous', 'suppressed', 'failed')",
            (run,),
        ).fetchone()[0]

    def mark_events_done(self, keys: Sequence[str]) -> None:
        """Note that the events of these rows are in the event log."""
        with self.write() as con:
            con.executemany("UPDATE messages SET events_done = 1 WHERE send_key = ?", [(k,) for k in keys])

    # --- reading ------------------------------------------------------------------------------------------

    def counts(self, run: str) -> RunCounts:
        """How many of the run's messages are in each state."""
        state, reason = self.run_state(run)
        found = self.con.execute(
            "SELECT state, COUNT(*) FROM messages WHERE run = ? GROUP BY state", (run,)
        ).fetchall()
        return RunCounts(run, dict(found), paused=state == "paused", paused_reason=reason)

    def rows(
        self, run: str, *, states: Sequence[str] | None = None, keys: Sequence[str] | None = None
    ) -> list[LedgerRow]:
        """The run's rows (optionally only some states, or some send keys), in planning order."""
        sql = f"SELECT {_COLUMNS} FROM messages WHERE run = ?"
        params: list[Any] = [run]
        if states:
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            params += list(states)
        if keys is not None:
            if not keys:
                return []
            sql += f" AND send_key IN ({', '.join('?' * len(keys))})"
            params += list(keys)
        return [_row(r) for r in self.con.execute(sql + " ORDER BY rowid", params).fetchall()]

    def get(self, send_key: str) -> LedgerRow | None:
        """One message by its send key."""
        found = self.con.execute(
            f"SELECT {_COLUMNS} FROM messages WHERE send_key = ?", (send_key,)
        ).fetchone()
        return _row(found) if found else None

    def ambiguous(self, run: str | None = None) -> list[LedgerRow]:
        """Messages held as ambiguous (for reconciliation against the provider's logs or webhooks)."""
        sql = f"SELECT {_COLUMNS} FROM messages WHERE state = 'ambiguous'"
        params: list[Any] = []
        if run is not None:
            sql += " AND run = ?"
            params.append(run)
        return [_row(r) for r in self.con.execute(sql + " ORDER BY rowid", params).fetchall()]

    def resolve(
        self, send_key: str, state: str, *, now: float | None = None, note: str = "resolved by hand"
    ) -> None:
        """Settle an ambiguous message after reconciliation: ``accepted`` (it went), ``failed`` (it did not
        and should not be sent), or ``retryable`` (send it again, with the same Message-ID)."""
        if state not in ("accepted", "failed", "retryable"):
            raise LedgerError(f"resolve to accepted, failed or retryable, not {state!r}")
        now = time.time() if now is None else now
        with self.write() as con:
            cur = con.execute(
                "UPDATE messages SET state = ?, last_error = ?, next_attempt_at = ?, updated_at = ?, "
                "events_done = CASE WHEN ? = 'retryable' THEN events_done ELSE 0 END "
                "WHERE send_key = ? AND state = 'ambiguous'",
                (state, note, now, now, state, send_key),
            )
            if cur.rowcount == 0:
                raise LedgerError(f"no ambiguous message with send key {send_key!r}")
