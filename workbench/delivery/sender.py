"""The send loop: claim a batch, check suppression and OptOut at that moment, send, record, repeat.

Per batch (reliability.md 1.3): the due messages are claimed (``sending``, committed) -> the suppression list
and the endpoints' ``OptOut`` are checked at this point, so an address suppressed after planning is not sent ->
the rate limit takes its tokens -> ``adapter.send`` -> every outcome (and the hard bounces' suppressions) is
committed in one transaction -> the error budget is checked. What a kill -9 leaves behind is settled by the next
run of the same loop (ledger.py: ``recover``).

The policy (``[delivery]`` settings, :class:`DeliveryPolicy`): at most ``max_attempts`` attempts, a retryable
outcome waits ``retry_base_seconds * 2**(attempt-1)`` (capped at ``retry_max_seconds``, with jitter: half fixed,
half random) or the provider's ``retry_after`` if longer, and becomes ``failed`` on the last attempt;
``messages_per_second`` (0 = no limit) is a token bucket; an ambiguous outcome is held (``ambiguous = "hold"``,
the default: never re-sent automatically, listed for reconciliation) or sent again with the same Message-ID
(``"resend"``, counted as an attempt); the error budget pauses the run when more than ``error_budget.rate`` of
the last ``error_budget.window`` outcomes were permanent failures, once at least ``error_budget.minimum`` were.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..channels.base import ChannelAdapter, Outcome, OutgoingMessage, SendResult
from ..errors import InputError
from .keys import channel_family
from .ledger import Ledger, LedgerRow, RunCounts
from .suppression import SuppressionList, blocks

AMBIGUOUS_POLICIES = ("hold", "resend")
#: Provider codes that mean "this number sent STOP" (Twilio 21610, Telnyx 40300): suppressed as SMS_STOP.
SMS_STOP_CODES = frozenset({"21610", "40300"})


class Clock:
    """Wall-clock time and sleeping; tests hand the loop a clock of their own (``now``/``sleep``)."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (nothing for 0 or less)."""
        if seconds > 0:
            time.sleep(seconds)


class TokenBucket:
    """At most ``rate`` messages a second on average, in bursts of at most ``capacity`` (default: one second's)."""

    def __init__(self, rate: float, clock: Clock, capacity: float | None = None):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = max(1.0, float(capacity if capacity is not None else rate))
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock.now()

    def take(self, n: int) -> None:
        """Wait until ``n`` tokens (n <= capacity) are there, then take them."""
        n = min(float(n), self.capacity)
        while True:
            now = self.clock.now()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= n - 1e-9:
                self.tokens -= n
                return
            self.clock.sleep((n - self.tokens) / self.rate)


