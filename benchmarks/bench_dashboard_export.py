"""Exporting the Overview dashboard for M endpoints and N events, against running its queries alone.

Prints the export time (queries + charts + offline HTML written to disk), its ratio to the same queries run
on their own in this process (target: at most 2x, i.e. rendering must not dominate), and the file's size.
Default 1M endpoints and 10M events; ``--endpoints``/``--events`` to run smaller.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of
from _reporting_data import build

from workbench import analytics as a
from workbench.analytics._common import resolve_scope
from workbench.dashboards import dashboard, vega_bundle


def overview_queries(project) -> None:
    """Exactly the analytics calls the Overview dashboard makes, without building any chart."""
    with project.reading():
        scope = resolve_scope(project)
        project.query(f"SELECT count(*) AS n FROM {scope.events()}")
        a.usage_summary(project, scope, users=False)
        a.revenue_summary(project, scope)
        a.sticky_factor(project, scope)
        a.new_active(project, scope)
        a.sessions(project, scope, users=False)
        a.revenue(project, scope)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--endpoints", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench")
    args = ap.parse_args()
    project = build(args.data, args.endpoints, args.events)
    vega_bundle()  # built once per machine and cached; not part of any one export
    out = args.data / "overview.html"
    queries, _ = best_of(lambda: overview_queries(project), args.runs)
    export, _ = best_of(lambda: dashboard(project, "overview").save(out), args.runs)
    size = out.stat().st_size
    print(f"overview dashboard, {args.endpoints:,} endpoints / {args.events:,} events")
    print(f"queries alone:        {queries:.3f} s")
    print(f"export (HTML written): {export:.3f} s  ratio {export / queries:.2f}x (target <= 2x)")
    print(f"file: {out} {size / 1024:,.0f} KiB (of which Vega bundle {len(vega_bundle()) / 1024:,.0f} KiB)")


if __name__ == "__main__":
    main()
