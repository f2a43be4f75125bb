"""The fast renderer: parts that are substitutions only, rendered for a whole audience with Polars expressions.

A part qualifies when its (translated) Jinja2 is literal text and variables only: ``{{Attributes.plan}}``,
``{{User.UserAttributes.FirstName.[0]}}``, ``{{{raw}}}``, ``{{ x|default('y') }}``. Its output is the Jinja2
path's, character for character (tests/test_messages_fast.py holds them to it with a hypothesis differential
test): the same value text (context.to_text), the same defaults and substitutions (render.message_context on an
empty row gives the static overlays), the same HTML escaping (markupsafe's five characters), the same names for
missing variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from jinja2 import nodes

from .context import message_context, to_text

_ESCAPE_FROM = ["&", "<", ">", '"', "'"]
_ESCAPE_TO = ["&amp;", "&lt;", "&gt;", "&#34;", "&#39;"]  # markupsafe.escape, exactly


class NotFast(Exception):
    """This audience or these overlays need the per-row Jinja2 path."""


@dataclass(frozen=True)
class Var:
    """A variable reference: its path segments (ints are list indexes), unescaped?, a ``default`` filter's text."""

    segments: tuple[str | int, ...]
    raw: bool = False
    default: str | None = None

    @property
    def name(self) -> tuple[str, ...]:
        return tuple(s for s in self.segments if isinstance(s, str))

    @property
    def index(self) -> int | None:
        return self.segments[-1] if isinstance(self.segments[-1], int) else None

    @property
    def path(self) -> str:
        """The name Jinja2's path gives it when missing: ``Attributes.x.[0]``."""
        return ".".join(f"[{s}]" if isinstance(s, int) else s for s in self.segments)


Plan = tuple  # of str (literal text) and Var


def plan(ast: nodes.Template, env: Any) -> Plan | None:
    """The pieces of a substitutions-only part, or None when the part needs Jinja2."""
    pieces: list[Any] = []
    for node in ast.body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                pieces.append(child.data)
                continue
            var = _var(child, env)
            if var is None:
                return None
            pieces.append(var)
    return tuple(pieces)


