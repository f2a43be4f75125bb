"""The smtp adapter against a real aiosmtpd server (tests/servers.py): every reply mapped, the pool, TLS, AUTH."""

from __future__ import annotations

import shutil
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from servers import read_message_ids, smtp_server, smtp_server_process

from workbench.channels.base import ChannelContext, Outcome, OutgoingMessage
from workbench.channels.smtp import SmtpAdapter, classify_reply, smtp_payload
from workbench.errors import InputError

ENV = {"SMTP_USER": "wb", "SMTP_PASS": "s3cret"}


def mime(key: str, to: str, body: str = "Hello\n.a line starting with a dot\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Acme <news@acme.example>"
    msg["To"] = to
    msg["Subject"] = f"Hello {key}"
    msg["Message-ID"] = f"<{key}@send.workbench>"
    msg.set_content(body)
    return msg.as_bytes()


def message(key: str, to: str) -> OutgoingMessage:
    return OutgoingMessage(key, "EMAIL", to, parts={"Subject": f"Hello {key}"}, mime=mime(key, to))


def adapter(sink, tmp_path, **settings) -> SmtpAdapter:
    config = {
        "host": sink.host,
        "port": sink.port,
        "from": "Acme <bounces@acme.example>",
        "timeout": 2,
        **settings,
    }
    return SmtpAdapter(config, ChannelContext(outbox_dir=tmp_path, environ=ENV))


FAULTS = {
    "r421@x.example": "421",
    "r451@x.example": "451",
    "r452@x.example": "452",
    "r454@x.example": "454",
    "r550@x.example": "550",
    "r554@x.example": "554",
    "drop@x.example": "drop",
    "slow@x.example": "slow:3",
}

# fault -> (outcome, code, address_problem, retry_after given)
EXPECTED = {
    "421": (Outcome.RETRYABLE, "421 4.7.0", False, True),
    "451": (Outcome.RETRYABLE, "451 4.3.0", False, False),
    "452": (Outcome.RETRYABLE, "452 4.3.1", False, False),
    "454": (Outcome.RETRYABLE, "454 4.7.0", False, True),
    "550": (Outcome.PERMANENT, "550 5.1.1", True, False),
    "554": (Outcome.PERMANENT, "554 5.7.1", False, False),
    "drop": (Outcome.AMBIGUOUS, "lost-after-data", False, False),
    "slow:3": (Outcome.AMBIGUOUS, "lost-after-data", False, False),  # the reply comes after our 1 s timeout
}


@pytest.fixture(scope="module")
def sink():
    with smtp_server(FAULTS) as server:
        yield server


def test_an_accepted_message_arrives_as_given_to_its_address_only(sink, tmp_path):
    with adapter(sink, tmp_path) as smtp:
        [result] = smtp.send([message("ok-1", "ok@x.example")])
    assert result.outcome is Outcome.ACCEPTED and result.code == "250"
    got = next(m for m in sink.messages if m.message_id == "<ok-1@send.workbench>")
    assert result.provider_message_id == got.queue_id  # the queue id from "250 2.0.0 Ok: queued as Q..."
    assert got.mail_from == "bounces@acme.example"  # the envelope sender from the `from` setting
    assert got.rcpt_tos == ["ok@x.example"]
    parsed = message_from_bytes(got.data, policy=policy.default)
    assert parsed["Subject"] == "Hello ok-1" and parsed["From"] == "Acme <news@acme.example>"
    assert parsed.get_content().splitlines() == ["Hello", ".a line starting with a dot"]  # dots unstuffed


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_every_smtp_fault_maps_to_its_outcome(sink, tmp_path, fault):
    address = next(a for a, f in FAULTS.items() if f == fault)
    outcome, code, address_problem, has_retry_after = EXPECTED[fault]
    with adapter(sink, tmp_path, timeout=1) as smtp:
        [result] = smtp.send([message(f"fault-{fault}", address)])
    assert result.outcome is outcome, result
    assert result.code == code
    assert result.address_problem is address_problem
    assert (result.retry_after is not None) is has_retry_after
    assert f"<fault-{fault}@send.workbench>" not in sink.message_ids()


@pytest.mark.parametrize("fault", ["421", "drop", "451", "550"])
def test_the_next_message_still_goes_out_after_a_fault(tmp_path, fault):
    with (
        smtp_server({"bad@x.example": fault}) as server,
        adapter(server, tmp_path, connections=1, timeout=1) as smtp,
    ):
        results = smtp.send([message("a", "bad@x.example"), message("b", "good@x.example")])
        assert results[1].outcome is Outcome.ACCEPTED
        assert server.message_ids() == ["<b@send.workbench>"]
        # a broken connection (421, a drop) is replaced; a refused recipient leaves it usable (RSET)
        assert server.handler.connections == (2 if fault in ("421", "drop") else 1)


def test_faults_by_message_number_and_in_sequence(tmp_path):
    with (
        smtp_server({2: "452", "flaky@x.example": ["451", "ok"]}) as server,
        adapter(server, tmp_path) as smtp,
    ):
        first = smtp.send([message("n1", "a@x.example"), message("n2", "b@x.example")])
        again = smtp.send([message("f1", "flaky@x.example")]) + smtp.send([message("f2", "flaky@x.example")])
    assert [r.outcome for r in first] == [Outcome.ACCEPTED, Outcome.RETRYABLE]
    assert [r.outcome for r in again] == [Outcome.RETRYABLE, Outcome.ACCEPTED]


def test_a_pool_of_four_sends_200_messages_each_received_once(tmp_path):
    with smtp_server() as server, adapter(server, tmp_path, connections=4) as smtp:
        messages = [message(f"pool-{i}", f"p{i}@x.example") for i in range(200)]
        results = smtp.send(messages[:120]) + smtp.send(messages[120:])
        assert [r.send_key for r in results] == [m.send_key for m in messages]  # in order
        assert all(r.outcome is Outcome.ACCEPTED for r in results)
        ids = server.message_ids()
        assert sorted(ids) == sorted(f"<pool-{i}@send.workbench>" for i in range(200))  # each exactly once
        assert (
            1 <= server.handler.connections <= 4
        )  # connections kept across messages and across send() calls


def test_the_pool_sends_concurrently(tmp_path):
    with (
        smtp_server({n: "slow:0.3" for n in range(1, 9)}) as server,
        adapter(server, tmp_path, connections=4) as smtp,
    ):
        results = smtp.send([message(f"c{i}", f"c{i}@x.example") for i in range(8)])
    assert all(r.outcome is Outcome.ACCEPTED for r in results)
    assert server.handler.peak_in_data >= 2


def test_a_refused_connection_is_retryable_and_the_batch_fails_fast(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    smtp = SmtpAdapter(
        {"host": "127.0.0.1", "port": port, "connections": 2}, ChannelContext(outbox_dir=tmp_path)
    )
    with smtp:
        results = smtp.send([message(f"r{i}", f"r{i}@x.example") for i in range(50)])
    assert {r.outcome for r in results} == {Outcome.RETRYABLE}
    assert all(r.code == "connect" and str(port) in r.detail for r in results)


needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificate"
)


@needs_openssl
def test_starttls_with_auth_and_a_self_signed_certificate(tmp_path):
    with smtp_server(starttls=True, auth={"wb": "s3cret"}) as server:
        settings = {
            "starttls": True,
            "ca_file": str(server.ca_file),
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASS",
        }
        with adapter(server, tmp_path, **settings) as smtp:
            [ok] = smtp.send([message("tls-1", "t@x.example")])
        assert ok.outcome is Outcome.ACCEPTED
        assert server.message_ids() == ["<tls-1@send.workbench>"]

        wrong = {**settings, "password_env": "SMTP_USER"}
        with adapter(server, tmp_path, **wrong) as smtp:
            [refused] = smtp.send([message("tls-2", "t@x.example")])
        assert refused.outcome is Outcome.PERMANENT and refused.code.startswith("535")
        assert "password_env" in refused.detail

        untrusted = {k: v for k, v in settings.items() if k != "ca_file"}
        with adapter(server, tmp_path, **untrusted) as smtp:
            [unverified] = smtp.send([message("tls-3", "t@x.example")])
        assert unverified.outcome is Outcome.PERMANENT and unverified.code == "tls"
        assert server.message_ids() == ["<tls-1@send.workbench>"]


@needs_openssl
def test_implicit_tls(tmp_path):
    with (
        smtp_server(implicit_tls=True) as server,
        adapter(server, tmp_path, ssl=True, ca_file=str(server.ca_file)) as smtp,
    ):
        [result] = smtp.send([message("ssl-1", "s@x.example")])
    assert result.outcome is Outcome.ACCEPTED


def test_the_envelope_sender_defaults_to_the_messages_from(tmp_path):
    with smtp_server() as server:
        smtp = SmtpAdapter({"host": server.host, "port": server.port}, ChannelContext(outbox_dir=tmp_path))
        with smtp:
            [result] = smtp.send([message("env-1", "e@x.example")])
        assert result.outcome is Outcome.ACCEPTED
        assert server.messages[0].mail_from == "news@acme.example"


def test_a_message_without_mime_is_refused_not_sent(sink, tmp_path):
    with adapter(sink, tmp_path) as smtp:
        [result] = smtp.send([OutgoingMessage("no-mime", "EMAIL", "x@x.example")])
    assert result.outcome is Outcome.PERMANENT and result.code == "mime"


def test_the_sink_runs_in_another_process(tmp_path):
    record = tmp_path / "ids.txt"
    with smtp_server_process(record, {"gone@x.example": "550"}) as sink:
        smtp = SmtpAdapter({"host": sink.host, "port": sink.port}, ChannelContext(outbox_dir=tmp_path))
        with smtp:
            results = smtp.send([message(f"x{i}", f"x{i}@x.example") for i in range(5)])
            results += smtp.send([message("gone", "gone@x.example")])
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 5 + [Outcome.PERMANENT]
    assert read_message_ids(record) == [f"<x{i}@send.workbench>" for i in range(5)]


@pytest.mark.parametrize(
    ("stage", "code", "reply", "outcome", "address_problem"),
    [
        ("RCPT", 550, b"5.1.1 <x@y>: Recipient address rejected: User unknown", Outcome.PERMANENT, True),
        ("RCPT", 550, b"Requested action not taken: mailbox unavailable", Outcome.PERMANENT, True),
        ("RCPT", 550, b"5.7.1 Relaying denied", Outcome.PERMANENT, False),
        (
            "RCPT",
            554,
            b"5.7.1 Service unavailable; client host blocked using zen.spamhaus.org",
            Outcome.PERMANENT,
            False,
        ),
        (
            "RCPT",
            550,
            b"5.2.1 The email account that you tried to reach is disabled",
            Outcome.PERMANENT,
            True,
        ),
        ("MAIL", 553, b"5.1.8 Sender address rejected: Domain not found", Outcome.PERMANENT, False),
        ("END", 550, b"5.7.26 Unauthenticated email is not accepted (DMARC)", Outcome.PERMANENT, False),
        ("END", 552, b"5.3.4 Message size exceeds fixed limit", Outcome.PERMANENT, False),
        ("RCPT", 452, b"4.2.2 Mailbox full", Outcome.RETRYABLE, False),
        ("MAIL", 454, b"Throttling failure: Maximum sending rate exceeded.", Outcome.RETRYABLE, False),
    ],
)
def test_reply_classification(stage, code, reply, outcome, address_problem):
    got, problem, retry_after = classify_reply(stage, code, reply, throttle_wait=30)
    assert (got, problem) == (outcome, address_problem)
    assert retry_after == (30 if code in (421, 454) else None)


def test_payload_is_crlf_and_dot_stuffed():
    assert smtp_payload(b"a\n.b\r\nc") == b"a\r\n..b\r\nc\r\n.\r\n"


def test_provider_id_from_known_replies():
    raw = mime("pid", "p@x.example")
    assert SmtpAdapter._provider_id("2.0.0 Ok: queued as 4Fz1Q92Tq6z9sK3", raw) == "4Fz1Q92Tq6z9sK3"
    assert (
        SmtpAdapter._provider_id("Ok 0100018b2a3c4d5e-6f7a8b9c-0000-000000", raw)
        == "0100018b2a3c4d5e-6f7a8b9c-0000-000000"
    )
    assert SmtpAdapter._provider_id("OK id=1abcDE-0001Xy-2Z", raw) == "1abcDE-0001Xy-2Z"
    assert SmtpAdapter._provider_id("2.0.0 OK", raw) == "<pid@send.workbench>"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({}, "host"),
        ({"host": "h", "startls": True}, "startls"),
        ({"host": "h", "ssl": True, "starttls": True}, "ssl"),
        ({"host": "h", "port": "25"}, "port"),
        ({"host": "h", "connections": 0}, "connections"),
        ({"host": "h", "username_env": "SMTP_USER"}, "password_env"),
        ({"host": "h", "username_env": "NOT_SET_ANYWHERE", "password_env": "SMTP_PASS"}, "username_env"),
        ({"host": "h", "from": "not an address"}, "from"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path, settings, field):
    with pytest.raises(InputError) as err:
        SmtpAdapter(settings, ChannelContext(outbox_dir=tmp_path, environ=ENV))
    assert err.value.field == field
    if field == "startls":
        assert "did you mean starttls" in str(err.value)
    if field == "username_env":
        assert "NOT_SET_ANYWHERE" in str(err.value)


def test_auth_settings_against_a_server_without_auth_are_a_permanent_config_error(tmp_path):
    with smtp_server() as server:
        settings = {"username_env": "SMTP_USER", "password_env": "SMTP_PASS"}
        with adapter(server, tmp_path, **settings) as smtp:
            [result] = smtp.send([message("noauth", "n@x.example")])
    assert result.outcome is Outcome.PERMANENT and result.code == "config" and "AUTH" in result.detail
