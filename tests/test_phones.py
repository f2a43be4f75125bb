"""The column-wise E.164 fast path agrees with phonenumbers itself."""

from __future__ import annotations

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.phones import normalise_phones

CODES = [
    "1",
    "7",
    "20",
    "33",
    "39",
    "44",
    "49",
    "52",
    "55",
    "61",
    "81",
    "86",
    "91",
    "234",
    "353",
    "358",
    "971",
    "998",
]


def assert_as_phonenumbers(raws: list[str], regions: list[str | None]) -> None:
    """The column-wise normalisation gives phonenumbers' own E.164 for every number, and a reason exactly
    where it gives none."""
    e164, reasons = normalise_phones(pl.Series(raws), pl.Series(regions, dtype=pl.String))
    assert e164.to_list() == [reference(r, g.upper() if g else g) for r, g in zip(raws, regions, strict=True)]
    assert all(
        (e is None) == (why is not None) for e, why in zip(e164.to_list(), reasons.to_list(), strict=True)
    )


def reference(raw: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(CODES), st.text("0123456789", min_size=4, max_size=12)),
        min_size=1,
        max_size=300,
    )
)
def test_fast_path_matches_phonenumbers(numbers):
    raws = ["+" + cc + rest for cc, rest in numbers]
    assert_as_phonenumbers(raws, [None] * len(raws))


def test_known_numbers():
    raws = [
        "+12065550100",
        "(206) 555-0100",
        "+1 206 555 0100",
        "020 7946 0958",
        "+4930123456",
        "12345",
        "+999123456",
        None,
    ]
    regions = ["", "US", "", "GB", "", "US", "", ""]
    e164, reasons = normalise_phones(pl.Series(raws), pl.Series(regions))
    assert e164.to_list() == [
        "+12065550100",
        "+12065550100",
        "+12065550100",
        "+442079460958",
        "+4930123456",
        None,
        None,
        None,
    ]
    assert reasons.to_list()[5].startswith("not a valid phone number") and reasons.to_list()[7] is None


REGIONS = ["US", "GB", "DE", "FR", "IN", "JP", "AU", "IT", "BR", "MX", "AR", "CA", "NL", "ES"]
PUNCT = st.sampled_from(["", " ", "-", "(", ")", ".", "/"])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(REGIONS),
            st.booleans(),
            st.lists(st.tuples(st.text("0123456789", min_size=1, max_size=4), PUNCT), min_size=2, max_size=5),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_national_and_punctuated_inputs_match_phonenumbers(numbers):
    """National formats ('(206) 555-0123' with region US) and punctuated international ones."""
    raws, regions = [], []
    for region, international, parts in numbers:
        body = "".join(d + p for d, p in parts)
        if international:
            cc = str(phonenumbers.country_code_for_region(region))
            body = "+" + cc + " " + body
        raws.append(body)
        regions.append(region)
    e164, _ = normalise_phones(pl.Series(raws), pl.Series(regions))
    assert e164.to_list() == [reference(r, g) for r, g in zip(raws, regions, strict=True)]


def test_valid_national_numbers_take_the_fast_path_correctly():
    import random

    rng = random.Random(5)
    raws, regions = [], []
    for region in REGIONS:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        for _ in range(20):
            digits = [
                c if not c.isdigit() or rng.random() < 0.6 else str(rng.randint(0, 9)) for c in national
            ]
            raws.append("".join(digits))
            regions.append(region)
    e164, _ = normalise_phones(pl.Series(raws), pl.Series(regions))
    assert e164.to_list() == [reference(r, g) for r, g in zip(raws, regions, strict=True)]
    assert sum(x is not None for x in e164.to_list()) > len(raws) // 3  # plenty of valid ones were exercised


# Regions whose national prefix is a pattern (GB, AU, KR, CN) or has a transform rule (AR, BR, JP, MX, CO, ID),
# and some plain ones: the fast path reads national numbers as phonenumbers does, or leaves them to it.
NATIONAL_REGIONS = [
    "GB",
    "AU",
    "KR",
    "CN",
    "AR",
    "BR",
    "JP",
    "MX",
    "CO",
    "ID",
    "US",
    "DE",
    "IN",
    "RU",
    "IT",
    "FI",
]
TYPES = [
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]


def _national_inputs(region: str, rng) -> list[str]:
    md = phonenumbers.PhoneMetadata.metadata_for_region(region)
    out = []
    for kind in TYPES:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        nsn = phonenumbers.national_significant_number(example)
        national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
        for _ in range(4):  # digits changed at random, punctuation kept
            out.append(
                "".join(
                    c if not c.isdigit() or rng.random() < 0.7 else str(rng.randint(0, 9)) for c in national
                )
            )
        # national prefix, international prefix, carrier-code-like and country-code starts
        for start in (
            md.national_prefix or "",
            "0",
            "00",
            "010",
            "011",
            "8",
            "90",
            "015",
            "9",
            str(md.country_code),
        ):
            out.append(start + nsn)
            out.append(f"{start} {nsn[:3]}-{nsn[3:]}")
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_national_numbers_of_pattern_and_transform_regions(seed):
    import random

    rng = random.Random(seed)
    raws, regions = [], []
    for region in NATIONAL_REGIONS:
        for raw in _national_inputs(region, rng):
            raws.append(raw)
            regions.append(region.lower() if rng.random() < 0.2 else region)
    assert_as_phonenumbers(raws, regions)


