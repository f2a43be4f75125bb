"""Reports: run notebooks with papermill (with parameters), export them to offline HTML with nbconvert.

A *report* is a notebook in ``notebooks/`` whose metadata says ``{"workbench": {"report": true}}``; its name is
the file name without the number prefix (``05_dashboards.ipynb`` -> ``dashboards``). Each has a cell tagged
``parameters`` (``project_path``, ``start``, ``end``, ``segment``, ...; a comment after a default is its help,
listed by ``workbench report --list``). ``--param k=v`` values are converted to the type of the notebook's
default (a wrong type is refused before anything runs).

The project a report reads is its ``project_path`` parameter, else ``$WORKBENCH_PROJECT`` (as for every CLI
command), made absolute against the caller's working directory before the notebook runs in ``notebooks/``;
inside the notebook :func:`report_project_path` resolves it the same way, so the notebooks run from any
working directory. Reports only read the project.

The HTML hides code, keeps outputs and requests nothing from any host: each chart output (a Vega-Lite spec,
which JupyterLab draws itself) becomes a block drawn by the one copy of Vega the page inlines. A failing cell
stops the run with an error naming the notebook, the cell and the exception; the executed notebook is kept
next to the HTML for inspection. Schedule it with cron, e.g. every Monday at 06:00::

    0 6 * * 1  cd /srv/workbench && .venv/bin/workbench report --all --project /srv/acme --out /srv/reports/$(date +\\%F)
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dashboards import dashboard, dashboard_names
from .dashboards.charts import card_width
from .dashboards.export import BUNDLE_MARKER, VEGALITE_MIME_PATTERN, chart_block, vega_bundle, write_atomic
from .errors import InputError, UnknownNameError, WorkbenchError, suggest
from .progress import progress_bar

if TYPE_CHECKING:
    from .store import Store

KERNEL = "workbench"
#: how long one cell may run before the report is stopped (``--cell-timeout``): a scheduled report that hangs
#: (a query that never returns, a kernel reply lost) ends with an error instead of holding its cron slot forever
CELL_TIMEOUT_SECONDS = 1800.0
#: how long the notebook's kernel may take to start and answer (papermill's default); past it the run stops
KERNEL_START_SECONDS = 60.0
#: keeps papermill's records from Python's last-resort handler (which prints them to stderr)
_QUIET = logging.NullHandler()
_DATE_PARAMS = ("start", "end")
_OPTIONAL_PARAMS = ("project_path",)


class ReportError(WorkbenchError):
    """A report notebook failed: names the notebook, the cell and the error."""


@dataclass
class ReportResult:
    """One report run: its name, the executed notebook, the exported HTML page and how long it took."""

    name: str
    notebook: Path
    html: Path
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """This as a dict of plain JSON values (for ``--json`` output and reports)."""
        return {
            "name": self.name,
            "html": str(self.html),
            "notebook": str(self.notebook),
            "bytes": self.html.stat().st_size,
            "seconds": round(self.seconds, 2),
        }


def notebooks_dir() -> Path:
    """Where report notebooks live: ``$WORKBENCH_NOTEBOOKS``, else the repository's ``notebooks/``."""
    env = os.environ.get("WORKBENCH_NOTEBOOKS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "notebooks"


def report_name(path: Path) -> str:
    """A report's name: the notebook's file name without its number prefix, ``_`` as ``-``."""
    return re.sub(r"^\d+[_-]", "", path.stem).replace("_", "-")


def reports(folder: Path | None = None) -> dict[str, Path]:
    """Report name -> notebook path, for every notebook marked as a report."""
    folder = folder or notebooks_dir()
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        if meta.get("workbench", {}).get("report"):
            found[report_name(path)] = path
    return found


def report_parameters(notebook: Path) -> list[dict[str, Any]]:
    """The parameters of a report notebook, in order: ``name``, ``default`` (the Python value), ``type`` and
    ``help`` (the comment after the default in the ``parameters`` cell)."""
    import ast

    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    out = []
    for param in _infer_parameters(load_notebook_node(str(notebook)), language="python"):
        raw = param._asdict()
        try:
            default = ast.literal_eval(raw.get("default") or "None")
        except (ValueError, SyntaxError):
            default = raw.get("default")
        out.append({"name": param.name, "default": default, "type": _kind(raw), "help": param.help or ""})
    return out


def list_reports(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every report: ``name``, ``notebook`` (its path) and ``parameters`` (see :func:`report_parameters`)."""
    return [
        {"name": name, "notebook": str(path), "parameters": report_parameters(path)}
        for name, path in reports(folder).items()
    ]


def resolve_project_path(project_path: str | os.PathLike | None = None) -> Path | None:
    """The project a report reads: ``project_path``, else ``$WORKBENCH_PROJECT`` (the CLI's rule), absolute
    against the current working directory; None when neither is set."""
    chosen = str(project_path or "") or os.environ.get("WORKBENCH_PROJECT") or ""
    return Path(chosen).expanduser().resolve() if chosen else None


def report_project_path(project_path: str | os.PathLike | None = None) -> Path:
    """What a report notebook opens (``Project.open(report_project_path(project_path))``): see
    :func:`resolve_project_path`; an InputError saying how to name a project when there is none."""
    path = resolve_project_path(project_path)
    if path is None:
        raise InputError(
            "no project: set the report's project_path parameter (workbench report NAME --project DIR, or "
            "papermill -p project_path DIR) or the WORKBENCH_PROJECT environment variable",
            field="project_path",
        )
    return path


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """``["k=v", ...]`` -> ``{"k": "v"}`` (values stay text until matched to a notebook's parameter types)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{item!r}: write a parameter as key=value", field="--param")
        out[key.strip()] = value
    return out


def coerce_params(notebook: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Convert text values to the types of the notebook's parameter defaults; refuse unknown names and bad values."""
    from papermill.inspection import _infer_parameters
    from papermill.iorw import load_notebook_node

    nb = load_notebook_node(str(notebook))  # fills the cell metadata papermill expects
    declared = {p.name: p._asdict() for p in _infer_parameters(nb, language="python")}
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in declared and key in _OPTIONAL_PARAMS:
            continue  # passed to every report; notebooks that do not use it simply do not get it
        if key not in declared:
            raise InputError(
                f"{notebook.name} has no parameter {key!r}{suggest(key, declared)}; its parameters: {', '.join(declared)}",
                field=key,
            )
        kind = _kind(declared[key])
        out[key] = _convert(key, value, kind, notebook)
    if "project_path" in declared:
        # the notebook runs in notebooks/: a relative path (or $WORKBENCH_PROJECT) means the caller's folder
        resolved = resolve_project_path(out.get("project_path"))
        if resolved is not None:
            out["project_path"] = str(resolved)
    return out


def _kind(param: dict[str, Any]) -> str:
    """A parameter's type: its annotation (``x: int = 1``) or else the type of its literal default."""
    import ast

    annotated = (param.get("inferred_type_name") or "None").lower()
    if annotated != "none":
        return annotated
    try:
        value = ast.literal_eval(param.get("default") or "")
    except (ValueError, SyntaxError):
        return "str"
    return {bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}.get(type(value), "str")


def _convert(key: str, value: Any, kind: str, notebook: Path) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            low = value.strip().lower()
            if low not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return low in ("true", "1", "yes")
    except ValueError:
        raise InputError(
            f"{value!r} is not a valid {kind} for parameter {key!r} of {notebook.name}", field=key
        ) from None
    if key in _DATE_PARAMS and value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise InputError(
                f"{value!r} is not a date (YYYY-MM-DD) for parameter {key!r}", field=key
            ) from None
    if kind in ("list", "dict"):
        try:
            return json.loads(value)
        except ValueError:
            raise InputError(f"{value!r} is not JSON for the {kind} parameter {key!r}", field=key) from None
    return value


def check_writable(out_dir: Path) -> Path:
    """Create ``out_dir`` and prove a file can be written there; InputError saying why not."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{uuid.uuid4().hex}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as err:
        raise InputError(f"cannot write reports here: {err.strerror or err}", file=str(out_dir)) from err
    return out_dir


def _kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL if KERNEL in specs else "python3"


def kernel_config(kernel_name: str):
    """The kernel manager's settings for a report run: CurveZMQ keys provisioned by the manager when the
    kernelspec declares ``supported_encryption: curve`` (ours does, as ipykernel 7 installs it), else the IPC
    transport (Unix sockets in a private temporary folder). Either way the kernel does not run over plain TCP,
    so ipykernel has no "running over TCP without encryption" warning to print."""
    import tempfile

    import zmq
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from traitlets.config import Config

    try:
        metadata = KernelSpecManager().get_kernel_spec(kernel_name).metadata or {}
    except NoSuchKernel:
        metadata = {}
    supported = metadata.get("supported_encryption") or []
    supported = [supported] if isinstance(supported, str) else supported
    if zmq.has("curve") and "curve" in {str(x).lower() for x in supported}:
        return Config({"KernelManager": {"transport_encryption": "auto"}})
    folder = Path(tempfile.mkdtemp(prefix="workbench-kernel-"))
    return Config({"KernelManager": {"transport": "ipc", "ip": str(folder / "kernel")}})


def run_report(
    name: str,
    params: dict[str, Any] | None = None,
    out_dir: Path = Path("reports"),
    *,
    progress: bool = False,
    cell_timeout: float | None = CELL_TIMEOUT_SECONDS,
) -> ReportResult:
    """Run one report notebook with ``params`` and export it to ``out_dir/NAME.html``.

    A cell that runs longer than ``cell_timeout`` seconds (None: no limit) is interrupted and the run stops with
    a :class:`ReportError` naming the cell, as does a kernel that dies (out of memory, say)."""
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    known = reports()
    if name not in known:
        raise UnknownNameError(
            f"no report named {name!r}{suggest(name, known)}; valid reports: {', '.join(known) or 'none found'}"
            f" (in {notebooks_dir()})"
        )
    source = known[name]
    values = coerce_params(source, dict(params or {}))
    check_cell_timeout(cell_timeout)
    out_dir = check_writable(Path(out_dir))
    executed = out_dir / f"{name}.ipynb"
    html_path = out_dir / f"{name}.html"
    started = time.perf_counter()
    kernel = _kernel()
    # papermill logs a timeout or a dead kernel before raising; the ReportError below says it once, in full (a
    # handler of the caller's logging configuration still gets the records)
    logging.getLogger("papermill").addHandler(_QUIET)
    try:
        papermill.execute_notebook(
            str(source),
            str(executed),
            parameters=values,
            kernel_name=kernel,
            language="python",
            progress_bar=progress,
            cwd=str(source.parent),
            config=kernel_config(kernel),
            execution_timeout=cell_timeout,
            start_timeout=KERNEL_START_SECONDS,
            # a cell past the timeout is interrupted and fails like any failing cell (without the interrupt, the
            # kernel would be shut down mid-cell and print a traceback of its own)
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeout", "evalue": "", "traceback": []},
        )
    except PapermillExecutionError as err:
        # (the interrupted cell fails with the kernel's KeyboardInterrupt, or with no output when the kernel did
        # not answer the interrupt: its running time tells a timed-out cell from one that failed by itself)
        if cell_timeout is not None and _failed_cell_seconds(executed) >= cell_timeout:
            raise ReportError(
                f"report {name!r} ({source}) stopped: cell {err.cell_index} (execution count {err.exec_count}: "
                f"{_first_line(err.source)!r}) ran longer than {cell_timeout:g} s (--cell-timeout); the executed "
                f"notebook is {executed}"
            ) from None
        raise ReportError(
            f"report {name!r} ({source}) failed in cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}; the executed notebook is {executed}"
        ) from None
    except DeadKernelError:
        raise ReportError(
            f"report {name!r} ({source}) stopped: the notebook's Python kernel died in "
            f"{_running_cell(executed)} (out of memory, or the process was killed); the executed notebook is "
            f"{executed}"
        ) from None
    except RuntimeError as err:
        # nbclient's refusal of a kernel that does not start: it died first, or did not answer in time
        if "kernel" not in str(err).lower():
            raise
        raise ReportError(
            f"report {name!r} ({source}) did not start: the notebook's Python kernel ({kernel!r}) {_kernel_fault(err)}"
            f"; `jupyter kernelspec list` shows where it is installed (`make venv` installs the workbench's)"
        ) from None
    export_html(executed, html_path)
    return ReportResult(name, executed, html_path, time.perf_counter() - started)


def _kernel_fault(err: RuntimeError) -> str:
    """What went wrong with a kernel that did not start, in words (nbclient's message as it stands otherwise)."""
    text = str(err)
    if "didn't respond" in text:
        return f"did not answer within {KERNEL_START_SECONDS:g} s of starting (a machine under heavy load, or a broken kernel)"
    if "died" in text:
        return "exited as it started (a broken kernel: its Python or ipykernel is missing)"
    return f"could not start: {text}"


def check_cell_timeout(seconds: float | None) -> None:
    """Refuse a cell timeout that is not a positive number of seconds (None: no limit)."""
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if seconds is not None and not (number and 0 < seconds < float("inf")):
        raise InputError(f"the cell timeout must be a positive number of seconds, not {seconds!r}")


def _executed_cells(executed: Path) -> list[Any]:
    """The cells of the executed notebook papermill wrote (none when it cannot be read)."""
    import nbformat

    try:
        return list(nbformat.read(str(executed), as_version=4).cells)
    except (OSError, ValueError):
        return []


def _papermill_meta(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("papermill") or {}


def _failed_cell_seconds(executed: Path) -> float:
    """How long the cell papermill marked failed ran, by its record in the executed notebook (0 when unknown)."""
    failed = [
        _papermill_meta(c) for c in _executed_cells(executed) if _papermill_meta(c).get("status") == "failed"
    ]
    return float(failed[0].get("duration") or 0) if failed else 0.0


def _running_cell(executed: Path) -> str:
    """The cell a stopped run was in ("cell N (execution count M): first line"), read back from the executed
    notebook papermill wrote: the last cell it started."""
    started = [
        (i, c) for i, c in enumerate(_executed_cells(executed)) if _papermill_meta(c).get("start_time")
    ]
    if not started:
        return "a cell"
    index, cell = started[-1]
    count = cell.get("execution_count")
    return (
        f"cell {index} ({'' if count is None else f'execution count {count}: '}{_first_line(cell.source)!r})"
    )


def _first_line(source: str) -> str:
    """A cell's first line of code, to name the cell in an error."""
    return next((line.strip() for line in source.splitlines() if line.strip()), "")[:60]


def run_reports(
    names: Sequence[str] | None,
    params: dict[str, Any] | None = None,
    out_dir: Path = Path("reports"),
    *,
    progress=True,
    cell_timeout: float | None = CELL_TIMEOUT_SECONDS,
) -> list[ReportResult]:
    """Run several reports (``None``: all of them) in turn, with a progress bar; stops at the first failure.
    ``cell_timeout``: see :func:`run_report`."""
    check_cell_timeout(cell_timeout)
    known = reports()
    chosen = list(known) if names is None else list(names)
    if not chosen:
        raise InputError(f"no report notebooks found in {notebooks_dir()}")
    for name in chosen:
        if name not in known:
            raise UnknownNameError(
                f"no report named {name!r}{suggest(name, known)}; valid reports: {', '.join(known)}"
            )
    check_writable(Path(out_dir))
    # Each notebook's parameters are checked before any runs: a typo fails in a second, not after a long report.
    for name in chosen:
        coerce_params(known[name], dict(params or {}))
    results = []
    with progress_bar(len(chosen), "reports", "notebook", enabled=progress) as bar:
        for name in chosen:
            bar.set_postfix_str(name)
            results.append(run_report(name, params, Path(out_dir), cell_timeout=cell_timeout))
            bar.update(1)
    return results


_EXTERNAL = re.compile(
    r"<(script|link)\b[^>]*\b(?:src|href)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.IGNORECASE
)


_EMPTY_SCRIPT = re.compile(r'<script[^>]*\bsrc=""[^>]*>\s*</script>', re.IGNORECASE)


def export_html(notebook: Path, out: Path) -> Path:
    """Export an executed notebook to HTML: code hidden, outputs kept, nothing loaded from other hosts.

    Chart outputs (Vega-Lite specs) become chart blocks, and the page inlines Vega once, ahead of them all.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata.pop("widgets", None)  # widget state would make the page load the widget manager from a CDN
    _charts_as_blocks(nb)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    exporter.widget_renderer_url = ""
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL.sub("", body)
    body = _EMPTY_SCRIPT.sub("", body)  # the template's slots for the CDN URLs we blanked
    body = _one_bundle(body)
    write_atomic(out, body)
    return out


def _charts_as_blocks(nb) -> None:
    """Replace each Vega-Lite output (what notebooks draw natively; nbconvert would print its text) by an HTML
    chart block that draws with the page's one copy of Vega. Two or more charts in a row (a dashboard's) become
    one grid of cards, as on the dashboard's own page."""
    for cell in nb.cells:
        outputs: list[Any] = []
        charts: list[dict[str, Any]] = []
        for output in [*cell.get("outputs", []), None]:
            spec = _vegalite_spec(output) if output is not None else None
            if spec is not None:
                charts.append(spec)
                continue
            if len(charts) == 1:
                outputs.append(_html_output(chart_block(charts[0])))
            elif charts:
                outputs.append(_html_output(_chart_grid(charts)))
            charts = []
            if output is not None:
                outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs


def _vegalite_spec(output: Any) -> dict[str, Any] | None:
    """The Vega-Lite spec an output carries, or None."""
    data = output.get("data") or {}
    mime = next((m for m in data if VEGALITE_MIME_PATTERN.match(m)), None)
    if mime is None:
        return None
    spec = data[mime]
    return json.loads(spec) if isinstance(spec, str) else spec  # (some writers store JSON outputs as text)


def _html_output(html: str) -> Any:
    import nbformat

    return nbformat.v4.new_output("display_data", data={"text/html": html})


def _chart_grid(specs: list[dict[str, Any]]) -> str:
    """Charts as the dashboard page lays them out: cards in a grid, each chart as wide as its card."""
    cards = [f'<div class="chart">{chart_block(card_width(spec))}</div>' for spec in specs]
    return f'<div class="wb-dash"><div class="charts">{"".join(cards)}</div></div>'


_BUNDLE_SCRIPT = re.compile(r"<script " + re.escape(BUNDLE_MARKER) + r'(?:="")?>.*?</script>', re.DOTALL)


def _one_bundle(page: str) -> str:
    """The page with exactly one inlined Vega bundle, in its head, when anything on it draws a chart (every chart
    block calls ``vegaEmbed``); none when nothing draws. Copies the outputs carry (notebooks saved before charts
    were Vega-Lite outputs inlined one per output) are taken out."""
    page = _BUNDLE_SCRIPT.sub("", page)
    if "vegaEmbed" not in page:
        return page
    script = f"<script {BUNDLE_MARKER}>{vega_bundle()}</script>"
    at = page.find("</head>")
    return page[:at] + script + page[at:] if at >= 0 else script + page


def write_demo_reports(project: Store, out_dir: Path, progress: bool = True) -> list[Path]:
    """Write every dashboard (HTML), an Overview picture (PNG) and every report notebook (HTML) into ``out_dir``.

    The PNG is a Chromium screenshot of the Overview page when Chromium is installed, else the Overview's charts
    drawn by vl-convert. Returns the files written.
    """
    out_dir = check_writable(Path(out_dir))
    written: list[Path] = []
    names = dashboard_names()
    with progress_bar(len(names), "dashboards", "dashboard", enabled=progress) as bar:
        for name in names:
            bar.set_postfix_str(name)
            board = dashboard(project, name)
            written.append(board.save(out_dir / f"{name}.html"))
            if name == "overview":
                png = out_dir / "overview.png"
                if not screenshot(written[-1], png):
                    board.save(png)
                written.append(png)
            bar.update(1)
    results = run_reports(None, {"project_path": str(project.path)}, out_dir, progress=progress)
    written += [r.html for r in results]
    return written


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def screenshot(page: Path, png: Path, *, width: int = 1280, executable: str = CHROMIUM) -> bool:
    """A full-page PNG of an HTML file in headless Chromium (after its charts render); False without Chromium."""
    if not Path(executable).exists():
        return False
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.route(re.compile(r"^(?!file:|data:|about:).*"), lambda route: route.abort())
            tab.goto(page.resolve().as_uri())
            tab.wait_for_function(
                "() => (window.__workbenchCharts || 0) >= document.querySelectorAll('.wb-dash .chart').length",
                timeout=30_000,
            )
            tab.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
    return True
