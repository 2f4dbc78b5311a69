"""A tenant's after-sales policy: the law by default, more generous where the tenant promises."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from aftersales.eligibility.days import (
    T6_REFUND_DAYS,
    T7_NO_REASON_DAYS,
    T8_NONCONFORMING_DAYS,
    T11_SANBAO_RETURN_DAYS,
    T12_SANBAO_EXCHANGE_DAYS,
    HolidayTest,
    statutory_holiday,
)
from aftersales.eligibility.text import Text, fill


@dataclass(frozen=True)
class Policy:
    """What a tenant promises beyond the law. Every default is the statutory minimum.

    Day counts below the law are never applied (the engine uses the statutory figure) and
    ``policy_violations`` reports them, so an admin form can refuse them.
    """

    # T7: no-reason return window for distance sales (longer only).
    no_reason_days: int = T7_NO_REASON_DAYS
    # 运费险 or a free-return promise: the seller, not the customer, pays the no-reason
    # return leg (table D).
    return_shipping_insurance: bool = False
    # P1 6.1.4: a no-reason exchange as well as a return (tenant policy, not law).
    no_reason_exchange: bool = False
    # A1: a voluntary no-reason return for store sales, in days (0 = none; not statutory).
    store_return_days: int = 0
    # T8: return of goods that are faulty or not as described (B1, B2; longer only).
    nonconforming_return_days: int = T8_NONCONFORMING_DAYS
    # T11, T12: 三包 return and exchange windows for a performance fault (longer only).
    sanbao_return_days: int = T11_SANBAO_RETURN_DAYS
    sanbao_exchange_days: int = T12_SANBAO_EXCHANGE_DAYS
    # T6: refund paid within this many days of receiving the goods back (shorter only).
    refund_days: int = T6_REFUND_DAYS
    # §7.5: what the law lets a seller take back on a no-reason return; False is more generous.
    charge_unreturned_gifts: bool = True
    deduct_waived_shipping: bool = True
    deduct_waived_card_fee: bool = True
    # Which days are statutory holidays (CC Art. 203 extension of customer windows).
    is_statutory_holiday: HolidayTest = field(default=statutory_holiday, compare=False,
                                              repr=False)


LAW = Policy()


def policy_violations(policy: Policy) -> list[Text]:
    """Translatable messages for every setting stricter than the law, naming the rule."""
    problems: list[Text] = []
    if policy.no_reason_days < T7_NO_REASON_DAYS:
        problems.append(fill(_(
            "The no-reason return period must be at least %(days)s days "
            "(T7: CPL Art. 25; 7D Art. 10)."), days=T7_NO_REASON_DAYS))
    if policy.nonconforming_return_days < T8_NONCONFORMING_DAYS:
        problems.append(fill(_(
            "The return period for goods that are faulty or not as described must be at least "
            "%(days)s days (T8: CPL Art. 24)."), days=T8_NONCONFORMING_DAYS))
    if policy.sanbao_return_days < T11_SANBAO_RETURN_DAYS:
        problems.append(fill(_(
            "The 三包 return period for a performance fault must be at least %(days)s days "
            "(T11: 3B Art. 9)."), days=T11_SANBAO_RETURN_DAYS))
    if policy.sanbao_exchange_days < T12_SANBAO_EXCHANGE_DAYS:
        problems.append(fill(_(
            "The 三包 exchange period for a performance fault must be at least %(days)s days "
            "(T12: 3B Art. 10)."), days=T12_SANBAO_EXCHANGE_DAYS))
    if policy.refund_days > T6_REFUND_DAYS:
        problems.append(fill(_(
            "Refunds must be paid within at most %(days)s days of receiving the returned goods "
            "(T6: CPL Art. 25; 7D Art. 13)."), days=T6_REFUND_DAYS))
    if policy.refund_days < 0:
        problems.append(_("The refund period cannot be negative (T6)."))
    if policy.store_return_days < 0:
        problems.append(_("The in-store return period cannot be negative (A1)."))
    return problems
