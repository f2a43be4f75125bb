"""Send keys and addresses: what makes a message the same message on every re-plan and every resume.

A send key is ``uuid5`` over (source kind, source id, run, recipient, channel), so planning the same campaign run
twice, or retrying a transactional request with the same request id, gives the same keys and the ledger's
``INSERT OR IGNORE`` keeps one row each (reliability.md rule 2; Dittofeed derives its message ids the same
way). The key also becomes the e-mail Message-ID (messages.email.compose_email), which is how a receiver or a
reconciliation can tell a re-sent message from a new one.

Addresses are normalised once, here, for both sending and the suppression list: e-mail with
messages.email.validate_address (email-validator: the domain lower-cased, in its ASCII form); phone numbers to E.164 with ingest.phones (``[import]
default_region`` reads national formats); push tokens and custom addresses are only stripped. An address that
cannot be normalised is refused before anything is sent (:class:`InputError` naming the field).
"""

from __future__ import annotations

import uuid

from ..errors import InputError, UnknownNameError, suggest

#: The namespace of every send key (a fixed random UUID: keys are stable across versions and machines).
SEND_KEY_NAMESPACE = uuid.UUID("6f1d3c52-8a9e-4f0b-9d61-2b7c4e5a8f13")

#: What sends a message (the first part of its send key).
SOURCE_KINDS = ("transactional", "campaign", "journey")

#: Pinpoint's ChannelType values and the channel family they belong to (the family names the
#: ``[channels.<family>]`` settings table, the adapter, and the suppression list's scope).
CHANNEL_FAMILIES = {
    "EMAIL": "email",
    "SMS": "sms",
    "VOICE": "voice",
    "PUSH": "push",
    "APNS": "push",
    "APNS_SANDBOX": "push",
    "APNS_VOIP": "push",
    "APNS_VOIP_SANDBOX": "push",
    "GCM": "push",
    "ADM": "push",
    "BAIDU": "push",
    "CUSTOM": "custom",
}

#: The family of each ``channel`` value OutgoingMessage carries (channels/base.py): EMAIL | SMS | PUSH | VOICE | CUSTOM.
FAMILY_CHANNEL = {"email": "EMAIL", "sms": "SMS", "voice": "VOICE", "push": "PUSH", "custom": "CUSTOM"}


def send_key(source: str, source_id: str, run: str, recipient: str, channel: str) -> str:
    """The deterministic send key of one message: uuid5 over (source kind, source id, run, recipient, channel).

    ``recipient`` is the endpoint id when the message goes to an endpoint, else the normalised address.
    """
    if source not in SOURCE_KINDS:
        raise InputError(f"unknown source {source!r}; one of {', '.join(SOURCE_KINDS)}", field="source")
    name = "\x1f".join((source, str(source_id), str(run), str(recipient), channel_family(channel)))
    return str(uuid.uuid5(SEND_KEY_NAMESPACE, name))


def channel_family(channel: str) -> str:
    """``"email"``, ``"sms"``, ``"voice"``, ``"push"`` or ``"custom"`` for a channel name in any spelling
    (``EMAIL``, ``email``, ``GCM``...); an unknown name raises UnknownNameError listing the known ones."""
    text = str(channel).strip()
    if text.lower() in FAMILY_CHANNEL:
        return text.lower()
    family = CHANNEL_FAMILIES.get(text.upper())
    if family is None:
        known = sorted(set(FAMILY_CHANNEL) | set(CHANNEL_FAMILIES))
        raise UnknownNameError(
            f"unknown channel {channel!r}{suggest(text, known)}; channels: {', '.join(sorted(FAMILY_CHANNEL))}"
        )
    return family


def normalise_address(
    channel: str, address: str, *, region: str | None = None, field: str = "address"
) -> str:
    """The address as messages are sent to it: e-mail normalised by email-validator, phone numbers in E.164.

    Raises InputError (naming ``field``) for an address that cannot receive this channel.
    """
    family = channel_family(channel)
    text = str(address or "").strip()
    if not text:
        raise InputError(f"empty {family} address", field=field)
    if family == "email":
        from ..messages.email import validate_address

        try:
            return validate_address(text, field=field)
        except InputError as err:
            raise InputError(err.reason, field=field) from None
    if family in ("sms", "voice"):
        from ..ingest.phones import normalise_one

        e164, reason = normalise_one(text, region or None)
        if e164 is None:
            raise InputError(f"{text!r} is {reason}", field=field)
        return e164
    return text


def suppression_form(channel: str, address: str) -> str:
    """The form of an address that the suppression list hashes: the normalised address, e-mail case-folded
    (mailbox providers treat local parts case-insensitively, and a suppression must not be dodged by case)."""
    family = channel_family(channel)
    return address.casefold() if family == "email" else address
