"""README "Importing endpoints", the write rules (workbench/ingest/upsert.py), with known answers written by hand.

- an update keeps the stored value where the file's cell is empty (or its column is absent); a new endpoint
  gets the defaults (ACTIVE, OptOut NONE, EffectiveDate and CreationDate the import's time, a CohortId 0-99);
- a new endpoint needs ChannelType and Address (the reject names the missing one);
- one ACTIVE endpoint per channel type and address: the later row of a file wins, a stored endpoint loses its
  address to a row that takes it (the loser's EffectiveDate is the import's time), each counted as deactivated;
- at most 15 endpoints per user (held ones rank first, an update of a held one always passes);
- at most 250 attribute names per project, registered in the order first met.

One project takes eight imports (the story below); every expectation is a literal next to its rule.
"""

from __future__ import annotations

import csv
from datetime import datetime

import polars as pl
import pytest
from helpers import write_csv

from workbench.ingest import ImportRejectedError

NEW_NEEDS = "no endpoint with Id '{}' exists, and a new endpoint needs Address and ChannelType"
CAP = "user '{}' would hold {} endpoints; Pinpoint allows at most 15 per user"

H1 = [
    "Id", "ChannelType", "Address", "EndpointStatus", "OptOut", "EffectiveDate", "CreationDate", "CohortId",
    "User.UserId", "Attributes.plan", "Metrics.score",
]  # fmt: skip


def r1(
    eid,
    channel="EMAIL",
    address=None,
    status="",
    opt="",
    eff="",
    created="",
    cohort="",
    user="",
    plan="",
    score="",
):
    return [eid, channel, f"{eid}@x.com" if address is None else address, status, opt, eff, created, cohort,
            user, plan, score]  # fmt: skip


