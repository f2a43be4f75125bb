"""SMS encoding, characters and parts at every boundary, the 1,600 limit, message types and cost estimates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.messages.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_SMS_CHARACTERS,
    MESSAGE_TYPES,
    SmsParts,
    check_message_type,
    check_sms_body,
    estimate_cost,
    sms_parts,
)

BASIC = sorted(GSM7_BASIC)
EXTENSION = sorted(GSM7_EXTENSION)
EMOJI = "\U0001f44d"  # thumbs up: outside the BMP, a surrogate pair in UTF-16


# Worked out by hand: (text, encoding, characters, parts, non_gsm).
KNOWN = [
    ("", "GSM-7", 0, 1, ()),
    ("Hello", "GSM-7", 5, 1, ()),
    ("Price: 5€", "GSM-7", 10, 1, ()),  # 8 basic + € (ESC + e) = 10 septets
    ("{x}", "GSM-7", 5, 1, ()),
    ("a\fb", "GSM-7", 4, 1, ()),  # form feed is an extension character
    ("Ça va", "GSM-7", 5, 1, ()),  # capital Ç is in the basic table
    ("ça va", "UCS-2", 5, 1, ("ç",)),  # small ç is not
    ("It’s “fine”", "UCS-2", 11, 1, ("’", "“", "”")),
    (EMOJI, "UCS-2", 2, 1, (EMOJI,)),
    ("\x1b", "UCS-2", 1, 1, ("\x1b",)),  # a bare ESC is not a character to send
    ("a" * 160, "GSM-7", 160, 1, ()),
    ("a" * 161, "GSM-7", 161, 2, ()),
    ("a" * 306, "GSM-7", 306, 2, ()),
    ("a" * 307, "GSM-7", 307, 3, ()),
    ("€" * 80, "GSM-7", 160, 1, ()),
    ("€" * 81, "GSM-7", 162, 2, ()),  # 76 € (152 septets) + 5 €
    ("ç" * 70, "UCS-2", 70, 1, ("ç",)),
    ("ç" * 71, "UCS-2", 71, 2, ("ç",)),
    ("ç" * 134, "UCS-2", 134, 2, ("ç",)),
    ("ç" * 135, "UCS-2", 135, 3, ("ç",)),
    (EMOJI * 35, "UCS-2", 70, 1, (EMOJI,)),
    (EMOJI * 36, "UCS-2", 72, 2, (EMOJI,)),  # 33 emoji (66 units) + 3
    # 306 septets, but the € would straddle the first edge (152 + 2 > 153): it moves, and a third part is needed.
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3, ()),
    ("a" * 151 + "€" + "a" * 153, "GSM-7", 306, 2, ()),  # 151 + 2 = 153 fits exactly
    # 134 units, but the emoji would straddle the first edge (66 + 2 > 67): three parts.
    ("ç" + "a" * 65 + EMOJI + "a" * 66, "UCS-2", 134, 3, ("ç", EMOJI)),
    ("ç" + "a" * 64 + EMOJI + "a" * 67, "UCS-2", 134, 2, ("ç", EMOJI)),
]


@pytest.mark.parametrize(("text", "encoding", "characters", "parts", "non_gsm"), KNOWN)
def test_known_answers(text, encoding, characters, parts, non_gsm):
    found = sms_parts(text)
    assert (found.encoding, found.characters, found.parts, found.non_gsm) == (
        encoding,
        characters,
        parts,
        non_gsm,
    )
    assert found.to_dict() == {
        "encoding": encoding,
        "characters": characters,
        "parts": parts,
        "non_gsm": list(non_gsm),
    }


def test_segments_of_an_extension_character_at_the_edge():
    found = sms_parts("a" * 152 + "€" + "a" * 152)
    assert [len(s) for s in found.segments] == [152, 152, 1]
    assert found.segments[1].startswith("€")


def test_the_tables_are_gsm_03_38():
    assert len(GSM7_BASIC) == 127  # 128 codes less ESC
    assert set("\f^{}\\[]~|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION
    for char in "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà":
        assert char in GSM7_BASIC
    for char in "ç`’“”–®©\t\x1b":
        assert char not in GSM7_BASIC and char not in GSM7_EXTENSION


# --- an independent oracle: the message as a stream of code units, cut at multiples of the part size --------


def _units(text: str) -> tuple[str, list[tuple[int, bool]]]:
    """(encoding, units): each unit is (char index, whether it leads a pair that must not be split)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = []
        for i, c in enumerate(text):
            if c in GSM7_EXTENSION:
                units.append((i, True))  # ESC
            units.append((i, False))
        return "GSM-7", units
    raw = text.encode("utf-16-be")
    units = []
    i = 0
    for k in range(0, len(raw), 2):
        word = int.from_bytes(raw[k : k + 2], "big")
        units.append((i, 0xD800 <= word <= 0xDBFF))
        if not 0xD800 <= word <= 0xDBFF:
            i += 1
    return "UCS-2", units


