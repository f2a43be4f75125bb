"""``workbench journey create | activate | pause | resume | cancel | simulate | status | list | show``
(the CLI contract of ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from pathlib import Path

from .common import add_common, emit, open_project


def cmd_create(args: argparse.Namespace) -> int:
    from ..journeys.spec import save_journey

    journey = save_journey(open_project(args), args.name, Path(args.spec), file=str(args.spec))
    emit(
        args,
        {
            "journey": journey.name,
            "id": journey.journey_id,
            "version": journey.version,
            "state": journey.state,
        },
        f"saved journey {journey.name!r} version {journey.version} ({journey.state})",
    )
    return 0


def _set_state(args: argparse.Namespace, state: str) -> int:
    from ..journeys.spec import load_journey, set_journey_state

    project = open_project(args)
    set_journey_state(project, args.name, state)
    journey = load_journey(project, args.name)
    emit(
        args,
        {"journey": journey.name, "id": journey.journey_id, "state": journey.state},
        f"{journey.name}: {journey.state}",
    )
    return 0


def parse_step(text: str) -> timedelta:
    """``--step``: a duration with a unit, as the CLI's other windows (30m, 1h, 6h, 1d, 2w)."""
    from ..analytics._common import parse_duration
    from ..errors import InputError

    if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", text):
        n = text.strip()
        raise InputError(
            f"{text!r} is not a duration: give it a unit, e.g. {n}h (hours), {n}d (days) or {n}m (minutes)",
            field="--step",
        )
    return parse_duration(text, "--step")


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..journeys.simulate import simulate
    from ..journeys.spec import load_journey

    step = parse_step(args.step)  # a bad step fails before the project is opened
    project = open_project(args)
    result = simulate(project, load_journey(project, args.name), start=args.start, end=args.end, step=step)
    payload = result.to_dict()
    if args.out:
        Path(args.out).write_text(
            "<!doctype html><meta charset='utf-8'><title>Journey simulation</title>" + result._repr_html_(),
            encoding="utf-8",
        )
        payload["out"] = args.out
    emit(args, payload, json.dumps(payload, indent=2, default=str))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ..journeys.engine import journey_metrics
    from ..journeys.spec import load_journey

    project = open_project(args)
    journey = load_journey(project, args.name)
    payload = {
        "journey": journey.name,
        "id": journey.journey_id,
        "version": journey.version,
        "state": journey.state,
        "metrics": journey_metrics(project, journey),
    }
    emit(args, payload, json.dumps(payload, indent=2, default=str))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from ..journeys.spec import list_journeys

    rows = list_journeys(open_project(args))
    text = "\n".join(f"{r['name']}\t{r['state']}\tv{r['version']}" for r in rows) or "no journeys"
    emit(args, {"journeys": rows}, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..journeys.spec import load_journey

    journey = load_journey(open_project(args), args.name, version=args.version)
    payload = {
        "journey": journey.name,
        "id": journey.journey_id,
        "version": journey.version,
        "state": journey.state,
        "spec": journey.request,
    }
    emit(args, payload, journey.to_json())
    return 0


def register(subparsers) -> None:
    """Add ``journey`` and its actions to the ``workbench`` parser."""
    journey = subparsers.add_parser("journey", help="create, validate, simulate, run and follow journeys")
    sub = journey.add_subparsers(dest="journey_command", required=True, metavar="ACTION")

    p = add_common(
        sub.add_parser("create", help="save a Pinpoint WriteJourneyRequest JSON (validated)"), True
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--spec", required=True, metavar="FILE.json")
    p.set_defaults(handler=cmd_create)

    for action, state, text in (
        ("activate", "ACTIVE", "start running the journey on each tick"),
        ("pause", "PAUSED", "stop advancing participants until resumed"),
        ("resume", "ACTIVE", "advance participants again"),
        ("cancel", "CANCELLED", "stop the journey for good"),
    ):
        p = add_common(sub.add_parser(action, help=text), True)
        p.add_argument("name", metavar="NAME")
        p.set_defaults(handler=lambda args, state=state: _set_state(args, state))

    p = add_common(
        sub.add_parser("simulate", help="run the journey over a past window, sending nothing"), True
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--start", required=True, metavar="ISO8601")
    p.add_argument("--end", required=True, metavar="ISO8601")
    p.add_argument(
        "--step",
        default="1h",
        metavar="DURATION",
        help="how often the simulated clock ticks, with a unit: 30m, 1h, 6h, 1d (default 1h)",
    )
    p.add_argument("--out", metavar="FILE.html", help="also write the diagram with its counts as HTML")
    p.set_defaults(handler=cmd_simulate)

    p = add_common(sub.add_parser("status", help="state and metrics per activity"), True)
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_status)

    p = add_common(sub.add_parser("list", help="all journeys"), True)
    p.set_defaults(handler=cmd_list)

    p = add_common(sub.add_parser("show", help="a journey's stored JSON"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K")
    p.set_defaults(handler=cmd_show)