ONE = [
    r1("d1", user="u1", plan="free", score="1"),  # line 2: every default
    r1(
        "g1",
        status="INACTIVE",
        opt="ALL",
        eff="2026-01-02T03:04:05Z",
        created="2025-06-07T08:09:10Z",
        cohort="42",
        user="u1",
        plan="pro",
        score="2",
    ),
    r1("w1", address="same@x.com"),  # line 4: loses same@x.com to w2, the later row
    r1("w2", address="same@x.com"),
    r1("i1", address="ina@x.com"),  # line 6: keeps ina@x.com: the later row i2 is INACTIVE
    r1("i2", address="ina@x.com", status="INACTIVE"),
    r1("c1", address="both@x.com"),  # line 8: another channel type, another address: both ACTIVE
    r1("c2", channel="CUSTOM", address="both@x.com"),
    r1("m1", channel=""),  # line 10: new, no ChannelType
    r1("m2", address=""),  # line 11: new, no Address
    r1("m3", channel="", address=""),  # line 12: new, neither: the reject names Address
    *[r1(f"h{i}", user="uh") for i in range(14)],  # user uh holds 14
    *[r1(f"f{i}", user="uf") for i in range(15)],  # user uf holds 15
    r1("mv", user="u1"),
    r1("c3", address="both2@x.com"),  # EMAIL
    r1("c4", channel="CUSTOM", address="both2@x.com"),
    *[r1(f"o{i}", user="uo") for i in range(16)],  # line 45: a new project, one user's 16 rows: the 16th over
]
H2 = ["Id", "ChannelType", "Address", "EndpointStatus", "User.UserId", "Metrics.score", "Attributes.extra"]
TWO = [
    ["d1", "", "", "", "", "5", ""],  # line 2: update: channel, address, user kept; ACTIVE; loses to t1
    ["g1", "", "", "", "", "", "e"],  # was INACTIVE: an update without a status makes it ACTIVE
    ["t1", "EMAIL", "d1@x.com", "", "", "", ""],  # line 4: new, the later row on d1's address
    ["t2", "EMAIL", "same@x.com", "", "", "", ""],  # takes same@x.com from the stored w2
    ["t3", "CUSTOM", "ina@x.com", "", "", "", ""],  # line 6: another channel type: i1 keeps its address
    ["i2", "", "", "ACTIVE", "", "", ""],  # reactivated: takes ina@x.com back from the stored i1
    ["c1", "", "h3@x.com", "", "", "", ""],  # line 8: a new address: takes it from the stored h3
    ["h0", "", "", "", "", "", ""],  # an update without a user id: still uh's (held, ranks first)
    ["h14", "EMAIL", "h14@x.com", "", "uh", "", ""],  # line 10: uh's 15th: fine
    ["h15", "EMAIL", "h15@x.com", "", "uh", "", ""],  # uh's 16th: rejected
    ["f15", "EMAIL", "f15@x.com", "", "uf", "", ""],  # line 12: uf's 16th (f3 below is held: it ranks first)
    ["f16", "EMAIL", "f16@x.com", "", "uf", "", ""],  # uf's 17th
    ["f3", "", "", "", "uf", "7", ""],  # line 14: an update of an endpoint uf holds: fine
    ["mv", "", "", "", "uf", "", ""],  # u1's endpoint moved to uf: uf's 18th
    ["s1", "EMAIL", "h1@x.com", "INACTIVE", "", "", ""],  # line 16: INACTIVE: takes no address from h1
    *[[f"k{i}", "EMAIL", f"k{i}@x.com", "", "un", "", ""] for i in range(16)],  # a new user: the 16th over
]
# [Id, ChannelType, Address]: every row gives ChannelType, not every row an Address
# (c4 changes only its channel type: it takes both2@x.com on EMAIL from c3)
THREE = [["n8", "EMAIL", ""], ["t1", "EMAIL", ""], ["y1", "EMAIL", "d1@x.com"], ["c4", "EMAIL", ""]]
FOUR = [["n9", "n9@x.com"], ["c2", "c2new@x.com"]]  # [Id, Address]: n9 new without a ChannelType column
# [Id, User.UserId, OptOut]: updates only; d1 (u1's) moves to uf, who holds 15; n7 new without either column
# [Id, User.UserId, OptOut, CreationDate, CohortId]: f0's CreationDate and CohortId stay (an update keeps them)
SIX = [["f0", "", "ALL", "2020-01-01T00:00:00Z", "5"], ["d1", "uf", "", "", ""], ["n7", "", "", "", ""]]
EIGHT = [["w1", "uf"]]  # [Id, User.UserId]: w1, stored without a user, gains one: uf's 16th
SEVEN = [["z1", "EMAIL", "h2@x.com"]]  # only new endpoints, one taking a stored address


def _rejects(result) -> dict[int, tuple[str, str]]:
    if not result.rejects_file:
        return {}
    with open(result.rejects_file, newline="", encoding="utf-8") as fh:
        return {int(r["line"]): (r["field"], r["reason"]) for r in csv.DictReader(fh)}


def _state(project) -> dict[str, dict]:
    rows = project.query(
        "SELECT Id, ChannelType, Address, EndpointStatus, OptOut, EffectiveDate, CreationDate, CohortId, "
        '"User.UserId" AS user, "Metrics.score" AS score FROM endpoints'
    )
    return {r.pop("Id"): r for r in rows.iter_rows(named=True)}


def _cohort(eid: str) -> int:
    """Pinpoint's CohortId as the README states it: a stable 0-99 from the Id (polars' 64-bit hash, seed 7)."""
    return int(pl.Series([eid]).hash(7).item() % 100)


# --- the helpers' known answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "most"),
    [
        ([], 0),
        ([None, None], 0),
        (["a"], 1),
        (["a", "b", "c"], 1),
        (["b", "a", "b"], 2),
        (["a", "b", "a", "c", "a", None, None, None, None], 3),
        (["z", "y", "y", "z", "z", "z"], 4),
    ],
    ids=["empty", "only-nulls", "one", "distinct", "a-pair", "nulls-not-counted", "the-largest-group-last"],
)
def test_most_rows_per_value(values, most):
    from workbench.ingest.upsert import most_rows_per_value

    assert most_rows_per_value(pl.Series(values, dtype=pl.String)) == most


