"""Writes of the KPI module: leaving a case out of the KPIs, or counting it again."""

from __future__ import annotations

from django.db import transaction

from aftersales.models import Ticket

from ..models import KpiExclusion
from .rollups import mark_dirty


def kpi_exclusion_set(*, ticket: Ticket, reason: str, actor, note: str = "") -> KpiExclusion:
    """Leave a case out of every KPI (test data, merged duplicate, withdrawn before
    acceptance); the next refresh takes it out of the rollups."""
    if reason not in KpiExclusion.Reason.values:
        raise ValueError(f"Unknown exclusion reason {reason!r}")
    with transaction.atomic():
        exclusion, _created = KpiExclusion.objects.update_or_create(
            ticket=ticket, defaults={"reason": reason, "note": note, "created_by": actor})
        mark_dirty([ticket.pk])
    return exclusion


def kpi_exclusion_clear(*, ticket: Ticket) -> bool:
    """Count a case in the KPIs again."""
    with transaction.atomic():
        deleted, _ = KpiExclusion.objects.filter(ticket=ticket).delete()
        if deleted:
            mark_dirty([ticket.pk])
    return bool(deleted)
