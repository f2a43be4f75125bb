"""The fast (Polars) renderer gives exactly the Jinja2 path's output: a hypothesis differential test."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.messages.render import TemplatePart, render_frame, render_parts

SCHEMA = {
    "Id": pl.String,
    "User.UserAttributes.FirstName": pl.List(pl.String),
    "Attributes.plan": pl.List(pl.String),
    "Location.City": pl.String,
    "Metrics.visits": pl.Float64,
    "CohortId": pl.Int16,
    "EffectiveDate": pl.Datetime("us"),
}
REFS = [
    "{{User.UserAttributes.FirstName}}",
    "{{User.UserAttributes.FirstName.[0]}}",
    "{{{User.UserAttributes.FirstName}}}",
    "{{Attributes.plan}}",
    "{{Attributes.plan.[1]}}",
    "{{ Attributes['plan'][0] }}",
    "{{{Attributes.plan.[0]}}}",
    "{{Location.City}}",
    "{{ Location.City|default('d&<') }}",
    "{{ Attributes.gone|default(\"'x'\")|hb_raw }}",
    "{{Metrics.visits}}",
    "{{CohortId}}",
    "{{EffectiveDate}}",
    "{{Attributes.nope}}",
    "{{Demographic.Platform}}",
    "{{Unknown.deep.path}}",
    "{{~ Location.City ~}}",
]
DEFAULT_KEYS = [
    "User.UserAttributes.FirstName",
    "Attributes.plan",
    "Location.City",
    "Metrics.visits",
    "Attributes.nope",
    "Demographic.Platform",
    "Attributes.plan.[0]",
]

_text = st.lists(st.sampled_from(list("ab &<>\"'é漢😀\n\t-") + ["&amp;", "\\"]), max_size=6).map("".join)
_literal = st.lists(st.sampled_from(list("Hi, &<>\"'é\n !") + ["<p>", "</p>"]), max_size=8).map("".join)
_list = st.one_of(st.none(), st.lists(st.one_of(_text, st.none()), max_size=3))
_float = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6).map(float),
    st.sampled_from([0.0, -0.0, 0.1, 2.5, 1e21, 1e-7, 123456789.0]),
)


@st.composite
def _rows(draw):
    n = draw(st.integers(1, 6))
    return {
        "Id": [f"e{i}" for i in range(n)],
        "User.UserAttributes.FirstName": [draw(_list) for _ in range(n)],
        "Attributes.plan": [draw(_list) for _ in range(n)],
        "Location.City": [draw(st.one_of(st.none(), _text)) for _ in range(n)],
        "Metrics.visits": [draw(_float) for _ in range(n)],
        "CohortId": [draw(st.one_of(st.none(), st.integers(0, 99))) for _ in range(n)],
        "EffectiveDate": [
            draw(st.one_of(st.none(), st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1))))
            for _ in range(n)
        ],
    }


_template = st.lists(st.one_of(_literal, st.sampled_from(REFS)), max_size=8).map("".join)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=_rows(),
    subject=_template,
    html=_template,
    text=_template,
    defaults=st.dictionaries(st.sampled_from(DEFAULT_KEYS), _text, max_size=4),
    substitutions=st.one_of(
        st.none(), st.dictionaries(st.sampled_from(DEFAULT_KEYS[:3]), st.lists(_text, min_size=1, max_size=2))
    ),
)
def test_fast_and_jinja_outputs_are_identical(rows, subject, html, text, defaults, substitutions):
    frame = pl.DataFrame(rows, schema=SCHEMA)
    parts = {
        "Subject": TemplatePart(subject, html=False),
        "HtmlPart": TemplatePart(html, html=True),
        "TextPart": TemplatePart(text, html=False),
    }
    result = render_frame(parts, frame, defaults, substitutions=substitutions)
    assert result.fast
    assert result.errors == []
    assert result.frame.columns == ["Id", "Subject", "HtmlPart", "TextPart"]
    fast = {r["Id"]: r for r in result.frame.to_dicts()}
    for row in frame.iter_rows(named=True):
        slow = render_parts(parts, row, defaults, substitutions=substitutions)
        assert {k: fast[row["Id"]][k] for k in parts} == slow.parts, row
        assert result.missing_for(row["Id"]) == slow.missing, row


@pytest.mark.parametrize(
    "source",
    [
        "{{#if Location.City}}x{{/if}}",
        "{{upper Location.City}}",
        "{{ Location.City|upper }}",
        "{{ User }}",  # an object, not a value
        "{{ Attributes.plan.x }}",
        "{% set a = 1 %}{{ a }}",
        "{{ '{{' }}",
    ],
)
def test_anything_beyond_substitutions_takes_the_jinja_path_with_the_same_answers(source):
    frame = pl.DataFrame({"Id": ["a"], "Location.City": ["Rome"], "Attributes.plan": [["p"]]})
    result = render_frame({"P": TemplatePart(source)}, frame, {})
    assert not result.fast
    assert result.frame["P"].to_list() == [
        render_parts({"P": TemplatePart(source)}, frame.row(0, named=True), {}).parts["P"]
    ]


def test_a_prefix_column_or_an_odd_substitution_falls_back_to_jinja():
    frame = pl.DataFrame({"Id": ["a"], "Foo": ["x"]})
    part = {"P": TemplatePart("{{Foo.bar}}")}
    result = render_frame(part, frame, {})
    assert not result.fast and result.frame["P"].to_list() == [""]
