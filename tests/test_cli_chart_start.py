"""The chart commands start without jsonschema's IRI grammar (cli.common.skip_iri_grammar), and still draw."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from workbench.cli.common import skip_iri_grammar
skip_iri_grammar()
import altair as alt
import jsonschema
chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_bar().encode(x="a:Q")
chart.to_dict()  # validated against Vega-Lite's schema: the validator works without the IRI check
try:
    alt.Chart(alt.Data(values=[])).mark_bar().encode(x=alt.X("a:Q", bin="not a bin")).to_dict()
except Exception as err:  # a wrong spec is still refused
    print("refused", type(err).__name__)
print("loaded" if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] else "skipped")
"""


def test_the_iri_grammar_is_skipped_and_charts_still_validate():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert "skipped" in done.stdout
    assert "refused" in done.stdout


def test_without_it_jsonschema_loads_the_grammar():
    """The reason for the skip: jsonschema imports rfc3987_syntax when it is installed (for JupyterLab)."""
    code = "import sys, jsonschema; print('loaded' if sys.modules.get('rfc3987_syntax') else 'absent')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "loaded"
