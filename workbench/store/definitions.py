"""Campaign and journey definitions in the catalog, with versions, and the shapes of Pinpoint's JSON for them.

A definition is one of Pinpoint's request objects, stored as written: a ``WriteCampaignRequest`` (kind
``"campaign"``) or a ``WriteJourneyRequest`` (kind ``"journey"``). Every save adds a version, like segments and
templates; the definition's state (SCHEDULED, PAUSED, ACTIVE...) lives beside it and changes without a new
version. Migration 4 created the tables ``campaigns`` / ``campaign_versions`` and ``journeys`` /
``journey_versions``.

``PINPOINT_SHAPES`` mirrors the part of Pinpoint's service model that these requests use (every shape reachable
from ``WriteCampaignRequest`` and ``WriteJourneyRequest``); ``check_shape`` reads a value against it, naming the
key path of the first problem (``AdditionalTreatments[1].SizePercent``). botocore's ``pinpoint`` model is the
oracle in the tests; it is not needed at run time. The checks of what the values mean (percentages, time zones,
the journey graph) are in ``workbench.campaigns.spec`` and ``workbench.journeys.spec``.
"""

from __future__ import annotations

import copy
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UnknownNameError, suggest

if TYPE_CHECKING:
    from .handle import Store

#: the kinds of definition, and the states each can be in (Pinpoint's CampaignStatus and journey State)
KINDS = ("campaign", "journey")
STATES: dict[str, tuple[str, ...]] = {
    "campaign": ("SCHEDULED", "EXECUTING", "PENDING_NEXT_RUN", "COMPLETED", "PAUSED", "DELETED"),
    "journey": ("DRAFT", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"),
}
#: the state of a definition saved without one
INITIAL_STATE = {"campaign": "SCHEDULED", "journey": "DRAFT"}

#: kind -> Pinpoint's request shape, the response shape (``aws pinpoint get-*``), and the shapes' key in the AWS
#: CLI's ``--cli-input-json`` of create/update
REQUEST_SHAPES = {"campaign": "WriteCampaignRequest", "journey": "WriteJourneyRequest"}
RESPONSE_SHAPES = {"campaign": "CampaignResponse", "journey": "JourneyResponse"}
#: keys beside the request in ``--cli-input-json`` (ignored: the project is the application)
WRAPPER_KEYS = {"campaign": ("ApplicationId", "CampaignId"), "journey": ("ApplicationId", "JourneyId")}
#: keys of a response that are dropped when it is read: Pinpoint's bookkeeping, not the definition (a journey's
#: State too: an imported journey starts as a draft here)
RESPONSE_ONLY_KEYS = {
    "campaign": (
        "Id",
        "Arn",
        "ApplicationId",
        "Version",
        "State",
        "DefaultState",
        "CreationDate",
        "LastModifiedDate",
        "tags",
    ),
    "journey": ("Id", "Arn", "ApplicationId", "Version", "State", "CreationDate", "LastModifiedDate", "tags"),
}
#: keys of a campaign response's ``AdditionalTreatments[i]`` (TreatmentResource) that a request does not have
TREATMENT_RESPONSE_ONLY_KEYS = ("Id", "State")
#: keys that only a response has: one of them in a bare object means it is a response
_RESPONSE_MARKERS = ("Id", "Arn", "ApplicationId")

#: Pinpoint's ``__integer`` is a 32-bit signed integer
MAX_INTEGER = 2**31 - 1

# fmt: off
PINPOINT_SHAPES: dict[str, tuple[Any, ...]] = {
    "WriteCampaignRequest": ("structure", {
        "AdditionalTreatments": "ListOfWriteTreatmentResource",
        "CustomDeliveryConfiguration": "CustomDeliveryConfiguration", "Description": "__string",
        "HoldoutPercent": "__integer", "Hook": "CampaignHook", "IsPaused": "__boolean",
        "Limits": "CampaignLimits", "MessageConfiguration": "MessageConfiguration", "Name": "__string",
        "Schedule": "Schedule", "SegmentId": "__string", "SegmentVersion": "__integer",
        "tags": "MapOf__string", "TemplateConfiguration": "TemplateConfiguration",
        "TreatmentDescription": "__string", "TreatmentName": "__string", "Priority": "__integer",
    }, ()),
    "ListOfWriteTreatmentResource": ("list", "WriteTreatmentResource"),
    "WriteTreatmentResource": ("structure", {
        "CustomDeliveryConfiguration": "CustomDeliveryConfiguration",
        "MessageConfiguration": "MessageConfiguration", "Schedule": "Schedule", "SizePercent": "__integer",
        "TemplateConfiguration": "TemplateConfiguration", "TreatmentDescription": "__string",
        "TreatmentName": "__string",
    }, ("SizePercent",)),
    "CustomDeliveryConfiguration": ("structure", {
        "DeliveryUri": "__string", "EndpointTypes": "ListOf__EndpointTypesElement",
    }, ("DeliveryUri",)),
    "__string": ("string",),
    "ListOf__EndpointTypesElement": ("list", "__EndpointTypesElement"),
    "__EndpointTypesElement": ("string", (
        "PUSH", "GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM", "SMS", "VOICE",
        "EMAIL", "BAIDU", "CUSTOM", "IN_APP",
    )),
    "MessageConfiguration": ("structure", {
        "ADMMessage": "Message", "APNSMessage": "Message", "BaiduMessage": "Message",
        "CustomMessage": "CampaignCustomMessage", "DefaultMessage": "Message",
        "EmailMessage": "CampaignEmailMessage", "GCMMessage": "Message", "SMSMessage": "CampaignSmsMessage",
        "InAppMessage": "CampaignInAppMessage",
    }, ()),
    "Message": ("structure", {
        "Action": "Action", "Body": "__string", "ImageIconUrl": "__string", "ImageSmallIconUrl": "__string",
        "ImageUrl": "__string", "JsonBody": "__string", "MediaUrl": "__string", "RawContent": "__string",
        "SilentPush": "__boolean", "TimeToLive": "__integer", "Title": "__string", "Url": "__string",
    }, ()),
    "Action": ("string", ("OPEN_APP", "DEEP_LINK", "URL")),
    "__boolean": ("boolean",),
    "__integer": ("integer",),
    "CampaignCustomMessage": ("structure", {"Data": "__string"}, ()),
    "CampaignEmailMessage": ("structure", {
        "Body": "__string", "FromAddress": "__string", "Headers": "ListOfMessageHeader",
        "HtmlBody": "__string", "Title": "__string",
    }, ()),
    "ListOfMessageHeader": ("list", "MessageHeader"),
    "MessageHeader": ("structure", {"Name": "__string", "Value": "__string"}, ()),
    "CampaignSmsMessage": ("structure", {
        "Body": "__string", "MessageType": "MessageType", "OriginationNumber": "__string",
        "SenderId": "__string", "EntityId": "__string", "TemplateId": "__string",
    }, ()),
    "MessageType": ("string", ("TRANSACTIONAL", "PROMOTIONAL")),
    "CampaignInAppMessage": ("structure", {
        "Body": "__string", "Content": "ListOfInAppMessageContent", "CustomConfig": "MapOf__string",
        "Layout": "Layout",
    }, ()),
    "ListOfInAppMessageContent": ("list", "InAppMessageContent"),
    "InAppMessageContent": ("structure", {
        "BackgroundColor": "__string", "BodyConfig": "InAppMessageBodyConfig",
        "HeaderConfig": "InAppMessageHeaderConfig", "ImageUrl": "__string",
        "PrimaryBtn": "InAppMessageButton", "SecondaryBtn": "InAppMessageButton",
    }, ()),
    "InAppMessageBodyConfig": ("structure", {
        "Alignment": "Alignment", "Body": "__string", "TextColor": "__string",
    }, ("Alignment", "TextColor", "Body")),
    "Alignment": ("string", ("LEFT", "CENTER", "RIGHT")),
    "InAppMessageHeaderConfig": ("structure", {
        "Alignment": "Alignment", "Header": "__string", "TextColor": "__string",
    }, ("Alignment", "Header", "TextColor")),
    "InAppMessageButton": ("structure", {
        "Android": "OverrideButtonConfiguration", "DefaultConfig": "DefaultButtonConfiguration",
        "IOS": "OverrideButtonConfiguration", "Web": "OverrideButtonConfiguration",
    }, ()),
    "OverrideButtonConfiguration": ("structure", {
        "ButtonAction": "ButtonAction", "Link": "__string",
    }, ("ButtonAction",)),
    "ButtonAction": ("string", ("LINK", "DEEP_LINK", "CLOSE")),
    "DefaultButtonConfiguration": ("structure", {
        "BackgroundColor": "__string", "BorderRadius": "__integer", "ButtonAction": "ButtonAction",
        "Link": "__string", "Text": "__string", "TextColor": "__string",
    }, ("ButtonAction", "Text")),
    "MapOf__string": ("map", "__string", "__string"),
    "Layout": ("string", (
        "BOTTOM_BANNER", "TOP_BANNER", "OVERLAYS", "MOBILE_FEED", "MIDDLE_BANNER", "CAROUSEL",
    )),
    "Schedule": ("structure", {
        "EndTime": "__string", "EventFilter": "CampaignEventFilter", "Frequency": "Frequency",
        "IsLocalTime": "__boolean", "QuietTime": "QuietTime", "StartTime": "__string", "Timezone": "__string",
    }, ("StartTime",)),
    "CampaignEventFilter": ("structure", {
        "Dimensions": "EventDimensions", "FilterType": "FilterType",
    }, ("FilterType", "Dimensions")),
    "EventDimensions": ("structure", {
        "Attributes": "MapOfAttributeDimension", "EventType": "SetDimension",
        "Metrics": "MapOfMetricDimension",
    }, ()),
    "MapOfAttributeDimension": ("map", "__string", "AttributeDimension"),
    "AttributeDimension": ("structure", {
        "AttributeType": "AttributeType", "Values": "ListOf__string",
    }, ("Values",)),
    "AttributeType": ("string", ("INCLUSIVE", "EXCLUSIVE", "CONTAINS", "BEFORE", "AFTER", "ON", "BETWEEN")),
    "ListOf__string": ("list", "__string"),
    "SetDimension": ("structure", {
        "DimensionType": "DimensionType", "Values": "ListOf__string",
    }, ("Values",)),
    "DimensionType": ("string", ("INCLUSIVE", "EXCLUSIVE")),
    "MapOfMetricDimension": ("map", "__string", "MetricDimension"),
    "MetricDimension": ("structure", {
        "ComparisonOperator": "__string", "Value": "__double",
    }, ("ComparisonOperator", "Value")),
    "__double": ("double",),
    "FilterType": ("string", ("SYSTEM", "ENDPOINT")),
    "Frequency": ("string", ("ONCE", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "EVENT", "IN_APP_EVENT")),
    "QuietTime": ("structure", {"End": "__string", "Start": "__string"}, ()),
    "TemplateConfiguration": ("structure", {
        "EmailTemplate": "Template", "PushTemplate": "Template", "SMSTemplate": "Template",
        "VoiceTemplate": "Template", "InAppTemplate": "Template",
    }, ()),
    "Template": ("structure", {"Name": "__string", "Version": "__string"}, ()),
    "CampaignHook": ("structure", {
        "LambdaFunctionName": "__string", "Mode": "Mode", "WebUrl": "__string",
    }, ()),
    "Mode": ("string", ("DELIVERY", "FILTER")),
    "CampaignLimits": ("structure", {
        "Daily": "__integer", "MaximumDuration": "__integer", "MessagesPerSecond": "__integer",
        "Total": "__integer", "Session": "__integer",
    }, ()),
    "WriteJourneyRequest": ("structure", {
        "Activities": "MapOfActivity", "CreationDate": "__string", "LastModifiedDate": "__string",
        "Limits": "JourneyLimits", "LocalTime": "__boolean", "Name": "__string", "QuietTime": "QuietTime",
        "RefreshFrequency": "__string", "Schedule": "JourneySchedule", "StartActivity": "__string",
        "StartCondition": "StartCondition", "State": "State", "WaitForQuietTime": "__boolean",
        "RefreshOnSegmentUpdate": "__boolean", "JourneyChannelSettings": "JourneyChannelSettings",
        "SendingSchedule": "__boolean", "OpenHours": "OpenHours", "ClosedDays": "ClosedDays",
        "TimezoneEstimationMethods": "ListOf__TimezoneEstimationMethodsElement",
    }, ("Name",)),
    "MapOfActivity": ("map", "__string", "Activity"),
    "Activity": ("structure", {
        "CUSTOM": "CustomMessageActivity", "ConditionalSplit": "ConditionalSplitActivity",
        "Description": "__string", "EMAIL": "EmailMessageActivity", "Holdout": "HoldoutActivity",
        "MultiCondition": "MultiConditionalSplitActivity", "PUSH": "PushMessageActivity",
        "RandomSplit": "RandomSplitActivity", "SMS": "SMSMessageActivity", "Wait": "WaitActivity",
        "ContactCenter": "ContactCenterActivity",
    }, ()),
    "CustomMessageActivity": ("structure", {
        "DeliveryUri": "__string", "EndpointTypes": "ListOf__EndpointTypesElement",
        "MessageConfig": "JourneyCustomMessage", "NextActivity": "__string", "TemplateName": "__string",
        "TemplateVersion": "__string",
    }, ()),
    "JourneyCustomMessage": ("structure", {"Data": "__string"}, ()),
    "ConditionalSplitActivity": ("structure", {
        "Condition": "Condition", "EvaluationWaitTime": "WaitTime", "FalseActivity": "__string",
        "TrueActivity": "__string",
    }, ()),
    "Condition": ("structure", {"Conditions": "ListOfSimpleCondition", "Operator": "Operator"}, ()),
    "ListOfSimpleCondition": ("list", "SimpleCondition"),
    "SimpleCondition": ("structure", {
        "EventCondition": "EventCondition", "SegmentCondition": "SegmentCondition",
        "SegmentDimensions": "SegmentDimensions",
    }, ()),
    "EventCondition": ("structure", {"Dimensions": "EventDimensions", "MessageActivity": "__string"}, ()),
    "SegmentCondition": ("structure", {"SegmentId": "__string"}, ("SegmentId",)),
    "SegmentDimensions": ("structure", {
        "Attributes": "MapOfAttributeDimension", "Behavior": "SegmentBehaviors",
        "Demographic": "SegmentDemographics", "Location": "SegmentLocation",
        "Metrics": "MapOfMetricDimension", "UserAttributes": "MapOfAttributeDimension",
    }, ()),
    "SegmentBehaviors": ("structure", {"Recency": "RecencyDimension"}, ()),
    "RecencyDimension": ("structure", {
        "Duration": "Duration", "RecencyType": "RecencyType",
    }, ("Duration", "RecencyType")),
    "Duration": ("string", ("HR_24", "DAY_7", "DAY_14", "DAY_30")),
    "RecencyType": ("string", ("ACTIVE", "INACTIVE")),
    "SegmentDemographics": ("structure", {
        "AppVersion": "SetDimension", "Channel": "SetDimension", "DeviceType": "SetDimension",
        "Make": "SetDimension", "Model": "SetDimension", "Platform": "SetDimension",
    }, ()),
    "SegmentLocation": ("structure", {"Country": "SetDimension", "GPSPoint": "GPSPointDimension"}, ()),
    "GPSPointDimension": ("structure", {
        "Coordinates": "GPSCoordinates", "RangeInKilometers": "__double",
    }, ("Coordinates",)),
    "GPSCoordinates": ("structure", {
        "Latitude": "__double", "Longitude": "__double",
    }, ("Latitude", "Longitude")),
    "Operator": ("string", ("ALL", "ANY")),
    "WaitTime": ("structure", {"WaitFor": "__string", "WaitUntil": "__string"}, ()),
    "EmailMessageActivity": ("structure", {
        "MessageConfig": "JourneyEmailMessage", "NextActivity": "__string", "TemplateName": "__string",
        "TemplateVersion": "__string",
    }, ()),
    "JourneyEmailMessage": ("structure", {"FromAddress": "__string"}, ()),
    "HoldoutActivity": ("structure", {
        "NextActivity": "__string", "Percentage": "__integer",
    }, ("Percentage",)),
    "MultiConditionalSplitActivity": ("structure", {
        "Branches": "ListOfMultiConditionalBranch", "DefaultActivity": "__string",
        "EvaluationWaitTime": "WaitTime",
    }, ()),
    "ListOfMultiConditionalBranch": ("list", "MultiConditionalBranch"),
    "MultiConditionalBranch": ("structure", {"Condition": "SimpleCondition", "NextActivity": "__string"}, ()),
    "PushMessageActivity": ("structure", {
        "MessageConfig": "JourneyPushMessage", "NextActivity": "__string", "TemplateName": "__string",
        "TemplateVersion": "__string",
    }, ()),
    "JourneyPushMessage": ("structure", {"TimeToLive": "__string"}, ()),
    "RandomSplitActivity": ("structure", {"Branches": "ListOfRandomSplitEntry"}, ()),
    "ListOfRandomSplitEntry": ("list", "RandomSplitEntry"),
    "RandomSplitEntry": ("structure", {"NextActivity": "__string", "Percentage": "__integer"}, ()),
    "SMSMessageActivity": ("structure", {
        "MessageConfig": "JourneySMSMessage", "NextActivity": "__string", "TemplateName": "__string",
        "TemplateVersion": "__string",
    }, ()),
    "JourneySMSMessage": ("structure", {
        "MessageType": "MessageType", "OriginationNumber": "__string", "SenderId": "__string",
        "EntityId": "__string", "TemplateId": "__string",
    }, ()),
    "WaitActivity": ("structure", {"NextActivity": "__string", "WaitTime": "WaitTime"}, ()),
    "ContactCenterActivity": ("structure", {"NextActivity": "__string"}, ()),
    "JourneyLimits": ("structure", {
        "DailyCap": "__integer", "EndpointReentryCap": "__integer", "MessagesPerSecond": "__integer",
        "EndpointReentryInterval": "__string", "TimeframeCap": "JourneyTimeframeCap", "TotalCap": "__integer",
    }, ()),
    "JourneyTimeframeCap": ("structure", {"Cap": "__integer", "Days": "__integer"}, ()),
    "JourneySchedule": ("structure", {
        "EndTime": "__timestampIso8601", "StartTime": "__timestampIso8601", "Timezone": "__string",
    }, ()),
    "__timestampIso8601": ("timestamp",),
    "StartCondition": ("structure", {
        "Description": "__string", "EventStartCondition": "EventStartCondition",
        "SegmentStartCondition": "SegmentCondition",
    }, ()),
    "EventStartCondition": ("structure", {"EventFilter": "EventFilter", "SegmentId": "__string"}, ()),
    "EventFilter": ("structure", {
        "Dimensions": "EventDimensions", "FilterType": "FilterType",
    }, ("FilterType", "Dimensions")),
    "State": ("string", ("DRAFT", "ACTIVE", "COMPLETED", "CANCELLED", "CLOSED", "PAUSED")),
    "JourneyChannelSettings": ("structure", {
        "ConnectCampaignArn": "__string", "ConnectCampaignExecutionRoleArn": "__string",
    }, ()),
    "OpenHours": ("structure", {
        "EMAIL": "MapOfListOfOpenHoursRules", "SMS": "MapOfListOfOpenHoursRules",
        "PUSH": "MapOfListOfOpenHoursRules", "VOICE": "MapOfListOfOpenHoursRules",
        "CUSTOM": "MapOfListOfOpenHoursRules",
    }, ()),
    "MapOfListOfOpenHoursRules": ("map", "DayOfWeek", "ListOfOpenHoursRules"),
    "DayOfWeek": ("string", ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")),
    "ListOfOpenHoursRules": ("list", "OpenHoursRule"),
    "OpenHoursRule": ("structure", {"StartTime": "__string", "EndTime": "__string"}, ()),
    "ClosedDays": ("structure", {
        "EMAIL": "ListOfClosedDaysRules", "SMS": "ListOfClosedDaysRules", "PUSH": "ListOfClosedDaysRules",
        "VOICE": "ListOfClosedDaysRules", "CUSTOM": "ListOfClosedDaysRules",
    }, ()),
    "ListOfClosedDaysRules": ("list", "ClosedDaysRule"),
    "ClosedDaysRule": ("structure", {
        "Name": "__string", "StartDateTime": "__string", "EndDateTime": "__string",
    }, ()),
    "ListOf__TimezoneEstimationMethodsElement": ("list", "__TimezoneEstimationMethodsElement"),
    "__TimezoneEstimationMethodsElement": ("string", ("PHONE_NUMBER", "POSTAL_CODE")),
}
# fmt: on


def json_kind(value: Any) -> str:
    """A JSON-flavoured name for a value's type, for error messages ("a string", "a number", "an object"...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def check_text(value: Any, path: str, file: str | None) -> str:
    """A string that is valid Unicode text (JSON allows lone surrogates, which no file or database can store)."""
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {json_kind(value)}", file=file, field=path or None)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            "is not valid Unicode text (a lone surrogate)", file=file, field=path or None
        ) from None
    return value


def _big(value: int) -> str:
    """A large integer for an error message (Python refuses to print one of more than 4,300 digits)."""
    return (
        str(value)
        if value.bit_length() < 128
        else f"a number of about {int(value.bit_length() * 0.30103)} digits"
    )


def check_shape(value: Any, shape: str, *, path: str = "", file: str | None = None) -> None:
    """Check ``value`` against one of ``PINPOINT_SHAPES`` (unknown keys, missing required keys, wrong types,
    enumerations, 32-bit integers, finite numbers, ISO 8601 timestamps), raising InputError naming the file and
    the key path of the first problem. The value is not changed."""
    spec = PINPOINT_SHAPES[shape]
    kind = spec[0]
    where = path or None
    if kind == "structure":
        members, required = spec[1], spec[2]
        if not isinstance(value, dict):
            what = f"{shape} " if not path else ""
            raise InputError(f"{what}must be a JSON object, got {json_kind(value)}", file=file, field=where)
        for key, item in value.items():
            if key not in members:
                hint = suggest(str(key), members) or f" (allowed: {', '.join(members)})"
                raise InputError(f"unknown key {str(key)!r}{hint}", file=file, field=_join(path, str(key)))
            check_shape(item, members[key], path=_join(path, key), file=file)
        for key in required:
            if key not in value:
                raise InputError(f"is required in {shape}", file=file, field=_join(path, key))
    elif kind == "list":
        if not isinstance(value, list):
            raise InputError(f"must be a list, got {json_kind(value)}", file=file, field=where)
        for i, item in enumerate(value):
            check_shape(item, spec[1], path=f"{path}[{i}]", file=file)
    elif kind == "map":
        if not isinstance(value, dict):
            raise InputError(f"must be a JSON object, got {json_kind(value)}", file=file, field=where)
        for key, item in value.items():
            check_shape(key, spec[1], path=path, file=file)
            check_shape(item, spec[2], path=_join(path, key), file=file)
    elif kind == "string":
        check_text(value, path, file)
        if len(spec) > 1 and value not in spec[1]:
            raise InputError(
                f"{value!r} is not one of {', '.join(spec[1])}{suggest(value, spec[1])}",
                file=file,
                field=where,
            )
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            got = "a number with a fraction" if isinstance(value, float) else json_kind(value)
            raise InputError(f"must be a whole number, got {got}", file=file, field=where)
        if abs(value) > MAX_INTEGER:
            raise InputError(
                f"{_big(value)} is too large (Pinpoint's limit is {MAX_INTEGER:,})", file=file, field=where
            )
    elif kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"must be a number, got {json_kind(value)}", file=file, field=where)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"must be a finite number, got {value}", file=file, field=where)
        if isinstance(value, int) and abs(value) > 2**53:
            raise InputError(f"{_big(value)} is too large", file=file, field=where)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise InputError(f"must be true or false, got {json_kind(value)}", file=file, field=where)
    elif kind == "timestamp":
        check_text(value, path, file)
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InputError(
                f"{value!r} is not an ISO 8601 date and time (e.g. 2025-06-01T09:00:00Z)",
                file=file,
                field=where,
            ) from None
    else:  # pragma: no cover - the table only holds the kinds above
        raise AssertionError(f"no check for {kind} shapes")


def _names_a_file(text: str) -> bool:
    """Is this string a file name rather than JSON text? (ends with .json, or an existing file)"""
    if text.lstrip().startswith(("{", "[", '"')) or not text.strip() or len(text) > 4096 or "\x00" in text:
        return False
    try:
        return text.lower().endswith(".json") or Path(text).is_file()
    except (OSError, ValueError):
        return False


def read_json_source(source: Any, file: str | None = None) -> tuple[Any, str | None]:
    """(the parsed JSON, the file name for errors) of a dict, JSON text, bytes or a path (``Path``, or a string
    that is not JSON text and names a file). A syntax error names the file and line."""
    if isinstance(source, str) and _names_a_file(source):
        source = Path(source)
    if isinstance(source, Path):
        file = file or str(source)
        try:
            source = source.read_bytes()
        except FileNotFoundError:
            raise InputError("no such file", file=file) from None
        except OSError as err:
            raise InputError(f"cannot read the file: {err.strerror or err}", file=file) from None
    if isinstance(source, bytes | bytearray):
        try:
            source = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise InputError(f"not UTF-8 text: {err.reason} at byte {err.start}", file=file) from None
    if isinstance(source, str):
        try:
            return json.loads(source), file
        except json.JSONDecodeError as err:
            raise InputError(
                f"not valid JSON: {err.msg} (column {err.colno})", file=file, line=err.lineno
            ) from None
        except RecursionError:
            raise InputError("the JSON is nested too deeply", file=file) from None
        except ValueError as err:  # e.g. an integer of more than 4,300 digits
            raise InputError(f"not valid JSON: {err}", file=file) from None
    return source, file


def request_from_json(obj: Any, kind: str, *, file: str | None = None) -> tuple[dict[str, Any], bool]:
    """(a deep copy of the request, whether the input was a response) from what a user gives for a definition:
    the bare ``Write*Request``, the AWS CLI's ``--cli-input-json`` (``{"ApplicationId": ..., "WriteCampaignRequest":
    {...}}``), or what ``aws pinpoint get-*`` prints (``{"CampaignResponse": {...}}`` or the bare response, whose
    response-only keys are dropped). The shape is not checked here: ``check_shape`` does that."""
    request_shape, response_shape = REQUEST_SHAPES[kind], RESPONSE_SHAPES[kind]
    if not isinstance(obj, dict):
        raise InputError(f"a {kind} must be a JSON object, got {json_kind(obj)}", file=file)
    response = False
    if request_shape in obj or response_shape in obj:
        allowed = (request_shape, response_shape, *WRAPPER_KEYS[kind])
        for key in obj:
            if key not in allowed:
                hint = suggest(str(key), allowed) or f" (allowed: {', '.join(allowed)})"
                raise InputError(
                    f"unknown key {str(key)!r} beside {request_shape}{hint}", file=file, field=str(key)
                )
        if request_shape in obj and response_shape in obj:
            raise InputError(
                f"give {request_shape} or {response_shape}, not both", file=file, field=response_shape
            )
        response = response_shape in obj
        obj = obj[response_shape] if response else obj[request_shape]
        if not isinstance(obj, dict):
            shape = response_shape if response else request_shape
            raise InputError(f"must be a JSON object, got {json_kind(obj)}", file=file, field=shape)
    response = response or any(key in obj for key in _RESPONSE_MARKERS)
    if response:
        obj = {k: v for k, v in obj.items() if k not in RESPONSE_ONLY_KEYS[kind]}
        treatments = obj.get("AdditionalTreatments") if kind == "campaign" else None
        if isinstance(treatments, list):
            obj["AdditionalTreatments"] = [
                {k: v for k, v in t.items() if k not in TREATMENT_RESPONSE_ONLY_KEYS}
                if isinstance(t, dict)
                else t
                for t in treatments
            ]
    return copy.deepcopy(obj), response


# --- storage in the catalog -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """One saved version of a campaign or journey: its request JSON, and the definition's current state."""

    kind: str
    id: str
    name: str
    version: int
    latest_version: int
    state: str
    request: dict[str, Any] = field(hash=False)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown kind of definition {kind!r}: one of {', '.join(KINDS)}", field="kind")
    return kind


