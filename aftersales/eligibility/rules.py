"""Decision tables A (no-reason return), B (quality, non-三包 goods) and C (三包 goods)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.utils.translation import gettext_lazy as _

from aftersales.eligibility.days import (
    T7_NO_REASON_DAYS,
    T8_NONCONFORMING_DAYS,
    T11_SANBAO_RETURN_DAYS,
    T12_SANBAO_EXCHANGE_DAYS,
    burden_of_proof_end,
    window_end,
)
from aftersales.eligibility.facts import Channel, Decision, Facts, Fault, Option, Payer
from aftersales.eligibility.text import Text, fill

RETURN, EXCHANGE, REPAIR, PAID_REPAIR = (Option.RETURN, Option.EXCHANGE, Option.REPAIR,
                                         Option.PAID_REPAIR)
SELLER, CUSTOMER = Payer.SELLER, Payer.CUSTOMER

# The strength of a remedy, used to pick the primary rule among those that apply.
WEIGHT = {RETURN: 8, EXCHANGE: 4, REPAIR: 2, PAID_REPAIR: 1}

MSG = {
    "A1_none": _(
        "This was bought in a store. The statutory 7-day no-reason return covers only online "
        "and other distance sales, and the store offers no return without a reason."),
    "A1_open": _(
        "This was bought in a store, where the law gives no no-reason return, but our store "
        "policy lets you return it until %(date)s."),
    "A1_open_exchange": _(
        "This was bought in a store, where the law gives no no-reason return, but our store "
        "policy lets you return or exchange it until %(date)s."),
    "A1_closed": _("This was bought in a store. Our store return period ended on %(date)s."),
    "A1_unqualified": _(
        "This was bought in a store. The item does not meet the conditions of our store "
        "return policy (it is excluded from returns, or it is not complete)."),
    "A2": _(
        "The %(days)s-day no-reason return period ended on %(date)s. If the item is faulty or "
        "not as described, you can still ask for a remedy on those grounds."),
    "A3": _(
        "By law this kind of item cannot be returned without a reason: custom-made goods, "
        "fresh or perishable goods, digital goods that were downloaded or unsealed, and "
        "delivered newspapers or periodicals."),
    "A4": _(
        "You confirmed at checkout that this item cannot be returned without a reason, "
        "because of its nature."),
    "A5": _(
        "The item cannot be returned without a reason: it has been used beyond what checking "
        "it needs, and its value has dropped sharply. Opening the package or a reasonable "
        "trial would not have prevented the return."),
    "A6": _(
        "You can return this without a reason until %(date)s; return shipping is yours. "
        "We refund within %(refund_days)s days of receiving the item."),
    "A6_free": _(
        "You can return this without a reason until %(date)s; return shipping is free for "
        "you. We refund within %(refund_days)s days of receiving the item."),
    "A6_exchange": _(
        "You can return or exchange this without a reason until %(date)s; return shipping is "
        "yours. We refund within %(refund_days)s days of receiving a returned item."),
    "A6_exchange_free": _(
        "You can return or exchange this without a reason until %(date)s; return shipping is "
        "free for you. We refund within %(refund_days)s days of receiving a returned item."),
    "B1": _(
        "The item is not as described, so you may choose a return, an exchange or a repair "
        "until %(date)s. We pay shipping both ways."),
    "B2": _(
        "A quality problem has been confirmed, so you may choose a return, an exchange or a "
        "repair until %(date)s. We pay shipping both ways."),
    "B3": _(
        "A quality problem has been confirmed. As more than %(days)s days have passed since "
        "delivery, you may choose an exchange or a repair; a return is possible only where "
        "the law allows ending the contract, which our legal team will check. We pay "
        "shipping both ways."),
    "B3_not_as_described": _(
        "The item is not as described. As more than %(days)s days have passed since "
        "delivery, you may choose an exchange or a repair; a return is possible only where "
        "the law allows ending the contract, which our legal team will check. We pay "
        "shipping both ways."),
    "B4": _(
        "The item was damaged in transport, which is our responsibility. We will collect it "
        "from you free of charge; you may then choose a return or an exchange."),
    "B5_human": _(
        "The damage was not caused by a product defect, so free remedies do not apply. We "
        "can offer a paid repair."),
    "B5_human_durable": _(
        "The damage was not caused by a product defect, so free remedies do not apply; as "
        "this durable item was received less than six months ago, it is for us to prove "
        "that. We can offer a paid repair."),
    "B5_unconfirmed": _(
        "No quality problem has been confirmed, so free remedies do not apply for now. We "
        "can offer a paid repair."),
    "B5_unconfirmed_durable": _(
        "No quality problem has been confirmed yet. As this durable item was received less "
        "than six months ago, it is for us to prove that it has no defect. Meanwhile we can "
        "offer a paid repair."),
    "C1": _(
        "The item has a performance fault within %(days)s days of delivery or installation, "
        "so under the 三包 rules you may choose a return at the full price, an exchange or a "
        "free repair until %(date)s. We pay shipping both ways."),
    "C2": _(
        "The item has a performance fault within %(days)s days of delivery or installation, "
        "so under the 三包 rules you may choose an exchange for the same model and "
        "specification or a free repair until %(date)s. We pay shipping both ways."),
    "C3": _("Within the 三包 validity period the repair is free of charge."),
    "C4": _(
        "The item has been repaired %(count)s times under the 三包 rules and still fails, so "
        "you may choose an exchange or a return; a return is refunded less a deduction for "
        "the use you had."),
    "C5": _(
        "The repair took longer than the 三包 rules allow (30 days, or 90 days when parts "
        "were missing), so you are entitled to a free exchange."),
    "C6": _(
        "The 三包 validity period has ended, so repairs are charged; we keep offering repairs "
        "for the product's whole life."),
    "C7": _("The damage was not caused by a product defect, so repairs are charged."),
    "C7_durable": _(
        "The damage was not caused by a product defect, so repairs are charged; as this "
        "durable item was received less than six months ago, it is for us to prove that."),
}

BASIS = {
    "A1": "CPL Art. 25 (distance sales only); tenant policy",
    "A2": "CPL Art. 25; 7D Art. 10",
    "A3": "CPL Art. 25; 7D Art. 6",
    "A4": "CPL Art. 25; 7D Art. 7",
    "A5": "CPL Art. 25; 7D Art. 8–9",
    "A6": "CPL Art. 25; 7D Art. 6–13",
    "B1": "CPL Art. 24; PQL Art. 40",
    "B2": "CPL Art. 24; PQL Art. 40",
    "B3": "CPL Art. 24; PQL Art. 40",
    "B4": "ECL Art. 20; CPL Art. 24",
    "B5": "CPL Art. 23–24",
    "C1": "3B Art. 9 [law-S]; CPL-R Art. 18",
    "C2": "3B Art. 10 [law-S]; CPL-R Art. 18",
    "C3": "3B [law-S]; CPL-R Art. 18",
    "C4": "3B Art. 9–13 [law-S]; CPL-R Art. 18",
    "C5": "3B [law-S] (T14, T15)",
    "C6": "P1 1.1",
    "C7": "3B [law-S]; P1 1.1; CPL Art. 23",
}

QUALITY_FAULTS = frozenset({Fault.QUALITY_NONCONFORM, Fault.PERFORMANCE})
# Faults table C has no row for: for 三包 goods they are judged under table B.
B_FAULTS_FOR_SANBAO = frozenset({Fault.QUALITY_NONCONFORM, Fault.NOT_AS_DESCRIBED,
                                 Fault.TRANSPORT_DAMAGE})


def _decision(rule: str, options: frozenset[str], explanation: Text, *,
              return_shipping: str | None = None, reshipment: str | None = None,
              pickup: bool = False, window_ends: date | None = None,
              legal_review: bool = False, seller_must_prove: bool = False,
              deduct_depreciation: bool = False) -> Decision:
    return Decision(rule=rule, options=options, return_shipping=return_shipping,
                    reshipment=reshipment, pickup=pickup, window_ends=window_ends,
                    explanation=explanation, basis=BASIS[rule], rule_options=options,
                    legal_review=legal_review, seller_must_prove=seller_must_prove,
                    deduct_depreciation=deduct_depreciation)


# --- table A: no-reason return (CPL Art. 25; 7D Art. 6–13) -------------------------------

def table_a(facts: Facts) -> Decision:
    policy = facts.policy
    holiday = policy.is_statutory_holiday
    if facts.sale_channel == Channel.STORE:
        return _store_return(facts)
    days = max(policy.no_reason_days, T7_NO_REASON_DAYS)
    ends = window_end(facts.signed_at, days, holiday)
    if facts.notice_at > ends:
        return _decision("A2", frozenset(), fill(MSG["A2"], days=days, date=ends),
                         window_ends=ends)
    if facts.excl_statutory:
        return _decision("A3", frozenset(), MSG["A3"])
    if facts.excl_confirmed:
        return _decision("A4", frozenset(), MSG["A4"])
    # Not inspected yet (None) counts as complete: only a finding that it is not can refuse.
    if facts.goods_complete is False:
        return _decision("A5", frozenset(), MSG["A5"])
    refund_days = min(max(policy.refund_days, 0), 7)
    free = policy.return_shipping_insurance
    if policy.no_reason_exchange:
        message = MSG["A6_exchange_free" if free else "A6_exchange"]
        options = frozenset({RETURN, EXCHANGE})
        reshipment = SELLER
    else:
        message = MSG["A6_free" if free else "A6"]
        options = frozenset({RETURN})
        reshipment = None
    return _decision("A6", options, fill(message, date=ends, refund_days=refund_days),
                     return_shipping=SELLER if free else CUSTOMER, reshipment=reshipment,
                     window_ends=ends)


def _store_return(facts: Facts) -> Decision:
    """A1: no statutory right; the tenant's store promise, on the statutory conditions."""
    policy = facts.policy
    if policy.store_return_days <= 0:
        return _decision("A1", frozenset(), MSG["A1_none"])
    ends = window_end(facts.signed_at, policy.store_return_days, policy.is_statutory_holiday)
    if facts.notice_at > ends:
        return _decision("A1", frozenset(), fill(MSG["A1_closed"], date=ends),
                         window_ends=ends)
    if facts.excl_statutory or facts.excl_confirmed or facts.goods_complete is False:
        return _decision("A1", frozenset(), MSG["A1_unqualified"])
    if policy.no_reason_exchange:
        return _decision("A1", frozenset({RETURN, EXCHANGE}),
                         fill(MSG["A1_open_exchange"], date=ends), window_ends=ends)
    return _decision("A1", frozenset({RETURN}), fill(MSG["A1_open"], date=ends),
                     window_ends=ends)


