"""The ledger and the send loop, against a scripted adapter (a small real adapter class that answers what each
test scripts, standing in for a provider) and a clock the test drives."""

from __future__ import annotations

import pytest

from workbench.channels.base import ChannelAdapter, ChannelContext, Outcome, SendResult
from workbench.delivery.keys import send_key
from workbench.delivery.ledger import Ledger, LedgerError, PlannedMessage
from workbench.delivery.sender import Clock, DeliveryPolicy, Sender, TokenBucket
from workbench.delivery.suppression import SuppressionList
from workbench.errors import InputError


class FakeClock(Clock):
    """A clock that only moves when the loop sleeps."""

    def __init__(self, start: float = 1_000_000.0):
        self.t = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += max(0.0, seconds)


class ScriptedAdapter(ChannelAdapter):
    """Answers each address with the outcomes scripted for it, in turn (then ACCEPTED); records every send."""

    name = "scripted"
    channels = frozenset({"EMAIL", "SMS", "PUSH"})

    def __init__(self, script=None, clock=None):
        super().__init__({}, ChannelContext(outbox_dir=None))
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.clock = clock
        self.sent: list[tuple[float | None, str, str]] = []  # (time, send key, address)

    def send(self, messages):
        out = []
        for m in messages:
            self.sent.append((self.clock.now() if self.clock else None, m.send_key, m.address))
            todo = self.script.get(m.address)
            item = todo.pop(0) if todo else Outcome.ACCEPTED
            if isinstance(item, SendResult):
                out.append(
                    SendResult(
                        m.send_key,
                        item.outcome,
                        item.provider_message_id,
                        item.code,
                        item.detail,
                        item.retry_after,
                        item.address_problem,
                    )
                )
            else:
                out.append(
                    SendResult(m.send_key, item, provider_message_id=f"p-{m.send_key[:8]}", code="250")
                )
        return out


def planned(n, run="r1", channel="EMAIL", promotional=True, prefix="user"):
    return [
        PlannedMessage(
            send_key=send_key("campaign", "c1", run, f"ep{i}", channel),
            channel=channel,
            address=f"{prefix}{i}@example.com",
            parts={"Subject": f"hello {i}"},
            endpoint_id=f"ep{i}",
            promotional=promotional,
        )
        for i in range(n)
    ]


@pytest.fixture
def ledger(tmp_path):
    with Ledger(tmp_path / "delivery.sqlite") as led:
        yield led


def sender(ledger, adapter, clock, run="r1", **policy):
    return Sender(ledger, adapter, run, policy=DeliveryPolicy(**policy), clock=clock)


def test_send_keys_are_deterministic_and_distinct():
    a = send_key("campaign", "c1", "run1", "ep1", "EMAIL")
    assert a == send_key("campaign", "c1", "run1", "ep1", "email")
    assert a != send_key("campaign", "c1", "run2", "ep1", "EMAIL")
    assert a != send_key("journey", "c1", "run1", "ep1", "EMAIL")
    assert a != send_key("campaign", "c1", "run1", "ep1", "SMS")
    with pytest.raises(InputError, match="unknown source"):
        send_key("newsletter", "c1", "run1", "ep1", "EMAIL")


def test_wal_mode_and_synchronous(ledger):
    assert ledger.con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_replanning_never_duplicates_and_accepted_is_never_resent(ledger):
    clock = FakeClock()
    assert ledger.plan("r1", "campaign", "c1", planned(30)) == 30
    assert ledger.plan("r1", "campaign", "c1", planned(30)) == 0
    adapter = ScriptedAdapter()
    report = sender(ledger, adapter, clock, batch_size=7).send()
    assert report.counts.states == {"accepted": 30}
    assert report.stopped == "done"
    assert len(adapter.sent) == 30 == len({k for _, k, _ in adapter.sent})
    ledger.plan("r1", "campaign", "c1", planned(30))
    again = sender(ledger, adapter, clock).send()
    assert len(adapter.sent) == 30 and again.sent == 0