def _state(kind: str, state: str) -> str:
    states = STATES[kind]
    if state not in states:
        hint = suggest(str(state), states) or f" (one of {', '.join(states)})"
        raise InputError(f"{state!r} is not a {kind} state{hint}", field="state")
    return state


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _find(con: Any, kind: str, ref: str) -> tuple[str, str, str, int]:
    """(id, name, state, latest_version) of a definition by name or id, or UnknownNameError with close names."""
    if not isinstance(ref, str):
        raise UnknownNameError(f"no {kind} named {ref!r}")
    rows = con.execute(
        f"SELECT {kind}_id, name, state, latest_version FROM {kind}s WHERE name = ? "
        f"UNION ALL SELECT {kind}_id, name, state, latest_version FROM {kind}s WHERE {kind}_id = ?",
        [ref, ref],
    ).fetchall()
    if not rows:
        names = [r[0] for r in con.execute(f"SELECT name FROM {kind}s ORDER BY name").fetchall()]
        raise UnknownNameError(f"no {kind} named {ref!r}{suggest(ref, names)}")
    def_id, name, state, latest = rows[0]
    return def_id, name, state, int(latest)


def save_definition(
    store: Store, kind: str, name: str, request: dict[str, Any], *, state: str | None = None
) -> tuple[str, int]:
    """Save ``request`` as a new version of the definition called ``name`` (version 1 for a new name); return
    (id, version). ``state`` sets the definition's state (a new one starts SCHEDULED or DRAFT; an existing one
    keeps its state when ``state`` is None). The caller has checked the request; this only stores it."""
    kind = _kind(kind)
    if state is not None:
        _state(kind, state)
    spec = json.dumps(request, ensure_ascii=False)
    now = _now()
    with store.transaction() as con:
        rows = con.execute(f"SELECT {kind}_id, latest_version FROM {kind}s WHERE name = ?", [name]).fetchall()
        if rows:
            def_id, version = rows[0][0], int(rows[0][1]) + 1
            con.execute(
                f"UPDATE {kind}s SET latest_version = ?, updated_at = ?, state = coalesce(?, state) "
                f"WHERE {kind}_id = ?",
                [version, now, state, def_id],
            )
        else:
            def_id, version = uuid.uuid4().hex, 1
            con.execute(
                f"INSERT INTO {kind}s ({kind}_id, name, state, created_at, updated_at, latest_version) "
                "VALUES (?, ?, ?, ?, ?, 1)",
                [def_id, name, state or INITIAL_STATE[kind], now, now],
            )
        con.execute(
            f"INSERT INTO {kind}_versions ({kind}_id, version, spec, created_at) VALUES (?, ?, ?, ?)",
            [def_id, version, spec, now],
        )
    return def_id, version


