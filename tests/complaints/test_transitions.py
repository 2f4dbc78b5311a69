"""The complaint lifecycle (domain.md §5.1): what each role is offered in each state, and the
services refusing whatever the state or the role does not allow."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.core.choices import Channel
from aftersales.core.exceptions import (
    CaseReadOnly,
    DomainError,
    PermissionRefused,
    TransitionRefused,
)
from aftersales.models import Customer
from complaints import services as s
from complaints.actions import ACTIONS, available_actions
from complaints.choices import (
    ESCALATABLE_STATES,
    FINAL_STATES,
    STAGE_OF_STATE,
    CustomerDecision,
    PlanStatus,
    State,
)
from complaints.models import Complaint
from complaints.views import TrackingView
from tests.factories import OrderFactory, complaint_in_state, intake, make_staff, proposal_of

NOTHING: frozenset[str] = frozenset()
# How a service says no: wrong state, wrong role, or a case that is archived (read-only).
REFUSALS = (TransitionRefused, PermissionRefused, CaseReadOnly)


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in the language they are written in."""
    with translation.override("en"):
        yield


@dataclass
class People:
    agent: object
    handler: object
    other_handler: object
    supervisor: object
    dept: object

    def build(self, state: str, **options) -> Complaint:
        return complaint_in_state(state, agent=self.agent, handler=self.handler,
                                  supervisor=self.supervisor, dept=self.dept, **options)


@pytest.fixture
def people(agent, handler, other_handler, supervisor, quality_dept):
    return People(agent, handler, other_handler, supervisor, quality_dept)


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_related("current_plan").get(pk=complaint.pk)


def offered(complaint: Complaint, user) -> set[str]:
    return {action.name for action in available_actions(fresh(complaint), user)}


def valid_input(action: str, complaint: Complaint, people: People, **choices) -> dict:
    """Form data each action accepts when its state and role allow it."""
    later = timezone.now() + timedelta(days=2)
    data = {
        "accept": {"check_identity": True, "check_order": True, "check_facts": True,
                   "check_remit": True, "note": ""},
        "reject": {"reason": "OUT_OF_REMIT", "reply": "This is outside our remit."},
        "on_spot": {"solution": "Explained the descaling steps.", "customer_confirmed": True},
        "classify": {"category": "QUAL", "subcategory": "FUNC",
                     "severity": choices.get("severity", "S2"), "department": people.dept,
                     "assignee": people.handler, "note": ""},
        "start": {"acknowledgement": "We are on it.", "expected_by": later},
        "plan": {"cause": "QUALITY_DEFECT", "nature": "PRODUCTION", "liability": "COMPANY",
                 "responsible_department": people.dept,
                 "responsible_person": choices.get("responsible_person"),
                 "solution_type": choices.get("solution_type", "REPAIR"),
                 "measures": "Replace the heating element.",
                 "compensation_amount": Decimal("0.00"), "deadline": later},
        "decide_plan": {"decision": "approve", "comment": ""},
        "request_confirmation": {"message": "We propose a refund of the price."},
        "resume": {"note": ""},
        "reply": {"text": "The element was replaced.",
                  "outcome": "NOT_LIABLE" if complaint.state == State.ANALYSING else "SOLVED"},
        "return_visit": {"satisfied": "yes", "problem_solved": "yes", "rating": 5,
                         "comment": ""},
        "archive": {"note": ""},
        "reopen": {"reason": "The customer called again."},
        "escalate": {"reason": "Overdue."},
        "start_return": {"line": complaint.order.lines.first() if complaint.order_id else None,
                         "request_type": "EXCHANGE", "quantity": 1,
                         "reason": "The heating element failed."},
    }[action]
    return {"version": complaint.version, **data}


def attempt(action: str, complaint: Complaint, user, people: People, **choices) -> Complaint:
    complaint = fresh(complaint)
    data = valid_input(action, complaint, people, **choices)
    return ACTIONS[action].run(complaint, data, user)


# --- what each role is offered --------------------------------------------------------

