"""Channel adapters: rendered messages in, one outcome per message out (ARCHITECTURE.md, Channels).

``open_channel(store, "email")`` returns the adapter configured in ``[channels.email]`` of workbench.toml
(``outbox`` until configured). Built-ins: ``outbox``, ``smtp``, ``sms_http``, ``push_fcm``, ``webhook``; more come
from the ``workbench.channels`` entry-point group. The adapters' modules are imported only when used.
"""

from .base import ChannelAdapter, ChannelContext, Outcome, OutgoingMessage, SendResult
from .registry import (
    ENTRY_POINT_GROUP,
    adapter_class,
    adapter_names,
    channel_family,
    channel_names,
    open_channel,
    register_adapter,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ChannelAdapter",
    "ChannelContext",
    "Outcome",
    "OutgoingMessage",
    "SendResult",
    "adapter_class",
    "adapter_names",
    "channel_family",
    "channel_names",
    "open_channel",
    "register_adapter",
]
