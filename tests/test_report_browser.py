"""The HTML report in a real browser: headless Chromium draws every chart, offline,
without a script error.

Skipped where Chromium is not installed, unless the environment variable CI is set:
then a missing Chromium fails the test (CI installs the Debian ``chromium`` package).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pendulum
import pytest

from choice_workflow.reports import final_report, render
from choice_workflow.reports.render_html import ERRORS_ID
from tests.test_reports import sample_program

pytestmark = pytest.mark.slow

# As root, Chromium needs --no-sandbox; the rest keep it from reaching the network or
# setting up a profile. The host resolver rule makes any fetch fail: the page must draw
# from what it holds.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--enable-logging=stderr",
    "--v=0",
)


@pytest.fixture(name="chromium")
def fixture_chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but chromium is missing: apt-get install chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(name="page", scope="module")
def fixture_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    program = sample_program()
    report = final_report(program, as_of=pendulum.datetime(2031, 9, 20, 12, tz="America/Chicago"))
    path = tmp_path_factory.mktemp("html") / "final-report.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    return path


def _open(chromium: str, page: Path, profile: Path) -> tuple[str, str]:
    """The DOM after the page loaded, and Chromium's log."""
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert 0 == done.returncode, done.stderr[-2000:]
    return done.stdout, done.stderr


class _Charts(HTMLParser):
    """Per chart div (id ``chart-...``): its classes, and how many plotly SVGs it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: dict[str, str] = {}
        self.svgs: dict[str, int] = {}
        self.errors: tuple[bool, str] | None = None
        self._open: list[str | None] = []
        self._in_errors = False
        self._error_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        ident = found.get("id") or ""
        if tag == "div":
            chart = ident if ident.startswith("chart-") else None
            if chart is not None:
                self.classes[chart] = found.get("class") or ""
                self.svgs[chart] = 0
            self._open.append(chart)
            if ident == ERRORS_ID:
                self._in_errors = True
                self.errors = ("hidden" in found, "")
        if tag == "svg" and "main-svg" in (found.get("class") or ""):
            for chart in self._open:
                if chart is not None:
                    self.svgs[chart] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._open:
            self._open.pop()
            if self._in_errors and self.errors is not None:
                self.errors = (self.errors[0], "".join(self._error_text))
                self._in_errors = False

    def handle_data(self, data: str) -> None:
        if self._in_errors:
            self._error_text.append(data)


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]


@pytest.mark.cite("20(b)", "15(l)", "15(d)", "15(e)")
def test_every_chart_of_the_html_report_is_drawn_offline_without_a_script_error(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    dom, log = _open(chromium, page, tmp_path / "profile")
    charts = _Charts()
    charts.feed(dom)
    expected = {
        "chart-by-area-chart",
        "chart-by-setting-chart",
        "chart-by-band-chart",
        "chart-wage-trajectories",
    }
    assert expected == set(charts.classes)
    for chart, classes in charts.classes.items():
        assert "js-plotly-plot" in classes.split(), f"{chart} was not drawn"
        assert charts.svgs[chart] >= 1, f"{chart} has no plotly SVG"
    assert (True, "") == charts.errors, "the page's error box shows a script error"
    assert [] == _console_errors(log)


@pytest.mark.cite("20(b)")
def test_a_chart_that_fails_to_draw_shows_on_the_page_and_in_the_log(
    chromium: str, page: Path, tmp_path: Path
) -> None:
    # The check above is only worth something if it sees a failure: break one chart.
    broken = tmp_path / "broken.html"
    text = page.read_text(encoding="utf-8")
    broken.write_text(
        re.sub(r"Plotly\.newPlot\(", "Plotly.noSuchFunction(", text, count=1), encoding="utf-8"
    )
    dom, log = _open(chromium, broken, tmp_path / "profile")
    charts = _Charts()
    charts.feed(dom)
    assert charts.errors is not None
    hidden, message = charts.errors
    assert not hidden
    assert "Plotly.noSuchFunction is not a function" in message
    assert any("Uncaught TypeError" in line for line in _console_errors(log))
