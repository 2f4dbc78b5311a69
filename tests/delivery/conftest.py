from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.compensation.models import CompensationPolicy
from delivery.models import Carrier, Courier, DeliverySettings, Shipment
from delivery.services import IncidentIntake, incident_register
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, make_staff

ZONE = timezone.get_default_timezone()


@pytest.fixture
def settings_rows(db):
    CompensationPolicy.objects.create(pk=1, goodwill_cap=Decimal("100.00"))
    return DeliverySettings.objects.create(pk=1, tier_a_amount=Decimal("10.00"),
                                           tier_b_amount=Decimal("30.00"),
                                           tier_c_amount=Decimal("60.00"))


@pytest.fixture
def carrier(db):
    return Carrier.objects.create(code="SF", name="SF Express")


@pytest.fixture
def courier(carrier):
    return Courier.objects.create(carrier=carrier, code="SF101", name="Liu Qiang")


@pytest.fixture
def make_shipment(carrier, courier):
    counter = iter(range(10**6))

    def make(*, shipped=None, promised=None, delivered=None, carrier_=None, courier_=None,
             email="buyer@example.com"):
        shipped = shipped or timezone.now() - timedelta(days=5)
        customer = CustomerFactory(contact__email=email)
        order = OrderFactory(customer=customer)
        OrderLineFactory(order=order, unit_price=Decimal("199.00"))
        return Shipment.objects.create(
            order=order, carrier=carrier_ or carrier,
            courier=courier if courier_ is None else courier_,
            tracking_number=f"SF{next(counter):010d}", shipped_at=shipped,
            promised_at=promised or shipped + timedelta(days=2), delivered_at=delivered)
    return make


@pytest.fixture
def register(agent):
    def make(shipment, incident_type="DELAY", actor="agent", **extra):
        return incident_register(
            intake=IncidentIntake(shipment=shipment, incident_type=incident_type,
                                  description="Parcel trouble", **extra),
            actor=agent if actor == "agent" else actor)
    return make


@pytest.fixture
def agent2(db):
    return make_staff("agent2", "agent")


@pytest.fixture
def superior(db):
    return make_staff("boss1", "superior")


@pytest.fixture
def legal(db):
    return make_staff("legal1", "legal")


def local(y, m, d, h=12) -> datetime:
    return datetime(y, m, d, h, tzinfo=ZONE)
