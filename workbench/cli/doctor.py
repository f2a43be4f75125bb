"""``workbench doctor [--fix] [--json]``: check a project's catalog, files, event log and saved segments."""

from __future__ import annotations

import argparse

from .common import add_common, emit, project_dir


def cmd_doctor(args: argparse.Namespace) -> int:
    from ..errors import WorkbenchError
    from ..segments.segment import check_saved_segments
    from ..store import doctor

    path = project_dir(args)
    if not path:
        raise WorkbenchError("no project: give --project DIR or set WORKBENCH_PROJECT")
    store, problems = doctor.open_store(path)
    if store is not None:
        problems += doctor.check_store(store)
        problems += [
            doctor.Problem("segments", f"version {version} does not count: {error}", name)
            for name, version, error in check_saved_segments(store)
        ]
    fixed = doctor.fix(problems) if args.fix else []
    remaining = [p for p in problems if not (p.fixable and p.path in fixed)]
    payload = {
        "ok": not remaining,
        "problems": [p.to_dict() for p in problems],
        "fixed": fixed,
    }
    lines = [str(p) for p in problems] or ["no problems found"]
    lines += [f"removed {f}" for f in fixed]
    if remaining:
        lines.append(f"{len(remaining)} problem(s) remain")
    emit(args, payload, "\n".join(lines))
    return 0 if not remaining else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``doctor`` to the ``workbench`` parser."""
    p = add_common(
        sub.add_parser(
            "doctor", help="check a project (catalog, files, event log, segments); --fix removes leftovers"
        ),
        True,
    )
    p.add_argument("--fix", action="store_true", help="remove leftovers: temporary files and unlisted files")
    p.set_defaults(handler=cmd_doctor)
