"""Product price history: reads, the CSV import, and the price-fraud check (PRICE 2022).

The check is a pair of pure functions over price rows (``PriceRow``), so it is tested on
histories written out in the test, and a selector that reads a product's rows for them:

* **Art. 16**: a "was" price shown beside a discount may not exceed the lowest price the
  product was sold at during the 7 days before the discount began (or, if it was not on sale
  at all in those days, the last price before them).
* **Art. 17**: raising the price just before a discount (先提价后打折) makes the discount a
  pretence; a list price raised within the same 7 days is flagged.

The 7 days are calendar days in the shop's time zone: a discount that starts on day D looks
back at days D-7 to D-1 and at day D up to its start. Both findings are flags for the legal
role to review, not determinations.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from aftersales.catalog.models import Product, ProductPrice

REFERENCE_WINDOW_DAYS = 7
HISTORY_DAYS = 60
ART16 = "PRICE_ART16_REFERENCE"
ART17 = "PRICE_ART17_RAISED"
RULE_LABELS = {
    ART16: _("The \"was\" price exceeds the lowest price of the 7 days before the discount "
             "(PRICE Art. 16)"),
    ART17: _("The price was raised shortly before the discount (PRICE Art. 17)"),
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceRow:
    """One period of a price: list or deal, from ``valid_from`` until ``valid_to`` (open)."""

    kind: str
    price: Decimal
    valid_from: datetime
    valid_to: datetime | None = None

    def in_force_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_to is None or moment < self.valid_to)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.valid_from < end and (self.valid_to is None or self.valid_to > start)


@dataclass(frozen=True)
class FraudFinding:
    """A reason to suspect price fraud, with the figures it rests on."""

    rule: str
    discount_from: datetime
    discount_price: Decimal
    was_price: Decimal | None = None
    lowest_price: Decimal | None = None
    raised_at: datetime | None = None
    raised_from: Decimal | None = None
    raised_to: Decimal | None = None

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self.rule])

    def as_data(self) -> dict:
        """JSON-ready, with stable keys (stored on the case, shown to the legal role)."""
        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(value.quantize(CENT))

        return {
            "rule": self.rule,
            "discount_from": self.discount_from.isoformat(),
            "discount_price": money(self.discount_price),
            "was_price": money(self.was_price),
            "lowest_price": money(self.lowest_price),
            "raised_at": self.raised_at.isoformat() if self.raised_at else None,
            "raised_from": money(self.raised_from),
            "raised_to": money(self.raised_to),
        }


def rows_of(prices: Iterable[ProductPrice]) -> list[PriceRow]:
    return sorted((PriceRow(p.kind, p.price, p.valid_from, p.valid_to) for p in prices),
                  key=lambda row: row.valid_from)


def window_start(discount_start: datetime) -> datetime:
    """Midnight, in the shop's time zone, of the 7th day before the discount's day."""
    day = timezone.localdate(discount_start) - timedelta(days=REFERENCE_WINDOW_DAYS)
    return timezone.make_aware(datetime.combine(day, time.min))


def price_at(rows: Iterable[PriceRow], moment: datetime) -> Decimal | None:
    """What the product sold at then: the lowest price in force (a deal beats the list)."""
    prices = [row.price for row in rows if row.in_force_at(moment)]
    return min(prices) if prices else None


def list_price_at(rows: Iterable[PriceRow], moment: datetime) -> Decimal | None:
    """The list price in force then (the latest to start, if periods overlap)."""
    in_force = [row for row in rows if row.kind == ProductPrice.Kind.LIST
                and row.in_force_at(moment)]
    return max(in_force, key=lambda row: row.valid_from).price if in_force else None


def lowest_price_between(rows: Iterable[PriceRow], *, start: datetime,
                         end: datetime) -> Decimal | None:
    """The lowest price in force at any moment of [start, end); when nothing was on sale
    then, the last price before ``start`` (PRICE Art. 16, second sentence)."""
    rows = list(rows)
    during = [row.price for row in rows if row.overlaps(start, end)]
    if during:
        return min(during)
    before = [row for row in rows if row.valid_from < start]
    if not before:
        return None
    last_start = max(row.valid_from for row in before)
    return min(row.price for row in before if row.valid_from == last_start)


def discount_in_force(rows: Iterable[PriceRow], moment: datetime) -> PriceRow | None:
    deals = [row for row in rows if row.kind == ProductPrice.Kind.DEAL and row.in_force_at(moment)]
    return min(deals, key=lambda row: row.price) if deals else None


def reference_price_finding(rows: Iterable[PriceRow], *, discount: PriceRow,
                            was_price: Decimal) -> FraudFinding | None:
    """Art. 16: the "was" price above the lowest price of the 7 days before the discount."""
    rows = [row for row in rows if row != discount]
    lowest = lowest_price_between(rows, start=window_start(discount.valid_from),
                                  end=discount.valid_from)
    if lowest is None or was_price <= lowest:
        return None
    return FraudFinding(ART16, discount.valid_from, discount.price, was_price=was_price,
                        lowest_price=lowest)


def raised_before_finding(rows: Iterable[PriceRow], *,
                          discount: PriceRow) -> FraudFinding | None:
    """Art. 17: a list price raised within the 7 days before the discount began."""
    rows = list(rows)
    start, end = window_start(discount.valid_from), discount.valid_from
    for row in rows:
        if row.kind != ProductPrice.Kind.LIST or not (start <= row.valid_from < end):
            continue
        before = list_price_at([r for r in rows if r is not row],
                               row.valid_from - timedelta(microseconds=1))
        if before is not None and row.price > before:
            return FraudFinding(ART17, discount.valid_from, discount.price,
                                raised_at=row.valid_from, raised_from=before,
                                raised_to=row.price)
    return None


def price_fraud_findings(rows: Iterable[PriceRow], *, at: datetime,
                         was_price: Decimal | None = None) -> list[FraudFinding]:
    """Both checks for the discount in force at ``at`` (e.g. when the customer bought).

    ``was_price`` is the reference price the customer saw beside the discount; without it,
    the list price in force when the discount began (the price shown struck through).
    """
    rows = list(rows)
    discount = discount_in_force(rows, at)
    if discount is None:
        return []
    if was_price is None:
        was_price = list_price_at(rows, discount.valid_from)
    findings = []
    if was_price is not None:
        finding = reference_price_finding(rows, discount=discount, was_price=was_price)
        if finding is not None:
            findings.append(finding)
    raised = raised_before_finding(rows, discount=discount)
    if raised is not None:
        findings.append(raised)
    return findings


# --- reads ------------------------------------------------------------------------------

def price_history(product_id: int, *, until: datetime,
                  days: int = HISTORY_DAYS) -> list[PriceRow]:
    """The product's price periods that were in force in the ``days`` before ``until``."""
    since = until - timedelta(days=days)
    prices = ProductPrice.objects.filter(product_id=product_id, valid_from__lte=until).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=since)
    ).order_by("valid_from", "id")
    return rows_of(prices)