# Built by complaint_in_state: an S2 quality complaint of the quality department, assigned to
# its handler, with a repair plan where a plan exists (no money, so no customer confirmation;
# AWAIT_CUSTOMER needs one, so there the plan is a refund).
#  state: (agent, handler of the complaint's department, handler of another, supervisor)
OFFERED = {
    State.REGISTERED: ({"accept", "escalate"}, NOTHING, NOTHING,
                       {"accept", "reject", "escalate"}),
    State.ACCEPTED: ({"on_spot", "classify", "escalate"}, NOTHING, NOTHING,
                     {"on_spot", "classify", "escalate"}),
    State.NOT_ACCEPTED: (NOTHING, NOTHING, NOTHING, NOTHING),
    State.CLASSIFIED: ({"start", "escalate"}, {"start", "escalate"}, NOTHING,
                       {"start", "escalate"}),
    State.ANALYSING: ({"reply", "escalate"}, {"plan", "escalate"}, NOTHING,
                      {"plan", "reply", "escalate"}),
    State.PLAN_APPROVAL: ({"escalate"}, {"escalate"}, NOTHING, {"decide_plan", "escalate"}),
    State.IN_PROGRESS: ({"reply", "escalate"}, {"plan", "escalate"}, NOTHING,
                        {"plan", "reply", "escalate"}),
    State.AWAIT_CUSTOMER: ({"escalate"}, {"escalate"}, NOTHING, {"escalate"}),
    State.REOPENED: ({"resume", "escalate"}, {"plan", "resume", "escalate"}, NOTHING,
                     {"plan", "resume", "escalate"}),
    State.ON_SPOT_RESOLVED: ({"reply"}, NOTHING, NOTHING, {"reply"}),
    State.RESOLVED: ({"return_visit", "reopen"}, NOTHING, NOTHING, {"return_visit", "reopen"}),
    # The return visit is recorded once; after it the case is archived or reopened.
    State.RETURN_VISIT: ({"archive", "reopen"}, NOTHING, NOTHING, {"archive", "reopen"}),
    State.CLOSED: (NOTHING, NOTHING, NOTHING, {"reopen"}),
}
ROLES = ("agent", "handler", "other_handler", "supervisor")


def test_the_table_covers_every_state_a_complaint_can_rest_in():
    assert set(OFFERED) == set(State) - {State.RECEIVED}


@pytest.mark.django_db
def test_registration_passes_through_received_to_registered():
    complaint = s.complaint_register(intake=intake(), actor=None)

    assert complaint.state == State.REGISTERED
    steps = [(e.from_state, e.to_state) for e in complaint.events.order_by("created_at", "id")]
    assert steps == [("", State.RECEIVED), (State.RECEIVED, State.REGISTERED)]


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(OFFERED))
def test_each_role_is_offered_exactly_the_actions_of_the_state(people, state):
    complaint = people.build(state)

    seen = {role: offered(complaint, getattr(people, role)) for role in ROLES}

    assert seen == dict(zip(ROLES, OFFERED[state], strict=True))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", list(OFFERED))
def test_services_refuse_every_action_that_is_not_offered(people, state, role):
    complaint = people.build(state)
    user = getattr(people, role)
    not_offered = set(ACTIONS) - offered(complaint, user)

    for action in sorted(not_offered):
        with pytest.raises(REFUSALS) as refused:
            attempt(action, complaint, user, people)
        assert str(refused.value.message), action
        after = fresh(complaint)
        assert (after.state, after.version) == (complaint.state, complaint.version), action


@pytest.mark.django_db
def test_a_refused_role_gets_a_sentence_not_a_code(people):
    complaint = people.build(State.PLAN_APPROVAL)

    with pytest.raises(PermissionRefused) as refused:
        attempt("decide_plan", complaint, people.handler, people)

    assert str(refused.value.message) == "Your role does not allow this action."


@pytest.mark.django_db
def test_a_refused_state_gets_a_sentence_not_a_code(people):
    complaint = people.build(State.REGISTERED)

    with pytest.raises(TransitionRefused) as refused:
        attempt("start", complaint, people.agent, people)

    assert str(refused.value.message) == (
        "This action is not possible in the case's current state."
    )


