"""axe-core finds no serious or critical accessibility problem on the main pages.

Each page is checked in both languages, on a desktop (1366 px) and a phone (390 px) screen:
the portal, the public complaint form, the tracking page and the 404 page as a customer sees
them; the inbox, a case page and the ledger as a supervisor sees them; and for every other
kind of case its portal form, a case page, a tracking page and its staff pages. axe-core is the copy
shipped in the axe-playwright-python package. The findings of every run, of any impact, are
written to ``test-artifacts/a11y/findings.json``; phone screenshots of the inbox and of the
case page are saved beside it.
"""

import json
import os
import time
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from aftersales.cases.kinds import registered_kinds
from aftersales.models import Ticket
from aftersales.people import roles
from complaints.choices import State
from tests.factories import DepartmentFactory, complaint_in_state, ensure_staff_roles, make_staff
from tests.services import require_chromium, require_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--disable-component-update", "--disable-sync"]
LANGUAGES = ("zh-hans", "en")
WIDTHS = (1366, 390)
HEIGHT = 900
FAILING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000


def _artifacts_dir() -> Path:
    configured = os.environ.get("TEST_ARTIFACTS_DIR")
    folder = Path(configured) / "a11y" if configured else REPO_ROOT / "test-artifacts" / "a11y"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _axe_script() -> str:
    """axe.min.js as shipped in the axe-playwright-python package."""
    try:
        from axe_playwright_python.base import AXE_SCRIPT
    except ImportError:  # pragma: no cover - the package is a test dependency
        require_or_skip(False, "axe-playwright-python is not installed")
    return AXE_SCRIPT


