"""Tenant policy: the law by default, never stricter (domain.md §0 precedence)."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from aftersales.eligibility import LAW, Policy, policy_violations


def test_the_law_itself_has_no_violations():
    assert policy_violations(LAW) == []
    assert policy_violations(Policy()) == []


def test_generous_policy_has_no_violations():
    generous = Policy(no_reason_days=30, return_shipping_insurance=True, no_reason_exchange=True,
                      store_return_days=7, nonconforming_return_days=30, sanbao_return_days=10,
                      sanbao_exchange_days=30, refund_days=1, charge_unreturned_gifts=False,
                      deduct_waived_shipping=False, deduct_waived_card_fee=False)
    assert policy_violations(generous) == []


@pytest.mark.parametrize(("change", "rule"), [
    ({"no_reason_days": 6}, "T7"),
    ({"nonconforming_return_days": 5}, "T8"),
    ({"sanbao_return_days": 3}, "T11"),
    ({"sanbao_exchange_days": 14}, "T12"),
    ({"refund_days": 8}, "T6"),
    ({"refund_days": -1}, "T6"),
    ({"store_return_days": -1}, "A1"),
])
def test_each_stricter_setting_is_reported_naming_its_rule(change, rule):
    problems = policy_violations(Policy(**change))
    assert len(problems) == 1
    assert isinstance(problems[0], Promise)  # translated when shown
    with translation.override("en"):
        assert rule in str(problems[0])


def test_violation_message_reads_in_english():
    with translation.override("en"):
        [message] = policy_violations(Policy(no_reason_days=3))
        assert str(message) == ("The no-reason return period must be at least 7 days "
                                "(T7: CPL Art. 25; 7D Art. 10).")


def test_several_violations_are_all_reported():
    assert len(policy_violations(Policy(no_reason_days=1, refund_days=30))) == 2


def test_holiday_test_is_not_part_of_policy_equality():
    assert Policy(is_statutory_holiday=lambda day: False) == Policy()