@pytest.mark.parametrize(
    ("values", "distinct"),
    [([], True), (["a", "b", None, None], True), (["a", "b", "a"], False), (["x", "x"], False)],
    ids=["empty", "nulls-not-values", "a-repeat", "two-equal"],
)
def test_surely_distinct(values, distinct):
    from workbench.ingest.upsert import surely_distinct

    assert surely_distinct(pl.Series(values, dtype=pl.String)) is distinct


def test_query_apart_runs_sql_over_frames_with_parameters():
    from workbench.ingest.upsert import query_apart

    got = query_apart(
        "SELECT t.k, sum(t.v) + $add AS s FROM t JOIN u ON t.k = u.k GROUP BY 1 ORDER BY 1",
        {"add": 10},
        t=pl.DataFrame({"k": ["a", "a", "b", "c"], "v": [1, 2, 3, 4]}),
        u=pl.DataFrame({"k": ["a", "c"]}),
    )
    assert got.rows() == [("a", 13), ("c", 14)]


@pytest.mark.parametrize(
    ("frame", "gives"),
    [({"Id": ["a"]}, False), ({"Address": ["x", None]}, False), ({"Address": ["x", "y"]}, True)],
    ids=["no-column", "a-null", "every-row"],
)
def test_gives_all(frame, gives):
    from workbench.ingest.upsert import _gives_all

    assert _gives_all(pl.DataFrame(frame, schema={c: pl.String for c in frame}), "Address") is gives


@pytest.mark.parametrize(
    ("frame", "after"),
    [
        ({"Address": ["a", "b"]}, ["a", "b"]),  # every row gives it
        ({"Address": ["a", None], "__old_address": ["s", "t"]}, ["a", "t"]),  # the stored one fills the gap
        ({"Address": ["a", None]}, ["a", None]),  # no stored ones (all new)
        ({"__old_address": ["s", None]}, ["s", None]),  # no column: the stored ones
        ({"Id": ["x", "y"]}, [None, None]),  # neither
    ],
    ids=["given", "given-or-stored", "given-no-stored", "stored", "neither"],
)
def test_after_the_row_the_endpoint_has(frame, after):
    from workbench.ingest.upsert import _after

    got = _after(pl.DataFrame(frame, schema={c: pl.String for c in frame}), "Address", "__old_address")
    assert got.dtype == pl.String and got.to_list() == after


