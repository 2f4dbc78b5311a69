from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, transition

from aftersales.models import OrderLine, Ticket

from .choices import (
    FINAL_STATES,
    SHIPBACK_STATES,
    STAGE_OF_STATE,
    Carrier,
    DeclineReason,
    Reason,
    RequestType,
    ReturnVisitResult,
    State,
)

# Claims whose fault the quality department confirms before the goods come back (P1 6.2.3).
QUALITY_CLAIMS = frozenset({Reason.QUALITY})


def _has(perm: str):
    def check(instance: "ReturnOrder", user) -> bool:
        return user.has_perm(perm)

    return check


def needs_quality_report(instance: "ReturnOrder") -> bool:
    """Quality claims only; never a no-reason return (domain.md §11 C2, 7D Art. 31)."""
    return instance.reason in QUALITY_CLAIMS


def _goods_come_back(instance: "ReturnOrder") -> bool:
    return instance.request_type != RequestType.REFUND_ONLY


def _passed(instance: "ReturnOrder") -> bool:
    return instance.inspection_passed is True


def _failed(instance: "ReturnOrder") -> bool:
    return instance.inspection_passed is False


def _is_exchange(instance: "ReturnOrder") -> bool:
    return instance.request_type == RequestType.EXCHANGE


def _refund_due(instance: "ReturnOrder") -> bool:
    return instance.request_type != RequestType.EXCHANGE


def _no_advance_yet(instance: "ReturnOrder") -> bool:
    return instance.advance_shipped_at is None


def _advance_shipped(instance: "ReturnOrder") -> bool:
    return instance.advance_shipped_at is not None


def _old_unit_overdue(instance: "ReturnOrder") -> bool:
    return (instance.advance_shipped_at is not None and instance.old_unit_due_on is not None
            and instance.old_unit_due_on < timezone.localdate())


