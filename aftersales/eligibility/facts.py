"""The engine's inputs (``Facts``) and output (``Decision``), with their stable codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aftersales.eligibility.policy import LAW, Policy
from aftersales.eligibility.text import Text

# Calendar days end at 24:00 in this zone (domain.md §6).
LEGAL_TIME_ZONE = ZoneInfo("Asia/Shanghai")


class Channel:
    DISTANCE = "DISTANCE"  # web, app, TV, phone, mail order
    STORE = "STORE"
    ALL = frozenset({DISTANCE, STORE})


class Fault:
    NONE = "NONE"
    PERFORMANCE = "PERFORMANCE"
    QUALITY_NONCONFORM = "QUALITY_NONCONFORM"
    NOT_AS_DESCRIBED = "NOT_AS_DESCRIBED"
    TRANSPORT_DAMAGE = "TRANSPORT_DAMAGE"
    HUMAN_DAMAGE = "HUMAN_DAMAGE"
    ALL = frozenset({NONE, PERFORMANCE, QUALITY_NONCONFORM, NOT_AS_DESCRIBED,
                     TRANSPORT_DAMAGE, HUMAN_DAMAGE})


class Option:
    RETURN = "RETURN"
    EXCHANGE = "EXCHANGE"
    REPAIR = "REPAIR"  # free
    PAID_REPAIR = "PAID_REPAIR"
    ALL = frozenset({RETURN, EXCHANGE, REPAIR, PAID_REPAIR})


class Payer:
    CUSTOMER = "customer"
    SELLER = "seller"


RULES = ("A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4", "B5",
         "C1", "C2", "C3", "C4", "C5", "C6", "C7")


def _local_date(value: date, name: str) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be a date or an aware datetime, not a naive one")
        return value.astimezone(LEGAL_TIME_ZONE).date()
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a date")
    return value


@dataclass(frozen=True)
class Facts:
    """What the engine needs to know about one unit and one request (domain.md §7).

    Dates are calendar dates in Asia/Shanghai; an aware datetime is converted.
    """

    sale_channel: str
    signed_at: date  # sign-for = delivery (ECL Art. 51)
    notice_at: date  # the customer's application was sent
    installed_at: date | None = None
    seller_installs: bool = False
    excl_statutory: bool = False  # 7D Art. 6 list
    excl_confirmed: bool = False  # 7D Art. 7 type and a recorded checkout confirmation
    goods_complete: bool | None = None  # None: not inspected yet
    fault_type: str = Fault.NONE
    quality_confirmed: bool = False
    in_sanbao_catalogue: bool = False
    in_validity: bool = False
    repair_count: int = 0  # 三包 repairs of this unit within validity
    repair_overrun: bool = False  # repairer > 30 days, or > 90 days waiting for parts
    durable: bool = False  # durable goods: CPL Art. 23 burden of proof for 6 months
    policy: Policy = LAW

    def __post_init__(self) -> None:
        if self.sale_channel not in Channel.ALL:
            raise ValueError(f"unknown sale_channel {self.sale_channel!r}")
        if self.fault_type not in Fault.ALL:
            raise ValueError(f"unknown fault_type {self.fault_type!r}")
        if self.repair_count < 0:
            raise ValueError("repair_count cannot be negative")
        if self.goods_complete not in (True, False, None):
            raise ValueError("goods_complete must be True, False or None")
        for name in ("signed_at", "notice_at", "installed_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _local_date(value, name))


@dataclass(frozen=True)
class Decision:
    """What the customer may choose, under which rule, and on what terms.

    ``rule`` and the terms (shipping, pickup, window, explanation, basis) are those of the
    primary rule: the applicable row granting the strongest remedy. ``options`` is everything
    the customer may choose under any applicable row; each other applicable row with
    something to offer is in ``alternatives`` with its own terms. ``rule_options`` is what
    the primary rule grants by itself.
    """

    rule: str
    options: frozenset[str]
    return_shipping: str | None
    reshipment: str | None
    pickup: bool
    window_ends: date | None
    explanation: Text
    basis: str
    rule_options: frozenset[str] = frozenset()
    # A return under this rule needs the legal team's confirmation (B3, C4).
    legal_review: bool = False
    # Durable goods within 6 months of receipt: the seller must prove the damage is not a
    # defect (CPL Art. 23).
    seller_must_prove: bool = False
    # A return under this rule is refunded less depreciation for use (C4).
    deduct_depreciation: bool = False
    alternatives: tuple[Decision, ...] = ()

    @property
    def eligible(self) -> bool:
        """Whether the customer has any remedy at all."""
        return bool(self.options)
