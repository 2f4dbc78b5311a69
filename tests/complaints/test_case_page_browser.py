"""The case page's script in a real browser at phone width: the actions come before the
timeline, a canned response lands in the reply box to edit, and the sub-category list
offers only the chosen category's."""

import os
from pathlib import Path

import pytest

from aftersales.models import CannedResponse
from aftersales.people import roles
from complaints.choices import State
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    complaint_in_state,
    ensure_staff_roles,
    make_staff,
)
from tests.services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_the_case_page_on_a_phone(live_server, settings):
    path = require_chromium()
    from playwright.sync_api import sync_playwright
    ensure_staff_roles()
    quality = DepartmentFactory(code="qa", name="Quality")
    agent = make_staff("agent1", roles.AGENT)
    handler = make_staff("handler1", roles.HANDLER, quality)
    supervisor = make_staff("super1", roles.SUPERVISOR)
    people = {"agent": agent, "handler": handler, "supervisor": supervisor, "dept": quality}
    replying = complaint_in_state(State.IN_PROGRESS, severity="S4", **people)
    accepted = complaint_in_state(State.ACCEPTED, **people)
    canned = CannedResponse.objects.create(title="Done", kind="COMPLAINT",
                                           body="您好{name}，工单【工单号】已处理。")
    shots = Path(os.environ.get("TEST_ARTIFACTS_DIR", "/tmp")) / "case-page"
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport=PHONE, locale="zh-CN")
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "agent1")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("form button[type=submit]")

            page.goto(f"{live_server.url}/c/{replying.number}/")
            page.screenshot(path=str(shots / "phone-case.png"))
            actions_top = page.locator("#case-actions").bounding_box()["y"]
            timeline_top = page.locator("#timeline").bounding_box()["y"]
            assert actions_top < timeline_top

            page.click("#action-reply .card-header a")
            page.wait_for_url("**action=reply**")
            page.select_option("[name=reply-canned]", str(canned.pk))
            assert page.input_value("[name=reply-text]") == (
                f"您好张三，工单{replying.number}已处理。")

            page.goto(f"{live_server.url}/c/{accepted.number}/")
            page.click("#action-classify .card-header a")
            page.wait_for_url("**action=classify**")
            page.select_option("[name=classify-category]", "LOGI")
            enabled = page.eval_on_selector_all(
                "[name=classify-subcategory] option:not([disabled])",
                "options => options.map(o => o.value)")
            assert enabled == ["", "DELAY", "DAMAGE", "COURIER"]
        finally:
            browser.close()
