"""The statutory after-sales engine: domain.md §6 (day counting), §7 (tables A–D, §7.5).

Pure Python: no database, no models. ``evaluate(Facts) -> Decision`` answers what the
customer may choose; ``shipping_payer`` is table D; ``refund_amount`` is §7.5;
``policy_violations`` checks a tenant policy against the law. Explanations are lazy
translatable sentences, filled when shown.

Readings chosen where domain.md leaves room (the customer-favourable one each time):

* All applicable rows count. A customer with a fault keeps the no-reason return, and a
  三包 item repaired twice may use C4 even inside the 15 days. ``Decision.options`` is the
  union; the primary rule (strongest remedy: return > exchange > repair > paid repair,
  then seller-paid shipping, then fault rows before table A) gives the terms, and every
  other row with a remedy is in ``Decision.alternatives``.
* Customer windows (T7, T8, T9, T11, T12) whose last day falls in a statutory holiday
  break end on the first day after the break (CC Art. 203). Seller deadlines (T6, T10) are
  never extended. Weekends outside a break do not extend a window.
* ``goods_complete=None`` (not inspected) counts as complete: only a finding that the goods
  are not complete gives A5.
* Table B rows B1 and B2 share the T8 window ("within policy" for B1 is T8 as the tenant
  may lengthen it). After it a not-as-described item falls to B3 (exchange or repair,
  return only with the legal team). B1 offers repair as well as return and exchange, so a
  longer window never takes an option away.
* A performance fault on goods outside the 三包 catalogue is a quality problem (table B).
  For 三包 goods table C decides performance faults and human damage; faults table C has no
  row for (quality nonconformity, not as described, transport damage) use table B.
* Table C does not ask for ``quality_confirmed``: ``fault_type=PERFORMANCE`` is the finding.
  C5 applies to any fault type, as the table says.
* Day 0 of the 三包 periods is the installation day when the seller installs; while a
  seller-installed item is not installed yet its periods have not started.
* Durable goods within 6 months of receipt (T9, ``Facts.durable``): B5 and C7 set
  ``seller_must_prove`` (CPL Art. 23).
* A policy setting stricter than the law is never applied (the statutory figure is used);
  ``policy_violations`` reports it.
* A tenant's store return promise (A1) follows the statutory conditions (exclusions,
  complete goods); a no-reason exchange, where offered, is re-shipped at the seller's cost.
* §7.5: re-pricing of a broken deal, gift charges and waived-fee deductions apply to
  no-reason returns only; when the seller is at fault the customer keeps the deal price.
  Gifts without a stated price are not charged. A gift is due back when its deal is
  broken, or, without a deal, when the whole order is returned.

The holiday test defaults to ``aftersales.sla.calendar.is_statutory_holiday``, which reads only
the chinesecalendar and holidays package data: the admins' calendar days (database) are not
consulted. ``Policy(is_statutory_holiday=...)`` replaces it.
"""

from aftersales.eligibility.days import (
    add_months,
    burden_of_proof_end,
    delay_deemed_deliberate,
    refund_deadline,
    statutory_holiday,
    window_end,
)
from aftersales.eligibility.facts import RULES, Channel, Decision, Facts, Fault, Option, Payer
from aftersales.eligibility.policy import LAW, Policy, policy_violations
from aftersales.eligibility.refund import (
    DealFacts,
    DealKind,
    Deduction,
    DeductionKind,
    GiftDue,
    LineFacts,
    LineRefund,
    Means,
    PaymentFacts,
    RefundBreakdown,
    RefundPart,
    ShippingFacts,
    refund_amount,
    split_cents,
)
from aftersales.eligibility.rules import candidates, evaluate, sanbao_day_zero
from aftersales.eligibility.shipping import Reason, shipping_payer

__all__ = [
    "LAW",
    "RULES",
    "Channel",
    "DealFacts",
    "DealKind",
    "Decision",
    "Deduction",
    "DeductionKind",
    "Facts",
    "Fault",
    "GiftDue",
    "LineFacts",
    "LineRefund",
    "Means",
    "Option",
    "Payer",
    "PaymentFacts",
    "Policy",
    "Reason",
    "RefundBreakdown",
    "RefundPart",
    "ShippingFacts",
    "add_months",
    "burden_of_proof_end",
    "candidates",
    "delay_deemed_deliberate",
    "evaluate",
    "policy_violations",
    "refund_amount",
    "refund_deadline",
    "sanbao_day_zero",
    "shipping_payer",
    "split_cents",
    "statutory_holiday",
    "window_end",
]
