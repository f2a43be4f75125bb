"""What the built-in adapters share: reading their settings and secrets, and mapping HTTP answers to outcomes.

Settings errors are :class:`~workbench.errors.InputError` with ``field`` set to the bare setting name
(``"token_env"``); :func:`workbench.channels.registry.open_channel` adds the file and the ``channels.<name>.``
prefix, so the user reads ``workbench.toml: field channels.sms.token_env: ...``.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import InputError
from .base import ChannelAdapter, Outcome, OutgoingMessage, SendResult

# Keys a channel section may hold for other layers (the email composer reads ``from`` and ``reply_to``).
COMMON_SETTINGS = frozenset({"adapter", "description", "from", "reply_to"})


def check_settings(config: Mapping[str, Any], known: Iterable[str], adapter: str) -> None:
    """Refuse a key that looks like a misspelt setting of this adapter (``startls`` for ``starttls``).

    A channel's section is shared: the delivery and message layers read their own keys from it, so a key the
    adapter does not know is left alone unless it is a near miss of one it does know (it would otherwise be
    silently ignored, and mail would go out without TLS).
    """
    import difflib

    allowed = set(known) | COMMON_SETTINGS
    for key in config:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.8)
        if close:
            raise InputError(
                f"the {adapter} adapter has no setting {key!r} (did you mean {close[0]}?); "
                f"it reads: {', '.join(sorted(allowed))}",
                field=key,
            )


def setting_str(
    config: Mapping[str, Any], key: str, default: str | None = None, *, required: bool = False
) -> str:
    """A string setting; ``required`` ones missing or empty raise naming the setting."""
    value = config.get(key, default)
    if value is None or value == "":
        if required:
            raise InputError("this setting is required", field=key)
        return "" if value is None else value
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {value!r}", field=key)
    return value


def setting_int(config: Mapping[str, Any], key: str, default: int, *, minimum: int = 0) -> int:
    """A whole-number setting of at least ``minimum``."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"must be a whole number >= {minimum}, got {value!r}", field=key)
    return value


def setting_float(config: Mapping[str, Any], key: str, default: float, *, minimum: float = 0.0) -> float:
    """A number setting (seconds, usually) greater than ``minimum``."""
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > minimum:
        raise InputError(f"must be a number > {minimum}, got {value!r}", field=key)
    return float(value)


def setting_bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    """A ``true``/``false`` setting."""
    value = config.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"must be true or false, got {value!r}", field=key)
    return value


def secret_from_env(
    config: Mapping[str, Any], key: str, environ: Mapping[str, str], *, required: bool = True
) -> str | None:
    """The secret held by the environment variable that setting ``key`` (``token_env``, ...) names.

    Secrets never live in workbench.toml (reliability.md 4.8): the file names a variable, the variable holds
    the secret. A missing setting (when required) or a variable that is not set raises, naming both.
    """
    name = config.get(key)
    if name is None or name == "":
        if required:
            raise InputError(
                "this setting is required: name the environment variable that holds the secret "
                f'(e.g. {key} = "MY_{key.removesuffix("_env").upper()}")',
                field=key,
            )
        return None
    if not isinstance(name, str):
        raise InputError(f"must be the name of an environment variable, got {name!r}", field=key)
    value = environ.get(name)
    if value is None or value == "":
        raise InputError(f"names the environment variable {name}, which is not set", field=key)
    return value


# --- HTTP answers -------------------------------------------------------------------------------------------


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


RETRYABLE_HTTP = frozenset({408, 425, 429})


def http_outcome(status: int) -> Outcome:
    """reliability.md 1.5 for an HTTP status: 2xx accepted; 408/425/429 and 5xx retryable; other 4xx permanent."""
    if 200 <= status < 300:
        return Outcome.ACCEPTED
    if status in RETRYABLE_HTTP or status >= 500:
        return Outcome.RETRYABLE
    return Outcome.PERMANENT


def network_failure(send_key: str, exc: Exception) -> SendResult:
    """An httpx exception mapped to an outcome: before the body was sent -> retryable, after -> ambiguous.

    Connect errors and timeouts (and a pool timeout) happen before the provider could act. A write error means
    the request was incomplete, so the provider cannot have acted on it either. A read timeout, a read error or a
    connection closed without an answer come after the whole body was sent: the provider may have taken it.
    """
    import httpx

    before = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.WriteError,
        httpx.WriteTimeout,
    )
    if isinstance(exc, before):
        return SendResult(send_key, Outcome.RETRYABLE, code=type(exc).__name__, detail=str(exc) or repr(exc))
    return SendResult(
        send_key,
        Outcome.AMBIGUOUS,
        code=type(exc).__name__,
        detail=f"no answer after the request was sent: {exc or type(exc).__name__}",
    )


def http_client(config: Mapping[str, Any], *, timeout: float, **kwargs: Any):
    """One httpx.Client per adapter: connect/read/write/pool timeouts all set (a provider never hangs a run)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,  # a provider that redirects a POST is misconfigured; say so instead
        **kwargs,
    )


class OneRequestPerMessage(ChannelAdapter):
    """An HTTP adapter that POSTs each message on its own (``sms_http``, ``push_fcm``): subclasses set
    ``self.client`` (from :func:`http_client`) and implement ``_send_one``."""

    client: Any

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """POST each message; one result per message, in order."""
        return [self._send_one(m) for m in messages]

    def close(self) -> None:
        """Close the HTTP connection."""
        self.client.close()

    def _send_one(self, message: OutgoingMessage) -> SendResult:
        raise NotImplementedError
