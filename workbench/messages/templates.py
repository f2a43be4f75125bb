"""Message templates in Pinpoint's own JSON, stored in the catalog with versions.

A template is one of Pinpoint's ``*TemplateRequest`` objects, read and written back unchanged:
``EmailTemplateRequest`` (Subject, HtmlPart, TextPart, Headers, ...), ``SMSTemplateRequest`` (Body),
``PushNotificationTemplateRequest`` (Default / APNS / GCM / ADM / Baidu blocks) and ``VoiceTemplateRequest``
(Body, LanguageCode, VoiceId). What ``aws pinpoint get-email-template`` prints (the ``EmailTemplateResponse``,
with Arn, dates and version) and what ``--cli-input-json`` takes (``{"TemplateName": ..., "EmailTemplateRequest":
{...}}``) load as well. Every save adds a version (like segments); the new version becomes the active one, and
``activate_template_version`` rolls back to an older one. Campaigns pin a version by number.

The key tables below mirror Pinpoint's service model (botocore's ``pinpoint`` model is the oracle in the tests;
it is not needed at run time).
"""

from __future__ import annotations

import copy
import html
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UnknownNameError, WorkbenchError, suggest

if TYPE_CHECKING:
    from ..store import Store
    from .render import RenderedMessage, TemplatePart

#: Pinpoint's template types that the workbench sends (in-app templates are not messages it delivers).
TEMPLATE_TYPES = ("EMAIL", "SMS", "PUSH", "VOICE")

#: type -> the request shape's name in Pinpoint's API (the key ``--cli-input-json`` wraps it in)
REQUEST_SHAPES = {
    "EMAIL": "EmailTemplateRequest",
    "SMS": "SMSTemplateRequest",
    "PUSH": "PushNotificationTemplateRequest",
    "VOICE": "VoiceTemplateRequest",
}
#: type -> the response shape's name (what ``aws pinpoint get-*-template`` prints)
RESPONSE_SHAPES = {
    "EMAIL": "EmailTemplateResponse",
    "SMS": "SMSTemplateResponse",
    "PUSH": "PushNotificationTemplateResponse",
    "VOICE": "VoiceTemplateResponse",
}
#: keys a response has and a request does not: dropped when a response is read
RESPONSE_ONLY_KEYS = ("Arn", "CreationDate", "LastModifiedDate", "TemplateName", "TemplateType", "Version")
#: keys beside the shape in ``--cli-input-json`` of Create/Update*Template (ignored: the name comes from the caller)
WRAPPER_KEYS = ("TemplateName", "Version", "CreateNewVersion")

_COMMON_KEYS = ("DefaultSubstitutions", "RecommenderId", "TemplateDescription", "tags")
#: type -> allowed keys of its request (Pinpoint's model; VoiceTemplateRequest has no RecommenderId)
REQUEST_KEYS: dict[str, tuple[str, ...]] = {
    "EMAIL": ("Subject", "HtmlPart", "TextPart", "Headers", *_COMMON_KEYS),
    "SMS": ("Body", *_COMMON_KEYS),
    "PUSH": ("ADM", "APNS", "Baidu", "Default", "GCM", *_COMMON_KEYS),
    "VOICE": ("Body", "LanguageCode", "VoiceId", "DefaultSubstitutions", "TemplateDescription", "tags"),
}
_ANDROID_KEYS = (
    "Action",
    "Body",
    "ImageIconUrl",
    "ImageUrl",
    "RawContent",
    "SmallImageIconUrl",
    "Sound",
    "Title",
    "Url",
)
#: push block -> its keys (DefaultPushNotificationTemplate, APNSPushNotificationTemplate, AndroidPushNotificationTemplate)
PUSH_BLOCK_KEYS: dict[str, tuple[str, ...]] = {
    "Default": ("Action", "Body", "Sound", "Title", "Url"),
    "APNS": ("Action", "Body", "MediaUrl", "RawContent", "Sound", "Title", "Url"),
    "GCM": _ANDROID_KEYS,
    "ADM": _ANDROID_KEYS,
    "Baidu": _ANDROID_KEYS,
}
#: Pinpoint's ``Action`` enumeration (what tapping the notification does)
PUSH_ACTIONS = ("OPEN_APP", "DEEP_LINK", "URL")
EMAIL_PARTS = ("Subject", "HtmlPart", "TextPart")

