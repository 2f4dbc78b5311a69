"""The delivery incident's registration with the kernel: one ``CaseKind``."""

from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import CaseKind, DemoSeeding, NavLink, PortalEntry

from . import choices as c

CODE = "DELIVERY"

TIMELINE_ACTIONS = {
    "delivery.incident.received": _("Delivery incident received"),
    "delivery.incident.registered": _("Delivery incident registered"),
    "delivery.incident.notify_delay": _("Customer told of the delay, its reason and new ETA"),
    "delivery.incident.arrange_pickup": _("Free door pickup arranged"),
    "delivery.incident.picked_up": _("Damaged goods picked up"),
    "delivery.incident.start_trace": _("Trace started with the carrier"),
    "delivery.incident.traced": _("Trace result recorded"),
    "delivery.incident.investigate": _("Investigation of the courier started"),
    "delivery.incident.finding": _("Investigation finding recorded"),
    "delivery.incident.compensation_offered": _("Delay compensation proposed"),
    "delivery.incident.claim_filed": _("Claim filed with the carrier"),
    "delivery.incident.claim_settled": _("Claim with the carrier settled"),
    "delivery.incident.resolved": _("Incident resolved"),
    "delivery.incident.closed": _("Incident closed"),
    "delivery.incident.cancelled": _("Incident cancelled"),
}

DETAIL_FIELDS = {
    "incident_type": (_("Incident type"), c.IncidentType),
    "delay_reason": (_("Reason for the delay"), None),
    "new_eta": (_("New expected delivery"), None),
    "delay_days": (_("Days late"), None),
    "delay_tier": (_("Delay tier"), c.DelayTier),
    "pickup_at": (_("Pickup booked for"), None),
    "free_of_charge": (_("Free of charge"), None),
    "damage_remedy": (_("Remedy"), c.DamageRemedy),
    "spawned_case": (_("Linked case"), None),
    "trace_result": (_("Trace result"), c.TraceResult),
    "reship_tracking_number": (_("Re-shipped as"), None),
    "courier_finding": (_("Finding"), c.Finding),
    "courier_code": (_("Courier"), None),
    "amount_claimed": (_("Amount claimed (yuan)"), None),
    "claim_recovered": (_("Amount recovered (yuan)"), None),
    "claim_status": (_("Claim status"), c.ClaimStatus),
    "origin_case": (_("Opened from"), None),
}


def subject(ticket) -> str:
    parts = []
    kind = getattr(ticket, "incident_type", "")
    if kind in c.IncidentType.values:
        parts.append(str(c.IncidentType(kind).label))
    shipment = getattr(ticket, "shipment", None) if getattr(ticket, "shipment_id", None) else None
    if shipment is not None:
        parts.append(shipment.tracking_number)
    description = " ".join((getattr(ticket, "description", "") or "").split())
    if description:
        parts.append(description[:80])
    return " · ".join(parts)


def _spawn(*, origin, actor, reason: str = "", **details):
    from .services import incident_spawn

    return incident_spawn(origin=origin, actor=actor, reason=reason, **details)


def _seed_demo(world, count: int) -> None:
    from .demo import seed

    seed(world, count)


def _demo_present() -> bool:
    from .demo import demo_present

    return demo_present()


DELIVERY = CaseKind(
    code=CODE,
    prefix="DL",
    label=_("Delivery incident"),
    label_plural=_("Delivery incidents"),
    model="delivery.DeliveryIncident",
    detail_url_name="delivery:detail",
    subject=subject,
    tracking_template="delivery/track.html",
    tracking_url_name="delivery:track",
    timeline_actions=TIMELINE_ACTIONS,
    detail_fields=DETAIL_FIELDS,
    notification_labels={"aftersales.notify.delivery_registered":
                         _("New delivery incident")},
    states=c.State,
    state_colours=c.STATE_COLOUR,
    customer_wait_states=frozenset(),
    portal_entry=PortalEntry(
        label=_("Report a delivery problem"),
        description=_("Your parcel is late, arrived damaged or never came, or a courier was "
                      "rude."),
        url_name="delivery:report",
        order=30,
    ),
    demo=DemoSeeding(option="delivery", default=40,
                     help="how many delivery incidents to create",
                     run=_seed_demo, present=_demo_present),
    spawn=_spawn,
    nav_links=(
        NavLink(label=_("Register delivery incident"), url_name="delivery:register",
                permission="delivery.register_incident", new_case=True, order=30),
        NavLink(label=_("Delivery scorecards"), url_name="delivery:scorecards",
                permission="delivery.view_scorecards", order=60),
        NavLink(label=_("Compensation"), url_name="compensation:ledger",
                permission="compensation.view_compensation_ledger", order=70),
    ),
)
