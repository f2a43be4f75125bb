"""The synthetic demo data: deterministic, in Pinpoint's file shapes, and realistic where analytics depend on it."""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import email_validator
import phonenumbers
import polars as pl
import pytest

from workbench.demo import ENDPOINT_CSV_HEADER, DemoFiles, generate_demo_files, generate_endpoints

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
END_DATE = date(2026, 10, 29)
DAYS = 90
N_ENDPOINTS = 3_000
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")

EXPECTED_HEADER = (
    "Id,ChannelType,Address,OptOut,EffectiveDate,Demographic.AppVersion,Demographic.Locale,Demographic.Make,"
    "Demographic.Model,Demographic.ModelVersion,Demographic.Platform,Demographic.PlatformVersion,"
    "Demographic.Timezone,Location.City,Location.Country,Location.Latitude,Location.Longitude,"
    "Location.PostalCode,Location.Region,User.UserId,User.UserAttributes.FirstName,User.UserAttributes.LastName,"
    "User.UserAttributes.loyalty_tier,Attributes.plan,Attributes.signup_source,Attributes.Interests,"
    "Attributes.Interests,Attributes.Interests,Metrics.purchases,Metrics.lifetime_value,Metrics.sessions_30d"
)
EVENT_KEYS = {
    "event_type",
    "event_timestamp",
    "arrival_timestamp",
    "event_version",
    "application",
    "client",
    "device",
    "session",
    "attributes",
    "metrics",
    "awsAccountId",
    "event_id",
}
FUNNEL = ("product.view", "cart.add", "checkout.start", "_monetization.purchase")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo_files(tmp_path_factory.mktemp("demo"), endpoints=N_ENDPOINTS, seed=0)


@pytest.fixture(scope="module")
def csv_rows(demo: DemoFiles) -> list[dict[str, str]]:
    """CSV rows as dicts; the repeated Interests columns are collected into one `Attributes.Interests` list."""
    with demo.endpoints_csv.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = []
        for values in reader:
            assert len(values) == len(header)
            row = {k: v for k, v in zip(header, values, strict=True) if k != "Attributes.Interests"}
            row["Attributes.Interests"] = [
                v for k, v in zip(header, values, strict=True) if k == "Attributes.Interests" and v
            ]
            rows.append(row)
    return rows


