"""Writing validated endpoints into the catalog, inside the caller's transaction.

Pinpoint's upsert rules: an existing Id is updated (given fields replace stored ones, missing fields are kept);
a new endpoint needs Address and ChannelType; when an endpoint takes an Address (of the same ChannelType)
that another ACTIVE endpoint holds, the other one becomes INACTIVE; a user may hold at most 15 endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from .. import schema
from ..errors import InputError
from ..schema import quote

_CORE = list(schema.ENDPOINT_COLUMNS)


@dataclass
class WriteOutcome:
    imported: int
    updated: int
    deactivated: int
    rejects: pl.DataFrame  # __file, __line, field, reason
    endpoint_ids: pl.Series


def ensure_attribute_columns(
    con: duckdb.DuckDBPyConnection, columns: list[str], now: datetime, file: str
) -> list[str]:
    """Add table columns for attribute names met for the first time; enforce Pinpoint's 250-name cap."""
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
    for column in new:
        prefix, kind, sqltype = schema.attribute_family(column)  # type: ignore[misc]
        con.execute(f"ALTER TABLE endpoints ADD COLUMN {quote(column)} {sqltype}")
        con.execute(
            "INSERT INTO attribute_names VALUES (?, ?, ?, ?)", [kind, column[len(prefix) :], column, now]
        )
    return new


def _reject(frame: pl.DataFrame, field: str, reason: pl.Expr | str) -> pl.DataFrame:
    reason_e = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
    return frame.select("__file", "__line", pl.lit(field).alias("field"), reason_e.alias("reason"))


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
        _reject(
            ranked.filter(over),
            "User.UserId",
            pl.format(
                "user '{}' would hold {} endpoints; Pinpoint allows at most "
                + str(schema.MAX_ENDPOINTS_PER_USER)
                + " per user",
                "__uid",
                "__nth",
            ),
        )
    )
    return ranked.filter(~over).drop("__uid", "__held", "__owned", "__nth")


