"""Transactional (direct) sends: Pinpoint's SendMessages and SendUsersMessages.

``send_message(store, channel=..., template=NAME or parts={...}, to=ADDRESS | endpoint_id=ID | user_id=ID)``
renders the template for each recipient, composes it (e-mail: MIME with a Message-ID from the send key; SMS:
the body checked against the 1,600-character limit), plans it in the ledger, and runs the send loop with the
channel's configured adapter. It returns a :class:`SendOutcome` with one Pinpoint-like result per recipient
(``Address``, ``DeliveryStatus``, ``MessageId``, ``StatusCode``, ``StatusMessage``).

- ``to``: one address (or a list), sent as Pinpoint's ``Addresses`` map is. When a project endpoint of the
  channel has that address, its attributes personalise the message and its id goes in the events.
- ``endpoint_id``: one endpoint (or a list), Pinpoint's ``Endpoints`` map.
- ``user_id``: every ACTIVE endpoint of the user on this channel (SendUsersMessages' fan-out); a second
  endpoint with the same address gets ``DUPLICATE`` and is not sent twice.

Addresses are normalised and checked BEFORE anything is sent or planned: an invalid e-mail address or phone
number raises InputError naming it; an unknown channel raises UnknownNameError listing the project's channels.

``message_type``: ``TRANSACTIONAL`` (the default) or ``PROMOTIONAL``. A promotional message is stopped by every
suppression reason and by the endpoint's ``OptOut = ALL``, and a promotional e-mail carries List-Unsubscribe;
a transactional one is stopped only by BOUNCE, COMPLAINT, SMS_STOP and MANUAL (suppression.py says why).

``request_id`` makes a send idempotent: calling again with the same id plans the same send keys, so nothing that
was accepted is sent again, and what is still owed is retried. Without one, each call is a new request.
Retryable outcomes are retried inside the call while the next attempt falls within ``[delivery]
transactional_wait_seconds`` (default 30); what is still retryable then is reported ``TEMPORARY_FAILURE`` (or
``THROTTLED``) and stays owed in the ledger (``workbench delivery resume RUN``). A message that used up its
``[delivery] max_attempts`` is ``failed`` in the ledger and reported ``THROTTLED`` when the last answer was a
throttling one (HTTP 429, SMTP 421/454), ``TEMPORARY_FAILURE`` otherwise.

Custom channels (``adapter = "webhook"`` and the like) have no templates: give ``parts={"Data": "..."}`` (the
CLI's ``--data``), Pinpoint's custom-channel ``Data``, rendered with the same variables as a template.
"""

from __future__ import annotations

import html as _html
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, UnknownNameError, WorkbenchError
from ..messages.templates import a_or_an
from ..segments.sample_html import shorten
from .compose import compose_message, email_sender
from .keys import normalise_address, send_key, suppression_form
from .ledger import Ledger, LedgerRow, PlannedMessage
from .runs import send_run

DELIVERY_STATUSES = (
    "SUCCESSFUL",
    "THROTTLED",
    "TEMPORARY_FAILURE",
    "PERMANENT_FAILURE",
    "UNKNOWN_FAILURE",
    "OPT_OUT",
    "DUPLICATE",
)
_THROTTLE_CODES = ("429", "421", "454")
_TEMPLATE_TYPE = {"EMAIL": "EMAIL", "SMS": "SMS", "PUSH": "PUSH", "VOICE": "VOICE"}


