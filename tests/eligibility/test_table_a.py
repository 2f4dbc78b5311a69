"""Table A: the 7-day no-reason return (CPL Art. 25; 7D Art. 6–13), rows A1–A6."""

from datetime import date, timedelta

import pytest

from aftersales.eligibility import Policy, evaluate

from .conftest import MONDAY, facts


def test_a1_store_sale_has_no_statutory_no_reason_return():
    decision = evaluate(facts(1, sale_channel="STORE"))
    assert decision.rule == "A1"
    assert decision.options == frozenset()
    assert decision.window_ends is None
    assert decision.basis.startswith("CPL Art. 25")


def test_a1_store_sale_follows_the_tenants_store_promise():
    policy = Policy(store_return_days=15)
    inside = evaluate(facts(15, sale_channel="STORE", policy=policy))
    assert inside.rule == "A1"
    assert inside.options == {"RETURN"}
    assert inside.window_ends == MONDAY + timedelta(days=15)
    assert inside.return_shipping is None  # brought back to the store
    late = evaluate(facts(16, sale_channel="STORE", policy=policy))
    assert (late.rule, late.options) == ("A1", frozenset())
    assert late.window_ends == MONDAY + timedelta(days=15)


def test_a1_store_promise_keeps_the_statutory_conditions():
    policy = Policy(store_return_days=15, no_reason_exchange=True)
    assert evaluate(facts(3, sale_channel="STORE", policy=policy)).options == {
        "RETURN", "EXCHANGE"}
    for excluded in ({"excl_statutory": True}, {"excl_confirmed": True},
                     {"goods_complete": False}):
        decision = evaluate(facts(3, sale_channel="STORE", policy=policy, **excluded))
        assert (decision.rule, decision.options) == ("A1", frozenset())


@pytest.mark.parametrize(("d", "rule"), [(0, "A6"), (7, "A6"), (8, "A2"), (30, "A2")])
def test_window_is_seven_days_from_the_day_after_sign_for(d, rule):
    assert evaluate(facts(d)).rule == rule


def test_a2_late_request_names_the_end_of_the_window():
    decision = evaluate(facts(8))
    assert decision.rule == "A2"
    assert decision.options == frozenset()
    assert decision.window_ends == MONDAY + timedelta(days=7)


@pytest.mark.parametrize("d", [0, 7])
def test_a3_statutory_exclusion(d):
    decision = evaluate(facts(d, excl_statutory=True))
    assert (decision.rule, decision.options) == ("A3", frozenset())
    assert "7D Art. 6" in decision.basis


def test_a3_is_only_checked_inside_the_window():
    assert evaluate(facts(8, excl_statutory=True)).rule == "A2"


def test_a4_needs_the_recorded_checkout_confirmation():
    assert evaluate(facts(3, excl_confirmed=True)).rule == "A4"
    assert evaluate(facts(3, excl_confirmed=False)).rule == "A6"


def test_statutory_exclusion_comes_before_the_confirmed_one():
    assert evaluate(facts(3, excl_statutory=True, excl_confirmed=True)).rule == "A3"


def test_a5_goods_not_complete():
    decision = evaluate(facts(3, goods_complete=False))
    assert (decision.rule, decision.options) == ("A5", frozenset())


def test_goods_not_inspected_yet_count_as_complete():
    assert evaluate(facts(3, goods_complete=None)).rule == "A6"


def test_a6_eligible_customer_pays_the_return_leg():
    decision = evaluate(facts(7))
    assert decision.rule == "A6"
    assert decision.options == {"RETURN"}
    assert decision.return_shipping == "customer"
    assert decision.reshipment is None
    assert decision.pickup is False
    assert decision.window_ends == MONDAY + timedelta(days=7)
    assert decision.basis == "CPL Art. 25; 7D Art. 6–13"


def test_a6_shipping_insurance_moves_the_return_leg_to_the_seller():
    decision = evaluate(facts(2, policy=Policy(return_shipping_insurance=True)))
    assert decision.return_shipping == "seller"


def test_a6_no_reason_exchange_is_tenant_policy_only():
    assert evaluate(facts(2)).options == {"RETURN"}
    decision = evaluate(facts(2, policy=Policy(no_reason_exchange=True)))
    assert decision.options == {"RETURN", "EXCHANGE"}
    assert decision.reshipment == "seller"


def test_a_longer_tenant_window_is_applied():
    assert evaluate(facts(15, policy=Policy(no_reason_days=15))).rule == "A6"
    assert evaluate(facts(16, policy=Policy(no_reason_days=15))).rule == "A2"


def test_a_shorter_tenant_window_is_never_applied():
    decision = evaluate(facts(7, policy=Policy(no_reason_days=3)))
    assert decision.rule == "A6"
    assert decision.window_ends == MONDAY + timedelta(days=7)


def test_aware_datetimes_count_as_shanghai_dates():
    from datetime import UTC, datetime

    # 2026-03-02 17:00 UTC is 2026-03-03 01:00 in Shanghai: sign-for day is the 3rd.
    signed = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    decision = evaluate(facts(0, signed_at=signed, notice_at=date(2026, 3, 10)))
    assert decision.rule == "A6"
    assert decision.window_ends == date(2026, 3, 10)


# --- boundaries across month ends and holidays ----------------------------------------------

@pytest.mark.parametrize(("signed", "last_day"), [
    (date(2026, 1, 28), date(2026, 2, 4)),  # across a month end, no holiday
    (date(2026, 3, 27), date(2026, 4, 3)),  # Friday before Qingming: not extended
    (date(2026, 3, 7), date(2026, 3, 14)),  # an ordinary Saturday does not extend
    (date(2026, 10, 3), date(2026, 10, 10)),  # adjusted working Saturday (调休)
    (date(2026, 12, 24), date(2026, 12, 31)),  # the year's last day
])
def test_window_end_without_holiday(signed, last_day):
    assert evaluate(facts(7, signed=signed)).window_ends == last_day
    assert evaluate(facts((last_day - signed).days, signed=signed)).rule == "A6"
    assert evaluate(facts((last_day - signed).days + 1, signed=signed)).rule == "A2"


@pytest.mark.parametrize("last_day", [date(2026, 10, day) for day in range(1, 8)])
def test_window_ending_in_national_day_runs_to_october_8(last_day):
    signed = last_day - timedelta(days=7)
    assert evaluate(facts(0, signed=signed)).window_ends == date(2026, 10, 8)
    on_8th = facts(notice_at=date(2026, 10, 8), signed=signed)
    on_9th = facts(notice_at=date(2026, 10, 9), signed=signed)
    assert evaluate(on_8th).rule == "A6"
    assert evaluate(on_9th).rule == "A2"


@pytest.mark.parametrize(("signed", "ends"), [
    (date(2026, 4, 27), date(2026, 5, 6)),  # across the month end into Labour Day (May 1–5)
    (date(2026, 3, 28), date(2026, 4, 7)),  # Qingming, Saturday Apr 4 to Monday Apr 6
    (date(2026, 2, 10), date(2026, 2, 24)),  # Spring Festival, Feb 15–23
    (date(2026, 9, 19), date(2026, 9, 28)),  # Mid-Autumn, Friday Sep 25 to Sunday Sep 27
    # New Year 2027 from the holidays package: Friday Jan 1 and the weekend it reaches.
    (date(2026, 12, 25), date(2027, 1, 4)),
])
def test_window_ending_in_a_holiday_moves_to_the_day_after(signed, ends):
    assert evaluate(facts(0, signed=signed)).window_ends == ends
