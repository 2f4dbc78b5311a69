"""The complaint's registration with the kernel: one ``CaseKind``."""

from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import CaseKind, DemoSeeding, NavLink, PortalEntry

from . import choices as c

CODE = "COMPLAINT"

TIMELINE_ACTIONS = {
    "complaints.complaint.received": _("Complaint received"),
    "complaints.complaint.registered": _("Complaint registered"),
    "complaints.complaint.accepted": _("Complaint accepted"),
    "complaints.complaint.not_accepted": _("Complaint not accepted"),
    "complaints.complaint.classified": _("Classified and assigned"),
    "complaints.complaint.handling_started": _("Handling started"),
    "complaints.complaint.plan_submitted": _("Handling plan recorded"),
    "complaints.complaint.plan_approved": _("Plan approved"),
    "complaints.complaint.plan_returned": _("Plan sent back"),
    "complaints.complaint.confirmation_requested": _("Proposal sent for confirmation"),
    "complaints.complaint.customer_confirmed": _("Customer agreed to the proposal"),
    "complaints.complaint.customer_declined": _("Customer declined the proposal"),
    "complaints.complaint.resolved_on_spot": _("Resolved on the spot"),
    "complaints.complaint.replied": _("Reply sent"),
    "complaints.complaint.return_visit": _("Return visit recorded"),
    "complaints.complaint.archived": _("Archived"),
    "complaints.complaint.reopened": _("Reopened"),
    "complaints.complaint.resumed": _("Handling resumed"),
    "complaints.complaint.escalated": _("Escalated"),
    "complaints.complaint.spawned": _("Opened from another case"),
    "complaints.dispute.recorded": _("Price, promotion or coupon dispute recorded"),
    "complaints.dispute.fraud_flagged": _("Possible price fraud flagged for legal review"),
    "complaints.dispute.investigated": _("Cause investigated"),
    "complaints.dispute.activity_stopped": _("Promotion stopped"),
    "complaints.dispute.drafted": _("Solution drafted"),
    "complaints.dispute.executed": _("Solution carried out"),
}

DETAIL_FIELDS = {
    "category": (_("Category"), c.Category),
    "subcategory": (_("Sub-category"), c.SubCategory),
    "department": (_("Responsible department"), None),
    "assignee": (_("Handler"), None),
    "cause": (_("Cause"), c.Cause),
    "nature": (_("Nature"), c.Nature),
    "liability": (_("Liability"), c.Liability),
    "responsible_department": (_("Responsible unit"), None),
    "solution": (_("Solution"), c.SolutionType),
    "compensation": (_("Compensation (yuan)"), None),
    "deadline": (_("Deadline"), None),
    "expected_by": (_("Expected result by"), None),
    "needs_approval": (_("Needs approval"), None),
    "outcome": (_("Outcome"), c.Outcome),
    "reason": (_("Reason"), c.NotAcceptedReason),
    "origin": (_("From case"), None),
    "dispute": (_("Dispute"), c.DisputeKind),
    "dispute_step": (_("Dispute step"), c.DisputeStep),
    "dispute_cause": (_("Cause"), c.DisputeCause),
    "promotion_class": (_("Promotion breach"), c.PromotionClass),
    "remedy": (_("Remedy"), c.DisputeRemedy),
    "points": (_("Points"), None),
    "return_case": (_("Return order"), None),
    "activity": (_("Promotion or activity"), None),
    "via": (_("Answer given"), c.ConsentVia),
}

NOTIFICATION_LABELS = {
    "complaints.notify.price_fraud": _("Possible price fraud to review"),
    "complaints.notify.promotion_breach": _("A promotion breach was reported"),
}


def subject(ticket) -> str:
    """Category (or the customer's own hint), product and the start of the description."""
    parts = []
    category = getattr(ticket, "category", "")
    hint = getattr(ticket, "category_hint", "")
    if category:
        parts.append(str(c.Category(category).label))
    elif hint in c.Category.values:
        parts.append(str(c.Category(hint).label))
    product = ticket.product.name if ticket.product_id and ticket.product else ticket.product_given
    if product:
        parts.append(product)
    description = " ".join((getattr(ticket, "description", "") or "").split())
    if description:
        parts.append(description[:80])
    return " · ".join(parts)


def _feedback(*, ticket_pk: int, **answer):
    """The kernel's survey answer, recorded on the complaint (reopens when not satisfied)."""
    from .services import complaint_record_feedback

    return complaint_record_feedback(complaint_pk=ticket_pk, **answer)


def _seed_demo(world, count: int) -> None:
    from .demo import seed

    seed(world, count)


def _demo_present() -> bool:
    from .demo import demo_present

    return demo_present()


def _spawn(*, origin, actor, reason: str = "", **details):
    """A complaint opened from another kind's case (``spawn_case("COMPLAINT", ...)``)."""
    from .services import complaint_spawn

    return complaint_spawn(origin=origin, actor=actor, reason=reason, **details)


def _no_response(*, ticket_pk: int, follow_up=None):
    from .services import complaint_record_no_response

    return complaint_record_no_response(complaint_pk=ticket_pk, follow_up=follow_up)


COMPLAINT = CaseKind(
    code=CODE,
    prefix="CP",
    label=_("Complaint"),
    label_plural=_("Complaints"),
    model="complaints.Complaint",
    detail_url_name="complaints:detail",
    subject=subject,
    tracking_template="complaints/track.html",
    tracking_url_name="complaints:track",
    on_feedback=_feedback,
    on_no_response=_no_response,
    timeline_actions=TIMELINE_ACTIONS,
    detail_fields=DETAIL_FIELDS,
    notification_labels=NOTIFICATION_LABELS,
    states=c.State,
    state_colours=c.STATE_COLOUR,
    approval_states=frozenset({c.State.PLAN_APPROVAL}),
    customer_wait_states=frozenset({c.State.AWAIT_CUSTOMER}),
    return_visit_states=frozenset({c.State.RETURN_VISIT}),
    portal_entry=PortalEntry(
        label=_("File a complaint"),
        description=_("Something went wrong with a product, a delivery or our service."),
        url_name="complaints:public_new",
        order=10,
    ),
    nav_links=(NavLink(label=_("Register complaint"), url_name="complaints:register",
                       permission="complaints.register_complaint", new_case=True, order=10),),
    demo=DemoSeeding(option="complaints", default=200, help="how many complaints to create",
                     run=_seed_demo, present=_demo_present),
    spawn=_spawn,
)
