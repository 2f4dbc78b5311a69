from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.cases.models import Ticket
from aftersales.compensation.models import CompensationPolicy
from tests.factories import CustomerFactory, OrderLineFactory, make_staff


@pytest.fixture
def policy(db):
    return CompensationPolicy.objects.create(pk=1, goodwill_cap=Decimal("100.00"),
                                             supervisor_multiple=5, point_value=Decimal("0.01"))


@pytest.fixture
def case(db, quality_dept):
    line = OrderLineFactory(unit_price=Decimal("120.00"))
    return Ticket.objects.create(
        number="CP-20261201-9001", kind="COMPLAINT", channel="HOTLINE",
        customer=CustomerFactory(), order=line.order, order_line=line, product=line.product,
        department=quality_dept, received_at=timezone.now(), state="ACCEPTED",
    )


@pytest.fixture
def agent2(db):
    return make_staff("agent2", "agent")


@pytest.fixture
def superior(db):
    return make_staff("boss1", "superior")


@pytest.fixture
def legal(db):
    return make_staff("legal1", "legal")
