"""Repair and installation jobs as kinds of case: two ``CaseKind`` registrations."""

from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import CaseKind, DemoSeeding, NavLink, PortalEntry
from aftersales.core.choices import TicketKind

from .choices import CUSTOMER_WAIT_STATES, STATE_COLOUR, FaultType, JobState, ServiceMode

TIMELINE_ACTIONS = {
    "fieldservice.job.reported": _("Fault reported"),
    "fieldservice.job.requested": _("Installation requested"),
    "fieldservice.job.triaged": _("Fault confirmed and warranty checked"),
    "fieldservice.job.prepared": _("Installation prepared"),
    "fieldservice.job.quoted": _("Quote sent"),
    "fieldservice.job.quote_accepted": _("Customer accepted the quote"),
    "fieldservice.job.quote_declined": _("Customer declined the quote"),
    "fieldservice.job.slots_offered": _("Visit times offered"),
    "fieldservice.job.slot_picked": _("Customer picked a visit time"),
    "fieldservice.job.scheduled": _("Visit time agreed"),
    "fieldservice.job.dispatched": _("Technician dispatched"),
    "fieldservice.job.unassigned": _("Technician taken off the job"),
    "fieldservice.job.checked_in": _("Technician arrived"),
    "fieldservice.job.work_recorded": _("Work recorded"),
    "fieldservice.job.waiting_parts": _("Waiting for spare parts"),
    "fieldservice.job.completed": _("Work completed, awaiting acceptance"),
    "fieldservice.job.accepted": _("Customer signed and accepted the work"),
    "fieldservice.job.rejected": _("Customer did not accept the work"),
    "fieldservice.job.await_inbound": _("Waiting for the customer's parcel"),
    "fieldservice.job.received": _("Unit received at the service centre"),
    "fieldservice.job.shipped_back": _("Repaired unit shipped back"),
    "fieldservice.job.receipt_confirmed": _("Customer confirmed receipt"),
    "fieldservice.job.record_filed": _("Service record filed"),
    "fieldservice.job.record_overdue": _("Service record overdue (T17)"),
    "fieldservice.job.exchange_due": _("Free exchange due (T14/T15)"),
    "fieldservice.job.return_visit": _("Return visit recorded"),
    "fieldservice.job.no_response": _("Return visit: no response"),
    "fieldservice.job.closed": _("Job closed"),
    "fieldservice.job.cancelled": _("Job cancelled"),
    "fieldservice.job.handed_over": _("Handed over to a return or exchange order"),
    "fieldservice.job.address_revealed": _("Full address shown to the technician"),
}

DETAIL_FIELDS = {
    "fault_type": (_("Fault type"), FaultType),
    "genuine": (_("Genuine product"), None),
    "rule": (_("三包 rule"), None),
    "free": (_("Free of charge"), None),
    "repair_count": (_("Repairs of this unit"), None),
    "service_mode": (_("Service"), ServiceMode),
    "total": (_("Total (yuan)"), None),
    "parts": (_("Parts"), None),
    "labour": (_("Labour (yuan)"), None),
    "technician": (_("Technician"), None),
    "start": (_("From"), None),
    "end": (_("Until"), None),
    "late_minutes": (_("Minutes late"), None),
    "signed_by": (_("Signed by"), None),
    "tracking": (_("Tracking number"), None),
    "carrier": (_("Carrier"), None),
    "slots": (_("Slots"), None),
    "area": (_("District"), None),
    "request_type": (_("Request"), None),
    "failed_repair": (_("Failed repair (T16)"), None),
    "satisfied": (_("Satisfied"), None),
    "rating": (_("Rating"), None),
}

NOTIFICATION_LABELS = {
    "aftersales.notify.assigned": _("A job was dispatched to you"),
    "aftersales.notify.record_overdue": _("Service record overdue"),
    "aftersales.notify.exchange_due": _("Free exchange due"),
    "aftersales.notify.customer_answered": _("The customer answered"),
}


def subject(ticket) -> str:
    parts = []
    product = ticket.product.name if ticket.product_id and ticket.product else ""
    if product:
        parts.append(product)
    if ticket.address_area:
        parts.append(ticket.address_area)
    description = " ".join((ticket.fault_description or "").split())
    if description:
        parts.append(description[:80])
    return " · ".join(parts)


def _feedback(*, ticket_pk: int, **answer):
    from .services import job_record_feedback

    return job_record_feedback(ticket_pk=ticket_pk, **answer)


def _no_response(*, ticket_pk: int, follow_up=None):
    from .services import job_record_no_response

    return job_record_no_response(ticket_pk=ticket_pk, follow_up=follow_up)


def _seed_repairs(world, count: int) -> None:
    from .demo import seed

    seed(world, count)


def _seed_installations(world, count: int) -> None:
    from .demo import seed_installations

    seed_installations(world, count)


def _present() -> bool:
    from .demo import demo_present

    return demo_present()


COMMON = {
    "tracking_template": "fieldservice/track.html",
    "tracking_url_name": "fieldservice:track",
    "on_feedback": _feedback,
    "on_no_response": _no_response,
    "timeline_actions": TIMELINE_ACTIONS,
    "detail_fields": DETAIL_FIELDS,
    "notification_labels": NOTIFICATION_LABELS,
    "states": JobState,
    "state_colours": STATE_COLOUR,
    "customer_wait_states": CUSTOMER_WAIT_STATES,
    "return_visit_states": frozenset({JobState.RECORD_FILED}),
    "detail_url_name": "fieldservice:detail",
    "subject": subject,
}

# The field-service pages, listed once (with the repair kind) in the staff navigation.
NAV_LINKS = (
    NavLink(_("Repair or installation"), "fieldservice:new",
            permission="fieldservice.register_job", new_case=True, order=20),
    NavLink(_("Dispatch board"), "fieldservice:board", permission="fieldservice.view_board",
            order=30),
    NavLink(_("My jobs"), "fieldservice:my", permission="fieldservice.work_job", order=31),
    NavLink(_("Technicians"), "fieldservice:scorecard",
            permission="fieldservice.view_scorecard", order=32),
)

REPAIR = CaseKind(
    code=TicketKind.REPAIR, prefix="RP", label=_("Repair"), label_plural=_("Repairs"),
    model="fieldservice.RepairJob",
    portal_entry=PortalEntry(
        label=_("Report a fault"),
        description=_("A product stopped working: we repair it at your home or by mail."),
        url_name="fieldservice:report", order=20),
    demo=DemoSeeding(option="repairs", default=40, help="how many repair jobs to create",
                     run=_seed_repairs, present=_present),
    nav_links=NAV_LINKS,
    **COMMON,
)

INSTALL = CaseKind(
    code=TicketKind.INSTALL, prefix="IN", label=_("Installation"),
    label_plural=_("Installations"), model="fieldservice.InstallationJob",
    portal_entry=PortalEntry(
        label=_("Book an installation"),
        description=_("Choose a time for our technician to install what you bought."),
        url_name="fieldservice:install", order=30),
    demo=DemoSeeding(option="installations", default=15,
                     help="how many installation jobs to create",
                     run=_seed_installations, present=_present),
    **COMMON,
)
