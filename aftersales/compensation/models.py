from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from aftersales.cases.models import Ticket

from .choices import (
    CHANGEABLE_STATES,
    POINTS_TYPES,
    Approver,
    ConsentVia,
    LineState,
    LineType,
    Reason,
)

# CPL Art. 55: three times the price paid, and never less than 500 yuan.
FRAUD_MULTIPLE = 3
FRAUD_MINIMUM = Decimal("500.00")
UNLIMITED = Decimal("Infinity")


class CompensationPolicy(models.Model):
    """The tenant's approval limits for compensation (domain.md §8); one row, edited in admin.

    An agent approves up to the goodwill cap, a supervisor up to ``supervisor_multiple`` times
    the cap, a superior above that. Points count at ``point_value`` yuan each against a limit.
    """

    goodwill_cap = models.DecimalField(
        _("goodwill cap (yuan)"), max_digits=10, decimal_places=2, default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    supervisor_multiple = models.PositiveSmallIntegerField(
        _("supervisor limit (times the cap)"), default=5,
        validators=[MinValueValidator(1)],
    )
    point_value = models.DecimalField(
        _("value of one point (yuan)"), max_digits=8, decimal_places=4,
        default=Decimal("0.0100"), validators=[MinValueValidator(Decimal("0"))],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("compensation policy")
        verbose_name_plural = _("compensation policy")

    def __str__(self) -> str:
        return str(_("Compensation policy"))

    @classmethod
    def current(cls) -> CompensationPolicy:
        policy = cls.objects.filter(pk=1).first()
        return policy if policy is not None else cls(pk=1)

    @property
    def supervisor_limit(self) -> Decimal:
        return self.goodwill_cap * self.supervisor_multiple

    def limit_for(self, user, line_type: str,
                  min_approver: str = Approver.AGENT) -> Decimal | None:
        """The highest amount ``user`` may approve for a line of this type; None: not at all."""
        if line_type == LineType.FRAUD_DAMAGES:
            return UNLIMITED if user.has_perm("compensation.approve_fraud_damages") else None
        rank = approver_rank(user)
        if rank < APPROVER_RANK[min_approver]:
            return None
        return {1: self.goodwill_cap, 2: self.supervisor_limit, 3: UNLIMITED}.get(rank)


APPROVER_RANK = {Approver.AGENT: 1, Approver.SUPERVISOR: 2, Approver.SUPERIOR: 3}


def approver_rank(user) -> int:
    """0 for no approval right, then agent (the cap), supervisor (5 × cap), superior."""
    if user.has_perm("compensation.approve_above_limits"):
        return 3
    if user.has_perm("compensation.approve_within_supervisor_limit"):
        return 2
    if user.has_perm("compensation.approve_within_cap"):
        return 1
    return 0


def fraud_damages_amount(price_paid: Decimal) -> Decimal:
    """Extra damages for established fraud (CPL Art. 55): 3 × price paid, at least 500 yuan."""
    return max(price_paid * FRAUD_MULTIPLE, FRAUD_MINIMUM).quantize(Decimal("0.01"))


def _can_decide(line: CompensationLine, user) -> bool:
    # The proposer never approves (or rejects) their own line.
    if line.proposed_by_id is not None and line.proposed_by_id == user.pk:
        return False
    limit = CompensationPolicy.current().limit_for(user, line.type, line.min_approver)
    return limit is not None and line.approval_amount() <= limit


def _can_propose(line: CompensationLine, user) -> bool:
    return user.has_perm("compensation.propose_compensation")


def _can_execute(line: CompensationLine, user) -> bool:
    return user.has_perm("compensation.execute_compensation")


def consent_current(line: CompensationLine) -> bool:
    """The customer agreed to this very version of the offer."""
    return line.consented_at is not None and line.consent_version == line.version


class CompensationLine(FSMModelMixin, models.Model):
    """One compensation on a case: what is offered, who proposed and approved it, when the
    customer agreed and when it was carried out (domain.md §8).

    ``version`` counts changes of the offer; the customer's consent is kept with the version
    it was given for, so a changed offer needs a new consent.
    """

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="compensation_lines",
        verbose_name=_("case"),
    )
    type = models.CharField(_("type"), max_length=20, choices=LineType.choices)
    value = models.DecimalField(
        _("value (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    # The carrier a delivery line is charged to, as the delivery app names it (for totals).
    carrier = models.CharField(_("carrier"), max_length=32, blank=True)
    min_approver = models.CharField(_("approved at least by"), max_length=10,
                                    choices=Approver.choices, default=Approver.AGENT)
    state = FSMField(_("state"), max_length=12, choices=LineState.choices,
                     default=LineState.PROPOSED, protected=True)
    version = models.PositiveIntegerField(_("offer version"), default=1)

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    decided_note = models.TextField(_("approver's note"), blank=True)

    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    consent_via = models.CharField(_("consent via"), max_length=8, choices=ConsentVia.choices,
                                   blank=True)
    consent_note = models.TextField(_("consent note"), blank=True)
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("consent recorded by"),
    )
    consent_version = models.PositiveIntegerField(_("consented version"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("executed by"),
    )
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "proposed_at", "id"]
        verbose_name = _("compensation line")
        verbose_name_plural = _("compensation lines")
        permissions = [
            ("propose_compensation", _("Can propose compensation")),
            ("approve_within_cap", _("Can approve compensation up to the goodwill cap")),
            ("approve_within_supervisor_limit",
             _("Can approve compensation up to the supervisor limit")),
            ("approve_above_limits", _("Can approve compensation above every limit")),
            ("approve_fraud_damages", _("Can approve fraud damages")),
            ("record_consent", _("Can record a customer's consent given by phone")),
            ("execute_compensation", _("Can execute approved and agreed compensation")),
            ("view_compensation_ledger", _("Can see the compensation ledger totals")),
        ]
        indexes = [
            models.Index(fields=["ticket", "proposed_at"], name="compline_ticket"),
            models.Index(fields=["executed_at"], name="compline_executed",
                         condition=Q(state="EXECUTED")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="compline_value_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.shown_amount}"

    @property
    def in_points(self) -> bool:
        return self.type in POINTS_TYPES

    @property
    def shown_amount(self) -> str:
        if self.in_points:
            return str(_("%(points)s points") % {"points": self.points or 0})
        return f"¥{self.value:.2f}"

    def approval_amount(self, policy: CompensationPolicy | None = None) -> Decimal:
        """What the line weighs against an approval limit, in yuan."""
        if self.in_points:
            policy = policy or CompensationPolicy.current()
            return (Decimal(self.points or 0) * policy.point_value).quantize(Decimal("0.01"))
        return self.value

    @transition(field=state, source=LineState.PROPOSED, target=LineState.APPROVED,
                permission=_can_decide)
    def approve(self) -> None:
        pass

    @transition(field=state, source=LineState.PROPOSED, target=LineState.REJECTED,
                permission=_can_decide)
    def reject(self) -> None:
        pass

    @transition(field=state, source=list(CHANGEABLE_STATES), target=LineState.PROPOSED,
                permission=_can_propose)
    def change(self) -> None:
        pass

    @transition(field=state, source=list(CHANGEABLE_STATES), target=LineState.WITHDRAWN,
                permission=_can_propose)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=LineState.APPROVED, target=LineState.CONSENTED)
    def consent(self) -> None:
        pass

    @transition(field=state, source=LineState.APPROVED, target=LineState.DECLINED)
    def decline(self) -> None:
        pass

    @transition(field=state, source=LineState.CONSENTED, target=LineState.EXECUTED,
                permission=_can_execute, conditions=[consent_current])
    def execute(self) -> None:
        pass
