"""Small builders for test input files."""

from __future__ import annotations

import csv
import json
import textwrap
import tomllib
from pathlib import Path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


#: The notebooks the notebook tests run.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str, out: Path, **parameters: object) -> list[dict]:
    """Run ``notebooks/NAME.ipynb`` with papermill (kernel "workbench", from the notebooks folder) with these
    parameters, save it executed to ``out`` and return its cells. papermill raises on a failing cell; a cell that
    hangs fails after 10 minutes instead of holding CI."""
    import papermill

    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name="workbench",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        execution_timeout=600,
    )
    return json.loads(out.read_text(encoding="utf-8"))["cells"]


def printed(cells: list[dict], stream: str | None = None) -> list[str]:
    """What the code cells printed, one text per stream output (``stream``: "stdout" or "stderr" only)."""
    return [
        "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and stream in (None, o.get("name"))
    ]


def small_project(root: Path, header: list[str], endpoints: list[list[object]], events: list[dict]):
    """A new project under ``root`` with these endpoints (CSV rows under ``header``) and these event-stream
    records (see :func:`stream_event`): the known-answer tests' fixtures."""
    from workbench import Project

    project = Project.create(root / "p")
    project.endpoints.import_files(write_csv(root / "e.csv", header, endpoints), progress=False)
    project.events.record(events)
    return project


def stream_event(n: int, client: str, event_type: str, timestamp: str, **fields: object) -> dict:
    """Event-stream record number ``n`` (its id) of endpoint ``client`` at ``timestamp`` (ISO, UTC), with any
    other record fields (``metrics``, ``attributes``, ``session``)."""
    return {
        "event_type": event_type,
        "event_timestamp": timestamp,
        "client": {"client_id": client},
        "event_id": f"ev{n}",
        **fields,
    }


def email_rows(n: int, start: int = 0, user_every: int = 1) -> list[list[object]]:
    """n valid EMAIL endpoints: Id, ChannelType, Address, User.UserId, Attributes.plan, Metrics.score."""
    return [
        [f"e{i}", "EMAIL", f"person{i}@example.com", f"u{i // user_every}", ("free", "pro")[i % 2], i % 7]
        for i in range(start, start + n)
    ]


EMAIL_HEADER = ["Id", "ChannelType", "Address", "User.UserId", "Attributes.plan", "Metrics.score"]


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _toml_tables(table: dict, prefix: str = "") -> list[str]:
    scalars = [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    lines = ([f"[{prefix}]"] if prefix and scalars else []) + scalars
    for key, value in table.items():
        if isinstance(value, dict):
            lines += [""] + _toml_tables(value, f"{prefix}.{json.dumps(key)}" if prefix else json.dumps(key))
    return lines


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def configure(project_dir: Path, toml: str, *, replace: tuple[str, ...] = ()) -> None:
    """Merge the settings in ``toml`` into a project's workbench.toml (tables given there are merged key by key;
    dotted table names in ``replace``, e.g. "channels.email", are dropped first so that ``toml`` replaces them)."""
    file = Path(project_dir) / "workbench.toml"
    settings = tomllib.loads(file.read_text(encoding="utf-8"))
    for dotted in replace:
        *parents, last = dotted.split(".")
        node = settings
        for part in parents:
            node = node.get(part, {})
        node.pop(last, None)
    merged = _merge(settings, tomllib.loads(textwrap.dedent(toml)))
    file.write_text("\n".join(_toml_tables(merged)) + "\n", encoding="utf-8")
