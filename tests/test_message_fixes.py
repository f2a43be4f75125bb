"""Three fixes to messages and sending, each from what a user ran:

1. a template with nothing to send is refused when saved (naming the file and the field), not at send time;
2. ``workbench send --channel CUSTOM --data TEXT`` sends a custom (webhook) channel's Data, end to end against a
   real local HTTP server, and an endpoint of the wrong type reads "is an EMAIL endpoint";
3. a send that gave up on throttling (HTTP 429 on every attempt) ends ``THROTTLED``, as Pinpoint's
   DeliveryStatus says, while the ledger keeps its ``failed`` state.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import helpers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import http_provider

from workbench import Project
from workbench.cli import main
from workbench.delivery import Ledger, send_message
from workbench.errors import InputError
from workbench.messages.templates import (
    PUSH_BLOCK_KEYS,
    REQUEST_SHAPES,
    Template,
    list_templates,
    save_template,
)

SECRET = "crm-secret"


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``workbench ARGS`` in this process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


# --- 1. a template with nothing to send is refused when saved ---------------------------------------------------

EMPTY = [
    ("email", {}, "HtmlPart"),
    ("email", {"Subject": "Hello", "TextPart": "  \n"}, "HtmlPart"),
    ("sms", {"TemplateDescription": "no body"}, "Body"),
    ("sms", {"Body": ""}, "Body"),
    ("voice", {"LanguageCode": "en-US", "VoiceId": "Joanna"}, "Body"),
    ("push", {}, "Default.Body"),
    ("push", {"GCM": {"Action": "OPEN_APP", "Url": "https://acme.example"}}, "GCM.Body"),
]


@pytest.mark.parametrize(("kind", "request_", "field"), EMPTY)
def test_a_template_with_nothing_to_send_is_refused_at_save_naming_file_and_field(
    project, tmp_path, kind, request_, field
):
    spec = write_json(tmp_path / "t.json", request_)
    with pytest.raises(InputError) as err:
        save_template(project, "empty", kind, spec)
    assert (err.value.file, err.value.field) == (str(spec), field)
    assert list_templates(project) == []  # nothing saved
    # reading is not saving: botocore accepts these requests, and so does Template.from_json (round trips)
    assert Template.from_json("empty", kind, request_).to_json() == request_


@pytest.mark.parametrize(
    ("kind", "request_"),
    [
        ("email", {"TextPart": "plain only"}),
        ("email", {"HtmlPart": "<p>html only</p>"}),
        ("sms", {"Body": "Hi {{User.UserAttributes.FirstName}}"}),
        ("voice", {"Body": "Your appointment is tomorrow"}),
        ("push", {"APNS": {"Title": "A title alone"}}),
        ("push", {"Default": {"Body": "A body alone"}}),
    ],
)
def test_a_template_with_something_to_send_is_saved(project, kind, request_):
    assert save_template(project, "ok", kind, request_).version == 1


def test_cli_template_create_refuses_an_empty_email_template(project, tmp_path):
    spec = write_json(tmp_path / "t.json", {})
    code, out, err = cli(
        "template", "create", "empty", "--type", "email", "--spec", str(spec), "--project", str(project.path)
    )
    assert code != 0 and out == ""
    assert str(spec) in err and "HtmlPart" in err and "TextPart" in err
    assert "saved" not in err


_TEXT = st.one_of(
    st.just(""), st.just("  "), st.text(max_size=12).filter(lambda t: "{" not in t and "%" not in t)
)
_PUSH_BLOCK = st.fixed_dictionaries({}, optional={k: _TEXT for k in ("Body", "Title", "Url", "Sound")})
_USER_FILES = st.one_of(
    st.tuples(
        st.just("email"),
        st.fixed_dictionaries({}, optional={k: _TEXT for k in ("Subject", "HtmlPart", "TextPart")}),
    ),
    st.tuples(
        st.just("sms"), st.fixed_dictionaries({}, optional={"Body": _TEXT, "TemplateDescription": _TEXT})
    ),
    st.tuples(st.just("voice"), st.fixed_dictionaries({}, optional={"Body": _TEXT, "VoiceId": _TEXT})),
    st.tuples(st.just("push"), st.fixed_dictionaries({}, optional={b: _PUSH_BLOCK for b in PUSH_BLOCK_KEYS})),
).flatmap(lambda pair: st.tuples(st.just(pair[0]), st.just(pair[1]), st.booleans()))


def _has_content(kind: str, request: dict) -> bool:
    """The rule, written from the README's words: something a message can carry, not blank."""

    def text(value) -> bool:
        return bool(value and value.strip())

    if kind == "email":
        return text(request.get("HtmlPart")) or text(request.get("TextPart"))
    if kind in ("sms", "voice"):
        return text(request.get("Body"))
    return any(text(block.get("Body")) or text(block.get("Title")) for block in request.values())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_USER_FILES)
def test_fuzz_a_users_template_file_is_saved_exactly_when_it_has_something_to_send(project, tmp_path, case):
    kind, request, wrapped = case
    obj = {"TemplateName": "t", REQUEST_SHAPES[kind.upper()]: request} if wrapped else request
    spec = write_json(tmp_path / "fuzz.json", obj)
    before = len(list_templates(project))
    if _has_content(kind, request):
        saved = save_template(project, "fuzz", kind, spec)
        assert saved.to_json() == request
    else:
        with pytest.raises(InputError) as err:
            save_template(project, "fuzz", kind, spec)
        assert err.value.file == str(spec) and err.value.field
        assert "Body" in err.value.field or err.value.field == "HtmlPart"
        assert len(list_templates(project)) == before


