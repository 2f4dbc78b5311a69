"""Staff notifications: who is told about a case, the in-app list, and links to cases.

In-app rows are written by the worker (the sweep, or the ``notify_staff`` task), never in a
web request; their e-mail copies go out from the ``deliver_notifications`` task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.cases.kinds import all_notification_labels, find_kind
from aftersales.cases.models import Ticket, TimelineEvent
from aftersales.cases.timeline import action_label
from aftersales.core import outbox
from aftersales.notifications.models import Notification, NotificationPreference
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
    "aftersales.notify.breach_digest": _("Cases breached in the last 24 hours"),
}

DIGEST_EVENT = "aftersales.notify.breach_digest"
# The sweep's code for a breach (aftersales.sla.clocks.ACTION_BREACHED): the sla package
# imports this one, so the code is named here rather than imported.
BREACHED_ACTION = "aftersales.sla.breached"
DIGEST_CASES_SHOWN = 5


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


def sla_group_key(ticket_id: int, clock: str) -> str:
    """The thread of one clock of one case: at risk, breached and escalated share it."""
    return f"sla:{ticket_id}:{clock or ''}"


def notifications_build(*, event: str, ticket_id: int | None, recipient_ids: Iterable[int],
                        data: dict | None = None, at: datetime | None = None,
                        group_key: str | None = None) -> list[Notification]:
    at = at or timezone.now()
    return [
        Notification(recipient_id=user_id, ticket_id=ticket_id, event=event,
                     data=data or {}, created_at=at, group_key=group_key)
        for user_id in recipient_ids
    ]


def notifications_upsert(notes: list[Notification]) -> list[Notification]:
    """Insert the notifications; a grouped one whose group the recipient already has
    replaces that row's event, data and time and makes it unread (and e-mailable) again.

    One statement per 1,000 rows whatever was there before. Within ``notes`` the last
    notification of a group wins (its data laid over the earlier ones'), since one
    statement cannot touch a row twice.
    """
    merged: dict[tuple[int, str], Notification] = {}
    rows: list[Notification] = []
    for note in notes:
        if note.group_key is None:
            rows.append(note)
            continue
        key = (note.recipient_id, note.group_key)
        if key in merged:
            note.data = {**merged[key].data, **note.data}
        merged[key] = note
    rows += merged.values()
    for note in rows:
        note.read_at = note.emailed_at = None
    return Notification.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["recipient", "group_key"],
        update_fields=["event", "data", "created_at", "read_at", "emailed_at"],
    )


def notifications_enqueue_delivery(ids: list[int], *, at: datetime | None = None) -> None:
    """Owe the e-mail copies of the new notifications, in chunks (through the outbox)."""
    from aftersales.core import outbox

    chunk = settings.SLA_NOTIFICATION_BATCH
    parts = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    # A notification is in one chunk per event: its first id and the time name the chunk
    # (a grouped row keeps its id when a later event updates it).
    stamp = (at or timezone.now()).isoformat()
    outbox.enqueue_many(
        outbox.Owed("aftersales.deliver_notifications", [part],
                    key=f"aftersales.deliver_notifications:{part[0]}:{stamp}")
        for part in parts
    )


# --- e-mail preferences ----------------------------------------------------------------

def preferences_for(user) -> NotificationPreference:
    """The user's e-mail preferences; the defaults (every e-mail) when never saved."""
    return (NotificationPreference.objects.filter(user=user).first()
            or NotificationPreference(user=user))


def preferences_by_user(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    """Saved preferences of these users in one query; absent users have the defaults."""
    return {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=user_ids)}


def preferences_save(*, user, email_on_assignment: bool, email_on_sla: bool,
                     email_digest: bool) -> NotificationPreference:
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.update_or_create(
            user=user, defaults={"email_on_assignment": email_on_assignment,
                                 "email_on_sla": email_on_sla, "email_digest": email_digest},
        )
    return preference


def email_wanted(event: str, preference: NotificationPreference | None) -> bool:
    """Whether the e-mail copy of a notification with this event goes out.

    Only the kinds of e-mail a preference names can be turned off; the rest always go.
    """
    if preference is None:
        return True
    if event.startswith("aftersales.sla."):
        return preference.email_on_sla
    if event == "aftersales.notify.assigned":
        return preference.email_on_assignment
    if event == DIGEST_EVENT:
        return preference.email_digest
    return True


# --- daily digest of breaches ------------------------------------------------------------

def breach_digest_departments(*, since: datetime, until: datetime) -> list[dict]:
    """Cases breached in [since, until), by department: name, count, the first numbers."""
    rows = (
        TimelineEvent.objects.filter(action=BREACHED_ACTION, created_at__gte=since,
                                     created_at__lt=until)
        .order_by("created_at", "id")
        .values_list("ticket_id", "ticket__number", "ticket__kind", "ticket__department_id",
                     "ticket__department__name")
    )
    departments: dict[int | None, dict] = {}
    seen: set[int] = set()
    for ticket_id, number, kind_code, department_id, department_name in rows:
        if ticket_id in seen:  # breached on two clocks: one case
            continue
        seen.add(ticket_id)
        entry = departments.setdefault(department_id, {
            "department_id": department_id, "department": department_name or "",
            "count": 0, "cases": [],
        })
        entry["count"] += 1
        if len(entry["cases"]) < DIGEST_CASES_SHOWN:
            kind = find_kind(kind_code)
            entry["cases"].append({"number": number,
                                   "path": kind.case_path(number) if kind else ""})
    return sorted(departments.values(), key=lambda d: (-d["count"], d["department"]))


def breach_digest_owe(*, now: datetime | None = None) -> int:
    """Each active supervisor's digest of the last 24 hours: one in-app notification and
    one e-mail owed through the outbox, both at most once per supervisor and day.

    Nothing when no case breached. Returns the number of supervisors newly told.
    """
    now = now or timezone.now()
    departments = breach_digest_departments(since=now - timedelta(hours=24), until=now)
    if not departments:
        return 0
    day = timezone.localdate(now).isoformat()
    group_key = f"digest:{day}"
    supervisors = list(
        get_user_model().objects.filter(is_active=True, groups__name=SUPERVISOR)
        .values_list("pk", flat=True).distinct()
    )
    data = {"day": day, "total": sum(d["count"] for d in departments),
            "departments": departments, "path": reverse("aftersales:inbox")}
    with transaction.atomic():
        already = set(Notification.objects.filter(group_key=group_key, recipient_id__in=supervisors)
                      .values_list("recipient_id", flat=True))
        new = [pk for pk in supervisors if pk not in already]
        Notification.objects.bulk_create(
            notifications_build(event=DIGEST_EVENT, ticket_id=None, recipient_ids=new,
                                data=data, at=now, group_key=group_key),
            ignore_conflicts=True,
        )
        outbox.enqueue_many(
            outbox.Owed("aftersales.send_breach_digest", [pk, day],
                        key=f"aftersales.send_breach_digest:{pk}:{day}")
            for pk in supervisors
        )
    return len(new)


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
