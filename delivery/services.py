"""Delivery incident use-cases (domain.md §5.5). Each runs in one transaction: lock the case,
run the transition, record it on the timeline, owe the customer's message to the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import ticket_customer_email
from aftersales.cases.kinds import spawn_case, spawnable
from aftersales.cases.models import Ticket
from aftersales.cases.services import (
    ticket_create,
    ticket_create_once,
    ticket_ensure_writable,
    ticket_lock,
    ticket_save,
    ticket_transition,
    timeline_record,
)
from aftersales.catalog.models import Order
from aftersales.compensation.choices import Approver, LineState, LineType, Reason
from aftersales.compensation.models import CompensationLine
from aftersales.compensation.services import compensation_propose
from aftersales.core import outbox
from aftersales.core.choices import Channel, TicketKind
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.fieldservice.services import installation_offer
from aftersales.people.models import Customer
from aftersales.people.services import Actor
from aftersales.sla import clocks as sla

from .choices import (
    CLAIM_STATES,
    ClaimStatus,
    DamageRemedy,
    DelayTier,
    Finding,
    IncidentType,
    ShipmentStatus,
    State,
    TraceResult,
)
from .exceptions import AlreadyOffered, NotLate, ShipmentNotFound
from .models import (
    CarrierClaim,
    DeliveryIncident,
    DeliverySettings,
    Shipment,
    ShipmentEvent,
    StatusMapping,
    delay_tier,
)

ACTION = "delivery.incident.{}".format
REASON_OF_TYPE = {
    IncidentType.DELAY: Reason.DELIVERY_DELAY,
    IncidentType.DAMAGE: Reason.DELIVERY_DAMAGE,
    IncidentType.LOSS: Reason.DELIVERY_LOSS,
    IncidentType.ATTITUDE: Reason.COURIER_ATTITUDE,
}
# The return kind's request types and reason code for goods damaged in transport.
RETURN_REQUEST = {DamageRemedy.RETURN: "RETURN_REFUND", DamageRemedy.EXCHANGE: "EXCHANGE"}
# §8: an agent approves delay compensation up to tier B; tier C needs a supervisor.
MIN_APPROVER_OF_TIER = {DelayTier.A: Approver.AGENT, DelayTier.B: Approver.AGENT,
                        DelayTier.C: Approver.SUPERVISOR}


def _notify(incident: DeliveryIncident, template: str, key: str = "") -> None:
    if ticket_customer_email(incident):
        outbox.enqueue("delivery.notify_customer", [incident.pk, template],
                       key=f"delivery.notify_customer:{incident.pk}:{template}:{key}")


def _lock(incident_pk: int, version: int | None) -> DeliveryIncident:
    incident = ticket_lock(DeliveryIncident, incident_pk, version=version)
    ticket_ensure_writable(incident)
    return incident


def _staff(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


@dataclass
class IncidentIntake:
    """What the agent's form, the portal form or a complaint gives for a new incident."""

    shipment: Shipment
    incident_type: str
    description: str
    channel: str = Channel.HOTLINE
    name: str = ""
    phone: str = ""
    email: str = ""
    customer: Customer | None = None
    received_at: datetime | None = None
    origin: Ticket | None = None
    language: str = "zh-hans"


def shipment_for(*, order_number: str, tracking_number: str) -> Shipment:
    shipment = (Shipment.objects.select_related("order", "carrier", "courier")
                .filter(order__number=order_number.strip(),
                        tracking_number=tracking_number.strip()).first())
    if shipment is None:
        raise ShipmentNotFound()
    return shipment


def incident_register(*, intake: IncidentIntake, actor: Actor,
                      form_token: str | None = None) -> DeliveryIncident:
    """Open an incident on a shipment; the T19 clock (2 h) starts at once for a delay."""
    if intake.incident_type not in IncidentType.values:
        raise DomainError(_("Unknown incident type."))
    return ticket_create_once(DeliveryIncident, form_token, lambda: _incident_register(
        intake=intake, actor=actor, form_token=form_token))


def _incident_register(*, intake: IncidentIntake, actor: Actor,
                       form_token: str | None) -> DeliveryIncident:
    received_at = intake.received_at or timezone.now()
    shipment = intake.shipment
    urgent = intake.incident_type in (IncidentType.DELAY, IncidentType.LOSS)
    with transaction.atomic():
        customer = intake.customer or shipment.order.customer
        lines = list(shipment.order.lines.select_related("product")[:2])
        line = lines[0] if len(lines) == 1 else None
        incident = DeliveryIncident(
            kind=TicketKind.DELIVERY, channel=intake.channel, customer=customer,
            order=shipment.order, order_line=line, product=line.product if line else None,
            order_number_given=shipment.order.number, incident_type=intake.incident_type,
            shipment=shipment, courier=shipment.courier, carrier_id=shipment.carrier_id,
            shipped_at=shipment.shipped_at, description=intake.description,
            received_at=received_at, origin=intake.origin, language=intake.language,
            registered_by=actor if _staff(actor) else None,
            severity="S3" if urgent else "S4", priority=3 if urgent else 4,
        )
        incident.set_contact_given(phone=intake.phone, email=intake.email)
        sla.ticket_start_clock(incident, "first_response", at=received_at)
        ticket_create(
            incident, actor=actor, form_token=form_token, received_action=ACTION("received"),
            received_data={"channel": intake.channel, "incident_type": intake.incident_type,
                           "origin_case": intake.origin.number if intake.origin else None},
            transition="register", action=ACTION("registered"),
            check_permission=_staff(actor) and intake.origin is None,
        )
        _notify(incident, "registered")
    return incident


