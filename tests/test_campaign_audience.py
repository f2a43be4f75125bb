"""Campaign audiences: stable assignment to holdout and treatments, and exclusions in their fixed order."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from helpers import write_csv
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.campaigns.audience import (
    BUCKETS,
    EXCLUSION_ORDER,
    HOLDOUT,
    assignment_case,
    assignment_sql,
    audience,
    bucket_sql,
    needed_columns,
    treatment_messages,
)
from workbench.campaigns.spec import EXCLUSION_REASONS, Campaign
from workbench.delivery import Ledger, PlannedMessage, SuppressionList, send_key
from workbench.messages.templates import save_template
from workbench.segments import Segment

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HEADER = [
    "Id",
    "ChannelType",
    "Address",
    "EndpointStatus",
    "OptOut",
    "User.UserId",
    "Demographic.Timezone",
    "User.UserAttributes.FirstName",
    "Attributes.plan",
]
ZONES = ["America/New_York", "Europe/Paris", "Asia/Tokyo", ""]


def endpoint_rows(n: int = 120) -> list[list[object]]:
    """n endpoints (e000...): every 4th an SMS one, two endpoints per user, a few special ones (see SPECIAL)."""
    rows = []
    for i in range(n):
        sms = i % 4 == 0
        rows.append(
            [
                f"e{i:03d}",
                "SMS" if sms else "EMAIL",
                f"+1206555{i:04d}" if sms else f"person{i}@example.com",
                "ACTIVE",
                "NONE",
                f"u{i // 2:03d}",
                ZONES[i % 4],
                "" if i % 5 == 0 else f"Name{i}",
                ("free", "pro")[i % 2],
            ]
        )
    rows[1][3] = "INACTIVE"  # e001
    rows[2][4] = "ALL"  # e002 opted out
    rows += [
        # the same address as e003 in another case: the larger Id (e003 < z-dup) is the duplicate
        ["z-dup", "EMAIL", "PERSON3@Example.com", "ACTIVE", "NONE", "zu", "", "Zed", "pro"],
        ["z-push", "GCM", "device-token-1", "ACTIVE", "NONE", "zp", "", "", ""],
    ]
    return rows


def build_project(tmp_path: Path, rows: list[list[object]] | None = None):
    """A project with the endpoints of ``endpoint_rows``, a segment ``everyone`` of them all and two e-mail
    templates (one SMS template)."""
    from workbench import Project

    project = Project.create(tmp_path / "project")
    write_csv(tmp_path / "endpoints.csv", HEADER, rows if rows is not None else endpoint_rows())
    result = project.endpoints.import_files(tmp_path / "endpoints.csv", progress=False)
    assert result.rejected == 0, result
    Segment.from_json(project, EVERYONE).save("everyone")
    Segment.from_json(project, NOBODY).save("nobody")
    save_template(
        project,
        "hello",
        "EMAIL",
        {
            "Subject": "Hello {{User.UserAttributes.FirstName}}",
            "HtmlPart": "<p>Hi {{User.UserAttributes.FirstName}}, you are on {{Attributes.plan}}</p>",
            "TextPart": "Hi {{User.UserAttributes.FirstName}}",
            "DefaultSubstitutions": json.dumps({"User.UserAttributes.FirstName": "friend"}),
        },
    )
    save_template(
        project, "hello-b", "EMAIL", {"Subject": "News for {{Attributes.plan}}", "HtmlPart": "<p>B</p>"}
    )
    save_template(project, "sms-hello", "SMS", {"Body": "Hi {{User.UserAttributes.FirstName}}, sale today!"})
    return project


EVERYONE = {"Name": "everyone", "Dimensions": {"Attributes": {}}}
NOBODY = {
    "Name": "nobody",
    "Dimensions": {"Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["no-such-plan"]}}},
}


def email_campaign(**extra) -> Campaign:
    request = {
        "Name": "spring",
        "SegmentId": "everyone",
        "HoldoutPercent": 10,
        "TemplateConfiguration": {"EmailTemplate": {"Name": "hello"}},
        "AdditionalTreatments": [
            {"SizePercent": 45, "TemplateConfiguration": {"EmailTemplate": {"Name": "hello-b"}}}
        ],
        "Schedule": {"StartTime": "IMMEDIATE"},
    }
    request.update(extra)
    return Campaign.from_json(request)


@pytest.fixture
def project(tmp_path):
    return build_project(tmp_path)


def chisquare(observed: list[int], expected: list[float]):
    """Pearson's chi-square test (scipy.stats.chisquare's statistic and p-value; scipy is not installed here)."""
    from types import SimpleNamespace

    stat = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return SimpleNamespace(statistic=stat, pvalue=chi2_sf(stat, len(observed) - 1))


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square variable with ``df`` degrees of freedom: 1 - P(df/2, x/2), the regularized
    lower incomplete gamma function by its power series (exact enough for a test's p-values)."""
    a, z = df / 2, x / 2
    if z <= 0:
        return 1.0
    term = total = 1 / a
    n = 1
    while term > total * 1e-15:
        term *= z / (a + n)
        total += term
        n += 1
    lower = math.exp(-z + a * math.log(z) - math.lgamma(a)) * total
    return max(0.0, 1 - lower)