@pytest.fixture(scope="module")
def json_rows(demo: DemoFiles) -> list[dict]:
    return [json.loads(line) for line in demo.endpoints_jsonl.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def events(demo: DemoFiles) -> list[dict]:
    assert demo.event_files
    out = []
    for path in demo.event_files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out += [json.loads(line) for line in f]
    return out


@pytest.fixture(scope="module")
def unique_events(events: list[dict]) -> list[dict]:
    seen: set[str] = set()
    out = []
    for e in events:
        if e["event_id"] not in seen:
            seen.add(e["event_id"])
            out.append(e)
    return out


def _files(files: DemoFiles) -> list[Path]:
    return [files.endpoints_csv, files.endpoints_jsonl, files.users_csv, *files.event_files]


# --- determinism -------------------------------------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo_files(tmp_path, endpoints=N_ENDPOINTS, seed=0)
    for first, second in zip(_files(demo), _files(again), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert again.counts == demo.counts


def test_different_seeds_give_different_files(demo: DemoFiles, tmp_path: Path) -> None:
    other = generate_demo_files(tmp_path, endpoints=N_ENDPOINTS, seed=1)
    for first, second in zip(_files(demo)[:3], _files(other)[:3], strict=True):
        assert first.read_bytes() != second.read_bytes(), first.name
    events = b"".join(gzip.decompress(p.read_bytes()) for p in demo.event_files)
    assert events != b"".join(gzip.decompress(p.read_bytes()) for p in other.event_files)


def test_committed_sample_matches_the_generator(tmp_path: Path) -> None:
    fresh = generate_demo_files(tmp_path, endpoints=300, seed=0)
    for name in ("endpoints.csv", "endpoints.jsonl", "users.csv"):
        assert (SAMPLE_DIR / name).read_bytes() == (tmp_path / name).read_bytes(), name
    # Compare decompressed bytes: another zlib build may compress the same lines differently.
    # (the sample keeps the stream in one file; the generator writes it in hourly files, in arrival order)
    assert gzip.decompress((SAMPLE_DIR / "events.jsonl.gz").read_bytes()) == b"".join(
        gzip.decompress(p.read_bytes()) for p in fresh.event_files
    )


def test_generate_endpoints_returns_the_written_rows(
    csv_rows: list[dict[str, str]], json_rows: list[dict]
) -> None:
    frame = generate_endpoints(N_ENDPOINTS, seed=0)
    written = {r["Id"]: r["Address"] for r in csv_rows} | {r["Id"]: r["Address"] for r in json_rows}
    assert dict(zip(frame["Id"], frame["Address"], strict=True)) == written


def test_without_events_no_event_file_is_written(tmp_path: Path) -> None:
    files = generate_demo_files(tmp_path, endpoints=50, seed=0, events=False)
    assert files.event_files == ()
    assert not (tmp_path / "events").exists()
    assert "events" not in files.counts


@pytest.mark.parametrize("kwargs", [{"endpoints": 0}, {"endpoints": 10, "days": 0}])
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate_demo_files(tmp_path, **kwargs)


# --- endpoints ---------------------------------------------------------------------------------------------


def test_csv_header_is_pinpoints_dotted_header(demo: DemoFiles) -> None:
    first_line = demo.endpoints_csv.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first_line == EXPECTED_HEADER
    assert tuple(first_line.split(",")) == ENDPOINT_CSV_HEADER


def test_files_hold_no_tabs_or_stray_line_breaks(demo: DemoFiles, csv_rows: list[dict]) -> None:
    text = demo.endpoints_csv.read_text(encoding="utf-8")
    assert "\t" not in text and "\r" not in text
    assert text.count("\n") == len(csv_rows) + 1


def test_both_formats_together_hold_every_endpoint_once(
    demo: DemoFiles, csv_rows: list[dict], json_rows: list[dict]
) -> None:
    ids = [r["Id"] for r in csv_rows] + [r["Id"] for r in json_rows]
    assert sorted(ids) == [f"ep-{i:07d}" for i in range(1, N_ENDPOINTS + 1)]
    assert 0.05 <= len(json_rows) / N_ENDPOINTS <= 0.10
    assert demo.counts["endpoints_csv"] == len(csv_rows)
    assert demo.counts["endpoints_jsonl"] == len(json_rows)


def test_jsonl_endpoints_use_pinpoints_nested_shape(json_rows: list[dict]) -> None:
    allowed = {"Id", "ChannelType", "Address", "OptOut", "EffectiveDate", "Demographic", "Location", "User"}
    allowed |= {"Attributes", "Metrics"}
    for row in json_rows:
        assert set(row) <= allowed
        assert row["ChannelType"] and row["Address"]
        for values in row.get("Attributes", {}).values():
            assert isinstance(values, list) and all(isinstance(v, str) for v in values)
        for values in row.get("User", {}).get("UserAttributes", {}).values():
            assert isinstance(values, list)
        for value in row.get("Metrics", {}).values():
            assert isinstance(value, float)
        if "Location" in row:
            assert round(row["Location"]["Latitude"], 1) == row["Location"]["Latitude"]


def test_phone_numbers_are_valid_for_their_country() -> None:
    frame = generate_endpoints(10_000, seed=5).filter(pl.col("ChannelType").is_in(["SMS", "VOICE"]))
    rows = frame.select("Address", "Location.Country").rows()
    assert len(rows) >= 2_000
    national = 0
    for address, country in random.Random(0).sample(rows, 2_000):
        number = phonenumbers.parse(address, country)
        assert phonenumbers.is_valid_number(number), (address, country)
        assert phonenumbers.region_code_for_number(number) == country, (address, country)
        national += not address.startswith("+")
    assert 100 <= national <= 300  # about 10 % need normalising
    e164 = [
        phonenumbers.format_number(phonenumbers.parse(a, c), phonenumbers.PhoneNumberFormat.E164)
        for a, c in rows
    ]
    assert len(set(e164)) == len(e164)


def test_emails_are_valid_and_use_reserved_example_domains(
    csv_rows: list[dict], json_rows: list[dict]
) -> None:
    addresses = [r["Address"] for r in csv_rows + json_rows if r["ChannelType"] == "EMAIL"]
    assert len(addresses) > 0.4 * N_ENDPOINTS
    for address in addresses:
        local, _, domain = address.strip().lower().rpartition("@")
        assert local and "@" not in local
        assert domain in RESERVED_DOMAINS or domain.endswith((".example.com", ".example")), address
        email_validator.validate_email(address.strip(), check_deliverability=False)
    assert len({a.strip().lower() for a in addresses}) == len(addresses)
    assert any(a != a.strip() or a != a.lower() for a in addresses)  # some need normalising


def test_push_tokens_look_like_apns_and_fcm_tokens(csv_rows: list[dict], json_rows: list[dict]) -> None:
    for row in csv_rows + json_rows:
        platform = row.get("Demographic.Platform") or row.get("Demographic", {}).get("Platform")
        if row["ChannelType"] == "APNS":
            assert len(row["Address"]) == 64 and int(row["Address"], 16) >= 0
            assert platform == "iOS"
        elif row["ChannelType"] == "GCM":
            assert len(row["Address"]) == 152 and ":APA91b" in row["Address"]
            assert platform == "Android"


def test_users_own_one_to_four_endpoints_and_a_few_endpoints_have_no_user(
    csv_rows: list[dict], json_rows: list[dict]
) -> None:
    user_ids = [r["User.UserId"] for r in csv_rows] + [r.get("User", {}).get("UserId", "") for r in json_rows]
    per_user = Counter(u for u in user_ids if u)
    assert max(per_user.values()) <= 15
    assert set(per_user.values()) <= {1, 2, 3, 4}
    assert 0.01 <= user_ids.count("") / len(user_ids) <= 0.05


def test_channel_mix_is_roughly_pinpoint_like(demo: DemoFiles) -> None:
    share = {k: v / N_ENDPOINTS for k, v in demo.counts["channels"].items()}
    assert 0.45 <= share["EMAIL"] <= 0.55
    assert 0.16 <= share["SMS"] <= 0.24
    assert 0.09 <= share["APNS"] <= 0.15
    assert 0.09 <= share["GCM"] <= 0.16
    assert 0.02 <= 1 - share["EMAIL"] - share["SMS"] - share["APNS"] - share["GCM"] <= 0.08


def test_demographics_match_location(csv_rows: list[dict]) -> None:
    for row in csv_rows:
        if row["Location.Country"]:
            assert row["Demographic.Locale"].endswith("_" + row["Location.Country"]) or row[
                "Demographic.Locale"
            ] in ("en_GB", "es_US", "zh_SG", "hi_IN")
        assert "/" in row["Demographic.Timezone"]
        assert row["OptOut"] in ("NONE", "ALL")
        datetime.strptime(row["EffectiveDate"], "%Y-%m-%dT%H:%M:%SZ")


def test_users_file_is_a_user_id_only_import(
    demo: DemoFiles, csv_rows: list[dict], json_rows: list[dict]
) -> None:
    lines = demo.users_csv.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "User.UserId"
    known = {r["User.UserId"] for r in csv_rows} | {r.get("User", {}).get("UserId") for r in json_rows}
    ids = []
    for line in lines[1:]:
        parts = line.split(" ")
        assert 1 <= len(parts) <= 5
        ids.extend(parts)
    assert ids and set(ids) <= known
    assert len(ids) == len(set(ids)) == demo.counts["users_file_ids"]


# --- events ------------------------------------------------------------------------------------------------


def test_event_records_parse_and_carry_the_stream_keys(demo: DemoFiles, events: list[dict]) -> None:
    assert len(events) == demo.counts["events"]
    assert 7 * N_ENDPOINTS <= len(events) <= 13 * N_ENDPOINTS
    start = datetime(2026, 10, 30, tzinfo=UTC) - timedelta(days=DAYS)
    lo, hi = start.timestamp() * 1000, datetime(2026, 10, 30, tzinfo=UTC).timestamp() * 1000
    for e in events:
        assert set(e) == EVENT_KEYS
        assert e["event_version"] == "3.1" and e["application"]["app_id"] == "demo-app"
        assert lo <= e["event_timestamp"] < hi
        assert e["arrival_timestamp"] > e["event_timestamp"]
        assert e["client"]["client_id"].startswith("ep-")
        assert set(e["device"]["locale"]) == {"code", "country", "language"}
        assert e["session"]["start_timestamp"] <= e["event_timestamp"]
        assert ("stop_timestamp" in e["session"]) == (e["event_type"] == "_session.stop")
        assert all(isinstance(v, str) for v in e["attributes"].values())
        assert all(isinstance(v, int | float) for v in e["metrics"].values())


def test_duplicates_are_redeliveries_with_the_same_event_id(
    demo: DemoFiles, events: list[dict], unique_events: list[dict]
) -> None:
    assert demo.counts["duplicate_events"] == len(events) - len(unique_events) > 0
    arrivals = [e["arrival_timestamp"] for e in events]
    assert arrivals == sorted(arrivals)


def test_clients_are_app_and_web_endpoints(
    csv_rows: list[dict], json_rows: list[dict], unique_events: list[dict]
) -> None:
    channel = {r["Id"]: r["ChannelType"] for r in csv_rows + json_rows}
    clients = Counter(channel[e["client"]["client_id"]] for e in unique_events)
    assert set(clients) == {"APNS", "GCM", "EMAIL"}
    assert clients["APNS"] + clients["GCM"] > clients["EMAIL"]
    active = {e["client"]["client_id"] for e in unique_events}
    app_endpoints = [i for i, c in channel.items() if c in ("APNS", "GCM")]
    assert 0.5 < len(active & set(app_endpoints)) / len(app_endpoints) < 1.0  # some have no events


def test_sessions_are_start_stop_pairs_holding_their_events(unique_events: list[dict]) -> None:
    sessions: dict[str, list[dict]] = {}
    for e in unique_events:
        sessions.setdefault(e["session"]["session_id"], []).append(e)
    for session in sessions.values():
        types = Counter(e["event_type"] for e in session)
        assert types["_session.start"] == 1 and types["_session.stop"] == 1
        stop = next(e["session"]["stop_timestamp"] for e in session if e["event_type"] == "_session.stop")
        assert all(e["session"]["start_timestamp"] <= e["event_timestamp"] <= stop for e in session)
        assert len({e["client"]["client_id"] for e in session}) == 1
    assert Counter(e["event_type"] for e in unique_events)["_session.pause"] > 0


def test_sign_up_is_the_first_session_of_a_new_endpoint(unique_events: list[dict]) -> None:
    first_seen: dict[str, int] = {}
    for e in unique_events:
        cid = e["client"]["client_id"]
        first_seen[cid] = min(first_seen.get(cid, e["event_timestamp"]), e["event_timestamp"])
    sign_ups = [e for e in unique_events if e["event_type"] == "_userauth.sign_up"]
    assert sign_ups
    assert len({e["client"]["client_id"] for e in sign_ups}) == len(sign_ups)
    for e in sign_ups:
        assert e["session"]["start_timestamp"] == first_seen[e["client"]["client_id"]]
    types = Counter(e["event_type"] for e in unique_events)
    assert types["_userauth.sign_in"] > types["_userauth.auth_fail"] > 0


def test_weekly_seasonality(unique_events: list[dict]) -> None:
    per_weekday = Counter(
        datetime.fromtimestamp(e["event_timestamp"] / 1000, UTC).weekday()
        for e in unique_events
        if e["event_type"] == "_session.start"
    )
    assert len(per_weekday) == 7
    assert max(per_weekday.values()) > 1.1 * min(per_weekday.values())


def test_activity_is_skewed_across_clients(unique_events: list[dict]) -> None:
    per_client = sorted(Counter(e["client"]["client_id"] for e in unique_events).values(), reverse=True)
    top_tenth = per_client[: max(1, len(per_client) // 10)]
    assert sum(top_tenth) > 0.3 * sum(per_client)


def test_funnel_counts_strictly_decrease(unique_events: list[dict]) -> None:
    events = Counter(e["event_type"] for e in unique_events)
    clients = {
        step: {e["client"]["client_id"] for e in unique_events if e["event_type"] == step} for step in FUNNEL
    }
    counts = [events[step] for step in FUNNEL]
    reach = [len(clients[step]) for step in FUNNEL]
    assert counts == sorted(counts, reverse=True) and len(set(counts)) == 4 and counts[-1] > 0
    assert reach == sorted(reach, reverse=True) and len(set(reach)) == 4
    for earlier, later in itertools.pairwise(FUNNEL):
        assert clients[later] <= clients[earlier]
    for e in unique_events:
        if e["event_type"] in FUNNEL[:3]:
            assert set(e["attributes"]) == {"product_id", "category"}


def test_revenue_events_carry_price_and_quantity(unique_events: list[dict]) -> None:
    purchases = [e for e in unique_events if e["event_type"] == "_monetization.purchase"]
    assert purchases
    for e in purchases:
        assert e["attributes"]["_currency"] == "USD"
        assert {"_product_id", "_store", "_transaction_id"} <= set(e["attributes"])
        assert e["metrics"]["_item_price"] > 0
        assert e["metrics"]["_quantity"] in (1.0, 2.0, 3.0)
    assert len({e["attributes"]["_transaction_id"] for e in purchases}) == len(purchases)


def test_other_custom_events_are_present(unique_events: list[dict]) -> None:
    searches = [e for e in unique_events if e["event_type"] == "search"]
    levels = [e for e in unique_events if e["event_type"] == "level.complete"]
    assert searches and levels
    assert all(e["metrics"]["query_length"] >= 1 for e in searches)


# --- hand-written samples ----------------------------------------------------------------------------------


def test_pinpoint_export_sample_has_endpoint_response_shape() -> None:
    with gzip.open(SAMPLE_DIR / "pinpoint_export.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) == 20
    required = {"Id", "ApplicationId", "ChannelType", "Address", "EndpointStatus", "OptOut", "EffectiveDate"}
    required |= {"CreationDate", "CohortId", "RequestId", "Demographic", "Location", "Attributes", "Metrics"}
    for row in rows:
        assert required <= set(row)
        assert row["EndpointStatus"] in ("ACTIVE", "INACTIVE")
        assert 0 <= int(row["CohortId"]) <= 99
        if row["ChannelType"] in ("SMS", "VOICE"):
            number = phonenumbers.parse(row["Address"], row["Location"]["Country"])
            assert phonenumbers.is_valid_number(number)
    assert len({r["Id"] for r in rows}) == 20


def test_custom_events_sample_is_plain_csv_with_iso_timestamps() -> None:
    frame = pl.read_csv(SAMPLE_DIR / "custom_events.csv", infer_schema=False)
    assert frame.columns[:4] == ["event_type", "event_timestamp", "client_id", "session_id"]
    assert all(c.startswith(("attributes.", "metrics.")) for c in frame.columns[4:])
    assert 40 <= frame.height <= 60
    for ts in frame["event_timestamp"]:
        datetime.fromisoformat(ts.replace("Z", "+00:00"))
    assert frame["attributes.review_title"].drop_nulls().str.contains(",").any()


def test_events_are_written_as_firehose_did_one_gzip_file_per_hour_of_arrival(demo: DemoFiles) -> None:
    hours = set()
    for path in demo.event_files:
        year, month, day, hour = path.parts[-5:-1]
        assert path.name.startswith(f"workbench-demo-stream-1-{year}-{month}-{day}-{hour}-00-00-")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            arrivals = {json.loads(line)["arrival_timestamp"] // 3_600_000 for line in f}
        assert len(arrivals) == 1  # every record of the file arrived in its hour
        (arrival_hour,) = arrivals
        assert datetime.fromtimestamp(arrival_hour * 3600, UTC).strftime("%Y/%m/%d/%H") == "/".join(
            (year, month, day, hour)
        )
        hours.add(arrival_hour)
    assert len(hours) == len(demo.event_files) > 24  # one file per hour, over many hours
    assert demo.counts["event_files"] == len(demo.event_files)
