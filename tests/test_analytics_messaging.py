"""Pinpoint's transactional KPIs (txn-emails-*, txn-sms-*) against answers worked out by hand.

Two logs: a hand-built one (``record_events``) whose every figure is computed in the comments next to the
definition, and a real one written by sends through the outbox and a real aiosmtpd server (a 550 5.1.1 hard
bounce), read by the KPIs and by a saved ``Behavior.Engagement`` BOUNCED segment.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import helpers
import pytest
from helpers import write_csv
from servers import smtp_server

from workbench import Project
from workbench.analytics import KPIS, kpi
from workbench.analytics.messaging import transactional_email, transactional_sms
from workbench.delivery import send_message
from workbench.ingest.events import record_events
from workbench.messages.templates import save_template

HEADER = ["Id", "ChannelType", "Address", "Demographic.Platform"]
ENDPOINTS = [
    ["e1", "EMAIL", "one@example.com", "iOS"],
    ["e2", "EMAIL", "two@example.com", "Android"],
    ["e3", "EMAIL", "three@example.com", "iOS"],
    ["s1", "SMS", "+12065550100", "iOS"],
    ["s2", "SMS", "+12065550101", "Android"],
]
D1, D2, D3 = date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)
R = {"start": D1, "end": D3}


def ev(client, event_type, day, message_id=None, hour=12, **attributes):
    """One event-stream record at ``hour`` of ``day`` (``message_id`` None: an imported Pinpoint event without one).

    Events without an ``event_id`` get one from their content, so two alike events differ by their hour."""
    if message_id is not None:
        attributes["message_id"] = message_id
    return {
        "event_type": event_type,
        "event_timestamp": f"{day.isoformat()}T{hour:02d}:00:00Z",
        "client": {"client_id": client},
        "attributes": {k: str(v) for k, v in attributes.items()},
    }


EMAIL_EVENTS = [
    ev("e1", "_email.send", date(2026, 9, 30), "m0"),  # before the range: never counted
    # --- day 1
    ev("e1", "_email.send", D1, "m1"),
    ev("e1", "_email.delivered", D1, "m1"),  # not needed for "delivered" (Pinpoint: sent - failures)
    ev("e1", "_email.open", D1, "m1"),
    ev("e1", "_email.open", D1, "m1", hour=13),  # two opens by one endpoint
    ev("e1", "_email.click", D1, "m1"),
    ev("e2", "_email.send", D1, "m2"),
    ev("e2", "_email.hardbounce", D1, "m2"),
    ev("e3", "_email.send", D1, "m3"),
    ev("e3", "_email.softbounce", D1, "m3"),
    ev("e1", "_email.send", D1, "m4"),
    ev("e1", "_email.complaint", D1, "m4"),
    ev("e1", "_email.complaint", D1, "m4", hour=14),  # the same message complained about twice: one message
    ev("x@example.com", "_email.send", D1, "m5"),  # a send to an address with no endpoint
    ev("e1", "_email.rejected", D1, "m7"),  # refused outright: never sent, so not subtracted
    ev("e2", "_email.send", D1, "c1", campaign_id="camp-1"),  # a campaign's: not transactional
    ev("e2", "_email.open", D1, "c1", campaign_id="camp-1"),
    ev("e3", "_email.send", D1, "j1", journey_id="jour-1"),  # a journey's: not transactional
    ev("e3", "_email.hardbounce", D1, "j1", journey_id="jour-1"),
    # --- day 2
    ev("e2", "_email.send", D2, "m8"),
    ev("e2", "_email.open", D2, "m8"),
    ev("e1", "_email.open", D2, "m1"),
    ev("e3", "_email.send", D2, "m9"),
    ev("e3", "_email.rejected", D2, "m9"),  # rejected after a send of the same message: subtracted
    ev("e1", "_email.send", D2),  # Pinpoint's stream: no message_id, a send then its rejection
    ev("e1", "_email.rejected", D2),
    # --- day 3: nothing
]

# Definitions (transactional = no campaign_id / journey_id), worked out on the events above:
#   sent        = _email.send            day 1: m1 m2 m3 m4 m5 = 5     day 2: m8 m9 (no id) = 3    day 3: 0
#   hard        = _email.hardbounce      day 1: m2 = 1                  day 2: 0
#   soft        = _email.softbounce      day 1: m3 = 1                  day 2: 0
#   rejected after a send                day 1: 0 (m7 never sent)       day 2: m9 + the one without id = 2
#   delivered   = sent - hard - soft - rejected after a send:  day 1: 5-1-1-0 = 3   day 2: 3-0-0-2 = 1   day 3: 0
#   delivery rate = delivered / sent:    day 1: 3/5        day 2: 1/3         day 3: null (nothing sent)
#   opened      = _email.open events     day 1: 2 (e1 twice)            day 2: 2 (e2, e1)
#   unique opens = distinct endpoints    day 1: 1 (e1)    day 2: 2 (e1, e2)    range: 2 (e1, e2)
#   clicked / unique clicks              day 1: 1 / 1     day 2: 0 / 0         range: 1 / 1
#   with complaints = messages with one  day 1: 1 (m4)    day 2: 0             range: 1
#   complaint rate = complaints / sent   day 1: 1/5       day 2: 0/3 = 0.0     day 3: null
#   range totals: sent 8, delivered 4, rate 4/8, hard 1, soft 1, opened 4, complaints 1, complaint rate 1/8
EMAIL_ANSWERS = {
    "txn-emails-sent": ([5, 3, 0], 8),
    "txn-emails-delivered": ([3, 1, 0], 4),
    "txn-emails-delivery-rate": ([3 / 5, 1 / 3, None], 4 / 8),
    "txn-emails-hard-bounced": ([1, 0, 0], 1),
    "txn-emails-soft-bounced": ([1, 0, 0], 1),
    "txn-emails-opened": ([2, 2, 0], 4),
    "txn-emails-unique-opens": ([1, 2, 0], 2),
    "txn-emails-clicked": ([1, 0, 0], 1),
    "txn-emails-unique-clicks": ([1, 0, 0], 1),
    "txn-emails-with-complaints": ([1, 0, 0], 1),
    "txn-emails-complaint-rate": ([1 / 5, 0.0, None], 1 / 8),
}

SMS_EVENTS = [
    # day 1
    ev("s1", "_SMS.SUCCESS", D1, "sms1", record_status="SUCCESSFUL", number_of_message_parts=2),
    ev("s2", "_SMS.FAILURE", D1, "sms2", record_status="UNREACHABLE", number_of_message_parts=1),
    ev("s1", "_SMS.BUFFERED", D1, "sms3", record_status="PENDING", number_of_message_parts=3),
    ev("s1", "_SMS.SUCCESS", D1, None, record_status="DELIVERED"),  # no id, no parts: one message, one part
    ev("s2", "_SMS.SUCCESS", D1, "csms", campaign_id="camp-1", number_of_message_parts=4),  # a campaign's
    ev("s2", "_SMS.OPTOUT", D1, None),  # a reply, not a send
    # day 2: sms3's outcome arrives
    ev("s1", "_SMS.SUCCESS", D2, "sms3", record_status="DELIVERED", number_of_message_parts=3),
]
# Definitions: a message = its message_id (else its event); sent = messages with _SMS.SUCCESS/FAILURE/BUFFERED;
# delivered = messages with _SMS.SUCCESS; parts = number_of_message_parts (missing = 1).
#   day 1: sent sms1 sms2 sms3 (no id) = 4, parts 2+1+3+1 = 7; delivered sms1 (no id) = 2, parts 2+1 = 3; rate 2/4
#   day 2: sent sms3 = 1, parts 3; delivered sms3 = 1, parts 3; rate 1/1
#   day 3: 0, rate null
#   range (each message once): sent 4, parts 7; delivered sms1 sms3 (no id) = 3, parts 2+3+1 = 6; rate 3/4
SMS_ANSWERS = {
    "txn-sms-sent": ([4, 1, 0], 4),
    "txn-sms-sent-by-parts": ([7, 3, 0], 7),
    "txn-sms-delivered": ([2, 1, 0], 3),
    "txn-sms-delivered-by-parts": ([3, 3, 0], 6),
    "txn-sms-delivery-rate": ([2 / 4, 1.0, None], 3 / 4),
}


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    root = tmp_path_factory.mktemp("txn")
    project = Project.create(root / "project")
    project.endpoints.import_files(write_csv(root / "ep.csv", HEADER, ENDPOINTS), progress=False)
    record_events(project, EMAIL_EVENTS + SMS_EVENTS)
    return project


def approx(values):
    return [v if v is None else pytest.approx(v) for v in values]


@pytest.mark.parametrize("name", sorted({**EMAIL_ANSWERS, **SMS_ANSWERS}))
def test_each_transactional_kpi_known_answer(hand, name):
    days, total = {**EMAIL_ANSWERS, **SMS_ANSWERS}[name]
    result = kpi(hand, name, **R)
    assert result.rows.get_column("date").to_list() == [D1, D2, D3]
    assert result.rows.get_column("value").to_list() == approx(days)
    assert result.total == pytest.approx(total)
    assert result.unit == ("rate" if name.endswith("-rate") else "count")
    assert KPIS[name].description  # what `workbench kpi --list` shows


def test_the_per_day_frames_hold_every_figure(hand):
    email = transactional_email(hand, **R)
    assert email.get_column("rejected").to_list() == [1, 2, 0]  # every _email.rejected, sent or not
    sms = transactional_sms(hand, **R)
    assert sms.columns == [
        "date",
        "sent",
        "sent_by_parts",
        "delivered",
        "delivered_by_parts",
        "delivery_rate",
    ]


def test_scope_platform_segment_channel_and_range(hand):
    # iOS endpoints are e1, e3 (and s1): the address-only send m5 and e2's m2, m8 drop out.
    #   day 1: sent m1 m3 m4 = 3, soft m3 -> delivered 2; day 2: sent m9 + e1's = 2, both rejected -> 0
    ios = kpi(hand, "txn-emails-delivered", **R, platform="iOS")
    assert ios.rows.get_column("value").to_list() == [2, 0, 0] and ios.total == 2
    assert kpi(hand, "txn-emails-sent", **R, platform="iOS").total == 5
    assert kpi(hand, "txn-emails-delivery-rate", **R, platform="iOS").total == pytest.approx(2 / 5)
    # a segment as SQL over endpoints: the same answer
    seg = {"where": "\"Demographic.Platform\" = 'iOS'"}
    assert kpi(hand, "txn-emails-delivered", **R, segment=seg).total == 2
    # s1 (iOS): sms1, sms3, the one without id -> sent 3, delivered 3
    assert kpi(hand, "txn-sms-delivery-rate", **R, platform="iOS").total == pytest.approx(1.0)
    # the SMS channel has no e-mail events: zero sent, and a rate of nothing is null, not 0
    sms_only = kpi(hand, "txn-emails-delivery-rate", **R, channel="SMS")
    assert sms_only.total is None and sms_only.rows.get_column("value").to_list() == [None] * 3
    assert kpi(hand, "txn-emails-sent", **R, channel="SMS").total == 0
    assert kpi(hand, "txn-sms-sent", **R, channel="EMAIL").total == 0
    # the range: day 2 alone
    assert kpi(hand, "txn-emails-sent", D2, D2).total == 3
    assert kpi(hand, "txn-sms-sent", D2, D2).total == 1
    assert kpi(hand, "txn-emails-sent", "2026-09-30", "2026-09-30").total == 1  # m0


def test_transactional_kpis_are_project_kpis(hand):
    from workbench.errors import InputError

    with pytest.raises(InputError, match="takes no --campaign"):
        kpi(hand, "txn-emails-sent", **R, campaign="camp-1")


def test_kpi_cli_lists_and_computes_them(hand, capsys):
    from workbench.cli import main

    assert main(["kpi", "--list", "--json", "--project", str(hand.path)]) == 0
    listed = {k["kpi"]: k for k in json.loads(capsys.readouterr().out)["kpis"]}
    assert {"txn-emails-sent", "txn-sms-sent-by-parts", "txn-emails-complaint-rate"} <= set(listed)
    assert "_email.send" in listed["txn-emails-sent"]["description"]
    args = ["kpi", "txn-emails-hard-bounced", "--start", "2026-10-01", "--end", "2026-10-03"]
    assert main([*args, "--json", "--project", str(hand.path)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["total"] == 1 and [r["value"] for r in payload["rows"]] == [1, 0, 0]


# --- end to end: real sends, the real event log, a saved Behavior.Engagement segment ---------------------------

SEND_HEADER = ["Id", "ChannelType", "Address"]
SEND_ENDPOINTS = [
    ["a", "EMAIL", "a@example.com"],
    ["b", "EMAIL", "b@example.com"],
    ["c", "EMAIL", "c@example.com"],
    ["d", "EMAIL", "gone@example.com"],
]


def test_sends_through_the_outbox_and_smtp_feed_the_kpis_and_a_bounced_segment(project, tmp_path):
    project.endpoints.import_files(
        write_csv(tmp_path / "ep.csv", SEND_HEADER, SEND_ENDPOINTS), progress=False
    )
    save_template(project, "receipt", "email", {"Subject": "Your receipt", "HtmlPart": "<p>Thanks</p>"})
    email = ("channels.email",)
    helpers.configure(
        project.path, '[channels.email]\nadapter = "outbox"\nfrom = "shop@example.com"\n', replace=email
    )
    project = Project.open(project.path)
    for endpoint in ("a", "b", "c"):  # three through the outbox: each _email.send + _email.delivered
        assert send_message(project, channel="email", template="receipt", endpoint_id=endpoint).ok
    with smtp_server(
        faults={"gone@example.com": "550"}
    ) as sink:  # 550 5.1.1: _email.send + _email.hardbounce
        helpers.configure(
            project.path,
            f'[channels.email]\nadapter = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\n'
            'from = "shop@example.com"\ntimeout = 5\n\n[delivery]\nretry_base_seconds = 0.01\n',
            replace=email,
        )
        project = Project.open(project.path)
        outcome = send_message(project, channel="email", template="receipt", endpoint_id="d")
        assert outcome.results[0].delivery_status == "PERMANENT_FAILURE"
    today = datetime.now(UTC).date()
    # by hand: sent = 3 outbox + 1 smtp = 4; hard bounced = d = 1; delivered = 4 - 1 = 3; rate 3/4
    assert kpi(project, "txn-emails-sent", today, today).total == 4
    assert kpi(project, "txn-emails-hard-bounced", today, today).total == 1
    assert kpi(project, "txn-emails-delivered", today, today).total == 3
    assert kpi(project, "txn-emails-delivery-rate", today, today).total == pytest.approx(0.75)
    # Pinpoint's WriteSegmentRequest: Dimensions.Behavior.Engagement, Action BOUNCED (_email.hard/softbounce)
    bounced = project.segments.create(
        "bounced", {"Dimensions": {"Behavior": {"Engagement": [{"Action": "BOUNCED"}]}}}
    )
    assert bounced.members().get_column("Id").to_list() == ["d"]
    assert project.segments.load("bounced").count().endpoints == 1  # the saved one, read back
    # the KPIs scoped to that saved segment: only d's send, which bounced
    assert kpi(project, "txn-emails-sent", today, today, segment="bounced").total == 1
    assert kpi(project, "txn-emails-hard-bounced", today, today, segment="bounced").total == 1
    assert kpi(project, "txn-emails-delivery-rate", today, today, segment="bounced").total == 0.0
