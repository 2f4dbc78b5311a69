"""§7.5 refund arithmetic (7D Art. 12–18; CPL Art. 25).

What was actually paid for the returned units is refunded, split over the original payment
means by share: card, wallet and other money back to where it came from, coupons and points
back in kind. On a no-reason return a partial return from a bundle or threshold deal is
re-priced at item prices, gifts that are due back and not returned are charged at the price
stated beforehand, and a waived shipping fee (free-shipping threshold no longer met) and a
waived card fee may be deducted. Amounts are Decimal yuan with two places; the parts sum
exactly to the total (largest-remainder rounding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from aftersales.eligibility.policy import LAW, Policy
from aftersales.eligibility.shipping import Reason

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class Means:
    CARD = "CARD"  # bank or credit card
    WALLET = "WALLET"  # Alipay, WeChat Pay and other stored-value wallets
    BANK_TRANSFER = "BANK_TRANSFER"
    CASH = "CASH"
    COUPON = "COUPON"
    POINTS = "POINTS"
    IN_KIND = frozenset({COUPON, POINTS})
    ALL = frozenset({CARD, WALLET, BANK_TRANSFER, CASH, COUPON, POINTS})


class DealKind:
    BUNDLE = "BUNDLE"  # the items are sold together at one price
    THRESHOLD = "THRESHOLD"  # 满减 / 满赠: the deal needs a minimum list value
    ALL = frozenset({BUNDLE, THRESHOLD})


class DeductionKind:
    GIFT_NOT_RETURNED = "GIFT_NOT_RETURNED"
    WAIVED_SHIPPING = "WAIVED_SHIPPING"
    WAIVED_CARD_FEE = "WAIVED_CARD_FEE"


@dataclass(frozen=True)
class LineFacts:
    """One order line as the customer holds it now.

    ``unit_price_paid`` is what one unit actually cost after every discount (coupons and
    points count as paid); a line whose total does not divide into whole cents per unit is
    given as two lines. ``list_price`` is the item's own price outside any deal. A gift has
    ``is_gift``, pays nothing and may carry the price stated beforehand.
    """

    line_id: str
    unit_price_paid: Decimal
    list_price: Decimal
    quantity: int
    is_gift: bool = False
    gift_stated_price: Decimal | None = None
    deal_id: str | None = None  # the bundle or threshold deal (for a gift: the one it came with)


@dataclass(frozen=True)
class DealFacts:
    deal_id: str
    kind: str = DealKind.BUNDLE
    threshold: Decimal | None = None  # THRESHOLD: the list value the deal needs


@dataclass(frozen=True)
class PaymentFacts:
    means: str
    amount: Decimal
    reference: str = ""  # the original transaction, so the refund goes back to it


@dataclass(frozen=True)
class ShippingFacts:
    """Outbound shipping the seller waived because the goods paid reached a threshold."""

    waived_fee: Decimal = ZERO
    free_threshold: Decimal | None = None


@dataclass(frozen=True)
class LineRefund:
    line_id: str
    quantity: int
    paid: Decimal  # what was paid for these units
    refund: Decimal  # after re-pricing


@dataclass(frozen=True)
class GiftDue:
    line_id: str
    due: int
    returned: int
    charged: Decimal


@dataclass(frozen=True)
class Deduction:
    kind: str
    amount: Decimal
    line_id: str | None = None


@dataclass(frozen=True)
class RefundPart:
    means: str
    amount: Decimal
    in_kind: bool  # coupons and points go back as coupons and points
    reference: str = ""


@dataclass(frozen=True)
class RefundBreakdown:
    lines: tuple[LineRefund, ...]
    paid: Decimal  # paid for the returned units
    goods: Decimal  # refund for the goods, after re-pricing
    deductions: tuple[Deduction, ...]
    total: Decimal  # goods less deductions, never below zero
    parts: tuple[RefundPart, ...]
    gifts_due: tuple[GiftDue, ...]
    repriced_deals: frozenset[str]
    uncovered: Decimal  # deductions larger than the refund; the refund cannot absorb them

    @property
    def deducted(self) -> Decimal:
        return sum((d.amount for d in self.deductions), ZERO)


def split_cents(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``weights``, in cents summing exactly to ``total``.

    Largest remainder: every share is rounded down, then the cents left over go to the
    largest fractional remainders (the earlier share on a tie).
    """
    cents = int((total / CENT).to_integral_value())
    if not weights:
        if cents:
            raise ValueError("nothing to split the amount over")
        return []
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    if weight_sum == 0:
        shares = [Fraction(0)] * len(weights)
        shares[0] = Fraction(cents)
    else:
        shares = [Fraction(cents) * Fraction(w) / weight_sum for w in weights]
    floors = [share.numerator // share.denominator for share in shares]
    leftover = cents - sum(floors)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for index in by_remainder[:leftover]:
        floors[index] += 1
    return [Decimal(value) * CENT for value in floors]


def _money(value: Decimal | int, name: str) -> Decimal:
    amount = Decimal(value)
    if amount < 0:
        raise ValueError(f"{name} cannot be negative")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{name} must be in whole cents")
    return amount.quantize(CENT)


def _validate(lines: Sequence[LineFacts], quantities: Mapping[str, int],
              payments: Sequence[PaymentFacts], deals: Mapping[str, DealFacts]) -> None:
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("line ids must be unique")
    unknown = set(quantities) - set(ids)
    if unknown:
        raise ValueError(f"quantities for unknown lines: {sorted(unknown)}")
    for line in lines:
        _money(line.unit_price_paid, "unit_price_paid")
        _money(line.list_price, "list_price")
        if line.quantity < 0:
            raise ValueError("quantity cannot be negative")
        if not 0 <= quantities.get(line.line_id, 0) <= line.quantity:
            raise ValueError(f"returned quantity of {line.line_id} outside 0..{line.quantity}")
        if line.is_gift:
            if line.unit_price_paid != 0:
                raise ValueError(f"gift {line.line_id} cannot have a paid price")
            if line.gift_stated_price is not None:
                _money(line.gift_stated_price, "gift_stated_price")
        if line.deal_id is not None and line.deal_id not in deals:
            raise ValueError(f"line {line.line_id} names unknown deal {line.deal_id!r}")
    for deal in deals.values():
        if deal.kind not in DealKind.ALL:
            raise ValueError(f"unknown deal kind {deal.kind!r}")
        if deal.kind == DealKind.THRESHOLD:
            if deal.threshold is None:
                raise ValueError(f"threshold deal {deal.deal_id} needs a threshold")
            _money(deal.threshold, "threshold")
    for payment in payments:
        if payment.means not in Means.ALL:
            raise ValueError(f"unknown payment means {payment.means!r}")
        _money(payment.amount, "payment amount")
    goods_paid = sum((line.unit_price_paid * line.quantity for line in lines), ZERO)
    if sum((p.amount for p in payments), ZERO) < goods_paid:
        raise ValueError("the payments are less than what the lines cost")


def _deal_refunds(group: list[LineFacts], quantities: Mapping[str, int], deal: DealFacts,
                  repricing: bool) -> tuple[dict[str, Decimal], bool, bool]:
    """Refund per returned line of one deal; whether the deal is broken, and re-priced."""
    returned = {line.line_id: quantities.get(line.line_id, 0) for line in group}
    paid = {line.line_id: line.unit_price_paid * returned[line.line_id] for line in group}
    if not any(returned.values()):
        return paid, False, False
    kept_list = sum((line.list_price * (line.quantity - returned[line.line_id])
                     for line in group), ZERO)
    kept_units = sum(line.quantity - returned[line.line_id] for line in group)
    # Any unit back breaks a bundle; a threshold deal breaks when the rest falls short.
    broken = deal.kind == DealKind.BUNDLE or kept_list < deal.threshold
    if not (broken and repricing and kept_units):
        return paid, broken, False
    held_paid = sum((line.unit_price_paid * line.quantity for line in group), ZERO)
    returned_paid = sum(paid.values(), ZERO)
    # The kept items now cost their own price; the customer gets back the rest, never more
    # than was paid for the returned units.
    refund = min(returned_paid, max(ZERO, held_paid - kept_list))
    if refund == returned_paid:
        return paid, broken, False
    ids = [line_id for line_id, quantity in returned.items() if quantity]
    shares = split_cents(refund, [paid[line_id] for line_id in ids])
    return {**paid, **dict(zip(ids, shares, strict=True))}, broken, True


def refund_amount(order_lines: Iterable[LineFacts], quantities: Mapping[str, int],
                  order_payments: Iterable[PaymentFacts], policy: Policy = LAW, *,
                  reason: str = Reason.NO_REASON, deals: Iterable[DealFacts] = (),
                  shipping: ShippingFacts | None = None,
                  card_fee_waived: Decimal = ZERO) -> RefundBreakdown:
    """The refund for returning ``quantities`` (line id → units) of an order.

    ``reason`` is a table D reason. Re-pricing, gift charges and the waived-fee deductions
    apply to no-reason returns only: when the seller is at fault the customer keeps the
    deal price and owes nothing for gifts or waived fees (gifts due back are still listed).
    """
    lines = list(order_lines)
    payments = list(order_payments)
    deal_map = {deal.deal_id: deal for deal in deals}
    if reason not in Reason.ALL:
        raise ValueError(f"unknown refund reason {reason!r}")
    _validate(lines, quantities, payments, deal_map)
    no_reason = reason in Reason.NO_REASON_ALL

    paid_lines = [line for line in lines if not line.is_gift]
    refunds: dict[str, Decimal] = {}
    broken: set[str] = set()
    repriced: set[str] = set()
    groups: dict[str, list[LineFacts]] = {}
    for line in paid_lines:
        if line.deal_id is None:
            refunds[line.line_id] = line.unit_price_paid * quantities.get(line.line_id, 0)
        else:
            groups.setdefault(line.deal_id, []).append(line)
    for deal_id, group in groups.items():
        deal_refunds, is_broken, is_repriced = _deal_refunds(
            group, quantities, deal_map[deal_id], repricing=no_reason)
        refunds.update(deal_refunds)
        if is_broken:
            broken.add(deal_id)
        if is_repriced:
            repriced.add(deal_id)

    line_refunds = tuple(
        LineRefund(line.line_id, quantities.get(line.line_id, 0),
                   (line.unit_price_paid * quantities.get(line.line_id, 0)).quantize(CENT),
                   refunds[line.line_id].quantize(CENT))
        for line in paid_lines if quantities.get(line.line_id, 0)
    )
    paid = sum((line.paid for line in line_refunds), ZERO)
    goods = sum((line.refund for line in line_refunds), ZERO)

    deductions: list[Deduction] = []
    everything_returned = all(quantities.get(line.line_id, 0) == line.quantity
                              for line in paid_lines)
    gifts_due = []
    for gift in (line for line in lines if line.is_gift):
        due_back = (gift.deal_id in broken) if gift.deal_id else (everything_returned
                                                                  and paid > 0)
        if not due_back or not gift.quantity:
            continue
        returned = quantities.get(gift.line_id, 0)
        charged = ZERO
        if no_reason and policy.charge_unreturned_gifts and gift.gift_stated_price is not None:
            charged = (gift.gift_stated_price * (gift.quantity - returned)).quantize(CENT)
        gifts_due.append(GiftDue(gift.line_id, gift.quantity, returned, charged))
        if charged:
            deductions.append(Deduction(DeductionKind.GIFT_NOT_RETURNED, charged, gift.line_id))

    if no_reason and policy.deduct_waived_shipping and shipping is not None and paid:
        waived = _money(shipping.waived_fee, "waived_fee")
        goods_paid = sum((line.unit_price_paid * line.quantity for line in paid_lines), ZERO)
        kept_value = goods_paid - goods  # what the customer has paid for what they keep
        if (waived and shipping.free_threshold is not None
                and kept_value < _money(shipping.free_threshold, "free_threshold")):
            deductions.append(Deduction(DeductionKind.WAIVED_SHIPPING, waived))

    card_fee = _money(card_fee_waived, "card_fee_waived")
    if no_reason and policy.deduct_waived_card_fee and card_fee and goods:
        card_paid = sum((p.amount for p in payments if p.means == Means.CARD), ZERO)
        total_paid = sum((p.amount for p in payments), ZERO)
        if card_paid:
            # The fee on the card's share of this refund, rounded in the customer's favour.
            share = (card_fee * goods / total_paid).quantize(CENT, rounding=ROUND_DOWN)
            if share:
                deductions.append(Deduction(DeductionKind.WAIVED_CARD_FEE, share))

    deducted = sum((d.amount for d in deductions), ZERO)
    total = max(ZERO, goods - deducted)
    uncovered = max(ZERO, deducted - goods)
    amounts = split_cents(total, [p.amount for p in payments]) if payments else []
    if total and not payments:
        raise ValueError("a refund needs the payments it goes back to")
    parts = tuple(RefundPart(p.means, amount, p.means in Means.IN_KIND, p.reference)
                  for p, amount in zip(payments, amounts, strict=True))
    return RefundBreakdown(
        lines=line_refunds, paid=paid, goods=goods, deductions=tuple(deductions),
        total=total, parts=parts, gifts_due=tuple(gifts_due),
        repriced_deals=frozenset(repriced), uncovered=uncovered,
    )
