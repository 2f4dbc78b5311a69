"""The price-fraud flag (PRICE 2022) on price histories written out day by day.

Art. 16: a "was" price above the lowest price of the 7 days before a discount is flagged.
Art. 17: a list price raised within those 7 days is flagged. A discount that starts on day D
looks back at days D-7 .. D-1 (shop time) and at day D before it starts.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from aftersales.catalog.prices import (
    ART16,
    ART17,
    PriceRow,
    lowest_price_between,
    price_at,
    price_fraud_check,
    price_fraud_findings,
    window_start,
)
from aftersales.models import ProductPrice
from tests.factories import ProductFactory

D = timezone.make_aware(datetime(2026, 11, 11, 0, 0))  # the discount's day, midnight
DISCOUNT_START = D + timedelta(hours=10)
BOUGHT = DISCOUNT_START + timedelta(hours=2)


def day(n: int, hour: int = 0) -> datetime:
    """Midnight (or ``hour``) of day D+n in shop time."""
    return D + timedelta(days=n, hours=hour)


def listed(price: str, start: datetime, end: datetime | None = None) -> PriceRow:
    return PriceRow("LIST", Decimal(price), start, end)


def deal(price: str, start: datetime, end: datetime | None = None) -> PriceRow:
    return PriceRow("DEAL", Decimal(price), start, end)


DISCOUNT = deal("80.00", DISCOUNT_START, day(3))


def rules(rows, **kwargs) -> list[str]:
    return [f.rule for f in price_fraud_findings(rows, at=BOUGHT, **kwargs)]


def test_the_window_starts_at_midnight_seven_days_before_the_discounts_day():
    assert window_start(DISCOUNT_START) == day(-7)
    assert window_start(D) == day(-7)


def test_an_honest_discount_off_a_steady_price_is_not_flagged():
    rows = [listed("100.00", day(-60)), DISCOUNT]

    assert rules(rows) == []


# --- Art. 16: the "was" price and the lowest price of the 7 days before ----------------

# (what the 7 days before held, whether a 100-yuan "was" price is flagged)
ART16_CASES = [
    ("a 90-yuan sale that ended on day D-7 at 10:00 (inside the window)",
     [listed("100.00", day(-60)), deal("90.00", day(-9), day(-7, 10))], True),
    ("a 90-yuan sale that ended at midnight starting day D-7 (last sold on D-8)",
     [listed("100.00", day(-60)), deal("90.00", day(-9), day(-7))], False),
    ("a 90-yuan sale one second into day D-7",
     [listed("100.00", day(-60)), deal("90.00", day(-9), day(-7) + timedelta(seconds=1))],
     True),
    ("a 90-yuan sale on day D-1", [listed("100.00", day(-60)), deal("90.00", day(-1), D)],
     True),
    ("a 90-yuan sale on day D, before the discount started",
     [listed("100.00", day(-60)), deal("90.00", D, DISCOUNT_START)], True),
    ("a list price of 100 the whole week", [listed("100.00", day(-60))], False),
]


@pytest.mark.parametrize(("history", "rows", "flagged"), ART16_CASES,
                         ids=[case[0] for case in ART16_CASES])
def test_a_was_price_above_the_lowest_price_of_the_seven_days_before(history, rows, flagged):
    assert (ART16 in rules([*rows, DISCOUNT])) is flagged


def test_the_was_price_the_customer_saw_is_compared_when_given():
    rows = [listed("100.00", day(-60)), DISCOUNT]

    assert rules(rows, was_price=Decimal("100.00")) == []
    assert rules(rows, was_price=Decimal("100.01")) == [ART16]


def test_with_no_sale_in_the_seven_days_the_last_price_before_them_counts():
    rows = [listed("100.00", day(-60), day(-20)), listed("90.00", day(-20), day(-9))]

    assert lowest_price_between(rows, start=day(-7), end=DISCOUNT_START) == Decimal("90.00")
    assert rules([*rows, DISCOUNT], was_price=Decimal("100.00")) == [ART16]
    assert rules([*rows, DISCOUNT], was_price=Decimal("90.00")) == []


def test_the_finding_carries_the_figures_for_the_legal_review():
    rows = [listed("100.00", day(-60)), deal("90.00", day(-2), day(-1)), DISCOUNT]

    finding, = price_fraud_findings(rows, at=BOUGHT)

    assert finding.as_data() == {
        "rule": ART16, "discount_from": DISCOUNT_START.isoformat(), "discount_price": "80.00",
        "was_price": "100.00", "lowest_price": "90.00", "raised_at": None,
        "raised_from": None, "raised_to": None,
    }


# --- Art. 17: raised just before the discount -------------------------------------------

# (when the list price went from 100 to 120, whether it is flagged)
ART17_CASES = [
    ("the day before the discount", day(-1, 9), True),
    ("on the discount's day, an hour before it", DISCOUNT_START - timedelta(hours=1), True),
    ("at midnight starting day D-7", day(-7), True),
    ("one second before day D-7", day(-7) - timedelta(seconds=1), False),
    ("eight days before", day(-8, 12), False),
]


@pytest.mark.parametrize(("when", "raised_at", "flagged"), ART17_CASES,
                         ids=[case[0] for case in ART17_CASES])
def test_a_price_raised_within_the_seven_days_before_a_discount(when, raised_at, flagged):
    rows = [listed("100.00", day(-60), raised_at), listed("120.00", raised_at), DISCOUNT]

    assert (ART17 in rules(rows)) is flagged


def test_a_raise_the_day_before_also_makes_the_was_price_too_high():
    rows = [listed("100.00", day(-60), day(-1)), listed("120.00", day(-1)), DISCOUNT]

    findings = {f.rule: f for f in price_fraud_findings(rows, at=BOUGHT)}

    assert set(findings) == {ART16, ART17}
    assert (findings[ART16].was_price, findings[ART16].lowest_price) == (Decimal("120.00"),
                                                                         Decimal("100.00"))
    assert (findings[ART17].raised_from, findings[ART17].raised_to) == (Decimal("100.00"),
                                                                        Decimal("120.00"))


def test_a_price_lowered_before_a_discount_is_not_a_raise():
    rows = [listed("120.00", day(-60), day(-1)), listed("100.00", day(-1)), DISCOUNT]

    assert ART17 not in rules(rows)


def test_nothing_is_checked_when_no_discount_was_in_force():
    rows = [listed("100.00", day(-60), day(-1)), listed("120.00", day(-1))]

    assert price_fraud_findings(rows, at=BOUGHT) == []
    assert price_at(rows, BOUGHT) == Decimal("120.00")


def test_the_deal_price_is_what_the_product_sold_at_during_the_discount():
    assert price_at([listed("100.00", day(-60)), DISCOUNT], BOUGHT) == Decimal("80.00")


@pytest.mark.django_db
def test_the_selector_reads_the_products_stored_history(django_assert_num_queries):
    product = ProductFactory()
    other = ProductFactory()
    for row in (listed("100.00", day(-60), day(-1)), listed("120.00", day(-1)), DISCOUNT):
        ProductPrice.objects.create(product=product, kind=row.kind, price=row.price,
                                    valid_from=row.valid_from, valid_to=row.valid_to)
    ProductPrice.objects.create(product=other, kind="DEAL", price=Decimal("1.00"),
                                valid_from=day(-3), valid_to=day(-2))

    with django_assert_num_queries(1):
        findings = price_fraud_check(product.pk, at=BOUGHT)

    assert {f.rule for f in findings} == {ART16, ART17}
    assert price_fraud_check(other.pk, at=BOUGHT) == []
