"""Phone numbers to E.164 with the ``phonenumbers`` library, fast enough for million-row imports.

``phonenumbers.parse`` + ``is_valid_number`` costs about 23 µs a number here, so 200k SMS endpoints would take
5 s on their own. Most files already hold E.164 strings (``+12065550100``), and for those the library's own
metadata (the national-number patterns and possible lengths of each region, and the region-selection rule of
``region_code_for_number``) is applied column-wise with Polars regexes. Numbers with punctuation, and
national numbers read the library's way (the region's national-prefix pattern and transform rule), become E.164
candidates held to the same check. Everything else (other formats, numbers the fast path would call invalid)
goes through ``phonenumbers`` itself, which also words the reason. tests/test_phones.py holds the two paths to
the same answers on random and example numbers of every region.
"""

from __future__ import annotations

import functools
import re

import phonenumbers
import polars as pl
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumberFormat

_E164 = r"^\+[1-9][0-9]{3,14}$"  # ASCII digits: others go to phonenumbers, which converts them
_TYPE_DESCS = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country calling code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong length for its country",
}


def _desc_pattern(desc, length: int) -> str | None:
    """phonenumbers._is_number_matching_desc for national numbers of ``length`` digits, as a regex fragment;
    None when no such number can match (wrong length, no pattern, a type the region does not have)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:  # (-1,): the type does not exist here
        return None
    return f"(?:{_ascii(desc.national_number_pattern)})"


def _ascii(pattern: str) -> str:
    """A metadata pattern with ASCII digit classes: national numbers here are ASCII digits, and Rust's Unicode
    ``\\d`` makes each pattern several times slower to compile (a first import compiles dozens)."""
    return pattern.replace("\\d", "[0-9]")


@functools.cache
def _calling_codes() -> dict[str, tuple[str, ...]]:
    return {str(cc): tuple(regions) for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


@functools.cache
def _calling_code_table() -> dict[str, str]:
    """The calling code of each three-digit start of an international number: phonenumbers takes the shortest
    prefix that is a calling code (E.164 input has at least four digits, so three are always there)."""
    codes = _calling_codes()
    table = {}
    for n in range(1000):
        start = f"{n:03d}"
        code = next((start[:k] for k in (1, 2, 3) if start[:k] in codes), None)
        if code is not None:
            table[start] = code
    return table


def _metadata(cc: int, region: str):
    return PhoneMetadata.metadata_for_region_or_calling_code(cc, region)


@functools.cache
def _region_rules(cc: str, length: int) -> tuple[tuple[str | None, tuple[str, str] | None], ...]:
    """phonenumbers.is_valid_number for calling code ``cc`` and national numbers of ``length`` digits, as rules
    in the library's region order: (leading-digits pattern, (general pattern, types pattern)).

    A number takes the first region whose leading digits match it (regions with leading digits) or in which
    it is valid (regions without); it is valid when it is valid in that region (``_number_type_helper`` is not
    UNKNOWN: the general description and one type's description match, each with its possible lengths). A
    calling code of one region takes that region without looking at leading digits. The type patterns that
    allow this length are merged into one alternation; None: the region has no valid number of this length.
    """
    regions = _calling_codes().get(cc, ())
    rules: list[tuple[str | None, tuple[str, str] | None]] = []
    for region in regions:
        md = _metadata(int(cc), region)
        if md is None:
            continue
        general = _desc_pattern(md.general_desc, length)
        types = [p for name in _TYPE_DESCS if (p := _desc_pattern(getattr(md, name), length)) is not None]
        valid = (f"^{general}$", "^(?:" + "|".join(types) + ")$") if general and types else None
        leading = _ascii(md.leading_digits) if md.leading_digits is not None and len(regions) > 1 else None
        rules.append((leading, valid))
    return tuple(rules)


def _fast_valid(numbers: pl.Series) -> pl.Series:
    """For strict E.164 strings: True where phonenumbers.is_valid_number would be True (else False).

    The numbers are split by calling code and length; each part is held to its region rules, each rule only on
    the numbers that no earlier region took, so a region's patterns cost nothing where it has no numbers.
    """
    frame = (
        pl.DataFrame({"n": numbers.cast(pl.String)})
        .with_row_index("i")
        .with_columns(
            pl.col("n")
            .str.slice(1, 3)
            .replace_strict(_calling_code_table(), default=None, return_dtype=pl.String)
            .alias("cc")
        )
        .drop_nulls("cc")
    )
    parts: dict[tuple[str, int], pl.DataFrame] = {}
    for (cc,), by_code in frame.partition_by("cc", as_dict=True).items():
        skip = len(cc) + 1  # "+" and the calling code: a fixed slice within a part
        by_code = by_code.select(
            "i", pl.col("n").str.slice(skip).alias("nsn"), (pl.col("n").str.len_bytes() - skip).alias("len")
        )
        for (length,), part in by_code.partition_by("len", as_dict=True, include_key=False).items():
            parts[(cc, length)] = part
    nsn = pl.col("nsn")
    valid: list[pl.Series] = []
    for (cc, length), rest in parts.items():
        for leading, patterns in _region_rules(cc, length):
            if not rest.height:
                break
            matches = (
                None if patterns is None else nsn.str.contains(patterns[0]) & nsn.str.contains(patterns[1])
            )
            if leading is None:
                if matches is None:
                    continue  # never valid here, so never this region's
                taken = rest.select(matches).to_series()
                valid.append(rest.get_column("i").filter(taken))
            else:
                taken = rest.select(nsn.str.contains(f"^(?:{leading})")).to_series()
                if matches is not None and taken.any():
                    chosen = rest.filter(taken)
                    valid.append(chosen.get_column("i").filter(chosen.select(matches).to_series()))
            rest = rest.filter(~taken)
    out = pl.repeat(False, numbers.len(), dtype=pl.Boolean, eager=True)
    if valid:
        out = out.scatter(pl.concat(valid), True)
    return out


@functools.lru_cache(maxsize=65536)
def normalise_one(raw: str, region: str | None) -> tuple[str | None, str | None]:
    """(E.164, None) for a valid number, else (None, reason). ``region`` is the ISO country for national formats."""
    try:
        number = phonenumbers.parse(raw, (region or "").upper() or None)
    except phonenumbers.NumberParseException as err:
        msg = str(err).split(") ", 1)[-1]
        if (
            err.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            and not raw.strip().startswith("+")
        ):
            msg = (
                "not in international format (+...) and no Location.Country or import.default_region to read it with"
                if not region
                else f"not in international format (+...), and {region!r} (Location.Country, else "
                "import.default_region) is not an ISO 3166-1 alpha-2 country code to read it with (e.g. GB, AU, US)"
            )
        return None, f"not a phone number: {msg}"
    if not phonenumbers.is_valid_number(number):
        why = _REASONS.get(
            phonenumbers.is_possible_number_with_reason(number), "not an assigned number range"
        )
        return None, f"not a valid phone number ({why})"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), None


@functools.cache
def _national_rule(region: str) -> tuple[str, str | None, str | None, int, str | None] | None:
    """How phonenumbers reads a national number of ``region`` (``_maybe_strip_national_prefix_carrier_code``):
    (calling code, national-prefix pattern, its transform rule in Polars' replacement syntax, the pattern's
    group count, international-prefix pattern); None for an unknown region. Patterns get ASCII digit classes."""
    md = PhoneMetadata.metadata_for_region(region.upper()) if region else None
    if md is None:
        return None
    prefix = md.national_prefix_for_parsing or None
    groups = re.compile(prefix).groups if prefix else 0
    transform = md.national_prefix_transform_rule or None
    if transform is not None:
        if not groups:
            return None  # a transform without a group to take: leave such numbers to the library
        transform = re.sub(r"\\(\d)", r"${\1}", transform)
    idd = md.international_prefix or None
    return (
        str(md.country_code),
        _ascii(prefix) if prefix else None,
        transform,
        groups,
        _ascii(idd) if idd else None,
    )


def _candidates(frame: pl.DataFrame) -> pl.DataFrame:
    """E.164 candidates for inputs that are only digits and punctuation: '+1 (206) 555-0123' and, with a known
    region, national ones such as '(206) 555-0123' or '020 7946 0958' read as phonenumbers reads them: the
    region's national prefix (a pattern, with its transform rule if it has one) is taken off. National digits
    that start with the region's international prefix (phonenumbers would read an international number) get
    no candidate. Every candidate is then held to the same validity check as strict E.164 input; one that
    fails goes to phonenumbers itself.

    A valid candidate is what phonenumbers makes of the input: it strips the national prefix whenever the
    rest is a viable number, and a valid rest is one.
    """
    punct = r"^ *\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*$"
    digits = pl.col("__raw").str.replace_all(r"[^0-9]", "")
    usable = frame.filter(pl.col("__raw").str.contains(punct))
    international = pl.col("__raw").str.strip_chars().str.starts_with("+")
    parts = [usable.filter(international).select("__i", (pl.lit("+") + digits).alias("__cand"))]
    national = usable.filter(~international).with_columns(
        pl.col("__region").str.to_uppercase().fill_null("").alias("__region"), digits.alias("__digits")
    )
    number = pl.col("__digits")
    for (region,), part in national.partition_by("__region", as_dict=True).items():
        rule = _national_rule(region)
        if rule is None:
            continue
        cc, prefix, transform, groups, idd = rule
        if idd is not None:
            part = part.filter(~number.str.contains(f"^(?:{idd})"))
        rest: pl.Expr = number
        if prefix is not None:
            anchored = f"^(?:{prefix})"
            matched = number.str.extract(anchored, 0)
            rest = (
                pl.when(matched.is_not_null())
                .then(number.str.slice(matched.str.len_bytes()))
                .otherwise(number)
            )
            if transform is not None:  # used when the pattern's last group took part in the match
                taken = number.str.extract(anchored, groups).is_not_null()
                rest = pl.when(taken).then(number.str.replace(anchored, transform)).otherwise(rest)
        parts.append(part.select("__i", (pl.lit("+" + cc) + rest).alias("__cand")))
    out = pl.concat(parts)
    return out.filter(pl.col("__cand").is_not_null() & pl.col("__cand").str.contains(_E164)).select(
        "__i", pl.col("__cand").alias("__raw")
    )


def normalise_phones(raw: pl.Series, region: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Normalise phone numbers to E.164: returns (e164, reason), both aligned with ``raw``; null raw stays null."""
    frame = pl.DataFrame({"__raw": raw.cast(pl.String), "__region": region.cast(pl.String)}).with_row_index(
        "__i"
    )
    is_strict = frame.get_column("__raw").str.contains(_E164)  # once: the two filters share it
    strict = frame.filter(is_strict).select("__i", "__raw")
    rest = frame.filter(pl.col("__raw").is_not_null() & ~is_strict)
    candidates = pl.concat([strict, _candidates(rest)]) if rest.height else strict
    accepted = candidates.filter(_fast_valid(candidates.get_column("__raw")))
    e164 = pl.repeat(None, frame.height, dtype=pl.String, eager=True)
    if accepted.height:
        e164 = e164.scatter(accepted.get_column("__i"), accepted.get_column("__raw"))
    reason = pl.repeat(None, frame.height, dtype=pl.String, eager=True)
    # what the column-wise path could not vouch for goes through phonenumbers itself (and gets its reason)
    todo = frame.filter(pl.col("__raw").is_not_null() & e164.is_null())
    if todo.height:
        slow = [normalise_one(value, reg) for value, reg in todo.select("__raw", "__region").iter_rows()]
        where = todo.get_column("__i")
        e164 = e164.scatter(where, pl.Series([e for e, _ in slow], dtype=pl.String))
        reason = reason.scatter(where, pl.Series([r for _, r in slow], dtype=pl.String))
    return e164.alias("e164"), reason.alias("reason")
