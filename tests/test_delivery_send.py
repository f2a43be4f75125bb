"""Transactional sends and the send loop end to end: a real project, the real outbox and smtp adapters, a real
aiosmtpd server with fault injection (tests/servers.py), the event log, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import helpers
import pytest
from helpers import write_csv
from servers import smtp_server

from workbench import Project
from workbench.delivery import Ledger, PlannedMessage, SuppressionList, send_key, send_message, send_run
from workbench.errors import InputError, UnknownNameError
from workbench.messages.email import compose_email
from workbench.messages.templates import save_template

HEADER = [
    "Id",
    "ChannelType",
    "Address",
    "User.UserId",
    "OptOut",
    "EndpointStatus",
    "User.UserAttributes.FirstName",
]
ROWS = [
    ["e1", "EMAIL", "ada@example.com", "u1", "NONE", "ACTIVE", "Ada"],
    ["e2", "EMAIL", "ada.work@example.com", "u1", "NONE", "ACTIVE", "Ada"],
    ["e3", "EMAIL", "ADA@example.com", "u1", "NONE", "ACTIVE", "Ada"],  # the same mailbox again
    ["e4", "EMAIL", "bob@example.com", "u2", "ALL", "ACTIVE", "Bob"],
    ["s1", "SMS", "+12065550100", "u1", "NONE", "ACTIVE", "Ada"],
    ["s2", "SMS", "+12065550101", "u3", "NONE", "ACTIVE", "Cy"],
]


def configure(project: Project, text: str) -> Project:
    """Replace the project's [channels.*] sections with ``text`` (and add any other sections in it)."""
    helpers.configure(project.path, text, replace=("channels.email", "channels.sms", "delivery"))
    return Project.open(project.path)


@pytest.fixture
def shop(project, tmp_path):
    project.endpoints.import_files(write_csv(tmp_path / "ep.csv", HEADER, ROWS), progress=False)
    save_template(
        project,
        "welcome",
        "email",
        {
            "Subject": "Hello {{User.UserAttributes.FirstName}}",
            "HtmlPart": "<p>Hi {{User.UserAttributes.FirstName}}, your code is {{code}}</p>",
            "DefaultSubstitutions": json.dumps({"code": "none"}),
        },
    )
    save_template(project, "otp", "sms", {"Body": "Code {{code}} for {{User.UserAttributes.FirstName}}"})
    return configure(
        project,
        """
[channels.email]
adapter = "outbox"
from = "Shop <shop@example.com>"

[channels.sms]
adapter = "outbox"

[delivery]
retry_base_seconds = 0.01
transactional_wait_seconds = 5
""",
    )


def events(project, kind=None):
    sql = "SELECT event_type, client_id, attributes FROM events"
    frame = project.query(sql + (" WHERE event_type = ?" if kind else ""), [kind] if kind else None)
    return frame.to_dicts()


def test_send_to_an_endpoint_through_the_outbox(shop):
    outcome = send_message(
        shop, channel="email", template="welcome", endpoint_id="e1", substitutions={"code": ["1234"]}
    )
    assert outcome.ok and outcome.counts == {"SUCCESSFUL": 1}
    result = outcome.results[0]
    assert result.address == "ada@example.com" and result.status_code == 200
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.com>", result.message_id)
    written = list((shop.outbox_dir / outcome.run.replace(":", "_")).glob("*.eml")) or list(
        shop.outbox_dir.rglob("*.eml")
    )
    assert len(written) == 1
    mime = written[0].read_bytes()
    assert b"Hello Ada" in mime and b"1234" in mime and result.message_id.encode() in mime
    assert b"List-Unsubscribe" not in mime  # transactional
    kinds = sorted(e["event_type"] for e in events(shop))
    assert kinds == ["_email.delivered", "_email.send"]  # the outbox's file is the destination
    sent = events(shop, "_email.send")[0]
    assert sent["client_id"] == "e1"
    assert dict(sent["attributes"])["message_id"] == result.message_id
    html = outcome._repr_html_()
    assert "SUCCESSFUL" in html and "e1" in html


def test_the_same_request_id_never_sends_twice(shop):
    first = send_message(shop, channel="email", template="welcome", endpoint_id="e1", request_id="order-17")
    again = send_message(shop, channel="email", template="welcome", endpoint_id="e1", request_id="order-17")
    assert first.results[0].send_key == again.results[0].send_key
    assert len(list(shop.outbox_dir.rglob("*.eml"))) == 1
    assert len(events(shop, "_email.send")) == 1


def test_user_fan_out_marks_duplicate_addresses(shop):
    outcome = send_message(shop, channel="email", template="welcome", user_id="u1")
    by_endpoint = {r.endpoint_id: r.delivery_status for r in outcome.results}
    assert by_endpoint == {"e1": "SUCCESSFUL", "e2": "SUCCESSFUL", "e3": "DUPLICATE"}
    response = outcome.message_response()
    assert set(response["EndpointResult"]) == {"e1", "e2", "e3"}


