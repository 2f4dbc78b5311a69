"""The periodic sweeps: SLA at-risk and breach detection, and the return-visit survey steps.

Celery beat runs both every minute. Each step is one set-based ``UPDATE ... WHERE
<status> AND <time column> <= now RETURNING id`` over a partial index (``ticket_sla_due``,
``ticket_sla_warn``, ``followup_pending_due``), so its cost grows with the rows that
change, not with the number of open cases. The status moves forward in the same
statement that selects the row, which makes every step idempotent: running a sweep twice
changes nothing, two sweeps at once never record the same change twice, and after the
worker was down the next sweep records every missed breach exactly once.

For each case that changes, the same transaction writes one timeline event and the
in-app notifications; e-mails go out after commit from ``deliver_notifications``. A staff
member has one notification per case and clock: a later event on it (breached after at
risk, escalated) updates that row and makes it unread again, in the same single upsert.

At risk: the assignee is told (the supervisors when nobody is assigned). Breached: the
assignee and the department's supervisors (escalation). A breached case whose policy has
``escalate_on_breach`` (by default the critical S1 complaints) escalates further in the
kernel: its escalation level goes up by one, an ``aftersales.sla.escalated`` event is
recorded, and supervisors and administrators (the superiors who approve S1 handling,
domain.md §5.1 step 10 and §5.8) are alerted.

A case that passed both its warning and its due time while the worker was down is
recorded as breached only: the warning is moot by then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from aftersales.cases.models import Ticket, TimelineEvent
from aftersales.core.choices import SlaStatus
from aftersales.core.sql import db_time, mark_batch
from aftersales.notifications.models import Notification
from aftersales.notifications.services import (
    Recipients,
    notifications_build,
    notifications_enqueue_delivery,
    notifications_upsert,
    sla_group_key,
)
from aftersales.sla.clocks import ACTION_AT_RISK, ACTION_BREACHED, ACTION_ESCALATED, policy_for

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    at_risk: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    notifications: int = 0

    def as_dict(self) -> dict:
        return {"at_risk": len(self.at_risk), "breached": len(self.breached),
                "escalated": len(self.escalated), "notifications": self.notifications}


def _ticket_batch(status_from: tuple[str, ...], status_to: str, column: str, now: datetime,
                  batch: int, extra_where: str = "", extra_params: list | None = None
                  ) -> list[int]:
    quoted = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(status_from))
    where = f"{quoted('sla_status')} IN ({placeholders}) AND {quoted(column)} <= %s"
    params = [*status_from, db_time(now)]
    if extra_where:
        where += f" AND {extra_where}"
        params += extra_params or []
    return mark_batch(
        quoted(Ticket._meta.db_table),
        set_sql=f"{quoted('sla_status')} = %s", set_params=[status_to],
        where_sql=where, where_params=params, order_by=quoted(column), batch=batch,
    )


def sla_sweep(*, now: datetime | None = None, batch: int | None = None) -> SweepResult:
    """Record every case that became at risk or breached since the last sweep."""
    now = now or timezone.now()
    batch = batch or settings.SLA_SWEEP_BATCH
    result = SweepResult()
    quoted = connection.ops.quote_name
    while True:
        with transaction.atomic():
            ids = _ticket_batch(
                (SlaStatus.ON_TRACK, SlaStatus.AT_RISK), SlaStatus.BREACHED, "sla_due_at",
                now, batch,
            )
            _record(ids, ACTION_BREACHED, now, result)
        result.breached += ids
        if len(ids) < batch:
            break
    while True:
        with transaction.atomic():
            ids = _ticket_batch(
                (SlaStatus.ON_TRACK,), SlaStatus.AT_RISK, "sla_warn_at", now, batch,
                extra_where=f"{quoted('sla_due_at')} > %s", extra_params=[db_time(now)],
            )
            _record(ids, ACTION_AT_RISK, now, result)
        result.at_risk += ids
        if len(ids) < batch:
            break
    if result.breached or result.at_risk:
        logger.info("SLA sweep: %s", result.as_dict())
    return result


def _record(ids: list[int], action: str, now: datetime, result: SweepResult) -> None:
    """Timeline events and notifications for the cases one step just moved."""
    if not ids:
        return
    rows = list(
        Ticket.objects.filter(pk__in=ids).values_list(
            "pk", "kind", "severity", "assignee_id", "department_id", "sla_clock",
            "sla_due_at", "sla_started_at", "number",
        )
    )
    recipients = Recipients()
    breach = action == ACTION_BREACHED
    events, notes, to_escalate = [], [], []
    for pk, kind, severity, assignee_id, department_id, clock, due, started, number in rows:
        data = {
            "clock": clock,
            "due_at": due.isoformat() if due else None,
            "started_at": started.isoformat() if started else None,
        }
        events.append(TimelineEvent(
            ticket_id=pk, action=action, actor_kind=TimelineEvent.ActorKind.SYSTEM,
            data=data, created_at=now,
        ))
        who = "assignee_and_supervisors" if breach else "assignee"
        notes += notifications_build(
            event=action, ticket_id=pk, data={**data, "number": number}, at=now,
            recipient_ids=recipients.for_case(who, assignee_id, department_id),
            group_key=sla_group_key(pk, clock),
        )
        if breach and policy_for(kind, severity or "").escalate_on_breach:
            to_escalate.append((pk, assignee_id, department_id, clock, number))
    TimelineEvent.objects.bulk_create(events, batch_size=1000)
    if to_escalate:
        notes += _escalate(to_escalate, now, recipients)
        result.escalated += [row[0] for row in to_escalate]
    # One row per recipient, case and clock: "breached" updates the "at risk" row.
    created = notifications_upsert(notes)
    result.notifications += len(created)
    notifications_enqueue_delivery([n.pk for n in created], at=now)


def _escalate(rows: list[tuple], now: datetime, recipients: Recipients) -> list[Notification]:
    from django.db.models import F

    ids = [row[0] for row in rows]
    Ticket.objects.filter(pk__in=ids).update(
        escalation_level=F("escalation_level") + 1, escalated_at=now
    )
    levels = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "escalation_level"))
    events, notes = [], []
    for pk, _assignee_id, department_id, clock, number in rows:
        data = {"clock": clock, "level": levels.get(pk), "reason": "sla_breach"}
        events.append(TimelineEvent(
            ticket_id=pk, action=ACTION_ESCALATED, actor_kind=TimelineEvent.ActorKind.SYSTEM,
            data=data, created_at=now,
        ))
        notes += notifications_build(
            event=ACTION_ESCALATED, ticket_id=pk, data={**data, "number": number}, at=now,
            recipient_ids=recipients.for_case("escalation", None, department_id),
            group_key=sla_group_key(pk, clock),
        )
    TimelineEvent.objects.bulk_create(events, batch_size=1000)
    return notes


# --- return visits ---------------------------------------------------------------------


