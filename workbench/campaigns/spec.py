"""A campaign: Pinpoint's ``WriteCampaignRequest`` JSON, read and written back unchanged, checked, and saved in the
catalog with versions.

``Campaign.from_json`` takes the request as Pinpoint's API and the AWS CLI write it (a dict, JSON text or a file),
the CLI's ``--cli-input-json`` of ``create-campaign`` / ``update-campaign``, or what ``aws pinpoint get-campaign``
prints (a ``CampaignResponse``, with or without its ``{"CampaignResponse": ...}`` wrapper: Id, Arn, dates, Version,
State and the treatments' Id and State are dropped). ``to_json`` gives the request back.

Checked: unknown keys and wrong types (Pinpoint's service model, ``store.definitions.PINPOINT_SHAPES``), then what
the values mean: treatments plus holdout at most 100%, at most 5 additional treatments, Pinpoint's UTC offsets for
``Timezone``, ``HH:MM`` quiet time, EndTime after StartTime, Limits within Pinpoint's ranges (Daily and Total
<= 100, MessagesPerSecond 1-20,000, MaximumDuration >= 60), ``Frequency`` EVENT if and only if an EventFilter, a
channel for every treatment. Each error is an InputError naming the file and the key path
(``AdditionalTreatments[1].SizePercent``). ``save_campaign`` also checks that the segment and templates exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..delivery.timing import FREQUENCIES, QuietTime, parse_instant, parse_utc_offset
from ..errors import InputError, UnknownNameError
from ..segments.event_filter import EventFilter
from ..store.definitions import (
    STATES,
    check_name,
    check_range,
    check_shape,
    list_definitions,
    load_definition,
    read_json_source,
    request_from_json,
    save_definition,
    set_state,
)

if TYPE_CHECKING:
    from ..store import Store

CAMPAIGN_STATES = STATES["campaign"]
#: FREQUENCIES (from delivery.timing): the schedule frequencies the workbench runs; Pinpoint's IN_APP_EVENT is for
#: in-app messages, which it does not send
EXCLUSION_REASONS = (
    "ENDPOINT_OPT_OUT",
    "ENDPOINT_INACTIVE",
    "ENDPOINT_MISSING_ADDRESS",
    "ENDPOINT_CHANNEL_MISMATCH",
    "DUPLICATE_ENDPOINT",
    "TREATMENT_HOLDOUT",
    "SUPPRESSED",
    "QUIET_TIME",
    "CAP_EXCEEDED",
)
#: the channel families a campaign sends on, in this order
CHANNELS = ("EMAIL", "SMS", "PUSH", "CUSTOM")
#: MessageConfiguration key -> channel family (DefaultMessage is the push default for every push platform)
MESSAGE_CHANNELS = {
    "EmailMessage": "EMAIL",
    "SMSMessage": "SMS",
    "DefaultMessage": "PUSH",
    "APNSMessage": "PUSH",
    "GCMMessage": "PUSH",
    "ADMMessage": "PUSH",
    "BaiduMessage": "PUSH",
    "CustomMessage": "CUSTOM",
}
#: TemplateConfiguration key -> the template's type (and channel family)
TEMPLATE_CHANNELS = {"EmailTemplate": "EMAIL", "SMSTemplate": "SMS", "PushTemplate": "PUSH"}
#: parts of Pinpoint's campaign model the workbench does not send, refused with a reason
_NOT_SENT = {
    "InAppMessage": "in-app messages are not sent by the workbench (no in-app channel)",
    "InAppTemplate": "in-app templates are not sent by the workbench (no in-app channel)",
    "VoiceTemplate": "voice templates are not supported for campaigns (as in Pinpoint)",
}

#: Pinpoint's limits (reference/pinpoint.md section 3)
MAX_ADDITIONAL_TREATMENTS = 5
MAX_DAILY = 100
MAX_TOTAL = 100
MESSAGES_PER_SECOND = (1, 20_000)
MIN_MAXIMUM_DURATION = 60
MAX_CUSTOM_DATA_BYTES = 5 * 1024

_VERSION = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class Treatment:
    """One treatment of a campaign: the default one (``treatment_id`` "0") or an additional one ("1".."5")."""

    treatment_id: str
    name: str
    size_percent: float
    message_configuration: dict = field(hash=False)
    template_configuration: dict = field(hash=False)
    schedule: dict | None = field(default=None, hash=False)
    custom_delivery: dict | None = field(default=None, hash=False)

    @property
    def channels(self) -> list[str]:
        """The channel families this treatment sends on (EMAIL, SMS, PUSH, CUSTOM)."""
        return _channels(self.message_configuration, self.template_configuration, self.custom_delivery)


@dataclass(frozen=True)
class Campaign:
    """A campaign: Pinpoint's ``WriteCampaignRequest`` (``request``) with its name, and once saved its id,
    version and state. Build one with ``Campaign.from_json(...)`` or load a saved one with ``load_campaign``."""

    name: str
    request: dict = field(hash=False)
    campaign_id: str | None = None
    version: int | None = None
    state: str = "SCHEDULED"

    @classmethod
    def from_json(cls, source: Any, *, name: str | None = None, file: str | None = None) -> Campaign:
        """Read and check a campaign from a dict, JSON text or a file: a ``WriteCampaignRequest``, the AWS CLI's
        ``--cli-input-json``, or a ``CampaignResponse`` (response-only fields dropped). ``name`` defaults to the
        request's ``Name``. Raises InputError naming the file and the key path of the first problem."""
        obj, file = read_json_source(source, file)
        request, _response = request_from_json(obj, "campaign", file=file)
        check_shape(request, "WriteCampaignRequest", file=file)
        name = check_name(name if name is not None else request.get("Name"), "campaign", file)
        check_campaign(request, file=file)
        return cls(name, request, state="PAUSED" if request.get("IsPaused") else "SCHEDULED")

    def to_json(self, indent: int | None = 2) -> str:
        """The ``WriteCampaignRequest`` as JSON text (what ``aws pinpoint create-campaign`` takes)."""
        return json.dumps(self.request, indent=indent, ensure_ascii=False)

    @property
    def holdout_percent(self) -> float:
        """``HoldoutPercent``: the share of the segment that gets nothing (0 when absent)."""
        return float(self.request.get("HoldoutPercent", 0))

    @property
    def treatments(self) -> list[Treatment]:
        """The default treatment ("0", its share what the holdout and the additional treatments leave), then the
        ``AdditionalTreatments`` in order ("1", "2"...)."""
        request = self.request
        extra = request.get("AdditionalTreatments") or []
        default = Treatment(
            "0",
            request.get("TreatmentName") or _letter_name(0),
            100.0 - self.holdout_percent - sum(float(t["SizePercent"]) for t in extra),
            dict(request.get("MessageConfiguration") or {}),
            dict(request.get("TemplateConfiguration") or {}),
            None,
            request.get("CustomDeliveryConfiguration"),
        )
        out = [default]
        for i, t in enumerate(extra, start=1):
            out.append(
                Treatment(
                    str(i),
                    t.get("TreatmentName") or _letter_name(i),
                    float(t["SizePercent"]),
                    dict(t.get("MessageConfiguration") or {}),
                    dict(t.get("TemplateConfiguration") or {}),
                    t.get("Schedule"),
                    t.get("CustomDeliveryConfiguration"),
                )
            )
        return out

    @property
    def schedule(self) -> dict:
        """The campaign's ``Schedule`` (``{"StartTime": "IMMEDIATE"}`` when absent)."""
        return self.request.get("Schedule") or {"StartTime": "IMMEDIATE"}

    @property
    def limits(self) -> dict:
        """``Limits`` (CampaignLimits: Daily, Total, MessagesPerSecond, MaximumDuration, Session); {} when absent."""
        return self.request.get("Limits") or {}

    @property
    def segment(self) -> tuple[str, int | None]:
        """(``SegmentId`` as written: a segment's name or id, ``SegmentVersion`` or None for the latest)."""
        return self.request["SegmentId"], self.request.get("SegmentVersion")

    @property
    def channels(self) -> list[str]:
        """The channel families the campaign sends on, over all treatments (EMAIL, SMS, PUSH, CUSTOM)."""
        found = {c for t in self.treatments for c in t.channels}
        return [c for c in CHANNELS if c in found]

    def __repr__(self) -> str:
        version = f" v{self.version}" if self.version is not None else ""
        return f"<Campaign {self.name!r}{version} {self.state}>"


