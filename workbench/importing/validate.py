"""Row checks of Pinpoint's import rules, column-wise in Polars, and normalisation of the valid rows.

Every check yields (field, reason) for the rows it fails; a row's first failure is its reject reason.
"""

from __future__ import annotations

import hashlib

import polars as pl

from .. import schema
from .phones import normalise_phones

# A practical addr-spec check (the WHATWG "valid e-mail address" with a dotted domain); addresses that fail it
# are checked again one by one with email-validator (which also accepts internationalised addresses) and
# get its wording as the reason.
_EMAIL = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M%.f")


def _col(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


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


def parse_datetime_series(values: pl.Series) -> pl.Series:
    """parse_datetime for a Series, fast for the common ``2026-09-14T08:15:00Z`` shape (others: the full chain)."""
    text = values.str.strip_chars()
    out = text.str.to_datetime("%Y-%m-%dT%H:%M:%SZ", strict=False, time_unit="us")
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


def generated_id(channel: str, address: str) -> str:
    """A stable Id for a new endpoint given without one: re-importing the same list creates no duplicates."""
    return "ep-" + hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:24]


def validate(staged: pl.DataFrame, default_region: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Check and normalise staged rows. Returns (valid rows, typed) and (rejects: __file, __line, field, reason)."""
    frame = staged
    cols = set(frame.columns)
    list_cols = [c for c in frame.columns if (f := schema.attribute_family(c)) and f[0] != "Metrics."]
    metric_cols = [c for c in frame.columns if c.startswith("Metrics.")]
    text_cols = [c for c in frame.columns if c not in list_cols and not c.startswith("__")]

    # normalise text: trimmed, empty -> null; enumerations upper-cased
    # trim and turn empty cells into nulls, on the columns that need it (a whole-column strip costs a pass)
    upper = {"ChannelType", "OptOut", "EndpointStatus"}
    padded = (
        frame.select(
            (pl.col(c).str.starts_with(" ") | pl.col(c).str.ends_with(" ") | (pl.col(c) == "")).any()
            for c in text_cols
        ).row(0)
        if text_cols
        else ()
    )
    frame = frame.with_columns(
        [pl.col(c).str.strip_chars().replace("", None) for c, p in zip(text_cols, padded, strict=True) if p]
    ).with_columns([pl.col(c).str.to_uppercase() for c in text_cols if c in upper])
    list_padded = (
        frame.select(
            (pl.col(c).explode().str.starts_with(" ") | pl.col(c).explode().str.ends_with(" ")).any()
            for c in list_cols
        ).row(0)
        if list_cols
        else ()
    )
    frame = frame.with_columns(
        [
            pl.col(c).list.eval(pl.element().str.strip_chars())
            for c, p in zip(list_cols, list_padded, strict=True)
            if p
        ]
    )
    checks: list[tuple[pl.Expr, str, pl.Expr | str]] = []  # (fails, field, reason)

    channel = _col(frame, "ChannelType")
    checks.append(
        (
            channel.is_not_null() & ~channel.is_in(schema.CHANNEL_TYPES),
            "ChannelType",
            pl.format("unknown channel type '{}'; one of " + ", ".join(schema.CHANNEL_TYPES), channel),
        )
    )
    for name, allowed in (("OptOut", schema.OPT_OUT_VALUES), ("EndpointStatus", schema.ENDPOINT_STATUSES)):
        value = _col(frame, name)
        checks.append(
            (
                value.is_not_null() & ~value.is_in(allowed),
                name,
                pl.format("'{}' is not " + " or ".join(allowed), value),
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
    address = _col(frame, "Address")
    frame = frame.with_columns(address.alias("RawAddress"))
    is_email = channel == "EMAIL"
    is_phone = channel.is_in(schema.PHONE_CHANNELS)
    email_ok = (
        address.str.contains(_EMAIL)
        & (address.str.len_chars() <= 254)
        & ~address.str.contains(r"\.\.|^\.|\.@")
    )
    suspicious = frame.filter(is_email.fill_null(False) & address.is_not_null() & ~email_ok.fill_null(False))
    email_reason = pl.lit(None, dtype=pl.String)
    if suspicious.height:
        lookup = suspicious.select("__file", "__line", address.alias("__a")).with_columns(
            pl.Series(
                "__email_reason", _email_reasons(suspicious.get_column("Address").to_list()), dtype=pl.String
            )
        )
        frame = frame.join(lookup.drop("__a"), on=["__file", "__line"], how="left", maintain_order="left")
        email_reason = pl.col("__email_reason")
    checks.append((is_email & email_reason.is_not_null(), "Address", email_reason))

    phone_rows = frame.select(pl.int_range(pl.len()).alias("__pos"), is_phone.fill_null(False).alias("__p"))
    positions = phone_rows.filter("__p").get_column("__pos")
    if positions.len():
        region_col = _col(frame, "Location.Country")
        sub = frame.select(address.alias("a"), region_col.fill_null(default_region or "").alias("r"))[
            positions
        ]
        e164, why = normalise_phones(sub.get_column("a"), sub.get_column("r"))
        patch = pl.DataFrame({"__pos": positions, "__e164": e164, "__phone_reason": why})
        frame = (
            frame.with_row_index("__pos")
            .with_columns(pl.col("__pos").cast(positions.dtype))
            .join(patch, on="__pos", how="left", maintain_order="left")
            .drop("__pos")
        )
        checks.append(
            (is_phone & pl.col("__phone_reason").is_not_null(), "Address", pl.col("__phone_reason"))
        )
        frame = frame.with_columns(
            pl.when(is_phone & pl.col("__e164").is_not_null())
            .then(pl.col("__e164"))
            .otherwise(address)
            .alias("Address")
        )
    push = channel.is_in(schema.PUSH_CHANNELS)
    checks.append((push & address.str.contains(r"\s"), "Address", "a push token cannot contain spaces"))

    # dates and numbers
    typed: list[pl.Expr] = []
    for name in ("EffectiveDate", "CreationDate"):
        if name in cols:
            frame = frame.with_columns(
                parse_datetime_series(frame.get_column(name)).alias(f"__parsed_{name}")
            )
            parsed = pl.col(f"__parsed_{name}")
            checks.append(
                (
                    pl.col(name).is_not_null() & parsed.is_null(),
                    name,
                    pl.format("'{}' is not an ISO 8601 date", pl.col(name)),
                )
            )
            typed.append(parsed.alias(name))
    bounds = {"Location.Latitude": 90.0, "Location.Longitude": 180.0}
    for name in [*(c for c in bounds if c in cols), *metric_cols]:
        number = pl.col(name).cast(pl.Float64, strict=False)
        bad = pl.col(name).is_not_null() & (number.is_null() | number.is_nan() | number.is_infinite())
        checks.append((bad, name, pl.format("'{}' is not a number", pl.col(name).str.slice(0, 40))))
        if name in bounds:
            checks.append(
                (
                    number.abs() > bounds[name],
                    name,
                    pl.format("{} is outside -{}..{}", number, pl.lit(bounds[name]), pl.lit(bounds[name])),
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

    # Pinpoint's attribute limits. Per-row list work (list.eval, list.join) is slow on millions of rows, so
    # each list column is first summarised as a whole (its longest value, in characters and bytes) and the exact
    # per-row expressions are used only where that summary says a row could break a limit.
    widest = (
        frame.select(
            pl.struct(
                chars=pl.col(c).explode().str.len_chars().max(),
                nbytes=pl.col(c).explode().str.len_bytes().max(),
            ).alias(c)
            for c in list_cols
        ).row(0)
        if list_cols
        else ()
    )
    widest = [(w or {}).get("chars") or 0 for w in widest], [(w or {}).get("nbytes") or 0 for w in widest]
    for name, longest_in_column in zip(list_cols, widest[0], strict=True):
        if longest_in_column > schema.MAX_ATTRIBUTE_VALUE_LENGTH:
            longest = pl.col(name).list.eval(pl.element().str.len_chars()).list.max()
            checks.append(
                (
                    longest > schema.MAX_ATTRIBUTE_VALUE_LENGTH,
                    name,
                    pl.format(
                        "a value has {} characters; Pinpoint allows at most "
                        + str(schema.MAX_ATTRIBUTE_VALUE_LENGTH),
                        longest,
                    ),
                )
            )
        checks.append(
            (
                pl.col(name).list.len() > schema.MAX_VALUES_PER_ATTRIBUTE,
                name,
                pl.format(
                    "{} values; Pinpoint allows at most " + str(schema.MAX_VALUES_PER_ATTRIBUTE),
                    pl.col(name).list.len(),
                ),
            )
        )
    text_size = [pl.col(c).str.len_bytes().fill_null(0) for c in text_cols if c in frame.columns]
    # an upper bound first: values x the column's widest value; exact sizes only if the bound can exceed 15 KB
    bound = pl.sum_horizontal(
        text_size + [pl.col(c).list.len().fill_null(0) * w for c, w in zip(list_cols, widest[1], strict=True)]
    )
    if text_size and frame.select((bound > schema.MAX_ENDPOINT_BYTES).any()).item():
        size = pl.sum_horizontal(
            text_size + [pl.col(c).list.join("").str.len_bytes().fill_null(0) for c in list_cols]
        )
        checks.append(
            (
                size > schema.MAX_ENDPOINT_BYTES,
                "",
                pl.format(
                    "endpoint of {} bytes; Pinpoint allows at most " + f"{schema.MAX_ENDPOINT_BYTES:,}", size
                ),
            )
        )

    # Booleans for every row first (cheap); the reason text only for the few rows that fail.
    frame = frame.with_columns(
        [fails.fill_null(False).alias(f"__fail{i}") for i, (fails, _, _) in enumerate(checks)]
    )
    failing = (
        pl.any_horizontal([pl.col(f"__fail{i}") for i in range(len(checks))]) if checks else pl.lit(False)
    )
    frame = frame.with_columns(failing.alias("__bad"))
    bad = frame.filter(pl.col("__bad"))
    field_expr = pl.lit(None, dtype=pl.String)
    reason_expr = pl.lit(None, dtype=pl.String)
    for i, (_, field, reason) in reversed(list(enumerate(checks))):
        field_e = field if isinstance(field, pl.Expr) else pl.lit(field)
        reason_e = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        field_expr = pl.when(pl.col(f"__fail{i}")).then(field_e).otherwise(field_expr)
        reason_expr = pl.when(pl.col(f"__fail{i}")).then(reason_e.cast(pl.String)).otherwise(reason_expr)
    bad = bad.with_columns(field_expr.alias("__field"), reason_expr.alias("__reason"))
    frame = frame.filter(~pl.col("__bad")).with_columns(typed)

    # rows without an Id get a stable one; duplicate Ids in the input keep the first and reject the rest
    missing = frame.filter(_col(frame, "Id").is_null())
    if missing.height:
        ids = [generated_id(c, a) for c, a in missing.select("ChannelType", "Address").iter_rows()]
        patch = missing.select("__file", "__line").with_columns(pl.Series("__gen", ids, dtype=pl.String))
        frame = frame.join(patch, on=["__file", "__line"], how="left", maintain_order="left").with_columns(
            pl.coalesce(_col(frame, "Id"), pl.col("__gen")).alias("Id")
        )
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
    rejects = [
        bad.select("__file", "__line", pl.col("__field").alias("field"), pl.col("__reason").alias("reason")),
        dup.select(
            "__file",
            "__line",
            pl.lit("Id").alias("field"),
            pl.format(
                "duplicate Id '{}' (first on {}:{}); the first row was kept", "Id", "__ff", "__fl"
            ).alias("reason"),
        ),
    ]
    valid = frame.filter(pl.col("__first"))
    helper_cols = [
        c for c in valid.columns if c.startswith("__") and c not in ("__file", "__line", "__order")
    ]
    valid = valid.drop(helper_cols)
    return valid, pl.concat(rejects)
