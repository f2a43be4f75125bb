"""Rendering message templates: Pinpoint's Handlebars (translated) or Jinja2, in a sandbox, with limits.

Every part renders in ``jinja2.sandbox.ImmutableSandboxedEnvironment``; HTML parts with autoescaping (markupsafe:
``& < > " '`` become ``&amp; &lt; &gt; &#34; &#39;``), text parts without. A missing value without a default
renders empty, as in Pinpoint, and is listed in ``missing``. ``DefaultSubstitutions`` fill missing values (keys
are variable paths as Pinpoint writes them: ``User.UserAttributes.FirstName``); ``substitutions`` (Pinpoint's
message-level ``Substitutions``) replace values, present or not: substitutions > endpoint values > defaults.

Limits, enforced in the rendering process itself (no worker processes, no threads):

- output: at most :data:`MAX_PART_CHARS` characters per part (Pinpoint's email template quota); string and list
  repetition (``'A' * 10**8``), ``**``, ``~`` and the size-taking filters are checked *before* they allocate;
- time: :data:`MAX_RENDER_SECONDS` per message, checked between output chunks and inside loops;
- loops: :data:`MAX_LOOP_ITERATIONS` iterations per message (nested loops that print nothing still stop);
  ``range()`` gives at most :data:`MAX_RANGE` numbers;
- the sandbox: no ``cycler``/``lipsum``/``joiner``/``namespace``/``self``, no attribute starting with ``_``, no
  method call other than a few harmless ``str``/``dict``/``list`` ones, no ``str.format``, no ``%`` formatting, no
  ``attr``/``format``/``xmlattr`` filters, no ``include``/``import``/``extends``.

A message that breaks a limit or fails raises :class:`RenderError` naming the endpoint and the part
(:func:`render_parts`), or is collected with its endpoint (:func:`render_frame`), never failing the audience.

:func:`render_frame` renders parts that are substitutions only (literal text and variables, with or without
defaults) for the whole audience at once with Polars string expressions (``_fast.py``), with output identical
to this module's Jinja2 path (a hypothesis differential test holds them to it).
"""

from __future__ import annotations

import functools
import html as _html
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, Undefined, nodes
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing as _jinja_missing
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from ..errors import InputError, WorkbenchError, suggest
from . import handlebars
from .context import message_context, to_text
from .handlebars import safe_url

#: the longest a rendered part may be: Pinpoint's email template quota (SMS length is checked by messages.sms)
MAX_PART_CHARS = 600_000
#: the longest one message (all its parts) may take to render
MAX_RENDER_SECONDS = 2.0
#: loop iterations per message, over all loops
MAX_LOOP_ITERATIONS = 100_000
#: the most numbers ``range()`` gives
MAX_RANGE = 10_000
#: the largest integer (in bits) arithmetic may produce
MAX_INT_BITS = 4096