@dataclass(frozen=True)
class DeliveryResult:
    """One recipient's result, as Pinpoint's ``MessageResult`` / ``EndpointMessageResult``."""

    address: str
    delivery_status: str
    status_code: int
    status_message: str
    message_id: str | None = None
    endpoint_id: str | None = None
    user_id: str | None = None
    send_key: str | None = None
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Pinpoint's result keys, plus the workbench's EndpointId, UserId, SendKey and ledger State."""
        return {
            "Address": self.address,
            "DeliveryStatus": self.delivery_status,
            "MessageId": self.message_id,
            "StatusCode": self.status_code,
            "StatusMessage": self.status_message,
            "EndpointId": self.endpoint_id,
            "UserId": self.user_id,
            "SendKey": self.send_key,
            "State": self.state,
        }


@dataclass
class SendOutcome:
    """What a transactional send did: one :class:`DeliveryResult` per recipient, and counts by status."""

    request_id: str
    run: str
    channel: str
    results: list[DeliveryResult] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many recipients got each DeliveryStatus."""
        out: dict[str, int] = {}
        for r in self.results:
            out[r.delivery_status] = out.get(r.delivery_status, 0) + 1
        return out

    @property
    def ok(self) -> bool:
        """True when every recipient's message was accepted."""
        return bool(self.results) and all(r.delivery_status == "SUCCESSFUL" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "request_id": self.request_id,
            "run": self.run,
            "channel": self.channel,
            "results": [r.to_dict() for r in self.results],
            "counts": self.counts,
        }

    def message_response(self) -> dict[str, Any]:
        """Pinpoint's ``MessageResponse`` shape: ``Result`` by address, ``EndpointResult`` by endpoint id."""
        by_address, by_endpoint = {}, {}
        for r in self.results:
            item = {
                k: v
                for k, v in r.to_dict().items()
                if k in ("Address", "DeliveryStatus", "MessageId", "StatusCode", "StatusMessage")
            }
            if r.endpoint_id:
                by_endpoint[r.endpoint_id] = item
            else:
                by_address[r.address] = item
        return {"RequestId": self.request_id, "Result": by_address, "EndpointResult": by_endpoint}

    def _repr_html_(self) -> str:
        esc = _html.escape

        def cell(text: str) -> str:  # a push token is ~150 characters: shortened, whole on hover
            short = shorten(text)
            return (
                f"<td title='{esc(text, quote=True)}'>{esc(short)}</td>"
                if short != text
                else f"<td>{esc(text)}</td>"
            )

        rows = "".join(
            f"<tr><td>{esc(r.endpoint_id or '')}</td>{cell(r.address)}<td><b>{esc(r.delivery_status)}</b>"
            f"</td><td>{r.status_code}</td>{cell(r.status_message)}<td>{esc(r.message_id or '')}</td></tr>"
            for r in self.results
        )
        counts = ", ".join(f"{k}: {v}" for k, v in self.counts.items())
        return (
            f"<div><b>{esc(self.channel)} send {esc(self.request_id)}</b> ({esc(counts)})<table>"
            "<tr><th>Endpoint</th><th>Address</th><th>DeliveryStatus</th><th>StatusCode</th>"
            f"<th>StatusMessage</th><th>MessageId</th></tr>{rows}</table></div>"
        )


@dataclass
class _Recipient:
    address: str
    endpoint_id: str | None
    user_id: str | None
    row: dict[str, Any]
    duplicate_of: str | None = None


