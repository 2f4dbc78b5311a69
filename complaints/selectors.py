"""Complaint reads: inbox and case page, with a fixed number of queries whatever the size."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.selectors import ticket_for_page, tickets_visible_to
from aftersales.catalog.prices import ART17, RULE_LABELS

from .choices import (
    DISPUTE_PROGRESS,
    STEP_INDEX,
    ConsentVia,
    DisputeCause,
    DisputeKind,
    DisputeRemedy,
    DisputeStep,
    PromotionClass,
)
from .models import Complaint, DisputeDetails, dispute_of


def complaints_visible_to(user) -> QuerySet[Complaint]:
    return tickets_visible_to(user, Complaint.objects.all())


def complaint_for_page(*, user, number: str) -> Complaint:
    """One complaint with everything its page shows, or ``DoesNotExist`` when out of scope."""
    return ticket_for_page(
        complaints_visible_to(user).select_related(
            "customer", "order", "product", "department", "assignee", "registered_by",
            "repeat_of", "current_plan__responsible_department",
            "current_plan__responsible_person", "dispute__return_case",
        ),
        number=number,
    )


def complaint_for_token(token: str) -> Complaint:
    return Complaint.objects.select_related("customer", "current_plan",
                                            "dispute__return_case").get(
        tracking_token=token)


# --- price, promotion and coupon disputes (§5.6) -------------------------------------------

@dataclass(frozen=True)
class StepView:
    label: str
    status: str  # "done", "current" or "todo"
    detail: str = ""


@dataclass(frozen=True)
class DisputeView:
    dispute: DisputeDetails
    steps: list[StepView]
    next: str
    fraud: list[tuple[str, str]]


NEXT = {
    DisputeStep.RECORDED: _("Investigate the cause and keep the evidence."),
    DisputeStep.INVESTIGATED: _("Draft the solution: the remedy and what it is worth."),
    DisputeStep.DECLINED: _("The customer declined: draft an adjusted solution."),
    DisputeStep.AWAIT_CONSENT: _("Waiting for the customer's consent on their tracking page, "
                                 "or by phone recorded here."),
    DisputeStep.EXECUTED: _("Reply the result to the customer."),
}


def _money(value) -> str:
    return f"¥{value:.2f}" if value is not None else ""


def _next(dispute: DisputeDetails) -> str:
    if dispute.step == DisputeStep.DRAFTED:
        if dispute.needs_ledger_line and dispute.compensation_approved_at is None:
            return str(_("Approve the compensation, then ask the customer to consent."))
        return str(_("Ask the customer to consent to the solution."))
    if dispute.step == DisputeStep.CONSENTED:
        if dispute.kind == DisputeKind.PROMO and dispute.activity_stopped_at is None:
            return str(_("Stop the promotion, then execute the agreed solution."))
        return str(_("Execute the agreed solution."))
    return str(NEXT[dispute.step])


def _fraud_lines(dispute: DisputeDetails) -> list[tuple[str, str]]:
    lines = []
    for finding in dispute.fraud_findings or []:
        label = RULE_LABELS.get(finding.get("rule"), finding.get("rule", ""))
        if finding.get("rule") == ART17:
            figures = _("raised from ¥%(before)s to ¥%(after)s on %(when)s") % {
                "before": finding.get("raised_from"), "after": finding.get("raised_to"),
                "when": _local(finding.get("raised_at"))}
        else:
            figures = _("\"was\" ¥%(was)s, lowest of the 7 days before ¥%(lowest)s") % {
                "was": finding.get("was_price"), "lowest": finding.get("lowest_price")}
        lines.append((str(label), f"{figures}; " + str(
            _("discount ¥%(price)s from %(when)s") % {
                "price": finding.get("discount_price"),
                "when": _local(finding.get("discount_from"))})))
    return lines


def _local(value: str | None) -> str:
    if not value:
        return ""
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")


def _remedy_text(dispute: DisputeDetails) -> str:
    if not dispute.remedy:
        return ""
    label = str(DisputeRemedy(dispute.remedy).label)
    if dispute.remedy_points:
        return f"{label} · " + str(_("%(points)s points") % {"points": dispute.remedy_points})
    if dispute.amount:
        return f"{label} · {_money(dispute.amount)}"
    return label


def dispute_view(complaint: Complaint) -> DisputeView | None:
    """The dispute's five steps, what is done and what comes next (no query of its own)."""
    dispute = dispute_of(complaint)
    if dispute is None:
        return None
    done = STEP_INDEX[dispute.step]
    details = [
        " · ".join(filter(None, [str(DisputeKind(dispute.kind).label),
                                 _money(dispute.charged_price)])),
        str(DisputeCause(dispute.cause).label) if dispute.cause else (
            str(PromotionClass(dispute.promotion_class).label)
            if dispute.promotion_class else ""),
        _remedy_text(dispute),
        (str(ConsentVia(dispute.consent_via).label) if dispute.consent_via in ConsentVia.values
         else "") + (f" · {_local(dispute.consented_at.isoformat())}"
                     if dispute.consented_at else ""),
        (_local(dispute.executed_at.isoformat()) if dispute.executed_at else "") + (
            f" · {dispute.return_case.number}" if dispute.return_case_id else ""),
    ]
    steps = []
    for index, ((_key, label), detail) in enumerate(zip(DISPUTE_PROGRESS, details,
                                                        strict=True)):
        status = "done" if index < done else ("current" if index == done else "todo")
        steps.append(StepView(str(label), status, detail if status == "done" else ""))
    return DisputeView(dispute, steps, _next(dispute), _fraud_lines(dispute))
