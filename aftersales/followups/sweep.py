from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from aftersales.cases.models import TimelineEvent
from aftersales.core import outbox
from aftersales.core.choices import FollowUpStatus
from aftersales.core.sql import db_time, mark_batch
from aftersales.followups.models import FollowUp
from aftersales.followups.services import (
    ACTION_NO_RESPONSE,
    ACTION_REMINDED,
    ACTION_SENT,
    follow_up_no_response,
)

logger = logging.getLogger(__name__)


@dataclass
class FollowUpSweepResult:
    sent: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    no_response: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": len(self.sent), "reminded": len(self.reminded),
                "no_response": len(self.no_response)}


def _follow_up_batch(status_from: str, status_to: str, column: str, cutoff: datetime,
                     stamp: str | None, now: datetime, batch: int) -> list[int]:
    quoted = connection.ops.quote_name
    set_sql = f"{quoted('status')} = %s"
    set_params: list = [status_to]
    if stamp:
        set_sql += f", {quoted(stamp)} = %s"
        set_params.append(db_time(now))
    return mark_batch(
        quoted(FollowUp._meta.db_table), set_sql=set_sql, set_params=set_params,
        where_sql=f"{quoted('status')} = %s AND {quoted(column)} <= %s",
        where_params=[status_from, db_time(cutoff)], order_by=quoted(column), batch=batch,
    )


def follow_up_sweep(*, now: datetime | None = None, batch: int | None = None
                    ) -> FollowUpSweepResult:
    """Send due surveys, remind once, then record no response; each step exactly once."""
    now = now or timezone.now()
    batch = batch or settings.SLA_SWEEP_BATCH
    remind_after = timedelta(hours=settings.FOLLOW_UP_REMINDER_AFTER_HOURS)
    give_up_after = timedelta(hours=settings.FOLLOW_UP_NO_RESPONSE_AFTER_HOURS)
    result = FollowUpSweepResult()
    steps = [
        (FollowUpStatus.SCHEDULED, FollowUpStatus.SENT, "due_at", now, "sent_at",
         ACTION_SENT, result.sent),
        (FollowUpStatus.SENT, FollowUpStatus.REMINDED, "sent_at", now - remind_after,
         "reminded_at", ACTION_REMINDED, result.reminded),
        (FollowUpStatus.REMINDED, FollowUpStatus.NO_RESPONSE, "reminded_at",
         now - give_up_after, None, ACTION_NO_RESPONSE, result.no_response),
    ]
    for status_from, status_to, column, cutoff, stamp, action, bucket in steps:
        while True:
            with transaction.atomic():
                ids = _follow_up_batch(status_from, status_to, column, cutoff, stamp, now,
                                       batch)
                _record_follow_ups(ids, action, now)
            bucket += ids
            if len(ids) < batch:
                break
    if result.sent or result.reminded or result.no_response:
        logger.info("Follow-up sweep: %s", result.as_dict())
    return result


def _record_follow_ups(ids: list[int], action: str, now: datetime) -> None:
    if not ids:
        return
    follow_ups = list(FollowUp.objects.filter(pk__in=ids).select_related("ticket"))
    TimelineEvent.objects.bulk_create([
        TimelineEvent(
            ticket_id=fu.ticket_id, action=action, actor_kind=TimelineEvent.ActorKind.SYSTEM,
            data={"follow_up": fu.pk}, created_at=now,
        )
        for fu in follow_ups
    ], batch_size=1000)
    if action == ACTION_NO_RESPONSE:
        for fu in follow_ups:
            follow_up_no_response(fu)
        return
    reminder = action == ACTION_REMINDED
    which = "reminder" if reminder else "survey"
    outbox.enqueue_many(
        outbox.Owed(f"aftersales.send_survey_{channel}", [fu.pk, reminder],
                    key=f"aftersales.send_survey_{channel}:{fu.pk}:{which}")
        for fu in follow_ups for channel in ("email", "sms")
    )