def test_4xx_is_retried_with_backoff_then_accepted(ledger):
    clock = FakeClock()
    soft = SendResult("", Outcome.RETRYABLE, code="451", detail="4.3.0 try later")
    ledger.plan("r1", "campaign", "c1", planned(3))
    adapter = ScriptedAdapter({"user1@example.com": [soft, soft]}, clock)
    report = sender(ledger, adapter, clock, retry_base_seconds=10).send()
    assert report.counts.states == {"accepted": 3}
    tries = [t for t, _, a in adapter.sent if a == "user1@example.com"]
    assert len(tries) == 3
    # backoff with jitter: between half and all of 10 s, then of 20 s
    assert 5 <= tries[1] - tries[0] <= 10 and 10 <= tries[2] - tries[1] <= 20
    row = next(r for r in ledger.rows("r1") if r.address == "user1@example.com")
    assert row.attempts == 3


def test_retry_after_is_honoured(ledger):
    clock = FakeClock()
    throttled = SendResult("", Outcome.RETRYABLE, code="429", retry_after=120)
    ledger.plan("r1", "campaign", "c1", planned(1))
    adapter = ScriptedAdapter({"user0@example.com": [throttled]}, clock)
    sender(ledger, adapter, clock, retry_base_seconds=1).send()
    assert adapter.sent[1][0] - adapter.sent[0][0] >= 120


def test_500_forever_ends_retryable_then_failed_never_a_hang(ledger):
    clock = FakeClock()
    down = SendResult("", Outcome.RETRYABLE, code="500", detail="server error")
    ledger.plan("r1", "campaign", "c1", planned(2))
    adapter = ScriptedAdapter({f"user{i}@example.com": [down] * 100 for i in range(2)}, clock)
    report = sender(ledger, adapter, clock, max_attempts=4).send()
    assert report.counts.states == {"failed": 2}
    assert len(adapter.sent) == 8
    row = ledger.rows("r1")[0]
    assert row.attempts == 4 and "gave up after 4 attempts" in row.last_error


def test_no_wait_leaves_retryable_messages_owed(ledger):
    clock = FakeClock()
    down = SendResult("", Outcome.RETRYABLE, code="451")
    ledger.plan("r1", "campaign", "c1", planned(1))
    report = sender(ledger, ScriptedAdapter({"user0@example.com": [down]}, clock), clock).send(wait=False)
    assert report.stopped == "waiting" and report.counts.states == {"retryable": 1}


def test_error_budget_pauses_the_run_and_it_resumes_on_request(ledger):
    clock = FakeClock()
    bad = SendResult("", Outcome.PERMANENT, code="550 5.1.1", detail="no such user", address_problem=True)
    ledger.plan("r1", "campaign", "c1", planned(200))
    script = {f"user{i}@example.com": [bad] for i in range(0, 200, 2)}  # half of them bounce
    adapter = ScriptedAdapter(script, clock)
    report = sender(ledger, adapter, clock, batch_size=10, error_budget_minimum=10).send()
    assert report.stopped == "paused" and report.paused
    assert "error budget exceeded" in report.counts.paused_reason
    # the budget is found exceeded after batch 2; batch 3 was already with the adapter (one batch in flight)
    assert len(adapter.sent) == 30
    # paused: another pass sends nothing
    assert sender(ledger, adapter, clock, batch_size=10).send().sent == 0
    ledger.unpause("r1")
    resumed = sender(ledger, adapter, clock, batch_size=10, error_budget_rate=1.0).send()
    assert resumed.stopped == "done" and len(adapter.sent) == 200


def test_budget_is_not_exceeded_under_the_rate(ledger):
    clock = FakeClock()
    bad = SendResult("", Outcome.PERMANENT, code="554 5.7.1")
    ledger.plan("r1", "campaign", "c1", planned(300))
    script = {f"user{i}@example.com": [bad] for i in range(0, 300, 50)}  # 2%
    report = sender(ledger, ScriptedAdapter(script, clock), clock, error_budget_minimum=2).send()
    assert report.stopped == "done" and report.counts.states == {"accepted": 294, "permanent": 6}


