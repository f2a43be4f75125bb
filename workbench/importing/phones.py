"""Phone numbers to E.164 with the ``phonenumbers`` library, fast enough for million-row imports.

``phonenumbers.parse`` + ``is_valid_number`` costs about 23 µs a number here, so 200k SMS endpoints would take
5 s on their own. Most files already hold E.164 strings (``+12065550100``), and for those the library's own
metadata (the national-number patterns and possible lengths of each region, and the region-selection rule of
``region_code_for_number``) is applied column-wise with Polars regexes. Everything else (national formats,
punctuation, numbers the fast path would call invalid) goes through ``phonenumbers`` itself, which also words
the reason. tests/test_phones.py holds the two paths to the same answers on random numbers.
"""

from __future__ import annotations

import functools

import phonenumbers
import polars as pl
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata, PhoneNumberFormat

_E164 = r"^\+[1-9]\d{3,14}$"
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


def _desc_expr(nsn: pl.Expr, length: pl.Expr, desc) -> pl.Expr | None:
    """phonenumbers._is_number_matching_desc, column-wise."""
    if desc is None or desc.national_number_pattern is None:
        return None
    lengths = [n for n in (desc.possible_length or ()) if n > 0]
    if desc.possible_length and desc.possible_length[0] == -1:
        return None  # the type does not exist in this region
    match = nsn.str.contains(f"^(?:{desc.national_number_pattern})$")
    return (length.is_in(lengths) & match) if lengths else match


def _valid_in_region_expr(nsn: pl.Expr, length: pl.Expr, md) -> pl.Expr:
    """phonenumbers._number_type_helper(...) != UNKNOWN, column-wise."""
    general = _desc_expr(nsn, length, md.general_desc)
    if general is None:
        return pl.lit(False)
    types = [e for e in (_desc_expr(nsn, length, getattr(md, name)) for name in _TYPE_DESCS) if e is not None]
    if not types:
        return pl.lit(False)
    return general & pl.any_horizontal(types)


@functools.cache
def _calling_codes() -> dict[str, tuple[str, ...]]:
    return {str(cc): tuple(regions) for cc, regions in COUNTRY_CODE_TO_REGION_CODE.items()}


def _metadata(cc: int, region: str):
    return PhoneMetadata.metadata_for_region_or_calling_code(cc, region)


def _fast_valid(frame: pl.DataFrame) -> pl.Series:
    """For strict E.164 strings: True where phonenumbers.is_valid_number would be True (else False)."""
    codes = _calling_codes()
    digits = pl.col("__raw").str.slice(1)
    cc = (
        pl.when(digits.str.slice(0, 1).is_in(list(codes)))
        .then(digits.str.slice(0, 1))
        .when(digits.str.slice(0, 2).is_in(list(codes)))
        .then(digits.str.slice(0, 2))
        .when(digits.str.slice(0, 3).is_in(list(codes)))
        .then(digits.str.slice(0, 3))
    )
    work = frame.with_columns(cc.alias("__cc")).with_columns(
        digits.str.slice(pl.col("__cc").str.len_chars()).alias("__nsn")
    )
    work = work.with_columns(pl.col("__nsn").str.len_chars().alias("__len"))
    parts = []
    for (code,), part in work.filter(pl.col("__cc").is_not_null()).partition_by("__cc", as_dict=True).items():
        nsn, length = pl.col("__nsn"), pl.col("__len")
        verdict: pl.Expr = pl.lit(False)
        chain = None
        for region in reversed(codes[code]):  # build when/then so the first region in list order wins
            md = _metadata(int(code), region)
            if md is None:
                continue
            valid = _valid_in_region_expr(nsn, length, md)
            selects = nsn.str.contains(f"^(?:{md.leading_digits})") if md.leading_digits else valid
            chain = (pl.when(selects).then(valid)).otherwise(chain if chain is not None else pl.lit(False))
        if chain is not None:
            verdict = chain
        parts.append(part.select("__i", verdict.fill_null(False).alias("__valid")))
    valid = pl.concat(parts) if parts else pl.DataFrame(schema={"__i": pl.UInt32, "__valid": pl.Boolean})
    out = frame.select("__i").join(valid, on="__i", how="left").sort("__i")
    return out.get_column("__valid").fill_null(False)


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
            msg = "not in international format (+...) and no Location.Country or import.default_region to read it with"
        return None, f"not a phone number: {msg}"
    if not phonenumbers.is_valid_number(number):
        why = _REASONS.get(
            phonenumbers.is_possible_number_with_reason(number), "not an assigned number range"
        )
        return None, f"not a valid phone number ({why})"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), None


