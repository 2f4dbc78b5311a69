"""Table D: who pays shipping (CPL Art. 19, 24–25; 7D Art. 18; P1 6.3.1)."""

import pytest

from aftersales.eligibility import Policy, shipping_payer


@pytest.mark.parametrize(("reason", "payers"), [
    ("QUALITY", ("seller", "seller")),
    ("NOT_AS_DESCRIBED", ("seller", "seller")),
    ("TRANSPORT_DAMAGE", ("seller", "seller")),
    ("SELLER_ERROR", ("seller", "seller")),
    ("NO_REASON", ("customer", None)),
    ("NO_REASON_BREAKS_FREE_SHIPPING", ("customer", None)),
    ("RECALL", ("seller", "seller")),
])
def test_table_d_rows(reason, payers):
    assert shipping_payer(reason) == payers


@pytest.mark.parametrize("reason", ["NO_REASON", "NO_REASON_BREAKS_FREE_SHIPPING"])
def test_shipping_insurance_pays_the_no_reason_return_leg(reason):
    assert shipping_payer(reason, Policy(return_shipping_insurance=True)) == ("seller", None)


def test_insurance_changes_nothing_when_the_seller_pays_anyway():
    assert shipping_payer("QUALITY", Policy(return_shipping_insurance=True)) == (
        "seller", "seller")


def test_unknown_reason_is_refused():
    with pytest.raises(ValueError, match="unknown shipping reason"):
        shipping_payer("CHANGED_MIND")
