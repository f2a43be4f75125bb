"""The ``webhook`` adapter: Pinpoint's custom-channel payload, POSTed as signed JSON batches.

Each POST to ``url`` carries up to ``batch_size`` (default 50, as Pinpoint) endpoints in Pinpoint's custom-channel
event shape::

    {"Message": {}, "Data": "<the message's Data part, or its parts as JSON>",
     "ApplicationId": "...", "CampaignId": "...", "TreatmentId": "...", "ActivityId": "...",
     "ScheduledTime": "2026-12-05T10:00:00.000Z",
     "Endpoints": {"<endpoint id>": {"ChannelType": "CUSTOM", "Address": "...", "EndpointStatus": "ACTIVE",
                                     "OptOut": "NONE", "User": {"UserId": "..."}, "SendKey": "<send key>"}}}

``SendKey`` (one per endpoint) is the workbench's addition, so a receiver can deduplicate; ``JourneyId`` and
``JourneyActivityId`` are added for journey sends. Messages with different campaign/treatment/activity ids or
``Data`` go in different POSTs.

Signing (the secret comes from the variable ``secret_env`` names): every request carries
``X-Workbench-Timestamp: <unix seconds>`` and ``X-Workbench-Signature: sha256=<hex>``, where ``<hex>`` is the
HMAC-SHA256 of ``<timestamp>.<raw body>`` under the secret. A receiver recomputes it over the raw bytes it got,
compares in constant time and refuses timestamps more than 5 minutes old (replay); :func:`verify_signature` does
exactly that. An ``Idempotency-Key`` header (a hash of the batch's send keys) lets a receiver drop a re-sent batch.

Answers: 2xx -> every message of the batch accepted; 408/429/5xx -> retryable (Retry-After honoured); other 4xx
-> permanent; a timeout after the body was sent -> ambiguous; a connect error -> retryable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ._common import (
    check_settings,
    http_client,
    http_outcome,
    network_failure,
    retry_after_seconds,
    secret_from_env,
    setting_float,
    setting_int,
    setting_str,
)
from .base import ChannelAdapter, ChannelContext, Outcome, OutgoingMessage, SendResult

SETTINGS = ("url", "secret_env", "batch_size", "application_id", "timeout")
SIGNATURE_HEADER = "X-Workbench-Signature"
TIMESTAMP_HEADER = "X-Workbench-Timestamp"
REPLAY_TOLERANCE_SECONDS = 300


def sign(secret: str | bytes, body: bytes, timestamp: int | str) -> str:
    """The ``X-Workbench-Signature`` value for ``body`` sent at ``timestamp``: ``sha256=<hex>``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance: float = REPLAY_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when ``signature`` signs ``body`` at ``timestamp`` and the timestamp is within ``tolerance`` seconds."""
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), signature)


def _data(parts: Mapping[str, Any]) -> str:
    data = parts.get("Data")
    if isinstance(data, str):
        return data
    if data is not None:
        return json.dumps(data, sort_keys=True, default=str)
    return json.dumps(dict(parts), sort_keys=True, default=str) if parts else ""


def _header(message: OutgoingMessage, application_id: str) -> tuple[tuple[str, str], ...]:
    """The batch-level fields this message needs (messages that differ here go in different POSTs)."""
    a = message.attributes
    fields = {
        "ApplicationId": a.get("application_id") or application_id,
        "CampaignId": a.get("campaign_id", ""),
        "TreatmentId": a.get("treatment_id", ""),
        "ActivityId": a.get("campaign_activity_id") or a.get("journey_activity_id", ""),
        "Data": _data(message.parts),
    }
    if a.get("journey_id"):
        fields["JourneyId"] = a["journey_id"]
        fields["JourneyActivityId"] = a.get("journey_activity_id", "")
    return tuple(fields.items())


def _endpoint(message: OutgoingMessage) -> dict[str, Any]:
    record: dict[str, Any] = {
        "ChannelType": message.channel.upper(),
        "Address": message.address,
        "EndpointStatus": "ACTIVE",
        "OptOut": "NONE",
        "User": {"UserId": message.user_id} if message.user_id else {},
        "SendKey": message.send_key,
    }
    return record


class WebhookAdapter(ChannelAdapter):
    """POSTs Pinpoint custom-channel batches, HMAC-signed, to a URL of yours."""

    name = "webhook"
    channels = frozenset({"CUSTOM", "EMAIL", "SMS", "PUSH", "VOICE"})

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        super().__init__(config, context)
        c = self.config
        check_settings(c, SETTINGS, self.name)
        self.url = setting_str(c, "url", required=True)
        self.secret = secret_from_env(c, "secret_env", context.environ) or ""
        self.batch_size = setting_int(c, "batch_size", 50, minimum=1)
        self.application_id = setting_str(c, "application_id")
        self.timeout = setting_float(c, "timeout", 10.0)
        self.client = http_client(c, timeout=self.timeout)

    def batches(self, messages: Sequence[OutgoingMessage]) -> list[list[int]]:
        """Indexes of ``messages`` grouped into POSTs: same header fields, distinct endpoints, <= batch_size."""
        groups: dict[tuple, list[list[int]]] = {}
        open_ids: dict[tuple, set[str]] = {}  # endpoint ids in each group's last (open) batch
        for i, message in enumerate(messages):
            header = _header(message, self.application_id)
            runs = groups.setdefault(header, [[]])
            ids = open_ids.setdefault(header, set())
            endpoint = self._endpoint_id(message)
            if len(runs[-1]) >= self.batch_size or endpoint in ids:
                runs.append([])
                ids.clear()
            runs[-1].append(i)
            ids.add(endpoint)
        return [run for runs in groups.values() for run in runs if run]

    @staticmethod
    def _endpoint_id(message: OutgoingMessage) -> str:
        return message.endpoint_id or message.address or message.send_key

    def payload(self, messages: Sequence[OutgoingMessage]) -> dict[str, Any]:
        """Pinpoint's custom-channel event for messages sharing one header."""
        body: dict[str, Any] = {"Message": {}}
        body.update(dict(_header(messages[0], self.application_id)))
        body["ScheduledTime"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body["Endpoints"] = {self._endpoint_id(m): _endpoint(m) for m in messages}
        return body

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """POST the messages in batches; every message of a batch gets that batch's outcome."""
        results: list[SendResult | None] = [None] * len(messages)
        for indexes in self.batches(messages):
            batch = [messages[i] for i in indexes]
            for i, result in zip(indexes, self._post(batch), strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Close the HTTP connection."""
        self.client.close()

    def _post(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        import httpx

        body = json.dumps(self.payload(batch), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = str(int(time.time()))
        batch_id = hashlib.sha256("\n".join(m.send_key for m in batch).encode()).hexdigest()[:32]
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, body, timestamp),
            "Idempotency-Key": batch_id,
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as err:
            return [network_failure(m.send_key, err) for m in batch]
        status = response.status_code
        outcome = http_outcome(status)
        if outcome is Outcome.ACCEPTED:
            return [
                SendResult(m.send_key, outcome, provider_message_id=batch_id, code=str(status)) for m in batch
            ]
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        detail = f"HTTP {status}: {response.text[:300] or response.reason_phrase}"
        return [
            SendResult(m.send_key, outcome, code=str(status), detail=detail, retry_after=retry_after)
            for m in batch
        ]
