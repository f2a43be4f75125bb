"""Templates: Pinpoint's template JSON read and written unchanged (botocore's model as the oracle), size quotas,
key-path errors, versions in the catalog, previews and the notebook display."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError, UnknownNameError, WorkbenchError
from workbench.messages.templates import (
    REQUEST_KEYS,
    REQUEST_SHAPES,
    RESPONSE_SHAPES,
    TEMPLATE_TYPES,
    Template,
    activate_template_version,
    list_templates,
    load_template,
    save_template,
)
from workbench.store import Store

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "sample" / "templates"
SAMPLE_FILES = {
    "EMAIL": SAMPLES / "welcome_email.json",
    "SMS": SAMPLES / "order_sms.json",
    "PUSH": SAMPLES / "offer_push.json",
    "VOICE": SAMPLES / "reminder_voice.json",
}
CREATE_OPS = {
    "EMAIL": "CreateEmailTemplate",
    "SMS": "CreateSmsTemplate",
    "PUSH": "CreatePushTemplate",
    "VOICE": "CreateVoiceTemplate",
}

MODEL = botocore.session.get_session().get_service_model("pinpoint")


def botocore_accepts(kind: str, request: dict) -> bool:
    """Does botocore's ParamValidator accept this request for Create*Template?"""
    op = MODEL.operation_model(CREATE_OPS[kind])
    report = ParamValidator().validate({"TemplateName": "t", REQUEST_SHAPES[kind]: request}, op.input_shape)
    return not report.has_errors()


def sample(kind: str) -> dict:
    return json.loads(SAMPLE_FILES[kind].read_text())[REQUEST_SHAPES[kind]]


@pytest.fixture
def store(tmp_path):
    return Store.create(tmp_path / "project")


# --- the key tables match Pinpoint's model ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TEMPLATE_TYPES)
def test_key_tables_are_pinpoints(kind):
    shape = MODEL.shape_for(REQUEST_SHAPES[kind])
    assert set(REQUEST_KEYS[kind]) == set(shape.members)
    response = MODEL.shape_for(RESPONSE_SHAPES[kind])
    from workbench.messages.templates import RESPONSE_ONLY_KEYS

    assert set(response.members) == set(shape.members) | set(RESPONSE_ONLY_KEYS)


def test_push_blocks_and_actions_are_pinpoints():
    from workbench.messages.templates import PUSH_ACTIONS, PUSH_BLOCK_KEYS

    shape = MODEL.shape_for("PushNotificationTemplateRequest")
    for block, keys in PUSH_BLOCK_KEYS.items():
        assert set(keys) == set(shape.members[block].members), block
        assert tuple(shape.members[block].members["Action"].enum) == PUSH_ACTIONS


# --- round trips --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TEMPLATE_TYPES)
def test_samples_round_trip_unchanged(kind):
    template = Template.from_json("sample", kind.lower(), SAMPLE_FILES[kind])
    assert template.type == kind
    assert template.to_json() == sample(kind)
    assert list(template.to_json()) == list(sample(kind))  # key order kept too
    assert botocore_accepts(kind, template.to_json())
    assert template.to_cli_input() == {"TemplateName": "sample", REQUEST_SHAPES[kind]: sample(kind)}


@pytest.mark.parametrize("kind", TEMPLATE_TYPES)
def test_bare_request_text_and_dict_give_the_same_template(kind):
    request = sample(kind)
    a = Template.from_json("x", kind, request)
    b = Template.from_json("x", kind, json.dumps(request))
    assert a == b


@pytest.mark.parametrize("kind", TEMPLATE_TYPES)
def test_get_template_response_loads_without_its_response_fields(kind):
    response = {
        "Arn": f"arn:aws:mobiletargeting:us-east-1:123456789012:templates/x/{kind}",
        "CreationDate": "2024-01-02T03:04:05.000Z",
        "LastModifiedDate": "2024-02-02T03:04:05.000Z",
        "TemplateName": "x",
        "TemplateType": kind,
        "Version": "7",
        **sample(kind),
    }
    # what `aws pinpoint get-*-template` prints is valid for the response shape
    assert not ParamValidator().validate(response, MODEL.shape_for(RESPONSE_SHAPES[kind])).has_errors()
    for obj in (response, {RESPONSE_SHAPES[kind]: response}):
        assert Template.from_json("x", kind, obj).to_json() == sample(kind)


