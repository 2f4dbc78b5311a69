"""Stable codes of the compensation ledger (domain.md §8); labels are translated at display."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineType(models.TextChoices):
    COUPON = "COUPON", _("Coupon")
    POINTS = "POINTS", _("Points")
    CASH = "CASH", _("Cash")
    PRICE_DIFFERENCE = "PRICE_DIFFERENCE", _("Price-difference refund")
    REFUND = "REFUND", _("Refund")
    REISSUE_COUPON = "REISSUE_COUPON", _("Reissued coupon")
    POINTS_EXTENSION = "POINTS_EXTENSION", _("Points extension")
    GOODWILL = "GOODWILL", _("Goodwill compensation")
    FRAUD_DAMAGES = "FRAUD_DAMAGES", _("Fraud damages (CPL Art. 55)")


class LineState(models.TextChoices):
    PROPOSED = "PROPOSED", _("Proposed")
    APPROVED = "APPROVED", _("Approved, waiting for the customer")
    CONSENTED = "CONSENTED", _("Customer agreed")
    EXECUTED = "EXECUTED", _("Executed")
    REJECTED = "REJECTED", _("Rejected")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")
    DECLINED = "DECLINED", _("Declined by the customer")


class ConsentVia(models.TextChoices):
    PORTAL = "PORTAL", _("Tracking page")
    PHONE = "PHONE", _("Phone (recorded by an agent)")


class Approver(models.TextChoices):
    """The lowest role that may approve a line, whatever its amount (e.g. §8 delay tier C)."""

    AGENT = "AGENT", _("Agent")
    SUPERVISOR = "SUPERVISOR", _("Supervisor")
    SUPERIOR = "SUPERIOR", _("Superior")


class Reason(models.TextChoices):
    DELIVERY_DELAY = "DELIVERY_DELAY", _("Delivery delay")
    DELIVERY_DAMAGE = "DELIVERY_DAMAGE", _("Delivery damage")
    DELIVERY_LOSS = "DELIVERY_LOSS", _("Parcel lost")
    COURIER_ATTITUDE = "COURIER_ATTITUDE", _("Courier attitude")
    PRICE_CHANGE = "PRICE_CHANGE", _("Price change or error")
    PROMOTION_BREACH = "PROMOTION_BREACH", _("Promotion breach")
    COUPON_FAULT = "COUPON_FAULT", _("Coupon or points fault")
    QUALITY = "QUALITY", _("Quality problem")
    SERVICE = "SERVICE", _("Service failure")
    FRAUD = "FRAUD", _("Fraud established")
    GOODWILL = "GOODWILL", _("Goodwill")
    OTHER = "OTHER", _("Other")


STATE_COLOUR = {
    LineState.PROPOSED: "secondary",
    LineState.APPROVED: "info",
    LineState.CONSENTED: "primary",
    LineState.EXECUTED: "success",
    LineState.REJECTED: "danger",
    LineState.WITHDRAWN: "light",
    LineState.DECLINED: "warning",
}

# Lines whose value is in points rather than yuan.
POINTS_TYPES = frozenset({LineType.POINTS, LineType.POINTS_EXTENSION})
OPEN_STATES = frozenset({LineState.PROPOSED, LineState.APPROVED, LineState.CONSENTED})
CHANGEABLE_STATES = frozenset({LineState.PROPOSED, LineState.APPROVED, LineState.DECLINED})
