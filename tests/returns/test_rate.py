"""退换货率 (domain.md §9): return and exchange cases over orders delivered, per SKU and
per category, for analytics to call."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.models import Order, OrderLine
from returns.choices import Reason, RequestType
from returns.models import ReturnOrder
from returns.selectors import return_exchange_rate
from tests.returns.conftest import create, make_order


def more_orders_of(order: Order, count: int) -> list[Order]:
    line = order.lines.get()
    made = []
    for number in range(count):
        again = Order.objects.create(number=f"{order.number}-{number}", customer=order.customer,
                                     placed_at=order.placed_at, signed_at=order.signed_at)
        OrderLine.objects.create(order=again, product=line.product, unit_price=line.unit_price)
        made.append(again)
    return made


@pytest.mark.django_db
def test_rate_per_sku_and_category(django_assert_num_queries):
    first = make_order(sku="K-1", category="Kettles")
    kettles = [first, *more_orders_of(first, 3)]
    make_order(sku="K-2", category="Kettles")
    fans = [make_order(sku="F-1", category="Fans"), make_order(sku="F-2", category="Fans")]
    create(kettles[0])
    create(kettles[1], request_type=RequestType.EXCHANGE, reason=Reason.NOT_AS_DESCRIBED)
    create(fans[0])
    now = timezone.now()
    with django_assert_num_queries(2):
        rates = return_exchange_rate(now - timedelta(days=30), now + timedelta(minutes=1))
    by_sku = {row["sku"]: row for row in rates["sku"]}
    assert (by_sku["K-1"]["cases"], by_sku["K-1"]["exchanges"], by_sku["K-1"]["delivered"]) == (
        2, 1, 4)
    assert by_sku["K-1"]["rate"] == pytest.approx(2 / 4)
    assert by_sku["K-2"]["cases"] == 0 and by_sku["K-2"]["rate"] == 0
    by_category = {row["category"]: row for row in rates["category"]}
    assert by_category["Kettles"]["delivered"] == 5
    assert by_category["Kettles"]["rate"] == pytest.approx(2 / 5)
    assert by_category["Fans"]["rate"] == pytest.approx(1 / 2)


@pytest.mark.django_db
def test_cases_outside_the_period_do_not_count():
    order = make_order(category="Kettles")
    ret = create(order)
    ReturnOrder.objects.filter(pk=ret.pk).update(received_at=timezone.now() - timedelta(days=60))
    now = timezone.now()
    rates = return_exchange_rate(now - timedelta(days=30), now + timedelta(minutes=1))
    assert {row["category"]: row["cases"] for row in rates["category"]} == {"Kettles": 0}
