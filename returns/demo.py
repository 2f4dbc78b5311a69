"""Demo return orders: an order for every row of tables A–D, cases in every state.

Every case is written step by step through the services, with the clock the services read
set to the moment of each step, so timelines, SLA clocks and refunds are what the product
itself records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from aftersales.core.choices import Channel, SaleChannel
from aftersales.core.exceptions import DomainError
from aftersales.management.demo import DemoClock, DemoWorld
from aftersales.models import Order, OrderDeal, OrderLine, OrderPayment, Product

from . import rules
from . import services as s
from .choices import Reason, RequestType, State
from .models import ReturnOrder

STEP_HOURS = {"accept": (0.5, 20), "report": (4, 30), "ship": (4, 48), "receive": (24, 72),
              "inspect": (2, 40), "refund": (4, 100), "reship": (4, 30), "deliver": (24, 60),
              "decline": (0.5, 20), "advance": (1, 10)}

PRODUCTS = {
    "RT-KETTLE": {"name": "电热水壶 K2 (Kettle K2)", "category": "小家电", "price": "199.00"},
    "RT-CUSTOM": {"name": "定制刻字保温杯 (Engraved flask)", "category": "定制商品",
                  "price": "159.00", "no_reason_return_excluded": True},
    "RT-COSMETIC": {"name": "精华液 30ml (Serum, sealed)", "category": "美妆",
                    "price": "389.00", "no_reason_return_excluded": True,
                    "exclusion_needs_confirmation": True},
    "RT-SHIRT": {"name": "纯棉衬衫 (Cotton shirt)", "category": "服装", "price": "129.00"},
    "RT-FRIDGE": {"name": "双门冰箱 BCD-300 (Fridge)", "category": "大家电", "price": "2999.00",
                  "in_sanbao_catalogue": True, "durable": True, "installable": True},
    "RT-PHONE": {"name": "智能手机 P8 (Phone P8)", "category": "手机数码", "price": "1999.00",
                 "in_sanbao_catalogue": True, "durable": True},
    "RT-MIXER": {"name": "破壁机 M5 (Blender M5)", "category": "小家电", "price": "599.00"},
}


@dataclass
class Row:
    """One row of tables A–D: the order it needs and how far its demo case goes."""

    rule: str
    sku: str
    days: int  # from sign-for to the request
    reason: str
    request_type: str
    target: str
    order: dict = field(default_factory=dict)
    passed: bool = True
    advance: bool = False
    facts: dict = field(default_factory=dict)


ROWS = [
    Row("A1", "RT-SHIRT", 2, Reason.NO_REASON, RequestType.RETURN_REFUND, State.DECLINED,
        order={"sale_channel": SaleChannel.STORE}),
    Row("A2", "RT-KETTLE", 12, Reason.NO_REASON, RequestType.RETURN_REFUND, State.DECLINED),
    Row("A3", "RT-CUSTOM", 2, Reason.NO_REASON, RequestType.RETURN_REFUND, State.DECLINED),
    Row("A4", "RT-COSMETIC", 3, Reason.NO_REASON, RequestType.RETURN_REFUND, State.DECLINED,
        order={"confirmed": True}),
    Row("A5", "RT-SHIRT", 4, Reason.NO_REASON, RequestType.RETURN_REFUND, State.INSPECTED,
        passed=False),
    Row("A6", "RT-KETTLE", 3, Reason.NO_REASON, RequestType.RETURN_REFUND, State.COMPLETED,
        order={"payments": [("CARD", "150.00"), ("COUPON", "49.00")]}),
    Row("A6", "RT-SHIRT", 5, Reason.NO_REASON, RequestType.RETURN_REFUND, State.REFUNDING,
        order={"bundle": True}),
    Row("A6", "RT-MIXER", 1, Reason.NO_REASON, RequestType.RETURN_REFUND, State.IN_TRANSIT),
    Row("A6", "RT-KETTLE", 6, Reason.NO_REASON, RequestType.RETURN_REFUND, State.REVIEWING),
    Row("B1", "RT-SHIRT", 4, Reason.NOT_AS_DESCRIBED, RequestType.EXCHANGE,
        State.REPLACEMENT_SHIPPED),
    Row("B1", "RT-MIXER", 2, Reason.WRONG_ITEM, RequestType.EXCHANGE, State.COMPLETED,
        advance=True),
    Row("B1", "RT-KETTLE", 3, Reason.MISSING_PARTS, RequestType.EXCHANGE, State.AWAIT_SHIPBACK,
        advance=True),
    Row("B2", "RT-MIXER", 5, Reason.QUALITY, RequestType.RETURN_REFUND, State.COMPLETED),
    Row("B3", "RT-MIXER", 25, Reason.QUALITY, RequestType.EXCHANGE, State.RECEIVED),
    Row("B4", "RT-KETTLE", 1, Reason.TRANSPORT_DAMAGE, RequestType.RETURN_REFUND,
        State.AWAIT_SHIPBACK),
    Row("B5", "RT-MIXER", 40, Reason.QUALITY, RequestType.RETURN_REFUND, State.INSPECTION),
    Row("C1", "RT-PHONE", 5, Reason.QUALITY, RequestType.RETURN_REFUND, State.REFUNDING),
    Row("C2", "RT-FRIDGE", 12, Reason.QUALITY, RequestType.EXCHANGE, State.REPLACEMENT_SHIPPED,
        order={"seller_installs": True, "installed_after": 1}),
    Row("C3", "RT-PHONE", 60, Reason.QUALITY, RequestType.EXCHANGE, State.DECLINED),
    Row("C4", "RT-PHONE", 200, Reason.QUALITY, RequestType.EXCHANGE, State.REVIEWING,
        facts={"repair_count": 2}),
    Row("C5", "RT-FRIDGE", 150, Reason.QUALITY, RequestType.EXCHANGE, State.REVIEWING,
        facts={"repair_overrun": True}),
    Row("C6", "RT-PHONE", 420, Reason.QUALITY, RequestType.RETURN_REFUND, State.DECLINED),
    Row("C7", "RT-PHONE", 30, Reason.QUALITY, RequestType.RETURN_REFUND, State.DECLINED,
        facts={"human_damage": True}),
]


def demo_present() -> bool:
    return ReturnOrder.objects.filter(order__number__startswith="RTD").exists()


class ReturnSeeder:
    def __init__(self, world: DemoWorld):
        self.world = world
        self.rng = world.rng
        self.clock = DemoClock(world.limit, STEP_HOURS)
        self.users = world.users
        self.products: dict[str, Product] = {}
        self.states: dict[str, int] = {}

    def reference_data(self) -> None:
        warehouse = self.users.get("warehouse")
        if warehouse is not None:
            warehouse.groups.add(Group.objects.get(name="warehouse"))
            # A user object caches its permissions on first use; read the login afresh.
            self.users["warehouse"] = type(warehouse).objects.get(pk=warehouse.pk)
        for sku, spec in PRODUCTS.items():
            values = {key: value for key, value in spec.items() if key != "price"}
            self.products[sku], _ = Product.objects.get_or_create(
                sku=sku, defaults={**values, "list_price": Decimal(spec["price"])})

    def order_for(self, row: Row, received_at) -> Order:
        product = self.products[row.sku]
        signed = received_at - timedelta(days=row.days, hours=self.rng.uniform(0, 6))
        customer = self.rng.choice(self.world.customers)
        number = f"RTD{Order.objects.filter(number__startswith='RTD').count() + 1:07d}"
        options = dict(row.order)
        order = Order.objects.create(
            number=number, customer=customer,
            sale_channel=options.get("sale_channel", SaleChannel.DISTANCE),
            placed_at=signed - timedelta(days=2), signed_at=signed,
            seller_installs=options.get("seller_installs", False),
            exclusion_confirmed_at=signed - timedelta(days=2) if options.get("confirmed") else None,
        )
        self.world.orders_created += 1
        price = product.list_price
        line = OrderLine(order=order, product=product, quantity=1, unit_price=price,
                         serial_number=f"SN{order.pk:08d}" if product.durable else "")
        if options.get("installed_after") is not None:
            line.installed_at = signed + timedelta(days=options["installed_after"])
        if options.get("bundle"):
            deal = OrderDeal.objects.create(order=order, code="BUNDLE-2", kind="BUNDLE")
            line.deal = deal
            line.unit_price_paid = (price * Decimal("0.8")).quantize(Decimal("0.01"))
            OrderLine.objects.create(order=order, product=product, quantity=1, unit_price=price,
                                     unit_price_paid=line.unit_price_paid, deal=deal)
        line.save()
        for means, amount in options.get("payments", []):
            OrderPayment.objects.create(order=order, means=means, amount=Decimal(amount))
        return order

    def run(self, count: int) -> dict[str, int]:
        self.reference_data()
        rows = list(ROWS)
        while len(rows) < count:
            rows.append(self.rng.choice(ROWS))
        for row in rows:
            received_at = self.world.limit - timedelta(days=self.rng.uniform(
                *self._age(row.target)))
            try:
                ret = self.write(row, received_at)
            except DomainError as error:
                self.world.stopped_early.append(
                    f"return {row.rule} stopped before {row.target}: {error.message}")
                continue
            self.states[ret.state] = self.states.get(ret.state, 0) + 1
        return self.states

    @staticmethod
    def _age(target: str) -> tuple[float, float]:
        return {State.REVIEWING: (0.05, 0.8), State.INSPECTION: (0.5, 2),
                State.AWAIT_SHIPBACK: (0.5, 3), State.IN_TRANSIT: (1, 4),
                State.RECEIVED: (2, 5), State.INSPECTED: (3, 6), State.REFUNDING: (3, 8),
                State.REPLACEMENT_SHIPPED: (4, 9)}.get(target, (10, 45))

    def write(self, row: Row, received_at) -> ReturnOrder:
        clock, rng = self.clock, self.rng
        agent, sup = self.users["agent"], self.users["supervisor"]
        quality, warehouse = self.users["handler"], self.users["warehouse"]
        clock.start(received_at, 1.0)
        with clock.installed():
            order = self.order_for(row, received_at)
            line = order.lines.select_related("product", "order").first()
            portal = rng.random() < 0.6
            ret = s.return_create(intake=s.ReturnIntake(
                name=order.customer.name, order=order, lines=[(line, 1)],
                request_type=row.request_type, reason=row.reason,
                description="顾客说明 / customer's note", customer=order.customer,
                channel=Channel.WEBFORM if portal else Channel.HOTLINE,
                phone=str(order.customer.phone or "")),
                actor=None if portal else agent)
            if row.facts:
                facts = rules.facts_for_line(line, reason=row.reason,
                                               notice_at=ret.received_at, **row.facts)
                self._store(ret, facts)
            if row.target == State.REVIEWING:
                return ret
            if row.target == State.DECLINED:
                clock.advance(rng, "decline")
                return s.return_decline(
                    return_pk=ret.pk, version=ret.version, actor=sup,
                    reason=_decline_reason(ret.decision_rule),
                    message=f"根据规则 {ret.decision_rule} 不能办理。 / Not available under rule "
                            f"{ret.decision_rule}.")
            clock.advance(rng, "accept")
            granted = s.engine_grants(ret)
            ret = s.return_accept(return_pk=ret.pk, version=ret.version,
                                  actor=agent if granted else sup,
                                  note="" if granted else "Goodwill")
            if ret.state == State.INSPECTION and row.target != State.INSPECTION:
                clock.advance(rng, "report")
                ret = s.return_quality_report(return_pk=ret.pk, version=ret.version,
                                              actor=quality, confirmed=True,
                                              report="检测确认质量问题 / Fault confirmed.")
            if row.advance:
                clock.advance(rng, "advance")
                ret = s.return_ship_advance(return_pk=ret.pk, version=ret.version, actor=agent,
                                            carrier="SF", tracking_number=f"SF{ret.pk:010d}")
            if ret.state == row.target:
                return ret
            if not ret.pickup_booked:
                clock.advance(rng, "ship")
                ret = s.return_customer_ship(return_pk=ret.pk, carrier="YTO",
                                             tracking_number=f"YT{ret.pk:010d}")
                if row.target == State.IN_TRANSIT:
                    return ret
            clock.advance(rng, "receive")
            ret = s.return_receive(return_pk=ret.pk, version=ret.version, actor=warehouse)
            if row.target == State.RECEIVED:
                return ret
            clock.advance(rng, "inspect")
            ret = s.return_inspect(return_pk=ret.pk, version=ret.version, actor=warehouse,
                                   complete=row.passed, original=True,
                                   quality_problem=row.reason == Reason.QUALITY,
                                   note="外包装完好 / packaging fine" if row.passed
                                   else "明显使用痕迹 / clearly used")
            if ret.state == row.target:
                return ret
            if ret.state == State.REFUNDING:
                clock.advance(rng, "refund")
                return s.return_refund(return_pk=ret.pk, version=ret.version, actor=agent)
            if ret.advance_shipped_at is not None:
                return s.return_close_exchange(return_pk=ret.pk, version=ret.version,
                                               actor=agent)
            clock.advance(rng, "reship")
            ret = s.return_ship_replacement(return_pk=ret.pk, version=ret.version, actor=agent,
                                            carrier="JD", tracking_number=f"JD{ret.pk:010d}")
            if row.target == State.REPLACEMENT_SHIPPED:
                return ret
            clock.advance(rng, "deliver")
            return s.return_replacement_delivered(return_pk=ret.pk, version=ret.version,
                                                  actor=agent)

    @staticmethod
    def _store(ret: ReturnOrder, facts) -> None:
        """Findings a demo case starts with (repairs so far, human damage)."""
        decision = rules.decide(facts)
        ReturnOrder.objects.filter(pk=ret.pk).update(
            decision_rule=decision.rule, decision_options=sorted(decision.options),
            decision_basis=decision.basis, decision_facts=rules.facts_as_dict(facts),
            decision_at=timezone.now())
        ret.refresh_from_db()


def _decline_reason(rule: str) -> str:
    return {"A1": "NOT_ELIGIBLE", "A2": "WINDOW_PASSED", "A3": "EXCLUDED_GOODS",
            "A4": "EXCLUDED_GOODS", "C7": "HUMAN_DAMAGE"}.get(rule, "NOT_ELIGIBLE")


def seed(world: DemoWorld, count: int) -> None:
    """Write the demo returns (at least one per row of tables A–D) and summarise them."""
    if count <= 0:
        return
    states = ReturnSeeder(world).run(max(count, len(ROWS)))
    world.summary.append(f"{sum(states.values())} return orders:")
    world.summary.extend(f"  {state:<20} {states.get(state, 0):>4}" for state in State.values
                         if states.get(state))
