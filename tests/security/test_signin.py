"""One sign-in throttle for every way in: the site's sign-in, the admin's sign-in and the
password reset. It counts per name (as sign-in resolves it) and per client address, keeps its
count in the database, and still lets staff in when the cache is down."""

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS
from django.test import Client, override_settings
from django.urls import reverse

from aftersales.people.signin import normalise_username
from tests.access import WHO, request_as
from tests.factories import PASSWORD, as_shown, make_staff
from tests.queries import queries

pytestmark = pytest.mark.django_db

RESET_DONE = "/accounts/password_reset/done/"


class CountingHasher(MD5PasswordHasher):
    """Counts the passwords hashed to check a sign-in."""

    checks = 0

    def verify(self, password, encoded):
        type(self).checks += 1
        return super().verify(password, encoded)


@pytest.fixture(autouse=True)
def private_cache(settings):
    """Reset counters of this test only, whoever else clears the shared cache meanwhile."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"signin-{id(settings)}",
    }}


@pytest.fixture
def counted_checks(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_signin.CountingHasher"]
    CountingHasher.checks = 0
    return CountingHasher


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@staff.example", PASSWORD)


def sign_in(browser: Client, username: str, password: str):
    return browser.post(reverse("login"), {"username": username, "password": password})


def admin_sign_in(browser: Client, username: str, password: str):
    return browser.post(reverse("admin:login"),
                        {"username": username, "password": password, "next": "/admin/"})


def signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def throttled(response) -> bool:
    return response.context["form"].has_error(NON_FIELD_ERRORS, code="throttled")


def ask_reset(browser: Client, email: str):
    return browser.post(reverse("password_reset"), {"email": email})


# --- the admin sign-in (finding: /admin/login/ was not throttled) ------------------------

def test_admin_sign_in_refuses_the_right_password_after_the_failure_limit(settings, root,
                                                                         counted_checks):
    browser = Client(REMOTE_ADDR="198.51.100.20")

    wrong = [admin_sign_in(browser, "root", "wrong").status_code for _ in range(50)]
    refused = admin_sign_in(browser, "root", PASSWORD)

    limit = settings.LOGIN_FAILURE_LIMIT
    assert wrong == [200] * limit + [429] * (50 - limit)
    assert counted_checks.checks == limit
    assert refused.status_code == 429
    assert throttled(refused)
    assert not signed_in(browser)


def test_the_admin_sign_in_works_below_the_limit(settings, root):
    browser = Client(REMOTE_ADDR="198.51.100.21")
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        admin_sign_in(browser, "root", "wrong")

    response = admin_sign_in(browser, "root", PASSWORD)

    assert response.status_code == 302
    assert signed_in(browser)


def test_site_and_admin_failures_count_against_one_limit(settings, root):
    guesser = Client(REMOTE_ADDR="198.51.100.22")
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        (sign_in if attempt % 2 else admin_sign_in)(guesser, "root", "wrong")

    on_the_site = sign_in(Client(REMOTE_ADDR="198.51.100.23"), "root", PASSWORD)
    in_the_admin = admin_sign_in(Client(REMOTE_ADDR="198.51.100.24"), "root", PASSWORD)

    assert throttled(on_the_site)
    assert throttled(in_the_admin)


def test_a_correct_password_does_not_use_up_the_limit(settings, agent):
    browser = Client(REMOTE_ADDR="198.51.100.25")
    for _ in range(3 * settings.LOGIN_FAILURE_LIMIT):
        assert sign_in(browser, "agent1", PASSWORD).status_code == 302
        browser.logout()

    assert sign_in(browser, "agent1", PASSWORD).status_code == 302


def test_the_lock_lasts_the_window_then_lifts(settings, agent):
    import time_machine

    browser = Client(REMOTE_ADDR="198.51.100.26")
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as clock:
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            sign_in(browser, "agent1", "wrong")
        clock.shift(settings.LOGIN_FAILURE_WINDOW_SECONDS - 60)
        still_locked = sign_in(browser, "agent1", PASSWORD)
        clock.shift(120)
        after_the_window = sign_in(browser, "agent1", PASSWORD)

    assert throttled(still_locked)
    assert after_the_window.status_code == 302


def test_client_login_without_a_request_is_throttled_by_name(settings, agent):
    """Code that calls authenticate() without a request still meets the name's limit."""
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert not Client().login(username="agent1", password="wrong")

    assert not Client().login(username="agent1", password=PASSWORD)