def send_message(
    store: Any,
    *,
    channel: str,
    template: str | None = None,
    parts: Mapping[str, str] | None = None,
    to: str | Sequence[str] | None = None,
    endpoint_id: str | Sequence[str] | None = None,
    user_id: str | None = None,
    substitutions: Mapping[str, Any] | None = None,
    message_type: str | None = None,
    template_version: int | None = None,
    request_id: str | None = None,
    attributes: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> SendOutcome:
    """Send one message to an address, an endpoint, or every endpoint of a user; see the module docstring."""
    from ..channels.registry import channel_family as registry_family
    from ..channels.registry import open_channel
    from ..messages.render import render_parts

    given = [x for x in (to, endpoint_id, user_id) if x not in (None, "", [])]
    if len(given) != 1:
        raise InputError("give exactly one of to (an address), endpoint_id or user_id", field="to")
    if (template is None) == (parts is None):
        raise InputError("give a template name or the parts to send, not both or neither", field="template")
    promotional = _message_type(message_type) == "PROMOTIONAL"
    request_id = str(request_id) if request_id else uuid.uuid4().hex
    run = f"transactional:{request_id}"
    adapter = open_channel(store, channel, run=run, environ=environ)  # unknown channel: lists the channels
    try:
        family = registry_family(channel) if channel.upper() in _CHANNEL_TYPES() else "CUSTOM"
        region = str(store.setting("import.default_region", "") or "") or None
        recipients = _recipients(
            store, family, to=to, endpoint_id=endpoint_id, user_id=user_id, region=region
        )
        message_parts, defaults = _template_parts(store, family, template, parts, template_version)
        if family == "EMAIL":
            email_sender(store)
        planned: list[PlannedMessage] = []
        failures: list[DeliveryResult] = []
        for r in recipients:
            key = send_key("transactional", request_id, run, r.endpoint_id or r.address, family)
            if r.duplicate_of is not None:
                failures.append(
                    DeliveryResult(
                        r.address,
                        "DUPLICATE",
                        400,
                        f"same address as endpoint {r.duplicate_of}",
                        endpoint_id=r.endpoint_id,
                        user_id=r.user_id,
                        send_key=key,
                    )
                )
                continue
            try:
                rendered = render_parts(message_parts, r.row, defaults, substitutions=substitutions).parts
                planned.append(
                    compose_message(
                        store,
                        family,
                        key,
                        r.row,
                        rendered,
                        address=r.address,
                        promotional=promotional,
                        attributes=dict(attributes or {}),
                    )
                )
            except WorkbenchError as err:  # a render limit or a bad rendered part fails this recipient alone
                failures.append(
                    DeliveryResult(
                        r.address,
                        "PERMANENT_FAILURE",
                        400,
                        str(err),
                        endpoint_id=r.endpoint_id,
                        user_id=r.user_id,
                        send_key=key,
                    )
                )
        with Ledger.for_store(store) as ledger:
            if planned:
                ledger.plan(run, "transactional", request_id, planned)
                wait = float(store.setting("delivery.transactional_wait_seconds", 30))
                send_run(
                    store, run, channel=family, adapter=adapter, ledger=ledger, deadline=time.time() + wait
                )
            rows = {r.send_key: r for r in ledger.rows(run, keys=[p.send_key for p in planned])}
    finally:
        adapter.close()
    results = [_result(rows[p.send_key]) for p in planned if p.send_key in rows]
    return SendOutcome(request_id, run, family, results + failures)


def _CHANNEL_TYPES() -> dict[str, str]:
    from ..channels.registry import CHANNEL_TYPES

    return CHANNEL_TYPES


def _message_type(value: str | None) -> str:
    if value is None:
        return "TRANSACTIONAL"
    text = str(value).strip().upper()
    if text not in ("TRANSACTIONAL", "PROMOTIONAL"):
        raise InputError(f"message type {value!r}: use TRANSACTIONAL or PROMOTIONAL", field="message_type")
    return text


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _recipients(
    store: Any, family: str, *, to: Any, endpoint_id: Any, user_id: Any, region: str | None
) -> list[_Recipient]:
    from ..channels.registry import channel_family as registry_family
    from ..messages.context import endpoint_rows

    out: list[_Recipient] = []
    if to is not None:
        for raw in _as_list(to):
            address = _normalise(family, raw, region, field="to")
            known = [
                row
                for row in endpoint_rows(store, address=address)
                if registry_family(str(row.get("ChannelType") or "")) == family
            ]
            row = known[0] if known else {"Address": address, "ChannelType": family}
            out.append(_Recipient(address, row.get("Id"), row.get("User.UserId"), row))
    elif endpoint_id is not None:
        ids = _as_list(endpoint_id)
        rows = {row["Id"]: row for row in endpoint_rows(store, ids=ids)}
        for eid in ids:
            row = rows.get(eid)
            if row is None:
                raise UnknownNameError(f"no endpoint with Id {eid!r} in {store.path}")
            if registry_family(str(row.get("ChannelType") or "")) != family:
                kind = str(row.get("ChannelType") or "")
                raise InputError(
                    f"endpoint {eid!r} is {a_or_an(kind)} {kind} endpoint, not {family}"
                    if kind
                    else f"endpoint {eid!r} has no ChannelType, so it is not {a_or_an(family)} {family} endpoint",
                    field="endpoint_id",
                )
            address = _normalise(
                family, str(row.get("Address") or ""), region, field=f"endpoint {eid} Address"
            )
            out.append(_Recipient(address, eid, row.get("User.UserId"), row))
    else:
        rows = [
            row
            for row in endpoint_rows(store, user_id=str(user_id))
            if registry_family(str(row.get("ChannelType") or "")) == family
            and str(row.get("EndpointStatus") or "ACTIVE").upper() == "ACTIVE"
        ]
        if not rows:
            raise UnknownNameError(f"user {user_id!r} has no active {family} endpoint in {store.path}")
        seen: dict[str, str] = {}
        for row in rows:
            address = _normalise(
                family, str(row.get("Address") or ""), region, field=f"endpoint {row['Id']} Address"
            )
            mailbox = suppression_form(family, address) if family != "CUSTOM" else address
            out.append(_Recipient(address, row["Id"], str(user_id), row, duplicate_of=seen.get(mailbox)))
            seen.setdefault(mailbox, row["Id"])
    return out


def _normalise(family: str, address: str, region: str | None, *, field: str) -> str:
    if family in ("EMAIL", "SMS", "VOICE"):
        return normalise_address(family, address, region=region, field=field)
    text = address.strip()
    if not text:
        raise InputError("empty address", field=field)
    return text


def _template_parts(
    store: Any, family: str, template: str | None, parts: Mapping[str, str] | None, version: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    from ..messages.render import TemplatePart, check_part

    if template is not None:
        from ..messages.templates import load_template

        kind = _TEMPLATE_TYPE.get(family)
        if kind is None:
            raise InputError(
                f"{family} channels have no templates: give the message's Data instead (--data TEXT, or "
                'parts={"Data": ...})',
                field="template",
            )
        loaded = load_template(store, template, type=kind, version=version)
        return loaded.parts(), loaded.default_substitutions
    out = {}
    for name, source in (parts or {}).items():
        if not isinstance(source, str):
            raise InputError(f"a part is text, not {type(source).__name__}", field=str(name))
        check_part(source, html=name == "HtmlPart", where=None, part=str(name))
        out[str(name)] = TemplatePart(source, name == "HtmlPart")
    if not out:
        raise InputError("no parts to send", field="parts")
    if family != "CUSTOM" and set(out) == {"Data"}:
        raise InputError(
            f"Data is what a custom channel sends; {a_or_an(family)} {family} message needs a template (--template)",
            field="Data",
        )
    return out, {}


def _result(row: LedgerRow) -> DeliveryResult:
    """A ledger row as Pinpoint's per-recipient result."""
    code = (row.last_code or "").split(" ")[0]
    detail = row.last_error or row.last_code or ""
    state = row.state
    if state == "accepted":
        status, http = "SUCCESSFUL", 200
        detail = detail or "accepted"
    elif state in ("retryable", "queued", "sending"):
        status = "THROTTLED" if code in _THROTTLE_CODES else "TEMPORARY_FAILURE"
        http = 429 if status == "THROTTLED" else 503
        detail = f"{detail or 'not sent yet'} (owed: retried by `workbench delivery resume {row.run}`)"
    elif state == "failed":  # retries used up: on throttling answers that is Pinpoint's THROTTLED
        status = "THROTTLED" if code in _THROTTLE_CODES else "TEMPORARY_FAILURE"
        http = 429 if status == "THROTTLED" else 503
    elif state == "permanent":
        status, http = "PERMANENT_FAILURE", 400
    elif state == "suppressed":
        status, http = "OPT_OUT", 400
    else:
        status, http = "UNKNOWN_FAILURE", 500
        detail = detail or "the outcome is unknown"
    return DeliveryResult(
        address=row.address,
        delivery_status=status,
        status_code=http,
        status_message=detail,
        message_id=row.message_id or row.provider_message_id,
        endpoint_id=row.endpoint_id,
        user_id=row.user_id,
        send_key=row.send_key,
        state=state,
    )
