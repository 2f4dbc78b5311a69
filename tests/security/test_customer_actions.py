"""What a customer does on the tracking page or the survey is recorded once, and answers the
exact proposal they read.

Every customer action checks its precondition again after taking the case's row lock, and
the state machine has no return-visit → return-visit step, so a double submit, a second tab
or a replayed post is refused instead of recorded twice. The races run in real threads on
PostgreSQL (DATABASE_URL=postgres://...); they skip on SQLite.
"""

import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm import can_proceed

from aftersales.cases.services import ticket_lock
from aftersales.followups.services import SurveyAnswer, SurveyClosed, follow_up_answer
from aftersales.models import FollowUp
from complaints import services as s
from complaints.choices import CustomerDecision, State
from complaints.models import Complaint, HandlingPlan
from tests.complaints.test_concurrency import race, require_postgres
from tests.factories import as_shown, proposal_of

RETURN_VISIT = "complaints.complaint.return_visit"
SATISFIED = {"feedback-satisfied": "yes", "feedback-rating": "5", "feedback-comment": ""}
SURVEY_GOOD = SurveyAnswer(rating=5, rating_attitude=5, rating_timeliness=5, rating_result=5,
                           problem_solved=True)


def track_url(complaint: Complaint) -> str:
    return reverse("complaints:track", args=[complaint.tracking_token])


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_related("current_plan").get(pk=complaint.pk)


def visits_recorded(complaint: Complaint) -> int:
    return complaint.events.filter(action=RETURN_VISIT).count()


def answered(complaint: Complaint) -> int:
    return FollowUp.objects.filter(ticket_id=complaint.pk, status="ANSWERED").count()


def satisfied(complaint: Complaint) -> Complaint:
    return s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None, satisfied=True,
                                       rating=5, comment="", method="ONLINE")


def shown_proposal(client, complaint: Complaint) -> dict:
    """The hidden fields of the decision form, as the customer's browser posts them back."""
    page = client.get(track_url(complaint)).content.decode()
    return {f"decision-{key}": re.search(rf'name="decision-{key}" value="(\d+)"', page).group(1)
            for key in ("plan", "plan_version")}


# --- the return visit is recorded once ----------------------------------------------------

@pytest.mark.django_db
def test_the_state_machine_records_a_return_visit_only_from_replied(build):
    replied = build(State.RESOLVED)
    visited = build(State.RETURN_VISIT)

    assert can_proceed(replied.record_return_visit)
    assert not can_proceed(visited.record_return_visit)


@pytest.mark.django_db
def test_a_second_satisfied_answer_is_refused_and_records_nothing(build):
    complaint = build(State.RESOLVED)
    satisfied(complaint)
    after_first = fresh(complaint)

    with pytest.raises(s.AlreadyAnswered):
        satisfied(complaint)
    with pytest.raises(s.AlreadyAnswered):
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None, satisfied=False,
                                    rating=1, comment="Changed my mind.", method="ONLINE")

    after = fresh(complaint)
    assert (after.state, after.version) == (State.RETURN_VISIT, after_first.version)
    assert visits_recorded(complaint) == 1
    assert answered(complaint) == 1
    assert after.reopen_count == 0


@pytest.mark.django_db
def test_a_replayed_rating_post_is_refused_and_recorded_once(client, build):
    complaint = build(State.RESOLVED)

    first = client.post(track_url(complaint), {"form": "feedback", **SATISFIED})
    again = client.post(track_url(complaint), {"form": "feedback", **SATISFIED}, follow=True)

    assert first.status_code == 302
    assert again.status_code == 200
    assert 'id="feedback-card"' not in again.content.decode()
    assert visits_recorded(complaint) == 1
    assert answered(complaint) == 1


@pytest.mark.django_db
def test_a_staff_member_cannot_record_a_recorded_return_visit_again(build, agent):
    complaint = build(State.RETURN_VISIT)

    with pytest.raises(s.AlreadyAnswered):
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=agent, satisfied=True,
                                    rating=4, comment="", method="PHONE")

    assert visits_recorded(complaint) == 1


@pytest.mark.django_db
def test_the_survey_is_closed_once_the_tracking_page_answered(client, build):
    complaint = build(State.RESOLVED)
    survey = FollowUp.objects.get(ticket_id=complaint.pk, status="SCHEDULED")
    satisfied(complaint)

    with pytest.raises(SurveyClosed):
        follow_up_answer(token=survey.token, answer=SURVEY_GOOD)
    page = client.post(reverse("aftersales:survey", args=[survey.token]), {
        "rating": 5, "rating_attitude": 5, "rating_timeliness": 5, "rating_result": 5,
        "problem_solved": "yes", "comment": ""})

    assert page.status_code == 409
    assert visits_recorded(complaint) == 1
    assert answered(complaint) == 1


