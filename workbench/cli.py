"""The ``workbench`` command (the CLI contract of ARCHITECTURE.md).

Every command takes ``--project DIR`` (or ``WORKBENCH_PROJECT``). Commands with ``--json`` print exactly one
JSON object on stdout. Errors go to stderr with a non-zero exit code and say what was wrong and where.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import InputError, WorkbenchError

Handler = Callable[[argparse.Namespace], int]


def _project(args: argparse.Namespace):
    from .project import Project

    path = args.project or os.environ.get("WORKBENCH_PROJECT")
    if not path:
        raise WorkbenchError("no project: give --project DIR or set WORKBENCH_PROJECT")
    return Project.open(path)


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str | None = None) -> None:
    """Print one JSON object (with --json) or the human text."""
    if getattr(args, "json", False):
        print(json.dumps(payload, default=str))
    else:
        print(text if text is not None else "\n".join(f"{k}: {v}" for k, v in payload.items()))


def _common(parser: argparse.ArgumentParser, json_flag: bool = False) -> argparse.ArgumentParser:
    parser.add_argument("--project", metavar="DIR", help="project folder (default: $WORKBENCH_PROJECT)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


# --- init, demo --------------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from .project import Project

    project = Project.create(args.dir)
    emit(args, {"project": str(project.path)}, f"created project {project.path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    path = args.project or os.environ.get("WORKBENCH_PROJECT") or "demo-project"
    summary = run_demo(
        path,
        endpoints=args.endpoints,
        seed=args.seed,
        progress=not args.json,
        reports_dir=None if args.no_reports else args.reports,
    )
    emit(args, summary.to_dict(), summary.summary())
    return 0


# --- endpoints ---------------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    from .importing import ImportRejectedError

    project = _project(args)
    try:
        result = project.import_endpoints(
            *args.files, segment=args.segment, strict=args.strict, progress=False if args.json else None
        )
    except ImportRejectedError as err:
        emit(args, err.result.to_dict(), err.result.summary())
        print(f"error: {err}", file=sys.stderr)
        return 1
    emit(args, result.to_dict(), result.summary())
    return 0


def cmd_endpoints_count(args: argparse.Namespace) -> int:
    counts = _project(args).count_endpoints()
    emit(
        args,
        counts.to_dict(),
        f"{counts.endpoints:,} endpoints ({counts.active:,} active), {counts.users:,} users",
    )
    return 0


def cmd_endpoints_export(args: argparse.Namespace) -> int:
    out = _project(args).export_endpoints(args.out, segment=args.segment, raw=args.raw)
    emit(args, {"out": str(out)}, f"wrote {out}")
    return 0


def cmd_events_import(args: argparse.Namespace) -> int:
    result = _project(args).import_events(*args.files, progress=False if args.json else None)
    text = f"{result.events:,} events recorded, {result.duplicates:,} duplicates skipped, {result.rejected:,} rejected"
    if result.rejects_file:
        text += f" (see {result.rejects_file})"
    emit(args, result.to_dict(), text)
    return 0


# --- parser ------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench", description="Notebook-first customer-engagement workbench"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create a project folder")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_init)

    p = _common(
        sub.add_parser("demo", help="create a demo project, import generated data, write reports"), True
    )
    p.add_argument("--endpoints", type=int, default=100_000, help="endpoints to generate (default 100000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reports", default="reports", metavar="DIR", help="where dashboards and reports go")
    p.add_argument("--no-reports", action="store_true", help="skip the dashboards and reports")
    p.set_defaults(handler=cmd_demo)

    p = _common(
        sub.add_parser("import", help="import endpoint files (CSV, JSON lines, Pinpoint export .gz)"), True
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--segment", metavar="NAME", help="also save the file's endpoints as an imported segment")
    p.add_argument("--strict", action="store_true", help="import nothing when any row is rejected")
    p.set_defaults(handler=cmd_import)

    endpoints = sub.add_parser("endpoints", help="count or export endpoints")
    esub = endpoints.add_subparsers(dest="endpoints_command", required=True, metavar="ACTION")
    p = _common(esub.add_parser("count", help="endpoints, active endpoints, users"), True)
    p.set_defaults(handler=cmd_endpoints_count)
    p = _common(esub.add_parser("export", help="write endpoints to .csv or .parquet"), True)
    p.add_argument("--out", required=True, type=Path, metavar="FILE")
    p.add_argument("--segment", metavar="NAME")
    p.add_argument("--raw", action="store_true", help="CSV without formula escaping (machine use)")
    p.set_defaults(handler=cmd_endpoints_export)

    events = sub.add_parser("events", help="import events into the event log")
    vsub = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    p = _common(
        vsub.add_parser("import", help="Pinpoint event-stream JSON lines (.gz ok) or CSV/JSONL events"), True
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(handler=cmd_events_import)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


#: Other modules add their commands here: functions taking the subparsers object.
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _load_extra_commands() -> None:
    import importlib

    for module in ("workbench.segments.cli", "workbench.dashboards.cli"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name is None or not module.startswith(err.name):
                raise
            continue
        if mod.register not in EXTRA_COMMANDS:
            EXTRA_COMMANDS.append(mod.register)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``workbench`` console script."""
    _load_extra_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