# --- look-alike names (finding: the lock keyed on the name as typed) ---------------------

@pytest.mark.parametrize(("typed", "counted_as"), [
    ("t_nfkc", "t_nfkc"),
    ("ｔ_ｎｆｋｃ", "t_nfkc"),          # full-width letters
    ("T_NFKC", "t_nfkc"),              # case
    ("  t_nfkc ", "t_nfkc"),           # the form strips
    ("ｔ＿ｎｆｋｃ", "t_nfkc"),          # full-width low line too
    ("straße", "strasse"),             # case-folding, not just lower()
    ("ﬁle", "file"),                   # compatibility ligature
    ("x" * 300, "x" * 255),            # bounded by the attempt table's column
])
def test_a_name_counts_as_sign_in_would_resolve_it(typed, counted_as):
    assert normalise_username(typed) == counted_as


def test_a_full_width_name_signs_in_as_the_plain_one(db):
    make_staff("t_nfkc", "agent")

    assert sign_in(Client(REMOTE_ADDR="198.51.100.30"), "ｔ_ｎｆｋｃ", PASSWORD).status_code == 302


@pytest.mark.parametrize("look_alike", ["ｔ_ｎｆｋｃ", "ｔ＿ＮＦＫＣ", "T_NFKC"])
def test_a_look_alike_name_does_not_get_round_the_lock(settings, look_alike):
    make_staff("t_nfkc", "agent")
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):  # each from its own address
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{40 + attempt}"), "t_nfkc", "wrong")

    browser = Client(REMOTE_ADDR="198.51.100.60")
    refused = sign_in(browser, look_alike, PASSWORD)

    assert throttled(refused)
    assert not signed_in(browser)


def test_failures_typed_as_a_look_alike_lock_the_real_name(settings):
    make_staff("t_nfkc", "agent")
    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{70 + attempt}"), "ｔ_ｎｆｋｃ", "wrong")

    refused = sign_in(Client(REMOTE_ADDR="198.51.100.90"), "t_nfkc", PASSWORD)

    assert throttled(refused)


# --- password reset (finding: 10 requests sent 10 e-mails) -------------------------------

def test_ten_reset_requests_send_at_most_the_limit_of_e_mails(settings, agent):
    browser = Client(REMOTE_ADDR="198.51.100.100")

    answers = [ask_reset(browser, "agent1@staff.example") for _ in range(10)]

    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT == 3
    assert {(answer.status_code, answer.url) for answer in answers} == {(302, RESET_DONE)}


def test_reset_requests_for_one_account_from_many_addresses_are_limited(settings, agent):
    for attempt in range(10):
        ask_reset(Client(REMOTE_ADDR=f"198.51.100.{110 + attempt}"), "AGENT1@staff.example")

    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT


def test_reset_requests_from_one_address_for_many_accounts_are_limited(settings):
    for n in range(10):
        make_staff(f"clerk{n}", "agent")
    browser = Client(REMOTE_ADDR="198.51.100.130")

    for n in range(10):
        ask_reset(browser, f"clerk{n}@staff.example")

    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT


def test_the_reset_answer_is_the_same_for_known_unknown_and_throttled(settings, agent):
    known = ask_reset(Client(REMOTE_ADDR="198.51.100.140"), "agent1@staff.example")
    unknown = ask_reset(Client(REMOTE_ADDR="198.51.100.141"), "nobody@staff.example")
    busy = Client(REMOTE_ADDR="198.51.100.142")
    for _ in range(settings.PASSWORD_RESET_LIMIT):
        ask_reset(busy, "agent1@staff.example")
    throttled_answer = ask_reset(busy, "agent1@staff.example")

    answers = {(r.status_code, r.url, r.content) for r in (known, unknown, throttled_answer)}
    assert answers == {(302, RESET_DONE, b"")}


