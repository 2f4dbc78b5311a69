"""A form that creates a case makes one case however often it is posted: a double click, a
retry after a timeout or two simultaneous posts of one page all lead to the same complaint.
The public form's POST stays within its query budget and never waits for the broker."""

import traceback
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftersales.cases.services import form_token_new
from aftersales.models import OutboxMessage, Ticket
from complaints import services as s
from complaints.models import Complaint
from tests.factories import PASSWORD, intake
from tests.services import postgres_in_use, require_or_skip

from .test_concurrency import race

PUBLIC = reverse("complaints:public_new")
REGISTER = reverse("complaints:register")
EXPIRED = "This form has expired. Check what you typed and submit it again."
PUBLIC_POST_BUDGET = 12


@pytest.fixture(autouse=True)
def _english(client):
    """The messages below are checked in English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def public_form(**overrides) -> dict:
    values = {"name": "孙七", "phone": "13512345678", "email": "sunqi@example.com",
              "order_number": "", "product": "Electric kettle K1", "category_hint": "QUAL",
              "description": "The kettle switches itself off after ten seconds.",
              "customer_request": "Please exchange it.", "website": ""}
    values.update(overrides)
    return values


def register_form(**overrides) -> dict:
    received = timezone.localtime(timezone.now() - timedelta(hours=1))
    values = {
        "name": "王五", "phone": "13700001111", "email": "", "channel": "HOTLINE",
        "received_at": received.strftime("%Y-%m-%d %H:%M"), "customer": "",
        "order_number": "", "product": "", "product_text": "Rice cooker R2",
        "request_type": "QUALITY", "category_hint": "QUAL",
        "description": "The lid does not close any more.", "customer_request": "",
        "purchase_date": "", "regulator_case_number": "",
    }
    values.update(overrides)
    return values


def token_on(page) -> str:
    return page.context["form"]["form_token"].value()


# --- the public form ---------------------------------------------------------------------

@pytest.mark.django_db
def test_the_public_form_carries_a_fresh_one_time_token(client):
    first, second = client.get(PUBLIC), client.get(PUBLIC)

    assert f'name="form_token" value="{token_on(first)}"' in first.content.decode()
    assert token_on(first) != token_on(second)


@pytest.mark.django_db
def test_posting_the_public_form_twice_makes_one_complaint_and_one_result_page(client):
    data = public_form(form_token=token_on(client.get(PUBLIC)))

    first = client.post(PUBLIC, data)
    second = client.post(PUBLIC, data)

    complaint = Complaint.objects.get()
    submitted = reverse("complaints:public_submitted", args=[complaint.tracking_token])
    assert (first.status_code, first.url) == (302, submitted)
    assert (second.status_code, second.url) == (302, submitted)
    assert OutboxMessage.objects.filter(task="aftersales.notify_customer").count() == 1


@pytest.mark.django_db
def test_two_pages_of_the_public_form_make_two_complaints(client):
    client.post(PUBLIC, public_form(form_token=token_on(client.get(PUBLIC))))
    client.post(PUBLIC, public_form(form_token=token_on(client.get(PUBLIC))))

    assert Complaint.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "short", "not a token; DROP TABLE", "x" * 65],
                         ids=["missing", "short", "forged", "long"])
def test_a_missing_or_forged_token_is_refused_and_keeps_what_was_typed(client, token):
    response = client.post(PUBLIC, public_form(form_token=token))

    page = response.content.decode()
    assert response.status_code == 400
    assert EXPIRED in page
    assert "The kettle switches itself off after ten seconds." in page
    assert 'value="13512345678"' in page
    assert not Complaint.objects.exists()
    # The page comes back with a usable token: sending it again as it stands works.
    again = client.post(PUBLIC, public_form(form_token=token_on(response)))
    assert again.status_code == 302
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_a_form_turned_back_for_a_typing_error_keeps_its_token(client):
    token = token_on(client.get(PUBLIC))
    refused = client.post(PUBLIC, public_form(form_token=token, description="short"))

    assert refused.status_code == 400
    assert token_on(refused) == token
    assert not Ticket.objects.filter(form_token=token).exists()


# --- the staff register form -------------------------------------------------------------

@pytest.mark.django_db
def test_posting_the_register_form_twice_makes_one_complaint_and_one_case_page(client, agent):
    client.login(username=agent.username, password=PASSWORD)
    page = client.get(REGISTER)
    data = register_form(form_token=token_on(page))
    assert f'name="form_token" value="{data["form_token"]}"' in page.content.decode()

    first = client.post(REGISTER, data)
    second = client.post(REGISTER, data)

    complaint = Complaint.objects.get()
    detail = reverse("complaints:detail", args=[complaint.number])
    assert (first.status_code, first.url) == (302, detail)
    assert (second.status_code, second.url) == (302, detail)


@pytest.mark.django_db
def test_the_register_form_without_a_token_is_refused_and_keeps_what_was_typed(client, agent):
    client.login(username=agent.username, password=PASSWORD)

    response = client.post(REGISTER, register_form())

    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert "The lid does not close any more." in response.content.decode()
    assert not Complaint.objects.exists()


# --- the service --------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_service_returns_the_first_complaint_for_a_token_used_again(agent):
    token = form_token_new()

    first = s.complaint_register(intake=intake(), actor=agent, form_token=token)
    again = s.complaint_register(intake=intake(description="Typed differently."),
                                 actor=agent, form_token=token)

    assert again.pk == first.pk
    assert Complaint.objects.count() == 1
    assert Complaint.objects.get(form_token=token).pk == first.pk


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_form_make_one_complaint():
    require_or_skip(postgres_in_use(),
                    "needs PostgreSQL: two connections must race on the token's unique index "
                    "(set DATABASE_URL=postgres://...)")
    data = public_form(form_token=form_token_new())

    responses = race(lambda: Client().post(PUBLIC, data), lambda: Client().post(PUBLIC, data))

    complaint = Complaint.objects.get()
    submitted = reverse("complaints:public_submitted", args=[complaint.tracking_token])
    assert [(r.status_code, r.url) for r in responses] == [(302, submitted)] * 2


# --- cost -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_public_post_stays_within_its_query_budget(client):
    client.post(PUBLIC, public_form(form_token=form_token_new()))  # fills process caches
    data = public_form(name="周八", phone="13800001234", email="zhouba@example.com",
                       form_token=token_on(client.get(PUBLIC)))

    with CaptureQueriesContext(connection) as captured:
        response = client.post(PUBLIC, data)

    # Savepoints are transaction control, not work: the test's own transaction turns the
    # request's BEGIN/COMMIT into one more pair of them.
    statements = [q["sql"] for q in captured
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert response.status_code == 302
    assert len(statements) <= PUBLIC_POST_BUDGET, "\n".join(statements)


@pytest.mark.django_db(transaction=True)
def test_the_public_post_writes_an_outbox_row_and_hands_it_over_after_the_response(
        client, monkeypatch):
    from celery import Task

    calls: list[list[str]] = []

    def apply_async(task, *args, **kwargs):
        calls.append([frame.name for frame in traceback.extract_stack()])

    monkeypatch.setattr(Task, "apply_async", apply_async)
    data = public_form(form_token=token_on(client.get(PUBLIC)))

    response = client.post(PUBLIC, data)

    assert response.status_code == 302
    assert list(OutboxMessage.objects.values_list("task", flat=True)) == [
        "aftersales.notify_customer"]
    assert len(calls) == 1
    # Handed over when the server closed the response, not while the view was running.
    assert "close" in calls[0]
    assert "get_response" not in calls[0]
