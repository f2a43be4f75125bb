"""Semantics users trip on: a window without a unit, an event type the log lacks, a country written as a name,
purchases without Pinpoint's price metric, a range without data, a funnel split by a column."""

from __future__ import annotations

import json
import warnings
from datetime import timedelta

import analytics_tiny as tiny
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench import analytics as a
from workbench.analytics.events import EventTypeWarning
from workbench.analytics.funnels import parse_window, window_words
from workbench.analytics.revenue import revenue_note
from workbench.cli import main
from workbench.errors import InputError
from workbench.segments.countries import CountryCodeWarning, country_code

RANGE = ["--start", "2026-10-01", "--end", "2026-10-08"]


@pytest.fixture(scope="module")
def tp(tmp_path_factory):
    return tiny.build(tmp_path_factory.mktemp("tiny-semantics"))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- a window needs a unit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["3", "7x"])
def test_window_without_a_unit_is_refused_naming_the_units(tp, capsys, window):
    code, out, err = run(capsys, "funnel", "--step", "view", "--step", "cart", "--window", window,
                         "--project", str(tp.path))  # fmt: skip
    assert code == 1 and out == ""
    assert "not a duration" in err and "window" in err
    assert ("d" in err and "24h" in err) or "3d (days)" in err
    if window == "3":
        assert "3d (days), 3h (hours), 3m (minutes)" in err
    with pytest.raises(InputError, match="not a duration"):
        a.funnel(tp, ["view", "cart"], window=window)


def test_windows_with_units_and_in_words():
    assert parse_window("3d") == timedelta(days=3) and parse_window("90m") == timedelta(minutes=90)
    assert parse_window(3600) == timedelta(hours=1)  # a number in Python is seconds, as documented
    assert [window_words(w) for w in ("7d", "24h", "90m", "2w", "1h")] == [
        "7 days", "1 day", "90 minutes", "14 days", "1 hour"
    ]  # fmt: skip


@given(st.text(max_size=12))
def test_window_text_parses_or_is_refused_clearly(text):
    try:
        window = parse_window(text)
    except InputError as err:
        assert err.field == "window"
    else:
        assert window.total_seconds() > 0
        assert text.strip()[-1:] in tuple("smhdw")  # only text with a unit is read


# --- an event type the log lacks: a warning with close names, the funnel kept -------------------------------


def test_funnel_step_missing_from_the_log_warns_with_close_names(tp, capsys):
    with pytest.warns(EventTypeWarning, match=r"no events of type 'carts'.*did you mean cart.*the log has: "):
        result = a.funnel(tp, ["view", "carts"], tiny.START, tiny.END)
    assert result.table["count"].to_list()[1] == 0 and len(result.warnings) == 1
    code, out, err = run(capsys, "funnel", "--step", "view", "--step", "carts", *RANGE, "--project", str(tp.path),
                         "--json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)  # stdout stays one JSON object; the warning goes to stderr
    assert payload["warnings"] and "did you mean cart" in payload["warnings"][0]
    assert "warning: no events of type 'carts'" in err


def test_known_event_types_do_not_warn(tp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a.funnel(tp, ["view", "cart"], tiny.START, tiny.END)


# --- countries -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "meant"), [("usa", "US"), ("USA", "US"), ("United States", "US"), ("uk", "GB"), ("gbr", "GB"),
                           ("us", "US"), ("Germany", "DE")],
)  # fmt: skip
def test_country_not_written_as_alpha2_warns_with_the_code_meant(written, meant):
    with pytest.warns(CountryCodeWarning, match=f"'{meant}'"):
        assert country_code(written) == meant


def test_country_codes_pass_quietly_and_nonsense_is_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert country_code("US") == "US" and country_code(" DE ") == "DE"
    with pytest.raises(InputError, match=r"not a country code.*ISO 3166"):
        country_code("Atlantis")