def _axe_violations(page, script: str) -> list[dict]:
    """Run axe-core on the page as it is laid out now; it is injected once per document."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(script)
    return page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]


def other_kinds_pages(customer_pages: dict, staff_pages: dict, supervisor) -> None:
    """Every other registered kind of case, from its own demo data: its portal form, a case
    page and a tracking page, and the staff pages it adds to the navigation."""
    kinds = [kind for kind in registered_kinds() if kind.code != "COMPLAINT"]
    options = {kind.demo.option: 2 for kind in kinds if kind.demo}
    if options:
        call_command("seed_demo", complaints=0, force=True, stdout=StringIO(), stderr=StringIO(),
                     **options)
    for kind in kinds:
        name = str(kind.label_plural)
        if kind.portal_entry:
            customer_pages[f"{name}: portal form"] = reverse(kind.portal_entry.url_name)
        case = Ticket.objects.filter(kind=kind.code).order_by("-pk").first()
        if case is not None:
            staff_pages[f"{name}: case"] = kind.case_path(case.number)
            if kind.tracking_path(case.tracking_token):
                customer_pages[f"{name}: tracking"] = kind.tracking_path(case.tracking_token)
        for link in kind.nav_links:
            if not link.permission or supervisor.has_perm(link.permission):
                staff_pages[f"{name}: {link.label}"] = reverse(link.url_name)


def _scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.scrollingElement.scrollWidth > document.documentElement.clientWidth + 1")


def test_main_pages_have_no_serious_accessibility_findings(live_server):
    chromium = require_chromium()
    axe_script = _axe_script()
    from playwright.sync_api import sync_playwright

    setup_started = time.monotonic()
    ensure_staff_roles()
    dept = DepartmentFactory(code="qa", name="Quality")
    agent = make_staff("agent1", roles.AGENT)
    handler = make_staff("handler1", roles.HANDLER, dept)
    supervisor = make_staff("super1", roles.SUPERVISOR, first_name="Li", last_name="Na")
    people = {"agent": agent, "handler": handler, "supervisor": supervisor, "dept": dept}
    complaint_in_state(State.REGISTERED, **people)
    case = complaint_in_state(State.PLAN_APPROVAL, severity="S1", **people)
    tracked = complaint_in_state(State.RESOLVED, **people)
    staff_client = Client()
    staff_client.force_login(supervisor)
    session_id = staff_client.cookies[django_settings.SESSION_COOKIE_NAME].value

    customer_pages = {
        "portal": "/",
        "complaint form": "/c/new/",
        "tracking": f"/c/track/{tracked.tracking_token}/",
        "404": "/no-such-page/",
    }
    staff_pages = {
        "inbox": "/inbox/",
        "case": f"/c/{case.number}/",
        "ledger": "/ledger/",
    }
    other_kinds_pages(customer_pages, staff_pages, supervisor)
    base = live_server.url
    shots = _artifacts_dir()
    findings: list[dict] = []
    statuses: dict[str, int] = {}
    sideways: list[str] = []
    setup_seconds = time.monotonic() - setup_started
    axe_seconds = 0.0
    started = time.monotonic()

    # The ORM is not touched while Playwright's event loop is alive in this thread.
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            for language in LANGUAGES:
                for who, pages in (("customer", customer_pages), ("supervisor", staff_pages)):
                    context = browser.new_context(
                        viewport={"width": WIDTHS[0], "height": HEIGHT},
                        extra_http_headers={"Accept-Language": language},
                    )
                    context.set_default_timeout(TIMEOUT_MS)
                    cookies = [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language,
                                "url": base}]
                    if who == "supervisor":
                        cookies.append({"name": django_settings.SESSION_COOKIE_NAME,
                                        "value": session_id, "url": base})
                    context.add_cookies(cookies)
                    page = context.new_page()
                    for name, path in pages.items():
                        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
                        response = page.goto(base + path)
                        assert page.evaluate("document.documentElement.lang") == language
                        # One load per page: the same document is checked at each width.
                        for width in WIDTHS:
                            page.set_viewport_size({"width": width, "height": HEIGHT})
                            where = f"{name} [{language}, {width}px]"
                            statuses[where] = response.status if response else 0
                            axe_started = time.monotonic()
                            violations = _axe_violations(page, axe_script)
                            axe_seconds += time.monotonic() - axe_started
                            for rule in violations:
                                findings.append({
                                    "page": name, "path": path, "language": language,
                                    "width": width, "rule": rule["id"],
                                    "impact": rule["impact"],
                                    "targets": [" ".join(map(str, node["target"]))
                                                for node in rule["nodes"]],
                                })
                            if width != 390:
                                continue
                            if _scrolls_sideways(page):
                                sideways.append(where)
                            if name in ("inbox", "case"):
                                page.screenshot(path=str(shots / f"{name}-{language}-390.png"),
                                                full_page=True)
                            if name == "inbox":
                                assert not page.locator("#inbox-table thead").is_visible(), (
                                    "the inbox is still a table on a phone")
                    context.close()
        finally:
            browser.close()
    elapsed = time.monotonic() - started

    (shots / "findings.json").write_text(json.dumps(findings, ensure_ascii=False, indent=1))
    summary = Counter((f["impact"], f["rule"]) for f in findings)
    elements = Counter()
    for f in findings:
        elements[(f["impact"], f["rule"])] += len(f["targets"])
    print(f"\naxe: setup {setup_seconds:.1f}s; {len(statuses)} page views in {elapsed:.1f}s, "
          f"{axe_seconds:.1f}s of it in axe; findings by impact and rule (page views, elements):")
    for (impact, rule), count in sorted(summary.items()):
        print(f"  {impact:9} {rule:32} {count:3} {elements[(impact, rule)]:4}")

    unexpected = {where: status for where, status in statuses.items()
                  if status != (404 if where.startswith("404") else 200)}
    assert not unexpected, f"pages answered with the wrong status: {unexpected}"

    serious = [f for f in findings if f["impact"] in FAILING_IMPACTS]
    if serious:
        lines = [f"{f['impact']} {f['rule']} on {f['page']} ({f['path']}) "
                 f"[{f['language']}, {f['width']}px]: {', '.join(f['targets'][:8])}"
                 + (f" … and {len(f['targets']) - 8} more" if len(f["targets"]) > 8 else "")
                 for f in serious]
        pytest.fail(f"{len(serious)} serious or critical axe findings:\n" + "\n".join(lines),
                    pytrace=False)
    assert not sideways, f"pages that scroll sideways on a 390 px screen: {sideways}"