# --- the story: eight imports into one project ---------------------------------------------------------------


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    from workbench import Project

    root = tmp_path_factory.mktemp("upsert-rules")
    project = Project.create(root / "p")
    out = {}
    for name, header, rows, segment in (
        ("one", H1, ONE, None),
        ("two", H2, TWO, "two"),
        ("three", ["Id", "ChannelType", "Address"], THREE, None),
        ("four", ["Id", "Address"], FOUR, None),
        ("five", ["Id", "ChannelType", "Address"], [["v1", "FAX", "v1@x.com"]], "five"),  # no valid row
        ("six", ["Id", "User.UserId", "OptOut", "CreationDate", "CohortId"], SIX, None),
        ("seven", ["Id", "ChannelType", "Address"], SEVEN, None),
        ("eight", ["Id", "User.UserId"], EIGHT, None),
    ):
        try:
            result = project.endpoints.import_files(
                write_csv(root / f"{name}.csv", header, rows), segment=segment, progress=False
            )
        except ImportRejectedError as err:  # every row rejected: nothing imported, nothing recorded
            result = err.result
        started = project.query(
            f"SELECT started_at FROM imports WHERE import_id = '{result.import_id}'"
        ).rows()
        started = started[0][0] if started else None
        on_disk = sorted(f.name for f in (project.path / "endpoints").iterdir())
        listed = sorted(project.query("SELECT name FROM endpoint_parts").to_series().to_list())
        out[name] = (result, _rejects(result), started, _state(project), (on_disk, listed))
    return project, out


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("one", (55, 0, 1, 4)),  # w1 lost same@x.com to w2
        ("two", (20, 6, 4, 5)),  # d1 (to t1 in the file), w2 (to t2), i1 (to i2), h3 (to c1)
        ("three", (1, 2, 2, 1)),  # t1 (its stored address) to y1, c3 to c4
        ("four", (0, 1, 0, 1)),
        ("five", (0, 0, 0, 1)),
        ("six", (0, 1, 0, 2)),
        ("seven", (1, 0, 1, 0)),  # h2 to z1
        ("eight", (0, 0, 0, 1)),
    ],
    ids=[
        "first-import",
        "updates-takeovers-and-the-user-cap",
        "no-address-column",
        "no-channel-column",
        "every-row-rejected",
        "moved-to-a-full-user",
        "only-new-endpoints",
        "a-user-gained-by-an-endpoint-without-one",
    ],
)
def test_counts(story, name, counts):
    result = story[1][name][0]
    assert (result.imported, result.updated, result.deactivated, result.rejected) == counts


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "one",
            {
                10: ("ChannelType", NEW_NEEDS.format("m1")),
                11: ("Address", NEW_NEEDS.format("m2")),
                12: ("Address", NEW_NEEDS.format("m3")),
                60: ("User.UserId", CAP.format("uo", 16)),
            },
        ),
        (
            "two",
            {
                11: ("User.UserId", CAP.format("uh", 16)),
                12: ("User.UserId", CAP.format("uf", 16)),
                13: ("User.UserId", CAP.format("uf", 17)),
                15: ("User.UserId", CAP.format("uf", 18)),
                32: ("User.UserId", CAP.format("un", 16)),
            },
        ),
        ("three", {2: ("Address", NEW_NEEDS.format("n8"))}),
        ("four", {2: ("ChannelType", NEW_NEEDS.format("n9"))}),
        (
            "six",
            {
                3: ("User.UserId", CAP.format("uf", 16)),
                4: ("Address", NEW_NEEDS.format("n7")),
            },
        ),
        ("eight", {2: ("User.UserId", CAP.format("uf", 16))}),
    ],
    ids=[
        "a-new-endpoint-needs-channel-and-address",
        "at-most-15-per-user",
        "a-row-without-an-address",
        "no-channel-column",
        "a-move-to-a-full-user-and-no-address-column",
        "a-user-gained-by-an-endpoint-without-one",
    ],
)
def test_rejects_name_the_field_and_say_why(story, name, expected):
    assert story[1][name][1] == expected


def test_replaced_parts_are_removed_once_the_import_commits(story):
    for name, (_, _, _, _, (on_disk, listed)) in story[1].items():
        assert on_disk == listed, name


def test_a_new_endpoint_gets_the_defaults(story):
    _, _, started, state, _ = story[1]["one"]
    assert state["d1"] == {
        "ChannelType": "EMAIL", "Address": "d1@x.com", "EndpointStatus": "ACTIVE", "OptOut": "NONE",
        "EffectiveDate": started, "CreationDate": started, "CohortId": _cohort("d1"), "user": "u1", "score": 1.0,
    }  # fmt: skip


def test_a_new_endpoint_keeps_what_the_file_gives(story):
    state = story[1]["one"][3]
    assert state["g1"] == {
        "ChannelType": "EMAIL", "Address": "g1@x.com", "EndpointStatus": "INACTIVE", "OptOut": "ALL",
        "EffectiveDate": datetime(2026, 1, 2, 3, 4, 5), "CreationDate": datetime(2025, 6, 7, 8, 9, 10),
        "CohortId": 42, "user": "u1", "score": 2.0,
    }  # fmt: skip


