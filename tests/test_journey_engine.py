"""The journey engine end to end: a real project, the outbox adapter, the ledger, the event log.

Participants: users u0..u4 with two e-mail endpoints each (all of a user's endpoints move together), u0 and u1
also with an SMS endpoint, and two endpoints without a user (x0, x1: each its own participant): 7 participants.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import helpers
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from workbench import Project
from workbench.delivery import Ledger
from workbench.journeys.engine import journey_metrics, ledger_run, participants, tick_journey
from workbench.journeys.spec import Journey
from workbench.messages.templates import save_template
from workbench.segments import Segment

HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Attributes.plan", "Demographic.Timezone"]
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def _rows() -> list[list[object]]:
    rows: list[list[object]] = []
    for u in range(5):
        for k in range(2):
            rows.append(
                [f"e{u}{k}", "EMAIL", f"p{u}.{k}@example.com", f"u{u}", ("free", "pro")[u % 2], "UTC"]
            )
    rows.append(["s0", "SMS", "+12065550100", "u0", "free", "UTC"])
    rows.append(["s1", "SMS", "+12065550101", "u1", "pro", "UTC"])
    rows.append(["x0", "EMAIL", "x0@example.com", "", "free", "Asia/Tokyo"])
    rows.append(["x1", "EMAIL", "x1@example.com", "", "pro", "America/New_York"])
    return rows


def make_shop(path: Path) -> Project:
    """The test project: endpoints, segments "everyone" and "pro", templates, the outbox for e-mail and SMS."""
    project = Project.create(path)
    project.endpoints.import_files(helpers.write_csv(path.parent / "ep.csv", HEADER, _rows()), progress=False)
    plan = {"AttributeType": "INCLUSIVE", "Values": ["free", "pro"]}
    Segment.from_json(project, {"Dimensions": {"Attributes": {"plan": plan}}}).save("everyone")
    pro = {"AttributeType": "INCLUSIVE", "Values": ["pro"]}
    Segment.from_json(project, {"Dimensions": {"Attributes": {"plan": pro}}}).save("pro")
    save_template(
        project, "hello", "email", {"Subject": "Hi {{Id}}", "TextPart": "Plan: {{Attributes.plan}}"}
    )
    save_template(project, "nudge", "sms", {"Body": "Come back {{Id}}"})
    helpers.configure(
        path,
        """
[channels.email]
adapter = "outbox"
from = "Shop <shop@example.com>"

