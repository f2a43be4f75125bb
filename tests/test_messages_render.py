"""Rendering in the sandbox: escaping, defaults, missing values, limits, injection payloads, audiences."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.messages import render as render_mod
from workbench.messages.context import endpoint_context, endpoint_rows, to_text
from workbench.messages.render import (
    MAX_PART_CHARS,
    RenderedFrame,
    RenderError,
    TemplatePart,
    check_part,
    render_frame,
    render_parts,
    safe_url,
)

ROW = {
    "Id": "e1",
    "Address": "a@example.com",
    "User.UserAttributes.FirstName": ["Tom & <Jerry> \"quoted\" 'single'"],
    "Attributes.plan": ["gold"],
    "Location.City": None,
    "Metrics.visits": 3.0,
}
EMAIL = {
    "Subject": TemplatePart("Hello {{User.UserAttributes.FirstName}}", html=False),
    "HtmlPart": TemplatePart(
        "<p>Hello {{User.UserAttributes.FirstName}} from {{Location.City}}</p>", html=True
    ),
    "TextPart": TemplatePart("Hello {{User.UserAttributes.FirstName}} from {{Location.City}}", html=False),
}


# --- the namespace --------------------------------------------------------------------------------------


def test_endpoint_context_nests_dotted_columns_and_drops_missing_values():
    ctx = endpoint_context(
        {
            "Id": "e1",
            "User.UserId": "u1",
            "User.UserAttributes.FirstName": ["Ann"],
            "Attributes.tags": [],
            "Attributes.plan": ["a", None],
            "Demographic.Platform": None,
            "Metrics.m": 1.5,
        }
    )
    assert ctx["Id"] == "e1"
    assert ctx["User"] == {"UserId": "u1", "UserAttributes": {"FirstName": ["Ann"]}}
    assert ctx["Attributes"] == {"plan": ["a", ""]}  # empty list = missing; a null item prints empty
    assert ctx["Demographic"] == {}
    assert ctx["Metrics"] == {"m": 1.5}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (2.5, "2.5"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (True, "true"),
        (["a", "b"], "a,b"),
        (None, ""),
        ({"a": 1}, "[object Object]"),
    ],
)
def test_values_print_as_pinpoint_prints_them(value, text):
    assert to_text(value) == text


def test_endpoint_rows_reads_the_view_with_parameters(demo_project):
    some = demo_project.query(
        'SELECT Id, "User.UserId", Address FROM endpoints ORDER BY Id LIMIT 2'
    ).to_dicts()
    rows = endpoint_rows(demo_project, ids=[some[0]["Id"], some[1]["Id"]])
    assert [r["Id"] for r in rows] == [some[0]["Id"], some[1]["Id"]]
    assert all("Location.City" in r for r in rows)
    assert [r["Id"] for r in endpoint_rows(demo_project, address=some[0]["Address"])] == [some[0]["Id"]]
    by_user = endpoint_rows(demo_project, user_id=some[0]["User.UserId"])
    assert some[0]["Id"] in [r["Id"] for r in by_user]
    assert endpoint_rows(demo_project, ids=["x' OR '1'='1"]) == []
    assert endpoint_rows(demo_project, address="' OR 1=1 --") == []


# --- escaping, missing values, defaults -----------------------------------------------------------------


def test_html_parts_escape_values_and_text_parts_do_not():
    message = render_parts(EMAIL, ROW, {})
    assert message.parts["HtmlPart"] == (
        "<p>Hello Tom &amp; &lt;Jerry&gt; &#34;quoted&#34; &#39;single&#39; from </p>"
    )
    assert message.parts["TextPart"] == "Hello Tom & <Jerry> \"quoted\" 'single' from "
    assert message.parts["Subject"] == "Hello Tom & <Jerry> \"quoted\" 'single'"


def test_missing_values_render_empty_and_are_listed():
    message = render_parts(EMAIL, ROW, {})
    assert message.missing == ["Location.City"]
    message = render_parts({"P": TemplatePart("{{Attributes.a}}{{Foo.bar}}{{Attributes.plan.[2]}}")}, ROW, {})
    assert message.parts["P"] == "" and message.missing == ["Attributes.a", "Attributes.plan.[2]", "Foo.bar"]


def test_defaults_fill_missing_values_only():
    defaults = {
        "Location.City": "your city",
        "User.UserAttributes.FirstName": "friend",
        "Attributes.x.[0]": "X",
    }
    message = render_parts(
        {"P": TemplatePart("{{User.UserAttributes.FirstName.[0]}} in {{Location.City}} {{Attributes.x}}")},
        {"Id": "e2"},
        defaults,
    )
    assert message.parts["P"] == "friend in your city X" and message.missing == []
    present = render_parts(
        {"P": TemplatePart("{{Location.City}}")}, {"Id": "e", "Location.City": "Rome"}, defaults
    )
    assert present.parts["P"] == "Rome"


def test_substitutions_beat_endpoint_values_which_beat_defaults():
    part = {"P": TemplatePart("{{Attributes.plan}} {{FirstName}} {{Location.City}}")}
    row = {"Id": "e", "Attributes.plan": ["gold"], "Location.City": "Rome"}
    defaults = {"Attributes.plan": "basic", "FirstName": "friend", "Location.City": "nowhere"}
    assert render_parts(part, row, defaults).parts["P"] == "gold friend Rome"
    out = render_parts(part, row, defaults, substitutions={"Attributes.plan": ["vip"], "FirstName": ["Ann"]})
    assert out.parts["P"] == "vip Ann Rome"


def test_safe_url_allows_only_web_mail_and_phone_links():
    for good in ("https://x.example/a?b=1", "http://x", "mailto:a@b.c", "tel:+4412345", "/relative", "#top"):
        assert safe_url(good) == good
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:x",
        "data:text/html,x",
        "vbscript:x",
        "&#106;avascript:alert(1)",
    ):
        assert safe_url(bad) == "#"
    out = render_parts(
        {"H": TemplatePart('<a href="{{ Attributes.u|safe_url }}">x</a>', True)},
        {"Id": "e", "Attributes.u": ["javascript:alert(1)"]},
        {},
    )
    assert out.parts["H"] == '<a href="#">x</a>'


# --- limits and injection -------------------------------------------------------------------------------


def test_string_repetition_stops_at_the_limit_before_allocating():
    with pytest.raises(RenderError) as err:
        render_parts({"HtmlPart": TemplatePart("{{ 'A' * 10**8 }}", True)}, ROW, {})
    assert err.value.endpoint_id == "e1" and err.value.part == "HtmlPart"
    assert "limit" in err.value.reason and "100000000" in err.value.reason


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}",
        "{% macro f(s, n) %}{% if n %}{{ f(s ~ s, n - 1) }}{% endif %}{% endmacro %}{{ f('ab', 40) }}",
        "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
        "{% for i in range(9000) %}{{ 'x' * 100 }}{% endfor %}",
        "{{ range(10**9)|list }}",
        "{{ [1]|batch(10**8, 'x')|list }}",
        "{{ 'x'|center(10**8) }}",
        "{{ ('x' * 500000)|replace('x', 'yy') }}",
        "{{ (range(9000)|list)|join('y' * 100) }}",
        "{{ (2 ** 5000) }}",
        "{{ [0] * 10**7 }}",
        "{{ rjust 'x' size=100000000 }}",
    ],
)
def test_resource_exhaustion_fails_alone_with_a_limit_error(source):
    check_part(source, html=True)
    with pytest.raises(RenderError) as err:
        render_parts({"HtmlPart": TemplatePart(source, True)}, ROW, {})
    assert err.value.endpoint_id == "e1"
    assert "limit" in err.value.reason or "over the limit" in err.value.reason


SSTI = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context.cycler }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__ }}",
    "{{ joiner().__call__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ request['__class__'] }}",
    "{% set x = namespace(a=1) %}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ 'a'.format_map }}",
    "{{ '%999999999d' % 1 }}",
    "{{ Attributes.plan.append('x') }}",
    "{{ os.system('id') }}",
    "{{ config.items() }}",
    "{{ hb_upper.__globals__ }}",
]


@pytest.mark.parametrize("payload", SSTI)
def test_template_injection_fails_safely_with_a_clear_error(payload):
    try:
        check_part(payload, html=True, where="t.json", part="HtmlPart")
    except InputError as err:
        assert err.field == "HtmlPart" and err.line == 1
        assert any(w in err.reason for w in ("not allowed", "not available", "unknown"))
        return
    with pytest.raises(RenderError) as err:
        render_parts({"HtmlPart": TemplatePart(payload, True)}, ROW, {})
    assert err.value.endpoint_id == "e1"
    assert any(w in err.value.reason for w in ("not allowed", "missing")), err.value.reason


def test_the_environment_has_no_dangerous_globals():
    env = render_mod._environment(True)
    assert not {"cycler", "lipsum", "joiner", "namespace"} & set(env.globals)
    assert "attr" not in env.filters and "format" not in env.filters


# --- audiences ------------------------------------------------------------------------------------------


def _audience(n=5):
    return pl.DataFrame(
        {
            "Id": [f"e{i}" for i in range(n)],
            "User.UserAttributes.FirstName": [[f"N{i}<"] if i % 2 else None for i in range(n)],
            "Metrics.visits": [float(i) for i in range(n)],
        }
    )


def test_render_frame_collects_errors_per_endpoint_and_keeps_the_others():
    parts = {"TextPart": TemplatePart("{{divide 10 Metrics.visits}} {{upper User.UserAttributes.FirstName}}")}
    result = render_frame(parts, _audience(), {})
    assert not result.fast
    assert [e[0] for e in result.errors] == ["e0"] and "division by zero" in result.errors[0][2]
    assert result.frame["Id"].to_list() == ["e1", "e2", "e3", "e4"]
    assert result.frame["TextPart"].to_list() == ["10 N1<", "5 ", "3.3333333333333335 N3<", "2.5 "]
    assert result.missing_for("e2") == ["User.UserAttributes.FirstName"]
    assert result.missing_for("e1") == []
    assert "4 messages rendered" in result._repr_html_()


def test_render_frame_uses_the_fast_path_for_substitutions_only():
    parts = {
        "Subject": TemplatePart("Hi {{User.UserAttributes.FirstName}}"),
        "HtmlPart": TemplatePart("<p>{{User.UserAttributes.FirstName}}: {{Metrics.visits}}</p>", True),
    }
    result = render_frame(parts, _audience(), {"User.UserAttributes.FirstName": "you"})
    assert isinstance(result, RenderedFrame) and result.fast
    assert result.frame.to_dicts()[:2] == [
        {"Id": "e0", "Subject": "Hi you", "HtmlPart": "<p>you: 0</p>"},
        {"Id": "e1", "Subject": "Hi N1<", "HtmlPart": "<p>N1&lt;: 1</p>"},
    ]
    assert result.errors == [] and result.missing.height == 0


def test_render_frame_refuses_a_bad_part_naming_it():
    with pytest.raises(InputError) as err:
        render_frame({"Body": TemplatePart("{{#if x}}")}, _audience(), {})
    assert err.value.field == "Body"


def test_an_over_long_part_fails_alone_in_both_renderers():
    big = "x" * (MAX_PART_CHARS - 5)
    frame = pl.DataFrame({"Id": ["a", "b"], "Attributes.s": [["short"], ["far too long"]]})
    for source in (big + "{{Attributes.s}}", big + "{{Attributes.s}}{% if true %}{% endif %}"):
        result = render_frame({"TextPart": TemplatePart(source)}, frame, {})
        assert result.frame["Id"].to_list() == ["a"]
        assert [(e[0], e[1]) for e in result.errors] == [("b", "TextPart")]
        assert "limit" in result.errors[0][2]


# --- fuzz -----------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{{{",
        "}}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "#if ",
        "/if",
        "#each ",
        "/each",
        "else",
        "~",
        "!",
        "--",
        "> ",
        "Attributes.plan",
        "User.UserAttributes.FirstName",
        ".[0]",
        "this",
        "@index",
        "eq ",
        "upper ",
        "'x'",
        '"y"',
        " ",
        "\n",
        "(",
        ")",
        "|",
        "upper",
        "default",
        "x",
        "=",
        "yes=",
        "..",
        "/",
        "__class__",
        "*",
        "10",
        "range(",
        "for ",
        "in ",
        "endfor",
        "set ",
        "<b>",
        "&",
        "divide ",
        "0",
        "dateFormat ",
        "abbreviate ",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=3)), max_size=25).map("".join), st.booleans())
def test_fuzz_random_templates_raise_only_input_or_render_errors(source, html):
    try:
        check_part(source, html=html, where="fuzz.json", part="P")
    except InputError:
        return
    try:
        render_parts({"P": TemplatePart(source, html)}, ROW, {"Attributes.x": "d"})
    except RenderError:
        pass
