"""What every command module shares: ``--project`` / ``--json`` options, opening the project, printing results.

Command modules import only the standard library at their top, and what a command needs inside its handler,
so that ``workbench --help`` and every command start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import WorkbenchError

if TYPE_CHECKING:
    from ..project import Project


def add_common(parser: argparse.ArgumentParser, json_flag: bool = False) -> argparse.ArgumentParser:
    """Add ``--project DIR`` (and ``--json`` when the command prints a JSON object)."""
    parser.add_argument("--project", metavar="DIR", help="project folder (default: $WORKBENCH_PROJECT)")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def project_dir(args: argparse.Namespace) -> str | None:
    """The project folder named by ``--project``, else ``$WORKBENCH_PROJECT`` (None when neither is set)."""
    return args.project or os.environ.get("WORKBENCH_PROJECT") or None


def open_project(args: argparse.Namespace) -> Project:
    """The project named by ``--project`` or ``$WORKBENCH_PROJECT``."""
    from ..project import Project

    path = project_dir(args)
    if not path:
        raise WorkbenchError("no project: give --project DIR or set WORKBENCH_PROJECT")
    return Project.open(path)


def skip_iri_grammar() -> None:
    """Keep jsonschema from building its IRI grammar when Altair imports it: about 1 s of every chart command.

    Speed: ``benchmarks/bench_dashboards.py`` (the dashboard commands; about a quarter of the smaller ones).
    jsonschema imports the optional ``rfc3987_syntax`` (installed for JupyterLab), which compiles a Lark grammar
    at import, only to offer an "iri" format check; Altair never checks formats. Marking the module absent in this
    command's own process makes jsonschema skip that check, as it does when the package is not installed.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str | None = None) -> None:
    """Print one JSON object (with --json) or the human text."""
    if getattr(args, "json", False):
        print(json.dumps(payload, default=str))
    else:
        print(text if text is not None else "\n".join(f"{k}: {v}" for k, v in payload.items()))


@contextmanager
def warnings_to_stderr():
    """Print the warnings raised inside (an unknown event type, a country written as a name) as
    ``warning: ...`` lines on stderr, once each, after the block; they never go to the --json stdout."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield caught
        finally:
            for message in dict.fromkeys(str(w.message) for w in caught):
                print(f"warning: {message}", file=sys.stderr)
