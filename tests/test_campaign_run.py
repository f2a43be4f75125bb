"""Campaign runs end to end on real parts: the outbox and a real SMTP server (aiosmtpd in another process),
`workbench` subprocesses racing, killed with SIGKILL and paused from another process; time moved by `--now`."""

from __future__ import annotations

import collections
import email
import email.policy
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import helpers
import pytest

HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Attributes.plan", "Demographic.Timezone"]
ZONES = ["America/New_York", "Europe/London", "Asia/Tokyo", "Not/AZone", ""]
WORKBENCH = [sys.executable, "-m", "workbench.cli"]


def _endpoints(n: int, zones: list[str] | None = None) -> list[list[object]]:
    zones = zones or ["Europe/London"]
    return [
        [
            f"e{i:04d}",
            "EMAIL",
            f"person{i}@example.com",
            f"u{i:04d}",
            ("free", "pro")[i % 2],
            zones[i % len(zones)],
        ]
        for i in range(n)
    ]


def _project(tmp_path: Path, n: int = 40, zones: list[str] | None = None):
    from workbench import Project

    project = Project.create(tmp_path / "project")
    csv = helpers.write_csv(tmp_path / "endpoints.csv", HEADER, _endpoints(n, zones))
    project.endpoints.import_files(csv, progress=False)
    project.segments.create(
        "emails",
        {
            "Name": "emails",
            "Dimensions": {"Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}},
        },
    )
    for name, greeting in (("offer_a", "Hello"), ("offer_b", "Hi there")):
        project.templates.create(
            name,
            "email",
            {
                "Subject": greeting + " {{Attributes.plan}} member",
                "HtmlPart": "<p>" + greeting + ", your plan is {{Attributes.plan}}.</p>",
            },
        )
    return project


def _campaign(schedule: dict | None = None, **extra) -> dict:
    return {
        "Name": "spring",
        "SegmentId": "emails",
        "TreatmentName": "A",
        "TemplateConfiguration": {"EmailTemplate": {"Name": "offer_a"}},
        "AdditionalTreatments": [
            {
                "SizePercent": 45,
                "TreatmentName": "B",
                "TemplateConfiguration": {"EmailTemplate": {"Name": "offer_b"}},
            }
        ],
        "HoldoutPercent": 10,
        "Schedule": schedule or {"StartTime": "IMMEDIATE", "Frequency": "ONCE"},
        **extra,
    }


def _eml(project) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in sorted(project.outbox_dir.glob("*/*.eml"))
    ]


def _run(args: list[str], project, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WORKBENCH, *args, "--project", str(project.path)],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def test_an_immediate_ab_campaign_sends_each_treatment_once_and_keeps_the_holdout(tmp_path):
    project = _project(tmp_path, n=200)
    project.campaigns.create("spring", _campaign())
    dry = project.campaigns.dry_run("spring").to_dict()

    status = project.campaigns.send("spring").to_dict()
    sent = _eml(project)
    assert len(sent) == sum(t["messages"] for t in dry["treatments"]) == 200 - dry["holdout"]
    assert status["state"] == "COMPLETED" and status["messages"] == {"accepted": len(sent)}
    subjects = collections.Counter(str(m["Subject"]).split(" ")[0] for m in sent)
    by_name = {t["name"]: t["messages"] for t in dry["treatments"]}
    assert subjects == {"Hello": by_name["A"], "Hi": by_name["B"]}
    # sending again (or ticking) sends nothing more: the occurrence is planned once, the keys are the same
    again = project.campaigns.send("spring").to_dict()
    project.tick()
    assert len(_eml(project)) == len(sent) and again["messages"] == status["messages"]
    # the events say which treatment each message was
    events = project.query(
        "SELECT attributes['treatment_id'] AS t, count(*) AS n FROM events WHERE event_type = '_campaign.send' "
        "GROUP BY 1 ORDER BY 1"
    )
    assert dict(events.iter_rows()) == {"0": by_name["A"], "1": by_name["B"]}
    got = {f"e{int(m['To'].addresses[0].username.removeprefix('person')):04d}" for m in sent}
    held = set(project.query("SELECT Id FROM endpoints").get_column("Id")) - got
    assert len(held) == dry["holdout"]


