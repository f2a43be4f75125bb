"""sms_http, push_fcm and webhook against a real local HTTP provider (Starlette under uvicorn, tests/servers.py)."""

from __future__ import annotations

import base64
import json
import socket

import pytest
from servers import http_provider

from workbench.channels._common import retry_after_seconds
from workbench.channels.base import ChannelContext, Outcome, OutgoingMessage
from workbench.channels.push_fcm import FcmAdapter
from workbench.channels.sms_http import SmsHttpAdapter
from workbench.channels.webhook import WebhookAdapter, sign, verify_signature
from workbench.errors import InputError

ENV = {
    "SMS_ACCOUNT": "ACtest",
    "SMS_TOKEN": "sms-token",
    "FCM_TOKEN": "fcm-token",
    "HOOK_SECRET": "webhook-secret",
}


@pytest.fixture(scope="module")
def provider():
    with http_provider() as server:
        yield server


@pytest.fixture(autouse=True)
def no_faults(provider):
    provider.plan.clear()
    yield
    provider.plan.clear()


def context(tmp_path, **env):
    return ChannelContext(outbox_dir=tmp_path, environ={**ENV, **env})


def sms(provider, tmp_path, **settings):
    config = {
        "base_url": provider.base_url,
        "account_env": "SMS_ACCOUNT",
        "token_env": "SMS_TOKEN",
        "from": "+12065550100",
        "timeout": 1,
        **settings,
    }
    return SmsHttpAdapter(config, context(tmp_path))


def text(key, to="+12065550123", body="Hello"):
    return OutgoingMessage(key, "SMS", to, parts={"Body": body})


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- sms_http -----------------------------------------------------------------------------------------------


def test_sms_is_a_twilio_form_post_with_basic_auth_and_a_status_callback(provider, tmp_path):
    with sms(provider, tmp_path, status_callback_url="https://hooks.example/sms?src=wb") as adapter:
        [result] = adapter.send([text("k-1", body="Hi & bye")])
    assert result.outcome is Outcome.ACCEPTED and result.provider_message_id.startswith("SM")
    request = provider.of_kind("sms")[-1]
    assert request.path == "/2010-04-01/Accounts/ACtest/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"ACtest:sms-token").decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.payload == {
        "To": "+12065550123",
        "From": "+12065550100",
        "Body": "Hi & bye",
        "StatusCallback": "https://hooks.example/sms?src=wb&send_key=k-1",
    }


def test_sms_origination_number_part_overrides_from(provider, tmp_path):
    message = OutgoingMessage(
        "k-2", "SMS", "+12065550123", parts={"Body": "x", "OriginationNumber": "+12065550199"}
    )
    with sms(provider, tmp_path) as adapter:
        assert adapter.send([message])[0].outcome is Outcome.ACCEPTED
    assert provider.of_kind("sms")[-1].payload["From"] == "+12065550199"


@pytest.mark.parametrize(
    ("fault", "outcome", "code", "address_problem", "retry_after"),
    [
        ("429:7", Outcome.RETRYABLE, "429", False, 7.0),
        ("500", Outcome.RETRYABLE, "500", False, None),
        ("503", Outcome.RETRYABLE, "503", False, None),
        ("21610", Outcome.PERMANENT, "21610", True, None),
        ("21211", Outcome.PERMANENT, "21211", True, None),
        ("400", Outcome.PERMANENT, "400", False, None),
        ("401", Outcome.PERMANENT, "401", False, None),
        ("hang:3", Outcome.AMBIGUOUS, "ReadTimeout", False, None),
    ],
)
def test_sms_answers_map_to_outcomes(provider, tmp_path, fault, outcome, code, address_problem, retry_after):
    provider.plan.set("+12065550177", fault)
    with sms(provider, tmp_path, timeout=0.5) as adapter:
        [result] = adapter.send([text("f", to="+12065550177")])
    assert (result.outcome, result.code, result.address_problem, result.retry_after) == (
        outcome,
        code,
        address_problem,
        retry_after,
    ), result


def test_a_provider_answering_500_forever_gives_retryable_results_not_a_hang(provider, tmp_path):
    provider.plan.set("*", "500")
    with sms(provider, tmp_path) as adapter:
        results = adapter.send([text(f"r{i}", to=f"+1206555{i:04d}") for i in range(30)])
    assert [r.outcome for r in results] == [Outcome.RETRYABLE] * 30
    assert len(provider.of_kind("sms", 500)) >= 30


def test_a_provider_that_never_answers_ends_in_ambiguous_within_the_timeout(provider, tmp_path):
    provider.plan.set("*", "hang:30")
    with sms(provider, tmp_path, timeout=0.3) as adapter:
        results = adapter.send([text(f"h{i}", to=f"+1206555{i:04d}") for i in range(3)])
    assert [r.outcome for r in results] == [Outcome.AMBIGUOUS] * 3


