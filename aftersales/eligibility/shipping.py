"""Table D: who pays shipping (CPL Art. 19, 24–25; 7D Art. 18; ECL Art. 20; P1 6.3.1)."""

from __future__ import annotations

from aftersales.eligibility.facts import Payer
from aftersales.eligibility.policy import LAW, Policy


class Reason:
    QUALITY = "QUALITY"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    TRANSPORT_DAMAGE = "TRANSPORT_DAMAGE"
    SELLER_ERROR = "SELLER_ERROR"
    NO_REASON = "NO_REASON"
    NO_REASON_BREAKS_FREE_SHIPPING = "NO_REASON_BREAKS_FREE_SHIPPING"
    RECALL = "RECALL"
    SELLER_FAULT = frozenset({QUALITY, NOT_AS_DESCRIBED, TRANSPORT_DAMAGE, SELLER_ERROR, RECALL})
    NO_REASON_ALL = frozenset({NO_REASON, NO_REASON_BREAKS_FREE_SHIPPING})
    ALL = SELLER_FAULT | NO_REASON_ALL


def shipping_payer(reason: str, policy: Policy = LAW) -> tuple[str, str | None]:
    """(who pays the return leg, who pays the re-shipment) for a return or exchange.

    The re-shipment is ``None`` where there is none (a no-reason return). On a no-reason
    return that breaks a free-shipping threshold the customer pays the return leg, and the
    waived outbound shipping may be deducted from the refund (see ``refund_amount``).
    """
    if reason in Reason.SELLER_FAULT:
        return Payer.SELLER, Payer.SELLER
    if reason in Reason.NO_REASON_ALL:
        if policy.return_shipping_insurance:
            return Payer.SELLER, None
        return Payer.CUSTOMER, None
    raise ValueError(f"unknown shipping reason {reason!r}")