_FORBIDDEN_NAMES = {"self", "cycler", "lipsum", "joiner", "namespace"}
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        [
            "upper",
            "lower",
            "title",
            "capitalize",
            "strip",
            "lstrip",
            "rstrip",
            "startswith",
            "endswith",
            "split",
            "rsplit",
            "splitlines",
            "count",
            "find",
            "rfind",
            "isdigit",
            "isalpha",
            "isalnum",
            "isspace",
            "isupper",
            "islower",
            "swapcase",
            "casefold",
            "zfill",
        ]
    ),
    dict: frozenset({"items", "keys", "values", "get"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
}
_ALLOWED_FILTERS = [
    "abs",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
    "wordwrap",
]


class RenderError(WorkbenchError):
    """One message could not be rendered: names the endpoint, the part and why."""

    def __init__(self, endpoint_id: str | None, part: str, reason: str):
        self.endpoint_id = endpoint_id
        self.part = part
        self.reason = reason
        super().__init__(f"endpoint {endpoint_id}: part {part}: {reason}")

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {"endpoint_id": self.endpoint_id, "part": self.part, "reason": self.reason}


class _LimitError(Exception):
    """A render limit was reached."""


@dataclass(frozen=True)
class TemplatePart:
    """One part of a template (Subject, HtmlPart, TextPart, Body...): its source and whether it is HTML."""

    source: str
    html: bool = False


@dataclass
class RenderedMessage:
    """One endpoint's rendered parts, and the variables that were missing (rendered empty), sorted."""

    parts: dict[str, str]
    missing: list[str] = field(default_factory=list)


# --- the sandbox ------------------------------------------------------------------------------------------


@dataclass
class _State:
    deadline: float
    iterations: int = 0
    missing: set[str] = field(default_factory=set)


_STATE: ContextVar[_State | None] = ContextVar("workbench_render_state", default=None)


class _Missing(Undefined):
    """A missing variable: prints empty and records its full path (``User.UserAttributes.FirstName``)."""

    __slots__ = ("_path",)

    def __init__(self, hint=None, obj=_jinja_missing, name=None, exc=None, path=None):
        from jinja2.exceptions import UndefinedError

        super().__init__(hint, obj, name, exc or UndefinedError)
        self._path = path or (name if isinstance(name, str) else None) or "?"

    def _child(self, segment: str) -> _Missing:
        return _Missing(path=f"{self._path}.{segment}")

    def __str__(self) -> str:
        state = _STATE.get()
        if state is not None:
            state.missing.add(self._path)
        return ""

    def _fail_with_undefined_error(self, *args, **kwargs):
        from jinja2.exceptions import UndefinedError

        raise UndefinedError(f"'{self._path}' is missing and cannot be used this way")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _fail_with_undefined_error
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = (
        _fail_with_undefined_error
    )
    __pos__ = __neg__ = __call__ = __getitem__ = __lt__ = __le__ = __gt__ = __ge__ = (
        _fail_with_undefined_error
    )
    __int__ = __float__ = __complex__ = __pow__ = __rpow__ = _fail_with_undefined_error


class _Node(dict):
    """A dict of the variable namespace that knows its path (for the names of missing variables)."""

    __slots__ = ("path",)


class _List(list):
    """An attribute's list of values that knows its path."""

    __slots__ = ("path",)


def _wrap(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        node = _Node((k, _wrap(v, f"{path}.{k}" if path else k)) for k, v in value.items())
        node.path = path
        return node
    if isinstance(value, list):
        items = _List(value)
        items.path = path
        return items
    return value


_NOTHING = object()


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with the workbench's limits (see the module docstring)."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            seq, n = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_PART_CHARS:
                raise _LimitError(
                    f"repeating {len(seq)} items {n} times is over the limit of {MAX_PART_CHARS}"
                )
        elif operator == "**":
            if (
                isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right > 0
                and left.bit_length() * right > MAX_INT_BITS
            ):
                raise _LimitError(f"{left} ** {right} is too large a number")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed in templates")
        result = self.binop_table[operator](left, right)
        _check_size(result)
        return result

    def getattr(self, obj, attribute):
        if isinstance(attribute, str) and attribute.startswith("_"):
            raise SecurityError(f"access to attribute {attribute!r} is not allowed in templates")
        if isinstance(obj, _Node):
            value = obj.get(attribute, _NOTHING)
            return _Missing(path=f"{obj.path}.{attribute}") if value is _NOTHING else value
        if isinstance(obj, _Missing):
            return obj._child(str(attribute))
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(argument, str) and (argument.startswith("_") or isinstance(obj, _Node | _Missing)):
            return self.getattr(obj, argument)
        if isinstance(obj, _Missing):
            return obj._child(f"[{argument}]")
        if isinstance(obj, _List) and isinstance(argument, int) and not isinstance(argument, bool):
            try:
                return obj[argument]
            except IndexError:
                return _Missing(path=f"{obj.path}.[{argument}]")
        return super().getitem(obj, argument)

    def is_safe_attribute(self, obj, attr, value):
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if not callable(value) or isinstance(obj, LoopContext):
            return True
        for typ, names in _SAFE_METHODS.items():
            if isinstance(obj, typ):
                return attr in names
        return False

    def unsafe_undefined(self, obj, attribute):
        raise SecurityError(
            f"access to attribute {attribute!r} of a {_type_name(obj)!r} value is not allowed in templates"
        )

    def wrap_str_format(self, value):
        return None  # str.format is refused by is_safe_attribute (its widths allocate unbounded strings)


def _type_name(obj: Any) -> str:
    return "dict" if isinstance(obj, _Node) else "list" if isinstance(obj, _List) else type(obj).__name__


def _check_size(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise _LimitError(f"a number over {MAX_INT_BITS} bits")
    if isinstance(value, str | list | tuple) and len(value) > MAX_PART_CHARS:
        raise _LimitError(f"a value longer than the limit of {MAX_PART_CHARS}")


def _tick(state: _State | None) -> None:
    if state is None:
        return
    state.iterations += 1
    if state.iterations > MAX_LOOP_ITERATIONS:
        raise _LimitError(f"more than {MAX_LOOP_ITERATIONS} loop iterations")
    if not state.iterations & 1023 and time.perf_counter() > state.deadline:
        raise _LimitError(f"rendering took longer than {MAX_RENDER_SECONDS} s")


def _guard_iter(iterable):
    """Every for loop iterates through this (added to the template's AST): counts iterations, checks time."""
    state = _STATE.get()
    for item in iterable:
        _tick(state)
        yield item


def _guard_concat(items, autoescape):
    """Every ``~`` goes through this: values print as messages print them, and the result's size is checked."""
    if sum(len(x) for x in items if isinstance(x, str)) > MAX_PART_CHARS:
        raise _LimitError(f"a value longer than the limit of {MAX_PART_CHARS}")
    texts = [x if hasattr(x, "__html__") else to_text(x) for x in items]
    if autoescape and any(isinstance(x, Markup) for x in texts):
        result = Markup("").join(texts)
    else:
        result = "".join(texts)
    _check_size(result)
    return result


def _safe_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _LimitError(f"range() of more than {MAX_RANGE} numbers")
    return numbers


def _bounded(fn, check):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        check(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper


def _check_join(eval_ctx, value, d="", attribute=None):
    n = len(value) if hasattr(value, "__len__") else 0
    if isinstance(d, str) and len(d) * n > MAX_PART_CHARS:
        raise _LimitError(f"join would be over the limit of {MAX_PART_CHARS} characters")


def _check_replace(eval_ctx, s, old, new, count=None):
    text, old, new = str(s), str(old), str(new)
    if (text.count(old) if old else len(text) + 1) * len(new) > MAX_PART_CHARS:
        raise _LimitError(f"replace would be over the limit of {MAX_PART_CHARS} characters")


def _check_width(value, width=80, *args, **kwargs):
    if isinstance(width, int) and width * (str(value).count("\n") + 1) > MAX_PART_CHARS:
        raise _LimitError(f"a width of {width} is over the limit of {MAX_PART_CHARS} characters")


def _check_count(value, count, *args, **kwargs):
    if isinstance(count, int) and count > MAX_RANGE:
        raise _LimitError(f"{count} is over the limit of {MAX_RANGE}")


@functools.cache
def _environment(html: bool) -> _Sandbox:
    env = _Sandbox(
        autoescape=html,
        undefined=_Missing,
        finalize=to_text,
        keep_trailing_newline=True,  # Pinpoint keeps a template's last newline
        auto_reload=False,
    )
    env.globals.clear()
    env.globals.update(handlebars.GLOBALS)
    env.globals.update(range=_safe_range, dict=dict, _guard_iter=_guard_iter, _guard_concat=_guard_concat)
    filters = {name: DEFAULT_FILTERS[name] for name in _ALLOWED_FILTERS}
    filters["join"] = _bounded(filters["join"], _check_join)
    filters["replace"] = _bounded(filters["replace"], _check_replace)
    filters["center"] = _bounded(filters["center"], _check_width)
    filters["indent"] = _bounded(filters["indent"], _check_width)
    filters["batch"] = _bounded(filters["batch"], _check_count)
    filters["slice"] = _bounded(filters["slice"], _check_count)
    filters["safe_url"] = safe_url
    filters.update(handlebars.FILTERS)
    env.filters = filters
    return env


# --- checking and compiling -------------------------------------------------------------------------------


class _Guards(NodeTransformer):
    """Route every loop through _guard_iter and every ``~`` through _guard_concat."""

    def __init__(self, autoescape: bool):
        self.autoescape = autoescape

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.Name("_guard_iter", "load"), [node.iter], [], None, None, lineno=node.lineno
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Call(
            nodes.Name("_guard_concat", "load"),
            [nodes.List(node.nodes, lineno=node.lineno), nodes.Const(self.autoescape)],
            [],
            None,
            None,
            lineno=node.lineno,
        )


def _local_names(ast: nodes.Template) -> set[str]:
    names = {"caller", "loop"}
    for node in ast.find_all((nodes.Macro, nodes.Name)):
        if isinstance(node, nodes.Macro) or node.ctx in ("store", "param"):
            names.add(node.name)
    return names


def _check_ast(ast: nodes.Template, env: _Sandbox) -> None:
    local = _local_names(ast)
    for node in ast.find_all(nodes.Node):
        line = getattr(node, "lineno", None)
        if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            tag = {
                "Include": "include",
                "Import": "import",
                "FromImport": "from ... import",
                "Extends": "extends",
            }
            raise InputError(f"'{{% {tag[type(node).__name__]} %}}' is not allowed in templates", line=line)
        if isinstance(node, nodes.Filter) and node.name not in env.filters:
            hint = suggest(node.name, [f for f in env.filters if not f.startswith("hb_")])
            raise InputError(f"unknown filter '{node.name}'{hint}", line=line)
        if isinstance(node, nodes.Test) and node.name not in env.tests:
            raise InputError(f"unknown test '{node.name}'{suggest(node.name, env.tests)}", line=line)
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise InputError(f"attribute '{node.attr}' is not allowed in templates", line=line)
        if (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
            and node.arg.value.startswith("_")
        ):
            raise InputError(f"attribute '{node.arg.value}' is not allowed in templates", line=line)
        if (
            isinstance(node, nodes.Name)
            and node.name in _FORBIDDEN_NAMES
            and node.name not in local - {"loop"}
        ):
            raise InputError(f"'{node.name}' is not available in templates", line=line)
        if isinstance(node, nodes.For) and node.recursive:
            raise InputError("recursive loops are not allowed in templates", line=line)
        if (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Name)
            and node.node.name not in env.globals
            and node.node.name not in local
        ):
            raise InputError(f"unknown function '{node.node.name}()'", line=line)


@dataclass(frozen=True)
class _Compiled:
    template: Any
    fast: Any  # _fast.Plan | None


@functools.lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> _Compiled:
    """Translate, parse, check and compile one part (raises InputError with the line, without file/field)."""
    from . import _fast

    env = _environment(html)
    jinja_source = handlebars.translate(source)
    try:
        ast = env.parse(jinja_source)
    except TemplateSyntaxError as exc:
        raise InputError(f"template syntax: {exc.message}", line=exc.lineno) from None
    _check_ast(ast, env)
    fast = _fast.plan(ast, env)
    ast = _Guards(html).visit(ast)
    try:
        template = env.from_string(ast)
    except TemplateSyntaxError as exc:
        raise InputError(f"template syntax: {exc.message}", line=exc.lineno) from None
    return _Compiled(template, fast)


def check_part(source: str, *, html: bool, where: str | None = None, part: str | None = None) -> None:
    """Refuse a part that is neither Pinpoint's Handlebars nor sandbox-safe Jinja2.

    Raises InputError(file=where, line=N, field=part) naming the construct: an unknown helper, filter, test or
    function, a partial, ``include``/``import``/``extends``, an unbalanced block, a syntax error, an attribute
    starting with ``_``, ``self``/``cycler``/``lipsum``/``joiner``/``namespace``.
    """
    if not isinstance(source, str):
        raise InputError(
            f"a template part must be a string, not {type(source).__name__}", file=where, field=part
        )
    try:
        _compile(source, bool(html))
    except InputError as exc:
        raise InputError(exc.reason, file=where, line=exc.line, field=part) from None


# --- rendering one endpoint -------------------------------------------------------------------------------


def _render_part(template: Any, ctx: dict, state: _State) -> str:
    out, total = [], 0
    for chunk in template.generate(ctx):
        total += len(chunk)
        if total > MAX_PART_CHARS:
            raise _LimitError(f"the rendered part is longer than {MAX_PART_CHARS} characters")
        if time.perf_counter() > state.deadline:
            raise _LimitError(f"rendering took longer than {MAX_RENDER_SECONDS} s")
        out.append(chunk)
    return "".join(out)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _LimitError):
        return f"limit: {exc}"
    if isinstance(exc, SecurityError):
        return f"not allowed: {exc}"
    if isinstance(exc, RecursionError):
        return "limit: templates nest too deeply (recursion)"
    if isinstance(exc, MemoryError):
        return "limit: out of memory"
    return f"{type(exc).__name__}: {exc}"


def render_parts(
    parts: Mapping[str, TemplatePart],
    endpoint: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    substitutions: Mapping[str, Any] | None = None,
) -> RenderedMessage:
    """Render every part for one endpoint row (dotted column names, or an endpoint_context dict).

    Raises InputError for a part that check_part refuses, RenderError(endpoint_id, part, reason) for a message
    that breaks a limit or fails.
    """
    endpoint_id = endpoint.get("Id")
    ctx = message_context(endpoint, defaults, substitutions)
    wrapped = {k: _wrap(v, k) for k, v in ctx.items()}
    state = _State(deadline=time.perf_counter() + MAX_RENDER_SECONDS)
    token = _STATE.set(state)
    rendered: dict[str, str] = {}
    try:
        for name, part in parts.items():
            try:
                compiled = _compile(part.source, bool(part.html))
            except InputError as exc:
                raise InputError(exc.reason, line=exc.line, field=name) from None
            try:
                rendered[name] = _render_part(compiled.template, wrapped, state)
            except Exception as exc:
                raise RenderError(endpoint_id, name, _reason(exc)) from None
    finally:
        _STATE.reset(token)
    return RenderedMessage(rendered, sorted(state.missing))


# --- rendering an audience --------------------------------------------------------------------------------


@dataclass
class RenderedFrame:
    """An audience's rendered messages.

    ``frame``: ``Id`` + one column per part, for the endpoints that rendered; ``errors``: (endpoint_id, part,
    reason) for those that did not; ``missing``: ``Id`` + ``missing`` (sorted list of variable paths) for the
    endpoints where some variable had no value and no default; ``fast``: whether the Polars renderer was used.
    """

    frame: Any
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    missing: Any = None
    fast: bool = False

    def missing_for(self, endpoint_id: str) -> list[str]:
        """The missing variables of one endpoint ([] when none)."""
        import polars as pl

        hit = self.missing.filter(pl.col("Id") == endpoint_id)
        return list(hit["missing"][0]) if hit.height else []

    def _repr_html_(self) -> str:
        head = self.frame.head(5)
        rows = "".join(
            "<tr>" + "".join(f"<td>{_html.escape(to_text(v))[:200]}</td>" for v in row) + "</tr>"
            for row in head.iter_rows()
        )
        cols = "".join(f"<th>{_html.escape(c)}</th>" for c in head.columns)
        errors = "".join(
            f"<li>{_html.escape(str(e))}: {_html.escape(p)}: {_html.escape(r)}</li>"
            for e, p, r in self.errors[:10]
        )
        return (
            f"<div><b>{self.frame.height} messages rendered</b> ({'fast Polars' if self.fast else 'Jinja2'} path),"
            f" {len(self.errors)} errors, {self.missing.height} with missing variables"
            f"<table><tr>{cols}</tr>{rows}</table>" + (f"<ul>{errors}</ul>" if errors else "") + "</div>"
        )


def render_frame(
    parts: Mapping[str, TemplatePart],
    endpoints: Any,
    defaults: Mapping[str, Any],
    *,
    substitutions: Mapping[str, Any] | None = None,
) -> RenderedFrame:
    """Render every part for every endpoint of a Polars frame (the ``endpoints`` view's columns).

    Uses the fast Polars renderer when every part is substitutions only, else a per-row Jinja2 loop. Errors are
    collected per endpoint, never raised for the whole audience (a part check_part refuses raises InputError).
    """
    import polars as pl

    from . import _fast

    compiled = {}
    for name, part in parts.items():
        try:
            compiled[name] = _compile(part.source, bool(part.html))
        except InputError as exc:
            raise InputError(exc.reason, line=exc.line, field=name) from None
    if all(c.fast is not None for c in compiled.values()):
        plans = {name: (c.fast, bool(parts[name].html)) for name, c in compiled.items()}
        try:
            frame, missing, errors = _fast.render(
                plans, endpoints, defaults or {}, substitutions or {}, max_chars=MAX_PART_CHARS
            )
        except _fast.NotFast:  # a variable names an object, or a column sits on its path: per-row Jinja2
            pass
        else:
            return RenderedFrame(frame, errors, missing, fast=True)

    out: dict[str, list] = {"Id": [], **{name: [] for name in parts}}
    missing_ids, missing_lists, errors = [], [], []
    for row in endpoints.iter_rows(named=True):
        try:
            message = render_parts(parts, row, defaults, substitutions=substitutions)
        except RenderError as exc:
            errors.append((exc.endpoint_id, exc.part, exc.reason))
            continue
        out["Id"].append(row.get("Id"))
        for name in parts:
            out[name].append(message.parts[name])
        if message.missing:
            missing_ids.append(row.get("Id"))
            missing_lists.append(message.missing)
    frame = pl.DataFrame(out, schema={c: pl.String for c in out})
    missing = pl.DataFrame(
        {"Id": missing_ids, "missing": missing_lists}, schema={"Id": pl.String, "missing": pl.List(pl.String)}
    )
    return RenderedFrame(frame, errors, missing, fast=False)
