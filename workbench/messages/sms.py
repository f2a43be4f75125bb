"""SMS bodies: GSM-7 or UCS-2, how many characters and parts a text costs, the 1,600 limit, and a cost estimate.

A text is sent in GSM-7 (the GSM 03.38 default alphabet, 7 bits a character) when every character is in the basic
table or its extension table, and in UCS-2 (UTF-16, 16 bits a unit) as soon as one character is not: a single
curly quote, ``ç`` or emoji switches the whole message.

``characters`` counts what the network counts, in the encoding chosen:

- GSM-7: septets. A basic character is one septet; an extension character (``^ { } \\ [ ] ~ | €`` and form feed)
  is two, an escape (ESC) followed by the character.
- UCS-2: UTF-16 code units. A character outside the Basic Multilingual Plane (most emoji) is two units, a
  surrogate pair.

One part holds 160 septets or 70 units; a longer text is split into parts of 153 septets or 67 units (the rest of
the 140 bytes carries the concatenation header). Parts are counted by packing the text into parts, never by
division, because an escape pair or a surrogate pair is never split across two parts: when one would straddle a
part edge it moves whole to the next part, leaving its part one short. Billing is per part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import InputError

# GSM 03.38 basic table (3GPP TS 23.038 6.2.1), in code order. 0x1B (ESC) is left out: it is the escape to the
# extension table, not a character a message can carry, so a literal ESC in a text forces UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 default extension table: each costs two septets (ESC + the character).
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

SINGLE_PART = {"GSM-7": 160, "UCS-2": 70}
MULTI_PART = {"GSM-7": 153, "UCS-2": 67}

MAX_SMS_CHARACTERS = 1600
"""The longest body accepted, in ``characters`` as :func:`sms_parts` counts them (septets or UTF-16 units).

Pinpoint (SMS templates, SMSv2 ``SendTextMessage``) and Twilio stop at 1,600 characters. Counting in septets or
UTF-16 units is never less than counting Unicode characters, so a body within this limit is within every
provider's reading of it; a body of 1,600 ``€`` (3,200 septets) is refused here although Pinpoint might take it.
"""

MESSAGE_TYPES = ("TRANSACTIONAL", "PROMOTIONAL")
"""Pinpoint's SMS ``MessageType``: routing and priority at the carrier (not the same as transactional sends)."""


@dataclass(frozen=True)
class SmsParts:
    """How a text is sent: its encoding, its length in that encoding's units, and the number of parts.

    ``characters`` is septets for GSM-7 and UTF-16 code units for UCS-2 (see the module docstring); ``non_gsm``
    lists, once each and in order of appearance, the characters that forced UCS-2 (empty for GSM-7).
    ``segments`` is the text cut into its parts, as a phone would receive them.
    """

    encoding: str
    characters: int
    parts: int
    non_gsm: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"encoding", "characters", "parts", "non_gsm"}``: what ``workbench sms parts TEXT --json`` prints."""
        return {
            "encoding": self.encoding,
            "characters": self.characters,
            "parts": self.parts,
            "non_gsm": list(self.non_gsm),
        }


def gsm7_units(char: str) -> int | None:
    """Septets ``char`` costs in GSM-7 (1 or 2), or None when GSM-7 cannot carry it."""
    if char in GSM7_BASIC:
        return 1
    if char in GSM7_EXTENSION:
        return 2
    return None


def _ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def sms_parts(text: str) -> SmsParts:
    """Encoding, characters and parts of one SMS body (an empty body is 0 characters in 1 part)."""
    if not isinstance(text, str):
        raise TypeError(f"sms_parts() takes a str, not {type(text).__name__}")
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION))
    if non_gsm:
        encoding = "UCS-2"
        units = [_ucs2_units(c) for c in text]
    else:
        encoding = "GSM-7"
        units = [1 if c in GSM7_BASIC else 2 for c in text]
    total = sum(units)
    if total <= SINGLE_PART[encoding]:
        return SmsParts(encoding, total, 1, non_gsm, (text,))
    return SmsParts(encoding, total, *_pack(text, units, MULTI_PART[encoding], non_gsm))


def _pack(text: str, units: list[int], size: int, non_gsm: tuple[str, ...]):
    """Cut ``text`` into parts of at most ``size`` units, a character (1 or 2 units) never split across two."""
    segments = []
    start = 0
    used = 0
    for i, n in enumerate(units):
        if used + n > size:
            segments.append(text[start:i])
            start, used = i, 0
        used += n
    segments.append(text[start:])
    return len(segments), non_gsm, tuple(segments)


def check_sms_body(text: str, *, where: str | None = None, field: str = "Body") -> SmsParts:
    """The :class:`SmsParts` of a body fit to send; InputError when it is empty or over 1,600 characters."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("the SMS body is empty", file=where, field=field)
    parts = sms_parts(text)
    if parts.characters > MAX_SMS_CHARACTERS:
        raise InputError(
            f"the SMS body is {parts.characters} {parts.encoding} characters, over the limit of "
            f"{MAX_SMS_CHARACTERS} ({parts.parts} parts)",
            file=where,
            field=field,
        )
    return parts