@functools.cache
def _simple_national_prefix(region: str) -> tuple[str, str] | None:
    """(calling code, national prefix) for regions whose national numbers need only the prefix stripped.

    Regions with a prefix-transform rule or a pattern-shaped prefix (e.g. BR, AR, MX) go to the library.
    """
    md = PhoneMetadata.metadata_for_region(region.upper()) if region else None
    if md is None or md.national_prefix_transform_rule:
        return None
    prefix = md.national_prefix_for_parsing or md.national_prefix or ""
    if prefix and not prefix.isdigit():
        return None
    return str(md.country_code), prefix


def _candidates(frame: pl.DataFrame) -> pl.DataFrame:
    """E.164 candidates for inputs that are only digits and punctuation: '+1 (206) 555-0123' and, with a region
    that has a plain national prefix, '(206) 555-0123' or '020 7946 0958'. Every candidate is then held to the
    same validity check as strict E.164 input; one that fails goes to phonenumbers."""
    punct = r"^ *\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*$"
    digits = pl.col("__raw").str.replace_all(r"[^0-9]", "")
    regions = frame.filter(pl.col("__region").is_not_null()).get_column("__region").unique().to_list()
    table = {r: _simple_national_prefix(r) for r in regions if r}
    cc_map = {r: v[0] for r, v in table.items() if v}
    prefix_map = {r: v[1] for r, v in table.items() if v}
    region = pl.col("__region").str.to_uppercase()
    cc = region.replace_strict(
        {k.upper(): v for k, v in cc_map.items()}, default=None, return_dtype=pl.String
    )
    prefix = region.replace_strict(
        {k.upper(): v for k, v in prefix_map.items()}, default="", return_dtype=pl.String
    )
    national = (
        pl.when((prefix.str.len_chars() > 0) & digits.str.starts_with(prefix))
        .then(digits.str.slice(prefix.str.len_chars()))
        .otherwise(digits)
    )
    candidate = (
        pl.when(~pl.col("__raw").str.contains(punct))
        .then(None)
        .when(pl.col("__raw").str.strip_chars().str.starts_with("+"))
        .then(pl.lit("+") + digits)
        .when(cc.is_not_null())
        .then(pl.lit("+") + cc + national)
    )
    out = frame.with_columns(candidate.alias("__cand"))
    return out.filter(pl.col("__cand").is_not_null() & pl.col("__cand").str.contains(_E164)).select(
        "__i", pl.col("__cand").alias("__raw")
    )


def normalise_phones(raw: pl.Series, region: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Normalise phone numbers to E.164: returns (e164, reason), both aligned with ``raw``; null raw stays null."""
    frame = pl.DataFrame({"__raw": raw.cast(pl.String), "__region": region.cast(pl.String)}).with_row_index(
        "__i"
    )
    is_strict = pl.col("__raw").str.contains(_E164)
    strict = frame.filter(is_strict)
    rest = frame.filter(pl.col("__raw").is_not_null() & ~is_strict)
    accepted = []
    for candidates in (strict.select("__i", "__raw"), _candidates(rest) if rest.height else None):
        if candidates is not None and candidates.height:
            accepted.append(
                candidates.filter(_fast_valid(candidates)).select("__i", pl.col("__raw").alias("__e164"))
            )
    if accepted:
        frame = frame.join(pl.concat(accepted), on="__i", how="left").sort("__i")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("__e164"))
    # what the column-wise path could not vouch for goes through phonenumbers itself (and gets its reason)
    todo = frame.filter(pl.col("__raw").is_not_null() & pl.col("__e164").is_null())
    slow = [normalise_one(value, reg) for value, reg in todo.select("__raw", "__region").iter_rows()]
    patch = pl.DataFrame(
        {
            "__i": todo.get_column("__i"),
            "__slow": pl.Series([e for e, _ in slow], dtype=pl.String),
            "__reason": pl.Series([r for _, r in slow], dtype=pl.String),
        }
    )
    frame = frame.join(patch, on="__i", how="left").sort("__i")
    e164 = frame.select(pl.coalesce("__e164", "__slow")).to_series().alias("e164")
    return e164, frame.get_column("__reason").alias("reason")
