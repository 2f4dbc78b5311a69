"""Table C: 三包 goods (3B Art. 9–13; CPL-R Art. 18), rows C1–C7."""

from datetime import date, timedelta

import pytest

from aftersales.eligibility import Policy, evaluate, sanbao_day_zero

from .conftest import MONDAY, facts, sanbao


@pytest.mark.parametrize(("d", "rule", "options", "window"), [
    (0, "C1", {"RETURN", "EXCHANGE", "REPAIR"}, 7),
    (7, "C1", {"RETURN", "EXCHANGE", "REPAIR"}, 7),
    (8, "C2", {"EXCHANGE", "REPAIR"}, 15),
    (15, "C2", {"EXCHANGE", "REPAIR"}, 15),
    (16, "C3", {"REPAIR"}, None),
    (300, "C3", {"REPAIR"}, None),
])
def test_performance_fault_by_days(d, rule, options, window):
    decision = evaluate(sanbao(d, goods_complete=False))
    assert decision.rule == rule
    assert decision.options == options
    assert (decision.return_shipping, decision.reshipment) == ("seller", "seller")
    expected = MONDAY + timedelta(days=window) if window else None
    assert decision.window_ends == expected


@pytest.mark.parametrize("repairs", [0, 1])
def test_c3_free_repair_before_the_second_repair(repairs):
    assert evaluate(sanbao(16, repair_count=repairs)).rule == "C3"


@pytest.mark.parametrize("repairs", [2, 3])
def test_c4_twice_repaired_and_still_failing(repairs):
    decision = evaluate(sanbao(16, repair_count=repairs, goods_complete=False))
    assert decision.rule == "C4"
    assert decision.options == {"EXCHANGE", "RETURN"}
    assert decision.deduct_depreciation is True
    assert decision.legal_review is True
    assert decision.alternatives == ()  # no C3 beside it


def test_c4_also_applies_inside_the_fifteen_days():
    decision = evaluate(sanbao(10, repair_count=2, goods_complete=False))
    assert decision.rule == "C4"
    assert decision.options == {"EXCHANGE", "RETURN", "REPAIR"}
    assert [alt.rule for alt in decision.alternatives] == ["C2"]


def test_c1_stays_primary_over_c4():
    decision = evaluate(sanbao(3, repair_count=2, goods_complete=False))
    assert decision.rule == "C1"
    assert [alt.rule for alt in decision.alternatives] == ["C4"]


@pytest.mark.parametrize("fault", ["PERFORMANCE", "NONE", "HUMAN_DAMAGE"])
def test_c5_repair_overrun_gives_a_free_exchange(fault):
    decision = evaluate(sanbao(100, fault_type=fault, repair_overrun=True, goods_complete=False))
    assert decision.rule == "C5"
    assert "EXCHANGE" in decision.options
    assert decision.rule_options == {"EXCHANGE"}


def test_c5_needs_validity():
    decision = evaluate(sanbao(100, repair_overrun=True, in_validity=False))
    assert decision.rule == "C6"


def test_c6_out_of_validity_paid_repair():
    decision = evaluate(sanbao(800, in_validity=False))
    assert (decision.rule, decision.options) == ("C6", frozenset({"PAID_REPAIR"}))


@pytest.mark.parametrize("validity", [True, False])
def test_c7_human_damage_paid_repair(validity):
    decision = evaluate(sanbao(30, fault_type="HUMAN_DAMAGE", in_validity=validity))
    assert (decision.rule, decision.options) == ("C7", frozenset({"PAID_REPAIR"}))


def test_c7_durable_goods_within_six_months_seller_must_prove():
    decision = evaluate(sanbao(30, fault_type="HUMAN_DAMAGE", durable=True))
    assert decision.seller_must_prove is True
    assert "CPL Art. 23" in decision.basis


def test_day_zero_is_installation_when_the_seller_installs():
    installed = MONDAY + timedelta(days=8)
    item = sanbao(15, seller_installs=True, installed_at=installed, goods_complete=False)
    assert sanbao_day_zero(item) == installed
    assert evaluate(item).rule == "C1"  # 7 days after installation
    assert evaluate(sanbao(15, installed_at=installed, goods_complete=False)).rule == "C2"


def test_seller_installed_item_not_installed_yet_has_not_started_its_periods():
    decision = evaluate(sanbao(40, seller_installs=True, installed_at=None, goods_complete=False))
    assert decision.rule == "C1"


def test_sanbao_windows_end_after_a_holiday():
    signed = date(2026, 9, 16)  # day 15 is Thursday Oct 1
    decision = evaluate(facts(signed=signed, notice_at=date(2026, 10, 8), in_sanbao_catalogue=True,
                              in_validity=True, fault_type="PERFORMANCE", goods_complete=False))
    assert (decision.rule, decision.window_ends) == ("C2", date(2026, 10, 8))


def test_longer_tenant_sanbao_windows():
    policy = Policy(sanbao_return_days=10, sanbao_exchange_days=30)
    assert evaluate(sanbao(10, policy=policy, goods_complete=False)).rule == "C1"
    assert evaluate(sanbao(30, policy=policy, goods_complete=False)).rule == "C2"
    assert evaluate(sanbao(31, policy=policy, goods_complete=False)).rule == "C3"


@pytest.mark.parametrize(("fault", "rule"), [
    ("NOT_AS_DESCRIBED", "B1"), ("TRANSPORT_DAMAGE", "B4"), ("QUALITY_NONCONFORM", "B5"),
])
def test_faults_without_a_table_c_row_use_table_b(fault, rule):
    assert evaluate(sanbao(2, fault_type=fault, goods_complete=False)).rule == rule


def test_performance_fault_on_sanbao_goods_is_not_judged_by_table_b():
    decision = evaluate(sanbao(16, quality_confirmed=True, goods_complete=False))
    assert decision.rule == "C3"
    assert all(not alt.rule.startswith("B") for alt in decision.alternatives)
