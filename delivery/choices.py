"""Delivery codes (domain.md §3.3 LOGI, §5.5, §8); labels are translated at display."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Stage


class IncidentType(models.TextChoices):
    DELAY = "DELAY", _("Delivery delay")
    DAMAGE = "DAMAGE", _("Damaged parcel")
    LOSS = "LOSS", _("Lost parcel")
    ATTITUDE = "ATTITUDE", _("Courier attitude")


class ShipmentStatus(models.TextChoices):
    """Our normalised status; each carrier reports its own raw codes."""

    CREATED = "CREATED", _("Label created")
    PICKED_UP = "PICKED_UP", _("Picked up")
    IN_TRANSIT = "IN_TRANSIT", _("In transit")
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY", _("Out for delivery")
    DELIVERED = "DELIVERED", _("Delivered")
    EXCEPTION = "EXCEPTION", _("Exception")
    LOST = "LOST", _("Lost")
    RETURNED = "RETURNED", _("Returned to sender")


class State(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received")
    REGISTERED = "REGISTERED", _("Registered")
    NOTIFIED = "NOTIFIED", _("Customer told of the delay")
    PICKUP = "PICKUP", _("Door pickup arranged")
    TRACING = "TRACING", _("Tracing with the carrier")
    INVESTIGATING = "INVESTIGATING", _("Investigating")
    REMEDY = "REMEDY", _("Remedy under way")
    RESOLVED = "RESOLVED", _("Resolved")
    CLOSED = "CLOSED", _("Closed")
    CANCELLED = "CANCELLED", _("Cancelled")


class DelayTier(models.TextChoices):
    A = "A", _("Tier A (1–2 days)")
    B = "B", _("Tier B (3–5 days)")
    C = "C", _("Tier C (over 5 days)")


class DamageRemedy(models.TextChoices):
    RETURN = "RETURN", _("Return and refund")
    EXCHANGE = "EXCHANGE", _("Exchange")


class TraceResult(models.TextChoices):
    FOUND = "FOUND", _("Found and delivered")
    RESHIP = "RESHIP", _("Re-shipped")
    REFUND = "REFUND", _("Refunded")


class Finding(models.TextChoices):
    SUBSTANTIATED = "SUBSTANTIATED", _("Substantiated")
    PARTLY = "PARTLY", _("Partly substantiated")
    NOT_SUBSTANTIATED = "NOT_SUBSTANTIATED", _("Not substantiated")


class ClaimStatus(models.TextChoices):
    FILED = "FILED", _("Filed")
    SETTLED = "SETTLED", _("Settled")
    REFUSED = "REFUSED", _("Refused by the carrier")


STAGE_OF_STATE = {
    State.RECEIVED: Stage.REGISTER,
    State.REGISTERED: Stage.REGISTER,
    State.NOTIFIED: Stage.HANDLE,
    State.PICKUP: Stage.HANDLE,
    State.TRACING: Stage.HANDLE,
    State.INVESTIGATING: Stage.HANDLE,
    State.REMEDY: Stage.HANDLE,
    State.RESOLVED: Stage.REPLY,
    State.CLOSED: Stage.ARCHIVE,
    State.CANCELLED: Stage.ARCHIVE,
}
FINAL_STATES = frozenset({State.CLOSED, State.CANCELLED})
FIRST_STEP_STATES = [State.NOTIFIED, State.PICKUP, State.TRACING, State.INVESTIGATING]
CANCELLABLE_STATES = [State.RECEIVED, State.REGISTERED, *FIRST_STEP_STATES]
CLAIM_STATES = frozenset({State.PICKUP, State.TRACING, State.REMEDY, State.RESOLVED})
STATE_COLOUR = {
    State.RECEIVED: "secondary",
    State.REGISTERED: "secondary",
    State.NOTIFIED: "info",
    State.PICKUP: "primary",
    State.TRACING: "primary",
    State.INVESTIGATING: "primary",
    State.REMEDY: "warning",
    State.RESOLVED: "success",
    State.CLOSED: "dark",
    State.CANCELLED: "light",
}
# The first step each type takes after registration (domain.md §5.5).
FIRST_STEP = {
    IncidentType.DELAY: "notify_delay",
    IncidentType.DAMAGE: "arrange_pickup",
    IncidentType.LOSS: "start_trace",
    IncidentType.ATTITUDE: "investigate",
}