# --- table B: quality problem / not as described (CPL Art. 24; PQL Art. 40) ---------------

def table_b(facts: Facts) -> Decision | None:
    fault = facts.fault_type
    if fault == Fault.NONE:
        return None
    both_ways = {"return_shipping": SELLER, "reshipment": SELLER}
    if fault == Fault.TRANSPORT_DAMAGE:
        return _decision("B4", frozenset({RETURN, EXCHANGE}), MSG["B4"], pickup=True,
                         **both_ways)
    policy = facts.policy
    days = max(policy.nonconforming_return_days, T8_NONCONFORMING_DAYS)
    ends = window_end(facts.signed_at, days, policy.is_statutory_holiday)
    if fault == Fault.NOT_AS_DESCRIBED:
        if facts.notice_at <= ends:
            return _decision("B1", frozenset({RETURN, EXCHANGE, REPAIR}),
                             fill(MSG["B1"], date=ends), window_ends=ends, **both_ways)
        return _decision("B3", frozenset({EXCHANGE, REPAIR}),
                         fill(MSG["B3_not_as_described"], days=days), legal_review=True,
                         **both_ways)
    if fault in QUALITY_FAULTS and facts.quality_confirmed:
        if facts.notice_at <= ends:
            return _decision("B2", frozenset({RETURN, EXCHANGE, REPAIR}),
                             fill(MSG["B2"], date=ends), window_ends=ends, **both_ways)
        return _decision("B3", frozenset({EXCHANGE, REPAIR}), fill(MSG["B3"], days=days),
                         legal_review=True, **both_ways)
    # Human damage, or a quality claim not (yet) confirmed.
    must_prove = _seller_must_prove(facts)
    if fault == Fault.HUMAN_DAMAGE:
        key = "B5_human_durable" if must_prove else "B5_human"
    else:
        key = "B5_unconfirmed_durable" if must_prove else "B5_unconfirmed"
    return _decision("B5", frozenset({PAID_REPAIR}), MSG[key], seller_must_prove=must_prove)


