"""The demo: deterministic synthetic data (``generator``, built from fixed ``tables``) and the end-to-end job
that imports it, saves segments and writes the reports (``runner``, what ``workbench demo`` runs)."""

from .generator import (
    DEFAULT_END_DATE,
    ENDPOINT_CSV_HEADER,
    DemoFiles,
    generate_demo_files,
    generate_endpoints,
)
from .runner import DEMO_SEGMENTS, DemoSummary, run_demo

__all__ = [
    "DEFAULT_END_DATE",
    "DEMO_SEGMENTS",
    "ENDPOINT_CSV_HEADER",
    "DemoFiles",
    "DemoSummary",
    "generate_demo_files",
    "generate_endpoints",
    "run_demo",
]
