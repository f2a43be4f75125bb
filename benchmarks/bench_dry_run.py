"""Dry-run an e-mail campaign with two treatments and a 10% holdout over 1M endpoints, rendering included,
against counting the same segment. Target: at most 5x.

The project: 1M e-mail endpoints generated in DuckDB SQL straight into the endpoints table (as
bench_segment_count.py builds its data), with a first name, a plan, a city and a time zone; 1,000 addresses on
the suppression list; a segment of the endpoints on the paid plans or in four countries (most of them). The
campaign: treatment A with a template that greets by first name, plan and city (with defaults), treatment B with
another template, a 10% holdout, quiet time.

Figures, each against its baseline in the same run:

1. in-process: ``dry_run(project, campaign)`` (audience query, assignment, exclusions, suppression, render of
   every message, waves) vs ``Segment.load(project, name).count()``;
2. when the CLI has ``workbench campaign dry-run``: the two commands ``workbench campaign dry-run NAME --json``
   and ``workbench segment count NAME --json`` as subprocesses (process start included, as a user sees it).

Usage: python benchmarks/bench_dry_run.py [--endpoints N] [--repeats R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import interleaved, report

from workbench import Project
from workbench.ingest.upsert import ensure_attribute_columns
from workbench.messages.templates import save_template
from workbench.segments import Segment
from workbench.store import endpoint_parts

NOW = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)
CHUNK = 2_000_000

ENDPOINTS = """
SELECT
  'ep-' || i AS "Id",
  'EMAIL' AS "ChannelType",
  'person' || i || '@example.com' AS "Address",
  'ACTIVE' AS "EndpointStatus",
  CASE WHEN hash(i * 41) % 100 = 0 THEN 'ALL' ELSE 'NONE' END AS "OptOut",
  'user-' || (i // 2) AS "User.UserId",
  ['America/New_York','Europe/Paris','Asia/Tokyo','Europe/London','America/Los_Angeles', NULL]
    [1 + (hash(i * 7) % 6)::INT] AS "Demographic.Timezone",
  ['US','DE','GB','FR','BR','IN','JP'][1 + (hash(i * 13) % 7)::INT] AS "Location.Country",
  ['Paris','Lyon','Berlin','Zürich','São Paulo','Tokyo','Austin', NULL][1 + (hash(i * 11) % 8)::INT]
    AS "Location.City",
  CASE WHEN hash(i * 19) % 7 = 0 THEN [] ELSE [['Ann','Bob','Chloé','Dmitri','Eve & Co','José'][1 + (hash(i * 5) % 6)::INT]] END
    AS "User.UserAttributes.FirstName",
  CASE hash(i * 17) % 4 WHEN 0 THEN ['pro'] WHEN 1 THEN ['free'] WHEN 2 THEN ['team'] ELSE [] END
    AS "Attributes.plan"
FROM range({start}, {stop}) t(i)
"""

SEGMENT = {
    "Name": "customers",
    "Dimensions": {
        "Location": {"Country": {"DimensionType": "INCLUSIVE", "Values": ["US", "DE", "GB", "FR", "JP"]}}
    },
}
TEMPLATE_A = {
    "Subject": "{{User.UserAttributes.FirstName}}, your {{Attributes.plan}} plan news",
    "HtmlPart": (
        "<html><body><h1>Hello {{User.UserAttributes.FirstName}}!</h1>\n"
        "<p>Thanks for choosing the <b>{{Attributes.plan}}</b> plan. Events near {{Location.City}} this week:</p>"
        '<ul><li>Meetup</li><li>Workshop</li></ul><p><a href="https://example.com/u">Unsubscribe</a></p></body></html>'
    ),
    "TextPart": "Hello {{User.UserAttributes.FirstName}}!\nThanks for choosing the {{Attributes.plan}} plan.\n",
    "DefaultSubstitutions": json.dumps(
        {"User.UserAttributes.FirstName": "there", "Attributes.plan": "free", "Location.City": "you"}
    ),
}
TEMPLATE_B = {
    "Subject": "New this week in {{Location.City}}",
    "HtmlPart": "<p>Hi {{User.UserAttributes.FirstName}}, see what is new on the {{Attributes.plan}} plan.</p>",
    "DefaultSubstitutions": json.dumps(
        {"User.UserAttributes.FirstName": "there", "Location.City": "your city"}
    ),
}
CAMPAIGN = {
    "Name": "autumn-news",
    "SegmentId": "customers",
    "HoldoutPercent": 10,
    "TreatmentName": "A: plan news",
    "TemplateConfiguration": {"EmailTemplate": {"Name": "news-a"}},
    "AdditionalTreatments": [
        {
            "SizePercent": 45,
            "TreatmentName": "B: city news",
            "TemplateConfiguration": {"EmailTemplate": {"Name": "news-b"}},
        }
    ],
    "Schedule": {
        "StartTime": "2026-11-02T09:00:00Z",
        "Frequency": "ONCE",
        "Timezone": "UTC",
        "QuietTime": {"Start": "22:00", "End": "07:00"},
    },
}


def build(root: Path, endpoints: int) -> Project:
    """A project with ``endpoints`` e-mail endpoints generated in SQL, two templates and the segment."""
    project = Project.create(root / "project")
    with project.connect() as con:
        ensure_attribute_columns(
            con, project.path, ["Attributes.plan", "User.UserAttributes.FirstName"], datetime.now(), "bench"
        )
        for start in range(0, endpoints, CHUNK):
            endpoint_parts.append_query(
                con, project.path, ENDPOINTS.format(start=start, stop=min(start + CHUNK, endpoints))
            )
    save_template(project, "news-a", "EMAIL", TEMPLATE_A)
    save_template(project, "news-b", "EMAIL", TEMPLATE_B)
    Segment.from_json(project, SEGMENT).save("customers")
    from workbench.delivery import SuppressionList

    suppressed = "\n".join(f"person{i * 997}@example.com" for i in range(1000))
    SuppressionList.for_store(project).import_text(suppressed, reason="UNSUBSCRIBE")
    return project


def save_campaign(project: Project):
    from workbench.campaigns.spec import save_campaign as save

    return save(project, "autumn-news", CAMPAIGN)


def cli(project: Project, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args, "--project", str(project.path), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "WORKBENCH_NOW": NOW.isoformat(), "WORKBENCH_NO_PROGRESS": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"workbench {' '.join(args)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def cli_has_dry_run() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "campaign", "dry-run", "--help"],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the data here and keep it (reused when it exists)")
    args = parser.parse_args()

    from workbench.campaigns.dry_run import dry_run

    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-dry-run-"))
    try:
        if (root / "project" / "workbench.toml").exists():
            project = Project.open(root / "project")
        else:
            start = time.perf_counter()
            project = build(root, args.endpoints)
            print(
                f"generated {args.endpoints:,} endpoints in {time.perf_counter() - start:.1f} s", flush=True
            )
        campaign = save_campaign(project)
        count = lambda: Segment.load(project, "customers", now=NOW.replace(tzinfo=None)).count()  # noqa: E731
        run = lambda: dry_run(project, campaign, now=NOW)  # noqa: E731
        seconds, baseline, result = interleaved(run, count, repeats=args.repeats)
        members = count().endpoints
        assert result.targeted == members, (result.targeted, members)
        assert result.render_errors_total == 0, result.render_errors[:3]
        figures = result.to_dict()
        print(
            f"dry run: {figures['targeted']:,} targeted, {result.messages:,} messages rendered, holdout "
            f"{figures['holdout']:,}, excluded {sum(figures['excluded'].values()):,} "
            f"({', '.join(f'{k} {v:,}' for k, v in figures['excluded'].items() if v)})",
            flush=True,
        )
        report(
            f"dry_run() of a 2-treatment e-mail campaign, 10% holdout, {members:,} members (in process)",
            seconds,
            "Segment.count() of the same segment",
            baseline,
            target=5.0,
        )
        if cli_has_dry_run():
            dry = lambda: cli(project, "campaign", "dry-run", "autumn-news")  # noqa: E731
            seg = lambda: cli(project, "segment", "count", "customers")  # noqa: E731
            cli_s, cli_base, out = interleaved(dry, seg, repeats=max(1, min(args.repeats, 3)))
            assert out["targeted"] == members, out
            report(
                "workbench campaign dry-run autumn-news --json (subprocess)",
                cli_s,
                "workbench segment count customers --json",
                cli_base,
                target=5.0,
            )
        else:
            print("(the CLI has no `campaign dry-run` yet: the subprocess figure is skipped)", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
