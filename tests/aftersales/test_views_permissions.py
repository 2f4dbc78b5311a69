"""The shared pages (aftersales/urls.py): staff sign-in with its failure throttle, and the
evidence file download, which only staff who may see the case or the case's own tracking
link can use."""

import pytest
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.test import Client
from django.urls import reverse

from aftersales.cases.services import ticket_add_note
from aftersales.models import Attachment
from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.access import WHO
from tests.factories import (
    PASSWORD,
    as_shown,
    checked_evidence,
    complaint_in_state,
    intake,
    tiny_pdf,
    tiny_png,
)


@pytest.fixture
def case(agent, handler, supervisor, quality_dept):
    """A quality-department complaint with a photo the customer sent and an internal PDF."""
    complaint = complaint_in_state(State.CLASSIFIED, agent=agent, handler=handler,
                                   supervisor=supervisor, dept=quality_dept)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Photo received by e-mail", customer_visible=True,
                    uploads=[checked_evidence("kettle.png")])
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Lab report", customer_visible=False,
                    uploads=[checked_evidence("report.pdf")])
    return Complaint.objects.get(pk=complaint.pk)


def photo(case: Complaint) -> Attachment:
    return case.attachments.get(customer_visible=True)


def report(case: Complaint) -> Attachment:
    return case.attachments.get(customer_visible=False)


def download(client: Client, pk: int, **params):
    """The response and the file's bytes. Reading a file to the end closes it, as a server
    does; a refusal is an ordinary page with nothing to close."""
    response = client.get(reverse("attachment", args=[pk]), params)
    body = b"".join(response.streaming_content) if response.streaming else b""
    return response, body


# --- evidence download, staff side -----------------------------------------------------

# Files are private: a visitor who may not see the case learns nothing, not even that the
# file exists, so there is no sign-in redirect either.
#              anonymous no_role other_handler handler agent supervisor admin
DOWNLOAD = (404, 404, 404, 200, 200, 200, 200)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), list(zip(WHO, DOWNLOAD, strict=True)))
def test_staff_download_access(client, users, case, who, expected):
    if users[who] is not None:
        client.force_login(users[who])

    responses = [download(client, f.pk)[0] for f in (photo(case), report(case))]

    assert [r.status_code for r in responses] == [expected, expected]


@pytest.mark.django_db
def test_a_photo_is_shown_inline_and_a_pdf_is_downloaded_never_sniffed(client, case, handler):
    client.force_login(handler)

    image, image_bytes = download(client, photo(case).pk)
    document, document_bytes = download(client, report(case).pk)

    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")
    assert image_bytes == tiny_png()
    assert document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"].startswith("attachment")
    assert document_bytes == tiny_pdf()
    assert image["X-Content-Type-Options"] == document["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_missing_file_number_is_not_found(client, agent):
    client.force_login(agent)

    assert download(client, 999999)[0].status_code == 404


# --- evidence download, customer side --------------------------------------------------

@pytest.mark.django_db
def test_the_tracking_token_opens_only_its_own_complaints_shared_files(client, case):
    other = s.complaint_register(intake=intake(phone="13911112222"), actor=None)
    own, body = download(client, photo(case).pk, t=case.tracking_token)
    foreign, _ = download(client, photo(case).pk, t=other.tracking_token)
    made_up, _ = download(client, photo(case).pk, t="not-a-token")
    internal, _ = download(client, report(case).pk, t=case.tracking_token)

    assert own.status_code == 200
    assert body == tiny_png()
    assert foreign.status_code == 404
    assert made_up.status_code == 404
    assert internal.status_code == 404


# --- sign-in ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_the_sign_in_page(client, users, who):
    if users[who] is not None:
        client.force_login(users[who])

    response = client.get(reverse("login"))

    if who == "anonymous":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url == reverse("aftersales:inbox")


@pytest.mark.django_db
def test_the_home_page_is_the_portal_leading_to_the_public_form(client):
    response = client.get("/")

    assert response.status_code == 200
    assert reverse("complaints:public_new") in response.content.decode()


@pytest.mark.django_db
def test_staff_pages_send_visitors_to_sign_in_and_back(client):
    response = client.get(reverse("aftersales:inbox"))

    assert response.status_code == 302
    assert response.url == redirect_to_login(reverse("aftersales:inbox")).url


@pytest.fixture
def private_cache(settings):
    """Failure counters of this test only, whoever else uses the shared cache meanwhile."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"login-throttle-{id(settings)}",
    }}


def sign_in(browser: Client, username: str, password: str):
    return browser.post(reverse("login"), {"username": username, "password": password})


def signed_in(browser: Client) -> bool:
    return "_auth_user_id" in browser.session


def throttle_message(settings) -> str:
    from django.utils.translation import gettext_lazy

    message = gettext_lazy(
        "Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.")
    return as_shown(message) % {"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60}


@pytest.mark.django_db
def test_the_right_password_works_until_the_failure_limit(settings, private_cache, agent):
    browser = Client(REMOTE_ADDR="198.51.100.1")

    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert sign_in(browser, "agent1", "wrong").status_code == 200
    response = sign_in(browser, "agent1", PASSWORD)

    assert response.status_code == 302
    assert signed_in(browser)


@pytest.mark.django_db
def test_after_the_failure_limit_the_right_password_is_refused(settings, private_cache, agent):
    browser = Client(REMOTE_ADDR="198.51.100.2")
    elsewhere = Client(REMOTE_ADDR="198.51.100.3")

    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(browser, "agent1", "wrong")
    refused = sign_in(browser, "agent1", PASSWORD)
    refused_elsewhere = sign_in(elsewhere, "agent1", PASSWORD)

    assert refused.status_code == 429
    assert not signed_in(browser)
    assert refused.context["form"].has_error(NON_FIELD_ERRORS, code="throttled")
    assert throttle_message(settings) in refused.content.decode()
    assert not signed_in(elsewhere)
    assert refused_elsewhere.context["form"].has_error(NON_FIELD_ERRORS, code="throttled")


@pytest.mark.django_db
def test_failures_from_one_address_throttle_every_name_tried_there(settings, private_cache,
                                                                  agent):
    guesser = Client(REMOTE_ADDR="198.51.100.4")
    colleague = Client(REMOTE_ADDR="198.51.100.5")

    for attempt in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in(guesser, f"someone{attempt}", "guess")
    refused = sign_in(guesser, "agent1", PASSWORD)
    allowed = sign_in(colleague, "agent1", PASSWORD)

    assert refused.context["form"].has_error(NON_FIELD_ERRORS, code="throttled")
    assert not signed_in(guesser)
    assert allowed.status_code == 302
    assert signed_in(colleague)