@dataclass(frozen=True)
class DeliveryPolicy:
    """The ``[delivery]`` settings of the send loop (defaults in parentheses in each field's comment)."""

    max_attempts: int = 4
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0  # SES: throttled senders wait "up to 10 minutes"
    messages_per_second: float = 0.0  # 0: no limit
    batch_size: int = 500
    ambiguous: str = "hold"
    error_budget_rate: float = 0.05  # SES reviews accounts above a 5% bounce rate
    error_budget_window: int = 500
    error_budget_minimum: int = 25
    events_batch: int = 2000

    def __post_init__(self) -> None:
        checks = [
            ("max_attempts", self.max_attempts >= 1, "at least 1"),
            ("retry_base_seconds", self.retry_base_seconds >= 0, "0 or more"),
            ("retry_max_seconds", self.retry_max_seconds >= 0, "0 or more"),
            ("messages_per_second", self.messages_per_second >= 0, "0 (no limit) or more"),
            ("batch_size", self.batch_size >= 1, "at least 1"),
            ("ambiguous", self.ambiguous in AMBIGUOUS_POLICIES, " or ".join(map(repr, AMBIGUOUS_POLICIES))),
            ("error_budget.rate", 0 <= self.error_budget_rate <= 1, "between 0 and 1"),
            ("error_budget.window", self.error_budget_window >= 1, "at least 1"),
            ("error_budget.minimum", self.error_budget_minimum >= 1, "at least 1"),
        ]
        for name, ok, want in checks:
            if not ok:
                raise InputError(f"must be {want}", file="workbench.toml", field=f"delivery.{name}")

    @classmethod
    def from_store(cls, store: Any, **overrides: Any) -> DeliveryPolicy:
        """The policy from a project's ``[delivery]`` settings (keyword arguments override them)."""
        defaults = cls()
        values: dict[str, Any] = {}
        for name, kind in (
            ("max_attempts", int),
            ("retry_base_seconds", float),
            ("retry_max_seconds", float),
            ("messages_per_second", float),
            ("batch_size", int),
            ("ambiguous", str),
            ("events_batch", int),
        ):
            values[name] = _setting(store, f"delivery.{name}", getattr(defaults, name), kind)
        budget = store.setting("delivery.error_budget")
        if budget is not None and not isinstance(budget, dict):  # ``error_budget = 0.05``: the rate alone
            values["error_budget_rate"] = _setting(
                store, "delivery.error_budget", defaults.error_budget_rate, float
            )
        for name in ("rate", "window", "minimum"):
            if name == "rate" and "error_budget_rate" in values:
                continue
            kind = float if name == "rate" else int
            values[f"error_budget_{name}"] = _setting(
                store, f"delivery.error_budget.{name}", getattr(defaults, f"error_budget_{name}"), kind
            )
        values.update(overrides)
        return cls(**values)

    def backoff(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.retry_max_seconds, self.retry_base_seconds * 2 ** max(0, attempt - 1))
        delay = ceiling / 2 + rng.random() * ceiling / 2
        return max(delay, float(retry_after or 0))


_KINDS = {int: "a whole number", float: "a number", str: "text"}


def _setting(store: Any, dotted: str, default: Any, kind: type) -> Any:
    value = store.setting(dotted, default)
    try:
        if kind is int and (isinstance(value, bool) or float(value) != int(value)):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise InputError(
            f"must be {_KINDS.get(kind, kind.__name__)}, got {value!r}",
            file=str(store.path / "workbench.toml"),
            field=dotted,
        ) from None


class ErrorBudget:
    """Permanent failures among the last ``window`` outcomes of a run; exceeded above ``rate`` (and ``minimum``)."""

    def __init__(self, rate: float, window: int, minimum: int):
        self.rate, self.minimum = rate, minimum
        self.recent: deque[bool] = deque(maxlen=window)

    def add(self, permanent: bool) -> None:
        """Count one outcome (accepted or permanent)."""
        self.recent.append(permanent)

    @property
    def failures(self) -> int:
        """Permanent failures in the window."""
        return sum(self.recent)

    def exceeded(self) -> bool:
        """Whether the run must pause."""
        failures = self.failures
        return failures >= self.minimum and failures > self.rate * len(self.recent)

    def describe(self) -> str:
        """Why the run paused, in words."""
        return (
            f"error budget exceeded: {self.failures} permanent failures in the last {len(self.recent)} sends "
            f"(more than {self.rate:.1%}); fix the cause, then resume the run"
        )


@dataclass
class SendReport:
    """What one pass of the send loop did, and where the run stands."""

    run: str
    counts: RunCounts
    sent: int = 0
    recovered: int = 0
    seconds: float = 0.0
    stopped: str = "done"  # done | paused | waiting (owed messages are due later than the loop may wait)

    @property
    def paused(self) -> bool:
        """Whether the run is paused (the error budget's pause, or a person's)."""
        return self.counts.paused

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            **self.counts.to_dict(),
            "sent": self.sent,
            "recovered": self.recovered,
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
        }

    def _repr_html_(self) -> str:
        data = self.to_dict()
        cells = "".join(f"<tr><th>{s}</th><td>{n:,}</td></tr>" for s, n in data["states"].items() if n)
        note = f"<p><b>paused</b>: {data['paused_reason']}</p>" if data["paused"] else ""
        return f"<div><b>run {self.run}</b> ({self.stopped}){note}<table>{cells}</table></div>"


