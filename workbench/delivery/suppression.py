"""The project's suppression list: addresses that must not be sent to, kept without the addresses themselves.

Each entry is (channel family, ``address_key``, reason) with ``address_key = HMAC-SHA256(store.secret(
"suppression"), family + "\\x1f" + normalised address)``: the list can say "this address is suppressed" when
asked about an address, and survives the erasure of the endpoint (GDPR), but a copy of ``delivery.sqlite``
reveals no address (reliability.md 2.6). It lives in the ledger's file because the send path writes both: a
hard bounce and its suppression are committed in one transaction.

Reasons: ``BOUNCE`` (a hard bounce: added automatically when an adapter reports ``address_problem``),
``COMPLAINT`` (added automatically from complaint feedback), ``UNSUBSCRIBE``, ``SMS_STOP``, ``MANUAL``.

Which messages each reason stops (:func:`blocks`), checked at send time for every message:

- ``BOUNCE``, ``COMPLAINT``, ``SMS_STOP``, ``MANUAL`` stop EVERY message, transactional ones included. As with
  the SES account-level suppression list, which applies to all e-mail sent through the account (Pinpoint's
  SendMessages included): a hard-bounced address cannot receive anything, a complaint is a demand to stop
  (reliability.md 2.5), an SMS STOP is a revocation of consent that carriers enforce for every message from
  the number (CTIA), and a manual entry is an operator's decision.
- ``UNSUBSCRIBE``, and an endpoint's ``OptOut = "ALL"``, stop PROMOTIONAL messages only (campaigns, journeys,
  and direct sends with MessageType PROMOTIONAL). Unsubscribing from marketing does not stop a password reset or
  a receipt; Pinpoint's OptOut governs campaigns and journeys the same way.

An import only adds entries; removing one is an explicit ``remove``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, suggest
from .keys import channel_family, normalise_address, suppression_form
from .ledger import Ledger

REASONS = ("BOUNCE", "COMPLAINT", "UNSUBSCRIBE", "SMS_STOP", "MANUAL")
#: Reasons that stop transactional messages too (the rest stop promotional ones only).
ALL_MESSAGE_REASONS = frozenset({"BOUNCE", "COMPLAINT", "SMS_STOP", "MANUAL"})
MAX_IMPORT_BYTES = 256 * 1024 * 1024


def blocks(reason: str, *, promotional: bool) -> bool:
    """Whether a suppression for ``reason`` stops a message (see the module's rule)."""
    return promotional or reason in ALL_MESSAGE_REASONS


def check_reason(reason: str, *, file: str | None = None, line: int | None = None) -> str:
    """The reason in upper case; InputError naming the known ones otherwise."""
    text = str(reason or "").strip().upper()
    if text not in REASONS:
        raise InputError(
            f"unknown reason {reason!r}{suggest(text, REASONS)}; one of {', '.join(REASONS)}",
            file=file,
            line=line,
            field="reason",
        )
    return text


@dataclass
class SuppressionImport:
    """What an import added: entries new to the list, entries already there, lines skipped as blank."""

    added: int = 0
    already: int = 0
    lines: int = 0
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {"file": self.file, "lines": self.lines, "added": self.added, "already": self.already}


@dataclass
class SuppressionList:
    """The suppression list of one project (``SuppressionList.for_store(store)``), backed by its ledger file.

    ``key`` is the project's suppression secret; ``region`` reads national phone formats.
    """

    ledger: Ledger
    key: bytes
    region: str | None = None
    _cache: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    @classmethod
    def for_store(cls, store: Any, ledger: Ledger | None = None) -> SuppressionList:
        """The list of a project: its ledger file and ``store.secret("suppression")``."""
        return cls(
            ledger or Ledger.for_store(store),
            store.secret("suppression"),
            str(store.setting("import.default_region", "") or "") or None,
        )

    def address_key(self, channel: str, address: str, *, normalised: bool = False) -> str:
        """HMAC-SHA256 of the channel family and the normalised address, hex (what the list stores)."""
        family = channel_family(channel)
        if not normalised:
            address = normalise_address(family, address, region=self.region)
        form = suppression_form(family, address)
        cached = self._cache.get((family, form))
        if cached is None:
            cached = hmac.new(self.key, f"{family}\x1f{form}".encode(), hashlib.sha256).hexdigest()
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[(family, form)] = cached
        return cached

    def add(
        self, address: str, *, channel: str = "email", reason: str = "MANUAL", source: str = "manual"
    ) -> bool:
        """Suppress an address for a reason; returns False when that entry was already there."""
        reason = check_reason(reason)
        family = channel_family(channel)
        key = self.address_key(family, address)
        with self.ledger.write() as con:
            cur = con.execute(
                "INSERT OR IGNORE INTO suppression VALUES (?, ?, ?, ?, ?)",
                (family, key, reason, source, time.time()),
            )
            return cur.rowcount == 1

    def remove(self, address: str, *, channel: str = "email", reason: str | None = None) -> int:
        """Lift an address's suppression (every reason, or only ``reason``); returns the entries removed."""
        family = channel_family(channel)
        key = self.address_key(family, address)
        sql, params = "DELETE FROM suppression WHERE family = ? AND address_key = ?", [family, key]
        if reason is not None:
            sql += " AND reason = ?"
            params.append(check_reason(reason))
        with self.ledger.write() as con:
            return con.execute(sql, params).rowcount

    def reasons(self, address: str, *, channel: str = "email") -> list[str]:
        """The reasons an address is suppressed for ([] when it is not)."""
        family = channel_family(channel)
        key = self.address_key(family, address)
        found = self.ledger.con.execute(
            "SELECT reason FROM suppression WHERE family = ? AND address_key = ? ORDER BY reason",
            (family, key),
        ).fetchall()
        return [r[0] for r in found]

    def is_suppressed(self, address: str, *, channel: str = "email", promotional: bool = True) -> bool:
        """Whether a message of this kind to this address would be stopped."""
        return any(blocks(r, promotional=promotional) for r in self.reasons(address, channel=channel))

    def reasons_by_key(self, family: str, keys: Sequence[str]) -> dict[str, list[str]]:
        """The reasons of many address keys at once (the send loop's check, one query per batch)."""
        out: dict[str, list[str]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            found = self.ledger.con.execute(
                f"SELECT address_key, reason FROM suppression WHERE family = ? AND address_key IN "
                f"({', '.join('?' * len(chunk))})",
                [family, *chunk],
            ).fetchall()
            for key, reason in found:
                out.setdefault(key, []).append(reason)
        return out

    def list(self, *, channel: str | None = None, address: str | None = None) -> list[dict[str, Any]]:
        """The entries (family, address_key, reason, source, created_at); never addresses, except the one asked
        about with ``address`` (then only its entries, with the address shown)."""
        sql = "SELECT family, address_key, reason, source, created_at FROM suppression"
        clauses, params = [], []
        if channel is not None:
            clauses.append("family = ?")
            params.append(channel_family(channel))
        if address is not None:
            family = channel_family(channel or "email")
            clauses.append("address_key = ?")
            params.append(self.address_key(family, address))
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        keys = ("channel", "address_key", "reason", "source", "created_at")
        rows = [
            dict(zip(keys, r, strict=True))
            for r in self.ledger.con.execute(sql + " ORDER BY created_at", params)
        ]
        if address is not None:
            for row in rows:
                row["address"] = address
        return rows

    def import_file(
        self, path: str | Path, *, reason: str = "MANUAL", channel: str | None = None
    ) -> SuppressionImport:
        """Add every address of a text file (one address a line) or a CSV with a header naming an ``address``
        column (else the first), and optionally ``reason`` and ``channel`` columns.

        ``reason`` and ``channel`` are the defaults for lines that do not name their own; with no channel
        anywhere, each address's channel is guessed (``@`` means e-mail, else a phone number for SMS). A bad
        line raises InputError naming the file, line and field, and nothing is added (one transaction).
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise InputError(f"cannot read: {err.strerror or err}", file=str(path)) from None
        return self.import_text(data, reason=reason, channel=channel, file=str(path))

    def import_text(
        self, data: bytes | str, *, reason: str = "MANUAL", channel: str | None = None, file: str = "<text>"
    ) -> SuppressionImport:
        """:meth:`import_file` on the file's content."""
        if isinstance(data, bytes):
            if len(data) > MAX_IMPORT_BYTES:
                raise InputError(f"larger than {MAX_IMPORT_BYTES} bytes", file=file)
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as err:
                line = data[: err.start].count(b"\n") + 1
                raise InputError("not UTF-8 text", file=file, line=line) from None
        else:
            text = data
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise InputError("a NUL character: not a text file", file=file, line=line)
        default_reason = check_reason(reason, file=file)
        default_family = channel_family(channel) if channel else None
        entries: list[tuple[str, str, str, str, float]] = []
        result = SuppressionImport(file=file)
        now = time.time()
        for line_no, address, row_reason, row_channel in _read_lines(text, file):
            result.lines += 1
            family = default_family
            if row_channel:
                try:
                    family = channel_family(row_channel)
                except Exception as err:
                    raise InputError(str(err), file=file, line=line_no, field="channel") from None
            if family is None:
                family = "email" if "@" in address else "sms"
            why = check_reason(row_reason, file=file, line=line_no) if row_reason else default_reason
            try:
                key = self.address_key(family, address)
            except InputError as err:
                raise InputError(err.reason, file=file, line=line_no, field="address") from None
            entries.append((family, key, why, "import", now))
        with self.ledger.write() as con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO suppression VALUES (?, ?, ?, ?, ?)", entries)
            result.added = con.total_changes - before
        result.already = len(entries) - result.added
        return result


def _read_lines(text: str, file: str) -> Iterable[tuple[int, str, str | None, str | None]]:
    """(line, address, reason, channel) of each non-blank line of a text file or a CSV with a header."""
    # only \n, \r\n and \r end a line (str.splitlines also breaks at \x1c-\x1e, \x85, \u2028..., which an
    # address or a CSV cell may hold: the line numbers would not be the file's)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    header = [h.strip().lower() for h in next(csv.reader([first]))] if first else []
    has_header = "address" in header or (
        "," in first and "@" not in first and not any(ch.isdigit() for ch in first)
    )
    if not has_header:
        for number, line in enumerate(lines, 1):
            address = line.strip()
            if address and not address.startswith("#"):
                yield number, address, None, None
        return
    if "address" not in header:
        raise InputError(
            f"a CSV header without an 'address' column (columns: {', '.join(header)})",
            file=file,
            line=1,
            field="address",
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    where = {name: header.index(name) for name in ("address", "reason", "channel") if name in header}
    seen_header = False
    for row in reader:
        number = reader.line_num
        if not row or not any(c.strip() for c in row):
            continue
        if not seen_header:
            seen_header = True
            continue
        if len(row) > len(header):
            raise InputError(
                f"{len(row)} values for {len(header)} columns", file=file, line=number, field="address"
            )

        def cell(name: str, row: list[str] = row) -> str | None:
            i = where.get(name)
            value = row[i].strip() if i is not None and i < len(row) else ""
            return value or None

        address = cell("address")
        if address is None:
            raise InputError("no address", file=file, line=number, field="address")
        yield number, address, cell("reason"), cell("channel")