def test_the_chi_square_helper_matches_known_critical_values():
    assert chi2_sf(16.266, 3) == pytest.approx(0.001, rel=1e-3)
    assert chi2_sf(7.815, 3) == pytest.approx(0.05, rel=1e-3)
    assert chi2_sf(3.841, 1) == pytest.approx(0.05, rel=1e-3)


# --- assignment ---------------------------------------------------------------------------------------------------


def treatments_of(holdout: float, sizes: list[float]):
    request = {
        "Name": "t",
        "SegmentId": "s",
        "HoldoutPercent": holdout,
        "MessageConfiguration": {"SMSMessage": {"Body": "x"}},
        "AdditionalTreatments": [
            {"SizePercent": s, "MessageConfiguration": {"SMSMessage": {"Body": "y"}}} for s in sizes
        ],
    }
    return Campaign.from_json(request).treatments


def test_group_sizes_pass_a_chi_square_sample_ratio_test_on_a_million_endpoints():
    treatments = treatments_of(10, [30, 30])  # default 30%, two more of 30%, holdout 10%
    case = assignment_sql("campaign-42", 10, treatments)
    counts = dict(
        duckdb.sql(
            f'SELECT {case} AS g, count(*) FROM (SELECT \'ep-\' || i AS "Id", NULL::VARCHAR AS "User.UserId" '
            f"FROM range(1000000) t(i)) GROUP BY g"
        ).fetchall()
    )
    groups = [HOLDOUT, "0", "1", "2"]
    observed = [counts[g] for g in groups]
    expected = [100_000, 300_000, 300_000, 300_000]
    assert sum(observed) == 1_000_000
    assert chisquare(observed, expected).pvalue > 0.001, observed


def test_a_skewed_assignment_fails_the_same_test():
    """The test can fail: a 1% shift between two groups is caught."""
    observed = [100_000, 303_000, 297_000, 300_000]
    assert chisquare(observed, [100_000, 300_000, 300_000, 300_000]).pvalue < 0.001


def test_every_endpoint_of_a_user_is_in_the_same_group_and_runs_agree():
    treatments = treatments_of(10, [20, 20])
    case = assignment_sql("c1", 10, treatments)
    frame = duckdb.sql(
        f'SELECT "User.UserId", count(DISTINCT {case}) AS groups FROM (SELECT \'e\' || i AS "Id", '
        f"'u' || (i // 3) AS \"User.UserId\" FROM range(30000) t(i)) GROUP BY 1 HAVING groups > 1"
    ).fetchall()
    assert frame == []
    first = duckdb.sql(f"SELECT {case} FROM (SELECT 'e1' AS \"Id\", 'u9' AS \"User.UserId\")").fetchall()
    again = duckdb.sql(f"SELECT {case} FROM (SELECT 'e2' AS \"Id\", 'u9' AS \"User.UserId\")").fetchall()
    assert first == again


def test_the_bucket_is_the_documented_md5_prefix():
    for key in ["u1", "user-ü", "x" * 200]:
        expected = int(hashlib.md5(f"camp:{key}".encode()).hexdigest()[:16], 16) % BUCKETS
        got = duckdb.sql(
            f"SELECT {bucket_sql('camp')} FROM (SELECT '{key}' AS \"User.UserId\", 'i' AS \"Id\")"
        )
        assert got.fetchall()[0][0] == expected


@settings(max_examples=40, deadline=None)
@given(
    holdout=st.integers(0, 50),
    sizes=st.lists(st.integers(1, 20), min_size=0, max_size=5),
)
def test_every_bucket_goes_to_exactly_one_group_in_proportion(holdout, sizes):
    """Over all 10,000 buckets, each group gets exactly its share in hundredths of a percent."""
    assume(holdout + sum(sizes) <= 100)
    treatments = treatments_of(holdout, sizes)
    case = assignment_case("b", holdout, treatments)
    counts = dict(
        duckdb.sql(f"SELECT {case} AS g, count(*) FROM range({BUCKETS}) t(b) GROUP BY g").fetchall()
    )
    expected = {HOLDOUT: holdout * 100} if holdout else {}
    for t in treatments:
        if t.size_percent:
            expected[t.treatment_id] = round(t.size_percent * 100)
    assert counts == expected


