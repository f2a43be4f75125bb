"""The README describes the code as it is: every ``workbench`` command it writes is a real command (with real
options), every ``project.<namespace>.<method>`` it names exists, every ``from workbench... import name`` in its
Python examples resolves, and every segment it reads is one the demo or the README itself makes."""

from __future__ import annotations

import argparse
import ast
import importlib
import re
from pathlib import Path

import pytest

from workbench import project as project_module
from workbench.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`([^`\n]+)`")
# `workbench` as a command: at a line start, after a path (.venv/bin/), a space or a backtick; then its words
COMMAND = re.compile(r"(?:^|(?<=[\s/`(]))workbench[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?(.*)$", re.M)
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
# where a command's own words end on a line: a shell operator, a comment, the "(json)" key notes
COMMAND_END = re.compile(r"\s(?:&&|>>|>|;|#|\(json\))")
NAMESPACED = re.compile(r"(?<![\w./])project\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
NAMESPACES = {
    "endpoints": project_module.Endpoints,
    "events": project_module.Events,
    "segments": project_module.Segments,
    "templates": project_module.Templates,
    "suppression": project_module.Suppression,
    "campaigns": project_module.Campaigns,
    "journeys": project_module.Journeys,
}


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def code_snippets(text: str) -> list[str]:
    """Every fenced block's body and every inline code span outside the blocks."""
    outside = FENCE.sub("", text)
    return [body for _, body in code_blocks(text)] + INLINE.findall(outside)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def options(parser: argparse.ArgumentParser) -> set[str]:
    found = {s for a in parser._actions for s in a.option_strings}
    for sub in subcommands(parser).values():
        found |= options(sub)
    return found


def written_commands(text: str) -> list[tuple[str, str | None, list[str], str]]:
    """(command, next word, options, the line) for every ``workbench ...`` written in code; Python lines that
    import the package (``from workbench import Project``) are not commands."""
    found = []
    for snippet in code_snippets(text):
        for line in snippet.splitlines():
            if re.match(r"\s*(from|import)\s", line):
                continue
            for m in COMMAND.finditer(line):
                rest = COMMAND_END.split(m.group(3))[0]
                found.append((m.group(1), m.group(2), OPTION.findall(rest), line.strip()))
    return found


def check_commands(text: str) -> list[str]:
    """What in ``text`` names a command, subcommand or option that ``workbench`` does not have."""
    top = subcommands(build_parser())
    problems = []
    for command, word, opts, line in written_commands(text):
        parser = top.get(command)
        if parser is None:
            problems.append(f"no command `workbench {command}`: {line}")
            continue
        subs = subcommands(parser)
        if subs:
            if word not in subs:
                problems.append(f"no command `workbench {command} {word}`: {line}")
                continue
            # `segment list | show NAME | export NAME --out FILE`: the options of any of the alternatives
            parser = parser if "|" in line else subs[word]
        problems += [
            f"`workbench {command}` has no option {o}: {line}" for o in opts if o not in options(parser)
        ]
    return problems


def check_project_names(text: str) -> list[str]:
    """What in ``text``'s code names ``project.<x>`` or ``project.<namespace>.<method>`` that does not exist."""
    problems = []
    for snippet in code_snippets(text):
        for m in NAMESPACED.finditer(snippet):
            first, second = m.group(1), m.group(2)
            if first == "py":  # the file name project.py
                continue
            if not hasattr(project_module.Project, first):
                problems.append(f"Project has no {first!r}: {m.group(0)}")
            elif first in NAMESPACES and second and not hasattr(NAMESPACES[first], second):
                problems.append(f"project.{first} has no {second!r}: {m.group(0)}")
    return problems


def check_python_imports(text: str) -> list[str]:
    """Python blocks that do not parse, and ``from workbench... import name`` that does not resolve."""
    problems = []
    for lang, body in code_blocks(text):
        if lang != "python":
            continue
        try:
            tree = ast.parse(body)
        except SyntaxError as err:
            problems.append(f"a python block does not parse: {err}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench"):
                module = importlib.import_module(node.module)
                problems += [
                    f"{node.module} has no {a.name!r}" for a in node.names if not hasattr(module, a.name)
                ]
    return problems


SEGMENT_READ = [
    r"segment=\"([^\"]+)\"",
    r"--segment ([a-z0-9][a-z0-9-]*)",
    r"segments\.(?:load|count)\(\"([^\"]+)\"",
    r"segment (?:count|show|export) ([a-z0-9][a-z0-9-]*)",
    r"\"Segments\": \[\{\"Id\": \"([^\"]+)\"",
]
SEGMENT_MADE = [
    r"segments\.(?:create|save_endpoints)\(\"([^\"]+)\"",
    r"\.save\(\"([^\"]+)\"\)",
    r"segment create ([a-z0-9][a-z0-9-]*)",
    r"workbench import [^\n`]*--segment ([a-z0-9][a-z0-9-]*)",
]


def segment_names(text: str) -> tuple[set[str], set[str]]:
    """(segments the README's code reads, segments it makes itself)."""
    code = "\n".join(code_snippets(text))
    read = {n for p in SEGMENT_READ for n in re.findall(p, code)}
    made = {n for p in SEGMENT_MADE for n in re.findall(p, code)}
    return read, made


def test_every_command_in_the_readme_exists():
    assert written_commands(readme_text()), "the README's commands were not found: is the pattern stale?"
    assert check_commands(readme_text()) == []


def test_every_project_name_in_the_readme_exists():
    assert check_project_names(readme_text()) == []


def test_python_examples_parse_and_their_imports_resolve():
    assert check_python_imports(readme_text()) == []


def test_the_checks_catch_what_does_not_exist():
    bad = (
        "```sh\n.venv/bin/workbench campaigns send spring --project acme\nworkbench endpoints delete\n"
        "workbench report --since 2026-10-01\nworkbench segment export x --out f.csv --spec s.json\n```\n"
        "`workbench import f.csv --segment s` and `project.count_endpoints()`, `project.endpoints.upsert(x)`\n"
        "```python\nfrom workbench.segments import save_segment\nproject.import_events('x')\n```\n"
    )
    assert check_commands(bad) == [
        "no command `workbench campaigns`: .venv/bin/workbench campaigns send spring --project acme",
        "no command `workbench endpoints delete`: workbench endpoints delete",
        "`workbench report` has no option --since: workbench report --since 2026-10-01",
        "`workbench segment` has no option --spec: workbench segment export x --out f.csv --spec s.json",
    ]
    assert check_project_names(bad) == [
        "Project has no 'import_events': project.import_events",
        "Project has no 'count_endpoints': project.count_endpoints",
        "project.endpoints has no 'upsert': project.endpoints.upsert",
    ]
    assert check_python_imports(bad) == ["workbench.segments has no 'save_segment'"]
    good = (
        "```python\nfrom workbench import Project\nproject.endpoints.count()\n```\n`workbench segment list`"
    )
    assert (check_commands(good), check_project_names(good), check_python_imports(good)) == ([], [], [])


@pytest.fixture(scope="module")
def demo_segments(tmp_path_factory) -> set[str]:
    """The segments that ``workbench demo`` saves (on a tiny demo, without reports)."""
    from workbench.demo import run_demo

    summary = run_demo(
        tmp_path_factory.mktemp("readme") / "demo", endpoints=300, progress=False, reports_dir=None
    )
    return set(summary.segments)


def test_every_segment_the_readme_reads_is_made_by_the_demo_or_the_readme(demo_segments):
    read, made = segment_names(readme_text())
    assert read, "the README's segment names were not found: is the pattern stale?"
    assert read - made - demo_segments == set()


def test_the_segment_check_sees_a_segment_nobody_makes():
    read, made = segment_names('`project.kpi("sessions", segment="ios-users")`, `workbench segment create a`')
    assert (read, made) == ({"ios-users"}, {"a"})
