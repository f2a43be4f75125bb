"""The events each outcome appends to the event log, with Pinpoint's names and attribute names.

One ledger row in a final state gives these events (``client.client_id`` = the endpoint id, or the address for
a direct send to an address with no endpoint, as Pinpoint's SendMessages ``Addresses`` map does):

===========  ============================================  ====================================================
channel      outcome                                       events
===========  ============================================  ====================================================
EMAIL        accepted                                      ``_email.send``; plus ``_email.delivered`` when the
                                                           adapter's acceptance IS the delivery (see below)
EMAIL        permanent, address problem (5.1.x)           ``_email.send``, ``_email.hardbounce``
EMAIL        permanent, not the address (5.7.x, content)   ``_email.rejected``
EMAIL        failed (retries used up)                      ``_email.send``, ``_email.softbounce``
EMAIL        ambiguous                                     ``_email.send`` (it may have gone)
SMS          accepted                                      ``_SMS.SUCCESS`` (record_status SUCCESSFUL, or
                                                           DELIVERED when acceptance is delivery)
SMS          permanent / failed                            ``_SMS.FAILURE`` (record_status INVALID, OPTED_OUT,
                                                           BLOCKED or UNREACHABLE)
SMS          ambiguous                                     ``_SMS.BUFFERED`` (record_status PENDING)
PUSH, other  any                                           ``_push.send`` with ``send_status`` (Pinpoint's stream
                                                           had no event for direct push sends)
campaign     any outcome of a campaign's message           also ``_campaign.send`` (campaign_send_status)
journey      any outcome of a journey's message            also ``_journey.send`` (journey_send_status)
===========  ============================================  ====================================================

Suppressed messages leave no ``_email``/``_SMS`` event (nothing was sent); a campaign's or journey's still gets
``_campaign.send``/``_journey.send`` with status ``OPT_OUT``.

What "delivered" means: an SMTP relay's 250 (Amazon SES, Postmark, a company's smarthost) says the relay took
the message, not that the mailbox did, so the smtp adapter's acceptance is ``_email.send`` only; delivery,
bounces after acceptance and complaints arrive later from the provider (webhooks, DSNs) as their own events. For
the outbox the written file IS the destination, so its acceptance is also ``_email.delivered``. The adapters whose
acceptance counts as delivery are ``[delivery] delivered_adapters`` (default ``["outbox"]``; add ``"smtp"`` when
the SMTP host is the recipients' own mail server).

Attributes: ``campaign_id``, ``campaign_activity_id``, ``treatment_id``, ``journey_id``, ``journey_run_id``,
``journey_activity_id`` (those the message carries), ``message_id`` (our Message-ID for e-mail, the provider's
id otherwise), and for SMS ``message_type``, ``record_status`` and ``number_of_message_parts``. Event ids are
uuid5(send key, event type), so a resume that appends the same outcome again adds nothing (the event log
skips known ids), and the event time is the outcome's time in the ledger. They are appended in batches
(``[delivery] events_batch``, and at the end of each pass of the loop); the ledger notes which rows' events are
in the log, so a crash between the two only makes the next pass append them again, which the log skips.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .keys import channel_family
from .ledger import LedgerRow

if TYPE_CHECKING:
    import polars as pl

#: Namespace of the delivery events' ids (uuid5 of send key + event type).
EVENT_NAMESPACE = uuid.UUID("0c7b3a9e-51d4-4b8e-a7f2-9e3d16c84b20")

#: Attributes copied from a message's attributes into its events (Pinpoint's names).
CARRIED_ATTRIBUTES = (
    "campaign_id",
    "campaign_activity_id",
    "treatment_id",
    "journey_id",
    "journey_run_id",
    "journey_activity_id",
    "journey_activity_type",
    "delivery_type",
)

DEFAULT_DELIVERED_ADAPTERS = ("outbox",)
MAX_ATTRIBUTE_VALUE = 200  # Pinpoint's limit on an event attribute's value

_SEND_STATUS = {
    "accepted": "SUCCESS",
    "permanent": "FAILURE",
    "failed": "TEMPORARY_FAILURE",
    "ambiguous": "UNKNOWN",
    "suppressed": "OPT_OUT",
}


def event_id(send_key: str, event_type: str) -> str:
    """The id of one event of one message: the same on every resume."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{send_key}\x1f{event_type}"))


def _ms(seconds: float | None) -> int:
    return round((seconds or 0) * 1000)


def _sms_status(row: LedgerRow) -> str:
    code = (row.last_code or "").split(" ")[0]
    if code in ("21610", "40300") or "opt" in (row.last_error or "").lower():
        return "OPTED_OUT"
    if row.state == "failed":
        return "UNREACHABLE"
    if row.state == "suppressed":
        return "BLOCKED"
    return "INVALID" if (row.last_code or "").startswith(("400", "404", "21211", "21614")) else "BLOCKED"


