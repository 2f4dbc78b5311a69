"""Price, promotion, coupon and points complaints (domain.md §5.6): the fixed steps.

record → investigate the cause → draft the solution → the customer's consent → execute.

The record is made when a complaint is classified into one of the three categories. Every
other step is a use case here, one transaction each, on the complaint locked first and its
dispute after it. Compensation goes through the kernel's ledger
(``aftersales.compensation.services``); a return-refund opens a linked return order through
the kind registry. Nothing is executed before the customer's consent.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from aftersales.cases.kinds import spawn_case, spawnable
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.services import (
    attachments_store,
    ticket_lock,
    ticket_save,
    ticket_transition,
    timeline_record,
)
from aftersales.cases.uploads import CheckedUpload
from aftersales.catalog.prices import price_fraud_check
from aftersales.core import outbox
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.models import Department, TimelineEvent
from aftersales.people.services import Actor

from .choices import (
    CAUSES_BY_KIND,
    DISPUTE_CATEGORIES,
    LEDGER_REASON_OF_KIND,
    LINE_TYPE_OF_REMEDY,
    POINTS_REMEDIES,
    REMEDIES_BY_KIND,
    SOLUTION_OF_REMEDY,
    Cause,
    CustomerDecision,
    DisputeCause,
    DisputeKind,
    DisputeRemedy,
    DisputeStep,
    PlanStatus,
    PromotionClass,
    State,
)
from .models import Complaint, DisputeDetails, HandlingPlan, dispute_of

ACTION = "complaints.dispute.{}".format
LEGAL_ROLE = "legal"
MARKETING_ROLE = "marketing"
# The plan's cause (domain.md §3.4) for each cause of §5.6.
PLAN_CAUSE = {
    DisputeCause.SYSTEM_ERROR: Cause.SOFTWARE, DisputeCause.SYSTEM_FAULT: Cause.SOFTWARE,
    DisputeCause.HUMAN_ERROR: Cause.HUMAN, DisputeCause.OPERATOR_ERROR: Cause.HUMAN,
}


class LedgerUnavailable(DomainError):
    default_message = _("The compensation ledger is not available yet; no compensation can "
                        "be proposed, approved or paid.")


class ConsentMissing(TransitionRefused):
    default_message = _("The customer has not consented to this solution: nothing is executed "
                        "before they agree.")


def ledger():
    try:
        from aftersales.compensation import services
    except ImportError as missing:
        raise LedgerUnavailable() from missing
    return services


def notify_roles(complaint: Complaint, event: str, roles: list[str]) -> None:
    outbox.enqueue("complaints.notify_roles", [complaint.pk, event, roles])


def _lock(complaint_pk: int, version: int | None) -> tuple[Complaint, DisputeDetails]:
    complaint = ticket_lock(Complaint, complaint_pk, version=version)
    try:
        dispute = DisputeDetails.objects.select_for_update().get(pk=complaint.pk)
    except DisputeDetails.DoesNotExist as missing:
        raise TransitionRefused(_("This complaint is not a price, promotion or coupon "
                                  "dispute.")) from missing
    dispute.complaint = complaint
    complaint.dispute = dispute
    return complaint, dispute


def _step(dispute: DisputeDetails, name: str, actor: Actor, *,
          check_permission: bool = True) -> str:
    """Run one transition of the dispute's steps; returns the step it left."""
    method = getattr(dispute, name)
    if not can_proceed(method):
        raise TransitionRefused()
    if check_permission and not (has_transition_perm(method, actor)
                                 and ticket_in_scope(actor, dispute.complaint)):
        raise PermissionRefused()
    before = dispute.step
    method()
    return before


def _record(complaint: Complaint, dispute: DisputeDetails, action: str, *, actor: Actor,
            from_step: str, note: str = "", data: dict | None = None,
            customer_visible: bool = False, actor_kind: str | None = None) -> TimelineEvent:
    return timeline_record(
        ticket=complaint, action=ACTION(action), actor=actor, note=note,
        data={"dispute_step": dispute.step, "from_step": from_step, **(data or {})},
        customer_visible=customer_visible, actor_kind=actor_kind,
    )