# --- 2. custom channels from `workbench send` -----------------------------------------------------------------


@pytest.fixture(scope="module")
def provider():
    with http_provider(webhook_secret=SECRET) as server:
        yield server


@pytest.fixture
def crm(project, provider, monkeypatch, tmp_path):
    """A project with the sample-like endpoints and a webhook channel ``crm`` at the local HTTP provider."""
    project.endpoints.import_files(
        helpers.write_csv(
            tmp_path / "ep.csv",
            ["Id", "ChannelType", "Address", "User.UserId", "User.UserAttributes.FirstName"],
            [["ep-1", "EMAIL", "ada@example.com", "u1", "Ada"], ["c-1", "CUSTOM", "crm-user-1", "u1", "Ada"]],
        ),
        progress=False,
    )
    helpers.configure(
        project.path,
        f"""
        [channels.crm]
        adapter = "webhook"
        url = "{provider.base_url}/webhook/crm"
        secret_env = "CRM_SECRET"
        timeout = 2

        [delivery]
        retry_base_seconds = 0.01
        transactional_wait_seconds = 20
        """,
    )
    monkeypatch.setenv("CRM_SECRET", SECRET)
    provider.plan.clear()
    yield Project.open(project.path)
    provider.plan.clear()


def test_cli_send_data_to_a_custom_channel_posts_it_signed(crm, provider):
    data = '{"offer": "spring-10", "name": "{{User.UserAttributes.FirstName}}"}'
    code, out, err = cli(
        "send", "--channel", "crm", "--to", "crm-user-1", "--data", data, "--project", str(crm.path), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert (result["channel"], result["counts"]) == ("CUSTOM", {"SUCCESSFUL": 1})
    request = provider.of_kind("webhook")[-1]
    assert request.path == "/webhook/crm" and request.verified  # the receiver checked the signature
    assert json.loads(request.payload["Data"]) == {"offer": "spring-10", "name": "Ada"}
    endpoint = request.payload["Endpoints"]["c-1"]
    assert (endpoint["ChannelType"], endpoint["Address"]) == ("CUSTOM", "crm-user-1")


def test_cli_send_template_to_a_custom_channel_points_at_data(crm, provider):
    sent = len(provider.of_kind("webhook"))
    code, _out, err = cli(
        "send", "--channel", "crm", "--to", "crm-user-1", "--template", "welcome", "--project", str(crm.path)
    )
    assert code != 0 and "--data" in err and "template" in err
    assert len(provider.of_kind("webhook")) == sent


def test_cli_send_needs_a_template_or_data_not_both(crm):
    with pytest.raises(SystemExit):
        cli("send", "--channel", "crm", "--to", "crm-user-1", "--project", str(crm.path))
    with pytest.raises(SystemExit):
        cli(
            "send",
            "--channel",
            "crm",
            "--to",
            "x",
            "--template",
            "t",
            "--data",
            "d",
            "--project",
            str(crm.path),
        )


def test_data_is_refused_for_a_channel_with_templates(crm):
    code, _out, err = cli(
        "send", "--channel", "email", "--endpoint", "ep-1", "--data", "hi", "--project", str(crm.path)
    )
    assert code != 0 and "field Data" in err and "an EMAIL message needs a template" in err


def test_an_endpoint_of_another_type_reads_an_email_endpoint(crm):
    with pytest.raises(InputError, match=r"'ep-1' is an EMAIL endpoint, not CUSTOM"):
        send_message(crm, channel="crm", parts={"Data": "x"}, endpoint_id="ep-1")


def test_a_consonant_type_keeps_a(crm):
    # only types starting with a vowel take "an" (tests/test_delivery_send.py holds "is a SMS endpoint")
    with pytest.raises(InputError, match=r"'c-1' is a CUSTOM endpoint, not EMAIL"):
        send_message(crm, channel="email", template="welcome", endpoint_id="c-1")


# --- 3. giving up on throttling is THROTTLED ---------------------------------------------------------------------


def test_a_send_throttled_on_every_attempt_ends_throttled(crm, provider):
    helpers.configure(crm.path, "[delivery]\nmax_attempts = 2\n")
    provider.plan.set("crm-user-1", ["429:1"] * 10)  # Retry-After: 1 on every attempt
    outcome = send_message(Project.open(crm.path), channel="crm", parts={"Data": "x"}, to="crm-user-1")
    [result] = outcome.results
    assert (result.delivery_status, result.status_code, result.state) == ("THROTTLED", 429, "failed")
    assert "gave up after 2 attempts: HTTP 429" in result.status_message
    # the ledger's contract is unchanged: retries used up -> failed
    [row] = Ledger.for_store(crm).rows(outcome.run)
    assert (row.state, row.attempts) == ("failed", 2)


def test_a_send_that_gave_up_on_server_errors_stays_temporary_failure(crm, provider):
    helpers.configure(crm.path, "[delivery]\nmax_attempts = 2\n")
    provider.plan.set("crm-user-1", ["503"] * 10)
    outcome = send_message(Project.open(crm.path), channel="crm", parts={"Data": "x"}, to="crm-user-1")
    [result] = outcome.results
    assert (result.delivery_status, result.status_code, result.state) == ("TEMPORARY_FAILURE", 503, "failed")
