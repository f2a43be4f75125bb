"""A segment definition (``SegmentSpec``): Pinpoint's ``WriteSegmentRequest`` as given, its condition tree,
the checks against a project's columns, and Pinpoint's limits.

The request is kept as given, so a definition exported from Pinpoint is written back unchanged, with one
exception: a country or channel written otherwise than the import stores it (``usa``, ``email``) is rewritten to
the stored value (``US``, ``EMAIL``), with a warning, so that what is saved and shown is what is counted. Its
condition tree (``_tree``) comes from the JSON reader (``_json_read``); a tree built in Python is written as
JSON by ``_json_write``, said in words by ``_words``, and compiled by ``_sql`` and ``_polars``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, suggest
from . import _json_write, _words
from . import _tree as t
from ._json_read import MAX_GROUP_NESTING, MAX_JSON_DEPTH, Reader, dotted
from ._tree import DEMOGRAPHIC_COLUMNS, SET_DIMENSION_COLUMNS

__all__ = ["DEMOGRAPHIC_COLUMNS", "MAX_DIMENSIONS", "SET_DIMENSION_COLUMNS", "SegmentSpec"]

MAX_DIMENSIONS = 100  # Pinpoint's quota per segment: every condition (leaf of the tree) is one dimension
#: group levels a condition tree may have (read JSON makes two per AllOf / AnyOf / NoneOf: the list and each
#: set in it), resolved segment references included; what the compilers' recursion is sized for
MAX_TREE_DEPTH = 2 * MAX_GROUP_NESTING + 8


@dataclass(frozen=True)
class SegmentSpec:
    """A segment definition: the ``WriteSegmentRequest`` JSON as given (countries and channels as stored: see
    ``from_json``), and its condition tree.

    ``condition`` is None for an imported (static) segment, whose members are a stored list.
    """

    request: dict
    condition: t.Node | None
    #: (warning class, message) for each value read otherwise than written ("usa" read as "US"); a ``Segment``
    #: made from this spec warns them
    notes: tuple[tuple[type[Warning], str], ...] = field(default=(), compare=False)
    #: the file and JSON text the request was read from (each None when not given): errors found later, such as
    #: a source segment that does not exist, name the line
    origin: tuple[str | None, str | None] = field(default=(None, None), compare=False, repr=False)

    @property
    def name(self) -> str | None:
        """The request's ``Name``, if it has one."""
        return self.request.get("Name")

    @property
    def segment_type(self) -> str:
        """``DIMENSIONAL`` (a condition) or ``IMPORT`` (an imported list of endpoints)."""
        return "IMPORT" if self.condition is None else "DIMENSIONAL"

    @classmethod
    def from_json(
        cls,
        source: str | bytes | dict | Path,
        *,
        columns: Iterable[str] | None = None,
        file: str | None = None,
    ) -> SegmentSpec:
        """Read a ``WriteSegmentRequest`` (a dict, JSON text, or the path of a .json file, as a Path or a str) and
        validate it.

        A str is a path when it does not start with ``{`` and names a file or ends with ``.json``. Files are
        UTF-8 (a byte-order mark is fine); a key repeated in one object is an error (JSON would keep only the
        last, dropping a condition). ``columns`` (the project's endpoint columns) turns on name checks: an unknown
        attribute or metric is an error that names it and suggests close names from the data. A country or
        channel written otherwise than the import stores it (``usa``, ``email``) is read as the stored value
        (``US``, ``EMAIL``) in the condition and in ``request``; ``notes`` holds the warnings that says so.
        """
        text = None
        if isinstance(source, str) and _is_path(source):
            source = Path(source.strip())
        if isinstance(source, Path):
            file = file or str(source)
            text = _decode(_read_file(source, file), file)
        elif isinstance(source, bytes):
            text = _decode(source, file)
        elif isinstance(source, str):
            text = source.removeprefix("\ufeff")  # (text read without utf-8-sig keeps the mark)
        obj = source if text is None else _parse(text, file)
        reader = Reader(file, text, columns)
        node = reader.request(obj)
        if node is not None:
            _check_dimension_count(node, file)
        request = copy.deepcopy(obj)
        for path, value, _, _ in reader.rewrites:
            _set(request, path, value)
        notes = tuple((kind, message) for _, _, kind, message in reader.rewrites)
        return cls(request, node, notes, origin=(file, text))

    @classmethod
    def from_condition(cls, condition: t.Node, name: str | None = None) -> SegmentSpec:
        """The spec for a condition tree (what the builder saves), in Pinpoint's shape where it can be."""
        check_depth(condition)
        return cls(_json_write.to_request(condition, name), condition)

    def source_segments(self) -> list[tuple[list[Any], str, int | None]]:
        """The segments this request names in ``SegmentGroups.Groups[].SourceSegments``: (JSON path of the
        name's key, segment id or name, version or None), in the order of the request."""
        found: list[tuple[list[Any], str, int | None]] = []
        groups = (self.request.get("SegmentGroups") or {}).get("Groups") or []
        for i, group in enumerate(groups):
            for j, source in enumerate(group.get("SourceSegments") or []):
                key = "Id" if "Id" in source else "Name"
                found.append(
                    (
                        ["SegmentGroups", "Groups", i, "SourceSegments", j, key],
                        source[key],
                        source.get("Version"),
                    )
                )
        return found

    def error_at(self, path: list[Any], reason: str) -> InputError:
        """An InputError at ``path`` of the request, naming the file and line when it was read from one."""
        file, text = self.origin
        return Reader(file, text, None).fail(path, reason)

    def check(self, columns: Iterable[str]) -> None:
        """Validate names against the project's endpoint columns (raises InputError naming the field)."""
        if self.condition is not None:
            self.from_json(self.request, columns=columns)
        _check_tree_columns(self.condition, set(columns))

    def to_json(self, indent: int | None = 2) -> str:
        """The ``WriteSegmentRequest`` JSON (what ``aws pinpoint create-segment`` would take)."""
        return json.dumps(self.request, indent=indent)

    def describe(self) -> str:
        """The conditions in words."""
        if self.condition is None:
            size = self.request.get("ImportDefinition", {}).get("Size")
            return "imported list of endpoints" + (f" ({size:,})" if isinstance(size, int) else "")
        return _words.describe(self.condition)


