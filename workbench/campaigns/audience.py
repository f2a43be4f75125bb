"""Who a campaign run reaches: the segment's members, their treatment or holdout, and why others are excluded.

:func:`audience` is what a dry run counts and what a send plans from, so that the two never disagree.

**Assignment** (:func:`assignment_sql`). Each endpoint gets a bucket 0..9999 from a stable hash of
``campaign id || ':' || coalesce(User.UserId, Id)`` (the first 64 bits of its md5, modulo 10,000:
:func:`bucket_sql`): the same on every run and on every machine, and the same for every endpoint of one user (a user sees one treatment on all their devices). Buckets
below ``HoldoutPercent`` (in hundredths of a percent) are the holdout; the treatments follow in order (the
default treatment first, then ``AdditionalTreatments``) by cumulative ``SizePercent``. A campaign that is not
saved yet hashes with its name instead of its id.

**Exclusions**, with Pinpoint's run-level names plus ours; an endpoint gets the FIRST that applies, in this
order (so every endpoint is counted once, and the counts add up to the segment):

1. ``ENDPOINT_INACTIVE``: ``EndpointStatus`` is ``INACTIVE``;
2. ``ENDPOINT_OPT_OUT``: ``OptOut`` is ``ALL`` (campaigns are promotional);
3. ``ENDPOINT_CHANNEL_MISMATCH``: the endpoint's channel (``ChannelType``'s family: APNS and GCM are push) is
   not one the campaign sends; an endpoint whose ``ChannelType`` is in ``CustomDeliveryConfiguration``'s
   ``EndpointTypes`` goes to the custom channel;
4. ``ENDPOINT_MISSING_ADDRESS``: no ``Address`` (the custom channel needs none);
5. ``DUPLICATE_ENDPOINT``: another endpoint still in the running has the same address on the same channel
   (e-mail compared case-insensitively); the one with the smallest ``Id`` is kept;
6. ``TREATMENT_HOLDOUT``: the endpoint is in the holdout;
7. ``SUPPRESSED``: the address is on the project's suppression list (any reason: campaigns are promotional);
8. ``CAP_EXCEEDED``: ``Limits.Total`` messages of this campaign already went (or are owed) to the endpoint, or
   ``Limits.Daily`` in the 24 hours before ``now`` (read from the delivery ledger's messages; a project that
   never sent has no ledger and nothing is capped);
9. ``QUIET_TIME``: quiet time holds the message past the campaign's ``EndTime`` (without an EndTime a held
   message is only delayed: see ``due_at``).

The members, the assignment and 1-4 are ONE DuckDB query over the segment (one pass: no grouping, no
self-join); 5-9 are applied to its frame: duplicates in Polars (a hash pass, then the few repeated addresses),
suppression by hashing the
addresses in DuckDB against the list, caps from the ledger, quiet time from delivery.timing.due_times.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from ..delivery.keys import CHANNEL_FAMILIES, FAMILY_CHANNEL
from ..errors import InputError
from ..store.schema import quote, sql_string

if TYPE_CHECKING:
    from ..messages.render import RenderedFrame, TemplatePart
    from .spec import Campaign, Treatment

#: The group name of the holdout in ``treatment_id``.
HOLDOUT = "HOLDOUT"
#: Buckets per campaign: percentages are honoured to a hundredth of a percent.
BUCKETS = 10_000
#: The order exclusions are checked in (the first that applies is the endpoint's reason).
EXCLUSION_ORDER = (
    "ENDPOINT_INACTIVE",
    "ENDPOINT_OPT_OUT",
    "ENDPOINT_CHANNEL_MISMATCH",
    "ENDPOINT_MISSING_ADDRESS",
    "DUPLICATE_ENDPOINT",
    "TREATMENT_HOLDOUT",
    "SUPPRESSED",
    "CAP_EXCEEDED",
    "QUIET_TIME",
)
#: Ledger states that count toward a cap: accepted, owed, in flight, or possibly sent (ambiguous).
CAP_STATES = ("accepted", "queued", "retryable", "sending", "ambiguous")
#: Endpoint columns every audience carries (besides those the templates name).
BASE_COLUMNS = (
    "Id",
    "ChannelType",
    "Address",
    "EndpointStatus",
    "OptOut",
    "User.UserId",
    "Demographic.Timezone",
)
#: The columns audience() adds to the endpoint columns.
AUDIENCE_COLUMNS = (
    "user_id",
    "channel",
    "send_address",
    "treatment_id",
    "excluded",
    "due_at",
    "held",
    "zone",
)


# --- assignment --------------------------------------------------------------------------------------------------


def bucket_sql(campaign_id: str) -> str:
    """The stable bucket 0..9999 of an endpoint (by its user when it has one) for one campaign: the first 64 bits
    of ``md5(campaign id || ':' || coalesce(User.UserId, Id))`` (hex) modulo 10,000. In Python:
    ``int(hashlib.md5(text.encode()).hexdigest()[:16], 16) % 10000``.

    Not ``md5_number(...) % 10000``: DuckDB's modulo of its 128-bit result costs 3 s per million endpoints, the
    hex prefix 0.1 s (benchmarks/bench_dry_run.py).
    """
    key = sql_string(f"{campaign_id}:")
    return f'CAST((\'0x\' || left(md5({key} || coalesce("User.UserId", "Id")), 16))::UBIGINT % {BUCKETS} AS INTEGER)'


def _basis_points(percent: float) -> int:
    return round(float(percent) * BUCKETS / 100)


def assignment_sql(campaign_id: str, holdout_percent: float, treatments: Sequence[Treatment]) -> str:
    """A DuckDB CASE over ``endpoints`` columns giving ``'HOLDOUT'`` or the treatment id (see the module doc).

    Buckets below the holdout's share are the holdout; then each treatment takes the next ``size_percent``; the
    last treatment takes whatever rounding leaves.
    """
    return assignment_case(bucket_sql(campaign_id), holdout_percent, treatments)


def assignment_case(bucket: str, holdout_percent: float, treatments: Sequence[Treatment]) -> str:
    """:func:`assignment_sql` over a bucket expression (a column holding :func:`bucket_sql`, say)."""
    if not treatments:
        raise InputError("a campaign needs at least one treatment", field="AdditionalTreatments")
    edge = _basis_points(holdout_percent)
    whens = [f"WHEN {bucket} < {edge} THEN {sql_string(HOLDOUT)}"] if edge > 0 else []
    for treatment in treatments[:-1]:
        edge += _basis_points(treatment.size_percent)
        whens.append(f"WHEN {bucket} < {edge} THEN {sql_string(treatment.treatment_id)}")
    last = sql_string(treatments[-1].treatment_id)
    return f"(CASE {' '.join(whens)} ELSE {last} END)" if whens else last


# --- channels ----------------------------------------------------------------------------------------------------


def channel_sql(channels: Sequence[str], custom_types: Sequence[str] | None) -> str:
    """The channel an endpoint is sent on (EMAIL, SMS, PUSH, VOICE, CUSTOM), from its ChannelType.

    With the custom channel among ``channels``, endpoints whose ChannelType is in ``custom_types`` (every
    endpoint when ``custom_types`` is None) go to it.
    """
    whens = " ".join(
        f"WHEN {sql_string(kind)} THEN {sql_string(FAMILY_CHANNEL[family])}"
        for kind, family in CHANNEL_FAMILIES.items()
    )
    family = f'(CASE upper("ChannelType") {whens} END)'
    if "CUSTOM" not in channels:
        return family
    if custom_types is None:
        return "'CUSTOM'"
    kinds = ", ".join(sql_string(str(k).upper()) for k in custom_types) or "NULL"
    return f"(CASE WHEN upper(\"ChannelType\") IN ({kinds}) THEN 'CUSTOM' ELSE {family} END)"


def custom_endpoint_types(campaign: Campaign) -> list[str] | None:
    """``CustomDeliveryConfiguration.EndpointTypes`` of the campaign (None: every endpoint type)."""
    config = campaign.request.get("CustomDeliveryConfiguration") or {}
    types = config.get("EndpointTypes")
    return [str(t) for t in types] if types else None


# --- the messages of a treatment ---------------------------------------------------------------------------------

_TEMPLATE_KEYS = {
    "EmailTemplate": "EMAIL",
    "SMSTemplate": "SMS",
    "PushTemplate": "PUSH",
    "VoiceTemplate": "VOICE",
}
_PUSH_BLOCKS = {
    "DefaultMessage": "Default",
    "APNSMessage": "APNS",
    "GCMMessage": "GCM",
    "ADMMessage": "ADM",
    "BaiduMessage": "Baidu",
}
#: Text fields of Pinpoint's push ``Message`` that are rendered (Action, SilentPush, TimeToLive are not text).
_PUSH_FIELDS = (
    "Title",
    "Body",
    "Url",
    "ImageUrl",
    "ImageIconUrl",
    "ImageSmallIconUrl",
    "MediaUrl",
    "RawContent",
)


@dataclass(frozen=True)
class ChannelMessage:
    """What one treatment sends on one channel: the parts to render, their defaults, and where they come from.

    ``source`` says it for people (``template welcome v3`` or ``MessageConfiguration.EmailMessage``); ``field``
    is the campaign key path that errors name.
    """

    channel: str
    parts: dict[str, TemplatePart]
    defaults: dict[str, str] = field(default_factory=dict)
    source: str = ""
    field: str = ""
    template: str | None = None
    template_version: int | None = None


def _inline_parts(channel: str, config: Mapping[str, Any]) -> tuple[dict[str, tuple[str, str, bool]], str]:
    """{part: (key path, source, html)} of an inline MessageConfiguration for one channel, and its key."""
    out: dict[str, tuple[str, str, bool]] = {}
    if channel == "EMAIL" and config.get("EmailMessage"):
        email = config["EmailMessage"]
        for part, key, is_html in (
            ("Subject", "Title", False),
            ("HtmlPart", "HtmlBody", True),
            ("TextPart", "Body", False),
        ):
            if isinstance(email.get(key), str):
                out[part] = (f"MessageConfiguration.EmailMessage.{key}", email[key], is_html)
        return out, "MessageConfiguration.EmailMessage"
    if channel == "SMS":
        for key in ("SMSMessage", "DefaultMessage"):  # Pinpoint's DefaultMessage is the fallback body
            block = config.get(key) or {}
            if isinstance(block.get("Body"), str):
                out["Body"] = (f"MessageConfiguration.{key}.Body", block["Body"], False)
                return out, f"MessageConfiguration.{key}"
        return out, "MessageConfiguration.SMSMessage"
    if channel == "PUSH":
        for key, block in _PUSH_BLOCKS.items():
            message = config.get(key) or {}
            for name in _PUSH_FIELDS:
                if isinstance(message.get(name), str):
                    out[f"{block}.{name}"] = (f"MessageConfiguration.{key}.{name}", message[name], False)
        return out, "MessageConfiguration"
    if channel == "CUSTOM" and config.get("CustomMessage"):
        data = config["CustomMessage"].get("Data")
        if isinstance(data, str):
            out["Data"] = ("MessageConfiguration.CustomMessage.Data", data, False)
        return out, "MessageConfiguration.CustomMessage"
    return out, "MessageConfiguration"


def _treatment_field(treatment: Treatment) -> str:
    if treatment.treatment_id == "0":
        return ""
    return f"AdditionalTreatments[{int(treatment.treatment_id) - 1}]."


def channel_message(
    store: Any, campaign: Campaign, treatment: Treatment, channel: str
) -> ChannelMessage | None:
    """The message ``treatment`` sends on ``channel``: its inline MessageConfiguration when it has one for the
    channel, else its TemplateConfiguration's template (the pinned ``Version``, else the active one); a treatment
    with neither falls back to the default treatment's. None when nothing is configured for the channel.

    Raises InputError (naming the campaign key) for a part the sandbox refuses, UnknownNameError for an unknown
    template or version.
    """
    from ..messages.render import TemplatePart, check_part

    candidates = [treatment]
    default = campaign.treatments[0]
    if default.treatment_id != treatment.treatment_id:
        candidates.append(default)
    for source in candidates:
        prefix = _treatment_field(source)
        found, key = _inline_parts(channel, source.message_configuration or {})
        if found:
            parts = {}
            for part, (path, text, is_html) in found.items():
                where = f"{prefix}{path}"
                check_part(text, html=is_html, where=f"campaign {campaign.name}", part=where)
                parts[part] = TemplatePart(text, is_html)
            return ChannelMessage(channel, parts, {}, f"{prefix}{key}", f"{prefix}{key}")
        for config_key, kind in _TEMPLATE_KEYS.items():
            ref = (source.template_configuration or {}).get(config_key)
            if kind != channel or not ref or not ref.get("Name"):
                continue
            from ..messages.templates import load_template

            version = ref.get("Version")
            template = load_template(
                store,
                str(ref["Name"]),
                type=kind,
                version=int(version) if version not in (None, "") else None,
            )
            return ChannelMessage(
                channel,
                template.parts(),
                template.default_substitutions,
                f"template {template.name} v{template.version}",
                f"{prefix}TemplateConfiguration.{config_key}",
                template.name,
                template.version,
            )
    return None


def treatment_messages(store: Any, campaign: Campaign) -> dict[str, dict[str, ChannelMessage]]:
    """{treatment id: {channel: ChannelMessage}} for every treatment and every channel the campaign sends."""
    channels = _channels(campaign)
    out: dict[str, dict[str, ChannelMessage]] = {}
    for treatment in campaign.treatments:
        mine = {}
        for channel in channels:
            message = channel_message(store, campaign, treatment, channel)
            if message is not None:
                mine[channel] = message
        out[treatment.treatment_id] = mine
    return out


def _channels(campaign: Campaign) -> list[str]:
    return [str(c).upper() for c in campaign.channels]


def render_treatment(
    store: Any,
    campaign: Campaign,
    treatment: Treatment,
    frame: pl.DataFrame,
    *,
    messages: Mapping[str, ChannelMessage] | None = None,
) -> RenderedFrame:
    """Render ``treatment``'s message for every endpoint of ``frame`` (endpoint columns, plus ``channel`` when
    the campaign sends on several channels), with messages.render.render_frame (the fast Polars path when the
    parts are substitutions only). Used by dry runs and sends alike.

    The result's frame has ``Id`` and one column per part of every channel (null for other channels' parts);
    errors are (endpoint id, part, reason) per endpoint, never raised for the whole audience.
    """
    from ..messages.render import RenderedFrame, render_frame

    if messages is None:
        messages = treatment_messages(store, campaign)[treatment.treatment_id]
    endpoint_cols = [c for c in frame.columns if c not in AUDIENCE_COLUMNS]
    only = _channels(campaign)
    if "channel" in frame.columns and len(only) > 1:
        groups = {str(k[0]): g for k, g in frame.group_by("channel", maintain_order=True)}
    else:  # one channel: every endpoint still in the running is on it (the others are CHANNEL_MISMATCH)
        groups = {only[0] if only else "EMAIL": frame}
    frames, missing, errors, fast = [], [], [], True
    for channel, rows in groups.items():
        message = messages.get(channel)
        if message is None:
            errors.extend(
                (i, channel, f"no {channel} message for treatment {treatment.name}") for i in rows["Id"]
            )
            continue
        try:
            rendered = render_frame(message.parts, rows.select(endpoint_cols), message.defaults)
        except InputError as err:
            raise InputError(
                err.reason,
                file=f"campaign {campaign.name}",
                line=err.line,
                field=f"{message.field}.{err.field}",
            ) from None
        frames.append(rendered.frame)
        missing.append(rendered.missing)
        errors.extend(rendered.errors)
        fast = fast and rendered.fast
    empty_missing = pl.DataFrame(schema={"Id": pl.String, "missing": pl.List(pl.String)})
    return RenderedFrame(
        pl.concat(frames, how="diagonal") if frames else pl.DataFrame(schema={"Id": pl.String}),
        errors,
        pl.concat(missing, how="vertical") if missing else empty_missing,
        fast=fast and bool(frames),
    )


# --- the audience ------------------------------------------------------------------------------------------------


def needed_columns(
    available: Sequence[str], messages: Mapping[str, Mapping[str, ChannelMessage]]
) -> list[str]:
    """The endpoint columns an audience carries: :data:`BASE_COLUMNS` and every column the templates may use.

    A column is kept when its last name (``FirstName`` of ``User.UserAttributes.FirstName``) appears in a part
    or a default; a part that loops (``{{#each}}``, ``{% for %}``) may reach any column, so then all are kept.
    Carrying only these keeps a million-endpoint frame small.
    """
    texts = [
        text
        for by_channel in messages.values()
        for message in by_channel.values()
        for text in [*(p.source for p in message.parts.values()), *message.defaults]
    ]
    blob = "\n".join(texts)
    if re.search(r"\{\{\s*#\s*each|\{%-?\s*for\b", blob):
        return list(available)
    words = set(re.findall(r"[A-Za-z0-9_\-]+", blob))
    return [c for c in available if c in BASE_COLUMNS or c.rsplit(".", 1)[-1] in words or c in blob]


def _utc(now: datetime | str | None) -> datetime:
    """``now`` as an aware UTC datetime: a datetime (naive means UTC), an ISO 8601 text (the CLI's ``--now``), or
    None: ``$WORKBENCH_NOW`` when set (tests and demos pin the clock with it, as segments do), else the clock."""
    if now is None:
        now = os.environ.get("WORKBENCH_NOW") or None
        if now is None:
            return datetime.now(UTC)
    if isinstance(now, str):
        from ..delivery.timing import parse_instant

        return parse_instant(now, field="now")
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def campaign_id(campaign: Campaign) -> str:
    """The id the assignment hashes: the saved campaign's id, else its name."""
    return str(campaign.campaign_id or campaign.name)


#: The suppression form of an address, in SQL, where SQL can compute it exactly (see _suppression_form); NULL
#: where Python must (a non-ASCII e-mail address, a phone number not in E.164).
_FORM_SQL = """CASE channel
  WHEN 'EMAIL' THEN CASE WHEN strlen(send_address) = length(send_address) THEN lower(send_address) END
  WHEN 'SMS' THEN CASE WHEN regexp_full_match(send_address, '\\+[0-9]{2,15}') THEN send_address END
  WHEN 'VOICE' THEN CASE WHEN regexp_full_match(send_address, '\\+[0-9]{2,15}') THEN send_address END
  ELSE send_address END"""
_FAMILY_SQL = "lower(CASE channel WHEN 'CUSTOM' THEN 'custom' ELSE channel END)"


def hmac_sql(form: str, family: str) -> str:
    """HMAC-SHA256 in DuckDB, hex, over ``family || 0x1f || form``, with the key's pads as parameters
    ``$ipad`` / ``$opad`` (RFC 2104: sha256(opad || sha256(ipad || message))): SuppressionList.address_key's
    value. It hashes a million addresses in 0.6 s on two cores where a loop of ``hmac.new`` takes 1.4 s
    (benchmarks/bench_dry_run.py, whose project has a suppression list)."""
    return f"sha256($opad::BLOB || unhex(sha256($ipad::BLOB || encode({family} || chr(31) || {form}))))"


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """The inner and outer pads of an HMAC-SHA256 key (RFC 2104)."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def audience_sql(store: Any, campaign: Campaign, columns: Sequence[str], *, now: datetime) -> str:
    """The ONE query of :func:`audience`: the segment's members with their channel, address, treatment (or
    holdout), ``__pre`` (exclusions 1-4) and ``__key`` (the address as duplicates are compared). One pass over
    the members: no grouping, no self-join (duplicates are found in :func:`_static_exclusions`)."""
    from ..segments import Segment, evaluation_time

    ref, version = campaign.segment
    segment = Segment.load(store, ref, version, now=evaluation_time(store, now))
    select = ", ".join(f"endpoints.{quote(c)}" for c in columns)
    members = segment.sql(select)
    channels = _channels(campaign)
    channel = channel_sql(channels, custom_endpoint_types(campaign))
    sent = ", ".join(sql_string(c) for c in channels) or "NULL"
    assign = assignment_case("__bucket", campaign.holdout_percent, campaign.treatments)
    key = "CASE channel WHEN 'EMAIL' THEN lower(send_address) WHEN 'CUSTOM' THEN \"Id\" ELSE send_address END"
    return f"""
SELECT * EXCLUDE (__bucket), {assign} AS treatment_id, {key} AS __key,
    CASE WHEN upper("EndpointStatus") = 'INACTIVE' THEN 'ENDPOINT_INACTIVE'
         WHEN upper("OptOut") = 'ALL' THEN 'ENDPOINT_OPT_OUT'
         WHEN channel IS NULL OR channel NOT IN ({sent}) THEN 'ENDPOINT_CHANNEL_MISMATCH'
         WHEN send_address IS NULL AND channel <> 'CUSTOM' THEN 'ENDPOINT_MISSING_ADDRESS' END AS __pre
FROM (
  SELECT __m.*, {bucket_sql(campaign_id(campaign))} AS __bucket, "User.UserId" AS user_id, {channel} AS channel,
         nullif(trim("Address"), '') AS send_address
  FROM ({members}) AS __m)
"""


def _static_exclusions(frame: pl.DataFrame, capped: pl.DataFrame | None) -> pl.DataFrame:
    """``excluded`` from the query's ``__pre`` (1-4), then DUPLICATE_ENDPOINT (the smallest Id of each address
    among the endpoints still in the running is kept), TREATMENT_HOLDOUT and CAP_EXCEEDED.

    Duplicates are looked for among the rows whose (channel, address) occurs twice: a hash pass over the
    audience, then the smallest Id per address over those few rows only.
    """
    live = frame.filter(pl.col("__pre").is_null()).select("Id", "channel", "__key")
    twice = live.filter(pl.struct("channel", "__key").is_duplicated())
    duplicates = (
        twice.with_columns(pl.col("Id").min().over(["channel", "__key"]).alias("__first"))
        .filter(pl.col("Id") != pl.col("__first"))
        .get_column("Id")
    )
    reason = pl.when(pl.col("__pre").is_not_null()).then(pl.col("__pre"))
    if duplicates.len():
        reason = reason.when(pl.col("Id").is_in(duplicates.implode())).then(pl.lit("DUPLICATE_ENDPOINT"))
    reason = reason.when(pl.col("treatment_id") == HOLDOUT).then(pl.lit("TREATMENT_HOLDOUT"))
    if capped is not None and capped.height:
        reason = reason.when(pl.col("Id").is_in(capped.get_column("endpoint_id").implode())).then(
            pl.lit("CAP_EXCEEDED")
        )
    return frame.with_columns(reason.otherwise(None).cast(pl.String).alias("excluded")).drop("__pre", "__key")


def audience(
    store: Any,
    campaign: Campaign,
    *,
    now: datetime | None = None,
    ledger: Any = None,
    messages: Mapping[str, Mapping[str, ChannelMessage]] | None = None,
    occurrence: datetime | None = None,
) -> pl.DataFrame:
    """The campaign's segment members, one row each, with what a send needs (see the module docstring).

    Columns: the endpoint columns a send and the templates need (``Id``, ``ChannelType``, ``Address``,
    ``User.UserId``, ``Demographic.Timezone``, ...), ``user_id``, ``channel`` (EMAIL, SMS, PUSH, CUSTOM),
    ``send_address`` (trimmed), ``treatment_id`` (``"0"``..``"5"`` or ``"HOLDOUT"``), ``excluded`` (null, or the
    first reason that applies), ``due_at`` (UTC), ``held`` (quiet time delayed it) and ``zone``. Rows come in
    no particular order.

    ``ledger`` (a delivery Ledger) is read for caps and the suppression list; by default the project's, when it
    exists (nothing is created: a dry run writes nothing). ``occurrence``: the instant of the run being planned
    (a recurring campaign's occurrence); by default the next one at or after ``now`` (:func:`send_time`).
    """
    now = _utc(now)
    if messages is None:
        messages = treatment_messages(store, campaign)
    own = None
    if ledger is None and store.delivery_path.exists():
        from ..delivery.ledger import Ledger

        ledger = own = Ledger.for_store(store)
    try:
        capped = _capped_endpoints(campaign, ledger, now) if ledger is not None else None
        with store.connect(read_only=True) as con:
            available = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE endpoints)").fetchall()]
            sql = audience_sql(store, campaign, needed_columns(available, messages), now=now)
            frame = _static_exclusions(con.sql(sql).pl(), capped)
        if ledger is not None:
            frame = _suppressed(store, ledger, frame)
    finally:
        if own is not None:
            own.close()
    for name in BASE_COLUMNS:  # a project whose endpoints never had a time zone, say
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    frame = frame.with_columns(pl.col("excluded").cast(pl.String), pl.col("treatment_id").cast(pl.String))
    return _timed(campaign, frame, now, occurrence)


def _exclude(frame: pl.DataFrame, hit: pl.Expr, reason: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("excluded").is_null() & hit)
        .then(pl.lit(reason))
        .otherwise(pl.col("excluded"))
        .alias("excluded")
    )


# --- suppression -------------------------------------------------------------------------------------------------


def _suppression_list(ledger: Any) -> pl.DataFrame | None:
    """The suppression list's (family, address_key), or None when it is empty (then nothing is hashed).

    Every reason stops a campaign message (campaigns are promotional: suppression.blocks), so reasons are not
    needed. The list is read whole: 1M entries are ~70 MB, and one read beats a lookup per audience batch.
    """
    rows = ledger.con.execute("SELECT DISTINCT family, address_key FROM suppression").fetchall()
    if not rows:
        return None
    return pl.DataFrame(rows, schema={"family": pl.String, "address_key": pl.String}, orient="row")


def _suppression_form(family: str, address: str, region: str | None) -> str | None:
    """The address as the suppression list hashes it (keys.suppression_form of the normalised address).

    Stored addresses were normalised by the import (phone numbers in E.164); an ASCII e-mail address normalises
    to itself with a lower-case domain, so casefolding it gives its form (that is what the audience query does,
    in SQL); anything else goes through keys.normalise_address. None for an address that cannot be normalised
    (the send refuses it anyway).
    """
    from ..delivery.keys import normalise_address, suppression_form

    if family == "email" and address.isascii():
        return address.casefold()
    if family not in ("email", "sms", "voice"):
        return address
    try:
        return suppression_form(family, normalise_address(family, address, region=region))
    except Exception:  # an address that cannot be normalised cannot be on the list either
        return None


def _suppressed(store: Any, ledger: Any, frame: pl.DataFrame) -> pl.DataFrame:
    """SUPPRESSED for the endpoints still in the running whose address is on the suppression list.

    The addresses are hashed (HMAC, as the list stores them) in DuckDB, where SQL computes the form exactly
    (:data:`_FORM_SQL`); the rare others (a non-ASCII e-mail address, a number not in E.164) in Python.
    """
    import duckdb

    from ..delivery.keys import channel_family
    from ..delivery.suppression import SuppressionList

    listed = _suppression_list(ledger)
    if listed is None:
        return frame
    live = (
        frame.select("Id", "channel", "send_address", "excluded")
        .filter(pl.col("excluded").is_null() & pl.col("send_address").is_not_null())
        .drop("excluded")
    )
    ipad, opad = hmac_pads(store.secret("suppression"))
    con = duckdb.connect()
    try:
        con.register("__live", live.to_arrow())
        con.register("__listed", listed.to_arrow())
        found = con.sql(
            f"""WITH __f AS (SELECT "Id", {_FORM_SQL} AS __form, {_FAMILY_SQL} AS __family, channel, send_address
                             FROM __live)
            SELECT "Id", __form IS NULL AS __python, channel, send_address FROM __f
            WHERE __form IS NULL OR ({hmac_sql("__form", "__family")}, __family) IN
                  (SELECT (address_key, family) FROM __listed)""",
            params={"ipad": ipad, "opad": opad},
        ).pl()
    finally:
        con.close()
    hits = found.filter(~pl.col("__python")).get_column("Id").to_list()
    todo = found.filter(pl.col("__python"))
    if todo.height:
        suppression = SuppressionList.for_store(store, ledger)
        for endpoint_id, channel, address in todo.select("Id", "channel", "send_address").iter_rows():
            family = channel_family(channel)
            form = _suppression_form(family, address, suppression.region)
            if form is not None:
                key = suppression.address_key(family, form, normalised=True)
                if suppression.reasons_by_key(family, [key]):
                    hits.append(endpoint_id)
    if not hits:
        return frame
    return _exclude(frame, pl.col("Id").is_in(pl.Series(hits, dtype=pl.String).implode()), "SUPPRESSED")


# --- caps --------------------------------------------------------------------------------------------------------


def _limit(campaign: Campaign, key: str) -> int:
    value = (campaign.limits or {}).get(key)
    return int(value) if value else 0  # 0 or absent: no limit


def _capped_endpoints(campaign: Campaign, ledger: Any, now: datetime) -> pl.DataFrame | None:
    """The endpoints that already had Limits.Total messages of this campaign, or Limits.Daily in the 24 hours
    before ``now`` (messages accepted, owed, in flight or ambiguous: CAP_STATES); None without limits."""
    daily, total = _limit(campaign, "Daily"), _limit(campaign, "Total")
    if not daily and not total:
        return None
    states = ", ".join("?" * len(CAP_STATES))
    rows = ledger.con.execute(
        f"SELECT endpoint_id FROM messages WHERE source = 'campaign' AND source_id = ? AND endpoint_id IS NOT NULL "
        f"AND state IN ({states}) GROUP BY endpoint_id "
        "HAVING (? > 0 AND count(*) >= ?) OR (? > 0 AND sum(coalesce(first_sent_at, created_at) >= ?) >= ?)",
        (campaign_id(campaign), *CAP_STATES, total, total, daily, now.timestamp() - 86400, daily),
    ).fetchall()
    return pl.DataFrame({"endpoint_id": [r[0] for r in rows]}, schema={"endpoint_id": pl.String})


# --- time --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendTime:
    """When a campaign run sends: the instant, the wall-clock time for local-time campaigns, quiet time, zone."""

    instant: datetime
    wall: datetime | None
    quiet: Any
    fallback: Any
    end: datetime | None
    local: bool


def send_time(campaign: Campaign, now: datetime, occurrence: datetime | None = None) -> SendTime:
    """The next run's timing: StartTime (IMMEDIATE: now), or the first occurrence at or after ``now`` of a
    recurring schedule. With IsLocalTime the StartTime is a wall-clock time (its offset dropped, as
    delivery.timing.parse_wall_time reads it) that each endpoint gets in its own zone."""
    from ..delivery import timing

    schedule = campaign.schedule or {}
    fallback = timing.parse_utc_offset(schedule.get("Timezone") or "UTC", field="Schedule.Timezone")
    quiet = timing.QuietTime.from_json(schedule.get("QuietTime"), field="Schedule.QuietTime")
    start_text = schedule.get("StartTime") or "IMMEDIATE"
    end_text = schedule.get("EndTime")
    end = timing.parse_instant(end_text, field="Schedule.EndTime") if end_text else None
    frequency = str(schedule.get("Frequency") or "ONCE").upper()
    local = bool(schedule.get("IsLocalTime"))
    recurring = frequency not in ("ONCE", "EVENT")
    if occurrence is not None:
        return _at_occurrence(occurrence, start_text, quiet, fallback, end, local)
    if local:
        clock_now = now.astimezone(fallback).replace(tzinfo=None)
        if str(start_text).upper() == "IMMEDIATE":
            wall = clock_now
        else:
            wall = timing.parse_wall_time(start_text, field="Schedule.StartTime")
            wall_end = timing.parse_wall_time(end_text, field="Schedule.EndTime") if end_text else None
            if recurring and wall < clock_now:
                upcoming = timing.occurrences(
                    wall, frequency, end=wall_end, after=clock_now - timedelta(microseconds=1),
                    until=clock_now + timedelta(days=62),
                )  # fmt: skip
                wall = upcoming[0] if upcoming else wall
        return SendTime(wall.replace(tzinfo=fallback).astimezone(UTC), wall, quiet, fallback, end, True)
    if str(start_text).upper() == "IMMEDIATE":
        instant = now
    else:
        instant = timing.parse_instant(start_text, field="Schedule.StartTime")
        if recurring and instant < now:
            upcoming = timing.occurrences(
                instant,
                frequency,
                end=end,
                after=now - timedelta(microseconds=1),
                until=now + timedelta(days=62),
            )
            instant = upcoming[0] if upcoming else instant
    return SendTime(instant, None, quiet, fallback, end, False)


def _at_occurrence(
    occurrence: datetime, start_text: Any, quiet: Any, fallback: Any, end: datetime | None, local: bool
) -> SendTime:
    """The SendTime of a given occurrence: an aware instant; for a local-time campaign its wall clock is the
    instant read in the StartTime's own offset (a naive occurrence is taken as the wall clock itself)."""
    if not local:
        instant = occurrence if occurrence.tzinfo else occurrence.replace(tzinfo=UTC)
        return SendTime(instant.astimezone(UTC), None, quiet, fallback, end, False)
    if occurrence.tzinfo is None:
        wall = occurrence
    else:
        written = None
        if isinstance(start_text, str) and start_text.upper() != "IMMEDIATE":
            try:
                written = datetime.fromisoformat(start_text).tzinfo
            except ValueError:
                written = None
        wall = occurrence.astimezone(written or UTC).replace(tzinfo=None)
    return SendTime(wall.replace(tzinfo=fallback).astimezone(UTC), wall, quiet, fallback, end, True)


def _timed(
    campaign: Campaign, frame: pl.DataFrame, now: datetime, occurrence: datetime | None = None
) -> pl.DataFrame:
    """Add due_at / held / zone (delivery.timing.due_times) and QUIET_TIME past the EndTime."""
    from ..delivery import timing

    when = send_time(campaign, now, occurrence)
    due = timing.due_times(
        frame.get_column("Demographic.Timezone").cast(pl.String),
        wall=when.wall,
        instant=when.instant,
        quiet=when.quiet,
        fallback=when.fallback,
    )
    frame = frame.with_columns(
        due.get_column("due_at").alias("due_at"),
        due.get_column("held").alias("held"),
        due.get_column("zone").cast(pl.String).alias("zone"),
    )
    if when.end is not None:
        end = when.end.astimezone(UTC)
        frame = _exclude(frame, pl.col("held") & (pl.col("due_at") > pl.lit(end)), "QUIET_TIME")
    return frame
