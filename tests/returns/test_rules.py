"""The Facts builder: every row of tables A–D and §7.5 reached from orders as the shop
recorded them, with the boundary days (d = 7 and 8, a month end, a holiday)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.eligibility import Policy, evaluate
from aftersales.models import OrderDeal, OrderLine
from returns import rules
from returns.choices import Reason
from tests.returns.conftest import make_order

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date) -> datetime:
    return datetime.combine(day, time(12), SHANGHAI)


def decide(*, signed: date, notice: date, reason=Reason.NO_REASON, order_fields=None,
           line_fields=None, policy=None, **facts):
    order = make_order(signed_at=at(signed), **(order_fields or {}))
    if line_fields:
        order.lines.update(**line_fields)
    line = OrderLine.objects.select_related("order", "product").get(order=order)
    built = rules.facts_for_line(line, reason=reason, notice_at=at(notice), policy=policy,
                                 **facts)
    return built, evaluate(built)


NOV1 = date(2026, 11, 1)
SANBAO = {"in_sanbao_catalogue": True, "sanbao_validity_months": 12}

# (id, signed, notice, reason, product/order fields, builder facts, expected rule, options)
ROWS = [
    ("A1 store sale", NOV1, date(2026, 11, 3), Reason.NO_REASON, {"store": True}, {}, "A1",
     set()),
    ("A2 d=8", NOV1, date(2026, 11, 9), Reason.NO_REASON, {}, {}, "A2", set()),
    ("A2 month end d=8", date(2026, 11, 27), date(2026, 12, 5), Reason.NO_REASON, {}, {},
     "A2", set()),
    ("A3 statutory exclusion", NOV1, date(2026, 11, 3), Reason.NO_REASON,
     {"no_reason_return_excluded": True}, {}, "A3", set()),
    ("A4 confirmed exclusion", NOV1, date(2026, 11, 3), Reason.NO_REASON,
     {"no_reason_return_excluded": True, "exclusion_needs_confirmation": True,
      "confirmed": True}, {}, "A4", set()),
    ("A4 type without confirmation is returnable", NOV1, date(2026, 11, 3), Reason.NO_REASON,
     {"no_reason_return_excluded": True, "exclusion_needs_confirmation": True}, {}, "A6",
     {"RETURN"}),
    ("A5 not complete", NOV1, date(2026, 11, 3), Reason.NO_REASON, {},
     {"goods_complete": False}, "A5", set()),
    ("A6 d=7", NOV1, date(2026, 11, 8), Reason.NO_REASON, {}, {}, "A6", {"RETURN"}),
    ("A6 month end d=7", date(2026, 11, 27), date(2026, 12, 4), Reason.NO_REASON, {}, {},
     "A6", {"RETURN"}),
    ("A6 window ends inside National Day", date(2026, 9, 24), date(2026, 10, 8),
     Reason.NO_REASON, {}, {}, "A6", {"RETURN"}),
    ("B1 not as described", NOV1, date(2026, 11, 5), Reason.NOT_AS_DESCRIBED, {}, {}, "B1",
     {"RETURN", "EXCHANGE", "REPAIR"}),
    ("B1 wrong item", NOV1, date(2026, 11, 5), Reason.WRONG_ITEM, {}, {}, "B1",
     {"RETURN", "EXCHANGE", "REPAIR"}),
    ("B2 confirmed quality d=7", NOV1, date(2026, 11, 8), Reason.QUALITY, {},
     {"quality_confirmed": True}, "B2", {"RETURN", "EXCHANGE", "REPAIR"}),
    ("B3 confirmed quality d=8", NOV1, date(2026, 11, 9), Reason.QUALITY, {},
     {"quality_confirmed": True}, "B3", {"EXCHANGE", "REPAIR"}),
    ("B4 transport damage", NOV1, date(2026, 12, 20), Reason.TRANSPORT_DAMAGE, {}, {}, "B4",
     {"RETURN", "EXCHANGE"}),
    ("B5 quality not confirmed", NOV1, date(2026, 11, 20), Reason.QUALITY, {},
     {"quality_confirmed": False}, "B5", {"PAID_REPAIR"}),
    ("B5 human damage", NOV1, date(2026, 11, 20), Reason.QUALITY, {},
     {"human_damage": True}, "B5", {"PAID_REPAIR"}),
    ("C1 d=7", NOV1, date(2026, 11, 8), Reason.QUALITY, SANBAO, {}, "C1",
     {"RETURN", "EXCHANGE", "REPAIR"}),
    ("C1 from installation", NOV1, date(2026, 11, 12), Reason.QUALITY,
     {**SANBAO, "seller_installs": True, "installed": date(2026, 11, 6)}, {}, "C1",
     {"RETURN", "EXCHANGE", "REPAIR"}),
    ("C2 d=8", NOV1, date(2026, 11, 9), Reason.QUALITY, SANBAO, {}, "C2",
     {"EXCHANGE", "REPAIR"}),
    ("C2 d=15", NOV1, date(2026, 11, 16), Reason.QUALITY, SANBAO, {}, "C2",
     {"EXCHANGE", "REPAIR"}),
    ("C3 d=16", NOV1, date(2026, 11, 17), Reason.QUALITY, SANBAO, {}, "C3", {"REPAIR"}),
    ("C4 repaired twice", NOV1, date(2027, 3, 1), Reason.QUALITY, SANBAO,
     {"repair_count": 2}, "C4", {"EXCHANGE", "RETURN"}),
    ("C5 repair overrun", NOV1, date(2027, 3, 1), Reason.QUALITY, SANBAO,
     {"repair_overrun": True}, "C5", {"EXCHANGE", "REPAIR"}),
    ("C6 out of validity", date(2025, 9, 1), date(2026, 11, 3), Reason.QUALITY, SANBAO, {},
     "C6", {"PAID_REPAIR"}),
    ("C7 human damage", NOV1, date(2026, 11, 20), Reason.QUALITY, SANBAO,
     {"human_damage": True}, "C7", {"PAID_REPAIR"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "signed", "notice", "reason", "fields", "facts", "rule",
                          "options"), ROWS, ids=[row[0] for row in ROWS])
def test_every_row_is_reached_from_an_order(name, signed, notice, reason, fields, facts, rule,
                                            options):
    fields = dict(fields)
    order_fields = {}
    if fields.pop("store", False):
        order_fields["sale_channel"] = "STORE"
    if fields.pop("seller_installs", False):
        order_fields["seller_installs"] = True
    confirmed = fields.pop("confirmed", False)
    installed = fields.pop("installed", None)
    order = make_order(signed_at=at(signed), **fields)
    order.sale_channel = order_fields.get("sale_channel", order.sale_channel)
    order.seller_installs = order_fields.get("seller_installs", False)
    order.exclusion_confirmed_at = at(signed) if confirmed else None
    order.save()
    if installed:
        order.lines.update(installed_at=at(installed))
    line = OrderLine.objects.select_related("order", "product").get(order=order)
    built = rules.facts_for_line(line, reason=reason, notice_at=at(notice), **facts)
    decision = evaluate(built)
    assert decision.rule == rule
    assert set(decision.options) == options


@pytest.mark.django_db
def test_a_window_ending_in_a_holiday_ends_the_day_after_it():
    _facts, decision = decide(signed=date(2026, 9, 24), notice=date(2026, 9, 30))
    assert decision.window_ends == date(2026, 10, 8)
    _facts, after = decide(signed=date(2026, 9, 24), notice=date(2026, 10, 9))
    assert after.rule == "A2"


@pytest.mark.django_db
def test_sign_for_and_notice_are_shanghai_dates():
    late_evening = datetime(2026, 11, 1, 23, 30, tzinfo=SHANGHAI)
    order = make_order(signed_at=late_evening)
    line = OrderLine.objects.select_related("order", "product").get(order=order)
    built = rules.facts_for_line(line, reason=Reason.NO_REASON,
                                 notice_at=datetime(2026, 11, 8, 15, 59, tzinfo=ZoneInfo("UTC")))
    assert (built.signed_at, built.notice_at) == (date(2026, 11, 1), date(2026, 11, 8))


@pytest.mark.django_db
def test_an_order_not_signed_for_has_no_facts():
    order = make_order()
    order.signed_at = None
    order.save()
    line = OrderLine.objects.select_related("order", "product").get(order=order)
    assert rules.facts_for_line(line, reason=Reason.NO_REASON, notice_at=at(NOV1)) is None


@pytest.mark.django_db
def test_stored_facts_give_the_same_decision():
    built, decision = decide(signed=NOV1, notice=date(2026, 11, 5), reason=Reason.QUALITY,
                             order_fields={"durable": True, **SANBAO})
    again = evaluate(rules.facts_from_dict(rules.facts_as_dict(built)))
    assert (again.rule, again.options) == (decision.rule, decision.options)


# --- table D ------------------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "expected"), [
    (Reason.QUALITY, ("seller", "seller")),
    (Reason.NOT_AS_DESCRIBED, ("seller", "seller")),
    (Reason.WRONG_ITEM, ("seller", "seller")),
    (Reason.MISSING_PARTS, ("seller", "seller")),
    (Reason.TRANSPORT_DAMAGE, ("seller", "seller")),
    (Reason.NO_REASON, ("customer", None)),
])
def test_table_d_shipping_by_request_reason(reason, expected):
    assert rules.shipping_for(reason, Policy()) == expected


def test_return_shipping_insurance_puts_the_no_reason_leg_on_the_seller():
    assert rules.shipping_for(Reason.NO_REASON, Policy(return_shipping_insurance=True)) == (
        "seller", None)


# --- §7.5 through the order's own rows -----------------------------------------------------

def _refund(order, quantities, reason=Reason.NO_REASON):
    return rules.refund_for(order, quantities, reason=reason)


@pytest.mark.django_db
def test_refund_goes_back_by_share_to_card_and_coupon():
    order = make_order(price="300.00", quantity=2, payments=[("CARD", "500.00"),
                                                             ("COUPON", "100.00")])
    line = order.lines.get()
    breakdown = _refund(order, {line.pk: 1})
    assert breakdown.total == Decimal("300.00")
    assert [(p.means, p.amount, p.in_kind) for p in breakdown.parts] == [
        ("CARD", Decimal("250.00"), False), ("COUPON", Decimal("50.00"), True)]


@pytest.mark.django_db
def test_an_order_without_payment_rows_is_refunded_to_the_card():
    order = make_order(price="99.90")
    breakdown = _refund(order, {order.lines.get().pk: 1})
    assert [(p.means, p.amount) for p in breakdown.parts] == [("CARD", Decimal("99.90"))]


@pytest.mark.django_db
def test_a_partial_return_from_a_bundle_is_repriced_at_item_prices():
    order = make_order(price="100.00", payments=[("WALLET", "150.00")])
    deal = OrderDeal.objects.create(order=order, code="B1", kind="BUNDLE")
    first = order.lines.get()
    first.unit_price_paid = Decimal("75.00")
    first.deal = deal
    first.save()
    OrderLine.objects.create(order=order, product=first.product, quantity=1,
                             unit_price=Decimal("100.00"), unit_price_paid=Decimal("75.00"),
                             deal=deal)
    breakdown = _refund(order, {first.pk: 1})
    # The bundle cost 150; the kept item is worth 100 on its own: 50 comes back.
    assert breakdown.total == Decimal("50.00")
    quality = _refund(order, {first.pk: 1}, reason=Reason.QUALITY)
    assert quality.total == Decimal("75.00")


@pytest.mark.django_db
def test_a_gift_not_returned_is_charged_at_its_stated_price():
    order = make_order(price="200.00", payments=[("CARD", "200.00")])
    line = order.lines.get()
    OrderLine.objects.create(order=order, product=line.product, quantity=1,
                             unit_price=Decimal("0.00"), is_gift=True,
                             gift_stated_price=Decimal("30.00"))
    breakdown = _refund(order, {line.pk: 1})
    assert breakdown.total == Decimal("170.00")


@pytest.mark.django_db
def test_waived_shipping_is_deducted_when_the_rest_breaks_the_threshold():
    order = make_order(price="60.00", quantity=2, payments=[("CARD", "120.00")])
    order.shipping_fee_waived = Decimal("10.00")
    order.free_shipping_threshold = Decimal("99.00")
    order.save()
    breakdown = _refund(order, {order.lines.get().pk: 1})
    assert breakdown.total == Decimal("50.00")


# --- properties of the builder ---------------------------------------------------------------

PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.mark.django_db
@PROPERTY
@given(days=st.integers(min_value=0, max_value=500), reason=st.sampled_from(Reason.values),
       sanbao=st.booleans(), extra=st.integers(min_value=0, max_value=30),
       insurance=st.booleans(), exchange=st.booleans())
def test_a_more_generous_policy_never_removes_an_option(days, reason, sanbao, extra,
                                                        insurance, exchange):
    fields = SANBAO if sanbao else {}
    order = make_order(signed_at=at(date(2026, 1, 5)), **fields)
    line = OrderLine.objects.select_related("order", "product").get(order=order)
    notice = at(date(2026, 1, 5) + timedelta(days=days))
    law = evaluate(rules.facts_for_line(line, reason=reason, notice_at=notice,
                                        policy=Policy()))
    generous = Policy(no_reason_days=7 + extra, nonconforming_return_days=7 + extra,
                      sanbao_return_days=7 + extra, sanbao_exchange_days=15 + extra,
                      return_shipping_insurance=insurance, no_reason_exchange=exchange)
    more = evaluate(rules.facts_for_line(line, reason=reason, notice_at=notice,
                                         policy=generous))
    assert law.options <= more.options


@pytest.mark.django_db
@PROPERTY
@given(price=st.decimals(min_value="0.01", max_value="5000", places=2),
       bought=st.integers(min_value=1, max_value=5), data=st.data(),
       coupon_share=st.integers(min_value=0, max_value=100),
       reason=st.sampled_from(Reason.values))
def test_the_refund_never_exceeds_what_was_paid_and_its_parts_sum_to_it(
        price, bought, data, coupon_share, reason):
    total = price * bought
    coupon = (total * coupon_share / 100).quantize(Decimal("0.01"))
    payments = [("CARD", str(total - coupon))] + ([("COUPON", str(coupon))] if coupon else [])
    order = make_order(price=str(price), quantity=bought, payments=payments)
    line = order.lines.get()
    returned = data.draw(st.integers(min_value=1, max_value=bought))
    breakdown = rules.refund_for(order, {line.pk: returned}, reason=reason)
    assert breakdown.total <= price * returned
    assert sum(part.amount for part in breakdown.parts) == breakdown.total


def test_a_tenant_policy_stricter_than_the_law_is_not_applied(settings):
    from returns.conf import tenant_policy

    settings.RETURNS_POLICY = {"no_reason_days": 15, "return_shipping_insurance": True}
    assert tenant_policy().no_reason_days == 15
    settings.RETURNS_POLICY = {"no_reason_days": 5}
    assert tenant_policy() == Policy()
