"""Notifications and periodic sweeps, run by the worker after the change that caused them.

Tasks take primary keys and are thin: the work is in ``sweep``, ``notifications`` and
``followups``. Every sending task retries on failure (``OSError`` covers SMTP and SMS
errors). The message tasks are owed through the outbox (``aftersales.outbox``) and run as
``OutboxTask``: each claims its outbox message before sending and marks it sent after, so
a copy redelivered after a crash, or a retry after a partial failure, never sends twice;
a notification's e-mail copy is also marked row by row.
"""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection, send_mail
from django.core.mail.message import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from . import outbox
from .choices import FollowUpStatus
from .contacts import ticket_customer_email, ticket_customer_phone
from .models import FollowUp, Notification, Ticket
from .notifications import (
    Recipients,
    absolute,
    case_path,
    event_label,
    notifications_build,
    notifications_enqueue_delivery,
)
from .sla import CLOCK_LABELS

logger = logging.getLogger(__name__)

RETRY = {"bind": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}
# A message task is killed after the time limit, so an older claim is a dead worker's.
MESSAGE = {**RETRY, "base": outbox.OutboxTask, "time_limit": settings.OUTBOX_TASK_TIME_LIMIT}


def tracking_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("complaints:track", args=[ticket.tracking_token])


def staff_url(ticket: Ticket) -> str:
    return absolute(case_path(ticket))


def survey_url(follow_up: FollowUp) -> str:
    return absolute(reverse("aftersales:survey", args=[follow_up.token]))


@shared_task(name="aftersales.notify_customer", **MESSAGE)
def notify_customer(self, ticket_id: int, template: str) -> bool:
    """E-mail the customer about their case (``template``: what happened)."""
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    email = ticket_customer_email(ticket) if ticket is not None else ""
    if not email:
        return False
    with translation.override(ticket.language):
        context = {"ticket": ticket, "tracking_url": tracking_url(ticket), "template": template}
        subject = render_to_string("emails/customer_subject.txt", context).strip()
        body = render_to_string("emails/customer_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return True


def staff_recipients(ticket: Ticket, recipients: str) -> list:
    """Active staff to tell about a case: "assignee", "supervisors" or both."""
    ids = Recipients().for_case(recipients, ticket.assignee_id, ticket.department_id)
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


@shared_task(name="aftersales.notify_staff", outbox_atomic=True, **MESSAGE)
def notify_staff(self, ticket_id: int, template: str, recipients: str) -> int:
    """In-app notification for each recipient; their e-mail copies follow after commit."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    user_ids = [user.pk for user in staff_recipients(ticket, recipients)]
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications_build(
            event=f"aftersales.notify.{template}", ticket_id=ticket.pk,
            recipient_ids=user_ids, data={"number": ticket.number, "template": template},
        ))
        notifications_enqueue_delivery([n.pk for n in created])
    return len(created)


def _local_time(value: str | None) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


def _staff_email(notification: Notification) -> EmailMessage:
    ticket = notification.ticket
    template = notification.data.get("template", "")
    context = {
        "notification": notification, "ticket": ticket, "user": notification.recipient,
        "label": event_label(notification.event), "template": template,
        "url": staff_url(ticket) if ticket else absolute(reverse("aftersales:notifications")),
        "data": notification.data,
        "clock": CLOCK_LABELS.get(notification.data.get("clock", ""), ""),
        "due_at": _local_time(notification.data.get("due_at")),
    }
    own = ["emails/staff_notification_subject.txt"], ["emails/staff_notification_body.txt"]
    if template:
        own = (["emails/staff_subject.txt", *own[0]], ["emails/staff_body.txt", *own[1]])
    subject = select_template(own[0]).render(context).strip()
    body = select_template(own[1]).render(context)
    return EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL,
                        [notification.recipient.email])


@shared_task(name="aftersales.deliver_notifications", **MESSAGE)
def deliver_notifications(self, notification_ids: list[int]) -> int:
    """E-mail copies of in-app notifications; each is marked so a retry never mails twice."""
    pending = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient", "ticket")
        .order_by("pk")
    )
    sent = 0
    with get_connection() as connection:
        for notification in pending:
            if not notification.recipient.email or not notification.recipient.is_active:
                continue
            message = _staff_email(notification)
            message.connection = connection
            message.send()
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
            sent += 1
    return sent


def _survey_follow_up(follow_up_id: int, reminder: bool) -> FollowUp | None:
    follow_up = (
        FollowUp.objects.select_related("ticket__customer").filter(pk=follow_up_id).first()
    )
    if follow_up is None:
        return None
    wanted = (FollowUpStatus.REMINDED,) if reminder else (
        FollowUpStatus.SENT, FollowUpStatus.REMINDED)
    return follow_up if follow_up.status in wanted else None


@shared_task(name="aftersales.send_survey_email", **MESSAGE)
def send_survey_email(self, follow_up_id: int, reminder: bool = False) -> bool:
    """The satisfaction survey link (or its one reminder) by e-mail."""
    follow_up = _survey_follow_up(follow_up_id, reminder)
    email = ticket_customer_email(follow_up.ticket) if follow_up is not None else ""
    if not email:
        return False
    ticket = follow_up.ticket
    name = "survey_reminder" if reminder else "survey"
    with translation.override(ticket.language):
        context = {"ticket": ticket, "customer": ticket.customer, "follow_up": follow_up,
                   "survey_url": survey_url(follow_up)}
        subject = render_to_string(f"emails/{name}_subject.txt", context).strip()
        body = render_to_string(f"emails/{name}_body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])
    return True


@shared_task(name="aftersales.send_survey_sms", **MESSAGE)
def send_survey_sms(self, follow_up_id: int, reminder: bool = False) -> bool:
    """The satisfaction survey link (or its one reminder) by SMS through ``SMS_BACKEND``."""
    from .sms import send_sms

    follow_up = _survey_follow_up(follow_up_id, reminder)
    phone = ticket_customer_phone(follow_up.ticket) if follow_up is not None else ""
    if not phone:
        return False
    ticket = follow_up.ticket
    with translation.override(ticket.language):
        if reminder:
            text = _("Reminder: how did we handle your case %(number)s? Rate us: %(url)s")
        else:
            text = _("Your case %(number)s is resolved. How did we do? Rate us: %(url)s")
        text = text % {"number": ticket.number, "url": survey_url(follow_up)}
    return send_sms(phone, text) > 0


@shared_task(name="aftersales.sla_sweep")
def sla_sweep() -> dict:
    from .sweep import sla_sweep as run

    return run().as_dict()


@shared_task(name="aftersales.follow_up_sweep")
def follow_up_sweep() -> dict:
    from .sweep import follow_up_sweep as run

    return run().as_dict()


@shared_task(name="aftersales.outbox_dispatch")
def outbox_dispatch() -> dict:
    """Hand every owed message to the broker that is not handed over or done yet."""
    return outbox.dispatch().as_dict()


@shared_task(name="aftersales.outbox_purge")
def outbox_purge() -> int:
    return outbox.purge()


@shared_task(name="aftersales.calendar_check")
def calendar_check() -> int:
    """Remind administrators (in-app, at most monthly) to confirm an estimated year."""
    from .calendar import unconfirmed_years

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