@pytest.mark.django_db
def test_a_missing_answer_does_not_overwrite_a_recorded_visit(build):
    complaint = build(State.RETURN_VISIT)

    s.complaint_record_no_response(complaint_pk=complaint.pk)

    after = fresh(complaint)
    assert after.return_visit_result == Complaint.ReturnVisitResult.SATISFIED
    assert visits_recorded(complaint) == 1


# --- the proposal answered is the one shown ------------------------------------------------

def propose(complaint: Complaint, amount: str, *, handler, supervisor, quality_dept) -> None:
    """The handler's new plan after a decline, approved and sent to the customer."""
    complaint = fresh(complaint)
    complaint = s.complaint_submit_plan(
        complaint_pk=complaint.pk, version=complaint.version, actor=handler,
        plan=s.PlanInput(cause="QUALITY_DEFECT", nature="PRODUCTION", liability="COMPANY",
                         responsible_department=quality_dept, solution_type="COMPENSATION",
                         measures="Compensate the customer.",
                         compensation_amount=Decimal(amount),
                         deadline=timezone.now() + timedelta(days=2)))
    if complaint.state == State.PLAN_APPROVAL:
        complaint = s.complaint_decide_plan(complaint_pk=complaint.pk,
                                            version=complaint.version, actor=supervisor,
                                            approve=True)
    s.complaint_request_confirmation(complaint_pk=complaint.pk, version=complaint.version,
                                     actor=handler, message=f"We offer {amount} yuan.")


@pytest.mark.django_db
def test_the_decision_form_names_the_plan_and_version_shown(client, build):
    complaint = build(State.AWAIT_CUSTOMER)
    plan = complaint.current_plan

    assert shown_proposal(client, complaint) == {"decision-plan": str(plan.pk),
                                                 "decision-plan_version": str(plan.version)}


@pytest.mark.django_db
def test_an_old_agree_does_not_confirm_a_newer_proposal(client, build, handler, supervisor,
                                                        quality_dept):
    complaint = build(State.AWAIT_CUSTOMER, solution_type="COMPENSATION",
                      compensation_amount=Decimal("50.00"))
    fifty = shown_proposal(client, complaint)
    declined = client.post(track_url(complaint), {
        "form": "decision", **fifty, "decision-agree": "no",
        "decision-comment": "Fifty is not enough."})
    propose(complaint, "5.00", handler=handler, supervisor=supervisor,
            quality_dept=quality_dept)
    five = fresh(complaint).current_plan

    replayed = client.post(track_url(complaint), {
        "form": "decision", **fifty, "decision-agree": "yes", "decision-comment": ""})

    page = replayed.content.decode()
    after = fresh(complaint)
    assert declined.status_code == 302
    assert replayed.status_code == 409
    assert as_shown(s.ProposalChanged.default_message) in page
    assert f'name="decision-plan" value="{five.pk}"' in page  # the new proposal, to answer
    assert "¥5.00" in page
    assert after.state == State.AWAIT_CUSTOMER
    assert after.current_plan_id == five.pk
    assert after.current_plan.customer_decision == CustomerDecision.PENDING
    assert not after.events.filter(action="complaints.complaint.customer_confirmed").exists()


@pytest.mark.django_db
def test_an_answer_to_an_earlier_version_of_the_plan_is_refused(build):
    complaint = build(State.AWAIT_CUSTOMER)
    read = proposal_of(complaint)
    # The plan's content changed after the customer read it (e.g. corrected in place).
    HandlingPlan.objects.filter(pk=read["plan_pk"]).update(
        compensation_amount=Decimal("5.00"), version=read["plan_version"] + 1)

    with pytest.raises(s.ProposalChanged) as refused:
        s.complaint_customer_decide(complaint_pk=complaint.pk, **read, agree=True)

    with translation.override("en"):
        assert str(refused.value.message) == (
            "This proposal has changed, please read the new one.")
    assert fresh(complaint).current_plan.customer_decision == CustomerDecision.PENDING
    s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint), agree=True)
    assert fresh(complaint).current_plan.customer_decision == CustomerDecision.CONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [{}, {"decision-plan": "", "decision-plan_version": ""},
                                  {"decision-plan": "999999", "decision-plan_version": "1"}])
def test_an_answer_that_names_no_current_plan_is_refused(client, build, sent):
    complaint = build(State.AWAIT_CUSTOMER)

    response = client.post(track_url(complaint), {"form": "decision", **sent,
                                                  "decision-agree": "yes"})

    assert response.status_code == 409
    assert as_shown(s.ProposalChanged.default_message) in response.content.decode()
    assert fresh(complaint).state == State.AWAIT_CUSTOMER


