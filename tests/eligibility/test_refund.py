"""§7.5 refund arithmetic (7D Art. 12–18): paid amounts, shares, gifts, deals, deductions."""

from decimal import Decimal as D

import pytest

from aftersales.eligibility import (
    DealFacts,
    LineFacts,
    PaymentFacts,
    Policy,
    ShippingFacts,
    refund_amount,
    split_cents,
)


def line(line_id, paid, listed=None, quantity=1, **extra):
    return LineFacts(line_id, D(paid), D(listed or paid), quantity, **extra)


def pay(means, amount, reference=""):
    return PaymentFacts(means, D(amount), reference)


def parts(breakdown):
    return [(p.means, p.amount, p.in_kind) for p in breakdown.parts]


def test_refund_what_was_paid_back_to_the_card():
    result = refund_amount([line("a", "199.00", "259.00")], {"a": 1}, [pay("CARD", "199.00")])
    assert result.total == D("199.00")
    assert result.paid == D("199.00")
    assert parts(result) == [("CARD", D("199.00"), False)]


def test_partial_quantity_refunds_those_units_only():
    result = refund_amount([line("a", "30.00", quantity=3)], {"a": 2}, [pay("WALLET", "90.00")])
    assert result.total == D("60.00")
    assert [(li.line_id, li.quantity, li.refund) for li in result.lines] == [("a", 2, D("60.00"))]


def test_mixed_payment_split_by_share_coupons_and_points_in_kind():
    lines = [line("a", "100.00"), line("b", "100.00")]
    payments = [pay("CARD", "150.00", "txn-1"), pay("COUPON", "30.00"), pay("POINTS", "20.00")]
    result = refund_amount(lines, {"a": 1}, payments)
    assert result.total == D("100.00")
    assert parts(result) == [("CARD", D("75.00"), False), ("COUPON", D("15.00"), True),
                             ("POINTS", D("10.00"), True)]
    assert result.parts[0].reference == "txn-1"


def test_parts_use_largest_remainder_and_sum_exactly():
    payments = [pay("CARD", "10.00"), pay("WALLET", "10.00"), pay("COUPON", "10.00")]
    result = refund_amount([line("a", "10.00", quantity=3)], {"a": 1}, payments)
    assert [p.amount for p in result.parts] == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(p.amount for p in result.parts) == result.total == D("10.00")


def test_split_cents_gives_leftover_cents_to_the_largest_remainders():
    assert split_cents(D("1.00"), [D("1"), D("2")]) == [D("0.33"), D("0.67")]
    assert split_cents(D("0.00"), [D("5"), D("5")]) == [D("0.00"), D("0.00")]


# --- gifts (7D Art. 12) -----------------------------------------------------------------------

GIFT_ORDER = [line("kettle", "199.00"),
              line("mug", "0.00", "0.00", is_gift=True, gift_stated_price=D("15.00"))]


def test_gift_returned_with_the_goods_costs_nothing():
    result = refund_amount(GIFT_ORDER, {"kettle": 1, "mug": 1}, [pay("CARD", "199.00")])
    assert result.total == D("199.00")
    assert [(g.line_id, g.due, g.returned, g.charged) for g in result.gifts_due] == [
        ("mug", 1, 1, D("0.00"))]


def test_gift_kept_is_charged_at_the_price_stated_beforehand():
    result = refund_amount(GIFT_ORDER, {"kettle": 1}, [pay("CARD", "199.00")])
    assert result.total == D("184.00")
    assert [(d.kind, d.amount, d.line_id) for d in result.deductions] == [
        ("GIFT_NOT_RETURNED", D("15.00"), "mug")]


def test_gift_without_a_stated_price_cannot_be_charged():
    order = [line("kettle", "199.00"), line("mug", "0.00", "0.00", is_gift=True)]
    assert refund_amount(order, {"kettle": 1}, [pay("CARD", "199.00")]).total == D("199.00")


