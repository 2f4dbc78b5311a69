"""Demo data shared by every kind of case, and the machinery to write case histories.

Each kind of case seeds its own cases through its registration (``CaseKind.demo``); the
kernel's ``seed_demo`` command writes the reference data first, then asks every kind.
"""

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test.utils import override_settings
from django.utils import timezone

from aftersales.cases.models import CannedResponse
from aftersales.catalog.models import Order, OrderLine, Product
from aftersales.core.choices import SaleChannel
from aftersales.management import demo_data as d
from aftersales.people.models import Customer, Department, StaffProfile
from aftersales.people.roles import ensure_roles
from aftersales.people.services import customer_find_or_create

LOCMEM_EMAIL = "django.core.mail.backends.locmem.EmailBackend"
LOCMEM_SMS = "aftersales.notifications.sms.LocmemSmsBackend"


class DemoClock:
    """The time the services see while one case's history is written."""

    def __init__(self, limit: datetime, step_hours: dict[str, tuple[float, float]]):
        self.limit = limit
        self.step_hours = step_hours
        self.current = limit
        self.pace = 1.0

    def now(self) -> datetime:
        return self.current

    def start(self, at: datetime, pace: float) -> None:
        self.current = min(at, self.limit)
        self.pace = pace

    def advance(self, rng: random.Random, step: str) -> None:
        low, high = self.step_hours[step]
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


class DemoWorld:
    """Reference data every kind of demo case uses: departments, logins, products, people."""

    def __init__(self, *, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.limit = now - timedelta(minutes=2)
        self.departments: dict[str, Department] = {}
        self.users: dict[str, object] = {}
        self.products: dict[str, Product] = {}
        self.customers: list[Customer] = []
        self.orders_created = 0
        self.stopped_early: list[str] = []
        self.summary: list[str] = []

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