@pytest.mark.django_db
def test_a_second_answer_to_the_same_proposal_is_refused(client, build):
    complaint = build(State.AWAIT_CUSTOMER)
    read = proposal_of(complaint)
    s.complaint_customer_decide(complaint_pk=complaint.pk, **read, agree=True)

    with pytest.raises(s.AlreadyAnswered):
        s.complaint_customer_decide(complaint_pk=complaint.pk, **read, agree=False,
                                    comment="On second thoughts, no.")

    after = fresh(complaint)
    assert after.current_plan.customer_decision == CustomerDecision.CONFIRMED
    assert after.events.filter(action__in=["complaints.complaint.customer_confirmed",
                                           "complaints.complaint.customer_declined"]).count() == 1


# --- real races on PostgreSQL ---------------------------------------------------------------

ROUNDS = 5


def post_in_thread(path: str, data: dict):
    def call():
        close_old_connections()
        return Client().post(path, data).status_code
    return call


@pytest.mark.django_db(transaction=True)
def test_two_satisfied_ratings_posted_at_once_are_recorded_once(build):
    require_postgres()
    for _ in range(ROUNDS):
        complaint = build(State.RESOLVED)
        post = {"form": "feedback", **SATISFIED}

        statuses = race(post_in_thread(track_url(complaint), post),
                        post_in_thread(track_url(complaint), post))

        assert not any(isinstance(status, Exception) for status in statuses), statuses
        assert all(status in (302, 409) for status in statuses), statuses
        assert visits_recorded(complaint) == 1
        assert answered(complaint) == 1
        assert fresh(complaint).state == State.RETURN_VISIT


@pytest.mark.django_db(transaction=True)
def test_a_rating_waits_for_the_lock_and_then_finds_the_visit_recorded(build):
    require_postgres()
    complaint = build(State.RESOLVED)
    result: list = []

    def second_answer():
        close_old_connections()
        try:
            result.append(satisfied(complaint))
        except Exception as error:  # checked below
            result.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=second_answer)
    with transaction.atomic():
        ticket_lock(Complaint, complaint.pk)  # the first answer holds the case
        writer.start()
        writer.join(timeout=1)
        blocked_while_locked = writer.is_alive()
        satisfied(complaint)
    writer.join(timeout=30)

    assert blocked_while_locked
    assert isinstance(result[0], s.AlreadyAnswered)
    assert visits_recorded(complaint) == 1
    assert answered(complaint) == 1


@pytest.mark.django_db(transaction=True)
def test_the_survey_and_the_tracking_page_answered_at_once_record_one(build):
    require_postgres()
    for _ in range(ROUNDS):
        complaint = build(State.RESOLVED)
        token = FollowUp.objects.get(ticket_id=complaint.pk, status="SCHEDULED").token

        results = race(lambda token=token: follow_up_answer(token=token, answer=SURVEY_GOOD),
                       lambda complaint=complaint: satisfied(complaint))

        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1, results
        assert isinstance(refused[0], SurveyClosed | s.AlreadyAnswered), results
        assert visits_recorded(complaint) == 1
        assert answered(complaint) == 1


@pytest.mark.django_db(transaction=True)
def test_two_survey_answers_at_once_record_one(build):
    require_postgres()
    complaint = build(State.RESOLVED)
    token = FollowUp.objects.get(ticket_id=complaint.pk, status="SCHEDULED").token

    results = race(*[lambda: follow_up_answer(token=token, answer=SURVEY_GOOD)] * 2)

    assert sorted(type(r).__name__ for r in results) == ["FollowUp", "SurveyClosed"]
    assert visits_recorded(complaint) == 1
    assert answered(complaint) == 1


@pytest.mark.django_db(transaction=True)
def test_agree_and_decline_at_once_record_one_decision(build):
    require_postgres()
    for _ in range(ROUNDS):
        complaint = build(State.AWAIT_CUSTOMER)
        read = proposal_of(complaint)

        results = race(
            lambda read=read, pk=complaint.pk: s.complaint_customer_decide(
                complaint_pk=pk, **read, agree=True),
            lambda read=read, pk=complaint.pk: s.complaint_customer_decide(
                complaint_pk=pk, **read, agree=False, comment="No, thank you."),
        )

        assert sorted(type(r).__name__ for r in results) == ["AlreadyAnswered", "Complaint"]
        decisions = complaint.events.filter(action__in=[
            "complaints.complaint.customer_confirmed", "complaints.complaint.customer_declined"])
        assert decisions.count() == 1
        assert fresh(complaint).current_plan.customer_decision != CustomerDecision.PENDING
