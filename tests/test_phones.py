"""The column-wise E.164 fast path agrees with phonenumbers itself."""

from __future__ import annotations

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.importing.phones import normalise_phones

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
    e164, reasons = normalise_phones(pl.Series(raws), pl.Series([None] * len(raws), dtype=pl.String))
    assert e164.to_list() == [reference(r, None) for r in raws]
    assert all(
        (e is None) == (why is not None) for e, why in zip(e164.to_list(), reasons.to_list(), strict=False)
    )


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