def test_cli_input_json_wrapper_of_update_is_accepted():
    obj = {
        "CreateNewVersion": True,
        "TemplateName": "other",
        "Version": "2",
        "SMSTemplateRequest": sample("SMS"),
    }
    assert Template.from_json("x", "sms", obj).to_json() == sample("SMS")


def test_a_wrapper_of_another_type_names_it():
    with pytest.raises(InputError) as err:
        Template.from_json("x", "email", {"SMSTemplateRequest": sample("SMS")}, file="t.json")
    assert err.value.field == "SMSTemplateRequest"
    assert "SMS template" in str(err.value) and str(err.value).startswith("t.json: ")


def test_response_of_another_type_is_refused():
    with pytest.raises(InputError) as err:
        Template.from_json("x", "email", {"TemplateType": "SMS", "Subject": "hi"})
    assert err.value.field == "TemplateType"


# --- refusals naming the key --------------------------------------------------------------------------------------

BAD = [
    ("PUSH", {"APNS": {"Sound": 5}}, "APNS.Sound", "must be a string, got a number"),
    ("PUSH", {"APNS": {"Sounds": "x"}}, "APNS.Sounds", "did you mean Sound"),
    (
        "PUSH",
        {"APNS": {"ImageUrl": "x"}},
        "APNS.ImageUrl",
        "unknown key",
    ),  # only Android blocks have ImageUrl
    ("PUSH", {"GCM": "hello"}, "GCM", "must be a JSON object"),
    ("PUSH", {"Default": {"Action": "OPEN"}}, "Default.Action", "OPEN_APP"),
    ("EMAIL", {"Subjet": "hi"}, "Subjet", "did you mean Subject"),
    ("EMAIL", {"Subject": None}, "Subject", "got null"),
    ("EMAIL", {"HtmlPart": ["<p>"]}, "HtmlPart", "got a list"),
    ("EMAIL", {"Headers": {"Name": "X-A"}}, "Headers", "must be a list"),
    ("EMAIL", {"Headers": [{"Name": "X-A", "Value": 3}]}, "Headers[0].Value", "must be a string"),
    ("EMAIL", {"Headers": [{"Value": "v"}]}, "Headers[0].Name", "needs a Name"),
    ("EMAIL", {"Headers": [{"Name": "X-A", "Valeu": "v"}]}, "Headers[0].Valeu", "did you mean Value"),
    ("EMAIL", {"Headers": [{"Name": "X" * 127}]}, "Headers[0].Name", "126"),
    ("EMAIL", {"Headers": [{"Name": "X-A", "Value": "v" * 871}]}, "Headers[0].Value", "870"),
    ("EMAIL", {"Headers": [{"Name": "X-A", "Value": "a\r\nBcc: x@y.z"}]}, "Headers[0].Value", "line breaks"),
    ("EMAIL", {"Headers": [{"Name": "Bad Name:"}]}, "Headers[0].Name", "not a header name"),
    ("EMAIL", {"Headers": [{"Name": f"X-{i}"} for i in range(16)]}, "Headers", "at most 15"),
    ("EMAIL", {"tags": {"team": 1}}, "tags.team", "must be a string"),
    ("EMAIL", {"tags": ["a"]}, "tags", "object of strings"),
    ("SMS", {"Body": "hi", "DefaultSubstitutions": "{not json"}, "DefaultSubstitutions", "JSON object"),
    ("SMS", {"Body": "hi", "DefaultSubstitutions": '["a"]'}, "DefaultSubstitutions", "got a list"),
    ("SMS", {"Body": "hi", "DefaultSubstitutions": '{"a": {"b": 1}}'}, "DefaultSubstitutions.a", "text"),
    ("SMS", {"Body": "hi", "DefaultSubstitutions": {"a": "b"}}, "DefaultSubstitutions", "must be a string"),
    ("SMS", {"Body": "\ud800"}, "Body", "Unicode"),
    ("SMS", {"Body": "hi", "Subject": "x"}, "Subject", "unknown key"),
    (
        "VOICE",
        {"Body": "hi", "RecommenderId": "r"},
        "RecommenderId",
        "unknown key",
    ),  # not in VoiceTemplateRequest
]


