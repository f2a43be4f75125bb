"""Pinpoint's Handlebars, translated to the Jinja2 source the workbench renders (in a sandbox, see render.py).

Pinpoint templates are Handlebars with AWS's helper set ("Using message template helpers" in the Pinpoint user
guide). :func:`translate` turns every ``{{...}}`` tag that is Handlebars into Jinja2 and leaves Jinja2 syntax as
it is, so a template may mix both. What is translated:

- variables: ``{{User.UserAttributes.FirstName}}``, ``{{Attributes.x.[0]}}``, ``{{Attributes.[odd name]}}``,
  ``{{{triple}}}`` (not HTML-escaped), ``{{this}}``, ``{{@index}}``, ``{{@key}}``, ``{{@first}}``, ``{{@last}}``,
  ``../`` (resolved from the root), comments ``{{! }}``/``{{!-- --}}``, whitespace control ``{{~ ~}}``, and
  Handlebars' "standalone line" rule (a line holding only a block tag leaves no blank line behind);
- blocks: ``#if``/``#unless`` (with ``{{else}}`` and ``{{else if ...}}``), ``#each`` (at most 15 items, as in
  Pinpoint; lists and objects), ``#with``, and every conditional helper as a block;
- conditional helpers ``eq neq gt gte lt lte and or not``, inline (``{{eq a b yes='y' no='n'}}``; without
  ``yes``/``no`` they print ``true``/``false``) or as blocks; subexpressions ``(eq a b)``;
- string helpers ``abbreviate capitalize capitalizeFirst center cut dateFormat default defaultIfEmpty inflect
  join ljust lower now ordinalize replace rjust safeUrl slugify stripTags substring upper uuid yesno``;
- math helpers ``add subtract multiply divide modulo floor ceiling round``.

Comparisons: a one-item list compares as its item (``{{#eq Attributes.plan "gold"}}`` works on ``["gold"]``);
two values that both read as numbers compare as numbers, others as text.

Dates (``dateFormat`` and ``now``): the value is a timestamp, an ISO 8601 string or epoch seconds; ``format`` is
``full`` (Tuesday, September 3, 2024), ``long`` (September 3, 2024), ``medium``, the default (Sep 3, 2024),
``short`` (9/3/24), ``iso``, or a Java ``SimpleDateFormat`` pattern made of ``yyyy yy MMMM MMM MM M dd d EEEE
EEE HH H hh h mm m ss s SSS a z Z`` and ``'quoted text'``; ``tz=`` names an IANA zone (default UTC). ``locale=``
is accepted and ignored (English names only).

Anything else in a ``{{...}}`` that reads as Handlebars (an unknown helper, a partial ``{{> x}}``, an inline
partial, a block without its end) raises InputError naming it and its line. Tags that are not Handlebars
(``{{ name|upper }}``, ``{{ a ~ b }}``) are Jinja2 and are checked by render.check_part.
"""

from __future__ import annotations

import html as _html
import math
import re
import unicodedata
import uuid as _uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Undefined

from ..errors import InputError
from .context import to_text

#: Pinpoint renders at most this many items of a list in ``{{#each}}``
EACH_LIMIT = 15
#: the largest size a padding helper (center, ljust, rjust) may ask for: the largest message part
MAX_PAD = 600_000

# --- values -----------------------------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    """A one-item list stands for its item; a missing value is None."""
    if isinstance(value, Undefined):
        str(value)  # records it as missing
        return None
    if isinstance(value, list | tuple) and len(value) == 1:
        return value[0]
    return value


