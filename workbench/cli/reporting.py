"""``workbench kpi``, ``workbench funnel``, ``workbench dashboard`` and ``workbench report``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from .common import add_common, emit, open_project, project_dir, skip_iri_grammar, warnings_to_stderr


def _scope_args(p: argparse.ArgumentParser, segment: bool = True, country: bool = True) -> None:
    p.add_argument("--start", metavar="D", help="first day, YYYY-MM-DD (default: 30 days before --end)")
    p.add_argument("--end", metavar="D", help="last day, inclusive (default: the last day with events)")
    if segment:
        p.add_argument("--segment", metavar="NAME", help="only endpoints in this segment")
        p.add_argument(
            "--platform", metavar="NAME", help="only endpoints on this platform (Demographic.Platform)"
        )
        p.add_argument("--channel", metavar="TYPE", help="only endpoints of this ChannelType")
    if segment and country:
        p.add_argument(
            "--country",
            metavar="CODE",
            help="only endpoints in this country (Location.Country, ISO 3166 alpha-2: US, GB, DE)",
        )


def _country(args: argparse.Namespace) -> dict[str, str]:
    """``where=`` for ``--country`` (the code meant, with a warning when it was written otherwise)."""
    from ..segments.countries import country_filter

    return {"where": country_filter(args.country)} if getattr(args, "country", None) else {}


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
    project = open_project(args)
    with warnings_to_stderr():
        options |= _country(args)
        result = kpi(
            project,
            args.name,
            args.start,
            args.end,
            args.segment,
            campaign=args.campaign,
            journey=args.journey,
            **options,
        )
    payload = result.to_dict()
    payload["note"] = _kpi_note(project, result)
    lines = [f"{result.kpi} {result.scope.start}..{result.scope.end}: {_fmt(result.total)}"]
    if payload["note"]:
        lines.append(f"note: {payload['note']}")
    else:
        lines += [f"  {r['date']}  {_fmt(r['value'])}" for r in payload["rows"]]
    emit(args, payload, "\n".join(lines))
    return 0


def _kpi_note(project: Any, result: Any) -> str | None:
    """Why a KPI's figures are empty or zero, when we can tell: no events in the range, or purchases that carry
    no price metric (for the revenue KPIs)."""
    from ..analytics.events import no_data_note
    from ..analytics.revenue import revenue_note

    note = no_data_note(result.scope)
    if note is None and result.unit == "currency" and not result.total:
        note = revenue_note(project, result.scope)
    return note


def cmd_funnel(args: argparse.Namespace) -> int:
    from ..analytics import funnel
    from ..analytics.funnels import parse_window

    parse_window(args.window)  # a bad window fails before the project is opened
    project = open_project(args)
    with warnings_to_stderr():
        result = funnel(
            project,
            args.step,
            args.start,
            args.end,
            args.segment,
            window=args.window,
            by=args.by,
            breakdown=args.breakdown,
            platform=args.platform,
            channel=args.channel,
            **_country(args),
        )
    payload = result.to_dict()
    lines = [f"funnel of {args.by}s, entered {payload['start']}..{payload['end']}, window {args.window}:"]
    lines += _funnel_lines(payload["steps"])
    for block in payload.get("breakdown", {}).get("values", []):
        lines.append(f"{payload['breakdown']['column']} = {block['value']}:")
        lines += _funnel_lines(block["steps"])
    if result.note:
        lines.append(f"note: {result.note}")
    emit(args, payload, "\n".join(lines))
    return 0


def _funnel_lines(steps: list[dict[str, Any]]) -> list[str]:
    """One text line per step: number, label, count, conversion from step 1 and the drop-off."""
    lines = []
    for s in steps:
        conv = f"{s['conversion']:.1%}" if s["conversion"] is not None else "–"
        lines.append(f"  {s['step']}. {s['label']:40} {s['count']:>10,}  {conv:>7}  (-{s['drop_off']:,})")
    return lines


def cmd_dashboard(args: argparse.Namespace) -> int:
    skip_iri_grammar()
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
    from ..reports import list_reports, parse_params, run_reports

    if args.list:
        found = list_reports()
        payload = {"reports": [{"name": r["name"], "parameters": r["parameters"]} for r in found]}
        lines = []
        for r in found:
            lines.append(f"{r['name']}  ({r['notebook']})")
            for param in r["parameters"]:
                default = json.dumps(param["default"])
                lines.append(f"  {param['name']:14} {default:24} {param['help']}".rstrip())
        emit(args, payload, "\n".join(lines) or "no report notebooks found")
        return 0
    if not args.all and not args.name:
        raise InputError("name a report, or give --all (or --list to see them)")
    params = parse_params(args.param or [])
    project = project_dir(args)
    if project and "project_path" not in params:
        params["project_path"] = str(Path(project).resolve())
    results = run_reports(
        None if args.all else [args.name],
        params=params,
        out_dir=Path(args.out),
        progress=not args.json,
        cell_timeout=args.cell_timeout or None,
    )
    payload = {"reports": [r.to_dict() for r in results]}
    emit(
        args, payload, "\n".join(f"wrote {r.html} ({r.html.stat().st_size / 1024:,.0f} KiB)" for r in results)
    )
    return 0


def _seconds(text: str) -> float:
    """``--cell-timeout``'s value: a number of seconds, 0 or more (argparse names the option when it fails)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"must be 0 (no limit) or a positive number of seconds, not {text!r}"
        )
    return value


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
    p.add_argument(
        "--window",
        default="7d",
        help="conversion window from the first step, with a unit: 30m, 24h, 7d, 2w (default 7d)",
    )
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
    _scope_args(p, country=False)
    p.set_defaults(handler=cmd_dashboard)

    p = add_common(
        sub.add_parser("report", help="run report notebooks (papermill) and export them to HTML"), True
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="a report name (see notebooks/)")
    p.add_argument("--all", action="store_true", help="every report notebook")
    p.add_argument("--list", action="store_true", help="list the reports with their parameters and defaults")
    p.add_argument("--param", action="append", metavar="K=V", help="a notebook parameter (repeatable)")
    p.add_argument("--out", default="reports", metavar="DIR", help="output folder (default reports/)")
    p.add_argument(
        "--cell-timeout",
        type=_seconds,
        default=1800.0,
        metavar="SECONDS",
        help="stop the run when one cell runs longer than this (default 1800; 0: no limit)",
    )
    p.set_defaults(handler=cmd_report)
