"""Send 20,000 pre-rendered e-mails through the ``smtp`` adapter with the delivery ledger, against a bare smtplib
loop sending the same messages over the same number of connections.

Both sides send to the same aiosmtpd sink running in ANOTHER process (tests/servers.py), over ``--connections``
connections, each owned by one thread (the adapter's pool: a ThreadPoolExecutor of N workers, one connection per
worker; the baseline: the same executor shape around ``smtplib.SMTP.sendmail``). Ours includes everything a run
does: planning the messages into the ledger (one transaction), claiming each batch (a committed write),
checking the suppression list and OptOut, sending, recording the outcomes, and appending the Pinpoint events
(``_email.send``, ``_campaign.send``) to the event log. The messages are rendered and composed before the clock
starts, for both sides.

Targets (issue 13): at least 0.7x the bare loop's messages per second, and at least 1,000 messages per second.

Usage: python benchmarks/bench_send.py [--messages N] [--connections C] [--repeats R] [--batch B]
"""

from __future__ import annotations

import argparse
import shutil
import smtplib
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from helpers import configure
from servers import smtp_server_process

from workbench import Project
from workbench.delivery import Ledger, PlannedMessage, send_key, send_run
from workbench.messages.email import message_id_for

SENDER = "shop@example.com"
BODY = (
    "From: Shop <shop@example.com>\r\nTo: {to}\r\nSubject: Your weekly picks, {name}\r\n"
    "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: {mid}\r\nX-Workbench-Send-Key: {key}\r\n"
    "List-Unsubscribe: <https://t.example.com/u/{key}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Hello {name},\r\n\r\n" + "Here is what we picked for you this week.\r\n" * 20
)


def prerender(n: int, run: str) -> list[PlannedMessage]:
    """The run's messages, rendered and composed (each with its own Message-ID from its send key)."""
    out = []
    for i in range(n):
        key = send_key("campaign", "bench", run, f"ep{i}", "EMAIL")
        to = f"person{i}@example.com"
        mime = BODY.format(
            to=to, name=f"Person {i}", mid=message_id_for(key, "example.com"), key=key
        ).encode()
        out.append(
            PlannedMessage(
                key,
                "EMAIL",
                to,
                mime=mime,
                endpoint_id=f"ep{i}",
                attributes={"campaign_id": "bench", "treatment_id": "0"},
            )
        )
    return out


def ours(project: Project, messages: list[PlannedMessage], run: str) -> float:
    start = time.perf_counter()
    with Ledger.for_store(project) as ledger:
        ledger.plan(run, "campaign", "bench", messages)
        [report] = send_run(project, run, ledger=ledger)
    seconds = time.perf_counter() - start
    assert report.counts.states == {"accepted": len(messages)}, report.counts.states
    return seconds


def bare(host: str, port: int, messages: list[PlannedMessage], connections: int) -> float:
    """A bare smtplib loop: the same executor shape as the adapter's pool, one connection per worker thread."""
    local = threading.local()
    opened: list[smtplib.SMTP] = []
    lock = threading.Lock()

    def send(m: PlannedMessage) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = smtplib.SMTP(host, port, timeout=30)
            with lock:
                opened.append(conn)
        conn.sendmail(SENDER, [m.address], m.mime)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(send, messages))
    for conn in opened:
        conn.quit()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500, help="[delivery] batch_size")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--synchronous", default="FULL", help="[delivery] synchronous (FULL or NORMAL)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-send-"))
    try:
        with smtp_server_process(work / "received.txt") as sink:
            project = Project.create(work / "project")
            configure(
                project.path,
                f'[channels.email]\nadapter = "smtp"\nhost = "{sink.host}"\nport = {sink.port}\n'
                f'from = "Shop <{SENDER}>"\nconnections = {args.connections}\n'
                f"\n[delivery]\nbatch_size = {args.batch}\n"
                f'synchronous = "{args.synchronous}"\n',
                replace=("channels.email",),
            )
            project = Project.open(project.path)
            ours_s, bare_s = [], []
            bare(
                sink.host, sink.port, prerender(min(200, args.messages), "warm"), args.connections
            )  # warm-up
            for r in range(args.repeats):
                messages = prerender(args.messages, f"run{r}")
                bare_s.append(bare(sink.host, sink.port, messages, args.connections))
                ours_s.append(ours(project, messages, f"run{r}"))
        n = args.messages
        o, b = statistics.median(ours_s), statistics.median(bare_s)
        ratio = (n / o) / (n / b)
        print(f"send {n:,} e-mails, {args.connections} connections, synchronous={args.synchronous}")
        print(f"  smtp adapter + ledger + events: {o:.2f} s = {n / o:,.0f} msgs/s")
        print(f"  bare smtplib loop:              {b:.2f} s = {n / b:,.0f} msgs/s")
        met = "met" if ratio >= 0.7 and n / o >= 1000 else "MISSED"
        print(
            f"ratio {ratio:.2f}x the bare loop's throughput (target >= 0.7x and >= 1,000 msgs/s: {met})",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
