"""``workbench send``, ``workbench suppression add | remove | list | import`` and ``workbench delivery status |
resume | ambiguous | resolve`` (the CLI contract of ARCHITECTURE.md)."""

from __future__ import annotations

import argparse
import json

from ..errors import InputError
from .common import add_common, emit, open_project


def _substitutions(pairs: list[str]) -> dict[str, list[str]]:
    """``k=v`` pairs as Pinpoint's Substitutions (name -> list of values; a repeated name adds a value)."""
    out: dict[str, list[str]] = {}
    for i, pair in enumerate(pairs, 1):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{pair!r} is not NAME=VALUE", field=f"--substitution #{i}")
        out.setdefault(name.strip(), []).append(value)
    return out


def cmd_send(args: argparse.Namespace) -> int:
    from ..delivery import send_message

    project = open_project(args)
    outcome = send_message(
        project,
        channel=args.channel,
        template=args.template,
        parts={"Data": args.data} if args.data is not None else None,
        to=args.to,
        endpoint_id=args.endpoint,
        user_id=args.user,
        substitutions=_substitutions(args.substitution) or None,
        message_type=args.message_type,
        template_version=args.template_version,
        request_id=args.request_id,
    )
    payload = outcome.to_dict()
    lines = [
        f"{r['DeliveryStatus']:<18} {r['EndpointId'] or r['Address']}  {r['StatusMessage']}"
        for r in payload["results"]
    ]
    emit(args, payload, "\n".join([f"request {outcome.request_id} ({outcome.channel})", *lines]))
    return 0 if outcome.ok else 2


def _suppression(args: argparse.Namespace):
    from ..delivery import SuppressionList

    return SuppressionList.for_store(open_project(args))


def cmd_suppression_add(args: argparse.Namespace) -> int:
    sup = _suppression(args)
    added = sup.add(args.address, channel=args.channel, reason=args.reason, source="manual")
    key = sup.address_key(args.channel, args.address)
    emit(
        args,
        {"address_key": key, "channel": args.channel, "reason": args.reason.upper(), "added": added},
        f"{'suppressed' if added else 'already suppressed'}: {args.address} ({args.channel}, {args.reason.upper()})",
    )
    return 0


def cmd_suppression_remove(args: argparse.Namespace) -> int:
    removed = _suppression(args).remove(args.address, channel=args.channel, reason=args.reason)
    emit(args, {"removed": removed, "channel": args.channel}, f"removed {removed} suppression entries")
    return 0


def cmd_suppression_list(args: argparse.Namespace) -> int:
    rows = _suppression(args).list(channel=args.channel, address=args.address)
    text = "\n".join(f"{r['channel']}\t{r['reason']}\t{r['source']}\t{r['address_key']}" for r in rows)
    emit(args, {"entries": rows, "count": len(rows)}, text or "no suppressions")
    return 0


def cmd_suppression_import(args: argparse.Namespace) -> int:
    result = _suppression(args).import_file(args.file, reason=args.reason, channel=args.channel)
    emit(args, result.to_dict(), f"{args.file}: {result.added} added, {result.already} already suppressed")
    return 0


def _ledger(args: argparse.Namespace):
    from ..delivery import Ledger

    project = open_project(args)
    return project, Ledger.for_store(project)


def cmd_status(args: argparse.Namespace) -> int:
    _, ledger = _ledger(args)
    with ledger:
        if args.run:
            payload = ledger.counts(args.run).to_dict()
            text = json.dumps(payload, indent=2)
        else:
            payload = {"runs": ledger.runs()}
            text = "\n".join(f"{r['run']}\t{r['source']}\t{r['state']}" for r in payload["runs"]) or "no runs"
    emit(args, payload, text)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from ..delivery import send_run

    project, ledger = _ledger(args)
    with ledger:
        if ledger.run_state(args.run)[0] == "paused":
            ledger.unpause(args.run)
        reports = send_run(project, args.run, ledger=ledger, wait=not args.no_wait)
        payload = ledger.counts(args.run).to_dict()
    payload["sent"] = sum(r.sent for r in reports)
    payload["recovered"] = sum(r.recovered for r in reports)
    emit(args, payload, json.dumps(payload, indent=2))
    return 0