# --- exclusions ---------------------------------------------------------------------------------------------------


def by_id(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["Id"]: row for row in frame.iter_rows(named=True)}


def test_exclusions_in_their_order_and_the_counts_add_up(project):
    frame = audience(project, email_campaign(), now=NOW)
    rows = by_id(frame)
    assert frame.height == 122
    assert rows["e001"]["excluded"] == "ENDPOINT_INACTIVE"
    assert rows["e002"]["excluded"] == "ENDPOINT_OPT_OUT"
    assert rows["e004"]["excluded"] == "ENDPOINT_CHANNEL_MISMATCH"  # SMS, the campaign sends e-mail only
    assert rows["z-push"]["excluded"] == "ENDPOINT_CHANNEL_MISMATCH"
    assert rows["z-dup"]["excluded"] == "DUPLICATE_ENDPOINT"
    assert rows["e003"]["excluded"] in (None, "TREATMENT_HOLDOUT")  # the first by Id is kept
    holdout = [r for r in rows.values() if r["treatment_id"] == HOLDOUT]
    assert holdout and all(r["excluded"] is not None for r in holdout)
    assert set(frame["excluded"].drop_nulls()) <= set(EXCLUSION_REASONS)
    assert set(EXCLUSION_ORDER) == set(EXCLUSION_REASONS)
    # one user, one group
    assert frame.group_by("User.UserId").agg(pl.col("treatment_id").n_unique().alias("n"))["n"].max() == 1
    assert rows["e010"]["channel"] == "EMAIL" and rows["e010"]["send_address"] == "person10@example.com"


def test_an_inactive_opted_out_endpoint_counts_once_under_the_first_reason(tmp_path):
    rows = endpoint_rows(8)
    rows[3][3], rows[3][4] = "INACTIVE", "ALL"
    frame = audience(build_project(tmp_path, rows), email_campaign(), now=NOW)
    assert by_id(frame)["e003"]["excluded"] == "ENDPOINT_INACTIVE"


def test_a_duplicate_of_an_excluded_endpoint_is_not_a_duplicate(tmp_path):
    rows = endpoint_rows(8)
    rows[3][3] = "INACTIVE"  # e003 inactive: z-dup (same address) is the one that can be sent
    got = by_id(audience(build_project(tmp_path, rows), email_campaign(HoldoutPercent=0), now=NOW))
    assert got["e003"]["excluded"] == "ENDPOINT_INACTIVE"
    assert got["z-dup"]["excluded"] is None


def test_suppressed_addresses_are_excluded_after_the_holdout(project):
    campaign = email_campaign(HoldoutPercent=0)
    suppression = SuppressionList.for_store(project)
    suppression.add("person7@example.com", reason="UNSUBSCRIBE")
    suppression.add("Person9@EXAMPLE.com", reason="BOUNCE")  # case does not dodge the list
    got = by_id(audience(project, campaign, now=NOW))
    assert got["e007"]["excluded"] == "SUPPRESSED"
    assert got["e009"]["excluded"] == "SUPPRESSED"
    assert got["e010"]["excluded"] is None
    assert got["e002"]["excluded"] == "ENDPOINT_OPT_OUT"


def test_a_non_ascii_address_is_checked_against_the_list_too(tmp_path):
    rows = endpoint_rows(8) + [["z-uni", "EMAIL", "jose@exämple.com", "ACTIVE", "NONE", "zz", "", "", ""]]
    project = build_project(tmp_path, rows)
    SuppressionList.for_store(project).add("jose@exämple.com", reason="MANUAL")
    got = by_id(audience(project, email_campaign(HoldoutPercent=0), now=NOW))
    assert got["z-uni"]["excluded"] == "SUPPRESSED"


def test_caps_count_the_campaigns_past_messages(project):
    campaign = email_campaign(HoldoutPercent=0, Limits={"Total": 1})
    campaign = Campaign(campaign.name, campaign.request, campaign_id="camp-1")
    with Ledger.for_store(project) as ledger:
        planned = [
            PlannedMessage(
                send_key("campaign", "camp-1", "run-1", eid, "EMAIL"), "EMAIL", addr, endpoint_id=eid
            )
            for eid, addr in [("e005", "person5@example.com"), ("e006", "person6@example.com")]
        ]
        ledger.plan("run-1", "campaign", "camp-1", planned)
        other = PlannedMessage(
            send_key("campaign", "other", "r", "e007", "EMAIL"), "EMAIL", "x@y.z", endpoint_id="e007"
        )
        ledger.plan("r", "campaign", "other", [other])
    got = by_id(audience(project, campaign, now=NOW))
    assert got["e005"]["excluded"] == "CAP_EXCEEDED"
    assert got["e006"]["excluded"] == "CAP_EXCEEDED"
    assert got["e007"]["excluded"] is None  # another campaign's message does not count
    unlimited = by_id(
        audience(project, Campaign(campaign.name, {**campaign.request, "Limits": {}}, "camp-1"), now=NOW)
    )
    assert unlimited["e005"]["excluded"] is None


