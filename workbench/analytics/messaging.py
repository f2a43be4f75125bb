"""Transactional messaging figures from the send events, under Pinpoint's ``txn-emails-*`` / ``txn-sms-*`` KPI names.

Every send appends Pinpoint-named events to the event log (``workbench/delivery/events.py`` lists them), and an
event stream imported from Pinpoint has the same names, so these figures read both the same way. *Transactional*
means a message of no campaign and no journey: its events carry neither a ``campaign_id`` nor a ``journey_id``
attribute (Pinpoint's "transactional" dashboards show direct sends, ``SendMessages``/``SendUsersMessages``).

E-mail (one event per outcome; each is counted on the day of its event):

- *sent* = ``_email.send`` events (one per message handed to the mail provider);
- *delivered* = sent - (hard bounces + soft bounces + rejections of sent messages): Pinpoint's definition, so a
  message counts as delivered once the provider took it and nothing says it failed, whether or not a
  ``_email.delivered`` confirmation came. Pinpoint's stream (Amazon SES) writes a send before every rejection;
  ours writes none when the provider refused the message outright (it was never sent), so a rejection is
  subtracted only when a ``_email.send`` of the same message (endpoint + ``message_id``) is in the log, or when it
  has no ``message_id`` to tell (an imported Pinpoint event). A bounce counted on a later day than its send can
  make one day's figure lower than that day's sends minus that day's bounces; the range total is exact;
- *hard / soft bounced* = ``_email.hardbounce`` / ``_email.softbounce`` events;
- *opened* / *clicked* = ``_email.open`` / ``_email.click`` events (every one; Pinpoint's tracking counts a
  recipient's opens or clicks in the same clock hour once, which is up to whoever records them);
- *unique opens* / *unique clicks* = distinct endpoints with such an event (per day; total: over the range);
- *with complaints* = messages with a ``_email.complaint`` (a recipient complaining twice about one message
  counts once when the events carry its ``message_id``);
- *delivery rate* = delivered / sent; *complaint rate* = with complaints / sent: null when nothing was sent.

SMS (a message is its ``message_id``, else its event: Pinpoint's stream can report one message as
``_SMS.BUFFERED`` first and ``_SMS.SUCCESS`` later, which must not count twice):

- *sent* = messages with a ``_SMS.SUCCESS``, ``_SMS.FAILURE`` or ``_SMS.BUFFERED`` event (``_SMS.OPTOUT`` is a
  reply, not a send);
- *sent by parts* = the sum of their ``number_of_message_parts`` (a message without it counts as one part);
- *delivered* = messages with a ``_SMS.SUCCESS`` (``record_status`` SUCCESSFUL -- the carrier took it -- or
  DELIVERED), *delivered by parts* the same in parts; *delivery rate* = delivered / sent, null when nothing was
  sent. Per day a message counts on each day it has an event; the range total counts it once.

Every function takes the common scope (``start``/``end``, ``segment``, ``platform``, ``channel``): the audience
filters keep the events of matching endpoints, so a send straight to an address with no endpoint counts only
when no audience filter is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from ._common import Scope, day_spine, scope_of, sql_str

if TYPE_CHECKING:
    from ..store import Store

EMAIL_SEND = "_email.send"
EMAIL_HARD_BOUNCE = "_email.hardbounce"
EMAIL_SOFT_BOUNCE = "_email.softbounce"
EMAIL_REJECTED = "_email.rejected"
EMAIL_OPEN = "_email.open"
EMAIL_CLICK = "_email.click"
EMAIL_COMPLAINT = "_email.complaint"
EMAIL_EVENTS = (
    EMAIL_SEND,
    EMAIL_HARD_BOUNCE,
    EMAIL_SOFT_BOUNCE,
    EMAIL_REJECTED,
    EMAIL_OPEN,
    EMAIL_CLICK,
    EMAIL_COMPLAINT,
)

SMS_SUCCESS = "_SMS.SUCCESS"
SMS_EVENTS = (SMS_SUCCESS, "_SMS.FAILURE", "_SMS.BUFFERED")

#: SQL over an event: it belongs to no campaign and no journey (empty values count as absent).
TRANSACTIONAL = (
    "nullif(attributes['campaign_id'], '') IS NULL AND nullif(attributes['journey_id'], '') IS NULL"
)

EMAIL_COLUMNS = (
    "sent",
    "delivered",
    "delivery_rate",
    "hard_bounced",
    "soft_bounced",
    "rejected",
    "opened",
    "unique_opens",
    "clicked",
    "unique_clicks",
    "with_complaints",
    "complaint_rate",
)
SMS_COLUMNS = ("sent", "sent_by_parts", "delivered", "delivered_by_parts", "delivery_rate")


def _is(event_type: str) -> str:
    return f"e.event_type = {sql_str(event_type)}"


def _email_sql(scope: Scope, *, by_day: bool) -> str:
    """One row per day of the scope (``by_day``) or one row for the whole range: the e-mail figures."""
    src = scope.events(event_types=EMAIL_EVENTS, extra=TRANSACTIONAL)
    # a message's identity across its events: endpoint + our (or the provider's) message id
    agg = f"""
        sent_messages AS (
            SELECT DISTINCT client_id, attributes['message_id'] AS message_id FROM events
            WHERE event_type = {sql_str(EMAIL_SEND)} AND attributes['message_id'] IS NOT NULL
        ),
        e AS (SELECT x.*, x.attributes['message_id'] AS message_id FROM {src} x),
        agg AS (
            SELECT {"e.date" if by_day else "NULL"} AS grp,
                count(*) FILTER (WHERE {_is(EMAIL_SEND)}) AS sent,
                count(*) FILTER (WHERE {_is(EMAIL_HARD_BOUNCE)}) AS hard_bounced,
                count(*) FILTER (WHERE {_is(EMAIL_SOFT_BOUNCE)}) AS soft_bounced,
                count(*) FILTER (WHERE {_is(EMAIL_REJECTED)}) AS rejected,
                count(*) FILTER (
                    WHERE {_is(EMAIL_REJECTED)} AND (e.message_id IS NULL OR s.client_id IS NOT NULL)
                ) AS rejected_after_send,
                count(*) FILTER (WHERE {_is(EMAIL_OPEN)}) AS opened,
                count(DISTINCT e.client_id) FILTER (WHERE {_is(EMAIL_OPEN)}) AS unique_opens,
                count(*) FILTER (WHERE {_is(EMAIL_CLICK)}) AS clicked,
                count(DISTINCT e.client_id) FILTER (WHERE {_is(EMAIL_CLICK)}) AS unique_clicks,
                count(DISTINCT coalesce(e.client_id || chr(31) || e.message_id, e.event_id))
                    FILTER (WHERE {_is(EMAIL_COMPLAINT)}) AS with_complaints
            FROM e LEFT JOIN sent_messages s
                ON {_is(EMAIL_REJECTED)} AND s.client_id = e.client_id AND s.message_id = e.message_id
            GROUP BY 1
        )"""
    figures = """
        coalesce(a.sent, 0) AS sent,
        coalesce(a.sent - a.hard_bounced - a.soft_bounced - a.rejected_after_send, 0) AS delivered,
        (a.sent - a.hard_bounced - a.soft_bounced - a.rejected_after_send) / nullif(a.sent, 0) AS delivery_rate,
        coalesce(a.hard_bounced, 0) AS hard_bounced, coalesce(a.soft_bounced, 0) AS soft_bounced,
        coalesce(a.rejected, 0) AS rejected,
        coalesce(a.opened, 0) AS opened, coalesce(a.unique_opens, 0) AS unique_opens,
        coalesce(a.clicked, 0) AS clicked, coalesce(a.unique_clicks, 0) AS unique_clicks,
        coalesce(a.with_complaints, 0) AS with_complaints,
        a.with_complaints / nullif(a.sent, 0) AS complaint_rate"""
    return _per_day_or_total(scope, agg, figures, by_day=by_day)


def _per_day_or_total(scope: Scope, agg: str, figures: str, *, by_day: bool) -> str:
    """``figures`` over the CTEs ``agg`` (whose ``agg`` table is grouped by ``grp``): one row per day of the scope
    (days without events included), or one row for the whole range."""
    if by_day:
        return f"""WITH {agg}
            SELECT d.date, {figures}
            FROM {day_spine(scope.start, scope.end)} d LEFT JOIN agg a ON a.grp = d.date ORDER BY d.date"""
    return f"WITH {agg} SELECT {figures} FROM (SELECT 1) one LEFT JOIN agg a ON true"


def _sms_sql(scope: Scope, *, by_day: bool) -> str:
    """One row per day of the scope (``by_day``) or one row for the whole range: the SMS figures."""
    src = scope.events(event_types=SMS_EVENTS, extra=TRANSACTIONAL)
    agg = f"""
        msg AS (
            SELECT {"e.date" if by_day else "NULL"} AS grp,
                coalesce(e.client_id || chr(31) || e.attributes['message_id'], e.event_id) AS message,
                max(coalesce(try_cast(e.attributes['number_of_message_parts'] AS BIGINT), 1)) AS parts,
                bool_or({_is(SMS_SUCCESS)}) AS delivered
            FROM {src} e GROUP BY 1, 2
        ),
        agg AS (
            SELECT grp, count(*) AS sent, sum(parts) AS sent_by_parts,
                count(*) FILTER (WHERE delivered) AS delivered,
                coalesce(sum(parts) FILTER (WHERE delivered), 0) AS delivered_by_parts
            FROM msg GROUP BY 1
        )"""
    figures = """
        coalesce(a.sent, 0) AS sent, CAST(coalesce(a.sent_by_parts, 0) AS BIGINT) AS sent_by_parts,
        coalesce(a.delivered, 0) AS delivered, CAST(coalesce(a.delivered_by_parts, 0) AS BIGINT) AS delivered_by_parts,
        a.delivered / nullif(a.sent, 0) AS delivery_rate"""
    return _per_day_or_total(scope, agg, figures, by_day=by_day)


def transactional_email(project: Store, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Transactional e-mail figures per day (see the module's definitions).

    Columns: ``date``, then ``sent, delivered, delivery_rate, hard_bounced, soft_bounced, rejected, opened,
    unique_opens, clicked, unique_clicks, with_complaints, complaint_rate`` (rates null on a day with no sends).
    """
    return project.query(_email_sql(scope_of(project, start, end, segment, **kw), by_day=True))


