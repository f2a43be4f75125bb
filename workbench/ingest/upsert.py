"""Writing validated endpoints into the catalog, inside the caller's transaction.

Pinpoint's upsert rules: an existing Id is updated (given fields replace stored ones, missing fields are kept);
a new endpoint needs Address and ChannelType; when an endpoint takes an Address (of the same ChannelType)
that another ACTIVE endpoint holds, the other one becomes INACTIVE; a user may hold at most 15 endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from ..errors import InputError
from ..store import endpoint_parts, schema, views
from .rejects import reason_text, rejects_frame, rejects_of


@dataclass
class WriteOutcome:
    imported: int
    updated: int
    deactivated: int
    rejects: pl.DataFrame  # __file, __line, field, reason
    endpoint_ids: pl.Series
    store_write: endpoint_parts.Write | None = None  # call committed() / rolled_back() after the transaction


def ensure_attribute_columns(
    con: duckdb.DuckDBPyConnection, root: Path, columns: list[str], now: datetime, file: str
) -> list[str]:
    """Register attribute names met for the first time (new view columns); enforce Pinpoint's 250-name cap."""
    known = {r[0] for r in con.execute("SELECT column_name FROM attribute_names").fetchall()}
    new = [c for c in columns if schema.attribute_family(c) and c not in known]
    if not new:
        return []
    if len(known) + len(new) > schema.MAX_ATTRIBUTE_NAMES:
        over = (
            new[schema.MAX_ATTRIBUTE_NAMES - len(known) :] if len(known) < schema.MAX_ATTRIBUTE_NAMES else new
        )
        raise InputError(
            f"the project would have {len(known) + len(new)} attribute names (Attributes, Metrics and "
            f"UserAttributes together); Pinpoint allows {schema.MAX_ATTRIBUTE_NAMES} per project. Over the cap: "
            + ", ".join(over[:10])
            + (" ..." if len(over) > 10 else ""),
            file=file,
            field=over[0],
        )
    (position,) = con.execute("SELECT coalesce(max(position), 0) FROM attribute_names").fetchall()[0]
    for offset, column in enumerate(new, 1):
        prefix, kind, _ = schema.attribute_family(column)  # type: ignore[misc]
        con.execute(
            "INSERT INTO attribute_names VALUES (?, ?, ?, ?, ?)",
            [kind, column[len(prefix) :], column, now, position + offset],
        )
    views.create_endpoints_view(con, root)
    return new


def _cap_endpoints_per_user(
    frame: pl.DataFrame, others: pl.DataFrame, rejects: list[pl.DataFrame]
) -> pl.DataFrame:
    """Reject rows that would give a user more than 15 endpoints (held ones rank first, then file order)."""
    ranked = frame.join(others, on="__uid", how="left", maintain_order="left").with_columns(
        (pl.col("__exists") & (pl.col("__old_user") == pl.col("__uid"))).fill_null(False).alias("__owned")
    )
    ranked = ranked.with_columns(
        (
            pl.col("__held").fill_null(0)
            + pl.struct((~pl.col("__owned")).cast(pl.Int8), "__order").rank("ordinal").over("__uid")
        ).alias("__nth")
    )
    over = (
        pl.col("__uid").is_not_null() & (pl.col("__nth") > schema.MAX_ENDPOINTS_PER_USER) & ~pl.col("__owned")
    )
    rejects.append(
        rejects_of(
            ranked.filter(over),
            "User.UserId",
            reason_text(
                "user '{}' would hold {} endpoints; Pinpoint allows at most "
                + str(schema.MAX_ENDPOINTS_PER_USER)
                + " per user",
                "__uid",
                "__nth",
            ),
        )
    )
    return ranked.filter(~over).drop("__uid", "__held", "__owned", "__nth")


def _hashes(values: pl.Series) -> pl.Series:
    """64-bit hashes of the non-null values (equal values, equal hashes; distinct ones collide very rarely)."""
    return values.drop_nulls().rechunk().hash(7)


def surely_distinct(values: pl.Series) -> bool:
    """True when no non-null value occurs twice, proven by distinct hashes; False: maybe (check exactly)."""
    hashes = _hashes(values)
    return hashes.n_unique() == hashes.len()


def most_rows_per_value(values: pl.Series) -> int:
    """At least as many as the most rows any one non-null value has (hash collisions can only add): a bound
    that spares the exact group-by when it is small. Sorting 64-bit hashes costs a third of grouping the strings.
    """
    import numpy as np

    hashes = _hashes(values).sort().to_numpy()
    if not hashes.size:
        return 0
    ends = np.flatnonzero(hashes[1:] != hashes[:-1])
    return int(np.diff(np.concatenate(([-1], ends, [hashes.size - 1]))).max())