class ReturnOrder(Ticket):
    """A return, exchange or refund request (退货 / 换货 / 仅退款), decided by the law.

    The engine's decision (rule, options, terms and the facts it used) is stored when the
    request comes in and again whenever a finding changes the facts (quality report,
    warehouse inspection), so the case page shows what the decision rested on.
    """

    STAGE_OF_STATE = STAGE_OF_STATE
    FINAL_STATES = FINAL_STATES
    READ_ONLY_STATES = FINAL_STATES
    States = State

    request_type = models.CharField(_("request"), max_length=16, choices=RequestType.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("what the customer says"), blank=True)

    # The engine's decision (aftersales.eligibility.evaluate) and the facts it read.
    decision_rule = models.CharField(_("rule"), max_length=4, blank=True)
    decision_options = models.JSONField(_("options"), default=list, blank=True)
    decision_basis = models.CharField(_("legal basis"), max_length=120, blank=True)
    decision_window_ends = models.DateField(_("window ends"), null=True, blank=True)
    decision_return_shipping = models.CharField(_("return shipping paid by"), max_length=10,
                                                blank=True)
    decision_reshipment = models.CharField(_("re-shipment paid by"), max_length=10, blank=True)
    decision_pickup = models.BooleanField(_("door pickup"), default=False)
    decision_facts = models.JSONField(_("facts used"), default=dict, blank=True)
    decision_at = models.DateTimeField(_("decided by the rules at"), null=True, blank=True)

    # Review (受理): the rule the reviewer relied on, or the reason the customer is told.
    review_rule = models.CharField(_("rule relied on"), max_length=4, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    against_engine = models.BooleanField(_("decided against the rules' answer"), default=False)
    decline_reason = models.CharField(_("decline reason"), max_length=16,
                                      choices=DeclineReason.choices, blank=True)
    decline_message = models.TextField(_("message to the customer"), blank=True)
    disputed_at = models.DateTimeField(_("decline disputed at"), null=True, blank=True)

    # Quality inspection report (检测报告), quality claims only.
    quality_confirmed = models.BooleanField(_("quality problem confirmed"), null=True,
                                            blank=True)
    quality_report = models.TextField(_("inspection report"), blank=True)
    quality_reported_at = models.DateTimeField(null=True, blank=True)

    # Ship-back (7D Art. 11): where to, and how the goods travel.
    shipback_address = models.TextField(_("return address"), blank=True)
    shipback_contact = models.CharField(_("return contact"), max_length=100, blank=True)
    shipback_phone = models.CharField(_("return phone"), max_length=40, blank=True)
    shipback_sent_at = models.DateTimeField(_("return address sent at"), null=True, blank=True)
    pickup_booked = models.BooleanField(_("free door pickup booked"), default=False)
    return_carrier = models.CharField(_("carrier"), max_length=10, choices=Carrier.choices,
                                      blank=True)
    return_tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    customer_shipped_at = models.DateTimeField(_("sent back at"), null=True, blank=True)

    # Warehouse receipt and inspection (T5).
    goods_received_at = models.DateTimeField(_("goods received at"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    goods_complete = models.BooleanField(_("complete"), null=True, blank=True)
    goods_original = models.BooleanField(_("original (not swapped)"), null=True, blank=True)
    quality_problem = models.BooleanField(_("quality problem found"), null=True, blank=True)
    inspection_passed = models.BooleanField(_("inspection passed"), null=True, blank=True)
    inspection_note = models.TextField(_("inspection note"), blank=True)

    # Refund (§7.5, T6, T10).
    refund_due_on = models.DateField(_("refund due by"), null=True, blank=True)
    refund_breakdown = models.JSONField(_("refund breakdown"), default=dict, blank=True)
    refund_amount_due = models.DecimalField(_("refund due (yuan)"), max_digits=12,
                                            decimal_places=2, null=True, blank=True)
    refund_amount = models.DecimalField(_("refunded (yuan)"), max_digits=12, decimal_places=2,
                                        null=True, blank=True)
    refund_lowered_reason = models.TextField(_("why the refund is lower"), blank=True)
    refund_lowered_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("lower refund approved by"))
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    delay_flagged_at = models.DateTimeField(_("flagged as deemed deliberate delay"), null=True,
                                            blank=True)

    # Exchange and advance replacement (先发后退).
    replacement_carrier = models.CharField(_("replacement carrier"), max_length=10,
                                           choices=Carrier.choices, blank=True)
    replacement_tracking_number = models.CharField(_("replacement tracking number"),
                                                   max_length=40, blank=True)
    replacement_shipped_at = models.DateTimeField(_("replacement shipped at"), null=True,
                                                  blank=True)
    advance_shipped_at = models.DateTimeField(_("advance replacement shipped at"), null=True,
                                              blank=True)
    old_unit_due_on = models.DateField(_("old unit due back by"), null=True, blank=True)
    old_unit_reminded_at = models.DateTimeField(null=True, blank=True)
    unreturned_charge = models.DecimalField(_("charged for the unit never returned (yuan)"),
                                            max_digits=12, decimal_places=2, null=True,
                                            blank=True)

    return_visit_result = models.CharField(_("return visit result"), max_length=12,
                                           choices=ReturnVisitResult.choices, blank=True)

    class Meta:
        verbose_name = _("return order")
        verbose_name_plural = _("return orders")
        permissions = [
            ("register_return", _("Can register return requests")),
            ("review_return", _("Can accept or decline return requests")),
            ("decide_against_customer", _("Can decide a return against the customer")),
            ("record_quality_report", _("Can record quality inspection reports")),
            ("receive_return", _("Can receive and inspect returned goods")),
            ("refund_return", _("Can pay refunds")),
            ("approve_refund_reduction", _("Can approve a refund lower than due")),
            ("ship_replacement", _("Can ship replacements")),
            ("charge_unreturned", _("Can charge for a unit never returned")),
        ]
        indexes = [
            # The T10 sweep: refunds still owed, by due date.
            models.Index("refund_due_on", name="return_refund_owed",
                         condition=Q(refunded_at__isnull=True, refund_due_on__isnull=False)),
            models.Index("old_unit_due_on", name="return_old_unit_owed",
                         condition=Q(advance_shipped_at__isnull=False,
                                     goods_received_at__isnull=True)),
        ]

    # --- review ---------------------------------------------------------------------
    @transition(field="state", source=State.REQUESTED, target=State.REVIEWING)
    def start_review(self) -> None:
        pass

    @transition(field="state", source=State.REVIEWING, target=State.ACCEPTED,
                permission=_has("returns.review_return"))
    def accept(self) -> None:
        pass

    @transition(field="state", source=State.REVIEWING, target=State.DECLINED,
                permission=_has("returns.review_return"))
    def decline(self, reason: str, message: str) -> None:
        self.decline_reason = reason
        self.decline_message = message

    @transition(field="state", source=State.ACCEPTED,
                target=RETURN_VALUE(State.INSPECTION, State.AWAIT_SHIPBACK, State.REFUNDING))
    def route(self) -> str:
        if needs_quality_report(self) and self.quality_confirmed is None:
            return State.INSPECTION
        if self.request_type == RequestType.REFUND_ONLY:
            return State.REFUNDING
        return State.AWAIT_SHIPBACK

    @transition(field="state", source=State.INSPECTION,
                target=RETURN_VALUE(State.AWAIT_SHIPBACK, State.REFUNDING, State.REVIEWING),
                conditions=[needs_quality_report],
                permission=_has("returns.record_quality_report"))
    def record_quality_report(self, confirmed: bool) -> str:
        self.quality_confirmed = confirmed
        if not confirmed:
            return State.REVIEWING
        if self.request_type == RequestType.REFUND_ONLY:
            return State.REFUNDING
        return State.AWAIT_SHIPBACK

    # --- ship-back and warehouse ----------------------------------------------------
    @transition(field="state", source=State.AWAIT_SHIPBACK, target=State.IN_TRANSIT,
                conditions=[_goods_come_back], permission=_has("returns.review_return"))
    def ship_back(self, carrier: str, tracking_number: str) -> None:
        self.return_carrier = carrier
        self.return_tracking_number = tracking_number

    @transition(field="state", source=list(SHIPBACK_STATES), target=State.RECEIVED,
                conditions=[_goods_come_back], permission=_has("returns.receive_return"))
    def receive(self) -> None:
        pass

    @transition(field="state", source=State.RECEIVED,
                target=RETURN_VALUE(State.INSPECTED, State.REFUNDING),
                permission=_has("returns.receive_return"))
    def inspect(self, complete: bool, original: bool, quality_problem: bool) -> str:
        self.goods_complete = complete
        self.goods_original = original
        self.quality_problem = quality_problem
        self.inspection_passed = bool(original and (complete or self.reason != Reason.NO_REASON))
        if self.inspection_passed and self.request_type == RequestType.RETURN_REFUND:
            return State.REFUNDING
        return State.INSPECTED

    # --- refund ---------------------------------------------------------------------
    @transition(field="state", source=State.INSPECTED, target=State.REFUNDING,
                conditions=[_passed, _refund_due], permission=_has("returns.refund_return"))
    def start_refund(self) -> None:
        pass

    @transition(field="state", source=State.REFUNDING, target=State.COMPLETED,
                permission=_has("returns.refund_return"))
    def refund(self) -> None:
        pass

    @transition(field="state", source=State.INSPECTED, target=State.DECLINED,
                conditions=[_failed], permission=_has("returns.decide_against_customer"))
    def reject_goods(self, message: str) -> None:
        self.decline_reason = DeclineReason.NOT_COMPLETE
        self.decline_message = message

    # --- exchange -------------------------------------------------------------------
    @transition(field="state", source=State.INSPECTED, target=State.REPLACEMENT_SHIPPED,
                conditions=[_passed, _is_exchange, _no_advance_yet],
                permission=_has("returns.ship_replacement"))
    def ship_replacement(self, carrier: str, tracking_number: str) -> None:
        self.replacement_carrier = carrier
        self.replacement_tracking_number = tracking_number

    @transition(field="state", source=list(SHIPBACK_STATES), target=None,
                conditions=[_is_exchange, _no_advance_yet],
                permission=_has("returns.ship_replacement"))
    def ship_advance(self, carrier: str, tracking_number: str) -> None:
        self.replacement_carrier = carrier
        self.replacement_tracking_number = tracking_number

    @transition(field="state", source=State.REPLACEMENT_SHIPPED, target=State.COMPLETED,
                permission=_has("returns.ship_replacement"))
    def replacement_delivered(self) -> None:
        pass

    @transition(field="state", source=State.INSPECTED, target=State.COMPLETED,
                conditions=[_passed, _is_exchange, _advance_shipped],
                permission=_has("returns.ship_replacement"))
    def close_exchange(self) -> None:
        pass

    @transition(field="state", source=list(SHIPBACK_STATES), target=State.COMPLETED,
                conditions=[_advance_shipped, _old_unit_overdue],
                permission=_has("returns.charge_unreturned"))
    def charge_unreturned(self, amount: Decimal) -> None:
        self.unreturned_charge = amount

    @property
    def is_read_only(self) -> bool:
        return self.state in self.READ_ONLY_STATES

    @property
    def goods_come_back(self) -> bool:
        return _goods_come_back(self)


class ReturnLine(models.Model):
    """One order line of a return and how many of its units are concerned."""

    return_order = models.ForeignKey(ReturnOrder, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("order line"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0),
                                   name="returnline_quantity_positive"),
            models.UniqueConstraint(fields=["return_order", "order_line"],
                                    name="returnline_order_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.return_order_id}: {self.order_line_id} × {self.quantity}"
