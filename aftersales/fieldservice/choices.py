"""Stable codes of field service: job states, faults, visit and signature kinds."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Stage


class JobState(models.TextChoices):
    REPORTED = "REPORTED", _("Reported")
    REQUESTED = "REQUESTED", _("Requested")
    TRIAGED = "TRIAGED", _("Triaged")
    PREPARED = "PREPARED", _("Prepared")
    AWAIT_QUOTE = "AWAIT_QUOTE", _("Quote sent, awaiting the customer")
    SCHEDULED = "SCHEDULED", _("Scheduled")
    DISPATCHED = "DISPATCHED", _("Dispatched")
    AWAIT_INBOUND = "AWAIT_INBOUND", _("Awaiting the customer's parcel")
    IN_SERVICE = "IN_SERVICE", _("In service")
    INSTALLING = "INSTALLING", _("Installing")
    SHIPPED_BACK = "SHIPPED_BACK", _("Shipped back")
    ACCEPTANCE = "ACCEPTANCE", _("Awaiting acceptance")
    JOINT_ACCEPTANCE = "JOINT_ACCEPTANCE", _("Joint acceptance")
    ACCEPTED = "ACCEPTED", _("Work accepted")
    RECORD_FILED = "RECORD_FILED", _("Service record filed")
    RETURN_VISIT = "RETURN_VISIT", _("Return visit")
    CLOSED = "CLOSED", _("Job closed")
    HANDED_OVER = "HANDED_OVER", _("Handed over to a return or exchange")
    CANCELLED = "CANCELLED", _("Cancelled")


S = JobState
FINAL_STATES = frozenset({S.CLOSED, S.HANDED_OVER, S.CANCELLED})
READ_ONLY_STATES = FINAL_STATES
CUSTOMER_WAIT_STATES = frozenset({S.AWAIT_QUOTE, S.AWAIT_INBOUND})
# States in which the unit is with the repairer: the T14/T15 clocks run.
IN_REPAIR_STATES = frozenset({S.IN_SERVICE, S.SHIPPED_BACK, S.ACCEPTANCE})
STAGE_OF_STATE = {
    S.REPORTED: Stage.REGISTER, S.REQUESTED: Stage.REGISTER,
    S.TRIAGED: Stage.CLASSIFY, S.PREPARED: Stage.CLASSIFY, S.AWAIT_QUOTE: Stage.CLASSIFY,
    S.SCHEDULED: Stage.HANDLE, S.DISPATCHED: Stage.HANDLE, S.AWAIT_INBOUND: Stage.HANDLE,
    S.IN_SERVICE: Stage.HANDLE, S.INSTALLING: Stage.HANDLE, S.SHIPPED_BACK: Stage.HANDLE,
    S.ACCEPTANCE: Stage.REPLY, S.JOINT_ACCEPTANCE: Stage.REPLY, S.ACCEPTED: Stage.REPLY,
    S.RECORD_FILED: Stage.ARCHIVE, S.RETURN_VISIT: Stage.ARCHIVE, S.CLOSED: Stage.ARCHIVE,
    S.HANDED_OVER: Stage.ARCHIVE, S.CANCELLED: Stage.ARCHIVE,
}
STATE_COLOUR = {
    S.REPORTED: "info", S.REQUESTED: "info", S.TRIAGED: "primary", S.PREPARED: "primary",
    S.AWAIT_QUOTE: "warning", S.SCHEDULED: "primary", S.DISPATCHED: "primary",
    S.AWAIT_INBOUND: "warning", S.IN_SERVICE: "primary", S.INSTALLING: "primary",
    S.SHIPPED_BACK: "info", S.ACCEPTANCE: "warning", S.JOINT_ACCEPTANCE: "warning",
    S.ACCEPTED: "success", S.RECORD_FILED: "success", S.RETURN_VISIT: "success",
    S.CLOSED: "secondary", S.HANDED_OVER: "secondary", S.CANCELLED: "secondary",
}
REPAIR_STATES = [S.REPORTED, S.TRIAGED, S.AWAIT_QUOTE, S.SCHEDULED, S.DISPATCHED,
                 S.AWAIT_INBOUND, S.IN_SERVICE, S.SHIPPED_BACK, S.ACCEPTANCE, S.ACCEPTED,
                 S.RECORD_FILED, S.RETURN_VISIT, S.CLOSED, S.HANDED_OVER, S.CANCELLED]
INSTALL_STATES = [S.REQUESTED, S.PREPARED, S.SCHEDULED, S.DISPATCHED, S.INSTALLING,
                  S.JOINT_ACCEPTANCE, S.ACCEPTED, S.RECORD_FILED, S.RETURN_VISIT, S.CLOSED,
                  S.CANCELLED]


class FaultType(models.TextChoices):
    PERFORMANCE = "PERFORMANCE", _("Performance fault")
    QUALITY_NONCONFORM = "QUALITY_NONCONFORM", _("Quality problem")
    HUMAN_DAMAGE = "HUMAN_DAMAGE", _("Damage by use (human damage)")
    NONE = "NONE", _("No fault found")


class ServiceMode(models.TextChoices):
    ON_SITE = "ON_SITE", _("Visit at the customer's address")
    MAIL_IN = "MAIL_IN", _("Mail-in repair (寄修)")


class QuoteStatus(models.TextChoices):
    PENDING = "PENDING", _("Awaiting the customer")
    ACCEPTED = "ACCEPTED", _("Quote accepted")
    DECLINED = "DECLINED", _("Declined")


class SignerRole(models.TextChoices):
    CUSTOMER = "CUSTOMER", _("Customer")
    TECHNICIAN = "TECHNICIAN", _("Technician")


class ExchangePrompt(models.TextChoices):
    NONE = "", _("None")
    T14 = "T14", _("Repair overrun over 30 days: free exchange")
    T15 = "T15", _("No spare parts for over 90 days: free exchange")