def _first_step(incident: DeliveryIncident, name: str, actor: Actor, *, data: dict,
                note: str = "", customer_visible: bool = True) -> None:
    ticket_transition(incident, name, actor=actor, action=ACTION(name), data=data, note=note,
                      customer_visible=customer_visible)
    sla.ticket_first_response_done(incident)
    sla.ticket_start_clock(incident, "resolution")


def incident_notify_delay(*, incident_pk: int, version: int | None, actor: Actor, reason: str,
                          new_eta: datetime) -> DeliveryIncident:
    """T19: tell the customer at once why the parcel is late and when it will arrive."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the delay."))
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        incident.delay_reason = reason.strip()
        incident.new_eta = new_eta
        incident.customer_notified_at = timezone.now()
        _first_step(incident, "notify_delay", actor,
                    data={"delay_reason": incident.delay_reason,
                          "new_eta": new_eta.isoformat()})
        ticket_save(incident, ["delay_reason", "new_eta", "customer_notified_at",
                               *sla.CLOCK_FIELDS])
        _notify(incident, "delay", key=str(incident.version))
    return incident


def delay_days_of(incident: DeliveryIncident) -> int:
    """Whole calendar days (Asia/Shanghai) between the promised day and the delivery day, or
    the new ETA while the parcel is still on its way."""
    shipment = incident.shipment
    arrival = shipment.delivered_at or incident.new_eta
    if arrival is None:
        return 0
    promised = timezone.localdate(shipment.promised_at)
    return (timezone.localdate(arrival) - promised).days


def incident_offer_delay_compensation(*, incident_pk: int, actor: Actor) -> CompensationLine:
    """Propose the tier's coupon (§8) on the compensation ledger; it is given only after
    approval and the customer's consent."""
    with transaction.atomic():
        incident = _lock(incident_pk, None)
        if incident.incident_type != IncidentType.DELAY:
            raise TransitionRefused(_("Delay compensation is for delay incidents."))
        if incident.state not in (State.NOTIFIED, State.REMEDY):
            raise TransitionRefused(_("Tell the customer about the delay first (T19)."))
        if CompensationLine.objects.filter(ticket_id=incident.pk, reason=Reason.DELIVERY_DELAY) \
                .exclude(state__in=[LineState.REJECTED, LineState.WITHDRAWN]).exists():
            raise AlreadyOffered()
        days = delay_days_of(incident)
        tier = delay_tier(days)
        if tier is None:
            raise NotLate()
        amount = DeliverySettings.current().tier_amount(tier)
        line = compensation_propose(
            ticket=incident, type=LineType.COUPON, value=amount, reason=Reason.DELIVERY_DELAY,
            actor=actor, carrier=incident.shipment.carrier.code,
            min_approver=MIN_APPROVER_OF_TIER[tier],
        )
        incident.delay_days, incident.delay_tier = days, tier
        if incident.state == State.NOTIFIED:
            ticket_transition(incident, "start_remedy", actor=actor,
                              action=ACTION("compensation_offered"),
                              data={"delay_days": days, "delay_tier": tier})
        ticket_save(incident, ["delay_days", "delay_tier"])
    return line


def incident_arrange_pickup(*, incident_pk: int, version: int | None, actor: Actor,
                            pickup_at: datetime) -> DeliveryIncident:
    """Damage: book a free door pickup (ECL Art. 20: the customer is never charged)."""
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        incident.pickup_at = pickup_at
        _first_step(incident, "arrange_pickup", actor,
                    data={"pickup_at": pickup_at.isoformat(), "free_of_charge": True})
        ticket_save(incident, ["pickup_at", *sla.CLOCK_FIELDS])
        _notify(incident, "pickup", key=str(incident.version))
    return incident


