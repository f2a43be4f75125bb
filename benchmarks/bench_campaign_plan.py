"""Plan an e-mail campaign's occurrence: every member's message rendered, composed as the MIME message an SMTP
server gets (headers, unsubscribe link, tracking) and written to the delivery ledger, which is what
``workbench campaign send`` does before it sends the first wave. Against the dry run of the same campaign in
the same process (which renders every message too, but composes and writes none), interleaved.

The project and campaign are bench_dry_run.py's (two treatments, a 10% holdout, quiet time, 1,000 suppressed
addresses), at a smaller size: composing runs per message in Python. Each plan starts from an empty ledger.

Usage: python benchmarks/bench_campaign_plan.py [--endpoints N] [--repeats R]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, report
from bench_dry_run import NOW, build, save_campaign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from workbench.campaigns.dry_run import dry_run
    from workbench.campaigns.run import _Occurrence, open_state, plan_occurrence

    root = Path(tempfile.mkdtemp(prefix="bench-campaign-plan-"))
    try:
        project = build(root, args.endpoints)
        campaign = save_campaign(project)
        occurrence = _Occurrence("bench", NOW, False)

        def plan() -> dict:
            project.delivery_path.unlink(missing_ok=True)  # an empty ledger: nothing planned before
            return plan_occurrence(project, campaign, occurrence, now=NOW, ledger=open_state(project))

        started = time.perf_counter()
        seconds, baseline, planned = interleaved(
            plan, lambda: dry_run(project, campaign, now=NOW), args.repeats
        )
        assert planned["messages"] > 0 and planned["render_errors_total"] == 0, planned
        print(
            f"planned {planned['messages']:,} e-mails in {planned['waves']} wave(s): "
            f"{planned['messages'] / seconds:,.0f} messages/s ({time.perf_counter() - started:.0f} s in all)"
        )
        report(
            "plan_occurrence() (compose and write every message)",
            seconds,
            "dry_run() of the campaign",
            baseline,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