def truthy(value: Any) -> bool:
    """Handlebars' truth: false, missing, null, "", 0, NaN and [] are false."""
    if isinstance(value, Undefined):
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _number(value: Any) -> float | int | None:
    value = _scalar(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    try:
        text = str(value).strip()
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    except ValueError:
        return None


def _need_number(value: Any, helper: str) -> float | int:
    number = _number(value)
    if number is None:
        raise ValueError(f"{helper}: {to_text(_scalar(value))!r} is not a number")
    return number


def _tidy(number: float | int) -> float | int:
    """Whole floats become ints, so that math helpers print 3, not 3.0."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e21:
        return int(number)
    return number


def _compare(a: Any, b: Any) -> tuple[Any, Any]:
    a, b = _scalar(a), _scalar(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    return to_text(a), to_text(b)


def _answer(result: bool, yes: Any, no: Any) -> Any:
    if yes is None and no is None:
        return result
    return (yes if yes is not None else "") if result else (no if no is not None else "")


# --- conditional helpers ----------------------------------------------------------------------------------


def hb_eq(a, b, yes=None, no=None):
    x, y = _compare(a, b)
    return _answer(x == y, yes, no)


def hb_neq(a, b, yes=None, no=None):
    x, y = _compare(a, b)
    return _answer(x != y, yes, no)


def _safe_cmp(x, y) -> int:
    if isinstance(x, str) != isinstance(y, str):
        x, y = str(x), str(y)
    return (x > y) - (x < y)


def _cmp_helper(sign):
    def helper(a, b, yes=None, no=None):
        x, y = _compare(a, b)
        c = _safe_cmp(x, y)
        return _answer({"gt": c > 0, "gte": c >= 0, "lt": c < 0, "lte": c <= 0}[sign], yes, no)

    helper.__name__ = f"hb_{sign}"
    return helper


hb_gt = _cmp_helper("gt")
hb_gte = _cmp_helper("gte")
hb_lt = _cmp_helper("lt")
hb_lte = _cmp_helper("lte")


def hb_and(*values, yes=None, no=None):
    return _answer(all(truthy(v) for v in values), yes, no)


def hb_or(*values, yes=None, no=None):
    return _answer(any(truthy(v) for v in values), yes, no)


def hb_not(value, yes=None, no=None):
    return _answer(not truthy(value), yes, no)


def hb_if(value, yes=None, no=None):
    return _answer(truthy(value), yes, no)


# --- string helpers ---------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return to_text(_scalar(value) if isinstance(value, Undefined) else value)


def hb_upper(value):
    return _text(value).upper()


def hb_lower(value):
    return _text(value).lower()


def hb_capitalize(value, fully=False):
    """Every word's first letter in capitals (``fully=true`` lowers the rest first)."""
    text = _text(value)
    if fully:
        text = text.lower()
    return re.sub(r"(^|\s)(\S)", lambda m: m.group(1) + m.group(2).upper(), text)


def hb_capitalizeFirst(value):
    text = _text(value)
    return text[:1].upper() + text[1:]


def hb_abbreviate(value, width):
    """At most ``width`` characters, ending in "..." when cut (``"Handlebars rocks" 13`` -> ``Handlebars...``)."""
    text, width = _text(value), int(_need_number(width, "abbreviate"))
    if len(text) <= width:
        return text
    return text[: max(width - 3, 0)] + "..." if width >= 4 else text[:width]


def _pad_args(size, pad, helper):
    size = int(_need_number(size, helper))
    if size > MAX_PAD:
        raise ValueError(f"{helper}: size {size} is over the limit of {MAX_PAD}")
    pad = to_text(pad) or " "
    return size, pad


def hb_center(value, size=None, pad=" "):
    text = _text(value)
    size, pad = _pad_args(size, pad, "center")
    pads = size - len(text)
    if pads <= 0:
        return text
    left = pads // 2
    return (pad * left)[:left] + text + (pad * (pads - left))[: pads - left]


def hb_ljust(value, size=None, pad=" "):
    text = _text(value)
    size, pad = _pad_args(size, pad, "ljust")
    return text + (pad * max(size - len(text), 0))[: max(size - len(text), 0)]


def hb_rjust(value, size=None, pad=" "):
    text = _text(value)
    size, pad = _pad_args(size, pad, "rjust")
    n = max(size - len(text), 0)
    return (pad * n)[:n] + text


def hb_cut(value, remove=" "):
    return _text(value).replace(to_text(remove), "") if to_text(remove) else _text(value)


def hb_default(value, fallback=""):
    """The value, or ``fallback`` when it is missing or empty."""
    return value if truthy(value) else fallback


def hb_join(value, *rest, prefix="", suffix=""):
    """``{{join list ", "}}`` (prefix=, suffix=), or ``{{join a b c ", "}}``: the last argument separates."""
    if rest:
        sep, items = to_text(rest[-1]), [value, *rest[:-1]]
    else:
        sep, items = ",", [value]
    flat: list[Any] = []
    for item in items:
        if isinstance(item, Undefined):
            str(item)
        elif isinstance(item, list | tuple):
            flat.extend(item)
        else:
            flat.append(item)
    return to_text(prefix) + sep.join(to_text(v) for v in flat) + to_text(suffix)


def hb_replace(value, old, new):
    text, old, new = _text(value), to_text(old), to_text(new)
    if old and text.count(old) * max(len(new) - len(old), 0) > MAX_PAD:
        raise ValueError(f"replace: the result would be over the limit of {MAX_PAD} characters")
    return text.replace(old, new) if old else text


def hb_substring(value, start, end=None):
    text = _text(value)
    start = int(_need_number(start, "substring"))
    return text[start:] if end is None else text[start : int(_need_number(end, "substring"))]


def hb_slugify(value):
    """``"Joel is a slug"`` -> ``joel-is-a-slug`` (Django's rule: ASCII, lower case, hyphens)."""
    text = unicodedata.normalize("NFKD", _text(value)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s]+", "-", text).strip("-_")


def hb_stripTags(value):
    return re.sub(r"<[^>]*>", "", _text(value))


def hb_yesno(value, yes="yes", no="no", maybe="maybe"):
    """``yes`` for a true value, ``no`` for a false one, ``maybe`` for a missing one."""
    value = _scalar(value)
    if value is None:
        return maybe
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    return yes if truthy(value) else no


def hb_ordinalize(value):
    """``1`` -> ``1st``, ``2`` -> ``2nd``, ``11`` -> ``11th``, ``23`` -> ``23rd``."""
    number = int(_need_number(value, "ordinalize"))
    if 10 <= abs(number) % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(abs(number) % 10, 'th') }"


