"""Return tasks: customer messages (owed through the outbox) and the periodic sweep."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.core.retry import MESSAGE
from aftersales.notifications.services import absolute

from .models import ReturnOrder
from .services import flag_deliberate_delays, remind_old_units

# Steps the customer must act on also go out by text message.
SMS_TEMPLATES = frozenset({"shipback", "advance_shipped", "old_unit_due"})


@shared_task(name="returns.notify_customer", **MESSAGE)
def notify_customer(self, ticket_id: int, template: str) -> bool:
    """E-mail (and for steps to act on, text) the customer about their return."""
    ret = ReturnOrder.objects.select_related("customer").filter(pk=ticket_id).first()
    if ret is None:
        return False

    tracking_url = absolute(reverse("returns:track", args=[ret.tracking_token]))
    sent = False
    with translation.override(ret.language):
        context = {"ret": ret, "template": template, "tracking_url": tracking_url}
        email = ticket_customer_email(ret)
        if email:
            subject = render_to_string("returns/emails/subject.txt", context).strip()
            body = render_to_string("returns/emails/body.txt", context)
            send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [email])
            sent = True
        phone = ticket_customer_phone(ret)
        if phone and template in SMS_TEMPLATES:
            from aftersales.notifications.sms import send_sms

            text = render_to_string("returns/emails/sms.txt", context).strip()
            sent = send_sms(phone, " ".join(text.split())) > 0 or sent
    return sent


@shared_task(name="returns.sweep")
def sweep() -> dict:
    """T10 deemed-deliberate-delay flags and old-unit reminders; safe to run any time."""
    return {"flagged": len(flag_deliberate_delays()), "reminded": len(remind_old_units())}
