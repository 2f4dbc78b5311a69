from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from aftersales.core.choices import SEVERITIES_NEEDING_PLAN_APPROVAL
from aftersales.models import Department, Ticket

from .choices import (
    ESCALATABLE_STATES,
    FINAL_STATES,
    STAGE_OF_STATE,
    Category,
    Cause,
    CustomerDecision,
    DisputeCause,
    DisputeKind,
    DisputeRemedy,
    DisputeStep,
    Liability,
    Nature,
    NotAcceptedReason,
    Outcome,
    PlanStatus,
    PromotionClass,
    RequestType,
    SolutionType,
    State,
    SubCategory,
)


def _has(perm: str):
    def check(instance: "Complaint", user) -> bool:
        return user.has_perm(perm)

    return check


def _can_start_handling(instance: "Complaint", user) -> bool:
    return user.has_perm("complaints.handle_complaint") or user.has_perm(
        "complaints.classify_complaint"
    )


def is_responsible_person(instance: "Complaint", user) -> bool:
    plan = instance.current_plan
    return plan is not None and plan.responsible_person_id == user.pk


def _can_approve(instance: "Complaint", user) -> bool:
    # Segregation of duties: the person held responsible may not approve the plan.
    return user.has_perm("complaints.approve_plan") and not is_responsible_person(instance, user)


def _can_record_return_visit(instance: "Complaint", user) -> bool:
    # Segregation of duties (domain.md §2): nor may they record the customer's satisfaction.
    return (user.has_perm("complaints.archive_complaint")
            and not is_responsible_person(instance, user))


def _can_reopen(instance: "Complaint", user) -> bool:
    if instance.state == State.CLOSED:
        return user.has_perm("complaints.reopen_archived_complaint")
    return user.has_perm("complaints.reopen_complaint")


def _can_progress(instance: "Complaint", user) -> bool:
    return user.has_perm("complaints.handle_complaint") or user.has_perm(
        "complaints.reply_complaint"
    )


def customer_agreed_or_not_needed(instance: "Complaint") -> bool:
    plan = instance.current_plan
    return plan is None or plan.customer_decision in (
        CustomerDecision.CONFIRMED, CustomerDecision.NOT_NEEDED,
    )


def _plan_awaits_customer(instance: "Complaint") -> bool:
    plan = instance.current_plan
    return plan is not None and plan.customer_decision == CustomerDecision.PENDING


def dispute_of(complaint: "Complaint") -> "DisputeDetails | None":
    try:
        return complaint.dispute
    except DisputeDetails.DoesNotExist:
        return None


def dispute_executed_or_none(instance: "Complaint") -> bool:
    # §5.6: a price, promotion or coupon complaint is replied after its remedy is executed.
    dispute = dispute_of(instance)
    return dispute is None or dispute.step == DisputeStep.EXECUTED


def dispute_ready_for_consent(instance: "Complaint") -> bool:
    dispute = dispute_of(instance)
    return dispute is None or dispute.ready_for_consent


def _no_dispute(instance: "Complaint") -> bool:
    return dispute_of(instance) is None


def _return_visit_recorded(instance: "Complaint") -> bool:
    return instance.return_visit_result in (
        Complaint.ReturnVisitResult.SATISFIED, Complaint.ReturnVisitResult.NO_RESPONSE,
    )


