"""Reads of the delivery app: incident pages and the monthly scorecards (set-based)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from aftersales.cases.selectors import ticket_for_page, tickets_visible_to

from .choices import Finding, IncidentType, State
from .models import Carrier, CarrierClaim, Courier, DeliveryIncident, DeliverySettings, Shipment


def incident_for_page(user, number: str) -> DeliveryIncident:
    """One incident the user may see, with what its page shows, in one query."""
    return ticket_for_page(
        tickets_visible_to(user, DeliveryIncident.objects.all()).select_related(
            "customer", "department", "assignee", "shipment__carrier", "shipment__order",
            "courier", "origin", "product"),
        number=number)


def incident_for_token(token: str) -> DeliveryIncident:
    return (DeliveryIncident.objects
            .select_related("customer", "shipment__carrier")
            .get(tracking_token=token))


def claims_for(incident_id: int) -> QuerySet[CarrierClaim]:
    return CarrierClaim.objects.filter(incident_id=incident_id).select_related("filed_by")


def month_bounds(month: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.combine(month.replace(day=1), time.min, zone)
    following = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start, datetime.combine(following, time.min, zone)


@dataclass
class Scorecard:
    """One carrier's or courier's month (domain.md §5.5, issue 12 §1)."""

    key: int
    name: str
    shipments: int = 0
    late: int = 0
    damaged: int = 0
    lost: int = 0
    attitude: int = 0
    claims_filed: int = 0
    claimed: Decimal = Decimal("0.00")
    recovered: Decimal = Decimal("0.00")
    average_delay_hours: float | None = None
    score: float = 100.0
    grade: str = "A"
    extra: dict = field(default_factory=dict)

    def _rate(self, count: int, per: int = 100) -> float:
        return round(count * per / self.shipments, 2) if self.shipments else 0.0

    @property
    def delay_rate(self) -> float:
        return self._rate(self.late)

    @property
    def damage_rate(self) -> float:
        return self._rate(self.damaged)

    @property
    def loss_rate(self) -> float:
        return self._rate(self.lost)

    @property
    def attitude_per_mille(self) -> float:
        return self._rate(self.attitude, 1000)


def grade_scorecard(card: Scorecard, cfg: DeliverySettings) -> None:
    """100 less each measure's weight times the share of its tolerance used (at most all)."""
    used = [
        (cfg.weight_delay, card.delay_rate, cfg.tolerance_delay_percent),
        (cfg.weight_damage, card.damage_rate, cfg.tolerance_damage_percent),
        (cfg.weight_loss, card.loss_rate, cfg.tolerance_loss_percent),
        (cfg.weight_attitude, card.attitude_per_mille, cfg.tolerance_attitude_per_mille),
    ]
    lost = sum(weight * min(1.0, rate / float(tolerance)) for weight, rate, tolerance in used)
    card.score = round(100 - lost, 1)
    if card.score >= cfg.grade_a_min:
        card.grade = "A"
    elif card.score >= cfg.grade_b_min:
        card.grade = "B"
    elif card.score >= cfg.grade_c_min:
        card.grade = "C"
    else:
        card.grade = "D"


def scorecards(month: date, by: str = "carrier") -> list[Scorecard]:
    """Every carrier's (or courier's) figures for the shipments shipped in ``month``.

    Three grouped queries whatever the number of shipments: the month's shipments (read from
    a covering index), the incidents on them and the claims on those incidents (both carry
    their shipment's carrier, courier and ship time, so they never read the shipments).
    Incidents and claims count in the month their shipment was shipped, so every rate has
    one denominator. Cancelled incidents and unfounded attitude complaints do not count; a
    parcel reported damaged twice is one damaged parcel.
    """
    if by not in ("carrier", "courier"):
        raise ValueError("by is 'carrier' or 'courier'")
    start, end = month_bounds(month)
    late = Q(delivered_at__gt=F("promised_at"))
    delay = ExpressionWrapper(F("delivered_at") - F("promised_at"), output_field=DurationField())
    shipment_rows = (
        Shipment.objects.filter(shipped_at__gte=start, shipped_at__lt=end,
                                **{f"{by}__isnull": False})
        .values(by).order_by(by)
        .annotate(shipments=Count("id"), late=Count("id", filter=late),
                  average_delay=Avg(delay, filter=late, output_field=DurationField()))
    )
    cards: dict[int, Scorecard] = {}
    for row in shipment_rows:
        average = row["average_delay"]
        cards[row[by]] = Scorecard(
            key=row[by], name="", shipments=row["shipments"], late=row["late"],
            average_delay_hours=(round(average.total_seconds() / 3600, 1)
                                 if average is not None else None))
    if not cards:
        return []
    incident_rows = (
        DeliveryIncident.objects.filter(shipped_at__gte=start, shipped_at__lt=end)
        .exclude(state=State.CANCELLED).values(by).order_by(by)
        .annotate(
            damaged=Count("shipment", distinct=True,
                          filter=Q(incident_type=IncidentType.DAMAGE)),
            lost=Count("shipment", distinct=True, filter=Q(incident_type=IncidentType.LOSS)),
            attitude=Count("pk", filter=Q(incident_type=IncidentType.ATTITUDE)
                           & ~Q(finding=Finding.NOT_SUBSTANTIATED)),
        )
    )
    for row in incident_rows:
        card = cards.get(row[by])
        if card is not None:
            card.damaged, card.lost, card.attitude = row["damaged"], row["lost"], row["attitude"]
    claim_key = f"incident__{by}"
    claim_rows = (
        CarrierClaim.objects
        .filter(incident__shipped_at__gte=start, incident__shipped_at__lt=end)
        .values(claim_key).order_by(claim_key)
        .annotate(filed=Count("id"), claimed=Sum("amount_claimed"),
                  recovered=Sum("recovered_amount"))
    )
    for row in claim_rows:
        card = cards.get(row[claim_key])
        if card is not None:
            card.claims_filed = row["filed"]
            card.claimed = row["claimed"] or Decimal("0.00")
            card.recovered = row["recovered"] or Decimal("0.00")
    model = Carrier if by == "carrier" else Courier
    names = dict(model.objects.filter(pk__in=cards).values_list("pk", "name"))
    cfg = DeliverySettings.current()
    for card in cards.values():
        card.name = names.get(card.key, str(card.key))
        grade_scorecard(card, cfg)
    return sorted(cards.values(), key=lambda c: (-c.score, c.name))