def test_cohort_ids_are_stable_and_0_to_99(story):
    state = story[1]["four"][3]
    assert {e: s["CohortId"] for e, s in state.items() if e != "g1"} == {
        e: _cohort(e) for e in state if e != "g1"
    }
    assert len({s["CohortId"] for s in state.values()}) > 10


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # import one: the later of two ACTIVE rows on one address wins; an INACTIVE later row takes nothing;
        # another channel type is another address
        (
            "one",
            {
                "w1": "INACTIVE",
                "w2": "ACTIVE",
                "i1": "ACTIVE",
                "i2": "INACTIVE",
                "c1": "ACTIVE",
                "c2": "ACTIVE",
                "d1": "ACTIVE",
                "g1": "INACTIVE",
                "c3": "ACTIVE",
                "c4": "ACTIVE",
            },
        ),
        # import two: d1 updated (its stored address kept) loses it to the later new t1; w2 (stored, not in
        # the file) loses same@x.com to t2; i2 reactivated takes ina@x.com from i1; g1 updated becomes ACTIVE
        (
            "two",
            {
                "d1": "INACTIVE",
                "t1": "ACTIVE",
                "w1": "INACTIVE",
                "w2": "INACTIVE",
                "t2": "ACTIVE",
                "i1": "INACTIVE",
                "i2": "ACTIVE",
                "t3": "ACTIVE",
                "g1": "ACTIVE",
                "c1": "ACTIVE",
                "h14": "ACTIVE",
                "f3": "ACTIVE",
                "h0": "ACTIVE",
                "h1": "ACTIVE",
                "s1": "INACTIVE",
                "h3": "INACTIVE",
            },
        ),
    ],
    ids=["in-one-file-the-later-row-wins", "stored-endpoints-lose-their-address"],
)
def test_one_active_endpoint_per_address(story, name, expected):
    state = story[1][name][3]
    assert {e: state[e]["EndpointStatus"] for e in expected} == expected
    active = [(s["ChannelType"], s["Address"]) for s in state.values() if s["EndpointStatus"] == "ACTIVE"]
    assert len(active) == len(set(active))


def test_an_update_keeps_stored_values_where_the_file_gives_none(story):
    out = story[1]
    one, two = out["one"][3], out["two"][3]
    started2 = out["two"][2]
    # d1: only Metrics.score given; it ends INACTIVE (t1 took its address), EffectiveDate the import's time
    assert two["d1"] == {**one["d1"], "score": 5.0, "EndpointStatus": "INACTIVE", "EffectiveDate": started2}
    # g1: nothing of these given: channel, address, OptOut, CreationDate, CohortId, user and score kept
    assert two["g1"] == {**one["g1"], "EndpointStatus": "ACTIVE", "EffectiveDate": started2}
    assert two["f3"] == {**one["f3"], "score": 7.0, "EffectiveDate": started2}
    assert two["h0"] == {**one["h0"], "EffectiveDate": started2}
    assert two["c1"] == {**one["c1"], "Address": "h3@x.com", "EffectiveDate": started2}
    assert two["h3"] == {**one["h3"], "EndpointStatus": "INACTIVE", "EffectiveDate": started2}
    # a stored endpoint that loses its address: only status and EffectiveDate change
    assert two["w2"] == {**one["w2"], "EndpointStatus": "INACTIVE", "EffectiveDate": started2}
    assert two["i1"] == {**one["i1"], "EndpointStatus": "INACTIVE", "EffectiveDate": started2}
    # endpoints the import does not touch keep everything, EffectiveDate too (mv: its row was rejected)
    for eid in ("w1", "h1", "mv", "f0"):
        assert two[eid] == one[eid]
    assert two["s1"]["EndpointStatus"] == "INACTIVE" and two["s1"]["Address"] == "h1@x.com"
    three, four, six, seven = (out[n][3] for n in ("three", "four", "six", "seven"))
    # t1 leaves out its Address: it keeps d1@x.com, and y1 (later in the file) takes it
    assert three["t1"] == {**two["t1"], "EndpointStatus": "INACTIVE", "EffectiveDate": out["three"][2]}
    assert three["y1"]["Address"] == "d1@x.com" and three["y1"]["EndpointStatus"] == "ACTIVE"
    assert three["c3"] == {**two["c3"], "EndpointStatus": "INACTIVE", "EffectiveDate": out["three"][2]}
    assert three["c4"] == {**two["c4"], "ChannelType": "EMAIL", "EffectiveDate": out["three"][2]}
    assert four["c2"] == {**three["c2"], "Address": "c2new@x.com", "EffectiveDate": out["four"][2]}
    assert six["f0"] == {**four["f0"], "OptOut": "ALL", "EffectiveDate": out["six"][2]}
    assert six["d1"] == four["d1"] and six["d1"]["user"] == "u1"  # the moves were rejected
    eight = out["eight"][3]
    assert eight["w1"] == four["w1"] and eight["w1"]["user"] is None
    assert seven["h2"] == {**six["h2"], "EndpointStatus": "INACTIVE", "EffectiveDate": out["seven"][2]}
    assert seven["z1"]["EndpointStatus"] == "ACTIVE" and seven["z1"]["Address"] == "h2@x.com"
    assert set(seven) == set(three) | {"z1"} and not {"n7", "n8", "n9", "v1"} & set(seven)


