"""A campaign's dry run: everything a send would do up to the network, and nothing sent.

``dry_run(store, campaign)`` builds the audience (campaigns.audience: members, treatments and holdout,
exclusions in a fixed order), renders every treatment's message for every endpoint it would go to (render
errors are collected with their endpoints; the rest still count), counts SMS parts and their estimated cost
(``[sms.prices]`` per ISO country and ``sms.default_price`` in workbench.toml), and, for local-time campaigns,
the send waves by time zone. Nothing is written: not the ledger, not the event log.

The counts add up: ``targeted`` (the segment's members) = the treatments' ``endpoints`` + every ``excluded``
count, and ``holdout`` is ``excluded["TREATMENT_HOLDOUT"]``. A treatment's ``messages`` are its endpoints whose
message rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from .audience import EXCLUSION_ORDER, _utc, audience, render_treatment, treatment_messages

if TYPE_CHECKING:
    from .spec import Campaign

__all__ = ["EXCLUSION_ORDER", "DryRun", "dry_run", "render_treatment", "sms_summary"]

#: Render errors listed in ``to_dict()`` (the total is always given); the notebook view shows the first 20.
MAX_ERRORS_LISTED = 1000
ERRORS_SHOWN = 20
WAVES_SHOWN = 50


@dataclass
class DryRun:
    """What a campaign run would do (see the module docstring). ``to_dict()`` is what ``workbench campaign
    dry-run NAME --json`` prints; in Jupyter it shows as tables. ``audience`` is the frame it was counted from
    (one row per segment member, with ``treatment_id``, ``excluded``, ``due_at``...)."""

    campaign: str
    version: int | None
    campaign_id: str | None
    now: datetime
    targeted: int
    treatments: list[dict[str, Any]]
    holdout: int
    excluded: dict[str, int]
    render_errors: list[dict[str, Any]]
    render_errors_total: int
    waves: list[dict[str, Any]]
    local_time: bool = False
    audience: pl.DataFrame | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"campaign", "version", "targeted", "treatments", "holdout", "excluded", "render_errors",
        "render_errors_total", "waves", "now", ...}``: JSON-ready (instants in ISO 8601 UTC)."""
        return {
            "campaign": self.campaign,
            "campaign_id": self.campaign_id,
            "version": self.version,
            "now": _iso(self.now),
            "targeted": self.targeted,
            "treatments": [dict(t) for t in self.treatments],
            "holdout": self.holdout,
            "excluded": dict(self.excluded),
            "render_errors": [dict(e) for e in self.render_errors[:MAX_ERRORS_LISTED]],
            "render_errors_total": self.render_errors_total,
            "local_time": self.local_time,
            "waves": [dict(w, due_at=_iso(w["due_at"])) for w in self.waves],
        }

    @property
    def messages(self) -> int:
        """Messages the run would send (all treatments)."""
        return sum(t["messages"] for t in self.treatments)

    def text(self) -> str:
        """The dry run as a person reads it in a terminal."""
        lines = [
            f"Dry run of campaign {self.campaign}"
            + (f" v{self.version}" if self.version else "")
            + " (nothing sent)",
            f"targeted: {self.targeted:,} endpoints; {self.messages:,} messages would be sent",
        ]
        for t in self.treatments:
            sms = t.get("sms")
            cost = f", SMS {sms['parts']:,} parts, cost {_money(sms['estimated_cost'])}" if sms else ""
            lines.append(
                f"  treatment {t['treatment_id']} {t['name']} ({t['size_percent']:g}%): {t['endpoints']:,} endpoints,"
                f" {t['messages']:,} messages{cost}"
            )
        lines.append(f"  holdout: {self.holdout:,}")
        lines.append("excluded: " + ", ".join(f"{k} {v:,}" for k, v in self.excluded.items() if v) or "none")
        if self.render_errors_total:
            lines.append(f"render errors: {self.render_errors_total:,}")
            for e in self.render_errors[:ERRORS_SHOWN]:
                lines.append(
                    f"  {e['endpoint_id']} (treatment {e['treatment_id']}) {e['part']}: {e['reason']}"
                )
        if self.local_time:
            lines.append(f"waves: {len(self.waves)}")
            for w in self.waves[:WAVES_SHOWN]:
                lines.append(f"  {_iso(w['due_at'])} {w['zone']}: {w['endpoints']:,}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        out = [
            "<div style='font-family:sans-serif'>",
            f"<h4 style='margin:0.2em 0'>Dry run: campaign {esc(self.campaign)}"
            + (f" <small>v{self.version}</small>" if self.version else "")
            + "</h4>",
            f"<div>Nothing was sent. As of {esc(_iso(self.now))}: <b>{self.targeted:,}</b> endpoints targeted, "
            f"<b>{self.messages:,}</b> messages would be sent.</div>",
        ]
        rows = []
        for t in self.treatments:
            sms = t.get("sms")
            rows.append(
                [
                    f"{t['treatment_id']}: {t['name']}",
                    f"{t['size_percent']:g}%",
                    f"{t['endpoints']:,}",
                    f"{t['messages']:,}",
                    f"{sms['parts']:,}" if sms else "",
                    _money(sms["estimated_cost"]) if sms else "",
                    ", ".join(t.get("sources", {}).values()),
                ]
            )
        rows.append(["Holdout", "", f"{self.holdout:,}", "0", "", "", "receives nothing"])
        head = ["Group", "Size", "Endpoints", "Messages", "SMS parts", "Est. cost", "Message"]
        if not any(t.get("sms") for t in self.treatments):  # no SMS: no empty SMS columns
            head, rows = head[:4] + head[6:], [r[:4] + r[6:] for r in rows]
        out.append(html_table(head, rows, "Groups"))
        out.append(
            html_table(
                ["Reason", "Endpoints"],
                [[k, f"{v:,}"] for k, v in self.excluded.items()],
                "Excluded, by the first reason that applies",
            )
        )
        if self.render_errors_total:
            shown = self.render_errors[:ERRORS_SHOWN]
            rest = self.render_errors_total - len(shown)
            out.append(
                html_table(
                    ["Endpoint", "Treatment", "Part", "Reason"],
                    [[e["endpoint_id"], e["treatment_id"], e["part"], e["reason"]] for e in shown],
                    f"Render errors: {self.render_errors_total:,} (those endpoints get no message)",
                    note=f"and {rest:,} more" if rest > 0 else "",
                    color="#b00",
                )
            )
        else:
            out.append("<div>Render errors: none.</div>")
        missing = [
            (t["treatment_id"], k, v)
            for t in self.treatments
            for k, v in t.get("missing_variables", {}).items()
        ]
        if missing:
            out.append(
                html_table(
                    ["Treatment", "Variable", "Endpoints"],
                    [[a, b, f"{c:,}"] for a, b, c in missing],
                    "Variables without a value or default (rendered empty)",
                    color="#a60",
                )
            )
        if self.waves:
            shown_waves = self.waves[:WAVES_SHOWN]
            rest = len(self.waves) - len(shown_waves)
            out.append(
                html_table(
                    ["Due (UTC)", "Time zone", "Endpoints"],
                    [[_iso(w["due_at"]), w["zone"] or "", f"{w['endpoints']:,}"] for w in shown_waves],
                    "Send waves by local time" if self.local_time else "Send times",
                    note=f"and {rest:,} more waves" if rest > 0 else "",
                )
            )
        out.append("</div>")
        return "\n".join(out)


