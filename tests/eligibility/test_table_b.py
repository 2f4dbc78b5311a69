"""Table B: quality problem or not as described, goods outside the 三包 catalogue
(CPL Art. 24; PQL Art. 40; ECL Art. 20), rows B1–B5."""

from datetime import date, timedelta

import pytest

from aftersales.eligibility import Policy, evaluate

from .conftest import MONDAY, facts

SELLER_BOTH_WAYS = ("seller", "seller")


def terms(decision):
    return decision.return_shipping, decision.reshipment


@pytest.mark.parametrize("channel", ["DISTANCE", "STORE"])
def test_b1_not_as_described_return_or_exchange_seller_pays(channel):
    decision = evaluate(facts(7, sale_channel=channel, fault_type="NOT_AS_DESCRIBED"))
    assert decision.rule == "B1"
    assert {"RETURN", "EXCHANGE"} <= decision.rule_options
    assert terms(decision) == SELLER_BOTH_WAYS
    assert decision.window_ends == MONDAY + timedelta(days=7)


def test_b1_needs_no_quality_confirmation():
    decision = evaluate(facts(2, fault_type="NOT_AS_DESCRIBED", quality_confirmed=False))
    assert decision.rule == "B1"


def test_not_as_described_after_the_window_is_exchange_or_repair():
    decision = evaluate(facts(8, fault_type="NOT_AS_DESCRIBED"))
    assert decision.rule == "B3"
    assert decision.options == {"EXCHANGE", "REPAIR"}
    assert decision.legal_review is True
    assert terms(decision) == SELLER_BOTH_WAYS


def test_b1_window_follows_a_longer_tenant_policy():
    policy = Policy(nonconforming_return_days=30)
    assert evaluate(facts(30, fault_type="NOT_AS_DESCRIBED", policy=policy)).rule == "B1"
    assert evaluate(facts(31, fault_type="NOT_AS_DESCRIBED", policy=policy)).rule == "B3"


@pytest.mark.parametrize("fault", ["QUALITY_NONCONFORM", "PERFORMANCE"])
@pytest.mark.parametrize(("d", "rule"), [(0, "B2"), (7, "B2"), (8, "B3"), (400, "B3")])
def test_b2_b3_confirmed_quality_problem(fault, d, rule):
    decision = evaluate(facts(d, fault_type=fault, quality_confirmed=True, goods_complete=False))
    assert decision.rule == rule
    assert terms(decision) == SELLER_BOTH_WAYS
    if rule == "B2":
        assert decision.options == {"RETURN", "EXCHANGE", "REPAIR"}
        assert decision.window_ends == MONDAY + timedelta(days=7)
        assert decision.legal_review is False
    else:
        assert decision.options == {"EXCHANGE", "REPAIR"}
        assert decision.legal_review is True  # a return needs the termination conditions


def test_b2_window_ending_in_national_day_runs_to_october_8():
    signed = date(2026, 9, 26)  # day 7 is Saturday Oct 3
    on_8th = facts(signed=signed, notice_at=date(2026, 10, 8), fault_type="QUALITY_NONCONFORM",
                   quality_confirmed=True, goods_complete=False)
    on_9th = facts(signed=signed, notice_at=date(2026, 10, 9), fault_type="QUALITY_NONCONFORM",
                   quality_confirmed=True, goods_complete=False)
    assert evaluate(on_8th).rule == "B2"
    assert evaluate(on_8th).window_ends == date(2026, 10, 8)
    assert evaluate(on_9th).rule == "B3"


@pytest.mark.parametrize("d", [0, 8, 365])
def test_b4_transport_damage_pickup_then_return_or_exchange(d):
    decision = evaluate(facts(d, fault_type="TRANSPORT_DAMAGE", goods_complete=False))
    assert decision.rule == "B4"
    assert decision.options == {"RETURN", "EXCHANGE"}
    assert decision.pickup is True
    assert terms(decision) == SELLER_BOTH_WAYS
    assert "ECL Art. 20" in decision.basis


def test_b5_human_damage_paid_repair_only():
    decision = evaluate(facts(20, fault_type="HUMAN_DAMAGE", goods_complete=False))
    assert decision.rule == "B5"
    assert decision.options == {"PAID_REPAIR"}
    assert decision.return_shipping is None
    assert decision.seller_must_prove is False


def test_b5_unconfirmed_quality_claim():
    decision = evaluate(facts(20, fault_type="QUALITY_NONCONFORM", quality_confirmed=False))
    assert (decision.rule, decision.options) == ("B5", frozenset({"PAID_REPAIR"}))


@pytest.mark.parametrize(("signed", "notice", "must_prove"), [
    (date(2026, 3, 31), date(2026, 9, 30), True),  # 6 months: Sep 30 (no Sep 31)
    (date(2026, 3, 31), date(2026, 10, 1), False),
    (date(2026, 4, 1), date(2026, 10, 8), True),  # last day Oct 1 is in National Day
    (date(2026, 4, 1), date(2026, 10, 9), False),
])
def test_b5_durable_goods_within_six_months_seller_must_prove(signed, notice, must_prove):
    decision = evaluate(facts(signed=signed, notice_at=notice, fault_type="HUMAN_DAMAGE",
                              durable=True, goods_complete=False))
    assert decision.rule == "B5"
    assert decision.seller_must_prove is must_prove


def test_b5_burden_of_proof_only_for_durable_goods():
    decision = evaluate(facts(10, fault_type="HUMAN_DAMAGE", durable=False))
    assert decision.seller_must_prove is False


def test_a_fault_claim_keeps_the_no_reason_return():
    """Day 3, complete goods, quality not confirmed: the no-reason return is the stronger
    remedy, and the paid repair of B5 stays available beside it."""
    decision = evaluate(facts(3, fault_type="QUALITY_NONCONFORM"))
    assert decision.rule == "A6"
    assert decision.options == {"RETURN", "PAID_REPAIR"}
    assert [alt.rule for alt in decision.alternatives] == ["B5"]
    assert decision.rule_options == {"RETURN"}


def test_confirmed_quality_problem_beats_the_no_reason_return():
    decision = evaluate(facts(3, fault_type="QUALITY_NONCONFORM", quality_confirmed=True))
    assert decision.rule == "B2"
    assert terms(decision) == SELLER_BOTH_WAYS
    assert [alt.rule for alt in decision.alternatives] == ["A6"]


def test_incomplete_goods_leave_only_the_fault_rule():
    decision = evaluate(facts(3, fault_type="HUMAN_DAMAGE", goods_complete=False))
    assert decision.rule == "B5"
    assert decision.alternatives == ()


def test_b3_beside_a_longer_no_reason_window_offers_all_three():
    decision = evaluate(facts(9, fault_type="QUALITY_NONCONFORM", quality_confirmed=True,
                              policy=Policy(no_reason_days=10)))
    assert decision.rule == "A6"  # a return is the strongest remedy, on A6's terms
    assert decision.options == {"RETURN", "EXCHANGE", "REPAIR"}
    assert [alt.rule for alt in decision.alternatives] == ["B3"]
