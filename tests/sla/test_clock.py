"""Policies, due times stored on cases, pause and resume, return-visit scheduling, display."""

from datetime import timedelta

import pytest
import time_machine
from django.template.loader import render_to_string

from aftersales.core.choices import Channel, SlaStatus
from aftersales.models import FollowUp, SlaPolicy, Ticket, TimelineEvent
from aftersales.sla import clocks as sla
from complaints import services as s
from complaints.models import Complaint
from tests.factories import intake, proposal_of

from .conftest import complaint_replied, complaint_to_await_customer, local

pytestmark = pytest.mark.django_db


def test_default_policies_follow_domain_time_limits():
    general = sla.policy_for("COMPLAINT", "S4")
    assert general.first_response == sla.Target(timedelta(hours=24), business=False)  # T2
    assert general.resolution == sla.Target(timedelta(days=7), business=False)  # T3
    assert general.follow_up == sla.Target(timedelta(days=3), business=False)  # T18
    critical = sla.policy_for("COMPLAINT", "S1")
    assert critical.first_response == sla.Target(timedelta(minutes=30), business=True)  # T1
    assert critical.escalate_on_breach
    assert sla.policy_for("RETURN", "").first_response.duration == timedelta(hours=24)  # T4
    assert sla.policy_for("DELIVERY", "S4").first_response.duration == timedelta(hours=2)


def test_most_specific_policy_wins_and_edits_apply_at_once():
    SlaPolicy.objects.create(kind="", severity="S5", name="Minor", first_response_minutes=600)
    assert sla.policy_for("COMPLAINT", "S5").name == "Minor"
    SlaPolicy.objects.create(kind="COMPLAINT", severity="", name="Complaints",
                             first_response_minutes=120)
    assert sla.policy_for("COMPLAINT", "S5").name == "Complaints"
    assert sla.policy_for("COMPLAINT", "S1").first_response.duration == timedelta(minutes=30)
    SlaPolicy.objects.filter(kind="COMPLAINT", severity="").update(active=False)
    sla.forget_policies()
    assert sla.policy_for("COMPLAINT", "S5").name == "Minor"


def test_without_any_policy_row_the_built_in_defaults_apply():
    SlaPolicy.objects.all().delete()
    assert sla.policy_for("COMPLAINT", "S2").first_response.duration == timedelta(minutes=30)
    assert sla.policy_for("REPAIR", "").resolution.duration == timedelta(days=7)


def test_a_policy_without_a_target_runs_no_clock():
    SlaPolicy.objects.filter(kind="", severity="").update(close_minutes=None)
    sla.forget_policies()
    ticket = Ticket(kind="REPAIR", severity="")
    sla.ticket_start_clock(ticket, "close", at=local(2026, 3, 9, 10, 0))
    assert ticket.sla_status == SlaStatus.NONE and ticket.close_due_at is None


def test_resolution_target_longer_than_the_statutory_cap_is_refused():
    from django.core.exceptions import ValidationError

    policy = SlaPolicy(name="Too slow", resolution_minutes=16 * 24 * 60)
    with pytest.raises(ValidationError):
        policy.full_clean()


def test_registration_stores_due_times_on_the_case():
    # Friday 17:50. A regulator transfer is S3: 30 working minutes → Monday 09:20.
    with time_machine.travel(local(2026, 3, 6, 17, 50), tick=False):
        urgent = s.complaint_register(intake=intake(channel=Channel.REGULATOR), actor=None)
        general = s.complaint_register(intake=intake(phone="13900000000"), actor=None)
    urgent = Ticket.objects.get(pk=urgent.pk)
    assert urgent.sla_clock == "first_response"
    assert urgent.first_response_due_at == urgent.sla_due_at == local(2026, 3, 9, 9, 20)
    # 80 % of 30 working minutes: 24 minutes → Monday 09:14.
    assert urgent.sla_warn_at == local(2026, 3, 9, 9, 14)
    assert urgent.sla_status == SlaStatus.ON_TRACK
    # General: 24 calendar hours end on Saturday, rolled to Monday at the same time.
    general = Ticket.objects.get(pk=general.pk)
    assert general.sla_due_at == local(2026, 3, 9, 17, 50)


def test_pause_keeps_the_working_time_left_and_resume_continues_from_it():
    ticket = Ticket(kind="COMPLAINT", severity="S1")
    sla.ticket_start_clock(ticket, "first_response", at=local(2026, 3, 6, 17, 50))
    assert ticket.sla_due_at == local(2026, 3, 9, 9, 20)
    sla.ticket_pause_clock(ticket, at=local(2026, 3, 6, 17, 55))
    assert ticket.sla_status == SlaStatus.PAUSED
    assert ticket.sla_remaining_seconds == 25 * 60
    assert ticket.sla_due_at is None
    # Resumed days later in the middle of a working day: 25 working minutes from then.
    sla.ticket_resume_clock(ticket, at=local(2026, 3, 10, 10, 0))
    assert ticket.sla_status == SlaStatus.ON_TRACK
    assert ticket.sla_due_at == ticket.first_response_due_at == local(2026, 3, 10, 10, 25)
    assert ticket.sla_warn_at == local(2026, 3, 10, 10, 19)


