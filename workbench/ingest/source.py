"""Reading input files safely: gzip with bomb caps, UTF-8 with the offending byte's offset, format sniffing."""

from __future__ import annotations

import csv
import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
_NON_SPACE = re.compile(rb"\S")
#: characters an error message shows escaped: C0 and C1 controls, DEL, and the Unicode line and bidi controls
#: (a terminal would act on them; a NUL also cuts some viewers' text short)
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """``text`` with its control characters written as Python escapes (``\\x00``, ``\\n``, ``\\u202e``), for
    error messages that quote the user's file; other characters (accents, CJK, emoji) stay as they are."""
    return _CONTROLS.sub(lambda m: repr(m.group())[1:-1], text)


def allow_csv_fields(size: int) -> None:
    """Let the csv module read cells of up to ``size`` characters (its default limit is 131,072).

    The file is in memory already, so no cell can be larger than it; cells too long for an endpoint are
    read and then rejected by the endpoint limits, with their line and field. The limit is process-wide and
    only ever raised here, so that two imports in two threads cannot lower it under each other.
    """
    wanted = min(size, 2**31 - 1)  # the limit is a C long, 32 bits on Windows
    if csv.field_size_limit() < wanted:
        csv.field_size_limit(wanted)


def line_end(data: bytes, start: int = 0) -> tuple[int, int]:
    """Where the line that begins at ``start`` ends, and where the next one begins: a line ends at CRLF, LF or
    a lone CR, as the csv module reads them (``(len(data), len(data))`` for the last line without one)."""
    lf = data.find(b"\n", start)
    cr = data.find(
        b"\r", start, lf if lf >= 0 else len(data)
    )  # (up to the LF only: no scan of a whole LF file)
    if cr >= 0:
        return cr, cr + 2 if data[cr + 1 : cr + 2] == b"\n" else cr + 1
    if lf >= 0:
        return lf, lf + 1
    return len(data), len(data)


