"""Reads of the compensation ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from .choices import LineState
from .models import CompensationLine

TOTALS_BY = {
    "month": None,
    "type": "type",
    "reason": "reason",
    "department": "ticket__department__name",
    "carrier": "carrier",
}


def lines_for_case(ticket_id: int) -> QuerySet[CompensationLine]:
    """Every line of one case, oldest first, with the people named on it."""
    return (CompensationLine.objects.filter(ticket_id=ticket_id)
            .select_related("proposed_by", "approved_by", "consent_by", "executed_by")
            .order_by("proposed_at", "id"))


def open_offers_for_customer(ticket_id: int) -> QuerySet[CompensationLine]:
    """Lines the customer can answer now, or has agreed to and sees being carried out."""
    return (CompensationLine.objects.filter(ticket_id=ticket_id)
            .filter(state__in=[LineState.APPROVED, LineState.CONSENTED, LineState.EXECUTED,
                               LineState.DECLINED])
            .order_by("proposed_at", "id"))


def compensation_totals(start: datetime, end: datetime, by: str = "month") -> list[dict]:
    """Executed compensation with ``start <= executed_at < end``, grouped in one query.

    Each row: ``key`` (month start date, type, reason, department name or carrier code),
    ``lines``, ``value`` (yuan) and ``points``.
    """
    if by not in TOTALS_BY:
        raise ValueError(f"unknown grouping {by!r}; use one of {sorted(TOTALS_BY)}")
    qs = CompensationLine.objects.filter(
        state=LineState.EXECUTED, executed_at__gte=start, executed_at__lt=end)
    if by == "month":
        key = TruncMonth("executed_at", tzinfo=timezone.get_default_timezone())
    else:
        key = F(TOTALS_BY[by])
    rows = (qs.annotate(key=key).values("key")
            .annotate(lines=Count("id"), value=Coalesce(Sum("value"), Decimal("0.00")),
                      points=Coalesce(Sum("points"), 0))
            .order_by("key"))
    result = []
    for row in rows:
        key_value = row["key"]
        if by == "month" and key_value is not None:
            key_value = timezone.localtime(key_value).date() if isinstance(
                key_value, datetime) else key_value
        result.append({"key": key_value if key_value is not None else "", "lines": row["lines"],
                       "value": row["value"], "points": row["points"]})
    return result
