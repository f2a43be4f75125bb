"""``workbench demo``: the main job end to end on generated data."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_common, emit, project_dir, warnings_to_stderr


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    path = project_dir(args) or "demo-project"
    with warnings_to_stderr():
        summary = run_demo(
            path,
            endpoints=args.endpoints,
            seed=args.seed,
            progress=not args.json,
            reports_dir=None if args.no_reports else args.reports,
        )
    emit(args, summary.to_dict(), summary.summary())
    return 0


def register(sub: Any) -> None:
    p = add_common(
        sub.add_parser("demo", help="create a demo project, import generated data, write reports"), True
    )
    p.add_argument("--endpoints", type=int, default=100_000, help="endpoints to generate (default 100000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reports", default="reports", metavar="DIR", help="where dashboards and reports go")
    p.add_argument("--no-reports", action="store_true", help="skip the dashboards and reports")
    p.set_defaults(handler=cmd_demo)