@pytest.mark.parametrize(("kind", "request_", "field", "words"), BAD)
def test_bad_keys_and_types_name_the_key_path_and_file(kind, request_, field, words):
    with pytest.raises(InputError) as err:
        Template.from_json("bad", kind, request_, file="spec.json")
    assert err.value.field == field
    assert err.value.file == "spec.json"
    assert words in str(err.value)
    assert str(err.value).startswith(f"spec.json: field {field}: ")


def test_json_syntax_error_names_file_and_line(tmp_path):
    spec = tmp_path / "broken.json"
    spec.write_text('{\n  "Body": "hi",\n  "TemplateDescription": oops\n}\n')
    with pytest.raises(InputError) as err:
        Template.from_json("x", "sms", spec)
    assert err.value.file == str(spec) and err.value.line == 3


@pytest.mark.parametrize("value", [[], '"text"', 3, None, "[1]"])
def test_top_level_must_be_an_object(value):
    with pytest.raises(InputError, match="must be a JSON object"):
        Template.from_json("x", "sms", value)


@pytest.mark.parametrize("name", ["", "a b", "x" * 129, "é", "a/b", "a.b"])
def test_names_are_pinpoints(name):
    with pytest.raises(InputError) as err:
        Template.from_json(name, "sms", {"Body": "hi"})
    assert err.value.field == "TemplateName"


def test_name_limits_accept_128_and_punctuation():
    assert Template.from_json("A" * 128, "sms", {"Body": "hi"}).name == "A" * 128
    assert Template.from_json("order-shipped_v2", "sms", {"Body": "hi"}).name == "order-shipped_v2"


def test_unknown_type_lists_the_types():
    with pytest.raises(InputError, match="email, sms, push, voice"):
        Template.from_json("x", "inapp", {"Body": "hi"})


# --- size quotas --------------------------------------------------------------------------------------------------

SIZES = [
    ("EMAIL", lambda n: {"Subject": "s", "HtmlPart": "h" * (n - 2), "TextPart": "t"}, 600_000, "HtmlPart"),
    ("SMS", lambda n: {"Body": "b" * n}, 1_600, "Body"),
    ("VOICE", lambda n: {"Body": "b" * n}, 10_000, "Body"),
    ("PUSH", lambda n: {"APNS": {"Title": "t", "Body": "b" * (n - 1)}}, 4_000, "APNS.Body"),
    (
        "PUSH",
        lambda n: {"Default": {"Title": "t" * (n - 1), "Body": "b", "Action": "URL"}},
        4_000,
        "Default.Title",
    ),
    ("PUSH", lambda n: {"ADM": {"Body": "b" * n}}, 6_000, "ADM.Body"),
    ("PUSH", lambda n: {"GCM": {"RawContent": "r" * n}}, 4_000, "GCM.RawContent"),
]


@pytest.mark.parametrize(("kind", "make", "limit", "field"), SIZES)
def test_size_quotas_at_the_edge(kind, make, limit, field):
    Template.from_json("x", kind, make(limit))  # exactly at the limit: fine
    with pytest.raises(InputError) as err:
        Template.from_json("x", kind, make(limit + 1), file="big.json")
    assert err.value.field == field
    assert f"{limit:,}" in str(err.value)


def test_push_limits_are_per_platform():
    # 3,000 characters in each of three platforms: each within its quota
    request = {block: {"Body": "b" * 3000} for block in ("Default", "APNS", "GCM")}
    assert Template.from_json("x", "push", request).parts()["GCM.Body"].source == "b" * 3000


# --- botocore's model as the oracle: what it accepts, we accept and write back unchanged ----------------------------

_PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="{}%#"), max_size=30
)
_HEADER = st.fixed_dictionaries(
    {"Name": st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,40}", fullmatch=True)},
    optional={
        "Value": st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=60
        )
    },
)
_DEFAULTS = st.dictionaries(
    st.sampled_from(["User.UserAttributes.FirstName", "Attributes.plan", "Location.City", "x"]),
    _PLAIN,
    max_size=3,
).map(json.dumps)


def _from_shape(shape, name: str = ""):
    """A Hypothesis strategy for values of a botocore shape (templates' texts as plain text: the template
    syntax is the renderer's business, tested there)."""
    if name == "Headers":
        return st.lists(_HEADER, max_size=15)
    if name == "DefaultSubstitutions":
        return _DEFAULTS
    if shape.type_name == "structure":
        return st.fixed_dictionaries({}, optional={k: _from_shape(v, k) for k, v in shape.members.items()})
    if shape.type_name == "map":
        return st.dictionaries(_PLAIN, _PLAIN, max_size=3)
    if shape.type_name == "string":
        return st.sampled_from(shape.enum) if shape.enum else _PLAIN
    raise AssertionError(f"no strategy for {shape.type_name} ({name})")


