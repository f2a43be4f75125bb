"""Campaign and journey definitions in the catalog (migration 4, versions, states) and the Pinpoint shape tables
they are read with (botocore's pinpoint model as the oracle)."""

from __future__ import annotations

import json

import botocore.session
import duckdb
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import InputError, UnknownNameError
from workbench.store import Store
from workbench.store.definitions import (
    INITIAL_STATE,
    MAX_INTEGER,
    PINPOINT_SHAPES,
    REQUEST_SHAPES,
    RESPONSE_ONLY_KEYS,
    RESPONSE_SHAPES,
    STATES,
    TREATMENT_RESPONSE_ONLY_KEYS,
    check_shape,
    delete_definition,
    list_definitions,
    load_definition,
    read_json_source,
    request_from_json,
    save_definition,
    set_state,
)

MODEL = botocore.session.get_session().get_service_model("pinpoint")


@pytest.fixture
def store(tmp_path):
    return Store.create(tmp_path / "project")


# --- the shape tables are Pinpoint's -------------------------------------------------------------------------


def _model_table() -> dict:
    """Every shape reachable from the two requests, in the table's format, read from botocore."""
    out: dict = {}

    def walk(shape):
        if shape.name in out:
            return
        kind = shape.type_name
        if kind == "structure":
            out[shape.name] = (
                "structure",
                {k: v.name for k, v in shape.members.items()},
                tuple(shape.metadata.get("required", ())),
            )
            for member in shape.members.values():
                walk(member)
        elif kind == "list":
            out[shape.name] = ("list", shape.member.name)
            walk(shape.member)
        elif kind == "map":
            out[shape.name] = ("map", shape.key.name, shape.value.name)
            walk(shape.key)
            walk(shape.value)
        elif kind == "string":
            out[shape.name] = ("string", tuple(shape.enum)) if shape.enum else ("string",)
        else:
            out[shape.name] = (kind,)

    for root in REQUEST_SHAPES.values():
        walk(MODEL.shape_for(root))
    return out


def test_shape_table_is_pinpoints_model():
    model = _model_table()
    assert set(PINPOINT_SHAPES) == set(model)
    for name, spec in model.items():
        assert PINPOINT_SHAPES[name] == spec, name


@pytest.mark.parametrize("kind", ["campaign", "journey"])
def test_response_only_keys_are_what_a_response_adds(kind):
    request = set(MODEL.shape_for(REQUEST_SHAPES[kind]).members)
    response = set(MODEL.shape_for(RESPONSE_SHAPES[kind]).members)
    assert response - request <= set(RESPONSE_ONLY_KEYS[kind])
    # every listed key is one a response has (Arn and Version only for campaigns)
    assert set(RESPONSE_ONLY_KEYS[kind]) - response <= {"Arn", "Version"}


def test_treatment_response_only_keys():
    write = set(MODEL.shape_for("WriteTreatmentResource").members)
    response = set(MODEL.shape_for("TreatmentResource").members)
    assert response - write == set(TREATMENT_RESPONSE_ONLY_KEYS)


