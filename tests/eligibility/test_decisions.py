"""Every rule is reachable; explanations are translatable sentences filled when shown."""

from datetime import date

import pytest
from django.utils import translation
from django.utils.functional import Promise

from aftersales.eligibility import RULES, Facts, Policy, evaluate

from .conftest import facts, sanbao

EXAMPLES = {
    "A1": facts(1, sale_channel="STORE"),
    "A2": facts(8),
    "A3": facts(3, excl_statutory=True),
    "A4": facts(3, excl_confirmed=True),
    "A5": facts(3, goods_complete=False),
    "A6": facts(3),
    "B1": facts(3, fault_type="NOT_AS_DESCRIBED"),
    "B2": facts(3, fault_type="QUALITY_NONCONFORM", quality_confirmed=True),
    "B3": facts(8, fault_type="QUALITY_NONCONFORM", quality_confirmed=True),
    "B4": facts(3, fault_type="TRANSPORT_DAMAGE"),
    "B5": facts(9, fault_type="HUMAN_DAMAGE"),
    "C1": sanbao(3),
    "C2": sanbao(10),
    "C3": sanbao(20),
    "C4": sanbao(20, repair_count=2),
    "C5": sanbao(20, fault_type="NONE", repair_overrun=True),
    "C6": sanbao(20, in_validity=False),
    "C7": sanbao(20, fault_type="HUMAN_DAMAGE"),
}


def test_every_rule_has_an_example():
    assert set(EXAMPLES) == set(RULES)


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_is_reachable(rule):
    decision = evaluate(EXAMPLES[rule])
    assert decision.rule == rule
    assert decision.basis
    assert isinstance(decision.explanation, Promise)
    with translation.override("en"):
        assert str(decision.explanation)


def test_explanation_reads_as_the_example_sentence():
    decision = evaluate(facts(signed=date(2026, 9, 24), notice_at=date(2026, 9, 30)))
    with translation.override("en"):
        assert str(decision.explanation) == (
            "You can return this without a reason until Oct. 8, 2026; return shipping is yours. "
            "We refund within 7 days of receiving the item.")


def test_explanation_is_filled_in_the_language_active_when_shown():
    decision = evaluate(facts(signed=date(2026, 9, 24), notice_at=date(2026, 9, 30)))
    with translation.override("zh-hans"):
        assert "2026年10月8日" in str(decision.explanation)
    with translation.override("en"):
        assert "Oct. 8, 2026" in str(decision.explanation)


def test_explanation_names_the_tenants_refund_period_and_free_return():
    decision = evaluate(facts(2, policy=Policy(refund_days=3, return_shipping_insurance=True)))
    with translation.override("en"):
        text = str(decision.explanation)
    assert "return shipping is free for you" in text
    assert "within 3 days" in text


@pytest.mark.parametrize(("change", "message"), [
    ({"sale_channel": "SHOP"}, "sale_channel"),
    ({"fault_type": "BROKEN"}, "fault_type"),
    ({"repair_count": -1}, "repair_count"),
    ({"goods_complete": "yes"}, "goods_complete"),
])
def test_facts_refuse_unknown_codes(change, message):
    values = {"sale_channel": "DISTANCE", "signed_at": date(2026, 3, 2),
              "notice_at": date(2026, 3, 3), **change}
    with pytest.raises(ValueError, match=message):
        Facts(**values)


def test_facts_refuse_a_naive_datetime():
    from datetime import datetime

    with pytest.raises(ValueError, match="naive"):
        Facts(sale_channel="DISTANCE", signed_at=datetime(2026, 3, 2, 10, 0),
              notice_at=date(2026, 3, 3))
