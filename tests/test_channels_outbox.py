"""The outbox adapter: .eml files and JSONL lines a person can open, written atomically, never duplicated."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.channels import ChannelContext, Outcome, OutgoingMessage, open_channel
from workbench.channels.outbox import OutboxAdapter, safe_name
from workbench.store import Store


def email(key: str, subject: str = "Hello") -> OutgoingMessage:
    msg = EmailMessage()
    msg["From"] = "news@acme.example"
    msg["To"] = "ana@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{key}@wb>"
    msg.set_content("Hi Ana")
    return OutgoingMessage(key, "EMAIL", "ana@example.com", mime=msg.as_bytes())


def outbox(tmp_path, run="run-1") -> OutboxAdapter:
    return OutboxAdapter({}, ChannelContext(outbox_dir=tmp_path / "outbox", run=run))


def test_an_email_is_an_eml_file_named_by_its_send_key(tmp_path):
    with outbox(tmp_path) as adapter:
        [result] = adapter.send([email("k1")])
    path = tmp_path / "outbox" / "run-1" / "k1.eml"
    assert result.outcome is Outcome.ACCEPTED and result.provider_message_id == "run-1/k1.eml"
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert (parsed["Subject"], parsed["Message-ID"], parsed.get_content()) == ("Hello", "<k1@wb>", "Hi Ana\n")


def test_resending_a_send_key_overwrites_its_own_file(tmp_path):
    with outbox(tmp_path) as adapter:
        adapter.send([email("k1", "First")])
        adapter.send([email("k1", "Second"), email("k2")])
    folder = tmp_path / "outbox" / "run-1"
    assert sorted(p.name for p in folder.iterdir()) == ["k1.eml", "k2.eml"]  # no temp files left behind
    assert b"Subject: Second" in (folder / "k1.eml").read_bytes()


def test_an_email_without_mime_is_written_from_its_parts(tmp_path):
    message = OutgoingMessage(
        "k3", "EMAIL", "bo@example.com", parts={"Subject": "S", "TextPart": "T", "HtmlPart": "<p>H</p>"}
    )
    with outbox(tmp_path) as adapter:
        adapter.send([message])
    parsed = message_from_bytes(
        (tmp_path / "outbox" / "run-1" / "k3.eml").read_bytes(), policy=policy.default
    )
    assert parsed["To"] == "bo@example.com" and parsed["Subject"] == "S"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>H</p>"


def test_other_channels_are_jsonl_lines_without_duplicates(tmp_path):
    sms = [
        OutgoingMessage(
            f"s{i}",
            "SMS",
            f"+1206555012{i}",
            parts={"Body": f"Hi {i}"},
            endpoint_id=f"e{i}",
            attributes={"campaign_id": "c1"},
        )
        for i in range(3)
    ]
    push = OutgoingMessage("p1", "PUSH", "token-1", parts={"Title": "T", "Body": "B"})
    with outbox(tmp_path) as adapter:
        adapter.send([*sms[:2], push])
        adapter.send(sms)  # s0 and s1 again: the ledger may re-send after a crash
    with outbox(tmp_path) as again:  # a new adapter (a resumed run) reads the keys already written
        results = again.send([sms[0]])
    assert results[0].outcome is Outcome.ACCEPTED
    lines = [
        json.loads(line) for line in (tmp_path / "outbox" / "run-1" / "sms.jsonl").read_text().splitlines()
    ]
    assert [line["send_key"] for line in lines] == ["s0", "s1", "s2"]
    assert lines[0]["address"] == "+12065550120" and lines[0]["parts"] == {"Body": "Hi 0"}
    assert lines[0]["attributes"] == {"campaign_id": "c1"} and lines[0]["endpoint_id"] == "e0"
    assert (tmp_path / "outbox" / "run-1" / "push.jsonl").read_text().count("\n") == 1


def test_a_torn_last_line_is_cut_before_appending(tmp_path):
    folder = tmp_path / "outbox" / "run-1"
    folder.mkdir(parents=True)
    (folder / "sms.jsonl").write_text('{"send_key": "s0", "address": "+1"}\n{"send_key": "s1", "addr')
    with outbox(tmp_path) as adapter:
        adapter.send([OutgoingMessage("s1", "SMS", "+1", parts={"Body": "x"})])
    lines = [json.loads(line) for line in (folder / "sms.jsonl").read_text().splitlines()]
    assert [line["send_key"] for line in lines] == ["s0", "s1"]


def test_open_channel_writes_under_the_projects_outbox(tmp_path):
    store = Store.create(tmp_path / "project")
    with open_channel(store, "email", run="campaign-7") as adapter:
        adapter.send([email("k9")])
    assert (store.outbox_dir / "campaign-7" / "k9.eml").is_file()


def test_unsafe_send_keys_and_runs_become_distinct_safe_names(tmp_path):
    with outbox(tmp_path, run="../../etc") as adapter:
        adapter.send([email("a/b"), email("a_b"), email("a:b")])
    folder = tmp_path / "outbox" / safe_name("../../etc")
    assert folder.parent == tmp_path / "outbox"
    assert len(list(folder.glob("*.eml"))) == 3


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=300))
def test_safe_name_is_a_plain_file_name(text):
    name = safe_name(text)
    assert "/" not in name and "\x00" not in name and not name.startswith(".") and 0 < len(name) <= 161
    assert name == text or name != safe_name(text + "x")