def _var(node: nodes.Node, env: Any) -> Var | None:
    raw, default = False, None
    if isinstance(node, nodes.Filter) and node.name == "hb_raw" and not node.args and not node.kwargs:
        raw, node = True, node.node
    if isinstance(node, nodes.Filter) and node.name in ("default", "d"):
        if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) != 1:
            return None
        arg = node.args[0]
        if not isinstance(arg, nodes.Const) or not isinstance(arg.value, str):
            return None
        default, node = arg.value, node.node
    segments: list[str | int] = []
    while True:
        if isinstance(node, nodes.Getattr):
            segments.insert(0, node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            value = node.arg.value
            if isinstance(value, bool) or not isinstance(value, int | str):
                return None
            segments.insert(0, value)
            node = node.node
        elif isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name in env.globals or node.name in ("loop", "this", "caller"):
                return None
            segments.insert(0, node.name)
            break
        else:
            return None
    ints = [i for i, s in enumerate(segments) if isinstance(s, int)]
    if ints and (len(ints) > 1 or ints[0] != len(segments) - 1):
        return None  # only one list index, at the end (Attributes.x.[0])
    return Var(tuple(segments), raw, default)


def _lookup(tree: Any, name: tuple[str, ...]) -> Any:
    """The value at ``name`` in a static overlay, None when absent; NotFast when a non-dict sits on the way."""
    node = tree
    for i, seg in enumerate(name):
        if not isinstance(node, dict):
            raise NotFast(".".join(name[:i]))
        if seg not in node:
            return None
        node = node[seg]
    return node


def _static_text(value: Any, index: int | None) -> str | None:
    if value is None:
        return None
    if index is None:
        if isinstance(value, dict):
            raise NotFast("an object")
        return to_text(value)
    if not isinstance(value, list):
        raise NotFast("index into a non-list")
    try:
        return to_text(value[index])
    except IndexError:
        return None


def _column_text(series: pl.Series, index: int | None) -> pl.Series:
    """The column as message text, null where the variable is missing."""
    dtype = series.dtype
    if isinstance(dtype, pl.List):
        if dtype.inner != pl.String:
            raise NotFast("a list of non-strings")
        items = series.list.eval(pl.element().fill_null(""))
        if index is not None:
            return items.list.get(index, null_on_oob=True)
        return pl.select(
            pl.when(series.list.len() > 0).then(items.list.join(",")).otherwise(None)
        ).to_series()
    if index is not None:
        raise NotFast("index into a non-list")
    if dtype == pl.String:
        return series
    cache: dict[Any, str] = {}
    texts = []
    for value in series.to_list():
        if value is None:
            texts.append(None)
            continue
        text = cache.get(value)
        if text is None:
            text = cache[value] = to_text(value)
        texts.append(text)
    return pl.Series(series.name, texts, dtype=pl.String)


def render(
    plans: dict[str, tuple[Plan, bool]],
    frame: pl.DataFrame,
    defaults: dict[str, Any],
    substitutions: dict[str, Any],
    *,
    max_chars: int,
) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[str, str, str]]]:
    """Render every part for every row: (Id + parts frame, Id + missing frame, errors); a part longer than
    ``max_chars`` is an error of its endpoint, as in the Jinja2 path."""

    static_subs = message_context({}, {}, substitutions)
    static_defaults = message_context({}, defaults, None)
    columns = set(frame.columns)
    prefixes = {".".join(c.split(".")[:i]) for c in columns for i in range(1, c.count(".") + 1)}

    values: dict[Var, pl.Series] = {}  # text, null when missing (after substitutions and defaults)
    for part_plan, _ in plans.values():
        for var in part_plan:
            if isinstance(var, str) or var in values:
                continue
            column = ".".join(var.name)
            if column in prefixes or any(".".join(var.name[:i]) in columns for i in range(1, len(var.name))):
                raise NotFast(column)
            substituted = _lookup(static_subs, var.name)
            if substituted is not None:
                text = _static_text(substituted, var.index)
                values[var] = pl.repeat(text, frame.height, dtype=pl.String, eager=True)
                continue
            fallback = _static_text(_lookup(static_defaults, var.name), var.index)
            if column in columns:
                series = _column_text(frame[column], var.index)
                present = (
                    frame[column].list.len() > 0
                    if isinstance(frame[column].dtype, pl.List)
                    else frame[column].is_not_null()
                )
                if fallback is not None:
                    series = pl.select(pl.when(present).then(series).otherwise(pl.lit(fallback))).to_series()
                values[var] = series
            else:
                values[var] = pl.repeat(fallback, frame.height, dtype=pl.String, eager=True)

    ids = frame["Id"] if "Id" in columns else pl.repeat(None, frame.height, dtype=pl.String, eager=True)
    exprs = []
    for name, (part_plan, html) in plans.items():
        pieces = []
        for piece in part_plan:
            if isinstance(piece, str):
                pieces.append(pl.lit(piece, dtype=pl.String))
                continue
            expr = pl.lit(values[piece]).fill_null(piece.default if piece.default is not None else "")
            if html and not piece.raw:
                expr = expr.str.replace_many(_ESCAPE_FROM, _ESCAPE_TO)
            pieces.append(expr)
        if not pieces:
            exprs.append(pl.lit("", dtype=pl.String).alias(name))
        else:
            exprs.append(pl.concat_str(pieces).alias(name))
    out = pl.select(pl.lit(ids).cast(pl.String).alias("Id"), *exprs) if exprs else pl.DataFrame({"Id": ids})

    missing_paths = sorted({v.path for v in values if v.default is None})
    masks = []
    for path in missing_paths:
        nulls = [values[v].is_null() for v in values if v.path == path and v.default is None]
        mask = nulls[0]
        for other in nulls[1:]:
            mask = mask | other
        masks.append(pl.when(pl.lit(mask)).then(pl.lit(path)).otherwise(None))
    missing_col = (
        pl.select(pl.concat_list(masks).list.drop_nulls().alias("missing")).to_series()
        if masks
        else pl.repeat([], frame.height, dtype=pl.List(pl.String), eager=True)
    )
    missing = pl.DataFrame({"Id": out["Id"], "missing": missing_col})

    errors: list[tuple[str, str, str]] = []
    too_long = pl.repeat(False, frame.height, eager=True)
    for name in plans:
        over = out[name].str.len_chars() > max_chars
        if over.any():
            for endpoint_id in out.filter(over)["Id"].to_list():
                errors.append(
                    (
                        endpoint_id,
                        name,
                        f"limit: the rendered part is longer than {max_chars} characters",
                    )
                )
            too_long = too_long | over
    if too_long.any():
        keep = ~too_long
        out, missing = out.filter(keep), missing.filter(keep)
    missing = missing.filter(pl.col("missing").list.len() > 0)
    return out, missing, errors
