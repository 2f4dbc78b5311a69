"""Properties of the engine that must hold for every input (hypothesis)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.eligibility import (
    RULES,
    DealFacts,
    Facts,
    LineFacts,
    PaymentFacts,
    Policy,
    ShippingFacts,
    evaluate,
    refund_amount,
    sanbao_day_zero,
    window_end,
)
from aftersales.sla.calendar import is_statutory_holiday

CENT = Decimal("0.01")
PROPERTY = settings(max_examples=200, deadline=None)
REFUNDS = settings(max_examples=150, deadline=None)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def facts(draw):
    signed = draw(days)
    installed = draw(st.none() | st.integers(0, 60))
    return Facts(
        sale_channel=draw(st.sampled_from(["DISTANCE", "STORE"])),
        signed_at=signed,
        notice_at=signed + timedelta(days=draw(st.integers(-2, 400))),
        installed_at=None if installed is None else signed + timedelta(days=installed),
        seller_installs=draw(st.booleans()),
        excl_statutory=draw(st.booleans()),
        excl_confirmed=draw(st.booleans()),
        goods_complete=draw(st.sampled_from([True, False, None])),
        fault_type=draw(st.sampled_from(["NONE", "PERFORMANCE", "QUALITY_NONCONFORM",
                                         "NOT_AS_DESCRIBED", "TRANSPORT_DAMAGE",
                                         "HUMAN_DAMAGE"])),
        quality_confirmed=draw(st.booleans()),
        in_sanbao_catalogue=draw(st.booleans()),
        in_validity=draw(st.booleans()),
        repair_count=draw(st.integers(0, 4)),
        repair_overrun=draw(st.booleans()),
        durable=draw(st.booleans()),
    )


@st.composite
def policy_pairs(draw):
    """A policy (possibly stricter than the law) and one at least as generous."""
    base = Policy(
        no_reason_days=draw(st.integers(0, 30)),
        return_shipping_insurance=draw(st.booleans()),
        no_reason_exchange=draw(st.booleans()),
        store_return_days=draw(st.integers(0, 30)),
        nonconforming_return_days=draw(st.integers(0, 30)),
        sanbao_return_days=draw(st.integers(0, 30)),
        sanbao_exchange_days=draw(st.integers(0, 40)),
        refund_days=draw(st.integers(0, 10)),
    )
    more = st.integers(0, 30)
    generous = replace(
        base,
        no_reason_days=base.no_reason_days + draw(more),
        return_shipping_insurance=base.return_shipping_insurance or draw(st.booleans()),
        no_reason_exchange=base.no_reason_exchange or draw(st.booleans()),
        store_return_days=base.store_return_days + draw(more),
        nonconforming_return_days=base.nonconforming_return_days + draw(more),
        sanbao_return_days=base.sanbao_return_days + draw(more),
        sanbao_exchange_days=base.sanbao_exchange_days + draw(more),
    )
    return base, generous


@PROPERTY
@given(facts(), policy_pairs())
def test_a_more_generous_policy_never_removes_an_option(item, policies):
    base, generous = policies
    stricter = evaluate(replace(item, policy=base))
    kinder = evaluate(replace(item, policy=generous))
    assert stricter.options <= kinder.options


def _statutory_end(decision, item):
    law_days = {"A2": 7, "A6": 7, "B1": 7, "B2": 7, "C1": 7, "C2": 15}
    start = sanbao_day_zero(item) if decision.rule.startswith("C") else item.signed_at
    return window_end(start, law_days[decision.rule], is_statutory_holiday)


@PROPERTY
@given(facts(), policy_pairs())
def test_window_end_is_never_before_the_statutory_one(item, policies):
    item = replace(item, policy=policies[0])  # even a policy stricter than the law
    decision = evaluate(item)
    for row in (decision, *decision.alternatives):
        if row.window_ends is not None and row.rule != "A1":  # A1 is no statutory window
            assert row.window_ends >= _statutory_end(row, item)


@PROPERTY
@given(facts(), policy_pairs())
def test_statutory_no_reason_return_is_never_refused_inside_the_window(item, policies):
    item = replace(item, sale_channel="DISTANCE", excl_statutory=False, excl_confirmed=False,
                   goods_complete=True, policy=policies[0])
    if item.notice_at <= window_end(item.signed_at, 7, is_statutory_holiday):
        assert "RETURN" in evaluate(item).options


@PROPERTY
@given(facts())
def test_decision_is_well_formed(item):
    decision = evaluate(item)
    assert decision.rule in RULES
    assert decision.rule_options <= decision.options
    union = decision.rule_options.union(*(alt.options for alt in decision.alternatives))
    assert decision.options == union
    assert all(alt.alternatives == () and alt.options for alt in decision.alternatives)
    if not decision.options:
        assert decision.rule in {"A1", "A2", "A3", "A4", "A5"}
    assert decision.return_shipping in {None, "customer", "seller"}
    assert decision.reshipment in {None, "customer", "seller"}


# --- refunds ----------------------------------------------------------------------------------

cents = st.integers(0, 200_000).map(lambda c: Decimal(c) * CENT)


@st.composite
def orders(draw):
    count = draw(st.integers(1, 5))
    deal_kind = draw(st.sampled_from([None, "BUNDLE", "THRESHOLD"]))
    lines, quantities = [], {}
    for index in range(count):
        quantity = draw(st.integers(1, 4))
        gift = index > 0 and draw(st.booleans())
        paid = Decimal("0.00") if gift else draw(cents)
        listed = draw(cents)
        in_deal = deal_kind is not None and draw(st.booleans())
        lines.append(LineFacts(
            line_id=f"l{index}", unit_price_paid=paid, list_price=listed, quantity=quantity,
            is_gift=gift, gift_stated_price=draw(st.none() | cents) if gift else None,
            deal_id="d" if in_deal else None))
        quantities[f"l{index}"] = draw(st.integers(0, quantity))
    deals = []
    if deal_kind:
        deals.append(DealFacts("d", deal_kind, draw(cents) if deal_kind == "THRESHOLD" else None))
    goods = sum((line.unit_price_paid * line.quantity for line in lines), Decimal("0.00"))
    extra = draw(cents)  # shipping and anything else paid on the order
    total = goods + extra
    cuts = sorted(draw(st.lists(st.integers(0, int(total / CENT)), max_size=3)))
    bounds = [0, *cuts, int(total / CENT)]
    means = ["CARD", "WALLET", "COUPON", "POINTS", "BANK_TRANSFER", "CASH"]
    payments = [PaymentFacts(draw(st.sampled_from(means)), Decimal(hi - lo) * CENT)
                for lo, hi in pairwise(bounds)]
    shipping = draw(st.none() | st.builds(ShippingFacts, waived_fee=cents,
                                          free_threshold=st.none() | cents))
    return {
        "order_lines": lines, "quantities": quantities, "order_payments": payments,
        "deals": deals, "shipping": shipping, "card_fee_waived": draw(cents),
        "reason": draw(st.sampled_from(["NO_REASON", "QUALITY", "NOT_AS_DESCRIBED",
                                        "TRANSPORT_DAMAGE", "SELLER_ERROR", "RECALL"])),
    }


def _paid_for_returned_lines(order):
    return sum((line.unit_price_paid * order["quantities"][line.line_id]
                for line in order["order_lines"] if not line.is_gift), Decimal("0.00"))


@REFUNDS
@given(orders(), st.booleans())
def test_refund_never_exceeds_what_was_paid_for_those_lines(order, lenient):
    policy = Policy(charge_unreturned_gifts=not lenient, deduct_waived_shipping=not lenient)
    result = refund_amount(policy=policy, **order)
    assert result.paid == _paid_for_returned_lines(order)
    assert Decimal("0.00") <= result.total <= result.goods <= result.paid


@REFUNDS
@given(orders())
def test_refund_parts_sum_exactly_to_the_total(order):
    result = refund_amount(**order)
    assert sum((part.amount for part in result.parts), Decimal("0.00")) == result.total
    for part, payment in zip(result.parts, order["order_payments"], strict=True):
        assert part.amount == part.amount.quantize(CENT)
        assert Decimal("0.00") <= part.amount <= payment.amount
        assert part.in_kind is (payment.means in {"COUPON", "POINTS"})


@REFUNDS
@given(orders())
def test_waiving_the_deductions_never_lowers_the_refund(order):
    strict = refund_amount(**order)
    lenient = refund_amount(policy=Policy(charge_unreturned_gifts=False,
                                          deduct_waived_shipping=False,
                                          deduct_waived_card_fee=False), **order)
    assert lenient.total >= strict.total
    assert lenient.deductions == ()
