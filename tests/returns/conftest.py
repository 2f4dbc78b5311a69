"""Return fixtures: orders as the rules need them, staff in every role, cases in any state."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.cases.kinds import CaseKind, register_kind, unregister_kind
from aftersales.core.choices import DepartmentKind
from aftersales.models import Order, OrderLine, OrderPayment, Product, Ticket
from returns import services as s
from returns.choices import Reason, RequestType, State
from returns.models import ReturnOrder
from tests.factories import CustomerFactory, DepartmentFactory, make_staff

PHONE = "13912345678"


@pytest.fixture
def warehouse_dept(db):
    return DepartmentFactory(code="whse", name="Returns warehouse", kind=DepartmentKind.WAREHOUSE)


@pytest.fixture
def warehouse(warehouse_dept):
    return make_staff("wh1", "warehouse", warehouse_dept)


@pytest.fixture
def quality_handler(quality_dept):
    return make_staff("qa1", "handler", quality_dept)


@pytest.fixture
def staff(agent, supervisor, warehouse, quality_handler, admin_user):
    return {"agent": agent, "supervisor": supervisor, "warehouse": warehouse,
            "quality": quality_handler, "admin": admin_user}


def make_order(*, signed_days_ago: int = 3, price: str = "299.00", quantity: int = 1,
               sku: str | None = None, category: str = "Kettles", payments=None,
               customer=None, signed_at=None, **product_fields) -> Order:
    customer = customer or CustomerFactory(contact__phone=PHONE, contact__email="buyer@example.com")
    product = Product.objects.create(
        sku=sku or f"SKU-{Product.objects.count() + 1:05d}", name="Kettle K1", category=category,
        list_price=Decimal(price), **product_fields)
    now = timezone.now()
    order = Order.objects.create(
        number=f"SO{Order.objects.count() + 1:08d}", customer=customer,
        placed_at=now - timedelta(days=signed_days_ago + 2),
        signed_at=signed_at if signed_at is not None else now - timedelta(days=signed_days_ago))
    OrderLine.objects.create(order=order, product=product, quantity=quantity,
                             unit_price=Decimal(price))
    for means, amount in payments or []:
        OrderPayment.objects.create(order=order, means=means, amount=Decimal(amount))
    return order


@pytest.fixture
def order(db):
    return make_order()


def create(order: Order, *, request_type=RequestType.RETURN_REFUND, reason=Reason.NO_REASON,
           actor=None, quantity: int = 1, **extra) -> ReturnOrder:
    line = order.lines.select_related("product", "order").first()
    return s.return_create(intake=s.ReturnIntake(
        name=order.customer.name, order=order, lines=[(line, quantity)],
        request_type=request_type, reason=reason, phone=PHONE, **extra), actor=actor)


def fresh(ret) -> ReturnOrder:
    return ReturnOrder.objects.get(pk=ret.pk)


def walk(order: Order, state: str, staff: dict, *, request_type=RequestType.RETURN_REFUND,
         reason=Reason.NO_REASON, passed: bool = True, advance: bool = False) -> ReturnOrder:
    """A return brought to ``state`` through the services, as staff and customer would."""
    agent, sup, wh = staff["agent"], staff["supervisor"], staff["warehouse"]
    ret = create(order, request_type=request_type, reason=reason)
    if state == State.REVIEWING:
        return fresh(ret)
    if state == State.DECLINED:
        return s.return_decline(return_pk=ret.pk, version=ret.version, actor=sup,
                                reason="OTHER", message="Declined for the test.")
    ret = s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent,
                          note="In the customer's favour.")
    if ret.state == State.INSPECTION and state != State.INSPECTION:
        ret = s.return_quality_report(return_pk=ret.pk, version=ret.version,
                                      actor=staff["quality"], confirmed=True, report="Faulty.")
    if state in (State.INSPECTION, State.AWAIT_SHIPBACK) or ret.state == state:
        if advance:
            ret = s.return_ship_advance(return_pk=ret.pk, version=ret.version, actor=agent,
                                        carrier="SF", tracking_number="SF100")
        return fresh(ret)
    if advance:
        ret = s.return_ship_advance(return_pk=ret.pk, version=ret.version, actor=agent,
                                    carrier="SF", tracking_number="SF100")
    ret = s.return_customer_ship(return_pk=ret.pk, carrier="SF", tracking_number="SF123")
    if state == State.IN_TRANSIT:
        return fresh(ret)
    ret = s.return_receive(return_pk=ret.pk, version=ret.version, actor=wh)
    if state == State.RECEIVED:
        return fresh(ret)
    ret = s.return_inspect(return_pk=ret.pk, version=ret.version, actor=wh, complete=passed,
                           original=True, quality_problem=False, note="Checked.")
    if ret.state == state:
        return fresh(ret)
    if state == State.REPLACEMENT_SHIPPED:
        return s.return_ship_replacement(return_pk=ret.pk, version=ret.version, actor=agent,
                                         carrier="SF", tracking_number="SF999")
    if state == State.COMPLETED:
        if ret.state == State.REFUNDING:
            return s.return_refund(return_pk=ret.pk, version=ret.version, actor=agent)
        if advance:
            return s.return_close_exchange(return_pk=ret.pk, version=ret.version, actor=agent)
        ret = s.return_ship_replacement(return_pk=ret.pk, version=ret.version, actor=agent,
                                        carrier="SF", tracking_number="SF999")
        return s.return_replacement_delivered(return_pk=ret.pk, version=ret.version, actor=agent)
    raise AssertionError(f"cannot walk to {state} (at {ret.state})")


@pytest.fixture
def fake_complaint_kind(db):
    """A stand-in complaint kind whose ``spawn`` records what it was asked."""
    spawned: list[dict] = []

    def spawn(*, origin, actor, reason="", **details):
        spawned.append({"origin": origin.pk, "reason": reason, **details})
        return Ticket.objects.get(pk=origin.pk)

    from aftersales.cases.kinds import find_kind

    real = find_kind("COMPLAINT")
    register_kind(CaseKind(code="COMPLAINT", prefix=real.prefix if real else "CP",
                           label="Complaint", label_plural="Complaints",
                           model="complaints.Complaint", detail_url_name="complaints:detail",
                           subject=lambda t: "", spawn=spawn))
    yield spawned
    if real is not None:
        register_kind(real)
    else:
        unregister_kind("COMPLAINT")
