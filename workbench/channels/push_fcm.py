"""The ``push_fcm`` adapter: Firebase Cloud Messaging's HTTP v1 API shape.

One POST per message to ``{base_url}/v1/projects/{project_id}/messages:send`` with a bearer token (the variable
``token_env`` names holds an OAuth 2.0 access token; minting one from a service-account key is left to the
environment, e.g. ``gcloud auth print-access-token``) and the body::

    {"message": {"token": <device token>, "notification": {"title", "body", "image"}, "data": {...}}}

The message's parts are Pinpoint's push parts: ``Title``, ``Body``, ``ImageUrl``, ``Url``, ``Data`` (a JSON
object or string; FCM wants string values, so they are converted) and ``SilentPush`` (no notification, data only).
The send key rides along in ``data.send_key``.

Answers: 200 accepted with the returned ``name``; 404 or UNREGISTERED (the app was uninstalled) and an
INVALID_ARGUMENT about the token: permanent with ``address_problem``; other 4xx permanent; 429 and 5xx retryable
with Retry-After; a timeout after the body was sent ambiguous.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._common import (
    OneRequestPerMessage,
    check_settings,
    http_client,
    http_outcome,
    network_failure,
    retry_after_seconds,
    secret_from_env,
    setting_float,
    setting_str,
)
from .base import ChannelContext, Outcome, OutgoingMessage, SendResult

SETTINGS = ("base_url", "project_id", "token_env", "timeout")
DEFAULT_BASE_URL = "https://fcm.googleapis.com"


def fcm_message(message: OutgoingMessage) -> dict[str, Any]:
    """The FCM v1 request body for one rendered push message."""
    parts = message.parts
    data = parts.get("Data") or {}
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            data = {"data": data}
    if not isinstance(data, dict):
        data = {"data": data}
    data = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    if parts.get("Url"):
        data.setdefault("url", str(parts["Url"]))
    data["send_key"] = message.send_key
    body: dict[str, Any] = {"token": message.address, "data": data}
    if not _truthy(parts.get("SilentPush")):
        notification = {"title": str(parts.get("Title", "")), "body": str(parts.get("Body", ""))}
        if parts.get("ImageUrl"):
            notification["image"] = str(parts["ImageUrl"])
        body["notification"] = notification
    return {"message": body}


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _error(body: Any) -> tuple[str, str, bool]:
    """(status, message, about the token) from FCM's error body."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", False
    status = str(error.get("status", ""))
    text = str(error.get("message", ""))
    codes, fields = set(), set()
    for item in error.get("details") or []:
        if isinstance(item, dict):
            if item.get("errorCode"):
                codes.add(str(item["errorCode"]))
            for violation in item.get("fieldViolations") or []:
                if isinstance(violation, dict):
                    fields.add(str(violation.get("field", "")))
    if codes:
        status = sorted(codes)[0] if "UNREGISTERED" not in codes else "UNREGISTERED"
    about_token = (
        status == "UNREGISTERED"
        or "message.token" in fields
        or (status == "INVALID_ARGUMENT" and "registration token" in text.lower())
    )
    return status, text, about_token


class FcmAdapter(OneRequestPerMessage):
    """Sends push notifications through FCM's HTTP v1 API (or anything with its shape at ``base_url``)."""

    name = "push_fcm"
    channels = frozenset({"PUSH"})

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        super().__init__(config, context)
        c = self.config
        check_settings(c, SETTINGS, self.name)
        self.base_url = setting_str(c, "base_url", DEFAULT_BASE_URL).rstrip("/")
        self.project_id = setting_str(c, "project_id", required=True)
        token = secret_from_env(c, "token_env", context.environ)
        self.timeout = setting_float(c, "timeout", 10.0)
        self.url = f"{self.base_url}/v1/projects/{self.project_id}/messages:send"
        self.client = http_client(c, timeout=self.timeout, headers={"Authorization": f"Bearer {token}"})

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        import httpx

        key = message.send_key
        try:
            response = self.client.post(self.url, json=fcm_message(message))
        except httpx.HTTPError as err:
            return network_failure(key, err)
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        outcome = http_outcome(status)
        if outcome is Outcome.ACCEPTED:
            name = body.get("name") if isinstance(body, dict) else None
            return SendResult(key, outcome, provider_message_id=name, code=str(status))
        fcm_status, text, about_token = _error(body)
        if status == 404:
            about_token = True  # FCM answers 404 NOT_FOUND/UNREGISTERED for a token that is no longer valid
        return SendResult(
            key,
            outcome,
            code=f"{status} {fcm_status}".strip(),
            detail=f"HTTP {status}: {text or response.text[:300] or response.reason_phrase}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            address_problem=outcome is Outcome.PERMANENT and about_token,
        )
