"""Row checks of Pinpoint's import rules, column-wise in Polars, and normalisation of the valid rows.

Every check yields (field, reason) for the rows it fails; a row's first failure is its reject reason.

Attribute columns (``Attributes.*``, ``User.UserAttributes.*``) come either as strings (at most one value a row,
null for none: a CSV column with a single header) or as lists of strings (a repeated CSV header, JSON); every
rule applies to both kinds. The checks are built so that a file without problems costs few passes: whole-column
facts first (one ``select``, which Polars spreads over the columns), per-row work only where they say a row
could break a rule.
"""

from __future__ import annotations

import hashlib

import polars as pl

from ..store import schema
from .phones import normalise_phones
from .rejects import FRAME_SCHEMA, reason_text, rejects_of

# A practical addr-spec check (the WHATWG "valid e-mail address" with a dotted domain); addresses that fail it
# are checked again one by one with email-validator (which also accepts internationalised addresses) and
# get its wording as the reason.
_EMAIL = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M%.f")
#: enumerations, upper-cased on input (only when a value is not already one of them)
_ENUMS = {
    "ChannelType": schema.CHANNEL_TYPES,
    "OptOut": schema.OPT_OUT_VALUES,
    "EndpointStatus": schema.ENDPOINT_STATUSES,
}


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def _text(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A column as text (a frame handed to validate() may hold a number column)."""
    return pl.col(name) if frame.schema[name] == pl.String else pl.col(name).cast(pl.String)


def _channel_is(frame: pl.DataFrame, channels) -> pl.Expr:
    return _col(frame, "ChannelType").is_in(channels)


def parse_datetime(expr: pl.Expr) -> pl.Expr:
    """ISO 8601 text -> naive UTC datetime (offsets converted; a date alone means 00:00 UTC); null if unreadable."""
    text = expr.str.strip_chars()
    utc_z = text.str.replace(r"(?i)z$", "+00:00")
    attempts = [
        utc_z.str.to_datetime(f"{fmt}%:z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
        for fmt in _DATE_FORMATS
    ]
    attempts += [text.str.to_datetime(fmt, strict=False, time_unit="us") for fmt in _DATE_FORMATS]
    attempts.append(text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")))
    return pl.coalesce(attempts)


def parse_datetime_series(values: pl.Series, trimmed: bool = False) -> pl.Series:
    """parse_datetime for a Series, fast for the common ``2026-09-14T08:15:00Z`` shape (others: the full chain).

    ``trimmed``: the values hold no surrounding whitespace already (saves a pass).
    """
    text = values if trimmed else values.str.strip_chars()
    # cache=False: the cache of distinct values costs more than it saves on timestamps, which rarely repeat
    out = text.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, time_unit="us", cache=False)
    todo = out.is_null() & text.is_not_null()
    if todo.any():
        rest = pl.select(parse_datetime(pl.lit(text.filter(todo)))).to_series()
        out = out.scatter(todo.arg_true(), rest)
    return out.alias(values.name)


def _email_reasons(addresses: list[str]) -> list[str | None]:
    from email_validator import EmailNotValidError, validate_email

    out: list[str | None] = []
    for address in addresses:
        try:
            validate_email(address, check_deliverability=False)
            out.append(None)
        except EmailNotValidError as err:
            out.append(f"not a valid e-mail address: {err}")
    return out


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: _EMAIL and its dot rules (no "..", no leading ".", no "." before "@") in one regex: a dot-atom local part
_EMAIL_DOT_ATOM = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})+$"


def email_syntax_ok(address: pl.Expr) -> pl.Expr:
    """The practical addr-spec check, column-wise: True where no second look (email-validator) is needed.

    Same answers as ``contains(_EMAIL) & len_chars() <= 254 & ~contains(r"\\.\\.|^\\.|\\.@")``, in one regex
    pass: ``_EMAIL``'s local part with those dot rules is a dot-atom (the domain part has no empty label
    anyway), and as the regex admits ASCII only, bytes count characters.
    """
    return address.str.contains(_EMAIL_DOT_ATOM) & (address.str.len_bytes() <= 254)


def generated_id(channel: str, address: str) -> str:
    """A stable Id for a new endpoint given without one: re-importing the same list creates no duplicates."""
    return "ep-" + hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:24]


def _normalise_text(frame: pl.DataFrame, scalar_cols: list[str]) -> tuple[pl.DataFrame, set[str]]:
    """Trim every string, turn empty ones into nulls, upper-case the enumerations (list values come trimmed
    from the readers). Also returns the enumeration columns whose every value is valid as it stands (their
    checks need not run again)."""
    scalar_cols = [c for c in scalar_cols if frame.schema[c] == pl.String]
    if scalar_cols:
        # every column at once (cheaper than finding out first which ones need it)
        frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in scalar_cols)
    enums = [c for c in _ENUMS if c in scalar_cols]
    facts = [(pl.col(c).is_in(_ENUMS[c]) | pl.col(c).is_null()).all().alias(c) for c in enums]
    valid = frame.select(facts).row(0, named=True) if facts else {}
    # an enumeration is upper-cased unless every value is one of its values as it stands
    work = [pl.col(c).str.to_uppercase() for c in enums if not valid[c]]
    return (frame.with_columns(work) if work else frame), {c for c in enums if valid[c]}


def _phone_columns(
    frame: pl.DataFrame, default_region: str | None
) -> tuple[pl.Series, pl.Series | None] | None:
    """The phone channels' addresses in E.164 (the whole ``Address`` column, other rows as they are) and why
    a number is invalid (None when none is); None when there is nothing to normalise."""
    # the phone rows, their row numbers with them (one filter: faster than flags, positions and a gather)
    sub = (
        frame.lazy()
        .with_row_index("i")
        .filter(pl.col("ChannelType").is_in(schema.PHONE_CHANNELS))
        .select(
            "i",
            pl.col("Address").alias("a"),
            _col(frame, "Location.Country").fill_null(default_region or "").alias("r"),
        )
        .collect()
    )
    if not sub.height:
        return None
    positions = sub.get_column("i")
    raw = sub.get_column("a")
    e164, why = normalise_phones(raw, sub.get_column("r"))
    # a phone row keeps its raw text where it has no E.164 form (its row is rejected)
    normalised = pl.select(pl.coalesce(e164, raw)).to_series()
    full = frame.get_column("Address").scatter(positions, normalised)
    if why.null_count() == why.len():
        return full, None
    reasons = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("__phone_reason")
    return full, reasons.scatter(positions, why)


def _address_facts(frame: pl.DataFrame) -> tuple[pl.Series | None, bool]:
    """email-validator's reason for each e-mail address that the column-wise syntax check did not pass and it
    does not accept either (None when there is none), and whether a push token holds whitespace."""
    address = pl.col("Address")
    push = pl.col("ChannelType").is_in(schema.PUSH_CHANNELS).fill_null(False)
    tokens = frame.select(address.filter(push)).to_series()
    # ASCII whitespace (a fast byte-class search); a token with other characters gets the Unicode regex
    push_spaces = bool(tokens.str.contains(r"(?-u:\s)").any()) or bool(
        (tokens.str.len_bytes() != tokens.str.len_chars()).any() and tokens.str.contains(r"\s").any()
    )
    emails = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__pos"),
        address.alias("__a"),
        ((pl.col("ChannelType") == "EMAIL").fill_null(False) & address.is_not_null()).alias("__e"),
    ).filter("__e")
    suspicious = emails.filter(~email_syntax_ok(pl.col("__a")).fill_null(False))
    if not suspicious.height:
        return None, push_spaces
    reasons = pl.Series(_email_reasons(suspicious.get_column("__a").to_list()), dtype=pl.String)
    if reasons.null_count() == reasons.len():
        return None, push_spaces
    column = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("__email_reason")
    return column.scatter(suspicious.get_column("__pos"), reasons), push_spaces


_Check = tuple[pl.Expr, "str | pl.Expr", "pl.Expr | str"]  # (fails, field, reason)


def validate(staged: pl.DataFrame, default_region: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Check and normalise staged rows. Returns (valid rows, typed) and (rejects: __file, __line, field, reason)."""
    frame = staged
    cols = set(frame.columns)
    attr_cols = [c for c in frame.columns if (f := schema.attribute_family(c)) and f[0] != "Metrics."]
    list_cols = [c for c in attr_cols if isinstance(frame.schema[c], pl.List)]
    string_attr_cols = [c for c in attr_cols if c not in list_cols]
    metric_cols = [c for c in frame.columns if c.startswith("Metrics.")]
    text_cols = [c for c in frame.columns if c not in attr_cols and not c.startswith("__")]

    # normalise text: trimmed, empty -> null; enumerations upper-cased
    frame, valid_enums = _normalise_text(frame, text_cols + string_attr_cols)
    address = _col(frame, "Address")
    frame = frame.with_columns(address.alias("RawAddress"))
    addressed = "Address" in cols and "ChannelType" in cols
    bounds = {"Location.Latitude": 90.0, "Location.Longitude": 180.0}
    numeric = [*(c for c in bounds if c in cols), *metric_cols]
    dates = [c for c in ("EffectiveDate", "CreationDate") if c in cols]
    phone_columns = _phone_columns(frame, default_region) if addressed else None
    email_reasons, push_spaces = _address_facts(frame) if addressed else (None, False)
    parsed = [parse_datetime_series(frame.get_column(c), trimmed=True).alias(f"__parsed_{c}") for c in dates]
    numbers = frame.select(pl.col(c).cast(pl.Float64, strict=False).alias(f"__num_{c}") for c in numeric)
    summary = _attribute_summary(frame, text_cols, attr_cols, list_cols)
    frame = frame.with_columns(*parsed, *numbers.get_columns())
    if email_reasons is not None:
        frame = frame.with_columns(email_reasons)
    if phone_columns is not None:
        frame = frame.with_columns(c for c in phone_columns if c is not None)
    elif (
        "Address" not in frame.columns
        and frame.select(_channel_is(frame, schema.PHONE_CHANNELS).any()).item()
    ):
        # phone rows in a file without an Address column: an empty column, so the checks below can read it
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("Address"))

    # (an enumeration whose every value was valid as it stood is not checked again)
    checks: list[_Check] = []
    channel = _col(frame, "ChannelType")
    if "ChannelType" not in valid_enums:
        checks.append(
            (
                channel.is_not_null() & ~channel.is_in(schema.CHANNEL_TYPES),
                "ChannelType",
                reason_text("unknown channel type '{}'; one of " + ", ".join(schema.CHANNEL_TYPES), channel),
            )
        )
    for name, allowed in (("OptOut", schema.OPT_OUT_VALUES), ("EndpointStatus", schema.ENDPOINT_STATUSES)):
        if name in valid_enums:
            continue
        value = _col(frame, name)
        checks.append(
            (
                value.is_not_null() & ~value.is_in(allowed),
                name,
                reason_text("'{}' is not " + " or ".join(allowed), value),
            )
        )
    checks.append(
        (
            _col(frame, "Id").is_null() & (channel.is_null() | _col(frame, "Address").is_null()),
            pl.when(channel.is_null()).then(pl.lit("ChannelType")).otherwise(pl.lit("Address")),
            "a new endpoint needs Address and ChannelType (an update of an existing endpoint needs its Id)",
        )
    )

    # addresses: e-mail syntax, phone numbers to E.164, push tokens without spaces
    if email_reasons is not None:
        checks.append(
            (
                (channel == "EMAIL") & pl.col("__email_reason").is_not_null(),
                "Address",
                pl.col("__email_reason"),
            )
        )
    if phone_columns is not None and phone_columns[1] is not None:
        checks.append(
            (
                channel.is_in(schema.PHONE_CHANNELS) & pl.col("__phone_reason").is_not_null(),
                "Address",
                pl.col("__phone_reason"),
            )
        )
    if push_spaces:  # (asked of the push rows only, beside the phone numbers: the regex is the costly part)
        push = channel.is_in(schema.PUSH_CHANNELS)
        checks.append(
            (push & pl.col("Address").str.contains(r"\s"), "Address", "a push token cannot contain spaces")
        )

    # dates and numbers: parsed once (above) into helper columns, which the checks and the typed output share
    typed: list[pl.Expr] = []
    for name in dates:
        parsed_col = pl.col(f"__parsed_{name}")
        checks.append(
            (
                pl.col(name).is_not_null() & parsed_col.is_null(),
                name,
                reason_text("'{}' is not an ISO 8601 date", pl.col(name)),
            )
        )
        typed.append(parsed_col.alias(name))
    for name in numeric:
        number = pl.col(f"__num_{name}")
        bad = pl.col(name).is_not_null() & (number.is_null() | number.is_nan() | number.is_infinite())
        checks.append((bad, name, reason_text("'{}' is not a number", _text(frame, name).str.slice(0, 40))))
        if name in bounds:
            checks.append(
                (
                    number.abs() > bounds[name],
                    name,
                    reason_text("{} is outside -{}..{}", number, pl.lit(bounds[name]), pl.lit(bounds[name])),
                )
            )
        typed.append(number.alias(name))
    if "CohortId" in cols:
        cohort = pl.col("CohortId").cast(pl.Int16, strict=False)
        checks.append(
            (
                pl.col("CohortId").is_not_null() & (cohort.is_null() | (cohort < 0) | (cohort > 99)),
                "CohortId",
                "CohortId must be a whole number 0-99",
            )
        )
        typed.append(cohort.alias("CohortId"))

    checks += _attribute_checks(frame, summary, text_cols, attr_cols, list_cols)

    # Each check's "does any row fail?" first, in one select; per-row flags and reasons only for those that do.
    failing = frame.select(
        fails.fill_null(False).any().alias(str(i)) for i, (fails, _, _) in enumerate(checks)
    ).row(0)
    checks = [check for check, fails in zip(checks, failing, strict=True) if fails]
    if checks:
        frame = frame.with_columns(
            [fails.fill_null(False).alias(f"__fail{i}") for i, (fails, _, _) in enumerate(checks)]
        ).with_columns(pl.any_horizontal([pl.col(f"__fail{i}") for i in range(len(checks))]).alias("__bad"))
        bad = frame.filter(pl.col("__bad"))
        field_expr = pl.lit(None, dtype=pl.String)
        reason_expr = pl.lit(None, dtype=pl.String)
        for i, (_, field, reason) in reversed(list(enumerate(checks))):
            field_e = field if isinstance(field, pl.Expr) else pl.lit(field)
            reason_e = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
            field_expr = pl.when(pl.col(f"__fail{i}")).then(field_e).otherwise(field_expr)
            reason_expr = pl.when(pl.col(f"__fail{i}")).then(reason_e.cast(pl.String)).otherwise(reason_expr)
        bad = bad.select("__file", "__line", field_expr.alias("field"), reason_expr.alias("reason")).cast(
            FRAME_SCHEMA
        )  # type: ignore[arg-type]
        frame = frame.filter(~pl.col("__bad"))
    else:
        bad = pl.DataFrame(schema=FRAME_SCHEMA)
    frame = frame.with_columns(typed)

    # rows without an Id get a stable one; duplicate Ids in the input keep the first and reject the rest
    missing_ids = frame.height if "Id" not in frame.columns else frame.get_column("Id").null_count()
    if missing_ids:
        missing = frame.filter(_col(frame, "Id").is_null())
        ids = [generated_id(c, a) for c, a in missing.select("ChannelType", "Address").iter_rows()]
        patch = missing.select("__file", "__line").with_columns(pl.Series("__gen", ids, dtype=pl.String))
        frame = frame.join(patch, on=["__file", "__line"], how="left", maintain_order="left").with_columns(
            pl.coalesce(_col(frame, "Id"), pl.col("__gen")).alias("Id")
        )
    rejects = [bad]
    if frame.height and not _all_distinct(frame.get_column("Id")):
        first = pl.col("Id").is_first_distinct()
        frame = frame.with_columns(first.alias("__first"))
        dup = frame.filter(~pl.col("__first")).join(
            frame.filter(pl.col("__first")).select(
                "Id", pl.col("__file").alias("__ff"), pl.col("__line").alias("__fl")
            ),
            on="Id",
            how="left",
            maintain_order="left",
        )
        rejects.append(
            rejects_of(
                dup,
                "Id",
                reason_text(
                    "duplicate Id '{}' (first on {}:{}); the first row was kept", "Id", "__ff", "__fl"
                ),
            )
        )
        frame = frame.filter(pl.col("__first"))
    helper_cols = [
        c for c in frame.columns if c.startswith("__") and c not in ("__file", "__line", "__order")
    ]
    return frame.drop(helper_cols), pl.concat(rejects)


