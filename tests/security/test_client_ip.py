"""The client's address, as every rate limit and the sign-in throttle see it: X-Forwarded-For
counts only as far as TRUSTED_PROXY_COUNT proxies vouch for it, and not at all by default."""

from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse

from aftersales.core.http import client_ip
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Rate-limit counters of this test only, whoever else clears the shared cache meanwhile."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"client-ip-{id(settings)}",
    }}


@pytest.mark.parametrize(("proxies", "remote", "forwarded", "expected"), [
    (0, "198.51.100.7", "", "198.51.100.7"),
    (0, "10.0.0.1", "203.0.113.5", "10.0.0.1"),                    # header ignored
    (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),
    (1, "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),         # client's own entry ignored
    (2, "10.0.0.2", "6.6.6.6, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
    (2, "10.0.0.2", "203.0.113.5", "203.0.113.5"),                  # fewer hops than proxies
    (1, "10.0.0.1", "", "10.0.0.1"),                                # no header
    (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
    (1, "10.0.0.1", "203.0.113.5:51234", "203.0.113.5"),             # with a port
    (1, "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    (1, "10.0.0.1", "2001:DB8:0:0::1", "2001:db8::1"),               # one spelling per address
    (0, "::ffff:192.0.2.1", "", "192.0.2.1"),                       # IPv4 seen over IPv6
    (0, "", "", ""),                                                # unknown
])
def test_client_ip(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)

    assert client_ip(request) == expected


def test_no_proxy_is_trusted_by_default():
    assert django_settings.TRUSTED_PROXY_COUNT == 0


def test_the_sign_in_throttle_takes_the_address_from_client_ip():
    assert django_settings.AXES_CLIENT_IP_CALLABLE == "aftersales.core.http.client_ip"


def behind_the_proxy(customer: str) -> Client:
    return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=customer)


def sign_in(browser: Client, username: str, password: str):
    return browser.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_behind_a_proxy_each_customer_has_their_own_sign_in_limit(settings, agent):
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = behind_the_proxy("203.0.113.5")
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(guesser, f"someone{attempt}", "guess")

    colleague = sign_in(behind_the_proxy("203.0.113.6"), "agent1", PASSWORD)

    assert colleague.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_reset_the_limit(settings, agent):
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}"),
                f"someone{attempt}", "guess")

    refused = sign_in(Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.99"),
                      "agent1", PASSWORD)

    assert refused.status_code == 429


def submit_public_form(browser: Client) -> int:
    return browser.post(reverse("complaints:public_new"), {}).status_code


@pytest.mark.django_db
def test_behind_a_proxy_each_customer_has_their_own_public_form_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    busy = behind_the_proxy("203.0.113.5")
    for _ in range(settings.PUBLIC_FORM_RATE_LIMIT):
        submit_public_form(busy)

    assert submit_public_form(busy) == 429
    assert submit_public_form(behind_the_proxy("203.0.113.6")) != 429


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_public_form_limit_ignores_the_header(settings):
    for attempt in range(settings.PUBLIC_FORM_RATE_LIMIT):
        submit_public_form(Client(REMOTE_ADDR="198.51.100.9",
                                  HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}"))

    assert submit_public_form(Client(REMOTE_ADDR="198.51.100.9",
                                     HTTP_X_FORWARDED_FOR="203.0.113.99")) == 429


def test_the_setting_is_documented_for_operators():
    readme = (ROOT / "README.md").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()

    assert "| `TRUSTED_PROXY_COUNT` | `0` |" in readme
    assert "TRUSTED_PROXY_COUNT: ${TRUSTED_PROXY_COUNT:-0}" in compose
