"""The SLA sweep: exactly one event per change, idempotent, catches up, escalates S1."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from aftersales.core.choices import SlaStatus
from aftersales.models import Notification, Ticket, TimelineEvent
from aftersales.notifications.tasks import deliver_notifications, notify_staff
from aftersales.sla.clocks import ACTION_AT_RISK, ACTION_BREACHED, ACTION_ESCALATED
from aftersales.sla.sweep import sla_sweep
from complaints import services as s
from tests.factories import intake

from .conftest import complaint_to_await_customer, local

pytestmark = pytest.mark.django_db

CHECKS = {"check_identity": True, "check_order": True, "check_facts": True, "check_remit": True}
MONDAY = local(2026, 3, 9, 10, 0)


def classified(*, agent, handler, dept, severity="S4", phone="13812345678"):
    """A complaint classified and assigned: its resolution clock runs from now."""
    c = s.complaint_register(intake=intake(phone=phone), actor=None)
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent, checklist=CHECKS)
    return s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent,
                                category="QUAL", subcategory="FUNC", severity=severity,
                                department=dept, assignee=handler)


def events(ticket, action):
    return TimelineEvent.objects.filter(ticket_id=ticket.pk, action=action)


def test_at_risk_then_breached_each_recorded_once(agent, handler, supervisor, quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        case = classified(agent=agent, handler=handler, dept=quality_dept)
    ticket = Ticket.objects.get(pk=case.pk)
    assert ticket.sla_due_at == local(2026, 3, 16, 10, 0)

    with time_machine.travel(ticket.sla_warn_at + timedelta(minutes=1), tick=False):
        first = sla_sweep()
        again = sla_sweep()
    assert first.at_risk == [case.pk] and not first.breached
    assert not again.at_risk and not again.breached
    assert events(case, ACTION_AT_RISK).count() == 1
    assert Ticket.objects.get(pk=case.pk).sla_status == SlaStatus.AT_RISK
    assert list(Notification.objects.filter(event=ACTION_AT_RISK)
                .values_list("recipient__username", flat=True)) == ["handler1"]

    with time_machine.travel(ticket.sla_due_at + timedelta(minutes=1), tick=False):
        first = sla_sweep()
        again = sla_sweep()
    assert first.breached == [case.pk] and not again.breached
    assert events(case, ACTION_BREACHED).count() == 1
    assert events(case, ACTION_AT_RISK).count() == 1
    assert Ticket.objects.get(pk=case.pk).sla_status == SlaStatus.BREACHED
    # On breach the supervisor is told as well (escalation).
    assert sorted(Notification.objects.filter(event=ACTION_BREACHED)
                  .values_list("recipient__username", flat=True)) == ["handler1", "super1"]
    breach = events(case, ACTION_BREACHED).get()
    assert breach.data["clock"] == "resolution" and breach.actor_kind == "system"


def test_catch_up_after_downtime_records_every_breach_once(agent, handler, supervisor,
                                                           quality_dept):
    cases = []
    for day in range(4):
        with time_machine.travel(MONDAY + timedelta(days=day), tick=False):
            cases.append(classified(agent=agent, handler=handler, dept=quality_dept,
                                    phone=f"1390000000{day}"))
    # The worker was down for a month: every case passed its warning and its due time.
    with time_machine.travel(MONDAY + timedelta(days=40), tick=False):
        result = sla_sweep()
        again = sla_sweep()
    assert sorted(result.breached) == sorted(c.pk for c in cases)
    assert not result.at_risk and not again.breached and not again.at_risk
    for case in cases:
        assert events(case, ACTION_BREACHED).count() == 1
        # The warning is moot once the deadline has passed: not recorded afterwards.
        assert events(case, ACTION_AT_RISK).count() == 0


def test_sweep_in_small_batches_catches_up_completely(agent, handler, supervisor,
                                                      quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        cases = [classified(agent=agent, handler=handler, dept=quality_dept,
                            phone=f"1370000000{i}") for i in range(5)]
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        result = sla_sweep(batch=2)
    assert sorted(result.breached) == sorted(c.pk for c in cases)
    assert TimelineEvent.objects.filter(action=ACTION_BREACHED).count() == 5


def test_breached_critical_complaint_escalates_further(agent, handler, supervisor, admin_user,
                                                       quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        critical = classified(agent=agent, handler=handler, dept=quality_dept, severity="S1")
        general = classified(agent=agent, handler=handler, dept=quality_dept, severity="S2",
                             phone="13911112222")
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        result = sla_sweep()
        sla_sweep()
    assert sorted(result.breached) == sorted([critical.pk, general.pk])
    assert result.escalated == [critical.pk]
    critical = Ticket.objects.get(pk=critical.pk)
    assert critical.escalation_level == 1 and critical.escalated_at is not None
    assert Ticket.objects.get(pk=general.pk).escalation_level == 0
    escalation = events(critical, ACTION_ESCALATED).get()
    assert escalation.data["level"] == 1
    assert sorted(Notification.objects.filter(event=ACTION_ESCALATED)
                  .values_list("recipient__username", flat=True)) == ["admin1", "super1"]


def test_paused_and_stopped_clocks_are_not_swept(agent, handler, supervisor, quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        waiting = complaint_to_await_customer(agent=agent, handler=handler,
                                              quality_dept=quality_dept)
    with time_machine.travel(MONDAY + timedelta(days=30), tick=False):
        result = sla_sweep()
    assert waiting.pk not in result.breached
    assert Ticket.objects.get(pk=waiting.pk).sla_status == SlaStatus.PAUSED


def test_unassigned_case_at_risk_alerts_the_supervisors(supervisor):
    with time_machine.travel(MONDAY, tick=False):
        case = s.complaint_register(intake=intake(), actor=None)
    ticket = Ticket.objects.get(pk=case.pk)
    with time_machine.travel(ticket.sla_warn_at + timedelta(seconds=1), tick=False):
        assert sla_sweep().at_risk == [case.pk]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == [
        "super1"]


def test_breach_mails_are_sent_after_commit_once(agent, handler, supervisor, quality_dept,
                                                 django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        case = classified(agent=agent, handler=handler, dept=quality_dept)
    mail.outbox.clear()
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 2 and all(case.number in subject for subject in subjects)
    assert {m.to[0] for m in mail.outbox} == {"handler1@staff.example", "super1@staff.example"}
    due = timezone.localtime(Ticket.objects.get(pk=case.pk).resolution_due_at)
    assert "Resolution reply" in mail.outbox[0].body  # the clock's name, not its code
    assert f"{due:%Y-%m-%d %H:%M}" in mail.outbox[0].body  # in Asia/Shanghai time
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    # A retried delivery does not mail twice.
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert deliver_notifications.delay(ids).get() == 0
    assert len(mail.outbox) == 2


def test_sweep_cost_does_not_grow_with_open_cases(agent, handler, supervisor, quality_dept,
                                                  django_assert_num_queries):
    def sweep_queries(open_cases: int, breached: int) -> int:
        Ticket.objects.all().update(sla_status=SlaStatus.NONE)
        with time_machine.travel(MONDAY, tick=False):
            for i in range(open_cases):
                classified(agent=agent, handler=handler, dept=quality_dept,
                           phone=f"136{open_cases:02d}{i:06d}")
        Ticket.objects.filter(sla_status=SlaStatus.ON_TRACK).filter(
            pk__in=list(Ticket.objects.filter(sla_status=SlaStatus.ON_TRACK)
                        .values_list("pk", flat=True)[:breached])
        ).update(sla_due_at=MONDAY - timedelta(hours=1))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with time_machine.travel(MONDAY + timedelta(hours=1), tick=False), \
                CaptureQueriesContext(connection) as captured:
            assert len(sla_sweep().breached) == breached
        return len(captured)

    assert sweep_queries(2, 1) == sweep_queries(8, 1) == sweep_queries(8, 6)


def test_notify_staff_creates_in_app_notifications(agent, handler, quality_dept,
                                                   django_capture_on_commit_callbacks):
    case = classified(agent=agent, handler=handler, dept=quality_dept)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_staff.delay(case.pk, "assigned", "assignee").get() == 1
    notification = Notification.objects.get()
    assert notification.recipient == handler and notification.event == "aftersales.notify.assigned"
    assert notification.emailed_at is not None and len(mail.outbox) == 1
