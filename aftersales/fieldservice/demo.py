"""Demo field service: technicians, a parts list, a week of visits and jobs in every state.

Every job is written step by step through the services, with the clock the services read
set to the moment of each step, so timelines, clocks, visits and signatures are what the
product itself records.
"""

import struct
import zlib
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from aftersales.cases.kinds import spawnable
from aftersales.catalog.models import Order, OrderLine, Product
from aftersales.core.choices import Channel, TicketKind
from aftersales.core.exceptions import DomainError
from aftersales.management.demo import DemoClock, DemoWorld
from aftersales.people.models import Department, StaffProfile

from . import services as s
from .choices import FaultType, JobState, ServiceMode
from .models import InstallationJob, Part, RepairJob, Technician, Visit
from .roles import DISPATCHER, TECHNICIAN
from .signatures import check_signature_png
from .sweep import fieldservice_sweep

S = JobState
INSTALLABLE = {"大家电"}
REGIONS = {"上海": ["浦东新区", "徐汇区", "静安区"], "北京": ["朝阳区", "海淀区", "东城区"]}
TECHNICIANS = [
    ("tech_sh1", "刘师傅", "上海", None), ("tech_sh2", "张师傅", "上海", None),
    ("tech_sh3", "吴师傅", "上海", ["大家电"]), ("tech_bj1", "马师傅", "北京", None),
    ("tech_bj2", "郑师傅", "北京", None), ("tech_bj3", "冯师傅", "北京", ["大家电"]),
]
DEMO_PASSWORD_SUFFIX = "12345"
PARTS = [
    ("P-HEAT-01", "加热元件", "85.00"), ("P-SEAL-02", "门封条", "45.00"),
    ("P-PCB-03", "主控板", "260.00"), ("P-MOTOR-04", "电机", "320.00"),
    ("P-FAN-05", "风扇组件", "70.00"), ("P-BELT-06", "皮带", "25.00"),
    ("P-GAS-07", "制冷剂（每瓶）", "120.00"), ("P-BAT-08", "电池", "150.00"),
]
# Where demo repair jobs end, in rotation; every state of the lifecycle appears.
REPAIR_TARGETS = [
    S.REPORTED, S.TRIAGED, S.AWAIT_QUOTE, S.SCHEDULED, S.DISPATCHED, S.DISPATCHED,
    S.IN_SERVICE, S.ACCEPTANCE, S.ACCEPTED, S.RECORD_FILED, S.RETURN_VISIT, S.CLOSED,
    S.CLOSED, S.CANCELLED, "MAIL_AWAIT", "MAIL_SERVICE", "MAIL_SHIPPED", "OVERRUN",
    "REJECTED", S.HANDED_OVER,
]
INSTALL_TARGETS = [S.REQUESTED, S.PREPARED, S.SCHEDULED, S.DISPATCHED, S.INSTALLING,
                   S.JOINT_ACCEPTANCE, S.ACCEPTED, S.RECORD_FILED, S.CLOSED]
SLOT_HOURS = (9, 11, 13, 15)


