"""The customer's messages about compensation, owed through the outbox by the services."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from aftersales.cases.contacts import ticket_customer_email
from aftersales.cases.kinds import find_kind
from aftersales.core.retry import MESSAGE

from .models import CompensationLine


def consent_url(line: CompensationLine) -> str:
    path = reverse("compensation:consent", args=[line.ticket.tracking_token, line.pk])
    return settings.SITE_URL.rstrip("/") + path


def tracking_url(line: CompensationLine) -> str:
    kind = find_kind(line.ticket.kind)
    path = kind.tracking_path(line.ticket.tracking_token) if kind else ""
    return settings.SITE_URL.rstrip("/") + path if path else ""


@shared_task(name="compensation.notify_customer", **MESSAGE)
def notify_customer(self, line_id: int, template: str) -> bool:
    """E-mail the customer an offer to agree to (``offered``) or that it was carried out."""
    line = (CompensationLine.objects.select_related("ticket__customer")
            .filter(pk=line_id).first())
    email = ticket_customer_email(line.ticket) if line is not None else ""
    if not email:
        return False
    with translation.override(line.ticket.language):
        context = {"line": line, "ticket": line.ticket, "template": template,
                   "consent_url": consent_url(line), "tracking_url": tracking_url(line)}
        subject = render_to_string("compensation/emails/subject.txt", context).strip()
        body = render_to_string("compensation/emails/body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
