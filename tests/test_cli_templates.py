"""``workbench template create | render | list | show`` and ``workbench sms parts``, and a fuzz test of
``template create`` with mutated template JSON (never a traceback, never a half-valid template saved)."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbench.cli import main
from workbench.messages.templates import REQUEST_SHAPES, TEMPLATE_TYPES

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample" / "templates"
SAMPLE_FILES = {
    "EMAIL": SAMPLES / "welcome_email.json",
    "SMS": SAMPLES / "order_sms.json",
    "PUSH": SAMPLES / "offer_push.json",
    "VOICE": SAMPLES / "reminder_voice.json",
}
MODEL = botocore.session.get_session().get_service_model("pinpoint")
CREATE_OPS = {
    "EMAIL": "CreateEmailTemplate",
    "SMS": "CreateSmsTemplate",
    "PUSH": "CreatePushTemplate",
    "VOICE": "CreateVoiceTemplate",
}


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``workbench ARGS`` in this process; (exit code, stdout, stderr). Any other exception propagates."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def cli_json(project: Path, *args: str) -> dict:
    code, out, err = cli(*args, "--project", str(project), "--json")
    assert code == 0, err
    return json.loads(out)


def versions(project: Path) -> int:
    from workbench.store import Store

    with Store.open(project).connect(read_only=True, views=False) as con:
        return con.execute("SELECT count(*) FROM template_versions").fetchone()[0]


@pytest.fixture
def project_dir(tmp_path) -> Path:
    from workbench.store import Store

    return Store.create(tmp_path / "project").path


@pytest.fixture(scope="module")
def endpoints_project(tmp_path_factory) -> Path:
    """A project with the sample endpoints (ep-0000001: Mateo, plan free, Chicago) and the sample templates."""
    from workbench import Project

    project = Project.create(tmp_path_factory.mktemp("tpl") / "project")
    project.endpoints.import_files(ROOT / "data" / "sample" / "endpoints.csv", progress=False)
    for kind, file in SAMPLE_FILES.items():
        code, _out, err = cli(
            "template",
            "create",
            file.stem,
            "--type",
            kind.lower(),
            "--spec",
            str(file),
            "--project",
            str(project.path),
        )
        assert code == 0, err
    return project.path


# --- create / list / show -----------------------------------------------------------------------------------------


def test_create_each_type_and_new_versions(project_dir):
    for kind, file in SAMPLE_FILES.items():
        got = cli_json(project_dir, "template", "create", "t1", "--type", kind.lower(), "--spec", str(file))
        assert got == {"template": "t1", "type": kind, "version": 1}
    again = cli_json(
        project_dir, "template", "create", "t1", "--type", "sms", "--spec", str(SAMPLE_FILES["SMS"])
    )
    assert again["version"] == 2
    code, out, _ = cli(
        "template",
        "create",
        "t2",
        "--type",
        "sms",
        "--spec",
        str(SAMPLE_FILES["SMS"]),
        "--project",
        str(project_dir),
    )
    assert code == 0 and out.strip() == "saved sms template 't2' version 1"


def test_list_and_show(project_dir):
    assert cli_json(project_dir, "template", "list") == {"templates": []}
    cli_json(
        project_dir, "template", "create", "welcome", "--type", "email", "--spec", str(SAMPLE_FILES["EMAIL"])
    )
    cli_json(
        project_dir, "template", "create", "welcome", "--type", "email", "--spec", str(SAMPLE_FILES["EMAIL"])
    )
    listed = cli_json(project_dir, "template", "list")["templates"]
    assert [(r["name"], r["type"], r["latest_version"], r["active_version"]) for r in listed] == [
        ("welcome", "EMAIL", 2, 2)
    ]
    assert listed[0]["description"] == "Welcome mail for new sign-ups"

    shown = cli_json(project_dir, "template", "show", "welcome", "--version", "1")
    expected = json.loads(SAMPLE_FILES["EMAIL"].read_text())["EmailTemplateRequest"]
    assert shown == {"template": "welcome", "type": "EMAIL", "version": 1, "spec": expected}
    # without --json: the request itself, which saves again unchanged
    code, out, _ = cli("template", "show", "welcome", "--project", str(project_dir))
    assert code == 0 and json.loads(out) == expected


def test_errors_name_file_and_field_without_traceback(project_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"PushNotificationTemplateRequest": {"APNS": {"Sound": 5}}}))
    code, out, err = cli(
        "template", "create", "p", "--type", "push", "--spec", str(bad), "--project", str(project_dir)
    )
    assert code == 1 and out == ""
    assert err.strip() == f"error: {bad}: field APNS.Sound: must be a string, got a number"
    assert versions(project_dir) == 0

    code, _, err = cli(
        "template",
        "create",
        "p",
        "--type",
        "push",
        "--spec",
        str(tmp_path / "nope.json"),
        "--project",
        str(project_dir),
    )
    assert code == 1 and "nope.json: no such file" in err

    code, _, err = cli(
        "template", "create", "p", "--type", "fax", "--spec", str(bad), "--project", str(project_dir)
    )
    assert code == 1 and "email, sms, push, voice" in err

    code, _, err = cli("template", "show", "welcom", "--project", str(project_dir))
    assert code == 1 and "no template named 'welcom'" in err


def test_commands_through_a_real_process(project_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Body": "hi",\n "Bodyy": "x"}')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench.cli",
            "template",
            "create",
            "s",
            "--type",
            "sms",
            "--spec",
            str(bad),
            "--project",
            str(project_dir),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {bad}: field Bodyy: unknown key 'Bodyy'")
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "sms", "parts", "Hello {name} €5", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"encoding": "GSM-7", "characters": 18, "parts": 1, "non_gsm": []}


# --- sms parts ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, ("GSM-7", 160, 1)),
        ("a" * 161, ("GSM-7", 161, 2)),
        ("€" * 10, ("GSM-7", 20, 1)),
        ("ç" + "a" * 70, ("UCS-2", 71, 2)),
    ],
)
def test_sms_parts(text, expected):
    code, out, err = cli("sms", "parts", text, "--json")
    assert code == 0, err
    got = json.loads(out)
    assert (got["encoding"], got["characters"], got["parts"]) == expected
    code, out, _ = cli("sms", "parts", text)
    assert code == 0 and out.startswith(f"{expected[0]}, {expected[1]} characters, {expected[2]} part")


# --- render (needs the renderer: workbench/messages/render.py and context.py) -------------------------------------


def test_render_for_an_endpoint(endpoints_project):
    got = cli_json(endpoints_project, "template", "render", "welcome_email", "--endpoint", "ep-0000001")
    assert got["template"] == "welcome_email" and got["version"] == 1 and got["endpoint"] == "ep-0000001"
    assert got["parts"]["Subject"] == "Welcome to Acme, Mateo"
    assert "Chicago" in got["parts"]["TextPart"] and "<b>free</b>" in got["parts"]["HtmlPart"]
    assert got["missing"] == []
    sms = cli_json(
        endpoints_project, "template", "render", "order_sms", "--endpoint", "ep-0000003", "--type", "sms"
    )
    assert sms["parts"]["Body"].startswith("Hi Mateo, your Acme order")
    push = cli_json(endpoints_project, "template", "render", "offer_push", "--endpoint", "ep-0000001")
    assert (
        push["parts"]["APNS.Title"] == "A gift for you, Mateo"
        and push["parts"]["GCM.Url"] == "https://example.com/perks"
    )


def test_render_lists_missing_values_as_warnings(endpoints_project, tmp_path):
    spec = tmp_path / "nodefault.json"
    spec.write_text(json.dumps({"Body": "Hi {{User.UserAttributes.FirstName}} from {{Location.City}}"}))
    cli_json(endpoints_project, "template", "create", "nodefault", "--type", "sms", "--spec", str(spec))
    got = cli_json(endpoints_project, "template", "render", "nodefault", "--endpoint", "ep-0000002")
    assert got["parts"]["Body"] == "Hi Kevin from "
    assert got["missing"] == ["Location.City"]
    code, out, _ = cli(
        "template", "render", "nodefault", "--endpoint", "ep-0000002", "--project", str(endpoints_project)
    )
    assert code == 0 and "Hi Kevin from" in out and "warning" in out and "Location.City" in out


def test_render_of_an_unknown_endpoint_or_version_names_it(endpoints_project):
    code, _, err = cli(
        "template", "render", "order_sms", "--endpoint", "ep-nope", "--project", str(endpoints_project)
    )
    assert code == 1 and "ep-nope" in err
    code, _, err = cli(
        "template",
        "render",
        "order_sms",
        "--endpoint",
        "ep-0000001",
        "--version",
        "4",
        "--project",
        str(endpoints_project),
    )
    assert code == 1 and "no version 4 (versions: 1)" in err


def test_preview_in_python_and_its_html(endpoints_project):
    from workbench.messages.templates import load_template
    from workbench.store import Store

    template = load_template(Store.open(endpoints_project), "welcome_email")
    preview = template.preview("ep-0000001")
    assert preview.to_dict()["parts"]["Subject"] == "Welcome to Acme, Mateo"
    page = preview._repr_html_()
    assert "<iframe sandbox srcdoc=" in page and "Mateo" in page
    assert "&lt;h1&gt;" in page  # the HTML part escaped into the attribute, never live


# --- fuzz: mutated template JSON through `template create` --------------------------------------------------------

_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "{{",
            "}}",
            "{{Attributes.plan}}",
            "{{#if Attributes.plan}}x{{/if}}",
            "{% for x in y %}",
            "{{#each",
            "{{ ''.__class__.__mro__ }}",
            "{{ 'A' * 10**8 }}",
            "{{ cycler.__init__.__globals__.os }}",
            "{{lipsum}}",
            "<script>alert(1)</script>",
            "\ud800",
            "\x00",
            "OPEN_APP",
            "URL",
            '{"a": "b"}',
            "[",
            "a" * 1700,
        ]
    ),
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6) | _TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)
_KEYS = st.sampled_from(
    [
        "Body",
        "Subject",
        "HtmlPart",
        "TextPart",
        "Headers",
        "Name",
        "Value",
        "APNS",
        "GCM",
        "Default",
        "Sound",
        "Action",
        "tags",
        "DefaultSubstitutions",
        "TemplateType",
        "Arn",
        "EmailTemplateRequest",
        "SMSTemplateRequest",
        "Bdy",
        "ImageUrl",
        "RawContent",
    ]
)


def _containers(node, path=()):
    """Every dict / list in a JSON tree, with its path."""
    if isinstance(node, dict | list):
        yield path, node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            yield from _containers(child, (*path, key))


@st.composite
def mutated_specs(draw):
    kind = draw(st.sampled_from(TEMPLATE_TYPES))
    obj = json.loads(SAMPLE_FILES[kind].read_text())
    if draw(st.booleans()):
        obj = obj[REQUEST_SHAPES[kind]]  # the bare request
    obj = copy.deepcopy(obj)
    for _ in range(draw(st.integers(1, 3))):
        spots = list(_containers(obj))
        _path, node = draw(st.sampled_from(spots))
        op = draw(st.sampled_from(["set", "delete", "add"]))
        if isinstance(node, dict):
            if op == "delete" and node:
                del node[draw(st.sampled_from(sorted(node)))]
            elif op == "set" and node:
                node[draw(st.sampled_from(sorted(node)))] = draw(_JSON)
            else:
                node[draw(_KEYS | st.text(max_size=6))] = draw(_JSON)
        elif isinstance(node, list):
            if op == "delete" and node:
                node.pop(draw(st.integers(0, len(node) - 1)))
            elif op == "set" and node:
                node[draw(st.integers(0, len(node) - 1))] = draw(_JSON)
            else:
                node.append(draw(_JSON))
    text = json.dumps(obj, indent=1)
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # a file cut short
    type_arg = draw(st.sampled_from([kind.lower(), kind.lower(), kind.lower(), "email", "sms", "PUSH", "x"]))
    return type_arg, text


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    from workbench.store import Store

    return Store.create(tmp_path_factory.mktemp("fuzz") / "project").path


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=mutated_specs())
def test_fuzz_template_create_never_tracebacks_nor_saves_half_valid(fuzz_project, tmp_path, case):
    type_arg, text = case
    spec = tmp_path / "spec.json"
    spec.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = versions(fuzz_project)
    code, out, err = cli(
        "template",
        "create",
        "fz",
        "--type",
        type_arg,
        "--spec",
        str(spec),
        "--project",
        str(fuzz_project),
        "--json",
    )
    event(f"exit {code}")
    if code == 0:
        got = json.loads(out)
        assert versions(fuzz_project) == before + 1
        from workbench.messages.templates import load_template
        from workbench.store import Store

        saved = load_template(Store.open(fuzz_project), "fz", type=got["type"], version=got["version"])
        # whatever we saved is a request Pinpoint itself would take
        op = MODEL.operation_model(CREATE_OPS[saved.type])
        report = ParamValidator().validate(
            {"TemplateName": "fz", REQUEST_SHAPES[saved.type]: saved.to_json()}, op.input_shape
        )
        assert not report.has_errors(), report.generate_report()
    else:
        assert code == 1, err
        assert err.startswith("error: ") and "Traceback" not in err
        assert out == ""
        assert versions(fuzz_project) == before


def test_render_that_breaks_a_limit_fails_naming_the_endpoint(endpoints_project, tmp_path):
    spec = tmp_path / "huge.json"
    spec.write_text(json.dumps({"Body": "{{ 'A' * 10**8 }}"}))
    cli_json(endpoints_project, "template", "create", "huge", "--type", "sms", "--spec", str(spec))
    code, out, err = cli(
        "template", "render", "huge", "--endpoint", "ep-0000001", "--project", str(endpoints_project)
    )
    assert code == 1 and out == "" and "ep-0000001" in err and "Traceback" not in err
