"""A repair job from the fault report to the closed return visit, and the rules on the way:
no work before a paid quote is accepted, a rejected acceptance goes back to service and
counts a repeat visit, an accepted repair raises the unit's repair count, a unit failing
again within 30 days is a failed repair (T16), mail-in repairs ship both ways, and an
installation's joint acceptance starts the warranty on the order line."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.catalog.models import OrderLine
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.fieldservice import services as s
from aftersales.fieldservice.choices import FaultType, JobState, ServiceMode
from aftersales.fieldservice.models import InstallationJob, PartUsed, RepairJob, Signature
from aftersales.followups.models import FollowUp

from .conftest import tomorrow_at
from .helpers import signature

pytestmark = pytest.mark.django_db
S = JobState


def test_a_repair_runs_from_report_to_closed(repair_in, tech):
    job = repair_in("CLOSED", technician=tech)

    assert job.state == S.CLOSED and not job.is_open
    assert job.number.startswith("RP-")
    assert job.free_of_charge and job.eligibility_rule == "C3"
    assert job.counted_repair and job.completed_at is not None
    assert job.satisfaction == 5
    assert Signature.objects.filter(job=job, role="CUSTOMER").count() == 1
    actions = list(job.events.values_list("action", flat=True))
    assert actions[:3] == ["fieldservice.job.reported", "fieldservice.job.triaged",
                           "fieldservice.job.scheduled"]
    assert "fieldservice.job.accepted" in actions and actions[-1] == "fieldservice.job.closed"


def test_a_paid_repair_waits_for_the_customers_acceptance_of_the_quote(repair_in, tech,
                                                                       dispatcher):
    job = repair_in("AWAIT_QUOTE", technician=tech, paid=True)
    assert not job.free_of_charge and job.eligibility_rule == "C7"
    assert job.sla_status == "paused"

    start = tomorrow_at(10)
    with pytest.raises(DomainError):
        s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher, technician_pk=tech.pk,
                       start=start, end=start + timedelta(hours=2))

    s.job_customer_decide_quote(job_pk=job.pk, quote_pk=job.current_quote_id, accept=True)
    s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher, technician_pk=tech.pk,
                   start=start, end=start + timedelta(hours=2))
    assert RepairJob.objects.get(pk=job.pk).state == S.DISPATCHED


def test_declining_the_quote_ends_the_job_without_work(repair_in, tech):
    job = repair_in("AWAIT_QUOTE", technician=tech, paid=True)

    s.job_customer_decide_quote(job_pk=job.pk, quote_pk=job.current_quote_id, accept=False)

    job = RepairJob.objects.get(pk=job.pk)
    assert job.state == S.CANCELLED and not job.quote_accepted


def test_parts_are_priced_on_paid_jobs_and_free_on_warranty_jobs(repair_in, tech, parts,
                                                                 line):
    free = repair_in("IN_SERVICE", technician=tech)
    s.job_record_work(job_pk=free.pk, kind=free.kind, actor=tech.user, cause="Seal",
                      parts=[s.PartLine(parts[0], 2)])
    paid = repair_in("IN_SERVICE", technician=tech, paid=True, hour=14)
    s.job_record_work(job_pk=paid.pk, kind=paid.kind, actor=tech.user, cause="Seal",
                      parts=[s.PartLine(parts[0], 2)])

    assert PartUsed.objects.get(job=free).amount == Decimal("0.00")
    assert PartUsed.objects.get(job=paid).amount == Decimal("170.00")


def test_only_the_dispatched_technician_records_work(repair_in, tech, tech2):
    job = repair_in("IN_SERVICE", technician=tech)

    with pytest.raises(PermissionRefused):
        s.job_record_work(job_pk=job.pk, kind=job.kind, actor=tech2.user, cause="x")


def test_check_in_records_lateness_against_the_agreed_start(repair_in, tech):
    job = repair_in("DISPATCHED", technician=tech)
    visit = job.visits.get()

    checked = s.job_check_in(job_pk=job.pk, kind=job.kind, actor=tech.user,
                             at=visit.start + timedelta(minutes=40))

    assert checked.late_minutes == 40
    assert RepairJob.objects.get(pk=job.pk).state == S.IN_SERVICE


def test_arriving_within_the_grace_counts_as_on_time(repair_in, tech):
    job = repair_in("DISPATCHED", technician=tech)
    visit = job.visits.get()

    checked = s.job_check_in(job_pk=job.pk, kind=job.kind, actor=tech.user,
                             at=visit.start + timedelta(minutes=10))

    assert checked.late_minutes == 0


def test_a_rejected_acceptance_goes_back_to_service_and_counts_a_repeat_visit(repair_in,
                                                                              tech):
    job = repair_in("ACCEPTANCE", technician=tech)

    s.job_reject(job_pk=job.pk, kind=job.kind, actor=tech.user, reason="Still noisy")

    job = RepairJob.objects.get(pk=job.pk)
    assert job.state == S.IN_SERVICE
    assert job.repeat_visits == 1 and job.rejection_reason == "Still noisy"
    assert not job.counted_repair


def test_acceptance_needs_the_customers_signature(repair_in, tech):
    job = repair_in("ACCEPTANCE", technician=tech)

    with pytest.raises(DomainError):
        s.job_accept(job_pk=job.pk, kind=job.kind, actor=tech.user, customer_name="",
                     customer_signature=signature())

    assert RepairJob.objects.get(pk=job.pk).state == S.ACCEPTANCE


def test_an_accepted_repair_raises_the_units_repair_count(repair_in, report, agent, tech,
                                                          line):
    repair_in("ACCEPTED", technician=tech)
    again = report(line)
    s.job_triage(job_pk=again.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.ON_SITE)

    assert RepairJob.objects.get(pk=again.pk).unit_repair_count == 1


def test_failing_again_within_30_days_is_a_failed_repair_t16(repair_in, report, tech, line):
    first = repair_in("ACCEPTED", technician=tech)

    again = report(line)

    assert again.failed_repair and again.previous_job_id == first.pk


def test_accepting_sets_the_service_record_due_five_working_days_later(repair_in, tech):
    job = repair_in("ACCEPTED", technician=tech)

    assert job.record_due_at is not None
    days = (timezone.localdate(job.record_due_at) - timezone.localdate(job.completed_at)).days
    assert 6 <= days <= 14  # five working days, then the day ends; weekends and holidays


def test_filing_the_record_schedules_the_return_visit(repair_in, tech):
    job = repair_in("RECORD_FILED", technician=tech)

    assert job.record_filed_at is not None
    assert FollowUp.objects.filter(ticket=job, status="SCHEDULED").exists()


def test_a_mail_in_repair_ships_both_ways(report, agent, line, field_dept):
    from tests.factories import make_staff

    centre = make_staff("centre", "technician", field_dept)
    job = report(line, service_mode=ServiceMode.MAIL_IN)
    s.job_triage(job_pk=job.pk, actor=agent, fault_type=FaultType.PERFORMANCE, genuine=True,
                 service_mode=ServiceMode.MAIL_IN)
    s.job_await_inbound(job_pk=job.pk, actor=agent)
    assert RepairJob.objects.get(pk=job.pk).service_started_at is None

    s.job_receive_inbound(job_pk=job.pk, actor=centre, carrier="SF", tracking="SF1")
    s.job_record_work(job_pk=job.pk, kind=job.kind, actor=centre, cause="Battery")
    s.job_ship_back(job_pk=job.pk, actor=centre, carrier="SF", tracking="SF2")
    s.job_customer_confirm_receipt(job_pk=job.pk)

    job = RepairJob.objects.get(pk=job.pk)
    assert job.state == S.ACCEPTED
    assert (job.inbound_tracking, job.outbound_tracking) == ("SF1", "SF2")
    assert job.received_at_centre is not None and job.counted_repair


def test_a_job_cannot_be_checked_in_twice(repair_in, tech):
    job = repair_in("IN_SERVICE", technician=tech)

    with pytest.raises(TransitionRefused):
        s.job_check_in(job_pk=job.pk, kind=job.kind, actor=tech.user)


def test_installation_joint_acceptance_starts_the_warranty_on_the_order_line(
        agent, dispatcher, tech, line):
    line.order.seller_installs = True
    line.order.save()
    job = s.installation_book(intake=s.JobIntake(
        name="李雷", phone="13900002222", order_line=line, address="北京市朝阳区1号",
        address_area="朝阳区", region="上海"), actor=agent)
    assert job.number.startswith("IN-") and job.state == S.REQUESTED
    s.job_prepare(job_pk=job.pk, actor=agent)
    start = tomorrow_at(9)
    s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher, technician_pk=tech.pk,
                   start=start, end=start + timedelta(hours=3))
    s.job_check_in(job_pk=job.pk, kind=job.kind, actor=tech.user, at=start)
    s.job_record_work(job_pk=job.pk, kind=job.kind, actor=tech.user, cause="Installed")
    s.job_complete(job_pk=job.pk, kind=job.kind, actor=tech.user)

    with pytest.raises(DomainError):
        s.job_accept(job_pk=job.pk, kind=job.kind, actor=tech.user, customer_name="李雷",
                     customer_signature=signature())
    s.job_accept(job_pk=job.pk, kind=job.kind, actor=tech.user, customer_name="李雷",
                 customer_signature=signature(1), technician_signature=signature(2))

    job = InstallationJob.objects.get(pk=job.pk)
    assert job.state == S.ACCEPTED
    assert set(job.signatures.values_list("role", flat=True)) == {"CUSTOMER", "TECHNICIAN"}
    assert OrderLine.objects.get(pk=line.pk).installed_at == job.installed_at


def test_an_installation_is_only_booked_for_an_installable_product(agent, line):
    line.product.installable = False
    line.product.save()

    with pytest.raises(DomainError):
        s.installation_book(intake=s.JobIntake(name="李雷", phone="13900002222",
                                               order_line=line), actor=agent)


def test_the_kernels_return_visit_survey_closes_the_loop_on_the_job(repair_in, tech):
    from aftersales.followups.services import SurveyAnswer, follow_up_answer

    job = repair_in("RECORD_FILED", technician=tech)
    follow_up = FollowUp.objects.get(ticket=job, status="SCHEDULED")

    follow_up_answer(token=follow_up.token, answer=SurveyAnswer(
        rating=4, rating_attitude=5, rating_timeliness=4, rating_result=4, problem_solved=True,
        comment="Quick and tidy"))

    job = RepairJob.objects.get(pk=job.pk)
    assert job.state == S.RETURN_VISIT and job.satisfaction == 4
    assert FollowUp.objects.get(pk=follow_up.pk).status == "ANSWERED"
