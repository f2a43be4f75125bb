"""Command group (being built): registered in cli/__init__.py GROUPS."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Register this group's subcommands (none yet)."""
