"""Load demo data: departments, staff logins, products, customers, orders, canned responses
and complaints in every state of their lifecycle.

Every complaint is written by the real complaint services, step by step, as staff and
customers would do it, so its timeline, SLA clocks, plans and return visits are exactly what
the product itself records. Each complaint's history is spread over the past weeks: while
it is written, the clock the services read (``django.utils.timezone.now``) is set to the
moment of each step.

Idempotent: when demo logins or any complaint exist already, nothing is added unless
``--force`` is given.
"""

import logging
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from aftersales.cases.models import CannedResponse
from aftersales.cases.services import ticket_add_note
from aftersales.catalog.models import Order, OrderLine, Product
from aftersales.core.choices import Channel, SaleChannel
from aftersales.core.exceptions import DomainError
from aftersales.management import demo_data as d
from aftersales.people.models import Customer, Department, StaffProfile
from aftersales.people.roles import ensure_roles
from aftersales.people.services import customer_find_or_create

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
LOCMEM_SMS = "aftersales.notifications.sms.LocmemSmsBackend"
DEFAULT_COMPLAINTS = 200
DEFAULT_SEED = 20261122

# Every state a demo complaint is left in, with how many days ago such complaints arrive
# (an archived case is weeks old, a just-registered one is from the last day or two).
TARGET_AGE_DAYS = {
    "REGISTERED": (0.05, 1.5),
    "NOT_ACCEPTED": (1, 60),
    "ACCEPTED": (0.2, 2),
    "ON_SPOT_RESOLVED": (0.1, 2),
    "CLASSIFIED": (0.3, 3),
    "ANALYSING": (0.5, 6),
    "PLAN_APPROVAL": (1, 7),
    "IN_PROGRESS": (1.5, 10),
    "AWAIT_CUSTOMER": (1.5, 9),
    "REOPENED": (4, 14),
    "RESOLVED": (1.5, 7),
    "RETURN_VISIT": (3, 10),
    "CLOSED": (10, 60),
}
TARGET_STATES = list(TARGET_AGE_DAYS)
TARGET_WEIGHTS = {
    "REGISTERED": 7, "NOT_ACCEPTED": 4, "ACCEPTED": 5, "ON_SPOT_RESOLVED": 3, "CLASSIFIED": 6,
    "ANALYSING": 8, "PLAN_APPROVAL": 5, "IN_PROGRESS": 9, "AWAIT_CUSTOMER": 5, "REOPENED": 4,
    "RESOLVED": 8, "RETURN_VISIT": 8, "CLOSED": 28,
}
# Hours between two steps of a case (low, high), before they are fitted into its age.
STEP_HOURS = {
    "accept": (0.2, 3), "reject": (0.5, 8), "on_spot": (0.05, 0.5), "classify": (0.2, 4),
    "start": (0.5, 12), "plan": (4, 40), "decide": (1, 20), "confirm": (0.5, 6),
    "customer": (2, 30), "reply": (2, 40), "feedback": (40, 90), "archive": (0.5, 20),
    "reopen": (1, 24), "resume": (1, 12), "escalate": (1, 24), "note": (0.2, 6),
}
STEPS_TO = {
    "REGISTERED": [], "NOT_ACCEPTED": ["reject"], "ACCEPTED": ["accept"],
    "ON_SPOT_RESOLVED": ["accept", "on_spot"], "CLASSIFIED": ["accept", "classify"],
    "ANALYSING": ["accept", "classify", "start"],
    "PLAN_APPROVAL": ["accept", "classify", "start", "plan"],
    "IN_PROGRESS": ["accept", "classify", "start", "plan", "decide"],
    "AWAIT_CUSTOMER": ["accept", "classify", "start", "plan", "decide", "confirm"],
    "RESOLVED": ["accept", "classify", "start", "plan", "decide", "confirm", "customer", "reply"],
}
STEPS_TO["RETURN_VISIT"] = [*STEPS_TO["RESOLVED"], "feedback"]
STEPS_TO["REOPENED"] = [*STEPS_TO["RESOLVED"], "feedback"]
STEPS_TO["CLOSED"] = [*STEPS_TO["RETURN_VISIT"], "archive"]
CONFIRMATION_SOLUTIONS = {"REFUND", "RETURN_REFUND", "EXCHANGE", "PRICE_DIFF", "COMPENSATION"}
APPROVAL_SEVERITIES = {"S1", "S2", "S3"}
# Channels and how often complaints arrive through them.
CHANNEL_WEIGHTS = {
    Channel.WEBFORM: 24, Channel.HOTLINE: 22, Channel.ONLINE: 18, Channel.MEMBER: 8,
    Channel.EMAIL: 7, Channel.SOCIAL: 5, Channel.THIRDPARTY: 5, Channel.REGULATOR: 3,
    Channel.STORE: 3, Channel.VISIT: 2, Channel.LETTER: 1, Channel.FIELD: 1, Channel.OFFICE: 1,
}
SELF_SERVICE_CHANNELS = {Channel.WEBFORM, Channel.MEMBER}
ON_SPOT_CHANNELS = [Channel.HOTLINE, Channel.ONLINE, Channel.STORE, Channel.VISIT]