def line_of(data: bytes, offset: int) -> int:
    """The line (from 1) holding byte ``offset``, counting CRLF, LF and lone CR line breaks alike."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


@dataclass(frozen=True)
class Limits:
    """Caps for compressed input (settings ``[import] max_uncompressed_bytes`` / ``max_compression_ratio``)."""

    max_uncompressed_bytes: int = 4 << 30
    max_compression_ratio: float = 100.0
    #: the ratio check starts once this much has been produced (tiny files compress oddly)
    ratio_grace_bytes: int = 8 << 20


@dataclass(frozen=True)
class InputText:
    """A decoded input file: its text (decompressed, BOM removed, valid UTF-8), the raw bytes' SHA-256 and the
    format it holds."""

    path: Path
    data: bytes
    sha256: str
    format: str  # "csv" | "json"
    compressed: bool


def gunzip_capped(raw: bytes, path: Path, limits: Limits) -> bytes:
    """Decompress (possibly multi-member) gzip, refusing truncated streams and decompression bombs.

    Output is produced in bounded steps and counted as it grows, never trusting the header's size field.
    """
    out = bytearray()
    pos = 0
    view = memoryview(raw)
    while pos < len(raw):
        if raw[pos : pos + 2] != GZIP_MAGIC:
            if not raw[pos:].strip(b"\x00"):
                break  # trailing zero padding, as some writers leave
            raise InputError(f"bad gzip data at byte {pos}", file=str(path))
        d = zlib.decompressobj(wbits=31)
        i = pos
        while not d.eof:
            if d.unconsumed_tail:
                chunk = d.unconsumed_tail
            elif i < len(raw):
                chunk = view[i : i + CHUNK]
                i += len(chunk)
            else:
                raise InputError(
                    f"truncated gzip: the compressed stream ends early (after {len(raw):,} bytes, "
                    f"{len(out):,} decompressed); the file was cut off in transfer",
                    file=str(path),
                )
            try:
                out += d.decompress(chunk, 16 * CHUNK)
            except zlib.error as err:
                raise InputError(
                    f"corrupt gzip stream near compressed byte {i}: {err}", file=str(path)
                ) from err
            if len(out) > limits.max_uncompressed_bytes:
                raise InputError(
                    f"refused: decompresses to more than {limits.max_uncompressed_bytes:,} bytes "
                    "(setting import.max_uncompressed_bytes)",
                    file=str(path),
                )
            _check_ratio(out, i, path, limits)
        pos = i - len(d.unused_data)
    return bytes(out)


def _check_ratio(out: bytearray, consumed: int, path: Path, limits: Limits) -> None:
    if len(out) > limits.ratio_grace_bytes and len(out) > consumed * limits.max_compression_ratio:
        raise InputError(
            f"refused: gzip expands more than {limits.max_compression_ratio:g}:1 "
            f"({consumed:,} bytes became over {len(out):,}); this looks like a decompression bomb "
            "(setting import.max_compression_ratio)",
            file=str(path),
        )


def utf8_valid(data: bytes) -> bool:
    """True when ``data`` is valid UTF-8; a fast whole-buffer check (Arrow's validator, no decoded copy).

    The exact check (:func:`check_utf8`) runs only when this says no: it names the offending byte.
    """
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def check_utf8(data: bytes, path: Path) -> bytes:
    """Return ``data`` without a UTF-8 BOM, or raise naming the first invalid byte's offset and line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8 "
            "(Pinpoint accepts UTF-8 only)",
            file=str(path),
            line=1,
        )
    if not (data.isascii() or utf8_valid(data)):
        _raise_not_utf8(data, path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def _raise_not_utf8(data: bytes, path: Path) -> None:
    """The exact check: Python's strict decoder finds the first invalid byte (does nothing if there is none)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = line_of(data, err.start)
        bad = data[err.start : err.start + 1].hex()
        raise InputError(
            f"not UTF-8: invalid byte 0x{bad} at byte offset {err.start}; save the file as UTF-8 "
            "(Pinpoint accepts UTF-8 only)",
            file=str(path),
            line=line,
            field=_csv_field_at(data, err.start) if line > 1 else None,
        ) from None


def json_depth(node, limit: int, level: int = 1) -> int:
    """How deeply ``node`` nests (stops counting past ``limit``): JSON input is refused past a cap."""
    if level > limit:
        return level
    if isinstance(node, dict):
        return max((json_depth(v, limit, level + 1) for v in node.values()), default=level)
    if isinstance(node, list):
        return max((json_depth(v, limit, level + 1) for v in node), default=level)
    return level


def column_at(data: bytes, offset: int) -> int:
    """The index of the CSV column whose cell holds byte ``offset`` (counted within its line)."""
    line_start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    prefix = data[line_start:offset]
    if b'"' not in prefix:  # no quoting before it: every comma ends a cell
        return prefix.count(b",")
    allow_csv_fields(len(prefix) + 1)
    return len(next(csv.reader([prefix.decode("utf-8", errors="replace") + "x"]))) - 1


def _csv_field_at(data: bytes, offset: int) -> str | None:
    """The CSV header name of the cell holding byte ``offset`` (None when the file is not a readable CSV)."""
    header_end, _ = line_end(data)
    try:
        allow_csv_fields(header_end)
        header = next(csv.reader([data[:header_end].decode("utf-8")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return None
    if len(header) < 2:
        return None
    index = column_at(data, offset)
    return escape_controls(header[index].strip()) if index < len(header) else None


def sniff_format(path: Path, data: bytes) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if name.endswith((".csv", ".txt")):
        return "csv"
    head = data[:4096].lstrip()
    return "json" if head.startswith((b"{", b"[")) else "csv"


def read_input(path: Path, limits: Limits | None = None) -> InputText:
    """Read, hash, decompress (``.gz``), validate as UTF-8 and sniff one input file."""
    limits = limits or Limits()
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if not path.is_file():
        raise InputError("not a regular file", file=str(path))
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    compressed = raw[:2] == GZIP_MAGIC
    data = gunzip_capped(raw, path, limits) if compressed else raw
    data = check_utf8(data, path)
    if _NON_SPACE.search(data) is None:  # not data.strip(): that copies the whole file
        raise InputError("the file is empty", file=str(path))
    return InputText(
        path=path, data=data, sha256=digest, format=sniff_format(path, data), compressed=compressed
    )