# --- record (at classification) ---------------------------------------------------------

def fraud_check(complaint: Complaint, dispute: DisputeDetails, *, actor: Actor) -> bool:
    """Check the product's price history (PRICE Art. 16-17); tell the legal role once.

    Returns whether the dispute is flagged now.
    """
    if dispute.kind not in (DisputeKind.PRICE, DisputeKind.PROMO) or not complaint.product_id:
        return dispute.fraud_flagged
    bought = complaint.order.placed_at if complaint.order_id else complaint.received_at
    findings = price_fraud_check(complaint.product_id, at=bought, was_price=dispute.was_price)
    was_flagged = dispute.fraud_flagged
    dispute.fraud_findings = [finding.as_data() for finding in findings]
    dispute.fraud_flagged = bool(findings)
    dispute.fraud_checked_at = timezone.now()
    if dispute.fraud_flagged and not was_flagged:
        timeline_record(ticket=complaint, action=ACTION("fraud_flagged"), actor=actor,
                        data={"rules": [f.rule for f in findings]})
        notify_roles(complaint, "price_fraud", [LEGAL_ROLE])
    return dispute.fraud_flagged


def dispute_record(*, complaint: Complaint, actor: Actor) -> DisputeDetails | None:
    """The first step, inside the classification's transaction: open the sub-flow for a
    price, promotion or coupon complaint, with the price paid from the order line."""
    if complaint.category not in DISPUTE_CATEGORIES:
        return None
    existing = DisputeDetails.objects.filter(pk=complaint.pk).first()
    if existing is not None:
        return existing
    line = complaint.order_line
    dispute = DisputeDetails(
        complaint=complaint, kind=complaint.category,
        charged_price=line.price_paid if line is not None else complaint.price,
    )
    fraud_check(complaint, dispute, actor=actor)
    dispute.save()
    _record(complaint, dispute, "recorded", actor=actor, from_step="",
            data={"dispute": dispute.kind})
    return dispute


# --- investigate --------------------------------------------------------------------------

@dataclass
class Investigation:
    cause: str = ""
    promotion_class: str = ""
    findings: str = ""
    charged_price: Decimal | None = None
    correct_price: Decimal | None = None
    was_price: Decimal | None = None
    activity: str = ""
    coupon_code: str = ""
    points: int | None = None


def _check_investigation(kind: str, found: Investigation) -> None:
    if kind == DisputeKind.PROMO:
        if found.promotion_class not in PromotionClass.values:
            raise DomainError(_("Classify the promotion breach: false advertising, price fraud "
                                "or a rule breach."))
    elif found.cause not in CAUSES_BY_KIND[kind]:
        raise DomainError(_("Give the cause: %(causes)s.") % {"causes": ", ".join(
            str(DisputeCause(c).label) for c in CAUSES_BY_KIND[kind])})
    if not found.findings.strip():
        raise DomainError(_("Write down what the investigation found."))
    for value in (found.charged_price, found.correct_price, found.was_price):
        if value is not None and value < 0:
            raise DomainError(_("Prices cannot be negative."))