def incident_pickup_done(*, incident_pk: int, version: int | None, actor: Actor,
                         remedy: str) -> DeliveryIncident:
    """The damaged goods were collected: open the linked return or exchange."""
    if remedy not in DamageRemedy.values:
        raise DomainError(_("Choose return or exchange."))
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        if incident.state != State.PICKUP:
            raise TransitionRefused()
        incident.pickup_done_at = timezone.now()
        incident.damage_remedy = remedy
        spawned = None
        line = incident.order_line or incident.order.lines.order_by("pk").first()
        if spawnable(TicketKind.RETURN) and line is not None:
            spawned = spawn_case(
                TicketKind.RETURN, origin=incident, actor=actor,
                reason=str(_("Damaged in delivery (%(number)s); no cost to the customer")
                           % {"number": incident.number}),
                order_line=line, request_type=RETURN_REQUEST[remedy],
                return_reason="TRANSPORT_DAMAGE")
        ticket_transition(incident, "start_remedy", actor=actor, action=ACTION("picked_up"),
                          data={"damage_remedy": remedy,
                                "spawned_case": spawned.number if spawned is not None else None},
                          customer_visible=True)
        ticket_save(incident, ["pickup_done_at", "damage_remedy"])
    return incident


def incident_start_trace(*, incident_pk: int, version: int | None, actor: Actor,
                         note: str = "") -> DeliveryIncident:
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        _first_step(incident, "start_trace", actor, data={}, note=note)
        ticket_save(incident, sla.CLOCK_FIELDS)
        _notify(incident, "tracing")
    return incident


def incident_trace_result(*, incident_pk: int, version: int | None, actor: Actor, result: str,
                          reship_tracking_number: str = "") -> DeliveryIncident:
    """Loss: the parcel was found, or the goods are re-shipped or refunded."""
    if result not in TraceResult.values:
        raise DomainError(_("Choose the result of the trace."))
    if result == TraceResult.RESHIP and not reship_tracking_number.strip():
        raise DomainError(_("Give the tracking number of the re-shipment."))
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        if incident.state != State.TRACING:
            raise TransitionRefused()
        incident.trace_result = result
        incident.reship_tracking_number = reship_tracking_number.strip()
        ticket_transition(incident, "start_remedy", actor=actor, action=ACTION("traced"),
                          data={"trace_result": result,
                                "reship_tracking_number": incident.reship_tracking_number},
                          customer_visible=True)
        ticket_save(incident, ["trace_result", "reship_tracking_number"])
    return incident


def incident_investigate(*, incident_pk: int, version: int | None, actor: Actor,
                         note: str = "") -> DeliveryIncident:
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        _first_step(incident, "investigate", actor, data={}, note=note)
        ticket_save(incident, sla.CLOCK_FIELDS)
    return incident


def incident_record_finding(*, incident_pk: int, version: int | None, actor: Actor,
                            finding: str, note: str) -> DeliveryIncident:
    """Courier attitude: the finding counts in the courier's assessment unless unfounded."""
    if finding not in Finding.values:
        raise DomainError(_("Choose the finding."))
    if not note.strip():
        raise DomainError(_("Describe what the investigation found."))
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        if incident.state != State.INVESTIGATING:
            raise TransitionRefused()
        incident.finding, incident.finding_note = finding, note.strip()
        incident.finding_at = timezone.now()
        ticket_transition(incident, "start_remedy", actor=actor, action=ACTION("finding"),
                          data={"courier_finding": finding,
                                "courier_code": (incident.courier.code if incident.courier
                                                 else None)},
                          note=incident.finding_note)
        ticket_save(incident, ["finding", "finding_note", "finding_at"])
    return incident


def incident_file_claim(*, incident_pk: int, actor: Actor, amount: Decimal,
                        note: str = "") -> CarrierClaim:
    """A fast claim against the carrier for what its incident cost."""
    if amount is None or amount <= 0:
        raise DomainError(_("Give the amount claimed."))
    with transaction.atomic():
        incident = _lock(incident_pk, None)
        if not actor.has_perm("delivery.file_claim"):
            raise PermissionRefused()
        if incident.state not in CLAIM_STATES and incident.incident_type != IncidentType.DELAY:
            raise TransitionRefused(_("A claim is filed once the pickup or trace has started."))
        claim = CarrierClaim.objects.create(
            incident=incident, carrier_id=incident.shipment.carrier_id,
            amount_claimed=Decimal(amount).quantize(Decimal("0.01")), filed_at=timezone.now(),
            filed_by=actor, note=note)
        incident.has_claim = True
        timeline_record(ticket=incident, action=ACTION("claim_filed"), actor=actor, note=note,
                        data={"claim": claim.pk, "amount_claimed": f"{claim.amount_claimed:.2f}"})
        ticket_save(incident, ["has_claim"])
    return claim


