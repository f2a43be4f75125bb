"""``workbench campaign create | dry-run | preview | send | pause | resume | status | list | show`` and
``workbench tick`` (the CLI contract of ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import add_common, emit, open_project


def cmd_create(args: argparse.Namespace) -> int:
    from ..campaigns.spec import save_campaign

    campaign = save_campaign(open_project(args), args.name, Path(args.spec), file=str(args.spec))
    emit(
        args,
        {
            "campaign": campaign.name,
            "id": campaign.campaign_id,
            "version": campaign.version,
            "state": campaign.state,
        },
        f"saved campaign {campaign.name!r} version {campaign.version} ({campaign.state})",
    )
    return 0


def cmd_dry_run(args: argparse.Namespace) -> int:
    from ..campaigns.dry_run import dry_run
    from ..campaigns.spec import load_campaign

    project = open_project(args)
    report = dry_run(project, load_campaign(project, args.name, version=args.version), now=args.now)
    payload = report.to_dict()
    emit(args, payload, _dry_run_text(payload))
    return 0


def _dry_run_text(d: dict) -> str:
    lines = [f"campaign {d.get('campaign')} (version {d.get('version')}): dry-run, nothing sent"]
    lines.append(f"  targeted endpoints   {d['targeted']:>10,}")
    for t in d["treatments"]:
        sms = t.get("sms") or {}
        extra = f"   SMS parts {sms.get('parts', 0):,}, est. cost {sms.get('estimated_cost')}" if sms else ""
        lines.append(f"  {t['name'][:20]:<20} {t['messages']:>10,} messages ({t['size_percent']:g}%){extra}")
    lines.append(f"  holdout              {d['holdout']:>10,}")
    for reason, n in d["excluded"].items():
        lines.append(f"  excluded {reason:<22} {n:>10,}")
    total = d.get("render_errors_total", len(d["render_errors"]))
    lines.append(f"  render errors        {total:>10,}")
    for e in d["render_errors"][:5]:
        lines.append(f"    endpoint {e['endpoint_id']}: {e['part']}: {e['reason']}")
    for w in (d.get("waves") or [])[:12]:
        lines.append(f"  wave {w['due_at']}  {w.get('zone') or '':<24} {w['endpoints']:>10,}")
    return "\n".join(lines)


def cmd_preview(args: argparse.Namespace) -> int:
    from ..campaigns.preview import preview
    from ..campaigns.spec import load_campaign

    project = open_project(args)
    shown = preview(
        project, load_campaign(project, args.name), endpoint_id=args.endpoint, treatment=args.treatment
    )
    payload = shown.to_dict()
    emit(args, payload, json.dumps(payload, indent=2, default=str))
    return 0


def _status_text(d: dict) -> str:
    lines = [f"campaign {d['campaign']} (version {d['version']}): {d['state']}"]
    if d.get("note"):
        lines.append(f"  {d['note']}")
    if d.get("next_run"):
        lines.append(f"  next run: {d['next_run']}")
    for r in d["runs"]:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(r["messages"].items()))
        lines.append(f"  {r['due_at']} {r.get('zone') or '':<20} {r['state']:<10} {counts}")
    if not d["runs"]:
        lines.append("  no runs yet")
    return "\n".join(lines)


def cmd_send(args: argparse.Namespace) -> int:
    from ..campaigns.run import send_campaign

    status = send_campaign(open_project(args), args.name, now=args.now).to_dict()
    emit(args, status, _status_text(status))
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    from ..campaigns.run import pause_campaign

    status = pause_campaign(open_project(args), args.name).to_dict()
    emit(args, status, _status_text(status))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from ..campaigns.run import resume_campaign

    status = resume_campaign(open_project(args), args.name, now=args.now).to_dict()
    emit(args, status, _status_text(status))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ..campaigns.run import campaign_status

    status = campaign_status(open_project(args), args.name, now=args.now).to_dict()
    emit(args, status, _status_text(status))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..campaigns.run import list_campaigns_with_state

    rows = list_campaigns_with_state(open_project(args))
    text = "\n".join(f"{r['name']}\t{r['state']}\tv{r['version']}" for r in rows) or "no campaigns"
    emit(args, {"campaigns": rows}, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..campaigns.spec import load_campaign

    campaign = load_campaign(open_project(args), args.name, version=args.version)
    payload = {
        "campaign": campaign.name,
        "id": campaign.campaign_id,
        "version": campaign.version,
        "spec": campaign.request,
    }
    emit(args, payload, campaign.to_json())
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    from ..scheduler import tick

    done = tick(open_project(args), now=args.now)
    lines = [f"tick at {done['now']} ({done['seconds']} s)"]
    for c in done["campaigns"]:
        lines.append(
            f"  campaign {c['campaign']}: planned {c['planned'] or 'nothing'}, {len(c['sent'])} runs sent"
        )
    for j in done["journeys"]:
        lines.append(
            f"  journey {j['journey']}: {json.dumps({k: v for k, v in j.items() if k not in ('journey', 'id')})}"
        )
    if len(lines) == 1:
        lines.append("  nothing was due")
    emit(args, done, "\n".join(lines))
    return 0


def register(subparsers) -> None:
    """Add ``campaign`` and ``tick`` to the ``workbench`` parser."""
    campaign = subparsers.add_parser(
        "campaign", help="create, dry-run, preview, send, pause, resume and follow campaigns"
    )
    sub = campaign.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")

    p = add_common(
        sub.add_parser("create", help="save a Pinpoint WriteCampaignRequest JSON (new version)"), True
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--spec", required=True, metavar="FILE.json")
    p.set_defaults(handler=cmd_create)

    p = add_common(sub.add_parser("dry-run", help="who would get what, sending nothing"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K")
    p.add_argument("--now", metavar="ISO8601", help="the clock (default: now)")
    p.set_defaults(handler=cmd_dry_run)

    p = add_common(sub.add_parser("preview", help="the rendered messages of each treatment"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--endpoint", metavar="ID", help="this endpoint (default: a sample)")
    p.add_argument("--treatment", metavar="ID_OR_NAME")
    p.set_defaults(handler=cmd_preview)

    for action, handler, text in (
        ("send", cmd_send, "send what is due now (later waves and runs go with `workbench tick`)"),
        ("resume", cmd_resume, "resume a paused campaign and send what is due"),
        ("status", cmd_status, "state, runs and message counts"),
    ):
        p = add_common(sub.add_parser(action, help=text), True)
        p.add_argument("name", metavar="NAME")
        p.add_argument("--now", metavar="ISO8601", help="the clock (default: now)")
        p.set_defaults(handler=handler)

    p = add_common(sub.add_parser("pause", help="pause, also while another process is sending"), True)
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_pause)

    p = add_common(sub.add_parser("list", help="all campaigns"), True)
    p.set_defaults(handler=cmd_list)

    p = add_common(sub.add_parser("show", help="a campaign's stored JSON"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K")
    p.set_defaults(handler=cmd_show)

    p = add_common(
        subparsers.add_parser(
            "tick", help="run everything due: campaign runs, waves, triggers, journey steps"
        ),
        True,
    )
    p.add_argument("--now", metavar="ISO8601", help="the clock (default: now)")
    p.set_defaults(handler=cmd_tick)
