"""Delivery: the ledger of messages (send keys, states, retries, rate limit, error budget), the suppression list,
transactional sends, and the Pinpoint-named events of every outcome.

The guarantee, per channel: at-least-once with an explicit ambiguity window, never "exactly once". A message is
persisted with its deterministic send key before any network call; after a crash a resume sends every message
still owed and never re-sends one the provider accepted. A message whose batch was in flight when the sender
died (or whose connection was lost after the body was sent) is *ambiguous*: it may or may not have gone. By
default (``[delivery] ambiguous = "hold"``) it is never sent again automatically and is listed for
reconciliation (``workbench delivery ambiguous``); ``"resend"`` sends it again with the same Message-ID.
"""

from .events import event_id, outcome_events
from .keys import normalise_address, send_key
from .ledger import Ledger, LedgerError, LedgerRow, PlannedMessage, RunCounts
from .runs import send_run
from .sender import Clock, DeliveryPolicy, Sender, SendReport, TokenBucket
from .suppression import REASONS, SuppressionImport, SuppressionList
from .transactional import DeliveryResult, SendOutcome, send_message

__all__ = [
    "REASONS",
    "Clock",
    "DeliveryPolicy",
    "DeliveryResult",
    "Ledger",
    "LedgerError",
    "LedgerRow",
    "PlannedMessage",
    "RunCounts",
    "SendOutcome",
    "SendReport",
    "Sender",
    "SuppressionImport",
    "SuppressionList",
    "TokenBucket",
    "event_id",
    "normalise_address",
    "outcome_events",
    "send_key",
    "send_message",
    "send_run",
]