def test_sms_to_an_address_counts_parts_in_the_events(shop):
    outcome = send_message(
        shop, channel="sms", template="otp", to="+1 (206) 555-0101", substitutions={"code": ["9"]}
    )
    assert outcome.ok and outcome.results[0].address == "+12065550101"
    assert outcome.results[0].endpoint_id == "s2"  # the project's endpoint with that number
    line = json.loads(next(shop.outbox_dir.rglob("sms.jsonl")).read_text().splitlines()[0])
    assert line["parts"]["Body"] == "Code 9 for Cy"
    [success] = events(shop, "_SMS.SUCCESS")
    attrs = dict(success["attributes"])
    assert attrs["number_of_message_parts"] == "1" and attrs["message_type"] == "Transactional"
    assert attrs["record_status"] == "DELIVERED"


def test_bad_addresses_are_refused_before_sending(shop):
    with pytest.raises(InputError, match=r"not a valid phone number|not a phone number"):
        send_message(shop, channel="sms", template="otp", to="+1206")
    with pytest.raises(InputError, match="invalid e-mail address"):
        send_message(shop, channel="email", template="welcome", to="not-an-address")
    with pytest.raises(UnknownNameError, match=r"channels: .*email.*sms"):
        send_message(shop, channel="emial", template="welcome", to="a@example.com")
    with pytest.raises(UnknownNameError, match="no endpoint with Id 'nope'"):
        send_message(shop, channel="email", template="welcome", endpoint_id="nope")
    with pytest.raises(InputError, match="is a SMS endpoint, not EMAIL"):
        send_message(shop, channel="email", template="welcome", endpoint_id="s1")
    assert not shop.delivery_path.exists() or not Ledger.for_store(shop).runs()
    assert not list(shop.outbox_dir.rglob("*.eml"))


def test_transactional_and_promotional_suppression_rules(shop):
    sup = SuppressionList.for_store(shop)
    sup.add("Ada@Example.com", reason="UNSUBSCRIBE")
    receipt = send_message(shop, channel="email", template="welcome", endpoint_id="e1")
    assert receipt.results[0].delivery_status == "SUCCESSFUL"  # an unsubscribe does not stop a receipt
    promo = shop
    offer = send_message(
        promo, channel="email", template="welcome", endpoint_id="e1", message_type="PROMOTIONAL"
    )
    assert offer.results[0].delivery_status == "OPT_OUT"
    assert "UNSUBSCRIBE" in offer.results[0].status_message
    # OptOut=ALL: no promotional message, transactional ones still go
    optout = send_message(
        promo, channel="email", template="welcome", endpoint_id="e4", message_type="PROMOTIONAL"
    )
    assert optout.results[0].delivery_status == "OPT_OUT" and "OptOut" in optout.results[0].status_message
    assert send_message(promo, channel="email", template="welcome", endpoint_id="e4").ok
    sup.add("bob@example.com", reason="COMPLAINT")
    assert (
        send_message(promo, channel="email", template="welcome", endpoint_id="e4").results[0].delivery_status
        == "OPT_OUT"
    )


def test_promotional_email_carries_one_click_unsubscribe(shop):
    promo = shop  # [tracking] base_url: the default loopback URL (https is required elsewhere)
    outcome = send_message(
        promo, channel="email", template="welcome", endpoint_id="e2", message_type="PROMOTIONAL"
    )
    assert outcome.ok
    mime = next(promo.outbox_dir.rglob("*.eml")).read_bytes()
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in mime


def smtp_project(project: Project, sink, extra: str = "") -> Project:
    return configure(
        project,
        f"""
[channels.email]
adapter = "smtp"
host = "{sink.host}"
port = {sink.port}
from = "Shop <shop@example.com>"
connections = 2
timeout = 5

[delivery]
retry_base_seconds = 0.01
transactional_wait_seconds = 10
{extra}
""",
    )


def test_smtp_4xx_is_retried_then_accepted(shop):
    with smtp_server(faults={"ada@example.com": ["451", "452"]}) as sink:
        project = smtp_project(shop, sink)
        outcome = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert outcome.ok
        assert sink.message_ids() == [outcome.results[0].message_id]
        assert sink.handler.attempts == 3
    [row] = Ledger.for_store(project).rows(outcome.run)
    assert row.attempts == 3 and row.state == "accepted"
    assert [e["event_type"] for e in events(project)] == ["_email.send"]  # a relay's 250 is not delivery