# --- the individual rules -------------------------------------------------------------

@pytest.mark.django_db
def test_agents_cannot_refuse_to_accept_a_complaint_supervisors_can(people):
    complaint = people.build(State.REGISTERED)

    with pytest.raises(PermissionRefused):
        attempt("reject", complaint, people.agent, people)
    attempt("reject", complaint, people.supervisor, people)

    complaint = fresh(complaint)
    assert complaint.state == State.NOT_ACCEPTED
    assert complaint.not_accepted_reason == "OUT_OF_REMIT"
    assert not complaint.is_open


@pytest.mark.django_db
@pytest.mark.parametrize(("severity", "next_state", "plan_status"), [
    ("S1", State.PLAN_APPROVAL, PlanStatus.SUBMITTED),
    ("S2", State.PLAN_APPROVAL, PlanStatus.SUBMITTED),
    ("S3", State.PLAN_APPROVAL, PlanStatus.SUBMITTED),
    ("S4", State.IN_PROGRESS, PlanStatus.NOT_NEEDED),
    ("S5", State.IN_PROGRESS, PlanStatus.NOT_NEEDED),
])
def test_serious_plans_need_approval_and_minor_ones_skip_it(people, severity, next_state,
                                                            plan_status):
    complaint = people.build(State.ANALYSING, severity=severity)

    complaint = attempt("plan", complaint, people.handler, people)

    assert complaint.state == next_state
    assert fresh(complaint).current_plan.status == plan_status


@pytest.mark.django_db
def test_approval_moves_the_plan_into_progress_and_sending_back_returns_it_to_analysis(people):
    approved = people.build(State.PLAN_APPROVAL)
    returned = people.build(State.PLAN_APPROVAL)

    attempt("decide_plan", approved, people.supervisor, people)
    with pytest.raises(DomainError) as no_reason:
        s.complaint_decide_plan(complaint_pk=returned.pk, version=returned.version,
                                actor=people.supervisor, approve=False, comment=" ")
    s.complaint_decide_plan(complaint_pk=returned.pk, version=returned.version,
                            actor=people.supervisor, approve=False, comment="Add a deadline.")

    assert fresh(approved).state == State.IN_PROGRESS
    assert fresh(approved).current_plan.status == PlanStatus.APPROVED
    assert str(no_reason.value.message) == "Say what must change when sending a plan back."
    assert fresh(returned).state == State.ANALYSING
    assert fresh(returned).current_plan.status == PlanStatus.RETURNED


@pytest.mark.django_db
def test_the_responsible_person_cannot_approve_their_own_plan(people):
    complaint = people.build(State.PLAN_APPROVAL, responsible_person=people.supervisor)
    second_supervisor = make_staff("super2", "supervisor")

    assert "decide_plan" not in offered(complaint, people.supervisor)
    with pytest.raises(PermissionRefused):
        attempt("decide_plan", complaint, people.supervisor, people)
    assert "decide_plan" in offered(complaint, second_supervisor)
    attempt("decide_plan", complaint, second_supervisor, people)

    assert fresh(complaint).current_plan.decided_by == second_supervisor


@pytest.mark.django_db
@pytest.mark.parametrize("satisfied", [True, False])
def test_the_responsible_person_cannot_record_the_return_visit(people, satisfied):
    complaint = people.build(State.RESOLVED, responsible_person=people.agent)

    assert "return_visit" not in offered(complaint, people.agent)
    with pytest.raises(PermissionRefused) as refused:
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=people.agent,
                                    satisfied=satisfied, rating=3, comment="So-so.",
                                    method="PHONE")
    assert str(refused.value.message) == (
        "The person responsible for this complaint may not record its return visit."
    )
    assert "return_visit" in offered(complaint, people.supervisor)
    assert fresh(complaint).state == State.RESOLVED


