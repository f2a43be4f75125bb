"""``workbench init``, ``workbench import``, ``workbench endpoints count|export``, ``workbench events import``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import add_common, emit, open_project


def cmd_init(args: argparse.Namespace) -> int:
    from ..project import Project

    project = Project.create(args.dir)
    emit(args, {"project": str(project.path)}, f"created project {project.path}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..ingest import ImportRejectedError

    project = open_project(args)
    try:
        result = project.endpoints.import_files(
            *args.files, segment=args.segment, strict=args.strict, progress=False if args.json else None
        )
    except ImportRejectedError as err:
        emit(args, err.result.to_dict(), err.result.summary())
        print(f"error: {err}", file=sys.stderr)
        return 1
    emit(args, result.to_dict(), result.summary())
    return 0


def cmd_endpoints_count(args: argparse.Namespace) -> int:
    counts = open_project(args).endpoints.count()
    emit(
        args,
        counts.to_dict(),
        f"{counts.endpoints:,} endpoints ({counts.active:,} active), {counts.users:,} users",
    )
    return 0


def cmd_endpoints_export(args: argparse.Namespace) -> int:
    out = open_project(args).endpoints.export(args.out, segment=args.segment, raw=args.raw)
    emit(args, {"out": str(out)}, f"wrote {out}")
    return 0


def cmd_events_import(args: argparse.Namespace) -> int:
    result = open_project(args).events.import_files(*args.files, progress=False if args.json else None)
    text = f"{result.events:,} events recorded, {result.duplicates:,} duplicates skipped, {result.rejected:,} rejected"
    if result.rejects_file:
        text += f" (see {result.rejects_file})"
    emit(args, result.to_dict(), text)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create a project folder")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_init)

    p = add_common(
        sub.add_parser("import", help="import endpoint files (CSV, JSON lines, Pinpoint export .gz)"), True
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--segment", metavar="NAME", help="also save the file's endpoints as an imported segment")
    p.add_argument("--strict", action="store_true", help="import nothing when any row is rejected")
    p.set_defaults(handler=cmd_import)

    endpoints = sub.add_parser("endpoints", help="count or export endpoints")
    esub = endpoints.add_subparsers(dest="endpoints_command", required=True, metavar="ACTION")
    p = add_common(esub.add_parser("count", help="endpoints, active endpoints, users"), True)
    p.set_defaults(handler=cmd_endpoints_count)
    p = add_common(esub.add_parser("export", help="write endpoints to .csv or .parquet"), True)
    p.add_argument("--out", required=True, type=Path, metavar="FILE")
    p.add_argument("--segment", metavar="NAME")
    p.add_argument("--raw", action="store_true", help="CSV without formula escaping (machine use)")
    p.set_defaults(handler=cmd_endpoints_export)

    events = sub.add_parser("events", help="import events into the event log")
    vsub = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    p = add_common(
        vsub.add_parser("import", help="Pinpoint event-stream JSON lines (.gz ok) or CSV/JSONL events"), True
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(handler=cmd_events_import)