def test_sms_connect_error_is_retryable(tmp_path):
    config = {
        "base_url": f"http://127.0.0.1:{closed_port()}",
        "account_env": "SMS_ACCOUNT",
        "token_env": "SMS_TOKEN",
    }
    with SmsHttpAdapter({**config, "from": "+12065550100"}, context(tmp_path)) as adapter:
        [result] = adapter.send([text("c")])
    assert result.outcome is Outcome.RETRYABLE and result.code == "ConnectError"


def test_sms_wrong_credentials_are_permanent(provider, tmp_path):
    adapter = SmsHttpAdapter(
        {"base_url": provider.base_url, "account_env": "SMS_ACCOUNT", "token_env": "WRONG", "from": "+1"},
        context(tmp_path, WRONG="nope"),
    )
    with adapter:
        [result] = adapter.send([text("w")])
    assert result.outcome is Outcome.PERMANENT and result.code == "401" and not result.address_problem


@pytest.mark.parametrize(
    ("settings", "env", "field", "words"),
    [
        ({"account_env": "SMS_ACCOUNT"}, {}, "token_env", ["required"]),
        (
            {"account_env": "SMS_ACCOUNT", "token_env": "NOPE_TOKEN"},
            {},
            "token_env",
            ["NOPE_TOKEN", "not set"],
        ),
        (
            {"account_env": "SMS_ACCOUNT", "token_env": "SMS_TOKEN", "tokn_env": "x"},
            {},
            "tokn_env",
            ["token_env"],
        ),
        ({"account_env": "SMS_ACCOUNT", "token_env": "SMS_TOKEN", "timeout": 0}, {}, "timeout", ["> 0"]),
    ],
)
def test_sms_settings_errors_name_the_setting_and_variable(tmp_path, settings, env, field, words):
    with pytest.raises(InputError) as err:
        SmsHttpAdapter(settings, ChannelContext(outbox_dir=tmp_path, environ={**ENV, **env}))
    assert err.value.field == field
    for word in words:
        assert word in str(err.value)


# --- push_fcm -----------------------------------------------------------------------------------------------


def fcm(provider, tmp_path, **settings):
    config = {"base_url": provider.base_url, "project_id": "demo-app", "token_env": "FCM_TOKEN", "timeout": 1}
    return FcmAdapter({**config, **settings}, context(tmp_path))


def push(key, token="device-token-1", **parts):
    return OutgoingMessage(key, "PUSH", token, parts={"Title": "Hi", "Body": "There", **parts})


def test_push_is_an_fcm_v1_message(provider, tmp_path):
    with fcm(provider, tmp_path) as adapter:
        [result] = adapter.send(
            [push("p-1", Data={"coupon": "SAVE10", "n": 3}, ImageUrl="https://x.example/i.png")]
        )
    assert result.outcome is Outcome.ACCEPTED
    assert result.provider_message_id.startswith("projects/demo-app/messages/")
    request = provider.of_kind("push")[-1]
    assert request.path == "/v1/projects/demo-app/messages:send"
    assert request.headers["authorization"] == "Bearer fcm-token"
    assert request.payload == {
        "message": {
            "token": "device-token-1",
            "notification": {"title": "Hi", "body": "There", "image": "https://x.example/i.png"},
            "data": {"coupon": "SAVE10", "n": "3", "send_key": "p-1"},  # FCM data values are strings
        }
    }


def test_silent_push_has_no_notification(provider, tmp_path):
    with fcm(provider, tmp_path) as adapter:
        adapter.send([push("p-2", SilentPush=True, Data='{"refresh": "1"}')])
    assert provider.of_kind("push")[-1].payload["message"] == {
        "token": "device-token-1",
        "data": {"refresh": "1", "send_key": "p-2"},
    }


@pytest.mark.parametrize(
    ("fault", "outcome", "code", "address_problem", "retry_after"),
    [
        ("unregistered", Outcome.PERMANENT, "404 UNREGISTERED", True, None),
        ("invalid_token", Outcome.PERMANENT, "400 INVALID_ARGUMENT", True, None),
        ("400", Outcome.PERMANENT, "400", False, None),
        ("429:2", Outcome.RETRYABLE, "429 RESOURCE_EXHAUSTED", False, 2.0),
        ("500", Outcome.RETRYABLE, "500", False, None),
        ("hang:3", Outcome.AMBIGUOUS, "ReadTimeout", False, None),
    ],
)
def test_push_answers_map_to_outcomes(provider, tmp_path, fault, outcome, code, address_problem, retry_after):
    provider.plan.set("tok-x", fault)
    with fcm(provider, tmp_path, timeout=0.5) as adapter:
        [result] = adapter.send([push("f", token="tok-x")])
    assert (result.outcome, result.code, result.address_problem, result.retry_after) == (
        outcome,
        code,
        address_problem,
        retry_after,
    ), result


def test_push_needs_a_project_id(tmp_path):
    with pytest.raises(InputError) as err:
        FcmAdapter({"token_env": "FCM_TOKEN"}, context(tmp_path))
    assert err.value.field == "project_id"


# --- webhook ------------------------------------------------------------------------------------------------


