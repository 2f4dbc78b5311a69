from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from aftersales.notifications.models import Notification
from aftersales.notifications.services import (
    Recipients,
    notifications_build,
)


@shared_task(name="aftersales.sla_sweep")
def sla_sweep() -> dict:
    from aftersales.sla.sweep import sla_sweep as run

    return run().as_dict()


@shared_task(name="aftersales.calendar_check")
def calendar_check() -> int:
    """Remind administrators (in-app, at most monthly) to confirm an estimated year."""
    from aftersales.sla.calendar import unconfirmed_years

    now = timezone.now()
    event = "aftersales.calendar.confirm_year"
    recent = Notification.objects.filter(event=event, created_at__gte=now - timedelta(days=30))
    admins = Recipients().admins
    created = 0
    for warning in unconfirmed_years():
        if recent.filter(data__year=warning.year).exists():
            continue
        rows = notifications_build(event=event, ticket_id=None, recipient_ids=admins,
                                   data={"year": warning.year, "source": warning.source},
                                   at=now)
        created += len(Notification.objects.bulk_create(rows))
    return created