def _oracle(text: str) -> tuple[str, int, int]:
    encoding, units = _units(text)
    single, multi = (160, 153) if encoding == "GSM-7" else (70, 67)
    if len(units) <= single:
        return encoding, len(units), 1
    parts, position = 0, 0
    while position < len(units):
        end = position + multi
        if end < len(units) and units[end - 1][1]:  # the part would end on ESC / a high surrogate
            end -= 1
        parts += 1
        position = end
    return encoding, len(units), parts


def _size(text: str, encoding: str) -> int:
    if encoding == "GSM-7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


gsm_text = st.text(alphabet=st.sampled_from(BASIC + EXTENSION), max_size=700)
any_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(BASIC + EXTENSION),
        st.characters(codec="utf-8"),
        st.sampled_from(["ç", EMOJI, "’", "€"]),
    ),
    max_size=400,
)


@settings(max_examples=400, deadline=None)
@given(any_text)
def test_parts_match_the_unit_stream_oracle(text):
    found = sms_parts(text)
    assert (found.encoding, found.characters, found.parts) == _oracle(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(gsm_text, any_text))
def test_segments_rebuild_the_text_and_fit(text):
    found = sms_parts(text)
    assert "".join(found.segments) == text
    assert len(found.segments) == found.parts
    if found.parts == 1:
        assert found.characters <= (160 if found.encoding == "GSM-7" else 70)
        return
    size = 153 if found.encoding == "GSM-7" else 67
    for segment, after in zip(found.segments, found.segments[1:], strict=False):
        assert _size(segment, found.encoding) <= size
        # packed greedily: the next character would not have fitted
        assert _size(segment + after[0], found.encoding) > size
    assert _size(found.segments[-1], found.encoding) <= size


@settings(max_examples=200, deadline=None)
@given(any_text)
def test_encoding_and_non_gsm(text):
    found = sms_parts(text)
    outside = [c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION]
    assert found.encoding == ("UCS-2" if outside else "GSM-7")
    assert found.non_gsm == tuple(dict.fromkeys(outside))
    if found.encoding == "UCS-2":
        assert found.characters == len(text.encode("utf-16-le")) // 2


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BASIC), st.integers(min_value=0, max_value=1700))
def test_basic_characters_divide_evenly(char, n):
    found = sms_parts(char * n)
    assert found.characters == n
    assert found.parts == (1 if n <= 160 else math.ceil(n / 153))


