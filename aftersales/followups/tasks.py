from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.core.choices import FollowUpStatus
from aftersales.core.retry import MESSAGE
from aftersales.followups.models import FollowUp
from aftersales.notifications.services import (
    absolute,
)


def survey_url(follow_up: FollowUp) -> str:
    return absolute(reverse("aftersales:survey", args=[follow_up.token]))


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
    from aftersales.notifications.sms import send_sms

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


@shared_task(name="aftersales.follow_up_sweep")
def follow_up_sweep() -> dict:
    from aftersales.followups.sweep import follow_up_sweep as run

    return run().as_dict()
