"""The variables a message template sees: Pinpoint's namespace, built from an endpoint row.

An endpoint row has Pinpoint's dotted column names (``User.UserAttributes.FirstName``, ``Attributes.plan``,
``Demographic.Platform``, ``Metrics.purchases``...). Templates address them exactly as Pinpoint's do, so the row
becomes nested dicts: ``{"User": {"UserId": ..., "UserAttributes": {"FirstName": [...]}}, "Attributes": {...},
...}``.

How values print (one function, :func:`to_text`, used by both renderers so that they agree):

- a missing value (a null column, an empty list) is *absent* from the namespace: it renders as empty text and
  is listed as missing, as Pinpoint does;
- attributes are lists of strings, as in Pinpoint; a list prints the way Handlebars prints a JavaScript array,
  comma-joined without spaces (``["a", "b"]`` -> ``a,b``); ``{{Attributes.x.[0]}}`` takes one item;
- numbers print the way JavaScript prints them: a whole float without a spurious ``.0`` (``2.0`` -> ``2``),
  ``NaN``, ``Infinity``; other floats as Python's shortest repr (``0.1``, ``2.5``);
- booleans print ``true``/``false``; timestamps print as ISO 8601 in UTC with milliseconds
  (``2024-05-01T08:30:00.000Z``), the form Pinpoint stores ``EffectiveDate`` and ``CreationDate`` in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

#: the families whose values are lists of strings in Pinpoint (a default or substitution for them becomes a list)
LIST_FAMILIES = ("Attributes.", "User.UserAttributes.")


def is_list_path(path: str) -> bool:
    """True for a variable of a list-valued family (``Attributes.x``, ``User.UserAttributes.x``)."""
    return path.startswith(LIST_FAMILIES) and path.count(".") == path.startswith("User.") + 1


def to_text(value: Any) -> str:
    """How a value prints in a message (see the module docstring); the single rule both renderers follow."""
    if value is None:
        return ""
    if isinstance(value, str):  # includes markupsafe.Markup, which must stay Markup
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ",".join(to_text(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"  # what Handlebars prints for an object
    return str(value)  # jinja2's Undefined prints "" (and records itself as missing)


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:  # JavaScript switches to exponent notation at 1e21
        return str(int(value))
    return repr(value)


def split_path(path: str) -> list[str | int]:
    """``"User.UserAttributes.FirstName.[0]"`` -> ``["User", "UserAttributes", "FirstName", 0]``."""
    out: list[str | int] = []
    for seg in path.split("."):
        if seg.startswith("[") and seg.endswith("]"):
            inner = seg[1:-1]
            out.append(int(inner) if inner.isdigit() else inner)
        else:
            out.append(seg)
    return out


def _clean(value: Any) -> Any:
    """A column value as the namespace holds it, or None when it counts as missing."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        if not value:
            return None
        # Pinpoint attribute arrays have no null items; a null item prints as "" in both renderers
        return ["" if v is None else v for v in value]
    return value


def endpoint_context(row: Mapping[str, Any]) -> dict[str, Any]:
    """The Pinpoint variable namespace for one endpoint row (dotted column names -> nested dicts).

    Null columns and empty lists are left out, so that templates see them as missing. A row that already holds
    nested dicts (``{"User": {"UserId": "u1"}}``) is merged as it is.
    """
    ctx: dict[str, Any] = {"Attributes": {}, "Demographic": {}, "Location": {}, "Metrics": {}, "User": {}}
    ctx["User"]["UserAttributes"] = {}
    for key, raw in row.items():
        if isinstance(raw, Mapping):
            _merge(ctx.setdefault(key, {}), raw)
            continue
        value = _clean(raw)
        if value is None:
            continue
        segments = key.split(".")
        node = ctx
        for seg in segments[:-1]:
            nxt = node.get(seg)
            if not isinstance(nxt, dict):
                nxt = node[seg] = {}
            node = nxt
        node[segments[-1]] = value
    return ctx


def _merge(into: dict, other: Mapping) -> None:
    for key, value in other.items():
        if isinstance(value, Mapping):
            sub = into.get(key)
            if not isinstance(sub, dict):
                sub = into[key] = {}
            _merge(sub, value)
        else:
            cleaned = _clean(value)
            if cleaned is not None:
                into[key] = cleaned


def endpoint_rows(
    store: Any,
    *,
    ids: Sequence[str] | None = None,
    user_id: str | None = None,
    address: str | None = None,
) -> list[dict[str, Any]]:
    """Endpoint rows (dotted column names, as the ``endpoints`` view has them) by id, user id or address.

    Conditions combine with AND; with none given, every endpoint is returned (mind the size). Values are passed
    as query parameters, never formatted into the SQL.
    """
    where, params = [], []
    if ids is not None:
        where.append("list_contains(?::VARCHAR[], Id)")
        params.append(list(ids))
    if user_id is not None:
        where.append('"User.UserId" = ?')
        params.append(user_id)
    if address is not None:
        where.append("Address = ?")
        params.append(address)
    sql = "SELECT * FROM endpoints" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY Id"
    return store.query(sql, params).to_dicts()


def _normal_key(key: str) -> tuple[list[str | int], str]:
    segments = split_path(key)
    while segments and isinstance(segments[-1], int):  # "Attributes.x.[0]" is a default for Attributes.x
        segments.pop()
    return segments, ".".join(str(s) for s in segments)


def _overlay(ctx: dict, key: str, value: Any, *, override: bool) -> None:
    segments, path = _normal_key(key)
    if not segments or any(isinstance(s, int) for s in segments):
        return
    if is_list_path(path):
        value = [to_text(v) for v in value] if isinstance(value, list | tuple) else [to_text(value)]
        if not value:
            return
    node = ctx
    for seg in segments[:-1]:
        nxt = node.get(seg)
        if nxt is None:
            nxt = node[seg] = {}
        elif not isinstance(nxt, dict):
            return
        node = nxt
    if override or segments[-1] not in node:
        node[segments[-1]] = value


def message_context(
    endpoint: Mapping[str, Any], defaults: Mapping[str, Any], substitutions: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The namespace a template renders against: the endpoint's, with substitutions, then defaults applied."""
    ctx = endpoint_context(endpoint)
    for key, value in (substitutions or {}).items():
        _overlay(ctx, key, value, override=True)
    for key, value in (defaults or {}).items():
        _overlay(ctx, key, value, override=False)
    return ctx