def test_smtp_hard_bounce_suppresses_and_records_a_hardbounce(shop):
    with smtp_server(faults={"ada@example.com": "550"}) as sink:
        project = smtp_project(shop, sink)
        outcome = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert outcome.results[0].delivery_status == "PERMANENT_FAILURE"
        assert SuppressionList.for_store(project).reasons("ada@example.com") == ["BOUNCE"]
        assert sorted(e["event_type"] for e in events(project)) == ["_email.hardbounce", "_email.send"]
        # the next message to that address is not even attempted
        again = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert again.results[0].delivery_status == "OPT_OUT"
        assert sink.handler.attempts == 1


def test_smtp_500_forever_ends_failed_in_bounded_time(shop):
    with smtp_server(faults={"ada@example.com": ["451"] * 50}) as sink:
        project = smtp_project(shop, sink, "max_attempts = 3")
        started = time.monotonic()
        outcome = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert time.monotonic() - started < 10
        assert outcome.results[0].delivery_status == "TEMPORARY_FAILURE"
        assert outcome.results[0].state == "failed"
        assert sink.handler.attempts == 3
        assert sorted(e["event_type"] for e in events(project)) == ["_email.send", "_email.softbounce"]


def test_smtp_drop_after_data_is_held_as_ambiguous(shop):
    with smtp_server(faults={"ada@example.com": "drop_queued"}) as sink:
        project = smtp_project(shop, sink)
        outcome = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert outcome.results[0].delivery_status == "UNKNOWN_FAILURE"
        ledger = Ledger.for_store(project)
        [held] = ledger.ambiguous()
        assert held.send_key == outcome.results[0].send_key
        # resuming never re-sends it under the default policy
        send_run(project, outcome.run)
        assert len(sink.message_ids()) == 1
        # reconciliation says it did not arrive: send it again, with the same Message-ID
        ledger.resolve(held.send_key, "retryable")
        send_run(project, outcome.run)
        assert sink.message_ids() == [outcome.results[0].message_id] * 2


def test_a_campaign_run_checks_suppression_at_send_time(shop, tmp_path):
    """Plan a run, suppress an address afterwards, then send: the gate is at send time."""
    with smtp_server() as sink:
        project = smtp_project(shop, sink)
        planned = []
        for i in range(20):
            key = send_key("campaign", "c1", "run1", f"x{i}", "EMAIL")
            mime = compose_email(
                send_key=key,
                sender="shop@example.com",
                to=f"p{i}@example.com",
                subject="s",
                text="t",
                promotional=True,
                unsubscribe_url="https://t.example.com/u/x",
            ).as_bytes()
            planned.append(
                PlannedMessage(
                    key,
                    "EMAIL",
                    f"p{i}@example.com",
                    mime=mime,
                    endpoint_id=f"x{i}",
                    attributes={"campaign_id": "c1", "treatment_id": "0"},
                )
            )
        with Ledger.for_store(project) as ledger:
            ledger.plan("run1", "campaign", "c1", planned)
        SuppressionList.for_store(project).add("P3@example.com", reason="UNSUBSCRIBE")
        [report] = send_run(project, "run1")
        assert report.counts.states == {"accepted": 19, "suppressed": 1}
        assert len(sink.message_ids()) == 19
        campaign = events(project, "_campaign.send")
        assert len(campaign) == 20
        assert {dict(e["attributes"])["campaign_id"] for e in campaign} == {"c1"}
        statuses = sorted(dict(e["attributes"])["campaign_send_status"] for e in campaign)
        assert statuses.count("OPT_OUT") == 1