def dispute_investigate(*, complaint_pk: int, version: int | None, actor: Actor,
                        found: Investigation, uploads: list[CheckedUpload] = ()) -> Complaint:
    """Record the cause (or the promotion breach's class) and keep the evidence.

    A promotion breach is told to marketing and legal at its first investigation; the
    price history is checked again with the "was" price found.
    """
    with transaction.atomic():
        complaint, dispute = _lock(complaint_pk, version)
        _check_investigation(dispute.kind, found)
        first = dispute.step == DisputeStep.RECORDED
        before = _step(dispute, "investigate", actor)
        dispute.cause = found.cause if dispute.kind != DisputeKind.PROMO else ""
        dispute.promotion_class = (found.promotion_class if dispute.kind == DisputeKind.PROMO
                                   else "")
        dispute.findings = found.findings.strip()
        for name in ("charged_price", "correct_price", "was_price", "points"):
            value = getattr(found, name)
            if value is not None:
                setattr(dispute, name, value)
        dispute.activity = found.activity.strip() or dispute.activity
        dispute.coupon_code = found.coupon_code.strip() or dispute.coupon_code
        dispute.investigated_by = actor
        dispute.investigated_at = timezone.now()
        event = _record(complaint, dispute, "investigated", actor=actor, from_step=before,
                        note=dispute.findings,
                        data={"dispute_cause": dispute.cause,
                              "promotion_class": dispute.promotion_class,
                              "evidence_files": len(uploads)})
        attachments_store(complaint, list(uploads), event=event, customer_visible=False)
        fraud_check(complaint, dispute, actor=actor)
        dispute.save()
        ticket_save(complaint, [])
        if first and dispute.kind == DisputeKind.PROMO:
            notify_roles(complaint, "promotion_breach", [MARKETING_ROLE, LEGAL_ROLE])
    return complaint


def dispute_stop_activity(*, complaint_pk: int, version: int | None, actor: Actor,
                          note: str) -> Complaint:
    """Marketing (or a supervisor) records that the breaching activity was stopped."""
    if not note.strip():
        raise DomainError(_("Say how and when the activity was stopped."))
    with transaction.atomic():
        complaint, dispute = _lock(complaint_pk, version)
        before = _step(dispute, "stop_activity", actor)
        dispute.activity_stopped_at = timezone.now()
        dispute.activity_stopped_by = actor
        dispute.save(update_fields=["activity_stopped_at", "activity_stopped_by"])
        _record(complaint, dispute, "activity_stopped", actor=actor, from_step=before,
                note=note, data={"activity": dispute.activity})
        ticket_save(complaint, [])
    return complaint


# --- draft --------------------------------------------------------------------------------

@dataclass
class Draft:
    remedy: str
    measures: str
    deadline: datetime
    responsible_department: Department
    amount: Decimal = Decimal("0.00")
    points: int | None = None
    responsible_person: object = None
    liability: str = "COMPANY"


def _check_draft(dispute: DisputeDetails, draft: Draft) -> None:
    if draft.remedy not in REMEDIES_BY_KIND[dispute.kind]:
        raise DomainError(_("This remedy does not fit a %(kind)s complaint.")
                          % {"kind": DisputeKind(dispute.kind).label})
    if draft.remedy in POINTS_REMEDIES:
        if not draft.points or draft.points <= 0:
            raise DomainError(_("Give the number of points to extend."))
    elif draft.remedy != DisputeRemedy.RETURN_REFUND and draft.amount <= 0:
        raise DomainError(_("Give the amount in yuan."))
    if draft.amount < 0:
        raise DomainError(_("The amount cannot be negative."))
    if draft.deadline <= timezone.now():
        raise DomainError(_("The deadline must be in the future."))
    if not draft.measures.strip():
        raise DomainError(_("Describe what will be done."))


def _ledger_line(complaint: Complaint, dispute: DisputeDetails, draft: Draft, actor: Actor):
    """Propose the compensation line, or change the one already proposed."""
    if not dispute.needs_ledger_line:
        return None
    services = ledger()
    line_type = LINE_TYPE_OF_REMEDY[draft.remedy]
    points = draft.points if draft.remedy in POINTS_REMEDIES else None
    value = Decimal("0.00") if points is not None else draft.amount
    if dispute.compensation_line_id is not None:
        from aftersales.compensation.models import CompensationLine

        same_type = CompensationLine.objects.filter(pk=dispute.compensation_line_id,
                                                    type=line_type).exists()
        if same_type:
            return services.compensation_change(
                line_pk=dispute.compensation_line_id, actor=actor, value=value, points=points,
                note=draft.measures)
        withdraw = getattr(services, "compensation_withdraw", None)
        if withdraw is not None:
            withdraw(line_pk=dispute.compensation_line_id, actor=actor,
                     note=str(_("Replaced by another remedy.")))
    return services.compensation_propose(
        ticket=complaint, type=line_type, value=value,
        reason=LEDGER_REASON_OF_KIND[dispute.kind], actor=actor, points=points,
        note=draft.measures)


