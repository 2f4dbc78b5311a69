"""Reads shared by every kind of case, with the permission scope applied in one place."""

from typing import TypeVar

from django.db.models import Prefetch, QuerySet

from aftersales.cases.models import Attachment, Ticket, TimelineEvent
from aftersales.core.sql import joins_as_written
from aftersales.people.selectors import user_department_id


def tickets_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Cases a staff member may see: all with ``view_all_tickets``, else their department's."""
    qs = queryset if queryset is not None else Ticket.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("aftersales.view_all_tickets"):
        return qs
    department_id = user_department_id(user)
    if department_id is None:
        return qs.none()
    return qs.filter(department_id=department_id)


T = TypeVar("T", bound=Ticket)

TIMELINE_PAGE = 20


def timeline_page(ticket: Ticket, *, customer_view: bool = False,
                  limit: int | None = TIMELINE_PAGE) -> tuple[list[TimelineEvent], bool]:
    """A case's newest ``limit`` events first (all when ``None``), and whether older ones
    exist. The customer's view holds only what they may see, files included.

    One row past the limit is read to learn whether there is more, so the cost is the same
    for a case with 25 events or 500.
    """
    events = ticket.events.order_by("-created_at", "-id").select_related("actor")
    attachments = Attachment.objects.all()
    if customer_view:
        events = events.filter(customer_visible=True)
        attachments = attachments.filter(customer_visible=True)
    events = events.prefetch_related(Prefetch("attachments", attachments))
    if limit is None:
        return list(events), False
    page = list(events[:limit + 1])
    return page[:limit], len(page) > limit


def customer_timeline(ticket: Ticket) -> list[TimelineEvent]:
    """Everything the customer may see on a case, oldest first, with only the files they
    may see (a tracking page)."""
    return timeline_page(ticket, customer_view=True, limit=None)[0][::-1]


def ticket_for_page(cases: QuerySet[T], *, number: str) -> T:
    """The case a page shows, read with everything ``cases`` selects, its joins taken in the
    order written (each is one index lookup from the case's row)."""
    with joins_as_written(cases.db):
        return cases.get(number=number)


def ticket_in_scope(user, ticket: Ticket) -> bool:
    """Whether ``tickets_visible_to(user)`` includes ``ticket``, decided without a query."""
    if not user.is_authenticated:
        return False
    if user.has_perm("aftersales.view_all_tickets"):
        return True
    department_id = user_department_id(user)
    return department_id is not None and ticket.department_id == department_id


def is_staff_member(user) -> bool:
    return user.is_authenticated and (
        user.has_perm("aftersales.view_all_tickets") or user_department_id(user) is not None
    )
