"""From rendered parts to a message the ledger can plan: one composition for transactional sends, campaigns and
journeys alike.

``compose_message(store, family, send_key, row, rendered, ...)`` takes an endpoint row (Pinpoint's dotted
columns: ``Id``, ``Address``, ``ChannelType``, ``User.UserId``...) and the parts rendered for it, and returns a
:class:`~workbench.delivery.ledger.PlannedMessage`:

- e-mail: a MIME message whose Message-ID comes from the send key, with List-Unsubscribe on promotional mail and,
  when ``[tracking] opens`` / ``clicks`` are on, an open pixel and signed click links;
- SMS and voice: the body (an SMS checked against the 1,600-character limit) and its message type;
- push: the device platform's block over the ``Default`` block, as Pinpoint picks them;
- custom: the parts as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from .keys import normalise_address
from .ledger import PlannedMessage


def email_sender(store: Any) -> str:
    """``[channels.email] from``; a missing one is a setting error for the whole send, not a recipient's failure."""
    sender = store.setting("channels.email.from")
    if not sender:
        raise InputError(
            'no sender address: set from = "Name <address>" under [channels.email]',
            file=str(store.path / "workbench.toml"),
            field="channels.email.from",
        )
    return str(sender)


def compose_message(
    store: Any,
    family: str,
    send_key: str,
    row: Mapping[str, Any],
    rendered: Mapping[str, str],
    *,
    address: str | None = None,
    promotional: bool,
    attributes: Mapping[str, str] | None = None,
) -> PlannedMessage:
    """The planned message for one recipient (see the module docstring).

    ``family`` is ``EMAIL``, ``SMS``, ``VOICE``, ``PUSH`` or ``CUSTOM``; ``address`` the normalised address (the
    row's ``Address`` normalised when not given: InputError names the endpoint when it cannot be). Raises
    InputError for a rendered SMS body over the limit.
    """
    endpoint_id = row.get("Id")
    if address is None:
        raw = str(row.get("Address") or "")
        where = f"endpoint {endpoint_id} Address"
        if family in ("EMAIL", "SMS", "VOICE"):
            region = str(store.setting("import.default_region", "") or "") or None
            address = normalise_address(family, raw, region=region, field=where)
        elif not raw.strip():
            raise InputError("empty address", field=where)
        else:
            address = raw.strip()
    attributes = dict(attributes or {})
    mime = message_id = None
    out_parts: dict[str, Any] = dict(rendered)
    if family == "EMAIL":
        from ..messages.email import compose_email

        unsubscribe = _unsubscribe_url(store, send_key, endpoint_id) if promotional else None
        html, text = _tracked(
            store, send_key, endpoint_id, rendered.get("HtmlPart") or None, rendered.get("TextPart") or None
        )
        msg = compose_email(
            send_key=send_key,
            sender=email_sender(store),
            to=address,
            subject=str(rendered.get("Subject", "")),
            html=html,
            text=text,
            reply_to=store.setting("channels.email.reply_to"),
            promotional=promotional,
            unsubscribe_url=unsubscribe,
        )
        mime = msg.as_bytes()
        message_id = str(msg["Message-ID"])
        out_parts = {"Subject": rendered.get("Subject", "")}  # the body lives in the MIME
    elif family in ("SMS", "VOICE"):
        body = str(rendered.get("Body", ""))
        if family == "SMS":
            from ..messages.sms import check_sms_body

            check_sms_body(body, field=f"Body (endpoint {endpoint_id or address})")
        out_parts = {"Body": body, "MessageType": "PROMOTIONAL" if promotional else "TRANSACTIONAL"}
    elif family == "PUSH":
        out_parts = _push_parts(rendered, str(row.get("ChannelType") or ""))
    if row.get("ChannelType") and family != "CUSTOM":
        attributes.setdefault("channel_type", str(row["ChannelType"]))
    return PlannedMessage(
        send_key=send_key,
        channel=family,
        address=address,
        parts=out_parts,
        mime=mime,
        endpoint_id=endpoint_id,
        user_id=row.get("User.UserId"),
        attributes=attributes,
        promotional=promotional,
        message_id=message_id,
    )


def _push_parts(rendered: Mapping[str, str], channel_type: str) -> dict[str, str]:
    """Push template parts (``Default.Title``, ``GCM.Body``...) for one device: its platform's block over the
    Default block, as Pinpoint picks them."""
    block = {"GCM": "GCM", "APNS": "APNS", "APNS_SANDBOX": "APNS", "ADM": "ADM", "BAIDU": "Baidu"}.get(
        channel_type.upper(), "Default"
    )
    out: dict[str, str] = {}
    for name, value in rendered.items():
        head, _, field_name = name.partition(".")
        if head == "Default" and field_name not in out:
            out[field_name] = value
    for name, value in rendered.items():
        head, _, field_name = name.partition(".")
        if head == block and value:
            out[field_name] = value
    return out


def _tracked(
    store: Any, key: str, endpoint_id: str | None, html: str | None, text: str | None
) -> tuple[str | None, str | None]:
    """With ``[tracking] opens`` / ``clicks`` on (both off by default), the HTML part with an open pixel and its
    http(s) links rewritten to signed click links; the text part is derived from the untracked HTML first, so
    it shows the real links."""
    opens = bool(store.setting("tracking.opens", False))
    clicks = bool(store.setting("tracking.clicks", False))
    if html is None or not (opens or clicks):
        return html, text
    from ..messages.email import html_to_text
    from ..messages.tracking import add_tracking

    if text is None:
        text = html_to_text(html)
    ids = {"endpoint_id": endpoint_id} if endpoint_id else {}
    base = str(store.setting("tracking.base_url", "http://127.0.0.1:8080"))
    tracked = add_tracking(
        html,
        base_url=base,
        key=store.secret("tracking"),
        send_key=key,
        track_opens=opens,
        track_clicks=clicks,
        **ids,
    )
    return tracked, text


def _unsubscribe_url(store: Any, key: str, endpoint_id: str | None) -> str:
    from ..messages.tracking import unsubscribe_url

    base = str(store.setting("tracking.base_url", "http://127.0.0.1:8080"))
    ids = {"endpoint_id": endpoint_id} if endpoint_id else {}
    return unsubscribe_url(base, store.secret("tracking"), send_key=key, **ids)
