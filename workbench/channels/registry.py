"""The adapter registry: built-ins by name, third-party adapters through the ``workbench.channels`` entry points.

Like papermill's engines: a name in ``[channels.<channel>] adapter = "..."`` picks a class. Built-ins are listed
here as ``"module:Class"`` and imported only when used (``import workbench.channels`` stays cheap: no httpx, no
smtplib). A package adds an adapter by declaring, in its ``pyproject.toml``::

    [project.entry-points."workbench.channels"]
    slack = "workbench_slack:SlackAdapter"

Built-in names win over entry points of the same name, so an installed package cannot silently replace
``smtp``. :func:`register_adapter` adds one at run time (a notebook's own adapter, a test's).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UnknownNameError, suggest
from .base import ChannelAdapter, ChannelContext

if TYPE_CHECKING:
    from ..store import Store

ENTRY_POINT_GROUP = "workbench.channels"

BUILTIN_ADAPTERS: dict[str, str] = {
    "outbox": "workbench.channels.outbox:OutboxAdapter",
    "smtp": "workbench.channels.smtp:SmtpAdapter",
    "sms_http": "workbench.channels.sms_http:SmsHttpAdapter",
    "push_fcm": "workbench.channels.push_fcm:FcmAdapter",
    "webhook": "workbench.channels.webhook:WebhookAdapter",
}

DEFAULT_ADAPTER = "outbox"

# The channel families an OutgoingMessage carries, and Pinpoint's ChannelType values that belong to each
# (an endpoint's ChannelType GCM or APNS sends through [channels.push]).
CHANNELS = ("EMAIL", "SMS", "PUSH", "VOICE", "CUSTOM")
CHANNEL_TYPES: dict[str, str] = {
    **{c: c for c in CHANNELS},
    **{t: "PUSH" for t in ("GCM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "ADM", "BAIDU")},
}

_registered: dict[str, type[ChannelAdapter]] = {}


def register_adapter(name: str, cls: type[ChannelAdapter]) -> None:
    """Register an adapter class under ``name`` for this process (entry points do it for installed packages)."""
    if not (isinstance(cls, type) and issubclass(cls, ChannelAdapter)):
        raise TypeError(f"{cls!r} is not a ChannelAdapter subclass")
    _registered[name] = cls


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def adapter_names() -> list[str]:
    """Every adapter name usable in ``adapter = "..."``: built-ins, registered ones and installed entry points."""
    return sorted(set(BUILTIN_ADAPTERS) | set(_registered) | set(_entry_points()))


def adapter_class(name: str) -> type[ChannelAdapter]:
    """The adapter class registered as ``name``; an unknown name raises UnknownNameError listing the known ones."""
    if name in BUILTIN_ADAPTERS:
        module, _, attr = BUILTIN_ADAPTERS[name].partition(":")
        cls = getattr(importlib.import_module(module), attr)
    elif name in _registered:
        cls = _registered[name]
    else:
        found = _entry_points().get(name)
        if found is None:
            names = adapter_names()
            raise UnknownNameError(
                f"unknown channel adapter {name!r}{suggest(name, names)}; registered adapters: {', '.join(names)}"
            )
        cls = found.load()
    if not (isinstance(cls, type) and issubclass(cls, ChannelAdapter)):
        raise TypeError(f"channel adapter {name!r} ({cls!r}) is not a ChannelAdapter subclass")
    return cls


def channel_family(channel: str) -> str:
    """The channel family (EMAIL, SMS, PUSH, VOICE, CUSTOM) of a channel name or a Pinpoint ChannelType."""
    return CHANNEL_TYPES.get(channel.upper(), "CUSTOM")


def channel_names(settings: Mapping[str, Any] | None = None) -> list[str]:
    """Channel names ``open_channel`` accepts: the families, Pinpoint's ChannelTypes, and ``[channels.x]`` sections."""
    sections = (settings or {}).get("channels", {})
    extra = [k for k, v in sections.items() if isinstance(v, dict)] if isinstance(sections, dict) else []
    return sorted({c.lower() for c in CHANNEL_TYPES} | set(extra))


def open_channel(
    store: Store, channel: str, *, run: str = "adhoc", environ: Mapping[str, str] | None = None
) -> ChannelAdapter:
    """The configured adapter for ``channel``, ready to send (use it as a context manager, or call close()).

    ``channel`` is a family (``"email"``, ``"SMS"``...), a Pinpoint ChannelType (``GCM`` and the APNS types read
    ``[channels.push]``) or the name of a ``[channels.<name>]`` section of a custom channel. The section's
    ``adapter`` picks the class (default ``outbox``: a new project sends nowhere until configured); its other keys
    are the adapter's settings. ``environ`` holds the secrets that ``*_env`` settings name (default os.environ).
    """
    settings_file = str(store.path / "workbench.toml")
    sections = store.setting("channels", {}) or {}
    key = channel.lower()
    if channel.upper() in CHANNEL_TYPES:
        family = channel_family(channel)
        section = family.lower()
    elif isinstance(sections.get(key), dict):
        family, section = "CUSTOM", key
    else:
        names = channel_names(store.settings)
        raise UnknownNameError(
            f"unknown channel {channel!r}{suggest(key, names)}; channels: {', '.join(names)} "
            f"(a custom channel needs a [channels.{key}] section in {settings_file})"
        )
    config = sections.get(section, {})
    if not isinstance(config, dict):
        raise InputError("must be a table of settings", file=settings_file, field=f"channels.{section}")
    adapter_name = config.get("adapter", DEFAULT_ADAPTER)
    if not isinstance(adapter_name, str):
        raise InputError(
            f"must be an adapter name, got {adapter_name!r}",
            file=settings_file,
            field=f"channels.{section}.adapter",
        )
    try:
        cls = adapter_class(adapter_name)
    except UnknownNameError as err:
        raise UnknownNameError(f"{settings_file}: field channels.{section}.adapter: {err}") from None
    if family not in cls.channels:
        raise InputError(
            f"the {adapter_name} adapter cannot carry {family} messages (it carries "
            f"{', '.join(sorted(cls.channels)) or 'nothing'}); adapters for {family}: "
            f"{', '.join(_adapters_for(family)) or 'none'}",
            file=settings_file,
            field=f"channels.{section}.adapter",
        )
    context = ChannelContext(
        outbox_dir=store.outbox_dir, run=run, environ=dict(os.environ) if environ is None else environ
    )
    try:
        return cls(config, context)
    except InputError as err:
        if err.file is not None:
            raise
        field = f"channels.{section}.{err.field}" if err.field else f"channels.{section}"
        raise InputError(err.reason, file=settings_file, line=err.line, field=field) from None


def _adapters_for(family: str) -> list[str]:
    found = []
    for name in adapter_names():
        try:
            if family in adapter_class(name).channels:
                found.append(name)
        except Exception:  # a broken third-party package must not hide the built-ins from this hint
            continue
    return found
