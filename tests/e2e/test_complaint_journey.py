"""The whole complaint journey in a real browser, one person per browser context.

customer files on the web form → agent accepts and classifies → handler starts and records a
plan → supervisor approves → agent replies → customer reads the reply and is satisfied →
agent archives.
"""

import os
import struct
import time
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone, translation

from aftersales.people import roles
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import PASSWORD, DepartmentFactory, ensure_staff_roles, make_staff
from tests.services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
]
# The product's default language; customers and staff in China browse with it.
BROWSER_LOCALE = "zh-CN"
TIMEOUT_MS = 15_000


# --- helpers --------------------------------------------------------------------------

def _png(path: Path, size: int = 16) -> Path:
    """A small, valid RGB PNG (a red square) written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xdc\x35\x45" * size for _ in range(size))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def _local_input(moment) -> str:
    """A value for <input type=datetime-local>, in the server's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class Shots:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.taken: list[Path] = []

    def __call__(self, page, step: str) -> None:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


def _artifacts_dir() -> Path:
    configured = os.environ.get("TEST_ARTIFACTS_DIR")
    return Path(configured) if configured else REPO_ROOT / "test-artifacts" / "e2e"


def _sign_in(browser, base_url: str, username: str):
    context = browser.new_context(locale=BROWSER_LOCALE, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert page.url.rstrip("/").endswith("/inbox"), f"{username} could not sign in: {page.url}"
    return context, page


def _open_complaint(page, base_url: str, number: str) -> None:
    page.goto(f"{base_url}/c/{number}/")
    assert page.inner_text("#complaint-number").strip() == number


def _state(page) -> str:
    """The state code on the case page; its badge must also name it for people."""
    badge = page.locator("h1 [data-state]")
    assert badge.inner_text().strip(), "the state badge is empty"
    return badge.get_attribute("data-state")


def _expect_ok(page, response, step: str) -> None:
    """The page after a submit: a server error fails the step with what the page says."""
    if response is not None and response.status >= 500:
        pytest.fail(f"{step}: HTTP {response.status} from {response.url}: "
                    f"{page.inner_text('body')[:500]}")


def _run_action(page, name: str, fill) -> None:
    """Open the action's card if it is folded, fill its form, submit, expect success."""
    card = page.locator(f"#action-{name}")
    assert card.count() == 1, (
        f"action {name!r} is not offered; offered: "
        f"{page.eval_on_selector_all('[id^=action-]', 'els => els.map(e => e.id)')}"
    )
    body = page.locator(f"#form-{name}")
    if body.count() == 0:
        # Only the opened action's form is rendered; its heading link opens it.
        card.locator(".card-header a").click()
        page.wait_for_url(f"**action={name}**")
        card = page.locator(f"#action-{name}")
        body = page.locator(f"#form-{name}")
    body.wait_for(state="visible")
    fill(card)
    with page.expect_navigation() as navigation:
        card.locator(f"button[name=do][value={name}]").click()
    _expect_ok(page, navigation.value, name)
    errors = page.locator(f"#action-{name} .invalid-feedback, #action-{name} .alert-danger")
    assert errors.count() == 0, f"{name} refused: {errors.all_inner_texts()}"
    assert page.locator(".alert-success").count() >= 1, f"{name}: no confirmation shown"


# --- the journey ------------------------------------------------------------------------

def test_complaint_journey_in_the_browser(live_server, tmp_path, settings):
    path = require_chromium()
    from playwright.sync_api import sync_playwright

    ensure_staff_roles()
    quality = DepartmentFactory(code="qa", name="Quality")
    make_staff("agent1", roles.AGENT)
    handler = make_staff("handler1", roles.HANDLER, quality)
    make_staff("super1", roles.SUPERVISOR)
    evidence = _png(tmp_path / "kettle-photo.png")
    plan_deadline = _local_input(timezone.now() + timedelta(days=5))
    reply_text = "We repaired the heating element of your kettle; it works again."
    with translation.override("zh-hans"):
        archived_label = str(State.CLOSED.label)

    base = live_server.url
    shot = Shots(_artifacts_dir())
    started = time.monotonic()

    # The ORM is not touched while Playwright's event loop is alive in this thread.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            # 1. The customer files a complaint with a photo.
            customer = browser.new_context(locale=BROWSER_LOCALE,
                                           viewport={"width": 1280, "height": 900})
            customer.set_default_timeout(TIMEOUT_MS)
            cpage = customer.new_page()
            cpage.goto(f"{base}/c/new/")
            # Bootstrap and the app's stylesheet are served: the honeypot is off-screen.
            assert cpage.evaluate(
                "getComputedStyle(document.documentElement).getPropertyValue('--bs-primary')"
            ).strip(), "bootstrap.min.css did not load"
            assert cpage.locator(".hp-field").evaluate(
                "el => getComputedStyle(el).position") == "absolute", "app.css did not load"
            form = cpage.locator("#public-complaint-form")
            form.locator("[name=name]").fill("王小明")
            form.locator("[name=phone]").fill("13912345678")
            form.locator("[name=email]").fill("wang.xiaoming@example.com")
            form.locator("[name=product]").fill("Electric kettle K1")
            form.locator("[name=category_hint]").select_option("QUAL")
            form.locator("[name=description]").fill(
                "The kettle stopped heating three days after delivery. The light turns on "
                "but the water stays cold.")
            form.locator("[name=files]").set_input_files(str(evidence))
            shot(cpage, "customer-form-filled")
            with cpage.expect_navigation() as navigation:
                form.locator("button[type=submit]").click()
            _expect_ok(cpage, navigation.value, "filing the complaint")
            problems = cpage.locator(".invalid-feedback, .alert-danger")
            assert "/c/submitted/" in cpage.url, f"not filed: {problems.all_inner_texts()}"
            number = cpage.inner_text("#complaint-number").strip()
            tracking_url = cpage.get_attribute("#tracking-link", "href")
            assert number.startswith("CP-")
            assert tracking_url and "/c/track/" in tracking_url
            shot(cpage, "customer-submitted")

            # 2. The agent accepts and classifies it.
            agent_ctx, agent = _sign_in(browser, base, "agent1")
            assert agent.locator(f"#inbox-table a:text-is('{number}')").count() == 1
            shot(agent, "agent-inbox")
            _open_complaint(agent, base, number)
            assert _state(agent) == State.REGISTERED
            assert agent.locator("#timeline a[href*='/files/']").count() == 1  # the photo

            def accept(card):
                for check in ("identity", "order", "facts", "remit"):
                    card.locator(f"[name=accept-check_{check}]").check()

            _run_action(agent, "accept", accept)
            assert _state(agent) == State.ACCEPTED
            shot(agent, "agent-accepted")

            def classify(card):
                card.locator("[name=classify-category]").select_option("QUAL")
                card.locator("[name=classify-subcategory]").select_option("FUNC")
                card.locator("[name=classify-severity]").select_option("S2")
                card.locator("[name=classify-department]").select_option(label="Quality")
                card.locator("[name=classify-assignee]").select_option(str(handler.pk))

            _run_action(agent, "classify", classify)
            assert _state(agent) == State.CLASSIFIED
            shot(agent, "agent-classified")

            # 3. The handler starts handling and records the plan.
            handler_ctx, hpage = _sign_in(browser, base, "handler1")
            _open_complaint(hpage, base, number)
            _run_action(hpage, "start", lambda card: None)
            assert _state(hpage) == State.ANALYSING
            shot(hpage, "handler-started")

            def plan(card):
                card.locator("[name=plan-cause]").select_option("QUALITY_DEFECT")
                card.locator("[name=plan-nature]").select_option("PRODUCTION")
                card.locator("[name=plan-liability]").select_option("COMPANY")
                card.locator("[name=plan-responsible_department]").select_option(label="Quality")
                card.locator("[name=plan-solution_type]").select_option("REPAIR")
                card.locator("[name=plan-measures]").fill(
                    "Collect the kettle, replace the heating element, test and send it back.")
                card.locator("[name=plan-compensation_amount]").fill("0")
                card.locator("[name=plan-deadline]").fill(plan_deadline)

            _run_action(hpage, "plan", plan)
            assert _state(hpage) == State.PLAN_APPROVAL
            assert hpage.locator("#plan-card").is_visible()
            shot(hpage, "handler-plan-recorded")

            # 4. The supervisor approves the plan.
            super_ctx, spage = _sign_in(browser, base, "super1")
            _open_complaint(spage, base, number)
            _run_action(spage, "decide_plan",
                        lambda card: card.locator("[name=decide_plan-decision][value=approve]")
                        .check())
            assert _state(spage) == State.IN_PROGRESS
            shot(spage, "supervisor-plan-approved")

            # 5. The agent replies to the customer.
            _open_complaint(agent, base, number)

            def reply(card):
                card.locator("[name=reply-text]").fill(reply_text)
                card.locator("[name=reply-outcome]").select_option("SOLVED")

            _run_action(agent, "reply", reply)
            assert _state(agent) == State.RESOLVED
            shot(agent, "agent-replied")

            # 6. The customer reads the reply and is satisfied.
            cpage.goto(tracking_url)
            assert cpage.inner_text("#complaint-number").strip() == number
            assert reply_text in cpage.inner_text("#timeline")
            feedback = cpage.locator("#feedback-card")
            assert feedback.is_visible()
            shot(cpage, "customer-sees-reply")
            feedback.locator("[name=feedback-satisfied][value=yes]").check()
            feedback.locator("[name=feedback-rating]").select_option("5")
            with cpage.expect_navigation() as navigation:
                feedback.locator("button[type=submit]").click()
            _expect_ok(cpage, navigation.value, "customer feedback")
            assert cpage.locator("#feedback-card").count() == 0
            assert cpage.locator(".alert-success").count() >= 1
            assert cpage.get_attribute("[data-state]", "data-state") == State.RETURN_VISIT
            shot(cpage, "customer-feedback-sent")

            # 7. The agent archives it.
            _open_complaint(agent, base, number)
            _run_action(agent, "archive", lambda card: None)
            assert _state(agent) == State.CLOSED
            assert agent.inner_text("h1 [data-state]").strip() == archived_label
            shot(agent, "agent-archived")

            for context in (customer, agent_ctx, handler_ctx, super_ctx):
                context.close()
        finally:
            browser.close()

    elapsed = time.monotonic() - started
    print(f"\nbrowser journey: {elapsed:.1f}s; screenshots in {shot.folder}")
    for taken in shot.taken:
        print(f"  {taken.name}")

    complaint = Complaint.objects.get(number=number)
    assert complaint.state == State.CLOSED
    assert complaint.outcome == "SOLVED"
    assert complaint.assignee == handler
    assert complaint.department == quality
    assert [a.content_type for a in complaint.attachments.all()] == ["image/png"]
    assert any(number in message.subject + message.body for message in mail.outbox)