@pytest.mark.django_db
@pytest.mark.parametrize(("solution_type", "compensation"), [
    ("REFUND", Decimal("0.00")),
    ("COMPENSATION", Decimal("0.00")),
    ("REPAIR", Decimal("50.00")),
])
def test_a_plan_that_moves_money_waits_for_the_customer_before_the_reply(
        people, solution_type, compensation):
    complaint = people.build(State.IN_PROGRESS, solution_type=solution_type,
                             compensation_amount=compensation)

    assert complaint.current_plan.customer_decision == CustomerDecision.PENDING
    assert "reply" not in offered(complaint, people.agent)
    assert "request_confirmation" in offered(complaint, people.handler)
    with pytest.raises(TransitionRefused) as refused:
        attempt("reply", complaint, people.agent, people)
    assert str(refused.value.message) == (
        "The customer has not yet confirmed the plan; it cannot be executed or replied to "
        "before they do."
    )

    attempt("request_confirmation", complaint, people.handler, people)
    assert fresh(complaint).state == State.AWAIT_CUSTOMER
    s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint), agree=True)

    assert fresh(complaint).state == State.IN_PROGRESS
    assert fresh(complaint).current_plan.customer_decision == CustomerDecision.CONFIRMED
    assert "reply" in offered(complaint, people.agent)
    assert attempt("reply", complaint, people.agent, people).state == State.RESOLVED


@pytest.mark.django_db
def test_a_plan_without_money_needs_no_confirmation(people):
    complaint = people.build(State.IN_PROGRESS, solution_type="REPAIR")

    assert complaint.current_plan.customer_decision == CustomerDecision.NOT_NEEDED
    assert "request_confirmation" not in offered(complaint, people.handler)
    assert attempt("reply", complaint, people.agent, people).state == State.RESOLVED


@pytest.mark.django_db
def test_a_customer_who_declines_sends_the_complaint_back_for_a_new_plan(people):
    complaint = people.build(State.AWAIT_CUSTOMER)

    with pytest.raises(DomainError) as no_reason:
        s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint),
                                    agree=False, comment="")
    s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint), agree=False,
                                comment="I want an exchange, not a refund.")

    complaint = fresh(complaint)
    assert str(no_reason.value.message) == (
        "Please tell us why the proposal does not work for you."
    )
    assert complaint.state == State.IN_PROGRESS
    assert complaint.current_plan.customer_decision == CustomerDecision.DECLINED
    assert "reply" not in offered(complaint, people.agent)
    assert "plan" in offered(complaint, people.handler)


@pytest.mark.django_db
def test_a_not_satisfied_customer_reopens_the_complaint_and_handling_resumes(people):
    complaint = people.build(State.RESOLVED)

    s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None, satisfied=False,
                                rating=1, comment="Still broken.", method="ONLINE")
    reopened = fresh(complaint)
    attempt("resume", reopened, people.handler, people)

    assert reopened.state == State.REOPENED
    assert reopened.reopen_count == complaint.reopen_count + 1
    assert reopened.is_open
    assert fresh(complaint).state == State.IN_PROGRESS


@pytest.mark.django_db
def test_an_agent_reopens_a_replied_complaint_with_a_reason(people):
    complaint = people.build(State.RESOLVED)

    with pytest.raises(DomainError):
        s.complaint_reopen(complaint_pk=complaint.pk, version=complaint.version,
                           actor=people.agent, reason="")
    attempt("reopen", complaint, people.agent, people)

    assert fresh(complaint).state == State.REOPENED
    assert fresh(complaint).reopen_count == 1


@pytest.mark.django_db
def test_archiving_is_refused_before_a_return_visit(people):
    complaint = people.build(State.RESOLVED)

    assert "archive" not in offered(complaint, people.agent)
    with pytest.raises(TransitionRefused):
        attempt("archive", complaint, people.agent, people)
    assert fresh(complaint).state == State.RESOLVED


