"""Endpoint and event columns, Pinpoint's limits, and SQL quoting.

Endpoints read as one flat table (the view ``endpoints``, stored as Parquet parts: store/endpoint_parts.py) whose
column names are Pinpoint's dotted paths (``Demographic.Platform``, ``Attributes.plan``, ``Metrics.purchases``,
``User.UserAttributes.FirstName``). Each custom attribute is its own column (``VARCHAR[]`` for
``Attributes``/``UserAttributes``, ``DOUBLE`` for ``Metrics``), registered in ``attribute_names`` when an
import first meets it. Pinpoint caps a project at 250 attribute names, so the table stays narrow enough, and a
filter on an attribute is a plain column scan: the stored layout costs nothing over a hand-made flat table
(see benchmarks/bench_endpoint_filter.py). The same names work in Polars:
``pl.col("Attributes.plan").list.contains("pro")``.
"""

from __future__ import annotations

import re

CHANNEL_TYPES: tuple[str, ...] = (
    "PUSH",
    "GCM",
    "APNS",
    "APNS_SANDBOX",
    "APNS_VOIP",
    "APNS_VOIP_SANDBOX",
    "ADM",
    "SMS",
    "VOICE",
    "EMAIL",
    "BAIDU",
    "CUSTOM",
    "IN_APP",
)
PHONE_CHANNELS = ("SMS", "VOICE")
PUSH_CHANNELS = ("PUSH", "GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM", "BAIDU")
OPT_OUT_VALUES = ("ALL", "NONE")
ENDPOINT_STATUSES = ("ACTIVE", "INACTIVE")

DEMOGRAPHIC_FIELDS = (
    "AppVersion",
    "Locale",
    "Make",
    "Model",
    "ModelVersion",
    "Platform",
    "PlatformVersion",
    "Timezone",
)
LOCATION_TEXT_FIELDS = ("City", "Country", "PostalCode", "Region")
LOCATION_NUMBER_FIELDS = ("Latitude", "Longitude")

#: The fixed endpoint columns, in table order, with their DuckDB types.
ENDPOINT_COLUMNS: dict[str, str] = {
    "Id": "VARCHAR NOT NULL",
    "ChannelType": "VARCHAR",
    "Address": "VARCHAR",
    "RawAddress": "VARCHAR",  # the address as the file gave it, before E.164 / e-mail normalisation
    "EndpointStatus": "VARCHAR",
    "OptOut": "VARCHAR",
    "EffectiveDate": "TIMESTAMP",
    "CreationDate": "TIMESTAMP",
    "RequestId": "VARCHAR",
    "CohortId": "SMALLINT",
    **{f"Demographic.{f}": "VARCHAR" for f in DEMOGRAPHIC_FIELDS},
    "Location.City": "VARCHAR",
    "Location.Country": "VARCHAR",
    "Location.Latitude": "DOUBLE",
    "Location.Longitude": "DOUBLE",
    "Location.PostalCode": "VARCHAR",
    "Location.Region": "VARCHAR",
    "User.UserId": "VARCHAR",
}

#: Columns a file may carry that describe an endpoint but are not set by an import (Pinpoint's response-only
#: fields). ``EndpointStatus``, ``CreationDate`` and ``CohortId`` are kept when a Pinpoint export provides them.
READ_ONLY_INPUT_COLUMNS = ("ApplicationId", "RawAddress")

#: Custom attribute families: prefix -> (kind, DuckDB type).
ATTRIBUTE_FAMILIES: dict[str, tuple[str, str]] = {
    "Attributes.": ("endpoint-custom-attributes", "VARCHAR[]"),
    "User.UserAttributes.": ("endpoint-user-attributes", "VARCHAR[]"),
    "Metrics.": ("endpoint-metric-attributes", "DOUBLE"),
}

MAX_ATTRIBUTE_NAMES = 250  # across Attributes, Metrics and UserAttributes, per project
MAX_ATTRIBUTE_NAME_LENGTH = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 100
MAX_VALUES_PER_ATTRIBUTE = 50
MAX_ENDPOINTS_PER_USER = 15
MAX_ENDPOINT_BYTES = 15 * 1024

#: Event log columns (Parquet), flattened from Pinpoint's event-stream record. Timestamps are UTC.
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "event_type": "VARCHAR",
    "event_timestamp": "TIMESTAMP",
    "arrival_timestamp": "TIMESTAMP",
    "event_version": "VARCHAR",
    "client_id": "VARCHAR",  # the endpoint Id (client.client_id)
    "user_id": "VARCHAR",  # when the sender knew it; otherwise resolved through endpoints
    "session_id": "VARCHAR",
    "session_start_timestamp": "TIMESTAMP",
    "session_stop_timestamp": "TIMESTAMP",
    "app_id": "VARCHAR",
    "app_title": "VARCHAR",
    "app_version_name": "VARCHAR",
    "app_version_code": "VARCHAR",
    "app_package_name": "VARCHAR",
    "sdk_name": "VARCHAR",
    "sdk_version": "VARCHAR",
    "device_make": "VARCHAR",
    "device_model": "VARCHAR",
    "device_platform": "VARCHAR",
    "device_platform_version": "VARCHAR",
    "device_locale": "VARCHAR",
    "device_country": "VARCHAR",
    "attributes": "MAP(VARCHAR, VARCHAR)",
    "metrics": "MAP(VARCHAR, DOUBLE)",
    "extra": "VARCHAR",  # the rest of the record as JSON (facets, client_context, ...): nothing is lost
}

MAX_EVENT_ATTRIBUTE_NAME_LENGTH = 50
MAX_EVENT_ATTRIBUTE_VALUE_LENGTH = 200
MAX_EVENT_ATTRIBUTES_AND_METRICS = 40

_SAFE_NAME = re.compile(r"^[^\x00-\x1f\"]+$")


def quote(name: str) -> str:
    """Quote a column name for DuckDB SQL (dotted names need quoting)."""
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: object) -> str:
    """A SQL string literal, quotes escaped."""
    return "'" + str(value).replace("'", "''") + "'"


def attribute_family(column: str) -> tuple[str, str, str] | None:
    """Return (prefix, kind, duckdb type) when ``column`` is a custom attribute column, else None."""
    # User.UserAttributes. must be tested before Attributes. would never match it, but order is explicit anyway
    for prefix in ("User.UserAttributes.", "Attributes.", "Metrics."):
        if column.startswith(prefix) and len(column) > len(prefix):
            kind, sqltype = ATTRIBUTE_FAMILIES[prefix]
            return prefix, kind, sqltype
    return None


def is_safe_attribute_name(name: str) -> bool:
    return bool(_SAFE_NAME.match(name))