def load_definition(store: Store, kind: str, ref: str, version: int | None = None) -> Definition:
    """A saved definition by name or id: the latest version, or ``version``. An unknown name lists close ones; a
    missing version lists the versions there are."""
    kind = _kind(kind)
    with store.connect(read_only=True, views=False) as con:
        def_id, name, state, latest = _find(con, kind, ref)
        wanted = latest if version is None else version
        rows = []
        if isinstance(wanted, int) and not isinstance(wanted, bool) and 0 < wanted <= MAX_INTEGER:
            rows = con.execute(
                f"SELECT CAST(spec AS VARCHAR) FROM {kind}_versions WHERE {kind}_id = ? AND version = ?",
                [def_id, wanted],
            ).fetchall()
        if not rows:
            have = [
                r[0]
                for r in con.execute(
                    f"SELECT version FROM {kind}_versions WHERE {kind}_id = ? ORDER BY version", [def_id]
                ).fetchall()
            ]
            raise UnknownNameError(f"{kind} {name!r} has no version {wanted!r} (versions: {_ranges(have)})")
    return Definition(kind, def_id, name, wanted, latest, state, json.loads(rows[0][0]))


def list_definitions(store: Store, kind: str) -> list[dict[str, Any]]:
    """Every definition of a kind, by name: id, name, state, latest_version, created_at, updated_at and the
    latest version's request."""
    kind = _kind(kind)
    with store.connect(read_only=True, views=False) as con:
        rows = con.execute(
            f"SELECT d.{kind}_id, d.name, d.state, d.latest_version, d.created_at, d.updated_at, "
            f"CAST(v.spec AS VARCHAR) FROM {kind}s d JOIN {kind}_versions v "
            f"ON v.{kind}_id = d.{kind}_id AND v.version = d.latest_version ORDER BY d.name"
        ).fetchall()
    return [
        {
            "id": def_id,
            "name": name,
            "state": state,
            "latest_version": int(latest),
            "created_at": created,
            "updated_at": updated,
            "request": json.loads(spec),
        }
        for def_id, name, state, latest, created, updated, spec in rows
    ]