def check_message_type(value: str | None, *, where: str | None = None, field: str = "MessageType") -> str:
    """Pinpoint's ``MessageType`` in upper case (None means TRANSACTIONAL); InputError naming the choices."""
    if value is None:
        return "TRANSACTIONAL"
    if isinstance(value, str) and value.strip().upper() in MESSAGE_TYPES:
        return value.strip().upper()
    raise InputError(
        f"unknown SMS message type {value!r}: use one of {', '.join(MESSAGE_TYPES)}", file=where, field=field
    )


def country_of(number_or_country: str) -> str:
    """ISO 3166 alpha-2 country of an E.164 number (by ``phonenumbers``), or of a two-letter code, in upper case.

    A number that belongs to no single country (``+800`` freephone, ``+882`` networks) has region ``"001"``.
    """
    value = str(number_or_country).strip()
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise InputError(
            f"{value!r} is neither an E.164 phone number nor a two-letter country code ({exc})",
            field="number",
        ) from None
    # A number the metadata does not know (a fictional or new range) is priced by its calling code's main
    # country, as carriers price it; refusing invalid numbers is the sender's job, before sending.
    region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
        number.country_code
    )
    if region in (None, "ZZ"):
        raise InputError(f"{value!r} has an unknown country calling code", field="number")
    return region


def estimate_cost(
    text_or_parts: str | SmsParts | int,
    number_or_country: str,
    prices: Mapping[str, float],
    default_price: float | None = None,
) -> float | None:
    """Estimated price of one SMS: its parts times the price per part of the recipient's country.

    ``prices`` maps ISO country codes to a price per part (the ``[sms.prices]`` table of workbench.toml, e.g.
    ``US = 0.00581``); a country missing from it costs ``default_price`` a part, and the answer is None when there
    is no default either (the cost is unknown, not zero). ``text_or_parts`` is the body, its :class:`SmsParts`, or
    a number of parts.
    """
    if isinstance(text_or_parts, SmsParts):
        parts = text_or_parts.parts
    elif isinstance(text_or_parts, str):
        parts = sms_parts(text_or_parts).parts
    elif isinstance(text_or_parts, int) and not isinstance(text_or_parts, bool) and text_or_parts >= 0:
        parts = text_or_parts
    else:
        raise TypeError("estimate_cost() takes a body, its SmsParts, or a number of parts >= 0")
    country = country_of(number_or_country)
    table = {str(k).strip().upper(): v for k, v in prices.items()}
    price = table.get(country, default_price)
    if price is None:
        return None
    field = f"sms.prices.{country}" if country in table else "sms.default_price"
    if isinstance(price, bool) or not isinstance(price, int | float) or not price >= 0:
        raise InputError(f"a price per part must be a number >= 0, not {price!r}", field=field)
    return parts * float(price)
