"""Reading input files safely: gzip with bomb caps, UTF-8 with the offending byte's offset, format sniffing."""

from __future__ import annotations

import hashlib
import mmap
import os
import re
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .sidework import Pieces

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
#: files at least this big are hashed in a worker thread while the main thread reads them
PARALLEL_HASH_BYTES = 8 << 20
HASH_CHUNK = 1 << 20
_NON_SPACE = re.compile(rb"\S")


@dataclass(frozen=True)
class Limits:
    """Caps for compressed input (settings ``[import] max_uncompressed_bytes`` / ``max_compression_ratio``)."""

    max_uncompressed_bytes: int = 4 << 30
    max_compression_ratio: float = 100.0
    #: the ratio check starts once this much has been produced (tiny files compress oddly)
    ratio_grace_bytes: int = 8 << 20


@dataclass(frozen=True)
class InputText:
    """A decoded input file: its text, the raw bytes' SHA-256 and the format it holds.

    ``data`` is bytes, or for a big uncompressed CSV file a read-only memory map of the file as it is on disk
    (``mapped``): no copy of it is made, Polars parses the file itself, and the UTF-8 check and the SHA-256
    run in low-priority helper threads meanwhile (``ensure_utf8()`` and ``sha256`` finish them).
    """

    path: Path
    data: bytes | mmap.mmap  # decompressed, BOM removed; UTF-8 validated (a mapped file: see ensure_utf8)
    digest: str | Callable[[], str]
    format: str  # "csv" | "json"
    compressed: bool
    stat: tuple[int, int] | None = None  # (size, mtime ns) of a mapped file when it was opened
    utf8: Pieces[bool] | None = None  # a mapped file's UTF-8 check, under way

    def ensure_utf8(self) -> None:
        """Raise naming the first byte that is not UTF-8 (at once for a file that was read: it was checked)."""
        if self.utf8 is not None and not self.utf8.results()[0]:
            _raise_not_utf8(self.data[:], self.path)

    @property
    def sha256(self) -> str:
        """The SHA-256 (hex) of the file's raw bytes."""
        return self.digest if isinstance(self.digest, str) else self.digest()

    @property
    def mapped(self) -> bool:
        """``data`` is the file on disk, byte for byte (so a parser may read the file by its path)."""
        return self.stat is not None

    def check_unchanged(self) -> None:
        """Raise if a mapped file was changed since it was opened (its bytes and what was parsed could differ)."""
        if self.stat is not None and _stat_key(self.path) != self.stat:
            raise InputError(
                "the file changed while it was being imported; nothing was imported, try again once it is "
                "written completely",
                file=str(self.path),
            )


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


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
        line = data.count(b"\n", 0, err.start) + 1
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
    import csv

    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset]
    if b'"' not in prefix:  # no quoting before it: every comma ends a cell
        return prefix.count(b",")
    return len(next(csv.reader([prefix.decode("utf-8", errors="replace") + "x"]))) - 1


def _csv_field_at(data: bytes, offset: int) -> str | None:
    """The CSV header name of the cell holding byte ``offset`` (None when the file is not a readable CSV)."""
    import csv

    header_end = data.find(b"\n")
    try:
        header = next(csv.reader([data[:header_end].decode("utf-8").rstrip("\r")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return None
    if len(header) < 2:
        return None
    index = column_at(data, offset)
    return header[index] if index < len(header) else None


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


def read_and_hash(path: Path) -> tuple[bytes, str]:
    """The file's bytes and their SHA-256 (hex).

    A big file is hashed in a worker thread, by positional reads of the same open file, while the main thread
    reads it (file reads and hashlib both release the GIL), which nearly halves the time on two cores. Should
    the file change meanwhile (its size or modification time differ afterwards), the bytes that were read are
    hashed again, so the digest always belongs to the returned bytes.
    """
    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        if before.st_size < PARALLEL_HASH_BYTES or not hasattr(os, "pread"):
            data = fh.read()
            return data, hashlib.sha256(data).hexdigest()

        def digest_file() -> str:  # positional reads of the same open file: its offset is the reader's
            sha, fd, offset = hashlib.sha256(), fh.fileno(), 0
            while chunk := os.pread(fd, HASH_CHUNK, offset):
                sha.update(chunk)
                offset += len(chunk)
            return sha.hexdigest()

        with ThreadPoolExecutor(1, thread_name_prefix="sha256") as pool:
            future = pool.submit(digest_file)
            data = fh.read()
            try:
                digest: str | None = future.result()
            except OSError:
                digest = None
        after = os.fstat(fh.fileno())
    unchanged = before.st_mtime_ns == after.st_mtime_ns and before.st_size == after.st_size == len(data)
    return data, digest if digest is not None and unchanged else hashlib.sha256(data).hexdigest()


#: uncompressed CSV files at least this big are memory-mapped instead of read (see InputText)
MAP_BYTES = 8 << 20
#: a mapped file is hashed in pieces of this size (a helper thread and the one that needs the digest share them)
HASH_PIECE = 8 << 20


def _sha256_beside(data: mmap.mmap) -> Callable[[], str]:
    """Start hashing ``data`` in a low-priority helper thread (``sidework``); the returned function finishes
    the hash and gives its hex digest. hashlib releases the GIL for each piece."""
    sha = hashlib.sha256()
    view = memoryview(data)
    pieces = Pieces(
        -(-len(view) // HASH_PIECE),
        lambda i: sha.update(view[i * HASH_PIECE : (i + 1) * HASH_PIECE]),
        in_order=True,
        name="sha256",
    )

    def digest() -> str:
        pieces.results()
        return sha.hexdigest()

    return digest


def _map_csv(path: Path) -> InputText | None:
    """A big, plain UTF-8 CSV file as a memory map (None: read it the usual way)."""
    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        if before.st_size < MAP_BYTES or not before.st_size:
            return None
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    head = data[:4096]
    if head[:2] == GZIP_MAGIC or head[:3] == b"\xef\xbb\xbf" or sniff_format(path, head) != "csv":
        data.close()
        return None
    if _NON_SPACE.search(data) is None:
        raise InputError("the file is empty", file=str(path))
    # both beside the parse: Polars checks UTF-8 as it reads (the check here is for the exact offset, and for
    # bytes Polars does not read, like a ragged row's extra fields)
    utf8 = Pieces(1, lambda _: utf8_valid(data), name="utf8-check")
    return InputText(
        path=path,
        data=data,
        digest=_sha256_beside(data),
        format="csv",
        compressed=False,
        stat=(before.st_size, before.st_mtime_ns),
        utf8=utf8,
    )


def read_input(path: Path, limits: Limits | None = None, *, map_file: bool = False) -> InputText:
    """Read, decompress (``.gz``), validate as UTF-8 and sniff one input file.

    ``map_file``: a big uncompressed CSV file may come back memory-mapped (see InputText), for readers that
    handle that.
    """
    limits = limits or Limits()
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if not path.is_file():
        raise InputError("not a regular file", file=str(path))
    if map_file and (mapped := _map_csv(path)) is not None:
        return mapped
    raw, digest = read_and_hash(path)
    compressed = raw[:2] == GZIP_MAGIC
    data = gunzip_capped(raw, path, limits) if compressed else raw
    data = check_utf8(data, path)
    if _NON_SPACE.search(data) is None:  # not data.strip(): that copies the whole file
        raise InputError("the file is empty", file=str(path))
    return InputText(
        path=path, data=data, digest=digest, format=sniff_format(path, data), compressed=compressed
    )