def test_hard_bounce_suppresses_the_address(ledger):
    clock = FakeClock()
    sup = SuppressionList(ledger, b"k" * 32)
    bounce = SendResult("", Outcome.PERMANENT, code="550 5.1.1", address_problem=True)
    policy_block = SendResult("", Outcome.PERMANENT, code="554 5.7.1", address_problem=False)
    ledger.plan("r1", "campaign", "c1", planned(3))
    adapter = ScriptedAdapter({"user0@example.com": [bounce], "user1@example.com": [policy_block]}, clock)
    Sender(ledger, adapter, "r1", clock=clock, suppression=sup).send()
    assert sup.reasons("user0@example.com") == ["BOUNCE"]
    assert sup.reasons("USER0@example.com") == ["BOUNCE"]
    assert sup.reasons("user1@example.com") == []  # 5.7.x is about the sender, not the address


def test_suppression_is_checked_at_send_time(ledger):
    clock = FakeClock()
    sup = SuppressionList(ledger, b"k" * 32)
    ledger.plan("r1", "campaign", "c1", planned(4))
    ledger.plan("t1", "transactional", "t1", planned(4, run="t1", promotional=False))
    # suppressed AFTER planning
    sup.add("user0@example.com", reason="UNSUBSCRIBE")
    sup.add("user1@example.com", reason="BOUNCE")
    sup.add("user2@example.com", reason="COMPLAINT", channel="push")  # another channel: no effect
    adapter = ScriptedAdapter()
    Sender(ledger, adapter, "r1", clock=clock, suppression=sup).send()
    Sender(ledger, adapter, "t1", clock=clock, suppression=sup).send()
    promo = {r.address: r for r in ledger.rows("r1")}
    trans = {r.address: r for r in ledger.rows("t1")}
    assert promo["user0@example.com"].state == "suppressed"
    assert promo["user0@example.com"].last_error == "suppressed: UNSUBSCRIBE"
    assert promo["user0@example.com"].attempts == 0
    assert promo["user1@example.com"].state == "suppressed"
    assert promo["user2@example.com"].state == "accepted"
    # transactional: an unsubscribe does not stop a receipt; a hard bounce stops everything
    assert trans["user0@example.com"].state == "accepted"
    assert trans["user1@example.com"].state == "suppressed"
    sent = [a for _, _, a in adapter.sent]
    assert sent.count("user0@example.com") == 1 and "user1@example.com" not in sent


def test_opt_out_all_never_gets_promotional_messages(ledger):
    clock = FakeClock()
    ledger.plan("r1", "campaign", "c1", planned(3))
    ledger.plan("t1", "transactional", "t1", planned(3, run="t1", promotional=False))
    asked = []

    def opted(ids):
        asked.append(list(ids))
        return {"ep1"}

    adapter = ScriptedAdapter()
    Sender(ledger, adapter, "r1", clock=clock, opt_outs=opted).send()
    Sender(ledger, adapter, "t1", clock=clock, opt_outs=opted).send()
    assert {r.endpoint_id: r.state for r in ledger.rows("r1")} == {
        "ep0": "accepted",
        "ep1": "suppressed",
        "ep2": "accepted",
    }
    assert all(r.state == "accepted" for r in ledger.rows("t1"))
    assert asked == [["ep0", "ep1", "ep2"]]  # transactional messages are not looked up


def test_rate_limit_with_an_injected_clock(ledger):
    clock = FakeClock()
    ledger.plan("r1", "campaign", "c1", planned(50))
    adapter = ScriptedAdapter(clock=clock)
    sender(ledger, adapter, clock, messages_per_second=10, batch_size=100).send()
    times = [t for t, _, _ in adapter.sent]
    start = times[0]
    # a burst of one second's tokens, then 10 a second
    for second in range(5):
        window = [t for t in times if start + second <= t < start + second + 1]
        assert len(window) <= 10
    assert times[-1] - start >= 4 - 1e-6


