"""A delay incident in a real browser, one person per browser context.

customer reports a late parcel on the portal (phone-sized screen) → agent tells the customer
the reason and new ETA → agent proposes the tier-B coupon → a second agent approves it →
customer agrees on the tracking page → agent executes it and resolves → the carrier's
scorecard counts the late shipment.
"""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from aftersales.compensation.models import CompensationLine, CompensationPolicy
from aftersales.people import roles
from delivery.models import Carrier, Courier, DeliveryIncident, DeliverySettings, Shipment
from tests.e2e.test_complaint_journey import (
    BROWSER_LOCALE,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    Shots,
    _artifacts_dir,
    _expect_ok,
    _local_input,
    _sign_in,
)
from tests.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ensure_staff_roles,
    make_staff,
)
from tests.services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _state(page) -> str:
    badge = page.locator("h1 [data-state]")
    assert badge.inner_text().strip(), "the state badge is empty"
    return badge.get_attribute("data-state")


def _run_action(page, name: str, fill) -> None:
    """Open the action's card (clicking its header again if a click went unanswered), fill
    its form, submit, expect the confirmation."""
    card = page.locator(f"#action-{name}")
    offered = page.eval_on_selector_all("[id^=action-]", "els => els.map(e => e.id)")
    assert card.count() == 1, f"action {name!r} is not offered; offered: {offered}"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    body = page.locator(f"#form-{name}")
    for _attempt in range(3):
        if body.is_visible():
            break
        card.locator(".card-header button").click()
        try:
            page.wait_for_selector(f"#form-{name}.collapse.show", timeout=3000)
        except PlaywrightTimeout:
            continue
    assert body.is_visible(), f"the form of {name!r} does not open"
    fill(card)
    with page.expect_navigation() as navigation:
        card.locator(f"button[name=do][value={name}]").click()
    _expect_ok(page, navigation.value, name)
    errors = page.locator(f"#action-{name} .invalid-feedback, #action-{name} .alert-danger")
    assert errors.count() == 0, f"{name} refused: {errors.all_inner_texts()}"
    assert page.locator(".alert-success").count() >= 1, f"{name}: no confirmation shown"


