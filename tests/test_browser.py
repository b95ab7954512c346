"""Open a report.html in headless Chromium: every image loads and the console stays clean.

The page is loaded from a file:// URL only. Without Chromium and its driver
the test is skipped, except when CI is "true", where their absence fails it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tncost.planner import plan_sketch
from tncost.report import write_report
from tncost.structures import kronecker

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,2000",
)


def _chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def _require_browser() -> str:
    binary = _chromium()
    missing = []
    if binary is None:
        missing.append("Chromium (/usr/bin/chromium)")
    if not os.access(CHROMEDRIVER, os.X_OK):
        missing.append(f"chromedriver ({CHROMEDRIVER})")
    if missing:
        message = "missing " + " and ".join(missing) + "; install the Debian packages chromium and chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary  # type: ignore[return-value]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report"
    plan = plan_sketch(kronecker(2), sizes={"s": 8}, m=4, families=["tt", "tree", "dense"])
    write_report(plan, out, trials=4, seed=1, command="tncost report kronecker:N=2 --sizes s=8 --m 4 --out report")
    return out / "report.html"


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    binary = _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def test_report_page_renders(report_page, driver, tmp_path):
    driver.get(report_page.as_uri())
    shot = tmp_path / "report.png"
    driver.save_screenshot(str(shot))
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.dataset.file, i.complete, i.naturalWidth]);"
    )
    pngs = sorted(p.name for p in report_page.parent.glob("*.png"))

    assert driver.title == "tncost report: kronecker:N=2"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(name for name, _, _ in images) == pngs
    for name, complete, width in images:
        assert complete, name
        assert width > 0, name


def test_report_page_console_clean(report_page, driver):
    driver.get(report_page.as_uri())
    entries = driver.get_log("browser")
    errors = [entry for entry in entries if entry.get("level") in ("SEVERE", "ERROR")]

    assert errors == []


def test_report_page_tables(report_page, driver):
    driver.get(report_page.as_uri())
    headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent);")
    rows = driver.execute_script(
        "return Array.from(document.querySelectorAll('tr')).map(r => Array.from(r.cells).map(c => c.textContent));"
    )
    tt_row = next(row for row in rows if row[0] in ("tt", "* tt") and len(row) == 8)

    assert headings[:3] == ["Network", "Sketch sizes", "Cost per family"]
    # Tensor-train embedding of two vectors, s = 8, m = 4: m^2 s + m s + m^2 = 128 + 32 + 16.
    assert tt_row[4] == "176"