def _fail(reason: str, path: str, file: str | None) -> InputError:
    return InputError(reason, file=file, field=path)


def _letter_name(i: int) -> str:
    return f"Treatment {chr(ord('A') + i)}"


def _channels(message: dict, templates: dict, custom: dict | None) -> list[str]:
    found = {MESSAGE_CHANNELS[k] for k in message if k in MESSAGE_CHANNELS}
    found |= {TEMPLATE_CHANNELS[k] for k in templates if k in TEMPLATE_CHANNELS}
    if custom:
        found.add("CUSTOM")
    return [c for c in CHANNELS if c in found]


def check_campaign(request: dict, *, file: str | None = None) -> None:
    """Check what a ``WriteCampaignRequest``'s values mean (its shape already checked by ``check_shape``):
    treatments and holdout, schedules, limits, channels and template settings. InputError naming the key path."""
    if "SegmentId" not in request:
        raise _fail("a campaign needs a SegmentId (a segment's name or id)", "SegmentId", file)
    if not request["SegmentId"].strip():
        raise _fail("is empty: give a segment's name or id", "SegmentId", file)
    check_range(request, "SegmentVersion", "", 1, None, file)
    check_range(request, "HoldoutPercent", "", 0, 100, file)
    extra = request.get("AdditionalTreatments") or []
    if len(extra) > MAX_ADDITIONAL_TREATMENTS:
        raise _fail(
            f"has {len(extra)} treatments; Pinpoint allows at most {MAX_ADDITIONAL_TREATMENTS} besides the default",
            "AdditionalTreatments",
            file,
        )
    total = request.get("HoldoutPercent", 0)
    for i, treatment in enumerate(extra):
        path = f"AdditionalTreatments[{i}]."
        check_range(treatment, "SizePercent", path, 0, 100, file)
        total += treatment["SizePercent"]
        if total > 100:
            raise _fail(
                f"HoldoutPercent and the treatments' SizePercent add up to {total}%, over 100%",
                f"{path}SizePercent",
                file,
            )
    if "Schedule" in request:
        check_schedule(request["Schedule"], path="Schedule", file=file)
    _check_limits(request.get("Limits") or {}, file)
    _check_treatment(request, "", request.get("CustomDeliveryConfiguration"), file)
    for i, treatment in enumerate(extra):
        path = f"AdditionalTreatments[{i}]"
        if "Schedule" in treatment:
            check_schedule(treatment["Schedule"], path=f"{path}.Schedule", file=file)
        _check_treatment(treatment, f"{path}.", treatment.get("CustomDeliveryConfiguration"), file)


