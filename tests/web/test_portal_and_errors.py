"""The customer portal's front door, "find my case", and the error pages."""

import re

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from aftersales.notifications import sms
from aftersales.web import errors
from complaints import services as s
from tests.factories import intake

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "aftersales.notifications.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def case():
    complaint = s.complaint_register(intake=intake(), actor=None)
    mail.outbox.clear()
    return complaint


@pytest.fixture
def find(client, django_capture_on_commit_callbacks):
    def post(number, contact):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("portal_find"), {"number": number, "contact": contact})
    return post


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_portal_offers_each_kind_that_customers_can_start(client):
    response = client.get("/")

    assert response.status_code == 200
    assert reverse("complaints:public_new") in response.content.decode()
    assert "<main" in response.content.decode()


def test_find_my_case_sends_the_link_to_the_email_on_file(find, case):
    response = find(case.number.lower(), "ZhangSan@example.com")

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangsan@example.com"]
    assert case.tracking_token in mail.outbox[0].body
    assert case.tracking_token not in response.content.decode()


def test_find_my_case_sends_the_link_by_sms_to_the_phone_on_file(find, case):
    find(case.number, "138 1234 5678")

    assert [m.to for m in sms.outbox] == ["13812345678"]
    assert case.tracking_token in sms.outbox[0].text


def test_a_wrong_contact_or_number_gets_the_same_answer_and_sends_nothing(find, case):
    matched = find(case.number, "zhangsan@example.com")
    wrong_contact = find(case.number, "someone@example.com")
    wrong_number = find("CP-20990101-0001", "zhangsan@example.com")

    assert len(mail.outbox) == 1
    assert matched.status_code == wrong_contact.status_code == wrong_number.status_code == 200
    first = without_tokens(matched.content.decode())
    assert first == without_tokens(wrong_contact.content.decode())
    assert first == without_tokens(wrong_number.content.decode())


def test_find_my_case_is_rate_limited(find, case, settings):
    settings.FIND_CASE_RATE_LIMIT = 3
    answers = [find(f"CP-20990101-000{n}", "a@example.com").status_code
               for n in range(5)]

    assert answers == [200, 200, 200, 429, 429]


def test_an_incomplete_request_says_what_is_missing(find):
    response = find("", "")

    assert response.status_code == 400
    assert "is-invalid" in response.content.decode()


def test_the_404_page_has_the_layout_the_language_and_a_way_back(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html and "<main" in html
    assert "Page not found" in html and 'href="/"' in html


def test_the_404_page_speaks_chinese(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert '<html lang="zh-hans">' in response.content.decode()


def test_the_403_page_has_the_layout(client, no_role):
    client.force_login(no_role)

    response = client.get(reverse("aftersales:inbox"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode() and "<main" in response.content.decode()


def test_the_500_page_has_the_layout():
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()

    response = errors.server_error(request)

    assert response.status_code == 500
    assert b"<main" in response.content


def test_the_favicon_is_found():
    response = Client().get("/favicon.ico")

    assert response.status_code == 301 and response.url.endswith("favicon.svg")
