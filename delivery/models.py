from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from aftersales.cases.models import Ticket
from aftersales.catalog.models import Order

from .choices import (
    CANCELLABLE_STATES,
    FINAL_STATES,
    FIRST_STEP_STATES,
    STAGE_OF_STATE,
    ClaimStatus,
    DamageRemedy,
    DelayTier,
    Finding,
    IncidentType,
    ShipmentStatus,
    State,
    TraceResult,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


class Carrier(models.Model):
    """A third-party logistics company (第三方物流) that delivers our orders."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name


class Courier(models.Model):
    """A carrier's delivery person, rated by the incidents about them (domain.md §2 LOGI)."""

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="couriers",
                                verbose_name=_("carrier"))
    code = models.CharField(_("staff number"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["carrier", "name"]
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")
        constraints = [models.UniqueConstraint(fields=["carrier", "code"],
                                               name="courier_carrier_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.carrier.code})" if self.carrier_id else self.name


class Shipment(models.Model):
    """One parcel of an order: who carries it, when it was promised and delivered, and the
    carrier's raw status next to our normalised one."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments",
                              verbose_name=_("order"))
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments",
                                verbose_name=_("carrier"))
    courier = models.ForeignKey(Courier, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="shipments", verbose_name=_("courier"))
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    shipped_at = models.DateTimeField(_("shipped at"))
    promised_at = models.DateTimeField(_("promised delivery"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    signed_for_by = models.CharField(_("signed for by"), max_length=100, blank=True)
    raw_status = models.CharField(_("carrier status"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.CREATED)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-shipped_at"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [models.UniqueConstraint(fields=["carrier", "tracking_number"],
                                               name="shipment_carrier_tracking")]
        indexes = [
            # Covering: the scorecards read a month of shipments from the index alone.
            models.Index(fields=["shipped_at"], name="shipment_month",
                         include=["carrier", "courier", "promised_at", "delivered_at"]),
            models.Index(fields=["tracking_number"], name="shipment_tracking"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id}:{self.tracking_number}"

    @property
    def is_late(self) -> bool:
        return self.delivered_at is not None and self.delivered_at > self.promised_at


class ShipmentEvent(models.Model):
    """The history of a shipment's status: the carrier's raw code and ours, append-only."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    raw_status = models.CharField(_("carrier status"), max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)
    location = models.CharField(_("location"), max_length=100, blank=True)

    class Meta:
        ordering = ["shipment", "at", "id"]
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        indexes = [models.Index(fields=["shipment", "at"], name="shipmentevent_time")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status}"


class StatusMapping(models.Model):
    """How a carrier's raw status code reads in our normalised statuses."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="mappings")
    raw_status = models.CharField(_("carrier status"), max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices)

    class Meta:
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")
        constraints = [models.UniqueConstraint(fields=["carrier", "raw_status"],
                                               name="statusmapping_carrier_raw")]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.raw_status} → {self.status}"


class DeliverySettings(models.Model):
    """The tenant's delay tiers (domain.md §8) and scorecard weights; one row, edited in admin.

    The score of a carrier or courier is 100 minus, for each measure, its weight times the
    share of its tolerance used up (capped at the whole weight). The weights sum to 100.
    """

    tier_a_amount = models.DecimalField(_("tier A coupon (yuan)"), default=Decimal("10.00"),
                                        validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    tier_b_amount = models.DecimalField(_("tier B coupon (yuan)"), default=Decimal("30.00"),
                                        validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    tier_c_amount = models.DecimalField(_("tier C coupon (yuan)"), default=Decimal("60.00"),
                                        validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    weight_delay = models.PositiveSmallIntegerField(_("weight: delay rate"), default=40)
    weight_damage = models.PositiveSmallIntegerField(_("weight: damage rate"), default=25)
    weight_loss = models.PositiveSmallIntegerField(_("weight: loss rate"), default=20)
    weight_attitude = models.PositiveSmallIntegerField(_("weight: attitude complaints"),
                                                       default=15)
    tolerance_delay_percent = models.DecimalField(
        _("delay rate that costs the whole weight (%)"), max_digits=6, decimal_places=2,
        default=Decimal("10.00"), validators=[MinValueValidator(Decimal("0.01"))])
    tolerance_damage_percent = models.DecimalField(
        _("damage rate that costs the whole weight (%)"), max_digits=6, decimal_places=2,
        default=Decimal("1.00"), validators=[MinValueValidator(Decimal("0.01"))])
    tolerance_loss_percent = models.DecimalField(
        _("loss rate that costs the whole weight (%)"), max_digits=6, decimal_places=2,
        default=Decimal("0.50"), validators=[MinValueValidator(Decimal("0.01"))])
    tolerance_attitude_per_mille = models.DecimalField(
        _("attitude complaints per 1,000 that cost the whole weight"), max_digits=6,
        decimal_places=2, default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0.01"))])
    grade_a_min = models.PositiveSmallIntegerField(
        _("grade A from score"), default=90, validators=[MaxValueValidator(100)])
    grade_b_min = models.PositiveSmallIntegerField(
        _("grade B from score"), default=75, validators=[MaxValueValidator(100)])
    grade_c_min = models.PositiveSmallIntegerField(
        _("grade C from score"), default=60, validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("delivery settings")
        verbose_name_plural = _("delivery settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_delay__lte=100, weight_damage__lte=100, weight_loss__lte=100,
                            weight_attitude__lte=100),
                name="deliverysettings_weights_bounded"),
        ]

    def __str__(self) -> str:
        return str(_("Delivery settings"))

    @classmethod
    def current(cls) -> DeliverySettings:
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)

    def clean(self) -> None:
        total = self.weight_delay + self.weight_damage + self.weight_loss + self.weight_attitude
        if total != 100:
            raise ValidationError(_("The weights must sum to 100 (now %(total)s).")
                                  % {"total": total})
        if not (self.grade_a_min > self.grade_b_min > self.grade_c_min):
            raise ValidationError(_("Grade bands must fall: A above B above C."))
        if not (self.tier_a_amount <= self.tier_b_amount <= self.tier_c_amount):
            raise ValidationError(_("A longer delay may not earn less: A ≤ B ≤ C."))

    def tier_amount(self, tier: str) -> Decimal:
        return {DelayTier.A: self.tier_a_amount, DelayTier.B: self.tier_b_amount,
                DelayTier.C: self.tier_c_amount}[tier]


def delay_tier(days: int) -> str | None:
    """§8: 1–2 days late is tier A, 3–5 days tier B, over 5 days tier C; on time, none."""
    if days <= 0:
        return None
    if days <= 2:
        return DelayTier.A
    if days <= 5:
        return DelayTier.B
    return DelayTier.C


def _has(perm: str):
    def check(instance: DeliveryIncident, user) -> bool:
        return user.has_perm(perm)

    return check


def _is(kind: str):
    def check(instance: DeliveryIncident) -> bool:
        return instance.incident_type == kind

    check.__name__ = f"is_{kind.lower()}"
    return check


def remedy_complete(instance: DeliveryIncident) -> bool:
    """What each type must have done before it counts as resolved (domain.md §5.5)."""
    if instance.incident_type == IncidentType.ATTITUDE:
        return bool(instance.finding)
    if instance.incident_type == IncidentType.DAMAGE:
        return instance.pickup_done_at is not None and instance.has_claim
    if instance.incident_type == IncidentType.LOSS:
        return bool(instance.trace_result) and instance.has_claim
    return instance.customer_notified_at is not None


class DeliveryIncident(Ticket):
    """A delivery incident (配送事件): a late, damaged or lost parcel, or a rude courier."""

    STAGE_OF_STATE = STAGE_OF_STATE
    FINAL_STATES = FINAL_STATES
    READ_ONLY_STATES = frozenset({State.CLOSED, State.CANCELLED})
    States = State

    incident_type = models.CharField(_("incident type"), max_length=10,
                                     choices=IncidentType.choices)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="incidents",
                                 verbose_name=_("shipment"))
    courier = models.ForeignKey(Courier, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="incidents", verbose_name=_("courier"))
    # The shipment's carrier and ship time, kept on the incident (they never change on a
    # shipment) so the monthly scorecards group incidents without reading the shipments.
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="incidents",
                                verbose_name=_("carrier"))
    shipped_at = models.DateTimeField(_("shipped at"))
    description = models.TextField(_("what happened"))
    # Delay (T19): the reason and new ETA the customer is told at once.
    delay_reason = models.CharField(_("reason for the delay"), max_length=300, blank=True)
    new_eta = models.DateTimeField(_("new expected delivery"), null=True, blank=True)
    customer_notified_at = models.DateTimeField(_("customer told at"), null=True, blank=True)
    delay_days = models.PositiveSmallIntegerField(_("days late"), null=True, blank=True)
    delay_tier = models.CharField(_("delay tier"), max_length=1, choices=DelayTier.choices,
                                  blank=True)
    # Damage: free door pickup, then a return or exchange.
    pickup_at = models.DateTimeField(_("pickup booked for"), null=True, blank=True)
    pickup_done_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    damage_remedy = models.CharField(_("remedy"), max_length=10, choices=DamageRemedy.choices,
                                     blank=True)
    # Loss: trace, then re-ship or refund.
    trace_result = models.CharField(_("trace result"), max_length=10,
                                    choices=TraceResult.choices, blank=True)
    reship_tracking_number = models.CharField(_("re-shipped as"), max_length=64, blank=True)
    # Courier attitude: the recorded finding feeds the courier's assessment.
    finding = models.CharField(_("finding"), max_length=20, choices=Finding.choices, blank=True)
    finding_note = models.TextField(_("finding details"), blank=True)
    finding_at = models.DateTimeField(_("finding recorded at"), null=True, blank=True)
    has_claim = models.BooleanField(_("claim filed"), default=False)

    class Meta:
        verbose_name = _("delivery incident")
        verbose_name_plural = _("delivery incidents")
        permissions = [
            ("register_incident", _("Can register delivery incidents")),
            ("handle_incident", _("Can handle delivery incidents")),
            ("close_incident", _("Can close delivery incidents")),
            ("file_claim", _("Can file and settle claims against carriers")),
            ("view_scorecards", _("Can see carrier and courier scorecards")),
        ]
        indexes = [
            models.Index(fields=["incident_type", "shipment"], name="incident_type_ship"),
            models.Index(fields=["shipped_at"], name="incident_shipped"),
        ]

    @property
    def is_read_only(self) -> bool:
        return self.state in self.READ_ONLY_STATES

    @transition(field="state", source=State.RECEIVED, target=State.REGISTERED,
                permission=_has("delivery.register_incident"))
    def register(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.NOTIFIED,
                permission=_has("delivery.handle_incident"),
                conditions=[_is(IncidentType.DELAY)])
    def notify_delay(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.PICKUP,
                permission=_has("delivery.handle_incident"),
                conditions=[_is(IncidentType.DAMAGE)])
    def arrange_pickup(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.TRACING,
                permission=_has("delivery.handle_incident"),
                conditions=[_is(IncidentType.LOSS)])
    def start_trace(self) -> None:
        pass

    @transition(field="state", source=State.REGISTERED, target=State.INVESTIGATING,
                permission=_has("delivery.handle_incident"),
                conditions=[_is(IncidentType.ATTITUDE)])
    def investigate(self) -> None:
        pass

    @transition(field="state", source=FIRST_STEP_STATES, target=State.REMEDY,
                permission=_has("delivery.handle_incident"))
    def start_remedy(self) -> None:
        pass

    @transition(field="state", source=[State.REMEDY, State.NOTIFIED], target=State.RESOLVED,
                permission=_has("delivery.handle_incident"), conditions=[remedy_complete])
    def resolve(self) -> None:
        pass

    @transition(field="state", source=State.RESOLVED, target=State.CLOSED,
                permission=_has("delivery.close_incident"))
    def close(self) -> None:
        pass

    @transition(field="state", source=CANCELLABLE_STATES, target=State.CANCELLED,
                permission=_has("delivery.close_incident"))
    def cancel(self) -> None:
        pass


class CarrierClaim(models.Model):
    """A claim against the carrier for a damaged or lost parcel (or a delay it caused)."""

    incident = models.ForeignKey(DeliveryIncident, on_delete=models.PROTECT,
                                 related_name="claims", verbose_name=_("incident"))
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="claims",
                                verbose_name=_("carrier"))
    amount_claimed = models.DecimalField(_("amount claimed (yuan)"),
                                         validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    recovered_amount = models.DecimalField(_("amount recovered (yuan)"), default=Decimal("0.00"),
                                           validators=[MinValueValidator(Decimal("0.00"))],
                                           **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices,
                              default=ClaimStatus.FILED)
    filed_at = models.DateTimeField(_("filed at"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("claim against a carrier")
        verbose_name_plural = _("claims against carriers")
        constraints = [
            models.CheckConstraint(condition=Q(recovered_amount__gte=0),
                                   name="claim_recovered_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} ¥{self.amount_claimed}"