def _seller_must_prove(facts: Facts) -> bool:
    """CPL Art. 23: durable goods, defect raised within 6 months of receipt (T9)."""
    if not facts.durable:
        return False
    return facts.notice_at <= burden_of_proof_end(facts.signed_at,
                                                  facts.policy.is_statutory_holiday)


# --- table C: 三包 goods (3B Art. 9–13; CPL-R Art. 18) -------------------------------------

def sanbao_day_zero(facts: Facts) -> date:
    """Day 0 of the 三包 periods: installation when the seller installs (CPL-R Art. 18).

    While a seller-installed item is not installed yet its periods have not started, so
    the notice day itself is day 0.
    """
    if facts.seller_installs:
        if facts.installed_at is None:
            return max(facts.signed_at, facts.notice_at)
        return max(facts.signed_at, facts.installed_at)
    return facts.signed_at


def table_c(facts: Facts) -> list[Decision]:
    """Every table C row that applies (C4 and C5 may apply beside a window row)."""
    rows: list[Decision] = []
    fault = facts.fault_type
    both_ways = {"return_shipping": SELLER, "reshipment": SELLER}
    if fault == Fault.HUMAN_DAMAGE:
        must_prove = _seller_must_prove(facts)
        rows.append(_decision("C7", frozenset({PAID_REPAIR}),
                              MSG["C7_durable" if must_prove else "C7"],
                              seller_must_prove=must_prove))
    elif fault == Fault.PERFORMANCE and not facts.in_validity:
        rows.append(_decision("C6", frozenset({PAID_REPAIR}), MSG["C6"]))
    elif fault == Fault.PERFORMANCE:
        policy = facts.policy
        holiday = policy.is_statutory_holiday
        day_zero = sanbao_day_zero(facts)
        return_days = max(policy.sanbao_return_days, T11_SANBAO_RETURN_DAYS)
        exchange_days = max(policy.sanbao_exchange_days, T12_SANBAO_EXCHANGE_DAYS)
        return_ends = window_end(day_zero, return_days, holiday)
        exchange_ends = window_end(day_zero, exchange_days, holiday)
        if facts.notice_at <= return_ends:
            rows.append(_decision("C1", frozenset({RETURN, EXCHANGE, REPAIR}),
                                  fill(MSG["C1"], days=return_days, date=return_ends),
                                  window_ends=return_ends, **both_ways))
        elif facts.notice_at <= exchange_ends:
            rows.append(_decision("C2", frozenset({EXCHANGE, REPAIR}),
                                  fill(MSG["C2"], days=exchange_days, date=exchange_ends),
                                  window_ends=exchange_ends, **both_ways))
        elif facts.repair_count < 2:
            rows.append(_decision("C3", frozenset({REPAIR}), MSG["C3"], **both_ways))
        if facts.repair_count >= 2:
            rows.append(_decision("C4", frozenset({EXCHANGE, RETURN}),
                                  fill(MSG["C4"], count=facts.repair_count),
                                  legal_review=True, deduct_depreciation=True, **both_ways))
    if facts.in_validity and facts.repair_overrun:
        rows.append(_decision("C5", frozenset({EXCHANGE}), MSG["C5"], **both_ways))
    return rows


