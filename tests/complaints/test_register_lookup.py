import pytest
from django.urls import reverse

from aftersales.models import Customer
from tests.factories import PASSWORD, OrderFactory


@pytest.fixture
def customers(db):
    with_phone = Customer(name="王芳")
    with_phone.set_contact(phone="13912345678")
    with_phone.save()
    email_only = Customer(name="李雷")
    email_only.set_contact(email="lilei@example.com")
    email_only.save()
    return with_phone, email_only


@pytest.fixture
def signed_in(client, agent):
    client.login(username="agent1", password=PASSWORD)
    return client


def found(client, query: str) -> list[str]:
    response = client.get(reverse("complaints:register"), {"lookup": query})
    assert response.status_code == 200
    return [c.name for c in response.context["found_customers"]]


def test_an_agent_finds_a_customer_by_phone_in_any_common_spelling(signed_in, customers):
    assert found(signed_in, "+86 139-1234-5678") == ["王芳"]


def test_an_agent_finds_a_customer_by_email_and_only_that_one(signed_in, customers):
    # The phone-less customer must not match an e-mail query through an empty phone.
    assert found(signed_in, "LiLei@example.com") == ["李雷"]


def test_an_agent_finds_the_customer_of_an_order_number(signed_in, customers):
    order = OrderFactory(customer=customers[0])

    response = signed_in.get(reverse("complaints:register"), {"lookup": order.number})

    assert [c.name for c in response.context["found_customers"]] == ["王芳"]
    assert response.context["found_order"] == order


def test_an_unknown_query_finds_nobody(signed_in, customers):
    assert found(signed_in, "nobody@example.com") == []