@dataclass
class _Batch:
    """A claimed batch: the rows going to the adapter, the gate's updates, and the adapter's call in flight."""

    to_send: list[LedgerRow]
    updates: list[dict[str, Any]]
    future: Future[list[SendResult]] | None = None


OptOutLookup = Callable[[Sequence[str]], set[str]]
EventSink = Callable[[Sequence[LedgerRow]], None]


@dataclass
class Sender:
    """Sends one run of the ledger through one adapter. ``send()`` may be called again to resume."""

    ledger: Ledger
    adapter: ChannelAdapter
    run: str
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    clock: Clock = field(default_factory=Clock)
    suppression: SuppressionList | None = None
    opt_outs: OptOutLookup | None = None
    events: EventSink | None = None
    rng: random.Random = field(default_factory=random.Random)
    channel: str | None = None  # only this channel's messages of the run (a run may mix channels)

    def send(self, *, wait: bool = True, deadline: float | None = None) -> SendReport:
        """Send what the run owes: until nothing is owed, the run is paused, or (``wait=False`` or past
        ``deadline``) only messages due later are left. Resumes a run left by a crash (ledger.recover).

        One batch is with the adapter (in a helper thread) while the loop records the previous batch's outcomes
        and claims the next one, so a crash can leave up to two batches ``sending`` (the ambiguity window).
        That overlap is a speed trick that pays: benchmarks/bench_send.py goes from 0.51x to 0.75x of a bare
        smtplib loop with it.
        """
        started = time.perf_counter()
        policy = self.policy
        self.ledger.hold(self.run)
        report = SendReport(self.run, self.ledger.counts(self.run))
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="send-batch")
        inflight: _Batch | None = None
        try:
            report.recovered = self.ledger.recover(
                self.run, resend=policy.ambiguous == "resend", now=self.clock.now()
            )
            self._flush_events(force=True)
            bucket = (
                TokenBucket(policy.messages_per_second, self.clock)
                if policy.messages_per_second > 0
                else None
            )
            budget = ErrorBudget(
                policy.error_budget_rate, policy.error_budget_window, policy.error_budget_minimum
            )
            limit = (
                policy.batch_size if bucket is None else max(1, min(policy.batch_size, int(bucket.capacity)))
            )
            stop: str | None = None
            while True:
                if stop is None and self.ledger.run_state(self.run)[0] == "paused":
                    stop = "paused"
                now = self.clock.now()
                rows = (
                    self.ledger.claim(self.run, limit, now=now, channel=self.channel) if stop is None else []
                )
                batch = self._prepare(rows, now) if rows else None
                results = self._wait(inflight, batch) if inflight is not None else None
                if batch is not None and batch.to_send:
                    if bucket is not None:
                        bucket.take(len(batch.to_send))
                    batch.future = pool.submit(self.adapter.send, [_outgoing(r) for r in batch.to_send])
                if inflight is not None:
                    report.sent += self._record(inflight, results or [], budget)
                    if stop is None and budget.exceeded():
                        self.ledger.pause(self.run, budget.describe(), now=self.clock.now())
                        stop = "paused"
                    self._flush_events(force=False)
                if batch is not None and not batch.to_send:
                    self._record(batch, [], budget)
                    batch = None
                inflight = batch
                if inflight is not None:
                    continue
                if stop is not None:
                    report.stopped = stop
                    break
                if rows:
                    continue
                due = self.ledger.next_due(self.run, channel=self.channel)
                if due is None:
                    self.ledger.finish(self.run, now=now)
                    report.stopped = "done"
                    break
                if not wait or (deadline is not None and due > deadline):
                    report.stopped = "waiting"
                    break
                self.clock.sleep(max(0.0, due - now))
            self._flush_events(force=True)
        finally:
            pool.shutdown(wait=True)
            self.ledger.release(self.run)
        report.counts = self.ledger.counts(self.run)
        report.seconds = time.perf_counter() - started
        return report

    # --- one batch ----------------------------------------------------------------------------------------

    def _prepare(self, rows: list[LedgerRow], now: float) -> _Batch:
        """The claimed rows split into those the gate stops (their updates) and those to send."""
        blocked = self._gate(rows)
        updates: list[dict[str, Any]] = [
            {
                "send_key": r.send_key,
                "state": "suppressed",
                "attempts": r.attempts - 1,  # the claim counted an attempt that never went out
                "last_error": blocked[r.send_key],
                "finished_at": now,
                "updated_at": now,
            }
            for r in rows
            if r.send_key in blocked
        ]
        return _Batch([r for r in rows if r.send_key not in blocked], updates)

    def _wait(self, inflight: _Batch, claimed: _Batch | None) -> list[SendResult]:
        """The in-flight batch's results; if the adapter raised (a configuration that cannot work at all, raised
        before sending), every claimed message is given back as it was, and the error goes up."""
        try:
            return inflight.future.result() if inflight.future is not None else []
        except BaseException:
            back = inflight.to_send + (claimed.to_send if claimed is not None else [])
            now = self.clock.now()
            self.ledger.settle(
                [
                    {
                        "send_key": r.send_key,
                        "state": "retryable" if r.attempts > 1 else "queued",
                        "attempts": r.attempts - 1,
                        "updated_at": now,
                    }
                    for r in back
                ]
                + (claimed.updates if claimed is not None else [])
            )
            raise

    def _record(self, batch: _Batch, results: Sequence[SendResult], budget: ErrorBudget) -> int:
        """Commit a batch's outcomes (and the hard bounces' suppressions) in one transaction."""
        updates = list(batch.updates)
        suppress: list[tuple] = []
        by_key = {res.send_key: res for res in results}
        now = self.clock.now()
        for row in batch.to_send:
            result = by_key.get(row.send_key) or SendResult(
                row.send_key, Outcome.AMBIGUOUS, detail=f"the {self.adapter.name} adapter returned no result"
            )
            update, entry = self._settle_one(row, result, now)
            updates.append(update)
            if entry is not None:
                suppress.append(entry)
            if result.outcome in (Outcome.ACCEPTED, Outcome.PERMANENT):
                budget.add(result.outcome == Outcome.PERMANENT)
        self.ledger.settle(updates, suppress=suppress)
        return len(batch.to_send)

    def _settle_one(
        self, row: LedgerRow, result: SendResult, now: float
    ) -> tuple[dict[str, Any], tuple | None]:
        policy = self.policy
        update: dict[str, Any] = {
            "send_key": row.send_key,
            "last_code": result.code,
            "last_error": result.detail or None,
            "updated_at": now,
        }
        if result.provider_message_id:
            update["provider_message_id"] = result.provider_message_id
        entry = None
        outcome = result.outcome
        if outcome == Outcome.ACCEPTED:
            update.update(state="accepted", finished_at=now)
            if not row.message_id and result.provider_message_id:
                update["message_id"] = result.provider_message_id
        elif outcome == Outcome.RETRYABLE:
            if row.attempts >= policy.max_attempts:
                update.update(state="failed", finished_at=now)
                update["last_error"] = (
                    f"gave up after {row.attempts} attempts: {result.detail or result.code}"
                )
            else:
                wait = policy.backoff(row.attempts, result.retry_after, self.rng)
                update.update(state="retryable", next_attempt_at=now + wait)
        elif outcome == Outcome.PERMANENT:
            update.update(state="permanent", finished_at=now, address_problem=int(result.address_problem))
            if result.address_problem and self.suppression is not None:
                family = channel_family(row.channel)
                stop = family == "sms" and (result.code or "").split(" ")[0] in SMS_STOP_CODES
                key = self.suppression.address_key(family, row.address, normalised=True)
                entry = (family, key, "SMS_STOP" if stop else "BOUNCE", "send", now)
        else:  # ambiguous
            if policy.ambiguous == "resend" and row.attempts < policy.max_attempts:
                wait = policy.backoff(row.attempts, result.retry_after, self.rng)
                update.update(state="retryable", was_ambiguous=1, next_attempt_at=now + wait)
            else:
                update.update(state="ambiguous", was_ambiguous=1, finished_at=now)
        return update, entry

    def _gate(self, rows: Sequence[LedgerRow]) -> dict[str, str]:
        """Send key -> why it must not go, for the claimed rows (suppression list, then OptOut)."""
        blocked: dict[str, str] = {}
        if self.suppression is not None:
            by_family: dict[str, list[tuple[LedgerRow, str]]] = {}
            for row in rows:
                family = channel_family(row.channel)
                key = self.suppression.address_key(family, row.address, normalised=True)
                by_family.setdefault(family, []).append((row, key))
            for family, pairs in by_family.items():
                reasons = self.suppression.reasons_by_key(family, [k for _, k in pairs])
                for row, key in pairs:
                    stopping = [r for r in reasons.get(key, ()) if blocks(r, promotional=row.promotional)]
                    if stopping:
                        blocked[row.send_key] = f"suppressed: {', '.join(sorted(stopping))}"
        if self.opt_outs is not None:
            ids = [
                r.endpoint_id for r in rows if r.promotional and r.endpoint_id and r.send_key not in blocked
            ]
            if ids:
                opted = self.opt_outs(ids)
                for row in rows:
                    if row.promotional and row.endpoint_id in opted and row.send_key not in blocked:
                        blocked[row.send_key] = "OptOut: ALL (the endpoint opted out of promotional messages)"
        return blocked

    def _flush_events(self, *, force: bool) -> None:
        if self.events is None:
            return
        if not force and self.ledger.events_pending_count(self.run) < self.policy.events_batch:
            return
        while True:
            pending = self.ledger.events_pending(self.run, limit=self.policy.events_batch)
            if not pending:
                return
            self.events(pending)
            self.ledger.mark_events_done([r.send_key for r in pending])
            if len(pending) < self.policy.events_batch:
                return


