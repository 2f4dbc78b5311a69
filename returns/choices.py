"""Stable codes of the return order (domain.md §5.2, §7). Labels are translated at display."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Stage


class RequestType(models.TextChoices):
    REFUND_ONLY = "REFUND_ONLY", _("Refund only")
    RETURN_REFUND = "RETURN_REFUND", _("Return and refund")
    EXCHANGE = "EXCHANGE", _("Exchange")


class Reason(models.TextChoices):
    NO_REASON = "NO_REASON", _("No reason (7-day return)")
    QUALITY = "QUALITY", _("Quality problem")
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED", _("Not as described")
    TRANSPORT_DAMAGE = "TRANSPORT_DAMAGE", _("Damaged in transport")
    WRONG_ITEM = "WRONG_ITEM", _("Wrong item sent")
    MISSING_PARTS = "MISSING_PARTS", _("Missing parts")


class State(models.TextChoices):
    REQUESTED = "REQUESTED", _("Requested")
    REVIEWING = "REVIEWING", _("Under review")
    ACCEPTED = "ACCEPTED", _("Accepted")
    DECLINED = "DECLINED", _("Declined")
    INSPECTION = "INSPECTION", _("Quality inspection")
    AWAIT_SHIPBACK = "AWAIT_SHIPBACK", _("Waiting for the goods")
    IN_TRANSIT = "IN_TRANSIT", _("Goods on the way back")
    RECEIVED = "RECEIVED", _("Goods received")
    INSPECTED = "INSPECTED", _("Goods inspected")
    REFUNDING = "REFUNDING", _("Refund in progress")
    REPLACEMENT_SHIPPED = "REPLACEMENT_SHIPPED", _("Replacement shipped")
    COMPLETED = "COMPLETED", _("Completed")


STATE_COLOUR = {
    State.REQUESTED: "secondary",
    State.REVIEWING: "info",
    State.ACCEPTED: "primary",
    State.DECLINED: "dark",
    State.INSPECTION: "warning",
    State.AWAIT_SHIPBACK: "primary",
    State.IN_TRANSIT: "primary",
    State.RECEIVED: "info",
    State.INSPECTED: "info",
    State.REFUNDING: "warning",
    State.REPLACEMENT_SHIPPED: "primary",
    State.COMPLETED: "success",
}

STAGE_OF_STATE = {
    State.REQUESTED: Stage.REGISTER,
    State.REVIEWING: Stage.REGISTER,
    State.ACCEPTED: Stage.CLASSIFY,
    State.DECLINED: Stage.REPLY,
    State.INSPECTION: Stage.HANDLE,
    State.AWAIT_SHIPBACK: Stage.HANDLE,
    State.IN_TRANSIT: Stage.HANDLE,
    State.RECEIVED: Stage.HANDLE,
    State.INSPECTED: Stage.HANDLE,
    State.REFUNDING: Stage.HANDLE,
    State.REPLACEMENT_SHIPPED: Stage.REPLY,
    State.COMPLETED: Stage.ARCHIVE,
}

FINAL_STATES = frozenset({State.DECLINED, State.COMPLETED})
# The goods are owed back by the customer in these states.
SHIPBACK_STATES = frozenset({State.AWAIT_SHIPBACK, State.IN_TRANSIT})


class DeclineReason(models.TextChoices):
    NOT_ELIGIBLE = "NOT_ELIGIBLE", _("The law and our policy give no remedy for this")
    WINDOW_PASSED = "WINDOW_PASSED", _("The return period has ended")
    EXCLUDED_GOODS = "EXCLUDED_GOODS", _("These goods are excluded from no-reason return")
    NOT_COMPLETE = "NOT_COMPLETE", _("Used beyond inspection: the value dropped sharply")
    HUMAN_DAMAGE = "HUMAN_DAMAGE", _("Damage caused by use, not by a defect")
    NO_PROOF = "NO_PROOF", _("No proof of purchase or of the problem")
    PACKAGE_OPENED = "PACKAGE_OPENED", _("The package was opened")
    OTHER = "OTHER", _("Other reason (explained)")


# Refusing a return for these reasons breaks the law whatever the request (7D Art. 8, 31:
# opening the package or a reasonable trial keeps the goods complete).
FORBIDDEN_DECLINE_REASONS = frozenset({DeclineReason.PACKAGE_OPENED})


class Carrier(models.TextChoices):
    SF = "SF", _("SF Express")
    JD = "JD", _("JD Logistics")
    ZTO = "ZTO", _("ZTO Express")
    YTO = "YTO", _("YTO Express")
    STO = "STO", _("STO Express")
    EMS = "EMS", _("China Post EMS")
    PICKUP = "PICKUP", _("Door pickup by us")
    OTHER = "OTHER", _("Other")


class ReturnVisitResult(models.TextChoices):
    NONE = "", _("Not yet")
    SATISFIED = "SATISFIED", _("Satisfied")
    DISSATISFIED = "DISSATISFIED", _("Not satisfied")
    NO_RESPONSE = "NO_RESPONSE", _("No response")
