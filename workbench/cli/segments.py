"""``workbench segment create | count | list | show | export`` (the CLI contract of ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import InputError
from .common import add_common, emit, open_project, warnings_to_stderr


def cmd_create(args: argparse.Namespace) -> int:
    from ..segments import Segment, SegmentSpec

    project = open_project(args)
    spec = SegmentSpec.from_json(Path(args.spec), columns=project.endpoint_columns())
    try:
        with warnings_to_stderr():
            saved = Segment(project, spec, name=args.name).save(args.name, source=str(args.spec))
    except InputError as err:
        raise InputError(err.reason, file=str(args.spec), line=err.line, field=err.field) from None
    emit(
        args,
        {"segment": saved.name, "version": saved.version, "segment_id": saved.segment_id},
        f"saved segment {saved.name!r} version {saved.version}",
    )
    return 0


def cmd_count(args: argparse.Namespace) -> int:
    from ..segments import Segment

    segment = Segment.load(open_project(args), args.name, args.version, now=args.now)
    counts = segment.count()
    payload = {"segment": segment.name, "version": segment.version, **counts.to_dict()}
    emit(
        args,
        payload,
        f"{segment.name} v{segment.version}: {counts.endpoints:,} endpoints, {counts.users:,} users",
    )
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    # the catalog's rows as tuples (what ``segments.list_segments`` returns as a frame): no Polars import
    with open_project(args).connect(read_only=True, views=False) as con:
        found = con.execute(
            "SELECT name, segment_type, latest_version, updated_at FROM segments ORDER BY name"
        ).fetchall()
    rows = [
        {"segment": name, "type": kind, "version": version, "updated_at": str(updated_at)}
        for name, kind, version, updated_at in found
    ]
    text = (
        "\n".join(f"{r['segment']}\t{r['type']}\tv{r['version']}\t{r['updated_at']}" for r in rows)
        or "no segments"
    )
    emit(args, {"segments": rows}, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..segments import Segment

    segment = Segment.load(open_project(args), args.name, args.version)
    payload = {
        "segment": segment.name,
        "version": segment.version,
        "type": segment.spec.segment_type,
        "spec": segment.spec.request,
        "conditions": segment.describe(),
    }
    text = (
        f"{segment.name} (version {segment.version}, {segment.spec.segment_type})\n{segment.describe()}\n\n"
    )
    emit(args, payload, text + json.dumps(segment.spec.request, indent=2))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..ingest import export_endpoints
    from ..segments import Segment

    project = open_project(args)
    segment = Segment.load(project, args.name, args.version, now=args.now)
    out = export_endpoints(project, Path(args.out), where=segment.sql_filter(), raw=args.raw)
    emit(args, {"segment": segment.name, "version": segment.version, "out": str(out)}, f"wrote {out}")
    return 0


def register(subparsers) -> None:
    """Add ``segment`` and its actions to the ``workbench`` parser."""
    segment = subparsers.add_parser("segment", help="create, count, list, show and export segments")
    sub = segment.add_subparsers(dest="segment_command", required=True, metavar="ACTION")

    p = add_common(
        sub.add_parser("create", help="save a Pinpoint WriteSegmentRequest JSON as a segment (new version)"),
        True,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--spec", required=True, metavar="FILE.json")
    p.set_defaults(handler=cmd_create)

    p = add_common(sub.add_parser("count", help="endpoints and users in a segment"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K", help="a pinned version (default: the latest)")
    p.add_argument("--now", metavar="ISO8601", help="the clock for recency and relative windows")
    p.set_defaults(handler=cmd_count)

    p = add_common(sub.add_parser("list", help="all segments"), True)
    p.set_defaults(handler=cmd_list)

    p = add_common(sub.add_parser("show", help="a segment's conditions and JSON"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K")
    p.set_defaults(handler=cmd_show)

    p = add_common(sub.add_parser("export", help="write a segment's endpoints to .csv or .parquet"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--version", type=int, metavar="K")
    p.add_argument("--now", metavar="ISO8601")
    p.add_argument("--raw", action="store_true", help="CSV without formula escaping (machine use)")
    p.set_defaults(handler=cmd_export)