def hb_inflect(count, singular, plural, include_count=False, **_):
    number = _need_number(count, "inflect")
    word = to_text(singular) if number == 1 else to_text(plural)
    return f"{to_text(_tidy(number))} {word}" if truthy(include_count) else word


def hb_uuid():
    return str(_uuid.uuid4())


def safe_url(value: Any) -> str:
    """The URL when its scheme is http, https, mailto or tel; ``#`` otherwise (``javascript:``, ``data:``...).

    Relative URLs (no scheme) pass. Control characters and spaces browsers ignore inside a scheme are taken
    into account (``java\\tscript:`` is refused too).
    """
    text = to_text(value).strip()
    probe = re.sub(r"[\x00-\x20\x7f]", "", _html.unescape(text)).lower()
    scheme = re.match(r"([a-z][a-z0-9+.\-]*):", probe)
    if scheme and scheme.group(1) not in ("http", "https", "mailto", "tel"):
        return "#"
    if not scheme and re.match(r"[^/?#]*:", probe):  # something like "&#106;avascript:" unescaped above
        return "#"
    return text


def hb_safeUrl(value):
    return safe_url(value)


# --- math helpers -----------------------------------------------------------------------------------------


def hb_add(a, b):
    return _tidy(_need_number(a, "add") + _need_number(b, "add"))


def hb_subtract(a, b):
    return _tidy(_need_number(a, "subtract") - _need_number(b, "subtract"))


def hb_multiply(a, b):
    x, y = _need_number(a, "multiply"), _need_number(b, "multiply")
    if isinstance(x, int) and isinstance(y, int) and x.bit_length() + y.bit_length() > 4096:
        raise ValueError("multiply: the result is too large")
    return _tidy(x * y)


def hb_divide(a, b):
    y = _need_number(b, "divide")
    if y == 0:
        raise ValueError("divide: division by zero")
    return _tidy(_need_number(a, "divide") / y)


