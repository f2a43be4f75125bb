"""The front door: Project's namespaces, and the Store seam features take (transaction, reading, features on a
plain Store)."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import duckdb
import polars as pl
import pytest

from workbench import Project
from workbench.analytics import kpi
from workbench.project import Endpoints, Events, Segments, Suppression, Templates
from workbench.segments import Segment, SegmentCount, attribute, metric
from workbench.store import Store, transaction

NOW = "2026-10-30T00:00:00"


def test_dir_and_type_hints_show_every_namespace(demo_project):
    names = set(dir(demo_project))
    assert {"endpoints", "events", "segments", "templates", "suppression", "send_message"} <= names
    assert {"kpi", "funnel", "dashboard", "report"} <= names
    assert {"connect", "transaction", "reading", "query", "setting"} <= names  # the store handle underneath
    hints = {
        name: typing.get_type_hints(getattr(Project, name).func)["return"]
        for name in ("endpoints", "events", "segments", "templates", "suppression")
    }
    assert hints == {
        "endpoints": Endpoints,
        "events": Events,
        "segments": Segments,
        "templates": Templates,
        "suppression": Suppression,
    }
    # the old ways are gone: one way to do each thing
    for old in ("import_endpoints", "import_events", "record_events", "count_endpoints", "export_endpoints"):
        assert not hasattr(demo_project, old), old


def test_every_public_method_has_a_docstring():
    for cls in (Project, Endpoints, Events, Segments, Templates, Suppression, Store):
        for name, member in inspect.getmembers(cls):
            if name.startswith("_"):
                continue
            target = getattr(member, "func", member)  # cached_property
            if callable(target) or isinstance(member, property):
                assert inspect.getdoc(target), f"{cls.__name__}.{name} has no docstring"


def test_endpoints_namespace(demo_project, tmp_path):
    counts = demo_project.endpoints.count()
    frame = demo_project.endpoints.frame()
    assert counts.endpoints == frame.height > 0
    assert counts.users == frame.get_column("User.UserId").drop_nulls().n_unique()
    assert counts.active == frame.filter(pl.col("EndpointStatus") == "ACTIVE").height

    pro = demo_project.endpoints.filter(pl.col("Attributes.plan").list.contains("pro"))
    assert 0 < pro.height < frame.height
    assert pro.get_column("Attributes.plan").list.contains("pro").all()
    assert demo_project.endpoints.count("list_contains(\"Attributes.plan\", 'pro')").endpoints == pro.height

    segment = demo_project.segments.define(attribute("plan").any_of("pro"), now=NOW)
    both = demo_project.endpoints.filter(segment, pl.col("ChannelType") == "EMAIL")
    assert set(both["Id"]) == set(pro.filter(pl.col("ChannelType") == "EMAIL")["Id"])

    some = demo_project.endpoints.frame(["Id", "ChannelType"], where="ChannelType = 'SMS'")
    assert some.columns == ["Id", "ChannelType"] and set(some["ChannelType"]) == {"SMS"}
    assert demo_project.endpoints.columns()[:3] == ["Id", "ChannelType", "Address"]
    assert "plan" in demo_project.endpoints.attribute_names().get_column("name").to_list()

    out = demo_project.endpoints.export(tmp_path / "pro.parquet", where="ChannelType = 'SMS'")
    assert pl.read_parquet(out).height == some.height


def test_events_namespace(project):
    assert project.events.frame().height == 0
    result = project.events.record(
        [
            {"event_type": "_session.start", "event_timestamp": "2026-10-01T10:00:00Z", "client_id": "e1"},
            {"event_type": "cart.add", "event_timestamp": "2026-10-02T10:00:00Z", "client_id": "e1"},
        ]
    )
    assert result.events == 2
    assert project.events.frame().height == 2
    assert project.events.frame(start="2026-10-02").get_column("event_type").to_list() == ["cart.add"]
    assert project.events.frame(end="2026-10-01").get_column("event_type").to_list() == ["_session.start"]


def test_segments_namespace(demo_project_copy):
    project = demo_project_copy
    condition = attribute("plan").any_of("pro") & (metric("purchases") >= 1)
    defined = project.segments.define(condition, now=NOW)
    assert isinstance(defined, Segment) and defined.version is None

    saved = project.segments.create("pro-buyers", condition)
    assert saved.version == 1 and saved.count() == defined.count()
    assert project.segments.create("pro-buyers", attribute("plan").any_of("pro")).version == 2
    assert project.segments.load("pro-buyers", version=1).count() == defined.count()
    assert isinstance(project.segments.count("pro-buyers"), SegmentCount)
    assert project.segments.count("pro-buyers", version=1) == defined.count()
    assert "pro-buyers" in project.segments.names()
    assert project.segments.list().filter(pl.col("name") == "pro-buyers")["latest_version"].item() == 2

    request = {"Dimensions": {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro"]}}}}
    from_json = project.segments.define(request, now=NOW)
    assert from_json.count() == project.segments.load("pro-buyers", now=NOW).count()

    chosen = project.endpoints.frame(["Id"]).head(7)
    static = project.segments.save_endpoints("seven", chosen)
    assert static.count().endpoints == 7


def test_builder_comes_from_the_namespace(demo_project):
    builder = demo_project.segments.builder(now=NOW, debounce=0)
    assert builder.project is demo_project


def test_kpi_and_funnel_and_dashboard_match_the_feature_functions(demo_project):
    via_project = demo_project.kpi("sticky-factor", "2026-10-01", "2026-10-29")
    direct = kpi(demo_project, "sticky-factor", "2026-10-01", "2026-10-29")
    assert via_project.rows.equals(direct.rows) and via_project.total == direct.total
    steps = ["product.view", "cart.add", "_monetization.purchase"]
    funnel = demo_project.funnel(steps, "2026-10-01", "2026-10-29", window="7d")
    assert funnel.table.get_column("count").to_list()[0] >= funnel.table.get_column("count").to_list()[-1]
    board = demo_project.dashboard("overview", "2026-10-01", "2026-10-29")
    assert board.name == "overview" and board.charts


def test_features_take_a_plain_store(demo_project_path):
    """The seam: features work on a Store (no Project, no face) exactly as on a Project."""
    store = Store.open(demo_project_path)
    project = Project.open(demo_project_path)
    condition = attribute("plan").any_of("pro")
    assert Segment(store, condition, now=NOW).count() == Segment(project, condition, now=NOW).count()
    assert (
        kpi(store, "daily-active-endpoints", "2026-10-01", "2026-10-29").total
        == project.kpi("daily-active-endpoints", "2026-10-01", "2026-10-29").total
    )


def test_transaction_commits_or_rolls_back(project):
    with project.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('probe', 'kept')")
    assert project.query("SELECT value FROM meta WHERE key = 'probe'").item() == "kept"

    with pytest.raises(RuntimeError, match="boom"), project.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('probe2', 'lost')")
        raise RuntimeError("boom")
    assert project.query("SELECT count(*) FROM meta WHERE key = 'probe2'").item() == 0

    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INT)")
    with pytest.raises(KeyboardInterrupt), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        raise KeyboardInterrupt
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(0,)]


def test_reading_shares_one_connection_and_ends_with_the_block(demo_project):
    with demo_project.reading() as shared:
        with demo_project.connect(read_only=True) as first, demo_project.connect(read_only=True) as second:
            assert first is shared and second is shared
        with demo_project.reading() as nested:
            assert nested is shared
        assert demo_project.query("SELECT count(*) FROM endpoints").item() > 0
    with demo_project.connect(read_only=True) as after:
        assert after is not shared
    with pytest.raises(duckdb.ConnectionException):
        shared.execute("SELECT 1")  # closed when the block ended


def test_another_thread_does_not_share_the_reading_connection(demo_project):
    import threading

    seen = {}

    def read_elsewhere():
        with demo_project.connect(read_only=True) as con:
            seen["con"] = con
            seen["count"] = con.execute("SELECT count(*) FROM endpoints").fetchall()[0][0]

    with demo_project.reading() as shared:
        worker = threading.Thread(target=read_elsewhere)
        worker.start()
        worker.join()
        assert seen["con"] is not shared
        assert seen["count"] == shared.execute("SELECT count(*) FROM endpoints").fetchall()[0][0]


def test_templates_suppression_and_send_namespaces(demo_project_copy, tmp_path):
    project = demo_project_copy
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "templates" / "welcome_email.json"
    first = project.templates.create("welcome", "email", str(sample))  # a path, as segments take one
    second = project.templates.create("welcome", "email", sample)
    assert (first.version, second.version) == (1, 2)
    listed = project.templates.list()
    assert listed.select("name", "type", "latest_version").row(0) == ("welcome", "EMAIL", 2)
    assert project.templates.names() == ["welcome"]
    assert project.templates.activate("welcome", 1).version == 1
    assert project.templates.load("welcome").version == 1
    endpoint = project.query(
        "SELECT Id FROM endpoints WHERE ChannelType = 'EMAIL' ORDER BY Id LIMIT 1"
    ).item()
    preview = project.templates.preview("welcome", endpoint)
    assert preview.to_dict()["endpoint"] == endpoint and "{{" not in preview.to_dict()["parts"]["Subject"]

    assert project.suppression.add("Someone@Example.com", reason="COMPLAINT") is True
    assert project.suppression.contains("someone@example.com")  # normalised before hashing
    listed = project.suppression.list()
    assert listed.height == 1 and "someone" not in str(listed.to_dicts())  # never the address
    addresses = tmp_path / "bounces.txt"
    addresses.write_text("a@example.com\nb@example.com\n")
    assert project.suppression.import_file(addresses, reason="BOUNCE").to_dict()["added"] == 2
    assert project.suppression.remove("a@example.com") == 1

    outcome = project.send_message(channel="email", template="welcome", endpoint_id=endpoint)
    assert [r.delivery_status for r in outcome.results] == ["SUCCESSFUL"]
