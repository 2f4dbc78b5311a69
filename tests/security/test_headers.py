"""Security headers: a Content-Security-Policy on every response with no inline script or
style anywhere, HSTS and secure redirects in production, and no copy of a customer's private
pages or files in any cache. ``manage.py check --deploy`` is clean in production mode."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from aftersales.cases.services import ticket_add_note
from aftersales.models import Attachment, FollowUp
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import checked_evidence
from tests.security.test_urls import PARAMETER, every_route
from tests.services import chromium_path, require_or_skip

REPO_ROOT = Path(__file__).resolve().parents[2]
NO_STORE = {"no-store", "private"}

TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE = [
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "style element"),
    # A JSON data island (json_script) is not run, so the policy does not apply to it.
    (re.compile(r"<script\b(?![^>]*\b(?:src\s*=|type=\"application/json\"))", re.I),
     "inline script"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"=\s*[\"']?\s*javascript:", re.I), "javascript: URL"),
]


def inline_code(html: str) -> list[str]:
    """Every inline style or script the policy would block, with its tag."""
    found = []
    for tag in TAG.findall(html):
        found += [f"{what}: {tag[:120]}" for pattern, what in INLINE if pattern.search(tag)]
    return found


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in
            (part.split() for part in policy.split(";") if part.strip())}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


# --- Content-Security-Policy ------------------------------------------------------------

@pytest.fixture
def pages(build, agent):
    """Public and staff pages in the states that show the most forms."""
    waiting = build(State.AWAIT_CUSTOMER)
    replied = build(State.RESOLVED)
    ticket_add_note(ticket_model=Complaint, ticket_pk=waiting.pk, actor=agent,
                    text="Line one\nline two", customer_visible=True,
                    uploads=[checked_evidence("report.pdf")])
    survey = FollowUp.objects.get(ticket_id=replied.pk, status="SCHEDULED")
    public = [
        reverse("complaints:public_new"),
        reverse("complaints:track", args=[waiting.tracking_token]),
        reverse("complaints:track", args=[replied.tracking_token]),
        reverse("complaints:public_submitted", args=[waiting.tracking_token]),
        reverse("aftersales:survey", args=[survey.token]),
        reverse("login"),
    ]
    staff = [
        reverse("complaints:detail", args=[waiting.number]),
        reverse("complaints:detail", args=[replied.number]),
    ]
    return public, staff


@pytest.mark.django_db
def test_the_policy_allows_only_the_sites_own_code(client, pages):
    public, _ = pages

    for path in [*public, "/no-such-page/", "/c/track/x/"]:
        policy = directives(client.get(path))
        assert policy["default-src"] == ["'self'"], path
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert not any("unsafe" in value for values in policy.values() for value in values)


@pytest.mark.django_db
def test_no_page_carries_inline_script_or_style(client, pages, admin_user):
    public, staff = pages
    rendered = {path: client.get(path) for path in public}
    client.force_login(admin_user)
    staff_pages = staff + [route for route in every_route() if not PARAMETER.search(route)
                           and not route.startswith(("/accounts/logout", "/i18n/"))]
    rendered.update({path: client.get(path) for path in staff_pages})
    html = {path: response.content.decode() for path, response in rendered.items()
            if response.status_code == 200
            and response["Content-Type"].startswith("text/html")}

    assert len(html) > 20
    assert {path: inline_code(page) for path, page in html.items() if inline_code(page)} == {}


def test_no_template_has_inline_script_or_style():
    templates = [path for path in (REPO_ROOT / "templates").rglob("*.html")]
    templates += [path for app in ("aftersales", "complaints", "returns", "delivery",
                                   "analytics") for path in (REPO_ROOT / app).rglob("*.html")]

    found = {str(path.relative_to(REPO_ROOT)): inline_code(path.read_text())
             for path in templates}

    assert len(templates) > 15
    assert {path: what for path, what in found.items() if what} == {}


def test_the_checker_finds_inline_code():
    assert inline_code('<p style="color: red">') == ['style attribute: <p style="color: red">']
    assert inline_code("<script>alert(1)</script>") == ["inline script: <script>"]
    assert inline_code('<a href="#" onclick="x()">') != []
    assert inline_code('<script src="/static/app.js"></script>') == []
    assert inline_code('<script id="data" type="application/json">{}</script>') == []


def test_the_stylesheet_has_what_the_inline_styles_did():
    assert ".text-pre-wrap { white-space: pre-wrap; }" in (
        REPO_ROOT / "static" / "css" / "app.css").read_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_reports_no_policy_violation(live_server, build, agent, supervisor):
    path = chromium_path()
    require_or_skip(path is not None, "Chromium is not installed (set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    waiting = build(State.AWAIT_CUSTOMER)
    replied = build(State.RESOLVED)
    survey = FollowUp.objects.get(ticket_id=replied.pk, status="SCHEDULED").token
    client = Client()
    client.force_login(supervisor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    public = ["/c/new/", f"/c/track/{waiting.tracking_token}/",
              f"/c/track/{replied.tracking_token}/", f"/s/{survey}/", "/accounts/login/"]
    staff = ["/c/inbox/", f"/c/{waiting.number}/", "/c/register/", "/followups/"]
    violations: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session,
                                  "url": live_server.url}])
            page = context.new_page()
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
            for url in public + staff:
                page.goto(live_server.url + url)
                page.wait_for_load_state("load")
                # Bootstrap's script ran and the stylesheet applied.
                assert page.evaluate("typeof bootstrap") == "object", url
            page.goto(f"{live_server.url}/c/{waiting.number}/")
            pre_wrap = page.evaluate(
                "getComputedStyle(document.querySelector('.text-pre-wrap')).whiteSpace")
        finally:
            browser.close()

    assert violations == []
    assert pre_wrap == "pre-wrap"


# --- no cached copy of private pages ------------------------------------------------------

@pytest.mark.django_db
def test_private_pages_and_files_are_never_stored_in_a_cache(client, build, agent):
    complaint = build(State.RESOLVED)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Report", customer_visible=True,
                    uploads=[checked_evidence("report.pdf")])
    file = Attachment.objects.get(ticket_id=complaint.pk)
    survey = FollowUp.objects.get(ticket_id=complaint.pk, status="SCHEDULED").token
    token = complaint.tracking_token

    responses = {
        "tracking page": client.get(reverse("complaints:track", args=[token])),
        "tracking page after a refused post": client.post(
            reverse("complaints:track", args=[token]), {"form": "feedback"}),
        "submitted page": client.get(reverse("complaints:public_submitted", args=[token])),
        "survey": client.get(reverse("aftersales:survey", args=[survey])),
        "file by token": client.get(reverse("attachment", args=[file.pk]), {"t": token}),
        "file refused": client.get(reverse("attachment", args=[file.pk]), {"t": "x"}),
    }
    client.force_login(agent)
    responses["file for staff"] = client.get(reverse("attachment", args=[file.pk]))

    assert {name: r.status_code for name, r in responses.items()} == {
        "tracking page": 200, "tracking page after a refused post": 400,
        "submitted page": 200, "survey": 200, "file by token": 200, "file refused": 404,
        "file for staff": 200}
    for name, response in responses.items():
        if name != "file refused":  # a 404 that names nothing needs no protection
            assert cache_control(response) >= NO_STORE, name
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
            response.close()


# --- HSTS and HTTPS in production ---------------------------------------------------------

def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SECURE_", "SESSION_", "CSRF_", "DEBUG"))}
    env.update({
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k" * 20 + "production-only-test-secret-0123456789-abcdefghijklmnop",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": "sqlite:////tmp/aftersales-deploy-check.sqlite3",
        "ALLOWED_HOSTS": "service.example.com",
        **extra,
    })
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def production_settings(**extra: str) -> dict:
    script = ("import json, django; django.setup(); from django.conf import settings as s; "
              "print(json.dumps({n: getattr(s, n, None) for n in ("
              "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
              "'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER', 'SESSION_COOKIE_SECURE', "
              "'CSRF_COOKIE_SECURE', 'DEBUG')}))")
    result = run([sys.executable, "-c", script],
                 production_env(DJANGO_SETTINGS_MODULE="aftersales.settings", **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_checks_are_clean_in_production_mode():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_the_deploy_check_would_notice_a_missing_hsts():
    result = run([sys.executable, "manage.py", "check", "--deploy"],
                 production_env(SECURE_HSTS_SECONDS="0"))

    assert "security.W004" in result.stdout + result.stderr


def test_production_redirects_to_https_and_sends_hsts_for_a_year():
    values = production_settings()

    assert values == {
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "DEBUG": False,
    }


def test_the_proxy_https_header_comes_from_the_environment():
    values = production_settings(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    refused = run([sys.executable, "manage.py", "check"],
                  production_env(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO"))

    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert refused.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in refused.stderr


def test_development_neither_redirects_nor_sends_hsts():
    assert not getattr(settings, "SECURE_SSL_REDIRECT", False)
    assert not getattr(settings, "SECURE_HSTS_SECONDS", 0)


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
                   SECURE_HSTS_PRELOAD=True, SECURE_SSL_REDIRECT=True,
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_behind_the_proxy_https_gets_hsts_and_http_is_redirected():
    client = Client()

    plain = client.get("/c/new/")
    forwarded = client.get("/c/new/", HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/c/new/"
    assert "Strict-Transport-Security" not in plain
    assert forwarded.status_code == 200
    assert forwarded["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload")