def _all_distinct(ids: pl.Series) -> bool:
    """No Id twice. Files are often sorted by Id: a strictly increasing column proves it with one cheap
    comparison of neighbours; otherwise the hash-based count decides."""
    if ids.null_count() == 0 and (ids.slice(1) > ids.slice(0, ids.len() - 1)).all():
        return True
    return ids.n_unique() == ids.len()


#: the longest an address can get by normalisation: a phone number in E.164 ("+" and at most 15 digits)
_LONGEST_E164 = 16


def _attribute_summary(
    frame: pl.DataFrame, text_cols: list[str], attr_cols: list[str], list_cols: list[str]
) -> dict[str, int]:
    """Whole-column facts for the attribute limits, in one select: each attribute column's longest value in
    bytes (``b:``; in characters, ``c:``, only where the bytes exceed the limit) and most values (``n:``), and
    each text column's longest value in bytes (``s:``). Taken before the phone numbers are normalised, so the
    Address figure allows for an E.164 form."""
    max_chars = schema.MAX_ATTRIBUTE_VALUE_LENGTH
    string_attr_cols = [c for c in attr_cols if c not in list_cols]
    summary: list[pl.Expr] = [pl.col(c).str.len_bytes().max().alias(f"b:{c}") for c in string_attr_cols]
    for c in list_cols:
        summary += [
            pl.col(c).explode().str.len_bytes().max().alias(f"b:{c}"),
            pl.col(c).list.len().max().alias(f"n:{c}"),
        ]
    summary += [
        _text(frame, c).str.len_bytes().max().alias(f"s:{c}") for c in text_cols if c in frame.columns
    ]
    found = {k: v or 0 for k, v in (frame.select(summary).row(0, named=True) if summary else {}).items()}
    if "s:Address" in found:
        found["s:Address"] = max(found["s:Address"], _LONGEST_E164)
    # a value of more than max_chars bytes may still have few enough characters: count those only then
    wide = [c for c in attr_cols if found[f"b:{c}"] > max_chars]
    if wide:
        chars = frame.select(
            (pl.col(c).str.len_chars() if c in string_attr_cols else pl.col(c).explode().str.len_chars())
            .max()
            .alias(f"c:{c}")
            for c in wide
        ).row(0, named=True)
        found.update({k: v or 0 for k, v in chars.items()})
    return found


