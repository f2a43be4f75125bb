"""The channel contract: a rendered message goes in with its send key, one outcome per message comes out.

Every adapter (built-in or from the ``workbench.channels`` entry-point group) is a small class with a name, the
channels it serves, and ``send(messages) -> results`` (ARCHITECTURE.md, Channels). Adapters never raise for a
message's failure: they map every provider answer to an :class:`Outcome`; they raise only for a configuration
that cannot work at all (a missing setting or secret), naming the setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar


class Outcome(StrEnum):
    """What became of one message at the provider."""

    ACCEPTED = "accepted"  # the provider took it (SMTP 250, HTTP 2xx)
    RETRYABLE = "retryable"  # try again later, optionally after ``retry_after`` seconds
    PERMANENT = "permanent"  # will never succeed (for this address, or this content)
    AMBIGUOUS = "ambiguous"  # may or may not have been delivered (connection lost after the body was sent)


@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message for one address, ready for an adapter.

    ``parts`` holds the rendered parts by Pinpoint's names for the channel: email ``Subject``/``HtmlPart``/
    ``TextPart``; SMS ``Body`` (+ ``MessageType``, ``OriginationNumber``); push ``Title``/``Body``/``Url``/``Data``
    ...; voice ``Body``; custom: anything JSON. ``mime`` is the whole RFC 5322 message for email
    (messages.email composes it, with a Message-ID derived from the send key); adapters send it as it is.
    """

    send_key: str
    channel: str  # EMAIL | SMS | PUSH | VOICE | CUSTOM (Pinpoint's ChannelType family)
    address: str  # e-mail address, E.164 number, device token, or the endpoint id for custom channels
    parts: Mapping[str, Any] = field(default_factory=dict)
    mime: bytes | None = None
    endpoint_id: str | None = None
    user_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)  # campaign_id, treatment_id, journey_id, ...


@dataclass(frozen=True)
class SendResult:
    """The outcome of one message; ``send_key`` ties it to its :class:`OutgoingMessage`.

    ``address_problem`` is True when a permanent failure is about the address (SMTP 5.1.x on RCPT, an unknown
    device token, a number that opted out at the carrier): the delivery layer then suppresses the address. A
    permanent failure about the content or the sender (SMTP 5.7.x, HTTP 401/403) leaves the address alone.
    """

    send_key: str
    outcome: Outcome
    provider_message_id: str | None = None
    code: str | None = None  # the provider's own code: "250", "550 5.1.1", "429", "21610"...
    detail: str = ""
    retry_after: float | None = None  # seconds the provider asked us to wait (Retry-After, 421/454)
    address_problem: bool = False

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "send_key": self.send_key,
            "outcome": str(self.outcome),
            "provider_message_id": self.provider_message_id,
            "code": self.code,
            "detail": self.detail,
            "retry_after": self.retry_after,
            "address_problem": self.address_problem,
        }


@dataclass(frozen=True)
class ChannelContext:
    """What an adapter may know about where it runs: the project's outbox folder and the run it sends for."""

    outbox_dir: Path
    run: str = "adhoc"
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


class ChannelAdapter:
    """Base class of adapters: configured from ``[channels.<channel>]`` in workbench.toml, used as a context manager.

    Subclasses set ``name`` (the ``adapter = "..."`` value) and ``channels`` (the channel types they can carry),
    read their settings in ``__init__`` (secrets only through ``*_env`` settings naming environment variables),
    and implement ``send``. ``close`` releases connections.
    """

    name: ClassVar[str] = ""
    channels: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        self.config = dict(config)
        self.context = context

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send a batch; return one result per message, in the same order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the adapter is not used afterwards."""

    def __enter__(self) -> ChannelAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
