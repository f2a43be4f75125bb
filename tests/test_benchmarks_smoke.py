"""Every benchmark script still runs end to end (at a tiny size) and prints its figure and ratio.

The figures themselves are measured with ``make bench`` at full size; this only keeps the scripts from
breaking silently when the code they time changes shape.
"""

from __future__ import annotations

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
    "bench_journey_tick.py": ["--participants", "3000", "--repeats", "1"],
    "bench_dashboard_export.py": [
        *("--endpoints", "2000", "--events", "20000", "--runs", "1", "--data", "{tmp}/dashboard"),
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
    assert "ratio" in done.stdout or "target" in done.stdout, done.stdout[-2000:]
