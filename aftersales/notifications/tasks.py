"""Notifications and periodic sweeps, run by the worker after the change that caused them.

Tasks take primary keys and are thin: the work is in ``sweep``, ``notifications`` and
``followups``. Every sending task retries on failure (``OSError`` covers SMTP and SMS
errors). The message tasks are owed through the outbox (``aftersales.core.outbox``) and run as
``OutboxTask``: each claims its outbox message before sending and marks it sent after, so
a copy redelivered after a crash, or a retry after a partial failure, never sends twice;
a notification's e-mail copy is also marked row by row.
"""

import logging
from datetime import datetime

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

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.cases.kinds import find_kind
from aftersales.cases.models import Ticket
from aftersales.core.choices import CLOCK_LABELS
from aftersales.core.retry import MESSAGE
from aftersales.notifications.models import Notification
from aftersales.notifications.services import (
    DIGEST_EVENT,
    Recipients,
    absolute,
    breach_digest_owe,
    case_path,
    email_wanted,
    event_label,
    notifications_build,
    notifications_enqueue_delivery,
    preferences_by_user,
    preferences_for,
)

logger = logging.getLogger(__name__)



def tracking_url(ticket: Ticket) -> str:
    """The customer's private link to this case, on its kind's tracking page."""
    kind = find_kind(ticket.kind)
    path = kind.tracking_path(ticket.tracking_token) if kind else ""
    return absolute(path) if path else ""


def staff_url(ticket: Ticket) -> str:
    return absolute(case_path(ticket))


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
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient", "ticket")
        .order_by("pk")
    )
    if not pending:
        return 0
    # The in-app rows stay whatever the preferences say; only their e-mail copy is skipped.
    preferences = preferences_by_user({n.recipient_id for n in pending})
    sent = 0
    with get_connection() as connection:
        for notification in pending:
            if not notification.recipient.email or not notification.recipient.is_active:
                continue
            if not email_wanted(notification.event, preferences.get(notification.recipient_id)):
                continue
            message = _staff_email(notification)
            message.connection = connection
            message.send()
            Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
            sent += 1
    return sent




@shared_task(name="aftersales.breach_digest")
def breach_digest() -> int:
    """Daily (beat): owe each supervisor the digest of the cases breached in the last 24 h."""
    return breach_digest_owe()


@shared_task(name="aftersales.send_breach_digest", **MESSAGE)
def send_breach_digest(self, user_id: int, day: str) -> bool:
    """One supervisor's digest e-mail, from their in-app digest notification of ``day``."""
    notification = (
        Notification.objects.select_related("recipient")
        .filter(recipient_id=user_id, group_key=f"digest:{day}", event=DIGEST_EVENT,
                emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    user = notification.recipient
    if not user.email or not user.is_active or not preferences_for(user).email_digest:
        return False
    departments = [
        {**entry, "cases": [{**case, "url": absolute(case["path"])} for case in entry["cases"]]}
        for entry in notification.data.get("departments", [])
    ]
    context = {"user": user, "day": day, "departments": departments,
               "total": notification.data.get("total", 0),
               "url": absolute(notification.data.get("path", ""))}
    subject = _("Cases breached in the last 24 hours (%(day)s): %(total)s") % {
        "day": day, "total": context["total"]}
    body = render_to_string("emails/breach_digest_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True


@shared_task(name="aftersales.send_tracking_link", **MESSAGE)
def send_tracking_link(self, ticket_id: int, channel: str) -> bool:
    """The private tracking link, asked for on the portal, to the contact on file."""
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None:
        return False
    kind = find_kind(ticket.kind)
    path = kind.tracking_path(ticket.tracking_token) if kind else ""
    if not path:
        return False
    url = absolute(path)
    with translation.override(ticket.language):
        if channel == "sms":
            from aftersales.notifications.sms import send_sms

            phone = ticket_customer_phone(ticket)
            text = _("Your case %(number)s: follow it here %(url)s") % {
                "number": ticket.number, "url": url}
            return bool(phone) and send_sms(phone, text) > 0
        email = ticket_customer_email(ticket)
        if not email:
            return False
        subject = _("The link to your case %(number)s") % {"number": ticket.number}
        body = render_to_string("emails/tracking_link_body.txt",
                                {"ticket": ticket, "tracking_url": url})
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
