"""Finding a customer on the register page: by POST only, results masked, and the chosen
customer carried by a short-lived signed reference instead of a countable id."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from aftersales.cases.contacts import CUSTOMER_CHOICE_MAX_AGE, sign_customer_choice
from aftersales.cases.services import form_token_new
from aftersales.models import Customer
from complaints.models import Complaint
from tests.access import LOGIN, WHO, assert_outcome, request_as
from tests.factories import PASSWORD, OrderFactory, make_staff

URL = reverse("complaints:register")
PHONE, EMAIL = "13912345678", "lilei@example.com"


@pytest.fixture
def customers(db):
    with_phone = Customer(name="王芳")
    with_phone.set_contact(phone=PHONE, email="wangfang@example.com")
    with_phone.save()
    email_only = Customer(name="李雷")
    email_only.set_contact(email=EMAIL)
    email_only.save()
    return with_phone, email_only


@pytest.fixture
def signed_in(client, agent):
    client.login(username="agent1", password=PASSWORD)
    return client


def look_up(client, query: str):
    return client.post(URL, {"intent": "lookup", "lookup": query})


def found(client, query: str) -> list[str]:
    response = look_up(client, query)
    assert response.status_code == 200
    return [c.name for c, _choice in response.context["found_customers"]]


def choice_in(response, customer) -> str:
    return dict((c.pk, choice) for c, choice in response.context["found_customers"])[customer.pk]


def register_form(**overrides) -> dict:
    received = timezone.localtime(timezone.now() - timedelta(hours=1))
    values = {
        "name": "王芳", "phone": "", "email": "", "channel": "HOTLINE",
        "received_at": received.strftime("%Y-%m-%d %H:%M"), "customer": "",
        "order_number": "", "product": "", "product_text": "Rice cooker R2",
        "request_type": "QUALITY", "category_hint": "QUAL",
        "description": "The lid does not close any more.", "customer_request": "",
        "purchase_date": "", "regulator_case_number": "", "form_token": form_token_new(),
    }
    values.update(overrides)
    return values


# --- finding -------------------------------------------------------------------------------

def test_an_agent_finds_a_customer_by_phone_in_any_common_spelling(signed_in, customers):
    assert found(signed_in, "+86 139-1234-5678") == ["王芳"]


def test_an_agent_finds_a_customer_by_email_and_only_that_one(signed_in, customers):
    # The phone-less customer must not match an e-mail query through an empty phone.
    assert found(signed_in, "LiLei@example.com") == ["李雷"]


def test_an_agent_finds_the_customer_of_an_order_number(signed_in, customers):
    order = OrderFactory(customer=customers[0])

    response = look_up(signed_in, order.number)

    assert [c.name for c, _choice in response.context["found_customers"]] == ["王芳"]
    assert response.context["found_order"] == order


def test_an_unknown_query_finds_nobody(signed_in, customers):
    assert found(signed_in, "nobody@example.com") == []


def test_a_search_in_the_query_string_is_ignored(signed_in, customers):
    response = signed_in.get(URL, {"lookup": PHONE})

    assert response.status_code == 200
    assert "found_customers" not in response.context


def test_the_page_has_no_form_that_puts_a_search_in_a_url(signed_in, customers):
    page = look_up(signed_in, PHONE).content.decode()

    assert 'method="get"' not in page.lower()
    assert "?use=" not in page and "?lookup=" not in page


def test_results_show_contacts_masked_only(signed_in, customers):
    page = look_up(signed_in, "+86 139-1234-5678").content.decode()

    assert "139****5678" in page
    assert "wangfang@example.com" not in page
    # the search box keeps what the agent typed, not the contact on file
    assert PHONE not in page


# --- choosing ------------------------------------------------------------------------------

def test_a_result_names_its_customer_by_a_signed_reference_not_by_id(signed_in, customers):
    response = look_up(signed_in, PHONE)

    choice = choice_in(response, customers[0])
    assert choice != str(customers[0].pk)
    assert f'name="customer" value="{choice}"' in response.content.decode()


def test_choosing_a_customer_prefills_the_name_but_shows_the_contact_masked(
        signed_in, customers):
    choice = choice_in(look_up(signed_in, PHONE), customers[0])

    response = signed_in.post(URL, {"intent": "use", "customer": choice})

    page = response.content.decode()
    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["name"] == "王芳"
    assert "phone" not in form.initial and "email" not in form.initial
    assert "139****5678" in page and "w***@example.com" in page
    assert PHONE not in page and "wangfang@example.com" not in page


def test_an_old_style_id_link_shows_nobody(signed_in, customers):
    response = signed_in.get(URL, {"use": customers[0].pk})

    assert response.context["form"].initial == {}
    assert "wangfang@example.com" not in response.content.decode()


@pytest.mark.parametrize("forged", ["1", "2", "1:abc", ""])
def test_a_bare_or_forged_reference_is_refused(signed_in, customers, forged):
    response = signed_in.post(URL, {"intent": "use", "customer": forged})

    assert response.status_code == 400
    assert "chosen_customer" not in response.context


def test_a_reference_expires(signed_in, agent, customers):
    choice = sign_customer_choice(customers[0], agent)

    with time_machine.travel(timezone.now() + timedelta(seconds=CUSTOMER_CHOICE_MAX_AGE + 5)):
        response = signed_in.post(URL, {"intent": "use", "customer": choice})

    assert response.status_code == 400


def test_a_reference_made_for_another_agent_is_refused(signed_in, customers):
    colleague = make_staff("agent2", "agent")
    choice = sign_customer_choice(customers[0], colleague)

    response = signed_in.post(URL, {"intent": "use", "customer": choice})

    assert response.status_code == 400


# --- registering for the chosen customer ---------------------------------------------------

def test_registering_for_a_chosen_customer_needs_no_contact_typed_again(
        signed_in, agent, customers):
    choice = sign_customer_choice(customers[0], agent)

    response = signed_in.post(URL, register_form(customer=choice))

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.customer == customers[0]


def test_registering_with_an_expired_reference_files_nothing(signed_in, agent, customers):
    choice = sign_customer_choice(customers[0], agent)

    with time_machine.travel(timezone.now() + timedelta(seconds=CUSTOMER_CHOICE_MAX_AGE + 5)):
        response = signed_in.post(URL, register_form(customer=choice))

    assert response.status_code == 400
    assert "customer" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_an_id_in_the_register_post_does_not_choose_a_customer(signed_in, customers):
    signed_in.post(URL, register_form(customer_id=customers[0].pk, phone="13700009999"))

    assert Complaint.objects.get().customer not in customers


# --- who may, and what it costs ------------------------------------------------------------

#                anonymous no_role other_handler handler agent supervisor admin
LOOKUP_EXPECTED = (LOGIN, 403, 403, 403, 200, 200, 200)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), list(zip(WHO, LOOKUP_EXPECTED, strict=True)))
@pytest.mark.parametrize("intent", ["lookup", "use"])
def test_lookup_access(client, users, customers, who, expected, intent):
    user = users[who]
    data = {"intent": intent, "lookup": PHONE}
    if intent == "use" and user is not None:
        data["customer"] = sign_customer_choice(customers[0], user)

    response = request_as(client, user, "post", URL, data)

    assert_outcome(response, URL, expected)


# Measured on SQLite: the empty page costs 7 queries (session, user, two permission reads,
# roles, unread notifications, the product list); a lookup adds the customers and the order
# (9), choosing adds the chosen customer (8). One query of room.
LOOKUP_BUDGET = 10
USE_BUDGET = 9


def test_a_lookup_has_a_query_budget(signed_in, customers, django_assert_max_num_queries):
    look_up(signed_in, PHONE)
    with django_assert_max_num_queries(LOOKUP_BUDGET):
        look_up(signed_in, PHONE)


def test_choosing_has_a_query_budget(signed_in, agent, customers,
                                     django_assert_max_num_queries):
    data = {"intent": "use", "customer": sign_customer_choice(customers[0], agent)}
    signed_in.post(URL, data)
    with django_assert_max_num_queries(USE_BUDGET):
        response = signed_in.post(URL, data)
    assert response.status_code == 200
