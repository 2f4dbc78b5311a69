"""Reads shared by every kind of case, with the permission scope applied in one place."""

from dataclasses import dataclass

from django.db.models import F, QuerySet

from aftersales.cases.kinds import approval_states, find_kind
from aftersales.cases.models import Ticket
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




# --- the inbox over every kind of case --------------------------------------------------

INBOX_TABS = ("unassigned", "mine", "department", "approval", "emergency", "all_open")
INBOX_PAGE_SIZE = 25


@dataclass
class InboxPage:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def inbox_page(*, user, tab: str, page: int = 1, per_page: int = INBOX_PAGE_SIZE) -> InboxPage:
    """Open cases of every kind for one inbox tab, most urgent first.

    Fetches one row more than a page to know whether another page follows, instead of
    counting the whole ledger. Each row carries its kind's label, state label and page.
    """
    qs = tickets_visible_to(user).filter(is_open=True)
    if tab == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif tab == "mine":
        qs = qs.filter(assignee=user)
    elif tab == "department":
        # Someone without a department has none to show, not the unclassified cases.
        department_id = user_department_id(user)
        qs = qs.filter(department_id=department_id) if department_id is not None else qs.none()
    elif tab == "approval":
        qs = qs.filter(state__in=approval_states())
    elif tab == "emergency":
        qs = qs.filter(is_emergency=True)
    qs = (
        qs.select_related("customer", "department", "assignee")
        .only(
            "number", "kind", "subject", "state", "stage", "severity", "priority",
            "received_at", "is_emergency", "escalation_level", "repeat_of_id",
            "sla_clock", "sla_status", "sla_due_at", "sla_warn_at", "sla_paused_at",
            "sla_remaining_seconds", "customer__name", "customer__phone", "customer__email",
            "department__name", "assignee__username", "assignee__first_name",
            "assignee__last_name",
        )
        .order_by(F("sla_due_at").asc(nulls_last=True), "priority", "id")
    )
    page = max(1, page)
    start = (page - 1) * per_page
    rows = list(qs[start: start + per_page + 1])
    for row in rows[:per_page]:
        kind = find_kind(row.kind)
        row.kind_label = kind.label if kind else row.kind
        row.state_label = kind.state_label(row.state) if kind else row.state
        row.state_colour = (kind.state_colours.get(row.state) if kind else None) or "secondary"
        row.url = kind.case_path(row.number) if kind else ""
    return InboxPage(rows=rows[:per_page], number=page, has_next=len(rows) > per_page)