_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?%?$")


def html_table(
    head: list[str], rows: list[list[Any]], caption: str, *, note: str = "", color: str | None = None
) -> str:
    """A small captioned table for a notebook: numbers right-aligned, light rules between rows."""
    esc = html.escape
    style = f" style='color:{color}'" if color else ""
    numeric = [
        bool(rows) and all(_NUMBER.match(str(r[i])) or r[i] == "" for r in rows) for i in range(len(head))
    ]
    align = ["right" if n else "left" for n in numeric]
    cells = "".join(
        f"<th style='text-align:{a};padding:3px 10px;border-bottom:1px solid #999'>{esc(h)}</th>"
        for h, a in zip(head, align, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:{a};padding:3px 10px;border-bottom:1px solid #e4e4e4'>{esc(str(v))}</td>"
            for v, a in zip(row, align, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    tail = f"<div><i>{esc(note)}</i></div>" if note else ""
    return (
        f"<div style='margin-top:0.8em'><b{style}>{esc(caption)}</b>"
        f"<table style='border-collapse:collapse;margin-top:0.2em'><tr>{cells}</tr>{body}</table>{tail}</div>"
    )


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _money(value: float | None) -> str:
    return "unknown (no price)" if value is None else f"{value:,.4f}"


# --- SMS ---------------------------------------------------------------------------------------------------------


def sms_summary(
    bodies: pl.Series, numbers: pl.Series, prices: Mapping[str, Any], default: Any
) -> dict[str, Any]:
    """SMS parts and estimated cost of rendered bodies to their numbers: ``{"messages", "parts", "encodings",
    "estimated_cost", "unpriced"}``. ``estimated_cost`` is None when no message has a price; ``unpriced`` counts
    the messages whose country has no price and no default (left out of the cost)."""
    from ..messages.sms import country_of, estimate_cost, sms_parts

    frame = pl.DataFrame({"body": bodies.cast(pl.String).fill_null(""), "to": numbers.cast(pl.String)})
    parts_of = {b: sms_parts(b) for b in frame.get_column("body").unique().to_list()}
    frame = frame.with_columns(
        pl.col("body")
        .replace_strict({b: p.parts for b, p in parts_of.items()}, return_dtype=pl.Int64)
        .alias("parts"),
        pl.col("body")
        .replace_strict({b: p.encoding for b, p in parts_of.items()}, return_dtype=pl.String)
        .alias("enc"),
    )

    def country(number: str) -> str | None:
        try:
            return country_of(number)
        except Exception:  # an unparseable number is priced as unknown, not a failure of the dry run
            return None

    countries = {n: country(n) for n in frame.get_column("to").drop_nulls().unique().to_list()}
    frame = frame.with_columns(
        pl.col("to").replace_strict(countries, default=None, return_dtype=pl.String).alias("cc")
    )
    cost, unpriced = None, 0
    for (cc,), rows in frame.group_by("cc"):
        n_parts = int(rows.get_column("parts").sum())
        price = estimate_cost(n_parts, cc, prices, default) if cc else None
        if price is None:
            unpriced += rows.height
        else:
            cost = (cost or 0.0) + price
    encodings = dict(frame.group_by("enc").len().iter_rows()) if frame.height else {}
    return {
        "messages": frame.height,
        "parts": int(frame.get_column("parts").sum()) if frame.height else 0,
        "encodings": {k: int(v) for k, v in sorted(encodings.items())},
        "estimated_cost": None if cost is None else round(cost, 6),
        "unpriced": unpriced,
    }


# --- the dry run -------------------------------------------------------------------------------------------------


def dry_run(store: Any, campaign: Campaign | str, *, now: datetime | str | None = None) -> DryRun:
    """What sending ``campaign`` now (or at ``now``) would do, without sending anything (module docstring).

    ``campaign`` is a Campaign or the name or id of a saved one. Raises InputError / UnknownNameError for a
    campaign that cannot run (an unknown segment or template, a part the sandbox refuses).
    """
    if isinstance(campaign, str):
        from .spec import load_campaign

        campaign = load_campaign(store, campaign)
    now = _utc(now)
    messages = treatment_messages(store, campaign)
    frame = audience(store, campaign, now=now, messages=messages)
    # one pass: the endpoints to send to, by treatment (the excluded ones under a null key)
    send_to = pl.when(pl.col("excluded").is_null()).then(pl.col("treatment_id")).alias("__send")
    parts = (
        frame.with_columns(send_to).partition_by("__send", as_dict=True, include_key=False)
        if frame.height
        else {}
    )
    by_treatment = {key[0]: part for key, part in parts.items() if key[0] is not None}
    empty = frame.clear()
    prices = store.setting("sms.prices", {}) or {}
    default_price = store.setting("sms.default_price")
    treatments, errors = [], []
    for treatment in campaign.treatments:
        rows = by_treatment.get(treatment.treatment_id, empty)
        rendered = render_treatment(
            store, campaign, treatment, rows, messages=messages[treatment.treatment_id]
        )
        failed = {e[0] for e in rendered.errors}
        errors.extend(
            {"endpoint_id": e, "treatment_id": treatment.treatment_id, "part": p, "reason": r}
            for e, p, r in rendered.errors
        )
        entry: dict[str, Any] = {
            "treatment_id": treatment.treatment_id,
            "name": treatment.name,
            "size_percent": treatment.size_percent,
            "endpoints": rows.height,
            "messages": rows.height - len(failed),
            "channels": dict(rows.group_by("channel").len().sort("channel").iter_rows())
            if rows.height
            else {},
            "sources": {c: m.source for c, m in messages[treatment.treatment_id].items()},
            "sms": None,
        }
        if rendered.missing is not None and rendered.missing.height:
            counts = (
                rendered.missing.explode("missing")
                .group_by("missing")
                .len()
                .sort(["len", "missing"], descending=[True, False])
            )
            entry["missing_variables"] = {k: int(v) for k, v in counts.iter_rows()}
        else:
            entry["missing_variables"] = {}
        if "SMS" in messages[treatment.treatment_id] and "Body" in rendered.frame.columns:
            sms = (
                rendered.frame.select("Id", "Body")
                .drop_nulls("Body")
                .join(rows.select("Id", "send_address"), on="Id", how="inner")
            )
            entry["sms"] = sms_summary(
                sms.get_column("Body"), sms.get_column("send_address"), prices, default_price
            )
        treatments.append(entry)
    excluded_counts = dict(frame.group_by("excluded").len().drop_nulls("excluded").iter_rows())
    excluded = {reason: int(excluded_counts.get(reason, 0)) for reason in EXCLUSION_ORDER}
    schedule = campaign.schedule or {}
    local = bool(schedule.get("IsLocalTime"))
    keys = ["due_at", "zone"] if local or schedule.get("QuietTime") else ["due_at"]
    live = pl.concat([p.select(keys) for p in by_treatment.values()]) if by_treatment else frame.clear()
    waves_frame = live.group_by(keys).len().sort(keys) if live.height else pl.DataFrame()
    waves = [
        {"due_at": row["due_at"], "zone": row.get("zone"), "endpoints": int(row["len"])}
        for row in waves_frame.iter_rows(named=True)
    ]
    return DryRun(
        campaign=campaign.name,
        version=campaign.version,
        campaign_id=campaign.campaign_id,
        now=now,
        targeted=frame.height,
        treatments=treatments,
        holdout=excluded["TREATMENT_HOLDOUT"],
        excluded=excluded,
        render_errors=errors,
        render_errors_total=len(errors),
        waves=waves,
        local_time=local,
        audience=frame,
    )
