"""Segment specs as users write them: a country or channel written otherwise than the import stores it, a file
saved as UTF-16 or with a byte-order mark, a key repeated in one object, a path given as a str.

The tiny project (tests/analytics_tiny.py): four EMAIL endpoints, e1 e2 e4 in the US and e3 in GB; e1 e3 on
iOS, e2 e4 on Android.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime

import analytics_tiny as tiny
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from workbench.cli import main
from workbench.errors import InputError
from workbench.segments import (
    CountryCodeWarning,
    Segment,
    SegmentSpec,
    SegmentValueWarning,
    channel,
    country,
    platform,
)
from workbench.segments.countries import code_meant
from workbench.segments.versions import save_dynamic_segment


@pytest.fixture(scope="module")
def tp(tmp_path_factory):
    return tiny.build(tmp_path_factory.mktemp("tiny-spec-edges"))


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def country_spec(*values: str) -> dict:
    return {"Dimensions": {"Location": {"Country": {"DimensionType": "INCLUSIVE", "Values": list(values)}}}}


def quietly(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


# --- 1. a country written as a name or in lower case ---------------------------------------------------------


def test_a_spec_with_usa_is_saved_as_us_and_counts_the_us_endpoints(tp, tmp_path, capsys):
    spec = tmp_path / "usa.json"
    spec.write_text(json.dumps(country_spec("usa")), encoding="utf-8")
    code, out, err = run(capsys, "segment", "create", "usa", "--spec", spec, "--project", tp.path, "--json")
    assert code == 0, err
    assert "warning: 'usa' is not an ISO 3166-1 alpha-2 code" in err
    assert "using 'US' (United States), and the spec says 'US' in its place" in err
    code, out, _ = run(capsys, "segment", "count", "usa", "--project", tp.path, "--json")
    assert code == 0 and json.loads(out)["endpoints"] == 3  # e1, e2, e4: what "US" counts
    code, out, _ = run(capsys, "segment", "show", "usa", "--project", tp.path, "--json")
    # what is said is true: the saved request says US, and the rest of it is as given
    assert json.loads(out)["spec"] == {**country_spec("US"), "Name": "usa"}


def test_a_spec_read_in_python_says_us_and_warns_once(tp):
    given = country_spec("GB", "United States")
    with pytest.warns(CountryCodeWarning) as caught:
        segment = Segment.from_json(tp, given)
    assert [str(w.message) for w in caught if w.category is CountryCodeWarning] == [
        "'United States' is not an ISO 3166-1 alpha-2 code as Location.Country holds them: using 'US' "
        "(United States), and the spec says 'US' in its place"
    ]
    assert given == country_spec("GB", "United States")  # the caller's dict is left alone
    assert json.loads(segment.to_json()) == country_spec("GB", "US")
    assert segment.count().endpoints == 4
    quietly(lambda: segment.save("gb-or-us"))  # said once, when read; saving adds nothing
    assert quietly(lambda: Segment.load(tp, "gb-or-us").count()).endpoints == 4


def test_the_builder_reads_usa_as_us_and_says_so(tp):
    with pytest.warns(CountryCodeWarning, match=r"'usa' is not an ISO 3166-1 alpha-2 code.*using 'US'"):
        condition = country.any_of("usa")
    assert condition.to_request()["Dimensions"]["Location"]["Country"]["Values"] == ["US"]
    assert Segment(tp, condition).count().endpoints == 3
    with pytest.warns(CountryCodeWarning, match="'GB'"):
        assert Segment(tp, country.none_of("uk")).count().endpoints == 3


def test_a_country_that_is_none_stays_as_written_and_saving_warns(tp):
    segment = quietly(lambda: Segment.from_json(tp, country_spec("Narnia")))
    assert json.loads(segment.to_json()) == country_spec("Narnia")
    with pytest.warns(CountryCodeWarning, match=r"'Narnia' is not a country code.*\(saved anyway\)"):
        segment.save("narnia")


def test_a_segment_saved_with_usa_before_the_fix_counts_as_us_quietly(tp):
    with tp.transaction() as con:  # as a version saved before values were read as stored
        save_dynamic_segment(con, "old-usa", country_spec("usa"), now=datetime(2026, 10, 1), source="test")
    segment = quietly(lambda: Segment.load(tp, "old-usa"))
    assert segment.count().endpoints == 3


# --- 5. a channel or platform in another case ----------------------------------------------------------------


def test_a_channel_in_lower_case_is_read_as_stored_and_a_platform_in_another_case_warns(tp):
    spec = {"Dimensions": {"Demographic": {"Channel": {"Values": ["email"]}}}}
    with pytest.warns(SegmentValueWarning, match=r"'email' is not a channel type.*using 'EMAIL'"):
        segment = Segment.from_json(tp, spec)
    assert segment.spec.request["Dimensions"]["Demographic"]["Channel"]["Values"] == ["EMAIL"]
    assert segment.count().endpoints == 4
    with pytest.warns(SegmentValueWarning, match="using 'SMS'"):
        assert channel.any_of("sms").node.values == ("SMS",)
    # platforms are free text: "ios" stays as written (Pinpoint compares exactly) and saving names what the data has
    ios = quietly(lambda: platform.any_of("ios"))
    with pytest.warns(SegmentValueWarning, match=r"'ios' matches no endpoint's Platform.*the data has 'iOS'"):
        Segment(tp, ios).save("ios-lower")
    quietly(lambda: Segment(tp, platform.any_of("iOS")).save("ios-exact"))


# --- 2. encodings ---------------------------------------------------------------------------------------------


def test_a_spec_with_a_utf8_byte_order_mark_is_read(tp, tmp_path, capsys):
    spec = tmp_path / "bom.json"
    spec.write_text(json.dumps(country_spec("US")), encoding="utf-8-sig")  # Notepad's UTF-8
    code, _, err = run(capsys, "segment", "create", "bom", "--spec", spec, "--project", tp.path)
    assert code == 0 and err == ""
    assert SegmentSpec.from_json(spec.read_bytes()).request == country_spec("US")
    assert SegmentSpec.from_json("\ufeff" + json.dumps(country_spec("US"))).request == country_spec("US")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_spec_saved_as_utf16_is_refused_naming_the_file(tp, tmp_path, capsys, encoding):
    spec = tmp_path / "seg16.json"
    spec.write_text(json.dumps(country_spec("US")), encoding=encoding)  # Windows PowerShell's ">"
    code, out, err = run(capsys, "segment", "create", "s16", "--spec", spec, "--project", tp.path)
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"{spec}:1: the file is UTF-16" in err and "save it as UTF-8" in err
    with pytest.raises(InputError, match="UTF-16") as caught:
        SegmentSpec.from_json(spec)
    assert caught.value.file == str(spec)


def test_a_spec_with_a_byte_that_is_not_utf8_names_its_line(tmp_path):
    spec = tmp_path / "latin1.json"
    spec.write_bytes(b'{"Name": "x",\n "Dimensions": {"Attributes": {"city": {"Values": ["M\xfcnchen"]}}}}')
    with pytest.raises(InputError) as caught:
        SegmentSpec.from_json(spec)
    assert (caught.value.file, caught.value.line) == (str(spec), 2)
    assert "not UTF-8: invalid byte 0xfc" in caught.value.reason


# --- 3. a key repeated in one object -----------------------------------------------------------------------------


def test_a_repeated_key_is_refused_naming_the_path_the_key_and_the_line(tp, tmp_path, capsys):
    spec = tmp_path / "dup.json"
    spec.write_text(
        '{"Dimensions": {\n'
        '  "Demographic": {"Platform": {"Values": ["iOS"]}},\n'
        '  "Demographic": {"Channel": {"Values": ["EMAIL"]}}\n'
        "}}\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "segment", "create", "dup", "--spec", spec, "--project", tp.path)
    assert code == 1 and out == ""
    assert (
        f"{spec}:3: field Dimensions.Demographic: key 'Demographic' appears more than once in Dimensions"
        in err
    )
    with pytest.raises(InputError, match="appears more than once in the top-level object") as caught:
        SegmentSpec.from_json('{"Dimensions": {}, "Name": "a", "Name": "b"}')
    assert caught.value.field == "Name"
    inner = '{"Dimensions": {"AnyOf": [{}, {"Location": {"Country": {"Values": ["US"], "Values": ["GB"]}}}]}}'
    with pytest.raises(InputError, match=r"'Values' appears more than once in Dimensions\.AnyOf\[1\]"):
        SegmentSpec.from_json(inner)


# --- 4. a path given as a str --------------------------------------------------------------------------------


def test_a_path_given_as_a_str_is_read_as_a_file(tp, tmp_path, monkeypatch):
    spec = tmp_path / "plain.json"
    spec.write_text(json.dumps(country_spec("GB")), encoding="utf-8")
    assert quietly(lambda: Segment.from_json(tp, str(spec))).count().endpoints == 1
    monkeypatch.chdir(tmp_path)
    assert SegmentSpec.from_json("plain.json").request == country_spec("GB")
    named = tmp_path / "spec-without-suffix"
    named.write_text(json.dumps(country_spec("GB")), encoding="utf-8")
    assert SegmentSpec.from_json(str(named)).request == country_spec("GB")
    # JSON text stays JSON text
    assert SegmentSpec.from_json("  " + json.dumps(country_spec("GB"))).request == country_spec("GB")


def test_a_missing_path_given_as_a_str_says_file_not_found_naming_it(tmp_path):
    missing = tmp_path / "nowhere" / "spec.json"
    with pytest.raises(InputError) as caught:
        SegmentSpec.from_json(str(missing))
    assert str(caught.value) == f"{missing}: file not found"
    with pytest.raises(InputError, match="file not found"):
        SegmentSpec.from_json(missing)


# --- the user's file, fuzzed -------------------------------------------------------------------------------------

COUNTRIES = ["US", "us", "usa", "USA", "United States", " GB ", "uk", "Germany", "Narnia", "", "ZZ", "ü"]
CHANNELS = ["EMAIL", "email", "Sms", "push", "EMAILS", "custom", "ß"]


def _dimensions():
    country_dim = st.fixed_dictionaries(
        {"Values": st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3)},
        optional={"DimensionType": st.sampled_from(["INCLUSIVE", "EXCLUSIVE"])},
    )
    channel_dim = st.fixed_dictionaries(
        {"Values": st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3)}
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "Location": st.fixed_dictionaries({"Country": country_dim}),
            "Demographic": st.fixed_dictionaries({"Channel": channel_dim}),
        },
    )


@st.composite
def user_files(draw):
    """(bytes of a spec file, its encoding, whether a key was repeated in it)"""
    request = {"Dimensions": draw(_dimensions())}
    if draw(st.booleans()):
        request["Name"] = draw(st.text(max_size=8))
    text = json.dumps(request, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 2])))
    repeated = draw(st.booleans()) and '"Dimensions": {' in text
    if repeated:  # the same key twice in one object, as a copy-paste leaves it
        text = text.replace(
            '"Dimensions": {', '"Dimensions": {"RandomBucket": {"Percent": 5}, "RandomBucket": {},', 1
        )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]))
    data = text.encode(encoding)
    if draw(st.booleans()) and data:  # a stray byte somewhere (a truncated or mangled save)
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=2)) + data[at + 1 :]
    return data, encoding, repeated


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user_files())
@example((json.dumps(country_spec("usa")).encode("utf-16"), "utf-16", False))
@example((b'\xef\xbb\xbf{"Dimensions": {"Location": {"Country": {"Values": ["usa"]}}}}', "utf-8-sig", False))
def test_fuzz_a_users_spec_file_reads_or_is_refused_naming_the_file(tmp_path, case):
    data, encoding, _ = case
    path = tmp_path / "user.json"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (warnings are read from spec.notes below)
        try:
            spec = SegmentSpec.from_json(path)
        except InputError as err:
            assert err.file == str(path)  # every refusal names the file
            event("refused: " + err.reason.split(":")[0][:30])
            if encoding.startswith("utf-16") and data.startswith((b"\xff\xfe", b"\xfe\xff")):
                assert "UTF-16" in err.reason
            return
    event("read")
    assert not encoding.startswith("utf-16") or b"\x00" not in data[:4]  # UTF-16 is never read as something
    text = data.decode("utf-8-sig")
    assert text.count('"RandomBucket"') < 2  # a repeated key is never read (JSON would drop one silently)
    given_request = json.loads(text)
    # every country or channel reads as the import stores it when it can mean only that; the rest as written
    for dim, key in (("Location", "Country"), ("Demographic", "Channel")):
        if dim not in given_request.get("Dimensions", {}):
            continue
        before = given_request["Dimensions"][dim][key]["Values"]
        after = spec.request["Dimensions"][dim][key]["Values"]
        for b, a in zip(before, after, strict=True):
            if key == "Country":
                assert a == (code_meant(b) or b)
            else:
                assert a == (
                    b.strip().upper() if b.strip().upper() in ("EMAIL", "SMS", "PUSH", "CUSTOM") else b
                )
            assert (a != b) == any(message.startswith(f"{b!r} is not") for _, message in spec.notes)
    # the request it keeps reads back as itself, with nothing left to say
    again = SegmentSpec.from_json(json.dumps(spec.request))
    assert again.request == spec.request and again.condition == spec.condition and again.notes == ()