def _outgoing(row: LedgerRow) -> OutgoingMessage:
    return OutgoingMessage(
        send_key=row.send_key,
        channel=row.channel,
        address=row.address,
        parts=row.parts,
        mime=row.mime,
        endpoint_id=row.endpoint_id,
        user_id=row.user_id,
        attributes=row.attributes,
    )


def endpoint_opt_outs(
    store: Any, *, refresh_seconds: float | None = None, clock: Clock | None = None
) -> OptOutLookup:
    """An OptOut lookup on a project's endpoints: which of these endpoint ids have ``OptOut = 'ALL'``.

    The set of opted-out endpoint ids is read from the catalog at most every ``refresh_seconds``
    (``[delivery] optout_refresh_seconds``, default 10; 0 reads it for every batch): one query per batch costs
    about 0.1 s here (a catalog connection with its views), a tenth of a 500-message batch's time in
    bench_send.py. OptOut changes only when endpoints are imported; unsubscribes and STOPs reach the send path
    at once through the suppression list.
    """
    refresh = float(
        store.setting("delivery.optout_refresh_seconds", 10) if refresh_seconds is None else refresh_seconds
    )
    clock = clock or Clock()
    cache: dict[str, Any] = {"at": None, "ids": set()}

    def lookup(ids: Sequence[str]) -> set[str]:
        now = clock.now()
        if cache["at"] is None or refresh <= 0 or now - cache["at"] >= refresh:
            with store.connect(read_only=True) as con:
                rows = con.execute("SELECT Id FROM endpoints WHERE OptOut = 'ALL'").fetchall()
            cache["ids"], cache["at"] = {r[0] for r in rows}, now
        opted: set[str] = cache["ids"]
        return {i for i in ids if i in opted}

    return lookup
