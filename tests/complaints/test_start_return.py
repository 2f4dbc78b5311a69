"""A complaint's handler can start a return, exchange or refund for the goods complained of;
the return is linked to the complaint and reviewed like any other request."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.cases.kinds import spawnable
from aftersales.models import Order, OrderLine, Product, Ticket
from complaints.choices import State
from complaints.models import Complaint
from tests.queries import joins_as_written_statements, queries

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not spawnable("RETURN"), reason="the returns app is not installed"),
]


def with_order(complaint: Complaint, quantity: int = 2) -> OrderLine:
    product = Product.objects.create(sku="KT-1", name="Kettle K1", category="Kettles")
    now = timezone.now()
    order = Order.objects.create(number="SO-START-1", customer=complaint.customer,
                                 placed_at=now - timedelta(days=9),
                                 signed_at=now - timedelta(days=6))
    line = OrderLine.objects.create(order=order, product=product, quantity=quantity,
                                    unit_price=Decimal("199.00"))
    Complaint.objects.filter(pk=complaint.pk).update(order=order)
    return line


def detail(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.number])


def start(client, complaint: Complaint, line: OrderLine, **overrides):
    data = {"start_return-version": Complaint.objects.get(pk=complaint.pk).version,
            "start_return-order_line": line.pk, "start_return-request_type": "EXCHANGE",
            "start_return-quantity": 1, "start_return-reason": "The heating element failed."}
    data.update(overrides)
    return client.post(reverse("complaints:act", args=[complaint.number, "start_return"]), data,
                       HTTP_ACCEPT_LANGUAGE="en")


def test_the_handler_starts_an_exchange_linked_to_the_complaint(client, build, handler):
    complaint = build(State.IN_PROGRESS)
    line = with_order(complaint)
    client.force_login(handler)
    assert 'id="action-start_return"' in client.get(detail(complaint)).content.decode()

    response = start(client, complaint, line)

    assert response.status_code == 302
    spawned = Ticket.objects.get(origin=complaint)
    assert spawned.kind == "RETURN" and spawned.order_line_id == line.pk
    assert complaint.events.filter(data__number=spawned.number).exists()


def test_more_than_the_line_holds_is_refused_and_the_form_keeps_what_was_typed(client, build,
                                                                             handler):
    complaint = build(State.IN_PROGRESS)
    line = with_order(complaint, quantity=1)
    client.force_login(handler)

    response = start(client, complaint, line, **{"start_return-quantity": 3})

    assert response.status_code == 400
    assert "More than the order line holds." in response.content.decode()
    assert "The heating element failed." in response.content.decode()
    assert not Ticket.objects.filter(origin=complaint).exists()


@pytest.mark.parametrize("who", ["agent", "other_handler"])
def test_people_who_do_not_handle_the_complaint_are_not_offered_it(client, build, request, who):
    complaint = build(State.IN_PROGRESS)
    line = with_order(complaint)
    client.force_login(request.getfixturevalue(who))

    assert 'id="action-start_return"' not in client.get(detail(complaint)).content.decode()
    # Another department's handler does not see the case; an agent is refused by the service.
    assert start(client, complaint, line).status_code in (404, 409)
    assert not Ticket.objects.filter(origin=complaint).exists()


def test_it_is_not_offered_without_an_order_or_once_the_complaint_is_closed(client, build,
                                                                           handler):
    client.force_login(handler)
    no_order = build(State.IN_PROGRESS)
    closed = build(State.CLOSED)
    with_order(closed)
    for complaint in (no_order, closed):
        assert 'id="action-start_return"' not in client.get(detail(complaint)).content.decode()


def test_opening_the_form_stays_within_the_case_page_budget(client, build, handler):
    complaint = build(State.IN_PROGRESS)
    with_order(complaint)
    client.force_login(handler)
    count, response = queries(client, detail(complaint), {"action": "start_return"})
    assert 'name="start_return-order_line"' in response.content.decode()
    assert count <= 12 + joins_as_written_statements()