def test_gift_is_not_charged_when_the_seller_is_at_fault():
    result = refund_amount(GIFT_ORDER, {"kettle": 1}, [pay("CARD", "199.00")], reason="QUALITY")
    assert result.total == D("199.00")
    assert result.gifts_due[0].charged == D("0.00")


def test_tenant_may_waive_gift_charges():
    policy = Policy(charge_unreturned_gifts=False)
    assert refund_amount(GIFT_ORDER, {"kettle": 1}, [pay("CARD", "199.00")],
                         policy).total == D("199.00")


def test_order_gift_is_due_only_when_the_whole_order_comes_back():
    order = [line("a", "50.00"), line("b", "50.00"),
             line("gift", "0.00", "0.00", is_gift=True, gift_stated_price=D("9.00"))]
    partial = refund_amount(order, {"a": 1}, [pay("CARD", "100.00")])
    assert partial.gifts_due == () and partial.total == D("50.00")
    whole = refund_amount(order, {"a": 1, "b": 1}, [pay("CARD", "100.00")])
    assert whole.total == D("91.00")


def test_deductions_larger_than_the_refund_are_reported_not_refunded():
    order = [line("pen", "5.00"),
             line("bag", "0.00", "0.00", is_gift=True, gift_stated_price=D("20.00"))]
    result = refund_amount(order, {"pen": 1}, [pay("CARD", "5.00")])
    assert result.total == D("0.00")
    assert result.uncovered == D("15.00")
    assert parts(result) == [("CARD", D("0.00"), False)]


# --- bundles and threshold deals --------------------------------------------------------------

BUNDLE = [line("shirt", "80.00", "100.00", deal_id="set"),
          line("tie", "70.00", "80.00", deal_id="set")]
BUNDLE_DEAL = [DealFacts("set", "BUNDLE")]


def test_partial_return_from_a_bundle_is_repriced_at_item_prices():
    result = refund_amount(BUNDLE, {"tie": 1}, [pay("CARD", "150.00")], deals=BUNDLE_DEAL)
    assert result.paid == D("70.00")
    assert result.goods == result.total == D("50.00")  # 150 paid, the shirt now costs 100
    assert result.repriced_deals == {"set"}


def test_whole_bundle_back_refunds_everything():
    result = refund_amount(BUNDLE, {"tie": 1, "shirt": 1}, [pay("CARD", "150.00")],
                           deals=BUNDLE_DEAL)
    assert result.total == D("150.00")
    assert result.repriced_deals == frozenset()


def test_bundle_is_not_repriced_when_the_seller_is_at_fault():
    result = refund_amount(BUNDLE, {"tie": 1}, [pay("CARD", "150.00")], deals=BUNDLE_DEAL,
                           reason="QUALITY")
    assert result.total == D("70.00")


THRESHOLD = [line("a", "177.78", "200.00", deal_id="300-50"),
             line("b", "133.33", "150.00", deal_id="300-50"),
             line("c", "88.89", "100.00", deal_id="300-50")]
THRESHOLD_DEAL = [DealFacts("300-50", "THRESHOLD", D("300.00"))]


def test_threshold_deal_still_met_refunds_the_allocated_price():
    result = refund_amount(THRESHOLD, {"c": 1}, [pay("CARD", "400.00")], deals=THRESHOLD_DEAL)
    assert result.total == D("88.89")
    assert result.repriced_deals == frozenset()


def test_threshold_deal_broken_is_repriced():
    result = refund_amount(THRESHOLD, {"b": 1, "c": 1}, [pay("CARD", "400.00")],
                           deals=THRESHOLD_DEAL)
    assert result.total == D("200.00")  # 400 paid, item a alone costs 200
    assert result.repriced_deals == {"300-50"}
    assert sum(li.refund for li in result.lines) == D("200.00")