def check_depth(node: t.Node, what: str = "the condition") -> None:
    """InputError when ``node`` nests groups deeper than MAX_TREE_DEPTH (the compilers recurse per level)."""
    levels = t.depth(node)
    if levels > MAX_TREE_DEPTH:
        raise InputError(
            f"{what} nests {levels} levels of AND / OR / NOT groups; at most {MAX_TREE_DEPTH} are allowed"
        )


def _check_dimension_count(node: t.Node, file: str | None) -> None:
    count = len(t.leaves(node))
    if count > MAX_DIMENSIONS:
        raise InputError(f"{count} dimensions; a segment can have at most {MAX_DIMENSIONS}", file=file)


def _check_tree_columns(node: t.Node | None, columns: set[str]) -> None:
    if node is None:
        return
    for leaf in t.leaves(node):
        column = (
            SET_DIMENSION_COLUMNS[leaf.dimension]
            if isinstance(leaf, t.ValueIn)
            else getattr(leaf, "column", None)
        )
        if column and column not in columns:
            prefix = column.rsplit(".", 1)[0] + "." if "." in column else ""
            names = sorted(c for c in columns if c.startswith(prefix))
            raise InputError(
                f"unknown column {column!r}: no endpoint has it{suggest(column, names)}", field=column
            )


# --- reading a spec's text --------------------------------------------------------------------------------------------


def _is_path(text: str) -> bool:
    """Whether a str given as a spec is a path: not JSON text (which starts with "{"), and it names a file or
    ends with .json."""
    name = text.strip()
    if not name or name.startswith("{"):
        return False
    if name.lower().endswith(".json"):
        return True
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL byte: not a path
        return False


def _read_file(path: Path, file: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a .json file", file=file) from None
    except OSError as err:
        raise InputError(f"cannot read the spec: {err.strerror}", file=file) from None


def _decode(data: bytes, file: str | None) -> str:
    """The text of a spec file: UTF-8, with or without a byte-order mark; InputError naming the file (and the line
    of the first invalid byte) for anything else, as the endpoint import says it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
        raise InputError(
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark, or has NUL bytes); save it as UTF-8 "
            "(Pinpoint accepts UTF-8 only)",
            file=file,
            line=1,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        start = err.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise InputError(
            f"not UTF-8: invalid byte 0x{data[start : start + 1].hex()} at byte offset {start}; save the file "
            "as UTF-8 (Pinpoint accepts UTF-8 only)",
            file=file,
            line=data.count(b"\n", 0, start) + 1,
        ) from None


def _parse(text: str, file: str | None) -> object:
    """JSON text as Python objects; InputError naming the line for invalid JSON and for a key repeated in one
    object (``json.loads`` would keep the last silently, dropping the first's conditions)."""
    repeated: list[tuple[dict, str]] = []  # (object, its first repeated key); holding them keeps their ids

    def pairs(items: list[tuple[str, object]]) -> dict:
        obj: dict = {}
        first = None
        for key, value in items:
            if first is None and key in obj:
                first = key
            obj[key] = value
        if first is not None:
            repeated.append((obj, first))
        return obj

    try:
        obj = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as err:
        raise InputError(
            f"not valid JSON: {err.msg} (column {err.colno})", file=file, line=err.lineno
        ) from None
    except RecursionError:
        raise InputError(f"the spec's JSON nests more than {MAX_JSON_DEPTH} levels deep", file=file) from None
    if repeated:
        path, key = _first_repeated(obj, {id(o): k for o, k in repeated})
        where = dotted(path) or "the top-level object"
        raise InputError(
            f"key {key!r} appears more than once in {where}: JSON keeps only the last, which would drop the "
            f"conditions of the others; merge them into one {key!r}",
            file=file,
            line=_second_key_line(text, [*path, key]),
            field=dotted([*path, key]),
        )
    return obj


def _first_repeated(obj: object, repeated: dict[int, str]) -> tuple[list, str]:
    """The path of the first object (in document order) holding a repeated key, and that key."""
    stack: list[tuple[object, list]] = [(obj, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if id(node) in repeated:
                return path, repeated[id(node)]
            stack.extend(reversed([(v, [*path, k]) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(v, [*path, i]) for i, v in enumerate(node)]))
    # only inside a value a repeat dropped (its object's own repeat is found above): name the key alone
    return [], next(iter(repeated.values()))


def _second_key_line(text: str, path: list) -> int | None:
    """Best effort: the line of the second occurrence of the path's last key, following its keys in order."""
    pos = 0
    for part in path:
        if isinstance(part, int):
            continue
        at = text.find(json.dumps(str(part)), pos)
        if at < 0:
            return None
        pos = at + 1
    at = text.find(json.dumps(str(path[-1])), pos)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _set(request: object, path: list, value: str) -> None:
    """Put ``value`` at ``path`` (keys and list indexes) in ``request``."""
    node: Any = request
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
