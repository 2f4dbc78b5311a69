"""Display text for timeline action codes, translated when shown."""

from datetime import datetime

from django.db.models import TextChoices
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import all_timeline_actions, detail_fields_for
from aftersales.core.choices import Channel, FollowUpMethod, Severity

ACTION_LABELS = {
    "aftersales.ticket.note": _("Internal note"),
    "aftersales.ticket.message": _("Message to the customer"),
    "aftersales.ticket.customer_info": _("Customer added information"),
    "aftersales.ticket.contact_confirmed": _(
        "Contact given with the case confirmed for the customer"),
    "aftersales.ticket.contact_revealed": _("Contact shown in full"),
    "aftersales.ticket.reassigned": _("Moved to another department or handler"),
    "aftersales.sla.at_risk": _("Deadline at risk"),
    "aftersales.sla.breached": _("Deadline breached"),
    "aftersales.sla.escalated": _("Escalated after a breached deadline"),
    "aftersales.followup.sent": _("Satisfaction survey sent"),
    "aftersales.followup.reminded": _("Satisfaction survey reminder sent"),
    "aftersales.followup.no_response": _("No answer to the satisfaction survey"),
    "aftersales.followup.answered": _("Satisfaction survey answered"),
}


def action_label(code: str, default: str | None = "") -> str | None:
    """The action's display text: the kernel's own codes, then each kind's."""
    label = ACTION_LABELS.get(code) or all_timeline_actions().get(code)
    if label is None:
        return code if default == "" else default
    return str(label)


# How the keys of an event's ``data`` are shown: a label and, for codes, their choices.
DETAIL_FIELDS: dict[str, tuple[str, type[TextChoices] | None]] = {
    "channel": (_("Channel"), Channel),
    "severity": (_("Severity"), Severity),
    "method": (_("Method"), FollowUpMethod),
    "rating": (_("Rating"), None),
    "satisfied": (_("Satisfied"), None),
    "level": (_("Escalation level"), None),
    "repeat_of": (_("Repeat of"), None),
    # Contact events keep masked values only: which contact, never the contact itself.
    "contact_phone": (_("Phone"), None),
    "contact_email": (_("E-mail"), None),
    "contact_address": (_("Address shown"), None),
    "contact_phone_given": (_("Phone as given"), None),
    "contact_email_given": (_("E-mail as given"), None),
    "department": (_("Responsible department"), None),
    "assignee": (_("Handler"), None),
}


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


def event_details(data: dict, action: str = "") -> list[tuple[str, str]]:
    """The known, non-empty facts of an event as (label, value), translated now."""
    facts = data.get("new", data) if isinstance(data, dict) else {}
    shown = []
    for key, (label, choices) in {**DETAIL_FIELDS, **detail_fields_for(action)}.items():
        value = facts.get(key)
        if value is None or value == "":
            continue
        shown.append((str(label), _display_value(value, choices)))
    return shown