def test_gift_of_a_broken_deal_is_due_back():
    order = [*THRESHOLD,
             line("gift", "0.00", "0.00", is_gift=True, gift_stated_price=D("30.00"),
                  deal_id="300-50")]
    kept_deal = refund_amount(order, {"c": 1}, [pay("CARD", "400.00")], deals=THRESHOLD_DEAL)
    assert kept_deal.gifts_due == ()
    broken = refund_amount(order, {"b": 1, "c": 1}, [pay("CARD", "400.00")],
                           deals=THRESHOLD_DEAL)
    assert broken.total == D("170.00")


# --- waived shipping and card fees (7D Art. 14, 18) ------------------------------------------

FREE_SHIPPING = ShippingFacts(waived_fee=D("10.00"), free_threshold=D("99.00"))
TWO_ITEMS = [line("a", "60.00"), line("b", "50.00")]


def test_return_that_breaks_free_shipping_deducts_the_waived_fee():
    result = refund_amount(TWO_ITEMS, {"b": 1}, [pay("CARD", "110.00")],
                           shipping=FREE_SHIPPING)
    assert result.total == D("40.00")
    assert [(d.kind, d.amount) for d in result.deductions] == [("WAIVED_SHIPPING", D("10.00"))]


def test_return_that_keeps_free_shipping_deducts_nothing():
    order = [line("a", "100.00"), line("b", "50.00")]
    result = refund_amount(order, {"b": 1}, [pay("CARD", "150.00")], shipping=FREE_SHIPPING)
    assert result.total == D("50.00")


@pytest.mark.parametrize(("policy", "reason"), [
    (Policy(deduct_waived_shipping=False), "NO_REASON"),
    (Policy(), "NOT_AS_DESCRIBED"),
])
def test_waived_shipping_kept_by_tenant_choice_or_seller_fault(policy, reason):
    result = refund_amount(TWO_ITEMS, {"b": 1}, [pay("CARD", "110.00")], policy,
                           reason=reason, shipping=FREE_SHIPPING)
    assert result.total == D("50.00")


def test_waived_card_fee_may_be_deducted_in_proportion():
    result = refund_amount([line("tv", "300.00", quantity=2)], {"tv": 1},
                           [pay("CARD", "600.00")], card_fee_waived=D("6.00"))
    assert [(d.kind, d.amount) for d in result.deductions] == [("WAIVED_CARD_FEE", D("3.00"))]
    assert result.total == D("297.00")


def test_card_fee_is_not_deducted_when_no_card_was_used():
    result = refund_amount([line("tv", "300.00")], {"tv": 1}, [pay("WALLET", "300.00")],
                           card_fee_waived=D("6.00"))
    assert result.total == D("300.00")


# --- inputs that cannot describe a real order -------------------------------------------------

@pytest.mark.parametrize(("lines", "quantities", "payments", "message"), [
    ([line("a", "10.00")], {"a": 2}, [pay("CARD", "10.00")], "outside"),
    ([line("a", "10.00")], {"z": 1}, [pay("CARD", "10.00")], "unknown lines"),
    ([line("a", "10.001")], {"a": 1}, [pay("CARD", "10.00")], "whole cents"),
    ([line("a", "10.00")], {"a": 1}, [pay("CARD", "5.00")], "less than"),
    ([line("a", "10.00", deal_id="x")], {"a": 1}, [pay("CARD", "10.00")], "unknown deal"),
    ([line("a", "10.00")], {"a": 1}, [pay("GOLD", "10.00")], "payment means"),
    ([line("a", "1.00", is_gift=True)], {"a": 1}, [pay("CARD", "1.00")], "gift"),
])
def test_inconsistent_inputs_are_refused(lines, quantities, payments, message):
    with pytest.raises(ValueError, match=message):
        refund_amount(lines, quantities, payments)


def test_unknown_reason_is_refused():
    with pytest.raises(ValueError, match="reason"):
        refund_amount([line("a", "1.00")], {"a": 1}, [pay("CARD", "1.00")], reason="WHIM")
