"""A price complaint in a real browser at phone width: the staff case page shows the dispute
steps with what comes next, and the customer's tracking page shows what they will be given
and takes their consent, after which the agent executes it."""

import os
from pathlib import Path

import pytest

from aftersales.compensation.models import CompensationLine
from aftersales.people import roles
from complaints.choices import DisputeStep
from tests.complaints.test_price_flow import (
    approve,
    ask,
    case_maker,
    draft,
    fresh,
    investigate,
    make_line,
)
from tests.factories import PASSWORD, DepartmentFactory, ensure_staff_roles, make_staff
from tests.services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
REPO_ROOT = Path(__file__).resolve().parents[2]


def _shots() -> Path:
    configured = os.environ.get("TEST_ARTIFACTS_DIR")
    base = Path(configured) if configured else REPO_ROOT / "test-artifacts"
    path = base / "price-dispute"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_price_dispute_on_a_phone(live_server, settings):
    path = require_chromium()
    from playwright.sync_api import sync_playwright
    ensure_staff_roles()
    quality = DepartmentFactory(code="qa", name="Quality")
    agent = make_staff("agent1", roles.AGENT)
    handler = make_staff("handler1", roles.HANDLER, quality)
    supervisor = make_staff("super1", roles.SUPERVISOR)
    complaint = case_maker(agent, handler, supervisor, quality, make_line())("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality)
    approve(complaint, agent)
    ask(complaint, agent)
    shots = _shots()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            customer = browser.new_context(viewport=PHONE, locale="en-US")
            customer.set_default_timeout(15_000)
            page = customer.new_page()
            page.goto(f"{live_server.url}/c/track/{complaint.tracking_token}/")
            assert "Refund the price difference · ¥50.00" in page.inner_text("#proposal-offer")
            assert _no_sideways_scroll(page)
            page.screenshot(path=str(shots / "phone-tracking-consent.png"), full_page=True)
            page.check("input[name=decision-agree][value=yes]")
            with page.expect_navigation():
                page.click("#decision-card button[type=submit]")
            assert "Thank you, your answer was recorded." in page.content()

            staff = browser.new_context(viewport=PHONE, locale="en-US")
            staff.set_default_timeout(15_000)
            page = staff.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "agent1")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("form button[type=submit]")
            page.goto(f"{live_server.url}/c/{complaint.number}/?action=dispute_execute")
            assert "Execute the agreed solution." in page.inner_text("#dispute-next")
            assert _no_sideways_scroll(page)
            page.screenshot(path=str(shots / "phone-case-execute.png"), full_page=True)
            with page.expect_navigation():
                page.click("#action-dispute_execute button[type=submit]")
            page.screenshot(path=str(shots / "phone-case-executed.png"), full_page=True)
            assert "Reply the result to the customer." in page.inner_text("#dispute-next")
        finally:
            browser.close()

    assert fresh(complaint).dispute.step == DisputeStep.EXECUTED
    assert CompensationLine.objects.get(ticket_id=complaint.pk).state == "EXECUTED"