def test_delay_incident_journey_in_the_browser(live_server, settings):
    path = require_chromium()
    from playwright.sync_api import sync_playwright
    ensure_staff_roles()
    make_staff("agent1", roles.AGENT)
    make_staff("agent2", roles.AGENT)
    make_staff("super1", roles.SUPERVISOR)
    CompensationPolicy.objects.create(pk=1, goodwill_cap=Decimal("100.00"))
    DeliverySettings.objects.create(pk=1, tier_b_amount=Decimal("30.00"))
    carrier = Carrier.objects.create(code="SF", name="顺丰速运")
    courier = Courier.objects.create(carrier=carrier, code="SF101", name="刘强")
    order = OrderFactory(customer=CustomerFactory(contact__email="li.na@example.com"))
    OrderLineFactory(order=order, unit_price=Decimal("399.00"))
    # Promised four days ago; it arrives today: four days late, tier B (3–5 days).
    promised = timezone.localtime() - timedelta(days=4)
    shipment = Shipment.objects.create(
        order=order, carrier=carrier, courier=courier, tracking_number="SF100200300",
        shipped_at=promised - timedelta(days=2), promised_at=promised,
        delivered_at=promised + timedelta(days=4), raw_status="运输中", status="IN_TRANSIT")
    month = timezone.localtime(shipment.shipped_at).strftime("%Y-%m")
    new_eta = _local_input(promised + timedelta(days=4))

    base = live_server.url
    shot = Shots(_artifacts_dir() / "delivery")
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            # 1. The customer reports the late parcel on a phone.
            customer = browser.new_context(locale=BROWSER_LOCALE,
                                           viewport={"width": 390, "height": 844})
            customer.set_default_timeout(TIMEOUT_MS)
            cpage = customer.new_page()
            cpage.goto(f"{base}/d/report/")
            form = cpage.locator("#report-form")
            form.locator("[name=order_number]").fill(order.number)
            form.locator("[name=tracking_number]").fill("SF100200300")
            form.locator("[name=incident_type][value=DELAY]").check()
            form.locator("[name=description]").fill("承诺前天送达，至今没有收到。")
            form.locator("[name=name]").fill("李娜")
            form.locator("[name=email]").fill("li.na@example.com")
            assert cpage.evaluate("document.documentElement.scrollWidth") <= 390
            shot(cpage, "customer-report")
            with cpage.expect_navigation() as navigation:
                form.locator("button[type=submit]").click()
            _expect_ok(cpage, navigation.value, "reporting the delay")
            assert "/d/track/" in cpage.url, cpage.inner_text("body")[:400]
            tracking_url = cpage.url
            number = cpage.inner_text("#incident-number").strip()
            assert number.startswith("DL-")
            shot(cpage, "customer-tracking")

            # 2. The agent tells the customer why and when (T19).
            agent_ctx, agent = _sign_in(browser, base, "agent1")
            assert agent.locator(f"#inbox-table a:text-is('{number}')").count() == 1
            agent.goto(f"{base}/d/{number}/")
            assert _state(agent) == "REGISTERED"

            def notify(card):
                card.locator("[name=notify_delay-reason]").fill("暴雨导致干线停运")
                card.locator("[name=notify_delay-new_eta]").fill(new_eta)

            _run_action(agent, "notify_delay", notify)
            assert _state(agent) == "NOTIFIED"
            shot(agent, "agent-customer-notified")
            cpage.goto(tracking_url)
            assert "暴雨导致干线停运" in cpage.inner_text("#delay-reason")

            # 3. The agent proposes the tier's coupon.
            _run_action(agent, "offer_compensation", lambda card: None)
            assert "B" in agent.inner_text("#delay-tier")
            row = agent.locator("#compensation-lines tr[data-state=PROPOSED]")
            assert "¥30.00" in row.inner_text()
            assert row.locator("[data-action=approve]").count() == 0  # not their own line
            shot(agent, "agent-compensation-proposed")

            # 4. Another agent approves it (within the goodwill cap).
            second_ctx, second = _sign_in(browser, base, "agent2")
            second.goto(f"{base}/d/{number}/")
            with second.expect_navigation():
                second.locator("#compensation-lines tr[data-state=PROPOSED] "
                               "[data-action=approve]").click()
            assert second.locator("#compensation-lines tr[data-state=APPROVED]").count() == 1
            shot(second, "approver-approved")

            # 5. The customer sees exactly the offer and agrees.
            cpage.goto(tracking_url)
            offer = cpage.locator("#compensation-offers")
            assert "¥30.00" in offer.inner_text()
            with cpage.expect_navigation():
                offer.locator("a.btn").click()
            assert cpage.inner_text("#offer-amount").strip() == "¥30.00"
            cpage.locator("[name=answer][value=agree]").check()
            shot(cpage, "customer-consent")
            with cpage.expect_navigation() as navigation:
                cpage.locator("#send-answer").click()
            _expect_ok(cpage, navigation.value, "customer consent")
            assert cpage.get_attribute("#offer-state", "data-state") == "CONSENTED"
            assert cpage.evaluate("document.documentElement.scrollWidth") <= 390
            shot(cpage, "customer-consented")

            # 6. The agent executes it and resolves the incident.
            agent.goto(f"{base}/d/{number}/")
            with agent.expect_navigation():
                agent.locator("#compensation-lines [data-action=execute]").click()
            assert agent.locator("#compensation-lines tr[data-state=EXECUTED]").count() == 1
            _run_action(agent, "resolve", lambda card: None)
            assert _state(agent) == "RESOLVED"
            shot(agent, "agent-executed-resolved")

            # 7. The carrier's scorecard counts the late shipment.
            super_ctx, spage = _sign_in(browser, base, "super1")
            spage.goto(f"{base}/d/scorecards/?month={month}&by=carrier")
            row = spage.locator(f"#scorecards tr[data-key='{carrier.pk}']")
            cells = row.locator("td").all_inner_texts()
            assert cells[0] == "顺丰速运" and cells[1] == "1" and cells[2] == "100.00%"
            shot(spage, "scorecard")
            spage.goto(f"{base}/compensation/ledger/?by=carrier")
            assert "SF" in spage.inner_text("#ledger-totals")
            shot(spage, "ledger-by-carrier")
            for context in (customer, agent_ctx, second_ctx, super_ctx):
                context.close()
        finally:
            browser.close()

    print(f"\ndelivery journey: {time.monotonic() - started:.1f}s; screenshots in {shot.folder}")
    incident = DeliveryIncident.objects.get(number=number)
    assert incident.state == "RESOLVED" and incident.delay_tier == "B"
    line = CompensationLine.objects.get(ticket=incident)
    assert line.state == "EXECUTED" and line.consent_via == "PORTAL"
    assert line.value == Decimal("30.00") and line.carrier == "SF"
    subjects = [m.subject for m in mail.outbox if "li.na@example.com" in m.to]
    assert any(number in s for s in subjects)
    assert any("暴雨导致干线停运" in m.body for m in mail.outbox)