def outcome_events(
    row: LedgerRow, *, delivered: bool = False, now: float | None = None
) -> list[dict[str, Any]]:
    """The Pinpoint event-stream records for one ledger row in a final state (see the module's table)."""
    family = channel_family(row.channel)
    sent_at = _ms(row.first_sent_at or row.finished_at or now)
    done_at = _ms(row.finished_at or row.first_sent_at or now)
    attributes = {k: str(row.attributes[k]) for k in CARRIED_ATTRIBUTES if row.attributes.get(k)}
    message_id = row.message_id or row.provider_message_id
    if message_id:
        attributes["message_id"] = message_id
    client = {"client_id": row.endpoint_id or row.address}
    types: list[tuple[str, int, dict[str, str]]] = []
    state = row.state
    if family == "email":
        if state == "accepted":
            types.append(("_email.send", sent_at, {}))
            if delivered:
                types.append(("_email.delivered", done_at, {"feedback": "delivered"}))
        elif state == "permanent":
            if row.address_problem:
                types += [("_email.send", sent_at, {}), ("_email.hardbounce", done_at, {})]
            else:
                types.append(("_email.rejected", done_at, {}))
        elif state == "failed":
            types += [("_email.send", sent_at, {}), ("_email.softbounce", done_at, {})]
        elif state == "ambiguous":
            types.append(("_email.send", sent_at, {}))
    elif family == "sms":
        parts = _sms_parts(row)
        extra = {"message_type": "Promotional" if row.promotional else "Transactional"}
        if parts is not None:
            extra["number_of_message_parts"] = str(parts)
        if state == "accepted":
            types.append(
                (
                    "_SMS.SUCCESS",
                    done_at,
                    {**extra, "record_status": "DELIVERED" if delivered else "SUCCESSFUL"},
                )
            )
        elif state in ("permanent", "failed"):
            types.append(("_SMS.FAILURE", done_at, {**extra, "record_status": _sms_status(row)}))
        elif state == "ambiguous":
            types.append(("_SMS.BUFFERED", done_at, {**extra, "record_status": "PENDING"}))
    elif state != "suppressed":
        types.append(("_push.send", done_at, {"send_status": _SEND_STATUS.get(state, "UNKNOWN")}))
    status = _SEND_STATUS.get(state, "UNKNOWN")
    if row.source == "campaign":
        types.append(("_campaign.send", done_at, {"campaign_send_status": status}))
    elif row.source == "journey":
        types.append(("_journey.send", done_at, {"journey_send_status": status}))
    return [
        {
            "event_id": event_id(row.send_key, event_type),
            "event_type": event_type,
            "event_timestamp": ts,
            "client": dict(client),
            "user_id": row.user_id,
            "attributes": {**attributes, **extra_attrs},
        }
        for event_type, ts, extra_attrs in types
    ]


def _sms_parts(row: LedgerRow) -> int | None:
    body = row.parts.get("Body")
    if not isinstance(body, str) or not body:
        return None
    from ..messages.sms import sms_parts

    return sms_parts(body).parts


def event_frame(records: Sequence[dict[str, Any]], *, now: datetime | None = None) -> pl.DataFrame:
    """The delivery events as an event-log frame (``store.event_log.POLARS_SCHEMA``), built column by column.

    A speed path for bench_send.py: ``ingest.events.record_events`` validates each record in Python and builds
    the attribute maps from Python objects (about 0.25 ms an event here: 10 s of a 20,000-send campaign's 40,000
    events); these records are made by :func:`outcome_events`, valid by construction, and the attribute maps are
    built from one long key/value frame (about 5 µs an event). Pinpoint's 200-character limit on attribute
    values is applied by cutting (a campaign id over it must not make its events vanish).
    """
    import polars as pl

    from ..store.event_log import POLARS_SCHEMA

    n = len(records)
    idx, keys, values = [], [], []
    for i, record in enumerate(records):
        for key, value in record["attributes"].items():
            idx.append(i)
            keys.append(key)
            values.append(str(value)[:MAX_ATTRIBUTE_VALUE])
    attributes = (
        pl.DataFrame({"__i": pl.Series(idx, dtype=pl.UInt32), "key": keys, "value": values})
        .group_by("__i")
        .agg(pl.struct("key", "value").alias("attributes"))
    )
    arrival = (now or datetime.now(UTC)).replace(tzinfo=None)
    base = pl.DataFrame(
        {
            "__i": pl.Series(range(n), dtype=pl.UInt32),
            "event_id": [r["event_id"] for r in records],
            "event_type": [r["event_type"] for r in records],
            "event_timestamp": pl.Series([r["event_timestamp"] for r in records], dtype=pl.Int64).cast(
                pl.Datetime("ms")
            ),
            "client_id": [r["client"]["client_id"] for r in records],
            "user_id": pl.Series([r.get("user_id") for r in records], dtype=pl.String),
        }
    ).with_columns(pl.lit(arrival).cast(pl.Datetime("ms")).alias("arrival_timestamp"))
    frame = base.join(attributes, on="__i", how="left", maintain_order="left").drop("__i")
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in POLARS_SCHEMA.items()
    )


def event_writer(store: Any, adapter_name: str) -> Callable[[Sequence[LedgerRow]], None]:
    """The send loop's event sink for a project: appends the rows' events to the event log (ids that are
    already there, from an earlier pass over the same outcomes, are skipped by the log)."""
    from ..ingest.events import append_events
    from ..store.views import OUTCOME_MARK

    delivered_by = store.setting("delivery.delivered_adapters", list(DEFAULT_DELIVERED_ADAPTERS))
    delivered = adapter_name in set(delivered_by or ())

    def sink(rows: Sequence[LedgerRow]) -> None:
        records = [e for row in rows for e in outcome_events(row, delivered=delivered)]
        if records:
            # marked as outcomes: the analytics' default range ends at the last of the other events
            append_events(store.events_dir, event_frame(records), origin=OUTCOME_MARK)

    return sink