def dispute_draft(*, complaint_pk: int, version: int | None, actor: Actor,
                  draft: Draft) -> Complaint:
    """The solution: a handling plan the customer must consent to, and its ledger line.

    A redraft (after the customer declined, or before they were asked) changes the line,
    which gives the offer a new version: an earlier consent never covers it.
    """
    with transaction.atomic():
        complaint, dispute = _lock(complaint_pk, version)
        _check_draft(dispute, draft)
        before = _step(dispute, "draft", actor)
        dispute.remedy = draft.remedy
        dispute.drafted_by = actor
        dispute.amount = draft.amount
        dispute.remedy_points = draft.points if draft.remedy in POINTS_REMEDIES else None
        line = _ledger_line(complaint, dispute, draft, actor)
        if line is not None:
            dispute.compensation_line_id = line.pk
            dispute.compensation_line_version = line.version
        cause = (PLAN_CAUSE.get(dispute.cause, Cause.OTHER) if dispute.cause
                 else Cause.OTHER)
        plan = HandlingPlan(
            complaint=complaint, cause=cause, liability=draft.liability,
            responsible_department=draft.responsible_department,
            responsible_person=draft.responsible_person,
            solution_type=SOLUTION_OF_REMEDY[draft.remedy], measures=draft.measures,
            compensation_amount=draft.amount, deadline=draft.deadline,
            status=(PlanStatus.SUBMITTED if complaint.plan_needs_approval
                    else PlanStatus.NOT_NEEDED),
            customer_decision=CustomerDecision.PENDING,
            submitted_by=actor, submitted_at=timezone.now(),
        )
        ticket_transition(
            complaint, "submit_dispute_plan", actor=actor,
            action="complaints.complaint.plan_submitted", note=draft.measures,
            data={"cause": cause, "liability": draft.liability,
                  "solution": plan.solution_type, "compensation": str(draft.amount),
                  "responsible_department": draft.responsible_department.name,
                  "deadline": draft.deadline.isoformat(),
                  "needs_approval": complaint.plan_needs_approval},
        )
        plan.save()
        complaint.current_plan = plan
        dispute.save()
        _record(complaint, dispute, "drafted", actor=actor, from_step=before,
                data={"remedy": draft.remedy, "compensation": str(draft.amount),
                      "points": dispute.remedy_points})
        ticket_save(complaint, ["current_plan"])
        if complaint.state == State.PLAN_APPROVAL:
            outbox.enqueue("aftersales.notify_staff", [complaint.pk, "plan_submitted",
                                                       "supervisors"])
    return complaint


def dispute_approve_compensation(*, complaint_pk: int, version: int | None,
                                 actor: Actor) -> Complaint:
    """Approve the drafted line in the ledger, which applies the approval limits (§8) and
    never lets the proposer approve their own line."""
    with transaction.atomic():
        complaint, dispute = _lock(complaint_pk, version)
        if not ticket_in_scope(actor, complaint):
            raise PermissionRefused()
        if (dispute.step != DisputeStep.DRAFTED or not dispute.needs_ledger_line
                or dispute.compensation_approved_at is not None):
            raise TransitionRefused(_("There is no drafted compensation waiting for approval."))
        line = ledger().compensation_approve(line_pk=dispute.compensation_line_id, actor=actor)
        dispute.compensation_approved_at = timezone.now()
        dispute.compensation_line_version = line.version
        # The ledger records the approval on the case's timeline.
        dispute.save(update_fields=["compensation_approved_at", "compensation_line_version"])
        ticket_save(complaint, [])
    return complaint