def _attribute_checks(
    frame: pl.DataFrame,
    found: dict[str, int],
    text_cols: list[str],
    attr_cols: list[str],
    list_cols: list[str],
) -> list[_Check]:
    """Pinpoint's attribute limits (value length, values per attribute, endpoint size) for both kinds of
    attribute column.

    Per-row list work (list.eval, list.join) is slow on millions of rows, so each column is first summarised as
    a whole (:func:`_attribute_summary`) and the exact per-row expressions are used only where that summary
    says a row could break a limit.
    """
    max_chars = schema.MAX_ATTRIBUTE_VALUE_LENGTH
    string_attr_cols = [c for c in attr_cols if c not in list_cols]
    checks: list[_Check] = []
    reason = "a value has {} characters; Pinpoint allows at most " + str(max_chars)
    for name in attr_cols:  # in the frame's order, as a row's first failure is its reason
        wide = found.get(f"c:{name}", 0) > max_chars
        if name in string_attr_cols:
            if wide:
                length = pl.col(name).str.len_chars()
                checks.append((length > max_chars, name, reason_text(reason, length)))
            continue  # one value at most: the values-per-attribute limit holds
        if wide:
            longest = pl.col(name).list.eval(pl.element().str.len_chars()).list.max()
            checks.append((longest > max_chars, name, reason_text(reason, longest)))
        if found[f"n:{name}"] > schema.MAX_VALUES_PER_ATTRIBUTE:
            count = pl.col(name).list.len()
            checks.append(
                (
                    count > schema.MAX_VALUES_PER_ATTRIBUTE,
                    name,
                    reason_text(
                        "{} values; Pinpoint allows at most " + str(schema.MAX_VALUES_PER_ATTRIBUTE), count
                    ),
                )
            )

    # the endpoint's size: an upper bound first (the sum of each column's widest value, then per row: values x
    # the column's widest value); the exact size only where the bound could exceed 15 KB
    limit = schema.MAX_ENDPOINT_BYTES
    sized = [c for c in text_cols if c in frame.columns]
    widest = {c: found[f"b:{c}"] for c in attr_cols}
    whole = sum(found[f"s:{c}"] for c in sized) + sum(widest[c] for c in string_attr_cols)
    whole += sum(widest[c] * found[f"n:{c}"] for c in list_cols)
    if not sized or whole <= limit:
        return checks
    text_size = [_text(frame, c).str.len_bytes().fill_null(0) for c in [*sized, *string_attr_cols]]
    bound = pl.sum_horizontal(text_size + [pl.col(c).list.len().fill_null(0) * widest[c] for c in list_cols])
    if frame.select((bound > limit).any()).item():
        size = pl.sum_horizontal(
            text_size + [pl.col(c).list.join("").str.len_bytes().fill_null(0) for c in list_cols]
        )
        # the field at fault: a cell over the limit by itself is named; otherwise the whole endpoint ("")
        cell_sizes = text_size[: len(sized)]
        alone = pl.coalesce(
            [pl.when(s > limit).then(pl.lit(name)) for s, name in zip(cell_sizes, sized, strict=True)]
            + [pl.lit("")]
        )
        checks.append(
            (
                size > limit,
                alone,
                reason_text("endpoint of {} bytes; Pinpoint allows at most " + f"{limit:,}", size),
            )
        )
    return checks
