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


TIMELINE_PAGE = 20


def timeline_page(complaint: Complaint, *, limit: int | None = TIMELINE_PAGE
                  ) -> tuple[list[TimelineEvent], bool]:
    """The newest ``limit`` events first (all when ``None``), and whether older ones exist.

    One row past the limit is read to learn whether there is more, so the cost is the same
    for a case with 25 events or 500.
    """
    events = (complaint.events.order_by("-created_at", "-id").select_related("actor")
              .prefetch_related("attachments"))
    if limit is None:
        return list(events), False
    page = list(events[:limit + 1])
    return page[:limit], len(page) > limit


def complaint_for_token(token: str) -> Complaint:
    return Complaint.objects.select_related("customer", "current_plan").get(tracking_token=token)