def query_apart(sql: str, params: dict[str, object] | None = None, **frames: pl.DataFrame) -> pl.DataFrame:
    """Run ``sql`` (over Parquet parts and ``frames``, by name) on a short-lived in-memory DuckDB.

    Closing it hands back the memory its joins held, which the project's connection would keep to the end of
    the import: 160-220 MB of the peak of an update of 1M of 4M endpoints (benchmarks/bench_update.py).
    """
    with duckdb.connect() as scratch:
        for name, frame in frames.items():
            scratch.register(name, frame.to_arrow())
        return scratch.sql(sql, params=params).pl()


def _gives_all(frame: pl.DataFrame, column: str) -> bool:
    """Whether every row of ``frame`` gives ``column`` (a row without it keeps the stored value)."""
    return column in frame.columns and not frame.get_column(column).null_count()


def _lookup(stored_sql: str, valid: pl.DataFrame) -> pl.DataFrame:
    """The stored endpoints (``stored_sql``: the located view's query) among ``valid``'s rows: the row's number
    (``__i``), the stored user, where the endpoint is stored (``__part``, ``__row``, to patch it) and ``__holds``:
    the endpoint is ACTIVE and holds the ChannelType and Address it has after the row already (see
    :func:`_taken_over`). When some row leaves out its channel or address, also the stored ones
    (``__old_channel``, ``__old_address``): the row keeps them."""
    given = ["Id", *(c for c in ("ChannelType", "Address") if c in valid.columns)]
    channel = "i.ChannelType" if "ChannelType" in given else "NULL"
    address = "i.Address" if "Address" in given else "NULL"
    old = (
        ""
        if _gives_all(valid, "ChannelType") and _gives_all(valid, "Address")
        else ', e.ChannelType AS "__old_channel", e.Address AS "__old_address"'
    )
    return query_apart(
        f'SELECT i.__i, e."User.UserId" AS "__old_user", e.__part, e.__row{old}, '
        f"coalesce(e.EndpointStatus = 'ACTIVE' AND e.ChannelType = coalesce({channel}, e.ChannelType) "
        f"AND e.Address = coalesce({address}, e.Address), false) AS __holds "
        f"FROM __incoming i JOIN ({stored_sql}) e ON e.Id = i.Id",
        __incoming=valid.select(given).with_row_index("__i"),
    )


def _after(frame: pl.DataFrame, column: str, old: str) -> pl.Series:
    """The ``column`` (ChannelType or Address) each row leaves its endpoint with: the row's own value, else the
    stored one (``old``, from :func:`_lookup`)."""
    if _gives_all(frame, column) or (column in frame.columns and old not in frame.columns):
        return frame.get_column(column)
    if column not in frame.columns:
        return (
            frame.get_column(old)
            if old in frame.columns
            else pl.repeat(None, frame.height, dtype=pl.String, eager=True)
        )
    return frame.select(pl.coalesce(column, old)).to_series()


