"""The ``workbench`` command (the CLI contract of ARCHITECTURE.md), one module per command group.

Every command takes ``--project DIR`` (or ``WORKBENCH_PROJECT``). Commands with ``--json`` print exactly one
JSON object on stdout. Errors go to stderr with a non-zero exit code and say what was wrong and where.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import WorkbenchError
from . import campaigns, delivery, demo, doctor, endpoints, journeys, messages, reporting, segments

#: The command groups, in the order ``--help`` lists them.
GROUPS = (endpoints, demo, segments, messages, delivery, campaigns, journeys, reporting, doctor)


def build_parser() -> argparse.ArgumentParser:
    """The whole argument parser (every group registers its subcommands)."""
    parser = argparse.ArgumentParser(
        prog="workbench", description="Notebook-first customer-engagement workbench"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    return parser


def _project_first(argv: list[str]) -> list[str]:
    """``workbench --project P COMMAND ...`` as ``workbench COMMAND ... --project P``: the option belongs to the
    commands, but people put it first too."""
    if argv and argv[0].startswith("--project="):
        return [*argv[1:], argv[0]]
    if len(argv) > 1 and argv[0] == "--project":
        return [*argv[2:], *argv[:2]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``workbench`` console script."""
    args = build_parser().parse_args(_project_first(list(sys.argv[1:] if argv is None else argv)))
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()
        return code
    except WorkbenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader (``| head``) left: say nothing, and keep Python from complaining while it exits
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as err:
        # a damaged project (a data file removed or cut short by hand) surfaces as a DuckDB error: say so plainly
        if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
            raise
        detail = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
        print(
            f"error: the project's data could not be read: {detail}\n"
            "`workbench doctor --project DIR` checks the project and says what to do",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