def test_the_user_cap_counts_held_endpoints_and_lets_updates_pass(story):
    seven = story[1]["seven"][3]
    users = {u: sum(1 for s in seven.values() if s["user"] == u) for u in ("uh", "uf", "un", "u1")}
    assert users == {"uh": 15, "uf": 15, "un": 15, "u1": 3}  # u1: d1, g1, mv
    assert sum(1 for s in seven.values() if s["user"] == "uo") == 15 and "o15" not in seven
    assert "h14" in seven and not {"h15", "f15", "f16", "k15"} & set(seven)


def test_the_segment_holds_the_files_endpoints_that_were_written(story):
    project = story[0]
    members = set(project.segments.load("two").members().get_column("Id").to_list())
    assert members == {"d1", "g1", "t1", "t2", "t3", "i2", "c1", "h0", "h14", "f3", "s1"} | {
        f"k{i}" for i in range(15)
    }
    # an import whose every row is rejected saves no segment, and is not recorded (so it can be run again)
    result, _, started, _, _ = story[1]["five"]
    assert "five" not in project.segments.list().get_column("name").to_list()
    assert started is None and not result.committed


def test_attribute_columns_in_the_order_first_met(story):
    project = story[0]
    rows = project.query(
        "SELECT kind, name, column_name, position FROM attribute_names ORDER BY position"
    ).rows()
    assert rows == [
        ("endpoint-custom-attributes", "plan", "Attributes.plan", 1),
        ("endpoint-metric-attributes", "score", "Metrics.score", 2),
        ("endpoint-custom-attributes", "extra", "Attributes.extra", 3),
    ]
    out = story[1]
    assert [out[n][0].new_attributes for n in ("one", "two", "three", "six")] == [
        ["Attributes.plan", "Metrics.score"],
        ["Attributes.extra"],
        [],
        [],
    ]


# --- 250 attribute names per project (Attributes, Metrics and UserAttributes together) -------------------------


class _Rollback(Exception):
    """Ends a case's transaction: every case starts from a project without attribute names."""


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    from workbench import Project

    return Project.create(tmp_path_factory.mktemp("upsert-names") / "p")


def _names(prefix: str, n: int, start: int = 0) -> list[str]:
    return [f"{prefix}{i}" for i in range(start, start + n)]


OVER = (
    "the project would have {} attribute names (Attributes, Metrics and UserAttributes together); Pinpoint "
    "allows 250 per project. Over the cap: {}"
)


