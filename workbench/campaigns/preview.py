"""A campaign's messages as its endpoints would get them: per treatment, for one endpoint or a sample.

``preview(store, campaign, endpoint_id="ep-1")`` renders every treatment's message for that endpoint (so the
versions of an A/B test sit side by side) and says which group the endpoint is really in;
``preview(store, campaign)`` renders each treatment for a few of its own endpoints (``sample``, the first by
Id among those that pass the per-endpoint checks: active, not opted out, on a channel the campaign sends, with
an address). Each message lists the variables that had no value (rendered empty),
and SMS bodies their encoding and parts. In Jupyter, e-mail HTML shows in a sandboxed iframe (no scripts, no
forms, no access to the notebook), as messages.templates.TemplatePreview shows it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import UnknownNameError, suggest
from .audience import (
    AUDIENCE_COLUMNS,
    HOLDOUT,
    _channels,
    _utc,
    assignment_sql,
    audience_sql,
    campaign_id,
    channel_sql,
    custom_endpoint_types,
    treatment_messages,
)

if TYPE_CHECKING:
    from .audience import ChannelMessage
    from .spec import Campaign, Treatment


@dataclass(frozen=True)
class PreviewMessage:
    """One treatment's message rendered for one endpoint (``error`` set instead when it failed to render)."""

    treatment_id: str
    treatment: str
    endpoint_id: str
    channel: str | None
    parts: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    sms: dict[str, Any] | None = None
    error: str | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment_id": self.treatment_id,
            "treatment": self.treatment,
            "endpoint_id": self.endpoint_id,
            "channel": self.channel,
            "source": self.source,
            "parts": dict(self.parts),
            "missing": list(self.missing),
            "sms": self.sms,
            "error": self.error,
        }


@dataclass
class CampaignPreview:
    """The rendered messages of a campaign (see the module docstring); ``to_dict()`` for JSON, tables in
    Jupyter.

    ``group`` is the chosen endpoint's treatment id (or ``HOLDOUT``) and ``member`` whether it is in the
    campaign's segment; both None for a sample.
    """

    campaign: str
    version: int | None
    messages: list[PreviewMessage]
    endpoint_id: str | None = None
    group: str | None = None
    member: bool | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"campaign", "version", "endpoint_id", "group", "member", "note", "messages": [...]}``."""
        return {
            "campaign": self.campaign,
            "version": self.version,
            "endpoint_id": self.endpoint_id,
            "group": self.group,
            "member": self.member,
            "note": self.note,
            "messages": [m.to_dict() for m in self.messages],
        }

    def text(self) -> str:
        """The preview as a person reads it in a terminal."""
        lines = [f"Preview of campaign {self.campaign}" + (f" v{self.version}" if self.version else "")]
        if self.note:
            lines.append(self.note)
        for m in self.messages:
            lines.append(
                f"=== treatment {m.treatment_id} {m.treatment}, endpoint {m.endpoint_id} ({m.channel})"
            )
            if m.error:
                lines.append(f"render error: {m.error}")
                continue
            for part, value in m.parts.items():
                lines.append(f"--- {part}")
                lines.append(value)
            if m.sms:
                lines.append(
                    f"SMS: {m.sms['encoding']}, {m.sms['characters']} characters, {m.sms['parts']} parts"
                )
            if m.missing:
                lines.append(f"warning: no value and no default for {', '.join(m.missing)} (rendered empty)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..messages.templates import sandboxed_iframe

        esc = html.escape
        title = f"Preview: campaign {esc(self.campaign)}" + (
            f" <small>v{self.version}</small>" if self.version else ""
        )
        out = [f"<div style='font-family:sans-serif'><h4 style='margin:0.2em 0'>{title}</h4>"]
        if self.note:
            out.append(f"<div><i>{esc(self.note)}</i></div>")
        if not self.messages:
            out.append("<div>No messages to show.</div>")
        for m in self.messages:
            head = (
                f"<div style='margin-top:0.8em;border-top:1px solid #ccc'><b>Treatment {esc(m.treatment_id)}: "
                f"{esc(m.treatment)}</b> &middot; endpoint <code>{esc(m.endpoint_id)}</code> &middot; "
                f"{esc(m.channel or '?')} &middot; <small>{esc(m.source)}</small></div>"
            )
            out.append(head)
            if m.error:
                out.append(f"<div style='color:#b00'><b>Render error:</b> {esc(m.error)}</div>")
                continue
            for part, value in m.parts.items():
                if part == "HtmlPart":
                    out.append(sandboxed_iframe(value))
                elif part == "Subject":
                    out.append(f"<div><b>Subject:</b> {esc(value)}</div>")
                else:
                    out.append(
                        f"<div><b>{esc(part)}</b></div><pre style='white-space:pre-wrap;margin:0'>{esc(value)}</pre>"
                    )
            if m.sms:
                out.append(
                    f"<div><b>SMS:</b> {esc(m.sms['encoding'])}, {m.sms['characters']:,} characters, "
                    f"{m.sms['parts']} part{'s' if m.sms['parts'] != 1 else ''}</div>"
                )
            if m.missing:
                out.append(
                    "<div style='color:#a60'><b>Warning:</b> no value and no default for "
                    f"{esc(', '.join(m.missing))} (rendered as empty text)</div>"
                )
        out.append("</div>")
        return "\n".join(out)


def _pick_treatments(campaign: Campaign, treatment: str | int | None) -> list[Treatment]:
    treatments = campaign.treatments
    if treatment is None:
        return list(treatments)
    wanted = str(treatment)
    chosen = [t for t in treatments if wanted in (t.treatment_id, t.name)]
    if not chosen:
        names = [t.name for t in treatments] + [t.treatment_id for t in treatments]
        raise UnknownNameError(
            f"campaign {campaign.name!r} has no treatment {wanted!r}{suggest(wanted, names)}; treatments: "
            + ", ".join(f"{t.treatment_id} ({t.name})" for t in treatments)
        )
    return chosen


def _render_one(
    treatment: Treatment, row: dict[str, Any], channel: str | None, message: ChannelMessage | None
):
    from ..messages.render import RenderError, render_parts
    from ..messages.sms import sms_parts

    endpoint_id = str(row.get("Id"))
    if message is None:
        return PreviewMessage(
            treatment.treatment_id,
            treatment.name,
            endpoint_id,
            channel,
            error=f"treatment {treatment.name!r} has no message for the {channel or 'unknown'} channel",
        )
    endpoint = {k: v for k, v in row.items() if k not in AUDIENCE_COLUMNS}
    try:
        rendered = render_parts(message.parts, endpoint, message.defaults)
    except RenderError as err:
        return PreviewMessage(
            treatment.treatment_id,
            treatment.name,
            endpoint_id,
            channel,
            error=f"{err.part}: {err.reason}",
            source=message.source,
        )
    sms = sms_parts(rendered.parts.get("Body", "")).to_dict() if channel == "SMS" else None
    return PreviewMessage(
        treatment.treatment_id,
        treatment.name,
        endpoint_id,
        channel,
        dict(rendered.parts),
        list(rendered.missing),
        sms,
        source=message.source,
    )


def close_endpoint_ids(store: Any, endpoint_id: str, n: int = 3) -> list[str]:
    """The project's endpoint ids closest to ``endpoint_id`` (Jaro-Winkler, in DuckDB: no id list in Python)."""
    found = store.query(
        'SELECT "Id" FROM endpoints ORDER BY jaro_winkler_similarity("Id", ?) DESC, "Id" LIMIT ?',
        [endpoint_id, n],
    )
    return found.get_column("Id").to_list()