def demo_signature_png(width: int = 300, height: int = 100, seed: int = 0) -> bytes:
    """A signature-like PNG: a dark wave on a transparent canvas (grey + alpha)."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            wave = height // 2 + int((height // 3) * ((((x + seed) * 7) % 60) - 30) / 30)
            ink = abs(y - wave) <= 2 and 20 < x < width - 20
            row += bytes([30, 255]) if ink else bytes([0, 0])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 4,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def demo_present() -> bool:
    return RepairJob.objects.exists() or InstallationJob.objects.exists()


class FieldDemo:
    """The technicians, parts and booked slots shared by the repair and install seeding."""

    def __init__(self, world: DemoWorld):
        self.world = world
        self.rng = world.rng
        self.clock = DemoClock(world.limit, {})
        self.today = timezone.localdate(world.now)
        self.week = self.today - timedelta(days=self.today.weekday())
        self.used: set[tuple[int, datetime]] = set()
        self.technicians: list[Technician] = []
        self.dispatcher = None
        self.agent = world.users.get("agent")
        self.supervisor = world.users.get("supervisor")
        self._setup()

    @classmethod
    def on(cls, world: DemoWorld) -> "FieldDemo":
        existing = getattr(world, "_field_demo", None)
        if existing is None:
            existing = cls(world)
            world._field_demo = existing
        return existing

    def _setup(self) -> None:
        from aftersales.people.roles import ensure_roles

        ensure_roles()
        department = self.world.departments.get("FIELD") or Department.objects.get_or_create(
            code="FIELD", defaults={"name": "安装维修部", "kind": "FIELD"})[0]
        users = get_user_model()
        categories = sorted({p.category for p in Product.objects.all() if p.category})
        Product.objects.filter(category__in=INSTALLABLE).update(installable=True)
        for product in self.world.products.values():
            product.installable = product.category in INSTALLABLE
        for username, name, region, skills in TECHNICIANS:
            user, created = users.objects.get_or_create(
                username=username, defaults={"first_name": name,
                                             "email": f"{username}@aftersales.example"})
            if created:
                user.set_password(username + DEMO_PASSWORD_SUFFIX)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=TECHNICIAN))
            StaffProfile.objects.update_or_create(user=user, defaults={"department": department})
            technician, _ = Technician.objects.get_or_create(
                user=user, defaults={"region": region, "skills": skills or categories,
                                     "phone": f"139{self.rng.randrange(10**8):08d}"})
            self.technicians.append(technician)
        self.dispatcher, created = users.objects.get_or_create(
            username="dispatcher", defaults={"first_name": "黄调度",
                                             "email": "dispatcher@aftersales.example"})
        if created:
            self.dispatcher.set_password("dispatcher" + DEMO_PASSWORD_SUFFIX)
            self.dispatcher.save(update_fields=["password"])
        self.dispatcher.groups.add(Group.objects.get(name=DISPATCHER))
        StaffProfile.objects.update_or_create(user=self.dispatcher,
                                              defaults={"department": department})
        for code, name, price in PARTS:
            Part.objects.get_or_create(code=code, defaults={"name": name,
                                                            "price": Decimal(price)})
        self.parts = list(Part.objects.order_by("code"))
        # A second batch (--force) books around the visits of the first.
        self.used = set(Visit.objects.filter(cancelled=False).values_list("technician_id",
                                                                          "start"))
        self.world.summary.append(
            f"field service: {len(self.technicians)} technicians (tech_sh1 … tech_bj3, "
            f"password <username>{DEMO_PASSWORD_SUFFIX}), dispatcher/dispatcher"
            f"{DEMO_PASSWORD_SUFFIX}")

    # --- helpers ----------------------------------------------------------------------
    def at(self, moment: datetime) -> None:
        self.clock.start(moment, 1.0)

    def slot(self, region: str, category: str, day_offset: int,
             ) -> tuple[Technician, datetime, datetime] | None:
        """A free 90-minute slot of a fitting technician on that day of the week."""
        day = self.week + timedelta(days=day_offset)
        fitting = [t for t in self.technicians if t.region == region
                   and t.can_work_on(category)]
        self.rng.shuffle(fitting)
        for technician in fitting:
            for hour in SLOT_HOURS:
                start = timezone.make_aware(datetime.combine(day, time(hour)))
                if (technician.pk, start) not in self.used:
                    self.used.add((technician.pk, start))
                    return technician, start, start + timedelta(minutes=90)
        return None

    def order_line(self, customer, *, installable: bool, signed_days_ago: float) -> OrderLine:
        products = [p for p in self.world.products.values()
                    if (p.category in INSTALLABLE) == installable]
        product = self.rng.choice(products)
        signed = self.world.now - timedelta(days=signed_days_ago)
        order = Order.objects.create(
            number=f"SO-FS-{Order.objects.count() + 1:06d}", customer=customer,
            placed_at=signed - timedelta(days=2), signed_at=signed,
            seller_installs=installable)
        self.world.orders_created += 1
        return OrderLine.objects.create(
            order=order, product=product, unit_price=product.list_price or Decimal("999.00"),
            serial_number=f"SN{self.rng.randrange(10**9):09d}")

    def intake(self, customer, line: OrderLine, region: str, description: str,
               mode: str = ServiceMode.ON_SITE) -> s.JobIntake:
        area = self.rng.choice(REGIONS[region])
        return s.JobIntake(
            name=customer.name, phone=str(customer.phone or "13800000000"),
            email=str(customer.email or ""), order_line=line, serial_number=line.serial_number,
            description=description, address=f"{region}市{area}示范路{self.rng.randint(1, 999)}号",
            address_area=area, region=region, service_mode=mode, channel=Channel.HOTLINE,
            customer=customer)

    def sign(self, seed: int):
        return check_signature_png(demo_signature_png(seed=seed))


def _visit_day(demo: FieldDemo, target: str) -> int:
    """Day of the week (may reach into the previous or next one): past days for work
    already done, today or later for work still to come."""
    today = demo.today.weekday()
    if target in (S.DISPATCHED, S.SCHEDULED):
        return today + demo.rng.randint(0, 3)
    return today + demo.rng.randint(-4, -1)


def seed(world: DemoWorld, count: int) -> None:
    demo = FieldDemo.on(world)
    done: dict[str, int] = {}
    with demo.clock.installed():
        for n in range(count):
            target = REPAIR_TARGETS[n % len(REPAIR_TARGETS)]
            try:
                _repair(demo, target, n)
            except DomainError as error:
                world.stopped_early.append(f"repair {target}: {error.message}")
                continue
            done[target] = done.get(target, 0) + 1
        fieldservice_sweep(now=world.limit)
    world.summary.append(f"{sum(done.values())} repair jobs: "
                         + ", ".join(f"{k} {v}" for k, v in done.items()))


def _repair(demo: FieldDemo, target: str, n: int) -> None:
    rng = demo.rng
    customer = rng.choice(demo.world.customers)
    region = rng.choice(list(REGIONS))
    mail_in = target.startswith("MAIL")
    line = demo.order_line(customer, installable=rng.random() < 0.5,
                           signed_days_ago=5 if target == S.HANDED_OVER or not n % 5
                           else rng.uniform(20, 300))
    day = _visit_day(demo, target)
    slot = None if mail_in else demo.slot(region, line.product.category, day)
    if not mail_in and slot is None:
        raise DomainError("no free slot")
    visit_start = slot[1] if slot else demo.world.limit - timedelta(days=2)
    if target == "OVERRUN":
        reported = demo.world.limit - timedelta(days=35)
    else:
        reported = min(visit_start, demo.world.limit) - timedelta(hours=rng.uniform(20, 60))
    demo.at(reported)
    job = s.job_report(intake=demo.intake(
        customer, line, region, rng.choice(["不制冷，压缩机不启动", "开机后报错E4", "加热异常",
                                            "漏水", "噪音很大，运行时有异响"]),
        ServiceMode.MAIL_IN if mail_in else ServiceMode.ON_SITE), actor=demo.agent)
    if target == S.REPORTED:
        return
    demo.at(reported + timedelta(hours=1))
    paid = n % 4 == 3 or target == S.AWAIT_QUOTE
    s.job_triage(job_pk=job.pk, actor=demo.agent, fault_type=(
        FaultType.HUMAN_DAMAGE if paid else FaultType.PERFORMANCE), genuine=True,
        service_mode=ServiceMode.MAIL_IN if mail_in else ServiceMode.ON_SITE)
    job = RepairJob.objects.get(pk=job.pk)
    if target == S.CANCELLED:
        s.job_cancel(job_pk=job.pk, kind=job.kind, actor=demo.agent,
                     reason="客户自行找到了解决办法")
        return
    if target == S.HANDED_OVER:
        if spawnable(TicketKind.RETURN) and s.job_warranty(job).owed_more_than_repair:
            s.job_spawn_return(job_pk=job.pk, actor=demo.agent, request_type="EXCHANGE",
                               reason="三包期内性能故障，客户选择换货")
        return
    if not job.free_of_charge:
        demo.at(reported + timedelta(hours=2))
        quote = s.job_quote(job_pk=job.pk, actor=demo.agent, parts_amount=Decimal("260.00"),
                            labour_amount=Decimal("80.00"), note="更换主控板，含上门费")
        if target == S.AWAIT_QUOTE:
            return
        demo.at(reported + timedelta(hours=5))
        s.job_customer_decide_quote(job_pk=job.pk, quote_pk=quote.pk, accept=True)
    if target == S.TRIAGED:
        demo.at(reported + timedelta(hours=6))
        start = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=2),
                                                     time(10)))
        s.job_offer_slots(job_pk=job.pk, kind=job.kind, actor=demo.agent, slots=[
            (start, start + timedelta(hours=2)),
            (start + timedelta(days=1), start + timedelta(days=1, hours=2))])
        return
    if mail_in:
        _mail_in(demo, job, target, reported)
        return
    technician, start, end = slot
    demo.at(min(reported + timedelta(hours=6), demo.world.limit))
    if target == S.SCHEDULED:
        s.job_schedule(job_pk=job.pk, kind=job.kind, actor=demo.agent, start=start, end=end)
        return
    s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=demo.dispatcher,
                   technician_pk=technician.pk, start=start, end=end)
    if target == S.DISPATCHED or start > demo.world.limit:
        return
    _on_site(demo, job, technician, start, target, n)


def _on_site(demo: FieldDemo, job, technician: Technician, start: datetime, target: str,
             n: int) -> None:
    rng = demo.rng
    user = technician.user
    late = timedelta(minutes=rng.choice([0, 0, 0, 5, 25, 40]))
    arrived = start + late
    demo.at(arrived)
    s.job_check_in(job_pk=job.pk, kind=job.kind, actor=user, at=min(arrived, demo.world.limit))
    demo.at(arrived + timedelta(minutes=20))
    s.job_record_work(job_pk=job.pk, kind=job.kind, actor=user,
                      cause=rng.choice(["主控板电容鼓包，已更换", "门封条老化漏水，已更换",
                                        "电机碳刷磨损，已更换并测试", "安装完成并演示使用"]),
                      parts=[s.PartLine(rng.choice(demo.parts), 1)])
    if target == "OVERRUN":
        s.job_wait_for_parts(job_pk=job.pk, actor=user)
        return
    if target in (S.IN_SERVICE, S.INSTALLING):
        return
    demo.at(arrived + timedelta(minutes=60))
    s.job_complete(job_pk=job.pk, kind=job.kind, actor=user)
    if target == "REJECTED":
        s.job_reject(job_pk=job.pk, kind=job.kind, actor=user, reason="仍有异响，不满意")
        return
    if target in (S.ACCEPTANCE, S.JOINT_ACCEPTANCE):
        return
    demo.at(arrived + timedelta(minutes=70))
    s.job_accept(job_pk=job.pk, kind=job.kind, actor=user, customer_name=job.customer.name,
                 customer_signature=demo.sign(n),
                 technician_signature=demo.sign(n + 7) if job.kind == TicketKind.INSTALL
                 else None)
    if target == S.ACCEPTED:
        return
    _after(demo, job, arrived, target, n)


def _after(demo: FieldDemo, job, arrived: datetime, target: str, n: int) -> None:
    demo.at(arrived + timedelta(hours=20))
    s.job_file_record(job_pk=job.pk, kind=job.kind, actor=demo.supervisor)
    if target == S.RECORD_FILED:
        return
    demo.at(arrived + timedelta(hours=30))
    s.job_record_feedback(ticket_pk=job.pk, actor=None, satisfied=n % 7 != 0,
                          rating=5 if n % 3 else 4 if n % 7 else 2, comment="",
                          method="ONLINE")
    if target == S.RETURN_VISIT:
        return
    demo.at(arrived + timedelta(hours=32))
    s.job_close(job_pk=job.pk, kind=job.kind, actor=demo.agent)


def _mail_in(demo: FieldDemo, job, target: str, reported: datetime) -> None:
    demo.at(reported + timedelta(hours=7))
    s.job_await_inbound(job_pk=job.pk, actor=demo.agent)
    if target == "MAIL_AWAIT":
        return
    demo.at(reported + timedelta(hours=30))
    technician = demo.technicians[0].user
    s.job_receive_inbound(job_pk=job.pk, actor=technician, carrier="顺丰",
                          tracking=f"SF{demo.rng.randrange(10**10):010d}")
    s.job_record_work(job_pk=job.pk, kind=job.kind, actor=technician,
                      cause="电池老化，已更换", parts=[s.PartLine(demo.parts[-1], 1)])
    if target == "MAIL_SERVICE":
        return
    demo.at(reported + timedelta(hours=40))
    s.job_ship_back(job_pk=job.pk, actor=technician, carrier="顺丰",
                    tracking=f"SF{demo.rng.randrange(10**10):010d}")


def seed_installations(world: DemoWorld, count: int) -> None:
    demo = FieldDemo.on(world)
    done: dict[str, int] = {}
    with demo.clock.installed():
        for n in range(count):
            target = INSTALL_TARGETS[n % len(INSTALL_TARGETS)]
            try:
                _install(demo, target, n)
            except DomainError as error:
                world.stopped_early.append(f"installation {target}: {error.message}")
                continue
            done[target] = done.get(target, 0) + 1
    world.summary.append(f"{sum(done.values())} installation jobs: "
                         + ", ".join(f"{k} {v}" for k, v in done.items()))


def _install(demo: FieldDemo, target: str, n: int) -> None:
    rng = demo.rng
    customer = rng.choice(demo.world.customers)
    region = rng.choice(list(REGIONS))
    line = demo.order_line(customer, installable=True, signed_days_ago=rng.uniform(1, 4))
    slot = demo.slot(region, line.product.category, _visit_day(demo, target))
    if slot is None:
        raise DomainError("no free slot")
    technician, start, end = slot
    requested = min(start, demo.world.limit) - timedelta(hours=rng.uniform(20, 50))
    demo.at(requested)
    job = s.installation_book(intake=demo.intake(customer, line, region, "需要拆除旧机"),
                              actor=demo.agent)
    if target == S.REQUESTED:
        return
    demo.at(requested + timedelta(hours=2))
    s.job_prepare(job_pk=job.pk, actor=demo.agent, note="备好支架和铜管")
    if target == S.PREPARED:
        return
    demo.at(requested + timedelta(hours=3))
    if target == S.SCHEDULED:
        s.job_schedule(job_pk=job.pk, kind=job.kind, actor=demo.agent, start=start, end=end)
        return
    s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=demo.dispatcher,
                   technician_pk=technician.pk, start=start, end=end)
    if target == S.DISPATCHED or start > demo.world.limit:
        return
    _on_site(demo, InstallationJob.objects.get(pk=job.pk), technician, start, target, n)