@pytest.mark.django_db
@pytest.mark.parametrize(("visit_result", "archivable"), [
    ("", False),
    (Complaint.ReturnVisitResult.DISSATISFIED, False),
    (Complaint.ReturnVisitResult.SATISFIED, True),
    (Complaint.ReturnVisitResult.NO_RESPONSE, True),
])
def test_archiving_needs_the_return_visit_result_recorded(people, visit_result, archivable):
    complaint = people.build(State.RETURN_VISIT)
    # The result as another writer (the follow-up sweep, an import) may have left it.
    Complaint.objects.filter(pk=complaint.pk).update(return_visit_result=visit_result)

    if archivable:
        attempt("archive", complaint, people.agent, people)
        assert fresh(complaint).state == State.CLOSED
    else:
        assert "archive" not in offered(complaint, people.agent)
        with pytest.raises(TransitionRefused):
            attempt("archive", complaint, people.agent, people)
        assert fresh(complaint).state == State.RETURN_VISIT


@pytest.mark.django_db
def test_archiving_without_a_visit_says_what_is_missing(people):
    complaint = people.build(State.RETURN_VISIT)
    Complaint.objects.filter(pk=complaint.pk).update(return_visit_result="")

    with pytest.raises(TransitionRefused) as refused:
        attempt("archive", complaint, people.agent, people)

    assert str(refused.value.message) == "Record the return visit before archiving."


@pytest.mark.django_db
def test_an_archived_complaint_is_read_only(people):
    complaint = people.build(State.CLOSED)

    with pytest.raises(CaseReadOnly) as staff_note:
        ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=people.supervisor,
                        text="One more thing", customer_visible=False)
    with pytest.raises(CaseReadOnly):
        ticket_customer_add_info(ticket_model=Complaint, ticket_pk=complaint.pk,
                                 text="One more thing")
    with pytest.raises(CaseReadOnly):
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None, satisfied=False,
                                    rating=1, comment="Broken again.", method="ONLINE")

    assert str(staff_note.value.message) == (
        "This case is archived and read-only; it can only be reopened."
    )
    assert fresh(complaint).events.count() == complaint.events.count()
    assert fresh(complaint).state == State.CLOSED


@pytest.mark.django_db
def test_only_a_supervisor_reopens_an_archived_complaint(people):
    complaint = people.build(State.CLOSED)

    with pytest.raises(PermissionRefused):
        attempt("reopen", complaint, people.agent, people)
    attempt("reopen", complaint, people.supervisor, people)

    complaint = fresh(complaint)
    assert complaint.state == State.REOPENED
    assert complaint.reopen_count == 1
    assert complaint.is_open


@pytest.mark.django_db
@pytest.mark.parametrize("state", ESCALATABLE_STATES)
def test_escalation_keeps_the_state_and_raises_the_level(people, state):
    complaint = people.build(state)

    attempt("escalate", complaint, people.agent, people)
    attempt("escalate", complaint, people.supervisor, people)

    after = fresh(complaint)
    assert after.state == state
    assert after.escalation_level == complaint.escalation_level + 2
    assert after.escalated_at is not None


@pytest.mark.django_db
def test_escalation_needs_a_reason(people):
    complaint = people.build(State.IN_PROGRESS)

    with pytest.raises(DomainError) as refused:
        s.complaint_escalate(complaint_pk=complaint.pk, version=complaint.version,
                             actor=people.agent, reason="  ")

    assert str(refused.value.message) == "Say why the complaint is escalated."
    assert fresh(complaint).escalation_level == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("category", "subcategory", "message"), [
    ("QUAL", "DELAY", "The sub-category does not belong to the chosen category."),
    ("LOGI", "FUNC", "The sub-category does not belong to the chosen category."),
    ("CONTRACT", "FUNC", "The sub-category does not belong to the chosen category."),
    ("QUAL", "", "Choose a sub-category for this category."),
])
def test_classification_refuses_a_sub_category_of_another_category(people, category,
                                                                    subcategory, message):
    complaint = people.build(State.ACCEPTED)

    with pytest.raises(DomainError) as refused:
        s.complaint_classify(complaint_pk=complaint.pk, version=complaint.version,
                             actor=people.agent, category=category, subcategory=subcategory,
                             severity="S4", department=people.dept)

    assert str(refused.value.message) == message
    assert fresh(complaint).state == State.ACCEPTED