def check_schedule(schedule: dict, *, path: str = "Schedule", file: str | None = None) -> None:
    """A campaign (or treatment) ``Schedule``: StartTime IMMEDIATE or ISO 8601, EndTime after it, Pinpoint's
    Frequency values, EVENT if and only if an EventFilter, a UTC-offset Timezone, an ``HH:MM`` QuietTime."""
    start_text = schedule["StartTime"]
    start = (
        None if start_text == "IMMEDIATE" else parse_instant(start_text, field=f"{path}.StartTime", file=file)
    )
    if "EndTime" in schedule:
        end = parse_instant(schedule["EndTime"], field=f"{path}.EndTime", file=file)
        if start is not None and end <= start:
            raise _fail(f"{schedule['EndTime']} is not after StartTime {start_text}", f"{path}.EndTime", file)
    frequency = schedule.get("Frequency", "ONCE")
    if frequency not in FREQUENCIES:
        raise _fail(
            f"{frequency} campaigns are in-app campaigns, which the workbench does not send "
            f"(one of {', '.join(FREQUENCIES)})",
            f"{path}.Frequency",
            file,
        )
    if frequency == "EVENT" and "EventFilter" not in schedule:
        raise _fail(
            "an EVENT campaign needs an EventFilter (which events trigger it)", f"{path}.EventFilter", file
        )
    if "EventFilter" in schedule:
        if frequency != "EVENT":
            raise _fail(
                f"an EventFilter needs Frequency EVENT (this schedule's is {frequency})",
                f"{path}.Frequency",
                file,
            )
        EventFilter.from_json(schedule["EventFilter"], field=f"{path}.EventFilter", file=file)
    if "Timezone" in schedule:
        parse_utc_offset(schedule["Timezone"], field=f"{path}.Timezone", file=file)
    if "QuietTime" in schedule:
        QuietTime.from_json(schedule["QuietTime"], field=f"{path}.QuietTime", file=file)


