"""The return order's registration with the kernel: one ``CaseKind``."""

from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import CaseKind, DemoSeeding, NavLink, PortalEntry

from . import choices as c

CODE = "RETURN"

TIMELINE_ACTIONS = {
    "returns.return.received": _("Return request received"),
    "returns.return.review_started": _("Under review"),
    "returns.return.accepted": _("Request accepted (the case is taken on)"),
    "returns.return.routed": _("Next step set"),
    "returns.return.declined": _("Request declined"),
    "returns.return.disputed": _("Customer disputes the decision"),
    "returns.return.complaint_spawned": _("Complaint opened from this return"),
    "returns.return.spawned": _("Return started from this case"),
    "returns.return.quality_reported": _("Quality inspection report"),
    "returns.return.shipback_sent": _("Return address sent"),
    "returns.return.shipped_back": _("Goods sent back"),
    "returns.return.received_goods": _("Goods received at the warehouse"),
    "returns.return.inspected": _("Goods inspected"),
    "returns.return.goods_rejected": _("Returned goods not accepted"),
    "returns.return.refund_started": _("Refund started"),
    "returns.return.refunded": _("Refund paid"),
    "returns.return.replacement_shipped": _("Replacement shipped"),
    "returns.return.advance_shipped": _("Replacement shipped in advance"),
    "returns.return.old_unit_reminded": _("Reminder: send the old unit back"),
    "returns.return.charged": _("Charged for the unit not returned"),
    "returns.return.completed": _("Completed"),
    "returns.return.return_visit": _("Return visit recorded"),
    "returns.return.deemed_deliberate_delay": _("Refund overdue 15 days: deemed deliberate delay"),
}

DETAIL_FIELDS = {
    "request_type": (_("Request"), c.RequestType),
    "return_reason": (_("Reason"), c.Reason),
    "decline_reason": (_("Decline reason"), c.DeclineReason),
    "rule": (_("Rule"), None),
    "engine_rule": (_("Rule of the engine"), None),
    "in_customer_favour": (_("In the customer's favour against the rules"), None),
    "against_customer": (_("Against the rules' answer"), None),
    "confirmed": (_("Quality problem confirmed"), None),
    "pickup": (_("Free door pickup"), None),
    "carrier": (_("Carrier"), c.Carrier),
    "tracking_number": (_("Tracking number"), None),
    "complete": (_("Complete"), None),
    "original": (_("Original"), None),
    "quality_problem": (_("Quality problem found"), None),
    "amount": (_("Amount (yuan)"), None),
    "due": (_("Due (yuan)"), None),
    "lowered": (_("Lowered"), None),
}

NOTIFICATION_LABELS = {
    "aftersales.notify.deemed_deliberate_delay": _(
        "Refund owed more than 15 days: deemed deliberate delay"),
}


def subject(ticket) -> str:
    parts = [str(c.RequestType(ticket.request_type).label), str(c.Reason(ticket.reason).label)]
    if ticket.product_id and ticket.product:
        parts.append(ticket.product.name)
    return " · ".join(parts)


def _feedback(*, ticket_pk: int, **answer):
    from .services import return_record_feedback

    return return_record_feedback(ticket_pk=ticket_pk, **answer)


def _no_response(*, ticket_pk: int, follow_up=None):
    from .services import return_record_no_response

    return return_record_no_response(ticket_pk=ticket_pk, follow_up=follow_up)


def _spawn(**kwargs):
    from .services import return_spawn

    return return_spawn(**kwargs)


def _seed_demo(world, count: int) -> None:
    from .demo import seed

    seed(world, count)


def _demo_present() -> bool:
    from .demo import demo_present

    return demo_present()


RETURN = CaseKind(
    code=CODE,
    prefix="RT",
    label=_("Return / exchange"),
    label_plural=_("Returns and exchanges"),
    model="returns.ReturnOrder",
    detail_url_name="returns:detail",
    subject=subject,
    tracking_template="returns/track.html",
    tracking_url_name="returns:track",
    on_feedback=_feedback,
    on_no_response=_no_response,
    timeline_actions=TIMELINE_ACTIONS,
    detail_fields=DETAIL_FIELDS,
    notification_labels=NOTIFICATION_LABELS,
    states=c.State,
    state_colours=c.STATE_COLOUR,
    approval_states=frozenset(),
    customer_wait_states=frozenset({c.State.AWAIT_SHIPBACK}),
    portal_entry=PortalEntry(
        label=_("Return, exchange or refund"),
        description=_("Send goods back, exchange them or ask for a refund; we tell you at "
                      "once what the law and our policy give you."),
        url_name="returns:portal",
        order=20,
    ),
    demo=DemoSeeding(option="returns", default=30, help="how many return orders to create",
                     run=_seed_demo, present=_demo_present),
    spawn=_spawn,
    nav_links=(NavLink(label=_("Register return or exchange"), url_name="returns:register",
                       permission="returns.register_return", new_case=True, order=20),),
)