def price_fraud_check(product_id: int, *, at: datetime,
                      was_price: Decimal | None = None) -> list[FraudFinding]:
    """The price-fraud findings for a product bought at ``at`` (one query)."""
    return price_fraud_findings(price_history(product_id, until=at), at=at, was_price=was_price)


# --- CSV import -------------------------------------------------------------------------

IMPORT_COLUMNS = ("sku", "kind", "price", "valid_from", "valid_to")


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    closed: int = 0
    errors: list[str] | None = None


def _moment(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _parse(reader: Iterable[dict], products: dict[str, int]) -> tuple[list[ProductPrice],
                                                                      list[str]]:
    rows, errors = [], []
    for number, record in enumerate(reader, start=2):
        record = {key.strip().lower(): (value or "").strip()
                  for key, value in record.items() if key}
        sku = record.get("sku", "")
        kind = (record.get("kind") or ProductPrice.Kind.LIST).upper()
        try:
            price = Decimal(record.get("price", ""))
            valid_from = _moment(record.get("valid_from", ""))
            valid_to = _moment(record.get("valid_to", ""))
        except (InvalidOperation, ValueError):
            errors.append(f"line {number}: price or date not understood")
            continue
        if sku not in products:
            errors.append(f"line {number}: unknown SKU {sku!r}")
        elif kind not in ProductPrice.Kind.values:
            errors.append(f"line {number}: kind must be LIST or DEAL, not {kind!r}")
        elif price < 0 or price != price.quantize(CENT):
            errors.append(f"line {number}: price must be yuan with at most 2 decimals, >= 0")
        elif valid_from is None:
            errors.append(f"line {number}: valid_from is required")
        elif valid_to is not None and valid_to <= valid_from:
            errors.append(f"line {number}: valid_to must be after valid_from")
        else:
            rows.append(ProductPrice(product_id=products[sku], kind=kind, price=price,
                                     valid_from=valid_from, valid_to=valid_to))
    return rows, errors


def prices_import(lines: Iterable[str], *, dry_run: bool = False) -> ImportResult:
    """Import price periods from CSV (header: sku, kind, price, valid_from, valid_to).

    All or nothing: any bad line imports nothing and every error is listed. A period the
    product already has (same kind and start) is skipped, so a file can be imported again.
    An open-ended period of the same kind that began earlier is closed where the new one
    begins, so the history has no overlapping list prices.
    """
    reader = csv.DictReader(lines)
    missing = [c for c in ("sku", "price", "valid_from")
               if c not in [f.strip().lower() for f in reader.fieldnames or []]]
    if missing:
        return ImportResult(errors=[f"missing columns: {', '.join(missing)}"])
    records = list(reader)
    skus = {(r.get("sku") or "").strip() for r in records}
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    rows, errors = _parse(records, products)
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult(errors=[])
    with transaction.atomic():
        existing = set(ProductPrice.objects.filter(product_id__in=products.values())
                       .values_list("product_id", "kind", "valid_from"))
        rows.sort(key=lambda row: row.valid_from)
        for row in rows:
            key = (row.product_id, row.kind, row.valid_from)
            if key in existing:
                result.skipped += 1
                continue
            result.closed += ProductPrice.objects.filter(
                product_id=row.product_id, kind=row.kind, valid_to__isnull=True,
                valid_from__lt=row.valid_from,
            ).update(valid_to=row.valid_from)
            row.save()
            existing.add(key)
            result.created += 1
        if dry_run:
            transaction.set_rollback(True)
    return result
