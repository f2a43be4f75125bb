"""The ``sms_http`` adapter: Twilio's Messages API shape (and every provider that copies it).

One form POST per message to ``{base_url}/2010-04-01/Accounts/{account}/Messages.json`` with HTTP basic auth
(the account SID and auth token come from the variables that ``account_env`` and ``token_env`` name), fields
``To``, ``From`` (the setting ``from``, or the message's ``OriginationNumber`` part), ``Body`` and, when
``status_callback_url`` is set, ``StatusCallback`` with the send key as a query parameter (reliability.md 1.3: the
provider's status webhooks then carry our key back).

Answers (reliability.md 1.5): 200/201 accepted with the returned ``sid``; 429 retryable honouring Retry-After;
408 and 5xx retryable; 400 with Twilio code 21610 (the recipient replied STOP), 21211 (invalid To) or 21614
(not a mobile number) permanent with ``address_problem``; any other 4xx permanent (401/403: the credentials).
A timeout after the request was sent is ambiguous (Twilio has no idempotency key); a connect error retryable.
Messages are sent one after the other over one kept-alive connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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

SETTINGS = ("base_url", "account_env", "token_env", "from", "status_callback_url", "timeout")
DEFAULT_BASE_URL = "https://api.twilio.com"

# Twilio error codes that are about the recipient's number: the delivery layer suppresses it.
ADDRESS_CODES = frozenset({21610, 21211, 21614})


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query string."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


class SmsHttpAdapter(OneRequestPerMessage):
    """Sends SMS through a Twilio-shaped Messages API."""

    name = "sms_http"
    channels = frozenset({"SMS"})

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        super().__init__(config, context)
        c = self.config
        check_settings(c, SETTINGS, self.name)
        self.base_url = setting_str(c, "base_url", DEFAULT_BASE_URL).rstrip("/")
        self.account = secret_from_env(c, "account_env", context.environ) or ""
        token = secret_from_env(c, "token_env", context.environ) or ""
        self.sender = setting_str(c, "from")
        self.status_callback_url = setting_str(c, "status_callback_url")
        self.timeout = setting_float(c, "timeout", 10.0)
        self.url = f"{self.base_url}/2010-04-01/Accounts/{self.account}/Messages.json"
        self.client = http_client(c, timeout=self.timeout, auth=(self.account, token))

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        import httpx

        key = message.send_key
        sender = str(message.parts.get("OriginationNumber") or self.sender)
        if not sender:
            return SendResult(
                key, Outcome.PERMANENT, code="config", detail="no sender: set from in [channels.sms]"
            )
        form = {"To": message.address, "From": sender, "Body": str(message.parts.get("Body", ""))}
        if self.status_callback_url:
            form["StatusCallback"] = with_query(self.status_callback_url, send_key=key)
        try:
            response = self.client.post(self.url, data=form)
        except httpx.HTTPError as err:
            return network_failure(key, err)
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        outcome = http_outcome(status)
        if outcome is Outcome.ACCEPTED:
            return SendResult(key, outcome, provider_message_id=body.get("sid"), code=str(status))
        twilio_code = body.get("code")
        detail = str(body.get("message") or response.text[:300] or response.reason_phrase)
        return SendResult(
            key,
            outcome,
            # Twilio's own code names a refused message best ("21610"); a throttle or an authentication failure
            # (which should pause the channel, not the address) is its HTTP status ("429", "401")
            code=str(twilio_code)
            if twilio_code and status not in (401, 403) and outcome is Outcome.PERMANENT
            else str(status),
            detail=f"HTTP {status}: {detail}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            address_problem=outcome is Outcome.PERMANENT and twilio_code in ADDRESS_CODES,
        )
