"""Notifications, sent from the worker after the change that caused them has committed."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Ticket

logger = logging.getLogger(__name__)


def tracking_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("complaints:track", args=[ticket.tracking_token])


def staff_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("complaints:detail", args=[ticket.number])


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_customer(self, ticket_id: int, template: str) -> bool:
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if ticket is None or not ticket.customer.email:
        return False
    with translation.override(ticket.language):
        context = {"ticket": ticket, "tracking_url": tracking_url(ticket), "template": template}
        subject = render_to_string("emails/customer_subject.txt", context).strip()
        body = render_to_string("emails/customer_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [ticket.customer.email])
    return True


def staff_recipients(ticket: Ticket, recipients: str) -> list:
    users = get_user_model().objects.filter(is_active=True)
    wanted = Q(pk__in=[])
    if "assignee" in recipients and ticket.assignee_id:
        wanted |= Q(pk=ticket.assignee_id)
    if "supervisors" in recipients:
        wanted |= Q(groups__name="supervisor")
    return list(users.filter(wanted).exclude(email="").distinct())


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_staff(self, ticket_id: int, template: str, recipients: str) -> int:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return 0
    sent = 0
    for user in staff_recipients(ticket, recipients):
        context = {"ticket": ticket, "url": staff_url(ticket), "template": template, "user": user}
        subject = render_to_string("emails/staff_subject.txt", context).strip()
        body = render_to_string("emails/staff_body.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        sent += 1
    return sent
