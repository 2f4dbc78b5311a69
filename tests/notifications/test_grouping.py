"""One notification per recipient, case and clock: later SLA events update it."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from aftersales.models import Notification, Ticket
from aftersales.notifications.services import (
    notifications_build,
    notifications_upsert,
    sla_group_key,
    unread_count,
)
from aftersales.sla.clocks import ACTION_AT_RISK, ACTION_BREACHED, ACTION_ESCALATED
from aftersales.sla.sweep import sla_sweep
from complaints import services as s
from tests.factories import intake
from tests.sla.conftest import local

pytestmark = pytest.mark.django_db

CHECKS = {"check_identity": True, "check_order": True, "check_facts": True, "check_remit": True}
MONDAY = local(2026, 3, 9, 10, 0)


def classified(*, agent, handler, dept, severity="S4", phone="13812345678"):
    c = s.complaint_register(intake=intake(phone=phone), actor=None)
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent, checklist=CHECKS)
    return s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent,
                                category="QUAL", subcategory="FUNC", severity=severity,
                                department=dept, assignee=handler)


def test_breached_after_at_risk_updates_the_one_row_and_makes_it_unread_again(
        agent, handler, supervisor, quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        case = classified(agent=agent, handler=handler, dept=quality_dept)
    ticket = Ticket.objects.get(pk=case.pk)
    Notification.objects.all().delete()  # the assignment notice is not an SLA one
    at_risk_time = ticket.sla_warn_at + timedelta(minutes=1)
    with time_machine.travel(at_risk_time, tick=False):
        sla_sweep()
    first = Notification.objects.get(recipient=handler)
    assert first.event == ACTION_AT_RISK
    Notification.objects.filter(pk=first.pk).update(read_at=at_risk_time)

    breach_time = ticket.sla_due_at + timedelta(minutes=1)
    with time_machine.travel(breach_time, tick=False):
        sla_sweep()

    mine = Notification.objects.filter(recipient=handler)
    assert mine.count() == 1
    row = mine.get()
    assert row.pk == first.pk
    assert row.event == ACTION_BREACHED
    assert row.created_at == breach_time
    assert row.read_at is None
    assert row.data["clock"] == "resolution" and row.data["number"] == case.number
    assert row.group_key == sla_group_key(case.pk, "resolution")


def test_another_clock_or_another_case_is_another_row(handler, case_ids):
    one, two = case_ids
    notes = [
        *notifications_build(event=ACTION_AT_RISK, ticket_id=one, recipient_ids=[handler.pk],
                             group_key=sla_group_key(one, "resolution")),
        *notifications_build(event=ACTION_AT_RISK, ticket_id=one, recipient_ids=[handler.pk],
                             group_key=sla_group_key(one, "first_response")),
        *notifications_build(event=ACTION_AT_RISK, ticket_id=two, recipient_ids=[handler.pk],
                             group_key=sla_group_key(two, "resolution")),
    ]
    notifications_upsert(notes)
    notifications_upsert(notifications_build(
        event=ACTION_BREACHED, ticket_id=one, recipient_ids=[handler.pk],
        group_key=sla_group_key(one, "resolution")))

    rows = sorted(Notification.objects.values_list("ticket_id", "group_key", "event"))
    assert rows == sorted([
        (one, sla_group_key(one, "first_response"), ACTION_AT_RISK),
        (one, sla_group_key(one, "resolution"), ACTION_BREACHED),
        (two, sla_group_key(two, "resolution"), ACTION_AT_RISK),
    ])


def test_ungrouped_notifications_are_never_merged(handler, case_ids):
    one, _two = case_ids
    for _ in range(2):
        notifications_upsert(notifications_build(
            event="aftersales.notify.assigned", ticket_id=one, recipient_ids=[handler.pk]))
    assert Notification.objects.filter(recipient=handler).count() == 2


def test_escalation_in_the_same_sweep_updates_the_supervisors_breach_row(
        agent, handler, supervisor, admin_user, quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        critical = classified(agent=agent, handler=handler, dept=quality_dept, severity="S1")
    Notification.objects.all().delete()
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        sla_sweep()
    rows = dict(Notification.objects.filter(ticket_id=critical.pk)
                .values_list("recipient__username", "event"))
    assert rows == {"handler1": ACTION_BREACHED, "super1": ACTION_ESCALATED,
                    "admin1": ACTION_ESCALATED}
    supervisors_row = Notification.objects.get(recipient=supervisor)
    assert supervisors_row.data["level"] == 1 and supervisors_row.data["due_at"]


def test_the_breach_is_mailed_again_after_the_at_risk_mail(agent, handler, supervisor,
                                                           quality_dept,
                                                           django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        case = classified(agent=agent, handler=handler, dept=quality_dept)
    ticket = Ticket.objects.get(pk=case.pk)
    mail.outbox.clear()
    with time_machine.travel(ticket.sla_warn_at + timedelta(minutes=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    with time_machine.travel(ticket.sla_due_at + timedelta(minutes=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        sla_sweep()
    to_handler = [m for m in mail.outbox if m.to == ["handler1@staff.example"]]
    assert len(to_handler) == 2  # "at risk", then "breached" on the same row
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_the_bell_counts_one_unread_per_case_and_clock(client, settings, agent, handler,
                                                       supervisor, quality_dept):
    settings.LANGUAGE_CODE = "en"
    with time_machine.travel(MONDAY, tick=False):
        cases = [classified(agent=agent, handler=handler, dept=quality_dept,
                            phone=f"1381234000{i}") for i in range(3)]
    Notification.objects.all().delete()
    ticket = Ticket.objects.get(pk=cases[0].pk)
    with time_machine.travel(ticket.sla_warn_at + timedelta(minutes=1), tick=False):
        sla_sweep()
    with time_machine.travel(ticket.sla_due_at + timedelta(minutes=1), tick=False):
        sla_sweep()
    assert unread_count(handler) == 3

    client.force_login(handler)
    page = client.get(reverse("aftersales:notifications")).content.decode()
    assert "3 unread" in page  # the list's heading
    assert "3<span class=\"visually-hidden\"> unread notifications" in page  # the bell


@pytest.fixture
def case_ids(agent, handler, quality_dept):
    return [classified(agent=agent, handler=handler, dept=quality_dept,
                       phone=f"1391234000{i}").pk for i in range(2)]
