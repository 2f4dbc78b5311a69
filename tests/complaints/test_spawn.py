"""A complaint opened from another kind's case through the kernel registry
(``spawn_case("COMPLAINT", ...)``): registered by staff on that case's authority, about the
same customer, order line and product, and linked to it by ``origin``."""

import pytest
from django.utils import timezone

from aftersales.cases.kinds import spawn_case, spawnable
from aftersales.core.choices import Channel
from aftersales.core.exceptions import DomainError
from aftersales.models import Ticket
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import OrderLineFactory


@pytest.fixture
def return_order(db):
    """A case of another kind (a return order), as the returns app would have stored it."""
    line = OrderLineFactory()
    return Ticket.objects.create(
        number="RT-20261201-0001", kind="RETURN", channel=Channel.MEMBER,
        customer=line.order.customer, order=line.order, order_line=line, product=line.product,
        received_at=timezone.now(), state="INSPECTION",
    )


def test_the_complaint_kind_can_be_spawned():
    assert spawnable("COMPLAINT")


@pytest.mark.django_db
def test_a_spawned_complaint_is_registered_and_linked_to_its_origin(return_order,
                                                                     other_handler):
    # A warehouse inspector may not register complaints, but the failed inspection may.
    assert not other_handler.has_perm("complaints.register_complaint")

    complaint = spawn_case("COMPLAINT", origin=return_order, actor=other_handler,
                           reason="Inspection failed: the seal was broken.",
                           description="Customer disputes the failed inspection.",
                           category="QUAL")

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.number.startswith("CP-")
    assert complaint.state == State.REGISTERED
    assert complaint.origin_id == return_order.pk
    assert list(return_order.spawned.all()) == [complaint.ticket_ptr]
    assert (complaint.customer_id, complaint.order_id, complaint.order_line_id,
            complaint.product_id) == (return_order.customer_id, return_order.order_id,
                                      return_order.order_line_id, return_order.product_id)
    assert complaint.channel == Channel.OTHERDEPT
    assert complaint.registered_by == other_handler
    assert complaint.category_hint == "QUAL"
    assert complaint.description == "Customer disputes the failed inspection."
    spawned = complaint.events.get(action="complaints.complaint.spawned")
    assert spawned.data == {"origin": return_order.number, "origin_kind": "RETURN"}
    assert spawned.note == "Inspection failed: the seal was broken."
    assert not spawned.customer_visible


@pytest.mark.django_db
def test_without_a_description_the_reason_describes_the_complaint(return_order):
    complaint = spawn_case("COMPLAINT", origin=return_order, actor=None,
                           reason="Decline disputed by the customer.")

    assert complaint.description == "Decline disputed by the customer."
    assert complaint.registered_by is None
    assert complaint.state == State.REGISTERED


@pytest.mark.django_db
def test_a_given_order_line_wins_over_the_origins(return_order):
    other_line = OrderLineFactory(order=return_order.order)

    complaint = spawn_case("COMPLAINT", origin=return_order, actor=None, reason="Wrong item",
                           order_line=other_line)

    assert (complaint.order_line_id, complaint.product_id) == (other_line.pk,
                                                               other_line.product_id)


@pytest.mark.django_db
def test_an_unknown_category_is_refused_and_nothing_is_created(return_order):
    with pytest.raises(DomainError):
        spawn_case("COMPLAINT", origin=return_order, actor=None, reason="x",
                   category="NOPE")

    assert not Complaint.objects.exists()
