"""Display text for timeline action codes, translated when shown."""

from datetime import datetime

from django.db.models import TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Channel, FollowUpMethod, Severity

ACTION_LABELS = {
    "aftersales.ticket.note": _("Internal note"),
    "aftersales.ticket.message": _("Message to the customer"),
    "aftersales.ticket.customer_info": _("Customer added information"),
    "aftersales.sla.at_risk": _("Deadline at risk"),
    "aftersales.sla.breached": _("Deadline breached"),
    "aftersales.sla.escalated": _("Escalated after a breached deadline"),
    "aftersales.followup.sent": _("Satisfaction survey sent"),
    "aftersales.followup.reminded": _("Satisfaction survey reminder sent"),
    "aftersales.followup.no_response": _("No answer to the satisfaction survey"),
    "aftersales.followup.answered": _("Satisfaction survey answered"),
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


# How the keys of an event's ``data`` are shown: a label and, for codes, their choices.
DETAIL_FIELDS: dict[str, tuple[str, type[TextChoices] | None]] = {
    "channel": (_("Channel"), Channel),
    "severity": (_("Severity"), Severity),
    "method": (_("Method"), FollowUpMethod),
    "rating": (_("Rating"), None),
    "satisfied": (_("Satisfied"), None),
    "level": (_("Escalation level"), None),
    "repeat_of": (_("Repeat of"), None),
}


def register_detail_fields(fields: dict) -> None:
    """Let another app say how its event data keys are shown."""
    DETAIL_FIELDS.update(fields)


def _display_value(value, choices: type[TextChoices] | None) -> str:
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
    return str(value)


def event_details(data: dict) -> list[tuple[str, str]]:
    """The known, non-empty facts of an event as (label, value), translated now."""
    facts = data.get("new", data) if isinstance(data, dict) else {}
    shown = []
    for key, (label, choices) in DETAIL_FIELDS.items():
        value = facts.get(key)
        if value is None or value == "":
            continue
        shown.append((str(label), _display_value(value, choices)))
    return shown