def hb_modulo(a, b):
    y = _need_number(b, "modulo")
    if y == 0:
        raise ValueError("modulo: division by zero")
    return _tidy(math.fmod(_need_number(a, "modulo"), y))  # JavaScript's %: the sign follows the dividend


def hb_floor(value):
    return math.floor(_need_number(value, "floor"))


def hb_ceiling(value):
    return math.ceil(_need_number(value, "ceiling"))


def hb_round(value, digits=0):
    """Half away from zero (``2.5`` -> ``3``), like JavaScript's Math.round for positive numbers."""
    x, digits = _need_number(value, "round"), int(_need_number(digits, "round"))
    scale = 10**digits
    result = math.floor(abs(x) * scale + 0.5) / scale
    return _tidy(math.copysign(result, x))


# --- dates ------------------------------------------------------------------------------------------------

_STYLES = {"full": "EEEE, MMMM d, yyyy", "long": "MMMM d, yyyy", "medium": "MMM d, yyyy", "short": "M/d/yy"}
_PATTERN = re.compile(r"'([^']*)'|([A-Za-z])\2*|.", re.S)


def _as_datetime(value: Any) -> datetime:
    value = _scalar(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=value)
    text = to_text(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"dateFormat: {text!r} is not a date (ISO 8601 or epoch seconds)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_date(moment: datetime, fmt: str = "medium", tz: str | None = None) -> str:
    """Format ``moment`` with a style name (full/long/medium/short/iso) or a SimpleDateFormat pattern subset."""
    if tz:
        try:
            moment = moment.astimezone(ZoneInfo(str(tz)))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"dateFormat: unknown time zone {tz!r}") from None
    else:
        moment = moment.astimezone(UTC)
    fmt = fmt or "medium"
    if fmt == "iso":
        return moment.isoformat()
    fmt = _STYLES.get(fmt, fmt)
    out = []
    for m in _PATTERN.finditer(fmt):
        quoted, letter, token = m.group(1), m.group(2), m.group(0)
        if quoted is not None:
            out.append(quoted or "'")
        elif letter:
            out.append(_date_field(moment, letter, len(token)))
        else:
            out.append(token)
    return "".join(out)


def _date_field(m: datetime, letter: str, n: int) -> str:
    if letter == "y":
        return f"{m.year % 100:02d}" if n == 2 else str(m.year).zfill(n)
    if letter == "M":
        return m.strftime("%B") if n >= 4 else m.strftime("%b") if n == 3 else str(m.month).zfill(n)
    if letter == "d":
        return str(m.day).zfill(n)
    if letter == "E":
        return m.strftime("%A") if n >= 4 else m.strftime("%a")
    if letter == "H":
        return str(m.hour).zfill(n)
    if letter == "h":
        return str(m.hour % 12 or 12).zfill(n)
    if letter == "m":
        return str(m.minute).zfill(n)
    if letter == "s":
        return str(m.second).zfill(n)
    if letter == "S":
        return f"{m.microsecond // 1000:03d}"[:n] if n <= 3 else f"{m.microsecond // 1000:03d}".ljust(n, "0")
    if letter == "a":
        return "AM" if m.hour < 12 else "PM"
    if letter == "z":
        return m.tzname() or "UTC"
    if letter == "Z":
        return m.strftime("%z") or "+0000"
    raise ValueError(f"dateFormat: pattern letter {letter!r} is not supported")


def hb_dateFormat(value, fmt=None, format=None, tz=None, locale=None):
    return format_date(_as_datetime(value), to_text(format or fmt or "medium"), tz and to_text(_scalar(tz)))


def hb_now(fmt=None, format=None, tz=None, locale=None):
    return format_date(datetime.now(UTC), to_text(format or fmt or "medium"), tz and to_text(_scalar(tz)))


# --- iteration --------------------------------------------------------------------------------------------


def hb_each(value) -> list[tuple[Any, Any]]:
    """(key, item) pairs of a list (key = index) or an object, at most EACH_LIMIT of them, as Pinpoint does."""
    if isinstance(value, Undefined) or value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.items())[:EACH_LIMIT]
    if isinstance(value, list | tuple):
        return list(enumerate(value))[:EACH_LIMIT]
    return [(0, value)] if truthy(value) else []


