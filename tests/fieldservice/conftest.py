"""Field-service fixtures: the installation and repair department, its dispatcher and
technicians, a parts list, and jobs built through the real services."""

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.cases.kinds import find_kind, get_kind, register_kind, unregister_kind
from aftersales.cases.models import Ticket
from aftersales.core.choices import DepartmentKind
from aftersales.fieldservice import services as s
from aftersales.fieldservice.choices import FaultType, ServiceMode
from aftersales.fieldservice.models import Part, RepairJob, Technician
from aftersales.fieldservice.roles import DISPATCHER, TECHNICIAN
from tests.factories import DepartmentFactory, OrderLineFactory, make_staff

from .helpers import signature


@pytest.fixture
def field_dept(db):
    return DepartmentFactory(code="field", name="Field service", kind=DepartmentKind.FIELD_SERVICE)


@pytest.fixture
def dispatcher(field_dept):
    return make_staff("dispatch1", DISPATCHER, field_dept)


def _technician(username: str, dept, region: str = "上海", skills=("Big appliances",)):
    user = make_staff(username, TECHNICIAN, dept, first_name=username.title())
    return Technician.objects.create(user=user, region=region, skills=list(skills))


@pytest.fixture
def tech(field_dept):
    return _technician("tech1", field_dept)


@pytest.fixture
def tech2(field_dept):
    return _technician("tech2", field_dept)


@pytest.fixture
def make_technician(field_dept):
    def make(username: str, **options):
        return _technician(username, field_dept, **options)
    return make


@pytest.fixture
def parts(db):
    return [Part.objects.create(code="P-1", name="Heating element", price=Decimal("85.00")),
            Part.objects.create(code="P-2", name="Door seal", price=Decimal("45.00"))]


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def line(db):
    """A big appliance signed for 40 days ago, in the 三包 catalogue (12 months)."""
    return OrderLineFactory(
        product__category="Big appliances", product__in_sanbao_catalogue=True,
        product__installable=True, order__signed_at=timezone.now() - timedelta(days=40),
        serial_number="SN-0001")


@pytest.fixture
def report(agent, field_dept):
    def make(line=None, **overrides):
        data = {"name": "王芳", "phone": "13900001111", "description": "Does not cool.",
                "address": "上海市浦东新区张杨路100弄5号", "address_area": "浦东新区",
                "region": "上海", "order_line": line,
                "serial_number": line.serial_number if line else "SN-X"}
        data.update(overrides)
        return s.job_report(intake=s.JobIntake(**data), actor=agent)
    return make


@pytest.fixture
def repair_in(report, agent, dispatcher, line):
    """A repair job of ``line`` taken to a state of its lifecycle through the services."""
    def make(state: str, *, technician, paid: bool = False, hour: int = 10, days: int = 1,
             job_line=None):
        job = report(job_line or line)
        if state == "REPORTED":
            return RepairJob.objects.get(pk=job.pk)
        s.job_triage(job_pk=job.pk, actor=agent, genuine=True, service_mode=ServiceMode.ON_SITE,
                     fault_type=FaultType.HUMAN_DAMAGE if paid else FaultType.PERFORMANCE)
        if paid:
            quote = s.job_quote(job_pk=job.pk, actor=agent, parts_amount=Decimal("100.00"),
                                labour_amount=Decimal("50.00"), note="Board")
            if state == "AWAIT_QUOTE":
                return RepairJob.objects.get(pk=job.pk)
            s.job_customer_decide_quote(job_pk=job.pk, quote_pk=quote.pk, accept=True)
        if state == "TRIAGED":
            return RepairJob.objects.get(pk=job.pk)
        start = tomorrow_at(hour, days=days)
        if state == "SCHEDULED":
            s.job_schedule(job_pk=job.pk, kind=job.kind, actor=agent, start=start,
                           end=start + timedelta(hours=2))
            return RepairJob.objects.get(pk=job.pk)
        s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher,
                       technician_pk=technician.pk, start=start,
                       end=start + timedelta(hours=2))
        if state == "DISPATCHED":
            return RepairJob.objects.get(pk=job.pk)
        user = technician.user
        s.job_check_in(job_pk=job.pk, kind=job.kind, actor=user, at=start)
        if state == "IN_SERVICE":
            return RepairJob.objects.get(pk=job.pk)
        s.job_record_work(job_pk=job.pk, kind=job.kind, actor=user, cause="Replaced the board")
        s.job_complete(job_pk=job.pk, kind=job.kind, actor=user)
        if state == "ACCEPTANCE":
            return RepairJob.objects.get(pk=job.pk)
        s.job_accept(job_pk=job.pk, kind=job.kind, actor=user, customer_name="王芳",
                     customer_signature=signature())
        if state == "ACCEPTED":
            return RepairJob.objects.get(pk=job.pk)
        s.job_file_record(job_pk=job.pk, kind=job.kind, actor=agent)
        if state == "RECORD_FILED":
            return RepairJob.objects.get(pk=job.pk)
        s.job_record_feedback(ticket_pk=job.pk, satisfied=True, rating=5)
        if state == "RETURN_VISIT":
            return RepairJob.objects.get(pk=job.pk)
        s.job_close(job_pk=job.pk, kind=job.kind, actor=agent)
        return RepairJob.objects.get(pk=job.pk)
    return make


@pytest.fixture
def fake_returns():
    """A stand-in RETURN kind whose spawn handler records what it was asked for."""
    calls = []
    previous = find_kind("RETURN")
    complaint_kind = get_kind("COMPLAINT")

    def spawn(*, origin, actor, reason, **details):
        calls.append({"origin": origin.pk, "reason": reason, **details})
        return Ticket.objects.create(
            number=f"RT-20990101-{len(calls):04d}", kind="RETURN", channel="HOTLINE",
            customer=origin.customer, origin=origin, received_at=timezone.now())

    prefix = previous.prefix if previous is not None else "RT"
    register_kind(replace(complaint_kind, code="RETURN", prefix=prefix, spawn=spawn,
                          portal_entry=None, demo=None))
    yield calls
    unregister_kind("RETURN")
    if previous is not None:
        register_kind(previous)
