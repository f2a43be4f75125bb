"""Offline HTML export: Vega, Vega-Lite and vega-embed inlined (from vl-convert's bundle), laid out with Jinja2.

The pieces of a page (the bundle, chart blocks, tables, templates) and the atomic file writes; a ``Dashboard``
(board.py) puts its page together from them.

The written page requests nothing from any host: the JavaScript is in the file, the chart data is in the file,
and there are no web fonts or images to fetch. The bundle is built once by vl-convert (about a second) and kept
in the user's cache folder, keyed by the library versions.
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from pathlib import Path
from typing import Any

import jinja2

from ..errors import InputError

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: Marks the inlined bundle so that report pages holding several outputs can keep a single copy.
BUNDLE_MARKER = "data-workbench-vega-bundle"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench"


@functools.cache
def vega_bundle() -> str:
    """The JavaScript defining ``vegaEmbed``, ``vega`` and ``vegaLite`` globally (no imports, no network)."""
    import vl_convert as vlc

    key = f"vega-{vlc.get_vega_version()}-embed-{vlc.get_vega_embed_version()}-vlc-{vlc.__version__}.js"
    cached = _cache_dir() / key
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    js = vlc.javascript_bundle()
    # A literal "</script" inside an inline script would end it early.
    js = js.replace("</script", "<\\/script")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{key}.{uuid.uuid4().hex}")
        tmp.write_text(js, encoding="utf-8")
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only home only costs the second it takes to rebuild
    return js


def _json_for_script(spec: dict[str, Any]) -> str:
    return json.dumps(spec, separators=(",", ":"), default=str).replace("</", "<\\/")


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def chart_blocks(specs: list[tuple[str, dict[str, Any]]], prefix: str | None = None) -> list[dict[str, str]]:
    """Template data for charts: a unique element id and the spec as script-safe JSON."""
    prefix = prefix or "wb" + uuid.uuid4().hex[:8]
    return [
        {"id": f"{prefix}-{i}", "title": title, "spec": _json_for_script(spec)}
        for i, (title, spec) in enumerate(specs)
    ]


def render(template: str, **context: Any) -> str:
    """Render one of ``workbench/templates`` (HTML-escaped Jinja2) with ``context``."""
    return _env().get_template(template).render(**context)


def chart_fragment(spec: dict[str, Any]) -> str:
    """One chart as an HTML block with the bundle inlined (Altair's renderer in offline notebooks)."""
    block = chart_blocks([("", spec)])[0]
    return (
        f"<script {BUNDLE_MARKER}>{vega_bundle()}</script>"
        f'<div id="{block["id"]}"></div>'
        f'<script type="application/json" id="{block["id"]}-spec">{block["spec"]}</script>'
        f"<script>{_EMBED_ONE % {'id': block['id']}}</script>"
    )


_EMBED_ONE = """(function(){var el=document.getElementById('%(id)s');
var spec=JSON.parse(document.getElementById('%(id)s-spec').textContent);
vegaEmbed(el,spec,{actions:false,renderer:'svg'}).catch(function(e){console.error('chart failed: '+e);});})();"""


def save_image(spec: dict[str, Any], path: Path, *, scale: float = 2.0) -> Path:
    """Write a chart as PNG or SVG with vl-convert (no browser needed)."""
    import vl_convert as vlc

    suffix = path.suffix.lower()
    if suffix == ".png":
        data: bytes | str = vlc.vegalite_to_png(spec, scale=scale)
    elif suffix == ".svg":
        data = vlc.vegalite_to_svg(spec)
    else:
        raise InputError("save a chart as .png or .svg", file=str(path))
    write_atomic(path, data)
    return path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write a file through a temporary name in the same folder, so a reader never sees half of it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as err:
        raise InputError(f"cannot write here: {err.strerror or err}", file=str(path)) from err
