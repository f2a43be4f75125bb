"""Sending a planned run of a project: the send loop wired to the project's adapters, suppression list, endpoints
(OptOut) and event log. Campaigns, journeys, transactional sends and ``workbench delivery resume`` all use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..channels.base import ChannelAdapter
from .events import event_writer
from .ledger import Ledger
from .sender import DeliveryPolicy, Sender, SendReport, endpoint_opt_outs
from .suppression import SuppressionList


def send_run(
    store: Any,
    run: str,
    *,
    channel: str | None = None,
    wait: bool = True,
    deadline: float | None = None,
    adapter: ChannelAdapter | None = None,
    ledger: Ledger | None = None,
    environ: Mapping[str, str] | None = None,
    policy: DeliveryPolicy | None = None,
) -> list[SendReport]:
    """Send (or resume) what a run owes, one channel at a time, through each channel's configured adapter.

    ``channel`` limits it to one channel; ``adapter`` (with ``channel``) uses an adapter the caller opened.
    Returns one report per channel sent. A paused run sends nothing until ``Ledger.unpause``.
    """
    from ..channels.registry import open_channel

    own = ledger is None
    ledger = ledger or Ledger.for_store(store)
    try:
        ledger.run_state(run)  # an unknown run names the recent ones
        channels = [channel] if channel else ledger.owed_channels(run)
        policy = policy or DeliveryPolicy.from_store(store)
        suppression = SuppressionList.for_store(store, ledger)
        reports = []
        for name in channels:
            opened = adapter if adapter is not None else open_channel(store, name, run=run, environ=environ)
            try:
                sender = Sender(
                    ledger,
                    opened,
                    run,
                    policy=policy,
                    suppression=suppression,
                    opt_outs=endpoint_opt_outs(store),
                    events=event_writer(store, opened.name),
                    channel=name,
                )
                reports.append(sender.send(wait=wait, deadline=deadline))
            finally:
                if adapter is None:
                    opened.close()
        return reports
    finally:
        if own:
            ledger.close()
