"""Offered = accepted: in every state of both lifecycles, each person is offered exactly
the actions the services then accept from them, and nothing else."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from aftersales.core.exceptions import DomainError
from aftersales.fieldservice import services as s
from aftersales.fieldservice.actions import ACTIONS, is_offered
from aftersales.fieldservice.choices import FaultType, ServiceMode
from aftersales.fieldservice.models import InstallationJob, RepairJob

from .conftest import tomorrow_at

pytestmark = pytest.mark.django_db
ROLES = ("agent", "supervisor", "dispatcher", "tech", "tech2", "other_handler")


class Rollback(Exception):
    pass


def _data(name: str, job) -> dict:
    start = tomorrow_at(16, days=3)
    return {
        "triage": {"fault_type": FaultType.PERFORMANCE, "genuine": True,
                   "service_mode": job.service_mode, "note": ""},
        "prepare": {"note": ""},
        "quote": {"parts_amount": Decimal("10"), "labour_amount": Decimal("10"), "note": "x"},
        "offer_slots": {"_slots": [(start, start + timedelta(hours=2))]},
        "schedule": {"start": start, "end": start + timedelta(hours=2)},
        "receive_inbound": {"carrier": "SF", "tracking": "SF9"},
        "ship_back": {"carrier": "SF", "tracking": "SF9"},
        "record_work": {"cause": "fixed", "_parts": [], "files": []},
        "spawn_return": {"request_type": "EXCHANGE", "reason": "table C"},
        "cancel": {"reason": "duplicate"},
    }.get(name, {"note": ""}) | {"version": job.version}


def _accepted(action, job, user) -> bool:
    if job.kind not in action.kinds:
        return False  # the page answers 404 for another kind's action
    try:
        with transaction.atomic():
            action.run(job, _data(action.name, job), user)
            raise Rollback
    except Rollback:
        return True
    except DomainError:
        return False


@pytest.fixture
def jobs(repair_in, report, agent, dispatcher, tech, line, field_dept):
    from tests.factories import make_staff

    built = {state: repair_in(state, technician=tech, hour=8 + n % 4 * 3, days=1 + n // 4)
             for n, state in enumerate(["REPORTED", "TRIAGED", "SCHEDULED", "DISPATCHED",
                                        "IN_SERVICE", "ACCEPTANCE", "ACCEPTED",
                                        "RECORD_FILED", "RETURN_VISIT", "CLOSED"])}
    built["AWAIT_QUOTE"] = repair_in("AWAIT_QUOTE", technician=tech, paid=True)
    centre = make_staff("centre", "technician", field_dept)
    mail = report(line, service_mode=ServiceMode.MAIL_IN)
    s.job_triage(job_pk=mail.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.MAIL_IN)
    s.job_await_inbound(job_pk=mail.pk, actor=agent)
    built["AWAIT_INBOUND"] = RepairJob.objects.get(pk=mail.pk)
    mail_triaged = report(line, service_mode=ServiceMode.MAIL_IN)
    s.job_triage(job_pk=mail_triaged.pk, actor=agent, fault_type=FaultType.PERFORMANCE,
                 genuine=True, service_mode=ServiceMode.MAIL_IN)
    built["MAIL TRIAGED"] = RepairJob.objects.get(pk=mail_triaged.pk)
    paid = report(line)
    s.job_triage(job_pk=paid.pk, actor=agent, fault_type=FaultType.HUMAN_DAMAGE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)
    built["TRIAGED PAID"] = RepairJob.objects.get(pk=paid.pk)
    mail2 = report(line, service_mode=ServiceMode.MAIL_IN)
    s.job_triage(job_pk=mail2.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.MAIL_IN)
    s.job_await_inbound(job_pk=mail2.pk, actor=agent)
    s.job_receive_inbound(job_pk=mail2.pk, actor=centre, carrier="SF", tracking="1")
    s.job_record_work(job_pk=mail2.pk, kind="REPAIR", actor=centre, cause="battery")
    built["MAIL IN_SERVICE"] = RepairJob.objects.get(pk=mail2.pk)
    install = s.installation_book(intake=s.JobIntake(name="李雷", phone="13900002222",
                                                     order_line=line, region="上海"),
                                  actor=agent)
    built["REQUESTED"] = InstallationJob.objects.get(pk=install.pk)
    install2 = s.installation_book(intake=s.JobIntake(name="李雷", phone="13900002222",
                                                      order_line=line, region="上海"),
                                   actor=agent)
    s.job_prepare(job_pk=install2.pk, actor=agent)
    built["PREPARED"] = InstallationJob.objects.get(pk=install2.pk)
    return built


def test_every_action_offered_is_accepted_and_none_other(jobs, users, dispatcher, tech, tech2,
                                                         fake_returns):
    people = {**users, "dispatcher": dispatcher, "tech": tech.user, "tech2": tech2.user}
    mismatches = []
    offered_somewhere = set()
    for label, job in jobs.items():
        model = type(job)
        for role in ROLES:
            user = people[role]
            for action in ACTIONS.values():
                fresh = model.objects.get(pk=job.pk)
                offered = is_offered(action, fresh, user)
                accepted = _accepted(action, fresh, user)
                if offered:
                    offered_somewhere.add(action.name)
                if offered != accepted:
                    mismatches.append((label, role, action.name, offered, accepted))
    assert mismatches == []
    assert {"triage", "quote", "schedule", "cancel", "file_record", "close", "prepare",
            "spawn_return", "await_inbound", "receive_inbound", "record_work",
            "ship_back", "offer_slots", "unassign", "wait_for_parts"} <= offered_somewhere