def test_daily_cap_counts_the_last_24_hours_only(project):
    campaign = Campaign(
        "c", email_campaign(HoldoutPercent=0, Limits={"Daily": 1}).request, campaign_id="camp-2"
    )
    with Ledger.for_store(project) as ledger:
        key = send_key("campaign", "camp-2", "old", "e005", "EMAIL")
        ledger.plan(
            "old",
            "campaign",
            "camp-2",
            [PlannedMessage(key, "EMAIL", "person5@example.com", endpoint_id="e005")],
        )
    later = datetime.now(UTC) + timedelta(
        days=2
    )  # the message was planned just now: two days later it is past
    assert by_id(audience(project, campaign, now=later))["e005"]["excluded"] is None
    assert by_id(audience(project, campaign, now=datetime.now(UTC)))["e005"]["excluded"] == "CAP_EXCEEDED"


def test_quiet_time_past_the_end_time_excludes(project):
    # 23:00 UTC: quiet (22:00-07:00) in Paris (midnight) and Tokyo (08:00 is not quiet) ...
    campaign = email_campaign(
        HoldoutPercent=0,
        Schedule={
            "StartTime": "2026-11-02T23:00:00Z",
            "EndTime": "2026-11-03T01:00:00Z",
            "Timezone": "UTC",
            "QuietTime": {"Start": "22:00", "End": "07:00"},
        },
    )
    frame = audience(project, campaign, now=NOW)
    got = by_id(frame)
    paris = got["e001"]  # ZONES[1]
    assert paris["zone"] == "Europe/Paris"
    tokyo = got["e002"]
    assert tokyo["held"] is False
    e005 = got["e005"]  # Europe/Paris, active: held until 07:00 Paris, past the EndTime
    assert e005["held"] is True and e005["excluded"] == "QUIET_TIME"
    e006 = got["e006"]  # Asia/Tokyo 08:00: not quiet
    assert e006["excluded"] is None and not e006["held"]
    e007 = got["e007"]  # no zone: never held (Pinpoint's rule)
    assert e007["excluded"] is None and not e007["held"]


def test_nothing_is_written_without_a_ledger(project):
    audience(project, email_campaign(), now=NOW)
    assert not project.delivery_path.exists()


def test_the_frame_carries_the_columns_the_templates_name(project):
    frame = audience(project, email_campaign(), now=NOW)
    assert {"User.UserAttributes.FirstName", "Attributes.plan", "due_at", "held", "zone"} <= set(
        frame.columns
    )
    messages = treatment_messages(project, email_campaign())
    assert needed_columns(["Id", "Location.City", "Attributes.plan"], messages) == ["Id", "Attributes.plan"]


def test_an_empty_segment_gives_an_empty_audience(project):
    frame = audience(project, email_campaign(SegmentId="nobody"), now=NOW)
    assert frame.height == 0
    assert {"treatment_id", "excluded", "due_at"} <= set(frame.columns)


def test_an_occurrence_gives_the_send_time_of_that_run(project):
    daily = {"StartTime": "2026-11-01T09:00:00Z", "Frequency": "DAILY", "Timezone": "UTC"}
    campaign = email_campaign(HoldoutPercent=0, Schedule=daily)
    # by default: the next occurrence at or after now (12:00 on 2 November: 09:00 on 3 November)
    default = by_id(audience(project, campaign, now=NOW))
    assert default["e005"]["due_at"] == datetime(2026, 11, 3, 9, tzinfo=UTC)
    run = datetime(2026, 11, 4, 9, tzinfo=UTC)
    assert by_id(audience(project, campaign, now=NOW, occurrence=run))["e005"]["due_at"] == run
    local = email_campaign(HoldoutPercent=0, Schedule={**daily, "IsLocalTime": True})
    got = by_id(audience(project, local, now=NOW, occurrence=run))
    assert got["e005"]["zone"] == "Europe/Paris"
    assert got["e005"]["due_at"] == datetime(2026, 11, 4, 8, tzinfo=UTC)  # 09:00 in Paris
    assert got["e003"]["due_at"] == run  # no zone: the campaign's UTC