[channels.sms]
adapter = "outbox"
""",
    )
    return Project.open(path)


@pytest.fixture
def shop(tmp_path):
    return make_shop(tmp_path / "shop")


def journey(activities: dict, *, start: str, journey_id: str = "j1", **top) -> Journey:
    """An ACTIVE journey from Pinpoint JSON (segment entry on "everyone" unless StartCondition is given)."""
    request = {
        "Name": "test journey",
        "StartCondition": {"SegmentStartCondition": {"SegmentId": "everyone"}},
        "StartActivity": start,
        "Activities": activities,
        **top,
    }
    return dataclasses.replace(Journey.from_json(request), journey_id=journey_id, state="ACTIVE")


def emails(project: Project) -> list[Path]:
    return sorted(project.outbox_dir.rglob("*.eml"))


WELCOME = {
    "mail": {"EMAIL": {"TemplateName": "hello", "NextActivity": "pause"}},
    "pause": {"Wait": {"WaitTime": {"WaitFor": "P1D"}, "NextActivity": "sms"}},
    "sms": {"SMS": {"TemplateName": "nudge"}},
}


def test_a_welcome_journey_sends_each_participant_its_messages_once(shop):
    j = journey(WELCOME, start="mail")
    first = tick_journey(shop, j, now=T0)
    assert first.entered == 7 and first.sent == 12  # 5 users x 2 e-mail endpoints + x0 + x1
    sent = emails(shop)
    assert len(sent) == 12
    mime = b"".join(p.read_bytes() for p in sent)
    assert b"Plan: pro" in mime and b"Hi e00" in mime
    people = participants(shop, j)
    assert people.height == 7 and set(people["activity"]) == {"pause"}
    assert set(people.filter(pl.col("user_id").is_not_null())["participant"]) == {f"u{u}" for u in range(5)}
    # the Wait holds them until a day has passed
    assert tick_journey(shop, j, now=T0 + timedelta(hours=23)).advanced == 0
    later = tick_journey(shop, j, now=T0 + timedelta(days=1))
    assert later.counts["sms"]["MESSAGES"] == 2 and later.counts["sms"]["NO_ENDPOINT"] == 5
    assert later.left == 7
    sms = list(shop.outbox_dir.rglob("*.jsonl"))
    assert sms and sum(len(p.read_text().splitlines()) for p in sms) == 2
    metrics = journey_metrics(shop, j)
    assert (
        metrics["ENDPOINT_ENTERED"] == 7 and metrics["ENDPOINT_LEFT"] == 7 and metrics["ENDPOINT_ACTIVE"] == 0
    )
    assert metrics["activities"]["mail"]["ENDPOINT_ENTERED"] == 7
    assert metrics["activities"]["mail"]["delivery"] == {"accepted": 12}
    assert metrics["activities"]["pause"]["ActivityType"] == "WAIT"
    # the messages carry the journey's attributes, which the delivery events copy
    sends = shop.query(
        "SELECT attributes['journey_activity_id'] AS a, attributes['journey_run_id'] AS r FROM events "
        "WHERE event_type = '_email.send'"
    )
    assert sends.height == 12 and set(sends["a"]) == {"mail"} and set(sends["r"]) == {"1"}


def test_two_ticks_at_the_same_now_do_nothing_twice(shop):
    j = journey(WELCOME, start="mail")
    tick_journey(shop, j, now=T0)
    again = tick_journey(shop, j, now=T0)
    assert again.entered == 0 and again.sent == 0 and again.advanced == 0
    assert len(emails(shop)) == 12
    assert journey_metrics(shop, j)["ENDPOINT_ENTERED"] == 7


def test_draft_and_paused_journeys_do_not_move_and_cancelled_ones_remove_participants(shop):
    j = journey(WELCOME, start="mail")
    for state in ("DRAFT", "PAUSED"):
        result = tick_journey(shop, dataclasses.replace(j, state=state), now=T0)
        assert result.skipped and result.entered == 0
    assert not emails(shop)
    tick_journey(shop, j, now=T0)
    cancelled = tick_journey(shop, dataclasses.replace(j, state="CANCELLED"), now=T0 + timedelta(hours=1))
    assert cancelled.journey["CANCELLED"] == 7
    metrics = journey_metrics(shop, j)
    assert metrics["CANCELLED"] == 7 and metrics["ENDPOINT_ACTIVE"] == 0
    assert set(participants(shop, j)["status"]) == {"CANCELLED"}


def test_after_the_end_time_participants_leave_and_a_saved_journey_completes(shop):
    from workbench.journeys.spec import load_journey, save_journey

    request = json.loads(journey(WELCOME, start="mail").to_json())
    request["Schedule"] = {"EndTime": (T0 + timedelta(hours=12)).isoformat()}
    saved = save_journey(shop, "welcome", request)
    active = dataclasses.replace(saved, state="ACTIVE")
    tick_journey(shop, active, now=T0)
    done = tick_journey(shop, active, now=T0 + timedelta(days=1))
    assert done.state == "COMPLETED" and done.left == 7
    assert load_journey(shop, "welcome").state == "COMPLETED"
    assert journey_metrics(shop, active)["ENDPOINT_ACTIVE"] == 0


def test_random_split_and_holdout_are_stable_per_participant(tmp_path):
    activities = {
        "split": {
            "RandomSplit": {
                "Branches": [
                    {"Percentage": 50, "NextActivity": "left"},
                    {"Percentage": 50, "NextActivity": "right"},
                ]
            }
        },
        "left": {"Holdout": {"Percentage": 40, "NextActivity": "waitA"}},
        "right": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
        "waitA": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
    }
    places = []
    for name in ("a", "b"):
        project = make_shop(tmp_path / name)
        j = journey(activities, start="split")
        result = tick_journey(project, j, now=T0)
        assert result.counts["split"]["Branch_1"] + result.counts["split"]["Branch_2"] == 7
        people = participants(project, j)
        places.append(dict(zip(people["participant"], people["activity"].fill_null("<left>"), strict=True)))
    assert places[0] == places[1]  # a re-run sends everyone down the same branch


def test_conditional_split_on_the_opens_of_an_earlier_message(shop):
    from workbench.ingest.events import record_events

    activities = {
        "mail": {"EMAIL": {"TemplateName": "hello", "NextActivity": "opened"}},
        "opened": {
            "ConditionalSplit": {
                "Condition": {
                    "Conditions": [
                        {
                            "EventCondition": {
                                "Dimensions": {
                                    "EventType": {"DimensionType": "INCLUSIVE", "Values": ["_email.open"]}
                                },
                                "MessageActivity": "mail",
                            }
                        }
                    ]
                },
                "EvaluationWaitTime": {"WaitFor": "PT2H"},
                "TrueActivity": "thanks",
                "FalseActivity": "sms",
            }
        },
        "thanks": {"Wait": {"WaitTime": {"WaitFor": "P30D"}}},
        "sms": {"Wait": {"WaitTime": {"WaitFor": "P30D"}}},
    }
    now = datetime.now(UTC).replace(microsecond=0)
    j = journey(activities, start="mail")
    tick_journey(shop, j, now=now)
    sends = shop.query(
        "SELECT client_id, attributes FROM events WHERE event_type = '_email.send' AND client_id IN ('e10', 'x0')"
    )
    opens = []
    for row in sends.iter_rows(named=True):
        attrs = dict(row["attributes"])
        opens.append(
            {
                "event_type": "_email.open",
                "event_timestamp": int(time.time() * 1000),
                "client": {"client_id": row["client_id"]},
                "attributes": {k: attrs[k] for k in ("journey_id", "journey_run_id", "journey_activity_id")},
            }
        )
    # an open of another journey's message does not count
    opens.append({**opens[0], "attributes": {**opens[0]["attributes"], "journey_id": "other"}})
    opens[-1]["client"] = {"client_id": "e20"}
    record_events(shop, opens)
    assert tick_journey(shop, j, now=now + timedelta(hours=1)).advanced == 0  # still waiting to evaluate
    result = tick_journey(shop, j, now=now + timedelta(hours=2, minutes=1))
    assert result.counts["opened"] == {"True": 2, "False": 5}
    people = participants(shop, j)
    assert set(people.filter(pl.col("activity") == "thanks")["participant"]) == {"u1", "x0"}


def test_multicondition_takes_the_first_matching_branch_in_order(shop):
    activities = {
        "plan": {
            "MultiCondition": {
                "Branches": [
                    {"Condition": {"SegmentCondition": {"SegmentId": "pro"}}, "NextActivity": "pro"},
                    {"Condition": {"SegmentCondition": {"SegmentId": "everyone"}}, "NextActivity": "all"},
                ],
                "DefaultActivity": "other",
            }
        },
        "pro": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
        "all": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
        "other": {"ContactCenter": {"NextActivity": "all"}},
    }
    j = journey(activities, start="plan")
    result = tick_journey(shop, j, now=T0)
    # pro: u1, u3, x1 -> Branch_1; everybody else is in "everyone" -> Branch_2; nobody takes Else
    assert result.counts["plan"] == {"Branch_1": 3, "Branch_2": 4, "ENDPOINT_ENTERED": 7}
    where = dict(participants(shop, j).select("participant", "activity").iter_rows())
    assert where["u1"] == where["x1"] == "pro" and where["u0"] == where["x0"] == "all"


def test_contact_center_is_recorded_as_unsupported_and_participants_continue(shop):
    activities = {
        "call": {"ContactCenter": {"NextActivity": "rest"}},
        "rest": {"Wait": {"WaitTime": {"WaitFor": "P1D"}}},
    }
    j = journey(activities, start="call")
    result = tick_journey(shop, j, now=T0)
    assert result.counts["call"]["UNSUPPORTED"] == 7 and result.counts["rest"]["ENDPOINT_ENTERED"] == 7


def test_event_triggered_entry_enters_each_event_once_within_the_reentry_cap(shop):
    from workbench.ingest.events import record_events

    now = datetime.now(UTC).replace(microsecond=0)
    start = {
        "EventStartCondition": {
            "EventFilter": {
                "FilterType": "ENDPOINT",
                "Dimensions": {"EventType": {"DimensionType": "INCLUSIVE", "Values": ["purchase"]}},
            }
        }
    }
    activities = {"mail": {"EMAIL": {"TemplateName": "hello"}}}
    j = journey(activities, start="mail", StartCondition=start, Limits={"EndpointReentryCap": 2})

    def buy(client, at):
        record_events(
            shop,
            [
                {
                    "event_type": "purchase",
                    "event_timestamp": int(at.timestamp() * 1000),
                    "client": {"client_id": client},
                }
            ],
        )

    buy("x0", now - timedelta(minutes=5))
    buy("view-only", now - timedelta(minutes=5))  # an endpoint the project does not know: its own participant
    first = tick_journey(shop, j, now=now)
    assert first.entered == 2
    assert tick_journey(shop, j, now=now).entered == 0  # the same events never enter twice
    buy("x0", now + timedelta(minutes=1))
    assert tick_journey(shop, j, now=now + timedelta(minutes=2)).entered == 1  # second entry
    buy("x0", now + timedelta(minutes=3))
    third = tick_journey(shop, j, now=now + timedelta(minutes=4))
    assert third.entered == 0 and third.journey["REENTRY_CAP_EXCEEDED"] == 1
    metrics = journey_metrics(shop, j)
    assert metrics["ENDPOINT_ENTERED"] == 3 and metrics["REENTRY_CAP_EXCEEDED"] == 1
    x0 = [p for p in emails(shop) if b"x0@example.com" in p.read_bytes()]
    assert len(x0) == 2  # one message per entry (send keys carry the entry number)


def test_quiet_time_holds_participants_who_wait_and_skips_the_others(shop):
    # 12:00 UTC: quiet 11:00-13:00 for the UTC endpoints; x0 (Tokyo, 21:00) and x1 (New York, 07:00) are not
    activities = {"mail": {"EMAIL": {"TemplateName": "hello"}}}
    quiet = {"Start": "11:00", "End": "13:00"}
    held = journey(activities, start="mail", QuietTime=quiet, WaitForQuietTime=True)
    result = tick_journey(shop, held, now=T0)
    assert result.sent == 2 and result.left == 2
    assert tick_journey(shop, held, now=T0 + timedelta(minutes=30)).sent == 0
    later = tick_journey(shop, held, now=T0 + timedelta(hours=1, minutes=1))
    assert later.sent == 10 and later.left == 5
    skipped = journey(activities, start="mail", journey_id="j2", QuietTime=quiet)
    result = tick_journey(shop, skipped, now=T0)
    assert result.counts["mail"]["QUIET_TIME"] == 5 and result.sent == 2 and result.left == 7


def test_the_daily_cap_stops_a_second_message_within_24_hours(shop):
    activities = {
        "one": {"EMAIL": {"TemplateName": "hello", "NextActivity": "two"}},
        "two": {"EMAIL": {"TemplateName": "hello"}},
    }
    j = journey(activities, start="one", Limits={"DailyCap": 1})
    result = tick_journey(shop, j, now=T0)
    assert result.counts["one"]["MESSAGES"] == 12 and result.counts["two"]["DAILY_CAP"] == 7
    assert len(emails(shop)) == 12


# --- kill -9 at random points --------------------------------------------------------------------------------

KILL_ENDPOINTS = 300
KILL_ACTIVITIES = {
    "mail": {"EMAIL": {"TemplateName": "hello", "NextActivity": "pause"}},
    "pause": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}, "NextActivity": "again"}},
    "again": {"EMAIL": {"TemplateName": "hello"}},
}


def _worker(project_dir: str, hours: str, crash: str = "none") -> None:
    """A tick process: one tick of the kill test's journey at T0 + hours. ``crash`` names a point where it kills
    itself (SIGKILL) right after that step: after_log (the tick's counts written), after_plan (the messages in
    the ledger, the participants file not yet), after_save (the participants file, before sending)."""
    from workbench.delivery.ledger import Ledger as LedgerClass
    from workbench.journeys import _state
    from workbench.journeys.engine import tick_journey as tick

    def dying(method):
        def wrapper(*args, **kwargs):
            out = method(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return out

        return wrapper

    if crash == "after_log":
        _state.FileStore.write_log = dying(_state.FileStore.write_log)
    elif crash == "after_plan":
        LedgerClass.plan = dying(LedgerClass.plan)
    elif crash == "after_save":
        _state.FileStore.save = dying(_state.FileStore.save)
    project = Project.open(project_dir)
    j = dataclasses.replace(
        Journey.from_json(
            {
                "Name": "kill",
                "StartCondition": {"SegmentStartCondition": {"SegmentId": "everyone"}},
                "StartActivity": "mail",
                "Activities": KILL_ACTIVITIES,
            }
        ),
        journey_id="jk",
        state="ACTIVE",
    )
    print("ticking", flush=True)
    result = tick(project, j, now=T0 + timedelta(hours=float(hours)))
    print(json.dumps({"entered": result.entered, "sent": result.sent}), flush=True)


@pytest.mark.slow
def test_kill_9_during_ticks_loses_no_participant_and_sends_nothing_twice(tmp_path):
    path = tmp_path / "shop"
    project = Project.create(path)
    rows = [
        [f"k{i}", "EMAIL", f"k{i}@example.com", f"ku{i // 2}" if i % 3 else "", "free", "UTC"]
        for i in range(KILL_ENDPOINTS)
    ]
    project.endpoints.import_files(helpers.write_csv(tmp_path / "ep.csv", HEADER, rows), progress=False)
    plan = {"AttributeType": "INCLUSIVE", "Values": ["free"]}
    Segment.from_json(project, {"Dimensions": {"Attributes": {"plan": plan}}}).save("everyone")
    save_template(project, "hello", "email", {"Subject": "Hi {{Id}}", "TextPart": "Hello"})
    helpers.configure(
        path,
        '[channels.email]\nadapter = "outbox"\nfrom = "Shop <shop@example.com>"\n[delivery]\nbatch_size = 20\n',
    )
    rng = random.Random(int(os.environ.get("KILL_SEED", "14")))
    kills = forced = 0
    # each tick killed at a chosen point (the worst ones: between the commits) or at a random moment
    rounds = [("0", "after_plan"), ("0", "after_log"), ("0", "random"), ("0", "after_save"), ("0", "random")]
    rounds += [("2", "after_plan"), ("2", "random"), ("2", "after_save"), ("2", "random")]
    for hours, crash in rounds:
        proc = subprocess.Popen(
            [sys.executable, __file__, str(path), hours, crash if crash != "random" else "none"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parent,
        )
        assert proc.stdout.readline().strip() == "ticking"
        if crash == "random":
            time.sleep(rng.uniform(0.0, 2.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        if proc.wait() == -signal.SIGKILL:
            kills += 1
            forced += crash != "random"
    for hours in ("2", "3"):  # then ticks that are left to finish
        done = subprocess.run(
            [sys.executable, __file__, str(path), hours], capture_output=True, text=True, timeout=300,
            cwd=Path(__file__).parent,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
    # a tick told to crash after a step dies only if it had that step to do (a random kill before it finished
    # may have done the work), and a random kill lands only while the tick still runs: the first two ticks
    # (the first entry, after the plan and after the count log) always die
    assert forced >= 2 and kills >= 3, (forced, kills)
    project = Project.open(path)
    people = participants(project, journey(KILL_ACTIVITIES, start="mail", journey_id="jk"))
    participants_expected = len({(r[3] or r[0]) for r in rows})
    assert people.height == participants_expected  # no participant lost (nor doubled)
    assert set(people["status"]) == {"LEFT"}
    with Ledger.for_store(project) as ledger:
        ledger_rows = ledger.rows(ledger_run("jk"))
    states = {r.state for r in ledger_rows}
    assert states <= {"accepted", "ambiguous"}, states
    assert len(ledger_rows) == 2 * KILL_ENDPOINTS  # two e-mail steps, every endpoint, once each
    files = emails(project)
    ids = [p.read_bytes().split(b"Message-ID:")[1].split(b"\n")[0].strip() for p in files]
    assert len(ids) == len(set(ids)), "a message was written twice"
    accepted = sum(r.state == "accepted" for r in ledger_rows)
    assert accepted <= len(files) <= len(ledger_rows)
    metrics = journey_metrics(project, journey(KILL_ACTIVITIES, start="mail", journey_id="jk"))
    assert metrics["ENDPOINT_ENTERED"] == participants_expected == metrics["ENDPOINT_LEFT"]
    assert metrics["activities"]["again"]["ENDPOINT_ENTERED"] == participants_expected


# --- any journey: participants are conserved ---------------------------------------------------------------


def _random_journey(draw) -> dict:
    n = draw(hs.integers(2, 7))
    ids = [f"a{i}" for i in range(n)]
    acts: dict[str, dict] = {}
    for i, a in enumerate(ids):
        later = ids[i + 1 :]

        def nxt(later=later):
            return draw(hs.sampled_from(later)) if later else None

        kind = draw(hs.sampled_from(["Wait", "RandomSplit", "Holdout", "ConditionalSplit", "MultiCondition"]))
        if kind == "Wait":
            body = {"WaitTime": {"WaitFor": draw(hs.sampled_from(["PT1H", "PT30M", "P1D"]))}}
            if later:
                body["NextActivity"] = nxt()
        elif kind == "RandomSplit":
            k = draw(hs.integers(1, 3))
            cuts = sorted(draw(hs.lists(hs.integers(0, 100), min_size=k - 1, max_size=k - 1)))
            shares = [b - a_ for a_, b in zip([0, *cuts], [*cuts, 100], strict=True)]
            body = {
                "Branches": [{"Percentage": s, **({"NextActivity": nxt()} if later else {})} for s in shares]
            }
        elif kind == "Holdout":
            body = {"Percentage": draw(hs.integers(0, 100)), **({"NextActivity": nxt()} if later else {})}
        elif kind == "ConditionalSplit":
            body = {
                "Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "pro"}}]},
                **({"TrueActivity": nxt(), "FalseActivity": nxt()} if later else {}),
            }
        else:
            body = {
                "Branches": [
                    {
                        "Condition": {"SegmentCondition": {"SegmentId": "pro"}},
                        **({"NextActivity": nxt()} if later else {}),
                    }
                ],
                **({"DefaultActivity": nxt()} if later else {}),
            }
        acts[a] = {kind: body}
    return acts


@pytest.fixture(scope="module")
def fuzz_shop(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("fuzz") / "shop")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hs.data())
def test_any_journey_conserves_its_participants(fuzz_shop, data):
    """Whatever the shape, every participant who entered is in exactly one place: active or left."""
    from workbench.journeys.simulate import simulate

    acts = data.draw(hs.composite(_random_journey)())
    j = journey(acts, start="a0")
    sim = simulate(fuzz_shop, j, start=T0, end=T0 + timedelta(days=3), step=timedelta(hours=6))
    m = sim.metrics
    assert m["ENDPOINT_ENTERED"] == 7
    assert m["ENDPOINT_ACTIVE"] + m["ENDPOINT_LEFT"] == 7
    arrived = sum(a["ENDPOINT_ENTERED"] for a in m["activities"].values())
    assert arrived >= 7


if __name__ == "__main__":
    _worker(*sys.argv[1:])
