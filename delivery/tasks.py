"""The customer's messages about a delivery incident, owed through the outbox."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from aftersales.cases.contacts import ticket_customer_email
from aftersales.core.retry import MESSAGE

from .models import DeliveryIncident


@shared_task(name="delivery.notify_customer", **MESSAGE)
def notify_customer(self, incident_id: int, template: str) -> bool:
    """E-mail the customer: registered, delay (reason and new ETA), pickup, tracing, resolved."""
    incident = (DeliveryIncident.objects.select_related("customer", "shipment__carrier")
                .filter(pk=incident_id).first())
    email = ticket_customer_email(incident) if incident is not None else ""
    if not email:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("delivery:track",
                                                  args=[incident.tracking_token])
    with translation.override(incident.language):
        context = {"incident": incident, "template": template, "tracking_url": url}
        subject = render_to_string("delivery/emails/subject.txt", context).strip()
        body = render_to_string("delivery/emails/body.txt", context)
    send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