def test_states_are_the_designs():
    assert STATES["campaign"] == (
        "SCHEDULED",
        "EXECUTING",
        "PENDING_NEXT_RUN",
        "COMPLETED",
        "PAUSED",
        "DELETED",
    )
    assert STATES["journey"] == ("DRAFT", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED")
    model_states = set(MODEL.shape_for("CampaignStatus").enum)
    assert set(STATES["campaign"]) <= model_states
    assert set(STATES["journey"]) <= set(MODEL.shape_for("State").enum)


# --- check_shape against botocore's validator --------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
_INSTANT = st.sampled_from(["2026-03-08T09:00:00Z", "2026-01-01T00:00:00+01:00", "2025-12-31"])


def _valid(name: str, depth: int = 0):
    """Values botocore and our table both accept (enums from the model, 32-bit integers, ISO timestamps)."""
    spec = PINPOINT_SHAPES[name]
    kind = spec[0]
    if kind == "structure":
        members = spec[1]
        required = {k: _valid(members[k], depth + 1) for k in spec[2]}
        optional = (
            {} if depth > 6 else {k: _valid(v, depth + 1) for k, v in members.items() if k not in spec[2]}
        )
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        return st.lists(_valid(spec[1], depth + 1), max_size=2)
    if kind == "map":
        return st.dictionaries(_valid(spec[1], depth + 1), _valid(spec[2], depth + 1), max_size=2)
    if kind == "string":
        return st.sampled_from(spec[1]) if len(spec) > 1 else _TEXT
    if kind == "integer":
        return st.integers(-MAX_INTEGER, MAX_INTEGER)
    if kind == "double":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers(-1000, 1000)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _INSTANT
    raise AssertionError(kind)


#: a value of the wrong type for each kind of shape, that botocore refuses too
_WRONG = {
    "structure": st.just([]),
    "list": st.just({}),
    "map": st.just([1]),
    "string": st.integers(0, 9),
    "integer": st.just("5"),
    "double": st.just("x"),
    "boolean": st.just("true"),
    "timestamp": st.just(["2026-01-01"]),
}


def _maybe_wrong(name: str, depth: int = 0):
    """Like _valid, but now and then a value of the wrong type or an unknown key somewhere."""
    spec = PINPOINT_SHAPES[name]
    kind = spec[0]
    wrong = _WRONG[kind]
    if kind == "structure":
        members = spec[1]
        required = {k: _maybe_wrong(members[k], depth + 1) for k in spec[2]}
        optional = (
            {}
            if depth > 5
            else {k: _maybe_wrong(v, depth + 1) for k, v in members.items() if k not in spec[2]}
        )
        optional["Bogus"] = st.just(1)
        right = st.fixed_dictionaries(required, optional=optional)
    elif kind == "list":
        right = st.lists(_maybe_wrong(spec[1], depth + 1), max_size=2)
    elif kind == "map":
        right = st.dictionaries(_valid(spec[1], depth + 1), _maybe_wrong(spec[2], depth + 1), max_size=2)
    else:
        right = _valid(name, depth)
    return st.one_of(right, right, right, right, right, wrong)


def botocore_accepts(shape: str, value) -> bool:
    return not ParamValidator().validate(value, MODEL.shape_for(shape)).has_errors()


def our_accepts(shape: str, value) -> bool:
    try:
        check_shape(value, shape)
    except InputError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(REQUEST_SHAPES.values())).flatmap(lambda s: st.tuples(st.just(s), _valid(s))))
def test_what_the_model_allows_is_accepted(pair):
    shape, value = pair
    assert botocore_accepts(shape, value)
    check_shape(value, shape)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(list(REQUEST_SHAPES.values())).flatmap(lambda s: st.tuples(st.just(s), _maybe_wrong(s)))
)
def test_accepted_exactly_when_botocore_accepts(pair):
    shape, value = pair
    assert our_accepts(shape, value) == botocore_accepts(shape, value)


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        (
            {"AdditionalTreatments": [{"SizePercent": 5}, {"SizePercent": "5"}]},
            "AdditionalTreatments[1].SizePercent",
            "whole number",
        ),
        ({"HoldoutPercent": 5.5}, "HoldoutPercent", "fraction"),
        ({"HoldoutPercent": True}, "HoldoutPercent", "boolean"),
        ({"HoldoutPercent": 2**40}, "HoldoutPercent", "too large"),
        ({"HoldoutPercent": 10**5000}, "HoldoutPercent", "a number of about 5000 digits is too large"),
        (
            {"Schedule": {"StartTime": "IMMEDIATE", "Frequency": "DAYLY"}},
            "Schedule.Frequency",
            "did you mean DAILY",
        ),
        ({"Schedule": {"Frequency": "DAILY"}}, "Schedule.StartTime", "required"),
        ({"Schedul": {}}, "Schedul", "did you mean Schedule"),
        ({"tags": {"a": 1}}, "tags.a", "must be a string"),
        ({"Name": "\ud800"}, "Name", "surrogate"),
        ({"IsPaused": "yes"}, "IsPaused", "true or false"),
        (
            {
                "Schedule": {
                    "StartTime": "IMMEDIATE",
                    "EventFilter": {
                        "FilterType": "SYSTEM",
                        "Dimensions": {
                            "Metrics": {"m": {"ComparisonOperator": "EQUAL", "Value": float("nan")}}
                        },
                    },
                }
            },
            "Schedule.EventFilter.Dimensions.Metrics.m.Value",
            "finite",
        ),
    ],
)
def test_check_shape_names_the_key_path(value, field, words):
    with pytest.raises(InputError) as err:
        check_shape(value, "WriteCampaignRequest", file="c.json")
    assert err.value.field == field and err.value.file == "c.json"
    assert words in err.value.reason


