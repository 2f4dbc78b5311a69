"""The field-service sweep: set-based, idempotent, one UPDATE … RETURNING per rule.

- T17: a signed service record not filed within 5 working days is flagged overdue.
- T14: a repair running over 30 days (time waiting on the customer excluded) prompts a
  free exchange.
- T15: a unit waiting for spare parts over 90 days from hand-in prompts a free exchange.

Each flag moves in the same statement that finds the row, so a repeated or late sweep
records each event once and catches up after downtime.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from aftersales.cases.models import TimelineEvent
from aftersales.core import outbox

from .choices import ExchangePrompt
from .models import InstallationJob, RepairJob

ACTION_RECORD_OVERDUE = "fieldservice.job.record_overdue"
ACTION_EXCHANGE_DUE = "fieldservice.job.exchange_due"


@dataclass
class SweepResult:
    record_overdue: list[int] = field(default_factory=list)
    t14: list[int] = field(default_factory=list)
    t15: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"record_overdue": len(self.record_overdue), "t14": len(self.t14),
                "t15": len(self.t15)}


def _update(table: str, set_sql: str, set_params: list, where_sql: str,
            where_params: list) -> list[int]:
    quoted = connection.ops.quote_name(table)
    sql = (f"UPDATE {quoted} SET {set_sql} WHERE {where_sql} RETURNING ticket_ptr_id")  # nosec B608: table and SQL from this module; values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *where_params])
        return [row[0] for row in cursor.fetchall()]


def _now_param(now: datetime):
    return connection.ops.adapt_datetimefield_value(now)


def fieldservice_sweep(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    with transaction.atomic():
        for model in (RepairJob, InstallationJob):
            result.record_overdue += _update(
                model._meta.db_table, "record_overdue = %s", [True],
                "record_overdue = %s AND record_filed_at IS NULL AND record_due_at <= %s",
                [False, _now_param(now)])
        table = RepairJob._meta.db_table
        result.t15 = _update(
            table, "exchange_prompt = %s", [ExchangePrompt.T15],
            "exchange_prompt = %s AND no_parts_overrun_at <= %s",
            ["", _now_param(now)])
        result.t14 = _update(
            table, "exchange_prompt = %s", [ExchangePrompt.T14],
            "exchange_prompt = %s AND customer_wait_since IS NULL AND repair_overrun_at <= %s",
            ["", _now_param(now)])
        events = [TimelineEvent(ticket_id=pk, action=ACTION_RECORD_OVERDUE,
                                actor_kind=TimelineEvent.ActorKind.SYSTEM, created_at=now)
                  for pk in result.record_overdue]
        events += [TimelineEvent(ticket_id=pk, action=ACTION_EXCHANGE_DUE,
                                 actor_kind=TimelineEvent.ActorKind.SYSTEM,
                                 data={"rule": rule}, created_at=now)
                   for rule, ids in (("T14", result.t14), ("T15", result.t15)) for pk in ids]
        TimelineEvent.objects.bulk_create(events)
        outbox.enqueue_many(
            [outbox.Owed("aftersales.notify_staff", [pk, "record_overdue", "supervisors"], {},
                         f"fieldservice.record_overdue:{pk}") for pk in result.record_overdue]
            + [outbox.Owed("aftersales.notify_staff",
                           [pk, "exchange_due", "assignee_and_supervisors"], {},
                           f"fieldservice.exchange_due:{pk}")
               for pk in [*result.t14, *result.t15]])
    return result
