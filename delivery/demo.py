"""Demo data for ``manage.py seed_demo``: carriers and couriers, a few months of shipments
(some late), and delivery incidents of every type in every step, with compensation lines in
every state, all written by the real services on a clock set to each step's moment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from aftersales.compensation import services as comp
from aftersales.compensation.choices import ConsentVia, LineState
from aftersales.compensation.models import CompensationLine, CompensationPolicy
from aftersales.core.choices import Channel
from aftersales.core.exceptions import DomainError
from aftersales.management.demo import DemoClock, DemoWorld
from aftersales.people.models import StaffProfile

from . import services as s
from .choices import DamageRemedy, Finding, IncidentType, ShipmentStatus, TraceResult
from .models import Carrier, Courier, DeliveryIncident, DeliverySettings, Shipment, StatusMapping

CARRIERS = [("SF", "顺丰速运"), ("ZTO", "中通快递"), ("YTO", "圆通速递"), ("JD", "京东物流")]
COURIER_NAMES = ["刘强", "陈伟", "杨洋", "黄磊", "吴涛", "徐斌", "孙浩", "马超", "朱鹏", "胡军",
                 "郭亮", "林峰"]
RAW_STATUSES = [("已揽收", ShipmentStatus.PICKED_UP), ("运输中", ShipmentStatus.IN_TRANSIT),
                ("派送中", ShipmentStatus.OUT_FOR_DELIVERY), ("已签收", ShipmentStatus.DELIVERED),
                ("异常件", ShipmentStatus.EXCEPTION), ("丢失", ShipmentStatus.LOST)]
STEP_HOURS = {"notify": (0.2, 1.8), "offer": (0.5, 6), "approve": (0.5, 8),
              "customer": (1, 20), "execute": (0.5, 8), "resolve": (1, 24), "close": (2, 48),
              "pickup": (1, 8), "picked": (12, 48), "claim": (2, 24), "settle": (24, 120),
              "trace": (0.5, 4), "traced": (12, 72), "investigate": (0.5, 4),
              "finding": (12, 72)}
DELAY_REASONS = ["暴雨导致干线运输停运", "中转场爆仓，分拣延误", "派送站点人手不足",
                 "地址信息不全，需联系确认"]
# Every step a demo incident is left in; a delay case runs its compensation line to a state.
SCENARIOS = [
    (IncidentType.DELAY, "registered"), (IncidentType.DELAY, "notified"),
    (IncidentType.DELAY, LineState.PROPOSED), (IncidentType.DELAY, LineState.APPROVED),
    (IncidentType.DELAY, LineState.CONSENTED), (IncidentType.DELAY, LineState.EXECUTED),
    (IncidentType.DELAY, LineState.REJECTED), (IncidentType.DELAY, LineState.WITHDRAWN),
    (IncidentType.DELAY, LineState.DECLINED), (IncidentType.DELAY, "closed"),
    (IncidentType.DAMAGE, "pickup"), (IncidentType.DAMAGE, "remedy"),
    (IncidentType.DAMAGE, "resolved"), (IncidentType.LOSS, "tracing"),
    (IncidentType.LOSS, "remedy"), (IncidentType.LOSS, "closed"),
    (IncidentType.ATTITUDE, "investigating"), (IncidentType.ATTITUDE, "resolved"),
    (IncidentType.ATTITUDE, "unfounded"), (IncidentType.DELAY, "cancelled"),
]
EXTRA_LOGINS = [("superior", "superior12345", "superior", "周总"),
                ("legal", "legal12345", "legal", "法务 吴律师")]


def demo_present() -> bool:
    return DeliveryIncident.objects.exists()


def _logins(world: DemoWorld) -> dict:
    users = dict(world.users)
    model = get_user_model()
    for username, password, role, name in EXTRA_LOGINS:
        user, created = model.objects.get_or_create(
            username=username, defaults={"first_name": name,
                                         "email": f"{username}@aftersales.example"})
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.get_or_create(user=user)
        users[username] = user
    return users


def _carriers() -> tuple[list[Carrier], list[Courier]]:
    carriers, couriers = [], []
    for n, (code, name) in enumerate(CARRIERS):
        carrier, _ = Carrier.objects.get_or_create(code=code, defaults={"name": name})
        carriers.append(carrier)
        for raw, status in RAW_STATUSES:
            StatusMapping.objects.get_or_create(carrier=carrier, raw_status=raw,
                                                defaults={"status": status})
        for k in range(3):
            courier, _ = Courier.objects.get_or_create(
                carrier=carrier, code=f"{code}{101 + k}",
                defaults={"name": COURIER_NAMES[(n * 3 + k) % len(COURIER_NAMES)]})
            couriers.append(courier)
    return carriers, couriers


def _shipment(world: DemoWorld, couriers: list[Courier], shipped, *, late_days: float | None,
              delivered: bool = True) -> Shipment:
    rng = world.rng
    customer = rng.choice(world.customers)
    order = world.make_order(customer, None, shipped + timedelta(days=3))
    courier = rng.choice(couriers)
    promised = shipped + timedelta(days=rng.choice([2, 3]))
    delivered_at = None
    if delivered:
        delivered_at = promised + timedelta(days=late_days) if late_days is not None \
            else promised - timedelta(hours=rng.uniform(1, 30))
    return Shipment.objects.create(
        order=order, carrier=courier.carrier, courier=courier,
        tracking_number=f"{courier.carrier.code}{10**11 + Shipment.objects.count()}",
        shipped_at=shipped, promised_at=promised, delivered_at=delivered_at,
        signed_for_by=customer.name if delivered_at else "",
        raw_status="已签收" if delivered_at else "运输中",
        status=ShipmentStatus.DELIVERED if delivered_at else ShipmentStatus.IN_TRANSIT)


class DeliverySeeder:
    def __init__(self, world: DemoWorld):
        self.world = world
        self.rng = world.rng
        self.clock = DemoClock(world.limit, STEP_HOURS)
        self.users = _logins(world)
        self.carriers, self.couriers = _carriers()
        CompensationPolicy.objects.get_or_create(pk=1)
        DeliverySettings.objects.get_or_create(pk=1)

    def background(self, per_week: int = 6) -> int:
        """Ordinary shipments of the last nine weeks, a few late, for the scorecards."""
        made = 0
        for week in range(9):
            for _ in range(per_week):
                shipped = self.world.limit - timedelta(days=week * 7 + self.rng.uniform(4, 7))
                late = self.rng.choice([None] * 8 + [1, 3])
                _shipment(self.world, self.couriers, shipped, late_days=late)
                made += 1
        return made

    def step(self, name: str) -> None:
        self.clock.advance(self.rng, name)

    def incident(self, kind: str, target: str) -> DeliveryIncident:
        rng, users = self.rng, self.users
        agent, supervisor = users["agent"], users["supervisor"]
        received = self.world.limit - timedelta(days=rng.uniform(1, 30))
        self.clock.start(received, pace=0.3)
        late = {IncidentType.DELAY: rng.choice([1, 2, 4, 5, 7]), IncidentType.LOSS: None}
        undelivered = kind == IncidentType.LOSS or (kind == IncidentType.DELAY
                                                   and target == "registered")
        shipment = _shipment(self.world, self.couriers, received - timedelta(days=4),
                             late_days=late.get(kind), delivered=not undelivered)
        by_customer = rng.random() < 0.4
        intake = s.IncidentIntake(
            shipment=shipment, incident_type=kind,
            description={IncidentType.DELAY: "包裹超过承诺时间仍未送达，请尽快处理。",
                         IncidentType.DAMAGE: "外箱破损，商品外壳有裂痕。",
                         IncidentType.LOSS: "物流信息多日未更新，快递员说找不到包裹。",
                         IncidentType.ATTITUDE: "快递员态度恶劣，未经同意把包裹放在门口。"}[kind],
            channel=Channel.WEBFORM if by_customer else Channel.HOTLINE,
            name=shipment.order.customer.name if by_customer else "",
            email=f"demo{shipment.pk}@example.com" if by_customer else "",
            received_at=received)
        with self.clock.installed():
            incident = s.incident_register(intake=intake, actor=None if by_customer else agent)
            if target in ("registered",):
                return incident
            if target == "cancelled":
                self.step("notify")
                s.incident_cancel(incident_pk=incident.pk, version=None, actor=supervisor,
                                  note="客户重复登记，已合并处理")
                return incident
            handler = getattr(self, f"_{kind.lower()}")
            handler(incident.pk, target, agent, supervisor)
        return incident

    def _delay(self, pk: int, target: str, agent, supervisor) -> None:
        rng = self.rng
        self.step("notify")
        incident = DeliveryIncident.objects.select_related("shipment").get(pk=pk)
        eta = incident.shipment.delivered_at or (incident.shipment.promised_at
                                                 + timedelta(days=rng.choice([1, 3, 6])))
        s.incident_notify_delay(incident_pk=pk, version=None, actor=agent,
                                reason=rng.choice(DELAY_REASONS), new_eta=eta)
        if target == "notified":
            return
        self.step("offer")
        line = s.incident_offer_delay_compensation(incident_pk=pk, actor=agent)
        if target == LineState.PROPOSED:
            return
        self.step("approve")
        if target == LineState.REJECTED:
            comp.compensation_reject(line_pk=line.pk, actor=supervisor,
                                     note="已通过改派解决，不另行补偿")
            return
        comp.compensation_approve(line_pk=line.pk, actor=supervisor)
        if target == LineState.APPROVED:
            return
        if target == LineState.WITHDRAWN:
            self.step("customer")
            comp.compensation_withdraw(line_pk=line.pk, actor=agent, note="客户已退货")
            return
        self.step("customer")
        if target == LineState.DECLINED:
            comp.compensation_decline(line_pk=line.pk, version=line.version,
                                      via=ConsentVia.PORTAL, note="补偿太少")
            return
        if rng.random() < 0.5:
            comp.compensation_consent(line_pk=line.pk, version=line.version,
                                      via=ConsentVia.PORTAL)
        else:
            comp.compensation_consent(line_pk=line.pk, version=line.version,
                                      via=ConsentVia.PHONE, actor=agent,
                                      note="电话回访，客户同意接受优惠券补偿")
        if target == LineState.CONSENTED:
            return
        self.step("execute")
        comp.compensation_execute(line_pk=line.pk, actor=agent)
        if target == LineState.EXECUTED:
            return
        self.step("resolve")
        s.incident_resolve(incident_pk=pk, version=None, actor=agent)
        self.step("close")
        s.incident_close(incident_pk=pk, version=None, actor=supervisor)

    def _claim(self, pk: int, settle: bool, agent) -> None:
        self.step("claim")
        claim = s.incident_file_claim(incident_pk=pk, actor=agent,
                                      amount=Decimal(self.rng.choice([129, 399, 899])))
        if settle:
            self.step("settle")
            s.claim_settle(claim_pk=claim.pk, actor=agent,
                           recovered=claim.amount_claimed * Decimal("0.8"))

    def _damage(self, pk: int, target: str, agent, supervisor) -> None:
        self.step("pickup")
        s.incident_arrange_pickup(incident_pk=pk, version=None, actor=agent,
                                  pickup_at=self.clock.now() + timedelta(hours=20))
        if target == "pickup":
            return
        self._claim(pk, target == "resolved", agent)
        self.step("picked")
        s.incident_pickup_done(incident_pk=pk, version=None, actor=agent,
                               remedy=self.rng.choice(DamageRemedy.values))
        if target == "resolved":
            self.step("resolve")
            s.incident_resolve(incident_pk=pk, version=None, actor=agent)

    def _loss(self, pk: int, target: str, agent, supervisor) -> None:
        self.step("trace")
        s.incident_start_trace(incident_pk=pk, version=None, actor=agent, note="已向承运商发起查件")
        if target == "tracing":
            return
        self._claim(pk, target == "closed", agent)
        self.step("traced")
        result = self.rng.choice([TraceResult.RESHIP, TraceResult.REFUND])
        s.incident_trace_result(incident_pk=pk, version=None, actor=agent, result=result,
                                reship_tracking_number=f"R{10**11 + pk}"
                                if result == TraceResult.RESHIP else "")
        if target == "closed":
            self.step("resolve")
            s.incident_resolve(incident_pk=pk, version=None, actor=agent)
            self.step("close")
            s.incident_close(incident_pk=pk, version=None, actor=supervisor)

    def _attitude(self, pk: int, target: str, agent, supervisor) -> None:
        self.step("investigate")
        s.incident_investigate(incident_pk=pk, version=None, actor=agent)
        if target == "investigating":
            return
        self.step("finding")
        unfounded = target == "unfounded"
        s.incident_record_finding(
            incident_pk=pk, version=None, actor=supervisor,
            finding=Finding.NOT_SUBSTANTIATED if unfounded else Finding.SUBSTANTIATED,
            note="调取派件录音与监控，核实情况" + ("，未发现不当行为" if unfounded
                                        else "，快递员确有不当言行，已纳入考核"))
        self.step("resolve")
        s.incident_resolve(incident_pk=pk, version=None, actor=agent)


def seed(world: DemoWorld, count: int) -> None:
    seeder = DeliverySeeder(world)
    shipments = seeder.background()
    made: dict[str, int] = {}
    for n in range(count):
        kind, target = SCENARIOS[n % len(SCENARIOS)]
        try:
            seeder.incident(kind, target)
        except DomainError as error:
            world.stopped_early.append(f"delivery incident {kind}/{target}: {error.message}")
            continue
        made[f"{kind}/{target}"] = made.get(f"{kind}/{target}", 0) + 1
    lines = CompensationLine.objects.filter(ticket__kind="DELIVERY")
    world.summary.append(f"{sum(made.values())} delivery incidents, {shipments} other "
                         f"shipments, {lines.count()} compensation lines; logins "
                         + ", ".join(f"{u}/{p}" for u, p, _r, _n in EXTRA_LOGINS))
