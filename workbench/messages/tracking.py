"""The open pixel, click and unsubscribe links: their URLs and signed tokens (the one definition of the format).

URLs (``BASE`` is ``[tracking] base_url`` of workbench.toml, e.g. ``https://t.acme.example``; it may hold a path
prefix, never a query)::

    BASE/t/c/TOKEN        click: a valid token answers a redirect to its target; anything else answers 404
                          and never redirects (the target comes only from the signed token: no open redirect)
    BASE/t/o/TOKEN.gif    open: a 1x1 GIF with Cache-Control: no-store
    BASE/u/TOKEN          unsubscribe: GET shows a confirmation page and never unsubscribes (scanners prefetch);
                          POST with body List-Unsubscribe=One-Click unsubscribes and answers 200, never a
                          redirect (RFC 8058). The same URL goes in the List-Unsubscribe header.

:func:`parse_tracking_path` maps a request path (below BASE) back to ``(kind, token)``.

Token: ``PAYLOAD.SIGNATURE``, both base64url without padding (``[A-Za-z0-9_-]``, safe in a URL path as is).

- PAYLOAD is compact JSON (sorted keys, no spaces, UTF-8) of an object with short keys: ``v`` format version
  (1), ``k`` key id, ``t`` kind (``c`` click, ``o`` open, ``u`` unsubscribe), ``s`` send key, ``l`` the click's
  target URL (clicks only), and the ids given: ``e`` endpoint_id, ``u`` user_id, ``c`` campaign_id, ``ca``
  campaign_activity_id, ``tr`` treatment_id, ``j`` journey_id, ``ja`` journey_activity_id, ``m`` message_id.
- SIGNATURE is the first 16 bytes (128 bits) of HMAC-SHA256(key, ``b"wbt1." + PAYLOAD``), PAYLOAD taken as the
  ASCII text of the token, so any change to any character of the token fails verification. Verification compares
  with :func:`hmac.compare_digest`.

Keys rotate by id: a :class:`SigningKey` signs with its ``key_id``; :func:`verify_token` takes a mapping of key
ids to secrets, so tokens signed with an older key verify for as long as that key stays in the mapping. The
secret comes from the project (``store.secret("tracking")``), never from workbench.toml.

:func:`add_tracking` rewrites the ``<a href>`` links of rendered HTML to click URLs and appends the open pixel.
It reads the HTML with the standard library's HTML parser and rewrites only the ``<a>`` start tags it changes,
leaving every other byte as it was.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from workbench.errors import InputError

VERSION = 1
DEFAULT_KEY_ID = "1"
SIGNATURE_BYTES = 16  # 128 bits
MAX_TOKEN_LENGTH = 8192  # a click token holds its target URL; browsers and servers cap URLs near here
_DOMAIN = b"wbt1."

KINDS = {"click": "c", "open": "o", "unsubscribe": "u"}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
ID_FIELDS = {
    "endpoint_id": "e",
    "user_id": "u",
    "campaign_id": "c",
    "campaign_activity_id": "ca",
    "treatment_id": "tr",
    "journey_id": "j",
    "journey_activity_id": "ja",
    "message_id": "m",
}
_ID_NAMES = {v: k for k, v in ID_FIELDS.items()}
_PAYLOAD_KEYS = frozenset(("v", "k", "t", "s", "l", *ID_FIELDS.values()))
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_PATHS = (
    ("click", re.compile(r"/t/c/([A-Za-z0-9_.-]+)")),
    ("open", re.compile(r"/t/o/([A-Za-z0-9_.-]+)\.gif")),
    ("unsubscribe", re.compile(r"/u/([A-Za-z0-9_.-]+)")),
)
# WHATWG URL parsing drops ASCII tab and newline anywhere in a URL; other controls and spaces stay wrong.
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class SigningKey:
    """A tracking secret and the id written into every token it signs (so keys can rotate)."""

    key_id: str
    secret: bytes

    def __post_init__(self):
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise InputError(
                f"a tracking key id is 1-16 letters, digits, - or _, not {self.key_id!r}", field="key_id"
            )
        if not isinstance(self.secret, bytes) or len(self.secret) < 16:
            raise InputError("a tracking secret is at least 16 bytes", field="key")

    def __repr__(self) -> str:  # never print the secret
        return f"SigningKey(key_id={self.key_id!r}, secret=<{len(self.secret)} bytes>)"


def _signing_key(key: SigningKey | bytes) -> SigningKey:
    return key if isinstance(key, SigningKey) else SigningKey(DEFAULT_KEY_ID, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    mac = hmac.new(secret, _DOMAIN + payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(mac[:SIGNATURE_BYTES])


def check_target(target: str) -> str:
    """``target`` if a click may redirect to it (an absolute http or https URL without spaces or control
    characters); InputError otherwise."""
    if not isinstance(target, str) or _UNSAFE.search(target):
        raise InputError(f"a tracked link has no spaces or control characters: {target!r}", field="target")
    parts = urlsplit(target)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(f"only http:// and https:// links are tracked, not {target!r}", field="target")
    return target


def make_token(
    key: SigningKey | bytes, *, kind: str, send_key: str, target: str | None = None, **ids: Any
) -> str:
    """A signed token of ``kind`` (click, open or unsubscribe) for one message; see the module docstring."""
    key = _signing_key(key)
    if kind not in KINDS:
        raise ValueError(f"kind is one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(send_key, str) or not send_key:
        raise InputError("a tracking link needs the message's send key", field="send_key")
    payload: dict[str, Any] = {"v": VERSION, "k": key.key_id, "t": KINDS[kind], "s": send_key}
    if kind == "click":
        payload["l"] = check_target(target)
    elif target is not None:
        raise ValueError("only click tokens carry a target")
    for name, value in ids.items():
        if name not in ID_FIELDS:
            raise TypeError(f"unknown id {name!r}: tracking tokens carry {', '.join(ID_FIELDS)}")
        if value is not None:
            payload[ID_FIELDS[name]] = str(value)
    text = _b64(
        json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    )
    return f"{text}.{_signature(key.secret, text)}"


def verify_token(
    token: str, keys: Mapping[str, bytes] | SigningKey | bytes, *, kind: str | None = None
) -> dict[str, Any] | None:
    """The payload of a token signed with one of ``keys`` (key id -> secret), or None: never an exception.

    Returns ``{"version", "key_id", "kind", "send_key", "target" (clicks), and the ids it carries}``. Any change
    to the token, an unknown key id, a kind other than ``kind`` (when given), or a click target that is not
    http(s) gives None.
    """
    try:
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not _TOKEN.fullmatch(token):
            return None
        text, signature = token.split(".")
        payload = json.loads(_unb64(text).decode("utf-8"))
        if not isinstance(payload, dict) or payload.get("v") != VERSION or not set(payload) <= _PAYLOAD_KEYS:
            return None
        if isinstance(keys, SigningKey | bytes):
            keys = {_signing_key(keys).key_id: _signing_key(keys).secret}
        secret = keys.get(payload.get("k")) if isinstance(payload.get("k"), str) else None
        if not isinstance(secret, bytes) or not hmac.compare_digest(_signature(secret, text), signature):
            return None
        if not all(isinstance(v, str) for k, v in payload.items() if k != "v"):
            return None
        name = _KIND_NAMES.get(payload["t"])
        if name is None or (kind is not None and name != kind) or not payload.get("s"):
            return None
        if (name == "click") != ("l" in payload):
            return None
        result: dict[str, Any] = {
            "version": VERSION,
            "key_id": payload["k"],
            "kind": name,
            "send_key": payload["s"],
        }
        if name == "click":
            result["target"] = check_target(payload["l"])
        for short, value in payload.items():
            if short in _ID_NAMES:
                result[_ID_NAMES[short]] = value
        return result
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, RecursionError, InputError):
        return None


def _base(base_url: str) -> str:
    parts = urlsplit(base_url.strip()) if isinstance(base_url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise InputError(
            f"the tracking base URL is http(s)://host[/path] without a query, not {base_url!r}",
            field="tracking.base_url",
        )
    return base_url.strip().rstrip("/")


def click_url(base_url: str, key: SigningKey | bytes, *, send_key: str, target: str, **ids: Any) -> str:
    """``BASE/t/c/TOKEN``: a click link that, answered by the tracking server, redirects to ``target``."""
    return f"{_base(base_url)}/t/c/{make_token(key, kind='click', send_key=send_key, target=target, **ids)}"


def open_pixel_url(base_url: str, key: SigningKey | bytes, *, send_key: str, **ids: Any) -> str:
    """``BASE/t/o/TOKEN.gif``: the open pixel of one message."""
    return f"{_base(base_url)}/t/o/{make_token(key, kind='open', send_key=send_key, **ids)}.gif"


def unsubscribe_url(base_url: str, key: SigningKey | bytes, *, send_key: str, **ids: Any) -> str:
    """``BASE/u/TOKEN``: the one-click unsubscribe URL (for List-Unsubscribe and the body's link)."""
    return f"{_base(base_url)}/u/{make_token(key, kind='unsubscribe', send_key=send_key, **ids)}"


def parse_tracking_path(path: str) -> tuple[str, str] | None:
    """``(kind, token)`` of a request path below the base URL (``/t/c/TOKEN`` -> ``("click", TOKEN)``), or None.

    The kind comes from the path; pass it to ``verify_token(..., kind=kind)`` so a token of one kind is not
    accepted on another kind's route.
    """
    if not isinstance(path, str):
        return None
    for kind, pattern in _PATHS:
        found = pattern.fullmatch(path)
        if found:
            return kind, found.group(1)
    return None


class _Anchors(HTMLParser):
    """Collects the ``<a>`` start tags (position, source text, attributes) and where the last ``</body>`` is."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[tuple[int, int], str, list[tuple[str, str | None]]]] = []
        self.body_end: tuple[int, int] | None = None
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append((self.getpos(), self.get_starttag_text() or "", attrs))
        elif tag == "img":
            self.images.extend(value for name, value in attrs if name == "src" and value)

    def handle_endtag(self, tag):
        if tag == "body":
            self.body_end = self.getpos()


def _trackable(attrs: list[tuple[str, str | None]], own_prefixes: tuple[str, ...]) -> str | None:
    """The click target of an ``<a>`` tag's attributes, or None when the link must stay as it is."""
    names = {name for name, _ in attrs}
    if "ses:no-track" in names:
        return None
    for name, value in attrs:
        if name == "ses:tags" and value and "unsubscribelinktag:" in value.lower():
            return None
    href = next((value for name, value in attrs if name == "href"), None)
    if href is None:
        return None
    target = href.strip(" \t\n\r\f").translate(_TAB_NEWLINE)
    if target.startswith(own_prefixes):
        return None  # already a tracking or unsubscribe link
    try:
        return check_target(target)
    except InputError:  # javascript:, data:, mailto:, tel:, relative, or malformed: left untouched
        return None


def _rewrite_tag(source: str, attrs: list[tuple[str, str | None]], url: str) -> str:
    out = ["<a"]
    done = False
    for name, value in attrs:
        if name == "href" and not done:
            value, done = url, True
        out.append(f" {name}" if value is None else f' {name}="{escape(value, quote=True)}"')
    out.append(" />" if source.rstrip().endswith("/>") else ">")
    return "".join(out)


def add_tracking(
    html: str,
    *,
    base_url: str,
    key: SigningKey | bytes,
    send_key: str,
    track_opens: bool = True,
    track_clicks: bool = True,
    **ids: Any,
) -> str:
    """``html`` with its http(s) links turned into signed click links and an open pixel before ``</body>``.

    Left as they are: links other than absolute http:// or https:// ones (``javascript:``, ``data:``,
    ``mailto:``, ``tel:``, relative), links marked ``ses:no-track``, unsubscribe links
    (``ses:tags="unsubscribeLinkTag:..."``), and links already pointing at the tracking server. The pixel goes
    before the last ``</body>``, or at the end when there is none, unless the HTML already has one (so tracking
    twice changes nothing).
    """
    base = _base(base_url)
    key = _signing_key(key)
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    line_starts = [0]
    for found in re.finditer("\n", html):
        line_starts.append(found.end())

    def offset(pos: tuple[int, int]) -> int:
        return line_starts[pos[0] - 1] + pos[1]

    edits: list[tuple[int, int, str]] = []
    if track_clicks:
        own = (f"{base}/t/", f"{base}/u/")
        for pos, source, attrs in parser.anchors:
            start = offset(pos)
            if not source or html[start : start + len(source)] != source:
                continue  # the parser's position does not match the text: leave the tag alone
            target = _trackable(attrs, own)
            if target is not None:
                url = click_url(base, key, send_key=send_key, target=target, **ids)
                edits.append((start, start + len(source), _rewrite_tag(source, attrs, url)))
    if track_opens and not any(src.startswith(f"{base}/t/o/") for src in parser.images):
        pixel = (
            f'<img src="{escape(open_pixel_url(base, key, send_key=send_key, **ids))}" width="1" height="1" '
            'alt="" style="display:block;width:1px;height:1px;border:0" />'
        )
        at = offset(parser.body_end) if parser.body_end is not None else len(html)
        edits.append((at, at, pixel))
    out = []
    last = 0
    for start, end, text in sorted(edits):
        out.append(html[last:start])
        out.append(text)
        last = end
    out.append(html[last:])
    return "".join(out)
