"""Offline HTML export: Vega, Vega-Lite and vega-embed inlined (from vl-convert's bundle), laid out with Jinja2.

The pieces of a page (the bundle, chart blocks, tables, templates) and the atomic file writes; a ``Dashboard``
(board.py) puts its page together from them.

Two ways a chart reaches a reader:

- **In a notebook** a chart is a Vega-Lite output (:func:`chart_mimebundle`, MIME type :data:`VEGALITE_MIME`)
  that the notebook draws with its own renderer (JupyterLab's): no output carries JavaScript, so a notebook
  saved with its outputs stays small and no second copy of Vega is ever loaded into the page.
- **In an HTML file** (``Dashboard.save``, ``workbench dashboard --out``, a report exported by reports.py) the
  page inlines :func:`vega_bundle` exactly once and each chart is a block (:func:`chart_block`) that draws
  itself with it.

The written page requests nothing from any host: the JavaScript is in the file, the chart data is in the file,
and there are no web fonts or images to fetch. The bundle is built once by vl-convert (about a second) and kept
in the user's cache folder, keyed by the library versions.
"""

from __future__ import annotations

import functools
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import jinja2

from ..errors import InputError

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
#: Marks an inlined bundle, so that an exported report can take out every copy its outputs carry and put one back.
BUNDLE_MARKER = "data-workbench-vega-bundle"
#: The Vega-Lite output type notebooks draw natively. JupyterLab 4 registers v3, v4 and v5 only; Altair 6's own
#: "mimetype" renderer says ``application/vnd.vegalite.v6.json``, which JupyterLab shows as plain text.
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
#: The output types that hold a Vega-Lite chart, whichever version or library wrote them.
VEGALITE_MIME_PATTERN = re.compile(r"^application/vnd\.vegalite\.v\d+(?:\+|\.)json$")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench"


@functools.cache
def vega_bundle() -> str:
    """The JavaScript defining ``vegaEmbed``, ``vega`` and ``vegaLite`` globally (no imports, no network).

    vl-convert's bundle declares its names with top-level ``const``, so a second copy on one page would throw
    "Identifier ... has already been declared". Here it runs inside a function, and only when the page has no
    ``vegaEmbed`` yet: a page that loads it twice draws as if it had loaded it once.
    """
    return (
        "if(typeof window.vegaEmbed!=='function'){(function(){\n"
        + _vl_convert_bundle()
        + "\n}).call(window);}"
    )


@functools.cache
def _vl_convert_bundle() -> str:
    """vl-convert's bundle as it comes (it assigns ``window.vegaEmbed``, ``window.vega``, ``window.vegaLite``)."""
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


#: A blank 1x1 PNG that goes with every chart output. JupyterLab's Vega renderer stores its own PNG of a chart
#: that has none, by setting the output's data and so drawing the chart again; while more outputs of the same
#: cell arrive, that second draw can repeat without end and freeze the tab (06_funnel_deep_dive did, every time).
#: With a PNG present it draws once; it also keeps JupyterLab from saving a 20-40 kB picture per chart.
BLANK_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def chart_mimebundle(spec: dict[str, Any], title: str = "") -> dict[str, Any]:
    """One chart as a notebook output: the Vega-Lite spec under :data:`VEGALITE_MIME`, drawn by the notebook's
    own renderer, a line of text for viewers that draw nothing (a terminal, a diff), and :data:`BLANK_PNG`."""
    return {
        VEGALITE_MIME: spec,
        "text/plain": f"<chart{': ' + title if title else ''}>",
        "image/png": BLANK_PNG,
    }


def chart_block(spec: dict[str, Any]) -> str:
    """One chart as an HTML block for a page that inlines :func:`vega_bundle` once (an exported notebook): the
    element, its spec as JSON and the call that draws it. The bundle itself is not in the block."""
    block = chart_blocks([("", spec)])[0]
    return (
        f'<div class="wb-chart" id="{block["id"]}"></div>'
        f'<script type="application/json" id="{block["id"]}-spec">{block["spec"]}</script>'
        f"<script>{_EMBED_ONE % {'id': block['id']}}</script>"
    )


_EMBED_ONE = """(function(){var el=document.getElementById('%(id)s');
var spec=JSON.parse(document.getElementById('%(id)s-spec').textContent);
if(typeof vegaEmbed!=='function'){el.textContent='(a chart: this page does not load Vega)';return;}
vegaEmbed(el,spec,{actions:false,renderer:'svg',mode:'vega-lite'})
.then(function(){window.__workbenchCharts=(window.__workbenchCharts||0)+1;})
.catch(function(e){console.error('chart failed: '+e);});})();"""


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
