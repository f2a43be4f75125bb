"""A chart shown in a notebook (Altair's renderer -> ``notebook_spec``): drawn by JupyterLab's own Vega-Lite
renderer, the analyst's own locale kept, a dashboard's money in the project's currency."""

from __future__ import annotations

from workbench.dashboards.charts import currency_locale, notebook_spec

EURO = {"currency": ["", " €"], "decimal": ",", "thousands": ".", "grouping": [3]}


def _chart(**extra) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "mark": "bar",
        "width": 300,
        "data": {"values": [{"x": 1}]},
        **extra,
    }


def test_an_analysts_own_locale_is_kept():
    spec = notebook_spec(_chart(config={"locale": {"number": EURO}}))
    assert spec["config"]["locale"] == {"number": EURO}
    assert "$schema" not in spec and spec["width"] == 300  # JupyterLab's Vega-Lite 5, a fixed width


def test_a_chart_without_a_locale_gets_none_and_a_dashboards_gets_its_currency():
    assert "config" not in notebook_spec(_chart())  # d3's default: US dollars, as before any locale was set
    assert notebook_spec(_chart(), currency="EUR")["config"]["locale"] == currency_locale("EUR")
