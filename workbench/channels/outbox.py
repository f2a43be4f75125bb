"""The ``outbox`` adapter (the default for every channel): files a person can open instead of real sends.

Under ``<project>/outbox/<run>/``: each email is one ``<send key>.eml`` file (open it in any mail program); every
other channel appends one JSON line per message to ``<channel>.jsonl`` (send key, address, parts, attributes).
Every message is accepted. Writes are durable and idempotent: an ``.eml`` is written to a temporary file,
fsynced and renamed over its name, so re-sending a send key replaces its own file; a ``.jsonl`` line is not
written twice for the same send key (the keys already in the file are read once, when the file is first used).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from ._common import check_settings
from .base import ChannelAdapter, ChannelContext, Outcome, OutgoingMessage, SendResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_KEY_PREFIX = re.compile(r'^\{"send_key": ("(?:[^"\\]|\\.)*")')


def safe_name(text: str) -> str:
    """``text`` as a file name: kept as is when it is safe, else cleaned and given a short hash (no collisions)."""
    cleaned = _UNSAFE.sub("_", text)[:150].lstrip(".") or "_"
    if cleaned == text:
        return text
    return f"{cleaned}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some filesystems cannot open a directory; the data itself is already fsynced
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _email_bytes(message: OutgoingMessage) -> bytes:
    """The message's MIME as given, or a plain one built from its parts when the caller gave none."""
    if message.mime is not None:
        return bytes(message.mime)
    mail = EmailMessage()
    mail["To"] = message.address
    mail["Subject"] = str(message.parts.get("Subject", ""))
    mail["X-Workbench-Send-Key"] = message.send_key
    mail.set_content(str(message.parts.get("TextPart", "")))
    if message.parts.get("HtmlPart"):
        mail.add_alternative(str(message.parts["HtmlPart"]), subtype="html")
    return mail.as_bytes()


class OutboxAdapter(ChannelAdapter):
    """Writes messages to files under the project's ``outbox/<run>/`` folder; never sends anything."""

    name = "outbox"
    channels = frozenset({"EMAIL", "SMS", "PUSH", "VOICE", "CUSTOM"})

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        super().__init__(config, context)
        check_settings(self.config, (), self.name)
        self.folder = Path(context.outbox_dir) / safe_name(context.run)
        self._lock = threading.Lock()
        self._written: dict[str, set[str]] = {}  # jsonl file name -> send keys already in it

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Write every message; all are accepted, each with the file it went to as its provider id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        results: list[SendResult] = []
        lines: dict[str, list[tuple[str, bytes]]] = {}
        wrote_eml = False
        for message in messages:
            if message.channel.upper() == "EMAIL":
                name = f"{safe_name(message.send_key)}.eml"
                write_atomically(self.folder / name, _email_bytes(message))
                wrote_eml = True
            else:
                name = f"{safe_name(message.channel.lower())}.jsonl"
                lines.setdefault(name, []).append((message.send_key, self._line(message)))
            results.append(
                SendResult(
                    message.send_key, Outcome.ACCEPTED, provider_message_id=f"{self.folder.name}/{name}"
                )
            )
        with self._lock:
            for name, pending in lines.items():
                self._append(name, pending)
        if wrote_eml:
            _fsync_dir(self.folder)
        return results

    @staticmethod
    def _line(message: OutgoingMessage) -> bytes:
        record = {
            "send_key": message.send_key,  # first, so that re-reading the keys needs no full JSON parse
            "channel": message.channel,
            "address": message.address,
            "endpoint_id": message.endpoint_id,
            "user_id": message.user_id,
            "parts": dict(message.parts),
            "attributes": dict(message.attributes),
            "written_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        return (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")

    def _append(self, name: str, pending: list[tuple[str, bytes]]) -> None:
        path = self.folder / name
        keys = self._written.get(name)
        if keys is None:
            keys = self._written[name] = self._read_keys(path)
        with open(path, "ab") as fh:
            for send_key, line in pending:
                if send_key in keys:
                    continue  # already written by an earlier attempt: a re-send never duplicates
                fh.write(line)
                keys.add(send_key)
            fh.flush()
            os.fsync(fh.fileno())

    @staticmethod
    def _read_keys(path: Path) -> set[str]:
        """Send keys already in a .jsonl file; a torn last line (a crash mid-write) is cut off first."""
        if not path.exists():
            return set()
        data = path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            with open(path, "r+b") as fh:
                fh.truncate(end)
                fh.flush()
                os.fsync(fh.fileno())
            data = data[:end]
        keys = set()
        for line in data.decode("utf-8", errors="replace").splitlines():
            found = _KEY_PREFIX.match(line)
            if found:
                keys.add(json.loads(found.group(1)))
        return keys
