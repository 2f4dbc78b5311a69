"""A technician's visit on a phone (390 × 844), in a real browser: today's jobs, check in,
cause and parts, the customer signs with a finger and accepts, and the printable service
record shows the signature. Screenshots are kept under test-artifacts/e2e/field-service/.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aftersales.core.choices import DepartmentKind
from aftersales.fieldservice import services as s
from aftersales.fieldservice.choices import FaultType, ServiceMode
from aftersales.fieldservice.models import Part, PartUsed, RepairJob, Signature, Technician
from aftersales.fieldservice.roles import DISPATCHER, TECHNICIAN
from aftersales.people import roles
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    OrderLineFactory,
    ensure_staff_roles,
    make_staff,
)
from tests.services import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


def _shots_dir() -> Path:
    configured = os.environ.get("TEST_ARTIFACTS_DIR")
    base = Path(configured) if configured else REPO_ROOT / "test-artifacts" / "e2e"
    folder = base / "field-service"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _world():
    ensure_staff_roles()
    field = DepartmentFactory(code="field", name="Field service",
                              kind=DepartmentKind.FIELD_SERVICE)
    agent = make_staff("agent1", roles.AGENT)
    dispatcher = make_staff("dispatch1", DISPATCHER, field)
    user = make_staff("tech1", TECHNICIAN, field, first_name="刘师傅")
    technician = Technician.objects.create(user=user, region="上海", skills=["Big appliances"])
    part = Part.objects.create(code="P-SEAL", name="门封条", price="45.00")
    line = OrderLineFactory(product__category="Big appliances",
                            product__in_sanbao_catalogue=True, serial_number="SN-E2E",
                            order__signed_at=timezone.now() - timedelta(days=60))
    job = s.job_report(intake=s.JobIntake(
        name="王芳", phone="13900001111", order_line=line, description="洗衣机漏水",
        address="上海市浦东新区张杨路100弄5号", address_area="浦东新区", region="上海"),
        actor=agent)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)
    start = timezone.localtime().replace(second=0, microsecond=0) + timedelta(minutes=30)
    s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher,
                   technician_pk=technician.pk, start=start, end=start + timedelta(hours=2))
    return RepairJob.objects.get(pk=job.pk), part


def _draw(page, selector: str) -> None:
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + w * (0.1 + 0.04 * step), y + h * (0.6 - 0.3 * ((step % 4) / 3)))
    page.mouse.up()


def test_technician_visit_on_a_phone(live_server, settings):
    path = require_chromium()
    from playwright.sync_api import sync_playwright
    job, part = _world()
    folder = _shots_dir()
    base = live_server.url
    small_targets = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True,
                                          is_mobile=True, device_scale_factor=2)
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", "tech1")
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("form button[type=submit]")

            page.goto(f"{base}/jobs/my/")
            assert page.locator(f"[data-job='{job.number}']").count() == 1
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            page.screenshot(path=str(folder / "01-today.png"), full_page=True)

            page.click(f"[data-job='{job.number}'] a")
            assert page.inner_text("#job-number").strip() == job.number
            assert "张杨路" not in page.inner_text("body")
            page.click("#show-address")
            assert "张杨路100弄5号" in page.inner_text("#full-address")
            page.click("#check-in")
            page.screenshot(path=str(folder / "02-arrived.png"), full_page=True)

            page.fill("#id_cause", "门封条老化漏水，已更换")
            page.fill(f"#id_part_{part.pk}", "1")
            page.click("#save-work")
            page.click("#complete")
            page.wait_for_selector("#acceptance")
            small_targets = page.evaluate(
                """() => [...document.querySelectorAll('main button, main a.btn')]
                       .filter(el => el.offsetParent !== null)
                       .filter(el => el.getBoundingClientRect().height < 44)
                       .map(el => el.outerHTML.slice(0, 80))""")
            page.fill("#id_signer_name", "王芳")
            _draw(page, ".signature-canvas")
            page.screenshot(path=str(folder / "03-signed.png"), full_page=True)
            with page.expect_navigation():
                page.click("#accept")

            assert page.url.endswith(f"/jobs/{job.number}/record/")
            image = page.locator("#record-signatures img[data-role=CUSTOMER]")
            assert image.count() == 1
            assert image.evaluate("img => img.complete && img.naturalWidth") > 0
            page.screenshot(path=str(folder / "04-service-record.png"), full_page=True)
            page.emulate_media(media="print")
            page.screenshot(path=str(folder / "05-service-record-print.png"), full_page=True)
        finally:
            browser.close()

    assert errors == []
    assert small_targets == []
    job = RepairJob.objects.get(pk=job.pk)
    assert job.state == "ACCEPTED"
    assert job.visits.get().arrived_at is not None
    assert PartUsed.objects.get(job=job).part_id == part.pk
    signature = Signature.objects.get(job=job)
    assert signature.role == "CUSTOMER" and signature.signer_name == "王芳"
    with signature.image.open("rb") as stored:
        assert stored.read(8) == b"\x89PNG\r\n\x1a\n"
    assert job.events.filter(action="fieldservice.job.address_revealed").count() == 1