def test_journey_timestamps_must_parse():
    with pytest.raises(InputError) as err:
        check_shape({"Name": "j", "Schedule": {"StartTime": "soon"}}, "WriteJourneyRequest")
    assert err.value.field == "Schedule.StartTime" and "ISO 8601" in err.value.reason
    with pytest.raises(InputError) as err:
        check_shape({"Name": "j", "OpenHours": {"EMAIL": {"MONDAI": []}}}, "WriteJourneyRequest")
    assert err.value.field == "OpenHours.EMAIL" and "MONDAY" in err.value.reason


# --- reading JSON sources and responses ---------------------------------------------------------------------------


def test_read_json_source_takes_dicts_text_bytes_and_paths(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    assert read_json_source({"a": 1}) == ({"a": 1}, None)
    assert read_json_source('{"a": 1}') == ({"a": 1}, None)
    assert read_json_source(b'\xef\xbb\xbf{"a": 1}') == ({"a": 1}, None)
    assert read_json_source(path) == ({"a": 1}, str(path))
    assert read_json_source(str(path)) == ({"a": 1}, str(path))


def test_read_json_source_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_json_source(path)
    assert err.value.file == str(path) and err.value.line == 4
    with pytest.raises(InputError, match="no such file"):
        read_json_source(tmp_path / "missing.json")
    with pytest.raises(InputError, match="not UTF-8"):
        read_json_source(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="not valid JSON"):
        read_json_source('{"a": ' + "9" * 5000 + "}")
    with pytest.raises(InputError, match="nested too deeply"):
        read_json_source("[" * 100_000)


def test_request_from_json_unwraps_and_strips_responses():
    request = {"Name": "c", "SegmentId": "s"}
    assert request_from_json(request, "campaign") == (request, False)
    assert request_from_json({"ApplicationId": "app", "WriteCampaignRequest": request}, "campaign") == (
        request,
        False,
    )
    response = {
        "Id": "1",
        "Arn": "arn",
        "ApplicationId": "a",
        "State": {"CampaignStatus": "COMPLETED"},
        **request,
    }
    assert request_from_json(response, "campaign") == (request, True)
    assert request_from_json({"CampaignResponse": response}, "campaign") == (request, True)
    with pytest.raises(InputError) as err:
        request_from_json({"WriteCampaignRequest": request, "Extra": 1}, "campaign")
    assert err.value.field == "Extra"
    with pytest.raises(InputError, match="not both"):
        request_from_json({"WriteCampaignRequest": request, "CampaignResponse": request}, "campaign")
    with pytest.raises(InputError, match="JSON object"):
        request_from_json([request], "journey")


# --- storage ------------------------------------------------------------------------------------------------------


def test_migration_4_adds_the_tables_to_a_version_3_catalog(tmp_path):
    from workbench.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate

    assert SCHEMA_VERSION == 4
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    for version in (1, 2, 3):
        MIGRATIONS[version](con)
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    assert migrate(con) == 3
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"campaigns", "campaign_versions", "journeys", "journey_versions", "templates"} <= tables
    columns = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE campaigns)").fetchall()]
    assert columns == ["campaign_id", "name", "state", "created_at", "updated_at", "latest_version"]
    columns = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE journey_versions)").fetchall()]
    assert columns == ["journey_id", "version", "spec", "created_at"]
    con.close()