def test_a_daily_campaign_sends_each_occurrence_once_as_time_moves(tmp_path):
    project = _project(tmp_path, n=30)
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    schedule = {
        "StartTime": start.isoformat(),
        "EndTime": (start + timedelta(days=2, hours=1)).isoformat(),
        "Frequency": "DAILY",
    }
    project.campaigns.create("daily", _campaign(schedule, HoldoutPercent=0))
    assert project.tick(now=start - timedelta(hours=1))["campaigns"] == []
    assert project.campaigns.status("daily", now=start - timedelta(hours=1)).state == "SCHEDULED"
    first = project.tick(now=start + timedelta(minutes=1))
    assert len(first["campaigns"]) == 1 and len(_eml(project)) == 30
    assert project.tick(now=start + timedelta(minutes=1))["campaigns"] == []  # same now: nothing twice
    middle = project.campaigns.status("daily", now=start + timedelta(hours=2)).to_dict()
    assert middle["state"] == "PENDING_NEXT_RUN" and middle["next_run"] == "2026-12-08T09:00:00Z"
    project.tick(now=start + timedelta(days=1, minutes=5))
    assert len(_eml(project)) == 60
    # a tick that comes three days late sends the last occurrence only, never one after EndTime
    project.tick(now=start + timedelta(days=5))
    assert len(_eml(project)) == 90
    done = project.campaigns.status("daily", now=start + timedelta(days=5)).to_dict()
    assert done["state"] == "COMPLETED" and done["next_run"] is None
    assert len(done["occurrences"]) == 3


def test_a_local_time_campaign_sends_each_zone_its_wave_at_its_own_nine_oclock(tmp_path):
    project = _project(tmp_path, n=50, zones=ZONES)
    schedule = {
        "StartTime": "2026-12-10T09:00:00",
        "Frequency": "ONCE",
        "IsLocalTime": True,
        "Timezone": "UTC",
    }
    project.campaigns.create("local", _campaign(schedule, HoldoutPercent=0, AdditionalTreatments=[]))
    tokyo = datetime(2026, 12, 10, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo (UTC+9)
    project.tick(now=tokyo + timedelta(minutes=1))
    sent = _eml(project)
    assert len(sent) == 10  # only Tokyo's wave has come
    status = project.campaigns.status("local", now=tokyo + timedelta(minutes=1)).to_dict()
    zones = {r["zone"]: r["state"] for r in status["runs"]}
    assert zones["Asia/Tokyo"] == "COMPLETED" and zones["America/New_York"] == "PENDING"
    assert status["state"] == "EXECUTING"
    project.tick(
        now=datetime(2026, 12, 10, 9, 1, tzinfo=UTC)
    )  # London, and the endpoints without a valid zone
    assert len(_eml(project)) == 40
    project.tick(now=datetime(2026, 12, 10, 14, 1, tzinfo=UTC))  # New York (EST, UTC-5)
    assert len(_eml(project)) == 50
    assert project.campaigns.status("local", now=datetime(2026, 12, 11, tzinfo=UTC)).state == "COMPLETED"


def test_quiet_time_holds_a_message_until_it_ends_in_the_endpoints_zone(tmp_path):
    project = _project(tmp_path, n=20, zones=["Asia/Tokyo", "Europe/London"])
    schedule = {
        "StartTime": "2026-12-10T13:30:00Z",  # 22:30 in Tokyo (quiet), 13:30 in London (not)
        "Frequency": "ONCE",
        "QuietTime": {"Start": "22:00", "End": "07:00"},
    }
    project.campaigns.create("quiet", _campaign(schedule, HoldoutPercent=0, AdditionalTreatments=[]))
    project.tick(now=datetime(2026, 12, 10, 13, 31, tzinfo=UTC))
    assert len(_eml(project)) == 10
    project.tick(now=datetime(2026, 12, 10, 21, 59, tzinfo=UTC))  # 06:59 in Tokyo: still quiet
    assert len(_eml(project)) == 10
    project.tick(now=datetime(2026, 12, 10, 22, 0, tzinfo=UTC))  # 07:00 in Tokyo
    assert len(_eml(project)) == 20


def test_an_event_triggered_campaign_sends_once_per_matching_event(tmp_path):
    project = _project(tmp_path, n=10)
    start = datetime(
        2026, 11, 10, 8, 0, tzinfo=UTC
    )  # in the past: the event log refuses events from the future
    schedule = {
        "StartTime": start.isoformat(),
        "EndTime": (start + timedelta(days=1)).isoformat(),
        "Frequency": "EVENT",
        "EventFilter": {
            "FilterType": "ENDPOINT",
            "Dimensions": {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["cart.abandoned"]}},
        },
    }
    project.campaigns.create("cart", _campaign(schedule, HoldoutPercent=0, AdditionalTreatments=[]))

    def event(i: int, kind: str, at: datetime) -> dict:
        return {
            "event_type": kind,
            "event_timestamp": at.isoformat(),
            "arrival_timestamp": at.isoformat(),
            "client": {"client_id": f"e{i:04d}"},
            "application": {"app_id": "shop"},
        }

    now = start + timedelta(hours=1)
    project.events.record(
        [
            event(1, "cart.abandoned", now - timedelta(minutes=1)),
            event(2, "app.open", now - timedelta(minutes=1)),
            event(3, "cart.abandoned", now - timedelta(minutes=30)),
        ]  # too old: Pinpoint drops it after 5 minutes
    )
    project.tick(now=now)
    assert [str(m["To"]) for m in _eml(project)] == ["person1@example.com"]
    project.tick(now=now + timedelta(seconds=30))
    assert len(_eml(project)) == 1  # the same event triggers once
    later = now + timedelta(minutes=10)
    project.events.record([event(4, "cart.abandoned", later - timedelta(seconds=20))])
    project.tick(now=later)
    assert sorted(str(m["To"]) for m in _eml(project)) == ["person1@example.com", "person4@example.com"]


