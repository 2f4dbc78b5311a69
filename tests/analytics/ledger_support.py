"""Ledger test data: complaints made directly, so dates, ties and facts are exactly as needed.

The lifecycle services are exercised elsewhere; the ledger only reads what they store.
"""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from aftersales.models import FollowUp
from complaints.models import Complaint, HandlingPlan
from tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 3, 1, 12, 0, tzinfo=SHANGHAI)
_serial = itertools.count(1)


def make_complaint(**fields) -> Complaint:
    """A complaint row; by default received one hour before the previous one."""
    n = next(_serial)
    customer = fields.pop("customer", None)
    if customer is None:
        customer = CustomerFactory(name=f"客户{n}", contact__phone=f"137{n:08d}")
    values = {
        "number": f"CP-20260301-{n:05d}", "kind": "COMPLAINT", "channel": "HOTLINE",
        "customer": customer, "received_at": BASE - timedelta(hours=n),
        "description": "The kettle stopped heating.", "state": "REGISTERED",
    }
    values.update(fields)
    return Complaint.objects.create(**values)


def add_plan(complaint: Complaint, *, department, person=None, solution="REPAIR",
             compensation=Decimal("0.00")) -> HandlingPlan:
    plan = HandlingPlan.objects.create(
        complaint=complaint, cause="QUALITY_DEFECT", liability="COMPANY",
        responsible_department=department, responsible_person=person,
        solution_type=solution, measures="Replace the element.",
        compensation_amount=compensation, deadline=BASE + timedelta(days=3),
        status="NOT_NEEDED", customer_decision="NOT_NEEDED", submitted_at=BASE,
    )
    Complaint.objects.filter(pk=complaint.pk).update(current_plan=plan)
    return plan


def add_rating(complaint: Complaint, rating: int | None) -> FollowUp:
    return FollowUp.objects.create(ticket=complaint, status="ANSWERED", due_at=BASE,
                                   answered_at=BASE, rating=rating, problem_solved=True)