def test_token_bucket_waits_for_tokens():
    clock = FakeClock()
    bucket = TokenBucket(5, clock)
    bucket.take(5)
    assert clock.slept == []
    bucket.take(5)
    assert sum(clock.slept) == pytest.approx(1.0)


def test_a_crash_while_sending_leaves_ambiguous_rows_under_hold(tmp_path):
    path = tmp_path / "delivery.sqlite"
    with Ledger(path) as first:
        first.plan("r1", "campaign", "c1", planned(10))
        claimed = first.claim("r1", 4)  # the process dies here, after the claim
    assert len(claimed) == 4
    with Ledger(path) as second:
        adapter = ScriptedAdapter()
        report = Sender(second, adapter, "r1", clock=FakeClock()).send()
        assert report.recovered == 4
        assert report.counts.states == {"ambiguous": 4, "accepted": 6}
        assert {k for _, k, _ in adapter.sent}.isdisjoint({r.send_key for r in claimed})
        assert [r.send_key for r in second.ambiguous("r1")] == [r.send_key for r in claimed]
        second.resolve(claimed[0].send_key, "retryable")
        Sender(second, adapter, "r1", clock=FakeClock()).send()
        assert second.get(claimed[0].send_key).state == "accepted"


def test_resend_policy_sends_interrupted_rows_again(tmp_path):
    path = tmp_path / "delivery.sqlite"
    with Ledger(path) as led:
        led.plan("r1", "campaign", "c1", planned(5))
        led.claim("r1", 2)
        adapter = ScriptedAdapter()
        report = sender(led, adapter, FakeClock(), ambiguous="resend").send()
        assert report.counts.states == {"accepted": 5}
        assert sum(r.was_ambiguous for r in led.rows("r1")) == 2


def test_ambiguous_outcome_follows_the_policy(ledger):
    clock = FakeClock()
    lost = SendResult("", Outcome.AMBIGUOUS, detail="connection lost after DATA")
    ledger.plan("r1", "campaign", "c1", planned(2))
    sender(ledger, ScriptedAdapter({"user0@example.com": [lost]}, clock), clock).send()
    assert {r.address: r.state for r in ledger.rows("r1")}["user0@example.com"] == "ambiguous"
    ledger.plan("r2", "campaign", "c1", planned(2, run="r2"))
    adapter = ScriptedAdapter({"user0@example.com": [lost]}, clock)
    sender(ledger, adapter, clock, run="r2", ambiguous="resend").send()
    assert {r.address: r.state for r in ledger.rows("r2")}["user0@example.com"] == "accepted"


def test_a_run_is_held_by_one_process_at_a_time(tmp_path):
    path = tmp_path / "delivery.sqlite"
    with Ledger(path) as a, Ledger(path) as b:
        a.plan("r1", "campaign", "c1", planned(1))
        a.hold("r1")
        with pytest.raises(LedgerError, match="being sent by another process"):
            b.hold("r1")
        a.release("r1")
        b.hold("r1")


def test_adapter_configuration_error_gives_claimed_messages_back(ledger):
    class Broken(ScriptedAdapter):
        def send(self, messages):
            raise InputError("no host", field="host")

    ledger.plan("r1", "campaign", "c1", planned(3))
    with pytest.raises(InputError):
        Sender(ledger, Broken(), "r1", clock=FakeClock()).send()
    assert {(r.state, r.attempts) for r in ledger.rows("r1")} == {("queued", 0)}


def test_policy_settings_are_checked():
    with pytest.raises(InputError, match=r"delivery\.ambiguous"):
        DeliveryPolicy(ambiguous="maybe")
    with pytest.raises(InputError, match=r"delivery\.max_attempts"):
        DeliveryPolicy(max_attempts=0)


def test_unknown_run_names_recent_ones(ledger):
    ledger.plan("r1", "campaign", "c1", planned(1))
    with pytest.raises(LedgerError, match="recent runs: r1"):
        ledger.counts("nope")
