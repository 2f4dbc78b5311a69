"""Display text for timeline action codes, translated when shown."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "aftersales.ticket.note": _("Internal note"),
    "aftersales.ticket.message": _("Message to the customer"),
    "aftersales.ticket.customer_info": _("Customer added information"),
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
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def register_actions(labels: dict) -> None:
    """Let another app add its action codes."""
    ACTION_LABELS.update(labels)
