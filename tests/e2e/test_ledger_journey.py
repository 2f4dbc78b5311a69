"""A supervisor's month in a real browser: filter the ledger, export what it shows to Excel
(the file opens and holds those rows), open the dashboard (the charts are drawn by ECharts
from npm) and drill down from a number to the ledger with the same filters."""

import io
import os
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from openpyxl import load_workbook

from aftersales.core.choices import Channel
from analytics.kpis.rollups import refresh_rollups
from tests.factories import PASSWORD, complaint_in_state, ensure_staff_roles
from tests.services import require_chromium, require_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000


def _shots() -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO_ROOT / "test-artifacts"))
    folder = folder / "ledger-journey"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_filter_export_dashboard_and_drill_down(live_server, settings, agent, handler,
                                                supervisor, quality_dept):
    path = require_chromium()
    require_or_skip(finders.find("echarts/echarts.min.js") is not None,
                    "ECharts is not installed: run 'make assets' (npm ci).")
    from playwright.sync_api import sync_playwright
    ensure_staff_roles()
    people = {"agent": agent, "handler": handler, "supervisor": supervisor, "dept": quality_dept}
    hotline = [complaint_in_state("CLOSED", channel=Channel.HOTLINE, phone=f"1390000000{i}",
                                  email=f"hot{i}@example.com", **people) for i in range(3)]
    complaint_in_state("IN_PROGRESS", channel=Channel.EMAIL, phone="13900000009",
                       email="mail@example.com", **people)
    refresh_rollups()
    hotline_numbers = sorted(c.number for c in hotline)
    shots = _shots()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en-US", accept_downloads=True,
                                          viewport={"width": 1366, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/?next=/ledger/")
            page.fill("input[name=username]", supervisor.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("form [type=submit]")
            page.wait_for_url("**/ledger/**")

            # 1. Filter the ledger by channel.
            page.select_option("#ledger-filters select[name=channel]", Channel.HOTLINE)
            page.click("#ledger-filters button[type=submit]")
            page.wait_for_url("**channel=HOTLINE**")
            page.screenshot(path=str(shots / "01-ledger-filtered.png"), full_page=True)
            shown = sorted(page.locator("table a[href^='/c/']").all_inner_texts())
            assert shown == hotline_numbers

            # 2. Export what the ledger shows to Excel; the workbook holds those rows.
            with page.expect_download() as download_info:
                page.get_by_role("button", name="Export to Excel").click()
            download = download_info.value
            assert download.suggested_filename.endswith(".xlsx")
            workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()),
                                     read_only=True)
            sheet = workbook.worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            exported = sorted(str(row[0]) for row in rows[1:] if row and row[0])
            assert exported == hotline_numbers

            # 3. The dashboard draws its charts from the package's ECharts.
            page.goto(f"{live_server.url}/dashboard/")
            page.wait_for_function("() => typeof window.echarts !== 'undefined'")
            page.wait_for_selector("[data-chart=category] canvas")
            assert page.locator("[data-chart] canvas").count() >= 4
            page.screenshot(path=str(shots / "02-dashboard.png"), full_page=True)

            # 4. A number drills down to the ledger with the same period and filters.
            link = page.locator("a[href*='/ledger/'][href*='channel=HOTLINE']").first
            expected = link.inner_text().strip()
            link.click()
            page.wait_for_url("**/ledger/**channel=HOTLINE**")
            page.screenshot(path=str(shots / "03-drilled-down.png"), full_page=True)
            assert page.locator("table a[href^='/c/']").count() == int(expected) == 3
        finally:
            browser.close()
