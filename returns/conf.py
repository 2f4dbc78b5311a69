"""The tenant's return settings, read from Django settings with the law as the default.

``RETURNS_POLICY`` holds the fields of ``aftersales.eligibility.Policy`` the tenant sets
(e.g. ``{"no_reason_days": 15, "return_shipping_insurance": True}``); anything stricter
than the law is never applied by the engine. The return address is what the customer is
sent when a return is accepted (7D Art. 11).
"""

from dataclasses import dataclass, fields
from decimal import Decimal
from functools import lru_cache

from django.conf import settings

from aftersales.eligibility import Policy, policy_violations

POLICY_FIELDS = tuple(f.name for f in fields(Policy) if f.name != "is_statutory_holiday")


@dataclass(frozen=True)
class ReturnAddress:
    address: str
    contact: str
    phone: str


def tenant_policy() -> Policy:
    """The tenant's policy; the law where it says nothing or asks for less than the law."""
    wanted = getattr(settings, "RETURNS_POLICY", None) or {}
    return _policy(tuple(sorted((k, v) for k, v in wanted.items() if k in POLICY_FIELDS)))


@lru_cache(maxsize=8)
def _policy(wanted: tuple) -> Policy:
    policy = Policy(**dict(wanted))
    return Policy() if policy_violations(policy) else policy


def policy_as_dict(policy: Policy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def policy_from_dict(data: dict) -> Policy:
    return Policy(**{key: value for key, value in data.items() if key in POLICY_FIELDS})


def return_address() -> ReturnAddress:
    value = getattr(settings, "RETURNS_ADDRESS", None) or {}
    return ReturnAddress(
        address=value.get("address", "上海市浦东新区张江路 100 号 售后退货仓 (After-sales returns "
                                     "warehouse, 100 Zhangjiang Rd, Pudong, Shanghai)"),
        contact=value.get("contact", "售后退货组 (Returns desk)"),
        phone=value.get("phone", "400-820-0000"),
    )


def advance_replacement_cap() -> Decimal:
    """先发后退 is offered for exchanges up to this amount paid (yuan); 0 turns it off."""
    return Decimal(str(getattr(settings, "RETURNS_ADVANCE_REPLACEMENT_CAP", "3000.00")))


def advance_return_days() -> int:
    """Days the customer has to send the old unit back after an advance replacement."""
    return int(getattr(settings, "RETURNS_ADVANCE_RETURN_DAYS", 7))


def advance_reminder_days() -> int:
    """Days before the old unit is due back when the customer is reminded."""
    return int(getattr(settings, "RETURNS_ADVANCE_REMINDER_DAYS", 2))