@pytest.mark.parametrize(("n", "parts"), [(160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
@settings(max_examples=30, deadline=None)
@given(char=st.sampled_from(BASIC))
def test_gsm_boundaries(n, parts, char):
    assert sms_parts(char * n).parts == parts


@pytest.mark.parametrize(("n", "parts"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
@settings(max_examples=30, deadline=None)
@given(first=st.sampled_from(["ç", "’", "Ж", "中"]), char=st.sampled_from(BASIC))
def test_ucs2_boundaries(n, parts, first, char):
    assert sms_parts(first + char * (n - 1)).parts == parts


@settings(max_examples=200, deadline=None)
@given(
    ext=st.sampled_from(EXTENSION),
    before=st.integers(min_value=145, max_value=160),
    after=st.integers(min_value=0, max_value=200),
)
def test_an_extension_character_at_a_part_edge_is_never_split(ext, before, after):
    text = "a" * before + ext + "b" * after
    found = sms_parts(text)
    assert found.parts == _oracle(text)[2]
    for segment in found.segments:
        if found.parts > 1:
            assert _size(segment, "GSM-7") <= 153
    # the extension character sits whole in one segment
    assert sum(segment.count(ext) for segment in found.segments) == 1


@settings(max_examples=200, deadline=None)
@given(before=st.integers(min_value=60, max_value=70), after=st.integers(min_value=0, max_value=100))
def test_an_emoji_at_a_part_edge_is_never_split(before, after):
    text = "ç" * before + EMOJI + "b" * after
    found = sms_parts(text)
    assert found.parts == _oracle(text)[2]
    assert sum(segment.count(EMOJI) for segment in found.segments) == 1
    for segment in found.segments:
        segment.encode("utf-16-le")  # a lone surrogate would not encode


def test_euro_signs_80_and_81():
    assert sms_parts("€" * 80).parts == 1
    assert sms_parts("€" * 81).parts == 2


# --- the body limit and message types ------------------------------------------------------------------------


def test_check_sms_body_limit():
    assert check_sms_body("a" * MAX_SMS_CHARACTERS).parts == 11
    with pytest.raises(InputError, match="1601 GSM-7 characters, over the limit of 1600") as err:
        check_sms_body("a" * 1601, where="tpl.json")
    assert err.value.file == "tpl.json" and err.value.field == "Body"
    with pytest.raises(InputError, match="1602 GSM-7"):
        check_sms_body("€" * 801)  # 801 characters, but 1,602 septets
    with pytest.raises(InputError, match="1602 UCS-2"):
        check_sms_body(EMOJI * 801)
    assert check_sms_body("ç" * 1600).encoding == "UCS-2"


@pytest.mark.parametrize("body", ["", "   \n"])
def test_check_sms_body_refuses_an_empty_body(body):
    with pytest.raises(InputError, match="empty"):
        check_sms_body(body, where="x.json")


def test_message_types():
    assert MESSAGE_TYPES == ("TRANSACTIONAL", "PROMOTIONAL")
    assert check_message_type(None) == "TRANSACTIONAL"
    assert check_message_type("promotional") == "PROMOTIONAL"
    with pytest.raises(InputError, match="TRANSACTIONAL, PROMOTIONAL") as err:
        check_message_type("MARKETING", where="t.json")
    assert err.value.field == "MessageType"


# --- cost estimates --------------------------------------------------------------------------------------------

PRICES = {"US": 0.00581, "gb": 0.0386, "DE": 0.0789}


@pytest.mark.parametrize(
    ("text", "to", "expected"),
    [
        ("hello", "+12065550100", 0.00581),
        ("a" * 161, "+12065550100", 2 * 0.00581),
        ("ç" * 135, "+4915123456789", 3 * 0.0789),
        ("hello", "+447700900123", 0.0386),  # a fictional UK range: priced by its calling code's country
        ("hello", "GB", 0.0386),
        ("hello", "us", 0.00581),
    ],
)
def test_estimate_cost(text, to, expected):
    assert estimate_cost(text, to, PRICES) == pytest.approx(expected)


def test_estimate_cost_defaults_and_unknowns():
    assert estimate_cost("hi", "+33612345678", PRICES) is None  # no price for FR, no default: unknown
    assert estimate_cost("hi", "+33612345678", PRICES, default_price=0.07) == pytest.approx(0.07)
    assert estimate_cost(sms_parts("a" * 307), "US", PRICES) == pytest.approx(3 * 0.00581)
    assert estimate_cost(4, "US", PRICES) == pytest.approx(4 * 0.00581)
    assert estimate_cost(SmsParts("GSM-7", 0, 1), "+80012345678", {}, default_price=0.01) == pytest.approx(
        0.01
    )


def test_estimate_cost_bad_input():
    with pytest.raises(InputError, match=r"neither an E\.164 phone number") as err:
        estimate_cost("hi", "2065550100", PRICES)
    assert err.value.field == "number"
    with pytest.raises(InputError) as err:
        estimate_cost("hi", "US", {"US": -1})
    assert err.value.field == "sms.prices.US"
    with pytest.raises(InputError) as err:
        estimate_cost("hi", "US", {"US": "cheap"})
    assert err.value.field == "sms.prices.US"
    with pytest.raises(TypeError):
        estimate_cost(1.5, "US", PRICES)


@settings(max_examples=100, deadline=None)
@given(any_text, st.sampled_from(["+12065550100", "+4915123456789"]))
def test_cost_is_parts_times_the_price(text, number):
    assert estimate_cost(text, number, PRICES) == pytest.approx(
        sms_parts(text).parts * PRICES["US" if number.startswith("+1") else "DE"]
    )
