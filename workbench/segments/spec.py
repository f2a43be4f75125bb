"""A segment definition (``SegmentSpec``): Pinpoint's ``WriteSegmentRequest`` as given, its condition tree,
the checks against a project's columns, and Pinpoint's limits.

The request is kept exactly as given, so a definition exported from Pinpoint is written back unchanged. Its
condition tree (``_tree``) comes from the JSON reader (``_json_read``); a tree built in Python is written as
JSON by ``_json_write``, said in words by ``_words``, and compiled by ``_sql`` and ``_polars``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, suggest
from . import _json_write, _words
from . import _tree as t
from ._json_read import MAX_GROUP_NESTING, MAX_JSON_DEPTH, read_request
from ._tree import DEMOGRAPHIC_COLUMNS, SET_DIMENSION_COLUMNS

__all__ = ["DEMOGRAPHIC_COLUMNS", "MAX_DIMENSIONS", "SET_DIMENSION_COLUMNS", "SegmentSpec"]

MAX_DIMENSIONS = 100  # Pinpoint's quota per segment: every condition (leaf of the tree) is one dimension
#: group levels a condition tree may have (read JSON makes two per AllOf / AnyOf / NoneOf: the list and each
#: set in it), resolved segment references included; what the compilers' recursion is sized for
MAX_TREE_DEPTH = 2 * MAX_GROUP_NESTING + 8


@dataclass(frozen=True)
class SegmentSpec:
    """A segment definition: the ``WriteSegmentRequest`` JSON as given, and its condition tree.

    ``condition`` is None for an imported (static) segment, whose members are a stored list.
    """

    request: dict
    condition: t.Node | None

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
        """Read a ``WriteSegmentRequest`` (a dict, JSON text, or a path to a .json file) and validate it.

        ``columns`` (the project's endpoint columns) turns on name checks: an unknown attribute or metric is an
        error that names it and suggests close names from the data.
        """
        text = None
        if isinstance(source, Path):
            file = file or str(source)
            try:
                text = source.read_text(encoding="utf-8")
            except OSError as err:
                raise InputError(f"cannot read the spec: {err.strerror}", file=file) from None
        elif isinstance(source, str | bytes):
            text = source.decode() if isinstance(source, bytes) else source
        if text is not None:
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                raise InputError(
                    f"not valid JSON: {err.msg} (column {err.colno})", file=file, line=err.lineno
                ) from None
            except RecursionError:
                raise InputError(
                    f"the spec's JSON nests more than {MAX_JSON_DEPTH} levels deep", file=file
                ) from None
        else:
            obj = source
        node = read_request(obj, file=file, text=text, columns=columns)
        if node is not None:
            _check_dimension_count(node, file)
        return cls(copy.deepcopy(obj), node)

    @classmethod
    def from_condition(cls, condition: t.Node, name: str | None = None) -> SegmentSpec:
        """The spec for a condition tree (what the builder saves), in Pinpoint's shape where it can be."""
        check_depth(condition)
        return cls(_json_write.to_request(condition, name), condition)

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