def _taken_over(stored_sql: str, frame: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Stored ACTIVE endpoints not in ``frame`` (``stored_sql``: the located view's query) holding the channel
    and address that a row of ``frame`` takes: they become INACTIVE (Id, ``__part``, ``__row``,
    EndpointStatus, EffectiveDate).

    A row takes the channel and address it leaves its endpoint with (``__channel``, ``__address``) when the
    endpoint ends ACTIVE (``__active``) and did not hold them already (``__holds``, from :func:`_lookup`): a
    nightly update that changes no address and reactivates no endpoint runs no query (12% of an update of 1M
    of 4M endpoints; benchmarks/bench_update.py).
    """
    takes = (
        pl.col("__active")
        & ~pl.col("__holds").fill_null(False)
        & pl.col("__channel").is_not_null()
        & pl.col("__address").is_not_null()
    )
    takers = frame.select(
        pl.col("__channel").alias("ChannelType"), pl.col("__address").alias("Address"), takes.alias("__takes")
    ).filter("__takes")
    if not takers.height:
        return pl.DataFrame()
    return query_apart(
        "SELECT e.Id, e.__part, e.__row, 'INACTIVE' AS EndpointStatus, CAST($now AS TIMESTAMP) AS EffectiveDate "
        f"FROM ({stored_sql}) e "
        "SEMI JOIN __takers s ON e.Address = s.Address AND e.ChannelType = s.ChannelType "
        "ANTI JOIN __staged i ON e.Id = i.Id "
        "WHERE e.EndpointStatus = 'ACTIVE'",
        params={"now": now},
        __takers=takers.drop("__takes"),
        __staged=frame.select("Id"),
    )


def _losers_in_file(frame: pl.DataFrame) -> pl.Expr:
    """``__status`` for the rows of one input whose endpoint would end ACTIVE on a channel and address that a
    later row's endpoint also ends ACTIVE on: INACTIVE (the later row wins), null for the others."""
    address = frame.get_column("__address")
    shared = (
        address.null_count() < frame.height
        # distinct hashes prove distinct addresses, at a fraction of is_duplicated()'s cost on a million strings
        and not surely_distinct(address)
        and bool(
            frame.select(
                pl.struct("__channel", "__address")
                .filter(pl.col("__address").is_not_null() & pl.col("__active"))
                .is_duplicated()
                .any()
            ).item()
        )
    )
    if not shared:
        return pl.lit(None, dtype=pl.String)
    last = pl.when("__active").then(pl.col("__order")).max().over("__channel", "__address")
    on_address = pl.col("__active") & pl.col("__address").is_not_null() & pl.col("__channel").is_not_null()
    return pl.when(on_address & (pl.col("__order") != last)).then(pl.lit("INACTIVE"))


def write_endpoints(
    con: duckdb.DuckDBPyConnection, root: Path, valid: pl.DataFrame, now: datetime
) -> WriteOutcome:
    """Upsert validated rows (with ``__file``, ``__line``, ``__order``) and return what happened."""
    empty = rejects_frame()
    if valid.is_empty():
        return WriteOutcome(0, 0, 0, empty, pl.Series("Id", [], dtype=pl.String), None)
    rejects = [empty]
    stored = bool(views.parts(con))
    # the stored endpoints with where each lives (part, row): what the lookups join and a patch needs
    stored_sql = views.view_sql(con, root, located=True) if stored else ""
    existing = _lookup(stored_sql, valid) if stored else pl.DataFrame()
    any_stored = existing.height > 0
    if any_stored:
        found = endpoint_parts.spread(existing.drop("__i"), existing.get_column("__i"), valid.height)
        del existing  # its rows are in ``found`` now: not held through the write (benchmarks/bench_update.py)
        frame = valid.with_columns(
            *found.get_columns(), found.get_column("__part").is_not_null().alias("__exists")
        )
        del found
    else:  # a fresh project, or only new endpoints: skip the join
        frame = valid.with_columns(
            pl.lit(None, dtype=pl.String).alias("__old_user"),
            pl.lit(None, dtype=pl.Int32).alias("__part"),
            pl.lit(None, dtype=pl.Int64).alias("__row"),
            pl.lit(False).alias("__exists"),
        )
    no_channel = ~pl.col("__exists") & (
        pl.col("ChannelType").is_null() if "ChannelType" in frame.columns else pl.lit(True)
    )
    no_address = ~pl.col("__exists") & (
        pl.col("Address").is_null() if "Address" in frame.columns else pl.lit(True)
    )
    # masks first, then filter only when a row goes: filtering copies every column of a million-row frame
    masks = frame.select(no_channel.fill_null(False).alias("c"), no_address.fill_null(False).alias("a"))
    channel_mask = masks.get_column("c") & ~masks.get_column("a")
    incomplete_mask = masks.get_column("c") | masks.get_column("a")
    if incomplete_mask.any():
        # the reject names the missing field: ChannelType when only it is missing, else Address
        for field, mask in (("ChannelType", channel_mask), ("Address", incomplete_mask & ~channel_mask)):
            if mask.any():
                rejects.append(
                    rejects_of(
                        frame.select("__file", "__line", "Id").filter(mask),
                        field,
                        reason_text(
                            "no endpoint with Id '{}' exists, and a new endpoint needs Address and ChannelType",
                            "Id",
                        ),
                    )
                )
        frame = frame.filter(~incomplete_mask)

    # at most 15 endpoints per user: endpoints the user already holds rank first, then file order
    # (only a user who gains an endpoint can go over: a nightly update of the same endpoints skips all this)
    gains = pl.col("User.UserId").is_not_null() & (
        ~pl.col("__exists") | pl.col("__old_user").is_null() | (pl.col("User.UserId") != pl.col("__old_user"))
    )
    if "User.UserId" in frame.columns and frame.select(gains.any()).item():
        uid = pl.coalesce("User.UserId", "__old_user") if any_stored else pl.col("User.UserId")
        frame = frame.with_columns(uid.alias("__uid"))
        others = pl.DataFrame(schema={"__uid": pl.String, "__held": pl.Int64})
        if stored:
            con.register("__incoming", frame.select("Id", "__uid").to_arrow())
            others = con.sql(
                'SELECT "User.UserId" AS "__uid", count(*) AS "__held" FROM endpoints '
                'WHERE "User.UserId" IN (SELECT "__uid" FROM __incoming) AND Id NOT IN (SELECT Id FROM __incoming) '
                "GROUP BY 1"
            ).pl()
            con.unregister("__incoming")
        # ranking every row is costly on millions; it is needed only when some user can go over the cap.
        # A bound first (no group-by over a million strings): the most rows one user id may have, plus the
        # most endpoints any of them holds already
        held = int(others.get_column("__held").max() or 0)  # type: ignore[arg-type]
        worst = most_rows_per_value(frame.get_column("__uid")) + held
        if worst > schema.MAX_ENDPOINTS_PER_USER:
            staged_per_user = (
                frame.select("__uid")
                .filter(pl.col("__uid").is_not_null())
                .group_by("__uid")
                .len()
                .join(others, on="__uid", how="left")
            )
            worst = staged_per_user.select((pl.col("len") + pl.col("__held").fill_null(0)).max()).item()
        if worst is None or worst <= schema.MAX_ENDPOINTS_PER_USER:
            frame = frame.drop("__uid")
        else:
            frame = _cap_endpoints_per_user(frame, others, rejects)

    # one ACTIVE endpoint per channel and address: inside the input the later row wins; stored endpoints
    # outside it lose theirs to a row that takes it (README, import rules)
    status = pl.col("EndpointStatus") if "EndpointStatus" in frame.columns else pl.lit(None, dtype=pl.String)
    frame = frame.with_columns(
        _after(frame, "ChannelType", "__old_channel").alias("__channel"),
        _after(frame, "Address", "__old_address").alias("__address"),
        (status.fill_null("ACTIVE") == "ACTIVE").alias("__active"),
    )
    if "__holds" not in frame.columns:
        frame = frame.with_columns(pl.lit(False).alias("__holds"))
    frame = frame.with_columns(_losers_in_file(frame).alias("__status"))
    lost_in_file = frame.get_column("__status").is_not_null().sum()

    data_cols = [c for c in frame.columns if not c.startswith("__")]
    deactivated = _taken_over(stored_sql, frame, now) if stored and frame.height else pl.DataFrame()

    def given(column: str) -> pl.Expr:
        return pl.col(column) if column in data_cols else pl.lit(None)

    special = {
        "EndpointStatus": pl.coalesce(pl.col("__status"), given("EndpointStatus"), pl.lit("ACTIVE")),
        "EffectiveDate": pl.coalesce(given("EffectiveDate"), pl.lit(now, dtype=pl.Datetime("us"))),
        "CreationDate": pl.coalesce(given("CreationDate"), pl.lit(now, dtype=pl.Datetime("us"))),
        "OptOut": pl.coalesce(given("OptOut"), pl.lit("NONE")),
        # a stable random cohort 0-99 for the endpoint's life (Pinpoint's CohortId), unless the file gives one
        "CohortId": pl.coalesce(
            given("CohortId").cast(pl.Int16), (pl.col("Id").hash(7) % 100).cast(pl.Int16)
        ),
    }
    any_exists = bool(frame.get_column("__exists").any())
    all_exist = any_exists and bool(frame.get_column("__exists").all())
    inserts = (
        pl.DataFrame()
        if all_exist
        else (frame.filter(~pl.col("__exists")) if any_exists else frame).select(
            *[c for c in data_cols if c not in special], *[e.alias(c) for c, e in special.items()]
        )
    )
    # an update: given fields replace stored ones (a null keeps it); the endpoint is ACTIVE unless the file (or
    # a later row with its address) says otherwise; EffectiveDate is now unless given; CreationDate and
    # CohortId stay
    updates = (
        (frame if all_exist else frame.filter(pl.col("__exists"))).select(
            *[c for c in data_cols if c not in special],
            "__part",
            "__row",
            special["EndpointStatus"].alias("EndpointStatus"),
            special["EffectiveDate"].alias("EffectiveDate"),
            *[c for c in ("CreationDate", "OptOut", "CohortId") if c in data_cols],
        )
        if any_exists
        else pl.DataFrame()
    )
    patch = [f for f in (updates, deactivated) if f.height]
    write = endpoint_parts.write(
        con,
        root,
        add=[inserts],
        patch=pl.concat(patch, how="diagonal_relaxed") if patch else None,
        keep=("CreationDate", "CohortId"),
    )
    return WriteOutcome(
        inserts.height,
        updates.height,
        deactivated.height + lost_in_file,
        pl.concat(rejects),
        frame.get_column("Id"),
        write,
    )
