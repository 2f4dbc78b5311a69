"""When an order holding goods the seller installs is delivered, the customer is sent the
installation booking link once; the delivery also starts the order's periods (sign-for)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from aftersales.fieldservice.models import InstallationOffer
from aftersales.models import Order, OrderLine, Product
from delivery.models import Carrier, Shipment
from delivery.services import shipment_record_status
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def order_of(*, installable: bool = True, seller_installs: bool = True) -> Order:
    customer = CustomerFactory(contact__phone="13911112222", contact__email="buyer@example.com")
    product = Product.objects.create(sku=f"AC-{installable}", name="Air conditioner A1",
                                     installable=installable)
    order = Order.objects.create(number=f"SO-INST-{installable}-{seller_installs}",
                                 customer=customer, placed_at=timezone.now() - timedelta(days=4),
                                 seller_installs=seller_installs)
    OrderLine.objects.create(order=order, product=product, unit_price=Decimal("2999.00"))
    return order


def deliver(order: Order, tracking: str = "SF100") -> None:
    carrier, _ = Carrier.objects.get_or_create(code="SF", defaults={"name": "SF Express"})
    shipment = Shipment.objects.create(order=order, carrier=carrier, tracking_number=tracking,
                                       shipped_at=timezone.now() - timedelta(days=2),
                                       promised_at=timezone.now())
    shipment_record_status(shipment_pk=shipment.pk, raw_status="DELIVERED", at=timezone.now(),
                           signed_for_by="Customer")


def test_delivered_installable_goods_bring_the_booking_link_once(
        django_capture_on_commit_callbacks):
    order = order_of()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(order)
        deliver(order, tracking="SF101")  # a second parcel of the same order

    assert InstallationOffer.objects.filter(order=order).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["buyer@example.com"]
    assert f"/jobs/install/?order={order.number}" in mail.outbox[0].body
    order.refresh_from_db()
    assert order.signed_at is not None


@pytest.mark.parametrize(("installable", "seller_installs"), [(False, True), (True, False)])
def test_no_offer_without_goods_the_seller_installs(django_capture_on_commit_callbacks,
                                                    installable, seller_installs):
    order = order_of(installable=installable, seller_installs=seller_installs)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(order)

    assert not InstallationOffer.objects.exists()
    assert mail.outbox == []
