"""Write use-cases shared by every kind of case: numbering, locking, transitions, timeline."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from . import crypto
from .choices import TICKET_NUMBER_PREFIX
from .exceptions import CaseReadOnly, ConcurrentChange, PermissionRefused, TransitionRefused
from .models import Attachment, Customer, Ticket, TicketSequence, TimelineEvent
from .selectors import ticket_in_scope
from .uploads import CheckedUpload

T = TypeVar("T", bound=Ticket)
Actor = AbstractBaseUser | AnonymousUser | None


def ticket_next_number(kind: str, when: datetime | None = None) -> str:
    """Issue the next number of the day for a kind of case, e.g. CP-20261122-0001."""
    prefix = TICKET_NUMBER_PREFIX[kind]
    day = timezone.localdate(when or timezone.now())
    with transaction.atomic():
        try:
            with transaction.atomic():
                sequence, _ = TicketSequence.objects.get_or_create(prefix=prefix, day=day)
        except IntegrityError:
            sequence = TicketSequence.objects.get(prefix=prefix, day=day)
        TicketSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
        last = TicketSequence.objects.values_list("last", flat=True).get(pk=sequence.pk)
    return f"{prefix}-{day:%Y%m%d}-{last:04d}"


def customer_find_or_create(*, name: str, phone: str = "", email: str = "") -> Customer:
    """The customer with this phone (or else e-mail), created when unknown."""
    phone_hash = crypto.lookup_hash(crypto.normalize_phone(phone))
    email_hash = crypto.lookup_hash(crypto.normalize_email(email))
    existing = None
    if phone_hash:
        existing = Customer.objects.filter(phone_hash=phone_hash).order_by("id").first()
    if existing is None and email_hash:
        existing = Customer.objects.filter(email_hash=email_hash).order_by("id").first()
    if existing is not None:
        # Fill in a contact the customer gives for the first time; never overwrite one.
        if (phone and not existing.phone) or (email and not existing.email):
            existing.set_contact(phone=existing.phone or phone, email=existing.email or email)
            existing.save(update_fields=["phone", "phone_hash", "email", "email_hash"])
        return existing
    customer = Customer(name=name)
    customer.set_contact(phone=phone, email=email)
    customer.save()
    return customer


def actor_kind_and_name(actor: Actor) -> tuple[str, str]:
    if actor is None:
        return TimelineEvent.ActorKind.SYSTEM, ""
    if getattr(actor, "is_authenticated", False):
        return TimelineEvent.ActorKind.STAFF, actor.get_full_name() or actor.get_username()
    return TimelineEvent.ActorKind.CUSTOMER, ""


def timeline_record(
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
    kind, name = actor_kind_and_name(actor)
    return TimelineEvent.objects.create(
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
    method = getattr(ticket, name)
    if not can_proceed(method):
        raise TransitionRefused()
    if check_permission and not (
        has_transition_perm(method, actor) and ticket_in_scope(actor, ticket)
    ):
        raise PermissionRefused()
    from_state = ticket.state
    method(*args)
    ticket_after_state_change(ticket)
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


def ticket_after_state_change(ticket: Ticket) -> None:
    """Keep the stored stage and open flag in step with the state the kind defines."""
    ticket.stage = ticket.STAGE_OF_STATE[ticket.state]
    ticket.is_open = ticket.state not in ticket.FINAL_STATES


def ticket_save(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.version = F("version") + 1
    ticket.save(update_fields={"version", "updated_at", "state", "stage", "is_open", *fields})
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
        from .tasks import notify_customer

        transaction.on_commit(lambda: notify_customer.delay(ticket.pk, "message"))
    return event


def ticket_customer_add_info(
    *, ticket_model: type[Ticket], ticket_pk: int, text: str, uploads: list[CheckedUpload] = ()
) -> TimelineEvent:
    """The customer adds information or files from the tracking page."""
    with transaction.atomic():
        ticket = ticket_lock(ticket_model, ticket_pk)
        ticket_ensure_writable(ticket)
        event = timeline_record(
            ticket=ticket,
            action="aftersales.ticket.customer_info",
            actor_kind=TimelineEvent.ActorKind.CUSTOMER,
            note=text,
            customer_visible=True,
        )
        attachments_store(ticket, list(uploads), event=event, customer_visible=True)
        ticket_save(ticket, [])
    return event