@pytest.mark.django_db
def test_classification_refuses_a_handler_from_another_department(people):
    complaint = people.build(State.ACCEPTED)

    with pytest.raises(DomainError) as refused:
        s.complaint_classify(complaint_pk=complaint.pk, version=complaint.version,
                             actor=people.agent, category="QUAL", subcategory="FUNC",
                             severity="S4", department=people.dept,
                             assignee=people.other_handler)

    assert str(refused.value.message) == "The handler must belong to the responsible department."


@pytest.mark.django_db
@pytest.mark.parametrize(("severity", "allowed"), [
    ("S1", True), ("S2", True), ("S3", True), ("S4", False), ("S5", False),
])
def test_regulator_transfers_are_never_classified_below_s3(people, severity, allowed):
    complaint = people.build(State.ACCEPTED, channel=Channel.REGULATOR,
                             regulator_case_number="12315-2026-001")
    assert complaint.severity == "S3"

    classify = dict(complaint_pk=complaint.pk, version=complaint.version, actor=people.agent,
                    category="QUAL", subcategory="FUNC", severity=severity,
                    department=people.dept)
    if allowed:
        assert s.complaint_classify(**classify).severity == severity
    else:
        with pytest.raises(DomainError) as refused:
            s.complaint_classify(**classify)
        assert str(refused.value.message) == "Regulator transfers are at least severity S3."
        assert fresh(complaint).state == State.ACCEPTED


# --- repeat complaints (T21) ----------------------------------------------------------

SAME_CUSTOMER = {"phone": "13812345678", "email": "zhangsan@example.com"}
OTHER_CUSTOMER = {"phone": "13987654321", "email": "lisi@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "second", "is_repeat"), [
    ({"order": "A"}, {"order": "A"}, True),
    ({"category_hint": "LOGI"}, {"category_hint": "LOGI"}, True),
    ({"order": "A", "category_hint": "LOGI"}, {"order": "B", "category_hint": "LOGI"}, True),
    ({"order": "A", "category_hint": "QUAL"}, {"order": "A", "category_hint": "LOGI"}, True),
    ({"order": "A", "category_hint": "QUAL"}, {"order": "B", "category_hint": "LOGI"}, False),
    ({"order": "A", **OTHER_CUSTOMER}, {"order": "A"}, False),
    ({"category_hint": "LOGI", **OTHER_CUSTOMER}, {"category_hint": "LOGI"}, False),
])
def test_a_complaint_about_the_same_order_or_category_is_flagged_as_a_repeat(
        people, first, second, is_repeat):
    owner = Customer.objects.create(name="Order owner")
    orders = {"A": OrderFactory(customer=owner), "B": OrderFactory(customer=owner)}

    def register(spec):
        values = {**SAME_CUSTOMER, **spec}
        order = values.pop("order", None)
        return s.complaint_register(
            intake=intake(**values, order_number=orders[order].number if order else ""),
            actor=None)

    earlier = register(first)
    later = register(second)

    assert later.repeat_of_id == (earlier.pk if is_repeat else None)
    assert earlier.repeat_of_id is None


@pytest.mark.django_db
@pytest.mark.parametrize(("days_ago", "still_open", "is_repeat"), [
    (settings.REPEAT_COMPLAINT_WINDOW_DAYS - 1, False, True),
    (settings.REPEAT_COMPLAINT_WINDOW_DAYS + 1, False, False),
    (settings.REPEAT_COMPLAINT_WINDOW_DAYS + 10, True, True),
])
def test_the_repeat_window_is_thirty_days_after_closure_unless_the_earlier_one_is_open(
        people, days_ago, still_open, is_repeat):
    earlier = people.build(
        State.REGISTERED if still_open else State.CLOSED, category_hint="QUAL",
        received_at=timezone.now() - timedelta(days=days_ago + 5),
    )
    if not still_open:
        Complaint.objects.filter(pk=earlier.pk).update(
            closed_at=timezone.now() - timedelta(days=days_ago))

    later = s.complaint_register(intake=intake(category_hint="QUAL"), actor=None)

    assert later.repeat_of_id == (earlier.pk if is_repeat else None)


