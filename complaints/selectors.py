"""Complaint reads: inbox and case page, with a fixed number of queries whatever the size."""

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet

from aftersales.cases.selectors import tickets_visible_to
from aftersales.models import Attachment, TimelineEvent
from aftersales.people.selectors import user_department_id

from .choices import State
from .models import Complaint

INBOX_TABS = ("unassigned", "mine", "department", "approval", "emergency", "all_open")
PAGE_SIZE = 25


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def complaints_visible_to(user) -> QuerySet[Complaint]:
    return tickets_visible_to(user, Complaint.objects.all())


def complaint_inbox(*, user, tab: str, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """Open complaints for one inbox tab, most urgent first.

    Fetches one row more than a page to know whether another page follows, instead of
    counting the whole ledger.
    """
    qs = complaints_visible_to(user).filter(is_open=True)
    if tab == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif tab == "mine":
        qs = qs.filter(assignee=user)
    elif tab == "department":
        # Someone without a department has none to show, not the unclassified complaints.
        department_id = user_department_id(user)
        qs = qs.filter(department_id=department_id) if department_id is not None else qs.none()
    elif tab == "approval":
        qs = qs.filter(state=State.PLAN_APPROVAL)
    elif tab == "emergency":
        qs = qs.filter(is_emergency=True)
    qs = (
        qs.select_related("customer", "department", "assignee")
        .only(
            "number", "state", "stage", "severity", "priority", "category", "subcategory",
            "category_hint", "received_at", "is_emergency", "escalation_level", "repeat_of_id",
            "sla_status", "sla_due_at", "sla_warn_at", "sla_paused_at", "sla_remaining_seconds",
            "customer__name", "customer__phone", "customer__email",
            "department__name", "assignee__username", "assignee__first_name",
            "assignee__last_name",
        )
        .order_by(F("sla_due_at").asc(nulls_last=True), "priority", "id")
    )
    page = max(1, page)
    start = (page - 1) * per_page
    rows = list(qs[start: start + per_page + 1])
    return Page(rows=rows[:per_page], number=page, has_next=len(rows) > per_page)


def complaint_for_page(*, user, number: str) -> Complaint:
    """One complaint with everything its page shows, or ``DoesNotExist`` when out of scope."""
    return (
        complaints_visible_to(user)
        .select_related(
            "customer", "order", "product", "department", "assignee", "registered_by",
            "repeat_of", "current_plan__responsible_department",
            "current_plan__responsible_person",
        )
        .get(number=number)
    )


def timeline_for(complaint: Complaint, *, customer_view: bool = False) -> list[TimelineEvent]:
    events = complaint.events.all()
    attachments = Attachment.objects.all()
    if customer_view:
        events = events.filter(customer_visible=True)
        attachments = attachments.filter(customer_visible=True)
    return list(
        events.select_related("actor").prefetch_related(Prefetch("attachments", attachments))
    )


def complaint_for_token(token: str) -> Complaint:
    return Complaint.objects.select_related("customer", "current_plan").get(tracking_token=token)