def test_the_fast_path_takes_most_national_numbers():
    """GB/AU/KR-style prefixes and BR/JP transform rules are read column-wise, not one by one."""
    from workbench.ingest import phones

    raws = [
        "020 7946 0958",
        "0412 345 678",
        "02-2123-4567",
        "(11) 96123-4567",
        "090-1234-5678",
        "0157 62280837",
    ]
    regions = ["GB", "AU", "KR", "BR", "JP", "DE"]
    # transform rules: a Brazilian carrier code (021) before the area code, Argentina's mobile 15 -> 9
    raws += ["0 21 11 96123-4567", "011 15 2345-6789"]
    regions += ["BR", "AR"]
    frame = pl.DataFrame({"__raw": raws, "__region": regions}).with_row_index("__i")
    candidates = phones._candidates(frame)
    accepted = candidates.filter(phones._fast_valid(candidates.get_column("__raw"))).sort("__i")
    assert accepted.height == len(raws)
    e164, _ = normalise_phones(pl.Series(raws), pl.Series(regions))
    assert e164.to_list() == accepted.get_column("__raw").to_list()
    assert e164.to_list() == [reference(r, g) for r, g in zip(raws, regions, strict=True)]


def test_non_ascii_digits_are_left_to_the_library():
    raws = ["+٤٤2079460958", "+4420٧9460958", "+442079460958"]
    e164, _ = normalise_phones(pl.Series(raws), pl.Series([None] * 3, dtype=pl.String))
    assert e164.to_list() == [reference(r, None) for r in raws] == ["+442079460958"] * 3


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)),
            st.text("0123456789", min_size=2, max_size=13),
        ),
        min_size=1,
        max_size=200,
    )
)
def test_fast_path_matches_phonenumbers_for_every_calling_code(numbers):
    raws = ["+" + str(cc) + rest for cc, rest in numbers]
    e164, _ = normalise_phones(pl.Series(raws), pl.Series([None] * len(raws), dtype=pl.String))
    assert e164.to_list() == [reference(r, None) for r in raws]


def test_example_numbers_of_every_region_in_e164():
    """Valid numbers of every region and type (the library's examples, digits changed at random): the fast
    path's region rules (leading digits, shared calling codes, possible lengths) against the library."""
    import random

    rng = random.Random(11)
    raws = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (*TYPES, phonenumbers.PhoneNumberType.VOIP, phonenumbers.PhoneNumberType.PREMIUM_RATE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            cc = len(str(example.country_code)) + 1
            raws.append(e164)
            for _ in range(3):
                raws.append(
                    e164[:cc]
                    + "".join(d if rng.random() < 0.75 else str(rng.randint(0, 9)) for d in e164[cc:])
                )
    e164s, _ = normalise_phones(pl.Series(raws), pl.Series([None] * len(raws), dtype=pl.String))
    assert e164s.to_list() == [reference(r, None) for r in raws]
    assert sum(e is not None for e in e164s.to_list()) > len(raws) // 2


def test_national_digits_that_start_with_the_international_prefix_go_to_the_library():
    """Norfolk Island "00234" is an international call to phonenumbers (IDD 00); read as a national number
    (its transform rule makes 3 + the five digits) it would be the valid +672 300234."""
    raws, regions = ["00234", "0 0609", "00112345678"], ["NF", "NF", "KR"]
    e164, reasons = normalise_phones(pl.Series(raws), pl.Series(regions))
    assert e164.to_list() == [reference(r, g) for r, g in zip(raws, regions, strict=True)] == [None] * 3
    assert all(why.startswith("not a") for why in reasons.to_list())


def test_region_rules_follow_the_library_order_and_leading_digits():
    from workbench.ingest import phones

    nanpa = phones._region_rules("1", 10)
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]
    assert len(nanpa) == len(regions) and nanpa[0][0] is None  # US first, chosen by validity
    for region, (leading, _) in zip(regions[1:], nanpa[1:], strict=True):
        expected = phonenumbers.PhoneMetadata.metadata_for_region(region).leading_digits
        assert leading == (None if expected is None else expected.replace("\\d", "[0-9]"))
    assert phones._region_rules("49", 11)[0][0] is None  # a calling code of one region: no leading digits
    assert phones._region_rules("44", 3)[0][1] is None  # no valid GB number has 3 digits