def hb_raw(value):
    """``{{{x}}}``: the value printed without HTML escaping."""
    from markupsafe import Markup

    return Markup(to_text(value))


#: inline helpers by their Handlebars name
HELPERS: dict[str, Any] = {
    name[3:]: fn
    for name, fn in dict(globals()).items()
    if name.startswith("hb_") and callable(fn) and name not in ("hb_each", "hb_raw")
}
HELPERS["defaultIfEmpty"] = hb_default
#: helpers that also work as blocks: {{#eq a b}}...{{else}}...{{/eq}}
CONDITIONALS = ("eq", "neq", "gt", "gte", "lt", "lte", "and", "or", "not")
#: helper keyword arguments Pinpoint's documentation shows, translated to the Python parameter names
_KWARG_NAMES = {"includeCount": "include_count"}

#: the Jinja globals a translated template calls
GLOBALS: dict[str, Any] = {f"hb_{name}": fn for name, fn in HELPERS.items()}
GLOBALS.update(hb_each=hb_each, hb_truthy=truthy)
FILTERS: dict[str, Any] = {"hb_raw": hb_raw}


# --- the translator ---------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<hash>[A-Za-z_][\w-]*)=
  | (?P<open>\()
  | (?P<close>\))
  | (?P<num>-?\d+(?:\.\d+)?)(?=[\s)]|$)
  | (?P<path>(?:\.\./)*(?:@?[A-Za-z_$][\w$-]*|\[[^\]]*\])(?:[./](?:[A-Za-z_$][\w$-]*|\[[^\]]*\]))*)(?=[\s)]|$)
    """,
    re.X,
)
_JINJA_WORDS = {"and", "or", "not", "if", "else", "in", "is", "for"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _NotHandlebars(Exception):
    """The tag does not read as Handlebars: it is Jinja2."""


@dataclass
class _Node:
    kind: str  # path | str | num | lit | sub
    value: Any
    args: list[_Node] = field(default_factory=list)
    hash: dict[str, _Node] = field(default_factory=dict)


def _tokenize(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise _NotHandlebars(text)
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(m.lastgroup)))
    return out


def _parse_expr(tokens: list[tuple[str, str]], i: int, stop: str | None) -> tuple[_Node, int]:
    """One call: ``name arg... key=value...`` up to ``stop`` (``close``) or the end."""
    items: list[_Node] = []
    hashes: dict[str, _Node] = {}
    while i < len(tokens) and tokens[i][0] != stop:
        kind, text = tokens[i]
        if kind == "hash":
            value, i = _parse_value(tokens, i + 1)
            hashes[text] = value
            continue
        value, i = _parse_value(tokens, i)
        if hashes:
            raise _NotHandlebars(text)
        items.append(value)
    if stop and i >= len(tokens):
        raise InputError("a subexpression '(' has no closing ')'")
    if not items:
        raise _NotHandlebars("")
    head = items[0]
    return _Node("call", head, items[1:], hashes), i + (1 if stop else 0)


def _parse_value(tokens, i) -> tuple[_Node, int]:
    if i >= len(tokens):
        raise _NotHandlebars("")
    kind, text = tokens[i]
    if kind == "open":
        node, i = _parse_expr(tokens, i + 1, "close")
        return _Node("sub", node), i
    if kind == "str":
        body = re.sub(r"\\(.)", r"\1", text[1:-1])
        return _Node("str", body), i + 1
    if kind == "num":
        return _Node("num", text), i + 1
    if kind == "path":
        if text in ("true", "false"):
            return _Node("lit", text), i + 1
        if text in ("null", "undefined"):
            return _Node("lit", "none"), i + 1
        return _Node("path", text), i + 1
    raise _NotHandlebars(text)


@dataclass
class _Block:
    name: str
    line: int
    with_var: str | None = None
    has_else: bool = False


class _Translator:
    def __init__(self, source: str):
        self.source = source
        self.out: list[str] = []
        self.stack: list[_Block] = []
        self.scopes: list[str] = []  # #with variables, innermost last
        self.with_count = 0

    # -- errors
    def fail(self, reason: str, pos: int) -> None:
        raise InputError(reason, line=self.source.count("\n", 0, pos) + 1)

    # -- expressions
    def path(self, text: str, pos: int) -> str:
        ups = 0
        while text.startswith("../"):
            text, ups = text[3:], ups + 1
        segments = re.findall(r"\[[^\]]*\]|[^./\[]+", text)
        if not segments:
            self.fail(f"'{text}' is not a variable", pos)
        first, rest = segments[0], segments[1:]
        special = {"@index": "loop.index0", "@first": "loop.first", "@last": "loop.last", "@key": "_hb_key"}
        if first in special:
            base = special[first]
        elif first == "this":
            base = "this" if any(b.name == "each" for b in self.stack) else (self.scope(ups) or "this")
        elif first.startswith("@"):
            self.fail(f"'{first}' is not a Handlebars data variable this workbench knows", pos)
        else:
            scope = self.scope(ups)
            base = f"{scope}{self.segment(first, pos)}" if scope else self.root_segment(first, pos)
        return base + "".join(self.segment(s, pos) for s in rest)

    def scope(self, ups: int) -> str:
        if ups >= len(self.scopes) or not self.scopes:
            return ""
        return self.scopes[len(self.scopes) - 1 - ups]

    def root_segment(self, seg: str, pos: int) -> str:
        name = seg[1:-1] if seg.startswith("[") else seg
        if not _IDENT.match(name):
            self.fail(f"variable name '{name}' cannot start a path", pos)
        return name

    @staticmethod
    def segment(seg: str, pos: int) -> str:
        name = seg[1:-1] if seg.startswith("[") and seg.endswith("]") else seg
        if name.isdigit():
            return f"[{int(name)}]"
        if _IDENT.match(name):
            return f".{name}"
        return f"[{name!r}]"

    def expr(self, node: _Node, pos: int, *, as_value: bool = False) -> str:
        """Jinja source for a value (path, literal, subexpression) or a call."""
        if node.kind == "call":
            head = node.value
            if head.kind == "path" and head.value in HELPERS:
                return self.call(head.value, node, pos)
            if node.args or node.hash:
                name = head.value if head.kind == "path" else to_text(head.value)
                self.fail(f"unknown helper '{name}'", pos)
            return self.expr(head, pos)
        if node.kind == "sub":
            return self.expr(node.value, pos)
        if node.kind == "str":
            return repr(node.value)
        if node.kind == "num":
            return node.value
        if node.kind == "lit":
            return node.value
        return self.path(node.value, pos)

    def call(self, name: str, node: _Node, pos: int) -> str:
        args = [self.expr(a, pos) for a in node.args]
        for key, value in node.hash.items():
            py = _KWARG_NAMES.get(key, key)
            if not _IDENT.match(py):
                self.fail(f"helper '{name}': option '{key}' is not a name", pos)
            args.append(f"{py}={self.expr(value, pos)}")
        return f"hb_{name}({', '.join(args)})"

    # -- tags
    def condition(self, name: str, node: _Node, pos: int) -> str:
        call = _Node("call", _Node("path", name), node.args, node.hash)
        if name == "if":
            if len(node.args) != 1:
                self.fail("'#if' takes one value", pos)
            return f"hb_truthy({self.expr(node.args[0], pos)})"
        if name == "unless":
            if len(node.args) != 1:
                self.fail("'#unless' takes one value", pos)
            return f"not hb_truthy({self.expr(node.args[0], pos)})"
        return self.call(name, call, pos)

    def open_block(self, body: str, pos: int) -> str:
        try:
            tokens = _tokenize(body)
            node, _ = _parse_expr(tokens, 0, None)
        except _NotHandlebars:
            self.fail(f"'{{{{#{body.strip()}}}}}' is not a block this workbench knows", pos)
        head = node.value
        name = head.value if head.kind == "path" else ""
        line = self.source.count("\n", 0, pos) + 1
        if name in ("if", "unless") or name in CONDITIONALS:
            self.stack.append(_Block(name, line))
            return f"if {self.condition(name, node, pos)}"
        if name == "each":
            if len(node.args) != 1 or node.hash:
                self.fail("'#each' takes one list ('as |x|' block parameters are not supported)", pos)
            self.stack.append(_Block("each", line))
            return f"for _hb_key, this in hb_each({self.expr(node.args[0], pos)})"
        if name == "with":
            if len(node.args) != 1 or node.hash:
                self.fail("'#with' takes one value", pos)
            value = self.expr(node.args[0], pos)
            self.with_count += 1
            var = f"_hb_with{self.with_count}"
            self.stack.append(_Block("with", line, with_var=var))
            self.scopes.append(var)
            return f"if hb_truthy({value}) %}}{{% with {var} = {value}"
        if name.startswith("*") or name.startswith(">"):
            self.fail(f"inline partial '{{{{#{body.strip()}}}}}' is not supported", pos)
        self.fail(f"unknown block helper '#{name}'", pos)
        raise AssertionError  # unreachable

    def else_tag(self, body: str, pos: int) -> str:
        if not self.stack:
            self.fail("'{{else}}' outside a block", pos)
        block = self.stack[-1]
        rest = body.strip()[4:].strip() if body.strip().startswith("else") else ""
        if block.name == "with":
            if rest:
                self.fail("'{{else ...}}' chains only after #if, #unless or a conditional helper", pos)
            block.has_else = True
            self.scopes.pop()
            return "endwith %}{% else"
        if rest:
            if block.name == "each":
                self.fail("'{{else ...}}' chains only after #if, #unless or a conditional helper", pos)
            try:
                node, _ = _parse_expr(_tokenize(rest), 0, None)
            except _NotHandlebars:
                self.fail(f"'{{{{else {rest}}}}}' is not Handlebars", pos)
            head = node.value
            name = head.value if head.kind == "path" else ""
            if name not in ("if", "unless") and name not in CONDITIONALS:
                self.fail(f"unknown helper '{name}' after else", pos)
            return f"elif {self.condition(name, node, pos)}"
        if block.has_else and block.name == "each":
            self.fail("a second '{{else}}' in '#each'", pos)
        block.has_else = True
        return "else"

    def close_block(self, body: str, pos: int) -> str:
        name = body.strip()
        if not self.stack:
            self.fail(f"'{{{{/{name}}}}}' closes a block that was never opened", pos)
        block = self.stack.pop()
        if block.name != name:
            self.fail(f"'{{{{/{name}}}}}' closes '#{block.name}' opened on line {block.line}", pos)
        if block.name == "each":
            return "endfor"
        if block.name == "with":
            if not block.has_else:
                self.scopes.pop()
                return "endwith %}{% endif"
            return "endif"
        return "endif"

    def value_tag(self, body: str, pos: int, raw: bool) -> str | None:
        """Jinja source for ``{{ body }}``, or None when the body is Jinja2 (left as written)."""
        try:
            tokens = _tokenize(body)
            if not tokens:
                raise _NotHandlebars(body)
            words = {t for k, t in tokens if k == "path"}
            if len(tokens) > 1 and words & _JINJA_WORDS and tokens[0][1] not in HELPERS:
                raise _NotHandlebars(body)
            node, _ = _parse_expr(tokens, 0, None)
        except _NotHandlebars:
            if raw:
                self.fail("'{{{...}}}' must hold a Handlebars expression", pos)
            return None
        head = node.value
        if head.kind == "path" and head.value in HELPERS:
            source = self.call(head.value, node, pos)
        else:
            source = self.expr(node, pos)
        return f"{source}|hb_raw" if raw else source

    # -- driver
    def run(self) -> str:
        src, pos, n = self.source, 0, len(self.source)
        while pos < n:
            start = src.find("{{", pos)
            if start < 0:
                self.out.append(src[pos:])
                break
            if start > 0 and src[start - 1] == "\\":  # \{{ is a literal {{ in Handlebars
                self.out.append(src[pos : start - 1] + "{{ '{{' }}")
                pos = start + 2
                continue
            self.out.append(src[pos:start])
            pos = self.tag(start)
        if self.stack:
            block = self.stack[-1]
            self.fail(f"'{{{{#{block.name}}}}}' opened on line {block.line} is never closed", len(src))
        return "".join(self.out)

    def tag(self, start: int) -> int:
        src = self.source
        raw = src.startswith("{{{", start)
        if src.startswith("{{!--", start) or src.startswith("{{~!--", start):
            end = src.find("--}}", start)
            close = end + 4
        elif raw:
            end = src.find("}}}", start)
            close = end + 3
        else:
            end = src.find("}}", start)
            close = end + 2
        if end < 0:
            self.fail("'{{' is never closed by '}}'", start)
        inner = src[start + (3 if raw else 2) : end]
        strip_left = inner.startswith("~")
        strip_right = (inner.endswith("~") and not raw) or (raw and src[end - 1 : end] == "~")
        body = inner[1:] if strip_left else inner
        body = body[:-1] if strip_right and body.endswith("~") else body
        lt, rt = ("-" if strip_left else ""), ("-" if strip_right else "")
        stripped = body.strip()
        newlines = "\n" * src.count("\n", start, close)

        if stripped.startswith("!"):  # a comment: no output, same line count
            return self.block_tag(start, close, "{#" + newlines + "#}", lt, rt, comment=True)
        if stripped.startswith(">") or stripped.startswith("#>"):
            self.fail(f"partial '{{{{{stripped}}}}}' is not supported (no partials in templates)", start)
        if stripped.startswith("^"):
            if stripped == "^":
                return self.block_tag(start, close, self.else_tag("else", start), lt, rt)
            self.fail(f"inverted section '{{{{{stripped}}}}}' is not supported: use #unless", start)
        if stripped.startswith("#"):
            if stripped.startswith("#*"):
                self.fail(f"inline partial '{{{{{stripped}}}}}' is not supported", start)
            return self.block_tag(start, close, self.open_block(stripped[1:], start), lt, rt)
        if stripped.startswith("/"):
            return self.block_tag(start, close, self.close_block(stripped[1:], start), lt, rt)
        if stripped == "else" or stripped.startswith("else "):
            return self.block_tag(start, close, self.else_tag(stripped, start), lt, rt)
        translated = self.value_tag(body, start, raw)
        if translated is None:  # Jinja2: keep it as written
            self.out.append(src[start:close])
        else:
            self.out.append(f"{{{{{lt} {translated}{newlines} {rt}}}}}")
        return close

    def block_tag(self, start: int, close: int, jinja: str, lt: str, rt: str, comment: bool = False) -> int:
        """Emit a block tag, applying Handlebars' standalone-line rule (the line vanishes when the tag is alone on
        it); the swallowed newline moves inside the tag so that Jinja's line numbers stay those of the source."""
        src = self.source
        line_start = src.rfind("\n", 0, start) + 1
        line_end = src.find("\n", close)
        line_end = len(src) if line_end < 0 else line_end
        before, after = src[line_start:start], src[close:line_end]
        swallowed = ""
        if not before.strip() and not after.strip() and not lt and not rt:
            prev = self.out[-1] if self.out else ""
            if before and prev.endswith(before):
                self.out[-1] = prev[: len(prev) - len(before)]
            swallowed = after + ("\n" if line_end < len(src) else "")
            close = line_end + (1 if line_end < len(src) else 0)
        nl = "\n" * swallowed.count("\n")
        if comment:
            self.out.append(jinja[:-2] + nl + "#}")
        else:
            self.out.append(f"{{%{lt} {jinja}{nl} {rt}%}}")
        return close


def translate(source: str) -> str:
    """Jinja2 source for a template written in Pinpoint's Handlebars (Jinja2 tags pass through unchanged).

    Raises InputError(reason, line=N) for a construct that is neither (unknown helper, partial, unbalanced
    block); render.check_part adds the file and the part.
    """
    return _Translator(source).run()