def test_country_filter_on_the_command_line(tp, capsys):
    code, out, err = run(capsys, "kpi", "daily-active-endpoints", *RANGE, "--country", "usa",
                         "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0 and "warning: 'usa' is not an ISO 3166-1 alpha-2 code" in err and "'US'" in err
    assert json.loads(out)["total"] == 3  # e1, e2, e4 are in the US; e3 (GB) is not
    code, out, err = run(capsys, "funnel", "--step", "view", "--step", "cart", *RANGE, "--country", "GB",
                         "--project", str(tp.path), "--json")  # fmt: skip
    assert code == 0 and err == ""


# --- revenue on purchases that carry their price elsewhere ---------------------------------------------------


def test_purchases_without_item_price_say_how_to_map_them(tmp_path, capsys):
    from workbench import Project

    project = Project.create(tmp_path / "shop")
    project.events.record(
        [
            {"event_type": "_monetization.purchase", "event_timestamp": f"2026-10-0{d}T10:00:00Z",
             "client": {"client_id": f"c{d}"}, "attributes": {"sku": "a", "currency_code": "EUR"},
             "metrics": {"price": 5.0, "units": 2.0}, "event_id": f"p{d}"}
            for d in (1, 2)
        ]
    )  # fmt: skip
    note = revenue_note(project, "2026-10-01", "2026-10-02")
    assert "carry no '_item_price' metric" in note
    assert "attributes currency_code, sku" in note and "metrics price, units" in note
    assert '[analytics] price_metric = "price"' in note and 'quantity_metric = "units"' in note
    code, out, _ = run(capsys, "kpi", "revenue", "--start", "2026-10-01", "--end", "2026-10-02",
                       "--project", str(project.path), "--json")  # fmt: skip
    payload = json.loads(out)
    assert code == 0 and payload["total"] == 0 and "price_metric" in payload["note"]
    with open(project.path / "workbench.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[analytics]\nprice_metric = "price"\nquantity_metric = "units"\n')
    mapped = Project.open(project.path)
    assert a.kpi(mapped, "revenue", "2026-10-01", "2026-10-02").total == 20.0  # 2 x (5 x 2)
    assert a.kpi(mapped, "units-sold", "2026-10-01", "2026-10-02").total == 4
    assert revenue_note(mapped, "2026-10-01", "2026-10-02") is None


def test_priced_purchases_need_no_note(tp):
    assert revenue_note(tp, tiny.START, tiny.END) is None


# --- a range without data ------------------------------------------------------------------------------------


def test_kpi_and_funnel_over_a_range_without_data_say_so(tp, capsys):
    empty = ["--start", "2020-01-01", "--end", "2020-01-31", "--project", str(tp.path)]
    for argv in (["kpi", "sessions"], ["funnel", "--step", "view", "--step", "cart"]):
        code, out, _ = run(capsys, *argv, *empty, "--json")
        assert code == 0
        note = json.loads(out)["note"]
        assert "No events between 2020-01-01 and 2020-01-31" in note and "2026-09-20 to 2026-10-20" in note
        code, out, _ = run(capsys, *argv, *empty)
        assert code == 0 and "note: No events between 2020-01-01 and 2020-01-31" in out
    code, out, _ = run(capsys, "kpi", "sessions", *RANGE, "--project", str(tp.path), "--json")
    assert json.loads(out)["note"] is None


def test_nobody_entering_a_funnel_is_said(tp):
    result = a.funnel(tp, ["buy", "view"], "2026-10-05", "2026-10-06")  # the log has events, no buy
    assert result.note == "Nobody entered the funnel: no 'buy' events between 2026-10-05 and 2026-10-06."


# --- a funnel split by a column shows the split in text --------------------------------------------------------


def test_funnel_breakdown_text_shows_each_value(tp, capsys):
    code, out, _ = run(capsys, "funnel", "--step", "view", "--step", "cart", *RANGE, "--breakdown", "platform",
                       "--project", str(tp.path))  # fmt: skip
    assert code == 0
    assert "Demographic.Platform = iOS:" in out and "Demographic.Platform = Android:" in out
    ios = out.split("Demographic.Platform = iOS:")[1].splitlines()
    assert ios[1].strip().startswith("1. view") and ios[2].strip().startswith("2. cart")


# --- segments name event types and countries too ---------------------------------------------------------------


def _segment_spec(tmp_path, name, dimensions):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"Name": name, "Dimensions": dimensions}))
    return path


def test_a_segment_naming_an_event_type_the_log_lacks_warns_and_is_saved(tp, tmp_path, capsys):
    known = tp.query("SELECT event_type FROM events GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").item()
    typo = known[:-1] + ("x" if known[-1] != "x" else "y")
    spec = _segment_spec(
        tmp_path, "typo", {"Behavior": {"Events": [{"EventType": typo, "Within": {"Days": 7}}]}}
    )
    code, out, err = run(capsys, "segment", "create", "typo-seg", "--spec", str(spec), "--project", str(tp.path),
                         "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["version"] >= 1  # saved anyway: the events may come later
    assert f"warning: no events of type {typo!r}" in err and known in err  # names the close type from the log
    spec = _segment_spec(
        tmp_path, "ok", {"Behavior": {"Events": [{"EventType": known, "Within": {"Days": 7}}]}}
    )
    code, _, err = run(
        capsys, "segment", "create", "known-seg", "--spec", str(spec), "--project", str(tp.path)
    )
    assert code == 0 and "warning" not in err


def test_a_segment_with_a_country_name_warns_with_the_code_meant(tp):
    from workbench.segments import Segment

    spec = {"Dimensions": {"Location": {"Country": {"DimensionType": "INCLUSIVE", "Values": ["usa"]}}}}
    with pytest.warns(CountryCodeWarning, match="'US'"):
        Segment.from_json(tp, spec, name="usa-seg").save("usa-seg")
    spec["Dimensions"]["Location"]["Country"]["Values"] = ["US"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the code itself: no warning
        Segment.from_json(tp, spec, name="us-seg").save("us-seg")