def test_resume_after_the_warning_point_is_at_risk_at_once():
    ticket = Ticket(kind="COMPLAINT", severity="S1")
    sla.ticket_start_clock(ticket, "first_response", at=local(2026, 3, 9, 9, 0))
    sla.ticket_pause_clock(ticket, at=local(2026, 3, 9, 9, 27))
    sla.ticket_resume_clock(ticket, at=local(2026, 3, 9, 14, 0))
    assert ticket.sla_due_at == local(2026, 3, 9, 14, 3)
    assert ticket.sla_warn_at == local(2026, 3, 9, 14, 0)


def test_resume_restores_what_the_sweep_already_recorded(agent, handler, quality_dept):
    complaint = complaint_to_await_customer(agent=agent, handler=handler,
                                            quality_dept=quality_dept)
    ticket = Ticket.objects.get(pk=complaint.pk)
    assert ticket.sla_status == SlaStatus.PAUSED
    TimelineEvent.objects.create(
        ticket=ticket, action=sla.ACTION_AT_RISK, actor_kind="system",
        data={"clock": ticket.sla_clock}, created_at=ticket.sla_started_at,
    )
    sla.ticket_resume_clock(ticket)
    assert ticket.sla_status == SlaStatus.AT_RISK


def test_waiting_for_the_customer_pauses_the_resolution_clock(agent, handler, quality_dept):
    with time_machine.travel(local(2026, 3, 9, 10, 0), tick=False):
        complaint = complaint_to_await_customer(agent=agent, handler=handler,
                                                quality_dept=quality_dept)
    paused = Complaint.objects.get(pk=complaint.pk)
    assert paused.sla_clock == "resolution" and paused.sla_status == SlaStatus.PAUSED
    assert paused.sla_remaining_seconds == 7 * 24 * 3600
    with time_machine.travel(local(2026, 3, 11, 10, 0), tick=False):
        s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint),
                                    agree=True)
    resumed = Complaint.objects.get(pk=complaint.pk)
    assert resumed.sla_status == SlaStatus.ON_TRACK
    # Seven days from the resume: the two days of waiting do not count.
    assert resumed.sla_due_at == resumed.resolution_due_at == local(2026, 3, 18, 10, 0)


def test_reply_schedules_the_return_visit_after_t18(agent, handler, quality_dept):
    with time_machine.travel(local(2026, 3, 9, 10, 0), tick=False):
        complaint = complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)
    follow_up = FollowUp.objects.get(ticket=complaint)
    assert follow_up.status == "SCHEDULED"
    assert follow_up.due_at == local(2026, 3, 12, 10, 0)
    ticket = Ticket.objects.get(pk=complaint.pk)
    assert ticket.sla_clock == "close" and ticket.resolved_at is not None


def test_a_new_schedule_cancels_the_pending_return_visit(agent, handler, quality_dept):
    complaint = complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)
    first = FollowUp.objects.get(ticket=complaint)
    second = sla.follow_up_schedule(Ticket.objects.get(pk=complaint.pk))
    first.refresh_from_db()
    assert first.status == "CANCELLED" and second.status == "SCHEDULED"


@pytest.mark.parametrize(("now", "status", "words"), [
    (local(2026, 3, 9, 10, 0), "on_track", "left"),
    (local(2026, 3, 9, 17, 0), "at_risk", "At risk"),
    (local(2026, 3, 9, 19, 0), "breached", "Breached"),
])
def test_sla_view_in_colour_and_words(now, status, words):
    ticket = Ticket(kind="COMPLAINT", severity="S4", sla_status="on_track",
                    sla_due_at=local(2026, 3, 9, 18, 0), sla_warn_at=local(2026, 3, 9, 16, 0))
    view = sla.sla_view(ticket, now=now)
    assert view.status == status
    assert view.colour == {"on_track": "success", "at_risk": "warning",
                           "breached": "danger"}[status]
    assert words in view.words


def test_badge_renders_from_the_inbox_fields_without_queries(agent, django_assert_num_queries):
    s.complaint_register(intake=intake(), actor=None)
    ticket = Complaint.objects.only(
        "number", "sla_status", "sla_due_at", "sla_warn_at", "sla_paused_at",
        "sla_remaining_seconds",
    ).get()
    with django_assert_num_queries(0):
        html = render_to_string("partials/sla_badge.html", {"ticket": ticket})
    assert "text-bg-success" in html and "left" in html


def test_badge_for_a_paused_case_says_so(agent, handler, quality_dept):
    complaint = complaint_to_await_customer(agent=agent, handler=handler,
                                            quality_dept=quality_dept)
    html = render_to_string("partials/sla_badge.html",
                            {"ticket": Complaint.objects.get(pk=complaint.pk)})
    assert "Paused" in html and "text-bg-secondary" in html
