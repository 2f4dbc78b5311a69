from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

TIMELINE_ACTIONS = {
    "compensation.line.proposed": _("Compensation proposed"),
    "compensation.line.approved": _("Compensation approved"),
    "compensation.line.offered": _("Compensation offered; waiting for your answer"),
    "compensation.line.rejected": _("Compensation rejected"),
    "compensation.line.changed": _("Compensation offer changed"),
    "compensation.line.withdrawn": _("Compensation offer withdrawn"),
    "compensation.line.consented": _("Customer agreed to the compensation"),
    "compensation.line.declined": _("Customer declined the compensation"),
    "compensation.line.executed": _("Compensation given"),
}

PROPOSE = "compensation.propose_compensation"
WITHIN_CAP = "compensation.approve_within_cap"
WITHIN_SUPERVISOR = "compensation.approve_within_supervisor_limit"
ABOVE = "compensation.approve_above_limits"
FRAUD = "compensation.approve_fraud_damages"
CONSENT = "compensation.record_consent"
EXECUTE = "compensation.execute_compensation"
LEDGER = "compensation.view_compensation_ledger"


class CompensationConfig(AppConfig):
    """The compensation ledger every kind of case writes to."""

    name = "aftersales.compensation"
    label = "compensation"
    verbose_name = _("Compensation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases import timeline
        from aftersales.people.roles import grant_role

        from .choices import ConsentVia, LineState, LineType, Reason

        timeline.ACTION_LABELS.update(TIMELINE_ACTIONS)
        timeline.DETAIL_FIELDS.update({
            "compensation_type": (_("Compensation"), LineType),
            "compensation_reason": (_("Reason"), Reason),
            "compensation_value": (_("Amount (yuan)"), None),
            "compensation_points": (_("Points"), None),
            "offer_version": (_("Offer version"), None),
            "consent_via": (_("Answered via"), ConsentVia),
            "line_state": (_("Compensation state"), LineState),
        })
        grant_role("handler", [PROPOSE])
        grant_role("agent", [PROPOSE, WITHIN_CAP, CONSENT, EXECUTE, LEDGER])
        grant_role("supervisor", [PROPOSE, WITHIN_CAP, WITHIN_SUPERVISOR, CONSENT, EXECUTE,
                                  LEDGER])
        grant_role("superior", ["aftersales.view_all_tickets", ABOVE, LEDGER],
                   label=_("Superior (approves large compensation)"))
        grant_role("legal", ["aftersales.view_all_tickets", FRAUD, LEDGER],
                   label=_("Legal counsel"))
        grant_role("admin", [
            PROPOSE, WITHIN_CAP, WITHIN_SUPERVISOR, CONSENT, EXECUTE, LEDGER,
            "compensation.view_compensationpolicy", "compensation.change_compensationpolicy",
            "compensation.view_compensationline",
        ])