class Complaint(Ticket):
    """A customer complaint (投诉) and its register → classify → handle → reply → archive life."""

    STAGE_OF_STATE = STAGE_OF_STATE
    FINAL_STATES = FINAL_STATES
    READ_ONLY_STATES = frozenset({State.CLOSED, State.NOT_ACCEPTED})
    States = State

    class ReturnVisitResult(models.TextChoices):
        NONE = "", _("Not yet")
        SATISFIED = "SATISFIED", _("Satisfied")
        DISSATISFIED = "DISSATISFIED", _("Not satisfied")
        NO_RESPONSE = "NO_RESPONSE", _("No response")

    request_type = models.CharField(
        _("request type"), max_length=16, choices=RequestType.choices, default=RequestType.QUALITY
    )
    category_hint = models.CharField(
        _("what happened (customer's choice)"), max_length=10, choices=Category.choices, blank=True
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, blank=True)
    subcategory = models.CharField(
        _("sub-category"), max_length=16, choices=SubCategory.choices, blank=True
    )
    description = models.TextField(_("what happened"))
    customer_request = models.TextField(_("what the customer asks for"), blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    batch_number = models.CharField(_("batch number"), max_length=64, blank=True)
    use_environment = models.CharField(_("use environment"), max_length=200, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    price = models.DecimalField(
        _("price (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    regulator_case_number = models.CharField(_("regulator case number"), max_length=64, blank=True)

    not_accepted_reason = models.CharField(
        _("reason for not accepting"), max_length=16, choices=NotAcceptedReason.choices, blank=True
    )
    current_plan = models.ForeignKey(
        "HandlingPlan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("current handling plan"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    return_visit_result = models.CharField(
        _("return visit result"), max_length=12, choices=ReturnVisitResult.choices, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [
            ("register_complaint", _("Can register complaints")),
            ("accept_complaint", _("Can accept complaints")),
            ("reject_complaint", _("Can refuse to accept complaints")),
            ("classify_complaint", _("Can classify and assign complaints")),
            ("handle_complaint", _("Can handle complaints (cause, plan, measures)")),
            ("approve_plan", _("Can approve handling plans")),
            ("reply_complaint", _("Can reply to customers")),
            ("archive_complaint", _("Can record return visits and archive complaints")),
            ("reopen_complaint", _("Can reopen replied complaints")),
            ("reopen_archived_complaint", _("Can reopen archived complaints")),
            ("escalate_complaint", _("Can escalate complaints")),
        ]
        indexes = [
            models.Index(fields=["category", "subcategory"], name="complaint_category"),
            # The ledger sorts and pages by reply date (keyset on date, id).
            models.Index("replied_at", "ticket_ptr", name="complaint_replied_id"),
        ]

    # --- register stage -------------------------------------------------------------
    @transition(field="state", source=State.RECEIVED, target=State.REGISTERED,
                permission=_has("complaints.register_complaint"))
    def register(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.ACCEPTED,
                permission=_has("complaints.accept_complaint"))
    def accept(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.NOT_ACCEPTED,
                permission=_has("complaints.reject_complaint"))
    def reject(self, reason: str) -> None:
        self.not_accepted_reason = reason

    @transition(field="state", source=State.ACCEPTED, target=State.ON_SPOT_RESOLVED,
                permission=_has("complaints.reply_complaint"))
    def resolve_on_spot(self) -> None:
        pass

    # --- classify stage -------------------------------------------------------------
    @transition(field="state", source=State.ACCEPTED, target=State.CLASSIFIED,
                permission=_has("complaints.classify_complaint"))
    def classify(self) -> None:
        pass

    # --- handle stage ---------------------------------------------------------------
    @transition(field="state", source=State.CLASSIFIED, target=State.ANALYSING,
                permission=_can_start_handling)
    def start_handling(self) -> None:
        pass

    @transition(field="state", source=[State.ANALYSING, State.IN_PROGRESS, State.REOPENED],
                target=RETURN_VALUE(State.PLAN_APPROVAL, State.IN_PROGRESS),
                permission=_has("complaints.handle_complaint"), conditions=[_no_dispute])
    def submit_plan(self) -> str:
        return self.plan_target()

    @transition(field="state", source=[State.ANALYSING, State.IN_PROGRESS, State.REOPENED],
                target=RETURN_VALUE(State.PLAN_APPROVAL, State.IN_PROGRESS),
                permission=_has("complaints.handle_complaint"))
    def submit_dispute_plan(self) -> str:
        return self.plan_target()

    def plan_target(self) -> str:
        if self.plan_needs_approval:
            return State.PLAN_APPROVAL
        return State.IN_PROGRESS

    @transition(field="state", source=State.PLAN_APPROVAL, target=State.IN_PROGRESS,
                permission=_can_approve)
    def approve_plan(self) -> None:
        pass

    @transition(field="state", source=State.PLAN_APPROVAL, target=State.ANALYSING,
                permission=_can_approve)
    def return_plan(self) -> None:
        pass

    @transition(field="state", source=State.IN_PROGRESS, target=State.AWAIT_CUSTOMER,
                conditions=[_plan_awaits_customer, dispute_ready_for_consent],
                permission=_can_progress)
    def request_confirmation(self) -> None:
        pass

    @transition(field="state", source=State.AWAIT_CUSTOMER, target=State.IN_PROGRESS)
    def customer_decide(self) -> None:
        pass

    @transition(field="state", source=State.REOPENED, target=State.IN_PROGRESS,
                permission=_can_progress)
    def resume(self) -> None:
        pass

    # --- reply stage ----------------------------------------------------------------
    @transition(field="state", source=[State.IN_PROGRESS, State.ON_SPOT_RESOLVED],
                target=State.RESOLVED,
                conditions=[customer_agreed_or_not_needed, dispute_executed_or_none],
                permission=_has("complaints.reply_complaint"))
    def reply(self) -> None:
        pass

    @transition(field="state", source=State.ANALYSING, target=State.RESOLVED,
                permission=_has("complaints.reply_complaint"))
    def reply_not_liable(self) -> None:
        self.outcome = Outcome.NOT_LIABLE

    # --- archive stage --------------------------------------------------------------
    # Once only: a second answer to the same return visit is refused, not recorded twice.
    @transition(field="state", source=State.RESOLVED,
                target=State.RETURN_VISIT, permission=_can_record_return_visit)
    def record_return_visit(self) -> None:
        pass

    @transition(field="state", source=State.RETURN_VISIT, target=State.CLOSED,
                conditions=[_return_visit_recorded],
                permission=_has("complaints.archive_complaint"))
    def archive(self) -> None:
        pass

    @transition(field="state", source=[State.RESOLVED, State.RETURN_VISIT, State.CLOSED],
                target=State.REOPENED, permission=_can_reopen)
    def reopen(self) -> None:
        self.reopen_count += 1
        self.return_visit_result = ""

    # --- any open state -------------------------------------------------------------
    @transition(field="state", source=ESCALATABLE_STATES, target=None,
                permission=_has("complaints.escalate_complaint"))
    def escalate(self) -> None:
        self.escalation_level += 1

    @property
    def plan_needs_approval(self) -> bool:
        return self.severity in SEVERITIES_NEEDING_PLAN_APPROVAL

    @property
    def is_read_only(self) -> bool:
        return self.state in self.READ_ONLY_STATES


class HandlingPlan(models.Model):
    """Cause, responsibility and measures for a complaint (处理方案), with its approval.

    A complaint keeps every plan it had; ``Complaint.current_plan`` points at the one in force.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="plans")
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    nature = models.CharField(_("nature of the quality problem"), max_length=12,
                              choices=Nature.choices, blank=True)
    liability = models.CharField(_("liability"), max_length=12, choices=Liability.choices)
    responsible_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("responsible unit"),
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("responsible person"),
    )
    solution_type = models.CharField(_("solution"), max_length=16, choices=SolutionType.choices)
    measures = models.TextField(_("measures"))
    compensation_amount = models.DecimalField(
        _("compensation offered (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=PlanStatus.choices)
    customer_decision = models.CharField(
        _("customer decision"), max_length=12, choices=CustomerDecision.choices
    )
    # The customer's answer names the plan and this version; any change to what they are
    # asked to agree to bumps it, so an answer given to an earlier proposal is refused.
    version = models.PositiveIntegerField(_("version"), default=1)
    customer_decided_at = models.DateTimeField(null=True, blank=True)
    customer_comment = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("handling plan")
        verbose_name_plural = _("handling plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(compensation_amount__gte=0), name="plan_compensation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_solution_type_display()}"


def _dispute_in_handling(dispute: "DisputeDetails") -> bool:
    return dispute.complaint.state in (State.ANALYSING, State.IN_PROGRESS, State.REOPENED)


def _can_handle(dispute: "DisputeDetails", user) -> bool:
    return user.has_perm("complaints.handle_complaint")


def _can_execute(dispute: "DisputeDetails", user) -> bool:
    # Whoever replies to the customer carries out what they agreed to (agents, supervisors).
    return user.has_perm("complaints.reply_complaint")


def _cause_known(dispute: "DisputeDetails") -> bool:
    return bool(dispute.cause or dispute.promotion_class)


def _consent_recorded(dispute: "DisputeDetails") -> bool:
    return dispute.consented_at is not None


def _activity_stopped_or_not_promo(dispute: "DisputeDetails") -> bool:
    return dispute.kind != DisputeKind.PROMO or dispute.activity_stopped_at is not None


def _promo_running(dispute: "DisputeDetails") -> bool:
    return dispute.kind == DisputeKind.PROMO and dispute.activity_stopped_at is None


class DisputeDetails(FSMModelMixin, models.Model):
    """The fixed steps of a price, promotion, coupon or points complaint (domain.md §5.6):
    record → investigate the cause → draft the solution → the customer's consent → execute.

    Consent is a step of its own: nothing is executed, and no money moves, before it.
    """

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, primary_key=True,
                                     related_name="dispute")
    kind = models.CharField(_("dispute"), max_length=8, choices=DisputeKind.choices)
    step = FSMField(_("step"), max_length=16, choices=DisputeStep.choices,
                    default=DisputeStep.RECORDED, protected=True)

    # What the customer saw and paid (record).
    charged_price = models.DecimalField(_("price charged (yuan)"), max_digits=12,
                                        decimal_places=2, null=True, blank=True)
    correct_price = models.DecimalField(_("price it should have been (yuan)"), max_digits=12,
                                        decimal_places=2, null=True, blank=True)
    was_price = models.DecimalField(_("\"was\" price shown (yuan)"), max_digits=12,
                                    decimal_places=2, null=True, blank=True)
    activity = models.CharField(_("promotion or activity"), max_length=200, blank=True)
    coupon_code = models.CharField(_("coupon code"), max_length=64, blank=True)
    points = models.PositiveIntegerField(_("points concerned"), null=True, blank=True)

    # Investigation.
    cause = models.CharField(_("cause"), max_length=16, choices=DisputeCause.choices,
                             blank=True)
    promotion_class = models.CharField(_("promotion breach"), max_length=20,
                                       choices=PromotionClass.choices, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    investigated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+")
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)

    # PRICE Art. 16-17 check over the product's price history, for the legal role.
    fraud_flagged = models.BooleanField(_("possible price fraud"), default=False)
    fraud_findings = models.JSONField(_("price-fraud findings"), default=list, blank=True)
    fraud_checked_at = models.DateTimeField(_("price history checked at"), null=True,
                                            blank=True)

    # Promotion: the activity is stopped before the remedy is executed.
    activity_stopped_at = models.DateTimeField(_("activity stopped at"), null=True, blank=True)
    activity_stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                            null=True, blank=True, related_name="+")

    # The solution and its compensation line in the kernel ledger.
    remedy = models.CharField(_("remedy"), max_length=20, choices=DisputeRemedy.choices,
                              blank=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2,
                                 default=Decimal("0.00"))
    remedy_points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    compensation_line_id = models.BigIntegerField(_("compensation line"), null=True,
                                                  blank=True)
    compensation_line_version = models.PositiveIntegerField(null=True, blank=True)
    compensation_approved_at = models.DateTimeField(_("compensation approved at"), null=True,
                                                    blank=True)
    return_case = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("return order"))

    # Consent and execution.
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    consent_via = models.CharField(_("consent given"), max_length=8, blank=True)
    consent_note = models.TextField(_("consent note"), blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                            null=True, blank=True, related_name="+")
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("price, promotion or coupon dispute")
        verbose_name_plural = _("price, promotion and coupon disputes")
        permissions = [
            ("view_price_fraud", _("Can see price-fraud flags (legal review)")),
            ("stop_promotion", _("Can record that a promotion was stopped")),
        ]
        indexes = [
            models.Index(fields=["fraud_flagged"], name="dispute_fraud_flagged",
                         condition=Q(fraud_flagged=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="dispute_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.step}"

    @property
    def needs_ledger_line(self) -> bool:
        return self.remedy not in ("", DisputeRemedy.RETURN_REFUND)

    @property
    def ready_for_consent(self) -> bool:
        """Drafted, and its compensation line approved when it has one."""
        return self.step == DisputeStep.DRAFTED and (
            not self.needs_ledger_line or self.compensation_approved_at is not None)

    @transition(field=step, source=[DisputeStep.RECORDED, DisputeStep.INVESTIGATED],
                target=DisputeStep.INVESTIGATED, permission=_can_handle,
                conditions=[_dispute_in_handling])
    def investigate(self) -> None:
        pass

    @transition(field=step, source=[DisputeStep.INVESTIGATED, DisputeStep.DRAFTED,
                                    DisputeStep.DECLINED],
                target=DisputeStep.DRAFTED, permission=_can_handle,
                conditions=[_dispute_in_handling, _cause_known])
    def draft(self) -> None:
        self.compensation_approved_at = None
        self.consented_at = None

    @transition(field=step, source=DisputeStep.DRAFTED, target=DisputeStep.AWAIT_CONSENT)
    def ask_consent(self) -> None:
        pass

    @transition(field=step, source=DisputeStep.AWAIT_CONSENT, target=DisputeStep.CONSENTED)
    def consent(self) -> None:
        pass

    @transition(field=step, source=DisputeStep.AWAIT_CONSENT, target=DisputeStep.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=step, source=DisputeStep.CONSENTED, target=DisputeStep.EXECUTED,
                permission=_can_execute,
                conditions=[_consent_recorded, _activity_stopped_or_not_promo])
    def execute(self) -> None:
        pass

    @transition(field=step, source=[s for s in DisputeStep.values if s != DisputeStep.EXECUTED],
                target=None, permission=lambda dispute, user: user.has_perm(
                    "complaints.stop_promotion"), conditions=[_promo_running])
    def stop_activity(self) -> None:
        pass