@pytest.mark.django_db
def test_a_complaint_that_was_not_accepted_is_not_what_a_new_one_repeats(people):
    refused = people.build(State.NOT_ACCEPTED, category_hint="QUAL")
    open_one = people.build(State.REGISTERED, category_hint="QUAL",
                            received_at=refused.received_at - timedelta(days=1))

    later = s.complaint_register(intake=intake(category_hint="QUAL"), actor=None)

    assert later.repeat_of_id == open_one.pk


@pytest.mark.django_db
def test_classification_links_a_repeat_to_the_earlier_complaint_only(people):
    earlier = people.build(State.ACCEPTED)
    later = people.build(State.ACCEPTED, category_hint="QUAL")
    assert later.repeat_of_id is None  # nothing said it was about quality when it came in

    classify = dict(actor=people.agent, category="QUAL", subcategory="FUNC", severity="S4",
                    department=people.dept)
    s.complaint_classify(complaint_pk=earlier.pk, version=earlier.version, **classify)
    s.complaint_classify(complaint_pk=later.pk, version=later.version, **classify)

    assert fresh(earlier).repeat_of_id is None
    assert fresh(later).repeat_of_id == earlier.pk


# --- property: what is offered is exactly what the services accept ------------------

CUSTOMER_MOVES = ("confirm", "decline", "satisfied", "not_satisfied")


def _customer_move(complaint: Complaint, move: str) -> bool:
    """The customer answers through the tracking page, which offers only what is open."""
    forms = TrackingView()._forms(complaint)
    if move in ("confirm", "decline") and "decision" in forms:
        shown = forms["decision"].initial  # the proposal the page names
        s.complaint_customer_decide(complaint_pk=complaint.pk, plan_pk=shown["plan"],
                                    plan_version=shown["plan_version"], agree=move == "confirm",
                                    comment="" if move == "confirm" else "Too little.")
        return True
    if move in ("satisfied", "not_satisfied") and "feedback" in forms:
        s.complaint_record_feedback(complaint_pk=complaint.pk, actor=None,
                                    satisfied=move == "satisfied", rating=3,
                                    comment="Still broken.", method="ONLINE")
        return True
    return False


@pytest.mark.django_db
@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture,
                                            HealthCheck.too_slow])
@given(data=st.data())
def test_any_sequence_of_attempts_keeps_the_lifecycle_consistent(people, data):
    complaint = s.complaint_register(intake=intake(), actor=None)
    users = {role: getattr(people, role) for role in ROLES}

    for _ in range(data.draw(st.integers(min_value=1, max_value=30), label="steps")):
        before = fresh(complaint)
        events_before = before.events.count()
        role = data.draw(st.sampled_from((*ROLES, "customer")), label="who")
        if role == "customer":
            moved = _customer_move(before, data.draw(st.sampled_from(CUSTOMER_MOVES)))
        else:
            user = users[role]
            open_to_user = sorted(offered(before, user))
            action = data.draw(st.sampled_from(open_to_user or sorted(ACTIONS)) | st.sampled_from(
                sorted(ACTIONS)), label=f"{role} tries")
            choices = {
                "severity": data.draw(st.sampled_from(["S1", "S3", "S4", "S5"])),
                "solution_type": data.draw(st.sampled_from(["REPAIR", "REFUND"])),
                "responsible_person": data.draw(st.sampled_from(
                    [None, people.agent, people.supervisor])),
            }
            try:
                attempt(action, before, user, people, **choices)
                moved = True
            except REFUSALS:
                moved = False
            assert moved == (action in open_to_user), (before.state, role, action)

        after = fresh(complaint)
        assert after.stage == STAGE_OF_STATE[after.state]
        assert after.is_open == (after.state not in FINAL_STATES)
        assert after.version == before.version + (1 if moved else 0)
        assert after.events.count() == events_before + (1 if moved else 0)
        assert after.state != State.RECEIVED