def demo_present() -> bool:
    from complaints.models import Complaint

    return (
        get_user_model().objects.filter(username__in=d.DEMO_USERNAMES).exists()
        or Complaint.objects.exists()
    )


class DemoClock:
    """The time the services see while one case's history is written."""

    def __init__(self, limit: datetime):
        self.limit = limit
        self.current = limit
        self.pace = 1.0

    def now(self) -> datetime:
        return self.current

    def start(self, at: datetime, pace: float) -> None:
        self.current = min(at, self.limit)
        self.pace = pace

    def advance(self, rng: random.Random, step: str) -> None:
        low, high = STEP_HOURS[step]
        hours = rng.uniform(low, high) * self.pace
        self.current = min(self.current + timedelta(hours=hours), self.limit)

    @contextmanager
    def installed(self) -> Iterator[None]:
        with mock.patch.object(timezone, "now", self.now):
            yield


class TaskLog(logging.Handler):
    """Collects what in-process notification tasks log, instead of printing one line each."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            error = record.exc_info[1] if record.exc_info else None
            self.failures.append(f"{error!r}" if error else record.getMessage())


@contextmanager
def quiet_side_effects(task_log: TaskLog) -> Iterator[None]:
    """Notifications run in-process and land in local outboxes: nothing is printed or queued."""
    from aftersales.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    trace_logger = logging.getLogger("celery.app.trace")
    # An eager task still opens a broker connection object (never used), which warns once.
    kombu_logger = logging.getLogger("kombu.connection")
    saved = trace_logger.handlers[:], trace_logger.propagate, trace_logger.level
    saved_kombu_level = kombu_logger.level
    celery_app.conf.task_always_eager = True
    trace_logger.handlers, trace_logger.propagate = [task_log], False
    trace_logger.setLevel(logging.INFO)
    kombu_logger.setLevel(logging.ERROR)
    try:
        with override_settings(EMAIL_BACKEND=LOCMEM_EMAIL, SMS_BACKEND=LOCMEM_SMS):
            yield
    finally:
        celery_app.conf.task_always_eager = eager
        trace_logger.handlers, trace_logger.propagate = saved[0], saved[1]
        trace_logger.setLevel(saved[2])
        kombu_logger.setLevel(saved_kombu_level)


@dataclass
class Spec:
    """What one demo complaint will be: where it ends, when it arrived, what it is about."""

    target: str
    received_at: datetime
    scenario: d.Scenario
    customer: Customer
    product: d.DemoProduct | None
    channel: str
    severity: str
    solution: str
    order: Order | None = None
    repeat_of: "Spec | None" = None
    flags: set[str] = field(default_factory=set)


class Seeder:
    def __init__(self, *, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.clock = DemoClock(limit=now - timedelta(minutes=2))
        self.departments: dict[str, Department] = {}
        self.users: dict[str, object] = {}
        self.products: dict[str, Product] = {}
        self.customers: list[Customer] = []
        self.orders_created = 0
        self.stopped_early: list[str] = []

    # --- reference data ---------------------------------------------------------------
    def reference_data(self) -> None:
        ensure_roles()
        for code, name, kind in d.DEPARTMENTS:
            self.departments[code], _ = Department.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind}
            )
        user_model = get_user_model()
        for spec in d.DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=spec.username,
                defaults={"first_name": spec.name, "email": f"{spec.username}@aftersales.example",
                          "is_staff": spec.superuser, "is_superuser": spec.superuser},
            )
            if created:
                user.set_password(spec.password)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=spec.role))
            department = self.departments[spec.department] if spec.department else None
            StaffProfile.objects.update_or_create(user=user, defaults={"department": department})
            self.users[spec.username] = user
        for p in d.PRODUCTS:
            self.products[p.sku], _ = Product.objects.get_or_create(
                sku=p.sku,
                defaults={
                    "name": p.name, "category": p.category, "model_number": p.model_number,
                    "warranty_months": p.warranty_months,
                    "in_sanbao_catalogue": p.in_sanbao_catalogue,
                    "no_reason_return_excluded": p.no_reason_return_excluded,
                    "durable": p.durable,
                },
            )
        for title, body, kind in d.CANNED_RESPONSES:
            CannedResponse.objects.get_or_create(title=title, defaults={"body": body, "kind": kind})

    def make_customers(self, count: int) -> None:
        rng = random.Random(self.rng.random())  # nosec B311: reproducible demo data, not a secret
        phones: set[str] = set()
        for n in range(count):
            phone = f"138{rng.randrange(10**8):08d}"
            while phone in phones:
                phone = f"138{rng.randrange(10**8):08d}"
            phones.add(phone)
            name = rng.choice(d.SURNAMES) + rng.choice(d.GIVEN_NAMES)
            email = f"customer{n + 1:03d}@example.com" if rng.random() < 0.7 else ""
            customer = customer_find_or_create(name=name, phone=phone, email=email)
            if not customer.address:
                customer.address = rng.choice(d.ADDRESSES).format(n=rng.randint(1, 999))
                customer.username = f"user_{rng.randint(10000, 99999)}"
                customer.save(update_fields=["address", "username"])
            self.customers.append(customer)

    def make_order(self, customer: Customer, product: d.DemoProduct | None,
                   received_at: datetime) -> Order:
        """An order placed some days before the complaint, with the product on one line."""
        self.orders_created += 1
        placed = received_at - timedelta(days=self.rng.uniform(2, 40))
        order, created = Order.objects.get_or_create(
            number=f"SO{20260000 + Order.objects.count() + 1:08d}",
            defaults={
                "customer": customer,
                "sale_channel": SaleChannel.STORE if self.rng.random() < 0.1
                else SaleChannel.DISTANCE,
                "placed_at": placed,
                "signed_at": placed + timedelta(days=self.rng.uniform(1, 4)),
            },
        )
        if created:
            main = product or self.rng.choice(d.PRODUCTS)
            lines = [main]
            if self.rng.random() < 0.3:
                extra = self.rng.choice(d.PRODUCTS)
                if extra.sku != main.sku:
                    lines.append(extra)
            for p in lines:
                OrderLine.objects.create(
                    order=order, product=self.products[p.sku],
                    quantity=1 if p.big or self.rng.random() < 0.8 else 2, unit_price=p.price,
                )
        return order

    # --- planning ---------------------------------------------------------------------
    def plan(self, count: int) -> list[Spec]:
        rng = self.rng
        targets = TARGET_STATES[:]
        rng.shuffle(targets)
        names, weights = zip(*TARGET_WEIGHTS.items(), strict=True)
        targets += rng.choices(names, weights=weights, k=max(0, count - len(targets)))
        targets = targets[:count]
        scenario_weights = [s.weight for s in d.SCENARIOS]
        specs = []
        on_spot_scenarios = [s for s in d.SCENARIOS if s.on_spot]
        for target in targets:
            low, high = TARGET_AGE_DAYS[target]
            received_at = self.now - timedelta(days=rng.uniform(low, high))
            if target == "ON_SPOT_RESOLVED":
                scenario = rng.choice(on_spot_scenarios)
            else:
                scenario = rng.choices(d.SCENARIOS, weights=scenario_weights)[0]
            specs.append(self.spec_for(target, received_at, scenario))
        # Some customers come back about the same order within weeks (repeat complaints,
        # domain.md §9); the earlier complaint is written first, so its order exists.
        for spec in rng.sample(specs, k=len(specs) // 12):
            earlier = [
                s for s in specs
                if s.product is not None and s.repeat_of is None and s is not spec
                and timedelta(hours=12) < spec.received_at - s.received_at < timedelta(days=25)
            ]
            if not earlier:
                continue
            original = rng.choice(earlier)
            spec.customer = original.customer
            spec.product = original.product
            spec.repeat_of = original
        specs.sort(key=lambda s: s.received_at)
        return specs

    def spec_for(self, target: str, received_at: datetime, scenario: d.Scenario) -> Spec:
        rng = self.rng
        if scenario.big_only:
            product = rng.choice([p for p in d.PRODUCTS if p.big])
        elif scenario.needs_product or rng.random() < 0.5:
            product = rng.choice(d.PRODUCTS)
        else:
            product = None
        names, weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
        channel = rng.choices(names, weights=weights)[0]
        severity = rng.choice(scenario.severities)
        solution = rng.choice(scenario.solutions)
        flags: set[str] = set()
        if target == "ON_SPOT_RESOLVED" or (
            target in ("RESOLVED", "RETURN_VISIT", "CLOSED") and scenario.on_spot
            and rng.random() < 0.25
        ):
            flags.add("on_spot")
            channel = rng.choice(ON_SPOT_CHANNELS)
        if channel == Channel.REGULATOR and severity not in APPROVAL_SEVERITIES:
            severity = "S3"
        if target == "PLAN_APPROVAL" and severity not in APPROVAL_SEVERITIES:
            severity = rng.choice(["S2", "S3"])
        if target == "AWAIT_CUSTOMER" and solution not in CONFIRMATION_SOLUTIONS:
            solution = rng.choice(sorted(CONFIRMATION_SOLUTIONS))
        if (target in ("RESOLVED", "RETURN_VISIT", "CLOSED") and scenario.not_liable
                and "on_spot" not in flags and rng.random() < 0.25):
            flags.add("not_liable")
        if severity in APPROVAL_SEVERITIES and rng.random() < 0.15:
            flags.add("plan_returned")
        if solution in CONFIRMATION_SOLUTIONS and rng.random() < 0.15:
            flags.add("customer_declined")
        if target == "CLOSED" and rng.random() < 0.12:
            flags.add("reopen_cycle")
        if target == "REOPENED":
            flags.add(rng.choice(["reopen_feedback", "reopen_resolved", "reopen_closed"]))
        if rng.random() < 0.12:
            flags.add("escalate")
        if rng.random() < 0.3:
            flags.add("note")
        customer = rng.choice(self.customers)
        return Spec(target, received_at, scenario, customer, product, channel, severity,
                    solution, flags=flags)

    # --- writing ----------------------------------------------------------------------
    def run(self, count: int, customers: int) -> Counter:
        self.reference_data()
        self.make_customers(customers)
        specs = self.plan(count)
        states: Counter = Counter()
        with self.clock.installed():
            for spec in specs:
                complaint = self.write(spec)
                states[complaint.state] += 1
        return states

    def pace_for(self, spec: Spec) -> float:
        steps = STEPS_TO[spec.target]
        longest = sum(STEP_HOURS[s][1] for s in steps) or 1.0
        budget = (self.clock.limit - spec.received_at).total_seconds() / 3600
        return max(0.01, min(1.0, budget / longest))

    def write(self, spec: Spec):
        from complaints.models import Complaint

        self.clock.start(spec.received_at, self.pace_for(spec))
        complaint = self.register(spec)
        try:
            complaint = self.drive(complaint, spec)
            complaint = self.extras(complaint, spec)
        except DomainError as exc:
            current = Complaint.objects.get(pk=complaint.pk)
            self.stopped_early.append(
                f"{current.number}: stopped in {current.state} on the way to {spec.target} "
                f"({exc.message})"
            )
            return current
        return Complaint.objects.get(pk=complaint.pk)

    def text_values(self, spec: Spec) -> dict:
        rng = self.rng
        product = spec.product
        price = product.price if product else Decimal("199.00")
        return {
            "product": product.name if product else "商品",
            "model": product.model_number if product else "",
            "fault": rng.choice(product.faults) if product else "无法正常使用",
            "extra": rng.choice(spec.scenario.extras),
            "days": rng.randint(2, 12),
            "order": spec.order.number if spec.order else "",
            "city": rng.choice(d.CITIES),
            "amount": rng.choice([20, 30, 50, 80, 100, 150, 200]),
            "price": price,
            "higher": price + rng.choice([20, 50, 100]),
        }

    def register(self, spec: Spec):
        from complaints.services import ComplaintIntake, complaint_register

        rng = self.rng
        customer = spec.customer
        if spec.product is not None or rng.random() < 0.6:
            if spec.repeat_of is not None and spec.repeat_of.order is not None:
                spec.order = spec.repeat_of.order
            else:
                spec.order = self.make_order(customer, spec.product, spec.received_at)
        values = self.text_values(spec)
        description = rng.choice(spec.scenario.texts).format(**values).strip()
        self_service = spec.channel in SELF_SERVICE_CHANNELS
        intake = ComplaintIntake(
            name=customer.name,
            phone=customer.phone,
            email=customer.email,
            customer=customer,
            order_number=spec.order.number if spec.order else "",
            product=self.products[spec.product.sku] if spec.product else None,
            product_text=spec.product.name if spec.product else "",
            category_hint=spec.scenario.category if self_service or rng.random() < 0.5 else "",
            request_type=spec.scenario.request_type,
            description=description,
            customer_request=rng.choice(spec.scenario.requests),
            purchase_date=timezone.localdate(spec.order.placed_at) if spec.order else None,
            channel=spec.channel,
            received_at=spec.received_at,
            regulator_case_number=(
                f"12315-{rng.randint(10**9, 10**10 - 1)}"
                if spec.channel == Channel.REGULATOR else ""
            ),
        )
        actor = None if self_service else self.users["agent"]
        return complaint_register(intake=intake, actor=actor)

    def handler_for(self, department_code: str):
        by_department = {"QA": "handler", "WH": "warehouse", "LOGI": "logistics",
                         "FIELD": "field", "ASD": "supervisor"}
        return self.users[by_department.get(department_code, "supervisor")]

    def drive(self, c, spec: Spec):
        """Take a registered complaint to its target state through the services."""
        from complaints import services as s

        rng, clock, target = self.rng, self.clock, spec.target
        agent, supervisor = self.users["agent"], self.users["supervisor"]
        if target == "REGISTERED":
            return c
        if target == "NOT_ACCEPTED":
            clock.advance(rng, "reject")
            reason, reply = rng.choice(d.REJECTIONS)
            return s.complaint_reject(complaint_pk=c.pk, version=c.version, actor=supervisor,
                                      reason=reason, reply=reply)
        clock.advance(rng, "accept")
        c = s.complaint_accept(
            complaint_pk=c.pk, version=c.version, actor=agent,
            checklist={"check_identity": True, "check_order": True, "check_facts": True,
                       "check_remit": True},
        )
        if target == "ACCEPTED":
            return c
        if "on_spot" in spec.flags:
            clock.advance(rng, "on_spot")
            c = s.complaint_resolve_on_spot(
                complaint_pk=c.pk, version=c.version, actor=agent,
                solution=spec.scenario.on_spot.format(**self.text_values(spec)),
                customer_confirmed=True,
            )
            if target == "ON_SPOT_RESOLVED":
                return c
            clock.advance(rng, "reply")
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                                  text="您好，问题已当场为您处理完毕，感谢您的理解与支持。",
                                  outcome="SOLVED")
            return self.after_reply(c, spec)

        department = self.departments[spec.scenario.department]
        handler = self.handler_for(spec.scenario.department)
        clock.advance(rng, "classify")
        c = s.complaint_classify(
            complaint_pk=c.pk, version=c.version, actor=agent,
            category=spec.scenario.category, subcategory=spec.scenario.subcategory,
            severity=spec.severity, department=department,
            assignee=handler if rng.random() < 0.85 else None,
        )
        if target == "CLASSIFIED":
            return c
        clock.advance(rng, "start")
        expected = clock.now() + timedelta(days=rng.randint(2, 7))
        c = s.complaint_start_handling(
            complaint_pk=c.pk, version=c.version, actor=handler,
            acknowledgement=rng.choice(d.ACKNOWLEDGEMENTS).format(
                department=department.name,
                date=timezone.localtime(expected).strftime("%m月%d日")),
            expected_by=expected,
        )
        if target == "ANALYSING":
            return c
        if "not_liable" in spec.flags:
            clock.advance(rng, "reply")
            text = spec.scenario.not_liable.format(**self.text_values(spec))
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent, text=text,
                                  outcome="NOT_LIABLE")
            return self.after_reply(c, spec)

        c = self.submit_plan(c, spec, handler, department)
        if target == "PLAN_APPROVAL":
            return c
        c = self.approve_if_needed(c, spec, handler, department)
        if target == "IN_PROGRESS":
            return c
        if spec.solution in CONFIRMATION_SOLUTIONS:
            c = self.confirm_with_customer(c, spec, handler, department)
            if target == "AWAIT_CUSTOMER":
                return c
        clock.advance(rng, "reply")
        c = s.complaint_reply(
            complaint_pk=c.pk, version=c.version, actor=agent,
            text=rng.choice(d.REPLIES).format(measures=c.current_plan.measures),
            outcome="PARTIAL" if rng.random() < 0.1 else "SOLVED",
        )
        return self.after_reply(c, spec)

    def submit_plan(self, c, spec: Spec, handler, department):
        from complaints import services as s

        rng = self.rng
        self.clock.advance(rng, "plan")
        amount = Decimal(rng.choice([30, 50, 80, 100, 200, 300, 500]))
        measures = d.MEASURES[spec.solution].format(department=department.name, amount=amount)
        compensation = amount if spec.solution == "COMPENSATION" else Decimal("0.00")
        plan = s.PlanInput(
            cause=spec.scenario.cause,
            nature=rng.choice(spec.scenario.nature) if spec.scenario.nature else "",
            liability=spec.scenario.liability,
            responsible_department=department,
            responsible_person=handler,
            solution_type=spec.solution,
            measures=measures,
            compensation_amount=compensation,
            deadline=self.clock.now() + timedelta(days=rng.randint(2, 10)),
        )
        return s.complaint_submit_plan(complaint_pk=c.pk, version=c.version, actor=handler,
                                       plan=plan)

    def approver_for(self, handler):
        # The person held responsible may not approve their own plan.
        supervisor = self.users["supervisor"]
        return self.users["admin"] if handler.pk == supervisor.pk else supervisor

    def approve_if_needed(self, c, spec: Spec, handler, department):
        from complaints import services as s

        if c.state != "PLAN_APPROVAL":
            return c
        approver = self.approver_for(handler)
        if "plan_returned" in spec.flags:
            spec.flags.discard("plan_returned")
            self.clock.advance(self.rng, "decide")
            c = s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=approver,
                                        approve=False, comment=self.rng.choice(d.PLAN_RETURNS))
            c = self.submit_plan(c, spec, handler, department)
        self.clock.advance(self.rng, "decide")
        return s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=approver,
                                       approve=True, comment="同意，请按期执行。")

    def confirm_with_customer(self, c, spec: Spec, handler, department):
        from complaints import services as s

        rng, agent = self.rng, self.users["agent"]
        message = f"您好，我们拟定的处理方案是：{c.current_plan.measures}请确认是否同意。"
        self.clock.advance(rng, "confirm")
        c = s.complaint_request_confirmation(complaint_pk=c.pk, version=c.version, actor=agent,
                                             message=message)
        if spec.target == "AWAIT_CUSTOMER":
            return c
        if "customer_declined" in spec.flags:
            self.clock.advance(rng, "customer")
            c = s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=False,
                                            comment=rng.choice(d.DECLINES))
            spec.solution = rng.choice(["RETURN_REFUND", "EXCHANGE", "COMPENSATION"])
            c = self.submit_plan(c, spec, handler, department)
            c = self.approve_if_needed(c, spec, handler, department)
            self.clock.advance(rng, "confirm")
            c = s.complaint_request_confirmation(
                complaint_pk=c.pk, version=c.version, actor=agent,
                message=f"您好，方案已调整为：{c.current_plan.measures}请确认是否同意。",
            )
        self.clock.advance(rng, "customer")
        return s.complaint_customer_decide(complaint_pk=c.pk, **self.proposal(c), agree=True)

    @staticmethod
    def proposal(c) -> dict:
        """The plan the customer was sent: their answer names it, as the tracking page does."""
        return {"plan_pk": c.current_plan_id, "plan_version": c.current_plan.version}

    def feedback(self, c, *, satisfied: bool):
        from complaints import services as s

        rng = self.rng
        self.clock.advance(rng, "feedback")
        online = rng.random() < 0.5
        if satisfied:
            rating = rng.choice([5, 5, 5, 4, 4, 3])
            comment = rng.choice(d.SATISFIED_COMMENTS)
        else:
            rating = rng.choice([1, 2, 2, 3])
            comment = rng.choice(d.DISSATISFIED_COMMENTS)
        return s.complaint_record_feedback(
            complaint_pk=c.pk, actor=None if online else self.users["agent"],
            satisfied=satisfied, rating=rating, comment=comment,
            method="ONLINE" if online else "PHONE",
            ratings={"rating_attitude": min(5, rating + rng.choice([0, 0, 1])),
                     "rating_timeliness": max(1, rating - rng.choice([0, 0, 1])),
                     "rating_result": rating},
        )

    def after_reply(self, c, spec: Spec):
        from complaints import services as s

        rng, clock, target = self.rng, self.clock, spec.target
        agent, supervisor = self.users["agent"], self.users["supervisor"]
        if target == "RESOLVED":
            return c
        if target == "REOPENED":
            if "reopen_resolved" in spec.flags:
                clock.advance(rng, "reopen")
                return s.complaint_reopen(complaint_pk=c.pk, version=c.version, actor=agent,
                                          reason=rng.choice(d.REOPEN_REASONS))
            if "reopen_closed" in spec.flags:
                c = self.feedback(c, satisfied=True)
                clock.advance(rng, "archive")
                c = s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent)
                clock.advance(rng, "reopen")
                return s.complaint_reopen(complaint_pk=c.pk, version=c.version,
                                          actor=supervisor, reason=rng.choice(d.REOPEN_REASONS))
            return self.feedback(c, satisfied=False)
        if "reopen_cycle" in spec.flags:
            c = self.feedback(c, satisfied=False)
            clock.advance(rng, "resume")
            c = s.complaint_resume(complaint_pk=c.pk, version=c.version, actor=agent,
                                   note="已再次安排处理。")
            clock.advance(rng, "reply")
            c = s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=agent,
                                  text="您好，问题已重新处理完毕，再次向您致歉。", outcome="SOLVED")
        c = self.feedback(c, satisfied=True)
        if target == "RETURN_VISIT":
            return c
        clock.advance(rng, "archive")
        return s.complaint_archive(complaint_pk=c.pk, version=c.version, actor=agent,
                                   note="回访满意，归档。")

    def extras(self, c, spec: Spec):
        """Escalations and notes on cases that are still open."""
        from complaints import services as s
        from complaints.choices import ESCALATABLE_STATES
        from complaints.models import Complaint

        rng = self.rng
        if "escalate" in spec.flags and c.state in ESCALATABLE_STATES:
            self.clock.advance(rng, "escalate")
            c = s.complaint_escalate(complaint_pk=c.pk, version=c.version,
                                     actor=self.users["agent"], reason=rng.choice(d.ESCALATIONS))
        if "note" in spec.flags and not c.is_read_only:
            self.clock.advance(rng, "note")
            internal = rng.random() < 0.6
            author = (self.handler_for(spec.scenario.department) if internal and c.department_id
                      else self.users["agent"])
            ticket_add_note(
                ticket_model=Complaint, ticket_pk=c.pk, actor=author,
                text=rng.choice(d.INTERNAL_NOTES if internal else d.CUSTOMER_MESSAGES),
                customer_visible=not internal,
            )
        return c


class Command(BaseCommand):
    help = (
        "Load demo data (departments, staff logins, products, customers, orders, canned "
        "responses and complaints in every state). Does nothing when demo data exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=DEFAULT_COMPLAINTS,
                            help=f"how many complaints to create (default {DEFAULT_COMPLAINTS})")
        parser.add_argument("--customers", type=int, default=None,
                            help="how many customers (default: complaints + 20)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help="random seed; the same seed gives the same data")
        parser.add_argument("--force", action="store_true",
                            help="add a batch of complaints even when demo data exist")
        parser.add_argument("--logins", action="store_true",
                            help="only print the demo logins")

    def handle(self, *args, complaints: int, customers: int | None, seed: int, force: bool,
               logins: bool, **options):
        if logins:
            self.print_logins()
            return
        if complaints < 0:
            raise CommandError("--complaints must not be negative")
        if demo_present() and not force:
            from complaints.models import Complaint

            self.stdout.write(
                f"Demo data already present ({Complaint.objects.count()} complaints); nothing "
                "added. Use --force to add another batch."
            )
            return
        started = time.monotonic()
        seeder = Seeder(rng=random.Random(seed), now=timezone.now())  # nosec B311: reproducible demo data, not a secret
        customers = customers or complaints + 20
        task_log = TaskLog()
        # The transaction commits, and the notifications scheduled on it run, inside the
        # quiet block.
        with quiet_side_effects(task_log), transaction.atomic():
            states = seeder.run(complaints, customers)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded in {elapsed:.1f}s: {len(d.DEPARTMENTS)} departments, "
            f"{len(d.DEMO_USERS)} staff logins, {len(d.PRODUCTS)} products, "
            f"{len(seeder.customers)} customers, {seeder.orders_created} orders, "
            f"{len(d.CANNED_RESPONSES)} canned responses, {sum(states.values())} complaints."
        ))
        for state in TARGET_STATES:
            self.stdout.write(f"  {state:<18} {states.get(state, 0):>4}")
        for line in seeder.stopped_early:
            self.stderr.write(f"  note: {line}")
        if task_log.failures:
            self.stderr.write(
                f"  warning: {len(task_log.failures)} notification task(s) failed while seeding, "
                f"first: {task_log.failures[0]}"
            )
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write("\nDemo logins:")
        self.stdout.write(f"  {'username':<12} {'password':<17} {'role':<17} department")
        for u in d.DEMO_USERS:
            role = f"{u.role}+superuser" if u.superuser else u.role
            department = u.department or "-"
            self.stdout.write(f"  {u.username:<12} {u.password:<17} {role:<17} {department}")
