"""``workbench kpi``, ``workbench funnel``, ``workbench dashboard`` and ``workbench report``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError
from .common import add_common, emit, open_project, project_dir


def _scope_args(p: argparse.ArgumentParser, segment: bool = True) -> None:
    p.add_argument("--start", metavar="D", help="first day, YYYY-MM-DD (default: 30 days before --end)")
    p.add_argument("--end", metavar="D", help="last day, inclusive (default: the last day with events)")
    if segment:
        p.add_argument("--segment", metavar="NAME", help="only endpoints in this segment")
        p.add_argument(
            "--platform", metavar="NAME", help="only endpoints on this platform (Demographic.Platform)"
        )
        p.add_argument("--channel", metavar="TYPE", help="only endpoints of this ChannelType")


def cmd_kpi(args: argparse.Namespace) -> int:
    from ..analytics import KPIS, kpi, kpi_names

    if args.list:
        rows = [{"kpi": n, "unit": KPIS[n].unit, "description": KPIS[n].description} for n in kpi_names()]
        emit(args, {"kpis": rows}, "\n".join(f"{r['kpi']:32} {r['description']}" for r in rows))
        return 0
    if not args.name:
        raise InputError(f"name a KPI: workbench kpi NAME (one of {', '.join(kpi_names())})")
    options: dict[str, Any] = {"platform": args.platform, "channel": args.channel}
    if args.event:
        options["event_type"] = args.event
    options = {k: v for k, v in options.items() if v}
    result = kpi(
        open_project(args),
        args.name,
        args.start,
        args.end,
        args.segment,
        campaign=args.campaign,
        journey=args.journey,
        **options,
    )
    payload = result.to_dict()
    lines = [f"{result.kpi} {result.scope.start}..{result.scope.end}: {_fmt(result.total)}"]
    lines += [f"  {r['date']}  {_fmt(r['value'])}" for r in payload["rows"]]
    emit(args, payload, "\n".join(lines))
    return 0


def cmd_funnel(args: argparse.Namespace) -> int:
    from ..analytics import funnel

    result = funnel(
        open_project(args),
        args.step,
        args.start,
        args.end,
        args.segment,
        window=args.window,
        by=args.by,
        breakdown=args.breakdown,
        platform=args.platform,
        channel=args.channel,
    )
    payload = result.to_dict()
    lines = [f"funnel, {payload['start']}..{payload['end']}, window {args.window}:"]
    for s in payload["steps"]:
        conv = f"{s['conversion']:.1%}" if s["conversion"] is not None else "–"
        lines.append(f"  {s['step']}. {s['label']:40} {s['count']:>10,}  {conv:>7}  (-{s['drop_off']:,})")
    emit(args, payload, "\n".join(lines))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from ..dashboards import dashboard

    board = dashboard(
        open_project(args),
        args.name,
        args.start,
        args.end,
        args.segment,
        platform=args.platform,
        channel=args.channel,
    )
    out = board.save(args.out)
    files = [out]
    if args.png:
        files.append(board.save(out.with_suffix(".png")))
    payload = {
        "dashboard": board.name,
        "files": [{"path": str(f), "bytes": f.stat().st_size} for f in files],
        "empty": board.empty,
        "query_seconds": round(board.query_seconds, 3),
        **board.scope.describe(),
    }
    text = "\n".join(f"wrote {f} ({f.stat().st_size / 1024:,.0f} KiB)" for f in files)
    if board.empty:
        text += f"\nnote: {board.empty}"
    emit(args, payload, text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..reports import parse_params, run_reports

    if not args.all and not args.name:
        raise InputError("name a report, or give --all")
    params = parse_params(args.param or [])
    project = project_dir(args)
    if project and "project_path" not in params:
        params["project_path"] = str(Path(project).resolve())
    results = run_reports(
        None if args.all else [args.name], params=params, out_dir=Path(args.out), progress=not args.json
    )
    payload = {"reports": [r.to_dict() for r in results]}
    emit(
        args, payload, "\n".join(f"wrote {r.html} ({r.html.stat().st_size / 1024:,.0f} KiB)" for r in results)
    )
    return 0


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def register(sub: Any) -> None:
    """Add the reporting commands to the ``workbench`` parser."""

    p = add_common(sub.add_parser("kpi", help="one KPI per day and over the range (see --list)"), True)
    p.add_argument("name", nargs="?", metavar="NAME", help="a KPI name, e.g. daily-active-endpoints")
    p.add_argument("--list", action="store_true", help="list the KPI names")
    _scope_args(p)
    p.add_argument("--campaign", metavar="ID", help="a campaign's KPI (messaging KPIs)")
    p.add_argument("--journey", metavar="ID", help="a journey's KPI (messaging KPIs)")
    p.add_argument("--event", metavar="TYPE", help="event type (and filters) for the events KPIs")
    p.set_defaults(handler=cmd_kpi)

    p = add_common(sub.add_parser("funnel", help="conversion through ordered event steps"), True)
    p.add_argument(
        "--step",
        action="append",
        required=True,
        metavar="EVENT",
        help="a step: EVENT or EVENT:key=value,metric>=N",
    )
    p.add_argument("--window", default="7d", help="conversion window from the first step (default 7d)")
    p.add_argument("--by", choices=["endpoint", "user"], default="endpoint")
    p.add_argument(
        "--breakdown", metavar="COLUMN", help="split by an endpoint column (platform, country, ...)"
    )
    _scope_args(p)
    p.set_defaults(handler=cmd_funnel)

    p = add_common(sub.add_parser("dashboard", help="write a dashboard as one offline HTML file"), True)
    p.add_argument(
        "name", metavar="NAME", help="overview, usage, revenue, events, funnels, demographics, retention"
    )
    p.add_argument("--out", required=True, type=Path, metavar="FILE.html")
    p.add_argument("--png", action="store_true", help="also write the charts as FILE.png")
    _scope_args(p)
    p.set_defaults(handler=cmd_dashboard)

    p = add_common(
        sub.add_parser("report", help="run report notebooks (papermill) and export them to HTML"), True
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="a report name (see notebooks/)")
    p.add_argument("--all", action="store_true", help="every report notebook")
    p.add_argument("--param", action="append", metavar="K=V", help="a notebook parameter (repeatable)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output folder (default reports/)")
    p.set_defaults(handler=cmd_report)