def test_an_address_locked_out_of_sign_in_gets_no_reset_e_mail(settings, agent):
    browser = Client(REMOTE_ADDR="198.51.100.150")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(browser, "agent1", "wrong")

    answer = ask_reset(browser, "agent1@staff.example")

    assert answer.url == RESET_DONE
    assert mail.outbox == []


def test_the_reset_link_leads_to_a_new_password(settings, agent):
    settings.SITE_URL = "https://service.example.com"
    ask_reset(Client(REMOTE_ADDR="198.51.100.160"), "agent1@staff.example")
    body = mail.outbox[0].body
    link = re.search(r"https://service\.example\.com(/accounts/reset/\S+/)", body).group(1)
    browser = Client(REMOTE_ADDR="198.51.100.161")

    form_page = browser.get(link, follow=True)
    changed = browser.post(form_page.redirect_chain[-1][0], {
        "new_password1": "a-new-pass-4711", "new_password2": "a-new-pass-4711"}, follow=True)

    assert "agent1" in body
    assert "\n" not in mail.outbox[0].subject
    assert form_page.templates[0].name == "registration/password_reset_confirm.html"
    assert changed.templates[0].name == "registration/password_reset_complete.html"
    assert sign_in(browser, "agent1", "a-new-pass-4711").status_code == 302


@pytest.mark.parametrize("page", ["password_reset", "password_reset_done"])
def test_the_reset_pages_use_the_site_layout(client, page):
    response = client.get(reverse(page))

    assert response.status_code == 200
    assert "layout_public.html" in [t.name for t in response.templates]
    assert 'href="/accounts/login/"' in response.content.decode()


def test_the_sign_in_page_links_to_the_password_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("who", WHO)
def test_everyone_may_open_the_password_reset_page(client, users, who):
    response = request_as(client, users[who], "get", reverse("password_reset"))

    assert response.status_code == 200


def test_query_budgets_of_the_sign_in_and_reset_pages(client):
    assert queries(client, reverse("login"))[0] == 0
    assert queries(client, reverse("password_reset"))[0] == 0


def test_query_budget_of_a_failed_sign_in(agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = Client(REMOTE_ADDR="198.51.100.170")
    sign_in(browser, "agent1", "wrong")
    with CaptureQueriesContext(connection) as captured:
        sign_in(browser, "agent1", "wrong")

    # In one transaction: (PostgreSQL: two advisory locks), expired attempts, the sums for
    # the address and the name, find and count the attempt. Then the user lookup.
    locks = 2 if connection.vendor == "postgresql" else 0
    assert len(captured) == 8 + locks


# --- the cache (Redis) is down -----------------------------------------------------------

DEAD_REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/3"}}


def test_with_the_cache_down_staff_still_sign_in_and_the_lock_holds(settings, agent, caplog):
    browser = Client(REMOTE_ADDR="198.51.100.180")
    guesser = Client(REMOTE_ADDR="198.51.100.181")
    with override_settings(CACHES=DEAD_REDIS), caplog.at_level(logging.WARNING):
        page = browser.get(reverse("login"))
        signed = sign_in(browser, "agent1", PASSWORD)
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            sign_in(guesser, "someone", "guess")
        refused = sign_in(guesser, "agent1", PASSWORD)

    assert page.status_code == 200
    assert signed.status_code == 302
    assert throttled(refused)


def test_with_the_cache_down_a_reset_is_sent_and_a_warning_logged(agent, caplog):
    with override_settings(CACHES=DEAD_REDIS), caplog.at_level(logging.WARNING):
        answer = ask_reset(Client(REMOTE_ADDR="198.51.100.190"), "agent1@staff.example")

    assert answer.status_code == 302
    assert len(mail.outbox) == 1
    assert any("not throttled" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)


def test_the_throttle_message_is_translated(settings, agent):
    browser = Client(REMOTE_ADDR="198.51.100.200")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(browser, "agent1", "wrong")
    from django.utils.translation import gettext_lazy

    message = gettext_lazy(
        "Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.")

    page = sign_in(browser, "agent1", PASSWORD).content.decode()

    assert as_shown(message) % {"minutes": 15} in page