#: Pinpoint's template size quotas, in characters (pinpoint.md section 5)
MAX_EMAIL_CHARACTERS = 600_000
MAX_PUSH_CHARACTERS = 4_000
MAX_ADM_CHARACTERS = 6_000
MAX_SMS_TEMPLATE_CHARACTERS = 1_600
MAX_VOICE_CHARACTERS = 10_000
#: MessageHeader limits: at most 15 headers, names up to 126 characters, values up to 870
MAX_HEADERS = 15
MAX_HEADER_NAME = 126
MAX_HEADER_VALUE = 870

#: Pinpoint's TemplateName: 1-128 letters, digits, hyphens and underscores
_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
#: an RFC 5322 header field name: printable ASCII without the colon
_HEADER_NAME = re.compile(r"[!-9;-~]+")

#: Pinpoint's message variables (for "variables used"; the renderer decides what they mean)
_VARIABLE = re.compile(
    r"(?<![\w.'\"])("
    r"(?:Attributes|User\.UserAttributes|Demographic|Location|Metrics|Recommendations)\.[A-Za-z0-9_-]+"
    r"|User\.UserId|Id|Address|ChannelType|EndpointStatus|OptOut|EffectiveDate|CreationDate|RequestId"
    r"|RecommendationItems"
    r")(?![\w-])"
)
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def _kind(value: Any) -> str:
    """A JSON-flavoured name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def a_or_an(word: str) -> str:
    """The article for a channel or template type by its first letter: "an EMAIL", "a PUSH", "a SMS"."""
    return "an" if str(word)[:1].upper() in ("A", "E", "I", "O", "U") else "a"


def template_type(value: str) -> str:
    """``email`` / ``EMAIL`` / ``Email`` -> ``EMAIL``; anything else is refused, listing the types."""
    if isinstance(value, str) and value.upper() in TEMPLATE_TYPES:
        return value.upper()
    options = [t.lower() for t in TEMPLATE_TYPES]
    raise InputError(
        f"unknown template type {value!r}: one of {', '.join(options)}{suggest(str(value).lower(), options)}",
        field="type",
    )


def check_template_name(name: str) -> str:
    """Refuse a name Pinpoint would refuse as a TemplateName (1-128 letters, digits, ``-`` and ``_``)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(
            f"template name {name!r} must be 1-128 letters, digits, hyphens or underscores",
            field="TemplateName",
        )
    return name