# --- the decision ------------------------------------------------------------------------

def _strength(decision: Decision) -> tuple[int, bool]:
    return (sum(WEIGHT[option] for option in decision.options),
            decision.return_shipping == SELLER)


def candidates(facts: Facts) -> list[Decision]:
    """Every applicable row: fault rows first (C, then B), the table A row last."""
    rows: list[Decision] = []
    if facts.in_sanbao_catalogue:
        rows.extend(table_c(facts))
        if facts.fault_type in B_FAULTS_FOR_SANBAO:
            rows.append(table_b(facts))
    else:
        row = table_b(facts)
        if row is not None:
            rows.append(row)
    rows.append(table_a(facts))
    return rows


def evaluate(facts: Facts) -> Decision:
    """The customer's statutory (and promised) remedies for ``facts``.

    Every applicable row of tables A, B and C is evaluated; the customer may use any of
    them. The primary rule is the one with the strongest remedy (return > exchange > repair
    > paid repair, then seller-paid return shipping, then fault rows before table A).
    """
    rows = candidates(facts)
    offering = [row for row in rows if row.options]
    if not offering:
        return rows[-1]  # the table A row explains why there is nothing
    ranked = sorted(offering, key=_strength, reverse=True)  # stable: ties keep row order
    primary, others = ranked[0], tuple(ranked[1:])
    if not others:
        return primary
    options = primary.options.union(*(row.options for row in others))
    return replace(primary, options=options, alternatives=others)
