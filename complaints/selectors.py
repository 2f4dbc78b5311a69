"""Complaint reads: inbox and case page, with a fixed number of queries whatever the size."""


from django.db.models import Prefetch, QuerySet

from aftersales.cases.selectors import tickets_visible_to
from aftersales.models import Attachment, TimelineEvent

from .models import Complaint


def complaints_visible_to(user) -> QuerySet[Complaint]:
    return tickets_visible_to(user, Complaint.objects.all())


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
