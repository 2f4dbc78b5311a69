"""Complaint tasks: thin, taking primary keys, owed through the outbox."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction

from aftersales.core.retry import MESSAGE
from aftersales.models import Ticket
from aftersales.notifications.models import Notification
from aftersales.notifications.services import (
    notifications_build,
    notifications_enqueue_delivery,
)


@shared_task(name="complaints.notify_roles", outbox_atomic=True, **MESSAGE)
def notify_roles(self, ticket_id: int, event: str, roles: list[str]) -> int:
    """In-app notification for every active member of ``roles`` (e.g. legal, marketing);
    their e-mail copies follow after commit."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    user_ids = list(get_user_model().objects.filter(is_active=True, groups__name__in=roles)
                    .values_list("pk", flat=True).distinct())
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications_build(
            event=f"complaints.notify.{event}", ticket_id=ticket.pk, recipient_ids=user_ids,
            data={"number": ticket.number},
        ))
        notifications_enqueue_delivery([n.pk for n in created])
    return len(created)