def test_two_ticks_racing_in_two_processes_send_nothing_twice(tmp_path):
    project = _project(tmp_path, n=300)
    start = "2026-12-10T09:00:00Z"
    project.campaigns.create("race", _campaign({"StartTime": start, "Frequency": "ONCE"}, HoldoutPercent=0))
    now = "2026-12-10T09:00:30Z"
    procs = [
        subprocess.Popen(
            [*WORKBENCH, "tick", "--now", now, "--json", "--project", str(project.path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    ran = [json.loads(o[0]) for o in outs]
    assert sorted(len(r["campaigns"]) for r in ran) == [0, 1]  # one planned and sent; the other found it done
    sent = _eml(project)
    assert len(sent) == 300
    assert len({m["Message-ID"] for m in sent}) == 300


def _slow_smtp_project(tmp_path: Path, sink, n: int):
    project = _project(tmp_path, n=n)
    helpers.configure(
        project.path,
        f"""
        [channels.email]
        adapter = "smtp"
        host = "{sink.host}"
        port = {sink.port}
        connections = 2
        timeout = 10

        [delivery]
        batch_size = 10
        """,
    )
    return project


def _wait_for_accepted(project, minimum: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (project.path / "delivery.sqlite").exists():
            con = sqlite3.connect(project.path / "delivery.sqlite", timeout=30)
            try:
                n = con.execute("SELECT count(*) FROM messages WHERE state = 'accepted'").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            finally:
                con.close()
            if n >= minimum:
                return
        time.sleep(0.02)


@pytest.mark.slow
def test_a_campaign_send_killed_with_sigkill_resumes_without_a_duplicate_or_a_loss(tmp_path):
    from servers import read_message_ids, smtp_server_process

    from workbench.delivery import Ledger

    with smtp_server_process(tmp_path / "received.txt", {"*": "slow:0.01"}) as sink:
        project = _slow_smtp_project(tmp_path, sink, n=300)
        project.campaigns.create("kill", _campaign(HoldoutPercent=0))
        for _ in range(2):
            proc = subprocess.Popen([*WORKBENCH, "campaign", "send", "kill", "--project", str(project.path)])
            _wait_for_accepted(project, 40, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        done = _run(["campaign", "send", "kill", "--json"], project)
        assert done.returncode == 0, done.stderr[-2000:]
        time.sleep(0.5)
        received = collections.Counter(read_message_ids(sink.record))
    status = json.loads(done.stdout)
    assert status["state"] == "COMPLETED"
    assert set(status["messages"]) <= {"accepted", "ambiguous"}
    assert sum(status["messages"].values()) == 300
    with Ledger.for_store(project) as ledger:
        rows = [r for run in status["runs"] for r in ledger.rows(run["run"])]
    accepted = {r.message_id for r in rows if r.state == "accepted"}
    assert all(received[m] == 1 for m in accepted), "an accepted message was lost or sent twice"
    assert max(received.values()) == 1


@pytest.mark.slow
def test_pausing_a_campaign_from_another_process_stops_its_sender_and_resume_finishes(tmp_path):
    from servers import read_message_ids, smtp_server_process

    with smtp_server_process(tmp_path / "received.txt", {"*": "slow:0.05"}) as sink:
        project = _slow_smtp_project(tmp_path, sink, n=300)
        project.campaigns.create("pausing", _campaign(HoldoutPercent=0))
        proc = subprocess.Popen(
            [*WORKBENCH, "campaign", "send", "pausing", "--json", "--project", str(project.path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        _wait_for_accepted(project, 20, proc)
        paused = _run(["campaign", "pause", "pausing", "--json"], project)
        assert paused.returncode == 0, paused.stderr
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        stopped = json.loads(out)
        assert stopped["state"] == "PAUSED"
        owed = sum(r["owed"] for r in stopped["runs"])
        assert 0 < owed < 300
        assert _run(["tick"], project).returncode == 0  # a paused campaign is not ticked
        assert (
            json.loads(_run(["campaign", "status", "pausing", "--json"], project).stdout)["state"] == "PAUSED"
        )
        resumed = _run(["campaign", "resume", "pausing", "--json"], project)
        assert resumed.returncode == 0, resumed.stderr
        time.sleep(0.5)
        received = collections.Counter(read_message_ids(sink.record))
    final = json.loads(resumed.stdout)
    assert final["state"] == "COMPLETED" and final["messages"] == {"accepted": 300}
    assert len(received) == 300 and max(received.values()) == 1


def test_a_wave_past_its_maximum_duration_is_cancelled_not_sent_late(tmp_path):
    project = _project(tmp_path, n=10)
    start = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    spec = _campaign(
        {"StartTime": start.isoformat(), "Frequency": "ONCE"},
        HoldoutPercent=0,
        AdditionalTreatments=[],
        Limits={"MaximumDuration": 600},
    )
    project.campaigns.create("late", spec)
    # the run is planned at 09:00 but a pause keeps it from going; resumed an hour later it is too late
    from workbench.campaigns.run import _occurrences_until, open_state, plan_occurrence

    campaign = project.campaigns.load("late")
    with open_state(project) as ledger:
        (occurrence,) = _occurrences_until(campaign, start, None)
        plan_occurrence(project, campaign, occurrence, now=start, ledger=ledger)
    project.tick(now=start + timedelta(hours=1))
    status = project.campaigns.status("late", now=start + timedelta(hours=1)).to_dict()
    assert _eml(project) == [] and status["messages"] == {"failed": 10}


def test_campaign_commands_name_what_is_wrong(tmp_path):
    project = _project(tmp_path, n=5)
    missing = _run(["campaign", "send", "nope"], project)
    assert missing.returncode != 0 and "nope" in missing.stderr and "Traceback" not in missing.stderr
    project.campaigns.create("p", _campaign(HoldoutPercent=0))
    project.campaigns.pause("p")
    refused = _run(["campaign", "send", "p"], project)
    assert refused.returncode != 0 and "PAUSED" in refused.stderr and "resume" in refused.stderr
    assert _eml(project) == []


def test_a_local_time_start_written_with_an_offset_still_sends_each_zone_at_that_wall_time(tmp_path):
    project = _project(tmp_path, n=20, zones=["Asia/Tokyo", "America/New_York"])
    schedule = {"StartTime": "2026-12-10T09:00:00-08:00", "Frequency": "ONCE", "IsLocalTime": True}
    project.campaigns.create("offset", _campaign(schedule, HoldoutPercent=0, AdditionalTreatments=[]))
    project.tick(now=datetime(2026, 12, 10, 0, 1, tzinfo=UTC))  # 09:01 in Tokyo
    assert len(_eml(project)) == 10
    project.tick(now=datetime(2026, 12, 10, 13, 59, tzinfo=UTC))  # 08:59 in New York
    assert len(_eml(project)) == 10
    project.tick(now=datetime(2026, 12, 10, 14, 0, tzinfo=UTC))
    assert len(_eml(project)) == 20
