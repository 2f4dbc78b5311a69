"""From an order line to the engine's ``Facts``, and the refund inputs of §7.5.

Every fact comes from the order as the shop recorded it (catalog models) and from the
request; the policy is the tenant's (``returns.conf``), the law by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from aftersales.eligibility import (
    DealFacts,
    Decision,
    Facts,
    LineFacts,
    PaymentFacts,
    Policy,
    RefundBreakdown,
    ShippingFacts,
    add_months,
    evaluate,
    refund_amount,
    sanbao_day_zero,
    shipping_payer,
)
from aftersales.eligibility import Fault as F
from aftersales.eligibility import Reason as D
from aftersales.models import Order, OrderLine

from .choices import Reason
from .conf import policy_as_dict, policy_from_dict, tenant_policy

FAULT_OF_REASON = {
    Reason.NO_REASON: F.NONE,
    Reason.QUALITY: F.QUALITY_NONCONFORM,
    Reason.NOT_AS_DESCRIBED: F.NOT_AS_DESCRIBED,
    Reason.WRONG_ITEM: F.NOT_AS_DESCRIBED,
    Reason.MISSING_PARTS: F.NOT_AS_DESCRIBED,
    Reason.TRANSPORT_DAMAGE: F.TRANSPORT_DAMAGE,
}
# Table D reason of each request reason.
SHIPPING_REASON = {
    Reason.NO_REASON: D.NO_REASON,
    Reason.QUALITY: D.QUALITY,
    Reason.NOT_AS_DESCRIBED: D.NOT_AS_DESCRIBED,
    Reason.WRONG_ITEM: D.SELLER_ERROR,
    Reason.MISSING_PARTS: D.NOT_AS_DESCRIBED,
    Reason.TRANSPORT_DAMAGE: D.TRANSPORT_DAMAGE,
}


def _local_date(value: datetime | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localdate(value)
    return value


def fault_type(reason: str, *, sanbao: bool, quality_confirmed: bool | None) -> str:
    """The fault the request describes. A quality problem on 三包 goods is a performance
    fault (table C); a finding that it is not a quality problem leaves no fault row."""
    fault = FAULT_OF_REASON[reason]
    if fault == F.QUALITY_NONCONFORM and sanbao:
        return F.PERFORMANCE if quality_confirmed is not False else F.NONE
    return fault


def facts_for_line(line: OrderLine, *, reason: str, notice_at: datetime | date,
                   goods_complete: bool | None = None, quality_confirmed: bool | None = None,
                   repair_count: int = 0, repair_overrun: bool = False,
                   human_damage: bool = False, policy: Policy | None = None) -> Facts | None:
    """The engine's facts for one order line and one request; ``None`` before sign-for.

    The 7D Art. 7 exclusion counts only with the customer's checkout confirmation on the
    order; a product on the Art. 6 list is excluded outright. ``human_damage`` is a finding
    (quality department or warehouse) that use, not a defect, caused the fault.
    """
    order: Order = line.order
    product = line.product
    if order.signed_at is None:
        return None
    policy = policy or tenant_policy()
    excluded = product.no_reason_return_excluded
    confirmable = excluded and product.exclusion_needs_confirmation
    facts = Facts(
        sale_channel=order.sale_channel,
        signed_at=_local_date(order.signed_at),
        notice_at=_local_date(notice_at),
        installed_at=_local_date(line.installed_at),
        seller_installs=order.seller_installs,
        excl_statutory=excluded and not product.exclusion_needs_confirmation,
        excl_confirmed=confirmable and order.exclusion_confirmed_at is not None,
        goods_complete=goods_complete,
        fault_type=F.HUMAN_DAMAGE if human_damage else fault_type(
            reason, sanbao=product.in_sanbao_catalogue, quality_confirmed=quality_confirmed),
        quality_confirmed=bool(quality_confirmed),
        in_sanbao_catalogue=product.in_sanbao_catalogue,
        in_validity=False,
        repair_count=repair_count,
        repair_overrun=repair_overrun,
        durable=product.durable,
        policy=policy,
    )
    if product.in_sanbao_catalogue:
        day_zero = sanbao_day_zero(facts)
        valid = (day_zero is not None
                 and facts.notice_at <= add_months(day_zero, product.sanbao_validity_months))
        facts = replace(facts, in_validity=valid)
    return facts


def decide(facts: Facts | None) -> Decision | None:
    return evaluate(facts) if facts is not None else None


def facts_as_dict(facts: Facts) -> dict:
    """JSON for the stored decision: what the engine read, the policy included."""
    return {
        "sale_channel": facts.sale_channel,
        "signed_at": facts.signed_at.isoformat(),
        "notice_at": facts.notice_at.isoformat(),
        "installed_at": facts.installed_at.isoformat() if facts.installed_at else None,
        "seller_installs": facts.seller_installs,
        "excl_statutory": facts.excl_statutory,
        "excl_confirmed": facts.excl_confirmed,
        "goods_complete": facts.goods_complete,
        "fault_type": facts.fault_type,
        "quality_confirmed": facts.quality_confirmed,
        "in_sanbao_catalogue": facts.in_sanbao_catalogue,
        "in_validity": facts.in_validity,
        "repair_count": facts.repair_count,
        "repair_overrun": facts.repair_overrun,
        "durable": facts.durable,
        "policy": policy_as_dict(facts.policy),
    }


def facts_from_dict(data: Mapping) -> Facts:
    values = dict(data)
    values["policy"] = policy_from_dict(values.get("policy") or {})
    for name in ("signed_at", "notice_at", "installed_at"):
        if values.get(name):
            values[name] = date.fromisoformat(values[name])
    return Facts(**values)


def shipping_for(reason: str, policy: Policy | None = None) -> tuple[str | None, str | None]:
    return shipping_payer(SHIPPING_REASON[reason], policy or tenant_policy())


# --- §7.5 refund -------------------------------------------------------------------------

def refund_for(order: Order, quantities: Mapping[int, int], *, reason: str,
               policy: Policy | None = None, lines: Iterable[OrderLine] | None = None,
               payments: Iterable | None = None, deals: Iterable | None = None
               ) -> RefundBreakdown:
    """What is refunded for returning ``quantities`` (order line id → units) of ``order``.

    An order without recorded payments counts as paid in full by card.
    """
    lines = list(lines if lines is not None else order.lines.all())
    payments = list(payments if payments is not None else order.payments.all())
    deals = list(deals if deals is not None else order.deals.all())
    line_facts = [
        LineFacts(line_id=str(line.pk), unit_price_paid=line.price_paid,
                  list_price=line.unit_price, quantity=line.quantity, is_gift=line.is_gift,
                  gift_stated_price=line.gift_stated_price,
                  deal_id=str(line.deal_id) if line.deal_id else None)
        for line in lines
    ]
    payment_facts = [PaymentFacts(means=p.means, amount=p.amount, reference=p.reference)
                     for p in payments]
    if not payment_facts:
        paid = sum((line.price_paid * line.quantity for line in lines if not line.is_gift),
                   Decimal("0.00"))
        payment_facts = [PaymentFacts(means="CARD", amount=paid)]
    deal_facts = [DealFacts(deal_id=str(d.pk), kind=d.kind, threshold=d.threshold)
                  for d in deals]
    shipping = ShippingFacts(waived_fee=order.shipping_fee_waived,
                             free_threshold=order.free_shipping_threshold)
    return refund_amount(
        line_facts, {str(k): v for k, v in quantities.items()}, payment_facts,
        policy or tenant_policy(), reason=SHIPPING_REASON[reason], deals=deal_facts,
        shipping=shipping,
    )


def breakdown_as_dict(breakdown: RefundBreakdown) -> dict:
    money = str
    return {
        "lines": [{"line_id": x.line_id, "quantity": x.quantity, "paid": money(x.paid),
                   "refund": money(x.refund)} for x in breakdown.lines],
        "paid": money(breakdown.paid),
        "goods": money(breakdown.goods),
        "deductions": [{"kind": d.kind, "amount": money(d.amount), "line_id": d.line_id}
                       for d in breakdown.deductions],
        "total": money(breakdown.total),
        "parts": [{"means": p.means, "amount": money(p.amount), "in_kind": p.in_kind,
                   "reference": p.reference} for p in breakdown.parts],
        "gifts_due": [{"line_id": g.line_id, "due": g.due, "returned": g.returned,
                       "charged": money(g.charged)} for g in breakdown.gifts_due],
        "uncovered": money(breakdown.uncovered),
    }