def run_cli(project, *args):
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args, "--project", str(project.path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_send_and_suppression(shop, tmp_path):
    done = run_cli(
        shop,
        "send",
        "--channel",
        "email",
        "--endpoint",
        "e1",
        "--template",
        "welcome",
        "--substitution",
        "code=77",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["counts"] == {"SUCCESSFUL": 1}
    assert payload["results"][0]["Address"] == "ada@example.com"

    done = run_cli(shop, "suppression", "add", "ada@example.com", "--reason", "complaint", "--json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(run_cli(shop, "suppression", "list", "--json").stdout)
    assert listed["count"] == 1 and "ada@example.com" not in json.dumps(listed)
    assert listed["entries"][0]["reason"] == "COMPLAINT"

    bad = tmp_path / "bad.csv"
    bad.write_text("address,reason\nok@example.com,BOUNCE\nnot-an-address,BOUNCE\n")
    done = run_cli(shop, "suppression", "import", str(bad), "--json")
    assert done.returncode == 1 and f"{bad}:3: field address" in done.stderr
    good = tmp_path / "good.txt"
    good.write_text("one@example.com\n\n+12065550100\n")
    done = run_cli(shop, "suppression", "import", str(good), "--json")
    assert json.loads(done.stdout) == {"file": str(good), "lines": 2, "added": 2, "already": 0}

    done = run_cli(
        shop, "send", "--channel", "email", "--to", "ada@example.com", "--template", "welcome", "--json"
    )
    assert done.returncode == 2
    assert json.loads(done.stdout)["results"][0]["DeliveryStatus"] == "OPT_OUT"

    done = run_cli(shop, "send", "--channel", "fax", "--to", "x", "--template", "welcome", "--json")
    assert done.returncode == 1 and "channels:" in done.stderr
    status = json.loads(run_cli(shop, "delivery", "status", "--json").stdout)
    assert len(status["runs"]) == 2


def test_suppression_list_stores_no_addresses(shop):
    sup = SuppressionList.for_store(shop)
    sup.add("secret.person@example.com", reason="MANUAL")
    sup.add("+12065550199", channel="sms", reason="SMS_STOP")
    data = Path(shop.delivery_path).read_bytes() + Path(str(shop.delivery_path) + "-wal").read_bytes()
    assert b"secret.person" not in data and b"2065550199" not in data
    assert sup.is_suppressed("SECRET.person@example.com")
    with pytest.raises(InputError, match="not in international format"):
        sup.is_suppressed("(206) 555-0199", channel="sms")  # national format without a default region
    assert sup.reasons("+1 206 555 0199", channel="sms") == ["SMS_STOP"]
    assert sup.remove("secret.person@example.com") == 1
    assert not sup.is_suppressed("secret.person@example.com")


def test_resend_policy_sends_an_ambiguous_message_again_with_the_same_message_id(shop):
    with smtp_server(faults={"ada@example.com": ["drop_queued"]}) as sink:
        project = smtp_project(shop, sink, 'ambiguous = "resend"')
        outcome = send_message(project, channel="email", template="welcome", endpoint_id="e1")
        assert outcome.ok
        assert sink.message_ids() == [outcome.results[0].message_id] * 2  # at-least-once, same Message-ID
        [row] = Ledger.for_store(project).rows(outcome.run)
        assert row.was_ambiguous and row.attempts == 2


def test_error_budget_setting_as_a_number(shop):
    from workbench.delivery import DeliveryPolicy

    project = configure(shop, "[delivery]\nerror_budget = 0.02\nmax_attempts = 6\n")
    policy = DeliveryPolicy.from_store(project)
    assert (policy.error_budget_rate, policy.max_attempts) == (0.02, 6)
    bad = configure(shop, '[delivery]\nmax_attempts = "many"\n')
    with pytest.raises(
        InputError, match=r"workbench.toml: field delivery\.max_attempts: must be a whole number"
    ):
        DeliveryPolicy.from_store(bad)


def _sent_html_and_text(project):
    import email
    import email.policy

    (eml,) = project.outbox_dir.rglob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    return html, text


LINKS = {
    "HtmlPart": (
        '<p>Hi {{User.UserAttributes.FirstName}}: <a href="https://shop.example/deal?x=1">deal</a> '
        '<a href="javascript:alert(1)">js</a> <a href="mailto:help@shop.example">help</a></p>'
    ),
    "Subject": "Links",
}


def test_tracking_is_off_by_default(shop):
    send_message(shop, channel="email", parts=LINKS, endpoint_id="e1")
    html, _ = _sent_html_and_text(shop)
    assert 'href="https://shop.example/deal?x=1"' in html and "/t/o/" not in html


def test_with_tracking_on_links_are_signed_and_a_pixel_is_added(shop):
    from workbench.messages.tracking import parse_tracking_path, verify_token

    project = configure(
        shop,
        """
[channels.email]
adapter = "outbox"
from = "Shop <shop@example.com>"

[tracking]
base_url = "https://t.shop.example"
opens = true
clicks = true
""",
    )
    outcome = send_message(project, channel="email", parts=LINKS, endpoint_id="e1")
    html, text = _sent_html_and_text(project)
    assert 'href="https://shop.example/deal' not in html  # rewritten...
    (click,) = re.findall(r'href="https://t\.shop\.example(/t/c/[^"]+)"', html)
    kind, token = parse_tracking_path(click)
    payload = verify_token(token, project.secret("tracking"), kind=kind)
    assert payload["target"] == "https://shop.example/deal?x=1"  # ...to a signed link to the real target
    assert payload["send_key"] == outcome.results[0].send_key and payload["endpoint_id"] == "e1"
    assert 'href="javascript:alert(1)"' in html and 'href="mailto:help@shop.example"' in html  # never tracked
    assert re.search(r'<img[^>]+src="https://t\.shop\.example/t/o/[^"]+\.gif"', html)
    assert (
        "https://shop.example/deal?x=1" in text and "t.shop.example" not in text
    )  # the text shows real links