_REQUESTS = st.sampled_from(TEMPLATE_TYPES).flatmap(
    lambda kind: st.tuples(st.just(kind), _from_shape(MODEL.shape_for(REQUEST_SHAPES[kind])))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_REQUESTS)
def test_every_request_botocore_accepts_round_trips_unchanged(pair):
    kind, request = pair
    assert botocore_accepts(kind, request)
    template = Template.from_json("fuzz", kind, request)
    assert template.to_json() == request
    assert botocore_accepts(kind, template.to_json())
    wrapped = Template.from_json("fuzz", kind, {"TemplateName": "fuzz", REQUEST_SHAPES[kind]: request})
    assert wrapped == template


# --- storage with versions ----------------------------------------------------------------------------------------


def test_save_makes_versions_and_load_finds_them(store):
    one = save_template(store, "welcome", "email", SAMPLE_FILES["EMAIL"])
    assert (one.version, one.type, one.store) == (1, "EMAIL", store)
    changed = {**sample("EMAIL"), "Subject": "Hello again"}
    two = save_template(store, "welcome", "EMAIL", changed)
    assert two.version == 2 and two.template_id == one.template_id

    latest = load_template(store, "welcome")
    assert latest.version == 2 and latest.request["Subject"] == "Hello again"
    pinned = load_template(store, "welcome", version=1)
    assert pinned.version == 1 and pinned.to_json() == sample("EMAIL")
    assert pinned.store is store


def test_stored_json_is_the_request_unchanged(store):
    save_template(store, "offer", "push", SAMPLE_FILES["PUSH"])
    with store.connect(read_only=True, views=False) as con:
        (spec,) = con.execute("SELECT CAST(spec AS VARCHAR) FROM template_versions").fetchone()
    assert json.loads(spec) == sample("PUSH")


def test_missing_version_names_the_versions_there_are(store):
    for _ in range(3):
        save_template(store, "order", "sms", {"Body": "hi"})
    with pytest.raises(UnknownNameError, match=r"has no version 9 \(versions: 1-3\)"):
        load_template(store, "order", version=9)


def test_unknown_name_suggests_close_ones(store):
    save_template(store, "order-shipped", "sms", {"Body": "hi"})
    with pytest.raises(UnknownNameError, match="did you mean order-shipped"):
        load_template(store, "order-shiped")
    with pytest.raises(UnknownNameError, match="there is a SMS template of that name"):
        load_template(store, "order-shipped", type="email")


def test_one_name_two_types_needs_the_type(store):
    save_template(store, "welcome", "email", SAMPLE_FILES["EMAIL"])
    save_template(store, "welcome", "sms", SAMPLE_FILES["SMS"])
    with pytest.raises(InputError, match="EMAIL, SMS") as err:
        load_template(store, "welcome")
    assert err.value.field == "type"
    assert load_template(store, "welcome", type="sms").type == "SMS"
    assert load_template(store, "welcome", type="email").version == 1


def test_nothing_is_saved_when_the_spec_is_wrong(store):
    save_template(store, "order", "sms", {"Body": "hi"})
    for bad in ({"Body": 3}, {"Body": "b" * 1601}, {"Bdy": "x"}):
        with pytest.raises(InputError):
            save_template(store, "order", "sms", bad)
    with pytest.raises(InputError):
        save_template(store, "new one", "sms", {"Body": "hi"})
    with store.connect(read_only=True, views=False) as con:
        assert con.execute("SELECT count(*) FROM template_versions").fetchone()[0] == 1
        assert con.execute("SELECT name, latest_version FROM templates").fetchall() == [("order", 1)]


def test_list_templates(store):
    assert list_templates(store) == []
    save_template(store, "welcome", "email", SAMPLE_FILES["EMAIL"])
    save_template(store, "welcome", "email", SAMPLE_FILES["EMAIL"])
    save_template(store, "order", "sms", SAMPLE_FILES["SMS"])
    rows = list_templates(store)
    assert [(r["name"], r["type"], r["latest_version"], r["active_version"]) for r in rows] == [
        ("order", "SMS", 1, 1),
        ("welcome", "EMAIL", 2, 2),
    ]
    assert rows[1]["description"] == "Welcome mail for new sign-ups"
    assert rows[0]["updated_at"] is not None