def hook(provider, tmp_path, **settings):
    config = {"url": f"{provider.base_url}/webhook", "secret_env": "HOOK_SECRET", "timeout": 1, **settings}
    return WebhookAdapter(config, context(tmp_path))


def custom(i, campaign="camp-1", data="promo-42"):
    return OutgoingMessage(
        f"w-{i}",
        "CUSTOM",
        f"user{i}@chat.example",
        parts={"Data": data},
        endpoint_id=f"ep-{i}",
        user_id=f"u-{i}",
        attributes={"campaign_id": campaign, "treatment_id": "0", "campaign_activity_id": "act-1"},
    )


def test_webhook_posts_signed_pinpoint_custom_channel_batches(provider, tmp_path):
    with hook(provider, tmp_path, batch_size=3, application_id="app-1") as adapter:
        results = adapter.send([custom(i) for i in range(7)])
    assert [r.outcome for r in results] == [Outcome.ACCEPTED] * 7
    requests = provider.of_kind("webhook")[-3:]
    assert [len(r.payload["Endpoints"]) for r in requests] == [3, 3, 1]
    assert all(r.verified for r in requests)  # the receiver's own check of the documented scheme
    first = requests[0].payload
    assert set(first) == {
        "Message",
        "Data",
        "ApplicationId",
        "CampaignId",
        "TreatmentId",
        "ActivityId",
        "ScheduledTime",
        "Endpoints",
    }
    assert (first["ApplicationId"], first["CampaignId"], first["TreatmentId"], first["ActivityId"]) == (
        "app-1",
        "camp-1",
        "0",
        "act-1",
    )
    assert first["Data"] == "promo-42"
    assert first["Endpoints"]["ep-0"] == {
        "ChannelType": "CUSTOM",
        "Address": "user0@chat.example",
        "EndpointStatus": "ACTIVE",
        "OptOut": "NONE",
        "User": {"UserId": "u-0"},
        "SendKey": "w-0",
    }
    assert first["ScheduledTime"].endswith("Z")


def test_webhook_signature_scheme_is_the_documented_one(provider, tmp_path):
    with hook(provider, tmp_path) as adapter:
        adapter.send([custom(1)])
    request = provider.of_kind("webhook")[-1]
    timestamp = request.headers["x-workbench-timestamp"]
    signature = request.headers["x-workbench-signature"]
    assert signature == sign("webhook-secret", request.body, timestamp)
    assert verify_signature("webhook-secret", request.body, timestamp, signature)
    assert not verify_signature("webhook-secret", request.body + b" ", timestamp, signature)
    assert not verify_signature("other-secret", request.body, timestamp, signature)
    # a replayed request (old timestamp) is refused even with a valid signature
    assert not verify_signature(
        "webhook-secret", request.body, timestamp, signature, now=int(timestamp) + 301
    )
    assert request.headers["idempotency-key"]


def test_webhook_groups_different_campaigns_and_repeated_endpoints_apart(provider, tmp_path):
    messages = [custom(1, "a"), custom(2, "b"), custom(3, "a"), custom(1, "a")]
    with hook(provider, tmp_path) as adapter:
        assert len(adapter.batches(messages)) == 3  # a: {1, 3}, then a: {1} again, b: {2}
        results = adapter.send(messages)
    assert [r.send_key for r in results] == [m.send_key for m in messages]


def test_webhook_with_a_wrong_secret_is_refused_by_the_receiver(provider, tmp_path):
    adapter = WebhookAdapter(
        {"url": f"{provider.base_url}/webhook", "secret_env": "OTHER"},
        context(tmp_path, OTHER="not-the-secret"),
    )
    with adapter:
        [result] = adapter.send([custom(1)])
    assert result.outcome is Outcome.PERMANENT and result.code == "401"
    assert provider.of_kind("webhook")[-1].verified is False


@pytest.mark.parametrize(
    ("fault", "outcome", "retry_after"),
    [("429:4", Outcome.RETRYABLE, 4.0), ("500", Outcome.RETRYABLE, None), ("400", Outcome.PERMANENT, None)],
)
def test_webhook_answers_apply_to_the_whole_batch(provider, tmp_path, fault, outcome, retry_after):
    provider.plan.set("*", fault)
    with hook(provider, tmp_path) as adapter:
        results = adapter.send([custom(i) for i in range(4)])
    assert {(r.outcome, r.retry_after) for r in results} == {(outcome, retry_after)}


def test_webhook_requires_a_secret(tmp_path):
    with pytest.raises(InputError) as err:
        WebhookAdapter({"url": "https://x.example/hook"}, context(tmp_path))
    assert err.value.field == "secret_env"


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("-5") == 0.0


def test_webhook_body_is_json_it_signed(provider, tmp_path):
    with hook(provider, tmp_path) as adapter:
        adapter.send([custom(5, data=json.dumps({"text": "Ünïcode ✓"}))])
    request = provider.of_kind("webhook")[-1]
    assert json.loads(request.body)["Data"] == json.dumps({"text": "Ünïcode ✓"})
