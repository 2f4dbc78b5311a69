"""Price, promotion, coupon and points complaints (domain.md §5.6): the fixed steps
record → investigate → draft → consent → execute, in that order, with consent required.

The compensation goes through the kernel ledger: the handler drafts (proposes the line), an
agent approves it within the cap, the customer consents to that version, an agent executes.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.cases.kinds import CaseKind, find_kind, register_kind, unregister_kind
from aftersales.compensation.models import CompensationLine
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.models import Notification, ProductPrice, Ticket
from complaints import disputes as ds
from complaints import services as s
from complaints.choices import DisputeStep, State
from complaints.models import Complaint, DisputeDetails
from tests.factories import (
    OrderLineFactory,
    checked_evidence,
    complaint_in_state,
    make_staff,
    proposal_of,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def make_line():
    """The order line complained about: bought for 299 yuan."""
    return OrderLineFactory(unit_price=Decimal("299.00"))


def case_maker(agent, handler, supervisor, dept, line):
    """Builds a dispute complaint of ``category`` at the start of handling (ANALYSING)."""
    def make(category: str = "PRICE", severity: str = "S4") -> Complaint:
        return complaint_in_state(State.ANALYSING, agent=agent, handler=handler,
                                  supervisor=supervisor, dept=dept, severity=severity,
                                  category_hint=category, order_number=line.order.number)
    return make


def raise_before_discount(line) -> None:
    """List price raised from 299 to 399 the day before a discount to 299: Art. 16 and 17."""
    start = line.order.placed_at - timedelta(hours=2)
    for kind, price, valid_from, valid_to in [
        ("LIST", "299.00", start - timedelta(days=40), start - timedelta(days=1)),
        ("LIST", "399.00", start - timedelta(days=1), None),
        ("DEAL", "299.00", start, start + timedelta(days=3)),
    ]:
        ProductPrice.objects.create(product=line.product, kind=kind, price=Decimal(price),
                                    valid_from=valid_from, valid_to=valid_to)


@pytest.fixture
def line(db):
    return make_line()


@pytest.fixture
def legal(db):
    return make_staff("legal1", "legal")


@pytest.fixture
def marketing(db):
    return make_staff("marketing1", "marketing")


@pytest.fixture
def dispute_case(agent, handler, supervisor, quality_dept, line):
    return case_maker(agent, handler, supervisor, quality_dept, line)


def fresh(complaint) -> Complaint:
    return Complaint.objects.select_related("current_plan", "dispute").get(pk=complaint.pk)


def dispute(complaint) -> DisputeDetails:
    return DisputeDetails.objects.get(pk=complaint.pk)


def investigate(complaint, actor, **found) -> Complaint:
    values = {"cause": "SYSTEM_ERROR", "findings": "The price feed doubled the discount."}
    values.update(found)
    c = fresh(complaint)
    return ds.dispute_investigate(complaint_pk=c.pk, version=c.version, actor=actor,
                                  found=ds.Investigation(**values))


def draft(complaint, actor, dept, remedy="PRICE_DIFFERENCE", amount="50.00", points=None):
    c = fresh(complaint)
    return ds.dispute_draft(complaint_pk=c.pk, version=c.version, actor=actor, draft=ds.Draft(
        remedy=remedy, amount=Decimal(amount), points=points, responsible_department=dept,
        measures="We refund the difference to your original payment.",
        deadline=timezone.now() + timedelta(days=3)))


def approve(complaint, actor) -> Complaint:
    c = fresh(complaint)
    return ds.dispute_approve_compensation(complaint_pk=c.pk, version=c.version, actor=actor)


def ask(complaint, actor) -> Complaint:
    c = fresh(complaint)
    return s.complaint_request_confirmation(complaint_pk=c.pk, version=c.version, actor=actor,
                                            message="We propose to refund the difference.")


def answer(complaint, agree=True, comment="") -> Complaint:
    return s.complaint_customer_decide(complaint_pk=complaint.pk, **proposal_of(complaint),
                                       agree=agree, comment=comment)


def execute(complaint, actor) -> Complaint:
    c = fresh(complaint)
    return ds.dispute_execute(complaint_pk=c.pk, version=c.version, actor=actor)


def reply(complaint, actor) -> Complaint:
    c = fresh(complaint)
    return s.complaint_reply(complaint_pk=c.pk, version=c.version, actor=actor,
                             text="The difference was refunded.", outcome="SOLVED")


def ledger_line(complaint) -> CompensationLine:
    return CompensationLine.objects.get(pk=dispute(complaint).compensation_line_id)


# --- record --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_classifying_a_price_complaint_records_the_dispute_with_the_price_paid(dispute_case):
    complaint = dispute_case("PRICE")

    recorded = dispute(complaint)
    assert (recorded.kind, recorded.step) == ("PRICE", DisputeStep.RECORDED)
    assert recorded.charged_price == Decimal("299.00")
    assert complaint.events.filter(action="complaints.dispute.recorded").count() == 1


@pytest.mark.django_db
def test_other_categories_have_no_dispute(build):
    complaint = build(State.ANALYSING)

    assert not DisputeDetails.objects.filter(pk=complaint.pk).exists()


# --- the steps in order ------------------------------------------------------------------

@pytest.mark.django_db
def test_the_full_price_difference_flow(dispute_case, handler, agent, quality_dept):
    complaint = dispute_case("PRICE")

    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)
    approve(complaint, agent)
    ask(complaint, agent)
    assert fresh(complaint).state == State.AWAIT_CUSTOMER
    answer(fresh(complaint), agree=True)
    execute(complaint, agent)
    reply(complaint, agent)

    done = fresh(complaint)
    assert done.state == State.RESOLVED
    assert done.dispute.step == DisputeStep.EXECUTED
    assert done.dispute.consent_via == "PORTAL"
    line = ledger_line(complaint)
    assert (line.type, line.value, line.reason, line.state) == (
        "PRICE_DIFFERENCE", Decimal("50.00"), "PRICE_CHANGE", "EXECUTED")
    assert (line.proposed_by, line.approved_by, line.executed_by) == (handler, agent, agent)
    assert line.consent_version == line.version
    steps = [e.data["dispute_step"] for e in done.events.order_by("created_at", "id")
             if e.action.startswith("complaints.dispute.")]
    assert steps == ["RECORDED", "INVESTIGATED", "DRAFTED", "EXECUTED"]


@pytest.mark.django_db
@pytest.mark.parametrize("reached", ["RECORDED", "INVESTIGATED", "DRAFTED", "APPROVED",
                                     "AWAIT_CONSENT", "DECLINED"])
def test_nothing_is_executed_before_the_customers_consent(dispute_case, handler, agent,
                                                          quality_dept, reached):
    complaint = dispute_case("PRICE")
    steps = ["INVESTIGATED", "DRAFTED", "APPROVED", "AWAIT_CONSENT", "DECLINED"]
    run = {"INVESTIGATED": lambda: investigate(complaint, handler),
           "DRAFTED": lambda: draft(complaint, handler, quality_dept),
           "APPROVED": lambda: approve(complaint, agent),
           "AWAIT_CONSENT": lambda: ask(complaint, agent),
           "DECLINED": lambda: answer(fresh(complaint), agree=False, comment="Too little.")}
    for step in steps[:steps.index(reached) + 1] if reached in steps else []:
        run[step]()

    with pytest.raises(ds.ConsentMissing, match="nothing is executed before they agree"):
        execute(complaint, agent)

    assert dispute(complaint).executed_at is None
    if dispute(complaint).compensation_line_id:
        assert ledger_line(complaint).state != "EXECUTED"


@pytest.mark.django_db
def test_a_solution_cannot_be_drafted_before_the_cause_is_investigated(dispute_case, handler,
                                                                        quality_dept):
    complaint = dispute_case("PRICE")

    with pytest.raises(TransitionRefused):
        draft(complaint, handler, quality_dept)

    assert not CompensationLine.objects.exists()


@pytest.mark.django_db
def test_the_customer_is_asked_only_once_the_compensation_is_approved(dispute_case, handler,
                                                                       agent, quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)

    with pytest.raises(TransitionRefused):
        ask(complaint, agent)

    approve(complaint, agent)
    assert ask(complaint, agent).state == State.AWAIT_CUSTOMER


@pytest.mark.django_db
def test_the_reply_waits_for_the_execution(dispute_case, handler, agent, quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)
    approve(complaint, agent)
    ask(complaint, agent)
    answer(fresh(complaint), agree=True)

    with pytest.raises(TransitionRefused):
        reply(complaint, agent)

    execute(complaint, agent)
    assert reply(complaint, agent).state == State.RESOLVED


@pytest.mark.django_db
def test_the_drafter_cannot_approve_their_own_compensation(dispute_case, supervisor,
                                                          quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, supervisor)
    draft(complaint, supervisor, quality_dept)

    with pytest.raises(DomainError, match="someone else must approve"):
        approve(complaint, supervisor)


@pytest.mark.django_db
def test_an_amount_above_the_agents_cap_needs_a_supervisor(dispute_case, handler, agent,
                                                          supervisor, quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept, amount="250.00")

    with pytest.raises(DomainError, match="above your approval limit"):
        approve(complaint, agent)

    approve(complaint, supervisor)
    assert ledger_line(complaint).state == "APPROVED"


@pytest.mark.django_db
def test_a_declined_offer_is_redrafted_and_needs_a_new_consent(dispute_case, handler, agent,
                                                               quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept, amount="30.00")
    approve(complaint, agent)
    ask(complaint, agent)
    answer(fresh(complaint), agree=False, comment="The difference was 50 yuan.")
    assert dispute(complaint).step == DisputeStep.DECLINED
    assert ledger_line(complaint).state == "DECLINED"

    draft(complaint, handler, quality_dept, amount="50.00")
    line = ledger_line(complaint)
    assert (line.version, line.value, line.state) == (2, Decimal("50.00"), "PROPOSED")
    approve(complaint, agent)
    ask(complaint, agent)
    answer(fresh(complaint), agree=True)
    execute(complaint, agent)

    line = ledger_line(complaint)
    assert (line.state, line.consent_version) == ("EXECUTED", 2)
    assert CompensationLine.objects.count() == 1


@pytest.mark.django_db
def test_an_agent_records_consent_given_by_phone_with_a_note(dispute_case, handler, agent,
                                                             quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)
    approve(complaint, agent)
    ask(complaint, agent)
    c = fresh(complaint)
    with pytest.raises(DomainError, match="Note what the customer said"):
        s.complaint_record_phone_consent(complaint_pk=c.pk, version=c.version, actor=agent,
                                         **_plan(c), agree=True, note=" ")

    s.complaint_record_phone_consent(complaint_pk=c.pk, version=c.version, actor=agent,
                                     **_plan(c), agree=True,
                                     note="Customer agreed on the phone at 10:05.")

    recorded = dispute(complaint)
    assert (recorded.step, recorded.consent_via, recorded.consent_recorded_by) == (
        DisputeStep.CONSENTED, "PHONE", agent)
    assert ledger_line(complaint).consent_via == "PHONE"


@pytest.mark.django_db
def test_a_handler_may_not_record_a_phone_consent(dispute_case, handler, agent, quality_dept):
    complaint = dispute_case("PRICE")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)
    approve(complaint, agent)
    ask(complaint, agent)
    c = fresh(complaint)

    with pytest.raises(PermissionRefused):
        s.complaint_record_phone_consent(complaint_pk=c.pk, version=c.version, actor=handler,
                                         **_plan(c), agree=True, note="Said yes.")


def _plan(complaint) -> dict:
    return {"plan_pk": complaint.current_plan_id,
            "plan_version": complaint.current_plan.version}


@pytest.mark.django_db
def test_a_serious_case_goes_through_plan_approval_too(dispute_case, handler, agent,
                                                       supervisor, quality_dept):
    complaint = dispute_case("PRICE", severity="S2")
    investigate(complaint, handler)
    draft(complaint, handler, quality_dept)
    assert fresh(complaint).state == State.PLAN_APPROVAL

    c = fresh(complaint)
    s.complaint_decide_plan(complaint_pk=c.pk, version=c.version, actor=supervisor,
                            approve=True)
    approve(complaint, agent)

    assert ask(complaint, agent).state == State.AWAIT_CUSTOMER


@pytest.mark.django_db
def test_the_generic_plan_is_not_used_for_a_dispute(dispute_case, handler, quality_dept):
    complaint = dispute_case("PRICE")
    c = fresh(complaint)

    with pytest.raises(TransitionRefused):
        s.complaint_submit_plan(complaint_pk=c.pk, version=c.version, actor=handler,
                                plan=s.PlanInput(
                                    cause="HUMAN", liability="COMPANY",
                                    responsible_department=quality_dept,
                                    solution_type="PRICE_DIFF", measures="Refund.",
                                    deadline=timezone.now() + timedelta(days=2)))


# --- price change: cause and return-refund -------------------------------------------------

@pytest.mark.django_db
def test_a_price_cause_is_a_system_or_human_error(dispute_case, handler):
    complaint = dispute_case("PRICE")

    with pytest.raises(DomainError, match="System error, Human error"):
        investigate(complaint, handler, cause="OPERATOR_ERROR")

    investigate(complaint, handler, cause="HUMAN_ERROR")
    assert dispute(complaint).cause == "HUMAN_ERROR"


@pytest.fixture
def return_kind():
    """A stand-in RETURN kind with a spawn handler, as the returns app registers it."""
    before = find_kind("RETURN")
    calls = []

    def spawn(*, origin, actor, reason, **details):
        calls.append({"origin": origin.pk, "reason": reason, **details})
        return Ticket.objects.create(number="RT-20261201-0099", kind="RETURN",
                                     channel="OTHERDEPT", customer=origin.customer,
                                     order_line=details["order_line"], origin=origin,
                                     received_at=timezone.now())

    register_kind(CaseKind(code="RETURN", prefix=before.prefix if before else "RT",
                           label="Return", label_plural="Returns", model="aftersales.Ticket",
                           detail_url_name="", subject=lambda t: "", spawn=spawn))
    yield calls
    unregister_kind("RETURN")
    if before is not None:
        register_kind(before)


def _return_refund_until_consent(complaint, handler, agent, dept):
    investigate(complaint, handler)
    draft(complaint, handler, dept, remedy="RETURN_REFUND", amount="0")
    ask(complaint, agent)
    answer(fresh(complaint), agree=True)


@pytest.mark.django_db
def test_a_return_refund_opens_a_linked_return_order(dispute_case, handler, agent,
                                                     quality_dept, line, return_kind):
    complaint = dispute_case("PRICE")
    _return_refund_until_consent(complaint, handler, agent, quality_dept)

    execute(complaint, agent)

    recorded = dispute(complaint)
    assert recorded.step == DisputeStep.EXECUTED
    assert recorded.return_case.origin_id == complaint.pk
    assert return_kind == [{"origin": complaint.pk, "order_line": line,
                            "request_type": "RETURN_REFUND",
                            "reason": f"Return and refund agreed on complaint {complaint.number}"}]
    assert not CompensationLine.objects.exists()


@pytest.mark.django_db
def test_without_a_return_kind_the_return_refund_is_refused_with_the_reason(
        dispute_case, handler, agent, quality_dept):
    before = find_kind("RETURN")
    unregister_kind("RETURN")
    try:
        complaint = dispute_case("PRICE")
        _return_refund_until_consent(complaint, handler, agent, quality_dept)

        with pytest.raises(DomainError, match="Return orders cannot be opened"):
            execute(complaint, agent)
    finally:
        if before is not None:
            register_kind(before)
    assert dispute(complaint).step == DisputeStep.CONSENTED


# --- promotion breach ----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_promotion_breach_is_classified_and_marketing_and_legal_are_told(
        dispute_case, handler, legal, marketing, agent, django_capture_on_commit_callbacks):
    complaint = dispute_case("PROMO")

    with pytest.raises(DomainError, match="Classify the promotion breach"):
        investigate(complaint, handler, cause="", promotion_class="")
    with django_capture_on_commit_callbacks(execute=True):
        investigate(complaint, handler, cause="", promotion_class="FALSE_ADVERTISING",
                    activity="Double 11: buy 2 get 1")

    told = set(Notification.objects.filter(ticket_id=complaint.pk,
                                           event="complaints.notify.promotion_breach")
               .values_list("recipient__username", flat=True))
    assert told == {"legal1", "marketing1"}
    assert dispute(complaint).promotion_class == "FALSE_ADVERTISING"


@pytest.mark.django_db
def test_a_promotion_remedy_waits_for_the_activity_to_be_stopped(
        dispute_case, handler, agent, marketing, quality_dept):
    complaint = dispute_case("PROMO")
    investigate(complaint, handler, cause="", promotion_class="RULE_BREACH",
                activity="Full 300 minus 50")
    draft(complaint, handler, quality_dept, remedy="COMPENSATE", amount="50.00")
    approve(complaint, agent)
    ask(complaint, agent)
    answer(fresh(complaint), agree=True)

    with pytest.raises(TransitionRefused, match="Stop the promotion"):
        execute(complaint, agent)
    c = fresh(complaint)
    with pytest.raises(PermissionRefused):
        ds.dispute_stop_activity(complaint_pk=c.pk, version=c.version, actor=handler,
                                 note="Stopped.")
    ds.dispute_stop_activity(complaint_pk=c.pk, version=c.version, actor=marketing,
                             note="Activity taken offline at 14:00.")
    execute(complaint, agent)

    assert ledger_line(complaint).type == "CASH"
    assert dispute(complaint).activity_stopped_by == marketing


# --- coupons and points ------------------------------------------------------------------

@pytest.mark.django_db
def test_coupon_causes_and_a_points_extension(dispute_case, handler, agent, quality_dept):
    complaint = dispute_case("COUPON")

    with pytest.raises(DomainError):
        investigate(complaint, handler, cause="HUMAN_ERROR")
    investigate(complaint, handler, cause="SYSTEM_FAULT", coupon_code="C-2026-11",
                points=500)
    with pytest.raises(DomainError, match="number of points"):
        draft(complaint, handler, quality_dept, remedy="EXTEND_POINTS", amount="0")
    draft(complaint, handler, quality_dept, remedy="EXTEND_POINTS", amount="0", points=500)

    line = ledger_line(complaint)
    assert (line.type, line.points, line.reason) == ("POINTS_EXTENSION", 500, "COUPON_FAULT")


@pytest.mark.django_db
def test_a_coupon_remedy_must_fit_the_dispute(dispute_case, handler, quality_dept):
    complaint = dispute_case("COUPON")
    investigate(complaint, handler, cause="OPERATOR_ERROR")

    with pytest.raises(DomainError, match="does not fit"):
        draft(complaint, handler, quality_dept, remedy="PRICE_DIFFERENCE")

    draft(complaint, handler, quality_dept, remedy="REISSUE_COUPON", amount="20.00")
    assert ledger_line(complaint).type == "REISSUE_COUPON"


# --- the price-fraud flag ----------------------------------------------------------------

@pytest.fixture
def raised_before_discount(line):
    raise_before_discount(line)


@pytest.mark.django_db
def test_a_price_raised_before_the_discount_flags_price_fraud_for_legal(
        raised_before_discount, dispute_case, legal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = dispute_case("PRICE")

    recorded = dispute(complaint)
    assert recorded.fraud_flagged
    assert {f["rule"] for f in recorded.fraud_findings} == {"PRICE_ART16_REFERENCE",
                                                            "PRICE_ART17_RAISED"}
    assert list(Notification.objects.filter(event="complaints.notify.price_fraud")
                .values_list("recipient__username", flat=True)) == ["legal1"]


@pytest.mark.django_db
def test_a_steady_price_history_raises_no_flag(line, dispute_case, legal,
                                               django_capture_on_commit_callbacks):
    ProductPrice.objects.create(product=line.product, kind="LIST", price=Decimal("299.00"),
                                valid_from=line.order.placed_at - timedelta(days=60))

    with django_capture_on_commit_callbacks(execute=True):
        complaint = dispute_case("PRICE")

    assert not dispute(complaint).fraud_flagged
    assert not Notification.objects.filter(event="complaints.notify.price_fraud").exists()


@pytest.mark.django_db
def test_a_was_price_found_in_the_investigation_is_checked_again(
        line, dispute_case, handler, legal, django_capture_on_commit_callbacks):
    placed = line.order.placed_at
    ProductPrice.objects.create(product=line.product, kind="LIST", price=Decimal("299.00"),
                                valid_from=placed - timedelta(days=60))
    ProductPrice.objects.create(product=line.product, kind="DEAL", price=Decimal("249.00"),
                                valid_from=placed - timedelta(hours=1))
    complaint = dispute_case("PRICE")
    assert not dispute(complaint).fraud_flagged

    with django_capture_on_commit_callbacks(execute=True):
        investigate(complaint, handler, was_price=Decimal("459.00"))

    assert dispute(complaint).fraud_flagged
    assert Notification.objects.filter(event="complaints.notify.price_fraud").count() == 1


@pytest.mark.django_db
def test_the_evidence_is_kept_on_the_case_for_staff_only(dispute_case, handler):
    complaint = dispute_case("PROMO")
    c = fresh(complaint)

    ds.dispute_investigate(
        complaint_pk=c.pk, version=c.version, actor=handler,
        found=ds.Investigation(promotion_class="FALSE_ADVERTISING", findings="Snapshot kept."),
        uploads=[checked_evidence("page.png"), checked_evidence("ad.pdf")])

    event = complaint.events.get(action="complaints.dispute.investigated")
    files = list(event.attachments.all())
    assert sorted(a.original_name for a in files) == ["ad.pdf", "page.png"]
    assert not any(a.customer_visible for a in files)
    assert event.data["evidence_files"] == 2