@pytest.mark.parametrize(
    ("known", "new", "over"),
    [
        (240, 10, None),  # 250: the limit itself
        (240, 11, ["Metrics.n10"]),  # 251
        (249, 1, None),
        (0, 250, None),
        (0, 251, ["Metrics.n250"]),
        (250, 1, ["Metrics.n0"]),  # a full project: every new name is over
        (240, 20, _names("Metrics.n", 10, 10)),  # ten over: listed, no "..."
        (240, 21, _names("Metrics.n", 11, 10)),  # eleven over: the first ten, then "..."
    ],
    ids=[
        "240+10-fits",
        "240+11-refused",
        "249+1-fits",
        "250-at-once-fits",
        "251-at-once-refused",
        "full-project-refuses-one",
        "ten-over-listed",
        "eleven-over-ten-listed",
    ],
)
def test_at_most_250_attribute_names(bare, known, new, over):
    from workbench.errors import InputError
    from workbench.ingest.upsert import ensure_attribute_columns

    now = datetime(2026, 12, 1)
    old, fresh = _names("Attributes.k", known), _names("Metrics.n", new)
    with pytest.raises(_Rollback), bare.transaction() as con:
        # the names held already, registered as an earlier import left them (one statement: fast)
        con.execute(
            "INSERT INTO attribute_names SELECT 'endpoint-custom-attributes', 'k' || i, 'Attributes.k' || i, "
            "$now, i + 1 FROM range($n) r(i)",
            {"now": now, "n": known},
        )
        if over is None:
            assert ensure_attribute_columns(con, bare.path, [*old, "Address", *fresh], now, "f.csv") == fresh
            assert con.execute("SELECT count(*), max(position) FROM attribute_names").fetchone() == (
                known + new,
                known + new,
            )
        else:
            with pytest.raises(InputError) as err:
                ensure_attribute_columns(con, bare.path, fresh, now, "f.csv")
            listed = ", ".join(over[:10]) + (" ..." if len(over) > 10 else "")
            assert err.value.reason == OVER.format(known + new, listed)
            assert (err.value.file, err.value.field, err.value.line) == ("f.csv", over[0], None)
            # nothing is half-added
            assert con.execute("SELECT count(*) FROM attribute_names").fetchone() == (known,)
        raise _Rollback


def test_names_are_registered_once_with_their_kind_and_position(bare):
    from workbench.ingest.upsert import ensure_attribute_columns

    now = datetime(2026, 12, 1, 9)
    with pytest.raises(_Rollback), bare.transaction() as con:
        first = ["Id", "Attributes.a", "Metrics.m", "ChannelType"]
        assert ensure_attribute_columns(con, bare.path, first, now, "a.csv") == ["Attributes.a", "Metrics.m"]
        assert ensure_attribute_columns(con, bare.path, ["Metrics.m", "Attributes.a"], now, "b.csv") == []
        again = ["User.UserAttributes.u", "Metrics.m", "Attributes.b"]
        assert ensure_attribute_columns(con, bare.path, again, now, "c.csv") == [
            "User.UserAttributes.u",
            "Attributes.b",
        ]
        assert con.execute(
            "SELECT kind, name, column_name, created_at, position FROM attribute_names ORDER BY position"
        ).fetchall() == [
            ("endpoint-custom-attributes", "a", "Attributes.a", now, 1),
            ("endpoint-metric-attributes", "m", "Metrics.m", now, 2),
            ("endpoint-user-attributes", "u", "User.UserAttributes.u", now, 3),
            ("endpoint-custom-attributes", "b", "Attributes.b", now, 4),
        ]
        # the view has the new columns, in that order, after the fixed ones
        names = [r[0] for r in con.execute("DESCRIBE endpoints").fetchall()]
        assert names[-4:] == ["Attributes.a", "Metrics.m", "User.UserAttributes.u", "Attributes.b"]
        raise _Rollback
