"""Return journeys in a real browser, one person per browser context (screenshots kept).

1. A no-reason return from the portal (phone-sized screen) → review → ship-back with a
   tracking number → warehouse receipt and inspection → refund.
2. An exchange registered by phone with an advance replacement (先发后退): the replacement
   goes out first, the old unit comes back, the exchange is completed.
"""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aftersales.core.choices import DepartmentKind
from aftersales.people import roles
from returns.choices import State
from returns.models import ReturnOrder
from tests.factories import PASSWORD, DepartmentFactory, ensure_staff_roles, make_staff
from tests.returns.conftest import PHONE, make_order
from tests.services import chromium_path, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync"]
LOCALE = "zh-CN"
TIMEOUT_MS = 15_000
PHONE_SCREEN = {"width": 390, "height": 844}


class Shots:
    def __init__(self, journey: str):
        configured = os.environ.get("TEST_ARTIFACTS_DIR")
        base = Path(configured) if configured else REPO_ROOT / "test-artifacts" / "e2e"
        self.folder = base / "returns" / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, page, step: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


def _fits(page) -> None:
    """Nothing wider than the screen: usable at 390 px without sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_SCREEN["width"], f"page is {width}px wide on a 390px screen"


def _sign_in(browser, base: str, username: str):
    context = browser.new_context(locale=LOCALE, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    return context, page


def _submit(page, button) -> None:
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    if response is not None and response.status >= 500:
        pytest.fail(f"HTTP {response.status} from {response.url}: {page.inner_text('body')[:500]}")


def _open(page, base: str, number: str) -> None:
    page.goto(f"{base}/r/{number}/")
    assert page.inner_text("#return-number").strip() == number


def _state(page) -> str:
    return page.locator("h1 [data-state]").get_attribute("data-state")


def _act(page, name: str, fill=lambda card: None) -> None:
    card = page.locator(f"#action-{name}")
    offered = page.eval_on_selector_all("[id^=action-]", "els => els.map(e => e.id)")
    assert card.count() == 1, f"{name} not offered; offered: {offered}"
    body = page.locator(f"#form-{name}")
    if not body.is_visible():
        card.locator(".card-header button").click()
        page.wait_for_selector(f"#form-{name}.collapse.show")
    fill(card)
    _submit(page, card.locator(f"button[name=do][value={name}]"))
    errors = page.locator(f"#action-{name} .invalid-feedback, #action-{name} .alert-danger")
    assert errors.count() == 0, f"{name} refused: {errors.all_inner_texts()}"


def _staff():
    ensure_staff_roles()
    warehouse = DepartmentFactory(code="wh", name="Warehouse", kind=DepartmentKind.WAREHOUSE)
    make_staff("agent1", roles.AGENT)
    make_staff("wh1", "warehouse", warehouse)


def _browser(p):
    path = chromium_path()
    return p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)


def test_no_reason_return_from_the_portal_to_the_refund(live_server, settings):
    require_chromium()
    from playwright.sync_api import sync_playwright
    _staff()
    order = make_order(signed_days_ago=3, price="299.00")
    base, shot, started = live_server.url, Shots("no-reason-return"), time.monotonic()

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            customer = browser.new_context(locale=LOCALE, viewport=PHONE_SCREEN)
            customer.set_default_timeout(TIMEOUT_MS)
            cpage = customer.new_page()
            cpage.goto(f"{base}/r/new/")
            cpage.fill("[name=order_number]", order.number)
            cpage.fill("[name=contact]", PHONE)
            _fits(cpage)
            shot(cpage, "customer-finds-order")
            _submit(cpage, cpage.locator("#find-order-form button[type=submit]"))

            form = cpage.locator("#return-request-form")
            form.locator("[name=request_type][value=RETURN_REFUND]").check()
            form.locator("[name=reason]").select_option("NO_REASON")
            _submit(cpage, cpage.locator("#preview-button"))
            answer = cpage.locator("#engine-answer [data-rule]")
            assert answer.get_attribute("data-rule") == "A6"
            _fits(cpage)
            shot(cpage, "customer-sees-what-the-law-gives")
            _submit(cpage, cpage.locator("#submit-button"))
            assert "/r/t/" in cpage.url, cpage.inner_text("body")[:500]
            number = cpage.inner_text("#return-number").strip()
            tracking_url = cpage.url
            assert number.startswith("RT-")
            shot(cpage, "customer-tracking-page")

            agent_ctx, agent = _sign_in(browser, base, "agent1")
            _open(agent, base, number)
            assert agent.inner_text("#engine-rule").strip() == "A6"
            shot(agent, "agent-sees-the-rules-answer")
            _act(agent, "accept")
            assert _state(agent) == State.AWAIT_SHIPBACK
            shot(agent, "agent-accepted")

            cpage.goto(tracking_url)
            assert cpage.locator("#return-address").is_visible()
            ship = cpage.locator("#ship-card")
            ship.locator("[name=ship-carrier]").select_option("YTO")
            ship.locator("[name=ship-tracking_number]").fill("YT8801234567")
            _fits(cpage)
            shot(cpage, "customer-enters-tracking-number")
            _submit(cpage, ship.locator("button[type=submit]"))
            assert cpage.inner_text("#your-tracking-number").strip() == "YT8801234567"
            shot(cpage, "customer-goods-on-the-way")

            wh_ctx, wh = _sign_in(browser, base, "wh1")
            _open(wh, base, number)
            assert wh.inner_text("#return-tracking").strip() == "YT8801234567"
            _act(wh, "receive")
            assert _state(wh) == State.RECEIVED

            def inspect(card):
                card.locator("[name=inspect-complete][value=yes]").check()
                card.locator("[name=inspect-original][value=yes]").check()
                card.locator("[name=inspect-quality_problem][value=no]").check()
                card.locator("[name=inspect-note]").fill("Box opened, kettle unused.")

            _act(wh, "inspect", inspect)
            assert _state(wh) == State.REFUNDING
            shot(wh, "warehouse-inspected")

            _open(agent, base, number)
            assert agent.inner_text("#refund-total").strip() == "299.00"
            _act(agent, "refund")
            assert _state(agent) == State.COMPLETED
            assert agent.inner_text("#refunded-amount").strip() == "299.00"
            shot(agent, "agent-refunded")

            cpage.goto(tracking_url)
            assert cpage.locator("#refund").is_visible()
            _fits(cpage)
            shot(cpage, "customer-sees-refund")
            for context in (customer, agent_ctx, wh_ctx):
                context.close()
        finally:
            browser.close()
    print(f"\nreturn journey: {time.monotonic() - started:.1f}s; screenshots in {shot.folder}")
    ret = ReturnOrder.objects.get(number=number)
    assert ret.state == State.COMPLETED and ret.refund_amount == ret.refund_amount_due
    assert ret.goods_received_at is not None and ret.inspection_passed


def test_exchange_with_advance_replacement(live_server, settings):
    require_chromium()
    from playwright.sync_api import sync_playwright
    _staff()
    order = make_order(signed_days_ago=4, price="599.00", sku="MIXER-M5")
    base, shot = live_server.url, Shots("advance-exchange")
    due = (timezone.localdate() + timedelta(days=7)).isoformat()

    with sync_playwright() as p:
        browser = _browser(p)
        try:
            agent_ctx, agent = _sign_in(browser, base, "agent1")
            agent.goto(f"{base}/r/register/?order={order.number}")
            form = agent.locator("#return-register-form")
            form.locator("[name=channel]").select_option("HOTLINE")
            form.locator("[name=request_type][value=EXCHANGE]").check()
            form.locator("[name=reason]").select_option("NOT_AS_DESCRIBED")
            _submit(agent, form.locator("button[value=preview]"))
            assert agent.locator("#engine-answer [data-rule]").get_attribute("data-rule") == "B1"
            shot(agent, "agent-registers-exchange")
            _submit(agent, agent.locator("#return-register-form button[value=submit]"))
            number = agent.inner_text("#return-number").strip()
            _act(agent, "accept")
            assert _state(agent) == State.AWAIT_SHIPBACK

            def advance(card):
                card.locator("[name=ship_advance-carrier]").select_option("SF")
                card.locator("[name=ship_advance-tracking_number]").fill("SF1234567890")

            _act(agent, "ship_advance", advance)
            assert agent.locator("#action-ship_advance").count() == 0
            shot(agent, "agent-shipped-replacement-in-advance")

            customer = browser.new_context(locale=LOCALE, viewport=PHONE_SCREEN)
            customer.set_default_timeout(TIMEOUT_MS)
            cpage = customer.new_page()
            cpage.goto(f"{base}/r/t/{_token(number)}/")
            assert due in cpage.inner_text("#replacement")
            ship = cpage.locator("#ship-card")
            ship.locator("[name=ship-carrier]").select_option("SF")
            ship.locator("[name=ship-tracking_number]").fill("SF5550001111")
            _fits(cpage)
            shot(cpage, "customer-returns-old-unit")
            _submit(cpage, ship.locator("button[type=submit]"))

            wh_ctx, wh = _sign_in(browser, base, "wh1")
            _open(wh, base, number)
            _act(wh, "receive")

            def inspect(card):
                card.locator("[name=inspect-complete][value=yes]").check()
                card.locator("[name=inspect-original][value=yes]").check()
                card.locator("[name=inspect-quality_problem][value=no]").check()

            _act(wh, "inspect", inspect)
            assert _state(wh) == State.INSPECTED
            shot(wh, "warehouse-inspected-old-unit")

            _open(agent, base, number)
            _act(agent, "close_exchange")
            assert _state(agent) == State.COMPLETED
            shot(agent, "agent-completed-exchange")
            for context in (customer, wh_ctx, agent_ctx):
                context.close()
        finally:
            browser.close()
    ret = ReturnOrder.objects.get(number=number)
    assert ret.state == State.COMPLETED and ret.advance_shipped_at is not None
    assert ret.unreturned_charge is None and ret.goods_received_at is not None


def _token(number: str) -> str:
    """The case's tracking token, read in another thread: the ORM is not used while
    Playwright's event loop runs in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            lambda: ReturnOrder.objects.get(number=number).tracking_token).result()