def cmd_ambiguous(args: argparse.Namespace) -> int:
    _, ledger = _ledger(args)
    with ledger:
        rows = [r.to_dict() for r in ledger.ambiguous(args.run)]
    text = "\n".join(f"{r['send_key']}\t{r['run']}\t{r['address']}\t{r['last_error']}" for r in rows)
    emit(args, {"ambiguous": rows, "count": len(rows)}, text or "no ambiguous messages")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    _, ledger = _ledger(args)
    with ledger:
        ledger.resolve(args.send_key, args.as_state)
    emit(args, {"send_key": args.send_key, "state": args.as_state}, f"{args.send_key}: {args.as_state}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``send``, ``suppression`` and ``delivery`` to the ``workbench`` parser."""
    p = add_common(
        sub.add_parser("send", help="send a transactional message (Pinpoint's SendMessages)"), True
    )
    p.add_argument(
        "--channel",
        required=True,
        metavar="C",
        help="email, sms, push, voice (with --template) or a custom channel (with --data)",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--to", metavar="ADDRESS", help="an e-mail address or phone number")
    who.add_argument("--endpoint", metavar="ID", help="an endpoint id")
    who.add_argument("--user", metavar="ID", help="every active endpoint of this user on the channel")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--template", metavar="NAME", help="a saved template (email, sms, push, voice)")
    what.add_argument(
        "--data",
        metavar="TEXT",
        help="a custom channel's message: Pinpoint's custom-channel Data (text or JSON; variables are filled in)",
    )
    p.add_argument("--template-version", type=int, metavar="K")
    p.add_argument("--substitution", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--message-type", choices=["TRANSACTIONAL", "PROMOTIONAL"], type=str.upper)
    p.add_argument(
        "--request-id", metavar="ID", help="idempotency: the same id never sends an accepted message twice"
    )
    p.set_defaults(handler=cmd_send)

    group = sub.add_parser("suppression", help="the suppression list (stores no addresses, only their HMACs)")
    actions = group.add_subparsers(dest="suppression_command", required=True, metavar="ACTION")
    reasons = ["BOUNCE", "COMPLAINT", "UNSUBSCRIBE", "SMS_STOP", "MANUAL"]
    p = add_common(actions.add_parser("add", help="suppress an address"), True)
    p.add_argument("address", metavar="ADDRESS")
    p.add_argument("--channel", default="email", metavar="C", help="email (default), sms, voice, push")
    p.add_argument("--reason", default="MANUAL", type=str.upper, choices=reasons)
    p.set_defaults(handler=cmd_suppression_add)
    p = add_common(actions.add_parser("remove", help="lift an address's suppression"), True)
    p.add_argument("address", metavar="ADDRESS")
    p.add_argument("--channel", default="email", metavar="C")
    p.add_argument("--reason", type=str.upper, choices=reasons, help="only this reason (default: all)")
    p.set_defaults(handler=cmd_suppression_remove)
    p = add_common(
        actions.add_parser("list", help="entries (address keys and reasons; never addresses)"), True
    )
    p.add_argument("--channel", metavar="C")
    p.add_argument("--address", metavar="ADDRESS", help="only this address's entries")
    p.set_defaults(handler=cmd_suppression_list)
    p = add_common(actions.add_parser("import", help="add the addresses of a text or CSV file"), True)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--reason", default="MANUAL", type=str.upper, choices=reasons)
    p.add_argument("--channel", metavar="C", help="default: from a channel column, else guessed per address")
    p.set_defaults(handler=cmd_suppression_import)

    group = sub.add_parser("delivery", help="the delivery ledger: runs, resume, ambiguous messages")
    actions = group.add_subparsers(dest="delivery_command", required=True, metavar="ACTION")
    p = add_common(actions.add_parser("status", help="recent runs, or one run's messages by state"), True)
    p.add_argument("run", nargs="?", metavar="RUN")
    p.set_defaults(handler=cmd_status)
    p = add_common(actions.add_parser("resume", help="send what a run still owes (clears a pause)"), True)
    p.add_argument("run", metavar="RUN")
    p.add_argument("--no-wait", action="store_true", help="do not wait for retries that are due later")
    p.set_defaults(handler=cmd_resume)
    p = add_common(actions.add_parser("ambiguous", help="messages that may or may not have gone"), True)
    p.add_argument("run", nargs="?", metavar="RUN")
    p.set_defaults(handler=cmd_ambiguous)
    p = add_common(
        actions.add_parser("resolve", help="settle an ambiguous message after reconciliation"), True
    )
    p.add_argument("send_key", metavar="SEND_KEY")
    p.add_argument("--as", dest="as_state", required=True, choices=["accepted", "failed", "retryable"])
    p.set_defaults(handler=cmd_resolve)