def transactional_email_summary(project: Store, start=None, end=None, segment=None, **kw) -> dict[str, Any]:
    """The transactional e-mail figures over the whole range (unique opens and clicks distinct over it)."""
    frame = project.query(_email_sql(scope_of(project, start, end, segment, **kw), by_day=False))
    return frame.row(0, named=True)


def transactional_sms(project: Store, start=None, end=None, segment=None, **kw) -> pl.DataFrame:
    """Transactional SMS figures per day: ``date, sent, sent_by_parts, delivered, delivered_by_parts,
    delivery_rate`` (see the module's definitions)."""
    return project.query(_sms_sql(scope_of(project, start, end, segment, **kw), by_day=True))


def transactional_sms_summary(project: Store, start=None, end=None, segment=None, **kw) -> dict[str, Any]:
    """The transactional SMS figures over the whole range (each message counted once)."""
    frame = project.query(_sms_sql(scope_of(project, start, end, segment, **kw), by_day=False))
    return frame.row(0, named=True)


# --- the KPIs -------------------------------------------------------------------------------------------------


def _rows(fn: Any, column: str) -> Any:
    def rows(project: Store, scope: Scope, **_: Any) -> pl.DataFrame:
        return fn(project, scope).select("date", pl.col(column).alias("value"))

    return rows


