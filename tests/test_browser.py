"""Every exported HTML file, opened in real headless Chromium: each chart renders, no errors, no network.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it). Without it these tests fail: they are how we know
the exports work for a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.dashboards import dashboard, dashboard_names
from workbench.reports import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.xdist_group("browser")

COUNT_JS = """() => {
  const specs = Array.from(document.querySelectorAll('script[type="application/json"][id$="-spec"]'));
  const rendered = specs.filter(s => {
    const el = document.getElementById(s.id.slice(0, -5));
    return el && el.querySelector('svg, canvas');
  });
  return [specs.length, rendered.length];
}"""


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path: Path, screenshot: Path | None = None):
    """Load a file; return (specs, rendered charts, console errors, requests to other hosts)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route):
        outside.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(?!file:|data:|about:|blob:).*"), block)
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(f"() => {{ const [n, r] = ({COUNT_JS})(); return r >= n; }}", timeout=30_000)
    except Exception:
        pass  # counted below, so the assertion says how many did not render
    specs, rendered = page.evaluate(COUNT_JS)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return specs, rendered, errors, outside


@pytest.fixture(scope="module")
def exported(demo_project, tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    files = [dashboard(demo_project, n).save(out / f"{n}.html") for n in dashboard_names()]
    empty = dashboard(demo_project, "overview", "2020-01-01", "2020-01-31").save(out / "empty.html")
    return files, empty


def test_every_dashboard_renders_offline(browser, exported, tmp_path):
    files, _ = exported
    for path in files:  # the screenshot goes to a temporary folder: `make test` leaves reports/ as it was
        shot = tmp_path / "overview-screenshot.png" if path.stem == "overview" else None
        specs, rendered, errors, outside = open_page(browser, path, shot)
        assert specs > 0, f"{path.name}: no charts"
        assert rendered == specs, f"{path.name}: {rendered} of {specs} charts rendered"
        assert errors == [], f"{path.name}: console errors {errors}"
        assert outside == [], f"{path.name}: requested {outside}"
    assert (tmp_path / "overview-screenshot.png").stat().st_size > 10_000


FIT_JS = """() => Array.from(document.querySelectorAll('.wb-dash .chart')).map(card => {
  const svg = card.querySelector('svg');
  const texts = Array.from(card.querySelectorAll('svg text')).map(t => t.textContent);
  return {
    title: card.dataset.chart,
    scroll: card.scrollWidth,
    client: card.clientWidth,
    drawn: svg ? Math.round(svg.getBoundingClientRect().width) : -1,
    bad: texts.filter(t => /\\b(undefined|null|NaN)\\b/.test(t)),
  };
})"""

HEAT_CELLS_JS = """() => {
  const card = document.querySelector('.wb-dash .chart[data-chart="Cohorts"]');
  return Array.from(card.querySelectorAll('g.mark-text.role-mark text'))
    .map(t => [t.textContent, getComputedStyle(t).fill]);
}"""


@pytest.mark.parametrize("width", [1280, 1920])
def test_charts_fit_their_cards(browser, exported, width):
    """At a laptop's and a desktop's width no card scrolls sideways, and no axis or label says undefined."""
    files, _ = exported
    for path in files:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(path.resolve().as_uri())
        page.wait_for_function(
            f"() => {{ const [n, r] = ({COUNT_JS})(); return n > 0 && r >= n; }}", timeout=30_000
        )
        page.wait_for_timeout(300)  # container-sized charts settle after the first resize
        cards = page.evaluate(FIT_JS)
        if path.stem == "retention":
            cells = dict(page.evaluate(HEAT_CELLS_JS))
        page.close()
        assert cards, path.name
        for card in cards:
            where = f"{path.name} at {width} px, {card['title']}"
            assert card["scroll"] <= card["client"], f"{where}: scrolls ({card['scroll']} > {card['client']})"
            assert 0 < card["drawn"] <= card["client"], f"{where}: drawn {card['drawn']} px"
            assert card["drawn"] >= card["client"] - 40, f"{where}: does not fill its card"
            assert card["bad"] == [], f"{where}: {card['bad']}"
    # the retention heat map: white text on the darkest cells (100% in period 0), dark text on light ones
    assert cells["100%"] == "rgb(255, 255, 255)", cells
    assert any(v == "rgb(17, 24, 39)" for k, v in cells.items() if int(k[:-1]) < 50), cells


def test_empty_range_page_says_so(browser, exported):
    _, empty = exported
    specs, rendered, errors, outside = open_page(browser, empty)
    assert (specs, rendered, errors, outside) == (0, 0, [], [])
    assert "No events between 2020-01-01 and 2020-01-31" in empty.read_text()


def test_report_notebooks_render_offline(browser, demo_project, tmp_path):
    import json
    import subprocess
    import sys

    # the reports run in their own process, as `workbench report` runs them: in this one Playwright's event loop
    # is running, so nbclient drives the kernel from a second thread (two runs hung there, the kernel idle)
    argv = [sys.executable, "-m", "workbench.cli", "report", "--all", "--project", str(demo_project.path)]
    done = subprocess.run(
        [*argv, "--out", str(tmp_path), "--json"], capture_output=True, text=True, timeout=900, check=True
    )
    results = json.loads(done.stdout)["reports"]
    assert {r["name"] for r in results} >= {"dashboards", "funnel-deep-dive"}
    for report in results:
        name, path = report["name"], Path(report["html"])
        html = path.read_text()
        assert "def " not in html and "import polars" not in html, f"{name}: code is visible"
        assert html.count("data-workbench-vega-bundle") == 1, f"{name}: Vega should be inlined exactly once"
        specs, rendered, errors, outside = open_page(browser, path)
        assert specs > 0 and rendered == specs, f"{name}: {rendered} of {specs} charts rendered"
        assert errors == [], f"{name}: console errors {errors}"
        assert outside == [], f"{name}: requested {outside}"


def test_a_journey_simulation_exported_as_html_draws_its_diagram_and_fits(
    browser, demo_project_copy, tmp_path
):
    import json
    import subprocess
    import sys

    project = demo_project_copy
    project.templates.create("hello", "email", {"Subject": "Hi", "HtmlPart": "<p>Hi</p>"})
    spec = {
        "Name": "welcome",
        "StartCondition": {
            "EventStartCondition": {
                "EventFilter": {
                    "FilterType": "ENDPOINT",
                    "Dimensions": {
                        "EventType": {"DimensionType": "INCLUSIVE", "Values": ["_userauth.sign_up"]}
                    },
                }
            }
        },
        "StartActivity": "welcome",
        "Activities": {
            "welcome": {"EMAIL": {"TemplateName": "hello", "NextActivity": "split"}},
            "split": {
                "RandomSplit": {
                    "Branches": [
                        {"Percentage": 50, "NextActivity": "nudge"},
                        {"Percentage": 50, "NextActivity": "end"},
                    ]
                }
            },
            "nudge": {"EMAIL": {"TemplateName": "hello", "NextActivity": "end"}},
            "end": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}}},
        },
    }
    (tmp_path / "welcome.json").write_text(json.dumps(spec))
    out = tmp_path / "welcome.html"
    cli = [sys.executable, "-m", "workbench.cli"]
    where = ["--project", str(project.path)]
    made = subprocess.run(
        [*cli, "journey", "create", "welcome", "--spec", str(tmp_path / "welcome.json"), *where],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    ran = subprocess.run(
        [
            *cli,
            "journey",
            "simulate",
            "welcome",
            "--start",  # (a month of the demo's sign-ups: the page is what is tested, not the engine)
            "2026-10-01",
            "--end",
            "2026-10-30",
            "--out",
            str(out),
            "--json",
            *where,
        ],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    entered = json.loads(ran.stdout)["metrics"]["ENDPOINT_ENTERED"]
    assert entered > 0

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(out.resolve().as_uri())
    page.wait_for_load_state("load")
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg g > rect')).map(r => {
             const b = r.getBoundingClientRect(); return [b.left, b.right, b.width, b.height]; })"""
    )
    text = page.evaluate("() => document.body.innerText")
    page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
    page.close()
    activity_boxes = [b for b in boxes if b[3] > 30]
    assert len(activity_boxes) == 4
    assert all(left >= 0 and right <= 1280 and width > 150 for left, right, width, _ in activity_boxes)
    assert f"{entered:,}" in text and "Branch_1" in text and errors == []
