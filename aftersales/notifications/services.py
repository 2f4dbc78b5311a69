"""Staff notifications: who is told about a case, the in-app list, and links to cases.

In-app rows are written by the worker (the sweep, or the ``notify_staff`` task), never in a
web request; their e-mail copies go out from the ``deliver_notifications`` task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.cases.kinds import all_notification_labels, find_kind
from aftersales.cases.models import Ticket
from aftersales.cases.timeline import action_label
from aftersales.core import outbox
from aftersales.notifications.models import Notification
from aftersales.people import crypto
from aftersales.people.roles import ADMIN, SUPERVISOR

# Texts of notification events that are not timeline actions (the ``notify_staff``
# templates). Timeline action codes use the timeline's labels.
NOTIFICATION_LABELS = {
    "aftersales.notify.assigned": _("A case was assigned to you"),
    "aftersales.notify.emergency": _("Emergency case (S1)"),
    "aftersales.notify.plan_submitted": _("A handling plan awaits approval"),
    "aftersales.notify.plan_decided": _("The handling plan was decided"),
    "aftersales.notify.customer_decided": _("The customer answered the proposal"),
    "aftersales.notify.reopened": _("A case was reopened"),
    "aftersales.notify.escalated": _("A case was escalated"),
    "aftersales.notify.survey_dissatisfied": _("A customer is not satisfied"),
    "aftersales.calendar.confirm_year": _("Confirm next year's holidays and working days"),
}


def register_notification_labels(labels: dict) -> None:
    """Texts of notification events of apps that are not kinds of case (e.g. analytics)."""
    NOTIFICATION_LABELS.update(labels)


def event_label(code: str) -> str:
    label = (NOTIFICATION_LABELS.get(code) or all_notification_labels().get(code)
             or action_label(code, default=None))
    if label is None and code.startswith("aftersales.notify."):
        label = code.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    return str(label or code)


def case_path(ticket: Ticket) -> str:
    kind = find_kind(ticket.kind)
    return kind.case_path(ticket.number) if kind else ""


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path if path else ""


# --- recipients ----------------------------------------------------------------------

class Recipients:
    """Who to tell, looked up once for a whole batch of cases."""

    def __init__(self) -> None:
        users = get_user_model().objects.filter(is_active=True)
        self.supervisors_by_department: dict[int | None, list[int]] = defaultdict(list)
        self.all_supervisors: list[int] = []
        for user_id, department_id in users.filter(groups__name=SUPERVISOR).values_list(
            "pk", "staff_profile__department_id"
        ).distinct():
            self.supervisors_by_department[department_id].append(user_id)
            self.all_supervisors.append(user_id)
        self.admins = list(users.filter(groups__name=ADMIN).values_list("pk", flat=True)
                           .distinct())

    def supervisors(self, department_id: int | None) -> list[int]:
        """The department's supervisors, else those without a department, else all."""
        return (
            self.supervisors_by_department.get(department_id)
            or self.supervisors_by_department.get(None)
            or self.all_supervisors
        )

    def for_case(self, who: str, assignee_id: int | None,
                 department_id: int | None) -> list[int]:
        """``who``: "assignee", "supervisors", "assignee_and_supervisors", "escalation".

        An alert meant for the assignee of an unassigned case goes to the supervisors.
        """
        wanted: list[int] = []
        if "assignee" in who:
            if assignee_id:
                wanted.append(assignee_id)
            elif "supervisors" not in who:
                wanted += self.supervisors(department_id)
        if "supervisors" in who or who == "escalation":
            wanted += self.supervisors(department_id)
        if who == "escalation":
            wanted += self.admins
        return list(dict.fromkeys(wanted))


def notifications_build(*, event: str, ticket_id: int | None, recipient_ids: Iterable[int],
                        data: dict | None = None, at: datetime | None = None
                        ) -> list[Notification]:
    at = at or timezone.now()
    return [
        Notification(recipient_id=user_id, ticket_id=ticket_id, event=event,
                     data=data or {}, created_at=at)
        for user_id in recipient_ids
    ]


def notifications_enqueue_delivery(ids: list[int]) -> None:
    """Owe the e-mail copies of the new notifications, in chunks (through the outbox)."""
    from aftersales.core import outbox

    chunk = settings.SLA_NOTIFICATION_BATCH
    parts = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    # A notification is in one chunk only: its first id names the chunk.
    outbox.enqueue_many(
        outbox.Owed("aftersales.deliver_notifications", [part],
                    key=f"aftersales.deliver_notifications:{part[0]}")
        for part in parts
    )


# --- reads and writes for the staff list ---------------------------------------------

def notifications_for(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("ticket")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark one of the user's notifications, or all of them, as read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


# --- find my case ----------------------------------------------------------------------

def tracking_link_send(*, number: str, contact: str) -> bool:
    """Send a case's tracking link to ``contact`` when it is the case's contact on file.

    Returns whether a link was sent; callers must not tell the visitor (the portal answers
    the same either way, so it cannot be used to probe case numbers or contacts).
    """
    ticket = Ticket.objects.select_related("customer").filter(number=number.upper()).first()
    if ticket is None:
        return False
    typed_email = crypto.normalize_email(contact)
    typed_phone = crypto.normalize_phone(contact)
    email = ticket_customer_email(ticket)
    phone = ticket_customer_phone(ticket)
    if "@" in typed_email and email and crypto.normalize_email(email) == typed_email:
        channel = "email"
    elif len(typed_phone) >= 7 and phone and crypto.normalize_phone(phone) == typed_phone:
        channel = "sms"
    else:
        return False
    outbox.enqueue("aftersales.send_tracking_link", [ticket.pk, channel])
    return True