class _Reader:
    """Checks one request against the key tables, naming the key path and file of the first problem."""

    def __init__(self, file: str | None, kind: str):
        self.file = file
        self.kind = kind

    def fail(self, path: str, reason: str) -> InputError:
        return InputError(reason, file=self.file, field=path or None)

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"must be a string, got {_kind(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.fail(path, "is not valid Unicode text (a lone surrogate)") from None
        return value

    def keys(self, obj: Any, path: str, allowed: tuple[str, ...], what: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise self.fail(path, f"{what} must be a JSON object, got {_kind(obj)}")
        for key in obj:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                hint = suggest(str(key), allowed) or f" (allowed: {', '.join(allowed)})"
                raise self.fail(where, f"unknown key {key!r} in {what}{hint}")
        return obj

    def request(self, obj: Any) -> dict[str, Any]:
        shape = REQUEST_SHAPES[self.kind]
        self.keys(obj, "", REQUEST_KEYS[self.kind], shape)
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key == "Headers":
                out[key] = self.headers(value)
            elif key == "tags":
                out[key] = self.tags(value)
            elif key in PUSH_BLOCK_KEYS:
                out[key] = self.push_block(value, key)
            elif key == "DefaultSubstitutions":
                out[key] = self.string(value, key)
                parse_default_substitutions(out[key], file=self.file)
            else:
                out[key] = self.string(value, key)
        return out

    def headers(self, value: Any) -> list[dict[str, str]]:
        if not isinstance(value, list):
            raise self.fail("Headers", f"must be a list of {{Name, Value}} objects, got {_kind(value)}")
        if len(value) > MAX_HEADERS:
            raise self.fail("Headers", f"has {len(value)} headers; Pinpoint allows at most {MAX_HEADERS}")
        out = []
        for i, header in enumerate(value):
            path = f"Headers[{i}]"
            self.keys(header, path, ("Name", "Value"), "MessageHeader")
            if "Name" not in header:
                raise self.fail(f"{path}.Name", "a header needs a Name")
            name = self.string(header["Name"], f"{path}.Name")
            if len(name) > MAX_HEADER_NAME:
                raise self.fail(f"{path}.Name", f"is {len(name)} characters; the limit is {MAX_HEADER_NAME}")
            if not _HEADER_NAME.fullmatch(name):
                raise self.fail(
                    f"{path}.Name", f"{name!r} is not a header name (printable ASCII, no spaces or colons)"
                )
            item = {"Name": name}
            if "Value" in header:
                val = self.string(header["Value"], f"{path}.Value")
                if len(val) > MAX_HEADER_VALUE:
                    raise self.fail(
                        f"{path}.Value", f"is {len(val)} characters; the limit is {MAX_HEADER_VALUE}"
                    )
                if "\r" in val or "\n" in val:
                    # a line break in a header value would let the value add headers of its own
                    raise self.fail(f"{path}.Value", "a header value may not contain line breaks")
                item["Value"] = val
            out.append({k: item[k] for k in header})  # the input's key order
        return out

    def tags(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail("tags", f"must be an object of strings, got {_kind(value)}")
        return {self.string(k, "tags"): self.string(v, f"tags.{k}") for k, v in value.items()}

    def push_block(self, value: Any, block: str) -> dict[str, str]:
        allowed = PUSH_BLOCK_KEYS[block]
        self.keys(value, block, allowed, f"the {block} push template")
        out = {key: self.string(v, f"{block}.{key}") for key, v in value.items()}
        if "Action" in out and out["Action"] not in PUSH_ACTIONS:
            raise self.fail(
                f"{block}.Action",
                f"{out['Action']!r} is not one of {', '.join(PUSH_ACTIONS)}{suggest(out['Action'], PUSH_ACTIONS)}",
            )
        return out


def parse_default_substitutions(text: str | None, *, file: str | None = None) -> dict[str, str]:
    """Pinpoint's ``DefaultSubstitutions`` (a JSON object in a string) -> {variable: default text}.

    Values may be strings, numbers or booleans (rendered as text); nested objects, lists and null are refused.
    """
    if not text:
        return {}
    where = "DefaultSubstitutions"
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(
            f'must be a JSON object in a string, e.g. \'{{"FirstName": "there"}}\' ({err.msg} at '
            f"character {err.pos})",
            file=file,
            field=where,
        ) from None
    except RecursionError:
        raise InputError("is nested too deeply", file=file, field=where) from None
    if not isinstance(parsed, dict):
        raise InputError(f"must hold a JSON object, got {_kind(parsed)}", file=file, field=where)
    out = {}
    for key, value in parsed.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = json.dumps(value)
        elif not isinstance(value, str):
            raise InputError(
                f"a default must be text or a number, got {_kind(value)}", file=file, field=f"{where}.{key}"
            )
        try:
            key.encode("utf-8")
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("is not valid Unicode text", file=file, field=f"{where}.{key}") from None
        out[key] = value
    return out


def _load_json(obj_or_text: Any, file: str | None) -> Any:
    """A dict passes through; JSON text or a file path is parsed, naming the line of a syntax error."""
    if isinstance(obj_or_text, Path):
        file = file or str(obj_or_text)
        try:
            obj_or_text = obj_or_text.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("no such file", file=file) from None
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read the template: {err}", file=file) from None
    if isinstance(obj_or_text, bytes | bytearray):
        try:
            obj_or_text = obj_or_text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"not UTF-8 text: {err.reason} at byte {err.start}", file=file) from None
    if isinstance(obj_or_text, str):
        try:
            return json.loads(obj_or_text)
        except json.JSONDecodeError as err:
            raise InputError(
                f"not valid JSON: {err.msg} (column {err.colno})", file=file, line=err.lineno
            ) from None
        except RecursionError:
            raise InputError("the JSON is nested too deeply", file=file) from None
    return obj_or_text


def _unwrap(obj: Any, kind: str, file: str | None) -> Any:
    """Take the request out of ``{"EmailTemplateRequest": {...}}`` / ``{"EmailTemplateResponse": {...}}``."""
    if not isinstance(obj, dict):
        raise InputError(f"a template must be a JSON object, got {_kind(obj)}", file=file)
    shapes = [k for k in obj if isinstance(k, str) and k.endswith(("TemplateRequest", "TemplateResponse"))]
    if not shapes:
        return obj
    mine = (REQUEST_SHAPES[kind], RESPONSE_SHAPES[kind])
    for key in obj:
        if key in mine or key in WRAPPER_KEYS:
            continue
        other = [t for t in TEMPLATE_TYPES if key in (REQUEST_SHAPES[t], RESPONSE_SHAPES[t])]
        if other:
            raise InputError(
                f"this is {'an' if other[0] in ('EMAIL', 'SMS') else 'a'} {other[0]} template, "
                f"not {kind}: save it with type {other[0].lower()}",
                file=file,
                field=str(key),
            )
        allowed = (*mine, *WRAPPER_KEYS)
        hint = suggest(str(key), allowed) or f" (allowed: {', '.join(allowed)})"
        raise InputError(f"unknown key {key!r} beside {mine[0]}{hint}", file=file, field=str(key))
    if len(shapes) > 1:
        raise InputError(f"give one of {' or '.join(shapes)}, not both", file=file, field=shapes[1])
    return obj[shapes[0]]


def _strip_response(obj: Any, kind: str, file: str | None) -> Any:
    """Drop the keys only a response has (Arn, dates, version...), checking TemplateType against ``kind``."""
    if not isinstance(obj, dict):
        raise InputError(f"{REQUEST_SHAPES[kind]} must be a JSON object, got {_kind(obj)}", file=file)
    found = obj.get("TemplateType")
    if found is not None and found != kind:
        raise InputError(f"the template says it is {found!r}, not {kind}", file=file, field="TemplateType")
    return {k: v for k, v in obj.items() if k not in RESPONSE_ONLY_KEYS}


def _check_sizes(kind: str, request: Mapping[str, Any], file: str | None) -> None:
    """Pinpoint's size quotas: email 600,000 characters, push 4,000 per platform (ADM 6,000), SMS 1,600, voice 10,000."""

    def over(sizes: dict[str, int], limit: int, what: str) -> None:
        total = sum(sizes.values())
        if total > limit:
            biggest = max(sizes, key=sizes.__getitem__)
            detail = f" ({biggest} has {sizes[biggest]:,})" if len(sizes) > 1 else ""
            raise InputError(
                f"{what} is {total:,} characters{detail}; Pinpoint's limit is {limit:,}",
                file=file,
                field=biggest,
            )

    if kind == "EMAIL":
        sizes = {k: len(request[k]) for k in EMAIL_PARTS if k in request}
        over(sizes, MAX_EMAIL_CHARACTERS, "the email template")
    elif kind == "SMS" and "Body" in request:
        over({"Body": len(request["Body"])}, MAX_SMS_TEMPLATE_CHARACTERS, "the SMS body")
    elif kind == "VOICE" and "Body" in request:
        over({"Body": len(request["Body"])}, MAX_VOICE_CHARACTERS, "the voice script")
    elif kind == "PUSH":
        for block in PUSH_BLOCK_KEYS:
            fields = request.get(block) or {}
            sizes = {f"{block}.{k}": len(v) for k, v in fields.items() if k != "Action"}
            limit = MAX_ADM_CHARACTERS if block == "ADM" else MAX_PUSH_CHARACTERS
            if sizes:
                over(sizes, limit, f"the {block} push template")


def _has_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_has_content(kind: str, request: Mapping[str, Any], file: str | None = None) -> None:
    """Refuse a template that would send nothing: EMAIL needs HtmlPart or TextPart, SMS and VOICE a Body, PUSH
    a Body or Title in one of its blocks (Default, APNS, GCM, ADM, Baidu). Blank text counts as none.

    Pinpoint's model marks none of these keys required, so reading a template (``Template.from_json``) accepts
    one without them, as botocore does; saving one refuses it, so the mistake shows when it is made, not when
    the first message fails.
    """
    if kind == "EMAIL":
        if not any(_has_text(request.get(k)) for k in ("HtmlPart", "TextPart")):
            raise InputError(
                "an email template needs an HtmlPart, a TextPart, or both (the template has no content)",
                file=file,
                field="HtmlPart",
            )
    elif kind in ("SMS", "VOICE"):
        if not _has_text(request.get("Body")):
            what = "an SMS" if kind == "SMS" else "a voice"
            raise InputError(f"{what} template needs a Body (the text to send)", file=file, field="Body")
    elif kind == "PUSH":
        blocks = [b for b in PUSH_BLOCK_KEYS if isinstance(request.get(b), Mapping)]
        if not any(_has_text(request[b].get(k)) for b in blocks for k in ("Body", "Title")):
            raise InputError(
                "a push template needs a Body or a Title in one of its blocks (Default, APNS, GCM, ADM, Baidu)",
                file=file,
                field=f"{blocks[0]}.Body" if blocks else "Default.Body",
            )


def _request_parts(kind: str, request: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(part name, source, is HTML) for every text the renderer fills in, in a stable order."""
    if kind == "EMAIL":
        return [(k, request[k], k == "HtmlPart") for k in EMAIL_PARTS if k in request]
    if kind in ("SMS", "VOICE"):
        return [("Body", request["Body"], False)] if "Body" in request else []
    out = []
    for block, keys in PUSH_BLOCK_KEYS.items():
        fields = request.get(block) or {}
        out.extend((f"{block}.{k}", fields[k], False) for k in keys if k in fields and k != "Action")
    return out


@dataclass(frozen=True)
class Template:
    """A message template: Pinpoint's ``*TemplateRequest`` JSON (``request``) with its name, type and version.

    Build one with ``Template.from_json(name, "email", {...})`` (checked: unknown keys, wrong types, Pinpoint's
    size quotas, template syntax), or load a saved one with ``load_template(store, name)``. ``to_json()`` gives
    the request back unchanged. In Jupyter a template shows its HTML part in a sandboxed frame, SMS parts and the
    variables it uses; ``template.preview(endpoint_id)`` renders it for one endpoint.
    """

    name: str
    type: str
    request: dict[str, Any] = field(hash=False)
    version: int | None = None
    template_id: str | None = None
    store: Store | None = field(default=None, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, name: str, type: str, obj_or_text: Any, *, file: str | None = None) -> Template:
        """Read a template from a dict, JSON text or a file path, refusing anything Pinpoint would refuse.

        Accepts the bare request (``{"Subject": ..., "HtmlPart": ...}``), the AWS CLI's wrappers
        (``{"TemplateName": ..., "EmailTemplateRequest": {...}}``) and a ``get-*-template`` response (its Arn,
        dates, TemplateName and Version are dropped). Unknown keys and wrong types raise InputError naming the
        key path (``APNS.Sound``) and the file; so do oversized parts and refused template constructs.
        """
        kind = template_type(type)
        check_template_name(name)
        if isinstance(obj_or_text, Path) and file is None:
            file = str(obj_or_text)
        obj = _strip_response(_unwrap(_load_json(obj_or_text, file), kind, file), kind, file)
        request = _Reader(file, kind).request(obj)
        _check_sizes(kind, request, file)
        from .render import check_part

        for part, source, is_html in _request_parts(kind, request):
            try:
                check_part(source, html=is_html, where=file, part=part)
            except InputError as err:
                if err.line is None:
                    raise
                # the line counts within the part, not the JSON file (where a part is one string): say so
                raise InputError(f"{err.reason} (line {err.line} of {part})", file=file, field=part) from None
        return cls(name, kind, request)

    def to_json(self) -> dict[str, Any]:
        """The request as Pinpoint takes it (a copy: ``EmailTemplateRequest`` etc., without the wrapper)."""
        return copy.deepcopy(self.request)

    def to_cli_input(self) -> dict[str, Any]:
        """``{"TemplateName": ..., "EmailTemplateRequest": {...}}``, as ``aws pinpoint create-email-template
        --cli-input-json`` takes it."""
        return {"TemplateName": self.name, REQUEST_SHAPES[self.type]: self.to_json()}

    @property
    def description(self) -> str:
        """``TemplateDescription`` ('' when none)."""
        return str(self.request.get("TemplateDescription", ""))

    @property
    def default_substitutions(self) -> dict[str, str]:
        """``DefaultSubstitutions`` parsed: {variable: default text} for values an endpoint lacks."""
        return parse_default_substitutions(self.request.get("DefaultSubstitutions"))

    def parts(self) -> dict[str, TemplatePart]:
        """The texts to render: EMAIL Subject / HtmlPart (HTML) / TextPart; SMS and VOICE Body; PUSH
        ``Default.Title``, ``APNS.Body``... for every text field present (not ``Action``)."""
        from .render import TemplatePart

        return {
            part: TemplatePart(source, is_html)
            for part, source, is_html in _request_parts(self.type, self.request)
        }

    def variables(self) -> list[str]:
        """The Pinpoint variables the parts use (``User.UserAttributes.FirstName``, ``Id``...), sorted."""
        found: set[str] = set()
        for _part, source, _html in _request_parts(self.type, self.request):
            for tag in _TAG.findall(source):
                found.update(_VARIABLE.findall(tag))
        return sorted(found)

    def render(
        self, endpoint: Mapping[str, Any], *, substitutions: Mapping[str, Any] | None = None
    ) -> RenderedMessage:
        """Render every part for one endpoint row (as ``endpoint_rows`` returns it); missing values are listed."""
        from .render import render_parts

        return render_parts(self.parts(), endpoint, self.default_substitutions, substitutions=substitutions)

    def preview(self, endpoint_id: str, *, store: Store | None = None) -> TemplatePreview:
        """The template rendered for one endpoint of the project (``store``, else the one it was loaded from)."""
        from .context import endpoint_rows

        store = store if store is not None else self.store
        if store is None:
            raise WorkbenchError(
                f"template {self.name!r} is not in a project: save it with save_template(), or pass store="
            )
        rows = endpoint_rows(store, ids=[endpoint_id])
        if not rows:
            raise UnknownNameError(f"no endpoint with Id {endpoint_id!r} in {store.path}")
        rendered = self.render(rows[0])
        return TemplatePreview(
            template=self.name,
            type=self.type,
            version=self.version,
            endpoint=endpoint_id,
            parts=dict(rendered.parts),
            missing=list(rendered.missing),
        )

    def __repr__(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        return f"<Template {self.name!r} {self.type}{version}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        version = f" &middot; version {self.version}" if self.version is not None else " &middot; not saved"
        out = [
            f"<div><b>{esc(self.name)}</b> &middot; {self.type.lower()} template{version}</div>",
        ]
        if self.description:
            out.append(f"<div><i>{esc(self.description)}</i></div>")
        request = self.request
        if self.type == "EMAIL":
            if "Subject" in request:
                out.append(f"<div><b>Subject:</b> {esc(request['Subject'])}</div>")
            if "HtmlPart" in request:
                out.append(sandboxed_iframe(request["HtmlPart"]))
            if "TextPart" in request:
                out.append(_pre("TextPart", request["TextPart"]))
        elif self.type == "SMS" and "Body" in request:
            out.append(_pre("Body", request["Body"]))
            out.append(_sms_line(request["Body"], "as written, before variables are filled in"))
        elif self.type == "VOICE":
            voice = ", ".join(f"{k} {request[k]}" for k in ("LanguageCode", "VoiceId") if k in request)
            out.append(_pre(f"Body{f' ({voice})' if voice else ''}", request.get("Body", "")))
        else:
            rows = "".join(
                f"<tr><td>{esc(part)}</td><td>{esc(source)}</td></tr>"
                for part, source, _html in _request_parts(self.type, request)
            )
            out.append(f"<table>{rows}</table>")
        variables = self.variables()
        out.append(f"<div><b>Variables:</b> {esc(', '.join(variables)) if variables else 'none'}</div>")
        defaults = self.default_substitutions
        if defaults:
            out.append(
                "<div><b>Defaults:</b> "
                + esc(", ".join(f"{k} = {v!r}" for k, v in defaults.items()))
                + "</div>"
            )
        return "\n".join(out)


@dataclass(frozen=True)
class TemplatePreview:
    """A template rendered for one endpoint: the parts, and the variables that had no value (warnings)."""

    template: str
    type: str
    version: int | None
    endpoint: str
    parts: dict[str, str]
    missing: list[str]

    def to_dict(self) -> dict[str, Any]:
        """``{"template", "type", "version", "endpoint", "parts", "missing"}`` (what ``template render --json`` prints)."""
        return {
            "template": self.template,
            "type": self.type,
            "version": self.version,
            "endpoint": self.endpoint,
            "parts": dict(self.parts),
            "missing": list(self.missing),
        }

    def text(self) -> str:
        """The parts as a person reads them (the CLI's output without ``--json``)."""
        lines = [f"{self.template} v{self.version} for endpoint {self.endpoint}"]
        for part, value in self.parts.items():
            lines.append(f"--- {part}")
            lines.append(value)
        if self.missing:
            lines.append(f"warning: no value and no default for {', '.join(self.missing)} (rendered empty)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        out = [
            f"<div><b>{esc(self.template)}</b> v{self.version} for endpoint <code>{esc(self.endpoint)}</code></div>"
        ]
        for part, value in self.parts.items():
            if part == "HtmlPart":
                out.append(sandboxed_iframe(value))
            else:
                out.append(_pre(part, value))
        if self.type == "SMS" and "Body" in self.parts:
            out.append(_sms_line(self.parts["Body"], "rendered"))
        if self.missing:
            out.append(
                '<div style="color:#a60"><b>Warning:</b> no value and no default for '
                f"{esc(', '.join(self.missing))} (rendered as empty text)</div>"
            )
        return "\n".join(out)


def sandboxed_iframe(source: str, *, height: int = 360) -> str:
    """An HTML document shown in ``<iframe sandbox srcdoc=...>``: no scripts, forms or access to the notebook."""
    return (
        f'<iframe sandbox srcdoc="{html.escape(source, quote=True)}" '
        f'style="width:100%;height:{height}px;border:1px solid #ccc"></iframe>'
    )


def _pre(label: str, text: str) -> str:
    return (
        f"<div><b>{html.escape(label)}</b></div><pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"
    )


def _sms_line(text: str, note: str) -> str:
    from .sms import sms_parts

    info = sms_parts(text)
    return (
        f"<div><b>SMS:</b> {info.encoding}, {info.characters:,} characters, "
        f"{info.parts} part{'s' if info.parts != 1 else ''} ({html.escape(note)})</div>"
    )


# --- storage in the catalog (tables templates / template_versions) ---------------------------------------------


def save_template(store: Store, name: str, type: str, request: Any, *, file: str | None = None) -> Template:
    """Check the template and save it as a new version (version 1 for a new name); return it with its version.

    ``request`` is what ``Template.from_json`` takes (a dict, JSON text, a path). The new version becomes the
    active one. Nothing is saved when the template is refused, nor when it has nothing to send
    (:func:`check_has_content`). Names are unique per type, as in Pinpoint.
    """
    template = Template.from_json(name, type, request, file=file)
    check_has_content(template.type, template.request, file=file or _file_of(request))
    now = datetime.now(UTC).replace(tzinfo=None)
    spec = json.dumps(template.request)
    with store.transaction() as con:
        rows = con.execute(
            "SELECT template_id, latest_version FROM templates WHERE name = ? AND template_type = ?",
            [template.name, template.type],
        ).fetchall()
        if rows:
            template_id, version = rows[0][0], int(rows[0][1]) + 1
            con.execute(
                "UPDATE templates SET latest_version = ?, active_version = ?, updated_at = ? WHERE template_id = ?",
                [version, version, now, template_id],
            )
        else:
            template_id, version = uuid.uuid4().hex, 1
            con.execute(
                "INSERT INTO templates (template_id, name, template_type, created_at, updated_at, latest_version, "
                "active_version) VALUES (?, ?, ?, ?, ?, 1, 1)",
                [template_id, template.name, template.type, now, now],
            )
        con.execute(
            "INSERT INTO template_versions (template_id, version, spec, created_at) VALUES (?, ?, ?, ?)",
            [template_id, version, spec, now],
        )
    return replace(template, version=version, template_id=template_id, store=store)


def _file_of(request: Any) -> str | None:
    """The file a request was read from, when it was given as a path (for error messages)."""
    return str(request) if isinstance(request, Path) else None


def _find(con: Any, name: str, kind: str | None) -> tuple[str, str, int, int]:
    """(template_id, type, latest_version, active_version) of a name, or a clear error."""
    rows = con.execute(
        "SELECT template_id, template_type, latest_version, active_version FROM templates WHERE name = ? "
        "ORDER BY template_type",
        [name],
    ).fetchall()
    if kind is not None:
        mine = [r for r in rows if r[1] == kind]
        if not mine:
            if rows:
                others = ", ".join(r[1] for r in rows)
                raise UnknownNameError(
                    f"no {kind} template named {name!r} (there is {a_or_an(others)} {others} template of that name)"
                )
            names = [
                r[0]
                for r in con.execute("SELECT name FROM templates WHERE template_type = ?", [kind]).fetchall()
            ]
            raise UnknownNameError(f"no {kind} template named {name!r}{suggest(name, names)}")
        rows = mine
    if not rows:
        names = [r[0] for r in con.execute("SELECT DISTINCT name FROM templates").fetchall()]
        raise UnknownNameError(f"no template named {name!r}{suggest(name, names)}")
    if len(rows) > 1:
        raise InputError(
            f"{name!r} names templates of types {', '.join(r[1] for r in rows)}: say which type",
            field="type",
        )
    template_id, found_type, latest, active = rows[0]
    return template_id, found_type, int(latest), int(active)


def load_template(
    store: Store, name: str, *, type: str | None = None, version: int | None = None
) -> Template:
    """A saved template: the active version (normally the latest), or ``version`` when given (campaigns pin one).

    An unknown name lists close ones; a missing version lists the versions there are; a name that two types
    share needs ``type``.
    """
    kind = template_type(type) if type is not None else None
    with store.connect(read_only=True, views=False) as con:
        template_id, found_type, _latest, active = _find(con, name, kind)
        wanted = active if version is None else int(version)
        rows = con.execute(
            "SELECT CAST(spec AS VARCHAR) FROM template_versions WHERE template_id = ? AND version = ?",
            [template_id, wanted],
        ).fetchall()
        if not rows:
            have = [
                r[0]
                for r in con.execute(
                    "SELECT version FROM template_versions WHERE template_id = ? ORDER BY version",
                    [template_id],
                ).fetchall()
            ]
            raise UnknownNameError(
                f"{found_type} template {name!r} has no version {wanted} (versions: {_ranges(have)})"
            )
    return Template(name, found_type, json.loads(rows[0][0]), wanted, template_id, store)


def activate_template_version(store: Store, name: str, version: int, *, type: str | None = None) -> Template:
    """Make an older (or newer) saved version the active one, as Pinpoint's UpdateTemplateActiveVersion does."""
    template = load_template(store, name, type=type, version=version)  # checks that the version exists
    with store.transaction() as con:
        con.execute(
            "UPDATE templates SET active_version = ?, updated_at = ? WHERE template_id = ?",
            [template.version, datetime.now(UTC).replace(tzinfo=None), template.template_id],
        )
    return template


def list_templates(store: Store) -> list[dict[str, Any]]:
    """Every template: name, type, latest_version, active_version, updated_at, description (of the active version)."""
    with store.connect(read_only=True, views=False) as con:
        rows = con.execute(
            "SELECT t.name, t.template_type, t.latest_version, t.active_version, t.updated_at, "
            "CAST(v.spec AS VARCHAR) FROM templates t JOIN template_versions v "
            "ON v.template_id = t.template_id AND v.version = t.active_version ORDER BY t.name, t.template_type"
        ).fetchall()
    return [
        {
            "name": name,
            "type": kind,
            "latest_version": int(latest),
            "active_version": int(active),
            "updated_at": updated,
            "description": json.loads(spec).get("TemplateDescription", ""),
        }
        for name, kind, latest, active, updated, spec in rows
    ]


def _ranges(versions: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5' (a template may have thousands of versions)."""
    spans: list[list[int]] = []
    for v in versions:
        if spans and spans[-1][1] == v - 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    return ", ".join(f"{a}-{b}" if b > a + 1 else (f"{a}, {b}" if b == a + 1 else str(a)) for a, b in spans)