@pytest.mark.parametrize("kind", ["campaign", "journey"])
def test_save_makes_versions_and_load_finds_them(store, kind):
    one = save_definition(store, kind, "welcome", {"Name": "welcome", "v": 1})
    two = save_definition(store, kind, "welcome", {"Name": "welcome", "v": 2})
    assert one[1] == 1 and two == (one[0], 2)
    latest = load_definition(store, kind, "welcome")
    assert (latest.kind, latest.id, latest.version, latest.latest_version) == (kind, one[0], 2, 2)
    assert latest.request == {"Name": "welcome", "v": 2} and latest.state == INITIAL_STATE[kind]
    assert load_definition(store, kind, one[0], 1).request == {"Name": "welcome", "v": 1}  # by id
    other = "journey" if kind == "campaign" else "campaign"
    with pytest.raises(UnknownNameError):
        load_definition(store, other, "welcome")


def test_unknown_names_and_versions(store):
    for _ in range(3):
        save_definition(store, "campaign", "spring-sale", {})
    with pytest.raises(UnknownNameError, match="did you mean spring-sale"):
        load_definition(store, "campaign", "spring-sal")
    with pytest.raises(UnknownNameError, match=r"has no version 7 \(versions: 1-3\)"):
        load_definition(store, "campaign", "spring-sale", 7)
    with pytest.raises(UnknownNameError, match="no version"):
        load_definition(store, "campaign", "spring-sale", 2**40)
    with pytest.raises(InputError, match="kind"):
        load_definition(store, "segment", "spring-sale")


def test_states_change_without_a_version(store):
    def_id, _ = save_definition(store, "campaign", "c", {"x": 1}, state="PAUSED")
    assert load_definition(store, "campaign", "c").state == "PAUSED"
    set_state(store, "campaign", def_id, "EXECUTING")
    found = load_definition(store, "campaign", "c")
    assert (found.state, found.latest_version) == ("EXECUTING", 1)
    save_definition(store, "campaign", "c", {"x": 2})  # no state given: kept
    assert load_definition(store, "campaign", "c").state == "EXECUTING"
    with pytest.raises(InputError, match="did you mean PAUSED") as err:
        set_state(store, "campaign", "c", "PAUSD")
    assert err.value.field == "state"
    with pytest.raises(UnknownNameError):
        set_state(store, "journey", "c", "ACTIVE")
    with pytest.raises(InputError):
        save_definition(store, "journey", "j", {}, state="SCHEDULED")


def test_list_and_delete(store):
    assert list_definitions(store, "journey") == []
    save_definition(store, "journey", "b", {"n": 1})
    save_definition(store, "journey", "a", {"n": 1})
    save_definition(store, "journey", "a", {"n": 2})
    rows = list_definitions(store, "journey")
    assert [(r["name"], r["latest_version"], r["state"], r["request"]) for r in rows] == [
        ("a", 2, "DRAFT", {"n": 2}),
        ("b", 1, "DRAFT", {"n": 1}),
    ]
    delete_definition(store, "journey", "a")
    assert [r["name"] for r in list_definitions(store, "journey")] == ["b"]
    with store.connect(read_only=True, views=False) as con:
        assert con.execute("SELECT count(*) FROM journey_versions").fetchone()[0] == 1
    with pytest.raises(UnknownNameError):
        delete_definition(store, "journey", "a")


def test_stored_json_is_the_request_unchanged(store):
    request = {"Name": "ünïcode ✓", "Nested": {"b": [1, 2.5, None, True], "a": "x"}}
    save_definition(store, "campaign", "u", request)
    with store.connect(read_only=True, views=False) as con:
        (spec,) = con.execute("SELECT CAST(spec AS VARCHAR) FROM campaign_versions").fetchone()
    assert json.loads(spec) == request
    assert list(load_definition(store, "campaign", "u").request["Nested"]) == ["b", "a"]