def _check_limits(limits: dict, file: str | None) -> None:
    check_range(limits, "Daily", "Limits.", 0, MAX_DAILY, file)
    check_range(limits, "Total", "Limits.", 0, MAX_TOTAL, file)
    check_range(limits, "MessagesPerSecond", "Limits.", *MESSAGES_PER_SECOND, file)
    check_range(limits, "MaximumDuration", "Limits.", MIN_MAXIMUM_DURATION, None, file)
    check_range(limits, "Session", "Limits.", 0, None, file)


def _check_treatment(part: dict, path: str, custom: dict | None, file: str | None) -> None:
    """One treatment's messages (the campaign itself for the default one, with ``path`` ''): a channel to send
    on, templates named with a numeric Version, custom data within 5 KB, nothing the workbench cannot send."""
    message = part.get("MessageConfiguration") or {}
    templates = part.get("TemplateConfiguration") or {}
    for key, reason in _NOT_SENT.items():
        if key in message:
            raise _fail(reason, f"{path}MessageConfiguration.{key}", file)
        if key in templates:
            raise _fail(reason, f"{path}TemplateConfiguration.{key}", file)
    for key, template in templates.items():
        where = f"{path}TemplateConfiguration.{key}"
        if not template.get("Name", "").strip():
            raise _fail("a template setting needs the template's Name", f"{where}.Name", file)
        if "Version" in template and not _VERSION.fullmatch(template["Version"]):
            raise _fail(
                f"{template['Version']!r} is not a template version (a number: 1, 2, ...; leave it out for the "
                "active version)",
                f"{where}.Version",
                file,
            )
    data = (message.get("CustomMessage") or {}).get("Data")
    if data is not None and len(data.encode("utf-8")) > MAX_CUSTOM_DATA_BYTES:
        raise _fail(
            f"is {len(data.encode('utf-8')):,} bytes; Pinpoint's limit is {MAX_CUSTOM_DATA_BYTES:,}",
            f"{path}MessageConfiguration.CustomMessage.Data",
            file,
        )
    if custom is not None and not custom["DeliveryUri"].strip():
        raise _fail(
            "needs a Lambda function or an https:// URL",
            f"{path}CustomDeliveryConfiguration.DeliveryUri",
            file,
        )
    if "CustomMessage" in message and custom is None:
        raise _fail(
            "a custom message needs a CustomDeliveryConfiguration with its DeliveryUri",
            f"{path}CustomDeliveryConfiguration",
            file,
        )
    if not _channels(message, templates, custom):
        where = path.rstrip(".") or "MessageConfiguration"
        raise _fail(
            "this treatment sends on no channel: give a MessageConfiguration (EmailMessage, SMSMessage, "
            "DefaultMessage, APNSMessage, GCMMessage, ...) or a TemplateConfiguration (EmailTemplate, SMSTemplate, "
            "PushTemplate)",
            where,
            file,
        )