def set_state(store: Store, kind: str, ref: str, state: str) -> None:
    """Change a definition's state (one of ``STATES[kind]``) without making a new version."""
    kind = _kind(kind)
    _state(kind, state)
    with store.transaction() as con:
        def_id, _name, _old, _latest = _find(con, kind, ref)
        con.execute(
            f"UPDATE {kind}s SET state = ?, updated_at = ? WHERE {kind}_id = ?", [state, _now(), def_id]
        )


def delete_definition(store: Store, kind: str, ref: str) -> None:
    """Remove a definition and all its versions from the catalog (a campaign's ``DELETED`` state keeps it)."""
    kind = _kind(kind)
    with store.transaction() as con:
        def_id, _name, _state_now, _latest = _find(con, kind, ref)
        con.execute(f"DELETE FROM {kind}_versions WHERE {kind}_id = ?", [def_id])
        con.execute(f"DELETE FROM {kind}s WHERE {kind}_id = ?", [def_id])


def _ranges(versions: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5' (a definition may have thousands of versions)."""
    spans: list[list[int]] = []
    for v in versions:
        if spans and spans[-1][1] == v - 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    return ", ".join(f"{a}-{b}" if b > a + 1 else (f"{a}, {b}" if b == a + 1 else str(a)) for a, b in spans)


#: Pinpoint's longest campaign and journey name.
MAX_NAME = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_name(name: Any, kind: str, file: str | None) -> str:
    """A campaign's or journey's name: 1-150 characters without control characters (InputError naming Name)."""
    if name is None:
        raise InputError(f"a {kind} needs a name: give one, or Name in the request", file=file, field="Name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or _CONTROL.search(name):
        raise InputError(
            f"a {kind} name is 1-{MAX_NAME} characters without control characters, got {name!r}"[:300],
            file=file,
            field="Name",
        )
    return name


def check_range(obj: dict, key: str, path: str, low: int, high: int | None, file: str | None) -> None:
    """``obj[key]``, when there, within Pinpoint's range low..high (no upper bound when None)."""
    if key in obj:
        value = obj[key]
        if value < low or (high is not None and value > high):
            span = f"{low:,} to {high:,}" if high is not None else f"at least {low:,}"
            raise InputError(f"{value} is outside Pinpoint's range ({span})", file=file, field=f"{path}{key}")
