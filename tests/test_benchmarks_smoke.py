"""Every benchmark script still runs end to end (at a tiny size) and prints its figure and ratio.

The figures themselves are measured with ``make bench`` at full size; this only keeps the scripts from
breaking silently when the code they time changes shape.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

SMALL = {
    "bench_cli_start.py": ["--runs", "1", "--dir", "{tmp}/cli"],
    "bench_import.py": ["--endpoints", "3000", "--repeats", "1"],
    "bench_import_stages.py": ["--endpoints", "3000", "--repeats", "1", "--dir", "{tmp}/stages"],
    "bench_endpoint_filter.py": ["--endpoints", "5000", "--repeats", "1"],
    "bench_segment_count.py": ["--endpoints", "3000", "--events", "20000", "--repeats", "1"],
    "bench_update.py": ["--endpoints", "3000", "--update", "1000", "--repeats", "1"],
    "bench_widget_count.py": ["--endpoints", "3000", "--events", "20000"],
    "bench_send.py": ["--messages", "300"],
    "bench_render.py": ["--rows", "2000", "--sample", "500", "--repeats", "1"],
    "bench_funnel.py": ["--endpoints", "2000", "--events", "20000", "--runs", "1", "--data", "{tmp}/funnel"],
    "bench_dry_run.py": ["--endpoints", "3000", "--repeats", "1"],
    "bench_campaign_plan.py": ["--endpoints", "300", "--repeats", "1"],
    "bench_journey_tick.py": ["--participants", "3000", "--repeats", "1"],
    "bench_journey_simulate.py": ["--endpoints", "300", "--days", "3", "--repeats", "1"],
    "bench_dashboard_export.py": [
        *("--endpoints", "2000", "--events", "20000", "--runs", "1", "--data", "{tmp}/dashboard"),
    ],
    "bench_dashboards.py": [
        *("--endpoints", "2000", "--events", "20000", "--repeats", "1", "--only", "overview", "events"),
        *("--data", "{tmp}/dashboards"),
    ],
}


def test_every_benchmark_script_is_covered():
    assert sorted(p.name for p in BENCHMARKS.glob("bench_*.py")) == sorted(SMALL)


@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_runs_at_a_tiny_size(script, tmp_path):
    args = [a.format(tmp=tmp_path) for a in SMALL[script]]
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    figures, ratios = printed_numbers(done.stdout)
    assert figures, f"no figure (a number of seconds or messages per second) printed:\n{done.stdout[-2000:]}"
    assert ratios, f"no ratio (a number followed by x) printed:\n{done.stdout[-2000:]}"
    assert all(math.isfinite(f) and f >= 0 for f in figures), figures
    assert all(math.isfinite(r) and r >= 0 for r in ratios)  # a tiny stage can print 0.00x, ratios


#: "1.234 s", "12,345 msgs/s": a measured figure; "ratio 1.23x", "0.85x": its ratio to the baseline
_FIGURE = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?) (?:s|msgs/s)\b")
_RATIO = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?|inf|nan)x\b")


def printed_numbers(text: str) -> tuple[list[float], list[float]]:
    """The figures and the ratios a benchmark printed, as numbers (a ratio "infx" or "nanx" reads as such)."""
    figures = [float(m.replace(",", "")) for m in _FIGURE.findall(text)]
    ratios = [float(m.replace(",", "")) for m in _RATIO.findall(text)]
    return figures, ratios


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("count: 0.120 s; SELECT count(*): 0.100 s; ratio 1.20x  (target <= 2.0x: met)", True),
        ("  smtp adapter + ledger + events: 1.50 s = 1,200 msgs/s\nratio 0.85x the bare loop's", True),
        ("count: 0.120 s; SELECT count(*): 0.000 s; ratio infx", False),
        ("count: 0.120 s; ratio nanx", False),
        ("done; ratio x", False),
        ("target met", False),
    ],
)
def test_the_output_check_itself(text, ok):
    figures, ratios = printed_numbers(text)
    good = (
        bool(figures) and bool(ratios) and all(math.isfinite(r) and r >= 0 for r in ratios)
    )  # a tiny stage can print 0.00x
    assert good == ok
