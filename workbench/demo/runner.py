"""The demo's main job: a project from generated data, its segments and its reports (``workbench demo``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ..errors import InputError
from ..project import Project
from ..reports import write_demo_reports
from .generator import DEFAULT_END_DATE, generate_demo_files


@dataclass
class DemoSummary:
    """What ``workbench demo`` did: where the project is, what went in, what came out, how long it took."""

    project: Path
    endpoints: int = 0
    active: int = 0
    users: int = 0
    events: int = 0
    rejected: int = 0
    segments: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "project": str(self.project),
            "endpoints": self.endpoints,
            "active": self.active,
            "users": self.users,
            "events": self.events,
            "rejected": self.rejected,
            "segments": self.segments,
            "reports": [str(p) for p in self.reports],
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }

    def summary(self) -> str:
        """What the demo made, as ``make demo`` prints it."""
        lines = [
            f"demo project   {self.project}",
            f"endpoints      {self.endpoints:,} ({self.active:,} active), {self.users:,} users",
            f"events         {self.events:,} in the event log",
            f"rejected rows  {self.rejected:,}",
        ]
        if self.segments:
            lines.append(f"segments       {', '.join(self.segments)}")
        for path in self.reports:
            lines.append(f"report         {path}")
        lines.append("timings        " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        return "\n".join(lines)


#: the fewest endpoints a demo makes: one in each endpoint file it imports
MIN_ENDPOINTS = 2


def refuse_a_real_project(root: Path) -> None:
    """Refuse to run the demo in a project it did not make that holds endpoints or events: the demo's endpoint
    Ids (``ep-0000001`` ...) are the ones the sample files use, so its import would overwrite real endpoints.
    A demo project is one with the demo's ``demo-data/`` folder; a new or empty project is fine."""
    if not (root / "workbench.toml").exists() or (root / "demo-data").is_dir():
        return
    project = Project.open(root)
    endpoints = project.endpoints.count().endpoints
    events = int(project.query("SELECT count(*) FROM events").item())
    if endpoints or events:
        raise InputError(
            f"this project holds {endpoints:,} endpoints and {events:,} events that the demo did not make; the "
            "demo imports endpoints with its own Ids (ep-0000001, ...), which would overwrite yours. Run it in "
            "a new folder (workbench demo --project demo-project)",
            file=str(root),
        )


def run_demo(
    path: str | Path = "demo-project",
    *,
    endpoints: int = 100_000,
    seed: int = 0,
    progress: bool = True,
    reports_dir: str | Path | None = "reports",
) -> DemoSummary:
    """The main job, end to end on generated data: create the project, generate the files a Pinpoint customer
    would have, import endpoints (CSV + JSON lines) and events, save a segment from a user-ID file, and write
    the reports. Running it again on the same folder changes nothing (imports are idempotent).
    """

    def step(name: str) -> Callable[[], None]:
        started = time.perf_counter()
        if progress:
            print(f"[demo] {name} ...", file=sys.stderr, flush=True)

        def done() -> None:
            summary.timings[name] = time.perf_counter() - started

        return done

    if not isinstance(endpoints, int) or endpoints < MIN_ENDPOINTS:
        raise InputError(
            f"the demo needs at least {MIN_ENDPOINTS} endpoints (one for each endpoint file), not {endpoints!r}"
        )
    root = Path(path)
    refuse_a_real_project(root)
    summary = DemoSummary(project=root.resolve())
    done = step("generate")
    project = Project.create(root, exist_ok=True)
    if project.setting("segments.now") is None:
        # the demo's events end on end_date: evaluate "last N days" conditions as of the next morning
        with open(project.path / "workbench.toml", "a", encoding="utf-8") as fh:
            fh.write(
                f'\n[segments]\nnow = "{DEFAULT_END_DATE + timedelta(days=1)}T00:00:00"  # demo data ends the day before\n'
            )
        project = Project.open(root)
    files = generate_demo_files(project.path / "demo-data", endpoints=endpoints, seed=seed, progress=progress)
    done()
    done = step("import endpoints")
    result = project.endpoints.import_files(files.endpoints_csv, files.endpoints_jsonl, progress=progress)
    users = project.endpoints.import_files(files.users_csv, segment="vip-users", progress=progress)
    summary.rejected = result.rejected + users.rejected
    summary.segments.append("vip-users")
    done()
    done = step("import events")
    # 10 days of hourly files per import: each import is one all-or-nothing batch held in memory; a month at a
    # time peaked at 10.8 GB on the 1M-endpoint demo (10M events)
    for first in range(0, len(files.event_files), EVENT_FILES_PER_IMPORT):
        project.events.import_files(
            *files.event_files[first : first + EVENT_FILES_PER_IMPORT], progress=progress
        )
    done()
    done = step("segments")
    summary.segments.extend(_demo_segments(project))
    done()
    counts = project.endpoints.count()
    summary.endpoints, summary.active, summary.users = counts.endpoints, counts.active, counts.users
    summary.events = int(project.query("SELECT count(*) FROM events").item())
    if reports_dir is not None:
        done = step("reports")
        summary.reports = list(write_demo_reports(project, Path(reports_dir), progress=progress))
        done()
    return summary


#: How many hourly event files one import of the demo takes (10 days).
EVENT_FILES_PER_IMPORT = 240

#: Segments the demo saves, in Pinpoint's WriteSegmentRequest shape (the second uses keys added beyond Pinpoint).
DEMO_SEGMENTS = {
    "active-paid-plans": {
        "Dimensions": {
            "Attributes": {"plan": {"AttributeType": "INCLUSIVE", "Values": ["pro", "enterprise"]}},
            "Behavior": {"Recency": {"Duration": "DAY_30", "RecencyType": "ACTIVE"}},
        }
    },
    "cart-abandoners": {
        "Dimensions": {
            "Behavior": {
                "Events": [
                    {"EventType": "cart.add", "Within": {"Days": 14}},
                    {
                        "EventType": "_monetization.purchase",
                        "Times": {"ComparisonOperator": "EXACTLY", "Value": 0},
                        "Within": {"Days": 14},
                    },
                ]
            }
        }
    },
}


def _demo_segments(project: Project) -> list[str]:
    """Save the demo's dynamic segments, evaluated as of the day after the demo data ends."""
    names = []
    for name, spec in DEMO_SEGMENTS.items():
        if name not in project.segments.names():
            project.segments.define({"Name": name, **spec}, now=DEFAULT_END_DATE + timedelta(days=1)).save(
                name
            )
        names.append(name)
    return names