def write_endpoints(con: duckdb.DuckDBPyConnection, valid: pl.DataFrame, now: datetime) -> WriteOutcome:
    """Upsert validated rows (with ``__file``, ``__line``, ``__order``) and return what happened."""
    empty = pl.DataFrame(
        schema={"__file": pl.String, "__line": pl.Int64, "field": pl.String, "reason": pl.String}
    )
    if valid.is_empty():
        return WriteOutcome(0, 0, 0, empty, pl.Series("Id", [], dtype=pl.String))
    rejects = [empty]
    con.register("__incoming", valid.select("Id").to_arrow())
    existing = con.sql(
        'SELECT e.Id, e."User.UserId" AS "__old_user" FROM endpoints e SEMI JOIN __incoming i ON e.Id = i.Id'
    ).pl()
    con.unregister("__incoming")
    if existing.height:
        frame = valid.join(existing, on="Id", how="left", maintain_order="left").with_columns(
            pl.col("Id").is_in(existing.get_column("Id").implode()).alias("__exists")
        )
    else:  # a fresh project, or only new endpoints: skip the join
        frame = valid.with_columns(
            pl.lit(None, dtype=pl.String).alias("__old_user"), pl.lit(False).alias("__exists")
        )
    incomplete = ~pl.col("__exists") & (
        pl.col("ChannelType").is_null() if "ChannelType" in frame.columns else pl.lit(True)
    ) | ~pl.col("__exists") & (pl.col("Address").is_null() if "Address" in frame.columns else pl.lit(True))
    rejects.append(
        _reject(
            frame.filter(incomplete),
            "Address",
            pl.format(
                "no endpoint with Id '{}' exists, and a new endpoint needs Address and ChannelType", "Id"
            ),
        )
    )
    if rejects[-1].height:
        frame = frame.filter(~incomplete)

    # at most 15 endpoints per user: endpoints the user already holds rank first, then file order
    if "User.UserId" in frame.columns and frame.get_column("User.UserId").is_not_null().any():
        frame = frame.with_columns(pl.coalesce("User.UserId", "__old_user").alias("__uid"))
        con.register("__incoming", frame.select("Id", "__uid").to_arrow())
        others = con.sql(
            'SELECT "User.UserId" AS "__uid", count(*) AS "__held" FROM endpoints '
            'WHERE "User.UserId" IN (SELECT "__uid" FROM __incoming) AND Id NOT IN (SELECT Id FROM __incoming) '
            "GROUP BY 1"
        ).pl()
        con.unregister("__incoming")
        # ranking every row is costly on millions; it is needed only when some user can go over the cap
        staged_per_user = (
            frame.filter(pl.col("__uid").is_not_null())
            .group_by("__uid")
            .len()
            .join(others, on="__uid", how="left")
        )
        worst = staged_per_user.select((pl.col("len") + pl.col("__held").fill_null(0)).max()).item()
        if worst is None or worst <= schema.MAX_ENDPOINTS_PER_USER:
            frame = frame.drop("__uid")
        else:
            frame = _cap_endpoints_per_user(frame, others, rejects)

    # an Address taken by a later row of the same input leaves the earlier endpoint INACTIVE
    channel = pl.col("ChannelType") if "ChannelType" in frame.columns else pl.lit(None, dtype=pl.String)
    shared = "Address" in frame.columns and bool(
        frame.select(
            pl.struct(channel.alias("c"), pl.col("Address"))
            .filter(pl.col("Address").is_not_null())
            .is_duplicated()
            .any()
        ).item()
    )
    if shared:
        last = pl.col("__order").max().over(channel, pl.col("Address"))
        frame = frame.with_columns(
            pl.when(pl.col("Address").is_not_null() & (pl.col("__order") != last))
            .then(pl.lit("INACTIVE"))
            .alias("__status")
        )
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("__status"))

    data_cols = [c for c in frame.columns if not c.startswith("__")]
    stage = frame.select(*data_cols, "__exists", "__status")
    con.register("__staged", stage.to_arrow())
    deactivated = 0
    if "Address" in data_cols and "ChannelType" in data_cols:
        deactivated = con.execute(
            "UPDATE endpoints AS e SET EndpointStatus = 'INACTIVE', EffectiveDate = ? "
            "FROM (SELECT DISTINCT ChannelType, Address FROM __staged WHERE Address IS NOT NULL) s "
            "WHERE e.Address = s.Address AND e.ChannelType = s.ChannelType AND e.EndpointStatus = 'ACTIVE' "
            "AND e.Id NOT IN (SELECT Id FROM __staged)",
            [now],
        ).fetchall()[0][0]

    def value(column: str, alias: str | None) -> str:
        """SQL for one column of the written row; ``alias`` is the stored row (updates) or None (inserts)."""
        given = f"s.{quote(column)}" if column in data_cols else "NULL"
        old = f"{alias}.{quote(column)}" if alias else "NULL"
        if column == "EndpointStatus":
            return f"coalesce(s.__status, {given}, 'ACTIVE')"
        if column == "EffectiveDate":
            return f"coalesce({given}, $now)"
        if column == "CreationDate":
            return f"coalesce({old}, {given}, $now)"
        if column == "OptOut":
            return f"coalesce({given}, {old}, 'NONE')"
        if column == "CohortId":
            return f"coalesce({old}, {given}, CAST(hash(s.Id) % 100 AS SMALLINT))"
        if column == "Id":
            return "s.Id"
        return f"coalesce({given}, {old})" if alias else given

    table_cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE endpoints)").fetchall()]
    written = [
        c
        for c in table_cols
        if c in data_cols
        or c in ("Id", "EndpointStatus", "EffectiveDate", "CreationDate", "OptOut", "CohortId")
    ]
    insert_cols = ", ".join(quote(c) for c in written)
    inserted = con.execute(
        f"INSERT INTO endpoints ({insert_cols}) SELECT "
        + ", ".join(value(c, None) for c in written)
        + " FROM __staged s WHERE NOT s.__exists",
        {"now": now},
    ).fetchall()[0][0]
    updated = 0
    if stage.get_column("__exists").any():
        # an update rewrites the whole row: given fields replace stored ones, the others are carried over
        con.execute(
            "CREATE OR REPLACE TEMP TABLE __merged AS SELECT "
            + ", ".join(f"{value(c, 'e')} AS {quote(c)}" for c in table_cols)
            + " FROM __staged s JOIN endpoints e ON e.Id = s.Id WHERE s.__exists",
            {"now": now},
        )
        con.execute("DELETE FROM endpoints WHERE Id IN (SELECT Id FROM __merged)")
        all_cols = ", ".join(quote(c) for c in table_cols)
        updated = con.execute(
            f"INSERT INTO endpoints ({all_cols}) SELECT {all_cols} FROM __merged"
        ).fetchall()[0][0]
        con.execute("DROP TABLE __merged")
    con.unregister("__staged")
    return WriteOutcome(
        int(inserted), int(updated), int(deactivated), pl.concat(rejects), stage.get_column("Id")
    )