def test_activating_an_older_version_rolls_back(store):
    save_template(store, "order", "sms", {"Body": "v1"})
    save_template(store, "order", "sms", {"Body": "v2"})
    activate_template_version(store, "order", 1)
    assert load_template(store, "order").request == {"Body": "v1"}
    assert list_templates(store)[0]["active_version"] == 1
    assert list_templates(store)[0]["latest_version"] == 2
    # the next save is the new active version
    assert save_template(store, "order", "sms", {"Body": "v3"}).version == 3
    assert load_template(store, "order").request == {"Body": "v3"}
    with pytest.raises(UnknownNameError):
        activate_template_version(store, "order", 7)


# --- the notebook display -----------------------------------------------------------------------------------------


def test_repr_html_puts_the_html_part_in_a_sandboxed_iframe():
    request = {
        "Subject": "Hi {{User.UserAttributes.FirstName}}",
        "HtmlPart": '<p class="x">Hello & <b>{{Attributes.plan}}</b></p><script>alert(1)</script>',
        "TextPart": "Hello {{Location.City}}",
    }
    page = Template.from_json("w", "email", request)._repr_html_()
    assert "<iframe sandbox srcdoc=" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in page  # never live in the notebook itself
    assert "&quot;x&quot;" in page
    for name in ("User.UserAttributes.FirstName", "Attributes.plan", "Location.City"):
        assert name in page


def test_repr_html_of_sms_shows_encoding_and_parts():
    page = Template.from_json("s", "sms", {"Body": "Cześć " * 30})._repr_html_()
    assert "UCS-2" in page and "3 parts" in page
    page = Template.from_json("s", "sms", {"Body": "Hello"})._repr_html_()
    assert "GSM-7" in page and "1 part " in page


def test_repr_html_of_push_and_voice():
    push = Template.from_json("p", "push", SAMPLE_FILES["PUSH"])._repr_html_()
    assert "APNS.Title" in push and "GCM.SmallImageIconUrl" in push
    voice = Template.from_json("v", "voice", SAMPLE_FILES["VOICE"])._repr_html_()
    assert "Joanna" in voice and "en-US" in voice


def test_variables_used():
    template = Template.from_json("p", "push", SAMPLE_FILES["PUSH"])
    assert template.variables() == ["Attributes.plan", "User.UserAttributes.FirstName"]
    assert Template.from_json("s", "sms", {"Body": "Id and Address are words here"}).variables() == []


def test_parts_and_defaults():
    email = Template.from_json("w", "email", SAMPLE_FILES["EMAIL"])
    parts = email.parts()
    assert list(parts) == ["Subject", "HtmlPart", "TextPart"]
    assert parts["HtmlPart"].html and not parts["Subject"].html and not parts["TextPart"].html
    assert email.default_substitutions["User.UserAttributes.FirstName"] == "there"
    push = Template.from_json("p", "push", SAMPLE_FILES["PUSH"])
    assert "APNS.Action" not in push.parts() and "Default.Title" in push.parts()
    numbers = Template.from_json(
        "s", "sms", {"Body": "x", "DefaultSubstitutions": '{"Metrics.n": 2, "ok": true}'}
    )
    assert numbers.default_substitutions == {"Metrics.n": "2", "ok": "true"}


# --- template syntax is checked on save, naming the part and its line ---------------------------------------------


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("<p>Hi</p>\n<p>{{ ''.__class__.__mro__ }}</p>", "__mro__"),
        ("<p>Hi</p>\n{{#if Attributes.plan}}open", "never closed"),
        ("<p>Hi</p>\n{{ cycler.__init__.__globals__.os }}", "not allowed"),
    ],
)
def test_refused_constructs_name_the_part_and_its_line(store, source, words):
    with pytest.raises(InputError) as err:
        save_template(store, "bad", "email", {"Subject": "s", "HtmlPart": source}, file="t.json")
    assert err.value.field == "HtmlPart" and err.value.file == "t.json"
    assert words in str(err.value) and "(line 2 of HtmlPart)" in str(err.value)
    assert list_templates(store) == []


def test_preview_needs_a_project():
    with pytest.raises(WorkbenchError, match="not in a project"):
        Template.from_json("x", "sms", {"Body": "hi"}).preview("ep-1")