# --- references to the project's segments and templates -----------------------------------------------------


def check_references(store: Store, campaign: Campaign, *, file: str | None = None) -> None:
    """The campaign's segment (by name or id, and ``SegmentVersion`` when given) and every template of every
    treatment (with its Version when given) exist in the project; one UnknownNameError naming every unknown
    one, each with its close names, on a line of its own: ``FILE: field KEY PATH: ...`` (``campaign 'NAME',
    field KEY PATH: ...`` without a file)."""
    from ..messages.templates import load_template
    from ..segments.segment import Catalog

    where = f"{file}: " if file else f"campaign {campaign.name!r}, "
    problems: list[str] = []
    segment, version = campaign.segment
    with store.connect(read_only=True, views=False) as con:
        catalog = Catalog(store, con)
    try:
        catalog.get(segment, version)
    except UnknownNameError as err:
        problems.append(f"{where}field SegmentId: {err}")
    for treatment in campaign.treatments:
        base = (
            ""
            if treatment.treatment_id == "0"
            else f"AdditionalTreatments[{int(treatment.treatment_id) - 1}]."
        )
        for key, kind in TEMPLATE_CHANNELS.items():
            template = treatment.template_configuration.get(key)
            if template is None:
                continue
            wanted = int(template["Version"]) if "Version" in template else None
            try:
                load_template(store, template["Name"], type=kind, version=wanted)
            except UnknownNameError as err:
                problems.append(f"{where}field {base}TemplateConfiguration.{key}: {err}")
    if problems:
        raise UnknownNameError("\n".join(problems))


# --- storage --------------------------------------------------------------------------------------------------


def save_campaign(store: Store, name: str, source: Any, *, file: str | None = None) -> Campaign:
    """Check a campaign (``Campaign.from_json`` and ``check_references``) and save it as a new version; return it
    with its id, version and state (SCHEDULED, or PAUSED when the request says ``IsPaused``). Nothing is saved
    when it is refused."""
    obj, file = read_json_source(source, file)  # a path names itself in errors
    campaign = Campaign.from_json(obj, name=name, file=file)
    check_references(store, campaign, file=file)
    campaign_id, version = save_definition(
        store, "campaign", campaign.name, campaign.request, state=campaign.state
    )
    return replace(campaign, campaign_id=campaign_id, version=version)


def load_campaign(store: Store, ref: str, *, version: int | None = None) -> Campaign:
    """A saved campaign by name or id (the latest version, or ``version``), with its state from the catalog."""
    found = load_definition(store, "campaign", ref, version)
    return Campaign(found.name, found.request, found.id, found.version, found.state)


def list_campaigns(store: Store) -> list[dict[str, Any]]:
    """Every campaign: id, name, state, version (the latest), segment, segment_version, channels, treatments,
    holdout_percent, frequency, updated_at."""
    out = []
    for row in list_definitions(store, "campaign"):
        campaign = Campaign(row["name"], row["request"], row["id"], row["latest_version"], row["state"])
        segment, segment_version = campaign.segment
        out.append(
            {
                "id": row["id"],
                "name": row["name"],
                "state": row["state"],
                "version": row["latest_version"],
                "segment": segment,
                "segment_version": segment_version,
                "channels": campaign.channels,
                "treatments": len(campaign.treatments),
                "holdout_percent": campaign.holdout_percent,
                "frequency": campaign.schedule.get("Frequency", "ONCE"),
                "updated_at": row["updated_at"],
            }
        )
    return out


def set_campaign_state(store: Store, ref: str, state: str) -> None:
    """Set a saved campaign's state (one of ``CAMPAIGN_STATES``) without a new version."""
    set_state(store, "campaign", ref, state)