# --- consent (hooked into the complaint's own confirmation steps) -----------------------

def on_consent_requested(complaint: Complaint) -> None:
    dispute = dispute_of(complaint)
    if dispute is None:
        return
    dispute.ask_consent()
    dispute.save(update_fields=["step"])


def on_customer_decided(complaint: Complaint, *, agree: bool, via: str, actor: Actor,
                        note: str) -> None:
    """The customer's answer also answers the ledger line, for the version they were shown."""
    dispute = complaint_dispute(complaint, lock=True)
    if dispute is None or dispute.step != DisputeStep.AWAIT_CONSENT:
        return
    if dispute.compensation_line_id is not None:
        answer = ledger().compensation_consent if agree else ledger().compensation_decline
        answer(line_pk=dispute.compensation_line_id, version=dispute.compensation_line_version,
               via=via, actor=actor, note=note)
    if agree:
        dispute.consent()
        dispute.consented_at = timezone.now()
        dispute.consent_via = via
        dispute.consent_note = note
        dispute.consent_recorded_by = actor
    else:
        dispute.decline()
    dispute.save(update_fields=["step", "consented_at", "consent_via", "consent_note",
                                "consent_recorded_by"])


def complaint_dispute(complaint: Complaint, *, lock: bool = False) -> DisputeDetails | None:
    rows = DisputeDetails.objects.filter(pk=complaint.pk)
    if lock:
        rows = rows.select_for_update()
    return rows.first()


# --- execute ------------------------------------------------------------------------------

def dispute_execute(*, complaint_pk: int, version: int | None, actor: Actor,
                    note: str = "") -> Complaint:
    """Carry out the agreed remedy: pay the ledger line, or open the linked return order."""
    with transaction.atomic():
        complaint, dispute = _lock(complaint_pk, version)
        if dispute.step not in (DisputeStep.CONSENTED, DisputeStep.EXECUTED) or (
                dispute.step == DisputeStep.CONSENTED and dispute.consented_at is None):
            raise ConsentMissing()
        if dispute.kind == DisputeKind.PROMO and dispute.activity_stopped_at is None:
            raise TransitionRefused(_("Stop the promotion before the remedy is executed."))
        before = _step(dispute, "execute", actor)
        data = {"remedy": dispute.remedy}
        if dispute.remedy == DisputeRemedy.RETURN_REFUND:
            if not spawnable("RETURN"):
                raise DomainError(_("Return orders cannot be opened from a complaint yet."))
            if complaint.order_line_id is None:
                raise DomainError(_("A return needs the order line the complaint is about."))
            return_case = spawn_case(
                "RETURN", origin=complaint, actor=actor,
                reason=str(_("Return and refund agreed on complaint %(number)s")
                           % {"number": complaint.number}),
                order_line=complaint.order_line, request_type="RETURN_REFUND")
            dispute.return_case = return_case
            data["return_case"] = return_case.number
            outbox.enqueue("aftersales.notify_customer", [complaint.pk, "message"])
        else:
            # The ledger tells the customer what was given.
            ledger().compensation_execute(line_pk=dispute.compensation_line_id, actor=actor)
        dispute.executed_at = timezone.now()
        dispute.executed_by = actor
        dispute.save()
        _record(complaint, dispute, "executed", actor=actor, from_step=before, note=note,
                data=data, customer_visible=True)
        ticket_save(complaint, [])
    return complaint


__all__ = [
    "ConsentMissing", "Draft", "Investigation", "LedgerUnavailable", "dispute_approve_compensation",
    "dispute_draft", "dispute_execute", "dispute_investigate", "dispute_record",
    "dispute_stop_activity", "fraud_check",
]