def preview(
    store: Any,
    campaign: Campaign | str,
    *,
    endpoint_id: str | None = None,
    treatment: str | int | None = None,
    sample: int = 5,
    now: datetime | str | None = None,
) -> CampaignPreview:
    """Render the campaign's messages (see the module docstring).

    ``endpoint_id``: every treatment (or ``treatment``: its id or name) for that endpoint, member of the segment
    or not (the preview says which); an unknown id raises UnknownNameError naming the closest ids. Without it:
    each treatment for the first ``sample`` of its endpoints that would be sent to.
    """
    if isinstance(campaign, str):
        from .spec import load_campaign

        campaign = load_campaign(store, campaign)
    now = _utc(now)
    chosen = _pick_treatments(campaign, treatment)
    messages = treatment_messages(store, campaign)
    if endpoint_id is not None:
        return _preview_endpoint(store, campaign, chosen, messages, str(endpoint_id), now)
    columns = [r[0] for r in store.query("SELECT column_name FROM (DESCRIBE endpoints)").iter_rows()]
    inner = audience_sql(store, campaign, columns, now=now)
    ids = ", ".join(f"'{t.treatment_id}'" for t in chosen)
    rows = store.query(
        f"SELECT * EXCLUDE (__pre, __key) FROM ({inner}) WHERE __pre IS NULL AND treatment_id IN ({ids}) "
        f'QUALIFY row_number() OVER (PARTITION BY treatment_id ORDER BY "Id") <= {max(0, int(sample))} '
        f'ORDER BY treatment_id, "Id"'
    )
    out = []
    for t in chosen:
        for row in rows.filter(rows.get_column("treatment_id") == t.treatment_id).iter_rows(named=True):
            channel = row.get("channel")
            out.append(_render_one(t, row, channel, messages[t.treatment_id].get(channel)))
    note = (
        ""
        if out
        else "no endpoint of the segment would be sent this campaign (empty segment, or all excluded)"
    )
    return CampaignPreview(campaign.name, campaign.version, out, note=note)


def _preview_endpoint(
    store: Any,
    campaign: Campaign,
    chosen: list[Treatment],
    messages: dict[str, dict[str, ChannelMessage]],
    endpoint_id: str,
    now: datetime,
) -> CampaignPreview:
    from ..segments import Segment, evaluation_time

    ref, version = campaign.segment
    segment = Segment.load(store, ref, version, now=evaluation_time(store, now))
    group = assignment_sql(campaign_id(campaign), campaign.holdout_percent, campaign.treatments)
    channel = channel_sql(_channels(campaign), custom_endpoint_types(campaign))
    found = store.query(
        f"SELECT *, {group} AS __group, {channel} AS __channel, coalesce({segment.sql_filter()}, false) AS __member "
        'FROM endpoints WHERE "Id" = ?',
        [endpoint_id],
    )
    if found.is_empty():
        close = close_endpoint_ids(store, endpoint_id)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UnknownNameError(f"no endpoint with Id {endpoint_id!r} in {store.path}{hint}")
    row = found.row(0, named=True)
    group_id, member, channel_name = row.pop("__group"), bool(row.pop("__member")), row.pop("__channel")
    out = [_render_one(t, row, channel_name, messages[t.treatment_id].get(channel_name)) for t in chosen]
    where = "the holdout (it gets nothing)" if group_id == HOLDOUT else f"treatment {group_id}"
    note = f"endpoint {endpoint_id} is in {where}"
    if not member:
        note += f"; it is NOT in segment {segment.name or ref!r}, so the campaign will not send to it"
    if channel_name not in _channels(campaign):
        note += f"; its channel {row.get('ChannelType')} is not one this campaign sends"
    return CampaignPreview(campaign.name, campaign.version, out, endpoint_id, group_id, member, note)