def claim_settle(*, claim_pk: int, actor: Actor, recovered: Decimal,
                 refused: bool = False) -> CarrierClaim:
    with transaction.atomic():
        claim = CarrierClaim.objects.select_for_update().get(pk=claim_pk)
        if not actor.has_perm("delivery.file_claim"):
            raise PermissionRefused()
        if claim.status != ClaimStatus.FILED:
            raise TransitionRefused(_("This claim is already settled."))
        if recovered < 0 or recovered > claim.amount_claimed:
            raise DomainError(_("The amount recovered is between zero and the amount claimed."))
        claim.recovered_amount = Decimal(recovered).quantize(Decimal("0.01"))
        claim.status = ClaimStatus.REFUSED if refused else ClaimStatus.SETTLED
        claim.settled_at = timezone.now()
        claim.save()
        timeline_record(ticket=claim.incident, action=ACTION("claim_settled"), actor=actor,
                        data={"claim": claim.pk, "claim_status": claim.status,
                              "claim_recovered": f"{claim.recovered_amount:.2f}"})
    return claim


def _open_compensation(incident: DeliveryIncident) -> bool:
    return CompensationLine.objects.filter(
        ticket_id=incident.pk,
        state__in=[LineState.PROPOSED, LineState.APPROVED, LineState.CONSENTED]).exists()


def incident_resolve(*, incident_pk: int, version: int | None, actor: Actor,
                     note: str = "") -> DeliveryIncident:
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        if _open_compensation(incident):
            raise TransitionRefused(_("A compensation on this incident is still open: it must "
                                      "be executed, declined or withdrawn first."))
        ticket_transition(incident, "resolve", actor=actor, action=ACTION("resolved"),
                          note=note, customer_visible=True)
        sla.ticket_resolved(incident)
        ticket_save(incident, sla.CLOCK_FIELDS)
        _notify(incident, "resolved")
    return incident


def incident_close(*, incident_pk: int, version: int | None, actor: Actor) -> DeliveryIncident:
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        ticket_transition(incident, "close", actor=actor, action=ACTION("closed"))
        incident.closed_at = timezone.now()
        sla.ticket_stop_clock(incident, closed=True)
        ticket_save(incident, sla.CLOCK_FIELDS)
    return incident


def incident_cancel(*, incident_pk: int, version: int | None, actor: Actor,
                    note: str) -> DeliveryIncident:
    if not note.strip():
        raise DomainError(_("Say why the incident is cancelled."))
    with transaction.atomic():
        incident = _lock(incident_pk, version)
        ticket_transition(incident, "cancel", actor=actor, action=ACTION("cancelled"),
                          note=note, customer_visible=True)
        sla.ticket_stop_clock(incident, closed=True)
        ticket_save(incident, sla.CLOCK_FIELDS)
    return incident


def incident_spawn(*, origin: Ticket, actor: Actor, reason: str = "",
                   incident_type: str = IncidentType.DELAY, shipment: Shipment | None = None,
                   description: str = "", **details) -> DeliveryIncident:
    """An incident opened from another case (``spawn_case("DELIVERY", ...)``), e.g. a
    complaint about a delivery: on the origin's order's latest shipment unless given."""
    if shipment is None:
        if origin.order_id is None:
            raise DomainError(_("The case has no order, so no shipment to open an incident on."))
        shipment = (Shipment.objects.select_related("order", "carrier", "courier")
                    .filter(order_id=origin.order_id).order_by("-shipped_at").first())
        if shipment is None:
            raise ShipmentNotFound(_("The case's order has no shipment."))
    intake = IncidentIntake(
        shipment=shipment, incident_type=incident_type, channel=Channel.OTHERDEPT,
        description=(description or reason or str(_("Opened from case %(number)s")
                                                  % {"number": origin.number}))[:5000],
        customer=origin.customer, origin=origin, language=origin.language)
    return incident_register(intake=intake, actor=actor)


def shipment_record_status(*, shipment_pk: int, raw_status: str, at: datetime,
                           location: str = "", signed_for_by: str = "") -> Shipment:
    """A carrier's status update: kept raw, read through the carrier's mapping, appended."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_pk)
        mapped = (StatusMapping.objects.filter(carrier_id=shipment.carrier_id,
                                               raw_status=raw_status)
                  .values_list("status", flat=True).first())
        status = mapped or (raw_status if raw_status in ShipmentStatus.values
                            else ShipmentStatus.EXCEPTION)
        ShipmentEvent.objects.create(shipment=shipment, at=at, raw_status=raw_status,
                                     status=status, location=location)
        shipment.raw_status, shipment.status = raw_status, status
        delivered_now = status == ShipmentStatus.DELIVERED and shipment.delivered_at is None
        if delivered_now:
            shipment.delivered_at = at
            shipment.signed_for_by = signed_for_by
        shipment.save()
        if delivered_now:
            # Sign-for is delivery (ECL Art. 51): the order's return and 三包 periods start.
            Order.objects.filter(pk=shipment.order_id, signed_at__isnull=True).update(
                signed_at=at)
            installation_offer(order_id=shipment.order_id)
    return shipment