def _total(fn: Any, column: str) -> Any:
    def total(project: Store, scope: Scope, rows: pl.DataFrame, **_: Any) -> Any:
        return fn(project, scope)[column]

    return total


_SENT_MAIL = "transactional e-mails (no campaign_id or journey_id)"

#: (KPI name, column, unit, description) of the transactional e-mail KPIs, in Pinpoint's words where they fit.
EMAIL_KPIS: tuple[tuple[str, str, str, str], ...] = (
    ("txn-emails-sent", "sent", "count", f"Sent {_SENT_MAIL}: _email.send events"),
    (
        "txn-emails-delivered",
        "delivered",
        "count",
        "Transactional e-mails delivered, Pinpoint's way: sent minus hard bounces, soft bounces and rejections "
        "of sent messages (no _email.delivered confirmation needed)",
    ),
    (
        "txn-emails-delivery-rate",
        "delivery_rate",
        "rate",
        "Delivered / sent transactional e-mails (null when none were sent)",
    ),
    (
        "txn-emails-hard-bounced",
        "hard_bounced",
        "count",
        "Transactional e-mails that hard bounced: _email.hardbounce",
    ),
    (
        "txn-emails-soft-bounced",
        "soft_bounced",
        "count",
        "Transactional e-mails that soft bounced: _email.softbounce",
    ),
    ("txn-emails-opened", "opened", "count", "Opens of transactional e-mails: _email.open events, every one"),
    (
        "txn-emails-unique-opens",
        "unique_opens",
        "count",
        "Endpoints that opened a transactional e-mail (total: distinct over the range)",
    ),
    (
        "txn-emails-clicked",
        "clicked",
        "count",
        "Link clicks in transactional e-mails: _email.click events, every one",
    ),
    (
        "txn-emails-unique-clicks",
        "unique_clicks",
        "count",
        "Endpoints that clicked a link in a transactional e-mail (total: distinct over the range)",
    ),
    (
        "txn-emails-with-complaints",
        "with_complaints",
        "count",
        "Transactional e-mails reported as unwanted: messages with an _email.complaint",
    ),
    (
        "txn-emails-complaint-rate",
        "complaint_rate",
        "rate",
        "Transactional e-mails with complaints / sent (null when none were sent)",
    ),
)

