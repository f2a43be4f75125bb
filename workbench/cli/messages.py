"""``workbench template create | render | list | show`` and ``workbench sms parts`` (ARCHITECTURE.md, CLI contract)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import add_common, emit, open_project


def cmd_template_create(args: argparse.Namespace) -> int:
    from ..messages.templates import save_template

    saved = save_template(open_project(args), args.name, args.type, Path(args.spec), file=str(args.spec))
    emit(
        args,
        {"template": saved.name, "type": saved.type, "version": saved.version},
        f"saved {saved.type.lower()} template {saved.name!r} version {saved.version}",
    )
    return 0


def cmd_template_render(args: argparse.Namespace) -> int:
    from ..messages.templates import load_template

    template = load_template(open_project(args), args.name, type=args.type, version=args.version)
    preview = template.preview(args.endpoint)
    emit(args, preview.to_dict(), preview.text())
    return 0


def cmd_template_list(args: argparse.Namespace) -> int:
    from ..messages.templates import list_templates

    rows = list_templates(open_project(args))

    def version(r: dict) -> str:
        if r["active_version"] == r["latest_version"]:
            return f"v{r['active_version']}"
        return f"v{r['active_version']} active (latest v{r['latest_version']})"

    text = (
        "\n".join(
            f"{r['name']}\t{r['type'].lower()}\t{version(r)}\t{r['updated_at']:%Y-%m-%d %H:%M}\t{r['description']}"
            for r in rows
        )
        or "no templates"
    )
    emit(args, {"templates": rows}, text)
    return 0


def cmd_template_show(args: argparse.Namespace) -> int:
    from ..messages.templates import load_template

    template = load_template(open_project(args), args.name, type=args.type, version=args.version)
    payload = {
        "template": template.name,
        "type": template.type,
        "version": template.version,
        "spec": template.to_json(),
    }
    # without --json: the request alone, ready to save again with ``template create --spec``
    emit(args, payload, json.dumps(template.to_json(), indent=2, ensure_ascii=False))
    return 0


def cmd_sms_parts(args: argparse.Namespace) -> int:
    from ..messages.sms import sms_parts

    info = sms_parts(args.text)
    payload = info.to_dict()
    extra = f" (not in GSM-7: {' '.join(info.non_gsm)})" if info.non_gsm else ""
    emit(
        args,
        payload,
        f"{info.encoding}, {info.characters} characters, {info.parts} part{'s' if info.parts != 1 else ''}{extra}",
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``template`` and ``sms`` and their actions to the ``workbench`` parser."""
    template = sub.add_parser("template", help="create, render, list and show message templates")
    actions = template.add_subparsers(dest="template_command", required=True, metavar="ACTION")

    p = add_common(
        actions.add_parser(
            "create", help="save a Pinpoint *TemplateRequest JSON as a template (a new version on every save)"
        ),
        True,
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--type", required=True, metavar="email|sms|push|voice")
    p.add_argument("--spec", required=True, metavar="FILE.json")
    p.set_defaults(handler=cmd_template_create)

    p = add_common(actions.add_parser("render", help="a template's parts rendered for one endpoint"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--endpoint", required=True, metavar="ID")
    p.add_argument("--version", type=int, metavar="K", help="a pinned version (default: the active one)")
    p.add_argument("--type", metavar="T", help="the template's type, when two types share the name")
    p.set_defaults(handler=cmd_template_render)

    p = add_common(actions.add_parser("list", help="all templates"), True)
    p.set_defaults(handler=cmd_template_list)

    p = add_common(actions.add_parser("show", help="a template's stored JSON"), True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("--version", type=int, metavar="K")
    p.add_argument("--type", metavar="T")
    p.set_defaults(handler=cmd_template_show)

    sms = sub.add_parser("sms", help="SMS helpers")
    sms_actions = sms.add_subparsers(dest="sms_command", required=True, metavar="ACTION")
    p = add_common(
        sms_actions.add_parser("parts", help="encoding, characters and parts of an SMS text"), True
    )
    p.add_argument("text", metavar="TEXT")
    p.set_defaults(handler=cmd_sms_parts)
