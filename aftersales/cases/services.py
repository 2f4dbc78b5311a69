"""Write use-cases shared by every kind of case: numbering, locking, transitions, timeline."""

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from aftersales.cases.contacts import (
    CONTACT_CONFIRMED,
    CONTACT_REVEALED,
    contact_confirm_allowed,
    contact_reveal_allowed,
)
from aftersales.cases.kinds import get_kind, ticket_subject
from aftersales.cases.models import (
    Attachment,
    Ticket,
    TicketSequence,
    TimelineEvent,
)
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.uploads import CheckedUpload
from aftersales.core import outbox
from aftersales.core.exceptions import (
    CaseReadOnly,
    ConcurrentChange,
    DomainError,
    InvalidUpload,
    PermissionRefused,
    TransitionRefused,
)
from aftersales.core.rows import instance_insert, instances_insert, mark_saved, new_rows
from aftersales.people import crypto
from aftersales.people.models import Customer
from aftersales.people.services import Actor

T = TypeVar("T", bound=Ticket)


def ticket_next_number(kind: str, when: datetime | None = None) -> str:
    """Issue the next number of the day for a kind of case, e.g. CP-20261122-0001."""
    prefix = get_kind(kind).prefix
    day = timezone.localdate(when or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(*_counter_take(prefix, day))
        last = cursor.fetchone()[0]
    return f"{prefix}-{day:%Y%m%d}-{last:04d}"


def _counter_take(prefix: str, day: date) -> tuple[str, list[Any]]:
    """The day's counter for a prefix, advanced, ``RETURNING last``: one upsert
    (PostgreSQL and SQLite 3.35+) whose row lock serialises writers until they commit."""
    table = connection.ops.quote_name(TicketSequence._meta.db_table)
    return (
        f"INSERT INTO {table} (prefix, day, last) VALUES (%s, %s, 1) "  # nosec B608: table name from model metadata; values bound
        f"ON CONFLICT (prefix, day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
        [prefix, connection.ops.adapt_datefield_value(day)],
    )


def ticket_confirm_contact(
    *, ticket_model: type[Ticket], ticket_pk: int, actor: Actor
) -> Customer:
    """Write the contact given with a case onto its customer's file, as an agent decided.

    Recorded on the case's timeline with the masked values; the customer's messages about
    every case go to the confirmed contact from now on.
    """
    with transaction.atomic():
        ticket = ticket_lock(ticket_model, ticket_pk)
        if not contact_confirm_allowed(actor, ticket):
            raise PermissionRefused()
        ticket_ensure_writable(ticket)
        customer = Customer.objects.select_for_update().get(pk=ticket.customer_id)
        ticket.customer = customer
        differs = ticket.unconfirmed_contact
        if not differs:
            raise DomainError(_("The contact given with this case is already on file."))
        customer.set_contact(phone=differs.get("phone", customer.phone),
                             email=differs.get("email", customer.email))
        customer.save(update_fields=["phone", "phone_hash", "email", "email_hash"])
        data = {}
        if "phone" in differs:
            data["contact_phone"] = crypto.mask_phone(customer.phone)
        if "email" in differs:
            data["contact_email"] = crypto.mask_email(customer.email)
        timeline_record(ticket=ticket, action=CONTACT_CONFIRMED, actor=actor, data=data)
        ticket_save(ticket, [])
    return customer


@dataclass(frozen=True)
class RevealedContact:
    """A case's contact data in full, shown once to the case owner."""

    phone: str
    email: str
    address: str
    phone_given: str
    email_given: str


def ticket_reveal_contact(
    *, ticket_model: type[Ticket], ticket_pk: int, actor: Actor
) -> RevealedContact:
    """The case's contact in full for its owner (domain.md §10.3), logged on the timeline.

    The timeline keeps who saw what, masked, never the values themselves.
    """
    with transaction.atomic():
        ticket = ticket_model.objects.select_related("customer").get(pk=ticket_pk)
        if not contact_reveal_allowed(actor, ticket):
            raise PermissionRefused()
        customer = ticket.customer
        differs = ticket.unconfirmed_contact
        revealed = RevealedContact(
            phone=str(customer.phone or ""), email=str(customer.email or ""),
            address=str(customer.address or ""),
            phone_given=str(differs.get("phone", "")), email_given=str(differs.get("email", "")),
        )
        data: dict[str, Any] = {}
        if revealed.phone:
            data["contact_phone"] = crypto.mask_phone(revealed.phone)
        if revealed.email:
            data["contact_email"] = crypto.mask_email(revealed.email)
        if revealed.address:
            data["contact_address"] = True
        if revealed.phone_given:
            data["contact_phone_given"] = crypto.mask_phone(revealed.phone_given)
        if revealed.email_given:
            data["contact_email_given"] = crypto.mask_email(revealed.email_given)
        timeline_record(ticket=ticket, action=CONTACT_REVEALED, actor=actor, data=data)
    return revealed


def actor_kind_and_name(actor: Actor) -> tuple[str, str]:
    if actor is None:
        return TimelineEvent.ActorKind.SYSTEM, ""
    if getattr(actor, "is_authenticated", False):
        return TimelineEvent.ActorKind.STAFF, actor.get_full_name() or actor.get_username()
    return TimelineEvent.ActorKind.CUSTOMER, ""


def timeline_event(
    *,
    ticket: Ticket,
    action: str,
    actor: Actor = None,
    actor_kind: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    customer_visible: bool = False,
    from_state: str = "",
    to_state: str = "",
    at: datetime | None = None,
) -> TimelineEvent:
    """A timeline event, not yet saved (``timeline_record`` saves one)."""
    kind, name = actor_kind_and_name(actor)
    return TimelineEvent(
        ticket=ticket,
        action=action,
        actor=actor if kind == TimelineEvent.ActorKind.STAFF else None,
        actor_kind=actor_kind or kind,
        actor_name=name,
        note=note,
        data=data or {},
        customer_visible=customer_visible,
        from_state=from_state,
        to_state=to_state,
        created_at=at or timezone.now(),
    )


def timeline_record(**event: Any) -> TimelineEvent:
    """Write one event on a case's timeline (the arguments of ``timeline_event``)."""
    recorded = timeline_event(**event)
    instance_insert(recorded)
    return recorded


def ticket_lock(model: type[T], pk: int, *, version: int | None = None) -> T:
    """Fetch a case locked for this transaction; refuse when the caller's page is stale."""
    ticket = model.objects.select_for_update().get(pk=pk)
    if version is not None and ticket.version != version:
        raise ConcurrentChange()
    return ticket


def transition_allowed(ticket: Ticket, name: str, user: Actor) -> bool:
    method = getattr(ticket, name)
    if user is None:
        return can_proceed(method)
    # A role's permissions apply only to the cases the person may see (their department's).
    return has_transition_perm(method, user) and ticket_in_scope(user, ticket)


def ticket_transition(
    ticket: T,
    name: str,
    *,
    actor: Actor,
    action: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    customer_visible: bool = False,
    args: Iterable[Any] = (),
    check_permission: bool = True,
    actor_kind: str | None = None,
) -> TimelineEvent:
    """Run one FSM transition on a locked case and record it on the timeline.

    The caller holds the transaction and has locked the row with ``ticket_lock``.
    """
    from_state = ticket.state
    _transition_run(ticket, name, actor=actor, args=args, check_permission=check_permission)
    return timeline_record(
        ticket=ticket,
        action=action,
        actor=actor,
        actor_kind=actor_kind,
        note=note,
        data=data,
        customer_visible=customer_visible,
        from_state=from_state,
        to_state=ticket.state,
    )


def _transition_run(ticket: Ticket, name: str, *, actor: Actor, args: Iterable[Any] = (),
                    check_permission: bool) -> None:
    method = getattr(ticket, name)
    if not can_proceed(method):
        raise TransitionRefused()
    if check_permission and not (
        has_transition_perm(method, actor) and ticket_in_scope(actor, ticket)
    ):
        raise PermissionRefused()
    method(*args)
    ticket_after_state_change(ticket)


def ticket_create(
    ticket: T,
    *,
    actor: Actor,
    received_action: str,
    received_data: dict[str, Any],
    transition: str | None = None,
    action: str = "",
    data: dict[str, Any] | None = None,
    check_permission: bool = False,
    form_token: str | None = None,
) -> TimelineEvent:
    """Save a new case with its first events: "received" and, when named, the first
    transition (e.g. register), taken before the case is written. The case is inserted
    once, with its state, subject and form token; the event that registers it (the last)
    carries its number, issued here. On PostgreSQL the number, the case and its events
    are one statement (``_case_insert_in_one``); elsewhere, three.

    The caller holds the transaction and has set everything else, the SLA clock included.
    Returns the last event, the one uploads attach to.
    """
    received_state = ticket.state
    if transition:
        _transition_run(ticket, transition, actor=actor, check_permission=check_permission)
    else:
        ticket_after_state_change(ticket)
    ticket.form_token = form_token
    ticket.subject = ticket_subject(ticket)
    events = [timeline_event(ticket=ticket, action=received_action, actor=actor,
                             data=received_data, customer_visible=True,
                             to_state=received_state, at=ticket.received_at)]
    if transition:
        events.append(timeline_event(ticket=ticket, action=action, actor=actor, data=data,
                                     customer_visible=True, from_state=received_state,
                                     to_state=ticket.state))
    if _case_insert_in_one(ticket, events):
        events[-1].data = {"number": ticket.number} | events[-1].data
    else:
        ticket.number = ticket_next_number(ticket.kind, ticket.received_at)
        instance_insert(ticket)
        events[-1].data = {"number": ticket.number} | events[-1].data
        instances_insert(events)
    return events[-1]


def _case_insert_in_one(ticket: Ticket, events: list[TimelineEvent]) -> bool:
    """On PostgreSQL, one statement takes the day's next number and writes the case, its
    kind's row and its first events, the last with the number in its data. The day's
    counter stays locked until the transaction ends, so the less of a registration that
    follows it, the less another registration waits; here nothing but the commit does.

    ``False`` where the ORM must write the rows (elsewhere than on PostgreSQL).
    """
    if connection.vendor != "postgresql":
        return False
    case_key = "(SELECT id FROM new_case)"
    case_rows = new_rows(ticket, {"number": "(SELECT value FROM number)",
                                  ticket._meta.pk.attname: case_key})
    numbered = "(%s::jsonb || jsonb_build_object('number', (SELECT value FROM number)))"
    event_rows = [new_rows(event, {"ticket_id": case_key}) for event in events[:-1]]
    event_rows.append(new_rows(events[-1], {"ticket_id": case_key, "data": numbered}))
    if case_rows is None or None in event_rows:
        return False
    prefix, day = get_kind(ticket.kind).prefix, timezone.localdate(ticket.received_at)
    counter_sql, params = _counter_take(prefix, day)
    # ticket_next_number's format, in SQL.
    steps = [f"counter AS ({counter_sql})",
             "number AS (SELECT %s || CASE WHEN last < 10000 THEN lpad(last::text, 4, '0') "
             "ELSE last::text END AS value FROM counter)"]
    params.append(f"{prefix}-{day:%Y%m%d}-")
    parent, *own = case_rows
    steps.append(f"new_case AS ({parent.insert('id, number')})")
    params += parent.values
    for index, row in enumerate(own):
        steps.append(f"own{index} AS ({row.insert()})")
        params += row.values
    first, *more = (rows[0] for rows in event_rows)
    steps.append(f"new_events AS ({first.insert('id', more=more)})")
    params += [value for row in (first, *more) for value in row.values]
    sql = (f"WITH {', '.join(steps)} SELECT (SELECT id FROM new_case), "  # nosec B608: names from model metadata, values bound
           "(SELECT number FROM new_case), ARRAY(SELECT id FROM new_events ORDER BY id)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk, number, event_pks = cursor.fetchone()
    ticket.number = number
    mark_saved(ticket, pk)
    for event, event_pk in zip(events, event_pks, strict=True):
        event.ticket = ticket
        mark_saved(event, event_pk)
    return True


def ticket_after_state_change(ticket: Ticket) -> None:
    """Keep the stored stage and open flag in step with the state the kind defines."""
    ticket.stage = ticket.STAGE_OF_STATE[ticket.state]
    ticket.is_open = ticket.state not in ticket.FINAL_STATES


def ticket_save(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.version = F("version") + 1
    ticket.subject = ticket_subject(ticket)
    ticket.save(update_fields={
        "version", "updated_at", "state", "stage", "is_open", "subject", *fields,
    })
    ticket.refresh_from_db(fields=["version"])


def ticket_ensure_writable(ticket: Ticket) -> None:
    if ticket.state in ticket.READ_ONLY_STATES:
        raise CaseReadOnly()


def attachments_store(
    ticket: Ticket,
    uploads: list[CheckedUpload],
    *,
    event: TimelineEvent | None,
    customer_visible: bool,
) -> list[Attachment]:
    stored = []
    for upload in uploads:
        attachment = Attachment(
            ticket=ticket,
            event=event,
            original_name=upload.file.name[:200],
            content_type=upload.content_type,
            extension=upload.extension,
            size=upload.size,
            customer_visible=customer_visible,
        )
        attachment.file.save(upload.file.name, upload.file, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def ticket_add_note(
    *,
    ticket_model: type[Ticket],
    ticket_pk: int,
    actor: Actor,
    text: str,
    customer_visible: bool,
    uploads: list[CheckedUpload] = (),
) -> TimelineEvent:
    """Staff note (internal) or message to the customer, with optional files."""
    with transaction.atomic():
        ticket = ticket_lock(ticket_model, ticket_pk)
        ticket_ensure_writable(ticket)
        if not (actor.has_perm("aftersales.add_note") and ticket_in_scope(actor, ticket)):
            raise PermissionRefused()
        event = timeline_record(
            ticket=ticket,
            action="aftersales.ticket.message" if customer_visible else "aftersales.ticket.note",
            actor=actor,
            note=text,
            customer_visible=customer_visible,
        )
        attachments_store(ticket, list(uploads), event=event, customer_visible=customer_visible)
        ticket_save(ticket, [])
        if customer_visible:
            outbox.enqueue("aftersales.notify_customer", [ticket.pk, "message"],
                           key=f"aftersales.notify_customer:{event.pk}")
    return event


def customer_evidence_check(ticket: Ticket, uploads: list[CheckedUpload]) -> None:
    """Refuse files beyond what a customer may add to one case, in total and per hour.

    Counts every file that did not come from staff (the complaint form's and the tracking
    page's). The caller holds the case's lock, so two posts at once cannot both fit.
    """
    if not uploads:
        return
    since = timezone.now() - timedelta(hours=1)
    recent = Q(created_at__gte=since)
    used = (
        Attachment.objects.filter(ticket=ticket)
        .exclude(event__actor_kind=TimelineEvent.ActorKind.STAFF)
        .aggregate(files=Count("id"), bytes=Sum("size"),
                   hour_files=Count("id", filter=recent), hour_bytes=Sum("size", filter=recent))
    )
    total = (settings.CUSTOMER_EVIDENCE_MAX_FILES, settings.CUSTOMER_EVIDENCE_MAX_BYTES)
    hourly = (settings.CUSTOMER_EVIDENCE_HOURLY_MAX_FILES,
              settings.CUSTOMER_EVIDENCE_HOURLY_MAX_BYTES)
    total_left = (total[0] - used["files"], total[1] - (used["bytes"] or 0))
    hour_left = (hourly[0] - used["hour_files"], hourly[1] - (used["hour_bytes"] or 0))
    left_files = max(0, min(total_left[0], hour_left[0]))
    left_size = max(0, min(total_left[1], hour_left[1]))
    wanted = (len(uploads), sum(upload.size for upload in uploads))
    if wanted[0] <= left_files and wanted[1] <= left_size:
        return
    if not (left_files and left_size):
        left_files = left_size = 0  # no file fits: say nothing is left, not "0 files, 40 MB"
    numbers = {"left_files": left_files, "left_size": filesizeformat(left_size)}
    if wanted[0] > total_left[0] or wanted[1] > total_left[1]:
        raise InvalidUpload(
            _("A case takes at most %(files)d files and %(size)s from you in total. "
              "You can still add %(left_files)d files, %(left_size)s in all.")
            % {"files": total[0], "size": filesizeformat(total[1]), **numbers}
        )
    raise InvalidUpload(
        _("You can add at most %(files)d files and %(size)s per hour. You can still add "
          "%(left_files)d files, %(left_size)s in all, this hour; please send the rest later.")
        % {"files": hourly[0], "size": filesizeformat(hourly[1]), **numbers}
    )


def ticket_customer_add_info(
    *, ticket_model: type[Ticket], ticket_pk: int, text: str, uploads: list[CheckedUpload] = ()
) -> TimelineEvent:
    """The customer adds information or files from the tracking page, within the limits."""
    uploads = list(uploads)
    with transaction.atomic():
        ticket = ticket_lock(ticket_model, ticket_pk)
        ticket_ensure_writable(ticket)
        customer_evidence_check(ticket, uploads)
        event = timeline_record(
            ticket=ticket,
            action="aftersales.ticket.customer_info",
            actor_kind=TimelineEvent.ActorKind.CUSTOMER,
            note=text,
            customer_visible=True,
        )
        attachments_store(ticket, uploads, event=event, customer_visible=True)
        ticket_save(ticket, [])
    return event


def ticket_reassign(*, ticket_pk: int, actor: Actor, department=None, assignee=None) -> Ticket:
    """Move one case to another department and/or handler, recorded on its timeline.

    The case keeps its state; a handler from another department takes the case's
    department with it.
    """
    if department is None and assignee is None:
        raise DomainError(_("Choose a department or a handler."))
    with transaction.atomic():
        ticket = ticket_lock(Ticket, ticket_pk)
        if not (actor.has_perm("aftersales.reassign_ticket") and ticket_in_scope(actor, ticket)):
            raise PermissionRefused()
        if not ticket.is_open:
            raise CaseReadOnly()
        old = {"department": ticket.department.name if ticket.department else "",
               "assignee": _person_name(ticket.assignee)}
        if assignee is not None:
            ticket.assignee = assignee
            profile = getattr(assignee, "staff_profile", None)
            if department is None and profile is not None and profile.department_id:
                department = profile.department
        if department is not None:
            ticket.department = department
            if assignee is None and ticket.assignee is not None:
                profile = getattr(ticket.assignee, "staff_profile", None)
                if profile is None or profile.department_id != department.pk:
                    ticket.assignee = None
        new = {"department": ticket.department.name if ticket.department else "",
               "assignee": _person_name(ticket.assignee)}
        timeline_record(ticket=ticket, action="aftersales.ticket.reassigned", actor=actor,
                        data={"old": old, "new": new})
        ticket_save(ticket, ["department", "assignee"])
    return ticket


def _person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- one-time form tokens -------------------------------------------------------------

FORM_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def form_token_new() -> str:
    return secrets.token_urlsafe(24)


def ticket_create_once(model: type[T], form_token: str | None, create: Callable[[], T]) -> T:
    """Run ``create``, which saves a new case carrying ``form_token``, once per form.

    The token's unique index decides: a second post of the same form (a double click, a
    retry after a timeout) fails its INSERT, its transaction rolls back, and the case the
    first post made is returned. On PostgreSQL a simultaneous second post waits on the index
    until the first commits. A second post refused before its INSERT (a return whose units
    the first post already took) also gets the first case. Without a token (imports, cases
    opened from other cases) ``create`` simply runs.
    """
    if form_token is None:
        return create()
    if not FORM_TOKEN_RE.match(form_token):
        raise DomainError(_("This form has expired. Reload the page and submit it again."))
    try:
        return create()
    except (IntegrityError, DomainError):
        earlier = model.objects.filter(form_token=form_token).first()
        if earlier is None:
            raise
        return earlier