#: (KPI name, column, unit, description) of the transactional SMS KPIs.
SMS_KPIS: tuple[tuple[str, str, str, str], ...] = (
    (
        "txn-sms-sent",
        "sent",
        "count",
        "Transactional SMS messages sent: messages with an _SMS.SUCCESS, _SMS.FAILURE or _SMS.BUFFERED "
        "(total: distinct over the range)",
    ),
    (
        "txn-sms-sent-by-parts",
        "sent_by_parts",
        "count",
        "Parts of the transactional SMS messages sent: sum of number_of_message_parts (missing = 1)",
    ),
    (
        "txn-sms-delivered",
        "delivered",
        "count",
        "Transactional SMS messages delivered: messages with an _SMS.SUCCESS (SUCCESSFUL or DELIVERED)",
    ),
    (
        "txn-sms-delivered-by-parts",
        "delivered_by_parts",
        "count",
        "Parts of the transactional SMS messages delivered (number_of_message_parts, missing = 1)",
    ),
    (
        "txn-sms-delivery-rate",
        "delivery_rate",
        "rate",
        "Delivered / sent transactional SMS messages (null when none were sent)",
    ),
)


def kpi_definitions() -> list[dict[str, Any]]:
    """The transactional KPIs as keyword arguments of ``analytics.kpis.Kpi`` (registered at the bottom of
    ``kpis.py``; this module does not import it, so either can be imported first)."""
    out: list[dict[str, Any]] = []
    for family, table, per_day, summary in (
        ("transactional email", EMAIL_KPIS, transactional_email, transactional_email_summary),
        ("transactional sms", SMS_KPIS, transactional_sms, transactional_sms_summary),
    ):
        for name, column, unit, description in table:
            out.append(
                {
                    "name": name,
                    "description": description,
                    "rows": _rows(per_day, column),
                    "total": _total(summary, column),
                    "unit": unit,
                    "family": family,
                }
            )
    return out
